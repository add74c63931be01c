/* pcs_log: one line per event on stderr, "LEVEL daemon module: message" (journald-friendly). */
#ifndef PCS_LOG_H
#define PCS_LOG_H

typedef enum { PCS_LOG_DEBUG, PCS_LOG_INFO, PCS_LOG_WARN, PCS_LOG_ERROR } pcs_log_level_t;

void pcs_log(pcs_log_level_t level, const char *daemon, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
