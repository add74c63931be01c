#include "pcs_arena.h"

#include <stdlib.h>
#include <string.h>

typedef struct block {
    struct block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} block_t;

struct pcs_arena {
    block_t *head;      /* current block; older blocks follow */
    size_t block_size;
};

static block_t *block_new(size_t size)
{
    block_t *b = malloc(sizeof *b + size);
    if (b) {
        b->next = NULL;
        b->size = size;
        b->used = 0;
    }
    return b;
}

pcs_arena_t *pcs_arena_new(size_t block_size)
{
    pcs_arena_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->block_size = block_size < 1024 ? 1024 : block_size;
    a->head = block_new(a->block_size);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void pcs_arena_destroy(pcs_arena_t **pa)
{
    if (!pa || !*pa)
        return;
    block_t *b = (*pa)->head;
    while (b) {
        block_t *n = b->next;
        free(b);
        b = n;
    }
    free(*pa);
    *pa = NULL;
}

void *pcs_arena_alloc(pcs_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (a->head->used + n > a->head->size) {
        size_t sz = n > a->block_size ? n : a->block_size;
        block_t *b = block_new(sz);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    memset(p, 0, n);
    return p;
}

char *pcs_arena_strndup(pcs_arena_t *a, const char *s, size_t n)
{
    char *p = pcs_arena_alloc(a, n + 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *pcs_arena_strdup(pcs_arena_t *a, const char *s)
{
    return pcs_arena_strndup(a, s, strlen(s));
}

void pcs_arena_reset(pcs_arena_t *a)
{
    /* Keep only the oldest block (the one of block_size); free the rest. */
    block_t *b = a->head;
    while (b->next) {
        block_t *n = b->next;
        free(b);
        b = n;
    }
    b->used = 0;
    a->head = b;
}
