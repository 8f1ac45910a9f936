/* Pieces shared by the AArch64 kernels of voce:QLinear (qgemm_neon.c, qgemm_dotprod.c):
 * the unpacking of 4-bit codes, the end of an 8da group and the store of a block of 16
 * columns. Internal: include only from those files, after checking VC_CPU_NEON.
 *
 *   tot[i] = da_group_end(tot[i], acc[i], 128 - zp, q->scales + o + 4 * i, q->wsum + o + 4 * i);
 *   store_block(q, b, v, y);
 *
 * Both Arm 8da kernels feed the int8 units xq - 128 (xq XOR 0x80) rather than the u8 xq,
 * so their int32 sums are a_g - 128 * wsum; adding (128 - zp) * wsum gives the
 * reference's d_g = a_g - zp * wsum, exactly (every term is below 2^22 in magnitude).
 * That takes wsum to be the sum of the group's codes, as qlinear.h defines it and the
 * compiler writes it: a file whose sums were otherwise would give other values here
 * than in the C kernel (never an access out of bounds). */
#ifndef VC_QGEMM_NEON_IMPL_H
#define VC_QGEMM_NEON_IMPL_H

#include <arm_neon.h>
#include <stddef.h>

#include "qgemm.h"

/* tot + f32(s * f32(acc + off * ws)), a product then a sum, as the reference does it. */
static inline float32x4_t da_group_end(float32x4_t tot, int32x4_t acc, int32_t off, const float *s,
                                       const int32_t *ws)
{
    int32x4_t d = vmlaq_n_s32(acc, vld1q_s32(ws), off);
    float32x4_t p = vmulq_f32(vld1q_f32(s), vcvtq_f32_s32(d));
    return vaddq_f32(tot, p);
}

/* The 4-bit codes of one 16-byte load as int8: low nibbles in lo, high ones in hi. */
static inline void split4(uint8x16_t v, int8x16_t *lo, int8x16_t *hi)
{
    int8x16_t eight = vdupq_n_s8(8);
    *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(15))), eight);
    *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(v, 4)), eight);
}

/* Columns of block b below N (N is not always a multiple of 16). */
static inline int valid_cols(const vc_qweights *q, int64_t b)
{
    int64_t n = q->N - b * VC_QBLOCK;
    return n < VC_QBLOCK ? (int)n : VC_QBLOCK;
}

/* y[16 b + c] = v[c / 4][c % 4] (+ bias) for the valid columns c; nothing else is touched. */
static inline void store_block(const vc_qweights *q, int64_t b, const float32x4_t *v, float *y)
{
    int nv = valid_cols(q, b);
    float *dst = y + b * VC_QBLOCK;
    const float *bias = q->bias ? q->bias + b * VC_QBLOCK : NULL;
    if (nv == VC_QBLOCK) {
        for (int i = 0; i < 4; i++)
            vst1q_f32(dst + 4 * i, bias ? vaddq_f32(v[i], vld1q_f32(bias + 4 * i)) : v[i]);
        return;
    }
    float t[VC_QBLOCK];
    for (int i = 0; i < 4; i++) vst1q_f32(t + 4 * i, v[i]);
    for (int c = 0; c < nv; c++) dst[c] = bias ? t[c] + bias[c] : t[c];
}

#endif
