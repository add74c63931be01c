/* pcs_insights: the questions of Partner Center's Insights workspace, answered from pcs's own
 * data on a running stack (and offline where a partner document is given): which customers
 * counted (eligibility), which people count (skilling), what next (recommend), how it went
 * (trends), what is coming (forecast), and what a rule change does (rules list | show | diff).
 *
 * A partner's facts are read from PostgreSQL as a partner document (interfaces.md §2; `pcs export`
 * prints it), so every answer is computed by the same engine as `pcs score` of that document. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_doc.h"
#include "pcs_engine.h"
#include "pcs_file.h"
#include "pcs_result_json.h"
#include "pcs_rules.h"
#include "pcs_stack.h"

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr, "pcs: ");
    fprintf(stderr, msg, arg);
    fputc('\n', stderr);
    return 2;
}

/* ---- the partner document from the database -------------------------------------------------------- */

/* The same facts the scorer streams for one partner and date (usage of data months M-30 .. M,
 * certification records clipped to the person's link periods), as a partner document. */
static const char export_sql[] =
    "WITH p AS (SELECT $1::text AS id, $2::date AS d,"
    "  (date_trunc('month', $2::date) - interval '31 months')::date AS m0,"
    "  (date_trunc('month', $2::date) - interval '1 month')::date AS m1)"
    " SELECT json_build_object("
    "  'partner_id', p.id, 'as_of', p.d,"
    "  'customers', coalesce((SELECT json_agg(json_strip_nulls(json_build_object('tenant_id', c.tenant_id,"
    "     'customer_id', c.customer_id, 'name', c.customer_name, 'segment', c.segment)) ORDER BY c.tenant_id)"
    "     FROM customers c WHERE c.partner_id = p.id), '[]'),"
    "  'associations', coalesce((SELECT json_agg(json_build_object('tenant_id', a.tenant_id, 'type', a.association_type,"
    "     'workload', a.workload, 'start', a.start_date, 'end', a.end_date)"
    "     ORDER BY a.tenant_id, a.association_type, a.workload, a.start_date)"
    "     FROM associations a WHERE a.partner_id = p.id), '[]'),"
    "  'usage', coalesce((SELECT json_agg(json_build_object('tenant_id', u.tenant_id, 'workload', u.workload,"
    "     'month', to_char(u.month, 'YYYY-MM'), 'acr_usd', u.acr_cents / 100.0, 'revenue_usd', u.revenue_cents / 100.0,"
    "     'paid_units', u.paid_units, 'active_units', u.active_units) ORDER BY u.tenant_id, u.workload, u.month)"
    "     FROM usage u WHERE u.month BETWEEN p.m0 AND p.m1 AND u.tenant_id IN"
    "     (SELECT tenant_id FROM customers WHERE partner_id = p.id UNION SELECT tenant_id FROM associations"
    "      WHERE partner_id = p.id)), '[]'),"
    "  'people', coalesce((SELECT json_agg(json_build_object('person_id', x.person_id, 'certifications', x.certs)"
    "     ORDER BY x.person_id) FROM (SELECT s.person_id, json_agg(json_build_object('name', s.certification,"
    "     'earned', s.earned, 'expires', s.expires) ORDER BY s.certification, s.earned) AS certs"
    "     FROM scoring_certs s WHERE s.partner_id = p.id GROUP BY s.person_id) x), '[]'),"
    "  'enrollments', coalesce((SELECT json_agg(json_build_object('area', e.area, 'enrolled', e.enrolled_date,"
    "     'anniversary', e.anniversary_date) ORDER BY e.area, e.enrolled_date)"
    "     FROM enrollments e WHERE e.partner_id = p.id), '[]'))::text,"
    " EXISTS (SELECT 1 FROM partners WHERE partner_id = p.id)"
    " FROM p";

char *pcs_export_text(const char *conninfo, const char *partner, int32_t as_of, pcs_err_t *err)
{
    PGconn *db = pcs_db_connect(conninfo, err);
    if (!db)
        return NULL;
    char d[16];
    const char *p[2] = {partner, pcs_day_format(as_of, d)};
    PGresult *r;
    char *out = NULL;
    if (pcs_db_query(db, export_sql, 2, p, &r, err) == 0) {
        if (PQgetvalue(r, 0, 1)[0] != 't')
            pcs_err_set(err, PCS_EINVAL, 0, 0, "no partner %s in the database", partner);
        else if (!(out = strdup(PQgetvalue(r, 0, 0))))
            pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        PQclear(r);
    }
    PQfinish(db);
    return out;
}

/* ---- common ------------------------------------------------------------------------------------------ */

typedef struct ctx {
    const char *partner;
    int32_t as_of;
    pcs_rules_t *rules;
    pcs_engine_t *e;
    json_t *doc;
    int area;                   /* -1: all */
    bool json, csv;
} ctx_t;

static void ctx_free(ctx_t *c)
{
    json_decref(c->doc);
    pcs_engine_destroy(&c->e);
    pcs_rules_destroy(&c->rules);
}

/* Loads rules, the partner's document (from the database) and an engine. */
static int ctx_open(ctx_t *c, int argc, char **argv, const char *partner)
{
    memset(c, 0, sizeof *c);
    c->partner = partner;
    c->area = -1;
    c->json = pcs_cli_flag(argc, argv, "--json");
    c->csv = pcs_cli_flag(argc, argv, "--csv");
    const char *as_of = pcs_cli_opt(argc, argv, "--as-of"), *area = pcs_cli_opt(argc, argv, "--area");
    c->as_of = pcs_day_today_utc();
    if (as_of && pcs_day_parse(as_of, &c->as_of) < 0)
        return usage("--as-of: expected YYYY-MM-DD, got '%s'", as_of);
    if (area && (c->area = pcs_area_index(area)) < 0)
        return usage("--area: unknown area '%s'", area);
    char path[4096];
    pcs_err_t err = {0};
    const char *rs = pcs_cli_opt(argc, argv, "--rules");
    if (!(c->rules = pcs_rules_open(rs ? rs : pcs_rules_shipped[0], path, sizeof path, &err))) {
        fprintf(stderr, "pcs: %s: %s\n", path, err.msg);
        return 2;
    }
    char *text = pcs_export_text(pcs_cli_conninfo(argc, argv), partner, c->as_of, &err);
    if (!text) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        return err.code == PCS_EINVAL ? 2 : 1;
    }
    int rc = pcs_doc_parse(text, strlen(text), &c->doc, &err);
    free(text);
    if (rc < 0 || !(c->e = pcs_engine_new(c->rules))) {
        fprintf(stderr, "pcs: partner %s: %s\n", partner, err.msg);
        return 1;
    }
    return 0;
}

static json_t *score(ctx_t *c, json_t *doc, int32_t day, bool explain);

/* The prologue of a command on one partner (argv[1]): rules, document and engine, and, when res
 * is given, the partner's result as of --as-of. On failure nothing is left to free. */
static int ctx_score(ctx_t *c, int argc, char **argv, const char *usage_line, bool explain, json_t **res)
{
    if (argc < 2 || argv[1][0] == '-')
        return usage("%s", usage_line);
    int rc = ctx_open(c, argc, argv, argv[1]);
    if (rc == 0 && res && !(*res = score(c, c->doc, c->as_of, explain)))
        rc = 1;
    if (rc)
        ctx_free(c);
    return rc;
}

/* The result document of doc as of day, with the explanation rows. */
static json_t *score(ctx_t *c, json_t *doc, int32_t day, bool explain)
{
    pcs_err_t err = {0};
    int32_t ignored;
    if (pcs_doc_load(c->e, doc, NULL, 0, &ignored, &err) < 0) {
        fprintf(stderr, "pcs: partner %s: %s\n", c->partner, err.msg);
        return NULL;
    }
    pcs_score_opts_t o = {.explain = explain, .area_mask = c->area >= 0 ? 1u << c->area : 0};
    const pcs_result_t *res = pcs_engine_score(c->e, day, &o);
    return res ? pcs_result_to_json(c->rules, res, explain) : NULL;
}

static int print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    if (!s)
        return 1;
    puts(s);
    free(s);
    return fflush(stdout) == 0 ? 0 : 1;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

/* The first object of array arr whose string member key equals value, or NULL. */
static json_t *find_by(json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        if (!strcmp(str(x, key), value))
            return x;
    }
    return NULL;
}

/* A CSV field (quoted when needed). */
static void csv_field(const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

static const char *jtext(json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_number(v)) {
        snprintf(buf, n, "%.15g", json_number_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return "";
}

/* ---- pcs export ---------------------------------------------------------------------------------------- */

int pcs_cmd_export(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return usage("%s", "export: usage: pcs export PARTNER [--as-of D] [--db CONNINFO]");
    const char *as = pcs_cli_opt(argc, argv, "--as-of");
    int32_t d = pcs_day_today_utc();
    if (as && pcs_day_parse(as, &d) < 0)
        return usage("--as-of: expected YYYY-MM-DD, got '%s'", as);
    pcs_err_t err = {0};
    char *text = pcs_export_text(pcs_cli_conninfo(argc, argv), argv[1], d, &err);
    if (!text) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        return err.code == PCS_EINVAL ? 2 : 1;
    }
    puts(text);
    free(text);
    return 0;
}

/* ---- pcs eligibility ------------------------------------------------------------------------------------ */

int pcs_cmd_eligibility(int argc, char **argv)
{
    ctx_t c;
    json_t *res = NULL;
    int rc = ctx_score(&c, argc, argv,
                       "eligibility: usage: pcs eligibility PARTNER [--area A] [--customer C] [--as-of D] [--json|--csv]",
                       true, &res);
    if (rc)
        return rc;
    const char *cust = pcs_cli_opt(argc, argv, "--customer");
    json_t *rows = json_array(), *summary = json_array();
    size_t i, k;
    json_t *a, *row;
    json_array_foreach(json_object_get(res, "areas"), i, a) {
        json_array_foreach(json_object_get(a, "eligibility"), k, row) {
            if (cust && strcmp(str(row, "customer_id"), cust) && strcmp(str(row, "tenant_id"), cust))
                continue;
            json_array_append(rows, row);
            /* the summary per area, track and metric: customers with a positive, negative and no effect */
            json_t *s = NULL, *x;
            size_t j;
            json_array_foreach(summary, j, x) {
                if (!strcmp(str(x, "area"), str(row, "area")) && !strcmp(str(x, "track"), str(row, "track")) &&
                    !strcmp(str(x, "metric"), str(row, "metric")))
                    s = x;
            }
            if (!s) {
                s = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}", "area", str(row, "area"), "track", str(row, "track"),
                              "metric", str(row, "metric"), "positive", 0, "negative", 0, "no_effect", 0);
                json_array_append_new(summary, s);
            }
            double eff = num(row, "effect");
            const char *key = eff > 0 ? "positive" : eff < 0 ? "negative" : "no_effect";
            json_object_set_new(s, key, json_integer(json_integer_value(json_object_get(s, key)) + 1));
        }
    }
    if (c.json) {
        json_t *out = json_pack("{s:s, s:O, s:O, s:O}", "partner_id", c.partner, "as_of", json_object_get(res, "as_of"),
                                "summary", summary, "rows", rows);
        rc = print_json(out);
        json_decref(out);
    } else if (c.csv) {
        static const char *const cols[] = {"area", "track", "metric", "part", "option", "tenant_id", "customer_id",
                                           "status", "effect", "current_value", "comparison_value", "criterion"};
        for (int j = 0; j < 12; j++)
            csv_field(cols[j], j == 11);
        json_array_foreach(rows, i, row) {
            char buf[64];
            for (int j = 0; j < 12; j++)
                csv_field(jtext(json_object_get(row, cols[j]), buf, sizeof buf), j == 11);
        }
    } else {
        printf("Customer eligibility of %s as of %s\n\n%-24s %-10s %-28s %8s %8s %9s\n", c.partner,
               str(res, "as_of"), "area", "track", "metric", "positive", "negative", "no effect");
        json_array_foreach(summary, i, row)
            printf("%-24s %-10s %-28s %8lld %8lld %9lld\n", str(row, "area"), str(row, "track"), str(row, "metric"),
                   (long long)json_integer_value(json_object_get(row, "positive")),
                   (long long)json_integer_value(json_object_get(row, "negative")),
                   (long long)json_integer_value(json_object_get(row, "no_effect")));
        printf("\n%-22s %-24s %-10s %6s %14s %14s  %s\n", "metric", "tenant (customer)", "status", "effect", "current",
               "comparison", "criterion");
        json_array_foreach(rows, i, row) {
            char b1[64], b2[64], t[128];
            snprintf(t, sizeof t, "%s (%s)", str(row, "tenant_id"), str(row, "customer_id"));
            printf("%-22s %-24s %-10s %6g %14s %14s  %s\n", str(row, "metric"), t, str(row, "status"), num(row, "effect"),
                   jtext(json_object_get(row, "current_value"), b1, sizeof b1),
                   jtext(json_object_get(row, "comparison_value"), b2, sizeof b2), str(row, "criterion"));
        }
    }
    json_decref(rows);
    json_decref(summary);
    json_decref(res);
    ctx_free(&c);
    return rc;
}

/* ---- pcs skilling -------------------------------------------------------------------------------------- */

int pcs_cmd_skilling(int argc, char **argv)
{
    ctx_t c;
    json_t *res = NULL;
    int rc = ctx_score(&c, argc, argv, "skilling: usage: pcs skilling PARTNER [--area A] [--as-of D] [--json|--csv]",
                       true, &res);
    if (rc)
        return rc;
    json_t *out = json_array();
    size_t i, k;
    json_t *a, *row, *m;
    json_array_foreach(json_object_get(res, "areas"), i, a) {
        /* per skilling metric of the selected track: units, points against the maximum, and the rows */
        json_t *sel = find_by(json_object_get(a, "tracks"), "track", str(a, "track"));
        json_array_foreach(json_object_get(sel, "metrics"), k, m) {
            const char *metric = str(m, "metric");
            if (strcmp(metric, "intermediate_certifications") && strcmp(metric, "advanced_certifications"))
                continue;
            if (!json_is_true(json_object_get(m, "applicable")))
                continue;
            json_t *people = json_array(), *r2;
            size_t j;
            json_array_foreach(json_object_get(a, "skilling"), j, r2) {
                if (strcmp(str(r2, "metric"), metric) || strcmp(str(r2, "track"), str(a, "track")))
                    continue;
                json_t *x = json_deep_copy(r2);
                /* each certification of the person, with its expiry */
                json_t *person = find_by(json_object_get(c.doc, "people"), "person_id", str(r2, "person_id"));
                json_object_set(x, "certifications", json_object_get(person, "certifications"));
                json_array_append_new(people, x);
            }
            json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:o}", "area", str(a, "area"), "track",
                                                 str(a, "track"), "metric", metric, "units", json_object_get(m, "units"),
                                                 "points", json_object_get(m, "points"), "max",
                                                 json_object_get(m, "max"), "people", people));
        }
    }
    if (c.json) {
        rc = print_json(out);
    } else if (c.csv) {
        static const char *const cols[] = {"area", "track", "metric", "step", "person_id", "counted", "certs_counted",
                                           "certification", "earned", "expires"};
        for (int j = 0; j < 10; j++)
            csv_field(cols[j], j == 9);
        json_array_foreach(out, i, m) {
            json_array_foreach(json_object_get(m, "people"), k, row) {
                char step[16], counted[512] = "";
                snprintf(step, sizeof step, "%lld", (long long)json_integer_value(json_object_get(row, "step")));
                size_t q;
                json_t *cc;
                json_array_foreach(json_object_get(row, "certs_counted"), q, cc) {
                    if (q)
                        strncat(counted, " ", sizeof counted - strlen(counted) - 1);
                    strncat(counted, json_string_value(cc) ? json_string_value(cc) : "", sizeof counted - strlen(counted) - 1);
                }
                json_t *certs = json_object_get(row, "certifications"), *ce;
                size_t z;
                if (!json_array_size(certs))
                    certs = NULL;
                json_array_foreach(certs, z, ce) {
                    const char *f[10] = {str(m, "area"), str(m, "track"), str(m, "metric"), step, str(row, "person_id"),
                                         json_is_true(json_object_get(row, "counted")) ? "true" : "false", counted,
                                         str(ce, "name"), str(ce, "earned"), str(ce, "expires")};
                    for (int j = 0; j < 10; j++)
                        csv_field(f[j], j == 9);
                }
            }
        }
    } else {
        printf("Skilling of %s as of %s\n", c.partner, str(res, "as_of"));
        json_array_foreach(out, i, m) {
            printf("\n%s / %s / %s: %g counted, %.2f of %g points\n", str(m, "area"), str(m, "track"), str(m, "metric"),
                   num(m, "units"), num(m, "points"), num(m, "max"));
            json_array_foreach(json_object_get(m, "people"), k, row) {
                printf("  step %lld  %-14s %-9s", (long long)json_integer_value(json_object_get(row, "step")),
                       str(row, "person_id"), json_is_true(json_object_get(row, "counted")) ? "counted" : "-");
                size_t z;
                json_t *ce;
                json_array_foreach(json_object_get(row, "certifications"), z, ce)
                    printf(" %s (expires %s)", str(ce, "name"), json_is_string(json_object_get(ce, "expires")) ? str(ce, "expires") : "never");
                putchar('\n');
            }
            if (num(m, "points") < num(m, "max"))
                printf("  next points: more certified people (pcs recommend %s lists which certification gives most)\n",
                       c.partner);
        }
    }
    json_decref(out);
    json_decref(res);
    ctx_free(&c);
    return rc;
}

/* ---- pcs recommend --------------------------------------------------------------------------------------- */

/* The document with n new people holding certification cert (earned on day, for a year). */
static json_t *with_people(json_t *doc, const char *cert, int n, int32_t day)
{
    json_t *d = json_deep_copy(doc);
    json_t *people = json_object_get(d, "people");
    char e1[11], e2[11];
    pcs_day_format(day, e1);
    pcs_day_format(pcs_day_add_years(day, 1), e2);
    for (int i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof id, "new-person-%d", i + 1);
        json_array_append_new(people, json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "person_id", id, "certifications", "name",
                                                cert, "earned", e1, "expires", e2));
    }
    return d;
}

int pcs_cmd_recommend(int argc, char **argv)
{
    ctx_t c;
    json_t *cur = NULL;
    int rc = ctx_score(&c, argc, argv, "recommend: usage: pcs recommend PARTNER [--area A] [--as-of D] [--json]", false,
                       &cur);
    if (rc)
        return rc;
    /* candidate actions: 1..3 more people with each catalogue certification that some skilling step
     * of an area counts; each is simulated, and kept when it adds points somewhere */
    json_t *actions = json_array();
    for (int ci = 0; ci < c.rules->n_certs; ci++) {
        bool used = false;
        for (int a = 0; a < PCS_AREA_N && !used; a++)
            for (int t = 0; t < PCS_TRACK_N && !used; t++)
                for (int k = PCS_M_INTERMEDIATE; k <= PCS_M_ADVANCED && !used; k++) {
                    const pcs_metric_t *m = c.rules->areas[a].metrics[t][k];
                    for (int s = 0; m && s < m->n_steps && !used; s++)
                        used = m->steps[s].certs.w[ci / 64] >> (ci % 64) & 1;
                }
        if (!used || c.rules->certs[ci].retired_on != PCS_DAY_NONE)
            continue;
        double best_gain = 0;
        for (int n = 1; n <= 3; n++) {
            json_t *d = with_people(c.doc, c.rules->certs[ci].id, n, c.as_of);
            json_t *sim = score(&c, d, c.as_of, false);
            json_decref(d);
            if (!sim)
                continue;
            json_t *effects = json_array();
            double gain = 0;
            size_t i;
            json_t *a;
            json_array_foreach(json_object_get(sim, "areas"), i, a) {
                json_t *b = find_by(json_object_get(cur, "areas"), "area", str(a, "area"));
                double before = num(b, "score"), after = num(a, "score");
                if (after > before + 0.005) {
                    gain += after - before;
                    json_array_append_new(effects, json_pack("{s:s, s:f, s:f, s:b, s:b}", "area", str(a, "area"), "score_before",
                                                             before, "score_after", after, "qualifies",
                                                             json_is_true(json_object_get(a, "qualified")),
                                                             "qualified_before", json_is_true(json_object_get(b, "qualified"))));
                }
            }
            json_decref(sim);
            /* one more person must add something over the previous count */
            if (gain > best_gain + 0.005) {
                best_gain = gain;
                char text[512];
                snprintf(text, sizeof text, "certify %d more %s in %s", n, n == 1 ? "person" : "people",
                         c.rules->certs[ci].name);
                json_array_append_new(actions, json_pack("{s:s, s:s, s:i, s:f, s:o}", "action", text, "certification",
                                                         c.rules->certs[ci].id, "people", n, "points", gain, "effects",
                                                         effects));
            } else {
                json_decref(effects);
            }
        }
    }
    /* ranked: an action that makes an area qualify first, then by points per person */
    size_t na = json_array_size(actions);
    for (size_t i = 1; i < na; i++)
        for (size_t j = i; j > 0; j--) {
            json_t *x = json_array_get(actions, j - 1), *y = json_array_get(actions, j);
            bool qx = false, qy = false;
            size_t k;
            json_t *e;
            json_array_foreach(json_object_get(x, "effects"), k, e) qx = qx || (json_is_true(json_object_get(e, "qualifies")) && !json_is_true(json_object_get(e, "qualified_before")));
            json_array_foreach(json_object_get(y, "effects"), k, e) qy = qy || (json_is_true(json_object_get(e, "qualifies")) && !json_is_true(json_object_get(e, "qualified_before")));
            double vx = num(x, "points") / (double)json_integer_value(json_object_get(x, "people"));
            double vy = num(y, "points") / (double)json_integer_value(json_object_get(y, "people"));
            if (qy > qx || (qy == qx && vy > vx + 1e-9)) {
                json_incref(x);
                json_array_set(actions, j - 1, y);
                json_array_set_new(actions, j, x);
            } else {
                break;
            }
        }
    json_t *risks = json_array();
    size_t i, k;
    json_t *a, *ev;
    json_array_foreach(json_object_get(cur, "areas"), i, a) {
        json_array_foreach(json_object_get(a, "events"), k, ev) json_array_append(risks, ev);
    }
    if (c.json) {
        json_t *out = json_pack("{s:s, s:O, s:O, s:O}", "partner_id", c.partner, "as_of", json_object_get(cur, "as_of"),
                                "actions", actions, "at_risk", risks);
        rc = print_json(out);
        json_decref(out);
    } else {
        printf("Recommendations for %s as of %s\n\n", c.partner, str(cur, "as_of"));
        json_t *x;
        json_array_foreach(actions, i, x) {
            if (i >= 15)
                break;
            printf("%2zu. %s: +%.2f points", i + 1, str(x, "action"), num(x, "points"));
            json_t *e;
            json_array_foreach(json_object_get(x, "effects"), k, e)
                printf("%s %s %.2f -> %.2f%s", k ? ";" : " (", str(e, "area"), num(e, "score_before"), num(e, "score_after"),
                       json_is_true(json_object_get(e, "qualifies")) && !json_is_true(json_object_get(e, "qualified_before"))
                           ? ", qualifies" : "");
            puts(json_array_size(json_object_get(x, "effects")) ? ")" : "");
        }
        if (!na)
            puts("no certification adds points (skilling is at its maximum or blocked by a prerequisite)");
        printf("\nAt risk:\n");
        json_array_foreach(risks, i, ev)
            printf("  %-8s %-24s %-24s %s\n", str(ev, "severity"), str(ev, "event"), str(ev, "area"), str(ev, "dedup_key"));
        if (!json_array_size(risks))
            puts("  nothing");
    }
    json_decref(actions);
    json_decref(risks);
    json_decref(cur);
    ctx_free(&c);
    return rc;
}

/* ---- pcs forecast ---------------------------------------------------------------------------------------- */

/* The document with each tenant's last data month carried forward to data month `to` (no new data:
 * usage stays as it was, so only what is known changes the score). */
static json_t *carried(json_t *doc, int32_t to)
{
    json_t *d = json_deep_copy(doc), *usage = json_object_get(d, "usage"), *add = json_array();
    /* the latest month of each tenant and workload */
    json_t *last = json_object();
    size_t i;
    json_t *u;
    json_array_foreach(usage, i, u) {
        char key[512];
        snprintf(key, sizeof key, "%s\t%s", str(u, "tenant_id"), str(u, "workload"));
        json_t *prev = json_object_get(last, key);
        if (!prev || strcmp(str(u, "month"), str(prev, "month")) > 0)
            json_object_set(last, key, u);
    }
    const char *key;
    json_t *v;
    json_object_foreach(last, key, v) {
        int32_t m;
        if (pcs_month_parse(str(v, "month"), &m) < 0)
            continue;
        for (int32_t x = m + 1; x <= to; x++) {
            json_t *row = json_deep_copy(v);
            char mb[8];
            json_object_set_new(row, "month", json_string(pcs_month_format(x, mb)));
            json_array_append_new(add, row);
        }
    }
    json_array_extend(usage, add);
    json_decref(add);
    json_decref(last);
    return d;
}

int pcs_cmd_forecast(int argc, char **argv)
{
    ctx_t c;
    int rc = ctx_score(&c, argc, argv, "forecast: usage: pcs forecast PARTNER [--until D] [--area A] [--as-of D] [--json]",
                       false, NULL);
    if (rc)
        return rc;
    const char *until = pcs_cli_opt(argc, argv, "--until");
    int32_t end = c.as_of + 180;
    if (until && pcs_day_parse(until, &end) < 0) {
        ctx_free(&c);
        return usage("--until: expected YYYY-MM-DD, got '%s'", until);
    }
    /* the days that can change a score: the first of each month, the day after a certification's
     * last valid day, and each enrollment anniversary */
    int32_t days[512];
    int n = 0;
    days[n++] = c.as_of;
    for (int32_t m = pcs_month_of_day(c.as_of) + 1; m <= pcs_month_of_day(end) && n < 200; m++)
        days[n++] = pcs_month_first_day(m);
    size_t i, k;
    json_t *p, *ce;
    json_array_foreach(json_object_get(c.doc, "people"), i, p) {
        json_array_foreach(json_object_get(p, "certifications"), k, ce) {
            int32_t x;
            if (json_is_string(json_object_get(ce, "expires")) && pcs_day_parse(str(ce, "expires"), &x) == 0 &&
                x + 1 > c.as_of && x + 1 <= end && n < 500)
                days[n++] = x + 1;
        }
    }
    json_array_foreach(json_object_get(c.doc, "enrollments"), i, p) {
        int32_t x;
        if (pcs_day_parse(str(p, "anniversary"), &x) == 0 && x > c.as_of && x <= end && n < 510)
            days[n++] = x;
    }
    for (int a = 1; a < n; a++)   /* sort, unique */
        for (int b = a; b > 0 && days[b] < days[b - 1]; b--) {
            int32_t t = days[b];
            days[b] = days[b - 1];
            days[b - 1] = t;
        }
    json_t *doc = carried(c.doc, pcs_month_of_day(end) - 1);
    json_t *rows = json_array();
    json_t *prev = NULL;
    for (int d = 0; d < n; d++) {
        if (d && days[d] == days[d - 1])
            continue;
        json_t *res = score(&c, doc, days[d], false);
        if (!res)
            break;
        json_t *a;
        json_array_foreach(json_object_get(res, "areas"), i, a) {
            json_t *b = prev ? find_by(json_object_get(prev, "areas"), "area", str(a, "area")) : NULL;
            /* a row when something changed (and the first day) */
            if (b && fabs(num(a, "score") - num(b, "score")) < 0.005 &&
                json_equal(json_object_get(a, "qualified"), json_object_get(b, "qualified")) &&
                !strcmp(str(a, "status"), str(b, "status")))
                continue;
            char day[11];
            json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:O, s:O, s:s}", "date", pcs_day_format(days[d], day),
                                                  "area", str(a, "area"), "track", str(a, "track"), "score",
                                                  json_object_get(a, "score"), "qualified",
                                                  json_object_get(a, "qualified"), "status", str(a, "status")));
        }
        json_decref(prev);
        prev = res;
    }
    json_decref(prev);
    json_decref(doc);
    if (c.json) {
        rc = print_json(rows);
    } else {
        printf("Forecast for %s from %s (no new data: usage stays at its last month; certifications expire,\n"
               "customers leave the comparison window, anniversaries come). A row when a score changes.\n\n",
               c.partner, pcs_day_format(c.as_of, (char[11]){0}));
        json_t *r;
        json_array_foreach(rows, i, r)
            printf("%s  %-24s %-10s %7.2f  %-3s %s\n", str(r, "date"), str(r, "area"), str(r, "track"), num(r, "score"),
                   json_is_true(json_object_get(r, "qualified")) ? "Q" : "", str(r, "status"));
    }
    json_decref(rows);
    ctx_free(&c);
    return rc;
}

/* ---- pcs trends ------------------------------------------------------------------------------------------ */

int pcs_cmd_trends(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return usage("%s", "trends: usage: pcs trends PARTNER [--area A] [--rules V] [--json|--csv]");
    const char *area = pcs_cli_opt(argc, argv, "--area");
    if (area && pcs_area_index(area) < 0)
        return usage("--area: unknown area '%s'", area);
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect(pcs_cli_conninfo(argc, argv), &err);
    if (!db) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        return 1;
    }
    const char *rs = pcs_cli_opt(argc, argv, "--rules");
    const char *p[3] = {argv[1], rs ? rs : pcs_rules_shipped[0], area};
    PGresult *r;
    /* per data month: the customers with usage in the trailing 12 months, the month's usage, and
     * the best stored score of that month per area (§11.3) */
    int q = pcs_db_query(db,
                         "WITH t AS (SELECT tenant_id FROM customers WHERE partner_id = $1"
                         "   UNION SELECT tenant_id FROM associations WHERE partner_id = $1),"
                         " u AS (SELECT u.month, u.tenant_id, u.acr_cents, u.revenue_cents, u.active_units FROM usage u"
                         "   JOIN t USING (tenant_id)),"
                         " months AS (SELECT DISTINCT month FROM u UNION"
                         "   SELECT DISTINCT (date_trunc('month', as_of) - interval '1 month')::date FROM score_snapshots"
                         "   WHERE partner_id = $1 AND rule_set = $2),"
                         " s AS (SELECT DISTINCT ON (area, cal) area, cal, total, qualified FROM (SELECT area, total, qualified,"
                         "   (date_trunc('month', as_of) - interval '1 month')::date AS cal FROM score_snapshots"
                         "   WHERE partner_id = $1 AND rule_set = $2 AND selected AND ($3::text IS NULL OR area = $3)) x"
                         "   ORDER BY area, cal, total DESC)"
                         " SELECT to_char(m.month, 'YYYY-MM'),"
                         "  (SELECT count(DISTINCT tenant_id) FROM u WHERE u.month > m.month - interval '12 months'"
                         "    AND u.month <= m.month AND (u.acr_cents > 0 OR u.revenue_cents > 0 OR u.active_units > 0)),"
                         "  (SELECT coalesce(sum(acr_cents), 0) / 100.0 FROM u WHERE u.month = m.month)::text,"
                         "  (SELECT coalesce(sum(revenue_cents), 0) / 100.0 FROM u WHERE u.month = m.month)::text,"
                         "  (SELECT coalesce(sum(active_units), 0) FROM u WHERE u.month = m.month),"
                         "  coalesce((SELECT string_agg(area || '=' || round(total::numeric, 2) || CASE WHEN qualified THEN 'Q' ELSE '' END,"
                         "    ' ' ORDER BY area) FROM s WHERE s.cal = m.month), '')"
                         " FROM months m ORDER BY m.month",
                         3, p, &r, &err);
    PQfinish(db);
    if (q < 0) {
        fprintf(stderr, "pcs: %s\n", err.msg);
        return 1;
    }
    bool json = pcs_cli_flag(argc, argv, "--json"), csv = pcs_cli_flag(argc, argv, "--csv");
    json_t *arr = json ? json_array() : NULL;
    if (csv)
        puts("month,customers_ttm,acr_usd,revenue_usd,active_units,scores");
    else if (!json)
        printf("%-8s %13s %14s %14s %12s  %s\n", "month", "customers ttm", "ACR USD", "revenue USD", "active users",
               "stored scores (best of the month)");
    for (int i = 0; i < PQntuples(r); i++) {
        if (json)
            json_array_append_new(arr, json_pack("{s:s, s:I, s:f, s:f, s:I, s:s}", "month", PQgetvalue(r, i, 0),
                                                 "customers_ttm", (json_int_t)atoll(PQgetvalue(r, i, 1)), "acr_usd",
                                                 atof(PQgetvalue(r, i, 2)), "revenue_usd", atof(PQgetvalue(r, i, 3)),
                                                 "active_units", (json_int_t)atoll(PQgetvalue(r, i, 4)), "scores",
                                                 PQgetvalue(r, i, 5)));
        else if (csv)
            printf("%s,%s,%s,%s,%s,%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                   PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
        else
            printf("%-8s %13s %14.2f %14.2f %12s  %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), atof(PQgetvalue(r, i, 2)),
                   atof(PQgetvalue(r, i, 3)), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
    }
    PQclear(r);
    int rc = 0;
    if (json) {
        rc = print_json(arr);
        json_decref(arr);
    }
    return rc;
}

/* ---- pcs rules ------------------------------------------------------------------------------------------- */

static json_t *rules_json(const char *spec)
{
    char path[4096];
    if (pcs_rules_path(spec, path, sizeof path) < 0) {
        usage("rules: unknown rule set '%s' (shipped: pcs-2026, pcs-2023, or a file path)", spec);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        fprintf(stderr, "pcs: %s:%d:%d: %s\n", path, je.line, je.column, je.text);
    return j;
}

/* Every difference between two JSON values, as "path: old -> new" lines. Arrays of objects with an
 * "id" are matched by id, other arrays by position. */
static void diff(const char *path, json_t *a, json_t *b, int *n)
{
    if (json_equal(a, b))
        return;
    char p[1024];
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v) {
            snprintf(p, sizeof p, "%s.%s", path, k);
            diff(p, v, json_object_get(b, k), n);
        }
        json_object_foreach(b, k, v) {
            if (!json_object_get(a, k)) {
                snprintf(p, sizeof p, "%s.%s", path, k);
                diff(p, NULL, v, n);
            }
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b)) {
        bool by_id = json_array_size(a) && json_is_string(json_object_get(json_array_get(a, 0), "id"));
        size_t i, j;
        json_t *x, *y;
        if (by_id) {
            json_array_foreach(a, i, x) {
                snprintf(p, sizeof p, "%s[%s]", path, str(x, "id"));
                diff(p, x, find_by(b, "id", str(x, "id")), n);
            }
            json_array_foreach(b, j, y) {
                if (!find_by(a, "id", str(y, "id"))) {
                    snprintf(p, sizeof p, "%s[%s]", path, str(y, "id"));
                    diff(p, NULL, y, n);
                }
            }
            return;
        }
        bool scalars = true;
        json_array_foreach(a, i, x) scalars = scalars && !json_is_object(x) && !json_is_array(x);
        json_array_foreach(b, i, x) scalars = scalars && !json_is_object(x) && !json_is_array(x);
        if (!scalars) {
            size_t na = json_array_size(a), nb = json_array_size(b);
            for (i = 0; i < (na > nb ? na : nb); i++) {
                snprintf(p, sizeof p, "%s[%zu]", path, i);
                diff(p, json_array_get(a, i), json_array_get(b, i), n);
            }
            return;
        }
        /* a list of names: what was added and removed */
        json_t *added = json_array(), *removed = json_array();
        json_array_foreach(a, i, x) {
            bool found = false;
            json_array_foreach(b, j, y) found = found || json_equal(x, y);
            if (!found)
                json_array_append(removed, x);
        }
        json_array_foreach(b, i, y) {
            bool found = false;
            json_array_foreach(a, j, x) found = found || json_equal(x, y);
            if (!found)
                json_array_append(added, y);
        }
        char *ad = json_dumps(added, JSON_COMPACT), *rm = json_dumps(removed, JSON_COMPACT);
        printf("%s: %s%s%s%s\n", path, json_array_size(removed) ? "removed " : "", json_array_size(removed) ? rm : "",
               json_array_size(removed) && json_array_size(added) ? ", " : "", json_array_size(added) ? "added " : "");
        if (json_array_size(added))
            printf("%*s%s\n", (int)strlen(path) + 2, "", ad);
        free(ad);
        free(rm);
        json_decref(added);
        json_decref(removed);
        (*n)++;
        return;
    }
    char *sa = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *sb = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    printf("%s: %s -> %s\n", path, sa ? sa : "(absent)", sb ? sb : "(absent)");
    free(sa);
    free(sb);
    (*n)++;
}

int pcs_cmd_rules(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "list")) {
        for (int i = 0; i < PCS_RULES_SHIPPED_N; i++) {
            char path[4096];
            pcs_err_t err = {0};
            pcs_rules_t *r = pcs_rules_open(pcs_rules_shipped[i], path, sizeof path, &err);
            printf("%-10s %s%s\n", pcs_rules_shipped[i], r ? path : err.msg, i == 0 ? "  (default)" : "");
            if (r)
                printf("           %d certifications in the catalogue\n", r->n_certs);
            pcs_rules_destroy(&r);
        }
        return 0;
    }
    if (!strcmp(sub, "show") && argc >= 3) {
        char path[4096];
        pcs_err_t err = {0};
        pcs_rules_t *r = pcs_rules_open(argv[2], path, sizeof path, &err);
        if (!r) {
            fprintf(stderr, "pcs: %s: %s\n", path, err.msg);
            return 2;
        }
        printf("Rule set %s (%s)\n", r->name, path);
        for (int a = 0; a < PCS_AREA_N; a++) {
            printf("\n%s\n", pcs_area_ids[a]);
            for (int t = 0; t < PCS_TRACK_N; t++) {
                if (!r->areas[a].has_track[t])
                    continue;
                printf("  track %s\n", pcs_track_ids[t]);
                for (int k = 0; k < PCS_METRIC_N; k++) {
                    const pcs_metric_t *m = r->areas[a].metrics[t][k];
                    if (!m)
                        continue;
                    printf("    %-28s max %-5g", pcs_metric_ids[k], m->max);
                    if (m->n_steps) {
                        printf(" steps:");
                        for (int s = 0; s < m->n_steps; s++) {
                            int nc = 0;
                            for (int ci = 0; ci < r->n_certs; ci++)
                                nc += m->steps[s].certs.w[ci / 64] >> (ci % 64) & 1;
                            printf(" [%d certifications]", nc);
                        }
                    }
                    putchar('\n');
                }
            }
        }
        printf("\ncertifications:\n");
        for (int ci = 0; ci < r->n_certs; ci++) {
            char d1[11], d2[11];
            printf("  %-28s %s%s%s%s%s\n", r->certs[ci].id, r->certs[ci].name,
                   r->certs[ci].retired_on != PCS_DAY_NONE ? ", retired " : "",
                   r->certs[ci].retired_on != PCS_DAY_NONE ? pcs_day_format(r->certs[ci].retired_on, d1) : "",
                   r->certs[ci].eligible_until != PCS_DAY_NONE ? ", eligible until " : "",
                   r->certs[ci].eligible_until != PCS_DAY_NONE ? pcs_day_format(r->certs[ci].eligible_until, d2) : "");
        }
        pcs_rules_destroy(&r);
        return 0;
    }
    if (!strcmp(sub, "diff") && argc >= 4) {
        json_t *a = rules_json(argv[2]), *b = a ? rules_json(argv[3]) : NULL;
        if (!a || !b) {
            json_decref(a);
            return 2;
        }
        printf("--- %s\n+++ %s\n", argv[2], argv[3]);
        int n = 0;
        diff("", a, b, &n);
        printf("%d difference%s\n", n, n == 1 ? "" : "s");
        json_decref(a);
        json_decref(b);
        return 0;
    }
    return usage("%s", "rules: usage: pcs rules list | show VERSION | diff V1 V2");
}
