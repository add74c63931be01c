/* pcs_csv: streaming RFC 4180 reader for feed files (interfaces.md §3).
 *
 * Reads one record at a time from a file (gunzipped transparently when it starts with the gzip
 * magic bytes, whatever its name) or from a memory buffer. Buffers grow to the largest record
 * seen and are reused, so reading allocates nothing per record once warmed up.
 *
 * The dialect: comma, semicolon or tab separator (one per file, from its first line); UTF-8, or
 * UTF-16 LE/BE with a byte-order mark (decoded to UTF-8); CRLF or LF line ends (a CR before LF or at the very end of the
 * input belongs to the line end, any other CR is data); fields in double quotes may hold commas,
 * CR, LF and "" for a quote; a UTF-8 BOM at the very start is skipped; the last line may lack its
 * line end; spaces are data (nothing is trimmed); an empty line is a record of one empty field
 * (callers skip those).
 *
 * Problems inside one record do not stop the reader: the record comes back with a status other
 * than PCS_CSV_OK, a reason and the line:column of the first problem, n_fields is 0, and reading
 * goes on at the next line end outside quotes. Inside a bad record quotes are read leniently (a
 * quote inside an unquoted field or text after a closing quote is data), so one stray quote does
 * not swallow the following lines. A quoted field still open at the end of the input, or still
 * open after the maximum record size, is taken for a stray quote: it is reported as unterminated
 * with the record cut at the end of the line of its opening quote, and the lines after it are
 * read again as records (so one stray quote costs one line, however large the file). Only a failing read (I/O error, corrupt or truncated gzip
 * data) or running out of memory ends the reading.
 *
 * Positions are 1-based. A line is a physical line (LF-terminated), so a record with quoted line
 * breaks spans several; a column is the byte offset in its physical line (the BOM is not counted). */
#ifndef PCS_CSV_H
#define PCS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "pcs_err.h"

/* Records longer than this many bytes (line ends inside quotes included, the final one not) are
 * rejected as too long unless pcs_csv_open*() is given another limit. */
#define PCS_CSV_DEFAULT_MAX_RECORD ((size_t)1 << 20)
/* The largest limit accepted. */
#define PCS_CSV_MAX_RECORD_LIMIT ((size_t)1 << 30)

typedef enum pcs_csv_status {
    PCS_CSV_OK = 0,
    PCS_CSV_BAD_UTF8,          /* column of the first byte of the invalid or truncated sequence */
    PCS_CSV_QUOTE_IN_FIELD,    /* a quote inside an unquoted field: column of the quote */
    PCS_CSV_TEXT_AFTER_QUOTE,  /* column of the first byte after the closing quote */
    PCS_CSV_UNTERMINATED,      /* a quoted field open at the end of the input: column of its opening quote */
    PCS_CSV_TOO_LONG,          /* column of the first byte beyond the limit */
    PCS_CSV_NUL,               /* column of the NUL byte */
} pcs_csv_status_t;

typedef struct pcs_csv pcs_csv_t;

/* One record. Every pointer points into the reader and stays valid until the next
 * pcs_csv_next() or pcs_csv_destroy() on that reader; copy what must outlive it. */
typedef struct pcs_csv_row {
    int n_fields;                /* 0 when status != PCS_CSV_OK */
    const char *const *fields;   /* unescaped values, each NUL-terminated (OK records hold no NUL) */
    const size_t *lens;          /* byte length of each value */
    const long long *cols;       /* column where each field starts (its opening quote if quoted) */
    const long long *lines;      /* line where each field starts */
    long long line;              /* line where the record starts */
    const char *raw;             /* the record as it was in the input, without its final line end, */
    size_t raw_len;              /* NUL-terminated; a too-long record keeps only its first max bytes */
    pcs_csv_status_t status;
    const char *reason;          /* "" when OK, else e.g. "quote inside an unquoted field" */
    long long err_line, err_col; /* where the problem is; 0 when OK */
} pcs_csv_row_t;

/* Opens a file for reading. max_record 0 means PCS_CSV_DEFAULT_MAX_RECORD. Returns NULL and fills
 * err with PCS_EIO when the file cannot be opened or its first bytes cannot be read, PCS_EINVAL
 * when max_record exceeds PCS_CSV_MAX_RECORD_LIMIT, PCS_ENOMEM when out of memory. */
pcs_csv_t *pcs_csv_open(const char *path, size_t max_record, pcs_err_t *err);

/* The same for a file descriptor the reader takes over (closed by pcs_csv_destroy(), also on
 * failure); reading starts at its current offset. */
pcs_csv_t *pcs_csv_open_fd(int fd, size_t max_record, pcs_err_t *err);

/* Caps the bytes read from the source (after gunzip; 0: no cap, the default). Past the cap
 * pcs_csv_next() fails with PCS_ELIMIT (err->line: the line reached), so a gzip bomb costs at
 * most max_bytes of reading. */
void pcs_csv_limit_input(pcs_csv_t *r, unsigned long long max_bytes);

/* Tests only: with on false every record is read byte by byte, without the shortcut for a plain
 * line (fast_line in pcs_csv.c); both must give the same records. On by default. */
void pcs_csv_fast_lines(pcs_csv_t *r, bool on);

/* Reads len bytes at buf, which is borrowed (not copied) and must outlive the reader. Plain text
 * only (no gunzip). Errors as pcs_csv_open(). */
pcs_csv_t *pcs_csv_open_mem(const void *buf, size_t len, size_t max_record, pcs_err_t *err);

/* Closes the file and frees the reader; NULL-safe, clears *pr. */
void pcs_csv_destroy(pcs_csv_t **pr);

/* Reads the next record into *row. Returns 1 for a record (check row->status), 0 at the end of
 * the input (and again on later calls), or a negative code with err filled: PCS_EIO when the
 * input cannot be read (err->line is the line reached), PCS_ENOMEM. After a negative return every
 * later call returns the same code and error. Recoverable problems of a record do not touch err. */
int pcs_csv_next(pcs_csv_t *r, pcs_csv_row_t *row, pcs_err_t *err);

/* The encoding of the input: UTF-8 (BOM optional), or UTF-16 with its byte-order mark, which the
 * reader decodes to UTF-8 (fields, raw text and columns are then those of the UTF-8 text). */
typedef enum pcs_csv_encoding { PCS_CSV_UTF8, PCS_CSV_UTF16LE, PCS_CSV_UTF16BE } pcs_csv_encoding_t;

/* The file's delimiter: ',', ';' or '\t', whichever occurs most often outside quotes in its first
 * line (',' on a tie or when none does). Decided at the first call of this or pcs_csv_next(). */
char pcs_csv_delimiter(pcs_csv_t *r);

/* The encoding for people: "UTF-8", "UTF-8 with byte-order mark", "UTF-16LE with byte-order mark"... */
const char *pcs_csv_encoding(const pcs_csv_t *r);

/* The index of the first field of a header record that contains another of ',', ';' and tab than
 * delim (*which says which), or -1: a header such as "a;b,c;d" read with ';' is probably not what
 * its writer meant. */
int pcs_csv_header_foreign_delimiter(const pcs_csv_row_t *hdr, char delim, char *which);

/* The index of the first field of a header record equal to name, ignoring ASCII case and spaces
 * or tabs around either, or -1 (also when hdr is not an OK record). */
int pcs_csv_header_index(const pcs_csv_row_t *hdr, const char *name);

/* s[0..n) without the spaces and tabs around it: returns the start, *out_n the new length. */
const char *pcs_csv_trim(const char *s, size_t n, size_t *out_n);

#endif
