#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR [SECONDS]: runs each libFuzzer target of tests/fuzz for SECONDS
# (default 5) over its committed corpus (tests/fuzz/corpus/NAME; new inputs go to a temporary
# directory, the committed corpus is never written). Exits non-zero on the first crash, leak,
# sanitizer report or timeout; the reproducer is left as crash-* / leak-* / timeout-* in the
# current directory. Longer runs: see tests/fuzz/README.md.
set -u
BUILD=$1
SECS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/pcs-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail=0
for t in doc csv export envelope rules; do
    mkdir -p "$WORK/$t"
    if "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "$WORK/$t" "$HERE/corpus/$t" >"$WORK/$t.log" 2>&1; then
        echo "fuzz_$t: ok, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/$t.log" | grep -o '[0-9]*$') runs in ${SECS} s"
    else
        echo "fuzz_$t: FAILED"; tail -n 40 "$WORK/$t.log"; fail=1
    fi
done
exit $fail
