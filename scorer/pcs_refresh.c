#include "pcs_refresh.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcs_date.h"
#include "pcs_jpool.h"
#include "pcs_log.h"
#include "pcs_result_json.h"
#include "pcs_usage.h"

/* ---- the facts query ------------------------------------------------------------------------------ */

/* The statements are fixed text: the scope travels as parameters of pcs_facts_scope_sql, which
 * puts them into session settings (pcs.facts_*) that the COPY reads with current_setting(), as
 * COPY takes no parameters. Each fact table is read once for the scope, through its key (every key
 * starts with partner_id); a partner's usage is one row per tenant, the tenant's packed usage
 * (sql/0012) kept by partner in usage_by_partner (sql/0018), one range of its key for the slice
 * instead of an index lookup in usage_packed per tenant; the other keys carry the columns read here
 * (sql/0019), so those branches are index-only scans. The rows come in
 * partner order (ORDER BY partner_id, the collation the slice bounds and the cursor compare in),
 * and the plan produces that order without sorting: every branch reads its table through a key
 * that starts with partner_id, and a Merge Append interleaves the branches. So the client holds
 * one partner's rows at a time and scores a partner while the server reads the next. Every column
 * is text and the COPY is binary: each value goes out as its bytes, not escaped (split).
 *
 * The shape matters to the planner (PostgreSQL 15): the scope is one condition on the whole union,
 * which it pushes into every branch; a branch with a join or a filter of its own carries its own
 * ORDER BY partner_id (its index order, no sort), without which the planner sorts the union. The
 * session settings of the stream (stream_set_sql) price sorts, hashes and sequential scans out.
 * (Until issue 13 the query looked up every partner's facts one partner at a time, LATERAL, and the
 * server sorted the scope's rows: 1 s of a 10,000-partner stream's 2.4 s; then for a while the rows
 * came unordered and the client grouped them, holding up to a thousand partners' rows.) Seqscans
 * stay off because right after a bulk load the statistics still say "empty", and a plan built on
 * them scanned whole tables once per partner (issue 18.8). The usage months outside the scope's
 * window are dropped by the client. */

/* the scope: a slice lo <= p < hi after the cursor, the same without an upper bound, or a list of
 * partners after the cursor */
#define SCOPE_RANGE "partner_id >= current_setting('pcs.facts_lo') AND partner_id > current_setting('pcs.facts_after')"
#define SCOPE_RANGE_HI SCOPE_RANGE " AND partner_id < current_setting('pcs.facts_hi')"
#define SCOPE_LIST                                                                                          \
    "partner_id = ANY(current_setting('pcs.facts_partners')::text[]) AND partner_id > current_setting('pcs.facts_after')"

#define NULLS2 ", NULL::text, NULL::text"
#define FACTS_COPY(SCOPE)                                                                                    \
    "COPY (SELECT * FROM (SELECT partner_id, 'P'::text AS k, NULL::text AS f1, NULL::text AS f2, NULL::text AS f3," \
    " NULL::text AS f4, NULL::text AS f5, NULL::text AS f6, NULL::text AS f7 FROM partners"                   \
    " UNION ALL SELECT partner_id, 'C'::text, tenant_id, customer_id, segment" NULLS2 NULLS2 " FROM customers" \
    " UNION ALL SELECT partner_id, 'A'::text, tenant_id, association_type, workload, start_date::text,"       \
    " end_date::text" NULLS2 " FROM associations"                                                              \
    " UNION ALL SELECT partner_id, 'U'::text, tenant_id, data, NULL::text" NULLS2 NULLS2                       \
    " FROM usage_by_partner"                                                                                   \
    " UNION ALL (SELECT c.partner_id, 'X'::text, c.person_id, c.certification,"                                \
    " pcs_cert_earned(c.earned, l.linked)::text, pcs_cert_expires(c.expires, l.unlinked)::text" NULLS2         \
    ", NULL::text FROM certifications c LEFT JOIN (SELECT partner_id, person_id, linked, unlinked"             \
    " FROM person_links WHERE " SCOPE ") l ON l.partner_id = c.partner_id AND l.person_id = c.person_id"       \
    " WHERE pcs_cert_counts(l.person_id, c.earned, c.expires, l.linked, l.unlinked) ORDER BY c.partner_id)"    \
    " UNION ALL SELECT partner_id, 'E'::text, area, enrolled_date::text, anniversary_date::text" NULLS2       \
    NULLS2 " FROM enrollments"                                                                                 \
    " UNION ALL (SELECT partner_id, 'S'::text, rule_set, area, as_of::text, total::text, qualified::text, track," \
    " NULL::text FROM score_snapshots s WHERE s.selected"                                                      \
    " AND s.as_of >= current_setting('pcs.facts_s0')::date AND s.as_of < current_setting('pcs.facts_d')::date" \
    " AND s.rule_set = ANY(current_setting('pcs.facts_rules')::text[]) ORDER BY partner_id)"                  \
    ") f WHERE " SCOPE " ORDER BY partner_id) TO STDOUT (FORMAT binary)"

/* a range of partners (a refresh slice): lo <= p < hi after the cursor, and lo <= p when hi is '' */
const char pcs_facts_range_sql[] = FACTS_COPY(SCOPE_RANGE_HI);
const char pcs_facts_open_sql[] = FACTS_COPY(SCOPE_RANGE);

/* a list of partners (an event, a rescoring run's slice), after the cursor */
const char pcs_facts_list_sql[] = FACTS_COPY(SCOPE_LIST);

const char pcs_facts_scope_sql[] =
    "SELECT set_config('pcs.facts_m0', $1, false), set_config('pcs.facts_m1', $2, false),"
    " set_config('pcs.facts_s0', $3, false), set_config('pcs.facts_d', $4, false),"
    " set_config('pcs.facts_rules', $5, false), set_config('pcs.facts_lo', $6, false),"
    " set_config('pcs.facts_hi', $7, false), set_config('pcs.facts_after', $8, false),"
    " set_config('pcs.facts_partners', $9, false)";

/* A PostgreSQL array literal of the names: {"a","b\"c"}. A parameter value, never SQL text. */
static char *array_literal(const char *const *v, int n)
{
    pcs_copybuf_t b = {0};
    pcs_copy_put(&b, "{", 1);
    for (int i = 0; i < n; i++) {
        if (i)
            pcs_copy_put(&b, ",", 1);
        pcs_copy_put(&b, "\"", 1);
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                pcs_copy_put(&b, "\\", 1);
            pcs_copy_put(&b, p, 1);
        }
        pcs_copy_put(&b, "\"", 1);
    }
    pcs_copy_put(&b, "}", 2);   /* with the terminating NUL */
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

const char *pcs_facts_scope(PGconn *db, const pcs_fscope_t *s, pcs_err_t *err)
{
    char d[16], m0[16], m1[16], s0[16];
    int32_t M = pcs_month_of_day(s->as_of) - 1;
    pcs_day_format(s->as_of, d);
    /* usage of M-30 .. M covers every as-of the status window and the six-month history evaluate
     * (each needs its data month and the 23 before it); stored snapshots from the first day of
     * month(D) - 5 up to the day before D feed the window and the history (§11) */
    pcs_day_format(pcs_month_first_day(M - 30), m0);
    pcs_day_format(pcs_month_first_day(M), m1);
    pcs_day_format(pcs_month_first_day(M + 1 - 5), s0);
    char *list = s->partners ? array_literal(s->partners, s->n_partners) : NULL;
    char *rules = array_literal(s->rule_sets, s->n_rule_sets);
    const char *sql = NULL;
    if ((s->partners && !list) || !rules) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    const char *p[9] = {m0, m1, s0, d, rules, s->lo ? s->lo : "", s->hi ? s->hi : "", s->after ? s->after : "",
                        list ? list : "{}"};
    if (pcs_db_query(db, pcs_facts_scope_sql, 9, p, NULL, err) == 0)
        sql = s->partners ? pcs_facts_list_sql : s->hi && s->hi[0] ? pcs_facts_range_sql : pcs_facts_open_sql;
out:
    free(list);
    free(rules);
    return sql;
}

/* ---- streaming -------------------------------------------------------------------------------------- */

#define NF 9

typedef struct frow {
    char *buf;                  /* from PQgetCopyData */
    char *f[NF];
} frow_t;

struct pcs_fstream {
    PGconn *db;
    char *snapshot;             /* pg_current_snapshot() the COPY reads in (pcs_fstream_snapshot) */
    pcs_engine_t *const *eng;
    int n_eng;
    int *ids;                   /* feed_usage: per engine, the tenant's id and the workload's */
    /* the rows held: [0, n_ready) one whole partner's, waiting to be fed or, once fed, to be freed
     * at the next call; then what has come of the next partner's */
    frow_t *rows;
    int n_rows, cap_rows, n_ready;
    frow_t *tmp;                /* order_rows: a partner's rows grouped by kind, cap_tmp of them */
    int cap_tmp;
    bool fed;
    int32_t m0, m1;             /* the usage months the scope evaluates */
    bool done, failed, in_tx;
    bool header_read;           /* the binary COPY's file header, before the first row */
    long long rows_read;
};

/* One message of the binary COPY (pcs_copy_bin_split): the server neither converts nor escapes
 * each value, nor the client unescapes it (the escaping loop was the facts backend's hottest code,
 * issue 13). 0: a row; 1: the trailer; -1: malformed. */
static int split(pcs_fstream_t *s, frow_t *r, char *row, int len)
{
    r->buf = row;
    int rc = pcs_copy_bin_split(row, len, &s->header_read, r->f, NF);
    return rc == 0 && !(r->f[0] && r->f[1]) ? -1 : rc;
}

static int32_t day_or_none(const char *s)
{
    int32_t d;
    return s && pcs_day_parse(s, &d) == 0 ? d : PCS_DAY_NONE;
}

static double num(const char *s)
{
    return s ? strtod(s, NULL) : 0;
}

static int track_index(const char *id)
{
    for (int t = 0; t < PCS_TRACK_N; t++)
        if (id && strcmp(pcs_track_ids[t], id) == 0)
            return t;
    return -1;
}

typedef struct usage_feed {
    pcs_fstream_t *s;
    const char *tenant;
    uint32_t block;             /* the workload block whose ids s->ids hold; UINT32_MAX: none yet */
    pcs_err_t err;
} usage_feed_t;

/* One packed entry to every engine: the tenant's ids are looked up once per tenant, the workload's
 * once per block of entries (the lookups, each a strcmp at least, were a tenth of the stream's client
 * CPU, issue 13), at the entry where a lookup by name would make them. */
static int usage_entry(void *arg, const pcs_usage_row_t *r)
{
    usage_feed_t *u = arg;
    pcs_fstream_t *s = u->s;
    if (r->month < s->m0 || r->month > s->m1)
        return 0;
    if (r->block != u->block) {
        for (int i = 0; i < s->n_eng; i++)
            s->ids[2 * i + 1] = -1;
        u->block = r->block;
    }
    for (int i = 0; i < s->n_eng; i++)
        if (pcs_engine_add_usage_ids(s->eng[i], u->tenant, r->workload, &s->ids[2 * i], &s->ids[2 * i + 1], r->month,
                                     r->acr_cents, r->revenue_cents, r->paid_units, r->active_units, &u->err) < 0)
            return -1;
    return 0;
}

/* A tenant's packed usage (kind U: f[2] tenant, f[3] the packed text) to every engine, the months of
 * the window only, in the stored order (workload, month). */
static void feed_usage(pcs_fstream_t *s, char **f)
{
    usage_feed_t u = {.s = s, .tenant = f[2], .block = UINT32_MAX};
    for (int i = 0; i < 2 * s->n_eng; i++)
        s->ids[i] = -1;
    if (!f[2] || !f[3])
        pcs_err_set(&u.err, PCS_EINVAL, 0, 0, "NULL tenant or usage");
    else
        pcs_usage_each(f[3], strlen(f[3]), usage_entry, &u, &u.err);
    if (u.err.code)
        pcs_log(PCS_LOG_WARN, "scorer", "facts", "partner %s: usage of tenant %s skipped from there: %s", f[0],
                f[2] ? f[2] : "NULL", u.err.msg);
}

/* Feeds one row to the engines. */
static void feed(pcs_fstream_t *s, char **f)
{
    if (f[1][0] == 'U') {
        feed_usage(s, f);
        return;
    }
    pcs_err_t err = {0};
    int rc = 0;
    for (int i = 0; i < s->n_eng && rc == 0; i++) {
        pcs_engine_t *e = s->eng[i];
        switch (f[1][0]) {
        case 'P':
            break;
        case 'C':
            rc = pcs_engine_add_customer(e, f[2], f[3], f[4] && strcmp(f[4], "smb") == 0, &err);
            break;
        case 'A': {
            int t = f[3] ? pcs_assoc_type_index(f[3]) : -1;
            rc = t < 0 ? pcs_err_set(&err, PCS_EINVAL, 0, 0, "unknown association type %s", f[3] ? f[3] : "NULL")
                       : pcs_engine_add_association(e, f[2], (pcs_assoc_type_t)t, f[4], day_or_none(f[5]),
                                                    day_or_none(f[6]), &err);
            break;
        }
        case 'U':
            break;   /* fed by feed_usage, once for every engine */
        case 'X':
            rc = pcs_engine_add_cert(e, f[2], f[3], day_or_none(f[4]), day_or_none(f[5]), &err);
            break;
        case 'E':
            rc = pcs_engine_add_enrollment(e, f[2] ? pcs_area_index(f[2]) : -1, day_or_none(f[3]), day_or_none(f[4]),
                                           &err);
            break;
        case 'S': {
            /* a stored snapshot feeds only the engine of its own rule set */
            if (!f[2] || strcmp(f[2], pcs_engine_rules(e)->name) != 0)
                break;
            int a = f[3] ? pcs_area_index(f[3]) : -1, t = track_index(f[7]);
            if (a >= 0 && t >= 0)
                rc = pcs_engine_add_stored(e, a, day_or_none(f[4]), num(f[5]), f[6] && f[6][0] == 't', t, &err);
            break;
        }
        default:
            rc = pcs_err_set(&err, PCS_EINVAL, 0, 0, "unknown row kind %s", f[1]);
        }
    }
    if (rc != 0)
        pcs_log(PCS_LOG_WARN, "scorer", "facts", "partner %s: %s row skipped: %s", f[0], f[1], err.msg);
}

/* Session settings of the stream: no JIT (compiling the plan costs more than it saves, and an
 * event's small query would pay it every time); no sequential scans, so the plan never trusts
 * "empty" statistics of a table just loaded; index lookups priced as on cached or solid-state
 * storage; every scope (a slice, a list of partners) read through the keys only, in their order:
 * no hash join (which read a whole table, usage_packed before sql/0018, for every slice), no sort
 * or hash aggregate (the keys give the order), no parallel workers (a slice is small; their
 * start-up cost more than they saved, and the other scorer has the other core). A merge join
 * stays: certification records and link periods, both restricted to the scope, meet in one pass.
 * These price plans, they do not forbid them: the ORDER BY holds whatever the plan. Reset when the
 * stream closes, so the connection's other statements plan as usual. */
static const char stream_set_sql[] =
    "SET jit = off; SET enable_seqscan = off; SET random_page_cost = 1.1; SET enable_hashjoin = off;"
    " SET enable_sort = off; SET enable_hashagg = off; SET max_parallel_workers_per_gather = 0";
static const char stream_reset_sql[] =
    "RESET jit; RESET enable_seqscan; RESET random_page_cost; RESET enable_hashjoin; RESET enable_sort;"
    " RESET enable_hashagg; RESET max_parallel_workers_per_gather";

/* Starts the stream's COPY of sql; the reason of a failure is its first line, after "facts: ". */
static int start_copy(pcs_fstream_t *s, const char *sql, pcs_err_t *err)
{
    if (pcs_copy_out_begin(s->db, sql, err) == 0)
        return 0;
    char m[sizeof err->msg];
    snprintf(m, sizeof m, "%s", err->msg);
    return pcs_err_set(err, PCS_EIO, 0, 0, "facts: %.*s", (int)strcspn(m, "\n"), m);
}

static void free_rows(pcs_fstream_t *s, int from, int to)
{
    for (int i = from; i < to; i++)
        PQfreemem(s->rows[i].buf);
}

pcs_fstream_t *pcs_fstream_open(PGconn *db, const pcs_fscope_t *scope, pcs_engine_t *const *eng, int n_eng,
                                pcs_err_t *err)
{
    pcs_fstream_t *s = calloc(1, sizeof *s);
    PGresult *r = NULL;
    const char *sql = NULL;
    if (!s) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    s->db = db;
    /* the snapshot a slice records is exactly the one its COPY reads in; a rescoring slice reads in
     * the transaction that holds its partners' locks, and takes the snapshot just before the COPY */
    if (scope->snapshot && PQtransactionStatus(db) == PQTRANS_IDLE) {
        if (pcs_db_query(db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL, err) < 0)
            goto fail;
        s->in_tx = true;
    }
    if (pcs_db_query(db, stream_set_sql, 0, NULL, NULL, err) < 0 || !(sql = pcs_facts_scope(db, scope, err)))
        goto fail;
    if (scope->snapshot && (pcs_db_query(db, "SELECT pg_current_snapshot()::text", 0, NULL, &r, err) < 0 ||
                            !(s->snapshot = strdup(PQgetvalue(r, 0, 0))))) {
        if (!err->code)
            pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    PQclear(r);
    r = NULL;
    if (!(s->ids = calloc((size_t)(n_eng > 0 ? n_eng : 1) * 2, sizeof *s->ids))) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto fail;
    }
    if (start_copy(s, sql, err) < 0)
        goto fail;
    s->eng = eng;
    s->n_eng = n_eng;
    s->m1 = pcs_month_of_day(scope->as_of) - 1;   /* the window of pcs_facts_scope */
    s->m0 = s->m1 - 30;
    return s;
fail:
    PQclear(r);
    if (s->in_tx && PQstatus(db) == CONNECTION_OK)
        pcs_db_query(db, "ROLLBACK", 0, NULL, NULL, NULL);
    if (PQstatus(db) == CONNECTION_OK && PQtransactionStatus(db) == PQTRANS_IDLE)
        pcs_db_query(db, stream_reset_sql, 0, NULL, NULL, NULL);
    free(s->snapshot);
    free(s->ids);
    free(s);
    return NULL;
}

/* Reads the next row of the COPY into rows. 1: a row; 0: end; -1: error. */
static int read_row(pcs_fstream_t *s, pcs_err_t *err)
{
    char *buf = NULL;
    int len;
    while ((len = PQgetCopyData(s->db, &buf, 0)) >= 0) {
        if (s->n_rows == s->cap_rows) {
            int nc = s->cap_rows ? 2 * s->cap_rows : 256;
            frow_t *nr = realloc(s->rows, sizeof *nr * (size_t)nc);
            if (!nr) {
                PQfreemem(buf);
                return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory"), -1;
            }
            s->rows = nr;
            s->cap_rows = nc;
        }
        int rc = split(s, &s->rows[s->n_rows], buf, len);
        if (rc == 0) {
            s->rows_read++;
            s->n_rows++;
            return 1;
        }
        PQfreemem(buf);
        if (rc < 0)
            return pcs_err_set(err, PCS_EIO, 0, 0, "facts: malformed COPY row"), -1;
        /* the trailer: the end follows */
    }
    s->done = true;
    int rc = len == -1 ? 0 : -1;
    PGresult *r;
    while ((r = PQgetResult(s->db))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0)
            rc = -1;
        if (rc < 0 && !err->code) {
            const char *m = PQresultErrorMessage(r);
            pcs_err_set(err, PCS_EIO, 0, 0, "facts: %.*s", (int)strcspn(m, "\n"), m);
        }
        PQclear(r);
    }
    if (rc < 0 && !err->code)
        pcs_err_set(err, PCS_EIO, 0, 0, "facts: %s", PQerrorMessage(s->db));
    return rc;
}

static int cmp_field(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Within a partner: by kind and then every column, so the engine always sees one order. */
static int cmp_rows(const void *pa, const void *pb)
{
    const frow_t *a = pa, *b = pb;
    for (int i = 1; i < NF; i++) {
        int c = cmp_field(a->f[i], b->f[i]);
        if (c)
            return c;
    }
    return 0;
}

/* The rows come in partner order: a partner is whole when the next one's first row arrives, or
 * when the COPY ends. */
int pcs_fstream_load(pcs_fstream_t *s, double budget_s, pcs_err_t *err)
{
    if (s->failed)
        return pcs_err_set(err, PCS_EIO, 0, 0, "facts: stream failed earlier"), -1;
    if (s->fed) {
        /* the partner fed last is scored by now: its rows go, the next one's move to the front */
        free_rows(s, 0, s->n_ready);
        memmove(s->rows, s->rows + s->n_ready, sizeof *s->rows * (size_t)(s->n_rows - s->n_ready));
        s->n_rows -= s->n_ready;
        s->n_ready = 0;
        s->fed = false;
    }
    if (s->n_ready > 0)
        return 1;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long k = 1;; k++) {
        if (s->done) {
            s->n_ready = s->n_rows;   /* 0: nothing left */
            return 1;
        }
        int rc = read_row(s, err);
        if (rc < 0) {
            s->failed = true;
            return -1;
        }
        if (rc > 0 && s->n_rows > 1 && strcmp(s->rows[s->n_rows - 1].f[0], s->rows[0].f[0]) != 0) {
            s->n_ready = s->n_rows - 1;
            return 1;
        }
        if (budget_s > 0 && (k & 255) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= budget_s)
                return 0;
        }
    }
}

static bool in_order(const frow_t *r, int n)
{
    for (int i = 1; i < n; i++)
        if (cmp_rows(&r[i - 1], &r[i]) > 0)
            return false;
    return true;
}

/* The partner's rows [0, n_ready) in cmp_rows's order. The rows of a kind come from one branch of
 * the query in its index order, which is already this order when the key's collation orders by
 * bytes (C, C.UTF-8): the rows are grouped by kind (one byte) in the order they came, and a group
 * is sorted only when it is out of order (qsort of every partner's rows, with its allocation, was
 * about 4 % of the scorer's CPU in a refresh). */
static int order_rows(pcs_fstream_t *s)
{
    frow_t *r = s->rows;
    int n = s->n_ready, start[257] = {0};
    for (int i = 0; i < n; i++) {
        if (r[i].f[1][0] == '\0' || r[i].f[1][1] != '\0') {   /* not a kind of this query */
            qsort(r, (size_t)n, sizeof *r, cmp_rows);
            return 0;
        }
        start[(unsigned char)r[i].f[1][0] + 1]++;
    }
    if (n > s->cap_tmp) {
        frow_t *t = realloc(s->tmp, sizeof *t * (size_t)n);
        if (!t)
            return -1;
        s->tmp = t;
        s->cap_tmp = n;
    }
    for (int k = 0; k < 256; k++)
        start[k + 1] += start[k];
    int next[256];
    memcpy(next, start, sizeof next);
    for (int i = 0; i < n; i++)
        s->tmp[next[(unsigned char)r[i].f[1][0]]++] = r[i];
    memcpy(r, s->tmp, sizeof *r * (size_t)n);
    for (int k = 0; k < 256; k++) {
        int m = start[k + 1] - start[k];
        if (m > 1 && !in_order(r + start[k], m))
            qsort(r + start[k], (size_t)m, sizeof *r, cmp_rows);
    }
    return 0;
}

int pcs_fstream_next(pcs_fstream_t *s, const char **partner, pcs_err_t *err)
{
    if (pcs_fstream_load(s, 0, err) < 0)
        return -1;
    if (s->n_ready == 0)
        return 0;
    if (s->n_ready > 1 && order_rows(s) < 0)
        return s->failed = true, pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory"), -1;
    const char *p = s->rows[0].f[0];
    for (int i = 0; i < s->n_eng; i++)
        if (pcs_engine_begin(s->eng[i], p, err) < 0)
            return s->failed = true, -1;
    for (int i = 0; i < s->n_ready; i++)
        feed(s, s->rows[i].f);
    s->fed = true;
    *partner = p;
    return 1;
}

long long pcs_fstream_rows(const pcs_fstream_t *s)
{
    return s->rows_read;
}

const char *pcs_fstream_snapshot(const pcs_fstream_t *s)
{
    return s->snapshot;
}

int pcs_facts_snapshot_set(PGconn *db, const char *snapshot, pcs_err_t *err)
{
    const char *p[1] = {snapshot};
    return pcs_db_query(db, "SELECT set_config('pcs.facts_snapshot', $1, true)", 1, p, NULL, err) < 0 ? -1 : 0;
}

void pcs_fstream_close(pcs_fstream_t *s)
{
    if (!s)
        return;
    free_rows(s, 0, s->n_rows);
    free(s->rows);
    free(s->tmp);
    if (!s->done && PQstatus(s->db) == CONNECTION_OK) {
        /* abandon the COPY: cancel it and read what is left */
        PGcancel *c = PQgetCancel(s->db);
        char buf[256];
        if (c) {
            PQcancel(c, buf, sizeof buf);
            PQfreeCancel(c);
        }
        char *row;
        while (PQgetCopyData(s->db, &row, 0) >= 0)
            PQfreemem(row);
        PGresult *r;
        while ((r = PQgetResult(s->db)))
            PQclear(r);
    }
    if (s->in_tx && PQstatus(s->db) == CONNECTION_OK)
        pcs_db_query(s->db, "ROLLBACK", 0, NULL, NULL, NULL);   /* it only read */
    if (PQstatus(s->db) == CONNECTION_OK && PQtransactionStatus(s->db) != PQTRANS_INERROR)
        pcs_db_query(s->db, stream_reset_sql, 0, NULL, NULL, NULL);
    free(s->snapshot);
    free(s->ids);
    free(s);
}

/* ---- results ---------------------------------------------------------------------------------------- */

static uint64_t rotl64(uint64_t x, int r)
{
    return x << r | x >> (64 - r);
}

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static void hex64(uint64_t x, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, x >>= 4)
        out[i] = digits[x & 15];
}

/* A 128-bit digest of what is stored, to skip rewriting equal content. Only change detection:
 * two independent 64-bit lanes, eight bytes at a time (SHA-256 took 8 % of a refresh). */
static void hex_digest(const char *text, size_t n, char out[33])
{
    uint64_t h1 = 0x9e3779b97f4a7c15ULL ^ n, h2 = 0xc2b2ae3d27d4eb4fULL + n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        h1 = rotl64((h1 ^ w) * 0x87c37b91114253d5ULL, 31);
        h2 = rotl64((h2 ^ w) * 0x4cf5ad432745937fULL, 29);
    }
    uint64_t w = 0;
    memcpy(&w, text + i, n - i);
    h1 = fmix64(h1 ^ w ^ h2);
    h2 = fmix64(h2 ^ rotl64(w, 17) ^ h1);
    hex64(h1, out);
    hex64(h2, out + 16);
    out[32] = '\0';
}

/* Each track object is printed once, alone (they are the snapshots' details), and replaced in the
 * tree by a placeholder that stands for its text while the document is printed: the bytes
 * json_dumps gives for the document without placeholders (test_batch.c compares them over
 * generated results). */
int pcs_batch_dump(pcs_copybuf_t *w, json_t *doc, const struct pcs_json_cache *cache, pcs_span_t *tracks,
                   int max_tracks, int *n_tracks, pcs_span_t *text)
{
    int nt = 0;
    pcs_copy_clear(w);
    pcs_doctext_subst_t sub = {.cache = cache};
    json_t *area, *tj;
    size_t ai, ti;
    json_array_foreach(json_object_get(doc, "areas"), ai, area) {
        json_t *arr = json_object_get(area, "tracks");
        json_array_foreach(arr, ti, tj) {
            if (nt == max_tracks || pcs_doctext_append(w, tj, &sub, &tracks[nt]) < 0 ||
                json_array_set_new(arr, ti, json_stringn_nocheck("", 1)) < 0)
                return -1;
            nt++;
        }
    }
    sub.tracks = tracks;
    sub.n_tracks = nt;
    if (pcs_doctext_append(w, doc, &sub, text) < 0 || sub.next_track != nt)
        return -1;
    *n_tracks = nt;
    return 0;
}

/* *p holds at least need elements of size bytes (*cap of them); false when out of memory */
static bool grow(void **p, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return true;
    int c = *cap ? *cap * 2 : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, size * (size_t)c);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

int pcs_batch_add(pcs_batch_t *b, const pcs_rules_t *rules, const pcs_result_t *res, const char *trigger)
{
    pcs_copybuf_t *w = &b->text;
    pcs_span_t tracks[PCS_AREA_N * PCS_TRACK_N], doc_text;
    int nt = 0, k = 0, rc = -1;
    if (!b->json && !(b->json = pcs_json_cache_new()))
        return -1;
    pcs_jpool_begin();   /* the document's values, and the cache's, from the pool (pcs_jpool.h) */
    json_t *doc = pcs_result_to_json_cached(b->json, rules, res, false);
    if (!doc || pcs_batch_dump(w, doc, b->json, tracks, PCS_AREA_N * PCS_TRACK_N, &nt, &doc_text) < 0)
        goto out;
    char digest[33];
    hex_digest(w->s + doc_text.off, doc_text.len, digest);
    /* the columns of pcs_stage_res, in binary (pcs_batch_stage) */
    pcs_copy_bin_row(&b->res, 6);
    pcs_copy_bin_text(&b->res, res->partner_id);
    pcs_copy_bin_text(&b->res, res->rules);
    pcs_copy_bin_date(&b->res, res->as_of);
    pcs_copy_bin_bytes(&b->res, w->s + doc_text.off, doc_text.len);
    pcs_copy_bin_text(&b->res, digest);
    pcs_copy_bin_text(&b->res, trigger);
    pcs_copy_bin_row(&b->keys, 4);   /* the columns of pcs_stage_keys (pcs_batch_insert) */
    pcs_copy_bin_text(&b->keys, res->partner_id);
    pcs_copy_bin_text(&b->keys, res->rules);
    pcs_copy_bin_date(&b->keys, res->as_of);
    pcs_copy_bin_int4(&b->keys, b->documents);
    size_t partner_at = b->names.n;
    pcs_copy_put(&b->names, res->partner_id, strlen(res->partner_id) + 1);
    size_t rules_at = b->names.n;
    pcs_copy_put(&b->names, res->rules, strlen(res->rules) + 1);

    /* one snapshot per evaluated track, in the order of the document's track objects */
    for (int a = 0; a < PCS_AREA_N; a++) {
        const pcs_area_result_t *ar = &res->areas[a];
        if (!ar->scored)
            continue;
        for (int t = 0; t < PCS_TRACK_N; t++) {
            const pcs_track_result_t *tr = &ar->tracks[t];
            if (!tr->evaluated)
                continue;
            if (k == nt)
                goto out;
            const pcs_span_t *d = &tracks[k++];
            char total[40], line[128];
            snprintf(total, sizeof total, "%.17g", tr->total);
            const char *status = pcs_status_ids[ar->status];
            bool sel = t == ar->selected;
            /* the digest covers everything stored for the key: line and detail, one after the other */
            int ln = snprintf(line, sizeof line, "%s|%d|%d|%s|", total, tr->qualified, sel, status);
            size_t mark = w->n;
            if (!pcs_copy_reserve(w, (size_t)ln + d->len))
                goto out;
            pcs_copy_put(w, line, (size_t)ln);
            pcs_copy_put(w, w->s + d->off, d->len);
            hex_digest(w->s + mark, w->n - mark, digest);
            w->n = mark;
            if (sel) {
                if (!grow((void **)&b->sel, &b->cap_sel, b->n_sel + 1, sizeof *b->sel))
                    goto out;
                b->sel[b->n_sel++] = (pcs_batch_sel_t){.partner = partner_at, .rules = rules_at,
                                                       .doc = b->documents, .snap = b->n_snap, .area = a,
                                                       .track = t, .status = (int)ar->status, .as_of = res->as_of,
                                                       .total = tr->total, .qualified = tr->qualified};
            }
            if (!grow((void **)&b->seq_at, &b->cap_snap, b->n_snap + 1, sizeof *b->seq_at))
                goto out;
            pcs_copy_bin_row(&b->snap, 12);   /* the columns of pcs_stage_snap */
            pcs_copy_bin_text(&b->snap, res->partner_id);
            pcs_copy_bin_text(&b->snap, pcs_area_ids[a]);
            pcs_copy_bin_text(&b->snap, pcs_track_ids[t]);
            pcs_copy_bin_date(&b->snap, res->as_of);
            pcs_copy_bin_text(&b->snap, res->rules);
            pcs_copy_bin_float8(&b->snap, tr->total);
            pcs_copy_bin_bool(&b->snap, tr->qualified);
            pcs_copy_bin_bool(&b->snap, sel);
            pcs_copy_bin_text(&b->snap, status);
            pcs_copy_bin_bytes(&b->snap, w->s + d->off, d->len);
            pcs_copy_bin_text(&b->snap, digest);
            b->seq_at[b->n_snap++] = pcs_copy_bin_int8(&b->snap, 0);   /* set by pcs_batch_insert */
        }
    }
    if (k != nt)
        goto out;
    b->documents++;
    rc = b->res.oom || b->snap.oom || b->keys.oom || b->names.oom ? -1 : 0;
out:
    json_decref(doc);
    pcs_jpool_end();
    return rc;
}

void pcs_batch_reset(pcs_batch_t *b)
{
    pcs_copy_clear(&b->res);
    pcs_copy_clear(&b->snap);
    pcs_copy_clear(&b->keys);
    pcs_copy_clear(&b->names);
    b->n_sel = b->n_snap = 0;
    b->partners = b->documents = 0;
}

void pcs_batch_free(pcs_batch_t *b)
{
    free(b->res.s);
    free(b->snap.s);
    free(b->keys.s);
    free(b->text.s);
    free(b->names.s);
    free(b->sel);
    free(b->seq_at);
    pcs_json_cache_free(&b->json);
    memset(b, 0, sizeof *b);
}

/* The staged documents are compressed with lz4 as they arrive, as the stored ones are (0009): the
 * default, pglz, took 40 % of the staging COPY, and a value compressed in staging is stored as it
 * is. They stay in their rows, as in score_results (0017), not in TOAST chunks. The staging tables
 * have no statistics: a plan from them hashed or merged the whole of score_snapshots for every
 * batch (a refresh of 100,000 partners spent most of its time there). Within the write transaction
 * the staged rows meet the stored ones through the keys only, and nothing is JIT-compiled
 * (PCS_SQL_KEYED_PLANS). */
#define STAGE_SESSION "SET client_min_messages = warning;" PCS_SQL_KEYED_PLANS ";"
static const char stage_sql[] =
    STAGE_SESSION
    "CREATE TEMP TABLE IF NOT EXISTS pcs_stage_res (partner_id text, rule_set text, as_of date,"
    " document text COMPRESSION lz4, digest text, trigger text) WITH (toast_tuple_target = 8160)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS pcs_stage_snap (partner_id text, area text, track text, as_of date,"
    " rule_set text, total double precision, qualified boolean, selected boolean, status text,"
    " detail text COMPRESSION lz4, digest text, seq bigint) ON COMMIT DELETE ROWS";   /* seq: unused */

/* A refresh slice sets pcs.facts_snapshot (transaction-local) to the snapshot its facts were read
 * in: a stored row written by a transaction that snapshot does not see was computed from newer facts
 * (an event rescored while the slice streamed) and is left as it is (pcs_written_after_facts,
 * sql/0011). Unset: every change is written. */
#define NEWER_FACTS(t) " AND NOT pcs_written_after_facts(" t ".writer)"

/* A batch is new when every staged result was inserted (none was stored to update or keep: the
 * inserted row's xmax is 0) and no snapshot is stored for any of its (partner, rule set, as-of):
 * a monthly refresh's batches, an event's first scoring of a day. The results statement records
 * that in pcs.batch_new (transaction-local), and the snapshots of a new batch are plain inserts,
 * without the conflict check of each row and the search for a same-day track to unselect (a
 * quarter of the snapshot statement's time on a 10,000-partner refresh, issue 13). It cannot
 * overwrite or skip anything: every writer stores a partner's results before its snapshots in one
 * transaction, so a concurrent writer of the same partner and day waits on the result row; if a
 * snapshot is there anyway the insert fails on the key, the transaction rolls back, and the next
 * try finds the snapshot and takes the upsert. */
#define BATCH_NEW "current_setting('pcs.batch_new', true) = 'true'"
#define BATCH_OLD "current_setting('pcs.batch_new', true) IS DISTINCT FROM 'true'"

const char pcs_upsert_results_sql[] =
    "WITH w AS (INSERT INTO score_results AS r (partner_id, rule_set, as_of, document, digest, trigger)"
    " SELECT partner_id, rule_set, as_of, document, digest, trigger FROM pcs_stage_res"
    " ON CONFLICT (partner_id, rule_set, as_of) DO UPDATE SET document = excluded.document,"
    " digest = excluded.digest, trigger = excluded.trigger, computed_at = now(), seq = nextval('score_seq'),"
    " writer = pg_current_xact_id()"
    " WHERE r.digest <> excluded.digest" NEWER_FACTS("r") " RETURNING r.xmax = 0 AS inserted)"
    " SELECT set_config('pcs.batch_new', (count(*) FILTER (WHERE inserted) = (SELECT count(*) FROM pcs_stage_res)"
    " AND NOT EXISTS (SELECT 1 FROM pcs_stage_res st JOIN score_snapshots s ON s.partner_id = st.partner_id"
    " AND s.rule_set = st.rule_set AND s.as_of = st.as_of))::text, true) AS batch_new FROM w";

/* The previous score of a changed selected snapshot is the latest selected snapshot of the same
 * partner, area and rule set on or before its as-of, as it was before this statement. A track
 * stored as selected by an earlier scoring of the same day that this scoring did not evaluate is
 * selected no more (its digest cleared, so a later selection writes it again): one selected track
 * per partner, area, day and rule set. A new batch (pcs.batch_new) takes the plain insert (ins);
 * any other the unselect and the upsert (up); the other branch does nothing. */
#define SNAP_COLS "partner_id, area, track, as_of, rule_set, total, qualified, selected, status, detail, digest"
/* a change (pcs_batch_changes) from a stored snapshot s and its previous score prev */
#define CHANGE_COLS(s)                                                                                         \
    " " s ".partner_id AS partner_id, " s ".area, " s ".rule_set, " s ".as_of::text, " s ".track,"             \
    " round(" s ".total::numeric, 2)::text, " s ".qualified::text, " s ".status, " s ".seq::text,"            \
    " round(prev.total::numeric, 2)::text, prev.qualified::text, prev.status, prev.as_of::text"
/* prev: the latest selected snapshot of s's partner, area and rule set whose as-of is CMP s's */
#define PREV_SELECTED(s, CMP)                                                                                  \
    " LEFT JOIN LATERAL (SELECT p.total, p.qualified, p.status, p.as_of FROM score_snapshots p"              \
    "  WHERE p.partner_id = " s ".partner_id AND p.area = " s ".area AND p.rule_set = " s ".rule_set"          \
    "  AND p.selected AND p.as_of " CMP " " s ".as_of ORDER BY p.as_of DESC LIMIT 1) prev ON true"
#define SNAP_RETURNING                                                                                      \
    " RETURNING s.partner_id, s.area, s.rule_set, s.as_of, s.track, s.total, s.qualified, s.status, s.seq,"  \
    " s.selected"
const char pcs_upsert_snapshots_sql[] =
    "WITH unselect AS (UPDATE score_snapshots s SET selected = false, digest = '', computed_at = now(),"
    "  seq = nextval('score_seq'), writer = pg_current_xact_id()"
    "  FROM pcs_stage_snap st WHERE " BATCH_OLD " AND st.selected AND s.partner_id = st.partner_id"
    "  AND s.area = st.area AND s.as_of = st.as_of AND s.rule_set = st.rule_set AND s.track <> st.track AND s.selected"
    "  AND NOT EXISTS (SELECT 1 FROM pcs_stage_snap x WHERE x.partner_id = s.partner_id AND x.area = s.area"
    "   AND x.as_of = s.as_of AND x.rule_set = s.rule_set AND x.track = s.track)" NEWER_FACTS("s") "),"
    " up AS ("
    " INSERT INTO score_snapshots AS s (" SNAP_COLS ") SELECT " SNAP_COLS " FROM pcs_stage_snap WHERE " BATCH_OLD
    " ON CONFLICT (partner_id, area, track, as_of, rule_set) DO UPDATE SET total = excluded.total,"
    "  qualified = excluded.qualified, selected = excluded.selected, status = excluded.status,"
    "  detail = excluded.detail, digest = excluded.digest, computed_at = now(), seq = nextval('score_seq'),"
    "  writer = pg_current_xact_id()"
    " WHERE s.digest <> excluded.digest" NEWER_FACTS("s") SNAP_RETURNING "),"
    " ins AS (INSERT INTO score_snapshots AS s (" SNAP_COLS ") SELECT " SNAP_COLS " FROM pcs_stage_snap"
    " WHERE " BATCH_NEW SNAP_RETURNING ")"
    " SELECT" CHANGE_COLS("up") " FROM (SELECT * FROM up UNION ALL SELECT * FROM ins) up" PREV_SELECTED("up", "<=")
    " WHERE up.selected ORDER BY up.seq";

static json_t *jnum_or_null(PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? json_null() : json_real(strtod(PQgetvalue(r, i, c), NULL));
}

static json_t *jstr_or_null(PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? json_null() : json_string(PQgetvalue(r, i, c));
}

static json_t *jbool_or_null(PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? json_null() : json_boolean(PQgetvalue(r, i, c)[0] == 't');
}

/* One binary COPY of b's rows, which it keeps (pcs_copy_flush empties the buffer): a new batch whose
 * COPY fails on the key is staged from the same rows; every caller empties the batch itself. */
static int copy_bin(PGconn *db, const char *sql, pcs_copybuf_t *b, pcs_err_t *err)
{
    if (pcs_copy_begin(db, sql, err) < 0)
        return -1;
    size_t n = b->n;
    int rc = pcs_copy_bin_flush(db, b, err);
    b->n = n;
    int rc2 = pcs_copy_end(db, rc == 0 ? err : NULL);
    return rc < 0 ? rc : rc2;
}

int pcs_batch_stage(PGconn *db, pcs_batch_t *b, pcs_err_t *err)
{
    if (b->res.oom || b->snap.oom)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    if (pcs_db_query(db, stage_sql, 0, NULL, NULL, err) < 0 ||
        copy_bin(db, "COPY pcs_stage_res FROM STDIN (FORMAT binary)", &b->res, err) < 0 ||
        copy_bin(db, "COPY pcs_stage_snap FROM STDIN (FORMAT binary)", &b->snap, err) < 0)
        return -1;
    pcs_batch_reset(b);
    return 0;
}

/* A change's members in the order of interfaces.md's score.updated body, from the upsert's columns
 * (-1: a column read apart). Set one by one: json_pack parsed its format for every change. */
static const struct {
    const char *key;
    int col;
    char kind;   /* s: text, n: number or null, b: boolean, B: boolean or null, S: text or null */
} change_members[] = {
    {"partner_id", 0, 's'}, {"area", 1, 's'},      {"rules", 2, 's'},          {"as_of", 3, 's'},
    {"track", 4, 's'},      {"score", 5, 'n'},     {"qualified", 6, 'b'},      {"status", 7, 's'},
    {"old_score", 9, 'n'},  {"old_qualified", 10, 'B'}, {"old_status", 11, 'S'}, {"old_as_of", 12, 'S'},
};

enum { CHANGE_N = sizeof change_members / sizeof *change_members };

/* Appends the change whose members are v[0..CHANGE_N) (change_members' order, references taken)
 * and seq; false when out of memory (nothing appended). The one place that names the members. */
static bool append_change(json_t *changes, json_t *const v[CHANGE_N], json_int_t seq)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    for (size_t k = 0; k < CHANGE_N; k++)   /* every value is taken, also after a failure */
        ok = json_object_set_new_nocheck(o, change_members[k].key, v[k]) == 0 && ok;
    ok = ok && json_object_set_new_nocheck(o, "seq", json_integer(seq)) == 0;
    if (!ok) {
        json_decref(o);
        return false;
    }
    return json_array_append_new(changes, o) == 0;
}

bool pcs_batch_changes(PGresult *r, json_t *changes)
{
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) != 13 || strcmp(PQfname(r, 0), "partner_id") != 0)
        return false;
    for (int i = 0; changes && i < PQntuples(r); i++) {
        json_t *v[CHANGE_N];
        for (size_t k = 0; k < CHANGE_N; k++) {
            int c = change_members[k].col;
            switch (change_members[k].kind) {
            case 'n': v[k] = jnum_or_null(r, i, c); break;
            case 'b': v[k] = json_boolean(PQgetvalue(r, i, c)[0] == 't'); break;
            case 'B': v[k] = jbool_or_null(r, i, c); break;
            case 'S': v[k] = jstr_or_null(r, i, c); break;
            default: v[k] = json_string(PQgetvalue(r, i, c)); break;
            }
        }
        append_change(changes, v, (json_int_t)strtoll(PQgetvalue(r, i, 8), NULL, 10));
    }
    return true;
}

/* A new batch (pcs_refresh.h). Copying into the stored tables skips what staging costs: writing and
 * reading back the staging tables, emptying them at each commit, the upserts' conflict checks. On a
 * 10,000-partner dev refresh the two writing backends took 1.80-1.89 s of CPU instead of 2.13-2.64 s
 * (three alternations, issue 13). The check and the previous scores meet the stored rows through
 * their keys (PCS_SQL_KEYED_PLANS).
 *
 * Its changes are made here from the batch itself: the snapshots' seq values are taken from the
 * sequence before their COPY, which gives them instead of the column's default, and only the
 * previous selected scores are read. (Until issue 13's round 13 a statement joined the copied rows
 * back and printed them for the client to parse: 1.32 s of the 3.1 s the writing connections'
 * statements took in a 10,000-partner dev refresh, by log_min_duration_statement.) */
static const char keys_sql[] =
    STAGE_SESSION
    "CREATE TEMP TABLE IF NOT EXISTS pcs_stage_keys (partner_id text, rule_set text, as_of date, ord int)"
    " ON COMMIT DELETE ROWS";

/* a result, or a snapshot left without one (an administrator's DELETE of results) */
static const char keys_stored_sql[] =
    "SELECT EXISTS (SELECT 1 FROM pcs_stage_keys k JOIN score_results r ON r.partner_id = k.partner_id"
    " AND r.rule_set = k.rule_set AND r.as_of = k.as_of)"
    " OR EXISTS (SELECT 1 FROM pcs_stage_keys k JOIN score_snapshots s ON s.partner_id = k.partner_id"
    " AND s.rule_set = k.rule_set AND s.as_of = k.as_of)";

static const char seqs_sql[] = "SELECT nextval('score_seq') FROM generate_series(1, $1::int)";

/* The previous score of each result's areas ($1, in pcs_area_ids order): the latest selected
 * snapshot of the partner, area and rule set before the as-of, as PREV_SELECTED reads it for the
 * upsert. Only for a result whose partner has a snapshot of the rule set before the as-of (a
 * partner's first scoring needs no lookup per area). Columns as CHANGE_COLS's last four. */
static const char prev_sql[] =
    "SELECT k.ord, a.i::int - 1, round(prev.total::numeric, 2)::text, prev.qualified::text, prev.status,"
    " prev.as_of::text FROM pcs_stage_keys k CROSS JOIN unnest($1::text[]) WITH ORDINALITY a(area, i)"
    " JOIN LATERAL (SELECT p.total, p.qualified, p.status, p.as_of FROM score_snapshots p"
    "  WHERE p.partner_id = k.partner_id AND p.area = a.area AND p.rule_set = k.rule_set"
    "  AND p.selected AND p.as_of < k.as_of ORDER BY p.as_of DESC LIMIT 1) prev ON true"
    " WHERE EXISTS (SELECT 1 FROM score_snapshots e WHERE e.partner_id = k.partner_id"
    " AND e.rule_set = k.rule_set AND e.as_of < k.as_of)";

double pcs_sql_round2(double x)
{
    if (!isfinite(x))
        return x;
    /* the 15 significant digits of float8_numeric, as d.dddddddddddddde+X */
    char t[40];
    snprintf(t, sizeof t, "%.14e", x);
    const char *p = t + (t[0] == '-');
    char digits[15];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < 15)
            digits[nd++] = *p;
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    int keep = exp10 + 1 + 2;   /* the digits down to hundredths */
    if (keep >= nd)
        return strtod(t, NULL);   /* exact to a hundredth already */
    int64_t n = 0;
    for (int i = 0; i < keep && i >= 0; i++)
        n = n * 10 + (digits[i] - '0');
    if (keep >= 0 && digits[keep] >= '5')
        n++;
    if (n == 0)
        return 0;   /* numeric has no -0 */
    /* n hundredths: n is exact (fewer than 16 digits) and the division rounds once, as strtod
     * rounds the decimal text */
    return (t[0] == '-' ? -(double)n : (double)n) / 100.0;
}

/* The change of each selected snapshot of b, in the order of its rows (the order of their seq), from
 * the previous scores of prev_sql (r). */
static bool inserted_changes(const pcs_batch_t *b, const int64_t *seq, PGresult *r, json_t *changes)
{
    int *prev = malloc(sizeof *prev * (size_t)(b->documents > 0 ? b->documents : 1) * PCS_AREA_N);
    if (!prev)
        return false;
    for (int i = 0; i < b->documents * PCS_AREA_N; i++)
        prev[i] = -1;
    for (int i = 0; i < PQntuples(r); i++) {
        int doc = atoi(PQgetvalue(r, i, 0)), area = atoi(PQgetvalue(r, i, 1));
        if (doc >= 0 && doc < b->documents && area >= 0 && area < PCS_AREA_N)
            prev[doc * PCS_AREA_N + area] = i;
    }
    bool ok = true;
    for (int k = 0; ok && k < b->n_sel; k++) {
        const pcs_batch_sel_t *x = &b->sel[k];
        int pr = prev[x->doc * PCS_AREA_N + x->area];
        char day[16];
        pcs_day_format(x->as_of, day);
        json_t *v[CHANGE_N] = {
            json_string(b->names.s + x->partner), json_string(pcs_area_ids[x->area]),
            json_string(b->names.s + x->rules),   json_string(day),
            json_string(pcs_track_ids[x->track]), json_real(pcs_sql_round2(x->total)),
            json_boolean(x->qualified),           json_string(pcs_status_ids[x->status]),
            pr < 0 ? json_null() : jnum_or_null(r, pr, 2),  pr < 0 ? json_null() : jbool_or_null(r, pr, 3),
            pr < 0 ? json_null() : jstr_or_null(r, pr, 4),  pr < 0 ? json_null() : jstr_or_null(r, pr, 5)};
        ok = append_change(changes, v, (json_int_t)seq[x->snap]);
    }
    free(prev);
    return ok;
}

int pcs_batch_insert(PGconn *db, pcs_batch_t *b, bool *inserted, json_t *changes, pcs_err_t *err)
{
    *inserted = false;
    if (b->res.oom || b->snap.oom || b->keys.oom || b->names.oom)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    PGresult *r;
    if (pcs_db_query(db, keys_sql, 0, NULL, NULL, err) < 0 ||
        copy_bin(db, "COPY pcs_stage_keys FROM STDIN (FORMAT binary)", &b->keys, err) < 0 ||
        pcs_db_query(db, keys_stored_sql, 0, NULL, &r, err) < 0)
        return -1;
    bool stored = PQntuples(r) != 1 || PQgetvalue(r, 0, 0)[0] != 'f';
    PQclear(r);
    if (stored)
        return 0;
    int rc = copy_bin(db, "COPY score_results (partner_id, rule_set, as_of, document, digest, trigger) FROM STDIN"
                          " (FORMAT binary)", &b->res, err);
    if (rc < 0)
        return rc;   /* PCS_EEXIST: stored meanwhile */
    char n[16];
    snprintf(n, sizeof n, "%d", b->n_snap);
    const char *pn[1] = {n};
    if (pcs_db_query(db, seqs_sql, 1, pn, &r, err) < 0)
        return -1;
    int64_t *seq = malloc(sizeof *seq * (size_t)(b->n_snap > 0 ? b->n_snap : 1));
    rc = !seq ? pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory")
         : PQntuples(r) != b->n_snap ? pcs_err_set(err, PCS_EIO, 0, 0, "score_seq gave %d values for %d snapshots",
                                                   PQntuples(r), b->n_snap)
                                     : 0;
    for (int i = 0; rc == 0 && i < b->n_snap; i++) {
        seq[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        pcs_copy_bin_int8_at(&b->snap, b->seq_at[i], seq[i]);
    }
    PQclear(r);
    if (rc == 0)
        rc = copy_bin(db, "COPY score_snapshots (" SNAP_COLS ", seq) FROM STDIN (FORMAT binary)", &b->snap, err);
    if (rc == 0 && changes) {
        char areas[256] = "{";
        for (int a = 0; a < PCS_AREA_N; a++)
            snprintf(areas + strlen(areas), sizeof areas - strlen(areas), "%s%s", pcs_area_ids[a],
                     a + 1 < PCS_AREA_N ? "," : "}");
        const char *pa[1] = {areas};
        r = NULL;
        rc = pcs_db_query(db, prev_sql, 1, pa, &r, err);
        if (rc == 0 && !inserted_changes(b, seq, r, changes))
            rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        PQclear(r);
    }
    free(seq);
    if (rc < 0)
        return rc;   /* PCS_EEXIST: stored meanwhile */
    pcs_batch_reset(b);
    *inserted = true;
    return 0;
}

int pcs_batch_write(PGconn *db, pcs_batch_t *b, json_t *changes, pcs_err_t *err)
{
    if (b->documents == 0)
        return 0;
    PGresult *r;
    if (pcs_batch_stage(db, b, err) < 0 || pcs_db_query(db, pcs_upsert_results_sql, 0, NULL, NULL, err) < 0 ||
        pcs_db_query(db, pcs_upsert_snapshots_sql, 0, NULL, &r, err) < 0)
        return -1;
    pcs_batch_changes(r, changes);
    PQclear(r);
    return 0;
}

int pcs_score_partner(pcs_engine_t *const *eng, int n_eng, int32_t as_of, pcs_batch_t *b, const char *trigger,
                      pcs_err_t *err)
{
    static const pcs_score_opts_t opts = {0};
    for (int i = 0; i < n_eng; i++) {
        const pcs_result_t *res = pcs_engine_score(eng[i], as_of, &opts);
        if (!res || pcs_batch_add(b, pcs_engine_rules(eng[i]), res, trigger) < 0)
            return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory scoring a partner");
    }
    b->partners++;
    return 0;
}
