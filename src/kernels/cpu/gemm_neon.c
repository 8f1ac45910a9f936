/* AArch64 NEON (AdvSIMD) variants of the GEMM's dot kernel (vc_dot_fn in cpu.h) and of its
 * packed-path micro-kernel (vc_gemm_fn), with the transposing packer the latter uses
 * (vc_pack_fn). NEON is part of the AArch64 baseline: no target attributes, and the file
 * compiles to nothing on other architectures.
 *
 * Dot kernel: 16 accumulators of 4 floats per tile (4 rows x 4 columns, 2 x 8 or 1 x 16),
 * as the AVX-512 kernel, so that every load of a B column feeds M FMAs and every load of
 * an A row N. A76 / Neoverse N1 issue two 4-wide FMAs per cycle with 4 cycles of latency,
 * so 8 independent chains keep them busy and 16 leave slack, and 16 + 4 A vectors + 1 B
 * vector fit the 32 q-registers. The K tail (k % 4 values) is added in scalar after the
 * reduction: NEON has no masked loads and nothing past k may be read. A last partial
 * tile is shifted back to end at column n, as on x86.
 *
 * Packed micro-kernel: 8 x 12 tiles of C, 24 accumulators. Per step of K, two loads give
 * the 8 values of A (used through the by-element FMA, no broadcasts) and three the 12 of
 * B: 5 loads for 24 FMAs, and 24 + 5 of the 32 registers. Edge tiles (and C with strided
 * columns) go through a temporary tile and scalar stores; whole tiles store vectors.
 *
 * Not tuned on hardware: CI runs this under qemu-user, which checks results only. */
#include "cpu.h"

#if VC_CPU_NEON

#include <arm_neon.h>
#include <stddef.h>

/* Fully unroll the loop that follows (all have small constant bounds) so that the
 * accumulator arrays are registers, not memory. */
#define UNROLL _Pragma("GCC unroll 16")
#define INLINE static inline __attribute__((always_inline))

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---- Dot kernel: tiles 4 x 4, 2 x 8, 1 x 16 ---- */

enum { DOT_LANES = 16 };

/* tile[4g + r] = the sum of the 4 lanes of c[4g + r]: two levels of pairwise adds turn
 * four accumulators into one vector of their sums. */
INLINE void reduce16(const float32x4_t *c, float *tile)
{
    UNROLL
    for (int g = 0; g < 4; g++) {
        float32x4_t lo = vpaddq_f32(c[4 * g], c[4 * g + 1]);
        float32x4_t hi = vpaddq_f32(c[4 * g + 2], c[4 * g + 3]);
        vst1q_f32(tile + 4 * g, vpaddq_f32(lo, hi));
    }
}

/* tile[i * N + q] = dot(a[i], bq[q]) over k, for M rows and N = 16 / M columns. M is a
 * constant at every (inlined) call, so the loops unroll and c stays in registers. */
INLINE void dot_tile(int M, int64_t k, const float *const *a, const float *const *bq,
                     float *tile)
{
    const int N = DOT_LANES / M;
    float32x4_t c[DOT_LANES], av[4];
    UNROLL
    for (int q = 0; q < DOT_LANES; q++) c[q] = vdupq_n_f32(0.0f);
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        UNROLL
        for (int i = 0; i < M; i++) av[i] = vld1q_f32(a[i] + p);
        UNROLL
        for (int q = 0; q < N; q++) {
            float32x4_t bv = vld1q_f32(bq[q] + p);
            UNROLL
            for (int i = 0; i < M; i++) c[i * N + q] = vfmaq_f32(c[i * N + q], av[i], bv);
        }
    }
    reduce16(c, tile);
    for (; p < k; p++) {
        UNROLL
        for (int i = 0; i < M; i++) {
            UNROLL
            for (int q = 0; q < N; q++) tile[i * N + q] += a[i][p] * bq[q][p];
        }
    }
}

INLINE void dot_rows(int M, int64_t k, const float *const *a, const float *b, int64_t ldb,
                     int64_t n, float *t, int64_t ldt)
{
    const int N = DOT_LANES / M;
    for (int64_t j = 0; j < n; j += N) {
        int64_t j0 = j + N <= n || n < N ? j : n - N;
        const float *bq[DOT_LANES];
        float tile[DOT_LANES];
        for (int q = 0; q < N; q++) bq[q] = b + min64(j0 + q, n - 1) * ldb;
        dot_tile(M, k, a, bq, tile);
        int64_t w = min64(N, n - j0);
        for (int i = 0; i < M; i++)
            for (int64_t q = 0; q < w; q++) t[i * ldt + j0 + q] = tile[i * N + q];
    }
}

static void dot_neon(int64_t k, int m, const float *const *a, const float *b, int64_t ldb,
                     int64_t n, float *t, int64_t ldt)
{
    if (m == 4)
        dot_rows(4, k, a, b, ldb, n, t, ldt);
    else if (m == 2)
        dot_rows(2, k, a, b, ldb, n, t, ldt);
    else
        dot_rows(1, k, a, b, ldb, n, t, ldt);
}

/* ---- Packed path: 8 x 12 micro-kernel ---- */

/* Block sizes for a Cortex-A76 / Neoverse N1 class core (L1d 64 KiB, private L2 256 KiB
 * to 1 MiB). KC: a sliver of A (8 x 256, 8 KiB) and the panel of B it meets (256 x 12,
 * 12 KiB) take a third of L1, leaving room for the next panel and C's rows. NC: the
 * packed 256 x 192 block of B (192 KiB) stays in even a 256 KiB L2; larger blocks would
 * only save repacking A once per 192 columns, under 1% of the work. */
enum { MR = 8, NV = 3, NR = 4 * NV, GEMM_KC = 256, GEMM_NC = 192 };

/* C(i, j) = alpha * t[i * NR + j] + beta * C(i, j) for i < m, j < n, one element at a
 * time: edge tiles and C with strided columns. */
static void put_tile_scalar(const float *t, int m, int n, float alpha, float beta, float *c,
                            int64_t rsc, int64_t csc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float *x = c + i * rsc + j * csc;
            *x = beta == 0.0f ? alpha * t[i * NR + j] : alpha * t[i * NR + j] + beta * *x;
        }
}

INLINE void put_tile(float32x4_t acc[MR][NV], float alpha, float beta, float *c, int64_t rsc,
                     int64_t csc, int m, int n)
{
    if (csc == 1 && n == NR) {
        UNROLL
        for (int i = 0; i < MR; i++) {
            if (i >= m) break;
            UNROLL
            for (int v = 0; v < NV; v++) {
                float *ci = c + i * rsc + 4 * v;
                float32x4_t r = vmulq_n_f32(acc[i][v], alpha);
                if (beta != 0.0f) r = vfmaq_n_f32(r, vld1q_f32(ci), beta);
                vst1q_f32(ci, r);
            }
        }
        return;
    }
    float t[MR * NR];
    UNROLL
    for (int i = 0; i < MR; i++) {
        UNROLL
        for (int v = 0; v < NV; v++) vst1q_f32(t + i * NR + 4 * v, acc[i][v]);
    }
    put_tile_scalar(t, m, n, alpha, beta, c, rsc, csc);
}

/* Row i of the tile += A(i) * the 12 values of B; the lane must be a literal for clang. */
#define FMA_ROW(i, av, lane)                                                               \
    do {                                                                                   \
        acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, av, lane);                              \
        acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, av, lane);                              \
        acc[i][2] = vfmaq_laneq_f32(acc[i][2], b2, av, lane);                              \
    } while (0)

static void gemm_neon(int64_t kc, const float *a, const float *b, int64_t bs, float alpha,
                      float beta, float *c, int64_t rsc, int64_t csc, int m, int n)
{
    float32x4_t acc[MR][NV];
    UNROLL
    for (int i = 0; i < MR; i++) {
        UNROLL
        for (int v = 0; v < NV; v++) acc[i][v] = vdupq_n_f32(0.0f);
    }
    for (int64_t p = 0; p < kc; p++) {
        const float *bp = b + p * bs, *ap = a + p * MR;
        float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4), b2 = vld1q_f32(bp + 8);
        float32x4_t a0 = vld1q_f32(ap), a1 = vld1q_f32(ap + 4);
        FMA_ROW(0, a0, 0);
        FMA_ROW(1, a0, 1);
        FMA_ROW(2, a0, 2);
        FMA_ROW(3, a0, 3);
        FMA_ROW(4, a1, 0);
        FMA_ROW(5, a1, 1);
        FMA_ROW(6, a1, 2);
        FMA_ROW(7, a1, 3);
    }
    put_tile(acc, alpha, beta, c, rsc, csc, m, n);
}

/* Four rows s, s + lds, ... transposed into d[p * mr + 0..3] for p < kc, 4 x 4 blocks at a
 * time with two levels of TRN (32-bit, then 64-bit lanes). */
static void pack4_rows(int64_t kc, const float *s, int64_t lds, int mr, float *d)
{
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        float32x4_t r0 = vld1q_f32(s + p), r1 = vld1q_f32(s + lds + p);
        float32x4_t r2 = vld1q_f32(s + 2 * lds + p), r3 = vld1q_f32(s + 3 * lds + p);
        float64x2_t t0 = vreinterpretq_f64_f32(vtrn1q_f32(r0, r1));
        float64x2_t t1 = vreinterpretq_f64_f32(vtrn2q_f32(r0, r1));
        float64x2_t t2 = vreinterpretq_f64_f32(vtrn1q_f32(r2, r3));
        float64x2_t t3 = vreinterpretq_f64_f32(vtrn2q_f32(r2, r3));
        float *o = d + p * mr;
        vst1q_f32(o, vreinterpretq_f32_f64(vtrn1q_f64(t0, t2)));
        vst1q_f32(o + mr, vreinterpretq_f32_f64(vtrn1q_f64(t1, t3)));
        vst1q_f32(o + 2 * mr, vreinterpretq_f32_f64(vtrn2q_f64(t0, t2)));
        vst1q_f32(o + 3 * mr, vreinterpretq_f32_f64(vtrn2q_f64(t1, t3)));
    }
    for (; p < kc; p++) {
        float *o = d + p * mr;
        o[0] = s[p], o[1] = s[lds + p], o[2] = s[2 * lds + p], o[3] = s[3 * lds + p];
    }
}

/* vc_pack_fn: whole groups of four rows with NEON transposes, the rest one at a time. */
static void pack_rows_neon(int64_t kc, int m, int mr, const float *src, int64_t lds, float *dst)
{
    int i = 0;
    for (; i + 4 <= m; i += 4) pack4_rows(kc, src + i * lds, lds, mr, dst + i);
    for (; i < m; i++)
        for (int64_t p = 0; p < kc; p++) dst[p * mr + i] = src[i * lds + p];
    for (; i < mr; i++)
        for (int64_t p = 0; p < kc; p++) dst[p * mr + i] = 0.0f;
}

vc_dot_kernel vc_neon_dot_kernel(void)
{
    return (vc_dot_kernel){dot_neon, DOT_LANES};
}

vc_gemm_kernel vc_neon_gemm_kernel(void)
{
    return (vc_gemm_kernel){gemm_neon, pack_rows_neon, MR, NR, GEMM_KC, GEMM_NC, NULL};
}

#endif
