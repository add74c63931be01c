/* jsonmatch: containment match of an expected JSON document in an actual one (the golden-file
 * rule of tests/data/README.md). */
#ifndef JSONMATCH_H
#define JSONMATCH_H

#include <jansson.h>
#include <stddef.h>

/* 0 when expected is contained in actual; otherwise -1 and a description of the first
 * mismatch (with its path) in why. */
int jsonmatch(json_t *expected, json_t *actual, char *why, size_t size);

#endif
