#include "pcs_token.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "pcs_db.h"
#include "pcs_sha256.h"

bool pcs_token_scope_allows(const pcs_token_scope_t *s, const char *partner)
{
    if (!s)
        return false;
    if (s->admin)
        return true;
    for (int i = 0; i < s->n_partners; i++)
        if (strcmp(s->partners[i], partner) == 0)
            return true;
    return false;
}

void pcs_token_scope_destroy(pcs_token_scope_t **s)
{
    if (!s || !*s)
        return;
    for (int i = 0; i < (*s)->n_partners; i++)
        free((*s)->partners[i]);
    free((*s)->partners);
    free(*s);
    *s = NULL;
}

bool pcs_token_digest_equal(const unsigned char a[32], const unsigned char b[32])
{
    /* every byte is looked at whatever differs first: the time says nothing about where */
    volatile unsigned char diff = 0;
    for (int i = 0; i < 32; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

int pcs_token_parse(const char *text, size_t len, char lookup[PCS_TOKEN_LOOKUP_LEN + 1], unsigned char digest[32])
{
    if (!text || len != PCS_TOKEN_LEN || memcmp(text, "pcs_", 4) != 0)
        return PCS_EINVAL;
    for (size_t i = 4; i < len; i++)
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
            return PCS_EINVAL;
    memcpy(lookup, text + 4, PCS_TOKEN_LOOKUP_LEN);
    lookup[PCS_TOKEN_LOOKUP_LEN] = '\0';
    pcs_sha256_t h;
    pcs_sha256_init(&h);
    pcs_sha256_update(&h, text, len);
    pcs_sha256_final(&h, digest);
    return 0;
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + (size_t)k];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= (unsigned)(c - 'a' + 10);
            else
                return -1;
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

pcs_token_scope_t *pcs_token_authenticate(PGconn *db, const char *text, size_t len, pcs_err_t *err)
{
    char lookup[PCS_TOKEN_LOOKUP_LEN + 1];
    unsigned char want[32], have[32];
    PGresult *r = NULL;
    pcs_token_scope_t *s = NULL;
    json_t *parts = NULL;
    if (pcs_token_parse(text, len, lookup, want) < 0) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "malformed token");
        goto out;
    }
    const char *p[1] = {lookup};
    if (pcs_db_query(db,
                     "SELECT token_id, name, encode(hash, 'hex'), admin, array_to_json(partners)::text"
                     " FROM api_tokens WHERE lookup = $1 AND revoked_at IS NULL",
                     1, p, &r, err) < 0)
        goto out;
    if (PQntuples(r) != 1 || unhex(PQgetvalue(r, 0, 2), have, 32) < 0 || !pcs_token_digest_equal(want, have)) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "unknown or revoked token");
        goto out;
    }
    parts = json_loads(PQgetvalue(r, 0, 4), 0, NULL);
    s = calloc(1, sizeof *s);
    if (!s || !json_is_array(parts) || !(s->partners = calloc(json_array_size(parts) + 1, sizeof *s->partners))) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        pcs_token_scope_destroy(&s);
        goto out;
    }
    s->token_id = atoll(PQgetvalue(r, 0, 0));
    snprintf(s->name, sizeof s->name, "%s", PQgetvalue(r, 0, 1));
    s->admin = PQgetvalue(r, 0, 3)[0] == 't';
    size_t i;
    json_t *v;
    json_array_foreach(parts, i, v) {
        if (!(s->partners[s->n_partners] = strdup(json_string_value(v) ? json_string_value(v) : ""))) {
            pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
            pcs_token_scope_destroy(&s);
            goto out;
        }
        s->n_partners++;
    }
out:
    json_decref(parts);
    PQclear(r);
    return s;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= 64 && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

int pcs_token_create(PGconn *db, const char *name, bool admin, const char *const *partners, int n,
                     char token[PCS_TOKEN_LEN + 1], pcs_err_t *err)
{
    int rc = 0;
    char *plist = NULL;
    PGresult *r = NULL;
    json_t *arr = NULL;
    if (!name_ok(name))
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "token name '%s': 1 to 64 letters, digits, '.', '_', '@' or '-'", name);
    if (admin == (n > 0))
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "a token is either --admin or scoped to one or more --partner");
    unsigned char raw[32];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t k = getrandom(raw + got, sizeof raw - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return pcs_err_set(err, PCS_EIO, 0, 0, "getrandom: %s", strerror(errno));
        got += (size_t)k;
    }
    static const char hex[] = "0123456789abcdef";
    memcpy(token, "pcs_", 4);
    for (int i = 0; i < 32; i++) {
        token[4 + 2 * i] = hex[raw[i] >> 4];
        token[5 + 2 * i] = hex[raw[i] & 15];
    }
    token[PCS_TOKEN_LEN] = '\0';
    char lookup[PCS_TOKEN_LOOKUP_LEN + 1], dhex[65];
    unsigned char digest[32];
    pcs_token_parse(token, PCS_TOKEN_LEN, lookup, digest);
    pcs_sha256_hex(digest, dhex);
    /* the partner list travels as a JSON parameter, never as SQL text */
    arr = json_array();
    for (int i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(partners[i]));
    if (!arr || !(plist = json_dumps(arr, JSON_COMPACT))) {
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    const char *p[5] = {name, lookup, dhex, admin ? "t" : "f", plist};
    if (pcs_db_query(db,
                     "INSERT INTO api_tokens (name, lookup, hash, admin, partners)"
                     " SELECT $1, $2, decode($3, 'hex'), $4::boolean, ARRAY(SELECT json_array_elements_text($5::json))"
                     " WHERE NOT EXISTS (SELECT 1 FROM api_tokens WHERE name = $1 AND revoked_at IS NULL)"
                     " RETURNING token_id",
                     5, p, &r, err) < 0) {
        rc = PCS_EIO;
        goto out;
    }
    if (PQntuples(r) != 1)
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "a live token is already named '%s' (revoke it first)", name);
out:
    if (rc < 0)
        memset(token, 0, PCS_TOKEN_LEN + 1);
    PQclear(r);
    free(plist);
    json_decref(arr);
    return rc;
}

int pcs_token_revoke(PGconn *db, const char *name, pcs_err_t *err)
{
    PGresult *r;
    const char *p[1] = {name};
    if (pcs_db_query(db, "UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING token_id",
                     1, p, &r, err) < 0)
        return PCS_EIO;
    int rc = PQntuples(r) == 1 ? 0 : pcs_err_set(err, PCS_EINVAL, 0, 0, "no live token named '%s'", name);
    PQclear(r);
    return rc;
}

PGresult *pcs_token_list(PGconn *db, pcs_err_t *err)
{
    PGresult *r = NULL;
    if (pcs_db_query(db,
                     "SELECT name, admin, array_to_string(partners, ','),"
                     " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
                     " coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '')"
                     " FROM api_tokens ORDER BY token_id",
                     0, NULL, &r, err) < 0)
        return NULL;
    return r;
}
