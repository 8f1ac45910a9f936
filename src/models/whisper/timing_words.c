/* Words from tokens as openai's tokenizer splits them (split_tokens_on_unicode,
 * split_tokens_on_spaces) and timing.py's merge_punctuations. Python works on str, so
 * token bytes are decoded the way bytes.decode("utf-8", "replace") does: each maximal
 * invalid or truncated subpart becomes one U+FFFD. The texts kept are those decoded
 * strings in UTF-8, so "in", startswith and strip() act on them byte-wise. */
#include "models/whisper/timing.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8.h"

#define REPLACEMENT 0xFFFDu
#define MAX_TOKENS 65536        /* a window holds at most 448 */
#define MAX_BYTES (1 << 24)

/* ---- Python's UTF-8 decoding with errors="replace" ---- */

/* One character at s[0..n), n >= 1: its code point (U+FFFD for an ill-formed subpart,
 * as Python's decode(errors="replace")) and the bytes it takes. */
static size_t next_char(const unsigned char *s, size_t n, unsigned *cp)
{
    uint32_t c;
    size_t len = vc_utf8_decode((const char *)s, n, &c);
    *cp = c == VC_UTF8_BAD ? REPLACEMENT : c;
    return len;
}

static size_t put_utf8(unsigned cp, char *o)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

typedef struct {
    int n_chars;
    int first_replacement; /* character index; -1: none */
} decoded;

/* Decode s[0..n): counts, and optionally the text (at most 3 bytes per input byte:
 * one invalid byte becomes the 3-byte U+FFFD) and a flag per character. */
static decoded decode(const unsigned char *s, size_t n, char *text, size_t *text_len,
                      unsigned char *is_replacement)
{
    decoded d = {0, -1};
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        i += next_char(s + i, n - i, &cp);
        if (cp == REPLACEMENT && d.first_replacement < 0) d.first_replacement = d.n_chars;
        if (is_replacement) is_replacement[d.n_chars] = cp == REPLACEMENT;
        if (text) o += put_utf8(cp, text + o);
        d.n_chars++;
    }
    if (text_len) *text_len = o;
    return d;
}

/* ---- Python str operations on UTF-8 ---- */

/* str.strip() of valid UTF-8 s: the inner slice. */
static void py_strip(const char **s, size_t *len)
{
    size_t lo, hi;
    vc_utf8_strip(*s, *len, &lo, &hi);
    *s += lo;
    *len = hi - lo;
}

int vc_whisper_text_in(const char *s, size_t len, const char *set)
{
    /* for valid UTF-8, str containment is byte containment: matches start on a
     * character boundary because s starts with one */
    size_t n = strlen(set);
    if (len == 0) return 1;
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(set + i, s, len) == 0) return 1;
    return 0;
}

/* ---- splitting ---- */

vc_whisper_split_mode vc_whisper_split_mode_for(const char *language)
{
    static const char *const unicode_langs[] = {"zh", "ja", "th", "lo", "my", "yue"};
    for (size_t i = 0; language && i < sizeof unicode_langs / sizeof *unicode_langs; i++)
        if (strcmp(language, unicode_langs[i]) == 0) return VC_WHISPER_SPLIT_UNICODE;
    return VC_WHISPER_SPLIT_SPACES;
}

void vc_whisper_words_free(vc_whisper_words *w)
{
    if (!w) return;
    free(w->w);
    free(w->text_buf);
    w->w = NULL;
    w->text_buf = NULL;
    w->n = 0;
}

/* Every token's bytes, one after another, and where each starts (off[n] = total). */
static voce_status gather_bytes(const int32_t *tokens, int n, vc_whisper_token_bytes_fn bytes,
                                void *ctx, unsigned char **all, size_t **off)
{
    *all = NULL;
    *off = malloc(((size_t)n + 1) * sizeof **off);
    if (!*off) return vc_error(VOCE_ERR_NOMEM, "whisper words: no memory for %d tokens", n);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        size_t len = 0;
        if (!bytes(ctx, tokens[i], &len))
            return vc_error(VOCE_ERR_INVALID_ARG, "whisper words: token %d (at %d) has no bytes",
                            (int)tokens[i], i);
        (*off)[i] = total;
        total += len;
        if (len > MAX_BYTES || total > MAX_BYTES) /* also keeps character counts in an int */
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "whisper words: tokens up to %d come to more than %d bytes", i,
                            MAX_BYTES);
    }
    (*off)[n] = total;
    *all = malloc(total ? total : 1);
    if (!*all) return vc_error(VOCE_ERR_NOMEM, "whisper words: no memory for %zu bytes", total);
    for (int i = 0; i < n; i++) {
        size_t len = 0;
        const char *b = bytes(ctx, tokens[i], &len);
        if (!b || len != (*off)[i + 1] - (*off)[i])
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "whisper words: token %d gave different bytes on a second call",
                            (int)tokens[i]);
        memcpy(*all + (*off)[i], b, len);
    }
    return VOCE_OK;
}

/* split_tokens_on_unicode: a group of tokens closes once its decoding has no U+FFFD, or
 * its first U+FFFD is one in the decoding of the whole sequence too. Python indexes the
 * whole decoding there; where that index is past its end (IndexError in Python), the
 * group stays open. Tokens after the last closed group belong to no word. Each group's
 * text goes to out->text_buf, its words to out->w. */
static voce_status split_unicode(const unsigned char *all, const size_t *off, int n,
                                 vc_whisper_words *out)
{
    size_t total = off[n];
    unsigned char *full_repl = malloc(total ? total : 1);
    out->text_buf = malloc(3 * total + 1);
    out->w = calloc(n ? (size_t)n : 1, sizeof *out->w);
    if (!full_repl || !out->text_buf || !out->w) {
        free(full_repl);
        return vc_error(VOCE_ERR_NOMEM, "whisper words: no memory for %zu bytes", total);
    }
    int n_full = decode(all, total, NULL, NULL, full_repl).n_chars;
    size_t text_len = 0;
    int begin = 0, char_off = 0;
    for (int t = 0; t < n; t++) {
        const unsigned char *g = all + off[begin];
        size_t glen = off[t + 1] - off[begin];
        decoded d = decode(g, glen, NULL, NULL, NULL);
        int at = char_off + d.first_replacement;
        if (d.first_replacement >= 0 && !(at < n_full && full_repl[at])) continue;
        vc_whisper_word *w = &out->w[out->n++];
        size_t len;
        decode(g, glen, out->text_buf + text_len, &len, NULL);
        w->text = out->text_buf + text_len; /* the buffer has room for the worst case */
        w->len = len;
        w->token_begin = begin;
        w->token_end = t + 1;
        text_len += len;
        char_off += d.n_chars;
        begin = t + 1;
    }
    free(full_repl);
    return VOCE_OK;
}

static const char PUNCTUATION[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"; /* string.punctuation */

/* split_tokens_on_spaces over the unicode groups: a group starts a new word when its
 * first token is special, it starts with a space or its stripped text lies within
 * string.punctuation (Python's "in": "" and runs like "?@" count); otherwise it joins
 * the word before. */
static void join_on_spaces(const int32_t *tokens, int32_t eot, vc_whisper_words *w)
{
    int n = 0;
    for (int i = 0; i < w->n; i++) {
        vc_whisper_word g = w->w[i];
        const char *s = g.text;
        size_t len = g.len;
        py_strip(&s, &len);
        int starts = tokens[g.token_begin] >= eot || (g.len > 0 && g.text[0] == ' ') ||
                     vc_whisper_text_in(s, len, PUNCTUATION) || n == 0;
        if (starts) {
            w->w[n++] = g;
        } else {
            w->w[n - 1].len += g.len; /* the groups' texts lie one after another */
            w->w[n - 1].token_end = g.token_end;
        }
    }
    w->n = n;
}

voce_status vc_whisper_split_words(const int32_t *tokens, int n, int32_t eot,
                                   vc_whisper_split_mode mode, vc_whisper_token_bytes_fn bytes,
                                   void *ctx, vc_whisper_words *out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "whisper words: NULL output");
    memset(out, 0, sizeof *out);
    if (n < 0 || (n > 0 && (!tokens || !bytes)))
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper words: NULL tokens or bytes callback");
    if (n > MAX_TOKENS) /* an unclosed group is decoded again for every token after it */
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper words: %d tokens (at most %d)", n,
                        MAX_TOKENS);
    if (mode != VC_WHISPER_SPLIT_SPACES && mode != VC_WHISPER_SPLIT_UNICODE)
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper words: unknown split mode %d", (int)mode);
    unsigned char *all = NULL;
    size_t *off = NULL;
    voce_status st = gather_bytes(tokens, n, bytes, ctx, &all, &off);
    if (!st) st = split_unicode(all, off, n, out);
    if (!st && mode == VC_WHISPER_SPLIT_SPACES) join_on_spaces(tokens, eot, out);
    free(all);
    free(off);
    if (st) vc_whisper_words_free(out);
    return st;
}

/* ---- merge_punctuations ---- */

static const char DEFAULT_PREPENDED[] = "\"'\xe2\x80\x9c\xc2\xbf([{-"; /* "'“¿([{- */
static const char DEFAULT_APPENDED[] =   /* "'.。,，!！?？:：”)]}、 */
    "\"'.\xe3\x80\x82,\xef\xbc\x8c!\xef\xbc\x81?\xef\xbc\x9f:\xef\xbc\x9a\xe2\x80\x9d)]}\xe3\x80\x81";

const char *vc_whisper_default_punctuation(int appended)
{
    return appended ? DEFAULT_APPENDED : DEFAULT_PREPENDED;
}

/* a + b into *dst (one of them); the other word is emptied by the caller. Python joins
 * strings and token lists; here both are spans, and the words between a and b are
 * always empty, so the spans touch. */
static voce_status join(const vc_whisper_word *a, const vc_whisper_word *b, vc_whisper_word *dst)
{
    vc_whisper_word r = *dst;
    if (a->len == 0) { r.text = b->text; r.len = b->len; }
    else if (b->len == 0) { r.text = a->text; r.len = a->len; }
    else if (a->text + a->len == b->text) { r.text = a->text; r.len = a->len + b->len; }
    else return vc_error(VOCE_ERR_INTERNAL, "whisper words: merged texts are not adjacent");
    if (a->token_end == a->token_begin) { r.token_begin = b->token_begin; r.token_end = b->token_end; }
    else if (b->token_end == b->token_begin) { r.token_begin = a->token_begin; r.token_end = a->token_end; }
    else if (a->token_end == b->token_begin) { r.token_begin = a->token_begin; r.token_end = b->token_end; }
    else return vc_error(VOCE_ERR_INTERNAL, "whisper words: merged tokens are not adjacent");
    *dst = r;
    return VOCE_OK;
}

static void empty(vc_whisper_word *w)
{
    w->len = 0;
    w->token_end = w->token_begin;
}

voce_status vc_whisper_merge_punctuations(vc_whisper_words *w, const char *prepended,
                                          const char *appended)
{
    if (!w || (w->n > 0 && !w->w))
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper words: NULL word list");
    if (!prepended) prepended = DEFAULT_PREPENDED;
    if (!appended) appended = DEFAULT_APPENDED;
    voce_status st;
    /* prepended: walk back; j is the word that following punctuation would join */
    for (int i = w->n - 2, j = w->n - 1; i >= 0; i--) {
        vc_whisper_word *prev = &w->w[i], *next = &w->w[j];
        const char *s = prev->text;
        size_t len = prev->len;
        py_strip(&s, &len);
        if (prev->len > 0 && prev->text[0] == ' ' && vc_whisper_text_in(s, len, prepended)) {
            if ((st = join(prev, next, next))) return st;
            empty(prev);
        } else {
            j = i;
        }
    }
    /* appended: walk forward; i is the word that punctuation would join */
    for (int i = 0, j = 1; j < w->n; j++) {
        vc_whisper_word *prev = &w->w[i], *next = &w->w[j];
        int ends_space = prev->len > 0 && prev->text[prev->len - 1] == ' ';
        if (!ends_space && vc_whisper_text_in(next->text, next->len, appended)) {
            if ((st = join(prev, next, prev))) return st;
            empty(next);
        } else {
            i = j;
        }
    }
    return VOCE_OK;
}
