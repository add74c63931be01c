#include "pcs_date.h"

#include "pcs_err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian. */
int32_t pcs_day_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void pcs_day_to_civil(int32_t day, int *y, int *m, int *d)
{
    int z = day + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const int doe = z - era * 146097;
    const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int pcs_day_parse(const char *s, int32_t *out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return PCS_EINVAL;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return PCS_EINVAL;
    *out = pcs_day_from_civil(y, m, d);
    return 0;
}

int pcs_month_parse(const char *s, int32_t *out)
{
    if (!s || strlen(s) != 7 || s[4] != '-')
        return PCS_EINVAL;
    int y = digits(s, 4), m = digits(s + 5, 2);
    if (y < 1900 || m < 1 || m > 12)
        return PCS_EINVAL;
    *out = y * 12 + m - 1;
    return 0;
}

/* v as n decimal digits (zero-padded) at out; a result document formats ~30 days (snprintf took
 * 4 % of writing it). */
static char *put_digits(char *out, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
    return out + n;
}

char *pcs_day_format(int32_t day, char buf[static 11])
{
    int y, m, d;
    pcs_day_to_civil(day, &y, &m, &d);
    unsigned uy = (unsigned)(y % 10000 + 10000) % 10000u, um = (unsigned)m % 100u, ud = (unsigned)d % 100u;
    char *p = put_digits(buf, uy, 4);
    *p++ = '-';
    p = put_digits(p, um, 2);
    *p++ = '-';
    *put_digits(p, ud, 2) = '\0';
    return buf;
}

char *pcs_month_format(int32_t month, char buf[static 8])
{
    unsigned y = (unsigned)((month / 12) % 10000 + 10000) % 10000u, m = (unsigned)(month % 12 + 12) % 12u + 1u;
    char *p = put_digits(buf, y, 4);
    *p++ = '-';
    *put_digits(p, m, 2) = '\0';
    return buf;
}

int32_t pcs_month_of_day(int32_t day)
{
    int y, m, d;
    pcs_day_to_civil(day, &y, &m, &d);
    return y * 12 + m - 1;
}

int32_t pcs_month_first_day(int32_t month)
{
    return pcs_day_from_civil(month / 12, month % 12 + 1, 1);
}

int32_t pcs_month_last_day(int32_t month)
{
    return pcs_month_first_day(month + 1) - 1;
}

int32_t pcs_day_add_years(int32_t day, int years)
{
    int y, m, d;
    pcs_day_to_civil(day, &y, &m, &d);
    y += years;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return pcs_day_from_civil(y, m, m == 2 && d == 29 && !leap ? 28 : d);
}

int32_t pcs_day_today_utc(void)
{
    return (int32_t)(time(NULL) / 86400);
}
