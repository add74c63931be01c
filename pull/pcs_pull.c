/* pcs-pull: fetches the four Insights datasets of one partner account from Partner Center's
 * programmatic access into the spool of pcs-ingest, once a month and on `pcs pull now`.
 *
 * One libuv loop (common/pcs_daemon): HTTP through libcurl multi on the loop (pcs_http), PostgreSQL
 * through pcs_pgasync, a ZeroMQ control socket (pcs_zsock), the schedule timer and the signals.
 * A run is four jobs (one per dataset) that advance one request at a time: query (created once
 * per account and dataset), a one-time report of the run, polling its execution, the download.
 * Every step is written to PostgreSQL before the next begins, so a restart (kill -9 included)
 * resumes the open run where it stood. A file reaches the spool by a rename from a hidden
 * temporary name, under a name made of the execution id; the rename is the delivery, and a restart
 * that finds that name in incoming/, done/ or failed/ knows it was made.
 *
 * Errors: 429 waits Retry-After; 5xx, network errors and cut downloads back off exponentially up to
 * max_attempts per step; 401 refreshes the access token once; a refresh token Entra refuses ends
 * the run with "sign in again: pcs pull login". Tokens, secrets and secure links are never logged. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include <curl/curl.h>

#include "pcs_daemon.h"
#include "pcs_date.h"
#include "pcs_entra.h"
#include "pcs_http.h"
#include "pcs_log.h"
#include "pcs_pcapi.h"
#include "pcs_pgasync.h"
#include "pcs_pullcfg.h"
#include "pcs_zsock.h"

typedef enum { S_LOAD, S_QUERY, S_REPORT, S_POLL, S_DOWNLOAD, S_DONE, S_FAILED } step_t;

typedef struct puller puller_t;

typedef struct job {
    puller_t *p;
    int ds;
    step_t step;
    bool busy;             /* a request, a query or a timer is pending */
    bool first;            /* no file of this dataset was ever delivered: the long window */
    step_t after_load;     /* where S_LOAD leads (S_QUERY, or the step of a resumed item) */
    bool want_token;       /* waits for an access token */
    bool looked_up;        /* S_QUERY / S_REPORT: the lookup by name was made */
    int attempts;          /* failures of the current step */
    int auth_retries;
    unsigned token_gen;    /* of the access token the request in flight carries */
    char query_id[128], report_id[128], exec_id[128], file[600];
    char *link;            /* the secure link: a credential, memory only */
    char *select;          /* the query to create, from the dataset's columns (S_QUERY) */
    int fd;
    uv_timer_t timer;
} job_t;

struct puller {
    pcs_pullcfg_t cfg;
    uv_loop_t *loop;
    uv_timer_t sched, token_timer;
    pcs_zsock_t *ctl;
    pcs_pgasync_t *db;      /* every query on the loop, in order */
    pcs_curl_uv_t *http;    /* HTTP requests on the loop (pcs_http) */
    long long run_id;       /* the open run, 0 when none */
    job_t jobs[PCS_PCAPI_DATASETS];
    char *access;           /* the access token (memory only) */
    uint64_t access_until;  /* uv_now() ms */
    unsigned token_gen;     /* counts access tokens, so a late 401 does not drop a newer one */
    bool token_busy;
    int token_attempts;
    bool starting;          /* a run's INSERT (or the resume's SELECT) is in flight */
    bool want_reply;        /* a `pcs pull now` waits for that INSERT */
    char period_pending[8]; /* the month of the scheduled run being inserted */
    char period_seen[8];    /* the month whose scheduled run exists */
    bool stopping;
};

#define LOG(lvl, mod, ...) pcs_log(PCS_LOG_##lvl, "pull", mod, __VA_ARGS__)
#define DS(j) (pcs_pcapi_datasets[(j)->ds].name)

static void job_next(job_t *j);
static void job_fail(job_t *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_check_end(puller_t *p);

/* ---- database ----------------------------------------------------------------------------------------- */

/* Queries go through pcs_pgasync, in order, on the loop. A continuation gets the result, or NULL
 * when the query failed (logged here); a job waiting for one is busy. */
typedef void (*db_cb)(puller_t *p, job_t *j, PGresult *res);

typedef struct dbop {
    puller_t *p;
    job_t *j;
    db_cb cb;
} dbop_t;

static void on_db(PGresult *res, const pcs_err_t *err, void *arg)
{
    dbop_t *op = arg;
    puller_t *p = op->p;
    job_t *j = op->j;
    db_cb cb = op->cb;
    free(op);
    if (!res)
        LOG(WARN, "db", "%s", err && err->msg[0] ? err->msg : "query failed");
    if (p->stopping)
        return;
    if (j)
        j->busy = false;
    if (cb)
        cb(p, j, res);
}

/* Queues one statement; cb (may be NULL) continues with its result. j (may be NULL) is busy until then. */
static void sql(puller_t *p, job_t *j, const char *q, int n, const char *const *params, db_cb cb)
{
    dbop_t *op = malloc(sizeof *op);
    if (op) {
        *op = (dbop_t){p, j, cb};
        if (pcs_pgasync_query(p->db, q, n, params, on_db, op) == 0) {
            if (j)
                j->busy = true;
            return;
        }
        free(op);
    }
    LOG(ERROR, "db", "out of memory");
    if (cb)
        cb(p, j, NULL);
}

static void item_set(job_t *j, const char *state, const char *error, db_cb cb)
{
    char run[32];
    snprintf(run, sizeof run, "%lld", j->p->run_id);
    const char *prm[7] = {run, DS(j), state, j->report_id[0] ? j->report_id : NULL,
                          j->exec_id[0] ? j->exec_id : NULL, j->file[0] ? j->file : NULL, error};
    sql(j->p, cb ? j : NULL,
        "UPDATE pull_items SET state = $3, report_id = $4, execution_id = $5, file = $6, error = $7,"
        " updated_at = now() WHERE run_id = $1 AND dataset = $2",
        7, prm, cb);
}

static void item_count_attempt(job_t *j)
{
    char run[32];
    snprintf(run, sizeof run, "%lld", j->p->run_id);
    const char *prm[2] = {run, DS(j)};
    sql(j->p, NULL, "UPDATE pull_items SET attempts = attempts + 1, updated_at = now() WHERE run_id = $1 AND dataset = $2",
        2, prm, NULL);
}

/* ---- timers and backoff ------------------------------------------------------------------------------ */

static void on_job_timer(uv_timer_t *t)
{
    job_t *j = t->data;
    j->busy = false;
    job_next(j);
}

static void job_later(job_t *j, uint64_t ms)
{
    j->busy = true;
    uv_timer_start(&j->timer, on_job_timer, ms, 0);
}

static uint64_t backoff_ms(const puller_t *p, int attempts)
{
    uint64_t ms = (uint64_t)p->cfg.retry_base_ms;
    for (int i = 1; i < attempts && ms < (uint64_t)p->cfg.retry_max_ms; i++)
        ms *= 2;
    return ms < (uint64_t)p->cfg.retry_max_ms ? ms : (uint64_t)p->cfg.retry_max_ms;
}

/* A failed request: again after a backoff, or the dataset fails after max_attempts. */
static void job_retry(job_t *j, const char *why)
{
    item_count_attempt(j);
    if (++j->attempts >= j->p->cfg.max_attempts) {
        job_fail(j, "%s (after %d attempts)", why, j->attempts);
        return;
    }
    uint64_t ms = backoff_ms(j->p, j->attempts);
    LOG(WARN, "http", "%s: %s; attempt %d of %lld in %llu ms", DS(j), why, j->attempts + 1,
        (long long)j->p->cfg.max_attempts, (unsigned long long)ms);
    job_later(j, ms);
}

static void job_fail(job_t *j, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    LOG(ERROR, "run", "run %lld: %s failed: %s", j->p->run_id, DS(j), why);
    j->step = S_FAILED;
    j->want_token = false;
    pcs_entra_secret_free(&j->link);
    item_set(j, "failed", why, NULL);
    run_check_end(j->p);
}

/* ---- tokens ------------------------------------------------------------------------------------------- */

static void token_fetch(puller_t *p);

static void wake_token_waiters(puller_t *p)
{
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++) {
        job_t *j = &p->jobs[i];
        if (j->want_token) {
            j->want_token = false;
            job_next(j);
        }
    }
}

static void fail_token_waiters(puller_t *p, const char *why)
{
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++)
        if (p->jobs[i].want_token)
            job_fail(&p->jobs[i], "%s", why);
}

static void on_token_timer(uv_timer_t *t)
{
    token_fetch(t->data);
}

static void on_token(void *arg, const pcs_http_resp_t *r)
{
    puller_t *p = arg;
    p->token_busy = false;
    pcs_entra_token_t tok;
    char why[256] = "";
    pcs_entra_status_t st = pcs_entra_parse_token(r->error ? 0 : r->status, r->body, &tok, why, sizeof why);
    if (st == PCS_ENTRA_OK) {
        pcs_entra_secret_free(&p->access);
        p->access = tok.access;
        tok.access = NULL;
        p->token_gen++;
        long life = tok.expires_in > 120 ? tok.expires_in - 60 : tok.expires_in / 2;
        p->access_until = uv_now(p->loop) + (uint64_t)(life > 0 ? life : 1) * 1000;
        p->token_attempts = 0;
        if (tok.refresh && !pcs_pullcfg_app_only(&p->cfg)) {
            /* Entra rotates refresh tokens: keep the newest, the old one may stop working */
            pcs_err_t err = {0};
            if (pcs_entra_secret_write(p->cfg.token_file, tok.refresh, &err) < 0)
                LOG(ERROR, "auth", "cannot store the new refresh token: %s", err.msg);
        }
        pcs_entra_token_clear(&tok);
        LOG(INFO, "auth", "access token obtained (%s), valid %ld s",
            pcs_pullcfg_app_only(&p->cfg) ? "client credentials" : "refresh token", tok.expires_in ? 0L : life);
        wake_token_waiters(p);
        return;
    }
    if (st == PCS_ENTRA_RETRY && ++p->token_attempts < p->cfg.max_attempts) {
        uint64_t ms = r->retry_after_s >= 0 ? (uint64_t)r->retry_after_s * 1000 : backoff_ms(p, p->token_attempts);
        LOG(WARN, "auth", "token endpoint: %s%s%s; again in %llu ms", why, r->error ? ": " : "",
            r->error ? r->error : "", (unsigned long long)ms);
        uv_timer_start(&p->token_timer, on_token_timer, ms, 0);
        return;
    }
    char msg[512];
    if (st == PCS_ENTRA_SIGN_IN)
        snprintf(msg, sizeof msg, "Entra refused the %s (%s): sign in again with `pcs pull login`",
                 pcs_pullcfg_app_only(&p->cfg) ? "client credentials" : "refresh token", why);
    else
        snprintf(msg, sizeof msg, "no access token: %s", why);
    LOG(ERROR, "auth", "%s", msg);
    p->token_attempts = 0;
    fail_token_waiters(p, msg);
}

static void token_fetch(puller_t *p)
{
    if (p->token_busy || p->stopping)
        return;
    pcs_err_t err = {0};
    char *secret = NULL, *refresh = NULL, *body = NULL;
    if (p->cfg.client_secret_file[0] && pcs_entra_secret_read(p->cfg.client_secret_file, &secret, &err) < 0)
        goto refused;
    if (!pcs_pullcfg_app_only(&p->cfg) && pcs_entra_secret_read(p->cfg.token_file, &refresh, &err) < 0) {
        if (err.code == PCS_EIO && access(p->cfg.token_file, F_OK) < 0)
            pcs_err_set(&err, PCS_EIO, 0, 0, "%s: no refresh token yet: sign in with `pcs pull login`",
                        p->cfg.token_file);
        goto refused;
    }
    body = pcs_pullcfg_app_only(&p->cfg) ? pcs_entra_form_client_credentials(&p->cfg, secret)
                                         : pcs_entra_form_refresh(&p->cfg, refresh, secret);
    char url[600];
    pcs_pullcfg_entra_url(&p->cfg, "token", url, sizeof url);
    pcs_http_req_t req = {.method = "POST", .url = url, .body = body,
                          .content_type = "application/x-www-form-urlencoded", .out_fd = -1,
                          .max_body = 1 << 20, .timeout_ms = p->cfg.request_timeout_ms};
    if (!body || pcs_http_start(p->http, &req, on_token, p) < 0) {
        pcs_err_set(&err, PCS_ENOMEM, 0, 0, "cannot start the token request");
        goto refused;
    }
    p->token_busy = true;
    goto out;
refused:
    LOG(ERROR, "auth", "%s", err.msg);
    fail_token_waiters(p, err.msg);
out:
    pcs_entra_secret_free(&body);
    pcs_entra_secret_free(&secret);
    pcs_entra_secret_free(&refresh);
}

/* ---- API requests ------------------------------------------------------------------------------------- */

static void on_api(void *arg, const pcs_http_resp_t *r);

static void api(job_t *j, const char *method, const char *url, const char *body)
{
    puller_t *p = j->p;
    if (!p->access || uv_now(p->loop) >= p->access_until) {
        j->want_token = true;
        token_fetch(p);
        return;
    }
    pcs_http_req_t req = {.method = method, .url = url, .body = body, .content_type = "application/json",
                          .bearer = p->access, .out_fd = -1, .max_body = 16u << 20,
                          .timeout_ms = p->cfg.request_timeout_ms};
    if (pcs_http_start(p->http, &req, on_api, j) < 0) {
        job_retry(j, "cannot start a request");
        return;
    }
    j->token_gen = p->token_gen;
    j->busy = true;
}

static void name_of(const job_t *j, const char *what, char *buf, size_t n)
{
    int w;
    if (strcmp(what, "report") == 0)
        w = snprintf(buf, n, "pcs-%s-%s-run%lld", j->p->cfg.account, DS(j), j->p->run_id);
    else
        w = snprintf(buf, n, "pcs-%s-%s", j->p->cfg.account, DS(j));
    if (w < 0 || (size_t)w >= n)   /* a very long account name: the name is cut, the ids stay unique */
        buf[n - 1] = '\0';
}

/* The window of a report: first day of the month months back, to now. */
static void window(const job_t *j, char *start, char *end, size_t n)
{
    int back = (int)(j->first ? j->p->cfg.first_months_back : j->p->cfg.months_back);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(end, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1 - back;
    while (m < 1) {
        m += 12;
        y--;
    }
    snprintf(start, n, "%04d-%02d-01T00:00:00Z", y, m);
}

/* S_QUERY: the query of that name (created before a crash?), else the dataset's columns, then the
 * query made of them. */
static void step_query(job_t *j)
{
    char url[2048], name[400];
    name_of(j, "query", name, sizeof name);
    if (!j->looked_up) {
        char *e = pcs_http_escape(name);
        snprintf(url, sizeof url, "%s/ScheduledQueries?queryName=%s", j->p->cfg.api_base, e ? e : "");
        free(e);
        api(j, "GET", url, NULL);
    } else if (!j->select) {
        snprintf(url, sizeof url, "%s/ScheduledDataset", j->p->cfg.api_base);
        api(j, "GET", url, NULL);
    } else {
        char *q = pcs_pcapi_body_query(name, j->select);
        snprintf(url, sizeof url, "%s/ScheduledQueries", j->p->cfg.api_base);
        api(j, "POST", url, q);
        free(q);
    }
}

/* The dataset list (or 404: none offered, the first names then): the SELECT of the query. */
static void got_columns(job_t *j, const pcs_http_resp_t *r)
{
    char q[2048];
    pcs_err_t err = {0};
    if (pcs_pcapi_select(j->ds, r->status == 404 ? NULL : r->body, q, sizeof q, &err) < 0) {
        job_fail(j, "%s", err.msg);
        return;
    }
    if (!(j->select = strdup(q))) {
        job_retry(j, "out of memory");
        return;
    }
    LOG(INFO, "run", "%s: asking for %s", DS(j), q);
    job_next(j);
}

static void step_report(job_t *j)
{
    char url[2048], name[400];
    name_of(j, "report", name, sizeof name);
    if (!j->looked_up) {
        char *e = pcs_http_escape(name);
        snprintf(url, sizeof url, "%s/ScheduledReport?reportName=%s", j->p->cfg.api_base, e ? e : "");
        free(e);
        api(j, "GET", url, NULL);
        return;
    }
    char start[40], end[40];
    window(j, start, end, sizeof start);
    char *b = pcs_pcapi_body_report(name, j->query_id, start, end);
    snprintf(url, sizeof url, "%s/ScheduledReport", j->p->cfg.api_base);
    api(j, "POST", url, b);
    free(b);
}

static void step_poll(job_t *j)
{
    char url[2048], *e = pcs_http_escape(j->report_id);
    snprintf(url, sizeof url, "%s/ScheduledReport/execution/%s?executionStatus=Pending;Running;Paused;Completed"
             "&getLatestExecution=true", j->p->cfg.api_base, e ? e : "");
    free(e);
    api(j, "GET", url, NULL);
}

/* ---- the download ------------------------------------------------------------------------------------- */

static void spool_path(const puller_t *p, const char *dir, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s/%s", p->cfg.spool_dir, dir, name);
}

/* Whether the file of this execution reached the spool (it may have been loaded since). */
static bool delivered(const job_t *j)
{
    static const char *const dirs[] = {"incoming", "done", "failed"};
    char path[1200];
    for (int i = 0; i < 3; i++) {
        spool_path(j->p, dirs[i], j->file, path, sizeof path);
        if (access(path, F_OK) == 0)
            return true;
    }
    return false;
}

static void tmp_path(const job_t *j, char *buf, size_t n)
{
    char name[300];
    /* hidden and .part: pcs-ingest never picks it up */
    snprintf(name, sizeof name, ".pcs-pull-%s-%s.part", j->p->cfg.account, DS(j));
    spool_path(j->p, "incoming", name, buf, n);
}

/* The file is in the spool: the item is done and the execution the last one downloaded. */
static void item_done(job_t *j, long long bytes)
{
    puller_t *p = j->p;
    pcs_entra_secret_free(&j->link);
    j->step = S_DONE;
    char run[32], nbytes[32];
    snprintf(run, sizeof run, "%lld", p->run_id);
    snprintf(nbytes, sizeof nbytes, "%lld", bytes);
    const char *prm[5] = {run, DS(j), bytes >= 0 ? nbytes : NULL, p->cfg.account, j->exec_id};
    sql(p, NULL,
        "WITH i AS (UPDATE pull_items SET state = 'done', bytes = coalesce($3::bigint, bytes), error = NULL,"
        " updated_at = now() WHERE run_id = $1 AND dataset = $2)"
        " UPDATE pull_queries SET last_execution_id = $5, last_downloaded_at = now() WHERE account = $4 AND dataset = $2",
        5, prm, NULL);
    run_check_end(p);
}

static void on_download(void *arg, const pcs_http_resp_t *r);

static void step_download(job_t *j)
{
    char tmp[1200];
    tmp_path(j, tmp, sizeof tmp);
    j->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (j->fd < 0) {
        job_retry(j, strerror(errno));
        return;
    }
    pcs_http_req_t req = {.method = "GET", .url = j->link, .out_fd = j->fd, .low_speed_s = 120,
                          .connect_timeout_ms = 30000};
    if (!pcs_http_url_safe(j->link)) {
        close(j->fd);
        j->fd = -1;
        job_fail(j, "the secure link is not https");
        return;
    }
    if (pcs_http_start(j->p->http, &req, on_download, j) < 0) {
        close(j->fd);
        j->fd = -1;
        job_retry(j, "cannot start the download");
        return;
    }
    j->busy = true;
}

static void on_download(void *arg, const pcs_http_resp_t *r)
{
    job_t *j = arg;
    puller_t *p = j->p;
    j->busy = false;
    char tmp[1200], dst[1200];
    tmp_path(j, tmp, sizeof tmp);
    bool ok = !r->error && r->status == 200;
    if (ok && fsync(j->fd) < 0)
        ok = false;
    close(j->fd);
    j->fd = -1;
    if (p->stopping)
        return;
    if (ok && r->bytes > p->cfg.max_download_mb * 1024 * 1024)
        ok = false;
    if (!ok) {
        unlink(tmp);
        char why[300];
        if (r->error)
            snprintf(why, sizeof why, "download cut: %s after %lld bytes", r->error, r->bytes);
        else
            snprintf(why, sizeof why, "download: HTTP %ld", r->status);
        /* an expired link (403/404) gives a fresh one from the execution */
        if (r->status == 403 || r->status == 404 || r->status == 410) {
            pcs_entra_secret_free(&j->link);
            j->step = S_POLL;
        }
        job_retry(j, why);
        return;
    }
    spool_path(p, "incoming", j->file, dst, sizeof dst);
    if (rename(tmp, dst) < 0) {
        job_retry(j, strerror(errno));
        return;
    }
    /* the rename delivered the file; the rows below say so (a crash before them is seen by delivered()) */
    LOG(INFO, "run", "run %lld: %s: %lld bytes delivered to the spool as %s", p->run_id, DS(j), r->bytes, j->file);
    item_done(j, r->bytes);
}

/* ---- API replies ------------------------------------------------------------------------------------ */

/* The id of a query or a report is stored: the job moves on (or tries again). */
static void named_stored(puller_t *p, job_t *j, PGresult *res)
{
    bool report = j->step == S_REPORT;
    char *id = report ? j->report_id : j->query_id;
    if (!res) {
        id[0] = '\0';
        j->looked_up = false;
        job_retry(j, "cannot store the id");
        return;
    }
    LOG(INFO, "run", "run %lld: %s: %s %s (%s)", p->run_id, DS(j), report ? "report" : "query", id,
        j->looked_up ? "created" : "found");
    j->step = report ? S_POLL : S_REPORT;
    j->looked_up = false;
    j->attempts = 0;
    job_next(j);
}

/* A query or a report: the reply of its lookup by name or of its creation gives its id. A lookup
 * that finds none makes the job create it; the id is stored before the job moves to next. */
static void got_named(job_t *j, const pcs_http_resp_t *r, bool report)
{
    const char *what = report ? "report" : "query";
    char name[400], *id = report ? j->report_id : j->query_id;
    size_t idn = report ? sizeof j->report_id : sizeof j->query_id;
    name_of(j, what, name, sizeof name);
    int f = pcs_pcapi_find(r->body, report ? "reportName" : "name", name, report ? "reportId" : "queryId", id, idn);
    if (f <= 0) {
        if (f == 0 && !j->looked_up) {
            j->looked_up = true;   /* none yet: create it */
            job_next(j);
        } else {
            job_retry(j, f < 0 ? "reply is not JSON" : "created, but no id in the reply");
        }
        return;
    }
    if (report) {
        item_set(j, "reported", NULL, named_stored);
    } else {
        /* the spec of the columns wanted: a pcs that wants others creates the query again */
        const char *prm[4] = {j->p->cfg.account, DS(j), j->query_id, pcs_pcapi_datasets[j->ds].columns};
        sql(j->p, j,
            "INSERT INTO pull_queries (account, dataset, query_id, query_text) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (account, dataset) DO UPDATE SET query_id = $3, query_text = $4",
            4, prm, named_stored);
    }
}

static void execution_stored(puller_t *p, job_t *j, PGresult *res)
{
    (void)p;
    if (!res) {
        pcs_entra_secret_free(&j->link);
        job_retry(j, "cannot store the execution");
        return;
    }
    j->step = S_DOWNLOAD;
    j->attempts = 0;
    job_next(j);
}

static void got_execution(job_t *j, const pcs_http_resp_t *r)
{
    char id[128], status[64];
    pcs_err_t err = {0};
    char *link = NULL;
    if (pcs_pcapi_execution(r->body, id, sizeof id, status, sizeof status, &link, &err) < 0) {
        job_retry(j, err.msg);
        return;
    }
    if (strcasecmp(status, "Completed") != 0 || !link) {
        pcs_entra_secret_free(&link);
        if (strcasecmp(status, "Failed") == 0) {
            job_fail(j, "Partner Center reports execution %s failed", id);
            return;
        }
        j->attempts = 0;
        job_later(j, (uint64_t)j->p->cfg.poll_interval_ms);
        return;
    }
    for (char *c = id; *c; c++)   /* the id becomes part of a file name */
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-'))
            *c = '_';
    snprintf(j->exec_id, sizeof j->exec_id, "%s", id);
    snprintf(j->file, sizeof j->file, "pc-%s-%s-%s.csv", j->p->cfg.account, DS(j), id);
    pcs_entra_secret_free(&j->link);
    j->link = link;
    item_set(j, "downloading", NULL, execution_stored);
}

static void on_api(void *arg, const pcs_http_resp_t *r)
{
    job_t *j = arg;
    puller_t *p = j->p;
    j->busy = false;
    if (p->stopping)
        return;
    if (r->status == 401 && j->auth_retries < 2) {
        /* expired or revoked access token: a fresh one, then the same request */
        j->auth_retries++;
        if (j->token_gen == p->token_gen) {
            LOG(INFO, "auth", "%s: access token refused (HTTP 401): getting a new one", DS(j));
            pcs_entra_secret_free(&p->access);
        }
        job_next(j);
        return;
    }
    if (r->status == 429) {
        uint64_t ms = r->retry_after_s >= 0 ? (uint64_t)r->retry_after_s * 1000 : backoff_ms(p, j->attempts + 1);
        if (ms > (uint64_t)p->cfg.retry_max_ms)
            ms = (uint64_t)p->cfg.retry_max_ms;
        LOG(WARN, "http", "%s: rate limited (HTTP 429): waiting %llu ms as Retry-After asks", DS(j),
            (unsigned long long)ms);
        job_later(j, ms);
        return;
    }
    char why[400];
    if (r->error || r->status >= 500 || r->status == 0) {
        snprintf(why, sizeof why, "%s", r->error ? r->error : "");
        if (!r->error)
            snprintf(why, sizeof why, "HTTP %ld", r->status);
        job_retry(j, why);
        return;
    }
    if (j->step == S_QUERY && j->looked_up && !j->select && r->status == 404) {
        got_columns(j, r);   /* no dataset list: the first names */
        return;
    }
    if (j->step == S_POLL && r->status == 404) {   /* no execution yet */
        job_later(j, (uint64_t)p->cfg.poll_interval_ms);
        return;
    }
    if (r->status < 200 || r->status >= 300) {
        char msg[256];
        pcs_pcapi_message(r->body, msg, sizeof msg);
        job_fail(j, "Partner Center answered HTTP %ld%s%s%s", r->status, msg[0] ? ": " : "", msg,
                 r->status == 403 ? " (the signed-in user needs the Executive report viewer role, or the app its API "
                                    "permission and consent)"
                                  : "");
        return;
    }
    j->auth_retries = 0;
    switch (j->step) {
    case S_QUERY:
        if (j->looked_up && !j->select)
            got_columns(j, r);
        else
            got_named(j, r, false);
        break;
    case S_REPORT: got_named(j, r, true); break;
    case S_POLL: got_execution(j, r); break;
    default: break;
    }
}

static void job_loaded(puller_t *p, job_t *j, PGresult *res);

static void job_next(job_t *j)
{
    if (j->busy || j->p->stopping)
        return;
    switch (j->step) {
    case S_LOAD: {
        /* the query of the account and dataset, unless its text changed (a new pcs asks for other
         * columns: it is created again), and whether a file of it was ever delivered */
        const char *prm[3] = {j->p->cfg.account, DS(j), pcs_pcapi_datasets[j->ds].columns};
        sql(j->p, j,
            "SELECT (SELECT query_id FROM pull_queries WHERE account = $1 AND dataset = $2 AND query_text = $3),"
            " NOT EXISTS (SELECT 1 FROM pull_queries WHERE account = $1 AND dataset = $2"
            "             AND last_execution_id IS NOT NULL)",
            3, prm, job_loaded);
        break;
    }
    case S_QUERY:
        if (j->query_id[0]) {
            j->step = S_REPORT;
            j->looked_up = false;
            job_next(j);
        } else {
            step_query(j);
        }
        break;
    case S_REPORT: step_report(j); break;
    case S_POLL: step_poll(j); break;
    case S_DOWNLOAD:
        if (delivered(j)) {   /* renamed before a crash: the file is in the spool already */
            LOG(INFO, "run", "run %lld: %s: %s is in the spool already (delivered before a restart)", j->p->run_id,
                DS(j), j->file);
            item_done(j, -1);
        } else if (!j->link) {
            j->step = S_POLL;   /* a link is never stored: ask for the execution again */
            step_poll(j);
        } else {
            step_download(j);
        }
        break;
    default: break;
    }
}

/* ---- runs ------------------------------------------------------------------------------------------------ */

static void job_loaded(puller_t *p, job_t *j, PGresult *res)
{
    (void)p;
    if (!res || PQntuples(res) != 1) {
        job_retry(j, "cannot read the stored query");
        return;
    }
    if (!PQgetisnull(res, 0, 0))
        snprintf(j->query_id, sizeof j->query_id, "%s", PQgetvalue(res, 0, 0));
    j->first = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    j->step = j->after_load;
    j->attempts = 0;
    job_next(j);
}

/* A job at its beginning (S_LOAD, then after_load). */
static void job_init(puller_t *p, int ds, step_t after_load)
{
    job_t *j = &p->jobs[ds];
    pcs_entra_secret_free(&j->link);
    free(j->select);
    uv_timer_t t = j->timer;
    memset(j, 0, sizeof *j);
    j->timer = t;
    j->p = p;
    j->ds = ds;
    j->fd = -1;
    j->step = S_LOAD;
    j->after_load = after_load;
}

static void run_check_end(puller_t *p)
{
    if (!p->run_id)
        return;
    int done = 0, failed = 0;
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++) {
        if (p->jobs[i].step == S_DONE)
            done++;
        else if (p->jobs[i].step == S_FAILED)
            failed++;
        else
            return;
    }
    char run[32], files[16];
    snprintf(run, sizeof run, "%lld", p->run_id);
    snprintf(files, sizeof files, "%d", done);
    const char *prm[3] = {run, failed ? "failed" : "done", files};
    /* queued after the items' updates: the run's error gathers theirs */
    sql(p, NULL,
        "UPDATE pull_runs SET finished_at = now(), state = $2, files = $3,"
        " error = (SELECT string_agg(dataset || ': ' || error, '; ' ORDER BY dataset) FROM pull_items"
        "          WHERE run_id = $1 AND state = 'failed') WHERE run_id = $1",
        3, prm, NULL);
    pcs_log(failed ? PCS_LOG_ERROR : PCS_LOG_INFO, "pull", "run", "run %lld %s: %d of %d datasets delivered", p->run_id,
            failed ? "failed" : "done", done, PCS_PCAPI_DATASETS);
    p->run_id = 0;
}

static void schedule_check(puller_t *p);

/* The items of the open run: each job resumes at the step its row says. */
static void resume_items(puller_t *p, job_t *unused, PGresult *res)
{
    (void)unused;
    p->starting = false;
    if (!res) {
        p->run_id = 0;
        schedule_check(p);   /* tries again after retry_base_ms */
        return;
    }
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++) {
        job_init(p, i, S_FAILED);   /* unless its row says otherwise */
        p->jobs[i].step = S_FAILED;
    }
    for (int k = 0; k < PQntuples(res); k++)
        for (int i = 0; i < PCS_PCAPI_DATASETS; i++) {
            job_t *j = &p->jobs[i];
            if (strcmp(PQgetvalue(res, k, 0), DS(j)) != 0)
                continue;
            const char *st = PQgetvalue(res, k, 1);
            snprintf(j->report_id, sizeof j->report_id, "%s", PQgetvalue(res, k, 2));
            snprintf(j->exec_id, sizeof j->exec_id, "%s", PQgetvalue(res, k, 3));
            snprintf(j->file, sizeof j->file, "%s", PQgetvalue(res, k, 4));
            j->after_load = strcmp(st, "new") == 0 ? S_QUERY
                            : strcmp(st, "reported") == 0 ? S_POLL
                            : strcmp(st, "downloading") == 0 ? S_DOWNLOAD
                            : strcmp(st, "done") == 0 ? S_DONE : S_FAILED;
            j->step = j->after_load == S_DONE || j->after_load == S_FAILED ? j->after_load : S_LOAD;
        }
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++)
        job_next(&p->jobs[i]);
    run_check_end(p);
    schedule_check(p);
}

static void resume_run(puller_t *p, job_t *unused, PGresult *res)
{
    (void)unused;
    if (!res || PQntuples(res) == 0) {
        p->starting = false;
        schedule_check(p);
        return;
    }
    p->run_id = atoll(PQgetvalue(res, 0, 0));
    LOG(INFO, "run", "resuming run %lld", p->run_id);
    char run[32];
    snprintf(run, sizeof run, "%lld", p->run_id);
    const char *prm[1] = {run};
    sql(p, NULL,
        "SELECT dataset, state, coalesce(report_id, ''), coalesce(execution_id, ''), coalesce(file, '')"
        " FROM pull_items WHERE run_id = $1",
        1, prm, resume_items);
}

/* On start: the open run of the account, if any, resumes from its rows; then the schedule. */
static void run_resume(puller_t *p)
{
    const char *prm[1] = {p->cfg.account};
    p->starting = true;
    sql(p, NULL, "SELECT run_id FROM pull_runs WHERE account = $1 AND state = 'running'", 1, prm, resume_run);
}

/* Where a started run is reported: the control request waiting for its answer, or nothing. */
static void reply_started(puller_t *p, long long id, long long open);

static void run_started(puller_t *p, job_t *unused, PGresult *res)
{
    (void)unused;
    p->starting = false;
    long long id = res ? (PQntuples(res) ? atoll(PQgetvalue(res, 0, 0)) : 0) : -1;
    if (p->want_reply) {
        p->want_reply = false;
        reply_started(p, id, 0);
    }
    if (p->period_pending[0] && id >= 0)   /* started now, or it existed: the month is pulled */
        memcpy(p->period_seen, p->period_pending, sizeof p->period_seen);
    p->period_pending[0] = '\0';
    if (id <= 0)
        return;   /* the schedule's timer looks again */
    p->run_id = id;
    LOG(INFO, "run", "run %lld started for account %s", id, p->cfg.account);
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++)
        job_init(p, i, S_QUERY);
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++)
        job_next(&p->jobs[i]);
}

/* Starts a run: "schedule" (once per period YYYY-MM) or "now". false when one is open or starting. */
static bool run_start(puller_t *p, const char *trigger, const char *period)
{
    if (p->run_id || p->starting)
        return false;
    char dsets[200] = "{";
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++) {
        strcat(dsets, pcs_pcapi_datasets[i].name);
        strcat(dsets, i + 1 < PCS_PCAPI_DATASETS ? "," : "}");
    }
    const char *prm[4] = {p->cfg.account, trigger, period, dsets};
    p->starting = true;
    snprintf(p->period_pending, sizeof p->period_pending, "%s", period ? period : "");
    /* one statement: the run and its items together, or nothing (the month's run exists) */
    sql(p, NULL,
        "WITH r AS (INSERT INTO pull_runs (account, trigger, period) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        " RETURNING run_id),"
        " i AS (INSERT INTO pull_items (run_id, dataset) SELECT run_id, d FROM r, unnest($4::text[]) d)"
        " SELECT run_id FROM r",
        4, prm, run_started);
    return true;
}

/* ---- schedule ------------------------------------------------------------------------------------------ */

static void on_sched(uv_timer_t *t);

static void schedule_check(puller_t *p)
{
    if (!p->cfg.schedule || p->stopping)
        return;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    /* pull_day 29..31 is the month's last day in a shorter month */
    int32_t month = (tm.tm_year + 1900) * 12 + tm.tm_mon;
    int32_t day = pcs_month_first_day(month) + (int32_t)p->cfg.pull_day - 1;
    if (day > pcs_month_last_day(month))
        day = pcs_month_last_day(month);
    time_t due_t = (time_t)day * 86400 + (time_t)p->cfg.pull_hour * 3600;
    uint64_t next_ms = 6 * 3600 * 1000ull;
    char period[8];
    strftime(period, sizeof period, "%Y-%m", &tm);
    if (now >= due_t && strcmp(period, p->period_seen) != 0) {
        /* a run open or starting: the month's pull starts after it; a failed INSERT: again soon */
        next_ms = p->run_id || p->starting ? 60 * 1000 : (uint64_t)p->cfg.retry_base_ms;
        run_start(p, "schedule", period);
    } else if (now < due_t) if ((uint64_t)(due_t - now) * 1000 < next_ms) {
        next_ms = (uint64_t)(due_t - now) * 1000;
    }
    uv_timer_start(&p->sched, on_sched, next_ms, 0);
}

static void on_sched(uv_timer_t *t)
{
    schedule_check(t->data);
}

/* ---- control socket --------------------------------------------------------------------------------------- */

static void reply(puller_t *p, json_t *rep)
{
    char *s = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
    pcs_zsock_send(p->ctl, s ? s : "{\"ok\":false}", s ? strlen(s) : 12, 0);
    free(s);
    json_decref(rep);
}

/* {"cmd": "now"}: starts a run; {"ok": true, "run_id": N} or {"ok": false, "error": …}. */
static void on_control(pcs_zsock_t *sock, const pcs_zmsg_t *m, void *arg)
{
    (void)sock;
    puller_t *p = arg;
    if (m->error) {
        reply(p, json_pack("{s:b, s:s}", "ok", 0, "error", m->error));
        return;
    }
    json_t *req = json_loadb(m->frames[0].data, m->frames[0].len, JSON_REJECT_DUPLICATES, NULL);
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    if (!cmd || strcmp(cmd, "now") != 0) {
        reply(p, json_pack("{s:b, s:s}", "ok", 0, "error", "expected {\"cmd\": \"now\"}"));
    } else if (p->run_id) {
        reply_started(p, 0, p->run_id);
    } else if (p->starting) {
        reply(p, json_pack("{s:b, s:s}", "ok", 0, "error", "a pull is starting"));
    } else {
        p->want_reply = true;   /* answered when the run's row is in */
        run_start(p, "now", NULL);
    }
    json_decref(req);
}

static void reply_started(puller_t *p, long long id, long long open)
{
    if (id > 0)
        reply(p, json_pack("{s:b, s:I, s:s}", "ok", 1, "run_id", (json_int_t)id, "account", p->cfg.account));
    else if (open)
        reply(p, json_pack("{s:b, s:s, s:I}", "ok", 0, "error", "a pull is running", "run_id", (json_int_t)open));
    else if (id == 0)
        reply(p, json_pack("{s:b, s:s}", "ok", 0, "error", "a run of this account is open (another pcs-pull?)"));
    else
        reply(p, json_pack("{s:b, s:s}", "ok", 0, "error", "cannot record the run (database), retry"));
}

/* ---- the daemon ------------------------------------------------------------------------------------------- */

static int make_spool(const char *spool)
{
    char path[600];
    snprintf(path, sizeof path, "%s", spool);
    if (mkdir(path, 0750) < 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof path, "%s/incoming", spool);
    if (mkdir(path, 0750) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static void on_first_turn(uv_timer_t *t)
{
    run_resume(t->data);   /* then the schedule */
}

static int start(pcs_daemon_t *d, void *app)
{
    puller_t *p = app;
    p->loop = pcs_daemon_loop(d);
    if (make_spool(p->cfg.spool_dir) < 0) {
        LOG(ERROR, "spool", "%s/incoming: %s", p->cfg.spool_dir, strerror(errno));
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(p->db = pcs_pgasync_new(p->loop, p->cfg.db, "pull"))) {
        LOG(ERROR, "main", "out of memory");
        return 1;
    }
    if (!(p->http = pcs_curl_uv_new(p->loop))) {
        LOG(ERROR, "main", "libcurl cannot be initialised");
        return 1;
    }
    pcs_zsock_opts_t so = {.type = ZMQ_REP, .bind = p->cfg.control_endpoint,
                           .max_msg_bytes = p->cfg.common.zmq_max_msg_bytes, .frames = 1};
    pcs_err_t err = {0};
    if (!(p->ctl = pcs_zsock_new(p->loop, pcs_daemon_zctx(d), &so, on_control, p, &err))) {
        LOG(ERROR, "main", "%s", err.msg);
        return 1;
    }
    uv_timer_init(p->loop, &p->sched);
    uv_timer_init(p->loop, &p->token_timer);
    p->sched.data = p->token_timer.data = p;
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++) {
        uv_timer_init(p->loop, &p->jobs[i].timer);
        p->jobs[i].timer.data = &p->jobs[i];
        p->jobs[i].p = p;
        p->jobs[i].fd = -1;
        p->jobs[i].step = S_DONE;
    }
    if (p->cfg.schedule)
        LOG(INFO, "main", "monthly pull on day %lld at %02lld:00 UTC", (long long)p->cfg.pull_day,
            (long long)p->cfg.pull_hour);
    else
        LOG(INFO, "main", "no monthly pull (schedule = false): pulls on `pcs pull now` only");
    uv_timer_start(&p->sched, on_first_turn, 0, 0);   /* after the started line */
    return 0;
}

/* never a secret: the account, how it signs in, where files go */
static void describe(void *app, char *buf, size_t n)
{
    puller_t *p = app;
    snprintf(buf, n, "account %s (%s), libcurl %s, spool %s, control %s", p->cfg.account, p->cfg.auth,
             curl_version_info(CURLVERSION_NOW)->version, p->cfg.spool_dir, p->cfg.control_endpoint);
}

static void reload(pcs_daemon_t *d, void *app, const bool *changed)
{
    (void)d;
    (void)changed;
    puller_t *p = app;
    LOG(INFO, "config", "reloaded (schedule, polling and retry limits)");
    schedule_check(p);
}

/* An open run stays open in the database: the next start resumes it. */
static void drain(pcs_daemon_t *d, void *app)
{
    (void)d;
    puller_t *p = app;
    p->stopping = true;
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++) {
        if (p->jobs[i].fd >= 0)
            close(p->jobs[i].fd);
        p->jobs[i].fd = -1;
        pcs_entra_secret_free(&p->jobs[i].link);
    }
    pcs_curl_uv_destroy(&p->http);
    pcs_zsock_destroy(&p->ctl);
    pcs_pgasync_destroy(&p->db);   /* queries in flight are lost: their rows say where to resume */
    uv_handle_t *hs[2 + PCS_PCAPI_DATASETS] = {(uv_handle_t *)&p->sched, (uv_handle_t *)&p->token_timer};
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++)
        hs[2 + i] = (uv_handle_t *)&p->jobs[i].timer;
    pcs_daemon_close_handles(hs, sizeof hs / sizeof *hs);
}

static void stop(void *app)
{
    puller_t *p = app;
    pcs_curl_uv_destroy(&p->http);
    pcs_zsock_destroy(&p->ctl);
    pcs_entra_secret_free(&p->access);
    for (int i = 0; i < PCS_PCAPI_DATASETS; i++) {
        free(p->jobs[i].select);
        p->jobs[i].select = NULL;
    }
    pcs_pgasync_destroy(&p->db);
    curl_global_cleanup();
}

int main(int argc, char **argv)
{
    static puller_t p;   /* large (jobs, config): not on the stack */
    const pcs_daemon_spec_t spec = {
        .name = "pull",
        .summary = "Pulls the Partner Center Insights datasets CustomersAndTenants, AzureUsage, OfficeUsage and\n"
                   "TrainingCompletions of one partner account (the [partner_center] section) through Partner\n"
                   "Center's programmatic access, once a month (pull_day, pull_hour UTC, before the scorer's refresh\n"
                   "day) and on `pcs pull now`, and drops each download into SPOOL/incoming/ for pcs-ingest.\n"
                   "Sign in once with `pcs pull login --config FILE` (device code), or use client credentials.\n"
                   "State (queries, reports, executions, runs) is in PostgreSQL: `pcs pull status`.",
        .signals = "SIGTERM/SIGINT stop at once; an open run resumes on the next start (a second signal exits\n"
                   "at once); SIGHUP reloads the schedule, polling and retry limits (the account needs a restart).",
        .keys = pcs_pullcfg_keys,
        .n_keys = pcs_pullcfg_n_keys,
        .cfg_offset = offsetof(puller_t, cfg),
        .cfg_size = sizeof(pcs_pullcfg_t),
        .common_offset = offsetof(pcs_pullcfg_t, common),
        .validate = pcs_pullcfg_validate,
        .start = start, .describe = describe, .reload = reload, .drain = drain, .stop = stop,
    };
    signal(SIGPIPE, SIG_IGN);
    return pcs_daemon_main(&spec, &p, argc, argv);
}
