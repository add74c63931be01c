/* The daemon runtime: config reload flags and enums, log lines, the ZeroMQ socket on a libuv loop
 * (real sockets over inproc and ipc), and asynchronous queries on the real PostgreSQL that
 * tests/run starts (PGHOST etc.). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "pcs_daemon.h"
#include "pcs_db.h"
#include "pcs_log.h"
#include "pcs_pgasync.h"
#include "pcs_zsock.h"

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- log lines ------------------------------------------------------------------------------------ */

Test(log, journal_lines_carry_the_priority_others_a_timestamp)
{
    char b[256];
    pcs_log_format(b, sizeof b, true, PCS_LOG_WARN, "ingest", "intake", "rejected");
    cr_expect_str_eq(b, "<4>warn ingest intake: rejected");
    pcs_log_format(b, sizeof b, true, PCS_LOG_DEBUG, "scorer", "main", "x");
    cr_expect_str_eq(b, "<7>debug scorer main: x");
    pcs_log_format(b, sizeof b, false, PCS_LOG_ERROR, "notifier", "deliver", "y");
    /* 2026-12-06T12:00:00.123Z error notifier deliver: y */
    cr_expect_eq(strlen(b), 24 + strlen(" error notifier deliver: y"), "%s", b);
    cr_expect(b[4] == '-' && b[10] == 'T' && b[23] == 'Z', "%s", b);
    cr_expect_str_eq(b + 24, " error notifier deliver: y");
}

Test(log, the_level_threshold_filters)
{
    pcs_log_setup(PCS_LOG_WARN);
    cr_expect(!pcs_log_enabled(PCS_LOG_DEBUG));
    cr_expect(!pcs_log_enabled(PCS_LOG_INFO));
    cr_expect(pcs_log_enabled(PCS_LOG_WARN));
    pcs_log_setup(PCS_LOG_DEBUG);
    cr_expect(pcs_log_enabled(PCS_LOG_DEBUG));
    pcs_log_setup(PCS_LOG_INFO);
}

/* ---- the ZeroMQ socket on the loop ---------------------------------------------------------------- */

typedef struct zrec {
    int calls, frames;
    char first[256], error[256];
    char type[64];
    bool answer_later;
    pcs_zsock_t *pending;
} zrec_t;

static void on_msg(pcs_zsock_t *s, const pcs_zmsg_t *m, void *arg)
{
    zrec_t *r = arg;
    r->calls++;
    r->frames = m->n_frames;
    snprintf(r->first, sizeof r->first, "%.*s", (int)m->frames[0].len, m->frames[0].data);
    snprintf(r->error, sizeof r->error, "%s", m->error ? m->error : "");
    snprintf(r->type, sizeof r->type, "%s", m->env ? m->env->type : "");
    if (r->answer_later)
        r->pending = s;
    else
        pcs_zsock_send(s, "ack", 3, 0);
}

static void run_until(uv_loop_t *loop, const int *counter, int want)
{
    for (int i = 0; i < 2000 && *counter < want; i++)
        uv_run(loop, UV_RUN_NOWAIT), nap_ms(1);
}

static const char *ENV1 = "{\"v\":1,\"type\":\"cert.earned\",\"id\":\"e-1\",\"ts\":\"2026-01-01T00:00:00Z\",\"body\":{}}";

Test(zsock, rep_socket_drains_whole_messages_and_decodes_envelopes)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    void *ctx = zmq_ctx_new();
    zrec_t r = {0};
    pcs_err_t err = {0};
    pcs_zsock_opts_t o = {.type = ZMQ_REP, .bind = "inproc://rep", .frames = 1, .envelope_frame = 1};
    pcs_zsock_t *s = pcs_zsock_new(&loop, ctx, &o, on_msg, &r, &err);
    cr_assert_not_null(s, "%s", err.msg);
    void *c = zmq_socket(ctx, ZMQ_REQ);
    cr_assert_eq(zmq_connect(c, "inproc://rep"), 0);
    char buf[64];
    /* a good envelope, then a malformed one, then two frames: each answered, in order */
    zmq_send(c, ENV1, strlen(ENV1), 0);
    run_until(&loop, &r.calls, 1);
    cr_expect_eq(zmq_recv(c, buf, sizeof buf, 0), 3);
    cr_expect_str_eq(r.type, "cert.earned");
    cr_expect_str_eq(r.error, "");
    zmq_send(c, "{\"v\":1}", 7, 0);
    run_until(&loop, &r.calls, 2);
    cr_expect_eq(zmq_recv(c, buf, sizeof buf, 0), 3);
    cr_expect_str_eq(r.type, "");
    cr_expect(r.error[0] != '\0', "a bad envelope gives the reason");
    zmq_send(c, "a", 1, ZMQ_SNDMORE);
    zmq_send(c, "b", 1, 0);
    run_until(&loop, &r.calls, 3);
    cr_expect_eq(zmq_recv(c, buf, sizeof buf, 0), 3);
    cr_expect_eq(r.frames, 2);
    cr_expect_str_eq(r.error, "expected 1 frame, got 2");
    zmq_close(c);
    pcs_zsock_destroy(&s);
    cr_expect_null(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(uv_loop_close(&loop), 0);
    zmq_ctx_term(ctx);
}

Test(zsock, rep_answer_later_holds_the_next_request)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    void *ctx = zmq_ctx_new();
    zrec_t r = {.answer_later = true};
    pcs_err_t err = {0};
    pcs_zsock_opts_t o = {.type = ZMQ_REP, .bind = "inproc://later"};
    pcs_zsock_t *s = pcs_zsock_new(&loop, ctx, &o, on_msg, &r, &err);
    cr_assert_not_null(s, "%s", err.msg);
    /* two clients ask at once; the second is read only after the first is answered */
    void *c1 = zmq_socket(ctx, ZMQ_REQ), *c2 = zmq_socket(ctx, ZMQ_REQ);
    zmq_connect(c1, "inproc://later");
    zmq_connect(c2, "inproc://later");
    zmq_send(c1, "one", 3, 0);
    zmq_send(c2, "two", 3, 0);
    run_until(&loop, &r.calls, 1);
    for (int i = 0; i < 50; i++)
        uv_run(&loop, UV_RUN_NOWAIT), nap_ms(1);
    cr_expect_eq(r.calls, 1, "no second request before the first answer");
    cr_assert_not_null(r.pending);
    r.answer_later = false;
    pcs_zsock_send(r.pending, "ok1", 3, 0);   /* outside the callback: reads the next at once */
    run_until(&loop, &r.calls, 2);
    cr_expect_eq(r.calls, 2);
    cr_expect_str_eq(r.first, "two");
    char buf[8];
    cr_expect_eq(zmq_recv(c1, buf, sizeof buf, 0), 3);
    cr_expect_eq(zmq_recv(c2, buf, sizeof buf, 0), 3);
    zmq_close(c1);
    zmq_close(c2);
    pcs_zsock_destroy(&s);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    zmq_ctx_term(ctx);
}

Test(zsock, pull_gets_a_burst_and_refuses_messages_over_the_limit)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    void *ctx = zmq_ctx_new();
    char dir[] = "/tmp/pcs-zsock-XXXXXX", ep[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(ep, sizeof ep, "ipc://%s/pull", dir);
    zrec_t r = {.answer_later = true};
    pcs_err_t err = {0};
    pcs_zsock_opts_t o = {.type = ZMQ_PULL, .bind = ep, .max_msg_bytes = 1000, .envelope_frame = 1};
    pcs_zsock_t *s = pcs_zsock_new(&loop, ctx, &o, on_msg, &r, &err);
    cr_assert_not_null(s, "%s", err.msg);
    pcs_zsock_opts_t po = {.type = ZMQ_PUSH, .connect = ep};
    pcs_zsock_t *p = pcs_zsock_new(&loop, ctx, &po, NULL, NULL, &err);
    cr_assert_not_null(p, "%s", err.msg);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(pcs_zsock_send(p, ENV1, strlen(ENV1), 0), 0);
    run_until(&loop, &r.calls, 100);
    cr_expect_eq(r.calls, 100, "an edge-triggered burst is drained to the end");
    cr_expect_str_eq(r.type, "cert.earned");
    /* over ZMQ_MAXMSGSIZE libzmq drops the connection: nothing reaches the callback */
    char *big = calloc(1, 5000);
    memset(big, 'x', 4999);
    pcs_zsock_send(p, big, 4999, 0);
    free(big);
    for (int i = 0; i < 200; i++)
        uv_run(&loop, UV_RUN_NOWAIT), nap_ms(1);
    cr_expect_eq(r.calls, 100, "a message beyond max_msg_bytes is never delivered");
    pcs_zsock_destroy(&p);
    pcs_zsock_destroy(&s);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    zmq_ctx_term(ctx);
    char path[80];
    snprintf(path, sizeof path, "%s/pull", dir);
    unlink(path);
    rmdir(dir);
}

Test(zsock, a_bind_failure_names_the_endpoint)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    void *ctx = zmq_ctx_new();
    pcs_err_t err = {0};
    pcs_zsock_opts_t o = {.type = ZMQ_REP, .bind = "tcp://256.0.0.1:1"};
    cr_expect_null(pcs_zsock_new(&loop, ctx, &o, on_msg, NULL, &err));
    cr_expect(strstr(err.msg, "cannot bind tcp://256.0.0.1:1") != NULL, "%s", err.msg);
    uv_loop_close(&loop);
    zmq_ctx_term(ctx);
}

/* ---- asynchronous PostgreSQL ------------------------------------------------------------------------ */

typedef struct qrec {
    int done;
    char value[128], error[512];
    uv_loop_t *loop;
    int ticks_while_busy;
} qrec_t;

static void on_result(PGresult *r, const pcs_err_t *err, void *arg)
{
    qrec_t *q = arg;
    q->done++;
    if (r)
        snprintf(q->value, sizeof q->value, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    else
        snprintf(q->error, sizeof q->error, "%s", err->msg);
}

static void on_tick(uv_timer_t *t)
{
    qrec_t *q = t->data;
    if (!q->done)
        q->ticks_while_busy++;
}

Test(pgasync, queries_run_in_order_and_the_loop_turns_meanwhile)
{
    cr_assert_not_null(getenv("PGHOST"), "run under tests/run or tests/with-pg (a real PostgreSQL)");
    uv_loop_t loop;
    uv_loop_init(&loop);
    pcs_pgasync_t *a = pcs_pgasync_new(&loop, "", "test");
    cr_assert_not_null(a);
    qrec_t q1 = {0}, q2 = {0}, q3 = {0};
    const char *p[1] = {"it's \"quoted\""};
    cr_assert_eq(pcs_pgasync_query(a, "SELECT pg_sleep(0.3)::text || 'slept'", 0, NULL, on_result, &q1), 0);
    cr_assert_eq(pcs_pgasync_query(a, "SELECT $1::text", 1, p, on_result, &q2), 0);
    cr_assert_eq(pcs_pgasync_query(a, "SELECT 1/0", 0, NULL, on_result, &q3), 0);
    cr_expect_eq(pcs_pgasync_pending(a), 3);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &q1;
    uv_timer_start(&t, on_tick, 10, 10);
    while (!q3.done)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    cr_expect_str_eq(q1.value, "slept");
    cr_expect_gt(q1.ticks_while_busy, 5, "the loop ran timers while the query slept (%d)", q1.ticks_while_busy);
    cr_expect_str_eq(q2.value, "it's \"quoted\"", "parameters, never SQL text");
    cr_expect(strstr(q3.error, "division by zero") != NULL, "%s", q3.error);
    cr_expect_eq(pcs_pgasync_pending(a), 0);
    /* after an error the connection serves the next query */
    qrec_t q4 = {0};
    pcs_pgasync_query(a, "SELECT 'again'", 0, NULL, on_result, &q4);
    while (!q4.done)
        uv_run(&loop, UV_RUN_ONCE);
    cr_expect_str_eq(q4.value, "again");
    pcs_pgasync_destroy(&a);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(uv_loop_close(&loop), 0);
}

Test(pgasync, a_lost_connection_fails_the_query_and_the_next_one_reconnects)
{
    cr_assert_not_null(getenv("PGHOST"), "run under tests/run or tests/with-pg (a real PostgreSQL)");
    uv_loop_t loop;
    uv_loop_init(&loop);
    pcs_pgasync_t *a = pcs_pgasync_new(&loop, "application_name=pgasync_victim", "test");
    qrec_t q1 = {0}, k = {0}, q2 = {0};
    pcs_pgasync_query(a, "SELECT pg_sleep(5)::text", 0, NULL, on_result, &q1);
    /* another connection terminates the first one's backend while its query runs */
    pcs_pgasync_t *killer = pcs_pgasync_new(&loop, "", "test");
    for (int i = 0; i < 50; i++)
        uv_run(&loop, UV_RUN_NOWAIT), nap_ms(10);
    pcs_pgasync_query(killer,
                      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                      " WHERE application_name = 'pgasync_victim'",
                      0, NULL, on_result, &k);
    while (!q1.done || !k.done)
        uv_run(&loop, UV_RUN_ONCE);
    cr_expect_str_eq(k.value, "1");
    cr_expect(q1.error[0] != '\0', "the query in hand fails with a reason");
    pcs_pgasync_query(a, "SELECT 'back'", 0, NULL, on_result, &q2);
    while (!q2.done)
        uv_run(&loop, UV_RUN_ONCE);
    cr_expect_str_eq(q2.value, "back", "%s", q2.error);
    pcs_pgasync_destroy(&a);
    pcs_pgasync_destroy(&killer);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

Test(pgasync, destroy_answers_the_queries_in_hand)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    pcs_pgasync_t *a = pcs_pgasync_new(&loop, "", "test");
    qrec_t q = {0};
    pcs_pgasync_query(a, "SELECT 1", 0, NULL, on_result, &q);
    pcs_pgasync_destroy(&a);
    cr_expect_eq(q.done, 1);
    cr_expect_str_eq(q.error, "closed");
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

/* ---- the error convention of pcs_db_query ------------------------------------------------------------ */

Test(db, query_returns_the_code_it_puts_in_err)
{
    cr_assert_not_null(getenv("PGHOST"), "run under tests/run or tests/with-pg (a real PostgreSQL)");
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect("", &err);
    cr_assert_not_null(db, "%s", err.msg);
    cr_assert_eq(pcs_db_query(db, "CREATE TEMP TABLE u (k int PRIMARY KEY)", 0, NULL, NULL, &err), 0, "%s", err.msg);
    const char *p[1] = {"1"};
    cr_expect_eq(pcs_db_query(db, "INSERT INTO u VALUES ($1::int)", 1, p, NULL, &err), 0);
    pcs_err_clear(&err);
    int rc = pcs_db_query(db, "INSERT INTO u VALUES ($1::int)", 1, p, NULL, &err);
    cr_expect_eq(rc, PCS_EEXIST, "a taken unique key is PCS_EEXIST, not a message to parse (%d)", rc);
    cr_expect_eq(err.code, rc);
    pcs_err_clear(&err);
    rc = pcs_db_query(db, "SELEC 1", 0, NULL, NULL, &err);
    cr_expect_eq(rc, PCS_EIO);
    cr_expect_eq(err.code, PCS_EIO);
    cr_expect(strstr(err.msg, "syntax error") != NULL, "%s", err.msg);
    cr_expect(strchr(err.msg, '\n') == NULL, "one line");
    PQfinish(db);
}
