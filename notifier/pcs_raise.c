/* pcs_raise: settled results -> alert transitions -> notifications (see pcs_raise.h). */
#include "pcs_raise.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_sink.h"
#include "pcs_alert_text.h"

#define BATCH 100

char *pcs_raise_alert_key(const char *dedup_key)
{
    const char *c = strrchr(dedup_key, ':');
    size_t n = c ? (size_t)(c - dedup_key) : strlen(dedup_key);
    char *k = malloc(n + 1);
    if (k) {
        memcpy(k, dedup_key, n);
        k[n] = '\0';
    }
    return k;
}

static int words(const pcs_raise_cfg_t *cfg, const char *event, const char *area, const json_t *payload,
                 const char *as_of, bool resolved, char **summary, char **action)
{
    int32_t d = cfg->today;
    if (as_of)
        pcs_day_parse(as_of, &d);
    pcs_alert_text_in_t in = {event, area, payload, d, cfg->today, cfg->rules};
    return pcs_alert_text_build(&in, resolved, summary, action);
}

static int q(PGconn *db, const char *sql, int n, const char *const *p, PGresult **r, pcs_err_t *err)
{
    return pcs_db_query(db, sql, n, p, r, err);
}

static void rollback(PGconn *db)
{
    pcs_db_query(db, "ROLLBACK", 0, NULL, NULL, NULL);
}

/* ---- one partner's transitions ---------------------------------------------------------------- */

/* A condition the latest settled result raises. */
typedef struct cond {
    char *alert_key;
    const char *dedup_key, *event, *area, *severity;
    json_t *payload;   /* owned */
    bool held;         /* an existing firing alert holds it */
    bool inhibited;    /* a graver alert of the same area says it already (not notified) */
} cond_t;

typedef struct conds {
    cond_t *v;
    int n, cap;
} conds_t;

static void conds_free(conds_t *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->v[i].alert_key);
        json_decref(c->v[i].payload);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

static int conds_add(conds_t *c, const char *dedup_key, const char *event, const char *area, const char *severity,
                     json_t *payload)
{
    char *key = pcs_raise_alert_key(dedup_key);
    if (!key) {
        json_decref(payload);
        return -1;
    }
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->v[i].alert_key, key) == 0) {   /* one alert per condition */
            free(key);
            json_decref(payload);
            return 0;
        }
    if (c->n == c->cap) {
        int nc = c->cap ? c->cap * 2 : 16;
        cond_t *nv = realloc(c->v, (size_t)nc * sizeof *nv);
        if (!nv) {
            free(key);
            json_decref(payload);
            return -1;
        }
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = (cond_t){key, dedup_key, event, area, severity, payload, false, false};
    return 0;
}

/* The conditions of a result document: its §13 events, and newly_qualified when an area qualifies
 * now and did not in the previous month of its history. Strings point into doc. */
static int conds_of(json_t *doc, conds_t *out, char newly_keys[][400], int max_newly)
{
    const char *partner = json_string_value(json_object_get(doc, "partner_id"));
    const char *month = json_string_value(json_object_get(doc, "data_month"));
    size_t i, k;
    json_t *a, *ev;
    int nn = 0;
    if (!partner)
        return 0;
    json_array_foreach(json_object_get(doc, "areas"), i, a) {
        const char *area = json_string_value(json_object_get(a, "area"));
        if (!area)
            continue;
        json_array_foreach(json_object_get(a, "events"), k, ev) {
            const char *key = json_string_value(json_object_get(ev, "dedup_key"));
            const char *event = json_string_value(json_object_get(ev, "event"));
            const char *sev = json_string_value(json_object_get(ev, "severity"));
            json_t *pl = json_object_get(ev, "payload");
            if (key && event && sev && pcs_severity_rank(sev) < 3 &&
                conds_add(out, key, event, area, sev, json_incref(pl ? pl : json_object())) < 0)
                return -1;
        }
        json_t *hist = json_object_get(a, "history");
        size_t nh = json_array_size(hist);
        bool now_q = json_is_true(json_object_get(a, "qualified"));
        bool before_q = nh >= 2 && json_is_true(json_object_get(json_array_get(hist, nh - 2), "qualified"));
        if (now_q && !before_q && nh >= 2 && month && nn < max_newly) {
            snprintf(newly_keys[nn], 400, "%s:%s:newly_qualified:%s", partner, area, month);
            json_t *pl = json_pack("{s:O, s:O, s:O}", "score", json_object_get(a, "score"), "track",
                                   json_object_get(a, "track"), "status", json_object_get(a, "status"));
            if (!pl || conds_add(out, newly_keys[nn], "newly_qualified", area, "info", pl) < 0)
                return -1;
            nn++;
        }
    }
    return 0;
}

typedef struct notice_w {   /* the notification of one partner, written on first need */
    PGconn *db;
    const pcs_raise_cfg_t *cfg;
    const char *partner, *as_of, *reason;
    char id[32];
    bool sink_takes[16];
    pcs_err_t *err;
} notice_w_t;

static int notice_item(notice_w_t *w, const char *alert_id, const char *transition, const char *severity,
                       const char *summary, const char *action, const char *payload)
{
    if (!w->id[0]) {
        PGresult *r;
        const char *p[3] = {w->partner, w->reason, w->as_of};
        if (q(w->db, "INSERT INTO notifications (partner_id, reason, as_of) VALUES ($1, $2, $3::date) RETURNING notification_id",
              3, p, &r, w->err) < 0)
            return -1;
        snprintf(w->id, sizeof w->id, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    const char *p[7] = {w->id, alert_id, transition, severity, summary, action, payload};
    if (q(w->db,
          "INSERT INTO notification_items (notification_id, alert_id, transition, severity, summary, action, payload)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
          7, p, NULL, w->err) < 0)
        return -1;
    for (int s = 0; s < pcs_sinks_n && s < 16; s++)
        if (pcs_sink_takes(s, w->cfg->sink_cfgs + (size_t)s * PCS_SINK_CFG_SIZE, w->partner, severity, transition))
            w->sink_takes[s] = true;
    return 0;
}

static int notice_end(notice_w_t *w, int64_t delay_ms, int *notifications)
{
    if (!w->id[0])
        return 0;
    char delay[32];
    snprintf(delay, sizeof delay, "%lld", (long long)delay_ms);
    for (int s = 0; s < pcs_sinks_n && s < 16; s++) {
        if (!w->sink_takes[s])
            continue;
        const char *p[3] = {w->id, pcs_sinks[s]->name, delay};
        if (q(w->db,
              "INSERT INTO deliveries (notification_id, sink, next_attempt_at)"
              " VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond')",
              3, p, NULL, w->err) < 0)
            return -1;
    }
    (*notifications)++;
    return 0;
}

/* Frees the words of one alert; wr < 0 without a reason means memory ran out. Returns wr. */
static int item_end(int wr, char *summary, char *action, char *payload, pcs_err_t *err)
{
    free(summary);
    free(action);
    free(payload);
    if (wr < 0 && err && !err->msg[0])
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory building an alert");
    return wr;
}

/* Inhibition (as Alertmanager's inhibit rules): while the source alert fires for an area, the
 * targets of the same area are stored and shown but not notified; it says the same, louder. */
static const char *const inhibit_rules[][2] = {
    {"designation_at_risk", "near_threshold"},
    {"designation_at_risk", "renewal_reminder"},
};

static void inhibit(conds_t *cs)
{
    for (int t = 0; t < cs->n; t++)
        for (int s = 0; s < cs->n; s++)
            for (size_t r = 0; r < sizeof inhibit_rules / sizeof *inhibit_rules; r++)
                if (strcmp(cs->v[t].event, inhibit_rules[r][1]) == 0 && strcmp(cs->v[s].event, inhibit_rules[r][0]) == 0 &&
                    strcmp(cs->v[t].area, cs->v[s].area) == 0)
                    cs->v[t].inhibited = true;
}

/* The partner's transitions against its latest result doc (NULL: no result; everything resolves). */
static int partner_round(PGconn *db, const pcs_raise_cfg_t *cfg, const char *partner, const char *as_of, json_t *doc,
                         pcs_raise_stats_t *st, pcs_err_t *err)
{
    conds_t cs = {0};
    char newly[8][400];
    PGresult *fr = NULL;
    int rc = -1;
    if (doc && conds_of(doc, &cs, newly, 8) < 0) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory reading a result");
        goto out;
    }
    inhibit(&cs);
    const char *pp[2] = {partner, cfg->rule_set};
    if (q(db,
          "SELECT alert_id::text, alert_key, severity, event, area, as_of::text, payload::text FROM alerts"
          " WHERE partner_id = $1 AND rule_set = $2 AND state = 'firing' ORDER BY alert_id FOR UPDATE",
          2, pp, &fr, err) < 0)
        goto out;
    notice_w_t w = {db, cfg, partner, as_of, "change", "", {0}, err};
    /* firing alerts: still raised (update, maybe escalate) or resolved */
    for (int i = 0; i < PQntuples(fr); i++) {
        const char *id = PQgetvalue(fr, i, 0), *key = PQgetvalue(fr, i, 1), *sev = PQgetvalue(fr, i, 2);
        cond_t *c = NULL;
        for (int k = 0; k < cs.n && !c; k++)
            if (!cs.v[k].held && strcmp(cs.v[k].alert_key, key) == 0)
                c = &cs.v[k];
        char *summary = NULL, *action = NULL, *payload = NULL;
        int wr;
        if (c) {
            c->held = true;
            bool up = pcs_severity_rank(c->severity) > pcs_severity_rank(sev);
            payload = json_dumps(c->payload, JSON_COMPACT | JSON_ENCODE_ANY);
            wr = payload ? words(cfg, c->event, c->area, c->payload, as_of, false, &summary, &action) : -1;
            if (wr == 0) {
                const char *p[8] = {id, c->dedup_key, c->severity, as_of, payload, summary, action, up ? "t" : "f"};
                wr = q(db,
                       "UPDATE alerts SET dedup_key = $2, severity = $3, as_of = $4::date, payload = $5::jsonb, summary = $6,"
                       " action = $7, last_seen = now(), notified_at = CASE WHEN $8::boolean THEN now() ELSE notified_at END"
                       " WHERE alert_id = $1",
                       8, p, NULL, err);
                if (wr == 0 && up && !c->inhibited) {
                    wr = notice_item(&w, id, "escalated", c->severity, summary, action, payload);
                    st->escalated++;
                }
            }
        } else {
            json_t *pl = json_loads(PQgetvalue(fr, i, 6), 0, NULL);
            payload = strdup(PQgetvalue(fr, i, 6));
            wr = pl && payload ? words(cfg, PQgetvalue(fr, i, 3), PQgetvalue(fr, i, 4), pl, PQgetvalue(fr, i, 5), true,
                                       &summary, &action)
                               : -1;
            json_decref(pl);
            if (wr == 0) {
                const char *p[3] = {id, summary, action};
                wr = q(db,
                       "UPDATE alerts SET state = 'resolved', resolved_at = now(), notified_at = now(), summary = $2,"
                       " action = $3 WHERE alert_id = $1",
                       3, p, NULL, err);
                if (wr == 0)
                    wr = notice_item(&w, id, "resolved", sev, summary, action, payload);
                st->resolved++;
            }
        }
        if (item_end(wr, summary, action, payload, err) < 0)
            goto out;
    }
    /* conditions no alert holds: they fire */
    for (int k = 0; k < cs.n; k++) {
        cond_t *c = &cs.v[k];
        if (c->held)
            continue;
        char *summary = NULL, *action = NULL, *payload = json_dumps(c->payload, JSON_COMPACT | JSON_ENCODE_ANY);
        int wr = payload ? words(cfg, c->event, c->area, c->payload, as_of, false, &summary, &action) : -1;
        PGresult *ir = NULL;
        if (wr == 0) {
            const char *p[11] = {c->dedup_key, c->alert_key, partner, c->area, c->event, c->severity, as_of,
                                 cfg->rule_set, payload, summary, action};
            wr = q(db,
                   "INSERT INTO alerts (dedup_key, alert_key, partner_id, area, event, severity, as_of, rule_set, payload,"
                   " summary, action, notified_at) VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9::jsonb, $10, $11, now())"
                   " RETURNING alert_id::text",
                   11, p, &ir, err);
            if (wr == 0 && !c->inhibited)
                wr = notice_item(&w, PQgetvalue(ir, 0, 0), "firing", c->severity, summary, action, payload);
            PQclear(ir);
            st->fired++;
        }
        if (item_end(wr, summary, action, payload, err) < 0)
            goto out;
    }
    rc = notice_end(&w, cfg->group_wait_ms, &st->notifications);
out:
    PQclear(fr);
    conds_free(&cs);
    return rc;
}

/* ---- the batch -------------------------------------------------------------------------------- */

/* Which claimed partners are still receiving facts: for each, 0 (settled) or the ms to wait. */
static int settle(PGconn *db, const pcs_raise_cfg_t *cfg, const char *partners_json, PGresult **out, pcs_err_t *err)
{
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)cfg->settle_ms);
    const char *p[2] = {partners_json, ms};
    /* facts of the last two settle times: the latest, and whether it stands alone (one row, a single
     * certification event: files and bursts write several) */
    return q(db,
             "WITH s AS (SELECT $2::bigint * interval '1 millisecond' AS t),"
             " f AS (SELECT p AS partner_id, o.created_at, o.kind, cardinality(o.partners) AS np"
             "   FROM outbox o CROSS JOIN LATERAL unnest(o.partners) p, s"
             "  WHERE o.created_at > now() - 2 * s.t AND o.kind <> 'rescore'"
             "    AND p IN (SELECT jsonb_array_elements_text($1::jsonb))),"
             " l AS (SELECT partner_id, max(created_at) AS last_at FROM f GROUP BY 1)"
             " SELECT l.partner_id,"
             "  CASE WHEN l.last_at <= now() - s.t THEN 0"
             "       WHEN (SELECT count(*) = 1 AND bool_and(f.kind = 'cert.changed' AND f.np = 1) FROM f"
             "              WHERE f.partner_id = l.partner_id AND f.created_at >= l.last_at - s.t) THEN 0"
             "       ELSE greatest(1, ceil(extract(epoch FROM l.last_at + s.t - now()) * 1000))::bigint END"
             " FROM l, s",
             2, p, out, err);
}

int pcs_raise_batch(PGconn *db, const pcs_raise_cfg_t *cfg, pcs_raise_stats_t *st, pcs_err_t *err)
{
    PGresult *cl = NULL, *se = NULL, *docs = NULL;
    json_t *settled = json_array();
    char *settled_text = NULL;
    int rows = 0, rc = -1;
    if (!settled) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    if (q(db, "BEGIN", 0, NULL, NULL, err) < 0)
        goto out;
    /* due rows, and held rows that a refresh of today confirmed: requested after the row's result
     * was written and finished (it rewrote the result or found it unchanged: settled either way) */
    char today[11];
    pcs_day_format(cfg->today, today);
    const char *pt[1] = {today};
    if (q(db,
          "SELECT q.partner_id, q.rule_set, q.cause,"
          "  q.cause LIKE 'refresh:%' OR EXISTS (SELECT 1 FROM refresh_runs r WHERE r.finished_at IS NOT NULL"
          "   AND r.as_of = $1::date AND r.requested_at >= q.queued_at)"
          " FROM alert_queue q WHERE q.due_at IS NULL OR q.due_at <= now()"
          "  OR EXISTS (SELECT 1 FROM refresh_runs r WHERE r.finished_at IS NOT NULL AND r.as_of = $1::date"
          "   AND r.requested_at >= q.queued_at)"
          " ORDER BY q.queued_at LIMIT 100 FOR UPDATE OF q SKIP LOCKED",
          1, pt, &cl, err) < 0)
        goto fail;
    rows = PQntuples(cl);
    /* rows of other rule sets: no alerts are raised from them */
    for (int i = 0; i < rows; i++)
        if (strcmp(PQgetvalue(cl, i, 1), cfg->rule_set) != 0) {
            const char *pd[2] = {PQgetvalue(cl, i, 0), PQgetvalue(cl, i, 1)};
            if (q(db, "DELETE FROM alert_queue WHERE partner_id = $1 AND rule_set = $2", 2, pd, NULL, err) < 0)
                goto fail;
        }
    /* settling: refresh results are settled by definition; the others wait for quiet */
    json_t *to_check = json_array();
    for (int i = 0; i < rows; i++)
        if (strcmp(PQgetvalue(cl, i, 1), cfg->rule_set) == 0 && PQgetvalue(cl, i, 3)[0] != 't')
            json_array_append_new(to_check, json_string(PQgetvalue(cl, i, 0)));
    size_t n_check = json_array_size(to_check);
    char *uc = json_dumps(to_check, JSON_COMPACT);
    json_decref(to_check);
    int src = uc ? (cfg->settle_ms > 0 && n_check ? settle(db, cfg, uc, &se, err) : 0) : -1;
    free(uc);
    if (src < 0)
        goto fail;
    for (int i = 0; i < rows; i++) {
        const char *p = PQgetvalue(cl, i, 0);
        if (strcmp(PQgetvalue(cl, i, 1), cfg->rule_set) != 0)
            continue;
        const char *wait = NULL;
        for (int k = 0; se && k < PQntuples(se) && !wait; k++)
            if (strcmp(PQgetvalue(se, k, 0), p) == 0 && strcmp(PQgetvalue(se, k, 1), "0") != 0)
                wait = PQgetvalue(se, k, 1);
        if (wait) {   /* still arriving: read again when it may have settled */
            const char *ph[3] = {p, cfg->rule_set, wait};
            if (q(db,
                  "UPDATE alert_queue SET due_at = now() + $3::bigint * interval '1 millisecond'"
                  " WHERE partner_id = $1 AND rule_set = $2",
                  3, ph, NULL, err) < 0)
                goto fail;
            st->held++;
        } else {
            json_array_append_new(settled, json_string(p));
        }
    }
    if (json_array_size(settled)) {
        if (!(settled_text = json_dumps(settled, JSON_COMPACT)))
            goto fail;
        const char *pd[3] = {cfg->rule_set, settled_text, today};
        if (q(db, "DELETE FROM alert_queue q USING (SELECT jsonb_array_elements_text($2::jsonb) p) c"
                  " WHERE q.rule_set = $1 AND q.partner_id = c.p",
              2, pd, NULL, err) < 0)
            goto fail;
        /* the partner's present: its result as of the stack's today or the latest before (a result
         * for a later date is a what-if, not the state people act on) */
        if (q(db,
              "SELECT c.p, r.as_of::text, r.document::text FROM (SELECT jsonb_array_elements_text($2::jsonb) p) c"
              " LEFT JOIN LATERAL (SELECT as_of, document FROM score_results WHERE partner_id = c.p AND rule_set = $1"
              "  AND as_of <= $3::date ORDER BY as_of DESC LIMIT 1) r ON true",
              3, pd, &docs, err) < 0)
            goto fail;
        for (int i = 0; i < PQntuples(docs); i++) {
            json_t *doc = PQgetisnull(docs, i, 2) ? NULL : json_loads(PQgetvalue(docs, i, 2), 0, NULL);
            int prc = partner_round(db, cfg, PQgetvalue(docs, i, 0), PQgetisnull(docs, i, 1) ? NULL : PQgetvalue(docs, i, 1),
                                    doc, st, err);
            json_decref(doc);
            if (prc < 0)
                goto fail;
            st->partners++;
        }
    }
    if (q(db, "COMMIT", 0, NULL, NULL, err) < 0)
        goto fail;
    rc = rows == BATCH ? 1 : 0;
    goto out;
fail:
    if (err && !err->msg[0])
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    rollback(db);
out:
    PQclear(cl);
    PQclear(se);
    PQclear(docs);
    json_decref(settled);
    free(settled_text);
    return rc;
}

/* ---- repeats, the daily check, the next due time ------------------------------------------------- */

int pcs_raise_repeats(PGconn *db, const pcs_raise_cfg_t *cfg, int *notifications, pcs_err_t *err)
{
    if (cfg->repeat_ms <= 0 && cfg->repeat_info_ms <= 0)
        return 0;
    char r1[32], r2[32];
    snprintf(r1, sizeof r1, "%lld", (long long)cfg->repeat_ms);
    snprintf(r2, sizeof r2, "%lld", (long long)cfg->repeat_info_ms);
    const char *p[3] = {cfg->rule_set, r1, r2};
    static const char due_sql[] =
        "SELECT alert_id::text, partner_id, severity, summary, action, payload::text, as_of::text FROM alerts"
        " WHERE state = 'firing' AND rule_set = $1 AND notified_at IS NOT NULL"
        /* the inhibition rules above: a firing designation_at_risk of the area says it already */
        "   AND NOT (event IN ('near_threshold', 'renewal_reminder') AND EXISTS (SELECT 1 FROM alerts s"
        "     WHERE s.partner_id = alerts.partner_id AND s.area = alerts.area AND s.rule_set = alerts.rule_set"
        "       AND s.state = 'firing' AND s.event = 'designation_at_risk'))"
        "   AND CASE WHEN severity = 'info' THEN $3::bigint > 0 AND notified_at <= now() - $3::bigint * interval '1 millisecond'"
        "            ELSE $2::bigint > 0 AND notified_at <= now() - $2::bigint * interval '1 millisecond' END"
        " ORDER BY partner_id, alert_id LIMIT 500 FOR UPDATE SKIP LOCKED";
    PGresult *r = NULL;
    if (q(db, "BEGIN", 0, NULL, NULL, err) < 0)
        return -1;
    if (q(db, due_sql, 3, p, &r, err) < 0)
        goto fail;
    notice_w_t w = {0};
    for (int i = 0; i < PQntuples(r); i++) {
        const char *partner = PQgetvalue(r, i, 1);
        if (!w.partner || strcmp(w.partner, partner) != 0) {
            if (w.partner && notice_end(&w, 0, notifications) < 0)
                goto fail;
            w = (notice_w_t){db, cfg, partner, PQgetvalue(r, i, 6), "repeat", "", {0}, err};
        }
        const char *id = PQgetvalue(r, i, 0);
        if (notice_item(&w, id, "repeat", PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
                        PQgetvalue(r, i, 5)) < 0 ||
            q(db, "UPDATE alerts SET notified_at = now() WHERE alert_id = $1", 1, &id, NULL, err) < 0)
            goto fail;
    }
    if (w.partner && notice_end(&w, 0, notifications) < 0)
        goto fail;
    PQclear(r);
    return q(db, "COMMIT", 0, NULL, NULL, err) < 0 ? (rollback(db), -1) : 0;
fail:
    PQclear(r);
    rollback(db);
    return -1;
}

int pcs_raise_daily(PGconn *db, const pcs_raise_cfg_t *cfg, int *asked, pcs_err_t *err)
{
    char d[16];
    pcs_day_format(cfg->today, d);
    const char *p[1] = {d};
    PGresult *r = NULL;
    *asked = 0;
    if (q(db, "BEGIN", 0, NULL, NULL, err) < 0)
        return -1;
    if (q(db, "INSERT INTO notifier_state (name) VALUES ('main') ON CONFLICT DO NOTHING", 0, NULL, NULL, err) < 0 ||
        q(db,
          "UPDATE notifier_state SET daily_last = $1::date WHERE name = 'main'"
          " AND (daily_last IS NULL OR daily_last < $1::date) RETURNING 1",
          1, p, &r, err) < 0)
        goto fail;
    int ran = PQntuples(r) == 1;
    PQclear(r);
    r = NULL;
    if (ran) {
        if (q(db,
              "WITH due AS (SELECT partner_id FROM enrollments WHERE anniversary_date BETWEEN $1::date"
              "   AND $1::date + 60 AND enrolled_date <= $1::date"
              " UNION SELECT partner_id FROM scoring_certs WHERE expires BETWEEN $1::date AND $1::date + 60)"
              " INSERT INTO outbox (kind, partners) SELECT 'rescore', array_agg(partner_id ORDER BY partner_id)"
              " FROM due HAVING count(*) > 0 RETURNING cardinality(partners)",
              1, p, &r, err) < 0)
            goto fail;
        *asked = PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : 0;
        PQclear(r);
        r = NULL;
    }
    if (q(db, "COMMIT", 0, NULL, NULL, err) < 0)
        goto fail;
    return ran;
fail:
    PQclear(r);
    rollback(db);
    return -1;
}

int pcs_raise_next_due(PGconn *db, const pcs_raise_cfg_t *cfg, int64_t *ms, pcs_err_t *err)
{
    char r1[32], r2[32];
    snprintf(r1, sizeof r1, "%lld", (long long)cfg->repeat_ms);
    snprintf(r2, sizeof r2, "%lld", (long long)cfg->repeat_info_ms);
    const char *p[3] = {cfg->rule_set, r1, r2};
    PGresult *r;
    /* least() skips NULLs, and so would greatest(0, NULL): "nothing due" must stay NULL */
    if (q(db,
          "SELECT CASE WHEN t IS NULL THEN -1 ELSE greatest(0, ceil(extract(epoch FROM t - now()) * 1000))::bigint END"
          " FROM (SELECT least("
          "  (SELECT min(coalesce(due_at, now())) FROM alert_queue),"
          "  (SELECT min(notified_at) + $2::bigint * interval '1 millisecond' FROM alerts"
          "    WHERE state = 'firing' AND rule_set = $1 AND severity <> 'info' AND $2::bigint > 0),"
          "  (SELECT min(notified_at) + $3::bigint * interval '1 millisecond' FROM alerts"
          "    WHERE state = 'firing' AND rule_set = $1 AND severity = 'info' AND $3::bigint > 0)) AS t) x",
          3, p, &r, err) < 0)
        return -1;
    *ms = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}
