#include "pcs_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_MAX 256

static int set_value(const pcs_cfg_key_t *k, const char *v, void *cfg, pcs_err_t *err, int line)
{
    char *dst = (char *)cfg + k->offset;
    switch (k->type) {
    case PCS_CFG_STRING:
        if (strlen(v) >= VALUE_MAX)
            return pcs_err_set(err, PCS_EINVAL, line, 0, "%s: longer than %d bytes", k->name, VALUE_MAX - 1);
        memcpy(dst, v, strlen(v) + 1);
        return 0;
    case PCS_CFG_INT: {
        char *end;
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end || x < k->min || x > k->max)
            return pcs_err_set(err, PCS_EINVAL, line, 0, "%s: expected an integer %lld..%lld, got '%s'", k->name,
                               (long long)k->min, (long long)k->max, v);
        *(int64_t *)(void *)dst = x;
        return 0;
    }
    case PCS_CFG_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
            *(bool *)(void *)dst = true;
        else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
            *(bool *)(void *)dst = false;
        else
            return pcs_err_set(err, PCS_EINVAL, line, 0, "%s: expected true or false, got '%s'", k->name, v);
        return 0;
    }
    return PCS_EINVAL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int pcs_config_load(const char *path, const pcs_cfg_key_t *keys, int n_keys, void *cfg, pcs_err_t *err)
{
    for (int i = 0; i < n_keys; i++)
        if (set_value(&keys[i], keys[i].def, cfg, err, 0) < 0)
            return PCS_EINVAL;
    if (!path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return pcs_err_set(err, PCS_EIO, 0, 0, "cannot open: %s", strerror(errno));
    char buf[1024];
    int line = 0, rc = 0;
    unsigned char seen[128] = {0};
    while (fgets(buf, sizeof buf, f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            rc = pcs_err_set(err, PCS_EINVAL, line, 0, "line longer than %zu bytes", sizeof buf - 2);
            break;
        }
        char *s = trim(buf);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = pcs_err_set(err, PCS_EINVAL, line, 0, "expected key = value");
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = '\0';
            val++;
        } else {
            char *hash = strstr(val, " #");
            if (hash)
                *hash = '\0';
            val = trim(val);
        }
        int k = -1;
        for (int i = 0; i < n_keys && k < 0; i++)
            if (strcmp(keys[i].name, key) == 0)
                k = i;
        if (k < 0) {
            rc = pcs_err_set(err, PCS_EINVAL, line, 0, "%s: unknown key", key);
            break;
        }
        if (k < 128 && seen[k]++) {
            rc = pcs_err_set(err, PCS_EINVAL, line, 0, "%s: given twice", key);
            break;
        }
        if ((rc = set_value(&keys[k], val, cfg, err, line)) < 0)
            break;
    }
    fclose(f);
    return rc;
}
