/* A window's text as Python holds it: UTF-8 decoded with errors replaced, stripped
 * (see decode_text.h). */
#include "models/whisper/decode_text.h"

#include <string.h>

#include "core/utf8.h"

size_t vc_whisper_clean_text(const uint8_t *in, size_t n, uint8_t *out)
{
    /* vc_utf8_sanitize would also replace NUL, which Python keeps: its text is measured */
    const char *s = (const char *)in;
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = vc_utf8_decode(s + i, n - i, &cp);
        if (cp == VC_UTF8_BAD) {
            memcpy(out + w, "\xEF\xBF\xBD", 3); /* U+FFFD */
            w += 3;
        } else {
            memcpy(out + w, in + i, len);
            w += len;
        }
        i += len;
    }
    size_t a, b;
    vc_utf8_strip((const char *)out, w, &a, &b);
    memmove(out, out + a, b - a);
    return b - a;
}
