#include "pcs_spool.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* What the watch knows of a name: written to and not closed yet, or complete. */
enum { WRITING = 1, COMPLETE = 2 };

struct pcs_spool {
    int fd;
    pthread_mutex_t lock;   /* the loop drains, the loader (on the thread pool) checks and forgets */
    json_t *names;          /* name -> WRITING / COMPLETE, under lock */
};

pcs_spool_t *pcs_spool_new(const char *incoming, pcs_err_t *err)
{
    pcs_spool_t *s = calloc(1, sizeof *s);
    if (!s || !(s->names = json_object())) {
        free(s);
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (s->fd < 0 || inotify_add_watch(s->fd, incoming, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
                                                            IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR) < 0) {
        pcs_err_set(err, PCS_EIO, 0, 0, "%s: cannot watch: %s", incoming, strerror(errno));
        pcs_spool_destroy(&s);
        return NULL;
    }
    return s;
}

void pcs_spool_destroy(pcs_spool_t **ps)
{
    if (!ps || !*ps)
        return;
    if ((*ps)->fd >= 0)
        close((*ps)->fd);
    pthread_mutex_destroy(&(*ps)->lock);
    json_decref((*ps)->names);
    free(*ps);
    *ps = NULL;
}

int pcs_spool_fd(const pcs_spool_t *s)
{
    return s ? s->fd : -1;
}

static void mark(pcs_spool_t *s, const char *name, int state)
{
    json_object_set_new(s->names, name, json_integer(state));
}

bool pcs_spool_drain(pcs_spool_t *s)
{
    if (!s)
        return true;
    bool maybe = false;
    /* aligned for struct inotify_event */
    char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(s->fd, buf, sizeof buf);
        if (n <= 0)
            break;
        pthread_mutex_lock(&s->lock);
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                /* events were lost: what was known may be stale, the settle time decides again */
                json_object_clear(s->names);
                maybe = true;
                continue;
            }
            if (!ev->len || !ev->name[0])
                continue;
            if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
                mark(s, ev->name, COMPLETE);
                maybe = true;
            } else if (ev->mask & (IN_CREATE | IN_MODIFY)) {
                mark(s, ev->name, WRITING);
            } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
                json_object_del(s->names, ev->name);
            }
        }
        pthread_mutex_unlock(&s->lock);
    }
    return maybe;
}

void pcs_spool_forget(pcs_spool_t *s, const char *name)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    json_object_del(s->names, name);
    pthread_mutex_unlock(&s->lock);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

pcs_spool_verdict_t pcs_spool_check(pcs_spool_t *s, const char *name, const struct stat *st, int64_t settle_ms,
                                    int64_t now_ms, char *why, size_t wsize)
{
    /* hidden and partial files are being written by someone: wait for the rename */
    if (name[0] == '.' || ends_with(name, ".tmp") || ends_with(name, ".part") ||
        S_ISDIR(st->st_mode))
        return PCS_SPOOL_SKIP;
    if (!S_ISREG(st->st_mode)) {
        snprintf(why, wsize, "not a regular file (%s): refused",
                 S_ISLNK(st->st_mode) ? "a symbolic link" : S_ISFIFO(st->st_mode) ? "a FIFO"
                 : S_ISSOCK(st->st_mode) ? "a socket" : "a device");
        return PCS_SPOOL_REFUSE;
    }
    json_int_t state = 0;
    if (s) {
        pthread_mutex_lock(&s->lock);
        state = json_integer_value(json_object_get(s->names, name));
        pthread_mutex_unlock(&s->lock);
    }
    if (state == WRITING)
        return PCS_SPOOL_WAIT;
    if (state == COMPLETE)
        return PCS_SPOOL_READY;
    int64_t mtime_ms = (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
    return now_ms - mtime_ms >= settle_ms ? PCS_SPOOL_READY : PCS_SPOOL_WAIT;
}

bool pcs_spool_same(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}
