#!/usr/bin/env bash
# deploy/pcs-local end to end, in a temporary copy of the tree: `demo` builds, starts PostgreSQL and
# the four daemons, loads the samples and refreshes; every sample partner's stored result equals
# `pcs score` of its document; the expected alerts and rejected rows are there; the dashboard
# answers on 127.0.0.1 (PCS_API_PORT) with the admin token of var/api-token, kept across demos; `status` reports a
# killed daemon and `demo` restarts it; `down` leaves no process behind; `reset` removes var/.
# The copy sits in a mode-0700 directory (like root's home on Debian), which PostgreSQL's own user
# cannot enter: pcs-local must work from there.
# usage: local.sh        (needs root or sudo for packages; run by tests/run)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
H=$(mktemp -d /tmp/pcs-local-test.XXXXXX)   # mode 0700, as a home directory
C=$H/pcs
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
cleanup() {
    [ -x "$C/deploy/pcs-local" ] && "$C/deploy/pcs-local" reset >/dev/null 2>&1
    rm -rf "$H"
}
trap cleanup EXIT
mkdir "$C"
tar -C "$ROOT" --exclude=./build --exclude=./var --exclude=./.git -cf - . | tar -C "$C" -xf -
check "the tree is in a directory only its owner may enter" '[ "$(stat -c %a "$H")" = 700 ]' 
L=$C/deploy/pcs-local
# a free port for pcs-api (8470 may be taken on a shared machine)
export PCS_API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
q() { psql -qAt -h "$C/var/postgres/run" -p 54350 -U postgres -d pcs -c "$1"; }

out=$("$L" demo 2>&1); rc=$?
echo "$out" | tail -n 25
check "pcs-local demo succeeds" '[ $rc -eq 0 ]'
check "demo prints the scorecards" '[[ "$out" == *"Partner northwind-secure"* ]] && [[ "$out" == *" of 100"* ]]'
check "demo prints the dashboard's URL and where the token is" '[[ "$out" == *"http://127.0.0.1:$PCS_API_PORT/"* ]] && [[ "$out" == *"var/api-token"* ]]'
check "demo prints the alerts and the rejected rows" '[[ "$out" == *"designation_at_risk"* ]] && [[ "$out" == *"6-corrections.associations.csv"* ]]'
norm() { python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("warnings", None); print(json.dumps(d, sort_keys=True))'; }
for p in contoso-analytics fabrikam-cloud northwind-secure tailspin-data woodgrove-infra; do
    a=$("$L" pcs show "$p" --json | norm)
    b=$("$L" pcs score "$C/deploy/sample/partners/$p.json" | norm)
    check "stored result of $p equals pcs score of its document" '[ -n "$a" ] && [ "$a" = "$b" ]'
done
has() { [ "$(q "SELECT count(*) FROM alerts WHERE partner_id = '$1' AND event = '$2'")" -gt 0 ]; }
check "contoso-analytics qualifies in three areas" \
    '[ "$(q "SELECT count(*) FROM score_snapshots WHERE partner_id = '\''contoso-analytics'\'' AND as_of = '\''2026-11-20'\'' AND selected AND qualified")" = 3 ]'
check "alert: fabrikam-cloud near_threshold" 'has fabrikam-cloud near_threshold'
check "alert: northwind-secure renewal_reminder" 'has northwind-secure renewal_reminder'
check "alert: northwind-secure designation_at_risk" 'has northwind-secure designation_at_risk'
check "alert: tailspin-data metric_zero_blocking" 'has tailspin-data metric_zero_blocking'
check "alert: woodgrove-infra cert_expiring" 'has woodgrove-infra cert_expiring'
check "the four bad rows of the corrections file are rejected with a reason" \
    '[ "$(q "SELECT count(*) FROM rejected_rows WHERE file_name = '\''6-corrections.associations.csv'\''")" = 4 ]'
check "the Partner Center exports were loaded" '[ "$(q "SELECT count(*) FROM customers WHERE partner_id LIKE '\''555000%'\''")" -gt 0 ]'
a=$("$L" pcs show 5550000 --json | norm)
b=$("$L" pcs score "$C/deploy/sample/pc/partner-5550000.json" | norm)
check "the Partner Center partner's stored result equals pcs score of the document its downloads mean" '[ -n "$a" ] && [ "$a" = "$b" ]'
check "the Partner Center partner has a real scorecard (Data & AI qualified)" \
    '[ "$(q "SELECT count(*) FROM score_snapshots WHERE partner_id = '\''5550000'\'' AND as_of = '\''2026-11-20'\'' AND selected AND qualified AND area = '\''data_ai'\''")" = 1 ]'
check "demo says how the Partner Center rows were attributed" '[[ "$out" == *"attributed PAL: "*" tenant-workload-months ("*") -> "*" associations"* ]] && [[ "$out" == *"rows skipped: "*"of duplicate attributions"* ]]'

out=$("$L" status)
check "status shows the four daemons running" '[ "$(grep -c "running, pid" <<<"$out")" = 4 ] && [[ "$out" == *"postgres  running"* ]]'
check "status shows the dashboard's URL" '[[ "$out" == *"dashboard http://127.0.0.1:$PCS_API_PORT/"* ]]'
tok=$(cat "$C/var/api-token" 2>/dev/null)
check "demo wrote an admin token to var/api-token, mode 0600" '[[ "$tok" =~ ^pcs_[0-9a-f]{64}$ ]] && [ "$(stat -c %a "$C/var/api-token")" = 600 ]'
check "the dashboard and the API answer on 127.0.0.1 with that token" \
    '[ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PCS_API_PORT/")" = 200 ] &&
     [ "$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$PCS_API_PORT/api/v1/partners" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" -ge 5 ]'
check "the API answers pcs show byte for byte" \
    'cmp -s <(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$PCS_API_PORT/api/v1/partners/contoso-analytics") <("$L" pcs show contoso-analytics --json)'

# a crashed daemon is reported and restarted by demo; demo twice loads nothing twice
files=$(q "SELECT count(*) FROM loaded_files")
kill -9 "$(cat "$C/var/run/scorer.pid")"
sleep 0.3
out=$("$L" status)
check "status reports the killed scorer" '[[ "$out" == *"pcs-scorer"*"NOT RUNNING"* ]]'
out=$("$L" demo 2>&1); rc=$?
check "demo again restarts it and succeeds" '[ $rc -eq 0 ] && [[ "$out" == *"pcs-scorer was not running"* ]] && [ "$("$L" status | grep -c "running, pid")" = 4 ]'
check "demo again keeps the API token" '[ "$(cat "$C/var/api-token")" = "$tok" ]'
check "demo again loads no file twice" '[ "$(q "SELECT count(*) FROM loaded_files")" = "$files" ]'

pids="$(cat "$C"/var/run/*.pid) $(head -1 "$C/var/postgres/data/postmaster.pid")"
"$L" down >/dev/null
left=0
for p in $pids; do
    # a zombie (exited, not yet reaped by whoever inherited it) is not running
    if kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
        left=$((left + 1))
        echo "still running: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
    fi
done
check "down leaves no process it started" '[ $left -eq 0 ] && ! pgrep -f "$C/" >/dev/null'
pgrep -af "$C/" | grep -v "^$$ " | sed 's/^/left running: /'
check "down keeps the data" '[ -f "$C/var/postgres/data/PG_VERSION" ]'
pgroot=$(readlink -f "$C/var/postgres")
"$L" reset >/dev/null
check "reset removes var/ and PostgreSQL's directory" '[ ! -e "$C/var" ] && [ ! -e "$pgroot" ]'

echo "local: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
