#include <criterion/criterion.h>

#include "pcs_date.h"

Test(date, round_trips_days_and_months)
{
    int32_t d;
    char buf[11], mb[8];
    cr_assert_eq(pcs_day_parse("2025-07-10", &d), 0);
    cr_assert_str_eq(pcs_day_format(d, buf), "2025-07-10");
    cr_assert_eq(pcs_month_of_day(d), 2025 * 12 + 6);
    cr_assert_str_eq(pcs_month_format(pcs_month_of_day(d) - 1, mb), "2025-06");
    cr_assert_str_eq(pcs_day_format(pcs_month_first_day(2024 * 12 + 1), buf), "2024-02-01");
    cr_assert_str_eq(pcs_day_format(pcs_month_last_day(2024 * 12 + 1), buf), "2024-02-29");
    cr_assert_str_eq(pcs_day_format(pcs_month_last_day(2023 * 12 + 1), buf), "2023-02-28");
    cr_assert_eq(pcs_day_from_civil(1970, 1, 1), 0);
}

Test(date, rejects_impossible_and_malformed_dates)
{
    int32_t d;
    const char *bad[] = {"2025-02-29", "2025-13-01", "2025-00-10", "2025-1-10", "25-01-10", "2025-01-10x",
                         "2025/01/10", "", "abcd-ef-gh", "2025-04-31"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_lt(pcs_day_parse(bad[i], &d), 0, "%s accepted", bad[i]);
    cr_assert_eq(pcs_day_parse("2024-02-29", &d), 0);
    int32_t m;
    cr_expect_lt(pcs_month_parse("2025-13", &m), 0);
    cr_expect_lt(pcs_month_parse("2025-6", &m), 0);
    cr_assert_eq(pcs_month_parse("2025-06", &m), 0);
    cr_assert_eq(m, 2025 * 12 + 5);
}
