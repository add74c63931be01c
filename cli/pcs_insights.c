/* pcs_insights: the questions of Partner Center's Insights workspace, answered from pcs's own data on
 * a running stack: which customers counted (eligibility), which people count (skilling), what if
 * (simulate), what next (recommend), what is coming (forecast), how it went (trends), the partner
 * document (export) and the rule sets (rules list | show | diff). The answers are computed by the
 * read model (store/pcs_insight.h); this file only prints them. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_cli.h"
#include "pcs_date.h"
#include "pcs_doc.h"
#include "pcs_file.h"
#include "pcs_insight.h"
#include "pcs_words.h"

#define MAX_INPUT (512u << 20)

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static const char *jtext(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_number(v))
        return pcs_cli_plain(json_number_value(v), buf, n);
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return "";
}

/* The prologue of a command on one partner: rules, store and the insight as of the day. */
typedef struct ctx {
    pcs_rules_t *rules;
    pcs_store_t *store;
    pcs_insight_t *in;
    int32_t day;
    const char *how;
    json_t *changes;            /* pcs simulate: borrowed */
} ctx_t;

static void ctx_close(ctx_t *c)
{
    pcs_insight_destroy(&c->in);
    pcs_store_destroy(&c->store);
    pcs_rules_destroy(&c->rules);
}

static int ctx_open(ctx_t *c, pcs_args_t *a)
{
    memset(c, 0, sizeof *c);
    int rc = 0;
    pcs_err_t err = {0};
    c->day = pcs_cli_today(a, &c->how);
    if (!(c->rules = pcs_cli_rules(a, &rc)))
        return rc;
    if (!(c->store = pcs_cli_store(a))) {
        ctx_close(c);
        return 1;
    }
    if (!(c->in = pcs_insight_open(c->store, c->rules, a->pos[0], c->day, pcs_args_area(a), &err))) {
        ctx_close(c);
        return pcs_cli_err(&err);
    }
    return 0;
}

typedef json_t *(*compute_fn)(ctx_t *c, pcs_args_t *a, pcs_err_t *err);
typedef int (*print_fn)(ctx_t *c, pcs_args_t *a, const json_t *out);

/* The shape of every insight command: open, compute, then --json or the command's own printing. */
static int run(pcs_args_t *a, json_t *changes, compute_fn compute, print_fn print)
{
    ctx_t c;
    int rc = ctx_open(&c, a);
    if (rc)
        return rc;
    c.changes = changes;
    pcs_err_t err = {0};
    json_t *out = compute(&c, a, &err);
    if (!out)
        rc = pcs_cli_err(&err);
    else if (pcs_args_flag(a, "json"))
        rc = pcs_cli_print_json(out);
    else
        rc = print(&c, a, out);
    json_decref(out);
    ctx_close(&c);
    return rc ? rc : fflush(stdout) == 0 ? 0 : 1;
}

static void header(const ctx_t *c, const char *what, const char *partner)
{
    char d[11];
    printf("%s of %s as of %s (%s), computed from the facts of that day, rules %s\n", what, partner,
           pcs_day_format(c->day, d), c->how, c->rules->name);
}

static int emit(pcs_args_t *a, pcs_table_t *t, int indent)
{
    if (pcs_args_flag(a, "csv"))
        pcs_table_csv(t, stdout);
    else
        pcs_table_print(t, stdout, indent);
    return 0;
}

/* ---- pcs export ---------------------------------------------------------------------------------------- */

int pcs_cmd_export(pcs_args_t *a)
{
    pcs_store_t *st = pcs_cli_store(a);
    if (!st)
        return 1;
    pcs_err_t err = {0};
    json_t *doc = pcs_store_facts(st, a->pos[0], pcs_cli_today(a, NULL), &err);
    pcs_store_destroy(&st);
    if (!doc)
        return pcs_cli_err(&err);
    int rc = pcs_cli_print_json(doc);
    json_decref(doc);
    return rc;
}

/* ---- pcs eligibility ------------------------------------------------------------------------------------ */

static json_t *eligibility(ctx_t *c, pcs_args_t *a, pcs_err_t *err)
{
    return pcs_insight_eligibility(c->in, pcs_args_str(a, "customer"), err);
}

static int print_eligibility(ctx_t *cx, pcs_args_t *a, const json_t *out)
{
    ctx_t c = *cx;
    size_t i;
    json_t *row;
    if (pcs_args_flag(a, "csv")) {
        static const char *const cols[] = {"area", "track", "metric", "part", "option", "tenant_id", "customer_id",
                                           "customer_name", "status", "effect", "current_value", "comparison_value",
                                           "criterion"};
        pcs_table_t *t = pcs_table_new(cols, 13);
        json_array_foreach(json_object_get(out, "rows"), i, row) {
            for (int j = 0; j < 13; j++) {
                char b[64];
                pcs_table_cell(t, jtext(json_object_get(row, cols[j]), b, sizeof b), NULL);
            }
        }
        pcs_table_csv(t, stdout);
        pcs_table_destroy(&t);
        return 0;
    }
    header(&c, "Customer eligibility", a->pos[0]);
    printf("Per area, track and metric: each customer's effect on the metric (+1 counts, -1 lost since the\n"
           "comparison period, 0 no effect), the values compared and the rule.\n\n");
    static const char *const scols[] = {"area:Area", "track:Track", "metric:Metric", ">positive:Counted",
                                        ">negative:Lost", ">no_effect:No effect"};
    pcs_table_t *s = pcs_table_new(scols, 6);
    json_array_foreach(json_object_get(out, "summary"), i, row) {
        pcs_table_cell(s, pcs_words_area(str(row, "area")), NULL);
        pcs_table_cell(s, pcs_words_track(str(row, "track")), NULL);
        pcs_table_cell(s, pcs_words_metric(str(row, "metric")), NULL);
        pcs_table_cellf(s, NULL, "%lld", (long long)json_integer_value(json_object_get(row, "positive")));
        pcs_table_cellf(s, NULL, "%lld", (long long)json_integer_value(json_object_get(row, "negative")));
        pcs_table_cellf(s, NULL, "%lld", (long long)json_integer_value(json_object_get(row, "no_effect")));
    }
    pcs_table_print(s, stdout, 0);
    pcs_table_destroy(&s);
    putchar('\n');
    static const char *const cols[] = {"customer:Customer", "tenant_id:Tenant", "part:Part", "status:Status",
                                       ">effect:Effect", ">current_value:Now", ">comparison_value:Compared with",
                                       "criterion:Rule"};
    pcs_table_t *t = pcs_table_new(cols, 8);
    char group[512] = "";
    json_array_foreach(json_object_get(out, "rows"), i, row) {
        char g[512];
        snprintf(g, sizeof g, "%s / %s / %s", pcs_words_area(str(row, "area")), pcs_words_track(str(row, "track")),
                 pcs_words_metric(str(row, "metric")));
        if (strcmp(g, group)) {
            snprintf(group, sizeof group, "%s", g);
            char line[600];
            snprintf(line, sizeof line, "%s%s", pcs_table_rows(t) ? "\n" : "", g);
            pcs_table_group(t, line);
        }
        const char *unit = pcs_words_elig_unit(c.rules, str(row, "area"), str(row, "track"), str(row, "metric"),
                                               json_is_string(json_object_get(row, "part")) ? str(row, "part")
                                                                                            : str(row, "option"));
        bool net = !strcmp(str(row, "metric"), "net_customer_adds") || !strcmp(str(row, "metric"), "deployments");
        char b1[64], b2[64], e[96];
        bool partner_wide = !json_is_string(json_object_get(row, "tenant_id"));
        const char *name = str(row, "customer_name");
        pcs_table_cellf(t, NULL, "%s%s%s%s", partner_wide ? "(the partner)" : *name ? name : str(row, "customer_id"),
                        *name && strcmp(name, str(row, "customer_id")) ? " (" : "",
                        *name && strcmp(name, str(row, "customer_id")) ? str(row, "customer_id") : "",
                        *name && strcmp(name, str(row, "customer_id")) ? ")" : "");
        pcs_table_cell(t, partner_wide ? "" : str(row, "tenant_id"), NULL);
        pcs_table_cell(t, json_is_string(json_object_get(row, "part")) ? str(row, "part") : str(row, "option"), NULL);
        pcs_table_cellf(t, NULL, "%s%s", !strcmp(str(row, "status"), "met") ? "counts"
                                         : !strcmp(str(row, "status"), "not_met") ? "does not count" : "no effect",
                        json_is_true(json_object_get(row, "excluded_already_deployed")) ? " (already deployed)" : "");
        /* a count's effect is +1 / -1; a growth share is an amount in the rule's unit */
        if (net)
            snprintf(e, sizeof e, "%+g", num(row, "effect"));
        else
            snprintf(e, sizeof e, "%s%s", num(row, "effect") > 0 ? "+" : "",
                     pcs_words_amount(num(row, "effect"), unit, (char[64]){0}, 64));
        pcs_table_cell(t, num(row, "effect") == 0 ? "0" : e, NULL);
        const json_t *cv = json_object_get(row, "current_value"), *pv = json_object_get(row, "comparison_value");
        pcs_table_cell(t, json_is_number(cv) ? pcs_words_amount(json_number_value(cv), unit, b1, sizeof b1)
                                             : jtext(cv, b1, sizeof b1), NULL);
        pcs_table_cell(t, json_is_number(pv) ? pcs_words_amount(json_number_value(pv), unit, b2, sizeof b2)
                                             : jtext(pv, b2, sizeof b2), NULL);
        pcs_table_cellf(t, NULL, "%s%s%s", str(row, "criterion"),
                        json_is_string(json_object_get(row, "prerequisite_failed")) ? "; prerequisite not met: " : "",
                        str(row, "prerequisite_failed"));
    }
    pcs_table_print(t, stdout, 2);
    pcs_table_destroy(&t);
    return 0;
}

int pcs_cmd_eligibility(pcs_args_t *a)
{
    return run(a, NULL, eligibility, print_eligibility);
}

/* ---- pcs skilling -------------------------------------------------------------------------------------- */

/* "Azure Administrator Associate (expires 2026-12-01)" for each certification of a person that the
 * step counts, else all of them. */
static void person_certs(const pcs_rules_t *R, const json_t *row, char *buf, size_t n)
{
    size_t i, o = 0;
    json_t *ce;
    buf[0] = '\0';
    json_t *counted = json_object_get(row, "certs_counted");
    json_array_foreach(json_object_get(row, "certifications"), i, ce) {
        int ci = pcs_rules_find_cert(R, str(ce, "name"));
        bool in_step = false;
        size_t k;
        json_t *cc;
        json_array_foreach(counted, k, cc) in_step = in_step || (ci >= 0 && pcs_rules_find_cert(R, json_string_value(cc)) == ci);
        if (json_array_size(counted) && !in_step)
            continue;
        if (o < n - 1)
            o += (size_t)snprintf(buf + o, n - o, "%s%s (%s %s)", o ? "; " : "", pcs_words_cert(R, str(ce, "name")),
                                  json_is_string(json_object_get(ce, "expires")) ? "until" : "no expiry",
                                  str(ce, "expires"));
    }
}

static json_t *skilling(ctx_t *c, pcs_args_t *a, pcs_err_t *err)
{
    (void)a;
    return pcs_insight_skilling(c->in, err);
}

static int print_skilling(ctx_t *cx, pcs_args_t *a, const json_t *out)
{
    ctx_t c = *cx;
    size_t i, k;
    json_t *m, *row;
    if (pcs_args_flag(a, "csv")) {
        static const char *const cols[] = {"area", "track", "metric", "step", "person_id", "counted", "certs_counted",
                                           "certification", "earned", "expires"};
        pcs_table_t *t = pcs_table_new(cols, 10);
        json_array_foreach(out, i, m) {
            json_array_foreach(json_object_get(m, "people"), k, row) {
                char step[16], counted[512] = "";
                snprintf(step, sizeof step, "%lld", (long long)json_integer_value(json_object_get(row, "step")));
                size_t q;
                json_t *cc;
                json_array_foreach(json_object_get(row, "certs_counted"), q, cc) {
                    size_t l = strlen(counted);
                    snprintf(counted + l, sizeof counted - l, "%s%s", q ? " " : "", json_string_value(cc) ? json_string_value(cc) : "");
                }
                size_t z;
                json_t *ce;
                json_array_foreach(json_object_get(row, "certifications"), z, ce) {
                    const char *f[10] = {str(m, "area"), str(m, "track"), str(m, "metric"), step, str(row, "person_id"),
                                         json_is_true(json_object_get(row, "counted")) ? "true" : "false", counted,
                                         str(ce, "name"), str(ce, "earned"), str(ce, "expires")};
                    for (int j = 0; j < 10; j++)
                        pcs_table_cell(t, f[j], NULL);
                }
            }
        }
        pcs_table_csv(t, stdout);
        pcs_table_destroy(&t);
        return 0;
    }
    header(&c, "Skilling", a->pos[0]);
    json_array_foreach(out, i, m) {
        char p1[32], p2[32];
        printf("\n%s / %s track / %s: %s of %s points, %s paid\n", pcs_words_area(str(m, "area")),
               pcs_words_track(str(m, "track")), pcs_words_metric(str(m, "metric")),
               pcs_words_points(num(m, "points"), p1, sizeof p1), pcs_words_number(num(m, "max"), 2, p2, sizeof p2),
               pcs_words_amount(num(m, "units"), "people", (char[64]){0}, 64));
        json_t *st;
        json_array_foreach(json_object_get(m, "steps"), k, st) {
            long long need = json_integer_value(json_object_get(st, "min_people"));
            char names[1024] = "";
            size_t q, o = 0;
            json_t *nm;
            json_array_foreach(json_object_get(st, "certifications"), q, nm) {
                if (o < sizeof names - 1)
                    o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", q ? ", " : "", json_string_value(nm));
            }
            char award[96] = "";
            if (!strcmp(str(st, "award"), "flat"))
                snprintf(award, sizeof award, "; %s points when met", pcs_words_number(num(st, "points"), 2, p1, sizeof p1));
            else if (!strcmp(str(st, "award"), "per_person"))
                snprintf(award, sizeof award, "; %s points per person", pcs_words_number(num(st, "points_per_person"), 2, p1, sizeof p1));
            printf("  Step %lld: %s %lld %s with one of: %s%s. Has %lld: %s\n",
                   (long long)json_integer_value(json_object_get(st, "step")), !strcmp(str(st, "award"), "per_person") ? "at least" : "needs",
                   need, need == 1 ? "person" : "people", names, award,
                   (long long)json_integer_value(json_object_get(st, "valid")),
                   json_is_true(json_object_get(st, "met")) ? "met" : "NOT met");
        }
        if (json_is_string(json_object_get(m, "missing")))
            printf("  Missing: %s\n", str(m, "missing"));
        static const char *const cols[] = {">step:Step", "person_id:Person", "counted:Valid at the day", "certs:Certifications"};
        pcs_table_t *t = pcs_table_new(cols, 4);
        json_array_foreach(json_object_get(m, "people"), k, row) {
            char certs[2048];
            person_certs(c.rules, row, certs, sizeof certs);
            pcs_table_cellf(t, NULL, "%lld", (long long)json_integer_value(json_object_get(row, "step")));
            pcs_table_cell(t, str(row, "person_id"), NULL);
            pcs_table_cell(t, json_is_true(json_object_get(row, "counted")) ? "valid" : "not valid", NULL);
            pcs_table_cell(t, certs, NULL);
        }
        if (pcs_table_rows(t))
            pcs_table_print(t, stdout, 2);
        else
            printf("  nobody holds a certification of these steps\n");
        pcs_table_destroy(&t);
    }
    return 0;
}

int pcs_cmd_skilling(pcs_args_t *a)
{
    return run(a, NULL, skilling, print_skilling);
}

/* ---- pcs simulate (the changes and the side-by-side view) ----------------------------------------------- */

json_t *pcs_cli_changes(pcs_args_t *a, int *rc)
{
    json_t *ch = json_pack("{s:[], s:[], s:[]}", "add_certs", "remove_certs", "add_customers");
    for (int i = 0; ch && i < pcs_args_count(a, "remove-cert"); i++) {
        const char *v = pcs_args_nth(a, "remove-cert", i), *colon = strchr(v, ':');
        if (!colon || colon == v || !colon[1]) {
            *rc = pcs_cli_fail(2, "--remove-cert: expected PERSON:CERT, got '%s'", v);
            json_decref(ch);
            return NULL;
        }
        char person[256];
        snprintf(person, sizeof person, "%.*s", (int)(colon - v), v);
        json_array_append_new(json_object_get(ch, "remove_certs"),
                              json_pack("{s:s, s:s}", "person_id", person, "certification", colon + 1));
    }
    for (int i = 0; ch && i < pcs_args_count(a, "add-cert"); i++) {
        const char *v = pcs_args_nth(a, "add-cert", i), *colon = strchr(v, ':');
        if (!colon || colon == v || !colon[1]) {
            *rc = pcs_cli_fail(2, "--add-cert: expected PERSON:CERT[:EARNED], got '%s'", v);
            json_decref(ch);
            return NULL;
        }
        char person[256], cert[512];
        snprintf(person, sizeof person, "%.*s", (int)(colon - v), v);
        snprintf(cert, sizeof cert, "%s", colon + 1);
        /* a trailing :EARNED is a date when it looks like one (a certification name may hold ':') */
        char *last = strrchr(cert, ':');
        const char *earned = NULL;
        if (last && last[1] && strspn(last + 1, "0123456789-") == strlen(last + 1)) {
            int32_t d;
            if (pcs_day_parse(last + 1, &d) < 0) {
                *rc = pcs_cli_fail(2, "--add-cert: bad date '%s' (expected YYYY-MM-DD)", last + 1);
                json_decref(ch);
                return NULL;
            }
            *last = '\0';
            earned = last + 1;
        }
        json_t *o = json_pack("{s:s, s:s}", "person_id", person, "certification", cert);
        if (earned)
            json_object_set_new(o, "earned", json_string(earned));
        json_array_append_new(json_object_get(ch, "add_certs"), o);
    }
    for (int i = 0; ch && i < pcs_args_count(a, "add-customer"); i++) {
        const char *f = pcs_args_nth(a, "add-customer", i);
        char *text = NULL;
        size_t len;
        pcs_err_t err = {0};
        json_t *frag = NULL;
        if (pcs_file_read(f, MAX_INPUT, &text, &len, &err) < 0 || pcs_doc_parse(text, len, &frag, &err) < 0) {
            if (err.line > 0)
                *rc = pcs_cli_fail(2, "%s:%d:%d: %s", f, err.line, err.column, err.msg);
            else
                *rc = pcs_cli_fail(2, "%s: %s", f, err.msg);
            free(text);
            json_decref(ch);
            return NULL;
        }
        free(text);
        json_array_append_new(json_object_get(ch, "add_customers"), frag);
    }
    if (!ch)
        *rc = 1;
    return ch;
}

int pcs_cli_print_simulation(pcs_args_t *a, const json_t *both, const char *partner)
{
    const json_t *cur = json_object_get(both, "current"), *sim = json_object_get(both, "simulated");
    bool csv = pcs_args_flag(a, "csv");
    if (!csv)
        printf("%s as of %s: current -> simulated (nothing is stored)\n\n", partner, str(cur, "as_of"));
    static const char *const cols[] = {"area:Area", "metric:Metric", ">current:Current", ">simulated:Simulated",
                                       ">change:Change", "note:"};
    pcs_table_t *t = pcs_table_new(cols, 6);
    size_t i, k;
    json_t *s;
    json_array_foreach(json_object_get(sim, "areas"), i, s) {
        json_t *c = json_array_get(json_object_get(cur, "areas"), i);
        bool q0 = json_is_true(json_object_get(c, "qualified")), q1 = json_is_true(json_object_get(s, "qualified"));
        char b0[32], b1[32], d[32];
        double s0 = num(c, "score"), s1 = num(s, "score");
        pcs_table_cell(t, csv ? str(s, "area") : pcs_words_area(str(s, "area")), NULL);
        pcs_table_cell(t, csv ? "" : "score", NULL);
        pcs_table_cell(t, csv ? pcs_cli_plain(s0, b0, sizeof b0) : pcs_words_points(s0, b0, sizeof b0), NULL);
        pcs_table_cell(t, csv ? pcs_cli_plain(s1, b1, sizeof b1) : pcs_words_points(s1, b1, sizeof b1), NULL);
        snprintf(d, sizeof d, "%+.2f", s1 - s0);
        pcs_table_cell(t, fabs(s1 - s0) < 0.005 ? "0" : d, NULL);
        pcs_table_cell(t, q1 != q0 ? (q1 ? "newly qualified" : "no longer qualified") : q1 ? "qualified" : "", NULL);
        json_t *m;
        json_array_foreach(json_object_get(s, "metrics"), k, m) {
            json_t *m0 = json_array_get(json_object_get(c, "metrics"), k);
            double p0 = num(m0, "points"), p1 = num(m, "points");
            pcs_table_cell(t, csv ? str(s, "area") : "", NULL);
            pcs_table_cell(t, csv ? str(m, "metric") : pcs_words_metric(str(m, "metric")), NULL);
            pcs_table_cell(t, csv ? pcs_cli_plain(p0, b0, sizeof b0) : pcs_words_points(p0, b0, sizeof b0), NULL);
            pcs_table_cell(t, csv ? pcs_cli_plain(p1, b1, sizeof b1) : pcs_words_points(p1, b1, sizeof b1), NULL);
            snprintf(d, sizeof d, "%+.2f", p1 - p0);
            pcs_table_cell(t, fabs(p1 - p0) < 0.005 ? "0" : d, NULL);
            pcs_table_cell(t, "", NULL);
        }
    }
    emit(a, t, 2);
    pcs_table_destroy(&t);
    return fflush(stdout) == 0 ? 0 : 1;
}

static json_t *simulate(ctx_t *c, pcs_args_t *a, pcs_err_t *err)
{
    (void)a;
    return pcs_insight_simulate(c->in, c->changes, err);
}

static int print_simulation(ctx_t *c, pcs_args_t *a, const json_t *out)
{
    (void)c;
    return pcs_cli_print_simulation(a, out, a->pos[0]);
}

int pcs_cli_simulate_partner(pcs_args_t *a, json_t *changes)
{
    return run(a, changes, simulate, print_simulation);
}

/* ---- pcs recommend --------------------------------------------------------------------------------------- */

static json_t *recommend(ctx_t *c, pcs_args_t *a, pcs_err_t *err)
{
    (void)a;
    return pcs_insight_recommend(c->in, err);
}

static int print_recommend(ctx_t *cx, pcs_args_t *a, const json_t *out)
{
    ctx_t c = *cx;
    bool csv = pcs_args_flag(a, "csv");
    static const char *const cols[] = {">rank:#", "kind:Kind", "action:Action", ">points:Points", "effect:Effect",
                                       "deadline:Deadline"};
    pcs_table_t *t = pcs_table_new(cols, 6);
    size_t i, k;
    json_t *x, *e;
    json_array_foreach(json_object_get(out, "actions"), i, x) {
        if (!csv && i >= 15)
            break;
        char eff[1024] = "", b[32];
        size_t o = 0;
        json_array_foreach(json_object_get(x, "effects"), k, e) {
            char s0[32], s1[32];
            bool flips = json_is_true(json_object_get(e, "qualifies")) != json_is_true(json_object_get(e, "qualified_before"));
            if (o < sizeof eff - 1)
                o += (size_t)snprintf(eff + o, sizeof eff - o, "%s%s %s -> %s%s", k ? "; " : "",
                                      csv ? str(e, "area") : pcs_words_area(str(e, "area")),
                                      pcs_words_points(num(e, "score_before"), s0, sizeof s0),
                                      pcs_words_points(num(e, "score_after"), s1, sizeof s1),
                                      !flips ? "" : !strcmp(str(x, "kind"), "renew") ? " (keeps the designation)" : " (qualifies)");
        }
        pcs_table_cellf(t, NULL, "%zu", i + 1);
        pcs_table_cell(t, str(x, "kind"), NULL);
        pcs_table_cell(t, str(x, "action"), NULL);
        pcs_table_cellf(t, pcs_cli_plain(num(x, "points"), b, sizeof b), "+%s", pcs_words_points(num(x, "points"), (char[32]){0}, 32));
        pcs_table_cell(t, eff, NULL);
        if (json_is_string(json_object_get(x, "deadline")))
            pcs_table_cellf(t, str(x, "deadline"), "%s (%lld days)", str(x, "deadline"),
                            (long long)json_integer_value(json_object_get(x, "days_left")));
        else
            pcs_table_cell(t, "", NULL);
    }
    if (csv) {
        pcs_table_csv(t, stdout);
        pcs_table_destroy(&t);
        return 0;
    }
    header(&c, "Recommendations", a->pos[0]);
    printf("Ranked: what wins or keeps a designation first, then renewals by urgency, then points per person.\n\n");
    if (pcs_table_rows(t))
        pcs_table_print(t, stdout, 0);
    else
        puts("No action adds points (skilling is at its maximum or blocked by a prerequisite).");
    pcs_table_destroy(&t);
    printf("\nAt risk:\n");
    json_array_foreach(json_object_get(out, "at_risk"), i, e)
        printf("  %-8s %s\n", str(e, "severity"), str(e, "text"));
    if (!json_array_size(json_object_get(out, "at_risk")))
        puts("  nothing");
    return 0;
}

int pcs_cmd_recommend(pcs_args_t *a)
{
    return run(a, NULL, recommend, print_recommend);
}

/* ---- pcs forecast ---------------------------------------------------------------------------------------- */

static int32_t until_of(const ctx_t *c, pcs_args_t *a)
{
    int32_t until = pcs_args_day(a, "until");
    return until == PCS_DAY_NONE ? c->day + 180 : until;
}

static json_t *forecast(ctx_t *c, pcs_args_t *a, pcs_err_t *err)
{
    int32_t until = until_of(c, a);
    char d[11];
    if (until < c->day) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "--until: %s is before the first day %s", pcs_args_str(a, "until"),
                    pcs_day_format(c->day, d));
        return NULL;
    }
    return pcs_insight_forecast(c->in, until, err);
}

static int print_forecast(ctx_t *cx, pcs_args_t *a, const json_t *rows)
{
    ctx_t c = *cx;
    int32_t until = until_of(cx, a);
    bool csv = pcs_args_flag(a, "csv");
    static const char *const cols[] = {"date:Date", "area:Area", "track:Track", ">score:Score", "qualified:Qualified that day",
                                       "status:Status (renewal window)", "reason:Why it changes"};
    pcs_table_t *t = pcs_table_new(cols, 7);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        char b[32];
        pcs_table_cell(t, str(r, "date"), NULL);
        pcs_table_cell(t, csv ? str(r, "area") : pcs_words_area(str(r, "area")), NULL);
        pcs_table_cell(t, csv ? str(r, "track") : pcs_words_track(str(r, "track")), NULL);
        pcs_table_cell(t, pcs_words_points(num(r, "score"), b, sizeof b), pcs_cli_plain(num(r, "score"), (char[32]){0}, 32));
        pcs_table_cell(t, json_is_true(json_object_get(r, "qualified")) ? (csv ? "true" : "yes") : (csv ? "false" : "no"), NULL);
        pcs_table_cell(t, csv ? str(r, "status") : pcs_words_status(str(r, "status")), NULL);
        pcs_table_cell(t, str(r, "reason"), NULL);
    }
    if (!csv) {
        char d[11];
        printf("Forecast of %s from %s (%s) to %s, rules %s\n", a->pos[0], pcs_day_format(c.day, d), c.how,
               pcs_day_format(until, (char[11]){0}), c.rules->name);
        printf("No new data: usage stays at its last month; certifications expire, customers leave the comparison\n"
               "window, anniversaries come. A row on the first day and whenever a score changes.\n\n");
    }
    emit(a, t, 0);
    pcs_table_destroy(&t);
    return 0;
}

int pcs_cmd_forecast(pcs_args_t *a)
{
    return run(a, NULL, forecast, print_forecast);
}

/* ---- pcs trends ------------------------------------------------------------------------------------------ */

int pcs_cmd_trends(pcs_args_t *a)
{
    pcs_store_t *st = NULL;
    int rc = pcs_cli_store_for(a, a->pos[0], &st);
    if (rc)
        return rc;
    const char *rules = pcs_args_str(a, "rules") ? pcs_args_str(a, "rules") : pcs_rules_shipped[0];
    pcs_err_t err = {0};
    json_t *rows = pcs_store_trends(st, a->pos[0], rules, pcs_args_area(a), pcs_args_day(a, "as-of"), &err);
    pcs_store_destroy(&st);
    if (!rows)
        return pcs_cli_err(&err);
    if (pcs_args_flag(a, "json")) {
        rc = pcs_cli_print_json(rows);
        json_decref(rows);
        return rc;
    }
    bool csv = pcs_args_flag(a, "csv");
    int area = pcs_args_area(a);
    char titles[5 + PCS_AREA_N][96];
    const char *cols[5 + PCS_AREA_N];
    int nc = 0;
    snprintf(titles[nc++], sizeof titles[0], "month:Data month");
    snprintf(titles[nc++], sizeof titles[0], ">customers_ttm:Customers (12 months)");
    snprintf(titles[nc++], sizeof titles[0], ">acr_usd:Azure consumed revenue");
    snprintf(titles[nc++], sizeof titles[0], ">revenue_usd:Billed revenue");
    snprintf(titles[nc++], sizeof titles[0], ">active_units:Active users");
    nc = pcs_cli_area_columns(titles, cols, nc, area);
    pcs_table_t *t = pcs_table_new(cols, nc);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        pcs_table_cell(t, str(r, "month"), NULL);
        pcs_table_num(t, num(r, "customers_ttm"), "customers");
        pcs_table_num(t, num(r, "acr_usd"), "USD");
        pcs_table_num(t, num(r, "revenue_usd"), "USD");
        pcs_table_num(t, num(r, "active_units"), "users");
        for (int k = 0; k < PCS_AREA_N; k++) {
            if (area >= 0 && area != k)
                continue;
            json_t *s = json_object_get(json_object_get(r, "scores"), pcs_area_ids[k]);
            char b[32], p[32];
            if (!s)
                pcs_table_cell(t, csv ? "" : "-", NULL);
            else
                pcs_table_cellf(t, pcs_cli_plain(num(s, "score"), p, sizeof p), "%s%s",
                                pcs_words_points(num(s, "score"), b, sizeof b),
                                json_is_true(json_object_get(s, "qualified")) ? " qualified" : "");
        }
    }
    if (!csv)
        printf("Trends of %s (rules %s): per data month the customers with usage in the 12 months to it, the\n"
               "month's usage, and the best stored score of each area (scoring.md 11.3).\n\n", a->pos[0], rules);
    emit(a, t, 0);
    pcs_table_destroy(&t);
    json_decref(rows);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- pcs rules ------------------------------------------------------------------------------------------- */

static json_t *rules_json(const char *spec, int *rc)
{
    char path[4096];
    if (pcs_rules_path(spec, path, sizeof path) < 0) {
        *rc = pcs_cli_fail(2, "rules: unknown rule set '%s' (shipped: pcs-2026, pcs-2023, or a file path)", spec);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        *rc = pcs_cli_fail(2, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    return j;
}

static const char *find_id(const json_t *arr, const json_t *x)
{
    return json_string_value(json_object_get(x, "id")) ? json_string_value(json_object_get(x, "id")) : "";
}

static json_t *find_by_id(const json_t *arr, const char *id)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        if (!strcmp(str(x, "id"), id))
            return x;
    }
    return NULL;
}

/* Every difference between two JSON values, appended to out as {path, old, new} (absent: null) or,
 * for lists of names, {path, removed, added}. Arrays of objects with an "id" are matched by id,
 * other arrays by position. */
static void diff(const char *path, const json_t *a, const json_t *b, json_t *out)
{
    if (json_equal(a, b))
        return;
    char p[1024];
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            snprintf(p, sizeof p, "%s.%s", path, k);
            diff(p, v, json_object_get(b, k), out);
        }
        json_object_foreach((json_t *)b, k, v) {
            if (!json_object_get(a, k)) {
                snprintf(p, sizeof p, "%s.%s", path, k);
                diff(p, NULL, v, out);
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
                snprintf(p, sizeof p, "%s[%s]", path, find_id(a, x));
                diff(p, x, find_by_id(b, find_id(a, x)), out);
            }
            json_array_foreach(b, j, y) {
                if (!find_by_id(a, find_id(b, y))) {
                    snprintf(p, sizeof p, "%s[%s]", path, find_id(b, y));
                    diff(p, NULL, y, out);
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
                diff(p, json_array_get(a, i), json_array_get(b, i), out);
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
        json_array_append_new(out, json_pack("{s:s, s:o, s:o}", "path", path, "removed", removed, "added", added));
        return;
    }
    json_array_append_new(out, json_pack("{s:s, s:O?, s:O?}", "path", path, "old", a, "new", b));
}

/* A step's requirement in words: "2 people with one of: A, B". */
static json_t *step_json(const pcs_rules_t *r, const pcs_step_t *st, int s)
{
    json_t *names = json_array(), *req = json_array();
    for (int ci = 0; ci < r->n_certs; ci++)
        if (st->certs.w[ci / 64] >> (ci % 64) & 1)
            json_array_append_new(names, json_string(r->certs[ci].name));
    for (int q = 0; q < 32; q++)
        if (st->requires >> q & 1)
            json_array_append_new(req, json_integer(q + 1));
    json_t *o = json_pack("{s:i, s:i, s:s, s:o, s:o}", "step", s + 1, "min_people", st->min_people, "award",
                          st->award == PCS_AW_FLAT ? "flat" : st->award == PCS_AW_PER_PERSON ? "per_person" : "none",
                          "certifications", names, "requires_steps", req);
    if (st->award == PCS_AW_FLAT)
        json_object_set_new(o, "points", json_real(st->flat));
    if (st->award == PCS_AW_PER_PERSON)
        json_object_set_new(o, "points_per_person", json_real(st->num / st->den));
    return o;
}

static json_t *rules_show_json(const pcs_rules_t *r, const char *path)
{
    json_t *areas = json_array();
    for (int a = 0; a < PCS_AREA_N; a++) {
        json_t *tracks = json_array();
        for (int t = 0; t < PCS_TRACK_N; t++) {
            if (!r->areas[a].has_track[t])
                continue;
            json_t *ms = json_array();
            for (int k = 0; k < PCS_METRIC_N; k++) {
                const pcs_metric_t *m = r->areas[a].metrics[t][k];
                if (!m)
                    continue;
                const char *unit = pcs_words_unit(r, pcs_area_ids[a], pcs_track_ids[t], pcs_metric_ids[k], NULL);
                json_t *o = json_pack("{s:s, s:s, s:f, s:s}", "metric", pcs_metric_ids[k], "name",
                                      pcs_words_metric(pcs_metric_ids[k]), "max", m->max, "unit", unit);
                double full = pcs_words_full_at(r, pcs_area_ids[a], pcs_track_ids[t], pcs_metric_ids[k], NULL);
                if (full > 0)
                    json_object_set_new(o, "full_points_at", json_real(full));
                if (m->n_steps) {
                    json_t *steps = json_array();
                    for (int s = 0; s < m->n_steps; s++)
                        json_array_append_new(steps, step_json(r, &m->steps[s], s));
                    json_object_set_new(o, "steps", steps);
                }
                if (m->n_subs) {
                    json_t *subs = json_array();
                    for (int s = 0; s < m->n_subs; s++) {
                        const char *nm = m->subs[s].name ? m->subs[s].name : "";
                        json_t *so = json_pack("{s:s, s:f, s:s}", "name", nm, "max", m->subs[s].max, "unit",
                                               pcs_words_unit(r, pcs_area_ids[a], pcs_track_ids[t], pcs_metric_ids[k], nm));
                        double f = pcs_words_full_at(r, pcs_area_ids[a], pcs_track_ids[t], pcs_metric_ids[k], nm);
                        if (f > 0)
                            json_object_set_new(so, "full_points_at", json_real(f));
                        json_array_append_new(subs, so);
                    }
                    json_object_set_new(o, m->kind == PCS_K_PARTS ? "parts" : "options", subs);
                }
                json_array_append_new(ms, o);
            }
            json_array_append_new(tracks, json_pack("{s:s, s:o}", "track", pcs_track_ids[t], "metrics", ms));
        }
        json_array_append_new(areas, json_pack("{s:s, s:s, s:o}", "area", pcs_area_ids[a], "name",
                                               pcs_words_area(pcs_area_ids[a]), "tracks", tracks));
    }
    json_t *certs = json_array();
    for (int ci = 0; ci < r->n_certs; ci++) {
        char d1[11], d2[11];
        const pcs_cert_entry_t *c = &r->certs[ci];
        json_array_append_new(certs, json_pack("{s:s, s:s, s:s?, s:s?}", "id", c->id, "name", c->name, "retired_on",
                                               c->retired_on != PCS_DAY_NONE ? pcs_day_format(c->retired_on, d1) : NULL,
                                               "eligible_until",
                                               c->eligible_until != PCS_DAY_NONE ? pcs_day_format(c->eligible_until, d2) : NULL));
    }
    return json_pack("{s:s, s:s, s:o, s:o}", "rule_set", r->name, "path", path, "areas", areas, "certifications", certs);
}

static void print_rules_show(const json_t *j)
{
    printf("Rule set %s (%s)\n", str(j, "rule_set"), str(j, "path"));
    size_t i, k, q, s;
    json_t *a, *t, *m, *st;
    json_array_foreach(json_object_get(j, "areas"), i, a) {
        printf("\n%s (%s)\n", str(a, "name"), str(a, "area"));
        json_array_foreach(json_object_get(a, "tracks"), k, t) {
            printf("  %s track\n", pcs_words_track(str(t, "track")));
            json_array_foreach(json_object_get(t, "metrics"), q, m) {
                char mx[32], fa[64];
                printf("    %s: up to %s points", str(m, "name"), pcs_words_number(num(m, "max"), 2, mx, sizeof mx));
                if (json_object_get(m, "full_points_at"))
                    printf(", full at %s", pcs_words_amount(num(m, "full_points_at"), str(m, "unit"), fa, sizeof fa));
                putchar('\n');
                json_t *subs = json_object_get(m, "parts") ? json_object_get(m, "parts") : json_object_get(m, "options");
                json_array_foreach(subs, s, st) {
                    printf("      %s %s: up to %s points", json_object_get(m, "parts") ? "part" : "option", str(st, "name"),
                           pcs_words_number(num(st, "max"), 2, mx, sizeof mx));
                    if (json_object_get(st, "full_points_at"))
                        printf(", full at %s", pcs_words_amount(num(st, "full_points_at"), str(st, "unit"), fa, sizeof fa));
                    putchar('\n');
                }
                json_array_foreach(json_object_get(m, "steps"), s, st) {
                    long long need = json_integer_value(json_object_get(st, "min_people"));
                    printf("      step %lld: %lld %s with one of: ", (long long)json_integer_value(json_object_get(st, "step")),
                           need, need == 1 ? "person" : "people");
                    size_t z;
                    json_t *nm;
                    json_array_foreach(json_object_get(st, "certifications"), z, nm)
                        printf("%s%s", z ? ", " : "", json_string_value(nm));
                    if (!strcmp(str(st, "award"), "flat"))
                        printf("; %s points", pcs_words_number(num(st, "points"), 2, mx, sizeof mx));
                    else if (!strcmp(str(st, "award"), "per_person"))
                        printf("; %s points per person", pcs_words_number(num(st, "points_per_person"), 2, mx, sizeof mx));
                    else
                        printf("; a gate (no points of its own)");
                    if (json_array_size(json_object_get(st, "requires_steps"))) {
                        printf("; only when step");
                        json_array_foreach(json_object_get(st, "requires_steps"), z, nm)
                            printf("%s %lld", z ? " and" : "", (long long)json_integer_value(nm));
                        printf(" %s met", json_array_size(json_object_get(st, "requires_steps")) > 1 ? "are" : "is");
                    }
                    putchar('\n');
                }
            }
        }
    }
    printf("\nCertifications:\n");
    json_array_foreach(json_object_get(j, "certifications"), i, a)
        printf("  %-28s %s%s%s%s%s\n", str(a, "id"), str(a, "name"), json_object_get(a, "retired_on") ? ", retired " : "",
               str(a, "retired_on"), json_object_get(a, "eligible_until") ? ", eligible until " : "", str(a, "eligible_until"));
}

int pcs_cmd_rules(pcs_args_t *a)
{
    const char *sub = a->pos[0];
    bool json = pcs_args_flag(a, "json"), csv = pcs_args_flag(a, "csv");
    int rc = 0;
    if (!strcmp(sub, "list") && a->npos == 1) {
        json_t *arr = json_array();
        for (int i = 0; i < PCS_RULES_SHIPPED_N; i++) {
            char path[4096];
            pcs_err_t err = {0};
            pcs_rules_t *r = pcs_rules_open(pcs_rules_shipped[i], path, sizeof path, &err);
            json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:i, s:s?}", "rule_set", pcs_rules_shipped[i], "path", path,
                                                 "default", i == 0, "certifications", r ? r->n_certs : 0, "error",
                                                 r ? NULL : err.msg));
            pcs_rules_destroy(&r);
        }
        if (json) {
            rc = pcs_cli_print_json(arr);
        } else {
            static const char *const cols[] = {"rule_set:Rule set", "default:Default", ">certifications:Certifications",
                                               "path:File"};
            pcs_table_t *t = pcs_table_new(cols, 4);
            size_t i;
            json_t *x;
            json_array_foreach(arr, i, x) {
                pcs_table_cell(t, str(x, "rule_set"), NULL);
                pcs_table_cell(t, json_is_true(json_object_get(x, "default")) ? "(default)" : "",
                               json_is_true(json_object_get(x, "default")) ? "true" : "false");
                pcs_table_cellf(t, NULL, "%lld", (long long)json_integer_value(json_object_get(x, "certifications")));
                pcs_table_cell(t, json_object_get(x, "error") ? str(x, "error") : str(x, "path"), NULL);
            }
            emit(a, t, 0);
            pcs_table_destroy(&t);
        }
        json_decref(arr);
        return rc;
    }
    if (!strcmp(sub, "show") && a->npos == 2) {
        char path[4096];
        pcs_err_t err = {0};
        pcs_rules_t *r = pcs_rules_open(a->pos[1], path, sizeof path, &err);
        if (!r) {
            if (pcs_rules_path(a->pos[1], path, sizeof path) < 0)
                return pcs_cli_fail(2, "rules: unknown rule set '%s' (shipped: pcs-2026, pcs-2023, or a file path)", a->pos[1]);
            return pcs_cli_fail(2, "%s: %s", path, err.msg);
        }
        json_t *j = rules_show_json(r, path);
        if (json) {
            rc = pcs_cli_print_json(j);
        } else if (csv) {
            static const char *const cols[] = {"area", "track", "metric", "part", "max", "unit", "full_points_at", "step",
                                               "min_people", "award", "points", "requires_steps", "certifications"};
            pcs_table_t *t = pcs_table_new(cols, 13);
            size_t i, k, q, s;
            json_t *ar, *tr, *m, *st;
            json_array_foreach(json_object_get(j, "areas"), i, ar) json_array_foreach(json_object_get(ar, "tracks"), k, tr)
                json_array_foreach(json_object_get(tr, "metrics"), q, m) {
                char b[32], b2[32];
                const char *cells[13] = {str(ar, "area"), str(tr, "track"), str(m, "metric"), "",
                                         pcs_cli_plain(num(m, "max"), b, sizeof b), str(m, "unit"),
                                         json_object_get(m, "full_points_at") ? pcs_cli_plain(num(m, "full_points_at"), b2, sizeof b2) : "",
                                         "", "", "", "", "", ""};
                for (int z = 0; z < 13; z++)
                    pcs_table_cell(t, cells[z], NULL);
                json_array_foreach(json_object_get(m, "steps"), s, st) {
                    char sn[16], mp[16], pt[32], rq[64] = "", names[4096] = "";
                    size_t z, o = 0;
                    json_t *nm;
                    snprintf(sn, sizeof sn, "%lld", (long long)json_integer_value(json_object_get(st, "step")));
                    snprintf(mp, sizeof mp, "%lld", (long long)json_integer_value(json_object_get(st, "min_people")));
                    pcs_cli_plain(json_object_get(st, "points") ? num(st, "points") : num(st, "points_per_person"), pt, sizeof pt);
                    json_array_foreach(json_object_get(st, "requires_steps"), z, nm) {
                        size_t l = strlen(rq);
                        snprintf(rq + l, sizeof rq - l, "%s%lld", z ? " " : "", (long long)json_integer_value(nm));
                    }
                    json_array_foreach(json_object_get(st, "certifications"), z, nm) {
                        if (o < sizeof names - 1)
                            o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", z ? "; " : "", json_string_value(nm));
                    }
                    const char *c2[13] = {str(ar, "area"), str(tr, "track"), str(m, "metric"), "", "", "people", "", sn, mp,
                                          str(st, "award"), strcmp(str(st, "award"), "none") ? pt : "", rq, names};
                    for (int y = 0; y < 13; y++)
                        pcs_table_cell(t, c2[y], NULL);
                }
            }
            pcs_table_csv(t, stdout);
            pcs_table_destroy(&t);
        } else {
            print_rules_show(j);
        }
        json_decref(j);
        pcs_rules_destroy(&r);
        return rc;
    }
    if (!strcmp(sub, "diff") && a->npos == 3) {
        json_t *x = rules_json(a->pos[1], &rc), *y = x ? rules_json(a->pos[2], &rc) : NULL;
        if (!x || !y) {
            json_decref(x);
            return rc;
        }
        json_t *out = json_array();
        diff("", x, y, out);
        if (json) {
            json_t *o = json_pack("{s:s, s:s, s:O}", "from", a->pos[1], "to", a->pos[2], "differences", out);
            rc = pcs_cli_print_json(o);
            json_decref(o);
        } else if (csv) {
            static const char *const cols[] = {"path", "old", "new", "removed", "added"};
            pcs_table_t *t = pcs_table_new(cols, 5);
            size_t i;
            json_t *d;
            json_array_foreach(out, i, d) {
                for (int k = 0; k < 5; k++) {
                    json_t *v = json_object_get(d, cols[k]);
                    char *s = json_is_string(v) ? strdup(json_string_value(v)) : v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
                    pcs_table_cell(t, s ? s : "", NULL);
                    free(s);
                }
            }
            pcs_table_csv(t, stdout);
            pcs_table_destroy(&t);
        } else {
            printf("--- %s\n+++ %s\n", a->pos[1], a->pos[2]);
            size_t i;
            json_t *d;
            json_array_foreach(out, i, d) {
                if (json_object_get(d, "added")) {
                    char *ad = json_dumps(json_object_get(d, "added"), JSON_COMPACT);
                    char *rm = json_dumps(json_object_get(d, "removed"), JSON_COMPACT);
                    bool r1 = json_array_size(json_object_get(d, "removed")), a1 = json_array_size(json_object_get(d, "added"));
                    printf("%s: %s%s%s%s\n", str(d, "path"), r1 ? "removed " : "", r1 ? rm : "", r1 && a1 ? ", " : "",
                           a1 ? "added " : "");
                    if (a1)
                        printf("%*s%s\n", (int)strlen(str(d, "path")) + 2, "", ad);
                    free(ad);
                    free(rm);
                } else {
                    json_t *o = json_object_get(d, "old"), *n = json_object_get(d, "new");
                    char *so = o ? json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
                    char *sn = n ? json_dumps(n, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
                    printf("%s: %s -> %s\n", str(d, "path"), so ? so : "(absent)", sn ? sn : "(absent)");
                    free(so);
                    free(sn);
                }
            }
            printf("%zu difference%s\n", json_array_size(out), json_array_size(out) == 1 ? "" : "s");
        }
        json_decref(out);
        json_decref(x);
        json_decref(y);
        return rc;
    }
    return pcs_cli_fail(2, "rules: usage: pcs rules list | show VERSION | diff V1 V2");
}
