/* pcs_engine: the public API (layer 4): facts of one partner, normalisation (§1.1), and scoring,
 * which builds the aggregates (pcs_facts.c) and scores each area (pcs_area.c) into the results
 * this layer owns and hands out. May call every layer below it. */
#include "pcs_area.h"
#include "pcs_facts.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_arena.h"
#include "pcs_date.h"

pcs_engine_t *pcs_engine_new(const pcs_rules_t *rules)
{
    pcs_engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->r = rules;
    e->wl_map = pcs_strmap_new();
    e->tenant_map = pcs_strmap_new();
    e->customer_map = pcs_strmap_new();
    e->person_map = pcs_strmap_new();
    e->warn_arena = pcs_arena_new(4096);
    if (!e->wl_map || !e->tenant_map || !e->customer_map || !e->person_map || !e->warn_arena)
        pcs_engine_destroy(&e);
    return e;
}

void pcs_engine_destroy(pcs_engine_t **pe)
{
    if (!pe || !*pe)
        return;
    pcs_engine_t *e = *pe;
    pcs_strmap_destroy(&e->wl_map);
    pcs_strmap_destroy(&e->tenant_map);
    pcs_strmap_destroy(&e->customer_map);
    pcs_strmap_destroy(&e->person_map);
    pcs_arena_destroy(&e->warn_arena);
    free(e->wl);
    free(e->tenants);
    free(e->customers);
    free(e->tenant_listed);
    free(e->assocs);
    free(e->rows);
    free(e->certs);
    free(e->persons);
    free(e->enrolls);
    free(e->stored);
    free(e->warnings);
    free(e->tenant_ids);
    free(e->customer_of_tenant);
    free(e->month_first);
    free(e->month_last);
    free(e->block_of);
    free(e->cells);
    free(e->wl_local);
    free(e->local_wl);
    free(e->wl_acr);
    free(e->pv);
    free(e->marks);
    free(e->holds);
    free(e->masks);
    free(e->wlq);
    free(e->counts);
    free(e->events);
    free(e->items);
    free(e->elig);
    free(e->skill);
    free(e);
    *pe = NULL;
}

const pcs_rules_t *pcs_engine_rules(const pcs_engine_t *e)
{
    return e->r;
}

void pcs_engine_warn(pcs_engine_t *e, const char *fmt, ...)
{
    if (e->n_warnings >= 200) {
        e->dropped_warnings++;
        return;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = pcs_arena_strdup(e->warn_arena, buf);
    if (!s || GROW(e, e->warnings, e->cap_warnings, e->n_warnings + 1) < 0) {
        e->oom = true;
        return;
    }
    e->warnings[e->n_warnings++] = s;
}

int pcs_engine_begin(pcs_engine_t *e, const char *partner_id, pcs_err_t *err)
{
    snprintf(e->partner_id, sizeof e->partner_id, "%s", partner_id ? partner_id : "");
    pcs_strmap_reset(e->tenant_map);
    pcs_strmap_reset(e->customer_map);
    pcs_strmap_reset(e->person_map);
    pcs_arena_reset(e->warn_arena);
    e->n_tenants = e->n_customers = e->n_assocs = e->n_rows = e->n_certs = e->n_persons = 0;
    e->n_enrolls = e->n_stored = e->n_warnings = e->dropped_warnings = 0;
    e->n_events = e->n_items = e->n_elig = e->n_skill = 0;
    for (int i = 0; i < e->n_local; i++)
        e->wl_local[e->local_wl[i]] = -1;
    e->n_local = 0;
    e->oom = false;
    return 0;
}

/* ---- interning ------------------------------------------------------------------------------ */

static int workload_id(pcs_engine_t *e, const char *name)
{
    if (e->last_wl < e->n_wl && strcmp(e->wl[e->last_wl].name, name) == 0)
        return e->last_wl;
    size_t len = strlen(name);
    int32_t id = pcs_strmap_get(e->wl_map, name, len);
    if (id >= 0)
        return e->last_wl = id;
    if (GROW(e, e->wl, e->cap_wl, e->n_wl + 1) < 0 || GROW(e, e->wl_local, e->cap_wl_local, e->n_wl + 1) < 0)
        return -1;
    const char *stored;
    id = pcs_strmap_put(e->wl_map, name, len, e->n_wl, &stored);
    if (id < 0) {
        e->oom = true;
        return -1;
    }
    workload_t *w = &e->wl[id];
    memset(w, 0, sizeof *w);
    w->name = stored;
    w->any = strcmp(name, "*") == 0;
    w->pattern = !w->any && len >= 2 && name[len - 1] == '*' && name[len - 2] == '/';
    w->prefix_len = w->pattern ? (int)len - 1 : 0;
    w->rate = w->any || w->pattern ? -1 : pcs_rules_rate(e->r, name);
    if (!w->any && !w->pattern)
        for (int s = 0; s < e->r->n_wsets; s++)
            if (pcs_wset_contains(&e->r->wsets[s], name))
                w->wsets |= 1ull << s;
    e->wl_local[id] = -1;
    e->n_wl++;
    return id;
}

static int tenant_index(pcs_engine_t *e, const char *id)
{
    if (e->last_tenant < e->n_tenants && strcmp(e->tenants[e->last_tenant].id, id) == 0)
        return e->last_tenant;
    const char *stored;
    int32_t t = pcs_strmap_put(e->tenant_map, id, strlen(id), e->n_tenants, &stored);
    if (t < 0) {
        e->oom = true;
        return -1;
    }
    if (t == e->n_tenants) {
        if (GROW(e, e->tenants, e->cap_tenants, t + 1) < 0 ||
            GROW(e, e->tenant_listed, e->cap_tenant_listed, t + 1) < 0)
            return -1;
        memset(&e->tenants[t], 0, sizeof e->tenants[t]);
        e->tenants[t].id = stored;
        e->tenants[t].customer = -1;
        e->tenant_listed[t] = false;
        e->n_tenants++;
    }
    return e->last_tenant = t;
}

static int customer_index(pcs_engine_t *e, const char *id)
{
    const char *stored;
    int32_t c = pcs_strmap_put(e->customer_map, id, strlen(id), e->n_customers, &stored);
    if (c < 0) {
        e->oom = true;
        return -1;
    }
    if (c == e->n_customers) {
        if (GROW(e, e->customers, e->cap_customers, c + 1) < 0)
            return -1;
        e->customers[c].id = stored;
        e->customers[c].all_smb = true;
        e->n_customers++;
    }
    return c;
}

static int person_index(pcs_engine_t *e, const char *id)
{
    const char *stored;
    int32_t p = pcs_strmap_put(e->person_map, id, strlen(id), e->n_persons, &stored);
    if (p < 0) {
        e->oom = true;
        return -1;
    }
    if (p == e->n_persons) {
        if (GROW(e, e->persons, e->cap_persons, p + 1) < 0)
            return -1;
        e->persons[p] = stored;
        e->n_persons++;
    }
    return p;
}

static int oom(pcs_err_t *err)
{
    return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
}

/* ---- facts ------------------------------------------------------------------------------------ */

int pcs_engine_add_customer(pcs_engine_t *e, const char *tenant, const char *customer, bool segment_smb,
                            pcs_err_t *err)
{
    int t = tenant_index(e, tenant);
    int c = customer_index(e, customer ? customer : tenant);
    if (t < 0 || c < 0)
        return oom(err);
    /* §17.5: the first entry of a tenant gives its customer; every entry's segment counts for
     * the customer it names. */
    if (!e->tenant_listed[t]) {
        e->tenant_listed[t] = true;
        e->tenants[t].customer = c;
    }
    if (!segment_smb)
        e->customers[c].all_smb = false;
    return 0;
}

int pcs_engine_add_association(pcs_engine_t *e, const char *tenant, pcs_assoc_type_t type, const char *workload,
                               int32_t start, int32_t end, pcs_err_t *err)
{
    if ((int)type < 0 || type >= PCS_AT_N)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "unknown association type");
    if (end != PCS_DAY_NONE && end < start) {
        char a[11], b[11];
        pcs_engine_warn(e, "association %s %s %s: end %s before start %s, ignored", tenant,
                        pcs_assoc_type_ids[type], workload, pcs_day_format(end, b), pcs_day_format(start, a));
        return 0;
    }
    int t = tenant_index(e, tenant);
    int w = workload_id(e, workload);
    if (t < 0 || w < 0 || GROW(e, e->assocs, e->cap_assocs, e->n_assocs + 1) < 0)
        return oom(err);
    e->assocs[e->n_assocs++] = (assoc_t){.tenant = t, .wl = w, .type_bit = (uint16_t)(1u << type),
                                         .start = start, .end = end};
    return 0;
}

static int64_t to_cents(double usd)
{
    return llround(usd * 100.0);   /* §17.1: from the parsed double, never the text */
}

static int64_t to_units(pcs_engine_t *e, const char *tenant, const char *what, double v)
{
    double t = trunc(v);
    if (t < 0)
        t = 0;
    if (t != v)
        pcs_engine_warn(e, "usage %s: %s %.17g normalised to %.0f", tenant, what, v, t);
    return (int64_t)t;
}

/* One usage row of tenant t and workload w (ids of tenant_index and workload_id), amounts in cents. */
static int add_usage_row(pcs_engine_t *e, int t, int w, int32_t month, int64_t acr, int64_t rev, int64_t paid,
                         int64_t active, pcs_err_t *err)
{
    if (GROW(e, e->rows, e->cap_rows, e->n_rows + 1) < 0)
        return oom(err);
    if (e->wl_local[w] < 0) {
        if (GROW(e, e->local_wl, e->cap_local, e->n_local + 1) < 0)
            return oom(err);
        e->wl_local[w] = e->n_local;
        e->local_wl[e->n_local++] = w;
    }
    e->rows[e->n_rows++] = (row_t){.tenant = t, .wl = w, .month = month, .acr = acr, .rev = rev, .paid = paid,
                                   .active = active};
    return 0;
}

int pcs_engine_add_usage(pcs_engine_t *e, const char *tenant, const char *workload, int32_t month, double acr_usd,
                         double revenue_usd, double paid_units, double active_units, pcs_err_t *err)
{
    const double money_max = 1e13, units_max = 1e12;
    if (!(fabs(acr_usd) <= money_max) || !(fabs(revenue_usd) <= money_max))
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "amount beyond 10^13 USD");
    if (!(fabs(paid_units) <= units_max) || !(fabs(active_units) <= units_max))
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "unit count beyond 10^12");
    int t = tenant_index(e, tenant);
    int w = workload_id(e, workload);
    if (t < 0 || w < 0)
        return oom(err);
    return add_usage_row(e, t, w, month, to_cents(acr_usd), to_cents(revenue_usd),
                         to_units(e, tenant, "paid_units", paid_units),
                         to_units(e, tenant, "active_units", active_units), err);
}

/* Integer cents within 10^13 USD are what to_cents gives back for cents / 100.0 (the rounding errors
 * of the division and the product stay below half a cent), and integer units are already whole: the
 * checks and the conversions of pcs_engine_add_usage on integers, without the doubles; the tenant and
 * the workload are looked up at the same point (after the checks), once. */
int pcs_engine_add_usage_ids(pcs_engine_t *e, const char *tenant, const char *workload, int *tenant_id,
                             int *wl_id, int32_t month, int64_t acr_cents, int64_t revenue_cents,
                             int64_t paid_units, int64_t active_units, pcs_err_t *err)
{
    const int64_t cents_max = INT64_C(1000000000000000), units_max = INT64_C(1000000000000);
    if (acr_cents > cents_max || acr_cents < -cents_max || revenue_cents > cents_max || revenue_cents < -cents_max)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "amount beyond 10^13 USD");
    if (paid_units > units_max || paid_units < -units_max || active_units > units_max || active_units < -units_max)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "unit count beyond 10^12");
    if (*tenant_id < 0)
        *tenant_id = tenant_index(e, tenant);
    if (*wl_id < 0)
        *wl_id = workload_id(e, workload);
    if (*tenant_id < 0 || *wl_id < 0)
        return oom(err);
    return add_usage_row(e, *tenant_id, *wl_id, month, acr_cents, revenue_cents,
                         paid_units < 0 ? to_units(e, tenant, "paid_units", (double)paid_units) : paid_units,
                         active_units < 0 ? to_units(e, tenant, "active_units", (double)active_units) : active_units,
                         err);
}

int pcs_engine_add_person(pcs_engine_t *e, const char *person, pcs_err_t *err)
{
    return person_index(e, person) < 0 ? oom(err) : 0;
}

int pcs_engine_add_cert(pcs_engine_t *e, const char *person, const char *cert, int32_t earned, int32_t expires,
                        pcs_err_t *err)
{
    int p = person_index(e, person);
    if (p < 0)
        return oom(err);
    int c = pcs_rules_find_cert(e->r, cert);
    if (c < 0) {
        pcs_engine_warn(e, "person %s: unknown certification '%s' ignored", person, cert);
        return 0;
    }
    /* §3 as one interval: the record is valid on [earned, last]. */
    const pcs_cert_entry_t *ce = &e->r->certs[c];
    int32_t last = expires;
    if (ce->retired_on != PCS_DAY_NONE && (expires == PCS_DAY_NONE || expires >= ce->retired_on))
        last = PCS_DAY_NONE;   /* not lapsed before retirement: its own expiry no longer matters */
    if (ce->eligible_until != PCS_DAY_NONE && (last == PCS_DAY_NONE || last > ce->eligible_until))
        last = ce->eligible_until;
    if (GROW(e, e->certs, e->cap_certs, e->n_certs + 1) < 0)
        return oom(err);
    e->certs[e->n_certs++] = (certrec_t){.person = p, .cert = c, .earned = earned, .last = last};
    return 0;
}

int pcs_engine_add_enrollment(pcs_engine_t *e, int area, int32_t enrolled, int32_t anniversary, pcs_err_t *err)
{
    if (area < 0 || area >= PCS_AREA_N)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "unknown area");
    if (GROW(e, e->enrolls, e->cap_enrolls, e->n_enrolls + 1) < 0)
        return oom(err);
    e->enrolls[e->n_enrolls++] = (enroll_t){.area = area, .enrolled = enrolled, .anniversary = anniversary};
    return 0;
}

int pcs_engine_add_stored(pcs_engine_t *e, int area, int32_t as_of, double total, bool qualified, int track,
                          pcs_err_t *err)
{
    if (area < 0 || area >= PCS_AREA_N || track < 0 || track >= PCS_TRACK_N)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "unknown area or track");
    if (GROW(e, e->stored, e->cap_stored, e->n_stored + 1) < 0)
        return oom(err);
    e->stored[e->n_stored++] =
        (stored_t){.area = area, .as_of = as_of, .total = total, .qualified = qualified, .track = track};
    return 0;
}

/* ---- normalisation ---------------------------------------------------------------------------- */

static int cmp_row(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    if (x->tenant != y->tenant)
        return x->tenant < y->tenant ? -1 : 1;
    if (x->wl != y->wl)
        return x->wl < y->wl ? -1 : 1;
    return (x->month > y->month) - (x->month < y->month);
}

static int cmp_assoc(const void *a, const void *b)
{
    const assoc_t *x = a, *y = b;
    if (x->tenant != y->tenant)
        return x->tenant < y->tenant ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

static bool rows_sorted(const pcs_engine_t *e)
{
    for (int i = 1; i < e->n_rows; i++)
        if (cmp_row(&e->rows[i - 1], &e->rows[i]) > 0)
            return false;
    return true;
}

static void normalise(pcs_engine_t *e)
{
    /* §1.1.3: rows with one key merge into one. Streams usually arrive sorted: skip the sort. */
    if (e->n_rows > 1 && !rows_sorted(e))
        qsort(e->rows, (size_t)e->n_rows, sizeof *e->rows, cmp_row);
    int o = 0;
    for (int i = 0; i < e->n_rows; i++) {
        row_t *r = &e->rows[i];
        if (o > 0 && cmp_row(&e->rows[o - 1], r) == 0) {
            row_t *d = &e->rows[o - 1];
            d->acr = pcs_sat_add(d->acr, r->acr);
            d->rev = pcs_sat_add(d->rev, r->rev);
            d->paid = pcs_sat_add(d->paid, r->paid);
            d->active = pcs_sat_add(d->active, r->active);
            continue;
        }
        e->rows[o++] = *r;
    }
    e->n_rows = o;
    if (e->n_assocs > 1)
        qsort(e->assocs, (size_t)e->n_assocs, sizeof *e->assocs, cmp_assoc);
    for (int t = 0; t < e->n_tenants; t++) {
        e->tenants[t].n_rows = e->tenants[t].n_assoc = 0;
        e->tenants[t].first_row = e->tenants[t].first_assoc = 0;
    }
    for (int i = e->n_rows - 1; i >= 0; i--) {
        tenant_t *t = &e->tenants[e->rows[i].tenant];
        t->first_row = i;
        t->n_rows++;
    }
    for (int i = e->n_assocs - 1; i >= 0; i--) {
        tenant_t *t = &e->tenants[e->assocs[i].tenant];
        t->first_assoc = i;
        t->n_assoc++;
    }
    /* §1.1.5: a tenant missing from customers[] is its own enterprise customer. */
    for (int t = 0; t < e->n_tenants; t++) {
        if (e->tenant_listed[t])
            continue;
        int c = customer_index(e, e->tenants[t].id);
        if (c < 0)
            return;
        e->customers[c].all_smb = false;
        e->tenants[t].customer = c;
        e->tenant_listed[t] = true;
        pcs_engine_warn(e, "tenant %s is not in customers[]: taken as its own enterprise customer",
                        e->tenants[t].id);
    }
}

/* ---- scoring ----------------------------------------------------------------------------------- */

const pcs_result_t *pcs_engine_score(pcs_engine_t *e, int32_t as_of, const pcs_score_opts_t *opts)
{
    static const pcs_score_opts_t defaults;
    if (!opts)
        opts = &defaults;
    e->n_events = e->n_items = e->n_elig = e->n_skill = 0;
    e->explain = opts->explain;
    normalise(e);
    e->D = as_of;
    e->M = pcs_month_of_day(as_of) - 1;
    if (e->oom || pcs_facts_aggregate(e, e->M - (opts->no_history ? 0 : HIST_MONTHS - 1)) < 0)
        return NULL;
    /* the caches of one score: their results are read only where valid */
    for (int a = 0; a < PCS_AREA_N; a++) {
        for (int t = 0; t < PCS_TRACK_N; t++)
            for (int i = 0; i < HIST_MONTHS; i++)
                e->cache[a][t][i].valid = false;
        for (int i = 0; i < HIST_MONTHS; i++)
            e->classes[a][i].valid = false;
        e->skills[a].valid = false;
    }
    e->n_holds = e->n_masks = e->n_wlq = e->n_counts = 0;

    pcs_result_t *res = &e->res;
    memset(res, 0, sizeof *res);
    res->partner_id = e->partner_id;
    res->rules = e->r->name;
    res->as_of = as_of;
    res->data_month = e->M;
    for (int a = 0; a < PCS_AREA_N; a++) {
        res->areas[a].area = a;
        if (opts->area_mask && !(opts->area_mask & (1u << a)))
            continue;
        pcs_area_score(e, a, opts);
        if (e->oom)
            return NULL;
    }
    /* auto_enroll_eligible needs every area's enrollment state (§11.2). */
    for (int a = 0; a < PCS_AREA_N; a++) {
        pcs_area_result_t *ar = &res->areas[a];
        if (!ar->scored || ar->status != PCS_ST_QUALIFIED)
            continue;
        for (int i = 0; i < e->n_enrolls; i++) {
            const enroll_t *en = &e->enrolls[i];
            if (en->area != a && en->enrolled <= as_of && as_of <= pcs_month_last_day(pcs_month_of_day(en->anniversary)))
                ar->auto_enroll_eligible = true;
        }
    }
    if (e->dropped_warnings)
        pcs_engine_warn(e, "%d more warnings not shown", e->dropped_warnings);
    if (GROW(e, e->tenant_ids, e->cap_tenant_ids, e->n_tenants + 1) < 0 ||
        GROW(e, e->customer_of_tenant, e->cap_customer_of_tenant, e->n_tenants + 1) < 0)
        return NULL;
    for (int t = 0; t < e->n_tenants; t++) {
        e->tenant_ids[t] = e->tenants[t].id;
        e->customer_of_tenant[t] = e->tenants[t].customer >= 0 ? e->customers[e->tenants[t].customer].id : NULL;
    }
    res->events = e->events;
    res->n_events = e->n_events;
    res->items = e->items;
    res->n_items = e->n_items;
    res->elig = e->elig;
    res->n_elig = e->n_elig;
    res->skill = e->skill;
    res->n_skill = e->n_skill;
    res->warnings = (const char *const *)e->warnings;
    res->n_warnings = e->n_warnings;
    res->tenant_ids = e->tenant_ids;
    res->customer_of_tenant = e->customer_of_tenant;
    res->person_ids = e->persons;
    return e->oom ? NULL : res;
}
