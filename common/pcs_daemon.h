/* pcs_daemon: the one shape of a pcs daemon's main().
 *
 *   parse args -> load and validate the config (fatal with file:line) -> init in order ->
 *   signals -> one "started" line with versions -> READY=1 -> uv_run -> tear down in reverse.
 *
 * Options every daemon has: --config FILE, --check-config FILE (validate, print "FILE: ok" and
 * exit 0, or "pcs-NAME: FILE:LINE: reason" and exit 2), --version (pcs and library versions),
 * --help. A daemon may add actions (an option that runs once after the config is loaded and
 * exits with what it returns, such as pcs-scorer --print-facts-sql DATE).
 *
 * Signals: SIGTERM or SIGINT calls the daemon's drain(), which stops taking work, commits or rolls
 * back what it holds and closes its handles, so uv_run returns; a second SIGTERM exits at once
 * (_exit: an open transaction dies with its connection). SIGHUP reads the file again: the keys
 * flagged PCS_CFG_RELOAD take their new values (log_level among them), every other changed key is
 * logged as needing a restart and keeps its running value; a file that does not load or validate
 * changes nothing.
 *
 * systemd: READY=1 after the started line, RELOADING=1 / READY=1 around a reload, STOPPING=1 on
 * the first SIGTERM, and WATCHDOG=1 from a timer at half of WATCHDOG_USEC when the unit sets
 * WatchdogSec (Type=notify, NotifyAccess=main; see deploy/systemd). Outside systemd these do
 * nothing.
 *
 * Ownership: pcs_daemon_main() owns the loop, the ZeroMQ context and the signal handles; the
 * daemon owns what its start() creates and frees it in drain()/stop(). */
#ifndef PCS_DAEMON_H
#define PCS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "pcs_config.h"
#include "pcs_err.h"
#include "pcs_log.h"

typedef struct pcs_daemon pcs_daemon_t;

/* The keys every daemon has: put `pcs_daemon_cfg_t common;` in the daemon's config struct and
 * PCS_DAEMON_KEYS(config_t) first in its key table. */
typedef struct pcs_daemon_cfg {
    int64_t log_level;        /* a pcs_log_level_t: debug, info, warn, error */
    int64_t zmq_max_msg_bytes;   /* ZMQ_MAXMSGSIZE of every receiving socket */
    char curve_keys_dir[PCS_CFG_STR_MAX];   /* CURVE on every socket when set (pcs_curve.h) */
} pcs_daemon_cfg_t;

#define PCS_DAEMON_KEYS(type)                                                                                     \
    {"log_level", PCS_CFG_ENUM, "info", 0, 0, offsetof(type, common.log_level), PCS_CFG_RELOAD,                    \
     pcs_log_level_names},                                                                                        \
    {"zmq_max_msg_bytes", PCS_CFG_INT, "1048576", 256, 1073741824, offsetof(type, common.zmq_max_msg_bytes), 0,  \
     NULL},                                                                                                       \
    {"curve_keys_dir", PCS_CFG_STRING, "", 0, 0, offsetof(type, common.curve_keys_dir), 0, NULL}

/* The config fields of a spec for a daemon state type whose config member is `cfg` and whose
 * key table is `table`. */
#define PCS_DAEMON_CONFIG(app_type, table)                                                          \
    .keys = table, .n_keys = (int)(sizeof table / sizeof *table), .cfg_offset = offsetof(app_type, cfg), \
    .cfg_size = sizeof(((app_type *)0)->cfg), .common_offset = offsetof(app_type, cfg.common) - offsetof(app_type, cfg)

typedef struct pcs_daemon_action {
    const char *option;                  /* long option, takes one argument */
    const char *help;                    /* for --help */
    int (*run)(void *app, const char *arg);   /* exit status */
} pcs_daemon_action_t;

typedef struct pcs_daemon_spec {
    const char *name;                    /* "ingest": the program is pcs-ingest, log lines say "ingest" */
    const char *summary;                 /* what the daemon does, for --help (several lines) */
    const char *signals;                 /* what SIGTERM and SIGHUP do for it, for --help */
    const pcs_cfg_key_t *keys;
    int n_keys;
    size_t cfg_offset;                   /* where the config struct is inside app */
    size_t cfg_size;                     /* its size */
    size_t common_offset;                /* offsetof(config_t, common) */
    const pcs_daemon_action_t *actions;
    int n_actions;
    /* Checks between keys after every load (start, --check-config, SIGHUP); optional. */
    int (*validate)(const void *cfg, pcs_err_t *err);
    /* Init in order on the loop (sockets, timers, connections); 0 or an exit status. */
    int (*start)(pcs_daemon_t *d, void *app);
    /* The daemon's part of the started line (endpoints; never a secret). */
    void (*describe)(void *app, char *buf, size_t n);
    /* After SIGHUP: the reloadable keys that changed hold their new values; changed[i] per key. */
    void (*reload)(pcs_daemon_t *d, void *app, const bool *changed);
    /* First SIGTERM/SIGINT: stop taking work, finish or roll back, close the daemon's handles. */
    void (*drain)(pcs_daemon_t *d, void *app);
    /* After the loop: free what start() made, in reverse order. */
    void (*stop)(void *app);
} pcs_daemon_spec_t;

/* Runs the daemon; returns the process exit status (0, 1 on a failed start, 2 on bad arguments or
 * a bad configuration). app holds the daemon's state with its config at spec->cfg_offset. */
int pcs_daemon_main(const pcs_daemon_spec_t *spec, void *app, int argc, char **argv);

uv_loop_t *pcs_daemon_loop(pcs_daemon_t *d);
void *pcs_daemon_zctx(pcs_daemon_t *d);
const char *pcs_daemon_name(const pcs_daemon_t *d);
const char *pcs_daemon_config_path(const pcs_daemon_t *d);
bool pcs_daemon_stopping(const pcs_daemon_t *d);

/* Closes the handles that are not closing yet (for a drain()). */
void pcs_daemon_close_handles(uv_handle_t *const *handles, size_t n);

/* "pcs 0.1.0, libuv 1.44.2, libzmq 4.3.4, libpq 15.20, jansson 2.14" */
void pcs_daemon_versions(char *buf, size_t n);

/* Reads and validates a config file as the daemon does (defaults first); 0, or PCS_EINVAL/PCS_EIO
 * with err->line. */
int pcs_daemon_load_config(const pcs_daemon_spec_t *spec, const char *path, void *cfg, pcs_err_t *err);

#endif
