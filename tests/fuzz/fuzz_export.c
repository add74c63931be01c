/* libFuzzer target: the Partner Center export reader (ingest/pcs_pcexport.c) behind the CSV
 * reader: the header row is recognised (or not) and every record translated or rejected. The
 * input starts with one of the four real header rows (chosen by its first byte), so the translation
 * is reached. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_csv.h"
#include "pcs_pcexport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The header rows of the four exports as downloaded (deploy/sample/pc), read once. */
static char headers[4][4096];

static void load_headers(void)
{
    static const char *const files[] = {"CustomersAndTenants", "AzureUsage", "OfficeUsage", "TrainingCompletions"};
    for (int i = 0; i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/deploy/sample/pc/%s.csv", PCS_SOURCE_DIR, files[i]);
        FILE *f = fopen(path, "r");
        if (!f || !fgets(headers[i], sizeof headers[i], f))
            abort();
        fclose(f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!headers[0][0])
        load_headers();
    if (size < 1)
        return 0;
    /* the first byte: a real header (0-3) before the rest, or the bytes alone */
    const char *h = data[0] < 4 ? headers[data[0]] : "";
    size_t hn = strlen(h), n = hn + size - 1;
    char *buf = malloc(n + 1);
    if (!buf)
        return 0;
    memcpy(buf, h, hn);
    memcpy(buf + hn, data + 1, size - 1);
    pcs_err_t err = {0};
    pcs_csv_t *r = pcs_csv_open_mem(buf, n, 4096, &err);
    pcs_pcexport_t *x = NULL;
    pcs_csv_row_t row, out;
    if (r && pcs_csv_next(r, &row, &err) > 0 && row.status == PCS_CSV_OK &&
        pcs_pcexport_detect(&row, NULL, &x, &err) == 0 && x) {
        int ncols = row.n_fields, k = 0;
        while (pcs_csv_next(r, &row, &err) > 0 && k++ < 10000)
            if (row.status == PCS_CSV_OK && row.n_fields == ncols)
                pcs_pcexport_row(x, &row, &out);
    }
    pcs_pcexport_destroy(&x);
    pcs_csv_destroy(&r);
    free(buf);
    return 0;
}
