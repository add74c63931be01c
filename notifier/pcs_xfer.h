/* pcs_xfer: libcurl transfers (HTTP POST, SMTP) driven by the libuv loop through curl's multi
 * socket interface, so a slow receiver never blocks the loop.
 *
 * pcs_xfer_start() takes ownership of the easy handle and what hangs off it (header list, another
 * list such as SMTP recipients, MIME part tree, body) and calls done exactly once from the loop: rc 0 for a 2xx HTTP answer or an
 * accepted SMTP message, -1 with a reason ("HTTP 503", curl's error text; never the URL). */
#ifndef PCS_XFER_H
#define PCS_XFER_H

#include <curl/curl.h>
#include <uv.h>

typedef struct pcs_xfer pcs_xfer_t;
typedef void (*pcs_xfer_done_fn)(void *ud, int rc, const char *why);

pcs_xfer_t *pcs_xfer_new(uv_loop_t *loop);
/* Aborts transfers in flight (their done is not called) and closes the handles. */
void pcs_xfer_destroy(pcs_xfer_t **x);

int pcs_xfer_start(pcs_xfer_t *x, CURL *easy, struct curl_slist *headers, struct curl_slist *extra, curl_mime *mime,
                   char *body, pcs_xfer_done_fn done, void *ud);
/* Transfers in flight. */
int pcs_xfer_active(const pcs_xfer_t *x);

#endif
