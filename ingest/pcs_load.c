#include "pcs_load.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "pcs_csv.h"
#include "pcs_date.h"
#include "pcs_envelope.h"
#include "pcs_events.h"
#include "pcs_log.h"
#include "pcs_merge_sql.h"
#include "pcs_pcexport.h"
#include "pcs_sha256.h"
#include "pcs_strmap.h"
#include "pcs_text.h"
#include "pcs_usageload.h"
#include "pcs_vocab.h"
#include "pcs_valid.h"

/* Rejected rows are written to the database in batches of this many (memory stays bounded). */
#define REJECT_BATCH 5000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- kinds and their columns ------------------------------------------------------------------------ */

typedef struct kind_def {
    pcs_feed_kind_t kind;
    const char *suffix;
    const char *name;
    int n_cols;
    const char *cols[12];      /* 11 at most: the stage of a Partner Center export */
    const char *stage_sql;      /* CREATE TEMP TABLE stage (...); NULL: usage, merged by pcs_usageload */
    const char *merge_sql;      /* stage -> facts */
    const char *partners_sql;   /* partners affected */
} kind_def_t;

static const kind_def_t kinds[] = {
    {PCS_FEED_CUSTOMERS, ".customers.csv", "customers", 5,
     {"partner_id", "tenant_id", "customer_id", "customer_name", "segment"},
     "CREATE TEMP TABLE stage (line bigint, partner_id text, tenant_id text, customer_id text, customer_name text,"
     " segment text) ON COMMIT DROP",
     PCS_SQL_ADD_PARTNERS PCS_SQL_MERGE_CUSTOMERS,
     "SELECT DISTINCT partner_id FROM stage"},
    {PCS_FEED_ASSOCIATIONS, ".associations.csv", "associations", 6,
     {"partner_id", "tenant_id", "association_type", "workload", "start_date", "end_date"},
     "CREATE TEMP TABLE stage (line bigint, partner_id text, tenant_id text, association_type text, workload text,"
     " start_date date, end_date date) ON COMMIT DROP",
     PCS_SQL_ADD_PARTNERS
     "INSERT INTO associations (partner_id, tenant_id, association_type, workload, start_date, end_date)"
     " SELECT DISTINCT ON (partner_id, tenant_id, association_type, workload, start_date) partner_id, tenant_id,"
     " association_type, workload, start_date, end_date FROM stage"
     " ORDER BY partner_id, tenant_id, association_type, workload, start_date, line DESC"
     " ON CONFLICT (partner_id, tenant_id, association_type, workload, start_date)"
     " DO UPDATE SET end_date = EXCLUDED.end_date",
     "SELECT DISTINCT partner_id FROM stage"},
    {PCS_FEED_USAGE, ".usage.csv", "usage", 7,
     {"tenant_id", "workload", "month", "acr_usd", "revenue_usd", "paid_units", "active_units"},
     NULL, NULL,   /* merged in the client: pcs_usageload.h (usage_tenants holds the file's tenants) */
     "SELECT DISTINCT partner_id FROM associations WHERE tenant_id IN (SELECT tenant_id FROM usage_tenants)"
     " UNION SELECT DISTINCT partner_id FROM customers WHERE tenant_id IN (SELECT tenant_id FROM usage_tenants)"},
    {PCS_FEED_ENROLLMENTS, ".enrollments.csv", "enrollments", 4,
     {"partner_id", "area", "enrolled_date", "anniversary_date"},
     "CREATE TEMP TABLE stage (line bigint, partner_id text, area text, enrolled_date date, anniversary_date date)"
     " ON COMMIT DROP",
     PCS_SQL_ADD_PARTNERS
     "INSERT INTO enrollments (partner_id, area, enrolled_date, anniversary_date)"
     " SELECT DISTINCT ON (partner_id, area, enrolled_date) partner_id, area, enrolled_date, anniversary_date"
     " FROM stage ORDER BY partner_id, area, enrolled_date, line DESC"
     " ON CONFLICT (partner_id, area, enrolled_date) DO UPDATE SET anniversary_date = EXCLUDED.anniversary_date",
     "SELECT DISTINCT partner_id FROM stage"},
};

static const kind_def_t *kind_def(pcs_feed_kind_t k)
{
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (kinds[i].kind == k)
            return &kinds[i];
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

pcs_feed_kind_t pcs_load_kind_from_name(const char *name)
{
    char base[512];
    snprintf(base, sizeof base, "%s", name);
    if (ends_with(base, ".gz"))
        base[strlen(base) - 3] = '\0';
    if (ends_with(base, ".certs.jsonl"))
        return PCS_FEED_CERTS;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (ends_with(base, kinds[i].suffix))
            return kinds[i].kind;
    return PCS_FEED_UNKNOWN;
}

/* ---- a growing list of rejected rows ----------------------------------------------------------------- */

typedef struct reject {
    long long line, col;
    char *raw, *reason;
} reject_t;

typedef struct rejects {
    reject_t *v;
    size_t n, cap;
    long long total;              /* written to the database already */
    PGconn *db;                   /* where a batch goes: rejected_rows of file_id / name */
    const char *file_id, *name;
} rejects_t;

static int reject_add(rejects_t *r, long long line, long long col, const char *raw, size_t raw_len, const char *reason)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        reject_t *nv = realloc(r->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        r->v = nv;
        r->cap = nc;
    }
    /* raw text is kept to 4 KiB: enough for a person to see the row, bounded for absurd lines */
    size_t keep = raw_len > 4096 ? 4096 : raw_len;
    reject_t *x = &r->v[r->n];
    x->raw = strndup(raw ? raw : "", keep);
    x->reason = strdup(reason);
    if (!x->raw || !x->reason) {
        free(x->raw);
        free(x->reason);
        return -1;
    }
    x->line = line;
    x->col = col;
    r->n++;
    return 0;
}

static void rejects_clear(rejects_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].raw);
        free(r->v[i].reason);
    }
    r->n = 0;
}

static void rejects_free(rejects_t *r)
{
    rejects_clear(r);
    free(r->v);
    r->v = NULL;
    r->cap = 0;
    r->total = 0;
}

static int store_rejects(PGconn *db, const char *file_id, const char *name, const rejects_t *rj, pcs_err_t *err);

/* Writes the rejects held to the database (no COPY may be in progress) and forgets them. */
static int rejects_flush(rejects_t *r, pcs_err_t *err)
{
    if (store_rejects(r->db, r->file_id, r->name, r, err) < 0)
        return PCS_EIO;
    r->total += (long long)r->n;
    rejects_clear(r);
    return 0;
}

/* ---- field validation ---------------------------------------------------------------------------------- */

static bool valid_utf8(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!k || i + k > n || (k == 2 && c < 0xC2) || (k == 4 && c > 0xF4)) {
            *bad = i;
            return false;
        }
        for (size_t j = 1; j < k; j++)
            if ((p[i + j] & 0xC0) != 0x80) {
                *bad = i;
                return false;
            }
        if (k == 3 && ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] >= 0xA0))) {
            *bad = i;
            return false;
        }
        if (k == 4 && ((c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] >= 0x90))) {
            *bad = i;
            return false;
        }
        i += k;
    }
    return true;
}

/* A plain decimal number ("1250.50", "-3", "" = 0); no exponents, NaN or thousands separators,
 * so "1e3" or "1,000" is a bad number rather than a surprise. 0, -1 (not a number) or -2 (beyond
 * +-limit: implausible, pcs_valid.h). */
static int parse_decimal(const char *s, double limit, double *x)
{
    if (!*s) {
        *x = 0;
        return 0;
    }
    char *end;
    errno = 0;
    *x = strtod(s, &end);
    if (errno == ERANGE && end != s && !*end)
        return -2;
    if (errno || *end || end == s || strpbrk(s, "xXpPnNiI eE,"))
        return -1;
    return fabs(*x) <= limit ? 0 : -2;
}

/* The common number without strtod: [-]digits[.d[d]] with at most 15 integer digits, as hundredths
 * (exact: for such numbers llround(strtod(s) * 100) and trunc(strtod(s)) are these very integers).
 * 1 with *h set, -2 beyond +-limit (as parse_decimal), 0 for anything else, which parse_decimal reads. */
static int parse_hundredths(const char *s, size_t n, double limit, long long *h)
{
    if (n == 0)
        return 0;
    size_t i = s[0] == '-';
    long long v = 0;
    size_t d0 = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (s[i] - '0');
    if (i == d0 || i - d0 > 15)
        return 0;
    int frac = 0;
    if (i < n && s[i] == '.') {
        for (i++; i < n && frac < 3 && s[i] >= '0' && s[i] <= '9'; i++, frac++)
            v = v * 10 + (s[i] - '0');
        if (frac == 0 || frac > 2)
            return 0;
    }
    if (i != n)
        return 0;
    for (; frac < 2; frac++)
        v *= 10;
    if (v > (long long)(limit * 100))
        return -2;
    *h = s[0] == '-' ? -v : v;
    return 1;
}

/* Amounts become cents rounded per scoring.md §17.1; negative amounts are credits (§1.1). */
static int parse_money(const char *s, size_t n, long long *cents)
{
    int f = parse_hundredths(s, n, PCS_VALID_MONEY_MAX, cents);
    if (f)
        return f > 0 ? 0 : f;
    double x;
    int rc = parse_decimal(s, PCS_VALID_MONEY_MAX, &x);
    if (rc == 0)
        *cents = llround(x * 100.0);
    return rc;
}

/* Unit counts: a fraction is truncated toward zero, a negative becomes 0 (§1.1.2). */
static int parse_units(const char *s, size_t n, long long *u)
{
    long long h;
    int f = parse_hundredths(s, n, PCS_VALID_UNITS_MAX, &h);
    if (f > 0)
        *u = h < 0 ? 0 : h / 100;
    if (f)
        return f > 0 ? 0 : f;
    double x;
    int rc = parse_decimal(s, PCS_VALID_UNITS_MAX, &x);
    if (rc == 0) {
        x = trunc(x);
        *u = x < 0 ? 0 : (long long)x;
    }
    return rc;
}

/* What a column of a kind holds, decided once per file from its name (stage_row runs per row). */
typedef enum {
    COL_OTHER, COL_DATE_START, COL_DATE, COL_MONTH, COL_MONEY, COL_UNITS, COL_ASSOC_TYPE, COL_AREA, COL_SEGMENT,
    COL_ID, COL_WORKLOAD, COL_TEXT
} col_kind_t;

typedef struct col_info {
    col_kind_t kind;
    bool optional;         /* may be empty */
    bool customer_id;      /* empty: the tenant id */
    bool end_date;         /* the end of start_date (else of enrolled_date) in a reason */
} col_info_t;

static void col_infos(const kind_def_t *k, col_info_t *ci)
{
    for (int i = 0; i < k->n_cols; i++) {
        const char *col = k->cols[i];
        col_info_t c = {COL_OTHER, false, false, false};
        bool money = !strncmp(col, "acr", 3) || !strncmp(col, "revenue", 7);
        bool units = !strncmp(col, "paid", 4) || !strncmp(col, "active", 6);
        c.optional = strcmp(col, "end_date") == 0 || strcmp(col, "customer_name") == 0 ||
                     strcmp(col, "customer_id") == 0 || money || units || strcmp(col, "attribution") == 0;
        c.customer_id = strcmp(col, "customer_id") == 0;
        c.end_date = strcmp(col, "end_date") == 0;
        if (strstr(col, "_date"))
            c.kind = strcmp(col, "start_date") == 0 || strcmp(col, "enrolled_date") == 0 ? COL_DATE_START : COL_DATE;
        else if (strcmp(col, "month") == 0)
            c.kind = COL_MONTH;
        else if (money || units)
            c.kind = money ? COL_MONEY : COL_UNITS;
        else if (strcmp(col, "association_type") == 0)
            c.kind = COL_ASSOC_TYPE;
        else if (strcmp(col, "area") == 0)
            c.kind = COL_AREA;
        else if (strcmp(col, "segment") == 0)
            c.kind = COL_SEGMENT;
        else if (!strcmp(col, "partner_id") || !strcmp(col, "tenant_id") || c.customer_id || !strcmp(col, "person_id"))
            c.kind = COL_ID;
        else if (strcmp(col, "workload") == 0)
            c.kind = COL_WORKLOAD;
        else if (strcmp(col, "customer_name") == 0 || strcmp(col, "certification") == 0)
            c.kind = COL_TEXT;
        ci[i] = c;
    }
}

static bool one_of(const char *s, const char *const *set)
{
    return pcs_vocab_index(set, s) >= 0;
}

/* One field into the COPY buffer, when there is one (never the first: the line number is). */
static void put_field(pcs_copybuf_t *b, const char *s, size_t n)
{
    if (b)
        pcs_copy_field(b, s, n, false);
}

/* A parsed month or number: kept in vals[i] (when given) and written to the COPY buffer (when
 * there is one) as text: the first day of `month` (its "YYYY-MM"), else v in base 10. */
static void put_value(pcs_copybuf_t *b, int64_t *vals, int i, int64_t v, const char *month)
{
    if (vals)
        vals[i] = v;
    if (!b)
        return;
    char t[32];
    if (month)
        snprintf(t, sizeof t, "%.7s-01", month);
    else
        snprintf(t, sizeof t, "%lld", (long long)v);
    put_field(b, t, strlen(t));
}

/* Validates one CSV record of a canonical kind (ci from col_infos) and appends it, after its line
 * number, to the COPY buffer b, or returns the index of the bad field and a reason. b may be NULL: then vals[i]
 * receives the value of each month (year * 12 + month - 1), amount (cents) and unit column i. */
static int stage_row(const kind_def_t *k, const col_info_t *ci, const int *map, const pcs_csv_row_t *row,
                     int32_t today, pcs_copybuf_t *b, int64_t *vals, char *why, size_t wsize)
{
    size_t mark = b ? b->n : 0;   /* on a bad field the buffer is rolled back to here */
    if (b) {
        char linebuf[32];
        snprintf(linebuf, sizeof linebuf, "%lld", (long long)row->line);
        pcs_copy_field(b, linebuf, strlen(linebuf), true);
    }
    int32_t start = PCS_DAY_NONE;   /* start_date / enrolled_date, for the end that must not precede it */
    for (int i = 0; i < k->n_cols; i++) {
        const char *f = row->fields[map[i]];
        size_t n = row->lens[map[i]];
        const char *col = k->cols[i];
        if (n == 0 && !ci[i].optional) {
            snprintf(why, wsize, "%s: empty", col);
            goto bad;
        }
        switch (ci[i].kind) {
        case COL_MONTH:
        case COL_DATE_START:
        case COL_DATE: {
            int32_t d;
            if (n == 0) {
                put_field(b, NULL, 0);
                continue;
            }
            if (ci[i].kind == COL_MONTH) {
                if (pcs_month_parse(f, &d) < 0) {
                    snprintf(why, wsize, "month: not a month YYYY-MM: '%.40s'", f);
                    goto bad;
                }
                if (pcs_valid_month(col, d, today, why, wsize) < 0)
                    goto bad;
                put_value(b, vals, i, d, f);
            } else {
                if (pcs_day_parse(f, &d) < 0) {
                    snprintf(why, wsize, "%s: not a date YYYY-MM-DD: '%.40s'", col, f);
                    goto bad;
                }
                if (pcs_valid_day(col, d, why, wsize) < 0)
                    goto bad;
                if (ci[i].kind == COL_DATE_START) {
                    start = d;
                } else if (start != PCS_DAY_NONE && d < start) {
                    snprintf(why, wsize, "%s: %.10s is before %s", col, f, ci[i].end_date ? "start_date" : "enrolled_date");
                    goto bad;
                }
                put_field(b, f, n);
            }
            continue;
        }
        case COL_MONEY:
        case COL_UNITS: {
            long long v = 0;
            bool money = ci[i].kind == COL_MONEY;
            int prc = money ? parse_money(f, n, &v) : parse_units(f, n, &v);
            if (prc == -1) {
                snprintf(why, wsize, "%s: not a number: '%.40s'", col, f);
                goto bad;
            }
            if (prc == -2) {
                snprintf(why, wsize, "%s: implausible (%s a row): '%.40s'", col,
                         money ? "at most 100,000,000,000 USD either way" : "at most 1,000,000,000 units", f);
                goto bad;
            }
            put_value(b, vals, i, v, NULL);
            continue;
        }
        case COL_ASSOC_TYPE:
            if (!one_of(f, pcs_assoc_type_ids)) {
                snprintf(why, wsize, "association_type: unknown association type '%.40s'", f);
                goto bad;
            }
            break;
        case COL_AREA:
            if (!one_of(f, pcs_area_ids)) {
                snprintf(why, wsize, "area: unknown area '%.40s'", f);
                goto bad;
            }
            break;
        case COL_SEGMENT:
            if (strcmp(f, "smb") && strcmp(f, "enterprise")) {
                snprintf(why, wsize, "segment: expected smb or enterprise, got '%.40s'", f);
                goto bad;
            }
            break;
        case COL_ID:
            if (n && pcs_valid_id(col, f, n, why, wsize) < 0)
                goto bad;
            if (n == 0 && ci[i].customer_id) {   /* missing customer id = tenant id */
                put_field(b, row->fields[map[1]], row->lens[map[1]]);
                continue;
            }
            break;
        case COL_WORKLOAD:
            /* '-': a row of an export that gives a customer and no usage */
            if (!(k->suffix == NULL && n == 1 && f[0] == '-') && pcs_valid_workload(col, f, n, why, wsize) < 0)
                goto bad;
            break;
        case COL_TEXT:
            if (pcs_valid_text(col, f, n, why, wsize) < 0)
                goto bad;
            break;
        case COL_OTHER:
            break;
        }
        if (n > 200) {
            snprintf(why, wsize, "%s: longer than 200 bytes", col);
            goto bad;
        }
        put_field(b, n || !ci[i].optional ? f : NULL, n);
    }
    if (b)
        pcs_copy_put(b, "\n", 1);
    return -1;
bad:
    if (b)
        b->n = mark;
    for (int i = 0; i < k->n_cols; i++)
        if (strncmp(why, k->cols[i], strlen(k->cols[i])) == 0 && why[strlen(k->cols[i])] == ':')
            return map[i];
    return 0;
}

/* ---- files ---------------------------------------------------------------------------------------------- */

static int file_sha256(int fd, unsigned char digest[32])
{
    pcs_sha256_t h;
    pcs_sha256_init(&h);
    unsigned char buf[65536];
    ssize_t n;
    off_t off = 0;
    while ((n = pread(fd, buf, sizeof buf, off)) > 0 || (n < 0 && errno == EINTR)) {
        if (n > 0) {
            pcs_sha256_update(&h, buf, (size_t)n);
            off += n;
        }
    }
    pcs_sha256_final(&h, digest);
    return n < 0 ? -1 : 0;
}

/* A descriptor of the open file for one reader, reading from its start. */
static int reader_fd(int fd)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d >= 0 && lseek(d, 0, SEEK_SET) < 0) {
        close(d);
        return -1;
    }
    return d;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The report is written before the file moves: whoever sees the file in failed/ (a person, a
 * script, a test waiting for incoming/ to empty) finds its report beside it. */
static void move_to(const pcs_load_ctx_t *c, const char *path, const char *dir, const char *report)
{
    char dst[1024];
    snprintf(dst, sizeof dst, "%s/%s/%s", c->spool, dir, base_name(path));
    if (report) {
        char err[1100];
        snprintf(err, sizeof err, "%s.err", dst);
        /* never through a symbolic link someone left in failed/ */
        int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (fd >= 0 && !f)
            close(fd);
        if (f) {
            fprintf(f, "%s\n", report);
            fclose(f);
        }
    }
    if (rename(path, dst) < 0)
        pcs_log(PCS_LOG_ERROR, "ingest", "spool", "cannot move %s to %s: %s", path, dst, strerror(errno));
}

static bool db_gone(PGconn *db)
{
    return PQstatus(db) != CONNECTION_OK;
}

/* Loads the CSV records of a canonical kind into the stage table. */
/* Remembers a data month of a usage file for the outbox and the hint (validated already). */
static void note_month(pcs_load_result_t *res, int32_t m)
{
    if (res->n_months && res->months[res->n_months - 1] == m)
        return;
    for (int i = 0; i < res->n_months; i++)
        if (res->months[i] == m)
            return;
    if (res->n_months < (int)(sizeof res->months / sizeof *res->months))
        res->months[res->n_months++] = m;
}

/* A CSV file that cannot be loaded: the reason, then what the reader saw (encoding, delimiter, the
 * start of the header row) so that the .err report says why a re-saved download was not understood. */
static void csv_failed(pcs_load_result_t *res, pcs_csv_t *r, const pcs_csv_row_t *hdr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void csv_failed(pcs_load_result_t *res, pcs_csv_t *r, const pcs_csv_row_t *hdr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(res->reason, sizeof res->reason, fmt, ap);
    va_end(ap);
    res->failed = true;
    if (n < 0 || (size_t)n >= sizeof res->reason - 64)
        return;
    char d = pcs_csv_delimiter(r);
    const char *raw = hdr && hdr->raw ? hdr->raw : "";
    size_t rl = hdr ? hdr->raw_len : 0, room = sizeof res->reason - (size_t)n;
    int keep = (int)(rl > 160 ? 160 : rl);
    snprintf(res->reason + n, room, " [saw: %s, delimiter %s, header '%.*s'%s; expected a header row of a feed"
             " (interfaces.md 3) or of a Partner Center export, delimited by ',', ';' or tab, UTF-8 or UTF-16 with a"
             " byte-order mark]", pcs_csv_encoding(r), d == '\t' ? "tab" : d == ';' ? "';'" : "','", keep, raw,
             rl > 160 ? "..." : "");
}

/* Writes the rejects held in the middle of a COPY: the COPY ends, the rejects go, the COPY goes on. */
static int rejects_flush_in_copy(pcs_load_ctx_t *c, rejects_t *rj, pcs_copybuf_t *b, const char *copy_sql,
                                 pcs_err_t *err)
{
    int rc = pcs_copy_flush(c->db, b, err);
    int rc2 = pcs_copy_end(c->db, err);
    if (rc == 0)
        rc = rc2;
    if (rc == 0)
        rc = rejects_flush(rj, err);
    if (rc == 0)
        rc = pcs_copy_begin(c->db, copy_sql, err);
    return rc;
}

/* The merge, and the query of the partners it affected after it, group or join the whole file's rows
 * or tenants: room to hash them in memory (the default 4 MB split the 200,000 tenants of a
 * 5,000,000-row usage file into batches on disk). A streamed usage feed sets it before its COPY. */
#define MERGE_WORK_MEM_SQL "SET LOCAL work_mem = '64MB'"

/* Writes the rejects held while a usage feed may be streaming: its COPY ends first (pcs_usageload.h). */
static int rejects_flush_streaming(pcs_usageload_t *ul, rejects_t *rj, pcs_err_t *err)
{
    int rc = pcs_usageload_stream_pause(ul, err);
    return rc < 0 ? rc : rejects_flush(rj, err);
}

/* Stages the file's rows and merges them. *partners_sql is set to the query of the partners the
 * merge affected. */
static int load_csv(pcs_load_ctx_t *c, int fd, pcs_load_result_t *res, rejects_t *rj, const char **partners_sql,
                    pcs_err_t *err)
{
    int rc = 0;
    pcs_copybuf_t b = {0};
    bool in_copy = false;        /* COPY stage FROM STDIN in progress */
    pcs_usageload_t *ul = NULL;  /* the usage rows of a usage feed or an export */
    pcs_pcexport_t *px = NULL;   /* a Partner Center export: its records are translated to the kind */
    const char *path = rj->name;
    int rfd = reader_fd(fd);
    pcs_csv_t *r = rfd < 0 ? NULL : pcs_csv_open_fd(rfd, c->max_line_bytes, err);
    if (!r) {
        snprintf(res->reason, sizeof res->reason, "cannot read: %.400s", rfd < 0 ? strerror(errno) : err->msg);
        res->failed = true;
        return 0;
    }
    pcs_csv_limit_input(r, c->max_file_bytes);
    pcs_csv_row_t row, tr;
    int got = pcs_csv_next(r, &row, err);
    if (got <= 0 || row.status != PCS_CSV_OK) {
        if (got < 0)
            csv_failed(res, r, NULL, "%s", err->msg);
        else if (got == 0)
            csv_failed(res, r, NULL, "empty file (no header row)");
        else
            csv_failed(res, r, &row, "header row: %lld:%lld: %s", row.err_line, row.err_col, row.reason);
        goto out;
    }
    char foreign;   /* "a;b,c" read with ';': say so at the header field, read on */
    int ff = pcs_csv_header_foreign_delimiter(&row, pcs_csv_delimiter(r), &foreign);
    if (ff >= 0) {
        char why[300];
        snprintf(why, sizeof why, "header: column name '%.80s' contains %s but the delimiter of this file is %s (taken"
                 " as one column name)", row.fields[ff], foreign == '\t' ? "a tab" : foreign == ';' ? "';'" : "','",
                 pcs_csv_delimiter(r) == '\t' ? "tab" : pcs_csv_delimiter(r) == ';' ? "';'" : "','");
        if (reject_add(rj, row.lines[ff], row.cols[ff], row.raw, row.raw_len, why) < 0)
            goto nomem;
    }
    if (res->kind == PCS_FEED_UNKNOWN) {
        /* the kind from the header row */
        for (size_t i = 0; i < sizeof kinds / sizeof *kinds && res->kind == PCS_FEED_UNKNOWN; i++) {
            bool all = row.n_fields == kinds[i].n_cols;
            for (int k = 0; all && k < kinds[i].n_cols; k++)
                all = pcs_csv_header_index(&row, kinds[i].cols[k]) >= 0;
            if (all)
                res->kind = kinds[i].kind;
        }
        if (res->kind == PCS_FEED_UNKNOWN && pcs_pcexport_detect(&row, NULL, &px, err) < 0) {
            csv_failed(res, r, &row, "%.500s", err->msg);
            goto out;
        }
        /* the prescan reads the same open file: the reader's offset is put back after it */
        off_t at = px ? lseek(fd, 0, SEEK_CUR) : -1;
        int prc = px ? pcs_pcexport_prescan(px, path, reader_fd(fd), c->max_line_bytes, c->max_file_bytes, err) : 0;
        if (at >= 0 && lseek(fd, at, SEEK_SET) < 0 && prc == 0)
            prc = pcs_err_set(err, PCS_EIO, 0, 0, "cannot seek: %s", strerror(errno));
        if (prc < 0) {
            snprintf(res->reason, sizeof res->reason, "cannot read: %.400s", err->msg);
            res->failed = true;
            goto out;
        }
        if (px)
            res->kind = pcs_pcexport_kind(px);
        if (res->kind == PCS_FEED_UNKNOWN) {
            csv_failed(res, r, &row,
                       "unknown feed: the name is not *.customers.csv, *.associations.csv, *.usage.csv, "
                       "*.enrollments.csv or *.certs.jsonl and the header row matches no feed and no Partner Center "
                       "export");
            goto out;
        }
    }
    const kind_def_t *k = kind_def(res->kind);
    kind_def_t own;   /* an export with a stage of its own */
    const pcs_pcexport_stage_t *st = px ? pcs_pcexport_stage(px) : NULL;
    if (st) {
        own = (kind_def_t){res->kind, NULL, pcs_pcexport_name(px), st->n_cols, {NULL}, st->stage_sql, st->merge_sql,
                           st->partners_sql};
        memcpy(own.cols, st->cols, (size_t)st->n_cols * sizeof *st->cols);
        k = &own;
    }
    *partners_sql = k->partners_sql;
    int map[12];
    for (int i = 0; i < k->n_cols; i++) {
        map[i] = px ? i : pcs_csv_header_index(&row, k->cols[i]);   /* translated records come in stage order */
        if (map[i] < 0) {
            csv_failed(res, r, &row, "header row: missing column '%s' (expected %s columns: %s,%s,...)", k->cols[i],
                       k->name, k->cols[0], k->cols[1]);
            goto out;
        }
    }
    int ncols = row.n_fields, month_col = -1;   /* the data month of usage rows, for the outbox */
    for (int i = 0; i < k->n_cols; i++)
        if (strcmp(k->cols[i], "month") == 0)
            month_col = i;
    col_info_t ci[12];
    col_infos(k, ci);
    int64_t vals[12];   /* months and numbers of a row */
    /* the usage columns (a usage feed, or an export with usage): those rows are packed per tenant
     * by pcs_usageload, not merged from the stage */
    static const char *const ucols[7] = {"tenant_id", "workload", "month", "acr_usd", "revenue_usd", "paid_units",
                                         "active_units"};
    int uc[7];
    bool has_usage = true;
    for (int j = 0; j < 7; j++) {
        uc[j] = -1;
        for (int i = 0; i < k->n_cols; i++)
            if (strcmp(k->cols[i], ucols[j]) == 0)
                uc[j] = i;
        has_usage = has_usage && uc[j] >= 0;
    }
    if (has_usage && !(ul = pcs_usageload_new()))
        goto nomem;
    /* a large usage feed is stored while it is read (pcs_usageload.h); an export's rows go through
     * its stage's COPY, which holds the connection */
    struct stat fst;
    unsigned long long fbytes = fstat(fd, &fst) == 0 ? (unsigned long long)fst.st_size : 0;
    bool streaming = false, merge_mem = false;
    if (ul && !k->stage_sql && fbytes >= c->usage_stream_bytes) {
        /* the memory the merge has below (the COPY's transition table is kept in it) */
        if ((rc = pcs_db_query(c->db, MERGE_WORK_MEM_SQL, 0, NULL, NULL, err)) < 0 ||
            (rc = pcs_usageload_stream_begin(ul, c->db, fbytes, c->usage_stream_bytes == 0, err)) < 0)
            goto out;
        streaming = rc > 0;
        merge_mem = true;
        rc = 0;
    }
    unsigned pumped = 0;
    double t_start = now_s();
    const char *copy_sql = "COPY stage FROM STDIN";
    if (k->stage_sql) {   /* NULL: a usage feed, whose rows go to pcs_usageload only */
        rc = pcs_db_query(c->db, k->stage_sql, 0, NULL, NULL, err);
        if (rc == 0)
            rc = pcs_copy_begin(c->db, copy_sql, err);
        if (rc < 0)
            goto out;
        in_copy = true;
    }
    char why[300];
    int32_t today = pcs_day_today_utc();
    long long records = 0;
    while ((got = pcs_csv_next(r, &row, err)) > 0) {
        if (c->stopping && *c->stopping) {
            rc = pcs_err_set(err, PCS_ECANCELED, 0, 0, "stopping");
            break;
        }
        if (rj->n >= REJECT_BATCH &&
            (rc = in_copy ? rejects_flush_in_copy(c, rj, &b, copy_sql, err) : rejects_flush_streaming(ul, rj, err)) < 0)
            break;
        if (c->max_file_rows && ++records > c->max_file_rows) {
            snprintf(why, sizeof why, "more than max_file_rows = %lld rows: this line and the rest of the file are not loaded",
                     c->max_file_rows);
            if (reject_add(rj, row.line, 1, "", 0, why) < 0)
                goto nomem;
            break;
        }
        if (row.status != PCS_CSV_OK) {
            if (reject_add(rj, row.err_line, row.err_col, row.raw, row.raw_len, row.reason) < 0)
                goto nomem;
            continue;
        }
        if (row.n_fields == 1 && row.lens[0] == 0)
            continue;   /* a blank line */
        if (row.n_fields != ncols) {
            snprintf(why, sizeof why, "expected %d columns, found %d", ncols, row.n_fields);
            if (reject_add(rj, row.line, row.cols[row.n_fields < ncols ? row.n_fields - 1 : ncols], row.raw, row.raw_len, why) < 0)
                goto nomem;
            continue;
        }
        if (px) {
            int t = pcs_pcexport_row(px, &row, &tr);
            if (t < 0 && reject_add(rj, tr.err_line, tr.err_col, row.raw, row.raw_len, tr.reason) < 0)
                goto nomem;
            if (t <= 0)
                continue;   /* rejected, or skipped and counted */
            row = tr;
        }
        size_t mark = b.n;
        int bad = stage_row(k, ci, map, &row, today, in_copy ? &b : NULL, vals, why, sizeof why);
        /* workload '-': an export's customer without usage */
        const char *wl = ul && bad < 0 ? row.fields[map[uc[1]]] : NULL;
        if (wl && !(wl[0] == '-' && wl[1] == '\0')) {
            int arc = pcs_usageload_add(ul, row.fields[map[uc[0]]], row.lens[map[uc[0]]], wl, row.lens[map[uc[1]]],
                                        (int32_t)vals[uc[2]], vals[uc[3]], vals[uc[4]], vals[uc[5]], vals[uc[6]]);
            if (arc == PCS_ENOMEM)
                goto nomem;
            if (arc < 0) {   /* beyond what one file's rows are held in (pcs_usageload.h) */
                snprintf(why, sizeof why, "workload: more than 65,536 distinct workloads in one file");
                b.n = mark;
                bad = map[uc[1]];
            }
        }
        if (bad >= 0) {
            if (reject_add(rj, row.line, row.cols[bad], row.raw, row.raw_len, why) < 0)
                goto nomem;
            continue;
        }
        if (month_col >= 0 && row.lens[map[month_col]])
            note_month(res, (int32_t)vals[month_col]);
        res->loaded++;
        if (b.n > (1u << 20) && (rc = pcs_copy_flush(c->db, &b, err)) < 0)
            break;
        if (streaming && (++pumped & 4095) == 0) {
            /* the reader's descriptor shares this one's offset */
            off_t at = lseek(fd, 0, SEEK_CUR);
            if ((rc = pcs_usageload_stream_pump(ul, at >= 0 && (unsigned long long)at >= fbytes / 8, err)) < 0)
                break;
        }
    }
    if (got == PCS_ELIMIT && rc == 0) {
        /* a gzip bomb or an absurd file: what came before the cap loads, the rest is refused */
        snprintf(why, sizeof why, "file larger than max_file_bytes = %llu bytes (after decompression): line %d and the "
                 "rest of the file are not loaded", c->max_file_bytes, err->line);
        if (reject_add(rj, err->line, 1, "", 0, why) < 0)
            goto nomem;
    } else if (got < 0 && rc == 0) {
        /* an unreadable tail (e.g. a truncated .gz): the file fails as a whole */
        snprintf(res->reason, sizeof res->reason, "cannot read: %.400s", err->msg);
        res->failed = true;
    }
    if (streaming) {
        bool ok = rc == 0 && !res->failed;
        int src = pcs_usageload_stream_end(ul, ok, ok ? err : NULL);
        if (ok)
            rc = src;
    }
    if (in_copy) {
        if (rc == 0)
            rc = pcs_copy_flush(c->db, &b, err);
        int rc2 = pcs_copy_end(c->db, err);
        in_copy = false;
        if (rc == 0)
            rc = rc2;
    }
    double t_merge = now_s();
    if (rc == 0 && !res->failed && (ul || k->merge_sql) && !merge_mem)
        rc = pcs_db_query(c->db, MERGE_WORK_MEM_SQL, 0, NULL, NULL, err);
    if (ul && rc == 0 && !res->failed)
        rc = pcs_usageload_store(ul, c->db, err);
    if (k->merge_sql && rc == 0 && !res->failed)
        rc = pcs_db_query(c->db, k->merge_sql, 0, NULL, NULL, err);
    if (px && rc == 0 && !res->failed)
        pcs_pcexport_log_summary(px, path);
    pcs_log(PCS_LOG_DEBUG, "ingest", "load", "%s: parse+COPY %.2f s, merge %.2f s", path, t_merge - t_start,
            now_s() - t_merge);
    goto out;
nomem:
    rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    if (in_copy)
        pcs_copy_end(c->db, NULL);
    pcs_usageload_stream_end(ul, false, NULL);
out:
    free(b.s);
    pcs_usageload_destroy(&ul);
    pcs_pcexport_destroy(&px);
    pcs_csv_destroy(&r);
    return rc;
}

/* JSON Lines of certification events: one envelope per line, stored like events from ZeroMQ. */
static int load_jsonl(pcs_load_ctx_t *c, int fd, pcs_load_result_t *res, rejects_t *rj, json_t *partners,
                      pcs_err_t *err)
{
    int rfd = reader_fd(fd);
    gzFile f = rfd < 0 ? NULL : gzdopen(rfd, "rb");
    if (!f) {
        snprintf(res->reason, sizeof res->reason, "cannot open: %s", strerror(errno));
        res->failed = true;
        if (rfd >= 0)
            close(rfd);
        return 0;
    }
    size_t cap = 65536, max = c->max_line_bytes;
    char *line = malloc(cap);
    long long ln = 0;
    unsigned long long bytes = 0;
    char why[300];
    int rc = 0;
    while (line && rc == 0) {
        size_t n = 0;
        int ch = 0;
        bool too_long = false;
        if (rj->n >= REJECT_BATCH && (rc = rejects_flush(rj, err)) < 0)
            break;
        if (c->max_file_rows && ln >= c->max_file_rows && gzgetc(f) != -1) {
            snprintf(why, sizeof why, "more than max_file_rows = %lld rows: this line and the rest of the file are not loaded",
                     c->max_file_rows);
            reject_add(rj, ln + 1, 1, "", 0, why);
            break;
        }
        if (c->max_file_bytes && bytes > c->max_file_bytes) {
            snprintf(why, sizeof why, "file larger than max_file_bytes = %llu bytes (after decompression): line %lld and "
                     "the rest of the file are not loaded", c->max_file_bytes, ln + 1);
            reject_add(rj, ln + 1, 1, "", 0, why);
            break;
        }
        while ((ch = gzgetc(f)) != -1 && ch != '\n' && !(c->max_file_bytes && ++bytes > c->max_file_bytes)) {
            if (n + 2 > cap && !too_long) {
                if (cap * 2 > max + 2) {
                    too_long = true;
                    continue;
                }
                char *nl = realloc(line, cap * 2);
                if (!nl) {
                    rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
                    break;
                }
                line = nl;
                cap *= 2;
            }
            if (!too_long)
                line[n++] = (char)ch;
        }
        if (ch == -1 && n == 0 && !too_long)
            break;
        if (c->max_file_bytes && bytes > c->max_file_bytes)
            continue;   /* the line the cap cut is refused with the rest, above */
        bytes++;        /* its line end */
        ln++;
        line[n] = '\0';
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (too_long) {
            reject_add(rj, ln, 1, line, n, "line too long");
            continue;
        }
        if (n == 0)
            continue;
        size_t badpos;
        pcs_envelope_t env;
        pcs_err_t e2 = {0};
        if (!valid_utf8(line, n, &badpos)) {
            reject_add(rj, ln, (long long)badpos + 1, line, n, "invalid UTF-8");
            continue;
        }
        if (pcs_envelope_decode(line, n, &env, &e2) < 0 || pcs_events_validate(&env, &e2) < 0) {
            reject_add(rj, ln, e2.column > 0 ? e2.column : 1, line, n, e2.msg);
            pcs_envelope_clear(&env);
            continue;
        }
        /* savepoint per event: a refused statement rejects the line, not the file. Each one is
         * released at once: savepoints left open nest, and 35,000 nested subtransactions ran
         * PostgreSQL's lock table out of shared memory (issue 18.5). */
        bool dup = false;
        if (pcs_db_query(c->db, "SAVEPOINT ev", 0, NULL, NULL, err) < 0 ||
            pcs_events_store_in_tx(c->db, &env, line, &dup, &e2) < 0) {
            if (db_gone(c->db)) {
                rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s", e2.msg);
            } else if (pcs_db_query(c->db, "ROLLBACK TO SAVEPOINT ev; RELEASE SAVEPOINT ev", 0, NULL, NULL, err) < 0) {
                rc = PCS_EIO;
            } else {
                reject_add(rj, ln, 1, line, n, e2.msg);
            }
        } else if (pcs_db_query(c->db, "RELEASE SAVEPOINT ev", 0, NULL, NULL, err) < 0) {
            rc = PCS_EIO;
        } else {
            res->loaded++;
            json_array_append_new(partners, json_string(json_string_value(json_object_get(env.body, "partner_id"))));
        }
        pcs_envelope_clear(&env);
        if (ch == -1)
            break;
    }
    if (!line)
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    int zerr;
    const char *zmsg = gzerror(f, &zerr);
    if (rc == 0 && zerr != Z_OK && zerr != Z_STREAM_END) {
        snprintf(res->reason, sizeof res->reason, "cannot read: %s", zmsg);
        res->failed = true;
    }
    free(line);
    gzclose(f);
    return rc;
}

/* s itself when it is UTF-8, else its escaped form in *tofree (s again when out of memory). */
static const char *utf8_or_escaped(const char *s, char **tofree)
{
    size_t bad, n = strlen(s);
    *tofree = valid_utf8(s, n, &bad) ? NULL : pcs_text_escape_dup(s, n);
    return *tofree ? *tofree : s;
}

static int store_rejects(PGconn *db, const char *file_id, const char *name, const rejects_t *rj, pcs_err_t *err)
{
    if (!rj->n)
        return 0;
    if (pcs_copy_begin(db, "COPY rejected_rows (file_id, file_name, line, col, raw, reason) FROM STDIN", err) < 0)
        return PCS_EIO;
    pcs_copybuf_t b = {0};
    for (size_t i = 0; i < rj->n; i++) {
        char l[32], cl[32];
        snprintf(l, sizeof l, "%lld", rj->v[i].line);
        snprintf(cl, sizeof cl, "%lld", rj->v[i].col);
        /* text that is not UTF-8 is stored escaped (pcs_text.h) so the row itself is never lost */
        char *e_name = NULL, *e_raw = NULL, *e_reason = NULL;
        const char *nm = utf8_or_escaped(name, &e_name), *raw = utf8_or_escaped(rj->v[i].raw, &e_raw);
        const char *reason = utf8_or_escaped(rj->v[i].reason, &e_reason);
        pcs_copy_field(&b, file_id, file_id ? strlen(file_id) : 0, true);
        pcs_copy_field(&b, nm, strlen(nm), false);
        pcs_copy_field(&b, l, strlen(l), false);
        pcs_copy_field(&b, cl, strlen(cl), false);
        pcs_copy_field(&b, raw, strlen(raw), false);
        pcs_copy_field(&b, reason, strlen(reason), false);
        free(e_name);
        free(e_raw);
        free(e_reason);
        pcs_copy_put(&b, "\n", 1);
    }
    int rc = pcs_copy_flush(db, &b, err);
    int rc2 = pcs_copy_end(db, err);
    free(b.s);
    return rc ? rc : rc2;
}

/* A file that cannot be loaded at all: a rejected row says why (in its own transaction) and the
 * file goes to failed/ with a .err report. -1 when the database went away. */
static int fail_file(pcs_load_ctx_t *c, const char *path, pcs_load_result_t *res, pcs_err_t *err)
{
    const char *name = base_name(path);
    rejects_t one = {0};
    res->failed = true;
    int rc = reject_add(&one, 0, 0, "", 0, res->reason);
    if (rc == 0 && (pcs_db_query(c->db, "BEGIN", 0, NULL, NULL, err) < 0 ||
                    store_rejects(c->db, NULL, name, &one, err) < 0 ||
                    pcs_db_query(c->db, "COMMIT", 0, NULL, NULL, err) < 0)) {
        pcs_db_query(c->db, "ROLLBACK", 0, NULL, NULL, NULL);
        rc = -1;
    }
    rejects_free(&one);
    if (rc < 0)
        return -1;
    pcs_log(PCS_LOG_WARN, "ingest", "load", "%s: failed: %s", name, res->reason);
    move_to(c, path, "failed", res->reason);
    pcs_spool_forget(c->intake, name);
    return 0;
}

/* True (and logged) when the file at path is no longer the one opened as *st0, or its size or
 * modification time changed: someone is still writing it. */
static bool changed_during_load(int fd, const char *path, const struct stat *st0)
{
    struct stat a, b;
    if (fstat(fd, &a) == 0 && lstat(path, &b) == 0 && pcs_spool_same(st0, &a) && pcs_spool_same(st0, &b))
        return false;
    pcs_log(PCS_LOG_WARN, "ingest", "load", "%s: changed while it was loaded: rolled back, it stays in incoming/ and "
            "is loaded once complete", base_name(path));
    return true;
}

int pcs_load_file(pcs_load_ctx_t *c, const char *path, pcs_load_result_t *res, json_t *changed, json_t *months)
{
    memset(res, 0, sizeof *res);
    const char *name = base_name(path);
    unsigned char digest[32];
    pcs_err_t err = {0};
    rejects_t rj = {.db = c->db, .name = name};
    PGresult *r = NULL;
    json_t *partners = json_array();
    int rc = 0;
    struct stat st0;
    char file_id[32] = "";

    /* opened once, never through a symbolic link, never blocking on a FIFO (issue 18.13) */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st0) < 0 || !S_ISREG(st0.st_mode) || file_sha256(fd, digest) < 0) {
        if (fd < 0 && errno == ELOOP)
            snprintf(res->reason, sizeof res->reason, "a symbolic link: refused (only regular files are loaded)");
        else if (fd >= 0 && !S_ISREG(st0.st_mode))
            snprintf(res->reason, sizeof res->reason, "not a regular file: refused");
        else
            snprintf(res->reason, sizeof res->reason, "cannot read: %s", strerror(errno));
        rc = fail_file(c, path, res, &err);
        goto out;
    }
    char hex[65];
    pcs_sha256_hex(digest, hex);
    char hexparam[70];
    snprintf(hexparam, sizeof hexparam, "\\x%s", hex);
    const char *p1[1] = {hexparam};
    if (pcs_db_query(c->db, "BEGIN", 0, NULL, NULL, &err) < 0 ||
        pcs_db_query(c->db, "SELECT file_id FROM loaded_files WHERE sha256 = $1::bytea", 1, p1, &r, &err) < 0)
        goto dberr;
    if (PQntuples(r) > 0) {
        PQclear(r);
        r = NULL;
        pcs_db_query(c->db, "ROLLBACK", 0, NULL, NULL, NULL);
        res->duplicate = true;
        pcs_log(PCS_LOG_INFO, "ingest", "load", "%s: already loaded (same SHA-256), skipped", name);
        move_to(c, path, "done", NULL);
        pcs_spool_forget(c->intake, name);
        goto out;
    }
    PQclear(r);
    r = NULL;
    /* the file's row first: rejected rows are written as they come and refer to it */
    const char *p0[2] = {name, hexparam};
    if (pcs_db_query(c->db, "INSERT INTO loaded_files (name, sha256, kind) VALUES ($1, $2::bytea, 'unknown')"
                            " RETURNING file_id", 2, p0, &r, &err) < 0)
        goto dberr;
    snprintf(file_id, sizeof file_id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;
    rj.file_id = file_id;
    res->kind = pcs_load_kind_from_name(name);
    const char *partners_sql = NULL;
    if (res->kind == PCS_FEED_CERTS)
        rc = load_jsonl(c, fd, res, &rj, partners, &err);
    else
        rc = load_csv(c, fd, res, &rj, &partners_sql, &err);
    if (!db_gone(c->db) && changed_during_load(fd, path, &st0)) {
        pcs_db_query(c->db, "ROLLBACK", 0, NULL, NULL, NULL);
        res->changed = true;
        res->failed = false;
        goto out;
    }
    if (rc < 0)
        goto dberr;
    if (res->failed) {
        pcs_db_query(c->db, "ROLLBACK", 0, NULL, NULL, NULL);
        /* the whole file is refused: a rejected row says so, and the file goes to failed/ */
        if (fail_file(c, path, res, &err) < 0)
            goto dberr;
        goto out;
    }
    if (partners_sql) {   /* a CSV file: the partners its merge affected */
        PGresult *pr = NULL;
        if (pcs_db_query(c->db, partners_sql, 0, NULL, &pr, &err) < 0)
            goto dberr;
        for (int i = 0; i < PQntuples(pr); i++)
            json_array_append_new(partners, json_string(PQgetvalue(pr, i, 0)));
        PQclear(pr);
    }
    if (rejects_flush(&rj, &err) < 0)
        goto dberr;
    res->rejected = rj.total;
    char loaded[32], rejected[32];
    snprintf(loaded, sizeof loaded, "%lld", res->loaded);
    snprintf(rejected, sizeof rejected, "%lld", res->rejected);
    static const char *const kind_names[] = {"unknown", "customers", "associations", "usage", "enrollments", "certs"};
    const char *p2[4] = {file_id, kind_names[res->kind], loaded, rejected};
    if (pcs_db_query(c->db,
          "UPDATE loaded_files SET kind = $2, rows_loaded = $3::bigint, rows_rejected = $4::bigint"
          " WHERE file_id = $1::bigint",
          4, p2, NULL, &err) < 0)
        goto dberr;
    json_t *mlist = json_array();
    for (int i = 0; i < res->n_months; i++) {
        char mb[8];
        json_array_append_new(mlist, json_string(pcs_month_format(res->months[i], mb)));
    }
    char *plist = json_dumps(partners, JSON_COMPACT), *ml = json_dumps(mlist, JSON_COMPACT);
    const char *p3[3] = {res->kind == PCS_FEED_CERTS ? "cert.changed" : "data.changed", plist ? plist : "[]",
                         ml ? ml : "[]"};
    int orc = pcs_db_query(c->db,
                "INSERT INTO outbox (kind, partners, months) SELECT $1,"
                " coalesce((SELECT array_agg(DISTINCT p) FROM jsonb_array_elements_text($2::jsonb) p), '{}'),"
                " coalesce((SELECT array_agg(DISTINCT (m || '-01')::date) FROM jsonb_array_elements_text($3::jsonb) m),"
                " '{}')",
                3, p3, NULL, &err);
    free(plist);
    free(ml);
    if (orc == 0 && changed_during_load(fd, path, &st0)) {   /* the last look before the commit */
        pcs_db_query(c->db, "ROLLBACK", 0, NULL, NULL, NULL);
        res->changed = true;
        json_decref(mlist);
        goto out;
    }
    if (orc < 0 || pcs_db_query(c->db, "COMMIT", 0, NULL, NULL, &err) < 0) {
        json_decref(mlist);
        goto dberr;
    }
    pcs_log(PCS_LOG_INFO, "ingest", "load", "%s: %s, %lld rows loaded, %lld rejected", name, kind_names[res->kind],
            res->loaded, res->rejected);
    move_to(c, path, "done", NULL);
    pcs_spool_forget(c->intake, name);
    json_array_extend(changed, partners);
    if (months)
        json_array_extend(months, mlist);
    json_decref(mlist);
    goto out;
dberr:
    PQclear(r);
    r = NULL;
    if (!db_gone(c->db)) {
        pcs_db_query(c->db, "ROLLBACK", 0, NULL, NULL, NULL);
        /* stopping: the row loop said so, or a statement was cancelled by SIGTERM */
        if (err.code != PCS_ECANCELED && !(c->stopping && *c->stopping)) {
            /* the database refused the file itself (not a lost connection): fail it, keep going */
            snprintf(res->reason, sizeof res->reason, "database refused the file: %.400s", err.msg);
            pcs_log(PCS_LOG_ERROR, "ingest", "load", "%s: %s", name, res->reason);
            rc = fail_file(c, path, res, &err);
            goto out;
        }
    }
    rc = -1;
    pcs_log(PCS_LOG_WARN, "ingest", "load", "%s: not loaded now (%s); it stays in incoming/", name, err.msg);
out:
    if (fd >= 0)
        close(fd);
    PQclear(r);
    rejects_free(&rj);
    json_decref(partners);
    return rc < 0 ? -1 : 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pcs_load_spool(pcs_load_ctx_t *c, json_t *changed, json_t *months)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/incoming", c->spool);
    DIR *d = opendir(dir);
    if (!d) {
        pcs_log(PCS_LOG_ERROR, "ingest", "spool", "%s: %s", dir, strerror(errno));
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;   /* ".", "..", and hidden files being written */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                break;
            names = nn;
        }
        names[n] = strdup(de->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    int handled = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1400], why[200];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        pcs_load_result_t res;
        pcs_err_t err = {0};
        if (handled < 0 || (c->stopping && *c->stopping) || lstat(path, &st) < 0) {
            free(names[i]);
            continue;
        }
        switch (pcs_spool_check(c->intake, names[i], &st, c->settle_ms, now_ms, why, sizeof why)) {
        case PCS_SPOOL_READY:
            handled = pcs_load_file(c, path, &res, changed, months) < 0 ? -1 : handled + 1;
            break;
        case PCS_SPOOL_REFUSE:   /* never opened: a FIFO could block, a device could do anything */
            memset(&res, 0, sizeof res);
            snprintf(res.reason, sizeof res.reason, "%s", why);
            handled = fail_file(c, path, &res, &err) < 0 ? -1 : handled + 1;
            break;
        case PCS_SPOOL_WAIT:
        case PCS_SPOOL_SKIP:
            break;
        }
        free(names[i]);
    }
    free(names);
    return handled;
}
