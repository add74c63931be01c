#!/usr/bin/env bash
# usage_by_partner (sql/0018) is derived data kept by triggers: a row per (partner, tenant) tied by a
# customer row or an association, holding the tenant's packed usage. This checks that it always
# equals that definition:
#   1. after each of 4,000 random statements of every kind the triggers see (insert, update of the
#      key or of anything else, delete, of one row or many, ON CONFLICT, TRUNCATE) on customers,
#      associations and usage_packed, from a fixed seed;
#   2. that the check can fail: with one trigger disabled, a change of usage leaves the pairs stale;
#   3. two transactions that add a pair's halves at the same time (an association and the tenant's
#      first usage), in both orders: the pair is there after both commit;
#   4. the daemon's role writes none of it directly, yet its statements keep it (SECURITY DEFINER).
# usage: usage_pairs.sh PATH/TO/pcs
set -u
PCS=$1
NAME=usage_pairs PIDS="bg"
. "$(dirname "$0")/lib.sh"

DIFF=$PAIRS_DIFF

q "INSERT INTO partners SELECT 'p' || i FROM generate_series(0, 11) i" >/dev/null

# ---- 1. random statements ------------------------------------------------------------------------------
psql -qAt -v ON_ERROR_STOP=1 -d "$DB" >"$T/random.out" 2>&1 <<SQL
CREATE TEMP TABLE tally (kind text PRIMARY KEY, n int NOT NULL DEFAULT 0);
CREATE TEMP TABLE bad (step int, kind text, n bigint);
CREATE FUNCTION pg_temp.r(n int) RETURNS int LANGUAGE sql AS 'SELECT floor(random() * n)::int';
DO \$\$
DECLARE
    k int; p text; t text; what text; n bigint;
BEGIN
    PERFORM setseed(0.4242);
    FOR step IN 1 .. 4000 LOOP
        k := pg_temp.r(17);
        p := 'p' || pg_temp.r(12);
        t := 't' || pg_temp.r(30);
        CASE k
        WHEN 0 THEN what := 'customer insert';
            INSERT INTO customers (partner_id, tenant_id, customer_id, segment) VALUES (p, t, 'c', 'smb')
            ON CONFLICT (partner_id, tenant_id) DO UPDATE SET segment = 'enterprise';
        WHEN 1 THEN what := 'customers insert, many';
            INSERT INTO customers (partner_id, tenant_id, customer_id, segment)
            SELECT DISTINCT ON (1, 2) 'p' || pg_temp.r(12), 't' || pg_temp.r(30), 'c', 'smb' FROM generate_series(1, 6)
            ON CONFLICT (partner_id, tenant_id) DO UPDATE SET customer_id = 'c2';
        WHEN 2 THEN what := 'customer delete';
            DELETE FROM customers WHERE partner_id = p AND tenant_id >= t AND tenant_id < t || '5';
        WHEN 3 THEN what := 'customer key update';
            UPDATE customers SET tenant_id = t WHERE partner_id = p AND tenant_id = (SELECT min(tenant_id) FROM customers WHERE partner_id = p)
               AND NOT EXISTS (SELECT 1 FROM customers WHERE partner_id = p AND tenant_id = t);
        WHEN 4 THEN what := 'customer partner update';
            UPDATE customers c SET partner_id = p WHERE (c.partner_id, c.tenant_id) IN (SELECT partner_id, tenant_id FROM customers WHERE tenant_id = t LIMIT 1)
               AND NOT EXISTS (SELECT 1 FROM customers WHERE partner_id = p AND tenant_id = t);
        WHEN 5 THEN what := 'customer other update';
            UPDATE customers SET customer_name = 'n' || step WHERE tenant_id = t;
        WHEN 6 THEN what := 'association insert';
            INSERT INTO associations (partner_id, tenant_id, association_type, workload, start_date, end_date)
            VALUES (p, t, (ARRAY['PAL','DPOR','CSP_T1'])[1 + pg_temp.r(3)], 'azure/*', date '2025-01-01' + pg_temp.r(3), NULL)
            ON CONFLICT DO NOTHING;
        WHEN 7 THEN what := 'association delete';
            DELETE FROM associations WHERE ctid = (SELECT ctid FROM associations WHERE partner_id = p ORDER BY tenant_id LIMIT 1);
        WHEN 8 THEN what := 'associations delete, many';
            DELETE FROM associations WHERE partner_id = p AND tenant_id > t;
        WHEN 9 THEN what := 'association end update';
            UPDATE associations SET end_date = date '2026-01-31' WHERE tenant_id = t;
        WHEN 10 THEN what := 'association key update';
            UPDATE associations SET tenant_id = t WHERE ctid = (SELECT ctid FROM associations WHERE partner_id = p LIMIT 1)
               AND NOT EXISTS (SELECT 1 FROM associations WHERE partner_id = p AND tenant_id = t);
        WHEN 11 THEN what := 'usage insert';
            INSERT INTO usage_packed (tenant_id, data) VALUES (t, 'azure/storage' || chr(29) || '24300,' || step || ',0,0,0')
            ON CONFLICT (tenant_id) DO UPDATE SET data = excluded.data;
        WHEN 12 THEN what := 'usage insert, many';
            INSERT INTO usage_packed (tenant_id, data)
            SELECT DISTINCT ON (1) 't' || pg_temp.r(30), 'm365/teams' || chr(29) || '24301,0,0,' || step || ',1' FROM generate_series(1, 8)
            ON CONFLICT (tenant_id) DO NOTHING;
        WHEN 13 THEN what := 'usage update';
            UPDATE usage_packed SET data = data || chr(31) || (24400 + step) || ',1,0,0,0' WHERE tenant_id >= t AND tenant_id < t || '9';
        WHEN 14 THEN what := 'usage delete';
            DELETE FROM usage_packed WHERE tenant_id = t;
        WHEN 15 THEN what := 'update to the same';
            UPDATE usage_packed SET data = data WHERE tenant_id = t;
        ELSE
            IF pg_temp.r(20) = 0 THEN
                what := 'truncate';
                CASE pg_temp.r(3) WHEN 0 THEN TRUNCATE customers; WHEN 1 THEN TRUNCATE associations; ELSE TRUNCATE usage_packed; END CASE;
            ELSE
                what := 'nothing changed';
                UPDATE customers SET segment = 'smb' WHERE false;
            END IF;
        END CASE;
        INSERT INTO tally VALUES (what, 1) ON CONFLICT ON CONSTRAINT tally_pkey DO UPDATE SET n = tally.n + 1;
        EXECUTE \$q\$$DIFF\$q\$ INTO n;
        IF n <> 0 THEN INSERT INTO bad VALUES (step, what, n); END IF;
    END LOOP;
END
\$\$;
SELECT 'kinds ' || count(*) || ' min ' || min(n) FROM tally;
SELECT 'bad ' || count(*) || coalesce(' first: step ' || min(step), '') FROM bad;
SELECT 'pairs ' || (SELECT count(*) FROM usage_by_partner);
SELECT 'bad step ' || step || ' ' || kind || ' ' || n FROM bad ORDER BY step LIMIT 5;
SQL
out=$(cat "$T/random.out")
check "the random statements ran ($(head -c 300 <<<"$out"))" '[[ "$out" == *"kinds 18 min "* ]]'
check "every kind of statement ran, TRUNCATE at least 10 times ($(grep kinds <<<"$out"))" '[ "$(sed -n "s/^kinds 18 min //p" <<<"$out")" -ge 10 ] 2>/dev/null'
check "after each of 4,000 statements the pairs are as defined ($(grep -E "^bad" <<<"$out" | tr "\n" " "))" '[[ "$out" == *"bad 0"* ]]'
check "the pairs were not all empty at the end ($(grep pairs <<<"$out"))" '[ "$(sed -n "s/^pairs //p" <<<"$out")" -gt 10 ] 2>/dev/null'

# ---- 2. the check fails when a trigger is missing ---------------------------------------------------------
q "INSERT INTO customers (partner_id, tenant_id, customer_id, segment) VALUES ('p0', 'solo', 'c', 'smb');
   INSERT INTO usage_packed VALUES ('solo', 'azure/storage' || chr(29) || '24300,1,0,0,0') ON CONFLICT (tenant_id) DO NOTHING" >/dev/null
q "ALTER TABLE usage_packed DISABLE TRIGGER usage_packed_pairs_update" >/dev/null
q "UPDATE usage_packed SET data = 'azure/storage' || chr(29) || '24300,2,0,0,0' WHERE tenant_id = 'solo'" >/dev/null
got=$(q "$DIFF")
check "without its trigger a change of usage leaves a pair stale (difference $got)" '[ "$got" = 2 ]'
q "ALTER TABLE usage_packed ENABLE TRIGGER usage_packed_pairs_update" >/dev/null
q "UPDATE usage_packed SET data = 'azure/storage' || chr(29) || '24300,3,0,0,0' WHERE tenant_id = 'solo'" >/dev/null
got=$(q "$DIFF")
check "with it the next change mends it (difference $got)" '[ "$got" = 0 ]'

# ---- 3. a pair's halves added by two transactions at once, in both orders ------------------------------------
# held: until the background transaction has run its statement and sleeps, its transaction open
held() { wait_for "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
                   AND query = 'SELECT pg_sleep(2)'" 1 100; }
# $1 runs first and holds its transaction open for 2 s; $2 starts while it is open
race() {
    psql -qAt -d "$DB" -c "BEGIN" -c "$1" -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null 2>"$T/race.err" & bg=$!
    held
    local t0; t0=$(date +%s.%N)
    q "$2" >/dev/null 2>>"$T/race.err"
    waited=$(echo "$(date +%s.%N) - $t0 > 1" | bc)
    wait "$bg"; bg=
}
race "INSERT INTO associations VALUES ('p1', 'late-u', 'PAL', 'azure/*', '2025-01-01', NULL)" \
     "INSERT INTO usage_packed VALUES ('late-u', 'azure/storage' || chr(29) || '24300,5,0,0,0')"
got=$(q "SELECT count(*) FROM usage_by_partner WHERE partner_id = 'p1' AND tenant_id = 'late-u'")
check "association first, usage while it is open: the pair is there ($got; the second waited: $waited; $(head -c 200 "$T/race.err"))" '[ "$got" = 1 ] && [ "$waited" = 1 ]'
race "INSERT INTO usage_packed VALUES ('late-a', 'azure/storage' || chr(29) || '24300,6,0,0,0')" \
     "INSERT INTO customers (partner_id, tenant_id, customer_id, segment) VALUES ('p2', 'late-a', 'c', 'smb')"
got=$(q "SELECT count(*) FROM usage_by_partner WHERE partner_id = 'p2' AND tenant_id = 'late-a'")
check "usage first, customer while it is open: the pair is there ($got; the second waited: $waited)" '[ "$got" = 1 ] && [ "$waited" = 1 ]'
race "UPDATE usage_packed SET data = 'azure/storage' || chr(29) || '24300,7,0,0,0' WHERE tenant_id = 'late-a'" \
     "INSERT INTO associations VALUES ('p3', 'late-a', 'PAL', 'azure/*', '2025-01-01', NULL)"
got=$(q "$DIFF")
check "a change of usage beside a new association: every pair has the new data (difference $got)" '[ "$got" = 0 ]'
# a statement that changes none of the three tables does not wait for an open load
psql -qAt -d "$DB" -c "BEGIN" -c "UPDATE usage_packed SET data = data || '' WHERE tenant_id = 'late-a'" -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null 2>&1 & bg=$!
held
t0=$(date +%s.%N)
q "INSERT INTO customers (partner_id, tenant_id, customer_id, segment) VALUES ('p0', 'solo', 'c', 'smb') ON CONFLICT DO NOTHING" >/dev/null
waited=$(echo "$(date +%s.%N) - $t0 > 1" | bc)
wait "$bg"; bg=
check "an insert that adds no row does not wait for the lock (waited: $waited)" '[ "$waited" = 0 ]'

# ---- 4. the daemons' roles -------------------------------------------------------------------------------------
got=$(q "SELECT has_table_privilege('pcs_ingest', 'usage_by_partner', 'INSERT') OR has_table_privilege('pcs_ingest', 'usage_by_partner', 'DELETE')
             OR has_table_privilege('pcs_scorer', 'usage_by_partner', 'UPDATE')")
check "no daemon role may write usage_by_partner ($got)" '[ "$got" = f ]'
got=$(q "SELECT has_table_privilege('pcs_scorer', 'usage_by_partner', 'SELECT')")
check "the scorer reads it ($got)" '[ "$got" = t ]'
out=$(psql -qAt -d "$DB" -U pcs_ingest -c "INSERT INTO associations VALUES ('p4', 'solo', 'DPOR', '*', '2025-02-01', NULL)" \
           -c "UPDATE usage_packed SET data = 'azure/storage' || chr(29) || '24300,9,0,0,0' WHERE tenant_id = 'solo'" 2>&1)
got=$(q "SELECT string_agg(partner_id || ':' || split_part(data, ',', 2), ' ' ORDER BY partner_id) FROM usage_by_partner WHERE tenant_id = 'solo'")
check "pcs_ingest's statements keep the pairs ($out; $got)" '[ -z "$out" ] && [ "$got" = "p0:9 p4:9" ]'

finish
