/* pcs_pcexport: Partner Center Insights exports "as downloaded" (interfaces.md §3, §3.1).
 *
 * Four datasets are recognised by their header row, in the layout of the Insights download or of
 * the programmatic-access system query (column names ignore ASCII case, as pcs_csv_header_index),
 * and translated record by record into records that pcs_load validates, stages, merges and rejects
 * like any feed:
 *
 *   CustomersAndTenants  -> customers, plus usage and attribution when it carries Month, a product and
 *                           revenue, ACR or seats (one stage, one merge into the three tables)
 *   AzureUsage           -> usage and attribution per tenant x azure/<service> x month
 *   OfficeUsage          -> usage and attribution per tenant x m365 workload x month
 *   TrainingCompletions  -> certifications and implicit person links, as cert.earned events would
 *
 * The partner is the partner global account (PGAMpnId, PGAPartnerID, PGA_MPNID), else the location
 * ID (MPNId, PartnerID). Every usage row's attribution (PartnerAttributionType; AzureUsage:
 * AssociationType when given) becomes an attribution month through rules/pc_attribution.tsv, and
 * the merge derives the partner's associations from the runs of attributed months
 * (PCS_SQL_MERGE_ATTRIBUTION). Product, service and workload names become workload ids through
 * rules/pc_workloads.tsv; Azure service names not listed there become azure/<snake case of the
 * name>. An unknown name or attribution is a rejected row, never a guess. Rows of excluded offers
 * and duplicate rows are skipped and counted, not rejected. Both tables are read from
 * $PCS_RULES_DIR (else the rules/ folder of the source tree) when an export is recognised. */
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
    const char *merge_sql;      /* stage -> facts, several statements (usage columns: pcs_usageload) */
    const char *partners_sql;   /* the partners the merge affected */
} pcs_pcexport_stage_t;

/* Recognises an export from its header row (an OK record). rules_dir NULL means $PCS_RULES_DIR or
 * the default folder. Returns 0 with *out NULL when the header is none of the four exports, 0 with
 * *out set when it is one, PCS_EINVAL when it is one that cannot be loaded (a column it needs is
 * missing, or a table cannot be read or is malformed: err says which, with file:line), PCS_ENOMEM. */
int pcs_pcexport_detect(const pcs_csv_row_t *hdr, const char *rules_dir, pcs_pcexport_t **out, pcs_err_t *err);

/* Reads the whole export once before its rows are translated, to decide how its slash dates read
 * (interfaces.md §3.1): D/M/YYYY when more values allow only that reading than only M/D/YYYY, else
 * M/D/YYYY; a file where every slash date reads both ways is read M/D/YYYY with a warning in the
 * log. Reads the open file fd (taken over: closed; from its current offset) up to max_input bytes
 * (0: all; pcs_csv_limit_input), path only names it in the log. Returns 0, or the negative code of
 * pcs_csv_open_fd/pcs_csv_next with err filled. */
int pcs_pcexport_prescan(pcs_pcexport_t *x, const char *path, int fd, size_t max_record, unsigned long long max_input,
                         pcs_err_t *err);

/* The export's name as in Partner Center ("AzureUsage", ...). */
const char *pcs_pcexport_name(const pcs_pcexport_t *x);

/* The kind its rows become: PCS_FEED_CUSTOMERS, PCS_FEED_USAGE or PCS_FEED_CERTS (for the name of the
 * loaded file; the rows go to the export's own stage). */
pcs_feed_kind_t pcs_pcexport_kind(const pcs_pcexport_t *x);

/* Its own staging, or NULL when its rows are records of the canonical kind (CustomersAndTenants
 * without usage: then their fields come in the column order of interfaces.md §3). */
const pcs_pcexport_stage_t *pcs_pcexport_stage(const pcs_pcexport_t *x);

/* Translates one OK record of the export (as many fields as the header). Returns 1 when *out is
 * the translated record: one field per column of the stage, each with the line and column of the
 * export field it came from, and line, raw and raw_len of `in`; 0 when the row is skipped (and
 * counted); -1 when the row is rejected: out->err_line, out->err_col and out->reason say where and
 * why. What *out points to stays valid until the next call, and `in` must stay valid as long. */
int pcs_pcexport_row(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out);

/* Logs one line for a loaded file: the export recognised, the rows skipped by cause and the rows
 * attributed by association type (and a warning for certifications given a default expiry). */
void pcs_pcexport_log_summary(const pcs_pcexport_t *x, const char *file);

/* NULL-safe; clears *px. */
void pcs_pcexport_destroy(pcs_pcexport_t **px);

#endif
