#!/usr/bin/env bash
# The insights commands against a running stack (real PostgreSQL, pcs-ingest, pcs-scorer), checked
# against known facts of scoring.md §15: the eligibility rows of example 6, the skilling steps of
# examples 1 and 2, a simulation that turns example 2's partner unqualified (example 7), a
# recommendation whose stated effect equals a simulation, a forecast that sees example 7's expiry,
# trends over stored scores, and the rule-set list, show and diff.
# usage: insights.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer
set -u
PCS=$1
INGEST=$2
SCORER=$3
NAME=insights PIDS="ipid spid"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
py() { python3 -c "$1" "${@:2}"; }
ingest_conf >"$T/ingest.conf"
printf 'db = "dbname=%s"\npull_endpoint = ipc://%s/push\ncontrol_endpoint = ipc://%s/control\npub_endpoint = ipc://%s/pub\nrule_sets = pcs-2026\ntoday = 2025-07-10\nrefresh_day = 0\noutbox_poll_ms = 300\n' \
    "$DB" "$T" "$T" "$T" >"$T/scorer.conf"
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
for _ in $(seq 1 50); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done
load_cases ex1_infrastructure ex2_data_ai ex6_negative_nca ex7_expiring_at_d0
wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0 200
for d in 2025-06-10 2025-07-01 2025-07-10; do "$PCS" refresh --as-of "$d" --wait >/dev/null; done

# ---- export: the document the insights score is the one pcs score would get -----------------------------
"$PCS" export ex2_data_ai --as-of 2025-07-10 >"$T/ex2.db.json"
a=$("$PCS" score "$T/ex2.db.json" | py 'import json,sys; d=json.load(sys.stdin); d.pop("warnings"); print(json.dumps(d, sort_keys=True))')
b=$("$PCS" score --as-of 2025-07-10 "$T/feeds/ex2_data_ai.json" | py 'import json,sys; d=json.load(sys.stdin); d.pop("warnings"); print(json.dumps(d, sort_keys=True))')
check "pcs export gives a document that scores as the original" '[ -n "$a" ] && [ "$a" = "$b" ]'
out=$("$PCS" export nobody 2>&1); rc=$?
check "pcs export of an unknown partner says so" '[ $rc -eq 2 ] && [[ "$out" == *"no partner nobody"* ]]'

# ---- eligibility: example 6 ----------------------------------------------------------------------------
out=$("$PCS" eligibility ex6_negative_nca --area infrastructure --as-of 2025-07-10 --json)
elig() { py 'import json,sys; d=json.loads(sys.argv[1]); r=[x for x in d["rows"] if x["metric"]==sys.argv[2] and x["tenant_id"].endswith("/"+sys.argv[3])][0]; print(r["status"], r["effect"], r["current_value"], r["comparison_value"])' "$out" "$@"; }
check "example 6: N1 no effect on net customer adds" '[ "$(elig net_customer_adds N1)" = "no_effect 0 2000 2000" ]'
check "example 6: N2 not met, -1, 300 against 1200" '[ "$(elig net_customer_adds N2)" = "not_met -1 300 1200" ]'
check "example 6: N3 not met, -1, 0 against 1500" '[ "$(elig net_customer_adds N3)" = "not_met -1 0 1500" ]'
check "example 6: N2 usage growth share -10800" '[ "$(elig usage_growth N2)" = "not_met -10800 3600 14400" ]'
check "example 6: deployments met for each tenant" '[ "$(elig deployments N1 | cut -d" " -f1-2)" = "met 1" ]'
check "example 6: the summary counts 1 no effect and 2 negative for net customer adds" \
    '[ "$(py "import json,sys; d=json.loads(sys.argv[1]); s=[x for x in d[\"summary\"] if x[\"metric\"]==\"net_customer_adds\"][0]; print(s[\"positive\"], s[\"negative\"], s[\"no_effect\"])" "$out")" = "0 2 1" ]'
out=$("$PCS" eligibility ex6_negative_nca --area infrastructure --as-of 2025-07-10 --customer CN2 --csv)
check "--customer and --csv: a header and the rows of that customer only" \
    '[ "$(head -1 <<<"$out")" = "area,track,metric,part,option,tenant_id,customer_id,customer_name,status,effect,current_value,comparison_value,criterion" ] && [ "$(tail -n +2 <<<"$out" | grep -vc ",CN2,")" = 0 ] && [ "$(tail -n +2 <<<"$out" | wc -l)" -ge 2 ]'

# ---- skilling: examples 1 and 2 ----------------------------------------------------------------------------
out=$("$PCS" skilling ex2_data_ai --area data_ai --as-of 2025-07-10 --json)
check "example 2: Data & AI intermediate: 8 counted, 32 of 40 points, P1 counted in step 1 with az_admin" \
    '[ "$(py "import json,sys; m=json.loads(sys.argv[1])[0]; p=[x for x in m[\"people\"] if x[\"person_id\"]==\"P1\" and x[\"step\"]==1][0]; print(m[\"metric\"], m[\"units\"], m[\"points\"], m[\"max\"], p[\"counted\"], p[\"certs_counted\"])" "$out")" = "intermediate_certifications 8 32 40 True ['"'"'az_admin'"'"']" ]'
out=$("$PCS" skilling ex1_infrastructure --area infrastructure --as-of 2025-07-10 --json)
want=$("$PCS" score --area infrastructure --as-of 2025-07-10 --explain "$T/feeds/ex1_infrastructure.json" |
       py 'import json,sys; a=json.load(sys.stdin)["areas"][0]; print(sorted((r["metric"], r["step"], r["person_id"], r["counted"]) for r in a["skilling"] if r["track"]==a["track"]))')
got=$(py 'import json,sys; print(sorted((m["metric"], p["step"], p["person_id"], p["counted"]) for m in json.loads(sys.argv[1]) for p in m["people"]))' "$out")
check "example 1: the skilling steps are the engine's (step, person, counted)" '[ -n "$want" ] && [ "$got" = "$want" ]'
out=$("$PCS" skilling ex1_infrastructure --as-of 2025-07-10 --csv)
check "skilling --csv names each certification and its expiry" '[[ "$(head -1 <<<"$out")" == "area,track,metric,step,person_id,counted,certs_counted,certification,earned,expires" ]] && [ "$(wc -l <<<"$out")" -gt 2 ]'

# ---- simulate on the stack: example 7 is example 2 with P2's az_admin expiring before D ------------------
out=$("$PCS" simulate ex2_data_ai --as-of 2025-07-10 --remove-cert P2:az_admin --add-cert P2:az_admin:2024-07-05 --json)
check "simulate: example 2 qualifies now (72.13) and not with P2's certification expired (40.13)" \
    '[ "$(py "import json,sys; d=json.loads(sys.argv[1]); f=lambda r: [(a[\"score\"], a[\"qualified\"]) for a in r[\"areas\"] if a[\"area\"]==\"data_ai\"][0]; print(f(d[\"current\"]), f(d[\"simulated\"]))" "$out")" = "(72.13, True) (40.13, False)" ]'
out=$("$PCS" simulate ex2_data_ai --as-of 2025-07-10 --add-cert new1:az_ai_engineer)
check "simulate without --json shows the scores side by side" '[[ "$out" == *"current -> simulated"* ]] && [[ "$out" == *"Data & AI"*"72.13"*"76.13"*"+4.00"* ]]'
check "a simulation stores nothing" '[ "$(q "SELECT count(*) FROM certifications WHERE person_id = '\''new1'\''")" = 0 ]'

# ---- recommend: the stated effect of the top action is what a simulation gives -----------------------------
out=$("$PCS" recommend ex6_negative_nca --as-of 2025-07-10 --json)
read -r cert people area before after <<<"$(py 'import json,sys; x=json.loads(sys.argv[1])["actions"][0]; e=x["effects"][0]; print(x["certification"], x["people"], e["area"], e["score_before"], e["score_after"])' "$out")"
args=()
for i in $(seq 1 "$people"); do args+=(--add-cert "new-person-$i:$cert:2025-07-10"); done
sim=$("$PCS" simulate ex6_negative_nca --as-of 2025-07-10 "${args[@]}" --json |
      py 'import json,sys; d=json.load(sys.stdin); f=lambda r: [float(a["score"]) for a in r["areas"] if a["area"]==sys.argv[1]][0]; print(f(d["current"]), f(d["simulated"]))' "$area")
check "recommend: the top action's effect ($cert x$people on $area: $before -> $after) equals pcs simulate" \
    '[ -n "$cert" ] && [ "$sim" = "$(py "import sys; print(float(sys.argv[1]), float(sys.argv[2]))" "$before" "$after")" ]'
out=$("$PCS" recommend ex2_data_ai --as-of 2025-07-01)
check "recommend lists the at-risk events in words" '[[ "$out" == *"At risk:"* ]] && [[ "$out" == *"P2'"'"'s Azure Administrator Associate is valid until 2025-08-01"* ]]'
check "recommend ranks the renewal that keeps Data & AI qualified first" '[[ "$(grep -m1 "^ *1 " <<<"$out")" == *"renew P2'"'"'s Azure Administrator Associate by 2025-08-01"* ]]'

# ---- forecast: example 7's certification expires on 2025-07-05 -----------------------------------------------
out=$("$PCS" forecast ex7_expiring_at_d0 --as-of 2025-07-01 --until 2025-08-15 --area data_ai --json)
check "forecast: Data & AI 72.13 on 2025-07-01, 40.13 from 2025-07-06 (the day after the expiry)" \
    '[ "$(py "import json,sys; r=json.loads(sys.argv[1]); print([(x[\"date\"], x[\"score\"], x[\"qualified\"]) for x in r][:2])" "$out")" = "[('"'"'2025-07-01'"'"', 72.13, True), ('"'"'2025-07-06'"'"', 40.13, False)]" ]'

# ---- trends over the stored history ----------------------------------------------------------------------
out=$("$PCS" trends ex2_data_ai --csv)
check "trends --csv: a month per row with the stored best score" \
    '[ "$(head -1 <<<"$out")" = "month,customers_ttm,acr_usd,revenue_usd,active_units,data_ai,infrastructure,digital_app_innovation,business_applications,modern_work,security" ] && grep -q "^2025-06,[0-9]*,[0-9.]*,[0-9.]*,[0-9]*,72.13," <<<"$out" && grep -q "^2025-05,[0-9]*,[0-9.]*,[0-9.]*,[0-9]*,[0-9.]\+," <<<"$out"'

# ---- rule sets --------------------------------------------------------------------------------------------
out=$("$PCS" rules list)
check "rules list names both shipped sets" '[[ "$out" == *"pcs-2026"*"(default)"* ]] && [[ "$out" == *"pcs-2023"* ]]'
out=$("$PCS" rules show pcs-2023)
check "rules show prints areas, tracks, metrics and the catalogue" '[[ "$out" == *"infrastructure"* ]] && [[ "$out" == *"Enterprise track"* ]] && [[ "$out" == *"az_admin"* ]]'
out=$("$PCS" rules diff pcs-2023 pcs-2026)
check "rules diff lists what changed between 2023 and 2026" '[[ "$out" == "--- pcs-2023"* ]] && [[ "$out" =~ [1-9][0-9]*\ differences ]]'
out=$("$PCS" rules diff pcs-2026 pcs-2026)
check "rules diff of a set with itself: 0 differences" '[[ "$out" == *"0 differences"* ]]'
out=$("$PCS" rules diff pcs-2026 nope 2>&1); rc=$?
check "rules diff of an unknown set is a usage error" '[ $rc -eq 2 ] && [[ "$out" == *"unknown rule set"* ]]'

finish
