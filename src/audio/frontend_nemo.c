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

#include "audio/frontend.h"

#define NEMO_PREEMPH 0.97f
#define NEMO_LOG_GUARD 0x1p-24f   /* log_zero_guard_value 2 ** -24, type "add" */
#define NEMO_STD_GUARD 1e-5f      /* CONSTANT, added to the standard deviation */

voce_status vc_nemo_recipe(const voce_features_config *c, vc_frontend_recipe *r)
{
    vc_stft_params p = {.n_fft = c->n_fft,
                        .win_length = c->win_length,
                        .hop = c->hop_length,
                        .window = VC_WINDOW_HANN_SYMMETRIC, /* hann_window(periodic=False) */
                        .edge = VC_EDGE_ZEROS,
                        .preemph = NEMO_PREEMPH};
    r->stft = p;
    r->log = VC_LN_ADD;
    r->log_guard = NEMO_LOG_GUARD;
    r->drop_last = 1; /* the STFT's last frame is not among the valid ones */
    r->end_zeros = 0;
    r->filters = vc_frontend_slaney_filters;
    return VOCE_OK;
}

/* normalize_batch "per_feature": mean over the frames, standard deviation with n - 1
 * (0 for a single frame, where NeMo's 0 / 0 is replaced by 0), plus 1e-5, then
 * (x - mean) / std, in float as torch does. The sums run in double: for a constant
 * feature (silence) the mean is then exact and the result exactly 0. */
static void normalize_feature(float *x, size_t n_frames, size_t stride)
{
    double sum = 0.0;
    for (size_t t = 0; t < n_frames; t++) sum += x[t * stride];
    float mean = (float)(sum / (double)n_frames);
    double sq = 0.0;
    for (size_t t = 0; t < n_frames; t++) {
        float d = x[t * stride] - mean;
        sq += (double)d * (double)d;
    }
    float sd = n_frames > 1 ? (float)sqrt(sq / (double)(n_frames - 1)) : 0.0f;
    if (isnan(sd)) sd = 0.0f;
    sd += NEMO_STD_GUARD;
    for (size_t t = 0; t < n_frames; t++) x[t * stride] = (x[t * stride] - mean) / sd;
}

void vc_nemo_normalize(float *x, size_t n_frames, int n_mels)
{
    if (!n_frames) return;
    for (int m = 0; m < n_mels; m++) normalize_feature(x + m, n_frames, (size_t)n_mels);
}

size_t vc_nemo_output_frames(size_t n_valid, int pad_to)
{
    size_t t = n_valid + 1; /* the STFT's frames, the masked last one included */
    if (pad_to <= 0 || t % (size_t)pad_to == 0) return t;
    return t + (size_t)pad_to - t % (size_t)pad_to;
}
