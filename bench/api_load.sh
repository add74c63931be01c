#!/usr/bin/env bash
# pcs-api under load on loopback: CONNECTIONS concurrent clients (wrk, 2 threads) read partner pages
# (GET /api/v1/partners/{id}, the stored result document, rotating over every partner) for
# DURATION seconds
#   1. while full refreshes of every partner run one after another (`pcs refresh --wait`, the scorer
#      writing the snapshots and documents the API reads), and
#   2. with nothing else running (the baseline, same data, same run),
# then the dashboard's index.html (no token, no database: the HTTP floor). It prints requests/s,
# p50/p99 latency, errors (non-2xx and socket errors) and the p99 ratio of 1 to 2.
#
#   bench/api_load.sh [DURATION] [CONNECTIONS] [COPIES]     (defaults 30 50 200)
# The data are the demo's sample feeds (deploy/sample/) loaded COPIES times under renamed partner,
# tenant and person ids through pcs-ingest (5 partners per copy).
# Build first: cmake -S . -B build/bench -DPCS_BENCH=ON -DPCS_TESTS=OFF -DCMAKE_BUILD_TYPE=Release
# Needs wrk (Debian package wrk). Uses the PostgreSQL of PGHOST/PGPORT if one answers, else starts
# a throwaway one in /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-30}
CONNS=${2:-50}
COPIES=${3:-200}
BUILD=${BUILD:-build/bench}
PCS=$BUILD/cli/pcs INGEST=$BUILD/ingest/pcs-ingest SCORER=$BUILD/scorer/pcs-scorer API=$BUILD/api/pcs-api
for b in "$PCS" "$INGEST" "$SCORER" "$API"; do
    [ -x "$b" ] || { echo "build first: cmake -S . -B $BUILD -DPCS_BENCH=ON -DPCS_TESTS=OFF -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD -j"; exit 2; }
done
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk"; exit 2; }
NAME=api PIDS="ipid spid apid" PORT_OWN=54334
. bench/lib.sh
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
AS_OF=2026-11-20

# ---- data: the sample feeds COPIES times, every id suffixed with the copy number ---------------------
python3 - "$COPIES" "$T/feeds" deploy/sample/feeds <<'PY'
import csv, io, json, os, sys
copies, out, src = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
ids = {"partner_id", "tenant_id", "customer_id", "person_id"}
for name in sorted(os.listdir(src)):
    text = open(os.path.join(src, name), encoding="utf-8").read()
    with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
        if name.endswith(".jsonl"):
            for k in range(copies):
                for line in text.splitlines():
                    if not line.strip():
                        continue
                    e = json.loads(line)
                    e["id"] = f"{e['id']}-k{k}"
                    for key in ids & set(e["body"]):
                        e["body"][key] = f"{e['body'][key]}-k{k}"
                    f.write(json.dumps(e) + "\n")
        else:
            rows = list(csv.reader(io.StringIO(text)))
            w = csv.writer(f, lineterminator="\n")
            w.writerow(rows[0])
            cols = [i for i, c in enumerate(rows[0]) if c in ids]
            for k in range(copies):
                for r in rows[1:]:
                    w.writerow([f"{v}-k{k}" if i in cols and v else v for i, v in enumerate(r)])
PY
cat >"$T/ingest.conf" <<CONF
db = "dbname=$DB"
spool_dir = $T/spool
intake_endpoint = ipc://$T/intake
push_endpoint = ipc://$T/push
scan_interval_ms = 200
CONF
printf 'db = "dbname=%s"\npull_endpoint = ipc://%s/push\ncontrol_endpoint = ipc://%s/control\npub_endpoint = ipc://%s/pub\nrule_sets = pcs-2026\ntoday = %s\nrefresh_day = 0\n' \
    "$DB" "$T" "$T" "$T" "$AS_OF" >"$T/scorer.conf"
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
for _ in $(seq 1 100); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done
echo "loading $((COPIES * 5)) partners (the sample feeds x $COPIES)..."
for f in "$T"/feeds/*; do
    cp "$f" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/$(basename "$f")"
    for _ in $(seq 1 3000); do [ -e "$T/spool/incoming/$(basename "$f")" ] || break; sleep 0.1; done
done
for _ in $(seq 1 3000); do [ "$(q "SELECT count(*) FROM outbox WHERE processed_at IS NULL")" = 0 ] && break; sleep 0.1; done
"$PCS" refresh --as-of "$AS_OF" --wait --timeout 1800 >/dev/null
echo "partners with a stored score: $(q "SELECT count(DISTINCT partner_id) FROM score_results")"

printf 'db = "dbname=%s user=pcs_api"\nport = 0\nworkers = 4\ntoday = %s\n' "$DB" "$AS_OF" >"$T/api.conf"
"$API" --config "$T/api.conf" 2>>"$T/api.log" & apid=$!
URL=
for _ in $(seq 1 100); do
    URL=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/api.log" | head -1 | sed 's/listening on //') && [ -n "$URL" ] && break
    sleep 0.1
done
TOKEN=$("$PCS" token create --name bench --admin 2>/dev/null)
{
    echo "local ids = {"
    q "SELECT DISTINCT partner_id FROM score_results ORDER BY 1" | sed 's/.*/  "&",/'
    echo "}"
    echo "local n = 0"
    echo "request = function()"
    echo "  n = n + 1"
    echo "  return wrk.format('GET', '/api/v1/partners/' .. ids[(n % #ids) + 1], {['Authorization'] = 'Bearer $TOKEN'})"
    echo "end"
} >"$T/pages.lua"

# run LABEL ARGS...: wrk with latency percentiles; prints one summary line
run() {
    local label=$1
    shift
    wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency "$@" >"$T/wrk.$label" 2>&1
    python3 - "$T/wrk.$label" "$label" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(s):
    v, u = float(re.match(r"[\d.]+", s).group()), re.search(r"[a-z]+", s).group()
    return v * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
p = {k: ms(v) for k, v in re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M)}
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
total = int(re.search(r"(\d+) requests in", t).group(1))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", t) or [0, 0])[1])
sock = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
print(f"{sys.argv[2]:<34} {total:>8} requests  {rps:>9.1f} req/s  p50 {p['50']:8.2f} ms  p99 {p['99']:8.2f} ms  errors {non2xx + sock}")
open(sys.argv[1] + ".p99", "w").write(str(p["99"]))
PY
}
echo "wrk: $CONNS connections, 2 threads, ${DURATION}s each, pcs-api with 4 workers"
# refreshes one after another (each as of the next day) for as long as the first run lasts
(
    i=1
    while [ ! -e "$T/stop" ]; do
        "$PCS" refresh --as-of "$(date -d "$AS_OF + $i day" +%F)" --wait --timeout 1800 >>"$T/refresh.out" 2>&1 || break
        i=$((i + 1))
    done
) & rpid=$!
run "partner pages during refreshes" -s "$T/pages.lua" "$URL"
touch "$T/stop"
wait $rpid || true
echo "(refreshes during the run: $(grep -c ' done: ' "$T/refresh.out" || true) finished, each: $(grep -o '[0-9]* partners scored in [0-9.]* s' "$T/refresh.out" | head -3 | tr '\n' ';'))"
run "partner pages, nothing else running" -s "$T/pages.lua" "$URL"
run "index.html (no token, no database)" "$URL/"
echo "p99 during a refresh / p99 alone: $(echo "$(cat "$T/wrk.partner pages during refreshes.p99") / $(cat "$T/wrk.partner pages, nothing else running.p99")" | bc -l | xargs printf '%.2f')"
