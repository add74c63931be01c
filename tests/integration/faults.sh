#!/usr/bin/env bash
# Fault tests of issue 18 (the harden items): each section is a defect an audit found, with the
# input that showed it. Real pcs-ingest, the throwaway PostgreSQL of tests/run, ipc sockets in a
# temp dir. Each check failed on the code before its fix (see /work/coord/notes/harden.md).
# usage: faults.sh PATH/TO/pcs PATH/TO/pcs-ingest
set -u
PCS=$1
INGEST=$2
NAME=faults PIDS="pid cpid"
. "$(dirname "$0")/lib.sh"
IN=$T/spool/incoming
# small caps so the bomb stays cheap; everything else at the defaults
# the daemon connects as its own role (sql/0002 + 0010), as in production
{ ingest_conf pcs_ingest
  printf 'settle_ms = 1000\nmax_file_bytes = 16777216\nmax_file_rows = 100000\n'; } >"$T/ingest.conf"
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & pid=$!
for _ in $(seq 1 50); do [ -d "$IN" ] && break; sleep 0.1; done
# wait_gone NAME [TENTHS]: until the file has left incoming/ (a liveness bound, 120 s by default)
wait_gone() {
    for _ in $(seq 1 "${2:-1200}"); do [ -e "$IN/$1" ] || [ -L "$IN/$1" ] || return 0; sleep 0.1; done
    echo "still in incoming/: $1"; return 1
}
drop() { cat >"$IN/.$1.tmp" && mv "$IN/.$1.tmp" "$IN/$1" && wait_gone "$1" "${2:-1200}"; }
rejects_of() { q "SELECT count(*) FROM rejected_rows WHERE file_name = '$1'"; }
USAGE_HDR=tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units

# ---- 18.3 a file copied straight into incoming/ is loaded only once its writer closed it -------------
exec 7>"$IN/half.usage.csv"
printf '%s\n' "$USAGE_HDR" >&7
for i in $(seq 1 50); do printf 'half-%d,azure/storage,2025-04,1,0,0,0\n' "$i" >&7; done
sleep 3   # many scans and more than settle_ms: the old daemon loaded these 50 rows and moved the file
for i in $(seq 51 100); do printf 'half-%d,azure/storage,2025-04,1,0,0,0\n' "$i" >&7; done
exec 7>&-
wait_gone half.usage.csv
check "18.3 a half-written file waits for its writer: all 100 rows, loaded once" \
    '[ "$(q "SELECT count(*) FROM usage WHERE tenant_id LIKE '\''half-%'\''")" = 100 ] && [ "$(q "SELECT count(*) FROM loaded_files WHERE name = '\''half.usage.csv'\''")" = 1 ]'

# ---- 18.4 a stray quote at line 2 of a 40,001-line file (over 1 MiB) costs one line -------------------
awk -v h="$USAGE_HDR" 'BEGIN { print h; print "sq-0,\"azure/storage,2025-04,1,0,0,0";
      for (i = 1; i < 40000; i++) printf "sq-%d,azure/storage,2025-04,%d.25,0,0,0\n", i, i }' | drop stray.usage.csv
check "18.4 stray quote: 39,999 rows loaded, 1 rejected at line 2" \
    '[ "$(q "SELECT rows_loaded||'\''/'\''||rows_rejected FROM loaded_files WHERE name = '\''stray.usage.csv'\''")" = 39999/1 ] && [[ "$(q "SELECT line||'\'':'\''||reason FROM rejected_rows WHERE file_name = '\''stray.usage.csv'\''")" == "2:quoted field not closed"* ]]'

# ---- 18.5 a certification events file of 35,000 events loads whole ---------------------------------
awk 'BEGIN { for (i = 0; i < 35000; i++)
      printf "{\"v\":1,\"type\":\"cert.earned\",\"id\":\"many-%d\",\"ts\":\"2026-11-20T10:00:00Z\",\"body\":{\"partner_id\":\"many\",\"person_id\":\"p-%d\",\"certification\":\"az_admin\",\"earned\":\"2025-03-01\",\"expires\":\"2026-03-01\"}}\n", i, i }' \
    | drop many.certs.jsonl 6000   # ~7 statements an event: seconds on an idle machine, minutes on a loaded one
check "18.5 35,000 events in one file: all stored, none rejected" \
    '[ "$(q "SELECT count(*) FROM certifications WHERE partner_id = '\''many'\''")" = 35000 ] && [ "$(rejects_of many.certs.jsonl)" = 0 ] && [ -e "$T/spool/done/many.certs.jsonl" ]'

# ---- 18.6 a gzip bomb: the caps refuse the rest with a reason, every reject is stored ------------------
awk -v h="$USAGE_HDR" 'BEGIN { print h; for (i = 0; i < 300000; i++) print "bomb,azure/storage,2025-04,not-a-number,0,0,0" }' |
    gzip -9 | drop bomb.usage.csv.gz
check "18.6 rows cap: 100,000 rejected rows stored, as many as counted, and one naming max_file_rows" \
    '[ "$(q "SELECT rows_rejected FROM loaded_files WHERE name = '\''bomb.usage.csv.gz'\''")" = 100001 ] && [ "$(rejects_of bomb.usage.csv.gz)" = 100001 ] && [ "$(q "SELECT count(*) FROM rejected_rows WHERE file_name = '\''bomb.usage.csv.gz'\'' AND line = 100002 AND reason LIKE '\''more than max_file_rows = 100000 rows%'\''")" = 1 ]'
awk -v h="$USAGE_HDR" 'BEGIN { pad = sprintf("%0900d", 0); print h;
      for (i = 0; i < 20000; i++) printf "big-%d,azure/storage,2025-04,1,0,0,0%s\n", i, (i < 10 ? "" : "," pad) }' |
    gzip -9 | drop wide.usage.csv.gz
check "18.6 size cap: the rows before max_file_bytes load, the rest is refused with the reason" \
    '[ "$(q "SELECT count(*) FROM usage WHERE tenant_id LIKE '\''big-%'\''")" = 10 ] && [ "$(q "SELECT count(*) FROM rejected_rows WHERE file_name = '\''wide.usage.csv.gz'\'' AND reason LIKE '\''file larger than max_file_bytes = 16777216 bytes%'\''")" = 1 ]'
check "18.6 the daemon survived both" 'kill -0 $pid'

# ---- 18.9 ids are validated at the edge: no CR/LF (header injection) -----------------------------------
printf 'partner_id,tenant_id,customer_id,customer_name,segment\n"inj\r\nX-Injected: 1",t-inj,c-1,Inj,smb\nok-partner,t-ok,c-2,"Name\x1b[31m",smb\n' |
    drop inj.customers.csv
check "18.9 a partner id with CR/LF is rejected, the reason names the rule" \
    '[ "$(q "SELECT count(*) FROM partners WHERE partner_id LIKE '\''inj%'\''")" = 0 ] && [[ "$(q "SELECT reason FROM rejected_rows WHERE file_name = '\''inj.customers.csv'\'' AND line = 2")" == "partner_id: not an id (1 to 128 characters"*"inj\r\nX-Injected: 1"* ]]'
check "18.9 a name with an escape sequence is rejected" \
    '[[ "$(q "SELECT reason FROM rejected_rows WHERE file_name = '\''inj.customers.csv'\'' AND line = 4")" == "customer_name: control characters"* ]]'
out=$(PCS_DB="dbname=$DB" "$PCS" rejects --file inj.customers.csv)
check "18.9 pcs rejects shows control characters escaped, never raw" \
    '[[ "$out" == *"Name\\x1B[31m"* ]] && [[ "$out" == *"inj\\r\\nX-Injected"* ]] && ! printf "%s" "$out" | grep -q $'"'"'\x1b'"'"' && ! printf "%s" "$out" | grep -q $'"'"'\r'"'"''
ev() { printf '{"v":1,"type":"%s","id":"%s","ts":"2026-11-20T10:00:00Z","body":%s}\n' "$1" "$2" "$3"; }
ev cert.earned inj-1 '{"partner_id":"p\r\nX-Evil: 1","person_id":"p-1","certification":"az_admin","earned":"2025-03-01"}' >"$T/inj.jsonl"
out=$("$PCS" send "$T/inj.jsonl" --endpoint "ipc://$T/intake" --retries 0 2>&1); rc=$?
check "18.9 an event whose partner id holds CR/LF is refused over ZeroMQ" \
    '[ $rc -eq 1 ] && [[ "$out" == *"body.partner_id: not an id"* ]] && [ "$(q "SELECT count(*) FROM events WHERE event_id = '\''inj-1'\''")" = 0 ]'

# ---- 18.13 the spool does not follow symbolic links and loads only regular files ---------------------
printf '%s\nlinked-1,azure/storage,2025-04,1,0,0,0\n' "$USAGE_HDR" >"$T/outside.usage.csv"
ln -s "$T/outside.usage.csv" "$IN/link.usage.csv"
mkfifo "$IN/pipe.usage.csv"
wait_gone link.usage.csv; wait_gone pipe.usage.csv
check "18.13 a symbolic link is refused, not followed" \
    '[ "$(q "SELECT count(*) FROM usage WHERE tenant_id = '\''linked-1'\''")" = 0 ] && grep -q "symbolic link" "$T/spool/failed/link.usage.csv.err"'
check "18.13 a FIFO is refused (not left to block the spool)" 'grep -q "not a regular file" "$T/spool/failed/pipe.usage.csv.err"'

# ---- 18.14 implausible facts are rejected with a reason; credits are kept ---------------------------
{
    echo "$USAGE_HDR"
    echo "imp-1,azure/storage,9999-12,1,0,0,0"        # line 2: month far in the future
    echo "imp-2,../../etc/passwd,2025-04,1,0,0,0"     # line 3: not a workload id
    echo "imp-3,azure/storage,2025-04,1000000000000,0,0,0"   # line 4: a trillion dollars in a row
    echo "imp-4,azure/storage,2025-04,-50.25,0,0,0"   # line 5: a credit: kept (scoring.md §1.1)
} | drop implausible.usage.csv
imp() { q "SELECT reason FROM rejected_rows WHERE file_name = 'implausible.usage.csv' AND line = $1"; }
check "18.14 month 9999-12 rejected as implausible" '[[ "$(imp 2)" == "month: 9999-12 is implausible"* ]]'
check "18.14 workload ../../etc/passwd rejected" '[[ "$(imp 3)" == "workload: not a workload id"* ]]'
check "18.14 an absurd amount rejected" '[[ "$(imp 4)" == "acr_usd: implausible"* ]]'
check "18.14 a negative amount (credit) kept" '[ "$(q "SELECT acr_cents FROM usage WHERE tenant_id = '\''imp-4'\''")" = -5025 ]'
{
    ev cert.earned imp-e1 '{"partner_id":"imp","person_id":"p-1","certification":"az_admin","earned":"2025-03-01","expires":"2024-03-01"}'
    ev cert.earned imp-e2 '{"partner_id":"imp","person_id":"p-2","certification":"az_admin","earned":"2099-03-01"}'
    ev cert.earned imp-e3 '{"partner_id":"imp","person_id":"p-3","certification":"az_admin","earned":"2025-03-01","expires":"2026-03-01"}'
} | drop implausible.certs.jsonl
check "18.14 a certification that expires before it is earned, or earned in the future, is rejected" \
    '[ "$(q "SELECT string_agg(line||'\'':'\''||reason, '\''|'\'' ORDER BY line) FROM rejected_rows WHERE file_name = '\''implausible.certs.jsonl'\''")" = "1:body.expires: 2024-03-01 is before earned 2025-03-01|2:body.earned: 2099-03-01 is in the future (a certification is earned no later than today)" ] && [ "$(q "SELECT count(*) FROM certifications WHERE partner_id = '\''imp'\''")" = 1 ]'

# ---- 18.10 CURVE: a client whose key the stack does not know is refused -------------------------------
"$PCS" keys "$T/keys" >/dev/null && "$PCS" keys "$T/stranger" >/dev/null
cp "$T/keys/ingest.pub" "$T/stranger/ingest.pub"   # the stranger knows the server's public key, not a client key
{ ingest_conf | sed "s|spool_dir = .*|spool_dir = $T/cspool|; s|ipc://$T/intake|ipc://$T/cintake|; s|ipc://$T/push|ipc://$T/cpush|"
  echo "curve_keys_dir = $T/keys"; } >"$T/curve.conf"
"$INGEST" --config "$T/curve.conf" 2>>"$T/curve.log" & cpid=$!
ev cert.earned curve-1 '{"partner_id":"curve","person_id":"p-1","certification":"az_admin","earned":"2025-03-01"}' >"$T/curve1.jsonl"
ev cert.earned curve-2 '{"partner_id":"curve","person_id":"p-2","certification":"az_admin","earned":"2025-03-01"}' >"$T/curve2.jsonl"
ev cert.earned curve-3 '{"partner_id":"curve","person_id":"p-3","certification":"az_admin","earned":"2025-03-01"}' >"$T/curve3.jsonl"
out=$(PCS_CURVE_DIR="$T/keys" "$PCS" send "$T/curve1.jsonl" --endpoint "ipc://$T/cintake" --retries 5 --timeout-ms 3000 2>&1); rc=$?
check "18.10 a client with a known key is served over CURVE" '[ $rc -eq 0 ] && [[ "$out" == *"1 accepted"* ]]'
out=$(PCS_CURVE_DIR="$T/stranger" "$PCS" send "$T/curve2.jsonl" --endpoint "ipc://$T/cintake" --retries 0 --timeout-ms 2000 2>&1); rc=$?
check "18.10 a client with an unknown key is refused (ZAP) and its event not stored" \
    '[ $rc -eq 1 ] && [ "$(q "SELECT count(*) FROM events WHERE event_id = '\''curve-2'\''")" = 0 ] && grep -q "refused a client with an unknown key" "$T/curve.log"'
out=$("$PCS" send "$T/curve3.jsonl" --endpoint "ipc://$T/cintake" --retries 0 --timeout-ms 2000 2>&1); rc=$?
check "18.10 a plain client (no CURVE) gets nothing" '[ $rc -eq 1 ] && [ "$(q "SELECT count(*) FROM events WHERE event_id = '\''curve-3'\''")" = 0 ]'
check "18.10 key files: the secret readable by its owner only" '[ "$(stat -c %a "$T/keys/ingest.key")" = 600 ] && [ "$(stat -c %a "$T/keys/ingest.pub")" = 644 ]'
kill -TERM "$cpid"; wait "$cpid"

# ---- 18.12 least privilege: each role can do what its daemon does and no more -------------------------
as() { psql -qAt -d "$DB" -U "$1" -c "$2" 2>&1; }
check "18.12 the whole run above loaded as pcs_ingest (no permission error in its log)" '! grep -q "permission denied" "$T/ingest.log"'
check "18.12 pcs_ingest cannot delete usage, customers or enrollments" \
    '[ "$(q "SELECT has_table_privilege('\''pcs_ingest'\'', '\''usage'\'', '\''DELETE'\'')")" = f ] && [[ "$(as pcs_ingest "DELETE FROM usage_packed")" == *"permission denied"* ]] && [[ "$(as pcs_ingest "DELETE FROM customers")" == *"permission denied"* ]] && [[ "$(as pcs_ingest "DELETE FROM enrollments")" == *"permission denied"* ]]'
check "18.12 pcs_ingest does not read the events it stores" '[[ "$(as pcs_ingest "SELECT count(*) FROM events")" == *"permission denied"* ]]'
check "18.12 pcs_notifier reads no raw certification or person link" \
    '[[ "$(as pcs_notifier "SELECT count(*) FROM certifications")" == *"permission denied"* ]] && [[ "$(as pcs_notifier "SELECT count(*) FROM person_links")" == *"permission denied"* ]]'

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
check "SIGTERM exits cleanly" '[ $rc -eq 0 ]'
finish || { echo "--- daemon log"; tail -n 30 "$T/ingest.log"; false; }
