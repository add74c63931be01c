#!/usr/bin/env bash
# pcs-notifier end to end with the real daemons (pcs-ingest, pcs-scorer, pcs-notifier), the
# throwaway PostgreSQL of tests/run, ZeroMQ over ipc and a real HTTP receiver on 127.0.0.1:
#  - golden partners through ingest and a refresh raise every §13 event the engine computes for them
#    (and newly_qualified), each once: a rescore and a replay of every result raise nothing new;
#  - the webhook receiver down, then up: each alert arrives once, with a valid HMAC signature;
#  - kill -9 of the notifier between storing and delivering: each alert delivered once per sink;
#  - malformed score.updated messages are logged and dropped; the daily check asks for rescoring.
# usage: notifier.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer PATH/TO/pcs-notifier
set -u
PCS=$1
INGEST=$2
SCORER=$3
NOTIFIER=$4
NAME=notifier PIDS="ipid spid npid wpid"
. "$(dirname "$0")/lib.sh"
SECRET="s3cret-$$-do-not-log"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

ingest_conf >"$T/ingest.conf"
cat >"$T/scorer.conf" <<EOF
db = "dbname=$DB"
pull_endpoint = ipc://$T/push
control_endpoint = ipc://$T/control
pub_endpoint = ipc://$T/pub
rule_sets = pcs-2026
today = 2025-07-20
refresh_day = 0
outbox_poll_ms = 300
coalesce_ms = 20
EOF
notifier_conf() { # notifier_conf DELAY_MS
    cat <<EOF
# test configuration
db = "dbname=$DB"
sub_endpoint = ipc://$T/pub, ipc://$T/testpub
rule_set = pcs-2026
today = 2025-07-20
catch_up_ms = 300
delivery_delay_ms = $1
log_min_severity = info
file_path = $T/alerts.jsonl
file_min_severity = info
webhook_url = http://127.0.0.1:$PORT/hook?token=$SECRET
webhook_secret = $SECRET
webhook_min_severity = warning
webhook_timeout_ms = 1000
webhook_max_attempts = 100
webhook_backoff_ms = 100
EOF
}
notifier_conf 0 >"$T/notifier.conf"

out=$("$NOTIFIER" --help); rc=$?
check "pcs-notifier --help" '[ $rc -eq 0 ] && [[ "$out" == "usage: pcs-notifier"* ]]'
printf 'file_min_severity = loud\n' >"$T/bad.conf"
out=$("$NOTIFIER" --config "$T/bad.conf" 2>&1); rc=$?
check "a bad severity in the config is refused" '[ $rc -eq 2 ] && [[ "$out" == *"file_min_severity: expected info, warning, critical or off"* ]]'
printf 'webhook_ur = http://x\n' >"$T/typo.conf"
out=$("$NOTIFIER" --config "$T/typo.conf" 2>&1); rc=$?
check "a typo in the config is fatal with file:line" '[ $rc -eq 2 ] && [[ "$out" == *"typo.conf:1: webhook_ur: unknown key"* ]]'

start_notifier() { "$NOTIFIER" --config "$T/notifier.conf" 2>>"$T/notifier.log" & npid=$!; }
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
start_notifier
for _ in $(seq 1 50); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done

# ---- facts -> refresh -> alerts -------------------------------------------------------------------------
CASES="ex1_infrastructure ex2_data_ai ex3_security ex9_renewal_due edge_metric_zero_blocking edge_other_track_qualifies"
# shellcheck disable=SC2086
load_cases $CASES
check "the outbox is drained" 'wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0'
for d in 2025-07-10 2025-07-20; do "$PCS" refresh --as-of "$d" --wait --timeout 120 >/dev/null; done
caught_up() { wait_for "SELECT (SELECT seq FROM notifier_state WHERE name = 'main') = (SELECT max(seq) FROM score_results WHERE rule_set = 'pcs-2026')" t; }
check "the notifier catches up with every stored result" 'caught_up'
for ev in cert_expiring certs_expiring_combined nca_at_risk metric_zero_blocking near_threshold renewal_reminder designation_at_risk other_track_qualifies; do
    check "an alert $ev was raised" '[ "$(q "SELECT count(*) FROM alerts WHERE event = '\''$ev'\''")" -gt 0 ]'
done
check "metric_zero_blocking names the partner and data month" \
    '[ "$(q "SELECT count(*) FROM alerts WHERE dedup_key = '\''edge_metric_zero_blocking:data_ai:metric_zero_blocking:2025-06'\'' AND severity = '\''critical'\''")" = 1 ]'
check "renewal_reminder for ex9_renewal_due carries its threshold" \
    '[ "$(q "SELECT count(*) FROM alerts WHERE partner_id = '\''ex9_renewal_due'\'' AND event = '\''renewal_reminder'\'' AND payload ? '\''threshold'\''")" -gt 0 ]'
# a certification lifts ex3's Security from 62.73 to 70.73 (pcs simulate says so): newly qualified
printf '{"v":1,"type":"cert.earned","id":"nq-1","ts":"2025-07-20T09:00:00Z","body":{"partner_id":"ex3_security","person_id":"N1","certification":"identity_admin","earned":"2025-07-01","expires":"2026-07-01"}}\n' >"$T/nq.jsonl"
"$PCS" send "$T/nq.jsonl" --endpoint "ipc://$T/intake" >/dev/null
check "a certification event that makes Security qualify raises newly_qualified" \
    'wait_for "SELECT count(*) FROM alerts WHERE event = '\''newly_qualified'\'' AND partner_id = '\''ex3_security'\'' AND area = '\''security'\''" 1'
check "the near_threshold alert of the same month stays (raised once, never retracted)" \
    '[ "$(q "SELECT count(*) FROM alerts WHERE event = '\''near_threshold'\'' AND partner_id = '\''ex3_security'\''")" -ge 1 ]'
caught_up
n_alerts=$(q "SELECT count(*) FROM alerts")
echo "alerts raised for the golden partners: $n_alerts ($(q "SELECT string_agg(event || ' ' || n, ', ') FROM (SELECT event, count(*) n FROM alerts GROUP BY 1 ORDER BY 1) x"))"

# ---- the same facts again: nothing new ------------------------------------------------------------------
"$PCS" refresh --as-of 2025-07-10 --wait >/dev/null
"$PCS" rescore ex9_renewal_due >/dev/null
check "rescoring the same facts raises nothing new" 'sleep 1; caught_up && [ "$(q "SELECT count(*) FROM alerts")" = "$n_alerts" ]'
q "UPDATE notifier_state SET seq = 0 WHERE name = 'main'" >/dev/null
check "replaying every stored result raises nothing new (unique dedup key)" 'caught_up && [ "$(q "SELECT count(*) FROM alerts")" = "$n_alerts" ]'

# ---- the webhook receiver was down; now it comes up -------------------------------------------------------
check "webhook deliveries failed while the receiver was down, and are retried" \
    '[ "$(q "SELECT count(*) FROM alert_deliveries WHERE sink = '\''webhook'\'' AND state = '\''pending'\'' AND attempts > 0 AND last_error IS NOT NULL")" -gt 0 ]'
python3 "$ROOT/tests/integration/webhook_receiver.py" "$PORT" "$T/hooks.jsonl" "$SECRET" & wpid=$!
check "after the receiver came up every webhook delivery succeeded" \
    'wait_for "SELECT count(*) FROM alert_deliveries WHERE sink = '\''webhook'\'' AND state <> '\''delivered'\''" 0'
hooks_ok() { # every webhook alert received exactly once, every signature valid
    python3 - "$T/hooks.jsonl" "$(q "SELECT count(*) FROM alert_deliveries WHERE sink = 'webhook' AND state = 'delivered'")" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = [r["key"] for r in rows]
ok = all(r["valid"] for r in rows) and len(keys) == len(set(keys)) == int(sys.argv[2]) and \
     all(r["body"]["dedup_key"] == r["key"] for r in rows)
sys.exit(0 if ok else 1)
PY
}
check "each webhook alert received once, with a valid HMAC-SHA256 signature" 'hooks_ok'
file_ok() { # every alert in the file exactly once
    [ "$(wc -l <"$T/alerts.jsonl")" = "$(q "SELECT count(*) FROM alerts")" ] &&
        [ "$(python3 -c 'import json,sys; print(len({json.loads(l)["alert_id"] for l in open(sys.argv[1])}))' "$T/alerts.jsonl")" = "$(q "SELECT count(*) FROM alerts")" ]
}
check "the file sink holds every alert once" 'wait_for "SELECT count(*) FROM alert_deliveries WHERE state = '\''pending'\''" 0 && file_ok'
check "the log sink printed one JSON line per alert" '[ "$(grep -c "^{\"alert_id\":" "$T/notifier.log")" = "$(q "SELECT count(*) FROM alerts")" ]'
check "the webhook secret never appears in the logs" '! grep -q "$SECRET" "$T/notifier.log" "$T/scorer.log"'

# ---- kill -9 between storing and delivering ------------------------------------------------------------
notifier_conf 5000 >"$T/notifier.conf"
kill -HUP "$npid"
check "SIGHUP reloads the routing and sinks" 'for _ in $(seq 1 50); do grep -q "reloaded (routing and sinks)" "$T/notifier.log" && break; sleep 0.1; done; grep -q "reloaded (routing and sinks)" "$T/notifier.log"'
before=$(q "SELECT count(*) FROM alerts")
"$PCS" refresh --as-of 2025-08-05 --wait >/dev/null
check "new alerts are stored, not yet delivered" \
    'wait_for "SELECT count(*) > $before FROM alerts" t && [ "$(q "SELECT count(*) FROM alert_deliveries WHERE state = '\''pending'\'' AND attempts = 0")" -gt 0 ]'
kill -9 "$npid"; wait "$npid" 2>/dev/null
notifier_conf 0 >"$T/notifier.conf"
start_notifier
check "after kill -9 and a restart every delivery is made" 'caught_up && wait_for "SELECT count(*) FROM alert_deliveries WHERE state = '\''pending'\''" 0'
check "kill -9: the file holds every alert exactly once" 'file_ok'
check "kill -9: each webhook alert received exactly once, signed" 'hooks_ok'

# ---- malformed messages, the daily check, pcs alerts --------------------------------------------------
printf 'not json at all\n{"v":1,"type":"score.updated","id":"x1","ts":"2026-01-01T00:00:00Z","body":{}}\n\xff\xfe\n' >"$T/garbage.txt"
"$PCS" send "$T/garbage.txt" --pub "ipc://$T/testpub" >/dev/null
check "malformed score.updated messages are logged and dropped" '[ "$(grep -c "dropped a" "$T/notifier.log")" -ge 3 ]'
check "the notifier keeps running" 'kill -0 "$npid"'
check "the daily check asked to rescore ex9_renewal_due (renewal within 60 days)" \
    '[ "$(q "SELECT count(*) FROM outbox WHERE kind = '\''rescore'\'' AND '\''ex9_renewal_due'\'' = ANY(partners)")" -ge 1 ]'
check "the daily check runs once a day" '[ "$(q "SELECT daily_last FROM notifier_state")" = 2025-07-20 ] && [ "$(grep -c "asked to be rescored" "$T/notifier.log")" = 1 ]'
out=$("$PCS" alerts edge_metric_zero_blocking --json)
check "pcs alerts --json has the contract fields and the delivery state" \
    'python3 -c "import json,sys; a=json.loads(sys.argv[1]); x=[r for r in a if r[\"event\"]==\"metric_zero_blocking\"][0]; sys.exit(0 if all(k in x for k in (\"event\",\"partner_id\",\"area\",\"severity\",\"dedup_key\",\"created\",\"payload\",\"deliveries\")) and all(d[\"state\"]==\"delivered\" for d in x[\"deliveries\"]) and {r[\"partner_id\"] for r in a}=={\"edge_metric_zero_blocking\"} else 1)" "$out"'
out=$("$PCS" alerts)
check "pcs alerts lists newest first with each sink" '[[ "$out" == *"log:delivered"* ]] && [[ "$out" == *"webhook:delivered"* ]]'

finish
