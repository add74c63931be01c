/* pcs_text: untrusted text made safe to show (issue 18.9).
 *
 * Text that came from a feed or a message (a rejected row, a reason quoting a bad value, a
 * customer name) may hold control characters: a CR/LF that injects a line or a header, an
 * escape sequence that drives a terminal. Before such text reaches a terminal, a log line, a
 * header or a file name it goes through pcs_text_escape(): printable characters are kept
 * (UTF-8 from U+00A0 on; a backslash too, so a reason that quotes a value escaped stays readable),
 * CR, LF and tab become "\r", "\n", "\t",
 * and every other byte below 0x20, DEL, a C1 control (U+0080..U+009F) or a byte that is not
 * part of valid UTF-8 becomes "\xNN". */
#ifndef PCS_TEXT_H
#define PCS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the escaped form of s[0..n) into out (NUL-terminated, cut at a character boundary when
 * osize is too small). Returns the length written. */
size_t pcs_text_escape(const char *s, size_t n, char *out, size_t osize);

/* The same into a malloc'd string the caller frees; NULL when out of memory. */
char *pcs_text_escape_dup(const char *s, size_t n);

/* True when s[0..n) holds no byte that pcs_text_escape() would change except printable UTF-8. */
bool pcs_text_is_printable(const char *s, size_t n);

#endif
