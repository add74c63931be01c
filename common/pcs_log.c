#include "pcs_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const pcs_log_level_names[] = {"debug", "info", "warn", "error", NULL};

/* see the header: the one process-wide setting, written before the loop and on SIGHUP */
static _Atomic int min_level = PCS_LOG_INFO;
static _Atomic bool to_journal = false;

/* JOURNAL_STREAM is "device:inode" of the stream systemd connected to the journal; it is only
 * ours when stderr is still that stream (a child may inherit the variable with another stderr). */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void pcs_log_setup(pcs_log_level_t level)
{
    atomic_store(&min_level, (int)level);
    atomic_store(&to_journal, stderr_is_journal());
}

bool pcs_log_enabled(pcs_log_level_t level)
{
    return (int)level >= atomic_load(&min_level);
}

void pcs_log_format(char *buf, size_t n, bool journal, pcs_log_level_t level, const char *daemon, const char *module,
                    const char *msg)
{
    /* syslog priorities: debug 7, info 6, warning 4, err 3 */
    static const int prio[] = {7, 6, 4, 3};
    if (journal) {
        snprintf(buf, n, "<%d>%s %s %s: %s", prio[level], pcs_log_level_names[level], daemon, module, msg);
        return;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%s.%03ldZ %s %s %s: %s", when, ts.tv_nsec / 1000000, pcs_log_level_names[level], daemon, module,
             msg);
}

void pcs_log(pcs_log_level_t level, const char *daemon, const char *module, const char *fmt, ...)
{
    if (!pcs_log_enabled(level))
        return;
    char msg[2048], line[2200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* one event, one line: newlines inside a message become spaces */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    pcs_log_format(line, sizeof line, atomic_load(&to_journal), level, daemon, module, msg);
    fprintf(stderr, "%s\n", line);
}
