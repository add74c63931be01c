/* pcs_scores: the scorer's commands (refresh, rescore, scorer-status over its control socket) and the
 * scores people read (show, history, alerts, partners), all through the read model. */
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "pcs_cli.h"
#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_insight.h"
#include "pcs_words.h"

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

/* One control request; NULL after printing why (*rc = 1). */
static json_t *control(pcs_args_t *a, json_t *req, int *rc)
{
    char *msg = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char reply[65536] = "";
    void *ctx = zmq_ctx_new();
    const char *ep = pcs_cli_scorer(a);
    int r = msg ? pcs_cli_request(ctx, ep, "scorer", msg, strlen(msg), 5000, 0, reply, sizeof reply) : 1;
    zmq_ctx_term(ctx);
    free(msg);
    json_t *j = json_loads(reply, 0, NULL);
    if (r != 0 || !j) {
        const char *why = j ? json_string_value(json_object_get(j, "error")) : NULL;
        fprintf(stderr, "pcs: scorer at %s: %s\n", ep, why ? why : reply[0] ? reply : "no reply (is pcs-scorer running?)");
        json_decref(j);
        *rc = 1;
        return NULL;
    }
    return j;
}

/* Takes the notifications libpq holds; whether there were any. */
static bool drain_notifies(PGconn *db)
{
    bool any = false;
    PGnotify *n;
    PQconsumeInput(db);
    while ((n = PQnotifies(db))) {
        any = true;
        PQfreemem(n);
    }
    return any;
}

/* Waits up to ms for a notification on db (LISTENed to), or for the time to pass. One that came
 * with the last query's result ends the wait at once. */
static void wait_notify(PGconn *db, int ms)
{
    if (drain_notifies(db))
        return;
    struct pollfd pf = {.fd = PQsocket(db), .events = POLLIN};
    if (pf.fd >= 0 && poll(&pf, 1, ms) > 0)
        drain_notifies(db);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pcs_cmd_refresh(pcs_args_t *a)
{
    int rc = 0;
    bool json = pcs_args_flag(a, "json");
    double timeout = (double)pcs_args_long(a, "timeout", 3600);
    json_t *req = json_pack("{s:s}", "cmd", "refresh");
    if (pcs_args_str(a, "as-of"))
        json_object_set_new(req, "as_of", json_string(pcs_args_str(a, "as-of")));
    double t0 = now_s();
    json_t *rep = control(a, req, &rc);
    if (!rep)
        return rc;
    long long run = (long long)json_integer_value(json_object_get(rep, "run_id"));
    long long slices = (long long)json_integer_value(json_object_get(rep, "slices"));
    char as_of[16];
    snprintf(as_of, sizeof as_of, "%s", str(rep, "as_of"));
    json_decref(rep);
    if (!json)
        printf("refresh %lld as of %s: %lld slice%s\n", run, as_of, slices, slices == 1 ? "" : "s");
    json_t *out = json_pack("{s:I, s:s, s:I}", "run_id", (json_int_t)run, "as_of", as_of, "slices", (json_int_t)slices);
    if (pcs_args_flag(a, "wait")) {
        fflush(stdout);
        pcs_err_t err = {0};
        PGconn *db = pcs_db_connect(pcs_cli_conninfo(a), &err);
        if (!db) {
            json_decref(out);
            return pcs_cli_fail(1, "%s", err.msg);
        }
        char rid[32];
        snprintf(rid, sizeof rid, "%lld", run);
        const char *p[1] = {rid};
        /* the partners to score, counted once for the progress line: counting them at every poll
         * cost 5 ms of the server's CPU per poll at 100,000 partners, taken from the refresh. Woken
         * by the notification of every results write and of the run's end (pcs_alert_queue, 0005),
         * so the wait ends when the refresh does; read at least every 100 ms in any case. */
        long total = -1;
        bool listening = false;
        for (;;) {
            PGresult *r;
            if (!listening)
                listening = pcs_db_query(db, "LISTEN pcs_alert_queue", 0, NULL, NULL, NULL) == 0;
            if (total < 0 && pcs_db_query(db, "SELECT count(*) FROM partners", 0, NULL, &r, &err) == 0) {
                total = atol(PQgetvalue(r, 0, 0));
                PQclear(r);
            }
            if (pcs_db_query(db,
                             "SELECT finished_at IS NOT NULL, coalesce(partners, 0),"
                             " (SELECT coalesce(sum(partners_done), 0) FROM refresh_slices WHERE run_id = $1)"
                             " FROM refresh_runs WHERE run_id = $1",
                             1, p, &r, &err) < 0) {
                if (PQstatus(db) == CONNECTION_OK) {   /* it answered: this is not the scorer's database */
                    PQfinish(db);
                    json_decref(out);
                    return pcs_cli_fail(1, "refresh %lld: cannot read its progress: %s (is --db or PCS_DB the scorer's database?)",
                                        run, err.msg);
                }
                PQreset(db);   /* the database may be restarting: keep waiting */
                listening = false;
            } else if (PQntuples(r) == 0) {
                /* the scorer stores the run before it answers: it is in the scorer's database */
                PQclear(r);
                PQfinish(db);
                json_decref(out);
                return pcs_cli_fail(1, "refresh %lld is not in this database (is --db or PCS_DB the scorer's database?)", run);
            } else {
                bool done = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
                if (PQntuples(r) == 1)
                    pcs_cli_progress("scored", atol(PQgetvalue(r, 0, 2)), total > 0 ? total : 0, done);
                if (done) {
                    long long n = atoll(PQgetvalue(r, 0, 1));
                    double secs = now_s() - t0;
                    if (!json)
                        printf("refresh %lld done: %lld partners scored in %.1f s\n", run, n, secs);
                    json_object_set_new(out, "partners", json_integer(n));
                    json_object_set_new(out, "seconds", json_real(round(secs * 10) / 10));
                    PQclear(r);
                    break;
                }
                PQclear(r);
            }
            if (now_s() - t0 > timeout) {
                PQfinish(db);
                json_decref(out);
                return pcs_cli_fail(1, "refresh %lld not finished after %.0f s", run, timeout);
            }
            if (listening)
                wait_notify(db, 100);
            else
                nanosleep(&(struct timespec){0, 100000000}, NULL);
        }
        PQfinish(db);
    }
    if (json)
        rc = pcs_cli_print_json(out);
    json_decref(out);
    return rc;
}

int pcs_cmd_rescore(pcs_args_t *a)
{
    int rc = 0;
    json_t *rep = control(a, json_pack("{s:s, s:s}", "cmd", "rescore", "partner_id", a->pos[0]), &rc);
    if (!rep)
        return rc;
    if (pcs_args_flag(a, "json")) {
        json_t *o = json_pack("{s:s, s:O}", "partner_id", a->pos[0], "outbox_id", json_object_get(rep, "outbox_id"));
        rc = pcs_cli_print_json(o);
        json_decref(o);
    } else {
        printf("rescore of %s queued (outbox %lld)\n", a->pos[0], (long long)json_integer_value(json_object_get(rep, "outbox_id")));
    }
    json_decref(rep);
    return rc;
}

int pcs_cmd_scorer_status(pcs_args_t *a)
{
    int rc = 0;
    json_t *rep = control(a, json_pack("{s:s}", "cmd", "status"), &rc);
    if (!rep)
        return rc;
    if (pcs_args_flag(a, "json")) {
        rc = pcs_cli_print_json(rep);
    } else {
        static const char *const cols[] = {"key:What", "value:Value"};
        pcs_table_t *t = pcs_table_new(cols, 2);
        const char *k;
        json_t *v;
        json_object_foreach(rep, k, v) {
            char *s = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            pcs_table_cell(t, k, NULL);
            pcs_table_cell(t, s ? s : "", NULL);
            free(s);
        }
        if (pcs_args_flag(a, "csv"))
            pcs_table_csv(t, stdout);
        else
            pcs_table_print(t, stdout, 0);
        pcs_table_destroy(&t);
    }
    json_decref(rep);
    return rc;
}

/* ---- show: the scorecard ----------------------------------------------------------------------------- */

typedef struct card {
    bool colour;
    const pcs_rules_t *rules;
    json_t *skilling;           /* pcs_insight_skilling of the day, for what each step misses (or NULL) */
} card_t;

static const char *c_on(const card_t *c, const char *code)
{
    return c->colour ? code : "";
}

/* What keeps a metric below its maximum, in words; "" when at its maximum. */
static void metric_reason(const card_t *c, const json_t *area, const json_t *m, const json_t *tm, char *buf, size_t n)
{
    buf[0] = '\0';
    const char *metric = str(m, "metric");
    if (json_is_string(json_object_get(tm, "prerequisite_failed"))) {
        snprintf(buf, n, "prerequisite not met: %s", pcs_words_prerequisite(str(tm, "prerequisite_failed")));
        return;
    }
    if (num(m, "points") >= num(m, "max") - 0.005)
        return;
    size_t i;
    json_t *s;
    json_array_foreach(c->skilling, i, s) {
        if (!strcmp(str(s, "area"), str(area, "area")) && !strcmp(str(s, "metric"), metric) &&
            json_is_string(json_object_get(s, "missing"))) {
            snprintf(buf, n, "%s", str(s, "missing"));
            return;
        }
    }
    double full = pcs_words_full_at(c->rules, str(area, "area"), str(area, "track"), metric, NULL);
    if (full > 0) {
        char v[64];
        snprintf(buf, n, "full points at %s",
                 pcs_words_amount(full, pcs_words_unit(c->rules, str(area, "area"), str(area, "track"), metric, NULL), v,
                                  sizeof v));
    }
}

/* The first cells of a CSV row of the scorecard: the area's and the metric's ids. */
static void csv_prefix(pcs_table_t *t, const json_t *area, const char *metric)
{
    char b[32];
    pcs_table_cell(t, str(area, "area"), NULL);
    pcs_table_cell(t, str(area, "track"), NULL);
    pcs_table_cell(t, pcs_cli_plain(num(area, "score"), b, sizeof b), NULL);
    pcs_table_cell(t, json_is_true(json_object_get(area, "qualified")) ? "true" : "false", NULL);
    pcs_table_cell(t, str(area, "status"), NULL);
    pcs_table_cell(t, metric, NULL);
}

/* The rows of one area: per metric its value with the unit (parts apart), points and reason. */
static void area_rows(const card_t *c, const json_t *area, pcs_table_t *t, bool csv)
{
    json_t *sel = NULL, *x;
    size_t i, k;
    json_array_foreach(json_object_get(area, "tracks"), i, x) {
        if (!strcmp(str(x, "track"), str(area, "track")))
            sel = x;
    }
    json_t *m;
    json_array_foreach(json_object_get(area, "metrics"), i, m) {
        const char *metric = str(m, "metric");
        json_t *tm = NULL;
        json_array_foreach(json_object_get(sel, "metrics"), k, x) {
            if (!strcmp(str(x, "metric"), metric))
                tm = x;
        }
        const char *unit = pcs_words_unit(c->rules, str(area, "area"), str(area, "track"), metric, NULL);
        char reason[1024], pts[64], v[64], p1[32], p2[32];
        metric_reason(c, area, m, tm, reason, sizeof reason);
        snprintf(pts, sizeof pts, "%s of %s", pcs_words_points(num(m, "points"), p1, sizeof p1),
                 pcs_words_number(num(m, "max"), 2, p2, sizeof p2));
        if (csv) {
            csv_prefix(t, area, metric);
            pcs_table_cell(t, "", NULL);
            pcs_table_cell(t, pcs_cli_plain(num(m, "value"), v, sizeof v), NULL);
            pcs_table_cell(t, unit, NULL);
            pcs_table_cell(t, pcs_cli_plain(num(m, "points"), p1, sizeof p1), NULL);
            pcs_table_cell(t, pcs_cli_plain(num(m, "max"), p2, sizeof p2), NULL);
            pcs_table_cell(t, reason, NULL);
        } else {
            pcs_table_cell(t, pcs_words_metric(metric), NULL);
            pcs_table_cell(t, *unit ? pcs_words_amount(num(m, "value"), unit, v, sizeof v) : "(parts below)", NULL);
            pcs_table_cell(t, pts, NULL);
            pcs_table_cell(t, reason, NULL);
        }
        /* parts and options: each with its own unit */
        const char *subs_key = json_object_get(tm, "parts") ? "parts" : "options";
        json_t *sub;
        json_array_foreach(json_object_get(tm, subs_key), k, sub) {
            const char *su = pcs_words_unit(c->rules, str(area, "area"), str(area, "track"), metric, str(sub, "name"));
            bool winner = !strcmp(subs_key, "options") && !strcmp(str(tm, "winner"), str(sub, "name"));
            if (csv) {
                csv_prefix(t, area, metric);
                pcs_table_cell(t, str(sub, "name"), NULL);
                pcs_table_cell(t, pcs_cli_plain(num(sub, "units"), v, sizeof v), NULL);
                pcs_table_cell(t, su, NULL);
                pcs_table_cell(t, pcs_cli_plain(num(sub, "points"), p1, sizeof p1), NULL);
                pcs_table_cell(t, "", NULL);
                pcs_table_cell(t, json_is_string(json_object_get(sub, "prerequisite_failed")) ? str(sub, "prerequisite_failed") : "", NULL);
            } else {
                pcs_table_cellf(t, NULL, "  %s %s%s", !strcmp(subs_key, "parts") ? "part" : "option", str(sub, "name"),
                                winner ? " (best)" : "");
                pcs_table_cell(t, pcs_words_amount(num(sub, "units"), su, v, sizeof v), NULL);
                pcs_table_cellf(t, NULL, "%s", pcs_words_points(num(sub, "points"), p1, sizeof p1));
                pcs_table_cellf(t, NULL, "%s%s", json_is_string(json_object_get(sub, "prerequisite_failed")) ? "prerequisite not met: " : "",
                                json_is_string(json_object_get(sub, "prerequisite_failed"))
                                    ? pcs_words_prerequisite(str(sub, "prerequisite_failed")) : "");
            }
        }
    }
}

static const char *const card_csv_cols[] = {"area", "track", "score", "qualified", "status", "metric", "part",
                                            "value", "unit", "points", "max", "reason"};

static void scorecard(const card_t *c, const json_t *doc)
{
    const char *reset = c_on(c, "\033[0m"), *bold = c_on(c, "\033[1m"), *dim = c_on(c, "\033[2m");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "areas"), i, a) {
        double score = num(a, "score");
        bool q = json_is_true(json_object_get(a, "qualified"));
        const char *col = c_on(c, q ? "\033[32m" : score >= 50 ? "\033[33m" : "\033[31m");
        char bar[64], sc[32];
        int filled = (int)(score / 100.0 * 40 + 0.5), mark = 28;   /* 70 of 100 on a 40-wide bar */
        for (int k = 0; k < 40; k++)
            bar[k] = k < filled ? '#' : k == mark ? '|' : '.';
        bar[40] = '\0';
        printf("%s%s%s  %s track  %s%s%s  %s%s of 100%s  %s%s%s\n", bold, pcs_words_area(str(a, "area")), reset,
               pcs_words_track(str(a, "track")), col, bar, reset, col, pcs_words_points(score, sc, sizeof sc), reset,
               bold, pcs_words_status(str(a, "status")), reset);
        static const char *const cols[] = {"metric:Metric", ">value:Value", ">points:Points", "reason:What is missing"};
        pcs_table_t *t = pcs_table_new(cols, 4);
        area_rows(c, a, t, false);
        pcs_table_print(t, stdout, 4);
        pcs_table_destroy(&t);
        if (!q) {
            /* why not qualified, in words */
            char why[1024];
            size_t n = 0;
            why[0] = '\0';
            if (score < 70 - 1e-9)
                n += (size_t)snprintf(why, sizeof why, "%s points short of 70", pcs_words_points(70 - score, sc, sizeof sc));
            size_t k;
            json_t *m;
            json_array_foreach(json_object_get(a, "metrics"), k, m) {
                if (num(m, "points") <= 1e-9 && n < sizeof why - 1)
                    n += (size_t)snprintf(why + n, sizeof why - n, "%s%s is at zero (every metric needs points)", n ? "; " : "",
                                          pcs_words_metric(str(m, "metric")));
            }
            printf("    %sNot qualified:%s %s\n", c_on(c, "\033[31m"), reset, why);
        }
        /* what the engine says is at risk, in words */
        size_t e;
        json_t *ev;
        json_array_foreach(json_object_get(a, "events"), e, ev) {
            if (!strcmp(str(ev, "severity"), "info"))
                continue;
            char *text = pcs_insight_event_text(c->rules, ev);
            printf("    %sAt risk:%s %s\n", c_on(c, "\033[33m"), reset, text ? text : "");
            free(text);
        }
        json_t *alt = json_array_get(json_object_get(a, "alternatives"), 0);
        if (alt)
            printf("    %s%s track: %s%s%s\n", dim, pcs_words_track(str(alt, "track")),
                   pcs_words_points(num(alt, "score"), sc, sizeof sc),
                   json_is_true(json_object_get(alt, "qualified")) ? ", qualifies" : "", reset);
        if (json_is_string(json_object_get(a, "anniversary")))
            printf("    %sEnrolled, anniversary %s%s\n", dim, str(a, "anniversary"), reset);
        putchar('\n');
    }
}

int pcs_cmd_show(pcs_args_t *a)
{
    int rc = 0;
    const char *how;
    int32_t day = pcs_cli_today(a, &how);
    pcs_rules_t *rules = pcs_cli_rules(a, &rc);
    if (!rules)
        return rc;
    pcs_store_t *st = pcs_cli_store(a);
    char *text = NULL;
    bool stored = false;
    json_t *doc = NULL;
    card_t c = {.colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR"), .rules = rules};
    pcs_err_t err = {0};
    if (!st) {
        rc = 1;
        goto out;
    }
    if (pcs_insight_result(st, rules, a->pos[0], day, &text, &stored, &err) < 0) {
        rc = pcs_cli_err(&err);
        goto out;
    }
    if (pcs_args_flag(a, "json")) {
        puts(text);
        goto out;
    }
    if (!(doc = json_loads(text, 0, NULL))) {
        rc = 1;
        goto out;
    }
    /* the reasons of the skilling metrics come from the engine's explanation of the same day */
    pcs_insight_t *in = pcs_insight_open(st, rules, a->pos[0], day, -1, &err);
    c.skilling = in ? pcs_insight_skilling(in, &err) : NULL;
    pcs_insight_destroy(&in);
    if (pcs_args_flag(a, "csv")) {
        pcs_table_t *t = pcs_table_new(card_csv_cols, 12);
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(doc, "areas"), i, x) area_rows(&c, x, t, true);
        pcs_table_csv(t, stdout);
        pcs_table_destroy(&t);
        goto out;
    }
    char d[11];
    printf("%sPartner %s%s   as of %s (%s)   %s\n", c_on(&c, "\033[1m"), a->pos[0], c_on(&c, "\033[0m"),
           pcs_day_format(day, d), how,
           stored ? "stored result of that day" : "computed from the facts (no stored result of that day)");
    printf("Data month %s   rules %s   scores out of 100, 70 qualifies when every metric has points\n\n",
           str(doc, "data_month"), str(doc, "rules"));
    scorecard(&c, doc);
out:
    json_decref(c.skilling);
    json_decref(doc);
    free(text);
    pcs_store_destroy(&st);
    pcs_rules_destroy(&rules);
    return rc ? rc : fflush(stdout) == 0 ? 0 : 1;
}

/* ---- history ------------------------------------------------------------------------------------------ */

int pcs_cmd_history(pcs_args_t *a)
{
    pcs_store_t *st = NULL;
    int rc = pcs_cli_store_for(a, a->pos[0], &st);
    if (rc)
        return rc;
    const char *how;
    bool given = pcs_args_str(a, "as-of") != NULL;
    int32_t day = pcs_cli_today(a, &how);
    const char *rules = pcs_args_str(a, "rules") ? pcs_args_str(a, "rules") : pcs_rules_shipped[0];
    pcs_err_t err = {0};
    json_t *rows = pcs_store_history(st, a->pos[0], rules, day, (int)pcs_args_long(a, "months", 6), pcs_args_area(a), &err);
    pcs_store_destroy(&st);
    if (!rows)
        return pcs_cli_err(&err);
    size_t i;
    json_t *r;
    if (pcs_args_flag(a, "json")) {
        rc = pcs_cli_print_json(rows);
    } else if (pcs_args_flag(a, "csv")) {
        static const char *const cols[] = {"month", "area", "as_of", "score", "track", "qualified", "source"};
        pcs_table_t *t = pcs_table_new(cols, 7);
        json_array_foreach(rows, i, r) {
            char b[32];
            pcs_table_cell(t, str(r, "month"), NULL);
            pcs_table_cell(t, str(r, "area"), NULL);
            pcs_table_cell(t, str(r, "as_of"), NULL);
            pcs_table_cell(t, pcs_cli_plain(num(r, "score"), b, sizeof b), NULL);
            pcs_table_cell(t, str(r, "track"), NULL);
            pcs_table_cell(t, json_is_true(json_object_get(r, "qualified")) ? "true" : "false", NULL);
            pcs_table_cell(t, str(r, "source"), NULL);
        }
        pcs_table_csv(t, stdout);
        pcs_table_destroy(&t);
    } else if (json_array_size(rows) == 0) {
        printf("no stored scores for partner %s (rules %s)\n", a->pos[0], rules);
    } else {
        /* one row per data month, one column per area */
        char d[11];
        printf("Score history of %s up to %s (%s), rules %s\n", a->pos[0], pcs_day_format(day, d), given ? "given" : how,
               rules);
        printf("Per data month the best score recorded in the month after it (scoring.md 11.3); \"qualified\": a\n"
               "record of that month qualified; SMB track where noted (else Enterprise); \"computed\": no stored\n"
               "record that month, the engine's figure from the stored result.\n\n");
        const char *cols[1 + PCS_AREA_N];
        char titles[1 + PCS_AREA_N][96];
        snprintf(titles[0], sizeof titles[0], ">month:Data month");
        int area = pcs_args_area(a), nc = pcs_cli_area_columns(titles, cols, 1, area);
        pcs_table_t *t = pcs_table_new(cols, nc);
        for (i = 0; i < json_array_size(rows);) {
            const char *month = str(json_array_get(rows, i), "month");
            char cell[PCS_AREA_N][96];
            for (int k = 0; k < PCS_AREA_N; k++)
                snprintf(cell[k], sizeof cell[k], "-");
            for (; i < json_array_size(rows) && !strcmp(str(json_array_get(rows, i), "month"), month); i++) {
                r = json_array_get(rows, i);
                int k = pcs_area_index(str(r, "area"));
                char sc[32];
                if (k >= 0)
                    snprintf(cell[k], sizeof cell[k], "%s%s%s%s", pcs_words_points(num(r, "score"), sc, sizeof sc),
                             !strcmp(str(r, "track"), "smb") ? " SMB" : "",
                             json_is_true(json_object_get(r, "qualified")) ? " qualified" : "",
                             !strcmp(str(r, "source"), "computed") ? " (computed)" : "");
            }
            pcs_table_cell(t, month, NULL);
            for (int k = 0; k < PCS_AREA_N; k++)
                if (area < 0 || area == k)
                    pcs_table_cell(t, cell[k], NULL);
        }
        pcs_table_print(t, stdout, 0);
        pcs_table_destroy(&t);
    }
    json_decref(rows);
    return rc ? rc : fflush(stdout) == 0 ? 0 : 1;
}

/* ---- alerts ------------------------------------------------------------------------------------------- */

/* A timestamp column of the alerts table (to_jsonb's "2026-11-20T10:00:00.123+00:00", UTC) as the
 * created column shows it ("2026-11-20T10:00:00Z"), "-" when absent. */
static const char *time_of(const json_t *v, bool csv, char buf[32])
{
    const char *s = json_string_value(v);
    if (!s)
        return csv ? "" : "-";
    snprintf(buf, 32, "%.19sZ", s);
    return buf;
}

int pcs_cmd_alerts(pcs_args_t *a)
{
    const char *partner = a->npos ? a->pos[0] : NULL;
    pcs_store_t *st = NULL;
    int rc = pcs_cli_store_for(a, partner, &st);
    if (rc)
        return rc;
    pcs_err_t err = {0};
    json_t *arr = pcs_store_alerts(st, partner, pcs_args_str(a, "state"), pcs_args_long(a, "limit", 100), &err);
    bool lifecycle = pcs_store_alert_lifecycle(st);
    pcs_store_destroy(&st);
    if (!arr)
        return pcs_cli_err(&err);
    pcs_rules_t *rules = NULL;
    if (pcs_args_flag(a, "json")) {
        rc = pcs_cli_print_json(arr);
    } else if (!pcs_args_flag(a, "csv") && json_array_size(arr) == 0) {
        printf("no %salerts%s%s\n", lifecycle && !pcs_args_str(a, "state") ? "firing " : "", partner ? " for partner " : "",
               partner ? partner : "");
    } else {
        char path[4096];
        rules = pcs_rules_open(pcs_rules_shipped[0], path, sizeof path, NULL);
        static const char *const cols[] = {"created:First seen (UTC)", "last_seen:Last seen", "resolved_at:Resolved",
                                           "severity:Severity",        "state:State",         "partner_id:Partner",
                                           "area:Area",                "event:Event",         "text:What",
                                           "delivery:Delivery"};
        pcs_table_t *t = pcs_table_new(cols, 10);
        size_t i, k;
        json_t *x, *d;
        bool csv = pcs_args_flag(a, "csv");
        json_array_foreach(arr, i, x) {
            /* the notifier's own words when it wrote them (0005), else the read model's */
            const char *summary = json_string_value(json_object_get(x, "summary"));
            char *text = summary && *summary ? strdup(summary) : pcs_insight_event_text(rules, x), deliv[1024] = "";
            size_t n = 0;
            json_array_foreach(json_object_get(x, "deliveries"), k, d) {
                long long at = (long long)json_integer_value(json_object_get(d, "attempts"));
                if (n < sizeof deliv - 1)
                    n += (size_t)snprintf(deliv + n, sizeof deliv - n, "%s%s:%s", k ? " " : "", str(d, "sink"), str(d, "state"));
                if (strcmp(str(d, "state"), "delivered") != 0 && at && n < sizeof deliv - 1)
                    n += (size_t)snprintf(deliv + n, sizeof deliv - n, " (%lld tries: %s)", at, str(d, "last_error"));
            }
            pcs_table_cell(t, str(x, "created"), NULL);
            char t1[32], t2[32];
            pcs_table_cell(t, time_of(json_object_get(x, "last_seen"), csv, t1), NULL);
            pcs_table_cell(t, time_of(json_object_get(x, "resolved_at"), csv, t2), NULL);
            pcs_table_cell(t, str(x, "severity"), NULL);
            pcs_table_cell(t, json_is_string(json_object_get(x, "state")) ? str(x, "state") : "-", NULL);
            pcs_table_cell(t, str(x, "partner_id"), NULL);
            pcs_table_cell(t, csv ? str(x, "area") : pcs_words_area(str(x, "area")), NULL);
            pcs_table_cell(t, str(x, "event"), NULL);
            pcs_table_cell(t, text ? text : "", NULL);
            pcs_table_cell(t, deliv, NULL);
            free(text);
        }
        if (csv)
            pcs_table_csv(t, stdout);
        else
            pcs_table_print(t, stdout, 0);
        pcs_table_destroy(&t);
    }
    pcs_rules_destroy(&rules);
    json_decref(arr);
    return rc ? rc : fflush(stdout) == 0 ? 0 : 1;
}

/* ---- partners: the fleet ------------------------------------------------------------------------------- */

int pcs_cmd_partners(pcs_args_t *a)
{
    pcs_store_t *st = pcs_cli_store(a);
    if (!st)
        return 1;
    const char *how;
    int32_t day = pcs_cli_today(a, &how);
    const char *rules = pcs_args_str(a, "rules") ? pcs_args_str(a, "rules") : pcs_rules_shipped[0];
    pcs_err_t err = {0};
    int area = pcs_args_area(a);
    json_t *arr = pcs_store_partners(st, rules, day, pcs_args_str(a, "sort"), pcs_args_str(a, "status"), area, &err);
    pcs_store_destroy(&st);
    if (!arr)
        return pcs_cli_err(&err);
    int rc = 0;
    if (pcs_args_flag(a, "json")) {
        rc = pcs_cli_print_json(arr);
        json_decref(arr);
        return rc;
    }
    bool csv = pcs_args_flag(a, "csv");
    /* columns: partner, one per area shown, anniversary, alerts */
    char titles[3 + 2 * PCS_AREA_N][96];
    const char *cols[3 + 2 * PCS_AREA_N];
    int nc = 0;
    snprintf(titles[nc++], sizeof titles[0], "partner_id:Partner");
    for (int k = 0; k < PCS_AREA_N; k++) {
        if (area >= 0 && area != k)
            continue;
        if (csv) {   /* CSV: the score and the status apart */
            snprintf(titles[nc++], sizeof titles[0], "%s_score", pcs_area_ids[k]);
            snprintf(titles[nc++], sizeof titles[0], "%s_status", pcs_area_ids[k]);
        } else {
            snprintf(titles[nc++], sizeof titles[0], "%s:%s", pcs_area_ids[k], pcs_words_area(pcs_area_ids[k]));
        }
    }
    snprintf(titles[nc++], sizeof titles[0], ">days_to_anniversary:Days to anniversary");
    snprintf(titles[nc++], sizeof titles[0], ">alerts:Firing alerts");
    for (int k = 0; k < nc; k++)
        cols[k] = titles[k];
    pcs_table_t *t = pcs_table_new(cols, nc);
    size_t i, k;
    json_t *p, *x;
    json_array_foreach(arr, i, p) {
        pcs_table_cell(t, str(p, "partner_id"), NULL);
        json_array_foreach(json_object_get(p, "areas"), k, x) {
            char sc[32];
            pcs_words_points(num(x, "score"), sc, sizeof sc);
            if (csv) {
                pcs_table_cell(t, pcs_cli_plain(num(x, "score"), sc, sizeof sc), NULL);
                pcs_table_cell(t, str(x, "status"), NULL);
            } else {
                pcs_table_cellf(t, NULL, "%s %s", sc, pcs_words_status(str(x, "status")));
            }
        }
        if (json_is_integer(json_object_get(p, "days_to_anniversary")))
            pcs_table_cellf(t, NULL, "%lld", (long long)json_integer_value(json_object_get(p, "days_to_anniversary")));
        else
            pcs_table_cell(t, csv ? "" : "-", NULL);
        long long n = (long long)json_integer_value(json_object_get(p, "alerts"));
        if (csv || !n)
            pcs_table_cellf(t, NULL, "%lld", n);
        else
            pcs_table_cellf(t, NULL, "%lld (worst %s)", n, str(p, "worst_severity"));
    }
    if (csv) {
        pcs_table_csv(t, stdout);
    } else {
        char d[11];
        printf("%zu partner%s as of %s (%s), rules %s, sorted by %s\n\n", json_array_size(arr),
               json_array_size(arr) == 1 ? "" : "s", pcs_day_format(day, d), how, rules,
               pcs_args_str(a, "sort") && !strcmp(pcs_args_str(a, "sort"), "id") ? "partner" : "risk (worst alerts first)");
        pcs_table_print(t, stdout, 0);
    }
    pcs_table_destroy(&t);
    json_decref(arr);
    return fflush(stdout) == 0 ? 0 : 1;
}
