/* pcs_deliver: the delivery of notifications (see pcs_deliver.h). */
#include "pcs_deliver.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_db.h"
#include "pcs_log.h"
#include "pcs_sink.h"

#define SINK_MAX 16

typedef struct flight {   /* one attempt in flight */
    pcs_deliver_t *d;
    int sink;
    char id[32];
    const unsigned char *sink_cfgs;
    PGresult *rows;        /* the items (strings of the notice point into it) */
    pcs_item_t *items;
    json_t *doc;
    char *json;
    json_t *sent;          /* the alert ids carried */
    pcs_notice_t notice;
    char idem[80];
} flight_t;

struct pcs_deliver {
    pcs_curl_uv_t *cu;
    PGconn *(*db)(void *ud);
    void (*kick)(void *ud);
    void *ud;
    flight_t *busy[SINK_MAX];
    int n_busy;
};

pcs_deliver_t *pcs_deliver_new(pcs_curl_uv_t *cu, PGconn *(*db)(void *ud), void (*kick)(void *ud), void *ud)
{
    pcs_deliver_t *d = calloc(1, sizeof *d);
    if (d) {
        d->cu = cu;
        d->db = db;
        d->kick = kick;
        d->ud = ud;
    }
    return d;
}

static void flight_free(flight_t *f)
{
    if (!f)
        return;
    PQclear(f->rows);
    free(f->items);
    json_decref(f->doc);
    free(f->json);
    json_decref(f->sent);
    free(f);
}

void pcs_deliver_destroy(pcs_deliver_t **pd)
{
    pcs_deliver_t *d = pd ? *pd : NULL;
    if (!d)
        return;
    *pd = NULL;
    /* transfers are aborted by pcs_curl_uv_destroy (their done is not called): the attempts stay
     * counted and are retried after a restart */
    for (int i = 0; i < SINK_MAX; i++)
        flight_free(d->busy[i]);
    free(d);
}

int pcs_deliver_busy(const pcs_deliver_t *d)
{
    return d ? d->n_busy : 0;
}

static void record(flight_t *f, int rc, const char *why)
{
    pcs_deliver_t *d = f->d;
    PGconn *c = d->db(d->ud);
    const pcs_route_t *r = (const pcs_route_t *)(f->sink_cfgs + (size_t)f->sink * PCS_SINK_CFG_SIZE);
    const char *sink = pcs_sinks[f->sink]->name;
    pcs_err_t err = {0};
    if (!c) {
        /* the attempt stays counted; the row comes due again after the transfer window */
    } else if (rc == 0) {
        char *sent = json_dumps(f->sent, JSON_COMPACT);
        if (sent) {   /* [1,2] -> {1,2} */
            sent[0] = '{';
            sent[strlen(sent) - 1] = '}';
        }
        const char *p[3] = {f->id, sink, sent ? sent : "{}"};
        if (pcs_db_query(c,
                         "UPDATE deliveries SET state = 'delivered', delivered_at = now(), last_error = NULL,"
                         " sent = $3::bigint[] WHERE notification_id = $1 AND sink = $2",
                         3, p, NULL, &err) < 0)
            pcs_log(PCS_LOG_WARN, "notifier", "deliver", "notification %s to %s: delivered, not recorded: %s", f->id, sink,
                    err.msg);
        free(sent);
    } else {
        char backoff[32], max[32];
        snprintf(backoff, sizeof backoff, "%lld", (long long)r->backoff_ms);
        snprintf(max, sizeof max, "%lld", (long long)r->max_attempts);
        const char *p[5] = {f->id, sink, why && *why ? why : "failed", backoff, max};
        PGresult *u = NULL;
        if (pcs_db_query(c,
                         "UPDATE deliveries SET last_error = $3,"
                         " state = CASE WHEN attempts >= $5::int THEN 'failed' ELSE 'pending' END,"
                         " next_attempt_at = now() + least($4::bigint * (2 ^ least(attempts - 1, 20))::bigint, 3600000)"
                         "   * interval '1 millisecond'"
                         " WHERE notification_id = $1 AND sink = $2 RETURNING state, attempts",
                         5, p, &u, &err) == 0 &&
            PQntuples(u) == 1)
            pcs_log(PCS_LOG_WARN, "notifier", "deliver", "notification %s to %s: attempt %s failed: %s%s", f->id, sink,
                    PQgetvalue(u, 0, 1), p[2], strcmp(PQgetvalue(u, 0, 0), "failed") == 0 ? " (given up)" : "");
        else
            pcs_log(PCS_LOG_WARN, "notifier", "deliver", "notification %s to %s: failed (%s), not recorded: %s", f->id,
                    sink, p[2], err.msg);
        PQclear(u);
    }
    d->busy[f->sink] = NULL;
    d->n_busy--;
    flight_free(f);
    d->kick(d->ud);
}

static void on_done(void *ud, int rc, const char *why)
{
    record(ud, rc, why);
}

static const char items_sql[] =
    "SELECT n.partner_id, n.reason, to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  floor(extract(epoch FROM n.created_at))::bigint::text,"
    "  i.alert_id::text, i.transition, i.severity, i.summary, i.action, i.payload::text, a.state, a.event, a.area,"
    "  a.dedup_key, a.alert_key, a.as_of::text, a.rule_set,"
    "  to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  to_char(a.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  to_char(a.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    /* a resolve goes only where the firing went */
    "  i.transition <> 'resolved' OR EXISTS (SELECT 1 FROM notification_items i2 JOIN deliveries d2"
    "    ON d2.notification_id = i2.notification_id AND d2.sink = $2 AND d2.state = 'delivered'"
    "    WHERE i2.alert_id = i.alert_id AND i2.notification_id < i.notification_id AND i.alert_id = ANY (d2.sent))"
    " FROM notifications n JOIN notification_items i USING (notification_id) JOIN alerts a USING (alert_id)"
    " WHERE n.notification_id = $1::bigint"
    " ORDER BY i.transition = 'resolved', CASE i.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, i.alert_id";

static json_t *sval(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The items of one notification this sink still takes, as a notice. 1: something to send; 0:
 * nothing left; -1: error. */
static int build(flight_t *f, PGconn *c, int attempt, pcs_err_t *err)
{
    const char *sink = pcs_sinks[f->sink]->name;
    const void *cfg = f->sink_cfgs + (size_t)f->sink * PCS_SINK_CFG_SIZE;
    const char *p[2] = {f->id, sink};
    if (pcs_db_query(c, items_sql, 2, p, &f->rows, err) < 0)
        return -1;
    PGresult *r = f->rows;
    int n = PQntuples(r);
    if (n == 0)
        return 0;
    f->items = calloc((size_t)n, sizeof *f->items);
    json_t *arr = json_array();
    f->sent = json_array();
    if (!f->items || !arr || !f->sent) {
        json_decref(arr);
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory"), -1;
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *tr = PQgetvalue(r, i, 5), *state = PQgetvalue(r, i, 10);
        bool resolve = strcmp(tr, "resolved") == 0;
        if (!pcs_sink_takes(f->sink, cfg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 6), tr))
            continue;
        if (!resolve && strcmp(state, "firing") != 0)
            continue;   /* its cause vanished before delivery */
        if (resolve && PQgetvalue(r, i, 20)[0] != 't')
            continue;   /* this sink never got the firing */
        pcs_item_t *it = &f->items[k++];
        *it = (pcs_item_t){strtoll(PQgetvalue(r, i, 4), NULL, 10), tr, state, PQgetvalue(r, i, 11), PQgetvalue(r, i, 0),
                           PQgetvalue(r, i, 12), PQgetvalue(r, i, 6), PQgetvalue(r, i, 13), PQgetvalue(r, i, 14),
                           PQgetvalue(r, i, 15), PQgetvalue(r, i, 16), PQgetvalue(r, i, 17), PQgetvalue(r, i, 18),
                           PQgetisnull(r, i, 19) ? NULL : PQgetvalue(r, i, 19), PQgetvalue(r, i, 7), PQgetvalue(r, i, 8),
                           NULL};
        json_t *pl = json_loads(PQgetvalue(r, i, 9), 0, NULL);
        json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o}",
                              "alert_id", (json_int_t)it->alert_id, "transition", tr, "state", state, "event", it->event,
                              "partner_id", it->partner_id, "area", it->area, "severity", it->severity, "dedup_key",
                              it->dedup_key, "alert_key", it->alert_key, "as_of", it->as_of, "rules", it->rules,
                              "first_seen", it->first_seen, "last_seen", it->last_seen, "resolved_at",
                              sval(it->resolved_at), "summary", it->summary, "action", it->action, "payload",
                              pl ? pl : json_object());
        if (!o) {
            json_decref(arr);
            return pcs_err_set(err, PCS_ENOMEM, 0, 0, "an alert could not be encoded (not UTF-8?)"), -1;
        }
        it->payload = json_object_get(o, "payload");
        json_array_append_new(arr, o);
        json_array_append_new(f->sent, json_integer((json_int_t)it->alert_id));
    }
    if (k == 0) {
        json_decref(arr);
        return 0;
    }
    snprintf(f->idem, sizeof f->idem, "pcs-%s-%s", f->id, PQgetvalue(r, 0, 3));
    f->notice = (pcs_notice_t){strtoll(f->id, NULL, 10), PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
                               f->idem, attempt, k, f->items, NULL};
    char *title = pcs_notice_title(&f->notice);
    /* notification_id first: the file sink finds a line by it */
    f->doc = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "notification_id", (json_int_t)f->notice.notification_id,
                       "partner_id", f->notice.partner_id, "reason", f->notice.reason, "created", f->notice.created,
                       "idempotency_key", f->idem, "title", title ? title : "", "alerts", arr);
    free(title);
    if (!f->doc || !(f->json = json_dumps(f->doc, JSON_COMPACT | JSON_REAL_PRECISION(15))))
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory"), -1;
    f->notice.json = f->json;
    return 1;
}

/* One attempt of sink s at notification id. */
static int attempt(pcs_deliver_t *d, PGconn *c, const unsigned char *cfgs, int s, const char *id, int attempts,
                   pcs_err_t *err)
{
    flight_t *f = calloc(1, sizeof *f);
    if (!f)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory"), -1;
    f->d = d;
    f->sink = s;
    f->sink_cfgs = cfgs;
    snprintf(f->id, sizeof f->id, "%s", id);
    const char *sink = pcs_sinks[s]->name;
    const pcs_route_t *r = (const pcs_route_t *)(cfgs + (size_t)s * PCS_SINK_CFG_SIZE);
    int b = build(f, c, attempts + 1, err);
    if (b <= 0) {
        flight_free(f);
        if (b < 0)
            return -1;
        const char *p[2] = {id, sink};
        if (pcs_db_query(c,
                         "UPDATE deliveries SET state = 'cancelled', last_error = 'nothing left to send: resolved before"
                         " delivery, or a resolve of an alert this sink never got' WHERE notification_id = $1 AND sink = $2",
                         2, p, NULL, err) < 0)
            return -1;
        return 1;   /* the sink's next row may be due at once */
    }
    /* count the attempt and keep the row out of reach while it runs (committed before sending) */
    char window[32];
    snprintf(window, sizeof window, "%lld", (long long)r->timeout_ms + 5000);
    const char *p[3] = {id, sink, window};
    PGresult *claim = NULL;
    /* the claim: a second notifier that read the same head finds the row taken (or done) */
    if (pcs_db_query(c,
                     "UPDATE deliveries SET attempts = attempts + 1,"
                     " next_attempt_at = now() + $3::bigint * interval '1 millisecond'"
                     " WHERE notification_id = $1 AND sink = $2 AND state = 'pending' AND next_attempt_at <= now()"
                     " RETURNING 1",
                     3, p, &claim, err) < 0) {
        flight_free(f);
        return -1;
    }
    int taken = PQntuples(claim);
    PQclear(claim);
    if (!taken) {
        flight_free(f);
        return 0;
    }
    d->busy[s] = f;
    d->n_busy++;
    pcs_sink_ctx_t ctx = {d->cu, r};
    if (pcs_sinks[s]->deliver(&ctx, &f->notice, on_done, f) < 0)
        record(f, -1, "could not start the delivery");
    return 0;
}

int pcs_deliver_run(pcs_deliver_t *d, const unsigned char *cfgs, int64_t *next_ms, pcs_err_t *err)
{
    PGconn *c = d->db(d->ud);
    *next_ms = -1;
    if (!c)
        return pcs_err_set(err, PCS_EIO, 0, 0, "no database connection"), -1;
    PGresult *r;
    /* the head of each sink's queue */
    if (pcs_db_query(c,
                     "SELECT DISTINCT ON (sink) sink, notification_id::text, attempts,"
                     " greatest(0, ceil(extract(epoch FROM next_attempt_at - now()) * 1000))::bigint"
                     " FROM deliveries WHERE state = 'pending' ORDER BY sink, notification_id",
                     0, NULL, &r, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *sink = PQgetvalue(r, i, 0);
        int s = -1;
        for (int k = 0; k < pcs_sinks_n && k < SINK_MAX; k++)
            if (strcmp(pcs_sinks[k]->name, sink) == 0)
                s = k;
        const void *cfg = s >= 0 ? cfgs + (size_t)s * PCS_SINK_CFG_SIZE : NULL;
        if (s < 0 || !pcs_sinks[s]->enabled(cfg) || strcmp(((const pcs_route_t *)cfg)->min_severity, "off") == 0) {
            /* a sink no longer configured: its queue is closed, not retried for ever */
            const char *p[1] = {sink};
            rc = pcs_db_query(c,
                              "UPDATE deliveries SET state = 'cancelled', last_error = 'sink no longer configured'"
                              " WHERE sink = $1 AND state = 'pending'",
                              1, p, NULL, err);
            continue;
        }
        if (d->busy[s])
            continue;
        int64_t wait = strtoll(PQgetvalue(r, i, 3), NULL, 10);
        if (wait > 0) {
            if (*next_ms < 0 || wait < *next_ms)
                *next_ms = wait;
            continue;
        }
        rc = attempt(d, c, cfgs, s, PQgetvalue(r, i, 1), atoi(PQgetvalue(r, i, 2)), err);
        if (rc == 1)
            *next_ms = 0, rc = 0;
        /* otherwise the sink's next row is looked at when this attempt ends (kick) */
    }
    PQclear(r);
    return rc;
}
