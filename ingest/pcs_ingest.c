/* pcs-ingest: turns feeds into facts (architecture.md).
 *
 * One libuv loop (common/pcs_daemon) watches the spool directory (file-system events plus a
 * periodic scan, so nothing is missed), the ZeroMQ intake socket (REP: an event is acknowledged
 * only after it is committed) and the signals. The blocking work runs beside the loop on libuv's
 * thread pool, each kind on its own PostgreSQL connection: the loader (pcs_load_spool: each file
 * in one transaction with an outbox row, then moved to done/) and the event store (one event per
 * transaction). They share nothing with the loop while they run: a job's inputs are copied into it
 * before it is queued and its outputs are read after it completed (uv_queue_work's after-work
 * callback); the one thing the loop tells a running load is "stop" (an atomic flag checked per
 * row, and PQcancel for a statement in progress). So acknowledgements and signals are answered
 * while a file of millions of rows loads. After a load commits, a data.changed hint is PUSHed to
 * the scorer; a missing scorer never blocks: the PUSH socket does not wait and the outbox is the
 * truth. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "pcs_daemon.h"
#include "pcs_db.h"
#include "pcs_envelope.h"
#include "pcs_events.h"
#include "pcs_load.h"
#include "pcs_log.h"
#include "pcs_zsock.h"

typedef struct config {
    pcs_daemon_cfg_t common;
    char db[PCS_CFG_STR_MAX];
    char spool_dir[PCS_CFG_STR_MAX];
    char intake_endpoint[PCS_CFG_STR_MAX];
    char push_endpoint[PCS_CFG_STR_MAX];
    int64_t scan_interval_ms;
    int64_t max_line_bytes;
    int64_t settle_ms;
    int64_t max_file_bytes;
    int64_t max_file_rows;
    int64_t usage_stream_bytes;
} config_t;

static const pcs_cfg_key_t config_keys[] = {
    PCS_DAEMON_KEYS(config_t),
    PCS_CFG_STR(config_t, db, "", PCS_CFG_RELOAD | PCS_CFG_SECRET),
    PCS_CFG_STR(config_t, spool_dir, "spool", 0),
    PCS_CFG_STR(config_t, intake_endpoint, "tcp://127.0.0.1:5601", 0),
    PCS_CFG_STR(config_t, push_endpoint, "tcp://127.0.0.1:5602", 0),
    PCS_CFG_INTEGER(config_t, scan_interval_ms, "2000", 50, 3600000, PCS_CFG_RELOAD),
    PCS_CFG_INTEGER(config_t, max_line_bytes, "1048576", 1024, 1073741824, PCS_CFG_RELOAD),
    PCS_CFG_INTEGER(config_t, settle_ms, "5000", 0, 3600000, PCS_CFG_RELOAD),
    PCS_CFG_INTEGER(config_t, max_file_bytes, "8589934592", 1024, INT64_MAX, PCS_CFG_RELOAD),
    PCS_CFG_INTEGER(config_t, max_file_rows, "50000000", 1, INT64_MAX, PCS_CFG_RELOAD),
    PCS_CFG_INTEGER(config_t, usage_stream_bytes, "33554432", 0, INT64_MAX, PCS_CFG_RELOAD),
};

/* A load on the thread pool: inputs copied in, outputs read after it completed. */
typedef struct load_job {
    uv_work_t work;
    char db[PCS_CFG_STR_MAX], spool[PCS_CFG_STR_MAX];
    size_t max_line_bytes;
    int64_t settle_ms, max_file_rows;
    unsigned long long max_file_bytes, usage_stream_bytes;
    pcs_spool_t *spool_watch;    /* thread-safe (pcs_spool.h) */
    PGconn *conn;                /* the loader's connection, kept between loads */
    PGcancel *cancel;            /* made by the loop between loads, for PQcancel on SIGTERM */
    const atomic_bool *stop;     /* the loop's "stop now" */
    struct ingest *owner;        /* for the after-work callback (loop thread) only */
    json_t *changed, *months;
    int handled;
} load_job_t;

/* One event on the thread pool. */
typedef struct event_job {
    uv_work_t work;
    char db[PCS_CFG_STR_MAX];
    PGconn *conn;
    pcs_envelope_t env;
    char *raw;
    bool duplicate;
    int rc;
    pcs_err_t err;
    struct ingest *owner;        /* for the after-work callback (loop thread) only */
} event_job_t;

typedef struct ingest {
    config_t cfg;
    pcs_daemon_t *d;
    uv_loop_t *loop;
    uv_timer_t scan_timer, retry_timer;
    uv_poll_t watch;             /* the spool intake's inotify descriptor, when spool is not NULL */
    pcs_spool_t *spool;          /* which files of incoming/ are complete (NULL: settle_ms alone) */
    pcs_zsock_t *intake, *push;
    load_job_t load;
    event_job_t event;
    bool loading, rescan, storing, reconnect_loads, reconnect_events;
    atomic_bool cancel;          /* set by SIGTERM; read by the loader between rows */
    unsigned long hints;         /* sequence for hint ids */
} ingest_t;

/* ---- the scorer hint -------------------------------------------------------------------------------- */

/* unique partners / months of one batch, for a compact hint */
static json_t *unique(json_t *arr)
{
    json_t *seen = json_object(), *out = json_array(), *v;
    size_t i;
    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && !json_object_get(seen, json_string_value(v))) {
            json_object_set_new(seen, json_string_value(v), json_true());
            json_array_append(out, v);
        }
    }
    json_decref(seen);
    return out;
}

static void hint(ingest_t *in, const char *kind, json_t *partners, json_t *months)
{
    char id[64];
    snprintf(id, sizeof id, "ingest-%ld-%lu", (long)getpid(), ++in->hints);
    json_t *body = json_pack("{s:o, s:o}", "partners", unique(partners), "months",
                             months ? unique(months) : json_array());
    char *msg = body ? pcs_envelope_encode(kind, id, NULL, body) : NULL;
    /* ZMQ_DONTWAIT: with no scorer connected the hint is dropped; the outbox keeps the truth */
    if (msg && pcs_zsock_send(in->push, msg, strlen(msg), ZMQ_DONTWAIT) < 0 && errno != EAGAIN)
        pcs_log(PCS_LOG_WARN, "ingest", "push", "cannot send %s: %s", kind, zmq_strerror(errno));
    free(msg);
    json_decref(body);
}

/* ---- spool: the loader on the thread pool -------------------------------------------------------- */

static void scan(ingest_t *in);

static void on_retry(uv_timer_t *t)
{
    scan(t->data);
}

/* On a pool thread: touches only the job and the flag. */
static void load_run(uv_work_t *w)
{
    load_job_t *j = w->data;
    j->handled = -1;
    if (!pcs_db_ensure(&j->conn, j->db, "ingest"))
        return;
    pcs_load_ctx_t lc = {.db = j->conn, .spool = j->spool, .max_line_bytes = j->max_line_bytes, .stopping = j->stop,
                         .intake = j->spool_watch, .settle_ms = j->settle_ms, .max_file_bytes = j->max_file_bytes,
                         .max_file_rows = j->max_file_rows, .usage_stream_bytes = j->usage_stream_bytes};
    j->handled = pcs_load_spool(&lc, j->changed, j->months);
}

static void load_done(uv_work_t *w, int status)
{
    load_job_t *j = w->data;
    ingest_t *in = j->owner;
    in->loading = false;
    if (status == 0 && j->handled < 0 && !atomic_load(&in->cancel))
        uv_timer_start(&in->retry_timer, on_retry, 1000, 0);
    if (json_array_size(j->changed))
        hint(in, "data.changed", j->changed, j->months);
    json_decref(j->changed);
    json_decref(j->months);
    j->changed = j->months = NULL;
    /* the connection is the loop's again: keep a cancel handle for the next load */
    if (!j->cancel && j->conn && PQstatus(j->conn) == CONNECTION_OK)
        j->cancel = PQgetCancel(j->conn);
    if (in->rescan && !atomic_load(&in->cancel))
        scan(in);
}

/* Starts a load of what incoming/ holds, or asks for another when one runs. */
static void scan(ingest_t *in)
{
    if (atomic_load(&in->cancel))
        return;
    if (in->loading) {
        in->rescan = true;
        return;
    }
    load_job_t *j = &in->load;
    if (in->reconnect_loads) {
        PQfreeCancel(j->cancel);
        PQfinish(j->conn);
        j->cancel = NULL;
        j->conn = NULL;
        in->reconnect_loads = false;
    }
    snprintf(j->db, sizeof j->db, "%s", in->cfg.db);
    snprintf(j->spool, sizeof j->spool, "%s", in->cfg.spool_dir);
    j->max_line_bytes = (size_t)in->cfg.max_line_bytes;
    j->settle_ms = in->cfg.settle_ms;
    j->max_file_bytes = (unsigned long long)in->cfg.max_file_bytes;
    j->max_file_rows = in->cfg.max_file_rows;
    j->usage_stream_bytes = (unsigned long long)in->cfg.usage_stream_bytes;
    j->spool_watch = in->spool;
    j->changed = json_array();
    j->months = json_array();
    j->work.data = j;
    in->rescan = false;
    in->loading = true;
    if (uv_queue_work(in->loop, &j->work, load_run, load_done) < 0) {
        in->loading = false;
        json_decref(j->changed);
        json_decref(j->months);
        j->changed = j->months = NULL;
    }
}

static void on_scan_timer(uv_timer_t *t)
{
    scan(t->data);
}

static void on_spool_event(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    ingest_t *in = h->data;
    if (pcs_spool_drain(in->spool))
        scan(in);   /* a file was closed after writing or renamed in */
}

/* ---- ZeroMQ intake: events stored on the thread pool, acknowledged after COMMIT ------------------ */

/* The acknowledgement, built with jansson: an id may hold any character. */
static void reply(ingest_t *in, json_t *r)
{
    char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;
    if (s)
        pcs_zsock_send(in->intake, s, strlen(s), 0);
    else
        pcs_zsock_send(in->intake, "{\"ok\":false,\"error\":\"out of memory, retry\"}", 42, 0);
    free(s);
    json_decref(r);
}

static void event_run(uv_work_t *w)
{
    event_job_t *j = w->data;
    pcs_err_clear(&j->err);
    j->rc = PCS_EIO;
    if (!pcs_db_ensure(&j->conn, j->db, "ingest"))
        pcs_err_set(&j->err, PCS_EIO, 0, 0, "no database");
    else
        j->rc = pcs_events_store(j->conn, &j->env, j->raw, &j->duplicate, &j->err);
}

static void event_done(uv_work_t *w, int status)
{
    event_job_t *j = w->data;
    ingest_t *in = j->owner;
    in->storing = false;
    /* The reply lets the REP socket read the next request at once, and on_intake() reuses j for
     * it: everything the answer and the hint need is taken from j before replying. */
    json_t *ack, *p = NULL;
    const char *kind = strncmp(j->env.type, "association.", 12) == 0 ? "data.changed" : "cert.changed";
    if (status < 0 || j->rc < 0) {
        /* not persisted: not acknowledged, the sender retries */
        pcs_log(PCS_LOG_WARN, "ingest", "intake", "event %s not stored: %s", j->env.id,
                status < 0 ? uv_strerror(status) : j->err.msg);
        ack = json_pack("{s:b, s:s, s:s}", "ok", 0, "id", j->env.id, "error", "not stored, retry");
    } else {
        ack = json_pack("{s:b, s:s, s:b}", "ok", 1, "id", j->env.id, "duplicate", j->duplicate);
        if (!j->duplicate)
            p = json_pack("[s]", json_string_value(json_object_get(j->env.body, "partner_id")));
    }
    free(j->raw);
    j->raw = NULL;
    pcs_envelope_clear(&j->env);
    reply(in, ack);
    if (p) {
        hint(in, kind, p, NULL);
        json_decref(p);
    }
    if (atomic_load(&in->cancel))
        pcs_zsock_destroy(&in->intake);   /* draining: the last answer is sent */
}

static void on_intake(pcs_zsock_t *s, const pcs_zmsg_t *m, void *arg)
{
    (void)s;
    ingest_t *in = arg;
    pcs_err_t err = {0};
    const char *why = m->error;
    if (!why && pcs_events_validate(m->env, &err) < 0)
        why = err.msg;
    if (why) {
        pcs_log(PCS_LOG_WARN, "ingest", "intake", "rejected message: %s", why);
        reply(in, json_pack("{s:b, s:s}", "ok", 0, "error", why));
        return;
    }
    event_job_t *j = &in->event;
    if (in->reconnect_events) {
        PQfinish(j->conn);
        j->conn = NULL;
        in->reconnect_events = false;
    }
    j->env = *m->env;
    json_incref(j->env.body);
    j->raw = strndup(m->frames[0].data, m->frames[0].len);
    snprintf(j->db, sizeof j->db, "%s", in->cfg.db);
    j->work.data = j;
    /* the REP socket reads no other request until event_done() answers this one */
    if (!j->raw || uv_queue_work(in->loop, &j->work, event_run, event_done) < 0) {
        reply(in, json_pack("{s:b, s:s, s:s}", "ok", 0, "id", j->env.id, "error", "not stored, retry"));
        free(j->raw);
        j->raw = NULL;
        pcs_envelope_clear(&j->env);
        return;
    }
    in->storing = true;
}

/* ---- the daemon ----------------------------------------------------------------------------------- */

static int make_spool(const char *spool)
{
    static const char *const sub[] = {"", "/incoming", "/done", "/failed"};
    char path[512];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s%s", spool, sub[i]);
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            pcs_log(PCS_LOG_ERROR, "ingest", "spool", "%s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int start(pcs_daemon_t *d, void *app)
{
    ingest_t *in = app;
    in->d = d;
    in->loop = pcs_daemon_loop(d);
    in->load.owner = in->event.owner = in;
    in->load.stop = &in->cancel;
    if (make_spool(in->cfg.spool_dir) < 0)
        return 1;
    pcs_err_t err = {0};
    const char *keys = in->cfg.common.curve_keys_dir;
    pcs_zsock_opts_t io = {.type = ZMQ_REP, .bind = in->cfg.intake_endpoint,
                           .max_msg_bytes = in->cfg.common.zmq_max_msg_bytes, .frames = 1, .envelope_frame = 1,
                           .curve_dir = keys, .curve_self = "ingest"};
    pcs_zsock_opts_t po = {.type = ZMQ_PUSH, .bind = in->cfg.push_endpoint, .hwm = 10000, .curve_dir = keys,
                           .curve_self = "ingest"};
    if (!(in->intake = pcs_zsock_new(in->loop, pcs_daemon_zctx(d), &io, on_intake, in, &err)) ||
        !(in->push = pcs_zsock_new(in->loop, pcs_daemon_zctx(d), &po, NULL, NULL, &err))) {
        pcs_log(PCS_LOG_ERROR, "ingest", "main", "%s", err.msg);
        return 1;
    }
    char incoming[512];
    snprintf(incoming, sizeof incoming, "%s/incoming", in->cfg.spool_dir);
    /* a file is loaded once its writer closed it or it was renamed in (pcs_spool.h) */
    if ((in->spool = pcs_spool_new(incoming, &err)) != NULL) {
        uv_poll_init(in->loop, &in->watch, pcs_spool_fd(in->spool));
        in->watch.data = in;
        uv_poll_start(&in->watch, UV_READABLE, on_spool_event);
    } else {
        pcs_log(PCS_LOG_WARN, "ingest", "spool", "%s: scanning only, a file is loaded once unchanged for settle_ms",
                err.msg);
    }
    uv_timer_init(in->loop, &in->scan_timer);
    uv_timer_init(in->loop, &in->retry_timer);
    in->scan_timer.data = in->retry_timer.data = in;
    uv_timer_start(&in->scan_timer, on_scan_timer, 0, (uint64_t)in->cfg.scan_interval_ms);
    return 0;
}

static void describe(void *app, char *buf, size_t n)
{
    ingest_t *in = app;
    snprintf(buf, n, "spool %s, intake %s, push %s", in->cfg.spool_dir, in->cfg.intake_endpoint,
             in->cfg.push_endpoint);
}

static void reload(pcs_daemon_t *d, void *app, const bool *changed)
{
    (void)d;
    ingest_t *in = app;
    /* a new database: each job reconnects before its next run (never under a running one) */
    if (pcs_config_changed(config_keys, (int)(sizeof config_keys / sizeof *config_keys), changed, "db"))
        in->reconnect_loads = in->reconnect_events = true;
    uv_timer_set_repeat(&in->scan_timer, (uint64_t)in->cfg.scan_interval_ms);
    scan(in);
}

static void drain(pcs_daemon_t *d, void *app)
{
    (void)d;
    ingest_t *in = app;
    atomic_store(&in->cancel, true);
    if (in->loading && in->load.cancel) {
        /* the statement in progress (a COPY, a merge) is cancelled too; the file's transaction
         * rolls back and the file stays in incoming/ for the next start */
        char why[256];
        if (!PQcancel(in->load.cancel, why, sizeof why))
            pcs_log(PCS_LOG_WARN, "ingest", "main", "cancelling the load: %s", why);
    }
    uv_handle_t *hs[] = {(uv_handle_t *)&in->scan_timer, (uv_handle_t *)&in->retry_timer, (uv_handle_t *)&in->watch};
    pcs_daemon_close_handles(hs, sizeof hs / sizeof *hs - (in->spool ? 0 : 1));
    if (!in->storing)
        pcs_zsock_destroy(&in->intake);   /* else event_done() answers first, then closes it */
}

static void stop(void *app)
{
    ingest_t *in = app;
    pcs_zsock_destroy(&in->intake);
    pcs_zsock_destroy(&in->push);
    PQfreeCancel(in->load.cancel);
    PQfinish(in->load.conn);
    PQfinish(in->event.conn);
    pcs_spool_destroy(&in->spool);   /* the loader is done with it: stop() runs after the pool's last job */
}

static const pcs_daemon_spec_t spec = {
    .name = "ingest",
    .summary = "Loads feed files dropped into SPOOL/incoming/ (customers, associations, usage, enrollments as CSV;\n"
               "certification events as JSON Lines; Partner Center exports) and events sent over ZeroMQ into\n"
               "PostgreSQL, then tells the scorer what changed. Loading runs beside the event loop, so events\n"
               "are acknowledged and signals answered while a large file loads.",
    .signals = "SIGTERM/SIGINT stop loading (the file in hand rolls back and stays in incoming/, loaded\n"
               "again on the next start), answer the event in hand and exit; a second one exits at once.\n"
               "SIGHUP reloads db, scan_interval_ms, max_line_bytes, settle_ms, max_file_bytes, max_file_rows,\n"
               "usage_stream_bytes and log_level; endpoints and the spool directory need a restart.",
    PCS_DAEMON_CONFIG(ingest_t, config_keys),
    .start = start, .describe = describe, .reload = reload, .drain = drain, .stop = stop,
};

int main(int argc, char **argv)
{
    static ingest_t in;
    return pcs_daemon_main(&spec, &in, argc, argv);
}
