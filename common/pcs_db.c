#include "pcs_db.h"

#include <dirent.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_file.h"
#include "pcs_log.h"

PGconn *pcs_db_connect(const char *conninfo, pcs_err_t *err)
{
    PGconn *db = PQconnectdb(conninfo ? conninfo : "");
    if (!db) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    if (PQstatus(db) != CONNECTION_OK) {
        pcs_err_set(err, PCS_EIO, 0, 0, "cannot connect to PostgreSQL: %s", PQerrorMessage(db));
        PQfinish(db);
        return NULL;
    }
    return db;
}

int pcs_db_exec(PGconn *db, const char *sql, pcs_err_t *err)
{
    PGresult *r = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(r);
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%.*s", (int)strcspn(m, "\n"), m);
    }
    PQclear(r);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Migration files: four digits, an underscore, a name, ".sql". */
static int version_of(const char *name)
{
    size_t n = strlen(name);
    if (n < 9 || strcmp(name + n - 4, ".sql") != 0 || name[4] != '_')
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

int pcs_db_migrate(PGconn *db, const char *dir, int *applied, pcs_err_t *err)
{
    int rc = 0, n = 0, cap = 0;
    char **names = NULL, *sql = NULL;
    DIR *d = NULL;
    PGresult *r = NULL;
    *applied = 0;

    if ((rc = pcs_db_exec(db,
                          "SET client_min_messages = warning; SELECT pg_advisory_lock(727001);"
                          "CREATE TABLE IF NOT EXISTS pcs_migrations (version int PRIMARY KEY, name text NOT NULL,"
                          " applied_at timestamptz NOT NULL DEFAULT now())",
                          err)) < 0)
        goto out;
    d = opendir(dir);
    if (!d) {
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: cannot open the migrations directory", dir);
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (version_of(de->d_name) < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, sizeof *names * (size_t)cap);
            if (!nn) {
                rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
                goto out;
            }
            names = nn;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
            goto out;
        }
        n++;
    }
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char ver[16];
        snprintf(ver, sizeof ver, "%d", version_of(names[i]));
        const char *params[2] = {ver, names[i]};
        r = PQexecParams(db, "SELECT 1 FROM pcs_migrations WHERE version = $1::int", 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s", PQresultErrorMessage(r));
            goto out;
        }
        bool done = PQntuples(r) > 0;
        PQclear(r);
        r = NULL;
        if (done)
            continue;
        char path[4096];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if ((rc = pcs_file_read(path, 16u << 20, &sql, &len, err)) < 0)
            goto out;
        if ((rc = pcs_db_exec(db, "BEGIN", err)) < 0)
            goto out;
        if ((rc = pcs_db_exec(db, sql, err)) < 0) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err ? err->msg : "");
            pcs_db_exec(db, "ROLLBACK", NULL);
            rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", names[i], why);
            goto out;
        }
        r = PQexecParams(db, "INSERT INTO pcs_migrations (version, name) VALUES ($1::int, $2)", 2, NULL, params,
                         NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s", PQresultErrorMessage(r));
            pcs_db_exec(db, "ROLLBACK", NULL);
            goto out;
        }
        PQclear(r);
        r = NULL;
        if ((rc = pcs_db_exec(db, "COMMIT", err)) < 0)
            goto out;
        free(sql);
        sql = NULL;
        (*applied)++;
    }
out:
    PQclear(r);
    pcs_db_exec(db, "SELECT pg_advisory_unlock(727001)", NULL);
    if (d)
        closedir(d);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(sql);
    return rc;
}

int pcs_db_query(PGconn *db, const char *sql, int n, const char *const *params, PGresult **out, pcs_err_t *err)
{
    /* without parameters PQexec, which also runs a script made of several statements */
    PGresult *r = n ? PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0) : PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(db);
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        int code = pcs_err_set(err, state && strcmp(state, "23505") == 0 ? PCS_EEXIST : PCS_EIO, 0, 0, "%.*s",
                               (int)strcspn(m, "\n"), m);
        PQclear(r);
        return code;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

PGconn *pcs_db_ensure(PGconn **c, const char *conninfo, const char *daemon)
{
    if (*c && PQstatus(*c) == CONNECTION_OK)
        return *c;
    if (*c) {
        PQfinish(*c);
        *c = NULL;
    }
    pcs_err_t err = {0};
    *c = pcs_db_connect(conninfo, &err);
    if (!*c)
        pcs_log(PCS_LOG_WARN, daemon, "db", "%s", err.msg);
    return *c;
}

/* ---- COPY text format ---------------------------------------------------------------------------------- */

/* The most handed to PQputCopyData at once. */
#define PCS_COPY_CHUNK ((size_t)1 << 26)

bool pcs_copy_reserve(pcs_copybuf_t *b, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->n + n + 1)
            nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) {
            b->oom = true;
            return false;
        }
        b->s = ns;
        b->cap = nc;
    }
    return true;
}

void pcs_copy_put(pcs_copybuf_t *b, const char *s, size_t n)
{
    if (!pcs_copy_reserve(b, n))
        return;
    memcpy(b->s + b->n, s, n);
    b->n += n;
}

/* Nonzero when one of the eight bytes of w is c (exact as a truth value). */
static uint64_t has_byte(uint64_t w, unsigned char c)
{
    uint64_t x = w ^ (0x0101010101010101ull * c);
    return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

/* The index of the first byte of s[i..n) that COPY text escapes (\, tab, newline, CR), or n;
 * eight bytes at a time (a document has one in kilobytes). */
static size_t copy_special(const char *s, size_t i, size_t n)
{
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (has_byte(w, '\\') | has_byte(w, '\t') | has_byte(w, '\n') | has_byte(w, '\r'))
            break;
    }
    for (; i < n; i++)
        if (s[i] == '\\' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            return i;
    return n;
}

void pcs_copy_field(pcs_copybuf_t *b, const char *s, size_t n, bool first)
{
    if (!first)
        pcs_copy_put(b, "\t", 1);
    if (!s) {
        pcs_copy_put(b, "\\N", 2);
        return;
    }
    size_t start = 0;
    for (size_t i; (i = copy_special(s, start, n)) < n; start = i + 1) {
        char esc[2] = {'\\', s[i] == '\\' ? '\\' : s[i] == '\t' ? 't' : s[i] == '\n' ? 'n' : 'r'};
        pcs_copy_put(b, s + start, i - start);
        pcs_copy_put(b, esc, 2);
    }
    pcs_copy_put(b, s + start, n - start);
}

int pcs_copy_flush(PGconn *db, pcs_copybuf_t *b, pcs_err_t *err)
{
    if (b->oom)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    /* PQputCopyData takes an int: a buffer past 2 GiB went out cast and truncated (issue 18.6) */
    for (size_t off = 0; off < b->n;) {
        size_t len = b->n - off > PCS_COPY_CHUNK ? PCS_COPY_CHUNK : b->n - off;
        if (PQputCopyData(db, b->s + off, (int)len) != 1)
            return pcs_err_set(err, PCS_EIO, 0, 0, "COPY: %s", PQerrorMessage(db));
        off += len;
    }
    b->n = 0;
    return 0;
}

static int copy_start(PGconn *db, const char *sql, ExecStatusType want, pcs_err_t *err)
{
    PGresult *r = PQexec(db, sql);
    int rc = PQresultStatus(r) == want ? 0
                                       : pcs_err_set(err, PCS_EIO, 0, 0, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(db));
    PQclear(r);
    return rc;
}

int pcs_copy_begin(PGconn *db, const char *sql, pcs_err_t *err)
{
    return copy_start(db, sql, PGRES_COPY_IN, err);
}

int pcs_copy_out_begin(PGconn *db, const char *sql, pcs_err_t *err)
{
    return copy_start(db, sql, PGRES_COPY_OUT, err);
}

int pcs_copy_out_lines(PGconn *db, const char *sql, const char *what, pcs_copy_line_fn fn, void *arg, pcs_err_t *err)
{
    int rc = pcs_copy_out_begin(db, sql, err);
    if (rc < 0)
        return rc;
    char *line;
    int len;
    while ((len = PQgetCopyData(db, &line, 0)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (rc == 0)
            rc = fn(arg, line, len, err);
        PQfreemem(line);
    }
    if (len == -2 && rc == 0)
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", what, PQerrorMessage(db));
    PGresult *r;
    while ((r = PQgetResult(db))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0)
            rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", what, PQresultErrorMessage(r));
        PQclear(r);
    }
    return rc;
}

int pcs_copy_end(PGconn *db, pcs_err_t *err)
{
    if (PQputCopyEnd(db, NULL) != 1)
        return pcs_err_set(err, PCS_EIO, 0, 0, "COPY end: %s", PQerrorMessage(db));
    int rc = 0;
    PGresult *r;
    while ((r = PQgetResult(db))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
            const char *m = PQresultErrorMessage(r);
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            rc = pcs_err_set(err, state && strcmp(state, "23505") == 0 ? PCS_EEXIST : PCS_EIO, 0, 0, "COPY: %.*s",
                             (int)strcspn(m, "\n"), m);
        }
        PQclear(r);
    }
    return rc;
}

char *pcs_copy_unescape(char *s)
{
    if (s[0] == '\\' && s[1] == 'N' && s[2] == '\0')
        return NULL;
    /* most fields hold no escape: find the first one (libc's strchr reads many bytes at a time),
     * and rewrite only from there */
    char *w = strchr(s, '\\');
    if (!w)
        return s;
    for (const char *r = w; *r; r++) {
        if (*r != '\\' || !r[1]) {
            *w++ = *r;
            continue;
        }
        r++;
        switch (*r) {
        case 't': *w++ = '\t'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'v': *w++ = '\v'; break;
        default:
            if (*r >= '0' && *r <= '7') {   /* \ooo */
                int v = 0, k = 0;
                while (k < 3 && *r >= '0' && *r <= '7') {
                    v = v * 8 + (*r++ - '0');
                    k++;
                }
                r--;
                *w++ = (char)v;
            } else {
                *w++ = *r;
            }
        }
    }
    *w = '\0';
    return s;
}

/* ---- COPY binary format ---- */

/* the low bytes of v, most significant first (network order), at out */
static void store_be(char *out, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        out[i] = (char)(v & 0xff);
}

static void put_be(pcs_copybuf_t *b, uint64_t v, int bytes)
{
    char be[8];
    store_be(be, v, bytes);
    pcs_copy_put(b, be, (size_t)bytes);
}

void pcs_copy_bin_row(pcs_copybuf_t *b, int fields)
{
    put_be(b, (uint16_t)fields, 2);
}

void pcs_copy_bin_bytes(pcs_copybuf_t *b, const char *s, size_t n)
{
    if (!s || n > INT32_MAX) {   /* a longer value cannot be sent: NULL, which the table refuses */
        put_be(b, (uint32_t)-1, 4);
        return;
    }
    put_be(b, (uint32_t)n, 4);
    pcs_copy_put(b, s, n);
}

void pcs_copy_bin_text(pcs_copybuf_t *b, const char *s)
{
    pcs_copy_bin_bytes(b, s, s ? strlen(s) : 0);
}

/* PostgreSQL's date counts days from 2000-01-01, a pcs day from 1970-01-01 */
#define PG_EPOCH_DAY 10957

void pcs_copy_bin_date(pcs_copybuf_t *b, int32_t day)
{
    put_be(b, 4, 4);
    put_be(b, (uint32_t)(day - PG_EPOCH_DAY), 4);
}

void pcs_copy_bin_float8(pcs_copybuf_t *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_be(b, 8, 4);
    put_be(b, bits, 8);
}

size_t pcs_copy_bin_int8(pcs_copybuf_t *b, int64_t v)
{
    put_be(b, 8, 4);
    size_t at = b->n;
    put_be(b, (uint64_t)v, 8);
    return at;
}

void pcs_copy_bin_int8_at(pcs_copybuf_t *b, size_t at, int64_t v)
{
    if (at + 8 <= b->n)
        store_be(b->s + at, (uint64_t)v, 8);
}

void pcs_copy_bin_int4(pcs_copybuf_t *b, int32_t v)
{
    put_be(b, 4, 4);
    put_be(b, (uint32_t)v, 4);
}

void pcs_copy_bin_bool(pcs_copybuf_t *b, bool v)
{
    put_be(b, 1, 4);
    pcs_copy_put(b, v ? "\1" : "\0", 1);
}

/* The binary COPY file header: the 11-byte signature, flags (no OIDs), the header extension's
 * length (none). The trailer is a field count of -1. */
#define BIN_SIGNATURE_LEN 11
static const char bin_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

int pcs_copy_bin_flush(PGconn *db, pcs_copybuf_t *b, pcs_err_t *err)
{
    static const char trailer[2] = {'\377', '\377'};
    if (b->oom)
        return pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    if (PQputCopyData(db, bin_header, sizeof bin_header) != 1)
        return pcs_err_set(err, PCS_EIO, 0, 0, "COPY: %s", PQerrorMessage(db));
    if (pcs_copy_flush(db, b, err) < 0)
        return -1;
    if (PQputCopyData(db, trailer, sizeof trailer) != 1)
        return pcs_err_set(err, PCS_EIO, 0, 0, "COPY: %s", PQerrorMessage(db));
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int pcs_copy_bin_split(char *msg, int len, bool *header_read, char **f, int nf)
{
    const unsigned char *p = (const unsigned char *)msg, *end = p + (len > 0 ? len : 0);
    const int hl = (int)sizeof bin_header;
    if (!*header_read) {
        if (len < hl || memcmp(msg, bin_header, BIN_SIGNATURE_LEN) != 0 || be32(p + hl - 4) > (uint32_t)(len - hl))
            return -1;
        p += hl + be32(p + hl - 4);
        *header_read = true;
    }
    if (end - p < 2)
        return -1;
    int n = (int16_t)(p[0] << 8 | p[1]);
    p += 2;
    if (n == -1)
        return p == end ? 1 : -1;
    if (n != nf)
        return -1;
    char *nul = NULL;   /* where the field before ends */
    for (int i = 0; i < nf; i++) {
        if (end - p < 4)
            return -1;
        int32_t l = (int32_t)be32(p);
        if (nul)
            *nul = '\0';
        nul = NULL;
        p += 4;
        f[i] = NULL;
        if (l == -1)
            continue;
        if (l < 0 || l > end - p)
            return -1;
        f[i] = (char *)p;
        p += l;
        nul = (char *)p;
    }
    if (p != end)
        return -1;
    if (nul)
        *nul = '\0';
    return 0;
}
