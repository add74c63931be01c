/* pcs_err: the one error convention of pcs.
 *
 * Fallible functions return 0 on success or a negative PCS_E* code, and fill an optional
 * pcs_err_t with a message a person can act on, e.g.
 * "usage.csv:812:4: acr_usd: not a number: '12,5'". A NULL pcs_err_t is allowed everywhere. */
#ifndef PCS_ERR_H
#define PCS_ERR_H

#include <stddef.h>

enum {
    PCS_OK = 0,
    PCS_EINVAL = -1,   /* bad input: a person must fix a file or an argument */
    PCS_ENOMEM = -2,   /* out of memory */
    PCS_EIO = -3,      /* a file or socket could not be read or written */
    PCS_ELIMIT = -4,   /* input beyond a documented limit */
    PCS_ENOTFOUND = -5, /* what was asked for (a partner, a stored result) does not exist */
};

typedef struct pcs_err {
    int code;
    int line;          /* 1-based, 0 when unknown */
    int column;        /* 1-based, 0 when unknown */
    char msg[512];     /* reason, without file or position */
} pcs_err_t;

/* Sets code, position and a printf-style reason; returns code so callers can `return pcs_err_set(...)`. */
int pcs_err_set(pcs_err_t *err, int code, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Clears err (NULL-safe). */
void pcs_err_clear(pcs_err_t *err);

#endif
