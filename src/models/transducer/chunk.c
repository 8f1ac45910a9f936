/* The encoder over windows of a long input (chunk.h). */
#include "chunk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define READ_BLOCK 16000 /* samples read from the source at a time */
#define STD_GUARD 1e-5   /* NeMo's per-feature normalisation adds it to the deviation */

static voce_status pcm_rewind(void *ctx)
{
    ((vc_td_pcm_source *)ctx)->pos = 0;
    return VOCE_OK;
}

static voce_status pcm_read(void *ctx, float *out, size_t max, size_t *n)
{
    vc_td_pcm_source *s = ctx;
    *n = s->n - s->pos < max ? s->n - s->pos : max;
    memcpy(out, s->pcm + s->pos, *n * sizeof *out);
    s->pos += *n;
    return VOCE_OK;
}

vc_td_source vc_td_source_of_pcm(vc_td_pcm_source *mem, const float *pcm, size_t n)
{
    mem->pcm = pcm;
    mem->n = n;
    mem->pos = 0;
    vc_td_source s = {mem, pcm_rewind, pcm_read};
    return s;
}

/* Seconds as feature frames, a whole number of encoder frames (at least min_enc). */
static int frames_of(const vc_td_runner *r, double s, int min_enc)
{
    int sub = r->model.subsampling;
    double enc = s * r->sample_rate / r->hop / sub;
    long long k = enc > 1e6 ? 1000000 : llround(enc);
    return (int)(k < min_enc ? min_enc : k) * sub;
}

/* chunk_s 0: the default chunk and context; otherwise both as given (context 0: none). */
static void sizes(const vc_td_runner *r, double chunk_s, double context_s, int *chunk, int *context)
{
    if (chunk_s <= 0) chunk_s = VC_TD_CHUNK_SECONDS, context_s = VC_TD_CONTEXT_SECONDS;
    *chunk = frames_of(r, chunk_s, 1);
    *context = frames_of(r, context_s > 0 ? context_s : 0, 0);
}

int vc_td_fits_one_window(const vc_td_runner *r, int64_t n_feat, double chunk_s, double context_s)
{
    int chunk, ctx;
    sizes(r, chunk_s, context_s, &chunk, &ctx);
    return n_feat <= (int64_t)chunk + ctx;
}

/* Frames from the feature stream into out (up to max), pushing samples from the source
 * as the stream needs them; fewer than max only at the end of the source. */
static voce_status pull(vc_td_chunker *c, float *out, int max, int *got, float *pcm)
{
    voce_features *fe = c->r->fe;
    size_t F = (size_t)c->r->model.feat_dim;
    *got = 0;
    while (*got < max) {
        size_t k = 0, n = 0;
        voce_status st = voce_features_pull(fe, out + (size_t)*got * F, (size_t)(max - *got), &k);
        if (st) return st;
        *got += (int)k;
        if (k) continue;
        if (c->src_end) break;
        if ((st = c->src->read(c->src->ctx, pcm, READ_BLOCK, &n))) return st;
        c->pushed += n;
        if (n) st = voce_features_push(fe, pcm, n);
        else {
            st = voce_features_flush(fe);
            c->src_end = 1;
        }
        if (st) return st;
    }
    return VOCE_OK;
}

/* Pass 1: every valid frame of the source, for the mean and deviation of each band
 * (sums shifted by the first frame, in double: exact for a constant band). */
static voce_status statistics(vc_td_chunker *c, float *pcm)
{
    size_t F = (size_t)c->r->model.feat_dim;
    double *s1 = calloc(2 * F, sizeof *s1), *s2 = s1 ? s1 + F : NULL;
    voce_status st = s1 ? VOCE_OK : vc_error(VOCE_ERR_NOMEM, "out of memory");
    int got = 1;
    while (!st && got) {
        st = pull(c, c->rows, c->cap_rows, &got, pcm);
        for (int t = 0; !st && t < got; t++) {
            const float *x = c->rows + (size_t)t * F;
            if (c->n_feat == 0 && t == 0)
                for (size_t f = 0; f < F; f++) c->mean[f] = x[f];
            for (size_t f = 0; f < F; f++) {
                double d = (double)x[f] - c->mean[f];
                s1[f] += d;
                s2[f] += d * d;
            }
        }
        c->n_feat += got;
    }
    double n = (double)c->n_feat;
    for (size_t f = 0; !st && f < F; f++) {
        double var = c->n_feat > 1 ? (s2[f] - s1[f] * s1[f] / n) / (n - 1) : 0.0;
        c->mean[f] += c->n_feat ? s1[f] / n : 0.0;
        c->scale[f] = (var > 0 ? sqrt(var) : 0.0) + STD_GUARD;
    }
    free(s1);
    return st;
}

static voce_status encoder_frames_of(vc_td_chunker *c)
{
    int64_t n = c->n_feat;
    for (int k = 1; k < c->r->model.subsampling; k *= 2) n = (n + 1) / 2;
    c->n_enc = n;
    return n > INT32_MAX / 2 ? vc_error(VOCE_ERR_INVALID_ARG, "transducer: the input is too long (%lld frames)",
                                        (long long)c->n_feat)
                             : VOCE_OK;
}

voce_status vc_td_chunker_open(vc_td_chunker *c, vc_td_runner *r, const vc_td_source *src, double chunk_s,
                               double context_s)
{
    memset(c, 0, sizeof *c);
    c->r = r;
    c->src = src;
    if (!(chunk_s >= 0 && chunk_s <= 1e6) || !(context_s >= 0 && context_s <= 1e6))
        return vc_error(VOCE_ERR_INVALID_ARG, "transducer: chunk %g s, context %g s: both must be >= 0 "
                        "(chunk 0: the defaults, %g s and %g s)", chunk_s, context_s, VC_TD_CHUNK_SECONDS,
                        VC_TD_CONTEXT_SECONDS);
    if (!r->nemo_front_end)
        return vc_error(VOCE_ERR_UNSUPPORTED, "transducer: long input is encoded in windows, which needs NeMo's "
                        "front end (features.kind nemo)");
    int sub = r->model.subsampling;
    sizes(r, chunk_s, context_s, &c->chunk, &c->left);
    c->right = c->left;
    if ((int64_t)c->chunk + 2 * c->left > (int64_t)VC_TD_MAX_ENCODER_FRAMES * sub)
        return vc_error(VOCE_ERR_INVALID_ARG, "transducer: a window of %g s (chunk and context twice) is longer than "
                        "the encoder's %d frames allow", (double)(c->chunk + 2 * c->left) * r->hop / r->sample_rate,
                        VC_TD_MAX_ENCODER_FRAMES);
    size_t F = (size_t)r->model.feat_dim, kept = (size_t)(c->chunk + c->right) / (size_t)sub + 1;
    c->cap_rows = c->left + c->chunk + c->right;
    c->width = r->model.kind == VC_TD_CTC ? r->model.n_tokens : r->model.d_model;
    c->rows = malloc(sizeof(float) * F * (size_t)c->cap_rows);
    c->win = malloc(sizeof(float) * F * (size_t)c->cap_rows);
    c->kept = malloc(sizeof(float) * (size_t)c->width * kept);
    c->mean = malloc(sizeof(double) * 2 * F);
    float *pcm = malloc(sizeof(float) * READ_BLOCK);
    voce_status st = c->rows && c->win && c->kept && c->mean && pcm ? VOCE_OK
                                                                   : vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (!st) {
        c->scale = c->mean + F;
        voce_features_reset(r->fe);
        st = src->rewind(src->ctx);
    }
    if (!st) st = statistics(c, pcm);
    free(pcm);
    c->n_samples = c->pushed;
    if (!st) st = encoder_frames_of(c);
    if (!st && !r->normalize)
        for (size_t f = 0; f < F; f++) c->mean[f] = 0.0, c->scale[f] = 1.0;
    if (!st) {
        voce_features_reset(r->fe);
        c->src_end = 0;
        st = src->rewind(src->ctx);
    }
    c->done = c->n_enc == 0;
    if (st) vc_td_chunker_close(c);
    return st;
}

void vc_td_chunker_close(vc_td_chunker *c)
{
    free(c->rows);
    free(c->win);
    free(c->kept);
    free(c->mean);
    memset(c, 0, sizeof *c);
}

/* The feature rows [ws, we) in c->rows: the ones already there kept, the rest pulled. */
static voce_status fill_rows(vc_td_chunker *c, int64_t ws, int64_t we)
{
    size_t F = (size_t)c->r->model.feat_dim;
    int64_t drop = ws - c->row0;
    if (drop > c->n_rows) drop = c->n_rows;
    if (drop > 0) {
        memmove(c->rows, c->rows + (size_t)drop * F, sizeof(float) * F * (size_t)(c->n_rows - drop));
        c->n_rows -= (int)drop;
    }
    c->row0 = ws;
    int want = (int)(we - ws), got = 0;
    float *pcm = want > c->n_rows ? malloc(sizeof(float) * READ_BLOCK) : NULL;
    voce_status st = want > c->n_rows && !pcm ? vc_error(VOCE_ERR_NOMEM, "out of memory") : VOCE_OK;
    if (!st && want > c->n_rows) st = pull(c, c->rows + (size_t)c->n_rows * F, want - c->n_rows, &got, pcm);
    free(pcm);
    c->n_rows += got;
    if (!st && c->n_rows != want)
        st = vc_error(VOCE_ERR_FORMAT, "transducer: the audio gave %lld feature frames in its second reading, "
                      "%lld in its first", (long long)(ws + c->n_rows), (long long)c->n_feat);
    return st;
}

/* The window's rows normalised with the whole input's statistics, as [F][len]. */
static void window_features(vc_td_chunker *c, int len)
{
    size_t F = (size_t)c->r->model.feat_dim;
    for (size_t t = 0; t < (size_t)len; t++)
        for (size_t f = 0; f < F; f++)
            c->win[f * (size_t)len + t] = (float)(((double)c->rows[t * F + f] - c->mean[f]) / c->scale[f]);
}

/* Encoder frames [j0, j1) of the window into c->kept, and the model's view of them. */
static voce_status keep(vc_td_chunker *c, int j0, int j1)
{
    vc_td_model *m = &c->r->model;
    if (j1 > m->n_frames || j0 >= j1)
        return vc_error(VOCE_ERR_FORMAT, "transducer: a window gave %d encoder frames; its chunk needs %d to %d",
                        m->n_frames, j0, j1);
    size_t n = (size_t)(j1 - j0), W = (size_t)c->width, T = (size_t)m->n_total;
    if (m->kind == VC_TD_CTC) memcpy(c->kept, m->enc_out + (size_t)j0 * W, sizeof(float) * n * W);
    else
        for (size_t d = 0; d < W; d++) memcpy(c->kept + d * n, m->enc_out + d * T + (size_t)j0, sizeof(float) * n);
    m->enc_out = c->kept;
    m->n_total = m->n_frames = (int)n;
    return VOCE_OK;
}

voce_status vc_td_chunker_next(vc_td_chunker *c)
{
    if (c->done) return vc_error(VOCE_ERR_STATE, "transducer: every chunk is encoded");
    int sub = c->r->model.subsampling;
    int64_t ws = c->next - c->left > 0 ? c->next - c->left : 0, we = c->next + c->chunk + c->right;
    int last = we >= c->n_feat;
    if (last) we = c->n_feat;
    voce_status st = fill_rows(c, ws, we);
    int len = (int)(we - ws), j0 = (int)((c->next - ws) / sub);
    if (!st) window_features(c, len);
    if (!st) st = vc_td_model_encode(&c->r->model, c->win, len, len);
    if (!st) st = keep(c, j0, last ? c->r->model.n_frames : j0 + c->chunk / sub);
    if (st) return st;
    c->first = c->next / sub;
    c->n = c->r->model.n_frames;
    c->windows++;
    c->next += c->chunk;
    c->done = last;
    if (last && c->first + c->n != c->n_enc)
        return vc_error(VOCE_ERR_FORMAT, "transducer: the windows gave %lld encoder frames, the input has %lld",
                        (long long)(c->first + c->n), (long long)c->n_enc);
    return VOCE_OK;
}
