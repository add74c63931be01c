/* pcs_curl_uv against real sockets on 127.0.0.1: a refused connection ends from the loop with its
 * CURLcode and the easy handle handed back, a done may start a transfer and may destroy the module,
 * destroy cancels what is in flight (each done exactly once), an easy handle in flight cannot be
 * started twice, and every libuv handle is closed at the end. (Complete HTTP answers are checked
 * through pcs_http in test_pull.c.) */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pcs_curl_uv.h"

/* A socket bound on 127.0.0.1; listening (connections wait in its backlog, never answered) or not
 * (connections are refused). */
static int local_socket(bool listening, char *url, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (listening)
        cr_assert_eq(listen(fd, 8), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(url, n, "http://127.0.0.1:%d/x", ntohs(a.sin_port));
    return fd;
}

static CURL *easy_for(const char *url)
{
    CURL *e = curl_easy_init();
    cr_assert(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
    return e;
}

typedef struct ended {
    int calls;
    int order;        /* 1 for the first done of the test, 2 for the second... */
    CURLcode res;
    bool cancelled;
    long status;
} ended_t;

typedef struct world {
    uv_loop_t loop;
    pcs_curl_uv_t *cu;
    int dones;
    ended_t a, b;
    char refused_url[64];
    bool chain;         /* a's done starts b */
    bool destroy_in_a;  /* a's done destroys the module */
} world_t;

static void on_b(void *ud, CURL *easy, CURLcode res, bool cancelled);

static void record(world_t *w, ended_t *e, CURL *easy, CURLcode res, bool cancelled)
{
    e->calls++;
    e->order = ++w->dones;
    e->res = res;
    e->cancelled = cancelled;
    cr_assert_eq(curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &e->status), CURLE_OK, "the easy handle is handed back");
    curl_easy_cleanup(easy);
}

static void on_a(void *ud, CURL *easy, CURLcode res, bool cancelled)
{
    world_t *w = ud;
    record(w, &w->a, easy, res, cancelled);
    if (w->chain)
        cr_assert_eq(pcs_curl_uv_start(w->cu, easy_for(w->refused_url), on_b, w, NULL), 0);
    if (w->destroy_in_a)
        pcs_curl_uv_destroy(&w->cu);
}

static void on_b(void *ud, CURL *easy, CURLcode res, bool cancelled)
{
    world_t *w = ud;
    record(w, &w->b, easy, res, cancelled);
}

static void world_init(world_t *w)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cr_assert_eq(uv_loop_init(&w->loop), 0);
    cr_assert(w->cu = pcs_curl_uv_new(&w->loop));
}

/* Destroys what is left, lets the loop close the handles and checks that none stays open. */
static void world_end(world_t *w)
{
    pcs_curl_uv_destroy(&w->cu);
    cr_assert_null(w->cu, "destroy clears the pointer");
    pcs_curl_uv_destroy(&w->cu);   /* NULL-safe */
    uv_run(&w->loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&w->loop), 0, "every handle closed");
    curl_global_cleanup();
}

Test(curl_uv, refused_connection_ends_from_the_loop_and_a_done_may_start_another)
{
    static world_t w = {.chain = true};
    world_init(&w);
    int fd = local_socket(false, w.refused_url, sizeof w.refused_url);
    cr_assert_eq(pcs_curl_uv_start(w.cu, easy_for(w.refused_url), on_a, &w, NULL), 0);
    cr_assert_eq(pcs_curl_uv_active(w.cu), 1);
    cr_assert_eq(w.a.calls, 0, "done is never called from start");
    uv_run(&w.loop, UV_RUN_DEFAULT);   /* returns once both ended and curl watches nothing */
    cr_assert_eq(w.a.calls, 1);
    cr_assert_eq(w.b.calls, 1, "the transfer started from a done ran too");
    cr_assert_eq(w.a.res, CURLE_COULDNT_CONNECT);
    cr_assert_eq(w.b.res, CURLE_COULDNT_CONNECT);
    cr_assert(!w.a.cancelled && !w.b.cancelled);
    cr_assert_eq(w.a.status, 0, "no HTTP answer");
    cr_assert_eq(pcs_curl_uv_active(w.cu), 0);
    world_end(&w);
    close(fd);
}

static void on_stop_timer(uv_timer_t *t)
{
    world_t *w = t->data;
    pcs_curl_uv_destroy(&w->cu);
    uv_close((uv_handle_t *)t, NULL);
}

Test(curl_uv, destroy_cancels_a_transfer_in_flight)
{
    static world_t w;
    world_init(&w);
    char url[64];
    int fd = local_socket(true, url, sizeof url);   /* connects, sends, never hears back */
    cr_assert_eq(pcs_curl_uv_start(w.cu, easy_for(url), on_a, &w, NULL), 0);
    uv_timer_t stop;
    uv_timer_init(&w.loop, &stop);
    stop.data = &w;
    uv_timer_start(&stop, on_stop_timer, 300, 0);   /* the request is on the wire by then */
    uv_run(&w.loop, UV_RUN_DEFAULT);
    cr_assert_eq(w.a.calls, 1, "a cancelled transfer has its done too, once");
    cr_assert(w.a.cancelled);
    cr_assert_eq(w.a.res, CURLE_ABORTED_BY_CALLBACK);
    world_end(&w);
    close(fd);
}

Test(curl_uv, a_done_may_destroy_the_module_cancelling_the_rest)
{
    static world_t w = {.destroy_in_a = true};
    world_init(&w);
    char silent[64];
    int fd1 = local_socket(false, w.refused_url, sizeof w.refused_url);
    int fd2 = local_socket(true, silent, sizeof silent);
    cr_assert_eq(pcs_curl_uv_start(w.cu, easy_for(silent), on_b, &w, NULL), 0);
    cr_assert_eq(pcs_curl_uv_start(w.cu, easy_for(w.refused_url), on_a, &w, NULL), 0);
    cr_assert_eq(pcs_curl_uv_active(w.cu), 2);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    cr_assert_null(w.cu);
    cr_assert_eq(w.a.calls, 1);
    cr_assert_eq(w.b.calls, 1);
    cr_assert(!w.a.cancelled);
    cr_assert(w.b.cancelled, "the silent transfer is cancelled by the destroy in a's done");
    cr_assert_eq(w.a.order, 1);
    cr_assert_eq(w.b.order, 2);
    world_end(&w);
    close(fd1);
    close(fd2);
}

Test(curl_uv, a_handle_in_flight_cannot_start_twice)
{
    static world_t w;
    world_init(&w);
    int fd = local_socket(false, w.refused_url, sizeof w.refused_url);
    CURL *e = easy_for(w.refused_url);
    cr_assert_eq(pcs_curl_uv_start(w.cu, e, on_a, &w, NULL), 0);
    pcs_err_t err = {0};
    cr_assert_eq(pcs_curl_uv_start(w.cu, e, on_b, &w, &err), PCS_EINVAL);
    cr_assert_eq(err.code, PCS_EINVAL);
    cr_assert(strstr(err.msg, "cannot start a transfer"), "%s", err.msg);
    cr_assert_eq(pcs_curl_uv_active(w.cu), 1);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    cr_assert_eq(w.a.calls, 1, "the transfer in flight still ends with its own done");
    cr_assert_eq(w.b.calls, 0, "a refused start never calls its done");
    world_end(&w);
    close(fd);
}
