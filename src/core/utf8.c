/* UTF-8 decoding with Python's repair rules, white space, strip and length. */
#include "utf8.h"

/* Continuation bytes a lead byte needs and the range its first one must fall in
 * (Unicode Table 3-7: no overlong forms, surrogates or values past U+10FFFF). */
static int lead_info(unsigned char c, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) return 1;
    if (c == 0xE0) { *lo = 0xA0; return 2; }
    if (c >= 0xE1 && c <= 0xEC) return 2;
    if (c == 0xED) { *hi = 0x9F; return 2; }
    if (c == 0xEE || c == 0xEF) return 2;
    if (c == 0xF0) { *lo = 0x90; return 3; }
    if (c >= 0xF1 && c <= 0xF3) return 3;
    if (c == 0xF4) { *hi = 0x8F; return 3; }
    return -1; /* 0x80..0xC1, 0xF5..0xFF: never a lead byte */
}

size_t vc_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    unsigned char lo, hi;
    int need = lead_info(u[0], &lo, &hi);
    if (need < 0) {
        *cp = VC_UTF8_BAD;
        return 1;
    }
    uint32_t v = u[0] & (0x3Fu >> need);
    size_t i = 1;
    for (; i <= (size_t)need; i++) {
        if (i >= n || u[i] < lo || u[i] > hi) {
            *cp = VC_UTF8_BAD; /* the maximal subpart ends before byte i */
            return i;
        }
        v = (v << 6) | (u[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return i;
}

size_t vc_utf8_sanitize(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = vc_utf8_decode(s + i, n - i, &cp);
        if (cp == VC_UTF8_BAD || cp == 0) {
            out[o++] = (char)0xEF;
            out[o++] = (char)0xBF;
            out[o++] = (char)0xBD;
        } else {
            for (size_t k = 0; k < len; k++) out[o++] = s[i + k];
        }
        i += len;
    }
    return o;
}

int vc_utf8_is_space(uint32_t cp)
{
    if (cp <= 0x20) return (cp >= 0x09 && cp <= 0x0D) || cp >= 0x1C;
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

void vc_utf8_strip(const char *s, size_t n, size_t *begin, size_t *end)
{
    size_t a = 0, b = n;
    while (a < b) {
        uint32_t cp;
        size_t len = vc_utf8_decode(s + a, b - a, &cp);
        if (!vc_utf8_is_space(cp)) break;
        a += len;
    }
    while (b > a) {
        size_t c = b - 1; /* back to the lead byte of the last character */
        while (c > a && ((unsigned char)s[c] & 0xC0) == 0x80) c--;
        uint32_t cp;
        vc_utf8_decode(s + c, b - c, &cp);
        if (!vc_utf8_is_space(cp)) break;
        b = c;
    }
    *begin = a;
    *end = b;
}

size_t vc_utf8_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}
