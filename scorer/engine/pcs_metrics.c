/* pcs_metrics: the four metric kinds (§6.2–§6.5), parts and options (§6.7), the Modern Work
 * adjustments on raw rows (§6.8) and the per-tenant explanation rows (§12). */
#include "pcs_metrics.h"

#include <string.h>

#include "pcs_date.h"

/* ---- predicates (§6.1) -------------------------------------------------------------------------- */

static bool op_lo(pcs_op_t op, int64_t x, int64_t v)
{
    return op == PCS_OP_GT ? x > v : x >= v;
}

static bool op_hi(pcs_op_t op, int64_t x, int64_t v)
{
    return op == PCS_OP_NONE || (op == PCS_OP_LT ? x < v : x <= v);
}

/* The sum of field f over the slots first..last of row, added in slot order (saturating). */
static int64_t span_sum(const cell_t *row, pcs_field_t f, int32_t first, int32_t last)
{
    int64_t s = 0;
    for (int32_t i = first; row && i <= last; i++)
        s = pcs_sat_add(s, row[i].f[f]);
    return s;
}

static int64_t ttm_sum(const pcs_engine_t *e, int t, int scope, pcs_field_t f, int32_t p)
{
    int32_t first, last;
    pcs_slot_span(e, p - 11, p, &first, &last);
    return span_sum(pcs_cell_row(e, t, scope), f, first, last);
}

/* p on the cell of its month c, the cell of the month before and ttm, the TTM sum of p->field to
 * the month (read by ttm_sum_range only). */
static bool pred_on(const pcs_pred_t *p, const cell_t *c, const cell_t *before, int64_t ttm)
{
    switch (p->kind) {
    case PCS_P_MONTH_SUM_ANY2:
        return op_lo(p->lo_op, before->f[p->field], p->lo) || op_lo(p->lo_op, c->f[p->field], p->lo);
    case PCS_P_MONTH_SUM:
        return op_lo(p->lo_op, c->f[p->field], p->lo);
    case PCS_P_TTM_RANGE:
        return op_lo(p->lo_op, ttm, p->lo) && op_hi(p->hi_op, ttm, p->hi);
    case PCS_P_SEAT_BAND:
        return c->bands >> p->band & 1;
    case PCS_P_ACTIVE_RATIO:
        return c->f[PCS_F_PAID] > 0 && (__int128)100 * c->f[PCS_F_ACTIVE] >= (__int128)p->pct * c->f[PCS_F_PAID];
    }
    return false;
}

static bool pred_plain(const pcs_engine_t *e, int t, int scope, const pcs_pred_t *p, int32_t month)
{
    int64_t ttm = p->kind == PCS_P_TTM_RANGE ? ttm_sum(e, t, scope, p->field, month) : 0;
    return pred_on(p, pcs_cell(e, t, scope, month), pcs_cell(e, t, scope, month - 1), ttm);
}

bool pcs_pred_holds(const pcs_engine_t *e, int t, int scope, const pcs_pred_t *p, int32_t month)
{
    if (pred_plain(e, t, scope, p, month))
        return true;
    /* Sticky SMB (§6.1): enterprise-sized now but SMB-sized a year earlier. */
    return p->sticky && pred_plain(e, t, scope, p->sticky, month) && pred_plain(e, t, scope, p, month - 12);
}

static bool preds_hold(const pcs_engine_t *e, int t, int scope, const pcs_pred_t *ps, int n, int32_t month)
{
    for (int i = 0; i < n; i++)
        if (!pcs_pred_holds(e, t, scope, &ps[i], month))
            return false;
    return true;
}

/* ---- predicates over all months -------------------------------------------------------------------- */

/* A refresh asks each (predicates, tenant) for up to fourteen months (six data months and their
 * comparisons, the nca_at_risk projection), and areas and tracks share predicates: one pass over a
 * tenant's cells answers every built month. */

/* pred_plain of every built month of row (NULL: no cells), bit i for slot i. */
static uint64_t plain_mask(const pcs_engine_t *e, const cell_t *row, const pcs_pred_t *p)
{
    if (!row)   /* most tenants have no cells in a given scope: every month reads zero cells */
        return pred_on(p, &pcs_zero_cell, &pcs_zero_cell, 0) ? ~0ull : 0;
    /* Below 2^58 a TTM of twelve slots cannot saturate, so a sliding sum equals span_sum. */
    const int64_t small = (int64_t)1 << 58;
    bool slide = p->kind == PCS_P_TTM_RANGE;
    for (int32_t i = 0; slide && i < e->n_slots; i++)
        slide = row[i].f[p->field] < small && row[i].f[p->field] > -small;
    uint64_t bits = 0;
    int64_t ttm = 0;
    for (int32_t i = 0; i < e->n_slots; i++) {
        const cell_t *before = i > 0 ? &row[i - 1] : &pcs_zero_cell;
        if (slide)
            ttm += row[i].f[p->field] - (i >= 12 ? row[i - 12].f[p->field] : 0);
        else if (p->kind == PCS_P_TTM_RANGE)
            ttm = span_sum(row, p->field, i < 11 ? 0 : i - 11, i);
        bits |= (uint64_t)pred_on(p, &row[i], before, ttm) << i;
    }
    return bits;
}

/* preds_hold of every built month of the cells row (NULL: none), bit i for slot i. */
static uint64_t holds_mask(const pcs_engine_t *e, const cell_t *row, const pcs_pred_t *ps, int n)
{
    uint64_t h = e->n_slots == 64 ? ~0ull : (1ull << e->n_slots) - 1;
    for (int k = 0; k < n; k++) {
        const pcs_pred_t *p = &ps[k];
        uint64_t plain = plain_mask(e, row, p);
        if (p->sticky) {
            /* months before the built ones read zero cells */
            uint64_t before = pred_on(p, &pcs_zero_cell, &pcs_zero_cell, 0) ? 0xfffull : 0;
            plain |= plain_mask(e, row, p->sticky) & (plain << 12 | before);
        }
        h &= plain;
    }
    return h;
}

/* Equal predicates (by content: the areas' rules are loaded apart) hold on the same months; every
 * field pred_on reads must be compared. */
static bool pred_same(const pcs_pred_t *a, const pcs_pred_t *b)
{
    if (a == b)
        return true;
    return a && b && a->kind == b->kind && a->field == b->field && a->lo_op == b->lo_op && a->hi_op == b->hi_op &&
           a->lo == b->lo && a->hi == b->hi && a->pct == b->pct && a->band == b->band &&
           pred_same(a->sticky, b->sticky);
}

static bool preds_same(const pcs_pred_t *a, const pcs_pred_t *b, int n)
{
    for (int k = 0; k < n; k++)
        if (!pred_same(&a[k], &b[k]))
            return false;
    return true;
}

/* Whether a memo's key names the list ps[0..n) on scope. */
static bool key_is(const preds_key_t *k, int scope, const pcs_pred_t *ps, int n)
{
    return k->scope == scope && k->n == n && preds_same(k->ps, ps, n);
}

/* The masks of ps[0..n) on scope (holds_memo_t), made at the first call of the score; NULL when
 * the built months do not fit a mask or memory runs out (callers then use preds_hold). Valid until
 * the next call. */
static const holds_memo_t *holds_memo(pcs_engine_t *e, int scope, const pcs_pred_t *ps, int n)
{
    if (n == 0 || e->n_slots > 64)
        return NULL;
    for (int i = 0; i < e->n_holds; i++)
        if (key_is(&e->holds[i].key, scope, ps, n))
            return &e->holds[i];
    if (GROW(e, e->holds, e->cap_holds, e->n_holds + 1) < 0 ||
        GROW(e, e->masks, e->cap_masks, e->n_masks + e->n_tenants + 1) < 0)
        return NULL;
    holds_memo_t *h = &e->holds[e->n_holds++];
    *h = (holds_memo_t){.key = {.ps = ps, .n = n, .scope = scope}, .first = e->n_masks};
    uint64_t *m = &e->masks[e->n_masks], none = holds_mask(e, NULL, ps, n);
    int n_none = 0;
    for (int t = 0; t < e->n_tenants; t++) {
        const cell_t *row = pcs_cell_row(e, t, scope);
        m[t] = row ? holds_mask(e, row, ps, n) : none;
        n_none += !row;
        for (uint64_t b = row ? m[t] : 0; b; b &= b - 1)
            h->count[__builtin_ctzll(b)]++;
    }
    for (uint64_t b = none; b; b &= b - 1)
        h->count[__builtin_ctzll(b)] += n_none;
    e->n_masks += e->n_tenants;
    return h;
}

static const uint64_t *memo_masks(const pcs_engine_t *e, const holds_memo_t *h)
{
    return h ? &e->masks[h->first] : NULL;
}

/* The slot of month in the masks of h, or -1 when they do not cover it. */
static int32_t memo_slot(const pcs_engine_t *e, const holds_memo_t *h, int32_t month)
{
    int32_t i = month - e->slot_lo;
    return h && i >= 0 && i < e->n_slots ? i : -1;
}

/* preds_hold at month, when masks do not cover it: out of line, so that holds_at stays a bit test
 * in the tenant loops. */
__attribute__((noinline)) static bool holds_slow(const pcs_engine_t *e, int t, int scope, const pcs_pred_t *ps,
                                                 int n, int32_t month)
{
    return preds_hold(e, t, scope, ps, n, month);
}

/* preds_hold(ps, n) at month, from masks (memo_masks) when they cover it. */
static inline bool holds_at(const pcs_engine_t *e, const uint64_t *masks, int t, int scope, const pcs_pred_t *ps,
                            int n, int32_t month)
{
    int32_t i = month - e->slot_lo;
    if (masks && i >= 0 && i < e->n_slots)
        return masks[t] >> i & 1;
    return n == 0 || holds_slow(e, t, scope, ps, n, month);
}

/* The quantity a person reads for a tenant (§12 current_value), from the first predicate. */
static double measured(const pcs_engine_t *e, int t, int scope, const pcs_pred_t *p, int32_t month)
{
    const cell_t *c = pcs_cell(e, t, scope, month);
    bool money = p->field == PCS_F_ACR || p->field == PCS_F_REVENUE || p->field == PCS_F_MCV;
    double k = money ? 100.0 : 1.0;
    switch (p->kind) {
    case PCS_P_MONTH_SUM_ANY2: {
        int64_t a = pcs_cell(e, t, scope, month - 1)->f[p->field], b = c->f[p->field];
        return (double)(a > b ? a : b) / k;
    }
    case PCS_P_MONTH_SUM:
        return (double)c->f[p->field] / k;
    case PCS_P_TTM_RANGE:
        return (double)ttm_sum(e, t, scope, p->field, month) / k;
    case PCS_P_SEAT_BAND:
        return (double)c->max_paid;
    case PCS_P_ACTIVE_RATIO:
        return c->f[PCS_F_PAID] > 0 ? 100.0 * (double)c->f[PCS_F_ACTIVE] / (double)c->f[PCS_F_PAID] : 0;
    }
    return 0;
}

static bool has_rows(const pcs_engine_t *e, int t, int scope, const pcs_pred_t *ps, int n, int32_t month)
{
    int back = 0;
    for (int i = 0; i < n; i++) {
        int b = ps[i].kind == PCS_P_TTM_RANGE ? 11 : ps[i].kind == PCS_P_MONTH_SUM_ANY2 ? 1 : 0;
        back = b > back ? b : back;
    }
    const cell_t *row = pcs_cell_row(e, t, scope);
    int32_t first, last;
    pcs_slot_span(e, month - back, month, &first, &last);
    for (int32_t i = first; row && i <= last; i++)
        if (row[i].n)
            return true;
    return false;
}

/* ---- raw rows (§6.8) ------------------------------------------------------------------------------- */

static int64_t row_field(const pcs_engine_t *e, const row_t *r, pcs_field_t f)
{
    switch (f) {
    case PCS_F_ACR: return r->acr;
    case PCS_F_REVENUE: return r->rev;
    case PCS_F_MCV: return e->wl[r->wl].rate >= 0 ? pcs_sat_mul(r->active, e->wl[r->wl].rate) : 0;
    case PCS_F_PAID: return r->paid;
    case PCS_F_ACTIVE: return r->active;
    }
    return 0;
}

static bool eligible(const pcs_engine_t *e, const pcs_scope_t *sc, int wl)
{
    return (e->wl[wl].wsets & sc->wsets) != 0;
}

/* Earliest start among the scope's associations of tenant t that cover one of t's eligible rows in
 * months lo..hi; PCS_DAY_NONE when none does. */
static int32_t earliest_start(const pcs_engine_t *e, const pcs_scope_t *sc, int t, int32_t lo, int32_t hi)
{
    const tenant_t *tn = &e->tenants[t];
    int32_t s = PCS_DAY_NONE;
    for (int i = tn->first_row; i < tn->first_row + tn->n_rows; i++) {
        const row_t *r = &e->rows[i];
        if (r->month < lo || r->month > hi)
            continue;
        int32_t first = pcs_month_first_day(r->month), last = pcs_month_last_day(r->month);
        for (int k = 0; k < sc->n; k++) {
            if (!(e->wl[r->wl].wsets >> sc->src[k].wset & 1))
                continue;
            for (int j = tn->first_assoc; j < tn->first_assoc + tn->n_assoc; j++) {
                const assoc_t *a = &e->assocs[j];
                if ((a->type_bit & sc->src[k].types) && a->start < s && pcs_cover(e, a, r->wl, first, last))
                    s = a->start;
            }
        }
    }
    return s;
}

typedef struct {
    int64_t f[5];
    bool band;
} raw_t;

static raw_t raw_month(const pcs_engine_t *e, const pcs_scope_t *sc, int t, int32_t month, const pcs_pred_t *band)
{
    raw_t x = {{0}, false};
    const tenant_t *tn = &e->tenants[t];
    for (int i = tn->first_row; i < tn->first_row + tn->n_rows; i++) {
        const row_t *r = &e->rows[i];
        if (r->month != month || !eligible(e, sc, r->wl))
            continue;
        for (int f = 0; f < 5; f++)
            x.f[f] = pcs_sat_add(x.f[f], row_field(e, r, (pcs_field_t)f));
        if (band && r->paid >= band->lo && (band->hi_op == PCS_OP_NONE || r->paid <= band->hi))
            x.band = true;
    }
    return x;
}

/* §6.8 "already deployed": claimed within 12 months of p, and deployed (ratio) the month before. */
static bool already_deployed(const pcs_engine_t *e, const pcs_metric_t *m, int t, int32_t p)
{
    const pcs_scope_t *sc = &e->r->scopes[m->scope];
    int32_t month = p > e->M ? e->M : p;
    int32_t s = earliest_start(e, sc, t, month, month);
    if (s == PCS_DAY_NONE || s < pcs_month_first_day(p - 11))
        return false;
    raw_t raw = raw_month(e, sc, t, pcs_month_of_day(s) - 1, NULL);
    return raw.f[PCS_F_PAID] > 0 && 100 * raw.f[PCS_F_ACTIVE] >= m->already_deployed_pct * raw.f[PCS_F_PAID];
}

/* ---- explanation rows (§12) ------------------------------------------------------------------------ */

static pcs_elig_row_t *elig_row(pcs_engine_t *e, int area, int track, int metric, int sub, int tenant)
{
    if (GROW(e, e->elig, e->cap_elig, e->n_elig + 1) < 0)
        return NULL;
    pcs_elig_row_t *r = &e->elig[e->n_elig++];
    memset(r, 0, sizeof *r);
    r->area = area;
    r->track = track;
    r->metric = metric;
    r->sub = sub;
    r->tenant = tenant;
    r->status = 2;
    return r;
}

static int effect_status(double effect, bool qualifies_now, bool has_current_rows)
{
    if (effect > 0)
        return 0;
    if (effect < 0)
        return 1;
    if (qualifies_now)
        return 2;
    return has_current_rows ? 1 : 2;
}

/* ---- net_count (§6.2) -------------------------------------------------------------------------------- */

typedef struct {
    int area, track, metric, sub;
    bool explain;
} ctx_t;

/* masks: the memo_masks of m's predicates, or NULL. */
static bool q_tenant(const pcs_engine_t *e, const pcs_metric_t *m, const uint64_t *masks, int t, int32_t p,
                     bool *excluded)
{
    if (!holds_at(e, masks, t, m->scope, m->preds, m->n_preds, p))
        return false;
    if (m->already_deployed_pct >= 0 && already_deployed(e, m, t, p)) {
        if (excluded)
            *excluded = true;
        return false;
    }
    return true;
}

/* Whether row r counts as a workload of a unit tenant_workload metric: each predicate on the row's
 * own amounts (its credit to the scope is the caller's). */
static bool row_qualifies(const pcs_engine_t *e, const pcs_metric_t *m, const row_t *r)
{
    for (int k = 0; k < m->n_preds; k++)
        if (!op_lo(m->preds[k].lo_op, row_field(e, r, m->preds[k].field), m->preds[k].lo))
            return false;
    return true;
}

/* Qualifying workloads of tenant t at p (unit tenant_workload). Rows are sorted by tenant,
 * workload, month, so each (t, w) has at most one row per month. */
static int q_workloads(const pcs_engine_t *e, const pcs_metric_t *m, int t, int32_t p)
{
    /* A row credited to the scope is in the scope's cell of its month (of M+1 when projected): with
     * none there, the scan below finds none. */
    if (p <= e->M + 1 && pcs_cell(e, t, m->scope, p)->n == 0)
        return 0;
    const tenant_t *tn = &e->tenants[t];
    bool proj = p > e->M;
    int32_t month = proj ? e->M : p;
    int n = 0;
    for (int i = tn->first_row; i < tn->first_row + tn->n_rows; i++) {
        const row_t *r = &e->rows[i];
        if (r->month == month && ((proj ? r->credit_next : r->credit) >> m->scope & 1))
            n += row_qualifies(e, m, r);
    }
    return n;
}

/* q_workloads of m for every tenant and built month (workloads_memo_t), made at the first call of
 * the score in one pass over each tenant's rows; NULL when memory runs out. Each net_count asks every
 * tenant for two months, and the scan of q_workloads reads all of the tenant's rows for each. */
static const workloads_memo_t *workloads_memo(pcs_engine_t *e, const pcs_metric_t *m)
{
    for (int i = 0; i < e->n_wlq; i++)
        if (key_is(&e->wlq[i].key, m->scope, m->preds, m->n_preds))
            return &e->wlq[i];
    int size = (e->n_tenants + 1) * e->n_slots;
    if (GROW(e, e->wlq, e->cap_wlq, e->n_wlq + 1) < 0 || GROW(e, e->counts, e->cap_counts, e->n_counts + size) < 0)
        return NULL;
    workloads_memo_t *w = &e->wlq[e->n_wlq++];
    *w = (workloads_memo_t){.key = {.ps = m->preds, .n = m->n_preds, .scope = m->scope}, .first = e->n_counts};
    int *c = &e->counts[e->n_counts], *total = &c[e->n_tenants * e->n_slots];
    memset(c, 0, sizeof *c * (size_t)size);
    e->n_counts += size;
    for (int t = 0; t < e->n_tenants; t++) {
        if (!pcs_cell_row(e, t, m->scope))
            continue;   /* no row credited to the scope */
        const tenant_t *tn = &e->tenants[t];
        int *ct = &c[t * e->n_slots];
        for (int i = tn->first_row; i < tn->first_row + tn->n_rows; i++) {
            const row_t *r = &e->rows[i];
            /* credited rows are of built months; only those of M have credit_next, for slot M + 1 */
            bool cur = r->credit >> m->scope & 1, next = r->credit_next >> m->scope & 1;
            if (!(cur || next) || !row_qualifies(e, m, r))
                continue;
            int32_t slot = r->month - e->slot_lo;
            if (cur) {
                ct[slot]++;
                total[slot]++;
            }
            if (next) {
                ct[slot + 1]++;
                total[slot + 1]++;
            }
        }
    }
    return w;
}

/* q_workloads(m, t, p), from the counts of w when they cover p. */
static int workloads_at(const pcs_engine_t *e, const workloads_memo_t *w, const pcs_metric_t *m, int t, int32_t p)
{
    int32_t i = p - e->slot_lo;
    if (w && i >= 0 && i < e->n_slots)
        return e->counts[w->first + t * e->n_slots + i];
    return q_workloads(e, m, t, p);
}

/* The explanation row of tenant t of a net_count: a and b qualifying at cur and at the comparison
 * month, current and comparison what a person reads (§12). false when out of memory. */
static bool net_row(pcs_engine_t *e, const ctx_t *x, const pcs_metric_t *m, int t, int32_t cur, double a, double b,
                    double current, double comparison, bool excluded)
{
    pcs_elig_row_t *r = elig_row(e, x->area, x->track, x->metric, x->sub, t);
    if (!r)
        return false;
    r->effect = a - b;
    r->current = current;
    r->comparison = comparison;
    r->excluded_already_deployed = excluded;
    r->status = effect_status(r->effect, a > 0, has_rows(e, t, m->scope, m->preds, m->n_preds, cur));
    return true;
}

/* net_count of a unit tenant_workload metric: qualifying workloads. */
static double net_workloads(pcs_engine_t *e, const pcs_metric_t *m, int32_t cur, int32_t cmp, const ctx_t *x)
{
    const workloads_memo_t *w = workloads_memo(e, m);
    int32_t ci = cur - e->slot_lo, bi = cmp - e->slot_lo;
    if (w && !x->explain && ci >= 0 && ci < e->n_slots && bi >= 0 && bi < e->n_slots) {
        const int *total = &e->counts[w->first + e->n_tenants * e->n_slots];
        return (double)((int64_t)total[ci] - total[bi]);
    }
    int64_t qc = 0, qb = 0;
    for (int t = 0; t < e->n_tenants; t++) {
        int a = workloads_at(e, w, m, t, cur), b = workloads_at(e, w, m, t, cmp);
        qc += a;
        qb += b;
        if (x->explain && !net_row(e, x, m, t, cur, a, b, a, b, false))
            return 0;
    }
    return (double)(qc - qb);
}

/* net_count of a unit tenant metric: tenants where the predicates hold, less the §6.8 exclusion. */
static double net_tenants(pcs_engine_t *e, const pcs_metric_t *m, int32_t cur, int32_t cmp, const ctx_t *x)
{
    const holds_memo_t *h = holds_memo(e, m->scope, m->preds, m->n_preds);
    const uint64_t *masks = memo_masks(e, h);
    int32_t ci = memo_slot(e, h, cur), bi = memo_slot(e, h, cmp);
    if (ci >= 0 && bi >= 0 && !x->explain) {
        int64_t qc = h->count[ci], qb = h->count[bi];
        /* the exclusion reads raw rows: asked only of the tenants the masks count */
        for (int t = 0; t < e->n_tenants && m->already_deployed_pct >= 0; t++) {
            if (masks[t] >> ci & 1)
                qc -= already_deployed(e, m, t, cur);
            if (masks[t] >> bi & 1)
                qb -= already_deployed(e, m, t, cmp);
        }
        return (double)(qc - qb);
    }
    int64_t qc = 0, qb = 0;
    for (int t = 0; t < e->n_tenants; t++) {
        bool exc_c = false, exc_b = false;
        bool a = q_tenant(e, m, masks, t, cur, &exc_c), b = q_tenant(e, m, masks, t, cmp, &exc_b);
        qc += a;
        qb += b;
        if (x->explain && !net_row(e, x, m, t, cur, a, b, measured(e, t, m->scope, &m->preds[0], cur),
                                   measured(e, t, m->scope, &m->preds[0], cmp), exc_c || exc_b))
            return 0;
    }
    return (double)(qc - qb);
}

static double net_count(pcs_engine_t *e, const pcs_metric_t *m, int32_t cur, int32_t cmp, const ctx_t *x)
{
    return m->unit_tenant_workload ? net_workloads(e, m, cur, cmp, x) : net_tenants(e, m, cur, cmp, x);
}

void pcs_metric_nca_drops(pcs_engine_t *e, const pcs_metric_t *m, int32_t M)
{
    for (int s = 0; s < (m->kind == PCS_K_PARTS ? m->n_subs : 1); s++) {
        const pcs_metric_t *pm = m->kind == PCS_K_PARTS ? &m->subs[s] : m;
        if (pm->kind != PCS_K_NET_COUNT)
            continue;
        const workloads_memo_t *w = pm->unit_tenant_workload ? workloads_memo(e, pm) : NULL;
        const uint64_t *masks =
            pm->unit_tenant_workload ? NULL : memo_masks(e, holds_memo(e, pm->scope, pm->preds, pm->n_preds));
        for (int t = 0; t < e->n_tenants; t++) {
            int now_c, now_b, pr_c, pr_b;
            if (pm->unit_tenant_workload) {
                now_c = workloads_at(e, w, pm, t, M);
                now_b = workloads_at(e, w, pm, t, M - 12);
                pr_c = workloads_at(e, w, pm, t, M + 1);
                pr_b = workloads_at(e, w, pm, t, M - 11);
            } else {
                now_c = q_tenant(e, pm, masks, t, M, NULL);
                now_b = q_tenant(e, pm, masks, t, M - 12, NULL);
                pr_c = q_tenant(e, pm, masks, t, M + 1, NULL);
                pr_b = q_tenant(e, pm, masks, t, M - 11, NULL);
            }
            if (pr_c - pr_b >= now_c - now_b)
                continue;
            pcs_push_item(e, (pcs_event_item_t){.tenant = {.tenant = t,
                                                           .reason = pr_b > now_b ? PCS_NCA_ENTERS_COMPARISON
                                                                                  : PCS_NCA_LEAVES_CURRENT,
                                                           .effect_now = now_c - now_b,
                                                           .effect_projected = pr_c - pr_b}});
        }
    }
}

/* ---- distinct_workloads (§6.3) --------------------------------------------------------------------- */

static double distinct(pcs_engine_t *e, const pcs_metric_t *m, int32_t Md, const ctx_t *x)
{
    const pcs_scope_t *sc = &e->r->scopes[m->scope];
    int n = 0;
    for (int l = 0; l < e->n_local; l++) {
        int w = e->local_wl[l];
        if (m->exclude_wset >= 0 && (e->wl[w].wsets >> m->exclude_wset & 1))
            continue;
        const int64_t *a = &e->wl_acr[((size_t)sc->wl_slot * (size_t)e->n_local + (size_t)l) * (size_t)e->n_slots];
        int64_t s = 0;
        for (int32_t mo = Md - 11; mo <= Md; mo++)
            s = pcs_sat_add(s, a[mo - e->slot_lo]);
        n += s > 0;
    }
    if (x->explain) {
        for (int t = 0; t < e->n_tenants; t++) {
            const tenant_t *tn = &e->tenants[t];
            int counted = 0, credited = 0;
            for (int i = tn->first_row; i < tn->first_row + tn->n_rows;) {
                /* one (t, w) group at a time */
                int w = e->rows[i].wl;
                int64_t s = 0;
                bool any = false;
                for (; i < tn->first_row + tn->n_rows && e->rows[i].wl == w; i++) {
                    const row_t *r = &e->rows[i];
                    if (r->month >= Md - 11 && r->month <= Md && (r->credit >> m->scope & 1)) {
                        s = pcs_sat_add(s, r->acr);
                        any = true;
                    }
                }
                credited += any;
                if (any && s > 0 && !(m->exclude_wset >= 0 && (e->wl[w].wsets >> m->exclude_wset & 1)))
                    counted++;
            }
            pcs_elig_row_t *r = elig_row(e, x->area, x->track, x->metric, x->sub, t);
            if (!r)
                break;
            r->effect = counted;
            r->current = counted;
            r->status = counted ? 0 : credited ? 1 : 2;
        }
    }
    return n;
}

/* ---- growth (§6.4, §6.8) ---------------------------------------------------------------------------- */

static int64_t measure(const pcs_engine_t *e, const pcs_metric_t *m, int t, int32_t p)
{
    return m->measure_ttm ? ttm_sum(e, t, m->scope, m->field, p) : pcs_cell(e, t, m->scope, p)->f[m->field];
}

static const pcs_pred_t *plain_band(const pcs_metric_t *m)
{
    for (int i = 0; i < m->n_filter; i++)
        if (m->filter[i].kind == PCS_P_SEAT_BAND)
            return &m->filter[i];
    return NULL;
}

static int64_t pre_association_base(const pcs_engine_t *e, const pcs_metric_t *m, int t, int32_t Md)
{
    const pcs_scope_t *sc = &e->r->scopes[m->scope];
    int32_t s = earliest_start(e, sc, t, Md - 11, Md);
    if (s == PCS_DAY_NONE)
        return 0;
    const pcs_pred_t *band = plain_band(m);
    raw_t raw = raw_month(e, sc, t, pcs_month_of_day(s) - 1, band);
    return !band || raw.band ? raw.f[m->field] : 0;
}

static double growth(pcs_engine_t *e, const pcs_metric_t *m, int32_t Md, const ctx_t *x, const char **prereq)
{
    int64_t cur = 0, base = 0;
    int first_row = e->n_elig;
    const uint64_t *masks = memo_masks(e, holds_memo(e, m->scope, m->filter, m->n_filter));
    for (int t = 0; t < e->n_tenants; t++) {
        /* Without cells in the scope a tenant adds 0 to both sums: its measures read zero cells, and
         * an association pre_association_base would find credits a row in TTM(Md) to the scope. */
        if (!x->explain && !pcs_cell_row(e, t, m->scope))
            continue;
        bool fc = holds_at(e, masks, t, m->scope, m->filter, m->n_filter, Md);
        bool fb = holds_at(e, masks, t, m->scope, m->filter, m->n_filter, Md - 12);
        int64_t vc = fc ? measure(e, m, t, Md) : 0;
        int64_t vb = fb ? measure(e, m, t, Md - 12) : 0;
        if (m->pre_association && fc && pcs_cell(e, t, m->scope, Md - 12)->n == 0)
            vb = pre_association_base(e, m, t, Md);
        cur = pcs_sat_add(cur, vc);
        base = pcs_sat_add(base, vb);
        if (x->explain) {
            pcs_elig_row_t *r = elig_row(e, x->area, x->track, x->metric, x->sub, t);
            if (!r)
                return 0;
            bool money = m->field != PCS_F_PAID && m->field != PCS_F_ACTIVE;
            r->current = (double)vc / (money ? 100.0 : 1.0);
            r->comparison = (double)vb / (money ? 100.0 : 1.0);
            r->effect = r->current - r->comparison;
            r->status = r->effect > 0 ? 0 : r->effect < 0 ? 1 : 2;
        }
    }
    (void)first_row;
    *prereq = NULL;
    double units;
    if (m->percent) {
        if (base <= 0)
            *prereq = "baseline_not_positive";
        else if (m->has_min_current && cur < m->min_current)
            *prereq = "min_current";
        else if (m->has_min_baseline && base < m->min_baseline)
            *prereq = "min_baseline";
        units = *prereq ? 0 : ((double)pcs_sat_sub(cur, base) * 100.0) / (double)base;
    } else {
        units = (double)pcs_sat_sub(cur, base);
    }
    if (*prereq && x->explain) {
        pcs_elig_row_t *r = elig_row(e, x->area, x->track, x->metric, x->sub, -1);
        if (r) {
            bool money = m->field != PCS_F_PAID && m->field != PCS_F_ACTIVE;
            r->status = 1;
            r->prerequisite = *prereq;
            r->current = (double)cur / (money ? 100.0 : 1.0);
            r->comparison = (double)base / (money ? 100.0 : 1.0);
        }
    }
    return units;
}

/* ---- one usage metric (possibly with parts or options) ------------------------------------------ */

static bool money_units(const pcs_metric_t *m)
{
    return m->kind == PCS_K_GROWTH && !m->percent && m->field != PCS_F_PAID && m->field != PCS_F_ACTIVE;
}

static void simple(pcs_engine_t *e, const pcs_metric_t *m, int32_t Md, bool proj, const ctx_t *x,
                   pcs_sub_result_t *out)
{
    double units = 0;
    out->prerequisite_failed = NULL;
    out->name = m->name;
    switch (m->kind) {
    case PCS_K_NET_COUNT:
        units = proj ? net_count(e, m, Md + 1, Md - 11, x) : net_count(e, m, Md, Md - 12, x);
        break;
    case PCS_K_DISTINCT:
        units = distinct(e, m, Md, x);
        break;
    case PCS_K_GROWTH:
        units = growth(e, m, Md, x, &out->prerequisite_failed);
        break;
    default:
        break;
    }
    out->points = pcs_points(units, m->max, m->ufm);
    out->units = money_units(m) ? units / 100.0 : units;
}

void pcs_metric_usage(pcs_engine_t *e, int area, int track, int metric, const pcs_metric_t *m, int32_t Md,
                      bool proj, pcs_metric_result_t *out, bool explain)
{
    memset(out, 0, sizeof *out);
    out->applicable = true;
    out->kind = m->kind;
    out->max = m->max;
    out->winner = -1;
    ctx_t x = {area, track, metric, -1, explain};
    if (m->kind != PCS_K_PARTS && m->kind != PCS_K_OPTIONS) {
        pcs_sub_result_t s;
        simple(e, m, Md, proj, &x, &s);
        out->units = s.units;
        out->points = s.points;
        out->prerequisite_failed = s.prerequisite_failed;
        out->money = money_units(m);
        return;
    }
    out->n_subs = m->n_subs;
    double sum = 0;
    for (int i = 0; i < m->n_subs; i++) {
        x.sub = i;
        simple(e, &m->subs[i], Md, proj, &x, &out->subs[i]);
        if (m->kind == PCS_K_PARTS) {
            out->units += out->subs[i].units;
            sum += out->subs[i].points;
        } else if (out->winner < 0 || out->subs[i].points > out->subs[out->winner].points) {
            out->winner = i;
        }
    }
    if (m->kind == PCS_K_PARTS) {
        out->points = sum > m->max ? m->max : sum;
    } else {
        out->points = out->subs[out->winner].points;
        out->units = out->subs[out->winner].units;
        out->prerequisite_failed = out->subs[out->winner].prerequisite_failed;
    }
}

/* ---- cert_steps (§6.5) ------------------------------------------------------------------------------- */

static bool certset_meets(const pcs_certset_t *a, const pcs_certset_t *b)
{
    for (int i = 0; i < PCS_CERT_WORDS; i++)
        if (a->w[i] & b->w[i])
            return true;
    return false;
}

void pcs_metric_skill(pcs_engine_t *e, int area, int track, int metric, const pcs_metric_t *m,
                      pcs_metric_result_t *out, bool explain)
{
    memset(out, 0, sizeof *out);
    out->applicable = true;
    out->kind = m->kind;
    out->max = m->max;
    out->winner = -1;
    int count[32];
    uint32_t sat = 0;
    for (int s = 0; s < m->n_steps; s++) {
        count[s] = 0;
        for (int p = 0; p < e->n_persons; p++)
            count[s] += certset_meets(&e->pv[p], &m->steps[s].certs);
        if (count[s] >= m->steps[s].min_people)
            sat |= 1u << s;
    }
    double pts = 0;
    for (int s = 0; s < m->n_steps; s++) {
        const pcs_step_t *st = &m->steps[s];
        bool req = (st->requires & ~sat) == 0;
        if (st->award == PCS_AW_FLAT && (sat >> s & 1) && req)
            pts += st->flat;
        else if (st->award == PCS_AW_PER_PERSON && req) {
            pts += ((double)count[s] * st->num) / st->den;
            out->units = count[s];
        }
        if (!explain)
            continue;
        for (int p = 0; p < e->n_persons; p++) {
            pcs_certset_t held = {{0}};
            for (int i = 0; i < e->n_certs; i++) {
                int c = e->certs[i].cert;
                if (e->certs[i].person == p && (st->certs.w[c / 64] >> (c % 64) & 1))
                    held.w[c / 64] |= 1ull << (c % 64);
            }
            bool any = false;
            for (int i = 0; i < PCS_CERT_WORDS; i++)
                any = any || held.w[i];
            if (!any || GROW(e, e->skill, e->cap_skill, e->n_skill + 1) < 0)
                continue;
            pcs_skill_row_t *r = &e->skill[e->n_skill++];
            memset(r, 0, sizeof *r);
            r->area = area;
            r->track = track;
            r->metric = metric;
            r->step = s;
            r->person = p;
            for (int i = 0; i < PCS_CERT_WORDS; i++)
                r->counted_certs.w[i] = e->pv[p].w[i] & st->certs.w[i];
            r->counted = certset_meets(&e->pv[p], &st->certs);
        }
    }
    out->points = pts > m->max ? m->max : pts;
}
