/* pcs_zsock: a ZeroMQ socket on the libuv loop (after czmq's zsock).
 *
 * The socket's ZMQ_FD is watched with uv_poll. That descriptor is edge-triggered: it only says
 * "look at ZMQ_EVENTS", so every wake-up drains the socket until ZMQ_EVENTS has no POLLIN, and a
 * send (which can change ZMQ_EVENTS) drains again. Each whole multipart message goes to one
 * callback. Options come from a small struct so every socket gets the same treatment: LINGER 0,
 * ZMQ_MAXMSGSIZE on every receiving socket, and the place where CURVE keys are set.
 *
 * A socket may expect a frame count and an envelope (interfaces.md §4) in one frame: the envelope
 * is decoded strictly (proto/) before the callback, which then gets either the envelope or the
 * reason the message is malformed; a REP socket must answer both.
 *
 * REP sockets: the answer may be sent later (after an asynchronous query); until it is sent no
 * further request is read. pcs_zsock_send() from inside or outside the callback. */
#ifndef PCS_ZSOCK_H
#define PCS_ZSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "pcs_envelope.h"
#include "pcs_err.h"

#define PCS_ZMSG_MAX_FRAMES 8   /* 7 for a ZAP request (pcs_curve.c) */

typedef struct pcs_zsock pcs_zsock_t;

typedef struct pcs_zframe {
    const char *data;
    size_t len;
} pcs_zframe_t;

/* One received message, valid during the callback only. */
typedef struct pcs_zmsg {
    int n_frames;                          /* all frames received (only the first MAX are kept) */
    pcs_zframe_t frames[PCS_ZMSG_MAX_FRAMES];
    const pcs_envelope_t *env;             /* decoded envelope (opts.envelope_frame), or NULL */
    const char *error;                     /* why the message is malformed, or NULL */
} pcs_zmsg_t;

typedef void (*pcs_zsock_cb)(pcs_zsock_t *s, const pcs_zmsg_t *m, void *arg);

typedef struct pcs_zsock_opts {
    int type;                    /* ZMQ_REP, ZMQ_PULL, ZMQ_SUB, ZMQ_PUSH, ZMQ_PUB, ZMQ_REQ ... */
    const char *bind;            /* endpoint to bind, or NULL */
    const char *connect;         /* endpoints to connect (space or comma separated), or NULL */
    int64_t max_msg_bytes;       /* ZMQ_MAXMSGSIZE of a receiving socket; 0 = PCS_ENVELOPE_MAX_BYTES */
    int hwm;                     /* ZMQ_SNDHWM and ZMQ_RCVHWM; 0 = libzmq's default */
    const char *subscribe;       /* ZMQ_SUB: topic prefix */
    int frames;                  /* frames of a well-formed message; 0 = any */
    int envelope_frame;          /* 1-based frame holding an envelope to decode; 0 = none */
    /* CURVE (pcs_curve.h): with curve_dir set, a socket that binds is a CURVE server with the key
     * pair curve_self, one that connects a client of curve_server with the key pair curve_self. */
    const char *curve_dir;       /* the keys directory; NULL or "": plain ZeroMQ */
    const char *curve_self;      /* "ingest", "scorer", "notifier", "pcs" */
    const char *curve_server;    /* a connecting socket: whose server it connects to */
} pcs_zsock_opts_t;

/* Creates, configures, binds/connects the socket and, when cb is non-NULL, watches it on loop.
 * NULL with err on failure ("cannot bind tcp://...: Address already in use"). */
pcs_zsock_t *pcs_zsock_new(uv_loop_t *loop, void *zctx, const pcs_zsock_opts_t *o, pcs_zsock_cb cb, void *arg,
                           pcs_err_t *err);

/* Stops watching and closes the socket (NULL-safe, clears *s). Must be called while the loop
 * still runs or before uv_run's final pass (the watcher is closed asynchronously). */
void pcs_zsock_destroy(pcs_zsock_t **s);

/* Sends one frame (flags: ZMQ_SNDMORE, ZMQ_DONTWAIT); 0 or -1 with errno. On a REP socket the
 * last frame of the answer lets the next request in. */
int pcs_zsock_send(pcs_zsock_t *s, const void *data, size_t len, int flags);

/* The libzmq socket, for what this module does not wrap. */
void *pcs_zsock_handle(pcs_zsock_t *s);

#endif
