#include "pcs_pullcfg.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pcs_config.h"
#include "pcs_http.h"

#define R PCS_CFG_RELOAD
#define S PCS_CFG_SECRET
#define T pcs_pullcfg_t
#define PC_STR(key, member, def) {"partner_center." key, PCS_CFG_STRING, def, 0, 0, offsetof(T, member), 0, NULL}

/* Reloadable: the schedule and the limits. The account, its endpoints, the database and the
 * control socket need a restart (a run in flight belongs to them). */
const pcs_cfg_key_t pcs_pullcfg_keys[] = {
    PCS_DAEMON_KEYS(T),
    PCS_CFG_STR(T, db, "", S),
    PCS_CFG_STR(T, spool_dir, "spool", 0),
    PCS_CFG_STR(T, control_endpoint, "tcp://127.0.0.1:5607", 0),
    PCS_CFG_BOOLEAN(T, schedule, "true", R),
    PCS_CFG_INTEGER(T, pull_day, "18", 1, 31, R),
    PCS_CFG_INTEGER(T, pull_hour, "3", 0, 23, R),
    PCS_CFG_INTEGER(T, poll_interval_ms, "60000", 50, 3600000, R),
    PCS_CFG_INTEGER(T, retry_base_ms, "2000", 10, 3600000, R),
    PCS_CFG_INTEGER(T, retry_max_ms, "600000", 10, 86400000, R),
    PCS_CFG_INTEGER(T, max_attempts, "8", 1, 1000, R),
    PCS_CFG_INTEGER(T, months_back, "6", 1, 60, R),
    PCS_CFG_INTEGER(T, first_months_back, "25", 1, 60, R),
    PCS_CFG_INTEGER(T, max_download_mb, "4096", 1, 1048576, R),
    PCS_CFG_INTEGER(T, request_timeout_ms, "120000", 100, 3600000, R),
    PC_STR("account", account, ""),
    PC_STR("tenant", tenant, ""),
    PC_STR("client_id", client_id, ""),
    PC_STR("auth", auth, "device_code"),
    PC_STR("client_secret_file", client_secret_file, ""),
    PC_STR("token_file", token_file, ""),
    PC_STR("authority", authority, "https://login.microsoftonline.com"),
    PC_STR("resource", resource, "https://api.partnercenter.microsoft.com"),
    PC_STR("api_base", api_base, "https://api.partnercenter.microsoft.com/insights/v1/mpn"),
};
const int pcs_pullcfg_n_keys = (int)(sizeof pcs_pullcfg_keys / sizeof *pcs_pullcfg_keys);

static bool name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '_' || *s == '.'))
            return false;
    return true;
}

bool pcs_pullcfg_app_only(const pcs_pullcfg_t *cfg)
{
    return strcmp(cfg->auth, "client_credentials") == 0;
}

int pcs_pullcfg_load(const char *path, pcs_pullcfg_t *cfg, pcs_err_t *err)
{
    int rc = pcs_config_load(path, pcs_pullcfg_keys, pcs_pullcfg_n_keys, cfg, err);
    return rc < 0 ? rc : pcs_pullcfg_validate(cfg, err);
}

int pcs_pullcfg_validate(const void *c, pcs_err_t *err)
{
    const pcs_pullcfg_t *cfg = c;
    if (!name_ok(cfg->account))
        return pcs_err_set(err, PCS_EINVAL, 0, 0,
                           "[partner_center] account: a name of letters, digits, '-', '_' or '.' is required");
    if (!name_ok(cfg->tenant))
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "[partner_center] tenant: the Entra tenant id or domain is required");
    if (!name_ok(cfg->client_id))
        return pcs_err_set(err, PCS_EINVAL, 0, 0,
                           "[partner_center] client_id: the application (client) id of the app registration is required");
    if (strcmp(cfg->auth, "device_code") != 0 && !pcs_pullcfg_app_only(cfg))
        return pcs_err_set(err, PCS_EINVAL, 0, 0,
                           "[partner_center] auth: expected device_code or client_credentials, got '%s'", cfg->auth);
    if (pcs_pullcfg_app_only(cfg) && !cfg->client_secret_file[0])
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "[partner_center] client_credentials needs client_secret_file");
    if (!pcs_pullcfg_app_only(cfg) && !cfg->token_file[0])
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "[partner_center] device_code needs token_file");
    const char *urls[] = {cfg->authority, cfg->api_base};
    for (int i = 0; i < 2; i++)
        if (!pcs_http_url_safe(urls[i]))
            return pcs_err_set(err, PCS_EINVAL, 0, 0,
                               "[partner_center] %s: must be https:// (http only to 127.0.0.1 or localhost): '%s'",
                               i ? "api_base" : "authority", urls[i]);
    return 0;
}

void pcs_pullcfg_entra_url(const pcs_pullcfg_t *cfg, const char *what, char *buf, size_t n)
{
    size_t al = strlen(cfg->authority);
    int trim = al && cfg->authority[al - 1] == '/';
    snprintf(buf, n, "%.*s/%s/oauth2/v2.0/%s", (int)(al - (size_t)trim), cfg->authority, cfg->tenant, what);
}
