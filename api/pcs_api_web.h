/* pcs_api_web: the dashboard's static files (api/web/), read into memory when pcs-api starts.
 *
 * Only the regular files directly in the directory whose names are plain ([a-z0-9._-], no leading
 * dot) and whose extension has a known content type are served; a request names one of them or
 * nothing, so no path from a request ever reaches the file system. */
#ifndef PCS_API_WEB_H
#define PCS_API_WEB_H

#include <stddef.h>

#include "pcs_err.h"

typedef struct pcs_web pcs_web_t;

typedef struct pcs_web_file {
    char *name;              /* "app.js" */
    const char *type;        /* "text/javascript; charset=utf-8" */
    char *data;
    size_t len;
} pcs_web_file_t;

/* Reads dir (at most 64 files of at most 4 MiB each). NULL with the reason in err. */
pcs_web_t *pcs_web_load(const char *dir, pcs_err_t *err);
void pcs_web_destroy(pcs_web_t **w);

/* The file of that name, or NULL. The memory lives as long as w. */
const pcs_web_file_t *pcs_web_get(const pcs_web_t *w, const char *name);
int pcs_web_count(const pcs_web_t *w);

#endif
