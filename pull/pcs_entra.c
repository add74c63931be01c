#include "pcs_entra.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcs_http.h"

/* ---- form bodies ------------------------------------------------------------------------------------ */

/* "k1=v1&k2=v2…" from NULL-terminated pairs, values percent-encoded; NULL values are left out. */
static char *form(const char *const *kv)
{
    size_t cap = 1;
    for (int i = 0; kv[i]; i += 2)
        if (kv[i + 1])
            cap += strlen(kv[i]) + 3 * strlen(kv[i + 1]) + 2;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    *p = '\0';
    for (int i = 0; kv[i]; i += 2) {
        if (!kv[i + 1])
            continue;
        char *v = pcs_http_escape(kv[i + 1]);
        if (!v) {
            pcs_entra_secret_free(&out);
            return NULL;
        }
        p += sprintf(p, "%s%s=%s", p == out ? "" : "&", kv[i], v);
        pcs_entra_secret_free(&v);
    }
    return out;
}

static void delegated_scope(const pcs_pullcfg_t *cfg, char *buf, size_t n)
{
    snprintf(buf, n, "%s/user_impersonation offline_access", cfg->resource);
}

char *pcs_entra_form_devicecode(const pcs_pullcfg_t *cfg)
{
    char scope[400];
    delegated_scope(cfg, scope, sizeof scope);
    const char *kv[] = {"client_id", cfg->client_id, "scope", scope, NULL};
    return form(kv);
}

char *pcs_entra_form_device_token(const pcs_pullcfg_t *cfg, const char *device_code)
{
    const char *kv[] = {"grant_type", "urn:ietf:params:oauth:grant-type:device_code", "client_id", cfg->client_id,
                        "device_code", device_code, NULL};
    return form(kv);
}

char *pcs_entra_form_refresh(const pcs_pullcfg_t *cfg, const char *refresh, const char *secret)
{
    char scope[400];
    delegated_scope(cfg, scope, sizeof scope);
    const char *kv[] = {"grant_type", "refresh_token", "client_id", cfg->client_id, "scope", scope,
                        "refresh_token", refresh, "client_secret", secret, NULL};
    return form(kv);
}

char *pcs_entra_form_client_credentials(const pcs_pullcfg_t *cfg, const char *secret)
{
    char scope[400];
    snprintf(scope, sizeof scope, "%s/.default", cfg->resource);
    const char *kv[] = {"grant_type", "client_credentials", "client_id", cfg->client_id, "scope", scope,
                        "client_secret", secret, NULL};
    return form(kv);
}

/* ---- replies ---------------------------------------------------------------------------------------- */

static char *dup_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? strdup(s) : NULL;
}

static long int_of(json_t *o, const char *k, long def)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_string(v))   /* the v1 endpoint writes numbers as strings */
        return strtol(json_string_value(v), NULL, 10);
    return def;
}

/* "invalid_grant (AADSTS70008)": the error code and Entra's number, nothing of the description. */
static void describe(json_t *j, long status, char *why, size_t wn)
{
    const char *e = json_string_value(json_object_get(j, "error"));
    const char *d = json_string_value(json_object_get(j, "error_description"));
    char code[32] = "";
    if (d) {
        const char *a = strstr(d, "AADSTS");
        if (a) {
            size_t n = 6;
            while (a[n] >= '0' && a[n] <= '9' && n < sizeof code - 1)
                n++;
            snprintf(code, sizeof code, " (%.*s)", (int)n, a);
        }
    }
    snprintf(why, wn, "%s%s, HTTP %ld", e ? e : "no error code", code, status);
}

pcs_entra_status_t pcs_entra_parse_token(long status, const char *body, pcs_entra_token_t *tok, char *why, size_t wn)
{
    memset(tok, 0, sizeof *tok);
    if (status == 0 || status == 429 || status >= 500) {
        snprintf(why, wn, status ? "token endpoint answered HTTP %ld" : "token endpoint not reached", status);
        return PCS_ENTRA_RETRY;
    }
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    if (!j) {
        snprintf(why, wn, "token endpoint answered HTTP %ld without JSON", status);
        return status >= 200 && status < 300 ? PCS_ENTRA_RETRY : PCS_ENTRA_REFUSED;
    }
    pcs_entra_status_t st = PCS_ENTRA_REFUSED;
    if (status >= 200 && status < 300) {
        tok->access = dup_str(j, "access_token");
        tok->refresh = dup_str(j, "refresh_token");
        tok->expires_in = int_of(j, "expires_in", 3599);
        if (tok->access) {
            st = PCS_ENTRA_OK;
        } else {
            snprintf(why, wn, "token endpoint answered HTTP %ld without access_token", status);
            pcs_entra_token_clear(tok);
        }
    } else {
        const char *e = json_string_value(json_object_get(j, "error"));
        describe(j, status, why, wn);
        if (e && strcmp(e, "authorization_pending") == 0)
            st = PCS_ENTRA_PENDING;
        else if (e && strcmp(e, "slow_down") == 0)
            st = PCS_ENTRA_SLOW_DOWN;
        else if (e && (strcmp(e, "invalid_grant") == 0 || strcmp(e, "expired_token") == 0 ||
                       strcmp(e, "authorization_declined") == 0 || strcmp(e, "interaction_required") == 0 ||
                       strcmp(e, "consent_required") == 0 || strcmp(e, "bad_verification_code") == 0))
            st = PCS_ENTRA_SIGN_IN;
        else if (e && strcmp(e, "temporarily_unavailable") == 0)
            st = PCS_ENTRA_RETRY;
    }
    json_decref(j);
    return st;
}

int pcs_entra_parse_device(const char *body, pcs_entra_device_t *dev, pcs_err_t *err)
{
    memset(dev, 0, sizeof *dev);
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    if (!j)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "devicecode endpoint answered without JSON");
    dev->device_code = dup_str(j, "device_code");
    dev->user_code = dup_str(j, "user_code");
    dev->verification_uri = dup_str(j, "verification_uri");
    dev->message = dup_str(j, "message");
    dev->expires_in = int_of(j, "expires_in", 900);
    dev->interval = int_of(j, "interval", 5);
    char why[160] = "";
    if (!dev->device_code)
        describe(j, 0, why, sizeof why);
    json_decref(j);
    if (!dev->device_code || !dev->user_code || !dev->verification_uri) {
        pcs_entra_device_clear(dev);
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "devicecode endpoint refused: %s", why[0] ? why : "fields missing");
    }
    if (dev->interval < 1)
        dev->interval = 1;
    return 0;
}

void pcs_entra_token_clear(pcs_entra_token_t *tok)
{
    pcs_entra_secret_free(&tok->access);
    pcs_entra_secret_free(&tok->refresh);
    tok->expires_in = 0;
}

void pcs_entra_device_clear(pcs_entra_device_t *dev)
{
    pcs_entra_secret_free(&dev->device_code);
    free(dev->user_code);
    free(dev->verification_uri);
    free(dev->message);
    memset(dev, 0, sizeof *dev);
}

/* ---- secret files ---------------------------------------------------------------------------------- */

void pcs_entra_secret_free(char **s)
{
    if (!s || !*s)
        return;
    volatile char *p = *s;
    while (*p)
        *p++ = '\0';
    free(*s);
    *s = NULL;
}

int pcs_entra_secret_read(const char *path, char **out, pcs_err_t *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077)) {
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0,
                         "%s: must belong to the user running pcs (uid %u) and be readable by nobody else "
                         "(mode %03o; chmod 600 it)",
                         path, (unsigned)geteuid(), (unsigned)(st.st_mode & 0777));
        goto out;
    }
    if (st.st_size > 65536) {
        rc = pcs_err_set(err, PCS_ELIMIT, 0, 0, "%s: larger than 64 KiB", path);
        goto out;
    }
    char *buf = calloc(1, (size_t)st.st_size + 1);
    if (!buf) {
        rc = PCS_ENOMEM;
        goto out;
    }
    ssize_t n = read(fd, buf, (size_t)st.st_size);
    if (n < 0) {
        pcs_entra_secret_free(&buf);
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", path, strerror(errno));
        goto out;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!buf[0]) {
        free(buf);
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: empty", path);
        goto out;
    }
    *out = buf;
out:
    close(fd);
    return rc;
}

int pcs_entra_secret_write(const char *path, const char *secret, pcs_err_t *err)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: path too long", path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", tmp, strerror(errno));
    size_t len = strlen(secret);
    int rc = 0;
    if (fchmod(fd, 0600) < 0 || write(fd, secret, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0)
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", tmp, strerror(errno));
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", path, strerror(errno));
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
