/* pcs_words (store/): the names, units and number formats people read. */
#include <criterion/criterion.h>
#include <string.h>

#include "pcs_insight.h"
#include "pcs_rules.h"
#include "pcs_words.h"

static pcs_rules_t *rules(void)
{
    char path[4096];
    pcs_rules_t *r = pcs_rules_open(PCS_SOURCE_DIR "/rules/pcs-2026.json", path, sizeof path, NULL);
    cr_assert_not_null(r);
    return r;
}

Test(words, numbers_have_thousands_separators_and_no_trailing_zeros)
{
    char b[64];
    cr_assert_str_eq(pcs_words_number(11100, 2, b, sizeof b), "11,100");
    cr_assert_str_eq(pcs_words_number(1234567.5, 2, b, sizeof b), "1,234,567.5");
    cr_assert_str_eq(pcs_words_number(25.6127, 2, b, sizeof b), "25.61");
    cr_assert_str_eq(pcs_words_number(-15000, 2, b, sizeof b), "-15,000");
    cr_assert_str_eq(pcs_words_number(999, 2, b, sizeof b), "999");
    cr_assert_str_eq(pcs_words_number(-0.001, 2, b, sizeof b), "0");
    cr_assert_str_eq(pcs_words_points(92, b, sizeof b), "92.00");
    cr_assert_str_eq(pcs_words_points(-0.001, b, sizeof b), "0.00");
}

Test(words, amounts_carry_their_unit)
{
    char b[64];
    cr_assert_str_eq(pcs_words_amount(11100, "USD", b, sizeof b), "USD 11,100");
    cr_assert_str_eq(pcs_words_amount(-15000, "USD", b, sizeof b), "-USD 15,000");
    cr_assert_str_eq(pcs_words_amount(25.6127, "%", b, sizeof b), "25.61 %");
    cr_assert_str_eq(pcs_words_amount(1, "people", b, sizeof b), "1 person");
    cr_assert_str_eq(pcs_words_amount(3, "people", b, sizeof b), "3 people");
    cr_assert_str_eq(pcs_words_amount(1, "customers", b, sizeof b), "1 customer");
    cr_assert_str_eq(pcs_words_amount(70, "users", b, sizeof b), "70 users");
}

Test(words, partner_center_names)
{
    cr_assert_str_eq(pcs_words_area("data_ai"), "Data & AI");
    cr_assert_str_eq(pcs_words_area("digital_app_innovation"), "Digital & App Innovation");
    cr_assert_str_eq(pcs_words_metric("net_customer_adds"), "Net customer adds");
    cr_assert_str_eq(pcs_words_track("smb"), "SMB");
    cr_assert_str_eq(pcs_words_status("renewal_due"), "Renewal due");
    cr_assert_str_eq(pcs_words_area("moon"), "moon");   /* unknown ids pass through */
}

Test(words, units_of_metrics_and_parts_from_the_rule_set)
{
    pcs_rules_t *r = rules();
    cr_assert_str_eq(pcs_words_unit(r, "data_ai", "enterprise", "net_customer_adds", NULL), "customers");
    cr_assert_str_eq(pcs_words_unit(r, "data_ai", "enterprise", "intermediate_certifications", NULL), "people");
    cr_assert_str_eq(pcs_words_unit(r, "data_ai", "enterprise", "usage_growth", NULL), "%");
    cr_assert_str_eq(pcs_words_unit(r, "data_ai", "enterprise", "deployments", NULL), "workloads");
    /* Security usage growth: USD of Azure plus M365 users, so the metric has no single unit */
    cr_assert_str_eq(pcs_words_unit(r, "security", "enterprise", "usage_growth", NULL), "");
    cr_assert_str_eq(pcs_words_unit(r, "security", "enterprise", "usage_growth", "azure"), "USD");
    cr_assert_str_eq(pcs_words_unit(r, "security", "enterprise", "usage_growth", "m365"), "users");
    cr_assert_float_eq(pcs_words_full_at(r, "security", "enterprise", "usage_growth", "azure"), 25000, 1e-9);
    cr_assert_float_eq(pcs_words_full_at(r, "data_ai", "enterprise", "net_customer_adds", NULL), 3, 1e-9);
    cr_assert_str_eq(pcs_words_elig_unit(r, "data_ai", "enterprise", "net_customer_adds", NULL), "USD");
    cr_assert_str_eq(pcs_words_cert(r, "az_admin"), "Azure Administrator Associate");
    pcs_rules_destroy(&r);
}

Test(words, events_in_words)
{
    pcs_rules_t *r = rules();
    json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i, s:f, s:f, s:b}}", "event", "cert_expiring", "area",
                           "data_ai", "payload", "person_id", "ann-lee", "cert", "az_admin", "last_valid_day",
                           "2026-12-01", "days_left", 12, "total_before", 92.0, "total_after", 60.0,
                           "area_becomes_unqualified", 1);
    char *t = pcs_insight_event_text(r, ev);
    cr_assert_str_eq(t, "ann-lee's Azure Administrator Associate is valid until 2026-12-01 (12 days): Data & AI 92.00 -> "
                        "60.00, no longer qualified");
    free(t);
    json_decref(ev);
    pcs_rules_destroy(&r);
}
