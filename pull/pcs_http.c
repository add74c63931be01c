#include "pcs_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef struct xfer xfer_t;

struct pcs_http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    xfer_t *xfers;          /* in flight, for destroy */
    int active;
};

struct xfer {
    xfer_t *next, *prev;
    pcs_http_t *h;
    CURL *easy;
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
};

typedef struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    pcs_http_t *h;
} sock_t;

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
    if (x->next)
        x->next->prev = x->prev;
    if (x->prev)
        x->prev->next = x->next;
    else
        x->h->xfers = x->next;
    curl_multi_remove_handle(x->h->multi, x->easy);
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    free(x->post);
    free(x->buf);
    free(x);
}

static void check_done(pcs_http_t *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        xfer_t *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode cc = m->data.result;
        pcs_http_resp_t r = {0};
        char errtext[CURL_ERROR_SIZE];   /* x (and its errbuf) is freed before the callback */
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
        r.curl_code = (int)cc;
        if (x->overflow)
            r.error = "response larger than the limit";
        else if (x->write_failed)
            r.error = "cannot write the downloaded file";
        else if (cc != CURLE_OK)
            r.error = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);
        if (r.error && !r.curl_code)
            r.curl_code = -1;
        if (r.error) {
            snprintf(errtext, sizeof errtext, "%s", r.error);
            r.error = errtext;
        }
        r.body = x->fd < 0 ? x->buf : NULL;
        r.body_len = x->len;
        r.bytes = x->bytes;
        r.retry_after_s = x->retry_after;
        h->active--;
        pcs_http_cb cb = x->cb;
        void *arg = x->arg;
        /* the callback may start new requests: x is freed first, its body after the call */
        char *body = x->buf;
        x->buf = NULL;
        xfer_free(x);
        cb(arg, &r);
        free(body);
    }
}

/* ---- libcurl's sockets and timer on the libuv loop --------------------------------------------------- */

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_t *s = p->data;
    pcs_http_t *h = s->h;   /* s may be closed inside socket_action */
    int flags = 0;
    if (status < 0)
        flags |= CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(h->multi, s->fd, flags, &running);
    check_done(h);
}

static void on_sock_closed(uv_handle_t *hd)
{
    free(hd->data);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)e;
    pcs_http_t *h = userp;
    sock_t *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
            curl_multi_assign(h->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->fd = fd;
        s->h = h;
        if (uv_poll_init_socket(h->loop, &s->poll, fd) < 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(h->multi, fd, s);
    }
    int ev = 0;
    if (what & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    pcs_http_t *h = t->data;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    pcs_http_t *h = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&h->timer);
    else
        uv_timer_start(&h->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- the API ----------------------------------------------------------------------------------------- */

pcs_http_t *pcs_http_new(uv_loop_t *loop)
{
    pcs_http_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->loop = loop;
    if (!(h->multi = curl_multi_init())) {
        free(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    return h;
}

int pcs_http_start(pcs_http_t *h, const pcs_http_req_t *req, pcs_http_cb cb, void *arg)
{
    xfer_t *x = calloc(1, sizeof *x);
    if (!x)
        return PCS_ENOMEM;
    x->h = h;
    x->cb = cb;
    x->arg = arg;
    x->fd = req->out_fd;
    x->max = req->max_body ? req->max_body : (1u << 20);
    x->retry_after = -1;
    if (!(x->easy = curl_easy_init())) {
        free(x);
        return PCS_ENOMEM;
    }
    CURL *c = x->easy;
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
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
        if (!(x->post = strdup(req->body))) {
            curl_slist_free_all(x->headers);
            curl_easy_cleanup(c);
            free(x);
            return PCS_ENOMEM;
        }
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->post);
    }
    if (strcmp(req->method, "POST") == 0 && !req->body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
    x->next = h->xfers;
    if (h->xfers)
        h->xfers->prev = x;
    h->xfers = x;
    if (curl_multi_add_handle(h->multi, c) != CURLM_OK) {
        x->cb = NULL;
        xfer_free(x);
        return PCS_EINVAL;
    }
    h->active++;
    return 0;
}

int pcs_http_active(const pcs_http_t *h)
{
    return h ? h->active : 0;
}

static void on_timer_closed(uv_handle_t *hd)
{
    free(hd->data);
}

void pcs_http_destroy(pcs_http_t **hp)
{
    if (!hp || !*hp)
        return;
    pcs_http_t *h = *hp;
    *hp = NULL;
    while (h->xfers)
        xfer_free(h->xfers);   /* each removal closes its sockets through on_socket */
    curl_multi_cleanup(h->multi);
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, on_timer_closed);
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
