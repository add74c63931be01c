#!/usr/bin/env bash
# The options every daemon shares (common/pcs_daemon): --version, --help, --check-config on the
# commented configurations of deploy/ and on broken ones (FILE:LINE: reason, exit 2).
# usage: daemon_cli.sh SOURCE_DIR PCS-INGEST PCS-SCORER PCS-NOTIFIER
set -uo pipefail
SRC=$1
shift
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
for bin in "$@"; do
    name=$(basename "$bin")
    d=${name#pcs-}
    out=$("$bin" --version)
    check "$name --version names pcs and each library" \
        '[[ "$out" == "$name "* && "$out" == *"libuv "* && "$out" == *"libzmq "* && "$out" == *"libpq "* && "$out" == *"jansson "* ]]'
    out=$("$bin" --help)
    check "$name --help documents the shared options and the signals" \
        '[[ "$out" == *"--check-config FILE"* && "$out" == *"Signals:"* && "$out" == *"log_level"* ]]'
    out=$("$bin" --check-config "$SRC/deploy/$name.conf" 2>&1)
    check "$name --check-config accepts deploy/$name.conf" '[ $? -eq 0 ] && [ "$out" = "$SRC/deploy/$name.conf: ok" ]'
    printf '# a comment\n\nlog_level = verbose\n' >"$T/$d.conf"
    out=$("$bin" --check-config "$T/$d.conf" 2>&1); rc=$?
    check "$name --check-config: a bad enum value gives FILE:LINE and exit 2" \
        '[ $rc -eq 2 ] && [ "$out" = "$name: $T/$d.conf:3: log_level: expected one of debug, info, warn, error, got '\''verbose'\''" ]'
    printf 'log_level = info\nno_such_key = 1\n' >"$T/$d.conf"
    out=$("$bin" --config "$T/$d.conf" 2>&1); rc=$?
    check "$name --config with an unknown key does not start (exit 2, FILE:LINE)" \
        '[ $rc -eq 2 ] && [ "$out" = "$name: $T/$d.conf:2: no_such_key: unknown key" ]'
    out=$("$bin" --bogus 2>&1); rc=$?
    check "$name: an unknown option is a usage error" '[ $rc -eq 2 ] && [[ "$out" == *"usage: $name"* ]]'
done
echo "daemon_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
