#include "pcs_pcapi.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The columns of §3.1 with the names of the programmatic datasets (as listed by their
 * selectableColumns and the public sample queries). */
const pcs_pcapi_dataset_t pcs_pcapi_datasets[PCS_PCAPI_DATASETS] = {
    {"CustomersAndTenants",
     "PGAMpnId,MPNId,CustomerTenantId,CustomerName,CustomerTpid,CustomerSegment,Product,Month,"
     "PartnerAttributionType,IsDuplicateRowForPGA,AvailableSeats,BilledRevenueUSD,AzureConsumedRevenueUSD"},
    {"AzureUsage",
     "PGAMpnId,MPNId,CustomerTenantId,CustomerName,CustomerTpid,CustomerSegment,Month,ServiceLevel2,ServiceName,"
     "AI_OfferType,PartnerAttributionType,AssociationType,IsACRDuplicateAtPGALevel,ACR_USD"},
    {"OfficeUsage",
     "PGAMpnId,MPNId,CustomerTenantId,CustomerName,CustomerTpid,CustomerSegment,WorkloadName,Month,"
     "PaidAvailableUnits,MonthlyActiveUsers,PartnerAttributionType,IsDuplicateRowForPGA"},
    {"TrainingCompletions",
     "PGAMpnId,MPNId,TrainingActivityId,TrainingTitle,TrainingType,Email,CorpEmail,MCPID,TrainingCompletionDate,"
     "ExpirationDate,Month"},
};

void pcs_pcapi_query_text(int ds, char *buf, size_t n)
{
    snprintf(buf, n, "SELECT %s FROM %s", pcs_pcapi_datasets[ds].columns, pcs_pcapi_datasets[ds].name);
}

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
