/* pcs_jpool (common/pcs_jpool.c): jansson's small values made in a scope come from the pool and
 * are reused once freed; outside a scope, and above PCS_JPOOL_MAX, memory is malloc's (a
 * json_dumps buffer is freed with free()); pooled values outlive their scope, and any thread may
 * free them. The scorer's documents under the pool: test_batch.c's splice tests install it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_jpool.h"

static void install(void)
{
    pcs_jpool_install();
}

TestSuite(jpool, .init = install);

Test(jpool, a_freed_block_is_the_next_of_its_class)
{
    pcs_jpool_begin();
    void *a = pcs_jpool_malloc(40), *b = pcs_jpool_malloc(48);   /* one class: 33..48 bytes */
    cr_assert(a && b && a != b);
    memset(a, 0xab, 40);
    memset(b, 0xcd, 48);
    pcs_jpool_free(a);
    cr_assert_eq(pcs_jpool_malloc(33), a, "the block freed last comes back first");
    void *c = pcs_jpool_malloc(64);   /* the next class */
    pcs_jpool_free(c);
    cr_assert_neq(pcs_jpool_malloc(48), c, "a block stays in its class");
    pcs_jpool_free(b);
    pcs_jpool_end();
    pcs_jpool_free(a);
    /* outside the scope the lists are not used: malloc's memory, freed with free */
    void *m = pcs_jpool_malloc(40);
    cr_assert(m && m != a);
    free(m);
}

Test(jpool, big_values_and_dumps_are_mallocs)
{
    pcs_jpool_begin();
    char big[PCS_JPOOL_MAX * 3];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_t *o = json_pack("{s:s, s:[i, f, s]}", "big", big, "list", 7, 2.5, "short");
    cr_assert(o);
    pcs_jpool_end();
    char *text = json_dumps(o, JSON_COMPACT);   /* outside the scope: malloc's, free() takes it */
    cr_assert(text && strlen(text) > sizeof big);
    cr_assert_str_eq(json_string_value(json_object_get(o, "big")), big);
    free(text);
    json_decref(o);
}

/* Trees built and freed over and over in the scope print as the same trees built with malloc. */
Test(jpool, trees_built_again_and_again_print_the_same)
{
    char want[64][256];
    for (int round = 0; round < 3; round++) {
        json_t *kept[64];
        for (int i = 0; i < 64; i++) {
            if (round > 0)
                pcs_jpool_begin();
            json_t *o = json_object();
            for (int k = 0; k < i % 13 + 1; k++) {
                char key[16];
                snprintf(key, sizeof key, "k%d", k * 7 + i);
                json_object_set_new(o, key, k % 3 ? json_integer(i * k) : json_stringn(key, (size_t)k % 5 + 1));
            }
            json_object_set_new(o, "arr", json_pack("[f, b, n]", i / 3.0, i % 2));
            if (round > 0)
                pcs_jpool_end();
            kept[i] = o;
        }
        for (int i = 0; i < 64; i++) {
            char *t = json_dumps(kept[i], JSON_COMPACT | JSON_REAL_PRECISION(15));
            cr_assert(t && strlen(t) < sizeof want[i]);
            if (round == 0)
                strcpy(want[i], t);
            else
                cr_assert_str_eq(t, want[i], "tree %d in round %d", i, round);
            free(t);
            if (i % 2 || round == 2)
                json_decref(kept[i]);   /* half of them outlive the round */
        }
    }
}

static void *free_there(void *arg)
{
    json_decref(arg);
    pcs_jpool_begin();   /* this thread's lists now hold the blocks: the pool reuses them */
    json_t *s = json_string("made on another thread");
    pcs_jpool_end();
    return s;
}

Test(jpool, another_thread_frees_a_pooled_value)
{
    pcs_jpool_begin();
    json_t *o = json_pack("{s:s, s:i}", "name", "pooled", "n", 3);
    pcs_jpool_end();
    pthread_t t;
    void *made = NULL;
    cr_assert_eq(pthread_create(&t, NULL, free_there, o), 0);
    cr_assert_eq(pthread_join(t, &made), 0);
    cr_assert_str_eq(json_string_value(made), "made on another thread");
    json_decref(made);   /* a value of the other thread's pool, freed here */
}
