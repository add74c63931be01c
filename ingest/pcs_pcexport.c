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
 *     rows where they are 1 add no usage and no attribution (a CustomersAndTenants row still gives
 *     its customer).
 *
 * The partner is the partner global account (PGAMpnId, PGAPartnerID, PGA_MPNID), else the location
 * ID (MPNId, PartnerID) of a row without one: locations roll up (interfaces.md §3.1).
 *
 * The layouts. The Insights download's columns are those of the public data definitions; the
 * programmatic-access system queries name some differently (PGAPartnerID/PGA_MPNID and PartnerID,
 * ServiceName/MeterCategory and TotalACR or MonthlySubscriptionLevelACR in AzureUsage, no
 * AI_OfferType or AssociationType there, no ExpirationDate in TrainingCompletions). Where the public
 * pages did not settle a name (OfficeUsage Workload/PaidUnits/ActiveUsers, TrainingCompletions
 * CompletionDate), the likely ones are accepted as well; an unknown header is a failed file whose
 * .err shows it, so a new name is one line in col_names.
 *
 * Dates are YYYY-MM-DD (optionally with a time after 'T' or a space), YYYY-MM for months, or slash
 * dates as a spreadsheet re-saves them: M/D/YYYY (Partner Center's US format) unless the file's own
 * values show D/M/YYYY (pcs_pcexport_prescan). */
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
#include "pcs_vocab.h"
#include "pcs_log.h"
#include "pcs_strmap.h"

/* ---- the columns read ------------------------------------------------------------------------------ */

typedef enum {
    C_TENANT, C_PARTNER, C_PGA, C_CUSTOMER_NAME, C_TENANT_NAME, C_TPID, C_SEGMENT, C_TOP_SEGMENT, C_STATUS,
    C_PRODUCT, C_RAW_PRODUCT, C_MONTH, C_REVENUE, C_ACR, C_SEATS, C_DUPLICATE, C_SERVICE_L2, C_SERVICE_NAME,
    C_METER_CATEGORY, C_OFFER_TYPE, C_WORKLOAD, C_PAID, C_ACTIVE, C_TITLE, C_TYPE, C_COMPLETED, C_EXPIRES, C_MCPID,
    C_CORP_EMAIL, C_EMAIL, C_AAD_USER, C_ATTRIBUTION, C_ASSOCIATION_TYPE, N_COLS
} col_t;

#define MAX_NAMES 6

/* Every name a column has in the exports: the Insights download first, then the names of the
 * programmatic-access system queries and of older layouts. */
static const char *const col_names[N_COLS][MAX_NAMES] = {
    [C_TENANT] = {"CustomerTenantId", "TenantId"},
    [C_PARTNER] = {"MPNId", "PartnerID", "PartnerLocationId"},
    [C_PGA] = {"PGAMpnID", "PGAPartnerID", "PGA_MPNID", "PGA_PartnerID"},
    [C_CUSTOMER_NAME] = {"CustomerName"},
    [C_TENANT_NAME] = {"CustomerTenantName"},
    [C_TPID] = {"CustomerTpid"},
    [C_SEGMENT] = {"CustomerSegment"},
    [C_TOP_SEGMENT] = {"TopSegment"},
    [C_STATUS] = {"CustomerStatus"},
    [C_PRODUCT] = {"Product"},
    [C_RAW_PRODUCT] = {"RawProductName"},
    [C_MONTH] = {"Month", "UsageMonth"},
    [C_REVENUE] = {"BilledRevenueUSD", "RevenueUSD", "BilledRevenue"},
    [C_ACR] = {"ACR_USD", "TotalACR", "MonthlySubscriptionLevelACR", "AzureConsumedRevenueUSD"},
    [C_SEATS] = {"AvailableSeats"},
    [C_DUPLICATE] = {"IsACRDuplicateAtPGALevel", "IsDuplicateRowForPGA"},
    [C_SERVICE_L2] = {"ServiceLevel2"},
    [C_SERVICE_NAME] = {"ServiceName"},
    [C_METER_CATEGORY] = {"MeterCategory"},
    [C_OFFER_TYPE] = {"AI_OfferType"},
    [C_WORKLOAD] = {"WorkloadName", "Workload"},
    [C_PAID] = {"PaidAvailableUnits", "PaidUnits"},
    [C_ACTIVE] = {"MonthlyActiveUsers", "ActiveUsers"},
    [C_TITLE] = {"TrainingTitle"},
    [C_TYPE] = {"TrainingType"},
    [C_COMPLETED] = {"TrainingCompletionDate", "CompletionDate"},
    [C_EXPIRES] = {"ExpirationDate"},
    [C_MCPID] = {"MCPID"},
    [C_CORP_EMAIL] = {"CorpEmail"},
    [C_EMAIL] = {"Email"},
    [C_AAD_USER] = {"AADUserId"},
    [C_ATTRIBUTION] = {"PartnerAttributionType"},
    [C_ASSOCIATION_TYPE] = {"AssociationType"},
};

typedef enum { X_CUSTOMERS, X_AZURE, X_OFFICE, X_TRAINING } export_t;

static const char *const export_names[] = {"CustomersAndTenants", "AzureUsage", "OfficeUsage", "TrainingCompletions"};

typedef enum { SKIP_OFFER, SKIP_DUPLICATE, SKIP_NO_WORKLOAD, SKIP_NOT_CERT, N_SKIPS } skip_t;

static const char *const skip_text[N_SKIPS] = {
    "of excluded offers (AI_OfferType)",
    "of duplicate attributions (IsACRDuplicateAtPGALevel/IsDuplicateRowForPGA = 1)",
    "without a pcs workload ('-' in pc_workloads.tsv)", "of trainings that are not certifications"};

/* The association types (pcs_vocab.h; pc_attribution.tsv maps to these). */

/* ---- stages of their own ----------------------------------------------------------------------------- */

/* CustomersAndTenants with usage: a customer per row, and a usage row and its attribution unless the
 * workload is '-'. */
static const char *const customers_usage_cols[] = {"partner_id", "tenant_id", "customer_id", "customer_name",
                                                   "segment", "workload", "month", "acr_usd",
                                                   "revenue_usd", "paid_units", "active_units", "attribution"};

static const pcs_pcexport_stage_t customers_usage_stage = {
    12, customers_usage_cols,
    "CREATE TEMP TABLE stage (line bigint, partner_id text, tenant_id text, customer_id text, customer_name text,"
    " segment text, workload text, month date, acr_cents bigint, revenue_cents bigint, paid_units bigint,"
    " active_units bigint, attribution text) ON COMMIT DROP",
    /* the merge of the customers feed, then the attributions of the rows with a workload and the
     * associations they give; the usage of those rows is merged by pcs_usageload (pcs_load.c) */
    PCS_SQL_ADD_PARTNERS PCS_SQL_MERGE_CUSTOMERS ";" PCS_SQL_MERGE_ATTRIBUTION("WHERE workload <> '-'"),
    "SELECT DISTINCT partner_id FROM stage"
    " UNION SELECT partner_id FROM associations WHERE tenant_id IN (SELECT tenant_id FROM stage WHERE workload <> '-')"
    " UNION SELECT partner_id FROM customers WHERE tenant_id IN (SELECT tenant_id FROM stage WHERE workload <> '-')"};

/* AzureUsage and OfficeUsage: a usage row (merged by pcs_usageload) and its attribution per row. */
static const char *const usage_cols[] = {"partner_id", "tenant_id", "workload", "month", "acr_usd",
                                         "revenue_usd", "paid_units", "active_units", "attribution"};

static const pcs_pcexport_stage_t usage_stage = {
    9, usage_cols,
    "CREATE TEMP TABLE stage (line bigint, partner_id text, tenant_id text, workload text, month date,"
    " acr_cents bigint, revenue_cents bigint, paid_units bigint, active_units bigint, attribution text)"
    " ON COMMIT DROP",
    PCS_SQL_ADD_PARTNERS PCS_SQL_MERGE_ATTRIBUTION("WHERE true"),
    "SELECT DISTINCT partner_id FROM stage"
    " UNION SELECT partner_id FROM associations WHERE tenant_id IN (SELECT tenant_id FROM stage)"
    " UNION SELECT partner_id FROM customers WHERE tenant_id IN (SELECT tenant_id FROM stage)"};

/* TrainingCompletions: certification records valid from start_date (earned) to end_date (expires). */
static const char *const certs_cols[] = {"partner_id", "person_id", "certification", "start_date", "end_date"};

static const pcs_pcexport_stage_t certs_stage = {
    5, certs_cols,
    "CREATE TEMP TABLE stage (line bigint, partner_id text, person_id text, certification text, start_date date,"
    " end_date date) ON COMMIT DROP",
    /* what cert.earned events do (interfaces.md §3): a person counts from their earliest certification
     * in anything loaded; a record is added or its expires replaced */
    PCS_SQL_ADD_PARTNERS PCS_SQL_MERGE_IMPLICIT_LINKS ";"
    "INSERT INTO certifications (partner_id, person_id, certification, earned, expires)"
    " SELECT DISTINCT ON (partner_id, person_id, certification, start_date) partner_id, person_id, certification,"
    " start_date, end_date FROM stage ORDER BY partner_id, person_id, certification, start_date, line DESC"
    " ON CONFLICT (partner_id, person_id, certification, earned) DO UPDATE SET expires = EXCLUDED.expires",
    "SELECT DISTINCT partner_id FROM stage"};

/* ---- the export ------------------------------------------------------------------------------------------ */

#define MAX_OUT 12

/* A name table of rules/: lowercase name -> index into ids. */
typedef struct name_table {
    pcs_strmap_t *names;
    char **ids;
    size_t n_ids, cap_ids;
} name_table_t;

/* How the file writes its slash dates (decided by pcs_pcexport_prescan). */
typedef enum { DATES_MDY, DATES_DMY } date_order_t;

struct pcs_pcexport {
    export_t type;
    bool usage;                        /* a usage-bearing export (AzureUsage, OfficeUsage, CustomersAndTenants
                                          with Month, a product and a measure) */
    int col[N_COLS];                   /* field index in the export, -1 when absent */
    const char *col_name[N_COLS];      /* the name the export gives it (static) */
    name_table_t workloads;            /* pc_workloads.tsv */
    name_table_t attributions;         /* pc_attribution.tsv */
    date_order_t dates;
    bool dates_ambiguous;
    bool decimal_comma;                /* a ';' file: "1200,50" is 1200.50 (a spreadsheet's European locale) */
    char num[3][64];                   /* measures rewritten with a decimal point */              /* slash dates where both readings are possible: read as M/D/YYYY */
    /* the translated record */
    const char *f[MAX_OUT];
    size_t len[MAX_OUT];
    long long cols[MAX_OUT], lines[MAX_OUT];
    char month[8], earned[11], expires[11], workload[256], person[256], why[300];
    long long skipped[N_SKIPS];
    long long attributed[PCS_AT_N];     /* usage rows loaded per association type */
    long long expiry_year, expiry_never;   /* certifications without an expiry: one year, never (Fundamentals) */
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

/* ---- the name tables (rules/pc_workloads.tsv, rules/pc_attribution.tsv) --------------------------------- */

/* "-" or family/slug with family azure, m365 or bizapps and a slug of [a-z0-9_] (scoring.md §10). */
static bool valid_workload(const char *s, size_t n)
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

/* One of the association types of interfaces.md §2. */
static bool valid_type(const char *s, size_t n)
{
    for (int i = 0; i < PCS_AT_N; i++)
        if (strlen(pcs_assoc_type_ids[i]) == n && memcmp(pcs_assoc_type_ids[i], s, n) == 0)
            return true;
    return false;
}

/* Table keys: lowercase, runs of spaces and tabs one space (the caller trims). false when too long. */
static bool table_key(const char *s, size_t n, char key[256], size_t *kn)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i] == '\t' ? ' ' : lower(s[i]);
        if (c == ' ' && o && key[o - 1] == ' ')
            continue;
        if (o == 255)
            return false;
        key[o++] = c;
    }
    *kn = o;
    return true;
}

static int table_add(name_table_t *t, bool workloads, const char *name, size_t nn, const char *id, size_t idn,
                     const char *path, int ln, pcs_err_t *err)
{
    char key[256];
    size_t kn;
    if (nn == 0 || !table_key(name, nn, key, &kn))
        return pcs_err_set(err, PCS_EINVAL, ln, 0, "%s:%d: the name is empty or longer than 255 bytes", path, ln);
    if (workloads ? !valid_workload(id, idn) : !valid_type(id, idn))
        return pcs_err_set(err, PCS_EINVAL, ln, 0,
                           workloads ? "%s:%d: '%.*s' is not a workload id (azure/..., m365/..., bizapps/... of a-z, 0-9, _; or -)"
                                     : "%s:%d: '%.*s' is not an association type (PAL, DPOR, CPOR, CPOR_OSA, CPOR_OSU,"
                                       " CPOR_REVREC, CPOR_REVREC_PERF, CSP_T1, CSP_T2)",
                           path, ln, (int)(idn > 60 ? 60 : idn), id);
    if (t->n_ids == t->cap_ids) {
        size_t nc = t->cap_ids ? t->cap_ids * 2 : 128;
        char **nv = realloc(t->ids, nc * sizeof *nv);
        if (!nv)
            return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        t->ids = nv;
        t->cap_ids = nc;
    }
    if ((t->ids[t->n_ids] = strndup(id, idn)) == NULL)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    int32_t v = pcs_strmap_put(t->names, key, kn, (int32_t)t->n_ids, NULL);
    if (v != (int32_t)t->n_ids) {
        free(t->ids[t->n_ids]);
        return v < 0 ? pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory")
                     : pcs_err_set(err, PCS_EINVAL, ln, 0, "%s:%d: '%.*s' is listed twice", path, ln, (int)nn, name);
    }
    t->n_ids++;
    return 0;
}

/* Reads a table: '#' comments, blank lines, else a name and an id separated by one tab. */
static int table_load(name_table_t *t, bool workloads, const char *path, pcs_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: cannot read the Partner Center name table: %s", path,
                           strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int ln = 0, rc = 0;
    if ((t->names = pcs_strmap_new()) == NULL)
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
        ln++;
        size_t n = (size_t)got, tn;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        const char *tt = pcs_csv_trim(line, n, &tn);
        if (tn == 0 || tt[0] == '#')
            continue;
        const char *tab = memchr(line, '\t', n);
        if (!tab || memchr(tab + 1, '\t', n - (size_t)(tab + 1 - line))) {
            rc = pcs_err_set(err, PCS_EINVAL, ln, 0, "%s:%d: expected a name and an id separated by one tab", path, ln);
            break;
        }
        size_t nn, idn;
        const char *name = pcs_csv_trim(line, (size_t)(tab - line), &nn);
        const char *id = pcs_csv_trim(tab + 1, n - (size_t)(tab + 1 - line), &idn);
        rc = table_add(t, workloads, name, nn, id, idn, path, ln, err);
    }
    if (rc == 0 && ferror(f))
        rc = pcs_err_set(err, PCS_EINVAL, ln, 0, "%s:%d: cannot read: %s", path, ln, strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

/* The id the table gives a name (spaces around, runs of spaces and ASCII case ignored), or NULL. */
static const char *table_id(const name_table_t *t, const char *s, size_t n)
{
    s = pcs_csv_trim(s, n, &n);
    char key[256];
    size_t kn;
    if (!t->names || n == 0 || !table_key(s, n, key, &kn))
        return NULL;
    int32_t v = pcs_strmap_get(t->names, key, kn);
    return v < 0 ? NULL : t->ids[v];
}

static void table_free(name_table_t *t)
{
    for (size_t i = 0; i < t->n_ids; i++)
        free(t->ids[i]);
    free(t->ids);
    pcs_strmap_destroy(&t->names);
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

static void table_path(const char *rules_dir, const char *file, char *buf, size_t size)
{
    const char *dir = rules_dir ? rules_dir : getenv("PCS_RULES_DIR");
    snprintf(buf, size, "%s/%s", dir && *dir ? dir : PCS_RULES_DIR, file);
}

/* The first column of a required set that the export lacks, or -1. */
static int missing(const int *col, const col_t *need, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (col[need[i]] < 0)
            return (int)need[i];
    return -1;
}

int pcs_pcexport_detect(const pcs_csv_row_t *hdr, const char *rules_dir, pcs_pcexport_t **out, pcs_err_t *err)
{
    *out = NULL;
    int col[N_COLS];
    const char *name[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        col[c] = -1;
        name[c] = col_names[c][0];
        for (int k = 0; k < MAX_NAMES && col_names[c][k] && col[c] < 0; k++)
            if ((col[c] = pcs_csv_header_index(hdr, col_names[c][k])) >= 0)
                name[c] = col_names[c][k];
    }
    export_t type;
    bool service = col[C_SERVICE_L2] >= 0 || col[C_SERVICE_NAME] >= 0 || col[C_METER_CATEGORY] >= 0;
    if (col[C_TITLE] >= 0 && col[C_COMPLETED] >= 0)
        type = X_TRAINING;
    else if (col[C_TENANT] >= 0 && service && col[C_ACR] >= 0)
        type = X_AZURE;
    else if (col[C_TENANT] >= 0 && col[C_WORKLOAD] >= 0 && (col[C_PAID] >= 0 || col[C_ACTIVE] >= 0))
        type = X_OFFICE;
    else if (col[C_TENANT] >= 0 && col[C_SEGMENT] >= 0 && col[C_STATUS] >= 0)
        type = X_CUSTOMERS;
    else
        return 0;

    static const col_t need_azure[] = {C_MONTH}, need_office[] = {C_MONTH, C_PAID, C_ACTIVE};
    int lack = type == X_AZURE ? missing(col, need_azure, 1) : type == X_OFFICE ? missing(col, need_office, 3) : -1;
    if (lack >= 0)
        return pcs_err_set(err, PCS_EINVAL, 1, 0, "Partner Center %s export without a %s column", export_names[type],
                           col_names[lack][0]);
    if (col[C_PARTNER] < 0 && col[C_PGA] < 0)
        return pcs_err_set(err, PCS_EINVAL, 1, 0, "Partner Center %s export without a PGAMpnId, PGAPartnerID, PGA_MPNID,"
                                                  " MPNId or PartnerID column", export_names[type]);
    if (type == X_TRAINING && col[C_MCPID] < 0 && col[C_CORP_EMAIL] < 0 && col[C_EMAIL] < 0 && col[C_AAD_USER] < 0)
        return pcs_err_set(err, PCS_EINVAL, 1, 0, "Partner Center TrainingCompletions export without an MCPID,"
                                                  " CorpEmail, Email or AADUserId column");
    bool usage = type == X_AZURE || type == X_OFFICE ||
                 (type == X_CUSTOMERS && col[C_MONTH] >= 0 && (col[C_RAW_PRODUCT] >= 0 || col[C_PRODUCT] >= 0) &&
                  (col[C_REVENUE] >= 0 || col[C_ACR] >= 0 || col[C_SEATS] >= 0));
    if (usage && col[C_ATTRIBUTION] < 0 && col[C_ASSOCIATION_TYPE] < 0)
        return pcs_err_set(err, PCS_EINVAL, 1, 0, "Partner Center %s export without a PartnerAttributionType column:"
                                                  " its usage could not be credited to anyone", export_names[type]);

    pcs_pcexport_t *x = calloc(1, sizeof *x);
    if (!x)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    x->type = type;
    x->usage = usage;
    memcpy(x->col, col, sizeof col);
    memcpy(x->col_name, name, sizeof name);
    if (usage) {
        char path[1024];
        table_path(rules_dir, "pc_workloads.tsv", path, sizeof path);
        int rc = table_load(&x->workloads, true, path, err);
        table_path(rules_dir, "pc_attribution.tsv", path, sizeof path);
        if (rc == 0)
            rc = table_load(&x->attributions, false, path, err);
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
    return x->type == X_TRAINING                           ? &certs_stage
           : x->type == X_AZURE || x->type == X_OFFICE    ? &usage_stage
           : x->usage                                     ? &customers_usage_stage
                                                          : NULL;
}

/* ---- dates: YYYY-MM-DD, or M/D/YYYY (D/M/YYYY) as a spreadsheet re-saves them ----------------------------- */

/* Reads "a/b/yyyy" (1 or 2 digits each part, optionally followed by a time after a space or 'T').
 * false when s is no slash date. */
static bool slash_date(const char *s, size_t n, int *a, int *b, int *y)
{
    int v[3] = {0, 0, 0}, k = 0;
    size_t digits = 0, i = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (++digits > (k == 2 ? 4u : 2u))
                return false;
            v[k] = v[k] * 10 + (c - '0');
        } else if (c == '/' && k < 2 && digits) {
            k++;
            digits = 0;
        } else {
            break;
        }
    }
    if (k != 2 || digits != 4 || (i < n && s[i] != ' ' && s[i] != 'T'))
        return false;
    *a = v[0];
    *b = v[1];
    *y = v[2];
    return true;
}

/* A day as YYYY-MM-DD into out: ISO (with an optional time after 'T' or a space) or a slash date in
 * the file's reading. */
static bool read_day(const pcs_pcexport_t *x, const char *s, size_t n, char out[11])
{
    int32_t d;
    int a, b, y;
    s = pcs_csv_trim(s, n, &n);
    if (slash_date(s, n, &a, &b, &y)) {
        int m = x->dates == DATES_DMY ? b : a, day = x->dates == DATES_DMY ? a : b;
        if (m < 1 || m > 12 || day < 1 || day > 31 || y < 1000)
            return false;
        char buf[32];
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, day);
        memcpy(out, buf, 11);
        return pcs_day_parse(out, &d) == 0;
    }
    if (n < 10 || (n > 10 && s[10] != 'T' && s[10] != ' '))
        return false;
    memcpy(out, s, 10);
    out[10] = '\0';
    return pcs_day_parse(out, &d) == 0;
}

int pcs_pcexport_prescan(pcs_pcexport_t *x, const char *path, int fd, size_t max_record, unsigned long long max_input,
                         pcs_err_t *err)
{
    static const col_t dated[] = {C_MONTH, C_COMPLETED, C_EXPIRES};
    long long us = 0, eu = 0, slash = 0;   /* values only the M/D or only the D/M reading allows */
    pcs_csv_t *r = pcs_csv_open_fd(fd, max_record, err);
    if (!r)
        return PCS_EIO;
    pcs_csv_limit_input(r, max_input);
    pcs_csv_row_t row;
    int got = pcs_csv_next(r, &row, err);   /* the header */
    while (got > 0 && (got = pcs_csv_next(r, &row, err)) > 0) {
        if (row.status != PCS_CSV_OK)
            continue;
        for (size_t i = 0; i < sizeof dated / sizeof *dated; i++) {
            int c = x->col[dated[i]], a, b, y;
            size_t n;
            if (c < 0 || c >= row.n_fields)
                continue;
            const char *s = pcs_csv_trim(row.fields[c], row.lens[c], &n);
            if (!slash_date(s, n, &a, &b, &y))
                continue;
            slash++;
            us += a <= 12 && b > 12;
            eu += a > 12 && b <= 12;
        }
    }
    x->decimal_comma = got >= 0 && pcs_csv_delimiter(r) == ';';
    pcs_csv_destroy(&r);
    if (got < 0 && got != PCS_ELIMIT)   /* past max_input: decided on what came before (the load refuses the rest) */
        return got;
    x->dates = eu > us ? DATES_DMY : DATES_MDY;
    x->dates_ambiguous = slash > 0 && us == 0 && eu == 0;
    if (x->dates_ambiguous)
        pcs_log(PCS_LOG_WARN, "ingest", "pcexport",
                "%s: every date is written D/D/YYYY with both numbers 12 or less: read as M/D/YYYY (Partner Center's"
                " US format)", path);
    else if (slash)
        pcs_log(PCS_LOG_INFO, "ingest", "pcexport", "%s: dates read as %s (%lld M/D-only, %lld D/M-only values)", path,
                x->dates == DATES_DMY ? "D/M/YYYY" : "M/D/YYYY", us, eu);
    return 0;
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
    s = pcs_csv_trim(s, n, &n);
    put(x, i, in, c, s, n);
}

/* Output field i is the measure of column c; in a ';' file a decimal comma ("1200,50", no point) is
 * read as a point (slot k of 3 holds the rewritten text). */
static void put_measure(pcs_pcexport_t *x, int i, int k, const pcs_csv_row_t *in, col_t c)
{
    size_t n;
    const char *s = val(x, in, c, &n);
    s = pcs_csv_trim(s, n, &n);
    const char *comma = x->decimal_comma && n < sizeof x->num[k] ? memchr(s, ',', n) : NULL;
    if (comma && !memchr(s, '.', n) && !memchr(comma + 1, ',', n - (size_t)(comma + 1 - s))) {
        memcpy(x->num[k], s, n);
        x->num[k][comma - s] = '.';
        x->num[k][n] = '\0';
        s = x->num[k];
    }
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

/* Output field i is the month of column Month (YYYY-MM, or a day as read_day), or a rejection. */
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
    } else if (read_day(x, s, n, day)) {
        memcpy(x->month, day, 7);
        x->month[7] = '\0';
        ok = true;
    }
    if (!ok) {
        reject(x, in, C_MONTH, out, "%s: not a month YYYY-MM or a day YYYY-MM-DD or %s: '%.40s'", x->col_name[C_MONTH],
               x->dates == DATES_DMY ? "D/M/YYYY" : "M/D/YYYY", t);
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

/* Output field 0 is the partner: the partner global account (PGAMpnId), else the location ID. */
static int put_partner(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    col_t c = blank(x, in, C_PGA) ? C_PARTNER : C_PGA;
    if (blank(x, in, c))
        return reject(x, in, x->col[C_PGA] >= 0 ? C_PGA : C_PARTNER, out, "%s: empty (and no location ID either)",
                      x->col_name[x->col[C_PGA] >= 0 ? C_PGA : C_PARTNER]);
    put_col(x, 0, in, c);
    return 0;
}

/* Output field i is the association type of the row's attribution (AzureUsage: AssociationType when
 * given, else PartnerAttributionType), mapped through pc_attribution.tsv; or a rejection. */
static int put_attribution(pcs_pcexport_t *x, int i, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    col_t c = x->type == X_AZURE && !blank(x, in, C_ASSOCIATION_TYPE) ? C_ASSOCIATION_TYPE
              : x->col[C_ATTRIBUTION] >= 0                             ? C_ATTRIBUTION
                                                                       : C_ASSOCIATION_TYPE;
    size_t n;
    const char *s = val(x, in, c, &n);
    s = pcs_csv_trim(s, n, &n);
    if (n == 0)
        return reject(x, in, c, out, "%s: empty (a usage row must say how the partner is credited)", x->col_name[c]);
    const char *type = table_id(&x->attributions, s, n);
    if (!type)
        return reject(x, in, c, out, "%s: unknown attribution '%.*s' (add it to rules/pc_attribution.tsv)",
                      x->col_name[c], (int)(n > 120 ? 120 : n), s);
    put(x, i, in, c, type, strlen(type));
    for (int k = 0; k < PCS_AT_N; k++)
        if (strcmp(pcs_assoc_type_ids[k], type) == 0)
            x->attributed[k]++;
    return 0;
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
    if (put_partner(x, in, out) < 0)
        return -1;
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
        if ((id = table_id(&x->workloads, s, n)) == NULL)
            return reject_unknown(x, in, pc, out);
        if (strcmp(id, "-") == 0)
            x->skipped[SKIP_NO_WORKLOAD]++;
    }
    put(x, 5, in, pc, id, strlen(id));
    if (!put_month(x, 6, in, out))
        return -1;
    put_measure(x, 7, 0, in, C_ACR);
    put_measure(x, 8, 1, in, C_REVENUE);
    put_measure(x, 9, 2, in, C_SEATS);
    put(x, 10, in, C_TENANT, "", 0);   /* no active units in this export */
    if (strcmp(id, "-") == 0)
        put(x, 11, in, C_TENANT, "", 0);   /* a customer only: no usage, no attribution */
    else if (put_attribution(x, 11, in, out) < 0)
        return -1;
    return 12;
}

/* The Azure service of a row: ServiceLevel2 (download), else ServiceName or MeterCategory (system
 * query); the column it came from in *c. */
static const char *azure_service(const pcs_pcexport_t *x, const pcs_csv_row_t *in, size_t *n, col_t *c)
{
    static const col_t order[] = {C_SERVICE_L2, C_SERVICE_NAME, C_METER_CATEGORY};
    for (size_t i = 0; i < 3; i++)
        if (!blank(x, in, order[i])) {
            *c = order[i];
            return val(x, in, order[i], n);
        }
    *c = x->col[C_SERVICE_L2] >= 0 ? C_SERVICE_L2 : x->col[C_SERVICE_NAME] >= 0 ? C_SERVICE_NAME : C_METER_CATEGORY;
    *n = 0;
    return "";
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
    col_t sc;
    s = azure_service(x, in, &n, &sc);
    const char *id = table_id(&x->workloads, s, n);
    if (id && strcmp(id, "-") == 0) {
        x->skipped[SKIP_NO_WORKLOAD]++;
        return 0;
    }
    if (n == 0)
        return reject(x, in, sc, out, "%s: empty", x->col_name[sc]);
    if (!id && !azure_id(s, n, x->workload))
        return reject(x, in, sc, out, "%s: no azure workload id can be made of '%.60s'", x->col_name[sc], s);
    if (put_partner(x, in, out) < 0)
        return -1;
    put_col(x, 1, in, C_TENANT);
    put(x, 2, in, sc, id ? id : x->workload, strlen(id ? id : x->workload));
    if (!put_month(x, 3, in, out))
        return -1;
    put_measure(x, 4, 0, in, C_ACR);
    for (int i = 5; i < 8; i++)
        put(x, i, in, C_ACR, "", 0);
    return put_attribution(x, 8, in, out) < 0 ? -1 : 9;
}

static int office_row(pcs_pcexport_t *x, const pcs_csv_row_t *in, pcs_csv_row_t *out)
{
    if (duplicate_row(x, in)) {
        x->skipped[SKIP_DUPLICATE]++;
        return 0;
    }
    if (blank(x, in, C_WORKLOAD))
        return reject(x, in, C_WORKLOAD, out, "%s: empty", x->col_name[C_WORKLOAD]);
    size_t n;
    const char *s = val(x, in, C_WORKLOAD, &n), *id = table_id(&x->workloads, s, n);
    if (!id)
        return reject_unknown(x, in, C_WORKLOAD, out);
    if (strcmp(id, "-") == 0) {
        x->skipped[SKIP_NO_WORKLOAD]++;
        return 0;
    }
    if (put_partner(x, in, out) < 0)
        return -1;
    put_col(x, 1, in, C_TENANT);
    put(x, 2, in, C_WORKLOAD, id, strlen(id));
    if (!put_month(x, 3, in, out))
        return -1;
    put(x, 4, in, C_PAID, "", 0);
    put(x, 5, in, C_PAID, "", 0);
    put_measure(x, 6, 0, in, C_PAID);
    put_measure(x, 7, 1, in, C_ACTIVE);
    return put_attribution(x, 8, in, out) < 0 ? -1 : 9;
}

/* Output field 1 is the person: MCPID, else the work email, else the email (both lowercased, so one
 * address is one person), else the Entra user id. */
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
    *rc = reject(x, in, C_MCPID, out, "no person: MCPID, CorpEmail, Email and AADUserId are empty");
    return false;
}

/* Whether a certification title names a Fundamentals certification (which never expires). */
static bool fundamentals(const char *s, size_t n)
{
    static const char lit[] = "fundamentals";
    for (size_t i = 0; i + sizeof lit - 1 <= n; i++)
        if (imatch(s + i, sizeof lit - 1, lit, true))
            return true;
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
    if (put_partner(x, in, out) < 0)
        return -1;
    if (!put_person(x, in, out, &rc))
        return rc;
    if (blank(x, in, C_TITLE))
        return reject(x, in, C_TITLE, out, "TrainingTitle: empty");
    put_col(x, 2, in, C_TITLE);
    s = val(x, in, C_COMPLETED, &n);
    if (!read_day(x, s, n, x->earned))
        return reject(x, in, C_COMPLETED, out, "%s: not a date YYYY-MM-DD or %s: '%.40s'", x->col_name[C_COMPLETED],
                      x->dates == DATES_DMY ? "D/M/YYYY" : "M/D/YYYY", s);
    put(x, 3, in, C_COMPLETED, x->earned, 10);
    s = val(x, in, C_EXPIRES, &n);
    if (blank(x, in, C_EXPIRES)) {
        /* no expiry (the system query has no such column): role-based and specialty certifications
         * are renewed yearly, Fundamentals never expire (interfaces.md §3.1) */
        size_t tn;
        const char *t = val(x, in, C_TITLE, &tn);
        int32_t d;
        if (fundamentals(t, tn)) {
            put(x, 4, in, C_COMPLETED, "", 0);
            x->expiry_never++;
        } else if (pcs_day_parse(x->earned, &d) == 0) {
            pcs_day_format(pcs_day_add_years(d, 1), x->expires);
            put(x, 4, in, C_COMPLETED, x->expires, 10);
            x->expiry_year++;
        }
    } else if (read_day(x, s, n, x->expires)) {
        put(x, 4, in, C_EXPIRES, x->expires, 10);
    } else {
        return reject(x, in, C_EXPIRES, out, "ExpirationDate: not a date YYYY-MM-DD or %s: '%.40s'",
                      x->dates == DATES_DMY ? "D/M/YYYY" : "M/D/YYYY", s);
    }
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
    char buf[512] = "", attr[256] = "";
    size_t o = 0, a = 0;
    for (int i = 0; i < N_SKIPS && o < sizeof buf; i++)
        if (x->skipped[i])
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%lld %s", o ? ", " : "", x->skipped[i], skip_text[i]);
    for (int i = 0; i < PCS_AT_N && a < sizeof attr; i++)
        if (x->attributed[i])
            a += (size_t)snprintf(attr + a, sizeof attr - a, "%s%s %lld", a ? ", " : "", pcs_assoc_type_ids[i], x->attributed[i]);
    pcs_log(PCS_LOG_INFO, "ingest", "pcexport", "%s: Partner Center %s export, loaded as %s; %s %s%s%s", file,
            export_names[x->type], x->type == X_CUSTOMERS && !x->usage ? "customers" : kinds[x->type],
            x->type == X_CUSTOMERS ? "usage not taken from rows:" : "rows skipped:", o ? buf : "none",
            x->usage ? "; rows attributed: " : "", x->usage ? (a ? attr : "none") : "");
    if (x->expiry_year || x->expiry_never)
        pcs_log(PCS_LOG_WARN, "ingest", "pcexport",
                "%s: %lld certifications without an expiry date expire one year after completion (role-based and"
                " specialty), %lld Fundamentals never expire (interfaces.md 3.1)", file, x->expiry_year, x->expiry_never);
}

void pcs_pcexport_destroy(pcs_pcexport_t **px)
{
    if (!px || !*px)
        return;
    pcs_pcexport_t *x = *px;
    table_free(&x->workloads);
    table_free(&x->attributions);
    free(x);
    *px = NULL;
}
