#include "pcs_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes) that is not a C1 control, or 0. */
static size_t printable_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (k == 1)
        return c >= 0x20 && c != 0x7f ? 1 : 0;
    if (!k || k > n || (k == 2 && c < 0xC2) || (k == 4 && c > 0xF4))
        return 0;
    for (size_t j = 1; j < k; j++)
        if ((s[j] & 0xC0) != 0x80)
            return 0;
    if (k == 2 && c == 0xC2 && s[1] < 0xA0)
        return 0;   /* C1 controls U+0080..U+009F */
    if (k == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)))
        return 0;
    if (k == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)))
        return 0;
    return k;
}

size_t pcs_text_escape(const char *s, size_t n, char *out, size_t osize)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    if (!osize)
        return 0;
    for (size_t i = 0; i < n;) {
        char esc[8];
        const char *piece;
        size_t len, k = printable_seq(p + i, n - i);
        if (k) {
            piece = s + i;
            len = k;
        } else {
            unsigned c = p[i];
            k = 1;
            if (c == '\n')
                piece = "\\n";
            else if (c == '\r')
                piece = "\\r";
            else if (c == '\t')
                piece = "\\t";
            else {
                snprintf(esc, sizeof esc, "\\x%02X", c);
                piece = esc;
            }
            len = strlen(piece);
        }
        if (o + len + 1 > osize)
            break;
        memcpy(out + o, piece, len);
        o += len;
        i += k;
    }
    out[o] = '\0';
    return o;
}

char *pcs_text_escape_dup(const char *s, size_t n)
{
    size_t cap = n * 4 + 1;   /* "\xNN" is the longest form of one byte */
    char *out = malloc(cap);
    if (out)
        pcs_text_escape(s, n, out, cap);
    return out;
}

bool pcs_text_is_printable(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = printable_seq(p + i, n - i);
        if (!k)
            return false;
        i += k ? k : 1;
    }
    return true;
}
