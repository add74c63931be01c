/* libFuzzer target: the partner-document decoder (cli/pcs_doc.c) into the engine, then a score.
 * Whatever the bytes: an error or a result, never a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pcs_date.h"
#include "pcs_doc.h"
#include "pcs_engine.h"
#include "pcs_result_json.h"
#include "pcs_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pcs_rules_t *rules;   /* loaded once: the fuzzed input is the document */
    static pcs_engine_t *e;
    if (!rules) {
        char path[4096];
        pcs_err_t err = {0};
        rules = pcs_rules_open("pcs-2026", path, sizeof path, &err);
        if (!rules) {
            fprintf(stderr, "fuzz_doc: %s\n", err.msg);
            abort();
        }
        e = pcs_engine_new(rules);
    }
    json_t *doc = NULL;
    pcs_err_t err = {0};
    int32_t as_of;
    if (pcs_doc_parse((const char *)data, size, &doc, &err) == 0 &&
        pcs_doc_load(e, doc, (const char *)data, size, &as_of, &err) == 0) {
        pcs_score_opts_t opts = {.explain = true};
        const pcs_result_t *res = pcs_engine_score(e, as_of == PCS_DAY_NONE ? pcs_day_from_civil(2026, 11, 20) : as_of,
                                                   &opts);
        json_decref(res ? pcs_result_to_json(rules, res, true) : NULL);
    }
    json_decref(doc);
    return 0;
}
