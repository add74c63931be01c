#include "pcs_doctext.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pcs_result_json.h"

typedef struct {
    pcs_copybuf_t *w;
    pcs_doctext_subst_t *subst;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    pcs_copybuf_t *w = o->w;
    if (w->n + n < w->cap) {
        memcpy(w->s + w->n, s, n);
        w->n += n;
        return;
    }
    pcs_copy_put(w, s, n);
}

/* A piece of a few bytes (punctuation, an escape, a literal): no call to memcpy. */
static void put_small(out_t *o, const char *s, size_t n)
{
    pcs_copybuf_t *w = o->w;
    if (w->n + n < w->cap) {
        for (size_t i = 0; i < n; i++)
            w->s[w->n + i] = s[i];
        w->n += n;
        return;
    }
    pcs_copy_put(w, s, n);
}

static void put_c(out_t *o, char c)
{
    put_small(o, &c, 1);
}

/* Decimal digits of v at the end of buf[0..24); the first one's address. */
static char *digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static void put_integer(out_t *o, json_int_t v)
{
    char buf[24], *p = digits(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, buf + sizeof buf);
    if (v < 0)
        *--p = '-';
    put(o, p, (size_t)(buf + sizeof buf - p));
}

/* jansson's jsonp_dtostr with precision 15: "%.15g", ".0" added when there is neither a point nor
 * an exponent, and an exponent without '+' and leading zeros. A value that is exactly the double
 * nearest to n/100 for |n| < 1e14 (the rounded amounts and points of a document) prints as n/100
 * with trailing zeros dropped: fifteen significant digits round it back to that decimal, which has
 * at most fourteen, so "%.15g" gives the same text. */
static int put_real(out_t *o, double v)
{
    char buf[64];
    if (!isfinite(v))
        return -1;
    double h = v * 100.0;
    if (v != 0 && fabs(h) < 1e14) {
        int64_t n = (int64_t)llround(h);
        if ((double)n / 100.0 == v) {
            uint64_t a = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
            char *end = buf + sizeof buf, *p = end;
            unsigned frac = (unsigned)(a % 100);
            if (frac == 0) {
                *--p = '0';
            } else {
                if (frac % 10)
                    *--p = (char)('0' + frac % 10);
                *--p = (char)('0' + frac / 10);
            }
            *--p = '.';
            p = digits(a / 100, p);
            if (n < 0)
                *--p = '-';
            put(o, p, (size_t)(end - p));
            return 0;
        }
    }
    int len = snprintf(buf, sizeof buf, "%.15g", v);
    if (len < 0 || (size_t)len + 3 >= sizeof buf)
        return -1;
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    char *e = strchr(buf, 'e');
    if (e) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(len - (end - buf)) + 1);
            len -= (int)(end - start);
        }
    }
    put(o, buf, (size_t)len);
    return 0;
}

/* The escape json_dumps writes for byte c, or NULL when c stands as it is. */
static const char *escape(unsigned char c, char seq[8])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
        if (c >= 0x20)
            return NULL;
        snprintf(seq, 8, "\\u%04X", c);
        return seq;
    }
}

/* A string, quoted and escaped. Its bytes from 0x80 are copied: every string of a document is
 * valid UTF-8 (jansson checks a string from data when it is made; the rest are the engine's
 * constants). */
static void put_string(out_t *o, const char *s, size_t n)
{
    put_c(o, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char seq[8];
        const char *esc = escape(c, seq);
        put(o, s + start, i - start);
        put_small(o, esc, strlen(esc));
        start = i + 1;
    }
    put(o, s + start, n - start);
    put_c(o, '"');
}

/* A placeholder's text into *sub: 1 when s is one, 0 when it is an ordinary string, -1 when it
 * stands for nothing. No other string of a document starts with a NUL byte: every other one is
 * made from a C string (pcs_result_json.c). */
static int placeholder(out_t *o, const char *s, size_t n, const char **sub, size_t *sub_len)
{
    if (n == 0 || s[0] != '\0')
        return 0;
    pcs_doctext_subst_t *ps = o->subst;
    if (!ps)
        return 0;
    if (n == 1) {
        if (ps->next_track >= ps->n_tracks)
            return -1;
        const pcs_span_t *t = &ps->tracks[ps->next_track++];
        *sub = o->w->s + t->off;   /* o->w is not moved before this is copied (dump_value) */
        *sub_len = t->len;
        return 1;
    }
    if (s[1] != 'M' || n < 3 || n > 11)
        return 0;
    unsigned slot = 0;
    for (size_t i = 2; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        slot = slot * 10 + (unsigned)(s[i] - '0');
    }
    return pcs_json_cache_text(ps->cache, slot, sub, sub_len) ? 1 : -1;
}

static int dump_value(out_t *o, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        put_c(o, '{');
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                put_c(o, ',');
            first = false;
            put_string(o, json_object_iter_key(it), json_object_iter_key_len(it));
            put_c(o, ':');
            if (dump_value(o, json_object_iter_value(it)) < 0)
                return -1;
        }
        put_c(o, '}');
        return 0;
    }
    case JSON_ARRAY: {
        put_c(o, '[');
        for (size_t i = 0, n = json_array_size(v); i < n; i++) {
            if (i)
                put_c(o, ',');
            if (dump_value(o, json_array_get(v, i)) < 0)
                return -1;
        }
        put_c(o, ']');
        return 0;
    }
    case JSON_STRING: {
        const char *s = json_string_value(v), *sub = NULL;
        size_t n = json_string_length(v), sub_len = 0;
        int ph = placeholder(o, s, n, &sub, &sub_len);
        if (ph < 0)
            return -1;
        if (ph == 0) {
            put_string(o, s, n);
            return 0;
        }
        /* a track's text lies in the buffer being written: make room first, then copy from it */
        bool inside = o->w->s && (uintptr_t)sub >= (uintptr_t)o->w->s &&
                      (uintptr_t)sub < (uintptr_t)(o->w->s + o->w->n);
        size_t off = inside ? (size_t)((uintptr_t)sub - (uintptr_t)o->w->s) : 0;
        if (!pcs_copy_reserve(o->w, sub_len))
            return -1;
        if (inside)
            sub = o->w->s + off;
        memcpy(o->w->s + o->w->n, sub, sub_len);
        o->w->n += sub_len;
        return 0;
    }
    case JSON_INTEGER:
        put_integer(o, json_integer_value(v));
        return 0;
    case JSON_REAL:
        return put_real(o, json_real_value(v));
    case JSON_TRUE:
        put_small(o, "true", 4);
        return 0;
    case JSON_FALSE:
        put_small(o, "false", 5);
        return 0;
    case JSON_NULL:
        put_small(o, "null", 4);
        return 0;
    }
    return -1;
}

int pcs_doctext_append(pcs_copybuf_t *w, const json_t *v, pcs_doctext_subst_t *subst, pcs_span_t *out)
{
    out_t o = {w, subst};
    size_t start = w->n;
    if (!v || dump_value(&o, v) < 0 || w->oom)
        return -1;
    if (out) {
        out->off = start;
        out->len = w->n - start;
    }
    return 0;
}
