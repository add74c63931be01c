/* pcs_doc: decoding the partner document (interfaces.md §2) into an engine.
 *
 * Strict: unknown keys, wrong types, unknown association types, segments or areas and bad dates
 * are errors with "json.path: reason" and the line and column of the value (when text is given). */
#ifndef PCS_DOC_H
#define PCS_DOC_H

#include <jansson.h>

#include "pcs_engine.h"

/* Parses text into a JSON object (rejects a byte-order mark and non-objects). */
int pcs_doc_parse(const char *text, size_t len, json_t **out, pcs_err_t *err);

/* Feeds the document's facts to e (begins a new partner). *as_of receives the document's
 * as_of or PCS_DAY_NONE. text/len locate errors and may be NULL/0. */
int pcs_doc_load(pcs_engine_t *e, json_t *root, const char *text, size_t len, int32_t *as_of, pcs_err_t *err);

#endif
