#include "pcs_valid.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pcs_date.h"
#include "pcs_err.h"
#include "pcs_text.h"

/* "field: reason: 'value'" with the value escaped and cut */
static int bad(char *why, size_t wsize, const char *field, const char *rule, const char *s, size_t n)
{
    char shown[64];
    pcs_text_escape(s, n, shown, sizeof shown);
    snprintf(why, wsize, "%s: %s: '%s%s'", field, rule, shown, strlen(shown) < n ? "..." : "");
    return PCS_EINVAL;
}

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int pcs_valid_id(const char *field, const char *s, size_t n, char *why, size_t wsize)
{
    static const char rule[] = "not an id (1 to 128 characters A-Z a-z 0-9 . _ - @ + : /, the first a letter or digit, "
                               "no '..')";
    if (n == 0 || n > PCS_VALID_ID_MAX || !alnum(s[0]))
        return bad(why, wsize, field, rule, s, n);
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        bool punct = c == '.' || c == '_' || c == '-' || c == '@' || c == '+' || c == ':' || c == '/';
        if ((!alnum(c) && !punct) || (c == '.' && s[i - 1] == '.'))
            return bad(why, wsize, field, rule, s, n);
    }
    return 0;
}

int pcs_valid_workload(const char *field, const char *s, size_t n, char *why, size_t wsize)
{
    static const char rule[] = "not a workload id (*, or azure/, m365/ or bizapps/ and a-z 0-9 _ or *)";
    if (n == 1 && s[0] == '*')
        return 0;
    static const char *const families[] = {"azure/", "m365/", "bizapps/"};
    for (size_t f = 0; f < 3; f++) {
        size_t k = strlen(families[f]);
        if (n <= k || memcmp(s, families[f], k) != 0)
            continue;
        if (n == k + 1 && s[k] == '*')
            return 0;
        if (n - k > 64)
            break;
        for (size_t i = k; i < n; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                return bad(why, wsize, field, rule, s, n);
        return 0;
    }
    return bad(why, wsize, field, rule, s, n);
}

int pcs_valid_text(const char *field, const char *s, size_t n, char *why, size_t wsize)
{
    if (n > PCS_VALID_TEXT_MAX)
        return bad(why, wsize, field, "longer than 200 bytes", s, n);
    if (!pcs_text_is_printable(s, n))
        return bad(why, wsize, field, "control characters or invalid UTF-8 (printable text only)", s, n);
    return 0;
}

int pcs_valid_month(const char *field, int32_t month, int32_t today, char *why, size_t wsize)
{
    /* a file's rows ask with one today: its month is worked out once (3 % of a usage file's parse) */
    static _Thread_local int32_t memo_today = INT32_MIN, memo_last;
    if (today != memo_today) {
        memo_last = pcs_month_of_day(today) + 1;
        memo_today = today;
    }
    int32_t first = 2000 * 12, last = memo_last;
    if (month >= first && month <= last)
        return 0;
    char m[8], l[8];
    snprintf(why, wsize, "%s: %s is implausible (months from 2000-01 to %s, the month after the current one)", field,
             pcs_month_format(month, m), pcs_month_format(last, l));
    return PCS_EINVAL;
}

int pcs_valid_day(const char *field, int32_t day, char *why, size_t wsize)
{
    if (day >= pcs_day_from_civil(2000, 1, 1) && day <= pcs_day_from_civil(2100, 12, 31))
        return 0;
    char d[11];
    snprintf(why, wsize, "%s: %s is implausible (dates from 2000-01-01 to 2100-12-31)", field, pcs_day_format(day, d));
    return PCS_EINVAL;
}

int pcs_valid_cert_dates(int32_t earned, int32_t expires, int32_t today, char *why, size_t wsize)
{
    char a[11], b[11];
    if (earned > today + 1) {
        snprintf(why, wsize, "earned: %s is in the future (a certification is earned no later than today)",
                 pcs_day_format(earned, a));
        return PCS_EINVAL;
    }
    if (expires != PCS_DAY_NONE && expires < earned) {
        snprintf(why, wsize, "expires: %s is before earned %s", pcs_day_format(expires, a), pcs_day_format(earned, b));
        return PCS_EINVAL;
    }
    return 0;
}
