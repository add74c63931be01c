/* pcs_api_routes: the JSON API under /api/v1 (interfaces.md §5), after the token is checked.
 *
 * Each endpoint asks the read model (store/) exactly what the CLI command of the same name asks and
 * answers the text the CLI prints with --json, so the two never differ. A partner outside the
 * token's scope is a 403 before anything about it is read; the partner list keeps only the partners
 * in scope. */
#ifndef PCS_API_ROUTES_H
#define PCS_API_ROUTES_H

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcs_rules.h"
#include "pcs_store.h"
#include "pcs_token.h"

struct MHD_Connection;

/* What a request is answered with. body is malloc'd unless persistent (then it is borrowed). */
typedef struct pcs_api_answer {
    unsigned status;
    char *body;
    size_t len;
    const char *type;
    const char *allow;      /* the Allow header of a 405 */
    bool persistent, is_static;
} pcs_api_answer_t;

/* One authenticated request under /api (segments after "api", percent-decoded and checked). */
typedef struct pcs_api_request {
    pcs_store_t *store;     /* the worker's read model (NULL: the database is unreachable) */
    struct MHD_Connection *conn;
    const char *method;
    const char *body;
    size_t body_len;
    const pcs_token_scope_t *scope;
    const pcs_rules_t *rules;
    int32_t today;          /* the default as-of day of computed answers */
    const char *segs[8];
    int n_segs;
} pcs_api_request_t;

/* Sets ans to {"error": "...", "status": status} (replacing a body it held). */
void pcs_api_answer_error(pcs_api_answer_t *ans, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void pcs_api_routes_answer(const pcs_api_request_t *req, pcs_api_answer_t *ans);

#endif
