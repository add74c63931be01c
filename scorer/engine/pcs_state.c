/* pcs_state: the append primitives of the engine's shared state (layer 0, see pcs_engine_int.h).
 * Calls nothing of the engine. */
#include "pcs_engine_int.h"

#include <stdlib.h>

int pcs_grow(pcs_engine_t *e, void *pp, int *cap, int need, size_t elem)
{
    void **p = pp;
    if (need <= *cap)
        return 0;
    int ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*p, (size_t)ncap * elem);
    if (!n) {
        e->oom = true;
        return -1;
    }
    *p = n;
    *cap = ncap;
    return 0;
}

int pcs_push_item(pcs_engine_t *e, pcs_event_item_t item)
{
    if (GROW(e, e->items, e->cap_items, e->n_items + 1) < 0)
        return -1;
    e->items[e->n_items++] = item;
    return 0;
}
