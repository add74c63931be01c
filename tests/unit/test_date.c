#include <criterion/criterion.h>
#include <string.h>

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

Test(date, adds_years_keeping_the_day)
{
    char b[11];
    cr_assert_str_eq(pcs_day_format(pcs_day_add_years(pcs_day_from_civil(2025, 7, 1), 1), b), "2026-07-01");
    cr_assert_str_eq(pcs_day_format(pcs_day_add_years(pcs_day_from_civil(2024, 2, 29), 1), b), "2025-02-28");
    cr_assert_str_eq(pcs_day_format(pcs_day_add_years(pcs_day_from_civil(2024, 2, 29), 4), b), "2028-02-29");
    cr_assert_str_eq(pcs_day_format(pcs_day_add_years(pcs_day_from_civil(2023, 12, 31), 1), b), "2024-12-31");
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

#include "pcs_sha256.h"

static void hex_of(const char *s, size_t n, char out[65])
{
    pcs_sha256_t h;
    unsigned char d[32];
    pcs_sha256_init(&h);
    pcs_sha256_update(&h, s, n);
    pcs_sha256_final(&h, d);
    pcs_sha256_hex(d, out);
}

Test(sha256, known_vectors)
{
    char hex[65];
    hex_of("", 0, hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m, strlen(m), hex);
    cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* the same bytes fed in odd pieces give the same digest */
    pcs_sha256_t h;
    unsigned char d[32];
    char hex2[65];
    pcs_sha256_init(&h);
    for (size_t i = 0; i < strlen(m); i += 7)
        pcs_sha256_update(&h, m + i, strlen(m) - i < 7 ? strlen(m) - i : 7);
    pcs_sha256_final(&h, d);
    pcs_sha256_hex(d, hex2);
    cr_assert_str_eq(hex2, hex);
}

/* The SHA-NI blocks (when this CPU has them) and the portable ones agree on every length around
 * the block size and on a long input fed in uneven pieces; one million 'a' is FIPS 180-2's vector. */
Test(sha256, accelerated_matches_portable)
{
    static unsigned char buf[70000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 131 + (i >> 7));
    size_t lens[] = {0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 65536, 70000};
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
        unsigned char d[2][32];
        for (int portable = 0; portable < 2; portable++) {
            pcs_sha256_t h;
            pcs_sha256_init(&h);
            if (portable)
                h.accel = false;
            for (size_t off = 0; off < lens[li];) {
                size_t n = lens[li] - off < 300 + off % 77 ? lens[li] - off : 300 + off % 77;
                pcs_sha256_update(&h, buf + off, n);
                off += n;
            }
            pcs_sha256_final(&h, d[portable]);
        }
        cr_assert(memcmp(d[0], d[1], 32) == 0, "length %zu", lens[li]);
    }
    pcs_sha256_t h;
    unsigned char d[32];
    char hex[65];
    memset(buf, 'a', 1000);
    pcs_sha256_init(&h);
    for (int i = 0; i < 1000; i++)
        pcs_sha256_update(&h, buf, 1000);
    pcs_sha256_final(&h, d);
    pcs_sha256_hex(d, hex);
    cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
