/* pcs_token: the bearer tokens of pcs-api (interfaces.md §5) and what each one may see.
 *
 * A token is "pcs_" followed by 64 lowercase hex digits (256 random bits from getrandom). Only its
 * SHA-256 is stored (table api_tokens, sql/0007_api.sql), beside a lookup id: the first 12 hex
 * digits, which find the row; the stored hash is then compared with the hash of the presented token
 * in constant time. `pcs token create` prints a token once; nothing can show it again.
 *
 * Every function that takes a PGconn runs parameterised SQL only. Errors: PCS_EINVAL for what a
 * person must fix (a malformed, unknown or revoked token, a bad name, a name in use), PCS_EIO for
 * the database; the message never contains the token. */
#ifndef PCS_TOKEN_H
#define PCS_TOKEN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "pcs_err.h"

#define PCS_TOKEN_LEN 68          /* "pcs_" + 64 hex digits */
#define PCS_TOKEN_LOOKUP_LEN 12

/* What a token may see: every partner (admin) or the listed ones. Owned by the caller. */
typedef struct pcs_token_scope {
    long long token_id;
    char name[65];
    bool admin;
    int n_partners;
    char **partners;
} pcs_token_scope_t;

/* Whether the scope lets its holder see partner (admin: always). */
bool pcs_token_scope_allows(const pcs_token_scope_t *s, const char *partner);
void pcs_token_scope_destroy(pcs_token_scope_t **s);

/* Constant-time equality of two 32-byte digests. */
bool pcs_token_digest_equal(const unsigned char a[32], const unsigned char b[32]);

/* Splits a presented token into its lookup id and SHA-256; PCS_EINVAL when it is not a token's
 * shape (then nothing need be asked of the database). */
int pcs_token_parse(const char *text, size_t len, char lookup[PCS_TOKEN_LOOKUP_LEN + 1], unsigned char digest[32]);

/* The scope of a presented token (a live one whose hash matches), or NULL with PCS_EINVAL in err
 * ("unknown or revoked token") or PCS_EIO (the database failed). */
pcs_token_scope_t *pcs_token_authenticate(PGconn *db, const char *text, size_t len, pcs_err_t *err);

/* Creates a token named name (letters, digits, . _ @ -; at most 64) that sees every partner
 * (admin) or the n partners given, and writes its text into token (shown once, never stored). */
int pcs_token_create(PGconn *db, const char *name, bool admin, const char *const *partners, int n,
                     char token[PCS_TOKEN_LEN + 1], pcs_err_t *err);

/* Revokes the live token named name; PCS_EINVAL when there is none. */
int pcs_token_revoke(PGconn *db, const char *name, pcs_err_t *err);

/* Every token, live and revoked, oldest first: name, scope, created, revoked (never a hash), as a
 * result the caller PQclear()s: columns name, admin ('t'/'f'), partners (comma separated),
 * created (UTC), revoked (UTC or empty). */
PGresult *pcs_token_list(PGconn *db, pcs_err_t *err);

#endif
