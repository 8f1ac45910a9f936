/* NeMo's greedy decoders (decode.h); the rules are numbered as in
 * tests/ref/transducer_decode_ref.py's module doc. */
#include "decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

void vc_td_hyp_free(vc_td_hyp *h)
{
    free(h->tokens);
    free(h->frames);
    free(h->durations);
    free(h->logprobs);
    memset(h, 0, sizeof *h);
}

voce_status vc_td_hyp_push(vc_td_hyp *h, int token, int frame, int duration, float logprob)
{
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 64;
        int32_t *t = realloc(h->tokens, sizeof *t * (size_t)cap);
        if (t) h->tokens = t;
        int32_t *f = t ? realloc(h->frames, sizeof *f * (size_t)cap) : NULL;
        if (f) h->frames = f;
        int32_t *d = f ? realloc(h->durations, sizeof *d * (size_t)cap) : NULL;
        if (d) h->durations = d;
        float *p = d ? realloc(h->logprobs, sizeof *p * (size_t)cap) : NULL;
        if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory for %d tokens", cap);
        h->logprobs = p;
        h->cap = cap;
    }
    h->tokens[h->n] = token;
    h->frames[h->n] = frame;
    h->durations[h->n] = duration;
    h->logprobs[h->n++] = logprob;
    return VOCE_OK;
}

/* First index of the maximum. */
static int argmax(const float *x, int n)
{
    int k = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[k]) k = i;
    return k;
}

/* log softmax(x)[k] over n values, in double (the logits are read once more here
 * rather than kept: one evaluation's logits are short-lived). */
static float log_softmax_at(const float *x, int n, int k)
{
    double m = x[k], sum = 0;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int i = 0; i < n; i++) sum += exp((double)x[i] - m);
    return (float)((double)x[k] - m - log(sum));
}

/* One joint evaluation at frame t: the token, its log-probability among the tokens and
 * the blank, and the duration (blank's 0 made 1). */
static voce_status evaluate(const vc_td_steps *s, vc_td_hyp *h, int t, int *k, int *d, float *lp)
{
    const float *z;
    voce_status st = s->joint(s->ctx, t, &z);
    if (st) return st;
    h->evaluations++;
    *k = argmax(z, s->blank + 1);
    *lp = *k == s->blank ? 0.0f : log_softmax_at(z, s->blank + 1, *k);
    *d = s->n_durations ? s->durations[argmax(z + s->blank + 1, s->n_durations)] : 1;
    if (*k == s->blank && *d == 0) *d = 1;
    return VOCE_OK;
}

/* TDT, label looping (rules 1-5). */
static voce_status greedy_tdt(const vc_td_steps *s, vc_td_hyp *h)
{
    int T = s->n_frames, t = 0, last_frame = -1, lasts = 0, k, d;
    float lp;
    voce_status st = s->start(s->ctx);
    while (!st && t < T) {
        int frame = t;
        st = evaluate(s, h, t, &k, &d, &lp);
        t += d;
        while (!st && k == s->blank && t < T) {
            frame = t;
            st = evaluate(s, h, t, &k, &d, &lp);
            t += d;
        }
        if (st || k == s->blank) break;
        st = vc_td_hyp_push(h, k, frame, d, lp);
        lasts = frame == last_frame ? lasts + 1 : 1;
        last_frame = frame;
        if (!st) st = s->predict(s->ctx, k);
        if (t < T && lasts >= s->max_symbols && last_frame == t) t++;
    }
    return st;
}

/* RNN-T: up to max_symbols tokens per frame, a blank ends the frame. */
static voce_status greedy_rnnt(const vc_td_steps *s, vc_td_hyp *h)
{
    voce_status st = s->start(s->ctx);
    for (int t = 0; t < s->n_frames && !st; t++)
        for (int i = 0; i < s->max_symbols && !st; i++) {
            int k, d;
            float lp;
            st = evaluate(s, h, t, &k, &d, &lp);
            if (st || k == s->blank) break;
            st = vc_td_hyp_push(h, k, t, 1, lp);
            if (!st) st = s->predict(s->ctx, k);
        }
    return st;
}

voce_status vc_td_greedy_transducer(const vc_td_steps *s, vc_td_hyp *h)
{
    h->n = 0;
    h->evaluations = 0;
    if (s->n_durations < 0 || (s->n_durations && !s->durations) || s->blank < 0 || s->max_symbols < 1)
        return vc_error(VOCE_ERR_INVALID_ARG, "transducer decoder: bad sizes");
    return s->n_durations ? greedy_tdt(s, h) : greedy_rnnt(s, h);
}

static voce_status model_start(void *m) { return vc_td_model_start(m); }
static voce_status model_predict(void *m, int k) { return vc_td_model_predict(m, k); }
static voce_status model_joint(void *m, int t, const float **z) { return vc_td_model_joint(m, t, z); }

/* CTC: argmax per frame, repeats folded (counted in durations), blanks dropped. */
static voce_status greedy_ctc(vc_td_model *m, vc_td_hyp *h)
{
    int prev = m->blank;
    voce_status st = VOCE_OK;
    for (int t = 0; t < m->n_frames && !st; t++) {
        const float *row = m->enc_out + (size_t)t * (size_t)m->n_tokens;
        int k = argmax(row, m->n_tokens);
        if (k != m->blank && k != prev) st = vc_td_hyp_push(h, k, t, 1, row[k]);
        else if (k != m->blank) h->durations[h->n - 1]++;
        prev = k;
    }
    return st;
}

voce_status vc_td_decode(vc_td_model *m, vc_td_hyp *h)
{
    h->n = 0;
    h->evaluations = 0;
    if (!m->enc_out) return vc_error(VOCE_ERR_STATE, "transducer: decoding before encoding");
    if (m->kind == VC_TD_CTC) return greedy_ctc(m, h);
    vc_td_steps s = {m, model_start, model_predict, model_joint, m->n_frames, m->blank, m->max_symbols,
                     m->kind == VC_TD_TDT ? m->n_durations : 0, m->durations};
    return vc_td_greedy_transducer(&s, h);
}
