/* pcs_arena: bump allocator for objects that live and die together (a rule set, one partner's
 * strings). pcs_arena_reset() keeps the first block so a stream of partners reuses memory. */
#ifndef PCS_ARENA_H
#define PCS_ARENA_H

#include <stddef.h>

typedef struct pcs_arena pcs_arena_t;

pcs_arena_t *pcs_arena_new(size_t block_size);
void pcs_arena_destroy(pcs_arena_t **pa);
/* Zeroed, 16-byte aligned memory, or NULL when out of memory. */
void *pcs_arena_alloc(pcs_arena_t *a, size_t n);
char *pcs_arena_strndup(pcs_arena_t *a, const char *s, size_t n);
char *pcs_arena_strdup(pcs_arena_t *a, const char *s);
void pcs_arena_reset(pcs_arena_t *a);

#endif
