/* pcs_facts: layer 1 of the engine (see pcs_engine_int.h): crediting (§4), the credited monthly
 * cells and per-workload ACR, association coverage, per-person certification validity (§3).
 * May call layer 0 only (pcs_engine_int.h: pcs_grow); knows nothing of metrics, areas or the API.
 * Not part of the public API. */
#ifndef PCS_FACTS_H
#define PCS_FACTS_H

#include "pcs_date.h"
#include "pcs_engine_int.h"

/* Builds the aggregates for data months slot_lo..M (and the M+1 projection slot) from the
 * normalised rows; e->M must be set. 0, or -1 with e->oom set. */
int pcs_facts_aggregate(pcs_engine_t *e, int32_t oldest_eval_month);
/* The index of (tenant, scope) in e->block_of: scope-major, so that a metric's loop over the
 * tenants of one scope reads consecutive entries. */
static inline int pcs_block_index(const pcs_engine_t *e, int tenant, int scope)
{
    return scope * e->n_tenants + tenant;
}
/* The cells of (tenant, scope) indexed by slot (month - e->slot_lo), or NULL when it has none: for a
 * loop over months, which pcs_cell would find the block for again at every month (the reload was
 * most of the time of the metrics' month loops under perf). */
static inline const cell_t *pcs_cell_row(const pcs_engine_t *e, int tenant, int scope)
{
    int b = e->block_of[pcs_block_index(e, tenant, scope)];
    return b < 0 ? NULL : &e->cells[(size_t)b * (size_t)e->n_slots];
}
/* The credited cell of (tenant, scope, month); a zero cell outside the built months. Inline: the
 * metrics read cells in loops over tenants and months (a third of a refresh's scoring time went
 * to the call itself). */
extern const cell_t pcs_zero_cell;
static inline const cell_t *pcs_cell(const pcs_engine_t *e, int tenant, int scope, int32_t month)
{
    int32_t slot = month - e->slot_lo;
    if (slot < 0 || slot >= e->n_slots)
        return &pcs_zero_cell;
    const cell_t *row = pcs_cell_row(e, tenant, scope);
    return row ? &row[slot] : &pcs_zero_cell;
}
/* The built slots of months lo..hi: *first..*last, empty when *first > *last (the months outside
 * have pcs_cell's zero cell). */
static inline void pcs_slot_span(const pcs_engine_t *e, int32_t lo, int32_t hi, int32_t *first, int32_t *last)
{
    *first = lo - e->slot_lo < 0 ? 0 : lo - e->slot_lo;
    *last = hi - e->slot_lo >= e->n_slots ? e->n_slots - 1 : hi - e->slot_lo;
}
/* Whether association a covers workload wl in some day of [month_first, month_last]. */
bool pcs_cover(const pcs_engine_t *e, const assoc_t *a, int wl, int32_t month_first, int32_t month_last);
/* Whether the record c is valid at day (§3). */
static inline bool pcs_cert_valid_on(const certrec_t *c, int32_t day)
{
    return c->earned <= day && (c->last == PCS_DAY_NONE || c->last >= day);
}
/* Fills e->pv with each person's certifications valid at day, less the overrides ovr[0..n_ovr). */
void pcs_persons_valid_at(pcs_engine_t *e, int32_t day, const override_t *ovr, int n_ovr);

#endif
