/* Mel filterbanks computed from parameters, as a dense [n_mels][n_bins] matrix of
 * float (computed in double), n_bins = n_fft / 2 + 1.
 *
 * Scales: Slaney (librosa's default, htk=False: linear below 1 kHz, logarithmic above)
 * and HTK (2595 log10(1 + f / 700)). Filters are triangles between adjacent mel points
 * in Hz, evaluated at the FFT bin frequencies (librosa.filters.mel's construction).
 * Normalisation: Slaney (each triangle scaled by 2 / (f_right - f_left), equal area)
 * or none. Kaldi's fbank builds its triangles in the mel domain instead
 * (vc_mel_kaldi). */
#ifndef VC_MEL_H
#define VC_MEL_H

#include <stddef.h>

#include "voce/voce.h"

typedef enum vc_mel_scale { VC_MEL_SLANEY = 1, VC_MEL_HTK } vc_mel_scale;
typedef enum vc_mel_norm { VC_MEL_NORM_NONE = 0, VC_MEL_NORM_SLANEY } vc_mel_norm;

double vc_hz_to_mel(double hz, vc_mel_scale scale);
double vc_mel_to_hz(double mel, vc_mel_scale scale);

/* filters: n_mels * (n_fft / 2 + 1) floats. fmax <= 0 means sample_rate / 2; needs
 * 0 <= fmin < fmax <= sample_rate / 2, 2 <= n_fft <= 2^22, 1 <= n_mels <= 4096. Bin k
 * sits at k sample_rate / n_fft (numpy.fft.rfftfreq; for even n_fft the same as older
 * librosa's linspace). Like librosa, each triangle is rounded to float before the
 * Slaney scaling: the result equals librosa.filters.mel's float32 table (Whisper's
 * mel_filters.npz to the bit). */
voce_status vc_mel_filters(int sample_rate, int n_fft, int n_mels, double fmin, double fmax,
                           vc_mel_scale scale, vc_mel_norm norm, float *filters);

/* Kaldi/torchaudio.compliance.kaldi.get_mel_banks: triangles in the mel domain (HTK-
 * style mel 1127 ln(1 + f / 700)), over bins 0 .. n_fft / 2 (the last, Nyquist, bin
 * always 0: torchaudio pads it). high_freq <= 0 means Nyquist + high_freq; needs an even
 * n_fft and 0 <= low_freq < high_freq <= Nyquist. Computed in double (torchaudio works
 * in float32 and differs by up to ~2e-5). No VTLN warping. */
voce_status vc_mel_kaldi(int sample_rate, int n_fft, int n_mels, double low_freq, double high_freq,
                         float *filters);

#endif
