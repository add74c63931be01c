/* pcs_curl_uv: libcurl's multi interface driven by a libuv loop, so a slow receiver or a large
 * download never holds the loop. curl says which sockets to watch and when to call back; the
 * module watches each socket with a uv_poll and the timeout with one uv_timer, and hands readiness
 * back to curl. Transfers are easy handles the caller configures; what a transfer means (HTTP
 * status, body limits, retries) stays with the caller (notifier/pcs_xfer, pull/pcs_http).
 *
 * Ownership: pcs_curl_uv_start() takes the easy handle; it belongs to the module until done is
 * called, which hands it back: done must curl_easy_cleanup() it (after curl_easy_getinfo() of what
 * it needs). Whatever the handle points at (header lists, MIME tree, body, error buffer) is the
 * caller's and must live until done. The module sets CURLOPT_PRIVATE (reserved for it) and
 * CURLOPT_NOSIGNAL on the handle. curl_global_init() must have been called.
 *
 * done is called exactly once for each transfer started:
 *   - from the loop when the transfer has ended, cancelled false, res curl's result (CURLE_OK for a
 *     complete transfer; an HTTP error status is still CURLE_OK: read CURLINFO_RESPONSE_CODE). It
 *     may start transfers and may destroy the module.
 *   - from pcs_curl_uv_destroy() for a transfer still in flight, cancelled true (res
 *     CURLE_ABORTED_BY_CALLBACK): it frees what it owns and calls no one, as its owner is being torn
 *     down.
 * Errors: pcs_curl_uv_start() returns PCS_ENOMEM or PCS_EINVAL (curl refused the handle) and fills
 * err; the easy handle then stays the caller's and done is never called. */
#ifndef PCS_CURL_UV_H
#define PCS_CURL_UV_H

#include <curl/curl.h>
#include <stdbool.h>
#include <uv.h>

#include "pcs_err.h"

typedef struct pcs_curl_uv pcs_curl_uv_t;
typedef void (*pcs_curl_uv_done_fn)(void *ud, CURL *easy, CURLcode res, bool cancelled);

/* A multi handle on loop; NULL when libcurl cannot be initialised or memory runs out. */
pcs_curl_uv_t *pcs_curl_uv_new(uv_loop_t *loop);
/* Cancels the transfers in flight (their done with cancelled true), cleans up the multi handle and
 * closes the loop handles; the object is freed once the loop has closed them. NULL-safe; clears *cu. */
void pcs_curl_uv_destroy(pcs_curl_uv_t **cu);

/* Starts a transfer on easy; done(ud, easy, res, cancelled) is called once (see above). */
int pcs_curl_uv_start(pcs_curl_uv_t *cu, CURL *easy, pcs_curl_uv_done_fn done, void *ud, pcs_err_t *err);
/* Transfers in flight. */
int pcs_curl_uv_active(const pcs_curl_uv_t *cu);

#endif
