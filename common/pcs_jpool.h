/* pcs_jpool: a pool for jansson's small values, for a process that builds and frees trees of them
 * over and over (the scorer: a result document is a tree of a few thousand values, built and freed
 * for every partner).
 *
 * glibc's thread cache keeps 7 free chunks per size; a document's thousands of frees overflow it
 * into the bins, and the next document's allocations split and consolidate them again (malloc, free
 * and their consolidation were about a tenth of the scorer's CPU in a refresh, issue 13). Between
 * pcs_jpool_begin and pcs_jpool_end, a value of up to PCS_JPOOL_MAX bytes that jansson allocates on
 * this thread comes from a free list of its size class (16-byte steps, slabs of one class each);
 * anything else from malloc, as without the pool. A pooled value may live on after pcs_jpool_end
 * (the scorer's caches of shared values) and be freed by any thread: freeing it puts it on that
 * thread's list. Slabs are never returned to the system: the pool stays at the peak of live pooled
 * values.
 *
 * Only jansson's values may be made in the scope: a buffer jansson returns to be freed with free()
 * (json_dumps) must not be. */
#ifndef PCS_JPOOL_H
#define PCS_JPOOL_H

#include <stddef.h>

#define PCS_JPOOL_MAX 512

/* Makes jansson allocate through pcs_jpool_malloc and pcs_jpool_free, for the rest of the process
 * (outside a scope they are malloc and free). Call it before the first jansson value is made. */
void pcs_jpool_install(void);
void pcs_jpool_begin(void);
void pcs_jpool_end(void);

void *pcs_jpool_malloc(size_t n);
void pcs_jpool_free(void *p);

#endif
