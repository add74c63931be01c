#!/usr/bin/env bash
# pcs-api against the real stack (throwaway PostgreSQL, pcs-ingest, pcs-scorer, pcs-notifier with
# the demo's sample data; pcs-api on an ephemeral 127.0.0.1 port as the role pcs_api):
#  - every endpoint answers byte for byte what the CLI prints with --json;
#  - 401 without a token, with an unknown, malformed or revoked one (revocation counts at once);
#  - a token scoped to one partner gets 403 for another through every endpoint, and sees only its
#    partner in the list; 404 for an unknown partner, 400 for a bad date or a bad simulate body;
#  - malformed requests (huge headers and bodies, bad JSON, '..' and encoded slashes, bad escapes,
#    garbage request lines, wrong methods) get a 4xx and the daemon keeps serving;
#  - /metrics in Prometheus text format agrees with the database; the roles keep their limits.
# usage: api.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer PATH/TO/pcs-notifier PATH/TO/pcs-api
set -u
PCS=$1 INGEST=$2 SCORER=$3 NOTIFIER=$4 API=$5
NAME=api PIDS="ipid spid npid apid tpid"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_stack.sh"
start_api "timeout_s = 5"
py() { python3 -c "$1" "${@:2}"; }
# raw REQUEST-BYTES (python expression): sends them as they are, prints the status line's code
raw() {
    py 'import socket,sys
u=sys.argv[1].split("//")[1]; h,p=u.split(":"); s=socket.create_connection((h,int(p)),timeout=30)
try:
    s.sendall(eval(sys.argv[2]))
    data=s.recv(200)
    print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "closed")
except Exception as e:
    print("closed")' "$URL" "$1"
}
P=contoso-analytics OTHER=fabrikam-cloud
SCOPED=$("$PCS" token create --name test-scoped --partner "$P" 2>/dev/null)
check "pcs token create prints one token of the documented shape" '[[ "$ADMIN" =~ ^pcs_[0-9a-f]{64}$ ]] && [[ "$SCOPED" =~ ^pcs_[0-9a-f]{64}$ ]]'
check "only the SHA-256 is stored, never the token" \
    '[ "$(q "SELECT count(*) FROM api_tokens WHERE hash = sha256(convert_to('"'"'$ADMIN'"'"', '"'"'UTF8'"'"'))")" = 1 ] && [ "$(q "SELECT count(*) FROM api_tokens t WHERE position('"'"'${ADMIN:4}'"'"' IN t::text) > 0")" = 0 ]'
check "a second live token with the same name is refused" '! "$PCS" token create --name test-admin --admin >/dev/null 2>&1'
check "pcs token list shows names and scopes, no token" \
    '"$PCS" token list | grep -q "test-scoped .*live .*$P" && ! "$PCS" token list | grep -q "${ADMIN:4:20}"'

# ---- 401 ---------------------------------------------------------------------------------------------------
api_get /api/v1/partners >/dev/null
check "no token: 401 with a JSON error and WWW-Authenticate" \
    '[ "$(code)" = 401 ] && [ "$(py "import json,sys; d=json.load(open(sys.argv[1])); print(d[\"status\"], bool(d[\"error\"]))" "$T/body")" = "401 True" ]'
api_get /api/v1/partners "pcs_$(printf '0%.0s' $(seq 1 64))" >/dev/null
check "an unknown token: 401" '[ "$(code)" = 401 ]'
api_get "/api/v1/partners/$P" "not-a-token" >/dev/null
check "a malformed token: 401" '[ "$(code)" = 401 ]'
check "Basic instead of Bearer: 401" '[ "$(curl -s -o /dev/null -w "%{http_code}" -u "x:$ADMIN" "$URL/api/v1/partners")" = 401 ]'

# ---- scope: the scoped token sees its partner only ------------------------------------------------------------
for sub in "" /history /alerts /eligibility /skilling /trends /forecast; do
    api_get "/api/v1/partners/$OTHER$sub" "$SCOPED" >/dev/null
    check "scoped token, another partner's $sub: 403" '[ "$(code)" = 403 ] && ! grep -q "\"partner_id\"" "$T/body"'
done
check "scoped token, another partner's simulate: 403" \
    '[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST -H "Authorization: Bearer $SCOPED" --data "{}" "$URL/api/v1/partners/$OTHER/simulate")" = 403 ]'
api_get "/api/v1/partners/no-such-partner" "$SCOPED" >/dev/null
check "scoped token, an unknown partner: 403 too (nothing said about what exists)" '[ "$(code)" = 403 ]'

# ---- every endpoint answers what the CLI prints with --json, byte for byte -------------------------------------
# same ANSWER-PATH -- CLI ARGS...: the body of GET ANSWER-PATH (admin token) equals `pcs ARGS... --json`
same() {
    local path=$1
    shift 2
    curl -s -o "$T/api.out" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" "$URL$path" >"$T/code"
    "$PCS" "$@" --json >"$T/cli.out" 2>"$T/cli.err"
    check "GET $path = pcs $* --json ($(wc -c <"$T/cli.out") bytes)" '[ "$(code)" = 200 ] && [ -s "$T/cli.out" ] && cmp -s "$T/api.out" "$T/cli.out"'
}
same "/api/v1/partners" -- partners
same "/api/v1/partners?sort=id&as_of=$AS_OF" -- partners --sort id --as-of "$AS_OF"
same "/api/v1/partners?status=qualified" -- partners --status qualified
same "/api/v1/partners/$P" -- show "$P"
same "/api/v1/partners/$P?as_of=$AS_OF" -- show "$P" --as-of "$AS_OF"
same "/api/v1/partners/$P/history" -- history "$P"
same "/api/v1/partners/$P/history?months=0&area=security" -- history "$P" --months 0 --area security
same "/api/v1/partners/$P/alerts" -- alerts "$P"
same "/api/v1/partners/$P/alerts?state=all&limit=5" -- alerts "$P" --state all --limit 5
same "/api/v1/partners/$P/eligibility?as_of=$AS_OF" -- eligibility "$P" --as-of "$AS_OF"
same "/api/v1/partners/$OTHER/eligibility?as_of=$AS_OF&area=infrastructure" -- eligibility "$OTHER" --as-of "$AS_OF" --area infrastructure
same "/api/v1/partners/$P/skilling?as_of=$AS_OF" -- skilling "$P" --as-of "$AS_OF"
same "/api/v1/partners/$P/trends" -- trends "$P"
same "/api/v1/partners/$P/trends?as_of=2026-06-15" -- trends "$P" --as-of 2026-06-15
same "/api/v1/partners/$P/forecast?as_of=$AS_OF&until=2027-03-31" -- forecast "$P" --as-of "$AS_OF" --until 2027-03-31
same "/api/v1/partners/$P/recommend?as_of=$AS_OF" -- recommend "$P" --as-of "$AS_OF"
same "/api/v1/partners/$P/eligibility" -- eligibility "$P"
check "the alerts of the demo are there to compare" '[ "$(q "SELECT count(*) FROM alerts")" -gt 0 ]'
curl -s -o "$T/api.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    --data '{"add_certs": [{"person_id": "new-1", "certification": "az_admin", "earned": "2026-11-01"}], "remove_certs": [], "add_customers": []}' \
    "$URL/api/v1/partners/$P/simulate?as_of=$AS_OF" >"$T/code"
"$PCS" simulate "$P" --as-of "$AS_OF" --add-cert new-1:az_admin:2026-11-01 --json >"$T/cli.out" 2>"$T/cli.err"
check "POST simulate = pcs simulate --add-cert --json" '[ "$(code)" = 200 ] && [ -s "$T/cli.out" ] && cmp -s "$T/api.out" "$T/cli.out"'
check "a simulation stores nothing" '[ "$(q "SELECT count(*) FROM certifications WHERE person_id = '"'"'new-1'"'"'")" = 0 ]'
# the scoped token: its partner only, in the list and through every endpoint
curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/v1/partners" |
    python3 -c 'import json,sys; print(json.dumps([p for p in json.load(sys.stdin) if p["partner_id"] == sys.argv[1]]))' "$P" >"$T/want"
check "scoped token: the partner list holds its partner only" \
    '[ "$(curl -s -H "Authorization: Bearer $SCOPED" "$URL/api/v1/partners" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)))")" = "$(cat "$T/want")" ] && [ "$(cat "$T/want")" != "[]" ]'
for sub in "" /history /alerts /eligibility /skilling /trends /forecast /recommend; do
    api_get "/api/v1/partners/$P$sub" "$SCOPED" >/dev/null
    check "scoped token, its own partner's $sub: 200" '[ "$(code)" = 200 ]'
done

# ---- 404 and 400 ------------------------------------------------------------------------------------------------
for sub in "" /history /alerts /eligibility /skilling /trends /forecast; do
    api_get "/api/v1/partners/no-such-partner$sub" "$ADMIN" >/dev/null
    check "an unknown partner's $sub: 404 in JSON" '[ "$(code)" = 404 ] && grep -q "\"status\":404" "$T/body"'
done
for bad in "$P?as_of=2026-13-45" "$P?as_of=yesterday" "$P/history?months=abc" "$P/history?area=nowhere" \
           "$P/eligibility?as_of=2026-02-30" "$P/forecast?until=soon" "?sort=sideways"; do
    api_get "/api/v1/partners/$bad" "$ADMIN" >/dev/null
    check "bad parameter $bad: 400" '[ "$(code)" = 400 ] && grep -q "\"status\":400" "$T/body"'
done
api_get "/api/v1/partners?sort=sideways" "$ADMIN" >/dev/null
check "bad sort: 400" '[ "$(code)" = 400 ]'
post() { curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN" --data-binary "$1" "$URL/api/v1/partners/$P/simulate"; }
check "simulate with bad JSON: 400 with the position" '[ "$(post "{\"add_certs\": [}")" = 400 ] && grep -q "not JSON: 1:" "$T/body"'
check "simulate with an unknown key: 400" '[ "$(post "{\"add_cerst\": []}")" = 400 ]'
check "simulate with a non-object: 400" '[ "$(post "[1, 2]")" = 400 ]'
check "simulate with an unknown certification: 400" \
    '[ "$(post "{\"add_certs\": [{\"person_id\": \"x\", \"certification\": \"no-such-cert\"}]}")" = 400 ]'
check "simulate with an empty body: 400" '[ "$(post "")" = 400 ]'

# ---- revocation counts from the next request ------------------------------------------------------------------
api_get "/metrics" >/dev/null
"$PCS" token revoke test-scoped >/dev/null
api_get "/api/v1/partners" "$SCOPED" >/dev/null
check "a revoked token: 401 at once" '[ "$(code)" = 401 ]'
check "a revoked name can be given to a new token" '"$PCS" token create --name test-scoped --partner "$P" >/dev/null 2>&1'

# ---- malformed requests ---------------------------------------------------------------------------------------
for path in "/api/v1/partners/..%2F..%2Fetc%2Fpasswd" "/api/v1/partners/a%2Fb" "/api/v1/partners/%2e%2e" \
            "/api/v1/partners/x%zz" "/api//v1/partners" "/api/v1/partners/%00"; do
    check "path trick $path: 400" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $ADMIN" "$URL$path")" = 400 ]'
done
check "a literal '..' (curl --path-as-is): 400" '[ "$(curl -s --path-as-is -o /dev/null -w "%{http_code}" "$URL/api/v1/../../etc/passwd")" = 400 ]'
check "a 40 kB header: 431 in JSON" \
    '[ "$(curl -s -o "$T/body" -w "%{http_code}" -H "X-Junk: $(head -c 40000 /dev/zero | tr "\0" a)" "$URL/")" = 431 ] && grep -q "\"status\":431" "$T/body"'
printf 'X-Junk: %s\n' "$(head -c 200000 /dev/zero | tr '\0' a)" >"$T/big-header"
check "a 200 kB header: 4xx" '[[ "$(curl -s -o /dev/null -w "%{http_code}" -H @"$T/big-header" "$URL/")" == 4* ]]'
check "a 2 MB body: 413" \
    '[ "$(head -c 2000000 /dev/zero | curl -s -o /dev/null -w "%{http_code}" -X POST -H "Authorization: Bearer $ADMIN" --data-binary @- "$URL/api/v1/partners/$P/simulate")" = 413 ]'
check "a 2 MB chunked body: 413" \
    '[ "$(head -c 2000000 /dev/zero | curl -s -o /dev/null -w "%{http_code}" -X POST -H "Transfer-Encoding: chunked" -H "Authorization: Bearer $ADMIN" --data-binary @- "$URL/api/v1/partners/$P/simulate")" = 413 ]'
check "a garbage request line: 4xx or closed" '[[ "$(raw "b\"GARBAGE\\r\\n\\r\\n\"")" =~ ^(4..|closed)$ ]]'
check "a request line without a path: 4xx or closed" '[[ "$(raw "b\"GET  HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\"")" =~ ^(4..|closed)$ ]]'
check "a NUL in the path: 4xx or closed" '[[ "$(raw "b\"GET /api\\x00/v1 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\"")" =~ ^(4..|closed)$ ]]'
check "DELETE: 405 with Allow" '[ "$(curl -s -o /dev/null -w "%{http_code}" -X DELETE "$URL/")" = 405 ]'
check "GET on simulate: 405" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $ADMIN" "$URL/api/v1/partners/$P/simulate")" = 405 ]'
check "an unknown endpoint: 404 in JSON" \
    '[ "$(curl -s -o "$T/body" -w "%{http_code}" -H "Authorization: Bearer $ADMIN" "$URL/api/v1/nothing")" = 404 ] && grep -q "\"status\":404" "$T/body"'
check "after all that the daemon still runs and serves" 'kill -0 $apid && [ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/metrics")" = 200 ]'

# ---- the dashboard's files ---------------------------------------------------------------------------------------
check "/ is the dashboard, with a Content-Security-Policy and no token" \
    '[ "$(curl -s -o "$T/body" -D "$T/headers" -w "%{http_code}" "$URL/")" = 200 ] && grep -qi "^content-security-policy: default-src .none." "$T/headers" && grep -qi "<html" "$T/body"'
check "/partners/ID is the dashboard too" '[ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/partners/$P")" = 200 ]'
check "a file that is not shipped: 404" '[ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/secret.js")" = 404 ]'

# ---- /metrics ----------------------------------------------------------------------------------------------------
curl -s -D "$T/headers" "$URL/metrics" >"$T/metrics"
metric() { awk -v m="$1" '$1 == m { print $2 }' "$T/metrics"; }
check "/metrics is Prometheus text" 'grep -qi "^content-type: text/plain; version=0.0.4" "$T/headers" && grep -q "^# TYPE pcs_feed_files_loaded_total counter" "$T/metrics"'
check "files loaded as in the database ($(metric pcs_feed_files_loaded_total))" '[ "$(metric pcs_feed_files_loaded_total)" = "$(q "SELECT count(*) FROM loaded_files")" ]'
check "rows rejected as in the database" '[ "$(metric pcs_feed_rows_rejected_total)" = "$(q "SELECT count(*) FROM rejected_rows")" ] && [ "$(metric pcs_feed_rows_rejected_total)" -gt 0 ]'
check "scored partners as in the database" '[ "$(metric pcs_scored_partners)" = "$(q "SELECT count(DISTINCT partner_id) FROM score_results")" ]'
check "alerts raised per severity add up" \
    '[ "$(awk "/^pcs_alerts_raised_total/ { s += \$2 } END { print s }" "$T/metrics")" = "$(q "SELECT count(*) FROM alerts")" ]'
check "refresh runs and the outbox are there" 'grep -q "^pcs_refresh_duration_seconds_count [1-9]" "$T/metrics" && grep -q "^pcs_outbox_lag_seconds " "$T/metrics"'
check "pcs-api counts its own answers (401s and 400s seen)" \
    'grep -q "^pcs_api_requests_total{code=\"401\"} [1-9]" "$T/metrics" && grep -q "^pcs_api_requests_total{code=\"400\"} [1-9]" "$T/metrics"'

# ---- least privilege -----------------------------------------------------------------------------------------------
check "pcs_api cannot write a token" \
    '! psql -qAt -d "$DB" -U pcs_api -c "INSERT INTO api_tokens (name, lookup, hash, admin) VALUES ('"'"'x'"'"', '"'"'000000000000'"'"', '"'"'\\x00'"'"', true)" 2>/dev/null'
check "pcs_api cannot read rejected rows' raw text" '! psql -qAt -d "$DB" -U pcs_api -c "SELECT raw FROM rejected_rows" >/dev/null 2>&1'
check "pcs_reader sees token names but not hashes" \
    'psql -qAt -d "$DB" -U pcs_reader -c "SELECT name FROM api_tokens" >/dev/null 2>&1 && ! psql -qAt -d "$DB" -U pcs_reader -c "SELECT hash FROM api_tokens" >/dev/null 2>&1'

# ---- limits in time: a client that stops sending is cut off; the others are served meanwhile ------------------
python3 - "$URL" >"$T/slow" <<'PY' &
import socket, sys, time
h, p = sys.argv[1].split("//")[1].split(":")
s = socket.create_connection((h, int(p)), timeout=60)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")   # and nothing more
t0 = time.time()
try:
    print("closed" if s.recv(100) == b"" else "answered", end=" ")
except OSError:
    print("closed", end=" ")
print(int(time.time() - t0))
PY
slowpid=$!
sleep 0.5
check "meanwhile other requests are answered" '[ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/metrics")" = 200 ]'
wait $slowpid
read -r how secs <"$T/slow"
check "a request that stops mid-header is closed after timeout_s (5 s; took ${secs:-?} s)" '[ "$how" = closed ] && [ "${secs:-99}" -lt 30 ]'

# ---- TLS through libmicrohttpd's GnuTLS --------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=127.0.0.1 2>/dev/null
printf 'db = "dbname=%s user=pcs_api"\nport = 0\nworkers = 1\ntls_cert_file = %s\ntls_key_file = %s\n' "$DB" "$T/cert.pem" "$T/key.pem" >"$T/tls.conf"
"$API" --config "$T/tls.conf" 2>"$T/tls.log" & tpid=$!
TURL=
for _ in $(seq 1 100); do
    TURL=$(grep -o 'listening on https://127.0.0.1:[0-9]*' "$T/tls.log" | head -1 | sed 's/listening on //') && [ -n "$TURL" ] && break
    sleep 0.1
done
check "TLS: https with the configured certificate answers the API" \
    '[ -n "$TURL" ] && [ "$(curl -s --cacert "$T/cert.pem" -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $ADMIN" "$TURL/api/v1/partners")" = 200 ]'
check "TLS: plain http on that port gets no answer" '[ "$(curl -s -o /dev/null -w "%{http_code}" "${TURL/https/http}/metrics")" != 200 ]'
printf 'tls_cert_file = %s\n' "$T/cert.pem" >"$T/tls2.conf"
check "TLS: a certificate without its key is refused by --check-config" '! "$API" --check-config "$T/tls2.conf" >/dev/null 2>&1'
kill $tpid; wait $tpid 2>/dev/null; tpid=

# ---- PostgreSQL down and back: 503 in JSON, /metrics still answers, then it serves again ------------------
"$PCS_TEST_PGCTL" stop -m fast -w >/dev/null
api_get /api/v1/partners "$ADMIN" >/dev/null
check "PostgreSQL down: 503 in JSON" '[ "$(code)" = 503 ] && grep -q "\"status\":503" "$T/body"'
check "PostgreSQL down: /metrics answers with pcs_api_database_up 0" \
    '[ "$(curl -s "$URL/metrics" | awk "\$1 == \"pcs_api_database_up\" { print \$2 }")" = 0 ]'
"$PCS_TEST_PGCTL" start -w >/dev/null
ok=
for _ in $(seq 1 50); do api_get /api/v1/partners "$ADMIN" >/dev/null; [ "$(code)" = 200 ] && ok=1 && break; sleep 0.2; done
check "PostgreSQL back: pcs-api reconnects and serves" '[ -n "$ok" ]'

# ---- SIGHUP: the configuration is read again and the listener restarts ------------------------------------------
printf 'access_log = true\n' >>"$T/api.conf"
kill -HUP $apid
for _ in $(seq 1 100); do [ "$(grep -c "listening on" "$T/api.log")" -ge 2 ] && break; sleep 0.1; done
URL=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/api.log" | tail -1 | sed 's/listening on //')
api_get /api/v1/partners "$ADMIN" >/dev/null
check "SIGHUP: reloaded and serving (the new access log shows the request)" \
    '[ "$(code)" = 200 ] && grep -q "reloaded: configuration and dashboard files" "$T/api.log" && grep -q "GET /api/v1/partners 200" "$T/api.log"'
printf 'port = banana\n' >>"$T/api.conf"
kill -HUP $apid
sleep 0.5
check "SIGHUP with a bad file: refused, the running configuration keeps serving" \
    'grep -q "keeping the running configuration" "$T/api.log" && [ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/metrics")" = 200 ]'

# ---- SIGTERM: finishes and exits 0 ---------------------------------------------------------------------------------
kill -TERM $apid
wait $apid
rc=$?
apid=
check "SIGTERM: pcs-api exits 0" '[ $rc -eq 0 ]'
check "the token never appears in the log" '! grep -q "${ADMIN:4:24}" "$T/api.log"'
finish
