/* pcs_entra: Microsoft Entra ID (the Microsoft identity platform v2.0 endpoints) for pcs-pull.
 *
 *  - the device authorization grant (RFC 8628): POST {authority}/{tenant}/oauth2/v2.0/devicecode,
 *    then POST …/token with grant_type urn:ietf:params:oauth:grant-type:device_code until the
 *    person has signed in (authorization_pending, slow_down), or the code expired (expired_token);
 *  - the refresh token grant, which gives a new access token (and a new refresh token) without a
 *    person; invalid_grant means the sign-in or the consent is gone: `pcs pull login` again;
 *  - the client credentials grant, where the app registration may read Partner Center alone.
 *
 * This module builds the form bodies and reads the replies; it does no I/O but the token and
 * secret files. Secrets are kept in memory only as long as a request needs them and are never
 * put in an error message: messages carry the OAuth error code and Entra's AADSTS number only. */
#ifndef PCS_ENTRA_H
#define PCS_ENTRA_H

#include <stddef.h>

#include "pcs_err.h"
#include "pcs_pullcfg.h"

typedef enum {
    PCS_ENTRA_OK,          /* a token */
    PCS_ENTRA_PENDING,     /* device code: not signed in yet, ask again after the interval */
    PCS_ENTRA_SLOW_DOWN,   /* device code: ask less often (interval + 5 s) */
    PCS_ENTRA_SIGN_IN,     /* the grant is gone (expired, declined, revoked, consent withdrawn) */
    PCS_ENTRA_RETRY,       /* the endpoint failed (5xx, 429, network): try again later */
    PCS_ENTRA_REFUSED      /* any other refusal (bad client id, bad secret, bad request) */
} pcs_entra_status_t;

typedef struct pcs_entra_token {
    char *access;          /* malloc'd */
    char *refresh;         /* malloc'd, NULL when none was returned */
    long expires_in;       /* seconds */
} pcs_entra_token_t;

typedef struct pcs_entra_device {
    char *device_code, *user_code, *verification_uri, *message;   /* malloc'd */
    long expires_in, interval;
} pcs_entra_device_t;

/* Form bodies (malloc'd). secret may be NULL (a public client). */
char *pcs_entra_form_devicecode(const pcs_pullcfg_t *cfg);
char *pcs_entra_form_device_token(const pcs_pullcfg_t *cfg, const char *device_code);
char *pcs_entra_form_refresh(const pcs_pullcfg_t *cfg, const char *refresh, const char *secret);
char *pcs_entra_form_client_credentials(const pcs_pullcfg_t *cfg, const char *secret);

/* Reads a token endpoint reply (status 0 = no reply). why receives a reason without secrets. */
pcs_entra_status_t pcs_entra_parse_token(long status, const char *body, pcs_entra_token_t *tok, char *why, size_t wn);
int pcs_entra_parse_device(const char *body, pcs_entra_device_t *dev, pcs_err_t *err);
void pcs_entra_token_clear(pcs_entra_token_t *tok);   /* wipes and frees */
void pcs_entra_device_clear(pcs_entra_device_t *dev);

/* A secret file (the refresh token file, the client secret file) must be a regular file of the
 * user running pcs, readable by nobody else (mode 0600 or 0400). Reads its first line. */
int pcs_entra_secret_read(const char *path, char **out, pcs_err_t *err);
/* Replaces the refresh token file atomically (a 0600 temporary beside it, fsync, rename). */
int pcs_entra_secret_write(const char *path, const char *secret, pcs_err_t *err);
/* Overwrites and frees a secret (NULL-safe); clears *s. */
void pcs_entra_secret_free(char **s);

#endif
