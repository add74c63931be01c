/* pcs_jsonloc: JSON paths for error messages, and where a path's value sits in the text.
 *
 * jansson validates syntax with positions but keeps none for values, so a semantic error found
 * later ("usage[3].month: not a month") is located by walking the original text once more along
 * the path. Used on error paths only. */
#ifndef PCS_JSONLOC_H
#define PCS_JSONLOC_H

#include <stddef.h>

#define PCS_JPATH_MAX 24

typedef struct pcs_jpath {
    int n;
    struct {
        const char *key;   /* NULL for an array index */
        long index;
    } seg[PCS_JPATH_MAX];
} pcs_jpath_t;

void pcs_jpath_push_key(pcs_jpath_t *p, const char *key);
void pcs_jpath_push_index(pcs_jpath_t *p, long index);
void pcs_jpath_pop(pcs_jpath_t *p);
/* "areas.data_ai.tracks[0].max"; returns buf. */
char *pcs_jpath_format(const pcs_jpath_t *p, char *buf, size_t size);

/* Finds the value at path p in the (syntactically valid) JSON text. Sets *line and *col
 * (1-based) to the deepest part of the path that exists. Returns 0 when the whole path was
 * found, -1 when only a prefix was. */
int pcs_jsonloc_find(const char *text, size_t len, const pcs_jpath_t *p, int *line, int *col);

#endif
