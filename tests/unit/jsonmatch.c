#include "jsonmatch.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static int match(json_t *x, json_t *a, char *path, size_t plen, char *why, size_t size);

static int fail(char *why, size_t size, const char *path, const char *msg, json_t *x, json_t *a)
{
    char *xs = x ? json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *as = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    snprintf(why, size, "%s: %s: expected %.300s, got %.300s", path[0] ? path : "(root)", msg, xs ? xs : "-",
             as ? as : "(absent)");
    free(xs);
    free(as);
    return -1;
}

static int match_object(json_t *x, json_t *a, char *path, size_t plen, char *why, size_t size)
{
    if (!json_is_object(a))
        return fail(why, size, path, "not an object", x, a);
    const char *k;
    json_t *v;
    size_t base = strlen(path);
    json_object_foreach(x, k, v) {
        if (strcmp(k, "!no_event") == 0) {
            json_t *evs = json_object_get(a, "events"), *ev, *name;
            size_t i, j;
            json_array_foreach(v, i, name) {
                json_array_foreach(evs, j, ev) {
                    if (json_equal(json_object_get(ev, "event"), name))
                        return fail(why, size, path, "event must not be raised", name, ev);
                }
            }
            continue;
        }
        snprintf(path + base, plen - base, "%s%s", base ? "." : "", k);
        if (match(v, json_object_get(a, k), path, plen, why, size) < 0)
            return -1;
        path[base] = '\0';
    }
    return 0;
}

static int match_array(json_t *x, json_t *a, char *path, size_t plen, char *why, size_t size)
{
    if (!json_is_array(a))
        return fail(why, size, path, "not an array", x, a);
    size_t j = 0, base = strlen(path);
    for (size_t i = 0; i < json_array_size(x); i++) {
        json_t *xe = json_array_get(x, i);
        bool found = false;
        char tmp[1024];
        snprintf(path + base, plen - base, "[%zu]", i);
        for (; j < json_array_size(a) && !found; j++) {
            snprintf(path + base, plen - base, "[%zu]", i);
            found = match(xe, json_array_get(a, j), path, plen, tmp, sizeof tmp) == 0;
        }
        if (!found) {
            snprintf(path + base, plen - base, "[%zu]", i);
            /* report against the best guess: the element at the same index */
            if (match(xe, json_array_get(a, i < json_array_size(a) ? i : json_array_size(a) - 1), path, plen, why,
                      size) == 0)
                fail(why, size, path, "no matching element (in order)", xe, NULL);
            return -1;
        }
        path[base] = '\0';
    }
    return 0;
}

static int match(json_t *x, json_t *a, char *path, size_t plen, char *why, size_t size)
{
    if (!a)
        return fail(why, size, path, "missing", x, a);
    if (json_is_object(x))
        return match_object(x, a, path, plen, why, size);
    if (json_is_array(x))
        return match_array(x, a, path, plen, why, size);
    if (json_is_number(x)) {
        if (!json_is_number(a) || fabs(json_number_value(x) - json_number_value(a)) > 0.005 + 1e-9)
            return fail(why, size, path, "number differs", x, a);
        return 0;
    }
    if (!json_equal(x, a))
        return fail(why, size, path, "differs", x, a);
    return 0;
}

int jsonmatch(json_t *expected, json_t *actual, char *why, size_t size)
{
    char path[1024] = "";
    why[0] = '\0';
    return match(expected, actual, path, sizeof path, why, size);
}
