/* pcs_curl_uv: curl multi on the libuv loop (see pcs_curl_uv.h). curl tells which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call back (CURLMOPT_TIMERFUNCTION); the loop watches them
 * with uv_poll and one uv_timer and hands readiness back with curl_multi_socket_action. */
#include "pcs_curl_uv.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct xfer {   /* one transfer in flight */
    struct xfer *next, *prev;
    CURL *easy;
    pcs_curl_uv_done_fn done;
    void *ud;
} xfer_t;

struct pcs_curl_uv {
    uv_loop_t *loop;
    CURLM *multi;        /* NULL once destroyed (the object lives on until the loop closes the timer) */
    uv_timer_t timer;
    xfer_t *xfers;       /* in flight, for destroy */
    int active;
};

typedef struct sock {   /* one socket curl asked to watch */
    uv_poll_t poll;
    curl_socket_t fd;
    pcs_curl_uv_t *cu;
} sock_t;

static void free_data(uv_handle_t *h)
{
    free(h->data);
}

/* Takes x off the list and hands its easy handle back through done. */
static void finish(pcs_curl_uv_t *cu, xfer_t *x, CURLcode res, bool cancelled)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        cu->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    cu->active--;
    CURL *easy = x->easy;
    pcs_curl_uv_done_fn done = x->done;
    void *ud = x->ud;
    free(x);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    done(ud, easy, res, cancelled);
}

/* Finished transfers, each off the multi handle before its done. */
static void reap(pcs_curl_uv_t *cu)
{
    CURLMsg *msg;
    int left;
    /* a done may destroy the module: then multi is NULL and nothing more is read */
    while (cu->multi && (msg = curl_multi_info_read(cu->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode res = msg->data.result;
        xfer_t *x = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(cu->multi, easy);   /* msg is gone after this */
        finish(cu, x, res, false);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_t *s = p->data;
    pcs_curl_uv_t *cu = s->cu;   /* s may be closed inside socket_action */
    int flags = 0, running;
    if (status < 0)
        flags |= CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(cu->multi, s->fd, flags, &running);
    reap(cu);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    pcs_curl_uv_t *cu = userp;
    sock_t *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, free_data);
            curl_multi_assign(cu->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return -1;
        s->fd = fd;
        s->cu = cu;
        if (uv_poll_init_socket(cu->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(cu->multi, fd, s);
    }
    int ev = ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    pcs_curl_uv_t *cu = t->data;
    int running;
    curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    reap(cu);
}

static int on_timer(CURLM *multi, long ms, void *userp)
{
    (void)multi;
    pcs_curl_uv_t *cu = userp;
    if (ms < 0)
        uv_timer_stop(&cu->timer);
    else
        uv_timer_start(&cu->timer, on_timeout, (uint64_t)ms, 0);
    return 0;
}

pcs_curl_uv_t *pcs_curl_uv_new(uv_loop_t *loop)
{
    pcs_curl_uv_t *cu = calloc(1, sizeof *cu);
    if (!cu)
        return NULL;
    cu->loop = loop;
    if (!(cu->multi = curl_multi_init())) {
        free(cu);
        return NULL;
    }
    uv_timer_init(loop, &cu->timer);
    cu->timer.data = cu;
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
    return cu;
}

void pcs_curl_uv_destroy(pcs_curl_uv_t **pcu)
{
    pcs_curl_uv_t *cu = pcu ? *pcu : NULL;
    if (!cu)
        return;
    *pcu = NULL;
    while (cu->xfers) {
        xfer_t *x = cu->xfers;
        curl_multi_remove_handle(cu->multi, x->easy);   /* closes its sockets through on_socket */
        finish(cu, x, CURLE_ABORTED_BY_CALLBACK, true);
    }
    curl_multi_cleanup(cu->multi);
    cu->multi = NULL;
    uv_timer_stop(&cu->timer);
    uv_close((uv_handle_t *)&cu->timer, free_data);   /* frees cu once the loop lets go of it */
}

int pcs_curl_uv_start(pcs_curl_uv_t *cu, CURL *easy, pcs_curl_uv_done_fn done, void *ud, pcs_err_t *err)
{
    int rc = 0;
    xfer_t *x = calloc(1, sizeof *x);
    if (!x) {
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    x->easy = easy;
    x->done = done;
    x->ud = ud;
    char *was = NULL;   /* put back when curl refuses the handle (it may be in flight already) */
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &was);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)x);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    CURLMcode mc = curl_multi_add_handle(cu->multi, easy);
    if (mc != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, was);
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "cannot start a transfer: %s", curl_multi_strerror(mc));
        goto out;
    }
    x->next = cu->xfers;
    if (cu->xfers)
        cu->xfers->prev = x;
    cu->xfers = x;
    cu->active++;
    x = NULL;   /* in flight */
out:
    free(x);
    return rc;
}

int pcs_curl_uv_active(const pcs_curl_uv_t *cu)
{
    return cu ? cu->active : 0;
}
