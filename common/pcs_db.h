/* pcs_db: PostgreSQL helpers shared by the daemons and the CLI (libpq only).
 *
 * SQL text is never built from data: every value goes through parameters or COPY. */
#ifndef PCS_DB_H
#define PCS_DB_H

#include <libpq-fe.h>

#include "pcs_err.h"

/* Connects with a libpq conninfo string ("" = the PG* environment variables). NULL on failure,
 * with the server's message in err. */
PGconn *pcs_db_connect(const char *conninfo, pcs_err_t *err);

/* Runs a parameterless command (or several, separated by ';'); 0 or PCS_EIO with the message. */
int pcs_db_exec(PGconn *db, const char *sql, pcs_err_t *err);

/* Applies the pending migrations of directory dir (files NNNN_name.sql, in order), each in its
 * own transaction, recorded in pcs_migrations. Serialised by an advisory lock, so two callers
 * never apply one migration twice. *applied receives how many were applied now. */
int pcs_db_migrate(PGconn *db, const char *dir, int *applied, pcs_err_t *err);

#endif
