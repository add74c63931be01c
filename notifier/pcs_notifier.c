/* pcs-notifier: turns scores into alerts and delivers them (architecture.md).
 *
 * One libuv loop. The truth is the result documents the scorer stores (score_results): the
 * notifier keeps a cursor on their seq in PostgreSQL and reads what is new on start, on every
 * score.updated message (SUB, coalesced) and on a timer, so nothing depends on a message arriving.
 * Each §13 event of a new result becomes an alert, inserted once per dedup key (a unique key, not a
 * check-then-insert), together with one delivery row per sink that takes it and the moved cursor,
 * in one transaction. Deliveries are then attempted (log, file, webhook); their state, attempts
 * and next attempt are stored, so retries survive restarts. A daily check asks the scorer (through
 * the outbox) to rescore today the partners whose renewal or certifications come due, so the
 * date-driven events are raised even when no fact changed. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "pcs_daemon.h"
#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_envelope.h"
#include "pcs_log.h"
#include "pcs_sha256.h"
#include "pcs_vocab.h"
#include "pcs_zsock.h"

typedef struct config {
    pcs_daemon_cfg_t common;
    char db[256];
    char sub_endpoint[256];
    char rule_set[256];
    char today[256];
    int64_t catch_up_ms;
    int64_t delivery_delay_ms;
    char log_min_severity[256];
    char log_partners[256];
    char file_path[256];
    char file_min_severity[256];
    char file_partners[256];
    char webhook_url[256];
    char webhook_secret[256];
    char webhook_min_severity[256];
    char webhook_partners[256];
    int64_t webhook_timeout_ms;
    int64_t webhook_max_attempts;
    int64_t webhook_backoff_ms;
} config_t;

#define R PCS_CFG_RELOAD
static const pcs_cfg_key_t config_keys[] = {
    PCS_DAEMON_KEYS(config_t),
    PCS_CFG_STR(config_t, db, "", R | PCS_CFG_SECRET),
    PCS_CFG_STR(config_t, sub_endpoint, "tcp://127.0.0.1:5604", 0),
    PCS_CFG_STR(config_t, rule_set, "pcs-2026", R),
    PCS_CFG_STR(config_t, today, "", R),
    PCS_CFG_INTEGER(config_t, catch_up_ms, "5000", 50, 3600000, R),
    PCS_CFG_INTEGER(config_t, delivery_delay_ms, "0", 0, 3600000, R),
    PCS_CFG_STR(config_t, log_min_severity, "info", R),
    PCS_CFG_STR(config_t, log_partners, "", R),
    PCS_CFG_STR(config_t, file_path, "", R),
    PCS_CFG_STR(config_t, file_min_severity, "info", R),
    PCS_CFG_STR(config_t, file_partners, "", R),
    PCS_CFG_STR(config_t, webhook_url, "", R | PCS_CFG_SECRET),
    PCS_CFG_STR(config_t, webhook_secret, "", R | PCS_CFG_SECRET),
    PCS_CFG_STR(config_t, webhook_min_severity, "warning", R),
    PCS_CFG_STR(config_t, webhook_partners, "", R),
    PCS_CFG_INTEGER(config_t, webhook_timeout_ms, "5000", 100, 600000, R),
    PCS_CFG_INTEGER(config_t, webhook_max_attempts, "8", 1, 1000, R),
    PCS_CFG_INTEGER(config_t, webhook_backoff_ms, "1000", 10, 3600000, R),
};
#undef R
#define N_KEYS ((int)(sizeof config_keys / sizeof *config_keys))

enum { SINK_LOG, SINK_FILE, SINK_WEBHOOK, SINK_N };
static const char *const sink_ids[SINK_N] = {"log", "file", "webhook"};

typedef struct notifier {
    config_t cfg;
    uv_loop_t *loop;
    uv_timer_t tick, hint_timer, deliver_timer;
    pcs_zsock_t *sub;
    PGconn *db;
    CURL *curl;
    bool stopping;
    unsigned backoff_ms;
} notifier_t;

/* ---- routing ------------------------------------------------------------------------------------ */

static int severity_rank(const char *s)
{
    int i = pcs_severity_index(s);
    return i < 0 ? PCS_SEV_N : i;
}

/* Whether a comma/space separated list names the partner (an empty list names every partner). */
static bool listed(const char *list, const char *partner)
{
    if (!*list)
        return true;
    size_t n = strlen(partner);
    for (const char *p = list; *p;) {
        p += strspn(p, ", ");
        size_t k = strcspn(p, ", ");
        if (k == n && strncmp(p, partner, n) == 0)
            return true;
        p += k;
    }
    return false;
}

static bool sink_takes(const config_t *c, int sink, const char *partner, const char *severity)
{
    const char *min = sink == SINK_LOG ? c->log_min_severity : sink == SINK_FILE ? c->file_min_severity
                                                                                  : c->webhook_min_severity;
    const char *parts = sink == SINK_LOG ? c->log_partners : sink == SINK_FILE ? c->file_partners : c->webhook_partners;
    if (sink == SINK_FILE && !c->file_path[0])
        return false;
    if (sink == SINK_WEBHOOK && !c->webhook_url[0])
        return false;
    if (strcmp(min, "off") == 0)
        return false;
    return severity_rank(severity) >= severity_rank(min) && listed(parts, partner);
}

static int validate(const void *cfg, pcs_err_t *err)
{
    const config_t *c = cfg;
    const char *mins[3] = {c->log_min_severity, c->file_min_severity, c->webhook_min_severity};
    for (int i = 0; i < 3; i++)
        if (strcmp(mins[i], "off") != 0 && severity_rank(mins[i]) == PCS_SEV_N)
            return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s_min_severity: expected info, warning, critical or off",
                               sink_ids[i]);
    int32_t d;
    if (c->today[0] && pcs_day_parse(c->today, &d) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "today: expected YYYY-MM-DD");
    if (c->webhook_url[0] && strncmp(c->webhook_url, "http://", 7) != 0 && strncmp(c->webhook_url, "https://", 8) != 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "webhook_url: expected http:// or https://");
    return 0;
}

static int32_t today(const notifier_t *n)
{
    int32_t d;
    if (n->cfg.today[0] && pcs_day_parse(n->cfg.today, &d) == 0)
        return d;
    return pcs_day_today_utc();
}

static PGconn *db(notifier_t *n)
{
    return pcs_db_ensure(&n->db, n->cfg.db, "notifier");
}

static void retry_later(notifier_t *n);

/* ---- raising alerts from new results ------------------------------------------------------------- */

static int insert_alert(notifier_t *n, PGconn *c, const char *key, const char *partner, const char *area,
                        const char *event, const char *severity, const char *as_of, const char *payload, int *raised,
                        pcs_err_t *err)
{
    const char *p[8] = {key, partner, area, event, severity, as_of, n->cfg.rule_set, payload};
    PGresult *r;
    if (pcs_db_query(c,
                     "INSERT INTO alerts (dedup_key, partner_id, area, event, severity, as_of, rule_set, payload)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT (dedup_key) DO NOTHING RETURNING alert_id",
                     8, p, &r, err) < 0)
        return -1;
    if (PQntuples(r) == 1) {
        (*raised)++;
        char delay[32];
        snprintf(delay, sizeof delay, "%lld", (long long)n->cfg.delivery_delay_ms);
        for (int s = 0; s < SINK_N; s++) {
            if (!sink_takes(&n->cfg, s, partner, severity))
                continue;
            const char *d[3] = {PQgetvalue(r, 0, 0), sink_ids[s], delay};
            if (pcs_db_query(c,
                             "INSERT INTO alert_deliveries (alert_id, sink, next_attempt_at)"
                             " VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond')",
                             3, d, NULL, err) < 0) {
                PQclear(r);
                return -1;
            }
        }
    }
    PQclear(r);
    return 0;
}

/* The alerts of one result document: its §13 events, and newly_qualified when an area qualifies
 * now and did not in the previous month of its history. */
static int alerts_of(notifier_t *n, PGconn *c, const char *text, int *raised, pcs_err_t *err)
{
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    if (!doc) {
        pcs_log(PCS_LOG_WARN, "notifier", "raise", "unreadable result document skipped: %s", je.text);
        return 0;
    }
    const char *partner = json_string_value(json_object_get(doc, "partner_id"));
    const char *as_of = json_string_value(json_object_get(doc, "as_of"));
    const char *month = json_string_value(json_object_get(doc, "data_month"));
    size_t i, k;
    json_t *a, *ev;
    int rc = 0;
    json_array_foreach(json_object_get(doc, "areas"), i, a) {
        const char *area = json_string_value(json_object_get(a, "area"));
        if (!partner || !as_of || !area)
            continue;
        json_array_foreach(json_object_get(a, "events"), k, ev) {
            const char *key = json_string_value(json_object_get(ev, "dedup_key"));
            const char *event = json_string_value(json_object_get(ev, "event"));
            const char *sev = json_string_value(json_object_get(ev, "severity"));
            char *payload = json_dumps(json_object_get(ev, "payload"), JSON_COMPACT | JSON_ENCODE_ANY);
            if (key && event && sev && payload)
                rc = insert_alert(n, c, key, partner, area, event, sev, as_of, payload, raised, err);
            free(payload);
            if (rc < 0)
                goto out;
        }
        json_t *hist = json_object_get(a, "history");
        size_t nh = json_array_size(hist);
        bool now_q = json_is_true(json_object_get(a, "qualified"));
        bool before_q = nh >= 2 && json_is_true(json_object_get(json_array_get(hist, nh - 2), "qualified"));
        if (now_q && !before_q && nh >= 2 && month) {
            char key[768];
            snprintf(key, sizeof key, "%s:%s:newly_qualified:%s", partner, area, month);
            json_t *pl = json_pack("{s:O, s:O, s:O}", "score", json_object_get(a, "score"), "track",
                                   json_object_get(a, "track"), "status", json_object_get(a, "status"));
            char *payload = pl ? json_dumps(pl, JSON_COMPACT) : NULL;
            json_decref(pl);
            if (payload)
                rc = insert_alert(n, c, key, partner, area, "newly_qualified", "info", as_of, payload, raised, err);
            free(payload);
            if (rc < 0)
                goto out;
        }
    }
out:
    json_decref(doc);
    return rc;
}

static void on_deliver_timer(uv_timer_t *t);

static void schedule_delivery(notifier_t *n, uint64_t delay)
{
    if (!n->stopping && (!uv_is_active((uv_handle_t *)&n->deliver_timer) || uv_timer_get_due_in(&n->deliver_timer) > delay))
        uv_timer_start(&n->deliver_timer, on_deliver_timer, delay, 0);
}

/* Reads the results after the cursor, raises their alerts and moves the cursor, in one
 * transaction. 1: more may be pending; 0: caught up; -1: error. */
static int raise_once(notifier_t *n)
{
    PGconn *c = db(n);
    if (!c)
        return -1;
    pcs_err_t err = {0};
    PGresult *cur = NULL, *r = NULL;
    int raised = 0, rows = 0;
    int rc = pcs_db_query(c, "BEGIN", 0, NULL, NULL, &err);
    if (rc == 0)
        rc = pcs_db_query(c, "INSERT INTO notifier_state (name) VALUES ('main') ON CONFLICT DO NOTHING", 0, NULL, NULL,
                          &err);
    /* the row lock makes a second notifier wait instead of raising the same results */
    if (rc == 0)
        rc = pcs_db_query(c, "SELECT seq FROM notifier_state WHERE name = 'main' FOR UPDATE", 0, NULL, &cur, &err);
    if (rc == 0) {
        const char *p[2] = {PQgetvalue(cur, 0, 0), n->cfg.rule_set};
        rc = pcs_db_query(c,
                          "SELECT seq, document::text FROM score_results WHERE seq > $1::bigint AND rule_set = $2"
                          " ORDER BY seq LIMIT 200",
                          2, p, &r, &err);
    }
    if (rc == 0) {
        rows = PQntuples(r);
        for (int i = 0; i < rows && rc == 0; i++)
            rc = alerts_of(n, c, PQgetvalue(r, i, 1), &raised, &err);
    }
    if (rc == 0 && rows) {
        const char *p[1] = {PQgetvalue(r, rows - 1, 0)};
        rc = pcs_db_query(c, "UPDATE notifier_state SET seq = $1::bigint WHERE name = 'main'", 1, p, NULL, &err);
    }
    if (rc == 0)
        rc = pcs_db_query(c, "COMMIT", 0, NULL, NULL, &err);
    PQclear(cur);
    PQclear(r);
    if (rc < 0) {
        pcs_db_query(c, "ROLLBACK", 0, NULL, NULL, NULL);
        pcs_log(PCS_LOG_WARN, "notifier", "raise", "%s", err.msg);
        return -1;
    }
    if (raised) {
        pcs_log(PCS_LOG_INFO, "notifier", "raise", "%d results read, %d alerts raised", rows, raised);
        schedule_delivery(n, (uint64_t)n->cfg.delivery_delay_ms);
    }
    return rows == 200 ? 1 : 0;
}

static void raise_new(notifier_t *n)
{
    for (int i = 0; i < 50; i++) {
        int rc = raise_once(n);
        if (rc < 0) {
            retry_later(n);
            return;
        }
        if (rc == 0)
            return;
    }
}

/* ---- the daily check ----------------------------------------------------------------------------- */

/* Once a day: partners with an enrollment whose anniversary is within 60 days, or a certification
 * record that stops counting within 60 days, are rescored as of today (an outbox row the scorer
 * claims), so renewal reminders and expiring certifications are raised without a new fact. */
static void daily(notifier_t *n)
{
    PGconn *c = db(n);
    if (!c)
        return;
    char d[16];
    pcs_day_format(today(n), d);
    const char *p[1] = {d};
    pcs_err_t err = {0};
    PGresult *r = NULL;
    int rc = pcs_db_query(c, "BEGIN", 0, NULL, NULL, &err);
    if (rc == 0)
        rc = pcs_db_query(c, "INSERT INTO notifier_state (name) VALUES ('main') ON CONFLICT DO NOTHING", 0, NULL, NULL,
                          &err);
    if (rc == 0)
        rc = pcs_db_query(c,
                          "UPDATE notifier_state SET daily_last = $1::date WHERE name = 'main'"
                          " AND (daily_last IS NULL OR daily_last < $1::date) RETURNING 1",
                          1, p, &r, &err);
    if (rc == 0 && PQntuples(r) == 1) {
        PQclear(r);
        r = NULL;
        rc = pcs_db_query(c,
                          "WITH due AS (SELECT partner_id FROM enrollments WHERE anniversary_date BETWEEN $1::date"
                          "   AND $1::date + 60 AND enrolled_date <= $1::date"
                          " UNION SELECT partner_id FROM scoring_certs WHERE expires BETWEEN $1::date AND $1::date + 60)"
                          " INSERT INTO outbox (kind, partners) SELECT 'rescore', array_agg(partner_id ORDER BY partner_id)"
                          " FROM due HAVING count(*) > 0 RETURNING cardinality(partners)",
                          1, p, &r, &err);
        if (rc == 0)
            pcs_log(PCS_LOG_INFO, "notifier", "daily", "%s: %s partners with a renewal or certifications due asked to be rescored",
                    d, PQntuples(r) ? PQgetvalue(r, 0, 0) : "no");
    }
    if (rc == 0)
        rc = pcs_db_query(c, "COMMIT", 0, NULL, NULL, &err);
    PQclear(r);
    if (rc < 0) {
        pcs_db_query(c, "ROLLBACK", 0, NULL, NULL, NULL);
        pcs_log(PCS_LOG_WARN, "notifier", "daily", "%s", err.msg);
    }
}

/* ---- delivery ------------------------------------------------------------------------------------ */

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    (void)ud;
    return size * nmemb;
}

static int deliver_webhook(notifier_t *n, const char *body, const char *key, const char *id, char *why, size_t wn)
{
    unsigned char mac[32];
    char hex[65], sig[100], idem[900], did[64];
    pcs_hmac_sha256(n->cfg.webhook_secret, strlen(n->cfg.webhook_secret), body, strlen(body), mac);
    pcs_sha256_hex(mac, hex);
    snprintf(sig, sizeof sig, "X-PCS-Signature: sha256=%s", hex);
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", key);
    snprintf(did, sizeof did, "X-PCS-Alert-Id: %s", id);
    if (!n->curl && !(n->curl = curl_easy_init()))
        return snprintf(why, wn, "curl: cannot initialise"), -1;
    CURL *c = n->curl;
    curl_easy_reset(c);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, sig);
    h = curl_slist_append(h, idem);
    h = curl_slist_append(h, did);
    curl_easy_setopt(c, CURLOPT_URL, n->cfg.webhook_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)n->cfg.webhook_timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)n->cfg.webhook_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    if (cc != CURLE_OK)
        return snprintf(why, wn, "%s", curl_easy_strerror(cc)), -1;   /* never the URL's secret parts */
    if (status < 200 || status > 299)
        return snprintf(why, wn, "HTTP %ld", status), -1;
    return 0;
}

/* Whether the file already holds the alert (a crash between the write and the mark). */
static bool file_has(const char *path, const char *marker)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, f) != -1)
        found = strstr(line, marker) != NULL;
    free(line);
    fclose(f);
    return found;
}

static int deliver_file(notifier_t *n, const char *body, const char *id, int attempts, char *why, size_t wn)
{
    char marker[64];
    snprintf(marker, sizeof marker, "{\"alert_id\":%s,", id);
    if (attempts > 0 && file_has(n->cfg.file_path, marker))
        return 0;   /* written before a crash, not yet marked: exactly once */
    int fd = open(n->cfg.file_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return snprintf(why, wn, "%s: %s", n->cfg.file_path, strerror(errno)), -1;
    size_t len = strlen(body);
    char *line = malloc(len + 2);
    if (!line) {
        close(fd);
        return snprintf(why, wn, "out of memory"), -1;
    }
    memcpy(line, body, len);
    line[len] = '\n';
    ssize_t w = write(fd, line, len + 1);
    free(line);
    int rc = (w == (ssize_t)(len + 1) && fsync(fd) == 0) ? 0 : -1;
    if (rc < 0)
        snprintf(why, wn, "%s: %s", n->cfg.file_path, strerror(errno));
    close(fd);
    return rc;
}

/* Delivers what is due. Before an attempt the attempt is counted (committed), so after a crash
 * the file sink looks for the alert before writing it again; a webhook carries the alert's dedup
 * key as Idempotency-Key for the same reason. */
static void deliver_due(notifier_t *n)
{
    PGconn *c = db(n);
    if (!c) {
        retry_later(n);
        return;
    }
    pcs_err_t err = {0};
    PGresult *r;
    if (pcs_db_query(c,
                     "SELECT d.alert_id::text, d.sink, d.attempts, a.dedup_key, a.event, a.partner_id, a.area, a.severity,"
                     " a.as_of::text, a.rule_set, to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                     " a.payload::text"
                     " FROM alert_deliveries d JOIN alerts a USING (alert_id)"
                     " WHERE d.state = 'pending' AND d.next_attempt_at <= now() ORDER BY d.alert_id, d.sink LIMIT 100",
                     0, NULL, &r, &err) < 0) {
        pcs_log(PCS_LOG_WARN, "notifier", "deliver", "%s", err.msg);
        retry_later(n);
        return;
    }
    int rows = PQntuples(r);
    for (int i = 0; i < rows && !n->stopping; i++) {
        const char *id = PQgetvalue(r, i, 0), *sink = PQgetvalue(r, i, 1), *key = PQgetvalue(r, i, 3);
        int attempts = atoi(PQgetvalue(r, i, 2));
        /* the alert as one compact JSON object, alert_id first (the file sink finds it by that) */
        json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "alert_id",
                              (json_int_t)strtoll(id, NULL, 10), "event", PQgetvalue(r, i, 4), "partner_id",
                              PQgetvalue(r, i, 5), "area", PQgetvalue(r, i, 6), "severity", PQgetvalue(r, i, 7),
                              "dedup_key", key, "as_of", PQgetvalue(r, i, 8), "rules", PQgetvalue(r, i, 9), "created",
                              PQgetvalue(r, i, 10), "payload", json_loads(PQgetvalue(r, i, 11), 0, NULL));
        char *body = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
        json_decref(o);
        if (!body)
            break;
        const char *p[2] = {id, sink};
        if (pcs_db_query(c, "UPDATE alert_deliveries SET attempts = attempts + 1 WHERE alert_id = $1 AND sink = $2", 2, p,
                         NULL, &err) < 0) {
            free(body);
            break;
        }
        char why[512] = "";
        int rc;
        if (strcmp(sink, "log") == 0)
            rc = fprintf(stderr, "%s\n", body) > 0 && fflush(stderr) == 0 ? 0 : -1;
        else if (strcmp(sink, "file") == 0)
            rc = n->cfg.file_path[0] ? deliver_file(n, body, id, attempts, why, sizeof why)
                                     : (snprintf(why, sizeof why, "file sink not configured"), -1);
        else
            rc = n->cfg.webhook_url[0] ? deliver_webhook(n, body, key, id, why, sizeof why)
                                       : (snprintf(why, sizeof why, "webhook sink not configured"), -1);
        free(body);
        if (rc == 0) {
            pcs_db_query(c, "UPDATE alert_deliveries SET state = 'delivered', delivered_at = now(), last_error = NULL"
                            " WHERE alert_id = $1 AND sink = $2",
                         2, p, NULL, &err);
            continue;
        }
        /* exponential backoff from the attempts made; given up after webhook_max_attempts */
        char backoff[32], max[32];
        snprintf(backoff, sizeof backoff, "%lld", (long long)n->cfg.webhook_backoff_ms);
        snprintf(max, sizeof max, "%lld", (long long)n->cfg.webhook_max_attempts);
        const char *q[5] = {id, sink, why, backoff, max};
        PGresult *u;
        if (pcs_db_query(c,
                         "UPDATE alert_deliveries SET last_error = $3,"
                         " state = CASE WHEN attempts >= $5::int THEN 'failed' ELSE 'pending' END,"
                         " next_attempt_at = now() + least($4::bigint * (2 ^ least(attempts - 1, 20))::bigint, 3600000)"
                         "   * interval '1 millisecond'"
                         " WHERE alert_id = $1 AND sink = $2 RETURNING state, attempts",
                         5, q, &u, &err) == 0) {
            pcs_log(PCS_LOG_WARN, "notifier", "deliver", "alert %s to %s: attempt %s failed: %s%s", id, sink,
                    PQgetvalue(u, 0, 1), why, strcmp(PQgetvalue(u, 0, 0), "failed") == 0 ? " (given up)" : "");
            PQclear(u);
        }
    }
    PQclear(r);
    /* the next due attempt, or another round when this one was full */
    PGresult *nx;
    if (rows == 100) {
        schedule_delivery(n, 0);
    } else if (pcs_db_query(c,
                            "SELECT greatest(0, extract(epoch FROM min(next_attempt_at) - now()) * 1000)::bigint"
                            " FROM alert_deliveries WHERE state = 'pending'",
                            0, NULL, &nx, &err) == 0) {
        if (!PQgetisnull(nx, 0, 0))
            schedule_delivery(n, (uint64_t)strtoll(PQgetvalue(nx, 0, 0), NULL, 10) + 1);
        PQclear(nx);
    }
}

static void on_deliver_timer(uv_timer_t *t)
{
    deliver_due(t->data);
}

/* ---- timers, messages, signals -------------------------------------------------------------------- */

static void on_hint_timer(uv_timer_t *t)
{
    raise_new(t->data);
}

static void retry_later(notifier_t *n)
{
    n->backoff_ms = n->backoff_ms ? n->backoff_ms * 2 : 250;
    if (n->backoff_ms > 30000)
        n->backoff_ms = 30000;
    if (!n->stopping && !uv_is_active((uv_handle_t *)&n->hint_timer))
        uv_timer_start(&n->hint_timer, on_hint_timer, n->backoff_ms, 0);
}

static void on_tick(uv_timer_t *t)
{
    notifier_t *n = t->data;
    daily(n);
    raise_new(n);
    deliver_due(n);
}

/* score.updated: two frames, the topic and the envelope. Anything else is logged and dropped. A
 * message only says "read the new results"; a burst is one read. */
static void on_sub(pcs_zsock_t *z, const pcs_zmsg_t *m, void *arg)
{
    (void)z;
    notifier_t *n = arg;
    const char *why = NULL;
    if (m->error) {
        pcs_log(PCS_LOG_WARN, "notifier", "sub", "dropped a malformed message: %s", m->error);
        return;
    }
    if (strcmp(m->env->type, "score.updated") != 0)
        why = "not a score.updated message";
    else if (!json_is_string(json_object_get(m->env->body, "partner_id")) ||
             !json_is_string(json_object_get(m->env->body, "area")))
        why = "body without partner_id and area";
    if (why)
        pcs_log(PCS_LOG_WARN, "notifier", "sub", "dropped a message: %s", why);
    else if (!uv_is_active((uv_handle_t *)&n->hint_timer))
        uv_timer_start(&n->hint_timer, on_hint_timer, 20, 0);
}

/* ---- the daemon ----------------------------------------------------------------------------------- */

static int start(pcs_daemon_t *d, void *app)
{
    notifier_t *n = app;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    n->loop = pcs_daemon_loop(d);
    pcs_zsock_opts_t so = {.type = ZMQ_SUB, .connect = n->cfg.sub_endpoint, .subscribe = "score.updated",
                           .max_msg_bytes = n->cfg.common.zmq_max_msg_bytes, .frames = 2, .envelope_frame = 2};
    pcs_err_t err = {0};
    if (!(n->sub = pcs_zsock_new(n->loop, pcs_daemon_zctx(d), &so, on_sub, n, &err))) {
        pcs_log(PCS_LOG_ERROR, "notifier", "main", "%s", err.msg);
        return 1;
    }
    uv_timer_init(n->loop, &n->tick);
    uv_timer_init(n->loop, &n->hint_timer);
    uv_timer_init(n->loop, &n->deliver_timer);
    n->tick.data = n->hint_timer.data = n->deliver_timer.data = n;
    uv_timer_start(&n->tick, on_tick, 0, (uint64_t)n->cfg.catch_up_ms);
    return 0;
}

/* the webhook secret is never logged; the URL is not either (it may carry a token) */
static void describe(void *app, char *buf, size_t len)
{
    notifier_t *n = app;
    snprintf(buf, len, "sub %s, rule set %s, sinks:%s%s%s%s%s", n->cfg.sub_endpoint, n->cfg.rule_set,
             strcmp(n->cfg.log_min_severity, "off") ? " log" : "", n->cfg.file_path[0] ? " file " : "",
             n->cfg.file_path, n->cfg.webhook_url[0] ? " webhook " : "", n->cfg.webhook_url[0] ? "(configured)" : "");
}

static void reload(pcs_daemon_t *d, void *app, const bool *changed)
{
    (void)d;
    notifier_t *n = app;
    if (pcs_config_changed(config_keys, N_KEYS, changed, "db")) {
        PQfinish(n->db);
        n->db = NULL;
    }
    uv_timer_set_repeat(&n->tick, (uint64_t)n->cfg.catch_up_ms);
    pcs_log(PCS_LOG_INFO, "notifier", "config", "reloaded (routing and sinks)");
    schedule_delivery(n, 0);
}

static void drain(pcs_daemon_t *d, void *app)
{
    (void)d;
    notifier_t *n = app;
    n->stopping = true;
    pcs_zsock_destroy(&n->sub);
    uv_handle_t *hs[] = {(uv_handle_t *)&n->tick, (uv_handle_t *)&n->hint_timer, (uv_handle_t *)&n->deliver_timer};
    pcs_daemon_close_handles(hs, sizeof hs / sizeof *hs);
}

static void stop(void *app)
{
    notifier_t *n = app;
    pcs_zsock_destroy(&n->sub);
    PQfinish(n->db);
    if (n->curl)
        curl_easy_cleanup(n->curl);
    curl_global_cleanup();
}

static const pcs_daemon_spec_t spec = {
    .name = "notifier",
    .summary = "Raises the alerts of the scores pcs-scorer stores (renewal due, designation at risk, a\n"
               "certification expiring that would cost points, net customer adds about to drop, a metric at\n"
               "zero blocking a qualifying score, close to 70, the other track qualifying, newly qualified),\n"
               "each once per dedup key, and delivers them to the log, a JSON Lines file and a webhook (HMAC\n"
               "signed, retried with backoff across restarts).",
    .signals = "SIGTERM/SIGINT finish the delivery in hand and exit (a second one exits at once);\n"
               "SIGHUP reloads the configuration, the routing and the sinks (sub_endpoint needs a restart).",
    PCS_DAEMON_CONFIG(notifier_t, config_keys),
    .validate = validate,
    .start = start, .describe = describe, .reload = reload, .drain = drain, .stop = stop,
};

int main(int argc, char **argv)
{
    static notifier_t nt;
    return pcs_daemon_main(&spec, &nt, argc, argv);
}
