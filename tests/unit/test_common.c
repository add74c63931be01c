#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcs_config.h"
#include "pcs_daemon.h"
#include "pcs_jsonloc.h"
#include "pcs_sha256.h"
#include "pcs_strmap.h"

typedef struct {
    char db[256];
    int64_t interval;
    bool flag;
} cfg_t;

static const pcs_cfg_key_t keys[] = {
    PCS_CFG_STR(cfg_t, db, "dbname=x", 0),
    PCS_CFG_INTEGER(cfg_t, interval, "100", 1, 1000, 0),
    PCS_CFG_BOOLEAN(cfg_t, flag, "false", 0),
};

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/pcs-cfg-test-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

Test(config, defaults_then_file_values)
{
    cfg_t c;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_config_load(NULL, keys, 3, &c, &err), 0);
    cr_assert_str_eq(c.db, "dbname=x");
    cr_assert_eq(c.interval, 100);
    const char *p = write_tmp("# comment\n\ndb = \"host=/tmp dbname=y\"\ninterval = 250  # trailing comment\nflag = yes\n");
    cr_assert_eq(pcs_config_load(p, keys, 3, &c, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.db, "host=/tmp dbname=y");
    cr_assert_eq(c.interval, 250);
    cr_assert(c.flag);
    unlink(p);
}

Test(config, errors_name_the_line_and_key)
{
    static const struct { const char *text; int line; const char *msg; } cases[] = {
        {"db = a\ndbb = b\n", 2, "dbb: unknown key"},
        {"interval = 0\n", 1, "interval: expected an integer 1..1000"},
        {"interval = 12x\n", 1, "interval: expected an integer"},
        {"flag = maybe\n", 1, "flag: expected true or false"},
        {"db = a\ndb = b\n", 2, "db: given twice"},
        {"just words\n", 1, "expected key = value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cfg_t c;
        pcs_err_t err = {0};
        const char *p = write_tmp(cases[i].text);
        cr_expect_eq(pcs_config_load(p, keys, 3, &c, &err), PCS_EINVAL, "case %zu", i);
        cr_expect_eq(err.line, cases[i].line, "case %zu line %d", i, err.line);
        cr_expect(strstr(err.msg, cases[i].msg) != NULL, "case %zu: '%s'", i, err.msg);
        unlink(p);
    }
    pcs_err_t err = {0};
    cfg_t c;
    cr_expect_eq(pcs_config_load("/nonexistent/pcs.conf", keys, 3, &c, &err), PCS_EIO);
}

/* ---- config: reload flags, enums ---------------------------------------------------------------- */

typedef struct {
    pcs_daemon_cfg_t common;
    char endpoint[PCS_CFG_STR_MAX];
    int64_t interval;
    int64_t mode;
} rcfg_t;

static const char *const modes[] = {"fast", "safe", NULL};

static const pcs_cfg_key_t rkeys[] = {
    PCS_DAEMON_KEYS(rcfg_t),
    PCS_CFG_STR(rcfg_t, endpoint, "tcp://127.0.0.1:1", 0),
    PCS_CFG_INTEGER(rcfg_t, interval, "100", 1, 1000, PCS_CFG_RELOAD),
    PCS_CFG_WORD(rcfg_t, mode, "safe", modes, PCS_CFG_RELOAD),
};
#define NR ((int)(sizeof rkeys / sizeof *rkeys))

Test(config, enums_take_their_words_and_name_them_on_error)
{
    rcfg_t c;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_config_load(NULL, rkeys, NR, &c, &err), 0, "%s", err.msg);
    cr_expect_eq(c.mode, 1);
    cr_expect_eq(c.common.log_level, PCS_LOG_INFO);
    cr_expect_eq(c.common.zmq_max_msg_bytes, 1048576);
    const char *p = write_tmp("mode = fast\nlog_level = debug\n");
    cr_assert_eq(pcs_config_load(p, rkeys, NR, &c, &err), 0, "%s", err.msg);
    cr_expect_eq(c.mode, 0);
    cr_expect_eq(c.common.log_level, PCS_LOG_DEBUG);
    p = write_tmp("interval = 5\n\nmode = quick\n");
    cr_expect_eq(pcs_config_load(p, rkeys, NR, &c, &err), PCS_EINVAL);
    cr_expect_eq(err.line, 3);
    cr_expect_str_eq(err.msg, "mode: expected one of fast, safe, got 'quick'");
    unlink(p);
}

Test(config, reload_applies_only_reloadable_keys)
{
    rcfg_t live, fresh;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_config_load(NULL, rkeys, NR, &live, &err), 0);
    const char *p = write_tmp("endpoint = tcp://127.0.0.1:2\ninterval = 7\nlog_level = warn\n");
    cr_assert_eq(pcs_config_load(p, rkeys, NR, &fresh, &err), 0, "%s", err.msg);
    bool changed[PCS_CFG_MAX_KEYS];
    cr_expect_eq(pcs_config_diff(rkeys, NR, &live, &fresh, changed), 3);
    cr_expect(pcs_config_changed(rkeys, NR, changed, "endpoint"));
    cr_expect(pcs_config_changed(rkeys, NR, changed, "interval"));
    cr_expect(pcs_config_changed(rkeys, NR, changed, "log_level"));
    cr_expect(!pcs_config_changed(rkeys, NR, changed, "mode"));
    cr_expect(!pcs_config_changed(rkeys, NR, changed, "zmq_max_msg_bytes"));
    pcs_config_apply(rkeys, NR, &live, &fresh, changed);
    cr_expect_eq(live.interval, 7, "a reloadable key takes its new value");
    cr_expect_eq(live.common.log_level, PCS_LOG_WARN, "log_level is reloadable");
    cr_expect_str_eq(live.endpoint, "tcp://127.0.0.1:1", "a restart-only key keeps its running value");
    unlink(p);
}

Test(jsonloc, finds_values_along_a_path)
{
    const char *text = "{\n  \"a\": [1,\n    {\"b\": \"x\", \"c\": 2}],\n  \"a\": [7, {\"c\": 9}]\n}";
    pcs_jpath_t p = {0};
    int line, col;
    pcs_jpath_push_key(&p, "a");
    pcs_jpath_push_index(&p, 1);
    pcs_jpath_push_key(&p, "c");
    /* the last duplicate wins, as in the decoder */
    cr_assert_eq(pcs_jsonloc_find(text, strlen(text), &p, &line, &col), 0);
    cr_assert_eq(line, 4);
    cr_assert_eq(col, 18);   /* the 9 of  "a": [7, {"c": 9}] */
    char buf[64];
    cr_assert_str_eq(pcs_jpath_format(&p, buf, sizeof buf), "a[1].c");
    pcs_jpath_pop(&p);
    pcs_jpath_push_key(&p, "missing");
    cr_assert_eq(pcs_jsonloc_find(text, strlen(text), &p, &line, &col), -1);
    cr_assert_eq(line, 4);   /* the deepest part found: a[1] */
}

Test(strmap, puts_gets_resets_and_grows)
{
    pcs_strmap_t *m = pcs_strmap_new();
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cr_assert_eq(pcs_strmap_put(m, key, strlen(key), i, NULL), i);
    }
    cr_assert_eq(pcs_strmap_put(m, "k7", 2, 99, NULL), 7, "an existing key keeps its value");
    cr_assert_eq(pcs_strmap_get(m, "k4999", 5), 4999);
    cr_assert_eq(pcs_strmap_get(m, "nope", 4), -1);
    cr_assert_eq(pcs_strmap_count(m), 5000);
    pcs_strmap_reset(m);
    cr_assert_eq(pcs_strmap_count(m), 0);
    cr_assert_eq(pcs_strmap_get(m, "k7", 2), -1);
    pcs_strmap_destroy(&m);
    cr_assert_null(m);
    pcs_strmap_destroy(&m);   /* NULL-safe */
}

static void hmac_hex(const void *key, size_t klen, const char *msg, char hex[65])
{
    unsigned char d[32];
    pcs_hmac_sha256(key, klen, msg, strlen(msg), d);
    pcs_sha256_hex(d, hex);
}

/* RFC 4231 test cases 2 (short key) and 6 (key longer than a block). */
Test(hmac, rfc4231_vectors)
{
    char hex[65];
    hmac_hex("Jefe", 4, "what do ya want for nothing?", hex);
    cr_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    unsigned char key[131];
    memset(key, 0xaa, sizeof key);
    hmac_hex(key, sizeof key, "Test Using Larger Than Block-Size Key - Hash Key First", hex);
    cr_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* ---- pcs_usage: the packed text of usage_packed ---------------------------------------------------- */
#include "pcs_sat.h"
#include "pcs_usage.h"

typedef struct {
    char out[4096];
    size_t n;
} usage_dump_t;

static int usage_dump(void *arg, const pcs_usage_row_t *r)
{
    usage_dump_t *d = arg;
    d->n += (size_t)snprintf(d->out + d->n, sizeof d->out - d->n, "%s %d %lld %lld %lld %lld\n", r->workload,
                             (int)r->month, (long long)r->acr_cents, (long long)r->revenue_cents,
                             (long long)r->paid_units, (long long)r->active_units);
    return 0;
}

Test(usage_pack, round_trip_sorted_and_summed)
{
    pcs_usage_row_t rows[] = {
        {"m365/teams", 24300, 0, 0, 20, 10, 0},
        {"azure/sql_database", 24301, 150, 0, 0, 0, 0},
        {"azure/sql_database", 24300, -5, 7, 0, 0, 0},
        {"azure/sql_database", 24301, 50, 1, 0, 0, 0},   /* the same key: adds up */
        {"m365/teams", 24299, INT64_MAX, 0, 1, 2, 0},
    };
    char *s = pcs_usage_pack(rows, 5);
    cr_assert_not_null(s);
    /* the compact form: a month after the one before and zeros are empty */
    cr_assert_str_eq(s, "\x1c" "azure/sql_database\x1d" "24300,-5,7,,\x1f" ",200,1,,\x1e"
                        "m365/teams\x1d" "24299,9223372036854775807,,1,2\x1f" ",,,20,10");
    static const char want[] = "azure/sql_database 24300 -5 7 0 0\nazure/sql_database 24301 200 1 0 0\n"
                               "m365/teams 24299 9223372036854775807 0 1 2\nm365/teams 24300 0 0 20 10\n";
    usage_dump_t d = {0};
    pcs_err_t err = {0};
    cr_assert_eq(pcs_usage_each(s, strlen(s), usage_dump, &d, &err), 0, "%s", err.msg);
    cr_assert_str_eq(d.out, want);
    free(s);
    /* the same usage as written before sql/0024, every month and every zero spelt out */
    const char *v1 = "azure/sql_database\x1d" "24300,-5,7,0,0\x1f" "24301,200,1,0,0\x1e"
                     "m365/teams\x1d" "24299,9223372036854775807,0,1,2\x1f" "24300,0,0,20,10";
    d = (usage_dump_t){0};
    cr_assert_eq(pcs_usage_each(v1, strlen(v1), usage_dump, &d, &err), 0, "%s", err.msg);
    cr_assert_str_eq(d.out, want);
    cr_assert_null(pcs_usage_pack(rows, 0));
}

static int usage_blocks(void *arg, const pcs_usage_row_t *r)
{
    usage_dump_t *d = arg;
    d->n += (size_t)snprintf(d->out + d->n, sizeof d->out - d->n, "%s:%u ", r->workload, (unsigned)r->block);
    return 0;
}

/* pcs_usage_each numbers the workload blocks: every entry of a block carries its ordinal. */
Test(usage_pack, entries_carry_their_block)
{
    const char *s = "a/x\x1d" "1,0,0,0,0\x1f" "2,0,0,0,0\x1e" "b/y\x1d" "1,0,0,0,0\x1e" "c/z\x1d" "3,0,0,0,0\x1f"
                    "4,0,0,0,0\x1f" "5,0,0,0,0";
    usage_dump_t d = {0};
    pcs_err_t err = {0};
    cr_assert_eq(pcs_usage_each(s, strlen(s), usage_blocks, &d, &err), 0, "%s", err.msg);
    cr_assert_str_eq(d.out, "a/x:0 a/x:0 b/y:1 c/z:2 c/z:2 c/z:2 ");
}

/* The text written before sql/0024: every month and every zero spelt out, entries in the order given. */
static void usage_v1(const pcs_usage_row_t *r, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        bool block = i == 0 || strcmp(r[i].workload, r[i - 1].workload) != 0;
        if (block)
            len += (size_t)snprintf(out + len, cap - len, "%s%s\x1d", i ? "\x1e" : "", r[i].workload);
        else
            len += (size_t)snprintf(out + len, cap - len, "\x1f");
        len += (size_t)snprintf(out + len, cap - len, "%d,%lld,%lld,%lld,%lld", (int)r[i].month,
                                (long long)r[i].acr_cents, (long long)r[i].revenue_cents,
                                (long long)r[i].paid_units, (long long)r[i].active_units);
    }
    cr_assert_lt(len, cap);
}

static int usage_key_cmp(const void *pa, const void *pb)
{
    const pcs_usage_row_t *a = pa, *b = pb;
    int c = strcmp(a->workload, b->workload);
    return c ? c : (a->month > b->month) - (a->month < b->month);
}

static int64_t usage_value(unsigned long long *st)
{
    static const int64_t edge[] = {0, 0, 0, 1, -1, 9, 10, -10, 100, 1000000007, INT64_MAX, INT64_MIN, INT64_MAX - 1};
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    unsigned x = (unsigned)(*st >> 33);
    return x % 3 ? edge[x % 13] : (int64_t)(x % 100000) - 20000;
}

/* Generated usage: packed, the compact text reads back as the rows sorted and summed, as the same
 * rows written the old way read; a load merged into either form of one stored text gives the same
 * bytes; stored text out of month order survives a merge entry for entry (negative differences). */
Test(usage_pack, compact_and_old_forms_agree_on_generated_usage)
{
    static const char *const wl[] = {"a/x", "azure/sql_database", "m365/teams", "zz/*"};
    unsigned long long st = 5;
    long entries = 0;
    for (int iter = 0; iter < 3000; iter++) {
        pcs_usage_row_t rows[40], load[8], load2[8];
        size_t n = 1 + (size_t)(usage_value(&st) & 0x7fff) % 40, k = 1 + (size_t)(usage_value(&st) & 0x7fff) % 8;
        for (size_t i = 0; i < n + k; i++) {
            pcs_usage_row_t *r = i < n ? &rows[i] : &load[i - n];
            *r = (pcs_usage_row_t){.workload = wl[(usage_value(&st) & 0x7fff) % 4],
                                   .month = 24000 + (int32_t)((usage_value(&st) & 0x7fff) % (iter % 2 ? 30 : 300)),
                                   .acr_cents = usage_value(&st), .revenue_cents = usage_value(&st),
                                   .paid_units = usage_value(&st), .active_units = usage_value(&st)};
        }
        memcpy(load2, load, sizeof load);
        /* the reference: the rows sorted by (workload, month) and summed, saturating */
        pcs_usage_row_t ref[40];
        memcpy(ref, rows, n * sizeof *rows);
        qsort(ref, n, sizeof *ref, usage_key_cmp);
        size_t nkeys = 0;
        for (size_t i = 0; i < n; i++) {
            if (nkeys && usage_key_cmp(&ref[nkeys - 1], &ref[i]) == 0) {
                pcs_usage_row_t *t = &ref[nkeys - 1];
                t->acr_cents = pcs_sat_add(t->acr_cents, ref[i].acr_cents);
                t->revenue_cents = pcs_sat_add(t->revenue_cents, ref[i].revenue_cents);
                t->paid_units = pcs_sat_add(t->paid_units, ref[i].paid_units);
                t->active_units = pcs_sat_add(t->active_units, ref[i].active_units);
            } else {
                ref[nkeys++] = ref[i];
            }
        }
        char *packed = pcs_usage_pack(rows, n);
        cr_assert_not_null(packed);
        cr_assert_eq(packed[0], '\x1c');
        static char v1[40 * 120];
        usage_v1(ref, nkeys, v1, sizeof v1);
        usage_dump_t a = {0}, b = {0};
        pcs_err_t err = {0};
        cr_assert_eq(pcs_usage_each(packed, strlen(packed), usage_dump, &a, &err), 0, "%s", err.msg);
        cr_assert_eq(pcs_usage_each(v1, strlen(v1), usage_dump, &b, &err), 0, "%s", err.msg);
        cr_assert_str_eq(a.out, b.out, "iteration %d", iter);
        cr_assert_leq(strlen(packed), strlen(v1) + 1);   /* at worst the marker longer */
        char *m1 = pcs_usage_merge(v1, strlen(v1), load, k, &err);
        char *m2 = pcs_usage_merge(packed, strlen(packed), load2, k, &err);
        cr_assert(m1 && m2, "%s", err.msg);
        cr_assert_str_eq(m1, m2, "iteration %d", iter);
        entries += (long)nkeys;
        free(m1);
        free(m2);
        free(packed);
    }
    cr_log_info("compact and old forms: %ld stored entries", entries);
    /* stored out of month order (by hand): a merge writes the entries as stored */
    const char *ooo = "m365/teams\x1d" "24310,1,0,0,0\x1f" "24300,2,0,0,0\x1f" "24300,3,0,0,0\x1f" "24305,4,0,0,0";
    pcs_usage_row_t add[] = {{"zz/*", 24301, 5, 0, 0, 0, 0}};
    pcs_err_t err = {0};
    char *m = pcs_usage_merge(ooo, strlen(ooo), add, 1, &err);
    cr_assert_str_eq(m, "\x1c" "m365/teams\x1d" "24310,1,,,\x1f" "-10,2,,,\x1f" "0,3,,,\x1f" "5,4,,,\x1e" "zz/*\x1d" "24301,5,,,");
    usage_dump_t d = {0};
    cr_assert_eq(pcs_usage_each(m, strlen(m), usage_dump, &d, &err), 0, "%s", err.msg);
    cr_assert_str_eq(d.out, "m365/teams 24310 1 0 0 0\nm365/teams 24300 2 0 0 0\nm365/teams 24300 3 0 0 0\n"
                            "m365/teams 24305 4 0 0 0\nzz/* 24301 5 0 0 0\n");
    free(m);
}

/* A load merged into stored text: its keys replace the stored entries, its rows with one key add
 * up, stored keys it does not mention stay, a new workload block lands in byte order. */
Test(usage_merge, restated_keys_replace_others_kept)
{
    const char *old = "azure/sql_database\x1d" "24300,100,0,0,0\x1f" "24301,200,0,0,0\x1e"
                      "m365/teams\x1d" "24300,0,0,5,5";
    pcs_usage_row_t rows[] = {
        {"azure/sql_database", 24301, 7, 0, 0, 0, 0},   /* restates 24301 ... */
        {"bizapps/sales", 24302, 0, 9, 0, 0, 0},        /* a workload the tenant did not have */
        {"azure/sql_database", 24301, 3, 1, 0, 0, 0},   /* ... and adds up with this one */
        {"azure/sql_database", 24302, 1, 0, 0, 0, 0},   /* a new month */
    };
    pcs_usage_row_t again[4];
    memcpy(again, rows, sizeof rows);   /* merging sorts and sums rows[] in place */
    pcs_err_t err = {0};
    char *s = pcs_usage_merge(old, strlen(old), rows, 4, &err);
    cr_assert_not_null(s, "%s", err.msg);
    static const char merged[] = "\x1c" "azure/sql_database\x1d" "24300,100,,,\x1f" ",10,1,,\x1f" ",1,,,\x1e"
                                 "bizapps/sales\x1d" "24302,,9,,\x1e" "m365/teams\x1d" "24300,,,5,5";
    cr_assert_str_eq(s, merged);
    free(s);
    /* the stored text in the compact form: the same result */
    const char *old2 = "\x1c" "azure/sql_database\x1d" "24300,100,,,\x1f" ",200,,,\x1e" "m365/teams\x1d" "24300,,,5,5";
    s = pcs_usage_merge(old2, strlen(old2), again, 4, &err);
    cr_assert_str_eq(s, merged);
    free(s);
    /* nothing stored: the rows packed, sums saturating */
    pcs_usage_row_t two[] = {{"m365/teams", 24300, INT64_MAX, 0, 1, 0, 0}, {"m365/teams", 24300, 5, 0, 1, 0, 0}};
    s = pcs_usage_merge(NULL, 0, two, 2, &err);
    cr_assert_str_eq(s, "\x1c" "m365/teams\x1d" "24300,9223372036854775807,,2,");
    free(s);
    /* restating every stored key leaves only the load's rows */
    pcs_usage_row_t all[] = {{"m365/teams", 24300, 1, 0, 0, 0, 0}};
    s = pcs_usage_merge("m365/teams\x1d" "24300,0,0,5,5", 24, all, 1, &err);
    cr_assert_str_eq(s, "\x1c" "m365/teams\x1d" "24300,1,,,");
    free(s);
}

Test(usage_merge, malformed_stored_text_and_no_rows_are_errors)
{
    pcs_usage_row_t rows[] = {{"m365/teams", 24300, 1, 0, 0, 0, 0}};
    pcs_err_t err = {0};
    cr_assert_null(pcs_usage_merge("m365/teams\x1d" "24300,1", 18, rows, 1, &err));
    cr_assert_eq(err.code, PCS_EINVAL);
    cr_assert_gt(err.column, 0);
    err = (pcs_err_t){0};
    cr_assert_null(pcs_usage_merge(NULL, 0, rows, 0, &err));
    cr_assert_eq(err.code, PCS_EINVAL);
}

/* Numbers of every width, both signs and the extremes are written as base-10 integers. */
Test(usage_pack, numbers_of_every_width)
{
    pcs_usage_row_t rows[] = {
        {"azure/x", 1, 0, 9, 10, 99, 0},
        {"azure/x", 2, 100, 101, 12345, 1000000007, 0},
        {"azure/x", 3, -1, -10, -999, INT64_MIN, 0},
        {"azure/x", 10, INT64_MAX, -9223372036854775807LL, 5, 50, 0},
    };
    char *s = pcs_usage_pack(rows, 4);
    cr_assert_str_eq(s, "\x1c" "azure/x\x1d" "1,,9,10,99\x1f" ",100,101,12345,1000000007\x1f"
                        ",-1,-10,-999,-9223372036854775808\x1f" "7,9223372036854775807,-9223372036854775807,5,50");
    free(s);
}

Test(usage_pack, malformed_text_is_an_error_with_its_offset)
{
    static const char *const bad[] = {
        "", "azure/x", "\x1d" "1,2,3,4,5", "azure/x\x1d" "1,2,3,4", "azure/x\x1d" "1,2,3,4,5,6",
        "azure/x\x1d" "1,2,x,4,5", "azure/x\x1d" "1,2,3,4,5\x1f", "azure/x\x1d" "1,2,3,4,5;2,2,3,4,5",
        "azure/x\x1d" "-1,2,3,4,5", "azure/x\x1d" "1,99999999999999999999,3,4,5",
        /* the compact form: a first entry without its month, a month below 0 or past int32, six
         * fields, a lone marker, a sign without digits */
        "\x1c", "\x1c" "azure/x\x1d" ",1,2,3,4", "\x1c" "azure/x\x1d" "5,,,,\x1f" "-9,,,,",
        "\x1c" "azure/x\x1d" "5,,,,\x1f" "2147483647,,,,", "\x1c" "azure/x\x1d" "5,,,,,", "\x1c" "azure/x\x1d" "5,-,,,",
        "\x1c" "azure/x\x1d" "5,,,,\x1f" "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        usage_dump_t d = {0};
        pcs_err_t err = {0};
        int rc = pcs_usage_each(bad[i], strlen(bad[i]), usage_dump, &d, &err);
        if (i == 0) {
            cr_assert_eq(rc, 0, "the empty text has no entries");
            continue;
        }
        cr_assert_eq(rc, PCS_EINVAL, "case %zu: rc %d", i, rc);
        cr_assert_gt(err.column, 0, "case %zu", i);
    }
}
