/* A growing text buffer that remembers an allocation failure instead of reporting it at
 * every call: append freely, then check once when taking the text.
 *
 *   vc_strbuf b = {0};
 *   vc_strbuf_puts(&b, "WEBVTT\n\n");
 *   vc_strbuf_printf(&b, "%d\n", n);
 *   char *text; size_t len;
 *   if (vc_strbuf_take(&b, &text, &len)) return ...;    // VOCE_ERR_NOMEM, buffer freed
 *
 * The text is always NUL-terminated; after a failure, appends do nothing.
 */
#ifndef VC_STRBUF_H
#define VC_STRBUF_H

#include <stddef.h>

#include "error.h"

typedef struct vc_strbuf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: the text is incomplete */
} vc_strbuf;

/* Room for n more bytes and the NUL after them: where they go, or NULL (and failed). */
char *vc_strbuf_reserve(vc_strbuf *b, size_t n);
void vc_strbuf_append(vc_strbuf *b, const char *s, size_t n);
void vc_strbuf_puts(vc_strbuf *b, const char *s);
void vc_strbuf_putc(vc_strbuf *b, char c);
void vc_strbuf_printf(vc_strbuf *b, const char *fmt, ...) VC_PRINTF(2, 3);
/* s with invalid UTF-8 and NUL bytes replaced by U+FFFD (core/utf8.h). */
void vc_strbuf_utf8(vc_strbuf *b, const char *s, size_t n);

/* Hands the text over (malloc'd, NUL-terminated; "" when nothing was appended) and
 * leaves b empty; VOCE_ERR_NOMEM, with b freed, if anything failed. */
voce_status vc_strbuf_take(vc_strbuf *b, char **out, size_t *len);
void vc_strbuf_free(vc_strbuf *b);

#endif
