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

typedef struct urow {   /* 32 bytes */
    int32_t tenant;
    uint16_t workload;
    int16_t month;
    int32_t paid_units, active_units;
    int64_t acr_cents, revenue_cents;
} urow_t;

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
    free(u->tenants);
    free(u->workloads);
    free(u->rows);
    free(u);
    *pu = NULL;
}

/* The index of s in map (names[] holds the map's copies by index), added when new; -1 when out of memory. */
static int32_t intern(pcs_strmap_t *map, const char ***names, size_t *n, size_t *cap, const char *s, size_t len)
{
    int32_t i = pcs_strmap_get(map, s, len);
    if (i >= 0)
        return i;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        const char **nn = realloc(*names, nc * sizeof *nn);
        if (!nn)
            return -1;
        *names = nn;
        *cap = nc;
    }
    if (*n >= INT32_MAX || pcs_strmap_put(map, s, len, (int32_t)*n, &(*names)[*n]) < 0)
        return -1;
    return (int32_t)(*n)++;
}

int pcs_usageload_add(pcs_usageload_t *u, const char *tenant, size_t tenant_len, const char *workload,
                      size_t workload_len, int32_t month, int64_t acr_cents, int64_t revenue_cents, int64_t paid_units,
                      int64_t active_units)
{
    int32_t t = u->last;
    if (t < 0 || strncmp(u->tenants[t], tenant, tenant_len) != 0 || u->tenants[t][tenant_len] != '\0')
        t = intern(u->tenant_ids, &u->tenants, &u->n_tenants, &u->cap_tenants, tenant, tenant_len);
    if (t < 0)
        return PCS_ENOMEM;
    int32_t w = u->last_workload;
    if (w < 0 || strncmp(u->workloads[w], workload, workload_len) != 0 || u->workloads[w][workload_len])
        w = intern(u->workload_ids, &u->workloads, &u->n_workloads, &u->cap_workloads, workload, workload_len);
    if (w < 0)
        return PCS_ENOMEM;
    if (w > UINT16_MAX || month < 0 || month > INT16_MAX || paid_units < INT32_MIN || paid_units > INT32_MAX ||
        active_units < INT32_MIN || active_units > INT32_MAX)
        return PCS_EINVAL;
    u->last = t;
    u->last_workload = w;
    if (u->n_rows == u->cap_rows) {
        size_t nc = u->cap_rows ? u->cap_rows * 2 : 4096;
        urow_t *nr = realloc(u->rows, nc * sizeof *nr);
        if (!nr)
            return PCS_ENOMEM;
        u->rows = nr;
        u->cap_rows = nc;
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

/* Tenant t's packed text: its rows merged into its stored text old[0..old_n) (old_n 0: none). */
static char *pack_tenant(store_t *s, int32_t t, const char *old, size_t old_n, pcs_err_t *err)
{
    pcs_usageload_t *u = s->u;
    size_t a = s->first[t], n = s->first[t + 1] - a;
    if (n > s->cap_scratch) {
        size_t nc = n < 64 ? 64 : n * 2;
        pcs_usage_row_t *ns = realloc(s->scratch, nc * sizeof *ns);
        if (!ns) {
            pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
            return NULL;
        }
        s->scratch = ns;
        s->cap_scratch = nc;
    }
    for (size_t i = 0; i < n; i++) {
        const urow_t *r = &u->rows[s->order[a + i]];
        s->scratch[i] = (pcs_usage_row_t){u->workloads[r->workload], r->month, r->acr_cents, r->revenue_cents,
                                          r->paid_units, r->active_units};
    }
    char *p = pcs_usage_merge(old, old_n, s->scratch, n, err);
    if (!p && err && err->code == PCS_EINVAL) {
        char why[sizeof err->msg];
        memcpy(why, err->msg, sizeof why);
        pcs_err_set(err, PCS_EINVAL, 0, 0, "usage_packed row of tenant '%.128s': %.300s", u->tenants[t], why);
    }
    return p;
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

/* Reads the stored rows of the file's tenants and packs each with its rows into s->upd. */
static int fetch_stored(store_t *s, PGconn *db, pcs_err_t *err)
{
    int rc = pcs_copy_out_begin(db, "COPY (SELECT p.tenant_id, p.data FROM usage_packed p JOIN usage_tenants s"
                                    " USING (tenant_id)) TO STDOUT", err);
    if (rc < 0)
        return rc;
    char *line;
    int len;
    while ((len = PQgetCopyData(db, &line, 0)) > 0) {
        if (rc == 0) {   /* after a failure the rest is read and dropped */
            char *tab = memchr(line, '\t', (size_t)len);
            if (line[len - 1] == '\n')
                line[--len] = '\0';
            if (!tab) {
                rc = pcs_err_set(err, PCS_EIO, 0, 0, "COPY of usage_packed: a line without a tab");
            } else {
                *tab = '\0';
                char *data = tab + 1;
                if (memchr(line, '\\', (size_t)len)) {   /* never in ids or packed text, but COPY may escape */
                    pcs_copy_unescape(line);
                    data = pcs_copy_unescape(data);
                }
                int32_t t = data ? pcs_strmap_get(s->u->tenant_ids, line, strlen(line)) : -1;
                if (t >= 0 && !s->stored[t]) {
                    char *packed = pack_tenant(s, t, data, strlen(data), err);
                    if (!packed) {
                        rc = err ? err->code : PCS_ENOMEM;
                    } else {
                        put_line(&s->upd, s->u->tenants[t], packed);
                        s->stored[t] = true;
                        free(packed);
                    }
                }
            }
        }
        PQfreemem(line);
    }
    if (len == -2 && rc == 0)
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "COPY of usage_packed: %s", PQerrorMessage(db));
    PGresult *r;
    while ((r = PQgetResult(db))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0)
            rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s", PQresultErrorMessage(r));
        PQclear(r);
    }
    if (rc == 0 && s->upd.oom)
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    return rc;
}

/* The tenants new to usage_packed are packed on a thread of their own while this one sends what it
 * packed: PostgreSQL takes in one chunk while the next is packed. */
#define PACK_CHUNK (1u << 20)
#define PACK_QUEUE 4

typedef struct packer {
    store_t *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pcs_copybuf_t q[PACK_QUEUE];  /* packed chunks not sent yet, q[head] first */
    int head, count;
    pcs_copybuf_t spare[PACK_QUEUE + 1];  /* sent chunks, emptied, for the packer to fill again */
    int n_spare;
    bool done, stop;              /* the packer finished; the sender gave up */
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
        if (b.oom) {
            rc = pcs_err_set(&p->err, PCS_ENOMEM, 0, 0, "out of memory");
            break;
        }
        if (p->db) {
            rc = pcs_copy_flush(p->db, &b, &p->err);
            continue;
        }
        pthread_mutex_lock(&p->mu);
        while (p->count == PACK_QUEUE && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        bool stop = p->stop;
        if (!stop) {
            p->q[(p->head + p->count) % PACK_QUEUE] = b;
            p->count++;
            /* a buffer sent already, so the chunks do not keep asking the kernel for fresh pages */
            b = p->n_spare ? p->spare[--p->n_spare] : (pcs_copybuf_t){0};
        }
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
    }
    free(b.s);
    pthread_mutex_lock(&p->mu);
    p->rc = rc;
    p->done = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* The tenants new to usage_packed, packed and copied straight into it. */
static int copy_new(store_t *s, PGconn *db, pcs_err_t *err)
{
    packer_t p = {.s = s};
    int rc = pcs_copy_begin(db, "COPY usage_packed (tenant_id, data) FROM STDIN", err);
    if (rc < 0)
        return rc;
    pthread_t th;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    bool threaded = pthread_create(&th, NULL, pack_new, &p) == 0;
    if (!threaded) {   /* pack and send here, one chunk after the other */
        p.db = db;
        pack_new(&p);
    }
    for (;;) {
        pthread_mutex_lock(&p.mu);
        while (threaded && p.count == 0 && !p.done)
            pthread_cond_wait(&p.cv, &p.mu);
        if (p.count == 0) {
            pthread_mutex_unlock(&p.mu);
            break;
        }
        pcs_copybuf_t b = p.q[p.head];
        p.head = (p.head + 1) % PACK_QUEUE;
        p.count--;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        if (rc == 0)
            rc = pcs_copy_flush(db, &b, err);
        pcs_copy_clear(&b);   /* emptied for the packer, whatever the flush did */
        pthread_mutex_lock(&p.mu);
        if (p.n_spare < PACK_QUEUE + 1)
            p.spare[p.n_spare++] = b;
        else
            free(b.s);
        pthread_mutex_unlock(&p.mu);
        if (rc < 0) {
            pthread_mutex_lock(&p.mu);
            p.stop = true;
            pthread_cond_broadcast(&p.cv);
            pthread_mutex_unlock(&p.mu);
        }
    }
    if (threaded)
        pthread_join(th, NULL);
    for (; p.count > 0; p.count--, p.head = (p.head + 1) % PACK_QUEUE)
        free(p.q[p.head].s);
    while (p.n_spare > 0)
        free(p.spare[--p.n_spare].s);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
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

int pcs_usageload_store(pcs_usageload_t *u, PGconn *db, pcs_err_t *err)
{
    double t0 = now_s(), t1 = t0, t2 = t0, t3 = t0;
    store_t s = {.u = u};
    pcs_copybuf_t b = {0};
    int rc = pcs_db_exec(db, USAGE_LOCK_SQL "; CREATE TEMP TABLE usage_tenants (tenant_id text) ON COMMIT DROP", err);
    if (rc == 0)
        rc = pcs_copy_begin(db, "COPY usage_tenants FROM STDIN", err);
    if (rc < 0)
        goto out;
    for (size_t t = 0; t < u->n_tenants && rc == 0; t++) {
        pcs_copy_field(&b, u->tenants[t], strlen(u->tenants[t]), true);
        pcs_copy_put(&b, "\n", 1);
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
    pcs_log(PCS_LOG_DEBUG, "ingest", "usage", "%zu rows of %zu tenants: their ids %.2f s, read and merge the stored %.2f s,"
            " copy the new %.2f s, update the stored %.2f s", u->n_rows, u->n_tenants, t1 - t0, t2 - t1, t3 - t2,
            now_s() - t3);
out:
    free(b.s);
    free(s.first);
    free(s.order);
    free(s.stored);
    free(s.scratch);
    free(s.upd.s);
    return rc;
}
