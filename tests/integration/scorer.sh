#!/usr/bin/env bash
# pcs-scorer end to end with the real daemons (pcs-ingest, one or two pcs-scorer), the throwaway
# PostgreSQL of tests/run and ZeroMQ over ipc in a temp dir:
#  - golden partner documents turned into feeds, loaded by pcs-ingest, refreshed: every stored result
#    (`pcs show --json`) equals `pcs score` of the document, for both rule sets;
#  - the monthly timer starts a refresh on refresh_day; a replayed refresh rewrites nothing;
#  - a certification event gives a new snapshot and a score.updated message (liveness bound only);
#  - kill -9 in the middle of a refresh, PostgreSQL restarted in the middle of a refresh, SIGTERM in
#    the middle of a refresh: each time the refresh completes with every partner counted once;
#  - two scorers share a refresh: every partner scored once;
#  - malformed control requests are answered and the daemon keeps running.
# usage: scorer.sh PATH/TO/pcs PATH/TO/pcs-ingest PATH/TO/pcs-scorer
set -u
PCS=$1
INGEST=$2
SCORER=$3
NAME=scorer PIDS="ipid spid spid2"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"
ingest_conf >"$T/ingest.conf"
scorer_conf() { # scorer_conf NAME CONTROL PUB
    cat <<EOF
# test configuration: "today" is pinned so the monthly refresh and the event rescoring are reproducible
db = "dbname=$DB"
pull_endpoint = ipc://$T/push
control_endpoint = ipc://$T/$2
pub_endpoint = ipc://$T/$3
rule_sets = pcs-2026, pcs-2023
today = 2026-11-20
refresh_day = 20
slice_partners = 200
batch_partners = 25
outbox_poll_ms = 500
coalesce_ms = 20
worker = $1
EOF
}
scorer_conf one control pub >"$T/scorer.conf"
scorer_conf two control2 pub2 >"$T/scorer2.conf"

out=$("$SCORER" --help); rc=$?
check "pcs-scorer --help" '[ $rc -eq 0 ] && [[ "$out" == "usage: pcs-scorer"* ]]'
printf 'db = x\nrefresh_dya = 3\n' >"$T/typo.conf"
out=$("$SCORER" --config "$T/typo.conf" 2>&1); rc=$?
check "a typo in the config is fatal with file:line" '[ $rc -eq 2 ] && [[ "$out" == *"typo.conf:2: refresh_dya: unknown key"* ]]'
printf 'rule_sets = pcs-1999\n' >"$T/badrules.conf"
out=$("$SCORER" --config "$T/badrules.conf" 2>&1); rc=$?
check "an unknown rule set is fatal" '[ $rc -eq 2 ] && [[ "$out" == *"unknown rule set"* ]]'

start_ingest() { "$INGEST" --config "$T/ingest.conf" 2>>"$T/ingest.log" & ipid=$!; }
start_scorer() { "$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!; }
start_ingest
start_scorer
for _ in $(seq 1 50); do [ -d "$T/spool/incoming" ] && [ -S "$T/control" ] && break; sleep 0.1; done

# ---- the monthly timer: today is the 20th, so a refresh as of 2026-11-20 starts by itself ------------
check "the monthly refresh of 2026-11-20 ran on start" \
    'wait_for "SELECT count(*) FROM refresh_runs WHERE kind = '\''monthly'\'' AND as_of = '\''2026-11-20'\'' AND finished_at IS NOT NULL" 1'

# ---- golden documents through ingest, then a refresh per as-of date ------------------------------------
CASES="ex1_infrastructure ex2_data_ai ex3_security ex4_modern_work ex5_business_applications ex6_negative_nca
       ex7_expired_at_d ex8_retired_eligible ex9_not_enrolled ex9_renewal_due edge_cert_records_validity_run"
declare -A ASOF
for c in $CASES; do
    d=$(sed -n 's/.*--as-of \([0-9-]*\).*/\1/p' "$ROOT/tests/data/$c/args" 2>/dev/null)
    [ -n "$d" ] || d=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["as_of"])' "$ROOT/tests/data/$c/input.json")
    ASOF[$c]=$d
done
# shellcheck disable=SC2086
load_cases $CASES
check "every feed file loaded" '[ "$(ls "$T/spool/done" | wc -l)" = "$(ls "$T"/feeds/*.csv "$T"/feeds/*.jsonl | wc -l)" ]'
check "the outbox is drained by the scorer" 'wait_for "SELECT count(*) FROM outbox WHERE processed_at IS NULL" 0'
# every score.updated of these refreshes is checked below against the stored snapshots
"$PCS" watch "ipc://$T/pub" --sub --timeout-ms 60000 >"$T/changes.txt" 2>/dev/null & cwatch=$!
sleep 0.5
# latest date first: a refresh uses the stored snapshots of earlier dates for the status window and
# the history (scoring.md §11), which `pcs score` of a bare document does not have
for d in $(printf '%s\n' "${ASOF[@]}" | sort -ru); do
    out=$("$PCS" refresh --as-of "$d" --wait --timeout 120 2>&1); rc=$?
    check "pcs refresh --as-of $d --wait" '[ $rc -eq 0 ] && [[ "$out" == *"done:"* ]]'
done
# each run says how the facts it reads compare with shared_buffers (README: Sizing PostgreSQL): here,
# under the test server's shared_buffers, at info level and without the advice
sb=$(q "SELECT pg_size_pretty(pg_size_bytes(current_setting('shared_buffers')))")
said=$(grep -c "info scorer refresh: refresh [0-9]*: the facts it reads take [0-9]* [kM]*B, shared_buffers is $sb\$" "$T/scorer.log")
runs=$(q "SELECT count(*) FROM refresh_runs WHERE kind IN ('monthly', 'manual')")
check "every refresh said the size of its facts against shared_buffers ($sb; $said lines for $runs runs)" \
    '[ "$said" = "$runs" ] && [ "$runs" -gt 1 ] && ! grep -q "Sizing PostgreSQL" "$T/scorer.log"'
norm() { python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("warnings", None); print(json.dumps(d, sort_keys=True))'; }
for c in $CASES; do
    for r in pcs-2026 pcs-2023; do
        a=$("$PCS" show "$c" --as-of "${ASOF[$c]}" --rules "$r" --json | norm)
        b=$("$PCS" score --as-of "${ASOF[$c]}" --rules "$r" "$T/feeds/$c.json" | norm)
        check "stored result of $c ($r, ${ASOF[$c]}) equals pcs score of the document" '[ -n "$a" ] && [ "$a" = "$b" ]'
        [ "$a" = "$b" ] || { echo "$a" >"$T/diff.$c.$r.stored"; echo "$b" >"$T/diff.$c.$r.score"; }
    done
done
# The changes a refresh publishes (new batches, pcs_batch_insert) against the stored snapshots: one
# message per selected snapshot, in seq order, each what the statement of the upsert path says of it
# (the previous score: the latest selected snapshot of the partner, area and rule set before its
# as-of that was stored before it). The refreshes above found no earlier day stored (latest date
# first); one more after them finds each partner's last.
out=$("$PCS" refresh --as-of 2025-08-20 --wait --timeout 120 2>&1); rc=$?
check "pcs refresh --as-of 2025-08-20 --wait" '[ $rc -eq 0 ] && [[ "$out" == *"done:"* ]]'
sleep 1
kill $cwatch 2>/dev/null; wait $cwatch 2>/dev/null
q "COPY (SELECT json_build_object('partner_id', s.partner_id, 'area', s.area, 'rules', s.rule_set,
     'as_of', s.as_of::text, 'track', s.track, 'score', round(s.total::numeric, 2)::text, 'qualified', s.qualified,
     'status', s.status, 'old_score', round(prev.total::numeric, 2)::text, 'old_qualified', prev.qualified,
     'old_status', prev.status, 'old_as_of', prev.as_of::text, 'seq', s.seq)
   FROM score_snapshots s LEFT JOIN LATERAL (SELECT p.total, p.qualified, p.status, p.as_of FROM score_snapshots p
     WHERE p.partner_id = s.partner_id AND p.area = s.area AND p.rule_set = s.rule_set AND p.selected
     AND p.as_of < s.as_of AND p.seq < s.seq ORDER BY p.as_of DESC LIMIT 1) prev ON true
   WHERE s.selected AND s.as_of IN ('2024-03-15', '2025-07-10', '2025-07-20', '2025-08-20') ORDER BY s.seq) TO STDOUT" \
   >"$T/changes.ref"
cmp_changes=$(python3 - "$T/changes.txt" "$T/changes.ref" <<'PY'
import json, sys
msgs = [json.loads(l.split(" ", 1)[1])["body"] for l in open(sys.argv[1]) if l.startswith("score.updated ")]
ref = []
for l in open(sys.argv[2]):
    r = json.loads(l)
    for k in ("score", "old_score"):
        r[k] = None if r[k] is None else float(r[k])
    ref.append(r)
same = [list(m) for m in msgs] == [list(r) for r in ref] and msgs == ref   # members in order, values
print(len(msgs), sum(m["old_score"] is not None for m in msgs), "same" if same else "differ")
PY
)
echo "changes published by the refreshes (messages, with a previous score, verdict): $cmp_changes"
check "every change a refresh published is the stored snapshot and its previous score, in seq order ($cmp_changes)" \
    '[[ "$cmp_changes" == *" same" ]] && [ "${cmp_changes%% *}" -gt 100 ] && [ "$(echo "$cmp_changes" | cut -d" " -f2)" -gt 50 ]'

check "one result document per partner, as-of and rule set" \
    '[ "$(q "SELECT count(*) FROM (SELECT partner_id, as_of, rule_set FROM score_results GROUP BY 1, 2, 3 HAVING count(*) > 1) x")" = 0 ]'
# stored as text since sql/0022: each must still be one JSON object (a malformed one fails the cast)
check "every stored document and snapshot detail is one JSON object" \
    '[ "$(q "SELECT count(*) FILTER (WHERE json_typeof(document::json) <> '\''object'\'') || '\'' '\'' || count(*) FROM score_results")" = "0 $(q "SELECT count(*) FROM score_results")" ] &&
     [ "$(q "SELECT count(*) FILTER (WHERE json_typeof(detail::json) <> '\''object'\'') FROM score_snapshots")" = 0 ] &&
     [ "$(q "SELECT count(*) FROM score_snapshots")" -gt 0 ]'
out=$("$PCS" show ex2_data_ai --as-of 2025-07-10)
check "pcs show prints a scorecard" '[[ "$out" == *"Data & AI"* ]] && [[ "$out" == *"of 100"* ]] && [[ "$out" == *"Net customer adds"* ]] && [[ "$out" == *"stored result of that day"* ]]'
out=$("$PCS" history ex2_data_ai --as-of 2025-07-10 --json)
check "pcs history --json gives the stored month" '[[ "$out" == *"\"month\": \"2025-06\""* ]]'
out=$("$PCS" show nobody 2>&1); rc=$?
check "pcs show of an unknown partner says so" '[ $rc -eq 2 ] && [[ "$out" == *"no partner nobody"* ]]'

# ---- a replayed refresh writes nothing new --------------------------------------------------------------
seq0=$(q "SELECT max(seq) FROM score_snapshots")
"$PCS" refresh --as-of 2025-07-10 --wait >/dev/null 2>&1
check "a second refresh with the same facts rewrites no snapshot" '[ "$(q "SELECT max(seq) FROM score_snapshots")" = "$seq0" ]'
# A batch whose results are all new takes plain inserts for its snapshots, but only when none is
# stored for its partners and day: here every result row of the day is gone and the snapshots are
# not (an administrator's DELETE), so the refresh must upsert them, not fail on their key.
XD=${ASOF[ex1_infrastructure]}
snaps_x() { q "SELECT count(*), count(*) FILTER (WHERE selected), max(seq) FROM score_snapshots WHERE as_of = '$XD'"; }
before_x=$(snaps_x) results_x=$(q "SELECT count(*) FROM score_results WHERE as_of = '$XD'")
q "DELETE FROM score_results WHERE as_of = '$XD'" >/dev/null
out=$("$PCS" refresh --as-of "$XD" --wait --timeout 120 2>&1); rc=$?
check "results gone, snapshots kept: the refresh stores the results again and keeps every snapshot once" \
    '[ $rc -eq 0 ] && [[ "$out" == *"done:"* ]] && [ "$results_x" -gt 0 ] &&
     [ "$(q "SELECT count(*) FROM score_results WHERE as_of = '\''$XD'\''")" = "$results_x" ] &&
     [ "$(snaps_x)" = "$before_x" ] && ! grep -q "duplicate key" "$T/scorer.log"'

# A refresh slice copies a new batch straight into score_results and score_snapshots when nothing of
# its partners' day is stored (pcs_batch_insert). Another writer may store one of those results after
# that check: here an open transaction has inserted ex1's result of the day, and commits once the
# refresh's COPY waits on that key. The batch must then be written by upsert under its savepoint, in
# the same commit (no failed attempt, no warning), and the other writer's row, newer than the slice's
# facts, kept as it is.
q "DELETE FROM score_results WHERE as_of = '$XD'; DELETE FROM score_snapshots WHERE as_of = '$XD'" >/dev/null
mkfifo "$T/other.sql"
psql -qAt -d "$DB" <"$T/other.sql" >/dev/null 2>&1 & other=$!
exec 7>"$T/other.sql"
printf "BEGIN;\nINSERT INTO score_results (partner_id, rule_set, as_of, document, digest, trigger) VALUES ('ex1_infrastructure', 'pcs-2026', '%s', '{\"written\": \"by another writer\"}', 'other', 'test');\n" "$XD" >&7
wait_for "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE 'INSERT INTO score_results%'" 1 >/dev/null
warns0=$(grep -c "warn scorer refresh" "$T/scorer.log")
"$PCS" refresh --as-of "$XD" --wait --timeout 120 >"$T/refresh.out" 2>&1 & rp=$!
waited=$(wait_for "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted" 1 && echo yes)
echo "COMMIT;" >&7
exec 7>&-
wait $other
wait $rp; rc=$?
out=$(cat "$T/refresh.out")
check "a result stored by another writer during the COPY: the batch is upserted in the same commit, that row kept" \
    '[ "$waited" = yes ] && [ $rc -eq 0 ] && [[ "$out" == *"done:"* ]] &&
     [ "$(q "SELECT count(*) FROM score_results WHERE as_of = '\''$XD'\''")" = "$results_x" ] &&
     [ "$(q "SELECT document FROM score_results WHERE as_of = '\''$XD'\'' AND partner_id = '\''ex1_infrastructure'\'' AND rule_set = '\''pcs-2026'\''")" = "{\"written\": \"by another writer\"}" ] &&
     [ "$(q "SELECT count(*) FROM score_snapshots WHERE as_of = '\''$XD'\''")" = "${before_x%%|*}" ] &&
     grep -q "another writer stored a result of this day for a partner of the batch meanwhile; the batch is written by upsert" "$T/scorer.log" &&
     [ "$(grep -c "warn scorer refresh" "$T/scorer.log")" = "$warns0" ]'
q "DELETE FROM score_results WHERE as_of = '$XD' AND partner_id = 'ex1_infrastructure' AND rule_set = 'pcs-2026'" >/dev/null
"$PCS" refresh --as-of "$XD" --wait --timeout 120 >/dev/null 2>&1

# ---- a certification event: new snapshot and score.updated ----------------------------------------------
# SIGHUP with "today" moved to ex2's as-of date: the event rescoring then scores that date, where
# `pcs simulate` says the certification lifts data_ai from 72.13 to 76.13.
sed -i 's/^today = .*/today = 2025-07-10/' "$T/scorer.conf"
kill -HUP "$spid"
check "SIGHUP reloads the configuration and the rule sets" 'for _ in $(seq 1 50); do grep -q "reloaded (2 rule sets)" "$T/scorer.log" && break; sleep 0.1; done; grep -q "reloaded (2 rule sets)" "$T/scorer.log"'
sim=$("$PCS" simulate "$T/feeds/ex2_data_ai.json" --as-of 2025-07-10 --add-cert "new-person:Azure AI Engineer Associate:2025-07-01" --json |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(*[a["score"] for k in ("current","simulated") for a in d[k]["areas"] if a["area"]=="data_ai"])')
check "pcs simulate: the certification lifts data_ai 72.13 -> 76.13" '[ "$sim" = "72.13 76.13" ]'
"$PCS" watch "ipc://$T/pub" --sub --count 1 --timeout-ms 30000 >"$T/updated.txt" 2>&1 & watcher=$!
sleep 0.5
seq_before=$(q "SELECT seq FROM score_snapshots WHERE partner_id = 'ex2_data_ai' AND area = 'data_ai' AND as_of = '2025-07-10' AND rule_set = 'pcs-2026' AND selected")
printf '{"v":1,"type":"cert.earned","id":"late-cert-1","ts":"2025-07-10T09:00:00Z","body":{"partner_id":"ex2_data_ai","person_id":"new-person","certification":"Azure AI Engineer Associate","earned":"2025-07-01","expires":"2026-07-01"}}\n' >"$T/late.jsonl"
t0=$(date +%s%N)
"$PCS" send "$T/late.jsonl" --endpoint "ipc://$T/intake" >/dev/null
wait $watcher
t1=$(date +%s%N)
check "score.updated published for the partner after a certification event" \
    'grep -q "\"partner_id\":\"ex2_data_ai\"" "$T/updated.txt" && grep -q "\"area\":\"data_ai\"" "$T/updated.txt"'
check "score.updated carries the old and the new score (72.13 -> 76.13)" \
    'grep -q "\"old_score\":72.13" "$T/updated.txt" && grep -q "\"score\":76.13" "$T/updated.txt"'
check "the event rewrote the snapshot (new seq, trigger event)" \
    '[ "$(q "SELECT seq > $seq_before FROM score_snapshots WHERE partner_id = '\''ex2_data_ai'\'' AND area = '\''data_ai'\'' AND as_of = '\''2025-07-10'\'' AND rule_set = '\''pcs-2026'\'' AND selected")" = t ] &&
     [ "$(q "SELECT trigger FROM score_results WHERE partner_id = '\''ex2_data_ai'\'' AND as_of = '\''2025-07-10'\'' AND rule_set = '\''pcs-2026'\''")" = event ]'
echo "certification event -> score.updated: $(((t1 - t0) / 1000000)) ms (liveness only)"
check "pcs show gives the new score" \
    '[ "$("$PCS" show ex2_data_ai --as-of 2025-07-10 --json | python3 -c "import json,sys; print([a[\"score\"] for a in json.load(sys.stdin)[\"areas\"] if a[\"area\"]==\"data_ai\"][0])")" = 76.13 ]'
sed -i 's/^today = .*/today = 2026-11-20/' "$T/scorer.conf"
kill -HUP "$spid"

# ---- pcs rescore, status, malformed control requests ------------------------------------------------
out=$("$PCS" rescore ex3_security); rc=$?
check "pcs rescore queues the partner" '[ $rc -eq 0 ] && [[ "$out" == *"queued"* ]]'
check "the rescore is processed" 'wait_for "SELECT count(*) FROM outbox WHERE kind = '\''rescore'\'' AND processed_at IS NULL" 0'
printf 'not json\n{"cmd":"explode"}\n{"cmd":"refresh","as_of":"2026-02-30"}\n{"cmd":"rescore"}\n' >"$T/garbage.txt"
out=$("$PCS" send "$T/garbage.txt" --endpoint "ipc://$T/control" --retries 0 2>&1)
check "malformed control requests are refused one by one" '[[ "$out" == *"0 accepted, 4 not accepted"* ]]'
out=$("$PCS" scorer-status --json); rc=$?
check "the scorer still answers: pcs scorer-status" '[ $rc -eq 0 ] && [[ "$out" == *"\"worker\": \"one\""* ]] && [[ "$out" == *"\"outbox_pending\": 0"* ]]'

# ---- many partners, for the crash tests -----------------------------------------------------------------
N=1500
q "INSERT INTO partners (partner_id) SELECT 'bulk-' || lpad(i::text, 5, '0') FROM generate_series(1, $N) i;
   INSERT INTO customers SELECT 'bulk-' || lpad(i::text, 5, '0'), 'bt-' || i || '-' || k, 'bc-' || i || '-' || k, NULL,
          CASE WHEN k % 2 = 0 THEN 'smb' ELSE 'enterprise' END FROM generate_series(1, $N) i, generate_series(1, 4) k;
   INSERT INTO associations SELECT 'bulk-' || lpad(i::text, 5, '0'), 'bt-' || i || '-' || k, 'PAL', '*', date '2025-01-01', NULL
          FROM generate_series(1, $N) i, generate_series(1, 4) k;
   INSERT INTO usage_packed SELECT t, pcs_usage_pack(array_agg(w), array_agg(m), array_agg(a), array_agg(0::bigint), array_agg(0::bigint),
          array_agg(0::bigint)) FROM (SELECT 'bt-' || i || '-' || k AS t, 'azure/sql_database' AS w,
          (date '2024-06-01' + m * interval '1 month')::date AS m, ((100 + i + m * 10) * 100)::bigint AS a
          FROM generate_series(1, $N) i, generate_series(1, 4) k, generate_series(0, 17) m) x GROUP BY t;" >/dev/null
P=$(q "SELECT count(*) FROM partners")
# run_of AS_OF: the latest manual run of that date
run_of() { q "SELECT max(run_id) FROM refresh_runs WHERE as_of = '$1' AND kind = 'manual'"; }
progress_then() { # progress_then RUN: until some partners are committed while the run is open
    for _ in $(seq 1 3000); do
        [ "$(q "SELECT (SELECT sum(partners_done) FROM refresh_slices WHERE run_id = $1) > 0 AND finished_at IS NULL FROM refresh_runs WHERE run_id = $1")" = t ] && return 0
        sleep 0.01
    done
    return 1
}
complete() { # complete RUN AS_OF: finished, each partner counted once, one result per partner and rule set
    wait_for "SELECT finished_at IS NOT NULL FROM refresh_runs WHERE run_id = $1" t 1200 &&
        [ "$(q "SELECT sum(partners_done) FROM refresh_slices WHERE run_id = $1")" = "$P" ] &&
        [ "$(q "SELECT count(*) FROM score_results WHERE as_of = '$2'")" = "$((P * 2))" ] &&
        [ "$(q "SELECT count(*) FROM score_snapshots WHERE as_of = '$2' AND selected")" = "$((P * 12))" ]
}

# kill -9 in the middle of a refresh, then restart
"$PCS" refresh --as-of 2026-10-05 >/dev/null
R=$(run_of 2026-10-05)
check "kill -9: the refresh was in progress" 'progress_then $R'
kill -9 "$spid"; wait "$spid" 2>/dev/null
done_at_kill=$(q "SELECT sum(partners_done) FROM refresh_slices WHERE run_id = $R")
check "kill -9: part of the refresh was committed ($done_at_kill of $P)" '[ "$done_at_kill" -gt 0 ] && [ "$done_at_kill" -lt "$P" ]'
start_scorer
check "kill -9 then restart: the refresh completes, every partner once" 'complete $R 2026-10-05'
check "kill -9: the restarted scorer resumed a slice after its cursor" 'grep -q "resuming after" "$T/scorer.log"'

# PostgreSQL restarted in the middle of a refresh
if [ -n "${PCS_TEST_PGCTL:-}" ]; then
    "$PCS" refresh --as-of 2026-09-05 >/dev/null
    R=$(run_of 2026-09-05)
    check "PostgreSQL restart: the refresh was in progress" 'progress_then $R'
    "$PCS_TEST_PGCTL" stop -m fast -w >/dev/null 2>&1
    sleep 1
    "$PCS_TEST_PGCTL" start -w >/dev/null 2>&1
    check "PostgreSQL restart: the scorer reconnects and the refresh completes" 'complete $R 2026-09-05'
    check "PostgreSQL restart: the scorer logged the lost connection" 'grep -Eqi "connection|terminat|server closed" "$T/scorer.log"'
    kill -0 "$ipid" 2>/dev/null || start_ingest
else
    echo "SKIP: PostgreSQL restart (PCS_TEST_PGCTL not set: run through tests/run)"
    fail=$((fail + 1))
fi

# SIGTERM in the middle of a refresh: the scorer commits the partner in hand and exits 0
"$PCS" refresh --as-of 2026-08-05 >/dev/null
R=$(run_of 2026-08-05)
check "SIGTERM: the refresh was in progress" 'progress_then $R'
kill -TERM "$spid"
wait "$spid"; rc=$?
check "SIGTERM: the scorer exits 0" '[ $rc -eq 0 ]'
check "SIGTERM: it logged the drain" 'grep -q "finishing the partner in hand" "$T/scorer.log"'
start_scorer

# two scorers share a refresh
"$SCORER" --config "$T/scorer2.conf" 2>>"$T/scorer2.log" & spid2=$!
check "SIGTERM then restart: the refresh completes, every partner once" 'complete $R 2026-08-05'
"$PCS" refresh --as-of 2026-07-05 --endpoint "ipc://$T/control2" >/dev/null
R=$(run_of 2026-07-05)
check "two scorers: the refresh completes, every partner once" 'complete $R 2026-07-05'
workers=$(q "SELECT count(DISTINCT worker) FROM refresh_slices WHERE run_id = $R")
echo "two scorers: $workers worker(s) took slices of run $R"
check "two scorers: no key has two snapshots" \
    '[ "$(q "SELECT count(*) FROM (SELECT 1 FROM score_snapshots GROUP BY partner_id, area, track, as_of, rule_set HAVING count(*) > 1) x")" = 0 ]'
kill -0 "$spid" && kill -0 "$spid2"
check "both scorers still run" '[ $? -eq 0 ]'

finish
