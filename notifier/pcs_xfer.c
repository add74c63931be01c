/* pcs_xfer: one delivery's libcurl transfer and its verdict (see pcs_xfer.h). */
#include "pcs_xfer.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct job {   /* what hangs off one easy handle until it ends */
    struct curl_slist *headers, *extra;
    curl_mime *mime;
    char *body;
    pcs_xfer_done_fn done;
    void *ud;
} job_t;

/* The easy handle first: it refers to the lists, the MIME tree and the body. */
static void release(CURL *easy, struct curl_slist *headers, struct curl_slist *extra, curl_mime *mime, char *body)
{
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_slist_free_all(extra);
    curl_mime_free(mime);
    free(body);
}

static void on_end(void *arg, CURL *easy, CURLcode res, bool cancelled)
{
    job_t *j = arg;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    release(easy, j->headers, j->extra, j->mime, j->body);
    pcs_xfer_done_fn done = j->done;
    void *ud = j->ud;
    free(j);
    if (cancelled)
        return;   /* shutting down: the delivery's owner is gone */
    char why[160] = "";
    int rc = 0;
    if (res != CURLE_OK)   /* curl's text, never the URL (its query may hold a token) */
        snprintf(why, sizeof why, "%s", curl_easy_strerror(res)), rc = -1;
    else if (code < 200 || code > 299)   /* HTTP 2xx; SMTP ends with 250 */
        snprintf(why, sizeof why, "%s %ld", code >= 100 ? "HTTP" : "status", code), rc = -1;
    done(ud, rc, why);
}

int pcs_xfer_start(pcs_curl_uv_t *cu, CURL *easy, struct curl_slist *headers, struct curl_slist *extra, curl_mime *mime,
                   char *body, pcs_xfer_done_fn done, void *ud)
{
    int rc = -1;
    job_t *j = calloc(1, sizeof *j);
    if (!j)
        goto out;
    *j = (job_t){headers, extra, mime, body, done, ud};
    if (pcs_curl_uv_start(cu, easy, on_end, j, NULL) < 0)
        goto out;
    j = NULL;   /* on_end releases it all */
    rc = 0;
out:
    free(j);
    if (rc < 0)
        release(easy, headers, extra, mime, body);
    return rc;
}
