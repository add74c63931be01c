/* pcs_result_json: the result document of interfaces.md §2 (and scoring.md §14) from an engine
 * result. Serialisation only; no I/O. */
#ifndef PCS_RESULT_JSON_H
#define PCS_RESULT_JSON_H

#include <jansson.h>

#include "pcs_engine.h"

/* A new JSON object (caller owns the reference), or NULL when out of memory. */
json_t *pcs_result_to_json(const pcs_rules_t *rules, const pcs_result_t *res, bool explain);

/* Dump flags that print rounded points as people expect (12.13, not 12.130000000000001). */
#define PCS_JSON_DUMP_FLAGS (JSON_REAL_PRECISION(15) | JSON_COMPACT)

/* What the documents of one writer share instead of making each anew: immutable values (the
 * engine's identifiers, small integers, days, months), and the text of small objects that recur
 * (a track's metric without parts, options or prerequisite; a history row), which jansson dumped
 * once. The cache is the caller's, for one thread; documents may outlive it. */
typedef struct pcs_json_cache pcs_json_cache_t;
pcs_json_cache_t *pcs_json_cache_new(void);   /* NULL when out of memory */
void pcs_json_cache_free(pcs_json_cache_t **cache);

/* pcs_result_to_json with a cache (NULL: none, the same as pcs_result_to_json). With a cache,
 * the document holds placeholders: a recurring object is replaced by a string of a NUL byte, 'M'
 * and a decimal slot number (no other string of a document starts with a NUL: they are made from
 * C strings), standing for the text pcs_json_cache_text(cache, slot) gives until the next document
 * is built with the cache. pcs_doctext (scorer/pcs_doctext.h) prints the texts in their place. */
json_t *pcs_result_to_json_cached(pcs_json_cache_t *cache, const pcs_rules_t *rules, const pcs_result_t *res,
                                  bool explain);
bool pcs_json_cache_text(const pcs_json_cache_t *cache, unsigned slot, const char **text, size_t *len);

#endif
