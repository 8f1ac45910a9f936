/* A transducer or CTC program from audio to a transcript (transcribe.h). */
#include "transcribe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static int encoder_frames(const vc_td_model *m, long long n_valid)
{
    for (int k = 1; k < m->subsampling; k *= 2) n_valid = (n_valid + 1) / 2;
    return n_valid > 1 << 30 ? 1 << 30 : (int)n_valid;
}

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

voce_status vc_td_transcribe(vc_td_runner *r, const float *pcm, size_t n, const vc_td_run_params *p,
                             vc_td_transcript *out)
{
    memset(out, 0, sizeof *out);
    vc_td_model *m = &r->model;
    size_t per_frame = (size_t)r->hop * (size_t)m->subsampling;
    if (n < per_frame) return empty(out);
    int frames = encoder_frames(m, (long long)(n / (size_t)r->hop));
    if (frames > VC_TD_MAX_ENCODER_FRAMES)
        return vc_error(VOCE_ERR_INVALID_ARG, "the audio is %.1f s long; a transducer program takes at most %.0f s "
                        "(%d encoder frames) in one pass: split it", (double)n / r->sample_rate,
                        (double)VC_TD_MAX_ENCODER_FRAMES * (double)per_frame / r->sample_rate,
                        VC_TD_MAX_ENCODER_FRAMES);
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
    if (!st) st = vc_td_decode(m, &h);
    if (!st) st = vc_td_transcript_of(m, &h, out);
    vc_td_hyp_free(&h);
    if (!st && p && p->progress) p->progress(1.0, p->user);
    return st;
}
