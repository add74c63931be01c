#include "pcs_rules.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_arena.h"
#include "pcs_date.h"
#include "pcs_file.h"
#include "pcs_jsonloc.h"
#include "pcs_strmap.h"


char *pcs_cert_name_normalise(const char *name, char *buf, size_t size)
{
    size_t o = 0;
    bool space = false;
    while (*name && isspace((unsigned char)*name))
        name++;
    for (; *name && o + 1 < size; name++) {
        unsigned char ch = (unsigned char)*name;
        if (isspace(ch)) {
            space = true;
            continue;
        }
        if (space && o > 0)
            buf[o++] = ' ';
        space = false;
        if (o + 1 < size)
            buf[o++] = (char)tolower(ch);
    }
    buf[o] = '\0';
    static const char *const prefixes[] = {"microsoft certified:", "microsoft 365 certified:"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(buf, prefixes[i], n) == 0) {
            size_t s = n;
            while (buf[s] == ' ')
                s++;
            memmove(buf, buf + s, strlen(buf + s) + 1);
            break;
        }
    }
    return buf;
}

/* ---- loader context ---------------------------------------------------------------------- */

typedef struct {
    const char *text;
    size_t len;
    pcs_jpath_t path;
    pcs_err_t *err;
    pcs_rules_t *r;
    int failed;
} ld_t;

__attribute__((format(printf, 2, 3))) static int fail(ld_t *c, const char *fmt, ...)
{
    if (c->failed)
        return -1;
    c->failed = 1;
    char where[256], why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    int line = 0, col = 0;
    pcs_jsonloc_find(c->text, c->len, &c->path, &line, &col);
    pcs_err_set(c->err, PCS_EINVAL, line, col, "%s: %s", pcs_jpath_format(&c->path, where, sizeof where),
                why);
    return -1;
}

static void *alloc(ld_t *c, size_t n)
{
    void *p = pcs_arena_alloc(c->r->arena, n ? n : 1);
    if (!p && !c->failed) {
        c->failed = 1;
        pcs_err_set(c->err, PCS_ENOMEM, 0, 0, "out of memory");
    }
    return p;
}

/* Checks that obj is an object whose keys are all in `allowed` (a NULL-terminated list) and
 * that the keys of `required` are present. */
static int check_keys(ld_t *c, json_t *obj, const char *const *allowed, const char *const *required)
{
    if (!json_is_object(obj))
        return fail(c, "expected an object");
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok = ok || strcmp(*a, k) == 0;
        if (!ok) {
            pcs_jpath_push_key(&c->path, k);
            return fail(c, "unknown key");
        }
    }
    for (const char *const *q = required; q && *q; q++)
        if (!json_object_get(obj, *q))
            return fail(c, "missing key '%s'", *q);
    return 0;
}

static int get_int(ld_t *c, json_t *obj, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    *out = 0;
    json_t *v = json_object_get(obj, key);
    pcs_jpath_push_key(&c->path, key);
    if (!json_is_integer(v))
        return fail(c, "expected an integer");
    int64_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return fail(c, "%lld out of range %lld..%lld", (long long)x, (long long)lo, (long long)hi);
    *out = x;
    pcs_jpath_pop(&c->path);
    return 0;
}

static int get_number(ld_t *c, json_t *obj, const char *key, double lo, double hi, double *out)
{
    *out = 0;
    json_t *v = json_object_get(obj, key);
    pcs_jpath_push_key(&c->path, key);
    if (!json_is_number(v))
        return fail(c, "expected a number");
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi))
        return fail(c, "%g out of range %g..%g", x, lo, hi);
    *out = x;
    pcs_jpath_pop(&c->path);
    return 0;
}

static int get_string(ld_t *c, json_t *obj, const char *key, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    pcs_jpath_push_key(&c->path, key);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail(c, "expected a non-empty string");
    *out = json_string_value(v);
    pcs_jpath_pop(&c->path);
    return 0;
}

static int get_date_or_null(ld_t *c, json_t *obj, const char *key, int32_t *out)
{
    json_t *v = json_object_get(obj, key);
    *out = PCS_DAY_NONE;
    if (!v || json_is_null(v))
        return 0;
    pcs_jpath_push_key(&c->path, key);
    if (!json_is_string(v) || pcs_day_parse(json_string_value(v), out) < 0)
        return fail(c, "expected a date YYYY-MM-DD or null");
    pcs_jpath_pop(&c->path);
    return 0;
}

static int index_of(const char *const *ids, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return i;
    return -1;
}

static int get_choice(ld_t *c, json_t *obj, const char *key, const char *const *choices, int n, int *out)
{
    const char *s = NULL;
    *out = -1;
    if (get_string(c, obj, key, &s) < 0)
        return -1;
    *out = index_of(choices, n, s);
    if (*out < 0) {
        pcs_jpath_push_key(&c->path, key);
        return fail(c, "unknown value '%s'", s);
    }
    return 0;
}

/* ---- catalogue, workload sets, rates ------------------------------------------------------ */

static int add_cert_name(ld_t *c, const char *name, int idx)
{
    char norm[256];
    pcs_cert_name_normalise(name, norm, sizeof norm);
    int32_t got = pcs_strmap_put(c->r->cert_names, norm, strlen(norm), idx, NULL);
    if (got < 0)
        return fail(c, "out of memory");
    if (got != idx)
        return fail(c, "name '%s' already belongs to '%s'", name, c->r->certs[got].id);
    return 0;
}

static int load_catalogue(ld_t *c, json_t *arr)
{
    static const char *const allowed[] = {"id", "name", "aliases", "retired_on", "eligible_until", NULL};
    static const char *const required[] = {"id", "name", NULL};
    pcs_jpath_push_key(&c->path, "catalogue");
    if (!json_is_array(arr))
        return fail(c, "expected an array");
    size_t n = json_array_size(arr);
    if (n > PCS_CERT_WORDS * 64)
        return fail(c, "more than %d certifications", PCS_CERT_WORDS * 64);
    pcs_cert_entry_t *certs = alloc(c, n * sizeof *certs);
    if (!certs)
        return -1;
    c->r->certs = certs;
    c->r->n_certs = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        pcs_jpath_push_index(&c->path, (long)i);
        if (check_keys(c, e, allowed, required) < 0 || get_string(c, e, "id", &certs[i].id) < 0 ||
            get_string(c, e, "name", &certs[i].name) < 0 ||
            get_date_or_null(c, e, "retired_on", &certs[i].retired_on) < 0 ||
            get_date_or_null(c, e, "eligible_until", &certs[i].eligible_until) < 0)
            return -1;
        if (pcs_strmap_put(c->r->cert_ids, certs[i].id, strlen(certs[i].id), (int32_t)i, NULL) != (int32_t)i) {
            pcs_jpath_push_key(&c->path, "id");
            return fail(c, "duplicate certification id '%s'", certs[i].id);
        }
        pcs_jpath_push_key(&c->path, "name");
        if (add_cert_name(c, certs[i].name, (int)i) < 0)
            return -1;
        pcs_jpath_pop(&c->path);
        json_t *al = json_object_get(e, "aliases");
        if (al) {
            pcs_jpath_push_key(&c->path, "aliases");
            if (!json_is_array(al))
                return fail(c, "expected an array of names");
            for (size_t k = 0; k < json_array_size(al); k++) {
                json_t *a = json_array_get(al, k);
                pcs_jpath_push_index(&c->path, (long)k);
                if (!json_is_string(a) || json_string_length(a) == 0)
                    return fail(c, "expected a non-empty string");
                if (add_cert_name(c, json_string_value(a), (int)i) < 0)
                    return -1;
                pcs_jpath_pop(&c->path);
            }
            pcs_jpath_pop(&c->path);
        }
        pcs_jpath_pop(&c->path);
    }
    pcs_jpath_pop(&c->path);
    return 0;
}

static bool valid_workload_id(const char *s, bool allow_pattern)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1])
        return false;
    if (allow_pattern && strcmp(slash + 1, "*") == 0)
        return true;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '/'))
            return false;
    return strchr(slash + 1, '/') == NULL;
}

/* Appends the workload set `name` from a JSON array of ids (with allow_pattern, also
 * family prefix patterns) and sets *index to it. The caller has pushed the array's path. */
static int add_wset(ld_t *c, json_t *list, const char *name, bool allow_pattern, int *index)
{
    if (c->r->n_wsets >= PCS_WSET_MAX)
        return fail(c, "more than %d workload sets", PCS_WSET_MAX);
    if (!json_is_array(list))
        return fail(c, "expected an array of workload ids");
    pcs_wset_t *ws = &c->r->wsets[c->r->n_wsets];
    ws->name = name;
    ws->n = (int)json_array_size(list);
    const char **entries = alloc(c, (size_t)ws->n * sizeof *entries);
    bool *pre = alloc(c, (size_t)ws->n * sizeof *pre);
    if (!entries || !pre)
        return -1;
    for (int i = 0; i < ws->n; i++) {
        json_t *w = json_array_get(list, (size_t)i);
        pcs_jpath_push_index(&c->path, i);
        if (!json_is_string(w) || !valid_workload_id(json_string_value(w), allow_pattern))
            return fail(c, allow_pattern ? "expected a workload id 'family/slug' or 'family/*'" : "expected a workload id");
        const char *s = json_string_value(w);
        size_t n = strlen(s);
        pre[i] = s[n - 1] == '*';
        entries[i] = pre[i] ? pcs_arena_strndup(c->r->arena, s, n - 1) : s;
        if (!entries[i])
            return fail(c, "out of memory");
        pcs_jpath_pop(&c->path);
    }
    ws->entries = entries;
    ws->is_prefix = pre;
    *index = c->r->n_wsets++;
    return 0;
}

static int load_wsets(ld_t *c, json_t *obj)
{
    pcs_jpath_push_key(&c->path, "workload_sets");
    if (!json_is_object(obj))
        return fail(c, "expected an object of named workload lists");
    const char *name;
    json_t *list;
    json_object_foreach(obj, name, list) {
        pcs_jpath_push_key(&c->path, name);
        int index;
        if (add_wset(c, list, name, true, &index) < 0)
            return -1;
        pcs_jpath_pop(&c->path);
    }
    pcs_jpath_pop(&c->path);
    return 0;
}

static int wset_index(const pcs_rules_t *r, const char *name)
{
    for (int i = 0; i < r->n_wsets; i++)
        if (strcmp(r->wsets[i].name, name) == 0)
            return i;
    return -1;
}

bool pcs_wset_contains(const pcs_wset_t *ws, const char *w)
{
    for (int i = 0; i < ws->n; i++) {
        if (ws->is_prefix[i] ? strncmp(w, ws->entries[i], strlen(ws->entries[i])) == 0
                             : strcmp(w, ws->entries[i]) == 0)
            return true;
    }
    return false;
}

static int load_rates(ld_t *c, json_t *obj)
{
    pcs_jpath_push_key(&c->path, "rates");
    if (!json_is_object(obj))
        return fail(c, "expected an object workload -> cents");
    size_t n = json_object_size(obj);
    const char **keys = alloc(c, n * sizeof *keys);
    int64_t *cents = alloc(c, n * sizeof *cents);
    if (!keys || !cents)
        return -1;
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach(obj, k, v) {
        pcs_jpath_push_key(&c->path, k);
        if (!valid_workload_id(k, false))
            return fail(c, "not a workload id");
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000000)
            return fail(c, "expected a rate in cents (integer 0..100000000)");
        keys[i] = k;
        cents[i] = json_integer_value(v);
        i++;
        pcs_jpath_pop(&c->path);
    }
    c->r->rate_keys = keys;
    c->r->rate_cents = cents;
    c->r->n_rates = (int)n;
    pcs_jpath_pop(&c->path);
    return 0;
}

int64_t pcs_rules_rate(const pcs_rules_t *r, const char *workload)
{
    for (int i = 0; i < r->n_rates; i++)
        if (strcmp(r->rate_keys[i], workload) == 0)
            return r->rate_cents[i];
    return -1;
}

int pcs_rules_find_cert(const pcs_rules_t *r, const char *name)
{
    int32_t i = pcs_strmap_get(r->cert_ids, name, strlen(name));
    if (i >= 0)
        return i;
    char norm[256];
    pcs_cert_name_normalise(name, norm, sizeof norm);
    return pcs_strmap_get(r->cert_names, norm, strlen(norm));
}

/* ---- sources, predicates, metrics ---------------------------------------------------------- */

static int load_sources(ld_t *c, json_t *obj, const char *key, int *scope_out)
{
    static const char *const allowed[] = {"workloads", "types", NULL};
    json_t *arr = json_object_get(obj, key);
    pcs_jpath_push_key(&c->path, key);
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > PCS_SCOPE_SRC_MAX)
        return fail(c, "expected an array of 1..%d sources", PCS_SCOPE_SRC_MAX);
    pcs_scope_t s = {0};
    s.n = (int)json_array_size(arr);
    for (int i = 0; i < s.n; i++) {
        json_t *src = json_array_get(arr, (size_t)i);
        pcs_jpath_push_index(&c->path, i);
        const char *wl;
        if (check_keys(c, src, allowed, allowed) < 0 || get_string(c, src, "workloads", &wl) < 0)
            return -1;
        s.src[i].wset = wset_index(c->r, wl);
        if (s.src[i].wset < 0) {
            pcs_jpath_push_key(&c->path, "workloads");
            return fail(c, "no workload set named '%s'", wl);
        }
        s.wsets |= 1ull << s.src[i].wset;
        json_t *types = json_object_get(src, "types");
        pcs_jpath_push_key(&c->path, "types");
        if (!json_is_array(types) || json_array_size(types) == 0)
            return fail(c, "expected a non-empty array of association types");
        for (size_t k = 0; k < json_array_size(types); k++) {
            json_t *t = json_array_get(types, k);
            int ti = json_is_string(t) ? pcs_assoc_type_index(json_string_value(t)) : -1;
            if (ti < 0) {
                pcs_jpath_push_index(&c->path, (long)k);
                return fail(c, "unknown association type");
            }
            s.src[i].types |= (uint16_t)(1u << ti);
        }
        pcs_jpath_pop(&c->path);
        pcs_jpath_pop(&c->path);
    }
    pcs_jpath_pop(&c->path);
    pcs_rules_t *r = c->r;
    for (int i = 0; i < r->n_scopes; i++) {
        pcs_scope_t *o = &r->scopes[i];
        if (o->n == s.n && memcmp(o->src, s.src, sizeof s.src[0] * (size_t)s.n) == 0) {
            *scope_out = i;
            return 0;
        }
    }
    if (r->n_scopes >= PCS_SCOPE_MAX)
        return fail(c, "more than %d distinct source lists", PCS_SCOPE_MAX);
    r->scopes[r->n_scopes] = s;
    *scope_out = r->n_scopes++;
    return 0;
}

static const char *const field_ids[] = {"acr", "revenue", "mcv", "paid_units", "active_units"};
static const char *const pred_ids[] = {"month_sum_any2", "month_sum", "ttm_sum_range", "seat_band",
                                       "active_ratio_min"};

static int get_op(ld_t *c, json_t *obj, const char *key, bool upper, pcs_op_t *out)
{
    static const char *const lower_ops[] = {">=", ">"};
    static const char *const upper_ops[] = {"<=", "<"};
    int i;
    if (get_choice(c, obj, key, upper ? upper_ops : lower_ops, 2, &i) < 0)
        return -1;
    *out = upper ? (i == 0 ? PCS_OP_LE : PCS_OP_LT) : (i == 0 ? PCS_OP_GE : PCS_OP_GT);
    return 0;
}

static int band_index(ld_t *c, int64_t lo, int64_t hi, bool open)
{
    /* Each distinct band gets one bit in the aggregates ("some row of the cell is in band"). */
    pcs_rules_t *r = c->r;
    for (int i = 0; i < r->n_bands; i++)
        if (r->band_lo[i] == lo && r->band_open[i] == open && (open || r->band_hi[i] == hi))
            return i;
    if (r->n_bands >= PCS_BAND_MAX)
        return fail(c, "more than %d distinct seat bands", PCS_BAND_MAX);
    r->band_lo[r->n_bands] = lo;
    r->band_hi[r->n_bands] = hi;
    r->band_open[r->n_bands] = open;
    return r->n_bands++;
}

static int load_pred(ld_t *c, json_t *p, pcs_pred_t *out, int depth)
{
    static const char *const allowed[] = {"p", "field", "op", "value", "lo_op", "lo", "hi_op", "hi",
                                          "pct", "sticky_against", NULL};
    static const char *const required[] = {"p", NULL};
    int kind, f;
    if (check_keys(c, p, allowed, required) < 0 || get_choice(c, p, "p", pred_ids, 5, &kind) < 0)
        return -1;
    out->kind = (pcs_pred_kind_t)kind;
    const int64_t big = 1000000000000000LL;
    switch (out->kind) {
    case PCS_P_MONTH_SUM_ANY2:
    case PCS_P_MONTH_SUM:
        if (get_choice(c, p, "field", field_ids, 5, &f) < 0 || get_op(c, p, "op", false, &out->lo_op) < 0 ||
            get_int(c, p, "value", -big, big, &out->lo) < 0)
            return -1;
        out->field = (pcs_field_t)f;
        break;
    case PCS_P_TTM_RANGE:
        if (get_choice(c, p, "field", field_ids, 5, &f) < 0 || get_op(c, p, "lo_op", false, &out->lo_op) < 0 ||
            get_int(c, p, "lo", -big, big, &out->lo) < 0)
            return -1;
        out->field = (pcs_field_t)f;
        out->hi_op = PCS_OP_NONE;
        if (json_object_get(p, "hi") && !json_is_null(json_object_get(p, "hi"))) {
            if (get_op(c, p, "hi_op", true, &out->hi_op) < 0 || get_int(c, p, "hi", -big, big, &out->hi) < 0)
                return -1;
        }
        break;
    case PCS_P_SEAT_BAND:
        if (get_int(c, p, "lo", 0, big, &out->lo) < 0)
            return -1;
        out->hi_op = PCS_OP_NONE;
        if (json_object_get(p, "hi") && !json_is_null(json_object_get(p, "hi"))) {
            if (get_int(c, p, "hi", out->lo, big, &out->hi) < 0)
                return -1;
            out->hi_op = PCS_OP_LE;
        }
        out->band = band_index(c, out->lo, out->hi, out->hi_op == PCS_OP_NONE);
        if (out->band < 0)
            return -1;
        break;
    case PCS_P_ACTIVE_RATIO:
        if (get_int(c, p, "pct", 0, 100000, &out->pct) < 0)
            return -1;
        break;
    }
    json_t *st = json_object_get(p, "sticky_against");
    if (st && !json_is_null(st)) {
        pcs_jpath_push_key(&c->path, "sticky_against");
        if (depth > 0)
            return fail(c, "a sticky counterpart cannot itself be sticky");
        pcs_pred_t *e = alloc(c, sizeof *e);
        if (!e || load_pred(c, st, e, depth + 1) < 0)
            return -1;
        out->sticky = e;
        pcs_jpath_pop(&c->path);
    }
    return 0;
}

static int load_preds(ld_t *c, json_t *obj, const char *key, bool required, const pcs_pred_t **out, int *n)
{
    json_t *arr = json_object_get(obj, key);
    *out = NULL;
    *n = 0;
    if (!arr && !required)
        return 0;
    pcs_jpath_push_key(&c->path, key);
    if (!json_is_array(arr) || (required && json_array_size(arr) == 0))
        return fail(c, "expected %san array of predicates", required ? "a non-empty " : "");
    size_t k = json_array_size(arr);
    pcs_pred_t *preds = alloc(c, k * sizeof *preds);
    if (!preds)
        return -1;
    for (size_t i = 0; i < k; i++) {
        pcs_jpath_push_index(&c->path, (long)i);
        if (load_pred(c, json_array_get(arr, i), &preds[i], 0) < 0)
            return -1;
        pcs_jpath_pop(&c->path);
    }
    *out = preds;
    *n = (int)k;
    pcs_jpath_pop(&c->path);
    return 0;
}

static int load_steps(ld_t *c, json_t *m, pcs_metric_t *out)
{
    static const char *const allowed[] = {"certs", "min_people", "award", "requires", NULL};
    static const char *const required[] = {"certs", "min_people", "award", NULL};
    json_t *arr = json_object_get(m, "steps");
    pcs_jpath_push_key(&c->path, "steps");
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 32)
        return fail(c, "expected an array of 1..32 steps");
    int n = (int)json_array_size(arr);
    pcs_step_t *steps = alloc(c, (size_t)n * sizeof *steps);
    if (!steps)
        return -1;
    int per_person = 0;
    for (int i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, (size_t)i);
        pcs_jpath_push_index(&c->path, i);
        int64_t mp;
        if (check_keys(c, s, allowed, required) < 0 || get_int(c, s, "min_people", 1, 100000, &mp) < 0)
            return -1;
        steps[i].min_people = (int)mp;
        json_t *certs = json_object_get(s, "certs");
        pcs_jpath_push_key(&c->path, "certs");
        if (!json_is_array(certs) || json_array_size(certs) == 0)
            return fail(c, "expected a non-empty array of certification ids");
        for (size_t k = 0; k < json_array_size(certs); k++) {
            json_t *id = json_array_get(certs, k);
            int32_t ci = json_is_string(id) ? pcs_strmap_get(c->r->cert_ids, json_string_value(id),
                                                             json_string_length(id))
                                            : -1;
            if (ci < 0) {
                pcs_jpath_push_index(&c->path, (long)k);
                return fail(c, "not a catalogue id");
            }
            steps[i].certs.w[ci / 64] |= 1ull << (ci % 64);
        }
        pcs_jpath_pop(&c->path);
        json_t *aw = json_object_get(s, "award");
        pcs_jpath_push_key(&c->path, "award");
        if (json_is_string(aw) && strcmp(json_string_value(aw), "none") == 0) {
            steps[i].award = PCS_AW_NONE;
        } else if (json_is_object(aw) && json_object_size(aw) == 1 && json_object_get(aw, "flat")) {
            steps[i].award = PCS_AW_FLAT;
            if (get_number(c, aw, "flat", 0, 1000, &steps[i].flat) < 0)
                return -1;
        } else if (json_is_object(aw) && json_object_size(aw) == 1 && json_object_get(aw, "per_person")) {
            json_t *pp = json_object_get(aw, "per_person");
            pcs_jpath_push_key(&c->path, "per_person");
            if (!json_is_array(pp) || json_array_size(pp) != 2 || !json_is_integer(json_array_get(pp, 0)) ||
                !json_is_integer(json_array_get(pp, 1)) || json_integer_value(json_array_get(pp, 0)) <= 0 ||
                json_integer_value(json_array_get(pp, 1)) <= 0)
                return fail(c, "expected [num, den] with positive integers");
            steps[i].award = PCS_AW_PER_PERSON;
            steps[i].num = (double)json_integer_value(json_array_get(pp, 0));
            steps[i].den = (double)json_integer_value(json_array_get(pp, 1));
            pcs_jpath_pop(&c->path);
            if (++per_person > 1)
                return fail(c, "at most one per_person step per metric");
        } else {
            return fail(c, "expected \"none\", {\"flat\": N} or {\"per_person\": [num, den]}");
        }
        pcs_jpath_pop(&c->path);
        json_t *req = json_object_get(s, "requires");
        if (req) {
            pcs_jpath_push_key(&c->path, "requires");
            if (!json_is_array(req))
                return fail(c, "expected an array of step indices");
            for (size_t k = 0; k < json_array_size(req); k++) {
                json_t *x = json_array_get(req, k);
                if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) >= i) {
                    pcs_jpath_push_index(&c->path, (long)k);
                    return fail(c, "expected the index of an earlier step");
                }
                steps[i].requires |= 1u << json_integer_value(x);
            }
            pcs_jpath_pop(&c->path);
        }
        pcs_jpath_pop(&c->path);
    }
    out->steps = steps;
    out->n_steps = n;
    pcs_jpath_pop(&c->path);
    return 0;
}

static const char *const kind_ids[] = {"net_count", "distinct_workloads", "growth", "cert_steps", "parts",
                                       "options"};

static int load_metric(ld_t *c, json_t *m, pcs_metric_t *out, bool is_sub, double max);

static int load_subs(ld_t *c, json_t *m, const char *key, pcs_metric_t *out)
{
    json_t *arr = json_object_get(m, key);
    pcs_jpath_push_key(&c->path, key);
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 8)
        return fail(c, "expected an array of 1..8 %s", key);
    int n = (int)json_array_size(arr);
    pcs_metric_t *subs = alloc(c, (size_t)n * sizeof *subs);
    if (!subs)
        return -1;
    for (int i = 0; i < n; i++) {
        pcs_jpath_push_index(&c->path, i);
        if (load_metric(c, json_array_get(arr, (size_t)i), &subs[i], true, out->max) < 0)
            return -1;
        pcs_jpath_pop(&c->path);
    }
    out->subs = subs;
    out->n_subs = n;
    pcs_jpath_pop(&c->path);
    return 0;
}

static int load_metric(ld_t *c, json_t *m, pcs_metric_t *out, bool is_sub, double max)
{
    static const char *const common_keys[] = {"kind", "max", "name", "units_for_max", "sources", "unit",
                                              "predicates", "already_deployed_pct", "exclude", "measure",
                                              "field", "mode", "filter", "min_current", "min_baseline",
                                              "baseline", "steps", "parts", "options", NULL};
    if (check_keys(c, m, common_keys, NULL) < 0)
        return -1;
    int kind;
    if (get_choice(c, m, "kind", kind_ids, 6, &kind) < 0)
        return -1;
    out->kind = (pcs_kind_t)kind;
    out->scope = -1;
    out->exclude_wset = -1;
    out->already_deployed_pct = -1;
    if (is_sub) {
        if (get_string(c, m, "name", &out->name) < 0)
            return -1;
        if (json_object_get(m, "max")) {
            pcs_jpath_push_key(&c->path, "max");
            return fail(c, "a part or option takes the metric's max");
        }
        out->max = max;
        if (out->kind == PCS_K_PARTS || out->kind == PCS_K_OPTIONS || out->kind == PCS_K_CERT_STEPS)
            return fail(c, "a part or option must be net_count, distinct_workloads or growth");
    } else {
        if (json_object_get(m, "name")) {
            pcs_jpath_push_key(&c->path, "name");
            return fail(c, "only parts and options have a name");
        }
        if (get_number(c, m, "max", 0.000001, 1000, &out->max) < 0)
            return -1;
    }
    /* Which keys each kind takes; anything else is an error, so a typo cannot silently score. */
    static const char *const net_keys[] = {"kind", "max", "name", "units_for_max", "sources", "unit",
                                           "predicates", "already_deployed_pct", NULL};
    static const char *const distinct_keys[] = {"kind", "max", "name", "units_for_max", "sources", "exclude", NULL};
    static const char *const growth_keys[] = {"kind", "max", "name", "units_for_max", "sources", "measure",
                                              "field", "mode", "filter", "min_current", "min_baseline",
                                              "baseline", NULL};
    static const char *const steps_keys[] = {"kind", "max", "steps", NULL};
    static const char *const parts_keys[] = {"kind", "max", "parts", NULL};
    static const char *const options_keys[] = {"kind", "max", "options", NULL};
    static const char *const *const keys_of[] = {net_keys, distinct_keys, growth_keys, steps_keys, parts_keys,
                                                 options_keys};
    if (check_keys(c, m, keys_of[kind], NULL) < 0)
        return -1;
    switch (out->kind) {
    case PCS_K_CERT_STEPS:
        return load_steps(c, m, out);
    case PCS_K_PARTS:
        return load_subs(c, m, "parts", out);
    case PCS_K_OPTIONS:
        return load_subs(c, m, "options", out);
    default:
        break;
    }
    if (get_number(c, m, "units_for_max", 0.000001, 1e15, &out->ufm) < 0 ||
        load_sources(c, m, "sources", &out->scope) < 0)
        return -1;
    if (out->kind == PCS_K_NET_COUNT) {
        static const char *const units[] = {"tenant", "tenant_workload"};
        int u;
        if (get_choice(c, m, "unit", units, 2, &u) < 0 ||
            load_preds(c, m, "predicates", true, &out->preds, &out->n_preds) < 0)
            return -1;
        out->unit_tenant_workload = u == 1;
        if (out->unit_tenant_workload) {
            for (int i = 0; i < out->n_preds; i++) {
                if (out->preds[i].kind != PCS_P_MONTH_SUM || out->preds[i].sticky) {
                    pcs_jpath_push_key(&c->path, "predicates");
                    pcs_jpath_push_index(&c->path, i);
                    return fail(c, "unit tenant_workload takes only plain month_sum predicates");
                }
            }
        }
        if (json_object_get(m, "already_deployed_pct")) {
            int64_t pct;
            if (get_int(c, m, "already_deployed_pct", 0, 100000, &pct) < 0)
                return -1;
            out->already_deployed_pct = (int)pct;
        }
    } else if (out->kind == PCS_K_DISTINCT) {
        json_t *ex = json_object_get(m, "exclude");
        if (ex) {
            /* The exclude list becomes an anonymous workload set, so membership is one bit test. */
            pcs_jpath_push_key(&c->path, "exclude");
            if (add_wset(c, ex, "(exclude)", false, &out->exclude_wset) < 0)
                return -1;
            pcs_jpath_pop(&c->path);
        }
        pcs_scope_t *s = &c->r->scopes[out->scope];
        if (!s->per_workload) {
            s->per_workload = true;
            s->wl_slot = c->r->n_wl_scopes++;
        }
    } else {
        static const char *const measures[] = {"month_sum", "ttm_sum"};
        static const char *const modes[] = {"percent", "absolute"};
        static const char *const baselines[] = {"period", "pre_association"};
        int meas, f, mode, bl = 0;
        if (get_choice(c, m, "measure", measures, 2, &meas) < 0 || get_choice(c, m, "field", field_ids, 5, &f) < 0 ||
            get_choice(c, m, "mode", modes, 2, &mode) < 0 ||
            load_preds(c, m, "filter", false, &out->filter, &out->n_filter) < 0)
            return -1;
        if (json_object_get(m, "baseline") && get_choice(c, m, "baseline", baselines, 2, &bl) < 0)
            return -1;
        out->measure_ttm = meas == 1;
        out->field = (pcs_field_t)f;
        out->percent = mode == 0;
        out->pre_association = bl == 1;
        const int64_t big = 1000000000000000LL;
        json_t *v = json_object_get(m, "min_current");
        if (v && !json_is_null(v)) {
            out->has_min_current = true;
            if (get_int(c, m, "min_current", -big, big, &out->min_current) < 0)
                return -1;
        }
        v = json_object_get(m, "min_baseline");
        if (v && !json_is_null(v)) {
            out->has_min_baseline = true;
            if (get_int(c, m, "min_baseline", -big, big, &out->min_baseline) < 0)
                return -1;
        }
    }
    return 0;
}

static int load_area(ld_t *c, json_t *a, pcs_area_rules_t *out)
{
    static const char *const allowed[] = {"track_rule", "tracks", NULL};
    if (check_keys(c, a, allowed, allowed) < 0)
        return -1;
    json_t *tr = json_object_get(a, "track_rule");
    pcs_jpath_push_key(&c->path, "track_rule");
    static const char *const rule_ids[] = {"fixed", "azure_mix", "large_workloads", "best_of"};
    static const char *const fixed_keys[] = {"kind", "track", NULL};
    static const char *const mix_keys[] = {"kind", "sources", "smb_pct", NULL};
    static const char *const large_keys[] = {"kind", "sources", "field", "op", "value", "min_workloads", NULL};
    static const char *const best_keys[] = {"kind", NULL};
    static const char *const *const keys_of[] = {fixed_keys, mix_keys, large_keys, best_keys};
    int kind;
    if (!json_is_object(tr))
        return fail(c, "expected an object");
    if (get_choice(c, tr, "kind", rule_ids, 4, &kind) < 0 || check_keys(c, tr, keys_of[kind], keys_of[kind]) < 0)
        return -1;
    out->track_rule = (pcs_track_rule_t)kind;
    if (kind == PCS_TR_FIXED) {
        if (get_choice(c, tr, "track", pcs_track_ids, PCS_TRACK_N, &out->fixed_track) < 0)
            return -1;
    } else if (kind == PCS_TR_AZURE_MIX) {
        if (load_sources(c, tr, "sources", &out->scope) < 0 || get_int(c, tr, "smb_pct", 0, 100, &out->smb_pct) < 0)
            return -1;
    } else if (kind == PCS_TR_LARGE_WORKLOADS) {
        int f;
        int64_t mw;
        if (load_sources(c, tr, "sources", &out->scope) < 0 || get_choice(c, tr, "field", field_ids, 5, &f) < 0 ||
            get_op(c, tr, "op", false, &out->op) < 0 || get_int(c, tr, "value", 0, 1000000000000LL, &out->value) < 0 ||
            get_int(c, tr, "min_workloads", 1, 1000, &mw) < 0)
            return -1;
        out->field = (pcs_field_t)f;
        out->min_workloads = (int)mw;
    }
    pcs_jpath_pop(&c->path);

    json_t *tracks = json_object_get(a, "tracks");
    pcs_jpath_push_key(&c->path, "tracks");
    static const char *const track_names[] = {"enterprise", "smb", NULL};
    if (check_keys(c, tracks, track_names, NULL) < 0)
        return -1;
    static const char *const track_keys[] = {"metrics", NULL};
    for (int t = 0; t < PCS_TRACK_N; t++) {
        json_t *tj = json_object_get(tracks, pcs_track_ids[t]);
        if (!tj)
            continue;
        out->has_track[t] = true;
        pcs_jpath_push_key(&c->path, pcs_track_ids[t]);
        if (check_keys(c, tj, track_keys, track_keys) < 0)
            return -1;
        json_t *ms = json_object_get(tj, "metrics");
        pcs_jpath_push_key(&c->path, "metrics");
        static const char *const metric_keys[] = {"net_customer_adds", "intermediate_certifications",
                                                  "advanced_certifications", "usage_growth", "deployments",
                                                  NULL};
        if (check_keys(c, ms, metric_keys, metric_keys) < 0)
            return -1;
        for (int k = 0; k < PCS_METRIC_N; k++) {
            json_t *mj = json_object_get(ms, pcs_metric_ids[k]);
            if (json_is_null(mj))
                continue;
            pcs_jpath_push_key(&c->path, pcs_metric_ids[k]);
            pcs_metric_t *m = alloc(c, sizeof *m);
            if (!m || load_metric(c, mj, m, false, 0) < 0)
                return -1;
            bool skilling = k == PCS_M_INTERMEDIATE || k == PCS_M_ADVANCED;
            if (skilling != (m->kind == PCS_K_CERT_STEPS))
                return fail(c, "%s must %sbe cert_steps", pcs_metric_ids[k], skilling ? "" : "not ");
            out->metrics[t][k] = m;
            pcs_jpath_pop(&c->path);
        }
        pcs_jpath_pop(&c->path);
        pcs_jpath_pop(&c->path);
    }
    bool need_both = kind != PCS_TR_FIXED;
    if (need_both && !(out->has_track[0] && out->has_track[1]))
        return fail(c, "this track_rule needs both the enterprise and the smb track");
    if (!need_both && !out->has_track[out->fixed_track])
        return fail(c, "the fixed track '%s' is not defined", pcs_track_ids[out->fixed_track]);
    pcs_jpath_pop(&c->path);
    return 0;
}

pcs_rules_t *pcs_rules_load(const char *text, size_t len, pcs_err_t *err)
{
    json_error_t jerr;
    pcs_rules_t *r = NULL;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        pcs_err_set(err, PCS_EINVAL, jerr.line, jerr.column, "%s", jerr.text);
        return NULL;
    }
    r = calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    r->arena = pcs_arena_new(65536);
    r->cert_names = pcs_strmap_new();
    r->cert_ids = pcs_strmap_new();
    if (!r->arena || !r->cert_names || !r->cert_ids)
        goto nomem;

    ld_t c = {.text = text, .len = len, .err = err, .r = r};
    static const char *const top[] = {"rule_set", "catalogue", "workload_sets", "rates", "areas", NULL};
    const char *name;
    if (check_keys(&c, root, top, top) < 0 || get_string(&c, root, "rule_set", &name) < 0 ||
        load_catalogue(&c, json_object_get(root, "catalogue")) < 0 ||
        load_wsets(&c, json_object_get(root, "workload_sets")) < 0 ||
        load_rates(&c, json_object_get(root, "rates")) < 0)
        goto fail;
    json_t *areas = json_object_get(root, "areas");
    pcs_jpath_push_key(&c.path, "areas");
    if (check_keys(&c, areas, pcs_area_ids, pcs_area_ids) < 0)
        goto fail;
    for (int a = 0; a < PCS_AREA_N; a++) {
        pcs_jpath_push_key(&c.path, pcs_area_ids[a]);
        if (load_area(&c, json_object_get(areas, pcs_area_ids[a]), &r->areas[a]) < 0)
            goto fail;
        pcs_jpath_pop(&c.path);
    }
    /* Strings point into the JSON tree: copy what we keep into the arena, then drop the tree. */
    r->name = pcs_arena_strdup(r->arena, name);
    pcs_cert_entry_t *certs = (pcs_cert_entry_t *)r->certs;
    for (int i = 0; i < r->n_certs; i++) {
        certs[i].id = pcs_arena_strdup(r->arena, certs[i].id);
        certs[i].name = pcs_arena_strdup(r->arena, certs[i].name);
    }
    for (int i = 0; i < r->n_wsets; i++) {
        pcs_wset_t *ws = &r->wsets[i];
        ws->name = pcs_arena_strdup(r->arena, ws->name);
        for (int k = 0; k < ws->n; k++)
            if (!ws->is_prefix[k])
                ws->entries[k] = pcs_arena_strdup(r->arena, ws->entries[k]);
    }
    for (int i = 0; i < r->n_rates; i++)
        r->rate_keys[i] = pcs_arena_strdup(r->arena, r->rate_keys[i]);
    for (int a = 0; a < PCS_AREA_N; a++)
        for (int t = 0; t < PCS_TRACK_N; t++)
            for (int k = 0; k < PCS_METRIC_N; k++) {
                const pcs_metric_t *m = r->areas[a].metrics[t][k];
                for (int s = 0; m && s < m->n_subs; s++)
                    ((pcs_metric_t *)&m->subs[s])->name = pcs_arena_strdup(r->arena, m->subs[s].name);
            }
    json_decref(root);
    return r;
nomem:
    pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
fail:
    json_decref(root);
    pcs_rules_destroy(&r);
    return NULL;
}

void pcs_rules_destroy(pcs_rules_t **pr)
{
    if (!pr || !*pr)
        return;
    pcs_arena_destroy(&(*pr)->arena);
    pcs_strmap_destroy(&(*pr)->cert_names);
    pcs_strmap_destroy(&(*pr)->cert_ids);
    free(*pr);
    *pr = NULL;
}

const char *const pcs_rules_shipped[PCS_RULES_SHIPPED_N] = {"pcs-2026", "pcs-2023"};

int pcs_rules_path(const char *spec, char *path, size_t size)
{
    for (int i = 0; i < PCS_RULES_SHIPPED_N; i++)
        if (strcmp(spec, pcs_rules_shipped[i]) == 0) {
            const char *dir = getenv("PCS_RULES_DIR");
            snprintf(path, size, "%s/%s.json", dir && *dir ? dir : PCS_RULES_DIR, spec);
            return 0;
        }
    if (strchr(spec, '/') || strstr(spec, ".json")) {
        snprintf(path, size, "%s", spec);
        return 0;
    }
    return -1;
}

pcs_rules_t *pcs_rules_open(const char *spec, char *path, size_t size, pcs_err_t *err)
{
    if (pcs_rules_path(spec, path, size) < 0) {
        snprintf(path, size, "%s", spec);
        pcs_err_set(err, PCS_EINVAL, 0, 0, "unknown rule set '%s' (shipped: pcs-2026, pcs-2023, or a file path)", spec);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    pcs_rules_t *r = NULL;
    if (pcs_file_read(path, 64u << 20, &text, &len, err) == 0)
        r = pcs_rules_load(text, len, err);
    free(text);
    return r;
}
