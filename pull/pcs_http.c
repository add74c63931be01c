/* pcs_http: one HTTP request on a pcs_curl_uv_t and its response (see pcs_http.h). */
#include "pcs_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef struct xfer {   /* one request in flight */
    struct curl_slist *headers;
    char *post;
    pcs_http_cb cb;
    void *arg;
    int fd;
    char *buf;
    size_t len, cap, max;
    long long bytes;
    long retry_after;
    bool overflow, write_failed;
    char errbuf[CURL_ERROR_SIZE];
} xfer_t;

/* ---- response body and headers ------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    xfer_t *x = userp;
    size_t len = size * n;
    if (x->fd >= 0) {
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(x->fd, data + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                x->write_failed = true;
                return 0;
            }
            off += (size_t)w;
        }
        x->bytes += (long long)len;
        return len;
    }
    if (x->len + len + 1 > x->max) {
        x->overflow = true;
        return 0;
    }
    if (x->len + len + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < x->len + len + 1)
            cap *= 2;
        char *b = realloc(x->buf, cap);
        if (!b) {
            x->overflow = true;
            return 0;
        }
        x->buf = b;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, data, len);
    x->len += len;
    x->buf[x->len] = '\0';
    x->bytes += (long long)len;
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    xfer_t *x = userp;
    size_t len = size * n;
    if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        char v[128];
        size_t vl = len - 12 < sizeof v - 1 ? len - 12 : sizeof v - 1;
        memcpy(v, data + 12, vl);
        v[vl] = '\0';
        char *s = v;
        while (*s == ' ' || *s == '\t')
            s++;
        char *end;
        long secs = strtol(s, &end, 10);
        if (end != s && (*end == '\r' || *end == '\n' || *end == '\0') && secs >= 0) {
            x->retry_after = secs;
        } else {
            time_t t = curl_getdate(s, NULL);
            if (t > 0)
                x->retry_after = t > time(NULL) ? (long)(t - time(NULL)) : 0;
        }
    }
    return len;
}

/* ---- completion ------------------------------------------------------------------------------------ */

static void xfer_free(xfer_t *x)
{
    if (!x)
        return;
    curl_slist_free_all(x->headers);
    free(x->post);
    free(x->buf);
    free(x);
}

/* The response of an ended transfer; its error text goes to errtext, as x is freed before the
 * callback. */
static void describe(const xfer_t *x, CURL *easy, CURLcode cc, pcs_http_resp_t *r, char *errtext)
{
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    r->curl_code = (int)cc;
    if (x->overflow)
        r->error = "response larger than the limit";
    else if (x->write_failed)
        r->error = "cannot write the downloaded file";
    else if (cc != CURLE_OK)
        r->error = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);
    if (r->error && !r->curl_code)
        r->curl_code = -1;
    if (r->error) {
        snprintf(errtext, CURL_ERROR_SIZE, "%s", r->error);
        r->error = errtext;
    }
    r->body = x->fd < 0 ? x->buf : NULL;
    r->body_len = x->len;
    r->bytes = x->bytes;
    r->retry_after_s = x->retry_after;
}

static void on_end(void *ud, CURL *easy, CURLcode cc, bool cancelled)
{
    xfer_t *x = ud;
    pcs_http_resp_t r = {0};
    char errtext[CURL_ERROR_SIZE];
    if (!cancelled)
        describe(x, easy, cc, &r, errtext);
    curl_easy_cleanup(easy);
    pcs_http_cb cb = x->cb;
    void *arg = x->arg;
    /* the callback may start new requests: x is freed first, its body after the call */
    char *body = x->buf;
    x->buf = NULL;
    xfer_free(x);
    if (!cancelled)   /* cancelled: pcs_curl_uv_destroy, whose callers expect no call */
        cb(arg, &r);
    free(body);
}

/* ---- the API ----------------------------------------------------------------------------------------- */

int pcs_http_start(pcs_curl_uv_t *cu, const pcs_http_req_t *req, pcs_http_cb cb, void *arg)
{
    int rc = PCS_ENOMEM;
    CURL *c = NULL;
    xfer_t *x = calloc(1, sizeof *x);
    if (!x || !(c = curl_easy_init()))
        goto out;
    x->cb = cb;
    x->arg = arg;
    x->fd = req->out_fd;
    x->max = req->max_body ? req->max_body : (1u << 20);
    x->retry_after = -1;
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    /* a secure link may redirect to storage; a custom Authorization header is never sent to
     * another host by libcurl, and the downloads carry none */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req->bearer ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "pcs-pull/" PCS_VERSION);
    if (req->timeout_ms > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 30000L);
    if (req->low_speed_s > 0) {
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, req->low_speed_s);
    }
    x->headers = curl_slist_append(x->headers, "Accept: application/json, text/csv, */*");
    if (req->bearer) {
        size_t n = strlen(req->bearer) + 32;
        char *a = malloc(n);
        if (a) {
            snprintf(a, n, "Authorization: Bearer %s", req->bearer);
            x->headers = curl_slist_append(x->headers, a);
            memset(a, 0, n);
            free(a);
        }
    }
    if (req->body) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s", req->content_type ? req->content_type : "application/json");
        x->headers = curl_slist_append(x->headers, ct);
        if (!(x->post = strdup(req->body)))
            goto out;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->post);
    }
    if (strcmp(req->method, "POST") == 0 && !req->body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
    if ((rc = pcs_curl_uv_start(cu, c, on_end, x, NULL)) < 0)
        goto out;
    c = NULL, x = NULL;   /* in flight: on_end frees them */
out:
    curl_easy_cleanup(c);
    xfer_free(x);
    return rc;
}

bool pcs_http_url_safe(const char *url)
{
    if (!url)
        return false;
    if (strncasecmp(url, "https://", 8) == 0)
        return true;
    static const char *const loop_hosts[] = {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:",
                                             "http://localhost/", "http://[::1]:", "http://[::1]/"};
    for (size_t i = 0; i < sizeof loop_hosts / sizeof *loop_hosts; i++)
        if (strncasecmp(url, loop_hosts[i], strlen(loop_hosts[i])) == 0)
            return true;
    return false;
}

char *pcs_http_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *o = malloc(3 * n + 1), *p = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '_' || ch == '.' || ch == '~') {
            *p++ = (char)ch;
        } else {
            *p++ = '%';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 15];
        }
    }
    *p = '\0';
    return o;
}
