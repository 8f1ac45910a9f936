/* Growing text buffer with a sticky allocation failure. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

char *vc_strbuf_reserve(vc_strbuf *b, size_t n)
{
    if (b->failed) return NULL;
    if (n >= SIZE_MAX / 2 - b->len) { /* len + n + 1, doubled, must not overflow */
        b->failed = 1;
        return NULL;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return NULL;
        }
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

void vc_strbuf_append(vc_strbuf *b, const char *s, size_t n)
{
    char *p = vc_strbuf_reserve(b, n);
    if (!p) return;
    if (n) memcpy(p, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void vc_strbuf_puts(vc_strbuf *b, const char *s) { vc_strbuf_append(b, s, strlen(s)); }

void vc_strbuf_putc(vc_strbuf *b, char c) { vc_strbuf_append(b, &c, 1); }

void vc_strbuf_printf(vc_strbuf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        vc_strbuf_append(b, small, (size_t)n);
        return;
    }
    char *p = vc_strbuf_reserve(b, (size_t)n);
    if (!p) return;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void vc_strbuf_utf8(vc_strbuf *b, const char *s, size_t n)
{
    if (n > SIZE_MAX / 4) {
        b->failed = 1;
        return;
    }
    char *p = vc_strbuf_reserve(b, 3 * n);
    if (!p) return;
    b->len += vc_utf8_sanitize(s, n, p);
    b->data[b->len] = 0;
}

voce_status vc_strbuf_take(vc_strbuf *b, char **out, size_t *len)
{
    if (!b->failed && !b->data) vc_strbuf_reserve(b, 0);
    if (b->failed) {
        vc_strbuf_free(b);
        return vc_error(VOCE_ERR_NOMEM, "out of memory building a text");
    }
    b->data[b->len] = 0;
    *out = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return VOCE_OK;
}

void vc_strbuf_free(vc_strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
