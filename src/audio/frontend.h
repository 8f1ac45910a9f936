/* What makes each front end (Whisper, NeMo, Kaldi fbank) what it is: its STFT, its mel
 * filters, its log, its frame count, and the steps that need the whole input. The
 * machinery that runs them is shared (frontend_stft.c, frontend_mel.c, features.c);
 * each frontend_<kind>.c holds one recipe with the reference's constants. */
#ifndef VC_FRONTEND_H
#define VC_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "audio/frontend_mel.h"
#include "audio/frontend_stft.h"
#include "voce/features.h"

typedef struct vc_frontend_recipe {
    vc_stft_params stft;
    vc_log_kind log;
    double log_guard;
    int drop_last;         /* the STFT's last frame: dropped (Whisper), masked (NeMo) */
    int64_t end_zeros;     /* zero samples appended to the audio (Whisper's 30 s) */
    /* Fill n_mels * (n_fft / 2 + 1) floats with the mel filters. */
    voce_status (*filters)(const voce_features_config *c, float *out);
} vc_frontend_recipe;

/* librosa's Slaney mel filters with Slaney norm, 0 Hz to Nyquist: what Whisper
 * (mel_filters.npz) and NeMo both use. */
voce_status vc_frontend_slaney_filters(const voce_features_config *c, float *out);

/* The recipe of c->kind for an already validated config. */
voce_status vc_frontend_recipe_of(const voce_features_config *c, vc_frontend_recipe *r);

voce_status vc_whisper_recipe(const voce_features_config *c, vc_frontend_recipe *r);
voce_status vc_nemo_recipe(const voce_features_config *c, vc_frontend_recipe *r);
voce_status vc_fbank_recipe(const voce_features_config *c, vc_frontend_recipe *r);

/* Whisper's whole-input steps over frames x n_mels: max(x, max - 8), (x + 4) / 4. */
void vc_whisper_scale(float *x, size_t n_frames, int n_mels);

/* NeMo's per-feature normalisation over n_frames frames (all valid), in place on
 * float logs (voce_features_finish), or from double logs into out (compute()). */
voce_status vc_nemo_normalize(float *x, size_t n_frames, int n_mels);
voce_status vc_nemo_normalize_f64(const double *x, size_t n_frames, int n_mels, float *out);

/* Rows of NeMo's output for n_valid valid frames: the STFT's n_valid + 1 frames (the
 * last masked to 0), padded with zero frames up to a multiple of pad_to (0: none). */
size_t vc_nemo_output_frames(size_t n_valid, int pad_to);

#endif
