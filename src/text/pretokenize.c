/* The GPT-2 pre-tokenizer by hand (see pretokenize.h for the regex it follows). */
#include "text/pretokenize.h"

#include "text/unicode_class.h"

static size_t char_at(const uint8_t *s, size_t len, size_t pos, vc_ucd_class_id *cls)
{
    if (s[pos] < 0x80) {
        *cls = (vc_ucd_class_id)vc_ucd_ascii[s[pos]];
        return 1;
    }
    uint32_t cp;
    size_t n = vc_utf8_next(s, len, pos, &cp);
    *cls = vc_ucd_class(cp);
    return n;
}

/* Length of 's 't 're 've 'm 'll 'd at pos, or 0. */
static size_t contraction(const uint8_t *s, size_t len, size_t pos)
{
    if (s[pos] != '\'' || pos + 1 >= len) return 0;
    uint8_t c = s[pos + 1];
    if (c == 's' || c == 't' || c == 'm' || c == 'd') return 2;
    if (pos + 2 < len) {
        uint8_t d = s[pos + 2];
        if ((c == 'r' && d == 'e') || (c == 'v' && d == 'e') || (c == 'l' && d == 'l'))
            return 3;
    }
    return 0;
}

/* End of the run of characters of class cls that starts at pos. */
static size_t run_end(const uint8_t *s, size_t len, size_t pos, vc_ucd_class_id cls)
{
    while (pos < len) {
        vc_ucd_class_id c;
        size_t n = char_at(s, len, pos, &c);
        if (c != cls) break;
        pos += n;
    }
    return pos;
}

size_t vc_pretok_next(const uint8_t *s, size_t len, size_t pos)
{
    size_t k = contraction(s, len, pos);
    if (k) return pos + k;

    /* " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": a space joins the run after it. */
    vc_ucd_class_id c0, c1;
    size_t n0 = char_at(s, len, pos, &c0);
    if (s[pos] == ' ' && pos + 1 < len) {
        size_t n1 = char_at(s, len, pos + 1, &c1);
        if (c1 != VC_UCD_SPACE) return run_end(s, len, pos + 1 + n1, c1);
    }
    if (c0 != VC_UCD_SPACE) return run_end(s, len, pos + n0, c0);

    /* "\s+(?!\S)|\s+": a run of spaces, less its last character when a non-space follows
     * and the run is longer than one (that character then starts the next piece). */
    size_t last = pos, end = pos + n0;
    while (end < len) {
        vc_ucd_class_id c;
        size_t n = char_at(s, len, end, &c);
        if (c != VC_UCD_SPACE) break;
        last = end;
        end += n;
    }
    if (end == len || last == pos) return end;
    return last;
}
