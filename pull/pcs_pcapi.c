#include "pcs_pcapi.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The columns of §3.1, as groups of the names a column has in the layouts (download, programmatic
 * system queries; the first is asked for when the API lists no dataset), '!' before a group the
 * dataset must have. pcs-ingest (ingest/pcs_pcexport.c) reads every one of these names. */
const pcs_pcapi_dataset_t pcs_pcapi_datasets[PCS_PCAPI_DATASETS] = {
    {"CustomersAndTenants",
     "PGAMpnId|PGAPartnerID|PGA_MPNID,MPNId|PartnerID,!CustomerTenantId,CustomerTenantName,CustomerName,CustomerTpid,"
     "!CustomerSegment,TopSegment,!CustomerStatus,Product,RawProductName,Month,PartnerAttributionType,"
     "IsDuplicateRowForPGA,AvailableSeats,BilledRevenueUSD|RevenueUSD,AzureConsumedRevenueUSD"},
    {"AzureUsage",
     "PGAMpnId|PGAPartnerID|PGA_MPNID,MPNId|PartnerID,!CustomerTenantId,CustomerName,CustomerTpid,CustomerSegment,"
     "!Month,!ServiceLevel2|ServiceName|MeterCategory,AI_OfferType,PartnerAttributionType,AssociationType,"
     "IsACRDuplicateAtPGALevel,!ACR_USD|TotalACR|MonthlySubscriptionLevelACR"},
    {"OfficeUsage",
     "PGAMpnId|PGAPartnerID|PGA_MPNID,MPNId|PartnerID,!CustomerTenantId,CustomerTpid,CustomerName,CustomerSegment,"
     "!WorkloadName|Workload,!Month,!PaidAvailableUnits|PaidUnits,!MonthlyActiveUsers|ActiveUsers,"
     "!PartnerAttributionType,IsDuplicateRowForPGA"},
    {"TrainingCompletions",
     "PGAMpnId|PGAPartnerID|PGA_MPNID,MPNId|PartnerID,TrainingActivityId,!TrainingTitle,!TrainingType,Email,CorpEmail,"
     "MCPID,AADUserId,!TrainingCompletionDate|CompletionDate,ExpirationDate,Month"},
};

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

char *pcs_pcapi_body_query(const char *name, const char *query)
{
    json_t *j = json_object();
    json_object_set_new(j, "Name", json_string(name));
    json_object_set_new(j, "Description", json_string("pcs: the columns pcs-ingest reads (interfaces.md 3.1)"));
    json_object_set_new(j, "Query", json_string(query));
    return dump(j);
}

char *pcs_pcapi_body_report(const char *name, const char *query_id, const char *start, const char *end)
{
    json_t *j = json_object();
    json_object_set_new(j, "ReportName", json_string(name));
    json_object_set_new(j, "Description", json_string("pcs-pull: one execution, downloaded into the pcs spool"));
    json_object_set_new(j, "QueryId", json_string(query_id));
    json_object_set_new(j, "ExecuteNow", json_true());
    json_object_set_new(j, "QueryStartTime", json_string(start));
    json_object_set_new(j, "QueryEndTime", json_string(end));
    json_object_set_new(j, "Format", json_string("csv"));
    return dump(j);
}

/* obj[key] without regard to case */
static json_t *get_ci(json_t *obj, const char *key)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (strcasecmp(k, key) == 0)
            return v;
    }
    return NULL;
}

static json_t *values(json_t *root)
{
    json_t *v = json_is_object(root) ? get_ci(root, "value") : NULL;
    return json_is_array(v) ? v : NULL;
}

/* Whether the column name is in the API's list (any case); its spelling there, or NULL. */
static const char *offered(json_t *cols, const char *name, size_t len)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c) {
        const char *s = json_string_value(c);
        if (s && strlen(s) == len && strncasecmp(s, name, len) == 0)
            return s;
    }
    return NULL;
}

int pcs_pcapi_select(int ds, const char *datasets, char *q, size_t n, pcs_err_t *err)
{
    const pcs_pcapi_dataset_t *d = &pcs_pcapi_datasets[ds];
    json_t *root = NULL, *cols = NULL;
    int rc = 0;
    if (datasets) {
        if (!(root = json_loads(datasets, 0, NULL)))
            return pcs_err_set(err, PCS_EINVAL, 0, 0, "the dataset list is not JSON");
        json_t *arr = values(root), *e;
        size_t i;
        json_array_foreach(arr, i, e) {
            const char *nm = json_string_value(get_ci(e, "datasetName"));
            if (nm && strcasecmp(nm, d->name) == 0)
                cols = get_ci(e, "selectableColumns");
        }
        if (!json_is_array(cols)) {
            rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "Partner Center lists no dataset %s (ScheduledDataset)", d->name);
            goto out;
        }
    }
    size_t len = (size_t)snprintf(q, n, "SELECT ");
    bool any = false, partner = false;
    for (const char *g = d->columns; *g;) {
        size_t gl = strcspn(g, ",");
        bool required = *g == '!';
        const char *alt = g + required, *chosen = NULL, *end = g + gl;
        size_t cl = 0;
        while (alt < end && !chosen) {
            size_t al = strcspn(alt, "|,");
            if (!cols) {
                chosen = alt;   /* no list: the first name */
                cl = al;
            } else if ((chosen = offered(cols, alt, al))) {
                cl = strlen(chosen);
            }
            alt += al + (alt[al] == '|');
        }
        if (!chosen && required) {
            rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "Partner Center's %s offers none of the columns %.*s", d->name,
                             (int)(gl - 1), g + 1);
            goto out;
        }
        if (chosen) {
            partner = partner || strncasecmp(g, "PGAMpnId", 8) == 0 || strncasecmp(g, "MPNId", 5) == 0;
            len += (size_t)snprintf(q + len, len < n ? n - len : 0, "%s%.*s", any ? "," : "", (int)cl, chosen);
            any = true;
        }
        g = *end ? end + 1 : end;
    }
    if (!partner) {
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "Partner Center's %s offers no partner column (PGAMpnId or MPNId)",
                         d->name);
        goto out;
    }
    len += (size_t)snprintf(q + len, len < n ? n - len : 0, " FROM %s", d->name);
    if (len >= n)
        rc = pcs_err_set(err, PCS_ELIMIT, 0, 0, "query longer than %zu bytes", n);
out:
    json_decref(root);
    return rc;
}

int pcs_pcapi_find(const char *body, const char *name_key, const char *name, const char *id_key, char *id, size_t n)
{
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    if (!root)
        return PCS_EINVAL;
    json_t *arr = values(root), *e;
    size_t i;
    int found = 0;
    json_array_foreach(arr, i, e) {
        const char *nm = json_string_value(get_ci(e, name_key));
        const char *v = json_string_value(get_ci(e, id_key));
        if (v && (!name || (nm && strcmp(nm, name) == 0))) {
            snprintf(id, n, "%s", v);
            found = 1;
            break;
        }
    }
    json_decref(root);
    return found;
}

int pcs_pcapi_execution(const char *body, char *id, size_t idn, char *status, size_t sn, char **link, pcs_err_t *err)
{
    *link = NULL;
    id[0] = status[0] = '\0';
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    if (!root)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "execution reply is not JSON");
    json_t *arr = values(root), *e;
    size_t i;
    int rc = 0;
    json_t *latest = NULL;
    /* getLatestExecution=true gives one; otherwise the newest generated, then the last listed */
    json_array_foreach(arr, i, e) {
        latest = e;
    }
    if (!latest) {
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "execution reply without executions");
        goto out;
    }
    const char *x = json_string_value(get_ci(latest, "executionId"));
    const char *s = json_string_value(get_ci(latest, "executionStatus"));
    const char *l = json_string_value(get_ci(latest, "reportAccessSecureLink"));
    if (!x || !s) {
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "execution without executionId or executionStatus");
        goto out;
    }
    snprintf(id, idn, "%s", x);
    snprintf(status, sn, "%s", s);
    if (l && *l)
        *link = strdup(l);
out:
    json_decref(root);
    return rc;
}

void pcs_pcapi_message(const char *body, char *buf, size_t n)
{
    buf[0] = '\0';
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    const char *m = json_is_object(root) ? json_string_value(get_ci(root, "message")) : NULL;
    if (m)
        snprintf(buf, n, "%.200s", m);
    json_decref(root);
}
