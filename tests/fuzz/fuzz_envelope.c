/* libFuzzer target: the message envelope (proto/) and the event validation of pcs-ingest
 * (ingest/pcs_events.c, the ids and plausibility rules of common/pcs_valid.c). */
#include <stddef.h>
#include <stdint.h>

#include "pcs_envelope.h"
#include "pcs_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pcs_envelope_t env = {0};
    pcs_err_t err = {0};
    if (pcs_envelope_decode((const char *)data, size, &env, &err) == 0)
        pcs_events_validate(&env, &err);
    pcs_envelope_clear(&env);
    return 0;
}
