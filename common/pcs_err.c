#include "pcs_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pcs_err_set(pcs_err_t *err, int code, int line, int column, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void pcs_err_clear(pcs_err_t *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
