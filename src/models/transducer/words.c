/* NeMo's token offsets, word grouping and SentencePiece text (decode.h), after
 * transducer_decode_ref.py's token_offsets, word_offsets and decode_pieces.
 *
 * Punctuation is NeMo's "supported punctuation": the characters of Unicode category P in
 * the pieces that are not special (<..>, [..], ##.., ▁.., blank). The category test
 * below covers ASCII, Latin-1, General Punctuation and the CJK and full-width forms,
 * which is where SentencePiece vocabularies of NeMo's models have theirs. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "decode.h"

#define SPACE "\xe2\x96\x81" /* U+2581, SentencePiece's word start */

static int is_category_p(uint32_t c)
{
    if (c < 128) return c > 32 && c < 127 && strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)c) != NULL;
    if (c < 0x100) return c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 || c == 0xBB || c == 0xBF;
    if (c >= 0x2010 && c <= 0x205E) return !(c == 0x2044 || c == 0x2052 || (c >= 0x2028 && c <= 0x202F) || c == 0x205F);
    if (c >= 0x3001 && c <= 0x3003) return 1;
    if (c >= 0x3008 && c <= 0x3011) return 1;
    if (c >= 0x3014 && c <= 0x301F) return 1;
    if (c >= 0xFF01 && c <= 0xFF65)
        return !(c == 0xFF04 || c == 0xFF0B || (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF1C && c <= 0xFF1E) ||
                 (c >= 0xFF21 && c <= 0xFF3A) || c == 0xFF3E || c == 0xFF40 || (c >= 0xFF41 && c <= 0xFF5A) ||
                 c == 0xFF5C || c == 0xFF5E);
    return 0;
}

static int special(const char *p)
{
    size_t n = strlen(p);
    int blank_only = 1;
    for (const char *c = p; *c; c++) blank_only &= *c == ' ' || *c == '\t' || *c == '\n';
    return blank_only || (n >= 2 && ((p[0] == '[' && p[n - 1] == ']') || (p[0] == '<' && p[n - 1] == '>'))) ||
           !strncmp(p, "##", 2) || !strncmp(p, SPACE, 3);
}

static void add_punct(vc_td_model *m, uint32_t c)
{
    for (int i = 0; i < m->n_punct; i++)
        if (m->punct[i] == c) return;
    if (m->n_punct < VC_TD_MAX_PUNCT) m->punct[m->n_punct++] = c;
}

void vc_td_find_punctuation(vc_td_model *m)
{
    m->n_punct = 0;
    for (int i = 0; i < m->n_tokens; i++) {
        const char *p = m->pieces[i];
        if (special(p)) continue;
        for (size_t k = 0, n = strlen(p); k < n;) {
            uint32_t c;
            k += vc_utf8_decode(p + k, n - k, &c);
            if (is_category_p(c)) add_punct(m, c);
        }
    }
}

/* Is cp punctuation some non-special piece has? */
static int supported(const vc_td_model *m, uint32_t cp)
{
    for (int i = 0; i < m->n_punct; i++)
        if (m->punct[i] == cp) return 1;
    return 0;
}

/* Appends piece decoded as one of a sequence: "▁" -> " ", "<unk>" -> " ⁇ ". */
static void put_piece(vc_strbuf *b, const char *p)
{
    if (!strcmp(p, "<unk>")) {
        vc_strbuf_puts(b, " \xe2\x81\x87 ");
        return;
    }
    for (const char *c = p; *c;) {
        if (!strncmp(c, SPACE, 3)) {
            vc_strbuf_putc(b, ' ');
            c += 3;
        } else vc_strbuf_putc(b, *c++);
    }
}

/* SentencePiece's decoding of tokens[0..n): joined, one leading space dropped. */
static char *decode(const vc_td_model *m, const int32_t *tokens, int n)
{
    vc_strbuf b = {0};
    for (int i = 0; i < n; i++) put_piece(&b, m->pieces[tokens[i]]);
    char *s;
    size_t len;
    if (vc_strbuf_take(&b, &s, &len)) return NULL;
    if (s[0] == ' ') memmove(s, s + 1, len);
    return s;
}

/* The one punctuation character a token's text is, or 0. */
static uint32_t punct_text(const vc_td_model *m, const char *text, int have)
{
    uint32_t c;
    size_t n = strlen(text);
    if (!have || !n || vc_utf8_decode(text, n, &c) != n) return 0;
    return supported(m, c) ? c : 0;
}

voce_status vc_td_token_offsets(const vc_td_model *m, const vc_td_hyp *h, int *start, int *end)
{
    int have = m->n_punct > 0;
    for (int i = 0; i < h->n; i++) {
        int f = h->frames[i];
        if (m->kind == VC_TD_TDT) start[i] = f, end[i] = f + h->durations[i];
        else if (m->kind == VC_TD_RNNT) start[i] = f, end[i] = f + 1;
        else start[i] = i ? h->frames[i - 1] : (h->frames[0] > 0 ? h->frames[0] - 1 : 0), end[i] = f;
        if (!i || !have || m->kind == VC_TD_RNNT) continue;
        char *text = decode(m, &h->tokens[i], 1);
        if (!text) return vc_error(VOCE_ERR_NOMEM, "out of memory");
        uint32_t c0 = 0;
        if (text[0]) vc_utf8_decode(text, strlen(text), &c0);
        if (m->kind == VC_TD_TDT && punct_text(m, text, have)) start[i] = end[i] = end[i - 1];
        else if (m->kind == VC_TD_CTC && text[0] && supported(m, c0)) end[i] = start[i];
        free(text);
    }
    return VOCE_OK;
}

voce_status vc_td_text(const vc_td_model *m, const vc_td_hyp *h, char **text)
{
    *text = decode(m, h->tokens, h->n);
    return *text ? VOCE_OK : vc_error(VOCE_ERR_NOMEM, "out of memory");
}

void vc_td_words_free(vc_td_word *words, int n)
{
    for (int i = 0; words && i < n; i++) free(words[i].text);
    free(words);
}

/* Each token's text alone, and whether it is one supported punctuation character. */
voce_status vc_td_token_texts(const vc_td_model *m, const vc_td_hyp *h, char **text, int *punct)
{
    int have = m->n_punct > 0;
    for (int i = 0; i < h->n; i++) {
        if (!(text[i] = decode(m, &h->tokens[i], 1))) return vc_error(VOCE_ERR_NOMEM, "out of memory");
        punct[i] = punct_text(m, text[i], have) != 0;
    }
    return VOCE_OK;
}
