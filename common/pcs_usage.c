#include "pcs_usage.h"

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

int pcs_usage_each(const char *data, size_t n, pcs_usage_fn fn, void *arg, pcs_err_t *err)
{
    const char *p = data, *end = data + n;
    char wl[256];
    while (p < end) {
        const char *gs = memchr(p, PCS_USAGE_GS, (size_t)(end - p));
        size_t wn = gs ? (size_t)(gs - p) : 0;
        if (!gs || wn == 0 || wn >= sizeof wl)
            return pcs_err_set(err, PCS_EINVAL, 0, (int)(p - data) + 1, "packed usage: bad workload");
        memcpy(wl, p, wn);
        wl[wn] = '\0';
        p = gs + 1;
        for (;;) {
            pcs_usage_row_t r = {.workload = wl};
            int64_t v[5];
            for (int i = 0; i < 5; i++) {
                if ((i > 0 && (p >= end || *p++ != ',')) || !read_int(&p, end, &v[i]))
                    return pcs_err_set(err, PCS_EINVAL, 0, (int)(p - data) + 1, "packed usage: bad entry");
            }
            if (v[0] < 0 || v[0] > INT32_MAX)
                return pcs_err_set(err, PCS_EINVAL, 0, (int)(p - data) + 1, "packed usage: bad month");
            r.month = (int32_t)v[0];
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

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

/* base 10 at s + len (room for 20 characters); returns the new length */
static size_t put_int(char *s, size_t len, int64_t v)
{
    char tmp[24];
    int k = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        s[len++] = '-';
    while (k)
        s[len++] = tmp[--k];
    return len;
}

char *pcs_usage_pack(pcs_usage_row_t *rows, size_t n)
{
    if (n == 0)
        return NULL;
    qsort(rows, n, sizeof *rows, cmp_row);
    size_t cap = 256, len = 0;
    char *s = malloc(cap);
    const char *prev = NULL;   /* the workload of the block being written */
    for (size_t i = 0; s && i < n;) {
        pcs_usage_row_t r = rows[i];
        for (i++; i < n && rows[i].month == r.month && strcmp(rows[i].workload, r.workload) == 0; i++) {
            r.acr_cents = sat_add(r.acr_cents, rows[i].acr_cents);
            r.revenue_cents = sat_add(r.revenue_cents, rows[i].revenue_cents);
            r.paid_units = sat_add(r.paid_units, rows[i].paid_units);
            r.active_units = sat_add(r.active_units, rows[i].active_units);
        }
        size_t wn = strlen(r.workload), need = len + wn + 2 + 5 * 21;
        if (need > cap) {
            while (need > cap)
                cap *= 2;
            char *ns = realloc(s, cap);
            if (!ns) {
                free(s);
                return NULL;
            }
            s = ns;
        }
        if (!prev || strcmp(prev, r.workload) != 0) {
            if (prev)
                s[len++] = PCS_USAGE_RS;
            memcpy(s + len, r.workload, wn);
            len += wn;
            s[len++] = PCS_USAGE_GS;
            prev = r.workload;
        } else {
            s[len++] = PCS_USAGE_US;
        }
        len = put_int(s, len, r.month);
        int64_t v[4] = {r.acr_cents, r.revenue_cents, r.paid_units, r.active_units};
        for (int k = 0; k < 4; k++) {
            s[len++] = ',';
            len = put_int(s, len, v[k]);
        }
    }
    if (s)
        s[len] = '\0';
    return s;
}

/* ---- merging a load into stored text ------------------------------------------------------------------- */

typedef struct merge {
    const pcs_usage_row_t *rows;  /* the load's rows, sorted */
    size_t n;
    pcs_usage_row_t *all;         /* kept stored entries, then the rows */
    size_t len, cap;
    char **wls;                   /* copies of the stored workloads the kept entries point at */
    size_t n_wls, cap_wls;
} merge_t;

static int keep_stored(void *arg, const pcs_usage_row_t *row)
{
    merge_t *m = arg;
    if (bsearch(row, m->rows, m->n, sizeof *m->rows, cmp_row))
        return 0;   /* restated by the load */
    if (m->len == m->cap) {
        size_t nc = m->cap * 2;
        pcs_usage_row_t *na = realloc(m->all, nc * sizeof *na);
        if (!na)
            return PCS_ENOMEM;
        m->all = na;
        m->cap = nc;
    }
    pcs_usage_row_t r = *row;
    if (!m->n_wls || strcmp(m->wls[m->n_wls - 1], row->workload) != 0) {
        if (m->n_wls == m->cap_wls) {
            size_t nc = m->cap_wls ? m->cap_wls * 2 : 8;
            char **nw = realloc(m->wls, nc * sizeof *nw);
            if (!nw)
                return PCS_ENOMEM;
            m->wls = nw;
            m->cap_wls = nc;
        }
        if (!(m->wls[m->n_wls] = strdup(row->workload)))
            return PCS_ENOMEM;
        m->n_wls++;
    }
    r.workload = m->wls[m->n_wls - 1];
    m->all[m->len++] = r;
    return 0;
}

char *pcs_usage_merge(const char *old, size_t old_n, pcs_usage_row_t *rows, size_t n, pcs_err_t *err)
{
    char *out = NULL;
    if (n == 0) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "packed usage: no rows to merge");
        return NULL;
    }
    if (old_n == 0) {
        if (!(out = pcs_usage_pack(rows, n)))
            pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return out;
    }
    qsort(rows, n, sizeof *rows, cmp_row);
    merge_t m = {.rows = rows, .n = n, .cap = n + 32};
    m.all = malloc(m.cap * sizeof *m.all);
    if (!m.all) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    int rc = pcs_usage_each(old, old_n, keep_stored, &m, err);
    if (rc == PCS_ENOMEM)
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    if (rc)
        goto out;
    if (m.len + n > m.cap) {
        pcs_usage_row_t *na = realloc(m.all, (m.len + n) * sizeof *na);
        if (!na) {
            pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
            goto out;
        }
        m.all = na;
    }
    memcpy(m.all + m.len, rows, n * sizeof *rows);
    if (!(out = pcs_usage_pack(m.all, m.len + n)))
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
out:
    for (size_t i = 0; i < m.n_wls; i++)
        free(m.wls[i]);
    free(m.wls);
    free(m.all);
    return out;
}
