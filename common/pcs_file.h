/* pcs_file: read a whole file (or standard input for "-") into memory. */
#ifndef PCS_FILE_H
#define PCS_FILE_H

#include <stddef.h>
#include "pcs_err.h"

/* On success *out is a NUL-terminated malloc'd buffer (caller frees) of *len bytes.
 * Files larger than max_bytes fail with PCS_ELIMIT. */
int pcs_file_read(const char *path, size_t max_bytes, char **out, size_t *len, pcs_err_t *err);

#endif
