#include "pcs_api_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_db.h"

void pcs_api_count(pcs_api_counters_t *c, unsigned status, uint64_t us)
{
    if (status >= PCS_API_STATUS_MIN && status <= PCS_API_STATUS_MAX)
        atomic_fetch_add(&c->requests[status - PCS_API_STATUS_MIN], 1);
    atomic_fetch_add(&c->request_us, us);
}

/* Every metric, in the order they are printed; the query gives their samples. */
static const struct {
    const char *name, *type, *help;
} metrics[] = {
    {"pcs_feed_files_loaded_total", "counter", "Feed files loaded by pcs-ingest."},
    {"pcs_feed_rows_loaded_total", "counter", "Feed rows stored by pcs-ingest."},
    {"pcs_feed_rows_rejected_total", "counter", "Feed rows rejected (file, line, column and reason in pcs rejects)."},
    {"pcs_outbox_pending", "gauge", "Changes stored by pcs-ingest that pcs-scorer has not scored yet."},
    {"pcs_outbox_lag_seconds", "gauge", "Age of the oldest change not scored yet (0 when none)."},
    {"pcs_refresh_runs_total", "counter", "Refresh runs finished."},
    {"pcs_refresh_duration_seconds", "summary", "Time from a refresh's request to its last stored partner."},
    {"pcs_refresh_last_duration_seconds", "gauge", "Duration of the last finished refresh."},
    {"pcs_refresh_last_partners", "gauge", "Partners scored by the last finished refresh."},
    {"pcs_partners", "gauge", "Partners known to pcs."},
    {"pcs_scored_partners", "gauge", "Partners with a stored score."},
    {"pcs_alerts_raised_total", "counter", "Alerts raised by pcs-notifier, per severity."},
    {"pcs_alert_deliveries", "gauge", "Alert deliveries per sink and state (pending, delivered, failed)."},
    {"pcs_alert_delivery_failures_total", "counter", "Alert deliveries given up after their last attempt, per sink."},
};
#define N_METRICS ((int)(sizeof metrics / sizeof *metrics))

/* One row per sample: metric index, label text (already escaped by the query: only fixed label
 * names and values that PostgreSQL quotes with to_json), value. */
static const char metrics_sql[] =
    "SELECT 0, '', count(*)::text FROM loaded_files"
    " UNION ALL SELECT 1, '', coalesce(sum(rows_loaded), 0)::text FROM loaded_files"
    " UNION ALL SELECT 2, '', count(*)::text FROM rejected_rows"
    " UNION ALL SELECT 3, '', count(*)::text FROM outbox WHERE processed_at IS NULL"
    " UNION ALL SELECT 4, '', coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8::text FROM outbox"
    "   WHERE processed_at IS NULL"
    " UNION ALL SELECT 5, '', count(*)::text FROM refresh_runs WHERE finished_at IS NOT NULL"
    " UNION ALL SELECT 6, '_sum', coalesce(sum(extract(epoch FROM finished_at - requested_at)), 0)::float8::text"
    "   FROM refresh_runs WHERE finished_at IS NOT NULL"
    " UNION ALL SELECT 6, '_count', count(*)::text FROM refresh_runs WHERE finished_at IS NOT NULL"
    " UNION ALL (SELECT 7, '', extract(epoch FROM finished_at - requested_at)::float8::text FROM refresh_runs"
    "   WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1)"
    " UNION ALL (SELECT 8, '', coalesce(partners, 0)::text FROM refresh_runs WHERE finished_at IS NOT NULL"
    "   ORDER BY finished_at DESC LIMIT 1)"
    " UNION ALL SELECT 9, '', count(*)::text FROM partners"
    " UNION ALL SELECT 10, '', count(DISTINCT partner_id)::text FROM score_results"
    " UNION ALL SELECT 11, '{severity=' || to_json(s.severity)::text || '}', count(a.alert_id)::text"
    "   FROM (VALUES ('info'), ('warning'), ('critical')) s(severity) LEFT JOIN alerts a USING (severity)"
    "   GROUP BY s.severity"
    " UNION ALL SELECT 12, '{sink=' || to_json(sink)::text || ',state=' || to_json(state)::text || '}', count(*)::text"
    "   FROM alert_deliveries GROUP BY sink, state"
    " UNION ALL SELECT 13, '{sink=' || to_json(sink)::text || '}', count(*) FILTER (WHERE state = 'failed')::text"
    "   FROM alert_deliveries GROUP BY sink"
    " ORDER BY 1, 2";

typedef struct buf {
    char *s;
    size_t n, cap;
    int oom;
} buf_t;

__attribute__((format(printf, 2, 3))) static void put(buf_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int k = b->s ? vsnprintf(b->s + b->n, room, fmt, ap) : -1;
        va_end(ap);
        if (k >= 0 && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 8192;
        while (k >= 0 && cap - b->n <= (size_t)k)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

static void head(buf_t *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *pcs_api_metrics_text(PGconn *db, pcs_api_counters_t *c, size_t *len)
{
    buf_t b = {0};
    PGresult *r = NULL;
    pcs_err_t err = {0};
    int up = db && pcs_db_query(db, metrics_sql, 0, NULL, &r, &err) == 0;
    int last = -1;
    for (int i = 0; up && i < PQntuples(r); i++) {
        int m = atoi(PQgetvalue(r, i, 0));
        if (m < 0 || m >= N_METRICS)
            continue;
        if (m != last)
            head(&b, metrics[m].name, metrics[m].type, metrics[m].help);
        last = m;
        /* the second column is a summary's suffix (_sum, _count) or the labels {k="v"} */
        put(&b, "%s%s %s\n", metrics[m].name, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
    }
    PQclear(r);
    head(&b, "pcs_api_database_up", "gauge", "Whether pcs-api could read the stack's figures from PostgreSQL.");
    put(&b, "pcs_api_database_up %d\n", up ? 1 : 0);
    head(&b, "pcs_api_requests_total", "counter", "HTTP requests answered by pcs-api, per status code.");
    for (int s = PCS_API_STATUS_MIN; s <= PCS_API_STATUS_MAX; s++) {
        uint_fast64_t n = atomic_load(&c->requests[s - PCS_API_STATUS_MIN]);
        if (n)
            put(&b, "pcs_api_requests_total{code=\"%d\"} %llu\n", s, (unsigned long long)n);
    }
    head(&b, "pcs_api_auth_failures_total", "counter", "Requests refused for a missing, unknown or revoked token.");
    put(&b, "pcs_api_auth_failures_total %llu\n", (unsigned long long)atomic_load(&c->auth_failures));
    head(&b, "pcs_api_request_seconds_total", "counter", "Time pcs-api spent answering requests.");
    put(&b, "pcs_api_request_seconds_total %.6f\n", (double)atomic_load(&c->request_us) / 1e6);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    *len = b.n;
    return b.s;
}
