/* pcs_doctext: the compact text of a result document's jansson tree, written straight into a COPY
 * buffer, with the placeholders pcs_result_to_json_cached and pcs_batch_dump put in the tree
 * replaced by the texts they stand for.
 *
 * The text is the bytes json_dumps(v, PCS_JSON_DUMP_FLAGS) gives (jansson 2.14: keys in insertion
 * order, ", " and ": " without spaces, reals as "%.15g" with ".0" added to an integral one, the
 * escapes \" \\ \b \f \n \r \t and \u00XX, other UTF-8 as it is); tests/unit/test_batch.c compares
 * the two over golden and generated documents with hostile text. The tree stays jansson's: this
 * only prints it, without jansson's per-call and per-character work (json_dump_callback was 14 % of
 * a refresh's scorer CPU). */
#ifndef PCS_DOCTEXT_H
#define PCS_DOCTEXT_H

#include <jansson.h>
#include <stddef.h>

#include "pcs_db.h"

struct pcs_json_cache;

/* Bytes off..off+len of a buffer. */
typedef struct pcs_span {
    size_t off, len;
} pcs_span_t;

/* What placeholders stand for while a tree is printed. A string of one NUL byte is a track
 * object: the next of tracks[0..n_tracks), texts in the buffer being written. A string "\0M<slot>"
 * is a memoised object: the cache's text of that slot (pcs_json_cache_text). */
typedef struct pcs_doctext_subst {
    const pcs_span_t *tracks;
    int n_tracks, next_track;
    const struct pcs_json_cache *cache;
} pcs_doctext_subst_t;

/* Appends the text of v to w; *out (optional) is the span it took. -1 when out of memory, when a
 * placeholder stands for nothing, or for a value json_dumps refuses (NaN, infinity). */
int pcs_doctext_append(pcs_copybuf_t *w, const json_t *v, pcs_doctext_subst_t *subst, pcs_span_t *out);

#endif
