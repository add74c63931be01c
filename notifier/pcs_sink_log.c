/* The log sink: each notification as one JSON line on stderr (journald keeps it under systemd). */
#include <stdio.h>

#include "pcs_sink.h"

typedef struct log_cfg {
    pcs_route_t route;
} log_cfg_t;

static const pcs_cfg_key_t keys[] = {PCS_ROUTE_KEYS("log", "info", "true", "1", "1000", "5000")};

static bool enabled(const void *cfg)
{
    (void)cfg;
    return true;
}

static int deliver(const pcs_sink_ctx_t *ctx, const pcs_notice_t *m, pcs_xfer_done_fn done, void *ud)
{
    (void)ctx;
    int ok = fprintf(stderr, "%s\n", m->json) > 0 && fflush(stderr) == 0;
    done(ud, ok ? 0 : -1, ok ? "" : "stderr: write failed");
    return 0;
}

const pcs_sink_def_t pcs_sink_log = {"log", keys, (int)(sizeof keys / sizeof *keys), enabled, NULL, deliver};
