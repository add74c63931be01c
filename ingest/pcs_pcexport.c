/* pcs_pcexport: Partner Center Insights exports as downloaded (interfaces.md §3).
 *
 * The column names are those of the public data definitions of the Insights download reports
 * ("Cloud product performance reports - Data definitions", partner-center/insights/
 * insights-data-definitions on learn.microsoft.com) and of the same datasets in the Insights
 * programmatic access (the system queries of CustomersAndTenants, AzureUsage, OfficeUsage and
 * TrainingCompletions). Where a later layout renamed a column, every name is accepted, the
 * current one first (see col_names). Columns not listed there are ignored.
 *
 * Which rows count (scoring.md §1.1 item 6):
 *   * Excluded offers. Only AzureUsage says what offer a row belongs to (AI_OfferType, a selectable
 *     column of the dataset); rows whose offer type is Support, Internal, Benefit Program(s), Trial
 *     or Free Trial are skipped and counted. The other exports carry no offer column, and their
 *     seat counts are paid units already.
 *   * Sovereign or isolated clouds. No export has a column that names the cloud: the Insights
 *     downloads are those of the commercial Partner Center (the sovereign clouds have Partner
 *     Centers of their own), so nothing is filtered and nothing is guessed from markets or names.
 *   * Duplicate attributions. A tenant's usage is one fact, but an export repeats it for every
 *     partner ID of the global account it is attributed to. IsACRDuplicateAtPGALevel (AzureUsage) and
 *     IsDuplicateRowForPGA (OfficeUsage, CustomersAndTenants) are 0 on exactly one of the repeats;
 *     rows where they are 1 add no usage (a CustomersAndTenants row still gives its customer).
 *
 * The partner is MPNId (PartnerID in some layouts), or the partner global account (PGAMpnID) where
 * a row has no partner ID. Months are YYYY-MM or a day YYYY-MM-DD, optionally with a time after
 * 'T' or a space; other layouts (5/1/2025) are rejected rather than read one way or the other. */
#include "pcs_pcexport.h"
#include "pcs_merge_sql.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "pcs_date.h"
#include "pcs_log.h"
#include "pcs_strmap.h"

/* ---- the columns read ------------------------------------------------------------------------------ */

typedef enum {
    C_TENANT, C_PARTNER, C_PGA, C_CUSTOMER_NAME, C_TENANT_NAME, C_TPID, C_SEGMENT, C_TOP_SEGMENT, C_STATUS,
    C_PRODUCT, C_RAW_PRODUCT, C_MONTH, C_REVENUE, C_ACR, C_SEATS, C_DUPLICATE, C_SERVICE_L2, C_SERVICE_NAME,
    C_OFFER_TYPE, C_WORKLOAD, C_PAID, C_ACTIVE, C_TITLE, C_TYPE, C_COMPLETED, C_EXPIRES, C_MCPID, C_CORP_EMAIL,
    C_EMAIL, C_AAD_USER, N_COLS
} col_t;

/* Every name a column has had in the exports, the current one first. */
static const char *const col_names[N_COLS][4] = {
    [C_TENANT] = {"CustomerTenantId"},
    [C_PARTNER] = {"MPNId", "PartnerID"},
    [C_PGA] = {"PGAMpnID", "PGAPartnerID", "PGA_MPNID"},
    [C_CUSTOMER_NAME] = {"CustomerName"},
    [C_TENANT_NAME] = {"CustomerTenantName"},
    [C_TPID] = {"CustomerTpid"},
    [C_SEGMENT] = {"CustomerSegment"},
    [C_TOP_SEGMENT] = {"TopSegment"},
    [C_STATUS] = {"CustomerStatus"},
    [C_PRODUCT] = {"Product"},
    [C_RAW_PRODUCT] = {"RawProductName"},
    [C_MONTH] = {"Month"},
    [C_REVENUE] = {"BilledRevenueUSD", "RevenueUSD"},
    [C_ACR] = {"ACR_USD", "TotalACR", "AzureConsumedRevenueUSD"},
    [C_SEATS] = {"AvailableSeats"},
    [C_DUPLICATE] = {"IsACRDuplicateAtPGALevel", "IsDuplicateRowForPGA"},
    [C_SERVICE_L2] = {"ServiceLevel2"},
    [C_SERVICE_NAME] = {"ServiceName"},
    [C_OFFER_TYPE] = {"AI_OfferType"},
    [C_WORKLOAD] = {"WorkloadName"},
    [C_PAID] = {"PaidAvailableUnits"},
    [C_ACTIVE] = {"MonthlyActiveUsers"},
    [C_TITLE] = {"TrainingTitle"},
    [C_TYPE] = {"TrainingType"},
    [C_COMPLETED] = {"TrainingCompletionDate"},
    [C_EXPIRES] = {"ExpirationDate"},
    [C_MCPID] = {"MCPID"},
    [C_CORP_EMAIL] = {"CorpEmail"},
    [C_EMAIL] = {"Email"},
    [C_AAD_USER] = {"AADUserId"},
};

typedef enum { X_CUSTOMERS, X_AZURE, X_OFFICE, X_TRAINING } export_t;

static const char *const export_names[] = {"CustomersAndTenants", "AzureUsage", "OfficeUsage", "TrainingCompletions"};

typedef enum { SKIP_OFFER, SKIP_DUPLICATE, SKIP_NO_WORKLOAD, SKIP_NOT_CERT, N_SKIPS } skip_t;

static const char *const skip_text[N_SKIPS] = {
    "of excluded offers (AI_OfferType)",
    "of duplicate attributions (IsACRDuplicateAtPGALevel/IsDuplicateRowForPGA = 1)",
    "without a pcs workload ('-' in pc_workloads.tsv)", "of trainings that are not certifications"};

/* ---- stages of their own ----------------------------------------------------------------------------- */

/* CustomersAndTenants with usage: a customer per row, and a usage row unless the workload is '-'. */
static const char *const customers_usage_cols[] = {"partner_id", "tenant_id", "customer_id", "customer_name",
                                                   "segment", "workload", "month", "acr_usd",
                                                   "revenue_usd", "paid_units", "active_units"};

static const pcs_pcexport_stage_t customers_usage_stage = {
    11, customers_usage_cols,
    "CREATE TEMP TABLE stage (line bigint, partner_id text, tenant_id text, customer_id text, customer_name text,"
    " segment text, workload text, month date, acr_cents bigint, revenue_cents bigint, paid_units bigint,"
    " active_units bigint) ON COMMIT DROP",
    /* the merges of the customers and usage feeds, usage restricted to rows with a workload */
    PCS_SQL_ADD_PARTNERS PCS_SQL_MERGE_CUSTOMERS ";" PCS_SQL_MERGE_USAGE("WHERE workload <> '-'"),
    "SELECT DISTINCT partner_id FROM stage"
    " UNION SELECT partner_id FROM associations WHERE tenant_id IN (SELECT tenant_id FROM stage WHERE workload <> '-')"
    " UNION SELECT partner_id FROM customers WHERE tenant_id IN (SELECT tenant_id FROM stage WHERE workload <> '-')"};

/* TrainingCompletions: certification records valid from start_date (earned) to end_date (expires). */
static const char *const certs_cols[] = {"partner_id", "person_id", "certification", "start_date", "end_date"};

static const pcs_pcexport_stage_t certs_stage = {
    5, certs_cols,
    "CREATE TEMP TABLE stage (line bigint, partner_id text, person_id text, certification text, start_date date,"
    " end_date date) ON COMMIT DROP",
    /* what cert.earned events do (interfaces.md §3): a person not seen before is linked from the
     * earliest certification of the file, a record is added or its expires replaced */
    PCS_SQL_ADD_PARTNERS
    "INSERT INTO person_links (partner_id, person_id, linked)"
    " SELECT partner_id, person_id, min(start_date) FROM stage s WHERE NOT EXISTS"
    " (SELECT 1 FROM person_links l WHERE l.partner_id = s.partner_id AND l.person_id = s.person_id)"
    " GROUP BY partner_id, person_id;"
    "INSERT INTO certifications (partner_id, person_id, certification, earned, expires)"
    " SELECT DISTINCT ON (partner_id, person_id, certification, start_date) partner_id, person_id, certification,"
    " start_date, end_date FROM stage ORDER BY partner_id, person_id, certification, start_date, line DESC"
    " ON CONFLICT (partner_id, person_id, certification, earned) DO UPDATE SET expires = EXCLUDED.expires",
    "SELECT DISTINCT partner_id FROM stage"};

/* ---- the export ------------------------------------------------------------------------------------------ */

#define MAX_OUT 11

struct pcs_pcexport {
    export_t type;
    bool usage;                        /* CustomersAndTenants that carries usage */
    int col[N_COLS];                   /* field index in the export, -1 when absent */
    const char *col_name[N_COLS];      /* the name the export gives it (static) */
    pcs_strmap_t *names;               /* table: lowercase name -> index into ids */
    char **ids;
    size_t n_ids, cap_ids;
    /* the translated record */
    const char *f[MAX_OUT];
    size_t len[MAX_OUT];
    long long cols[MAX_OUT], lines[MAX_OUT];
    char month[8], earned[11], expires[11], workload[256], person[256], why[300];
    long long skipped[N_SKIPS];
};

/* ---- small text helpers ------------------------------------------------------------------------------ */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether s (n bytes, spaces around ignored) starts with lit, ignoring ASCII case; whole: equals it. */
static bool imatch(const char *s, size_t n, const char *lit, bool whole)
{
    s = pcs_csv_trim(s, n, &n);
    size_t m = strlen(lit);
    if (n < m || (whole && n != m))
        return false;
    for (size_t i = 0; i < m; i++)
        if (lower(s[i]) != lower(lit[i]))
            return false;
    return true;
}

static bool any_of(const char *s, size_t n, const char *const *set, bool whole)
{
    for (; *set; set++)
        if (imatch(s, n, *set, whole))
            return true;
    return false;
}

/* ---- the mapping table (rules/pc_workloads.tsv) -------------------------------------------------------- */

/* "-" or family/slug with family azure, m365 or bizapps and a slug of [a-z0-9_] (scoring.md §10). */
static bool valid_id(const char *s, size_t n)
{
    if (n == 1 && s[0] == '-')
        return true;
    static const char *const families[] = {"azure/", "m365/", "bizapps/", NULL};
    for (const char *const *fam = families; *fam; fam++) {
        size_t k = strlen(*fam);
        if (n <= k || n > 200 || strncmp(s, *fam, k) != 0)
            continue;
        for (size_t i = k; i < n; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                return false;
        return true;
    }
    return false;
}

static int table_add(pcs_pcexport_t *x, const char *name, size_t nn, const char *id, size_t idn, const char *path,
                     int ln, pcs_err_t *err)
{
    if (nn == 0 || nn > 255)
        return pcs_err_set(err, PCS_EINVAL, ln, 0, "%s:%d: the name is empty or longer than 255 bytes", path, ln);
    if (!valid_id(id, idn))
        return pcs_err_set(err, PCS_EINVAL, ln, 0,
                           "%s:%d: '%.*s' is not a workload id (azure/..., m365/..., bizapps/... of a-z, 0-9, _; or -)",
                           path, ln, (int)(idn > 60 ? 60 : idn), id);
    if (x->n_ids == x->cap_ids) {
        size_t nc = x->cap_ids ? x->cap_ids * 2 : 128;
        char **nv = realloc(x->ids, nc * sizeof *nv);
        if (!nv)
            return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        x->ids = nv;
        x->cap_ids = nc;
    }
    char key[256];
    for (size_t i = 0; i < nn; i++)
        key[i] = lower(name[i]);
    if ((x->ids[x->n_ids] = strndup(id, idn)) == NULL)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    int32_t v = pcs_strmap_put(x->names, key, nn, (int32_t)x->n_ids, NULL);
    if (v != (int32_t)x->n_ids) {
        free(x->ids[x->n_ids]);
        return v < 0 ? pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory")
                     : pcs_err_set(err, PCS_EINVAL, ln, 0, "%s:%d: '%.*s' is listed twice", path, ln, (int)nn, name);
    }
    x->n_ids++;
    return 0;
}

/* Reads the table: '#' comments, blank lines, else a name and an id separated by one tab. */
static int table_load(pcs_pcexport_t *x, const char *path, pcs_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: cannot read the Partner Center name table: %s", path,
                           strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int ln = 0, rc = 0;
    if ((x->names = pcs_strmap_new()) == NULL)
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
        ln++;
        size_t n = (size_t)got, tn;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        const char *t = pcs_csv_trim(line, n, &tn);
        if (tn == 0 || t[0] == '#')
            continue;
        const char *tab = memchr(line, '\t', n);
        if (!tab || memchr(tab + 1, '\t', n - (size_t)(tab + 1 - line))) {
            rc = pcs_err_set(err, PCS_EINVAL, ln, 0, "%s:%d: expected a name and an id separated by one tab", path, ln);
            break;
        }
        size_t nn, idn;
        const char *name = pcs_csv_trim(line, (size_t)(tab - line), &nn);
        const char *id = pcs_csv_trim(tab + 1, n - (size_t)(tab + 1 - line), &idn);
        rc = table_add(x, name, nn, id, idn, path, ln, err);
    }
    if (rc == 0 && ferror(f))
        rc = pcs_err_set(err, PCS_EINVAL, ln, 0, "%s:%d: cannot read: %s", path, ln, strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

/* The id the table gives a name (spaces around and ASCII case ignored), or NULL. */
static const char *table_id(const pcs_pcexport_t *x, const char *s, size_t n)
{
    s = pcs_csv_trim(s, n, &n);
    if (!x->names || n == 0 || n > 255)
        return NULL;
    char key[256];
    for (size_t i = 0; i < n; i++)
        key[i] = lower(s[i]);
    int32_t v = pcs_strmap_get(x->names, key, n);
    return v < 0 ? NULL : x->ids[v];
}

/* azure/<snake case>: a-z and 0-9 kept (lowercased), every run of other bytes one '_', none at
 * either end. False when nothing is left or the id would pass 200 bytes. */
static bool azure_id(const char *s, size_t n, char out[256])
{
    size_t o = 6;
    memcpy(out, "azure/", o);
    bool gap = false;
    for (size_t i = 0; i < n; i++) {
        char c = lower(s[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            gap = true;
            continue;
        }
        if (o + 2 > 200)
            return false;
        if (gap && o > 6)
            out[o++] = '_';
        gap = false;
        out[o++] = c;
    }
    out[o] = '\0';
    return o > 6;
}

/* ---- recognising an export ------------------------------------------------------------------------------ */

static void default_rules_path(char *buf, size_t size)
{
    const char *dir = getenv("PCS_RULES_DIR");
    snprintf(buf, size, "%s/pc_workloads.tsv", dir && *dir ? dir : PCS_RULES_DIR);
}

/* The first column of a required set that the export lacks, or -1. */
static int missing(const int *col, const col_t *need, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (col[need[i]] < 0)
            return (int)need[i];
    return -1;
}

int pcs_pcexport_detect(const pcs_csv_row_t *hdr, const char *rules_path, pcs_pcexport_t **out, pcs_err_t *err)
{
    *out = NULL;
    int col[N_COLS];
    const char *name[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        col[c] = -1;
        name[c] = col_names[c][0];
        for (int k = 0; k < 4 && col_names[c][k] && col[c] < 0; k++)
            if ((col[c] = pcs_csv_header_index(hdr, col_names[c][k])) >= 0)
                name[c] = col_names[c][k];
    }
    export_t type;
    if (col[C_TITLE] >= 0 && col[C_COMPLETED] >= 0)
        type = X_TRAINING;
    else if (col[C_TENANT] >= 0 && (col[C_SERVICE_L2] >= 0 || col[C_SERVICE_NAME] >= 0) && col[C_ACR] >= 0)
        type = X_AZURE;
    else if (col[C_TENANT] >= 0 && col[C_WORKLOAD] >= 0 && (col[C_PAID] >= 0 || col[C_ACTIVE] >= 0))
        type = X_OFFICE;
    else if (col[C_TENANT] >= 0 && col[C_SEGMENT] >= 0 && col[C_STATUS] >= 0)
        type = X_CUSTOMERS;
    else
        return 0;

    static const col_t need_azure[] = {C_SERVICE_L2, C_MONTH}, need_office[] = {C_MONTH, C_PAID, C_ACTIVE};
    int lack = type == X_AZURE ? missing(col, need_azure, 2) : type == X_OFFICE ? missing(col, need_office, 3) : -1;
    if (lack >= 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "Partner Center %s export without a %s column%s", export_names[type],
                           col_names[lack][0],
                           lack == C_SERVICE_L2 ? " (the older layout with ServiceName only cannot be mapped)" : "");
    if (type != X_OFFICE && type != X_AZURE && col[C_PARTNER] < 0 && col[C_PGA] < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "Partner Center %s export without an MPNId, PartnerID or PGAMpnID"
                                                  " column", export_names[type]);
    if (type == X_TRAINING && col[C_MCPID] < 0 && col[C_CORP_EMAIL] < 0 && col[C_EMAIL] < 0 && col[C_AAD_USER] < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "Partner Center TrainingCompletions export without an MCPID,"
                                                  " CorpEmail, Email or AADUserId column");

    pcs_pcexport_t *x = calloc(1, sizeof *x);
    if (!x)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    x->type = type;
    memcpy(x->col, col, sizeof col);
    memcpy(x->col_name, name, sizeof name);
    x->usage = type == X_CUSTOMERS && col[C_MONTH] >= 0 && (col[C_RAW_PRODUCT] >= 0 || col[C_PRODUCT] >= 0) &&
               (col[C_REVENUE] >= 0 || col[C_ACR] >= 0 || col[C_SEATS] >= 0);
    if (type == X_AZURE || type == X_OFFICE || x->usage) {
        char path[1024];
        if (!rules_path) {
            default_rules_path(path, sizeof path);
            rules_path = path;
        }
        int rc = table_load(x, rules_path, err);
        if (rc < 0) {
            pcs_pcexport_destroy(&x);
            return rc;
        }
    }
    *out = x;
    return 0;
}

const char *pcs_pcexport_name(const pcs_pcexport_t *x)
{
    return export_names[x->type];
}

pcs_feed_kind_t pcs_pcexport_kind(const pcs_pcexport_t *x)
{
    return x->type == X_CUSTOMERS ? PCS_FEED_CUSTOMERS : x->type == X_TRAINING ? PCS_FEED_CERTS : PCS_FEED_USAGE;
}

const pcs_pcexport_stage_t *pcs_pcexport_stage(const pcs_pcexport_t *x)
{
    return x->type == X_TRAINING ? &certs_stage : x->usage ? &customers_usage_stage : NULL;
}

/* ---- translating a record ------------------------------------------------------------------------------ */

/* The value of column c ("" when the export has no such column). */
static const char *val(const pcs_pcexport_t *x, const pcs_csv_row_t *in, col_t c, size_t *n)
{
    if (x->col[c] < 0) {
        *n = 0;
        return "";
    }
    *n = in->lens[x->col[c]];
    return in->fields[x->col[c]];
}

static bool blank(const pcs_pcexport_t *x, const pcs_csv_row_t *in, col_t c)
{
    size_t n;
    const char *s = val(x, in, c, &n);
    pcs_csv_trim(s, n, &n);
    return n == 0;
}

/* Output field i is s, at the position of column c (the first column when the export lacks c). */
static void put(pcs_pcexport_t *x, int i, const pcs_csv_row_t *in, col_t c, const char *s, size_t n)
{
    int k = x->col[c] >= 0 ? x->col[c] : 0;
    x->f[i] = s;
    x->len[i] = n;
    x->cols[i] = in->cols[k];
    x->lines[i] = in->lines[k];
}

static void put_col(pcs_pcexport_t *x, int i, const pcs_csv_row_t *in, col_t c)
{
    size_t n;
    const char *s = val(x, in, c, &n);
    put(x, i, in, c, s, n);
}

static int reject(pcs_pcexport_t *x, const pcs_csv_row_t *in, col_t c, pcs_csv_row_t *out, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int reject(pcs_pcexport_t *x, const pcs_csv_row_t *in, col_t c, pcs_csv_row_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->why, sizeof x->why, fmt, ap);
    va_end(ap);
    int k = x->col[c] >= 0 ? x->col[c] : 0;
    out->err_line = in->lines[k];
    out->err_col = in->cols[k];
    out->reason = x->why;
    return -1;
}

static int reject_unknown(pcs_pcexport_t *x, const pcs_csv_row_t *in, col_t c, pcs_csv_row_t *out)
{
    size_t n;
    const char *s = val(x, in, c, &n);
    s = pcs_csv_trim(s, n, &n);
    return reject(x, in, c, out, "unknown product '%.*s' (add it to rules/pc_workloads.tsv)", (int)(n > 120 ? 120 : n),
                  s);
}

/* A day YYYY-MM-DD, optionally followed by a time after 'T' or a space, as YYYY-MM-DD. */
static bool norm_day(const char *s, size_t n, char out[11])
{
    int32_t d;
    s = pcs_csv_trim(s, n, &n);
    if (n < 10 || (n > 10 && s[10] != 'T' && s[10] != ' '))
        return false;
    memcpy(out, s, 10);
    out[10] = '\0';
    return pcs_day_parse(out, &d) == 0;
}

/* Output field i is the month of column Month (YYYY-MM, or a day as norm_day), or a rejection. */
static bool put_month(pcs_pcexport_t *x, int i, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    size_t n, tn;
    const char *s = val(x, in, C_MONTH, &n), *t = pcs_csv_trim(s, n, &tn);
    char day[11];
    int32_t m;
    bool ok = false;
    if (tn == 7) {
        memcpy(x->month, t, 7);
        x->month[7] = '\0';
        ok = pcs_month_parse(x->month, &m) == 0;
    } else if (norm_day(s, n, day)) {
        memcpy(x->month, day, 7);
        x->month[7] = '\0';
        ok = true;
    }
    if (!ok) {
        reject(x, in, C_MONTH, out, "%s: not a month YYYY-MM or day YYYY-MM-DD: '%.40s'", x->col_name[C_MONTH], s);
        return false;
    }
    put(x, i, in, C_MONTH, x->month, 7);
    return true;
}

static bool duplicate_row(const pcs_pcexport_t *x, const pcs_csv_row_t *in)
{
    static const char *const yes[] = {"1", "true", "yes", NULL};
    size_t n;
    const char *s = val(x, in, C_DUPLICATE, &n);
    return any_of(s, n, yes, true);
}

/* Output field 0 is the partner: MPNId (PartnerID), else the partner global account. */
static bool put_partner(pcs_pcexport_t *x, const pcs_csv_row_t *in)
{
    col_t c = blank(x, in, C_PARTNER) ? C_PGA : C_PARTNER;
    if (blank(x, in, c))
        return false;
    put_col(x, 0, in, c);
    return true;
}

/* smb or enterprise from a Partner Center segment name, NULL when it is none of those known. */
static const char *segment_of(const char *s, size_t n)
{
    static const char *const smb[] = {"smb", "sm&c", "sme&c", "smc", "small", "medium", "corporate", NULL};
    static const char *const enterprise[] = {"enterprise", "major", "strategic", NULL};
    return any_of(s, n, smb, false) ? "smb" : any_of(s, n, enterprise, false) ? "enterprise" : NULL;
}

static int customers_row(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    if (!put_partner(x, in))
        return reject(x, in, x->col[C_PARTNER] >= 0 ? C_PARTNER : C_PGA, out, "%s: empty",
                      x->col_name[x->col[C_PARTNER] >= 0 ? C_PARTNER : C_PGA]);
    put_col(x, 1, in, C_TENANT);
    put_col(x, 2, in, C_TPID);   /* the top parent groups a customer's tenants; empty: the tenant */
    put_col(x, 3, in, blank(x, in, C_CUSTOMER_NAME) ? C_TENANT_NAME : C_CUSTOMER_NAME);
    size_t n;
    const char *s = val(x, in, C_SEGMENT, &n), *seg = segment_of(s, n);
    col_t sc = C_SEGMENT;
    if (!seg && x->col[C_TOP_SEGMENT] >= 0) {
        size_t tn;
        const char *top = val(x, in, C_TOP_SEGMENT, &tn);
        if ((seg = segment_of(top, tn)) != NULL)
            sc = C_TOP_SEGMENT;
    }
    if (!seg)
        return reject(x, in, C_SEGMENT, out,
                      "CustomerSegment: unknown segment '%.60s' (SMB, SM&C, SME&C, Small, Medium, Corporate... are smb;"
                      " Major, Strategic, Enterprise... are enterprise)", s);
    put(x, 4, in, sc, seg, strlen(seg));
    if (!x->usage)
        return 5;

    col_t pc = blank(x, in, C_RAW_PRODUCT) ? C_PRODUCT : C_RAW_PRODUCT;
    const char *id = "-";
    if (duplicate_row(x, in)) {
        x->skipped[SKIP_DUPLICATE]++;
    } else if (blank(x, in, pc)) {
        return reject(x, in, x->col[C_RAW_PRODUCT] >= 0 ? C_RAW_PRODUCT : C_PRODUCT, out, "%s: empty",
                      x->col_name[x->col[C_RAW_PRODUCT] >= 0 ? C_RAW_PRODUCT : C_PRODUCT]);
    } else {
        s = val(x, in, pc, &n);
        if ((id = table_id(x, s, n)) == NULL)
            return reject_unknown(x, in, pc, out);
        if (strcmp(id, "-") == 0)
            x->skipped[SKIP_NO_WORKLOAD]++;
    }
    put(x, 5, in, pc, id, strlen(id));
    if (!put_month(x, 6, in, out))
        return -1;
    put_col(x, 7, in, C_ACR);
    put_col(x, 8, in, C_REVENUE);
    put_col(x, 9, in, C_SEATS);
    put(x, 10, in, C_TENANT, "", 0);   /* no active units in this export */
    return 11;
}

static int azure_row(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    static const char *const excluded[] = {"Support", "Internal", "Benefit Program", "Benefit Programs", "Trial",
                                           "Free Trial", NULL};
    size_t n;
    const char *s = val(x, in, C_OFFER_TYPE, &n);
    if (any_of(s, n, excluded, true)) {
        x->skipped[SKIP_OFFER]++;
        return 0;
    }
    if (duplicate_row(x, in)) {
        x->skipped[SKIP_DUPLICATE]++;
        return 0;
    }
    s = val(x, in, C_SERVICE_L2, &n);
    const char *id = table_id(x, s, n);
    if (id && strcmp(id, "-") == 0) {
        x->skipped[SKIP_NO_WORKLOAD]++;
        return 0;
    }
    if (blank(x, in, C_SERVICE_L2))
        return reject(x, in, C_SERVICE_L2, out, "ServiceLevel2: empty");
    if (!id && !azure_id(s, n, x->workload))
        return reject(x, in, C_SERVICE_L2, out, "ServiceLevel2: no azure workload id can be made of '%.60s'", s);
    put_col(x, 0, in, C_TENANT);
    put(x, 1, in, C_SERVICE_L2, id ? id : x->workload, strlen(id ? id : x->workload));
    if (!put_month(x, 2, in, out))
        return -1;
    put_col(x, 3, in, C_ACR);
    for (int i = 4; i < 7; i++)
        put(x, i, in, C_ACR, "", 0);
    return 7;
}

static int office_row(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    if (duplicate_row(x, in)) {
        x->skipped[SKIP_DUPLICATE]++;
        return 0;
    }
    if (blank(x, in, C_WORKLOAD))
        return reject(x, in, C_WORKLOAD, out, "WorkloadName: empty");
    size_t n;
    const char *s = val(x, in, C_WORKLOAD, &n), *id = table_id(x, s, n);
    if (!id)
        return reject_unknown(x, in, C_WORKLOAD, out);
    if (strcmp(id, "-") == 0) {
        x->skipped[SKIP_NO_WORKLOAD]++;
        return 0;
    }
    put_col(x, 0, in, C_TENANT);
    put(x, 1, in, C_WORKLOAD, id, strlen(id));
    if (!put_month(x, 2, in, out))
        return -1;
    put(x, 3, in, C_PAID, "", 0);
    put(x, 4, in, C_PAID, "", 0);
    put_col(x, 5, in, C_PAID);
    put_col(x, 6, in, C_ACTIVE);
    return 7;
}

/* Output field 1 is the person: MCPID, else the work email, else the email (both lowercased, so one
 * address is one person), else the Entra user id of older layouts. */
static bool put_person(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out, int *rc)
{
    static const col_t order[] = {C_MCPID, C_CORP_EMAIL, C_EMAIL, C_AAD_USER};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        size_t n;
        const char *s = val(x, in, order[i], &n);
        s = pcs_csv_trim(s, n, &n);
        if (n == 0)
            continue;
        if (order[i] == C_CORP_EMAIL || order[i] == C_EMAIL) {
            if (n > 200) {
                *rc = reject(x, in, order[i], out, "%s: longer than 200 bytes", x->col_name[order[i]]);
                return false;
            }
            for (size_t k = 0; k < n; k++)
                x->person[k] = lower(s[k]);
            x->person[n] = '\0';
            s = x->person;
        }
        put(x, 1, in, order[i], s, n);
        return true;
    }
    *rc = reject(x, in, C_MCPID, out, "no person: MCPID, CorpEmail and Email are empty");
    return false;
}

static int training_row(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    size_t n;
    const char *s = val(x, in, C_TYPE, &n);
    if (x->col[C_TYPE] >= 0 && !imatch(s, n, "certification", false)) {
        x->skipped[SKIP_NOT_CERT]++;   /* exams and courses: not certifications */
        return 0;
    }
    int rc = -1;
    if (!put_partner(x, in))
        return reject(x, in, x->col[C_PARTNER] >= 0 ? C_PARTNER : C_PGA, out, "%s: empty",
                      x->col_name[x->col[C_PARTNER] >= 0 ? C_PARTNER : C_PGA]);
    if (!put_person(x, in, out, &rc))
        return rc;
    if (blank(x, in, C_TITLE))
        return reject(x, in, C_TITLE, out, "TrainingTitle: empty");
    put_col(x, 2, in, C_TITLE);
    s = val(x, in, C_COMPLETED, &n);
    if (!norm_day(s, n, x->earned))
        return reject(x, in, C_COMPLETED, out, "TrainingCompletionDate: not a date YYYY-MM-DD: '%.40s'", s);
    put(x, 3, in, C_COMPLETED, x->earned, 10);
    s = val(x, in, C_EXPIRES, &n);
    if (blank(x, in, C_EXPIRES))
        put(x, 4, in, C_EXPIRES, "", 0);
    else if (norm_day(s, n, x->expires))
        put(x, 4, in, C_EXPIRES, x->expires, 10);
    else
        return reject(x, in, C_EXPIRES, out, "ExpirationDate: not a date YYYY-MM-DD: '%.40s'", s);
    return 5;
}

int pcs_pcexport_row(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    memset(out, 0, sizeof *out);
    int n = x->type == X_CUSTOMERS ? customers_row(x, in, out)
            : x->type == X_AZURE   ? azure_row(x, in, out)
            : x->type == X_OFFICE  ? office_row(x, in, out)
                                   : training_row(x, in, out);
    if (n <= 0)
        return n;
    out->n_fields = n;
    out->fields = x->f;
    out->lens = x->len;
    out->cols = x->cols;
    out->lines = x->lines;
    out->line = in->line;
    out->raw = in->raw;
    out->raw_len = in->raw_len;
    out->status = PCS_CSV_OK;
    out->reason = "";
    return 1;
}

void pcs_pcexport_log_summary(const pcs_pcexport_t *x, const char *file)
{
    static const char *const kinds[] = {"customers and usage", "usage", "usage", "certifications"};
    char buf[512] = "";
    size_t o = 0;
    for (int i = 0; i < N_SKIPS && o < sizeof buf; i++)
        if (x->skipped[i])
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%lld %s", o ? ", " : "", x->skipped[i], skip_text[i]);
    pcs_log(PCS_LOG_INFO, "ingest", "pcexport", "%s: Partner Center %s export, loaded as %s; %s %s", file,
            export_names[x->type], x->type == X_CUSTOMERS && !x->usage ? "customers" : kinds[x->type],
            x->type == X_CUSTOMERS ? "usage not taken from rows:" : "rows skipped:", o ? buf : "none");
}

void pcs_pcexport_destroy(pcs_pcexport_t **px)
{
    if (!px || !*px)
        return;
    pcs_pcexport_t *x = *px;
    for (size_t i = 0; i < x->n_ids; i++)
        free(x->ids[i]);
    free(x->ids);
    pcs_strmap_destroy(&x->names);
    free(x);
    *px = NULL;
}
