#!/usr/bin/env bash
# Issue 18.1: no alert lost when results commit out of sequence order. A refresh of PARTNERS
# partners runs while certification events arrive (about 20 a second) and the scorer is killed
# (-9) twice and restarted; afterwards every stored result has been read: the firing alerts are
# exactly the conditions of each partner's latest stored result, and the queue is empty. (With a
# cursor on score_results.seq, results committed after a higher seq were never read.)
# Each daemon runs under its own database role.
# usage: notifier_race.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer PATH/TO/pcs-notifier
set -u
PCS=$1
INGEST=$2
SCORER=$3
NOTIFIER=$4
PARTNERS=${PARTNERS:-150}
NAME=notifier_race PIDS="ipid spid npid"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"

ingest_conf pcs_ingest >"$T/ingest.conf"
{ scorer_endpoints pcs_scorer; cat <<EOF
rule_sets = pcs-2026
today = 2025-07-20
refresh_day = 0
outbox_poll_ms = 300
coalesce_ms = 5
EOF
} >"$T/scorer.conf"
cat >"$T/notifier.conf" <<EOF
db = "dbname=$DB user=pcs_notifier"
sub_endpoint = ipc://$T/pub
today = 2025-07-20
settle_ms = 300
log_min_severity = off
file_path = $T/alerts.jsonl
EOF
start_scorer() { "$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!; }
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
start_scorer
"$NOTIFIER" --config "$T/notifier.conf" 2>>"$T/notifier.log" & npid=$!
for _ in $(seq 1 50); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done

# PARTNERS copies of Example 3's partner (Security 62.73: near_threshold; one certification short)
mkdir -p "$T/one" "$T/all"
python3 "$ROOT/tests/integration/doc2feeds.py" "$ROOT/tests/data/ex3_security/input.json" ex3 "$T/one"
python3 - "$T/one" "$T/all" "$PARTNERS" <<'PY'
import os, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for kind in ("customers.csv", "associations.csv", "usage.csv", "enrollments.csv", "certs.jsonl"):
    lines = open(os.path.join(src, "ex3." + kind)).read().splitlines()
    with open(os.path.join(dst, "race." + kind), "w") as f:
        if not kind.endswith(".jsonl"):
            f.write(lines[0] + "\n")
            lines = lines[1:]
        for i in range(n):
            for l in lines:
                f.write(l.replace("ex3", "r%04d" % i) + "\n")
PY
for f in "$T"/all/*.csv "$T"/all/*.certs.jsonl; do
    cp "$f" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/$(basename "$f")"
    for _ in $(seq 1 600); do [ -e "$T/spool/incoming/$(basename "$f")" ] || break; sleep 0.1; done
done
check "the partners are loaded and scored" 'wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0 &&
    [ "$(q "SELECT count(DISTINCT partner_id) FROM score_results")" = "$PARTNERS" ]'

# events for every other partner: the certification that makes Security qualify, 10 every half second
python3 - "$T/events" "$PARTNERS" <<'PY'
import json, os, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
for b, start in enumerate(range(0, n, 20)):
    with open(os.path.join(out, "%03d.jsonl" % b), "w") as f:
        for i in range(start, min(n, start + 20), 2):
            f.write(json.dumps({"v": 1, "type": "cert.earned", "id": "race-%d" % i, "ts": "2025-07-20T09:00:00Z",
                                "body": {"partner_id": "r%04d" % i, "person_id": "N1", "certification": "identity_admin",
                                         "earned": "2025-07-01", "expires": "2026-07-01"}}) + "\n")
PY
"$PCS" refresh --as-of 2025-07-20 >/dev/null
k=0
for f in "$T"/events/*.jsonl; do
    "$PCS" send "$f" --endpoint "ipc://$T/intake" --retries 20 >/dev/null || echo "send $f failed"
    k=$((k + 1))
    if [ $((k % 3)) = 1 ]; then   # the scorer dies mid-work and comes back
        kill -9 "$spid"; wait "$spid" 2>/dev/null
        start_scorer
    fi
    sleep 0.5
done
"$PCS" refresh --as-of 2025-07-20 --wait --timeout 300 >/dev/null
check "every event is stored and rescored" 'wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0 &&
    [ "$(q "SELECT count(*) FROM events WHERE event_id LIKE '\''race-%'\''")" = "$(ls "$T"/events/*.jsonl | xargs cat | wc -l)" ]'
check "every refresh run finished" 'wait_for "SELECT count(*) FROM refresh_runs WHERE finished_at IS NULL" 0'
check "the notifier read every stored result (the queue is empty)" 'wait_for "SELECT count(*) FROM alert_queue" 0'
mismatch() {
    q "WITH latest AS (SELECT DISTINCT ON (partner_id) partner_id, document FROM score_results
                       WHERE rule_set = 'pcs-2026' ORDER BY partner_id, as_of DESC),
        conds AS (SELECT regexp_replace(e->>'dedup_key', ':[^:]*\$', '') AS k FROM latest,
                       json_array_elements(document::json->'areas') a, json_array_elements(a->'events') e),
        firing AS (SELECT alert_key AS k FROM alerts WHERE state = 'firing' AND event <> 'newly_qualified')
        SELECT (SELECT count(*) FROM conds WHERE k NOT IN (SELECT k FROM firing))
             + (SELECT count(*) FROM firing WHERE k NOT IN (SELECT k FROM conds))"
}
check "no alert lost: the firing alerts are exactly the conditions of the latest stored results" \
    'for _ in $(seq 1 50); do [ "$(mismatch)" = 0 ] && break; sleep 0.2; done; [ "$(mismatch)" = 0 ]'
qualified=$(q "SELECT count(*) FROM events WHERE event_id LIKE 'race-%'")
check "each partner that received its certification has a newly_qualified alert" \
    '[ "$(q "SELECT count(DISTINCT partner_id) FROM alerts WHERE event = '\''newly_qualified'\''")" = "$qualified" ]'
check "its near_threshold resolved, the others' still fire" \
    '[ "$(q "SELECT count(*) FROM alerts a WHERE event = '\''near_threshold'\'' AND state = '\''firing'\''
             AND EXISTS (SELECT 1 FROM events e WHERE e.body->'\''body'\''->>'\''partner_id'\'' = a.partner_id AND e.event_id LIKE '\''race-%'\'')")" = 0 ] &&
     [ "$(q "SELECT count(*) FROM alerts WHERE event = '\''near_threshold'\'' AND state = '\''firing'\''")" = "$((PARTNERS - qualified))" ]'
echo "race: $PARTNERS partners, $qualified events, $(q "SELECT count(*) FROM alerts") alerts ($(q "SELECT count(*) FROM alerts WHERE state = 'resolved'") resolved), $(q "SELECT count(*) FROM notifications") notifications, scorer killed $(( (k + 2) / 3 )) times"
finish
