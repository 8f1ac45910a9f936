/* Internal interface of the quantization kernels (quant.c, quant_matmul.c,
 * quant_conv.c): rounding and saturation as ONNX defines them, dynamic quantization
 * parameters as ONNX Runtime computes them, zero-point expansion, and the exact integer
 * product that MatMulInteger, DynamicQuantizeMatMul and ConvInteger share. */
#ifndef VC_QUANT_IMPL_H
#define VC_QUANT_IMPL_H

#include <math.h>
#include <stdint.h>

#include "../../runtime/op.h"

/* Round half to even, whatever the FPU rounding mode the host program set. NaN stays
 * NaN; values of 2^23 and beyond are integers already. */
static inline float vq_round_even(float v)
{
    float r = floorf(v), d = v - r;
    if (d > 0.5f || (d == 0.5f && fmodf(r, 2.0f) != 0.0f)) r += 1.0f;
    return r;
}

/* Saturate an integral float to [lo, hi]; NaN goes to lo (what ONNX Runtime's clamp
 * before rounding gives), and no float-to-int conversion is ever out of range. */
static inline int32_t vq_saturate(float v, int32_t lo, int32_t hi)
{
    if (!(v >= (float)lo)) return lo;
    if (v > (float)hi) return hi;
    return (int32_t)v;
}

/* i32 from the two's complement bits of u (int32 accumulation wraps, as the spec
 * allows and ONNX Runtime does), without implementation-defined conversions. */
static inline int32_t vq_wrap32(uint32_t u)
{
    return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) - INT32_MAX - 1;
}

/* DynamicQuantizeLinear's uint8 scale and zero point for n floats, as ONNX Runtime
 * computes them (its rule for an all-zero input: scale 1, zero point 0). */
void vq_dynamic_params(const float *x, int64_t n, float *scale, int32_t *zp);

/* x quantized to uint8 with scale and zero point (round half to even, saturate). */
void vq_quantize_u8(const float *x, int64_t n, float scale, int32_t zp, uint8_t *y);

/* Is dt uint8 or int8? */
int vq_is_q8(voce_dtype dt);

/* Element i of an 8- or 16-bit integer tensor. */
int32_t vq_int_at(const vc_tensor *t, int64_t i);

/* Check that zero point zp (may be NULL) has dtype want and broadcasts to the target
 * shape (rank, dims) one way: each of its dims equals the target's or is 1. what names
 * it in messages. */
voce_status vq_check_zp(const vc_node *n, int k, const vc_tensor *zp, voce_dtype want, int rank,
                        const int64_t *dims, const char *what);

/* zp broadcast to the target shape, as int32 into dst (prod(dims) values); 0s when zp
 * is NULL. */
void vq_expand_zp(const vc_tensor *zp, int rank, const int64_t *dims, int32_t *dst);

/* Rows of one exact integer product: for each of the M rows of A (int16, row stride K,
 * zero points already subtracted) the N sums over K of A[m,k] * B[k,n] (B int16, row
 * stride N), wrapping in 32 bits, handed to emit(row, acc, arg) with acc holding N
 * values. acc must hold N uint32. */
typedef void (*vq_emit_fn)(int64_t row, const uint32_t *acc, void *arg);
void vq_igemm(int64_t M, int64_t N, int64_t K, const int16_t *A, const int16_t *B, uint32_t *acc,
              vq_emit_fn emit, void *arg);

/* Kernels of quant_matmul.c and quant_conv.c for the table in quant.c. */
voce_status vq_matmulinteger_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
voce_status vq_matmulinteger_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                 vc_ctx *ctx);
size_t vq_matmulinteger_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);
voce_status vq_dqmatmul_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
voce_status vq_dqmatmul_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx);
size_t vq_dqmatmul_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);
voce_status vq_nbits_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
voce_status vq_nbits_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx);
size_t vq_nbits_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);
voce_status vq_convinteger_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
voce_status vq_convinteger_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               vc_ctx *ctx);
size_t vq_convinteger_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);

#endif
