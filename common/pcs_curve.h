/* pcs_curve: ZeroMQ CURVE keys and the authentication of peers (issue 18.10).
 *
 * Without it any local process could send events that change scores or trigger refreshes. With
 * `curve_keys_dir` set, every socket of the stack speaks CURVE (encrypted, and the server knows
 * who connects): the sockets that bind are CURVE servers, the ones that connect are CURVE
 * clients that must present a key the server knows.
 *
 * The keys directory (made by `pcs keys DIR`, or by deploy/pcs-local) holds one key pair per
 * party: NAME.key (mode 0600: the public key then the secret key, Z85, one a line; readable by
 * that party only) and NAME.pub (the public key). The parties are ingest, scorer, notifier and
 * pcs (the command line and other clients). A server accepts a client whose public key is one of
 * the *.pub files of the directory (read at start-up): a client with another key is refused
 * before any message of it is read (ZAP, RFC 27). Clients find the server's key in SERVER.pub.
 *
 * Ownership: pcs_curve_zap_new() returns a handler the caller frees with pcs_curve_zap_destroy()
 * (before the ZeroMQ context is terminated). Errors: 0 or PCS_EIO / PCS_EINVAL with a reason
 * naming the file. */
#ifndef PCS_CURVE_H
#define PCS_CURVE_H

#include <stdbool.h>
#include <uv.h>

#include "pcs_err.h"

#define PCS_CURVE_KEY_LEN 40   /* a Z85 key; buffers hold 41 */

typedef struct pcs_curve_zap pcs_curve_zap_t;

/* Writes DIR/NAME.key (0600) and DIR/NAME.pub (0644) with a new key pair; DIR is created (0755)
 * when missing. An existing NAME.key is kept (0 and *created false), so running it twice is safe. */
int pcs_curve_keygen(const char *dir, const char *name, bool *created, pcs_err_t *err);

/* Reads DIR/NAME.key (public and secret) or, with secret NULL, DIR/NAME.pub. */
int pcs_curve_load(const char *dir, const char *name, char public_key[PCS_CURVE_KEY_LEN + 1],
                   char secret_key[PCS_CURVE_KEY_LEN + 1], pcs_err_t *err);

/* Applies CURVE to a socket not yet bound or connected: a server (secret key of `self`, ZAP
 * domain "pcs") when server is NULL, else a client of `server` with the key pair of `self`. */
int pcs_curve_apply(void *sock, const char *dir, const char *self, const char *server, pcs_err_t *err);

/* The ZAP handler of context zctx, on loop: accepts the CURVE clients whose public key is a
 * *.pub file of dir, refuses (and logs) the others. Must exist before the first server socket. */
pcs_curve_zap_t *pcs_curve_zap_new(uv_loop_t *loop, void *zctx, const char *dir, pcs_err_t *err);
void pcs_curve_zap_destroy(pcs_curve_zap_t **pz);

#endif
