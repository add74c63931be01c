/* pcs_wake: a PostgreSQL LISTEN on its own connection, watched by the loop. The trigger that
 * queues results for the notifier NOTIFYs at COMMIT, so the notifier wakes on committed results
 * and needs no polling. When the connection drops, it is reopened with backoff and on_wake is
 * called once (something may have been missed meanwhile). */
#ifndef PCS_WAKE_H
#define PCS_WAKE_H

#include <uv.h>

typedef struct pcs_wake pcs_wake_t;

/* channel must be a plain identifier (it is part of the LISTEN command, not data). */
pcs_wake_t *pcs_wake_new(uv_loop_t *loop, const char *conninfo, const char *channel, void (*on_wake)(void *ud), void *ud);
/* Closes the connection and the handles (asynchronously; NULL-safe). */
void pcs_wake_destroy(pcs_wake_t **w);

#endif
