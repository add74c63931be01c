#!/usr/bin/env bash
# The `pcs` command for people (issue 16) against a running stack loaded with the demo's sample feeds
# (deploy/sample), the stack's today pinned to 2026-11-20 in pcs-scorer while the machine's date
# differs: one day for every command (the same numbers from show, skilling, eligibility, simulate
# current and forecast), the stored/computed label, units and names, reasons in words, every stored
# month in history, the fleet view, one argument parser (every command's --help, unknown options and
# bad values exit 2), --json and --csv, and the Excel workbook read back by openpyxl.
# usage: cli.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer PATH/TO/pcs-notifier
set -u
PCS=$1
INGEST=$2
SCORER=$3
NOTIFIER=$4
NAME=cli PIDS="ipid spid npid"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
unset PCS_TODAY
TODAY=2026-11-20
py() { python3 -c "$1" "${@:2}"; }
start_sample_stack "$TODAY" 'rule_set = pcs-2026\nlog_min_severity = warning'
# three monthly refreshes: three stored months (data months 2026-08 .. 2026-10)
for d in 2026-09-20 2026-10-20 "$TODAY"; do "$PCS" refresh --as-of "$d" --wait >/dev/null; done
wait_for "SELECT count(*) FROM alert_queue WHERE due_at IS NULL OR due_at <= now()" 0 600
P=contoso-analytics
# --wait against a database that is not the scorer's: an error at once, not an hour of waiting
out=$("$PCS" refresh --as-of "$TODAY" --wait --timeout 600 --db "dbname=postgres" 2>&1); rc=$?
check "refresh --wait reading another database fails with the reason (rc $rc: $out)" \
    '[ $rc -eq 1 ] && [[ "$out" == *"is --db or PCS_DB the scorer'"'"'s database?"* ]] && [[ "$out" != *"not finished"* ]]'
wait_for "SELECT count(*) FROM refresh_runs WHERE finished_at IS NULL" 0 600   # that refresh ran all the same
check "the machine's date is not the stack's today (the point of this test)" '[ "$(date -u +%F)" != "$TODAY" ]'

# ---- one day, the same numbers -----------------------------------------------------------------------
show=$("$PCS" show $P --json)
check "show without --as-of is the stored result of the stack's today" \
    '[ "$show" = "$(q "SELECT document FROM score_results WHERE partner_id = '\''$P'\'' AND as_of = '\''$TODAY'\''")" ]'
scores() { py 'import json,sys; d=json.loads(sys.argv[1]); print(" ".join("%s=%.2f" % (a["area"], a["score"]) for a in d["areas"]))' "$1"; }
want=$(scores "$show")
check "simulate current (no change) gives the scores of show" '[ "$(scores "$("$PCS" simulate $P --json | py "import json,sys; print(json.dumps(json.load(sys.stdin)[\"current\"]))")")" = "$want" ]'
check "forecast's first day gives the scores of show, whatever --until" \
    '[ "$("$PCS" forecast $P --json | py "import json,sys; r=json.load(sys.stdin); print(\" \".join(\"%s=%.2f\" % (x[\"area\"], x[\"score\"]) for x in r if x[\"date\"]==\"$TODAY\"))")" = "$want" ] &&
     [ "$("$PCS" forecast $P --until 2026-12-06 --json | py "import json,sys; r=json.load(sys.stdin); print(\" \".join(\"%s=%.2f\" % (x[\"area\"], x[\"score\"]) for x in r if x[\"date\"]==\"$TODAY\"))")" = "$want" ]'
check "skilling's points are show's points of each skilling metric" \
    '[ "$(py "import json,sys; s=json.loads(sys.argv[1]); print(sorted((m[\"area\"], m[\"metric\"], m[\"points\"]) for m in s))" "$("$PCS" skilling $P --json)")" = \
       "$(py "import json,sys; d=json.loads(sys.argv[1]); print(sorted((a[\"area\"], m[\"metric\"], m[\"points\"]) for a in d[\"areas\"] for m in a[\"metrics\"] if m[\"metric\"].endswith(\"_certifications\")))" "$show")" ]'
check "eligibility's net effects are show's net customer adds (where not floored)" \
    'py "import json,sys; e=json.loads(sys.argv[1]); d=json.loads(sys.argv[2]); bad=0
for a in d[\"areas\"]:
    m=[x for x in a[\"metrics\"] if x[\"metric\"]==\"net_customer_adds\"][0]
    if m[\"value\"] < 0: continue
    s=sum(r[\"effect\"] for r in e[\"rows\"] if r[\"area\"]==a[\"area\"] and r[\"track\"]==a[\"track\"] and r[\"metric\"]==\"net_customer_adds\" and r[\"part\"] is None and r[\"option\"] is None)
    parts=any(r[\"part\"] for r in e[\"rows\"] if r[\"area\"]==a[\"area\"] and r[\"metric\"]==\"net_customer_adds\")
    if not parts and abs(s-m[\"value\"])>1e-9: bad+=1; print(a[\"area\"], s, m[\"value\"])
sys.exit(bad)" "$("$PCS" eligibility $P --json)" "$show"'
out=$("$PCS" show $P)
check "the scorecard names the day, where it comes from and that it is stored" \
    '[[ "$out" == *"as of $TODAY (the stack'"'"'s today, from pcs-scorer)"* ]] && [[ "$out" == *"stored result of that day"* ]]'
out=$("$PCS" show $P --as-of 2026-11-21)
check "a day without a stored result is computed, and says so" '[[ "$out" == *"computed from the facts"* ]]'
check "show --json of a computed day equals pcs score of pcs export of that day" \
    '[ "$(scores "$("$PCS" show $P --as-of 2026-11-21 --json)")" = "$(scores "$("$PCS" export $P --as-of 2026-11-21 >"$T/exp.json" && "$PCS" score "$T/exp.json")")" ]'

# ---- units, names and reasons in words -----------------------------------------------------------------
out=$("$PCS" show $P)
check "the scorecard uses Partner Center's names and units" \
    '[[ "$out" == *"Data & AI"* ]] && [[ "$out" == *"Net customer adds"* ]] && [[ "$out" =~ [0-9]\ customers ]] && [[ "$out" =~ [0-9]\ people ]] && [[ "$out" =~ [0-9]\ % ]]'
check "no metric id in the scorecard" '! grep -q "net_customer_adds\|usage_growth" <<<"$out"'
out=$("$PCS" show northwind-secure)
check "Security's parts are shown apart with their own units (USD, seats or users)" \
    '[[ "$out" == *"part azure"* ]] && [[ "$out" == *"part m365"* ]] && [[ "$out" =~ USD\ [0-9,]+ ]]'
out=$("$PCS" skilling $P)
check "skilling says what each step needs, with certification names" '[[ "$out" == *"Step 1:"* ]] && [[ "$out" == *"Azure Administrator Associate"* ]]'
out=$("$PCS" rules show pcs-2026)
check "rules show: each step's requirement with certification names" \
    '[[ "$out" == *"step 1: 2 people with one of: Azure Administrator Associate"* ]] && ! grep -q "\[1 certifications\]" <<<"$out"'
out=$("$PCS" recommend $P --json)
check "recommend: at-risk items in words, renewals with their deadline" \
    'py "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if all(r[\"text\"] and \"_\" not in r[\"text\"].split(\":\")[0] for r in d[\"at_risk\"]) and all(\"deadline\" in a for a in d[\"actions\"] if a[\"kind\"]==\"renew\") else 1)" "$out"'
out=$("$PCS" trends $P --json)
check "trends --json: numbers as numbers and the scores per area" \
    'py "import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r and all(isinstance(x[\"acr_usd\"], (int,float)) and isinstance(x[\"scores\"], dict) for x in r) else 1)" "$out"'
all=$out
out=$("$PCS" trends $P --as-of 2026-06-15 --json)
check "trends --as-of: only the data months before that day's month, each as in the full listing" \
    'py "import json,sys; a={x[\"month\"]: x for x in json.loads(sys.argv[1])}; b=json.loads(sys.argv[2]); sys.exit(0 if b and all(x[\"month\"] < \"2026-06\" for x in b) and any(m >= \"2026-06\" for m in a) and all({k: v for k, v in x.items() if k != \"scores\"} == {k: v for k, v in a[x[\"month\"]].items() if k != \"scores\"} for x in b) else 1)" "$all" "$out"'
out=$("$PCS" trends $P --csv)
check "trends --csv: plain numbers, no 16 decimal places" '! grep -q "\.[0-9]\{7,\}" <<<"$out" && [ "$(wc -l <<<"$out")" -gt 2 ]'

# ---- history: every stored month -----------------------------------------------------------------------
out=$("$PCS" history $P --months 0 --json)
check "history --months 0 has every stored month of the partner" \
    '[ "$(py "import json,sys; print(sorted({r[\"month\"] for r in json.loads(sys.argv[1]) if r[\"source\"]==\"stored\"}))" "$out")" = \
       "$(py "import sys; print(sorted(sys.argv[1].split()))" "$(q "SELECT DISTINCT to_char(date_trunc('\''month'\'', as_of) - interval '\''1 month'\'', '\''YYYY-MM'\'') FROM score_snapshots WHERE partner_id = '\''$P'\''")")" ]'
check "history shows the six months of the stored result (three stored, the others computed)" \
    '[ "$(py "import json,sys; r=json.loads(sys.argv[1]); print(len({x[\"month\"] for x in r}), len({x[\"month\"] for x in r if x[\"source\"]==\"stored\"}))" "$out")" = "6 3" ]'
check "history --months 2 keeps the last two data months" \
    '[ "$("$PCS" history $P --months 2 --json | py "import json,sys; print(sorted({r[\"month\"] for r in json.load(sys.stdin)}))")" = "['"'"'2026-09'"'"', '"'"'2026-10'"'"']" ]'

# ---- eligibility grouped, customer names, unknown names --------------------------------------------------
out=$("$PCS" eligibility $P)
check "eligibility is grouped by area / track / metric with customer names" \
    '[[ "$out" == *"Data & AI / Enterprise / Net customer adds"* ]] && [ "$(py "import json,sys; print(len([r for r in json.loads(sys.argv[1])[\"rows\"] if r.get(\"customer_name\")]) > 0)" "$("$PCS" eligibility $P --json)")" = True ]'
out=$("$PCS" eligibility $P --customer nosuch 2>&1); rc=$?
check "eligibility --customer of an unknown customer: exit 2, says so" '[ $rc -eq 2 ] && [[ "$out" == "pcs: "*"nosuch"* ]]'
for cmd in show history skilling eligibility recommend forecast trends export simulate; do
    out=$("$PCS" $cmd nosuch-partner 2>&1); rc=$?
    check "$cmd of an unknown partner: exit 2 with pcs: on stderr" '[ $rc -eq 2 ] && [[ "$out" == "pcs: "*"nosuch-partner"* ]]'
done

# ---- one argument parser -------------------------------------------------------------------------------------
cmds="score simulate migrate rejects send watch refresh rescore scorer-status show history alerts partners report export eligibility skilling recommend forecast trends rules pull"
for cmd in $cmds; do
    out=$("$PCS" $cmd --help); rc=$?
    check "pcs $cmd --help" '[ $rc -eq 0 ] && [[ "$out" == "usage: pcs $cmd "* ]] && [[ "$out" == *"--help"* ]]'
    out=$("$PCS" $cmd --bogus 2>&1 >/dev/null); rc=$?
    check "pcs $cmd --bogus: exit 2" '[ $rc -eq 2 ] && [[ "$out" == "pcs: $cmd: unknown option '"'"'--bogus'"'"'"* ]]'
done
expect2() { # expect2 NAME PATTERN ARGS...: exit 2, nothing on stdout, pcs: on stderr
    local name=$1 pat=$2; shift 2
    local o e rc
    o=$("$PCS" "$@" 2>"$T/err"); rc=$?; e=$(cat "$T/err")
    check "$name" '[ $rc -eq 2 ] && [ -z "$o" ] && [[ "$e" =~ ^pcs:\ $pat ]]'
}
expect2 "forecast --until bad date" "--until: bad date" forecast $P --until 2026-13-01
expect2 "simulate an unknown certification" ".*unknown certification 'no_such_cert'" simulate $P --add-cert nobody:no_such_cert
expect2 "simulate a bad earned date" "--add-cert: bad date '2026-13-01'" simulate $P --add-cert P:az_admin:2026-13-01
expect2 "simulate removing a person the partner does not have" ".*no person 'ghost'" simulate $P --remove-cert ghost:az_admin
expect2 "an unknown area" "--area: unknown area 'moon'" partners --area moon
expect2 "an unknown status" "--status: expected one of" partners --status nope
expect2 "history --months not a number" "--months: expected a whole number" history $P --months x
expect2 "--json and --csv together" "show: --json and --csv" show $P --json --csv
check "recommend --csv is a table" '[ "$("$PCS" recommend $P --csv | head -1)" = "rank,kind,action,points,effect,deadline" ]'
check "rules diff --json" '"$PCS" rules diff pcs-2023 pcs-2026 --json | py "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"differences\"] else 1)"'
for cmd in "show $P" "history $P" "alerts" "alerts $P" "partners" "rejects" "export $P" "eligibility $P" "skilling $P" \
           "recommend $P" "forecast $P" "trends $P" "simulate $P" "rules list" "rules show pcs-2026" "scorer-status" "migrate"; do
    check "pcs $cmd --json is JSON" '"$PCS" $cmd --json | py "import json,sys; json.load(sys.stdin)"'
done
for cmd in "show $P" "history $P" "alerts" "partners" "rejects" "eligibility $P" "skilling $P" "recommend $P" \
           "forecast $P" "trends $P" "simulate $P" "rules list" "rules show pcs-2026" "rules diff pcs-2023 pcs-2026" "scorer-status"; do
    check "pcs $cmd --csv: a header and rows of the same width" \
        '"$PCS" $cmd --csv | py "import csv,sys; r=list(csv.reader(sys.stdin)); sys.exit(0 if len(r) >= 2 and all(len(x)==len(r[0]) for x in r) and r[0][0].replace(\"_\",\"\").isalnum() else 1)"'
done
# ---- alerts: firing ones by default (the notifier's alert lifecycle, sql/0005) ---------------------------------
check "alerts --json: the firing alerts by default, --state all adds the resolved ones" \
    '[ "$("$PCS" alerts $P --json | py "import json,sys; a=json.load(sys.stdin); print(len(a), {x[\"state\"] for x in a})")" = "$(q "SELECT count(*) FROM alerts WHERE partner_id = '\''$P'\'' AND state = '\''firing'\''") {'\''firing'\''}" ] &&
     [ "$("$PCS" alerts $P --state all --limit 1000 --json | py "import json,sys; print(len(json.load(sys.stdin)))")" = "$(q "SELECT count(*) FROM alerts WHERE partner_id = '\''$P'\''")" ]'
out=$("$PCS" alerts $P)
check "alert columns line up (widths from the content)" \
    '[ "$(awk "NR>1" <<<"$out" | awk "{print index(\$0, \"'$P'\")}" | sort -u | wc -l)" = 1 ]'

# ---- the fleet view --------------------------------------------------------------------------------------------
fleet=$("$PCS" partners --json)
NP=$(q "SELECT count(DISTINCT partner_id) FROM score_results")
check "partners: every partner ($NP), six areas each" \
    '[ "$NP" -ge 5 ] && [ "$(py "import json,sys; f=json.loads(sys.argv[1]); print(len(f), {len(p[\"areas\"]) for p in f})" "$fleet")" = "$NP {6}" ]'
check "partners: the scores are show's" \
    '[ "$(py "import json,sys; f=json.loads(sys.argv[1]); p=[x for x in f if x[\"partner_id\"]==\"'$P'\"][0]; print(\" \".join(\"%s=%.2f\" % (a[\"area\"], a[\"score\"]) for a in p[\"areas\"]))" "$fleet")" = "$want" ]'
check "partners: the firing alerts of each partner" \
    '[ "$(py "import json,sys; f=json.loads(sys.argv[1]); print([p[\"alerts\"] for p in f if p[\"partner_id\"]==\"'$P'\"][0])" "$fleet")" = "$(q "SELECT count(*) FROM alerts WHERE partner_id = '\''$P'\'' AND state = '\''firing'\''")" ]'
check "partners --sort risk: most severe firing alerts first" \
    'py "import json,sys; f=json.loads(sys.argv[1]); r=[p[\"risk\"] for p in f]; sys.exit(0 if r == sorted(r, reverse=True) and any(p[\"alerts\"] for p in f) else 1)" "$fleet"'
check "partners --sort id" '[ "$("$PCS" partners --sort id --csv | tail -n +2 | cut -d, -f1 | tr "\n" " ")" = "$(printf "%s\n" $(q "SELECT DISTINCT partner_id FROM score_results") | sort | tr "\n" " ")" ]'
check "partners --status qualified --area data_ai: one area, all qualified" \
    '"$PCS" partners --status qualified --area data_ai --json | py "import json,sys; f=json.load(sys.stdin); sys.exit(0 if f and all(len(p[\"areas\"])==1 and p[\"areas\"][0][\"status\"]==\"qualified\" for p in f) else 1)"'
out=$("$PCS" partners)
check "partners: one line per partner with the area names as headers" \
    '[ "$(tail -n +4 <<<"$out" | wc -l)" = "$NP" ] && [[ "$(sed -n 3p <<<"$out")" == "Partner"*"Data & AI"*"Security"*"Days to anniversary"*"Firing alerts" ]] &&
     [ "$(tail -n +3 <<<"$out" | awk "{print index(\$0, \"Data & AI\") + index(\$0, \"In progress\") * 0}" | head -1)" -gt 0 ]'

# ---- the workbook ----------------------------------------------------------------------------------------------------
out=$("$PCS" report --all --xlsx "$T/fleet.xlsx" 2>&1); rc=$?
check "report --all writes the workbook, silently when not on a terminal" '[ $rc -eq 0 ] && [[ "$out" != *$'"'"'\r'"'"'* ]] && [ -s "$T/fleet.xlsx" ]'
"$PCS" show fabrikam-cloud --json >"$T/fabrikam.json"
PYX=/usr/bin/python3   # Debian's, where python3-openpyxl is installed
[ -x "$PYX" ] || PYX=python3
check "the workbook read by openpyxl: sheets, frozen headers, formats, and show's numbers" '"$PYX" -c "
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
assert wb.sheetnames == [\"Scores\", \"History\", \"Eligibility\", \"Skilling\", \"Alerts\"], wb.sheetnames
for ws in wb.worksheets:
    assert ws.freeze_panes == \"A2\", (ws.title, ws.freeze_panes)
s = wb[\"Scores\"]
head = [c.value for c in s[1]]
col = {h: i for i, h in enumerate(head)}
doc = json.load(open(sys.argv[2]))
names = {\"data_ai\": \"Data & AI\"}
seen = 0
for row in s.iter_rows(min_row=2):
    v = [c.value for c in row]
    if v[col[\"Partner\"]] != \"fabrikam-cloud\" or v[col[\"Part\"]] is not None:
        continue
    a = [x for x in doc[\"areas\"] if x[\"area\"] == v[col[\"Area id\"]]][0]
    m = [x for x in a[\"metrics\"] if x[\"metric\"].replace(\"_\", \" \").lower() == v[col[\"Metric\"]].lower()][0]
    assert abs(v[col[\"Score\"]] - a[\"score\"]) < 1e-9 and v[col[\"Qualified\"]] == a[\"qualified\"]
    assert abs(v[col[\"Points\"]] - m[\"points\"]) < 1e-9
    assert v[col[\"Unit\"]].startswith(\"mixed\") or abs(v[col[\"Value\"]] - m[\"value\"]) < 1e-6
    assert row[col[\"Score\"]].number_format == \"0.00\"
    seen += 1
assert seen == sum(len(a[\"metrics\"]) for a in doc[\"areas\"]), seen
assert s.cell(row=2, column=col[\"As of\"] + 1).is_date
usd = [r[col[\"Value\"]].number_format for r in s.iter_rows(min_row=2) if r[col[\"Unit\"]].value == \"USD\"]
assert usd and all(\"#,##0\" in f for f in usd), usd
parts = [r for r in s.iter_rows(min_row=2) if r[col[\"Part\"]].value and r[col[\"Area id\"]].value == \"security\"]
assert parts and {r[col[\"Unit\"]].value for r in parts} >= {\"USD\"}, [r[col[\"Unit\"]].value for r in parts]
assert wb[\"History\"].max_row > 1 and wb[\"Skilling\"].max_row > 1 and wb[\"Eligibility\"].max_row > 1
" "$T/fleet.xlsx" "$T/fabrikam.json"'
out=$("$PCS" report nosuch --xlsx "$T/x.xlsx" 2>&1); rc=$?
check "report of an unknown partner: exit 2" '[ $rc -eq 2 ] && [[ "$out" == "pcs: no partner nosuch"* ]]'

finish
