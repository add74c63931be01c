/* Engine internals, layer 0: the engine's state (struct pcs_engine: facts, aggregates, scratch,
 * results) and its append primitives (pcs_state.c). Not part of the public API.
 *
 * The engine is layered; each layer includes and calls only the layers below it:
 *   0  pcs_engine_int.h / pcs_state.c  state, pcs_grow, pcs_push_item, pcs_points, pcs_round2
 *   1  pcs_facts.h / pcs_facts.c       crediting, monthly cells, coverage, validity
 *   2  pcs_metrics.h / pcs_metrics.c   metric kinds (reads cells through layer 1)
 *   3  pcs_area.h / pcs_area.c         tracks, status, history, events
 *   4  pcs_engine.h / pcs_engine.c     public API: facts in, pcs_engine_score, results out
 * This header declares nothing of layers 1-4. */
#ifndef PCS_ENGINE_INT_H
#define PCS_ENGINE_INT_H

#include "pcs_engine.h"
#include "pcs_sat.h"
#include "pcs_strmap.h"

#define EPS 1e-9

typedef struct tenant {
    const char *id;
    int customer;
    int first_row, n_rows;       /* rows sorted by (tenant, workload, month) */
    int first_assoc, n_assoc;    /* associations sorted by tenant */
} tenant_t;

typedef struct customer {
    const char *id;
    bool all_smb;
} customer_t;

typedef struct assoc {
    int tenant;
    int wl;                      /* global workload id */
    uint16_t type_bit;
    int32_t start, end;
} assoc_t;

typedef struct row {
    int tenant, wl;
    int32_t month;
    int64_t acr, rev, paid, active;
    uint64_t credit, credit_next;   /* credit bit per scope at the row's month / projected M+1 */
} row_t;

typedef struct certrec {
    int person, cert;
    int32_t earned, last;        /* valid on [earned, last] (§3), last PCS_DAY_NONE = open */
} certrec_t;

typedef struct enroll {
    int area;
    int32_t enrolled, anniversary;
} enroll_t;

typedef struct stored {
    int area;
    int32_t as_of;
    double total;
    bool qualified;
    int track;
} stored_t;

typedef struct workload {
    const char *name;
    uint64_t wsets;              /* membership bit per workload set */
    int64_t rate;                /* cents per active unit, -1 none */
    bool any, pattern;           /* "*" or a family prefix pattern (associations only) */
    int prefix_len;
} workload_t;

typedef struct cell {
    int64_t f[5];                /* acr, revenue, mcv, paid, active (pcs_field_t order) */
    int64_t max_paid;
    uint32_t n, bands;
} cell_t;

/* Per (tenant, person) validity at one day: the catalogue entries valid then. */
typedef struct override {
    int person, cert;
} override_t;

typedef struct usage_key {
    bool valid;
    pcs_track_result_t tr;
} usage_cache_t;

#define HIST_MONTHS 6

/* A track classification (§7) of one area and data month: -1 both tracks. */
typedef struct class_cache {
    bool valid;
    int only;
} class_cache_t;

/* The skilling metrics of one area (pcs_area.c) in tr[track].m, worked out at day for the tracks in
 * has[]; they hold at any day at which every record of a certification in used is valid as at day. */
typedef struct skill_cache {
    bool valid;
    int32_t day;
    pcs_certset_t used;
    bool has[PCS_TRACK_N];
    pcs_track_result_t tr[PCS_TRACK_N];
} skill_cache_t;

/* What a memo of one score is of: the predicates ps[0..n) on scope (pcs_metrics.c). */
typedef struct preds_key {
    const pcs_pred_t *ps;
    int n, scope;
} preds_key_t;

/* The months a list of predicates holds on one scope for every tenant (pcs_metrics.c): the mask of
 * tenant t is masks[first + t], bit i for month slot_lo + i; count[i] tenants have bit i. */
typedef struct holds_memo {
    preds_key_t key;
    int first;
    int count[64];
} holds_memo_t;

/* The qualifying rows of a unit tenant_workload metric's predicates on one scope (pcs_metrics.c, its
 * q_workloads) for every tenant and built month: tenant t's count of month slot_lo + i is
 * counts[first + t * n_slots + i], the sum over the tenants counts[first + n_tenants * n_slots + i]. */
typedef struct workloads_memo {
    preds_key_t key;
    int first;
} workloads_memo_t;

struct pcs_engine {
    const pcs_rules_t *r;
    /* workloads: engine lifetime */
    pcs_strmap_t *wl_map;
    workload_t *wl;
    int n_wl, cap_wl;
    /* the workload and tenant found last: usage comes a tenant and a workload at a time, so most
     * lookups name the one before (checked by content; valid while below n_wl / n_tenants) */
    int last_wl, last_tenant;
    /* per-partner facts */
    pcs_strmap_t *strs;          /* tenants, customers, persons: separate maps below */
    pcs_strmap_t *tenant_map, *customer_map, *person_map;
    char partner_id[256];
    tenant_t *tenants;
    int n_tenants, cap_tenants;
    customer_t *customers;
    int n_customers, cap_customers;
    bool *tenant_listed;
    int cap_tenant_listed;
    assoc_t *assocs;
    int n_assocs, cap_assocs;
    row_t *rows;
    int n_rows, cap_rows;
    certrec_t *certs;
    int n_certs, cap_certs;
    const char **persons;
    int n_persons, cap_persons;
    enroll_t *enrolls;
    int n_enrolls, cap_enrolls;
    stored_t *stored;
    int n_stored, cap_stored;
    char **warnings;
    int n_warnings, cap_warnings, dropped_warnings;
    struct pcs_arena *warn_arena;
    const char **tenant_ids, **customer_of_tenant;
    int cap_tenant_ids, cap_customer_of_tenant;
    /* scoring state */
    int32_t D, M, slot_lo, n_slots;
    int32_t *month_first, *month_last;
    int cap_month_first, cap_month_last;
    int *block_of;               /* (scope * n_tenants + tenant) -> cell block or -1 */
    int cap_block_of;
    cell_t *cells;
    int n_blocks, cap_blocks;
    int *wl_local;               /* global workload -> local index or -1 */
    int cap_wl_local;
    int *local_wl;               /* local index -> global workload */
    int n_local, cap_local;
    int64_t *wl_acr;             /* [wl_scope][local][slot] credited ACR */
    size_t cap_wl_acr;
    unsigned char *marks;        /* scratch flags (track classification) */
    int cap_marks;
    pcs_certset_t *pv;           /* person -> certs valid at the day being evaluated */
    int cap_pv;
    int32_t pv_day;
    const override_t *pv_ovr;
    int pv_n_ovr;
    usage_cache_t cache[PCS_AREA_N][PCS_TRACK_N][HIST_MONTHS];
    class_cache_t classes[PCS_AREA_N][HIST_MONTHS];
    skill_cache_t skills[PCS_AREA_N];
    holds_memo_t *holds;         /* one score's predicate masks, in the order first asked */
    int n_holds, cap_holds;
    uint64_t *masks;
    int n_masks, cap_masks;
    workloads_memo_t *wlq;       /* one score's workload counts, in the order first asked */
    int n_wlq, cap_wlq;
    int *counts;
    int n_counts, cap_counts;
    /* results */
    pcs_result_t res;
    pcs_event_t *events;
    int n_events, cap_events;
    pcs_event_item_t *items;
    int n_items, cap_items;
    pcs_elig_row_t *elig;
    int n_elig, cap_elig;
    pcs_skill_row_t *skill;
    int n_skill, cap_skill;
    bool oom;
    bool explain;
};

/* Layer 0 primitives (pcs_state.c), callable from every layer. */
/* Grows *p to hold at least need elements; sets e->oom and returns -1 on failure. */
int pcs_grow(pcs_engine_t *e, void *pp, int *cap, int need, size_t elem);
#define GROW(e, arr, cap, need) pcs_grow((e), &(arr), &(cap), (need), sizeof *(arr))

/* Appends one event payload item to the results; -1 (and e->oom) when out of memory. */
int pcs_push_item(pcs_engine_t *e, pcs_event_item_t item);

#endif
