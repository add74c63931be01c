/* pcs-scorer: turns facts into scores (architecture.md).
 *
 * One libuv loop. Work arrives three ways, and the database is the truth for all of them:
 *  - refresh runs (the monthly timer, `pcs refresh`): a run is cut into slices of partners; a
 *    scorer takes a slice under a session advisory lock, streams its facts with one COPY in
 *    partner order, scores each partner when its rows end and commits the snapshots in batches
 *    together with the slice's cursor, so a restart (or another scorer) resumes after the last
 *    committed partner;
 *  - the outbox written by pcs-ingest: read on start, on every hint (data.changed, cert.changed,
 *    coalesced for coalesce_ms) and on a timer; rows are claimed with FOR UPDATE SKIP LOCKED and
 *    marked done in the transaction that stores the new snapshots;
 *  - the control socket (REP): refresh, rescore, status.
 * After each commit the changed scores are PUBlished as score.updated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "pcs_daemon.h"
#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_envelope.h"
#include "pcs_jpool.h"
#include "pcs_log.h"
#include "pcs_pgasync.h"
#include "pcs_refresh.h"
#include "pcs_zsock.h"

typedef struct config {
    pcs_daemon_cfg_t common;
    char db[256];
    char pull_endpoint[256];
    char control_endpoint[256];
    char pub_endpoint[256];
    char rule_sets[256];
    char today[256];
    char worker[256];
    int64_t refresh_day;
    int64_t slice_partners;
    int64_t batch_partners;
    int64_t outbox_poll_ms;
    int64_t coalesce_ms;
} config_t;

#define R PCS_CFG_RELOAD
static const pcs_cfg_key_t config_keys[] = {
    PCS_DAEMON_KEYS(config_t),
    PCS_CFG_STR(config_t, db, "", R | PCS_CFG_SECRET),
    PCS_CFG_STR(config_t, pull_endpoint, "tcp://127.0.0.1:5602", 0),
    PCS_CFG_STR(config_t, control_endpoint, "tcp://127.0.0.1:5603", 0),
    PCS_CFG_STR(config_t, pub_endpoint, "tcp://127.0.0.1:5604", 0),
    PCS_CFG_STR(config_t, rule_sets, "pcs-2026", R),
    PCS_CFG_STR(config_t, today, "", R),
    PCS_CFG_STR(config_t, worker, "", 0),
    PCS_CFG_INTEGER(config_t, refresh_day, "20", 0, 28, R),
    PCS_CFG_INTEGER(config_t, slice_partners, "2000", 1, 100000000, R),
    PCS_CFG_INTEGER(config_t, batch_partners, "250", 1, 100000, R),
    PCS_CFG_INTEGER(config_t, outbox_poll_ms, "60000", 50, 3600000, R),
    PCS_CFG_INTEGER(config_t, coalesce_ms, "50", 0, 60000, R),
};
#undef R
#define N_KEYS ((int)(sizeof config_keys / sizeof *config_keys))

/* The refresh slice in hand. */
typedef struct slice {
    bool active;
    long long run_id;
    int slice;
    int32_t as_of;
    char lo[512], hi[512], after[512], last[512];
    bool has_lo, has_hi, has_after;
    char trigger[64];
    pcs_fstream_t *fs;
    char *snapshot;             /* the snapshot fs read its facts in (kept past fs for the last batch) */
    PGresult *plist;            /* a rescoring slice: its partners (locked in rd's transaction) */
    const char **names;
    int n_names;
    double started, write_s;    /* wall time since the slice was taken, of it spent committing */
    bool wp_active;             /* a commit in flight: its partners and last partner */
    int wp_partners;
    char wp_last[512];
    json_t *wp_changes;         /* its changes, when its batch was inserted (pcs_batch_insert) */
    long long partners, rows;
} slice_t;

typedef struct scorer {
    config_t cfg;
    char worker[300];
    uv_loop_t *loop;
    uv_timer_t tick, hint_timer, retry_timer;
    uv_idle_t work;
    pcs_zsock_t *pull, *ctl, *pub;
    pcs_pgasync_t *ctl_db;       /* the control requests' queries, answered when they complete */
    PGconn *rd, *wr, *ev;
    PGconn *ln;                 /* LISTEN pcs_refresh: another scorer created a run */
    uv_poll_t *ln_poll;
    pcs_rules_t *rules[PCS_MAX_RULESETS];
    pcs_engine_t *eng[PCS_MAX_RULESETS];
    const char *rule_names[PCS_MAX_RULESETS];
    int n_rules;
    slice_t sl;
    pcs_batch_t batch, ev_batch;
    pcs_copybuf_t msg;   /* the text of the message being published */
    bool stopping, working, reload_pending;
    unsigned backoff_ms;
    unsigned long msgs;
    time_t started;
    long long partners_scored, changes_published, outbox_done, slices_done;
    char last_error[600];
} scorer_t;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_error(scorer_t *s, const char *what, const pcs_err_t *err)
{
    snprintf(s->last_error, sizeof s->last_error, "%s: %s", what, err->msg);
    pcs_log(PCS_LOG_WARN, "scorer", what, "%s", err->msg);
}

static int32_t today(const scorer_t *s)
{
    int32_t d;
    if (s->cfg.today[0] && pcs_day_parse(s->cfg.today, &d) == 0)
        return d;
    return pcs_day_today_utc();
}

/* ---- rule sets ------------------------------------------------------------------------------------ */

static void free_rules(scorer_t *s)
{
    for (int i = 0; i < s->n_rules; i++) {
        pcs_engine_destroy(&s->eng[i]);
        pcs_rules_destroy(&s->rules[i]);
        s->rules[i] = NULL;
    }
    s->n_rules = 0;
}

/* Loads the rule sets named in cfg (space or comma separated) into s; on failure s is unchanged. */
static int load_rules(scorer_t *s, const config_t *cfg)
{
    pcs_rules_t *r[PCS_MAX_RULESETS] = {0};
    int n = 0;
    char names[256];
    snprintf(names, sizeof names, "%s", cfg->rule_sets);
    char *save = NULL;
    for (char *tok = strtok_r(names, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        char path[4096];
        pcs_err_t err = {0};
        if (n == PCS_MAX_RULESETS) {
            pcs_log(PCS_LOG_ERROR, "scorer", "rules", "at most %d rule sets", PCS_MAX_RULESETS);
            goto fail;
        }
        if (!(r[n] = pcs_rules_open(tok, path, sizeof path, &err))) {
            pcs_log(PCS_LOG_ERROR, "scorer", "rules", "%s:%d:%d: %s", path, err.line, err.column, err.msg);
            goto fail;
        }
        n++;
    }
    if (n == 0) {
        pcs_log(PCS_LOG_ERROR, "scorer", "rules", "rule_sets names no rule set");
        goto fail;
    }
    free_rules(s);
    for (int i = 0; i < n; i++) {
        s->rules[i] = r[i];
        s->eng[i] = pcs_engine_new(r[i]);
        s->rule_names[i] = r[i]->name;
    }
    s->n_rules = n;
    return 0;
fail:
    for (int i = 0; i < n; i++)
        pcs_rules_destroy(&r[i]);
    return -1;
}

/* ---- publishing ----------------------------------------------------------------------------------- */

static void publish(scorer_t *s, json_t *changes)
{
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c) {
        char id[340];
        snprintf(id, sizeof id, "%s-%lu", s->worker, ++s->msgs);
        /* printed as json_dumps would (pcs_doctext) into a buffer kept from message to message:
         * json_dumps and its allocations were about 4 % of a refresh's scorer CPU */
        json_t *env = pcs_envelope_new("score.updated", id, NULL, c);
        pcs_copy_clear(&s->msg);
        int rc = env ? pcs_doctext_append(&s->msg, env, NULL, NULL) : -1;
        json_decref(env);
        if (rc < 0)
            continue;
        /* a slow subscriber never blocks scoring: PUB drops at the high-water mark, the notifier
         * catches up from the snapshots' seq cursor */
        if (pcs_zsock_send(s->pub, "score.updated", 13, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0)
            pcs_zsock_send(s->pub, s->msg.s, s->msg.n, ZMQ_DONTWAIT);
        s->changes_published++;
    }
}

/* ---- refresh runs and slices ---------------------------------------------------------------------- */

/* f(k, lo): slice k of the partners, slice_partners ($N) each in the database's order, from lo */
#define SLICES(N)                                                                                          \
    "WITH b AS (SELECT partner_id AS p, (row_number() OVER (ORDER BY partner_id) - 1) / $" N "::bigint AS k" \
    " FROM partners), f AS (SELECT k, min(p) AS lo FROM b GROUP BY k)"

static void backoff(scorer_t *s);
static void start_work(scorer_t *s);
static void schedule_drain(scorer_t *s, uint64_t delay);
static int write_wait(scorer_t *s);

/* The tables a refresh reads its facts from, with all their indexes (a little more than a slice's
 * COPY touches: it reads the other facts through their covering keys alone), against shared_buffers. When they do not fit, every slice copies
 * the pages it shares with other slices' partners again from the operating system's cache: the
 * facts of a 10,000-partner dev refresh streamed in 1.84-2.40 s with 128 MB against 1.32-1.78 s
 * with 3 GB (README, Sizing PostgreSQL). Said once per run, at warn level when they do not fit. */
static const char facts_size_sql[] =
    "SELECT f > b, pg_size_pretty(f), pg_size_pretty(b) FROM (SELECT sum(pg_total_relation_size(c)) AS f,"
    " pg_size_bytes(current_setting('shared_buffers')) AS b FROM unnest(ARRAY['usage_by_partner',"
    " 'customers', 'associations', 'certifications', 'person_links', 'enrollments',"
    " 'score_snapshots_pkey']::regclass[]) c) x";

static void log_facts_size(PGconn *db, long long run)
{
    PGresult *r = NULL;
    if (pcs_db_query(db, facts_size_sql, 0, NULL, &r, NULL) < 0 || PQntuples(r) != 1) {
        PQclear(r);
        return;   /* advice only */
    }
    bool over = PQgetvalue(r, 0, 0)[0] == 't';
    pcs_log(over ? PCS_LOG_WARN : PCS_LOG_INFO, "scorer", "refresh",
            "refresh %lld: the facts it reads take %s, shared_buffers is %s%s", run, PQgetvalue(r, 0, 1),
            PQgetvalue(r, 0, 2),
            over ? ": each slice reads their pages again from the operating system's cache"
                   " (README: Sizing PostgreSQL)"
                 : "");
    PQclear(r);
}

/* Creates a run and its slices in one transaction. Returns the run id, 0 when a monthly run for
 * that date exists already, -1 on error. */
static long long create_run(scorer_t *s, int32_t as_of, const char *kind, int *slices, pcs_err_t *err)
{
    PGconn *db = pcs_db_ensure(&s->ev, s->cfg.db, "scorer");   /* wr may have a commit in flight */
    if (!db)
        return pcs_err_set(err, PCS_EIO, 0, 0, "no database"), -1;
    char day[16], size[32];
    pcs_day_format(as_of, day);
    snprintf(size, sizeof size, "%lld", (long long)s->cfg.slice_partners);
    PGresult *r = NULL;
    long long run = -1;
    if (pcs_db_query(db, "BEGIN", 0, NULL, NULL, err) < 0)
        return -1;
    const char *p[2] = {day, kind};
    if (pcs_db_query(db, "INSERT INTO refresh_runs (as_of, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING run_id",
                     2, p, &r, err) < 0)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        pcs_db_query(db, "ROLLBACK", 0, NULL, NULL, NULL);
        return 0;
    }
    run = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = NULL;
    const char *q[2] = {NULL, size};
    char rid[32];
    snprintf(rid, sizeof rid, "%lld", run);
    q[0] = rid;
    /* slice k covers the partners from its first (lo) up to the next slice's first (hi); the
     * first and the last are open, so partners that appear later are covered too */
    if (pcs_db_query(db,
                     SLICES("2") " INSERT INTO refresh_slices (run_id, slice, lo, hi)"
                     " SELECT $1::bigint, k::int, CASE WHEN k = 0 THEN NULL ELSE lo END, lead(lo) OVER (ORDER BY k) FROM f"
                     " UNION ALL SELECT $1::bigint, 0, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM partners)",
                     2, q, &r, err) < 0)
        goto fail;
    *slices = atoi(PQcmdTuples(r));
    PQclear(r);
    if (pcs_db_query(db, "NOTIFY pcs_refresh; COMMIT", 0, NULL, NULL, err) < 0)
        return -1;
    pcs_log(PCS_LOG_INFO, "scorer", "refresh", "%s refresh %lld as of %s: %d slices", kind, run, day, *slices);
    log_facts_size(db, run);
    return run;
fail:
    pcs_db_query(db, "ROLLBACK", 0, NULL, NULL, NULL);
    return -1;
}

static void check_monthly(scorer_t *s)
{
    if (s->cfg.refresh_day <= 0)
        return;
    int32_t d = today(s);
    int y, m, dd;
    pcs_day_to_civil(d, &y, &m, &dd);
    if (dd < s->cfg.refresh_day)
        return;
    int slices = 0;
    pcs_err_t err = {0};
    if (create_run(s, pcs_day_from_civil(y, m, (int)s->cfg.refresh_day), "monthly", &slices, &err) < 0)
        set_error(s, "refresh", &err);
}

static void unlock_slice(scorer_t *s)
{
    if (s->wr && PQstatus(s->wr) == CONNECTION_OK) {
        char rid[32], sno[16];
        snprintf(rid, sizeof rid, "%lld", s->sl.run_id % 2147483647);
        snprintf(sno, sizeof sno, "%d", s->sl.slice);
        const char *p[2] = {rid, sno};
        pcs_db_query(s->wr, "SELECT pg_advisory_unlock($1::int, $2::int)", 2, p, NULL, NULL);
    }
}

/* Ends the transaction in which a rescoring slice holds its partners' locks, and frees the list. */
static void release_list(scorer_t *s)
{
    if (s->sl.plist && s->rd && PQstatus(s->rd) == CONNECTION_OK)
        pcs_db_query(s->rd, "ROLLBACK", 0, NULL, NULL, NULL);   /* it only read */
    PQclear(s->sl.plist);
    free(s->sl.names);
    s->sl.plist = NULL;
    s->sl.names = NULL;
    s->sl.n_names = 0;
}

/* Drops the slice in hand without committing more (the cursor keeps what was committed). */
static void abandon_slice(scorer_t *s)
{
    if (!s->sl.active)
        return;
    if (s->wr && s->sl.wp_active && write_wait(s) < 0 && s->wr && PQstatus(s->wr) != CONNECTION_OK) {
        PQfinish(s->wr);
        s->wr = NULL;
    }
    s->sl.wp_active = false;
    json_decref(s->sl.wp_changes);
    s->sl.wp_changes = NULL;
    pcs_fstream_close(s->sl.fs);
    s->sl.fs = NULL;
    release_list(s);
    if (s->rd && PQstatus(s->rd) != CONNECTION_OK) {
        PQfinish(s->rd);
        s->rd = NULL;
    }
    unlock_slice(s);
    pcs_batch_reset(&s->batch);
    free(s->sl.snapshot);
    s->sl.snapshot = NULL;
    s->sl.active = false;
}

/* Waits for the slice commit in flight, then publishes its changes and moves the cursor. */
static int write_wait(scorer_t *s)
{
    if (!s->sl.wp_active)
        return 0;
    s->sl.wp_active = false;
    double t0 = mono_s();
    json_t *changes = s->sl.wp_changes ? s->sl.wp_changes : json_array();
    s->sl.wp_changes = NULL;
    pcs_err_t err = {0};
    PGresult *r;
    while ((r = PQgetResult(s->wr))) {
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            if (!err.code) {
                const char *m = PQresultErrorMessage(r);
                pcs_err_set(&err, PCS_EIO, 0, 0, "%.*s", (int)strcspn(m, "\n"), m);
            }
        } else {
            pcs_jpool_begin();   /* a change's values, freed when published (pcs_jpool.h) */
            pcs_batch_changes(r, changes);
            pcs_jpool_end();
        }
        PQclear(r);
    }
    if (!err.code && PQstatus(s->wr) != CONNECTION_OK)
        pcs_err_set(&err, PCS_EIO, 0, 0, "connection lost: %s", PQerrorMessage(s->wr));
    if (err.code) {
        if (PQstatus(s->wr) == CONNECTION_OK)
            pcs_db_query(s->wr, "ROLLBACK", 0, NULL, NULL, NULL);
        set_error(s, "refresh", &err);
        json_decref(changes);
        return -1;
    }
    s->partners_scored += s->sl.wp_partners;
    s->sl.partners += s->sl.wp_partners;
    if (s->sl.wp_partners) {
        snprintf(s->sl.after, sizeof s->sl.after, "%s", s->sl.wp_last);
        s->sl.has_after = true;
    }
    pcs_jpool_begin();   /* the envelopes */
    publish(s, changes);
    json_decref(changes);
    pcs_jpool_end();
    s->sl.write_s += mono_s() - t0;
    return 0;
}

/* The slice's cursor is staged by COPY beside the batch, and fixed statements apply it: the
 * commit of a batch carries no SQL text made from data. */
static const char stage_cursor_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS pcs_stage_cursor (run_id bigint, slice int, done_through text,"
    " partners bigint, done boolean) ON COMMIT DELETE ROWS";

static const char apply_cursor_sql[] =
    "UPDATE refresh_slices s SET done_through = coalesce(c.done_through, s.done_through),"
    " partners_done = s.partners_done + c.partners, done_at = CASE WHEN c.done THEN now() END"
    " FROM pcs_stage_cursor c WHERE s.run_id = c.run_id AND s.slice = c.slice;"
    /* at the end of a slice the run row is locked first, so of two scorers finishing the last
     * slices the second sees the first's commit and closes the run */
    "SELECT 1 FROM refresh_runs r, pcs_stage_cursor c WHERE r.run_id = c.run_id AND c.done FOR UPDATE OF r;"
    "UPDATE refresh_runs r SET finished_at = now(), partners = (SELECT sum(partners_done)"
    " FROM refresh_slices x WHERE x.run_id = r.run_id) FROM pcs_stage_cursor c"
    " WHERE c.run_id = r.run_id AND c.done AND r.finished_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM refresh_slices x WHERE x.run_id = r.run_id AND x.done_at IS NULL);";

static int stage_cursor(scorer_t *s, PGconn *db, int partners, bool done, pcs_err_t *err)
{
    char rid[32], sno[16], np[16];
    snprintf(rid, sizeof rid, "%lld", s->sl.run_id);
    snprintf(sno, sizeof sno, "%d", s->sl.slice);
    snprintf(np, sizeof np, "%d", partners);
    pcs_copybuf_t b = {0};
    pcs_copy_field(&b, rid, strlen(rid), true);
    pcs_copy_field(&b, sno, strlen(sno), false);
    pcs_copy_field(&b, partners ? s->sl.last : NULL, partners ? strlen(s->sl.last) : 0, false);
    pcs_copy_field(&b, np, strlen(np), false);
    pcs_copy_field(&b, done ? "t" : "f", 1, false);
    pcs_copy_put(&b, "\n", 1);
    int rc = pcs_db_query(db, stage_cursor_sql, 0, NULL, NULL, err);
    if (rc == 0)
        rc = pcs_copy_begin(db, "COPY pcs_stage_cursor FROM STDIN", err);
    if (rc == 0) {
        rc = pcs_copy_flush(db, &b, err);
        int rc2 = pcs_copy_end(db, err);
        rc = rc ? rc : rc2;
    }
    free(b.s);
    return rc < 0 ? -1 : 0;
}

/* Commits the batch and the slice's cursor (and, at the end, the slice and maybe the run) in one
 * transaction. The batch and the cursor are staged at once; the upserts and the COMMIT are sent
 * without waiting, so the server writes while the next partners are scored (write_wait() collects
 * the outcome). */
static int flush_slice(scorer_t *s, bool done)
{
    if (write_wait(s) < 0)
        return -1;
    pcs_err_t err = {0};
    PGconn *db = s->wr;
    if (!db || PQstatus(db) != CONNECTION_OK)
        return pcs_err_set(&err, PCS_EIO, 0, 0, "connection lost"), set_error(s, "refresh", &err), -1;
    double t0 = mono_s();
    int partners = s->batch.partners;
    bool docs = s->batch.documents > 0;
    pcs_copybuf_t q = {0};
    int rc = pcs_db_query(db, "BEGIN", 0, NULL, NULL, &err);
    if (rc == 0 && docs && s->sl.snapshot)
        rc = pcs_facts_snapshot_set(db, s->sl.snapshot, &err);
    /* a refresh slice's batch is usually new (nothing stored for its day): copied straight into the
     * stored tables (pcs_batch_insert), under a savepoint in case another writer stores one of its
     * results meanwhile; a rescoring slice rescores what is stored today, by upsert */
    bool inserted = false;
    json_t *changes = NULL;
    if (rc == 0 && docs && !s->sl.names) {
        rc = pcs_db_query(db, "SAVEPOINT pcs_insert", 0, NULL, NULL, &err);
        pcs_jpool_begin();   /* the changes' values, freed when published (pcs_jpool.h) */
        changes = json_array();
        int irc = rc == 0 ? pcs_batch_insert(db, &s->batch, &inserted, changes, &err) : 0;
        pcs_jpool_end();
        if (irc == PCS_EEXIST) {
            pcs_log(PCS_LOG_INFO, "scorer", "refresh", "run %lld slice %d: another writer stored a result of this"
                    " day for a partner of the batch meanwhile; the batch is written by upsert", s->sl.run_id, s->sl.slice);
            err = (pcs_err_t){0};
            rc = pcs_db_query(db, "ROLLBACK TO SAVEPOINT pcs_insert", 0, NULL, NULL, &err);
        } else if (irc < 0) {
            rc = -1;
        }
    }
    if (rc == 0 && docs && !inserted)
        rc = pcs_batch_stage(db, &s->batch, &err);
    if (rc == 0)
        rc = stage_cursor(s, db, partners, done, &err);
    if (rc == 0) {
        if (docs && !inserted) {
            pcs_copy_put(&q, pcs_upsert_results_sql, strlen(pcs_upsert_results_sql));
            pcs_copy_put(&q, ";", 1);
            pcs_copy_put(&q, pcs_upsert_snapshots_sql, strlen(pcs_upsert_snapshots_sql));
            pcs_copy_put(&q, ";", 1);
        }
        pcs_copy_put(&q, apply_cursor_sql, strlen(apply_cursor_sql));
        pcs_copy_put(&q, "COMMIT", 7);   /* with the NUL */
        if (q.oom)
            rc = pcs_err_set(&err, PCS_ENOMEM, 0, 0, "out of memory");
        else if (PQsendQuery(db, q.s) != 1)
            rc = pcs_err_set(&err, PCS_EIO, 0, 0, "%s", PQerrorMessage(db));
    }
    free(q.s);
    if (!inserted || rc < 0) {
        json_decref(changes);   /* none, or they will not be committed */
        changes = NULL;
    }
    if (rc < 0) {
        pcs_batch_reset(&s->batch);
        pcs_db_query(db, "ROLLBACK", 0, NULL, NULL, NULL);
        set_error(s, "refresh", &err);
        return -1;
    }
    s->sl.wp_active = true;
    s->sl.wp_changes = changes;
    s->sl.wp_partners = partners;
    snprintf(s->sl.wp_last, sizeof s->sl.wp_last, "%s", s->sl.last);
    s->sl.write_s += mono_s() - t0;
    /* at the end of the slice its commit must be known before the slice is let go */
    return done ? write_wait(s) : 0;
}

/* A rescoring slice names its partners. They are locked (in one global order, as the outbox
 * does) in a transaction of rd that lasts as long as the slice, so an event for one of them waits
 * for the slice instead of being overwritten by facts read before it. */
static int take_list(scorer_t *s, PGconn *wr, PGconn *rd, pcs_err_t *err)
{
    char rid[32], sno[16];
    snprintf(rid, sizeof rid, "%lld", s->sl.run_id);
    snprintf(sno, sizeof sno, "%d", s->sl.slice);
    const char *k[2] = {rid, sno};
    if (pcs_db_query(wr, "SELECT p FROM refresh_slices, unnest(partners) p WHERE run_id = $1 AND slice = $2 ORDER BY p",
                     2, k, &s->sl.plist, err) < 0)
        return -1;
    int n = PQntuples(s->sl.plist);
    if (!(s->sl.names = calloc((size_t)n + 1, sizeof *s->sl.names)))
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    for (int i = 0; i < n; i++)
        s->sl.names[i] = PQgetvalue(s->sl.plist, i, 0);
    s->sl.n_names = n;
    if (pcs_db_query(rd, "BEGIN", 0, NULL, NULL, err) < 0 ||
        pcs_db_query(rd, "SELECT pg_advisory_xact_lock(727003, hashtext(p)) FROM (SELECT DISTINCT unnest(partners) p"
                         " FROM refresh_slices WHERE run_id = $1 AND slice = $2) x ORDER BY hashtext(p)",
                     2, k, NULL, err) < 0)
        return -1;
    return 0;
}

/* Takes an open slice. 1: taken; 0: none left; -1: error. */
static int claim_slice(scorer_t *s)
{
    pcs_err_t err = {0};
    PGconn *wr = pcs_db_ensure(&s->wr, s->cfg.db, "scorer");
    PGconn *rd = wr ? pcs_db_ensure(&s->rd, s->cfg.db, "scorer") : NULL;
    if (!wr || !rd)
        return -1;
    PGresult *r;
    if (pcs_db_query(wr,
                     "SELECT s.run_id, s.slice FROM refresh_slices s WHERE s.done_at IS NULL"
                     " ORDER BY s.run_id, s.slice LIMIT 256",
                     0, NULL, &r, &err) < 0) {
        set_error(s, "refresh", &err);
        return -1;
    }
    int got = 0;
    for (int i = 0; i < PQntuples(r) && !got; i++) {
        long long run = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        char rid[32];
        snprintf(rid, sizeof rid, "%lld", run % 2147483647);
        const char *lk[2] = {rid, PQgetvalue(r, i, 1)};
        PGresult *l;
        if (pcs_db_query(wr, "SELECT pg_try_advisory_lock($1::int, $2::int)", 2, lk, &l, &err) < 0)
            break;
        bool locked = PQgetvalue(l, 0, 0)[0] == 't';
        PQclear(l);
        if (!locked)
            continue;
        /* re-read under the lock: the slice may have been finished meanwhile */
        const char *k[3] = {PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), s->worker};
        if (pcs_db_query(wr,
                         "UPDATE refresh_slices s SET worker = $3, started_at = coalesce(started_at, now())"
                         " FROM refresh_runs r WHERE s.run_id = $1 AND s.slice = $2 AND s.done_at IS NULL"
                         " AND r.run_id = s.run_id RETURNING s.lo, s.hi, s.done_through, r.as_of::text,"
                         " s.partners IS NOT NULL",
                         3, k, &l, &err) < 0)
            break;
        if (PQntuples(l) == 1) {
            slice_t *sl = &s->sl;
            memset(sl, 0, sizeof *sl);
            sl->run_id = run;
            sl->slice = atoi(PQgetvalue(r, i, 1));
            sl->has_lo = !PQgetisnull(l, 0, 0);
            sl->has_hi = !PQgetisnull(l, 0, 1);
            sl->has_after = !PQgetisnull(l, 0, 2);
            snprintf(sl->lo, sizeof sl->lo, "%s", PQgetvalue(l, 0, 0));
            snprintf(sl->hi, sizeof sl->hi, "%s", PQgetvalue(l, 0, 1));
            snprintf(sl->after, sizeof sl->after, "%s", PQgetvalue(l, 0, 2));
            pcs_day_parse(PQgetvalue(l, 0, 3), &sl->as_of);
            snprintf(sl->trigger, sizeof sl->trigger, "refresh:%lld", run);
            got = PQgetvalue(l, 0, 4)[0] == 't' ? 2 : 1;
        } else {
            s->sl.run_id = run;
            s->sl.slice = atoi(PQgetvalue(r, i, 1));
            unlock_slice(s);
        }
        PQclear(l);
    }
    PQclear(r);
    if (err.code) {
        set_error(s, "refresh", &err);
        return -1;
    }
    if (!got)
        return 0;
    s->sl.active = true;
    s->sl.started = mono_s();
    if (got == 2 && take_list(s, wr, rd, &err) < 0) {
        set_error(s, "refresh", &err);
        abandon_slice(s);
        return -1;
    }
    pcs_fscope_t sc = {.as_of = s->sl.as_of,
                       .lo = s->sl.has_lo ? s->sl.lo : NULL,
                       .hi = s->sl.has_hi ? s->sl.hi : NULL,
                       .after = s->sl.has_after ? s->sl.after : NULL,
                       .partners = s->sl.names,
                       .n_partners = s->sl.n_names,
                       .rule_sets = s->rule_names,
                       .n_rule_sets = s->n_rules,
                       .snapshot = true};
    if (!(s->sl.fs = pcs_fstream_open(rd, &sc, s->eng, s->n_rules, &err)) ||
        !(s->sl.snapshot = strdup(pcs_fstream_snapshot(s->sl.fs)))) {
        if (!err.code)
            pcs_err_set(&err, PCS_ENOMEM, 0, 0, "out of memory");
        set_error(s, "refresh", &err);
        abandon_slice(s);
        return -1;
    }
    pcs_log(PCS_LOG_INFO, "scorer", "refresh", "run %lld slice %d%s%s: scoring", s->sl.run_id, s->sl.slice,
            s->sl.has_after ? " resuming after " : "", s->sl.has_after ? s->sl.after : "");
    return 1;
}

static void on_work(uv_idle_t *h)
{
    scorer_t *s = h->data;
    pcs_err_t err = {0};
    if (!s->sl.active) {
        if (s->stopping || s->reload_pending) {
            uv_idle_stop(&s->work);
            return;
        }
        int rc = claim_slice(s);
        if (rc <= 0) {
            uv_idle_stop(&s->work);
            if (rc < 0)
                backoff(s);
            return;
        }
    }
    /* a bounded amount of work per turn of the loop (reading a partner's rows 10 ms at a time, 64
     * partners, or 20 ms when they are large), so signals, sockets and control requests are served */
    double turn = mono_s();
    for (int k = 0; k < 64 && mono_s() - turn < 0.02; k++) {
        const char *partner;
        int ld = pcs_fstream_load(s->sl.fs, 0.01, &err);
        if (ld == 0)
            return;
        int rc = ld < 0 ? -1 : pcs_fstream_next(s->sl.fs, &partner, &err);
        if (rc < 0) {
            set_error(s, "refresh", &err);
            abandon_slice(s);
            uv_idle_stop(&s->work);
            backoff(s);
            return;
        }
        if (rc == 0) {
            s->sl.rows = pcs_fstream_rows(s->sl.fs);
            pcs_fstream_close(s->sl.fs);
            s->sl.fs = NULL;
            if (flush_slice(s, true) < 0) {
                abandon_slice(s);
                uv_idle_stop(&s->work);
                backoff(s);
                return;
            }
            release_list(s);   /* after the slice's commit: the locks covered its writes */
            unlock_slice(s);
            free(s->sl.snapshot);
            s->sl.snapshot = NULL;
            s->sl.active = false;
            s->slices_done++;
            s->backoff_ms = 0;
            pcs_log(PCS_LOG_INFO, "scorer", "refresh", "run %lld slice %d: done, %lld partners (%lld fact rows) in %.2f s, %.2f s of it committing",
                    s->sl.run_id, s->sl.slice, s->sl.partners, s->sl.rows, mono_s() - s->sl.started, s->sl.write_s);
            return;
        }
        if (pcs_score_partner(s->eng, s->n_rules, s->sl.as_of, &s->batch, s->sl.trigger, &err) < 0) {
            set_error(s, "refresh", &err);
            abandon_slice(s);
            uv_idle_stop(&s->work);
            backoff(s);
            return;
        }
        snprintf(s->sl.last, sizeof s->sl.last, "%s", partner);
        if (s->batch.partners >= s->cfg.batch_partners || s->stopping || s->reload_pending) {
            if (flush_slice(s, false) < 0) {
                abandon_slice(s);
                uv_idle_stop(&s->work);
                backoff(s);
                return;
            }
            if (s->stopping || s->reload_pending) {
                /* the partner in hand is committed; the slice resumes from its cursor */
                abandon_slice(s);
                uv_idle_stop(&s->work);
                return;
            }
            return;
        }
    }
}

static void start_work(scorer_t *s)
{
    if (!s->stopping && !uv_is_active((uv_handle_t *)&s->work))
        uv_idle_start(&s->work, on_work);
}

/* ---- the outbox (event-driven rescoring) ------------------------------------------------------------ */

/* More partners than this in one read of the outbox (a bulk load) become a rescoring run. */
#define EVENT_PARTNERS_MAX 64

/* Inside the caller's transaction: a run of kind rescore as of today whose slices name the
 * partners of the outbox rows ids (batch_partners each: each slice holds their locks). */
static int rescore_run(scorer_t *s, PGconn *db, const char *ids, pcs_err_t *err)
{
    char day[16], size[32];
    pcs_day_format(today(s), day);
    snprintf(size, sizeof size, "%lld", (long long)s->cfg.batch_partners);
    PGresult *r;
    const char *p[1] = {day};
    if (pcs_db_query(db, "INSERT INTO refresh_runs (as_of, kind) VALUES ($1, 'rescore') RETURNING run_id", 1, p, &r,
                     err) < 0)
        return -1;
    const char *q[3] = {PQgetvalue(r, 0, 0), size, ids};
    PGresult *r2;
    int rc = pcs_db_query(db,
                          "INSERT INTO refresh_slices (run_id, slice, partners)"
                          " SELECT $1::bigint, k::int, array_agg(p ORDER BY p) FROM (SELECT p,"
                          "  (row_number() OVER (ORDER BY p) - 1) / $2::bigint AS k FROM (SELECT DISTINCT p FROM outbox,"
                          "  unnest(partners) p WHERE outbox_id = ANY($3::bigint[])) x) y GROUP BY k",
                          3, q, &r2, err);
    if (rc == 0) {
        pcs_log(PCS_LOG_INFO, "scorer", "outbox", "rescoring run %s as of %s: %s slices", q[0], day, PQcmdTuples(r2));
        PQclear(r2);
    }
    PQclear(r);
    return rc;
}

/* Claims pending outbox rows, rescores the partners they name as of today and marks them done, in
 * one transaction. 1: rows were processed (call again); 0: nothing pending; 2: a partner is locked
 * elsewhere (try again later); -1: error. */
static int drain_once(scorer_t *s)
{
    pcs_err_t err = {0};
    PGconn *db = pcs_db_ensure(&s->ev, s->cfg.db, "scorer");
    if (!db)
        return -1;
    PGresult *ids = NULL, *ps = NULL;
    json_t *changes = json_array();
    pcs_fstream_t *fs = NULL;
    int rc = pcs_db_query(db, "BEGIN", 0, NULL, NULL, &err);
    if (rc == 0)
        rc = pcs_db_query(db,
                          "SELECT coalesce(array_agg(outbox_id)::text, '{}'), count(*) FROM (SELECT outbox_id FROM outbox"
                          " WHERE processed_at IS NULL ORDER BY outbox_id LIMIT 100 FOR UPDATE SKIP LOCKED) o",
                          0, NULL, &ids, &err);
    if (rc < 0)
        goto fail;
    if (strcmp(PQgetvalue(ids, 0, 1), "0") == 0) {
        PQclear(ids);
        json_decref(changes);
        pcs_db_query(db, "COMMIT", 0, NULL, NULL, NULL);
        return 0;
    }
    const char *idp[1] = {PQgetvalue(ids, 0, 0)};
    rc = pcs_db_query(db,
                      "SELECT p FROM (SELECT DISTINCT p FROM outbox, unnest(partners) p WHERE outbox_id = ANY($1::bigint[])) x"
                      " ORDER BY hashtext(p), p",
                      1, idp, &ps, &err);
    if (rc < 0)
        goto fail;
    if (PQntuples(ps) > EVENT_PARTNERS_MAX) {
        /* a bulk load: rescored like a refresh, in slices, a few partners per turn of the loop */
        rc = rescore_run(s, db, idp[0], &err);
        if (rc == 0)
            rc = pcs_db_query(db, "UPDATE outbox SET processed_at = clock_timestamp() WHERE outbox_id = ANY($1::bigint[])",
                              1, idp, NULL, &err);
        if (rc == 0)
            rc = pcs_db_query(db, "NOTIFY pcs_refresh; COMMIT", 0, NULL, NULL, &err);
        if (rc < 0)
            goto fail;
        s->outbox_done += atoll(PQgetvalue(ids, 0, 1));
        PQclear(ids);
        PQclear(ps);
        json_decref(changes);
        start_work(s);
        return 1;
    }
    /* the partners, each locked for the transaction (in one global order), so two scorers never
     * interleave one partner's facts and snapshots; a lock held elsewhere (another scorer's
     * event, a rescoring slice of this one) is tried again shortly instead of waited for */
    PGresult *lk = NULL;
    rc = pcs_db_query(db,
                      "SELECT count(*) FILTER (WHERE NOT l) FROM (SELECT pg_try_advisory_xact_lock(727003, hashtext(p)) l"
                      " FROM (SELECT DISTINCT p FROM outbox, unnest(partners) p WHERE outbox_id = ANY($1::bigint[])) x"
                      " ORDER BY hashtext(p)) y",
                      1, idp, &lk, &err);
    if (rc < 0)
        goto fail;
    bool busy = strcmp(PQgetvalue(lk, 0, 0), "0") != 0;
    PQclear(lk);
    if (busy) {
        pcs_db_query(db, "ROLLBACK", 0, NULL, NULL, NULL);
        PQclear(ids);
        PQclear(ps);
        json_decref(changes);
        return 2;
    }
    int np = PQntuples(ps);
    const char **names = calloc((size_t)np + 1, sizeof *names);
    if (!names) {
        rc = pcs_err_set(&err, PCS_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    for (int i = 0; i < np; i++)
        names[i] = PQgetvalue(ps, i, 0);
    int32_t d = today(s);
    pcs_fscope_t sc = {.as_of = d, .partners = names, .n_partners = np, .rule_sets = s->rule_names,
                       .n_rule_sets = s->n_rules};
    if (!(fs = pcs_fstream_open(db, &sc, s->eng, s->n_rules, &err)))
        rc = -1;
    free(names);
    int scored = 0;
    while (rc == 0) {
        const char *partner;
        int n = pcs_fstream_next(fs, &partner, &err);
        if (n <= 0) {
            rc = n;
            break;
        }
        rc = pcs_score_partner(s->eng, s->n_rules, d, &s->ev_batch, "event", &err);
        scored++;
    }
    pcs_fstream_close(fs);
    fs = NULL;
    if (rc == 0)
        rc = pcs_batch_write(db, &s->ev_batch, changes, &err);
    if (rc == 0)
        rc = pcs_db_query(db, "UPDATE outbox SET processed_at = clock_timestamp() WHERE outbox_id = ANY($1::bigint[])", 1, idp,
                          NULL, &err);
    if (rc == 0)
        rc = pcs_db_query(db, "COMMIT", 0, NULL, NULL, &err);
    if (rc < 0)
        goto fail;
    s->outbox_done += atoll(PQgetvalue(ids, 0, 1));
    s->partners_scored += scored;
    pcs_log(PCS_LOG_INFO, "scorer", "outbox", "%s outbox rows: %d partners rescored, %zu scores changed",
            PQgetvalue(ids, 0, 1), scored, json_array_size(changes));
    PQclear(ids);
    PQclear(ps);
    publish(s, changes);
    json_decref(changes);
    return 1;
fail:
    pcs_fstream_close(fs);
    pcs_batch_reset(&s->ev_batch);
    set_error(s, "outbox", &err);
    pcs_db_query(db, "ROLLBACK", 0, NULL, NULL, NULL);
    PQclear(ids);
    PQclear(ps);
    json_decref(changes);
    return -1;
}

/* One read of the outbox per turn of the loop (at most EVENT_PARTNERS_MAX partners scored), so
 * control requests and signals are served between them. */
static void drain_outbox(scorer_t *s)
{
    if (s->stopping)
        return;
    int rc = drain_once(s);
    if (rc < 0)
        backoff(s);
    else if (rc == 1)
        schedule_drain(s, 0);   /* more may be pending: the next turn of the loop */
    else if (rc == 2)
        schedule_drain(s, 250);
}

static void on_hint_timer(uv_timer_t *t)
{
    drain_outbox(t->data);
}

static void schedule_drain(scorer_t *s, uint64_t delay)
{
    if (!s->stopping && !uv_is_active((uv_handle_t *)&s->hint_timer))
        uv_timer_start(&s->hint_timer, on_hint_timer, delay, 0);
}

static void on_retry(uv_timer_t *t)
{
    scorer_t *s = t->data;
    schedule_drain(s, 0);
    start_work(s);
}

static void backoff(scorer_t *s)
{
    s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : 250;
    if (s->backoff_ms > 30000)
        s->backoff_ms = 30000;
    if (!s->stopping)
        uv_timer_start(&s->retry_timer, on_retry, s->backoff_ms, 0);
}

/* ---- runs created elsewhere ------------------------------------------------------------------------ */

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void listen_drop(scorer_t *s)
{
    if (s->ln_poll) {
        uv_close((uv_handle_t *)s->ln_poll, free_handle);
        s->ln_poll = NULL;
    }
    PQfinish(s->ln);
    s->ln = NULL;
}

/* A run created by any scorer (or by `pcs refresh` through another one) is announced with NOTIFY
 * pcs_refresh in its transaction: every scorer starts taking its slices at once. */
static void on_listen(uv_poll_t *h, int status, int events)
{
    (void)events;
    scorer_t *s = h->data;
    if (status < 0 || PQconsumeInput(s->ln) != 1) {
        listen_drop(s);   /* reconnected on the next tick */
        return;
    }
    bool any = false;
    PGnotify *n;
    while ((n = PQnotifies(s->ln))) {
        PQfreemem(n);
        any = true;
    }
    if (any)
        start_work(s);
}

static void listen_ensure(scorer_t *s)
{
    if (s->ln && PQstatus(s->ln) == CONNECTION_OK)
        return;
    listen_drop(s);
    pcs_err_t err = {0};
    if (!pcs_db_ensure(&s->ln, s->cfg.db, "scorer"))
        return;
    if (pcs_db_query(s->ln, "LISTEN pcs_refresh", 0, NULL, NULL, &err) < 0 || !(s->ln_poll = malloc(sizeof *s->ln_poll))) {
        PQfinish(s->ln);
        s->ln = NULL;
        return;
    }
    uv_poll_init(s->loop, s->ln_poll, PQsocket(s->ln));
    s->ln_poll->data = s;
    uv_poll_start(s->ln_poll, UV_READABLE, on_listen);
}

static void on_tick(uv_timer_t *t)
{
    scorer_t *s = t->data;
    listen_ensure(s);
    check_monthly(s);
    schedule_drain(s, 0);
    start_work(s);
}

/* ---- ZeroMQ --------------------------------------------------------------------------------------- */

/* A hint only says "look at the outbox"; a burst is coalesced into one read. */
static void on_pull(pcs_zsock_t *z, const pcs_zmsg_t *m, void *arg)
{
    (void)z;
    scorer_t *s = arg;
    if (m->error)
        pcs_log(PCS_LOG_WARN, "scorer", "pull", "dropped a malformed hint: %s", m->error);
    else if (strcmp(m->env->type, "data.changed") == 0 || strcmp(m->env->type, "cert.changed") == 0)
        schedule_drain(s, (uint64_t)s->cfg.coalesce_ms);
    else
        pcs_log(PCS_LOG_WARN, "scorer", "pull", "dropped a hint of type %s", m->env->type);
}

static void reply_json(scorer_t *s, json_t *o)
{
    char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (!s->ctl)
        ;   /* draining: the socket is gone */
    else if (txt)
        pcs_zsock_send(s->ctl, txt, strlen(txt), 0);
    else
        pcs_zsock_send(s->ctl, "{\"ok\":false,\"error\":\"out of memory\"}", 36, 0);
    free(txt);
    json_decref(o);
}

static json_t *fail_reply(const char *msg)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* status: the counters in hand, then the database's counts (asynchronously) */
static void status_done(PGresult *r, const pcs_err_t *err, void *arg)
{
    (void)err;
    scorer_t *s = arg;
    json_t *o = json_pack("{s:b, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:b, s:s}", "ok", 1, "worker", s->worker, "pid",
                          (int)getpid(), "uptime_s", (json_int_t)(time(NULL) - s->started), "partners_scored",
                          (json_int_t)s->partners_scored, "changes_published", (json_int_t)s->changes_published,
                          "outbox_rows_done", (json_int_t)s->outbox_done, "slices_done", (json_int_t)s->slices_done,
                          "database", r != NULL, "last_error", s->last_error);
    json_t *rs = json_array();
    for (int i = 0; i < s->n_rules; i++)
        json_array_append_new(rs, json_string(s->rule_names[i]));
    json_object_set_new(o, "rule_sets", rs);
    char day[16];
    json_object_set_new(o, "today", json_string(pcs_day_format(today(s), day)));
    if (s->sl.active)
        json_object_set_new(o, "slice", json_pack("{s:I, s:i, s:s}", "run_id", (json_int_t)s->sl.run_id, "slice",
                                                  s->sl.slice, "as_of", pcs_day_format(s->sl.as_of, day)));
    if (r) {
        json_object_set_new(o, "outbox_pending", json_integer(atoll(PQgetvalue(r, 0, 0))));
        json_object_set_new(o, "slices_open", json_integer(atoll(PQgetvalue(r, 0, 1))));
    }
    reply_json(s, o);
}

/* rescore: persist first, the request is an outbox row, done by whichever scorer claims it */
static void rescore_done(PGresult *r, const pcs_err_t *err, void *arg)
{
    scorer_t *s = arg;
    if (!r) {
        reply_json(s, fail_reply(err->msg));
        return;
    }
    reply_json(s, json_pack("{s:b, s:I}", "ok", 1, "outbox_id", (json_int_t)strtoll(PQgetvalue(r, 0, 0), NULL, 10)));
    schedule_drain(s, 0);
}

/* The answer now, or NULL when a query answers later. */
static json_t *handle_control(scorer_t *s, const char *data, size_t len)
{
    json_error_t je;
    json_t *req = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    json_t *out = NULL;
    pcs_err_t err = {0};
    if (!json_is_object(req) || !cmd) {
        out = fail_reply("expected {\"cmd\": \"refresh\" | \"rescore\" | \"status\", ...}");
    } else if (strcmp(cmd, "status") == 0) {
        if (pcs_pgasync_query(s->ctl_db,
                              "SELECT (SELECT count(*) FROM outbox WHERE processed_at IS NULL),"
                              " (SELECT count(*) FROM refresh_slices WHERE done_at IS NULL)",
                              0, NULL, status_done, s) < 0)
            out = fail_reply("out of memory");
    } else if (strcmp(cmd, "refresh") == 0) {
        const char *as = json_string_value(json_object_get(req, "as_of"));
        int32_t d = today(s);
        int slices = 0;
        if (as && pcs_day_parse(as, &d) < 0) {
            out = fail_reply("as_of: expected YYYY-MM-DD");
        } else {
            long long run = create_run(s, d, "manual", &slices, &err);
            char day[16];
            out = run > 0 ? json_pack("{s:b, s:I, s:s, s:i}", "ok", 1, "run_id", (json_int_t)run, "as_of",
                                      pcs_day_format(d, day), "slices", slices)
                          : fail_reply(err.code ? err.msg : "refresh not created");
            start_work(s);
        }
    } else if (strcmp(cmd, "rescore") == 0) {
        const char *p = json_string_value(json_object_get(req, "partner_id"));
        const char *prm[1] = {p};
        if (!p || !*p)
            out = fail_reply("partner_id: expected a non-empty string");
        else if (pcs_pgasync_query(s->ctl_db, "INSERT INTO outbox (kind, partners) VALUES ('rescore', ARRAY[$1]) RETURNING outbox_id",
                                   1, prm, rescore_done, s) < 0)
            out = fail_reply("out of memory");
    } else {
        out = fail_reply("unknown cmd");
    }
    json_decref(req);
    return out;
}

static void on_control(pcs_zsock_t *z, const pcs_zmsg_t *m, void *arg)
{
    (void)z;
    scorer_t *s = arg;
    json_t *out = m->error ? fail_reply("one frame per request") : handle_control(s, m->frames[0].data, m->frames[0].len);
    if (out)
        reply_json(s, out);
}

/* ---- the daemon ----------------------------------------------------------------------------------- */

static int validate(const void *cfg, pcs_err_t *err)
{
    const config_t *c = cfg;
    int32_t d;
    if (c->today[0] && pcs_day_parse(c->today, &d) < 0)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "today: expected YYYY-MM-DD");
    return 0;
}

static int start(pcs_daemon_t *d, void *app)
{
    scorer_t *s = app;
    if (load_rules(s, &s->cfg) < 0)
        return 2;
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    if (s->cfg.worker[0])
        snprintf(s->worker, sizeof s->worker, "%.255s", s->cfg.worker);
    else
        snprintf(s->worker, sizeof s->worker, "%.127s:%ld", host, (long)getpid());
    s->started = time(NULL);
    s->loop = pcs_daemon_loop(d);
    void *z = pcs_daemon_zctx(d);
    int64_t max = s->cfg.common.zmq_max_msg_bytes;
    const char *keys = s->cfg.common.curve_keys_dir;
    pcs_zsock_opts_t po = {.type = ZMQ_PULL, .connect = s->cfg.pull_endpoint, .max_msg_bytes = max, .frames = 1,
                           .envelope_frame = 1, .curve_dir = keys, .curve_self = "scorer", .curve_server = "ingest"};
    pcs_zsock_opts_t co = {.type = ZMQ_REP, .bind = s->cfg.control_endpoint, .max_msg_bytes = max, .frames = 1,
                           .curve_dir = keys, .curve_self = "scorer"};
    pcs_zsock_opts_t uo = {.type = ZMQ_PUB, .bind = s->cfg.pub_endpoint, .hwm = 100000, .curve_dir = keys,
                           .curve_self = "scorer"};
    pcs_err_t err = {0};
    if (!(s->pull = pcs_zsock_new(s->loop, z, &po, on_pull, s, &err)) ||
        !(s->ctl = pcs_zsock_new(s->loop, z, &co, on_control, s, &err)) ||
        !(s->pub = pcs_zsock_new(s->loop, z, &uo, NULL, NULL, &err))) {
        pcs_log(PCS_LOG_ERROR, "scorer", "main", "%s", err.msg);
        return 1;
    }
    if (!(s->ctl_db = pcs_pgasync_new(s->loop, s->cfg.db, "scorer")))
        return 1;
    uv_timer_init(s->loop, &s->tick);
    uv_timer_init(s->loop, &s->hint_timer);
    uv_timer_init(s->loop, &s->retry_timer);
    uv_idle_init(s->loop, &s->work);
    s->tick.data = s->hint_timer.data = s->retry_timer.data = s->work.data = s;
    /* on start: the monthly check, the outbox and any open slice; then on the timer */
    uv_timer_start(&s->tick, on_tick, 0, (uint64_t)s->cfg.outbox_poll_ms);
    return 0;
}

static void describe(void *app, char *buf, size_t n)
{
    scorer_t *s = app;
    snprintf(buf, n, "as %s: rule sets %s, pull %s, control %s, pub %s, refresh day %lld", s->worker, s->cfg.rule_sets,
             s->cfg.pull_endpoint, s->cfg.control_endpoint, s->cfg.pub_endpoint, (long long)s->cfg.refresh_day);
}

static void reload(pcs_daemon_t *d, void *app, const bool *changed)
{
    (void)d;
    scorer_t *s = app;
    /* the slice in hand commits what it has and is resumed with the new rules */
    if (s->sl.active && s->batch.partners > 0)
        flush_slice(s, false);
    abandon_slice(s);
    if (load_rules(s, &s->cfg) < 0) {
        pcs_log(PCS_LOG_ERROR, "scorer", "config", "rule sets not reloaded (keeping the running ones)");
        start_work(s);
        return;
    }
    if (pcs_config_changed(config_keys, N_KEYS, changed, "db")) {
        listen_drop(s);
        PQfinish(s->rd);
        PQfinish(s->wr);
        PQfinish(s->ev);
        s->rd = s->wr = s->ev = NULL;
        pcs_pgasync_set_conninfo(s->ctl_db, s->cfg.db);
    }
    uv_timer_set_repeat(&s->tick, (uint64_t)s->cfg.outbox_poll_ms);
    pcs_log(PCS_LOG_INFO, "scorer", "config", "reloaded (%d rule sets)", s->n_rules);
    start_work(s);
}

static void drain(pcs_daemon_t *d, void *app)
{
    (void)d;
    scorer_t *s = app;
    pcs_log(PCS_LOG_INFO, "scorer", "main", "finishing the partner in hand and exiting");
    s->stopping = true;
    if (s->sl.active && s->batch.partners > 0 && flush_slice(s, false) < 0)
        pcs_log(PCS_LOG_WARN, "scorer", "main", "last batch not committed; the slice resumes from its cursor");
    abandon_slice(s);
    listen_drop(s);
    pcs_pgasync_destroy(&s->ctl_db);   /* a status in flight is answered "closed" */
    pcs_zsock_destroy(&s->pull);
    pcs_zsock_destroy(&s->ctl);
    uv_handle_t *hs[] = {(uv_handle_t *)&s->tick, (uv_handle_t *)&s->hint_timer, (uv_handle_t *)&s->retry_timer,
                         (uv_handle_t *)&s->work};
    pcs_daemon_close_handles(hs, sizeof hs / sizeof *hs);
}

static void stop(void *app)
{
    scorer_t *s = app;
    pcs_pgasync_destroy(&s->ctl_db);
    pcs_zsock_destroy(&s->pull);
    pcs_zsock_destroy(&s->ctl);
    pcs_zsock_destroy(&s->pub);
    PQfinish(s->rd);
    PQfinish(s->wr);
    PQfinish(s->ev);
    pcs_batch_free(&s->batch);
    free(s->msg.s);
    pcs_batch_free(&s->ev_batch);
    free_rules(s);
}

/* --stream-facts / --score-facts: what a refresh does minus the writes, for the benchmarks: the
 * facts of every partner as of the date, streamed slice by slice (slice_partners each) as a refresh
 * reads them, in one process. With DATE:I/N only the slices k with k mod N = I: N such processes
 * at once read what N scorers sharing a refresh read. */
static int stream_facts(scorer_t *s, const char *arg, bool score)
{
    int32_t d;
    pcs_err_t err = {0};
    PGresult *b = NULL;
    char as_of[16] = "";
    int share = 0, shares = 1, date_len = 0, tail_len = 0;
    bool ok = sscanf(arg, "%10[0-9-]%n", as_of, &date_len) == 1;
    const char *tail = arg + date_len;   /* "" or ":I/N" */
    if (ok && *tail)
        ok = sscanf(tail, ":%d/%d%n", &share, &shares, &tail_len) == 2 && tail[tail_len] == '\0' && shares >= 1 &&
             share >= 0 && share < shares;
    if (load_rules(s, &s->cfg) < 0)
        return 2;
    PGconn *db = pcs_db_connect(s->cfg.db, &err);
    if (!ok || pcs_day_parse(as_of, &d) < 0 || !db) {
        fprintf(stderr, "pcs-scorer: --stream-facts: %s\n", db ? "expected YYYY-MM-DD or YYYY-MM-DD:I/N" : err.msg);
        PQfinish(db);
        free_rules(s);
        return 2;
    }
    double t0 = mono_s();
    char size[32];
    snprintf(size, sizeof size, "%lld", (long long)s->cfg.slice_partners);
    const char *q[1] = {size};
    int rc = pcs_db_query(db, SLICES("1") " SELECT lo FROM f ORDER BY k", 1, q, &b, &err);
    long long partners = 0, rows = 0;
    static const pcs_score_opts_t opts = {0};
    for (int k = share; rc == 0 && k < (PQntuples(b) ? PQntuples(b) : 1); k += shares) {
        pcs_fscope_t sc = {.as_of = d,
                           .lo = k > 0 ? PQgetvalue(b, k, 0) : NULL,
                           .hi = k + 1 < PQntuples(b) ? PQgetvalue(b, k + 1, 0) : NULL,
                           .rule_sets = s->rule_names,
                           .n_rule_sets = s->n_rules,
                           .snapshot = true};   /* read as a refresh slice reads */
        pcs_fstream_t *fs = pcs_fstream_open(db, &sc, s->eng, s->n_rules, &err);
        const char *partner;
        rc = fs ? 0 : -1;
        while (rc == 0 && (rc = pcs_fstream_next(fs, &partner, &err)) == 1) {
            partners++;
            rc = 0;
            for (int i = 0; score && i < s->n_rules; i++)
                if (!pcs_engine_score(s->eng[i], d, &opts))
                    rc = pcs_err_set(&err, PCS_ENOMEM, 0, 0, "out of memory");
        }
        rows += fs ? pcs_fstream_rows(fs) : 0;
        pcs_fstream_close(fs);
    }
    PQclear(b);
    PQfinish(db);
    free_rules(s);
    if (rc < 0) {
        fprintf(stderr, "pcs-scorer: --stream-facts: %s\n", err.msg);
        return 1;
    }
    printf("%lld partners, %lld fact rows, %.3f s%s\n", partners, rows, mono_s() - t0, score ? ", scored" : "");
    return 0;
}

/* --print-facts-sql: the statements that stream the facts (for EXPLAIN); the argument is ignored */
static int print_facts_sql(void *app, const char *arg)
{
    (void)app;
    (void)arg;
    printf("%s;\n-- then, for a range of partners (a refresh slice):\n%s;\n-- a range open at the end:\n%s;\n"
           "-- or a list of partners:\n%s;\n",
           pcs_facts_scope_sql, pcs_facts_range_sql, pcs_facts_open_sql, pcs_facts_list_sql);
    return 0;
}

static int stream_only(void *app, const char *as_of)
{
    return stream_facts(app, as_of, false);
}

static int stream_and_score(void *app, const char *as_of)
{
    return stream_facts(app, as_of, true);
}

static const pcs_daemon_action_t actions[] = {
    {"print-facts-sql", "-  print the statements that stream the facts (for EXPLAIN), and exit", print_facts_sql},
    {"stream-facts", "DATE  stream the facts of every partner as of DATE as a refresh reads them, print\n"
                     "                       partners, rows and seconds, and exit (benchmarks; nothing is written);\n"
                     "                       DATE:I/N reads only the slices k with k mod N = I (N processes at once\n"
                     "                       read what N scorers sharing a refresh read)",
     stream_only},
    {"score-facts", "DATE  the same, and score every partner with the engines (nothing is written)", stream_and_score},
};

static const pcs_daemon_spec_t spec = {
    .name = "scorer",
    .summary = "Scores every partner from the facts pcs-ingest stored: the monthly refresh on refresh_day, a\n"
               "partner within a second of a certification or association change (the outbox, hinted over\n"
               "ZeroMQ), and refreshes or rescoring asked for with `pcs refresh` / `pcs rescore`. Each score is\n"
               "stored as a snapshot in PostgreSQL and announced as score.updated. Several scorers may share one\n"
               "database: they split refreshes by partner.",
    .signals = "SIGTERM/SIGINT finish the partner in hand, commit and exit (a second one exits at once);\n"
               "SIGHUP reloads the configuration (endpoints and worker need a restart) and the rule sets.",
    PCS_DAEMON_CONFIG(scorer_t, config_keys),
    .actions = actions,
    .n_actions = (int)(sizeof actions / sizeof *actions),
    .validate = validate,
    .start = start, .describe = describe, .reload = reload, .drain = drain, .stop = stop,
};

int main(int argc, char **argv)
{
    static scorer_t sc;
    pcs_jpool_install();   /* before any jansson value */
    return pcs_daemon_main(&spec, &sc, argc, argv);
}
