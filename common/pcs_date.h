/* pcs_date: civil dates as day numbers and months as integers (scoring.md §2).
 *
 * A day is the number of days since 1970-01-01 (int32). A month is year*12 + month-1, so
 * "m - k" is k months earlier. Parsing is strict: exactly YYYY-MM-DD / YYYY-MM, real dates. */
#ifndef PCS_DATE_H
#define PCS_DATE_H

#include <stdbool.h>
#include <stdint.h>

#define PCS_DAY_NONE INT32_MAX   /* an open end ("null") */

int32_t pcs_day_from_civil(int y, int m, int d);
void pcs_day_to_civil(int32_t day, int *y, int *m, int *d);

/* 0 on success, PCS_EINVAL when s is not a valid date of years 1900..9999. */
int pcs_day_parse(const char *s, int32_t *out);
int pcs_month_parse(const char *s, int32_t *out);

/* buf must hold 11 (day) / 8 (month) bytes; returns buf. */
char *pcs_day_format(int32_t day, char buf[static 11]);
char *pcs_month_format(int32_t month, char buf[static 8]);

int32_t pcs_month_of_day(int32_t day);
int32_t pcs_month_first_day(int32_t month);
int32_t pcs_month_last_day(int32_t month);

/* The same day `years` later; 29 February becomes 28 February in a year without it (the default
 * expiry of a simulated certification, one year after it was earned). */
int32_t pcs_day_add_years(int32_t day, int years);

/* Today's date in UTC (scoring.md §17.14). */
int32_t pcs_day_today_utc(void);

#endif
