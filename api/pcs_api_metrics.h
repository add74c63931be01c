/* pcs_api_metrics: GET /metrics, the Prometheus text exposition format (version 0.0.4).
 *
 * What the stack did is read from PostgreSQL in one statement (files and rows loaded and rejected,
 * outbox backlog and lag, refresh runs and their durations, partners scored, alerts raised per
 * severity, deliveries per sink and state, failures per sink); what pcs-api itself did comes from
 * its counters (requests per status code, authentication failures, request time). */
#ifndef PCS_API_METRICS_H
#define PCS_API_METRICS_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdint.h>

#define PCS_API_STATUS_MIN 100
#define PCS_API_STATUS_MAX 599

/* pcs-api's own counters; updated by every worker thread with atomic adds, never locked. */
typedef struct pcs_api_counters {
    atomic_uint_fast64_t requests[PCS_API_STATUS_MAX - PCS_API_STATUS_MIN + 1];
    atomic_uint_fast64_t auth_failures;
    atomic_uint_fast64_t request_us;     /* total time spent answering, microseconds */
} pcs_api_counters_t;

void pcs_api_count(pcs_api_counters_t *c, unsigned status, uint64_t us);

/* The exposition text (malloc'd, the caller frees) from db (NULL or failing: the stack's metrics
 * are left out and pcs_api_database_up is 0). NULL only when out of memory. */
char *pcs_api_metrics_text(PGconn *db, pcs_api_counters_t *c, size_t *len);

#endif
