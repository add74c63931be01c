/* pcs-pull's pieces without the network: config sections and checks, Entra replies (every status of
 * the device code, refresh and client credentials grants), the token file's mode check and atomic
 * replacement, the Insights API replies (keys in either case), form encoding and URL safety; and
 * pcs_http against a real socket on 127.0.0.1 (Retry-After, a cut body, a download to a file). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcs_entra.h"
#include "pcs_http.h"
#include "pcs_pcapi.h"
#include "pcs_pullcfg.h"

static char *temp_dir(void)
{
    char *d = strdup("/tmp/pcs-unit-pull.XXXXXX");
    cr_assert(mkdtemp(d));
    return d;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static const char good_conf[] = "db = x\nschedule = false\n[partner_center]\naccount = contoso\n"
                                "tenant = contoso.onmicrosoft.com\nclient_id = 1234\ntoken_file = /tmp/t\n";

/* ---- configuration ------------------------------------------------------------------------------ */

Test(pullcfg, a_section_names_its_keys)
{
    char *d = temp_dir(), path[300];
    snprintf(path, sizeof path, "%s/pull.conf", d);
    write_file(path, good_conf, 0600);
    pcs_pullcfg_t c;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_pullcfg_load(path, &c, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.account, "contoso");
    cr_assert_str_eq(c.db, "x");
    cr_assert(!c.schedule);
    cr_assert_eq(c.pull_day, 18);
    cr_assert_str_eq(c.api_base, "https://api.partnercenter.microsoft.com/insights/v1/mpn");
    char url[300];
    pcs_pullcfg_entra_url(&c, "devicecode", url, sizeof url);
    cr_assert_str_eq(url, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode");
    /* a key of the section written outside it is unknown, with its line */
    write_file(path, "account = contoso\n", 0600);
    cr_assert_eq(pcs_pullcfg_load(path, &c, &err), PCS_EINVAL);
    cr_assert_eq(err.line, 1);
    cr_assert(strstr(err.msg, "account: unknown key"), "%s", err.msg);
    write_file(path, "[partner_center\naccount = a\n", 0600);
    cr_assert_eq(pcs_pullcfg_load(path, &c, &err), PCS_EINVAL);
    cr_assert(strstr(err.msg, "expected [section]"), "%s", err.msg);
    free(d);
}

Test(pullcfg, checks_the_account_together)
{
    char *d = temp_dir(), path[300];
    snprintf(path, sizeof path, "%s/pull.conf", d);
    pcs_pullcfg_t c;
    pcs_err_t err = {0};
    static const struct {
        const char *extra, *reason;
    } cases[] = {
        {"auth = password\n", "auth: expected device_code or client_credentials"},
        {"auth = client_credentials\n", "client_credentials needs client_secret_file"},
        {"authority = http://login.example.com\n", "authority: must be https://"},
        {"api_base = ftp://x\n", "api_base: must be https://"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[600];
        snprintf(text, sizeof text, "%s%s", good_conf, cases[i].extra);
        write_file(path, text, 0600);
        cr_assert_eq(pcs_pullcfg_load(path, &c, &err), PCS_EINVAL, "%s", cases[i].extra);
        cr_assert(strstr(err.msg, cases[i].reason), "%s: %s", cases[i].extra, err.msg);
    }
    write_file(path, "[partner_center]\ntenant = t\nclient_id = c\ntoken_file = /t\n", 0600);
    cr_assert_eq(pcs_pullcfg_load(path, &c, &err), PCS_EINVAL);
    cr_assert(strstr(err.msg, "account"), "%s", err.msg);
    free(d);
}

/* ---- Entra --------------------------------------------------------------------------------------- */

Test(entra, token_replies)
{
    pcs_entra_token_t t;
    char why[256];
    cr_assert_eq(pcs_entra_parse_token(200, "{\"access_token\":\"A\",\"refresh_token\":\"R\",\"expires_in\":\"3599\"}", &t,
                                       why, sizeof why),
                 PCS_ENTRA_OK);
    cr_assert_str_eq(t.access, "A");
    cr_assert_str_eq(t.refresh, "R");
    cr_assert_eq(t.expires_in, 3599);
    pcs_entra_token_clear(&t);
    cr_assert_null(t.access);
    static const struct {
        long status;
        const char *body;
        pcs_entra_status_t st;
        const char *why;
    } cases[] = {
        {400, "{\"error\":\"authorization_pending\",\"error_description\":\"AADSTS70016: pending\"}", PCS_ENTRA_PENDING,
         "authorization_pending (AADSTS70016), HTTP 400"},
        {400, "{\"error\":\"slow_down\"}", PCS_ENTRA_SLOW_DOWN, "slow_down"},
        {400, "{\"error\":\"expired_token\"}", PCS_ENTRA_SIGN_IN, "expired_token"},
        {400, "{\"error\":\"authorization_declined\"}", PCS_ENTRA_SIGN_IN, "authorization_declined"},
        {400, "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS700082: The refresh token has expired\"}",
         PCS_ENTRA_SIGN_IN, "invalid_grant (AADSTS700082)"},
        {401, "{\"error\":\"invalid_client\"}", PCS_ENTRA_REFUSED, "invalid_client"},
        {503, "down", PCS_ENTRA_RETRY, "HTTP 503"},
        {429, "", PCS_ENTRA_RETRY, "HTTP 429"},
        {0, NULL, PCS_ENTRA_RETRY, "not reached"},
        {200, "{\"token_type\":\"Bearer\"}", PCS_ENTRA_REFUSED, "without access_token"},
        {200, "<html>", PCS_ENTRA_RETRY, "without JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_assert_eq(pcs_entra_parse_token(cases[i].status, cases[i].body, &t, why, sizeof why), cases[i].st, "case %zu",
                     i);
        cr_assert(strstr(why, cases[i].why), "case %zu: %s", i, why);
        cr_assert_null(t.access);
    }
    /* the description itself (which might echo something) never reaches the reason */
    pcs_entra_parse_token(400, "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS1: token rt-SECRET\"}", &t,
                          why, sizeof why);
    cr_assert_null(strstr(why, "SECRET"), "%s", why);
}

Test(entra, device_reply_and_forms)
{
    pcs_entra_device_t d;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_entra_parse_device("{\"device_code\":\"D\",\"user_code\":\"U\",\"verification_uri\":\"https://"
                                        "microsoft.com/devicelogin\",\"expires_in\":900,\"interval\":5}",
                                        &d, &err),
                 0);
    cr_assert_str_eq(d.user_code, "U");
    cr_assert_eq(d.interval, 5);
    pcs_entra_device_clear(&d);
    cr_assert_eq(pcs_entra_parse_device("{\"error\":\"invalid_client\"}", &d, &err), PCS_EINVAL);
    cr_assert(strstr(err.msg, "invalid_client"), "%s", err.msg);

    pcs_pullcfg_t c = {.client_id = "id 1", .resource = "https://api.partnercenter.microsoft.com"};
    char *f = pcs_entra_form_devicecode(&c);
    cr_assert_str_eq(f, "client_id=id%201&scope=https%3A%2F%2Fapi.partnercenter.microsoft.com%2Fuser_impersonation%20"
                        "offline_access");
    pcs_entra_secret_free(&f);
    f = pcs_entra_form_refresh(&c, "r&t=1", NULL);
    cr_assert(strstr(f, "grant_type=refresh_token&") && strstr(f, "refresh_token=r%26t%3D1"), "%s", f);
    cr_assert_null(strstr(f, "client_secret"), "a public client sends no secret: %s", f);
    pcs_entra_secret_free(&f);
    f = pcs_entra_form_client_credentials(&c, "s");
    cr_assert(strstr(f, "grant_type=client_credentials&") && strstr(f, "%2F.default") && strstr(f, "client_secret=s"),
              "%s", f);
    pcs_entra_secret_free(&f);
    cr_assert_null(f);
    f = pcs_entra_form_device_token(&c, "DC");
    cr_assert(strstr(f, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&"), "%s", f);
    pcs_entra_secret_free(&f);
}

Test(entra, secret_files_are_the_users_alone)
{
    char *d = temp_dir(), path[300];
    snprintf(path, sizeof path, "%s/token", d);
    char *s = NULL;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_entra_secret_read(path, &s, &err), PCS_EIO);   /* missing */
    write_file(path, "rt-1\n", 0644);
    cr_assert_eq(pcs_entra_secret_read(path, &s, &err), PCS_EINVAL);
    cr_assert(strstr(err.msg, "mode 644; chmod 600 it"), "%s", err.msg);
    cr_assert_null(s);
    chmod(path, 0640);
    cr_assert_eq(pcs_entra_secret_read(path, &s, &err), PCS_EINVAL);
    chmod(path, 0600);
    cr_assert_eq(pcs_entra_secret_read(path, &s, &err), 0, "%s", err.msg);
    cr_assert_str_eq(s, "rt-1");
    pcs_entra_secret_free(&s);
    /* replaced atomically, 0600, whatever the old mode */
    chmod(path, 0400);
    cr_assert_eq(pcs_entra_secret_write(path, "rt-2", &err), 0, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(pcs_entra_secret_read(path, &s, &err), 0);
    cr_assert_str_eq(s, "rt-2");
    pcs_entra_secret_free(&s);
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_assert_neq(access(tmp, F_OK), 0, "no temporary left");
    /* a directory or a symbolic link is not a secret file */
    char link[320];
    snprintf(link, sizeof link, "%s/link", d);
    cr_assert_eq(symlink(path, link), 0);
    cr_assert_lt(pcs_entra_secret_read(link, &s, &err), 0);
    cr_assert_lt(pcs_entra_secret_read(d, &s, &err), 0);
    unlink(link);
    unlink(path);
    rmdir(d);
    free(d);
}

/* ---- Insights API ------------------------------------------------------------------------------------- */

Test(pcapi, replies_in_either_case)
{
    char id[64];
    cr_assert_eq(pcs_pcapi_find("{\"value\":[{\"queryId\":\"q1\",\"name\":\"other\"},{\"queryId\":\"q2\",\"name\":\"mine\"}]}",
                                "name", "mine", "queryId", id, sizeof id),
                 1);
    cr_assert_str_eq(id, "q2");
    cr_assert_eq(pcs_pcapi_find("{\"Value\":[{\"ReportId\":\"r1\",\"ReportName\":\"n\"}],\"TotalCount\":1}", "reportName",
                                "n", "reportId", id, sizeof id),
                 1);
    cr_assert_str_eq(id, "r1");
    cr_assert_eq(pcs_pcapi_find("{\"value\":[]}", "name", "mine", "queryId", id, sizeof id), 0);
    cr_assert_eq(pcs_pcapi_find("nope", "name", "mine", "queryId", id, sizeof id), PCS_EINVAL);

    char x[64], st[32], *link = NULL;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_pcapi_execution("{\"value\":[{\"executionId\":\"e1\",\"executionStatus\":\"Pending\","
                                     "\"reportAccessSecureLink\":null}]}",
                                     x, sizeof x, st, sizeof st, &link, &err),
                 0);
    cr_assert_str_eq(st, "Pending");
    cr_assert_null(link);
    cr_assert_eq(pcs_pcapi_execution("{\"value\":[{\"ExecutionId\":\"e2\",\"ExecutionStatus\":\"Completed\","
                                     "\"ReportAccessSecureLink\":\"https://x/y?sig=1\"}]}",
                                     x, sizeof x, st, sizeof st, &link, &err),
                 0);
    cr_assert_str_eq(x, "e2");
    cr_assert_str_eq(link, "https://x/y?sig=1");
    free(link);
    cr_assert_eq(pcs_pcapi_execution("{\"value\":[]}", x, sizeof x, st, sizeof st, &link, &err), PCS_EINVAL);
    cr_assert_eq(pcs_pcapi_execution("{\"value\":[{\"executionId\":\"e\"}]}", x, sizeof x, st, sizeof st, &link, &err),
                 PCS_EINVAL);

    char q[2048];
    cr_assert_eq(pcs_pcapi_select(3, NULL, q, sizeof q, &err), 0);
    cr_assert_str_eq(q, "SELECT PGAMpnId,MPNId,TrainingActivityId,TrainingTitle,TrainingType,Email,CorpEmail,MCPID,"
                        "AADUserId,TrainingCompletionDate,ExpirationDate,Month FROM TrainingCompletions");
    /* the dataset's own names (any case, the API's spelling), the columns it lacks left out */
    static const char list[] =
        "{\"value\":[{\"datasetName\":\"OfficeUsage\",\"selectableColumns\":[\"PGAPartnerID\",\"customertenantid\","
        "\"Workload\",\"Month\",\"PaidUnits\",\"ActiveUsers\",\"PartnerAttributionType\",\"Other\"]}]}";
    cr_assert_eq(pcs_pcapi_select(2, list, q, sizeof q, &err), 0, "%s", err.msg);
    cr_assert_str_eq(q, "SELECT PGAPartnerID,customertenantid,Workload,Month,PaidUnits,ActiveUsers,PartnerAttributionType"
                        " FROM OfficeUsage");
    cr_assert_eq(pcs_pcapi_select(1, list, q, sizeof q, &err), PCS_EINVAL);
    cr_assert(strstr(err.msg, "lists no dataset AzureUsage"), "%s", err.msg);
    static const char lacking[] = "{\"value\":[{\"datasetName\":\"OfficeUsage\",\"selectableColumns\":"
                                  "[\"MPNId\",\"CustomerTenantId\",\"WorkloadName\",\"Month\",\"PaidUnits\"]}]}";
    cr_assert_eq(pcs_pcapi_select(2, lacking, q, sizeof q, &err), PCS_EINVAL);
    cr_assert(strstr(err.msg, "offers none of the columns MonthlyActiveUsers|ActiveUsers"), "%s", err.msg);
    static const char nopartner[] = "{\"value\":[{\"datasetName\":\"TrainingCompletions\",\"selectableColumns\":"
                                    "[\"TrainingTitle\",\"TrainingType\",\"TrainingCompletionDate\"]}]}";
    cr_assert_eq(pcs_pcapi_select(3, nopartner, q, sizeof q, &err), PCS_EINVAL);
    cr_assert(strstr(err.msg, "no partner column"), "%s", err.msg);
    cr_assert_eq(pcs_pcapi_select(0, NULL, q, 20, &err), PCS_ELIMIT);
    char *b = pcs_pcapi_body_report("n\"x", "q", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z");
    cr_assert_str_eq(b, "{\"ReportName\":\"n\\\"x\",\"Description\":\"pcs-pull: one execution, downloaded into the pcs "
                        "spool\",\"QueryId\":\"q\",\"ExecuteNow\":true,\"QueryStartTime\":\"2026-01-01T00:00:00Z\","
                        "\"QueryEndTime\":\"2026-02-01T00:00:00Z\",\"Format\":\"csv\"}");
    free(b);
}

Test(http, urls_that_may_carry_a_token)
{
    cr_assert(pcs_http_url_safe("https://login.microsoftonline.com/x"));
    cr_assert(pcs_http_url_safe("http://127.0.0.1:8080/x"));
    cr_assert(pcs_http_url_safe("http://localhost/x"));
    cr_assert(!pcs_http_url_safe("http://127.0.0.1.evil.example/x"));
    cr_assert(!pcs_http_url_safe("http://login.microsoftonline.com/x"));
    cr_assert(!pcs_http_url_safe("file:///etc/passwd"));
    cr_assert(!pcs_http_url_safe(NULL));
    char *e = pcs_http_escape("a b&c=d/é~");
    cr_assert_str_eq(e, "a%20b%26c%3Dd%2F%C3%A9~");
    free(e);
}

/* ---- pcs_http against a socket on 127.0.0.1 ---------------------------------------------------------------- */

typedef struct server {
    int fd;
    const char *reply;   /* written as is, then the connection is closed */
} server_t;

static void *serve_one(void *arg)
{
    server_t *s = arg;
    int c = accept(s->fd, NULL, NULL);
    char buf[4096];
    ssize_t n = read(c, buf, sizeof buf);
    (void)n;
    ssize_t w = write(c, s->reply, strlen(s->reply));
    (void)w;
    close(c);
    return NULL;
}

static int listen_local(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 4), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

typedef struct got {
    int calls;
    long status, retry_after;
    int curl_code;
    long long bytes;
    char body[256];
} got_t;

static void on_resp(void *arg, const pcs_http_resp_t *r)
{
    got_t *g = arg;
    g->calls++;
    g->status = r->status;
    g->retry_after = r->retry_after_s;
    g->curl_code = r->curl_code;
    g->bytes = r->bytes;
    snprintf(g->body, sizeof g->body, "%s", r->body ? r->body : "");
}

static got_t fetch(const char *reply, int out_fd)
{
    int port;
    server_t s = {listen_local(&port), reply};
    pthread_t th;
    pthread_create(&th, NULL, serve_one, &s);
    uv_loop_t loop;
    uv_loop_init(&loop);
    pcs_curl_uv_t *h = pcs_curl_uv_new(&loop);
    char url[100];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
    got_t g = {0};
    pcs_http_req_t req = {.method = "GET", .url = url, .out_fd = out_fd, .max_body = 1 << 16, .timeout_ms = 10000};
    cr_assert_eq(pcs_http_start(h, &req, on_resp, &g), 0);
    uv_run(&loop, UV_RUN_DEFAULT);   /* returns once the request ended and curl has no socket */
    pcs_curl_uv_destroy(&h);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0, "every handle closed");
    pthread_join(th, NULL);
    close(s.fd);
    cr_assert_eq(g.calls, 1, "one callback per request");
    return g;
}

Test(http, retry_after_cut_bodies_and_files)
{
    got_t g = fetch("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}", -1);
    cr_assert_eq(g.status, 429);
    cr_assert_eq(g.retry_after, 7);
    cr_assert_str_eq(g.body, "{}");
    g = fetch("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", -1);
    cr_assert_neq(g.curl_code, 0, "a body shorter than its Content-Length is an error");
    cr_assert_eq(g.bytes, 4);
    char *d = temp_dir(), path[300];
    snprintf(path, sizeof path, "%s/out.csv", d);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    g = fetch("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\na,b\n1\n", fd);
    close(fd);
    cr_assert_eq(g.curl_code, 0);
    cr_assert_eq(g.retry_after, -1);
    cr_assert_eq(g.bytes, 6);
    cr_assert_str_eq(g.body, "", "a file download keeps nothing in memory");
    FILE *f = fopen(path, "r");
    char buf[16] = "";
    cr_assert_eq(fread(buf, 1, sizeof buf, f), 6);
    fclose(f);
    cr_assert_str_eq(buf, "a,b\n1\n");
    unlink(path);
    rmdir(d);
    free(d);
}
