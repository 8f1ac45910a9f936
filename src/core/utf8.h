/* UTF-8 as Python decodes it: repair of invalid bytes, white space, length in characters.
 *
 *   char out[3 * 64];
 *   size_t n = vc_utf8_sanitize(raw, n_raw, out);      // n_raw <= 64; now valid UTF-8
 *   size_t a, b;
 *   vc_utf8_strip(out, n, &a, &b);                      // str.strip(): out[a..b)
 *
 * Repair follows bytes.decode("utf-8", errors="replace"): each maximal subpart of an
 * ill-formed sequence (Unicode's "best practice", what CPython does) becomes one U+FFFD.
 * A NUL byte also becomes U+FFFD: the library's strings are NUL-terminated and could not
 * hold it.
 */
#ifndef VC_UTF8_H
#define VC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The code point vc_utf8_decode gives for an ill-formed subpart. */
#define VC_UTF8_BAD 0xFFFFFFFFu

/* The character at s (n >= 1 bytes): returns its length in bytes (1 to 4) and stores its
 * code point, or, for an ill-formed sequence, the length of its maximal subpart (1 to 3)
 * and VC_UTF8_BAD. */
size_t vc_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Writes s (n bytes) with each ill-formed subpart and each NUL replaced by U+FFFD; out
 * holds 3 * n bytes (it gets no terminating NUL). Returns the bytes written. */
size_t vc_utf8_sanitize(const char *s, size_t n, char *out);

/* Python's str.isspace() for one character. */
int vc_utf8_is_space(uint32_t cp);

/* Python's str.strip() on valid UTF-8: the text without leading and trailing white
 * space is s[*begin .. *end). */
void vc_utf8_strip(const char *s, size_t n, size_t *begin, size_t *end);

/* Characters (code points) in valid UTF-8: Python's len(). */
size_t vc_utf8_length(const char *s, size_t n);

#endif
