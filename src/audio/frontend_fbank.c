/* Kaldi's fbank, as torchaudio.compliance.kaldi.fbank (torchaudio 0.13) with the
 * settings speech models use: 25 ms frames every 10 ms, snip_edges (only frames that
 * fit), dither 0, per frame: mean removed, pre-emphasis 0.97 (x[0] - 0.97 x[0] first),
 * Povey window, zero-padded to 512, |X|^2, Kaldi mel banks from 20 Hz to Nyquist,
 * ln(max(x, FLT_EPSILON)); no energy term. Samples are taken as given: Kaldi-trained
 * models often expect int16 scale, which the caller applies (x 32768). */
#include <float.h>

#include "audio/frontend.h"
#include "audio/mel.h"

#define KALDI_PREEMPH 0.97
#define KALDI_LOW_FREQ 20.0     /* Hz */
#define KALDI_HIGH_FREQ 0.0     /* <= 0: offset from Nyquist */

static voce_status fbank_filters(const voce_features_config *c, float *out)
{
    return vc_mel_kaldi(c->sample_rate, c->n_fft, c->n_mels, KALDI_LOW_FREQ, KALDI_HIGH_FREQ, out);
}

voce_status vc_fbank_recipe(const voce_features_config *c, vc_frontend_recipe *r)
{
    vc_stft_params p = {.n_fft = c->n_fft,
                        .win_length = c->win_length,
                        .hop = c->hop_length,
                        .window = VC_WINDOW_POVEY,
                        .edge = VC_EDGE_SNIP,
                        .frame_preemph = KALDI_PREEMPH,
                        .remove_dc = 1,
                        .magnitude = c->magnitude};
    r->stft = p;
    r->log = VC_LN_FLOOR;
    r->log_guard = FLT_EPSILON;
    r->drop_last = 0;
    r->end_zeros = 0;
    r->filters = fbank_filters;
    return VOCE_OK;
}
