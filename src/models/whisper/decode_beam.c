/* BeamSearchDecoder: each beam proposes its beam_size + 1 likeliest next tokens; the
 * candidates are ranked by their float32 sums of log-probabilities; the best beam_size
 * that do not end in EOT go on, and those ending in EOT that rank above the last kept
 * beam are finished, up to max_candidates = round(beam_size * patience) of them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/whisper/decode_int.h"

/* The first beam identical to beam j (j itself when none): the beams all start as copies
 * of the initial tokens, and decoding.py keys candidates by sequence. */
static int first_identical(const vc_whisper_run *r, int j)
{
    size_t bytes = (size_t)r->len * sizeof(int32_t);
    for (int i = 0; i < j; i++)
        if (!memcmp(r->seq + (size_t)i * r->cap, r->seq + (size_t)j * r->cap, bytes)) return i;
    return j;
}

/* topk(k) of the row's float32 log-probabilities: largest first, equal ones by token. */
static void top_tokens(const float *row, int n, double lse, int k, float *lp, int32_t *tok)
{
    int m = 0;
    for (int t = 0; t < n; t++) {
        float v = vc_whisper_logprob(row, lse, t);
        if (m == k && !(v > lp[k - 1])) continue;
        int i = m < k ? m++ : k - 1;
        for (; i > 0 && v > lp[i - 1]; i--) {
            lp[i] = lp[i - 1];
            tok[i] = tok[i - 1];
        }
        lp[i] = v;
        tok[i] = t;
    }
}

/* scores[sequence] = ...: a sequence already proposed by an identical beam keeps its
 * place and takes the later beam as its source, as a Python dict does. */
static void add_candidate(vc_whisper_run *r, int *n, int j, int key, double score, int32_t token)
{
    if (key != j)
        for (int c = 0; c < *n; c++)
            if (r->cands[c].key == key && r->cands[c].token == token) {
                r->cands[c].score = score;
                r->cands[c].src = j;
                return;
            }
    vc_whisper_cand *c = &r->cands[*n];
    c->score = score;
    c->src = j;
    c->key = key;
    c->order = *n;
    c->token = token;
    (*n)++;
}

static voce_status propose(const vc_whisper_decoder *d, vc_whisper_run *r, int *n_cands)
{
    float lp[VC_WHISPER_MAX_GROUP + 1];
    int32_t tok[VC_WHISPER_MAX_GROUP + 1];
    int n_vocab = d->lm.n_vocab, k = r->beam + 1;
    *n_cands = 0;
    for (int j = 0; j < r->beam; j++) {
        const float *row = r->logits + (size_t)j * n_vocab;
        double lse = vc_whisper_lse(row, n_vocab);
        if (lse == -INFINITY)
            return vc_error(VOCE_ERR_INVALID_ARG, "beam %d at token %d: every token is suppressed", j, r->len);
        top_tokens(row, n_vocab, lse, k, lp, tok);
        int key = first_identical(r, j);
        for (int i = 0; i < k; i++)
            add_candidate(r, n_cands, j, key, (double)(r->sums[j] + lp[i]), tok[i]);
    }
    return VOCE_OK;
}

/* sorted(scores, key=scores.get, reverse=True): Python's sort is stable, reversed too. */
static int by_score(const void *a, const void *b)
{
    const vc_whisper_cand *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->order - y->order;
}

static void finish(vc_whisper_run *r, const int32_t *seq, int len, int32_t eot, double score)
{
    int32_t *f = r->fin + (size_t)r->n_fin * r->cap;
    memcpy(f, seq, (size_t)len * sizeof *f);
    f[len] = eot;
    r->fin_len[r->n_fin] = len + 1;
    r->fin_score[r->n_fin] = score;
    r->n_fin++;
}

voce_status vc_whisper_beam_update(const vc_whisper_decoder *d, vc_whisper_run *r, int *done)
{
    int n_cands, kept = 0, n_ended = 0;
    voce_status st = propose(d, r, &n_cands);
    if (st) return st;
    qsort(r->cands, (size_t)n_cands, sizeof *r->cands, by_score);
    for (int c = 0; c < n_cands && kept < r->beam; c++) {
        const vc_whisper_cand *x = &r->cands[c];
        if (x->token == d->vocab.eot) {
            r->order[n_ended++] = c; /* in rank order, as they are added */
            continue;
        }
        int32_t *to = r->seq_next + (size_t)kept * r->cap;
        memcpy(to, r->seq + (size_t)x->src * r->cap, (size_t)r->len * sizeof *to);
        to[r->len] = x->token;
        r->sums[kept] = (float)x->score;
        r->src[kept++] = x->src;
    }
    if (kept < r->beam) return vc_error(VOCE_ERR_INTERNAL, "beam search kept %d of %d beams", kept, r->beam);
    for (int i = 0; i < n_ended && r->n_fin < r->max_candidates; i++) {
        const vc_whisper_cand *x = &r->cands[r->order[i]];
        finish(r, r->seq + (size_t)x->src * r->cap, r->len, d->vocab.eot, x->score);
    }
    int32_t *t = r->seq;
    r->seq = r->seq_next;
    r->seq_next = t;
    r->len++;
    *done = r->n_fin >= r->max_candidates;
    return VOCE_OK;
}

void vc_whisper_beam_finalize(const vc_whisper_decoder *d, vc_whisper_run *r)
{
    if (r->n_fin >= r->beam) return;
    /* list(np.argsort(sums))[::-1]: largest first, equal sums by the later beam first */
    int *rank = r->order;
    for (int j = 0; j < r->beam; j++) {
        int i = j;
        for (; i > 0 && r->sums[j] >= r->sums[rank[i - 1]]; i--) rank[i] = rank[i - 1];
        rank[i] = j;
    }
    for (int i = 0; i < r->beam && r->n_fin < r->beam; i++)
        finish(r, r->seq + (size_t)rank[i] * r->cap, r->len, d->vocab.eot, (double)r->sums[rank[i]]);
}
