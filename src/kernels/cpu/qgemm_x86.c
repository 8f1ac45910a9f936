/* x86-64 kernels of voce:QLinear (see qgemm.h for the paths, qlinear.h for the
 * semantics and the packed layouts).
 *
 * Tiles: R rows of X by one or two blocks of 16 columns, every accumulator a register.
 *   weight-only AVX-512: R <= 8 rows x 2 blocks (16 f32 accumulators), or one row x 4
 *     blocks (M = 1: more independent FMA chains); per k, 16 weights
 *     of each block are widened, converted and multiplied by the group's scales, then
 *     one FMA per row against a broadcast x[k];
 *   weight-only AVX2: R <= 4 rows x 1 block (two 8-lane halves);
 *   8da AVX-512 VNNI: R <= 4 rows x 2 blocks of i32 accumulators plus as many f32 totals;
 *     per 4 k, one vpdpbusd per row and block against a broadcast of 4 bytes of xq;
 *   8da AVX-VNNI / AVX2: R <= 2 rows x 1 block (two halves), vpdpbusd or the exact
 *     vpmaddubsw scheme below.
 * At the end of each group the i32 sums become f32 exactly as the reference does it
 * (subtract zp * wsum, convert, multiply by the scale, add: no FMA), so 8da results equal
 * the reference bit for bit. A tile's rows and blocks never mix: an element's value does
 * not depend on R, on the block it is paired with, nor on the caller's split.
 *
 * vpmaddubsw multiplies u8 by s8 and adds pairs into saturating i16: with 8-bit
 * activations and weights a pair can reach 2 * 255 * 127 and saturate. The AVX2 path
 * splits each activation byte into nibbles (xq = 16 hi + lo, both <= 15): a pair is then
 * at most 2 * 15 * 128 = 3840 in magnitude, and vpmaddwd by 1 and by 16 recombines the
 * halves in i32, exactly.
 *
 * Functions carry __attribute__((target)); they run only after the CPU was checked. */
#include "qgemm.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

#if VC_CPU_X86

#include <cpuid.h>
#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVXVNNI __attribute__((target("avx2,fma,avxvnni")))
#define TARGET_AVX512 __attribute__((target("avx512f")))
#define TARGET_VNNI512 __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

/* ---- CPU features (once per process) ---- */

typedef struct {
    int vnni512, avxvnni, vnni_off;
} qfeatures;

static pthread_once_t feat_once = PTHREAD_ONCE_INIT;
static qfeatures feat; /* written once under feat_once, read-only afterwards */

static void probe(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
        feat.vnni512 = (c >> 11 & 1) && (b >> 30 & 1) && vc_isa_supported(VC_ISA_AVX512); /* VNNI, BW */
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) feat.avxvnni = (a >> 4 & 1) && vc_isa_supported(VC_ISA_AVX2);
    const char *env = getenv("VOCE_VNNI");
    feat.vnni_off = env && !strcmp(env, "0");
}

static const qfeatures *features(void)
{
    pthread_once(&feat_once, probe);
    return &feat;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Lanes of a block that hold real columns (N is not always a multiple of 16). */
static int valid_cols(const vc_qweights *q, int64_t b) { return (int)min64(VC_QBLOCK, q->N - b * VC_QBLOCK); }

static int32_t load4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* ---- weight-only, AVX-512F ---- */

TARGET_AVX512 INLINE void deq4_512(const uint8_t *p, __m512 s, __m512 *lo, __m512 *hi)
{
    __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)), eight = _mm512_set1_epi32(8);
    *lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_and_si512(v, _mm512_set1_epi32(15)), eight)), s);
    *hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(v, 4), eight)), s);
}

TARGET_AVX512 INLINE __m512 deq8_512(const uint8_t *p, __m512 s)
{
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p))), s);
}

/* acc[r][j] += x[r][k] * w_j for the group's k, j < NB blocks. */
TARGET_AVX512 INLINE void wo_group_512(const vc_qweights *q, const int R, const int NB, const float *x, int64_t k0,
                                       const uint8_t *const *w, const __m512 *s, __m512 (*acc)[4])
{
    if (q->mode == VC_Q_W8) {
        for (int64_t k = k0; k < k0 + q->G; k++) {
            __m512 wv[4];
            UNROLL
            for (int j = 0; j < NB; j++) wv[j] = deq8_512(w[j] + k * 16, s[j]);
            UNROLL
            for (int r = 0; r < R; r++) {
                __m512 xv = _mm512_set1_ps(x[r * q->K + k]);
                UNROLL
                for (int j = 0; j < NB; j++) acc[r][j] = _mm512_fmadd_ps(xv, wv[j], acc[r][j]);
            }
        }
        return;
    }
    for (int64_t k = k0; k < k0 + q->G; k += 2) {
        __m512 lo[4], hi[4];
        UNROLL
        for (int j = 0; j < NB; j++) deq4_512(w[j] + k * 8, s[j], &lo[j], &hi[j]);
        UNROLL
        for (int r = 0; r < R; r++) {
            __m512 xa = _mm512_set1_ps(x[r * q->K + k]), xb = _mm512_set1_ps(x[r * q->K + k + 1]);
            UNROLL
            for (int j = 0; j < NB; j++) acc[r][j] = _mm512_fmadd_ps(xb, hi[j], _mm512_fmadd_ps(xa, lo[j], acc[r][j]));
        }
    }
}

TARGET_AVX512 INLINE void store_512(const vc_qweights *q, int64_t b, __m512 v, float *y)
{
    __mmask16 m = (__mmask16)((1u << valid_cols(q, b)) - 1);
    if (q->bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, q->bias + b * VC_QBLOCK));
    _mm512_mask_storeu_ps(y + b * VC_QBLOCK, m, v);
}

/* R rows x NB blocks; blocks past nst repeat the last real one and are not stored. */
TARGET_AVX512 INLINE void wo_tile_512(const vc_qweights *q, const int R, const int NB, const float *x, float *y,
                                      const int64_t *blk, int nst)
{
    int64_t ng = q->K / q->G, wb = q->K * (q->mode == VC_Q_W8 ? 16 : 8);
    const uint8_t *w[4];
    __m512 acc[8][4], s[4];
    UNROLL
    for (int j = 0; j < NB; j++) w[j] = q->w + blk[j] * wb;
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int j = 0; j < NB; j++) acc[r][j] = _mm512_setzero_ps();
    for (int64_t g = 0; g < ng; g++) {
        UNROLL
        for (int j = 0; j < NB; j++) s[j] = _mm512_loadu_ps(q->scales + (blk[j] * ng + g) * 16);
        wo_group_512(q, R, NB, x, g * q->G, w, s, acc);
    }
    UNROLL
    for (int r = 0; r < R; r++)
        for (int j = 0; j < nst; j++) store_512(q, blk[j], acc[r][j], y + r * q->N);
}

/* One row (a decoder step) takes 4 blocks at a time: 4 independent FMA chains hide the
 * FMA latency that 2 would wait on. An element's value does not depend on the tile. */
TARGET_AVX512 static void wo_blocks_512(const vc_qweights *q, int64_t M, const float *X, float *Y, int64_t b0,
                                        int64_t b1)
{
    int nb = M == 1 ? 4 : 2;
    for (int64_t b = b0; b < b1; b += nb) {
        int64_t blk[4];
        int nst = (int)min64(nb, b1 - b);
        for (int j = 0; j < 4; j++) blk[j] = b + min64(j, nst - 1);
        if (M == 1) {
            wo_tile_512(q, 1, 4, X, Y, blk, nst);
            continue;
        }
        for (int64_t m = 0; m < M; m += 8) {
            const float *x = X + m * q->K;
            float *y = Y + m * q->N;
            switch (min64(8, M - m)) {
            case 1: wo_tile_512(q, 1, 2, x, y, blk, nst); break;
            case 2: wo_tile_512(q, 2, 2, x, y, blk, nst); break;
            case 3: wo_tile_512(q, 3, 2, x, y, blk, nst); break;
            case 4: wo_tile_512(q, 4, 2, x, y, blk, nst); break;
            case 5: wo_tile_512(q, 5, 2, x, y, blk, nst); break;
            case 6: wo_tile_512(q, 6, 2, x, y, blk, nst); break;
            case 7: wo_tile_512(q, 7, 2, x, y, blk, nst); break;
            default: wo_tile_512(q, 8, 2, x, y, blk, nst); break;
            }
        }
    }
}

/* ---- weight-only, AVX2 + FMA: one block = two halves of 8 columns ---- */

TARGET_AVX2 INLINE __m256 deq8_256(const uint8_t *p, __m256 s)
{
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p))), s);
}

TARGET_AVX2 INLINE void deq4_256(const uint8_t *p, __m256 s, __m256 *lo, __m256 *hi)
{
    __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)), eight = _mm256_set1_epi32(8);
    *lo = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(v, _mm256_set1_epi32(15)), eight)), s);
    *hi = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(v, 4), eight)), s);
}

TARGET_AVX2 INLINE void wo_group_256(const vc_qweights *q, const int R, const float *x, int64_t k0,
                                     const uint8_t *w, const __m256 *s, __m256 (*acc)[2])
{
    if (q->mode == VC_Q_W8) {
        for (int64_t k = k0; k < k0 + q->G; k++) {
            __m256 w0 = deq8_256(w + k * 16, s[0]), w1 = deq8_256(w + k * 16 + 8, s[1]);
            UNROLL
            for (int r = 0; r < R; r++) {
                __m256 xv = _mm256_set1_ps(x[r * q->K + k]);
                acc[r][0] = _mm256_fmadd_ps(xv, w0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(xv, w1, acc[r][1]);
            }
        }
        return;
    }
    for (int64_t k = k0; k < k0 + q->G; k += 2) {
        __m256 l0, h0, l1, h1;
        deq4_256(w + k * 8, s[0], &l0, &h0);
        deq4_256(w + k * 8 + 8, s[1], &l1, &h1);
        UNROLL
        for (int r = 0; r < R; r++) {
            __m256 xa = _mm256_set1_ps(x[r * q->K + k]), xb = _mm256_set1_ps(x[r * q->K + k + 1]);
            acc[r][0] = _mm256_fmadd_ps(xb, h0, _mm256_fmadd_ps(xa, l0, acc[r][0]));
            acc[r][1] = _mm256_fmadd_ps(xb, h1, _mm256_fmadd_ps(xa, l1, acc[r][1]));
        }
    }
}

/* Store 16 columns of block b from two halves, adding the bias; only valid columns. */
static void store_cols(const vc_qweights *q, int64_t b, const float *t, float *y)
{
    int nv = valid_cols(q, b);
    for (int c = 0; c < nv; c++) {
        float v = t[c];
        if (q->bias) v = v + q->bias[b * VC_QBLOCK + c];
        y[b * VC_QBLOCK + c] = v;
    }
}

TARGET_AVX2 INLINE void wo_tile_256(const vc_qweights *q, const int R, const float *x, float *y, int64_t b)
{
    int64_t ng = q->K / q->G;
    const uint8_t *w = q->w + b * q->K * (q->mode == VC_Q_W8 ? 16 : 8);
    __m256 acc[4][2];
    UNROLL
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int64_t g = 0; g < ng; g++) {
        const float *sp = q->scales + (b * ng + g) * 16;
        __m256 s[2] = {_mm256_loadu_ps(sp), _mm256_loadu_ps(sp + 8)};
        wo_group_256(q, R, x, g * q->G, w, s, acc);
    }
    float t[16];
    UNROLL
    for (int r = 0; r < R; r++) {
        _mm256_storeu_ps(t, acc[r][0]);
        _mm256_storeu_ps(t + 8, acc[r][1]);
        store_cols(q, b, t, y + r * q->N);
    }
}

TARGET_AVX2 static void wo_blocks_256(const vc_qweights *q, int64_t M, const float *X, float *Y, int64_t b0,
                                      int64_t b1)
{
    for (int64_t b = b0; b < b1; b++)
        for (int64_t m = 0; m < M; m += 4) {
            const float *x = X + m * q->K;
            float *y = Y + m * q->N;
            switch (min64(4, M - m)) {
            case 1: wo_tile_256(q, 1, x, y, b); break;
            case 2: wo_tile_256(q, 2, x, y, b); break;
            case 3: wo_tile_256(q, 3, x, y, b); break;
            default: wo_tile_256(q, 4, x, y, b); break;
            }
        }
}

/* ---- 8da, AVX-512 VNNI ---- */

TARGET_VNNI512 INLINE void da_group_512(const vc_qweights *q, const int R, const uint8_t *xq, int64_t k0,
                                        const uint8_t *const *w, __m512i (*acc)[2])
{
    if (q->mode == VC_Q_8DA8W) {
        for (int64_t k = k0; k < k0 + q->G; k += 4) {
            __m512i w0 = _mm512_loadu_si512(w[0] + k * 16), w1 = _mm512_loadu_si512(w[1] + k * 16);
            UNROLL
            for (int r = 0; r < R; r++) {
                __m512i xv = _mm512_set1_epi32(load4(xq + r * q->K + k));
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], xv, w0);
                acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], xv, w1);
            }
        }
        return;
    }
    const __m512i nib = _mm512_set1_epi8(15), eight = _mm512_set1_epi8(8);
    for (int64_t k = k0; k < k0 + q->G; k += 8) {
        __m512i v0 = _mm512_loadu_si512(w[0] + k * 8), v1 = _mm512_loadu_si512(w[1] + k * 8);
        __m512i l0 = _mm512_sub_epi8(_mm512_and_si512(v0, nib), eight);
        __m512i h0 = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(v0, 4), nib), eight);
        __m512i l1 = _mm512_sub_epi8(_mm512_and_si512(v1, nib), eight);
        __m512i h1 = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(v1, 4), nib), eight);
        UNROLL
        for (int r = 0; r < R; r++) {
            __m512i xa = _mm512_set1_epi32(load4(xq + r * q->K + k));
            __m512i xb = _mm512_set1_epi32(load4(xq + r * q->K + k + 4));
            acc[r][0] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc[r][0], xa, l0), xb, h0);
            acc[r][1] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc[r][1], xa, l1), xb, h1);
        }
    }
}

/* tot += scale * f32(acc - zp * wsum), a product then a sum, as the reference does. */
TARGET_VNNI512 INLINE __m512 da_scale_512(__m512 tot, __m512i acc, int32_t zp, const float *s, const int32_t *ws)
{
    __m512i d = _mm512_sub_epi32(acc, _mm512_mullo_epi32(_mm512_set1_epi32(zp), _mm512_loadu_si512(ws)));
    __m512 p = _mm512_mul_ps(_mm512_loadu_ps(s), _mm512_cvtepi32_ps(d));
    return _mm512_add_ps(tot, p);
}

TARGET_VNNI512 INLINE void da_tile_512(const vc_qweights *q, const int R, const vc_qrows *x, const int64_t *blk,
                                       int nst)
{
    int64_t ng = q->K / q->G, wb = q->K * (q->mode == VC_Q_8DA8W ? 16 : 8);
    const uint8_t *w[2] = {q->w + blk[0] * wb, q->w + blk[1] * wb};
    __m512i acc[4][2];
    __m512 tot[4][2];
    UNROLL
    for (int r = 0; r < R; r++) tot[r][0] = tot[r][1] = _mm512_setzero_ps();
    for (int64_t g = 0; g < ng; g++) {
        UNROLL
        for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
        da_group_512(q, R, x->xq, g * q->G, w, acc);
        UNROLL
        for (int r = 0; r < R; r++)
            UNROLL
            for (int j = 0; j < 2; j++) {
                int64_t o = (blk[j] * ng + g) * 16;
                tot[r][j] = da_scale_512(tot[r][j], acc[r][j], x->zp[r], q->scales + o, q->wsum + o);
            }
    }
    UNROLL
    for (int r = 0; r < R; r++)
        for (int j = 0; j < nst; j++)
            store_512(q, blk[j], _mm512_mul_ps(_mm512_set1_ps(x->xs[r]), tot[r][j]), x->y + r * q->N);
}

TARGET_VNNI512 static void da_blocks_512(const vc_qweights *q, int64_t M, const vc_qrows *x, int64_t b0, int64_t b1)
{
    for (int64_t b = b0; b < b1; b += 2) {
        int64_t blk[2] = {b, b + 1 < b1 ? b + 1 : b};
        int nst = b + 1 < b1 ? 2 : 1;
        for (int64_t m = 0; m < M; m += 4) {
            vc_qrows t = {x->xq + m * q->K, x->xs + m, x->zp + m, x->y + m * q->N};
            switch (min64(4, M - m)) {
            case 1: da_tile_512(q, 1, &t, blk, nst); break;
            case 2: da_tile_512(q, 2, &t, blk, nst); break;
            case 3: da_tile_512(q, 3, &t, blk, nst); break;
            default: da_tile_512(q, 4, &t, blk, nst); break;
            }
        }
    }
}

/* ---- 8da, 256-bit: AVX-VNNI and the AVX2 fallback, from one template ---- */

/* acc += the 4-byte dot products of x (u8) and w (s8), exactly. */
TARGET_AVXVNNI INLINE __m256i dot_vnni(__m256i acc, __m256i x, __m256i w) { return _mm256_dpbusd_avx_epi32(acc, x, w); }

TARGET_AVX2 INLINE __m256i dot_avx2(__m256i acc, __m256i x, __m256i w)
{
    const __m256i nib = _mm256_set1_epi8(15);
    __m256i lo = _mm256_and_si256(x, nib), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), nib);
    __m256i pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, w), _mm256_set1_epi16(1));
    __m256i ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, w), _mm256_set1_epi16(16));
    return _mm256_add_epi32(acc, _mm256_add_epi32(pl, ph));
}

TARGET_AVX2 INLINE __m256 da_scale_256(__m256 tot, __m256i acc, int32_t zp, const float *s, const int32_t *ws)
{
    __m256i d = _mm256_sub_epi32(acc, _mm256_mullo_epi32(_mm256_set1_epi32(zp), _mm256_loadu_si256((const __m256i *)ws)));
    __m256 p = _mm256_mul_ps(_mm256_loadu_ps(s), _mm256_cvtepi32_ps(d));
    return _mm256_add_ps(tot, p);
}

#define LOAD256(p) _mm256_loadu_si256((const __m256i *)(p))

#define DA_256(NAME, TARGET, DOT)                                                                     \
    TARGET INLINE void NAME##_group(const vc_qweights *q, const int R, const uint8_t *xq, int64_t k0,  \
                                    const uint8_t *w, __m256i (*acc)[2])                               \
    {                                                                                                  \
        if (q->mode == VC_Q_8DA8W) {                                                                   \
            for (int64_t k = k0; k < k0 + q->G; k += 4) {                                              \
                __m256i w0 = LOAD256(w + k * 16), w1 = LOAD256(w + k * 16 + 32);                        \
                UNROLL                                                                                 \
                for (int r = 0; r < R; r++) {                                                          \
                    __m256i xv = _mm256_set1_epi32(load4(xq + r * q->K + k));                          \
                    acc[r][0] = DOT(acc[r][0], xv, w0);                                                \
                    acc[r][1] = DOT(acc[r][1], xv, w1);                                                \
                }                                                                                      \
            }                                                                                          \
            return;                                                                                    \
        }                                                                                              \
        const __m256i nib = _mm256_set1_epi8(15), eight = _mm256_set1_epi8(8);                         \
        for (int64_t k = k0; k < k0 + q->G; k += 8) {                                                  \
            __m256i v0 = LOAD256(w + k * 8), v1 = LOAD256(w + k * 8 + 32);                              \
            __m256i l0 = _mm256_sub_epi8(_mm256_and_si256(v0, nib), eight);                            \
            __m256i h0 = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(v0, 4), nib), eight);      \
            __m256i l1 = _mm256_sub_epi8(_mm256_and_si256(v1, nib), eight);                            \
            __m256i h1 = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(v1, 4), nib), eight);      \
            UNROLL                                                                                     \
            for (int r = 0; r < R; r++) {                                                              \
                __m256i xa = _mm256_set1_epi32(load4(xq + r * q->K + k));                              \
                __m256i xb = _mm256_set1_epi32(load4(xq + r * q->K + k + 4));                          \
                acc[r][0] = DOT(DOT(acc[r][0], xa, l0), xb, h0);                                       \
                acc[r][1] = DOT(DOT(acc[r][1], xa, l1), xb, h1);                                       \
            }                                                                                          \
        }                                                                                              \
    }                                                                                                  \
    TARGET INLINE void NAME##_tile(const vc_qweights *q, const int R, const vc_qrows *x, int64_t b)     \
    {                                                                                                  \
        int64_t ng = q->K / q->G;                                                                      \
        const uint8_t *w = q->w + b * q->K * (q->mode == VC_Q_8DA8W ? 16 : 8);                         \
        __m256i acc[2][2];                                                                             \
        __m256 tot[2][2];                                                                              \
        UNROLL                                                                                         \
        for (int r = 0; r < R; r++) tot[r][0] = tot[r][1] = _mm256_setzero_ps();                       \
        for (int64_t g = 0; g < ng; g++) {                                                             \
            UNROLL                                                                                     \
            for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();               \
            NAME##_group(q, R, x->xq, g * q->G, w, acc);                                               \
            int64_t o = (b * ng + g) * 16;                                                             \
            UNROLL                                                                                     \
            for (int r = 0; r < R; r++) {                                                              \
                tot[r][0] = da_scale_256(tot[r][0], acc[r][0], x->zp[r], q->scales + o, q->wsum + o);  \
                tot[r][1] = da_scale_256(tot[r][1], acc[r][1], x->zp[r], q->scales + o + 8,            \
                                         q->wsum + o + 8);                                             \
            }                                                                                          \
        }                                                                                              \
        float t[16];                                                                                   \
        UNROLL                                                                                         \
        for (int r = 0; r < R; r++) {                                                                  \
            __m256 xs = _mm256_set1_ps(x->xs[r]);                                                      \
            _mm256_storeu_ps(t, _mm256_mul_ps(xs, tot[r][0]));                                         \
            _mm256_storeu_ps(t + 8, _mm256_mul_ps(xs, tot[r][1]));                                     \
            store_cols(q, b, t, x->y + r * q->N);                                                      \
        }                                                                                              \
    }                                                                                                  \
    TARGET static void NAME##_blocks(const vc_qweights *q, int64_t M, const vc_qrows *x, int64_t b0,   \
                                     int64_t b1)                                                       \
    {                                                                                                  \
        for (int64_t b = b0; b < b1; b++)                                                              \
            for (int64_t m = 0; m < M; m += 2) {                                                       \
                vc_qrows t = {x->xq + m * q->K, x->xs + m, x->zp + m, x->y + m * q->N};                \
                if (M - m >= 2) NAME##_tile(q, 2, &t, b);                                              \
                else NAME##_tile(q, 1, &t, b);                                                         \
            }                                                                                          \
    }

DA_256(da_vnni256, TARGET_AVXVNNI, dot_vnni)
DA_256(da_avx2, TARGET_AVX2, dot_avx2)

/* ---- activation rows to u8 (vc_qact_row's values, lane by lane) ----
 *
 * min / max as the reference compares: lane = x < lane ? x : lane, which is what
 * vminps(x, lane) does (a NaN x, or x equal to the lane, keeps the lane), so a lane
 * starts at +0 and never becomes -0 or NaN, and the lanes reduce in any order to the
 * reference's lo and hi. Per element: the same f32 division, a rounding in the current
 * mode (nearbyintf), the clamp to +-512 (a NaN becomes -512, which the final clamp
 * takes to 0 as the reference's does), the f32 add of zp and the clamp to [0, 255]. */

TARGET_AVX512 static void qact_512(const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp)
{
    __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 16) {
        __mmask16 m = K - k >= 16 ? 0xFFFF : (__mmask16)((1u << (K - k)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + k); /* zeros past K leave lo and hi as they are */
        lo = _mm512_min_ps(v, lo);
        hi = _mm512_max_ps(v, hi);
    }
    float l[16], h[16], lmin = 0.0f, hmax = 0.0f;
    _mm512_storeu_ps(l, lo);
    _mm512_storeu_ps(h, hi);
    for (int i = 0; i < 16; i++) {
        if (l[i] < lmin) lmin = l[i];
        if (h[i] > hmax) hmax = h[i];
    }
    vc_qact_params(lmin, hmax, xs, zp);
    const __m512 s = _mm512_set1_ps(*xs), z = _mm512_set1_ps((float)*zp);
    const __m512 lim = _mm512_set1_ps(512.0f), top = _mm512_set1_ps(255.0f);
    for (int64_t k = 0; k < K; k += 16) {
        __mmask16 m = K - k >= 16 ? 0xFFFF : (__mmask16)((1u << (K - k)) - 1);
        __m512 r = _mm512_roundscale_ps(_mm512_div_ps(_mm512_maskz_loadu_ps(m, x + k), s),
                                        _MM_FROUND_CUR_DIRECTION | _MM_FROUND_NO_EXC);
        r = _mm512_min_ps(_mm512_max_ps(r, _mm512_sub_ps(_mm512_setzero_ps(), lim)), lim);
        r = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(r, z), _mm512_setzero_ps()), top);
        _mm512_mask_cvtepi32_storeu_epi8(xq + k, m, _mm512_cvtps_epi32(r));
    }
}

TARGET_AVX2 INLINE __m256 qact_256(__m256 v, __m256 s, __m256 z)
{
    const __m256 lim = _mm256_set1_ps(512.0f), top = _mm256_set1_ps(255.0f), zero = _mm256_setzero_ps();
    __m256 r = _mm256_round_ps(_mm256_div_ps(v, s), _MM_FROUND_CUR_DIRECTION | _MM_FROUND_NO_EXC);
    r = _mm256_min_ps(_mm256_max_ps(r, _mm256_sub_ps(zero, lim)), lim);
    return _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(r, z), zero), top);
}

/* 8 values of 0..255 held as f32 to bytes. */
TARGET_AVX2 INLINE void store8_256(uint8_t *p, __m256 r)
{
    __m256i i = _mm256_cvtps_epi32(r);
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
    _mm_storel_epi64((__m128i *)p, _mm_packus_epi16(w, w));
}

TARGET_AVX2 static void qact_avx2(const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp)
{
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps(), tail = _mm256_setzero_ps();
    int64_t k8 = K & ~(int64_t)7;
    float t[8] = {0}, l[8], h[8], lmin = 0.0f, hmax = 0.0f;
    for (int64_t k = 0; k < k8; k += 8) {
        __m256 v = _mm256_loadu_ps(x + k);
        lo = _mm256_min_ps(v, lo);
        hi = _mm256_max_ps(v, hi);
    }
    if (k8 < K) { /* the last values, padded with zeros (which leave lo and hi as they are) */
        memcpy(t, x + k8, sizeof(float) * (size_t)(K - k8));
        tail = _mm256_loadu_ps(t);
        lo = _mm256_min_ps(tail, lo);
        hi = _mm256_max_ps(tail, hi);
    }
    _mm256_storeu_ps(l, lo);
    _mm256_storeu_ps(h, hi);
    for (int i = 0; i < 8; i++) {
        if (l[i] < lmin) lmin = l[i];
        if (h[i] > hmax) hmax = h[i];
    }
    vc_qact_params(lmin, hmax, xs, zp);
    const __m256 s = _mm256_set1_ps(*xs), z = _mm256_set1_ps((float)*zp);
    for (int64_t k = 0; k < k8; k += 8) store8_256(xq + k, qact_256(_mm256_loadu_ps(x + k), s, z));
    if (k8 < K) {
        uint8_t b[8];
        store8_256(b, qact_256(tail, s, z));
        memcpy(xq + k8, b, (size_t)(K - k8));
    }
}

int vc_x86_qact_row(vc_isa isa, const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp)
{
    if (isa == VC_ISA_AVX512) qact_512(x, K, xq, xs, zp);
    else if (isa == VC_ISA_AVX2) qact_avx2(x, K, xq, xs, zp);
    else return 0;
    return 1;
}

/* ---- dequantization of weight-only codes into f32 panels (qgemm_panel.c) ---- */

TARGET_AVX512 static void deq16_512(int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld)
{
    const __m512 sv = _mm512_loadu_ps(s);
    if (!w4) {
        for (int64_t r = 0; r < rows; r++) _mm512_storeu_ps(d + r * ld, deq8_512(w + r * 16, sv));
        return;
    }
    for (int64_t r = 0; r + 1 < rows; r += 2) {
        __m512 lo, hi;
        deq4_512(w + r * 8, sv, &lo, &hi);
        _mm512_storeu_ps(d + r * ld, lo);
        _mm512_storeu_ps(d + (r + 1) * ld, hi);
    }
}

TARGET_AVX2 static void deq16_256(int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld)
{
    const __m256 s0 = _mm256_loadu_ps(s), s1 = _mm256_loadu_ps(s + 8);
    if (!w4) {
        for (int64_t r = 0; r < rows; r++) {
            _mm256_storeu_ps(d + r * ld, deq8_256(w + r * 16, s0));
            _mm256_storeu_ps(d + r * ld + 8, deq8_256(w + r * 16 + 8, s1));
        }
        return;
    }
    for (int64_t r = 0; r + 1 < rows; r += 2) {
        __m256 l0, h0, l1, h1;
        deq4_256(w + r * 8, s0, &l0, &h0);
        deq4_256(w + r * 8 + 8, s1, &l1, &h1);
        _mm256_storeu_ps(d + r * ld, l0);
        _mm256_storeu_ps(d + r * ld + 8, l1);
        _mm256_storeu_ps(d + (r + 1) * ld, h0);
        _mm256_storeu_ps(d + (r + 1) * ld + 8, h1);
    }
}

int vc_x86_qdeq16(vc_isa isa, int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld)
{
    if (isa == VC_ISA_AVX512) deq16_512(w4, w, s, rows, d, ld);
    else if (isa == VC_ISA_AVX2) deq16_256(w4, w, s, rows, d, ld);
    else return 0;
    return 1;
}

int vc_x86_qpath_supported(vc_qpath p, int dynamic)
{
    const qfeatures *f = features();
    switch (p) {
    case VC_QPATH_AVX2: return vc_isa_supported(VC_ISA_AVX2);
    case VC_QPATH_AVX512: return !dynamic && vc_isa_supported(VC_ISA_AVX512);
    case VC_QPATH_AVXVNNI: return dynamic && f->avxvnni;
    case VC_QPATH_AVX512VNNI: return dynamic && f->vnni512;
    default: return 0;
    }
}

vc_qpath vc_x86_qpath_active(int dynamic)
{
    vc_isa isa = vc_isa_active();
    const qfeatures *f = features();
    if (isa == VC_ISA_C) return VC_QPATH_C;
    if (!dynamic) return isa >= VC_ISA_AVX512 ? VC_QPATH_AVX512 : VC_QPATH_AVX2;
    if (!f->vnni_off && isa >= VC_ISA_AVX512 && f->vnni512) return VC_QPATH_AVX512VNNI;
    if (!f->vnni_off && f->avxvnni) return VC_QPATH_AVXVNNI;
    return VC_QPATH_AVX2;
}

int vc_x86_qgemm_run(vc_qpath p, const vc_qweights *q, int64_t M, const float *X, const vc_qrows *x, int64_t b0,
                     int64_t b1)
{
    int dyn = vc_qmode_dynamic(q->mode);
    if (!dyn && p == VC_QPATH_AVX512) wo_blocks_512(q, M, X, x->y, b0, b1);
    else if (!dyn && p == VC_QPATH_AVX2) wo_blocks_256(q, M, X, x->y, b0, b1);
    else if (dyn && p == VC_QPATH_AVX512VNNI) da_blocks_512(q, M, x, b0, b1);
    else if (dyn && p == VC_QPATH_AVXVNNI) da_vnni256_blocks(q, M, x, b0, b1);
    else if (dyn && p == VC_QPATH_AVX2) da_avx2_blocks(q, M, x, b0, b1);
    else return 0;
    return 1;
}

#endif
