/* The Armv8.2 dot-product kernel of voce:QLinear's 8da modes (qgemm.h's VC_QPATH_DOTPROD;
 * qlinear.h defines the semantics and the packed layouts).
 *
 * CMake compiles this file alone with -march=armv8.2-a+dotprod (clang before 16 offers
 * the SDOT intrinsics only that way, not through a target attribute), so everything in
 * it may use Armv8.2 instructions: qgemm_neon.c calls in only after the auxiliary vector
 * said the CPU has them (HWCAP_ASIMDDP). Built without that flag, the file reports so and
 * the path is never offered.
 *
 * SDOT (vdotq_laneq_s32) adds to each int32 lane the dot product of 4 int8 of one
 * register with 4 int8 of a chosen lane of another: the packed 8da layout gives exactly
 * one column's 4 consecutive k per lane, 4 columns per register. Activations go in as
 * int8 xq - 128 (SDOT is signed only; the mixed u8 x s8 form needs I8MM), 16 k per
 * register, one lane per chunk of 4 k; qgemm_neon_impl.h adds 128 * wsum back at the end
 * of each group. Integer sums are exact and the f32 steps are the reference's, so
 * results equal it bit for bit.
 *
 * Tiles: R <= 4 rows x 1 block of 16 columns (16 int32 accumulators: each weight vector
 * feeds R SDOTs, each activation vector 16), or 1 row x 2 blocks when M = 1. Not tuned
 * on hardware: CI runs this under qemu-user, which checks results only. */
#include "qgemm.h"

#if VC_CPU_NEON && defined(__ARM_FEATURE_DOTPROD)

#include "qgemm_neon_impl.h"

#define UNROLL _Pragma("GCC unroll 16")
#define INLINE static inline __attribute__((always_inline))

int vc_dotprod_qgemm_built(void) { return 1; }

/* acc + the dot products of w's 4 columns with lane `lane` of x. The lane must be a
 * literal for the intrinsic; called with a constant, the switch folds away. */
INLINE int32x4_t dot_lane(int32x4_t acc, int8x16_t w, int8x16_t x, const int lane)
{
    switch (lane) {
    case 0: return vdotq_laneq_s32(acc, w, x, 0);
    case 1: return vdotq_laneq_s32(acc, w, x, 1);
    case 2: return vdotq_laneq_s32(acc, w, x, 2);
    default: return vdotq_laneq_s32(acc, w, x, 3);
    }
}

/* One chunk of 4 k: wv[j][i] holds columns 4i..4i+3 of block j, lane `lane` of xv[r]
 * the chunk's activations of row r. */
INLINE void dot_chunk(const int R, const int NB, int8x16_t (*wv)[4], const int8x16_t *xv, const int lane,
                      int32x4_t (*acc)[2][4])
{
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int j = 0; j < NB; j++)
            UNROLL
            for (int i = 0; i < 4; i++) acc[r][j][i] = dot_lane(acc[r][j][i], wv[j][i], xv[r], lane);
}

/* 16 activations of each row from k, as int8 xq - 128. */
INLINE void load_x16(const int R, const uint8_t *xq, int64_t K, int64_t k, int8x16_t *xv)
{
    UNROLL
    for (int r = 0; r < R; r++) xv[r] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(xq + r * K + k), vdupq_n_u8(0x80)));
}

INLINE void dot_group(const vc_qweights *q, const int R, const int NB, const uint8_t *xq, int64_t k0,
                      const uint8_t *const *w, int32x4_t (*acc)[2][4])
{
    int8x16_t xv[4];
    if (q->mode == VC_Q_8DA8W) {
        for (int64_t k = k0; k < k0 + q->G; k += 16) {
            load_x16(R, xq, q->K, k, xv);
            UNROLL
            for (int c = 0; c < 4; c++) {
                int8x16_t wv[2][4];
                UNROLL
                for (int j = 0; j < NB; j++)
                    UNROLL
                    for (int i = 0; i < 4; i++) wv[j][i] = vld1q_s8((const int8_t *)w[j] + (k + 4 * c) * 16 + 16 * i);
                dot_chunk(R, NB, wv, xv, c, acc);
            }
        }
        return;
    }
    /* 8da4w: 64 bytes per 8 k, the first 4 k in the low nibbles */
    for (int64_t k = k0; k < k0 + q->G; k += 16) {
        load_x16(R, xq, q->K, k, xv);
        UNROLL
        for (int h = 0; h < 2; h++) {
            int8x16_t lo[2][4], hi[2][4];
            UNROLL
            for (int j = 0; j < NB; j++)
                UNROLL
                for (int i = 0; i < 4; i++) split4(vld1q_u8(w[j] + (k + 8 * h) * 8 + 16 * i), &lo[j][i], &hi[j][i]);
            dot_chunk(R, NB, lo, xv, 2 * h, acc);
            dot_chunk(R, NB, hi, xv, 2 * h + 1, acc);
        }
    }
}

/* R rows x NB blocks blk[]; blocks from nst on repeat the last real one and are not stored. */
INLINE void dot_tile(const vc_qweights *q, const int R, const int NB, const vc_qrows *x, const int64_t *blk, int nst)
{
    int64_t ng = q->K / q->G, wb = q->K * (q->mode == VC_Q_8DA8W ? 16 : 8);
    const uint8_t *w[2];
    int32x4_t acc[4][2][4];
    float32x4_t tot[4][2][4];
    UNROLL
    for (int j = 0; j < NB; j++) w[j] = q->w + blk[j] * wb;
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int j = 0; j < NB; j++)
            UNROLL
            for (int i = 0; i < 4; i++) tot[r][j][i] = vdupq_n_f32(0.0f);
    for (int64_t g = 0; g < ng; g++) {
        UNROLL
        for (int r = 0; r < R; r++)
            UNROLL
            for (int j = 0; j < NB; j++)
                UNROLL
                for (int i = 0; i < 4; i++) acc[r][j][i] = vdupq_n_s32(0);
        dot_group(q, R, NB, x->xq, g * q->G, w, acc);
        UNROLL
        for (int r = 0; r < R; r++)
            UNROLL
            for (int j = 0; j < NB; j++) {
                int64_t o = (blk[j] * ng + g) * 16;
                UNROLL
                for (int i = 0; i < 4; i++)
                    tot[r][j][i] = da_group_end(tot[r][j][i], acc[r][j][i], 128 - x->zp[r], q->scales + o + 4 * i,
                                                q->wsum + o + 4 * i);
            }
    }
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int j = 0; j < NB; j++) { /* constant indices keep tot in registers */
            float32x4_t v[4];
            UNROLL
            for (int i = 0; i < 4; i++) v[i] = vmulq_n_f32(tot[r][j][i], x->xs[r]);
            if (j < nst) store_block(q, blk[j], v, x->y + r * q->N);
        }
}

void vc_dotprod_qgemm_blocks(const vc_qweights *q, int64_t M, const vc_qrows *x, int64_t b0, int64_t b1)
{
    if (M == 1) {
        for (int64_t b = b0; b < b1; b += 2) {
            int64_t blk[2] = {b, b + 1 < b1 ? b + 1 : b};
            dot_tile(q, 1, 2, x, blk, b + 1 < b1 ? 2 : 1);
        }
        return;
    }
    for (int64_t b = b0; b < b1; b++)
        for (int64_t m = 0; m < M; m += 4) {
            vc_qrows t = {x->xq + m * q->K, x->xs + m, x->zp + m, x->y + m * q->N};
            int64_t rows = M - m;
            if (rows >= 4) dot_tile(q, 4, 1, &t, &b, 1);
            else if (rows == 3) dot_tile(q, 3, 1, &t, &b, 1);
            else if (rows == 2) dot_tile(q, 2, 1, &t, &b, 1);
            else dot_tile(q, 1, 1, &t, &b, 1);
        }
}

#elif VC_CPU_NEON /* built without -march=armv8.2-a+dotprod: no kernel */

int vc_dotprod_qgemm_built(void) { return 0; }

void vc_dotprod_qgemm_blocks(const vc_qweights *q, int64_t M, const vc_qrows *x, int64_t b0, int64_t b1) {}

#endif
