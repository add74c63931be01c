/* pcs_scores: the commands of the scorer (refresh, rescore, scorer-status over its control socket)
 * and the stored scores (show, history, read from PostgreSQL). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_rules.h"
#include "pcs_stack.h"

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr, "pcs: ");
    fprintf(stderr, msg, arg);
    fputc('\n', stderr);
    return 2;
}

/* Options that take a value; everything else must be a known flag or a positional argument
 * (positional of them; -N: at most N, none required). */
static int check_args(int argc, char **argv, const char *const *with_value, const char *const *flags, int positional,
                      const char **pos)
{
    int npos = 0, max = positional < 0 ? -positional : positional;
    for (int i = 1; i < argc; i++) {
        bool known = false;
        for (int k = 0; with_value[k]; k++)
            if (strcmp(argv[i], with_value[k]) == 0) {
                if (i + 1 >= argc)
                    return usage("%s needs a value", argv[i]);
                i++;
                known = true;
                break;
            }
        for (int k = 0; !known && flags[k]; k++)
            known = strcmp(argv[i], flags[k]) == 0;
        if (known)
            continue;
        if (argv[i][0] == '-' && argv[i][1])
            return usage("unknown option %s", argv[i]);
        if (npos == max)
            return usage("unexpected argument %s", argv[i]);
        pos[npos++] = argv[i];
    }
    if (npos < positional)
        return usage("%s: missing argument (see pcs --help)", argv[0]);
    return 0;
}

static const char *control_endpoint(int argc, char **argv)
{
    const char *e = pcs_cli_opt(argc, argv, "--endpoint");
    if (!e)
        e = getenv("PCS_SCORER");
    return e && *e ? e : "tcp://127.0.0.1:5603";
}

/* One control request; prints the reason and returns 1 when it fails. */
static json_t *control(int argc, char **argv, json_t *req, int *rc)
{
    char *msg = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char reply[65536] = "";
    void *ctx = zmq_ctx_new();
    const char *ep = control_endpoint(argc, argv);
    int r = msg ? pcs_cli_request(ctx, ep, msg, strlen(msg), 5000, 0, reply, sizeof reply) : 1;
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pcs_cmd_refresh(int argc, char **argv)
{
    static const char *const vals[] = {"--as-of", "--endpoint", "--db", "--timeout", NULL};
    static const char *const flags[] = {"--wait", NULL};
    int rc = check_args(argc, argv, vals, flags, 0, NULL);
    if (rc)
        return rc;
    const char *as_of = pcs_cli_opt(argc, argv, "--as-of");
    int32_t d;
    if (as_of && pcs_day_parse(as_of, &d) < 0)
        return usage("--as-of: expected YYYY-MM-DD, got '%s'", as_of);
    const char *to = pcs_cli_opt(argc, argv, "--timeout");
    double timeout = to ? atof(to) : 3600;
    json_t *req = json_pack("{s:s}", "cmd", "refresh");
    if (as_of)
        json_object_set_new(req, "as_of", json_string(as_of));
    double t0 = now_s();
    json_t *rep = control(argc, argv, req, &rc);
    if (!rep)
        return rc;
    long long run = (long long)json_integer_value(json_object_get(rep, "run_id"));
    printf("refresh %lld as of %s: %lld slices\n", run, json_string_value(json_object_get(rep, "as_of")),
           (long long)json_integer_value(json_object_get(rep, "slices")));
    json_decref(rep);
    if (!pcs_cli_flag(argc, argv, "--wait"))
        return 0;
    fflush(stdout);
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(pcs_cli_conninfo(argc, argv), &err);
    if (!db) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        return 1;
    }
    char rid[32];
    snprintf(rid, sizeof rid, "%lld", run);
    const char *p[1] = {rid};
    for (;;) {
        PGresult *r;
        if (pcs_db_query(db, "SELECT finished_at IS NOT NULL, coalesce(partners, 0),"
                             " (SELECT coalesce(sum(partners_done), 0) FROM refresh_slices WHERE run_id = $1)"
                             " FROM refresh_runs WHERE run_id = $1", 1, p, &r, &err) < 0) {
            /* the database may be restarting: keep waiting */
            PQreset(db);
        } else {
            bool done = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
            if (done) {
                printf("refresh %lld done: %s partners scored in %.1f s\n", run, PQgetvalue(r, 0, 1), now_s() - t0);
                PQclear(r);
                break;
            }
            PQclear(r);
        }
        if (now_s() - t0 > timeout) {
            fprintf(stderr, "pcs: refresh %lld not finished after %.0f s\n", run, timeout);
            PQfinish(db);
            return 1;
        }
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    PQfinish(db);
    return 0;
}

int pcs_cmd_rescore(int argc, char **argv)
{
    static const char *const vals[] = {"--endpoint", NULL};
    static const char *const flags[] = {NULL};
    const char *pos[1] = {NULL};
    int rc = check_args(argc, argv, vals, flags, 1, pos);
    if (rc)
        return rc;
    json_t *rep = control(argc, argv, json_pack("{s:s, s:s}", "cmd", "rescore", "partner_id", pos[0]), &rc);
    if (!rep)
        return rc;
    printf("rescore of %s queued (outbox %lld)\n", pos[0], (long long)json_integer_value(json_object_get(rep, "outbox_id")));
    json_decref(rep);
    return 0;
}

int pcs_cmd_scorer_status(int argc, char **argv)
{
    static const char *const vals[] = {"--endpoint", NULL};
    static const char *const flags[] = {"--json", NULL};
    int rc = check_args(argc, argv, vals, flags, 0, NULL);
    if (rc)
        return rc;
    json_t *rep = control(argc, argv, json_pack("{s:s}", "cmd", "status"), &rc);
    if (!rep)
        return rc;
    if (pcs_cli_flag(argc, argv, "--json")) {
        char *s = json_dumps(rep, JSON_INDENT(2));
        puts(s);
        free(s);
    } else {
        const char *k;
        json_t *v;
        json_object_foreach(rep, k, v) {
            char *s = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            printf("%-18s %s\n", k, s ? s : "");
            free(s);
        }
    }
    json_decref(rep);
    return 0;
}

/* ---- stored scores -------------------------------------------------------------------------------- */

static PGconn *open_db(int argc, char **argv)
{
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(pcs_cli_conninfo(argc, argv), &err);
    if (!db)
        fprintf(stderr, "pcs: %s\n", err.msg);
    return db;
}

static const char *rules_opt(int argc, char **argv)
{
    const char *r = pcs_cli_opt(argc, argv, "--rules");
    return r ? r : pcs_rules_shipped[0];
}

static const char *const area_names[PCS_AREA_N] = {"Data & AI", "Infrastructure", "Digital & App Innovation",
                                                   "Business Applications", "Modern Work", "Security"};

static const char *area_name(const char *id)
{
    int a = pcs_area_index(id);
    return a >= 0 ? area_names[a] : id;
}

typedef struct {
    bool colour;
} style_t;

static const char *c_on(const style_t *st, const char *code)
{
    return st->colour ? code : "";
}

/* The scorecard: per area the track, a bar against 70, the status, each metric's points and what
 * blocks qualification. */
static void scorecard(json_t *doc, const style_t *st)
{
    const char *reset = c_on(st, "\033[0m"), *bold = c_on(st, "\033[1m"), *dim = c_on(st, "\033[2m");
    printf("%sPartner %s%s   as of %s   data month %s   rules %s\n\n", bold,
           json_string_value(json_object_get(doc, "partner_id")), reset, json_string_value(json_object_get(doc, "as_of")),
           json_string_value(json_object_get(doc, "data_month")), json_string_value(json_object_get(doc, "rules")));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "areas"), i, a) {
        double score = json_number_value(json_object_get(a, "score"));
        bool q = json_is_true(json_object_get(a, "qualified"));
        const char *status = json_string_value(json_object_get(a, "status"));
        const char *col = c_on(st, q ? "\033[32m" : score >= 50 ? "\033[33m" : "\033[31m");
        char bar[64];
        int filled = (int)(score / 100.0 * 40 + 0.5), mark = 28;   /* 70 of 100 on a 40-wide bar */
        for (int k = 0; k < 40; k++)
            bar[k] = k < filled ? '#' : k == mark ? '|' : '.';
        bar[40] = '\0';
        printf("%s%-26s%s %-10s %s%s%s %s%6.2f%s / 70  %s%s%s\n", bold, area_name(json_string_value(json_object_get(a, "area"))),
               reset, json_string_value(json_object_get(a, "track")), col, bar, reset, col, score, reset, bold,
               status ? status : "", reset);
        size_t k;
        json_t *m;
        json_t *zero = json_array();
        json_array_foreach(json_object_get(a, "metrics"), k, m) {
            double pts = json_number_value(json_object_get(m, "points")), max = json_number_value(json_object_get(m, "max"));
            const char *name = json_string_value(json_object_get(m, "metric"));
            printf("    %-30s %6.2f / %-5g %svalue %g%s\n", name, pts, max, dim, json_number_value(json_object_get(m, "value")),
                   reset);
            if (pts <= 0)
                json_array_append_new(zero, json_string(name));
        }
        if (!q) {
            if (score < 70)
                printf("    %sblocks:%s %.2f points short of 70", c_on(st, "\033[31m"), reset, 70 - score);
            else
                printf("    %sblocks:%s", c_on(st, "\033[31m"), reset);
            size_t z;
            json_t *v;
            json_array_foreach(zero, z, v) printf("%s%s at zero", z || score < 70 ? ", " : " ", json_string_value(v));
            putchar('\n');
        }
        json_decref(zero);
        json_t *alt = json_array_get(json_object_get(a, "alternatives"), 0);
        if (alt)
            printf("    %s%s track: %.2f%s%s\n", dim, json_string_value(json_object_get(alt, "track")),
                   json_number_value(json_object_get(alt, "score")),
                   json_is_true(json_object_get(alt, "qualified")) ? ", qualifies" : "", reset);
        json_t *anniv = json_object_get(a, "anniversary");
        if (anniv)
            printf("    %senrolled, anniversary %s%s\n", dim, json_string_value(anniv), reset);
        putchar('\n');
    }
}

int pcs_cmd_show(int argc, char **argv)
{
    static const char *const vals[] = {"--as-of", "--rules", "--db", NULL};
    static const char *const flags[] = {"--json", NULL};
    const char *pos[1] = {NULL};
    int rc = check_args(argc, argv, vals, flags, 1, pos);
    if (rc)
        return rc;
    const char *as_of = pcs_cli_opt(argc, argv, "--as-of");
    int32_t d;
    if (as_of && pcs_day_parse(as_of, &d) < 0)
        return usage("--as-of: expected YYYY-MM-DD, got '%s'", as_of);
    PGconn *db = open_db(argc, argv);
    if (!db)
        return 1;
    const char *p[3] = {pos[0], rules_opt(argc, argv), as_of};
    PGresult *r;
    pcs_err_t err = {0};
    /* the latest stored result, or the one of that as-of date */
    if (pcs_db_query(db,
                     "SELECT document FROM score_results WHERE partner_id = $1 AND rule_set = $2"
                     " AND ($3::date IS NULL OR as_of = $3::date) ORDER BY as_of DESC LIMIT 1",
                     3, p, &r, &err) < 0) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        PQfinish(db);
        return 1;
    }
    if (PQntuples(r) == 0) {
        fprintf(stderr, "pcs: no stored score for partner %s (rules %s%s%s)\n", pos[0], p[1], as_of ? ", as of " : "",
                as_of ? as_of : "");
        PQclear(r);
        PQfinish(db);
        return 1;
    }
    if (pcs_cli_flag(argc, argv, "--json")) {
        puts(PQgetvalue(r, 0, 0));
    } else {
        json_t *doc = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
        style_t st = {.colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR")};
        if (doc)
            scorecard(doc, &st);
        json_decref(doc);
    }
    PQclear(r);
    PQfinish(db);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* §11.3 over the stored snapshots: per calendar month the highest total (ties: the earliest),
 * its track, and whether any snapshot of that month qualified; shown under its data month. */
int pcs_cmd_history(int argc, char **argv)
{
    static const char *const vals[] = {"--months", "--as-of", "--rules", "--area", "--db", NULL};
    static const char *const flags[] = {"--json", "--csv", NULL};
    const char *pos[1] = {NULL};
    int rc = check_args(argc, argv, vals, flags, 1, pos);
    if (rc)
        return rc;
    const char *months = pcs_cli_opt(argc, argv, "--months");
    const char *as_of = pcs_cli_opt(argc, argv, "--as-of");
    const char *area = pcs_cli_opt(argc, argv, "--area");
    int32_t d;
    if (months && (atoi(months) < 0 || strspn(months, "0123456789") != strlen(months)))
        return usage("--months: expected a number (0 = all), got '%s'", months);
    if (as_of && pcs_day_parse(as_of, &d) < 0)
        return usage("--as-of: expected YYYY-MM-DD, got '%s'", as_of);
    if (area && pcs_area_index(area) < 0)
        return usage("--area: unknown area '%s'", area);
    PGconn *db = open_db(argc, argv);
    if (!db)
        return 1;
    const char *p[5] = {pos[0], rules_opt(argc, argv), as_of, months ? months : "6", area};
    PGresult *r;
    pcs_err_t err = {0};
    if (pcs_db_query(db,
                     "WITH lim AS (SELECT coalesce($3::date, (SELECT max(as_of) FROM score_snapshots"
                     "   WHERE partner_id = $1 AND rule_set = $2)) AS d),"
                     " s AS (SELECT area, as_of, total, track, qualified, date_trunc('month', as_of)::date AS cal"
                     "   FROM score_snapshots, lim WHERE partner_id = $1 AND rule_set = $2 AND selected AND as_of <= lim.d"
                     "   AND ($5::text IS NULL OR area = $5)"
                     "   AND ($4::int = 0 OR as_of >= date_trunc('month', lim.d) - ($4::int - 1) * interval '1 month')),"
                     " best AS (SELECT DISTINCT ON (area, cal) area, cal, as_of, total, track FROM s"
                     "   ORDER BY area, cal, total DESC, as_of),"
                     " q AS (SELECT area, cal, bool_or(qualified) AS q FROM s GROUP BY area, cal)"
                     " SELECT to_char(cal - interval '1 month', 'YYYY-MM'), area, as_of::text,"
                     "  round(total::numeric, 2)::text, track, q::text"
                     " FROM best JOIN q USING (area, cal)"
                     " ORDER BY cal, array_position(ARRAY['data_ai','infrastructure','digital_app_innovation',"
                     "  'business_applications','modern_work','security'], area)",
                     5, p, &r, &err) < 0) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        PQfinish(db);
        return 1;
    }
    int n = PQntuples(r);
    if (pcs_cli_flag(argc, argv, "--json")) {
        json_t *arr = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:f, s:s, s:b}", "month", PQgetvalue(r, i, 0), "area",
                                                 PQgetvalue(r, i, 1), "as_of", PQgetvalue(r, i, 2), "score",
                                                 atof(PQgetvalue(r, i, 3)), "track", PQgetvalue(r, i, 4), "qualified",
                                                 PQgetvalue(r, i, 5)[0] == 't'));
        char *s = json_dumps(arr, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        puts(s);
        free(s);
        json_decref(arr);
    } else if (pcs_cli_flag(argc, argv, "--csv")) {
        puts("month,area,as_of,score,track,qualified");
        for (int i = 0; i < n; i++)
            printf("%s,%s,%s,%s,%s,%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                   PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5)[0] == 't' ? "true" : "false");
    } else if (n == 0) {
        printf("no stored scores for partner %s (rules %s)\n", pos[0], p[1]);
    } else {
        /* one row per data month, one column per area: score, track initial, Q when qualified */
        printf("%-8s", "month");
        static const char *const short_names[PCS_AREA_N] = {"data_ai", "infra", "apps", "bizapps", "modern_work",
                                                            "security"};
        for (int a = 0; a < PCS_AREA_N; a++)
            printf("  %-14s", short_names[a]);
        putchar('\n');
        for (int i = 0; i < n;) {
            const char *month = PQgetvalue(r, i, 0);
            char cell[PCS_AREA_N][32];
            for (int a = 0; a < PCS_AREA_N; a++)
                snprintf(cell[a], sizeof cell[a], "-");
            for (; i < n && strcmp(PQgetvalue(r, i, 0), month) == 0; i++) {
                int a = pcs_area_index(PQgetvalue(r, i, 1));
                if (a >= 0)
                    snprintf(cell[a], sizeof cell[a], "%6s %s%s", PQgetvalue(r, i, 3),
                             PQgetvalue(r, i, 4)[0] == 's' ? "smb" : "ent", PQgetvalue(r, i, 5)[0] == 't' ? " Q" : "");
            }
            printf("%-8s", month);
            for (int a = 0; a < PCS_AREA_N; a++)
                printf("  %-14s", cell[a]);
            putchar('\n');
        }
    }
    PQclear(r);
    PQfinish(db);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- alerts --------------------------------------------------------------------------------------- */

int pcs_cmd_alerts(int argc, char **argv)
{
    static const char *const vals[] = {"--limit", "--db", NULL};
    static const char *const flags[] = {"--json", NULL};
    const char *pos[1] = {NULL};
    int rc = check_args(argc, argv, vals, flags, -1, pos);   /* the partner is optional */
    if (rc)
        return rc;
    const char *limit = pcs_cli_opt(argc, argv, "--limit");
    if (limit && (strspn(limit, "0123456789") != strlen(limit) || !*limit))
        return usage("--limit: expected a number, got '%s'", limit);
    PGconn *db = open_db(argc, argv);
    if (!db)
        return 1;
    const char *p[2] = {pos[0], limit ? limit : "100"};
    PGresult *r;
    pcs_err_t err = {0};
    if (pcs_db_query(db,
                     "SELECT coalesce(json_agg(x ORDER BY x.alert_id DESC), '[]')::text FROM ("
                     " SELECT a.alert_id, a.event, a.partner_id, a.area, a.severity, a.dedup_key,"
                     "  to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created,"
                     "  a.as_of, a.rule_set AS rules, a.payload,"
                     "  coalesce((SELECT json_agg(json_build_object('sink', d.sink, 'state', d.state, 'attempts', d.attempts,"
                     "    'last_error', d.last_error, 'delivered_at', d.delivered_at) ORDER BY d.sink)"
                     "    FROM alert_deliveries d WHERE d.alert_id = a.alert_id), '[]') AS deliveries"
                     " FROM alerts a WHERE ($1::text IS NULL OR a.partner_id = $1)"
                     " ORDER BY a.alert_id DESC LIMIT $2::bigint) x",
                     2, p, &r, &err) < 0) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        PQfinish(db);
        return 1;
    }
    json_t *arr = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    PQfinish(db);
    if (!arr)
        return 1;
    if (pcs_cli_flag(argc, argv, "--json")) {
        char *s = json_dumps(arr, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        puts(s ? s : "[]");
        free(s);
    } else if (json_array_size(arr) == 0) {
        printf("no alerts%s%s\n", pos[0] ? " for partner " : "", pos[0] ? pos[0] : "");
    } else {
        size_t i, k;
        json_t *a, *d;
        json_array_foreach(arr, i, a) {
            printf("%s  %-8s  %-24s  %-12s  %-24s ", json_string_value(json_object_get(a, "created")),
                   json_string_value(json_object_get(a, "severity")), json_string_value(json_object_get(a, "event")),
                   json_string_value(json_object_get(a, "partner_id")), json_string_value(json_object_get(a, "area")));
            json_array_foreach(json_object_get(a, "deliveries"), k, d) {
                printf(" %s:%s", json_string_value(json_object_get(d, "sink")), json_string_value(json_object_get(d, "state")));
                long long at = (long long)json_integer_value(json_object_get(d, "attempts"));
                if (strcmp(json_string_value(json_object_get(d, "state")), "delivered") != 0 && at)
                    printf("(%lld tries: %s)", at, json_string_value(json_object_get(d, "last_error")));
            }
            putchar('\n');
        }
    }
    json_decref(arr);
    return fflush(stdout) == 0 ? 0 : 1;
}
