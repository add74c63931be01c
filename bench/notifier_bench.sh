#!/usr/bin/env bash
# Notifier benchmark: certification event -> delivered webhook, end to end through the real
# pcs-ingest, pcs-scorer and pcs-notifier and a real HTTP receiver on 127.0.0.1.
#
# PARTNERS copies of scoring.md Example 3's partner (Security 62.73, one certification short of 70)
# are loaded through pcs-ingest and refreshed. Once the load has settled (settle_ms), each partner,
# one every GAP_MS, receives the certification that makes Security qualify: a lone certification
# event, settled at once; the scorer rescores it, the notifier raises newly_qualified (and resolves
# near_threshold) and POSTs the notification. Latency = the receiver's clock at the POST minus the
# sender's clock just before `pcs send` (same host). Prints p50, p99 and max.
#
#   bench/notifier_bench.sh [PARTNERS] [GAP_MS]        (defaults 300 50)
# Build first: cmake -S . -B build/bench -DPCS_BENCH=ON -DPCS_TESTS=OFF -DCMAKE_BUILD_TYPE=Release
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-300}
GAP_MS=${2:-50}
BUILD=${BUILD:-build/bench}
PCS=$BUILD/cli/pcs
[ -x "$PCS" ] && [ -x "$BUILD/notifier/pcs-notifier" ] ||
    { echo "build first: cmake -S . -B $BUILD -DPCS_BENCH=ON -DPCS_TESTS=OFF -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD -j"; exit 2; }
NAME=notifier PIDS="ipid spid wpid npid" PORT_OWN=54333
. bench/lib.sh
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# ---- N copies of Example 3's partner, as feeds --------------------------------------------------------
mkdir -p "$T/one" "$T/spool/incoming"
python3 tests/integration/doc2feeds.py tests/data/ex3_security/input.json ex3 "$T/one"
python3 - "$T/one" "$T/all" "$N" <<'PY'
import os, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst)
for kind in ("customers.csv", "associations.csv", "usage.csv", "enrollments.csv", "certs.jsonl"):
    lines = open(os.path.join(src, "ex3." + kind)).read().splitlines()
    with open(os.path.join(dst, "bench." + kind), "w") as f:
        body = lines if kind.endswith(".jsonl") else lines[1:]
        if not kind.endswith(".jsonl"):
            f.write(lines[0] + "\n")
        for i in range(n):
            for l in body:
                f.write(l.replace("ex3", "b%05d" % i) + "\n")
PY
cat >"$T/ingest.conf" <<EOF
db = "dbname=$DB user=pcs_ingest"
spool_dir = $T/spool
intake_endpoint = ipc://$T/intake
push_endpoint = ipc://$T/push
scan_interval_ms = 200
EOF
cat >"$T/scorer.conf" <<EOF
db = "dbname=$DB user=pcs_scorer"
pull_endpoint = ipc://$T/push
control_endpoint = ipc://$T/control
pub_endpoint = ipc://$T/pub
today = 2025-07-20
refresh_day = 0
coalesce_ms = 5
EOF
SETTLE_MS=2000
cat >"$T/notifier.conf" <<EOF
db = "dbname=$DB user=pcs_notifier"
sub_endpoint = ipc://$T/pub
today = 2025-07-20
settle_ms = $SETTLE_MS
log_min_severity = off
webhook_url = http://127.0.0.1:$PORT/hook
webhook_allow_http = true
webhook_secret = bench-secret
webhook_min_severity = info
EOF
"$BUILD/ingest/pcs-ingest" --config "$T/ingest.conf" 2>"$T/ingest.log" & ipid=$!
"$BUILD/scorer/pcs-scorer" --config "$T/scorer.conf" 2>"$T/scorer.log" & spid=$!
sleep 0.5
for f in "$T"/all/*.csv "$T"/all/*.certs.jsonl; do
    cp "$f" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/$(basename "$f")"
    while [ -e "$T/spool/incoming/$(basename "$f")" ]; do sleep 0.05; done
done
for _ in $(seq 1 600); do [ "$(q "SELECT count(*) FROM outbox WHERE processed_at IS NULL")" = 0 ] && break; sleep 0.1; done
"$PCS" refresh --as-of 2025-07-20 --wait >/dev/null
echo "loaded and scored $(q "SELECT count(*) FROM partners") partners"

python3 - "$PORT" "$T/received.txt" <<'PY' & wpid=$!
import http.server, json, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        t = time.time()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(out, "a") as f:
            for a in body["alerts"]:
                f.write("%s %s %.6f\n" % (a["event"], a["partner_id"], t))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
"$BUILD/notifier/pcs-notifier" --config "$T/notifier.conf" 2>"$T/notifier.log" & npid=$!
sleep 1
# the load settles and the alerts of the refresh itself (near_threshold and the like) are delivered first
sleep "$(echo "$SETTLE_MS / 1000 * 2" | bc -l)"
for _ in $(seq 1 600); do [ "$(q "SELECT count(*) FROM alert_queue")" = 0 ] && [ "$(q "SELECT count(*) FROM deliveries WHERE state = 'pending'")" = 0 ] && break; sleep 0.1; done
: >"$T/sent.txt"
for i in $(seq 0 $((N - 1))); do
    p=$(printf 'b%05d' "$i")
    printf '%s %s\n' "$p" "$(date +%s.%N)" >>"$T/sent.txt"
    printf '{"v":1,"type":"cert.earned","id":"nb-%s","ts":"2025-07-20T09:00:00Z","body":{"partner_id":"%s","person_id":"N1","certification":"identity_admin","earned":"2025-07-01","expires":"2026-07-01"}}\n' \
        "$p" "$p" | "$PCS" send - --endpoint "ipc://$T/intake" >/dev/null
    sleep "$(echo "$GAP_MS / 1000" | bc -l)"
done
for _ in $(seq 1 600); do [ "$(grep -c '^newly_qualified' "$T/received.txt" 2>/dev/null || echo 0)" -ge "$N" ] && break; sleep 0.1; done
# the baseline of the same run: event -> result stored by the scorer (its transaction's time)
q "SELECT partner_id, extract(epoch FROM computed_at) FROM score_results WHERE rule_set = 'pcs-2026'
   AND as_of = '2025-07-20' AND trigger <> 'refresh:1' AND trigger NOT LIKE 'refresh:%'" | tr '|' ' ' >"$T/scored.txt"
python3 - "$T/sent.txt" "$T/received.txt" "$N" "$GAP_MS" "$T/scored.txt" <<'PY'
import sys
sent = {p: float(t) for p, t in (l.split() for l in open(sys.argv[1]))}
scored = {p: float(t) for p, t in (l.split() for l in open(sys.argv[5]) if l.strip())}
got = {}
for l in open(sys.argv[2]):
    ev, p, t = l.split()
    if ev == "newly_qualified" and p in sent:
        got.setdefault(p, float(t))
lat = sorted((got[p] - sent[p]) * 1000 for p in got)
if not lat:
    sys.exit("no newly_qualified webhook received")
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print("certification event -> delivered webhook (newly_qualified), one event every %s ms:" % sys.argv[4])
print("  %d of %s events delivered; p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (len(lat), sys.argv[3], pick(0.5), pick(0.99), lat[-1]))
base = sorted((scored[p] - sent[p]) * 1000 for p in got if p in scored)
if base:
    bp = lambda q: base[min(len(base) - 1, int(q * len(base)))]
    print("baseline, same run: certification event -> result stored by pcs-scorer: p50 %.1f ms, p99 %.1f ms" % (bp(0.5), bp(0.99)))
    print("  the notifier's part (stored -> delivered): p50 %.1f ms; end to end / baseline at p50: %.2f" %
          (pick(0.5) - bp(0.5), pick(0.5) / bp(0.5) if bp(0.5) > 0 else float("nan")))
PY
