/* pcs_insight: the computed answers about one partner (Partner Center's Insights questions), as
 * JSON documents: eligibility, skilling, simulate, recommend, forecast. The `pcs` CLI prints them
 * (--json byte for byte) and pcs-api serves them, so both answer the same.
 *
 * An insight is opened on a partner's facts as of one day: from the database (the facts and the
 * stored snapshots the scorer would feed the engine, so a computed score equals the stored one of
 * that day) or from a partner document (offline). Each call scores with the same engine.
 *
 * Ownership: pcs_insight_t owns its engine and a copy of the facts; it borrows rules (which must
 * outlive it) and the store (only during open). Every json_t * returned is a new reference.
 * Errors: NULL (or a negative PCS_E* code) with err filled: PCS_ENOTFOUND (unknown partner,
 * customer, person), PCS_EINVAL (bad change: unknown certification, bad date, bad fragment),
 * PCS_EIO (database), PCS_ENOMEM. Not thread-safe. */
#ifndef PCS_INSIGHT_H
#define PCS_INSIGHT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcs_err.h"
#include "pcs_rules.h"
#include "pcs_store.h"

typedef struct pcs_insight pcs_insight_t;

/* The result document of a partner as of day, as `pcs show --json` prints it and pcs-api serves it:
 * the stored one of that day byte for byte when there is one (*stored = true), else computed from the
 * facts and the stored snapshots (as the scorer would) and dumped with PCS_JSON_DUMP_FLAGS
 * (*stored = false). *text is malloc()ed. PCS_ENOTFOUND for an unknown partner. */
int pcs_insight_result(pcs_store_t *s, const pcs_rules_t *rules, const char *partner, int32_t day, char **text,
                       bool *stored, pcs_err_t *err);

/* The partner's facts and stored snapshots of rules->name as of day; area -1 = all areas. */
pcs_insight_t *pcs_insight_open(pcs_store_t *s, const pcs_rules_t *rules, const char *partner, int32_t day, int area,
                                pcs_err_t *err);
/* The same on a partner document (copied); no stored snapshots. */
pcs_insight_t *pcs_insight_from_doc(const pcs_rules_t *rules, const json_t *doc, int32_t day, int area,
                                    pcs_err_t *err);
void pcs_insight_destroy(pcs_insight_t **pi);

int32_t pcs_insight_day(const pcs_insight_t *in);
/* The partner document (borrowed). */
json_t *pcs_insight_doc(const pcs_insight_t *in);

/* The result document (interfaces.md §2) of doc (NULL: the partner's facts) as of day, with the
 * §12 eligibility and skilling rows when explain. */
json_t *pcs_insight_score(pcs_insight_t *in, const json_t *doc, int32_t day, bool explain, pcs_err_t *err);

/* {"partner_id", "as_of", "summary": [{area, track, metric, positive, negative, no_effect}],
 *  "rows": [the §12 rows, each with "customer_name" when known]}; customer (id, tenant id or name,
 *  NULL = all) that the partner does not have: PCS_ENOTFOUND. */
json_t *pcs_insight_eligibility(pcs_insight_t *in, const char *customer, pcs_err_t *err);

/* [{area, track, metric, units, points, max, "steps": [{step, required, certifications[names],
 *   valid, counted}], "missing": text or absent, "people": [§12 row + "certifications" of the
 *   person]}] per applicable skilling metric of each area's selected track. */
json_t *pcs_insight_skilling(pcs_insight_t *in, pcs_err_t *err);

/* Applies changes {"add_certs": [{"person_id", "certification", "earned"?}], "remove_certs":
 * [{"person_id", "certification"}], "add_customers": [fragment {customers, associations, usage}]}
 * (interfaces.md §5) to doc in place, as of day. Certifications are catalogue ids, names or aliases
 * (PCS_EINVAL when unknown to rules); a removed person must exist (PCS_ENOTFOUND). */
int pcs_insight_apply_changes(const pcs_rules_t *rules, json_t *doc, const json_t *changes, int32_t day, pcs_err_t *err);

/* {"current": R1, "simulated": R2}: the facts and the facts with changes, as of the insight's day. */
json_t *pcs_insight_simulate(pcs_insight_t *in, const json_t *changes, pcs_err_t *err);

/* {"partner_id", "as_of", "actions": [{kind: "renew" | "certify", action (words), certification,
 *   certification_name, people, person_id?, deadline?, days_left?, points, effects[{area,
 *   score_before, score_after, qualified_before, qualifies}]}], ranked by effect and urgency,
 *  "at_risk": [the result's §13 events, each with "text" in words]} */
json_t *pcs_insight_recommend(pcs_insight_t *in, pcs_err_t *err);

/* [{date, area, track, score, qualified, status, "reason"?}]: a row when a score changes between the
 * insight's day and until (no new data: usage carried forward; certifications expire; anniversaries
 * come). The first day's rows equal pcs_insight_score of that day. */
json_t *pcs_insight_forecast(pcs_insight_t *in, int32_t until, pcs_err_t *err);

/* One §13 event in words ("Ann Lee's Azure Administrator Associate ends 2026-12-01 (25 days): Data &
 * AI 92.00 -> 60.00, no longer qualified"). Returns a new string. */
char *pcs_insight_event_text(const pcs_rules_t *rules, const json_t *event);

#endif
