/* pcs_words: what people read instead of ids. Partner Center's names of the areas and metrics, the
 * unit of each metric (or part of one) in a rule set, and numbers written with their unit. Ids stay
 * in JSON and CSV; tables, workbooks and sentences use these.
 *
 * Every function returns a static string or writes into the caller's buffer (returned); none
 * allocates and none fails (an unknown id is returned as it is). */
#ifndef PCS_WORDS_H
#define PCS_WORDS_H

#include <stddef.h>

#include "pcs_rules.h"

/* "Data & AI", ... for an area id; "Net customer adds", ... for a metric id; "Enterprise" / "SMB". */
const char *pcs_words_area(const char *area_id);
const char *pcs_words_metric(const char *metric_id);
const char *pcs_words_track(const char *track_id);
/* "Qualified", "In progress", "Not started", "Enrolled", "Renewal due". */
const char *pcs_words_status(const char *status_id);

/* The unit of a metric's `value` in rule set r, area and track ids, metric id, and the part or
 * option name (NULL: the metric itself): "customers", "customer workloads", "workloads", "people",
 * "%", "USD", "seats", "users"; "" when the parts have different units (show the parts). */
const char *pcs_words_unit(const pcs_rules_t *r, const char *area, const char *track, const char *metric,
                           const char *part);

/* The unit of the values an eligibility row (scoring.md §12) compares for that metric or part: what
 * the rule measures per tenant (USD of ACR, revenue or MCV; seats; users; % for an active ratio;
 * workloads). */
const char *pcs_words_elig_unit(const pcs_rules_t *r, const char *area, const char *track, const char *metric,
                                const char *part);

/* The metric's (or part's) value that earns its full points, in the unit pcs_words_unit names
 * (USD, not cents); 0 when there is none (skilling, or parts with different units). */
double pcs_words_full_at(const pcs_rules_t *r, const char *area, const char *track, const char *metric,
                         const char *part);

/* x with thousands separators and at most `decimals` decimals (trailing zeros dropped):
 * 11100 -> "11,100", 25.6127 (2) -> "25.61". */
char *pcs_words_number(double x, int decimals, char *buf, size_t n);
/* A score or points: always two decimals ("92.00"), as Partner Center shows them. */
char *pcs_words_points(double x, char *buf, size_t n);
/* x with its unit: "USD 11,100", "25.61 %", "3 customers", "1 person". */
char *pcs_words_amount(double x, const char *unit, char *buf, size_t n);

/* A growth prerequisite id of the engine in words ("the baseline year has no usage", ...). */
const char *pcs_words_prerequisite(const char *id);

/* A certification's name in r by id, name or alias; the argument itself when unknown. */
const char *pcs_words_cert(const pcs_rules_t *r, const char *cert);

#endif
