/* Engine behaviour through the public API (scoring.md §1–§7, §11, §17), one rule per test.
 *
 * Each test builds a small rule set whose subject is area data_ai (index 0); the other five
 * areas are empty fillers. The inline JSON uses single quotes, turned into double quotes when
 * loaded. Unless a test says otherwise, D = 2025-07-10, so the data month M = 2025-06,
 * M-12 = 2024-06, TTM(M) = 2024-07..2025-06 and TTM(M-12) = 2023-07..2024-06. Every expected
 * number is worked out by hand in a comment next to the check. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_engine.h"
#include "pcs_err.h"
#include "pcs_rules.h"

/* ---- rule-set building ---------------------------------------------------------------------- */

#define NUL "null"
#define TRACK5(nca, inter, adv, gr, dep)                                                                     \
    "{'metrics': {'net_customer_adds': " nca ", 'intermediate_certifications': " inter                      \
    ", 'advanced_certifications': " adv ", 'usage_growth': " gr ", 'deployments': " dep "}}"
#define EMPTY_TRACK TRACK5(NUL, NUL, NUL, NUL, NUL)
#define FIXED(track) "{'track_rule': {'kind': 'fixed', 'track': 'enterprise'}, 'tracks': {'enterprise': " track "}}"
#define FILLER FIXED(EMPTY_TRACK)
#define SRC(ws, types) "[{'workloads': '" ws "', 'types': [" types "]}]"

/* per_person step over the given certs, paying num/den each, capped at max */
#define PP(certs, num, den, max)                                                                            \
    "{'kind': 'cert_steps', 'max': " #max ", 'steps': [{'certs': [" certs "], 'min_people': 1, "           \
    "'award': {'per_person': [" #num ", " #den "]}}]}"

static const char CATALOGUE[] =
    "'catalogue': ["
    "{'id': 'c_a', 'name': 'Cert A Associate'},"
    "{'id': 'c_b', 'name': 'Cert B Associate'},"
    "{'id': 'c_c', 'name': 'Cert C Expert', 'aliases': ['Cert C Old Name']},"
    "{'id': 'c_d', 'name': 'Cert D Specialty'},"
    "{'id': 'c_ret', 'name': 'Retired Cert', 'retired_on': '2025-06-30', 'eligible_until': '2026-06-30'},"
    "{'id': 'c_until', 'name': 'Dropped Cert', 'eligible_until': '2025-07-09'}],"
    "'workload_sets': {'az': ['azure/*'], 'mw': ['m365/teams', 'm365/intune'],"
    " 'ba': ['bizapps/sales', 'bizapps/finance', 'bizapps/hr', 'bizapps/field_service',"
    " 'bizapps/customer_service', 'bizapps/project_operations'], 'fam': ['fam/*']},"
    "'rates': {'bizapps/sales': 20000},";

static pcs_rules_t *rules_for(const char *area0)
{
    size_t n = strlen(area0) + strlen(CATALOGUE) + 8 * sizeof FILLER + 512;
    char *text = malloc(n);
    cr_assert_not_null(text);
    snprintf(text, n,
             "{'rule_set': 'unit-engine', %s 'areas': {'data_ai': %s, 'infrastructure': %s, "
             "'digital_app_innovation': %s, 'business_applications': %s, 'modern_work': %s, 'security': %s}}",
             CATALOGUE, area0, FILLER, FILLER, FILLER, FILLER, FILLER);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_load(text, strlen(text), &err);
    cr_assert_not_null(r, "test rule set rejected: %d:%d: %s\n%s", err.line, err.column, err.msg, text);
    free(text);
    return r;
}

/* ---- engine fixture ----------------------------------------------------------------------------- */

typedef struct {
    pcs_rules_t *r;
    pcs_engine_t *e;
    bool own_rules;
} fx_t;

static void fx_begin(fx_t *f)
{
    pcs_err_t err = {0};
    cr_assert_eq(pcs_engine_begin(f->e, "P1", &err), 0, "%s", err.msg);
}

static void fx_with(fx_t *f, pcs_rules_t *r, bool own)
{
    f->r = r;
    f->own_rules = own;
    f->e = pcs_engine_new(f->r);
    cr_assert_not_null(f->e);
    fx_begin(f);
}

static void fx_init(fx_t *f, const char *area0)
{
    fx_with(f, rules_for(area0), true);
}

static void fx_free(fx_t *f)
{
    pcs_engine_destroy(&f->e);
    if (f->own_rules)
        pcs_rules_destroy(&f->r);
}

static int32_t day(const char *s)
{
    int32_t d;
    cr_assert_eq(pcs_day_parse(s, &d), 0, "bad day %s", s);
    return d;
}

static int32_t mon(const char *s)
{
    int32_t m;
    cr_assert_eq(pcs_month_parse(s, &m), 0, "bad month %s", s);
    return m;
}

static void cust(fx_t *f, const char *tenant, const char *customer, bool smb)
{
    pcs_err_t err = {0};
    cr_assert_eq(pcs_engine_add_customer(f->e, tenant, customer, smb, &err), 0, "%s", err.msg);
}

static void assoc(fx_t *f, const char *tenant, pcs_assoc_type_t type, const char *wl, const char *start,
                  const char *end)
{
    pcs_err_t err = {0};
    cr_assert_eq(pcs_engine_add_association(f->e, tenant, type, wl, day(start), end ? day(end) : PCS_DAY_NONE, &err),
                 0, "%s", err.msg);
}

/* an association of type `type` on every workload, open since 2020 */
static void assoc_all(fx_t *f, const char *tenant, pcs_assoc_type_t type)
{
    assoc(f, tenant, type, "*", "2020-01-01", NULL);
}

static void use(fx_t *f, const char *tenant, const char *wl, const char *month, double acr, double rev, double paid,
                double active)
{
    pcs_err_t err = {0};
    cr_assert_eq(pcs_engine_add_usage(f->e, tenant, wl, mon(month), acr, rev, paid, active, &err), 0, "%s", err.msg);
}

static void acr(fx_t *f, const char *tenant, const char *wl, const char *month, double usd)
{
    use(f, tenant, wl, month, usd, 0, 0, 0);
}

static void seats(fx_t *f, const char *tenant, const char *wl, const char *month, double paid, double active)
{
    use(f, tenant, wl, month, 0, 0, paid, active);
}

static void cert(fx_t *f, const char *person, const char *c, const char *earned, const char *expires)
{
    pcs_err_t err = {0};
    cr_assert_eq(pcs_engine_add_cert(f->e, person, c, day(earned), expires ? day(expires) : PCS_DAY_NONE, &err), 0,
                 "%s", err.msg);
}

/* a certification valid at the default D (earned 2025-01-15, expires 2026-01-15, as in §15) */
static void cert_ok(fx_t *f, const char *person, const char *c)
{
    cert(f, person, c, "2025-01-15", "2026-01-15");
}

/* n persons named <prefix>1..<prefix>n holding c */
static void people(fx_t *f, const char *prefix, int n, const char *c)
{
    for (int i = 1; i <= n; i++) {
        char p[32];
        snprintf(p, sizeof p, "%s%d", prefix, i);
        cert_ok(f, p, c);
    }
}

static const pcs_result_t *score_mask(fx_t *f, const char *d, unsigned mask, bool history)
{
    pcs_score_opts_t o = {.area_mask = mask, .no_history = !history};
    const pcs_result_t *res = pcs_engine_score(f->e, day(d), &o);
    cr_assert_not_null(res);
    return res;
}

static const pcs_result_t *score_at(fx_t *f, const char *d)
{
    return score_mask(f, d, 1u, false);
}

static const pcs_result_t *score(fx_t *f)
{
    return score_at(f, "2025-07-10");
}

static const pcs_metric_result_t *met(const pcs_result_t *res, int track, int k)
{
    return &res->areas[0].tracks[track].m[k];
}

static const pcs_metric_result_t *ent(const pcs_result_t *res, int k)
{
    return met(res, PCS_TRACK_ENTERPRISE, k);
}

#define NEAR(got, want)                                                                                      \
    cr_expect(fabs((double)(got) - (double)(want)) <= 1e-9, "%s = %.17g, expected %.17g", #got, (double)(got), \
              (double)(want))

static int warnings_mentioning(const pcs_result_t *res, const char *s)
{
    int n = 0;
    for (int i = 0; i < res->n_warnings; i++)
        n += strstr(res->warnings[i], s) != NULL;
    return n;
}

static int tenant_idx(const pcs_result_t *res, const char *id, int n_tenants)
{
    for (int i = 0; i < n_tenants; i++)
        if (res->tenant_ids[i] && strcmp(res->tenant_ids[i], id) == 0)
            return i;
    return -1;
}

/* ============================================================================================== */
/* §5 helpers                                                                                     */
/* ============================================================================================== */

Test(round, round2_edges)
{
    /* round2(x) = floor(x*100 + 0.5 + 1e-6) / 100 */
    NEAR(pcs_round2(12.125), 12.13);     /* 1212.5 + 0.5 = 1213.000001 -> 1213 */
    NEAR(pcs_round2(0.005), 0.01);       /* 0.5 + 0.5 + 1e-6 -> 1 */
    NEAR(pcs_round2(2.675), 2.68);       /* 2.675*100 = 267.5 in double -> 268 */
    /* here the +1e-6 matters: 1.005*100 = 100.49999999999999, +0.5 = 100.99999999999999 */
    NEAR(pcs_round2(1.005), 1.01);
    NEAR(pcs_round2(0.145), 0.15);       /* 14.499999999999998 + 0.5 + 1e-6 -> 15 */
    NEAR(pcs_round2(1.004999), 1.00);    /* 100.4999 + 0.500001 = 100.9999.. -> 100 */
    NEAR(pcs_round2(70 - 1e-10), 70.0);  /* 6999.99999999 + 0.5 -> 7000 */
    NEAR(pcs_round2(6.666666666666667), 6.67);
    NEAR(pcs_round2(74.5), 74.5);
    NEAR(pcs_round2(0), 0);
}

Test(round, points_formula_clamps)
{
    /* points = max(0, min(max, units*max/ufm)) */
    NEAR(pcs_points(-1, 30, 3), 0);          /* -10 -> 0 */
    NEAR(pcs_points(-0.5, 20, 20), 0);
    NEAR(pcs_points(0, 30, 3), 0);
    NEAR(pcs_points(1, 30, 3), 10);          /* 30/3 */
    NEAR(pcs_points(3, 30, 3), 30);
    NEAR(pcs_points(5, 30, 3), 30);          /* 50 -> capped at 30 */
    NEAR(pcs_points(2, 20, 6), 40.0 / 6.0);  /* 6.666... */
    NEAR(pcs_points(12.5, 20, 20), 12.5);    /* fractional growth */
    NEAR(pcs_points(1000025, 20, 2500000), 8.0002);
}

/* ============================================================================================== */
/* §6.2 net_count                                                                                 */
/* ============================================================================================== */

#define NCA_ANY2_1000                                                                                        \
    "{'kind': 'net_count', 'max': 30, 'units_for_max': 3, 'unit': 'tenant', 'sources': " SRC("az", "'PAL'")   \
    ", 'predicates': [{'p': 'month_sum_any2', 'field': 'acr', 'op': '>=', 'value': 100000}]}"

Test(net_count, tenant_month_sum_any2)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NCA_ANY2_1000, NUL, NUL, NUL, NUL)));
    const char *ts[] = {"t1", "t2", "t3", "t4", "t5", "t7", "t8"};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++)
        assoc_all(&f, ts[i], PCS_AT_PAL);
    assoc_all(&f, "t6", PCS_AT_CPOR);
    acr(&f, "t1", "azure/sql", "2025-06", 1000);     /* month p = M: Q(M) */
    acr(&f, "t2", "azure/sql", "2025-05", 1000);     /* month p-1 = M-1: Q(M) */
    acr(&f, "t3", "azure/sql", "2024-06", 2000);     /* Q(M-12) ... */
    acr(&f, "t3", "azure/sql", "2025-06", 2000);     /* ... and Q(M) */
    acr(&f, "t4", "azure/sql", "2024-05", 1500);     /* M-13 = (M-12)-1: Q(M-12) only */
    acr(&f, "t5", "azure/sql", "2025-06", 999.99);   /* below the floor */
    acr(&f, "t6", "azure/sql", "2025-06", 5000);     /* CPOR is not a source type */
    acr(&f, "t7", "azure/sql", "2025-04", 5000);     /* M-2: outside the two months */
    acr(&f, "t8", "azure/sql", "2025-06", 600);      /* tenant unit: workloads add up, 600+400 */
    acr(&f, "t8", "azure/web", "2025-06", 400);
    const pcs_result_t *res = score(&f);
    /* Q(M) = {t1,t2,t3,t8} = 4, Q(M-12) = {t3,t4} = 2: units 2, points 2*30/3 = 20 */
    NEAR(ent(res, PCS_M_NCA)->units, 2);
    NEAR(ent(res, PCS_M_NCA)->points, 20);
    cr_expect(ent(res, PCS_M_NCA)->applicable);
    cr_expect(!ent(res, PCS_M_INTERMEDIATE)->applicable);
    fx_free(&f);
}

/* Issue 18.7: every row is within the per-row limit (10^13 USD = 10^15 cents), but 10,000 of
 * them in one tenant and month add up to 10^19 cents, beyond int64. The sums saturate instead of
 * wrapping to a negative amount (and UBSan, with which the tests are built, traps the overflow). */
Test(net_count, sums_beyond_int64_saturate)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NCA_ANY2_1000, NUL, NUL,
                             "{'kind': 'growth', 'max': 20, 'units_for_max': 2500000, 'sources': " SRC("az", "'PAL'")
                             ", 'measure': 'month_sum', 'field': 'acr', 'mode': 'absolute'}",
                             NUL)));
    assoc_all(&f, "t1", PCS_AT_PAL);   /* many rows with one key: merged into one row (§1.1.3) */
    assoc_all(&f, "t2", PCS_AT_PAL);   /* many workloads in one month: summed into one cell */
    for (int i = 0; i < 10000; i++) {
        char wl[32];
        snprintf(wl, sizeof wl, "azure/w%d", i);
        acr(&f, "t1", "azure/sql", "2025-06", 1e13);
        acr(&f, "t2", wl, "2025-06", 1e13);
    }
    acr(&f, "t2", "azure/sql", "2024-06", 1000);
    const pcs_result_t *res = score(&f);
    /* Q(M) = {t1, t2}, Q(M-12) = {t2}: units 1, points 10 */
    NEAR(ent(res, PCS_M_NCA)->units, 1);
    NEAR(ent(res, PCS_M_NCA)->points, 10);
    /* growth: cur saturates at INT64_MAX cents, base 100000 cents: far above units_for_max */
    cr_expect(ent(res, PCS_M_USAGE_GROWTH)->units > 9.2e16, "units %g", ent(res, PCS_M_USAGE_GROWTH)->units);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 20);
    fx_free(&f);
}

Test(net_count, negative_net_is_floored_at_zero)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NCA_ANY2_1000, NUL, NUL, NUL, NUL)));
    assoc_all(&f, "t1", PCS_AT_PAL);
    assoc_all(&f, "t2", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2024-06", 1000);
    acr(&f, "t2", "azure/sql", "2024-05", 1000);
    const pcs_result_t *res = score(&f);
    /* Q(M) = {}, Q(M-12) = {t1,t2}: units -2, points max(0, -20) = 0 */
    NEAR(ent(res, PCS_M_NCA)->units, -2);
    NEAR(ent(res, PCS_M_NCA)->points, 0);
    fx_free(&f);
}

Test(net_count, tenant_workload_counts_pairs)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5("{'kind': 'net_count', 'max': 15, 'units_for_max': 5, 'unit': 'tenant_workload', "
                             "'sources': " SRC("ba", "'DPOR'") ", 'predicates': [{'p': 'month_sum', 'field': "
                             "'revenue', 'op': '>=', 'value': 150000}]}",
                             NUL, NUL, NUL, NUL)));
    for (int i = 1; i <= 4; i++) {
        char t[8];
        snprintf(t, sizeof t, "t%d", i);
        assoc_all(&f, t, PCS_AT_DPOR);
    }
    use(&f, "t1", "bizapps/sales", "2025-06", 0, 1500, 0, 0);     /* M: yes (>=) */
    use(&f, "t1", "bizapps/finance", "2025-06", 0, 2000, 0, 0);   /* M: yes */
    use(&f, "t1", "bizapps/finance", "2024-06", 0, 2000, 0, 0);   /* M-12: yes */
    use(&f, "t1", "bizapps/field_service", "2025-06", 0, 1600, 0, 0); /* M: yes */
    use(&f, "t1", "bizapps/hr", "2025-06", 0, 1499.99, 0, 0);     /* no */
    use(&f, "t2", "bizapps/sales", "2025-06", 0, 1500, 0, 0);     /* M: yes */
    use(&f, "t3", "bizapps/sales", "2024-06", 0, 3000, 0, 0);     /* M-12: yes */
    use(&f, "t4", "bizapps/sales", "2025-06", 0, 1000, 0, 0);     /* per pair 1000 < 1500 (the tenant */
    use(&f, "t4", "bizapps/finance", "2025-06", 0, 1000, 0, 0);   /* total 2000 does not count) */
    const pcs_result_t *res = score(&f);
    /* Q(M) = {t1/sales, t1/finance, t1/field_service, t2/sales} = 4,
     * Q(M-12) = {t1/finance, t3/sales} = 2: units 2, points 2*15/5 = 6
     * (counting tenants instead would give {t1,t2,t4} - {t1,t3} = 1) */
    NEAR(ent(res, PCS_M_NCA)->units, 2);
    NEAR(ent(res, PCS_M_NCA)->points, 6);
    fx_free(&f);
}

/* A score's explanation rows (§12), history and events are those of pcs_engine_score with explain. */
static const pcs_result_t *score_explained(fx_t *f)
{
    pcs_score_opts_t o = {.area_mask = 1u, .no_history = true, .explain = true};
    const pcs_result_t *res = pcs_engine_score(f->e, day("2025-07-10"), &o);
    cr_assert_not_null(res);
    return res;
}

static const pcs_elig_row_t *elig_of(const pcs_result_t *res, int metric, const char *tenant)
{
    for (int i = 0; i < res->n_elig; i++) {
        const pcs_elig_row_t *r = &res->elig[i];
        if (r->metric == metric && r->tenant >= 0 && strcmp(res->tenant_ids[r->tenant], tenant) == 0)
            return r;
    }
    cr_assert_fail("no explanation row of metric %d for %s", metric, tenant);
    return NULL;
}

#define BA_WORKLOADS(max, floor_usd)                                                                         \
    "{'kind': 'net_count', 'max': " #max ", 'units_for_max': 5, 'unit': 'tenant_workload', 'sources': "      \
    SRC("ba", "'DPOR'") ", 'predicates': [{'p': 'month_sum', 'field': 'revenue', 'op': '>=', 'value': "      \
    #floor_usd "00}]}"

/* The qualifying workloads are counted once for every tenant and month of a score, and read by the
 * month asked: two metrics on one scope whose floors differ, the months of the history, the
 * projection to M+1 (credited by the associations still open then) and the explanation rows. */
Test(net_count, tenant_workload_every_month_and_the_projection)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(BA_WORKLOADS(15, 1500), NUL, NUL, NUL, BA_WORKLOADS(20, 3000))));
    assoc(&f, "t1", PCS_AT_DPOR, "*", "2020-01-01", "2025-06-30");   /* ends with M: not at M+1 */
    for (int i = 2; i <= 4; i++) {
        char t[8];
        snprintf(t, sizeof t, "t%d", i);
        assoc_all(&f, t, PCS_AT_DPOR);
    }
    use(&f, "t1", "bizapps/sales", "2025-06", 0, 2000, 0, 0);     /* M: NCA */
    use(&f, "t1", "bizapps/finance", "2025-06", 0, 5000, 0, 0);   /* M: NCA and deployments */
    use(&f, "t2", "bizapps/sales", "2025-04", 0, 4000, 0, 0);     /* M-2: NCA and deployments */
    use(&f, "t2", "bizapps/finance", "2025-04", 0, 1600, 0, 0);   /* M-2: NCA */
    use(&f, "t3", "bizapps/sales", "2024-06", 0, 2000, 0, 0);     /* M-12: NCA */
    use(&f, "t4", "bizapps/sales", "2025-06", 0, 2000, 0, 0);     /* M and M+1: NCA */
    const pcs_result_t *res = score_mask(&f, "2025-07-10", 1u, true);
    /* M: NCA {t1/sales, t1/finance, t4/sales} - {t3/sales} = 2, 6 points; deployments {t1/finance} = 1,
     * 4 points */
    NEAR(ent(res, PCS_M_NCA)->units, 2);
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->units, 1);
    NEAR(res->areas[0].total, 10);
    /* history X = 2025-04: NCA {t2/sales, t2/finance} = 2 (6), deployments {t2/sales} = 1 (4); the
     * other months before M have no workload */
    const double want[6] = {0, 0, 0, 10, 0, 10};
    for (int i = 0; i < 6; i++)
        NEAR(res->areas[0].history[i].total, want[i]);
    /* M+1: NCA {t4/sales} - {} = 1, 3 points < 6: at risk, through t1 (2 now, 0 projected) */
    const pcs_event_t *risk = NULL;
    for (int i = 0; i < res->n_events; i++)
        if (res->events[i].type == PCS_EV_NCA_AT_RISK)
            risk = &res->events[i];
    cr_assert_not_null(risk);
    NEAR(risk->units_after, 1);
    cr_assert_eq(risk->n_items, 1);
    const pcs_event_item_t *it = &res->items[risk->first_item];
    cr_expect_str_eq(res->tenant_ids[it->tenant.tenant], "t1");
    NEAR(it->tenant.effect_now, 2);
    NEAR(it->tenant.effect_projected, 0);

    /* the same counts per tenant in the explanation rows */
    fx_begin(&f);
    assoc(&f, "t1", PCS_AT_DPOR, "*", "2020-01-01", "2025-06-30");
    assoc_all(&f, "t3", PCS_AT_DPOR);
    use(&f, "t1", "bizapps/sales", "2025-06", 0, 2000, 0, 0);
    use(&f, "t1", "bizapps/finance", "2025-06", 0, 5000, 0, 0);
    use(&f, "t3", "bizapps/sales", "2024-06", 0, 2000, 0, 0);
    res = score_explained(&f);
    NEAR(ent(res, PCS_M_NCA)->units, 1);
    NEAR(elig_of(res, PCS_M_NCA, "t1")->current, 2);
    NEAR(elig_of(res, PCS_M_NCA, "t1")->comparison, 0);
    NEAR(elig_of(res, PCS_M_NCA, "t3")->current, 0);
    NEAR(elig_of(res, PCS_M_NCA, "t3")->comparison, 1);
    NEAR(elig_of(res, PCS_M_DEPLOYMENTS, "t1")->current, 1);
    fx_free(&f);
}

#define DEPLOYED_40                                                                                          \
    "{'kind': 'net_count', 'max': 20, 'units_for_max': 5, 'unit': 'tenant', 'sources': " SRC("mw", "'CPOR'") \
    ", 'predicates': [{'p': 'seat_band', 'lo': 11, 'hi': null}, {'p': 'active_ratio_min', 'pct': 40}], "     \
    "'already_deployed_pct': 40}"

/* §6.8: a tenant claimed within twelve months of p and deployed the month before its claim leaves
 * Q(p), at M and at M-12, with and without explanation rows. */
Test(net_count, already_deployed_leaves_both_months)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, NUL, DEPLOYED_40)));
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            fx_begin(&f);
        assoc(&f, "t1", PCS_AT_CPOR, "*", "2025-03-01", NULL);   /* claimed in TTM(M) ... */
        seats(&f, "t1", "m365/teams", "2025-02", 100, 50);       /* ... deployed before: leaves Q(M) */
        assoc(&f, "t2", PCS_AT_CPOR, "*", "2025-03-01", NULL);   /* claimed in TTM(M) ... */
        seats(&f, "t2", "m365/teams", "2025-02", 100, 10);       /* ... 10 % active before: stays */
        assoc_all(&f, "t3", PCS_AT_CPOR);                       /* claimed long ago: stays */
        assoc(&f, "t4", PCS_AT_CPOR, "*", "2023-09-01", NULL);   /* claimed in TTM(M-12) ... */
        seats(&f, "t4", "m365/teams", "2023-08", 100, 100);      /* ... deployed before: leaves Q(M-12) */
        assoc_all(&f, "t5", PCS_AT_CPOR);
        for (int i = 1; i <= 3; i++) {
            char t[8];
            snprintf(t, sizeof t, "t%d", i);
            seats(&f, t, "m365/teams", "2025-06", 400, 200);
        }
        seats(&f, "t4", "m365/teams", "2024-06", 400, 200);
        seats(&f, "t5", "m365/teams", "2024-06", 400, 200);
        const pcs_result_t *res = pass ? score_explained(&f) : score(&f);
        /* Q(M) = {t2, t3} = 2, Q(M-12) = {t5} = 1: units 1, points 4 */
        NEAR(ent(res, PCS_M_DEPLOYMENTS)->units, 1);
        NEAR(ent(res, PCS_M_DEPLOYMENTS)->points, 4);
        if (pass) {
            cr_expect(elig_of(res, PCS_M_DEPLOYMENTS, "t1")->excluded_already_deployed);
            cr_expect(!elig_of(res, PCS_M_DEPLOYMENTS, "t2")->excluded_already_deployed);
            cr_expect(elig_of(res, PCS_M_DEPLOYMENTS, "t4")->excluded_already_deployed);
        }
    }
    fx_free(&f);
}

/* ============================================================================================== */
/* §6.3 distinct_workloads                                                                        */
/* ============================================================================================== */

Test(distinct, ttm_acr_above_zero_with_exclude)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, NUL,
                             "{'kind': 'distinct_workloads', 'max': 10, 'units_for_max': 5, 'sources': "
                             SRC("az", "'PAL'") ", 'exclude': ['azure/virtual_machines']}")));
    assoc_all(&f, "t1", PCS_AT_PAL);
    assoc_all(&f, "t2", PCS_AT_CPOR);
    assoc_all(&f, "t3", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2024-07", 10);                /* first TTM month: counts */
    acr(&f, "t1", "azure/virtual_machines", "2025-06", 500);  /* excluded */
    acr(&f, "t1", "azure/app_service", "2025-06", 0);         /* ACR 0: not > 0 */
    acr(&f, "t1", "azure/storage", "2024-06", 5);             /* before TTM(M) */
    acr(&f, "t1", "azure/ml", "2025-07", 100);                /* month(D): never read (§2) */
    acr(&f, "t1", "azure/cosmos", "2025-01", 5);              /* cosmos: +5 (t1) -5 (t3) = 0 */
    acr(&f, "t3", "azure/cosmos", "2025-02", -5);
    acr(&f, "t3", "azure/sql", "2025-03", 3);                 /* sql again: still one workload */
    acr(&f, "t3", "azure/aks", "2025-06", 1);                 /* counts */
    acr(&f, "t3", "m365/teams", "2025-06", 100);              /* not in the source set */
    acr(&f, "t2", "azure/functions", "2025-06", 50);          /* CPOR: not credited */
    const pcs_result_t *res = score(&f);
    /* {azure/sql, azure/aks} = 2 workloads: points 2*10/5 = 4 */
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->units, 2);
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->points, 4);
    fx_free(&f);
}

/* ============================================================================================== */
/* §6.4 growth                                                                                    */
/* ============================================================================================== */

#define GROWTH_PCT_TTM                                                                                       \
    "{'kind': 'growth', 'max': 20, 'units_for_max': 20, 'sources': " SRC("az", "'PAL'")                      \
    ", 'measure': 'ttm_sum', 'field': 'acr', 'mode': 'percent', 'min_current': 100000}"

Test(growth, percent_is_fractional)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, GROWTH_PCT_TTM, NUL)));
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2024-07", 600);   /* cur = TTM(M) = 600 + 525 = 1125 */
    acr(&f, "t1", "azure/sql", "2025-06", 525);
    acr(&f, "t1", "azure/sql", "2023-07", 400);   /* base = TTM(M-12) = 400 + 600 = 1000 */
    acr(&f, "t1", "azure/sql", "2024-06", 600);
    const pcs_result_t *res = score(&f);
    /* (112500 - 100000) * 100 / 100000 = 12.5 %, points 12.5*20/20 = 12.5 */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 12.5);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 12.5);
    cr_expect_null(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);
    fx_free(&f);
}

Test(growth, percent_min_current)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, GROWTH_PCT_TTM, NUL)));
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 999.99);   /* cur 99999 cents < min_current 100000 */
    acr(&f, "t1", "azure/sql", "2024-01", 500);      /* base 50000 */
    const pcs_result_t *res = score(&f);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 0);   /* would be +100 % without the prerequisite */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 0);
    cr_assert_not_null(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);
    cr_expect(strstr(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed, "min_current") != NULL, "%s",
              ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 1000);     /* cur exactly 100000: cur < min_current is false */
    acr(&f, "t1", "azure/sql", "2024-01", 800);      /* base 80000 */
    res = score(&f);
    /* (100000 - 80000) * 100 / 80000 = 25 %, points min(20, 25) = 20 */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 25);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 20);
    cr_expect_null(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);
    fx_free(&f);
}

Test(growth, percent_base_not_positive)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, GROWTH_PCT_TTM, NUL)));
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 5000);     /* base 0 (no row in TTM(M-12)) */
    const pcs_result_t *res = score(&f);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 0);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 0);
    cr_expect_not_null(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 5000);
    acr(&f, "t1", "azure/sql", "2024-01", -100);     /* base -10000 cents (a credit) */
    res = score(&f);
    /* base <= 0 gives 0 (the formula would give (500000+10000)*100/-10000 = -5100 %) */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 0);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 0);
    cr_expect_not_null(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);
    fx_free(&f);
}

Test(growth, percent_min_baseline)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL,
                             "{'kind': 'growth', 'max': 30, 'units_for_max': 30, 'sources': " SRC("az", "'PAL'")
                             ", 'measure': 'month_sum', 'field': 'acr', 'mode': 'percent', 'min_baseline': 50000}",
                             NUL)));
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 600);      /* cur 60000 */
    acr(&f, "t1", "azure/sql", "2024-06", 499.99);   /* base 49999 < 50000 */
    const pcs_result_t *res = score(&f);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 0);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 0);
    cr_assert_not_null(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);
    cr_expect(strstr(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed, "min_baseline") != NULL, "%s",
              ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 600);
    acr(&f, "t1", "azure/sql", "2024-06", 500);      /* base exactly 50000 */
    res = score(&f);
    /* (60000 - 50000) * 100 / 50000 = 20 %, points 20*30/30 = 20 */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 20);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 20);
    cr_expect_null(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);
    fx_free(&f);
}

Test(growth, absolute_money_in_cents)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL,
                             "{'kind': 'growth', 'max': 20, 'units_for_max': 2500000, 'sources': " SRC("az", "'PAL'")
                             ", 'measure': 'month_sum', 'field': 'acr', 'mode': 'absolute'}",
                             NUL)));
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 12500.50);   /* cur 1250050 cents */
    acr(&f, "t1", "azure/sql", "2024-06", 2500.25);    /* base 250025 cents */
    const pcs_result_t *res = score(&f);
    /* units 1000025 cents = USD 10000.25; points 1000025*20/2500000 = 8.0002 */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 8.0002);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 10000.25);
    cr_expect(ent(res, PCS_M_USAGE_GROWTH)->money);
    cr_expect_null(ent(res, PCS_M_USAGE_GROWTH)->prerequisite_failed);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2024-06", 20000);      /* cur 0, base 2000000 */
    res = score(&f);
    /* units -2000000 cents = USD -20000, points 0 */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, -20000);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 0);
    fx_free(&f);
}

/* ============================================================================================== */
/* §6.5 cert_steps                                                                                */
/* ============================================================================================== */

Test(cert_steps, gates_and_per_person_with_requires)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL,
                             "{'kind': 'cert_steps', 'max': 40, 'steps': ["
                             "{'certs': ['c_a'], 'min_people': 2, 'award': 'none'},"
                             "{'certs': ['c_b'], 'min_people': 2, 'award': 'none'},"
                             "{'certs': ['c_c', 'c_d'], 'min_people': 1, 'award': {'per_person': [4, 1]}, "
                             "'requires': [0, 1]}]}",
                             NUL, NUL, NUL)));
    cert_ok(&f, "p1", "c_a");
    cert_ok(&f, "p2", "c_a");
    cert_ok(&f, "p3", "c_b");
    cert_ok(&f, "p4", "c_b");
    cert_ok(&f, "p4", "c_c");
    cert_ok(&f, "p5", "c_c");   /* p5 holds both step-3 certs: one person */
    cert_ok(&f, "p5", "c_d");
    cert_ok(&f, "p6", "c_d");
    const pcs_result_t *res = score(&f);
    /* gates {p1,p2} and {p3,p4} hold; E3 = {p4,p5,p6}: 3 * 4/1 = 12 */
    NEAR(ent(res, PCS_M_INTERMEDIATE)->points, 12);
    NEAR(ent(res, PCS_M_INTERMEDIATE)->units, 3);

    fx_begin(&f);
    cert_ok(&f, "p1", "c_a");   /* gate 1 has one person only */
    cert_ok(&f, "p3", "c_b");
    cert_ok(&f, "p4", "c_b");
    cert_ok(&f, "p5", "c_c");
    res = score(&f);
    /* step 3 requires step 1: 0 points, value 0 (§17.7) */
    NEAR(ent(res, PCS_M_INTERMEDIATE)->points, 0);
    NEAR(ent(res, PCS_M_INTERMEDIATE)->units, 0);

    fx_begin(&f);
    people(&f, "a", 2, "c_a");
    people(&f, "b", 2, "c_b");
    people(&f, "c", 11, "c_c");
    res = score(&f);
    /* 11 * 4 = 44, capped at 40 */
    NEAR(ent(res, PCS_M_INTERMEDIATE)->points, 40);
    NEAR(ent(res, PCS_M_INTERMEDIATE)->units, 11);
    fx_free(&f);
}

Test(cert_steps, flat_steps_are_independent)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL,
                             "{'kind': 'cert_steps', 'max': 40, 'steps': ["
                             "{'certs': ['c_a'], 'min_people': 1, 'award': {'flat': 4}},"
                             "{'certs': ['c_b'], 'min_people': 1, 'award': {'flat': 4}},"
                             "{'certs': ['c_c'], 'min_people': 1, 'award': {'per_person': [8, 1]}, "
                             "'requires': [0, 1]}]}",
                             NUL, NUL, NUL)));
    cert_ok(&f, "p1", "c_b");
    cert_ok(&f, "p2", "c_c");
    const pcs_result_t *res = score(&f);
    /* step 2 pays 4 without step 1 (§16.6); step 3 requires step 1: 0. Total 4 */
    NEAR(ent(res, PCS_M_INTERMEDIATE)->points, 4);
    NEAR(ent(res, PCS_M_INTERMEDIATE)->units, 0);

    fx_begin(&f);
    cert_ok(&f, "p1", "c_a");
    cert_ok(&f, "p1", "c_b");
    cert_ok(&f, "p1", "c_c");
    cert_ok(&f, "p2", "c_c");
    res = score(&f);
    /* 4 + 4 + 2*8 = 24: flat awards are not charged to p1 (§16.5) */
    NEAR(ent(res, PCS_M_INTERMEDIATE)->points, 24);
    NEAR(ent(res, PCS_M_INTERMEDIATE)->units, 2);
    fx_free(&f);
}

Test(cert_steps, rational_per_person)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, PP("'c_a'", 15, 7, 15), NUL, NUL)));
    people(&f, "p", 3, "c_a");
    const pcs_result_t *res = score(&f);
    /* (3*15)/7 = 6.428571428571429 */
    NEAR(ent(res, PCS_M_ADVANCED)->points, 45.0 / 7.0);
    NEAR(ent(res, PCS_M_ADVANCED)->units, 3);

    fx_begin(&f);
    people(&f, "p", 8, "c_a");
    res = score(&f);
    /* (8*15)/7 = 17.14 -> capped at 15 */
    NEAR(ent(res, PCS_M_ADVANCED)->points, 15);
    fx_free(&f);
}

/* ============================================================================================== */
/* §6.7 parts and options                                                                         */
/* ============================================================================================== */

#define ABS_ACTIVE(name, ufm, src)                                                                           \
    "{'name': '" name "', 'kind': 'growth', 'units_for_max': " #ufm ", 'sources': " src                     \
    ", 'measure': 'month_sum', 'field': 'active_units', 'mode': 'absolute'}"

Test(parts, each_part_floored_then_sum_capped)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, NUL,
                             "{'kind': 'parts', 'max': 20, 'parts': [" ABS_ACTIVE("a", 10, SRC("mw", "'CPOR'")) ", "
                             ABS_ACTIVE("b", 10, SRC("az", "'PAL'")) "]}")));
    assoc_all(&f, "t1", PCS_AT_CPOR);
    assoc_all(&f, "t2", PCS_AT_PAL);
    seats(&f, "t1", "m365/teams", "2024-06", 0, 5);
    seats(&f, "t1", "m365/teams", "2025-06", 0, 2);      /* part a: 2 - 5 = -3 -> 0 points */
    seats(&f, "t2", "azure/sentinel", "2025-06", 0, 2);  /* part b: +2 -> 2*20/10 = 4 */
    const pcs_result_t *res = score(&f);
    const pcs_metric_result_t *m = ent(res, PCS_M_DEPLOYMENTS);
    cr_assert_eq(m->n_subs, 2);
    NEAR(m->subs[0].units, -3);
    NEAR(m->subs[0].points, 0);
    NEAR(m->subs[1].units, 2);
    NEAR(m->subs[1].points, 4);
    /* a negative part does not cancel: 0 + 4 = 4 (not max(0, (-3+2)*2) = 0); value = -3 + 2 */
    NEAR(m->points, 4);
    NEAR(m->units, -1);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_CPOR);
    assoc_all(&f, "t2", PCS_AT_PAL);
    seats(&f, "t1", "m365/teams", "2025-06", 0, 8);      /* 8*20/10 = 16 */
    seats(&f, "t2", "azure/sentinel", "2025-06", 0, 7);  /* 7*20/10 = 14 */
    res = score(&f);
    m = ent(res, PCS_M_DEPLOYMENTS);
    NEAR(m->subs[0].points, 16);
    NEAR(m->subs[1].points, 14);
    NEAR(m->points, 20);                                 /* 30 capped at the metric max 20 */
    NEAR(m->units, 15);
    fx_free(&f);
}

#define OPT_CPOR ABS_ACTIVE("CPOR", 1000, SRC("mw", "'CPOR'"))
#define OPT_DPOR ABS_ACTIVE("DPOR", 4000, SRC("mw", "'DPOR'"))

Test(options, maximum_wins_first_listed_wins_tie)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, "{'kind': 'options', 'max': 30, 'options': [" OPT_CPOR ", " OPT_DPOR "]}",
                             NUL)));
    assoc_all(&f, "t1", PCS_AT_CPOR);
    assoc_all(&f, "t2", PCS_AT_DPOR);
    seats(&f, "t1", "m365/teams", "2025-06", 0, 400);    /* CPOR: 400*30/1000 = 12 */
    seats(&f, "t2", "m365/teams", "2025-06", 0, 1600);   /* DPOR: 1600*30/4000 = 12 */
    const pcs_result_t *res = score(&f);
    const pcs_metric_result_t *m = ent(res, PCS_M_USAGE_GROWTH);
    cr_assert_eq(m->n_subs, 2);
    NEAR(m->subs[0].units, 400);   /* options see only their own types (§4) */
    NEAR(m->subs[1].units, 1600);
    NEAR(m->subs[0].points, 12);
    NEAR(m->subs[1].points, 12);
    cr_expect_eq(m->winner, 0);    /* tie: first listed */
    cr_expect_str_eq(m->subs[m->winner].name, "CPOR");
    NEAR(m->points, 12);
    NEAR(m->units, 400);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_CPOR);
    assoc_all(&f, "t2", PCS_AT_DPOR);
    seats(&f, "t1", "m365/teams", "2025-06", 0, 400);    /* 12 */
    seats(&f, "t2", "m365/teams", "2025-06", 0, 2000);   /* 2000*30/4000 = 15 */
    res = score(&f);
    m = ent(res, PCS_M_USAGE_GROWTH);
    cr_expect_eq(m->winner, 1);
    NEAR(m->points, 15);
    NEAR(m->units, 2000);
    fx_free(&f);

    /* The same tie with the options listed the other way round: DPOR wins. */
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, "{'kind': 'options', 'max': 30, 'options': [" OPT_DPOR ", " OPT_CPOR "]}",
                             NUL)));
    assoc_all(&f, "t1", PCS_AT_CPOR);
    assoc_all(&f, "t2", PCS_AT_DPOR);
    seats(&f, "t1", "m365/teams", "2025-06", 0, 400);
    seats(&f, "t2", "m365/teams", "2025-06", 0, 1600);
    res = score(&f);
    m = ent(res, PCS_M_USAGE_GROWTH);
    cr_expect_eq(m->winner, 0);
    cr_expect_str_eq(m->subs[m->winner].name, "DPOR");
    NEAR(m->units, 1600);
    NEAR(m->points, 12);
    fx_free(&f);
}

/* ============================================================================================== */
/* §6.1 predicates                                                                                */
/* ============================================================================================== */

Test(predicates, month_sum_gt_versus_ge)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5("{'kind': 'net_count', 'max': 10, 'units_for_max': 10, 'unit': 'tenant', 'sources': "
                             SRC("ba", "'DPOR'") ", 'predicates': [{'p': 'month_sum', 'field': 'revenue', 'op': '>', "
                             "'value': 150000}]}",
                             NUL, NUL, NUL,
                             "{'kind': 'net_count', 'max': 10, 'units_for_max': 10, 'unit': 'tenant', 'sources': "
                             SRC("ba", "'DPOR'") ", 'predicates': [{'p': 'month_sum', 'field': 'revenue', 'op': '>=', "
                             "'value': 150000}]}")));
    assoc_all(&f, "t1", PCS_AT_DPOR);
    assoc_all(&f, "t2", PCS_AT_DPOR);
    assoc_all(&f, "t3", PCS_AT_DPOR);
    use(&f, "t1", "bizapps/sales", "2025-06", 0, 1500.00, 0, 0);   /* 150000: only >= */
    use(&f, "t2", "bizapps/sales", "2025-06", 0, 1500.01, 0, 0);   /* 150001: both */
    use(&f, "t3", "bizapps/sales", "2025-05", 0, 9000, 0, 0);      /* month_sum reads month p only */
    const pcs_result_t *res = score(&f);
    NEAR(ent(res, PCS_M_NCA)->units, 1);          /* '>' : t2 */
    NEAR(ent(res, PCS_M_NCA)->points, 1);         /* 1*10/10 */
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->units, 2);  /* '>=': t1, t2 */
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->points, 2);
    fx_free(&f);
}

#define TTM_NET(max, ufm, pred)                                                                              \
    "{'kind': 'net_count', 'max': " #max ", 'units_for_max': " #ufm ", 'unit': 'tenant', 'sources': "        \
    SRC("az", "'PAL'") ", 'predicates': [" pred "]}"
#define TTM_PART(name, pred)                                                                                 \
    "{'name': '" name "', 'kind': 'net_count', 'units_for_max': 6, 'unit': 'tenant', 'sources': "           \
    SRC("az", "'PAL'") ", 'predicates': [" pred "]}"

Test(predicates, ttm_sum_range_open_and_closed_bounds)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(
        TTM_NET(20, 10, "{'p': 'ttm_sum_range', 'field': 'acr', 'lo_op': '>=', 'lo': 75000, 'hi_op': '<=', "
                        "'hi': 1200000}"),
        NUL, NUL, NUL,
        "{'kind': 'parts', 'max': 20, 'parts': ["
        TTM_PART("open", "{'p': 'ttm_sum_range', 'field': 'acr', 'lo_op': '>', 'lo': 1200000}") ", "
        TTM_PART("lt", "{'p': 'ttm_sum_range', 'field': 'acr', 'lo_op': '>=', 'lo': 75000, 'hi_op': '<', "
                       "'hi': 1200000}") "]}")));
    const char *ts[] = {"t1", "t2", "t3", "t4", "t5"};
    for (int i = 0; i < 5; i++)
        assoc_all(&f, ts[i], PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2024-07", 700);      /* TTM(M) = 700 + 50 = 750 = lo */
    acr(&f, "t1", "azure/sql", "2025-06", 50);
    acr(&f, "t2", "azure/sql", "2025-01", 12000);    /* = hi */
    acr(&f, "t3", "azure/sql", "2025-01", 12000.01); /* just above hi */
    acr(&f, "t4", "azure/sql", "2025-01", 749.99);   /* just below lo */
    acr(&f, "t5", "azure/sql", "2024-06", 800);      /* TTM(M-12) only */
    const pcs_result_t *res = score(&f);
    /* [750, 12000]: Q(M) = {t1,t2}, Q(M-12) = {t5}: units 1, points 1*20/10 = 2 */
    NEAR(ent(res, PCS_M_NCA)->units, 1);
    NEAR(ent(res, PCS_M_NCA)->points, 2);
    const pcs_metric_result_t *m = ent(res, PCS_M_DEPLOYMENTS);
    /* (12000, open): Q(M) = {t3}: units 1, points 20/6 */
    NEAR(m->subs[0].units, 1);
    NEAR(m->subs[0].points, 20.0 / 6.0);
    /* [750, 12000): Q(M) = {t1}, Q(M-12) = {t5}: units 0 (t2 at exactly 12000 is out) */
    NEAR(m->subs[1].units, 0);
    NEAR(m->subs[1].points, 0);
    NEAR(m->points, 20.0 / 6.0);
    fx_free(&f);
}

/* Parts on one scope whose predicates differ in one respect each: the engine works out a list of
 * predicates once for all tenants and months and shares it between equal lists, so each part must
 * still read its own. */
Test(predicates, parts_on_one_scope_keep_their_own_predicates)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(
        "{'kind': 'parts', 'max': 20, 'parts': ["
        TTM_PART("ge", "{'p': 'month_sum', 'field': 'acr', 'op': '>=', 'value': 50000}") ", "
        TTM_PART("gt", "{'p': 'month_sum', 'field': 'acr', 'op': '>', 'value': 50000}") ", "
        TTM_PART("lo", "{'p': 'month_sum', 'field': 'acr', 'op': '>=', 'value': 50001}") ", "
        TTM_PART("field", "{'p': 'month_sum', 'field': 'revenue', 'op': '>=', 'value': 50000}") ", "
        TTM_PART("kind", "{'p': 'month_sum_any2', 'field': 'acr', 'op': '>=', 'value': 50000}") ", "
        TTM_PART("hi", "{'p': 'ttm_sum_range', 'field': 'acr', 'lo_op': '>=', 'lo': 50000, 'hi_op': '<=', "
                       "'hi': 100000}") ", "
        TTM_PART("hi2", "{'p': 'ttm_sum_range', 'field': 'acr', 'lo_op': '>=', 'lo': 50000, 'hi_op': '<=', "
                        "'hi': 200000}") ", "
        TTM_PART("hi_op", "{'p': 'ttm_sum_range', 'field': 'acr', 'lo_op': '>=', 'lo': 50000, 'hi_op': '<', "
                          "'hi': 200000}") "]}",
        NUL, NUL, NUL,
        "{'kind': 'parts', 'max': 20, 'parts': ["
        TTM_PART("band", "{'p': 'seat_band', 'lo': 11, 'hi': 300}") ", "
        TTM_PART("sticky", "{'p': 'seat_band', 'lo': 11, 'hi': 300, 'sticky_against': "
                           "{'p': 'seat_band', 'lo': 301, 'hi': null}}") ", "
        TTM_PART("band2", "{'p': 'seat_band', 'lo': 11, 'hi': 200}") ", "
        TTM_PART("pct", "{'p': 'active_ratio_min', 'pct': 40}") ", "
        TTM_PART("pct2", "{'p': 'active_ratio_min', 'pct': 60}") "]}")));
    const char *ts[] = {"t1", "t2", "t3", "t4", "t5"};
    for (int i = 0; i < 5; i++)
        assoc_all(&f, ts[i], PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 500);
    acr(&f, "t2", "azure/sql", "2025-05", 500);
    acr(&f, "t3", "azure/sql", "2025-06", 2000);
    seats(&f, "t4", "azure/sql", "2025-06", 250, 125);   /* 50% active */
    seats(&f, "t5", "azure/sql", "2025-06", 400, 100);   /* 25% active */
    seats(&f, "t5", "azure/sql", "2024-06", 100, 0);
    const pcs_result_t *res = score(&f);
    /* Q(M-12) is empty for the ACR parts (t5's 2024-06 row has ACR 0) */
    const pcs_metric_result_t *m = ent(res, PCS_M_NCA);
    NEAR(m->subs[0].units, 2);   /* >= 500: t1, t3 */
    NEAR(m->subs[1].units, 1);   /* > 500: t3 */
    NEAR(m->subs[2].units, 1);   /* >= 500.01: t3 */
    NEAR(m->subs[3].units, 0);   /* revenue: none */
    NEAR(m->subs[4].units, 3);   /* this month or the one before: t1, t2, t3 */
    NEAR(m->subs[5].units, 2);   /* TTM in [500, 1000]: t1, t2 */
    NEAR(m->subs[6].units, 3);   /* TTM in [500, 2000]: t1, t2, t3 */
    NEAR(m->subs[7].units, 2);   /* TTM in [500, 2000): t1, t2 */
    m = ent(res, PCS_M_DEPLOYMENTS);
    NEAR(m->subs[0].units, 0);   /* 11..300 seats: {t4} - {t5} */
    NEAR(m->subs[1].units, 1);   /* sticky: {t4, t5 (400 now, 100 a year before)} - {t5} */
    NEAR(m->subs[2].units, -1);  /* 11..200 seats: {} - {t5} */
    NEAR(m->subs[3].units, 1);   /* 40% active: t4 */
    NEAR(m->subs[4].units, 0);   /* 60% active: none */
    fx_free(&f);
}

/* A TTM is added in month order, saturating (§1.1.3): INT64_MAX + 10^18 stays INT64_MAX, and
 * INT64_MIN then gives -1 cents, where the exact sum would be 10^18 - 1. */
Test(predicates, ttm_sum_range_saturates_in_month_order)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(TTM_NET(20, 10, "{'p': 'ttm_sum_range', 'field': 'acr', 'lo_op': '>', 'lo': 0}"),
                             NUL, NUL, NUL, NUL)));
    assoc_all(&f, "t1", PCS_AT_PAL);
    for (int i = 0; i < 10000; i++) {   /* many workloads in one month: summed into one cell */
        char wl[32];
        snprintf(wl, sizeof wl, "azure/w%d", i);
        acr(&f, "t1", wl, "2024-07", 1e13);    /* 10^19 cents: INT64_MAX */
        if (i < 1000)
            acr(&f, "t1", wl, "2024-08", 1e13);   /* 10^18 cents */
        acr(&f, "t1", wl, "2024-09", -1e13);   /* INT64_MIN */
    }
    const pcs_result_t *res = score(&f);
    /* TTM(M) = -1 cents: Q(M) = {}, Q(M-12) = {} (no rows): units 0 */
    NEAR(ent(res, PCS_M_NCA)->units, 0);
    fx_free(&f);
}

#define BAND_NET(max, ufm, pred)                                                                             \
    "{'kind': 'net_count', 'max': " #max ", 'units_for_max': " #ufm ", 'unit': 'tenant', 'sources': "        \
    SRC("mw", "'CPOR'") ", 'predicates': [" pred "]}"

Test(predicates, seat_band_inclusive_bounds)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(BAND_NET(20, 10, "{'p': 'seat_band', 'lo': 11, 'hi': 300}"), NUL, NUL, NUL,
                             BAND_NET(20, 10, "{'p': 'seat_band', 'lo': 301, 'hi': null}"))));
    const char *ts[] = {"t1", "t2", "t3", "t4", "t5", "t6", "t7"};
    for (int i = 0; i < 7; i++)
        assoc_all(&f, ts[i], PCS_AT_CPOR);
    seats(&f, "t1", "m365/teams", "2025-06", 11, 0);    /* smb (lo inclusive) */
    seats(&f, "t2", "m365/teams", "2025-06", 300, 0);   /* smb (hi inclusive) */
    seats(&f, "t3", "m365/teams", "2025-06", 10, 0);    /* none */
    seats(&f, "t4", "m365/teams", "2025-06", 301, 0);   /* enterprise */
    seats(&f, "t5", "m365/teams", "2025-06", 5, 0);     /* smb through intune: any single workload */
    seats(&f, "t5", "m365/intune", "2025-06", 20, 0);
    seats(&f, "t6", "m365/teams", "2025-06", 400, 0);   /* enterprise (teams) and smb (intune) */
    seats(&f, "t6", "m365/intune", "2025-06", 100, 0);
    seats(&f, "t7", "m365/other", "2025-06", 150, 0);   /* not an eligible workload */
    const pcs_result_t *res = score(&f);
    /* smb band: {t1,t2,t5,t6} = 4 -> 4*20/10 = 8; enterprise band: {t4,t6} = 2 -> 4 */
    NEAR(ent(res, PCS_M_NCA)->units, 4);
    NEAR(ent(res, PCS_M_NCA)->points, 8);
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->units, 2);
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->points, 4);
    fx_free(&f);
}

Test(predicates, active_ratio_min_exact_boundary)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL, NUL, BAND_NET(25, 5, "{'p': 'active_ratio_min', 'pct': 40}"))));
    for (int i = 1; i <= 5; i++) {
        char t[8];
        snprintf(t, sizeof t, "t%d", i);
        assoc_all(&f, t, PCS_AT_CPOR);
    }
    assoc_all(&f, "t6", PCS_AT_DPOR);
    seats(&f, "t1", "m365/teams", "2025-06", 100, 40);   /* 100*40 = 4000 >= 40*100 = 4000: yes */
    seats(&f, "t2", "m365/teams", "2025-06", 100, 39);   /* 3900 < 4000: no */
    seats(&f, "t3", "m365/teams", "2025-06", 0, 10);     /* paid 0: no */
    seats(&f, "t4", "m365/teams", "2025-06", 50, 30);    /* sums over workloads: 100*40 >= 40*100 */
    seats(&f, "t4", "m365/intune", "2025-06", 50, 10);
    seats(&f, "t5", "m365/teams", "2025-06", 5, 2);      /* 200 >= 200: yes */
    seats(&f, "t6", "m365/teams", "2025-06", 100, 40);   /* DPOR: not credited */
    const pcs_result_t *res = score(&f);
    /* {t1,t4,t5} = 3 -> 3*25/5 = 15 */
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->units, 3);
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->points, 15);
    fx_free(&f);
}

Test(predicates, sticky_smb_band)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, NUL, NUL,
                             "{'kind': 'growth', 'max': 20, 'units_for_max': 100, 'sources': " SRC("mw", "'CPOR'")
                             ", 'measure': 'month_sum', 'field': 'active_units', 'mode': 'absolute', 'filter': ["
                             "{'p': 'seat_band', 'lo': 11, 'hi': 300, 'sticky_against': "
                             "{'p': 'seat_band', 'lo': 301, 'hi': null}}]}",
                             NUL)));
    for (int i = 1; i <= 4; i++) {
        char t[8];
        snprintf(t, sizeof t, "t%d", i);
        assoc_all(&f, t, PCS_AT_CPOR);
    }
    /* t1: enterprise-sized now, SMB-sized a year earlier: sticky SMB at M; SMB at M-12 */
    seats(&f, "t1", "m365/teams", "2025-06", 400, 100);
    seats(&f, "t1", "m365/teams", "2024-06", 200, 50);
    /* t2: enterprise-sized now, no data a year earlier: S(M-12) false -> not SMB */
    seats(&f, "t2", "m365/teams", "2025-06", 400, 70);
    /* t3: enterprise-sized in both years: not SMB at M; at M-12 S(M-24) has no data -> no */
    seats(&f, "t3", "m365/teams", "2025-06", 400, 30);
    seats(&f, "t3", "m365/teams", "2024-06", 400, 10);
    /* t4: enterprise-sized at M and M-12, SMB-sized at M-24: sticky SMB at M-12 only */
    seats(&f, "t4", "m365/teams", "2025-06", 400, 5);
    seats(&f, "t4", "m365/teams", "2024-06", 400, 20);
    seats(&f, "t4", "m365/teams", "2023-06", 200, 1);
    const pcs_result_t *res = score(&f);
    /* cur = t1 100 = 100; base = t1 50 + t4 20 = 70; units 30, points 30*20/100 = 6
     * (without stickiness: cur 0, base 50 -> -50 -> 0 points) */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 30);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 6);
    fx_free(&f);
}

/* ============================================================================================== */
/* §4 attribution                                                                                 */
/* ============================================================================================== */

Test(attribution, association_dates_workloads_and_counted_once)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5("{'kind': 'net_count', 'max': 30, 'units_for_max': 10, 'unit': 'tenant', 'sources': "
                             SRC("az", "'PAL', 'DPOR'") ", 'predicates': [{'p': 'month_sum', 'field': 'acr', "
                             "'op': '>=', 'value': 100}]}",
                             NUL, NUL,
                             "{'kind': 'growth', 'max': 20, 'units_for_max': 100000, 'sources': "
                             SRC("az", "'PAL', 'DPOR'") ", 'measure': 'month_sum', 'field': 'acr', 'mode': "
                             "'absolute'}",
                             NUL)));
    assoc(&f, "t1", PCS_AT_PAL, "*", "2025-06-30", NULL);            /* last day of M: covers M */
    assoc(&f, "t2", PCS_AT_PAL, "*", "2025-07-01", NULL);            /* after M: no back-credit */
    assoc(&f, "t3", PCS_AT_PAL, "*", "2024-01-01", "2025-06-01");    /* ends on the first day of M */
    assoc(&f, "t4", PCS_AT_PAL, "*", "2024-01-01", "2025-05-31");    /* ends before M */
    assoc(&f, "t5", PCS_AT_PAL, "azure/web", "2020-01-01", NULL);    /* exact workload */
    assoc(&f, "t6", PCS_AT_PAL, "azure/sql", "2020-01-01", NULL);    /* another workload */
    assoc(&f, "t7", PCS_AT_PAL, "azure/*", "2020-01-01", NULL);      /* family pattern */
    assoc(&f, "t8", PCS_AT_PAL, "m365/*", "2020-01-01", NULL);       /* other family */
    assoc(&f, "t9", PCS_AT_PAL, "*", "2020-01-01", NULL);            /* two associations */
    assoc(&f, "t9", PCS_AT_DPOR, "*", "2021-01-01", NULL);
    assoc(&f, "t10", PCS_AT_CPOR, "*", "2020-01-01", NULL);          /* type not in the source */
    const char *ts[] = {"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10"};
    for (int i = 0; i < 10; i++)
        acr(&f, ts[i], "azure/web", "2025-06", 10);
    acr(&f, "t1", "azure/web", "2024-06", 7);   /* before t1's association: never credited */
    const pcs_result_t *res = score(&f);
    /* covered at M: t1, t3, t5, t7, t9 = 5; at M-12 nobody (t1's 2024-06 row is not covered):
     * NCA units 5, points 5*30/10 = 15 */
    NEAR(ent(res, PCS_M_NCA)->units, 5);
    NEAR(ent(res, PCS_M_NCA)->points, 15);
    /* growth: cur = 5 * 1000 cents (t9 once) = 5000, base 0: units USD 50,
     * points 5000*20/100000 = 1 */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 50);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 1);
    fx_free(&f);
}

/* A row is credited by its own workload and the association types of its own month: consecutive
 * rows of a tenant share the credit worked out for the row before only when both are the same. */
Test(attribution, each_row_credited_by_its_workload_and_types)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5("{'kind': 'net_count', 'max': 30, 'units_for_max': 10, 'unit': 'tenant', 'sources': "
                             SRC("az", "'PAL'") ", 'predicates': [{'p': 'month_sum', 'field': 'acr', "
                             "'op': '>=', 'value': 100}]}",
                             NUL, NUL,
                             "{'kind': 'growth', 'max': 20, 'units_for_max': 100000, 'sources': "
                             SRC("az", "'PAL'") ", 'measure': 'month_sum', 'field': 'acr', 'mode': 'absolute'}",
                             NUL)));
    assoc(&f, "t1", PCS_AT_PAL, "*", "2020-01-01", "2025-03-31");
    assoc(&f, "t1", PCS_AT_CPOR, "*", "2025-04-01", NULL);
    acr(&f, "t1", "azure/web", "2025-03", 10);    /* PAL: credited */
    acr(&f, "t1", "azure/web", "2025-06", 10);    /* CPOR only: not credited */
    assoc_all(&f, "t2", PCS_AT_PAL);
    acr(&f, "t2", "azure/web", "2025-06", 10);    /* credited */
    acr(&f, "t2", "m365/teams", "2025-06", 20);   /* PAL too, but not in the source set */
    acr(&f, "t2", "azure/sql", "2025-06", 30);    /* credited */
    const pcs_result_t *res = score(&f);
    /* Q(M) = {t2}, Q(M-12) = {}: units 1; growth cur = 1000 + 3000 cents, base 0: units USD 40 */
    NEAR(ent(res, PCS_M_NCA)->units, 1);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 40);
    fx_free(&f);
}

/* ============================================================================================== */
/* §1.1 normalisation                                                                             */
/* ============================================================================================== */

Test(normalise, duplicate_rows_are_merged)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5("{'kind': 'net_count', 'max': 10, 'units_for_max': 10, 'unit': 'tenant', 'sources': "
                             SRC("az", "'PAL'") ", 'predicates': [{'p': 'month_sum', 'field': 'acr', 'op': '>=', "
                             "'value': 100000}]}",
                             NUL, NUL, NUL, BAND_NET(10, 10, "{'p': 'seat_band', 'lo': 11, 'hi': 300}"))));
    assoc_all(&f, "t1", PCS_AT_PAL);
    assoc_all(&f, "t2", PCS_AT_CPOR);
    assoc_all(&f, "t3", PCS_AT_CPOR);
    acr(&f, "t1", "azure/sql", "2025-06", 600);        /* same key twice: 600 + 600 = 1200 >= 1000 */
    acr(&f, "t2", "m365/teams", "2025-06", 0);         /* unrelated row in between */
    acr(&f, "t1", "azure/sql", "2025-06", 600);
    seats(&f, "t2", "m365/teams", "2025-06", 6, 0);    /* same key twice: paid 6 + 6 = 12 in [11, 300] */
    seats(&f, "t2", "m365/teams", "2025-06", 6, 0);
    seats(&f, "t3", "m365/teams", "2025-06", 6, 0);    /* different workloads: not merged, 6 and 6 */
    seats(&f, "t3", "m365/intune", "2025-06", 6, 0);
    const pcs_result_t *res = score(&f);
    NEAR(ent(res, PCS_M_NCA)->units, 1);           /* t1 */
    NEAR(ent(res, PCS_M_NCA)->points, 1);
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->units, 1);   /* t2 only */
    NEAR(ent(res, PCS_M_DEPLOYMENTS)->points, 1);
    fx_free(&f);
}

Test(normalise, money_rounds_half_away_from_zero_per_row)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5("{'kind': 'net_count', 'max': 10, 'units_for_max': 10, 'unit': 'tenant', 'sources': "
                             SRC("az", "'PAL'") ", 'predicates': [{'p': 'month_sum', 'field': 'acr', 'op': '>=', "
                             "'value': 100000}]}",
                             NUL, NUL,
                             "{'kind': 'growth', 'max': 20, 'units_for_max': 1000, 'sources': " SRC("fam", "'PAL'")
                             ", 'measure': 'month_sum', 'field': 'acr', 'mode': 'absolute'}",
                             NUL)));
    assoc(&f, "t1", PCS_AT_PAL, "azure/*", "2020-01-01", NULL);
    assoc(&f, "t2", PCS_AT_PAL, "azure/*", "2020-01-01", NULL);
    assoc(&f, "t3", PCS_AT_PAL, "fam/*", "2020-01-01", NULL);
    acr(&f, "t1", "azure/sql", "2025-06", 999.995);   /* 999.995*100.0 = 99999.5 -> 100000: meets the floor */
    acr(&f, "t2", "azure/sql", "2025-06", 999.994);   /* 99999.40000000001 -> 99999: does not */
    acr(&f, "t3", "fam/x", "2025-06", 0.125);         /* 12.5 -> 13 cents, per row */
    acr(&f, "t3", "fam/x", "2025-06", 0.125);         /* duplicate key: 13 + 13 = 26 (not round(25.0)) */
    acr(&f, "t3", "fam/y", "2025-06", 1.005);         /* 100.49999999999999 -> 100 (not the text's 101) */
    const pcs_result_t *res = score(&f);
    NEAR(ent(res, PCS_M_NCA)->units, 1);
    NEAR(ent(res, PCS_M_NCA)->points, 1);
    /* cur = 26 + 100 = 126 cents: units USD 1.26, points 126*20/1000 = 2.52 */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 1.26);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 2.52);
    fx_free(&f);
}

Test(normalise, unit_counts_truncated_and_clamped_with_warnings)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(BAND_NET(10, 10, "{'p': 'seat_band', 'lo': 11, 'hi': 300}"), NUL, NUL,
                             "{'kind': 'growth', 'max': 20, 'units_for_max': 100, 'sources': " SRC("mw", "'CPOR'")
                             ", 'measure': 'month_sum', 'field': 'active_units', 'mode': 'absolute'}",
                             NUL)));
    const char *ts[] = {"t1", "t2", "t3"};
    for (int i = 0; i < 3; i++) {
        cust(&f, ts[i], NULL, false);
        assoc_all(&f, ts[i], PCS_AT_CPOR);
    }
    seats(&f, "t1", "m365/teams", "2025-06", 11.9, 40.7);   /* paid 11 (in band), active 40: 2 warnings */
    seats(&f, "t2", "m365/teams", "2025-06", 10.9, -3);     /* paid 10 (out), active 0: 2 warnings */
    seats(&f, "t3", "m365/teams", "2025-06", 300, 10);      /* clean */
    const pcs_result_t *res = score(&f);
    /* band: {t1, t3} = 2 -> 2 points (rounding would put t2's 11 in the band) */
    NEAR(ent(res, PCS_M_NCA)->units, 2);
    NEAR(ent(res, PCS_M_NCA)->points, 2);
    /* active: 40 + 0 + 10 = 50 -> 50*20/100 = 10 */
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->units, 50);
    NEAR(ent(res, PCS_M_USAGE_GROWTH)->points, 10);
    cr_expect_eq(res->n_warnings, 4);
    cr_expect_eq(warnings_mentioning(res, "t1"), 2);
    cr_expect_eq(warnings_mentioning(res, "t2"), 2);
    cr_expect_eq(warnings_mentioning(res, "t3"), 0);
    fx_free(&f);
}

Test(normalise, association_ending_before_it_starts_is_ignored)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5("{'kind': 'net_count', 'max': 10, 'units_for_max': 10, 'unit': 'tenant', 'sources': "
                             SRC("az", "'PAL'") ", 'predicates': [{'p': 'month_sum', 'field': 'acr', 'op': '>=', "
                             "'value': 100}]}",
                             NUL, NUL, NUL, NUL)));
    cust(&f, "t1", NULL, false);
    cust(&f, "t2", NULL, false);
    assoc(&f, "t1", PCS_AT_PAL, "*", "2025-06-10", "2025-06-01");   /* end < start: ignored */
    assoc(&f, "t2", PCS_AT_PAL, "*", "2025-06-15", "2025-06-15");   /* one day: valid, covers M */
    acr(&f, "t1", "azure/sql", "2025-06", 10);
    acr(&f, "t2", "azure/sql", "2025-06", 10);
    const pcs_result_t *res = score(&f);
    NEAR(ent(res, PCS_M_NCA)->units, 1);   /* t2 only */
    cr_expect_eq(res->n_warnings, 1);
    cr_expect_eq(warnings_mentioning(res, "t1"), 1);
    fx_free(&f);
}

#define MIX_AREA                                                                                             \
    "{'track_rule': {'kind': 'azure_mix', 'sources': " SRC("az", "'PAL', 'DPOR'") ", 'smb_pct': 80}, "       \
    "'tracks': {'enterprise': " EMPTY_TRACK ", 'smb': " EMPTY_TRACK "}}"

Test(normalise, unknown_tenant_is_its_own_enterprise_customer)
{
    fx_t f;
    fx_init(&f, MIX_AREA);
    cust(&f, "t1", "c1", true);
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-03", 10);
    const pcs_result_t *res = score(&f);
    /* population {c1}, all SMB: 100 >= 80 -> smb */
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_SMB);
    cr_expect_eq(res->n_warnings, 0);

    fx_begin(&f);
    cust(&f, "t1", "c1", true);
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-03", 10);
    assoc_all(&f, "t2", PCS_AT_PAL);            /* t2 is not in customers[] */
    acr(&f, "t2", "azure/sql", "2025-03", 10);
    res = score(&f);
    /* t2 -> customer t2, enterprise: population {c1, t2}, smb 1: 100 < 160 -> enterprise */
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_ENTERPRISE);
    cr_expect(res->areas[0].tracks[PCS_TRACK_ENTERPRISE].evaluated);
    cr_expect(!res->areas[0].tracks[PCS_TRACK_SMB].evaluated);
    cr_expect_eq(warnings_mentioning(res, "t2"), 1);
    int t2 = tenant_idx(res, "t2", 2);
    cr_assert_geq(t2, 0);
    cr_expect_str_eq(res->customer_of_tenant[t2], "t2");
    int t1 = tenant_idx(res, "t1", 2);
    cr_assert_geq(t1, 0);
    cr_expect_str_eq(res->customer_of_tenant[t1], "c1");
    fx_free(&f);
}

Test(normalise, unknown_certification_name_warns)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, PP("'c_a', 'c_c'", 1, 1, 10), NUL, NUL, NUL)));
    cert_ok(&f, "p1", "Cert A Associate");                             /* name */
    cert_ok(&f, "p2", "Cert Z Unknown");                               /* unknown: warning */
    cert_ok(&f, "p3", "microsoft certified:   CERT  a associate ");    /* normalised name */
    cert_ok(&f, "p4", "C_A");                                          /* ids are case-sensitive */
    cert_ok(&f, "p5", "cert c old name");                              /* alias */
    cert_ok(&f, "p6", "c_c");                                          /* id */
    const pcs_result_t *res = score(&f);
    /* counted: p1, p3, p5, p6 = 4 persons -> 4*1/1 = 4 */
    NEAR(ent(res, PCS_M_INTERMEDIATE)->units, 4);
    NEAR(ent(res, PCS_M_INTERMEDIATE)->points, 4);
    cr_expect_eq(res->n_warnings, 2);
    cr_expect_eq(warnings_mentioning(res, "Cert Z Unknown"), 1);
    cr_expect_eq(warnings_mentioning(res, "C_A"), 1);
    fx_free(&f);
}

/* ============================================================================================== */
/* §3 certification validity                                                                      */
/* ============================================================================================== */

/* catalogue: c_ret retired 2025-06-30, eligible until 2026-06-30; c_until eligible until
 * 2025-07-09 (dropped from the list, no retirement). One person, one record: 1 if valid at `at`. */
static double valid_units(fx_t *f, const char *c, const char *earned, const char *expires, const char *at)
{
    fx_begin(f);
    cert(f, "p1", c, earned, expires);
    return ent(score_at(f, at), PCS_M_INTERMEDIATE)->units;
}

Test(validity, earned_expires_retired_eligible_until)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, PP("'c_a', 'c_ret', 'c_until'", 1, 1, 100), NUL, NUL, NUL)));
    /* rule 1: earned <= X */
    NEAR(valid_units(&f, "c_a", "2025-07-10", NULL, "2025-07-10"), 1);
    NEAR(valid_units(&f, "c_a", "2025-07-11", NULL, "2025-07-10"), 0);
    /* rule 2: expires >= X */
    NEAR(valid_units(&f, "c_a", "2024-07-10", "2025-07-10", "2025-07-10"), 1);   /* expires on D: valid */
    NEAR(valid_units(&f, "c_a", "2024-07-10", "2025-07-09", "2025-07-10"), 0);
    /* rule 3: retired 2025-06-30, expires >= min(X, retired_on) */
    NEAR(valid_units(&f, "c_ret", "2024-01-01", "2025-07-01", "2025-07-10"), 1); /* lapsed after retirement */
    NEAR(valid_units(&f, "c_ret", "2024-01-01", "2025-06-30", "2025-07-10"), 1); /* = retired_on */
    NEAR(valid_units(&f, "c_ret", "2024-01-01", "2025-06-29", "2025-07-10"), 0); /* lapsed before */
    NEAR(valid_units(&f, "c_ret", "2024-01-01", "2025-06-29", "2025-06-15"), 1); /* before retirement */
    NEAR(valid_units(&f, "c_ret", "2024-01-01", "2025-06-10", "2025-06-15"), 0);
    /* rule 4: X <= eligible_until 2026-06-30 */
    NEAR(valid_units(&f, "c_ret", "2024-01-01", NULL, "2026-06-30"), 1);
    NEAR(valid_units(&f, "c_ret", "2024-01-01", NULL, "2026-07-01"), 0);
    NEAR(valid_units(&f, "c_ret", "2024-01-01", "2030-01-01", "2026-07-01"), 0);
    /* eligible_until without retired_on: own expiry still applies */
    NEAR(valid_units(&f, "c_until", "2024-01-01", NULL, "2025-07-09"), 1);
    NEAR(valid_units(&f, "c_until", "2024-01-01", NULL, "2025-07-10"), 0);
    NEAR(valid_units(&f, "c_until", "2024-01-01", "2025-07-05", "2025-07-06"), 0);
    fx_free(&f);
}

Test(validity, any_valid_record_counts_once)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, PP("'c_a', 'c_b'", 1, 1, 100), NUL, NUL, NUL)));
    cert(&f, "p1", "c_a", "2022-01-01", "2024-01-01");   /* expired record */
    cert(&f, "p1", "c_a", "2024-06-01", "2026-06-01");   /* renewed: valid */
    cert(&f, "p2", "c_a", "2024-06-01", NULL);           /* two valid certs of one step: one person */
    cert(&f, "p2", "c_b", "2024-06-01", NULL);
    cert(&f, "p3", "c_a", "2022-01-01", "2024-01-01");   /* only an expired record */
    const pcs_result_t *res = score(&f);
    NEAR(ent(res, PCS_M_INTERMEDIATE)->units, 2);   /* p1, p2 */
    NEAR(ent(res, PCS_M_INTERMEDIATE)->points, 2);
    fx_free(&f);
}

/* ============================================================================================== */
/* §5 qualification                                                                               */
/* ============================================================================================== */

Test(qualify, total_exactly_70_and_non_applicable_ignored)
{
    fx_t f;
    /* NCA, usage growth and deployments null: not applicable, left out of the "> 0" test */
    fx_init(&f, FIXED(TRACK5(NUL, PP("'c_a'", 10, 1, 40), PP("'c_b'", 10, 1, 30), NUL, NUL)));
    people(&f, "a", 4, "c_a");   /* 4*10 = 40 */
    people(&f, "b", 3, "c_b");   /* 3*10 = 30 */
    const pcs_result_t *res = score(&f);
    const pcs_track_result_t *tr = &res->areas[0].tracks[PCS_TRACK_ENTERPRISE];
    NEAR(tr->total, 70);
    cr_expect(tr->qualified);
    cr_expect(res->areas[0].qualified_now);
    NEAR(res->areas[0].total, 70);

    fx_begin(&f);
    people(&f, "a", 4, "c_a");
    people(&f, "b", 2, "c_b");   /* 40 + 20 = 60 */
    res = score(&f);
    NEAR(res->areas[0].tracks[PCS_TRACK_ENTERPRISE].total, 60);
    cr_expect(!res->areas[0].tracks[PCS_TRACK_ENTERPRISE].qualified);
    fx_free(&f);
}

Test(qualify, total_within_eps_below_70)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NUL, PP("'c_a'", 23, 7, 40), PP("'c_b'", 31, 7, 40),
                             "{'kind': 'growth', 'max': 32, 'units_for_max': 7, 'sources': " SRC("mw", "'CPOR'")
                             ", 'measure': 'month_sum', 'field': 'active_units', 'mode': 'absolute'}",
                             NUL)));
    people(&f, "a", 5, "c_a");    /* (5*23)/7 = 115/7 */
    people(&f, "b", 9, "c_b");    /* (9*31)/7 = 279/7 */
    assoc_all(&f, "t1", PCS_AT_CPOR);
    seats(&f, "t1", "m365/teams", "2025-06", 0, 3);   /* (3*32)/7 = 96/7 */
    const pcs_result_t *res = score(&f);
    const pcs_track_result_t *tr = &res->areas[0].tracks[PCS_TRACK_ENTERPRISE];
    /* 115/7 + 279/7 + 96/7 = 490/7 = 70 exactly, but the double sum is 69.99999999999999 */
    cr_expect(tr->total < 70.0, "total %.17g is not below 70: the EPS case is not exercised", tr->total);
    cr_expect(tr->total >= 70.0 - 1e-9);
    cr_expect(tr->qualified, "total %.17g must qualify with EPS", tr->total);
    NEAR(pcs_round2(tr->total), 70.0);
    fx_free(&f);
}

Test(qualify, zero_applicable_metric_blocks)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NCA_ANY2_1000, PP("'c_a'", 10, 1, 50), PP("'c_b'", 10, 1, 30), NUL, NUL)));
    people(&f, "a", 5, "c_a");   /* 50 */
    people(&f, "b", 3, "c_b");   /* 30 */
    const pcs_result_t *res = score(&f);
    const pcs_track_result_t *tr = &res->areas[0].tracks[PCS_TRACK_ENTERPRISE];
    /* total 80 >= 70 but the applicable NCA has 0 points */
    NEAR(tr->total, 80);
    NEAR(tr->m[PCS_M_NCA].points, 0);
    cr_expect(!tr->qualified);
    cr_expect(!res->areas[0].qualified_now);

    fx_begin(&f);
    people(&f, "a", 5, "c_a");
    people(&f, "b", 3, "c_b");
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-06", 1000);   /* NCA +1 -> 10 points */
    res = score(&f);
    NEAR(res->areas[0].tracks[PCS_TRACK_ENTERPRISE].total, 90);
    cr_expect(res->areas[0].tracks[PCS_TRACK_ENTERPRISE].qualified);
    fx_free(&f);
}

/* ============================================================================================== */
/* §7 tracks                                                                                      */
/* ============================================================================================== */

Test(tracks, best_of_higher_total_tie_to_enterprise)
{
    fx_t f;
    fx_init(&f, "{'track_rule': {'kind': 'best_of'}, 'tracks': {"
                "'enterprise': " TRACK5(NUL, PP("'c_a'", 10, 1, 100), NUL, NUL, NUL) ", "
                "'smb': " TRACK5(NUL, PP("'c_b'", 20, 6, 100), NUL, NUL, NUL) "}}");
    people(&f, "a", 2, "c_a");   /* enterprise 2*10 = 20 */
    people(&f, "b", 9, "c_b");   /* smb (9*20)/6 = 30 */
    const pcs_result_t *res = score(&f);
    cr_expect(res->areas[0].tracks[PCS_TRACK_ENTERPRISE].evaluated);
    cr_expect(res->areas[0].tracks[PCS_TRACK_SMB].evaluated);
    NEAR(res->areas[0].tracks[PCS_TRACK_ENTERPRISE].total, 20);
    NEAR(res->areas[0].tracks[PCS_TRACK_SMB].total, 30);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_SMB);
    NEAR(res->areas[0].total, 30);

    fx_begin(&f);
    people(&f, "a", 2, "c_a");   /* 20 */
    people(&f, "b", 6, "c_b");   /* (6*20)/6 = 20: tie */
    res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_ENTERPRISE);

    fx_begin(&f);
    people(&f, "a", 3, "c_a");   /* 30 */
    people(&f, "b", 6, "c_b");   /* 20 */
    res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_ENTERPRISE);
    NEAR(res->areas[0].total, 30);
    fx_free(&f);
}

/* customers c1..c4 SMB and c5 enterprise, each with one tenant credited in TTM(M) (c5 at ACR 0) */
static void mix_base(fx_t *f)
{
    const char *t[] = {"t1", "t2", "t3", "t4", "t5"}, *c[] = {"c1", "c2", "c3", "c4", "c5"};
    for (int i = 0; i < 5; i++) {
        cust(f, t[i], c[i], i < 4);
        assoc_all(f, t[i], PCS_AT_PAL);
        acr(f, t[i], "azure/sql", "2025-03", i < 4 ? 10 : 0);
    }
}

Test(tracks, azure_mix_80_percent_boundary)
{
    fx_t f;
    fx_init(&f, MIX_AREA);
    mix_base(&f);
    const pcs_result_t *res = score(&f);
    /* population 5 (c5 with ACR 0 counts, §17.6), smb 4: 400 >= 80*5 = 400 -> smb */
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_SMB);
    cr_expect(res->areas[0].tracks[PCS_TRACK_SMB].evaluated);
    cr_expect(!res->areas[0].tracks[PCS_TRACK_ENTERPRISE].evaluated);

    fx_begin(&f);
    mix_base(&f);
    cust(&f, "t6", "c6", false);
    assoc_all(&f, "t6", PCS_AT_PAL);
    acr(&f, "t6", "azure/sql", "2024-06", 10);   /* before TTM(M): not in the population */
    cust(&f, "t7", "c7", false);
    assoc_all(&f, "t7", PCS_AT_CPOR);
    acr(&f, "t7", "azure/sql", "2025-03", 10);   /* CPOR: not credited, not in the population */
    res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_SMB);

    fx_begin(&f);
    mix_base(&f);
    cust(&f, "t6", "c6", false);
    assoc_all(&f, "t6", PCS_AT_PAL);
    acr(&f, "t6", "azure/sql", "2024-07", 10);   /* first TTM month: population 6, 400 < 480 */
    res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_ENTERPRISE);

    fx_begin(&f);
    mix_base(&f);
    cust(&f, "t4", "c4", false);                 /* a second entry: c4 is no longer all-SMB (§17.5) */
    res = score(&f);
    /* smb 3 of 5: 300 < 400 -> enterprise */
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_ENTERPRISE);

    fx_begin(&f);                                 /* empty population -> enterprise */
    res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_ENTERPRISE);
    fx_free(&f);
}

Test(tracks, history_classifies_each_month)
{
    fx_t f;
    fx_init(&f, MIX_AREA);
    cust(&f, "t1", "c1", true);
    cust(&f, "t2", "c2", false);
    cust(&f, "t3", "c3", false);
    for (int i = 1; i <= 3; i++) {
        char t[8];
        snprintf(t, sizeof t, "t%d", i);
        assoc_all(&f, t, PCS_AT_PAL);
    }
    acr(&f, "t1", "azure/sql", "2025-01", 10);   /* SMB, in TTM(X) for X = 2025-01..2025-06 */
    acr(&f, "t2", "azure/sql", "2024-02", 10);   /* enterprise, in TTM(2025-01) only */
    acr(&f, "t3", "azure/sql", "2025-03", 10);   /* enterprise, in TTM(X) from X = 2025-03 */
    const pcs_result_t *res = score_mask(&f, "2025-07-10", 1u, true);
    /* X = 2025-01: c1, c2 -> 50% < 80% enterprise; 2025-02: c1 -> smb; 2025-03.. : c1, c3 -> enterprise
     * (2025-06 is the score at D) */
    const int want[6] = {PCS_TRACK_ENTERPRISE, PCS_TRACK_SMB, PCS_TRACK_ENTERPRISE,
                            PCS_TRACK_ENTERPRISE, PCS_TRACK_ENTERPRISE, PCS_TRACK_ENTERPRISE};
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(res->areas[0].history[i].month, mon("2025-01") + i);
        cr_expect_eq(res->areas[0].history[i].track, want[i], "history[%d].track", i);
    }
    fx_free(&f);
}

#define LARGE_AREA                                                                                           \
    "{'track_rule': {'kind': 'large_workloads', 'sources': " SRC("ba", "'DPOR'") ", 'field': 'revenue', "    \
    "'op': '>', 'value': 500000, 'min_workloads': 5}, "                                                      \
    "'tracks': {'enterprise': " EMPTY_TRACK ", 'smb': " EMPTY_TRACK "}}"

static const char *const BA_WL[] = {"bizapps/sales", "bizapps/finance", "bizapps/hr", "bizapps/field_service",
                                    "bizapps/customer_service"};

static void large(fx_t *f, const char *t, const char *wl, double rev_m, double rev_m12)
{
    if (rev_m)
        use(f, t, wl, "2025-06", 0, rev_m, 0, 0);
    if (rev_m12)
        use(f, t, wl, "2024-06", 0, rev_m12, 0, 0);
}

Test(tracks, large_workloads_need_both_months)
{
    fx_t f;
    fx_init(&f, LARGE_AREA);
    assoc_all(&f, "t1", PCS_AT_DPOR);
    for (int i = 0; i < 5; i++)
        large(&f, "t1", BA_WL[i], 5000.01, 5000.01);   /* > 5000 in M and M-12: 5 large */
    const pcs_result_t *res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_ENTERPRISE);
    cr_expect(!res->areas[0].tracks[PCS_TRACK_SMB].evaluated);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_DPOR);
    for (int i = 0; i < 5; i++)
        large(&f, "t1", BA_WL[i], i == 1 ? 5000.00 : 5000.01, 5000.01);   /* finance: 5000 is not > 5000 */
    res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_SMB);
    cr_expect(!res->areas[0].tracks[PCS_TRACK_ENTERPRISE].evaluated);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_DPOR);
    assoc_all(&f, "t2", PCS_AT_DPOR);
    for (int i = 0; i < 4; i++)
        large(&f, "t1", BA_WL[i], 6000, 6000);
    large(&f, "t2", BA_WL[0], 6000, 6000);               /* sales again: still one workload */
    large(&f, "t1", BA_WL[4], 6000, 0);                  /* customer_service: M at t1 ... */
    large(&f, "t2", BA_WL[4], 0, 6000);                  /* ... M-12 at t2: not one tenant */
    res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_SMB);

    fx_begin(&f);
    assoc_all(&f, "t1", PCS_AT_DPOR);
    assoc_all(&f, "t3", PCS_AT_CPOR);
    for (int i = 0; i < 4; i++)
        large(&f, "t1", BA_WL[i], 6000, 6000);
    large(&f, "t3", BA_WL[4], 6000, 6000);               /* CPOR is not a source type */
    res = score(&f);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_SMB);
    fx_free(&f);
}

/* The rule month by month in the history (the months of the status window are worked out in one
 * pass over the rows): five workloads large in 2024-03 and 2025-03 and in 2024-06 and 2025-06; in
 * 2025-04 too, but not in 2024-04; in 2024-05, but not in 2025-05; in 2025-01, with 2024-01 small. */
Test(tracks, large_workloads_each_month_of_the_history)
{
    fx_t f;
    fx_init(&f, LARGE_AREA);
    assoc_all(&f, "t1", PCS_AT_DPOR);
    for (int i = 0; i < 5; i++) {
        large(&f, "t1", BA_WL[i], 6000, 6000);
        use(&f, "t1", BA_WL[i], "2024-03", 0, 6000, 0, 0);
        use(&f, "t1", BA_WL[i], "2025-03", 0, 6000, 0, 0);
        use(&f, "t1", BA_WL[i], "2025-04", 0, 6000, 0, 0);
        use(&f, "t1", BA_WL[i], "2024-05", 0, 6000, 0, 0);
        use(&f, "t1", BA_WL[i], "2024-01", 0, 100, 0, 0);
        use(&f, "t1", BA_WL[i], "2025-01", 0, 6000, 0, 0);
    }
    const pcs_result_t *res = score_mask(&f, "2025-07-10", 1u, true);
    /* X = 2025-01..2025-06 (2025-06 is the score at D) */
    const int want[6] = {PCS_TRACK_SMB, PCS_TRACK_SMB, PCS_TRACK_ENTERPRISE,
                         PCS_TRACK_SMB, PCS_TRACK_SMB, PCS_TRACK_ENTERPRISE};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(res->areas[0].history[i].track, want[i], "history[%d].track", i);
    cr_expect_eq(res->areas[0].selected, PCS_TRACK_ENTERPRISE);
    fx_free(&f);
}

/* ============================================================================================== */
/* §11.2 status                                                                                   */
/* ============================================================================================== */

/* 7 persons with c_a give 7*10 = 70 points: qualified */
#define STATUS_AREA FIXED(TRACK5(NUL, PP("'c_a'", 10, 1, 70), NUL, NUL, NUL))

static void seven(fx_t *f, const char *expires)
{
    for (int i = 1; i <= 7; i++) {
        char p[8];
        snprintf(p, sizeof p, "p%d", i);
        cert(f, p, "c_a", "2024-01-01", expires);
    }
}

static void enroll(fx_t *f, const char *enrolled, const char *anniversary)
{
    pcs_err_t err = {0};
    cr_assert_eq(pcs_engine_add_enrollment(f->e, 0, day(enrolled), day(anniversary), &err), 0, "%s", err.msg);
}

static const pcs_area_result_t *status_of(fx_t *f)
{
    return &score_mask(f, "2025-07-10", 1u, true)->areas[0];
}

Test(status, not_started_and_in_progress)
{
    fx_t f;
    fx_init(&f, STATUS_AREA);
    const pcs_area_result_t *a = status_of(&f);
    cr_expect_eq(a->status, PCS_ST_NOT_STARTED, "%s", pcs_status_ids[a->status]);
    NEAR(a->total, 0);

    fx_begin(&f);
    cert(&f, "p1", "c_a", "2024-01-01", NULL);   /* 10 points > EPS */
    a = status_of(&f);
    cr_expect_eq(a->status, PCS_ST_IN_PROGRESS, "%s", pcs_status_ids[a->status]);
    NEAR(a->total, 10);
    cr_expect(!a->qualified_in_window);
    fx_free(&f);
}

Test(status, qualified_in_window)
{
    fx_t f;
    fx_init(&f, STATUS_AREA);
    seven(&f, NULL);
    const pcs_area_result_t *a = status_of(&f);
    cr_expect_eq(a->status, PCS_ST_QUALIFIED, "%s", pcs_status_ids[a->status]);
    cr_expect(a->qualified_now);

    fx_begin(&f);
    seven(&f, "2025-02-01");   /* window = 2025-02-01 .. D: qualified on its first day */
    a = status_of(&f);
    cr_expect_eq(a->window_start, day("2025-02-01"));
    cr_expect_eq(a->window_end, day("2025-07-10"));
    cr_expect(!a->qualified_now);
    cr_expect(a->qualified_in_window);
    cr_expect_eq(a->status, PCS_ST_QUALIFIED, "%s", pcs_status_ids[a->status]);

    fx_begin(&f);
    seven(&f, "2025-01-31");   /* lapsed the day before the window: total 0 now */
    a = status_of(&f);
    cr_expect(!a->qualified_in_window);
    cr_expect_eq(a->status, PCS_ST_NOT_STARTED, "%s", pcs_status_ids[a->status]);

    fx_begin(&f);              /* a stored qualified record inside the window */
    pcs_err_t err = {0};
    cr_assert_eq(pcs_engine_add_stored(f.e, 0, day("2025-03-05"), 75, true, PCS_TRACK_ENTERPRISE, &err), 0);
    a = status_of(&f);
    cr_expect(a->qualified_in_window);
    cr_expect_eq(a->status, PCS_ST_QUALIFIED, "%s", pcs_status_ids[a->status]);

    fx_begin(&f);              /* ... and one outside it */
    cr_assert_eq(pcs_engine_add_stored(f.e, 0, day("2025-01-31"), 75, true, PCS_TRACK_ENTERPRISE, &err), 0);
    a = status_of(&f);
    cr_expect(!a->qualified_in_window);
    cr_expect_eq(a->status, PCS_ST_NOT_STARTED, "%s", pcs_status_ids[a->status]);
    fx_free(&f);
}

Test(status, history_reads_the_facts_of_each_month)
{
    fx_t f;
    fx_init(&f, FIXED(TRACK5(NCA_ANY2_1000, PP("'c_a'", 10, 1, 20), PP("'c_b'", 5, 1, 20), NUL, NUL)));
    cert(&f, "p1", "c_a", "2025-01-15", "2025-03-20");
    cert(&f, "p2", "c_a", "2025-05-02", NULL);
    cert(&f, "p3", "c_b", "2025-04-10", NULL);
    assoc_all(&f, "t1", PCS_AT_PAL);
    acr(&f, "t1", "azure/sql", "2025-03", 1000);   /* net customer adds in 2025-03 and 2025-04 (10) */
    const pcs_area_result_t *a = status_of(&f);
    /* history evaluates the last day of the month after each data month: 02-28 p1 (10), 03-31 none,
     * 04-30 p3 (5), 05-31 and 06-30 p2 + p3 (15); 2025-06 is the score at D */
    const double want[6] = {10, 0, 5 + 10, 15 + 10, 15, 15};
    for (int i = 0; i < 6; i++)
        NEAR(a->history[i].total, want[i]);

    fx_begin(&f);   /* the same engine without certifications or usage */
    a = status_of(&f);
    for (int i = 0; i < 6; i++)
        NEAR(a->history[i].total, 0);
    fx_free(&f);
}

Test(status, enrolled_and_renewal_due)
{
    fx_t f;
    fx_init(&f, STATUS_AREA);
    seven(&f, NULL);
    enroll(&f, "2025-01-15", "2026-01-15");
    /* enrolled window = first_day(2026-01 - 5) .. last_day(2026-01) = 2025-08-01 .. 2026-01-31; D before it */
    const pcs_area_result_t *a = status_of(&f);
    cr_expect_eq(a->status, PCS_ST_ENROLLED, "%s", pcs_status_ids[a->status]);
    cr_expect(a->has_enrollment);
    cr_expect_eq(a->window_start, day("2025-08-01"));
    cr_expect_eq(a->window_end, day("2026-01-31"));

    fx_begin(&f);
    seven(&f, NULL);
    enroll(&f, "2024-09-15", "2025-09-15");
    /* window 2025-04-01 .. 2025-09-30 contains D: renewal_due, qualified now -> can_renew */
    a = status_of(&f);
    cr_expect_eq(a->status, PCS_ST_RENEWAL_DUE, "%s", pcs_status_ids[a->status]);
    cr_expect_eq(a->window_start, day("2025-04-01"));
    cr_expect_eq(a->window_end, day("2025-09-30"));
    cr_expect(a->can_renew);

    fx_begin(&f);
    seven(&f, "2025-03-31");   /* last qualified the day before the enrolled window */
    enroll(&f, "2024-09-15", "2025-09-15");
    a = status_of(&f);
    cr_expect_eq(a->status, PCS_ST_RENEWAL_DUE, "%s", pcs_status_ids[a->status]);
    cr_expect(!a->can_renew);

    fx_begin(&f);
    seven(&f, "2025-04-01");   /* qualified on the window's first day */
    enroll(&f, "2024-09-15", "2025-09-15");
    a = status_of(&f);
    cr_expect_eq(a->status, PCS_ST_RENEWAL_DUE, "%s", pcs_status_ids[a->status]);
    cr_expect(a->can_renew);
    fx_free(&f);
}

Test(status, enrollment_no_longer_active)
{
    fx_t f;
    fx_init(&f, STATUS_AREA);
    cert(&f, "p1", "c_a", "2024-01-01", NULL);
    enroll(&f, "2024-05-15", "2025-05-15");   /* active until last_day(2025-05) = 2025-05-31 < D */
    const pcs_area_result_t *a = status_of(&f);
    cr_expect(!a->has_enrollment);
    cr_expect_eq(a->status, PCS_ST_IN_PROGRESS, "%s", pcs_status_ids[a->status]);

    fx_begin(&f);
    cert(&f, "p1", "c_a", "2024-01-01", NULL);
    enroll(&f, "2025-07-11", "2026-07-11");   /* enrolled after D: not active yet */
    a = status_of(&f);
    cr_expect(!a->has_enrollment);
    cr_expect_eq(a->status, PCS_ST_IN_PROGRESS, "%s", pcs_status_ids[a->status]);
    fx_free(&f);
}

/* ============================================================================================== */
/* Shipped rule sets: the same facts under pcs-2023 and pcs-2026                                  */
/* ============================================================================================== */

static pcs_rules_t *shipped(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/rules/%s", PCS_SOURCE_DIR, file);
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    cr_assert_not_null(text);
    size_t got = fread(text, 1, (size_t)n, fp);
    fclose(fp);
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_load(text, got, &err);
    cr_assert_not_null(r, "%s:%d:%d: %s", path, err.line, err.column, err.msg);
    free(text);
    return r;
}

enum { BA = 3, DATA_AI = 0, INFRA = 1 };

/* Business Applications, enterprise: t1 makes 5 large workloads (> USD 5,000 in M and M-12, so
 * they cancel out in NCA); t2 has revenue exactly USD 1,500 on sales in M. */
static void ba_enterprise_facts(fx_t *f)
{
    assoc_all(f, "t1", PCS_AT_DPOR);
    assoc_all(f, "t2", PCS_AT_DPOR);
    const char *wl[] = {"bizapps/sales", "bizapps/finance", "bizapps/field_service", "bizapps/customer_service",
                        "bizapps/project_operations"};
    for (int i = 0; i < 5; i++)
        large(f, "t1", wl[i], 6000, 6000);
    use(f, "t2", "bizapps/sales", "2025-06", 0, 1500, 0, 0);
}

Test(shipped, business_applications_nca_floor_gt_2023_ge_2026)
{
    const char *files[] = {"pcs-2023.json", "pcs-2026.json"};
    /* §8.2: enterprise NCA floor "> 1,500" in 2023, ">= 1,500" in 2026; units_for_max 5, max 15 */
    const double want_units[] = {0, 1}, want_points[] = {0, 3};   /* 1*15/5 = 3 */
    for (int v = 0; v < 2; v++) {
        fx_t f;
        fx_with(&f, shipped(files[v]), true);
        ba_enterprise_facts(&f);
        const pcs_result_t *res = score_mask(&f, "2025-07-10", 1u << BA, false);
        const pcs_area_result_t *a = &res->areas[BA];
        cr_expect_eq(a->selected, PCS_TRACK_ENTERPRISE, "%s", files[v]);
        const pcs_metric_result_t *m = &a->tracks[PCS_TRACK_ENTERPRISE].m[PCS_M_NCA];
        cr_expect(fabs(m->units - want_units[v]) <= 1e-9, "%s: units %g, expected %g", files[v], m->units,
                  want_units[v]);
        cr_expect(fabs(m->points - want_points[v]) <= 1e-9, "%s: points %g, expected %g", files[v], m->points,
                  want_points[v]);
        fx_free(&f);
    }
}

Test(shipped, business_applications_smb_nca_floor_250)
{
    const char *files[] = {"pcs-2023.json", "pcs-2026.json"};
    /* §8.2: SMB NCA floor "> 250" in 2023, ">= 250" in 2026; units_for_max 5, max 15 */
    const double want_units[] = {0, 1}, want_points[] = {0, 3};
    for (int v = 0; v < 2; v++) {
        fx_t f;
        fx_with(&f, shipped(files[v]), true);
        assoc_all(&f, "t1", PCS_AT_CSP_T1);
        use(&f, "t1", "bizapps/sales", "2025-06", 0, 250, 0, 0);
        const pcs_result_t *res = score_mask(&f, "2025-07-10", 1u << BA, false);
        const pcs_area_result_t *a = &res->areas[BA];
        cr_expect_eq(a->selected, PCS_TRACK_SMB, "%s", files[v]);   /* no large workload */
        const pcs_metric_result_t *m = &a->tracks[PCS_TRACK_SMB].m[PCS_M_NCA];
        cr_expect(fabs(m->units - want_units[v]) <= 1e-9, "%s: units %g, expected %g", files[v], m->units,
                  want_units[v]);
        cr_expect(fabs(m->points - want_points[v]) <= 1e-9, "%s: points %g, expected %g", files[v], m->points,
                  want_points[v]);
        fx_free(&f);
    }
}

Test(shipped, azure_nca_smb_floor_500_only_in_2026)
{
    const char *files[] = {"pcs-2023.json", "pcs-2026.json"};
    /* One SMB customer with USD 500 ACR in M. 2026: azure_mix -> smb (1 of 1), floor 500 ->
     * NCA units 1, points 1*30/3 = 10. 2023: enterprise only, floor 1,000 -> 0. */
    const int want_track[] = {PCS_TRACK_ENTERPRISE, PCS_TRACK_SMB};
    const double want_units[] = {0, 1}, want_points[] = {0, 10};
    for (int v = 0; v < 2; v++) {
        fx_t f;
        fx_with(&f, shipped(files[v]), true);
        cust(&f, "t1", "c1", true);
        assoc_all(&f, "t1", PCS_AT_PAL);
        acr(&f, "t1", "azure/sql_database", "2025-06", 500);
        const pcs_result_t *res = score_mask(&f, "2025-07-10", (1u << DATA_AI) | (1u << INFRA), false);
        for (int a = DATA_AI; a <= INFRA; a++) {
            const pcs_area_result_t *ar = &res->areas[a];
            cr_expect_eq(ar->selected, want_track[v], "%s area %d", files[v], a);
            const pcs_metric_result_t *m = &ar->tracks[ar->selected].m[PCS_M_NCA];
            cr_expect(fabs(m->units - want_units[v]) <= 1e-9, "%s area %d: units %g, expected %g", files[v], a,
                      m->units, want_units[v]);
            cr_expect(fabs(m->points - want_points[v]) <= 1e-9, "%s area %d: points %g, expected %g", files[v], a,
                      m->points, want_points[v]);
        }
        fx_free(&f);
    }
}

Test(shipped, azure_deployments_and_growth_same_in_both)
{
    const char *files[] = {"pcs-2023.json", "pcs-2026.json"};
    /* §8.1 "same" rows: deployments count workloads with TTM ACR > 0 except VMs (5 -> 10 points
     * max, 2 each); growth is TTM percent with min_current USD 1,000. */
    for (int v = 0; v < 2; v++) {
        fx_t f;
        fx_with(&f, shipped(files[v]), true);
        cust(&f, "t1", "c1", false);
        assoc_all(&f, "t1", PCS_AT_DPOR);
        acr(&f, "t1", "azure/sql_database", "2025-06", 1100);          /* cur TTM 1100 + 100 = 1200 */
        acr(&f, "t1", "azure/app_service", "2025-01", 100);
        acr(&f, "t1", "azure/virtual_machines", "2025-06", 5000);     /* excluded from deployments */
        acr(&f, "t1", "azure/virtual_machines", "2024-06", 5000);     /* ... but in growth */
        acr(&f, "t1", "azure/sql_database", "2024-06", 1000);
        const pcs_result_t *res = score_mask(&f, "2025-07-10", 1u << INFRA, false);
        const pcs_area_result_t *ar = &res->areas[INFRA];
        cr_expect_eq(ar->selected, PCS_TRACK_ENTERPRISE, "%s", files[v]);
        const pcs_track_result_t *tr = &ar->tracks[PCS_TRACK_ENTERPRISE];
        /* deployments: {sql_database, app_service} = 2 -> 2*10/5 = 4 */
        cr_expect(fabs(tr->m[PCS_M_DEPLOYMENTS].units - 2) <= 1e-9, "%s: %g", files[v], tr->m[PCS_M_DEPLOYMENTS].units);
        cr_expect(fabs(tr->m[PCS_M_DEPLOYMENTS].points - 4) <= 1e-9, "%s", files[v]);
        /* growth: cur = 1100+100+5000 = 6200, base = 5000+1000 = 6000 (TTM 2023-07..2024-06):
         * (620000-600000)*100/600000 = 3.3333 %, points 3.333.. * 20/20 */
        cr_expect(fabs(tr->m[PCS_M_USAGE_GROWTH].units - 20000.0 * 100.0 / 600000.0) <= 1e-9, "%s: %.17g", files[v],
                  tr->m[PCS_M_USAGE_GROWTH].units);
        cr_expect(fabs(tr->m[PCS_M_USAGE_GROWTH].points - 20000.0 * 100.0 / 600000.0) <= 1e-9, "%s", files[v]);
        fx_free(&f);
    }
}
