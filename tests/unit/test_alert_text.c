/* pcs_alert_text: the summary and what-to-do lines of alerts, from real payloads of the golden
 * cases (tests/data/CASE/expected.json), with day counts relative to the stack's today. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_alert_text.h"
#include "pcs_date.h"
#include "pcs_rules.h"

static pcs_rules_t *rules_2026(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/rules/pcs-2026.json", PCS_SOURCE_DIR);
    char p2[4096];
    pcs_rules_t *r = pcs_rules_open(path, p2, sizeof p2, NULL);
    cr_assert_not_null(r);
    return r;
}

static int32_t day(const char *s)
{
    int32_t d;
    cr_assert_eq(pcs_day_parse(s, &d), 0);
    return d;
}

/* builds the words of (event, area, payload) as of as_of seen on today */
static void words(const char *event, const char *area, const char *payload, const char *as_of, const char *today,
                  int resolved, char **s, char **a)
{
    pcs_rules_t *r = rules_2026();
    json_t *p = json_loads(payload, 0, NULL);
    cr_assert_not_null(p);
    pcs_alert_text_in_t in = {event, area, p, day(as_of), day(today), r};
    cr_assert_eq(pcs_alert_text_build(&in, resolved, s, a), 0);
    json_decref(p);
    pcs_rules_destroy(&r);
}

Test(alert_text, cert_expiring_names_the_certification_and_counts_days_from_today)
{
    char *s, *a;
    words("cert_expiring", "data_ai",
          "{\"person_id\":\"Ann Lee\",\"cert\":\"az_admin\",\"last_valid_day\":\"2026-12-01\",\"days_left\":12,"
          "\"metric\":\"intermediate_certifications\",\"points_before\":32,\"points_after\":0,\"total_before\":92,"
          "\"total_after\":60,\"area_becomes_unqualified\":true}",
          "2026-11-20", "2026-11-20", 0, &s, &a);
    cr_assert_str_eq(s, "Renew Azure Administrator Associate of Ann Lee (expires 2026-12-01, 12 days): Data & AI drops "
                        "from 92 to 60 and stops qualifying.");
    cr_assert_str_eq(a, "Ask Ann Lee to renew Azure Administrator Associate before 2026-12-01; otherwise intermediate "
                        "certifications lose 32 points.");
    free(s);
    free(a);
    /* the same alert read five days later: the count is the stack's, not the result's */
    words("cert_expiring", "data_ai",
          "{\"person_id\":\"P2\",\"cert\":\"az_admin\",\"last_valid_day\":\"2026-12-01\",\"days_left\":12,"
          "\"metric\":\"intermediate_certifications\",\"points_before\":32,\"points_after\":0,\"total_before\":72.1323529,"
          "\"total_after\":40.1323529,\"area_becomes_unqualified\":false}",
          "2026-11-20", "2026-11-25", 0, &s, &a);
    cr_assert_str_eq(s, "Renew Azure Administrator Associate of P2 (expires 2026-12-01, 7 days): Data & AI drops from "
                        "72.13 to 40.13.");
    free(s);
    free(a);
}

Test(alert_text, resolved_says_so_and_that_nothing_is_left_to_do)
{
    char *s, *a;
    words("near_threshold", "security",
          "{\"total\":62.7333333,\"gap\":7.2666667,\"headroom\":{\"net_customer_adds\":12,\"intermediate_certifications\":8,"
          "\"usage_growth\":3.9333333,\"deployments\":13.3333333},\"zero_metrics\":[]}",
          "2025-07-20", "2025-07-20", 1, &s, &a);
    cr_assert_str_eq(s, "Resolved: Security is 7.27 points short of qualifying (62.73 of 70).");
    cr_assert_str_eq(a, "Nothing to do: the latest settled score no longer raises this alert.");
    free(s);
    free(a);
    words("near_threshold", "security",
          "{\"total\":62.7333333,\"gap\":7.2666667,\"headroom\":{\"net_customer_adds\":12,\"intermediate_certifications\":8,"
          "\"usage_growth\":3.9333333,\"deployments\":13.3333333},\"zero_metrics\":[]}",
          "2025-07-20", "2025-07-20", 0, &s, &a);
    cr_assert_str_eq(a, "Most room to gain: deployments (up to +13.33), net customer adds (up to +12).");
    free(s);
    free(a);
}

Test(alert_text, renewal_and_risk_count_days_to_the_anniversary)
{
    char *s, *a;
    words("renewal_reminder", "security",
          "{\"anniversary\":\"2025-09-15\",\"days_left\":57,\"threshold\":60,\"window\":{\"start\":\"2025-04-01\","
          "\"end\":\"2025-09-30\"},\"total\":62.7333333}",
          "2025-07-20", "2025-07-20", 0, &s, &a);
    cr_assert_str_eq(s, "Security designation renews on 2025-09-15 (57 days) and has not qualified in its renewal window "
                        "(score 62.73).");
    cr_assert_str_eq(a, "Bring Security to 70 before 2025-09-30 to renew the designation.");
    free(s);
    free(a);
    words("designation_at_risk", "security",
          "{\"anniversary\":\"2025-09-15\",\"days_left\":57,\"total\":62.7333333,\"reasons\":[\"below_70\"]}", "2025-07-20",
          "2025-09-14", 0, &s, &a);
    cr_assert_str_eq(s, "Security designation is at risk: it renews on 2025-09-15 (1 day) and scores 62.73, below 70.");
    free(s);
    free(a);
}

Test(alert_text, every_event_has_words_and_ids_cannot_inject_lines)
{
    static const char *const cases[][3] = {
        {"metric_zero_blocking", "data_ai", "{\"metrics\":[{\"metric\":\"deployments\",\"units\":0}]}"},
        {"nca_at_risk", "data_ai",
         "{\"units_now\":2,\"points_now\":20,\"projected_units\":1,\"projected_points\":10,\"tenants\":[{\"tenant_id\":"
         "\"T3\\r\\nX-Evil: 1\",\"reason\":\"enters_comparison_window\"}],\"total_before\":72.13,\"total_after\":62.13,"
         "\"area_becomes_unqualified\":true}"},
        {"other_track_qualifies", "modern_work",
         "{\"track\":\"enterprise\",\"total\":75,\"other_track\":\"smb\",\"other_total\":70.9,\"blocking_metrics\":"
         "[\"deployments\"]}"},
        {"certs_expiring_combined", "infrastructure",
         "{\"certs\":[{\"person_id\":\"P2\",\"cert\":\"az_admin\",\"days_left\":23},{\"person_id\":\"P5\",\"cert\":"
         "\"az_architect\",\"days_left\":54}],\"total_before\":52.13,\"total_after\":40.13,\"area_becomes_unqualified\":false}"},
        {"newly_qualified", "security", "{\"score\":70.73,\"track\":\"smb\",\"status\":\"qualified\"}"},
        {"something_new", "security", "{}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s, *a;
        words(cases[i][0], cases[i][1], cases[i][2], "2025-07-10", "2025-07-10", 0, &s, &a);
        cr_assert(strlen(s) > 10 && strlen(a) > 10, "%s: '%s' / '%s'", cases[i][0], s, a);
        cr_assert(!strpbrk(s, "\r\n") && !strpbrk(a, "\r\n"), "%s: a control character got through", cases[i][0]);
        free(s);
        free(a);
    }
    char *s, *a;
    words("certs_expiring_combined", "infrastructure", cases[3][2], "2025-07-10", "2025-07-10", 0, &s, &a);
    cr_assert_str_eq(s, "Renew 2 certifications expiring within 60 days (Azure Administrator Associate of P2, 23 days; "
                        "Azure Solutions Architect Expert of P5, 54 days): together Infrastructure drops from 52.13 to 40.13.");
    cr_assert_str_eq(a, "Renew them, the first before 2025-08-01; each one renewed limits the drop.");
    free(s);
    free(a);
}
