/* pcs_vocab: the words are defined once, and every CHECK constraint of sql/ that lists them lists
 * exactly the same words (a migration that adds an area, or a table that forgets one, fails here). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_file.h"
#include "pcs_vocab.h"

typedef struct column_words {
    const char *column;
    const char *const *ids;
    int found;                 /* CHECK constraints seen for the column */
} column_words_t;

/* Every "CHECK (col IN ('a', 'b', ...))" of the text: the words compared with the table. */
static void check_text(const char *file, const char *sql, column_words_t *cw)
{
    char pat[96];
    snprintf(pat, sizeof pat, "CHECK (%s IN (", cw->column);
    for (const char *p = strstr(sql, pat); p; p = strstr(p + 1, pat)) {
        cw->found++;
        const char *q = p + strlen(pat);
        int n = 0;
        while (*q && *q != ')') {
            if (*q == '\'') {
                const char *e = strchr(q + 1, '\'');
                cr_assert_not_null(e, "%s: unterminated word in %s", file, pat);
                char word[64];
                snprintf(word, sizeof word, "%.*s", (int)(e - q - 1), q + 1);
                cr_expect_geq(pcs_vocab_index(cw->ids, word), 0, "%s: %s lists '%s', which pcs_vocab does not know",
                              file, cw->column, word);
                n++;
                q = e + 1;
            } else {
                q++;
            }
        }
        int want = 0;
        while (cw->ids[want])
            want++;
        cr_expect_eq(n, want, "%s: CHECK on %s lists %d words, pcs_vocab has %d", file, cw->column, n, want);
    }
}

Test(vocab, sql_check_constraints_list_the_same_words)
{
    column_words_t cols[] = {
        {"area", pcs_area_ids, 0},     {"association_type", pcs_assoc_type_ids, 0}, {"track", pcs_track_ids, 0},
        {"status", pcs_status_ids, 0}, {"severity", pcs_severity_ids, 0},
    };
    DIR *d = opendir(PCS_SOURCE_DIR "/sql");
    cr_assert_not_null(d);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".sql") != 0)
            continue;
        char path[512], *text = NULL;
        size_t len;
        snprintf(path, sizeof path, "%s/sql/%s", PCS_SOURCE_DIR, de->d_name);
        cr_assert_eq(pcs_file_read(path, 1u << 24, &text, &len, NULL), 0, "%s", path);
        for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
            check_text(de->d_name, text, &cols[i]);
        free(text);
        files++;
    }
    closedir(d);
    cr_expect_gt(files, 3);
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        cr_expect_gt(cols[i].found, 0, "no CHECK constraint on %s found: the parser or the schema changed", cols[i].column);
}

Test(vocab, tables_match_their_enums_and_lookups)
{
    cr_expect_str_eq(pcs_area_ids[PCS_AREA_N - 1], "security");
    cr_expect_null(pcs_area_ids[PCS_AREA_N]);
    cr_expect_null(pcs_track_ids[PCS_TRACK_N]);
    cr_expect_null(pcs_metric_ids[PCS_METRIC_N]);
    cr_expect_null(pcs_assoc_type_ids[PCS_AT_N]);
    cr_expect_null(pcs_status_ids[PCS_ST_N]);
    cr_expect_null(pcs_event_ids[PCS_EV_N]);
    cr_expect_null(pcs_severity_ids[PCS_SEV_N]);
    cr_expect_null(pcs_fact_event_ids[PCS_FE_N]);
    cr_expect_eq(pcs_vocab_index(pcs_fact_event_ids, "association.upserted"), PCS_FE_ASSOCIATION_UPSERTED);
    cr_expect_eq(pcs_area_index("modern_work"), 4);
    cr_expect_eq(pcs_assoc_type_index("CSP_T2"), PCS_AT_CSP_T2);
    cr_expect_eq(pcs_severity_index("critical"), PCS_SEV_CRITICAL);
    cr_expect_eq(pcs_area_index("Data_AI"), -1, "case-sensitive");
    cr_expect_eq(pcs_vocab_index(pcs_track_ids, NULL), -1);
}
