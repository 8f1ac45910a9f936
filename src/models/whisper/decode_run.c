/* One decode (DecodingTask.run for one audio): the initial tokens through the model, the
 * sampling loop, the final candidates ranked, the result with its text and ratio. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "models/whisper/decode_int.h"

#define RESERVE(d, field, n, type) vc_whisper_reserve(d, &(d)->field, (size_t)(n), sizeof(type))

static voce_status reserve_rows(vc_whisper_decoder *d, vc_whisper_run *r)
{
    size_t g = (size_t)r->n_group, nv = (size_t)d->lm.n_vocab, cands = g * (g + 1);
    voce_status st = RESERVE(d, b_seq, g * (size_t)r->cap, int32_t);
    if (!st) st = RESERVE(d, b_seq_next, g * (size_t)r->cap, int32_t);
    if (!st) st = RESERVE(d, b_logits, g * nv, float);
    if (!st) st = RESERVE(d, b_sot_logits, nv, float);
    if (!st) st = RESERVE(d, b_sums, g, float);
    if (!st) st = RESERVE(d, b_src, g, int);
    if (!st) st = RESERVE(d, b_n_new, g, int);
    if (!st) st = RESERVE(d, b_heads, g, const int32_t *);
    if (!st) st = RESERVE(d, b_work, nv, double);
    if (!st) st = RESERVE(d, b_suppress, nv, int32_t);
    if (!st) st = RESERVE(d, b_mask, nv, uint8_t);
    if (!st) st = RESERVE(d, b_cands, cands, vc_whisper_cand);
    if (!st) st = RESERVE(d, b_order, cands, int);
    if (!st) st = RESERVE(d, b_fin, (size_t)r->fin_cap * (size_t)r->cap, int32_t);
    if (!st) st = RESERVE(d, b_fin_len, r->fin_cap, int);
    if (!st) st = RESERVE(d, b_fin_score, r->fin_cap, double);
    if (!st) st = RESERVE(d, b_tokens, r->cap, int32_t);
    return st;
}

static voce_status prepare(vc_whisper_decoder *d, vc_whisper_run *r)
{
    const vc_whisper_options *o = r->o;
    r->beam = o->beam_size;
    r->n_group = o->beam_size ? o->beam_size : o->best_of ? o->best_of : 1;
    r->max_candidates = o->beam_size ? vc_whisper_max_candidates(o) : 0;
    r->fin_cap = r->max_candidates > r->beam ? r->max_candidates : r->beam;
    r->sample_len = vc_whisper_sample_len(d, o);
    r->cap = d->lm.n_text_ctx + 2; /* the loop stops past n_text_ctx; finalize adds EOT */
    r->max_initial = -1;
    double m = o->max_initial_timestamp;
    if (!isnan(m) && m != 0) /* `if options.max_initial_timestamp:` 0 means none */
        r->max_initial = (int)nearbyint(m / (30.0 / d->lm.n_audio_ctx));
    voce_status st = reserve_rows(d, r);
    if (st) return st;
    r->seq = d->b_seq.p;
    r->seq_next = d->b_seq_next.p;
    r->logits = d->b_logits.p;
    r->sums = d->b_sums.p;
    r->src = d->b_src.p;
    r->n_new = d->b_n_new.p;
    r->heads = d->b_heads.p;
    r->work = d->b_work.p;
    r->cands = d->b_cands.p;
    r->order = d->b_order.p;
    r->fin = d->b_fin.p;
    r->fin_len = d->b_fin_len.p;
    r->fin_score = d->b_fin_score.p;
    r->n_fin = 0;
    r->n_suppress = vc_whisper_suppress_list(d, o, d->b_suppress.p, d->b_mask.p);
    r->suppress = d->b_suppress.p;
    r->n_initial = vc_whisper_initial_tokens(d, o, r->language, r->seq, &r->sot_index);
    r->sample_begin = r->len = r->n_initial;
    for (int k = 0; k < r->n_group; k++) r->sums[k] = 0;
    return VOCE_OK;
}

/* A model that answers NaN or +inf would make every later number meaningless. */
static voce_status check_row(const float *row, int n_vocab, int k, int len)
{
    for (int t = 0; t < n_vocab; t++)
        if (isnan(row[t]) || row[t] == INFINITY)
            return vc_error(VOCE_ERR_INVALID_ARG, "the model's logits for sequence %d after %d tokens hold %s at token %d",
                            k, len, isnan(row[t]) ? "NaN" : "+inf", t);
    return VOCE_OK;
}

/* Appends tokens[from .. to) to the one sequence there is. */
static voce_status feed(vc_whisper_decoder *d, const int32_t *tokens, int from, int to, float *logits)
{
    const int32_t *heads[1] = {tokens + from};
    int n_new[1] = {to - from};
    voce_status st = d->lm.step(d->lm.user, 1, heads, n_new, logits);
    if (!st) st = check_row(logits, d->lm.n_vocab, 0, to);
    return st;
}

static double softmax_at(const float *row, int n, int token)
{
    double lse = vc_whisper_lse(row, n);
    return exp((double)row[token] - lse);
}

/* The initial tokens in two parts, so that the logits at <|startoftranscript|> (for the
 * no-speech probability) come out of the model too; then copies for the group. */
static voce_status prefill(vc_whisper_decoder *d, vc_whisper_run *r, double *no_speech)
{
    int n_vocab = d->lm.n_vocab, upto = r->sot_index + 1;
    float *sot = d->b_sot_logits.p;
    voce_status st = d->lm.reset(d->lm.user);
    if (!st) st = feed(d, r->seq, 0, upto, sot);
    if (!st && upto < r->n_initial) st = feed(d, r->seq, upto, r->n_initial, r->logits);
    if (st) return st;
    if (upto == r->n_initial) memcpy(r->logits, sot, (size_t)n_vocab * sizeof *sot);
    *no_speech = d->vocab.no_speech >= 0 ? softmax_at(sot, n_vocab, d->vocab.no_speech) : NAN;
    if (r->n_group == 1) return VOCE_OK;
    for (int k = 1; k < r->n_group; k++) {
        r->src[k] = 0;
        memcpy(r->seq + (size_t)k * r->cap, r->seq, (size_t)r->n_initial * sizeof *r->seq);
        memcpy(r->logits + (size_t)k * n_vocab, r->logits, (size_t)n_vocab * sizeof *r->logits);
    }
    r->src[0] = 0;
    return d->lm.reorder(d->lm.user, r->src, r->n_group);
}

static int active(const vc_whisper_decoder *d, const vc_whisper_run *r, int k)
{
    return r->beam || r->seq[(size_t)k * r->cap + r->len - 1] != d->vocab.eot;
}

/* Beam search's rearrange_kv_cache, then the last token of every live sequence. */
static voce_status advance(vc_whisper_decoder *d, vc_whisper_run *r)
{
    voce_status st = VOCE_OK;
    if (r->beam) {
        int moved = 0;
        for (int k = 0; k < r->beam; k++) moved |= r->src[k] != k;
        if (moved) st = d->lm.reorder(d->lm.user, r->src, r->beam);
        if (st) return st;
    }
    for (int k = 0; k < r->n_group; k++) {
        r->heads[k] = r->seq + (size_t)k * r->cap + r->len - 1;
        r->n_new[k] = active(d, r, k);
    }
    st = d->lm.step(d->lm.user, r->n_group, r->heads, r->n_new, r->logits);
    for (int k = 0; !st && k < r->n_group; k++)
        if (r->n_new[k]) st = check_row(r->logits + (size_t)k * d->lm.n_vocab, d->lm.n_vocab, k, r->len);
    return st;
}

static voce_status sample_loop(vc_whisper_decoder *d, vc_whisper_run *r)
{
    for (int i = 0;;) {
        for (int k = 0; k < r->n_group; k++)
            if (active(d, r, k)) vc_whisper_filter_row(d, r, k, r->logits + (size_t)k * d->lm.n_vocab);
        int done;
        voce_status st = r->beam ? vc_whisper_beam_update(d, r, &done) : vc_whisper_greedy_update(d, r, &done);
        if (st) return st;
        if (done || r->len > d->lm.n_text_ctx || ++i == r->sample_len) return VOCE_OK;
        st = advance(d, r);
        if (st) return st;
    }
}

/* The sampled tokens of a candidate: from sample_begin to its first EOT. */
static int sampled_length(const vc_whisper_decoder *d, const vc_whisper_run *r, const int32_t *s, int len)
{
    int n = r->sample_begin;
    while (n < len && s[n] != d->vocab.eot) n++;
    return n - r->sample_begin;
}

/* MaximumLikelihoodRanker: sum / length, or sum / ((5 + length) / 6) ** alpha. An empty
 * candidate keeps its sum (decoding.py divides by zero there). */
static double score(const vc_whisper_options *o, double logprob, int length)
{
    if (!isnan(o->length_penalty)) return logprob / pow((5.0 + length) / 6.0, o->length_penalty);
    return length > 0 ? logprob / length : logprob;
}

static void candidate(const vc_whisper_run *r, int i, const int32_t **s, int *len, double *logprob)
{
    if (r->beam) {
        *s = r->fin + (size_t)i * r->cap;
        *len = r->fin_len[i];
        *logprob = r->fin_score[i];
    } else {
        *s = r->seq + (size_t)i * r->cap;
        *len = r->len;
        *logprob = r->sums[i];
    }
}

/* The best candidate (the first of equals, as np.argmax) into res. */
static void select_best(const vc_whisper_decoder *d, vc_whisper_run *r, vc_whisper_result *res)
{
    int n = r->beam ? r->n_fin : r->n_group, best = 0, best_len = 0;
    double best_score = 0, best_lp = 0;
    for (int i = 0; i < n; i++) {
        const int32_t *s;
        int len;
        double lp;
        candidate(r, i, &s, &len, &lp);
        int length = sampled_length(d, r, s, len);
        double sc = score(r->o, lp, length);
        if (i == 0 || sc > best_score) {
            best = i;
            best_score = sc;
            best_lp = lp;
            best_len = length;
        }
    }
    const int32_t *s;
    int len;
    double lp;
    candidate(r, best, &s, &len, &lp);
    int32_t *out = d->b_tokens.p;
    memcpy(out, s + r->sample_begin, (size_t)best_len * sizeof *out);
    res->tokens = out;
    res->n_tokens = best_len;
    res->sum_logprob = best_lp;
    res->avg_logprob = best_lp / (best_len + 1);
}

/* tokenizer.decode(tokens).strip(): timestamps dropped, the rest as bytes. */
static voce_status window_text(vc_whisper_decoder *d, vc_whisper_result *res)
{
    const vc_whisper_vocab *v = &d->vocab;
    size_t n = 0;
    for (int i = 0; i < res->n_tokens; i++) {
        if (res->tokens[i] >= v->timestamp_begin) continue;
        const uint8_t *b = NULL;
        size_t nb = 0;
        voce_status st = v->token_bytes(v->user, res->tokens[i], &b, &nb);
        if (!st && nb && !b) st = vc_error(VOCE_ERR_INTERNAL, "token_bytes gave %zu bytes at NULL", nb);
        if (!st) st = vc_whisper_reserve(d, &d->b_raw, n + nb, 1);
        if (st) return vc_error_prefix(st, "the text of token %d: ", (int)res->tokens[i]);
        if (nb) memcpy((uint8_t *)d->b_raw.p + n, b, nb);
        n += nb;
    }
    voce_status st = vc_whisper_reserve(d, &d->b_text, 3 * n + 1, 1);
    if (!st) st = vc_whisper_reserve(d, &d->b_compress, vc_whisper_compress_work(&d->zlib, 3 * n), 1);
    if (st) return st;
    res->text = d->b_text.p;
    res->n_text = n ? vc_whisper_clean_text(d->b_raw.p, n, d->b_text.p) : 0;
    return vc_whisper_compression_ratio(&d->zlib, res->text, res->n_text, d->b_compress.p,
                                        &res->compression_ratio, &res->ratio_estimated);
}

voce_status vc_whisper_run_decode(vc_whisper_decoder *d, vc_whisper_run *r, int attempt, vc_whisper_result *res)
{
    voce_status st = prepare(d, r);
    if (st) return st;
    r->rng = vc_whisper_rng_seed(r->o->seed, attempt);
    double no_speech;
    st = prefill(d, r, &no_speech);
    if (!st) st = sample_loop(d, r);
    if (st) return st;
    if (r->beam) vc_whisper_beam_finalize(d, r);
    select_best(d, r, res);
    res->no_speech_prob = no_speech;
    res->temperature = r->temperature;
    res->language = r->language;
    return window_text(d, res);
}
