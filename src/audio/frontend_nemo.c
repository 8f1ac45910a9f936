/* NeMo's front end, as FilterbankFeatures (nemo/collections/asr/parts/preprocessing/
 * features.py) at inference: no dither, pre-emphasis 0.97 on the signal (y[0] = x[0]),
 * torch.stft(n_fft 512, hop 160, win_length 400, symmetric Hann(400) centred in the
 * frame, center=True, pad_mode 'constant'), |X|^2, librosa Slaney mel filters with
 * Slaney norm (0 to sr / 2), ln(x + 2^-24); then per-feature normalisation over the
 * valid frames and the frame count padded to a multiple of 16 with zeros.
 *
 * Valid frames: NeMo's get_seq_len is (n + 2 * (n_fft / 2) - n_fft) // hop = n // hop,
 * one fewer than the 1 + n // hop frames of the STFT; the STFT's last frame is masked to
 * the pad value 0 like the padding (the "+ 1" of older NeMo releases is gone). So the
 * frame-local frames are the first n // hop, and the output has 1 + n // hop frames
 * before padding to pad_to. */
#include <math.h>
#include <stdlib.h>

#include "audio/frontend.h"
#include "core/error.h"

#define NEMO_PREEMPH 0.97
#define NEMO_LOG_GUARD 0x1p-24    /* log_zero_guard_value 2 ** -24, type "add" */
#define NEMO_STD_GUARD 1e-5       /* CONSTANT, added to the standard deviation */

voce_status vc_nemo_recipe(const voce_features_config *c, vc_frontend_recipe *r)
{
    vc_stft_params p = {.n_fft = c->n_fft,
                        .win_length = c->win_length,
                        .hop = c->hop_length,
                        .window = VC_WINDOW_HANN_SYMMETRIC, /* hann_window(periodic=False) */
                        .edge = VC_EDGE_ZEROS,
                        .preemph = NEMO_PREEMPH,
                        .magnitude = c->magnitude};
    r->stft = p;
    r->log = VC_LN_ADD;
    r->log_guard = NEMO_LOG_GUARD;
    r->drop_last = 1; /* the STFT's last frame is not among the valid ones */
    r->end_zeros = 0;
    r->filters = vc_frontend_slaney_filters;
    return VOCE_OK;
}

/* The logs come as floats (xf) or doubles (xd): one of them is NULL. */
static double log_at(const float *xf, const double *xd, size_t k) { return xd ? xd[k] : (double)xf[k]; }

/* normalize_batch "per_feature" over n frames of M bins: each bin's mean, and its
 * standard deviation with n - 1 (0 for a single frame, where NeMo's 0 / 0 is replaced
 * by 0) plus 1e-5. In double: for a constant feature (silence) the mean is exact and
 * the result exactly 0. Row by row, so that a long input is read three times in
 * order rather than once per bin. */
static void feature_stats(const float *xf, const double *xd, size_t n, size_t M, double *mean, double *sd)
{
    for (size_t m = 0; m < M; m++) mean[m] = sd[m] = 0.0;
    for (size_t t = 0; t < n; t++)
        for (size_t m = 0; m < M; m++) mean[m] += log_at(xf, xd, t * M + m);
    for (size_t m = 0; m < M; m++) mean[m] /= (double)n;
    for (size_t t = 0; t < n; t++)
        for (size_t m = 0; m < M; m++) {
            double d = log_at(xf, xd, t * M + m) - mean[m];
            sd[m] += d * d;
        }
    for (size_t m = 0; m < M; m++) {
        sd[m] = n > 1 ? sqrt(sd[m] / (double)(n - 1)) : 0.0;
        if (isnan(sd[m])) sd[m] = 0.0;
        sd[m] += NEMO_STD_GUARD;
    }
}

static voce_status normalize(const float *xf, const double *xd, size_t n, int n_mels, float *out)
{
    if (!n) return VOCE_OK;
    size_t M = (size_t)n_mels;
    double *mean = malloc(sizeof(double) * 2 * M);
    if (!mean) return vc_error(VOCE_ERR_NOMEM, "out of memory normalising %d features", n_mels);
    double *sd = mean + M;
    feature_stats(xf, xd, n, M, mean, sd);
    for (size_t t = 0; t < n; t++)
        for (size_t m = 0; m < M; m++) out[t * M + m] = (float)((log_at(xf, xd, t * M + m) - mean[m]) / sd[m]);
    free(mean);
    return VOCE_OK;
}

voce_status vc_nemo_normalize(float *x, size_t n_frames, int n_mels)
{
    return normalize(x, NULL, n_frames, n_mels, x);
}

voce_status vc_nemo_normalize_f64(const double *x, size_t n_frames, int n_mels, float *out)
{
    return normalize(NULL, x, n_frames, n_mels, out);
}

size_t vc_nemo_output_frames(size_t n_valid, int pad_to)
{
    size_t t = n_valid + 1; /* the STFT's frames, the masked last one included */
    if (pad_to <= 0 || t % (size_t)pad_to == 0) return t;
    return t + (size_t)pad_to - t % (size_t)pad_to;
}
