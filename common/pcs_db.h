/* pcs_db: PostgreSQL helpers shared by the daemons and the CLI (libpq only).
 *
 * SQL text is never built from data: every value goes through parameters or COPY, or, in a
 * COPY (query) statement, which takes no parameters, through PQescapeLiteral. */
#ifndef PCS_DB_H
#define PCS_DB_H

#include <libpq-fe.h>

#include "pcs_err.h"

/* Connects with a libpq conninfo string ("" = the PG* environment variables). NULL on failure,
 * with the server's message in err. */
PGconn *pcs_db_connect(const char *conninfo, pcs_err_t *err);

/* For the rest of the transaction: joins as nested loops through the keys, and no JIT. A statement
 * that meets rows of a large table through its key then looks each one up, whatever the table's
 * statistics say (right after a large load they still describe the table before it). */
#define PCS_SQL_KEYED_PLANS "SET LOCAL jit = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
#define PCS_SQL_KEYED_PLANS_RESET "RESET jit; RESET enable_hashjoin; RESET enable_mergejoin"

/* Runs a parameterless command (or several, separated by ';'); 0 or PCS_EIO with the message. */
int pcs_db_exec(PGconn *db, const char *sql, pcs_err_t *err);

/* Applies the pending migrations of directory dir (files NNNN_name.sql, in order), each in its
 * own transaction, recorded in pcs_migrations. Serialised by an advisory lock, so two callers
 * never apply one migration twice. *applied receives how many were applied now. */
int pcs_db_migrate(PGconn *db, const char *dir, int *applied, pcs_err_t *err);

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* Runs sql (with n text parameters, or none: then several statements may be given). On success
 * *out receives the result when out is non-NULL (the caller PQclear()s it). 0, or PCS_EIO with
 * the server's first message line in err (PCS_EEXIST when a unique key is taken). */
int pcs_db_query(PGconn *db, const char *sql, int n, const char *const *params, PGresult **out, pcs_err_t *err);

/* The connection *c, (re)connecting when it is missing or broken; NULL (message logged under
 * daemon) while PostgreSQL cannot be reached. */
PGconn *pcs_db_ensure(PGconn **c, const char *conninfo, const char *daemon);

/* ---- COPY text format ---- */

typedef struct pcs_copybuf {
    char *s;
    size_t n, cap;
    bool oom;
} pcs_copybuf_t;

/* Empties b to be filled again, keeping its memory; an out-of-memory of what it held before is
 * forgotten, so one text that ran out of memory does not fail the next. */
static inline void pcs_copy_clear(pcs_copybuf_t *b)
{
    b->n = 0;
    b->oom = false;
}
/* Room for n more bytes (and a NUL) without moving b->s; false (b->oom set) when out of memory. */
bool pcs_copy_reserve(pcs_copybuf_t *b, size_t n);
void pcs_copy_put(pcs_copybuf_t *b, const char *s, size_t n);
/* One field in COPY text format (backslash escapes, NULL as \N), after a tab unless first. */
void pcs_copy_field(pcs_copybuf_t *b, const char *s, size_t n, bool first);
/* Sends the buffered bytes to the COPY in progress and empties the buffer. */
int pcs_copy_flush(PGconn *db, pcs_copybuf_t *b, pcs_err_t *err);
/* Starts a COPY ... FROM STDIN. */
int pcs_copy_begin(PGconn *db, const char *sql, pcs_err_t *err);
/* Starts a COPY ... TO STDOUT (rows then come with PQgetCopyData). */
int pcs_copy_out_begin(PGconn *db, const char *sql, pcs_err_t *err);

/* Runs a COPY ... TO STDOUT in text and hands fn each line, its newline cut (line[len] is NUL; fn may
 * change the bytes, and the line is freed when fn returns). Once fn or the server fails, the rest of
 * the rows is read and dropped. Returns 0, fn's negative return (fn sets err), or PCS_EIO with the
 * server's message after "what: ". */
typedef int (*pcs_copy_line_fn)(void *arg, char *line, int len, pcs_err_t *err);
int pcs_copy_out_lines(PGconn *db, const char *sql, const char *what, pcs_copy_line_fn fn, void *arg, pcs_err_t *err);
/* Ends a COPY. A duplicate key (SQLSTATE 23505) returns PCS_EEXIST; other failures PCS_EIO. */
int pcs_copy_end(PGconn *db, pcs_err_t *err);
/* Unescapes one COPY text field in place (\N gives NULL). */
char *pcs_copy_unescape(char *s);

/* ---- COPY binary format (COPY ... FROM STDIN (FORMAT binary)) ----
 * A row is pcs_copy_bin_row with its number of fields, then one value per column in the table's
 * order, each in the binary form of the column's type: nothing is escaped by the client or parsed
 * by the server (the text form of a 12 KB result document cost both a pass over every byte).
 * pcs_copy_bin_flush sends the header, the buffered rows and the trailer, so one flush is one
 * whole COPY. */
void pcs_copy_bin_row(pcs_copybuf_t *b, int fields);
/* text, json, bytea: the bytes themselves; s NULL: SQL NULL */
void pcs_copy_bin_bytes(pcs_copybuf_t *b, const char *s, size_t n);
void pcs_copy_bin_text(pcs_copybuf_t *b, const char *s);   /* a C string, or NULL */
void pcs_copy_bin_date(pcs_copybuf_t *b, int32_t day);     /* a pcs day (pcs_date.h) */
void pcs_copy_bin_float8(pcs_copybuf_t *b, double v);
void pcs_copy_bin_bool(pcs_copybuf_t *b, bool v);
void pcs_copy_bin_int4(pcs_copybuf_t *b, int32_t v);
/* int8; returns where its 8 bytes are, for pcs_copy_bin_int8_at to set them later */
size_t pcs_copy_bin_int8(pcs_copybuf_t *b, int64_t v);
void pcs_copy_bin_int8_at(pcs_copybuf_t *b, size_t at, int64_t v);
/* One message of a COPY ... TO STDOUT (FORMAT binary) whose columns are all text, as
 * PQgetCopyData gives it (len bytes and a NUL): a 16-bit field count, then each field as a 32-bit
 * length (-1: NULL) and its bytes, in network order. The first message (*header_read false) starts
 * with the 19-byte file header (signature, flags, extension length) and the extension; the last
 * is the trailer, a count of -1. The nf fields go to f as NUL-terminated strings in place (each
 * NUL written over the first byte of the next field's length once it is read), NULL for SQL NULL.
 * 0: a row of exactly nf fields; 1: the trailer; -1: anything else (msg then partly overwritten). */
int pcs_copy_bin_split(char *msg, int len, bool *header_read, char **f, int nf);
int pcs_copy_bin_flush(PGconn *db, pcs_copybuf_t *b, pcs_err_t *err);

#endif
