#include "pcs_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pcs_config_lookup(const char *const *choices, const char *word)
{
    for (int i = 0; choices && choices[i]; i++)
        if (strcmp(choices[i], word) == 0)
            return i;
    return -1;
}

static int set_value(const pcs_cfg_key_t *k, const char *v, void *cfg, pcs_err_t *err, int line)
{
    char *dst = (char *)cfg + k->offset;
    switch (k->type) {
    case PCS_CFG_STRING:
        if (strlen(v) >= PCS_CFG_STR_MAX)
            return pcs_err_set(err, PCS_EINVAL, line, 0, "%s: longer than %d bytes", k->name, PCS_CFG_STR_MAX - 1);
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
    case PCS_CFG_ENUM: {
        int i = pcs_config_lookup(k->choices, v);
        if (i < 0) {
            char list[200] = "";
            for (int j = 0; k->choices[j]; j++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "", k->choices[j]);
            return pcs_err_set(err, PCS_EINVAL, line, 0, "%s: expected one of %s, got '%s'", k->name, list, v);
        }
        *(int64_t *)(void *)dst = i;
        return 0;
    }
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

/* One "key = value" line (already trimmed, not a comment) into cfg. */
static int parse_line(char *s, const pcs_cfg_key_t *keys, int n_keys, void *cfg, unsigned char *seen, int line,
                      const char *section, pcs_err_t *err)
{
    char *eq = strchr(s, '=');
    if (!eq)
        return pcs_err_set(err, PCS_EINVAL, line, 0, "expected key = value");
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1), full[PCS_CFG_STR_MAX];
    if (section[0]) {
        snprintf(full, sizeof full, "%s.%s", section, key);
        key = full;
    }
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
    if (k < 0)
        return pcs_err_set(err, PCS_EINVAL, line, 0, "%s: unknown key", key);
    if (seen[k]++)
        return pcs_err_set(err, PCS_EINVAL, line, 0, "%s: given twice", key);
    return set_value(&keys[k], val, cfg, err, line);
}

int pcs_config_load(const char *path, const pcs_cfg_key_t *keys, int n_keys, void *cfg, pcs_err_t *err)
{
    if (n_keys > PCS_CFG_MAX_KEYS)
        return pcs_err_set(err, PCS_EINVAL, 0, 0, "more than %d configuration keys", PCS_CFG_MAX_KEYS);
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
    unsigned char seen[PCS_CFG_MAX_KEYS] = {0};
    char section[64] = "";
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            rc = pcs_err_set(err, PCS_EINVAL, line, 0, "line longer than %zu bytes", sizeof buf - 2);
            break;
        }
        char *s = trim(buf);
        size_t sl = strlen(s);
        if (*s == '[') {
            /* "[name]": the keys that follow are the table's "name.key" */
            if (sl < 3 || s[sl - 1] != ']' || sl - 2 >= sizeof section)
                rc = pcs_err_set(err, PCS_EINVAL, line, 0, "expected [section]");
            else
                snprintf(section, sizeof section, "%.*s", (int)(sl - 2), s + 1);
        } else if (*s && *s != '#') {
            rc = parse_line(s, keys, n_keys, cfg, seen, line, section, err);
        }
    }
    fclose(f);
    return rc;
}

static size_t value_size(const pcs_cfg_key_t *k)
{
    return k->type == PCS_CFG_STRING ? PCS_CFG_STR_MAX : k->type == PCS_CFG_BOOL ? sizeof(bool) : sizeof(int64_t);
}

int pcs_config_diff(const pcs_cfg_key_t *keys, int n_keys, const void *a, const void *b, bool *changed)
{
    int n = 0;
    for (int i = 0; i < n_keys; i++) {
        const char *x = (const char *)a + keys[i].offset, *y = (const char *)b + keys[i].offset;
        changed[i] = keys[i].type == PCS_CFG_STRING ? strcmp(x, y) != 0 : memcmp(x, y, value_size(&keys[i])) != 0;
        n += changed[i];
    }
    return n;
}

void pcs_config_apply(const pcs_cfg_key_t *keys, int n_keys, void *live, const void *fresh, const bool *changed)
{
    for (int i = 0; i < n_keys; i++)
        if (changed[i] && (keys[i].flags & PCS_CFG_RELOAD))
            memcpy((char *)live + keys[i].offset, (const char *)fresh + keys[i].offset, value_size(&keys[i]));
}

bool pcs_config_changed(const pcs_cfg_key_t *keys, int n_keys, const bool *changed, const char *name)
{
    for (int i = 0; i < n_keys; i++)
        if (strcmp(keys[i].name, name) == 0)
            return changed[i];
    return false;
}
