#!/usr/bin/env bash
# Ingest benchmark: a generated usage file (default 5,000,000 rows) loaded by the real pcs-ingest
# into the keyed, partitioned usage table, and in the same run the same file loaded by
# `psql \copy` into a table with the same primary key. Prints both rates and their ratio.
#
#   bench/ingest_bench.sh [ROWS]        (build first: cmake -S . -B build/bench -DPCS_BENCH=ON ...)
#   COPY_S=SECONDS: the \copy baseline measured by a run just before (not measured again)
#   USAGE_CSV=FILE: the generated file kept in FILE, and read from it when it holds ROWS rows
#   TIES=1: every tenant is first tied to a partner by a customer row and an association, as in a
#   real database, so the loads also keep usage_by_partner (sql/0018; without ties it stays empty)
#
# Uses the PostgreSQL of PGHOST/PGPORT if one answers, else starts a throwaway one in /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-5000000}
BUILD=${BUILD:-build/bench}
PCS=$BUILD/cli/pcs
INGEST=$BUILD/ingest/pcs-ingest
[ -x "$PCS" ] && [ -x "$INGEST" ] || { echo "build first: cmake -S . -B $BUILD -DPCS_BENCH=ON -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD -j"; exit 2; }
NAME=ingest PIDS=pid PORT_OWN=54331
. bench/lib.sh

# USAGE_CSV=FILE keeps the generated file there and takes it from there when it exists (all.sh: the
# second run reuses the first's, 20 s of awk here)
if [ -n "${USAGE_CSV:-}" ] && [ -s "$USAGE_CSV" ] && [ "$(($(wc -l <"$USAGE_CSV") - 1))" = "$ROWS" ]; then
    echo "usage rows from $USAGE_CSV"
    cp "$USAGE_CSV" "$T/usage.csv"
else
echo "generating $ROWS usage rows..."
awk -v n="$ROWS" 'BEGIN {
    print "tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units"
    split("azure/sql_database azure/app_service azure/storage m365/teams bizapps/sales", wl, " ")
    for (i = 0; i < n; i++) {
        t = int(i / 25); m = i % 25
        printf "tenant-%07d,%s,%04d-%02d,%d.%02d,0,%d,%d\n", t, wl[1 + t % 5], 2024 + int(m / 12), 1 + m % 12, i % 5000, i % 100, i % 300, i % 250
    }
}' >"$T/usage.csv"
[ -z "${USAGE_CSV:-}" ] || cp "$T/usage.csv" "$USAGE_CSV"
fi
printf "file: %s rows, %s MiB\n" "$ROWS" "$(( $(stat -c %s "$T/usage.csv") / 1048576 ))"

# ---- psql \copy into a keyed table (the baseline) ------------------------------------------------------
# COPY_S=SECONDS takes the baseline of a run just before on the same file instead (all.sh passes the
# first run's to the TIES=1 run: the same \copy into a fresh database, before any tie exists)
copy_from="this run"
if [ -n "${COPY_S:-}" ]; then
    copy_s=$COPY_S copy_from="the run before"
else
    psql -qAt -d "$DB" -c "CREATE TABLE copy_baseline (tenant_id text, workload text, month text, acr_usd numeric,
        revenue_usd numeric, paid_units numeric, active_units numeric, PRIMARY KEY (tenant_id, workload, month))"
    t0=$(date +%s.%N)
    psql -qAt -d "$DB" -c "\\copy copy_baseline FROM '$T/usage.csv' WITH (FORMAT csv, HEADER true)"
    t1=$(date +%s.%N)
    copy_s=$(echo "$t1 - $t0" | bc -l)
fi

if [ -n "${TIES:-}" ]; then   # tenant t belongs to partner t mod 10,000, by a customer row and an association
    psql -qAt -d "$DB" >/dev/null <<SQL
INSERT INTO partners SELECT 'p' || lpad(i::text, 6, '0') FROM generate_series(0, 9999) i;
INSERT INTO customers (partner_id, tenant_id, customer_id, segment)
SELECT 'p' || lpad((t % 10000)::text, 6, '0'), 'tenant-' || lpad(t::text, 7, '0'), 'c' || t, 'smb'
  FROM generate_series(0, $ROWS / 25 - 1) t;
INSERT INTO associations (partner_id, tenant_id, association_type, workload, start_date)
SELECT partner_id, tenant_id, 'PAL', 'azure/*', date '2024-01-01' FROM customers;
VACUUM ANALYZE;
SQL
fi

# ---- pcs-ingest: spool file -> staged COPY -> merge into usage ------------------------------------------
mkdir -p "$T/spool/incoming"
printf 'log_level = debug\ndb = "dbname=%s"\nspool_dir = %s/spool\nintake_endpoint = ipc://%s/in\npush_endpoint = ipc://%s/push\nscan_interval_ms = 100\n' \
    "$DB" "$T" "$T" "$T" >"$T/ingest.conf"
"$INGEST" --config "$T/ingest.conf" 2>"$T/ingest.log" & pid=$!
sleep 0.5
t0=$(date +%s.%N)
mv "$T/usage.csv" "$T/spool/incoming/bench.usage.csv"
while [ -e "$T/spool/incoming/bench.usage.csv" ]; do sleep 0.05; done
t1=$(date +%s.%N)
ingest_s=$(echo "$t1 - $t0" | bc -l)
loaded=$(psql -qAt -d "$DB" -c "SELECT count(*) FROM usage")
[ "$loaded" = "$ROWS" ] || { echo "pcs-ingest loaded $loaded rows, expected $ROWS"; tail -5 "$T/ingest.log"; exit 1; }

# ---- a month restated (Partner Center sends a month again) against a new month, each 1/25 of ROWS -------
month_file() { # month_file YYYY-MM FILE: one row per tenant of the big file for that month
    awk -v n="$ROWS" -v m="$1" 'BEGIN {
        print "tenant_id,workload,month,acr_usd,revenue_usd,paid_units,active_units"
        split("azure/sql_database azure/app_service azure/storage m365/teams bizapps/sales", wl, " ")
        for (t = 0; t < n / 25; t++) printf "tenant-%07d,%s,%s,%d.50,0,%d,%d\n", t, wl[1 + t % 5], m, t % 7000, t % 300, t % 250
    }' >"$2"
}
load_one() { # load_one FILE NAME: seconds until pcs-ingest took it
    local a b
    a=$(date +%s.%N)
    mv "$1" "$T/spool/incoming/$2"
    while [ -e "$T/spool/incoming/$2" ]; do sleep 0.05; done
    b=$(date +%s.%N)
    echo "$b - $a" | bc -l
}
# new, restated, new: the restated month is measured between two new ones and compared with their
# mean, so that neither a drift of the machine nor the order (each load leaves the table a little
# bigger and a little emptier) favours one side (one of each, new first, put either ahead by 3-5 %
# from one run to the next)
month_file 2026-02 "$T/new.csv"
month_file 2024-06 "$T/restated.csv"
month_file 2026-03 "$T/new2.csv"
new_a=$(load_one "$T/new.csv" new-month.usage.csv)
restated_s=$(load_one "$T/restated.csv" restated-month.usage.csv)
new_b=$(load_one "$T/new2.csv" new-month-2.usage.csv)
new_s=$(echo "($new_a + $new_b) / 2" | bc -l)
MROWS=$((ROWS / 25))
[ "$(psql -qAt -d "$DB" -c "SELECT count(*) FROM usage")" = $((ROWS + 2 * MROWS)) ] || echo "row count after the month files is off"

printf "psql \\\\copy into keyed table: %8.2f s  %10.0f rows/s  (%s)\n" "$copy_s" "$(echo "$ROWS / $copy_s" | bc -l)" "$copy_from"
printf "pcs-ingest into usage:        %8.2f s  %10.0f rows/s\n" "$ingest_s" "$(echo "$ROWS / $ingest_s" | bc -l)"
printf "ratio pcs-ingest / \\\\copy:     %8.2f x  (aim >= 3)\n" "$(echo "$copy_s / $ingest_s" | bc -l)"
printf "new month (%s rows):          %8.2f s  %10.0f rows/s  (the mean of %.2f s before the restated month and %.2f s after it)\n" \
    "$MROWS" "$new_s" "$(echo "$MROWS / $new_s" | bc -l)" "$new_a" "$new_b"
printf "restated month (%s rows):     %8.2f s  %10.0f rows/s  (aim: as fast as a new month)\n" "$MROWS" "$restated_s" "$(echo "$MROWS / $restated_s" | bc -l)"
printf "restated / new month:         %8.2f x  (aim <= 1)\n" "$(echo "$restated_s / $new_s" | bc -l)"
pairs=$(psql -qAt -d "$DB" -c "SELECT count(*) FROM usage_by_partner" 2>/dev/null || echo none)   # none: a tree before sql/0018
printf "usage_by_partner rows kept:   %8s\n" "$pairs"
printf "key ingest rows=%s copy_s=%.3f ingest_s=%.3f ratio=%.2f new_month_s=%.3f restated_month_s=%.3f restated_new=%.3f new_a_s=%.3f new_b_s=%.3f load=%s pairs=%s\n" \
    "$ROWS" "$copy_s" "$ingest_s" "$(echo "$copy_s / $ingest_s" | bc -l)" "$new_s" "$restated_s" "$(echo "$restated_s / $new_s" | bc -l)" \
    "$new_a" "$new_b" "$(cut -d' ' -f1 /proc/loadavg)" "$pairs"
kill "$pid"; wait "$pid" 2>/dev/null; pid=; grep -E "parse\+COPY|usage.*tenants" "$T/ingest.log" || true
