/* golden: scores tests/data/<case>/input.json in-process (document decoder, engine, result
 * serialisation: everything `pcs score` does but the process) and checks expected.json by
 * containment. One ctest entry per case; the valgrind build runs the same binary.
 *
 * usage: golden RULES_DIR CASE_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonmatch.h"
#include "pcs_date.h"
#include "pcs_doc.h"
#include "pcs_file.h"
#include "pcs_result_json.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: golden RULES_DIR CASE_DIR\n");
        return 2;
    }
    char path[4096], args[1024] = "", *text = NULL, *rtext = NULL, *xtext = NULL;
    size_t len, rlen, xlen;
    pcs_err_t err = {0};
    int rc = 1;
    json_t *doc = NULL, *expected = NULL, *actual = NULL;
    pcs_rules_t *rules = NULL;
    pcs_engine_t *e = NULL;

    snprintf(path, sizeof path, "%s/args", argv[2]);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(args, sizeof args, f))
            args[0] = '\0';
        fclose(f);
    }
    const char *rules_name = "pcs-2026", *area = NULL, *as_of = NULL;
    bool explain = false;
    char *save = NULL;
    for (char *tok = strtok_r(args, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (strcmp(tok, "--explain") == 0)
            explain = true;
        else if (strcmp(tok, "--rules") == 0)
            rules_name = strtok_r(NULL, " \t\r\n", &save);
        else if (strcmp(tok, "--area") == 0)
            area = strtok_r(NULL, " \t\r\n", &save);
        else if (strcmp(tok, "--as-of") == 0)
            as_of = strtok_r(NULL, " \t\r\n", &save);
        else {
            fprintf(stderr, "%s: unknown argument '%s'\n", path, tok);
            goto out;
        }
    }
    snprintf(path, sizeof path, "%s/%s.json", argv[1], rules_name ? rules_name : "?");
    if (pcs_file_read(path, 1u << 26, &rtext, &rlen, &err) < 0 || !(rules = pcs_rules_load(rtext, rlen, &err))) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column, err.msg);
        goto out;
    }
    snprintf(path, sizeof path, "%s/input.json", argv[2]);
    if (pcs_file_read(path, 1u << 28, &text, &len, &err) < 0 || pcs_doc_parse(text, len, &doc, &err) < 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column, err.msg);
        goto out;
    }
    e = pcs_engine_new(rules);
    int32_t d;
    if (!e || pcs_doc_load(e, doc, text, len, &d, &err) < 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column, err.msg);
        goto out;
    }
    if (as_of && pcs_day_parse(as_of, &d) < 0) {
        fprintf(stderr, "bad --as-of\n");
        goto out;
    }
    pcs_score_opts_t opts = {.explain = explain};
    if (area)
        opts.area_mask = 1u << pcs_area_index(area);
    const pcs_result_t *res = pcs_engine_score(e, d, &opts);
    actual = res ? pcs_result_to_json(rules, res, explain) : NULL;
    snprintf(path, sizeof path, "%s/expected.json", argv[2]);
    json_error_t je;
    if (pcs_file_read(path, 1u << 26, &xtext, &xlen, &err) < 0 || !(expected = json_loadb(xtext, xlen, 0, &je)) ||
        !actual) {
        fprintf(stderr, "%s: cannot load expected or score\n", path);
        goto out;
    }
    char why[2048];
    if (jsonmatch(expected, actual, why, sizeof why) < 0) {
        char *dump = json_dumps(actual, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
        fprintf(stderr, "MISMATCH %s\n%s\n--- actual ---\n%s\n", argv[2], why, dump ? dump : "");
        free(dump);
        goto out;
    }
    printf("ok %s\n", argv[2]);
    rc = 0;
out:
    json_decref(doc);
    json_decref(expected);
    json_decref(actual);
    pcs_engine_destroy(&e);
    pcs_rules_destroy(&rules);
    free(text);
    free(rtext);
    free(xtext);
    return rc;
}
