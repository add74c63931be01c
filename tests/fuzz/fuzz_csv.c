/* libFuzzer target: the streaming CSV reader (ingest/pcs_csv.c) over memory, with a small
 * maximum record so the too-long and stray-quote paths are reached; every record is read. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pcs_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the first byte picks the maximum record size, the rest is the file */
    size_t max = size ? 16 + (size_t)data[0] * 8 : 64;
    pcs_err_t err = {0};
    pcs_csv_t *r = pcs_csv_open_mem(size ? data + 1 : data, size ? size - 1 : 0, max, &err);
    if (!r)
        return 0;
    pcs_csv_row_t row;
    int got, n = 0;
    while ((got = pcs_csv_next(r, &row, &err)) > 0 && n++ < 100000) {
        size_t sum = 0;
        for (int i = 0; i < row.n_fields; i++)
            sum += strlen(row.fields[i]) + row.lens[i];   /* touch every field */
        (void)sum;
        if (row.raw_len > max)
            __builtin_trap();   /* the raw text is kept to the maximum */
    }
    pcs_csv_destroy(&r);
    return 0;
}
