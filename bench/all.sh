#!/usr/bin/env bash
# bench/all.sh [OUT]: the benchmarks of issue 13 in one run, every figure and ratio into one file
# (default /tmp/pcs-bench-DATE.txt), with the machine's load beside them:
#   - the scorer with 10,000 partners / 5 M usage rows (refresh with two scorers, PostgreSQL's scan,
#     the facts stream alone and with the engine, the pure-SQL baseline, event latency);
#   - the scorer with 100,000 partners / 5 M rows (the cost per partner) and with one partner /
#     500,000 rows (the cost per row, a distributor-sized partner);
#   - the ingest of a 5 M-row usage file against `psql \copy` into the same key, and a restated month,
#     with the tenants tied to no partner and then each tied to one (usage_by_partner kept, sql/0018);
#   - the engine alone (pcs-bench) on the same volume.
# Build first: cmake -S . -B build/bench -DPCS_BENCH=ON -DPCS_TESTS=OFF -DCMAKE_BUILD_TYPE=Release
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/pcs-bench-$(date -u +%Y%m%d-%H%M%S).txt}
BUILD=${BUILD:-build/bench}
export BUILD
section() { printf '\n## %s  (load %s)\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }
{
    printf '# bench/all.sh %s, %s cores, commit %s\n' "$(date -u +%FT%TZ)" "$(nproc)" "$(git rev-parse --short HEAD 2>/dev/null || echo -)"
    t0=$(date +%s)
    section "scorer: 10,000 partners, 5,000,000 usage rows"
    bench/scorer_bench.sh 10000 5000000 "${EVENTS:-200}"
    section "scorer: 100,000 partners, 5,000,000 usage rows"
    FLOOR=0 ONE=0 bench/scorer_bench.sh 100000 5000000 0
    section "scorer: 1 partner, 500,000 usage rows"
    bench/scorer_bench.sh 1 500000 0
    section "ingest: 5,000,000 usage rows"
    # one generated file for both ingest runs
    USAGE_CSV=$OUT.usage.csv bench/ingest_bench.sh 5000000 | tee "$OUT.ingest"
    section "ingest: 5,000,000 usage rows, every tenant tied to a partner (usage_by_partner kept)"
    # the same \copy baseline as the run before (the same file into a fresh database, before the ties)
    TIES=1 COPY_S=$(sed -n 's/^key ingest .* copy_s=\([0-9.]*\) .*/\1/p' "$OUT.ingest") USAGE_CSV=$OUT.usage.csv \
        bench/ingest_bench.sh 5000000
    rm -f "$OUT.ingest" "$OUT.usage.csv"
    section "engine alone: 10,000 partners, 5,000,000 usage rows (one core)"
    "$BUILD/bench/pcs-bench" --partners 10000 --rows 5000000 --mode current
    section "summary (ratios measured in the same run)"
    printf 'all benchmarks took %d s\n' $(($(date +%s) - t0))
} 2>&1 | tee "$OUT.tmp"
# the summary table from the key=value lines
awk '
function f(x, fmt) { return x > 0 ? sprintf(fmt, x) : "-" }   # a figure, or - when not measured (ONE=0, FLOOR=0)
/^key partners=/ {
    delete v
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    one = v["engine_s"] > 0
    printf "scorer %7s partners %8s rows: refresh %6.2f s | stream %s s | stream+engine %s s | in %s processes %6.2f / %6.2f s | scan %5.2f s, one process %5.2f s | SQL baseline %5.2f s | baseline/refresh %5.2f x (aim >= 1) | refresh/(stream+engine) %5.2f x (aim <= 1.5; %s x against one process) | stream/scan %5.2f x (aim <= 3; %s x one process each) | RSS %5.1f MiB | load %s\n",
        v["partners"], v["rows"], v["refresh_s"], f(v["stream_s"], "%6.2f"), f(v["engine_s"], "%6.2f"), v["jobs"], v["stream_n_s"],
        v["engine_n_s"], v["scan_s"], v["scan1_s"], v["baseline_s"], v["baseline_s"] / v["refresh_s"], v["refresh_s"] / v["engine_n_s"],
        one ? sprintf("%5.2f", v["refresh_s"] / v["engine_s"]) : "-", v["stream_n_s"] / v["scan_s"],
        one ? sprintf("%5.2f", v["stream_s"] / v["scan1_s"]) : "-", v["rss_mib"], v["load"]
    if (v["floor_s"] > 0)
        printf "    storing its rows alone %5.2f s; floor (stream+engine in %s processes + storing) %5.2f s: baseline/floor %5.2f x, floor/(stream+engine) %5.2f x; the refresh beyond the floor %5.2f s\n",
            v["floor_s"], v["jobs"], v["engine_n_s"] + v["floor_s"], v["baseline_s"] / (v["engine_n_s"] + v["floor_s"]),
            (v["engine_n_s"] + v["floor_s"]) / v["engine_n_s"], v["refresh_s"] - v["engine_n_s"] - v["floor_s"]
}
/^key ingest/ { print }' "$OUT.tmp" | tee -a "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "figures written to $OUT"
