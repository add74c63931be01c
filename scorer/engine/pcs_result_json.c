#include "pcs_result_json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pcs_date.h"

/* The tree is built with jansson's setters (json_pack parsed its format strings for every object,
 * 10 % of a refresh). Keys and the engine's identifiers are constants (no UTF-8 check); text from
 * the partner's data or the rule set is checked. Every value goes through put()/push(): one that
 * could not be made (out of memory) marks the build, so a document is whole or NULL. */
typedef struct {
    const pcs_rules_t *R;
    const pcs_result_t *res;
    pcs_json_cache_t *cache;   /* NULL: every value made anew */
    bool oom;
} jb_t;

static json_t *put(jb_t *b, json_t *o, const char *key, json_t *v)
{
    if (json_object_set_new_nocheck(o, key, v) < 0)
        b->oom = true;
    return o;
}

static json_t *push(jb_t *b, json_t *a, json_t *v)
{
    if (json_array_append_new(a, v) < 0)
        b->oom = true;
    return a;
}

#define CACHE_IDS 128
#define MEMO_SLOTS 4096
#define MEMO_WAYS 4
#define MEMO_TEXT 192
#define CACHE_INT_MIN (-64)
#define CACHE_INT_MAX 1024
#define CACHE_DAYS 256

/* Immutable values that documents share by reference: the engine's identifiers (keyed by the
 * address of their static text), small integers, days and months. A document holds a reference
 * to each value it uses; the cache holds one more until it is freed. */
/* An object whose text is a function of a few numbers (a metric of a track without parts, options
 * or prerequisite; a history row): 40 bytes compared bitwise, no padding. */
typedef struct {
    int32_t kind, a, b, c;
    double x, y, z;
} memo_key_t;

/* The text jansson dumped for a memoised object, and the placeholder that stands for it. */
typedef struct {
    memo_key_t key;
    unsigned gen;   /* the document that last used it; 0: empty */
    unsigned len;
    json_t *ph;
    char text[MEMO_TEXT];
} memo_t;

struct pcs_json_cache {
    const char *id_key[CACHE_IDS];
    json_t *id[CACHE_IDS];
    json_t *ints[CACHE_INT_MAX - CACHE_INT_MIN];
    int32_t day_key[CACHE_DAYS], month_key[CACHE_DAYS];
    json_t *day[CACHE_DAYS], *month[CACHE_DAYS];
    unsigned gen;   /* the document being built */
    memo_t memo[MEMO_SLOTS];
};

pcs_json_cache_t *pcs_json_cache_new(void)
{
    return calloc(1, sizeof(pcs_json_cache_t));
}

void pcs_json_cache_free(pcs_json_cache_t **pc)
{
    pcs_json_cache_t *c = *pc;
    if (!c)
        return;
    for (int i = 0; i < CACHE_IDS; i++)
        json_decref(c->id[i]);
    for (int i = 0; i < CACHE_INT_MAX - CACHE_INT_MIN; i++)
        json_decref(c->ints[i]);
    for (int i = 0; i < CACHE_DAYS; i++) {
        json_decref(c->day[i]);
        json_decref(c->month[i]);
    }
    for (int i = 0; i < MEMO_SLOTS; i++)
        json_decref(c->memo[i].ph);
    free(c);
    *pc = NULL;
}

/* A constant identifier of the engine (static text: pcs_*_ids, literals): shared by address. */
static json_t *cid(jb_t *b, const char *s)
{
    pcs_json_cache_t *c = b->cache;
    if (!c)
        return json_string_nocheck(s);
    for (unsigned i = (unsigned)((uintptr_t)s >> 3) % CACHE_IDS, n = 0; n < CACHE_IDS; n++, i = (i + 1) % CACHE_IDS) {
        if (c->id_key[i] == s && c->id[i])
            return json_incref(c->id[i]);
        if (!c->id[i]) {
            c->id_key[i] = s;
            c->id[i] = json_string_nocheck(s);
            return json_incref(c->id[i]);
        }
    }
    return json_string_nocheck(s);
}

/* Integral values print as integers ("30", not "30.0"); readers compare numerically. */
static json_t *num(jb_t *b, double x)
{
    if (x == 0)
        x = 0;   /* no "-0" */
    if (fabs(x) < 1e15 && x == floor(x)) {
        if (!b->cache || x < CACHE_INT_MIN || x >= CACHE_INT_MAX)
            return json_integer((json_int_t)x);
        json_t **slot = &b->cache->ints[(int)x - CACHE_INT_MIN];
        if (!*slot)
            *slot = json_integer((json_int_t)x);
        return json_incref(*slot);
    }
    return json_real(x);
}

static json_t *r2(jb_t *b, double x)
{
    return num(b, pcs_round2(x));
}

/* A day or month text, shared through a direct-mapped slot (replaced on a collision). */
static json_t *dated(jb_t *b, int32_t v, bool is_day)
{
    char t[11];
    if (is_day)
        pcs_day_format(v, t);
    else
        pcs_month_format(v, t);
    if (!b->cache)
        return json_string_nocheck(t);
    unsigned i = (uint32_t)v % CACHE_DAYS;
    int32_t *key = is_day ? &b->cache->day_key[i] : &b->cache->month_key[i];
    json_t **slot = is_day ? &b->cache->day[i] : &b->cache->month[i];
    if (*slot && *key != v) {
        json_decref(*slot);
        *slot = NULL;
    }
    if (!*slot) {
        *key = v;
        *slot = json_string_nocheck(t);
    }
    return json_incref(*slot);
}

static json_t *day(jb_t *b, int32_t d)
{
    return d == INT32_MAX ? json_null() : dated(b, d, true);
}

static json_t *month(jb_t *b, int32_t m)
{
    return dated(b, m, false);
}

/* Memoised objects. A document built with a cache holds, instead of such an object, a placeholder
 * string "\0M<slot>" (no other string of a document starts with a NUL: they are made from C
 * strings; pcs_doctext prints the text in its place) standing for the text jansson dumped for an
 * object of the same key: the object is neither built nor dumped again. A slot a document uses is
 * not given to another key while that document is built. */
static memo_t *memo_set(pcs_json_cache_t *c, const memo_key_t *k)
{
    uint64_t h = 0x9e3779b97f4a7c15ull, w[5];
    memcpy(w, k, sizeof w);
    for (int i = 0; i < 5; i++) {
        h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return &c->memo[h % (MEMO_SLOTS / MEMO_WAYS) * MEMO_WAYS];
}

/* A placeholder for the object of key k when its text is known, else NULL (build it, then
 * memo_put). */
static json_t *memo_get(jb_t *b, const memo_key_t *k)
{
    if (!b->cache)
        return NULL;
    memo_t *set = memo_set(b->cache, k);
    for (int i = 0; i < MEMO_WAYS; i++) {
        memo_t *m = &set[i];
        if (m->gen && memcmp(&m->key, k, sizeof *k) == 0) {
            m->gen = b->cache->gen;
            return json_incref(m->ph);
        }
    }
    return NULL;
}

/* o (just built for key k), or a placeholder for its text when it could be memoised: in the way
 * of k's set used longest ago and not by this document. */
static json_t *memo_put(jb_t *b, const memo_key_t *k, json_t *o)
{
    pcs_json_cache_t *c = b->cache;
    if (!c || !o)
        return o;
    memo_t *set = memo_set(c, k), *m = NULL;
    for (int i = 0; i < MEMO_WAYS; i++)
        if (set[i].gen != c->gen && (!m || c->gen - set[i].gen > c->gen - m->gen))
            m = &set[i];
    if (!m)
        return o;   /* other keys of this document have them */
    int slot = (int)(m - c->memo);
    if (!m->ph) {
        char ph[16] = {'\0', 'M'};
        int n = snprintf(ph + 2, sizeof ph - 2, "%d", slot);
        if (!(m->ph = json_stringn_nocheck(ph, (size_t)n + 2)))
            return o;
    }
    size_t len = json_dumpb(o, m->text, MEMO_TEXT, PCS_JSON_DUMP_FLAGS);
    if (len == 0 || len > MEMO_TEXT) {
        m->gen = 0;   /* the text may be partly overwritten */
        return o;
    }
    m->key = *k;
    m->len = (unsigned)len;
    m->gen = c->gen;
    json_decref(o);
    return json_incref(m->ph);
}

bool pcs_json_cache_text(const pcs_json_cache_t *c, unsigned slot, const char **text, size_t *len)
{
    if (!c || slot >= MEMO_SLOTS || !c->memo[slot].gen)
        return false;
    *text = c->memo[slot].text;
    *len = c->memo[slot].len;
    return true;
}

static json_t *window(jb_t *b, const pcs_area_result_t *ar)
{
    memo_key_t key = {.kind = 3, .a = ar->window_start, .b = ar->window_end};
    json_t *w = memo_get(b, &key);
    if (w)
        return w;
    w = json_object();
    put(b, w, "start", day(b, ar->window_start));
    return memo_put(b, &key, put(b, w, "end", day(b, ar->window_end)));
}

static json_t *sub_array(jb_t *b, const pcs_metric_result_t *m)
{
    json_t *arr = json_array();
    for (int i = 0; i < m->n_subs; i++) {
        const pcs_sub_result_t *s = &m->subs[i];
        json_t *o = json_object();
        put(b, o, "name", json_string(s->name ? s->name : ""));
        put(b, o, "units", num(b, s->units));
        put(b, o, "points", r2(b, s->points));
        if (s->prerequisite_failed)
            put(b, o, "prerequisite_failed", json_string(s->prerequisite_failed));
        push(b, arr, o);
    }
    return arr;
}

static json_t *track_json(jb_t *b, int area, int t, const pcs_track_result_t *tr)
{
    json_t *ms = json_array();
    for (int k = 0; k < PCS_METRIC_N; k++) {
        const pcs_metric_result_t *m = &tr->m[k];
        const pcs_metric_t *rm = b->R->areas[area].metrics[t][k];
        bool plain = !m->applicable || (!m->prerequisite_failed && !(rm && (rm->kind == PCS_K_PARTS || rm->kind == PCS_K_OPTIONS)));
        memo_key_t key = {.kind = 1, .a = k, .b = m->applicable};
        if (m->applicable) {
            key.x = m->max;
            key.y = m->units;
            key.z = pcs_round2(m->points);
        }
        json_t *o = plain ? memo_get(b, &key) : NULL;
        if (o) {
            push(b, ms, o);
            continue;
        }
        o = json_object();
        put(b, o, "metric", cid(b, pcs_metric_ids[k]));
        put(b, o, "applicable", json_boolean(m->applicable));
        if (m->applicable) {
            put(b, o, "max", num(b, m->max));
            put(b, o, "units", num(b, m->units));
            put(b, o, "points", r2(b, m->points));
            if (m->prerequisite_failed)
                put(b, o, "prerequisite_failed", json_string(m->prerequisite_failed));
            if (rm && rm->kind == PCS_K_PARTS)
                put(b, o, "parts", sub_array(b, m));
            if (rm && rm->kind == PCS_K_OPTIONS) {
                put(b, o, "options", sub_array(b, m));
                put(b, o, "winner", json_string(m->subs[m->winner].name));
            }
        }
        push(b, ms, plain ? memo_put(b, &key, o) : o);
    }
    json_t *o = json_object();
    put(b, o, "track", cid(b, pcs_track_ids[t]));
    put(b, o, "total", r2(b, tr->total));
    put(b, o, "qualified", json_boolean(tr->qualified));
    return put(b, o, "metrics", ms);
}

static json_t *metrics_contract(jb_t *b, const pcs_track_result_t *tr)
{
    json_t *ms = json_array();
    for (int k = 0; k < PCS_METRIC_N; k++) {
        const pcs_metric_result_t *m = &tr->m[k];
        if (!m->applicable)
            continue;
        memo_key_t key = {.kind = 4, .a = k, .x = m->units, .y = pcs_round2(m->points), .z = m->max};
        json_t *o = memo_get(b, &key);
        if (!o) {
            o = json_object();
            put(b, o, "metric", cid(b, pcs_metric_ids[k]));
            put(b, o, "value", num(b, m->units));
            put(b, o, "points", r2(b, m->points));
            o = memo_put(b, &key, put(b, o, "max", num(b, m->max)));
        }
        push(b, ms, o);
    }
    return ms;
}

static const char *const status_ids[3] = {"met", "not_met", "no_effect"};

static void pred_text(const pcs_pred_t *p, char *buf, size_t n, int32_t cur)
{
    static const char *const fields[] = {"ACR", "revenue", "MCV", "paid units", "active units"};
    static const char *const ops[] = {"", ">=", ">", "<=", "<"};
    bool money = p->field == PCS_F_ACR || p->field == PCS_F_REVENUE || p->field == PCS_F_MCV;
    double k = money ? 100.0 : 1.0;
    const char *u = money ? "USD " : "";
    char m1[8], m0[8];
    pcs_month_format(cur, m1);
    pcs_month_format(cur - 1, m0);
    switch (p->kind) {
    case PCS_P_MONTH_SUM_ANY2:
        snprintf(buf, n, "credited %s %s %s%.2f in %s or %s", fields[p->field], ops[p->lo_op], u, (double)p->lo / k,
                 m0, m1);
        break;
    case PCS_P_MONTH_SUM:
        snprintf(buf, n, "credited %s %s %s%.2f in %s", fields[p->field], ops[p->lo_op], u, (double)p->lo / k, m1);
        break;
    case PCS_P_TTM_RANGE:
        if (p->hi_op == PCS_OP_NONE)
            snprintf(buf, n, "credited %s over the 12 months to %s %s %s%.2f", fields[p->field], m1, ops[p->lo_op],
                     u, (double)p->lo / k);
        else
            snprintf(buf, n, "credited %s over the 12 months to %s %s %s%.2f and %s %s%.2f", fields[p->field], m1,
                     ops[p->lo_op], u, (double)p->lo / k, ops[p->hi_op], u, (double)p->hi / k);
        break;
    case PCS_P_SEAT_BAND:
        if (p->hi_op == PCS_OP_NONE)
            snprintf(buf, n, "a credited workload with >= %lld paid seats in %s", (long long)p->lo, m1);
        else
            snprintf(buf, n, "a credited workload with %lld..%lld paid seats in %s", (long long)p->lo,
                     (long long)p->hi, m1);
        break;
    case PCS_P_ACTIVE_RATIO:
        snprintf(buf, n, "active / paid >= %lld %% in %s", (long long)p->pct, m1);
        break;
    }
}

static json_t *criterion(const pcs_rules_t *R, const pcs_elig_row_t *row, int32_t M)
{
    const pcs_metric_t *m = R->areas[row->area].metrics[row->track][row->metric];
    if (m && row->sub >= 0)
        m = &m->subs[row->sub];
    char buf[256] = "";
    if (!m)
        return json_string("");
    if (row->prerequisite) {
        snprintf(buf, sizeof buf, "prerequisite failed: %s", row->prerequisite);
    } else if (m->kind == PCS_K_NET_COUNT) {
        pred_text(&m->preds[0], buf, sizeof buf, M);
        if (m->n_preds > 1) {
            size_t l = strlen(buf);
            snprintf(buf + l, sizeof buf - l, " and %d more condition%s", m->n_preds - 1, m->n_preds > 2 ? "s" : "");
        }
    } else if (m->kind == PCS_K_DISTINCT) {
        snprintf(buf, sizeof buf, "workloads with credited ACR > 0 over the 12 months to the data month");
    } else if (m->kind == PCS_K_GROWTH) {
        snprintf(buf, sizeof buf, "share of the credited %s (current vs comparison period)",
                 m->measure_ttm ? "12-month total" : "month");
    }
    return json_string(buf);
}

static json_t *elig_json(jb_t *b, const pcs_elig_row_t *row)
{
    const pcs_rules_t *R = b->R;
    const pcs_result_t *res = b->res;
    const pcs_metric_t *m = R->areas[row->area].metrics[row->track][row->metric];
    const char *sub = row->sub >= 0 && m ? m->subs[row->sub].name : NULL;
    bool is_part = m && m->kind == PCS_K_PARTS;
    json_t *o = json_object();
    put(b, o, "area", cid(b, pcs_area_ids[row->area]));
    put(b, o, "track", cid(b, pcs_track_ids[row->track]));
    put(b, o, "metric", cid(b, pcs_metric_ids[row->metric]));
    put(b, o, "part", is_part && sub ? json_string(sub) : json_null());
    put(b, o, "option", !is_part && sub ? json_string(sub) : json_null());
    put(b, o, "tenant_id", row->tenant >= 0 ? json_string(res->tenant_ids[row->tenant]) : json_null());
    put(b, o, "customer_id",
        row->tenant >= 0 && res->customer_of_tenant[row->tenant] ? json_string(res->customer_of_tenant[row->tenant])
                                                                 : json_null());
    put(b, o, "status", cid(b, status_ids[row->status]));
    put(b, o, "effect", num(b, row->effect));
    put(b, o, "current_value", num(b, row->current));
    put(b, o, "comparison_value", num(b, row->comparison));
    put(b, o, "criterion", criterion(R, row, res->data_month));
    if (row->excluded_already_deployed)
        put(b, o, "excluded_already_deployed", json_true());
    if (row->prerequisite)
        put(b, o, "prerequisite_failed", json_string(row->prerequisite));
    return o;
}

static json_t *skill_json(jb_t *b, const pcs_skill_row_t *row)
{
    const pcs_rules_t *R = b->R;
    json_t *certs = json_array();
    for (int c = 0; c < R->n_certs; c++)
        if (row->counted_certs.w[c / 64] >> (c % 64) & 1)
            push(b, certs, json_string(R->certs[c].id));
    json_t *o = json_object();
    put(b, o, "area", cid(b, pcs_area_ids[row->area]));
    put(b, o, "track", cid(b, pcs_track_ids[row->track]));
    put(b, o, "metric", cid(b, pcs_metric_ids[row->metric]));
    put(b, o, "step", json_integer(row->step + 1));
    put(b, o, "person_id", json_string(b->res->person_ids[row->person]));
    put(b, o, "certs_counted", certs);
    return put(b, o, "counted", json_boolean(row->counted));
}

static json_t *zero_metrics(jb_t *b, const pcs_track_result_t *tr)
{
    json_t *z = json_array();
    for (int k = 0; k < PCS_METRIC_N; k++)
        if (tr->m[k].applicable && tr->m[k].points <= 1e-9)
            push(b, z, cid(b, pcs_metric_ids[k]));
    return z;
}

static json_t *event_json(jb_t *b, const pcs_area_result_t *ar, const pcs_event_t *ev)
{
    const pcs_rules_t *R = b->R;
    const pcs_result_t *res = b->res;
    const pcs_track_result_t *sel = &ar->tracks[ar->selected];
    json_t *p = json_object();
    switch (ev->type) {
    case PCS_EV_CERT_EXPIRING:
        put(b, p, "person_id", json_string(res->person_ids[ev->person]));
        put(b, p, "cert", json_string(R->certs[ev->cert].id));
        put(b, p, "last_valid_day", day(b, ev->day));
        put(b, p, "days_left", json_integer(ev->days_left));
        put(b, p, "metric", ev->metric >= 0 ? cid(b, pcs_metric_ids[ev->metric]) : json_null());
        put(b, p, "points_before", r2(b, ev->points_now));
        put(b, p, "points_after", r2(b, ev->points_after));
        break;
    case PCS_EV_CERTS_EXPIRING_COMBINED: {
        json_t *certs = json_array();
        for (int i = 0; i < ev->n_items; i++) {
            const pcs_event_item_t *it = &res->items[ev->first_item + i];
            json_t *o = json_object();
            put(b, o, "person_id", json_string(res->person_ids[it->cert.person]));
            put(b, o, "cert", json_string(R->certs[it->cert.cert].id));
            put(b, o, "days_left", json_integer(it->cert.days_left));
            push(b, certs, put(b, o, "last_valid_day", day(b, it->cert.last_valid_day)));
        }
        put(b, p, "certs", certs);
        break;
    }
    case PCS_EV_NCA_AT_RISK: {
        put(b, p, "units_now", num(b, ev->units_now));
        put(b, p, "points_now", r2(b, ev->points_now));
        put(b, p, "projected_units", num(b, ev->units_after));
        put(b, p, "projected_points", r2(b, ev->points_after));
        json_t *ts = json_array();
        for (int i = 0; i < ev->n_items; i++) {
            const pcs_event_item_t *it = &res->items[ev->first_item + i];
            json_t *o = json_object();
            put(b, o, "tenant_id", json_string(res->tenant_ids[it->tenant.tenant]));
            put(b, o, "reason",
                cid(b, it->tenant.reason == PCS_NCA_ENTERS_COMPARISON ? "enters_comparison_window" : "leaves_current_window"));
            put(b, o, "effect_now", num(b, it->tenant.effect_now));
            push(b, ts, put(b, o, "effect_projected", num(b, it->tenant.effect_projected)));
        }
        put(b, p, "tenants", ts);
        break;
    }
    case PCS_EV_METRIC_ZERO_BLOCKING: {
        json_t *ms = json_array();
        for (int i = 0; i < ev->n_items; i++) {
            const pcs_event_item_t *it = &res->items[ev->first_item + i];
            json_t *o = json_object();
            put(b, o, "metric", cid(b, pcs_metric_ids[it->metric.metric]));
            put(b, o, "units", num(b, it->metric.units));
            push(b, ms, put(b, o, "units_needed", it->metric.units_needed >= 0 ? num(b, it->metric.units_needed) : json_null()));
        }
        put(b, p, "metrics", ms);
        put(b, p, "total", r2(b, ev->total_before));
        break;
    }
    case PCS_EV_NEAR_THRESHOLD: {
        put(b, p, "total", r2(b, ev->total_before));
        put(b, p, "gap", r2(b, 70 - ev->total_before));
        json_t *h = json_object();
        for (int k = 0; k < PCS_METRIC_N; k++)
            if (sel->m[k].applicable)
                put(b, h, pcs_metric_ids[k], r2(b, sel->m[k].max - sel->m[k].points));
        put(b, p, "headroom", h);
        put(b, p, "zero_metrics", zero_metrics(b, sel));
        break;
    }
    case PCS_EV_RENEWAL_REMINDER:
        put(b, p, "anniversary", day(b, ev->day));
        put(b, p, "days_left", json_integer(ev->days_left));
        put(b, p, "threshold", json_integer(ev->threshold));
        put(b, p, "window", window(b, ar));
        put(b, p, "total", r2(b, ev->total_before));
        break;
    case PCS_EV_DESIGNATION_AT_RISK: {
        put(b, p, "anniversary", day(b, ev->day));
        put(b, p, "days_left", json_integer(ev->days_left));
        put(b, p, "total", r2(b, ev->total_before));
        json_t *reasons = json_array();
        if (ev->total_before < 70 - 1e-9)
            push(b, reasons, cid(b, "below_70"));
        for (int k = 0; k < PCS_METRIC_N; k++)
            if (sel->m[k].applicable && sel->m[k].points <= 1e-9) {
                char z[64];
                snprintf(z, sizeof z, "zero:%s", pcs_metric_ids[k]);
                push(b, reasons, json_string_nocheck(z));
            }
        put(b, p, "reasons", reasons);
        break;
    }
    case PCS_EV_OTHER_TRACK_QUALIFIES:
        put(b, p, "track", cid(b, pcs_track_ids[ar->selected]));
        put(b, p, "total", r2(b, ev->total_before));
        put(b, p, "other_track", cid(b, pcs_track_ids[ev->other_track]));
        put(b, p, "other_total", r2(b, ev->total_after));
        put(b, p, "blocking_metrics", zero_metrics(b, sel));
        break;
    default:
        break;
    }
    if (ev->type == PCS_EV_CERT_EXPIRING || ev->type == PCS_EV_CERTS_EXPIRING_COMBINED ||
        ev->type == PCS_EV_NCA_AT_RISK) {
        put(b, p, "total_before", r2(b, ev->total_before));
        put(b, p, "total_after", r2(b, ev->total_after));
        put(b, p, "area_becomes_unqualified", json_boolean(ev->becomes_unqualified));
    }
    json_t *o = json_object();
    put(b, o, "event", cid(b, pcs_event_ids[ev->type]));
    put(b, o, "partner_id", json_string(res->partner_id));
    put(b, o, "area", cid(b, pcs_area_ids[ev->area]));
    put(b, o, "track", cid(b, pcs_track_ids[ev->track]));
    put(b, o, "as_of", day(b, res->as_of));
    put(b, o, "severity", cid(b, pcs_severity_ids[ev->severity]));
    put(b, o, "dedup_key", json_string(ev->dedup_key));
    return put(b, o, "payload", p);
}

static json_t *area_json(jb_t *b, const pcs_area_result_t *ar, bool explain)
{
    const pcs_result_t *res = b->res;
    const pcs_track_result_t *sel = &ar->tracks[ar->selected];
    json_t *alts = json_array(), *tracks = json_array();
    for (int t = 0; t < PCS_TRACK_N; t++) {
        if (!ar->tracks[t].evaluated)
            continue;
        push(b, tracks, track_json(b, ar->area, t, &ar->tracks[t]));
        if (t != ar->selected) {
            memo_key_t key = {.kind = 5, .a = t, .b = ar->tracks[t].qualified, .x = pcs_round2(ar->tracks[t].total)};
            json_t *alt = memo_get(b, &key);
            if (!alt) {
                alt = json_object();
                put(b, alt, "track", cid(b, pcs_track_ids[t]));
                put(b, alt, "score", r2(b, ar->tracks[t].total));
                alt = memo_put(b, &key, put(b, alt, "qualified", json_boolean(ar->tracks[t].qualified)));
            }
            push(b, alts, alt);
        }
    }
    json_t *o = json_object();
    put(b, o, "area", cid(b, pcs_area_ids[ar->area]));
    put(b, o, "track", cid(b, pcs_track_ids[ar->selected]));
    put(b, o, "score", r2(b, ar->total));
    put(b, o, "qualified", json_boolean(ar->qualified_now));
    put(b, o, "status", cid(b, pcs_status_ids[ar->status]));
    put(b, o, "metrics", metrics_contract(b, sel));
    put(b, o, "alternatives", alts);
    put(b, o, "qualified_now", json_boolean(ar->qualified_now));
    put(b, o, "window", window(b, ar));
    put(b, o, "qualified_in_window", json_boolean(ar->qualified_in_window));
    if (ar->status == PCS_ST_RENEWAL_DUE)
        put(b, o, "can_renew", json_boolean(ar->can_renew));
    if (ar->has_enrollment)
        put(b, o, "anniversary", day(b, ar->anniversary));
    put(b, o, "auto_enroll_eligible", json_boolean(ar->auto_enroll_eligible));
    put(b, o, "tracks", tracks);
    json_t *hist = json_array();
    for (int i = 0; i < 6 && ar->history[i].as_of; i++) {
        const pcs_history_row_t *h = &ar->history[i];
        memo_key_t key = {.kind = 2, .a = h->month, .b = h->as_of, .c = h->track * 2 + h->qualified,
                          .x = pcs_round2(h->total)};
        json_t *r = memo_get(b, &key);
        if (!r) {
            r = json_object();
            put(b, r, "month", month(b, h->month));
            put(b, r, "as_of", day(b, h->as_of));
            put(b, r, "score", r2(b, h->total));
            put(b, r, "track", cid(b, pcs_track_ids[h->track]));
            r = memo_put(b, &key, put(b, r, "qualified", json_boolean(h->qualified)));
        }
        push(b, hist, r);
    }
    put(b, o, "history", hist);
    json_t *evs = json_array();
    for (int i = 0; i < ar->n_events; i++)
        push(b, evs, event_json(b, ar, &res->events[ar->first_event + i]));
    put(b, o, "events", evs);
    if (explain) {
        json_t *el = json_array(), *sk = json_array();
        for (int i = 0; i < ar->n_elig; i++)
            push(b, el, elig_json(b, &res->elig[ar->first_elig + i]));
        for (int i = 0; i < ar->n_skill; i++)
            push(b, sk, skill_json(b, &res->skill[ar->first_skill + i]));
        put(b, o, "eligibility", el);
        put(b, o, "skilling", sk);
    }
    return o;
}

json_t *pcs_result_to_json(const pcs_rules_t *R, const pcs_result_t *res, bool explain)
{
    return pcs_result_to_json_cached(NULL, R, res, explain);
}

json_t *pcs_result_to_json_cached(pcs_json_cache_t *cache, const pcs_rules_t *R, const pcs_result_t *res,
                                  bool explain)
{
    jb_t st = {.R = R, .res = res, .cache = cache}, *b = &st;
    if (cache && ++cache->gen == 0)
        cache->gen = 1;
    json_t *areas = json_array(), *warnings = json_array();
    for (int a = 0; a < PCS_AREA_N; a++)
        if (res->areas[a].scored)
            push(b, areas, area_json(b, &res->areas[a], explain));
    for (int i = 0; i < res->n_warnings; i++)
        push(b, warnings, json_string(res->warnings[i]));
    json_t *o = json_object();
    put(b, o, "partner_id", json_string(res->partner_id));
    put(b, o, "as_of", day(b, res->as_of));
    put(b, o, "data_month", month(b, res->data_month));
    put(b, o, "rules", json_string(res->rules));
    put(b, o, "areas", areas);
    put(b, o, "warnings", warnings);
    if (b->oom) {
        json_decref(o);
        return NULL;
    }
    return o;
}
