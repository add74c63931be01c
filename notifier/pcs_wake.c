/* pcs_wake: LISTEN on the loop (see pcs_wake.h). */
#include "pcs_wake.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_log.h"

struct pcs_wake {
    uv_loop_t *loop;
    char conninfo[256];
    char listen[128];
    void (*on_wake)(void *ud);
    void *ud;
    PGconn *conn;
    uv_poll_t *poll;
    uv_timer_t retry;
    unsigned backoff_ms;
    bool warned;
};

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void drop(pcs_wake_t *w)
{
    if (w->poll) {   /* stop watching before libpq closes the socket */
        uv_poll_stop(w->poll);
        uv_close((uv_handle_t *)w->poll, free_handle);
        w->poll = NULL;
    }
    PQfinish(w->conn);
    w->conn = NULL;
}

static void connect_later(pcs_wake_t *w);

static void on_readable(uv_poll_t *h, int status, int events)
{
    (void)events;
    pcs_wake_t *w = h->data;
    bool any = false;
    if (status < 0 || !PQconsumeInput(w->conn)) {
        pcs_log(PCS_LOG_WARN, "notifier", "wake", "LISTEN connection lost: %s",
                status < 0 ? uv_strerror(status) : PQerrorMessage(w->conn));
        drop(w);
        connect_later(w);
        return;
    }
    PGnotify *n;
    while ((n = PQnotifies(w->conn))) {
        any = true;
        PQfreemem(n);
    }
    if (any)
        w->on_wake(w->ud);
}

static void on_retry(uv_timer_t *t)
{
    pcs_wake_t *w = t->data;
    w->conn = PQconnectdb(w->conninfo);
    PGresult *r = NULL;
    if (PQstatus(w->conn) != CONNECTION_OK || PQresultStatus(r = PQexec(w->conn, w->listen)) != PGRES_COMMAND_OK ||
        PQsetnonblocking(w->conn, 1) != 0) {
        if (!w->warned)
            pcs_log(PCS_LOG_WARN, "notifier", "wake", "LISTEN: %s", PQerrorMessage(w->conn));
        w->warned = true;
        PQclear(r);
        drop(w);
        connect_later(w);
        return;
    }
    PQclear(r);
    w->warned = false;
    w->backoff_ms = 0;
    if (!(w->poll = malloc(sizeof *w->poll)) || uv_poll_init(w->loop, w->poll, PQsocket(w->conn)) != 0) {
        free(w->poll);
        w->poll = NULL;
        PQfinish(w->conn);
        w->conn = NULL;
        connect_later(w);
        return;
    }
    w->poll->data = w;
    uv_poll_start(w->poll, UV_READABLE, on_readable);
    w->on_wake(w->ud);   /* whatever committed while we were not listening */
}

static void connect_later(pcs_wake_t *w)
{
    w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : 250;
    if (w->backoff_ms > 30000)
        w->backoff_ms = 30000;
    uv_timer_start(&w->retry, on_retry, w->backoff_ms, 0);
}

pcs_wake_t *pcs_wake_new(uv_loop_t *loop, const char *conninfo, const char *channel, void (*on_wake)(void *ud), void *ud)
{
    pcs_wake_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->loop = loop;
    snprintf(w->conninfo, sizeof w->conninfo, "%s", conninfo);
    snprintf(w->listen, sizeof w->listen, "LISTEN %s", channel);
    w->on_wake = on_wake;
    w->ud = ud;
    uv_timer_init(loop, &w->retry);
    w->retry.data = w;
    uv_timer_start(&w->retry, on_retry, 0, 0);
    return w;
}

static void free_wake(uv_handle_t *h)
{
    free(h->data);
}

void pcs_wake_destroy(pcs_wake_t **pw)
{
    pcs_wake_t *w = pw ? *pw : NULL;
    if (!w)
        return;
    *pw = NULL;
    drop(w);
    uv_timer_stop(&w->retry);
    uv_close((uv_handle_t *)&w->retry, free_wake);
}
