#include "pcs_api_web.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#define WEB_MAX_FILES 64
#define WEB_MAX_BYTES (4u << 20)

struct pcs_web {
    int n;
    pcs_web_file_t files[WEB_MAX_FILES];
};

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
    {".png", "image/png"}, {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
    {".json", "application/json"}, {".webmanifest", "application/manifest+json"},
};

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

static int load_file(pcs_web_file_t *f, const char *dir, const char *name, pcs_err_t *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 1;   /* not a regular file: not served */
    if ((size_t)st.st_size > WEB_MAX_BYTES)
        return pcs_err_set(err, PCS_ELIMIT, 0, 0, "%s: larger than %u bytes", path, WEB_MAX_BYTES);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return pcs_err_set(err, PCS_EIO, 0, 0, "%s: cannot open", path);
    f->len = (size_t)st.st_size;
    f->data = malloc(f->len + 1);
    f->name = strdup(name);
    f->type = type_of(name);
    int rc = 0;
    if (!f->data || !f->name)
        rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
    else if (fread(f->data, 1, f->len, fp) != f->len)
        rc = pcs_err_set(err, PCS_EIO, 0, 0, "%s: cannot read", path);
    fclose(fp);
    return rc;
}

pcs_web_t *pcs_web_load(const char *dir, pcs_err_t *err)
{
    pcs_web_t *w = calloc(1, sizeof *w);
    DIR *d = opendir(dir);
    if (!w || !d) {
        pcs_err_set(err, w ? PCS_EIO : PCS_ENOMEM, 0, 0, "%s: cannot open the dashboard's directory", dir);
        goto fail;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        if (name[0] == '.' || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name) || !type_of(name))
            continue;
        if (w->n == WEB_MAX_FILES) {
            pcs_err_set(err, PCS_ELIMIT, 0, 0, "%s: more than %d files", dir, WEB_MAX_FILES);
            goto fail;
        }
        int rc = load_file(&w->files[w->n], dir, name, err);
        if (rc < 0) {
            w->n++;   /* freed with the others */
            goto fail;
        }
        if (rc == 0)
            w->n++;
    }
    closedir(d);
    return w;
fail:
    if (d)
        closedir(d);
    pcs_web_destroy(&w);
    return NULL;
}

void pcs_web_destroy(pcs_web_t **w)
{
    if (!w || !*w)
        return;
    for (int i = 0; i < (*w)->n; i++) {
        free((*w)->files[i].name);
        free((*w)->files[i].data);
    }
    free(*w);
    *w = NULL;
}

const pcs_web_file_t *pcs_web_get(const pcs_web_t *w, const char *name)
{
    for (int i = 0; w && i < w->n; i++)
        if (strcmp(w->files[i].name, name) == 0)
            return &w->files[i];
    return NULL;
}

int pcs_web_count(const pcs_web_t *w)
{
    return w ? w->n : 0;
}
