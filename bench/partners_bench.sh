#!/usr/bin/env bash
# partners_bench.sh: the fleet view (`pcs partners`, one query of the read model) over N partners
# with three stored refreshes each (six areas, two tracks), a few alerts and enrollments, against the
# plain read of the same rows it summarises (the baseline: SELECT of the latest selected snapshots).
# usage: bench/partners_bench.sh PATH/TO/pcs [PARTNERS]     (default 10000)
set -euo pipefail
PCS=$1
N=${2:-10000}
NAME=partners PIDS="" PORT_OWN=54397
. "$(dirname "$0")/lib.sh"
q "INSERT INTO partners (partner_id) SELECT 'p' || lpad(i::text, 6, '0') FROM generate_series(1, $N) i"
q "INSERT INTO score_results (partner_id, rule_set, as_of, document, digest, trigger)
   SELECT partner_id, 'pcs-2026', d, '{}'::json, 'x', 'bench' FROM partners,
   unnest(ARRAY['2026-09-20', '2026-10-20', '2026-11-20']::date[]) d"
q "INSERT INTO score_snapshots (partner_id, area, track, as_of, rule_set, total, qualified, selected, status, detail, digest)
   SELECT p.partner_id, a, t, d, 'pcs-2026', (hashtext(p.partner_id || a) & 100), (hashtext(p.partner_id || a) & 100) >= 70,
          t = 'enterprise', CASE WHEN (hashtext(p.partner_id || a) & 100) >= 70 THEN 'qualified' ELSE 'in_progress' END, '{}', 'x'
     FROM partners p,
          unnest(ARRAY['data_ai','infrastructure','digital_app_innovation','business_applications','modern_work','security']) a,
          unnest(ARRAY['enterprise','smb']) t,
          unnest(ARRAY['2026-09-20', '2026-10-20', '2026-11-20']::date[]) d"
q "INSERT INTO enrollments (partner_id, area, enrolled_date, anniversary_date)
   SELECT partner_id, 'security', '2025-12-15', '2026-12-15' FROM partners WHERE hashtext(partner_id) % 4 = 0"
q "INSERT INTO alerts (dedup_key, partner_id, area, event, severity, as_of, rule_set, payload)
   SELECT partner_id || ':k' || k, partner_id, 'data_ai', 'near_threshold',
          (ARRAY['info','warning','critical'])[1 + (hashtext(partner_id) & 1) + k % 2], '2026-11-20', 'pcs-2026', '{}'
     FROM partners, generate_series(1, 2) k WHERE hashtext(partner_id) % 3 = 0"
q "ANALYZE"
export PCS_DB="dbname=$DB"
best() { # best N CMD...: the fastest of N runs, in seconds
    local n=$1 b=999999 t0 t1 s
    shift
    for _ in $(seq 1 "$n"); do
        t0=$(now); "$@" >/dev/null; t1=$(now)
        s=$(secs "$t0" "$t1")
        b=$(echo "if ($s < $b) $s else $b" | bc -l)
    done
    echo "$b"
}
base=$(best 3 psql -qAt -d "$DB" -c "SELECT DISTINCT ON (partner_id, area) partner_id, area, total, status FROM score_snapshots
                                      WHERE rule_set = 'pcs-2026' AND selected AND as_of <= '2026-11-20'
                                      ORDER BY partner_id, area, as_of DESC")
json=$(best 3 "$PCS" partners --as-of 2026-11-20 --json)
table=$(best 3 "$PCS" partners --as-of 2026-11-20)
rows=$("$PCS" partners --as-of 2026-11-20 --csv | tail -n +2 | wc -l)
printf 'partners: %d partners listed\n' "$rows"
printf 'baseline (psql, latest selected snapshots): %.3f s\n' "$base"
printf 'pcs partners --json: %.3f s (%.2fx baseline)\n' "$json" "$(echo "$json / $base" | bc -l)"
printf 'pcs partners (table): %.3f s (%.2fx baseline)\n' "$table" "$(echo "$table / $base" | bc -l)"
