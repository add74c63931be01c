#!/usr/bin/env bash
# The facts stream comes in the database's order of partner_id, the order the slice bounds and the
# resume cursor compare in, and pcs-scorer takes a partner as whole when the next one's first row
# arrives. Under a collation that is not byte order (ICU 'en': case and punctuation weigh less than
# letters), a refresh cut into small slices with a commit after every partner scores every partner
# once, and each slice's cursor ends on the slice's last partner in that collation (in byte order it
# would end elsewhere: a restart would then skip or redo partners).
# usage: collation.sh PATH/TO/pcs PATH/TO/pcs-scorer
set -u
PCS=$1
SCORER=$2
NAME=collation PIDS="spid"
DB_OPTS="LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C.UTF-8' TEMPLATE template0"
. "$(dirname "$0")/lib.sh"
export PCS_DB="dbname=$DB" PCS_SCORER="ipc://$T/control"

q "INSERT INTO partners (partner_id) SELECT unnest(ARRAY['a', 'A', 'a_b', 'a-c', 'aa-', 'ab', 'b', 'B', 'b.1', 'b1', 'B-2', 'c',
                                                         'C.x', 'c_1', 'c-0', 'D'])" >/dev/null
got=$(q "SELECT (SELECT string_agg(partner_id, ' ' ORDER BY partner_id) FROM partners) || ' | '
             || (SELECT string_agg(partner_id, ' ' ORDER BY partner_id COLLATE \"C\") FROM partners)")
check "the database orders the ids otherwise than their bytes ($got)" '[ "${got%% | *}" != "${got##* | }" ]'

{ scorer_endpoints; printf 'rule_sets = pcs-2026\nrefresh_day = 0\nslice_partners = 5\nbatch_partners = 1\n'; } >"$T/scorer.conf"
"$SCORER" --config "$T/scorer.conf" 2>>"$T/scorer.log" & spid=$!
out=$("$PCS" refresh --as-of 2026-11-20 --wait --timeout 120 2>&1); rc=$?
check "pcs refresh --wait ($out)" '[ $rc -eq 0 ] && [[ "$out" == *"done: 16 partners"* ]]'
got=$(q "SELECT count(*), count(DISTINCT partner_id) FROM score_results WHERE as_of = '2026-11-20'")
check "every partner scored once ($got)" '[ "$got" = "16|16" ]'
got=$(q "SELECT count(*) FROM refresh_slices")
check "the refresh was cut into 4 slices ($got)" '[ "$got" = 4 ]'
# each slice's cursor is its last partner in the database's order
got=$(q "SELECT count(*) FILTER (WHERE s.done_through IS DISTINCT FROM m.last) || ' of ' || count(*) || ': '
             || string_agg(s.slice || ':' || s.done_through || '/' || coalesce(m.last, '-'), ' ' ORDER BY s.slice)
           FROM refresh_slices s, LATERAL (SELECT max(partner_id) AS last FROM partners p
                                           WHERE (s.lo IS NULL OR p.partner_id >= s.lo) AND (s.hi IS NULL OR p.partner_id < s.hi)) m")
check "every slice's cursor ends on its last partner in the database's collation (differing: $got)" '[[ "$got" == "0 of 4: "* ]]'
got=$(q "SELECT string_agg(done_through, ' ' ORDER BY slice) FROM refresh_slices")
bytes=$(q "SELECT string_agg(last, ' ' ORDER BY slice) FROM (SELECT s.slice, (SELECT max(partner_id COLLATE \"C\") FROM partners p
           WHERE (s.lo IS NULL OR p.partner_id >= s.lo) AND (s.hi IS NULL OR p.partner_id < s.hi)) AS last FROM refresh_slices s) x")
check "in byte order the slices would end elsewhere ($got vs $bytes)" '[ "$got" != "$bytes" ]'
check "the scorer logged no error" '! grep -qiE "error|warn" "$T/scorer.log"'
finish
