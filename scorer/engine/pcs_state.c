/* pcs_state: the append primitives of the engine's shared state and the points arithmetic
 * (pcs_round2, pcs_points: public, pcs_engine.h) every layer uses (layer 0, see pcs_engine_int.h).
 * Calls nothing of the engine. */
#include "pcs_engine_int.h"

#include <math.h>
#include <stdlib.h>

double pcs_round2(double x)
{
    return floor(x * 100.0 + 0.5 + 1e-6) / 100.0;
}

double pcs_points(double units, double max, double units_for_max)
{
    double p = (units * max) / units_for_max;
    if (p > max)
        p = max;
    if (!(p > 0))
        p = 0;
    return p;
}

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
