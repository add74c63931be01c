#include "pcs_jsonloc.h"

#include <stdio.h>
#include <string.h>

void pcs_jpath_push_key(pcs_jpath_t *p, const char *key)
{
    if (p->n < PCS_JPATH_MAX) {
        p->seg[p->n].key = key;
        p->seg[p->n].index = -1;
    }
    p->n++;
}

void pcs_jpath_push_index(pcs_jpath_t *p, long index)
{
    if (p->n < PCS_JPATH_MAX) {
        p->seg[p->n].key = NULL;
        p->seg[p->n].index = index;
    }
    p->n++;
}

void pcs_jpath_pop(pcs_jpath_t *p)
{
    if (p->n > 0)
        p->n--;
}

char *pcs_jpath_format(const pcs_jpath_t *p, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    int n = p->n < PCS_JPATH_MAX ? p->n : PCS_JPATH_MAX;
    for (int i = 0; i < n && used < size; i++) {
        int w;
        if (p->seg[i].key)
            w = snprintf(buf + used, size - used, "%s%s", i ? "." : "", p->seg[i].key);
        else
            w = snprintf(buf + used, size - used, "[%ld]", p->seg[i].index);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used == 0)
        snprintf(buf, size, "(document)");
    return buf;
}

typedef struct {
    const char *s;
    size_t len, pos;
} cur_t;

static void ws(cur_t *c)
{
    while (c->pos < c->len && strchr(" \t\r\n", c->s[c->pos]) && c->s[c->pos])
        c->pos++;
}

/* Skips a string starting at its opening quote. */
static void skip_string(cur_t *c)
{
    c->pos++;
    while (c->pos < c->len && c->s[c->pos] != '"') {
        if (c->s[c->pos] == '\\')
            c->pos++;
        c->pos++;
    }
    c->pos++;
}

/* Skips one value without recursion (depth is bounded only by the text). */
static void skip_value(cur_t *c)
{
    ws(c);
    long depth = 0;
    do {
        if (c->pos >= c->len)
            return;
        char ch = c->s[c->pos];
        if (ch == '"') {
            skip_string(c);
        } else if (ch == '{' || ch == '[') {
            depth++;
            c->pos++;
        } else if (ch == '}' || ch == ']') {
            depth--;
            c->pos++;
        } else if (depth > 0) {
            c->pos++;
        } else {
            while (c->pos < c->len && !strchr(",}] \t\r\n", c->s[c->pos]))
                c->pos++;
        }
    } while (depth > 0);
}

static int key_equals(const cur_t *c, size_t start, size_t end, const char *key)
{
    size_t n = strlen(key);
    return end - start == n && memcmp(c->s + start, key, n) == 0;
}

/* With the cursor on a value, descends into member `key` or element `index`.
 * Returns 0 with the cursor on the child value, -1 when it does not exist. */
static int descend(cur_t *c, const char *key, long index)
{
    ws(c);
    if (c->pos >= c->len)
        return -1;
    if (key && c->s[c->pos] == '{') {
        size_t found = (size_t)-1;
        c->pos++;
        for (;;) {
            ws(c);
            if (c->pos >= c->len || c->s[c->pos] != '"')
                break;
            size_t ks = c->pos + 1;
            skip_string(c);
            size_t ke = c->pos - 1;
            ws(c);
            c->pos++; /* ':' */
            ws(c);
            if (key_equals(c, ks, ke, key))
                found = c->pos;  /* the last duplicate wins, as in the decoder */
            skip_value(c);
            ws(c);
            if (c->pos < c->len && c->s[c->pos] == ',')
                c->pos++;
            else
                break;
        }
        if (found == (size_t)-1)
            return -1;
        c->pos = found;
        return 0;
    }
    if (!key && c->s[c->pos] == '[') {
        c->pos++;
        for (long i = 0;; i++) {
            ws(c);
            if (c->pos >= c->len || c->s[c->pos] == ']')
                return -1;
            if (i == index)
                return 0;
            skip_value(c);
            ws(c);
            if (c->pos < c->len && c->s[c->pos] == ',')
                c->pos++;
            else
                return -1;
        }
    }
    return -1;
}

int pcs_jsonloc_find(const char *text, size_t len, const pcs_jpath_t *p, int *line, int *col)
{
    cur_t c = {text, len, 0};
    int rc = 0;
    ws(&c);
    size_t at = c.pos;
    int n = p->n < PCS_JPATH_MAX ? p->n : PCS_JPATH_MAX;
    for (int i = 0; i < n; i++) {
        if (descend(&c, p->seg[i].key, p->seg[i].index) < 0) {
            rc = -1;
            break;
        }
        ws(&c);
        at = c.pos;
    }
    int l = 1, k = 1;
    for (size_t i = 0; i < at && i < len; i++) {
        if (text[i] == '\n') {
            l++;
            k = 1;
        } else {
            k++;
        }
    }
    *line = l;
    *col = k;
    return rc;
}
