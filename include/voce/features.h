/* voce features: the audio front ends speech models expect, numerically equal to their
 * reference implementations, offline or streaming.
 *
 *   voce_features_config c = voce_features_config_default(VOCE_FEATURES_WHISPER);
 *   c.n_mels = 80;
 *   voce_features *fe = NULL;
 *   if (voce_features_create(&c, &fe)) { puts(voce_last_error()); return 1; }
 *   float *mel = NULL;  size_t frames = 0;
 *   voce_features_compute(fe, pcm, n, &mel, &frames);   // frames x n_mels, row-major
 *   ...
 *   free(mel);
 *   voce_features_destroy(fe);
 *
 * Kinds and their references (docs/features.md gives every constant):
 *   WHISPER  openai-whisper log_mel_spectrogram: 16 kHz, n_fft 400, hop 160, periodic
 *            Hann, centred STFT with reflect padding, last frame dropped, power,
 *            Slaney mel (80 or 128), log10(max(x, 1e-10)), floor at max - 8, (x + 4) / 4.
 *   NEMO     NeMo AudioToMelSpectrogramPreprocessor at inference: no dither,
 *            pre-emphasis 0.97, n_fft 512, a 400-sample (25 ms) symmetric Hann window
 *            centred in the FFT frame, hop 160, centred STFT with zero padding, power 2,
 *            Slaney mel with Slaney norm (80 or 128), ln(x + 2^-24), per-feature
 *            normalisation (or none) over the n / 160 valid frames (NeMo's seq_len),
 *            the STFT's last frame and the padding up to a multiple of 16 frames 0.
 *   FBANK    Kaldi fbank as torchaudio.compliance.kaldi.fbank: 25 ms / 10 ms frames,
 *            snip edges, DC removal, pre-emphasis 0.97, Povey window, n_fft 512, power,
 *            Kaldi mel banks (80, 20 Hz to Nyquist), ln(max(x, FLT_EPSILON)), dither 0.
 *
 * Layout: frames x n_mels, row-major (frame t's n_mels values are contiguous).
 *
 * Frame counts of n samples at 16 kHz: Whisper n / 160 ((n + 480000) / 160 with
 * whisper_pad_30s); NeMo 1 + n / 160 rounded up to a multiple of 16, of which the first
 * n / 160 are valid; fbank 1 + (n - 400) / 160, 0 below 400 samples.
 *
 * Streaming: push samples in any chunk sizes and pull frames as they complete. The
 * frame-local part of each front end (framing, window, FFT, mel, log) streams exactly:
 * its frames are bit-identical to the offline ones whatever the chunk sizes. Steps
 * that look at the whole input cannot: Whisper's floor at (max - 8) and (x + 4) / 4,
 * NeMo's per-feature normalisation; a stream yields frames before those steps
 * (voce_features_finish applies them to a block of frames when the caller has it
 * whole) and only NeMo's valid frames (no masked or pad frames). Edges: a centred STFT
 * (Whisper, NeMo) pads the start by reflection or zeros, which streaming reproduces
 * (Whisper's first frame waits for sample 200, the first reflected one); frame t
 * needs samples up to 160 t + 199 (fbank: 160 t + 399); the frames that reach past the
 * end of the audio come out after voce_features_flush (Whisper's 30 s of zeros too).
 * Frames are computed when pulled: pull as you push to keep memory flat.
 *
 * Input: samples at config.sample_rate, nominally in [-1, 1] (fbank takes them as
 * given; Kaldi-trained models may want them scaled by 32768 first). NaN and infinite
 * samples are taken as 0, as the VAD does. Short input: no error; Whisper gives
 * n / 160 frames (input under 201 samples, which torch cannot reflect, is extended
 * with zeros first), fbank none below 400 samples; zero samples give no frames except
 * NeMo's 16 zero frames and Whisper's 3000 with whisper_pad_30s, as the references
 * compute them. docs/features.md lists every case.
 *
 * Thread safety: a voce_features object is used by one thread at a time.
 */
#ifndef VOCE_FEATURES_H
#define VOCE_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"
#include "voce.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum voce_features_kind {
    VOCE_FEATURES_WHISPER = 1,
    VOCE_FEATURES_NEMO = 2,
    VOCE_FEATURES_FBANK = 3
} voce_features_kind;

typedef struct voce_features_config {
    voce_features_kind kind;
    int sample_rate;        /* 16000 */
    int n_mels;             /* 80 (Whisper large-v3 and some NeMo models: 128) */
    int n_fft;              /* 400 Whisper, 512 NeMo and fbank */
    int win_length;         /* samples: 400 for all three at 16 kHz */
    int hop_length;         /* samples: 160 */
    /* Whisper: pad the audio with 30 s of zeros first, as transcribe() does (1), or
     * compute exactly the frames of the audio (0). Default 0. */
    int whisper_pad_30s;
    /* NeMo: per-feature normalisation (1, the default) or none (0); pad the frame count
     * to a multiple of this with zero frames (16; 0 = none). */
    int nemo_normalize;
    int nemo_pad_to;
    /* NeMo and fbank: the magnitude spectrum |X| (1) instead of the power |X|^2 (0,
     * the default): NeMo's mag_power 1.0, Kaldi's use_power false. Whisper: 0 only. */
    int magnitude;
} voce_features_config;

voce_features_config voce_features_config_default(voce_features_kind kind);

/* The front end a program asks for, from its metadata (keys `features.*`, see
 * docs/format.md): features.kind is required, the other keys default to the kind's
 * defaults. VOCE_ERR_NOT_FOUND if the program names none (no features.kind);
 * VOCE_ERR_FORMAT for a key of the wrong type or settings create() would refuse;
 * VOCE_ERR_UNSUPPORTED for an unknown kind or normalisation. */
voce_status voce_features_config_from_program(const voce_program *prog, voce_features_config *config);

/* "whisper", "nemo", "fbank" -> kind; 0 when unknown. */
voce_features_kind voce_features_kind_parse(const char *name);

typedef struct voce_features voce_features;

/* VOCE_ERR_INVALID_ARG naming the field for settings out of range (n_fft odd or
 * beyond 65536, win_length beyond n_fft, n_mels beyond 1024, rate outside 1 to 384 kHz). */
voce_status voce_features_create(const voce_features_config *config, voce_features **out);
void voce_features_destroy(voce_features *fe);

int voce_features_n_mels(const voce_features *fe);

/* Offline: all frames of pcm (at config.sample_rate), every step included. *frames
 * is malloc'ed (free() it); NULL with *n_frames = 0 when there are none. Runs on a
 * stream of its own: a push / pull stream in progress on fe is left as it was. */
voce_status voce_features_compute(voce_features *fe, const float *pcm, size_t n, float **frames,
                                  size_t *n_frames);

/* Streaming (frame-local steps only, see above). Pushing after a flush is a
 * VOCE_ERR_STATE error: reset starts a new stream. Flushing twice is harmless. */
voce_status voce_features_push(voce_features *fe, const float *pcm, size_t n);
voce_status voce_features_flush(voce_features *fe);           /* end of audio */
/* Up to max_frames completed frames into out (max_frames * n_mels floats); *n_frames
 * is how many (0: none ready yet, or after a flush, none left). */
voce_status voce_features_pull(voce_features *fe, float *out, size_t max_frames, size_t *n_frames);
void voce_features_reset(voce_features *fe);

/* The whole-input steps on a block of streamed frames, in place, all n_frames taken
 * as the input: Whisper's floor at (max - 8) and (x + 4) / 4; NeMo's per-feature
 * normalisation (when nemo_normalize), the masked and pad frames not added (n_frames
 * does not change); nothing for fbank. Streaming all of an input, then finish, gives
 * the offline frames bit for bit for Whisper; for NeMo (its first n / 160 rows, the
 * valid ones) within the float rounding of the frames handed in, magnified by the
 * division by each band's deviation (docs/features.md, "Streaming"): compute() keeps
 * the logs in double until normalised. */
voce_status voce_features_finish(const voce_features *fe, float *frames, size_t n_frames);

#ifdef __cplusplus
}
#endif

#endif
