#!/usr/bin/env bash
# A usage feed stored while it is read (pcs_usageload_stream_*, issue 13) must store exactly what the
# same file stores when it is read first and stored after. Two real pcs-ingest daemons, one streaming
# every usage feed (usage_stream_bytes = 0) into this test's database, one never streaming into a
# second database, are given the same generated files in the same order; after each file the two
# databases must hold the same usage_packed and usage_by_partner rows, rejected rows, file records and
# outbox rows. The files, from a fixed seed:
#   1. grouped by tenant, new tenants, with rows of one key that add up and 6,000 bad rows (the first
#      5,000 rejects are written in the middle of the stream, which ends its COPY and opens another);
#   2. grouped, half of the tenants stored by file 1 (merged the usual way) and half new (streamed);
#   3. sorted by month, 3 months: every tenant comes back; those sent before the first came back are
#      packed again from all their rows and updated (the first 40 were stored by file 2, and kept);
#   4. grouped, one tenant back on the last line with a key it had (it adds up, not replaces);
#   5. shuffled rows;
#   6. grouped and gzipped; then the same, its tail cut: the file fails as a whole, nothing of it kept;
# then a large grouped file whose load is killed (-9) while its COPY runs: nothing of it stored; after a
# restart it is loaded once, as the other daemon loads it; and one whose COPY's backend is terminated:
# the daemon keeps the file, reconnects and loads it once. Then, reloaded with usage_stream_bytes = 1,
# the streaming daemon does not stream a small file beside a table more than 4 times its size; and a
# row refused for one workload too many (the 65,537th), its tenant's only row, is rejected while the
# rest of its file loads. Both daemons connect as pcs_ingest. The streaming daemon's log must show
# each path taken (tenants copied while read, tenants met again, a COPY ended and begun again), so the
# comparison covers them.
# usage: usage_stream.sh PATH/TO/pcs PATH/TO/pcs-ingest
set -u
PCS=$1
INGEST=$2
NAME=usage_stream PIDS="pa pb"
. "$(dirname "$0")/lib.sh"
DB2=${DB}_b
cleanup_both() { [ -z "${PCS_TEST_KEEP:-}" ] && psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $DB2" >/dev/null 2>&1; cleanup; }
trap cleanup_both EXIT
psql -qAt -d postgres -c "CREATE DATABASE $DB2" >/dev/null || { echo "cannot create database"; exit 1; }
"$PCS" migrate --db "dbname=$DB2" >/dev/null || { echo "migrate failed"; exit 1; }
q2() { psql -qAt -d "$DB2" -c "$1"; }

{ ingest_conf pcs_ingest; echo "log_level = debug"; echo "usage_stream_bytes = 0"; } >"$T/a.conf"
{ echo "db = \"dbname=$DB2 user=pcs_ingest\""; echo "spool_dir = $T/spoolb"; echo "intake_endpoint = ipc://$T/intakeb"
  echo "push_endpoint = ipc://$T/pushb"; echo "scan_interval_ms = 200"; echo "log_level = debug"
  echo "usage_stream_bytes = 9223372036854775807"; } >"$T/b.conf"
start_a() { "$INGEST" --config "$T/a.conf" 2>>"$T/a.log" & pa=$!; }
"$INGEST" --config "$T/b.conf" 2>>"$T/b.log" & pb=$!
start_a
for _ in $(seq 1 100); do [ -d "$T/spool/incoming" ] && [ -d "$T/spoolb/incoming" ] && break; sleep 0.1; done

# 30 partners; tenants u0000-u1099 customers of partner (n mod 30), every 7th also associated with the
# next partner; the others tied to nobody
TIES="INSERT INTO partners SELECT 'p' || i FROM generate_series(0, 29) i;
  INSERT INTO customers (partner_id, tenant_id, customer_id, segment)
  SELECT 'p' || (n % 30), 'u' || lpad(n::text, 4, '0'), 'c' || n, 'smb' FROM generate_series(0, 1099) n;
  INSERT INTO associations (partner_id, tenant_id, association_type, workload, start_date)
  SELECT 'p' || ((n + 1) % 30), 'u' || lpad(n::text, 4, '0'), 'PAL', 'azure/*', date '2024-01-01'
    FROM generate_series(0, 1099, 7) n;"
q "$TIES" >/dev/null
q2 "$TIES" >/dev/null

python3 - "$T/files" <<'PY'
import gzip, os, random, sys
out = sys.argv[1]
os.makedirs(out)
rnd = random.Random(1313)
HDR = "tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units\n"
WL = ["azure/storage", "azure/sql_database", "m365/teams", "bizapps/sales"]
def rows_of(t, n, months):
    for _ in range(n):
        yield "u%04d,%s,%s,%d.%02d,%d,%d,%d\n" % (t, rnd.choice(WL), rnd.choice(months), rnd.randrange(5000),
            rnd.randrange(100), rnd.randrange(50), rnd.randrange(300), rnd.randrange(250))
M25 = ["%d-%02d" % (2024 + m // 12, 1 + m % 12) for m in range(25)]
def write(name, lines, gz=False):
    data = (HDR + "".join(lines)).encode()
    if gz:
        data = gzip.compress(data, 6)
    open(os.path.join(out, name), "wb").write(data)
# 1: grouped, new tenants u0000-u0599, 250 rows each on 4 x 25 keys (most keys come more than once, and
# more than 1 MiB is packed before the bad rows, 8 % of the rows of the second half, reach 5,000)
lines = []
for t in range(0, 600):
    for r in rows_of(t, 250, M25):
        lines.append(r)
        if t >= 300 and rnd.random() < 0.08:
            lines.append("u%04d,azure/storage,2025-01,12;5,0,0,0\n" % t)
write("s1.usage.csv", lines)
# 2: grouped, u0400-u0799: the first half stored by file 1, restated and new months
lines = [r for t in range(400, 800) for r in rows_of(t, 30, M25[4:12])]
write("s2.usage.csv", lines)
# 3: sorted by month (3 months), every tenant in each, its rows of a month together: u0760-u0999
lines = ["u%04d,azure/storage,%s,%d.00,0,%d,%d\n" % (t, m, rnd.randrange(900), rnd.randrange(30), rnd.randrange(20))
         for m in M25[10:13] for t in range(760, 1000) for _ in range(50)]
write("s3.usage.csv", lines)
# 4: grouped, u1500-u1699, then u1500 again on the last line, with a key it had
lines = [r for t in range(1500, 1700) for r in rows_of(t, 60, M25[:3])]
lines.append("u1500,azure/storage,2024-01,1000.00,0,1,1\n")
write("s4.usage.csv", lines)
# 5: shuffled, u1700-u1849 and u0000-u0049 (stored)
lines = [r for t in list(range(1700, 1850)) + list(range(0, 50)) for r in rows_of(t, 60, M25[:6])]
rnd.shuffle(lines)
write("s5.usage.csv", lines)
# 6: grouped, gzipped, u1000-u1199 (u1000-u1099 also tied to partners); and u1200-u1399 with the tail
# of its gzip cut off
write("s6.usage.csv.gz", [r for t in range(1000, 1200) for r in rows_of(t, 80, M25[:8])], gz=True)
write("s7.usage.csv.gz", [r for t in range(1200, 1400) for r in rows_of(t, 80, M25[:8])], gz=True)
p = os.path.join(out, "s7.usage.csv.gz")
data = open(p, "rb").read()
open(p, "wb").write(data[: len(data) - 2000])
# 10: small, grouped, new tenants u20000-u20199 (not streamed once usage_packed is more than 4 times
# its size); 11: 65,536 workloads for u30000, then u30001 with one more (refused) and u30002
write("s10.usage.csv", [r for t in range(20000, 20200) for r in rows_of(t, 30, M25)])
write("s11.usage.csv", ["u30000,azure/w%d,2024-01,1.00,0,1,1\n" % i for i in range(65536)]
      + ["u30001,azure/wextra,2024-01,1.00,0,1,1\n", "u30002,azure/w1,2024-01,1.00,0,1,1\n"])
# 8: large, grouped, new tenants u2000-u9999 (killed while loading); 9: the same for u10000-u17999
# (its backend terminated while loading)
write("s8.usage.csv", [r for t in range(2000, 10000) for r in rows_of(t, 50, M25)])
write("s9.usage.csv", [r for t in range(10000, 18000) for r in rows_of(t, 50, M25)])
PY

# drop_both NAME: the file into both spools (written under a temporary name, then renamed), until both
# have taken it (liveness bound: 5 minutes, for ASan on a loaded machine)
drop_both() {
    local d
    for d in spool spoolb; do cp "$T/files/$1" "$T/$d/incoming/.$1" && mv "$T/$d/incoming/.$1" "$T/$d/incoming/$1"; done
    for _ in $(seq 1 3000); do
        [ -e "$T/spool/incoming/$1" ] || [ -e "$T/spoolb/incoming/$1" ] || return 0
        kill -0 "$pa" 2>/dev/null && kill -0 "$pb" 2>/dev/null || { echo "a daemon died loading $1"; return 1; }
        sleep 0.1
    done
    echo "$1 still in incoming/"
}
# same NAME: both databases hold the same usage, pairs, rejects, file records and outbox rows
DUMP="SELECT md5(string_agg(tenant_id || '=' || data, '|' ORDER BY tenant_id)) || ' ' || count(*) FROM usage_packed;
  SELECT md5(string_agg(partner_id || '/' || tenant_id || '=' || data, '|' ORDER BY partner_id, tenant_id)) || ' ' || count(*) FROM usage_by_partner;
  SELECT md5(string_agg(file_name || ':' || line || ':' || col || ':' || reason || ':' || raw, '|' ORDER BY file_name, line, col)) || ' ' || count(*) FROM rejected_rows;
  SELECT string_agg(name || ' ' || kind || ' ' || rows_loaded || ' ' || rows_rejected, '|' ORDER BY name) FROM loaded_files;
  SELECT string_agg(kind || ' ' || partners::text || ' ' || months::text, '|' ORDER BY kind, partners::text, months::text) FROM outbox;"
same() {
    local a b
    a=$(q "$DUMP") b=$(q2 "$DUMP")
    check "$1: the same usage_packed, usage_by_partner, rejected rows, files and outbox with and without streaming" \
        '[ "$a" = "$b" ] && [ -n "$(q "SELECT 1 FROM usage_packed LIMIT 1")" ]'
    [ "$a" = "$b" ] || diff <(echo "$a") <(echo "$b") | head -n 12
}
# streamed: "SENT MET_AGAIN COPIES" of the streaming daemon's last debug line for a usage file
streamed() { grep -o "tenants: [0-9]* copied while the file was read ([0-9]* of them met again and updated; COPY statements: [0-9]*" "$T/a.log" |
    tail -n 1 | sed 's/tenants: \([0-9]*\) copied.*(\([0-9]*\) of.*statements: \([0-9]*\)/\1 \2 \3/'; }

drop_both s1.usage.csv
same "grouped, new tenants, keys added up, 6,000 bad rows"
read -r sent again copies <<<"$(streamed)"
check "grouped: every tenant copied while read ($sent), none met again ($again)" '[ "${sent:-0}" = 600 ] && [ "$again" = 0 ]'
check "grouped: the bad rows rejected, the first 5,000 written after a COPY ended, another begun after them ($copies COPY statements)" \
    '[ "$(q "SELECT count(*) > 5000 FROM rejected_rows WHERE file_name = '\''s1.usage.csv'\''")" = t ] && [ "${copies:-0}" -ge 2 ]'
drop_both s2.usage.csv
same "grouped, half stored, half new"
read -r sent again copies <<<"$(streamed)"
check "half stored: only new tenants copied while read ($sent of 400)" '[ "${sent:-0}" -gt 0 ] && [ "$sent" -le 200 ]'
drop_both s3.usage.csv
same "sorted by month"
read -r sent again copies <<<"$(streamed)"
check "sorted by month: tenants sent before the first came back were updated ($again of $sent)" \
    '[ "${again:-0}" -gt 0 ] && [ "$again" = "$sent" ]'
drop_both s4.usage.csv
same "grouped, one tenant back on the last line"
read -r sent again copies <<<"$(streamed)"
check "one tenant back on the last line: packed again from all its rows ($again of $sent)" '[ "${again:-0}" = 1 ] && [ "$sent" -gt 100 ]'
drop_both s5.usage.csv
same "shuffled"
drop_both s6.usage.csv.gz
same "gzipped"
read -r sent again copies <<<"$(streamed)"
check "gzipped: tenants copied while read ($sent)" '[ "${sent:-0}" -gt 0 ]'
drop_both s7.usage.csv.gz
same "gzipped, tail cut"
check "a gzip with its tail cut fails as a whole in both, nothing of it stored" \
    '[ -e "$T/spool/failed/s7.usage.csv.gz" ] && [ -e "$T/spoolb/failed/s7.usage.csv.gz" ] && [ "$(q "SELECT count(*) FROM usage_packed WHERE tenant_id >= '\''u1200'\'' AND tenant_id < '\''u1400'\''")" = 0 ]'
check "usage_by_partner as defined after the streamed loads" '[ "$(q "$PAIRS_DIFF")" = 0 ]'

# ---- kill -9 while the streamed COPY runs ----------------------------------------------------------------
cp "$T/files/s8.usage.csv" "$T/spool/incoming/.s8" && mv "$T/spool/incoming/.s8" "$T/spool/incoming/s8.usage.csv"
mid=
for _ in $(seq 1 3000); do
    if [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY usage_packed (tenant_id, data) FROM STDIN (FORMAT text)%' AND state = 'active'")" -gt 0 ]; then mid=1; break; fi
    sleep 0.02
done
kill -9 "$pa"; wait "$pa" 2>/dev/null; pa=
check "the kill came while the streamed COPY ran" '[ -n "$mid" ]'
for _ in $(seq 1 100); do [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY usage_packed%'")" = 0 ] && break; sleep 0.1; done
check "nothing of the killed load stored" '[ "$(q "SELECT count(*) FROM usage_packed WHERE tenant_id >= '\''u2000'\''")" = 0 ] && [ "$(q "SELECT count(*) FROM loaded_files WHERE name = '\''s8.usage.csv'\''")" = 0 ]'
start_a
for _ in $(seq 1 3000); do [ -e "$T/spool/incoming/s8.usage.csv" ] || break; sleep 0.1; done
cp "$T/files/s8.usage.csv" "$T/spoolb/incoming/.s8" && mv "$T/spoolb/incoming/.s8" "$T/spoolb/incoming/s8.usage.csv"
for _ in $(seq 1 3000); do [ -e "$T/spoolb/incoming/s8.usage.csv" ] || break; sleep 0.1; done
same "killed while streaming, loaded after the restart"
read -r sent again copies <<<"$(streamed)"
check "after the restart the large file streamed ($sent tenants), loaded once" \
    '[ "${sent:-0}" -gt 7000 ] && [ "$(q "SELECT count(*) FROM loaded_files WHERE name = '\''s8.usage.csv'\''")" = 1 ]'
check "usage_by_partner as defined after the streamed loads and the kill" '[ "$(q "$PAIRS_DIFF")" = 0 ]'

# ---- the server side goes: the backend of a streamed COPY terminated ------------------------------------------
cp "$T/files/s9.usage.csv" "$T/spool/incoming/.s9" && mv "$T/spool/incoming/.s9" "$T/spool/incoming/s9.usage.csv"
mid=
for _ in $(seq 1 3000); do
    if [ "$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY usage_packed (tenant_id, data) FROM STDIN (FORMAT text)%' AND state = 'active'")" -gt 0 ]; then mid=1; break; fi
    sleep 0.02
done
check "a streamed COPY's backend was terminated" '[ -n "$mid" ]'
for _ in $(seq 1 3000); do [ -e "$T/spool/incoming/s9.usage.csv" ] || break; sleep 0.1; done
check "the daemon said the file stays, and loaded it once it was connected again" \
    'grep -q "s9.usage.csv: not loaded now" "$T/a.log" && kill -0 "$pa" && [ "$(q "SELECT count(*) FROM loaded_files WHERE name = '\''s9.usage.csv'\''")" = 1 ]'
cp "$T/files/s9.usage.csv" "$T/spoolb/incoming/.s9" && mv "$T/spoolb/incoming/.s9" "$T/spoolb/incoming/s9.usage.csv"
for _ in $(seq 1 3000); do [ -e "$T/spoolb/incoming/s9.usage.csv" ] || break; sleep 0.1; done
same "backend terminated while streaming, loaded after the reconnect"

# ---- usage_stream_bytes above 0: a small file is not streamed into a table more than 4 times its size ----
sed -i 's/^usage_stream_bytes = 0$/usage_stream_bytes = 1/' "$T/a.conf"
kill -HUP "$pa"
for _ in $(seq 1 50); do grep -q "config: reloaded" "$T/a.log" && break; sleep 0.1; done
drop_both s10.usage.csv
same "a small file beside a large table"
read -r sent again copies <<<"$(streamed)"
check "a small file beside a table more than 4 times its size is not streamed ($sent tenants copied while read)" \
    '[ "$sent" = 0 ] && [ "$copies" = 0 ] && [ "$(q "SELECT pg_relation_size('\''usage_packed'\'') > 4 * $(stat -c %s "$T/files/s10.usage.csv")")" = t ]'
# ---- a row refused for one workload too many, its tenant's only row: the row is rejected, the file loads ----
drop_both s11.usage.csv
same "65,537 workloads in one file"
check "the 65,537th workload's row rejected, its tenant not stored, the rest loaded" \
    '[ "$(q "SELECT rows_loaded || '\'' '\'' || rows_rejected FROM loaded_files WHERE name = '\''s11.usage.csv'\''")" = "65537 1" ] && [ "$(q "SELECT count(*) FROM usage_packed WHERE tenant_id IN ('\''u30000'\'', '\''u30001'\'', '\''u30002'\'')")" = 2 ]'

kill -TERM "$pa" "$pb"; wait "$pa"; ra=$?; wait "$pb"; rb=$?; pa= pb=
check "both daemons exit cleanly" '[ $ra -eq 0 ] && [ $rb -eq 0 ]'
check "no other warning or error in the streaming daemon's log" \
    '! grep -E " (warn|error) " "$T/a.log" | grep -v -e "s7.usage.csv.gz: failed: cannot read: truncated gzip" -e "s9.usage.csv: not loaded now"'
finish || { echo "--- streaming daemon's log"; tail -n 20 "$T/a.log"; false; }
