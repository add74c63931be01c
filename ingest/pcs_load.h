/* pcs_load: one feed file into PostgreSQL in one transaction (interfaces.md §3).
 *
 * The file's SHA-256 decides whether it was loaded before (then it is skipped). Good rows go
 * through COPY into a temporary staging table and one set-based merge per kind (the restatement
 * rules of §3); bad rows are stored in rejected_rows with file, line, column, raw text and reason;
 * an outbox row names the partners affected. After COMMIT the file moves to done/; a file that
 * cannot be read at all moves to failed/ with a .err report beside it.
 *
 * Intake (issue 18.3, 18.13): only complete regular files are loaded (pcs_spool.h); a file is
 * opened once, without following a symbolic link, and a file whose size or modification time
 * changed during its load is rolled back and left in incoming/ to be loaded again once complete.
 * Limits (18.6): max_file_bytes and max_file_rows cap what one file may hold; what is beyond is
 * refused with a rejected row that says so (the rows before it load). Rejected rows are written
 * in batches as they come, so memory stays bounded whatever the number of bad rows. */
#ifndef PCS_LOAD_H
#define PCS_LOAD_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcs_db.h"
#include "pcs_spool.h"

typedef enum {
    PCS_FEED_UNKNOWN, PCS_FEED_CUSTOMERS, PCS_FEED_ASSOCIATIONS, PCS_FEED_USAGE, PCS_FEED_ENROLLMENTS,
    PCS_FEED_CERTS
} pcs_feed_kind_t;

typedef struct pcs_load_ctx {
    PGconn *db;
    const char *spool;            /* spool directory: incoming/, done/, failed/ */
    size_t max_line_bytes;
    const atomic_bool *stopping;  /* set by SIGTERM (from another thread): stop between rows and files */
    pcs_spool_t *intake;          /* which files of incoming/ are complete (NULL: settle_ms alone) */
    int64_t settle_ms;            /* a file the intake knows nothing of is complete once unchanged so long */
    unsigned long long max_file_bytes; /* per file, after decompression; the rest is refused (0: no cap) */
    long long max_file_rows;      /* records per file; the rest is refused (0: no cap) */
    unsigned long long usage_stream_bytes; /* a usage feed this large or larger is stored while read (0: every
                                           * one, whatever usage_packed holds) */
} pcs_load_ctx_t;

typedef struct pcs_load_result {
    pcs_feed_kind_t kind;
    bool duplicate, failed;
    bool changed;                 /* the file changed while it was loaded: rolled back, left in incoming/ */
    long long loaded, rejected;
    int n_months;                 /* distinct data months of a usage file (first 64) */
    int32_t months[64];
    char reason[1024];            /* why a file failed (and, for CSV, what the reader saw) */
} pcs_load_result_t;

/* Loads every file of spool/incoming (in name order). Partners and months affected are appended
 * to the arrays `partners` and `months` ("YYYY-MM"). Returns the number of files handled, or -1
 * when the database went away (the file in hand stays in incoming/ and is retried). */
int pcs_load_spool(pcs_load_ctx_t *c, json_t *partners, json_t *months);

/* Loads one file (path inside incoming/) and moves it. Returns 0, or -1 on a database failure. */
int pcs_load_file(pcs_load_ctx_t *c, const char *path, pcs_load_result_t *res, json_t *partners, json_t *months);

/* The kind from a file name (*.customers.csv, …, *.certs.jsonl, optional .gz). */
pcs_feed_kind_t pcs_load_kind_from_name(const char *name);

#endif
