/* Mono float resampling with libsoxr, loaded at run time.
 *
 * soxr_create with NULL io, quality and runtime specs: float32 samples, the "high
 * quality" recipe (20-bit precision, linear phase, passband to 91.3% of the lower
 * Nyquist frequency), one thread. soxr discards its filter's delay itself, so output
 * sample k is input time k/out_rate with no correction here. soxr computes in blocks
 * and keeps what does not fit in the caller's buffer, so output is never lost. The
 * declarations follow soxr.h of libsoxr 0.1 (soxr_error_t is a const char *, NULL for
 * no error). */
#include "audio/resample.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "audio/dynlib.h"
#include "core/error.h"

#define MAX_RATE 1000000

struct voce_resampler {
    void *lib;
    void *(*create)(double in_rate, double out_rate, unsigned channels, const char **error,
                    const void *io_spec, const void *quality_spec, const void *runtime_spec);
    const char *(*process)(void *soxr, const void *in, size_t ilen, size_t *idone, void *out,
                           size_t olen, size_t *odone);
    void (*destroy)(void *soxr);
    void *soxr;
    int flushing;
};

voce_status vc_resampler_create_with(int in_rate, int out_rate, const char *soname,
                                     voce_resampler **out)
{
    static const vc_dynlib_sym syms[] = {
        {"soxr_create", offsetof(voce_resampler, create)},
        {"soxr_process", offsetof(voce_resampler, process)},
        {"soxr_delete", offsetof(voce_resampler, destroy)},
    };
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_resampler_create: out is NULL");
    *out = NULL;
    if (in_rate < 1 || in_rate > MAX_RATE || out_rate < 1 || out_rate > MAX_RATE)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "voce_resampler_create: rates %d and %d Hz (each must be 1 Hz to 1 MHz)",
                        in_rate, out_rate);
    voce_resampler *r = calloc(1, sizeof *r);
    if (!r) return vc_error(VOCE_ERR_NOMEM, "out of memory for a resampler");
    char purpose[80];
    snprintf(purpose, sizeof purpose, "resampling from %d Hz to %d Hz", in_rate, out_rate);
    vc_dynlib_need lib = {soname, "libsoxr", "libsoxr0"};
    voce_status st = vc_dynlib_open(&lib, purpose, &r->lib);
    if (!st) st = vc_dynlib_syms(r->lib, &lib, syms, (int)(sizeof syms / sizeof syms[0]), r);
    if (!st) {
        const char *err = NULL;
        r->soxr = r->create((double)in_rate, (double)out_rate, 1, &err, NULL, NULL, NULL);
        if (!r->soxr || err)
            st = vc_error(VOCE_ERR_INTERNAL, "libsoxr: cannot resample %d Hz to %d Hz: %s",
                          in_rate, out_rate, err ? err : "soxr_create failed");
    }
    if (st) {
        voce_resampler_destroy(r);
        return st;
    }
    *out = r;
    return VOCE_OK;
}

voce_status voce_resampler_create(int in_rate, int out_rate, voce_resampler **out)
{
    return vc_resampler_create_with(in_rate, out_rate, VC_SOXR_SONAME, out);
}

voce_status voce_resampler_process(voce_resampler *r, const float *in, size_t n_in, float *out,
                                   size_t cap, size_t *n_out)
{
    if (n_out) *n_out = 0;
    if (!r || !n_out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_resampler_process: NULL argument");
    if (!in && n_in) return vc_error(VOCE_ERR_INVALID_ARG, "voce_resampler_process: in is NULL, n_in %zu", n_in);
    if (!out && cap) return vc_error(VOCE_ERR_INVALID_ARG, "voce_resampler_process: out is NULL, cap %zu", cap);
    if (in && r->flushing)
        return vc_error(VOCE_ERR_STATE, "voce_resampler_process: input after the end was flushed");
    if (!in) r->flushing = 1;
    float none;
    size_t done = 0;
    /* idone NULL: soxr takes all of the input (soxr.h, example 2). */
    const char *err = r->process(r->soxr, in, n_in, NULL, out ? (void *)out : (void *)&none,
                                 cap, &done);
    if (err) return vc_error(VOCE_ERR_INTERNAL, "libsoxr: %s", err);
    *n_out = done;
    return VOCE_OK;
}

void voce_resampler_destroy(voce_resampler *r)
{
    if (!r) return;
    if (r->soxr) r->destroy(r->soxr);
    vc_dynlib_close(r->lib);
    free(r);
}
