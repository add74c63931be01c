/* pcs_stack: the commands that talk to the stack's plumbing: rejects (the read model), send
 * (ZeroMQ to pcs-ingest) and watch (what a daemon sends). */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "pcs_cli.h"
#include "pcs_curve.h"
#include "pcs_text.h"

int pcs_cmd_rejects(pcs_args_t *a)
{
    pcs_store_t *st = pcs_cli_store(a);
    if (!st)
        return 1;
    pcs_err_t err = {0};
    const char *file = pcs_args_str(a, "file");
    json_t *arr = pcs_store_rejects(st, file, pcs_args_long(a, "limit", 1000), &err);
    pcs_store_destroy(&st);
    if (!arr)
        return pcs_cli_err(&err);
    int rc = 0;
    size_t i;
    json_t *r;
    if (pcs_args_flag(a, "json")) {
        char *s = json_dumps(arr, JSON_COMPACT);
        printf("%s\n", s ? s : "[]");
        free(s);
    } else if (pcs_args_flag(a, "csv")) {
        static const char *const cols[] = {"file", "line", "column", "reason", "raw", "created"};
        pcs_table_t *t = pcs_table_new(cols, 6);
        json_array_foreach(arr, i, r) {
            char b1[32], b2[32];
            snprintf(b1, sizeof b1, "%lld", (long long)json_integer_value(json_object_get(r, "line")));
            snprintf(b2, sizeof b2, "%lld", (long long)json_integer_value(json_object_get(r, "column")));
            const char *f[6] = {json_string_value(json_object_get(r, "file")), b1, b2,
                                json_string_value(json_object_get(r, "reason")), json_string_value(json_object_get(r, "raw")),
                                json_string_value(json_object_get(r, "created"))};
            for (int k = 0; k < 6; k++)
                pcs_table_cell(t, f[k] ? f[k] : "", NULL);
        }
        pcs_table_csv(t, stdout);
        pcs_table_destroy(&t);
    } else if (json_array_size(arr) == 0) {
        printf("no rejected rows%s%s\n", file ? " for " : "", file ? file : "");
    } else {
        json_array_foreach(arr, i, r) {
            /* file:line:column: reason, then the row as it was, like a compiler; what came from a
             * feed is escaped (pcs_text.h), so a control character never reaches the terminal */
            const char *f = json_string_value(json_object_get(r, "file")), *why = json_string_value(json_object_get(r, "reason"));
            const char *raw = json_string_value(json_object_get(r, "raw"));
            char fe[1024], we[2048], re[201];
            pcs_text_escape(f ? f : "", f ? strlen(f) : 0, fe, sizeof fe);
            pcs_text_escape(why ? why : "", why ? strlen(why) : 0, we, sizeof we);
            pcs_text_escape(raw ? raw : "", raw ? strlen(raw) : 0, re, sizeof re);
            printf("%s:%lld:%lld: %s\n    %s\n", fe, (long long)json_integer_value(json_object_get(r, "line")),
                   (long long)json_integer_value(json_object_get(r, "column")), we, re);
        }
    }
    json_decref(arr);
    return fflush(stdout) == 0 ? rc : 1;
}

int pcs_cmd_send(pcs_args_t *a)
{
    const char *file = a->pos[0];
    const char *endpoint = pcs_args_str(a, "endpoint");
    if (!endpoint)
        endpoint = getenv("PCS_INTAKE");
    if (!endpoint)
        endpoint = "tcp://127.0.0.1:5601";
    int timeout = (int)pcs_args_long(a, "timeout-ms", 2000), retries = (int)pcs_args_long(a, "retries", 5);
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
    const char *pub = pcs_args_str(a, "pub");
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
        if (pcs_cli_request(ctx, endpoint, "ingest", line, (size_t)n, timeout, retries, reply, sizeof reply) == 0) {
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
    if (pcs_args_flag(a, "json")) {
        json_t *j = json_pack("{s:I, s:I}", "accepted", (json_int_t)sent, "not_accepted", (json_int_t)refused);
        pcs_cli_print_json(j);
        json_decref(j);
    } else
        printf("pcs: send: %ld accepted, %ld not accepted\n", sent, refused);
    return refused ? 1 : 0;
}

int pcs_cmd_watch(pcs_args_t *a)
{
    const char *endpoint = a->pos[0];
    bool sub = pcs_args_flag(a, "sub"), json = pcs_args_flag(a, "json");
    long count = pcs_args_long(a, "count", -1);
    int timeout = (int)pcs_args_long(a, "timeout-ms", -1);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, sub ? ZMQ_SUB : ZMQ_PULL);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (sub)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    int rc = 0;
    char why[600];
    if (pcs_cli_curve(s, sub ? "scorer" : "ingest", why, sizeof why) < 0) {
        fprintf(stderr, "pcs: watch: %s\n", why);
        rc = 1;
    } else if (zmq_connect(s, endpoint) < 0) {
        fprintf(stderr, "pcs: watch: cannot connect to %s: %s\n", endpoint, zmq_strerror(errno));
        rc = 1;
    }
    /* one message per line; a multi-frame message (topic + body) prints its frames separated by a space */
    for (long n = 0; rc == 0 && (count < 0 || n < count); n++) {
        int more = 1;
        json_t *frames = json_array();
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, 0) < 0) {
                zmq_msg_close(&m);
                fprintf(stderr, "pcs: watch: %s\n", errno == EAGAIN ? "timed out" : zmq_strerror(errno));
                rc = 1;
                break;
            }
            json_array_append_new(frames, json_stringn_nocheck((const char *)zmq_msg_data(&m), zmq_msg_size(&m)));
            if (!json)
                printf("%s%.*s", json_array_size(frames) > 1 ? " " : "", (int)zmq_msg_size(&m),
                       (const char *)zmq_msg_data(&m));
            more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        if (rc == 0 && json) {
            json_t *o = json_pack("{s:O}", "frames", frames);
            char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
            puts(t ? t : "{}");
            free(t);
            json_decref(o);
        } else if (rc == 0) {
            putchar('\n');
        }
        fflush(stdout);
        json_decref(frames);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}

int pcs_cmd_keys(pcs_args_t *a)
{
    static const char *const parties[] = {"ingest", "scorer", "notifier", "pcs"};
    for (size_t i = 0; i < sizeof parties / sizeof *parties; i++) {
        pcs_err_t err = {0};
        bool created;
        if (pcs_curve_keygen(a->pos[0], parties[i], &created, &err) < 0)
            return pcs_cli_err(&err);
        printf("%s/%s.key %s\n", a->pos[0], parties[i], created ? "created" : "kept");
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
