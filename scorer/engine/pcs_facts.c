/* pcs_facts: crediting (§4), the monthly aggregates every metric reads and per-person
 * certification validity (§3) (layer 1, see pcs_facts.h). Calls only layer 0 (pcs_state.c). */
#include "pcs_facts.h"

#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"

/* ---- crediting and aggregates ------------------------------------------------------------------ */

bool pcs_cover(const pcs_engine_t *e, const assoc_t *a, int wl, int32_t month_first, int32_t month_last)
{
    if (a->start > month_last || (a->end != PCS_DAY_NONE && a->end < month_first))
        return false;
    if (a->wl == wl)
        return true;
    const workload_t *aw = &e->wl[a->wl];
    return aw->any || (aw->pattern && strncmp(e->wl[wl].name, aw->name, (size_t)aw->prefix_len) == 0);
}

static uint64_t credit_mask(const pcs_engine_t *e, int wl, uint16_t types)
{
    uint64_t mask = 0, wsets = e->wl[wl].wsets;
    for (int s = 0; s < e->r->n_scopes; s++) {
        const pcs_scope_t *sc = &e->r->scopes[s];
        for (int k = 0; k < sc->n; k++) {
            if ((wsets >> sc->src[k].wset & 1) && (types & sc->src[k].types)) {
                mask |= 1ull << s;
                break;
            }
        }
    }
    return mask;
}

/* The last credit_mask worked out: rows come sorted by (tenant, workload, month), so the rows of one
 * workload mostly meet the same association types, and credit_mask loops over every source of every
 * scope (asked for every row, it was a quarter of the aggregation's instructions under callgrind). */
typedef struct {
    int wl;
    uint16_t types;
    uint64_t mask;
} credit_memo_t;

static uint64_t credit_mask_memo(const pcs_engine_t *e, credit_memo_t *memo, int wl, uint16_t types)
{
    if (memo->wl != wl || memo->types != types)
        *memo = (credit_memo_t){.wl = wl, .types = types, .mask = credit_mask(e, wl, types)};
    return memo->mask;
}

static int slot_of(const pcs_engine_t *e, int32_t month)
{
    int32_t s = month - e->slot_lo;
    return s >= 0 && s < e->n_slots ? (int)s : -1;
}

static cell_t *cell_for(pcs_engine_t *e, int tenant, int scope, int slot)
{
    int *b = &e->block_of[pcs_block_index(e, tenant, scope)];
    if (*b < 0) {
        if (GROW(e, e->cells, e->cap_blocks, (e->n_blocks + 1) * e->n_slots) < 0)
            return NULL;
        *b = e->n_blocks++;
        memset(&e->cells[(size_t)*b * (size_t)e->n_slots], 0, sizeof(cell_t) * (size_t)e->n_slots);
    }
    return &e->cells[(size_t)*b * (size_t)e->n_slots + (size_t)slot];
}

const cell_t pcs_zero_cell;

static void add_to_cell(pcs_engine_t *e, const row_t *r, uint64_t mask, int slot)
{
    const pcs_rules_t *R = e->r;
    const workload_t *w = &e->wl[r->wl];
    int64_t mcv = w->rate >= 0 ? pcs_sat_mul(r->active, w->rate) : 0;
    uint32_t bands = 0;
    for (int b = 0; b < R->n_bands; b++)
        if (r->paid >= R->band_lo[b] && (R->band_open[b] || r->paid <= R->band_hi[b]))
            bands |= 1u << b;
    while (mask) {
        int s = __builtin_ctzll(mask);
        mask &= mask - 1;
        cell_t *c = cell_for(e, r->tenant, s, slot);
        if (!c)
            return;
        c->f[PCS_F_ACR] = pcs_sat_add(c->f[PCS_F_ACR], r->acr);
        c->f[PCS_F_REVENUE] = pcs_sat_add(c->f[PCS_F_REVENUE], r->rev);
        c->f[PCS_F_MCV] = pcs_sat_add(c->f[PCS_F_MCV], mcv);
        c->f[PCS_F_PAID] = pcs_sat_add(c->f[PCS_F_PAID], r->paid);
        c->f[PCS_F_ACTIVE] = pcs_sat_add(c->f[PCS_F_ACTIVE], r->active);
        if (r->paid > c->max_paid)
            c->max_paid = r->paid;
        c->n++;
        c->bands |= bands;
        const pcs_scope_t *sc = &R->scopes[s];
        if (sc->per_workload && slot < e->n_slots - 1) {
            size_t i = ((size_t)sc->wl_slot * (size_t)e->n_local + (size_t)e->wl_local[r->wl]) * (size_t)e->n_slots;
            e->wl_acr[i + (size_t)slot] = pcs_sat_add(e->wl_acr[i + (size_t)slot], r->acr);
        }
    }
}

/* Builds the aggregates for data months slot_lo..M (and the M+1 projection slot). */
int pcs_facts_aggregate(pcs_engine_t *e, int32_t oldest_eval_month)
{
    const pcs_rules_t *R = e->r;
    /* The oldest month any metric reads: comparison p-12, sticky p-12 again, a TTM before it. */
    e->slot_lo = oldest_eval_month - 12 - 12 - 11 - 1;
    e->n_slots = (int)(e->M + 1 - e->slot_lo + 1);
    if (GROW(e, e->month_first, e->cap_month_first, e->n_slots) < 0 ||
        GROW(e, e->month_last, e->cap_month_last, e->n_slots) < 0)
        return -1;
    for (int s = 0; s < e->n_slots; s++) {
        e->month_first[s] = pcs_month_first_day(e->slot_lo + s);
        e->month_last[s] = pcs_month_last_day(e->slot_lo + s);
    }
    int nb = e->n_tenants * R->n_scopes;
    if (GROW(e, e->block_of, e->cap_block_of, nb + 1) < 0)
        return -1;
    for (int i = 0; i < nb; i++)
        e->block_of[i] = -1;
    e->n_blocks = 0;
    size_t nwl = (size_t)R->n_wl_scopes * (size_t)e->n_local * (size_t)e->n_slots;
    if (nwl > e->cap_wl_acr) {
        int64_t *n = realloc(e->wl_acr, nwl * sizeof *n);
        if (!n) {
            e->oom = true;
            return -1;
        }
        e->wl_acr = n;
        e->cap_wl_acr = nwl;
    }
    if (nwl)
        memset(e->wl_acr, 0, nwl * sizeof *e->wl_acr);

    const int32_t next_first = pcs_month_first_day(e->M + 1);
    credit_memo_t memo = {.wl = -1};
    for (int t = 0; t < e->n_tenants; t++) {
        const tenant_t *tn = &e->tenants[t];
        const assoc_t *as = &e->assocs[tn->first_assoc];
        for (int i = tn->first_row; i < tn->first_row + tn->n_rows; i++) {
            row_t *r = &e->rows[i];
            r->credit = r->credit_next = 0;
            int slot = slot_of(e, r->month);
            if (slot < 0 || r->month > e->M)
                continue;   /* never read month(D) or later (§2) */
            uint16_t types = 0, types_next = 0;
            for (int k = 0; k < tn->n_assoc; k++) {
                if (pcs_cover(e, &as[k], r->wl, e->month_first[slot], e->month_last[slot])) {
                    types |= as[k].type_bit;
                    if (as[k].end == PCS_DAY_NONE || as[k].end >= next_first)
                        types_next |= as[k].type_bit;
                }
            }
            if (!types)
                continue;
            r->credit = credit_mask_memo(e, &memo, r->wl, types);
            add_to_cell(e, r, r->credit, slot);
            if (r->month == e->M) {
                r->credit_next = credit_mask_memo(e, &memo, r->wl, types_next);
                add_to_cell(e, r, r->credit_next, slot + 1);
            }
        }
    }
    return e->oom ? -1 : 0;
}

/* ---- certification validity (§3) -------------------------------------------------------------- */

void pcs_persons_valid_at(pcs_engine_t *e, int32_t day, const override_t *ovr, int n_ovr)
{
    if (GROW(e, e->pv, e->cap_pv, e->n_persons + 1) < 0)
        return;
    memset(e->pv, 0, sizeof *e->pv * (size_t)e->n_persons);
    for (int i = 0; i < e->n_certs; i++) {
        const certrec_t *c = &e->certs[i];
        if (!pcs_cert_valid_on(c, day))
            continue;
        bool removed = false;
        for (int k = 0; k < n_ovr && !removed; k++)
            removed = ovr[k].person == c->person && ovr[k].cert == c->cert;
        if (!removed)
            e->pv[c->person].w[c->cert / 64] |= 1ull << (c->cert % 64);
    }
    e->pv_day = day;
}
