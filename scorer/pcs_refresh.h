/* pcs_refresh: the scorer's database side, shared by pcs-scorer, the CLI and the benchmark.
 *
 * Facts are streamed out of PostgreSQL with one binary COPY TO STDOUT, in partner order (the
 * database's collation of partner_id), for a range of partners (a refresh slice) or a list of
 * partners (an event). The stream feeds every fact of one partner to the engines (one per rule set)
 * and stops at the partner's last row, so memory is bounded by the largest partner, not by the
 * number of partners.
 *
 * Results are collected in a batch (binary COPY of two staging tables) and written in bulk inside the
 * caller's transaction: score_results and score_snapshots are upserted, and a row whose content did
 * not change is not rewritten (a replay or a second worker writes nothing new). */
#ifndef PCS_REFRESH_H
#define PCS_REFRESH_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcs_db.h"
#include "pcs_doctext.h"
#include "pcs_engine.h"

#define PCS_MAX_RULESETS 4

/* Which partners and which date. lo/hi/after bound a slice (NULL = open); partners, when not NULL,
 * restricts to that list (n_partners names). */
typedef struct pcs_fscope {
    int32_t as_of;
    const char *lo, *hi, *after;
    const char *const *partners;
    int n_partners;
    /* rule-set names whose stored snapshots feed the status windows and the history (§11) */
    const char *const *rule_sets;
    int n_rule_sets;
    /* keep the snapshot the facts are read in (pcs_fstream_snapshot), reading them in a REPEATABLE
     * READ transaction of their own unless the connection is in a transaction already (then the
     * snapshot is taken just before the COPY): a refresh slice needs it to leave newer results
     * alone; an event's rescoring writes last and skips the round trips */
    bool snapshot;
} pcs_fscope_t;

/* The facts of a scope are streamed by one of three fixed COPY ... TO STDOUT (FORMAT binary)
 * statements (a bounded range of partners, a range open at the end, a list of partners), one row
 * per fact: partner_id, kind (P the partner itself; C customer, A association, U a tenant's usage:
 * tenant and its packed text (pcs_usage.h), X certification record, E enrollment, S stored
 * snapshot) and seven text fields, in partner order (the database's collation of partner_id), a
 * partner's rows in no particular order. COPY takes no parameters: pcs_facts_scope() first puts
 * the scope into session settings with pcs_facts_scope_sql ($1..$9) and returns the statement to
 * run next (static text), or NULL with err. Shared by the scorer, the benchmark and any reader of
 * a partner's facts. */
extern const char pcs_facts_range_sql[];
extern const char pcs_facts_open_sql[];
extern const char pcs_facts_list_sql[];
extern const char pcs_facts_scope_sql[];
const char *pcs_facts_scope(PGconn *db, const pcs_fscope_t *s, pcs_err_t *err);

typedef struct pcs_fstream pcs_fstream_t;

/* Starts streaming the facts of scope. The engines are begun and fed by pcs_fstream_next(). The
 * rows come in partner order, so the stream holds one partner's rows (and the first of the next),
 * and the server reads the next partner while the engines score this one. */
pcs_fstream_t *pcs_fstream_open(PGconn *db, const pcs_fscope_t *scope, pcs_engine_t *const *eng, int n_eng,
                                pcs_err_t *err);
/* Reads rows until the next partner is whole, for about budget_s seconds at most (0: no limit). 1:
 * the next partner is ready to feed (or the stream has ended); 0: more to read, call again (an event
 * loop's turn stays short); -1: error (err). */
int pcs_fstream_load(pcs_fstream_t *s, double budget_s, pcs_err_t *err);
/* Feeds the next partner's facts to every engine (reading what it needs first). 1: *partner holds
 * the partner (valid until the next call of pcs_fstream_next or pcs_fstream_load), score it now;
 * 0: end of stream; -1: error (err). Rows the engine refuses are logged and skipped. */
int pcs_fstream_next(pcs_fstream_t *s, const char **partner, pcs_err_t *err);
long long pcs_fstream_rows(const pcs_fstream_t *s);
/* The snapshot (pg_current_snapshot() text) the stream's COPY reads in (or one taken just before
 * it, see pcs_fscope_t), when the scope asked for it (else NULL): every fact committed in it is
 * read. Owned by the stream. */
const char *pcs_fstream_snapshot(const pcs_fstream_t *s);
/* Inside a write transaction: results and snapshots stored later than snapshot (by a transaction it
 * does not see, so from newer facts) are not overwritten by this transaction's upserts. */
int pcs_facts_snapshot_set(PGconn *db, const char *snapshot, pcs_err_t *err);
/* Ends the stream; when it was not read to the end the COPY is cancelled. */
void pcs_fstream_close(pcs_fstream_t *s);

/* ---- results ---- */

/* A selected snapshot of a batch: what its change says of it when the batch is new (pcs_batch_insert) */
typedef struct pcs_batch_sel {
    size_t partner, rules;           /* offsets of their texts in the batch's names */
    int doc, snap;                   /* its result's ordinal in the batch, its snapshot row's */
    int area, track, status;
    int32_t as_of;
    double total;
    bool qualified;
} pcs_batch_sel_t;

typedef struct pcs_batch {
    pcs_copybuf_t res, snap;
    pcs_copybuf_t keys;              /* (partner_id, rule_set, as_of, ordinal) of each result, for pcs_batch_insert */
    pcs_copybuf_t text;              /* scratch: the text of the document being added */
    pcs_copybuf_t names;             /* the partner ids and rule sets of sel, NUL-terminated */
    pcs_batch_sel_t *sel;            /* the selected snapshots, in the order of snap's rows */
    size_t *seq_at;                  /* where each row of snap holds its seq (pcs_copy_bin_int8_at) */
    int n_sel, cap_sel, n_snap, cap_snap;
    struct pcs_json_cache *json;     /* values the documents share (made by the first pcs_batch_add) */
    int partners, documents;
} pcs_batch_t;

/* Adds one engine result (after pcs_engine_score). trigger: "refresh:RUN", "event", "rescore". */
int pcs_batch_add(pcs_batch_t *b, const pcs_rules_t *rules, const pcs_result_t *res, const char *trigger);
void pcs_batch_reset(pcs_batch_t *b);
void pcs_batch_free(pcs_batch_t *b);

/* The compact text of a result document (pcs_result_to_json_cached with cache, PCS_JSON_DUMP_FLAGS)
 * into w, which is emptied first, with each track object printed once and the cache's placeholders
 * replaced by the texts they stand for: *text is the document's text (the bytes json_dumps gives
 * for the document built without a cache), tracks[0..*n_tracks) each track object's text (a
 * snapshot's detail), in document order. doc is changed (its track objects are replaced). -1 when
 * out of memory, more than max_tracks, or a placeholder the cache does not know. */
int pcs_batch_dump(pcs_copybuf_t *w, json_t *doc, const struct pcs_json_cache *cache, pcs_span_t *tracks,
                   int max_tracks, int *n_tracks, pcs_span_t *text);

/* The two steps of pcs_batch_write, for a caller that sends the upserts without waiting:
 * pcs_batch_stage() copies the batch into session staging tables (inside the caller's transaction)
 * and empties it; pcs_upsert_results_sql and then pcs_upsert_snapshots_sql write them; the
 * latter's rows give the changes (pcs_batch_changes() returns false for any other result). */
int pcs_batch_stage(PGconn *db, pcs_batch_t *b, pcs_err_t *err);
extern const char pcs_upsert_results_sql[];
extern const char pcs_upsert_snapshots_sql[];
bool pcs_batch_changes(PGresult *r, json_t *changes);

/* A new batch, written without staging (inside the caller's transaction): its keys are copied into
 * a session table first; when no result or snapshot is stored for any of them, the results and
 * snapshots are copied straight into score_results and score_snapshots, the changes (as
 * pcs_batch_write gives them) appended to changes (may be NULL), *inserted set and the batch
 * emptied; otherwise *inserted is false and the batch is kept for pcs_batch_stage. A result stored
 * by another transaction after the check makes the COPY fail on the key: PCS_EEXIST, the batch
 * kept, and the caller rolls back to a savepoint taken before and writes the batch by
 * pcs_batch_stage. */
int pcs_batch_insert(PGconn *db, pcs_batch_t *b, bool *inserted, json_t *changes, pcs_err_t *err);

/* round(x::numeric, 2)::text of PostgreSQL as a double (strtod of that text): a float8 becomes
 * numeric through its 15 significant digits, and is rounded half away from zero. */
double pcs_sql_round2(double x);

/* Writes the batch inside the caller's transaction and empties it. changes (a JSON array, may be
 * NULL) receives one score.updated body per selected (partner, area) whose snapshot is new or
 * changed: {partner_id, area, rules, as_of, track, score, qualified, status, old_score,
 * old_qualified, old_status, old_as_of, seq}. */
int pcs_batch_write(PGconn *db, pcs_batch_t *b, json_t *changes, pcs_err_t *err);

/* Scores the partner the engines hold, for every rule set, and adds the results to b. */
int pcs_score_partner(pcs_engine_t *const *eng, int n_eng, int32_t as_of, pcs_batch_t *b, const char *trigger,
                      pcs_err_t *err);

#endif
