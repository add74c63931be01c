/* pcs_config: the daemons' configuration files, read through a table of keys (after pgbouncer's).
 *
 * One "key = value" per line; '#' starts a comment; blank lines are ignored; values may be
 * double-quoted. A line "[name]" starts a section: the keys after it are the table's "name.key"
 * (pcs-pull's [partner_center]). Each daemon declares a table of keys: type, default, range or accepted words,
 * and whether SIGHUP may change the key in a running daemon (PCS_CFG_RELOAD) or it needs a
 * restart. An unknown key, a bad value or a duplicate is an error "line: key: reason" (err->line),
 * so a typo never silently runs with a default. Values are stored into the daemon's config struct
 * at each key's offset: char[PCS_CFG_STR_MAX] for strings, int64_t for integers and enums (the
 * index of the word), bool for booleans. */
#ifndef PCS_CONFIG_H
#define PCS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcs_err.h"

#define PCS_CFG_STR_MAX 256
#define PCS_CFG_MAX_KEYS 128

typedef enum { PCS_CFG_STRING, PCS_CFG_INT, PCS_CFG_BOOL, PCS_CFG_ENUM } pcs_cfg_type_t;

enum {
    PCS_CFG_RELOAD = 1,   /* SIGHUP applies a new value; without it a change waits for a restart */
    PCS_CFG_SECRET = 2,   /* the value is a secret (a password in a conninfo, a webhook key):
                             nothing may print it; pcs_daemon logs key names, never values */
};

typedef struct pcs_cfg_key {
    const char *name;
    pcs_cfg_type_t type;
    const char *def;              /* default as text */
    int64_t min, max;             /* PCS_CFG_INT range */
    size_t offset;                /* where the value goes in the daemon's config struct */
    unsigned flags;               /* PCS_CFG_RELOAD, PCS_CFG_SECRET */
    const char *const *choices;   /* PCS_CFG_ENUM: the accepted words, NULL-terminated */
} pcs_cfg_key_t;

/* Table entries; the key is named after the struct member. */
#define PCS_CFG_STR(type, member, def, flags) \
    {#member, PCS_CFG_STRING, def, 0, 0, offsetof(type, member), flags, NULL}
#define PCS_CFG_INTEGER(type, member, def, min, max, flags) \
    {#member, PCS_CFG_INT, def, min, max, offsetof(type, member), flags, NULL}
#define PCS_CFG_BOOLEAN(type, member, def, flags) \
    {#member, PCS_CFG_BOOL, def, 0, 0, offsetof(type, member), flags, NULL}
#define PCS_CFG_WORD(type, member, def, choices, flags) \
    {#member, PCS_CFG_ENUM, def, 0, 0, offsetof(type, member), flags, choices}

/* Fills cfg from the defaults and then from path (NULL = defaults only). At most
 * PCS_CFG_MAX_KEYS keys. PCS_EINVAL with err->line on a bad file, PCS_EIO when it cannot be read. */
int pcs_config_load(const char *path, const pcs_cfg_key_t *keys, int n_keys, void *cfg, pcs_err_t *err);

/* changed[i] = whether key i differs between a and b; returns how many differ. */
int pcs_config_diff(const pcs_cfg_key_t *keys, int n_keys, const void *a, const void *b, bool *changed);

/* Copies into live the values of fresh for the keys that changed and may be reloaded; the other
 * changed keys keep their running value (they need a restart). */
void pcs_config_apply(const pcs_cfg_key_t *keys, int n_keys, void *live, const void *fresh, const bool *changed);

/* Whether the key called name is among the changed ones (changed as from pcs_config_diff). */
bool pcs_config_changed(const pcs_cfg_key_t *keys, int n_keys, const bool *changed, const char *name);

/* The index of word in a NULL-terminated list, or -1. */
int pcs_config_lookup(const char *const *choices, const char *word);

#endif
