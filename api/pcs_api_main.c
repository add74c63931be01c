/* pcs-api: pcs over HTTP (interfaces.md §5): the JSON API, the web dashboard and /metrics.
 *
 * main has the shape of every pcs daemon: arguments, configuration (fatal with file:line), the
 * server, signals, one "started" line, the loop, teardown in reverse. The libuv loop of this
 * thread only waits for signals; libmicrohttpd's worker threads answer the requests (pcs_api.h). */
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "pcs_api.h"
#include "pcs_config.h"
#include "pcs_log.h"

static const pcs_cfg_key_t config_keys[] = {
    {"db", PCS_CFG_STRING, "", 0, 0, offsetof(pcs_api_config_t, db)},
    {"listen_address", PCS_CFG_STRING, "127.0.0.1", 0, 0, offsetof(pcs_api_config_t, listen_address)},
    {"port", PCS_CFG_INT, "8470", 0, 65535, offsetof(pcs_api_config_t, port)},
    {"workers", PCS_CFG_INT, "4", 1, 256, offsetof(pcs_api_config_t, workers)},
    {"web_dir", PCS_CFG_STRING, PCS_WEB_DIR, 0, 0, offsetof(pcs_api_config_t, web_dir)},
    {"rule_set", PCS_CFG_STRING, "pcs-2026", 0, 0, offsetof(pcs_api_config_t, rule_set)},
    {"today", PCS_CFG_STRING, "", 0, 0, offsetof(pcs_api_config_t, today)},
    {"max_body_bytes", PCS_CFG_INT, "1048576", 1024, 268435456, offsetof(pcs_api_config_t, max_body_bytes)},
    {"max_header_bytes", PCS_CFG_INT, "32768", 4096, 1048576, offsetof(pcs_api_config_t, max_header_bytes)},
    {"max_connections", PCS_CFG_INT, "256", 1, 65536, offsetof(pcs_api_config_t, max_connections)},
    {"timeout_s", PCS_CFG_INT, "30", 1, 3600, offsetof(pcs_api_config_t, timeout_s)},
    {"statement_timeout_ms", PCS_CFG_INT, "10000", 100, 3600000, offsetof(pcs_api_config_t, statement_timeout_ms)},
    {"tls_cert_file", PCS_CFG_STRING, "", 0, 0, offsetof(pcs_api_config_t, tls_cert_file)},
    {"tls_key_file", PCS_CFG_STRING, "", 0, 0, offsetof(pcs_api_config_t, tls_key_file)},
    {"access_log", PCS_CFG_BOOL, "false", 0, 0, offsetof(pcs_api_config_t, access_log)},
};
#define N_KEYS ((int)(sizeof config_keys / sizeof *config_keys))

static const char usage_text[] =
    "usage: pcs-api [--config FILE] [--help]\n"
    "\n"
    "Serves pcs over HTTP from the same read model as the pcs command (interfaces.md 5):\n"
    "  /api/v1/partners[/ID[/history|alerts|eligibility|skilling|trends|forecast|simulate]]\n"
    "      JSON, byte for byte what `pcs ... --json` prints; every request carries\n"
    "      'Authorization: Bearer TOKEN' (pcs token create --name N --admin | --partner ID...)\n"
    "  /metrics   Prometheus text format (no token)\n"
    "  /          the web dashboard (partner list, partner pages, simulator; no token for the files)\n"
    "Listens on 127.0.0.1:8470 unless configured; TLS with tls_cert_file and tls_key_file, or behind\n"
    "a reverse proxy (deploy/README.md). See deploy/pcs-api.conf for every setting.\n"
    "\n"
    "  --config FILE   configuration file (default: built-in defaults, database from PG* variables)\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop listening, finish the requests in hand and exit; SIGHUP reloads the\n"
    "configuration and the dashboard's files (the listener restarts).\n";

typedef struct daemon {
    const char *config_path;
    pcs_api_config_t cfg;
    pcs_api_t *api;
    uv_loop_t *loop;
    uv_signal_t sigterm, sigint, sighup;
} daemon_t;

static int load_config(const char *path, pcs_api_config_t *cfg)
{
    pcs_err_t err = {0};
    if (pcs_config_load(path, config_keys, N_KEYS, cfg, &err) < 0) {
        pcs_log(PCS_LOG_ERROR, "api", "config", "%s:%d: %s", path ? path : "-", err.line, err.msg);
        return -1;
    }
    return 0;
}

/* A new server from cfg, listening; NULL (logged) when it cannot start. */
static pcs_api_t *start(const pcs_api_config_t *cfg)
{
    pcs_err_t err = {0};
    unsigned port = 0;
    pcs_api_t *api = pcs_api_new(cfg, &err);
    if (!api || pcs_api_start(api, &port, &err) < 0) {
        pcs_log(PCS_LOG_ERROR, "api", "main", "%s", err.msg);
        pcs_api_destroy(&api);
        return NULL;
    }
    pcs_log(PCS_LOG_INFO, "api", "main", "listening on %s://%s%s%s:%u/ (%lld workers, rule set %s, dashboard %s)",
            cfg->tls_cert_file[0] ? "https" : "http", strchr(cfg->listen_address, ':') ? "[" : "", cfg->listen_address,
            strchr(cfg->listen_address, ':') ? "]" : "", port, (long long)cfg->workers, cfg->rule_set, cfg->web_dir);
    return api;
}

static void on_term(uv_signal_t *sig, int signum)
{
    daemon_t *d = sig->data;
    pcs_log(PCS_LOG_INFO, "api", "main", "signal %d: finishing the requests in hand", signum);
    uv_signal_stop(&d->sigterm);
    uv_signal_stop(&d->sigint);
    uv_signal_stop(&d->sighup);
    /* a second signal while stopping takes the default action: exit at once */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    pcs_api_stop(d->api);
}

static void on_hup(uv_signal_t *sig, int signum)
{
    daemon_t *d = sig->data;
    pcs_api_config_t cfg;
    if (load_config(d->config_path, &cfg) < 0) {
        pcs_log(PCS_LOG_WARN, "api", "main", "SIGHUP: configuration not reloaded; the running one stays");
        return;
    }
    /* the old listener must close before a new one takes the same port */
    pcs_api_destroy(&d->api);
    if (!(d->api = start(&cfg))) {
        pcs_log(PCS_LOG_WARN, "api", "main", "SIGHUP: the new configuration does not start; back to the previous one");
        d->api = start(&d->cfg);
    } else {
        d->cfg = cfg;
    }
    pcs_log(PCS_LOG_INFO, "api", "main", "configuration reloaded");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    daemon_t d = {0};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') {
            d.config_path = optarg;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return 0;
        } else {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (load_config(d.config_path, &d.cfg) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    if (!(d.api = start(&d.cfg)))
        return 1;
    d.loop = uv_default_loop();
    uv_signal_init(d.loop, &d.sigterm);
    uv_signal_init(d.loop, &d.sigint);
    uv_signal_init(d.loop, &d.sighup);
    d.sigterm.data = d.sigint.data = d.sighup.data = &d;
    uv_signal_start(&d.sigterm, on_term, SIGTERM);
    uv_signal_start(&d.sigint, on_term, SIGINT);
    uv_signal_start(&d.sighup, on_hup, SIGHUP);
    pcs_log(PCS_LOG_INFO, "api", "main", "started pcs-api %s", PCS_VERSION);
    uv_run(d.loop, UV_RUN_DEFAULT);

    pcs_api_destroy(&d.api);
    uv_loop_close(d.loop);
    pcs_log(PCS_LOG_INFO, "api", "main", "stopped");
    return 0;
}
