/* pcs-ingest: turns feeds into facts (architecture.md).
 *
 * One libuv loop watches the spool directory (file-system events plus a periodic scan, so nothing
 * is missed), the ZeroMQ intake socket (REP: an event is acknowledged only after it is committed)
 * and the signals. Each file is loaded in one transaction with an outbox row; after COMMIT the
 * file moves to done/ and a data.changed hint is PUSHed to the scorer. A missing scorer never
 * blocks: the PUSH socket does not wait and the outbox is the truth. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "pcs_config.h"
#include "pcs_db.h"
#include "pcs_envelope.h"
#include "pcs_events.h"
#include "pcs_load.h"
#include "pcs_log.h"

typedef struct config {
    char db[256];
    char spool_dir[256];
    char intake_endpoint[256];
    char push_endpoint[256];
    int64_t scan_interval_ms;
    int64_t max_line_bytes;
} config_t;

static const pcs_cfg_key_t config_keys[] = {
    {"db", PCS_CFG_STRING, "", 0, 0, offsetof(config_t, db)},
    {"spool_dir", PCS_CFG_STRING, "spool", 0, 0, offsetof(config_t, spool_dir)},
    {"intake_endpoint", PCS_CFG_STRING, "tcp://127.0.0.1:5601", 0, 0, offsetof(config_t, intake_endpoint)},
    {"push_endpoint", PCS_CFG_STRING, "tcp://127.0.0.1:5602", 0, 0, offsetof(config_t, push_endpoint)},
    {"scan_interval_ms", PCS_CFG_INT, "2000", 50, 3600000, offsetof(config_t, scan_interval_ms)},
    {"max_line_bytes", PCS_CFG_INT, "1048576", 1024, 1073741824, offsetof(config_t, max_line_bytes)},
};

typedef struct ingest {
    config_t cfg;
    const char *config_path;
    uv_loop_t *loop;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t scan_timer, retry_timer;
    uv_fs_event_t watch;
    uv_poll_t intake_poll;
    void *zctx, *intake, *push;
    PGconn *db;
    bool stopping, scanning, rescan;
    int terms;
    unsigned long hints;         /* sequence for hint ids */
} ingest_t;

static const char usage_text[] =
    "usage: pcs-ingest [--config FILE] [--help]\n"
    "\n"
    "Loads feed files dropped into SPOOL/incoming/ (customers, associations, usage, enrollments as CSV;\n"
    "certification events as JSON Lines; Partner Center exports) and events sent over ZeroMQ into\n"
    "PostgreSQL, then tells the scorer what changed. See deploy/pcs-ingest.conf for every setting.\n"
    "\n"
    "  --config FILE   configuration file (default: built-in defaults, database from PG* variables)\n"
    "\n"
    "Signals: SIGTERM/SIGINT finish the file in hand and exit (a second one exits at once),\n"
    "SIGHUP reloads the configuration.\n";

/* ---- database connection with retry ------------------------------------------------------------------- */

static PGconn *db(ingest_t *in)
{
    return pcs_db_ensure(&in->db, in->cfg.db, "ingest");
}

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
    if (msg) {
        /* ZMQ_DONTWAIT: with no scorer connected the hint is dropped; the outbox keeps the truth */
        if (zmq_send(in->push, msg, strlen(msg), ZMQ_DONTWAIT) < 0 && errno != EAGAIN)
            pcs_log(PCS_LOG_WARN, "ingest", "push", "cannot send %s: %s", kind, zmq_strerror(errno));
    }
    free(msg);
    json_decref(body);
}

/* ---- spool ---------------------------------------------------------------------------------------------- */

static void scan(ingest_t *in);

static void on_retry(uv_timer_t *t)
{
    scan(t->data);
}

static void scan(ingest_t *in)
{
    if (in->scanning) {
        in->rescan = true;
        return;
    }
    in->scanning = true;
    do {
        in->rescan = false;
        PGconn *conn = db(in);
        if (!conn) {
            uv_timer_start(&in->retry_timer, on_retry, 1000, 0);
            break;
        }
        pcs_load_ctx_t lc = {.db = conn, .spool = in->cfg.spool_dir, .max_line_bytes = (size_t)in->cfg.max_line_bytes,
                             .stopping = &in->stopping};
        json_t *changed = json_array(), *months = json_array();
        int n = pcs_load_spool(&lc, changed, months);
        if (n < 0)
            uv_timer_start(&in->retry_timer, on_retry, 1000, 0);
        if (json_array_size(changed))
            hint(in, "data.changed", changed, months);
        json_decref(changed);
        json_decref(months);
    } while (in->rescan && !in->stopping);
    in->scanning = false;
}

static void on_scan_timer(uv_timer_t *t)
{
    scan(t->data);
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status)
{
    (void)name;
    (void)events;
    (void)status;
    scan(h->data);
}

/* ---- ZeroMQ intake ---------------------------------------------------------------------------------- */

static void reply(ingest_t *in, const char *fmt, const char *a, const char *b)
{
    char buf[1024];
    snprintf(buf, sizeof buf, fmt, a, b);
    zmq_send(in->intake, buf, strlen(buf), 0);
}

static void handle_message(ingest_t *in, zmq_msg_t *m)
{
    const char *data = zmq_msg_data(m);
    size_t len = zmq_msg_size(m);
    pcs_envelope_t env;
    pcs_err_t err = {0};
    if (pcs_envelope_decode(data, len, &env, &err) < 0 || pcs_events_validate(&env, &err) < 0) {
        pcs_log(PCS_LOG_WARN, "ingest", "intake", "rejected message: %s", err.msg);
        json_t *r = json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
        char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;
        zmq_send(in->intake, s ? s : "{\"ok\":false}", s ? strlen(s) : 12, 0);
        free(s);
        json_decref(r);
        pcs_envelope_clear(&env);
        return;
    }
    char *raw = strndup(data, len);
    PGconn *conn = db(in);
    bool dup = false;
    if (!raw || !conn || pcs_events_store(conn, &env, raw, &dup, &err) < 0) {
        /* not persisted: not acknowledged, the sender retries */
        pcs_log(PCS_LOG_WARN, "ingest", "intake", "event %s not stored: %s", env.id, conn ? err.msg : "no database");
        reply(in, "{\"ok\":false,\"id\":\"%s\",\"error\":\"not stored, retry%s\"}", env.id, "");
    } else {
        reply(in, "{\"ok\":true,\"id\":\"%s\",\"duplicate\":%s}", env.id, dup ? "true" : "false");
        if (!dup) {
            json_t *p = json_pack("[s]", json_string_value(json_object_get(env.body, "partner_id")));
            hint(in, strncmp(env.type, "association.", 12) == 0 ? "data.changed" : "cert.changed", p, NULL);
            json_decref(p);
        }
    }
    free(raw);
    pcs_envelope_clear(&env);
}

static void drain_intake(ingest_t *in)
{
    for (;;) {
        int events = 0;
        size_t sz = sizeof events;
        if (zmq_getsockopt(in->intake, ZMQ_EVENTS, &events, &sz) < 0 || !(events & ZMQ_POLLIN))
            return;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, in->intake, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        /* a REQ message is one frame; extra frames are drained and the message refused */
        int more = zmq_msg_more(&m);
        if (more) {
            while (more) {
                zmq_msg_t x;
                zmq_msg_init(&x);
                zmq_msg_recv(&x, in->intake, 0);
                more = zmq_msg_more(&x);
                zmq_msg_close(&x);
            }
            reply(in, "{\"ok\":false,\"error\":\"one frame per message%s%s\"}", "", "");
        } else {
            handle_message(in, &m);
        }
        zmq_msg_close(&m);
    }
}

static void on_intake(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    drain_intake(h->data);
}

/* ---- signals ---------------------------------------------------------------------------------------- */

static void stop(ingest_t *in)
{
    uv_timer_stop(&in->scan_timer);
    uv_timer_stop(&in->retry_timer);
    uv_fs_event_stop(&in->watch);
    uv_poll_stop(&in->intake_poll);
    uv_signal_stop(&in->sighup);
    uv_close((uv_handle_t *)&in->scan_timer, NULL);
    uv_close((uv_handle_t *)&in->retry_timer, NULL);
    uv_close((uv_handle_t *)&in->watch, NULL);
    uv_close((uv_handle_t *)&in->intake_poll, NULL);
    uv_close((uv_handle_t *)&in->sighup, NULL);
    uv_close((uv_handle_t *)&in->sigterm, NULL);
    uv_close((uv_handle_t *)&in->sigint, NULL);
}

static void on_term(uv_signal_t *s, int signum)
{
    ingest_t *in = s->data;
    if (++in->terms > 1)
        _exit(1);   /* second signal: at once (the open transaction dies with the connection) */
    pcs_log(PCS_LOG_INFO, "ingest", "main", "signal %d: finishing and exiting", signum);
    in->stopping = true;
    stop(in);
}

static void on_hup(uv_signal_t *s, int signum)
{
    (void)signum;
    ingest_t *in = s->data;
    config_t fresh;
    pcs_err_t err = {0};
    if (pcs_config_load(in->config_path, config_keys, (int)(sizeof config_keys / sizeof *config_keys), &fresh, &err) < 0) {
        pcs_log(PCS_LOG_ERROR, "ingest", "config", "%s:%d: %s (keeping the running configuration)",
                in->config_path ? in->config_path : "-", err.line, err.msg);
        return;
    }
    /* endpoints need a restart; database, spool and limits take effect now */
    bool db_changed = strcmp(fresh.db, in->cfg.db) != 0;
    snprintf(in->cfg.db, sizeof in->cfg.db, "%s", fresh.db);
    snprintf(in->cfg.spool_dir, sizeof in->cfg.spool_dir, "%s", fresh.spool_dir);
    in->cfg.max_line_bytes = fresh.max_line_bytes;
    in->cfg.scan_interval_ms = fresh.scan_interval_ms;
    if (db_changed && in->db) {
        PQfinish(in->db);
        in->db = NULL;
    }
    uv_timer_set_repeat(&in->scan_timer, (uint64_t)in->cfg.scan_interval_ms);
    pcs_log(PCS_LOG_INFO, "ingest", "config", "reloaded");
    scan(in);
}

/* ---- main ------------------------------------------------------------------------------------------- */

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

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    ingest_t in = {0};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') {
            in.config_path = optarg;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return 0;
        } else {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    pcs_err_t err = {0};
    if (pcs_config_load(in.config_path, config_keys, (int)(sizeof config_keys / sizeof *config_keys), &in.cfg, &err) < 0) {
        fprintf(stderr, "pcs-ingest: %s:%d: %s\n", in.config_path, err.line, err.msg);
        return 2;
    }
    if (make_spool(in.cfg.spool_dir) < 0)
        return 1;
    in.loop = uv_default_loop();
    in.zctx = zmq_ctx_new();
    in.intake = zmq_socket(in.zctx, ZMQ_REP);
    in.push = zmq_socket(in.zctx, ZMQ_PUSH);
    int zero = 0, hwm = 10000;
    zmq_setsockopt(in.push, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(in.push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(in.intake, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(in.intake, in.cfg.intake_endpoint) < 0 || zmq_bind(in.push, in.cfg.push_endpoint) < 0) {
        pcs_log(PCS_LOG_ERROR, "ingest", "main", "cannot bind %s / %s: %s", in.cfg.intake_endpoint,
                in.cfg.push_endpoint, zmq_strerror(errno));
        return 1;
    }
    int fd;
    size_t fdsz = sizeof fd;
    zmq_getsockopt(in.intake, ZMQ_FD, &fd, &fdsz);
    uv_poll_init(in.loop, &in.intake_poll, fd);
    in.intake_poll.data = &in;
    uv_poll_start(&in.intake_poll, UV_READABLE, on_intake);

    char incoming[512];
    snprintf(incoming, sizeof incoming, "%s/incoming", in.cfg.spool_dir);
    uv_fs_event_init(in.loop, &in.watch);
    in.watch.data = &in;
    if (uv_fs_event_start(&in.watch, on_fs_event, incoming, 0) < 0)
        pcs_log(PCS_LOG_WARN, "ingest", "spool", "no file-system events for %s: scanning only", incoming);
    uv_timer_init(in.loop, &in.scan_timer);
    uv_timer_init(in.loop, &in.retry_timer);
    in.scan_timer.data = in.retry_timer.data = &in;
    uv_timer_start(&in.scan_timer, on_scan_timer, 0, (uint64_t)in.cfg.scan_interval_ms);

    uv_signal_init(in.loop, &in.sigterm);
    uv_signal_init(in.loop, &in.sigint);
    uv_signal_init(in.loop, &in.sighup);
    in.sigterm.data = in.sigint.data = in.sighup.data = &in;
    uv_signal_start(&in.sigterm, on_term, SIGTERM);
    uv_signal_start(&in.sigint, on_term, SIGINT);
    uv_signal_start(&in.sighup, on_hup, SIGHUP);
    signal(SIGPIPE, SIG_IGN);

    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    pcs_log(PCS_LOG_INFO, "ingest", "main", "started pcs-ingest %s (libuv %s, libzmq %d.%d.%d, libpq %d) spool %s intake %s push %s",
            PCS_VERSION, uv_version_string(), major, minor, patch, PQlibVersion(), in.cfg.spool_dir,
            in.cfg.intake_endpoint, in.cfg.push_endpoint);
    uv_run(in.loop, UV_RUN_DEFAULT);

    zmq_close(in.intake);
    zmq_close(in.push);
    zmq_ctx_term(in.zctx);
    if (in.db)
        PQfinish(in.db);
    uv_loop_close(in.loop);
    pcs_log(PCS_LOG_INFO, "ingest", "main", "stopped");
    return 0;
}
