#include "pcs_usageload.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcs_db.h"
#include "pcs_log.h"
#include "pcs_strmap.h"
#include "pcs_usage.h"

/* every merge of usage takes this lock (pcs_usageload.h) */
#define USAGE_LOCK_SQL "SELECT pg_advisory_xact_lock(727004)"

/* A file streams only when usage_packed is at most this many times its size: reading the stored ids
 * (about 20 bytes of each stored tenant's row of about 600 bytes in the compact form of sql/0024, its
 * pages half full, sql/0020) must cost far less than what the file's COPY overlaps. */
#define STREAM_TABLE_PER_FILE 4

typedef struct urow {   /* 32 bytes */
    int32_t tenant;
    uint16_t workload;
    int16_t month;
    int32_t paid_units, active_units;
    int64_t acr_cents, revenue_cents;
} urow_t;

/* What a tenant's run of rows became while streaming (pcs_usageload_stream_begin) */
enum { RUN_OPEN, RUN_QUEUED, RUN_SENT, RUN_SENT_MET_AGAIN, RUN_KEPT };

typedef struct run {
    int32_t t;
    size_t first, end;            /* its rows: rows[first .. end) */
} run_t;

typedef struct stream {
    PGconn *db;
    bool copying;                 /* a COPY usage_packed FROM STDIN is open on db */
    bool broken;                  /* a tenant was met again after its run: nothing more is sent */
    uint64_t *stored;             /* hashes of the ids in usage_packed when streaming began, sorted */
    size_t n_stored, cap_stored;
    uint8_t *state;               /* RUN_* of each tenant */
    size_t cap_state;
    run_t *queue;                 /* ended runs not sent yet, queue[head .. n) */
    size_t head, n, cap;
    size_t run_first;             /* first row of the run in progress (the last row's tenant) */
    pcs_copybuf_t out;            /* packed tenants not handed to the sender yet */
    struct sender *sender;        /* the thread that sends while the COPY is open (NULL: sent here) */
    pcs_usage_row_t *scratch;
    size_t cap_scratch;
    size_t sent, met_again, copies;  /* tenants sent, of them met again; COPY statements opened */
    double end_s;                 /* what pcs_usageload_stream_end took: the rest sent, the COPY's end */
} stream_t;

struct pcs_usageload {
    pcs_strmap_t *tenant_ids;     /* tenant id -> index */
    const char **tenants;         /* the map's copies, by index */
    size_t n_tenants, cap_tenants;
    int32_t last, last_workload;  /* those of the last row (files come grouped by tenant) */
    pcs_strmap_t *workload_ids;
    const char **workloads;
    size_t n_workloads, cap_workloads;
    urow_t *rows;
    size_t n_rows, cap_rows;
    stream_t *st;                 /* storing while the file is read: NULL when not */
};

pcs_usageload_t *pcs_usageload_new(void)
{
    pcs_usageload_t *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->last = u->last_workload = -1;
    u->tenant_ids = pcs_strmap_new();
    u->workload_ids = pcs_strmap_new();
    if (!u->tenant_ids || !u->workload_ids)
        pcs_usageload_destroy(&u);
    return u;
}

void pcs_usageload_destroy(pcs_usageload_t **pu)
{
    if (!pu || !*pu)
        return;
    pcs_usageload_t *u = *pu;
    pcs_strmap_destroy(&u->tenant_ids);
    pcs_strmap_destroy(&u->workload_ids);
    if (u->st) {
        pcs_usageload_stream_end(u, false, NULL);   /* a COPY still open is given up */
        free(u->st->stored);
        free(u->st->state);
        free(u->st->queue);
        free(u->st->out.s);
        free(u->st->scratch);
        free(u->st);
    }
    free(u->tenants);
    free(u->workloads);
    free(u->rows);
    free(u);
    *pu = NULL;
}

/* v (of *cap elements of size bytes) with room for twice as many (first when none); NULL when out of
 * memory, v kept. */
static void *grown(void *v, size_t *cap, size_t size, size_t first)
{
    size_t nc = *cap ? *cap * 2 : first;
    void *nv = realloc(v, nc * size);
    if (nv)
        *cap = nc;
    return nv;
}

/* The index of s in map (names[] holds the map's copies by index), added when new; -1 when out of memory. */
static int32_t intern(pcs_strmap_t *map, const char ***names, size_t *n, size_t *cap, const char *s, size_t len)
{
    int32_t i = pcs_strmap_get(map, s, len);
    if (i >= 0)
        return i;
    if (*n == *cap) {
        const char **nn = grown(*names, cap, sizeof *nn, 64);
        if (!nn)
            return -1;
        *names = nn;
    }
    if (*n >= INT32_MAX || pcs_strmap_put(map, s, len, (int32_t)*n, &(*names)[*n]) < 0)
        return -1;
    return (int32_t)(*n)++;
}

static int stream_next_run(pcs_usageload_t *u, int32_t t);

/* What tenant t's rows became while the file was read (RUN_OPEN: nothing, or no streaming). */
static int run_state(const pcs_usageload_t *u, size_t t)
{
    return u->st && t < u->st->cap_state ? u->st->state[t] : RUN_OPEN;
}

int pcs_usageload_add(pcs_usageload_t *u, const char *tenant, size_t tenant_len, const char *workload,
                      size_t workload_len, int32_t month, int64_t acr_cents, int64_t revenue_cents, int64_t paid_units,
                      int64_t active_units)
{
    int32_t w = u->last_workload;
    if (w < 0 || strncmp(u->workloads[w], workload, workload_len) != 0 || u->workloads[w][workload_len])
        w = intern(u->workload_ids, &u->workloads, &u->n_workloads, &u->cap_workloads, workload, workload_len);
    if (w < 0)
        return PCS_ENOMEM;
    if (w > UINT16_MAX || month < 0 || month > INT16_MAX || paid_units < INT32_MIN || paid_units > INT32_MAX ||
        active_units < INT32_MIN || active_units > INT32_MAX)
        return PCS_EINVAL;
    /* the tenant only once its row is taken: a tenant without rows has nothing to pack, and failed the
     * whole file when it was stored (a row refused for its 65,537th workload, the tenant's only row) */
    int32_t t = u->last;
    if (t < 0 || strncmp(u->tenants[t], tenant, tenant_len) != 0 || u->tenants[t][tenant_len] != '\0')
        t = intern(u->tenant_ids, &u->tenants, &u->n_tenants, &u->cap_tenants, tenant, tenant_len);
    if (t < 0)
        return PCS_ENOMEM;
    if (u->st && u->st->db && t != u->last && stream_next_run(u, t) < 0)
        return PCS_ENOMEM;
    u->last = t;
    u->last_workload = w;
    if (u->n_rows == u->cap_rows) {
        urow_t *nr = grown(u->rows, &u->cap_rows, sizeof *nr, 4096);
        if (!nr)
            return PCS_ENOMEM;
        u->rows = nr;
    }
    u->rows[u->n_rows++] = (urow_t){t, (uint16_t)w, (int16_t)month, (int32_t)paid_units, (int32_t)active_units,
                                    acr_cents, revenue_cents};
    return 0;
}

size_t pcs_usageload_rows(const pcs_usageload_t *u)
{
    return u->n_rows;
}

size_t pcs_usageload_tenants(const pcs_usageload_t *u)
{
    return u->n_tenants;
}

/* ---- storing ---------------------------------------------------------------------------------------------- */

typedef struct store {
    pcs_usageload_t *u;
    size_t *first;                /* rows of tenant t: order[first[t] .. first[t + 1]) */
    uint32_t *order;
    bool *stored;                 /* tenant t has a row in usage_packed */
    pcs_usage_row_t *scratch;     /* one tenant's rows for pcs_usage_merge */
    size_t cap_scratch;
    pcs_copybuf_t upd;            /* "tenant \t data \n" of the stored tenants, for usage_upd */
    size_t n_upd;                 /* its lines */
} store_t;

/* Groups the rows by tenant (a counting sort: the rows stay where they are). */
static int group(store_t *s)
{
    pcs_usageload_t *u = s->u;
    s->first = calloc(u->n_tenants + 1, sizeof *s->first);
    s->order = malloc((u->n_rows ? u->n_rows : 1) * sizeof *s->order);
    s->stored = calloc(u->n_tenants ? u->n_tenants : 1, sizeof *s->stored);
    if (!s->first || !s->order || !s->stored)
        return PCS_ENOMEM;
    for (size_t i = 0; i < u->n_rows; i++)
        s->first[u->rows[i].tenant + 1]++;
    for (size_t t = 0; t < u->n_tenants; t++)
        s->first[t + 1] += s->first[t];
    size_t *next = malloc((u->n_tenants ? u->n_tenants : 1) * sizeof *next);
    if (!next)
        return PCS_ENOMEM;
    memcpy(next, s->first, u->n_tenants * sizeof *next);
    for (size_t i = 0; i < u->n_rows; i++)
        s->order[next[u->rows[i].tenant]++] = (uint32_t)i;
    free(next);
    return 0;
}

/* Tenant t's packed text: its rows rows[idx[0 .. n)] (idx NULL: rows[first .. first + n)) merged into
 * its stored text old[0 .. old_n) (old_n 0: none); *scratch (*cap entries) holds them meanwhile. */
static char *pack_rows(pcs_usageload_t *u, int32_t t, const uint32_t *idx, size_t first, size_t n,
                       pcs_usage_row_t **scratch, size_t *cap, const char *old, size_t old_n, pcs_err_t *err)
{
    if (n > *cap) {
        size_t nc = n < 64 ? 64 : n * 2;
        pcs_usage_row_t *ns = realloc(*scratch, nc * sizeof *ns);
        if (!ns) {
            pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
            return NULL;
        }
        *scratch = ns;
        *cap = nc;
    }
    for (size_t i = 0; i < n; i++) {
        const urow_t *r = &u->rows[idx ? idx[i] : first + i];
        (*scratch)[i] = (pcs_usage_row_t){.workload = u->workloads[r->workload], .month = r->month,
                                          .acr_cents = r->acr_cents, .revenue_cents = r->revenue_cents,
                                          .paid_units = r->paid_units, .active_units = r->active_units};
    }
    char *p = pcs_usage_merge(old, old_n, *scratch, n, err);
    if (!p && err && err->code == PCS_EINVAL) {
        char why[sizeof err->msg];
        memcpy(why, err->msg, sizeof why);
        pcs_err_set(err, PCS_EINVAL, 0, 0, "usage_packed row of tenant '%.128s': %.300s", u->tenants[t], why);
    }
    return p;
}

/* Tenant t's packed text: all its rows of the file merged into old[0 .. old_n). */
static char *pack_tenant(store_t *s, int32_t t, const char *old, size_t old_n, pcs_err_t *err)
{
    size_t a = s->first[t];
    return pack_rows(s->u, t, s->order + a, 0, s->first[t + 1] - a, &s->scratch, &s->cap_scratch, old, old_n, err);
}

/* One "tenant \t data \n" line of COPY text. Ids are validated (pcs_valid_id) and packed text holds
 * digits, ',', '-', workload ids and the separators 0x1d-0x1f: neither needs COPY's escapes. */
static void put_line(pcs_copybuf_t *b, const char *tenant, const char *data)
{
    pcs_copy_field(b, tenant, strlen(tenant), true);
    pcs_copy_put(b, "\t", 1);
    pcs_copy_put(b, data, strlen(data));
    pcs_copy_put(b, "\n", 1);
}

/* One stored row "tenant \t data" of a file's tenant: packed with the file's rows into s->upd. */
static int fetched_row(void *arg, char *line, int len, pcs_err_t *err)
{
    store_t *s = arg;
    char *tab = memchr(line, '\t', (size_t)len);
    if (!tab)
        return pcs_err_set(err, PCS_EIO, 0, 0, "COPY of usage_packed: a line without a tab");
    *tab = '\0';
    char *data = tab + 1;
    if (memchr(line, '\\', (size_t)len)) {   /* never in ids or packed text, but COPY may escape */
        pcs_copy_unescape(line);
        data = pcs_copy_unescape(data);
    }
    int32_t t = data ? pcs_strmap_get(s->u->tenant_ids, line, strlen(line)) : -1;
    if (t < 0 || s->stored[t])
        return 0;
    char *packed = pack_tenant(s, t, data, strlen(data), err);
    if (!packed)
        return err ? err->code : PCS_ENOMEM;
    put_line(&s->upd, s->u->tenants[t], packed);
    s->n_upd++;
    s->stored[t] = true;
    free(packed);
    return 0;
}

/* Reads the stored rows of the file's tenants and packs each with its rows into s->upd. */
static int fetch_stored(store_t *s, PGconn *db, pcs_err_t *err)
{
    int rc = pcs_copy_out_lines(db, "COPY (SELECT p.tenant_id, p.data FROM usage_packed p JOIN usage_tenants s"
                                    " USING (tenant_id) WHERE NOT s.streamed) TO STDOUT",
                                "COPY of usage_packed", fetched_row, s, err);
    if (rc == 0 && s->upd.oom)
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    return rc;
}

/* Chunks of COPY text handed from one thread to another: PostgreSQL takes in one chunk while the next
 * is made. The producer pushes; the consumer pops, sends and gives the emptied buffer back, so the
 * chunks do not keep asking the kernel for fresh pages. */
#define PACK_CHUNK (1u << 20)
#define PACK_QUEUE 4

typedef struct chunkq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pcs_copybuf_t q[PACK_QUEUE];  /* chunks not sent yet, q[head] first */
    int head, count;
    pcs_copybuf_t spare[PACK_QUEUE + 1];  /* sent chunks, emptied, for the producer to fill again */
    int n_spare;
    bool closed, stopped;         /* the producer finished; the consumer gave up */
} chunkq_t;

static void chunkq_init(chunkq_t *q)
{
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
}

static void chunkq_free(chunkq_t *q)
{
    for (; q->count > 0; q->count--, q->head = (q->head + 1) % PACK_QUEUE)
        free(q->q[q->head].s);
    while (q->n_spare > 0)
        free(q->spare[--q->n_spare].s);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

/* Hands *b over and puts an empty buffer in its place; waits while the queue is full. false: the
 * consumer gave up (*b is kept). */
static bool chunkq_push(chunkq_t *q, pcs_copybuf_t *b)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == PACK_QUEUE && !q->stopped)
        pthread_cond_wait(&q->cv, &q->mu);
    bool ok = !q->stopped;
    if (ok) {
        q->q[(q->head + q->count) % PACK_QUEUE] = *b;
        q->count++;
        *b = q->n_spare ? q->spare[--q->n_spare] : (pcs_copybuf_t){0};
    }
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return ok;
}

/* Sets a flag (the producer finished, or the consumer gave up) and wakes the other side. */
static void chunkq_set(chunkq_t *q, bool *flag)
{
    pthread_mutex_lock(&q->mu);
    *flag = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* The next chunk into *b, waiting for one; false once the producer finished and all were taken. */
static bool chunkq_pop(chunkq_t *q, pcs_copybuf_t *b)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->cv, &q->mu);
    bool got = q->count > 0;
    if (got) {
        *b = q->q[q->head];
        q->head = (q->head + 1) % PACK_QUEUE;
        q->count--;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return got;
}

/* A chunk sent (or not): emptied and kept for the producer. */
static void chunkq_recycle(chunkq_t *q, pcs_copybuf_t *b)
{
    pcs_copy_clear(b);
    pthread_mutex_lock(&q->mu);
    if (q->n_spare < PACK_QUEUE + 1)
        q->spare[q->n_spare++] = *b;
    else
        free(b->s);
    pthread_mutex_unlock(&q->mu);
    *b = (pcs_copybuf_t){0};
}

/* Pops and sends chunks until the producer finished; after a failure (*rc and *err set before the
 * queue is stopped, so a producer that finds it stopped may read them), takes the rest and drops it. */
static void chunkq_send(chunkq_t *q, PGconn *db, int *rc, pcs_err_t *err)
{
    pcs_copybuf_t b;
    while (chunkq_pop(q, &b)) {
        if (*rc == 0 && (*rc = pcs_copy_flush(db, &b, err)) < 0)
            chunkq_set(q, &q->stopped);
        chunkq_recycle(q, &b);
    }
}

/* The tenants new to usage_packed are packed on a thread of their own while this one sends what it
 * packed. */
typedef struct packer {
    store_t *s;
    chunkq_t q;
    int rc;                       /* the packer's failure, err its message */
    pcs_err_t err;
    PGconn *db;                   /* no thread could be started: the packer sends itself */
} packer_t;

static void *pack_new(void *arg)
{
    packer_t *p = arg;
    store_t *s = p->s;
    pcs_copybuf_t b = {0};
    int rc = 0;
    for (size_t t = 0; t <= s->u->n_tenants && rc == 0; t++) {
        if (t < s->u->n_tenants) {
            if (s->stored[t])
                continue;
            char *packed = pack_tenant(s, (int32_t)t, NULL, 0, &p->err);
            if (!packed) {
                rc = p->err.code ? p->err.code : PCS_ENOMEM;
                break;
            }
            put_line(&b, s->u->tenants[t], packed);
            free(packed);
            if (b.n < PACK_CHUNK)
                continue;
        }
        if (b.oom)
            rc = pcs_err_set(&p->err, PCS_ENOMEM, 0, 0, "out of memory");
        else if (p->db)
            rc = pcs_copy_flush(p->db, &b, &p->err);
        else if (!chunkq_push(&p->q, &b))
            break;
    }
    free(b.s);
    p->rc = rc;
    chunkq_set(&p->q, &p->q.closed);
    return NULL;
}

/* The tenants new to usage_packed, packed and copied straight into it. */
static int copy_new(store_t *s, PGconn *db, pcs_err_t *err)
{
    packer_t p = {.s = s};
    int rc = pcs_copy_begin(db, "COPY usage_packed (tenant_id, data) FROM STDIN", err);
    if (rc < 0)
        return rc;
    chunkq_init(&p.q);
    pthread_t th;
    if (pthread_create(&th, NULL, pack_new, &p) == 0) {
        chunkq_send(&p.q, db, &rc, err);
        pthread_join(th, NULL);
    } else {   /* pack and send here, one chunk after the other */
        p.db = db;
        pack_new(&p);
    }
    chunkq_free(&p.q);
    if (rc == 0 && p.rc < 0) {
        rc = p.rc;
        if (err)
            *err = p.err;
    }
    int rc2 = pcs_copy_end(db, rc == 0 ? err : NULL);
    return rc ? rc : rc2;
}

/* The stored tenants' new text: COPY into a temp table, one UPDATE (ingest never deletes). Each
 * changed tenant finds its row through the key of usage_packed (a nested loop): planned from the
 * table's statistics, which right after a large load still describe the table before it, the UPDATE
 * hashed usage_packed into 32 batches and wrote the changed rows to temporary files first (a month of
 * 200,000 tenants loaded just after the first file: 2.6 s, 1 s of it writing them); no JIT either, for
 * a cost estimated from the same statistics. */
/* Which side of the UPDATE's nested loop drives is planned from the tables' statistics: when they
 * count fewer rows than the update changes (an ANALYZE ran while a large load was uncommitted), the
 * tables are analyzed first (sql/0025), or a month right after a first load runs for minutes. */
static int check_stats(PGconn *db, size_t changed, pcs_err_t *err)
{
    char n[24];
    snprintf(n, sizeof n, "%zu", changed);
    const char *p[1] = {n};
    PGresult *r = NULL;
    int rc = pcs_db_query(db, "SELECT pcs_usage_stats_check($1::bigint)", 1, p, &r, err);
    if (rc == 0 && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0])
        pcs_log(PCS_LOG_INFO, "ingest", "usage",
                "statistics of %s counted fewer rows than the %zu tenants to update: analyzed", PQgetvalue(r, 0, 0),
                changed);
    PQclear(r);
    return rc;
}

static int update_stored(store_t *s, PGconn *db, pcs_err_t *err)
{
    if (s->upd.n == 0)
        return 0;
    int rc = pcs_db_exec(db, "CREATE TEMP TABLE usage_upd (tenant_id text, data text) ON COMMIT DROP", err);
    if (rc == 0)
        rc = pcs_copy_begin(db, "COPY usage_upd FROM STDIN", err);
    if (rc < 0)
        return rc;
    rc = pcs_copy_flush(db, &s->upd, err);
    int rc2 = pcs_copy_end(db, rc == 0 ? err : NULL);
    if (rc == 0)
        rc = rc2;
    if (rc == 0)
        rc = check_stats(db, s->n_upd, err);
    if (rc == 0)
        rc = pcs_db_exec(db, PCS_SQL_KEYED_PLANS, err);
    if (rc == 0)
        rc = pcs_db_exec(db, "UPDATE usage_packed p SET data = u.data FROM usage_upd u WHERE p.tenant_id = u.tenant_id",
                         err);
    if (rc == 0)
        rc = pcs_db_exec(db, PCS_SQL_KEYED_PLANS_RESET, err);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- storing while the file is read ------------------------------------------------------------------ */

static uint64_t id_hash(const char *s)
{
    uint64_t h = 1469598103934665603u;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* false: id was not in usage_packed when streaming began (true may be another id's hash) */
static bool maybe_stored(const stream_t *st, const char *id)
{
    uint64_t h = id_hash(id);
    return st->n_stored && bsearch(&h, st->stored, st->n_stored, sizeof h, cmp_u64);
}

/* The run of the last row's tenant ended: queued to be sent, unless it ran before or nothing more goes. */
static int stream_end_run(pcs_usageload_t *u)
{
    stream_t *st = u->st;
    if (u->last < 0 || st->broken || st->state[u->last] != RUN_OPEN)
        return 0;
    if (st->n == st->cap) {
        run_t *nq = grown(st->queue, &st->cap, sizeof *nq, 1024);
        if (!nq)
            return PCS_ENOMEM;
        st->queue = nq;
    }
    st->queue[st->n++] = (run_t){u->last, st->run_first, u->n_rows};
    st->state[u->last] = RUN_QUEUED;
    return 0;
}

/* Tenant t's rows begin (t is not the last row's tenant). */
static int stream_next_run(pcs_usageload_t *u, int32_t t)
{
    stream_t *st = u->st;
    if (st->cap_state < u->n_tenants) {
        size_t nc = st->cap_state * 2 > u->n_tenants ? st->cap_state * 2 : u->n_tenants + 1024;
        uint8_t *ns = realloc(st->state, nc);
        if (!ns)
            return PCS_ENOMEM;
        memset(ns + st->cap_state, RUN_OPEN, nc - st->cap_state);
        st->state = ns;
        st->cap_state = nc;
    }
    if (stream_end_run(u) < 0)
        return PCS_ENOMEM;
    if (st->state[t] != RUN_OPEN) {   /* met again: the file is not grouped by tenant */
        st->broken = true;
        if (st->state[t] == RUN_SENT) {
            st->state[t] = RUN_SENT_MET_AGAIN;
            st->met_again++;
        }
    }
    st->run_first = u->n_rows;
    return 0;
}

/* While the COPY is open, a thread of its own sends what the reading thread packed: with the sending
 * done by the reader, each blocked until PostgreSQL had taken in the last chunk and PostgreSQL then
 * waited while the next was read (one core busy, not two). */
typedef struct sender {
    chunkq_t q;
    PGconn *db;
    pthread_t th;
    int rc;                       /* the sender's failure, err its message */
    pcs_err_t err;
} sender_t;

static void *send_chunks(void *arg)
{
    sender_t *sd = arg;
    chunkq_send(&sd->q, sd->db, &sd->rc, &sd->err);
    return NULL;
}

/* Hands the packed tenants to the COPY, opening it (and its sender) first when none is open. */
static int stream_flush(stream_t *st, pcs_err_t *err)
{
    if (!st->copying) {
        /* (FORMAT text) spelled out tells this COPY from copy_new's in pg_stat_activity */
        int rc = pcs_copy_begin(st->db, "COPY usage_packed (tenant_id, data) FROM STDIN (FORMAT text)", err);
        if (rc < 0)
            return rc;
        st->copying = true;
        st->copies++;
        sender_t *sd = calloc(1, sizeof *sd);
        if (sd) {
            chunkq_init(&sd->q);
            sd->db = st->db;
            if (pthread_create(&sd->th, NULL, send_chunks, sd) == 0) {
                st->sender = sd;
            } else {
                chunkq_free(&sd->q);
                free(sd);
            }
        }
    }
    if (!st->sender)
        return pcs_copy_flush(st->db, &st->out, err);
    if (st->out.oom)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    if (chunkq_push(&st->sender->q, &st->out))
        return 0;
    if (err)   /* the sender failed: it set rc and err before it stopped the queue */
        *err = st->sender->err;
    return st->sender->rc < 0 ? st->sender->rc : PCS_EIO;
}

/* Waits for the sender to send what it holds and ends it: its failure, or 0. */
static int stream_join(stream_t *st, pcs_err_t *err)
{
    sender_t *sd = st->sender;
    if (!sd)
        return 0;
    chunkq_set(&sd->q, &sd->q.closed);
    pthread_join(sd->th, NULL);
    int rc = sd->rc;
    if (rc < 0 && err)
        *err = sd->err;
    chunkq_free(&sd->q);
    free(sd);
    st->sender = NULL;
    return rc;
}

/* One id of usage_packed: its hash kept (st->stored grows in st->cap_stored). */
static int stored_id(void *arg, char *line, int len, pcs_err_t *err)
{
    stream_t *st = arg;
    (void)len;
    if (st->n_stored == st->cap_stored) {
        uint64_t *ns = grown(st->stored, &st->cap_stored, sizeof *ns, 4096);
        if (!ns)
            return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        st->stored = ns;
    }
    const char *id = strchr(line, '\\') ? pcs_copy_unescape(line) : line;
    st->stored[st->n_stored++] = id_hash(id ? id : "");
    return 0;
}

int pcs_usageload_stream_begin(pcs_usageload_t *u, PGconn *db, unsigned long long file_bytes, bool always,
                               pcs_err_t *err)
{
    /* the table's size on disk, not its statistics: those say nothing until it was first analyzed */
    PGresult *r = NULL;
    int rc = pcs_db_query(db, "SELECT pg_relation_size('usage_packed')", 0, NULL, &r, err);
    if (rc < 0)
        return rc;
    unsigned long long table_bytes = PQntuples(r) == 1 ? strtoull(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    if (!always && table_bytes / STREAM_TABLE_PER_FILE > file_bytes)
        return 0;
    if ((rc = pcs_db_exec(db, USAGE_LOCK_SQL, err)) < 0)
        return rc;
    stream_t *st = calloc(1, sizeof *st);
    if (!st)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    u->st = st;
    if ((rc = pcs_copy_out_lines(db, "COPY (SELECT tenant_id FROM usage_packed) TO STDOUT", "COPY of usage_packed",
                                 stored_id, st, err)) < 0)
        return rc;
    if (st->n_stored)
        qsort(st->stored, st->n_stored, sizeof *st->stored, cmp_u64);
    st->db = db;
    return 1;
}

int pcs_usageload_stream_pump(pcs_usageload_t *u, bool ready, pcs_err_t *err)
{
    stream_t *st = u ? u->st : NULL;
    if (!st || !st->db || !ready || st->broken)
        return 0;
    int rc = 0;
    for (; st->head < st->n && rc == 0; st->head++) {
        run_t r = st->queue[st->head];
        if (st->state[r.t] != RUN_QUEUED)
            continue;
        const char *id = u->tenants[r.t];
        if (maybe_stored(st, id)) {   /* merged with its stored text by pcs_usageload_store */
            st->state[r.t] = RUN_KEPT;
            continue;
        }
        pcs_err_t e = {0};
        char *packed = pack_rows(u, r.t, NULL, r.first, r.end - r.first, &st->scratch, &st->cap_scratch, NULL, 0, &e);
        if (!packed) {
            if (err)
                *err = e;
            return e.code ? e.code : PCS_ENOMEM;
        }
        put_line(&st->out, id, packed);
        free(packed);
        st->state[r.t] = RUN_SENT;
        st->sent++;
        if (st->out.n >= PACK_CHUNK)
            rc = stream_flush(st, err);
    }
    if (st->head == st->n)
        st->head = st->n = 0;
    return rc;
}

int pcs_usageload_stream_pause(pcs_usageload_t *u, pcs_err_t *err)
{
    stream_t *st = u ? u->st : NULL;
    if (!st || !st->db)
        return 0;
    int rc = st->out.n ? stream_flush(st, err) : 0;
    int rc2 = stream_join(st, rc == 0 ? err : NULL);
    if (rc == 0)
        rc = rc2;
    if (rc == 0 && st->copying) {
        st->copying = false;
        rc = pcs_copy_end(st->db, err);
    }
    return rc;
}

int pcs_usageload_stream_end(pcs_usageload_t *u, bool ok, pcs_err_t *err)
{
    stream_t *st = u ? u->st : NULL;
    if (!st || !st->db)
        return 0;
    int rc = 0;
    double t0 = now_s();
    if (ok) {
        if ((rc = stream_end_run(u)) < 0)
            pcs_err_set(err, rc, 0, 0, "out of memory");
        if (rc == 0)
            rc = pcs_usageload_stream_pump(u, true, err);
        if (rc == 0)
            rc = pcs_usageload_stream_pause(u, err);
    }
    stream_join(st, NULL);
    if (st->copying) {   /* given up: the COPY fails, the caller rolls back */
        PQputCopyEnd(st->db, "the load was given up");
        PGresult *r;
        while ((r = PQgetResult(st->db)))
            PQclear(r);
        st->copying = false;
    }
    st->db = NULL;
    st->end_s = now_s() - t0;
    return rc;
}

int pcs_usageload_store(pcs_usageload_t *u, PGconn *db, pcs_err_t *err)
{
    double t0 = now_s(), t1 = t0, t2 = t0, t3 = t0;
    store_t s = {.u = u};
    pcs_copybuf_t b = {0};
    int rc = pcs_db_exec(db, USAGE_LOCK_SQL "; CREATE TEMP TABLE usage_tenants (tenant_id text, streamed boolean)"
                             " ON COMMIT DROP", err);
    if (rc == 0)
        rc = pcs_copy_begin(db, "COPY usage_tenants FROM STDIN", err);
    if (rc < 0)
        goto out;
    for (size_t t = 0; t < u->n_tenants && rc == 0; t++) {
        pcs_copy_field(&b, u->tenants[t], strlen(u->tenants[t]), true);
        pcs_copy_put(&b, run_state(u, t) >= RUN_SENT && run_state(u, t) <= RUN_SENT_MET_AGAIN ? "\tt\n" : "\tf\n", 3);
        if (b.n > (1u << 20))
            rc = pcs_copy_flush(db, &b, err);
    }
    if (rc == 0)
        rc = pcs_copy_flush(db, &b, err);
    int rc2 = pcs_copy_end(db, rc == 0 ? err : NULL);
    if (rc == 0)
        rc = rc2;
    if (rc < 0 || u->n_rows == 0)
        goto out;
    if ((rc = group(&s)) < 0) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    /* the tenants sent while the file was read: done, or met again and now packed from all their rows */
    for (size_t t = 0; t < u->n_tenants && rc == 0; t++) {
        int state = run_state(u, t);
        if (state == RUN_SENT_MET_AGAIN) {
            char *packed = pack_tenant(&s, (int32_t)t, NULL, 0, err);
            if (!packed) {
                rc = err ? err->code : PCS_ENOMEM;
                goto out;
            }
            put_line(&s.upd, u->tenants[t], packed);
            s.n_upd++;
            free(packed);
        }
        s.stored[t] = state == RUN_SENT || state == RUN_SENT_MET_AGAIN;
    }
    /* statistics of the tenants, so the join below hashes rather than loops */
    t1 = now_s();
    if ((rc = pcs_db_exec(db, "ANALYZE usage_tenants", err)) < 0 || (rc = fetch_stored(&s, db, err)) < 0)
        goto out;
    t2 = now_s();
    if ((rc = copy_new(&s, db, err)) < 0)
        goto out;
    t3 = now_s();
    if ((rc = update_stored(&s, db, err)) < 0)
        goto out;
    pcs_log(PCS_LOG_DEBUG, "ingest", "usage", "%zu rows of %zu tenants: %zu copied while the file was read (%zu of them"
            " met again and updated; COPY statements: %zu, the last ended in %.2f s), their ids %.2f s, read and merge the stored %.2f s, copy the new %.2f s, update the"
            " stored %.2f s", u->n_rows, u->n_tenants, u->st ? u->st->sent : 0, u->st ? u->st->met_again : 0,
            u->st ? u->st->copies : 0, u->st ? u->st->end_s : 0.0, t1 - t0,
            t2 - t1, t3 - t2, now_s() - t3);
out:
    free(b.s);
    free(s.first);
    free(s.order);
    free(s.stored);
    free(s.scratch);
    free(s.upd.s);
    return rc;
}
