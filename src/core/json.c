/* JSON writer: separators, string escaping, shortest round-trip numbers. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void vc_jsonw_init(vc_jsonw *w, int spaced)
{
    memset(w, 0, sizeof *w);
    w->spaced = spaced != 0;
}

void vc_jsonw_free(vc_jsonw *w)
{
    vc_strbuf_free(&w->out);
    vc_jsonw_init(w, w->spaced);
}

static void misuse(vc_jsonw *w, const char *what)
{
    if (!w->misuse) w->misuse = what;
}

/* Separator and checks before a value (or a key, is_key 1). */
static int before(vc_jsonw *w, int is_key)
{
    if (w->done) {
        misuse(w, "a second top-level value");
        return 0;
    }
    if (w->depth == 0) {
        if (is_key) misuse(w, "a key outside an object");
        return !is_key;
    }
    uint64_t bit = 1ull << (w->depth - 1);
    int in_object = (w->is_object & bit) != 0;
    if (w->want_value) {
        if (is_key) {
            misuse(w, "a key where a value belongs");
            return 0;
        }
        w->want_value = 0;
        return 1;
    }
    if (in_object && !is_key) {
        misuse(w, "a value without a key in an object");
        return 0;
    }
    if (!in_object && is_key) {
        misuse(w, "a key in an array");
        return 0;
    }
    if (w->has_item & bit) vc_strbuf_puts(&w->out, w->spaced ? ", " : ",");
    w->has_item |= bit;
    return 1;
}

static void after_value(vc_jsonw *w)
{
    if (w->depth == 0) w->done = 1;
}

static void begin(vc_jsonw *w, int object)
{
    if (!before(w, 0)) return;
    if (w->depth >= VC_JSONW_MAX_DEPTH) {
        misuse(w, "nesting deeper than VC_JSONW_MAX_DEPTH");
        return;
    }
    uint64_t bit = 1ull << w->depth;
    w->depth++;
    if (object) w->is_object |= bit;
    else w->is_object &= ~bit;
    w->has_item &= ~bit;
    vc_strbuf_putc(&w->out, object ? '{' : '[');
}

static void end(vc_jsonw *w, int object)
{
    if (w->misuse) return;
    if (w->depth == 0 || ((w->is_object >> (w->depth - 1)) & 1) != (uint64_t)object) {
        misuse(w, object ? "an object end without its begin" : "an array end without its begin");
        return;
    }
    if (w->want_value) {
        misuse(w, "a key without a value");
        return;
    }
    w->depth--;
    vc_strbuf_putc(&w->out, object ? '}' : ']');
    after_value(w);
}

void vc_jsonw_begin_object(vc_jsonw *w) { begin(w, 1); }
void vc_jsonw_end_object(vc_jsonw *w) { end(w, 1); }
void vc_jsonw_begin_array(vc_jsonw *w) { begin(w, 0); }
void vc_jsonw_end_array(vc_jsonw *w) { end(w, 0); }

/* s as a JSON string literal: escapes, then valid UTF-8 runs copied whole. */
static void put_string(vc_strbuf *b, const char *s, size_t n)
{
    vc_strbuf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc) {
            vc_strbuf_puts(b, esc);
            i++;
        } else if (c < 0x20) {
            vc_strbuf_printf(b, "\\u%04x", c);
            i++;
        } else {
            uint32_t cp;
            size_t len = vc_utf8_decode(s + i, n - i, &cp);
            if (cp == VC_UTF8_BAD) vc_strbuf_append(b, "\xEF\xBF\xBD", 3);
            else vc_strbuf_append(b, s + i, len);
            i += len;
        }
    }
    vc_strbuf_putc(b, '"');
}

void vc_jsonw_key(vc_jsonw *w, const char *key)
{
    if (!before(w, 1)) return;
    put_string(&w->out, key ? key : "", key ? strlen(key) : 0);
    vc_strbuf_puts(&w->out, w->spaced ? ": " : ":");
    w->want_value = 1;
}

void vc_jsonw_string_n(vc_jsonw *w, const char *s, size_t n)
{
    if (!s) {
        vc_jsonw_null(w);
        return;
    }
    if (!before(w, 0)) return;
    put_string(&w->out, s, n);
    after_value(w);
}

void vc_jsonw_string(vc_jsonw *w, const char *s) { vc_jsonw_string_n(w, s, s ? strlen(s) : 0); }

static void put_raw(vc_jsonw *w, const char *text)
{
    if (!before(w, 0)) return;
    vc_strbuf_puts(&w->out, text);
    after_value(w);
}

void vc_jsonw_int(vc_jsonw *w, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    put_raw(w, buf);
}

void vc_jsonw_double(vc_jsonw *w, double v)
{
    char buf[VC_JSONW_NUMBER_MAX];
    vc_jsonw_format_number(v, 0, buf);
    put_raw(w, buf);
}

void vc_jsonw_float(vc_jsonw *w, float v)
{
    char buf[VC_JSONW_NUMBER_MAX];
    vc_jsonw_format_number(v, 1, buf);
    put_raw(w, buf);
}

void vc_jsonw_bool(vc_jsonw *w, int v) { put_raw(w, v ? "true" : "false"); }
void vc_jsonw_null(vc_jsonw *w) { put_raw(w, "null"); }

voce_status vc_jsonw_finish(vc_jsonw *w, char **out, size_t *len)
{
    if (!w->misuse && !w->done) misuse(w, w->depth ? "an unclosed object or array" : "no value");
    if (w->misuse && !w->out.failed) {
        voce_status st = vc_error(VOCE_ERR_INTERNAL, "JSON writer misused: %s", w->misuse);
        vc_jsonw_free(w);
        return st;
    }
    voce_status st = vc_strbuf_take(&w->out, out, len);
    vc_jsonw_free(w);
    if (st) return vc_error(VOCE_ERR_NOMEM, "out of memory writing JSON");
    return VOCE_OK;
}

/* ---- numbers ---- */

static int reads_back(const char *text, double v, int is_float)
{
    double back = strtod(text, NULL);
    return is_float ? (float)back == (float)v : back == v;
}

/* The next decimal up in the last digit of "d.ddde+XX" (whatever the separator); 0 when
 * that needs another digit (9.99 -> 10.00). */
static int bump_last_digit(char *text)
{
    char *e = strpbrk(text, "eE");
    for (char *c = (e ? e : text + strlen(text)) - 1; c >= text; c--) {
        if (*c < '0' || *c > '9') continue;
        if (*c < '9') {
            (*c)++;
            return 1;
        }
        *c = '0';
    }
    return 0;
}

/* The fewest significant digits that read back to v (to (float)v when is_float): the
 * digit string without trailing zeros and the decimal exponent of its first digit.
 * With p digits, the nearest p-digit decimal is tried, then the one above it: at a power
 * of two the interval that reads back is narrower below v than above, and the shortest
 * decimal may lie only above (this makes the digits those of Python's repr).
 * printf and strtod both follow the current locale, so the round trip holds in any;
 * the digits and exponent are then picked out of whatever separator it uses. */
static void shortest_digits(double v, int is_float, char digits[20], int *exp10)
{
    char tmp[48], alt[48];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (reads_back(tmp, v, is_float)) break;
        memcpy(alt, tmp, sizeof alt);
        if (bump_last_digit(alt) && reads_back(alt, v, is_float)) {
            memcpy(tmp, alt, sizeof tmp);
            break;
        }
    }
    int nd = 0, e = 0, neg_e = 0;
    const char *c = tmp;
    for (; *c && *c != 'e' && *c != 'E'; c++)
        if (*c >= '0' && *c <= '9' && nd < 19) digits[nd++] = *c;
    if (*c) c++;
    if (*c == '-' || *c == '+') neg_e = *c++ == '-';
    for (; *c >= '0' && *c <= '9'; c++) e = e * 10 + (*c - '0');
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = 0;
    *exp10 = neg_e ? -e : e;
}

size_t vc_jsonw_format_number(double v, int is_float, char buf[VC_JSONW_NUMBER_MAX])
{
    if (!isfinite(v)) return (size_t)snprintf(buf, VC_JSONW_NUMBER_MAX, "null");
    char d[20];
    int e;
    shortest_digits(fabs(v), is_float, d, &e);
    int nd = (int)strlen(d);
    size_t o = 0;
    if (signbit(v)) buf[o++] = '-';
    if (e < -4 || e >= 16) {
        buf[o++] = d[0];
        if (nd > 1) {
            buf[o++] = '.';
            for (int i = 1; i < nd; i++) buf[o++] = d[i];
        }
        o += (size_t)snprintf(buf + o, VC_JSONW_NUMBER_MAX - o, "e%c%02d", e < 0 ? '-' : '+',
                              e < 0 ? -e : e);
        return o;
    }
    if (e < 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (int i = 0; i < -e - 1; i++) buf[o++] = '0';
        for (int i = 0; i < nd; i++) buf[o++] = d[i];
    } else {
        for (int i = 0; i <= e; i++) buf[o++] = i < nd ? d[i] : '0';
        buf[o++] = '.';
        if (nd > e + 1)
            for (int i = e + 1; i < nd; i++) buf[o++] = d[i];
        else buf[o++] = '0';
    }
    buf[o] = 0;
    return o;
}
