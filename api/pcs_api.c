#include "pcs_api.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pcs_api_metrics.h"
#include "pcs_api_routes.h"
#include "pcs_api_web.h"
#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_file.h"
#include "pcs_log.h"
#include "pcs_rules.h"
#include "pcs_store.h"
#include "pcs_token.h"

#define MAX_SEGMENTS 8
#define MAX_SEGMENT_LEN 256

/* ---- the connection pool: one read-model store (one PostgreSQL connection) per worker thread --------- */

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
    pcs_store_t **stores;
    bool *busy;
} pool_t;

struct pcs_api {
    pcs_api_config_t cfg;
    int32_t today;          /* PCS_DAY_NONE: the UTC date of each request */
    pcs_rules_t *rules;     /* read-only once loaded, shared by the workers */
    pcs_web_t *web;
    char *tls_cert, *tls_key;
    struct MHD_Daemon *mhd;
    pool_t pool;
    pcs_api_counters_t counters;
    atomic_int in_flight;   /* requests read and not yet answered */
};

static int pool_take(pcs_api_t *a)
{
    pool_t *p = &a->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        for (int i = 0; i < p->n; i++)
            if (!p->busy[i]) {
                p->busy[i] = true;
                pthread_mutex_unlock(&p->mu);
                return i;
            }
        pthread_cond_wait(&p->cv, &p->mu);
    }
}

static void pool_give(pcs_api_t *a, int i)
{
    pthread_mutex_lock(&a->pool.mu);
    a->pool.busy[i] = false;
    pthread_cond_signal(&a->pool.cv);
    pthread_mutex_unlock(&a->pool.mu);
}

/* The slot's store, connected when missing or broken, each new connection read-only and with the
 * statement timeout; NULL (logged) while PostgreSQL cannot be reached. */
static pcs_store_t *pool_store(pcs_api_t *a, int i)
{
    pcs_store_t **sp = &a->pool.stores[i];
    pcs_err_t err = {0};
    bool fresh = false;
    if (*sp && PQstatus(pcs_store_conn(*sp)) != CONNECTION_OK) {
        PQreset(pcs_store_conn(*sp));
        if (PQstatus(pcs_store_conn(*sp)) != CONNECTION_OK)
            pcs_store_destroy(sp);
        fresh = true;
    }
    if (!*sp) {
        if (!(*sp = pcs_store_open(a->cfg.db, &err))) {
            pcs_log(PCS_LOG_WARN, "api", "db", "%s", err.msg);
            return NULL;
        }
        fresh = true;
    }
    if (fresh) {
        char sql[160];
        snprintf(sql, sizeof sql, "SET default_transaction_read_only = on; SET statement_timeout = %lld",
                 (long long)a->cfg.statement_timeout_ms);
        if (pcs_db_exec(pcs_store_conn(*sp), sql, &err) < 0) {
            pcs_log(PCS_LOG_ERROR, "api", "db", "%s", err.msg);
            pcs_store_destroy(sp);
            return NULL;
        }
    }
    return *sp;
}

/* ---- one request ------------------------------------------------------------------------------------ */

typedef struct request {
    char *raw_uri;       /* as received, before libmicrohttpd decodes it */
    char *body;
    size_t body_len;
    bool started, too_large, counted;
    pcs_api_t *api;
    size_t discarded;    /* body bytes thrown away after the limit */
    struct timespec t0;
} request_t;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    request_t *rq = calloc(1, sizeof *rq);
    if (rq) {
        rq->api = cls;
        rq->raw_uri = strdup(uri ? uri : "");
        clock_gettime(CLOCK_MONOTONIC, &rq->t0);
    }
    return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    request_t *rq = *con_cls;
    if (rq) {
        if (rq->counted)
            atomic_fetch_sub(&rq->api->in_flight, 1);
        free(rq->raw_uri);
        free(rq->body);
        free(rq);
    }
    *con_cls = NULL;
}

void pcs_api_answer_error(pcs_api_answer_t *ans, unsigned status, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:s, s:i}", "error", msg, "status", (int)status);
    free(ans->body);
    ans->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    ans->len = ans->body ? strlen(ans->body) : 0;
    ans->type = "application/json";
    ans->status = status;
    ans->persistent = false;
    json_decref(j);
}

/* Splits the raw path into at most MAX_SEGMENTS percent-decoded segments; a segment that cannot be
 * a name (empty, '.', '..', '/', '\', a control character, a bad escape) refuses the request. */
static int split_path(const char *raw, char segs[MAX_SEGMENTS][MAX_SEGMENT_LEN + 1], int *n, const char **why)
{
    *n = 0;
    if (raw[0] != '/')
        return *why = "the path must start with '/'", -1;
    const char *p = raw + 1, *end = raw + strcspn(raw, "?#");
    if (p >= end)
        return 0;   /* "/" */
    for (;;) {
        const char *e = memchr(p, '/', (size_t)(end - p));
        bool last = !e;
        if (!e)
            e = end;
        if (e == p) {
            if (last && *n > 0)
                break;   /* one trailing slash */
            return *why = "empty path segment", -1;
        }
        if (*n == MAX_SEGMENTS)
            return *why = "too many path segments", -1;
        char *out = segs[*n];
        size_t k = 0;
        for (const char *q = p; q < e; q++) {
            unsigned char ch = (unsigned char)*q;
            if (ch == '%') {
                unsigned v = 0;
                for (int d = 1; d <= 2; d++) {
                    char h = q + d < e ? q[d] : '\0';
                    v <<= 4;
                    if (h >= '0' && h <= '9')
                        v |= (unsigned)(h - '0');
                    else if ((h | 32) >= 'a' && (h | 32) <= 'f')
                        v |= (unsigned)((h | 32) - 'a' + 10);
                    else
                        return *why = "bad percent escape in the path", -1;
                }
                ch = (unsigned char)v;
                q += 2;
            }
            if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\')
                return *why = "a path segment may not contain '/', '\\' or control characters", -1;
            if (k == MAX_SEGMENT_LEN)
                return *why = "a path segment is too long", -1;
            out[k++] = (char)ch;
        }
        out[k] = '\0';
        if (!strcmp(out, ".") || !strcmp(out, ".."))
            return *why = "'.' and '..' are not allowed in a path", -1;
        (*n)++;
        if (last)
            break;
        p = e + 1;
    }
    return 0;
}

/* The scope of the request's bearer token, or NULL with the answer (401 / 503) set. */
static pcs_token_scope_t *authenticate(pcs_api_t *a, struct MHD_Connection *c, PGconn *db, pcs_api_answer_t *ans)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        atomic_fetch_add(&a->counters.auth_failures, 1);
        pcs_api_answer_error(ans, 401, "this request needs 'Authorization: Bearer TOKEN' (pcs token create)");
        return NULL;
    }
    const char *t = h + 7;
    while (*t == ' ')
        t++;
    size_t len = strcspn(t, " \t");
    if (!db) {
        pcs_api_answer_error(ans, 503, "the database is not reachable; try again");
        return NULL;
    }
    pcs_err_t err = {0};
    pcs_token_scope_t *s = pcs_token_authenticate(db, t, len, &err);
    if (!s && err.code == PCS_EINVAL) {
        atomic_fetch_add(&a->counters.auth_failures, 1);
        pcs_api_answer_error(ans, 401, "%s", err.msg);
    } else if (!s) {
        pcs_log(PCS_LOG_ERROR, "api", "auth", "%s", err.msg);
        pcs_api_answer_error(ans, 503, "the database is not reachable; try again");
    }
    return s;
}

static void answer_file(const pcs_web_file_t *f, pcs_api_answer_t *ans)
{
    ans->status = 200;
    ans->body = f->data;
    ans->len = f->len;
    ans->type = f->type;
    ans->persistent = true;
    ans->is_static = true;
}

static bool is_get(const char *method)
{
    return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

static void route(pcs_api_t *a, struct MHD_Connection *c, request_t *rq, const char *method, pcs_api_answer_t *ans)
{
    char segs[MAX_SEGMENTS][MAX_SEGMENT_LEN + 1];
    int n;
    const char *why = NULL;
    if (split_path(rq->raw_uri, segs, &n, &why) < 0) {
        pcs_api_answer_error(ans, 400, "%s", why);
        return;
    }
    bool api = n >= 1 && !strcmp(segs[0], "api");
    bool metrics = n == 1 && !strcmp(segs[0], "metrics");
    if (!api) {
        /* the dashboard and /metrics: GET only, no token */
        if (!is_get(method)) {
            ans->allow = "GET, HEAD";
            pcs_api_answer_error(ans, 405, "%s is not allowed here", method);
            return;
        }
        const pcs_web_file_t *f = NULL;
        if (metrics) {
            int slot = pool_take(a);
            pcs_store_t *st = pool_store(a, slot);
            size_t len = 0;
            char *text = pcs_api_metrics_text(st ? pcs_store_conn(st) : NULL, &a->counters, &len);
            pool_give(a, slot);
            if (!text) {
                pcs_api_answer_error(ans, 500, "out of memory");
                return;
            }
            ans->status = 200;
            ans->body = text;
            ans->len = len;
            ans->type = "text/plain; version=0.0.4; charset=utf-8";
            return;
        }
        if (n == 0 || (n == 2 && !strcmp(segs[0], "partners")))
            f = pcs_web_get(a->web, "index.html");
        else if (n == 1)
            f = pcs_web_get(a->web, segs[0]);
        if (f)
            answer_file(f, ans);
        else
            pcs_api_answer_error(ans, 404, "no such page");
        return;
    }
    int slot = pool_take(a);
    pcs_store_t *st = pool_store(a, slot);
    pcs_token_scope_t *scope = authenticate(a, c, st ? pcs_store_conn(st) : NULL, ans);
    if (scope) {
        pcs_api_request_t req = {.store = st, .conn = c, .method = method, .body = rq->body, .body_len = rq->body_len,
                                 .scope = scope, .rules = a->rules,
                                 .today = a->today != PCS_DAY_NONE ? a->today : pcs_day_today_utc()};
        for (int i = 1; i < n; i++)
            req.segs[req.n_segs++] = segs[i];
        pcs_api_routes_answer(&req, ans);
    }
    pcs_token_scope_destroy(&scope);
    pool_give(a, slot);
}

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                          " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

static enum MHD_Result send_answer(pcs_api_t *a, struct MHD_Connection *c, request_t *rq, const char *method,
                                   pcs_api_answer_t *ans)
{
    if (!ans->body)
        pcs_api_answer_error(ans, 500, "out of memory");
    struct MHD_Response *resp = ans->body ? MHD_create_response_from_buffer(ans->len, ans->body,
                                                                            ans->persistent ? MHD_RESPMEM_PERSISTENT
                                                                                            : MHD_RESPMEM_MUST_FREE)
                                          : NULL;
    if (!resp) {
        if (!ans->persistent)
            free(ans->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ans->type ? ans->type : "application/json");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, ans->is_static ? "no-cache" : "no-store");
    if (ans->is_static && ans->type && !strncmp(ans->type, "text/html", 9))
        MHD_add_response_header(resp, "Content-Security-Policy", csp);
    if (ans->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"pcs\"");
    if (ans->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ans->allow);
    enum MHD_Result r = MHD_queue_response(c, ans->status, resp);
    MHD_destroy_response(resp);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t us = (uint64_t)((t1.tv_sec - rq->t0.tv_sec) * 1000000 + (t1.tv_nsec - rq->t0.tv_nsec) / 1000);
    pcs_api_count(&a->counters, ans->status, us);
    if (a->cfg.access_log || ans->status >= 500) {
        /* the path only: a query string may carry what a person typed; never a header */
        char path[256];
        snprintf(path, sizeof path, "%.*s", (int)strcspn(rq->raw_uri, "?"), rq->raw_uri);
        pcs_log(ans->status >= 500 ? PCS_LOG_WARN : PCS_LOG_INFO, "api", "http", "%s %s %u %.1f ms", method, path,
                ans->status, (double)us / 1000.0);
    }
    return r;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    pcs_api_t *a = cls;
    request_t *rq = *con_cls;
    pcs_api_answer_t ans = {0};
    if (!rq)
        return MHD_NO;   /* out of memory in on_uri: drop the connection */
    if (!rq->started) {
        rq->started = true;
        rq->counted = true;
        atomic_fetch_add(&a->in_flight, 1);
        size_t hbytes = strlen(rq->raw_uri);
        MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_size, &hbytes);
        if (hbytes > (size_t)a->cfg.max_header_bytes) {
            pcs_api_answer_error(&ans, 431, "the request line and headers are larger than %lld bytes",
                                 (long long)a->cfg.max_header_bytes);
            return send_answer(a, c, rq, method, &ans);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > (unsigned long long)a->cfg.max_body_bytes) {
            pcs_api_answer_error(&ans, 413, "the body is larger than %lld bytes", (long long)a->cfg.max_body_bytes);
            return send_answer(a, c, rq, method, &ans);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        /* a chunked body past the limit: read and dropped, answered 413 at its end; one that goes
         * on far past it closes the connection */
        if (rq->too_large || rq->body_len + *upload_size > (size_t)a->cfg.max_body_bytes) {
            rq->too_large = true;
            rq->discarded += *upload_size;
            *upload_size = 0;
            return rq->discarded > 16 * (size_t)a->cfg.max_body_bytes ? MHD_NO : MHD_YES;
        }
        char *b = realloc(rq->body, rq->body_len + *upload_size + 1);
        if (!b)
            return MHD_NO;
        memcpy(b + rq->body_len, upload, *upload_size);
        rq->body = b;
        rq->body_len += *upload_size;
        rq->body[rq->body_len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large)
        pcs_api_answer_error(&ans, 413, "the body is larger than %lld bytes", (long long)a->cfg.max_body_bytes);
    else
        route(a, c, rq, method, &ans);
    return send_answer(a, c, rq, method, &ans);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    pcs_log(PCS_LOG_DEBUG, "api", "mhd", "%s", msg);
}

/* ---- lifecycle ---------------------------------------------------------------------------------------- */

pcs_api_t *pcs_api_new(const pcs_api_config_t *cfg, pcs_err_t *err)
{
    pcs_api_t *a = calloc(1, sizeof *a);
    if (!a) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    a->cfg = *cfg;
    /* jansson draws its hash seed on first use: done here, before the worker threads exist */
    json_object_seed(0);
    pthread_mutex_init(&a->pool.mu, NULL);
    pthread_cond_init(&a->pool.cv, NULL);
    a->pool.n = (int)cfg->workers;
    a->pool.stores = calloc((size_t)a->pool.n, sizeof *a->pool.stores);
    a->pool.busy = calloc((size_t)a->pool.n, sizeof *a->pool.busy);
    if (!a->pool.stores || !a->pool.busy) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    a->today = PCS_DAY_NONE;
    if (cfg->today[0] && pcs_day_parse(cfg->today, &a->today) < 0) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "today: expected YYYY-MM-DD or nothing, got '%s'", cfg->today);
        goto fail;
    }
    char path[4096];
    if (!(a->rules = pcs_rules_open(cfg->rule_set, path, sizeof path, err))) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        pcs_err_set(err, PCS_EINVAL, 0, 0, "rule_set %s (%s): %s", cfg->rule_set, path, why);
        goto fail;
    }
    if (!(a->web = pcs_web_load(cfg->web_dir, err)))
        goto fail;
    if (!pcs_web_get(a->web, "index.html")) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "web_dir %s: no index.html", cfg->web_dir);
        goto fail;
    }
    if (cfg->tls_cert_file[0] || cfg->tls_key_file[0]) {
        size_t n;
        if (!cfg->tls_cert_file[0] || !cfg->tls_key_file[0]) {
            pcs_err_set(err, PCS_EINVAL, 0, 0, "TLS needs both tls_cert_file and tls_key_file");
            goto fail;
        }
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
            pcs_err_set(err, PCS_EINVAL, 0, 0, "this libmicrohttpd has no TLS support; use a reverse proxy");
            goto fail;
        }
        if (pcs_file_read(cfg->tls_cert_file, 1u << 20, &a->tls_cert, &n, err) < 0 ||
            pcs_file_read(cfg->tls_key_file, 1u << 20, &a->tls_key, &n, err) < 0)
            goto fail;
    }
    return a;
fail:
    pcs_api_destroy(&a);
    return NULL;
}

int pcs_api_start(pcs_api_t *a, unsigned *port, pcs_err_t *err)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->cfg.port)};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)a->cfg.port)};
    const struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, a->cfg.listen_address, &v4.sin_addr) == 1) {
        sa = (const struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, a->cfg.listen_address, &v6.sin6_addr) == 1) {
        sa = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else {
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "listen_address: '%s' is not an IPv4 or IPv6 address",
                           a->cfg.listen_address);
    }
    if (a->tls_cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[] = {
        {a->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, a->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, a->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    a->mhd = MHD_start_daemon(flags, (uint16_t)a->cfg.port, NULL, NULL, on_request, a,
                              MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a,
                              MHD_OPTION_SOCK_ADDR, sa,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)a->cfg.workers,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)a->cfg.max_connections,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)a->cfg.timeout_s,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(2 * a->cfg.max_header_bytes + 16384),
                              MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
                              MHD_OPTION_URI_LOG_CALLBACK, on_uri, a,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
                              MHD_OPTION_ARRAY, tls,
                              MHD_OPTION_END);
    if (!a->mhd)
        return pcs_err_set(err, PCS_EIO, 0, 0, "cannot listen on %s port %lld (in use? see the log)",
                           a->cfg.listen_address, (long long)a->cfg.port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : (unsigned)a->cfg.port;
    return 0;
}

void pcs_api_stop(pcs_api_t *a, int wait_ms)
{
    if (!a || !a->mhd)
        return;
    /* no new connection; the requests already read get their answer (bounded) */
    MHD_socket s = MHD_quiesce_daemon(a->mhd);
    if (s != MHD_INVALID_SOCKET)
        close(s);
    for (int waited = 0; waited < wait_ms && atomic_load(&a->in_flight) > 0; waited += 20)
        nanosleep(&(struct timespec){0, 20 * 1000000}, NULL);
    MHD_stop_daemon(a->mhd);
    a->mhd = NULL;
}

int pcs_api_check_config(const pcs_api_config_t *cfg, pcs_err_t *err)
{
    struct in6_addr addr;
    int32_t d;
    if (inet_pton(AF_INET, cfg->listen_address, &addr) != 1 && inet_pton(AF_INET6, cfg->listen_address, &addr) != 1)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "listen_address: '%s' is not an IPv4 or IPv6 address",
                           cfg->listen_address);
    if (cfg->today[0] && pcs_day_parse(cfg->today, &d) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "today: expected YYYY-MM-DD or nothing, got '%s'", cfg->today);
    if (!cfg->tls_cert_file[0] != !cfg->tls_key_file[0])
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "TLS needs both tls_cert_file and tls_key_file, or neither");
    return 0;
}

void pcs_api_destroy(pcs_api_t **ap)
{
    pcs_api_t *a = ap ? *ap : NULL;
    if (!a)
        return;
    pcs_api_stop(a, 0);
    for (int i = 0; a->pool.stores && i < a->pool.n; i++)
        pcs_store_destroy(&a->pool.stores[i]);
    free(a->pool.stores);
    pcs_rules_destroy(&a->rules);
    free(a->pool.busy);
    pthread_mutex_destroy(&a->pool.mu);
    pthread_cond_destroy(&a->pool.cv);
    pcs_web_destroy(&a->web);
    if (a->tls_key)
        memset(a->tls_key, 0, strlen(a->tls_key));
    free(a->tls_key);
    free(a->tls_cert);
    free(a);
    *ap = NULL;
}
