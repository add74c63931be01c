#include "pcs_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pcs_log(pcs_log_level_t level, const char *daemon, const char *module, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* one event, one line: newlines inside a message become spaces */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "%s %s %s: %s\n", names[level], daemon, module, msg);
}
