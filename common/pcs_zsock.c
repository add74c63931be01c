#include "pcs_zsock.h"

#include "pcs_curve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct pcs_zsock {
    void *sock;
    uv_poll_t *poll;             /* NULL for a send-only socket; freed by its close callback */
    pcs_zsock_cb cb;
    void *arg;
    int type, frames, envelope_frame;
    bool awaiting_reply;         /* REP: a request was handed out, its answer not yet sent */
    bool draining, destroyed;
};

static int set_int(void *sock, int opt, int v)
{
    return zmq_setsockopt(sock, opt, &v, sizeof v);
}

static bool receives(int type)
{
    return type != ZMQ_PUSH && type != ZMQ_PUB;
}

/* Every socket option pcs sets, in one place. */
static int apply_options(void *sock, const pcs_zsock_opts_t *o, pcs_err_t *err)
{
    int rc = set_int(sock, ZMQ_LINGER, 0);
    if (rc == 0 && o->hwm > 0)
        rc = set_int(sock, ZMQ_SNDHWM, o->hwm) | set_int(sock, ZMQ_RCVHWM, o->hwm);
    if (rc == 0 && receives(o->type)) {
        int64_t max = o->max_msg_bytes > 0 ? o->max_msg_bytes : (int64_t)PCS_ENVELOPE_MAX_BYTES;
        rc = zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    }
    if (rc == 0 && o->type == ZMQ_SUB)
        rc = zmq_setsockopt(sock, ZMQ_SUBSCRIBE, o->subscribe ? o->subscribe : "",
                            o->subscribe ? strlen(o->subscribe) : 0);
    if (rc < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "socket options: %s", zmq_strerror(errno));
    /* CURVE keys, before bind/connect: a binding socket serves, a connecting one is a client */
    if (o->curve_dir && o->curve_dir[0])
        return pcs_curve_apply(sock, o->curve_dir, o->curve_self, o->bind ? NULL : o->curve_server, err);
    return 0;
}

static int attach(void *sock, const pcs_zsock_opts_t *o, pcs_err_t *err)
{
    if (o->bind && zmq_bind(sock, o->bind) < 0)
        return pcs_err_set(err, PCS_EIO, 0, 0, "cannot bind %s: %s", o->bind, zmq_strerror(errno));
    if (!o->connect)
        return 0;
    char eps[1024];
    snprintf(eps, sizeof eps, "%s", o->connect);
    char *save = NULL;
    for (char *ep = strtok_r(eps, " ,", &save); ep; ep = strtok_r(NULL, " ,", &save))
        if (zmq_connect(sock, ep) < 0)
            return pcs_err_set(err, PCS_EIO, 0, 0, "cannot connect %s: %s", ep, zmq_strerror(errno));
    return 0;
}

static bool readable(pcs_zsock_t *s)
{
    int ev = 0;
    size_t sz = sizeof ev;
    return zmq_getsockopt(s->sock, ZMQ_EVENTS, &ev, &sz) == 0 && (ev & ZMQ_POLLIN);
}

static void free_sock(pcs_zsock_t *s)
{
    zmq_close(s->sock);
    free(s);
}

/* Receives one whole message and hands it to the callback. false when nothing was there. */
static bool take_one(pcs_zsock_t *s)
{
    zmq_msg_t f[PCS_ZMSG_MAX_FRAMES];
    pcs_zmsg_t m = {0};
    int more = 1;
    while (more) {
        zmq_msg_t extra, *x = m.n_frames < PCS_ZMSG_MAX_FRAMES ? &f[m.n_frames] : &extra;
        zmq_msg_init(x);
        /* the frames of one message arrive together: after the first, DONTWAIT never waits */
        if (zmq_msg_recv(x, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(x);
            break;
        }
        more = zmq_msg_more(x);
        if (x == &extra)
            zmq_msg_close(x);   /* counted, not kept */
        else
            m.frames[m.n_frames] = (pcs_zframe_t){zmq_msg_data(x), zmq_msg_size(x)};
        m.n_frames++;
    }
    if (m.n_frames == 0)
        return false;
    pcs_envelope_t env;
    pcs_err_t err = {0};
    char why[96];
    bool decoded = false;
    if (s->frames && m.n_frames != s->frames) {
        snprintf(why, sizeof why, "expected %d frame%s, got %d", s->frames, s->frames == 1 ? "" : "s", m.n_frames);
        m.error = why;
    } else if (s->envelope_frame && s->envelope_frame <= m.n_frames && s->envelope_frame <= PCS_ZMSG_MAX_FRAMES) {
        const pcs_zframe_t *fr = &m.frames[s->envelope_frame - 1];
        if (pcs_envelope_decode(fr->data, fr->len, &env, &err) < 0)
            m.error = err.msg;
        else
            m.env = &env, decoded = true;
    } else if (s->envelope_frame) {
        m.error = "no envelope frame";
    }
    if (s->type == ZMQ_REP)
        s->awaiting_reply = true;
    s->cb(s, &m, s->arg);
    if (decoded)
        pcs_envelope_clear(&env);
    for (int i = 0; i < m.n_frames && i < PCS_ZMSG_MAX_FRAMES; i++)
        zmq_msg_close(&f[i]);
    return true;
}

static void drain(pcs_zsock_t *s)
{
    if (s->draining)
        return;   /* a send from inside a callback: the loop below looks again */
    s->draining = true;
    while (!s->destroyed && !s->awaiting_reply && readable(s) && take_one(s))
        ;
    s->draining = false;
    if (s->destroyed)
        free_sock(s);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    drain(h->data);
}

pcs_zsock_t *pcs_zsock_new(uv_loop_t *loop, void *zctx, const pcs_zsock_opts_t *o, pcs_zsock_cb cb, void *arg,
                           pcs_err_t *err)
{
    pcs_zsock_t *s = calloc(1, sizeof *s);
    if (!s) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    s->type = o->type;
    s->frames = o->frames;
    s->envelope_frame = o->envelope_frame;
    s->cb = cb;
    s->arg = arg;
    if (!(s->sock = zmq_socket(zctx, o->type))) {
        pcs_err_set(err, PCS_EIO, 0, 0, "cannot create a socket: %s", zmq_strerror(errno));
        free(s);
        return NULL;
    }
    if (apply_options(s->sock, o, err) < 0 || attach(s->sock, o, err) < 0)
        goto fail;
    if (cb) {
        int fd;
        size_t sz = sizeof fd;
        if (zmq_getsockopt(s->sock, ZMQ_FD, &fd, &sz) < 0 || !(s->poll = malloc(sizeof *s->poll))) {
            pcs_err_set(err, PCS_EIO, 0, 0, "cannot watch the socket");
            goto fail;
        }
        uv_poll_init(loop, s->poll, fd);
        s->poll->data = s;
        uv_poll_start(s->poll, UV_READABLE, on_poll);
    }
    return s;
fail:
    free(s->poll);
    free_sock(s);
    return NULL;
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

void pcs_zsock_destroy(pcs_zsock_t **sp)
{
    pcs_zsock_t *s = sp ? *sp : NULL;
    if (!s)
        return;
    *sp = NULL;
    if (s->poll) {
        uv_poll_stop(s->poll);
        uv_close((uv_handle_t *)s->poll, free_handle);
        s->poll = NULL;
    }
    s->destroyed = true;
    if (!s->draining)
        free_sock(s);
}

int pcs_zsock_send(pcs_zsock_t *s, const void *data, size_t len, int flags)
{
    if (zmq_send(s->sock, data, len, flags) < 0)
        return -1;
    if (!(flags & ZMQ_SNDMORE))
        s->awaiting_reply = false;
    /* a send can leave ZMQ_EVENTS with POLLIN and the descriptor silent: look now */
    if (s->poll && !s->destroyed)
        drain(s);
    return 0;
}

void *pcs_zsock_handle(pcs_zsock_t *s)
{
    return s->sock;
}
