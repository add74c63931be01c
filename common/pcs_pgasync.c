#include "pcs_pgasync.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_log.h"

typedef struct query {
    struct query *next;
    char *sql;
    char **params;
    int n;
    pcs_pgasync_cb cb;
    void *arg;
} query_t;

typedef enum { ST_DOWN, ST_CONNECTING, ST_IDLE, ST_BUSY } state_t;

struct pcs_pgasync {
    uv_loop_t *loop;
    char *conninfo, *daemon;
    PGconn *conn;
    uv_poll_t *poll;          /* watches PQsocket(conn); freed by its close callback */
    int poll_fd;
    state_t st;
    bool stale;               /* conninfo changed: reconnect when idle */
    query_t *head, *tail;     /* head is the query running when st == ST_BUSY */
    PGresult *last;           /* the last result of the running query */
    size_t n;
    uv_timer_t *retry;        /* reconnects after a failure, with backoff */
    unsigned backoff_ms;      /* 0 after a success */
    int in_cb;                /* callbacks running: queries they queue wait for the caller */
};

static void on_io(uv_poll_t *h, int status, int events);

static void query_free(query_t *q)
{
    for (int i = 0; i < q->n; i++)
        free(q->params[i]);
    free(q->params);
    free(q->sql);
    free(q);
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void unwatch(pcs_pgasync_t *a)
{
    if (a->poll) {
        uv_poll_stop(a->poll);
        uv_close((uv_handle_t *)a->poll, free_handle);
        a->poll = NULL;
    }
}

/* Watches the connection's socket for events (a new socket needs a new handle). */
static void watch(pcs_pgasync_t *a, int events)
{
    int fd = PQsocket(a->conn);
    if (a->poll && a->poll_fd != fd)
        unwatch(a);
    if (!a->poll) {
        if (!(a->poll = malloc(sizeof *a->poll)))
            return;
        uv_poll_init(a->loop, a->poll, fd);
        a->poll->data = a;
        a->poll_fd = fd;
    }
    uv_poll_start(a->poll, events, on_io);
}

static query_t *pop(pcs_pgasync_t *a)
{
    query_t *q = a->head;
    if (q) {
        a->head = q->next;
        if (!a->head)
            a->tail = NULL;
        a->n--;
    }
    return q;
}

static void kick(pcs_pgasync_t *a);

static void on_retry(uv_timer_t *t)
{
    pcs_pgasync_t *a = t->data;
    if (a->st == ST_DOWN && a->head)
        kick(a);
}

/* Fails every query in hand with msg and drops the connection; the queries the callbacks queue
 * again are sent after a backoff (250 ms doubling to 5 s), so a server that is down is not
 * hammered. */
static void fail_all(pcs_pgasync_t *a, const char *msg)
{
    pcs_err_t err = {0};
    pcs_err_set(&err, PCS_EIO, 0, 0, "%.*s", (int)strcspn(msg, "\n"), msg);
    unwatch(a);
    PQclear(a->last);
    a->last = NULL;
    if (a->conn)
        PQfinish(a->conn);
    a->conn = NULL;
    a->st = ST_DOWN;
    a->backoff_ms = a->backoff_ms ? (a->backoff_ms >= 2500 ? 5000 : a->backoff_ms * 2) : 250;
    query_t *q = a->head;
    a->head = a->tail = NULL;
    a->n = 0;
    a->in_cb++;
    while (q) {
        query_t *nx = q->next;
        q->cb(NULL, &err, q->arg);
        query_free(q);
        q = nx;
    }
    a->in_cb--;
    if (a->head && a->retry)
        uv_timer_start(a->retry, on_retry, a->backoff_ms, 0);
}

static void next(pcs_pgasync_t *a);

static void start_connect(pcs_pgasync_t *a)
{
    a->stale = false;
    a->conn = PQconnectStart(a->conninfo);
    if (!a->conn || PQstatus(a->conn) == CONNECTION_BAD) {
        char why[600];
        snprintf(why, sizeof why, "cannot connect to PostgreSQL: %s", a->conn ? PQerrorMessage(a->conn) : "out of memory");
        pcs_log(PCS_LOG_WARN, a->daemon, "db", "%s", why);
        fail_all(a, why);
        return;
    }
    a->st = ST_CONNECTING;
    watch(a, UV_WRITABLE);   /* PQconnectPoll's first step is "writing" */
}

static void step_connect(pcs_pgasync_t *a)
{
    switch (PQconnectPoll(a->conn)) {
    case PGRES_POLLING_READING:
        watch(a, UV_READABLE);
        return;
    case PGRES_POLLING_WRITING:
        watch(a, UV_WRITABLE);
        return;
    case PGRES_POLLING_OK:
        PQsetnonblocking(a->conn, 1);
        a->st = ST_IDLE;
        a->backoff_ms = 0;
        next(a);
        return;
    default: {
        char why[600];
        snprintf(why, sizeof why, "cannot connect to PostgreSQL: %s", PQerrorMessage(a->conn));
        pcs_log(PCS_LOG_WARN, a->daemon, "db", "%s", why);
        fail_all(a, why);
    }
    }
}

/* Sends the query at the head, if any and the connection is free. */
static void next(pcs_pgasync_t *a)
{
    if (!a->head) {
        if (a->poll)
            uv_poll_stop(a->poll);   /* idle: nothing to wait for */
        if (a->stale && a->st == ST_IDLE) {
            PQfinish(a->conn);
            a->conn = NULL;
            unwatch(a);
            a->st = ST_DOWN;
        }
        return;
    }
    if (a->st == ST_IDLE && (a->stale || PQstatus(a->conn) != CONNECTION_OK)) {
        PQfinish(a->conn);
        a->conn = NULL;
        unwatch(a);
        a->st = ST_DOWN;
    }
    if (a->st == ST_DOWN) {
        start_connect(a);
        return;
    }
    if (a->st != ST_IDLE)
        return;
    query_t *q = a->head;
    if (PQsendQueryParams(a->conn, q->sql, q->n, NULL, (const char *const *)q->params, NULL, NULL, 0) != 1) {
        fail_all(a, PQerrorMessage(a->conn));
        return;
    }
    a->st = ST_BUSY;
    /* the query may not fit the socket at once: flush when writable, read when readable */
    int f = PQflush(a->conn);
    watch(a, f == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

static void finish_query(pcs_pgasync_t *a)
{
    query_t *q = pop(a);
    PGresult *r = a->last;
    a->last = NULL;
    a->st = ST_IDLE;
    pcs_err_t err = {0};
    ExecStatusType st = PQresultStatus(r);
    a->in_cb++;
    if (r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
        q->cb(r, NULL, q->arg);
    } else {
        const char *m = r ? PQresultErrorMessage(r) : "no result";
        pcs_err_set(&err, PCS_EIO, 0, 0, "%.*s", (int)strcspn(m, "\n"), m);
        q->cb(NULL, &err, q->arg);
    }
    a->in_cb--;
    PQclear(r);
    query_free(q);
}

static void step_query(pcs_pgasync_t *a, int events)
{
    if ((events & UV_WRITABLE) && PQflush(a->conn) == 0)
        watch(a, UV_READABLE);
    if (!(events & UV_READABLE))
        return;
    if (PQconsumeInput(a->conn) != 1) {
        fail_all(a, PQerrorMessage(a->conn));
        return;
    }
    while (!PQisBusy(a->conn)) {
        PGresult *r = PQgetResult(a->conn);
        if (!r) {
            finish_query(a);
            next(a);
            return;
        }
        /* of several results (a COPY, an error after rows) the last one tells */
        PQclear(a->last);
        a->last = r;
    }
}

static void on_io(uv_poll_t *h, int status, int events)
{
    pcs_pgasync_t *a = h->data;
    if (status < 0) {
        fail_all(a, uv_strerror(status));
        return;
    }
    if (a->st == ST_CONNECTING)
        step_connect(a);
    else if (a->st == ST_BUSY)
        step_query(a, events);
    else if (a->conn && PQconsumeInput(a->conn) != 1)
        fail_all(a, PQerrorMessage(a->conn));   /* idle and the server went away */
}

pcs_pgasync_t *pcs_pgasync_new(uv_loop_t *loop, const char *conninfo, const char *daemon)
{
    pcs_pgasync_t *a = calloc(1, sizeof *a);
    if (!a || !(a->conninfo = strdup(conninfo ? conninfo : "")) || !(a->daemon = strdup(daemon ? daemon : "pcs"))) {
        if (a)
            free(a->conninfo);
        free(a);
        return NULL;
    }
    a->loop = loop;
    if ((a->retry = malloc(sizeof *a->retry))) {
        uv_timer_init(loop, a->retry);
        a->retry->data = a;
    }
    return a;
}

void pcs_pgasync_destroy(pcs_pgasync_t **ap)
{
    pcs_pgasync_t *a = ap ? *ap : NULL;
    if (!a)
        return;
    *ap = NULL;
    if (a->retry) {
        uv_close((uv_handle_t *)a->retry, free_handle);
        a->retry = NULL;
    }
    fail_all(a, "closed");
    free(a->conninfo);
    free(a->daemon);
    free(a);
}

int pcs_pgasync_set_conninfo(pcs_pgasync_t *a, const char *conninfo)
{
    char *c = strdup(conninfo ? conninfo : "");
    if (!c)
        return PCS_ENOMEM;
    free(a->conninfo);
    a->conninfo = c;
    a->stale = true;
    if (a->st == ST_IDLE && !a->head)
        next(a);
    return 0;
}

/* Starts what can start: a connection (at once, or after the backoff of a failure) or the next
 * query. */
static void kick(pcs_pgasync_t *a)
{
    if (a->st == ST_IDLE)
        next(a);
    else if (a->st == ST_DOWN && !(a->retry && uv_is_active((uv_handle_t *)a->retry)))
        next(a);
}

size_t pcs_pgasync_pending(const pcs_pgasync_t *a)
{
    return a->n;
}

int pcs_pgasync_query(pcs_pgasync_t *a, const char *sql, int n, const char *const *params, pcs_pgasync_cb cb,
                      void *arg)
{
    query_t *q = calloc(1, sizeof *q);
    if (!q || !(q->sql = strdup(sql)) || (n && !(q->params = calloc((size_t)n, sizeof *q->params))))
        goto nomem;
    for (q->n = 0; q->n < n; q->n++)
        if (params[q->n] && !(q->params[q->n] = strdup(params[q->n])))
            goto nomem;
    q->cb = cb;
    q->arg = arg;
    if (a->tail)
        a->tail->next = q;
    else
        a->head = q;
    a->tail = q;
    a->n++;
    if (!a->in_cb)
        kick(a);
    return 0;
nomem:
    if (q)
        query_free(q);
    return PCS_ENOMEM;
}
