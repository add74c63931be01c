# api_stack.sh: sourced by the pcs-api tests after lib.sh, with PCS INGEST SCORER NOTIFIER API set
# and ipid spid npid apid in PIDS. Starts the real stack on the throwaway PostgreSQL (ipc sockets
# in $T), loads the demo's sample feeds (deploy/sample/, the data pcs-local demo shows), refreshes
# as of the demo's date, lets the notifier raise its alerts, and starts pcs-api on an ephemeral
# 127.0.0.1 port as the least-privileged role pcs_api. Gives URL, ADMIN (an admin token),
# AS_OF, start_api and api_get.
AS_OF=2026-11-20
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
start_sample_stack "$AS_OF" 'settle_ms = 0\nlog_min_severity = off' || echo "the outbox did not drain"
"$PCS" refresh --as-of "$AS_OF" --wait --timeout 300 >/dev/null || echo "refresh failed"
# the demo's partners raise alerts (designation at risk, expiring certifications, ...)
wait_for "SELECT count(*) > 0 FROM alerts" t 600 || echo "the notifier raised no alert"
ADMIN=$("$PCS" token create --name test-admin --admin 2>/dev/null)

# start_api [EXTRA CONFIG LINES]: pcs-api on an ephemeral port; sets apid and URL
start_api() {
    printf 'db = "dbname=%s user=pcs_api"\nlisten_address = 127.0.0.1\nport = 0\nworkers = 4\ntoday = %s\n%s\n' "$DB" "$AS_OF" "${1:-}" >"$T/api.conf"
    : >"$T/api.log"
    "$API" --config "$T/api.conf" 2>>"$T/api.log" & apid=$!
    URL=
    for _ in $(seq 1 100); do
        URL=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/api.log" | head -1 | sed 's/listening on //')
        [ -n "$URL" ] && break
        sleep 0.1
    done
    [ -n "$URL" ] || { echo "pcs-api did not start:"; cat "$T/api.log"; }
}
# api_get PATH [TOKEN]: the body; the status code goes to $T/code
api_get() {
    curl -s -o "$T/body" -w '%{http_code}' ${2:+-H "Authorization: Bearer $2"} "$URL$1" >"$T/code"
    cat "$T/body"
}
code() { cat "$T/code"; }
