/* libFuzzer target: the rule-set loader and validator (scorer/engine/pcs_rules.c). */
#include <stddef.h>
#include <stdint.h>

#include "pcs_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pcs_err_t err = {0};
    pcs_rules_t *r = pcs_rules_load((const char *)data, size, &err);
    if (r)
        pcs_rules_find_cert(r, "az_admin");
    pcs_rules_destroy(&r);
    return 0;
}
