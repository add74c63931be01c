#include "pcs_envelope.h"

#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "pcs_date.h"

int pcs_envelope_valid_ts(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS[.f+]Z */
    size_t n = strlen(s);
    if (n < 20 || s[10] != 'T' || s[n - 1] != 'Z')
        return 0;
    char day[11];
    memcpy(day, s, 10);
    day[10] = '\0';
    int32_t d;
    if (pcs_day_parse(day, &d) < 0)
        return 0;
    const char *t = s + 11;
    if (!(t[0] >= '0' && t[0] <= '2' && t[1] >= '0' && t[1] <= '9' && t[2] == ':' && t[3] >= '0' && t[3] <= '5' &&
          t[4] >= '0' && t[4] <= '9' && t[5] == ':' && t[6] >= '0' && t[6] <= '6' && t[7] >= '0' && t[7] <= '9'))
        return 0;
    if ((t[0] - '0') * 10 + (t[1] - '0') > 23)
        return 0;
    const char *p = t + 8;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p == s + n - 1;
}

static int copy_str(json_t *o, const char *key, char *out, size_t size, pcs_err_t *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: expected a string", key);
    size_t n = json_string_length(v);
    if (n == 0 || n >= size || strlen(json_string_value(v)) != n)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: expected 1..%zu bytes without NUL", key, size - 1);
    memcpy(out, json_string_value(v), n + 1);
    return 0;
}

int pcs_envelope_decode(const char *data, size_t len, pcs_envelope_t *env, pcs_err_t *err)
{
    memset(env, 0, sizeof *env);
    if (len > PCS_ENVELOPE_MAX_BYTES)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "message larger than %u bytes", PCS_ENVELOPE_MAX_BYTES);
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return pcs_err_set(err, PCS_EINVAL, je.line, je.column, "invalid JSON: %s", je.text);
    int rc = 0;
    json_t *v = NULL;
    if (!json_is_object(root)) {
        rc = pcs_err_set(err, PCS_EINVAL, 1, 1, "expected an object");
        goto out;
    }
    const char *k;
    json_object_foreach(root, k, v) {
        if (strcmp(k, "v") && strcmp(k, "type") && strcmp(k, "id") && strcmp(k, "ts") && strcmp(k, "body")) {
            rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: unknown key", k);
            goto out;
        }
    }
    v = json_object_get(root, "v");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "v: expected 1");
        goto out;
    }
    if ((rc = copy_str(root, "type", env->type, sizeof env->type, err)) < 0 ||
        (rc = copy_str(root, "id", env->id, sizeof env->id, err)) < 0 ||
        (rc = copy_str(root, "ts", env->ts, sizeof env->ts, err)) < 0)
        goto out;
    if (!pcs_envelope_valid_ts(env->ts)) {
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "ts: not an RFC 3339 UTC timestamp: '%s'", env->ts);
        goto out;
    }
    v = json_object_get(root, "body");
    if (!json_is_object(v)) {
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "body: expected an object");
        goto out;
    }
    env->body = json_incref(v);
out:
    json_decref(root);
    return rc;
}

void pcs_envelope_clear(pcs_envelope_t *env)
{
    json_decref(env->body);
    env->body = NULL;
}

json_t *pcs_envelope_new(const char *type, const char *id, const char *ts, json_t *body)
{
    char now[32];
    if (!ts) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        ts = now;
    }
    /* set one by one: json_pack parsed its format for every message (a refresh publishes one per
     * changed score) */
    json_t *o = json_object();
    bool ok = o && json_object_set_new_nocheck(o, "v", json_integer(1)) == 0 &&
              json_object_set_new_nocheck(o, "type", json_string(type)) == 0 &&
              json_object_set_new_nocheck(o, "id", json_string(id)) == 0 &&
              json_object_set_new_nocheck(o, "ts", json_string(ts)) == 0 && body &&
              json_object_set_nocheck(o, "body", body) == 0;
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *pcs_envelope_encode(const char *type, const char *id, const char *ts, json_t *body)
{
    json_t *o = pcs_envelope_new(type, id, ts, body);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(o);
    return s;
}
