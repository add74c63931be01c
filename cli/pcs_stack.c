/* pcs_stack: the commands that talk to a running stack: rejects (database), send (ZeroMQ). */
#include "pcs_stack.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "pcs_db.h"
#include "pcs_envelope.h"

static int usage(const char *msg)
{
    fprintf(stderr, "pcs: %s\n", msg);
    return 2;
}

/* Values of --opt X in argv (the last one wins); NULL when absent. */
const char *pcs_cli_opt(int argc, char **argv, const char *name)
{
    const char *v = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            v = argv[i + 1];
    return v;
}

bool pcs_cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

const char *pcs_cli_conninfo(int argc, char **argv)
{
    const char *v = pcs_cli_opt(argc, argv, "--db");
    if (!v)
        v = getenv("PCS_DB");
    return v ? v : "";
}

int pcs_cmd_rejects(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--file") == 0 || strcmp(argv[i], "--db") == 0 || strcmp(argv[i], "--limit") == 0)
            i++;
        else if (strcmp(argv[i], "--json") != 0)
            return usage("rejects: usage: pcs rejects [--file NAME] [--limit N] [--json] [--db CONNINFO]");
    }
    const char *file = pcs_cli_opt(argc, argv, "--file"), *limit = pcs_cli_opt(argc, argv, "--limit");
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(pcs_cli_conninfo(argc, argv), &err);
    if (!db) {
        fprintf(stderr, "pcs: rejects: %s\n", err.msg);
        return 1;
    }
    const char *params[2] = {file, limit ? limit : "1000"};
    PGresult *r = PQexecParams(db,
                               "SELECT file_name, coalesce(line, 0), coalesce(col, 0), reason, raw,"
                               " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                               " FROM rejected_rows WHERE ($1::text IS NULL OR file_name = $1)"
                               " ORDER BY reject_id DESC LIMIT $2::bigint",
                               2, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pcs: rejects: %s", PQresultErrorMessage(r));
        rc = 1;
    } else if (pcs_cli_flag(argc, argv, "--json")) {
        json_t *arr = json_array();
        for (int i = 0; i < PQntuples(r); i++)
            json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "file", PQgetvalue(r, i, 0), "line",
                                                 (json_int_t)atoll(PQgetvalue(r, i, 1)), "column",
                                                 (json_int_t)atoll(PQgetvalue(r, i, 2)), "reason", PQgetvalue(r, i, 3),
                                                 "raw", PQgetvalue(r, i, 4), "created", PQgetvalue(r, i, 5)));
        char *s = json_dumps(arr, JSON_COMPACT);
        printf("%s\n", s ? s : "[]");
        free(s);
        json_decref(arr);
    } else if (PQntuples(r) == 0) {
        printf("no rejected rows%s%s\n", file ? " for " : "", file ? file : "");
    } else {
        for (int i = 0; i < PQntuples(r); i++) {
            /* file:line:column: reason, then the row as it was, like a compiler */
            printf("%s:%s:%s: %s\n    %.200s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                   PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
        }
    }
    PQclear(r);
    PQfinish(db);
    return rc;
}

/* Sends one message and waits for the reply, retrying on a fresh socket after a timeout
 * (a REQ socket cannot resend on its own). Returns 0 when acknowledged, 1 when refused. */
int pcs_cli_request(void *ctx, const char *endpoint, const char *msg, size_t len, int timeout_ms, int retries,
                    char *reply, size_t rsize)
{
    for (int attempt = 0; attempt <= retries; attempt++) {
        void *s = zmq_socket(ctx, ZMQ_REQ);
        int zero = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
        zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
        if (zmq_connect(s, endpoint) < 0) {
            zmq_close(s);
            snprintf(reply, rsize, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
            return 1;
        }
        int n = -1;
        if (zmq_send(s, msg, len, 0) >= 0)
            n = zmq_recv(s, reply, rsize - 1, 0);
        zmq_close(s);
        if (n >= 0) {
            reply[(size_t)n < rsize - 1 ? (size_t)n : rsize - 1] = '\0';
            json_t *j = json_loads(reply, 0, NULL);
            bool ok = j && json_is_true(json_object_get(j, "ok"));
            json_decref(j);
            if (ok)
                return 0;
            if (strstr(reply, "retry") == NULL)
                return 1;   /* refused for its content: retrying cannot help */
        }
        if (attempt < retries)
            zmq_sleep(0);
    }
    if (!reply[0])
        snprintf(reply, rsize, "no reply after %d attempts", retries + 1);
    return 1;
}

int pcs_cmd_send(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--endpoint") == 0 || strcmp(argv[i], "--timeout-ms") == 0 ||
            strcmp(argv[i], "--retries") == 0 || strcmp(argv[i], "--pub") == 0)
            i++;
        else if ((argv[i][0] != '-' || strcmp(argv[i], "-") == 0) && !file)
            file = argv[i];
        else
            return usage("send: usage: pcs send FILE.jsonl [--endpoint tcp://127.0.0.1:5601] [--timeout-ms N] [--retries N]"
                         " | pcs send FILE --pub ENDPOINT");
    }
    if (!file)
        return usage("send: missing FILE.jsonl");
    const char *endpoint = pcs_cli_opt(argc, argv, "--endpoint");
    if (!endpoint)
        endpoint = getenv("PCS_INTAKE");
    if (!endpoint)
        endpoint = "tcp://127.0.0.1:5601";
    const char *t = pcs_cli_opt(argc, argv, "--timeout-ms"), *rt = pcs_cli_opt(argc, argv, "--retries");
    int timeout = t ? atoi(t) : 2000, retries = rt ? atoi(rt) : 5;
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!f) {
        fprintf(stderr, "pcs: %s: cannot open: %s\n", file, strerror(errno));
        return 2;
    }
    void *ctx = zmq_ctx_new();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long ln = 0, sent = 0, refused = 0;
    const char *pub = pcs_cli_opt(argc, argv, "--pub");
    if (pub) {
        /* publish each line as it is (topic score.updated, then the line), as pcs-scorer does:
         * for testing a subscriber with any bytes */
        void *s = zmq_socket(ctx, ZMQ_PUB);
        int zero = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_bind(s, pub) < 0) {
            fprintf(stderr, "pcs: cannot bind %s: %s\n", pub, zmq_strerror(errno));
            refused = 1;
        } else {
            zmq_sleep(1);   /* subscribers connect and subscribe */
            while ((n = getline(&line, &cap, f)) != -1) {
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                    line[--n] = '\0';
                zmq_send(s, "score.updated", 13, ZMQ_SNDMORE);
                zmq_send(s, line, (size_t)n, 0);
                sent++;
            }
            zmq_sleep(1);
        }
        zmq_close(s);
        free(line);
        if (f != stdin)
            fclose(f);
        zmq_ctx_term(ctx);
        printf("pcs: send: %ld published\n", sent);
        return refused ? 1 : 0;
    }
    while ((n = getline(&line, &cap, f)) != -1) {
        ln++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        char reply[1024] = "";
        if (pcs_cli_request(ctx, endpoint, line, (size_t)n, timeout, retries, reply, sizeof reply) == 0) {
            sent++;
        } else {
            refused++;
            fprintf(stderr, "pcs: %s:%ld: not accepted: %s\n", file, ln, reply);
        }
    }
    free(line);
    if (f != stdin)
        fclose(f);
    zmq_ctx_term(ctx);
    printf("pcs: send: %ld accepted, %ld not accepted\n", sent, refused);
    return refused ? 1 : 0;
}

int pcs_cmd_watch(int argc, char **argv)
{
    const char *endpoint = NULL;
    bool sub = pcs_cli_flag(argc, argv, "--sub");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--count") == 0 || strcmp(argv[i], "--timeout-ms") == 0)
            i++;
        else if (strcmp(argv[i], "--sub") == 0)
            continue;
        else if (argv[i][0] != '-' && !endpoint)
            endpoint = argv[i];
        else
            return usage("watch: usage: pcs watch ENDPOINT [--sub] [--count N] [--timeout-ms N]");
    }
    if (!endpoint)
        return usage("watch: missing ENDPOINT (e.g. the push_endpoint of pcs-ingest)");
    const char *c = pcs_cli_opt(argc, argv, "--count"), *t = pcs_cli_opt(argc, argv, "--timeout-ms");
    long count = c ? atol(c) : -1;
    int timeout = t ? atoi(t) : -1;
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, sub ? ZMQ_SUB : ZMQ_PULL);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (sub)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    int rc = 0;
    if (zmq_connect(s, endpoint) < 0) {
        fprintf(stderr, "pcs: watch: cannot connect to %s: %s\n", endpoint, zmq_strerror(errno));
        rc = 1;
    }
    /* one message per line; a multi-frame message (topic + body) prints its frames separated by a space */
    for (long n = 0; rc == 0 && (count < 0 || n < count); n++) {
        int more = 1;
        bool first = true;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, 0) < 0) {
                zmq_msg_close(&m);
                fprintf(stderr, "pcs: watch: %s\n", errno == EAGAIN ? "timed out" : zmq_strerror(errno));
                rc = 1;
                break;
            }
            printf("%s%.*s", first ? "" : " ", (int)zmq_msg_size(&m), (const char *)zmq_msg_data(&m));
            first = false;
            more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        if (rc == 0) {
            putchar('\n');
            fflush(stdout);
        }
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}
