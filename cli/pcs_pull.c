/* pcs pull: sign in to Partner Center for pcs-pull (device code), start a pull, show the runs.
 *
 *   pcs pull login --config FILE     the device authorization grant: prints the URL and the code,
 *                                    waits for the sign-in, stores the refresh token (mode 0600)
 *   pcs pull now [--wait]            asks pcs-pull (control socket) to pull now
 *   pcs pull status [--json]         the runs, newest first, with each dataset's state
 *
 * login uses the daemon's own HTTP and Entra code (libpcspull) on a loop of its own. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include <curl/curl.h>

#include "pcs_db.h"
#include "pcs_entra.h"
#include "pcs_http.h"
#include "pcs_pullcfg.h"
#include "pcs_cli.h"

/* ---- login ---------------------------------------------------------------------------------------- */

typedef struct login {
    pcs_pullcfg_t cfg;
    uv_loop_t loop;
    uv_timer_t timer;
    pcs_curl_uv_t *http;
    pcs_entra_device_t dev;
    long interval;
    time_t deadline;
    int rc;
    char url[600];
} login_t;

static void login_end(login_t *l, int rc)
{
    l->rc = rc;
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, NULL);
    pcs_curl_uv_destroy(&l->http);
}

static void post(login_t *l, char *body, pcs_http_cb cb)
{
    pcs_http_req_t req = {.method = "POST", .url = l->url, .body = body,
                          .content_type = "application/x-www-form-urlencoded", .out_fd = -1, .max_body = 1 << 20,
                          .timeout_ms = 60000};
    int rc = body ? pcs_http_start(l->http, &req, cb, l) : PCS_ENOMEM;
    pcs_entra_secret_free(&body);
    if (rc < 0) {
        fprintf(stderr, "pcs: pull login: cannot start a request\n");
        login_end(l, 1);
    }
}

static void poll_token(uv_timer_t *t);

static void on_device_token(void *arg, const pcs_http_resp_t *r)
{
    login_t *l = arg;
    pcs_entra_token_t tok;
    char why[256] = "";
    pcs_entra_status_t st = pcs_entra_parse_token(r->error ? 0 : r->status, r->body, &tok, why, sizeof why);
    if (st == PCS_ENTRA_OK) {
        pcs_err_t err = {0};
        if (!tok.refresh) {
            fprintf(stderr, "pcs: pull login: Entra gave no refresh token (is offline_access allowed for the app?)\n");
            login_end(l, 1);
        } else if (pcs_entra_secret_write(l->cfg.token_file, tok.refresh, &err) < 0) {
            fprintf(stderr, "pcs: pull login: %s\n", err.msg);
            login_end(l, 1);
        } else {
            printf("Signed in. The refresh token of account %s is in %s (mode 0600); pcs-pull uses it from now on.\n",
                   l->cfg.account, l->cfg.token_file);
            login_end(l, 0);
        }
        pcs_entra_token_clear(&tok);
        return;
    }
    if (st == PCS_ENTRA_SLOW_DOWN)
        l->interval += 5;   /* RFC 8628 3.5 */
    if ((st == PCS_ENTRA_PENDING || st == PCS_ENTRA_SLOW_DOWN || st == PCS_ENTRA_RETRY) && time(NULL) < l->deadline) {
        uv_timer_start(&l->timer, poll_token, (uint64_t)l->interval * 1000, 0);
        return;
    }
    if (st == PCS_ENTRA_SIGN_IN || st == PCS_ENTRA_PENDING)
        fprintf(stderr, "pcs: pull login: the code expired or the sign-in was declined (%s): run pcs pull login again\n",
                why);
    else
        fprintf(stderr, "pcs: pull login: Entra refused: %s\n", why);
    login_end(l, 1);
}

static void poll_token(uv_timer_t *t)
{
    login_t *l = t->data;
    pcs_pullcfg_entra_url(&l->cfg, "token", l->url, sizeof l->url);
    post(l, pcs_entra_form_device_token(&l->cfg, l->dev.device_code), on_device_token);
}

static void on_devicecode(void *arg, const pcs_http_resp_t *r)
{
    login_t *l = arg;
    pcs_err_t err = {0};
    if (r->error || r->status != 200 || pcs_entra_parse_device(r->body, &l->dev, &err) < 0) {
        char why[256] = "";
        if (r->error || r->status != 200) {
            pcs_entra_token_t none;
            pcs_entra_parse_token(r->error ? 0 : r->status, r->body, &none, why, sizeof why);
            pcs_entra_token_clear(&none);
        }
        fprintf(stderr, "pcs: pull login: %s\n", why[0] ? why : err.msg);
        login_end(l, 1);
        return;
    }
    if (l->dev.message)
        printf("%s\n", l->dev.message);
    else
        printf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.\n",
               l->dev.verification_uri, l->dev.user_code);
    printf("(Partner Center account %s, tenant %s; waiting up to %ld s)\n", l->cfg.account, l->cfg.tenant,
           l->dev.expires_in);
    fflush(stdout);
    l->interval = l->dev.interval;
    l->deadline = time(NULL) + l->dev.expires_in;
    uv_timer_start(&l->timer, poll_token, (uint64_t)l->interval * 1000, 0);
}

static void on_app_token(void *arg, const pcs_http_resp_t *r)
{
    login_t *l = arg;
    pcs_entra_token_t tok;
    char why[256] = "";
    if (pcs_entra_parse_token(r->error ? 0 : r->status, r->body, &tok, why, sizeof why) == PCS_ENTRA_OK) {
        printf("Entra accepts the client credentials of account %s; pcs-pull asks for a token when it needs one.\n",
               l->cfg.account);
        login_end(l, 0);
    } else {
        fprintf(stderr, "pcs: pull login: client credentials refused: %s\n", why);
        login_end(l, 1);
    }
    pcs_entra_token_clear(&tok);
}

static int cmd_login(pcs_args_t *a)
{
    const char *conf = pcs_args_str(a, "config");
    if (!conf)
        return pcs_cli_fail(2, "pull login needs --config FILE (the pcs-pull configuration)");
    static login_t l;
    pcs_err_t err = {0};
    if (pcs_pullcfg_load(conf, &l.cfg, &err) < 0) {
        fprintf(stderr, "pcs: %s:%d: %s\n", conf, err.line, err.msg);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    uv_loop_init(&l.loop);
    uv_timer_init(&l.loop, &l.timer);
    l.timer.data = &l;
    l.rc = 1;
    if (!(l.http = pcs_curl_uv_new(&l.loop))) {
        fprintf(stderr, "pcs: pull login: libcurl cannot be initialised\n");
        return 1;
    }
    if (pcs_pullcfg_app_only(&l.cfg)) {
        char *secret = NULL;
        if (pcs_entra_secret_read(l.cfg.client_secret_file, &secret, &err) < 0) {
            fprintf(stderr, "pcs: pull login: %s\n", err.msg);
            login_end(&l, 1);
        } else {
            pcs_pullcfg_entra_url(&l.cfg, "token", l.url, sizeof l.url);
            post(&l, pcs_entra_form_client_credentials(&l.cfg, secret), on_app_token);
        }
        pcs_entra_secret_free(&secret);
    } else {
        pcs_pullcfg_entra_url(&l.cfg, "devicecode", l.url, sizeof l.url);
        post(&l, pcs_entra_form_devicecode(&l.cfg), on_devicecode);
    }
    uv_run(&l.loop, UV_RUN_DEFAULT);
    uv_loop_close(&l.loop);
    pcs_entra_device_clear(&l.dev);
    curl_global_cleanup();
    return l.rc;
}

/* ---- now ------------------------------------------------------------------------------------------ */

static int cmd_now(pcs_args_t *a)
{
    const char *ep = pcs_args_str(a, "endpoint");
    if (!ep)
        ep = getenv("PCS_PULL");
    if (!ep || !*ep)
        ep = "tcp://127.0.0.1:5607";
    char reply[4096] = "";
    void *ctx = zmq_ctx_new();
    static const char msg[] = "{\"cmd\":\"now\"}";
    int r = pcs_cli_request(ctx, ep, NULL, msg, sizeof msg - 1, 5000, 0, reply, sizeof reply);
    zmq_ctx_term(ctx);
    json_t *j = json_loads(reply, 0, NULL);
    if (r != 0 || !j) {
        const char *why = j ? json_string_value(json_object_get(j, "error")) : NULL;
        long long open = j ? (long long)json_integer_value(json_object_get(j, "run_id")) : 0;
        if (open)
            fprintf(stderr, "pcs: pcs-pull at %s: %s (run %lld)\n", ep, why ? why : reply, open);
        else
            fprintf(stderr, "pcs: pcs-pull at %s: %s\n", ep, why ? why : reply[0] ? reply : "no reply (is pcs-pull running?)");
        json_decref(j);
        return 1;
    }
    long long run = (long long)json_integer_value(json_object_get(j, "run_id"));
    printf("pull run %lld started for account %s\n", run, json_string_value(json_object_get(j, "account")));
    json_decref(j);
    if (!pcs_args_flag(a, "wait"))
        return 0;
    fflush(stdout);
    double timeout = (double)pcs_args_long(a, "timeout", 3600);
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(pcs_cli_conninfo(a), &err);
    if (!db) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        return 1;
    }
    char rid[32];
    snprintf(rid, sizeof rid, "%lld", run);
    const char *prm[1] = {rid};
    int rc = 1;
    for (double waited = 0;; waited += 0.2) {
        PGresult *res = NULL;
        if (pcs_db_query(db, "SELECT state, files, coalesce(error, '') FROM pull_runs WHERE run_id = $1", 1, prm, &res,
                         &err) < 0) {
            fprintf(stderr, "pcs: pull run %lld: cannot read its state: %s%s\n", run, err.msg,
                    PQstatus(db) == CONNECTION_OK ? " (is --db or PCS_DB pcs-pull's database?)" : "");
            break;
        }
        if (PQntuples(res) == 0) {
            /* pcs-pull stores the run before it answers: it is in pcs-pull's database */
            fprintf(stderr, "pcs: pull run %lld is not in this database (is --db or PCS_DB pcs-pull's database?)\n", run);
            PQclear(res);
            break;
        }
        if (strcmp(PQgetvalue(res, 0, 0), "running") != 0) {
            bool ok = strcmp(PQgetvalue(res, 0, 0), "done") == 0;
            printf("pull run %lld %s: %s files delivered%s%s\n", run, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                   ok ? "" : "; ", PQgetvalue(res, 0, 2));
            rc = ok ? 0 : 1;
            PQclear(res);
            break;
        }
        PQclear(res);
        if (waited >= timeout) {
            fprintf(stderr, "pcs: pull run %lld not finished after %.0f s\n", run, timeout);
            break;
        }
        nanosleep(&(struct timespec){0, 200000000}, NULL);
    }
    PQfinish(db);
    return rc;
}

/* ---- status --------------------------------------------------------------------------------------- */

static int cmd_status(pcs_args_t *a)
{
    char limit[24];
    snprintf(limit, sizeof limit, "%ld", pcs_args_long(a, "limit", 10));
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(pcs_cli_conninfo(a), &err);
    if (!db) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        return 1;
    }
    const char *prm[1] = {limit};
    PGresult *r = NULL;
    int rc = 0;
    if (pcs_db_query(db,
                     "SELECT r.run_id, r.account, r.trigger, coalesce(r.period, ''),"
                     " to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                     " coalesce(to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
                     " r.state, r.files, coalesce(r.error, ''), i.dataset, i.state, coalesce(i.execution_id, ''),"
                     " coalesce(i.file, ''), coalesce(i.bytes, 0), i.attempts, coalesce(i.error, '')"
                     " FROM (SELECT * FROM pull_runs ORDER BY run_id DESC LIMIT $1::int) r"
                     " JOIN pull_items i USING (run_id) ORDER BY r.run_id DESC, i.dataset",
                     1, prm, &r, &err) < 0) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        PQfinish(db);
        return 1;
    }
    bool as_json = pcs_args_flag(a, "json");
    json_t *runs = json_array(), *cur = NULL;
    const char *last = "";
    for (int k = 0; k < PQntuples(r); k++) {
        const char *id = PQgetvalue(r, k, 0);
        if (strcmp(id, last) != 0) {
            last = id;
            cur = json_object();
            json_object_set_new(cur, "run_id", json_integer(atoll(id)));
            json_object_set_new(cur, "account", json_string(PQgetvalue(r, k, 1)));
            json_object_set_new(cur, "trigger", json_string(PQgetvalue(r, k, 2)));
            json_object_set_new(cur, "period", *PQgetvalue(r, k, 3) ? json_string(PQgetvalue(r, k, 3)) : json_null());
            json_object_set_new(cur, "started_at", json_string(PQgetvalue(r, k, 4)));
            json_object_set_new(cur, "finished_at", *PQgetvalue(r, k, 5) ? json_string(PQgetvalue(r, k, 5)) : json_null());
            json_object_set_new(cur, "state", json_string(PQgetvalue(r, k, 6)));
            json_object_set_new(cur, "files", json_integer(atoll(PQgetvalue(r, k, 7))));
            json_object_set_new(cur, "error", *PQgetvalue(r, k, 8) ? json_string(PQgetvalue(r, k, 8)) : json_null());
            json_object_set_new(cur, "datasets", json_array());
            json_array_append_new(runs, cur);
        }
        json_t *d = json_object();
        json_object_set_new(d, "dataset", json_string(PQgetvalue(r, k, 9)));
        json_object_set_new(d, "state", json_string(PQgetvalue(r, k, 10)));
        json_object_set_new(d, "execution_id", *PQgetvalue(r, k, 11) ? json_string(PQgetvalue(r, k, 11)) : json_null());
        json_object_set_new(d, "file", *PQgetvalue(r, k, 12) ? json_string(PQgetvalue(r, k, 12)) : json_null());
        json_object_set_new(d, "bytes", json_integer(atoll(PQgetvalue(r, k, 13))));
        json_object_set_new(d, "attempts", json_integer(atoll(PQgetvalue(r, k, 14))));
        json_object_set_new(d, "error", *PQgetvalue(r, k, 15) ? json_string(PQgetvalue(r, k, 15)) : json_null());
        json_array_append_new(json_object_get(cur, "datasets"), d);
    }
    PQclear(r);
    PQfinish(db);
    if (as_json) {
        char *s = json_dumps(runs, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
    } else if (json_array_size(runs) == 0) {
        printf("no pull runs yet (pcs-pull pulls on its pull_day, or now with `pcs pull now`)\n");
    } else {
        size_t i, k;
        json_t *run, *d;
        json_array_foreach(runs, i, run) {
            const char *fin = json_string_value(json_object_get(run, "finished_at"));
            printf("run %lld  %s  %s%s%s  started %s%s%s  %s, %lld files\n",
                   (long long)json_integer_value(json_object_get(run, "run_id")),
                   json_string_value(json_object_get(run, "account")), json_string_value(json_object_get(run, "trigger")),
                   json_is_string(json_object_get(run, "period")) ? " " : "",
                   json_is_string(json_object_get(run, "period")) ? json_string_value(json_object_get(run, "period")) : "",
                   json_string_value(json_object_get(run, "started_at")), fin ? ", ended " : "", fin ? fin : "",
                   json_string_value(json_object_get(run, "state")),
                   (long long)json_integer_value(json_object_get(run, "files")));
            json_array_foreach(json_object_get(run, "datasets"), k, d) {
                const char *e = json_string_value(json_object_get(d, "error"));
                const char *f = json_string_value(json_object_get(d, "file"));
                printf("  %-20s %-11s %s%s attempts %lld%s%s\n", json_string_value(json_object_get(d, "dataset")),
                       json_string_value(json_object_get(d, "state")), f ? f : "-", f ? "," : "",
                       (long long)json_integer_value(json_object_get(d, "attempts")), e ? "  error: " : "", e ? e : "");
            }
        }
    }
    json_decref(runs);
    return rc;
}

int pcs_cmd_pull(pcs_args_t *a)
{
    const char *sub = a->pos[0];
    if (strcmp(sub, "login") == 0)
        return cmd_login(a);
    if (strcmp(sub, "now") == 0)
        return cmd_now(a);
    if (strcmp(sub, "status") == 0)
        return cmd_status(a);
    return pcs_cli_fail(2, "pull: unknown subcommand '%s' (login, now, status)", sub);
}
