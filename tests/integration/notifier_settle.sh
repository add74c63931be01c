#!/usr/bin/env bash
# Issue 12, settled state: the demo's feeds (deploy/sample/feeds) dropped one file at a time with
# short pauses (shorter than settle_ms) raise no alert from a half-loaded partner: once everything
# settled, every alert ever raised is firing and is a condition of the partner's final
# `pcs show --json`, and every condition there has its alert; no alert was resolved or retracted.
# Each daemon runs under its own database role.
# usage: notifier_settle.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer PATH/TO/pcs-notifier
set -u
PCS=$1
INGEST=$2
SCORER=$3
NOTIFIER=$4
NAME=notifier_settle PIDS="ipid spid npid"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
TODAY=2026-11-20   # the demo's today (deploy/pcs-local)

ingest_conf pcs_ingest >"$T/ingest.conf"
{ scorer_endpoints pcs_scorer; cat <<EOF
rule_sets = pcs-2026
today = $TODAY
refresh_day = 0
outbox_poll_ms = 300
coalesce_ms = 20
EOF
} >"$T/scorer.conf"
cat >"$T/notifier.conf" <<EOF
db = "dbname=$DB user=pcs_notifier"
sub_endpoint = ipc://$T/pub
today = $TODAY
settle_ms = 5000
log_min_severity = off
file_path = $T/alerts.jsonl
EOF
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
"$NOTIFIER" --config "$T/notifier.conf" 2>>"$T/notifier.log" & npid=$!
for _ in $(seq 1 50); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done

for f in "$ROOT"/deploy/sample/feeds/*; do
    cp "$f" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/$(basename "$f")"
    for _ in $(seq 1 300); do [ -e "$T/spool/incoming/$(basename "$f")" ] || break; sleep 0.05; done
    sleep 0.3
done
check "the feeds are loaded and rescored" 'wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0'
check "the partners settle and the queue empties" 'sleep 5; wait_for "SELECT count(*) FROM alert_queue" 0'
check "alerts were raised from the settled data" '[ "$(q "SELECT count(*) FROM alerts")" -gt 0 ]'
check "no alert was raised from a half-loaded partner (none resolved, none retracted)" \
    '[ "$(q "SELECT count(*) FROM alerts WHERE state <> '\''firing'\''")" = 0 ]'
agree() { # every alert is a condition of its partner's final pcs show --json, and the other way round
    local p
    for p in $(q "SELECT DISTINCT partner_id FROM score_results ORDER BY 1"); do
        "$PCS" show "$p" --json >"$T/show.json" || return 1
        q "SELECT alert_key FROM alerts WHERE partner_id = '$p' AND event <> 'newly_qualified' ORDER BY 1" >"$T/alerts.txt"
        python3 - "$T/show.json" "$T/alerts.txt" <<'PY' || { echo "partner $p: alerts and pcs show disagree"; return 1; }
import json, sys
doc = json.load(open(sys.argv[1]))
conds = sorted(e["dedup_key"].rsplit(":", 1)[0] for a in doc["areas"] for e in a.get("events", []))
alerts = sorted(l.strip() for l in open(sys.argv[2]) if l.strip())
sys.exit(0 if conds == alerts else 1)
PY
    done
}
check "no alert contradicts the final pcs show --json" 'agree'
check "one notification per partner (the settled result), none from half-loaded states" \
    '[ "$(q "SELECT count(*) FROM (SELECT partner_id FROM notifications GROUP BY 1 HAVING count(*) > 1) x")" = 0 ]'
echo "settle: $(q "SELECT count(*) FROM alerts") alerts in $(q "SELECT count(*) FROM notifications") notifications for $(q "SELECT count(DISTINCT partner_id) FROM score_results") partners"
finish
