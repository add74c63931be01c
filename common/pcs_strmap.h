/* pcs_strmap: open-addressing map from a string to a non-negative int (an index into the
 * caller's array). Keys are copied into the map's own arena. pcs_strmap_reset() empties the map
 * and keeps its capacity, so per-partner maps do not allocate in steady state. */
#ifndef PCS_STRMAP_H
#define PCS_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct pcs_strmap pcs_strmap_t;

pcs_strmap_t *pcs_strmap_new(void);
void pcs_strmap_destroy(pcs_strmap_t **pm);
void pcs_strmap_reset(pcs_strmap_t *m);
/* The value of key, or -1. */
int32_t pcs_strmap_get(const pcs_strmap_t *m, const char *key, size_t len);
/* Inserts key -> value unless present. Returns the stored value (the existing one when present),
 * or -1 when out of memory. If stored_key is given it receives the map's copy of the key. */
int32_t pcs_strmap_put(pcs_strmap_t *m, const char *key, size_t len, int32_t value,
                       const char **stored_key);
size_t pcs_strmap_count(const pcs_strmap_t *m);
/* Calls fn for every key (in no particular order) until it returns non-zero; returns that. */
int pcs_strmap_foreach(const pcs_strmap_t *m, int (*fn)(const char *key, void *arg), void *arg);

#endif
