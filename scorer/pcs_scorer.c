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
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "pcs_config.h"
#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_envelope.h"
#include "pcs_log.h"
#include "pcs_refresh.h"

typedef struct config {
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

static const pcs_cfg_key_t config_keys[] = {
    {"db", PCS_CFG_STRING, "", 0, 0, offsetof(config_t, db)},
    {"pull_endpoint", PCS_CFG_STRING, "tcp://127.0.0.1:5602", 0, 0, offsetof(config_t, pull_endpoint)},
    {"control_endpoint", PCS_CFG_STRING, "tcp://127.0.0.1:5603", 0, 0, offsetof(config_t, control_endpoint)},
    {"pub_endpoint", PCS_CFG_STRING, "tcp://127.0.0.1:5604", 0, 0, offsetof(config_t, pub_endpoint)},
    {"rule_sets", PCS_CFG_STRING, "pcs-2026", 0, 0, offsetof(config_t, rule_sets)},
    {"today", PCS_CFG_STRING, "", 0, 0, offsetof(config_t, today)},
    {"worker", PCS_CFG_STRING, "", 0, 0, offsetof(config_t, worker)},
    {"refresh_day", PCS_CFG_INT, "20", 0, 28, offsetof(config_t, refresh_day)},
    {"slice_partners", PCS_CFG_INT, "2000", 1, 100000000, offsetof(config_t, slice_partners)},
    {"batch_partners", PCS_CFG_INT, "250", 1, 100000, offsetof(config_t, batch_partners)},
    {"outbox_poll_ms", PCS_CFG_INT, "60000", 50, 3600000, offsetof(config_t, outbox_poll_ms)},
    {"coalesce_ms", PCS_CFG_INT, "50", 0, 60000, offsetof(config_t, coalesce_ms)},
};
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
    double started, write_s;    /* wall time since the slice was taken, of it spent committing */
    bool wp_active;             /* a commit in flight: its partners and last partner */
    int wp_partners;
    char wp_last[512];
    long long partners, rows;
} slice_t;

typedef struct scorer {
    config_t cfg;
    const char *config_path;
    char worker[300];
    uv_loop_t *loop;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t tick, hint_timer, retry_timer;
    uv_idle_t work;
    uv_poll_t pull_poll, ctl_poll;
    void *zctx, *pull, *ctl, *pub;
    PGconn *rd, *wr, *ev;
    pcs_rules_t *rules[PCS_MAX_RULESETS];
    pcs_engine_t *eng[PCS_MAX_RULESETS];
    const char *rule_names[PCS_MAX_RULESETS];
    int n_rules;
    slice_t sl;
    pcs_batch_t batch, ev_batch;
    bool stopping, working, reload_pending;
    int terms;
    unsigned backoff_ms;
    unsigned long msgs;
    time_t started;
    long long partners_scored, changes_published, outbox_done, slices_done;
    char last_error[600];
} scorer_t;

static const char usage_text[] =
    "usage: pcs-scorer [--config FILE] [--help]\n"
    "\n"
    "Scores every partner from the facts pcs-ingest stored: the monthly refresh on refresh_day, a\n"
    "partner within a second of a certification or association change (the outbox, hinted over\n"
    "ZeroMQ), and refreshes or rescoring asked for with `pcs refresh` / `pcs rescore`. Each score is\n"
    "stored as a snapshot in PostgreSQL and announced as score.updated. Several scorers may share one\n"
    "database: they split refreshes by partner. See deploy/pcs-scorer.conf for every setting.\n"
    "\n"
    "  --config FILE      configuration file (default: built-in defaults, database from PG* variables)\n"
    "  --print-facts-sql DATE  print the COPY statement that streams all facts as of DATE (for\n"
    "                     benchmarks and EXPLAIN), and exit\n"
    "\n"
    "Signals: SIGTERM/SIGINT finish the partner in hand, commit and exit (a second one exits at\n"
    "once), SIGHUP reloads the configuration and the rule sets.\n";

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
        char *msg = pcs_envelope_encode("score.updated", id, NULL, c);
        if (!msg)
            continue;
        /* a slow subscriber never blocks scoring: PUB drops at the high-water mark, the notifier
         * catches up from the snapshots' seq cursor */
        if (zmq_send(s->pub, "score.updated", 13, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 13)
            zmq_send(s->pub, msg, strlen(msg), ZMQ_DONTWAIT);
        free(msg);
        s->changes_published++;
    }
}

/* ---- refresh runs and slices ---------------------------------------------------------------------- */

static void backoff(scorer_t *s);
static void start_work(scorer_t *s);
static void schedule_drain(scorer_t *s, uint64_t delay);
static int write_wait(scorer_t *s);

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
                     "WITH b AS (SELECT partner_id AS p,"
                     "  (row_number() OVER (ORDER BY partner_id) - 1) / $2::bigint AS k FROM partners),"
                     " f AS (SELECT k, min(p) AS lo FROM b GROUP BY k)"
                     " INSERT INTO refresh_slices (run_id, slice, lo, hi)"
                     " SELECT $1::bigint, k::int, CASE WHEN k = 0 THEN NULL ELSE lo END, lead(lo) OVER (ORDER BY k) FROM f"
                     " UNION ALL SELECT $1::bigint, 0, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM partners)",
                     2, q, &r, err) < 0)
        goto fail;
    *slices = atoi(PQcmdTuples(r));
    PQclear(r);
    if (pcs_db_query(db, "COMMIT", 0, NULL, NULL, err) < 0)
        return -1;
    pcs_log(PCS_LOG_INFO, "scorer", "refresh", "%s refresh %lld as of %s: %d slices", kind, run, day, *slices);
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
    pcs_fstream_close(s->sl.fs);
    s->sl.fs = NULL;
    if (s->rd && PQstatus(s->rd) != CONNECTION_OK) {
        PQfinish(s->rd);
        s->rd = NULL;
    }
    unlock_slice(s);
    pcs_batch_reset(&s->batch);
    s->sl.active = false;
}

/* Waits for the slice commit in flight, then publishes its changes and moves the cursor. */
static int write_wait(scorer_t *s)
{
    if (!s->sl.wp_active)
        return 0;
    s->sl.wp_active = false;
    double t0 = mono_s();
    json_t *changes = json_array();
    pcs_err_t err = {0};
    PGresult *r;
    while ((r = PQgetResult(s->wr))) {
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            if (!err.msg[0]) {
                const char *m = PQresultErrorMessage(r);
                pcs_err_set(&err, PCS_EIO, 0, 0, "%.*s", (int)strcspn(m, "\n"), m);
            }
        } else {
            pcs_batch_changes(r, changes);
        }
        PQclear(r);
    }
    if (!err.msg[0] && PQstatus(s->wr) != CONNECTION_OK)
        pcs_err_set(&err, PCS_EIO, 0, 0, "connection lost: %s", PQerrorMessage(s->wr));
    if (err.msg[0]) {
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
    publish(s, changes);
    json_decref(changes);
    s->sl.write_s += mono_s() - t0;
    return 0;
}

static void put_lit(pcs_copybuf_t *b, PGconn *db, const char *v)
{
    char *l = v ? PQescapeLiteral(db, v, strlen(v)) : NULL;
    pcs_copy_put(b, l ? l : "NULL", strlen(l ? l : "NULL"));
    PQfreemem(l);
}

/* Commits the batch and the slice's cursor (and, at the end, the slice and maybe the run) in one
 * transaction. The batch is staged at once; the upserts and the COMMIT are sent without waiting,
 * so the server writes while the next partners are scored (write_wait() collects the outcome). */
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
    char num[96];
    pcs_copybuf_t q = {0};
    int rc = pcs_db_query(db, "BEGIN", 0, NULL, NULL, &err);
    if (rc == 0 && docs)
        rc = pcs_batch_stage(db, &s->batch, &err);
    if (rc == 0) {
        if (docs) {
            pcs_copy_put(&q, pcs_upsert_results_sql, strlen(pcs_upsert_results_sql));
            pcs_copy_put(&q, ";", 1);
            pcs_copy_put(&q, pcs_upsert_snapshots_sql, strlen(pcs_upsert_snapshots_sql));
            pcs_copy_put(&q, ";", 1);
        }
        const char *t = "UPDATE refresh_slices SET done_through = COALESCE(";
        pcs_copy_put(&q, t, strlen(t));
        put_lit(&q, db, partners ? s->sl.last : NULL);
        snprintf(num, sizeof num, ", done_through), partners_done = partners_done + %d, done_at = %s", partners,
                 done ? "now()" : "NULL");
        pcs_copy_put(&q, num, strlen(num));
        snprintf(num, sizeof num, " WHERE run_id = %lld AND slice = %d;", s->sl.run_id, s->sl.slice);
        pcs_copy_put(&q, num, strlen(num));
        if (done) {
            /* the run row is locked first, so of two scorers finishing the last slices the second
             * sees the first's commit and closes the run */
            snprintf(num, sizeof num, "SELECT 1 FROM refresh_runs WHERE run_id = %lld FOR UPDATE;", s->sl.run_id);
            pcs_copy_put(&q, num, strlen(num));
            t = "UPDATE refresh_runs r SET finished_at = now(), partners = (SELECT sum(partners_done)"
                " FROM refresh_slices x WHERE x.run_id = r.run_id) WHERE finished_at IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM refresh_slices x WHERE x.run_id = r.run_id AND done_at IS NULL)"
                " AND run_id = ";
            pcs_copy_put(&q, t, strlen(t));
            snprintf(num, sizeof num, "%lld;", s->sl.run_id);
            pcs_copy_put(&q, num, strlen(num));
        }
        pcs_copy_put(&q, "COMMIT", 7);   /* with the NUL */
        if (q.oom)
            rc = pcs_err_set(&err, PCS_ENOMEM, 0, 0, "out of memory");
        else if (PQsendQuery(db, q.s) != 1)
            rc = pcs_err_set(&err, PCS_EIO, 0, 0, "%s", PQerrorMessage(db));
    }
    free(q.s);
    if (rc < 0) {
        pcs_batch_reset(&s->batch);
        pcs_db_query(db, "ROLLBACK", 0, NULL, NULL, NULL);
        set_error(s, "refresh", &err);
        return -1;
    }
    s->sl.wp_active = true;
    s->sl.wp_partners = partners;
    snprintf(s->sl.wp_last, sizeof s->sl.wp_last, "%s", s->sl.last);
    s->sl.write_s += mono_s() - t0;
    /* at the end of the slice its commit must be known before the slice is let go */
    return done ? write_wait(s) : 0;
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
                         " AND r.run_id = s.run_id RETURNING s.lo, s.hi, s.done_through, r.as_of::text",
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
            got = 1;
        } else {
            s->sl.run_id = run;
            s->sl.slice = atoi(PQgetvalue(r, i, 1));
            unlock_slice(s);
        }
        PQclear(l);
    }
    PQclear(r);
    if (err.msg[0]) {
        set_error(s, "refresh", &err);
        return -1;
    }
    if (!got)
        return 0;
    pcs_fscope_t sc = {.as_of = s->sl.as_of,
                       .lo = s->sl.has_lo ? s->sl.lo : NULL,
                       .hi = s->sl.has_hi ? s->sl.hi : NULL,
                       .after = s->sl.has_after ? s->sl.after : NULL,
                       .rule_sets = s->rule_names,
                       .n_rule_sets = s->n_rules};
    s->sl.active = true;
    s->sl.started = mono_s();
    if (!(s->sl.fs = pcs_fstream_open(rd, &sc, s->eng, s->n_rules, &err))) {
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
    /* a bounded amount of work per turn of the loop, so signals and sockets are served */
    for (int k = 0; k < 64; k++) {
        const char *partner;
        int rc = pcs_fstream_next(s->sl.fs, &partner, &err);
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
            unlock_slice(s);
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

/* Claims pending outbox rows, rescores the partners they name as of today and marks them done, in
 * one transaction. 1: rows were processed (call again); 0: nothing pending; -1: error. */
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
    /* the partners, each locked for the transaction (in one global order: no deadlock between
     * scorers), so two scorers never interleave one partner's facts and snapshots */
    rc = pcs_db_query(db,
                      "SELECT p FROM (SELECT DISTINCT p FROM outbox, unnest(partners) p WHERE outbox_id = ANY($1::bigint[])) x"
                      " ORDER BY hashtext(p), p",
                      1, idp, &ps, &err);
    if (rc == 0)
        rc = pcs_db_query(db,
                          "SELECT pg_advisory_xact_lock(727003, hashtext(p)) FROM (SELECT DISTINCT p FROM outbox,"
                          " unnest(partners) p WHERE outbox_id = ANY($1::bigint[])) x ORDER BY hashtext(p)",
                          1, idp, NULL, &err);
    if (rc < 0)
        goto fail;
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

static void drain_outbox(scorer_t *s)
{
    if (s->stopping)
        return;
    for (int i = 0; i < 50; i++) {
        int rc = drain_once(s);
        if (rc < 0) {
            backoff(s);
            return;
        }
        if (rc == 0)
            return;
    }
    /* more pending: continue on the next turn of the loop */
    schedule_drain(s, 0);
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

static void on_tick(uv_timer_t *t)
{
    scorer_t *s = t->data;
    check_monthly(s);
    schedule_drain(s, 0);
    start_work(s);
}

/* ---- ZeroMQ --------------------------------------------------------------------------------------- */

static bool readable(void *sock)
{
    int ev = 0;
    size_t sz = sizeof ev;
    return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &sz) == 0 && (ev & ZMQ_POLLIN);
}

/* Receives one whole message (all frames); returns the first frame's bytes or NULL. */
static char *recv_msg(void *sock, size_t *len, int *frames)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return NULL;
    }
    *len = zmq_msg_size(&m);
    char *data = malloc(*len + 1);
    if (data) {
        memcpy(data, zmq_msg_data(&m), *len);
        data[*len] = '\0';
    }
    *frames = 1;
    int more = zmq_msg_more(&m);
    zmq_msg_close(&m);
    while (more) {
        zmq_msg_t x;
        zmq_msg_init(&x);
        zmq_msg_recv(&x, sock, 0);
        more = zmq_msg_more(&x);
        zmq_msg_close(&x);
        (*frames)++;
    }
    return data;
}

static void on_pull(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    scorer_t *s = h->data;
    bool any = false;
    while (readable(s->pull)) {
        size_t len = 0;
        int frames = 0;
        char *data = recv_msg(s->pull, &len, &frames);
        if (!data)
            break;
        pcs_envelope_t env;
        pcs_err_t err = {0};
        if (frames != 1)
            pcs_log(PCS_LOG_WARN, "scorer", "pull", "dropped a hint of %d frames", frames);
        else if (pcs_envelope_decode(data, len, &env, &err) < 0)
            pcs_log(PCS_LOG_WARN, "scorer", "pull", "dropped a malformed hint: %s", err.msg);
        else {
            if (strcmp(env.type, "data.changed") == 0 || strcmp(env.type, "cert.changed") == 0)
                any = true;
            else
                pcs_log(PCS_LOG_WARN, "scorer", "pull", "dropped a hint of type %s", env.type);
            pcs_envelope_clear(&env);
        }
        free(data);
    }
    /* a hint only says "look at the outbox"; a burst is coalesced into one read */
    if (any)
        schedule_drain(s, (uint64_t)s->cfg.coalesce_ms);
}

static void reply_json(scorer_t *s, json_t *o)
{
    char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (txt)
        zmq_send(s->ctl, txt, strlen(txt), 0);
    else
        zmq_send(s->ctl, "{\"ok\":false,\"error\":\"out of memory\"}", 36, 0);
    free(txt);
    json_decref(o);
}

static json_t *fail_reply(const char *msg)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *status_reply(scorer_t *s)
{
    json_t *o = json_pack("{s:b, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:b, s:s}", "ok", 1, "worker", s->worker, "pid",
                          (int)getpid(), "uptime_s", (json_int_t)(time(NULL) - s->started), "partners_scored",
                          (json_int_t)s->partners_scored, "changes_published", (json_int_t)s->changes_published,
                          "outbox_rows_done", (json_int_t)s->outbox_done, "slices_done", (json_int_t)s->slices_done,
                          "database", pcs_db_ensure(&s->ev, s->cfg.db, "scorer") != NULL, "last_error", s->last_error);
    json_t *rs = json_array();
    for (int i = 0; i < s->n_rules; i++)
        json_array_append_new(rs, json_string(s->rule_names[i]));
    json_object_set_new(o, "rule_sets", rs);
    char day[16];
    json_object_set_new(o, "today", json_string(pcs_day_format(today(s), day)));
    if (s->sl.active)
        json_object_set_new(o, "slice", json_pack("{s:I, s:i, s:s}", "run_id", (json_int_t)s->sl.run_id, "slice",
                                                  s->sl.slice, "as_of", pcs_day_format(s->sl.as_of, day)));
    PGresult *r;
    if (s->ev && PQstatus(s->ev) == CONNECTION_OK &&
        pcs_db_query(s->ev,
                     "SELECT (SELECT count(*) FROM outbox WHERE processed_at IS NULL),"
                     " (SELECT count(*) FROM refresh_slices WHERE done_at IS NULL)",
                     0, NULL, &r, NULL) == 0) {
        json_object_set_new(o, "outbox_pending", json_integer(atoll(PQgetvalue(r, 0, 0))));
        json_object_set_new(o, "slices_open", json_integer(atoll(PQgetvalue(r, 0, 1))));
        PQclear(r);
    }
    return o;
}

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
        out = status_reply(s);
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
                          : fail_reply(err.msg[0] ? err.msg : "refresh not created");
            start_work(s);
        }
    } else if (strcmp(cmd, "rescore") == 0) {
        const char *p = json_string_value(json_object_get(req, "partner_id"));
        PGconn *db = pcs_db_ensure(&s->ev, s->cfg.db, "scorer");
        PGresult *r;
        const char *prm[1] = {p};
        /* persist first: the request is an outbox row, done by whichever scorer claims it */
        if (!p || !*p) {
            out = fail_reply("partner_id: expected a non-empty string");
        } else if (!db || pcs_db_query(db, "INSERT INTO outbox (kind, partners) VALUES ('rescore', ARRAY[$1]) RETURNING outbox_id",
                                       1, prm, &r, &err) < 0) {
            out = fail_reply(db ? err.msg : "no database");
        } else {
            out = json_pack("{s:b, s:I}", "ok", 1, "outbox_id", (json_int_t)strtoll(PQgetvalue(r, 0, 0), NULL, 10));
            PQclear(r);
            schedule_drain(s, 0);
        }
    } else {
        out = fail_reply("unknown cmd");
    }
    json_decref(req);
    return out;
}

static void on_control(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    scorer_t *s = h->data;
    while (readable(s->ctl)) {
        size_t len = 0;
        int frames = 0;
        char *data = recv_msg(s->ctl, &len, &frames);
        if (!data)
            break;
        reply_json(s, frames == 1 ? handle_control(s, data, len) : fail_reply("one frame per request"));
        free(data);
    }
}

/* ---- signals ---------------------------------------------------------------------------------------- */

static void close_handles(scorer_t *s)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&s->tick,      (uv_handle_t *)&s->hint_timer, (uv_handle_t *)&s->retry_timer,
                         (uv_handle_t *)&s->work,      (uv_handle_t *)&s->pull_poll,  (uv_handle_t *)&s->ctl_poll,
                         (uv_handle_t *)&s->sighup,    (uv_handle_t *)&s->sigterm,    (uv_handle_t *)&s->sigint};
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], NULL);
}

static void on_term(uv_signal_t *sig, int signum)
{
    scorer_t *s = sig->data;
    if (++s->terms > 1)
        _exit(1);   /* second signal: at once (an open transaction dies with the connection) */
    pcs_log(PCS_LOG_INFO, "scorer", "main", "signal %d: finishing the partner in hand and exiting", signum);
    s->stopping = true;
    if (s->sl.active && s->batch.partners > 0 && flush_slice(s, false) < 0)
        pcs_log(PCS_LOG_WARN, "scorer", "main", "last batch not committed; the slice resumes from its cursor");
    abandon_slice(s);
    close_handles(s);
}

static void on_hup(uv_signal_t *sig, int signum)
{
    (void)signum;
    scorer_t *s = sig->data;
    config_t fresh;
    pcs_err_t err = {0};
    if (pcs_config_load(s->config_path, config_keys, N_KEYS, &fresh, &err) < 0) {
        pcs_log(PCS_LOG_ERROR, "scorer", "config", "%s:%d: %s (keeping the running configuration)",
                s->config_path ? s->config_path : "-", err.line, err.msg);
        return;
    }
    /* the slice in hand commits what it has and is resumed with the new rules */
    if (s->sl.active && s->batch.partners > 0)
        flush_slice(s, false);
    abandon_slice(s);
    if (load_rules(s, &fresh) < 0) {
        pcs_log(PCS_LOG_ERROR, "scorer", "config", "rule sets not reloaded (keeping the running ones)");
        start_work(s);
        return;
    }
    /* endpoints need a restart; everything else takes effect now */
    bool db_changed = strcmp(fresh.db, s->cfg.db) != 0;
    config_t old = s->cfg;
    s->cfg = fresh;
    memcpy(s->cfg.pull_endpoint, old.pull_endpoint, sizeof old.pull_endpoint);
    memcpy(s->cfg.control_endpoint, old.control_endpoint, sizeof old.control_endpoint);
    memcpy(s->cfg.pub_endpoint, old.pub_endpoint, sizeof old.pub_endpoint);
    if (db_changed) {
        PQfinish(s->rd);
        PQfinish(s->wr);
        PQfinish(s->ev);
        s->rd = s->wr = s->ev = NULL;
    }
    uv_timer_set_repeat(&s->tick, (uint64_t)s->cfg.outbox_poll_ms);
    pcs_log(PCS_LOG_INFO, "scorer", "config", "reloaded (%d rule sets)", s->n_rules);
    start_work(s);
}

/* ---- main ------------------------------------------------------------------------------------------- */

static int watch_socket(scorer_t *s, void *sock, uv_poll_t *p, uv_poll_cb cb)
{
    int fd;
    size_t sz = sizeof fd;
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &sz) < 0)
        return -1;
    uv_poll_init(s->loop, p, fd);
    p->data = s;
    return uv_poll_start(p, UV_READABLE, cb);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
                                         {"print-facts-sql", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
    static scorer_t sc;
    scorer_t *s = &sc;
    const char *facts_as_of = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') {
            s->config_path = optarg;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return 0;
        } else if (c == 'p') {
            facts_as_of = optarg;
        } else {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    pcs_err_t err = {0};
    if (pcs_config_load(s->config_path, config_keys, N_KEYS, &s->cfg, &err) < 0) {
        fprintf(stderr, "pcs-scorer: %s:%d: %s\n", s->config_path, err.line, err.msg);
        return 2;
    }
    int32_t d;
    if (s->cfg.today[0] && pcs_day_parse(s->cfg.today, &d) < 0) {
        fprintf(stderr, "pcs-scorer: %s: today: expected YYYY-MM-DD\n", s->config_path);
        return 2;
    }
    if (load_rules(s, &s->cfg) < 0)
        return 2;
    if (facts_as_of) {
        /* the statement of a refresh in one slice, for benchmarks and EXPLAIN */
        int32_t fd;
        PGconn *db = pcs_db_connect(s->cfg.db, &err);
        if (pcs_day_parse(facts_as_of, &fd) < 0 || !db) {
            fprintf(stderr, "pcs-scorer: --print-facts-sql: %s\n", db ? "expected YYYY-MM-DD" : err.msg);
            PQfinish(db);
            return 2;
        }
        pcs_fscope_t fsc = {.as_of = fd, .rule_sets = s->rule_names, .n_rule_sets = s->n_rules};
        char *sql = pcs_facts_sql(db, &fsc);
        puts(sql ? sql : "");
        free(sql);
        PQfinish(db);
        free_rules(s);
        return sql ? 0 : 1;
    }
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    if (s->cfg.worker[0])
        snprintf(s->worker, sizeof s->worker, "%.255s", s->cfg.worker);
    else
        snprintf(s->worker, sizeof s->worker, "%.127s:%ld", host, (long)getpid());
    s->started = time(NULL);

    s->loop = uv_default_loop();
    s->zctx = zmq_ctx_new();
    s->pull = zmq_socket(s->zctx, ZMQ_PULL);
    s->ctl = zmq_socket(s->zctx, ZMQ_REP);
    s->pub = zmq_socket(s->zctx, ZMQ_PUB);
    int zero = 0, hwm = 100000;
    zmq_setsockopt(s->pull, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->ctl, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_connect(s->pull, s->cfg.pull_endpoint) < 0 || zmq_bind(s->ctl, s->cfg.control_endpoint) < 0 ||
        zmq_bind(s->pub, s->cfg.pub_endpoint) < 0) {
        pcs_log(PCS_LOG_ERROR, "scorer", "main", "cannot connect %s / bind %s, %s: %s", s->cfg.pull_endpoint,
                s->cfg.control_endpoint, s->cfg.pub_endpoint, zmq_strerror(errno));
        return 1;
    }
    watch_socket(s, s->pull, &s->pull_poll, on_pull);
    watch_socket(s, s->ctl, &s->ctl_poll, on_control);
    uv_timer_init(s->loop, &s->tick);
    uv_timer_init(s->loop, &s->hint_timer);
    uv_timer_init(s->loop, &s->retry_timer);
    uv_idle_init(s->loop, &s->work);
    s->tick.data = s->hint_timer.data = s->retry_timer.data = s->work.data = s;
    /* on start: the monthly check, the outbox and any open slice; then on the timer */
    uv_timer_start(&s->tick, on_tick, 0, (uint64_t)s->cfg.outbox_poll_ms);

    uv_signal_init(s->loop, &s->sigterm);
    uv_signal_init(s->loop, &s->sigint);
    uv_signal_init(s->loop, &s->sighup);
    s->sigterm.data = s->sigint.data = s->sighup.data = s;
    uv_signal_start(&s->sigterm, on_term, SIGTERM);
    uv_signal_start(&s->sigint, on_term, SIGINT);
    uv_signal_start(&s->sighup, on_hup, SIGHUP);
    signal(SIGPIPE, SIG_IGN);

    pcs_log(PCS_LOG_INFO, "scorer", "main",
            "started pcs-scorer %s as %s: rule sets %s, pull %s, control %s, pub %s, refresh day %lld", PCS_VERSION,
            s->worker, s->cfg.rule_sets, s->cfg.pull_endpoint, s->cfg.control_endpoint, s->cfg.pub_endpoint,
            (long long)s->cfg.refresh_day);
    uv_run(s->loop, UV_RUN_DEFAULT);

    zmq_close(s->pull);
    zmq_close(s->ctl);
    zmq_close(s->pub);
    zmq_ctx_term(s->zctx);
    PQfinish(s->rd);
    PQfinish(s->wr);
    PQfinish(s->ev);
    pcs_batch_free(&s->batch);
    pcs_batch_free(&s->ev_batch);
    free_rules(s);
    uv_loop_close(s->loop);
    pcs_log(PCS_LOG_INFO, "scorer", "main", "stopped");
    return 0;
}
