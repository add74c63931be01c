#!/usr/bin/env bash
# systemd notification, with a real datagram socket standing in for systemd's NOTIFY_SOCKET:
# READY=1 after start, WATCHDOG=1 at half of WATCHDOG_USEC from the event loop, RELOADING=1 then
# READY=1 around SIGHUP, STOPPING=1 on SIGTERM. No timing is asserted: only what arrives, in order.
# usage: sdnotify.sh PATH/TO/pcs-ingest
set -u
INGEST=$1
T=$(mktemp -d /tmp/pcs-sdnotify-test.XXXXXX)
pid= lpid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
# the listener: one line per datagram into $T/got
python3 - "$T/notify" "$T/got" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", " ").strip() + "\n")
PY
lpid=$!
for _ in $(seq 1 100); do [ -S "$T/notify" ] && break; sleep 0.05; done
cat >"$T/ingest.conf" <<CONF
db = "dbname=pcs_sdnotify_nonexistent connect_timeout=1"
spool_dir = $T/spool
intake_endpoint = ipc://$T/intake
push_endpoint = ipc://$T/push
scan_interval_ms = 60000
CONF
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=200000 "$INGEST" --config "$T/ingest.conf" 2>"$T/ingest.log" & pid=$!
wait_line() { for _ in $(seq 1 300); do grep -q "$1" "$T/got" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
wait_line READY=1
check "READY=1 once started" 'grep -qx "READY=1" "$T/got"'
for _ in $(seq 1 300); do [ "$(grep -c WATCHDOG=1 "$T/got")" -ge 3 ] && break; sleep 0.1; done
check "WATCHDOG=1 pings from the loop" '[ "$(grep -c "^WATCHDOG=1$" "$T/got")" -ge 3 ]'
# a reloadable key and a restart-only key change: the first is applied, the second named
sed -i 's/^scan_interval_ms = 60000/scan_interval_ms = 50000/; s|^intake_endpoint = .*|intake_endpoint = ipc://'"$T"'/other|' "$T/ingest.conf"
kill -HUP "$pid"
for _ in $(seq 1 300); do [ "$(grep -c "^READY=1$" "$T/got")" -ge 2 ] && break; sleep 0.1; done
check "SIGHUP: RELOADING=1, then READY=1 again" \
    '[ "$(grep -v WATCHDOG "$T/got" | head -3 | tr "\n" " ")" = "READY=1 RELOADING=1 READY=1 " ]'
check "SIGHUP applies a reloadable key and names the restart-only one" \
    'grep -q "info ingest config: reloaded: changed scan_interval_ms$" "$T/ingest.log" && grep -q "warn ingest config: changed but only read at start (restart to apply): intake_endpoint$" "$T/ingest.log"'
kill -TERM "$pid"
wait "$pid"; rc=$?; pid=
check "SIGTERM: STOPPING=1 and a clean exit" '[ $rc -eq 0 ] && grep -qx "STOPPING=1" "$T/got"'
check "the started line names the versions" 'grep -q "started pcs-ingest (pcs .*libuv .*libzmq .*libpq .*jansson " "$T/ingest.log"'
echo "sdnotify: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { cat "$T/got"; tail -5 "$T/ingest.log"; false; }
