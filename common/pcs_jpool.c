#include "pcs_jpool.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define STEP 16
#define CLASSES (PCS_JPOOL_MAX / STEP)
#define SLAB ((uintptr_t)64 * 1024)   /* a slab is aligned to its size: its start is a block's address masked */
#define SLAB_HEAD 64
/* Every slab's start, in an open-addressed set that only grows (no slab is freed): a block is pooled
 * when its masked address is there. 16,384 entries hold 1 GiB of slabs; past 3/4 of that the pool
 * stops making slabs and jansson gets malloc's memory. */
#define SET_BITS 14
#define SET_SIZE (1u << SET_BITS)
#define SET_LIMIT (SET_SIZE / 4 * 3)

typedef struct free_block {
    struct free_block *next;
} free_block_t;

static _Atomic uintptr_t slab_set[SET_SIZE];
static atomic_uint slab_count;

static _Thread_local int active;
static _Thread_local free_block_t *free_list[CLASSES];
static _Thread_local char *slab_next[CLASSES], *slab_end[CLASSES];

static unsigned slot_of(uintptr_t base)
{
    return (unsigned)((base / SLAB * 0x9E3779B97F4A7C15ull) >> (64 - SET_BITS));
}

static void set_add(uintptr_t base)
{
    for (unsigned i = slot_of(base);; i = (i + 1) % SET_SIZE) {
        uintptr_t empty = 0;
        if (atomic_compare_exchange_strong(&slab_set[i], &empty, base))
            return;
    }
}

static int set_has(uintptr_t base)
{
    for (unsigned i = slot_of(base);; i = (i + 1) % SET_SIZE) {
        uintptr_t v = atomic_load_explicit(&slab_set[i], memory_order_acquire);
        if (v == base)
            return 1;
        if (v == 0)
            return 0;
    }
}

static void *new_block(unsigned c)
{
    size_t size = (size_t)(c + 1) * STEP;
    if ((size_t)(slab_end[c] - slab_next[c]) < size) {
        if (atomic_fetch_add(&slab_count, 1) >= SET_LIMIT)
            return NULL;
        char *s = aligned_alloc(SLAB, SLAB);
        if (!s)
            return NULL;
        *(unsigned *)s = c;
        set_add((uintptr_t)s);
        slab_next[c] = s + SLAB_HEAD;
        slab_end[c] = s + SLAB;
    }
    void *p = slab_next[c];
    slab_next[c] += size;
    return p;
}

void *pcs_jpool_malloc(size_t n)
{
    if (!active || n > PCS_JPOOL_MAX)
        return malloc(n);
    unsigned c = n ? (unsigned)((n - 1) / STEP) : 0;
    free_block_t *f = free_list[c];
    if (f) {
        free_list[c] = f->next;
        return f;
    }
    void *p = new_block(c);
    return p ? p : malloc(n);
}

void pcs_jpool_free(void *p)
{
    uintptr_t base = (uintptr_t)p & ~(SLAB - 1);
    if (!p || !set_has(base)) {
        free(p);
        return;
    }
    unsigned c = *(const unsigned *)base;
    free_block_t *f = p;
    f->next = free_list[c];
    free_list[c] = f;
}

void pcs_jpool_install(void)
{
    json_set_alloc_funcs(pcs_jpool_malloc, pcs_jpool_free);
}

void pcs_jpool_begin(void)
{
    active++;
}

void pcs_jpool_end(void)
{
    active--;
}
