/* pcs_deliver: notifications to sinks, never blocking the loop.
 *
 * Each sink works through its pending deliveries in notification order, one at a time, so a
 * resolve never overtakes its firing. Before an attempt the attempt is counted and its row moved
 * out of reach for the length of a transfer (committed): a crash between delivering and recording
 * retries later, and the file sink then finds its line and the webhook receiver the same
 * Idempotency-Key. Just before sending, the items are checked again: a firing alert that resolved
 * in the meantime is dropped (its cause vanished before delivery), and a resolve goes only to a
 * sink that was sent the firing; a notification left empty is recorded as cancelled.
 * A failed attempt is retried after <sink>_backoff_ms doubling (at most one hour; the due time is
 * stored, so the backoff survives restarts) and given up after <sink>_max_attempts. */
#ifndef PCS_DELIVER_H
#define PCS_DELIVER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "pcs_err.h"
#include "pcs_xfer.h"

typedef struct pcs_deliver pcs_deliver_t;

/* Transfers run on cu (borrowed: it outlives the object). db(ud) gives the connection (NULL while PostgreSQL is away); kick(ud) is called (from the loop)
 * when a delivery finished, so the caller runs pcs_deliver_run again. */
pcs_deliver_t *pcs_deliver_new(pcs_curl_uv_t *cu, PGconn *(*db)(void *ud), void (*kick)(void *ud), void *ud);
void pcs_deliver_destroy(pcs_deliver_t **d);

/* Starts the due deliveries of the idle sinks (sink_cfgs: the sinks' config blocks, read at each
 * attempt, so a SIGHUP applies to the next one). *next_ms: until the next pending delivery of an
 * idle sink is due (-1: none). 0 or -1 (err). */
int pcs_deliver_run(pcs_deliver_t *d, const unsigned char *sink_cfgs, int64_t *next_ms, pcs_err_t *err);

/* Deliveries in flight. */
int pcs_deliver_busy(const pcs_deliver_t *d);

#endif
