/* pcs_alert_text: the words of an alert, for the people who act on it (issue 12).
 *
 * Each alert carries a one-line summary ("Renew Azure Administrator Associate of P2 (expires
 * 2026-12-01, 12 days): Data & AI drops from 92 to 60 and stops qualifying.") and a "what to do"
 * line, both built from the event's payload (scoring.md §13). Day counts are relative to the stack's
 * today (the notifier's `today` setting or the UTC date), never to the wall clock of a pinned demo.
 * Names (areas, metrics, certifications) and numbers are written as the read model writes them
 * (store/pcs_words.h), so an alert says what `pcs show` says. Pure: no I/O. Control characters in
 * ids are replaced by '?', so the words are safe in any sink. */
#ifndef PCS_ALERT_TEXT_H
#define PCS_ALERT_TEXT_H

#include <jansson.h>
#include <stdint.h>

#include "pcs_rules.h"

/* What an alert's words need. */
typedef struct pcs_words_in {
    const char *event;        /* §13 event or newly_qualified */
    const char *area;         /* area id (data_ai, ...) */
    const json_t *payload;    /* the event's payload */
    int32_t as_of;            /* the result's as-of day (payload day counts are relative to it) */
    int32_t today;            /* the stack's today */
    const pcs_rules_t *rules; /* certification names; NULL: ids are shown */
} pcs_alert_text_in_t;

/* Fills *summary and *action with malloc'd lines (the caller frees them). resolved: the words of
 * the resolve ("Resolved: ..."). 0, or PCS_ENOMEM (both NULL). */
int pcs_alert_text_build(const pcs_alert_text_in_t *in, int resolved, char **summary, char **action);

#endif
