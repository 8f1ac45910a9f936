/* Mel scales and triangular filterbanks, librosa's and Kaldi's constructions. */
#include "mel.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"

/* Beyond these no speech front end makes sense, and the products stay far from
 * overflow. */
#define MAX_MELS 4096
#define MAX_NFFT (1 << 22)

/* Slaney: linear (200/3 Hz per mel) below 1 kHz, then logarithmic, 27 mels per
 * factor 6.4 (librosa's constants). */
#define SLANEY_F_SP (200.0 / 3.0)
#define SLANEY_MIN_LOG_HZ 1000.0
#define SLANEY_MIN_LOG_MEL (SLANEY_MIN_LOG_HZ / SLANEY_F_SP)

static double slaney_logstep(void) { return log(6.4) / 27.0; }

double vc_hz_to_mel(double hz, vc_mel_scale scale)
{
    if (scale == VC_MEL_HTK) return 2595.0 * log10(1.0 + hz / 700.0);
    if (hz >= SLANEY_MIN_LOG_HZ)
        return SLANEY_MIN_LOG_MEL + log(hz / SLANEY_MIN_LOG_HZ) / slaney_logstep();
    return hz / SLANEY_F_SP;
}

double vc_mel_to_hz(double mel, vc_mel_scale scale)
{
    if (scale == VC_MEL_HTK) return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
    if (mel >= SLANEY_MIN_LOG_MEL)
        return SLANEY_MIN_LOG_HZ * exp(slaney_logstep() * (mel - SLANEY_MIN_LOG_MEL));
    return SLANEY_F_SP * mel;
}

static double min2(double a, double b) { return a < b ? a : b; }
static double max2(double a, double b) { return a > b ? a : b; }

static voce_status check_sizes(const char *what, int sample_rate, int n_fft, int n_mels,
                               const float *filters)
{
    if (!filters) return vc_error(VOCE_ERR_INVALID_ARG, "%s: NULL output", what);
    if (sample_rate <= 0)
        return vc_error(VOCE_ERR_INVALID_ARG, "%s: sample rate %d is not positive", what, sample_rate);
    if (n_fft < 2 || n_fft > MAX_NFFT)
        return vc_error(VOCE_ERR_INVALID_ARG, "%s: n_fft %d is outside 2 .. %d", what, n_fft, MAX_NFFT);
    if (n_mels < 1 || n_mels > MAX_MELS)
        return vc_error(VOCE_ERR_INVALID_ARG, "%s: n_mels %d is outside 1 .. %d", what, n_mels, MAX_MELS);
    return VOCE_OK;
}

/* numpy.linspace(a, b, num) to the last bit: start + i * step, the end point exact. */
static double linspace_at(double a, double b, int num, int i)
{
    if (i == num - 1) return b;
    return (double)i * ((b - a) / (double)(num - 1)) + a;
}

voce_status vc_mel_filters(int sample_rate, int n_fft, int n_mels, double fmin, double fmax,
                           vc_mel_scale scale, vc_mel_norm norm, float *filters)
{
    voce_status st = check_sizes("mel filters", sample_rate, n_fft, n_mels, filters);
    if (st) return st;
    if (scale != VC_MEL_SLANEY && scale != VC_MEL_HTK)
        return vc_error(VOCE_ERR_INVALID_ARG, "mel filters: unknown scale %d", (int)scale);
    if (norm != VC_MEL_NORM_NONE && norm != VC_MEL_NORM_SLANEY)
        return vc_error(VOCE_ERR_INVALID_ARG, "mel filters: unknown normalisation %d", (int)norm);
    double nyquist = 0.5 * sample_rate;
    if (fmax <= 0) fmax = nyquist;
    if (!(fmin >= 0) || !(fmin < fmax) || !(fmax <= nyquist))
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "mel filters: need 0 <= fmin < fmax <= sample_rate / 2, got fmin %g, "
                        "fmax %g, sample rate %d",
                        fmin, fmax, sample_rate);
    const int n_bins = n_fft / 2 + 1, n_pts = n_mels + 2;
    double *mel_f = malloc((size_t)n_pts * sizeof(double));
    if (!mel_f) return vc_error(VOCE_ERR_NOMEM, "mel filters: out of memory");
    const double mlo = vc_hz_to_mel(fmin, scale), mhi = vc_hz_to_mel(fmax, scale);
    for (int i = 0; i < n_pts; i++) mel_f[i] = vc_mel_to_hz(linspace_at(mlo, mhi, n_pts, i), scale);
    for (int m = 0; m < n_mels; m++) {
        const double fd0 = mel_f[m + 1] - mel_f[m], fd1 = mel_f[m + 2] - mel_f[m + 1];
        const double enorm = 2.0 / (mel_f[m + 2] - mel_f[m]);
        float *row = filters + (size_t)m * (size_t)n_bins;
        for (int k = 0; k < n_bins; k++) {
            /* bin k's frequency, k sr / n_fft; for even n_fft, librosa's linspace(0,
             * sr / 2, n_bins) with its exact end point */
            double f = (double)k * ((double)sample_rate / (double)n_fft);
            if (n_fft % 2 == 0 && k == n_bins - 1) f = nyquist;
            double lower = (f - mel_f[m]) / fd0, upper = (mel_f[m + 2] - f) / fd1;
            double w = max2(0.0, min2(lower, upper));
            /* librosa stores the triangle as float32, then scales it in double and
             * rounds again; doing the same reproduces its tables to the bit. */
            float wf = (float)w;
            row[k] = norm == VC_MEL_NORM_SLANEY ? (float)((double)wf * enorm) : wf;
        }
    }
    free(mel_f);
    return VOCE_OK;
}

/* Kaldi's mel: 1127 ln(1 + f / 700) (HTK's scale in natural log). */
static double kaldi_mel(double hz) { return 1127.0 * log(1.0 + hz / 700.0); }

voce_status vc_mel_kaldi(int sample_rate, int n_fft, int n_mels, double low_freq, double high_freq,
                         float *filters)
{
    voce_status st = check_sizes("Kaldi mel banks", sample_rate, n_fft, n_mels, filters);
    if (st) return st;
    if (n_fft % 2)
        return vc_error(VOCE_ERR_INVALID_ARG, "Kaldi mel banks: n_fft %d is odd", n_fft);
    const double nyquist = 0.5 * sample_rate;
    if (high_freq <= 0) high_freq += nyquist;
    if (!(low_freq >= 0) || !(low_freq < nyquist) || !(high_freq > 0) || !(high_freq <= nyquist) ||
        !(low_freq < high_freq))
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "Kaldi mel banks: need 0 <= low_freq < high_freq <= sample_rate / 2, got "
                        "low %g, high %g, sample rate %d",
                        low_freq, high_freq, sample_rate);
    const int half = n_fft / 2;
    const double bin_width = (double)sample_rate / (double)n_fft;
    const double mlo = kaldi_mel(low_freq), delta = (kaldi_mel(high_freq) - mlo) / (n_mels + 1);
    for (int m = 0; m < n_mels; m++) {
        /* the triangle's corners, as torchaudio writes them: low + (m + j) delta */
        const double left = mlo + m * delta, center = mlo + (m + 1.0) * delta;
        const double right = mlo + (m + 2.0) * delta;
        float *row = filters + (size_t)m * (size_t)(half + 1);
        for (int k = 0; k < half; k++) {
            double mel = kaldi_mel(bin_width * k);
            double up = (mel - left) / (center - left), down = (right - mel) / (right - center);
            row[k] = (float)max2(0.0, min2(up, down));
        }
        row[half] = 0.0f; /* Kaldi's banks stop below Nyquist; torchaudio pads a zero */
    }
    return VOCE_OK;
}
