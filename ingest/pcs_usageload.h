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
 * of its own while the COPY sends what it packed. */
#ifndef PCS_USAGELOAD_H
#define PCS_USAGELOAD_H

#include <libpq-fe.h>
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

/* Merges the rows into usage_packed inside the transaction open on db, and leaves the file's
 * tenants in the temp table usage_tenants (tenant_id), dropped at commit, for the query of the
 * partners affected. 0; PCS_EIO with the server's message; PCS_EINVAL when a stored row is not
 * packed text (its tenant named); PCS_ENOMEM. With no rows it only creates usage_tenants. */
int pcs_usageload_store(pcs_usageload_t *u, PGconn *db, pcs_err_t *err);

#endif
