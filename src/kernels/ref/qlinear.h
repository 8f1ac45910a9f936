/* voce:QLinear, the linear layer with quantized weights that `voce compile --quant`
 * writes in place of MatMul / Gemm:
 *
 *   Y[..., n] = sum over k < K of X[..., k] * W[n, k]  (+ bias[n])
 *
 * Inputs: X f32 [..., K]; W packed (below); scales f32; bias f32 [N] (optional);
 * wsum i32 (8da modes only). Attributes: mode (STRING), N, K, group_size (INT).
 *
 * Modes. Weights are symmetric per group of G consecutive k of one row n (G = 32, 64 or
 * 128, K a multiple of G): q = clamp(rint(w / s), -Q, Q) with s = max|w| / Q over the
 * group (Q = 127 for 8 bits, 7 for 4 bits; s = 0 and q = 0 for an all-zero group).
 *   w8, w4      weight-only: Y = X . Wd^T + bias, Wd[n, k] = f32(q[n, k] * s[n, g(k)]).
 *   8da8w, 8da4w  8-bit dynamic activations: each row x of X (K values) is quantized
 *               asymmetric to u8 (vc_qact_row), and per group the integer dot product
 *               is taken, zero point removed through the weight sums, then scaled.
 *
 * Reference semantics (this C code is the definition; the kernels of qgemm.h follow it):
 *
 *   weight-only: y = bias + sum_k x[k] * Wd[n, k], summed in f32 in increasing k (the
 *     ISA kernels use FMA and sum in the same order along k, dequantizing in registers;
 *     from VC_QPANEL_MIN_ROWS rows the op runs the f32 GEMM's micro-kernel on
 *     dequantized panels instead (qgemm.h: vc_qgemm_panels), which sums by K blocks of
 *     a few hundred k, the bias first. Either differs from this by rounding only,
 *     |dy| <= (K + 2) * 2^-24 * (sum_k |x[k] Wd[n, k]| + |bias|) — the usual bound of a
 *     (K + 1)-term f32 sum in any order, which is what the tests hold them to. A row's
 *     values may thus differ in the last bits between a call of few rows and one of
 *     many, never between thread counts);
 *   8da: per group g, the int32 sum  a_g = sum_{k in g} xq[k] * q[n, k]  (exact),
 *     d_g = a_g - zp * wsum[n, g]  (exact, |d_g| < 2^24 so f32(d_g) is exact too),
 *     t = 0; for g ascending: t = t + f32(s[n, g] * f32(d_g))   (a product, then a sum:
 *     no FMA), and y = f32(xs * t) + bias. The ISA kernels compute the same values with
 *     the same roundings in the same order, so their results equal the reference bit
 *     for bit, the integer part by construction and the f32 part because no operation
 *     differs.
 *
 * Packed layout (written once by the compiler, read in place from the mapped file).
 * Columns n go in blocks of 16 (N padded up to N16 = 16 * ceil(N / 16) with zero
 * weights and scales); b = n / 16, c = n % 16:
 *   w8     i8  [N16/16, K, 16]      byte (b*K + k)*16 + c = q[n, k]
 *   w4     u8  [N16/16, K/2, 16]    byte (b*K/2 + k/2)*16 + c; k even in the low nibble,
 *                                   k odd in the high one; nibble = q + 8
 *   8da8w  i8  [N16/16, K/4, 64]    byte (b*K/4 + k/4)*64 + 4c + k%4 = q[n, k]
 *   8da4w  u8  [N16/16, K/8, 64]    byte (b*K/8 + k/8)*64 + 4c + k%4; k%8 < 4 in the low
 *                                   nibble, the others in the high one; nibble = q + 8
 *   scales f32 [N16/16, K/G, 16]    (b*K/G + g)*16 + c = s[n, g]
 *   wsum   i32 [N16/16, K/G, 16]    same index, sum over the group of q[n, k]
 * Weight-only modes read one k for 16 columns per vector (dequantize, FMA against a
 * broadcast x[k]); 8da modes read 4 consecutive k of 16 columns per 64 bytes, the operand
 * order of VNNI's u8 x s8 -> i32 dot (vpdpbusd) against a broadcast of 4 bytes of xq, and
 * of Arm's SDOT against one 4-byte lane of xq. */
#ifndef VC_QLINEAR_H
#define VC_QLINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "../../core/threads.h"
#include "../../runtime/graph.h"

typedef enum vc_qmode {
    VC_Q_NONE = 0,
    VC_Q_W8 = 1,
    VC_Q_W4 = 2,
    VC_Q_8DA8W = 3,
    VC_Q_8DA4W = 4
} vc_qmode;

#define VC_QBLOCK 16 /* columns per packed block */

/* A layer's packed weights (pointers into constants) and its sizes. */
typedef struct vc_qweights {
    vc_qmode mode;
    int64_t N, K, G;
    const uint8_t *w;
    const float *scales;
    const int32_t *wsum; /* 8da modes only */
    const float *bias;   /* NULL: none */
} vc_qweights;

/* "w8", "w4", "8da8w", "8da4w" -> mode; VC_Q_NONE for anything else. */
vc_qmode vc_qmode_parse(const char *s);
const char *vc_qmode_name(vc_qmode m);
static inline int vc_qmode_bits(vc_qmode m) { return m == VC_Q_W4 || m == VC_Q_8DA4W ? 4 : 8; }
static inline int vc_qmode_dynamic(vc_qmode m) { return m == VC_Q_8DA8W || m == VC_Q_8DA4W; }

/* Shape of the packed weight tensor (rank 3) and of scales / wsum. */
void vc_qweight_dims(vc_qmode m, int64_t N, int64_t K, int64_t dims[3]);
void vc_qscale_dims(int64_t N, int64_t K, int64_t G, int64_t dims[3]);

/* q[n, k] as the layout stores it (n < N16). */
int vc_qweight_get(const vc_qweights *q, int64_t n, int64_t k);

/* One row of activations to u8 (the 8da modes):
 *   lo = min(0, min x), hi = max(0, max x), xs = f32(hi - lo) / 255 (1 if that is 0),
 *   zp = clamp(rint(-lo / xs), 0, 255), xq[k] = clamp(rint(x[k] / xs) + zp, 0, 255)
 * with f32 divisions and round-half-even; a NaN quantizes to 0. The op runs the vector
 * form of this (qgemm.h: vc_qact_row_isa), which gives the same bits. */
void vc_qact_row(const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp);
/* Its scale and zero point from the row's lo and hi (for the vector versions, qgemm.h). */
void vc_qact_params(float lo, float hi, float *xs, int32_t *zp);

/* The reference kernel: rows [0, M) of Y (row stride N), columns [n0, n1), from X
 * (row stride K) or, in 8da modes, from xq / xs / zp (vc_qact_row of each row). */
void vc_qlinear_ref(const vc_qweights *q, int64_t M, const float *X, const uint8_t *xq,
                    const float *xs, const int32_t *zp, float *Y, int64_t n0, int64_t n1);

/* The ops' shared parts (voce:QLinear here, voce:QConv in qconv.c). vc_qlinear_node
 * checks node n's attributes (mode, N, K, group_size) and constant inputs (W, scales,
 * bias?, wsum?: inputs 1 to 4) and points q at them. vc_qlinear_rows computes
 * Y [M, N] (row stride N) from X [M, K] with the active ISA path, bias included, in
 * tasks on the pool (NULL: the calling thread); scratch holds
 * vc_qlinear_rows_scratch(q, M) bytes: the 8da modes' quantized rows, or, for
 * weight-only modes from VC_QPANEL_MIN_ROWS rows, one block of dequantized weights
 * (vc_qgemm_panels: 1.5 MiB at most with AVX-512). */
voce_status vc_qlinear_node(const vc_node *n, vc_tensor *const *in, vc_qweights *q);
size_t vc_qlinear_rows_scratch(const vc_qweights *q, int64_t M);
void vc_qlinear_rows(vc_threads *pool, const vc_qweights *q, int64_t M, const float *X, void *scratch, float *Y);

#endif
