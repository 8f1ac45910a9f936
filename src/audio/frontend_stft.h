/* The streaming framer shared by the front ends: samples in, one power spectrum per
 * frame out, each frame computed from exactly the samples the offline reference uses,
 * so that streamed and offline frames are bit-identical whatever the push sizes.
 *
 *   vc_stft plan;                    // immutable: parameters, window, FFT plan
 *   vc_stft_stream s;                // one stream's samples and work buffers
 *   vc_stft_plan_init(&params, &plan);
 *   vc_stft_stream_init(&s, &plan);
 *   vc_stft_push(&s, pcm, n);        // any block sizes
 *   vc_stft_end(&s, 0, n_frames);    // at the end of the audio
 *   while (vc_stft_frame_ready(&s)) vc_stft_next(&s, &power);
 *
 * Frame t of a centred STFT (torch.stft center=True) covers signal samples
 * t * hop - n_fft / 2 .. + n_fft - 1, the window (win_length) placed in the middle of
 * the n_fft frame as torch places a shorter window; samples before 0 and past the end
 * are reflected (x[-i] = x[i], x[L - 1 + i] = x[L - 1 - i]) or zeros. With snipped
 * edges (Kaldi) frame t covers t * hop .. + win_length - 1 and the window is zero-padded
 * on the right up to n_fft. Per frame, in this order: DC removal (the frame's mean),
 * in-frame pre-emphasis (x[i] - k x[i - 1], x[0] - k x[0]), window, FFT, |X|^2.
 * Signal pre-emphasis (NeMo: y[0] = x[0], y[t] = x[t] - k x[t - 1]) is applied as
 * samples arrive, before any padding. All of it runs in double (the references'
 * float64 results; see docs/features.md, "Precision"). */
#ifndef VC_FRONTEND_STFT_H
#define VC_FRONTEND_STFT_H

#include <stddef.h>
#include <stdint.h>

#include "audio/fft.h"
#include "audio/window.h"
#include "voce/voce.h"

typedef enum vc_stft_edge {
    VC_EDGE_SNIP = 0,      /* only frames that fit in the audio (Kaldi snip_edges) */
    VC_EDGE_ZEROS,         /* centred, zero padding (torch pad_mode 'constant') */
    VC_EDGE_REFLECT        /* centred, reflection (torch pad_mode 'reflect') */
} vc_stft_edge;

typedef struct vc_stft_params {
    int n_fft;             /* even */
    int win_length;        /* <= n_fft */
    int hop;
    vc_window_kind window;
    vc_stft_edge edge;
    double preemph;        /* on the signal as it arrives (NeMo); 0 = none */
    double frame_preemph;  /* inside each frame after DC removal (Kaldi); 0 = none */
    int remove_dc;         /* subtract each frame's mean first (Kaldi) */
    int magnitude;         /* |X| instead of |X|^2 */
} vc_stft_params;

/* Read-only once made; may serve several streams. */
typedef struct vc_stft {
    vc_stft_params p;
    double *window;        /* win_length values */
    vc_fft *fft;
    int64_t first;         /* signal index where frame 0's window starts (<= 0) */
} vc_stft;

voce_status vc_stft_plan_init(const vc_stft_params *p, vc_stft *plan);
void vc_stft_plan_free(vc_stft *plan);

/* Frames a signal of n samples gives: 1 + n / hop for a centred STFT (0 for n = 0),
 * 1 + (n - win_length) / hop with snipped edges (0 below win_length). */
int64_t vc_stft_frame_count(const vc_stft *plan, int64_t n);

typedef struct vc_stft_stream {
    const vc_stft *plan;
    double *buf;           /* signal samples start .. start + len - 1 */
    size_t len, cap;
    int64_t start;
    int64_t pushed;        /* samples received */
    int64_t length;        /* signal length once ended (pushed + zeros), else -1 */
    int64_t n_frames;      /* frames to produce once ended, else -1 */
    int64_t next;          /* index of the next frame */
    double prev;           /* last sample received, for the signal pre-emphasis */
    double *frame, *spec, *work;
} vc_stft_stream;

voce_status vc_stft_stream_init(vc_stft_stream *s, const vc_stft *plan);
void vc_stft_stream_free(vc_stft_stream *s);
void vc_stft_stream_reset(vc_stft_stream *s);

/* Append samples; a non-finite sample is taken as 0. */
voce_status vc_stft_push(vc_stft_stream *s, const float *pcm, size_t n);

/* End of the audio: `zeros` zero samples follow the pushed ones (Whisper's 30 s), and
 * n_frames frames are produced in all. A reflected signal shorter than n_fft / 2 + 1
 * samples is first extended with zeros to that length (torch cannot reflect it). */
void vc_stft_end(vc_stft_stream *s, int64_t zeros, int64_t n_frames);

/* Can the next frame be computed from what has arrived? */
int vc_stft_frame_ready(const vc_stft_stream *s);

/* Compute the next frame's power spectrum (or magnitude spectrum, p.magnitude) and
 * move on. *power points to its n_fft / 2 + 1 values inside the stream, valid until
 * the next call. */
voce_status vc_stft_next(vc_stft_stream *s, const double **power);

#endif
