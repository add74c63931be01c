#!/usr/bin/env bash
# A month of usage loaded right after a large first load is not planned from statistics that say
# "empty" (sql/0025, issue 13). An ANALYZE that runs while a first load is uncommitted counts none of
# its rows: pg_class then says 0 rows over the pages they fill, and the UPDATE of the stored tenants
# (and its trigger's UPDATE of usage_by_partner) is planned as one row scanned once against the whole
# month scanned for each of its rows. The test makes that state (20,000 tenants tied to partners,
# packed in one transaction that another session analyzes before it commits), shows that the
# UPDATE's plan in it has no index lookup, then has pcs-ingest (as pcs_ingest) load a month for every
# tenant: the daemon must find the statistics stale and analyze both tables before it updates
# (its log says so; pg_class counts the rows), and store the month for every tenant.
# usage: usage_stats.sh PATH/TO/pcs PATH/TO/pcs-ingest
set -u
PCS=$1
INGEST=$2
NAME=usage_stats PIDS="pid"
. "$(dirname "$0")/lib.sh"
N=20000

q "INSERT INTO partners SELECT 'p' || i FROM generate_series(0, 99) i;
   INSERT INTO customers (partner_id, tenant_id, customer_id, segment)
   SELECT 'p' || (n % 100), 't' || lpad(n::text, 6, '0'), 'c' || n, 'smb' FROM generate_series(0, $N - 1) n" >/dev/null
# the first load, committed 3 s after its rows are in; an ANALYZE in between
psql -qAt -d "$DB" -c "BEGIN" \
    -c "INSERT INTO usage_packed (tenant_id, data)
        SELECT 't' || lpad(n::text, 6, '0'), pcs_usage_pack(array_agg('azure/storage'::text), array_agg((date '2025-01-01' + m * interval '1 month')::date),
                                                          array_agg((n + m)::bigint), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
          FROM generate_series(0, $N - 1) n, generate_series(0, 11) m GROUP BY n" \
    -c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null 2>&1 & loader=$!
wait_for "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()" 1
q "ANALYZE usage_packed, usage_by_partner"
wait "$loader"
stale=$(q "SELECT string_agg(relname || ' ' || reltuples || ' ' || (relpages > 0), ', ' ORDER BY relname) FROM pg_class
            WHERE relname IN ('usage_packed', 'usage_by_partner')")
check "the statistics count none of the $N stored tenants ($stale)" \
    '[ "$stale" = "usage_by_partner 0 true, usage_packed 0 true" ] && [ "$(q "SELECT count(*) FROM usage_by_partner")" = $N ]'
plan=$(psql -qAt -d "$DB" -c "BEGIN" -c "CREATE TEMP TABLE usage_upd AS SELECT tenant_id, data FROM usage_packed" \
    -c "SET LOCAL enable_hashjoin = off" -c "SET LOCAL enable_mergejoin = off" \
    -c "EXPLAIN UPDATE usage_packed p SET data = u.data FROM usage_upd u WHERE p.tenant_id = u.tenant_id" -c "ROLLBACK")
check "in that state the UPDATE of the stored tenants is planned without an index lookup per tenant" \
    '! echo "$plan" | grep -q "Index Cond"'

# a month for every tenant, the 13th
{ echo "tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units"
  awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) printf "t%06d,azure/storage,2026-01,%d.00,0,0,0\n", i, i % 7 }'; } >"$T/month.csv"
{ ingest_conf pcs_ingest; echo "log_level = debug"; } >"$T/ingest.conf"
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & pid=$!
for _ in $(seq 1 100); do [ -d "$T/spool/incoming" ] && break; sleep 0.1; done
cp "$T/month.csv" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/m.usage.csv"
wait_for "SELECT count(*) FROM loaded_files WHERE name = 'm.usage.csv'" 1 6000   # a liveness bound: 10 minutes
check "the daemon analyzed both tables before updating the $N tenants" \
    'grep -q "statistics of usage_packed, usage_by_partner counted fewer rows than the $N tenants to update: analyzed" "$T/ingest.log"'
got=$(q "SELECT string_agg(relname || ' ' || (reltuples >= $N), ', ' ORDER BY relname) FROM pg_class
          WHERE relname IN ('usage_packed', 'usage_by_partner')")
check "pg_class counts the stored rows ($got)" '[ "$got" = "usage_by_partner true, usage_packed true" ]'
got=$(q "SELECT count(*) || ' ' || sum(acr_cents) FROM usage WHERE month = '2026-01-01'")
want=$(awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) s += (i % 7) * 100; print n " " s }')
check "the month is stored for every tenant ($got, want $want)" '[ "$got" = "$want" ]'
got=$(q "SELECT count(*) FROM usage_by_partner b JOIN usage_packed p USING (tenant_id) WHERE b.data = p.data")
check "every pair holds its tenant's new usage ($got)" '[ "$got" = $N ]'
kill "$pid"; wait "$pid" 2>/dev/null; pid=
finish
