#!/usr/bin/env bash
# Partner Center downloads through the real pcs-ingest and pcs-scorer (interfaces.md §3.1):
#  - each golden export set of tests/data/pc (switching attribution types, gaps, restated months in
#    two files, files newest first, the PGA roll-up of several locations with duplicate-flag rows,
#    Exam rows, every dialect, the system-query layouts) loads into exactly the partner document its
#    expected.json says (`pcs export`), and `pcs show --json` after a refresh equals `pcs score` of it;
#  - a differential test: seeded random partner documents, written as canonical feeds (doc2feeds.py)
#    and as Partner Center exports (make_pc_cases.py, random layouts and dialects), score through
#    ingest and `pcs export` exactly as `pcs score` scores the original document;
#  - bad input: an unknown attribution, an unknown product, a header with one column renamed, a ';'
#    file whose header also holds commas, a UTF-16 file with an odd byte count: a rejected row with
#    file:line:column (or a failed file with a .err saying what was seen), the good rows kept;
#  - certification events out of date order: a person counts from the earliest earned, an explicit
#    person.linked replaces the implicit link;
#  - every workload id the rule sets score has a Partner Center name in rules/pc_workloads.tsv.
# usage: pcexports.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer [N_RANDOM]
set -u
PCS=$1
INGEST=$2
SCORER=$3
NRANDOM=${4:-40}
NAME=pcexports PIDS="ipid spid"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
GOLD=$ROOT/tests/data/pc
ingest_conf >"$T/ingest.conf"
printf 'db = "dbname=%s"\npull_endpoint = ipc://%s/push\ncontrol_endpoint = ipc://%s/control\npub_endpoint = ipc://%s/pub\nrule_sets = pcs-2026\ntoday = 2026-08-20\nrefresh_day = 0\noutbox_poll_ms = 300\n' \
    "$DB" "$T" "$T" "$T" >"$T/scorer.conf"
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
for _ in $(seq 1 100); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done

wait_gone() {
    for _ in $(seq 1 600); do [ -e "$T/spool/incoming/$1" ] || return 0; sleep 0.1; done
    return 1
}
drop() { # drop FILE NAME: copy under a temporary name, rename, wait until ingested
    cp "$1" "$T/spool/incoming/.$2.tmp" && mv "$T/spool/incoming/.$2.tmp" "$T/spool/incoming/$2" && wait_gone "$2"
}
# same DOC-A DOC-B: the two partner documents hold the same facts (JSON compared by value, lists as sets)
same() {
    python3 - "$1" "$2" <<'PY'
import json, sys
def norm(x):
    if isinstance(x, dict):
        return {k: norm(v) for k, v in x.items() if v is not None or k == "end"}
    if isinstance(x, list):
        return sorted((norm(v) for v in x), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return round(float(x), 6)
    return x
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("as_of", None); b.pop("as_of", None)
na, nb = norm(a), norm(b)
if na != nb:
    for k in sorted(set(na) | set(nb)):
        if na.get(k) != nb.get(k):
            print("differs in", k, file=sys.stderr)
            ea = [json.dumps(v, sort_keys=True) for v in na.get(k, [])] if isinstance(na.get(k), list) else [na.get(k)]
            eb = [json.dumps(v, sort_keys=True) for v in nb.get(k, [])] if isinstance(nb.get(k), list) else [nb.get(k)]
            for v in ea:
                if v not in eb: print("  only in", sys.argv[1], v, file=sys.stderr)
            for v in eb:
                if v not in ea: print("  only in", sys.argv[2], v, file=sys.stderr)
    sys.exit(1)
PY
}
norm() { python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("warnings", None); print(json.dumps(d, sort_keys=True))'; }
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

# ---- the golden export sets -----------------------------------------------------------------------------------
CASES=$(cd "$GOLD" && for d in */; do [ -f "$d/expected.json" ] && echo "${d%/}"; done)
check "golden export sets found" '[ "$(echo $CASES | wc -w)" -ge 6 ]'
for c in $CASES; do
    for f in "$GOLD/$c"/[0-9]*.csv; do
        drop "$f" "$c-$(basename "$f")" || echo "$c: $(basename "$f") not taken in time"
    done
done
check "every golden export loaded, none failed" '[ -z "$(ls "$T/spool/failed")" ] && [ "$(ls "$T/spool/done" | wc -l)" = "$(ls "$GOLD"/*/[0-9]*.csv | wc -l)" ]'
check "no golden row rejected" '[ "$(q "SELECT count(*) FROM rejected_rows")" = 0 ] || { q "SELECT file_name, line, col, reason FROM rejected_rows" >&2; false; }'
check "ambiguous M/D/YYYY files read as US dates with a warning" 'grep -q "dialects-01-AzureUsage.csv: every date is written D/D/YYYY with both numbers 12 or less: read as M/D/YYYY" "$T/ingest.log"'
check "TrainingCompletions without ExpirationDate: a warning says what was assumed" 'grep -q "api_layouts-01-TrainingCompletions.csv: 2 certifications without an expiry date expire one year after completion (role-based and specialty), 1 Fundamentals never expire" "$T/ingest.log"'
check "the outbox is drained by the scorer" 'wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0 1200'
out=$("$PCS" refresh --as-of 2026-08-20 --wait --timeout 300 2>&1); rc=$?
check "pcs refresh --as-of 2026-08-20 --wait" '[ $rc -eq 0 ] && [[ "$out" == *"done:"* ]]'
for c in $CASES; do
    pid=$(field "$GOLD/$c/expected.json" partner_id)
    d=$(field "$GOLD/$c/expected.json" as_of)
    "$PCS" export "$pid" --as-of "$d" >"$T/$c.export.json" 2>"$T/$c.export.err"
    check "$c: pcs export $pid equals the document the exports mean" 'same "$T/$c.export.json" "$GOLD/$c/expected.json"'
    a=$("$PCS" show "$pid" --as-of "$d" --json | norm)
    b=$("$PCS" score --as-of "$d" "$GOLD/$c/expected.json" | norm)
    check "$c: pcs show --json after the refresh equals pcs score of that document" '[ -n "$a" ] && [ "$a" = "$b" ]'
    [ "$a" = "$b" ] || { echo "$a" >"$T/diff.$c.stored"; echo "$b" >"$T/diff.$c.score"; }
    nz=$(python3 -c 'import json,sys; print(sum(1 for a in json.loads(sys.argv[1])["areas"] if a["score"] > 0))' "$b")
    check "$c: the document scores above zero somewhere (the usage is credited)" '[ "$nz" -gt 0 ]'
done
check "several locations are one partner: no customer, association or person filed under a location ID" \
    '[ "$(q "SELECT count(*) FROM partners WHERE partner_id ~ '\''^5560[0-9][0-9][1-9]$'\''")" = 0 ]'
check "the certification names of scoring.md 17.16 match (no unknown-name warning)" \
    '! "$PCS" score "$GOLD/api_layouts/expected.json" | grep -q "unknown certification"'

# ---- the differential test ---------------------------------------------------------------------------------
# (offline scoring of exported documents: the scorer daemon is not needed and would rescore every load)
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; spid=
R=$T/random
mkdir -p "$R/canon"
python3 "$GOLD/make_pc_cases.py" random 1111 "$NRANDOM" "$R" || echo "make_pc_cases.py random failed"
for i in $(seq 0 $((NRANDOM - 1))); do
    python3 "$ROOT/tests/integration/doc2feeds.py" "$R/p$i.json" "c$i" "$R/canon" || echo "doc2feeds p$i failed"
done
n_pc=$(ls "$R"/pc/*.csv | wc -l)
# all at once (the spool loads in name order; nothing here depends on the order between partners)
for f in "$R"/pc/*.csv "$R"/canon/*.csv "$R"/canon/*.certs.jsonl; do cp "$f" "$T/spool/incoming/.rnd-$(basename "$f").tmp"; done
for f in "$T"/spool/incoming/.rnd-*.tmp; do b=$(basename "$f" .tmp); mv "$f" "$T/spool/incoming/${b#.}"; done
for _ in $(seq 1 1800); do [ -z "$(ls "$T/spool/incoming")" ] && break; sleep 0.1; done
check "differential: every file loaded ($n_pc Partner Center exports), none failed, no row rejected" \
    '[ -z "$(ls "$T/spool/failed")" ] && [ "$(q "SELECT count(*) FROM rejected_rows")" = 0 ]'
# one Python process drives pcs for every partner (a shell loop of python3 calls costs minutes)
read -r bad_pc bad_canon < <(python3 - "$PCS" "$R" "$NRANDOM" <<'PY'
import json, subprocess, sys
pcs, r, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run(*args):
    p = subprocess.run([pcs, *args], capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else None
def score(path, d):
    out = run("score", "--as-of", d, path)
    if out is None:
        return None
    doc = json.loads(out)
    doc.pop("warnings", None)
    return json.dumps(doc, sort_keys=True)
bad = [0, 0]
for i in range(n):
    doc = json.load(open("%s/p%d.json" % (r, i)))
    pid, d = doc["partner_id"], doc["as_of"]
    for k, (exported, original) in enumerate((("%s/p%d.pc.json" % (r, i), "%s/p%d.json" % (r, i)),
                                              ("%s/c%d.json" % (r, i), "%s/canon/c%d.json" % (r, i)))):
        text = run("export", pid if k == 0 else "c%d" % i, "--as-of", d)
        if text is not None:
            open(exported, "w").write(text)
        want, got = score(original, d), score(exported, d) if text is not None else None
        if want is None or want != got:
            bad[k] += 1
            print("differential: %s of p%d scores differently: %s against %s" % (("exports", "canonical feeds")[k], i,
                  exported, original), file=sys.stderr)
print(bad[0], bad[1])
PY
)
check "differential: $NRANDOM partners from Partner Center exports score as their documents" '[ $bad_pc -eq 0 ]'
check "differential: $NRANDOM partners from canonical feeds score as their documents" '[ $bad_canon -eq 0 ]'

# ---- bad input ------------------------------------------------------------------------------------------------
rej() { q "SELECT line||':'||col||': '||reason FROM rejected_rows WHERE file_name = '$1' ORDER BY line, col" | tr '\n' '|'; }
H='PGAMpnID,MPNID,CustomerTenantId,Month,ServiceLevel2,PartnerAttributionType,IsACRDuplicateAtPGALevel,ACR_USD'
printf '%s\n5580000,5580001,b-1,2026-05-01,Storage,PAL,0,10\n5580000,5580001,b-1,2026-06-01,Storage,Partner of the Year,0,10\n5580000,5580001,b-2,2026-06-01,,PAL,0,1\n5580000,5580001,b-1,2026-07-01,Storage,CSP Tier 2,0,5\n' "$H" >"$T/b1.csv"
drop "$T/b1.csv" bad-attribution-AzureUsage.csv
check "unknown attribution: a rejected row naming the value at file:line:column, the good rows kept" \
    '[ "$(rej bad-attribution-AzureUsage.csv)" = "3:40: PartnerAttributionType: unknown attribution '\''Partner of the Year'\'' (add it to rules/pc_attribution.tsv)|4:32: ServiceLevel2: empty|" ] && [ "$(q "SELECT count(*) FROM usage WHERE tenant_id = '\''b-1'\''")" = 2 ]'
printf 'PGAPartnerID,PartnerID,CustomerTenantId,WorkloadName,Month,PaidAvailableUnits,MonthlyActiveUsers,PartnerAttributionType\n5580000,5580001,b-3,Exchange Online,2026-07-01,5,5,DPOR\n5580000,5580001,b-3,Quantum Mail,2026-07-01,5,5,DPOR\n' >"$T/b2.csv"
drop "$T/b2.csv" bad-product-OfficeUsage.csv
check "unknown product: a rejected row naming it, the good row kept" \
    '[ "$(rej bad-product-OfficeUsage.csv)" = "3:21: unknown product '\''Quantum Mail'\'' (add it to rules/pc_workloads.tsv)|" ] && [ "$(q "SELECT count(*) FROM usage WHERE tenant_id = '\''b-3'\''")" = 1 ]'
printf 'PGAMpnID,MPNID,CustomerTenantId,Month,ServiceLevel2,PartnerAttributionTyp,ACR_USD\n5580000,5580001,b-4,2026-07-01,Storage,PAL,10\n' >"$T/b3.csv"
drop "$T/b3.csv" renamed-column-AzureUsage.csv
check "a header with one column renamed: the file fails, its .err names what is missing and what was seen" \
    '[ -e "$T/spool/failed/renamed-column-AzureUsage.csv" ] && grep -q "without a PartnerAttributionType column" "$T/spool/failed/renamed-column-AzureUsage.csv.err" && grep -q "saw: UTF-8, delimiter '\'','\'', header '\''PGAMpnID,MPNID" "$T/spool/failed/renamed-column-AzureUsage.csv.err" && [ "$(q "SELECT line||'\'':'\''||col FROM rejected_rows WHERE file_name = '\''renamed-column-AzureUsage.csv'\''")" = 0:0 ]'
printf 'PGAMpnID;MPNID;CustomerTenantId;Month;ServiceLevel2;PartnerAttributionType;Note,Extra;ACR_USD\r\n5580000;5580001;b-5;6/1/2026;Storage;PAL;x;10,5\r\n' >"$T/b4.csv"
drop "$T/b4.csv" semicolon-commas-AzureUsage.csv
check "a ';' file whose header also holds a comma: the header field is a rejected row at 1:column, the rows load" \
    '[ "$(rej semicolon-commas-AzureUsage.csv)" = "1:76: header: column name '\''Note,Extra'\'' contains '\'','\'' but the delimiter of this file is '\'';'\'' (taken as one column name)|" ] && [ "$(q "SELECT month||'\'' '\''||acr_cents FROM usage WHERE tenant_id = '\''b-5'\''")" = "2026-06-01 1050" ]'
python3 -c '
import sys
t = "PGAPartnerID\tPartnerID\tCustomerTenantId\tWorkloadName\tMonth\tPaidAvailableUnits\tMonthlyActiveUsers\tPartnerAttributionType\r\n5580000\t5580001\tb-6\tIntune\t7/1/2026\t9\t8\tCSP Tier 1\r\n"
sys.stdout.buffer.write(b"\xff\xfe" + t.encode("utf-16-le") + b"\x00")' >"$T/b5.csv"
drop "$T/b5.csv" odd-utf16-OfficeUsage.csv
check "a UTF-16 file with an odd byte count: the half character is a rejected row at its line:column, the rows load" \
    '[ "$(rej odd-utf16-OfficeUsage.csv)" = "3:1: invalid UTF-16: the file ends with half a character (an odd number of bytes)|" ] && [ "$(q "SELECT workload||'\'' '\''||paid_units FROM usage WHERE tenant_id = '\''b-6'\''")" = "m365/intune 9" ]'
printf '\x00P\x00G\x00A' >"$T/b6.csv"
drop "$T/b6.csv" utf16-without-bom.csv
check "a file that cannot be read at all: .err says what was seen and what was expected" \
    '[ -e "$T/spool/failed/utf16-without-bom.csv" ] && grep -q "NUL byte" "$T/spool/failed/utf16-without-bom.csv.err" && grep -q "expected a header row of a feed" "$T/spool/failed/utf16-without-bom.csv.err"'
check "bad input: associations derived only from the good rows" \
    '[ "$(q "SELECT string_agg(tenant_id||'\'' '\''||association_type||'\'' '\''||start_date||'\'' '\''||coalesce(end_date::text, '\''open'\''), '\''|'\'' ORDER BY 1) FROM associations WHERE partner_id = '\''5580000'\'' AND tenant_id = '\''b-1'\''")" = "b-1 CSP_T2 2026-07-01 open|b-1 PAL 2026-05-01 2026-05-31" ]'

# ---- certification events out of order: a person counts from their earliest earned ------------------------
ev() { printf '{"v":1,"type":"%s","id":"%s","ts":"2026-01-01T00:00:00Z","body":%s}\n' "$@"; }
{
    ev cert.earned ooo-1 '{"partner_id":"5590000","person_id":"p-late","certification":"az_admin","earned":"2026-03-01"}'
    ev cert.earned ooo-2 '{"partner_id":"5590000","person_id":"p-late","certification":"az_architect","earned":"2025-01-10","expires":"2027-01-10"}'
    ev cert.earned ooo-3 '{"partner_id":"5590000","person_id":"p-linked","certification":"az_admin","earned":"2026-02-01"}'
    ev person.linked ooo-4 '{"partner_id":"5590000","person_id":"p-linked","date":"2025-06-01"}'
    ev cert.earned ooo-5 '{"partner_id":"5590000","person_id":"p-linked","certification":"az_architect","earned":"2024-05-01"}'
} >"$T/ooo.certs.jsonl"
drop "$T/ooo.certs.jsonl" ooo.certs.jsonl
check "events out of date order: the implicit link moves to the earliest earned; an explicit person.linked replaces it and stays" \
    '[ "$(q "SELECT string_agg(person_id||'\'' '\''||linked||'\'' '\''||implicit_link, '\''|'\'' ORDER BY 1) FROM person_links WHERE partner_id = '\''5590000'\''")" = "p-late 2025-01-10 true|p-linked 2025-06-01 false" ]'
"$PCS" export 5590000 --as-of 2026-08-20 >"$T/ooo.json"
check "pcs export counts both certifications of the late-arriving person from their own dates" \
    '[ "$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sorted((c[\"name\"], c[\"earned\"]) for p in d[\"people\"] if p[\"person_id\"]==\"p-late\" for c in p[\"certifications\"]))" "$T/ooo.json")" = "[('"'"'az_admin'"'"', '"'"'2026-03-01'"'"'), ('"'"'az_architect'"'"', '"'"'2025-01-10'"'"')]" ]'

# ---- every scored workload has a Partner Center name ---------------------------------------------------------
missing=$(python3 - "$ROOT/rules" <<'PY'
import json, sys
d = sys.argv[1]
ids = {l.split("\t")[1].strip() for l in open(d + "/pc_workloads.tsv") if "\t" in l and not l.startswith("#")}
need = set()
for v in ("pcs-2023", "pcs-2026"):
    r = json.load(open("%s/%s.json" % (d, v)))
    for s in r["workload_sets"].values():
        need |= {w for w in s if not w.startswith("azure/")}
    need |= {w for w in r["rates"] if not w.startswith("azure/")}
print(" ".join(sorted(need - ids)))
PY
)
check "every Business Applications and Microsoft 365 id of both rule sets has a name in pc_workloads.tsv" '[ -z "$missing" ] || { echo "missing: $missing" >&2; false; }'

got=$(q "$PAIRS_DIFF"); n=$(q "SELECT count(*) FROM usage_by_partner")
check "usage_by_partner as defined after every load (rows not as defined: $got of $n)" '[ "$got" = 0 ] && [ "$n" -gt 0 ]'
kill "$ipid" 2>/dev/null; wait "$ipid" 2>/dev/null; ipid=
finish
