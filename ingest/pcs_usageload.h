/* pcs_usageload: the usage rows of one file (a *.usage.csv feed or a Partner Center export with
 * usage), held in memory per tenant and merged into usage_packed (sql/0012) by the client, in the
 * caller's transaction. The one place where usage is merged.
 *
 * The rules are those of interfaces.md §3: rows with one key (tenant, workload, month) in the file
 * add up (saturating), a later load replaces the stored entry of a key, entries of keys the file
 * does not mention are kept, nothing is deleted. pcs_usageload_store() takes the advisory lock
 * 727004 and holds it to the end of the transaction, so two loads of one tenant (two daemons, or
 * a person's SQL that takes it) take turns and neither loses the other's rows; it reads the
 * stored rows of the file's tenants only, packs each tenant once (pcs_usage_merge) and writes them
 * with COPY: tenants new to usage_packed straight into it, the others through a temp table and one
 * UPDATE.
 *
 * Memory: 32 bytes a row plus the file's distinct tenant ids (bounded by max_file_rows), and while
 * storing the packed text of the tenants already stored. Storing packs the new tenants on a thread
 * of its own while the COPY sends what it packed. Streaming (below) adds 8 bytes per tenant stored
 * before (the table at most 4 times the file's size, unless `always`), one byte per tenant of the
 * file, and at most six chunks of 1 MiB of packed text on their way to the server. */
#ifndef PCS_USAGELOAD_H
#define PCS_USAGELOAD_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcs_err.h"

typedef struct pcs_usageload pcs_usageload_t;

/* NULL when out of memory. */
pcs_usageload_t *pcs_usageload_new(void);
/* NULL-safe; clears *pu. */
void pcs_usageload_destroy(pcs_usageload_t **pu);

/* Adds one validated row (pcs_valid.h; tenant and workload copied; month is year * 12 + month - 1;
 * amounts in cents). 0, PCS_ENOMEM, or PCS_EINVAL beyond what validated rows hold (a month past
 * INT16_MAX, unit counts beyond 32 bits, more than 65,536 workloads). */
int pcs_usageload_add(pcs_usageload_t *u, const char *tenant, size_t tenant_len, const char *workload,
                      size_t workload_len, int32_t month, int64_t acr_cents, int64_t revenue_cents, int64_t paid_units,
                      int64_t active_units);

/* Rows and distinct tenants added so far. */
size_t pcs_usageload_rows(const pcs_usageload_t *u);
size_t pcs_usageload_tenants(const pcs_usageload_t *u);

/* Storing while the file is read. A large usage feed usually comes grouped by tenant (each tenant's
 * rows one after the other): a tenant whose rows ended and who is new to usage_packed can be packed
 * and copied straight in while the caller reads on, so PostgreSQL takes the rows while the client
 * parses. pcs_usageload_stream_begin() returns 0 when usage_packed is larger than 4 times the file
 * (file_bytes), unless `always`: reading its ids would cost more than the file gains (nothing is
 * read or locked then). Otherwise it takes the usage lock, reads the ids stored (kept as 64-bit
 * hashes) and returns 1; or an error. The lock is then held to the end of the transaction, and
 * once a COPY ended (a pause) the pairs' lock too (sql/0018): a load of customers or associations
 * waits for the rest of the file. Then, as rows are added:
 *   - pcs_usageload_stream_pump() packs and sends the tenants whose rows ended, once `ready` (the
 *     caller's reader passed an eighth of the file, so that a file sorted by month, whose tenants
 *     all come back, is found out before much was sent);
 *   - a tenant met again after its rows ended stops it for the rest of the file: the tenants not
 *     sent go the usual way, and one that was sent is packed again from all its rows and updated
 *     by pcs_usageload_store(), so the stored rows are the same as without streaming;
 *   - a COPY may be open on db: pcs_usageload_stream_pause() ends it (the next pump opens another)
 *     before the caller uses db for anything else;
 *   - pcs_usageload_stream_end() sends the rest (ok false: gives the COPY up; the caller rolls
 *     back), before pcs_usageload_store(). */
int pcs_usageload_stream_begin(pcs_usageload_t *u, PGconn *db, unsigned long long file_bytes, bool always,
                               pcs_err_t *err);
int pcs_usageload_stream_pump(pcs_usageload_t *u, bool ready, pcs_err_t *err);
int pcs_usageload_stream_pause(pcs_usageload_t *u, pcs_err_t *err);
int pcs_usageload_stream_end(pcs_usageload_t *u, bool ok, pcs_err_t *err);

/* Merges the rows into usage_packed inside the transaction open on db, and leaves the file's
 * tenants in the temp table usage_tenants (tenant_id), dropped at commit, for the query of the
 * partners affected. 0; PCS_EIO with the server's message; PCS_EINVAL when a stored row is not
 * packed text (its tenant named); PCS_ENOMEM. With no rows it only creates usage_tenants. */
int pcs_usageload_store(pcs_usageload_t *u, PGconn *db, pcs_err_t *err);

#endif
