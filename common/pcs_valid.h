/* pcs_valid: what the edge accepts (issue 18.9 and 18.14). Every feed row and every event goes
 * through these rules before it becomes a fact; a value that breaks one is a rejected row whose
 * reason names the rule (and quotes the value escaped, pcs_text.h).
 *
 * Ids (partner_id, tenant_id, customer_id, person_id): 1 to 128 characters of
 *   A-Z a-z 0-9 . _ - @ + : /  starting with a letter or a digit, without "..". No spaces, no
 *   control characters: an id may end up in an HTTP header or a terminal (and, being neither
 *   absolute nor holding "..", it cannot climb out of a directory).
 * Workloads (scoring.md §10): "*", or family/slug or family/"*" with family azure, m365 or
 *   bizapps and a slug of 1 to 64 characters a-z 0-9 _.
 * Free text (customer_name, certification, an event's envelope id): printable UTF-8
 *   (pcs_text_is_printable), at most 200 bytes.
 * Months of usage: 2000-01 up to the month after the current one (usage of later months cannot
 *   exist yet).
 * Dates: 2000-01-01 to 2100-12-31; a certification is earned no later than tomorrow (UTC) and
 *   expires no earlier than it was earned.
 * Amounts: acr_usd and revenue_usd within +-100,000,000,000 USD a row (negative amounts are
 *   credits and are kept, scoring.md §1.1); unit counts up to 1,000,000,000 (negative counts become
 *   0, scoring.md §1.1). */
#ifndef PCS_VALID_H
#define PCS_VALID_H

#include <stddef.h>
#include <stdint.h>

#define PCS_VALID_ID_MAX 128
#define PCS_VALID_TEXT_MAX 200
#define PCS_VALID_MONEY_MAX 1e11
#define PCS_VALID_UNITS_MAX 1e9

/* Each returns 0, or PCS_EINVAL with "field: reason naming the rule: 'value'" in why. */
int pcs_valid_id(const char *field, const char *s, size_t n, char *why, size_t wsize);
int pcs_valid_workload(const char *field, const char *s, size_t n, char *why, size_t wsize);
int pcs_valid_text(const char *field, const char *s, size_t n, char *why, size_t wsize);
/* month as pcs_month_parse() gives it; today a day number (pcs_day_today_utc()) */
int pcs_valid_month(const char *field, int32_t month, int32_t today, char *why, size_t wsize);
int pcs_valid_day(const char *field, int32_t day, char *why, size_t wsize);
/* earned <= today + 1 and, when expires is not PCS_DAY_NONE, expires >= earned */
int pcs_valid_cert_dates(int32_t earned, int32_t expires, int32_t today, char *why, size_t wsize);

#endif
