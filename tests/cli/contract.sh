#!/usr/bin/env bash
# The `pcs score` / `pcs simulate` contract of interfaces.md §2, seen from outside the process:
# exit codes, stdout, the one-line `pcs: FILE:LINE:COL: reason` error, and bad bytes of all kinds.
# usage: contract.sh PATH/TO/pcs      (PCS_WRAP may prefix every run, e.g. valgrind)
set -u
PCS=$1
WRAP=${PCS_WRAP:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

run() { # run ARGS... -> sets out, err, rc
    $WRAP "$PCS" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    out=$(cat "$T/out")
    err=$(cat "$T/err")
}
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; echo "  rc=$rc stdout=${out:0:200}"; echo "  stderr=${err:0:300}"; }

# expect_error NAME PATTERN ARGS...: exit 2, nothing on stdout, one stderr line matching PATTERN
expect_error() {
    local name=$1 pat=$2
    shift 2
    run "$@"
    local lines
    lines=$(printf '%s' "$err" | grep -c '' || true)
    if [ "$rc" -eq 2 ] && [ -z "$out" ] && [ "$lines" -eq 1 ] && [[ "$err" =~ $pat ]]; then ok; else bad "$name"; fi
}

good=$T/good.json
cat >"$good" <<'JSON'
{
  "partner_id": 4711,
  "as_of": "2025-07-10",
  "customers": [{"tenant_id": "t-1", "customer_id": "c-1", "name": "Fabrikam", "segment": "enterprise"}],
  "associations": [{"tenant_id": "t-1", "type": "PAL", "workload": "*", "start": "2023-01-15", "end": null}],
  "usage": [{"tenant_id": "t-1", "workload": "azure/sql_database", "month": "2025-06", "acr_usd": 1250.0},
            {"tenant_id": "t-1", "workload": "azure/sql_database", "month": "2025-05", "acr_usd": 1250.0}],
  "people": [{"person_id": "p-1", "certifications": [
      {"name": "Azure Administrator Associate", "earned": "2025-03-01", "expires": "2026-03-01"}]}],
  "enrollments": [{"area": "security", "enrolled": "2024-12-01", "anniversary": "2025-12-01"}]
}
JSON

# --- good input -------------------------------------------------------------------------------------
run score "$good"
areas=$(printf '%s' "$out" | grep -o '{"area":"[a-z_]*"' | tr '\n' ' ')
if [ "$rc" -eq 0 ] && [ -z "$err" ] && [ "$areas" = '{"area":"data_ai" {"area":"infrastructure" {"area":"digital_app_innovation" {"area":"business_applications" {"area":"modern_work" {"area":"security" ' ]; then ok; else bad "score good document: six areas in order"; fi
[[ "$out" == *'"partner_id":"4711"'* ]] && ok || bad "integer partner_id printed as a string"
[[ "$out" == *'"data_month":"2025-06"'* ]] && ok || bad "data_month from the document's as_of"

run score --area security "$good"
[ "$rc" -eq 0 ] && [ "$(printf '%s' "$out" | grep -o '{"area":"[a-z_]*"' | wc -l)" -eq 1 ] && [[ "$out" == *'{"area":"security","track"'* ]] && ok || bad "--area security gives one area"

run score --as-of 2025-09-01 "$good"
[[ "$out" == *'"data_month":"2025-08"'* ]] && ok || bad "--as-of wins over the document"

$WRAP "$PCS" score - <"$good" >"$T/out" 2>"$T/err"; rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err")
[ "$rc" -eq 0 ] && [[ "$out" == *'"rules":"pcs-2026"'* ]] && ok || bad "stdin input, default rules pcs-2026"

run score --rules pcs-2023 "$good"
[ "$rc" -eq 0 ] && [[ "$out" == *'"rules":"pcs-2023"'* ]] && ok || bad "--rules pcs-2023"

run score --explain --area infrastructure "$good"
[ "$rc" -eq 0 ] && [[ "$out" == *'"eligibility":['* ]] && [[ "$out" == *'"skilling":['* ]] && ok || bad "--explain adds eligibility and skilling"

run --help
[ "$rc" -eq 0 ] && [[ "$out" == *"pcs score"* ]] && ok || bad "--help"

# --- bad input: exit 2, nothing on stdout, one line pcs: FILE:LINE:COL: reason ------------------------
expect_error "missing file" "^pcs: $T/nope.json: cannot open" score "$T/nope.json"
printf '' >"$T/empty.json"
expect_error "empty file" "^pcs: $T/empty.json:1:[0-9]+: " score "$T/empty.json"
head -c 300 "$good" >"$T/trunc.json"
expect_error "truncated document" "^pcs: $T/trunc.json:[0-9]+:[0-9]+: " score "$T/trunc.json"
printf '\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x00binary\x00\x01' >"$T/bin.json"
expect_error "binary bytes" "^pcs: $T/bin.json:1:[0-9]+: " score "$T/bin.json"
printf '{"partner_id": "\xc3\x28"}' >"$T/utf8.json"
expect_error "invalid UTF-8" "^pcs: $T/utf8.json:1:[0-9]+: " score "$T/utf8.json"
head -c 200000 /dev/zero | tr '\0' '[' >"$T/deep.json"
expect_error "deeply nested arrays" "^pcs: $T/deep.json:1:[0-9]+: " score "$T/deep.json"
{ printf '{"partner_id":"1","usage":'; head -c 100000 /dev/zero | tr '\0' '{' | sed 's/{/{"a":/g'; } >"$T/deepobj.json"
expect_error "deeply nested objects" "^pcs: $T/deepobj.json:1:[0-9]+: " score "$T/deepobj.json"
printf '\xef\xbb\xbf{"partner_id":"1"}' >"$T/bom.json"
expect_error "byte-order mark" "^pcs: $T/bom.json:1:1: .*byte-order mark" score "$T/bom.json"
printf '[1,2,3]' >"$T/array.json"
expect_error "not an object" "^pcs: $T/array.json:1:1: " score "$T/array.json"
sed 's/"name": "Fabrikam"/"nmae": "Fabrikam"/' "$good" >"$T/typo.json"
expect_error "unknown key (typo)" "^pcs: $T/typo.json:4:[0-9]+: customers\[0\]\.nmae: unknown key" score "$T/typo.json"
sed 's/"type": "PAL"/"type": "PALX"/' "$good" >"$T/atype.json"
expect_error "unknown association type" "^pcs: $T/atype.json:5:[0-9]+: associations\[0\]\.type: unknown association type" score "$T/atype.json"
sed 's/"start": "2023-01-15"/"start": "2023-02-30"/' "$good" >"$T/date.json"
expect_error "impossible date" "^pcs: $T/date.json:5:[0-9]+: associations\[0\]\.start: bad date" score "$T/date.json"
sed 's/"month": "2025-06"/"month": "2025-13"/' "$good" >"$T/month.json"
expect_error "bad month" "^pcs: $T/month.json:6:[0-9]+: usage\[0\]\.month: bad month" score "$T/month.json"
sed 's/"acr_usd": 1250.0}/"acr_usd": "1250"}/' "$good" >"$T/type.json"
expect_error "wrong type" "^pcs: $T/type.json:6:[0-9]+: usage\[0\]\.acr_usd: expected a number" score "$T/type.json"
sed 's/"acr_usd": 1250.0}/"acr_usd": 1e14}/' "$good" >"$T/huge.json"
expect_error "amount beyond 10^13" "^pcs: $T/huge.json:6:[0-9]+: usage\[0\]: amount beyond" score "$T/huge.json"
sed 's/"acr_usd": 1250.0}/"acr_usd": 1e400}/' "$good" >"$T/overflow.json"
expect_error "number overflow" "^pcs: $T/overflow.json:6:[0-9]+: " score "$T/overflow.json"
sed 's/"segment": "enterprise"/"segment": "mid"/' "$good" >"$T/segment.json"
expect_error "unknown segment" "^pcs: $T/segment.json:4:[0-9]+: customers\[0\]\.segment: unknown segment" score "$T/segment.json"
sed 's/"area": "security"/"area": "securty"/' "$good" >"$T/area.json"
expect_error "unknown enrollment area" "^pcs: $T/area.json:[0-9]+:[0-9]+: enrollments\[0\]\.area: unknown area" score "$T/area.json"
sed 's/"usage": \[/"usage": 7, "x": [/' "$good" >"$T/notarray.json"
expect_error "array expected" "^pcs: $T/notarray.json:[0-9]+:[0-9]+: " score "$T/notarray.json"
printf '{"partner_id":"a\\u0000b"}' >"$T/nul.json"
expect_error "NUL in a string" "^pcs: $T/nul.json:1:[0-9]+: " score "$T/nul.json"
expect_error "unknown rule version" "^pcs: --rules: unknown rule set 'pcs-1999'" score --rules pcs-1999 "$good"
expect_error "unknown area option" "^pcs: --area: unknown area 'moon'" score --area moon "$good"
expect_error "bad --as-of" "^pcs: --as-of: bad date" score --as-of 2025-02-29 "$good"
printf '{"rule_set": "x", "catalogue": []}' >"$T/rules.json"
expect_error "broken rule file" "^pcs: $T/rules.json:1:1: \(document\): missing key 'workload_sets'" score --rules "$T/rules.json" "$good"
expect_error "unknown command" "^pcs: unknown command" frobnicate

# random bytes never crash it (fixed seed: the same bytes every run)
for seed in 1 2 3 4 5 6 7 8; do
    awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 4000; i++) printf "%c", int(rand() * 256) }' >"$T/rand$seed.json"
    run score "$T/rand$seed.json"
    if [ "$rc" -eq 2 ] && [ -z "$out" ] && [[ "$err" == "pcs: $T/rand$seed.json"* ]]; then ok; else bad "random bytes seed $seed"; fi
done
# every prefix of a good document is either a good document or a clean error
len=$(wc -c <"$good")
for cut in $(seq 1 37 "$len"); do
    head -c "$cut" "$good" >"$T/prefix.json"
    run score "$T/prefix.json"
    if { [ "$rc" -eq 2 ] && [ -z "$out" ]; } || [ "$rc" -eq 0 ]; then ok; else bad "prefix $cut"; fi
done

# --- simulate ----------------------------------------------------------------------------------------
run simulate "$good" --add-cert p-2:az_admin:2025-06-01 --json
if [ "$rc" -eq 0 ] && [[ "$out" == '{"current":'* ]] && [[ "$out" == *'"simulated":'* ]]; then ok; else bad "simulate prints current and simulated"; fi
run simulate "$good" --add-cert p-2:az_admin:2025-06-01
if [ "$rc" -eq 0 ] && [[ "$out" == *"current -> simulated (nothing is stored)"* ]]; then ok; else bad "simulate without --json prints the scores side by side"; fi
run simulate /nonexistent/partner.json --json
if [ "$rc" -eq 2 ] && [ -z "$out" ]; then ok; else bad "simulate of a missing file path is bad input"; fi
expect_error "simulate bad --add-cert" "^pcs: --add-cert: expected PERSON:CERT" simulate "$good" --add-cert nocolon --json

echo "cli contract: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
