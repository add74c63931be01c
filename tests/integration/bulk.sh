#!/usr/bin/env bash
# Issue 18.8, a fault test: a bulk usage load (2,000,000 rows touching 2,000 partners) through the real
# pcs-ingest makes the scorer rescore every partner it touched. The scorer must do that like a refresh
# (a rescoring run cut into slices, a few partners per turn of its loop) and keep answering control
# requests meanwhile; a `pcs refresh --wait` asked for right after it completes. No timing is asserted:
# the bounds are liveness bounds for a loaded machine.
# usage: bulk.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer
set -u
PCS=$1
INGEST=$2
SCORER=$3
NAME=bulk PIDS="ipid spid"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
ingest_conf >"$T/ingest.conf"
{ scorer_endpoints; cat <<EOF
rule_sets = pcs-2026
today = 2026-11-20
refresh_day = 0
slice_partners = 500
batch_partners = 50
coalesce_ms = 20
EOF
} >"$T/scorer.conf"

# 2,000 partners with 4 tenants each (customers and associations written directly: the point is the
# usage file), then 10 workloads x 25 months of usage per tenant
P=2000
q "INSERT INTO partners (partner_id) SELECT 'bp' || lpad(i::text, 5, '0') FROM generate_series(0, $P - 1) i;
   INSERT INTO customers SELECT 'bp' || lpad((t % $P)::text, 5, '0'), 'bt' || lpad(t::text, 6, '0'), 'c' || t, NULL,
          CASE WHEN t % 3 = 0 THEN 'enterprise' ELSE 'smb' END FROM generate_series(0, 4 * $P - 1) t;
   INSERT INTO associations SELECT partner_id, tenant_id, 'PAL', 'azure/*', date '2024-06-01', NULL FROM customers;" >/dev/null
mkdir -p "$T/spool/incoming"
awk -v n=$((4 * P)) 'BEGIN {
    print "tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units"
    for (t = 0; t < n; t++) for (w = 0; w < 10; w++) for (m = 0; m < 25; m++)
        printf "bt%06d,azure/w%d,%04d-%02d,%d.%02d,0,0,0\n", t, w, 2024 + int((m + 9) / 12), 1 + (m + 9) % 12, 100 + (t * 7 + m * 13) % 2000, m
}' >"$T/usage.csv.tmp"
check "the usage file has 2,000,000 rows" '[ "$(($(wc -l <"$T/usage.csv.tmp") - 1))" = 2000000 ]'

"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
for _ in $(seq 1 100); do [ -S "$T/control" ] && break; sleep 0.1; done
mv "$T/usage.csv.tmp" "$T/spool/incoming/bulk.usage.csv"

# while the file loads and the scorer rescores, it answers every control request
asked=0 unanswered=0 done_at=
for _ in $(seq 1 900); do
    asked=$((asked + 1))
    "$PCS" scorer-status --json >/dev/null 2>>"$T/status.err" || unanswered=$((unanswered + 1))
    if [ "$(q "SELECT count(*) FROM outbox WHERE processed_at IS NULL")" = 0 ] &&
       [ "$(q "SELECT count(*) FROM loaded_files")" = 1 ] &&
       [ "$(q "SELECT count(*) FROM refresh_runs WHERE kind = 'rescore' AND finished_at IS NULL")" = 0 ]; then
        done_at=1
        break
    fi
    sleep 1
done
check "the file loaded: 2,000,000 usage rows" '[ "$(q "SELECT count(*) FROM usage")" = 2000000 ]'
check "the load's outbox became a rescoring run, finished (liveness bound 15 min)" \
    '[ -n "$done_at" ] && [ "$(q "SELECT count(*) FROM refresh_runs WHERE kind = '\''rescore'\'' AND finished_at IS NOT NULL")" -ge 1 ]'
check "the rescoring run scored each of the 2,000 partners once" \
    '[ "$(q "SELECT sum(s.partners_done) FROM refresh_slices s JOIN refresh_runs r USING (run_id) WHERE r.kind = '\''rescore'\''")" = $P ]'
check "the rescoring run was cut into slices of at most batch_partners" \
    '[ "$(q "SELECT count(*) || '\'' '\'' || max(cardinality(s.partners)) FROM refresh_slices s JOIN refresh_runs r USING (run_id) WHERE r.kind = '\''rescore'\''")" = "40 50" ]'
echo "control requests while loading and rescoring: $asked asked, $unanswered unanswered"
check "the scorer answered every control request meanwhile" '[ "$asked" -gt 1 ] && [ "$unanswered" = 0 ]'
[ "$unanswered" = 0 ] || sed 's/^/  status: /' "$T/status.err"
check "every partner has its result as of today" \
    '[ "$(q "SELECT count(*) FROM score_results WHERE as_of = '\''2026-11-20'\'' AND trigger LIKE '\''refresh:%'\''")" = $P ]'

# a refresh asked for right after the load completes
out=$("$PCS" refresh --as-of 2026-11-20 --wait --timeout 900 2>&1); rc=$?
echo "$out" | tail -1
check "pcs refresh --wait completes after the bulk load" '[ $rc -eq 0 ] && [[ "$out" == *"done: $P partners scored"* ]]'
check "the refresh rewrote nothing (same facts, same results)" \
    '[ "$(q "SELECT count(*) FROM score_results WHERE as_of = '\''2026-11-20'\'' AND trigger = (SELECT '\''refresh:'\'' || max(run_id) FROM refresh_runs)")" = 0 ]'
check "the scorer logged no error" '! grep -q "warn scorer" "$T/scorer.log"'
kill "$spid" "$ipid"; wait "$spid" "$ipid" 2>/dev/null; spid= ipid=
finish
