# lib.sh: what the benchmarks share; sourced after `set -euo pipefail` with
#   NAME      temp dir /tmp/pcs-NAME-bench.*, database pcs_NAMEbench_PID
#   PIDS      the names of the variables holding the pids of what the benchmark starts
#   PCS       the pcs binary (migrates the database)
#   PORT_OWN  the port of the throwaway PostgreSQL started when none answers at PGHOST/PGPORT
# PG_SHARED_BUFFERS (say 4GB) sizes that throwaway PostgreSQL's shared_buffers, as the README's
# "Sizing PostgreSQL" asks of a deployment; unset, it keeps PostgreSQL's default (128MB).
# At exit it stops what was started, drops the database and removes the temp dir.
T=$(mktemp -d "/tmp/pcs-$NAME-bench.XXXXXX")
DB=pcs_${NAME}bench_$$
PGOWN=
for v in $PIDS; do printf -v "$v" '%s' ''; done
cleanup() {
    local v
    for v in $PIDS; do [ -n "${!v}" ] && kill "${!v}" 2>/dev/null || true; done
    psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    [ -n "$PGOWN" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
if ! psql -qAt -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    chown postgres "$T"
    runuser -u postgres -- "$PGBIN/initdb" -D "$T/pg" -A trust -U postgres >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -l "$T/pg.log" -w \
        -o "-k $T -c listen_addresses='' -p $PORT_OWN${PG_SHARED_BUFFERS:+ -c shared_buffers=$PG_SHARED_BUFFERS}" start >/dev/null
    export PGHOST=$T PGPORT=$PORT_OWN PGUSER=postgres
    PGOWN=1
fi
psql -qAt -d postgres -c "CREATE DATABASE $DB" >/dev/null
"$PCS" migrate --db "dbname=$DB" >/dev/null
q() { psql -qAt -d "$DB" -c "$1"; }
echo "PostgreSQL $(q "SHOW server_version"), shared_buffers $(q "SHOW shared_buffers")"
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
