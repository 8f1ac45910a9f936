/* A transducer or CTC program from audio to a transcript (transcribe.h). */
#include "transcribe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "beam.h"
#include "chunk.h"
#include "core/error.h"
#include "core/strbuf.h"

voce_status vc_td_runner_open(vc_td_runner *r, const voce_program *prog, const voce_method_options *mo)
{
    memset(r, 0, sizeof *r);
    voce_features_config fc;
    voce_status st = vc_td_model_open(&r->model, prog, mo);
    if (!st && voce_features_config_from_program(prog, &fc))
        st = vc_error(VOCE_ERR_FORMAT, "the transducer program names no usable front end (features.*): %s; "
                      "compile it again with voce compile --family transducer|ctc", voce_last_error());
    if (!st && fc.n_mels != r->model.feat_dim)
        st = vc_error(VOCE_ERR_FORMAT, "the front end gives %d mel bands but the encoder takes %d", fc.n_mels,
                      r->model.feat_dim);
    if (!st) st = voce_features_create(&fc, &r->fe);
    if (st) {
        vc_td_runner_close(r);
        return st;
    }
    r->sample_rate = fc.sample_rate;
    r->hop = fc.hop_length;
    r->nemo_front_end = fc.kind == VOCE_FEATURES_NEMO;
    r->normalize = fc.nemo_normalize;
    return VOCE_OK;
}

void vc_td_runner_close(vc_td_runner *r)
{
    if (r->model.prog) vc_td_model_close(&r->model);
    voce_features_destroy(r->fe);
    memset(r, 0, sizeof *r);
}

void vc_td_transcript_free(vc_td_transcript *t)
{
    for (int i = 0; t->tokens && i < t->n_tokens; i++) free(t->tokens[i].text);
    for (int i = 0; t->words && i < t->n_words; i++) free(t->words[i].text);
    for (int i = 0; t->segs && i < t->n_segs; i++) free(t->segs[i].text);
    free(t->tokens);
    free(t->words);
    free(t->segs);
    free(t->text);
    memset(t, 0, sizeof *t);
}

/* ---- the result of a hypothesis ---- */

/* A piece as text: SentencePiece's "▁" is a space; "<unk>" shows as " ⁇ " (as decoding). */
static char *piece_text(const char *p)
{
    vc_strbuf b = {0};
    if (!strcmp(p, "<unk>")) vc_strbuf_puts(&b, " \xe2\x81\x87 ");
    for (const char *c = p; *c && strcmp(p, "<unk>");) {
        if (!strncmp(c, "\xe2\x96\x81", 3)) {
            vc_strbuf_putc(&b, ' ');
            c += 3;
        } else vc_strbuf_putc(&b, *c++);
    }
    char *s = NULL;
    size_t len;
    return vc_strbuf_take(&b, &s, &len) ? NULL : s;
}

static voce_status tokens_of(const vc_td_model *m, const vc_td_hyp *h, vc_td_transcript *t)
{
    int *start = malloc(sizeof(int) * (size_t)(h->n + 1)), *end = malloc(sizeof(int) * (size_t)(h->n + 1));
    t->tokens = calloc((size_t)h->n + 1, sizeof *t->tokens);
    voce_status st = start && end && t->tokens ? vc_td_token_offsets(m, h, start, end)
                                               : vc_error(VOCE_ERR_NOMEM, "out of memory");
    double sec = m->window_stride * m->subsampling;
    for (int i = 0; i < h->n && !st; i++) {
        vc_td_rtoken *k = &t->tokens[t->n_tokens++];
        k->id = h->tokens[i];
        k->start = start[i] * sec;
        k->end = end[i] * sec;
        k->logprob = h->logprobs ? h->logprobs[i] : 0.0f;
        if (!(k->text = piece_text(m->pieces[k->id]))) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    free(start);
    free(end);
    return st;
}

/* Words with their tokens and the minimum of the tokens' probabilities. */
static voce_status words_of(const vc_td_model *m, const vc_td_hyp *h, vc_td_transcript *t)
{
    vc_td_word *w = NULL;
    int n = 0;
    voce_status st = vc_td_words(m, h, &w, &n);
    if (st) return st;
    t->words = calloc((size_t)n + 1, sizeof *t->words);
    if (!t->words) {
        vc_td_words_free(w, n);
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        vc_td_rword *x = &t->words[t->n_words++];
        x->text = w[i].text;
        w[i].text = NULL;
        x->start = w[i].start;
        x->end = w[i].end;
        /* tokens before the first word's (a lone "▁") belong to it */
        x->first_token = i ? w[i].first_token : 0;
        int next = i + 1 < n ? w[i + 1].first_token : t->n_tokens;
        x->n_tokens = next > x->first_token ? next - x->first_token : 0;
        double p = 1.0;
        for (int k = 0; k < x->n_tokens; k++) p = fmin(p, exp((double)t->tokens[x->first_token + k].logprob));
        x->probability = (float)p;
    }
    vc_td_words_free(w, n);
    return VOCE_OK;
}

/* NeMo's segment end: the word ends in '.', '?' or '!' (or is one). */
static int ends_segment(const char *word)
{
    size_t n = strlen(word);
    return n && strchr(".?!", word[n - 1]) != NULL;
}

static voce_status close_segment(vc_td_transcript *t, int first, int last)
{
    vc_strbuf b = {0};
    vc_td_rseg *s = &t->segs[t->n_segs];
    const vc_td_rword *a = &t->words[first], *z = &t->words[last];
    for (int i = first; i <= last; i++) {
        if (i > first) vc_strbuf_putc(&b, ' ');
        vc_strbuf_puts(&b, t->words[i].text);
    }
    size_t len;
    if (vc_strbuf_take(&b, &s->text, &len)) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    t->n_segs++;
    s->start = a->start;
    s->end = z->end;
    s->first_word = first;
    s->n_words = last - first + 1;
    s->first_token = a->first_token;
    s->n_tokens = z->first_token + z->n_tokens - a->first_token;
    double sum = 0;
    for (int k = 0; k < s->n_tokens; k++) sum += t->tokens[s->first_token + k].logprob;
    s->avg_logprob = s->n_tokens ? (float)(sum / s->n_tokens) : 0.0f;
    return VOCE_OK;
}

static voce_status segments_of(vc_td_transcript *t)
{
    t->segs = calloc((size_t)t->n_words + 1, sizeof *t->segs);
    if (!t->segs) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    voce_status st = VOCE_OK;
    int first = 0;
    for (int i = 0; i < t->n_words && !st; i++)
        if (ends_segment(t->words[i].text) || i == t->n_words - 1) {
            st = close_segment(t, first, i);
            first = i + 1;
        }
    return st;
}

voce_status vc_td_transcript_of(const vc_td_model *m, const vc_td_hyp *h, vc_td_transcript *out)
{
    memset(out, 0, sizeof *out);
    voce_status st = tokens_of(m, h, out);
    if (!st) st = words_of(m, h, out);
    if (!st) st = segments_of(out);
    if (!st) st = vc_td_text(m, h, &out->text);
    if (st) vc_td_transcript_free(out);
    return st;
}

/* ---- from audio ---- */

static voce_status empty(vc_td_transcript *out)
{
    out->text = calloc(1, 1);
    return out->text ? VOCE_OK : vc_error(VOCE_ERR_NOMEM, "out of memory");
}

/* The features of pcm as the encoder takes them, [feat_dim][frames], and how many are
 * valid (NeMo's seq_len: n / hop). */
static voce_status features(vc_td_runner *r, const float *pcm, size_t n, float **feats, int *n_frames, int *n_valid)
{
    float *rows = NULL;
    size_t nf = 0;
    voce_status st = voce_features_compute(r->fe, pcm, n, &rows, &nf);
    if (st) return st;
    size_t F = (size_t)r->model.feat_dim;
    *feats = malloc(sizeof(float) * F * (nf ? nf : 1));
    if (!*feats) {
        free(rows);
        return vc_error(VOCE_ERR_NOMEM, "out of memory for %zu feature frames", nf);
    }
    for (size_t t = 0; t < nf; t++)
        for (size_t f = 0; f < F; f++) (*feats)[f * nf + t] = rows[t * F + f];
    free(rows);
    *n_frames = (int)nf;
    size_t valid = n / (size_t)r->hop;
    *n_valid = (int)(valid < nf ? valid : nf);
    return VOCE_OK;
}

static voce_status stopped(const vc_td_run_params *p)
{
    return p && p->abort && p->abort(p->user) ? vc_error(VOCE_ERR_ABORTED, "transcription stopped by the abort callback")
                                               : VOCE_OK;
}

/* ---- decoding ---- */

static voce_status model_start(void *m) { return vc_td_model_start(m); }
static voce_status model_predict(void *m, int k) { return vc_td_model_predict(m, k); }
static voce_status model_joint(void *m, int t, const float **z) { return vc_td_model_joint(m, t, z); }


/* THE DECODE of a transducer: the one place the decoding algorithm is chosen, for input
 * in one pass and in windows alike (s->joint asks for any frame of the whole input). */
static voce_status decode_transducer(vc_td_model *m, const vc_td_steps *s, const vc_td_run_params *p, vc_td_hyp *h)
{
    if (p && p->beam_size > 1) {
        vc_td_beam_steps b = vc_td_beam_steps_of(s, m);
        return vc_td_beam_search(&b, p->beam_size, h, NULL);
    }
    return vc_td_greedy_transducer(s, h);
}

/* ---- one pass ---- */

static voce_status one_pass(vc_td_runner *r, const float *pcm, size_t n, const vc_td_run_params *p,
                            vc_td_transcript *out)
{
    vc_td_model *m = &r->model;
    voce_status st = stopped(p);
    if (st) return st;
    if (p && p->progress) p->progress(0.0, p->user);
    float *feats = NULL;
    int n_total = 0, n_valid = 0;
    vc_td_hyp h = {0};
    st = features(r, pcm, n, &feats, &n_total, &n_valid);
    if (!st) st = vc_td_model_encode(m, feats, n_total, n_valid);
    free(feats);
    if (!st) st = stopped(p);
    vc_td_steps s = {m, model_start, model_predict, model_joint, m->n_frames, m->blank, m->max_symbols,
                     m->kind == VC_TD_TDT ? m->n_durations : 0, m->durations};
    if (!st) st = m->kind == VC_TD_CTC ? vc_td_decode(m, &h) : decode_transducer(m, &s, p, &h);
    if (!st) st = vc_td_transcript_of(m, &h, out);
    vc_td_hyp_free(&h);
    if (!st && p && p->progress) p->progress(1.0, p->user);
    return st;
}

/* ---- in windows (chunk.h) ---- */

typedef struct windows {
    vc_td_chunker c;
    const vc_td_run_params *p;
} windows;

static voce_status next_window(windows *w)
{
    voce_status st = stopped(w->p);
    if (!st) st = vc_td_chunker_next(&w->c);
    if (!st && !w->c.done && w->p && w->p->progress)
        w->p->progress((double)w->c.next / (double)w->c.n_feat, w->p->user);
    return st;
}

/* The joint at frame t of the whole input: the windows up to t's are encoded first (the
 * decoders ask for frames in order). */
static voce_status windows_joint(void *ctx, int t, const float **z)
{
    windows *w = ctx;
    vc_td_chunker *c = &w->c;
    voce_status st = VOCE_OK;
    while (!st && t >= c->first + c->n && !c->done) st = next_window(w);
    if (st) return st;
    if (t < c->first || t >= c->first + c->n)
        return vc_error(VOCE_ERR_STATE, "transducer: frame %d is outside the window encoded (frames %lld to %lld)", t,
                        (long long)c->first, (long long)(c->first + c->n - 1));
    return vc_td_model_joint(&c->r->model, (int)(t - c->first), z);
}

static voce_status windows_start(void *ctx) { return vc_td_model_start(&((windows *)ctx)->c.r->model); }
static voce_status windows_predict(void *ctx, int k) { return vc_td_model_predict(&((windows *)ctx)->c.r->model, k); }

static int argmax_row(const float *x, int n)
{
    int k = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[k]) k = i;
    return k;
}

/* CTC, window by window: each chunk's greedy decode, a token that continues the previous
 * chunk's last frame folded into that chunk's last token, as one decode would. */
static voce_status ctc_windows(windows *w, vc_td_hyp *h)
{
    vc_td_model *m = &w->c.r->model;
    int prev = m->blank;
    voce_status st = VOCE_OK;
    while (!st && !w->c.done) {
        vc_td_hyp part = {0};
        st = next_window(w);
        if (!st) st = vc_td_decode(m, &part);
        for (int i = 0; !st && i < part.n; i++)
            if (i == 0 && part.frames[0] == 0 && part.tokens[0] == prev && h->n) h->durations[h->n - 1] += part.durations[0];
            else st = vc_td_hyp_push(h, part.tokens[i], (int)(part.frames[i] + w->c.first), part.durations[i],
                                    part.logprobs[i]);
        if (!st) prev = argmax_row(m->enc_out + (size_t)(m->n_frames - 1) * (size_t)m->n_tokens, m->n_tokens);
        vc_td_hyp_free(&part);
    }
    return st;
}

static voce_status in_windows(vc_td_runner *r, windows *w, const vc_td_run_params *p, vc_td_transcript *out)
{
    vc_td_model *m = &r->model;
    vc_td_hyp h = {0};
    w->p = p;
    voce_status st = VOCE_OK;
    if (p && p->progress) p->progress(0.0, p->user);
    if (m->kind == VC_TD_CTC) st = ctc_windows(w, &h);
    else {
        vc_td_steps s = {w, windows_start, windows_predict, windows_joint, (int)w->c.n_enc, m->blank, m->max_symbols,
                         m->kind == VC_TD_TDT ? m->n_durations : 0, m->durations};
        st = decode_transducer(m, &s, p, &h);
    }
    if (!st) st = vc_td_transcript_of(m, &h, out);
    vc_td_hyp_free(&h);
    m->enc_out = NULL; /* it was the chunker's */
    if (!st && p && p->progress) p->progress(1.0, p->user);
    return st;
}

static voce_status chunk_sizes(const vc_td_run_params *p, double *chunk, double *context)
{
    *chunk = p ? p->chunk_seconds : 0.0;
    *context = p ? p->context_seconds : 0.0;
    if (!(*chunk >= 0 && *chunk <= 1e6) || !(*context >= 0 && *context <= 1e6))
        return vc_error(VOCE_ERR_INVALID_ARG, "transducer: chunk %g s, context %g s: both must be >= 0 (chunk 0: "
                        "the defaults, %g s and %g s)", *chunk, *context, VC_TD_CHUNK_SECONDS, VC_TD_CONTEXT_SECONDS);
    return VOCE_OK;
}

voce_status vc_td_transcribe(vc_td_runner *r, const float *pcm, size_t n, const vc_td_run_params *p,
                             vc_td_transcript *out)
{
    memset(out, 0, sizeof *out);
    size_t per_frame = (size_t)r->hop * (size_t)r->model.subsampling;
    double chunk, context;
    voce_status st = chunk_sizes(p, &chunk, &context);
    if (st) return st;
    if (n < per_frame) return empty(out);
    if (vc_td_fits_one_window(r, (int64_t)(n / (size_t)r->hop), chunk, context)) return one_pass(r, pcm, n, p, out);
    vc_td_pcm_source mem;
    vc_td_source src = vc_td_source_of_pcm(&mem, pcm, n);
    windows w;
    st = vc_td_chunker_open(&w.c, r, &src, chunk, context);
    if (!st) st = in_windows(r, &w, p, out);
    vc_td_chunker_close(&w.c);
    return st;
}

/* A short source read whole, for the one pass. */
static voce_status read_all(const vc_td_source *src, size_t n, float **pcm)
{
    *pcm = malloc(sizeof(float) * (n ? n : 1));
    if (!*pcm) return vc_error(VOCE_ERR_NOMEM, "out of memory for %zu samples", n);
    size_t got = 0, k = 1;
    voce_status st = src->rewind(src->ctx);
    while (!st && got < n && k) {
        st = src->read(src->ctx, *pcm + got, n - got, &k);
        got += k;
    }
    if (!st && got != n) st = vc_error(VOCE_ERR_FORMAT, "transducer: the audio gave %zu samples, then %zu", n, got);
    return st;
}

voce_status vc_td_transcribe_source(vc_td_runner *r, const vc_td_source *src, const vc_td_run_params *p,
                                    vc_td_transcript *out, size_t *n_samples)
{
    memset(out, 0, sizeof *out);
    *n_samples = 0;
    double chunk, context;
    windows w;
    voce_status st = chunk_sizes(p, &chunk, &context);
    if (!st) st = vc_td_chunker_open(&w.c, r, src, chunk, context);
    if (st) return st;
    size_t n = *n_samples = w.c.n_samples;
    size_t per_frame = (size_t)r->hop * (size_t)r->model.subsampling;
    if (n < per_frame) st = empty(out);
    else if (vc_td_fits_one_window(r, w.c.n_feat, chunk, context)) {
        float *pcm = NULL;
        st = read_all(src, n, &pcm);
        if (!st) st = one_pass(r, pcm, n, p, out);
        free(pcm);
    } else st = in_windows(r, &w, p, out);
    vc_td_chunker_close(&w.c);
    return st;
}
