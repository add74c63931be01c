/* pcs_envelope: the message envelope of interfaces.md §4, decoded strictly.
 *
 *   {"v": 1, "type": "...", "id": "...", "ts": "RFC 3339 UTC", "body": {...}}
 *
 * Only this module calls jansson for messages. Decoding never trusts the bytes: a message that
 * fails validation gives PCS_EINVAL and a reason, never a crash. */
#ifndef PCS_ENVELOPE_H
#define PCS_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>

#include "pcs_err.h"

#define PCS_ENVELOPE_MAX_BYTES (1u << 20)

typedef struct pcs_envelope {
    char type[64];
    char id[201];
    char ts[40];
    json_t *body;    /* owned: an object */
} pcs_envelope_t;

/* Decodes one message. On success env->body holds a reference the caller releases with
 * pcs_envelope_clear(). */
int pcs_envelope_decode(const char *data, size_t len, pcs_envelope_t *env, pcs_err_t *err);
void pcs_envelope_clear(pcs_envelope_t *env);

/* The envelope object (body borrowed: it takes a reference of its own), or NULL when out of memory
 * or a member is NULL. ts NULL = now. For a caller that prints it itself. */
json_t *pcs_envelope_new(const char *type, const char *id, const char *ts, json_t *body);
/* Encodes an envelope (steals nothing: body is borrowed). Returns a malloc'd compact JSON string
 * or NULL. ts NULL = now. */
char *pcs_envelope_encode(const char *type, const char *id, const char *ts, json_t *body);

/* Whether s is an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.frac]Z). */
int pcs_envelope_valid_ts(const char *s);

#endif
