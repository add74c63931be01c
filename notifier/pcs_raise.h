/* pcs_raise: from stored results to alerts with a life (issue 12, issue 18.1).
 *
 * The scorer's writes to score_results queue their partner in alert_queue within the scorer's own
 * transaction (a trigger, sql/0005_alert_life.sql), so the notifier sees a result exactly when it
 * commits; it claims queue rows with FOR UPDATE SKIP LOCKED and deletes them in the transaction
 * that records what it raised. Nothing depends on an order of sequence numbers.
 *
 * Settled state: a partner's result raises nothing while its facts are still arriving: until no
 * new fact (outbox row) arrived for the partner for settle_ms. A refresh result is settled by
 * definition, and so is a held result once a refresh of today requested after it has finished (it
 * rewrote the result or found it unchanged); a lone certification event (the partner was quiet
 * for settle_ms before it) is settled at once. A held row keeps its due time and is read again then.
 *
 * Lifecycle: for each settled partner, its present result (as of the stack's today, or the latest
 * before; a result for a later date is a what-if) is compared with
 * the partner's firing alerts. A condition (alert_key: the engine's dedup key without its last,
 * time-bound part) that the result raises and no alert holds fires (a new alert row); one that an
 * alert holds and the result no longer raises resolves; a firing alert whose severity rises
 * escalates. The transitions of one partner go out as one notification (a digest) with a delivery
 * row per sink that takes one of its items, due after group_wait_ms. Alerts still firing are
 * notified again every repeat_ms (warning, critical) or repeat_info_ms (info; 0: never).
 * Inhibition: while designation_at_risk fires for an area, that area's near_threshold and
 * renewal_reminder are stored and shown but not notified (the graver alert says it already).
 *
 * All functions run synchronous statements on db (the caller's connection, no transaction open)
 * and return 0 / 1 as documented or -1 with err filled (the transaction is rolled back). */
#ifndef PCS_RAISE_H
#define PCS_RAISE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "pcs_err.h"
#include "pcs_rules.h"

typedef struct pcs_raise_cfg {
    const char *rule_set;
    int64_t settle_ms;
    int64_t group_wait_ms;
    int64_t repeat_ms;
    int64_t repeat_info_ms;
    int32_t today;
    const pcs_rules_t *rules;          /* certification names; NULL: ids are shown */
    const unsigned char *sink_cfgs;    /* the sinks' config blocks, PCS_SINK_CFG_SIZE apart */
} pcs_raise_cfg_t;

typedef struct pcs_raise_stats {
    int partners;        /* settled partners read */
    int held;            /* partners whose facts are still arriving */
    int fired, resolved, escalated;
    int notifications;
} pcs_raise_stats_t;

/* Claims up to 100 due queue rows and records their transitions, in one transaction.
 * 1: more rows may be due; 0: none left; -1: error. */
int pcs_raise_batch(PGconn *db, const pcs_raise_cfg_t *cfg, pcs_raise_stats_t *st, pcs_err_t *err);

/* Notifications for alerts still firing whose repeat interval has passed. 0 or -1. */
int pcs_raise_repeats(PGconn *db, const pcs_raise_cfg_t *cfg, int *notifications, pcs_err_t *err);

/* Once per day of `today`: partners with an enrollment anniversary or a counting certification
 * ending within 60 days are asked to be rescored as of today (an outbox row for pcs-scorer).
 * 1: ran now (*asked partners); 0: already ran today; -1: error. */
int pcs_raise_daily(PGconn *db, const pcs_raise_cfg_t *cfg, int *asked, pcs_err_t *err);

/* Milliseconds until the earliest held queue row or repeat is due (0: now; -1: none). */
int pcs_raise_next_due(PGconn *db, const pcs_raise_cfg_t *cfg, int64_t *ms, pcs_err_t *err);

/* The condition an engine dedup key names: the key without its last ':' part (malloc'd). */
char *pcs_raise_alert_key(const char *dedup_key);

#endif
