/* x86-64 variants of the depthwise kernel (dwconv.h): AVX-512F over blocks of four
 * 16-lane vectors, AVX2 + FMA over four 8-lane ones, each block kept in registers across
 * all taps (per tap one broadcast weight, four loads, four FMAs), the last block with
 * masked loads and stores. Even and odd taps go to separate sums, added at the end:
 * eight independent FMA chains, which small planes (a few vectors) need to keep the
 * FMA units busy. Also the even-element gather of stride-2
 * phase planes. Compiled with target attributes; called only after vc_isa_supported
 * said yes. */
#include "dwconv.h"

#if VC_CPU_X86

#include <immintrin.h>
#include <math.h>

#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f")))
/* Fully unroll the loop over the four vectors of a block: gcc at -O2 would otherwise
 * keep the accumulator arrays in memory. */
#define UNROLL _Pragma("GCC unroll 4")

/* Lanes [0, min(left, 16)) of a 16-lane mask; none when left <= 0. */
static inline __mmask16 lanes16(int64_t left)
{
    return left >= 16 ? (__mmask16)0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
}

/* Four vectors of outputs, each with two partial sums (even and odd taps), so that
 * eight FMA chains are in flight even on a plane of two vectors; the last block masks
 * its loads and stores. */
TARGET_AVX512 static void dw_avx512(int64_t n, int taps, const int64_t *off, const float *w,
                                    float bias, const float *clamp, const float *src, float *dst)
{
    __m512 b = _mm512_set1_ps(bias);
    /* max(lo, v) then min(hi, v): with these operand orders NaN v passes (dwconv.h);
     * without a clamp, -inf and +inf change nothing */
    __m512 lo = _mm512_set1_ps(clamp ? clamp[0] : -INFINITY);
    __m512 hi = _mm512_set1_ps(clamp ? clamp[1] : INFINITY);
    for (int64_t f = 0; f < n; f += 64) {
        __mmask16 m[4];
        __m512 a[4], e[4];
        UNROLL for (int i = 0; i < 4; i++) {
            m[i] = lanes16(n - f - 16 * i);
            a[i] = e[i] = _mm512_setzero_ps();
        }
        int t = 0;
        for (; t + 2 <= taps; t += 2) {
            const float *s0 = src + off[t] + f, *s1 = src + off[t + 1] + f;
            __m512 w0 = _mm512_set1_ps(w[t]), w1 = _mm512_set1_ps(w[t + 1]);
            UNROLL for (int i = 0; i < 4; i++) {
                a[i] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m[i], s0 + 16 * i), a[i]);
                e[i] = _mm512_fmadd_ps(w1, _mm512_maskz_loadu_ps(m[i], s1 + 16 * i), e[i]);
            }
        }
        if (t < taps) {
            const float *s0 = src + off[t] + f;
            __m512 w0 = _mm512_set1_ps(w[t]);
            UNROLL for (int i = 0; i < 4; i++)
                a[i] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m[i], s0 + 16 * i), a[i]);
        }
        UNROLL for (int i = 0; i < 4; i++) {
            __m512 v = _mm512_add_ps(_mm512_add_ps(a[i], e[i]), b);
            _mm512_mask_storeu_ps(dst + f + 16 * i, m[i], _mm512_min_ps(hi, _mm512_max_ps(lo, v)));
        }
    }
}

/* Lanes [0, min(left, 8)) of an AVX2 load/store mask. */
TARGET_AVX2 static inline __m256i lanes8(int64_t left)
{
    int l = left >= 8 ? 8 : left <= 0 ? 0 : (int)left;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(l), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* As the AVX-512 kernel, with four 8-lane vectors per block. */
TARGET_AVX2 static void dw_avx2(int64_t n, int taps, const int64_t *off, const float *w,
                                float bias, const float *clamp, const float *src, float *dst)
{
    __m256 b = _mm256_set1_ps(bias);
    __m256 lo = _mm256_set1_ps(clamp ? clamp[0] : -INFINITY);
    __m256 hi = _mm256_set1_ps(clamp ? clamp[1] : INFINITY);
    for (int64_t f = 0; f < n; f += 32) {
        __m256i m[4];
        __m256 a[4], e[4];
        UNROLL for (int i = 0; i < 4; i++) {
            m[i] = lanes8(n - f - 8 * i);
            a[i] = e[i] = _mm256_setzero_ps();
        }
        int t = 0;
        for (; t + 2 <= taps; t += 2) {
            const float *s0 = src + off[t] + f, *s1 = src + off[t + 1] + f;
            __m256 w0 = _mm256_set1_ps(w[t]), w1 = _mm256_set1_ps(w[t + 1]);
            UNROLL for (int i = 0; i < 4; i++) {
                a[i] = _mm256_fmadd_ps(w0, _mm256_maskload_ps(s0 + 8 * i, m[i]), a[i]);
                e[i] = _mm256_fmadd_ps(w1, _mm256_maskload_ps(s1 + 8 * i, m[i]), e[i]);
            }
        }
        if (t < taps) {
            const float *s0 = src + off[t] + f;
            __m256 w0 = _mm256_set1_ps(w[t]);
            UNROLL for (int i = 0; i < 4; i++)
                a[i] = _mm256_fmadd_ps(w0, _mm256_maskload_ps(s0 + 8 * i, m[i]), a[i]);
        }
        UNROLL for (int i = 0; i < 4; i++) {
            __m256 v = _mm256_add_ps(_mm256_add_ps(a[i], e[i]), b);
            _mm256_maskstore_ps(dst + f + 8 * i, m[i], _mm256_min_ps(hi, _mm256_max_ps(lo, v)));
        }
    }
}

/* 16 outputs from 32 inputs: two loads and one two-source permute per block; a row's
 * last block masks its loads so that nothing past its last even element is read. The
 * masks depend on n only, so they are made once for all rows; a row of at most 8
 * outputs (a 16-wide image) needs one load. */
TARGET_AVX512 static void even_avx512(int64_t rows, int64_t n, const float *src, int64_t ls,
                                      float *dst, int64_t ld)
{
    const __m512i idx = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    int64_t full = n / 16 * 16, tail = n - full, left = 2 * tail - 1; /* floats of the tail */
    __mmask16 mlo = lanes16(left), mhi = lanes16(left - 16), mst = lanes16(tail);
    for (int64_t r = 0; r < rows; r++, src += ls, dst += ld) {
        for (int64_t c = 0; c < full; c += 16) {
            const float *s = src + 2 * c;
            __m512 hi = _mm512_maskz_loadu_ps((__mmask16)0x7fff, s + 16);
            _mm512_storeu_ps(dst + c, _mm512_permutex2var_ps(_mm512_loadu_ps(s), idx, hi));
        }
        if (!tail) continue;
        const float *s = src + 2 * full;
        __m512 lo = _mm512_maskz_loadu_ps(mlo, s);
        __m512 v = tail <= 8 ? _mm512_permutexvar_ps(idx, lo)
                             : _mm512_permutex2var_ps(lo, idx, _mm512_maskz_loadu_ps(mhi, s + 16));
        _mm512_mask_storeu_ps(dst + full, mst, v);
    }
}

/* 8 outputs from 16 inputs: in-lane even selection, then the 64-bit halves reordered.
 * The last block of a row is scalar (it would read one past the row). */
TARGET_AVX2 static void even_avx2(int64_t rows, int64_t n, const float *src, int64_t ls,
                                  float *dst, int64_t ld)
{
    int64_t vec = (n - 1) / 8 * 8; /* outputs done in vectors */
    for (int64_t r = 0; r < rows; r++, src += ls, dst += ld) {
        int64_t c = 0;
        for (; c < vec; c += 8) {
            __m256 a = _mm256_loadu_ps(src + 2 * c), b = _mm256_loadu_ps(src + 2 * c + 8);
            __m256 e = _mm256_shuffle_ps(a, b, 0x88); /* a0 a2 b0 b2 | a4 a6 b4 b6 */
            _mm256_storeu_ps(dst + c,
                             _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xd8)));
        }
        for (; c < n; c++) dst[c] = src[2 * c];
    }
}

vc_dw_even_fn vc_x86_dw_even(vc_isa isa)
{
    return isa == VC_ISA_AVX512 ? even_avx512 : even_avx2;
}

vc_dw_fn vc_x86_dw_kernel(vc_isa isa)
{
    return isa == VC_ISA_AVX512 ? dw_avx512 : dw_avx2;
}

#endif
