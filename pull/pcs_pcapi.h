/* pcs_pcapi: the Partner Center Insights programmatic access, as pcs-pull uses it.
 *
 * Public documentation followed (learn.microsoft.com/partner-center/insights/…):
 * insights-programmatic-first-api-call, insights-programmatic-access-paradigm and the API pages:
 *   GET  {api}/ScheduledDataset                   value[].datasetName, selectableColumns
 *   POST {api}/ScheduledQueries                  {"Name","Description","Query"} → value[].queryId
 *   GET  {api}/ScheduledQueries?queryName=N       the queries of that name (a lookup after a crash)
 *   POST {api}/ScheduledReport                   {"ReportName","QueryId","ExecuteNow":true,
 *                                                 "QueryStartTime","QueryEndTime","Format":"csv"} → value[].reportId
 *   GET  {api}/ScheduledReport?reportName=N       the reports of that name (a lookup after a crash)
 *   GET  {api}/ScheduledReport/execution/{reportId}?executionStatus=…&getLatestExecution=true
 *                                                 → value[].executionId, executionStatus, reportAccessSecureLink
 * {api} is https://api.partnercenter.microsoft.com/insights/v1/mpn by default (a setting). Replies
 * are read without regard to the case of their keys (the pages show both "value" and "Value").
 *
 * The four datasets and the columns asked for are those interfaces.md §3.1 reads. No I/O here. */
#ifndef PCS_PCAPI_H
#define PCS_PCAPI_H

#include <stddef.h>

#include "pcs_err.h"

#define PCS_PCAPI_DATASETS 4

typedef struct pcs_pcapi_dataset {
    const char *name;       /* CustomersAndTenants, AzureUsage, OfficeUsage, TrainingCompletions */
    const char *columns;    /* the columns wanted: "A|B,!C": A else B; C, which must be there */
} pcs_pcapi_dataset_t;

extern const pcs_pcapi_dataset_t pcs_pcapi_datasets[PCS_PCAPI_DATASETS];

/* "SELECT cols FROM Dataset" into q: per wanted column the first of its names that the dataset
 * list (a ScheduledDataset reply) offers, or the first name when datasets is NULL. PCS_EINVAL with
 * a reason when the list lacks the dataset or a column it must have; PCS_ELIMIT when n is short. */
int pcs_pcapi_select(int ds, const char *datasets, char *q, size_t n, pcs_err_t *err);

/* Request bodies (malloc'd JSON, built with jansson). Times are "YYYY-MM-DDTHH:MM:SSZ". */
char *pcs_pcapi_body_query(const char *name, const char *query);
char *pcs_pcapi_body_report(const char *name, const char *query_id, const char *start, const char *end);

/* Reads value[] of a reply: the id (key id_key) of the first entry whose name_key equals name
 * (name NULL: the first entry). 1 found, 0 not found, PCS_EINVAL when the reply is not JSON. */
int pcs_pcapi_find(const char *body, const char *name_key, const char *name, const char *id_key, char *id, size_t n);

/* The latest execution of an execution reply: its id, status and secure link (malloc'd, NULL
 * when absent; the link is a credential: never log it). 0, or PCS_EINVAL with a reason. */
int pcs_pcapi_execution(const char *body, char *id, size_t idn, char *status, size_t sn, char **link, pcs_err_t *err);

/* The "message" of an API reply, for an error line (empty when none). */
void pcs_pcapi_message(const char *body, char *buf, size_t n);

#endif
