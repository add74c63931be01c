/* The scorer's result output (scorer/pcs_refresh.c, pcs_batch_add): the document text printed
 * around track objects printed once and with the texts a cache holds for recurring objects
 * (pcs_result_to_json_cached) is byte for byte json_dumps of the whole document built without a
 * cache, the snapshot details are json_dumps of each track object, and the binary COPY rows hold
 * them; over the golden
 * partners scored on many days and over generated partners with hostile text (tabs, newlines,
 * backslashes, quotes, non-ASCII) in every string the document carries. pcs_copy_field against a
 * byte-by-byte escaper. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_db.h"
#include "pcs_doc.h"
#include "pcs_file.h"
#include "pcs_jpool.h"
#include "pcs_refresh.h"
#include "pcs_result_json.h"
#include "pcs_rules.h"

#define MAX_TRACKS (PCS_AREA_N * PCS_TRACK_N)

static pcs_rules_t *load_rules(const char *name)
{
    char path[4096], *text;
    size_t len;
    pcs_err_t err = {0};
    snprintf(path, sizeof path, "%s/rules/%s.json", PCS_SOURCE_DIR, name);
    cr_assert_eq(pcs_file_read(path, 1u << 26, &text, &len, &err), 0, "%s", err.msg);
    pcs_rules_t *r = pcs_rules_load(text, len, &err);
    free(text);
    cr_assert(r, "%s", err.msg);
    return r;
}

/* A binary COPY row at *pos of b (pcs_copy_bin_row and the values): its fields as NUL-terminated
 * copies (NULL for SQL NULL) and their lengths, *pos moved past it; the field count, -1 at the end
 * of b or for a value running past it. */
static int bin_row(const pcs_copybuf_t *b, size_t *pos, char **f, size_t *len, int max)
{
    const unsigned char *u = (const unsigned char *)b->s;
    if (*pos + 2 > b->n)
        return -1;
    int n = u[*pos] << 8 | u[*pos + 1];
    *pos += 2;
    for (int i = 0; i < n; i++) {
        if (i >= max || *pos + 4 > b->n)
            return -1;
        uint32_t l = (uint32_t)u[*pos] << 24 | (uint32_t)u[*pos + 1] << 16 | (uint32_t)u[*pos + 2] << 8 | u[*pos + 3];
        *pos += 4;
        if (l == UINT32_MAX) {
            f[i] = NULL;
            len[i] = 0;
            continue;
        }
        if (*pos + l > b->n)
            return -1;
        f[i] = malloc(l + 1);   /* not strndup: a binary value may hold NUL bytes */
        cr_assert_not_null(f[i]);
        memcpy(f[i], b->s + *pos, l);
        f[i][l] = '\0';
        len[i] = l;
        *pos += l;
    }
    return n;
}

static void free_row(char **f, int n)
{
    for (int i = 0; i < n; i++)
        free(f[i]);
}

/* big-endian integer of a binary value */
static uint64_t be(const char *s, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | (unsigned char)s[i];
    return v;
}

typedef struct {
    pcs_batch_t batch;
    pcs_copybuf_t w;
    pcs_json_cache_t *cache;
    long docs, tracks, bytes, memo_placeholders;
} checker_t;

static long count(const char *s, const char *what)
{
    long n = 0;
    for (const char *p = s; (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* Everything the refresh writes for res, against jansson's own dumps of the document. */
static void check_result(checker_t *c, const pcs_rules_t *R, const pcs_result_t *res)
{
    json_t *doc = pcs_result_to_json(R, res, false), *copy = pcs_result_to_json(R, res, false);
    cr_assert(doc && copy);
    char *want = json_dumps(doc, PCS_JSON_DUMP_FLAGS), *want_tracks[MAX_TRACKS];
    cr_assert(want);
    int nw = 0;
    json_t *area, *tj;
    size_t ai, ti;
    json_array_foreach(json_object_get(doc, "areas"), ai, area) json_array_foreach(json_object_get(area, "tracks"), ti, tj)
    {
        cr_assert_lt(nw, MAX_TRACKS);
        want_tracks[nw++] = json_dumps(tj, PCS_JSON_DUMP_FLAGS);
    }

    /* the splice */
    pcs_span_t tracks[MAX_TRACKS], text;
    int nt = -1;
    cr_assert_eq(pcs_batch_dump(&c->w, copy, NULL, tracks, MAX_TRACKS, &nt, &text), 0);
    cr_assert_eq(nt, nw);
    cr_assert_eq(text.len, strlen(want), "%s: %zu bytes spliced, json_dumps %zu", res->partner_id, text.len,
                 strlen(want));
    cr_assert(memcmp(c->w.s + text.off, want, text.len) == 0, "%s: spliced text differs from json_dumps",
              res->partner_id);
    for (int k = 0; k < nt; k++)
        cr_assert(tracks[k].len == strlen(want_tracks[k]) &&
                      memcmp(c->w.s + tracks[k].off, want_tracks[k], tracks[k].len) == 0,
                  "%s: track %d", res->partner_id, k);

    /* built with a cache: placeholders for the recurring objects, spliced back to the same text */
    if (!c->cache)
        c->cache = pcs_json_cache_new();
    json_t *memo = pcs_result_to_json_cached(c->cache, R, res, false);
    cr_assert(memo);
    char *raw = json_dumps(memo, PCS_JSON_DUMP_FLAGS);
    cr_assert(raw);
    c->memo_placeholders += count(raw, "\"\\u0000M");
    free(raw);
    cr_assert_eq(pcs_batch_dump(&c->w, memo, c->cache, tracks, MAX_TRACKS, &nt, &text), 0);
    cr_assert(nt == nw && text.len == strlen(want) && memcmp(c->w.s + text.off, want, text.len) == 0,
              "%s: text spliced with the cache differs from json_dumps", res->partner_id);
    for (int k = 0; k < nt; k++)
        cr_assert(tracks[k].len == strlen(want_tracks[k]) &&
                      memcmp(c->w.s + tracks[k].off, want_tracks[k], tracks[k].len) == 0,
                  "%s: track %d with the cache", res->partner_id, k);
    json_decref(memo);

    /* the COPY rows of pcs_batch_add (its own cache, kept from document to document) */
    pcs_batch_reset(&c->batch);
    cr_assert_eq(pcs_batch_add(&c->batch, R, res, "refresh:test"), 0);
    cr_assert_eq(c->batch.documents, 1);
    char *f[16];
    size_t fl[16], pos = 0;
    cr_assert_eq(bin_row(&c->batch.res, &pos, f, fl, 16), 6);
    cr_assert_eq(pos, c->batch.res.n, "one result row");
    cr_assert_str_eq(f[0], res->partner_id);
    cr_assert_str_eq(f[1], res->rules);
    cr_assert(fl[2] == 4 && (int32_t)be(f[2], 4) == res->as_of - 10957, "as_of: days since 2000-01-01");
    cr_assert(fl[3] == strlen(want) && strcmp(f[3], want) == 0, "%s: document", res->partner_id);
    cr_assert(strlen(f[4]) == 32 && strspn(f[4], "0123456789abcdef") == 32, "digest %s", f[4]);
    cr_assert_str_eq(f[5], "refresh:test");
    free_row(f, 6);
    int rows = 0;
    for (pos = 0; pos < c->batch.snap.n; rows++) {
        cr_assert_lt(rows, nt);
        cr_assert_eq(bin_row(&c->batch.snap, &pos, f, fl, 16), 12);
        cr_assert_str_eq(f[0], res->partner_id);
        cr_assert_str_eq(f[9], want_tracks[rows], "%s: detail %d", res->partner_id, rows);
        json_t *d = json_loads(f[9], 0, NULL);
        cr_assert_str_eq(f[2], json_string_value(json_object_get(d, "track")));
        cr_assert(fl[5] == 8, "total: float8");
        uint64_t bits = be(f[5], 8);
        double total;
        memcpy(&total, &bits, sizeof total);
        cr_assert(total == json_number_value(json_object_get(d, "total")) ||
                      fabs(total - json_number_value(json_object_get(d, "total"))) <= 0.0051,
                  "%s: total %g", res->partner_id, total);
        cr_assert(fl[6] == 1 && fl[7] == 1 && (f[6][0] == 0 || f[6][0] == 1), "booleans: one byte");
        cr_assert_eq(f[6][0] == 1, json_is_true(json_object_get(d, "qualified")));
        json_decref(d);
        cr_assert(strlen(f[10]) == 32 && strspn(f[10], "0123456789abcdef") == 32);
        cr_assert(fl[11] == 8 && be(f[11], 8) == 0, "seq: an int8 set by pcs_batch_insert");
        cr_assert_eq(c->batch.seq_at[rows], pos - 8, "where the seq is: the row's last 8 bytes");
        free_row(f, 12);
    }
    cr_assert_eq(rows, nt);
    c->docs++;
    c->tracks += nt;
    c->bytes += (long)text.len;
    for (int k = 0; k < nw; k++)
        free(want_tracks[k]);
    free(want);
    json_decref(doc);
    json_decref(copy);
}

static void checker_free(checker_t *c)
{
    cr_assert_gt(c->memo_placeholders, c->docs, "documents built with a cache hold placeholders");
    pcs_json_cache_free(&c->cache);
    pcs_batch_free(&c->batch);
    free(c->w.s);
}

/* The golden partners (events of every kind, history, enrolments), each scored on 24 days. */
Test(batch, golden_partners_splice_exactly, .init = pcs_jpool_install)   /* jansson as in the scorer */
{
    pcs_rules_t *rules[2] = {load_rules("pcs-2026"), load_rules("pcs-2023")};
    checker_t c = {0};
    char dir[1024], path[1400];
    snprintf(dir, sizeof dir, "%s/tests/data", PCS_SOURCE_DIR);
    DIR *dh = opendir(dir);
    cr_assert(dh);
    int partners = 0;
    for (struct dirent *de; (de = readdir(dh));) {
        snprintf(path, sizeof path, "%s/%s/input.json", dir, de->d_name);
        char *text;
        size_t len;
        pcs_err_t err = {0};
        if (de->d_name[0] == '.' || pcs_file_read(path, 1u << 26, &text, &len, &err) < 0)
            continue;
        for (int ri = 0; ri < 2; ri++) {
            json_t *doc = NULL;
            pcs_engine_t *e = pcs_engine_new(rules[ri]);
            int32_t d;
            if (pcs_doc_parse(text, len, &doc, &err) < 0 || pcs_doc_load(e, doc, text, len, &d, &err) < 0) {
                json_decref(doc);
                pcs_engine_destroy(&e);
                continue;   /* a case of bad input */
            }
            partners += ri == 0;
            for (int k = 0; k < 24; k++) {
                pcs_score_opts_t o = {.no_history = k % 3 == 2};
                const pcs_result_t *res = pcs_engine_score(e, d - 400 + k * 29, &o);
                cr_assert(res);
                check_result(&c, rules[ri], res);
            }
            json_decref(doc);
            pcs_engine_destroy(&e);
        }
        free(text);
    }
    closedir(dh);
    cr_log_info("golden: %d partners, %ld documents, %ld tracks, %ld bytes, %ld memo placeholders", partners, c.docs,
                c.tracks, c.bytes, c.memo_placeholders);
    cr_assert_geq(partners, 15);
    cr_assert_geq(c.tracks, c.docs, "the documents have tracks to splice");
    checker_free(&c);
    pcs_rules_destroy(&rules[0]);
    pcs_rules_destroy(&rules[1]);
}

static unsigned rnd(unsigned long long *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(*s >> 33);
}

/* Text with the bytes COPY and JSON escape, and UTF-8 of two, three and four bytes. */
static void hostile(unsigned long long *s, char *out, size_t cap, const char *prefix)
{
    static const char *const bits[] = {"\t", "\n", "\r", "\\", "\"", "/", "é", "€", "😀", "\\u0000", "x", "N",
                                       "\"\\u0000\"", "\b", "\x1f"};
    size_t n = (size_t)snprintf(out, cap, "%s", prefix);
    for (unsigned k = rnd(s) % 8 + 1; k > 0 && n + 16 < cap; k--)
        n += (size_t)snprintf(out + n, cap - n, "%s", bits[rnd(s) % (sizeof bits / sizeof *bits)]);
}

/* Generated partners: hostile ids for the partner, tenants, customers and people, hostile
 * warnings; usage over 25 months in the three workload families, certifications. */
Test(batch, generated_partners_splice_exactly, .init = pcs_jpool_install)
{
    static const char *const wl[] = {"azure/sql_database", "azure/app_service", "azure/virtual_machines",
                                     "m365/teams",         "m365/intune",       "m365/exchange_online",
                                     "bizapps/sales",      "bizapps/power_bi"};
    static const char *const types[] = {"PAL", "DPOR", "CSP_T1", "CSP_T2", "CPOR"};
    pcs_rules_t *R = load_rules("pcs-2026");
    pcs_engine_t *e = pcs_engine_new(R);
    checker_t c = {0};
    unsigned long long s = 13;
    int32_t D;
    cr_assert_eq(pcs_day_parse("2026-11-20", &D), 0);
    int32_t M = pcs_month_of_day(D) - 1;
    for (int p = 0; p < 150; p++) {
        char id[128], tenant[128], person[128];
        pcs_err_t err = {0};
        hostile(&s, id, sizeof id, p % 2 ? "P" : "");
        snprintf(id + strlen(id), sizeof id - strlen(id), "#%d", p);
        cr_assert_eq(pcs_engine_begin(e, id, &err), 0, "%s", err.msg);
        int tenants = 1 + (int)(rnd(&s) % 12);
        for (int t = 0; t < tenants; t++) {
            hostile(&s, tenant, sizeof tenant, "t");
            snprintf(tenant + strlen(tenant), sizeof tenant - strlen(tenant), "#%d", t);
            char customer[128];
            hostile(&s, customer, sizeof customer, "c");
            cr_assert_eq(pcs_engine_add_customer(e, tenant, rnd(&s) % 2 ? customer : NULL, rnd(&s) % 2, &err), 0,
                         "%s", err.msg);
            cr_assert_eq(pcs_engine_add_association(e, tenant, (pcs_assoc_type_t)pcs_assoc_type_index(types[rnd(&s) % 5]),
                                                    "*", pcs_month_first_day(M - (int)(rnd(&s) % 30)), PCS_DAY_NONE, &err),
                         0, "%s", err.msg);
            const char *w = wl[rnd(&s) % 8];
            double scale = 100.0 * (1 + rnd(&s) % 50);
            for (int m = 0; m < 25; m++)
                cr_assert_eq(pcs_engine_add_usage(e, tenant, w, M - 24 + m, scale * (rnd(&s) % 1000) / 997.0,
                                                  scale * (rnd(&s) % 1000) / 331.0, 5 + rnd(&s) % 500,
                                                  rnd(&s) % 300, &err),
                             0, "%s", err.msg);
        }
        for (int i = 0, people = 1 + (int)(rnd(&s) % 10); i < people; i++) {
            hostile(&s, person, sizeof person, "p");
            snprintf(person + strlen(person), sizeof person - strlen(person), "#%d", i);
            int32_t earned = pcs_month_first_day(M - (int)(rnd(&s) % 20)) + (int32_t)(rnd(&s) % 28);
            cr_assert_eq(pcs_engine_add_cert(e, person, R->certs[rnd(&s) % (unsigned)R->n_certs].id, earned,
                                             earned + 365, &err),
                         0, "%s", err.msg);
        }
        char warning[128];
        hostile(&s, warning, sizeof warning, "w");
        pcs_engine_warn(e, "%s", warning);
        for (int k = 0; k < 3; k++) {
            pcs_score_opts_t o = {.no_history = k == 1};
            const pcs_result_t *res = pcs_engine_score(e, D + k * 40, &o);
            cr_assert(res);
            check_result(&c, R, res);
        }
    }
    cr_log_info("generated: %ld documents, %ld tracks, %ld bytes, %ld memo placeholders", c.docs, c.tracks, c.bytes,
                c.memo_placeholders);
    cr_assert_eq(c.docs, 450);
    cr_assert_geq(c.tracks, c.docs);
    checker_free(&c);
    pcs_engine_destroy(&e);
    pcs_rules_destroy(&R);
}

/* A tenant's packed usage goes to the engine through ids looked up once and integer amounts
 * (pcs_engine_add_usage_ids, the facts stream): the same return, error message, warnings and
 * document as through names and amounts in USD (pcs_engine_add_usage with cents / 100.0), for
 * amounts of every size up to and past the limits, negative unit counts and hostile names. */
Test(batch, usage_by_ids_matches_usage_by_name)
{
    static const char *const wl[] = {"azure/sql_database", "azure/app_service", "m365/teams", "m365/intune",
                                     "bizapps/sales", "*"};
    static const int64_t edge[] = {0, 1, -1, 99, -99, 100, 12345678901LL, INT64_C(999999999999999),
                                   INT64_C(1000000000000000), INT64_C(-1000000000000000), INT64_C(1000000000000001),
                                   INT64_C(-1000000000000001), INT64_MAX, INT64_MIN};
    static const int64_t units[] = {0, 7, -1, -250, INT64_C(1000000000000), INT64_C(1000000000001),
                                    INT64_C(-1000000000000), INT64_C(-1000000000001), INT64_MIN};
    pcs_rules_t *R = load_rules("pcs-2026");
    pcs_engine_t *byname = pcs_engine_new(R), *byid = pcs_engine_new(R);
    unsigned long long s = 29;
    int32_t D;
    cr_assert_eq(pcs_day_parse("2026-11-20", &D), 0);
    int32_t M = pcs_month_of_day(D) - 1;
    long rows = 0, refused = 0;
    for (int p = 0; p < 60; p++) {
        char id[128], tenant[128];
        pcs_err_t e1 = {0}, e2 = {0};
        hostile(&s, id, sizeof id, "P");
        snprintf(id + strlen(id), sizeof id - strlen(id), "#%d", p);
        cr_assert_eq(pcs_engine_begin(byname, id, &e1), 0, "%s", e1.msg);
        cr_assert_eq(pcs_engine_begin(byid, id, &e2), 0, "%s", e2.msg);
        for (int t = 0, tenants = 1 + (int)(rnd(&s) % 6); t < tenants; t++) {
            hostile(&s, tenant, sizeof tenant, "t");
            snprintf(tenant + strlen(tenant), sizeof tenant - strlen(tenant), "#%d", t);
            pcs_engine_t *both[] = {byname, byid};
            for (int k = 0; k < 2; k++) {
                cr_assert_eq(pcs_engine_add_customer(both[k], tenant, NULL, t % 2, &e1), 0, "%s", e1.msg);
                cr_assert_eq(pcs_engine_add_association(both[k], tenant, PCS_AT_CPOR, "*",
                                                        pcs_month_first_day(M - 40), PCS_DAY_NONE, &e1),
                             0, "%s", e1.msg);
            }
            int ti = -1;   /* looked up by the first entry taken, as by name */
            for (int b = 0, blocks = 1 + (int)(rnd(&s) % 3); b < blocks; b++) {
                const char *w = wl[rnd(&s) % (sizeof wl / sizeof *wl)];
                int wi = -1;
                for (int m = 0; m < 25; m++) {
                    int64_t v[4];
                    for (int i = 0; i < 2; i++)
                        v[i] = rnd(&s) % 8 == 0 ? edge[rnd(&s) % (sizeof edge / sizeof *edge)]
                                                : (int64_t)(rnd(&s) % 2000000) - 400000;
                    for (int i = 2; i < 4; i++)
                        v[i] = rnd(&s) % 8 == 0 ? units[rnd(&s) % (sizeof units / sizeof *units)]
                                                : (int64_t)(rnd(&s) % 500);
                    e1 = e2 = (pcs_err_t){0};
                    int r1 = pcs_engine_add_usage(byname, tenant, w, M - 24 + m, (double)v[0] / 100.0,
                                                  (double)v[1] / 100.0, (double)v[2], (double)v[3], &e1);
                    int r2 = pcs_engine_add_usage_ids(byid, tenant, w, &ti, &wi, M - 24 + m, v[0], v[1], v[2], v[3], &e2);
                    cr_assert_eq(r1, r2, "%lld %lld %lld %lld", (long long)v[0], (long long)v[1],
                                 (long long)v[2], (long long)v[3]);
                    cr_assert_str_eq(e1.msg, e2.msg);
                    rows++;
                    refused += r1 != 0;
                }
            }
        }
        for (int k = 0; k < 2; k++) {
            const pcs_result_t *a = pcs_engine_score(byname, D, NULL), *b = pcs_engine_score(byid, D, NULL);
            cr_assert(a && b);
            cr_assert_eq(a->n_warnings, b->n_warnings);
            for (int i = 0; i < a->n_warnings; i++)
                cr_assert_str_eq(a->warnings[i], b->warnings[i]);
            json_t *ja = pcs_result_to_json(R, a, k == 1), *jb = pcs_result_to_json(R, b, k == 1);
            char *da = json_dumps(ja, JSON_COMPACT), *db = json_dumps(jb, JSON_COMPACT);
            cr_assert(da && db);
            cr_assert_str_eq(da, db, "partner %d", p);
            free(da);
            free(db);
            json_decref(ja);
            json_decref(jb);
        }
    }
    cr_log_info("usage by ids: %ld rows, %ld refused", rows, refused);
    cr_assert_gt(refused, 0);
    cr_assert_gt(rows - refused, 0);
    pcs_engine_destroy(&byname);
    pcs_engine_destroy(&byid);
    pcs_rules_destroy(&R);
}

/* pcs_copy_field scans eight bytes at a time: special bytes at every offset and alignment. */
Test(batch, copy_field_matches_bytewise_escaping)
{
    unsigned long long s = 7;
    static const char pool[] = "ab\\\t\n\r\"z\x01\xc3\xa9";
    pcs_copybuf_t got = {0}, want = {0};
    for (int iter = 0; iter < 20000; iter++) {
        char src[80];
        size_t n = rnd(&s) % sizeof src;
        for (size_t i = 0; i < n; i++)
            src[i] = rnd(&s) % 4 ? 'a' + (char)(rnd(&s) % 26) : pool[rnd(&s) % (sizeof pool - 1)];
        size_t off = rnd(&s) % 8;   /* another alignment of the same bytes */
        char shifted[96];
        memcpy(shifted + off, src, n);
        got.n = want.n = 0;
        pcs_copy_field(&got, shifted + off, n, iter % 2);
        if (iter % 2 == 0)
            pcs_copy_put(&want, "\t", 1);
        for (size_t i = 0; i < n; i++) {
            const char *esc = src[i] == '\\' ? "\\\\" : src[i] == '\t' ? "\\t" : src[i] == '\n' ? "\\n" : src[i] == '\r' ? "\\r" : NULL;
            pcs_copy_put(&want, esc ? esc : &src[i], esc ? 2 : 1);
        }
        cr_assert(got.n == want.n && memcmp(got.s, want.s, got.n) == 0, "iteration %d", iter);
        /* and back */
        pcs_copy_put(&got, "", 0);
        got.s[got.n] = '\0';
        char *back = pcs_copy_unescape(got.s + (iter % 2 ? 0 : 1));
        cr_assert(back && strlen(back) == n && memcmp(back, src, n) == 0, "round trip %d", iter);
    }
    got.n = 0;
    pcs_copy_field(&got, NULL, 0, false);
    cr_assert(got.n == 3 && memcmp(got.s, "\t\\N", 3) == 0, "NULL is \\N");
    free(got.s);
    free(want.s);
}

/* pcs_copy_bin_split(msg) in a buffer of exactly len bytes and the NUL libpq adds, so ASan sees any
 * read or write past it. */
static int bin_split(const char *msg, size_t len, bool *header_read, char **f, int nf, char **keep)
{
    char *m = malloc(len + 1);
    cr_assert_not_null(m);
    memcpy(m, msg, len);
    m[len] = '\0';
    *keep = m;
    return pcs_copy_bin_split(m, (int)len, header_read, f, nf);
}

/* The facts stream's binary rows: what the server sends (a header before the first row, rows of
 * text and NULL fields, the trailer), every malformed variant refused, and random bytes survived. */
Test(batch, copy_bin_split_reads_rows_and_refuses_the_rest)
{
    static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    pcs_copybuf_t b = {0};
    /* the first message: header, then a row of three fields (text, NULL, empty text) */
    pcs_copy_put(&b, header, sizeof header);
    pcs_copy_bin_row(&b, 3);
    pcs_copy_bin_text(&b, "p000001");
    pcs_copy_bin_text(&b, NULL);
    pcs_copy_bin_text(&b, "");
    char *f[3], *m;
    bool hr = false;
    cr_assert_eq(bin_split(b.s, b.n, &hr, f, 3, &m), 0);
    cr_assert(hr && strcmp(f[0], "p000001") == 0 && f[1] == NULL && f[2] && f[2][0] == '\0');
    free(m);
    /* a later row has no header; a value with tabs, backslashes and newlines comes as it is */
    pcs_copy_clear(&b);
    pcs_copy_bin_row(&b, 3);
    pcs_copy_bin_text(&b, "a\tb\\c\nd");
    pcs_copy_bin_text(&b, "x");
    pcs_copy_bin_text(&b, NULL);
    cr_assert_eq(bin_split(b.s, b.n, &hr, f, 3, &m), 0);
    cr_assert(strcmp(f[0], "a\tb\\c\nd") == 0 && strcmp(f[1], "x") == 0 && f[2] == NULL);
    free(m);
    cr_assert_eq(bin_split("\377\377", 2, &hr, f, 3, &m), 1, "the trailer");
    free(m);
    /* an empty result: header and trailer in one message; a header with an extension */
    bool h2 = false;
    char ht[21];
    memcpy(ht, header, 19);
    memcpy(ht + 19, "\377\377", 2);
    cr_assert_eq(bin_split(ht, sizeof ht, &h2, f, 3, &m), 1);
    free(m);
    char hx[23];
    memcpy(hx, header, 19);
    hx[18] = 2;   /* two bytes of extension */
    memcpy(hx + 19, "zz\377\377", 4);
    h2 = false;
    cr_assert_eq(bin_split(hx, sizeof hx, &h2, f, 3, &m), 1);
    free(m);
    /* refused: no header where one is due, a wrong signature, an extension past the end, another
     * field count, a length past the end or below -1, bytes after the last field, the trailer with
     * bytes after it, a message cut anywhere */
    pcs_copy_clear(&b);
    pcs_copy_bin_row(&b, 3);
    pcs_copy_bin_text(&b, "abc");
    pcs_copy_bin_text(&b, "de");
    pcs_copy_bin_text(&b, "f");
    char row[64];
    size_t rn = b.n;
    memcpy(row, b.s, rn);
    h2 = false;
    cr_assert_eq(bin_split(row, rn, &h2, f, 3, &m), -1, "a row where the header is due");
    free(m);
    char bad[19];
    memcpy(bad, header, 19);
    bad[0] = 'X';
    h2 = false;
    cr_assert_eq(bin_split(bad, 19, &h2, f, 3, &m), -1, "signature");
    free(m);
    memcpy(bad, header, 19);
    bad[18] = 1;
    h2 = false;
    cr_assert_eq(bin_split(bad, 19, &h2, f, 3, &m), -1, "extension past the end");
    free(m);
    cr_assert_eq(bin_split(row, rn, &hr, f, 2, &m), -1, "three fields where two are due");
    free(m);
    char mod[64];
    memcpy(mod, row, rn);
    mod[2 + 3] = 9;   /* the first length, 3, made 9: past the second field, not the end */
    cr_assert_eq(bin_split(mod, rn, &hr, f, 3, &m), -1, "a length that breaks the row");
    free(m);
    memcpy(mod, row, rn);
    mod[2 + 3] = 100;
    cr_assert_eq(bin_split(mod, rn, &hr, f, 3, &m), -1, "a length past the end");
    free(m);
    memcpy(mod, row, rn);
    mod[2] = mod[3] = mod[4] = '\377', mod[5] = '\376';   /* -2 */
    cr_assert_eq(bin_split(mod, rn, &hr, f, 3, &m), -1, "a length below -1");
    free(m);
    memcpy(mod, row, rn);
    mod[rn] = 'x';
    cr_assert_eq(bin_split(mod, rn + 1, &hr, f, 3, &m), -1, "a byte after the last field");
    free(m);
    cr_assert_eq(bin_split("\377\377x", 3, &hr, f, 3, &m), -1, "the trailer and more");
    free(m);
    for (size_t cut = 0; cut < rn; cut++) {
        cr_assert_eq(bin_split(row, cut, &hr, f, 3, &m), -1, "cut at %zu", cut);
        free(m);
    }
    /* random bytes, with and without a header before them: refused or read, never past the end */
    unsigned long long s = 11;
    for (int iter = 0; iter < 20000; iter++) {
        char r[48];
        size_t n = rnd(&s) % sizeof r;
        for (size_t i = 0; i < n; i++)
            r[i] = rnd(&s) % 4 == 0 ? 0 : rnd(&s) % 3 == 0 ? (char)0xff : (char)(rnd(&s) % 8);
        bool h = iter % 2 == 0;
        int rc = bin_split(r, n, &h, f, 3, &m);
        cr_assert(rc >= -1 && rc <= 1, "iteration %d", iter);
        for (int i = 0; rc == 0 && i < 3; i++)
            cr_assert(!f[i] || (f[i] >= m && f[i] + strlen(f[i]) <= m + n), "field %d inside the message", i);
        free(m);
    }
    free(b.s);
}

/* pcs_sql_round2 (the score of a change a new batch makes) against PostgreSQL's own
 * round(x::numeric, 2)::text read back by strtod, as the changes of an upsert are: scores on every
 * hundredth and the doubles either side of it, the halves between hundredths and either side, big
 * and tiny magnitudes, negatives, random doubles. */
Test(batch, sql_round2_is_postgresql_round)
{
    cr_assert_not_null(getenv("PGHOST"), "run under tests/run or tests/with-pg (a real PostgreSQL)");
    pcs_err_t err = {0};
    PGconn *db = pcs_db_connect("", &err);
    cr_assert_not_null(db, "%s", err.msg);
    enum { N = 80000 };
    static double x[N];
    int n = 0;
    for (int k = 0; k <= 10000 && n + 6 <= N; k += 1) {
        double h = k / 100.0, half = (2 * k + 1) / 200.0;
        x[n++] = h;
        x[n++] = nextafter(h, 200);
        x[n++] = nextafter(h, -1);
        x[n++] = half;
        x[n++] = nextafter(half, 200);
        x[n++] = nextafter(half, -1);
    }
    static const double odd[] = {0.0, -0.0, -0.004, -0.005, -0.0051, 0.0049999, 0.005, 1e-300, 123456789012.345,
                                 9999999999999.995, 1e15 + 0.5, 1e17, -72.125, 72.125, 76.13, 0.285, 1.005, 2.675};
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
        x[n++] = odd[i];
    unsigned long long s = 5;
    while (n < N) {
        double m = (double)(rnd(&s) % 100000001) / 1000000.0;   /* 0..100 with 6 decimals */
        x[n++] = rnd(&s) % 7 == 0 ? -m : rnd(&s) % 5 == 0 ? m * 1e6 + 0.005 : m;
    }
    pcs_copybuf_t arr = {0};
    pcs_copy_put(&arr, "{", 1);
    for (int i = 0; i < n; i++) {
        char t[40];
        int len = snprintf(t, sizeof t, "%s%.17g", i ? "," : "", x[i]);
        pcs_copy_put(&arr, t, (size_t)len);
    }
    pcs_copy_put(&arr, "}", 2);
    cr_assert(!arr.oom);
    const char *p[1] = {arr.s};
    PGresult *r = NULL;
    cr_assert_eq(pcs_db_query(db, "SELECT round(v::numeric, 2)::text FROM unnest($1::float8[]) WITH ORDINALITY u(v, i)"
                                  " ORDER BY i", 1, p, &r, &err), 0, "%s", err.msg);
    cr_assert_eq(PQntuples(r), n);
    for (int i = 0; i < n; i++) {
        double want = strtod(PQgetvalue(r, i, 0), NULL), got = pcs_sql_round2(x[i]);
        cr_assert(memcmp(&want, &got, sizeof got) == 0, "round(%.17g): PostgreSQL %s (%.17g), pcs_sql_round2 %.17g",
                  x[i], PQgetvalue(r, i, 0), want, got);
    }
    PQclear(r);
    free(arr.s);
    PQfinish(db);
}
