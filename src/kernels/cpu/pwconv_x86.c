/* x86-64 variants of the pointwise kernel (pwconv.h) and its lookup. Tiles of 4 rows of
 * the output by 2 vectors of positions (32 with AVX-512F, 16 with AVX2 + FMA) in eight
 * accumulators; per input channel two loads of the image and four broadcast weights.
 * Rows past a multiple of 4 go one at a time; the last columns use masked loads and
 * stores. Nothing is packed: the weights are read in place (each row of 4 a few cache
 * lines) and the image block stays in L1 for c <= VC_PW_MAX_C. */
#include "pwconv.h"

#include <stddef.h>

#if VC_CPU_X86

#include <immintrin.h>
#include <math.h>

#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f")))
/* Fully unroll the loops over the rows of a tile: gcc at -O2 would otherwise keep the
 * accumulator arrays in memory. */
#define UNROLL _Pragma("GCC unroll 4")

static inline __mmask16 lanes16(int64_t left)
{
    return left >= 16 ? (__mmask16)0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
}

/* The clamp, max(lo, v) then min(hi, v): keeps NaN (dwconv.h); -inf and +inf without one. */
TARGET_AVX512 static inline __m512 clamp16(__m512 v, __m512 lo, __m512 hi)
{
    return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
}

/* R rows (4 or 1) of y from row i, columns [j, j + 32). */
#define PW_AVX512_TILE(R)                                                                    \
    TARGET_AVX512 static void tile512_##R(int64_t l, int64_t c, const float *w,             \
                                          const float *bias, __m512 lo, __m512 hi,          \
                                          const float *x, float *y, int64_t j)               \
    {                                                                                        \
        __mmask16 m0 = lanes16(l - j), m1 = lanes16(l - j - 16);                             \
        __m512 a[R][2];                                                                      \
        UNROLL for (int r = 0; r < R; r++) a[r][0] = a[r][1] = _mm512_setzero_ps();          \
        for (int64_t k = 0; k < c; k++) {                                                    \
            __m512 x0 = _mm512_maskz_loadu_ps(m0, x + k * l + j);                            \
            __m512 x1 = _mm512_maskz_loadu_ps(m1, x + k * l + j + 16);                       \
            UNROLL for (int r = 0; r < R; r++) {                                             \
                __m512 wv = _mm512_set1_ps(w[r * c + k]);                                    \
                a[r][0] = _mm512_fmadd_ps(wv, x0, a[r][0]);                                  \
                a[r][1] = _mm512_fmadd_ps(wv, x1, a[r][1]);                                  \
            }                                                                                \
        }                                                                                    \
        UNROLL for (int r = 0; r < R; r++) {                                                 \
            __m512 b = _mm512_set1_ps(bias ? bias[r] : 0.0f);                                \
            _mm512_mask_storeu_ps(y + r * l + j, m0, clamp16(_mm512_add_ps(a[r][0], b), lo, hi)); \
            _mm512_mask_storeu_ps(y + r * l + j + 16, m1,                                    \
                                  clamp16(_mm512_add_ps(a[r][1], b), lo, hi));               \
        }                                                                                    \
    }
PW_AVX512_TILE(4)
PW_AVX512_TILE(1)

TARGET_AVX512 static void pw_avx512(int64_t m, int64_t l, int64_t c, const float *w,
                                    const float *bias, const float *clamp, const float *x, float *y)
{
    __m512 lo = _mm512_set1_ps(clamp ? clamp[0] : -INFINITY);
    __m512 hi = _mm512_set1_ps(clamp ? clamp[1] : INFINITY);
    int64_t i = 0;
    for (; i + 4 <= m; i += 4)
        for (int64_t j = 0; j < l; j += 32)
            tile512_4(l, c, w + i * c, bias ? bias + i : NULL, lo, hi, x, y + i * l, j);
    for (; i < m; i++)
        for (int64_t j = 0; j < l; j += 32)
            tile512_1(l, c, w + i * c, bias ? bias + i : NULL, lo, hi, x, y + i * l, j);
}

TARGET_AVX2 static inline __m256i lanes8(int64_t left)
{
    int n = left >= 8 ? 8 : left <= 0 ? 0 : (int)left;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

TARGET_AVX2 static inline __m256 clamp8(__m256 v, __m256 lo, __m256 hi)
{
    return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

#define PW_AVX2_TILE(R)                                                                      \
    TARGET_AVX2 static void tile256_##R(int64_t l, int64_t c, const float *w,               \
                                        const float *bias, __m256 lo, __m256 hi,            \
                                        const float *x, float *y, int64_t j)                 \
    {                                                                                        \
        __m256i m0 = lanes8(l - j), m1 = lanes8(l - j - 8);                                  \
        __m256 a[R][2];                                                                      \
        UNROLL for (int r = 0; r < R; r++) a[r][0] = a[r][1] = _mm256_setzero_ps();          \
        for (int64_t k = 0; k < c; k++) {                                                    \
            __m256 x0 = _mm256_maskload_ps(x + k * l + j, m0);                               \
            __m256 x1 = _mm256_maskload_ps(x + k * l + j + 8, m1);                           \
            UNROLL for (int r = 0; r < R; r++) {                                             \
                __m256 wv = _mm256_set1_ps(w[r * c + k]);                                    \
                a[r][0] = _mm256_fmadd_ps(wv, x0, a[r][0]);                                  \
                a[r][1] = _mm256_fmadd_ps(wv, x1, a[r][1]);                                  \
            }                                                                                \
        }                                                                                    \
        UNROLL for (int r = 0; r < R; r++) {                                                 \
            __m256 b = _mm256_set1_ps(bias ? bias[r] : 0.0f);                                \
            _mm256_maskstore_ps(y + r * l + j, m0, clamp8(_mm256_add_ps(a[r][0], b), lo, hi)); \
            _mm256_maskstore_ps(y + r * l + j + 8, m1, clamp8(_mm256_add_ps(a[r][1], b), lo, hi)); \
        }                                                                                    \
    }
PW_AVX2_TILE(4)
PW_AVX2_TILE(1)

TARGET_AVX2 static void pw_avx2(int64_t m, int64_t l, int64_t c, const float *w,
                                const float *bias, const float *clamp, const float *x, float *y)
{
    __m256 lo = _mm256_set1_ps(clamp ? clamp[0] : -INFINITY);
    __m256 hi = _mm256_set1_ps(clamp ? clamp[1] : INFINITY);
    int64_t i = 0;
    for (; i + 4 <= m; i += 4)
        for (int64_t j = 0; j < l; j += 16)
            tile256_4(l, c, w + i * c, bias ? bias + i : NULL, lo, hi, x, y + i * l, j);
    for (; i < m; i++)
        for (int64_t j = 0; j < l; j += 16)
            tile256_1(l, c, w + i * c, bias ? bias + i : NULL, lo, hi, x, y + i * l, j);
}

vc_pw_fn vc_x86_pw_kernel(vc_isa isa)
{
    return isa == VC_ISA_AVX512 ? pw_avx512 : pw_avx2;
}

#endif

vc_pw_fn vc_pw_kernel_for(vc_isa isa)
{
#if VC_CPU_X86
    if (isa == VC_ISA_AVX2 || isa == VC_ISA_AVX512) return vc_x86_pw_kernel(isa);
#endif
    (void)isa;
    return NULL;
}
