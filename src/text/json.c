/* Recursive-descent JSON reader into a node array (see json.h). */
#include "text/json.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define MAX_DEPTH 64

typedef struct parser {
    const uint8_t *p;
    size_t n, pos;
    const char *what;
    vc_json *j;
} parser;

static voce_status fail(const parser *ps, const char *msg)
{
    return vc_error(VOCE_ERR_FORMAT, "%s: %s at byte %zu", ps->what, msg, ps->pos);
}

static void skip_ws(parser *ps)
{
    while (ps->pos < ps->n) {
        uint8_t c = ps->p[ps->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        ps->pos++;
    }
}

static voce_status new_node(parser *ps, vc_json_type t, uint32_t *idx)
{
    vc_json *j = ps->j;
    if (j->n == j->cap) {
        if (j->cap >= UINT32_MAX / 4) return fail(ps, "too many values");
        uint32_t c = j->cap ? 2 * j->cap : 1024;
        vc_json_node *q = realloc(j->node, (size_t)c * sizeof *q);
        if (!q) return vc_error(VOCE_ERR_NOMEM, "%s: out of memory", ps->what);
        j->node = q;
        j->cap = c;
    }
    memset(&j->node[j->n], 0, sizeof j->node[j->n]);
    j->node[j->n].type = t;
    *idx = j->n++;
    return VOCE_OK;
}

static voce_status put(parser *ps, const void *s, size_t n)
{
    vc_json *j = ps->j;
    if (n == 0) return VOCE_OK;
    if (n > UINT32_MAX - 1 - j->buf_len) return fail(ps, "strings over 4 GiB");
    if (j->buf_len + n > j->buf_cap) {
        size_t c = j->buf_cap ? j->buf_cap : 4096;
        while (c < j->buf_len + n) c *= 2;
        char *q = realloc(j->buf, c);
        if (!q) return vc_error(VOCE_ERR_NOMEM, "%s: out of memory", ps->what);
        j->buf = q;
        j->buf_cap = c;
    }
    memcpy(j->buf + j->buf_len, s, n);
    j->buf_len += n;
    return VOCE_OK;
}

static int hex4(const uint8_t *s, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return 0;
        *v = *v << 4 | (uint32_t)d;
    }
    return 1;
}

static voce_status put_utf8(parser *ps, uint32_t cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) b[0] = (uint8_t)cp, n = 1;
    else if (cp < 0x800) b[0] = (uint8_t)(0xC0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (uint8_t)(0xE0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)),
        b[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    else
        b[0] = (uint8_t)(0xF0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    return put(ps, b, n);
}

/* \uXXXX at ps->pos (after the backslash and 'u'), a surrogate pair taken whole. */
static voce_status unicode_escape(parser *ps)
{
    uint32_t cp, lo;
    if (ps->n - ps->pos < 4 || !hex4(ps->p + ps->pos, &cp)) return fail(ps, "bad \\u escape");
    ps->pos += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(ps, "lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (ps->n - ps->pos < 6 || ps->p[ps->pos] != '\\' || ps->p[ps->pos + 1] != 'u'
            || !hex4(ps->p + ps->pos + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return fail(ps, "high surrogate without its low half");
        ps->pos += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return put_utf8(ps, cp);
}

/* A string at ps->pos (its opening quote), decoded into the buffer. */
static voce_status parse_string(parser *ps, uint32_t *off, uint32_t *len)
{
    ps->pos++;
    *off = (uint32_t)ps->j->buf_len;
    for (;;) {
        size_t run = ps->pos;
        while (run < ps->n && ps->p[run] != '"' && ps->p[run] != '\\' && ps->p[run] >= 0x20) run++;
        voce_status st = put(ps, ps->p + ps->pos, run - ps->pos);
        if (st) return st;
        ps->pos = run;
        if (run == ps->n) return fail(ps, "unterminated string");
        uint8_t c = ps->p[ps->pos];
        if (c == '"') break;
        if (c < 0x20) return fail(ps, "control character in a string");
        if (++ps->pos == ps->n) return fail(ps, "unterminated string");
        c = ps->p[ps->pos++];
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e = c ? strchr(from, c) : NULL;
        if (e) st = put(ps, &to[e - from], 1);
        else if (c == 'u') st = unicode_escape(ps);
        else {
            ps->pos--;
            return fail(ps, "bad escape");
        }
        if (st) return st;
    }
    ps->pos++;
    *len = (uint32_t)(ps->j->buf_len - *off);
    return put(ps, "", 1);
}

static size_t digits(const parser *ps, size_t i)
{
    while (i < ps->n && ps->p[i] >= '0' && ps->p[i] <= '9') i++;
    return i;
}

static voce_status parse_number(parser *ps, uint32_t *off, uint32_t *len)
{
    size_t i = ps->pos, start = i;
    if (ps->p[i] == '-') i++;
    size_t d = digits(ps, i);
    if (d == i || (ps->p[i] == '0' && d > i + 1)) return fail(ps, "bad number");
    i = d;
    if (i < ps->n && ps->p[i] == '.') {
        d = digits(ps, i + 1);
        if (d == i + 1) return fail(ps, "bad number");
        i = d;
    }
    if (i < ps->n && (ps->p[i] == 'e' || ps->p[i] == 'E')) {
        i++;
        if (i < ps->n && (ps->p[i] == '+' || ps->p[i] == '-')) i++;
        d = digits(ps, i);
        if (d == i) return fail(ps, "bad number");
        i = d;
    }
    ps->pos = i;
    *off = (uint32_t)ps->j->buf_len;
    *len = (uint32_t)(i - start);
    voce_status st = put(ps, ps->p + start, i - start);
    return st ? st : put(ps, "", 1);
}

static voce_status parse_value(parser *ps, int depth, uint32_t *idx);

/* The members of an object or the items of an array, after its opening bracket. */
static voce_status parse_items(parser *ps, int depth, uint32_t parent, int object)
{
    uint8_t close = object ? '}' : ']';
    uint32_t prev = 0;
    skip_ws(ps);
    if (ps->pos < ps->n && ps->p[ps->pos] == close) {
        ps->pos++;
        return VOCE_OK;
    }
    for (;;) {
        uint32_t key = 0, key_len = 0, child;
        voce_status st;
        skip_ws(ps);
        if (object) {
            if (ps->pos == ps->n || ps->p[ps->pos] != '"') return fail(ps, "expected a key");
            if ((st = parse_string(ps, &key, &key_len))) return st;
            skip_ws(ps);
            if (ps->pos == ps->n || ps->p[ps->pos] != ':') return fail(ps, "expected ':'");
            ps->pos++;
        }
        if ((st = parse_value(ps, depth + 1, &child))) return st;
        vc_json_node *c = &ps->j->node[child];
        c->key = key;
        c->key_len = key_len;
        if (prev) ps->j->node[prev - 1].next = child + 1;
        else ps->j->node[parent].child = child + 1;
        prev = child + 1;
        skip_ws(ps);
        if (ps->pos == ps->n) return fail(ps, "unexpected end");
        uint8_t c2 = ps->p[ps->pos++];
        if (c2 == close) return VOCE_OK;
        if (c2 != ',') {
            ps->pos--;
            return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
}

static voce_status literal(parser *ps, const char *word, vc_json_type t, uint32_t *idx)
{
    size_t n = strlen(word);
    if (ps->n - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0)
        return fail(ps, "unexpected character");
    ps->pos += n;
    return new_node(ps, t, idx);
}

static voce_status parse_value(parser *ps, int depth, uint32_t *idx)
{
    if (depth > MAX_DEPTH) return fail(ps, "nested more than 64 deep");
    skip_ws(ps);
    if (ps->pos == ps->n) return fail(ps, "unexpected end");
    uint8_t c = ps->p[ps->pos];
    voce_status st;
    uint32_t off, len;
    switch (c) {
    case '{':
    case '[':
        if ((st = new_node(ps, c == '{' ? VC_JSON_OBJECT : VC_JSON_ARRAY, idx))) return st;
        ps->pos++;
        return parse_items(ps, depth, *idx, c == '{');
    case '"':
        if ((st = parse_string(ps, &off, &len))) return st;
        break;
    case 't': return literal(ps, "true", VC_JSON_TRUE, idx);
    case 'f': return literal(ps, "false", VC_JSON_FALSE, idx);
    case 'n': return literal(ps, "null", VC_JSON_NULL, idx);
    default:
        if (c != '-' && (c < '0' || c > '9')) return fail(ps, "unexpected character");
        if ((st = parse_number(ps, &off, &len))) return st;
        break;
    }
    if ((st = new_node(ps, c == '"' ? VC_JSON_STRING : VC_JSON_NUMBER, idx))) return st;
    ps->j->node[*idx].str = off;
    ps->j->node[*idx].str_len = len;
    return VOCE_OK;
}

voce_status vc_json_parse(const void *data, size_t size, const char *what, vc_json *out)
{
    memset(out, 0, sizeof *out);
    if (!data && size) return vc_error(VOCE_ERR_INVALID_ARG, "%s: NULL data", what);
    parser ps = {data, size, 0, what, out};
    uint32_t root;
    voce_status st = parse_value(&ps, 0, &root);
    if (!st) {
        skip_ws(&ps);
        if (ps.pos != ps.n) st = fail(&ps, "text after the end of the value");
    }
    if (st) vc_json_free(out);
    return st;
}

void vc_json_free(vc_json *j)
{
    free(j->node);
    free(j->buf);
    memset(j, 0, sizeof *j);
}

const vc_json_node *vc_json_root(const vc_json *j) { return j->n ? &j->node[0] : NULL; }

const vc_json_node *vc_json_child(const vc_json *j, const vc_json_node *n)
{
    return n && n->child ? &j->node[n->child - 1] : NULL;
}

const vc_json_node *vc_json_next(const vc_json *j, const vc_json_node *n)
{
    return n && n->next ? &j->node[n->next - 1] : NULL;
}

const vc_json_node *vc_json_member(const vc_json *j, const vc_json_node *n, const char *key)
{
    if (!n || n->type != VC_JSON_OBJECT) return NULL;
    size_t k = strlen(key);
    for (const vc_json_node *m = vc_json_child(j, n); m; m = vc_json_next(j, m))
        if (m->key_len == k && memcmp(j->buf + m->key, key, k) == 0) return m;
    return NULL;
}

const char *vc_json_key(const vc_json *j, const vc_json_node *n, size_t *len)
{
    *len = n->key_len;
    return j->buf + n->key;
}

const char *vc_json_string(const vc_json *j, const vc_json_node *n, size_t *len)
{
    if (!n || n->type != VC_JSON_STRING) return NULL;
    *len = n->str_len;
    return j->buf + n->str;
}

int vc_json_int(const vc_json *j, const vc_json_node *n, int64_t min, int64_t max, int64_t *out)
{
    if (!n || n->type != VC_JSON_NUMBER) return 0;
    const char *s = j->buf + n->str;
    int neg = *s == '-';
    if (neg) s++;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        if (v > (INT64_MAX - 9) / 10) return 0;
        v = v * 10 + (*s - '0');
    }
    if (neg) v = -v;
    if (v < min || v > max) return 0;
    *out = v;
    return 1;
}
