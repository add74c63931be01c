# tests/pg.sh: sourced by tests/run and tests/with-pg. Starts a throwaway PostgreSQL (initdb into a
# temp dir, unix socket only, port PCS_TEST_PGPORT or 54329), exports PGHOST/PGPORT/PGUSER/PGDATABASE
# and PCS_TEST_PGCTL (a start/stop wrapper for tests that restart the server), and stops it at exit.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGTMP=$(mktemp -d /tmp/pcs-test-pg.XXXXXX)
# PCS_TEST_PGPORT lets several checkouts run their suites side by side on one machine
PGPORT_TEST=${PCS_TEST_PGPORT:-54329}
# as root PostgreSQL runs as postgres, from / (the checkout may be in a directory closed to it,
# such as root's home); its data and socket are in $PGTMP under /tmp, which it owns
as_pg() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
cleanup() {
    as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGTMP"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$PGTMP"
as_pg "$PGBIN/initdb" -D "$PGTMP/data" -A trust -U postgres --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/log" -w \
    -o "-k $PGTMP -c listen_addresses='' -c fsync=off -p $PGPORT_TEST" start >/dev/null
export PGHOST=$PGTMP PGPORT=$PGPORT_TEST PGUSER=postgres PGDATABASE=postgres
# tests that take PostgreSQL down and bring it back (RUN_SERIAL in ctest) use this wrapper
cat >"$PGTMP/pgctl" <<WRAPPER
#!/bin/sh
# usage: pgctl start|stop [pg_ctl options]
cmd=\$1; shift
cd /
if [ "\$(id -u)" -eq 0 ]; then run="runuser -u postgres --"; else run=""; fi
if [ "\$cmd" = start ]; then
    exec \$run "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/log" -o "-k $PGTMP -c listen_addresses='' -c fsync=off -p $PGPORT_TEST" start "\$@"
fi
exec \$run "$PGBIN/pg_ctl" -D "$PGTMP/data" "\$cmd" "\$@"
WRAPPER
chmod 755 "$PGTMP/pgctl"
export PCS_TEST_PGCTL=$PGTMP/pgctl
echo "tests/run: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on $PGHOST:$PGPORT"

