/* pcs_rules: a rule set (scoring.md §6–§10) loaded from JSON and compiled for the engine.
 *
 * A pcs_rules_t is immutable after loading and may be shared by any number of engines.
 * Loading validates everything (unknown keys, types, dangling references) and reports
 * "json.path: reason" with the line and column of the offending value in err. */
#ifndef PCS_RULES_H
#define PCS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcs_err.h"
#include "pcs_vocab.h"   /* areas, tracks, metrics, association types */

typedef enum { PCS_F_ACR, PCS_F_REVENUE, PCS_F_MCV, PCS_F_PAID, PCS_F_ACTIVE } pcs_field_t;
typedef enum {
    PCS_P_MONTH_SUM_ANY2, PCS_P_MONTH_SUM, PCS_P_TTM_RANGE, PCS_P_SEAT_BAND, PCS_P_ACTIVE_RATIO
} pcs_pred_kind_t;
typedef enum { PCS_OP_NONE, PCS_OP_GE, PCS_OP_GT, PCS_OP_LE, PCS_OP_LT } pcs_op_t;

typedef struct pcs_pred {
    pcs_pred_kind_t kind;
    pcs_field_t field;
    pcs_op_t lo_op, hi_op;   /* month sums use lo_op/lo as "op value" */
    int64_t lo, hi;          /* seat_band: inclusive bounds; hi_op NONE = open */
    int64_t pct;             /* active_ratio_min */
    int band;                /* seat_band: bit index in the aggregates */
    const struct pcs_pred *sticky;   /* enterprise counterpart E (§6.1), or NULL */
} pcs_pred_t;

#define PCS_SCOPE_SRC_MAX 8
/* A scope is a list of sources (workload set, association types): the unit of crediting.
 * Identical source lists share one scope; a usage row carries one credit bit per scope. */
typedef struct pcs_scope {
    int n;
    struct { int wset; uint16_t types; } src[PCS_SCOPE_SRC_MAX];
    uint64_t wsets;          /* union of the sources' workload sets (eligible workloads) */
    bool per_workload;       /* needs per-workload aggregates (distinct_workloads) */
    int wl_slot;             /* index among per_workload scopes */
} pcs_scope_t;

typedef enum {
    PCS_K_NET_COUNT, PCS_K_DISTINCT, PCS_K_GROWTH, PCS_K_CERT_STEPS, PCS_K_PARTS, PCS_K_OPTIONS
} pcs_kind_t;
typedef enum { PCS_AW_NONE, PCS_AW_FLAT, PCS_AW_PER_PERSON } pcs_award_t;

#define PCS_CERT_WORDS 4     /* catalogue of up to 256 certifications */
typedef struct { uint64_t w[PCS_CERT_WORDS]; } pcs_certset_t;

typedef struct pcs_step {
    pcs_certset_t certs;
    int min_people;
    pcs_award_t award;
    double flat;
    double num, den;
    uint32_t requires;       /* bit i = step i must be satisfied */
} pcs_step_t;

typedef struct pcs_metric {
    pcs_kind_t kind;
    const char *name;        /* part / option name, or NULL */
    double max, ufm;         /* points cap, units_for_max */
    int scope;               /* -1 for cert_steps / parts / options */
    /* net_count */
    bool unit_tenant_workload;
    const pcs_pred_t *preds;
    int n_preds;
    int already_deployed_pct;   /* -1: no §6.8 exclusion */
    /* distinct_workloads */
    int exclude_wset;           /* -1: none */
    /* growth */
    bool measure_ttm;
    pcs_field_t field;
    bool percent;
    const pcs_pred_t *filter;
    int n_filter;
    bool has_min_current, has_min_baseline;
    int64_t min_current, min_baseline;
    bool pre_association;
    /* cert_steps */
    const pcs_step_t *steps;
    int n_steps;
    /* parts / options */
    const struct pcs_metric *subs;
    int n_subs;
} pcs_metric_t;

typedef enum { PCS_TR_FIXED, PCS_TR_AZURE_MIX, PCS_TR_LARGE_WORKLOADS, PCS_TR_BEST_OF } pcs_track_rule_t;

typedef struct pcs_area_rules {
    pcs_track_rule_t track_rule;
    int fixed_track;
    int scope;                 /* azure_mix / large_workloads */
    int64_t smb_pct;
    pcs_field_t field;
    pcs_op_t op;
    int64_t value;
    int min_workloads;
    bool has_track[PCS_TRACK_N];
    const pcs_metric_t *metrics[PCS_TRACK_N][PCS_METRIC_N];   /* NULL: not applicable */
} pcs_area_rules_t;

typedef struct pcs_cert_entry {
    const char *id, *name;
    int32_t retired_on, eligible_until;   /* PCS_DAY_NONE when absent */
} pcs_cert_entry_t;

typedef struct pcs_wset {
    const char *name;
    int n;
    const char **entries;    /* exact ids or "prefix/" patterns (stored without the '*') */
    const bool *is_prefix;
} pcs_wset_t;

#define PCS_WSET_MAX 64
#define PCS_SCOPE_MAX 64
#define PCS_BAND_MAX 32

typedef struct pcs_rules pcs_rules_t;
struct pcs_rules {
    const char *name;
    int n_certs;
    const pcs_cert_entry_t *certs;
    int n_wsets;
    pcs_wset_t wsets[PCS_WSET_MAX];
    int n_scopes;
    pcs_scope_t scopes[PCS_SCOPE_MAX];
    int n_wl_scopes;           /* scopes with per_workload aggregates */
    int n_bands;
    int64_t band_lo[PCS_BAND_MAX], band_hi[PCS_BAND_MAX];
    bool band_open[PCS_BAND_MAX];
    int n_rates;
    const char **rate_keys;
    const int64_t *rate_cents;
    pcs_area_rules_t areas[PCS_AREA_N];
    /* private */
    struct pcs_arena *arena;
    struct pcs_strmap *cert_names;   /* normalised name / alias / id -> catalogue index */
    struct pcs_strmap *cert_ids;
};


/* Parses and validates a rule set. On error returns NULL and fills err (line/column of the
 * offending value, msg "json.path: reason"). */
pcs_rules_t *pcs_rules_load(const char *text, size_t len, pcs_err_t *err);
void pcs_rules_destroy(pcs_rules_t **pr);

/* Catalogue index of a certification given by id (case-sensitive) or by name / alias
 * (normalised, §1.1.7); -1 when it matches nothing. */
int pcs_rules_find_cert(const pcs_rules_t *r, const char *name);
/* Rate in cents per active unit, or -1 when the workload has no rate. */
int64_t pcs_rules_rate(const pcs_rules_t *r, const char *workload);
/* (pcs_area_index, pcs_assoc_type_index: pcs_vocab.h) */
/* Whether workload id w is in workload set ws. */
bool pcs_wset_contains(const pcs_wset_t *ws, const char *w);
/* Normalises a certification name into buf (§1.1.7); returns buf. */
char *pcs_cert_name_normalise(const char *name, char *buf, size_t size);

/* The rule sets shipped with pcs (newest first), looked up in $PCS_RULES_DIR or the built-in
 * rules directory. */
#define PCS_RULES_SHIPPED_N 2
extern const char *const pcs_rules_shipped[PCS_RULES_SHIPPED_N];
/* The file of a shipped name or a path (containing '/' or ".json"); -1 for anything else. */
int pcs_rules_path(const char *spec, char *path, size_t size);
/* Loads a rule set by shipped name or path; NULL with err (path receives the file tried). */
pcs_rules_t *pcs_rules_open(const char *spec, char *path, size_t size, pcs_err_t *err);

#endif
