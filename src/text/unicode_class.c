/* Class lookup over the generated tables, and the forgiving UTF-8 reader. */
#include "text/unicode_class.h"

vc_ucd_class_id vc_ucd_class(uint32_t cp)
{
    if (cp < 128) return (vc_ucd_class_id)vc_ucd_ascii[cp];
    unsigned lo = 0, hi = vc_ucd_n_ranges;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (cp < vc_ucd_ranges[mid].first) hi = mid;
        else if (cp > vc_ucd_ranges[mid].last) lo = mid + 1;
        else return (vc_ucd_class_id)vc_ucd_ranges[mid].cls;
    }
    return VC_UCD_OTHER;
}

static int is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

size_t vc_utf8_next(const uint8_t *s, size_t len, size_t pos, uint32_t *cp)
{
    uint8_t b0 = s[pos];
    size_t left = len - pos;
    if (b0 < 0x80) { *cp = b0; return 1; }
    *cp = VC_UTF8_INVALID;
    /* The second byte's allowed range is what rules out overlong forms, surrogates and
     * values past U+10FFFF (the Unicode table of well-formed byte sequences). */
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (left < 2 || !is_cont(s[pos + 1])) return 1;
        *cp = ((uint32_t)(b0 & 0x1F) << 6) | (s[pos + 1] & 0x3F);
        return 2;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
        if (left < 3 || s[pos + 1] < lo || s[pos + 1] > hi || !is_cont(s[pos + 2])) return 1;
        *cp = ((uint32_t)(b0 & 0x0F) << 12) | ((uint32_t)(s[pos + 1] & 0x3F) << 6)
              | (s[pos + 2] & 0x3F);
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
        if (left < 4 || s[pos + 1] < lo || s[pos + 1] > hi || !is_cont(s[pos + 2])
            || !is_cont(s[pos + 3]))
            return 1;
        *cp = ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(s[pos + 1] & 0x3F) << 12)
              | ((uint32_t)(s[pos + 2] & 0x3F) << 6) | (s[pos + 3] & 0x3F);
        return 4;
    }
    return 1;
}
