/* pcs_pgasync: PostgreSQL queries on the libuv loop, never blocking it.
 *
 * Queries are sent with PQsendQueryParams on a nonblocking connection; the connection's socket
 * (PQsocket) is watched with uv_poll, input is read with PQconsumeInput and results are taken when
 * PQisBusy says they are complete. One query runs at a time; the others wait in order. The
 * connection is opened with PQconnectStart/PQconnectPoll on the same watcher, on the first query
 * and again after it is lost (the queries in hand then fail with the reason; the next one
 * reconnects). Parameters are text and copied, so the caller's buffers may go at once.
 *
 * Ownership: the result passed to a callback belongs to this module and is cleared when the
 * callback returns. Every query's callback is called exactly once: with the result, or with NULL
 * and the error (a failed query, a lost connection, or pcs_pgasync_destroy()). */
#ifndef PCS_PGASYNC_H
#define PCS_PGASYNC_H

#include <libpq-fe.h>
#include <stddef.h>
#include <uv.h>

#include "pcs_err.h"

typedef struct pcs_pgasync pcs_pgasync_t;

/* res: a PGRES_COMMAND_OK or PGRES_TUPLES_OK result, or NULL with err filled. */
typedef void (*pcs_pgasync_cb)(PGresult *res, const pcs_err_t *err, void *arg);

/* conninfo is copied ("" = the PG* environment); daemon names the log lines. NULL when out of
 * memory. Nothing is connected before the first query. */
pcs_pgasync_t *pcs_pgasync_new(uv_loop_t *loop, const char *conninfo, const char *daemon);

/* Fails the queries in hand and waiting (their callbacks run now, with "closed"), closes the
 * connection. NULL-safe, clears *a. */
void pcs_pgasync_destroy(pcs_pgasync_t **a);

/* Queues one statement with n text parameters. 0, or PCS_ENOMEM (the callback is not called). */
int pcs_pgasync_query(pcs_pgasync_t *a, const char *sql, int n, const char *const *params, pcs_pgasync_cb cb,
                      void *arg);

/* Queries queued or running. */
size_t pcs_pgasync_pending(const pcs_pgasync_t *a);

/* Uses another conninfo from the next connection on (the current one is closed when idle). */
int pcs_pgasync_set_conninfo(pcs_pgasync_t *a, const char *conninfo);

#endif
