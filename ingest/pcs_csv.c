#include "pcs_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK 65536

enum { IN_EOF = -1, IN_ERR = -2 };                 /* getb()/peekb() besides a byte */
enum { S_START, S_UNQUOTED, S_QUOTED, S_QUOTE_END }; /* where in a field the parser is */

struct pcs_csv {
    /* the source */
    int fd;                        /* a plain file, or -1 */
    gzFile gz;                     /* a gzip file, or NULL */
    unsigned char *ibuf;           /* read buffer of a file */
    const unsigned char *in;       /* bytes being parsed: ibuf, the caller's buffer or replay */
    size_t in_len, in_pos;
    bool src_done;                 /* nothing comes after in[] */
    unsigned char *replay;         /* lines after an unterminated quote, read again */
    size_t replay_cap;
    const unsigned char *saved_in; /* the input set aside while the replay is read */
    size_t saved_len, saved_pos;
    pcs_err_t fail;                /* a read error or out of memory; sticky once fail.code < 0 */
    size_t max;
    unsigned long long max_input;  /* bytes read from the source at most (0: no limit) */
    unsigned long long input_read;
    long long line, col;           /* position of the next byte */
    long long bl, bc;              /* position of the byte just read */

    /* the record being read; buffers are kept from record to record */
    unsigned char *raw;
    size_t raw_len, raw_cap;
    bool raw_cut;                  /* bytes beyond max were dropped */
    char *fb;                      /* unescaped fields, NUL-separated */
    size_t fb_len, fb_cap;
    size_t *foff, *flen;
    long long *fcol, *fline;
    const char **fptr;
    size_t nf, fcap;
    long long rec_line;
    long long fq_line, fq_col;     /* opening quote of the current quoted field */
    size_t fq_raw;                 /* its offset in raw */
    pcs_csv_status_t status;
    long long err_line, err_col;
    char reason[128];
    int u_need;                    /* UTF-8 continuation bytes still expected */
    unsigned char u_lo, u_hi, u_lead;
    long long u_line, u_col;       /* where the sequence started */

    /* the file's dialect (see "dialects" below) */
    char delim;                    /* ',', ';' or '\t', decided from the first line */
    bool sniffed;                  /* delim decided */
    bool no_fast;                  /* pcs_csv_fast_lines(r, false): every record byte by byte */
    pcs_csv_encoding_t enc;
    bool bom;                      /* the input started with a byte-order mark */
    unsigned char *u16;            /* UTF-16 bytes read but not yet decoded */
    size_t u16_len;
    bool u16_eof;                  /* the UTF-16 source has no more bytes */
    bool u16_odd;                  /* the UTF-16 input ended with half a code unit */
    const unsigned char *mem;      /* pcs_csv_open_mem of UTF-16: the bytes after the BOM */
    size_t mem_len, mem_pos;
};

/* ---- the source ------------------------------------------------------------------------------------ */

static int fail_set(pcs_csv_t *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_set(pcs_csv_t *r, int code, const char *fmt, ...)
{
    r->fail.code = code;
    r->fail.line = r->line > 0x7fffffff ? 0 : (int)r->line;
    r->fail.column = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->fail.msg, sizeof r->fail.msg, fmt, ap);
    va_end(ap);
    return code;
}

static int source_read_raw(pcs_csv_t *r, unsigned char *buf, size_t cap, size_t *n);

/* Reads up to cap bytes of the file; *n is 0 at its end. Beyond max_input: PCS_ELIMIT. */
static int source_read(pcs_csv_t *r, unsigned char *buf, size_t cap, size_t *n)
{
    int rc = source_read_raw(r, buf, cap, n);
    if (rc == 0 && r->max_input && (r->input_read += *n) > r->max_input) {
        *n = 0;
        return fail_set(r, PCS_ELIMIT, "more than %llu bytes (after decompression)", r->max_input);
    }
    return rc;
}

static int source_read_raw(pcs_csv_t *r, unsigned char *buf, size_t cap, size_t *n)
{
    *n = 0;
    if (r->gz) {
        int got = gzread(r->gz, buf, (unsigned)cap);
        if (got > 0) {
            *n = (size_t)got;
            return 0;   /* an error after these bytes shows on the next call */
        }
        int zerr = Z_OK;
        const char *m = gzerror(r->gz, &zerr);
        if (got == 0 && zerr == Z_OK)
            return 0;
        if (zerr == Z_ERRNO)
            return fail_set(r, PCS_EIO, "cannot read: %s", strerror(errno));
        if (zerr == Z_BUF_ERROR)
            return fail_set(r, PCS_EIO, "truncated gzip data: %s", m);
        return fail_set(r, PCS_EIO, "corrupt gzip data: %s", m);
    }
    if (r->fd < 0)
        return 0;
    ssize_t got;
    do
        got = read(r->fd, buf, cap);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return fail_set(r, PCS_EIO, "cannot read: %s", strerror(errno));
    *n = (size_t)got;
    return 0;
}

static int refill(pcs_csv_t *r);

/* ---- dialects: UTF-16 input and the delimiter ----------------------------------------------------------
 * A spreadsheet that re-saves a download may write UTF-16 (with a byte-order mark) and use ';' or a
 * tab as the delimiter. UTF-16 is decoded to UTF-8 below the parser, so positions are those of the
 * UTF-8 text (a column counts UTF-8 bytes); a lone surrogate or a final odd byte becomes the byte
 * 0xFF, which the UTF-8 check reports as invalid UTF-16 at its line and column. The delimiter is the
 * one of ',', ';' and tab that occurs most often outside quotes in the first line (',' on a tie). */

#define U16_CAP CHUNK   /* UTF-16 bytes read ahead of decoding */

/* Raw bytes of the source: the caller's buffer (pcs_csv_open_mem of UTF-16) or the file. */
static int raw_read(pcs_csv_t *r, unsigned char *buf, size_t cap, size_t *n)
{
    if (!r->mem)
        return source_read(r, buf, cap, n);
    *n = r->mem_len - r->mem_pos < cap ? r->mem_len - r->mem_pos : cap;
    memcpy(buf, r->mem + r->mem_pos, *n);
    r->mem_pos += *n;
    return 0;
}

static size_t utf8_put(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes pending UTF-16 bytes into out (cap bytes, at least 4); returns the bytes written.
 * A surrogate pair or code unit cut by the end of what was read waits for more, unless the source
 * ended. */
static size_t u16_decode(pcs_csv_t *r, unsigned char *out, size_t cap)
{
    size_t i = 0, o = 0;
    const unsigned char *p = r->u16;
    bool be = r->enc == PCS_CSV_UTF16BE;
    while (r->u16_len - i >= 2 && o + 4 <= cap) {
        unsigned long u = be ? (unsigned long)(p[i] << 8 | p[i + 1]) : (unsigned long)(p[i + 1] << 8 | p[i]);
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (r->u16_len - i < 4 && !r->u16_eof)
                break;
            unsigned long lo = r->u16_len - i >= 4 ? (be ? (unsigned long)(p[i + 2] << 8 | p[i + 3])
                                                          : (unsigned long)(p[i + 3] << 8 | p[i + 2]))
                                                   : 0;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                o += utf8_put(out + o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                i += 4;
                continue;
            }
            out[o++] = 0xFF;   /* a lone high surrogate */
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            out[o++] = 0xFF;   /* a lone low surrogate */
        } else {
            o += utf8_put(out + o, u);
        }
        i += 2;
    }
    if (r->u16_eof && r->u16_len - i == 1 && o < cap) {
        out[o++] = 0xFF;   /* half a code unit at the end */
        r->u16_odd = true;
        i++;
    }
    memmove(r->u16, r->u16 + i, r->u16_len - i);
    r->u16_len -= i;
    return o;
}

/* What refill() reads: the source's bytes, decoded to UTF-8 when the input is UTF-16. */
static int decoded_read(pcs_csv_t *r, unsigned char *buf, size_t cap, size_t *n)
{
    if (r->enc == PCS_CSV_UTF8)
        return source_read(r, buf, cap, n);
    *n = 0;
    while (*n == 0 && !(r->u16_eof && r->u16_len == 0)) {
        if (!r->u16_eof) {
            size_t got;
            int rc = raw_read(r, r->u16 + r->u16_len, U16_CAP - r->u16_len, &got);
            if (rc < 0)
                return rc;
            r->u16_len += got;
            r->u16_eof = got == 0;
        }
        *n = u16_decode(r, buf, cap);
    }
    return 0;
}

/* Switches to UTF-16 when the len bytes at b begin with its byte-order mark (*is16); the caller
 * hands the bytes after the mark to the decoder. false when out of memory. */
static bool u16_begin(pcs_csv_t *r, const unsigned char *b, size_t len, bool *is16)
{
    *is16 = len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
    if (!*is16)
        return true;
    r->enc = b[0] == 0xFF ? PCS_CSV_UTF16LE : PCS_CSV_UTF16BE;
    r->bom = true;
    if (!r->ibuf && (r->ibuf = malloc(CHUNK)) == NULL)
        return false;
    if ((r->u16 = malloc(U16_CAP)) == NULL)
        return false;
    return true;
}

/* Decides the delimiter from the first line in in[] (read first if need be). */
static void sniff(pcs_csv_t *r)
{
    r->sniffed = true;
    r->delim = ',';
    if (r->in_pos == r->in_len && refill(r) <= 0)
        return;
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (size_t i = r->in_pos; i < r->in_len && (quoted || r->in[i] != '\n'); i++) {
        unsigned char c = r->in[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted)
            comma += c == ',', semi += c == ';', tab += c == '\t';
    }
    if (semi > comma && semi >= tab)
        r->delim = ';';
    else if (tab > comma && tab > semi)
        r->delim = '\t';
}

char pcs_csv_delimiter(pcs_csv_t *r)
{
    if (!r->sniffed)
        sniff(r);
    return r->delim;
}

const char *pcs_csv_encoding(const pcs_csv_t *r)
{
    return r->enc == PCS_CSV_UTF16LE ? "UTF-16LE with byte-order mark"
           : r->enc == PCS_CSV_UTF16BE ? "UTF-16BE with byte-order mark"
           : r->bom                    ? "UTF-8 with byte-order mark"
                                       : "UTF-8";
}

int pcs_csv_header_foreign_delimiter(const pcs_csv_row_t *hdr, char delim, char *which)
{
    static const char cands[] = {',', ';', '\t'};
    for (int i = 0; hdr->status == PCS_CSV_OK && i < hdr->n_fields; i++)
        for (size_t k = 0; k < sizeof cands; k++)
            if (cands[k] != delim && memchr(hdr->fields[i], cands[k], hdr->lens[i])) {
                *which = cands[k];
                return i;
            }
    return -1;
}

/* Makes in[] hold unread bytes: 1, 0 at the end of the input, or a negative code. */
static int refill(pcs_csv_t *r)
{
    if (r->fail.code < 0)
        return r->fail.code;
    if (r->saved_in) {
        r->in = r->saved_in;
        r->in_len = r->saved_len;
        r->in_pos = r->saved_pos;
        r->saved_in = NULL;
        if (r->in_pos < r->in_len)
            return 1;
    }
    if (r->src_done)
        return 0;
    size_t n;
    int rc = decoded_read(r, r->ibuf, CHUNK, &n);
    if (rc < 0)
        return rc;
    if (n == 0) {
        r->src_done = true;
        return 0;
    }
    r->in = r->ibuf;
    r->in_len = n;
    r->in_pos = 0;
    return 1;
}

static inline int getb(pcs_csv_t *r)
{
    if (r->in_pos == r->in_len) {
        int rc = refill(r);
        if (rc <= 0)
            return rc < 0 ? IN_ERR : IN_EOF;
    }
    unsigned char b = r->in[r->in_pos++];
    r->bl = r->line;
    r->bc = r->col;
    if (b == '\n') {
        r->line++;
        r->col = 1;
    } else {
        r->col++;
    }
    return b;
}

static int peekb(pcs_csv_t *r)
{
    if (r->in_pos == r->in_len) {
        int rc = refill(r);
        if (rc <= 0)
            return rc < 0 ? IN_ERR : IN_EOF;
    }
    return r->in[r->in_pos];
}

static void skip_bom(pcs_csv_t *r)
{
    if (r->in_len - r->in_pos >= 3 && memcmp(r->in + r->in_pos, "\xEF\xBB\xBF", 3) == 0)
        r->in_pos += 3;
}

/* ---- lifecycle ------------------------------------------------------------------------------------- */

static pcs_csv_t *reader_new(size_t max_record, pcs_err_t *err)
{
    if (max_record > PCS_CSV_MAX_RECORD_LIMIT) {
        pcs_err_set(err, PCS_EINVAL, 0, 0, "maximum record size %zu is above the limit of %zu bytes", max_record,
                    PCS_CSV_MAX_RECORD_LIMIT);
        return NULL;
    }
    pcs_csv_t *r = calloc(1, sizeof *r);
    if (!r) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    r->fd = -1;
    r->max = max_record ? max_record : PCS_CSV_DEFAULT_MAX_RECORD;
    r->line = 1;
    r->col = 1;
    return r;
}

pcs_csv_t *pcs_csv_open(const char *path, size_t max_record, pcs_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        pcs_err_set(err, PCS_EIO, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    return pcs_csv_open_fd(fd, max_record, err);
}

pcs_csv_t *pcs_csv_open_fd(int fd, size_t max_record, pcs_err_t *err)
{
    pcs_csv_t *r = reader_new(max_record, err), *ret = NULL;
    if (!r)
        goto out;
    r->ibuf = malloc(CHUNK);
    if (!r->ibuf) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    /* The magic bytes decide, not the name. A pipe cannot be peeked at: zlib then reads it as
     * gzip or, transparently, as plain text. */
    unsigned char magic[2];
    ssize_t m = pread(fd, magic, 2, 0);
    if ((m == 2 && magic[0] == 0x1f && magic[1] == 0x8b) || (m < 0 && errno == ESPIPE)) {
        r->gz = gzdopen(fd, "rb");
        if (!r->gz) {
            pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
            goto out;
        }
        fd = -1;   /* gzclose closes it */
        gzbuffer(r->gz, CHUNK);
    } else if (m < 0) {
        pcs_err_set(err, PCS_EIO, 0, 0, "cannot read: %s", strerror(errno));
        goto out;
    } else {
        r->fd = fd;
        fd = -1;
    }
    /* the first three bytes, for the BOM */
    size_t have = 0, n = 1;
    while (have < 3 && n > 0) {
        if (source_read(r, r->ibuf + have, CHUNK - have, &n) < 0) {
            if (err)
                *err = r->fail;
            goto out;
        }
        have += n;
    }
    bool is16;
    if (!u16_begin(r, r->ibuf, have, &is16)) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    if (is16) {   /* the bytes after the mark wait for decoding */
        memcpy(r->u16, r->ibuf + 2, have - 2);
        r->u16_len = have - 2;
        r->u16_eof = have < 3;
        r->in = r->ibuf;
        r->in_len = r->in_pos = 0;
    } else {
        r->src_done = have < 3;
        r->in = r->ibuf;
        r->in_len = have;
        skip_bom(r);
    }
    ret = r;
    r = NULL;
out:
    if (fd >= 0)
        close(fd);
    pcs_csv_destroy(&r);
    return ret;
}

pcs_csv_t *pcs_csv_open_mem(const void *buf, size_t len, size_t max_record, pcs_err_t *err)
{
    pcs_csv_t *r = reader_new(max_record, err);
    if (!r)
        return NULL;
    bool is16;
    if (!u16_begin(r, buf, buf ? len : 0, &is16)) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        pcs_csv_destroy(&r);
        return NULL;
    }
    if (is16) {   /* decoded from the caller's buffer as a file would be */
        r->mem = (const unsigned char *)buf + 2;
        r->mem_len = len - 2;
        r->in = r->ibuf;
        return r;
    }
    r->in = buf;
    r->in_len = buf ? len : 0;
    r->src_done = true;
    skip_bom(r);
    return r;
}

void pcs_csv_fast_lines(pcs_csv_t *r, bool on)
{
    r->no_fast = !on;
}

void pcs_csv_limit_input(pcs_csv_t *r, unsigned long long max_bytes)
{
    r->max_input = max_bytes;
    if (max_bytes && r->input_read > max_bytes)
        fail_set(r, PCS_ELIMIT, "more than %llu bytes (after decompression)", max_bytes);
}

void pcs_csv_destroy(pcs_csv_t **pr)
{
    if (!pr || !*pr)
        return;
    pcs_csv_t *r = *pr;
    if (r->gz)
        gzclose(r->gz);
    if (r->fd >= 0)
        close(r->fd);
    free(r->ibuf);
    free(r->u16);
    free(r->replay);
    free(r->raw);
    free(r->fb);
    free(r->foff);
    free(r->flen);
    free(r->fcol);
    free(r->fline);
    free(r->fptr);
    free(r);
    *pr = NULL;
}

/* ---- one record ------------------------------------------------------------------------------------ */

static void rec_error(pcs_csv_t *r, pcs_csv_status_t st, long long line, long long col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Only the first problem of a record is reported. */
static void rec_error(pcs_csv_t *r, pcs_csv_status_t st, long long line, long long col, const char *fmt, ...)
{
    if (r->status != PCS_CSV_OK)
        return;
    r->status = st;
    r->err_line = line;
    r->err_col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

static size_t grown(size_t cap, size_t need)
{
    size_t n = cap ? cap : 64;
    while (n < need)
        n *= 2;
    return n;
}

/* Room for field index nf; false when out of memory. */
static bool fields_reserve(pcs_csv_t *r)
{
    if (r->nf < r->fcap)
        return true;
    size_t n = grown(r->fcap, r->nf + 1);
    void *p;
    if (!(p = realloc(r->foff, n * sizeof *r->foff)))
        return false;
    r->foff = p;
    if (!(p = realloc(r->flen, n * sizeof *r->flen)))
        return false;
    r->flen = p;
    if (!(p = realloc(r->fcol, n * sizeof *r->fcol)))
        return false;
    r->fcol = p;
    if (!(p = realloc(r->fline, n * sizeof *r->fline)))
        return false;
    r->fline = p;
    if (!(p = realloc(r->fptr, n * sizeof *r->fptr)))
        return false;
    r->fptr = p;
    r->fcap = n;
    return true;
}

static bool fb_put(pcs_csv_t *r, char c)
{
    if (r->fb_len == r->fb_cap) {
        size_t n = grown(r->fb_cap, r->fb_len + 1);
        char *p = realloc(r->fb, n);
        if (!p)
            return false;
        r->fb = p;
        r->fb_cap = n;
    }
    r->fb[r->fb_len++] = c;
    return true;
}

/* Fields are only kept while the record is good: a bad record returns none. */
static bool field_begin(pcs_csv_t *r, long long line, long long col)
{
    if (r->status != PCS_CSV_OK)
        return true;
    if (!fields_reserve(r))
        return false;
    r->foff[r->nf] = r->fb_len;
    r->fline[r->nf] = line;
    r->fcol[r->nf] = col;
    return true;
}

static bool field_put(pcs_csv_t *r, int c)
{
    return r->status != PCS_CSV_OK || fb_put(r, (char)c);
}

static bool field_end(pcs_csv_t *r)
{
    if (r->status != PCS_CSV_OK)
        return true;
    r->flen[r->nf] = r->fb_len - r->foff[r->nf];
    if (!fb_put(r, '\0'))
        return false;
    r->nf++;
    return true;
}

/* Keeps the record's bytes, up to max; one more makes the record too long. */
static bool raw_put(pcs_csv_t *r, int c)
{
    if (r->raw_len == r->max) {
        if (!r->raw_cut)
            rec_error(r, PCS_CSV_TOO_LONG, r->bl, r->bc, "line too long: record longer than %zu bytes", r->max);
        r->raw_cut = true;
        return true;
    }
    if (r->raw_len + 1 >= r->raw_cap) {   /* + 1: room for the terminating NUL */
        size_t n = grown(r->raw_cap, r->raw_len + 2);
        if (n > r->max + 1)
            n = r->max + 1;
        unsigned char *p = realloc(r->raw, n);
        if (!p)
            return false;
        r->raw = p;
        r->raw_cap = n;
    }
    r->raw[r->raw_len++] = (unsigned char)c;
    return true;
}

/* UTF-8 (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF) and NUL. */
static void check_byte(pcs_csv_t *r, int c)
{
    if (r->u_need) {
        if (c >= r->u_lo && c <= r->u_hi) {
            r->u_need--;
            r->u_lo = 0x80;
            r->u_hi = 0xBF;
            return;
        }
        rec_error(r, PCS_CSV_BAD_UTF8, r->u_line, r->u_col, "invalid UTF-8: broken sequence starting with byte 0x%02X",
                  r->u_lead);
        return;
    }
    if (c == 0) {
        rec_error(r, PCS_CSV_NUL, r->bl, r->bc, "NUL byte");
        return;
    }
    if (c < 0x80)
        return;
    r->u_lo = 0x80;
    r->u_hi = 0xBF;
    if (c == 0xFF && r->enc != PCS_CSV_UTF8) {   /* what the UTF-16 decoder makes of a bad code unit */
        rec_error(r, PCS_CSV_BAD_UTF8, r->bl, r->bc, "invalid UTF-16: %s",
                  r->u16_odd ? "the file ends with half a character (an odd number of bytes)" : "a lone surrogate");
        return;
    }
    if (c < 0xC2 || c > 0xF4) {
        rec_error(r, PCS_CSV_BAD_UTF8, r->bl, r->bc, "invalid UTF-8: byte 0x%02X", (unsigned)c);
        return;
    }
    if (c <= 0xDF) {
        r->u_need = 1;
    } else if (c <= 0xEF) {
        r->u_need = 2;
        if (c == 0xE0)
            r->u_lo = 0xA0;   /* overlong */
        else if (c == 0xED)
            r->u_hi = 0x9F;   /* surrogates */
    } else {
        r->u_need = 3;
        if (c == 0xF0)
            r->u_lo = 0x90;   /* overlong */
        else if (c == 0xF4)
            r->u_hi = 0x8F;   /* above U+10FFFF */
    }
    r->u_lead = (unsigned char)c;
    r->u_line = r->bl;
    r->u_col = r->bc;
}

static void check_end(pcs_csv_t *r)
{
    if (r->u_need)
        rec_error(r, PCS_CSV_BAD_UTF8, r->u_line, r->u_col, "invalid UTF-8: sequence starting with byte 0x%02X cut short",
                  r->u_lead);
}

static bool error_after(const pcs_csv_t *r, long long line, long long col)
{
    return r->status != PCS_CSV_OK && (r->err_line > line || (r->err_line == line && r->err_col > col));
}

/* A quoted field that is still open at the end of the input, or after max bytes, was opened by a
 * stray quote. Rather than lose every line after it, the record ends with the line of that quote
 * and the lines after it are read again: the part of them already in raw, then `c` (the byte in
 * hand, or -1), then the input not read yet (set aside in saved_*, not copied). A quote whose own line is longer than max has no
 * lines after it in raw: the record then ends, too long, at the next line end (*st unquoted). */
static bool unterminated(pcs_csv_t *r, int *st, int c)
{
    if (error_after(r, r->fq_line, r->fq_col))
        r->status = PCS_CSV_OK;   /* a later problem belongs to the lines read again */
    if (c < 0)
        rec_error(r, PCS_CSV_UNTERMINATED, r->fq_line, r->fq_col, "quoted field not closed before the end of the file");
    else
        rec_error(r, PCS_CSV_UNTERMINATED, r->fq_line, r->fq_col, "quoted field not closed within %zu bytes", r->max);
    size_t k = r->fq_raw;
    while (k < r->raw_len && r->raw[k] != '\n')
        k++;
    if (k == r->raw_len) {
        *st = S_UNQUOTED;
        if (c >= 0) {
            rec_error(r, PCS_CSV_TOO_LONG, r->bl, r->bc, "line too long: record longer than %zu bytes", r->max);
            r->raw_cut = true;
        }
        return true;
    }
    /* the input in hand is set aside, or, when it is the replay buffer itself, copied behind */
    bool nested = r->replay && r->in == r->replay;
    size_t rest = r->raw_len - (k + 1), unread = nested ? r->in_len - r->in_pos : 0, n = rest + (c >= 0) + unread;
    unsigned char *p = malloc(n ? n : 1);
    if (!p)
        return false;
    memcpy(p, r->raw + k + 1, rest);
    if (c >= 0)
        p[rest] = (unsigned char)c;
    if (unread)
        memcpy(p + rest + (c >= 0), r->in + r->in_pos, unread);
    if (!nested) {
        r->saved_in = r->in;
        r->saved_len = r->in_len;
        r->saved_pos = r->in_pos;
    }
    free(r->replay);
    r->replay = p;
    r->replay_cap = n;
    r->in = r->replay;
    r->in_len = n;
    r->in_pos = 0;
    r->line = r->fq_line + 1;
    r->col = 1;
    r->raw_len = r->raw[k - 1] == '\r' ? k - 1 : k;
    return true;
}

/* c ends the record: LF, or CR before LF or before the end of the input. */
static bool line_end(pcs_csv_t *r, int c)
{
    if (c == '\n')
        return true;
    if (c != '\r')
        return false;
    int p = peekb(r);
    if (p == '\n') {
        getb(r);
        return true;
    }
    return p == IN_EOF;
}

static void rec_reset(pcs_csv_t *r)
{
    r->raw_len = 0;
    r->raw_cut = false;
    r->fb_len = 0;
    r->nf = 0;
    r->status = PCS_CSV_OK;
    r->err_line = r->err_col = 0;
    r->reason[0] = '\0';
    r->u_need = 0;
}

static void row_fill(pcs_csv_t *r, pcs_csv_row_t *row)
{
    static const char empty[1];
    bool ok = r->status == PCS_CSV_OK;
    for (size_t i = 0; ok && i < r->nf; i++)
        r->fptr[i] = r->fb + r->foff[i];
    if (r->raw)
        r->raw[r->raw_len] = '\0';
    *row = (pcs_csv_row_t){
        .n_fields = ok ? (int)r->nf : 0,
        .fields = r->fptr,
        .lens = r->flen,
        .cols = r->fcol,
        .lines = r->fline,
        .line = r->rec_line,
        .raw = r->raw ? (const char *)r->raw : empty,
        .raw_len = r->raw_len,
        .status = r->status,
        .reason = r->reason,
        .err_line = r->err_line,
        .err_col = r->err_col,
    };
}

static int failed(pcs_csv_t *r, pcs_err_t *err)
{
    if (err)
        *err = r->fail;
    return r->fail.code;
}

/* One byte of a record that is not its line end, in field state *st; false when out of memory. */
static bool step(pcs_csv_t *r, int *st, int c)
{
    bool ok = true;
    switch (*st) {
    case S_START:
        if (c == '"') {
            *st = S_QUOTED;
            r->fq_line = r->bl;
            r->fq_col = r->bc;
            r->fq_raw = r->raw_len - 1;
        } else if (c == r->delim) {
            ok = field_end(r) && field_begin(r, r->bl, r->bc + 1);
        } else {
            ok = field_put(r, c);
            *st = S_UNQUOTED;
        }
        break;
    case S_UNQUOTED:
        if (c == r->delim) {
            ok = field_end(r) && field_begin(r, r->bl, r->bc + 1);
            *st = S_START;
            break;
        }
        if (c == '"')
            rec_error(r, PCS_CSV_QUOTE_IN_FIELD, r->bl, r->bc, "quote inside an unquoted field");
        ok = field_put(r, c);
        break;
    case S_QUOTED:
        if (c == '"')
            *st = S_QUOTE_END;
        else
            ok = field_put(r, c);
        break;
    case S_QUOTE_END:
        if (c == '"') {
            ok = field_put(r, c);
            *st = S_QUOTED;
        } else if (c == r->delim) {
            ok = field_end(r) && field_begin(r, r->bl, r->bc + 1);
            *st = S_START;
        } else {
            rec_error(r, PCS_CSV_TEXT_AFTER_QUOTE, r->bl, r->bc, "text after a closing quote");
            ok = field_put(r, c);
            *st = S_UNQUOTED;   /* read on leniently, so the record still ends where it should */
        }
        break;
    }
    return ok;
}

/* The common record, read without the byte-at-a-time parser: a whole line in in[] of printable
 * ASCII without quotes, CR (but one before the LF) or NUL, no longer than max. Fills the record as
 * step() would and returns true; false (the record left empty) for anything else, which the parser
 * then reads byte by byte. One pass over the line finds the delimiters and the bytes that send it to
 * the parser; on a little-endian machine with GCC's builtins it tests eight bytes at a time (a byte
 * loop with a branch per delimiter took 40 % of a 5,000,000-row file's parse, issue 13). */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CSV_WORDS 1
#endif

#ifdef CSV_WORDS
/* 0x80 in each byte of w that is zero and 0 in every other byte (exact: no carry crosses a byte) */
static inline uint64_t zero_bytes(uint64_t w)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
    return ~(((w & low7) + low7) | w | low7);
}
#endif

/* Field f of the line ends before byte at (a delimiter, or the line's end). */
static bool fast_field(pcs_csv_t *r, size_t *f, size_t *start, size_t at)
{
    if (*f == r->fcap) {
        r->nf = *f;   /* fields_reserve() grows to hold index nf */
        if (!fields_reserve(r))
            return false;
    }
    r->fb[at] = '\0';
    r->foff[*f] = *start;
    r->flen[*f] = at - *start;
    r->fcol[*f] = r->col + (long long)*start;
    r->fline[*f] = r->line;
    (*f)++;
    *start = at + 1;
    return true;
}

static bool fast_line(pcs_csv_t *r)
{
    if (r->in_pos >= r->in_len)
        return false;
    const unsigned char *s = r->in + r->in_pos;
    size_t avail = r->in_len - r->in_pos;
    const unsigned char *nl = memchr(s, '\n', avail);
    if (!nl)
        return false;
    size_t len = (size_t)(nl - s), n = len;
    if (n && s[n - 1] == '\r')
        n--;
    if (n > r->max)
        return false;
    if (r->raw_cap < n + 1) {
        unsigned char *p = realloc(r->raw, n + 1);
        if (!p)
            return false;
        r->raw = p;
        r->raw_cap = n + 1;
    }
    if (r->fb_cap < n + 1) {
        size_t cap = grown(r->fb_cap, n + 1);
        char *p = realloc(r->fb, cap);
        if (!p)
            return false;
        r->fb = p;
        r->fb_cap = cap;
    }
    memcpy(r->fb, s, n);
    const unsigned char d = (unsigned char)r->delim;
    size_t f = 0, start = 0, i = 0;
#ifdef CSV_WORDS
    const uint64_t ones = 0x0101010101010101ULL, quote = ones * '"', cr = ones * '\r', delim = ones * d,
                   high = ones * 0x80;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (zero_bytes(w ^ quote) | zero_bytes(w ^ cr) | zero_bytes(w) | (w & high))
            goto slow;
        for (uint64_t m = zero_bytes(w ^ delim); m; m &= m - 1)
            if (!fast_field(r, &f, &start, i + (size_t)(__builtin_ctzll(m) >> 3)))
                goto slow;
    }
#endif
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\r' || c == 0 || c >= 0x80)
            goto slow;
        if (c == d && !fast_field(r, &f, &start, i))
            goto slow;
    }
    if (!fast_field(r, &f, &start, n))
        goto slow;
    memcpy(r->raw, s, n);
    r->raw_len = n;
    r->nf = f;
    r->fb_len = n + 1;
    r->bl = r->line;
    r->bc = r->col + (long long)len;
    r->line++;
    r->col = 1;
    r->in_pos += len + 1;
    return true;
slow:
    r->nf = 0;
    return false;
}

int pcs_csv_next(pcs_csv_t *r, pcs_csv_row_t *row, pcs_err_t *err)
{
    if (!r->sniffed)
        sniff(r);
    rec_reset(r);
    r->rec_line = r->line;
    row_fill(r, row);
    if (r->fail.code < 0)
        return failed(r, err);
    if (!r->no_fast && fast_line(r)) {
        row_fill(r, row);
        return 1;
    }
    int c = getb(r);
    if (c == IN_EOF)
        return 0;
    if (c == IN_ERR)
        return failed(r, err);
    int st = S_START;
    if (!field_begin(r, r->bl, r->bc))
        goto nomem;
    for (;; c = getb(r)) {
        if (c == IN_ERR)
            return failed(r, err);
        if (c == IN_EOF || (st != S_QUOTED && line_end(r, c))) {
            check_end(r);
            if (c == IN_EOF && st == S_QUOTED && !unterminated(r, &st, -1))
                goto nomem;
            break;
        }
        if (st == S_QUOTED && r->raw_len == r->max) {
            if (r->raw_cut)
                st = S_UNQUOTED;   /* a record already too long: its quotes no longer matter */
            else if (!unterminated(r, &st, c))
                goto nomem;
            if (st == S_QUOTED || line_end(r, c))
                break;   /* the record ends with the line of the quote; the rest is read again */
            continue;
        }
        if (!raw_put(r, c))
            goto nomem;
        if (r->status == PCS_CSV_OK)
            check_byte(r, c);
        if (!step(r, &st, c))
            goto nomem;
    }
    if (!field_end(r))
        goto nomem;
    row_fill(r, row);
    return 1;
nomem:
    fail_set(r, PCS_ENOMEM, "out of memory");
    return failed(r, err);
}

/* ---- header ---------------------------------------------------------------------------------------- */

const char *pcs_csv_trim(const char *s, size_t n, size_t *out_n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *out_n = n;
    return s;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int pcs_csv_header_index(const pcs_csv_row_t *hdr, const char *name)
{
    if (!hdr || !name || hdr->status != PCS_CSV_OK)
        return -1;
    size_t nn;
    const char *n = pcs_csv_trim(name, strlen(name), &nn);
    for (int i = 0; i < hdr->n_fields; i++) {
        size_t fn;
        const char *f = pcs_csv_trim(hdr->fields[i], hdr->lens[i], &fn);
        if (fn != nn)
            continue;
        size_t k = 0;
        while (k < nn && ascii_lower((unsigned char)f[k]) == ascii_lower((unsigned char)n[k]))
            k++;
        if (k == nn)
            return i;
    }
    return -1;
}
