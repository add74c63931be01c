#!/usr/bin/env bash
# pcs-pull end to end against a local stand-in of Entra ID and Partner Center's Insights
# programmatic access (pc_standin.py, on 127.0.0.1, ephemeral port), with the real pcs-ingest and
# pcs-scorer and the throwaway PostgreSQL of tests/run:
#  - `pcs pull login`: device code (authorization_pending, slow_down, then a token); the refresh
#    token is stored mode 0600; a token file readable by others is refused;
#  - the monthly pull (pull_day = today) delivers the four datasets through 429 + Retry-After, a 500,
#    an expired access token (401 -> refresh, rotated refresh token stored) and a download cut in the
#    middle; each arrives in the spool once, is loaded by pcs-ingest and scored by pcs-scorer;
#  - `pcs pull now`, kill -9 in the middle, restart, PostgreSQL restarted while the run waits: the run
#    resumes and ends, no report is created twice,
#    no file downloaded twice; the queries are created once for all runs;
#  - an app-only account (client credentials) pulls into a spool of its own;
#  - a revoked refresh token ends a run with "sign in again";
#  - no secret the stand-in issued appears in any log or output;
#  - pcs-pull connects as its own role pcs_pull (sql/0008_pull.sql grants are enough).
# usage: pull.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer PATH/TO/pcs-pull
set -u
PCS=$1
INGEST=$2
SCORER=$3
PULL=$4
NAME=pull PIDS="ipid spid ppid mpid apid stpid"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
SECRET="app-secret-$RANDOM$RANDOM$RANDOM"

python3 "$ROOT/tests/integration/pc_standin.py" --data "$ROOT/deploy/sample/pc" --state "$T/standin.json" \
    --port-file "$T/port" --client-secret "$SECRET" 2>"$T/standin.log" &
stpid=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
BASE="http://127.0.0.1:$PORT"
st() { python3 -c "import json,sys; d=json.load(open('$T/standin.json')); print(eval(sys.argv[1]))" "$1"; }
standin() { python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1]).read()" "$BASE$1"; }

pull_conf() { # pull_conf ACCOUNT SPOOL CONTROL AUTH SCHEDULE
    cat <<EOF
# test configuration: the stand-in plays Entra ID and Partner Center; the daemon's own role
db = "dbname=$DB user=pcs_pull"
spool_dir = $2
control_endpoint = ipc://$T/$3
schedule = $5
pull_day = $(date -u +%-d)
pull_hour = 0
poll_interval_ms = 200
retry_base_ms = 100
retry_max_ms = 2000
max_attempts = 6

[partner_center]
account = $1
tenant = contoso.onmicrosoft.com
client_id = 11111111-2222-3333-4444-555555555555
auth = $4
token_file = $T/$1.token
client_secret_file = $([ "$4" = client_credentials ] && echo "$T/app.secret")
authority = $BASE
api_base = $BASE/insights/v1/mpn
EOF
}
pull_conf adatum "$T/spool" pull-control device_code 1 >"$T/pull.conf"
pull_conf modecheck "$T/spool-m" pull-m device_code 1 >"$T/pull-m.conf"
pull_conf app "$T/spool-app" pull-app client_credentials 0 >"$T/pull-app.conf"
ingest_conf >"$T/ingest.conf"
cat >"$T/scorer.conf" <<EOF
db = "dbname=$DB"
pull_endpoint = ipc://$T/push
control_endpoint = ipc://$T/control
pub_endpoint = ipc://$T/pub
rule_sets = pcs-2026
today = 2026-11-20
refresh_day = 20
outbox_poll_ms = 500
EOF

# ---- the command line and the configuration ---------------------------------------------------------------
out=$("$PULL" --help); rc=$?
check "pcs-pull --help" '[ $rc -eq 0 ] && [[ "$out" == "usage: pcs-pull"* ]]'
printf '[partner_center]\naccount = a\ntenant = t\nclient_id = c\ntoken_file = /x\npul_day = 3\n' >"$T/typo.conf"
out=$("$PULL" --config "$T/typo.conf" 2>&1); rc=$?
check "a typo in the config is fatal with file:line" '[ $rc -eq 2 ] && [[ "$out" == *"typo.conf:6: partner_center.pul_day: unknown key"* ]]'
sed "s|^authority = .*|authority = http://login.example.com|" "$T/pull.conf" >"$T/plain.conf"
out=$("$PULL" --config "$T/plain.conf" 2>&1); rc=$?
check "a plain-http token endpoint is refused" '[ $rc -eq 2 ] && [[ "$out" == *"authority: must be https://"* ]]'
out=$("$PCS" pull status 2>&1); rc=$?
check "pcs pull status with no runs" '[ $rc -eq 0 ] && [[ "$out" == *"no pull runs yet"* ]]'

# ---- pcs pull login: the device code flow ---------------------------------------------------------------------
"$PCS" pull login --config "$T/pull.conf" >"$T/login.out" 2>&1; rc=$?
check "pcs pull login signs in" '[ $rc -eq 0 ] && grep -q "Signed in" "$T/login.out"'
check "login prints the verification URL and the user code" \
    'grep -q "https://microsoft.com/devicelogin" "$T/login.out" && grep -Eq "enter the code PCS[0-9A-F]{6}" "$T/login.out"'
check "login waited through authorization_pending and slow_down" \
    '[ "$(st "d[\"counts\"][\"pending\"]") $(st "d[\"counts\"][\"slow_down\"]") $(st "d[\"counts\"][\"device_ok\"]")" = "1 1 1" ]'
check "the refresh token file is mode 0600" '[ "$(stat -c %a "$T/adatum.token")" = 600 ]'

# a token file readable by others is refused: the scheduled run of that account fails and says why
cp "$T/adatum.token" "$T/modecheck.token" && chmod 644 "$T/modecheck.token"
"$PULL" --config "$T/pull-m.conf" 2>>"$T/pull-m.log" &
mpid=$!
check "a token file readable by others fails the run with the reason" \
    'wait_for "SELECT state || (error LIKE '\''%chmod 600%'\'')::text FROM pull_runs WHERE account = '\''modecheck'\''" failedtrue'
kill -9 "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; mpid=

# ---- the monthly pull, through every fault ----------------------------------------------------------------------
"$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
"$PULL" --config "$T/pull.conf" 2>>"$T/pull.log" & ppid=$!
check "the scheduled pull of this month runs and ends done" \
    'wait_for "SELECT state || files FROM pull_runs WHERE account = '\''adatum'\'' AND trigger = '\''schedule'\''" done4 900'
check "each dataset has its item done" \
    '[ "$(q "SELECT count(*) FROM pull_items i JOIN pull_runs r USING (run_id) WHERE account = '\''adatum'\'' AND i.state = '\''done'\''")" = 4 ]'
check "429 answered with a wait for Retry-After" '[ "$(st "d[\"counts\"][\"r429\"]")" = 1 ] && grep -q "rate limited (HTTP 429): waiting 1000 ms" "$T/pull.log"'
check "a 500 retried" '[ "$(st "d[\"counts\"][\"r500\"]")" = 1 ] && grep -q "HTTP 500; attempt 2" "$T/pull.log"'
check "an expired access token (401) refreshed" \
    '[ "$(st "d[\"counts\"][\"r401\"]")" -ge 1 ] && [ "$(st "d[\"counts\"][\"refresh_ok\"]")" -ge 2 ] && grep -q "HTTP 401" "$T/pull.log"'
check "a cut download retried" '[ "$(st "d[\"counts\"][\"cut\"]")" = 1 ] && grep -q "download cut" "$T/pull.log"'
check "the downloads carried no Authorization header" '[ "$(st "d[\"counts\"][\"downloads_with_auth\"]")" = 0 ]'
check "the four files are loaded by pcs-ingest" \
    'wait_for "SELECT count(*) FROM loaded_files WHERE name LIKE '\''pc-adatum-%'\''" 4 600'
check "the queries ask for the dataset's own column names (ScheduledDataset)" \
    'grep -q "OfficeUsage: asking for SELECT PGAPartnerID,PartnerID,CustomerTenantId," "$T/pull.log"'
check "nothing of them was rejected as a whole (the SELECTs carry every column pcs-ingest needs)" \
    '[ -z "$(ls "$T/spool/failed" 2>/dev/null)" ] && [ "$(q "SELECT count(*) FROM rejected_rows r WHERE r.file_name LIKE '\''pc-adatum-%'\'' AND r.reason NOT LIKE '\''%Quantum Widgets%'\''")" = 0 ]'
check "the rotated refresh token was stored, still mode 0600" \
    '[ "$(stat -c %a "$T/adatum.token")" = 600 ] && grep -qF "$(st "[t for t in d[\"issued\"] if t.startswith(\"rt-\")][-1]")" "$T/adatum.token"'
"$PCS" refresh --as-of 2026-11-20 --wait --timeout 300 >"$T/refresh.out" 2>&1
check "the pulled data is scored" '[ "$(q "SELECT count(*) > 0 FROM score_results")" = t ]'
out=$("$PCS" pull status); rc=$?
check "pcs pull status shows the run and its datasets" \
    '[ $rc -eq 0 ] && [[ "$out" == *"adatum  schedule"*"done, 4 files"* ]] && [[ "$out" == *"AzureUsage"*"done"* ]]'
out=$("$PCS" pull status --json)
check "pcs pull status --json" \
    '[ "$(printf "%s" "$out" | python3 -c "import json,sys; r=json.load(sys.stdin); print(sorted(d[\"state\"] for d in r[0][\"datasets\"] if r[0][\"account\"]==\"adatum\"))")" = "['\''done'\'', '\''done'\'', '\''done'\'', '\''done'\'']" ]'

# ---- pcs pull now, kill -9 in the middle, restart: the run resumes ------------------------------------------------
standin "/_test/hold?datasets=CustomersAndTenants,OfficeUsage&polls=100000"   # released below
out=$(PCS_PULL="ipc://$T/pull-control" "$PCS" pull now); rc=$?
check "pcs pull now starts a run" '[ $rc -eq 0 ] && [[ "$out" == "pull run "*" started for account adatum" ]]'
RUN2=$(q "SELECT max(run_id) FROM pull_runs WHERE account = 'adatum'")
out=$(PCS_PULL="ipc://$T/pull-control" "$PCS" pull now 2>&1); rc=$?
check "a second pcs pull now while one runs is refused" '[ $rc -eq 1 ] && [[ "$out" == *"a pull is running (run $RUN2)"* ]]'
check "two datasets of the second run delivered, two waiting" \
    'wait_for "SELECT count(*) FILTER (WHERE state = '\''done'\'') || '\''/'\'' || count(*) FILTER (WHERE state = '\''reported'\'') FROM pull_items WHERE run_id = $RUN2" 2/2 600'
kill -9 "$ppid"; wait "$ppid" 2>/dev/null
"$PULL" --config "$T/pull.conf" 2>>"$T/pull.log" & ppid=$!
check "the restart resumed the open run" 'wait_for "SELECT 1 FROM pull_runs WHERE run_id = $RUN2" 1 && for _ in $(seq 1 100); do grep -q "resuming run $RUN2" "$T/pull.log" && break; sleep 0.1; done && grep -q "resuming run $RUN2" "$T/pull.log"'
# PostgreSQL goes down and comes back while the run waits for Partner Center
if [ -n "${PCS_TEST_PGCTL:-}" ]; then
    $PCS_TEST_PGCTL stop -m fast >/dev/null 2>&1
    sleep 1
    $PCS_TEST_PGCTL start -w >/dev/null 2>&1
    check "PostgreSQL is back" 'wait_for "SELECT 1" 1'
else
    echo "FAIL: PCS_TEST_PGCTL not set (tests/run sets it): cannot test PostgreSQL going down"; fail=$((fail + 1))
fi
standin "/_test/hold?datasets=CustomersAndTenants,OfficeUsage&polls=0"
check "after kill -9 and a PostgreSQL restart the run resumes and ends done" \
    'wait_for "SELECT state || files FROM pull_runs WHERE run_id = $RUN2" done4 900'
check "no report was created twice (8 for two runs)" '[ "$(st "d[\"counts\"][\"reports_created\"]")" = 8 ]'
check "the queries were created once (4)" '[ "$(st "d[\"counts\"][\"queries_created\"]")" = 4 ]'
check "every execution downloaded completely exactly once" \
    '[ "$(st "sorted(d[\"complete\"].values())")" = "[1, 1, 1, 1, 1, 1, 1, 1]" ]'
# the second run's files have the content of the first: pcs-ingest skips them (same SHA-256) into done/
for _ in $(seq 1 600); do [ -z "$(ls "$T/spool/incoming")" ] && break; sleep 0.1; done
check "eight files reached the spool, one per execution, and went through pcs-ingest" \
    '[ "$(ls "$T/spool/done" | grep -c "^pc-adatum-")" = 8 ] && [ "$(q "SELECT string_agg(file, '\'' '\'' ORDER BY file COLLATE \"C\") FROM pull_items")" = "$(ls "$T/spool/done" | grep "^pc-adatum-" | LC_ALL=C sort | tr "\n" " " | sed "s/ $//")" ]'
check "no temporary file is left" '[ -z "$(ls -A "$T/spool/incoming" | grep "\.part$")" ]'

# ---- an app-only account: client credentials ------------------------------------------------------------------------
printf '%s\n' "$SECRET" >"$T/app.secret" && chmod 600 "$T/app.secret"
out=$("$PCS" pull login --config "$T/pull-app.conf" 2>&1); rc=$?
check "pcs pull login checks client credentials" '[ $rc -eq 0 ] && [[ "$out" == *"accepts the client credentials"* ]]'
"$PULL" --config "$T/pull-app.conf" 2>>"$T/pull-app.log" & apid=$!
for _ in $(seq 1 50); do [ -S "$T/pull-app" ] && break; sleep 0.1; done
out=$(PCS_PULL="ipc://$T/pull-app" "$PCS" pull now --wait --timeout 300 2>&1); rc=$?
check "the app-only account pulls the four datasets" \
    '[ $rc -eq 0 ] && [[ "$out" == *"done: 4 files delivered"* ]] && [ "$(ls "$T/spool-app/incoming" | grep -c "^pc-app-")" = 4 ]'
check "with the client credentials grant" '[ "$(st "d[\"counts\"][\"client_credentials\"]")" -ge 2 ]'
# --wait reading a database that is not pcs-pull's (another pcs database, then no pcs database): an
# error at once, not an hour of waiting; the run goes on in pcs-pull's database
q "CREATE DATABASE ${DB}_other" >/dev/null && "$PCS" migrate --db "dbname=${DB}_other" >/dev/null
out=$(PCS_PULL="ipc://$T/pull-app" "$PCS" pull now --wait --timeout 600 --db "dbname=${DB}_other" 2>&1); rc=$?
check "pull now --wait reading another pcs database fails with the reason (rc $rc: $out)" \
    '[ $rc -eq 1 ] && [[ "$out" == *"is not in this database (is --db or PCS_DB pcs-pull'"'"'s database?)"* ]]'
wait_for "SELECT count(*) FROM pull_runs WHERE state = 'running'" 0 600
out=$(PCS_PULL="ipc://$T/pull-app" "$PCS" pull now --wait --timeout 600 --db "dbname=postgres" 2>&1); rc=$?
check "pull now --wait reading a database without pcs fails with the reason (rc $rc: $out)" \
    '[ $rc -eq 1 ] && [[ "$out" == *"cannot read its state"*"pcs-pull'"'"'s database?)"* ]]'
check "both runs ended in pcs-pull's database" 'wait_for "SELECT count(*) FROM pull_runs WHERE state = '"'"'running'"'"'" 0 600'
q "DROP DATABASE ${DB}_other" >/dev/null

kill -HUP "$ppid"
check "SIGHUP reloads the schedule and limits" \
    'for _ in $(seq 1 50); do grep -q "reloaded (schedule" "$T/pull.log" && break; sleep 0.1; done; grep -q "reloaded (schedule" "$T/pull.log"'

# ---- a crash between the rename and its row: the file is in the spool, the row says "downloading" ------------------
kill -9 "$ppid"; wait "$ppid" 2>/dev/null
F=$(q "SELECT file FROM pull_items WHERE run_id = $RUN2 AND dataset = 'OfficeUsage'")
X=$(q "SELECT execution_id FROM pull_items WHERE run_id = $RUN2 AND dataset = 'OfficeUsage'")
q "WITH r AS (INSERT INTO pull_runs (account, trigger) VALUES ('adatum', 'now') RETURNING run_id)
   INSERT INTO pull_items (run_id, dataset, state, execution_id, file)
   SELECT run_id, d, CASE d WHEN 'OfficeUsage' THEN 'downloading' ELSE 'done' END,
          CASE d WHEN 'OfficeUsage' THEN '$X' END, CASE d WHEN 'OfficeUsage' THEN '$F' END
   FROM r, unnest(ARRAY['CustomersAndTenants', 'AzureUsage', 'OfficeUsage', 'TrainingCompletions']) d" >/dev/null
RUN3=$(q "SELECT max(run_id) FROM pull_runs WHERE account = 'adatum'")
before=$(st "sum(d[\"complete\"].values())")
"$PULL" --config "$T/pull.conf" 2>>"$T/pull.log" & ppid=$!
check "a file renamed before a crash is recognised, not downloaded again" \
    'wait_for "SELECT state FROM pull_runs WHERE run_id = $RUN3" done && grep -q "$F is in the spool already" "$T/pull.log" && [ "$(st "sum(d[\"complete\"].values())")" = "$before" ]'

# ---- a revoked sign-in ends a run with what to do ---------------------------------------------------------------------
standin "/_test/revoke"
out=$(PCS_PULL="ipc://$T/pull-control" "$PCS" pull now --wait --timeout 300 2>&1); rc=$?
check "a revoked refresh token fails the run: sign in again" \
    '[ $rc -eq 1 ] && [[ "$out" == *"failed"*"sign in again with \`pcs pull login\`"* ]]'
check "the daemon keeps running" 'kill -0 "$ppid"'

# ---- no secret in any log or output -------------------------------------------------------------------------------------
kill -TERM "$ppid" "$apid" 2>/dev/null
wait "$ppid" "$apid" 2>/dev/null
ppid= apid=
check "pcs-pull stops on SIGTERM" 'grep -q "stopped" "$T/pull.log"'
leaks=$(python3 - "$T" <<'PY'
import json, sys, glob
t = sys.argv[1]
issued = json.load(open(t + "/standin.json"))["issued"]
n = 0
for f in glob.glob(t + "/*.log") + glob.glob(t + "/*.out"):
    text = open(f, errors="replace").read()
    for s in issued:
        if s in text:
            n += 1
            print("secret of kind %s in %s" % (s[:3], f), file=sys.stderr)
print(n, len(issued))
PY
)
check "no secret the stand-in issued is in a log (of $(echo "$leaks" | cut -d" " -f2))" '[ "${leaks%% *}" = 0 ] && [ "${leaks##* }" -gt 10 ]'
finish
