#!/usr/bin/env bash
# The dashboard in a real headless Chromium against the real stack with the demo's sample data
# (tests/integration/api_stack.sh): the partner list and each partner's page are rendered; the six
# area scores of each page in the rendered DOM must equal `pcs show --json`, the list's cells
# `pcs partners --json` and `pcs show --json`; the sign-in form shows
# without a token and after a refused one; the pages make no request outside pcs-api. Screenshots of
# the list and a partner page (laptop and phone widths) are written to OUTDIR for people to look at.
# usage: dashboard.sh pcs pcs-ingest pcs-scorer pcs-notifier pcs-api OUTDIR
set -u
PCS=$1 INGEST=$2 SCORER=$3 NOTIFIER=$4 API=$5 OUT=$6
NAME=dashboard PIDS="ipid spid npid apid"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_stack.sh"
start_api "access_log = true"
mkdir -p "$OUT"
CHROMIUM=${PCS_CHROMIUM:-/usr/bin/chromium}
# chrome ARGS... URL: one headless Chromium run with a fresh profile (the machine has no internet)
chrome() {
    local profile
    profile=$(mktemp -d "$T/chrome.XXXXXX")
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
        --disable-dev-shm-usage --user-data-dir="$profile" --virtual-time-budget=15000 "$@" 2>>"$T/chrome.log"
}
# scores FILE: "partner area score" lines from the rendered DOM (data-* attributes of the cells and cards)
scores() {
    python3 - "$1" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    partner = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-partner" in a:
            P.partner = a["data-partner"]
        if "data-area" in a and "data-score" in a and (tag == "td" or "card" in (a.get("class") or "")):
            print(P.partner or "-", a["data-area"], a["data-score"])
P().feed(open(sys.argv[1], encoding="utf-8").read())
PY
}
# want PARTNER: "partner area score" lines from pcs show --json, scores with two decimals
want() {
    "$PCS" show "$1" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); [print(sys.argv[1], a["area"], "%.2f" % a["score"]) for a in d["areas"]]' "$2"
}
PARTNERS=$(q "SELECT DISTINCT partner_id FROM score_results ORDER BY 1")
check "the demo data has scored partners" '[ "$(wc -w <<<"$PARTNERS")" -ge 5 ]'

# ---- the partner list ---------------------------------------------------------------------------------
chrome --dump-dom "$URL/#token=$ADMIN" >"$T/list.html"
check "the list page finished loading" 'grep -q "data-ready=\"true\"" "$T/list.html"'
got=$(scores "$T/list.html" | sort)
# what the list shows is what `pcs partners --json` says (scores rounded to 2 decimals there too)
exp=$("$PCS" partners --json | python3 -c 'import json,sys; [print(p["partner_id"], a["area"], "%.2f" % a["score"]) for p in json.load(sys.stdin) for a in p["areas"]]' | sort)
check "the list shows every partner's six area scores as pcs partners --json ($(wc -l <<<"$exp") cells)" \
    '[ "$(wc -l <<<"$exp")" = $((6 * $(wc -w <<<"$PARTNERS"))) ] && [ "$got" = "$exp" ]'
[ "$got" = "$exp" ] || diff <(echo "$exp") <(echo "$got") | head -20
exp=$(for p in $PARTNERS; do want "$p" "$p"; done | sort)
check "the list's cells also equal each partner's pcs show --json (one selected track per area)" '[ "$got" = "$exp" ]'
[ "$got" = "$exp" ] || diff <(echo "$exp") <(echo "$got") | head -20
check "the list is sorted by risk as the API says" \
    '[ "$(grep -o "data-partner=\"[^\"]*\"" "$T/list.html" | cut -d\" -f2 | tr "\n" " ")" = "$(curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/v1/partners" | python3 -c "import json,sys; print(\" \".join(p[\"partner_id\"] for p in json.load(sys.stdin)), end=\" \")")" ]'
chrome --dump-dom "$URL/?q=WOOD#token=$ADMIN" >"$T/search.html"
check "search by id or name (?q=WOOD): only woodgrove-infra is listed" \
    '[ "$(grep -o "data-partner=\"[^\"]*\"" "$T/search.html" | cut -d\" -f2 | tr "\n" " ")" = "woodgrove-infra " ]'
chrome --screenshot="$OUT/partner-list.png" --window-size=1280,900 --hide-scrollbars "$URL/#token=$ADMIN" >/dev/null
check "a screenshot of the list" '[ -s "$OUT/partner-list.png" ]'

# ---- each partner's page ---------------------------------------------------------------------------------
for p in $PARTNERS; do
    chrome --dump-dom "$URL/partners/$p#token=$ADMIN" >"$T/page.html"
    got=$(scores "$T/page.html" | sed "s/^-/$p/" | sort)
    exp=$(want "$p" "$p" | sort)
    check "$p: six scorecards with the scores of pcs show --json" '[ "$(wc -l <<<"$exp")" = 6 ] && [ "$got" = "$exp" ]'
    [ "$got" = "$exp" ] || diff <(echo "$exp") <(echo "$got") | head -20
    check "$p: history, trends, eligibility, skilling, alerts and the simulator are there" \
        'for id in history trends eligibility skilling alerts simulator; do grep -q "id=\"$id\"" "$T/page.html" || exit 1; done'
done
# the partner most at risk (first in the list) has the most to show
P=$(grep -o "data-partner=\"[^\"]*\"" "$T/list.html" | head -1 | cut -d\" -f2)
chrome --screenshot="$OUT/partner-page.png" --window-size=1280,2600 --hide-scrollbars "$URL/partners/$P#token=$ADMIN" >/dev/null
chrome --screenshot="$OUT/partner-page-phone.png" --window-size=390,2400 --hide-scrollbars "$URL/partners/$P#token=$ADMIN" >/dev/null
check "screenshots of a partner page (laptop and phone)" '[ -s "$OUT/partner-page.png" ] && [ -s "$OUT/partner-page-phone.png" ]'

# ---- the simulator: a link with #sim=CHANGES runs it; both columns equal pcs simulate --json -------------------
changes='{"add_certs": [{"person_id": "new-1", "certification": "az_ai_engineer", "earned": "2026-11-01"}], "remove_certs": [], "add_customers": []}'
enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$changes")
chrome --dump-dom "$URL/partners/$P#token=$ADMIN&sim=$enc" >"$T/sim.html"
got=$(python3 - "$T/sim.html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-simulated" in a:
            print(a["data-area"], a["data-current"], a["data-simulated"])
P().feed(open(sys.argv[1], encoding="utf-8").read())
PY
)
exp=$("$PCS" simulate "$P" --as-of "$AS_OF" --add-cert new-1:az_ai_engineer:2026-11-01 --json |
      python3 -c 'import json,sys; d=json.load(sys.stdin); s={a["area"]: a for a in d["simulated"]["areas"]}; [print(a["area"], "%.2f" % a["score"], "%.2f" % s[a["area"]]["score"]) for a in d["current"]["areas"]]')
check "the simulator shows current and simulated scores as pcs simulate --json (6 areas)" \
    '[ "$(wc -l <<<"$exp")" = 6 ] && [ "$got" = "$exp" ]'
[ "$got" = "$exp" ] || diff <(echo "$exp") <(echo "$got") | head
check "the simulation changed something (one more certified person)" '[ "$(awk "\$2 != \$3" <<<"$exp" | wc -l)" -ge 1 ]'
check "a simulation from the dashboard stores nothing" '[ "$(q "SELECT count(*) FROM certifications WHERE person_id = '"'"'new-1'"'"'")" = 0 ]'
chrome --screenshot="$OUT/simulator.png" --window-size=1280,5200 --hide-scrollbars "$URL/partners/$P#token=$ADMIN&sim=$enc" >/dev/null

# ---- signing in ---------------------------------------------------------------------------------------------
chrome --dump-dom "$URL/" >"$T/nologin.html"
check "without a token the sign-in form shows, with a label for the token field" \
    'grep -q "<label for=\"token\"" "$T/nologin.html" && ! grep -q "data-partner=" "$T/nologin.html"'
chrome --dump-dom "$URL/#token=pcs_$(printf '0%.0s' $(seq 1 64))" >"$T/badlogin.html"
check "a refused token brings the sign-in form back with the reason" \
    'grep -q "refused" "$T/badlogin.html" && ! grep -q "data-partner=" "$T/badlogin.html"'
check "the token never reaches the server in a URL (the fragment stays in the browser)" '! grep -q "${ADMIN:4:16}" "$T/api.log"'
check "the shipped pages reference nothing outside pcs-api (no CDN, no external font or script)" \
    '! grep -Eq "(src|href)=\"(https?:)?//|url\((https?:)?//|@import" "$ROOT"/api/web/*.html "$ROOT"/api/web/*.css "$ROOT"/api/web/*.js && grep -q "GET /app.js 200" "$T/api.log"'
echo "screenshots in $OUT"
finish
