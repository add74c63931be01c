#include "pcs_daemon.h"

#include "pcs_curve.h"

#include <getopt.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_ACTIONS 4

struct pcs_daemon {
    const pcs_daemon_spec_t *spec;
    void *app, *cfg;
    const char *config_path;
    uv_loop_t loop;
    void *zctx;
    pcs_curve_zap_t *zap;        /* who may connect, when CURVE is on */
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t watchdog;
    bool stopping;
    int terms;
};

uv_loop_t *pcs_daemon_loop(pcs_daemon_t *d)
{
    return &d->loop;
}

void *pcs_daemon_zctx(pcs_daemon_t *d)
{
    return d->zctx;
}

const char *pcs_daemon_name(const pcs_daemon_t *d)
{
    return d->spec->name;
}

const char *pcs_daemon_config_path(const pcs_daemon_t *d)
{
    return d->config_path;
}

bool pcs_daemon_stopping(const pcs_daemon_t *d)
{
    return d->stopping;
}

void pcs_daemon_versions(char *buf, size_t n)
{
    int zmaj, zmin, zpat, pq = PQlibVersion();
    zmq_version(&zmaj, &zmin, &zpat);
    snprintf(buf, n, "pcs %s, libuv %s, libzmq %d.%d.%d, libpq %d.%d, jansson %s, libsystemd %s", PCS_VERSION,
             uv_version_string(), zmaj, zmin, zpat, pq / 10000, pq % 10000, JANSSON_VERSION, PCS_LIBSYSTEMD_VERSION);
}

void pcs_daemon_close_handles(uv_handle_t *const *handles, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!uv_is_closing(handles[i]))
            uv_close(handles[i], NULL);
}

static const pcs_daemon_cfg_t *common_cfg(const pcs_daemon_spec_t *spec, const void *cfg)
{
    return (const pcs_daemon_cfg_t *)(const void *)((const char *)cfg + spec->common_offset);
}

int pcs_daemon_load_config(const pcs_daemon_spec_t *spec, const char *path, void *cfg, pcs_err_t *err)
{
    int rc = pcs_config_load(path, spec->keys, spec->n_keys, cfg, err);
    if (rc == 0 && spec->validate)
        rc = spec->validate(cfg, err);
    return rc;
}

/* "pcs-ingest: FILE:LINE: reason" (the line when the file has one) */
static void print_config_error(const pcs_daemon_spec_t *spec, const char *path, const pcs_err_t *err)
{
    if (err->line > 0)
        fprintf(stderr, "pcs-%s: %s:%d: %s\n", spec->name, path ? path : "-", err->line, err->msg);
    else
        fprintf(stderr, "pcs-%s: %s: %s\n", spec->name, path ? path : "(defaults)", err->msg);
}

static void usage(const pcs_daemon_spec_t *spec, FILE *f)
{
    fprintf(f, "usage: pcs-%s [--config FILE] [--check-config FILE] [--version] [--help]\n\n%s\n\n", spec->name,
            spec->summary);
    fprintf(f, "  --config FILE        configuration file (default: built-in defaults, database from PG*\n"
               "                       variables); see deploy/pcs-%s.conf for every key\n"
               "  --check-config FILE  validate FILE as --config would, print \"FILE: ok\" (exit 0) or\n"
               "                       FILE:LINE: reason (exit 2), start nothing\n"
               "  --version            the versions of pcs and of the libraries it runs with\n",
            spec->name);
    for (int i = 0; i < spec->n_actions; i++)
        fprintf(f, "  --%s %s\n", spec->actions[i].option, spec->actions[i].help);
    fprintf(f, "\nLogs go to stderr, one line per event (level, daemon, module); log_level sets the least\n"
               "level written. Under systemd (Type=notify) it reports READY, RELOADING, STOPPING and\n"
               "pings the watchdog.\n\nSignals: %s\n",
            spec->signals);
}

/* ---- signals and systemd ------------------------------------------------------------------------ */

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

static void on_term(uv_signal_t *s, int signum)
{
    pcs_daemon_t *d = s->data;
    if (++d->terms > 1)
        _exit(1);   /* second signal: at once (an open transaction dies with its connection) */
    pcs_log(PCS_LOG_INFO, d->spec->name, "main", "signal %d: draining and exiting (a second one exits at once)",
            signum);
    sd_notify(0, "STOPPING=1");
    d->stopping = true;
    /* the signal handles stay, so a second SIGTERM is caught, but no longer keep the loop alive */
    uv_unref((uv_handle_t *)&d->sigterm);
    uv_unref((uv_handle_t *)&d->sigint);
    uv_close((uv_handle_t *)&d->sighup, NULL);
    d->spec->drain(d, d->app);
    pcs_curve_zap_destroy(&d->zap);   /* its watcher would keep the loop alive */
}

/* names of the keys with changed[i] whose reload flag is `reload`, comma separated */
static void list_keys(const pcs_daemon_spec_t *spec, const bool *changed, bool reload, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < spec->n_keys; i++)
        if (changed[i] && !!(spec->keys[i].flags & PCS_CFG_RELOAD) == reload)
            snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? ", " : "", spec->keys[i].name);
}

static void on_hup(uv_signal_t *s, int signum)
{
    (void)signum;
    pcs_daemon_t *d = s->data;
    const pcs_daemon_spec_t *spec = d->spec;
    sd_notify(0, "RELOADING=1");
    pcs_err_t err = {0};
    void *fresh = calloc(1, spec->cfg_size);
    if (!fresh || pcs_daemon_load_config(spec, d->config_path, fresh, &err) < 0) {
        pcs_log(PCS_LOG_ERROR, spec->name, "config", "%s:%d: %s (keeping the running configuration)",
                d->config_path ? d->config_path : "-", err.line, fresh ? err.msg : "out of memory");
        free(fresh);
        sd_notify(0, "READY=1");
        return;
    }
    bool changed[PCS_CFG_MAX_KEYS] = {0};
    pcs_config_diff(spec->keys, spec->n_keys, d->cfg, fresh, changed);
    pcs_config_apply(spec->keys, spec->n_keys, d->cfg, fresh, changed);
    free(fresh);
    pcs_log_setup((pcs_log_level_t)common_cfg(spec, d->cfg)->log_level);
    char now[1024], later[1024];
    list_keys(spec, changed, true, now, sizeof now);
    list_keys(spec, changed, false, later, sizeof later);
    pcs_log(PCS_LOG_INFO, spec->name, "config", "reloaded%s%s", now[0] ? ": changed " : " (no reloadable key changed)",
            now);
    if (later[0])
        pcs_log(PCS_LOG_WARN, spec->name, "config", "changed but only read at start (restart to apply): %s", later);
    if (spec->reload)
        spec->reload(d, d->app, changed);
    sd_notify(0, "READY=1");
}

static void start_signals(pcs_daemon_t *d)
{
    uv_signal_t *hs[3] = {&d->sigterm, &d->sigint, &d->sighup};
    static const int nums[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&d->loop, hs[i]);
        hs[i]->data = d;
        uv_signal_start(hs[i], i < 2 ? on_term : on_hup, nums[i]);
    }
    signal(SIGPIPE, SIG_IGN);
    uv_timer_init(&d->loop, &d->watchdog);
    uv_unref((uv_handle_t *)&d->watchdog);
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
        /* half the interval, as sd_watchdog_enabled(3) advises; a stuck loop misses it */
        uv_timer_start(&d->watchdog, on_watchdog, usec / 2000, usec / 2000);
        pcs_log(PCS_LOG_DEBUG, d->spec->name, "main", "systemd watchdog every %llu ms",
                (unsigned long long)(usec / 2000));
    }
}

static void close_one(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* ---- main ----------------------------------------------------------------------------------------- */

typedef struct args {
    const char *check, *action_arg;
    int action;
} args_t;

/* 0 to go on, or 1 + the exit status to return */
static int parse_args(pcs_daemon_t *d, int argc, char **argv, args_t *a)
{
    const pcs_daemon_spec_t *spec = d->spec;
    struct option opts[5 + MAX_ACTIONS] = {{"config", required_argument, NULL, 'c'},
                                           {"check-config", required_argument, NULL, 'k'},
                                           {"version", no_argument, NULL, 'v'},
                                           {"help", no_argument, NULL, 'h'}};
    for (int i = 0; i < spec->n_actions && i < MAX_ACTIONS; i++)
        opts[4 + i] = (struct option){spec->actions[i].option, required_argument, NULL, 'A' + i};
    a->action = -1;
    int c;
    char v[256];
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') {
            d->config_path = optarg;
        } else if (c == 'k') {
            a->check = optarg;
        } else if (c == 'v') {
            pcs_daemon_versions(v, sizeof v);
            printf("pcs-%s %s\n%s\n", spec->name, PCS_VERSION, v);
            return 1;
        } else if (c == 'h') {
            usage(spec, stdout);
            return 1;
        } else if (c >= 'A' && c < 'A' + MAX_ACTIONS) {
            a->action = c - 'A';
            a->action_arg = optarg;
        } else {
            usage(spec, stderr);
            return 1 + 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pcs-%s: unexpected argument '%s'\n", spec->name, argv[optind]);
        return 1 + 2;
    }
    return 0;
}

int pcs_daemon_main(const pcs_daemon_spec_t *spec, void *app, int argc, char **argv)
{
    pcs_daemon_t dd = {.spec = spec, .app = app, .cfg = (char *)app + spec->cfg_offset};
    pcs_daemon_t *d = &dd;
    args_t a = {0};
    pcs_err_t err = {0};
    int rc = parse_args(d, argc, argv, &a);
    if (rc)
        return rc - 1;
    if (a.check) {
        void *scratch = calloc(1, spec->cfg_size);
        rc = scratch ? pcs_daemon_load_config(spec, a.check, scratch, &err) : PCS_ENOMEM;
        free(scratch);
        if (rc < 0) {
            print_config_error(spec, a.check, &err);
            return 2;
        }
        printf("%s: ok\n", a.check);
        return 0;
    }
    if (pcs_daemon_load_config(spec, d->config_path, d->cfg, &err) < 0) {
        print_config_error(spec, d->config_path, &err);
        return 2;
    }
    pcs_log_setup((pcs_log_level_t)common_cfg(spec, d->cfg)->log_level);
    if (a.action >= 0)
        return spec->actions[a.action].run(app, a.action_arg);

    uv_loop_init(&d->loop);
    d->zctx = zmq_ctx_new();
    /* CURVE: the ZAP handler first, so no server socket ever runs without it (pcs_curve.h) */
    const char *keys = common_cfg(spec, d->cfg)->curve_keys_dir;
    if (keys[0] && !(d->zap = pcs_curve_zap_new(&d->loop, d->zctx, keys, &err))) {
        pcs_log(PCS_LOG_ERROR, spec->name, "main", "curve_keys_dir: %s", err.msg);
        rc = 1;
    } else {
        rc = spec->start(d, app);
    }
    if (rc == 0) {
        start_signals(d);
        char v[256], what[1024] = "";
        pcs_daemon_versions(v, sizeof v);
        if (spec->describe)
            spec->describe(app, what, sizeof what);
        pcs_log(PCS_LOG_INFO, spec->name, "main", "started pcs-%s (%s)%s%s", spec->name, v, what[0] ? ": " : "", what);
        sd_notify(0, "READY=1");
        uv_run(&d->loop, UV_RUN_DEFAULT);
    }
    /* tear down in reverse: the daemon's state, then the handles left, the loop, ZeroMQ */
    spec->stop(app);
    pcs_curve_zap_destroy(&d->zap);
    uv_walk(&d->loop, close_one, NULL);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    uv_loop_close(&d->loop);
    zmq_ctx_term(d->zctx);
    pcs_log(PCS_LOG_INFO, spec->name, "main", rc == 0 ? "stopped" : "not started");
    return rc;
}
