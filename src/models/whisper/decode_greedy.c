/* GreedyDecoder.update: each unfinished sequence takes the likeliest token (temperature
 * 0) or a sampled one, and adds its log-probability to its float32 sum; a finished
 * sequence only grows by another EOT. */
#include <math.h>

#include "core/error.h"
#include "models/whisper/decode_int.h"

static voce_status choose(const vc_whisper_decoder *d, vc_whisper_run *r, const float *row, int k,
                          int *token)
{
    int n_vocab = d->lm.n_vocab;
    if (r->temperature == 0) *token = vc_whisper_argmax(row, n_vocab);
    else *token = vc_whisper_sample(row, n_vocab, r->temperature, vc_whisper_rng_uniform(&r->rng), r->work);
    if (row[*token] == -INFINITY)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "sequence %d at token %d: every token is suppressed (suppress_tokens and the "
                        "timestamp rules leave none)", k, r->len);
    return VOCE_OK;
}

voce_status vc_whisper_greedy_update(const vc_whisper_decoder *d, vc_whisper_run *r, int *done)
{
    const int32_t eot = d->vocab.eot;
    *done = 1;
    for (int k = 0; k < r->n_group; k++) {
        int32_t *s = r->seq + (size_t)k * r->cap;
        if (s[r->len - 1] == eot) {
            s[r->len] = eot;
            continue;
        }
        const float *row = r->logits + (size_t)k * d->lm.n_vocab;
        int token;
        voce_status st = choose(d, r, row, k, &token);
        if (st) return st;
        r->sums[k] += vc_whisper_logprob(row, vc_whisper_lse(row, d->lm.n_vocab), token);
        s[r->len] = token;
        if (token != eot) *done = 0;
    }
    r->len++;
    return VOCE_OK;
}
