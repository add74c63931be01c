/* pcs_xfer: curl multi on the libuv loop (see pcs_xfer.h). curl tells which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call back (CURLMOPT_TIMERFUNCTION); the loop watches
 * them with uv_poll and one uv_timer and hands readiness back with curl_multi_socket_action. */
#include "pcs_xfer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct job {
    struct job *next, *prev;
    CURL *easy;
    struct curl_slist *headers, *extra;
    curl_mime *mime;
    char *body;
    pcs_xfer_done_fn done;
    void *ud;
} job_t;

struct pcs_xfer {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    job_t *jobs;
    int active;
};

typedef struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    pcs_xfer_t *x;
} sock_t;

static void free_handle(uv_handle_t *h)
{
    free(h->data);
}

static void job_free(job_t *j)
{
    curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->headers);
    curl_slist_free_all(j->extra);
    curl_mime_free(j->mime);
    free(j->body);
    free(j);
}

static void unlink_job(pcs_xfer_t *x, job_t *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        x->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    x->active--;
}

/* Finished transfers: their done callbacks, after the job is off the multi handle. */
static void reap(pcs_xfer_t *x)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(x->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *e = msg->easy_handle;
        CURLcode res = msg->data.result;
        job_t *j = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
        long code = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        curl_multi_remove_handle(x->multi, e);
        unlink_job(x, j);
        char why[160] = "";
        int rc = 0;
        if (res != CURLE_OK)   /* curl's text, never the URL (its query may hold a token) */
            snprintf(why, sizeof why, "%s", curl_easy_strerror(res)), rc = -1;
        else if (code < 200 || code > 299)   /* HTTP 2xx; SMTP ends with 250 */
            snprintf(why, sizeof why, "%s %ld", code >= 100 ? "HTTP" : "status", code), rc = -1;
        pcs_xfer_done_fn done = j->done;
        void *ud = j->ud;
        job_free(j);
        done(ud, rc, why);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock_t *s = h->data;
    pcs_xfer_t *x = s->x;
    int flags = 0, running;
    if (status < 0)
        flags |= CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(x->multi, s->fd, flags, &running);
    reap(x);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)e;
    pcs_xfer_t *x = userp;
    sock_t *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, free_handle);
            curl_multi_assign(x->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return -1;
        s->fd = fd;
        s->x = x;
        if (uv_poll_init_socket(x->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(x->multi, fd, s);
    }
    int ev = ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    pcs_xfer_t *x = t->data;
    int running;
    curl_multi_socket_action(x->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    reap(x);
}

static int on_timer(CURLM *m, long ms, void *userp)
{
    (void)m;
    pcs_xfer_t *x = userp;
    if (ms < 0)
        uv_timer_stop(&x->timer);
    else
        uv_timer_start(&x->timer, on_timeout, (uint64_t)ms, 0);
    return 0;
}

pcs_xfer_t *pcs_xfer_new(uv_loop_t *loop)
{
    pcs_xfer_t *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->loop = loop;
    if (!(x->multi = curl_multi_init())) {
        free(x);
        return NULL;
    }
    uv_timer_init(loop, &x->timer);
    x->timer.data = x;
    curl_multi_setopt(x->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(x->multi, CURLMOPT_SOCKETDATA, x);
    curl_multi_setopt(x->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(x->multi, CURLMOPT_TIMERDATA, x);
    return x;
}

void pcs_xfer_destroy(pcs_xfer_t **px)
{
    pcs_xfer_t *x = px ? *px : NULL;
    if (!x)
        return;
    *px = NULL;
    while (x->jobs) {
        job_t *j = x->jobs;
        curl_multi_remove_handle(x->multi, j->easy);   /* closes its sockets through on_socket */
        unlink_job(x, j);
        job_free(j);
    }
    curl_multi_cleanup(x->multi);
    uv_timer_stop(&x->timer);
    x->timer.data = x;
    uv_close((uv_handle_t *)&x->timer, free_handle);   /* frees x once the loop lets go of it */
}

int pcs_xfer_start(pcs_xfer_t *x, CURL *easy, struct curl_slist *headers, struct curl_slist *extra, curl_mime *mime,
                   char *body, pcs_xfer_done_fn done, void *ud)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j) {
        curl_easy_cleanup(easy);
        curl_slist_free_all(headers);
        curl_slist_free_all(extra);
        curl_mime_free(mime);
        free(body);
        return -1;
    }
    j->easy = easy;
    j->headers = headers;
    j->extra = extra;
    j->mime = mime;
    j->body = body;
    j->done = done;
    j->ud = ud;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)j);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    if (curl_multi_add_handle(x->multi, easy) != CURLM_OK) {
        job_free(j);
        return -1;
    }
    j->next = x->jobs;
    if (x->jobs)
        x->jobs->prev = j;
    x->jobs = j;
    x->active++;
    return 0;
}

int pcs_xfer_active(const pcs_xfer_t *x)
{
    return x ? x->active : 0;
}
