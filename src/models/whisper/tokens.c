/* Whisper's special-token layout, the start-of-transcript sequence and the non-speech
 * suppression list (see tokens.h). */
#include "models/whisper/tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

int vc_whisper_n_languages(int32_t model_n_vocab)
{
    return (int)(model_n_vocab - 51765 - (model_n_vocab >= 51865));
}

voce_status vc_whisper_tokens_init(int32_t n_base, int n_languages, vc_whisper_tokens *t)
{
    if (n_base < 1 || n_base > VC_BPE_MAX_ID - 2000)
        return vc_error(VOCE_ERR_INVALID_ARG, "Whisper tokens: base vocabulary of %d tokens", n_base);
    if (n_languages < 0 || n_languages > VC_WHISPER_MAX_LANGUAGES)
        return vc_error(VOCE_ERR_INVALID_ARG, "Whisper tokens: %d languages (0 to %d)",
                        n_languages, VC_WHISPER_MAX_LANGUAGES);
    memset(t, 0, sizeof *t);
    t->n_base = n_base;
    t->n_languages = n_languages;
    t->eot = n_base;
    t->sot = n_base + 1;
    t->language_begin = n_base + 2;
    t->translate = t->language_begin + n_languages;
    t->transcribe = t->translate + 1;
    t->sot_lm = t->translate + 2;
    t->sot_prev = t->translate + 3;
    t->no_speech = t->translate + 4;
    t->no_timestamps = t->translate + 5;
    t->timestamp_begin = t->translate + 6;
    t->n_vocab = t->timestamp_begin + VC_WHISPER_N_TIMESTAMPS;
    return VOCE_OK;
}

voce_status vc_whisper_special_text(const vc_whisper_tokens *t, int32_t id, char *buf, size_t cap)
{
    static const char *const fixed[] = {"translate", "transcribe", "startoflm", "startofprev",
                                        "nospeech", "notimestamps"};
    int n;
    if (id == t->eot) n = snprintf(buf, cap, "<|endoftext|>");
    else if (id == t->sot) n = snprintf(buf, cap, "<|startoftranscript|>");
    else if (id >= t->language_begin && id < t->translate)
        n = snprintf(buf, cap, "<|%s|>", vc_whisper_language_code(id - t->language_begin));
    else if (id >= t->translate && id < t->timestamp_begin)
        n = snprintf(buf, cap, "<|%s|>", fixed[id - t->translate]);
    else if (id >= t->timestamp_begin && id < t->n_vocab) {
        int centis = 2 * (id - t->timestamp_begin);   /* exact: 0.02 s steps */
        n = snprintf(buf, cap, "<|%d.%02d|>", centis / 100, centis % 100);
    } else
        return vc_error(VOCE_ERR_NOT_FOUND, "token %d is not a Whisper special token", id);
    if (n < 0 || (size_t)n >= cap)
        return vc_error(VOCE_ERR_INVALID_ARG, "Whisper special token %d: buffer too small", id);
    return VOCE_OK;
}

voce_status vc_whisper_add_specials(vc_bpe *bpe, int n_languages, vc_whisper_tokens *t)
{
    static const char eot_text[] = "<|endoftext|>";
    int32_t base = vc_bpe_n_ordinary(bpe), id;
    if (vc_bpe_special_id(bpe, eot_text, sizeof eot_text - 1, &id) == VOCE_OK
        || vc_bpe_token_id(bpe, eot_text, sizeof eot_text - 1, &id) == VOCE_OK)
        base = id;
    vc_error_clear();
    voce_status st = vc_whisper_tokens_init(base, n_languages, t);
    if (st) return st;
    for (id = t->eot; id < t->n_vocab; id++) {
        char text[32];
        st = vc_whisper_special_text(t, id, text, sizeof text);
        if (!st) st = vc_bpe_add_special(bpe, text, strlen(text), id);
        if (st) return vc_error_prefix(st, "Whisper special tokens: ");
    }
    return VOCE_OK;
}

voce_status vc_whisper_language_token(const vc_whisper_tokens *t, int index, int32_t *id)
{
    if (index < 0 || index >= t->n_languages) {
        const char *code = vc_whisper_language_code(index);
        return vc_error(VOCE_ERR_NOT_FOUND, "language %d (%s) is not in this model, which has %d",
                        index, code ? code : "unknown", t->n_languages);
    }
    *id = t->language_begin + index;
    return VOCE_OK;
}

voce_status vc_whisper_sot_sequence(const vc_whisper_tokens *t, int language,
                                    vc_whisper_task task, int32_t out[3], size_t *n)
{
    *n = 0;
    out[(*n)++] = t->sot;
    if (language >= 0) {
        voce_status st = vc_whisper_language_token(t, language, &out[*n]);
        if (st) return st;
        (*n)++;
    }
    if (task == VC_WHISPER_TRANSCRIBE) out[(*n)++] = t->transcribe;
    else if (task == VC_WHISPER_TRANSLATE) out[(*n)++] = t->translate;
    return VOCE_OK;
}

/* --- non_speech_tokens ---------------------------------------------------------------- */

/* Kept when they encode to one token, alone or after a space. */
static const char *const symbols[] = {
    "\"", "#", "(", ")", "*", "+", "/", ":", ";", "<", "=", ">", "@", "[", "\\", "]", "^",
    "_", "`", "{", "|", "}", "~",
    "\xE3\x80\x8C", "\xE3\x80\x8D", "\xE3\x80\x8E", "\xE3\x80\x8F",     /* 「 」 『 』 */
    "<<", ">>", "<<<", ">>>", "--", "---", "-(", "-[", "('", "(\"", "((", "))", "(((", ")))",
    "[[", "]]", "{{", "}}",
    "\xE2\x99\xAA\xE2\x99\xAA", "\xE2\x99\xAA\xE2\x99\xAA\xE2\x99\xAA", /* ♪♪ ♪♪♪ */
};
/* Musical signs U+2669..U+266F (♩ ♪ ♫ ♬ ♭ ♮ ♯): their first token is kept whatever the
 * count, as they share their first two UTF-8 bytes. */
static const char *const musical[] = {
    "\xE2\x99\xA9", "\xE2\x99\xAA", "\xE2\x99\xAB", "\xE2\x99\xAC", "\xE2\x99\xAD",
    "\xE2\x99\xAE", "\xE2\x99\xAF",
};

typedef struct idset {
    int32_t *v;
    size_t n, cap;
} idset;

static voce_status idset_add(idset *s, int32_t id)
{
    if (s->n == s->cap) {
        size_t c = s->cap ? 2 * s->cap : 128;
        int32_t *p = realloc(s->v, c * sizeof *p);
        if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory for the non-speech tokens");
        s->v = p;
        s->cap = c;
    }
    s->v[s->n++] = id;
    return VOCE_OK;
}

/* Encode symbol, with a space before it if `spaced`; add its first token when it is the
 * only one or when `first_anyway`. */
static voce_status consider(const vc_bpe *bpe, const char *symbol, int spaced, int first_anyway,
                            idset *s)
{
    char text[32];
    snprintf(text, sizeof text, "%s%s", spaced ? " " : "", symbol);
    int32_t *ids;
    size_t n;
    voce_status st = vc_bpe_encode(bpe, text, strlen(text), 0, &ids, &n);
    if (st) return st;
    if (n == 1 || (first_anyway && n > 0)) st = idset_add(s, ids[0]);
    free(ids);
    return st;
}

static int cmp_id(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

voce_status vc_whisper_non_speech_tokens(const vc_bpe *bpe, int32_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    idset s = {0};
    /* " -" and " '" are banned at the start of a word only: their first token */
    voce_status st = consider(bpe, "-", 1, 1, &s);
    if (!st) st = consider(bpe, "'", 1, 1, &s);
    for (size_t i = 0; !st && i < sizeof symbols / sizeof symbols[0]; i++) {
        st = consider(bpe, symbols[i], 0, 0, &s);
        if (!st) st = consider(bpe, symbols[i], 1, 0, &s);
    }
    for (size_t i = 0; !st && i < sizeof musical / sizeof musical[0]; i++) {
        st = consider(bpe, musical[i], 0, 1, &s);
        if (!st) st = consider(bpe, musical[i], 1, 1, &s);
    }
    if (st) {
        free(s.v);
        return st;
    }
    qsort(s.v, s.n, sizeof *s.v, cmp_id);
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++)
        if (k == 0 || s.v[i] != s.v[k - 1]) s.v[k++] = s.v[i];
    *ids = s.v;
    *n = k;
    return VOCE_OK;
}
