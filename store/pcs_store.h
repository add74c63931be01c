/* pcs_store: the read model. The queries every reader of pcs shares (the `pcs` CLI and pcs-api), in
 * one place, parameterised (no SQL text is ever built from data), returning data, never printing.
 *
 * A pcs_store_t owns one libpq connection. It is not thread-safe: use one store per thread.
 *
 * Ownership: every json_t * returned is a new reference the caller json_decref()s; every char *
 * returned is malloc()ed and the caller free()s it. Arguments are borrowed.
 *
 * Errors: functions returning int give 0 or a negative PCS_E* code; functions returning a pointer
 * give NULL on failure. Either way err (may be NULL) is filled:
 *   PCS_ENOTFOUND  the partner, the stored result or the customer asked for does not exist
 *                  (a reader answers 404 / exit 2);
 *   PCS_EINVAL     a bad argument (unknown sort key, area or state);
 *   PCS_EIO        the database failed (message from the server; a reader answers 500 / exit 1);
 *   PCS_ENOMEM     out of memory.
 *
 * Dates are day numbers (pcs_date.h); PCS_DAY_NONE means "not given". Areas are indices of
 * pcs_area_ids[] (pcs_rules.h), -1 for all. `rules` is a rule-set name such as "pcs-2026". */
#ifndef PCS_STORE_H
#define PCS_STORE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcs_err.h"

typedef struct pcs_store pcs_store_t;

/* The text of a JSON answer exactly as `pcs ... --json` prints it (indented by 2, 15 significant
 * digits, a final newline), for readers that must answer byte for byte as the CLI (pcs-api).
 * malloc()ed; NULL when out of memory. (`pcs show --json` prints the stored document's own text:
 * see pcs_insight_result.) */
char *pcs_store_dumps(const json_t *j);

/* Connects (conninfo "" = the PG* environment variables). NULL with the server's message. */
pcs_store_t *pcs_store_open(const char *conninfo, pcs_err_t *err);
/* Closes the connection; NULL-safe, clears *ps. */
void pcs_store_destroy(pcs_store_t **ps);
/* The connection, for a caller that needs one more query of its own (borrowed). */
PGconn *pcs_store_conn(pcs_store_t *s);

/* 1 when the partner is known (has any fact), 0 when not, negative on error. */
int pcs_store_partner_exists(pcs_store_t *s, const char *partner, pcs_err_t *err);

/* The stored result document of a partner (interfaces.md §2), byte for byte as the scorer stored it:
 * of as_of, or the latest when as_of is PCS_DAY_NONE. *text receives the document, *day its as-of
 * date (either may be NULL). PCS_ENOTFOUND when none is stored. */
int pcs_store_result(pcs_store_t *s, const char *partner, const char *rules, int32_t as_of, char **text,
                     int32_t *day, pcs_err_t *err);

/* Score history (scoring.md §11.3) as an array, oldest month first, areas in their order:
 *   {"month": "YYYY-MM" (data month), "area", "as_of", "score", "track", "qualified",
 *    "source": "stored" | "computed"}
 * Every calendar month with stored snapshots up to as_of (PCS_DAY_NONE: the latest stored), plus the
 * months of the latest stored result's six-row history that no snapshot covers ("computed": the
 * engine's row, §11.3's last bullet). months > 0 keeps the last `months` data months; 0 keeps all. */
json_t *pcs_store_history(pcs_store_t *s, const char *partner, const char *rules, int32_t as_of, int months,
                          int area, pcs_err_t *err);

/* Alerts, newest first. state: NULL = the default (the firing alerts where the alert lifecycle
 * columns exist, else every alert), "all", or a state name ("firing", "resolved", ...). partner NULL
 * = every partner. limit <= 0 = 100. Objects: alert_id, event, partner_id, area, severity,
 * dedup_key, created, as_of, rules, payload, deliveries[{sink, state, attempts, last_error,
 * delivered_at}], and every further column of the alerts table (state, first_seen, ...). */
json_t *pcs_store_alerts(pcs_store_t *s, const char *partner, const char *state, long limit, pcs_err_t *err);
/* true when the alerts table has the lifecycle column `state` (notifier migration 0005). */
bool pcs_store_alert_lifecycle(pcs_store_t *s);

/* Rejected input rows, newest first: {file, line, column, reason, raw, created}. file NULL = all;
 * limit <= 0 = 1000. */
json_t *pcs_store_rejects(pcs_store_t *s, const char *file, long limit, pcs_err_t *err);

/* The fleet: one object per partner with a stored result of `rules` (its latest up to today), in one
 * query:
 *   {"partner_id", "as_of", "areas": [{"area", "track", "score", "qualified", "status"}] (six, in
 *    order), "anniversary": next enrollment anniversary on or after today or null,
 *    "days_to_anniversary": int or null, "alerts": number of firing alerts,
 *    "worst_severity": "critical" | "warning" | "info" | null, "risk": int (higher = worse)}
 * sort: "risk" (default when NULL: worst firing alert, then alerts, then the nearest anniversary
 * of an unqualified area, then id) or "id". status (NULL = any) keeps partners with an area in that
 * status (that area when area >= 0); area >= 0 keeps only that area in "areas". */
json_t *pcs_store_partners(pcs_store_t *s, const char *rules, int32_t today, const char *sort, const char *status,
                           int area, pcs_err_t *err);

/* A partner's facts as of day, as a partner document (interfaces.md §2): the same facts the scorer
 * streams (usage of data months M-30 .. M, certification records clipped to the link periods).
 * PCS_ENOTFOUND when the partner is unknown. */
json_t *pcs_store_facts(pcs_store_t *s, const char *partner, int32_t as_of, pcs_err_t *err);

/* The stored selected-track snapshots the scorer feeds the engine for a score as of day (as-of from
 * the first day of month(day) - 5 on, without an upper bound: the caller keeps those before the day
 * it scores): [{"area", "as_of", "total" (unrounded), "qualified", "track"}]. */
json_t *pcs_store_snapshots(pcs_store_t *s, const char *partner, const char *rules, int32_t day, pcs_err_t *err);

/* Month by month (every data month with usage or a stored score), for trends:
 *   {"month", "customers_ttm", "acr_usd", "revenue_usd", "active_units",
 *    "scores": {AREA: {"score", "qualified"}} (best stored score of the month, §11.3)}
 * as_of bounds it to what was known on that day (data months before its month, scores stored as of
 * that day or earlier); PCS_DAY_NONE: every month stored. */
json_t *pcs_store_trends(pcs_store_t *s, const char *partner, const char *rules, int area, int32_t as_of,
                         pcs_err_t *err);

#endif
