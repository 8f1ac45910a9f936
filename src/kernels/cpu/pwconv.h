/* Direct kernel of a pointwise (1x1) convolution on a small image: a product of the
 * weights [m, c] by the image [c, l] small enough that the GEMM's packing of both
 * operands costs more than the product (TinyVAD's 16 to 96 channels on 16 to 256
 * positions). conv.c uses it when there is one and falls back to vc_gemm_f32 otherwise:
 *
 *   vc_pw_fn pw = vc_pw_kernel_for(vc_isa_active());
 *   if (pw) pw(m, l, c, w, bias, clamp, x, y);
 *   // y[i * l + j] = sum over k < c of w[i * c + k] * x[k * l + j], then + bias[i]
 *   // (bias may be NULL), for i < m, j < l; then clamped to [clamp[0], clamp[1]] as
 *   // dwconv.h describes, when clamp is not NULL (a fused Relu or Clip)
 *
 * Sums run over k in order with fused multiply-adds, the bias added last: the result
 * differs from the GEMM's by rounding only. */
#ifndef VC_PWCONV_H
#define VC_PWCONV_H

#include <stdint.h>

#include "cpu.h"

typedef void (*vc_pw_fn)(int64_t m, int64_t l, int64_t c, const float *w, const float *bias,
                         const float *clamp, const float *x, float *y);

/* The kernel of isa, or NULL where there is none (plain C, NEON: use the GEMM). */
vc_pw_fn vc_pw_kernel_for(vc_isa isa);

/* Inputs up to this many channels: every tile then keeps its c x 32 block of the image
 * in L1, and the K loop needs no blocking. */
#define VC_PW_MAX_C 128

#if VC_CPU_X86
vc_pw_fn vc_x86_pw_kernel(vc_isa isa); /* pwconv_x86.c: AVX2, AVX-512 */
#endif

#endif
