#include "pcs_strmap.h"
#include "pcs_arena.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key;   /* NULL = empty slot */
    uint32_t len;
    uint32_t hash;
    int32_t value;
} slot_t;

struct pcs_strmap {
    slot_t *slots;
    size_t cap, count;
    pcs_arena_t *keys;
};

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;  /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

pcs_strmap_t *pcs_strmap_new(void)
{
    pcs_strmap_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof *m->slots);
    m->keys = pcs_arena_new(16384);
    if (!m->slots || !m->keys) {
        pcs_strmap_destroy(&m);
        return NULL;
    }
    return m;
}

void pcs_strmap_destroy(pcs_strmap_t **pm)
{
    if (!pm || !*pm)
        return;
    free((*pm)->slots);
    pcs_arena_destroy(&(*pm)->keys);
    free(*pm);
    *pm = NULL;
}

void pcs_strmap_reset(pcs_strmap_t *m)
{
    if (m->count)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->count = 0;
    pcs_arena_reset(m->keys);
}

static slot_t *find(const pcs_strmap_t *m, const char *key, size_t len, uint32_t h)
{
    size_t i = h & (m->cap - 1);
    for (;;) {
        slot_t *s = &m->slots[i];
        if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

int32_t pcs_strmap_get(const pcs_strmap_t *m, const char *key, size_t len)
{
    slot_t *s = find(m, key, len, hash_bytes(key, len));
    return s->key ? s->value : -1;
}

static int grow(pcs_strmap_t *m)
{
    size_t ncap = m->cap * 2;
    slot_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        slot_t *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t j = s->hash & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int32_t pcs_strmap_put(pcs_strmap_t *m, const char *key, size_t len, int32_t value,
                       const char **stored_key)
{
    uint32_t h = hash_bytes(key, len);
    slot_t *s = find(m, key, len, h);
    if (!s->key) {
        if ((m->count + 1) * 4 > m->cap * 3) {
            if (grow(m) < 0)
                return -1;
            s = find(m, key, len, h);
        }
        char *k = pcs_arena_strndup(m->keys, key, len);
        if (!k)
            return -1;
        s->key = k;
        s->len = (uint32_t)len;
        s->hash = h;
        s->value = value;
        m->count++;
    }
    if (stored_key)
        *stored_key = s->key;
    return s->value;
}

size_t pcs_strmap_count(const pcs_strmap_t *m)
{
    return m->count;
}

int pcs_strmap_foreach(const pcs_strmap_t *m, int (*fn)(const char *key, void *arg), void *arg)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        int rc = fn(m->slots[i].key, arg);
        if (rc)
            return rc;
    }
    return 0;
}
