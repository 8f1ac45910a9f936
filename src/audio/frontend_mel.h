/* A mel filterbank applied to power spectra, and the log that follows it.
 *
 * The dense [n_mels][n_bins] matrix from audio/mel.h is kept with, for each filter,
 * the range of bins where it is not zero, so that a frame costs about two bins per
 * filter instead of n_bins. Sums and logs run in double and are rounded once to float. */
#ifndef VC_FRONTEND_MEL_H
#define VC_FRONTEND_MEL_H

#include "voce/voce.h"

typedef struct vc_melbank {
    int n_mels, n_bins;
    float *filters;        /* n_mels * n_bins */
    int *lo, *hi;          /* filter m is zero outside bins lo[m] .. hi[m] - 1 */
} vc_melbank;

/* Takes ownership of filters (malloc'ed, n_mels * n_bins), also on failure. */
voce_status vc_melbank_init(vc_melbank *mb, int n_mels, int n_bins, float *filters);
void vc_melbank_free(vc_melbank *mb);

typedef enum vc_log_kind {
    VC_LOG10_FLOOR = 1,    /* log10(max(x, guard)): Whisper, guard 1e-10 */
    VC_LN_ADD,             /* ln(x + guard): NeMo, guard 2^-24 */
    VC_LN_FLOOR            /* ln(max(x, guard)): Kaldi, guard FLT_EPSILON */
} vc_log_kind;

/* out[m] = log(sum over bins of filters[m][k] * power[k]), the log of `kind` with its
 * guard, in double. A NaN stays NaN (torch's clamp and max keep it). */
void vc_melbank_log(const vc_melbank *mb, vc_log_kind kind, double guard, const double *power, double *out);

#endif
