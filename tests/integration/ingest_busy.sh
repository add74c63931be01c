#!/usr/bin/env bash
# pcs-ingest stays responsive while a large file loads (issue 14): the load runs beside the event
# loop, so certification events sent to the intake socket and a control request to pcs-scorer are
# answered while a 2 M-row usage file is still loading; SIGTERM in the middle of that load ends the
# daemon before the load is done, the file's transaction rolls back (no row of it stays), and after
# a restart the file loads completely: nothing lost, nothing doubled. The latencies are printed;
# nothing here is a timing threshold (the order of events is what is asserted).
# usage: ingest_busy.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer [ROWS]
set -u
PCS=$1
INGEST=$2
SCORER=$3
ROWS=${4:-2000000}
NAME=busy PIDS="ipid spid"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
ingest_conf >"$T/ingest.conf"
cat >"$T/scorer.conf" <<CONF
db = "dbname=$DB"
pull_endpoint = ipc://$T/push
control_endpoint = ipc://$T/control
pub_endpoint = ipc://$T/pub
today = 2026-11-20
outbox_poll_ms = 500
CONF
now_ms() { echo $(($(date +%s%N) / 1000000)); }
start_ingest() { "$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!; }
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
start_ingest
for _ in $(seq 1 100); do [ -d "$T/spool/incoming" ] && break; sleep 0.1; done

# ROWS usage rows with distinct keys (50 000 tenants x months), written aside, then renamed in
big=big.usage.csv
awk -v n="$ROWS" 'BEGIN { print "tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units";
    for (i = 0; i < n; i++) { m = int(i / 50000); printf "big-%d,azure/vm,%d-%02d,%d.25,0,%d,%d\n", i % 50000, 2020 + int(m / 12), m % 12 + 1, i % 997, i % 7, i % 5 } }' \
    >"$T/$big"
loaded() { q "SELECT count(*) FROM loaded_files WHERE name = '$big'"; }
# the file's transaction is open: its loaded_files row written, not committed (the rows are parsed,
# then packed and written at the end, pcs_usageload.h)
loading() { q "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.datname = '$DB' AND l.relation = 'loaded_files'::regclass AND l.mode = 'RowExclusiveLock'"; }
mv "$T/$big" "$T/spool/incoming/$big"
t_drop=$(now_ms)
for _ in $(seq 1 1200); do [ "$(loading)" = 1 ] && break; sleep 0.05; done
check "the big file is loading" '[ "$(loading)" = 1 ]'

# ---- answered while loading --------------------------------------------------------------------------
ev() { printf '{"v":1,"type":"cert.earned","id":"%s","ts":"2026-11-20T10:00:00Z","body":{"partner_id":"busy-1","person_id":"%s","certification":"az_admin","earned":"2026-01-0%s"}}\n' "$1" "$2" "$3"; }
for i in 1 2 3; do
    ev "busy-e$i" "p-$i" "$i" >"$T/e$i.jsonl"
    t0=$(now_ms)
    out=$("$PCS" send "$T/e$i.jsonl" --endpoint "ipc://$T/intake" --retries 0 --timeout-ms 60000 2>&1); rc=$?
    t1=$(now_ms)
    state=$(loaded)
    echo "busy: event $i acknowledged in $((t1 - t0)) ms while the file was loading (loaded_files rows for it: $state)"
    check "event $i acknowledged (stored) before the load finished" \
        '[ $rc -eq 0 ] && [[ "$out" == *"1 accepted"* ]] && [ "$state" = 0 ] && [ -e "$T/spool/incoming/$big" ]'
done
t0=$(now_ms)
out=$("$PCS" scorer-status --json 2>&1); rc=$?
t1=$(now_ms)
state=$(loaded)
echo "busy: scorer-status answered in $((t1 - t0)) ms while the file was loading (loaded_files rows for it: $state)"
check "the scorer's control request answered before the load finished" \
    '[ $rc -eq 0 ] && [[ "$out" == *"\"ok\": true"* || "$out" == *"\"ok\":true"* ]] && [ "$state" = 0 ]'

# ---- SIGTERM in the middle of the load -----------------------------------------------------------------
check "still loading when SIGTERM is sent" '[ "$(loading)" = 1 ] && [ "$(loaded)" = 0 ]'
t0=$(now_ms)
kill -TERM "$ipid"
wait "$ipid"; rc=$?
t1=$(now_ms)
ipid=
echo "busy: pcs-ingest exited $((t1 - t0)) ms after SIGTERM ($((t0 - t_drop)) ms into the load)"
check "SIGTERM mid-load: a clean exit" '[ $rc -eq 0 ]'
check "SIGTERM mid-load: it exited before the load finished (the file is still in incoming/, not recorded)" \
    '[ -e "$T/spool/incoming/$big" ] && [ "$(loaded)" = 0 ]'
check "SIGTERM mid-load: the file's transaction rolled back (no row of it stored)" \
    '[ "$(q "SELECT count(*) FROM usage WHERE tenant_id LIKE '\''big-%'\''")" = 0 ]'
check "SIGTERM mid-load: the log says the file stays for the next start" 'grep -q "$big: not loaded now" "$T/ingest.log"'

# ---- after a restart the file loads completely ---------------------------------------------------------
t0=$(now_ms)
start_ingest
wait_for "SELECT count(*) FROM loaded_files WHERE name = '$big'" 1 6000   # liveness bound: 10 minutes
t1=$(now_ms)
echo "busy: after the restart the whole file loaded in $((t1 - t0)) ms"
check "after a restart the file loads completely" \
    '[ "$(q "SELECT rows_loaded FROM loaded_files WHERE name = '\''$big'\''")" = "$ROWS" ] && [ "$(q "SELECT count(*) FROM usage WHERE tenant_id LIKE '\''big-%'\''")" = "$ROWS" ] && [ -e "$T/spool/done/$big" ]'
check "nothing doubled: each event stored once, one file record" \
    '[ "$(q "SELECT count(*) FROM events WHERE event_id LIKE '\''busy-e%'\''")" = 3 ] && [ "$(q "SELECT count(*) FROM certifications WHERE partner_id = '\''busy-1'\''")" = 3 ] && [ "$(q "SELECT count(*) FROM loaded_files")" = 1 ]'
kill -TERM "$ipid" "$spid"
wait "$ipid" "$spid"
ipid= spid=
finish
