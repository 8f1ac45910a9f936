/* Mel filterbank application and the log: see frontend_mel.h. */
#include "audio/frontend_mel.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"

voce_status vc_melbank_init(vc_melbank *mb, int n_mels, int n_bins, float *filters)
{
    mb->n_mels = n_mels;
    mb->n_bins = n_bins;
    mb->filters = filters;
    mb->lo = malloc(sizeof(int) * (size_t)n_mels);
    mb->hi = malloc(sizeof(int) * (size_t)n_mels);
    if (!filters || !mb->lo || !mb->hi) {
        vc_melbank_free(mb);
        return vc_error(VOCE_ERR_NOMEM, "out of memory for %d mel filters", n_mels);
    }
    for (int m = 0; m < n_mels; m++) {
        const float *f = filters + (size_t)m * (size_t)n_bins;
        int lo = 0, hi = n_bins;
        while (lo < hi && f[lo] == 0.0f) lo++;
        while (hi > lo && f[hi - 1] == 0.0f) hi--;
        mb->lo[m] = lo;
        mb->hi[m] = hi;
    }
    return VOCE_OK;
}

void vc_melbank_free(vc_melbank *mb)
{
    free(mb->filters);
    free(mb->lo);
    free(mb->hi);
    mb->filters = NULL;
    mb->lo = mb->hi = NULL;
}

/* written as comparisons rather than fmax so that NaN propagates as in torch */
static double log_of(vc_log_kind kind, double guard, double x)
{
    switch (kind) {
    case VC_LOG10_FLOOR: return log10(x < guard ? guard : x);
    case VC_LN_ADD: return log(x + guard);
    case VC_LN_FLOOR: break;
    }
    return log(x < guard ? guard : x);
}

void vc_melbank_log(const vc_melbank *mb, vc_log_kind kind, double guard, const double *power, double *out)
{
    for (int m = 0; m < mb->n_mels; m++) {
        const float *f = mb->filters + (size_t)m * (size_t)mb->n_bins;
        double sum = 0.0;
        for (int k = mb->lo[m]; k < mb->hi[m]; k++) sum += (double)f[k] * power[k];
        out[m] = log_of(kind, guard, sum);
    }
}
