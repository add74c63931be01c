/* pcs_merge_sql: the set-based merges from the temp `stage` table into the facts, shared by the
 * canonical feeds (pcs_load.c) and the Partner Center exports (pcs_pcexport.c), so a key or a
 * restatement rule (interfaces.md §3) is written once (usage: pcs_usageload.h). */
#ifndef PCS_MERGE_SQL_H
#define PCS_MERGE_SQL_H

#define PCS_SQL_ADD_PARTNERS \
    "INSERT INTO partners (partner_id) SELECT DISTINCT partner_id FROM stage ON CONFLICT DO NOTHING;"

/* customers: the last row of a key in the file wins */
#define PCS_SQL_MERGE_CUSTOMERS                                                                              \
    "INSERT INTO customers (partner_id, tenant_id, customer_id, customer_name, segment)"                     \
    " SELECT DISTINCT ON (partner_id, tenant_id) partner_id, tenant_id, customer_id, customer_name, segment"  \
    " FROM stage ORDER BY partner_id, tenant_id, line DESC"                                                   \
    " ON CONFLICT (partner_id, tenant_id) DO UPDATE SET customer_id = EXCLUDED.customer_id,"                  \
    " customer_name = EXCLUDED.customer_name, segment = EXCLUDED.segment"

/* usage is not merged here: a file's usage rows are packed per tenant in the client and merged
 * into usage_packed by pcs_usageload (pcs_usageload.h), for the feeds and the exports alike. */

/* Partner Center exports (interfaces.md §3.1): the attributions of the stage rows (columns
 * partner_id, tenant_id, workload, month, attribution; `where` selects the rows that carry one)
 * replace those stored for the same (partner, tenant, workload, month), then every association
 * derived from attribution months of the stage's partners is recomputed: each run of consecutive
 * months of (tenant, workload, type) is one association from the first day of its first month to
 * the last day of its last month, open when the run reaches the partner's latest attributed month.
 * A canonical association with the same key wins (it is left as it is). */
#define PCS_SQL_MERGE_ATTRIBUTION(where)                                                                    \
    "DELETE FROM attribution_months a USING (SELECT DISTINCT partner_id, tenant_id, workload, month"         \
    " FROM stage " where ") k WHERE a.partner_id = k.partner_id AND a.tenant_id = k.tenant_id"                \
    " AND a.workload = k.workload AND a.month = k.month;"                                                     \
    "INSERT INTO attribution_months (partner_id, tenant_id, workload, month, association_type)"              \
    " SELECT DISTINCT partner_id, tenant_id, workload, month, attribution FROM stage " where ";"              \
    "DELETE FROM associations WHERE derived AND partner_id IN (SELECT partner_id FROM stage);"                \
    "INSERT INTO associations (partner_id, tenant_id, association_type, workload, start_date, end_date, derived)" \
    " SELECT r.partner_id, r.tenant_id, r.association_type, r.workload, r.first,"                            \
    " CASE WHEN r.last = l.latest THEN NULL ELSE (r.last + interval '1 month' - interval '1 day')::date END, true" \
    " FROM (SELECT partner_id, tenant_id, association_type, workload, min(month) AS first, max(month) AS last"  \
    "  FROM (SELECT a.*, (extract(year FROM month) * 12 + extract(month FROM month))::int - row_number() OVER"  \
    "   (PARTITION BY partner_id, tenant_id, association_type, workload ORDER BY month) AS run"               \
    "   FROM attribution_months a WHERE partner_id IN (SELECT partner_id FROM stage)) x"                      \
    "  GROUP BY partner_id, tenant_id, association_type, workload, run) r"                                    \
    " JOIN (SELECT partner_id, max(month) AS latest FROM attribution_months"                                  \
    "  WHERE partner_id IN (SELECT partner_id FROM stage) GROUP BY partner_id) l USING (partner_id)"           \
    " ON CONFLICT (partner_id, tenant_id, association_type, workload, start_date) DO NOTHING"

/* A person without an explicit person.linked counts from the earliest certification loaded
 * (interfaces.md §3): the stage's persons (partner_id, person_id, start_date = earned) move their
 * implicit link earlier or get one. */
#define PCS_SQL_MERGE_IMPLICIT_LINKS                                                                        \
    "UPDATE person_links l SET linked = s.first FROM (SELECT partner_id, person_id, min(start_date) AS first" \
    " FROM stage GROUP BY partner_id, person_id) s WHERE l.partner_id = s.partner_id"                        \
    " AND l.person_id = s.person_id AND l.implicit_link AND l.linked > s.first;"                              \
    "INSERT INTO person_links (partner_id, person_id, linked, implicit_link)"                                 \
    " SELECT partner_id, person_id, min(start_date), true FROM stage s WHERE NOT EXISTS"                      \
    " (SELECT 1 FROM person_links l WHERE l.partner_id = s.partner_id AND l.person_id = s.person_id)"         \
    " GROUP BY partner_id, person_id"

#endif
