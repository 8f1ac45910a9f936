/* AArch64 NEON kernels of voce:QLinear (qgemm.h lists the paths, qlinear.h defines the
 * semantics and the packed layouts), and the Arm side of the path choice. NEON is in the
 * AArch64 baseline: no target attributes; the dot-product kernel, which needs Armv8.2,
 * lives in qgemm_dotprod.c. The file compiles to nothing on other architectures.
 *
 * Weight-only (w8, w4): tiles of R <= 4 rows x 1 block of 16 columns (16 f32
 * accumulators), or 1 row x 2 blocks when M = 1 (8 independent FMA chains for a decoder
 * step). Per k, the 16 codes of a block are widened to int32, converted, multiplied by
 * the group's scales, then FMA-ed (vfmaq) against a broadcast x[k] of each row: the
 * order along k and the roundings are those of the x86 kernels (qlinear.h's bound).
 *
 * 8da without the dot product (8da8w, 8da4w): tiles of R <= 2 rows x 1 block. NEON has
 * no u8 x s8 multiply, so activations go in as int8 xq - 128 (qgemm_neon_impl.h adds
 * 128 * wsum back). Per 4 k, SMULL multiplies a 16-byte weight vector (4 columns x 4 k)
 * by the 4 activations repeated, into int16 (|p| <= 128 * 128 fits), and SADALP adds
 * pairs of products into int32 accumulators; at the group's end a pairwise add (ADDP)
 * turns the two partial sums of each column into one. Integer sums are exact and the
 * f32 steps are the reference's, so results equal it bit for bit.
 *
 * Not tuned on hardware: CI runs this under qemu-user, which checks results only. */
#include "qgemm.h"

#if VC_CPU_NEON

#include <arm_neon.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "qgemm_neon_impl.h"

/* Fully unroll the loop that follows (small constant bounds) so that the accumulator
 * arrays are registers, not memory. */
#define UNROLL _Pragma("GCC unroll 16")
#define INLINE static inline __attribute__((always_inline))

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---- weight-only ---- */

/* The 16 codes of one k of a block, times the group's scales, as f32. */
INLINE void deq16(int8x16_t c, const float32x4_t *s, float32x4_t *w)
{
    int16x8_t lo = vmovl_s8(vget_low_s8(c)), hi = vmovl_high_s8(c);
    w[0] = vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo))), s[0]);
    w[1] = vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(lo)), s[1]);
    w[2] = vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi))), s[2]);
    w[3] = vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(hi)), s[3]);
}

/* acc[r][j] += x[r][k] * w_j(k) over the group's k, for R rows and NB blocks. */
INLINE void wo_group(const vc_qweights *q, const int R, const int NB, const float *x, int64_t k0,
                     const uint8_t *const *w, float32x4_t (*s)[4], float32x4_t (*acc)[2][4])
{
    if (q->mode == VC_Q_W8) {
        for (int64_t k = k0; k < k0 + q->G; k++) {
            float32x4_t wv[2][4];
            UNROLL
            for (int j = 0; j < NB; j++) deq16(vld1q_s8((const int8_t *)w[j] + k * 16), s[j], wv[j]);
            UNROLL
            for (int r = 0; r < R; r++) {
                float32x4_t xv = vdupq_n_f32(x[r * q->K + k]);
                UNROLL
                for (int j = 0; j < NB; j++)
                    UNROLL
                    for (int i = 0; i < 4; i++) acc[r][j][i] = vfmaq_f32(acc[r][j][i], xv, wv[j][i]);
            }
        }
        return;
    }
    for (int64_t k = k0; k < k0 + q->G; k += 2) {
        float32x4_t lo[2][4], hi[2][4];
        UNROLL
        for (int j = 0; j < NB; j++) {
            int8x16_t cl, ch;
            split4(vld1q_u8(w[j] + k * 8), &cl, &ch);
            deq16(cl, s[j], lo[j]);
            deq16(ch, s[j], hi[j]);
        }
        UNROLL
        for (int r = 0; r < R; r++) {
            float32x4_t xa = vdupq_n_f32(x[r * q->K + k]), xb = vdupq_n_f32(x[r * q->K + k + 1]);
            UNROLL
            for (int j = 0; j < NB; j++)
                UNROLL
                for (int i = 0; i < 4; i++)
                    acc[r][j][i] = vfmaq_f32(vfmaq_f32(acc[r][j][i], xa, lo[j][i]), xb, hi[j][i]);
        }
    }
}

/* R rows x NB blocks blk[]; blocks from nst on repeat the last real one and are not stored. */
INLINE void wo_tile(const vc_qweights *q, const int R, const int NB, const float *x, float *y, const int64_t *blk,
                    int nst)
{
    int64_t ng = q->K / q->G, wb = q->K * (q->mode == VC_Q_W8 ? 16 : 8);
    const uint8_t *w[2];
    float32x4_t acc[4][2][4], s[2][4];
    UNROLL
    for (int j = 0; j < NB; j++) w[j] = q->w + blk[j] * wb;
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int j = 0; j < NB; j++)
            UNROLL
            for (int i = 0; i < 4; i++) acc[r][j][i] = vdupq_n_f32(0.0f);
    for (int64_t g = 0; g < ng; g++) {
        UNROLL
        for (int j = 0; j < NB; j++)
            UNROLL
            for (int i = 0; i < 4; i++) s[j][i] = vld1q_f32(q->scales + (blk[j] * ng + g) * 16 + 4 * i);
        wo_group(q, R, NB, x, g * q->G, w, s, acc);
    }
    /* constant indices into acc, and a copy for store_block: otherwise gcc 12 keeps acc
     * in memory and stores it on every step of k */
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int j = 0; j < NB; j++) {
            float32x4_t v[4] = {acc[r][j][0], acc[r][j][1], acc[r][j][2], acc[r][j][3]};
            if (j < nst) store_block(q, blk[j], v, y + r * q->N);
        }
}

static void wo_blocks(const vc_qweights *q, int64_t M, const float *X, float *Y, int64_t b0, int64_t b1)
{
    if (M == 1) {
        for (int64_t b = b0; b < b1; b += 2) {
            int64_t blk[2] = {b, b + 1 < b1 ? b + 1 : b};
            wo_tile(q, 1, 2, X, Y, blk, b + 1 < b1 ? 2 : 1);
        }
        return;
    }
    for (int64_t b = b0; b < b1; b++)
        for (int64_t m = 0; m < M; m += 4) {
            const float *x = X + m * q->K;
            float *y = Y + m * q->N;
            switch (min64(4, M - m)) {
            case 1: wo_tile(q, 1, 1, x, y, &b, 1); break;
            case 2: wo_tile(q, 2, 1, x, y, &b, 1); break;
            case 3: wo_tile(q, 3, 1, x, y, &b, 1); break;
            default: wo_tile(q, 4, 1, x, y, &b, 1); break;
            }
        }
}

/* ---- 8da without the dot product ---- */

/* The 4 activations at p as int8 (xq - 128), repeated over the 16 bytes. */
INLINE int8x16_t bcast4(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return vreinterpretq_s8_u32(vdupq_n_u32(v ^ 0x80808080u));
}

/* One chunk of 4 k: wv[i] holds columns 4i..4i+3 (4 bytes each), xb[r] the chunk's
 * activations of row r. acc[r][i][h] gets the pair sums of columns 4i + 2h, 4i + 2h + 1. */
INLINE void mull_chunk(const int R, const int8x16_t *wv, const int8x16_t *xb, int32x4_t (*acc)[4][2])
{
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int i = 0; i < 4; i++) {
            acc[r][i][0] = vpadalq_s16(acc[r][i][0], vmull_s8(vget_low_s8(wv[i]), vget_low_s8(xb[r])));
            acc[r][i][1] = vpadalq_s16(acc[r][i][1], vmull_high_s8(wv[i], xb[r]));
        }
}

INLINE void mull_group(const vc_qweights *q, const int R, const uint8_t *xq, int64_t k0, const uint8_t *w,
                       int32x4_t (*acc)[4][2])
{
    if (q->mode == VC_Q_8DA8W) {
        for (int64_t k = k0; k < k0 + q->G; k += 4) {
            int8x16_t wv[4], xb[2];
            UNROLL
            for (int i = 0; i < 4; i++) wv[i] = vld1q_s8((const int8_t *)w + k * 16 + 16 * i);
            UNROLL
            for (int r = 0; r < R; r++) xb[r] = bcast4(xq + r * q->K + k);
            mull_chunk(R, wv, xb, acc);
        }
        return;
    }
    for (int64_t k = k0; k < k0 + q->G; k += 8) {
        int8x16_t lo[4], hi[4], xa[2], xb[2];
        UNROLL
        for (int i = 0; i < 4; i++) split4(vld1q_u8(w + k * 8 + 16 * i), &lo[i], &hi[i]);
        UNROLL
        for (int r = 0; r < R; r++) {
            xa[r] = bcast4(xq + r * q->K + k);
            xb[r] = bcast4(xq + r * q->K + k + 4);
        }
        mull_chunk(R, lo, xa, acc);
        mull_chunk(R, hi, xb, acc);
    }
}

INLINE void mull_tile(const vc_qweights *q, const int R, const vc_qrows *x, int64_t b)
{
    int64_t ng = q->K / q->G;
    const uint8_t *w = q->w + b * q->K * (q->mode == VC_Q_8DA8W ? 16 : 8);
    int32x4_t acc[2][4][2];
    float32x4_t tot[2][4];
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int i = 0; i < 4; i++) tot[r][i] = vdupq_n_f32(0.0f);
    for (int64_t g = 0; g < ng; g++) {
        UNROLL
        for (int r = 0; r < R; r++)
            UNROLL
            for (int i = 0; i < 4; i++) acc[r][i][0] = acc[r][i][1] = vdupq_n_s32(0);
        mull_group(q, R, x->xq, g * q->G, w, acc);
        int64_t o = (b * ng + g) * 16;
        UNROLL
        for (int r = 0; r < R; r++)
            UNROLL
            for (int i = 0; i < 4; i++)
                tot[r][i] = da_group_end(tot[r][i], vpaddq_s32(acc[r][i][0], acc[r][i][1]), 128 - x->zp[r],
                                         q->scales + o + 4 * i, q->wsum + o + 4 * i);
    }
    UNROLL
    for (int r = 0; r < R; r++) {
        float32x4_t v[4];
        UNROLL
        for (int i = 0; i < 4; i++) v[i] = vmulq_n_f32(tot[r][i], x->xs[r]);
        store_block(q, b, v, x->y + r * q->N);
    }
}

static void mull_blocks(const vc_qweights *q, int64_t M, const vc_qrows *x, int64_t b0, int64_t b1)
{
    for (int64_t b = b0; b < b1; b++)
        for (int64_t m = 0; m < M; m += 2) {
            vc_qrows t = {x->xq + m * q->K, x->xs + m, x->zp + m, x->y + m * q->N};
            if (M - m >= 2) mull_tile(q, 2, &t, b);
            else mull_tile(q, 1, &t, b);
        }
}

/* ---- dequantization of weight-only codes into f32 panels (qgemm_panel.c) ---- */

INLINE void store16(float *d, const float32x4_t *w)
{
    UNROLL
    for (int i = 0; i < 4; i++) vst1q_f32(d + 4 * i, w[i]);
}

static void deq16_neon(int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld)
{
    float32x4_t sv[4], v[4];
    UNROLL
    for (int i = 0; i < 4; i++) sv[i] = vld1q_f32(s + 4 * i);
    if (!w4) {
        for (int64_t r = 0; r < rows; r++) {
            deq16(vld1q_s8((const int8_t *)w + r * 16), sv, v);
            store16(d + r * ld, v);
        }
        return;
    }
    for (int64_t r = 0; r + 1 < rows; r += 2) {
        int8x16_t cl, ch;
        split4(vld1q_u8(w + r * 8), &cl, &ch);
        deq16(cl, sv, v);
        store16(d + r * ld, v);
        deq16(ch, sv, v);
        store16(d + (r + 1) * ld, v);
    }
}

int vc_neon_qdeq16(vc_isa isa, int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld)
{
    if (isa != VC_ISA_NEON) return 0;
    deq16_neon(w4, w, s, rows, d, ld);
    return 1;
}

/* ---- activation rows to u8 (vc_qact_row's values, lane by lane) ----
 *
 * min / max by compare and select, as the reference compares (a NaN, or a value equal
 * to the lane, keeps the lane: FMINNM would take -0 over +0), so the lanes reduce in any
 * order to the reference's lo and hi. Per element: the same f32 division, FRINTI (the
 * current rounding mode, as nearbyintf), the clamp to +-512 (NaN to -512, which the
 * final clamp takes to 0 as the reference's does), the f32 add of zp, the clamp to
 * [0, 255] and exact conversions. The last K % 16 values go through a zero-padded copy
 * (zeros leave lo and hi as they are). */

INLINE void minmax4(float32x4_t v, float32x4_t *lo, float32x4_t *hi)
{
    *lo = vbslq_f32(vcltq_f32(v, *lo), v, *lo);
    *hi = vbslq_f32(vcgtq_f32(v, *hi), v, *hi);
}

INLINE uint32x4_t qact4(float32x4_t v, float32x4_t s, float32x4_t z)
{
    const float32x4_t lim = vdupq_n_f32(512.0f), nlim = vdupq_n_f32(-512.0f);
    float32x4_t r = vrndiq_f32(vdivq_f32(v, s));
    r = vbslq_f32(vcgeq_f32(r, nlim), r, nlim);
    r = vbslq_f32(vcgtq_f32(r, lim), lim, r);
    r = vminq_f32(vmaxq_f32(vaddq_f32(r, z), vdupq_n_f32(0.0f)), vdupq_n_f32(255.0f));
    return vcvtq_u32_f32(r);
}

INLINE void qact16(const float *x, float32x4_t s, float32x4_t z, uint8_t *out)
{
    uint16x8_t a = vcombine_u16(vmovn_u32(qact4(vld1q_f32(x), s, z)), vmovn_u32(qact4(vld1q_f32(x + 4), s, z)));
    uint16x8_t b = vcombine_u16(vmovn_u32(qact4(vld1q_f32(x + 8), s, z)), vmovn_u32(qact4(vld1q_f32(x + 12), s, z)));
    vst1q_u8(out, vcombine_u8(vmovn_u16(a), vmovn_u16(b)));
}

static void qact_neon(const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp)
{
    float32x4_t lo = vdupq_n_f32(0.0f), hi = lo;
    int64_t k16 = K & ~(int64_t)15;
    float t[16] = {0}, l[4], h[4], lmin = 0.0f, hmax = 0.0f;
    memcpy(t, x + k16, sizeof(float) * (size_t)(K - k16));
    for (int64_t k = 0; k < k16; k += 4) minmax4(vld1q_f32(x + k), &lo, &hi);
    for (int i = 0; i < 16; i += 4) minmax4(vld1q_f32(t + i), &lo, &hi);
    vst1q_f32(l, lo);
    vst1q_f32(h, hi);
    for (int i = 0; i < 4; i++) {
        if (l[i] < lmin) lmin = l[i];
        if (h[i] > hmax) hmax = h[i];
    }
    vc_qact_params(lmin, hmax, xs, zp);
    float32x4_t s = vdupq_n_f32(*xs), z = vdupq_n_f32((float)*zp);
    for (int64_t k = 0; k < k16; k += 16) qact16(x + k, s, z, xq + k);
    if (k16 < K) {
        uint8_t b[16];
        qact16(t, s, z, b);
        memcpy(xq + k16, b, (size_t)(K - k16));
    }
}

int vc_neon_qact_row(vc_isa isa, const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp)
{
    if (isa != VC_ISA_NEON) return 0;
    qact_neon(x, K, xq, xs, zp);
    return 1;
}

/* ---- path choice ---- */

static pthread_once_t dotprod_once = PTHREAD_ONCE_INIT;
static int dotprod_on; /* written once under dotprod_once, read-only afterwards */

static int dotprod_runs(void) { return vc_dotprod_qgemm_built() && vc_cpu_has_arm_dotprod(); }

static void choose_dotprod(void)
{
    const char *env = getenv("VOCE_DOTPROD");
    dotprod_on = dotprod_runs() && !(env && !strcmp(env, "0"));
}

int vc_neon_qpath_supported(vc_qpath p, int dynamic)
{
    switch (p) {
    case VC_QPATH_NEON: return vc_isa_supported(VC_ISA_NEON);
    case VC_QPATH_DOTPROD: return dynamic && dotprod_runs();
    default: return 0;
    }
}

vc_qpath vc_neon_qpath_active(int dynamic)
{
    if (vc_isa_active() != VC_ISA_NEON) return VC_QPATH_C;
    pthread_once(&dotprod_once, choose_dotprod);
    return dynamic && dotprod_on ? VC_QPATH_DOTPROD : VC_QPATH_NEON;
}

int vc_neon_qgemm_run(vc_qpath p, const vc_qweights *q, int64_t M, const float *X, const vc_qrows *x, int64_t b0,
                      int64_t b1)
{
    int dyn = vc_qmode_dynamic(q->mode);
    if (!dyn && p == VC_QPATH_NEON) wo_blocks(q, M, X, x->y, b0, b1);
    else if (dyn && p == VC_QPATH_NEON) mull_blocks(q, M, x, b0, b1);
    else if (dyn && p == VC_QPATH_DOTPROD && vc_dotprod_qgemm_built()) vc_dotprod_qgemm_blocks(q, M, x, b0, b1);
    else return 0;
    return 1;
}

#endif
