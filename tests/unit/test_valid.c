/* The edge's rules (pcs_valid.h) and the escaping of untrusted text (pcs_text.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_text.h"
#include "pcs_valid.h"

static int id(const char *s)
{
    char why[300];
    return pcs_valid_id("partner_id", s, strlen(s), why, sizeof why);
}

static int wl(const char *s)
{
    char why[300];
    return pcs_valid_workload("workload", s, strlen(s), why, sizeof why);
}

Test(valid, ids)
{
    cr_assert_eq(id("4711"), 0);
    cr_assert_eq(id("contoso-ex2-T1"), 0);
    cr_assert_eq(id("john.roe@adatum.com"), 0);
    cr_assert_eq(id("3f2a8c1e-6b1d-4c5e-9a7b-1d2e3f4a5b6c"), 0);
    cr_assert_neq(id(""), 0);
    cr_assert_neq(id("a\r\nX-Injected: 1"), 0);
    cr_assert_neq(id("../x"), 0);
    cr_assert_neq(id(".hidden"), 0);
    cr_assert_neq(id("-rf"), 0);
    cr_assert_neq(id("a b"), 0);
    cr_assert_eq(id("case1/T1"), 0);
    cr_assert_neq(id("a/../b"), 0);
    cr_assert_neq(id("/etc"), 0);
    char big[200];
    memset(big, 'a', sizeof big);
    char why[300];
    cr_assert_eq(pcs_valid_id("x", big, 128, why, sizeof why), 0);
    cr_assert_neq(pcs_valid_id("x", big, 129, why, sizeof why), 0);
    /* a NUL inside the counted bytes is no id character either */
    cr_assert_neq(pcs_valid_id("x", "ab\0c", 4, why, sizeof why), 0);
}

Test(valid, reason_names_the_rule_and_escapes_the_value)
{
    char why[300];
    cr_assert_neq(pcs_valid_id("partner_id", "a\r\nb", 4, why, sizeof why), 0);
    cr_assert_str_eq(why, "partner_id: not an id (1 to 128 characters A-Z a-z 0-9 . _ - @ + : /, the first a letter "
                          "or digit, no '..'): 'a\\r\\nb'");
}

Test(valid, workloads)
{
    cr_assert_eq(wl("*"), 0);
    cr_assert_eq(wl("azure/*"), 0);
    cr_assert_eq(wl("azure/sql_database"), 0);
    cr_assert_eq(wl("m365/defender_office365"), 0);
    cr_assert_eq(wl("bizapps/sales"), 0);
    cr_assert_neq(wl("../../etc/passwd"), 0);
    cr_assert_neq(wl("azure/"), 0);
    cr_assert_neq(wl("azure/SQL"), 0);
    cr_assert_neq(wl("azure/a/b"), 0);
    cr_assert_neq(wl("gcp/compute"), 0);
    cr_assert_neq(wl("azure/storage\n"), 0);
}

Test(valid, text)
{
    char why[300];
    cr_assert_eq(pcs_valid_text("customer_name", "Fabrikam, Inc. \xc3\xa9", 17, why, sizeof why), 0);
    cr_assert_neq(pcs_valid_text("customer_name", "a\x1b[31m", 6, why, sizeof why), 0);
    cr_assert_neq(pcs_valid_text("customer_name", "a\xc2\x9b", 3, why, sizeof why), 0, "a C1 control");
    cr_assert_neq(pcs_valid_text("customer_name", "a\xff", 2, why, sizeof why), 0);
}

Test(valid, dates_and_months)
{
    char why[300];
    int32_t today = pcs_day_from_civil(2026, 11, 20), m;
    pcs_month_parse("2026-12", &m);
    cr_assert_eq(pcs_valid_month("month", m, today, why, sizeof why), 0, "next month is fine");
    pcs_month_parse("2027-01", &m);
    cr_assert_neq(pcs_valid_month("month", m, today, why, sizeof why), 0);
    pcs_month_parse("9999-12", &m);
    cr_assert_neq(pcs_valid_month("month", m, today, why, sizeof why), 0);
    cr_assert_str_eq(why, "month: 9999-12 is implausible (months from 2000-01 to 2026-12, the month after the current one)");
    pcs_month_parse("1999-12", &m);
    cr_assert_neq(pcs_valid_month("month", m, today, why, sizeof why), 0);
    /* another day, then the first again: the month after each is its own (the last one is memoised) */
    pcs_month_parse("2027-02", &m);
    cr_assert_eq(pcs_valid_month("month", m, pcs_day_from_civil(2027, 1, 31), why, sizeof why), 0);
    cr_assert_neq(pcs_valid_month("month", m, today, why, sizeof why), 0);
    cr_assert_eq(pcs_valid_month("month", m, pcs_day_from_civil(2027, 1, 1), why, sizeof why), 0);
    cr_assert_neq(pcs_valid_month("month", m, pcs_day_from_civil(2026, 12, 31), why, sizeof why), 0);
    cr_assert_eq(pcs_valid_day("start_date", pcs_day_from_civil(2100, 12, 31), why, sizeof why), 0);
    cr_assert_neq(pcs_valid_day("start_date", pcs_day_from_civil(2101, 1, 1), why, sizeof why), 0);
    cr_assert_eq(pcs_valid_cert_dates(today, PCS_DAY_NONE, today, why, sizeof why), 0);
    cr_assert_eq(pcs_valid_cert_dates(today - 5, today - 5, today, why, sizeof why), 0);
    cr_assert_neq(pcs_valid_cert_dates(today - 5, today - 6, today, why, sizeof why), 0);
    cr_assert_neq(pcs_valid_cert_dates(today + 2, PCS_DAY_NONE, today, why, sizeof why), 0);
}

Test(text, escape)
{
    char out[64];
    pcs_text_escape("a\r\n\t\x1b[0m\\\x7f\xc3\xa9\xff", 13, out, sizeof out);
    cr_assert_str_eq(out, "a\\r\\n\\t\\x1B[0m\\\\x7F\xc3\xa9\\xFF");
    /* cut at a boundary: never half an escape */
    cr_assert_eq(pcs_text_escape("\x01\x02", 2, out, 7), 4);
    cr_assert_str_eq(out, "\\x01");
    char *d = pcs_text_escape_dup("\x01\x01\x01", 3);
    cr_assert_str_eq(d, "\\x01\\x01\\x01");
    free(d);
    cr_assert(pcs_text_is_printable("plain text \xe2\x82\xac", 14));
    cr_assert(!pcs_text_is_printable("x\n", 2));
}
