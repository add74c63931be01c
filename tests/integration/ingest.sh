#!/usr/bin/env bash
# pcs-ingest end to end, with the real daemon, the throwaway PostgreSQL of tests/run and ZeroMQ
# over ipc in a temp dir: every feed kind, restatement, duplicates, malformed rows, failed files,
# .gz, JSON Lines events, events over ZeroMQ (dedup, refused while PostgreSQL is down), kill -9
# during a large load, `pcs rejects`, and the Partner Center exports of tests/data/pc/ingest_sample.
# usage: ingest.sh PATH/TO/pcs PATH/TO/pcs-ingest
set -u
PCS=$1
INGEST=$2
NAME=ingest PIDS="pid pid2 locker"
. "$(dirname "$0")/lib.sh"
{ ingest_conf; echo "max_line_bytes = 4096"; } >"$T/ingest.conf"
out=$("$INGEST" --help); rc=$?
check "pcs-ingest --help" '[ $rc -eq 0 ] && [[ "$out" == "usage: pcs-ingest"* ]]'
printf 'db = x\nspool_dirr = /tmp\n' >"$T/typo.conf"
out=$("$INGEST" --config "$T/typo.conf" 2>&1); rc=$?
check "a typo in the config is fatal with file:line" '[ $rc -eq 2 ] && [[ "$out" == *"typo.conf:2: spool_dirr: unknown key"* ]]'
start() { "$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & pid=$!; }
# wait_gone NAME [TENTHS]: until the file has left incoming/ (60 s by default: liveness only)
wait_gone() {
    for _ in $(seq 1 "${2:-600}"); do [ -e "$T/spool/incoming/$1" ] || return 0; sleep 0.1; done
    return 1
}
drop() { # drop NAME: write under a temporary name, then rename (how feeds should be delivered)
    cat >"$T/spool/incoming/.$1.tmp" && mv "$T/spool/incoming/.$1.tmp" "$T/spool/incoming/$1" && wait_gone "$1"
}
start
for _ in $(seq 1 50); do [ -d "$T/spool/incoming" ] && break; sleep 0.1; done

# ---- each canonical kind -----------------------------------------------------------------------------
printf 'partner_id,tenant_id,customer_id,customer_name,segment\r\n4711,t-1,c-1,"Fabrikam, Inc.",smb\r\n4711,t-2,,Contoso,enterprise\r\n' | drop a.customers.csv
check "customers loaded (CRLF, quoted comma, empty customer id = tenant)" \
    '[ "$(q "SELECT tenant_id||customer_id||customer_name||segment FROM customers ORDER BY 1" | tr "\n" "|")" = "t-1c-1Fabrikam, Inc.smb|t-2t-2Contosoenterprise|" ]'
printf 'partner_id,tenant_id,association_type,workload,start_date,end_date\n4711,t-1,PAL,*,2024-01-15,\n4711,t-2,CSP_T1,azure/sql_database,2024-03-01,2025-02-28\n' | drop b.associations.csv
check "associations loaded" '[ "$(q "SELECT count(*) FROM associations WHERE partner_id = '\''4711'\''")" = 2 ]'
printf '\xef\xbb\xbftenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\nt-1,azure/sql_database,2025-05,1250.50,0,0,0\nt-1,azure/sql_database,2025-05,100,0,0,0\nt-2,m365/teams,2025-05,,,20.7,-3\n' | drop c.usage.csv
check "usage loaded (BOM; same key in one file added up; cents)" '[ "$(q "SELECT acr_cents FROM usage WHERE tenant_id = '\''t-1'\''")" = 135050 ]'
check "units truncated and negatives zeroed" '[ "$(q "SELECT paid_units||'\''/'\''||active_units FROM usage WHERE tenant_id = '\''t-2'\''")" = "20/0" ]'
printf 'partner_id,area,enrolled_date,anniversary_date\n4711,security,2024-09-15,2025-09-15\n' | drop d.enrollments.csv
check "enrollments loaded" '[ "$(q "SELECT anniversary_date FROM enrollments")" = 2025-09-15 ]'
check "each file moved to done/" '[ -e "$T/spool/done/a.customers.csv" ] && [ -e "$T/spool/done/d.enrollments.csv" ]'
check "an outbox row per file naming the partner" '[ "$(q "SELECT count(*) FROM outbox WHERE '\''4711'\'' = ANY(partners)")" = 4 ]'

# ---- restatement and duplicates ---------------------------------------------------------------------
printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\nt-1,azure/sql_database,2025-05,999.995,0,0,0\n' | drop e.usage.csv
check "a later load restates the month (999.995 -> 100000 cents)" '[ "$(q "SELECT acr_cents FROM usage WHERE tenant_id = '\''t-1'\''")" = 100000 ]'
printf 'partner_id,area,enrolled_date,anniversary_date\n4711,security,2024-09-15,2025-10-01\n' | drop f.enrollments.csv
check "restated enrollment replaces the anniversary" '[ "$(q "SELECT anniversary_date FROM enrollments")" = 2025-10-01 ]'
files=$(q "SELECT count(*) FROM loaded_files")
cp "$T/spool/done/e.usage.csv" "$T/spool/incoming/.x" && mv "$T/spool/incoming/.x" "$T/spool/incoming/same-bytes.usage.csv" && wait_gone same-bytes.usage.csv
check "a file with the same SHA-256 is skipped" '[ "$(q "SELECT count(*) FROM loaded_files")" = "$files" ] && [ -e "$T/spool/done/same-bytes.usage.csv" ]'

# ---- after each commit: the outbox row, then a data.changed hint PUSHed to the scorer -------------------
"$PCS" watch "ipc://$T/push" --count 1 --timeout-ms 20000 >"$T/hint.txt" 2>&1 & watcher=$!
sleep 0.5   # the watcher connects; hints sent before it did are dropped by design (the outbox keeps them)
printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\nt-1,azure/storage,2025-03,5,0,0,0\nt-1,azure/storage,2025-02,5,0,0,0\n' | drop hint.usage.csv
wait $watcher
check "data.changed hint names the partner and the months" \
    'grep -q "\"type\":\"data.changed\"" "$T/hint.txt" && grep -q "\"partners\":\[\"4711\"\]" "$T/hint.txt" && grep -q "2025-02" "$T/hint.txt" && grep -q "2025-03" "$T/hint.txt"'
check "the outbox row of a usage file carries its months" \
    '[ "$(q "SELECT array_to_string(ARRAY(SELECT unnest(months) ORDER BY 1), '\''|'\'') FROM outbox ORDER BY outbox_id DESC LIMIT 1")" = "2025-02-01|2025-03-01" ]'

# ---- one file restating a month of a stored tenant, adding a month to another and a new tenant --------
printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\nt-1,azure/storage,2025-03,7,0,0,0\nmix-1,azure/storage,2025-03,1,0,0,0\nt-2,m365/teams,2025-06,0,0,4,4\nt-1,azure/storage,2025-03,0.5,0,0,0\n' | drop mix.usage.csv
check "mixed file: the restated key replaced (and its two rows added up), the stored keys it does not name kept, a new tenant and a new month added" \
    '[ "$(q "SELECT tenant_id||'\'' '\''||workload||'\'' '\''||month||'\'' '\''||acr_cents||'\'' '\''||paid_units FROM usage WHERE tenant_id IN ('\''t-1'\'', '\''t-2'\'', '\''mix-1'\'') ORDER BY 1" | tr "\n" "|")" = "mix-1 azure/storage 2025-03-01 100 0|t-1 azure/sql_database 2025-05-01 100000 0|t-1 azure/storage 2025-02-01 500 0|t-1 azure/storage 2025-03-01 750 0|t-2 m365/teams 2025-05-01 0 20|t-2 m365/teams 2025-06-01 0 4|" ]'

# ---- malformed rows: each rejected with file:line:column and reason, the good rows load ---------------
{
    printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\n'
    printf 'g-1,azure/storage,2025-04,10,0,0,0\n'            # line 2 good
    printf 'g-2,azure/storage,2025-04,10,0,0\n'              # line 3 wrong column count
    printf 'g-3,azure/storage,2025-04,12;5,0,0,0\n'          # line 4 bad number
    printf 'g-4,azure/storage,2025-13,10,0,0,0\n'            # line 5 bad month
    printf 'g-5,azure/st\xc3\x28rage,2025-04,10,0,0,0\n'     # line 6 invalid UTF-8
    printf 'g-6,azure/"x",2025-04,10,0,0,0\n'                # line 7 quote in a field
    printf 'g-7,azure/storage,2025-04,%05000d,0,0,0\n' 1     # line 8 absurd line length
    printf 'g-8,"azure/storage\n",2025-04,10,0,0,0\n'       # lines 9-10 quoted newline in the workload: not a workload id
    printf 'g-9,azure/storage,2025-04,10,0,0,0\n'            # line 11 good
} | drop bad.usage.csv
check "good rows of a malformed file load" '[ "$(q "SELECT count(*) FROM usage WHERE tenant_id IN ('\''g-1'\'', '\''g-9'\'')")" = 2 ]'
rej() { q "SELECT line||':'||col||': '||reason FROM rejected_rows WHERE file_name = 'bad.usage.csv' AND line = $1"; }
check "wrong column count" '[[ "$(rej 3)" == "3:"*"expected 7 columns, found 6" ]]'
check "bad number" '[[ "$(rej 4)" == "4:27: acr_usd: not a number"* ]]'
check "bad month" '[[ "$(rej 5)" == "5:19: month: not a month"* ]]'
check "invalid UTF-8" '[[ "$(rej 6)" == "6:"*"UTF-8"* ]]'
check "quote inside a field" '[[ "$(rej 7)" == "7:"*"quote"* ]]'
check "absurd line length" '[[ "$(rej 8)" == "8:"*"too long"* ]]'
check "a line break in a workload is rejected, naming the rule (issue 18.9)" '[[ "$(rej 9)" == "9:"*"workload: not a workload id"*"azure/storage\\n"* ]]'
check "no other row of that file rejected" '[ "$(q "SELECT count(*) FROM rejected_rows WHERE file_name = '\''bad.usage.csv'\''")" = 7 ]'
printf 'partner_id,tenant_id,association_type,workload,start_date,end_date\n4711,t-9,PALX,*,2024-01-15,\n4711,t-9,PAL,*,2024-02-30,\n4711,t-9,PAL,*,2024-02-01,2024-01-31\n' | drop g.associations.csv
check "unknown association type" '[[ "$(q "SELECT col||'\'': '\''||reason FROM rejected_rows WHERE file_name = '\''g.associations.csv'\'' AND line = 2")" == "10: association_type: unknown association type"* ]]'
check "impossible date" '[[ "$(q "SELECT reason FROM rejected_rows WHERE file_name = '\''g.associations.csv'\'' AND line = 3")" == "start_date: not a date"* ]]'
check "an end before the start" '[ "$(q "SELECT reason FROM rejected_rows WHERE file_name = '\''g.associations.csv'\'' AND line = 4")" = "end_date: 2024-01-31 is before start_date" ]'
printf 'partner_id,area,enrolled_date,anniversary_date\n4711,moon,2024-09-15,2025-09-15\n' | drop h.enrollments.csv
check "unknown area" '[[ "$(q "SELECT reason FROM rejected_rows WHERE file_name = '\''h.enrollments.csv'\''")" == "area: unknown area"* ]]'

# ---- files that cannot be loaded at all ---------------------------------------------------------------
printf 'what,is,this\n1,2,3\n' | drop mystery.csv
check "unknown feed goes to failed/ with a report" '[ -e "$T/spool/failed/mystery.csv" ] && grep -q "unknown feed" "$T/spool/failed/mystery.csv.err"'
head -c 3000 /dev/urandom >"$T/spool/incoming/.r" && mv "$T/spool/incoming/.r" "$T/spool/incoming/random.usage.csv" && wait_gone random.usage.csv
check "random bytes never stop the daemon" 'kill -0 $pid'
printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\nz-1,azure/storage,2025-04,10,0,0,0\n' | gzip | drop z.usage.csv.gz
check ".gz feed loads" '[ "$(q "SELECT acr_cents FROM usage WHERE tenant_id = '\''z-1'\''")" = 1000 ]'
printf '\x1f\x8b\x08\x00garbage' | drop broken.usage.csv.gz
check "corrupt .gz goes to failed/" '[ -e "$T/spool/failed/broken.usage.csv.gz.err" ]'

# ---- certification events: JSON Lines file and ZeroMQ ------------------------------------------------
ev() { printf '{"v":1,"type":"%s","id":"%s","ts":"2026-11-20T10:00:00Z","body":%s}\n' "$1" "$2" "$3"; }
{
    ev cert.earned e-1 '{"partner_id":"4711","person_id":"p-1","certification":"az_admin","earned":"2025-03-01","expires":"2026-03-01"}'
    ev cert.earned e-2 '{"partner_id":"4711","person_id":"p-2","certification":"soa","earned":"2025-04-01"}'
    echo '{"v":1,"type":"cert.earned","id":"e-3"}'
    ev cert.unknown e-4 '{"partner_id":"4711"}'
} | drop h.certs.jsonl
check "JSON Lines events stored" '[ "$(q "SELECT count(*) FROM certifications")" = 2 ]'
check "a person not seen before is linked from earned" '[ "$(q "SELECT linked FROM person_links WHERE person_id = '\''p-1'\''")" = 2025-03-01 ]'
check "bad event lines rejected with reasons" '[ "$(q "SELECT count(*) FROM rejected_rows WHERE file_name = '\''h.certs.jsonl'\''")" = 2 ]'
{
    ev cert.renewed z-1 '{"partner_id":"4711","person_id":"p-1","certification":"az_admin","earned":"2025-03-01","expires":"2027-03-01"}'
    ev person.linked z-2 '{"partner_id":"4711","person_id":"p-3","date":"2025-01-01"}'
} >"$T/events.jsonl"
out=$("$PCS" send "$T/events.jsonl" --endpoint "ipc://$T/intake" 2>&1); rc=$?
check "pcs send: events acknowledged" '[ $rc -eq 0 ] && [[ "$out" == *"2 accepted, 0 not accepted"* ]]'
"$PCS" send "$T/events.jsonl" --endpoint "ipc://$T/intake" >/dev/null 2>&1
check "the same events sent twice are stored once" '[ "$(q "SELECT count(*) FROM events WHERE event_id LIKE '\''z-%'\''")" = 2 ]'
# the acknowledgement is JSON built with jansson: an id with a quote and a backslash still gets a
# valid {"ok":true}, so `pcs send` does not retry an event already stored
ev cert.earned 'q\"u\\ote-1' '{"partner_id":"4711","person_id":"p-7","certification":"soa","earned":"2025-05-01"}' >"$T/quote.jsonl"
out=$("$PCS" send "$T/quote.jsonl" --endpoint "ipc://$T/intake" --retries 0 2>&1); rc=$?
check "an id with a quote and a backslash gets a valid ack at the first attempt" \
    '[ $rc -eq 0 ] && [[ "$out" == *"1 accepted, 0 not accepted"* ]] && [ "$(q "SELECT count(*) FROM events WHERE event_id = '\''q\"u\\ote-1'\''")" = 1 ]'
check "cert.renewed replaced expires" '[ "$(q "SELECT expires FROM certifications WHERE person_id = '\''p-1'\''")" = 2027-03-01 ]'
ev cert.earned bad-1 '{"partner_id":"4711"}' >"$T/bad.jsonl"
out=$("$PCS" send "$T/bad.jsonl" --endpoint "ipc://$T/intake" --retries 0 2>&1); rc=$?
check "an invalid event is refused with a reason" '[ $rc -eq 1 ] && [[ "$out" == *"body.person_id: missing"* ]]'

# ---- PostgreSQL down: events refused, then accepted -------------------------------------------------
if [ -n "${PCS_TEST_PGCTL:-}" ]; then
    $PCS_TEST_PGCTL stop -m fast >/dev/null 2>&1
    ev cert.earned down-1 '{"partner_id":"4711","person_id":"p-9","certification":"soa","earned":"2025-05-01"}' >"$T/down.jsonl"
    out=$("$PCS" send "$T/down.jsonl" --endpoint "ipc://$T/intake" --retries 1 --timeout-ms 500 2>&1); rc=$?
    check "event refused while PostgreSQL is down" '[ $rc -eq 1 ]'
    $PCS_TEST_PGCTL start -w >/dev/null 2>&1
    out=$("$PCS" send "$T/down.jsonl" --endpoint "ipc://$T/intake" --retries 5 --timeout-ms 2000 2>&1); rc=$?
    check "accepted after PostgreSQL returns" '[ $rc -eq 0 ] && [ "$(q "SELECT count(*) FROM events WHERE event_id = '\''down-1'\''")" = 1 ]'
else
    echo "FAIL: PCS_TEST_PGCTL not set (tests/run sets it): cannot test PostgreSQL going down"; fail=$((fail + 1))
fi

# ---- kill -9 during a large load ---------------------------------------------------------------------
awk 'BEGIN { print "tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units";
             for (i = 0; i < 400000; i++) printf "big-%d,azure/storage,2025-0%d,%d.25,0,0,0\n", i % 40000, 1 + i % 9 / 1, i }' \
    | awk -F, 'NR == 1 || !seen[$1 FS $3]++' >"$T/big.csv"
rows=$(($(wc -l <"$T/big.csv") - 1))
# big-0 is stored already (its 2025-01, which the big file restates); a session holds its row, so the
# load blocks in the middle of its writes: the new tenants copied into usage_packed, big-0's UPDATE waiting
printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\nbig-0,azure/storage,2025-01,1,0,0,0\n' | drop big-0.usage.csv
psql -qAt -d "$DB" -c "BEGIN" -c "SELECT 1 FROM usage_packed WHERE tenant_id = 'big-0' FOR UPDATE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 & locker=$!
wait_for "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" 1
mv "$T/big.csv" "$T/spool/incoming/big.usage.csv"
mid=0
for _ in $(seq 1 3000); do   # 300 s: 400 000 rows parsed under ASan on a loaded machine
    if [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE usage_packed%'")" -gt 0 ]; then mid=1; break; fi
    sleep 0.1
done
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$locker" 2>/dev/null; locker=
check "the kill landed in the middle of the load (new tenants written, an UPDATE waiting)" '[ $mid -eq 1 ]'
check "no partial rows after kill -9" '[ "$(q "SELECT count(*)||'\''/'\''||sum(acr_cents) FROM usage WHERE tenant_id LIKE '\''big-%'\''")" = 1/100 ]'
start
wait_gone big.usage.csv 3000   # 400 000 rows on a loaded machine under ASan: minutes, not seconds
check "after restart the file is loaded exactly once" '[ "$(q "SELECT count(*) FROM usage WHERE tenant_id LIKE '\''big-%'\''")" = "$rows" ] && [ "$(q "SELECT count(*) FROM loaded_files WHERE name = '\''big.usage.csv'\''")" = 1 ]'

# ---- two daemons load usage of the same tenants at once: they take turns, no update is lost -------------
{ echo "db = \"dbname=$DB\""; echo "spool_dir = $T/spool2"; echo "intake_endpoint = ipc://$T/intake2"
  echo "push_endpoint = ipc://$T/push2"; echo "scan_interval_ms = 200"; } >"$T/ingest2.conf"
"$INGEST" --config "$T/ingest2.conf" 2>>"$T/ingest2.log" & pid2=$!
usage_of() { # usage_of MONTH ACR: one row for each of the tenants cc-1 .. cc-50
    printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\n'
    for i in $(seq 1 50); do printf 'cc-%d,azure/storage,%s,%s,0,0,0\n' "$i" "$1" "$2"; done
}
usage_of 2025-01 1 | drop cc-base.usage.csv
# both loads wait for the usage lock this session holds, then run one after the other
psql -qAt -d "$DB" -c "SELECT pg_advisory_lock(727004)" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 & locker=$!
wait_for "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" 1
for _ in $(seq 1 100); do [ -d "$T/spool2/incoming" ] && break; sleep 0.1; done
{ usage_of 2025-02 1; usage_of 2025-01 2 | tail -n +2; } >"$T/spool/incoming/.cc-a" && mv "$T/spool/incoming/.cc-a" "$T/spool/incoming/cc-a.usage.csv"
usage_of 2025-03 1 >"$T/spool2/incoming/.cc-b" && mv "$T/spool2/incoming/.cc-b" "$T/spool2/incoming/cc-b.usage.csv"
wait_for "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%727004%' AND pid <> pg_backend_pid()" 2
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$locker" 2>/dev/null; locker=
wait_gone cc-a.usage.csv; for _ in $(seq 1 600); do [ -e "$T/spool2/incoming/cc-b.usage.csv" ] || break; sleep 0.1; done
check "concurrent loads of the same tenants: both files' months kept, the restated one replaced" \
    '[ "$(q "SELECT month||'\'' '\''||count(*)||'\'' '\''||sum(acr_cents) FROM usage WHERE tenant_id LIKE '\''cc-%'\'' GROUP BY month ORDER BY 1" | tr "\n" "|")" = "2025-01-01 50 10000|2025-02-01 50 5000|2025-03-01 50 5000|" ]'
kill -TERM "$pid2"; wait "$pid2"; pid2=

# ---- pcs rejects -----------------------------------------------------------------------------------------
out=$(PCS_DB="dbname=$DB" "$PCS" rejects --file bad.usage.csv --json)
check "pcs rejects --json lists file, line, column, reason, raw" \
    '[[ "$out" == "[{\"file\":\"bad.usage.csv\",\"line\":"* ]] && [[ "$out" == *"\"column\":"* ]] && [[ "$out" == *"\"raw\":\"g-3,azure/storage,2025-04,12;5,0,0,0\""* ]]'
out=$(PCS_DB="dbname=$DB" "$PCS" rejects --file bad.usage.csv)
check "pcs rejects for people: file:line:column: reason" '[[ "$out" == *"bad.usage.csv:4:27: acr_usd: not a number"* ]]'

# ---- Partner Center Insights exports as downloaded (tests/data/pc/ingest_sample) ----------------------
PC=$(cd "$(dirname "$0")/../.." && pwd)/tests/data/pc/ingest_sample
pcq() { q "$1" | tr '\n' '|'; }
drop pc-CustomersAndTenants.csv <"$PC/CustomersAndTenants.csv"
check "CustomersAndTenants: customers of the global account (locations rolled up), top parent as customer id, segments mapped" \
    '[ "$(pcq "SELECT partner_id||'\'' '\''||customer_id||'\'' '\''||customer_name||'\'' '\''||segment FROM customers WHERE partner_id LIKE '\''555%'\'' ORDER BY 1")" = "5550000 10054321 Contoso, Ltd. enterprise|5550000 10081234 Fabrikam Inc smb|" ]'
check "CustomersAndTenants: usage of a mapped product only, duplicate attribution not counted" \
    '[ "$(pcq "SELECT workload||'\'' '\''||month||'\'' '\''||revenue_cents||'\'' '\''||paid_units FROM usage WHERE tenant_id IN ('\''3f2a8c1e-6b1d-4c5e-9a7b-1d2e3f4a5b6c'\'', '\''7c9e6679-7425-40de-944b-e07fc1f90ae7'\'') ORDER BY 1")" = "bizapps/sales 2025-05-01 105000 10|" ]'
check "CustomersAndTenants: unknown product is a rejected row with line, column, reason" \
    '[ "$(q "SELECT line||'\'':'\''||col||'\'': '\''||reason FROM rejected_rows WHERE file_name = '\''pc-CustomersAndTenants.csv'\''")" = "6:165: unknown product '\''Dynamics 365 Quantum Widgets'\'' (add it to rules/pc_workloads.tsv)" ]'
check "CustomersAndTenants: recorded as a customers file, the partners in the outbox" \
    '[ "$(q "SELECT kind||rows_loaded||rows_rejected FROM loaded_files WHERE name = '\''pc-CustomersAndTenants.csv'\''")" = customers41 ] && [ "$(q "SELECT count(*) FROM outbox WHERE partners @> '\''{5550000}'\''")" = 1 ]'
drop pc-AzureUsage.csv <"$PC/AzureUsage.csv"
check "AzureUsage: ACR per tenant x azure/<ServiceLevel2> x month, table overrides the rule" \
    '[ "$(pcq "SELECT workload||'\'' '\''||month||'\'' '\''||acr_cents FROM usage WHERE tenant_id = '\''7c9e6679-7425-40de-944b-e07fc1f90ae7'\'' AND workload LIKE '\''azure/%'\'' ORDER BY 1")" = "azure/sentinel 2025-05-01 30000|azure/sql_database 2025-05-01 130000|" ]'
check "AzureUsage: excluded offers and duplicate attributions skipped and counted, not rejected" \
    '[ "$(q "SELECT count(*) FROM rejected_rows WHERE file_name = '\''pc-AzureUsage.csv'\''")" = 0 ] && grep -q "pc-AzureUsage.csv: Partner Center AzureUsage export, loaded as usage; rows skipped: 2 of excluded offers (AI_OfferType), 1 of duplicate attributions" "$T/ingest.log"'
drop pc-OfficeUsage.csv <"$PC/OfficeUsage.csv"
check "OfficeUsage: paid/active units per workload, renamed products share one id" \
    '[ "$(pcq "SELECT workload||'\'' '\''||paid_units||'\'' '\''||active_units FROM usage WHERE tenant_id = '\''3f2a8c1e-6b1d-4c5e-9a7b-1d2e3f4a5b6c'\'' AND workload LIKE '\''m365/%'\'' ORDER BY 1")" = "m365/exchange_online 40 35|m365/teams_apps 40 18|m365/viva_engage 40 12|" ]'
check "OfficeUsage: recorded as usage, no row rejected" \
    '[ "$(q "SELECT kind||rows_loaded||rows_rejected FROM loaded_files WHERE name = '\''pc-OfficeUsage.csv'\''")" = usage30 ]'
drop pc-TrainingCompletions.csv <"$PC/TrainingCompletions.csv"
check "TrainingCompletions: certifications by MCPID or work email, exams skipped" \
    '[ "$(pcq "SELECT person_id||'\'' '\''||certification||'\'' '\''||earned||'\'' '\''||coalesce(expires::text, '\''-'\'') FROM certifications WHERE partner_id = '\''5550000'\'' ORDER BY 1")" = "1000001 Microsoft Certified: Azure Administrator Associate 2025-03-14 2026-03-14|1000003 Microsoft Certified: Azure Solutions Architect Expert 2025-03-14 2026-03-15|john.roe@adatum.com Microsoft Certified: Security Operations Analyst Associate 2024-11-02 2025-11-02|" ]'
check "TrainingCompletions: people linked from their earliest certification, as cert.earned does" \
    '[ "$(pcq "SELECT person_id||'\'' '\''||linked FROM person_links WHERE partner_id = '\''5550000'\'' ORDER BY 1")" = "1000001 2025-03-14|1000003 2025-03-14|john.roe@adatum.com 2024-11-02|" ]'
check "TrainingCompletions: a D/M/YYYY date read as such, no expiry gives one year with a warning; a cert.changed outbox row names the partner" \
    '[ "$(q "SELECT count(*) FROM rejected_rows WHERE file_name = '\''pc-TrainingCompletions.csv'\''")" = 0 ] && grep -q "pc-TrainingCompletions.csv: 1 certifications without an expiry date expire one year" "$T/ingest.log" && [ "$(q "SELECT count(*) FROM outbox WHERE kind = '\''cert.changed'\'' AND partners = '\''{5550000}'\''")" = 1 ]'
check "exports: every attributed usage row is an association of the global account, open at its latest month" \
    '[ "$(pcq "SELECT left(tenant_id, 4)||'\'' '\''||association_type||'\'' '\''||workload||'\'' '\''||start_date||'\'' '\''||coalesce(end_date::text, '\''open'\'')||'\'' '\''||derived FROM associations WHERE partner_id LIKE '\''555%'\'' ORDER BY 1")" = "3f2a CSP_T1 bizapps/sales 2025-05-01 open true|3f2a CSP_T1 m365/exchange_online 2025-05-01 open true|3f2a CSP_T1 m365/teams_apps 2025-05-01 open true|3f2a CSP_T1 m365/viva_engage 2025-05-01 open true|7c9e PAL azure/sentinel 2025-05-01 open true|7c9e PAL azure/sql_database 2025-05-01 open true|" ]'
printf 'PGAMpnID,SubscriptionId,Month,ServiceName,MeterCategory,CustomerTenantId,MPNId,TotalACR\n5550000,s-1,2025-05-01,SQL Database,SQL Database,t-9,5550001,10\n' | drop pc-old-AzureUsage.csv
check "an export that cannot be credited fails with the reason" \
    '[ -e "$T/spool/failed/pc-old-AzureUsage.csv" ] && grep -q "AzureUsage export without a PartnerAttributionType column" "$T/spool/failed/pc-old-AzureUsage.csv.err"'

# ---- SIGHUP reloads; a broken config is refused and the running one kept ---------------------------------
sed -i 's/^scan_interval_ms = 200/scan_interval_ms = 300/' "$T/ingest.conf"
kill -HUP "$pid"; sleep 0.5
check "SIGHUP reloads the configuration" 'grep -q "info ingest config: reloaded" "$T/ingest.log"'
echo "bogus_key = 1" >>"$T/ingest.conf"
kill -HUP "$pid"; sleep 0.5
check "a broken configuration on SIGHUP is refused, the daemon keeps running" \
    'grep -q "bogus_key: unknown key (keeping the running configuration)" "$T/ingest.log" && kill -0 $pid'
printf 'tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\nhup-1,azure/storage,2025-04,10,0,0,0\n' | drop after-hup.usage.csv
check "still loading after a refused reload" '[ "$(q "SELECT count(*) FROM usage WHERE tenant_id = '\''hup-1'\''")" = 1 ]'

got=$(q "$PAIRS_DIFF"); n=$(q "SELECT count(*) FROM usage_by_partner")
check "usage_by_partner as defined after every load (rows not as defined: $got of $n)" '[ "$got" = 0 ] && [ "$n" -gt 0 ]'
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
check "SIGTERM exits cleanly" '[ $rc -eq 0 ]'
echo "ingest: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "--- daemon log"; tail -n 40 "$T/ingest.log"; false; }
