/* pcs-notifier: turns settled scores into alerts with a life and delivers them (architecture.md,
 * issue 12).
 *
 * One libuv loop. The truth is the result documents the scorer stores: each write queues its
 * partner in alert_queue inside the scorer's transaction (pcs_raise.h), and the notifier claims the
 * queue in commit order. It wakes on a LISTEN notification at that commit (pcs_wake.h), on a
 * score.updated message (SUB), on the earliest due time (a held partner settling, a delivery
 * retry, a repeat, tomorrow's daily check) and, as a safety net, every catch_up_ms; never faster.
 * Each round: the daily check (once per day), the due queue rows in bounded batches (settled
 * results -> firing / resolved / escalated alerts -> one notification per partner), repeats, and
 * the deliveries (pcs_deliver.h) through the sinks (pcs_sink.h), which never block the loop. */
#include <curl/curl.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>
#include <zmq.h>

#include "pcs_curl_uv.h"
#include "pcs_daemon.h"
#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_deliver.h"
#include "pcs_envelope.h"
#include "pcs_log.h"
#include "pcs_raise.h"
#include "pcs_rules.h"
#include "pcs_sink.h"
#include "pcs_wake.h"
#include "pcs_zsock.h"

#define SINK_MAX 8

typedef struct config {
    pcs_daemon_cfg_t common;
    char db[256];
    char sub_endpoint[256];
    char rule_set[256];
    char today[256];
    int64_t catch_up_ms;
    int64_t settle_ms;
    int64_t delivery_delay_ms;
    int64_t repeat_interval_ms;
    int64_t repeat_info_interval_ms;
    bool listen;
    alignas(max_align_t) unsigned char sinks[SINK_MAX][PCS_SINK_CFG_SIZE];
} config_t;

#define R PCS_CFG_RELOAD
static const pcs_cfg_key_t base_keys[] = {
    PCS_DAEMON_KEYS(config_t),
    PCS_CFG_STR(config_t, db, "", R | PCS_CFG_SECRET),
    PCS_CFG_STR(config_t, sub_endpoint, "tcp://127.0.0.1:5604", 0),
    PCS_CFG_STR(config_t, rule_set, "pcs-2026", 0),
    PCS_CFG_STR(config_t, today, "", R),
    PCS_CFG_INTEGER(config_t, catch_up_ms, "60000", 50, 86400000, R),
    PCS_CFG_INTEGER(config_t, settle_ms, "120000", 0, 86400000, R),
    PCS_CFG_INTEGER(config_t, delivery_delay_ms, "0", 0, 3600000, R),
    PCS_CFG_INTEGER(config_t, repeat_interval_ms, "86400000", 0, 2592000000, R),
    PCS_CFG_INTEGER(config_t, repeat_info_interval_ms, "0", 0, 2592000000, R),
    PCS_CFG_BOOLEAN(config_t, listen, "true", 0),
};
#undef R
#define N_BASE ((int)(sizeof base_keys / sizeof *base_keys))

typedef struct notifier {
    config_t cfg;
    pcs_cfg_key_t *keys;
    int n_keys;
    uv_loop_t *loop;
    uv_timer_t tick, round_timer;
    pcs_zsock_t *sub;
    PGconn *db;
    pcs_rules_t *rules;
    pcs_curl_uv_t *cu;   /* the deliveries' transfers */
    pcs_deliver_t *deliver;
    pcs_wake_t *wake;
    int32_t daily_done;
    bool stopping;
    unsigned backoff_ms;
} notifier_t;

static int validate(const void *cfg, pcs_err_t *err)
{
    const config_t *c = cfg;
    char why[300];
    int32_t d;
    if (c->today[0] && pcs_day_parse(c->today, &d) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "today: expected YYYY-MM-DD");
    if (!c->rule_set[0])
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "rule_set: empty");
    if (pcs_sink_check_all(&c->sinks[0][0], why, sizeof why) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s", why);
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

static PGconn *db_cb(void *ud)
{
    return db(ud);
}

/* ---- the round ------------------------------------------------------------------------------------ */

static void on_round(uv_timer_t *t);

/* Runs a round after delay ms, unless one is due sooner. */
static void schedule_round(notifier_t *n, uint64_t delay)
{
    if (!n->stopping && (!uv_is_active((uv_handle_t *)&n->round_timer) || uv_timer_get_due_in(&n->round_timer) > delay))
        uv_timer_start(&n->round_timer, on_round, delay, 0);
}

static void kick(void *ud)
{
    schedule_round(ud, 0);
}

static void retry_later(notifier_t *n)
{
    n->backoff_ms = n->backoff_ms ? n->backoff_ms * 2 : 250;
    if (n->backoff_ms > 30000)
        n->backoff_ms = 30000;
    uv_timer_stop(&n->round_timer);
    schedule_round(n, n->backoff_ms);
}

/* ms until the next UTC midnight (the daily check), or -1 when today is pinned */
static int64_t until_tomorrow(const notifier_t *n)
{
    if (n->cfg.today[0])
        return -1;
    time_t now = time(NULL);
    return (int64_t)(86400 - now % 86400) * 1000 + 1000;
}

static void round_run(notifier_t *n)
{
    PGconn *c = db(n);
    if (!c) {
        retry_later(n);
        return;
    }
    pcs_err_t err = {0};
    pcs_raise_cfg_t rc = {n->cfg.rule_set, n->cfg.settle_ms, n->cfg.delivery_delay_ms, n->cfg.repeat_interval_ms,
                          n->cfg.repeat_info_interval_ms, today(n), n->rules, &n->cfg.sinks[0][0]};
    if (rc.today != n->daily_done) {
        int asked = 0, r = pcs_raise_daily(c, &rc, &asked, &err);
        if (r < 0) {
            pcs_log(PCS_LOG_WARN, "notifier", "daily", "%s", err.msg);
            retry_later(n);
            return;
        }
        n->daily_done = rc.today;
        if (r == 1) {
            char d[11];
            pcs_log(PCS_LOG_INFO, "notifier", "daily", "%s: %d partners with a renewal or certifications due asked to be rescored",
                    pcs_day_format(rc.today, d), asked);
        }
    }
    /* bounded work per callback: a long queue is read over several turns of the loop */
    bool more = false;
    for (int i = 0; i < 10; i++) {
        pcs_raise_stats_t st = {0};
        int r = pcs_raise_batch(c, &rc, &st, &err);
        if (r < 0) {
            pcs_log(PCS_LOG_WARN, "notifier", "raise", "%s", err.msg);
            retry_later(n);
            return;
        }
        if (st.fired || st.resolved || st.escalated || st.held)
            pcs_log(PCS_LOG_INFO, "notifier", "raise",
                    "%d settled partners read, %d still receiving facts: %d alerts fired, %d resolved, %d escalated,"
                    " %d notifications",
                    st.partners, st.held, st.fired, st.resolved, st.escalated, st.notifications);
        more = r == 1;
        if (!more)
            break;
    }
    int reps = 0;
    if (pcs_raise_repeats(c, &rc, &reps, &err) < 0) {
        pcs_log(PCS_LOG_WARN, "notifier", "repeat", "%s", err.msg);
        retry_later(n);
        return;
    }
    if (reps)
        pcs_log(PCS_LOG_INFO, "notifier", "repeat", "%d notifications of alerts still firing", reps);
    int64_t dnext = -1, rnext = -1, tnext = until_tomorrow(n);
    if (pcs_deliver_run(n->deliver, &n->cfg.sinks[0][0], &dnext, &err) < 0 ||
        pcs_raise_next_due(c, &rc, &rnext, &err) < 0) {
        pcs_log(PCS_LOG_WARN, "notifier", "deliver", "%s", err.msg);
        retry_later(n);
        return;
    }
    n->backoff_ms = 0;
    int64_t next = more ? 0 : -1;
    int64_t cand[3] = {dnext, rnext, tnext};
    for (int i = 0; i < 3; i++)
        if (cand[i] >= 0 && (next < 0 || cand[i] < next))
            next = cand[i];
    if (next >= 0)
        schedule_round(n, (uint64_t)next);
}

static void on_round(uv_timer_t *t)
{
    round_run(t->data);
}

/* ---- timers, messages, signals -------------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
    schedule_round(t->data, 0);
}

/* score.updated only says "read the new results"; a burst is one read. Anything else is logged
 * and dropped. */
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
    else
        schedule_round(n, 20);
}

/* ---- the daemon ----------------------------------------------------------------------------------- */

static int start(pcs_daemon_t *d, void *app)
{
    notifier_t *n = app;
    pcs_err_t err = {0};
    char path[4096];
    if (!(n->rules = pcs_rules_open(n->cfg.rule_set, path, sizeof path, &err)))
        pcs_log(PCS_LOG_WARN, "notifier", "main", "rule set %s: %s (certifications are named by their ids)", n->cfg.rule_set,
                err.msg);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    n->loop = pcs_daemon_loop(d);
    pcs_zsock_opts_t so = {.type = ZMQ_SUB, .connect = n->cfg.sub_endpoint, .subscribe = "score.updated",
                           .max_msg_bytes = n->cfg.common.zmq_max_msg_bytes, .frames = 2, .envelope_frame = 2,
                           .curve_dir = n->cfg.common.curve_keys_dir, .curve_self = "notifier",
                           .curve_server = "scorer"};
    if (!(n->sub = pcs_zsock_new(n->loop, pcs_daemon_zctx(d), &so, on_sub, n, &err))) {
        pcs_log(PCS_LOG_ERROR, "notifier", "main", "%s", err.msg);
        return 1;
    }
    n->cu = pcs_curl_uv_new(n->loop);
    n->deliver = n->cu ? pcs_deliver_new(n->cu, db_cb, kick, n) : NULL;
    if (!n->deliver) {
        pcs_log(PCS_LOG_ERROR, "notifier", "main", "out of memory");
        return 1;
    }
    uv_timer_init(n->loop, &n->tick);
    uv_timer_init(n->loop, &n->round_timer);
    n->tick.data = n->round_timer.data = n;
    /* the safety net; the work itself is woken by LISTEN, messages and due times */
    uv_timer_start(&n->tick, on_tick, (uint64_t)n->cfg.catch_up_ms, (uint64_t)n->cfg.catch_up_ms);
    schedule_round(n, 0);
    if (n->cfg.listen)
        n->wake = pcs_wake_new(n->loop, n->cfg.db, "pcs_alert_queue", kick, n);
    return 0;
}

/* secrets (webhook secret, SMTP password) and URLs (they may carry tokens) are never logged */
static void describe(void *app, char *buf, size_t len)
{
    notifier_t *n = app;
    char sinks[200] = "";
    for (int i = 0; i < pcs_sinks_n; i++) {
        const void *sc = n->cfg.sinks[i];
        if (pcs_sinks[i]->enabled(sc) && strcmp(((const pcs_route_t *)sc)->min_severity, "off") != 0)
            snprintf(sinks + strlen(sinks), sizeof sinks - strlen(sinks), " %s", pcs_sinks[i]->name);
    }
    snprintf(buf, len, "sub %s, rule set %s, settle %lld ms, sinks:%s", n->cfg.sub_endpoint, n->cfg.rule_set,
             (long long)n->cfg.settle_ms, sinks[0] ? sinks : " none");
}

static void reload(pcs_daemon_t *d, void *app, const bool *changed)
{
    (void)d;
    notifier_t *n = app;
    if (pcs_config_changed(n->keys, n->n_keys, changed, "db")) {
        PQfinish(n->db);
        n->db = NULL;
    }
    uv_timer_set_repeat(&n->tick, (uint64_t)n->cfg.catch_up_ms);
    pcs_log(PCS_LOG_INFO, "notifier", "config", "reloaded (routing and sinks)");
    schedule_round(n, 0);
}

/* A delivery in flight is abandoned: its attempt is counted and retried after a restart (the file
 * sink finds its line, a webhook receiver the same Idempotency-Key). */
static void drain(pcs_daemon_t *d, void *app)
{
    (void)d;
    notifier_t *n = app;
    n->stopping = true;
    pcs_zsock_destroy(&n->sub);
    pcs_wake_destroy(&n->wake);
    pcs_deliver_destroy(&n->deliver);
    pcs_curl_uv_destroy(&n->cu);
    uv_handle_t *hs[] = {(uv_handle_t *)&n->tick, (uv_handle_t *)&n->round_timer};
    pcs_daemon_close_handles(hs, sizeof hs / sizeof *hs);
}

static void stop(void *app)
{
    notifier_t *n = app;
    pcs_zsock_destroy(&n->sub);
    PQfinish(n->db);
    pcs_rules_destroy(&n->rules);
    curl_global_cleanup();
}

int main(int argc, char **argv)
{
    static notifier_t nt;
    notifier_t *n = &nt;
    if (pcs_sinks_n > SINK_MAX) {
        fprintf(stderr, "pcs-notifier: more sinks than SINK_MAX\n");
        return 1;
    }
    /* the keys: the daemon's own, then each sink's section (built once: a sink brings its keys) */
    n->keys = malloc(sizeof *n->keys * (size_t)(N_BASE + pcs_sink_keys_n()));
    if (!n->keys)
        return 1;
    memcpy(n->keys, base_keys, sizeof base_keys);
    n->n_keys = N_BASE;
    pcs_sink_keys(n->keys, &n->n_keys, offsetof(config_t, sinks));
    pcs_daemon_spec_t spec = {
        .name = "notifier",
        .summary = "Raises alerts from the settled scores pcs-scorer stores (renewal due, designation at risk, a\n"
                   "certification expiring that would cost points, net customer adds about to drop, a metric at\n"
                   "zero blocking a qualifying score, close to 70, the other track qualifying, newly qualified),\n"
                   "follows each alert's life (firing, resolved when its cause goes away, firing again when it\n"
                   "returns) and delivers one notification per partner per settled result, with a summary and a\n"
                   "what-to-do line, to the log, a JSON Lines file, a signed webhook, Microsoft Teams, Slack and\n"
                   "email (SMTP), retried with backoff across restarts. See deploy/pcs-notifier.conf.",
        .signals = "SIGTERM/SIGINT exit (a delivery in flight is retried after a restart; a second signal exits\n"
                   "at once); SIGHUP reloads the configuration, the routing and the sinks (sub_endpoint, rule_set\n"
                   "and listen need a restart).",
        .keys = n->keys, .n_keys = n->n_keys, .cfg_offset = offsetof(notifier_t, cfg), .cfg_size = sizeof n->cfg,
        .common_offset = offsetof(config_t, common),
        .validate = validate, .start = start, .describe = describe, .reload = reload, .drain = drain, .stop = stop,
    };
    int rc = pcs_daemon_main(&spec, n, argc, argv);
    free(n->keys);
    return rc;
}

