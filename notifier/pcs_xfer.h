/* pcs_xfer: the notifier's deliveries over libcurl (HTTP POST, SMTP), on the loop through
 * pcs_curl_uv, so a slow receiver never blocks the loop.
 *
 * pcs_xfer_start() takes ownership of the easy handle and what hangs off it (header list, another
 * list such as SMTP recipients, MIME part tree, body), also when it fails (then it frees them and
 * returns -1; done is not called). Otherwise it calls done exactly once from the loop: rc 0 for a
 * 2xx HTTP answer or an accepted SMTP message, -1 with a reason ("HTTP 503", curl's error text;
 * never the URL). A transfer cancelled by pcs_curl_uv_destroy() frees what it owns and does not
 * call done (the delivery stays counted and is retried after a restart). */
#ifndef PCS_XFER_H
#define PCS_XFER_H

#include <curl/curl.h>

#include "pcs_curl_uv.h"

typedef void (*pcs_xfer_done_fn)(void *ud, int rc, const char *why);

int pcs_xfer_start(pcs_curl_uv_t *cu, CURL *easy, struct curl_slist *headers, struct curl_slist *extra, curl_mime *mime,
                   char *body, pcs_xfer_done_fn done, void *ud);

#endif
