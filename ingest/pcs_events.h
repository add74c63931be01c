/* pcs_events: validation and durable storage of the events of interfaces.md §3 / §4
 * (cert.earned, cert.renewed, cert.expired, cert.revoked, person.linked, person.unlinked,
 * association.upserted). */
#ifndef PCS_EVENTS_H
#define PCS_EVENTS_H

#include <stdbool.h>

#include "pcs_db.h"
#include "pcs_envelope.h"

bool pcs_events_known_type(const char *type);

/* Checks the body of a decoded envelope for its type: PCS_EINVAL with "body.x: reason". */
int pcs_events_validate(const pcs_envelope_t *env, pcs_err_t *err);

/* Stores one validated event in its own transaction (event row deduplicated by id, facts, outbox
 * row). *duplicate is set when the id was stored before (nothing else changes). Returns 0 after
 * COMMIT, PCS_EIO (rolled back) when the database refused or is unreachable: the caller must not
 * acknowledge the event then. raw is the message text kept in events.body. */
int pcs_events_store(PGconn *db, const pcs_envelope_t *env, const char *raw, bool *duplicate, pcs_err_t *err);

/* The same inside the caller's transaction (a JSON Lines file loads all its events in one). */
int pcs_events_store_in_tx(PGconn *db, const pcs_envelope_t *env, const char *raw, bool *duplicate, pcs_err_t *err);

#endif
