/* x86-64 variants of the GEMM dot micro-kernel (see vc_dot_fn in cpu.h): AVX2 + FMA
 * with 8 accumulators of 8 floats, AVX-512F with 16 accumulators of 16 floats.
 *
 * Each accumulator holds the lanes of one dot product along K; a tile is m rows of A by
 * n = lanes / m columns of B, so every load of a B column feeds m FMAs and every load of
 * an A row n FMAs. The K tail is read with masked loads (no reads past k). The lanes
 * are reduced once per tile by a transposing tree, so the whole tile comes out as one
 * vector in t's order.
 *
 * Functions carry __attribute__((target)): the file compiles with the baseline flags and
 * these are only called after vc_isa_supported said yes. Off x86-64 (or with another
 * compiler) the file provides only the lookup, answering "no kernel". */
#include "cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f")))
/* Fully unroll the loop that follows (all of them have small constant bounds): gcc at
 * -O2 would otherwise keep the accumulator arrays in memory. */
#define UNROLL _Pragma("GCC unroll 16")

/* ---- AVX2 + FMA: tiles 4 x 2, 2 x 4, 1 x 8 ---- */

/* Lane i of the result is the sum of the 8 lanes of v[i]. */
TARGET_AVX2 static inline __m256 hsum8(const __m256 *v)
{
    __m256 h01 = _mm256_hadd_ps(v[0], v[1]), h23 = _mm256_hadd_ps(v[2], v[3]);
    __m256 h45 = _mm256_hadd_ps(v[4], v[5]), h67 = _mm256_hadd_ps(v[6], v[7]);
    __m256 lo4 = _mm256_hadd_ps(h01, h23), hi4 = _mm256_hadd_ps(h45, h67);
    /* lo4 holds v0..v3 summed over lanes 0-3 (low half) and 4-7 (high half) */
    return _mm256_add_ps(_mm256_permute2f128_ps(lo4, hi4, 0x20),
                         _mm256_permute2f128_ps(lo4, hi4, 0x31));
}

/* One tile of M rows by N = 8 / M columns. Generated per M so that M and N are
 * constants: the loops unroll and c stays in registers. */
#define DOT_AVX2(M)                                                                        \
    TARGET_AVX2 static void dot_avx2_##M(int64_t k, const float *const *a,                \
                                         const float *const *b, float *t)                 \
    {                                                                                      \
        enum { N = 8 / M };                                                                \
        __m256 c[8], av[M];                                                                \
        UNROLL                                                                             \
        for (int q = 0; q < 8; q++) c[q] = _mm256_setzero_ps();                            \
        int64_t p = 0;                                                                     \
        for (; p + 8 <= k; p += 8) {                                                       \
            UNROLL                                                                         \
            for (int i = 0; i < M; i++) av[i] = _mm256_loadu_ps(a[i] + p);                 \
            UNROLL                                                                         \
            for (int j = 0; j < N; j++) {                                                  \
                __m256 bv = _mm256_loadu_ps(b[j] + p);                                     \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++)                                                \
                    c[i * N + j] = _mm256_fmadd_ps(av[i], bv, c[i * N + j]);               \
            }                                                                              \
        }                                                                                  \
        if (p < k) {                                                                       \
            __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k - p)),             \
                                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));  \
            UNROLL                                                                         \
            for (int i = 0; i < M; i++) av[i] = _mm256_maskload_ps(a[i] + p, mask);        \
            UNROLL                                                                         \
            for (int j = 0; j < N; j++) {                                                  \
                __m256 bv = _mm256_maskload_ps(b[j] + p, mask);                            \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++)                                                \
                    c[i * N + j] = _mm256_fmadd_ps(av[i], bv, c[i * N + j]);               \
            }                                                                              \
        }                                                                                  \
        _mm256_storeu_ps(t, hsum8(c));                                                     \
    }
DOT_AVX2(1)
DOT_AVX2(2)
DOT_AVX2(4)

TARGET_AVX2 static void dot_avx2(int64_t k, int m, const float *const *a, const float *const *b,
                                 float *t)
{
    if (m == 4)
        dot_avx2_4(k, a, b, t);
    else if (m == 2)
        dot_avx2_2(k, a, b, t);
    else
        dot_avx2_1(k, a, b, t);
}

/* ---- AVX-512F: tiles 4 x 4, 2 x 8, 1 x 16 ---- */

/* Lane 4k + r of the result is the sum of the 16 lanes of c[4r + k]. Three levels, each
 * halving the vectors: 512-bit halves, 256-bit quarters pairs, then within 128 bits. */
TARGET_AVX512 static inline __m512 hsum16(const __m512 *c)
{
    __m512 s[8], u[4];
    UNROLL
    for (int q = 0; q < 8; q++) /* s[q]: c[2q] in quarters 0-1, c[2q+1] in quarters 2-3 */
        s[q] = _mm512_add_ps(_mm512_shuffle_f32x4(c[2 * q], c[2 * q + 1], 0x44),
                             _mm512_shuffle_f32x4(c[2 * q], c[2 * q + 1], 0xEE));
    UNROLL
    for (int r = 0; r < 4; r++) /* u[r]: quarter k holds 4 lanes of c[4r + k] */
        u[r] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * r], s[2 * r + 1], 0x88),
                             _mm512_shuffle_f32x4(s[2 * r], s[2 * r + 1], 0xDD));
    __m512 p01 = _mm512_add_ps(_mm512_unpacklo_ps(u[0], u[1]), _mm512_unpackhi_ps(u[0], u[1]));
    __m512 p23 = _mm512_add_ps(_mm512_unpacklo_ps(u[2], u[3]), _mm512_unpackhi_ps(u[2], u[3]));
    return _mm512_add_ps(_mm512_shuffle_ps(p01, p23, 0x44), _mm512_shuffle_ps(p01, p23, 0xEE));
}

/* Accumulator of tile element (i, j): placed so that hsum16 returns the tile in order. */
#define ACC512(i, j) (4 * (((i) * N + (j)) & 3) + (((i) * N + (j)) >> 2))

/* One tile of M rows by N = 16 / M columns, generated per M as for AVX2. */
#define DOT_AVX512(M)                                                                      \
    TARGET_AVX512 static void dot_avx512_##M(int64_t k, const float *const *a,            \
                                             const float *const *b, float *t)             \
    {                                                                                      \
        enum { N = 16 / M };                                                               \
        __m512 c[16], av[M];                                                               \
        UNROLL                                                                             \
        for (int q = 0; q < 16; q++) c[q] = _mm512_setzero_ps();                           \
        int64_t p = 0;                                                                     \
        for (; p + 16 <= k; p += 16) {                                                     \
            UNROLL                                                                         \
            for (int i = 0; i < M; i++) av[i] = _mm512_loadu_ps(a[i] + p);                 \
            UNROLL                                                                         \
            for (int j = 0; j < N; j++) {                                                  \
                __m512 bv = _mm512_loadu_ps(b[j] + p);                                     \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++)                                                \
                    c[ACC512(i, j)] = _mm512_fmadd_ps(av[i], bv, c[ACC512(i, j)]);         \
            }                                                                              \
        }                                                                                  \
        if (p < k) {                                                                       \
            __mmask16 mask = (__mmask16)((1u << (k - p)) - 1u);                            \
            UNROLL                                                                         \
            for (int i = 0; i < M; i++) av[i] = _mm512_maskz_loadu_ps(mask, a[i] + p);     \
            UNROLL                                                                         \
            for (int j = 0; j < N; j++) {                                                  \
                __m512 bv = _mm512_maskz_loadu_ps(mask, b[j] + p);                         \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++)                                                \
                    c[ACC512(i, j)] = _mm512_fmadd_ps(av[i], bv, c[ACC512(i, j)]);         \
            }                                                                              \
        }                                                                                  \
        _mm512_storeu_ps(t, hsum16(c));                                                    \
    }
DOT_AVX512(1)
DOT_AVX512(2)
DOT_AVX512(4)

TARGET_AVX512 static void dot_avx512(int64_t k, int m, const float *const *a,
                                     const float *const *b, float *t)
{
    if (m == 4)
        dot_avx512_4(k, a, b, t);
    else if (m == 2)
        dot_avx512_2(k, a, b, t);
    else
        dot_avx512_1(k, a, b, t);
}

vc_dot_kernel vc_dot_kernel_for(vc_isa isa)
{
    vc_dot_kernel k = {NULL, 0};
    if (isa == VC_ISA_AVX512) k = (vc_dot_kernel){dot_avx512, 16};
    if (isa == VC_ISA_AVX2) k = (vc_dot_kernel){dot_avx2, 8};
    return k;
}

#else

vc_dot_kernel vc_dot_kernel_for(vc_isa isa)
{
    (void)isa;
    vc_dot_kernel k = {0, 0};
    return k;
}

#endif
