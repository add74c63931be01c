/* Rule-file loading (rules/SCHEMA.md, scoring.md §1.1.7, §17.4): a minimal valid rule set,
 * a table of broken variants that must each be rejected with "json.path: reason" and a line,
 * the shipped rule files, and certification look-up by id / name / alias.
 *
 * The inline JSON is written with single quotes for readability; json_of() turns them into
 * double quotes (no value below contains an apostrophe). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_err.h"
#include "pcs_rules.h"

/* One small track reused by the areas that are not the subject of a broken variant. It uses
 * every metric kind, so the minimal set also exercises parts, options, sticky predicates,
 * hi_op null and already_deployed_pct. */
#define TRACK                                                                                                    \
    "{'metrics': {"                                                                                              \
    "'net_customer_adds': {'kind': 'net_count', 'max': 20, 'units_for_max': 10, 'unit': 'tenant', "              \
    "'sources': [{'workloads': 'm365', 'types': ['CPOR']}], "                                                    \
    "'predicates': [{'p': 'seat_band', 'lo': 11, 'hi': 300, 'sticky_against': {'p': 'seat_band', 'lo': 301, "    \
    "'hi': null}}]}, "                                                                                           \
    "'intermediate_certifications': {'kind': 'cert_steps', 'max': 10, 'steps': [{'certs': ['az_admin', "         \
    "'az_architect'], 'min_people': 1, 'award': {'flat': 4}}]}, "                                                \
    "'advanced_certifications': {'kind': 'cert_steps', 'max': 15, 'steps': [{'certs': ['az_dba'], "              \
    "'min_people': 1, 'award': {'per_person': [15, 2]}}]}, "                                                     \
    "'usage_growth': {'kind': 'options', 'max': 30, 'options': ["                                                \
    "{'name': 'CPOR', 'kind': 'growth', 'units_for_max': 1000, 'sources': [{'workloads': 'm365', 'types': "      \
    "['CPOR']}], 'measure': 'month_sum', 'field': 'active_units', 'mode': 'absolute', 'filter': [{'p': "         \
    "'seat_band', 'lo': 11, 'hi': 300}], 'baseline': 'pre_association'}, "                                       \
    "{'name': 'DPOR', 'kind': 'growth', 'units_for_max': 4000, 'sources': [{'workloads': 'm365', 'types': "      \
    "['DPOR']}], 'measure': 'month_sum', 'field': 'active_units', 'mode': 'absolute'}]}, "                       \
    "'deployments': {'kind': 'parts', 'max': 20, 'parts': ["                                                     \
    "{'name': 'azure', 'kind': 'net_count', 'units_for_max': 6, 'unit': 'tenant', 'sources': [{'workloads': "    \
    "'azure', 'types': ['PAL']}], 'predicates': [{'p': 'ttm_sum_range', 'field': 'acr', 'lo_op': '>', 'lo': "    \
    "1200000, 'hi_op': null, 'hi': null}]}, "                                                                    \
    "{'name': 'm365', 'kind': 'net_count', 'units_for_max': 6, 'unit': 'tenant', 'sources': [{'workloads': "     \
    "'m365', 'types': ['CPOR']}], 'predicates': [{'p': 'seat_band', 'lo': 301, 'hi': null}, {'p': "              \
    "'active_ratio_min', 'pct': 15}], 'already_deployed_pct': 40}]}}}"

/* Every line that a broken variant touches is on its own line, so err.line can be checked. */
static const char BASE[] =
    "{\n"
    "  'rule_set': 'unit-min',\n"
    "  'catalogue': [\n"
    "    {'id': 'az_admin', 'name': 'Azure Administrator Associate', 'aliases': ['Azure Admin']},\n"
    "    {'id': 'az_architect',\n"
    "     'name': 'Azure Solutions Architect Expert',\n"
    "     'aliases': ['Solutions Architect'], 'retired_on': null, 'eligible_until': null},\n"
    "    {'id': 'az_dba', 'name': 'Azure Database Administrator Associate',\n"
    "     'retired_on': '2026-06-30',\n"
    "     'eligible_until': '2027-06-30'}\n"
    "  ],\n"
    "  'workload_sets': {'azure': ['azure/*'], 'm365': ['m365/teams', 'm365/intune'], 'biz': ['bizapps/sales']},\n"
    "  'rates': {'bizapps/sales': 20000},\n"
    "  'areas': {\n"
    "    'data_ai': {\n"
    "      'track_rule': {'kind': 'azure_mix', 'sources': [{'workloads': 'azure', 'types': ['PAL', 'DPOR']}], "
    "'smb_pct': 80},\n"
    "      'tracks': {\n"
    "        'enterprise': {'metrics': {\n"
    "          'net_customer_adds': {'kind': 'net_count', 'max': 30,\n"
    "            'units_for_max': 3, 'unit': 'tenant',\n"
    "            'sources': [{'workloads': 'azure', 'types': ['PAL', 'CSP_T1']}],\n"
    "            'predicates': [{'p': 'month_sum_any2', 'field': 'acr', 'op': '>=', 'value': 100000}]},\n"
    "          'intermediate_certifications': {'kind': 'cert_steps', 'max': 40, 'steps': [\n"
    "            {'certs': ['az_admin'], 'min_people': 2, 'award': 'none'},\n"
    "            {'certs': ['az_architect'], 'min_people': 2, 'award': 'none'},\n"
    "            {'certs': ['az_dba'], 'min_people': 1, 'award': {'per_person': [4, 1]}, 'requires': [0, 1]}]},\n"
    "          'advanced_certifications': null,\n"
    "          'usage_growth': {'kind': 'growth', 'max': 20, 'units_for_max': 20,\n"
    "            'sources': [{'workloads': 'azure', 'types': ['PAL']}],\n"
    "            'measure': 'ttm_sum', 'field': 'acr', 'mode': 'percent', 'min_current': 100000},\n"
    "          'deployments': {'kind': 'distinct_workloads', 'max': 10, 'units_for_max': 5,\n"
    "            'sources': [{'workloads': 'azure', 'types': ['PAL']}], 'exclude': ['azure/virtual_machines']}}},\n"
    "        'smb': " TRACK "}},\n"
    "    'infrastructure': {\n"
    "      'track_rule': {'kind': 'fixed', 'track': 'enterprise'},\n"
    "      'tracks': {'enterprise': " TRACK "}},\n"
    "    'digital_app_innovation': {'track_rule': {'kind': 'fixed', 'track': 'enterprise'}, 'tracks': {'enterprise': "
    TRACK ", 'smb': " TRACK "}},\n"
    "    'business_applications': {\n"
    "      'track_rule': {'kind': 'large_workloads', 'sources': [{'workloads': 'biz', 'types': ['DPOR']}], "
    "'field': 'revenue', 'op': '>', 'value': 500000, 'min_workloads': 5},\n"
    "      'tracks': {\n"
    "        'enterprise': {'metrics': {\n"
    "          'net_customer_adds': {'kind': 'net_count', 'max': 15, 'units_for_max': 5, 'unit': 'tenant_workload',\n"
    "            'sources': [{'workloads': 'biz', 'types': ['DPOR']}],\n"
    "            'predicates': [{'p': 'month_sum', 'field': 'revenue', 'op': '>=', 'value': 150000}]},\n"
    "          'intermediate_certifications': {'kind': 'cert_steps', 'max': 20, 'steps': [{'certs': ['az_admin'], "
    "'min_people': 1, 'award': {'per_person': [1, 1]}}]},\n"
    "          'advanced_certifications': {'kind': 'cert_steps', 'max': 15, 'steps': [{'certs': ['az_architect'], "
    "'min_people': 1, 'award': {'per_person': [15, 7]}}]},\n"
    "          'usage_growth': {'kind': 'growth', 'max': 30, 'units_for_max': 30, 'sources': [{'workloads': 'biz', "
    "'types': ['DPOR']}], 'measure': 'month_sum', 'field': 'mcv', 'mode': 'percent', 'min_baseline': 5000000},\n"
    "          'deployments': {'kind': 'net_count', 'max': 20, 'units_for_max': 5, 'unit': 'tenant_workload', "
    "'sources': [{'workloads': 'biz', 'types': ['DPOR']}], 'predicates': [{'p': 'month_sum', 'field': 'mcv', "
    "'op': '>=', 'value': 1000000}]}}},\n"
    "        'smb': " TRACK "}},\n"
    "    'modern_work': {'track_rule': {'kind': 'best_of'}, 'tracks': {'enterprise': " TRACK ", 'smb': " TRACK "}},\n"
    "    'security': {\n"
    "      'track_rule': {'track': 'enterprise', 'kind': 'fixed'},\n"
    "      'tracks': {'enterprise': " TRACK "}}\n"
    "  }\n"
    "}\n";

/* Single quotes to double quotes; the caller frees. */
static char *json_of(const char *s)
{
    char *o = strdup(s);
    cr_assert_not_null(o);
    for (char *p = o; *p; p++)
        if (*p == '\'')
            *p = '"';
    return o;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* hay with its only occurrence of find replaced by repl (asserted unique, so a typo in the
 * table cannot turn a broken variant into the valid base). */
static char *replace_once(const char *hay, const char *find, const char *repl)
{
    cr_assert_eq(count_of(hay, find), 1, "'%s' occurs %d times in the base rule set", find, count_of(hay, find));
    const char *p = strstr(hay, find);
    size_t a = (size_t)(p - hay), fl = strlen(find), rl = strlen(repl), tl = strlen(hay);
    char *o = malloc(tl - fl + rl + 1);
    cr_assert_not_null(o);
    memcpy(o, hay, a);
    memcpy(o + a, repl, rl);
    memcpy(o + a + rl, p + fl, tl - a - fl + 1);
    return o;
}

/* 1-based line of the first occurrence of needle in text. */
static int line_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    cr_assert_not_null(p, "marker '%s' not in the variant", needle);
    int line = 1;
    for (const char *q = text; q < p; q++)
        line += *q == '\n';
    return line;
}

Test(rules, minimal_inline_rule_set_loads)
{
    char *text = json_of(BASE);
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_load(text, strlen(text), &err);
    cr_assert_not_null(r, "base rule set rejected: %d:%d: %s", err.line, err.column, err.msg);
    cr_expect_str_eq(r->name, "unit-min");
    cr_expect_eq(r->n_certs, 3);
    cr_expect_eq(r->areas[0].track_rule, PCS_TR_AZURE_MIX);
    cr_expect_eq(r->areas[0].smb_pct, 80);
    cr_expect_eq(r->areas[1].track_rule, PCS_TR_FIXED);
    cr_expect_eq(r->areas[1].fixed_track, PCS_TRACK_ENTERPRISE);
    cr_expect_eq(r->areas[3].track_rule, PCS_TR_LARGE_WORKLOADS);
    cr_expect_eq(r->areas[3].value, 500000);
    cr_expect_eq(r->areas[3].min_workloads, 5);
    cr_expect_eq(r->areas[4].track_rule, PCS_TR_BEST_OF);
    /* data_ai advanced is null = not applicable; the other metrics exist. */
    cr_expect_null(r->areas[0].metrics[PCS_TRACK_ENTERPRISE][PCS_M_ADVANCED]);
    const pcs_metric_t *nca = r->areas[0].metrics[PCS_TRACK_ENTERPRISE][PCS_M_NCA];
    cr_assert_not_null(nca);
    cr_expect_eq(nca->kind, PCS_K_NET_COUNT);
    cr_expect_float_eq(nca->max, 30.0, 1e-12);
    cr_expect_float_eq(nca->ufm, 3.0, 1e-12);
    cr_expect_eq(nca->n_preds, 1);
    cr_expect_eq(nca->preds[0].kind, PCS_P_MONTH_SUM_ANY2);
    cr_expect_eq(nca->preds[0].lo_op, PCS_OP_GE);
    cr_expect_eq(nca->preds[0].lo, 100000);
    const pcs_metric_t *inter = r->areas[0].metrics[PCS_TRACK_ENTERPRISE][PCS_M_INTERMEDIATE];
    cr_assert_not_null(inter);
    cr_expect_eq(inter->n_steps, 3);
    cr_expect_eq(inter->steps[2].award, PCS_AW_PER_PERSON);
    cr_expect_eq(inter->steps[2].requires, 3u); /* requires [0, 1] -> bits 0 and 1 */
    /* catalogue dates */
    cr_expect_eq(r->certs[0].retired_on, INT32_MAX);
    cr_expect_neq(r->certs[2].retired_on, INT32_MAX);
    /* the smb track's NCA predicate is sticky against the enterprise band */
    const pcs_metric_t *snca = r->areas[0].metrics[PCS_TRACK_SMB][PCS_M_NCA];
    cr_assert_not_null(snca);
    cr_assert_not_null(snca->preds[0].sticky);
    cr_expect_eq(snca->preds[0].sticky->kind, PCS_P_SEAT_BAND);
    cr_expect_eq(snca->preds[0].sticky->lo, 301);
    cr_expect_eq(r->areas[3].metrics[PCS_TRACK_ENTERPRISE][PCS_M_NCA]->unit_tenant_workload, true);
    cr_expect_eq(pcs_rules_rate(r, "bizapps/sales"), 20000);
    cr_expect_eq(pcs_rules_rate(r, "bizapps/finance"), -1);
    pcs_rules_destroy(&r);
    cr_expect_null(r);
    free(text);
}

typedef struct {
    const char *name;
    const char *find, *repl;   /* replace the (unique) find in BASE with repl */
    const char *path;          /* expected start of err.msg, followed by ": " ("" = no path, see below) */
    const char *at;            /* a marker whose line err.line must equal, or NULL (only line > 0) */
} broken_t;

/* Paths follow the loader's convention: keys joined by '.', array indices as [i]. */
static const broken_t broken[] = {
    {"unknown key", "'net_customer_adds': {'kind': 'net_count', 'max': 30,",
     "'net_customer_adds': {'kind': 'net_count', 'max': 30, 'colour': 1,",
     "areas.data_ai.tracks.enterprise.metrics.net_customer_adds.colour", "'colour'"},
    {"wrong type (kind is a number)", "'net_customer_adds': {'kind': 'net_count', 'max': 30,",
     "'net_customer_adds': {'kind': 7, 'max': 30,", "areas.data_ai.tracks.enterprise.metrics.net_customer_adds.kind",
     "'kind': 7"},
    {"unknown kind", "'net_customer_adds': {'kind': 'net_count', 'max': 30,",
     "'net_customer_adds': {'kind': 'net_cnt', 'max': 30,",
     "areas.data_ai.tracks.enterprise.metrics.net_customer_adds.kind", "'net_cnt'"},
    {"wrong type (max is a string)", "'kind': 'net_count', 'max': 30,", "'kind': 'net_count', 'max': '30',",
     "areas.data_ai.tracks.enterprise.metrics.net_customer_adds.max", "'30'"},
    {"wrong type (min_people is a float)", "{'certs': ['az_admin'], 'min_people': 2,",
     "{'certs': ['az_admin'], 'min_people': 2.5,",
     "areas.data_ai.tracks.enterprise.metrics.intermediate_certifications.steps[0].min_people", "2.5"},
    {"missing key (units_for_max)", "'units_for_max': 3, 'unit': 'tenant',", "'unit': 'tenant',",
     "areas.data_ai.tracks.enterprise.metrics.net_customer_adds.units_for_max", NULL},
    {"missing key (catalogue name)", "'name': 'Azure Solutions Architect Expert',\n", "\n", "catalogue[1]",
     "{'id': 'az_architect'"},
    {"unknown metric id", "'advanced_certifications': null,", "'advanced_certifications': null, 'x': 1,",
     "areas.data_ai.tracks.enterprise.metrics.x", "'x': 1"},
    {"missing key (a metric)", "'advanced_certifications': null,", "", "areas.data_ai.tracks.enterprise.metrics", NULL},
    {"unknown association type", "'types': ['PAL', 'CSP_T1']", "'types': ['PAL', 'CSP_T9']",
     "areas.data_ai.tracks.enterprise.metrics.net_customer_adds.sources[0].types[1]", "'CSP_T9'"},
    {"dangling workload set name", "'sources': [{'workloads': 'azure', 'types': ['PAL', 'CSP_T1']}]",
     "'sources': [{'workloads': 'azur', 'types': ['PAL', 'CSP_T1']}]",
     "areas.data_ai.tracks.enterprise.metrics.net_customer_adds.sources[0].workloads", "'azur'"},
    {"unknown cert id in a step", "{'certs': ['az_dba'], 'min_people': 1, 'award': {'per_person': [4, 1]}",
     "{'certs': ['az_dba', 'az_nope'], 'min_people': 1, 'award': {'per_person': [4, 1]}",
     "areas.data_ai.tracks.enterprise.metrics.intermediate_certifications.steps[2].certs[1]", "'az_nope'"},
    {"cert id given with the wrong case in a step", "{'certs': ['az_architect'], 'min_people': 2,",
     "{'certs': ['AZ_ARCHITECT'], 'min_people': 2,",
     "areas.data_ai.tracks.enterprise.metrics.intermediate_certifications.steps[1].certs[0]", "'AZ_ARCHITECT'"},
    {"duplicate cert id", "{'id': 'az_architect',", "{'id': 'az_admin',", "catalogue[1].id", "{'id': 'az_admin',\n"},
    {"duplicate normalised name across two ids", "'name': 'Azure Solutions Architect Expert',",
     "'name': ' Microsoft Certified:  AZURE   administrator Associate ',", "catalogue[1].name", "AZURE"},
    {"alias equal to another id's name after normalisation", "'aliases': ['Solutions Architect']",
     "'aliases': ['azure administrator  associate']", "catalogue[1].aliases[0]", "'azure administrator  associate'"},
    {"requires points at a later step", "{'certs': ['az_admin'], 'min_people': 2, 'award': 'none'}",
     "{'certs': ['az_admin'], 'min_people': 2, 'award': 'none', 'requires': [1]}",
     "areas.data_ai.tracks.enterprise.metrics.intermediate_certifications.steps[0].requires[0]", "'requires': [1]"},
    {"requires points at its own step", "'award': {'per_person': [4, 1]}, 'requires': [0, 1]",
     "'award': {'per_person': [4, 1]}, 'requires': [0, 2]",
     "areas.data_ai.tracks.enterprise.metrics.intermediate_certifications.steps[2].requires[1]", "[0, 2]"},
    {"two per_person steps in one metric", "{'certs': ['az_architect'], 'min_people': 2, 'award': 'none'}",
     "{'certs': ['az_architect'], 'min_people': 2, 'award': {'per_person': [1, 1]}}",
     "areas.data_ai.tracks.enterprise.metrics.intermediate_certifications.steps[2].award", "[4, 1]"},
    {"bad date", "'retired_on': '2026-06-30',", "'retired_on': '2026-02-30',", "catalogue[2].retired_on",
     "'2026-02-30'"},
    {"date in the wrong format", "'eligible_until': '2027-06-30'}", "'eligible_until': '30/06/2027'}",
     "catalogue[2].eligible_until", "'30/06/2027'"},
    {"fixed track not defined", "'track_rule': {'kind': 'fixed', 'track': 'enterprise'},\n",
     "'track_rule': {'kind': 'fixed', 'track': 'smb'},\n", "areas.infrastructure.tracks", "'tracks': {'enterprise'"},
    {"best_of without smb track", "'track_rule': {'track': 'enterprise', 'kind': 'fixed'}",
     "'track_rule': {'kind': 'best_of'}", "areas.security.tracks", NULL},
    {"tenant_workload with a ttm predicate",
     "'predicates': [{'p': 'month_sum', 'field': 'revenue', 'op': '>=', 'value': 150000}]",
     "'predicates': [{'p': 'ttm_sum_range', 'field': 'revenue', 'lo_op': '>=', 'lo': 150000}]",
     "areas.business_applications.tracks.enterprise.metrics.net_customer_adds.predicates[0]", "'ttm_sum_range', 'field': 'revenue'"},
    {"skilling metric that is not cert_steps", "'advanced_certifications': null,",
     "'advanced_certifications': {'kind': 'growth', 'max': 1, 'units_for_max': 1, 'sources': [{'workloads': "
     "'azure', 'types': ['PAL']}], 'measure': 'ttm_sum', 'field': 'acr', 'mode': 'percent'},",
     "areas.data_ai.tracks.enterprise.metrics.advanced_certifications", NULL},
    {"op not allowed as a lower bound", "'op': '>=', 'value': 100000}",
     "'op': '<=', 'value': 100000}",
     "areas.data_ai.tracks.enterprise.metrics.net_customer_adds.predicates[0].op", "'<='"},
    {"unknown area", "'modern_work': {'track_rule'", "'modern_wrk': {'track_rule'", "areas.modern_wrk",
     "'modern_wrk'"},
    /* A syntax error has no JSON path: jansson's own message and position are reported. */
    {"truncated JSON", "    'security': {\n", "    'security': {\n      \n", "", NULL},
};

Test(rules, broken_variants_are_rejected_with_path_and_line)
{
    char *base = json_of(BASE);
    size_t n = sizeof broken / sizeof *broken;
    for (size_t i = 0; i < n; i++) {
        const broken_t *b = &broken[i];
        char *find = json_of(b->find), *repl = json_of(b->repl);
        char *text = replace_once(base, find, repl);
        size_t len = strlen(text);
        if (strcmp(b->name, "truncated JSON") == 0)
            len = (size_t)(strstr(text, "      \n") - text) + 7;   /* cut right after the inserted line */
        pcs_err_t err = {0};
        pcs_rules_t *r = pcs_rules_load(text, len, &err);
        cr_expect_null(r, "[%s] accepted", b->name);
        if (r) {
            pcs_rules_destroy(&r);
        } else {
            cr_expect_eq(err.code, PCS_EINVAL, "[%s] code %d", b->name, err.code);
            cr_expect_gt(err.line, 0, "[%s] line %d (%s)", b->name, err.line, err.msg);
            cr_expect_gt(strlen(err.msg), 0, "[%s] empty message", b->name);
            if (b->path[0]) {
                size_t pl = strlen(b->path);
                cr_expect(strncmp(err.msg, b->path, pl) == 0 && strncmp(err.msg + pl, ": ", 2) == 0,
                          "[%s] msg '%s' does not start with '%s: '", b->name, err.msg, b->path);
            }
            if (b->at) {
                char *at = json_of(b->at);
                int want = line_of(text, at);
                cr_expect_eq(err.line, want, "[%s] line %d, expected %d (%s)", b->name, err.line, want, err.msg);
                free(at);
            }
        }
        free(text);
        free(find);
        free(repl);
    }
    free(base);
}

Test(rules, truncated_json_reports_a_position)
{
    char *text = json_of(BASE);
    size_t len = strlen(text) / 2;
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_load(text, len, &err);
    cr_expect_null(r);
    cr_expect_eq(err.code, PCS_EINVAL);
    cr_expect_gt(err.line, 0);
    cr_expect_gt(strlen(err.msg), 0);
    pcs_rules_destroy(&r);
    /* empty input and a bare value */
    r = pcs_rules_load("", 0, &err);
    cr_expect_null(r);
    cr_expect_eq(err.code, PCS_EINVAL);
    r = pcs_rules_load("[]", 2, &err);
    cr_expect_null(r);
    cr_expect_eq(err.code, PCS_EINVAL);
    free(text);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_not_null(s);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = '\0';
    *len = got;
    return s;
}

static pcs_rules_t *load_shipped(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/rules/%s", PCS_SOURCE_DIR, file);
    size_t len = 0;
    char *text = slurp(path, &len);
    cr_assert_not_null(text, "cannot read %s", path);
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_load(text, len, &err);
    cr_assert_not_null(r, "%s:%d:%d: %s", path, err.line, err.column, err.msg);
    free(text);
    return r;
}

Test(rules, shipped_pcs_2026_loads)
{
    pcs_rules_t *r = load_shipped("pcs-2026.json");
    cr_expect_str_eq(r->name, "pcs-2026");
    /* §7: Azure areas classified by customer mix, Business Applications by large workloads,
     * Modern Work and Security both tracks. */
    for (int a = 0; a < 3; a++)
        cr_expect_eq(r->areas[a].track_rule, PCS_TR_AZURE_MIX, "area %d", a);
    cr_expect_eq(r->areas[3].track_rule, PCS_TR_LARGE_WORKLOADS);
    cr_expect_eq(r->areas[4].track_rule, PCS_TR_BEST_OF);
    cr_expect_eq(r->areas[5].track_rule, PCS_TR_BEST_OF);
    /* §5: Data & AI advanced and Security advanced are not applicable. */
    for (int t = 0; t < PCS_TRACK_N; t++) {
        cr_expect_null(r->areas[0].metrics[t][PCS_M_ADVANCED]);
        cr_expect_null(r->areas[5].metrics[t][PCS_M_ADVANCED]);
        cr_expect_not_null(r->areas[1].metrics[t][PCS_M_ADVANCED]);
    }
    cr_expect_geq(pcs_rules_find_cert(r, "gh_agentic"), 0);
    pcs_rules_destroy(&r);
}

Test(rules, shipped_pcs_2023_loads)
{
    pcs_rules_t *r = load_shipped("pcs-2023.json");
    cr_expect_str_eq(r->name, "pcs-2023");
    for (int a = 0; a < 3; a++) {
        cr_expect_eq(r->areas[a].track_rule, PCS_TR_FIXED, "area %d", a);
        cr_expect_eq(r->areas[a].fixed_track, PCS_TRACK_ENTERPRISE, "area %d", a);
    }
    cr_expect_eq(r->areas[3].track_rule, PCS_TR_LARGE_WORKLOADS);
    cr_expect_eq(r->areas[4].track_rule, PCS_TR_BEST_OF);
    cr_expect_eq(r->areas[5].track_rule, PCS_TR_FIXED);
    cr_expect_null(r->areas[0].metrics[PCS_TRACK_ENTERPRISE][PCS_M_ADVANCED]);
    cr_expect_null(r->areas[5].metrics[PCS_TRACK_ENTERPRISE][PCS_M_ADVANCED]);
    /* §9: GitHub certifications are n/a in 2023, stack_hub only exists in 2023. */
    cr_expect_eq(pcs_rules_find_cert(r, "gh_agentic"), -1);
    cr_expect_geq(pcs_rules_find_cert(r, "stack_hub"), 0);
    pcs_rules_destroy(&r);
}

Test(rules, find_cert_by_id_name_and_alias)
{
    char *text = json_of(BASE);
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_load(text, strlen(text), &err);
    cr_assert_not_null(r, "%s", err.msg);
    /* ids: exact and case-sensitive (§17.4) */
    cr_expect_eq(pcs_rules_find_cert(r, "az_admin"), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "az_architect"), 1);
    cr_expect_eq(pcs_rules_find_cert(r, "az_dba"), 2);
    cr_expect_eq(pcs_rules_find_cert(r, "AZ_ADMIN"), -1);
    cr_expect_eq(pcs_rules_find_cert(r, "Az_Admin"), -1);
    cr_expect_eq(pcs_rules_find_cert(r, " az_admin"), -1);
    /* names, normalised (§1.1.7): case, surrounding and repeated whitespace, prefixes */
    cr_expect_eq(pcs_rules_find_cert(r, "Azure Administrator Associate"), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "azure administrator associate"), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "  AZURE   Administrator\tAssociate  "), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "Microsoft Certified: Azure Administrator Associate"), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "microsoft certified:Azure Administrator Associate"), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "  MICROSOFT   CERTIFIED:   azure administrator associate"), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "Microsoft 365 Certified: Azure Database Administrator Associate"), 2);
    cr_expect_eq(pcs_rules_find_cert(r, "Azure Solutions Architect Expert"), 1);
    /* aliases */
    cr_expect_eq(pcs_rules_find_cert(r, "Azure Admin"), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "Microsoft Certified: azure  ADMIN"), 0);
    cr_expect_eq(pcs_rules_find_cert(r, "solutions architect"), 1);
    /* near misses */
    cr_expect_eq(pcs_rules_find_cert(r, "Azure Administrator"), -1);
    cr_expect_eq(pcs_rules_find_cert(r, "Azure Administrator Associates"), -1);
    cr_expect_eq(pcs_rules_find_cert(r, "Certified: Azure Administrator Associate"), -1);
    cr_expect_eq(pcs_rules_find_cert(r, ""), -1);
    char buf[128];
    cr_expect_str_eq(pcs_cert_name_normalise("  Microsoft Certified:   Azure  AI\tEngineer  ", buf, sizeof buf),
                     "azure ai engineer");
    cr_expect_str_eq(pcs_cert_name_normalise("Microsoft 365 Certified: Teams Administrator Associate", buf,
                                             sizeof buf),
                     "teams administrator associate");
    pcs_rules_destroy(&r);
    free(text);
}

Test(rules, find_cert_in_shipped_catalogue)
{
    /* §9 / §17.4 names, on the shipped 2026 catalogue. */
    pcs_rules_t *r = load_shipped("pcs-2026.json");
    int admin = pcs_rules_find_cert(r, "az_admin");
    cr_assert_geq(admin, 0);
    cr_expect_eq(pcs_rules_find_cert(r, "Microsoft Certified: Azure Administrator Associate"), admin);
    cr_expect_eq(pcs_rules_find_cert(r, "AZ_ADMIN"), -1);
    int pbi = pcs_rules_find_cert(r, "pbi_analyst");
    cr_assert_geq(pbi, 0);
    cr_expect_eq(pcs_rules_find_cert(r, "Data Analyst Associate"), pbi);           /* alias */
    cr_expect_eq(pcs_rules_find_cert(r, "power bi data analyst associate"), pbi);
    int gh = pcs_rules_find_cert(r, "gh_agentic");
    cr_assert_geq(gh, 0);
    cr_expect_eq(pcs_rules_find_cert(r, "GitHub Certified: Agentic AI Developer"), gh);
    pcs_rules_destroy(&r);
}

Test(rules, workload_set_membership_and_indices)
{
    char *text = json_of(BASE);
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_load(text, strlen(text), &err);
    cr_assert_not_null(r, "%s", err.msg);
    const pcs_wset_t *az = NULL, *m = NULL;
    for (int i = 0; i < r->n_wsets; i++) {
        if (strcmp(r->wsets[i].name, "azure") == 0)
            az = &r->wsets[i];
        if (strcmp(r->wsets[i].name, "m365") == 0)
            m = &r->wsets[i];
    }
    cr_assert_not_null(az);
    cr_assert_not_null(m);
    cr_expect(pcs_wset_contains(az, "azure/sql_database"));
    cr_expect(!pcs_wset_contains(az, "m365/teams"));
    cr_expect(!pcs_wset_contains(az, "azurex/sql"));
    cr_expect(pcs_wset_contains(m, "m365/teams"));
    cr_expect(!pcs_wset_contains(m, "m365/teams_phone"));
    cr_expect_eq(pcs_area_index("security"), 5);
    cr_expect_eq(pcs_area_index("Security"), -1);
    cr_expect_eq(pcs_assoc_type_index("CPOR_REVREC_PERF"), PCS_AT_CPOR_REVREC_PERF);
    cr_expect_eq(pcs_assoc_type_index("cpor"), -1);
    pcs_rules_destroy(&r);
    free(text);
}

/* scoring.md §17 item 16: the names Microsoft's pages and TrainingCompletions give match, in both
 * shipped rule sets. */
Test(rules, official_credential_names_are_aliases)
{
    static const char *const pairs[][2] = {
        {"d365_sales_ai", "Dynamics 365 Sales AI Consultant Associate"},
        {"intelligent_apps_builder", "Intelligent Applications Builder Associate"},
        {"d365_contact_center", "Microsoft Certified: Dynamics 365 Contact Center AI Engineer Associate"},
        {"m365_fundamentals", "Microsoft 365 Certified: Fundamentals"},
        {"cyber_architect", "Microsoft Certified: Microsoft Cybersecurity Architect Expert"},
        {"identity_admin", "Microsoft Identity and Access Administrator"},
        {"info_protection_admin", "Microsoft Information Protection Administrator"},
    };
    static const char *const files[] = {"pcs-2023.json", "pcs-2026.json"};
    for (int f = 0; f < 2; f++) {
        pcs_rules_t *r = load_shipped(files[f]);
        for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
            int id = pcs_rules_find_cert(r, pairs[i][0]);
            cr_expect_geq(id, 0, "%s: %s", files[f], pairs[i][0]);
            cr_expect_eq(pcs_rules_find_cert(r, pairs[i][1]), id, "%s: '%s' is not %s", files[f], pairs[i][1],
                         pairs[i][0]);
        }
        pcs_rules_destroy(&r);
    }
}
