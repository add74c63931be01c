#!/usr/bin/env bash
# Soak test (issue 18; not in CI): the whole stack under load while its daemons are killed.
#
# PARTNERS copies of scoring.md Example 3's partner (Security 62.73, one certification short of 70)
# are loaded and refreshed. Then for MINUTES: each partner in turn receives the certification that
# makes Security qualify (over ZeroMQ, `pcs send` retrying until acknowledged), a usage file with
# one new row is dropped into the spool every second, a full refresh is started every 20 s, and
# every few seconds a random daemon (pcs-ingest, pcs-scorer or pcs-notifier) is killed with
# SIGKILL and started again. At the end the stack runs undisturbed until it has caught up, and:
#   every acknowledged event is stored once;          every stored event has its alert
#   (newly_qualified, Security, that partner) once;   every dropped usage row is stored once.
# Prints the counts and exits non-zero when anything was lost or doubled.
#
#   bench/soak.sh [MINUTES] [PARTNERS]                 (defaults 10 and 300)
# Build first: cmake -S . -B build/bench -DPCS_BENCH=ON -DPCS_TESTS=OFF -DCMAKE_BUILD_TYPE=Release
# With CURVE: SOAK_CURVE=1 (keys made in the temp dir, every socket CURVE).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MINUTES=${1:-10}
N=${2:-300}
BUILD=${BUILD:-build/bench}
PCS=$BUILD/cli/pcs
[ -x "$PCS" ] && [ -x "$BUILD/notifier/pcs-notifier" ] ||
    { echo "build first: cmake -S . -B $BUILD -DPCS_BENCH=ON -DPCS_TESTS=OFF -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD -j"; exit 2; }
NAME=soak PIDS="ipid spid npid" PORT_OWN=54334
. bench/lib.sh
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
CURVE=
if [ -n "${SOAK_CURVE:-}" ]; then
    "$PCS" keys "$T/keys" >/dev/null
    export PCS_CURVE_DIR=$T/keys
    CURVE="curve_keys_dir = $T/keys"
fi

# ---- N copies of Example 3's partner, as feeds --------------------------------------------------------
mkdir -p "$T/one" "$T/spool/incoming" "$T/all"
python3 tests/integration/doc2feeds.py tests/data/ex3_security/input.json ex3 "$T/one"
for kind in customers.csv associations.csv usage.csv enrollments.csv certs.jsonl; do
    awk -v n="$N" -v csv="$([[ $kind == *.csv ]] && echo 1)" '
        NR == 1 && csv { print; next } { body[++k] = $0 }
        END { for (i = 0; i < n; i++) for (j = 1; j <= k; j++) { l = body[j]; gsub(/ex3/, sprintf("s%05d", i), l); print l } }' \
        "$T/one/ex3.$kind" >"$T/all/soak.$kind"
done
cat >"$T/ingest.conf" <<EOF
db = "dbname=$DB"
spool_dir = $T/spool
intake_endpoint = ipc://$T/intake
push_endpoint = ipc://$T/push
scan_interval_ms = 200
$CURVE
EOF
cat >"$T/scorer.conf" <<EOF
db = "dbname=$DB"
pull_endpoint = ipc://$T/push
control_endpoint = ipc://$T/control
pub_endpoint = ipc://$T/pub
today = 2025-07-20
refresh_day = 0
outbox_poll_ms = 1000
$CURVE
EOF
cat >"$T/notifier.conf" <<EOF
db = "dbname=$DB"
sub_endpoint = ipc://$T/pub
today = 2025-07-20
catch_up_ms = 1000
settle_ms = 2000
log_min_severity = off
file_path = $T/alerts.jsonl
file_min_severity = info
$CURVE
EOF
start() { # start ingest|scorer|notifier
    local v=${1:0:1}pid
    "$BUILD/$1/pcs-$1" --config "$T/$1.conf" 2>>"$T/$1.log" &
    printf -v "$v" '%s' $!
}
start ingest; start scorer; start notifier
sleep 0.5
for f in "$T"/all/*.csv "$T"/all/*.certs.jsonl; do
    cp "$f" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/$(basename "$f")"
    while [ -e "$T/spool/incoming/$(basename "$f")" ]; do sleep 0.05; done
done
for _ in $(seq 1 3000); do [ "$(q "SELECT count(*) FROM outbox WHERE processed_at IS NULL")" = 0 ] && break; sleep 0.1; done
"$PCS" refresh --as-of 2025-07-20 --wait --timeout 600 >/dev/null
echo "soak: $N partners loaded and scored; ${MINUTES} min of events, usage files, refreshes and kills"

# ---- the load, with kills -------------------------------------------------------------------------------
end=$(($(date +%s) + MINUTES * 60))
sent=0 acked=0 files=0 kills=0 refreshes=0 next_kill=$(($(date +%s) + 3)) next_refresh=$(($(date +%s) + 20))
while [ "$(date +%s)" -lt "$end" ]; do
    now=$(date +%s)
    if [ "$sent" -lt "$N" ]; then
        p=$(printf 's%05d' "$sent")
        printf '{"v":1,"type":"cert.earned","id":"soak-%s","ts":"2025-07-20T09:00:00Z","body":{"partner_id":"%s","person_id":"N1","certification":"identity_admin","earned":"2025-07-01","expires":"2026-07-01"}}\n' \
            "$p" "$p" >"$T/ev.jsonl"
        sent=$((sent + 1))
        "$PCS" send "$T/ev.jsonl" --endpoint "ipc://$T/intake" --retries 30 --timeout-ms 2000 >/dev/null 2>&1 && acked=$((acked + 1))
    fi
    printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\nsoak-t%d,azure/storage,2025-06,1,0,0,0\n' "$files" \
        >"$T/spool/incoming/.u.tmp" && mv "$T/spool/incoming/.u.tmp" "$T/spool/incoming/soak-$files.usage.csv"
    files=$((files + 1))
    if [ "$now" -ge "$next_refresh" ]; then
        "$PCS" refresh --as-of 2025-07-20 >/dev/null 2>&1 && refreshes=$((refreshes + 1))
        next_refresh=$((now + 20))
    fi
    if [ "$now" -ge "$next_kill" ]; then
        d=$(shuf -n1 -e ingest scorer notifier); v=${d:0:1}pid
        kill -9 "${!v}" 2>/dev/null || true; wait "${!v}" 2>/dev/null || true
        sleep "0.$((RANDOM % 9))"
        start "$d"
        kills=$((kills + 1))
        next_kill=$((now + 2 + RANDOM % 5))
    fi
    sleep 0.2
done

# ---- undisturbed until caught up ------------------------------------------------------------------------
for _ in $(seq 1 3000); do
    [ -z "$(ls "$T/spool/incoming")" ] && [ "$(q "SELECT count(*) FROM outbox WHERE processed_at IS NULL")" = 0 ] &&
        [ "$(q "SELECT count(*) FROM refresh_runs WHERE finished_at IS NULL")" = 0 ] 2>/dev/null && break
    sleep 0.2
done
sleep 10   # the notifier's settle and catch-up periods
stored=$(q "SELECT count(*) FROM events WHERE event_id LIKE 'soak-%'")
alerts=$(q "SELECT count(DISTINCT partner_id) FROM alerts WHERE event = 'newly_qualified' AND area = 'security' AND partner_id LIKE 's0%'")
doubled_alerts=$(q "SELECT count(*) FROM (SELECT partner_id FROM alerts WHERE event = 'newly_qualified' AND area = 'security' AND partner_id LIKE 's0%' GROUP BY 1 HAVING count(*) > 1) x")
missing_alerts=$(q "SELECT count(*) FROM events e WHERE e.event_id LIKE 'soak-%' AND NOT EXISTS (SELECT 1 FROM alerts a
                    WHERE a.event = 'newly_qualified' AND a.area = 'security' AND a.partner_id = e.body->'body'->>'partner_id')")
rows=$(q "SELECT count(*) FROM usage WHERE tenant_id LIKE 'soak-t%'")
loaded=$(q "SELECT count(*) FROM loaded_files WHERE name LIKE 'soak-%.usage.csv'")
lost_events=$((acked - stored))
echo "soak: ${MINUTES} min, $kills kills, $refreshes refreshes started"
echo "soak: events sent $sent, acknowledged $acked, stored $stored (lost $lost_events)"
echo "soak: alerts newly_qualified $alerts for $stored stored events (missing $missing_alerts, doubled $doubled_alerts)"
echo "soak: usage files dropped $files, loaded $loaded, rows stored $rows (lost $((files - rows)))"
[ "$lost_events" -eq 0 ] && [ "$missing_alerts" -eq 0 ] && [ "$doubled_alerts" -eq 0 ] && [ "$rows" -eq "$files" ] &&
    [ "$loaded" -eq "$files" ]
