/* pcs_err: the one error convention of pcs.
 *
 * Fallible functions return 0 on success or a negative PCS_E* code (the same code they put in
 * err->code), and fill an optional pcs_err_t with a message a person can act on and, apart from
 * it, the position: line and column are fields, never text to parse back, so a caller prints
 * "usage.csv:812:4: acr_usd: not a number: '12,5'" from file, err.line, err.column and err.msg.
 * Code decides on err->code (or the return value), never on the words of err->msg. A NULL
 * pcs_err_t is allowed everywhere. */
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
    PCS_EEXIST = -6,   /* a unique key is taken already (SQLSTATE 23505) */
    PCS_ECANCELED = -7, /* stopped on request (SIGTERM): nothing was wrong with the input */
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
