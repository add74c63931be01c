/* pcs_config: the daemons' configuration files.
 *
 * One "key = value" per line; '#' starts a comment; blank lines are ignored; values may be
 * double-quoted. Each daemon declares a table of keys (type, default, help); an unknown key, a bad
 * value or a duplicate is an error "file:line: key: reason", so a typo never silently runs with
 * a default. */
#ifndef PCS_CONFIG_H
#define PCS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "pcs_err.h"

typedef enum { PCS_CFG_STRING, PCS_CFG_INT, PCS_CFG_BOOL } pcs_cfg_type_t;

typedef struct pcs_cfg_key {
    const char *name;
    pcs_cfg_type_t type;
    const char *def;         /* default as text */
    int64_t min, max;        /* PCS_CFG_INT range */
    size_t offset;           /* where the value goes in the daemon's config struct */
} pcs_cfg_key_t;

/* Fills cfg (a struct of char[256] / int64_t / bool members at the keys' offsets) from the defaults
 * and then from path (NULL = defaults only). */
int pcs_config_load(const char *path, const pcs_cfg_key_t *keys, int n_keys, void *cfg, pcs_err_t *err);

#endif
