/* pcs_result_json: the result document of interfaces.md §2 (and scoring.md §14) from an engine
 * result. Serialisation only; no I/O. */
#ifndef PCS_RESULT_JSON_H
#define PCS_RESULT_JSON_H

#include <jansson.h>

#include "pcs_engine.h"

/* A new JSON object (caller owns the reference), or NULL when out of memory. */
json_t *pcs_result_to_json(const pcs_rules_t *rules, const pcs_result_t *res, bool explain);

/* Dump flags that print rounded points as people expect (12.13, not 12.130000000000001). */
#define PCS_JSON_DUMP_FLAGS (JSON_REAL_PRECISION(15) | JSON_COMPACT)

#endif
