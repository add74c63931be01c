/* pcs_usage: a tenant's usage in the packed text of usage_packed (sql/0012_usage_packed.sql, 0024).
 *
 *   data  := FS block (RS block)*     one block per workload, workloads in byte (strcmp) order
 *   block := workload GS entry (US entry)*
 *   entry := month ',' acr_cents ',' revenue_cents ',' paid_units ',' active_units
 *
 * FS, RS, GS and US are 0x1c, 0x1e, 0x1d and 0x1f; month is year * 12 + month - 1 (pcs_date.h);
 * entries in ascending month, one per month; numbers are base-10 integers. The leading FS marks the
 * compact form written since sql/0024 (issue 13): a block's first entry holds its month, every later
 * entry the difference to the entry before it, and a difference of 1 or an amount of 0 is written as
 * nothing ("24300,1250,,," then ",1300,,," for the next month): about 40 % fewer bytes to store, copy
 * and read. Text without the FS (written before 0024) holds every month and every 0, and is read as
 * well. pcs-ingest packs (pcs_usage_pack), the scorer reads (pcs_usage_each); PostgreSQL reads both
 * forms with pcs_usage_unpack() for the `usage` view. No allocation but the packed text
 * pcs_usage_pack and pcs_usage_merge return. */
#ifndef PCS_USAGE_H
#define PCS_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "pcs_err.h"

#define PCS_USAGE_FS '\x1c'
#define PCS_USAGE_RS '\x1e'
#define PCS_USAGE_GS '\x1d'
#define PCS_USAGE_US '\x1f'

typedef struct pcs_usage_row {
    const char *workload;      /* not owned; a-z 0-9 _ / * (pcs_valid_workload) */
    int32_t month;             /* year * 12 + month - 1 */
    int64_t acr_cents, revenue_cents, paid_units, active_units;
    uint32_t block;            /* pcs_usage_each: the ordinal of the entry's workload in the text, from 0
                                * (its entries share it: a reader looks the workload up once); unread by
                                * the writers */
} pcs_usage_row_t;

/* Calls fn for each entry of the packed text data[0..n) in stored order (row->workload points at a
 * NUL-terminated copy that lives until fn returns). Returns 0, fn's non-zero return, or PCS_EINVAL
 * with err set when the text is malformed (its byte offset in err->column). */
typedef int (*pcs_usage_fn)(void *arg, const pcs_usage_row_t *row);
int pcs_usage_each(const char *data, size_t n, pcs_usage_fn fn, void *arg, pcs_err_t *err);

/* The packed text of rows[0..n) (rows with one key add up, saturating; rows[] is sorted and summed
 * in place: its content afterwards is unspecified). NULL when n is 0 or out of memory. The caller
 * frees it. */
char *pcs_usage_pack(pcs_usage_row_t *rows, size_t n);

/* A tenant's packed text after a load (interfaces.md §3): rows[0..n) (n >= 1; rows with one key
 * add up, saturating; rows[] is sorted and summed in place as by pcs_usage_pack) and the entries of
 * the stored text old[0..old_n) (old_n 0: none; in the order pcs_usage_pack writes) whose key
 * (workload, month) rows do not hold: a later load replaces the stored entry of a key, entries of
 * keys it does not mention are kept. One pass over old, no allocation but the text. Returns the
 * text (the caller frees it), or NULL with err set: PCS_EINVAL when old is malformed
 * (pcs_usage_each) or n is 0, PCS_ENOMEM. */
char *pcs_usage_merge(const char *old, size_t old_n, pcs_usage_row_t *rows, size_t n, pcs_err_t *err);

#endif
