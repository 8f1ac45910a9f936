/* Long-form Whisper transcription (transcribe.h). */
#include "transcribe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8.h"

/* ---- the model and vocabulary as the decoding rules see them ---- */

static voce_status lm_reset(void *user)
{
    vc_whisper_runner *r = user;
    return vc_whisper_model_reset(&r->model);
}

/* The sequences advance in lockstep (one batch): each step gives every unfinished
 * sequence the same number of tokens; a finished one (n_new 0) is fed <|endoftext|> to
 * keep the batch rectangular, and its row is not read. */
static voce_status lm_step(void *user, int n_seq, const int32_t *const *tokens, const int *n_new, float *logits)
{
    vc_whisper_runner *r = user;
    int n = 0;
    for (int i = 0; i < n_seq; i++) {
        if (n_new[i] && n && n_new[i] != n)
            return vc_error(VOCE_ERR_INTERNAL, "sequences advance by %d and %d tokens in one step", n, n_new[i]);
        if (n_new[i]) n = n_new[i];
    }
    if (!n) return VOCE_OK;
    if (n_seq * n > VC_WHISPER_MAX_BATCH * r->model.d.n_text_ctx)
        return vc_error(VOCE_ERR_INVALID_ARG, "%d sequences of %d tokens at once", n_seq, n);
    for (int i = 0; i < n_seq; i++)
        for (int k = 0; k < n; k++) r->batch_tokens[i * n + k] = n_new[i] ? tokens[i][k] : r->model.tok.eot;
    const float *out;
    voce_status st = vc_whisper_model_decode_batch(&r->model, n_seq, r->batch_tokens, n, &out);
    if (st) return st;
    size_t V = (size_t)r->model.d.n_vocab;
    for (int i = 0; i < n_seq; i++)
        if (n_new[i]) memcpy(logits + (size_t)i * V, out + ((size_t)i * (size_t)n + (size_t)(n - 1)) * V, V * sizeof(float));
    return VOCE_OK;
}

static voce_status lm_reorder(void *user, const int *src, int n_seq)
{
    vc_whisper_runner *r = user;
    return vc_whisper_model_reorder(&r->model, src, n_seq);
}

static voce_status token_bytes(void *user, int32_t token, const uint8_t **bytes, size_t *n)
{
    const vc_whisper_runner *r = user;
    const char *b;
    voce_status st = vc_bpe_token_bytes(r->model.bpe, token, &b, n);
    *bytes = (const uint8_t *)b;
    return st;
}

static const char *timing_bytes(void *ctx, int32_t token, size_t *len)
{
    const vc_whisper_runner *r = ctx;
    const char *b;
    return vc_bpe_token_bytes(r->model.bpe, token, &b, len) ? NULL : b;
}

static voce_status make_decoder(vc_whisper_runner *r)
{
    const vc_whisper_tokens *t = &r->model.tok;
    int32_t *blank = NULL;
    size_t n_blank = 0;
    voce_status st = vc_bpe_encode(r->model.bpe, " ", 1, 0, &blank, &n_blank);
    if (st) return st;
    vc_whisper_vocab v = {
        .eot = t->eot, .sot = t->sot, .sot_prev = t->sot_prev, .sot_lm = t->sot_lm,
        .translate = t->translate, .transcribe = t->transcribe, .no_speech = t->no_speech,
        .no_timestamps = t->no_timestamps, .timestamp_begin = t->timestamp_begin,
        .lang_begin = t->language_begin, .n_languages = r->model.multilingual ? t->n_languages : 0,
        .blank = n_blank == 1 ? blank[0] : -1, .non_speech = r->non_speech,
        .n_non_speech = (int)r->n_non_speech, .token_bytes = token_bytes, .user = r};
    free(blank);
    vc_whisper_lm lm = {.user = r, .n_vocab = r->model.d.n_vocab, .n_text_ctx = r->model.d.n_text_ctx,
                        .n_audio_ctx = r->model.d.n_audio_ctx, .reset = lm_reset, .step = lm_step,
                        .reorder = lm_reorder};
    return vc_whisper_decoder_create(&v, &lm, NULL, &r->dec);
}

voce_status vc_whisper_runner_open(vc_whisper_runner *r, const voce_program *prog, const voce_method_options *mo)
{
    memset(r, 0, sizeof *r);
    voce_status st = vc_whisper_model_open(&r->model, prog, mo);
    const vc_whisper_dims *d = &r->model.d;
    voce_features_config fc = voce_features_config_default(VOCE_FEATURES_WHISPER);
    fc.n_mels = d->n_mels;
    fc.whisper_pad_30s = 1;
    if (!st) st = voce_features_create(&fc, &r->fe);
    if (!st) st = vc_whisper_non_speech_tokens(r->model.bpe, &r->non_speech, &r->n_non_speech);
    if (!st) st = make_decoder(r);
    if (!st) {
        r->window = malloc(sizeof(float) * (size_t)d->n_mels * 2 * (size_t)d->n_audio_ctx);
        r->batch_tokens = malloc(sizeof(int32_t) * VC_WHISPER_MAX_BATCH * (size_t)d->n_text_ctx);
        if (!r->window || !r->batch_tokens) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    if (st) vc_whisper_runner_close(r);
    return st;
}

void vc_whisper_runner_close(vc_whisper_runner *r)
{
    vc_whisper_decoder_free(r->dec);
    voce_features_destroy(r->fe);
    vc_whisper_model_close(&r->model);
    free(r->non_speech);
    free(r->window);
    free(r->batch_tokens);
    memset(r, 0, sizeof *r);
}

vc_whisper_run_params vc_whisper_run_params_default(void)
{
    vc_whisper_run_params p;
    memset(&p, 0, sizeof p);
    p.decode = vc_whisper_options_default();
    p.condition_on_previous_text = 1;
    return p;
}

void vc_whisper_transcript_free(vc_whisper_transcript *t)
{
    free(t->seg);
    free(t->tokens);
    free(t->words);
    free(t->word_text);
    memset(t, 0, sizeof *t);
}

voce_status vc_whisper_text_of(const vc_whisper_runner *r, const int32_t *tokens, int n, char **text, size_t *len)
{
    int32_t *ids = malloc(sizeof *ids * (size_t)(n + 1));
    if (!ids) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    int k = 0;
    for (int i = 0; i < n; i++)
        if (tokens[i] < r->model.tok.eot) ids[k++] = tokens[i];
    voce_status st = vc_bpe_decode_alloc(r->model.bpe, ids, (size_t)k, text, len);
    free(ids);
    return st;
}

/* ---- growing the transcript ---- */

static int grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap) return 1;
    int c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

static voce_status add_segment(vc_whisper_transcript *t, const vc_whisper_seg *s, const int32_t *tokens)
{
    if (!grow((void **)&t->seg, &t->cap_seg, t->n_seg + 1, sizeof *t->seg) ||
        !grow((void **)&t->tokens, &t->cap_tok, t->n_tok + s->n_tok, sizeof *t->tokens))
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    vc_whisper_seg *d = &t->seg[t->n_seg++];
    *d = *s;
    d->tok_begin = t->n_tok;
    memcpy(t->tokens + t->n_tok, tokens, sizeof *tokens * (size_t)s->n_tok);
    t->n_tok += s->n_tok;
    return VOCE_OK;
}

/* ---- one window ---- */

typedef struct window_state {
    const float *mel;       /* [frames][n_mels], the audio then 30 s of padding */
    int64_t content_frames;
    int64_t seek;
    int32_t *prompt;        /* all tokens so far, for conditioning */
    int n_prompt, cap_prompt, prompt_reset_since;
    double last_speech;
} window_state;

/* mel frames [seek, seek + size) into the window, zeros after them (pad_or_trim). */
static void fill_window(vc_whisper_runner *r, const float *mel, int64_t seek, int64_t size)
{
    int M = r->model.d.n_mels, F = 2 * r->model.d.n_audio_ctx;
    for (int m = 0; m < M; m++) {
        float *row = r->window + (size_t)m * (size_t)F;
        for (int64_t f = 0; f < F; f++) row[f] = f < size ? mel[(size_t)(seek + f) * (size_t)M + (size_t)m] : 0.0f;
    }
}

static int is_ts(const vc_whisper_runner *r, int32_t t) { return t >= r->model.tok.timestamp_begin; }

/* The window's result cut into segments where two timestamps follow each other (and
 * at the end when the text ends on a single timestamp); the seek advance in mel frames:
 * to the last timestamp pair, or the whole window. As transcribe.py. */
static voce_status split_segments(vc_whisper_runner *r, const vc_whisper_result *res, const window_state *w,
                                  int64_t size, vc_whisper_transcript *t, int64_t *advance, int *single)
{
    const int32_t *tok = res->tokens;
    int n = res->n_tokens;
    double precision = 0.02, offset = (double)w->seek * 0.01;
    int32_t tb = r->model.tok.timestamp_begin;
    vc_whisper_seg s = {.seek = w->seek, .temperature = (float)res->temperature,
                        .avg_logprob = (float)res->avg_logprob, .compression_ratio = (float)res->compression_ratio,
                        .no_speech_prob = (float)res->no_speech_prob};
    *single = n >= 2 && !is_ts(r, tok[n - 2]) && is_ts(r, tok[n - 1]);
    int last = 0, cuts = 0;
    voce_status st = VOCE_OK;
    for (int i = 1; i <= n && !st; i++) {
        int cut = i < n ? is_ts(r, tok[i - 1]) && is_ts(r, tok[i]) : cuts > 0 && *single;
        if (!cut) continue;
        s.start = offset + (tok[last] - tb) * precision;
        s.end = offset + (tok[i - 1] - tb) * precision;
        s.n_tok = i - last;
        st = add_segment(t, &s, tok + last);
        last = i;
        cuts++;
    }
    if (st || cuts) {
        *advance = *single ? size : (int64_t)(tok[last - 1] - tb) * 2;
        return st;
    }
    double dur = (double)size * 0.01;
    for (int i = n - 1; i >= 0; i--)
        if (is_ts(r, tok[i])) {
            if (tok[i] != tb) dur = (tok[i] - tb) * precision;
            break;
        }
    s.start = offset;
    s.end = offset + dur;
    s.n_tok = n;
    *advance = size;
    return add_segment(t, &s, tok);
}

/* ---- the loop ---- */

static voce_status keep_prompt(window_state *w, const int32_t *tok, int n)
{
    if (!grow((void **)&w->prompt, &w->cap_prompt, w->n_prompt + n, sizeof *w->prompt))
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    memcpy(w->prompt + w->n_prompt, tok, sizeof *tok * (size_t)n);
    w->n_prompt += n;
    return VOCE_OK;
}

static voce_status initial_prompt(vc_whisper_runner *r, const char *text, window_state *w)
{
    if (!text) return VOCE_OK;
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') text++;
    size_t len = strlen(text);
    while (len && strchr(" \t\n\r", text[len - 1])) len--;
    char *s = malloc(len + 2);
    if (!s) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    s[0] = ' ';
    memcpy(s + 1, text, len);
    int32_t *ids = NULL;
    size_t n = 0;
    voce_status st = vc_bpe_encode(r->model.bpe, s, len + 1, 0, &ids, &n);
    free(s);
    if (!st) st = keep_prompt(w, ids, (int)n);
    free(ids);
    return st;
}

static voce_status detect(vc_whisper_runner *r, const float *mel, vc_whisper_options *o, vc_whisper_transcript *t)
{
    t->language = -1;
    t->language_prob = 1.0;
    if (!r->model.multilingual) return VOCE_OK;
    if (o->language >= 0) {
        t->language = o->language;
        return VOCE_OK;
    }
    double probs[VC_WHISPER_MAX_LANGUAGES];
    fill_window(r, mel, 0, 2 * (int64_t)r->model.d.n_audio_ctx); /* the padded mel, not zeros */
    voce_status st = vc_whisper_model_encode(&r->model, r->window);
    if (!st) st = vc_whisper_detect_language(r->dec, &t->language, probs);
    if (st) return st;
    t->language_prob = probs[t->language];
    o->language = t->language;
    return VOCE_OK;
}

static voce_status decode_one(vc_whisper_runner *r, const vc_whisper_run_params *p, vc_whisper_options *o,
                              window_state *w, vc_whisper_transcript *t);

voce_status vc_whisper_transcribe(vc_whisper_runner *r, const float *pcm, size_t n, const vc_whisper_run_params *p,
                                  vc_whisper_transcript *out)
{
    memset(out, 0, sizeof *out);
    if (n / 16000 >= VC_WHISPER_MAX_SECONDS)
        return vc_error(VOCE_ERR_INVALID_ARG, "the audio to transcribe lasts %.1f hours; at most %d hours are "
                        "transcribed at once (the whole log-mel is held in memory, 115 MB per hour): split it, "
                        "or let a VAD model keep only the speech", (double)n / 16000 / 3600,
                        VC_WHISPER_MAX_SECONDS / 3600);
    if (p->word_timestamps && !r->model.has_alignment)
        return vc_error(VOCE_ERR_UNSUPPORTED, "word timestamps need the alignment heads' cross-attention, "
                        "which this Whisper export does not give (%s); export the model with "
                        "scripts/export/whisper.py to have them",
                        r->model.layout == VC_WHISPER_LAYOUT_VOCE ? "its alignment heads are unknown"
                                                                  : "sherpa-onnx's and Hugging Face's exports lack it");
    float *mel = NULL;
    size_t frames = 0;
    int F = 2 * r->model.d.n_audio_ctx;
    voce_status st = voce_features_compute(r->fe, pcm, n, &mel, &frames);
    if (st) return st;
    window_state w = {.mel = mel, .content_frames = (int64_t)frames - F};
    vc_whisper_options o = p->decode;
    out->duration = (double)n / 16000.0;
    st = initial_prompt(r, p->initial_prompt, &w);
    if (!st) st = detect(r, mel, &o, out);
    while (!st && w.seek < w.content_frames) {
        if (p->abort && p->abort(p->user)) {
            st = vc_error(VOCE_ERR_ABORTED, "transcription stopped by the abort callback");
            break;
        }
        st = decode_one(r, p, &o, &w, out);
        if (!st && p->progress && w.content_frames > F) /* progress only when there is more than one window */
            p->progress(w.content_frames ? (double)(w.seek < w.content_frames ? w.seek : w.content_frames) /
                                           (double)w.content_frames : 1.0, p->user);
    }
    free(w.prompt);
    free(mel);
    if (st) vc_whisper_transcript_free(out);
    return st;
}

/* A segment that is instantaneous or has no text is kept, emptied (transcribe.py). */
static voce_status clear_empty(vc_whisper_runner *r, vc_whisper_transcript *t, int from)
{
    for (int i = from; i < t->n_seg; i++) {
        vc_whisper_seg *s = &t->seg[i];
        char *text = NULL;
        size_t len = 0;
        voce_status st = vc_whisper_text_of(r, t->tokens + s->tok_begin, s->n_tok, &text, &len);
        if (st) return st;
        int blank = 1; /* text.strip() == "": Python's white space, U+3000 and U+00A0 included */
        for (size_t k = 0; k < len && blank;) {
            uint32_t cp;
            k += vc_utf8_decode(text + k, len - k, &cp);
            blank = cp != VC_UTF8_BAD && vc_utf8_is_space(cp);
        }
        free(text);
        if (s->start == s->end || blank) {
            s->n_tok = 0;
            s->n_words = 0;
        }
    }
    return VOCE_OK;
}

static voce_status add_words(vc_whisper_runner *r, const vc_whisper_options *o, window_state *w, int64_t size,
                             vc_whisper_transcript *t, int first);

static voce_status decode_one(vc_whisper_runner *r, const vc_whisper_run_params *p, vc_whisper_options *o,
                              window_state *w, vc_whisper_transcript *t)
{
    int64_t F = 2 * (int64_t)r->model.d.n_audio_ctx;
    int64_t size = w->content_frames - w->seek < F ? w->content_frames - w->seek : F;
    fill_window(r, w->mel, w->seek, size);
    voce_status st = vc_whisper_model_encode(&r->model, r->window);
    if (st) return st;
    o->prompt = w->prompt + w->prompt_reset_since;
    o->n_prompt = w->n_prompt - w->prompt_reset_since;
    vc_whisper_result res;
    if ((st = vc_whisper_decode_window(r->dec, o, &res))) return st;
    if (res.skip) {
        w->seek += size;
        return VOCE_OK;
    }
    int first = t->n_seg, single;
    int64_t advance = size;
    st = split_segments(r, &res, w, size, t, &advance, &single);
    int64_t seek0 = w->seek;
    w->seek += advance;
    if (!st && p->word_timestamps) {
        int64_t next = w->seek;
        w->seek = seek0;
        st = add_words(r, o, w, size, t, first);
        w->seek = next;
        double end = -1;
        for (int i = t->n_seg - 1; i >= first && end < 0; i--)
            if (t->seg[i].n_words) end = t->words[t->seg[i].word_begin + t->seg[i].n_words - 1].end;
        if (end < 0 && t->n_seg > first) end = t->seg[t->n_seg - 1].end;
        if (!st && !single && end >= 0 && end > (double)seek0 * 0.01) w->seek = (int64_t)nearbyint(end * 100.0);
        if (end >= 0) w->last_speech = end;
    }
    if (!st) st = clear_empty(r, t, first);
    for (int i = first; i < t->n_seg && !st; i++) st = keep_prompt(w, t->tokens + t->seg[i].tok_begin, t->seg[i].n_tok);
    if (!p->condition_on_previous_text || res.temperature > 0.5) w->prompt_reset_since = w->n_prompt;
    return st;
}

/* ---- word times ---- */

static voce_status copy_words(vc_whisper_transcript *t, const vc_whisper_words *w, vc_whisper_segment *segs,
                              int first)
{
    size_t text = 0;
    for (int i = 0; i < w->n; i++) text += w->w[i].len + 1;
    if (!grow((void **)&t->words, &t->cap_words, t->n_words + w->n, sizeof *t->words))
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (t->word_text_len + text > t->word_text_cap) {
        size_t cap = (t->word_text_len + text) * 2 + 64;
        char *q = realloc(t->word_text, cap);
        if (!q) return vc_error(VOCE_ERR_NOMEM, "out of memory");
        /* words already stored point into the old buffer: move them along */
        for (int i = 0; i < t->n_words; i++) t->words[i].text = q + (t->words[i].text - t->word_text);
        t->word_text = q;
        t->word_text_cap = cap;
    }
    for (int s = first; s < t->n_seg; s++) {
        const vc_whisper_segment *g = &segs[s - first];
        t->seg[s].start = g->start;
        t->seg[s].end = g->end;
        t->seg[s].word_begin = t->n_words;
        for (int i = g->word_begin; i < g->word_end; i++) {
            vc_whisper_word x = w->w[i];
            char *dst = t->word_text + t->word_text_len;
            memcpy(dst, x.text, x.len);
            dst[x.len] = 0;
            t->word_text_len += x.len + 1;
            x.text = dst;
            t->words[t->n_words++] = x;
        }
        t->seg[s].n_words = t->n_words - t->seg[s].word_begin;
    }
    return VOCE_OK;
}

/* The window's text tokens, teacher-forced after the SOT sequence and <|notimestamps|>,
 * give the alignment heads' attention; then timing.py's add_word_timestamps. */
static voce_status add_words(vc_whisper_runner *r, const vc_whisper_options *o, window_state *w, int64_t size,
                             vc_whisper_transcript *t, int first)
{
    const vc_whisper_tokens *k = &r->model.tok;
    int n_seg = t->n_seg - first, n_text = 0, n_sot = 1;
    for (int s = first; s < t->n_seg; s++)
        for (int i = 0; i < t->seg[s].n_tok; i++) n_text += t->tokens[t->seg[s].tok_begin + i] < k->eot;
    if (n_text == 0 || n_seg == 0) return VOCE_OK;
    int32_t *seq = malloc(sizeof *seq * (size_t)(n_text + 6));
    float *probs = malloc(sizeof *probs * (size_t)(n_text + 1));
    vc_whisper_segment *segs = calloc((size_t)n_seg, sizeof *segs);
    voce_status st = seq && probs && segs ? VOCE_OK : vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (!st) {
        seq[0] = k->sot;
        if (r->model.multilingual) {
            seq[n_sot++] = k->language_begin + (o->language < 0 ? 0 : o->language);
            seq[n_sot++] = o->task == VC_WHISPER_TRANSLATE ? k->translate : k->transcribe;
        }
        int j = n_sot;
        seq[j++] = k->no_timestamps;
        for (int s = first; s < t->n_seg; s++) {
            segs[s - first].start = t->seg[s].start;
            segs[s - first].end = t->seg[s].end;
            for (int i = 0; i < t->seg[s].n_tok; i++) {
                int32_t id = t->tokens[t->seg[s].tok_begin + i];
                if (id < k->eot) seq[j++] = id;
                segs[s - first].n_tokens += id < k->eot;
            }
        }
        seq[j++] = k->eot;
        const float *logits, *att;
        int rows = 0;
        st = vc_whisper_model_reset(&r->model);
        if (!st) st = vc_whisper_model_decode(&r->model, seq, j, &logits);
        if (!st) st = vc_whisper_model_alignment(&r->model, &att, &rows);
        /* each text token's probability: softmax over the ids below eot at its position */
        for (int i = 0; !st && i < n_text; i++) {
            const float *row = logits + (size_t)(n_sot + i) * (size_t)r->model.d.n_vocab;
            float mx = row[0];
            for (int v = 1; v < k->eot; v++) mx = row[v] > mx ? row[v] : mx;
            double sum = 0;
            for (int v = 0; v < k->eot; v++) sum += exp((double)row[v] - mx);
            probs[i] = (float)(exp((double)row[seq[n_sot + 1 + i]] - mx) / sum);
        }
        if (!st) {
            vc_whisper_timing_params tp = vc_whisper_timing_defaults();
            tp.n_frames = 2 * r->model.d.n_audio_ctx;
            tp.n_audio_ctx = r->model.d.n_audio_ctx;
            vc_whisper_attention a = {att, r->model.n_align, rows, r->model.d.n_audio_ctx, VC_WHISPER_ATTN_PROBS};
            const char *code = t->language >= 0 ? vc_whisper_language_code(t->language) : "en";
            vc_whisper_text tx = {seq + n_sot + 1, probs, n_text, k->eot, vc_whisper_split_mode_for(code),
                                  timing_bytes, r};
            vc_whisper_words words = {0};
            st = vc_whisper_add_word_timestamps(&tp, &a, n_sot, (int)size, w->seek, &tx, segs, n_seg,
                                                w->last_speech, &words);
            if (!st) st = copy_words(t, &words, segs, first);
            vc_whisper_words_free(&words);
        }
    }
    free(seq);
    free(probs);
    free(segs);
    return st;
}
