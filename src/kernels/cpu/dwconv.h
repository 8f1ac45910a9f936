/* The inner kernel of direct depthwise convolution (src/kernels/ref/conv.c): one plane
 * of outputs as a sum of shifted copies of a prepared input buffer,
 *
 *   vc_dw_fn dw = vc_dw_kernel_for(vc_isa_active());
 *   dw(n, taps, off, w, bias, clamp, src, dst);
 *   // dst[f] = sum over t < taps of w[t] * src[f + off[t]], then + bias, for f < n,
 *   // then clamped when clamp is not NULL: v < clamp[0] ? clamp[0] : v, then
 *   // v > clamp[1] ? clamp[1] : v (a fused Relu or Clip, conv_act.h; NaN passes)
 *
 * conv.c lays the zero-padded input out so that every kernel tap is one constant offset
 * (strided convolutions are split into phase planes first); the kernel only streams.
 * The bias is added last; the vector variants use fused multiply-adds and their own
 * order of the taps (below), so they differ from plain C by rounding only.
 *
 * The even elements of a row, for the phase planes of a stride-2 convolution:
 *
 *   vc_dw_even_fn ev = vc_dw_even_for(vc_isa_active());
 *   ev(rows, n, src, ls, dst, ld);  // dst[r * ld + c] = src[r * ls + 2 * c]
 *                                   // for r < rows, c < n; reads no other src element
 *
 * The x86 variants sum the even and the odd taps separately and add the two sums
 * (independent FMA chains); plain C and NEON add tap by tap. Both lookups never return
 * NULL. */
#ifndef VC_DWCONV_H
#define VC_DWCONV_H

#include <stdint.h>

#include "cpu.h"

typedef void (*vc_dw_fn)(int64_t n, int taps, const int64_t *off, const float *w, float bias,
                         const float *clamp, const float *src, float *dst);

typedef void (*vc_dw_even_fn)(int64_t rows, int64_t n, const float *src, int64_t ls, float *dst,
                              int64_t ld);

/* The variants of isa: plain C for VC_ISA_C or an ISA not built in. */
vc_dw_fn vc_dw_kernel_for(vc_isa isa);
vc_dw_even_fn vc_dw_even_for(vc_isa isa);

#if VC_CPU_X86
vc_dw_fn vc_x86_dw_kernel(vc_isa isa); /* dwconv_x86.c: AVX2, AVX-512 */
vc_dw_even_fn vc_x86_dw_even(vc_isa isa);
#endif
#if VC_CPU_NEON
void vc_neon_dw(int64_t n, int taps, const int64_t *off, const float *w, float bias,
                const float *clamp, const float *src, float *dst); /* dwconv_neon.c */
void vc_neon_dw_even(int64_t rows, int64_t n, const float *src, int64_t ls, float *dst, int64_t ld);
#endif

#endif
