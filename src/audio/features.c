/* voce features: create, offline compute, the whole-input steps (include/voce/features.h).
 * compute() runs the same per-frame code as the push/pull stream (features_stream.c),
 * on its own stream state, so offline and streamed frames are bit-identical. */
#include <stdlib.h>
#include <string.h>

#include "audio/features_int.h"
#include "audio/mel.h"
#include "core/error.h"

/* Samples pushed per step of compute(): memory stays flat whatever the input length. */
#define COMPUTE_CHUNK 65536

voce_status vc_frontend_slaney_filters(const voce_features_config *c, float *out)
{
    return vc_mel_filters(c->sample_rate, c->n_fft, c->n_mels, 0.0, c->sample_rate / 2.0, VC_MEL_SLANEY,
                          VC_MEL_NORM_SLANEY, out);
}

voce_status vc_frontend_recipe_of(const voce_features_config *c, vc_frontend_recipe *r)
{
    memset(r, 0, sizeof *r);
    switch (c->kind) {
    case VOCE_FEATURES_WHISPER: return vc_whisper_recipe(c, r);
    case VOCE_FEATURES_NEMO: return vc_nemo_recipe(c, r);
    case VOCE_FEATURES_FBANK: return vc_fbank_recipe(c, r);
    }
    return vc_error(VOCE_ERR_INVALID_ARG, "features: unknown kind %d", (int)c->kind);
}

static voce_status make_filters(voce_features *fe)
{
    int n_bins = fe->cfg.n_fft / 2 + 1;
    float *filters = malloc(sizeof(float) * (size_t)fe->cfg.n_mels * (size_t)n_bins);
    if (!filters) return vc_error(VOCE_ERR_NOMEM, "out of memory for %d mel filters", fe->cfg.n_mels);
    voce_status st = fe->recipe.filters(&fe->cfg, filters);
    if (st) {
        free(filters);
        return st;
    }
    return vc_melbank_init(&fe->mel, fe->cfg.n_mels, n_bins, filters);
}

voce_status voce_features_create(const voce_features_config *config, voce_features **out)
{
    if (!config || !out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_features_create: NULL argument");
    *out = NULL;
    voce_status st = vc_features_check(config);
    if (st) return st;
    voce_features *fe = calloc(1, sizeof *fe);
    if (!fe) return vc_error(VOCE_ERR_NOMEM, "out of memory for a front end");
    fe->cfg = *config;
    st = vc_frontend_recipe_of(config, &fe->recipe);
    if (!st) st = vc_stft_plan_init(&fe->recipe.stft, &fe->stft);
    if (!st) st = make_filters(fe);
    if (!st) st = vc_stft_stream_init(&fe->stream, &fe->stft);
    if (st) {
        voce_features_destroy(fe);
        return st;
    }
    *out = fe;
    return VOCE_OK;
}

void voce_features_destroy(voce_features *fe)
{
    if (!fe) return;
    vc_stft_stream_free(&fe->stream);
    vc_melbank_free(&fe->mel);
    vc_stft_plan_free(&fe->stft);
    free(fe);
}

int voce_features_n_mels(const voce_features *fe) { return fe ? fe->cfg.n_mels : 0; }

int64_t vc_features_frame_count(const voce_features *fe, int64_t n)
{
    int64_t frames = vc_stft_frame_count(&fe->stft, n + fe->recipe.end_zeros);
    return fe->recipe.drop_last && frames > 0 ? frames - 1 : frames;
}

voce_status vc_features_run(const voce_features *fe, vc_stft_stream *s, float *out, double *out64, size_t max,
                            size_t *n)
{
    /* Before the end only frames certain to exist: a frame the end will drop may
     * already have all its samples. */
    int64_t limit = s->n_frames >= 0 ? s->n_frames : vc_features_frame_count(fe, s->pushed);
    size_t got = 0, n_mels = (size_t)fe->cfg.n_mels;
    double row[VC_FEATURES_MAX_MELS];
    voce_status st = VOCE_OK;
    while (got < max && s->next < limit && vc_stft_frame_ready(s)) {
        const double *power;
        st = vc_stft_next(s, &power);
        if (st) break;
        double *dst = out64 ? out64 + got * n_mels : row;
        vc_melbank_log(&fe->mel, fe->recipe.log, fe->recipe.log_guard, power, dst);
        if (!out64)
            for (size_t m = 0; m < n_mels; m++) out[got * n_mels + m] = (float)row[m];
        got++;
    }
    *n = got;
    return st;
}

/* The frames s can give into rows *got .. of out or out64 (n_frames rows in all). */
static voce_status run_into(const voce_features *fe, vc_stft_stream *s, float *out, double *out64, size_t n_frames,
                            size_t *got)
{
    size_t k = 0, off = *got * (size_t)fe->cfg.n_mels;
    voce_status st = vc_features_run(fe, s, out ? out + off : NULL, out64 ? out64 + off : NULL, n_frames - *got, &k);
    *got += k;
    return st;
}

/* Every frame of pcm into out or out64 (n_frames rows), on a stream of its own. */
static voce_status run_all(const voce_features *fe, const float *pcm, size_t n, float *out, double *out64,
                           size_t n_frames)
{
    vc_stft_stream s;
    voce_status st = vc_stft_stream_init(&s, &fe->stft);
    size_t got = 0;
    for (size_t i = 0; i < n && !st; i += COMPUTE_CHUNK) {
        st = vc_stft_push(&s, pcm + i, n - i < COMPUTE_CHUNK ? n - i : COMPUTE_CHUNK);
        if (!st) st = run_into(fe, &s, out, out64, n_frames, &got);
    }
    if (!st) {
        vc_stft_end(&s, fe->recipe.end_zeros, (int64_t)n_frames);
        st = run_into(fe, &s, out, out64, n_frames, &got);
    }
    if (!st && got != n_frames)
        st = vc_error(VOCE_ERR_INTERNAL, "features: %zu frames computed, %zu expected", got, n_frames);
    vc_stft_stream_free(&s);
    return st;
}

static int normalizes(const voce_features *fe) { return fe->cfg.kind == VOCE_FEATURES_NEMO && fe->cfg.nemo_normalize; }

/* NeMo's per-feature normalisation divides by each bin's standard deviation, which
 * for a band that stays at the log floor is tiny: the logs are then kept in double
 * until normalised, as float logs would carry their rounding (1e-6) over into the
 * result magnified 100-fold. */
static voce_status compute_normalized(const voce_features *fe, const float *pcm, size_t n, float *out, size_t valid)
{
    size_t n_mels = (size_t)fe->cfg.n_mels;
    if (valid > SIZE_MAX / sizeof(double) / n_mels)
        return vc_error(VOCE_ERR_NOMEM, "features: %zu frames are beyond what memory can hold", valid);
    double *logs = malloc(sizeof(double) * (valid ? valid : 1) * n_mels);
    if (!logs) return vc_error(VOCE_ERR_NOMEM, "out of memory for %zu feature frames", valid);
    voce_status st = run_all(fe, pcm, n, NULL, logs, valid);
    if (!st) st = vc_nemo_normalize_f64(logs, valid, fe->cfg.n_mels, out);
    free(logs);
    return st;
}

voce_status voce_features_compute(voce_features *fe, const float *pcm, size_t n, float **frames, size_t *n_frames)
{
    if (!fe || (!pcm && n) || !frames || !n_frames)
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_features_compute: NULL argument");
    *frames = NULL;
    *n_frames = 0;
    if (n > (size_t)INT64_MAX / 2)
        return vc_error(VOCE_ERR_NOMEM, "features: %zu samples are beyond the supported length", n);
    size_t valid = (size_t)vc_features_frame_count(fe, (int64_t)n), total = valid;
    if (fe->cfg.kind == VOCE_FEATURES_NEMO) total = vc_nemo_output_frames(valid, fe->cfg.nemo_pad_to);
    if (!total) return VOCE_OK;
    size_t n_mels = (size_t)fe->cfg.n_mels;
    if (total > SIZE_MAX / sizeof(float) / n_mels)
        return vc_error(VOCE_ERR_NOMEM, "features: %zu frames are beyond what memory can hold", total);
    float *out = calloc(total * n_mels, sizeof(float)); /* NeMo's masked and pad frames: 0 */
    if (!out) return vc_error(VOCE_ERR_NOMEM, "out of memory for %zu feature frames", total);
    voce_status st;
    if (normalizes(fe)) {
        st = compute_normalized(fe, pcm, n, out, valid);
    } else {
        st = run_all(fe, pcm, n, out, NULL, valid);
        if (!st && fe->cfg.kind == VOCE_FEATURES_WHISPER) vc_whisper_scale(out, valid, fe->cfg.n_mels);
    }
    if (st) {
        free(out);
        return st;
    }
    *frames = out;
    *n_frames = total;
    return VOCE_OK;
}

voce_status voce_features_finish(const voce_features *fe, float *frames, size_t n_frames)
{
    if (!fe || (!frames && n_frames)) return vc_error(VOCE_ERR_INVALID_ARG, "voce_features_finish: NULL argument");
    if (fe->cfg.kind == VOCE_FEATURES_WHISPER) vc_whisper_scale(frames, n_frames, fe->cfg.n_mels);
    if (normalizes(fe)) return vc_nemo_normalize(frames, n_frames, fe->cfg.n_mels);
    return VOCE_OK;
}
