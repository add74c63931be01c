/* pcs_store: the read model (see pcs_store.h). Every query takes its values as parameters; the JSON
 * a reader sees is built by PostgreSQL's json functions or by jansson, never by printf. */
#include "pcs_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_rules.h"
#include "pcs_vocab.h"

struct pcs_store {
    PGconn *db;
    int lifecycle;              /* -1 unknown, 0/1: alerts.state exists */
};

/* The order of the areas, for ORDER BY array_position(...). */
#define AREA_ORDER                                                                                                    \
    "ARRAY['data_ai','infrastructure','digital_app_innovation','business_applications','modern_work','security']"

char *pcs_store_dumps(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    size_t n = s ? strlen(s) : 0;
    char *t = s ? realloc(s, n + 2) : NULL;
    if (!t) {
        free(s);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}

pcs_store_t *pcs_store_open(const char *conninfo, pcs_err_t *err)
{
    pcs_store_t *s = calloc(1, sizeof *s);
    if (!s) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    s->lifecycle = -1;
    if (!(s->db = pcs_db_connect(conninfo ? conninfo : "", err))) {
        free(s);
        return NULL;
    }
    return s;
}

void pcs_store_destroy(pcs_store_t **ps)
{
    if (!ps || !*ps)
        return;
    PQfinish((*ps)->db);
    free(*ps);
    *ps = NULL;
}

PGconn *pcs_store_conn(pcs_store_t *s)
{
    return s->db;
}

/* Runs a query; PCS_EIO with the server's message on failure. */
static int query(pcs_store_t *s, const char *sql, int n, const char *const *p, PGresult **r, pcs_err_t *err)
{
    if (pcs_db_query(s->db, sql, n, p, r, err) < 0) {
        if (err)
            err->code = PCS_EIO;
        return PCS_EIO;
    }
    return 0;
}

/* A query whose one row and column is a JSON text: the parsed value. */
static json_t *query_json(pcs_store_t *s, const char *sql, int n, const char *const *p, pcs_err_t *err)
{
    PGresult *r = NULL;
    if (query(s, sql, n, p, &r, err) < 0)
        return NULL;
    json_error_t je;
    json_t *j = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? json_loads(PQgetvalue(r, 0, 0), JSON_DECODE_ANY, &je) : NULL;
    PQclear(r);
    if (!j)
        pcs_err_set(err, PCS_EIO, 0, 0, "the database returned no JSON");
    return j;
}

static const char *day_param(int32_t d, char buf[static 11])
{
    return d == PCS_DAY_NONE ? NULL : pcs_day_format(d, buf);
}

static const char *area_param(int area)
{
    return area >= 0 && area < PCS_AREA_N ? pcs_area_ids[area] : NULL;
}

int pcs_store_partner_exists(pcs_store_t *s, const char *partner, pcs_err_t *err)
{
    const char *p[1] = {partner};
    PGresult *r = NULL;
    if (query(s, "SELECT EXISTS (SELECT 1 FROM partners WHERE partner_id = $1)", 1, p, &r, err) < 0)
        return PCS_EIO;
    int yes = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return yes;
}

int pcs_store_result(pcs_store_t *s, const char *partner, const char *rules, int32_t as_of, char **text,
                     int32_t *day, pcs_err_t *err)
{
    char d[11];
    const char *p[3] = {partner, rules, day_param(as_of, d)};
    PGresult *r = NULL;
    if (query(s,
              "SELECT document, as_of::text FROM score_results WHERE partner_id = $1 AND rule_set = $2"
              " AND ($3::date IS NULL OR as_of = $3::date) ORDER BY as_of DESC LIMIT 1",
              3, p, &r, err) < 0)
        return PCS_EIO;
    int rc = 0;
    if (PQntuples(r) == 0) {
        rc = pcs_err_set(err, PCS_ENOTFOUND, 0, 0, "no stored score for partner %s (rules %s%s%s)", partner, rules,
                         p[2] ? ", as of " : "", p[2] ? p[2] : "");
    } else {
        if (day)
            pcs_day_parse(PQgetvalue(r, 0, 1), day);
        if (text && !(*text = strdup(PQgetvalue(r, 0, 0))))
            rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    }
    PQclear(r);
    return rc;
}

/* §11.3 over the stored snapshots: per calendar month the highest total (ties: the earliest), its
 * track, and whether any snapshot of that month qualified, under its data month; then the rows of
 * the latest stored result's history for the months no snapshot covers. */
static const char history_sql[] =
    "WITH lim AS (SELECT coalesce($3::date, (SELECT max(as_of) FROM score_snapshots"
    "   WHERE partner_id = $1 AND rule_set = $2)) AS d),"
    " s AS (SELECT DISTINCT ON (area, as_of) area, as_of, total, track, qualified,"
    "   date_trunc('month', as_of)::date AS cal"
    "   FROM score_snapshots, lim WHERE partner_id = $1 AND rule_set = $2 AND selected AND as_of <= lim.d"
    "   AND ($4::text IS NULL OR area = $4) ORDER BY area, as_of, seq DESC),"
    " best AS (SELECT DISTINCT ON (area, cal) area, cal, as_of, total, track FROM s"
    "   ORDER BY area, cal, total DESC, as_of),"
    " q AS (SELECT area, cal, bool_or(qualified) AS q FROM s GROUP BY area, cal),"
    " stored AS (SELECT to_char(cal - interval '1 month', 'YYYY-MM') AS month, area, as_of::text AS as_of,"
    "   round(total::numeric, 2)::float8 AS score, track, q AS qualified, 'stored' AS source"
    "   FROM best JOIN q USING (area, cal)),"
    " doc AS (SELECT r.document FROM score_results r, lim WHERE r.partner_id = $1 AND r.rule_set = $2"
    "   AND r.as_of <= coalesce(lim.d, r.as_of) ORDER BY r.as_of DESC LIMIT 1),"
    " computed AS (SELECT h->>'month' AS month, a->>'area' AS area, h->>'as_of' AS as_of,"
    "   (h->>'score')::float8 AS score, h->>'track' AS track, (h->>'qualified')::boolean AS qualified,"
    "   'computed' AS source"
    "   FROM doc, json_array_elements(doc.document::json->'areas') a, json_array_elements(a->'history') h"
    "   WHERE ($4::text IS NULL OR a->>'area' = $4)),"
    " rows AS (SELECT * FROM stored UNION ALL SELECT * FROM computed c"
    "   WHERE NOT EXISTS (SELECT 1 FROM stored x WHERE x.month = c.month AND x.area = c.area)),"
    " kept AS (SELECT * FROM rows WHERE $5::int = 0 OR month IN (SELECT DISTINCT month FROM rows"
    "   ORDER BY month DESC LIMIT $5::int))"
    " SELECT coalesce(json_agg(json_build_object('month', month, 'area', area, 'as_of', as_of, 'score', score,"
    "  'track', track, 'qualified', qualified, 'source', source)"
    "  ORDER BY month, array_position(" AREA_ORDER ", area)), '[]')::text FROM kept";

json_t *pcs_store_history(pcs_store_t *s, const char *partner, const char *rules, int32_t as_of, int months,
                          int area, pcs_err_t *err)
{
    char d[11], m[16];
    snprintf(m, sizeof m, "%d", months < 0 ? 0 : months);
    const char *p[5] = {partner, rules, day_param(as_of, d), area_param(area), m};
    return query_json(s, history_sql, 5, p, err);
}

bool pcs_store_alert_lifecycle(pcs_store_t *s)
{
    if (s->lifecycle < 0) {
        PGresult *r = NULL;
        s->lifecycle = 0;
        if (query(s,
                  "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                  " AND table_name = 'alerts' AND column_name = 'state')",
                  0, NULL, &r, NULL) == 0) {
            s->lifecycle = PQgetvalue(r, 0, 0)[0] == 't';
            PQclear(r);
        }
    }
    return s->lifecycle == 1;
}

/* The alert's own columns first, then whatever further columns the alerts table has (the
 * notifier's lifecycle: state, first_seen, ...), taken from the row itself so that no column name
 * is written here before it exists. */
static const char alerts_sql[] =
    "SELECT coalesce(json_agg(x.j ORDER BY x.alert_id DESC), '[]')::text FROM ("
    " SELECT a.alert_id, jsonb_build_object('alert_id', a.alert_id, 'event', a.event, 'partner_id', a.partner_id,"
    "  'area', a.area, 'severity', a.severity, 'dedup_key', a.dedup_key,"
    "  'created', to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  'as_of', a.as_of, 'rules', a.rule_set, 'payload', a.payload,"
    "  'deliveries', coalesce((SELECT jsonb_agg(jsonb_build_object('sink', d.sink, 'state', d.state,"
    "    'attempts', d.attempts, 'last_error', d.last_error, 'delivered_at', d.delivered_at) ORDER BY d.sink)"
    "    FROM alert_deliveries d WHERE d.alert_id = a.alert_id), '[]'))"
    "  || (to_jsonb(a) - ARRAY['alert_id', 'event', 'partner_id', 'area', 'severity', 'dedup_key', 'created_at',"
    "      'as_of', 'rule_set', 'payload']) AS j"
    " FROM alerts a WHERE ($1::text IS NULL OR a.partner_id = $1)"
    "  AND ($3::text IS NULL OR to_jsonb(a)->>'state' = $3)"
    " ORDER BY a.alert_id DESC LIMIT $2::bigint) x";

json_t *pcs_store_alerts(pcs_store_t *s, const char *partner, const char *state, long limit, pcs_err_t *err)
{
    char lim[32];
    snprintf(lim, sizeof lim, "%ld", limit > 0 ? limit : 100);
    if (!state)
        state = pcs_store_alert_lifecycle(s) ? "firing" : "all";
    const char *p[3] = {partner, lim, strcmp(state, "all") == 0 ? NULL : state};
    return query_json(s, alerts_sql, 3, p, err);
}

json_t *pcs_store_rejects(pcs_store_t *s, const char *file, long limit, pcs_err_t *err)
{
    char lim[32];
    snprintf(lim, sizeof lim, "%ld", limit > 0 ? limit : 1000);
    const char *p[2] = {file, lim};
    return query_json(s,
                      "SELECT coalesce(json_agg(json_build_object('file', file_name, 'line', coalesce(line, 0),"
                      " 'column', coalesce(col, 0), 'reason', reason, 'raw', raw, 'created',"
                      " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ORDER BY reject_id DESC),"
                      " '[]')::text FROM (SELECT * FROM rejected_rows WHERE ($1::text IS NULL OR file_name = $1)"
                      " ORDER BY reject_id DESC LIMIT $2::bigint) r",
                      2, p, err);
}

/* The fleet in one statement: the latest result of each partner up to today (one index scan of
 * score_results), its six selected snapshots, the next anniversary and the firing alerts. Where a
 * day has two rows marked selected for one area (a track no longer evaluated keeps its old row),
 * the one written last is the area's. */
static const char partners_sql[] =
    "WITH latest AS (SELECT DISTINCT ON (partner_id) partner_id, as_of FROM score_results"
    "   WHERE rule_set = $1 AND as_of <= $2::date ORDER BY partner_id, as_of DESC),"
    " snap AS (SELECT DISTINCT ON (s.partner_id, s.area) s.partner_id, s.area, s.track, s.total, s.qualified, s.status"
    "   FROM latest l JOIN score_snapshots s ON s.partner_id = l.partner_id AND s.rule_set = $1"
    "   AND s.as_of = l.as_of AND s.selected AND ($4::text IS NULL OR s.area = $4)"
    "   ORDER BY s.partner_id, s.area, s.seq DESC),"
    " areas AS (SELECT partner_id, json_agg(json_build_object('area', area, 'track', track,"
    "   'score', round(total::numeric, 2)::float8, 'qualified', qualified, 'status', status)"
    "   ORDER BY array_position(" AREA_ORDER ", area)) AS areas,"
    "   bool_or($3::text IS NULL OR status = $3) AS status_match,"
    "   bool_and(qualified OR status NOT IN ('enrolled', 'renewal_due')) AS renewals_safe"
    "   FROM snap GROUP BY partner_id),"
    " ann AS (SELECT partner_id, min(anniversary_date) AS anniversary FROM enrollments"
    "   WHERE anniversary_date >= $2::date GROUP BY partner_id),"
    " life AS (SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
    "   AND table_name = 'alerts' AND column_name = 'state') AS on),"
    " al AS (SELECT a.partner_id, count(*) AS n,"
    "   max(CASE a.severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END) AS worst"
    "   FROM alerts a JOIN latest l USING (partner_id), life"
    "   WHERE CASE WHEN life.on THEN to_jsonb(a)->>'state' = 'firing' ELSE a.as_of = l.as_of END"
    "   GROUP BY a.partner_id),"
    " f AS (SELECT l.partner_id, l.as_of, ar.areas, ann.anniversary, coalesce(al.n, 0) AS n, coalesce(al.worst, 0) AS worst,"
    "   (coalesce(al.worst, 0) * 1000 + least(coalesce(al.n, 0), 99) * 10"
    "    + CASE WHEN NOT ar.renewals_safe THEN 5 ELSE 0 END)::int AS risk"
    "   FROM latest l JOIN areas ar USING (partner_id) LEFT JOIN ann USING (partner_id) LEFT JOIN al USING (partner_id)"
    "   WHERE ar.status_match)"
    " SELECT coalesce(json_agg(json_build_object('partner_id', partner_id, 'as_of', as_of, 'areas', areas,"
    "  'anniversary', anniversary, 'days_to_anniversary', anniversary - $2::date, 'alerts', n,"
    "  'worst_severity', CASE worst WHEN 3 THEN 'critical' WHEN 2 THEN 'warning' WHEN 1 THEN 'info' END,"
    "  'risk', risk)"
    "  ORDER BY CASE WHEN $5 = 'risk' THEN -risk ELSE 0 END,"
    "   CASE WHEN $5 = 'risk' THEN coalesce(anniversary - $2::date, 100000) ELSE 0 END, partner_id), '[]')::text FROM f";

json_t *pcs_store_partners(pcs_store_t *s, const char *rules, int32_t today, const char *sort, const char *status,
                           int area, pcs_err_t *err)
{
    if (!sort)
        sort = "risk";
    if (strcmp(sort, "risk") && strcmp(sort, "id")) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "sort: expected risk or id, got '%s'", sort);
        return NULL;
    }
    if (status && pcs_vocab_index(pcs_status_ids, status) < 0) {
        pcs_err_set(err, PCS_EINVAL, 0, 0,
                    "status: expected not_started, in_progress, qualified, enrolled or renewal_due, got '%s'", status);
        return NULL;
    }
    char d[11];
    const char *p[5] = {rules, pcs_day_format(today, d), status, area_param(area), sort};
    return query_json(s, partners_sql, 5, p, err);
}

/* The same facts the scorer streams for one partner and date (usage of data months M-30 .. M,
 * certification records clipped to the person's link periods), as a partner document. */
static const char facts_sql[] =
    "WITH p AS (SELECT $1::text AS id, $2::date AS d,"
    "  (date_trunc('month', $2::date) - interval '31 months')::date AS m0,"
    "  (date_trunc('month', $2::date) - interval '1 month')::date AS m1)"
    " SELECT json_build_object("
    "  'partner_id', p.id, 'as_of', p.d,"
    "  'customers', coalesce((SELECT json_agg(json_strip_nulls(json_build_object('tenant_id', c.tenant_id,"
    "     'customer_id', c.customer_id, 'name', c.customer_name, 'segment', c.segment)) ORDER BY c.tenant_id)"
    "     FROM customers c WHERE c.partner_id = p.id), '[]'),"
    "  'associations', coalesce((SELECT json_agg(json_build_object('tenant_id', a.tenant_id, 'type', a.association_type,"
    "     'workload', a.workload, 'start', a.start_date, 'end', a.end_date)"
    "     ORDER BY a.tenant_id, a.association_type, a.workload, a.start_date)"
    "     FROM associations a WHERE a.partner_id = p.id), '[]'),"
    "  'usage', coalesce((SELECT json_agg(json_build_object('tenant_id', u.tenant_id, 'workload', u.workload,"
    "     'month', to_char(u.month, 'YYYY-MM'), 'acr_usd', u.acr_cents / 100.0, 'revenue_usd', u.revenue_cents / 100.0,"
    "     'paid_units', u.paid_units, 'active_units', u.active_units) ORDER BY u.tenant_id, u.workload, u.month)"
    "     FROM usage u WHERE u.month BETWEEN p.m0 AND p.m1 AND u.tenant_id IN"
    "     (SELECT tenant_id FROM customers WHERE partner_id = p.id UNION SELECT tenant_id FROM associations"
    "      WHERE partner_id = p.id)), '[]'),"
    "  'people', coalesce((SELECT json_agg(json_build_object('person_id', x.person_id, 'certifications', x.certs)"
    "     ORDER BY x.person_id) FROM (SELECT s.person_id, json_agg(json_build_object('name', s.certification,"
    "     'earned', s.earned, 'expires', s.expires) ORDER BY s.certification, s.earned) AS certs"
    "     FROM scoring_certs s WHERE s.partner_id = p.id GROUP BY s.person_id) x), '[]'),"
    "  'enrollments', coalesce((SELECT json_agg(json_build_object('area', e.area, 'enrolled', e.enrolled_date,"
    "     'anniversary', e.anniversary_date) ORDER BY e.area, e.enrolled_date)"
    "     FROM enrollments e WHERE e.partner_id = p.id), '[]'))::text"
    " FROM p WHERE EXISTS (SELECT 1 FROM partners WHERE partner_id = p.id)";

json_t *pcs_store_facts(pcs_store_t *s, const char *partner, int32_t as_of, pcs_err_t *err)
{
    char d[11];
    const char *p[2] = {partner, pcs_day_format(as_of, d)};
    PGresult *r = NULL;
    if (query(s, facts_sql, 2, p, &r, err) < 0)
        return NULL;
    json_t *j = NULL;
    if (PQntuples(r) == 0)
        pcs_err_set(err, PCS_ENOTFOUND, 0, 0, "no partner %s in the database", partner);
    else if (!(j = json_loads(PQgetvalue(r, 0, 0), 0, NULL)))
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    PQclear(r);
    return j;
}

json_t *pcs_store_snapshots(pcs_store_t *s, const char *partner, const char *rules, int32_t day, pcs_err_t *err)
{
    char d[11];
    pcs_day_format(pcs_month_first_day(pcs_month_of_day(day) - 5), d);
    const char *p[3] = {partner, rules, d};
    return query_json(s,
                      "SELECT coalesce(json_agg(json_build_object('area', area, 'as_of', as_of, 'total', total,"
                      " 'qualified', qualified, 'track', track) ORDER BY as_of, area), '[]')::text"
                      " FROM score_snapshots WHERE partner_id = $1 AND rule_set = $2 AND selected AND as_of >= $3::date",
                      3, p, err);
}

static const char trends_sql[] =
    "WITH t AS (SELECT tenant_id FROM customers WHERE partner_id = $1"
    "   UNION SELECT tenant_id FROM associations WHERE partner_id = $1),"
    " u AS (SELECT u.month, u.tenant_id, u.acr_cents, u.revenue_cents, u.active_units FROM usage u"
    "   JOIN t USING (tenant_id) WHERE $4::date IS NULL OR u.month < date_trunc('month', $4::date)),"
    " months AS (SELECT DISTINCT month FROM u UNION"
    "   SELECT DISTINCT (date_trunc('month', as_of) - interval '1 month')::date FROM score_snapshots"
    "   WHERE partner_id = $1 AND rule_set = $2 AND ($4::date IS NULL OR as_of <= $4::date)),"
    " s AS (SELECT DISTINCT ON (area, cal) area, cal, total, qualified FROM (SELECT DISTINCT ON (area, as_of) area,"
    "   total, qualified, (date_trunc('month', as_of) - interval '1 month')::date AS cal FROM score_snapshots"
    "   WHERE partner_id = $1 AND rule_set = $2 AND selected AND ($3::text IS NULL OR area = $3)"
    "     AND ($4::date IS NULL OR as_of <= $4::date)"
    "   ORDER BY area, as_of, seq DESC) x"
    "   ORDER BY area, cal, total DESC)"
    " SELECT coalesce(json_agg(json_build_object('month', to_char(m.month, 'YYYY-MM'),"
    "  'customers_ttm', (SELECT count(DISTINCT tenant_id) FROM u WHERE u.month > m.month - interval '12 months'"
    "    AND u.month <= m.month AND (u.acr_cents > 0 OR u.revenue_cents > 0 OR u.active_units > 0)),"
    "  'acr_usd', (SELECT coalesce(sum(acr_cents), 0) FROM u WHERE u.month = m.month)::float8 / 100,"
    "  'revenue_usd', (SELECT coalesce(sum(revenue_cents), 0) FROM u WHERE u.month = m.month)::float8 / 100,"
    "  'active_units', (SELECT coalesce(sum(active_units), 0) FROM u WHERE u.month = m.month),"
    "  'scores', coalesce((SELECT json_object_agg(area, json_build_object('score', round(total::numeric, 2)::float8,"
    "    'qualified', qualified) ORDER BY array_position(" AREA_ORDER ", area)) FROM s WHERE s.cal = m.month), '{}'))"
    "  ORDER BY m.month), '[]')::text FROM months m";

json_t *pcs_store_trends(pcs_store_t *s, const char *partner, const char *rules, int area, int32_t as_of,
                         pcs_err_t *err)
{
    char day[11];
    const char *p[4] = {partner, rules, area_param(area), as_of == PCS_DAY_NONE ? NULL : pcs_day_format(as_of, day)};
    return query_json(s, trends_sql, 4, p, err);
}
