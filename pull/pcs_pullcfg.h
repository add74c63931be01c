/* pcs_pullcfg: the configuration of pcs-pull (deploy/pcs-pull.conf), shared by the daemon and by
 * `pcs pull login`, which must sign in with the same account, endpoints and token file.
 *
 * One partner account per file: its keys are in the [partner_center] section. The token endpoint
 * and the API base are settings, so tests point them at a local stand-in; neither may be plain
 * http except on the loopback interface (they carry secrets). */
#ifndef PCS_PULLCFG_H
#define PCS_PULLCFG_H

#include <stdbool.h>
#include <stdint.h>

#include "pcs_config.h"
#include "pcs_daemon.h"
#include "pcs_err.h"

typedef struct pcs_pullcfg {
    pcs_daemon_cfg_t common;             /* log_level, zmq_max_msg_bytes */
    char db[256];
    char spool_dir[256];
    char control_endpoint[256];
    int64_t pull_day, pull_hour;         /* the monthly pull: day of month and hour (UTC) */
    bool schedule;                       /* the monthly pull is on */
    int64_t poll_interval_ms;            /* between execution status requests */
    int64_t retry_base_ms, retry_max_ms; /* backoff after a 5xx or a network error */
    int64_t max_attempts;                /* failed requests of one step before the dataset fails */
    int64_t months_back, first_months_back;
    int64_t max_download_mb;
    int64_t request_timeout_ms;
    /* [partner_center] */
    char account[256];
    char tenant[256];
    char client_id[256];
    char auth[256];                      /* device_code | client_credentials */
    char client_secret_file[256];
    char token_file[256];
    char authority[256];                 /* https://login.microsoftonline.com */
    char resource[256];                  /* https://api.partnercenter.microsoft.com */
    char api_base[256];                  /* …/insights/v1/mpn */
} pcs_pullcfg_t;

/* The key table (the daemon's, with PCS_DAEMON_KEYS first). */
extern const pcs_cfg_key_t pcs_pullcfg_keys[];
extern const int pcs_pullcfg_n_keys;

/* Checks the values together (an account name, a tenant and a client id, the auth kind, URLs safe
 * for secrets). 0 or PCS_EINVAL. */
int pcs_pullcfg_validate(const void *cfg, pcs_err_t *err);

/* Loads path (NULL = defaults) and validates it. 0 or PCS_EINVAL / PCS_EIO with err->line. */
int pcs_pullcfg_load(const char *path, pcs_pullcfg_t *cfg, pcs_err_t *err);

/* URL of an Entra endpoint of the account: what = "token" or "devicecode". Writes into buf. */
void pcs_pullcfg_entra_url(const pcs_pullcfg_t *cfg, const char *what, char *buf, size_t n);

/* Whether the account signs in as an application (client credentials), not as a person. */
bool pcs_pullcfg_app_only(const pcs_pullcfg_t *cfg);

#endif
