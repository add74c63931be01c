/* pcs_engine: the scoring engine (scoring.md). Pure computation, no I/O.
 *
 * One engine scores one partner at a time and is reused for the next: pcs_engine_begin(),
 * pcs_engine_add_*() for each fact (in any order, straight from a stream), then
 * pcs_engine_score(). Memory grows to the largest partner seen and is reused, so a scorer can
 * stream millions of rows without a per-row allocation. The result belongs to the engine and
 * stays valid until the next pcs_engine_begin(). Not thread-safe; use one engine per thread
 * (they may share one pcs_rules_t).
 *
 * add functions return 0, or PCS_EINVAL with err filled (unknown area, value out of range,
 * PCS_ENOMEM). Soft problems (§1.1 normalisation) become result warnings instead. */
#ifndef PCS_ENGINE_H
#define PCS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "pcs_err.h"
#include "pcs_rules.h"

typedef struct pcs_engine pcs_engine_t;

/* statuses, events, severities: pcs_vocab.h (through pcs_rules.h) */

#define PCS_SUB_MAX 8

typedef struct pcs_sub_result {
    const char *name;
    double units, points;
    const char *prerequisite_failed;   /* growth in percent mode, or NULL */
} pcs_sub_result_t;

typedef struct pcs_metric_result {
    bool applicable;
    pcs_kind_t kind;
    double max, units, points;
    const char *prerequisite_failed;
    bool money;                 /* units are cents (printed as USD) */
    int n_subs, winner;         /* parts / options; winner = winning option or -1 */
    pcs_sub_result_t subs[PCS_SUB_MAX];
} pcs_metric_result_t;

typedef struct pcs_track_result {
    bool evaluated;
    double total;
    bool qualified;
    pcs_metric_result_t m[PCS_METRIC_N];
} pcs_track_result_t;

typedef struct pcs_history_row {
    int32_t month;              /* data month */
    int32_t as_of;
    double total;
    int track;
    bool qualified;             /* any record of that calendar month qualified */
} pcs_history_row_t;

/* Why a tenant's net-customer-adds effect drops in the projection (nca_at_risk). */
typedef enum { PCS_NCA_ENTERS_COMPARISON, PCS_NCA_LEAVES_CURRENT } pcs_nca_reason_t;

/* One payload item of an event; which member is set follows the event type:
 * certs_expiring_combined -> cert, nca_at_risk -> tenant, metric_zero_blocking -> metric. */
typedef struct pcs_event_item {
    union {
        struct {
            int person, cert;
            int32_t last_valid_day;
            int days_left;
        } cert;
        struct {
            int tenant;
            pcs_nca_reason_t reason;
            double effect_now, effect_projected;
        } tenant;
        struct {
            int metric;
            double units, units_needed;   /* units_needed < 0: no fixed number of units closes it */
        } metric;
    };
} pcs_event_item_t;

typedef struct pcs_event {
    pcs_event_type_t type;
    int area, track;
    pcs_severity_t severity;
    char dedup_key[768];
    int person, cert;           /* cert_expiring */
    int32_t day;                /* last_valid_day / anniversary */
    int days_left, threshold, metric;
    double units_now, points_now, units_after, points_after;
    double total_before, total_after;
    bool becomes_unqualified;
    int other_track;
    int first_item, n_items;
} pcs_event_t;

typedef struct pcs_elig_row {
    int area, track, metric, sub;     /* sub: part/option index or -1 */
    int tenant;                       /* -1: partner-wide prerequisite row */
    int status;                       /* 0 met, 1 not_met, 2 no_effect */
    double effect, current, comparison;
    bool excluded_already_deployed;
    const char *prerequisite;         /* partner-wide rows */
} pcs_elig_row_t;

typedef struct pcs_skill_row {
    int area, track, metric, step, person;
    pcs_certset_t counted_certs;
    bool counted;
} pcs_skill_row_t;

typedef struct pcs_area_result {
    int area;
    bool scored;
    int selected;                      /* track index */
    pcs_track_result_t tracks[PCS_TRACK_N];
    double total;
    bool qualified_now;
    pcs_status_t status;
    int32_t window_start, window_end;
    bool qualified_in_window, has_enrollment, can_renew, auto_enroll_eligible;
    int32_t anniversary;
    pcs_history_row_t history[6];
    int first_event, n_events;
    int first_elig, n_elig, first_skill, n_skill;
} pcs_area_result_t;

typedef struct pcs_result {
    const char *partner_id;
    const char *rules;
    int32_t as_of, data_month;
    pcs_area_result_t areas[PCS_AREA_N];
    const pcs_event_t *events;
    const pcs_event_item_t *items;
    const pcs_elig_row_t *elig;
    const pcs_skill_row_t *skill;
    int n_events, n_items, n_elig, n_skill;
    const char *const *warnings;
    int n_warnings;
    /* names for the indices used above */
    const char *const *tenant_ids;
    const char *const *customer_of_tenant;
    const char *const *person_ids;
} pcs_result_t;

typedef struct pcs_score_opts {
    unsigned area_mask;         /* bit a = score area a; 0 = all */
    bool explain;               /* eligibility and skilling rows (§12) */
    bool no_history;            /* skip status window and history from input (scorer with stored rows) */
} pcs_score_opts_t;

pcs_engine_t *pcs_engine_new(const pcs_rules_t *rules);
void pcs_engine_destroy(pcs_engine_t **pe);
const pcs_rules_t *pcs_engine_rules(const pcs_engine_t *e);

/* Starts a new partner; forgets the previous one's facts and result. */
int pcs_engine_begin(pcs_engine_t *e, const char *partner_id, pcs_err_t *err);

/* segment_smb: the entry's segment is "smb" (otherwise enterprise). customer NULL = tenant. */
int pcs_engine_add_customer(pcs_engine_t *e, const char *tenant, const char *customer, bool segment_smb,
                            pcs_err_t *err);
/* workload: "*", an exact id or a "family/ *" pattern (no space). end PCS_DAY_NONE = open. */
int pcs_engine_add_association(pcs_engine_t *e, const char *tenant, pcs_assoc_type_t type,
                               const char *workload, int32_t start, int32_t end, pcs_err_t *err);
/* Amounts in USD (converted to cents, §17.1), unit counts normalised (§1.1.2). */
int pcs_engine_add_usage(pcs_engine_t *e, const char *tenant, const char *workload, int32_t month,
                         double acr_usd, double revenue_usd, double paid_units, double active_units,
                         pcs_err_t *err);
/* pcs_engine_add_usage(e, tenant, workload, month, acr_cents / 100.0, revenue_cents / 100.0, paid_units,
 * active_units), the tenant's and the workload's ids kept by the caller: *tenant_id and *wl_id
 * are looked up where pcs_engine_add_usage looks them up (after the checks) when negative, and kept
 * (the caller sets them to -1 for another tenant or workload, and for another partner). A tenant's
 * packed usage (pcs_usage.h) adds every entry of a workload with one lookup. The same row, warnings
 * and errors for every value. */
int pcs_engine_add_usage_ids(pcs_engine_t *e, const char *tenant, const char *workload, int *tenant_id,
                             int *wl_id, int32_t month, int64_t acr_cents, int64_t revenue_cents,
                             int64_t paid_units, int64_t active_units, pcs_err_t *err);
/* cert: catalogue id, name or alias; unknown names are ignored with a warning (§17.11).
 * expires PCS_DAY_NONE = never. */
int pcs_engine_add_cert(pcs_engine_t *e, const char *person, const char *cert, int32_t earned,
                        int32_t expires, pcs_err_t *err);
int pcs_engine_add_person(pcs_engine_t *e, const char *person, pcs_err_t *err);
int pcs_engine_add_enrollment(pcs_engine_t *e, int area, int32_t enrolled, int32_t anniversary, pcs_err_t *err);
/* A stored score record (§11): used for status windows and history instead of recomputing. */
int pcs_engine_add_stored(pcs_engine_t *e, int area, int32_t as_of, double total, bool qualified, int track,
                          pcs_err_t *err);
/* Adds a warning to the result (the caller's own normalisation messages). */
void pcs_engine_warn(pcs_engine_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Scores the partner as of day as_of. Returns the result, or NULL when out of memory. */
const pcs_result_t *pcs_engine_score(pcs_engine_t *e, int32_t as_of, const pcs_score_opts_t *opts);

/* Helpers shared with the output code. */
double pcs_round2(double x);
/* §5 points formula. */
double pcs_points(double units, double max, double units_for_max);

#endif
