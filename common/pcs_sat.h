/* pcs_sat: int64 sums and products that saturate at the int64 range instead of wrapping, for money
 * (cents) and unit counts. Shared by the engine's cells and the packed usage of pcs_usage.c. */
#ifndef PCS_SAT_H
#define PCS_SAT_H

#include <stdint.h>

/* Money (cents) and unit sums saturate at the int64 range instead of wrapping: a row is at most
 * 10^15 cents, but a partner may have enough rows that their sum leaves it (issue 18.7). Below
 * the limits these are plain + and *, so results do not change. */
static inline int64_t pcs_sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

static inline int64_t pcs_sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_sub_overflow(a, b, &r) ? (b < 0 ? INT64_MAX : INT64_MIN) : r;
}

static inline int64_t pcs_sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? ((a < 0) != (b < 0) ? INT64_MIN : INT64_MAX) : r;
}

#endif
