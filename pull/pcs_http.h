/* pcs_http: HTTP requests on a libuv loop, through pcs_curl_uv (libcurl multi, its sockets watched
 * by uv_poll, its timeout by a uv_timer), so a slow Partner Center or a large download never holds
 * the loop. The caller owns the pcs_curl_uv_t (pcs_curl_uv_new on the loop, pcs_curl_uv_destroy at
 * the end, which cancels what is in flight: those callbacks are not called).
 *
 * A request is described by pcs_http_req_t (copied: the caller may free it after start) and ends
 * with exactly one call of its callback, from the loop, with a pcs_http_resp_t that is valid during
 * the call only. A body goes to memory (capped at max_body bytes) or to an open file (out_fd).
 * Nothing here logs a URL's query string, a header or a body: they carry secrets. */
#ifndef PCS_HTTP_H
#define PCS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "pcs_curl_uv.h"
#include "pcs_err.h"

typedef struct pcs_http_resp {
    long status;           /* HTTP status; 0 when no response arrived */
    int curl_code;         /* CURLcode, 0 on a complete transfer */
    const char *error;     /* transport error text (never the URL), NULL when curl_code is 0 */
    char *body;            /* the body (NUL-terminated) when it went to memory, else NULL */
    size_t body_len;
    long long bytes;       /* body bytes received (memory or file) */
    long retry_after_s;    /* Retry-After in seconds (delta or HTTP date), -1 when absent */
} pcs_http_resp_t;

typedef void (*pcs_http_cb)(void *arg, const pcs_http_resp_t *resp);

typedef struct pcs_http_req {
    const char *method;        /* "GET" or "POST" */
    const char *url;
    const char *body;          /* POST body or NULL */
    const char *content_type;  /* of the body */
    const char *bearer;        /* Authorization: Bearer token, or NULL */
    int out_fd;                /* >= 0: the body is written to this descriptor */
    size_t max_body;           /* memory bodies larger than this fail the request */
    long timeout_ms;           /* whole transfer; 0 = none (downloads: use the low-speed limit) */
    long connect_timeout_ms;
    long low_speed_s;          /* abort when less than 1 byte/s arrives for this long; 0 = never */
} pcs_http_req_t;

/* Starts a request on cu; cb(arg, resp) is called once from the loop, unless pcs_curl_uv_destroy()
 * cancels it first. 0 or PCS_ENOMEM / PCS_EINVAL. */
int pcs_http_start(pcs_curl_uv_t *cu, const pcs_http_req_t *req, pcs_http_cb cb, void *arg);

/* Whether url may carry a token: https, or http to the loopback interface (a local stand-in). */
bool pcs_http_url_safe(const char *url);

/* Percent-encodes s for an application/x-www-form-urlencoded body or a query string. malloc'd. */
char *pcs_http_escape(const char *s);

#endif
