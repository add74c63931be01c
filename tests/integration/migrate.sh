#!/usr/bin/env bash
# pcs migrate against the throwaway PostgreSQL of tests/run: applies every migration once, in
# order, records them, and a second run (or a concurrent one) changes nothing.
# usage: migrate.sh PATH/TO/pcs PATH/TO/pcs-scorer
set -u
PCS=$1 SCORER=$2
: "${PGHOST:?tests/run starts PostgreSQL and sets PGHOST}"
DB=pcs_migrate_$$
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
psql -qAt -d postgres -c "CREATE DATABASE $DB" >/dev/null || { echo "cannot create database"; exit 1; }
trap 'psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null' EXIT
n=$(ls "$(dirname "$0")/../../sql"/[0-9][0-9][0-9][0-9]_*.sql | wc -l)

q() { psql -qAt -d "$DB" -c "$1"; }
out=$("$PCS" migrate --db "dbname=$DB" 2>&1); rc=$?
check "first run applies all $n migrations" '[ $rc -eq 0 ] && [ "$out" = "pcs: migrate: $n migrations applied" ]'
out=$("$PCS" migrate --db "dbname=$DB" 2>&1); rc=$?
check "second run applies nothing ($out)" '[ $rc -eq 0 ] && [ "$out" = "pcs: migrate: 0 migrations applied" ]'
got=$(q "SELECT count(*), count(DISTINCT version) FROM pcs_migrations")
check "each migration recorded once" '[ "$got" = "$n|$n" ]'
got=$(q "SELECT count(*) FROM pg_tables WHERE tablename IN ('customers','associations','usage_packed','certifications','enrollments','loaded_files','rejected_rows','outbox','events')")
check "fact tables exist" '[ "$got" = 9 ]'
got=$(q "SELECT count(*) || '|' || coalesce(sum(acr_cents)::text, '') FROM usage")
check "the usage view reads the packed rows (none yet)" '[ "$got" = "0|" ]'
got=$(q "SELECT string_agg(concat_ws(' ', workload, month, acr_cents, revenue_cents, paid_units, active_units), ';' ORDER BY workload, month)
           FROM pcs_usage_unpack(pcs_usage_pack(ARRAY['m365/teams','azure/sql','azure/sql','azure/sql'], ARRAY[date '2026-01-01', '2026-02-01', '2025-12-01', '2026-02-01'],
                                                ARRAY[1, 2, 3, 4]::bigint[], ARRAY[5, 6, 7, 8]::bigint[], ARRAY[0, 0, 0, 9]::bigint[], ARRAY[-1, 0, 0, 0]::bigint[]))")
check "pcs_usage_pack and pcs_usage_unpack round trip, one key adds up ($got)" \
    '[ "$got" = "azure/sql 2025-12-01 3 7 0 0;azure/sql 2026-02-01 6 14 9 0;m365/teams 2026-01-01 1 5 0 -1" ]'
# the compact form (0024): SQL packs byte for byte what pcs_usage_pack (C) writes in tests/unit/test_common.c
got=$(q "SELECT translate(pcs_usage_pack(ARRAY['m365/teams','azure/sql_database','azure/sql_database','azure/sql_database','m365/teams'],
           ARRAY[date '2025-01-01', '2025-02-01', '2025-01-01', '2025-02-01', '2024-12-01'], ARRAY[0, 150, -5, 50, 9223372036854775807]::bigint[],
           ARRAY[0, 0, 7, 1, 0]::bigint[], ARRAY[20, 0, 0, 0, 1]::bigint[], ARRAY[10, 0, 0, 0, 2]::bigint[]), chr(28) || chr(29) || chr(30) || chr(31), '<>|;')")
check "pcs_usage_pack writes the compact form of the C packer ($got)" \
    '[ "$got" = "<azure/sql_database>24300,-5,7,,;,200,1,,|m365/teams>24299,9223372036854775807,,1,2;,,,20,10" ]'
# both forms read: months from differences of every sign, in every month of the year (an integer
# division, not a numeric one that rounds the second half of a year up), zeros left out
got=$(q "SELECT string_agg(concat_ws(' ', workload, month, acr_cents, revenue_cents, paid_units, active_units), ';')
           FROM pcs_usage_unpack(chr(28) || 'a/x' || chr(29) || '24305,,9,,' || chr(31) || ',1,,,' || chr(31) || '5,,,,-2' || chr(31)
                                 || '-9,3,,,' || chr(31) || '0,4,,,' || chr(30) || 'b/y' || chr(29) || '24311,,,7,')")
check "pcs_usage_unpack reads the compact form ($got)" \
    '[ "$got" = "a/x 2025-06-01 0 9 0 0;a/x 2025-07-01 1 0 0 0;a/x 2025-12-01 0 0 0 -2;a/x 2025-03-01 3 0 0 0;a/x 2025-03-01 4 0 0 0;b/y 2025-12-01 0 0 7 0" ]'
got=$(q "SELECT string_agg(concat_ws(' ', workload, month, acr_cents, revenue_cents, paid_units, active_units), ';')
           FROM pcs_usage_unpack('a/x' || chr(29) || '24305,0,9,0,0' || chr(31) || '24311,1,0,0,0' || chr(30) || 'b/y' || chr(29) || '24290,0,0,7,0')")
check "pcs_usage_unpack reads the form before 0024 ($got)" \
    '[ "$got" = "a/x 2025-06-01 0 9 0 0;a/x 2025-12-01 1 0 0 0;b/y 2024-03-01 0 0 7 0" ]'
got=$(q "EXPLAIN SELECT * FROM usage WHERE tenant_id = 'x'" | grep -o 'rows=[0-9]*' | sort -t= -k2 -n | tail -n 1)
check "a tenant's read of the usage view is planned as a few rows, not a million (JIT): largest estimate $got" \
    '[ -n "$got" ] && [ "${got#rows=}" -lt 1000 ]'
got=$(q "SELECT has_table_privilege('pcs_ingest', 'rejected_rows', 'SELECT')")
check "ingest role cannot read rejected rows back" '[ "$got" = f ]'
got=$(q "SELECT has_table_privilege('pcs_scorer', 'usage', 'INSERT')")
check "scorer role cannot write facts" '[ "$got" = f ]'
got=$(q "SELECT string_agg(proname || ' ' || array_to_string(proconfig, ','), '; ' ORDER BY proname) FROM pg_proc
           WHERE proname IN ('pcs_usage_pairs_of_usage', 'pcs_usage_pairs_of_ties', 'pcs_usage_pairs_rebuild') AND 'work_mem=64MB' = ANY(proconfig)")
check "the triggers of usage_by_partner hash in 64 MB, their other settings kept (0023): $got" \
    '[ "$(echo "$got" | grep -o "work_mem=64MB" | wc -l)" = 3 ] && echo "$got" | grep -q "pcs_usage_pairs_of_usage search_path=public, pg_temp,enable_hashjoin=on,enable_mergejoin=on,jit=off,work_mem=64MB"'

# two concurrent runs on a fresh database: the advisory lock lets exactly one apply each migration
psql -qAt -d postgres -c "DROP DATABASE $DB" >/dev/null && psql -qAt -d postgres -c "CREATE DATABASE $DB" >/dev/null
"$PCS" migrate --db "dbname=$DB" >"/tmp/$DB.a" 2>&1 & a=$!
"$PCS" migrate --db "dbname=$DB" >"/tmp/$DB.b" 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
total=$(( $(grep -o '[0-9]* migration' "/tmp/$DB.a" | cut -d' ' -f1) + $(grep -o '[0-9]* migration' "/tmp/$DB.b" | cut -d' ' -f1) ))
rm -f "/tmp/$DB.a" "/tmp/$DB.b"
check "concurrent runs apply each migration once" '[ $ra -eq 0 ] && [ $rb -eq 0 ] && [ $total -eq $n ]'

# 0011: a row written by a transaction that a refresh slice's facts snapshot does not see holds newer
# facts; the slice's upserts (NOT pcs_written_after_facts(writer)) leave it as it is
q "INSERT INTO score_results (partner_id, rule_set, as_of, document, digest, trigger) VALUES
   ('w-before', 'pcs-2026', '2026-11-20', '{}', 'a', 'refresh:1'), ('w-after', 'pcs-2026', '2026-11-20', '{}', 'a', 'refresh:1')" >/dev/null
snap=$(q "SELECT pg_current_snapshot()")
q "UPDATE score_results SET digest = 'b', writer = pg_current_xact_id() WHERE partner_id = 'w-after'" >/dev/null
after() { psql -qAt -d "$DB" -v ON_ERROR_STOP=1 <<SQL
BEGIN;
SELECT set_config('pcs.facts_snapshot', '$1', true) \g /dev/null
SELECT string_agg(partner_id || '=' || pcs_written_after_facts(writer), ',' ORDER BY partner_id) FROM score_results WHERE partner_id LIKE 'w-%';
COMMIT;
SQL
}
got=$(after "$snap")
check "a result stored after the facts snapshot counts as newer, one stored before does not ($got)" '[ "$got" = "w-after=true,w-before=false" ]'
got=$(after "")
check "without a facts snapshot every row may be written ($got)" '[ "$got" = "w-after=false,w-before=false" ]'
got=$(after "$(q "SELECT pg_current_snapshot()")")
check "a snapshot taken after both writes sees them both ($got)" '[ "$got" = "w-after=false,w-before=false" ]'

# 0014: scoring_certs as one left join gives the rows of 0003's join plus anti-join, over every
# combination of earned/expiry dates against 0, 1 or 2 link periods (open or closed), generated
q "INSERT INTO partners (partner_id) VALUES ('lk')" >/dev/null
q "INSERT INTO certifications (partner_id, person_id, certification, earned, expires)
   SELECT 'lk', 'p' || per, 'c' || e || '-' || coalesce(x::text, 'n'), date '2026-01-01' + e * 10,
          CASE WHEN x IS NULL THEN NULL ELSE date '2026-01-01' + e * 10 + x * 15 END
     FROM generate_series(0, 8) per, generate_series(0, 6) e, (VALUES (NULL::int), (1), (3), (6), (12)) v(x)" >/dev/null
q "INSERT INTO person_links (partner_id, person_id, linked, unlinked) VALUES
   ('lk', 'p1', '2026-01-15', NULL), ('lk', 'p2', '2026-01-15', '2026-02-10'), ('lk', 'p3', '2025-06-01', '2026-01-01'),
   ('lk', 'p4', '2026-01-01', '2026-01-20'), ('lk', 'p4', '2026-02-01', NULL), ('lk', 'p5', '2026-03-01', '2026-03-01'),
   ('lk', 'p6', '2026-02-20', '2026-04-01'), ('lk', 'p6', '2026-05-01', '2026-06-01'), ('lk', 'p7', '2027-01-01', NULL)" >/dev/null
old_view="SELECT c.partner_id, c.person_id, c.certification, greatest(c.earned, l.linked) AS earned,
       CASE WHEN l.unlinked IS NULL THEN c.expires WHEN c.expires IS NULL OR c.expires >= l.unlinked THEN l.unlinked - 1
            ELSE c.expires END AS expires
  FROM certifications c JOIN person_links l ON l.partner_id = c.partner_id AND l.person_id = c.person_id
 WHERE (l.unlinked IS NULL OR l.unlinked > greatest(c.earned, l.linked)) AND (c.expires IS NULL OR c.expires >= l.linked)
UNION ALL
SELECT c.partner_id, c.person_id, c.certification, c.earned, c.expires FROM certifications c
 WHERE NOT EXISTS (SELECT 1 FROM person_links l WHERE l.partner_id = c.partner_id AND l.person_id = c.person_id)"
got=$(q "SELECT (SELECT count(*) FROM ($old_view) o) || '|' || (SELECT count(*) FROM scoring_certs)
          || '|' || (SELECT count(*) FROM (($old_view) EXCEPT ALL SELECT * FROM scoring_certs) x)
          || '|' || (SELECT count(*) FROM (SELECT * FROM scoring_certs EXCEPT ALL ($old_view)) y)")
check "scoring_certs (one left join) has exactly the rows of the join plus anti-join (old|new|missing|extra: $got)" \
    '[ "${got%%|*}" -gt 100 ] && [ "$got" = "${got%%|*}|${got%%|*}|0|0" ]'

# 0015: the scorer's facts stream applies the view's rules itself (both tables restricted to the
# scope, so they merge): its certification rows (kind X) for the partner are exactly the view's
# (the scorer reads it in binary; psql prints it as text here, the same rows)
list_sql=$("$SCORER" --print-facts-sql - | awk '/^-- or a list of partners:/ {getline; print}')
list_sql=${list_sql%;}
list_sql=${list_sql% (FORMAT binary)}
stream_x=$(psql -qAt -d "$DB" <<SQL | awk -F'\t' '$2 == "X" {print $1 "|" $3 "|" $4 "|" $5 "|" ($6 == "\\N" ? "" : $6)}' | sort
SELECT set_config('pcs.facts_m0', '2024-01-01', false), set_config('pcs.facts_m1', '2026-10-01', false),
       set_config('pcs.facts_s0', '2026-01-01', false), set_config('pcs.facts_d', '2026-11-20', false),
       set_config('pcs.facts_rules', '{pcs-2026}', false), set_config('pcs.facts_lo', '', false),
       set_config('pcs.facts_hi', '', false), set_config('pcs.facts_after', '', false),
       set_config('pcs.facts_partners', '{lk}', false) \g /dev/null
${list_sql}
SQL
)
view_x=$(q "SELECT partner_id || '|' || person_id || '|' || certification || '|' || earned || '|' || coalesce(expires::text, '')
              FROM scoring_certs WHERE partner_id = 'lk'" | sort)
check "the facts stream's certification rows are the view's ($(wc -l <<<"$stream_x") rows)" \
    '[ "$(wc -l <<<"$view_x")" -gt 100 ] && [ "$stream_x" = "$view_x" ]'

out=$("$PCS" migrate --db "dbname=no_such_db_$$" 2>&1); rc=$?
check "unreachable database is a clear error" '[ $rc -eq 1 ] && [[ "$out" == "pcs: migrate: cannot connect to PostgreSQL"* ]]'

echo "migrate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
