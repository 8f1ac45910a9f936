/* Whisper's front end, as openai-whisper's log_mel_spectrogram (audio.py):
 * torch.stft(n_fft 400, hop 160, periodic Hann(400), center=True, pad_mode 'reflect'),
 * the last frame dropped, |X|^2, librosa's Slaney mel filters with Slaney norm (0 to
 * 8 kHz), log10(max(x, 1e-10)), then over the whole input max(x, max - 8) and
 * (x + 4) / 4. transcribe() first appends 30 s of zeros (whisper_pad_30s). */
#include <math.h>

#include "audio/frontend.h"

#define WHISPER_CHUNK_S 30      /* audio.py CHUNK_LENGTH */
#define WHISPER_LOG_FLOOR 1e-10
#define WHISPER_DYNAMIC_RANGE 8.0f

voce_status vc_whisper_recipe(const voce_features_config *c, vc_frontend_recipe *r)
{
    vc_stft_params p = {.n_fft = c->n_fft,
                        .win_length = c->win_length,
                        .hop = c->hop_length,
                        .window = VC_WINDOW_HANN_PERIODIC,
                        .edge = VC_EDGE_REFLECT};
    r->stft = p;
    r->log = VC_LOG10_FLOOR;
    r->log_guard = WHISPER_LOG_FLOOR;
    r->drop_last = 1;
    r->end_zeros = c->whisper_pad_30s ? (int64_t)WHISPER_CHUNK_S * c->sample_rate : 0;
    r->filters = vc_frontend_slaney_filters;
    return VOCE_OK;
}

void vc_whisper_scale(float *x, size_t n_frames, int n_mels)
{
    size_t n = n_frames * (size_t)n_mels;
    if (!n) return;
    float mx = x[0];
    for (size_t i = 1; i < n && !isnan(mx); i++)
        if (x[i] > mx || isnan(x[i])) mx = x[i]; /* torch's max returns NaN if there is one */
    float floor = mx - WHISPER_DYNAMIC_RANGE;
    for (size_t i = 0; i < n; i++) {
        float v = isnan(x[i]) || isnan(floor) ? NAN : x[i] > floor ? x[i] : floor;
        x[i] = (v + 4.0f) / 4.0f;
    }
}
