/* The file sink: each notification as one JSON line appended to file_path and fsynced. A crash
 * between the write and its record is found on the next attempt (the line is looked for by its
 * notification id before writing again): each notification is in the file exactly once. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcs_sink.h"

typedef struct file_cfg {
    pcs_route_t route;
    char path[256];
} file_cfg_t;

static const pcs_cfg_key_t keys[] = {
    PCS_ROUTE_KEYS("file", "info", "true", "8", "1000", "5000"),
    PCS_SINK_STR(file_cfg_t, "file_path", path, 0),
};

static bool enabled(const void *cfg)
{
    return ((const file_cfg_t *)cfg)->path[0] != '\0';
}

/* Whether the file already holds the line that starts with marker. */
static bool file_has(const char *path, const char *marker)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0, n = strlen(marker);
    bool found = false;
    while (!found && getline(&line, &cap, f) != -1)
        found = strncmp(line, marker, n) == 0;
    free(line);
    fclose(f);
    return found;
}

static int append(const char *path, const char *json, char *why, size_t wn)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0)
        return snprintf(why, wn, "%s: %s", path, strerror(errno)), -1;
    size_t len = strlen(json);
    char *line = malloc(len + 2);
    if (!line) {
        close(fd);
        return snprintf(why, wn, "out of memory"), -1;
    }
    memcpy(line, json, len);
    line[len] = '\n';
    ssize_t w = write(fd, line, len + 1);
    free(line);
    int rc = (w == (ssize_t)(len + 1) && fsync(fd) == 0) ? 0 : -1;
    if (rc < 0)
        snprintf(why, wn, "%s: %s", path, w < 0 ? strerror(errno) : "short write");
    close(fd);
    return rc;
}

static int deliver(const pcs_sink_ctx_t *ctx, const pcs_notice_t *m, pcs_xfer_done_fn done, void *ud)
{
    const file_cfg_t *c = ctx->cfg;
    char marker[64], why[320] = "";
    snprintf(marker, sizeof marker, "{\"notification_id\":%lld,", m->notification_id);
    int rc = m->attempt > 1 && file_has(c->path, marker) ? 0 : append(c->path, m->json, why, sizeof why);
    done(ud, rc, why);
    return 0;
}

const pcs_sink_def_t pcs_sink_file = {"file", keys, (int)(sizeof keys / sizeof *keys), enabled, NULL, deliver};
