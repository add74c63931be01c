/* pcs_merge_sql: the set-based merges from the temp `stage` table into the facts, shared by the
 * canonical feeds (pcs_load.c) and the Partner Center exports (pcs_pcexport.c), so a key or a
 * restatement rule (interfaces.md §3) is written once. */
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

/* usage: Partner Center restates months, so a later load replaces; rows with one key in a file add
 * up. `where` restricts the stage rows ("" for all). */
#define PCS_SQL_MERGE_USAGE(where)                                                                          \
    "INSERT INTO usage (tenant_id, workload, month, acr_cents, revenue_cents, paid_units, active_units)"    \
    " SELECT tenant_id, workload, month, sum(acr_cents), sum(revenue_cents), sum(paid_units), sum(active_units)" \
    " FROM stage " where " GROUP BY tenant_id, workload, month"                                              \
    " ON CONFLICT (tenant_id, workload, month) DO UPDATE SET acr_cents = EXCLUDED.acr_cents,"                \
    " revenue_cents = EXCLUDED.revenue_cents, paid_units = EXCLUDED.paid_units,"                             \
    " active_units = EXCLUDED.active_units"

#endif
