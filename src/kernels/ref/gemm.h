/* The f32 matrix product every compute-heavy reference kernel goes through (MatMul,
 * Gemm, Einsum, Conv via im2col, LSTM/GRU input and recurrent projections), and the
 * f16 <-> f32 array conversions those kernels share for f16 tensors computed in f32. */
#ifndef VC_GEMM_H
#define VC_GEMM_H

#include <stdint.h>

/* C = alpha * op(A) * op(B) + beta * C, all row-major.
 *
 * op(A) is M x K: A is M x K with row stride lda, or K x M (trans_a) read transposed.
 * op(B) is K x N: B is K x N with row stride ldb, or N x K (trans_b) read transposed.
 * C is M x N with row stride ldc and must not overlap A or B.
 *
 * beta == 0 means C's old contents are not read at all (NaN or garbage in an
 * uninitialised C does not leak into the result); with K == 0 or alpha == 0, C is only
 * scaled by beta (A and B are not read). M or N <= 0 does nothing.
 *
 * Single-threaded, no heap: it packs into stack buffers of about 40 KiB. */
void vc_gemm_f32(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                 int64_t ldc);

/* n f16 values (stored as uint16_t) to f32 and back (round to nearest even). */
void vc_f16_to_f32_array(const uint16_t *src, float *dst, int64_t n);
void vc_f32_to_f16_array(const float *src, uint16_t *dst, int64_t n);

#endif
