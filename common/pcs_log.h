/* pcs_log: one line per event on stderr, "LEVEL daemon module: message".
 *
 * On a terminal or a file each line starts with an RFC 3339 UTC timestamp; when stderr is the
 * journal (JOURNAL_STREAM names it) the timestamp is left to journald and the line starts with
 * the syslog priority "<N>" that journald reads. Lines below the configured level (log_level in
 * each daemon's configuration; info by default) are not written, so DEBUG lines appear only when
 * asked for. Secrets are never passed to pcs_log.
 *
 * The threshold and the output style are the one piece of process-wide state in pcs (like
 * syslog's setlogmask): set once by pcs_log_setup() before the loop starts and again on SIGHUP,
 * read by every thread; writes are whole lines (one fprintf each). */
#ifndef PCS_LOG_H
#define PCS_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { PCS_LOG_DEBUG, PCS_LOG_INFO, PCS_LOG_WARN, PCS_LOG_ERROR } pcs_log_level_t;

/* The names log_level accepts, in level order ("debug", "info", "warn", "error"), NULL-terminated. */
extern const char *const pcs_log_level_names[];

void pcs_log(pcs_log_level_t level, const char *daemon, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets the threshold and detects whether stderr is the journal. */
void pcs_log_setup(pcs_log_level_t min_level);

/* Whether lines of this level are written (to skip building an expensive DEBUG message). */
bool pcs_log_enabled(pcs_log_level_t level);

/* Formats one line into buf (no newline): "<N>level daemon module: msg" for the journal,
 * "YYYY-MM-DDTHH:MM:SS.mmmZ level daemon module: msg" otherwise. */
void pcs_log_format(char *buf, size_t n, bool journal, pcs_log_level_t level, const char *daemon, const char *module,
                    const char *msg);

#endif
