/* pcs_pcexport: Partner Center Insights exports "as downloaded" (interfaces.md §3).
 *
 * Four downloads of the Insights hub are recognised by their header row (column names ignore
 * ASCII case, as pcs_csv_header_index) and translated record by record into the records of a
 * canonical kind, which pcs_load then validates, stages, merges and rejects like any feed:
 *
 *   CustomersAndTenants  -> customers, plus usage when it carries Month, a product and revenue,
 *                           ACR or seats (one stage, one merge into both tables)
 *   AzureUsage           -> usage: ACR per tenant x azure/<Service Level 2> x month
 *   OfficeUsage          -> usage: paid and active units per tenant x m365 workload x month
 *   TrainingCompletions  -> certifications and person_links, as cert.earned events would
 *
 * Product, service and workload names become workload ids through rules/pc_workloads.tsv
 * ($PCS_RULES_DIR/pc_workloads.tsv when set), read when an export is recognised; Azure Service
 * Level 2 names not listed there become azure/<snake case of the name>. A name that is neither is
 * a rejected row, never a guess. Rows of excluded offers and duplicate attribution rows are
 * skipped and counted, not rejected. The columns read, the rules and their sources are listed in
 * pcs_pcexport.c. */
#ifndef PCS_PCEXPORT_H
#define PCS_PCEXPORT_H

#include "pcs_csv.h"
#include "pcs_err.h"
#include "pcs_load.h"

typedef struct pcs_pcexport pcs_pcexport_t;

/* The staging of an export that has no canonical stage of its own kind: the columns after `line`
 * (named so that pcs_load validates them as it validates the canonical columns of the same names)
 * and its SQL. Everything points to static storage. */
typedef struct pcs_pcexport_stage {
    int n_cols;
    const char *const *cols;
    const char *stage_sql;      /* CREATE TEMP TABLE stage (line bigint, ...) ON COMMIT DROP */
    const char *merge_sql;      /* stage -> facts, several statements */
    const char *partners_sql;   /* the partners the merge affected */
} pcs_pcexport_stage_t;

/* Recognises an export from its header row (an OK record). rules_path NULL means the default
 * table. Returns 0 with *out NULL when the header is none of the four exports, 0 with *out set
 * when it is one, PCS_EINVAL when it is one that cannot be loaded (a column it needs is missing, or
 * the table cannot be read or is malformed: err says which, with file:line), PCS_ENOMEM. */
int pcs_pcexport_detect(const pcs_csv_row_t *hdr, const char *rules_path, pcs_pcexport_t **out, pcs_err_t *err);

/* The export's name as in Partner Center ("AzureUsage", ...). */
const char *pcs_pcexport_name(const pcs_pcexport_t *x);

/* The kind its rows become: PCS_FEED_CUSTOMERS, PCS_FEED_USAGE or PCS_FEED_CERTS. */
pcs_feed_kind_t pcs_pcexport_kind(const pcs_pcexport_t *x);

/* Its own staging, or NULL when its rows are records of the canonical kind (then their fields
 * come in the column order of interfaces.md §3). */
const pcs_pcexport_stage_t *pcs_pcexport_stage(const pcs_pcexport_t *x);

/* Translates one OK record of the export (as many fields as the header). Returns 1 when *out is
 * the translated record: one field per column of the stage, each with the line and column of the
 * export field it came from, and line, raw and raw_len of `in`; 0 when the row is skipped (and
 * counted); -1 when the row is rejected: out->err_line, out->err_col and out->reason say where and
 * why. What *out points to stays valid until the next call, and `in` must stay valid as long. */
int pcs_pcexport_row(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out);

/* Logs one line for a loaded file: the export recognised and the rows skipped, by cause. */
void pcs_pcexport_log_summary(const pcs_pcexport_t *x, const char *file);

/* NULL-safe; clears *px. */
void pcs_pcexport_destroy(pcs_pcexport_t **px);

#endif
