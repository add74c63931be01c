# api_stack.sh: sourced by the pcs-api tests after lib.sh, with PCS INGEST SCORER NOTIFIER API set
# and ipid spid npid apid in PIDS. Starts the real stack on the throwaway PostgreSQL (ipc sockets
# in $T), loads the demo's sample feeds (deploy/sample/, the data pcs-local demo shows), refreshes
# as of the demo's date, lets the notifier raise its alerts, and starts pcs-api on an ephemeral
# 127.0.0.1 port as the least-privileged role pcs_api. Gives URL, ADMIN (an admin token),
# AS_OF, start_api and api_get.
AS_OF=2026-11-20
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
ingest_conf >"$T/ingest.conf"
printf 'db = "dbname=%s"\npull_endpoint = ipc://%s/push\ncontrol_endpoint = ipc://%s/control\npub_endpoint = ipc://%s/pub\nrule_sets = pcs-2026\ntoday = %s\nrefresh_day = 0\noutbox_poll_ms = 300\n' \
    "$DB" "$T" "$T" "$T" "$AS_OF" >"$T/scorer.conf"
printf 'db = "dbname=%s"\nsub_endpoint = ipc://%s/pub\ntoday = %s\ncatch_up_ms = 300\nsettle_ms = 0\nlog_min_severity = off\n' \
    "$DB" "$T" "$AS_OF" >"$T/notifier.conf"
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
"$NOTIFIER" --config "$T/notifier.conf" 2>>"$T/notifier.log" & npid=$!
for _ in $(seq 1 100); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done
for f in "$ROOT"/deploy/sample/feeds/* "$ROOT"/deploy/sample/pc/*.csv; do
    cp "$f" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/$(basename "$f")"
    for _ in $(seq 1 300); do [ -e "$T/spool/incoming/$(basename "$f")" ] || break; sleep 0.05; done
done
wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0 600 || echo "the outbox did not drain"
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
