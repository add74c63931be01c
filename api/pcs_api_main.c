/* pcs-api: pcs over HTTP (interfaces.md §5): the JSON API, the web dashboard and /metrics.
 *
 * main is the one shape of every pcs daemon (common/pcs_daemon.h): arguments, configuration (fatal
 * with file:line), start, signals, one "started" line, the loop, teardown in reverse. The loop of
 * this thread only carries the signals and systemd's notifications; libmicrohttpd's worker threads
 * answer the requests (api/pcs_api.h). SIGHUP reads the file and the dashboard's files again and
 * restarts the listener with them (every key may change); a configuration that does not start
 * leaves the previous one running. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pcs_api.h"
#include "pcs_config.h"
#include "pcs_daemon.h"
#include "pcs_log.h"

typedef struct app {
    pcs_api_config_t cfg;       /* as loaded (and after SIGHUP, as reloaded) */
    pcs_api_config_t running;   /* what the server in hand was started with */
    pcs_api_t *api;
    unsigned port;
} app_t;

#define R PCS_CFG_RELOAD
static const pcs_cfg_key_t config_keys[] = {
    PCS_DAEMON_KEYS(pcs_api_config_t),
    PCS_CFG_STR(pcs_api_config_t, db, "", R),
    PCS_CFG_STR(pcs_api_config_t, listen_address, "127.0.0.1", R),
    PCS_CFG_INTEGER(pcs_api_config_t, port, "8470", 0, 65535, R),
    PCS_CFG_INTEGER(pcs_api_config_t, workers, "4", 1, 256, R),
    PCS_CFG_STR(pcs_api_config_t, web_dir, PCS_WEB_DIR, R),
    PCS_CFG_STR(pcs_api_config_t, rule_set, "pcs-2026", R),
    PCS_CFG_STR(pcs_api_config_t, today, "", R),
    PCS_CFG_INTEGER(pcs_api_config_t, max_body_bytes, "1048576", 1024, 268435456, R),
    PCS_CFG_INTEGER(pcs_api_config_t, max_header_bytes, "32768", 4096, 1048576, R),
    PCS_CFG_INTEGER(pcs_api_config_t, max_connections, "256", 1, 65536, R),
    PCS_CFG_INTEGER(pcs_api_config_t, timeout_s, "30", 1, 3600, R),
    PCS_CFG_INTEGER(pcs_api_config_t, statement_timeout_ms, "10000", 100, 3600000, R),
    PCS_CFG_STR(pcs_api_config_t, tls_cert_file, "", R),
    PCS_CFG_STR(pcs_api_config_t, tls_key_file, "", R),
    PCS_CFG_BOOLEAN(pcs_api_config_t, access_log, "false", R),
};
#undef R

static int validate(const void *cfg, pcs_err_t *err)
{
    return pcs_api_check_config(cfg, err);
}

/* A new server from cfg, listening; NULL (logged) when it cannot start. */
static pcs_api_t *serve(const pcs_api_config_t *cfg, unsigned *port)
{
    pcs_err_t err = {0};
    pcs_api_t *api = pcs_api_new(cfg, &err);
    if (!api || pcs_api_start(api, port, &err) < 0) {
        pcs_log(PCS_LOG_ERROR, "api", "main", "%s", err.msg);
        pcs_api_destroy(&api);
        return NULL;
    }
    bool v6 = strchr(cfg->listen_address, ':') != NULL;
    pcs_log(PCS_LOG_INFO, "api", "main", "listening on %s://%s%s%s:%u/ (%lld workers, rule set %s, dashboard %s)",
            cfg->tls_cert_file[0] ? "https" : "http", v6 ? "[" : "", cfg->listen_address, v6 ? "]" : "", *port,
            (long long)cfg->workers, cfg->rule_set, cfg->web_dir);
    return api;
}

static int start(pcs_daemon_t *d, void *vapp)
{
    app_t *app = vapp;
    if (!(app->api = serve(&app->cfg, &app->port)))
        return 1;
    app->running = app->cfg;
    return 0;
}

static void describe(void *vapp, char *buf, size_t n)
{
    app_t *app = vapp;
    snprintf(buf, n, "http%s on %s port %u", app->running.tls_cert_file[0] ? "s" : "", app->running.listen_address,
             app->port);
}

static void reload(pcs_daemon_t *d, void *vapp, const bool *changed)
{
    app_t *app = vapp;
    /* the old listener closes before a new one takes the same port */
    pcs_api_destroy(&app->api);
    if ((app->api = serve(&app->cfg, &app->port))) {
        app->running = app->cfg;
        pcs_log(PCS_LOG_INFO, "api", "main", "reloaded: configuration and dashboard files");
        return;
    }
    pcs_log(PCS_LOG_WARN, "api", "main", "the new configuration does not start; back to the previous one");
    app->cfg = app->running;
    app->api = serve(&app->running, &app->port);
}

static void drain(pcs_daemon_t *d, void *vapp)
{
    app_t *app = vapp;
    pcs_api_stop(app->api, 10000);
}

static void stop(void *vapp)
{
    app_t *app = vapp;
    pcs_api_destroy(&app->api);
}

static const pcs_daemon_spec_t spec = {
    .name = "api",
    .summary = "Serves pcs over HTTP from the same read model as the pcs command (interfaces.md 5):\n"
               "  /api/v1/partners[/ID[/history|alerts|eligibility|skilling|trends|forecast|recommend|simulate]]\n"
               "      JSON, byte for byte what `pcs ... --json` prints; every request carries\n"
               "      'Authorization: Bearer TOKEN' (pcs token create --name N --admin | --partner ID...)\n"
               "  /metrics   Prometheus text format (no token)\n"
               "  /          the web dashboard (partner list, partner pages, simulator; no token for its files)\n"
               "Listens on 127.0.0.1:8470 unless configured; TLS with tls_cert_file and tls_key_file, or behind\n"
               "a reverse proxy (deploy/README.md). See deploy/pcs-api.conf for every setting.",
    .signals = "SIGTERM/SIGINT stop taking connections, answer the requests in hand and exit (a second one\n"
               "exits at once); SIGHUP reads the configuration and the dashboard's files again and restarts\n"
               "the listener with them (a configuration that does not start leaves the previous one running).",
    PCS_DAEMON_CONFIG(app_t, config_keys),
    .validate = validate,
    .start = start, .describe = describe, .reload = reload, .drain = drain, .stop = stop,
};

int main(int argc, char **argv)
{
    static app_t app;
    return pcs_daemon_main(&spec, &app, argc, argv);
}
