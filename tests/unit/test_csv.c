#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pcs_csv.h"

/* ---- helpers ---------------------------------------------------------------------------------------- */

static pcs_csv_t *mem_reader(const char *s, size_t len, size_t max)
{
    pcs_err_t err = {0};
    pcs_csv_t *r = pcs_csv_open_mem(s, len ? len : strlen(s), max, &err);
    cr_assert_not_null(r, "open_mem: %s", err.msg);
    return r;
}

/* Reads the next record and asserts it is a good one with exactly these fields and positions. */
static void expect_row(pcs_csv_t *r, long long line, int n, const char *const *vals, const long long *cols)
{
    pcs_csv_row_t row;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_csv_next(r, &row, &err), 1, "expected a record at line %lld (%s)", line, err.msg);
    cr_assert_eq(row.status, PCS_CSV_OK, "line %lld: %s at %lld:%lld", line, row.reason, row.err_line, row.err_col);
    cr_assert_str_eq(row.reason, "");
    cr_assert_eq(row.line, line, "record line %lld, expected %lld", row.line, line);
    cr_assert_eq(row.n_fields, n, "line %lld: %d fields, expected %d", line, row.n_fields, n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(vals[i]);
        cr_assert_eq(row.lens[i], len, "line %lld field %d: length %zu, expected %zu", line, i, row.lens[i], len);
        cr_assert_eq(memcmp(row.fields[i], vals[i], len + 1), 0, "line %lld field %d: '%s', expected '%s'", line, i,
                     row.fields[i], vals[i]);
        cr_assert_eq(row.cols[i], cols[i], "line %lld field %d: column %lld, expected %lld", line, i, row.cols[i],
                     cols[i]);
    }
}

static void expect_end(pcs_csv_t *r)
{
    pcs_csv_row_t row;
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 0);
    cr_assert_eq(row.n_fields, 0);
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 0, "the end stays the end");
}

static void expect_raw(const pcs_csv_row_t *row, const char *raw, size_t len)
{
    len = len ? len : strlen(raw);
    cr_assert_eq(row->raw_len, len, "raw length %zu, expected %zu", row->raw_len, len);
    cr_assert_eq(memcmp(row->raw, raw, len), 0, "raw '%s', expected '%s'", row->raw, raw);
    cr_assert_eq(row->raw[len], '\0');
}

#define V(...) ((const char *const[]){__VA_ARGS__})
#define C(...) ((const long long[]){__VA_ARGS__})

/* ---- good input ------------------------------------------------------------------------------------- */

Test(csv, simple_rows)
{
    pcs_csv_t *r = mem_reader("id,name,amount\n1,alpha,10\n2,beta,20\n", 0, 0);
    expect_row(r, 1, 3, V("id", "name", "amount"), C(1, 4, 9));
    expect_row(r, 2, 3, V("1", "alpha", "10"), C(1, 3, 9));
    expect_row(r, 3, 3, V("2", "beta", "20"), C(1, 3, 8));
    expect_end(r);
    pcs_csv_destroy(&r);
    cr_assert_null(r);
    pcs_csv_destroy(&r);   /* NULL-safe */
}

Test(csv, quoted_fields_with_commas_quotes_and_line_breaks)
{
    const char *in = "\"a,b\",\"say \"\"hi\"\"\",\"x\r\ny\"\n"
                     "\"p\nq\",z\n"
                     "next,row\n";
    pcs_csv_t *r = mem_reader(in, 0, 0);
    pcs_csv_row_t row;
    expect_row(r, 1, 3, V("a,b", "say \"hi\"", "x\r\ny"), C(1, 7, 20));
    /* the record spanned lines 1-2, so the next one starts on line 3 and its second field on line 4 */
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_OK);
    cr_assert_eq(row.line, 3);
    cr_assert_eq(row.n_fields, 2);
    cr_assert_str_eq(row.fields[0], "p\nq");
    cr_assert_str_eq(row.fields[1], "z");
    cr_assert_eq(row.lines[0], 3);
    cr_assert_eq(row.cols[0], 1);
    cr_assert_eq(row.lines[1], 4);
    cr_assert_eq(row.cols[1], 4);
    expect_raw(&row, "\"p\nq\",z", 0);
    expect_row(r, 5, 2, V("next", "row"), C(1, 6));
    expect_end(r);
    pcs_csv_destroy(&r);

    r = mem_reader("\"\",\"\"\n\"\"\"\"\n", 0, 0);
    expect_row(r, 1, 2, V("", ""), C(1, 4));
    expect_row(r, 2, 1, V("\""), C(1));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, crlf_file)
{
    pcs_csv_t *r = mem_reader("h1,h2\r\nv1,\"v\r\n2\"\r\nlast,x\r\n", 0, 0);
    pcs_csv_row_t row;
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_str_eq(row.fields[1], "h2", "the CR of CRLF is not data");
    expect_raw(&row, "h1,h2", 0);
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.line, 2);
    cr_assert_eq(row.n_fields, 2);
    cr_assert_str_eq(row.fields[1], "v\r\n2", "inside quotes CRLF is data");
    cr_assert_eq(row.cols[1], 4);
    expect_raw(&row, "v1,\"v\r\n2\"", 0);
    expect_row(r, 4, 2, V("last", "x"), C(1, 6));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, bom_at_start_is_skipped)
{
    pcs_csv_t *r = mem_reader("\xEF\xBB\xBFid,name\n1,\xEF\xBB\xBFx\n", 0, 0);
    expect_row(r, 1, 2, V("id", "name"), C(1, 4));
    /* only at the very start: elsewhere U+FEFF is data */
    expect_row(r, 2, 2, V("1", "\xEF\xBB\xBFx"), C(1, 3));
    expect_end(r);
    pcs_csv_destroy(&r);

    r = mem_reader("\xEF\xBB\xBF", 0, 0);
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, last_line_without_newline)
{
    pcs_csv_t *r = mem_reader("a,b\nc,d", 0, 0);
    expect_row(r, 1, 2, V("a", "b"), C(1, 3));
    expect_row(r, 2, 2, V("c", "d"), C(1, 3));
    expect_end(r);
    pcs_csv_destroy(&r);

    r = mem_reader("a,\"q\"", 0, 0);
    expect_row(r, 1, 2, V("a", "q"), C(1, 3));
    expect_end(r);
    pcs_csv_destroy(&r);

    r = mem_reader("a,b\r\nc,d\r", 0, 0);   /* a CR just before the end is a line end too */
    expect_row(r, 1, 2, V("a", "b"), C(1, 3));
    expect_row(r, 2, 2, V("c", "d"), C(1, 3));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, empty_fields_trailing_comma_and_spaces)
{
    pcs_csv_t *r = mem_reader("a,,c,\n,\n\n x , y \n", 0, 0);
    expect_row(r, 1, 4, V("a", "", "c", ""), C(1, 3, 4, 6));
    expect_row(r, 2, 2, V("", ""), C(1, 2));
    expect_row(r, 3, 1, V(""), C(1));          /* a blank line: one empty field */
    expect_row(r, 4, 2, V(" x ", " y "), C(1, 5));   /* spaces are data */
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, file_of_only_a_header)
{
    pcs_csv_t *r = mem_reader("customer_id,name\r\n", 0, 0);
    expect_row(r, 1, 2, V("customer_id", "name"), C(1, 13));
    expect_end(r);
    pcs_csv_destroy(&r);

    r = mem_reader("", 0, 0);
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, header_index_ignores_case_and_surrounding_spaces)
{
    pcs_csv_t *r = mem_reader(" Tenant_ID ,WORKLOAD,month,\tacr_usd\t\n", 0, 0);
    pcs_csv_row_t hdr;
    cr_assert_eq(pcs_csv_next(r, &hdr, NULL), 1);
    cr_assert_eq(pcs_csv_header_index(&hdr, "tenant_id"), 0);
    cr_assert_eq(pcs_csv_header_index(&hdr, "workload"), 1);
    cr_assert_eq(pcs_csv_header_index(&hdr, " Month "), 2);
    cr_assert_eq(pcs_csv_header_index(&hdr, "ACR_USD"), 3);
    cr_assert_eq(pcs_csv_header_index(&hdr, "tenant"), -1);
    cr_assert_eq(pcs_csv_header_index(&hdr, "revenue_usd"), -1);
    cr_assert_eq(pcs_csv_header_index(&hdr, ""), -1);
    cr_assert_eq(pcs_csv_header_index(NULL, "month"), -1);
    pcs_csv_destroy(&r);

    r = mem_reader("a,b\"c\n", 0, 0);   /* a bad header row matches nothing */
    cr_assert_eq(pcs_csv_next(r, &hdr, NULL), 1);
    cr_assert_neq(hdr.status, PCS_CSV_OK);
    cr_assert_eq(pcs_csv_header_index(&hdr, "a"), -1);
    pcs_csv_destroy(&r);
}

Test(csv, buffers_are_reused_between_records)
{
    char *in = malloc(1000 * 16 + 1);
    cr_assert_not_null(in);
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        n += (size_t)sprintf(in + n, "%04d,abc,\"d,e\"\n", i);
    pcs_csv_t *r = mem_reader(in, n, 0);
    pcs_csv_row_t first, row;
    cr_assert_eq(pcs_csv_next(r, &first, NULL), 1);
    const char *const *fields = first.fields;
    const char *f0 = first.fields[0], *raw = first.raw;
    for (int i = 1; i < 1000; i++) {
        cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
        cr_assert_eq(row.line, i + 1);
        cr_assert_str_eq(row.fields[2], "d,e");
        cr_assert(row.fields == fields && row.fields[0] == f0 && row.raw == raw, "record %d moved the buffers", i);
    }
    expect_end(r);
    pcs_csv_destroy(&r);
    free(in);
}

/* ---- files and gzip --------------------------------------------------------------------------------- */

typedef struct {
    char dir[64];
    char paths[4][128];
    int n;
} tmpdir_t;

static const char *tmp_path(tmpdir_t *t, const char *name)
{
    if (!t->dir[0]) {
        strcpy(t->dir, "/tmp/pcs_test_csv_XXXXXX");
        cr_assert_not_null(mkdtemp(t->dir));
    }
    cr_assert_lt(t->n, 4);
    char path[sizeof t->paths[0]];   /* not straight into t: GCC's -Wrestrict sees t->dir overlap */
    snprintf(path, sizeof path, "%s/%s", t->dir, name);
    memcpy(t->paths[t->n], path, sizeof path);
    return t->paths[t->n++];
}

static void tmp_cleanup(tmpdir_t *t)
{
    for (int i = 0; i < t->n; i++)
        unlink(t->paths[i]);
    if (t->dir[0])
        rmdir(t->dir);
}

static void write_plain(const char *path, const char *s, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(s, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void write_gz(const char *path, const char *s, size_t n)
{
    gzFile g = gzopen(path, "wb");
    cr_assert_not_null(g);
    cr_assert_eq(gzwrite(g, s, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(g), Z_OK);
}

/* Deterministic, so a failure can be replayed. */
static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

/* A feed with a BOM, quoting, CRLF and LF, blank lines, a bad row, long enough to cross several reads. */
static char *sample_feed(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    cr_assert_not_null(s);
    n += (size_t)sprintf(s, "\xEF\xBB\xBFtenant_id,workload,month,acr_usd\r\n");
    uint64_t seed = 7;
    for (int i = 0; i < 12000; i++) {
        uint32_t k = rnd(&seed) % 7;
        const char *eol = k % 2 ? "\r\n" : "\n";
        if (k == 0)
            n += (size_t)sprintf(s + n, "t%d,\"Azure, \"\"Data\"\"\nand AI\",2025-%02d,%u.%02u%s", i, i % 12 + 1,
                                 rnd(&seed) % 100000, rnd(&seed) % 100, eol);
        else if (k == 1 && i % 100 == 0)
            n += (size_t)sprintf(s + n, "t%d,bad\"quote,2025-01,1%s", i, eol);
        else if (k == 2 && i % 50 == 0)
            n += (size_t)sprintf(s + n, "%s", eol);
        else
            n += (size_t)sprintf(s + n, "t%d,w%u,2025-%02d,%u%s", i, rnd(&seed) % 1000, i % 12 + 1, rnd(&seed), eol);
    }
    n += (size_t)sprintf(s + n, "tlast,w,2025-12,\"0\"");
    *len = n;
    return s;
}

/* Reads both readers to the end and asserts they give the same records. Returns the count. */
static int expect_same_records(pcs_csv_t *a, pcs_csv_t *b)
{
    int count = 0;
    for (;;) {
        pcs_csv_row_t x, y;
        pcs_err_t ea = {0}, eb = {0};
        int ra = pcs_csv_next(a, &x, &ea), rb = pcs_csv_next(b, &y, &eb);
        cr_assert_eq(ra, rb, "record %d: %d (%s) vs %d (%s)", count, ra, ea.msg, rb, eb.msg);
        cr_assert_geq(ra, 0, "record %d: %s", count, ea.msg);
        if (ra == 0)
            return count;
        count++;
        cr_assert_eq(x.line, y.line);
        cr_assert_eq(x.status, y.status);
        cr_assert_eq(x.err_line, y.err_line);
        cr_assert_eq(x.err_col, y.err_col);
        cr_assert_eq(x.raw_len, y.raw_len);
        cr_assert_eq(memcmp(x.raw, y.raw, x.raw_len), 0, "record at line %lld", x.line);
        cr_assert_eq(x.n_fields, y.n_fields);
        for (int i = 0; i < x.n_fields; i++) {
            cr_assert_eq(x.lens[i], y.lens[i]);
            cr_assert_eq(memcmp(x.fields[i], y.fields[i], x.lens[i]), 0);
            cr_assert_eq(x.cols[i], y.cols[i]);
            cr_assert_eq(x.lines[i], y.lines[i]);
        }
    }
}

Test(csv, file_and_gzip_file_read_like_memory)
{
    tmpdir_t t = {0};
    size_t len;
    char *feed = sample_feed(&len);
    cr_assert_gt(len, 4 * 65536, "the feed must cross several reads");
    const char *plain = tmp_path(&t, "x.usage.csv"), *gz = tmp_path(&t, "x.usage.csv.gz"),
               *gz_no_ext = tmp_path(&t, "x.usage.csv.renamed");
    write_plain(plain, feed, len);
    write_gz(gz, feed, len);
    write_gz(gz_no_ext, feed, len);
    const char *paths[] = {plain, gz, gz_no_ext};
    for (int i = 0; i < 3; i++) {
        pcs_err_t err = {0};
        pcs_csv_t *m = mem_reader(feed, len, 0), *f = pcs_csv_open(paths[i], 0, &err);
        cr_assert_not_null(f, "%s: %s", paths[i], err.msg);
        pcs_csv_row_t hdr;
        cr_assert_eq(pcs_csv_next(f, &hdr, NULL), 1);
        cr_assert_str_eq(hdr.fields[0], "tenant_id", "%s: BOM skipped", paths[i]);
        cr_assert_eq(pcs_csv_next(m, &hdr, NULL), 1);
        cr_assert_eq(expect_same_records(m, f), 12001, "%s", paths[i]);   /* 12000 lines and the last one */
        pcs_csv_destroy(&m);
        pcs_csv_destroy(&f);
    }
    free(feed);
    tmp_cleanup(&t);
}

Test(csv, crlf_split_between_two_reads)
{
    /* the reader reads files 64 KiB at a time: a 7-byte header and 10-byte rows put the CR of
     * row 6552 at byte 65535 and its LF in the next read */
    tmpdir_t t = {0};
    size_t n = 0, rows = 10000;
    char *s = malloc(7 + rows * 10 + 1);
    cr_assert_not_null(s);
    n += (size_t)sprintf(s, "hh,hh\r\n");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)sprintf(s + n, "abc,defg\r\n");
    cr_assert_eq(s[7 + 6552 * 10 + 8], '\r');
    cr_assert_eq(7 + 6552 * 10 + 8, 65535);
    const char *plain = tmp_path(&t, "split.csv"), *gz = tmp_path(&t, "split.csv.gz");
    write_plain(plain, s, n);
    write_gz(gz, s, n);
    const char *paths[] = {plain, gz};
    for (int p = 0; p < 2; p++) {
        pcs_csv_t *r = pcs_csv_open(paths[p], 0, NULL);
        cr_assert_not_null(r);
        expect_row(r, 1, 2, V("hh", "hh"), C(1, 4));
        for (size_t i = 0; i < rows; i++)
            expect_row(r, (long long)i + 2, 2, V("abc", "defg"), C(1, 5));
        expect_end(r);
        pcs_csv_destroy(&r);
    }
    free(s);
    tmp_cleanup(&t);
}

Test(csv, truncated_gzip_is_a_read_error)
{
    tmpdir_t t = {0};
    size_t len;
    char *feed = sample_feed(&len);
    const char *gz = tmp_path(&t, "cut.csv.gz");
    write_gz(gz, feed, len);
    FILE *f = fopen(gz, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(gz, size / 2), 0);

    pcs_err_t err = {0};
    pcs_csv_t *r = pcs_csv_open(gz, 0, &err);
    cr_assert_not_null(r, "%s", err.msg);
    pcs_csv_row_t row;
    int rc, records = 0;
    while ((rc = pcs_csv_next(r, &row, &err)) == 1)
        records++;
    cr_assert_eq(rc, PCS_EIO);
    cr_assert_gt(records, 100, "the records before the cut are read");
    cr_assert_lt(records, 12000);
    cr_assert_not_null(strstr(err.msg, "gzip"), "%s", err.msg);
    cr_assert_gt(err.line, 1);
    pcs_err_t again = {0};
    cr_assert_eq(pcs_csv_next(r, &row, &again), PCS_EIO, "a read error is final");
    cr_assert_str_eq(again.msg, err.msg);
    cr_assert_eq(row.n_fields, 0);
    pcs_csv_destroy(&r);
    free(feed);
    tmp_cleanup(&t);
}

Test(csv, open_errors)
{
    pcs_err_t err = {0};
    cr_assert_null(pcs_csv_open("/nonexistent/dir/x.csv", 0, &err));
    cr_assert_eq(err.code, PCS_EIO);
    cr_assert_not_null(strstr(err.msg, "No such file"), "%s", err.msg);
    cr_assert_null(pcs_csv_open("/tmp", 0, &err), "a directory cannot be read");
    cr_assert_eq(err.code, PCS_EIO);
    cr_assert_null(pcs_csv_open_mem("a", 1, PCS_CSV_MAX_RECORD_LIMIT + 1, &err));
    cr_assert_eq(err.code, PCS_EINVAL);
    cr_assert_null(pcs_csv_open("/nonexistent", 0, NULL), "err is optional");
}

/* ---- bad records ------------------------------------------------------------------------------------ */

/* Arrays, not pointers: Criterion runs each case in a fresh process where addresses differ. */
typedef struct bad_case {
    char in[40];
    size_t len;                 /* 0: strlen(in) */
    pcs_csv_status_t status;
    long long line, col;        /* where the problem is */
    char reason[40];            /* start of the reason */
    char raw[40];
    size_t raw_len;             /* 0: strlen(raw) */
    long long next_line;        /* where the good record "ok,1" after it starts */
} bad_case_t;

ParameterizedTestParameters(csv, bad_record_is_reported_and_the_next_one_parses)
{
    static bad_case_t cases[] = {
        /* invalid UTF-8: the column of the first byte of the bad sequence */
        {"h,h\nx,\xC3(y\nok,1\n", 0, PCS_CSV_BAD_UTF8, 2, 3, "invalid UTF-8", "x,\xC3(y", 0, 3},
        {"h,h\nab\xFF,c\nok,1\n", 0, PCS_CSV_BAD_UTF8, 2, 3, "invalid UTF-8: byte 0xFF", "ab\xFF,c", 0, 3},
        {"h,h\n\xC0\xAF,x\nok,1\n", 0, PCS_CSV_BAD_UTF8, 2, 1, "invalid UTF-8: byte 0xC0", "\xC0\xAF,x", 0, 3},
        {"h,h\na,\xE0\x80\xAF\nok,1\n", 0, PCS_CSV_BAD_UTF8, 2, 3, "invalid UTF-8", "a,\xE0\x80\xAF", 0, 3},
        {"h,h\na,\xF0\x80\x80\xAF\nok,1\n", 0, PCS_CSV_BAD_UTF8, 2, 3, "invalid UTF-8", "a,\xF0\x80\x80\xAF", 0, 3},
        {"h,h\na,\xED\xA0\x80\nok,1\n", 0, PCS_CSV_BAD_UTF8, 2, 3, "invalid UTF-8", "a,\xED\xA0\x80", 0, 3},
        {"h,h\na,\xF4\x90\x80\x80\nok,1\n", 0, PCS_CSV_BAD_UTF8, 2, 3, "invalid UTF-8", "a,\xF4\x90\x80\x80", 0, 3},
        {"h,h\na,b\xE2\x82\nok,1\n", 0, PCS_CSV_BAD_UTF8, 2, 4, "invalid UTF-8", "a,b\xE2\x82", 0, 3},
        {"h,h\n\"a\nb\xE2\x82\n\",c\nok,1\n", 0, PCS_CSV_BAD_UTF8, 3, 2, "invalid UTF-8", "\"a\nb\xE2\x82\n\",c", 0, 5},
        /* quotes */
        {"h,h\nab\"c,d\nok,1\n", 0, PCS_CSV_QUOTE_IN_FIELD, 2, 3, "quote inside an unquoted field", "ab\"c,d", 0, 3},
        {"h,h\na, \"b\"\nok,1\n", 0, PCS_CSV_QUOTE_IN_FIELD, 2, 4, "quote inside an unquoted field", "a, \"b\"", 0, 3},
        {"h,h\n\"ab\"c,d\nok,1\n", 0, PCS_CSV_TEXT_AFTER_QUOTE, 2, 5, "text after a closing quote", "\"ab\"c,d", 0, 3},
        {"h,h\n\"a\"b\"c,d\r\nok,1\n", 0, PCS_CSV_TEXT_AFTER_QUOTE, 2, 4, "text after a closing quote", "\"a\"b\"c,d", 0,
         3},
        /* after a bad record, a line end inside quotes does not end it */
        {"h,h\na\"b,\"c\nd\",e\nok,1\n", 0, PCS_CSV_QUOTE_IN_FIELD, 2, 2, "quote inside", "a\"b,\"c\nd\",e", 0, 4},
        /* unterminated: the record ends with the line of the opening quote, the rest is read again */
        {"h,h\nx,\"abc\nok,1\n", 0, PCS_CSV_UNTERMINATED, 2, 3, "quoted field not closed", "x,\"abc", 0, 3},
        {"h,h\nx,\"abc\r\nok,1", 0, PCS_CSV_UNTERMINATED, 2, 3, "quoted field not closed", "x,\"abc", 0, 3},
        {"h,h\n\"a\nb\",\"c\nok,1\n", 0, PCS_CSV_UNTERMINATED, 3, 4, "quoted field not closed", "\"a\nb\",\"c", 0, 4},
        /* NUL */
        {"h,h\na\0b,c\nok,1\n", 14, PCS_CSV_NUL, 2, 2, "NUL byte", "a\0b,c", 5, 3},
        {"h,h\n\"x\n\0\",c\nok,1\n", 16, PCS_CSV_NUL, 3, 1, "NUL byte", "\"x\n\0\",c", 7, 4},
    };
    return cr_make_param_array(bad_case_t, cases, sizeof cases / sizeof *cases);
}

ParameterizedTest(bad_case_t *c, csv, bad_record_is_reported_and_the_next_one_parses)
{
    pcs_csv_t *r = mem_reader(c->in, c->len, 0);
    expect_row(r, 1, 2, V("h", "h"), C(1, 3));
    pcs_csv_row_t row;
    pcs_err_t err = {0};
    cr_assert_eq(pcs_csv_next(r, &row, &err), 1);
    cr_assert_eq(err.code, 0, "a bad record is not a read error");
    cr_assert_eq(row.status, c->status, "status %d (%s), expected %d", row.status, row.reason, c->status);
    cr_assert_eq(row.line, 2);
    cr_assert_eq(row.err_line, c->line, "error line %lld, expected %lld", row.err_line, c->line);
    cr_assert_eq(row.err_col, c->col, "error column %lld, expected %lld", row.err_col, c->col);
    cr_assert_eq(strncmp(row.reason, c->reason, strlen(c->reason)), 0, "reason '%s'", row.reason);
    cr_assert_eq(row.n_fields, 0);
    expect_raw(&row, c->raw, c->raw_len);
    expect_row(r, c->next_line, 2, V("ok", "1"), C(1, 4));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, unterminated_quote_defers_later_problems_to_the_lines_read_again)
{
    pcs_csv_t *r = mem_reader("x,\"abc\nok,\xFF\nok,1\n", 0, 0);
    pcs_csv_row_t row;
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_UNTERMINATED);
    cr_assert_eq(row.err_line, 1);
    cr_assert_eq(row.err_col, 3);
    expect_raw(&row, "x,\"abc", 0);
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_BAD_UTF8);
    cr_assert_eq(row.line, 2);
    cr_assert_eq(row.err_line, 2);
    cr_assert_eq(row.err_col, 4);
    expect_row(r, 3, 2, V("ok", "1"), C(1, 4));
    expect_end(r);
    pcs_csv_destroy(&r);

    /* stray quotes on consecutive lines: every line is read, none is lost */
    r = mem_reader("\"a\n\"b\n\"c\nok,1\n", 0, 0);
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_TEXT_AFTER_QUOTE);   /* "a\n" then b after the closing quote */
    expect_raw(&row, "\"a\n\"b", 0);
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_UNTERMINATED);
    cr_assert_eq(row.line, 3);
    expect_raw(&row, "\"c", 0);
    expect_row(r, 4, 2, V("ok", "1"), C(1, 4));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, line_longer_than_the_maximum)
{
    size_t big = 2u << 20, n = 0;
    char *s = malloc(big + 64);
    cr_assert_not_null(s);
    n += (size_t)sprintf(s, "h,h\n");
    memset(s + n, 'x', big);
    n += big;
    n += (size_t)sprintf(s + n, "\nok,1\n");
    pcs_csv_t *r = mem_reader(s, n, 1u << 20);
    expect_row(r, 1, 2, V("h", "h"), C(1, 3));
    pcs_csv_row_t row;
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_TOO_LONG);
    cr_assert_eq(strncmp(row.reason, "line too long", 13), 0, "%s", row.reason);
    cr_assert_eq(row.line, 2);
    cr_assert_eq(row.err_line, 2);
    cr_assert_eq(row.err_col, (1 << 20) + 1, "the first byte beyond the limit");
    cr_assert_eq(row.raw_len, 1u << 20, "the raw text is kept up to the limit");
    cr_assert_eq(row.raw[0], 'x');
    cr_assert_eq(row.raw[row.raw_len], '\0');
    expect_row(r, 3, 2, V("ok", "1"), C(1, 4));
    expect_end(r);
    pcs_csv_destroy(&r);

    /* exactly the maximum is fine */
    r = mem_reader("abcd,efg\nok,1\n", 0, 8);
    expect_row(r, 1, 2, V("abcd", "efg"), C(1, 6));
    expect_row(r, 2, 2, V("ok", "1"), C(1, 4));
    pcs_csv_destroy(&r);
    free(s);
}

Test(csv, quoted_field_open_beyond_the_maximum_is_a_stray_quote)
{
    /* a quote opened on line 2 and still open after 100 bytes: line 2 is rejected, every line after
     * it is read again (the quote closes on line 52, which is then unterminated in its turn) */
    char s[400];
    size_t n = (size_t)sprintf(s, "h,h\n\"");
    for (int i = 0; i < 50; i++)
        n += (size_t)sprintf(s + n, "xx\n");
    n += (size_t)sprintf(s + n, "\",y\nok,1\n");
    pcs_csv_t *r = mem_reader(s, n, 100);
    expect_row(r, 1, 2, V("h", "h"), C(1, 3));
    pcs_csv_row_t row;
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_UNTERMINATED);
    cr_assert_str_eq(row.reason, "quoted field not closed within 100 bytes");
    cr_assert_eq(row.line, 2);
    cr_assert_eq(row.err_line, 2);
    cr_assert_eq(row.err_col, 1);
    expect_raw(&row, "\"xx", 0);
    for (int i = 3; i <= 51; i++)
        expect_row(r, i, 1, V("xx"), C(1));
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_UNTERMINATED);
    cr_assert_eq(row.line, 52);
    expect_row(r, 53, 2, V("ok", "1"), C(1, 4));
    expect_end(r);
    pcs_csv_destroy(&r);

    /* a quote whose own line is longer than the maximum: that line is dropped, the next one read */
    n = (size_t)sprintf(s, "\"");
    memset(s + n, 'q', 150);
    n += 150;
    n += (size_t)sprintf(s + n, "\nok,1\n");
    r = mem_reader(s, n, 100);
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_UNTERMINATED);
    cr_assert_eq(row.raw_len, 100);
    expect_row(r, 2, 2, V("ok", "1"), C(1, 4));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv, stray_quote_in_a_file_larger_than_the_maximum_costs_one_line)
{
    /* 40,001 lines in a gzip file (read in chunks), a stray quote on line 2, a 4 KiB maximum */
    char path[] = "/tmp/pcs-csv-stray-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    gzFile gz = gzdopen(fd, "wb");
    gzprintf(gz, "a,b\n\"stray,1\n");
    for (int i = 3; i <= 40001; i++)
        gzprintf(gz, "row%d,%d\n", i, i);
    gzclose(gz);
    pcs_err_t err = {0};
    pcs_csv_t *r = pcs_csv_open(path, 4096, &err);
    cr_assert_not_null(r, "%s", err.msg);
    pcs_csv_row_t row;
    long long ok = 0, bad = 0;
    while (pcs_csv_next(r, &row, &err) == 1) {
        if (row.status == PCS_CSV_OK) {
            ok++;
            cr_assert_eq(row.n_fields, 2);
        } else {
            bad++;
            cr_assert_eq(row.line, 2);
            cr_assert_eq(row.status, PCS_CSV_UNTERMINATED);
        }
    }
    cr_assert_eq(err.code, 0, "%s", err.msg);
    cr_assert_eq(bad, 1);
    cr_assert_eq(ok, 40000, "header and 39,999 rows, got %lld", ok);
    pcs_csv_destroy(&r);
    unlink(path);
}

/* ---- random input ----------------------------------------------------------------------------------- */

Test(csv, random_bytes_never_crash_and_always_end)
{
    static const unsigned char alphabet[] = {'"', '"', ',', ',', '\n', '\r', 'a', 'b', ' ', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF, 0};
    uint64_t seed = 20250710;
    unsigned char *buf = malloc(4000);
    cr_assert_not_null(buf);
    for (int t = 0; t < 200; t++) {
        size_t len = rnd(&seed) % 4001;
        for (size_t i = 0; i < len; i++) {
            uint32_t x = rnd(&seed);
            buf[i] = t % 4 == 0 ? (unsigned char)x : alphabet[x % sizeof alphabet];
        }
        size_t max = t % 3 == 0 ? 50 : 0;
        pcs_csv_t *r = pcs_csv_open_mem(buf, len, max, NULL);
        cr_assert_not_null(r);
        pcs_csv_row_t row;
        long long last_line = 0;
        size_t records = 0;
        int rc;
        while ((rc = pcs_csv_next(r, &row, NULL)) == 1) {
            records++;
            cr_assert_leq(records, len + 1, "buffer %d: more records than bytes", t);
            cr_assert_gt(row.line, last_line, "buffer %d: records go forward", t);
            last_line = row.line;
            cr_assert_leq(row.raw_len, max ? max : len);
            if (row.status == PCS_CSV_OK) {
                cr_assert_geq(row.n_fields, 1);
                cr_assert_str_eq(row.reason, "");
                for (int i = 0; i < row.n_fields; i++) {
                    cr_assert_eq(strlen(row.fields[i]), row.lens[i]);
                    cr_assert_geq(row.lines[i], row.line);
                    cr_assert_geq(row.cols[i], 1);
                }
            } else {
                cr_assert_eq(row.n_fields, 0);
                cr_assert_neq(row.reason[0], '\0');
                cr_assert_geq(row.err_line, row.line);
                cr_assert_geq(row.err_col, 1);
            }
        }
        cr_assert_eq(rc, 0, "buffer %d: memory input never fails", t);
        pcs_csv_destroy(&r);
    }
    free(buf);
}

/* Writes fields the way a correct exporter would and reads them back. */
Test(csv, random_fields_round_trip)
{
    static const char *const pieces[] = {"a", "Zürich", "€", ",", "\"", "\n", "\r\n", " ", "12.5", "", "\xF0\x9F\x98\x80"};
    uint64_t seed = 42;
    size_t cap = 1 << 16;
    char *out = malloc(cap);
    char vals[8][64];
    for (int t = 0; t < 300; t++) {
        int nf = 1 + (int)(rnd(&seed) % 8);
        size_t n = 0;
        long long line = 1, col = 1, cols[8], lines[8];
        for (int f = 0; f < nf; f++) {
            vals[f][0] = '\0';
            int parts = (int)(rnd(&seed) % 4);
            for (int p = 0; p < parts; p++)
                strcat(vals[f], pieces[rnd(&seed) % (sizeof pieces / sizeof *pieces)]);
            if (nf == 1 && !vals[0][0])
                strcpy(vals[0], "x");   /* a lone empty field would be a blank line */
            bool quote = strpbrk(vals[f], ",\"\r\n") || rnd(&seed) % 4 == 0;
            cols[f] = col;
            lines[f] = line;
            if (quote)
                out[n++] = '"';
            for (const char *c = vals[f]; *c; c++) {
                if (*c == '"')
                    out[n++] = '"';
                out[n++] = *c;
            }
            if (quote)
                out[n++] = '"';
            out[n++] = f + 1 < nf ? ',' : '\n';
            /* where the next field starts */
            line = 1;
            col = 1;
            for (size_t k = 0; k < n; k++) {
                if (out[k] == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
        }
        pcs_csv_t *r = mem_reader(out, n, 0);
        pcs_csv_row_t row;
        cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
        cr_assert_eq(row.status, PCS_CSV_OK, "case %d: %s", t, row.reason);
        cr_assert_eq(row.n_fields, nf, "case %d", t);
        for (int f = 0; f < nf; f++) {
            cr_assert_str_eq(row.fields[f], vals[f], "case %d field %d", t, f);
            cr_assert_eq(row.cols[f], cols[f], "case %d field %d", t, f);
            cr_assert_eq(row.lines[f], lines[f], "case %d field %d", t, f);
        }
        expect_raw(&row, out, n - 1);
        expect_end(r);
        pcs_csv_destroy(&r);
    }
    free(out);
}

/* The shortcut for plain lines (fast_line) against the byte-at-a-time parser, over lines that
 * mostly take it (of every length around the eight bytes it tests at once, with each delimiter)
 * and lines it must hand over (a quote, a CR, a NUL, UTF-8, a bad byte, a line longer than max). */
Test(csv, plain_lines_read_alike_with_and_without_the_shortcut)
{
    static const unsigned char plain[] = "abcxyz019 .-_/:";
    static const unsigned char rare[] = {'"', '\r', 0, 0xC3, 0xFF, '\t', ';', ','};
    static const char delims[] = {',', ';', '\t'};
    uint64_t seed = 20261207;
    size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    cr_assert_not_null(buf);
    for (int t = 0; t < 60; t++) {
        char d = delims[t % 3];
        size_t n = (size_t)sprintf((char *)buf, "h1%ch2%ch3%ch4\n", d, d, d);
        int lines = 1;
        for (int l = 0; l < 3000; l++, lines++) {
            size_t len = rnd(&seed) % 70;
            for (size_t i = 0; i < len; i++) {
                uint32_t x = rnd(&seed) % 1000;
                if (x < 150)
                    buf[n++] = (unsigned char)d;
                else if (x < 150 + 3 * (size_t)(t % 4))   /* none in every fourth buffer */
                    buf[n++] = x % 2 && i + 1 < len ? 0xC3 : rare[x % sizeof rare];
                else
                    buf[n++] = plain[x % (sizeof plain - 1)];
                if (buf[n - 1] == 0xC3 && i + 1 < len) {   /* a whole é */
                    buf[n++] = 0xA9;
                    i++;
                }
            }
            if (rnd(&seed) % 5 == 0)
                buf[n++] = '\r';
            buf[n++] = '\n';
        }
        size_t max = t % 2 ? 48 : 0;
        pcs_csv_t *fast = pcs_csv_open_mem(buf, n, max, NULL), *slow = pcs_csv_open_mem(buf, n, max, NULL);
        cr_assert(fast && slow);
        pcs_csv_fast_lines(slow, false);
        int records = expect_same_records(fast, slow);
        cr_assert_geq(records, lines / 2, "buffer %d: %d records of %d lines", t, records, lines);
        pcs_csv_destroy(&fast);
        pcs_csv_destroy(&slow);
    }
    free(buf);
}

/* ---- dialects: delimiters and UTF-16 (interfaces.md §3.1) ---------------------------------------------- */

/* UTF-16 of an ASCII/Latin-1 text, with a BOM; be: big-endian. Returns the byte count. */
static size_t to_u16(const char *s, bool be, unsigned char *out)
{
    size_t o = 0;
    out[o++] = be ? 0xFE : 0xFF;
    out[o++] = be ? 0xFF : 0xFE;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        out[o++] = be ? 0 : c;
        out[o++] = be ? c : 0;
    }
    return o;
}

Test(csv_dialect, semicolon_fields_and_comma_decimals)
{
    pcs_csv_t *r = mem_reader("a;b;c\r\n1;2,5;\"x;y\"\r\n", 0, 0);
    cr_assert_eq(pcs_csv_delimiter(r), ';');
    expect_row(r, 1, 3, V("a", "b", "c"), C(1, 3, 5));
    expect_row(r, 2, 3, V("1", "2,5", "x;y"), C(1, 3, 7));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv_dialect, tab)
{
    pcs_csv_t *r = mem_reader("a\tb, c\tc\n1\t2\t3\n", 0, 0);
    cr_assert_eq(pcs_csv_delimiter(r), '\t');
    expect_row(r, 1, 3, V("a", "b, c", "c"), C(1, 3, 8));
    expect_row(r, 2, 3, V("1", "2", "3"), C(1, 3, 5));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv_dialect, comma_wins_a_tie_and_a_foreign_delimiter_in_the_header_is_found)
{
    pcs_csv_t *r = mem_reader("a,b;c\n", 0, 0);
    cr_assert_eq(pcs_csv_delimiter(r), ',');
    pcs_csv_row_t row;
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    char which = 0;
    cr_assert_eq(pcs_csv_header_foreign_delimiter(&row, ',', &which), 1);
    cr_assert_eq(which, ';');
    pcs_csv_destroy(&r);
}

Test(csv_dialect, utf16_le_and_be_with_bom)
{
    for (int be = 0; be < 2; be++) {
        unsigned char buf[256];
        size_t n = to_u16("x;y\r\nCaf\xe9;2\r\n", be, buf);
        pcs_csv_t *r = mem_reader((const char *)buf, n, 0);
        cr_assert_str_eq(pcs_csv_encoding(r), be ? "UTF-16BE with byte-order mark" : "UTF-16LE with byte-order mark");
        expect_row(r, 1, 2, V("x", "y"), C(1, 3));
        expect_row(r, 2, 2, V("Caf\xc3\xa9", "2"), C(1, 7));   /* é decoded to UTF-8; columns count its bytes */
        expect_end(r);
        pcs_csv_destroy(&r);
    }
}

Test(csv_dialect, utf16_surrogate_pair)
{
    const unsigned char buf[] = {0xFF, 0xFE, 'a', 0, 0x3D, 0xD8, 0x00, 0xDE, '\n', 0};   /* a U+1F600 */
    pcs_csv_t *r = mem_reader((const char *)buf, sizeof buf, 0);
    expect_row(r, 1, 1, V("a\xf0\x9f\x98\x80"), C(1));
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv_dialect, utf16_odd_byte_count_is_a_bad_last_record_good_rows_kept)
{
    unsigned char buf[256];
    size_t n = to_u16("a,b\n1,2\n3,4", false, buf);
    buf[n++] = '5';   /* half a code unit */
    pcs_csv_t *r = mem_reader((const char *)buf, n, 0);
    expect_row(r, 1, 2, V("a", "b"), C(1, 3));
    expect_row(r, 2, 2, V("1", "2"), C(1, 3));
    pcs_csv_row_t row;
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_eq(row.status, PCS_CSV_BAD_UTF8);
    cr_assert_eq(row.err_line, 3);
    cr_assert_eq(row.err_col, 4);
    cr_assert_str_eq(row.reason, "invalid UTF-16: the file ends with half a character (an odd number of bytes)");
    expect_end(r);
    pcs_csv_destroy(&r);
}

Test(csv_dialect, utf16_lone_surrogate)
{
    const unsigned char buf[] = {0xFF, 0xFE, 'a', 0, ',', 0, 0x00, 0xDC, '\n', 0, 'b', 0};
    pcs_csv_t *r = mem_reader((const char *)buf, sizeof buf, 0);
    pcs_csv_row_t row;
    cr_assert_eq(pcs_csv_next(r, &row, NULL), 1);
    cr_assert_str_eq(row.reason, "invalid UTF-16: a lone surrogate");
    cr_assert_eq(row.err_col, 3);
    expect_row(r, 2, 1, V("b"), C(1));
    pcs_csv_destroy(&r);
}

Test(csv_dialect, utf16_file_larger_than_a_chunk)
{
    char tmpl[] = "/tmp/pcs-csv-u16-XXXXXX";
    int fd = mkstemp(tmpl);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    fputc(0xFF, f);
    fputc(0xFE, f);
    const int rows = 20000;
    for (int i = 0; i < rows; i++) {
        char line[64];
        int k = snprintf(line, sizeof line, "t-%d;%d\r\n", i, i * 3);
        for (int j = 0; j < k; j++) {
            fputc(line[j], f);
            fputc(0, f);
        }
    }
    fclose(f);
    pcs_err_t err = {0};
    pcs_csv_t *r = pcs_csv_open(tmpl, 0, &err);
    cr_assert_not_null(r, "%s", err.msg);
    pcs_csv_row_t row;
    int got = 0;
    long long sum = 0;
    while (pcs_csv_next(r, &row, &err) == 1) {
        cr_assert_eq(row.status, PCS_CSV_OK, "line %lld: %s", row.line, row.reason);
        cr_assert_eq(row.n_fields, 2);
        sum += atoll(row.fields[1]);
        got++;
    }
    cr_assert_eq(got, rows);
    cr_assert_eq(sum, 3LL * rows * (rows - 1) / 2);
    pcs_csv_destroy(&r);
    unlink(tmpl);
}
