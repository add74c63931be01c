#include "pcs_usage.h"

#include "pcs_sat.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ------------------------------------------------------------------------------------------ */

/* One base-10 integer at *p (optional '-'), ending before `end` or at a non-digit. */
static bool read_int(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    bool neg = s < end && *s == '-';
    if (neg)
        s++;
    if (s == end || *s < '0' || *s > '9')
        return false;
    uint64_t v = 0;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > (uint64_t)INT64_MAX + neg)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    *p = s;
    return true;
}

/* A field of an entry: in the compact form an empty field (the text ends, or the next byte is a
 * separator) is `empty`; otherwise a base-10 integer. */
static bool read_field(const char **p, const char *end, bool compact, int64_t empty, int64_t *out)
{
    if (compact && (*p == end || **p == ',' || **p == PCS_USAGE_US || **p == PCS_USAGE_RS)) {
        *out = empty;
        return true;
    }
    return read_int(p, end, out);
}

int pcs_usage_each(const char *data, size_t n, pcs_usage_fn fn, void *arg, pcs_err_t *err)
{
    const char *p = data, *end = data + n;
    bool compact = n > 0 && *p == PCS_USAGE_FS;
    if (compact && ++p == end)
        return pcs_err_set(err, PCS_EINVAL, 0, 2, "packed usage: bad workload");
    char wl[256];
    for (uint32_t block = 0; p < end; block++) {
        const char *gs = memchr(p, PCS_USAGE_GS, (size_t)(end - p));
        size_t wn = gs ? (size_t)(gs - p) : 0;
        if (!gs || wn == 0 || wn >= sizeof wl)
            return pcs_err_set(err, PCS_EINVAL, 0, (int)(p - data) + 1, "packed usage: bad workload");
        memcpy(wl, p, wn);
        wl[wn] = '\0';
        p = gs + 1;
        int64_t month = 0;
        for (bool first = true;; first = false) {
            pcs_usage_row_t r = {.workload = wl, .block = block};
            int64_t v[5];
            for (int i = 0; i < 5; i++) {
                if ((i > 0 && (p >= end || *p++ != ',')) ||
                    !read_field(&p, end, compact && !(i == 0 && first), i == 0 ? 1 : 0, &v[i]))
                    return pcs_err_set(err, PCS_EINVAL, 0, (int)(p - data) + 1, "packed usage: bad entry");
            }
            month = compact && !first ? month + v[0] : v[0];   /* |v[0]| < 2^63, month within int32 */
            if (month < 0 || month > INT32_MAX)
                return pcs_err_set(err, PCS_EINVAL, 0, (int)(p - data) + 1, "packed usage: bad month");
            r.month = (int32_t)month;
            r.acr_cents = v[1];
            r.revenue_cents = v[2];
            r.paid_units = v[3];
            r.active_units = v[4];
            int rc = fn(arg, &r);
            if (rc)
                return rc;
            if (p == end)
                return 0;
            char sep = *p++;
            if (sep == PCS_USAGE_RS)
                break;
            if (sep != PCS_USAGE_US)
                return pcs_err_set(err, PCS_EINVAL, 0, (int)(p - data), "packed usage: bad separator");
        }
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------------------------------------ */

static int cmp_row(const void *pa, const void *pb)
{
    const pcs_usage_row_t *a = pa, *b = pb;
    int c = strcmp(a->workload, b->workload);
    return c ? c : (a->month > b->month) - (a->month < b->month);
}

/* Sorts rows by key unless they are in order already (files usually come sorted). */
static void sort_rows(pcs_usage_row_t *rows, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (cmp_row(&rows[i - 1], &rows[i]) > 0) {
            qsort(rows, n, sizeof *rows, cmp_row);
            return;
        }
}


/* base 10 at s + len (room for 20 characters); returns the new length */
static size_t put_int(char *s, size_t len, int64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char tmp[24];
    int k = sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        tmp[--k] = pairs[d + 1];
        tmp[--k] = pairs[d];
    }
    if (u >= 10) {
        tmp[--k] = pairs[u * 2 + 1];
        tmp[--k] = pairs[u * 2];
    } else {
        tmp[--k] = (char)('0' + u);
    }
    if (v < 0)
        s[len++] = '-';
    memcpy(s + len, tmp + k, sizeof tmp - (size_t)k);
    return len + sizeof tmp - (size_t)k;
}

/* Rows sorted by key: those with one key summed into the first (saturating), compacted in place.
 * Returns the number of distinct keys. */
static size_t sum_sorted(pcs_usage_row_t *rows, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        pcs_usage_row_t r = rows[i];
        for (i++; i < n && rows[i].month == r.month && strcmp(rows[i].workload, r.workload) == 0; i++) {
            r.acr_cents = pcs_sat_add(r.acr_cents, rows[i].acr_cents);
            r.revenue_cents = pcs_sat_add(r.revenue_cents, rows[i].revenue_cents);
            r.paid_units = pcs_sat_add(r.paid_units, rows[i].paid_units);
            r.active_units = pcs_sat_add(r.active_units, rows[i].active_units);
        }
        rows[out++] = r;
    }
    return out;
}

/* The packed text being written, one entry at a time in key order. */
typedef struct writer {
    char *s;
    size_t len, cap;
    size_t wl_off, wl_len;   /* the workload of the block being written, in s */
    int32_t month;           /* of the entry written last */
    bool started, oom;
} writer_t;

static void put_entry(writer_t *w, const pcs_usage_row_t *r)
{
    size_t wn = strlen(r->workload), need = w->len + wn + 4 + 5 * 21;
    if (w->oom)
        return;
    if (need > w->cap) {
        size_t nc = w->cap ? w->cap : 256;
        while (need > nc)
            nc *= 2;
        char *ns = realloc(w->s, nc);
        if (!ns) {
            w->oom = true;
            return;
        }
        w->s = ns;
        w->cap = nc;
    }
    char *s = w->s;
    size_t len = w->len;
    if (!w->started || wn != w->wl_len || memcmp(s + w->wl_off, r->workload, wn) != 0) {
        s[len++] = w->started ? PCS_USAGE_RS : PCS_USAGE_FS;
        w->wl_off = len;
        w->wl_len = wn;
        memcpy(s + len, r->workload, wn);
        len += wn;
        s[len++] = PCS_USAGE_GS;
        w->started = true;
        len = put_int(s, len, r->month);
    } else {
        s[len++] = PCS_USAGE_US;
        int64_t gap = (int64_t)r->month - w->month;   /* 1 but for stored text out of order */
        if (gap != 1)
            len = put_int(s, len, gap);
    }
    w->month = r->month;
    int64_t v[4] = {r->acr_cents, r->revenue_cents, r->paid_units, r->active_units};
    for (int k = 0; k < 4; k++) {
        s[len++] = ',';
        if (v[k])
            len = put_int(s, len, v[k]);
    }
    s[len] = '\0';
    w->len = len;
}

/* The text written, or NULL (freed) when out of memory. */
static char *writer_done(writer_t *w)
{
    if (w->oom) {
        free(w->s);
        return NULL;
    }
    return w->s;
}

char *pcs_usage_pack(pcs_usage_row_t *rows, size_t n)
{
    if (n == 0)
        return NULL;
    sort_rows(rows, n);
    n = sum_sorted(rows, n);
    writer_t w = {0};
    for (size_t i = 0; i < n; i++)
        put_entry(&w, &rows[i]);
    return writer_done(&w);
}

/* ---- merging a load into stored text ------------------------------------------------------------------- */

typedef struct merge {
    const pcs_usage_row_t *rows;  /* the load's rows, sorted, one per key */
    size_t n, next;               /* rows[next..n) not written yet */
    writer_t w;
} merge_t;

/* One stored entry (in key order): the load's rows before it written, then the load's row of its
 * key in its place, or the entry itself. */
static int merge_entry(void *arg, const pcs_usage_row_t *old)
{
    merge_t *m = arg;
    int c = -1;
    while (m->next < m->n && (c = cmp_row(&m->rows[m->next], old)) < 0)
        put_entry(&m->w, &m->rows[m->next++]);
    if (m->next < m->n && c == 0)
        put_entry(&m->w, &m->rows[m->next++]);   /* restated by the load */
    else
        put_entry(&m->w, old);
    return m->w.oom ? PCS_ENOMEM : 0;
}

char *pcs_usage_merge(const char *old, size_t old_n, pcs_usage_row_t *rows, size_t n, pcs_err_t *err)
{
    if (n == 0) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "packed usage: no rows to merge");
        return NULL;
    }
    sort_rows(rows, n);
    merge_t m = {.rows = rows, .n = sum_sorted(rows, n)};
    int rc = old_n ? pcs_usage_each(old, old_n, merge_entry, &m, err) : 0;
    while (rc == 0 && m.next < m.n)
        put_entry(&m.w, &rows[m.next++]);
    char *out = writer_done(&m.w);
    if (rc == 0 && !out)
        rc = PCS_ENOMEM;
    if (rc == PCS_ENOMEM)
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    if (rc) {
        free(out);
        return NULL;
    }
    return out;
}
