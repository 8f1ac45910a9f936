/* Real-input FFT of any length n >= 1, planned once, run many times.
 *
 *   vc_fft *f = NULL;
 *   vc_fft_create(400, &f);
 *   vc_fft_real(f, frame, spec);    // frame: n doubles; spec: n/2 + 1 complex (re, im)
 *   vc_fft_destroy(f);
 *
 * Lengths with factors 2, 3, 4, 5 run as a mixed-radix transform; other lengths
 * (large primes) through Bluestein's algorithm over a power of two. An even length n
 * costs a complex transform of n / 2. Runs in double (error about 1e-16 of max |X|):
 * front ends take logs of bands far below a frame's loudest, where float rounding
 * would show. On x86-64 a plan runs the AVX2 + FMA build of the transform where the
 * CPU has it (and VOCE_ISA does not lower it), else the baseline build, about 7x
 * slower. n may be 1 .. 2^22. A plan is read-only while running: one plan may
 * serve several threads, each with its own work buffer (vc_fft_real_ws); vc_fft_real
 * uses a buffer inside the plan, so one thread at a time. */
#ifndef VC_FFT_H
#define VC_FFT_H

#include <stddef.h>

#include "voce/voce.h"

typedef struct vc_fft vc_fft;

voce_status vc_fft_create(size_t n, vc_fft **out);
void vc_fft_destroy(vc_fft *f);
size_t vc_fft_size(const vc_fft *f);

/* Doubles of work space vc_fft_real_ws needs (about 2n; no alignment needed, contents
 * need not be initialised). */
size_t vc_fft_work_size(const vc_fft *f);

/* Forward transform of n real samples: out[2k], out[2k+1] = Re, Im of bin k, for
 * k = 0 .. n/2 (same sign convention as numpy.fft.rfft, unnormalised). in and out must
 * not overlap. */
void vc_fft_real(vc_fft *f, const double *in, double *out);
void vc_fft_real_ws(const vc_fft *f, const double *in, double *out, double *work);

#endif
