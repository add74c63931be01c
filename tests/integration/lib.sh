# lib.sh: what the integration scripts share; sourced after `set -u` with
#   NAME   the test's name: temp dir /tmp/pcs-NAME-test.*, database pcs_NAME_PID
#   PIDS   the names of the variables that hold the pids of the daemons the test starts
#   PCS    the pcs binary (migrates the database)
#   DB_OPTS (optional) options of its CREATE DATABASE
# It creates and migrates the database, removes both at exit (PCS_TEST_KEEP=1 keeps them for a
# look), and gives check, q, wait_for, ingest_conf, load_cases and finish.
: "${PGHOST:?tests/run starts PostgreSQL and sets PGHOST}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d "/tmp/pcs-$NAME-test.XXXXXX")
DB=pcs_${NAME}_$$
pass=0 fail=0
for v in $PIDS; do printf -v "$v" '%s' ''; done
# check NAME EXPR: one assertion
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
q() { psql -qAt -d "$DB" -c "$1"; }
# wait_for SQL VALUE [TENTHS]: until the query prints VALUE (a liveness bound, 60 s by default)
wait_for() {
    local n=${3:-600}
    for _ in $(seq 1 "$n"); do [ "$(q "$1")" = "$2" ] && return 0; sleep 0.1; done
    return 1
}
cleanup() {
    local v
    for v in $PIDS; do [ -n "${!v}" ] && kill -9 "${!v}" 2>/dev/null; done
    [ -n "${PCS_TEST_KEEP:-}" ] && { echo "kept $T and database $DB"; return; }
    psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
# DB_OPTS (set by the test before sourcing): options of CREATE DATABASE, e.g. another collation
psql -qAt -d postgres -c "CREATE DATABASE $DB ${DB_OPTS:-}" >/dev/null || { echo "cannot create database"; exit 1; }
"$PCS" migrate --db "dbname=$DB" >/dev/null || { echo "migrate failed"; exit 1; }

# PAIRS_DIFF: a query counting the rows of usage_by_partner (sql/0018) not as defined, missing or extra
PAIRS_DIFF="SELECT count(*) FROM ((SELECT k.partner_id, k.tenant_id, u.data
         FROM (SELECT partner_id, tenant_id FROM customers UNION SELECT partner_id, tenant_id FROM associations) k
         JOIN usage_packed u ON u.tenant_id = k.tenant_id
       EXCEPT SELECT partner_id, tenant_id, data FROM usage_by_partner)
      UNION ALL (SELECT partner_id, tenant_id, data FROM usage_by_partner
       EXCEPT SELECT k.partner_id, k.tenant_id, u.data
         FROM (SELECT partner_id, tenant_id FROM customers UNION SELECT partner_id, tenant_id FROM associations) k
         JOIN usage_packed u ON u.tenant_id = k.tenant_id)) d"

# ingest_conf [ROLE]: the pcs-ingest configuration of the test (spool and ipc sockets in $T),
# connecting as ROLE when given (the daemon's own role, sql/0002 + 0010, as in production)
ingest_conf() {
    cat <<CONF
# test configuration
db = "dbname=$DB${1:+ user=$1}"
spool_dir = $T/spool
intake_endpoint = ipc://$T/intake
push_endpoint = ipc://$T/push
scan_interval_ms = 200
CONF
}

# scorer_endpoints [ROLE]: the database (as ROLE when given) and ipc sockets of the test's pcs-scorer
# (the rest is the test's)
scorer_endpoints() {
    cat <<CONF
# test configuration
db = "dbname=$DB${1:+ user=$1}"
pull_endpoint = ipc://$T/push
control_endpoint = ipc://$T/control
pub_endpoint = ipc://$T/pub
CONF
}

# load_cases CASE...: golden documents turned into feeds ($T/feeds, doc2feeds.py) and dropped into
# the running pcs-ingest's spool one file at a time, certification events last
load_cases() {
    local c f
    mkdir -p "$T/feeds"
    for c in "$@"; do
        python3 "$ROOT/tests/integration/doc2feeds.py" "$ROOT/tests/data/$c/input.json" "$c" "$T/feeds" ||
            echo "doc2feeds $c failed"
    done
    for f in "$T"/feeds/*.csv "$T"/feeds/*.certs.jsonl; do
        cp "$f" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/$(basename "$f")"
        for _ in $(seq 1 200); do [ -e "$T/spool/incoming/$(basename "$f")" ] || break; sleep 0.05; done
    done
}

# start_sample_stack DAY NOTIFIER_LINES: pcs-ingest, pcs-scorer (today DAY) and pcs-notifier (today DAY,
# plus the extra config lines, \n-separated) on ipc sockets in $T, started in the background (ipid,
# spid, npid); the demo's sample feeds (deploy/sample/) dropped one file at a time; returns once the
# outbox is drained (status of that wait). Needs INGEST, SCORER and NOTIFIER.
start_sample_stack() {
    local f
    ingest_conf >"$T/ingest.conf"
    { scorer_endpoints; printf 'rule_sets = pcs-2026\ntoday = %s\nrefresh_day = 0\noutbox_poll_ms = 300\n' "$1"; } \
        >"$T/scorer.conf"
    printf 'db = "dbname=%s"\nsub_endpoint = ipc://%s/pub\ntoday = %s\ncatch_up_ms = 300\n%b\n' "$DB" "$T" "$1" "$2" >"$T/notifier.conf"
    "$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
    "$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
    "$NOTIFIER" --config "$T/notifier.conf" 2>>"$T/notifier.log" & npid=$!
    for _ in $(seq 1 100); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done
    for f in "$ROOT"/deploy/sample/feeds/* "$ROOT"/deploy/sample/pc/*.csv; do
        cp "$f" "$T/spool/incoming/.tmp" && mv "$T/spool/incoming/.tmp" "$T/spool/incoming/$(basename "$f")"
        for _ in $(seq 1 300); do [ -e "$T/spool/incoming/$(basename "$f")" ] || break; sleep 0.05; done
    done
    wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0 600
}

finish() {
    echo "$NAME: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
