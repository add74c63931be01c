/* pcs_spool: which files of the spool's incoming/ directory are complete (issue 18.3, 18.13).
 *
 * A feed copied straight into incoming/ (`cp big.usage.csv incoming/`) is there, growing, long
 * before it is complete. The intake watches the directory with inotify: a name that was created
 * or written to is "being written" until its writer closes it (IN_CLOSE_WRITE) or it is renamed
 * into the directory (IN_MOVED_TO, the recommended way to deliver). A file the watch knows
 * nothing about (it was there before the daemon started, or the event queue overflowed) is
 * taken as complete once its modification time is settle_ms in the past. The loader checks
 * again after loading that size and modification time did not change (pcs_load.c).
 *
 * Only regular files are loaded: anything else (a symbolic link, a FIFO, a device) is refused;
 * pcs_spool_check() says why.
 *
 * Threads: pcs_spool_drain() runs on the event loop, pcs_spool_check() and pcs_spool_forget() in
 * the loader on the thread pool; the map they share is guarded by a mutex.
 *
 * Ownership: pcs_spool_new() returns an object the caller frees with pcs_spool_destroy(); it
 * owns the inotify descriptor. Errors: pcs_spool_new() returns NULL with err filled (PCS_EIO
 * when inotify is unavailable: callers then work with settle_ms alone, passing a NULL spool). */
#ifndef PCS_SPOOL_H
#define PCS_SPOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "pcs_err.h"

typedef struct pcs_spool pcs_spool_t;

typedef enum {
    PCS_SPOOL_READY,       /* a complete regular file: load it */
    PCS_SPOOL_WAIT,        /* still being written (or not settled yet): look again later */
    PCS_SPOOL_SKIP,        /* not a feed: hidden, .tmp/.part, a directory */
    PCS_SPOOL_REFUSE,      /* not a regular file (symbolic link, FIFO, socket, device): refuse it */
} pcs_spool_verdict_t;

/* Watches directory `incoming`. */
pcs_spool_t *pcs_spool_new(const char *incoming, pcs_err_t *err);
void pcs_spool_destroy(pcs_spool_t **ps);

/* The inotify descriptor, readable when something happened in the directory; -1 for a NULL spool. */
int pcs_spool_fd(const pcs_spool_t *s);

/* Reads every pending event (non-blocking). Returns true when a file may have become complete. */
bool pcs_spool_drain(pcs_spool_t *s);

/* The verdict on directory entry `name` whose lstat() is *st (settle_ms: see above; now_ms a
 * CLOCK_REALTIME time in ms). `s` may be NULL (no inotify): then the settle time alone decides.
 * A refusal fills why (a reason for the .err report). */
pcs_spool_verdict_t pcs_spool_check(pcs_spool_t *s, const char *name, const struct stat *st, int64_t settle_ms,
                                    int64_t now_ms, char *why, size_t wsize);

/* Forgets what is known about `name` (after it left incoming/). NULL-safe. */
void pcs_spool_forget(pcs_spool_t *s, const char *name);

/* True when two fstat()s of one file show the same file with the same size and modification
 * time: a file that changed during its load must not be marked done. */
bool pcs_spool_same(const struct stat *a, const struct stat *b);

#endif
