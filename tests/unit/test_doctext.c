/* pcs_doctext (scorer/pcs_doctext.c) prints a jansson tree as json_dumps(v, PCS_JSON_DUMP_FLAGS)
 * does, byte for byte: over generated trees of every value kind, reals of every magnitude (the
 * rounded amounts its fast path prints, and the rest through "%.15g"), and strings of every ASCII
 * byte and multi-byte UTF-8; placeholders stand for their texts; a placeholder that stands for
 * nothing fails the print. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcs_doctext.h"
#include "pcs_envelope.h"
#include "pcs_result_json.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double real_value(void)
{
    static const double fixed[] = {0.0,  -0.0,   0.5,     -0.5,   1.0,    -1.0,    0.01,  0.1,     0.29,
                                   70.0, 1e-5,   1.5e-7,  1e15,   1e16,   1.25e21, 1e100, -1e-300, 123456789012.34,
                                   1e14, 99.995, 0.3333, 2.675, 1e-4, 999999999999999.9};
    switch (next() % 5) {
    case 0:
        return fixed[next() % (sizeof fixed / sizeof *fixed)];
    case 1:   /* a rounded amount, as the documents carry */
        return (double)((int64_t)(next() % 2000000001) - 1000000000) / 100.0;
    case 2:   /* any magnitude */
        return ldexp((double)(next() % 1000000007) / 1000000007.0, (int)(next() % 200) - 100) *
               (next() % 2 ? 1 : -1);
    case 3: {   /* any bits that make a finite number */
        uint64_t bits = next();
        double d;
        memcpy(&d, &bits, sizeof d);
        return isfinite(d) ? d : 1.5;
    }
    default:   /* near a two-decimal value without being one */
        return (double)(int64_t)(next() % 100000) / 100.0 + ((double)(next() % 3) - 1) * 1e-12;
    }
}

static json_t *string_value(void)
{
    static const char *const bits[] = {"\"", "\\", "/",  "\b", "\f", "\n", "\r", "\t",
                                       "\x01", "\x1f", "\x7f", "é", "€", "😀", "a", "Zz 0"};
    char s[64];
    size_t n = 0;
    for (int k = (int)(next() % 6); k > 0; k--) {
        const char *b = bits[next() % (sizeof bits / sizeof *bits)];
        if (next() % 3 == 0) {
            s[n++] = (char)(1 + next() % 0x7f);   /* any ASCII byte but NUL */
        } else {
            memcpy(s + n, b, strlen(b));
            n += strlen(b);
        }
    }
    return json_stringn(s, n);
}

static json_t *tree(int depth)
{
    switch (depth > 3 ? next() % 6 : next() % 8) {
    case 0: return json_integer((json_int_t)(next() % 2 ? next() : next() % 1000) * (next() % 2 ? 1 : -1));
    case 1: return json_real(real_value());
    case 2: return string_value();
    case 3: return next() % 2 ? json_true() : json_false();
    case 4: return json_null();
    case 5: return json_real(real_value());
    case 6: {
        json_t *a = json_array();
        for (int k = (int)(next() % 5); k > 0; k--)
            json_array_append_new(a, tree(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int k = (int)(next() % 5); k > 0; k--) {
            json_t *key = string_value();
            json_object_set_new(o, json_string_value(key), tree(depth + 1));
            json_decref(key);
        }
        return o;
    }
    }
}

/* v printed into w (emptied first) is want, which json_dumps or pcs_envelope_encode gave; what
 * names the case in a failure. */
static void assert_prints(pcs_copybuf_t *w, const json_t *v, const char *want, const char *what)
{
    cr_assert(v && want, "%s: nothing to compare", what);
    w->n = 0;
    pcs_span_t span;
    cr_assert_eq(pcs_doctext_append(w, v, NULL, &span), 0, "%s", what);
    cr_assert(span.off == 0 && span.len == w->n && w->n == strlen(want) && memcmp(w->s, want, w->n) == 0,
              "%s: want %s got %.*s", what, want, (int)w->n, w->s);
}

Test(doctext, prints_as_json_dumps)
{
    pcs_copybuf_t w = {0};
    for (int i = 0; i < 20000; i++) {
        json_t *v = tree(0);
        char *want = json_dumps(v, PCS_JSON_DUMP_FLAGS | JSON_ENCODE_ANY), what[32];
        snprintf(what, sizeof what, "case %d", i);
        assert_prints(&w, v, want, what);
        free(want);
        json_decref(v);
    }
    free(w.s);
}

Test(doctext, every_real_kind_as_dtostr)
{
    pcs_copybuf_t w = {0};
    for (int i = 0; i < 200000; i++) {
        json_t *v = json_real(real_value());
        char *want = json_dumps(v, PCS_JSON_DUMP_FLAGS | JSON_ENCODE_ANY), what[32];
        snprintf(what, sizeof what, "%.17g", json_real_value(v));
        assert_prints(&w, v, want, what);
        free(want);
        json_decref(v);
    }
    free(w.s);
}

Test(doctext, placeholders_stand_for_their_texts)
{
    pcs_copybuf_t w = {0};
    pcs_copy_put(&w, "{\"t\":1}[2]", 10);
    pcs_span_t tracks[2] = {{0, 7}, {7, 3}};
    json_t *doc = json_pack("[o,s,o]", json_stringn_nocheck("", 1), "x", json_stringn_nocheck("", 1));
    pcs_doctext_subst_t sub = {.tracks = tracks, .n_tracks = 2};
    pcs_span_t out;
    cr_assert_eq(pcs_doctext_append(&w, doc, &sub, &out), 0);
    cr_assert_eq(sub.next_track, 2);
    cr_assert(out.len == 17 && memcmp(w.s + out.off, "[{\"t\":1},\"x\",[2]]", 17) == 0, "%.*s", (int)out.len,
              w.s + out.off);

    /* one track more than there are texts: refused */
    sub.next_track = 0;
    sub.n_tracks = 1;
    cr_assert_eq(pcs_doctext_append(&w, doc, &sub, NULL), -1);
    /* a memo placeholder the cache does not hold: refused; without substitutions it is a string */
    json_t *memo = json_stringn_nocheck("\0M12", 4);
    pcs_doctext_subst_t none = {0};
    cr_assert_eq(pcs_doctext_append(&w, memo, &none, NULL), -1);
    w.n = 0;
    cr_assert_eq(pcs_doctext_append(&w, memo, NULL, NULL), 0);
    cr_assert(w.n == 11 && memcmp(w.s, "\"\\u0000M12\"", 11) == 0, "%.*s", (int)w.n, w.s);
    json_decref(memo);
    json_decref(doc);
    free(w.s);
}

/* The scorer prints its score.updated envelopes with pcs_doctext: the bytes pcs_envelope_encode
 * gives, for changes with and without a previous score. */
Test(doctext, envelope_as_pcs_envelope_encode)
{
    pcs_copybuf_t w = {0};
    for (int i = 0; i < 2000; i++) {
        json_t *body = json_object();
        json_object_set_new(body, "partner_id", string_value());
        json_object_set_new(body, "score", json_real(real_value()));
        json_object_set_new(body, "qualified", json_boolean(i % 2));
        json_object_set_new(body, "old_score", i % 3 ? json_real(real_value()) : json_null());
        json_object_set_new(body, "seq", json_integer(i * 7919));
        char id[32];
        snprintf(id, sizeof id, "w1-%d", i);
        char *want = pcs_envelope_encode("score.updated", id, "2026-12-06T23:59:59Z", body);
        json_t *env = pcs_envelope_new("score.updated", id, "2026-12-06T23:59:59Z", body);
        assert_prints(&w, env, want, id);
        free(want);
        json_decref(env);
        json_decref(body);
    }
    free(w.s);
}
