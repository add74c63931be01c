#include "pcs_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pcs_file_read(const char *path, size_t max_bytes, char **out, size_t *len, pcs_err_t *err)
{
    int rc = PCS_OK;
    FILE *f = NULL;
    char *buf = NULL;
    size_t cap = 65536, used = 0;

    *out = NULL;
    *len = 0;
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "cannot open: %s", strerror(errno));
        goto out;
    }
    buf = malloc(cap + 1);
    if (!buf) {
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        goto out;
    }
    for (;;) {
        if (used == cap) {
            if (cap >= max_bytes) {
                rc = pcs_err_set(err, PCS_ELIMIT, 0, 0, "file larger than %zu bytes", max_bytes);
                goto out;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
                goto out;
            }
            buf = nb;
        }
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            if (ferror(f)) {
                rc = pcs_err_set(err, PCS_EIO, 0, 0, "cannot read: %s", strerror(errno));
                goto out;
            }
            break;
        }
    }
    if (used > max_bytes) {
        rc = pcs_err_set(err, PCS_ELIMIT, 0, 0, "file larger than %zu bytes", max_bytes);
        goto out;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL;
out:
    free(buf);
    if (f && f != stdin)
        fclose(f);
    return rc;
}
