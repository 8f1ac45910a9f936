/* x86-64 variants of the GEMM's dot kernel (vc_dot_fn in cpu.h) and of its packed-path
 * micro-kernel (vc_gemm_fn), with the transposing packer the latter uses (vc_pack_fn).
 *
 * Dot kernels: AVX2 + FMA with 8 accumulators of 8 floats, AVX-512F with 16 accumulators
 * of 16 floats.
 *
 * Each accumulator holds the lanes of one dot product along K; a tile is M rows of A by
 * N = lanes / M columns of B, so every load of a B column feeds M FMAs and every load of
 * an A row N FMAs (M = 4 is the Conv-on-4-frames case, M = 1 an LSTM step). The K tail
 * is read with masked loads (nothing past k is touched). The lanes are reduced once per
 * tile by a transposing tree that leaves the whole tile in one vector, in row order.
 * A last partial tile is shifted back to end at column n (recomputing a few columns,
 * which store the same values again) so that tiles never need a column edge case; only
 * n below one tile's width reads the last column repeatedly.
 *
 * Packed micro-kernels: AVX-512F 12 x 32 and AVX2 6 x 16 tiles of C, every accumulator a
 * register, one broadcast of A and one FMA per accumulator per step of K; each also in a
 * form that broadcasts from A's rows where they are (vc_gemm_rows_fn), which saves
 * packing A (5% of a Whisper encoder) for the same bits. They always
 * compute the whole tile (the packing zero-pads edges); edge tiles are cut at the store:
 * masked stores along a contiguous row of C, a temporary tile and scalar stores when C's
 * columns are strided (csc != 1, e.g. C written transposed), which is slower. On large
 * products they reach about 85% of the FMA peak of a register-only loop on the same core
 * (AVX-512 ~117 of ~140 GFLOP/s, AVX2 ~70 of ~83 on a 2 GHz Sapphire Rapids VM).
 *
 * Functions carry __attribute__((target)): the file compiles with the baseline flags and
 * these run only after vc_isa_supported said yes. Off x86-64 (or with a compiler other
 * than gcc and clang) the file compiles to nothing; cpu.c's lookups then never ask it. */
#include "cpu.h"

#if VC_CPU_X86

#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f")))
/* Fully unroll the loop that follows (all have small constant bounds): gcc at -O2 would
 * otherwise keep the accumulator arrays in memory. */
#define UNROLL _Pragma("GCC unroll 16")

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

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

/* Panel of M rows, generated per M so that M and N are constants: the loops unroll and
 * the accumulators stay in registers. */
#define DOT_AVX2(M)                                                                        \
    TARGET_AVX2 static void dot_avx2_##M(int64_t k, const float *const *a, const float *b, \
                                         int64_t ldb, int64_t n, float *t, int64_t ldt)    \
    {                                                                                      \
        enum { N = 8 / M };                                                                \
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k & 7)),          \
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); \
        for (int64_t j = 0; j < n; j += N) {                                               \
            int64_t j0 = j + N <= n || n < N ? j : n - N;                                  \
            const float *bq[N];                                                            \
            __m256 c[8], av[M];                                                            \
            UNROLL                                                                         \
            for (int q = 0; q < N; q++) bq[q] = b + min64(j0 + q, n - 1) * ldb;            \
            UNROLL                                                                         \
            for (int q = 0; q < 8; q++) c[q] = _mm256_setzero_ps();                        \
            int64_t p = 0;                                                                 \
            for (; p + 8 <= k; p += 8) {                                                   \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++) av[i] = _mm256_loadu_ps(a[i] + p);             \
                UNROLL                                                                     \
                for (int q = 0; q < N; q++) {                                              \
                    __m256 bv = _mm256_loadu_ps(bq[q] + p);                                \
                    UNROLL                                                                 \
                    for (int i = 0; i < M; i++)                                            \
                        c[i * N + q] = _mm256_fmadd_ps(av[i], bv, c[i * N + q]);           \
                }                                                                          \
            }                                                                              \
            if (p < k) {                                                                   \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++) av[i] = _mm256_maskload_ps(a[i] + p, mask);    \
                UNROLL                                                                     \
                for (int q = 0; q < N; q++) {                                              \
                    __m256 bv = _mm256_maskload_ps(bq[q] + p, mask);                       \
                    UNROLL                                                                 \
                    for (int i = 0; i < M; i++)                                            \
                        c[i * N + q] = _mm256_fmadd_ps(av[i], bv, c[i * N + q]);           \
                }                                                                          \
            }                                                                              \
            float tile[8];                                                                 \
            _mm256_storeu_ps(tile, hsum8(c));                                              \
            int64_t w = min64(N, n - j0);                                                  \
            UNROLL                                                                         \
            for (int i = 0; i < M; i++)                                                    \
                for (int64_t q = 0; q < w; q++) t[i * ldt + j0 + q] = tile[i * N + q];     \
        }                                                                                  \
    }
DOT_AVX2(1)
DOT_AVX2(2)
DOT_AVX2(4)

TARGET_AVX2 static void dot_avx2(int64_t k, int m, const float *const *a, const float *b,
                                 int64_t ldb, int64_t n, float *t, int64_t ldt)
{
    if (m == 4)
        dot_avx2_4(k, a, b, ldb, n, t, ldt);
    else if (m == 2)
        dot_avx2_2(k, a, b, ldb, n, t, ldt);
    else
        dot_avx2_1(k, a, b, ldb, n, t, ldt);
}

/* ---- AVX-512F: tiles 4 x 4, 2 x 8, 1 x 16 ---- */

/* Lane 4k + r of the result is the sum of the 16 lanes of c[4r + k]. Three levels, each
 * halving the vectors: 512-bit halves, then 256-bit quarter pairs, then within 128 bits. */
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

/* Accumulator of tile element (i, q): placed so that hsum16 returns the tile in order. */
#define ACC512(i, q) (4 * (((i) * N + (q)) & 3) + (((i) * N + (q)) >> 2))

/* One row of a finished tile into t: N contiguous floats when the tile is whole. */
#define STORE_ROW512(dst, src)                                                             \
    do {                                                                                   \
        if (N == 16)                                                                       \
            _mm512_storeu_ps(dst, _mm512_loadu_ps(src));                                   \
        else if (N == 8)                                                                   \
            _mm256_storeu_ps(dst, _mm256_loadu_ps(src));                                   \
        else                                                                               \
            _mm_storeu_ps(dst, _mm_loadu_ps(src));                                         \
    } while (0)

#define DOT_AVX512(M)                                                                      \
    TARGET_AVX512 static void dot_avx512_##M(int64_t k, const float *const *a,            \
                                             const float *b, int64_t ldb, int64_t n,       \
                                             float *t, int64_t ldt)                        \
    {                                                                                      \
        enum { N = 16 / M };                                                               \
        const __mmask16 mask = (__mmask16)((1u << (k & 15)) - 1u);                         \
        for (int64_t j = 0; j < n; j += N) {                                               \
            int64_t j0 = j + N <= n || n < N ? j : n - N;                                  \
            const float *bq[N];                                                            \
            __m512 c[16], av[M];                                                           \
            UNROLL                                                                         \
            for (int q = 0; q < N; q++) bq[q] = b + min64(j0 + q, n - 1) * ldb;            \
            UNROLL                                                                         \
            for (int q = 0; q < 16; q++) c[q] = _mm512_setzero_ps();                       \
            int64_t p = 0;                                                                 \
            for (; p + 16 <= k; p += 16) {                                                 \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++) av[i] = _mm512_loadu_ps(a[i] + p);             \
                UNROLL                                                                     \
                for (int q = 0; q < N; q++) {                                              \
                    __m512 bv = _mm512_loadu_ps(bq[q] + p);                                \
                    UNROLL                                                                 \
                    for (int i = 0; i < M; i++)                                            \
                        c[ACC512(i, q)] = _mm512_fmadd_ps(av[i], bv, c[ACC512(i, q)]);     \
                }                                                                          \
            }                                                                              \
            if (p < k) {                                                                   \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++) av[i] = _mm512_maskz_loadu_ps(mask, a[i] + p); \
                UNROLL                                                                     \
                for (int q = 0; q < N; q++) {                                              \
                    __m512 bv = _mm512_maskz_loadu_ps(mask, bq[q] + p);                    \
                    UNROLL                                                                 \
                    for (int i = 0; i < M; i++)                                            \
                        c[ACC512(i, q)] = _mm512_fmadd_ps(av[i], bv, c[ACC512(i, q)]);     \
                }                                                                          \
            }                                                                              \
            float tile[16];                                                                \
            _mm512_storeu_ps(tile, hsum16(c));                                             \
            if (n >= N) {                                                                  \
                UNROLL                                                                     \
                for (int i = 0; i < M; i++) STORE_ROW512(t + i * ldt + j0, tile + i * N);  \
            } else {                                                                       \
                for (int i = 0; i < M; i++)                                                \
                    for (int64_t q = 0; q < n; q++) t[i * ldt + q] = tile[i * N + q];      \
            }                                                                              \
        }                                                                                  \
    }
DOT_AVX512(1)
DOT_AVX512(2)
DOT_AVX512(4)

TARGET_AVX512 static void dot_avx512(int64_t k, int m, const float *const *a, const float *b,
                                     int64_t ldb, int64_t n, float *t, int64_t ldt)
{
    if (m == 4)
        dot_avx512_4(k, a, b, ldb, n, t, ldt);
    else if (m == 2)
        dot_avx512_2(k, a, b, ldb, n, t, ldt);
    else
        dot_avx512_1(k, a, b, ldb, n, t, ldt);
}

vc_dot_kernel vc_x86_dot_kernel(vc_isa isa)
{
    vc_dot_kernel k = {NULL, 0};
    if (isa == VC_ISA_AVX512) k = (vc_dot_kernel){dot_avx512, 16};
    if (isa == VC_ISA_AVX2) k = (vc_dot_kernel){dot_avx2, 8};
    return k;
}

/* ---- Packed-path micro-kernels (vc_gemm_fn in cpu.h) ---- */

/* Block sizes, measured on a 2-core Sapphire Rapids VM (L1d 48 KiB, L2 2 MiB): a sliver of
 * A (mr x KC) stays in L1 while the KC x NC block of B (1.5 MiB) streams from L2 through
 * it. KC 256 to 512 with NC 512 to 1024 were all within noise; NC 2048 (a block past L2)
 * lost 5-20% on N = 4096. */
enum { GEMM_KC = 384, GEMM_NC = 1024 };

/* C(i, j) = alpha * t[i * nr + j] + beta * C(i, j) for i < m, j < n, one element at a
 * time: the tiles of a C whose columns are not contiguous (csc != 1). */
static void put_tile_strided(const float *t, int nr, int m, int n, float alpha, float beta,
                             float *c, int64_t rsc, int64_t csc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float *x = c + i * rsc + j * csc;
            *x = beta == 0.0f ? alpha * t[i * nr + j] : alpha * t[i * nr + j] + beta * *x;
        }
}

/* vc_pack_fn: 4 x 4 blocks transposed with SSE (baseline x86-64), edges one element at a
 * time. Packing A with a plain C loop took 16% of a 1500 x 384 x 384 product, this 9%
 * (then bound by reading A from L3). */
static void pack_rows_sse(int64_t kc, int m, int mr, const float *src, int64_t lds, float *dst)
{
    int i = 0;
    for (; i + 4 <= m; i += 4) {
        const float *s0 = src + i * lds, *s1 = s0 + lds, *s2 = s1 + lds, *s3 = s2 + lds;
        int64_t p = 0;
        for (; p + 4 <= kc; p += 4) {
            __m128 r0 = _mm_loadu_ps(s0 + p), r1 = _mm_loadu_ps(s1 + p);
            __m128 r2 = _mm_loadu_ps(s2 + p), r3 = _mm_loadu_ps(s3 + p);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            float *d = dst + p * mr + i;
            _mm_storeu_ps(d, r0);
            _mm_storeu_ps(d + mr, r1);
            _mm_storeu_ps(d + 2 * mr, r2);
            _mm_storeu_ps(d + 3 * mr, r3);
        }
        for (; p < kc; p++) {
            float *d = dst + p * mr + i;
            d[0] = s0[p], d[1] = s1[p], d[2] = s2[p], d[3] = s3[p];
        }
    }
    for (; i < m; i++)
        for (int64_t p = 0; p < kc; p++) dst[p * mr + i] = src[i * lds + p];
    for (; i < mr; i++)
        for (int64_t p = 0; p < kc; p++) dst[p * mr + i] = 0.0f;
}

/* C's rows are needed only at the end of a tile, and are often cold (written once): start
 * fetching them before the K loop. */
static inline void prefetch_c(const float *c, int64_t rsc, int m, int nr)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < nr; j += 16) _mm_prefetch((const char *)(c + i * rsc + j), _MM_HINT_T0);
}

/* ---- AVX-512F: 12 x 32 tiles, 24 accumulators ---- */

/* 12 x 32 beat 14 x 32, 8 x 48 and 6 x 64 by 3-10% here (6 x 64 by 25% at N = 4096): 24
 * FMAs per step of K for 2 loads of B and 12 broadcasts of A, 5 registers to spare. */
enum { R512 = 12, V512 = 2, NR512 = 16 * V512 };

TARGET_AVX512 static inline void put_row512(float *c, __m512 v, __mmask16 k, float alpha,
                                            float beta)
{
    __m512 r = _mm512_mul_ps(_mm512_set1_ps(alpha), v);
    if (beta != 0.0f) r = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(k, c), r);
    _mm512_mask_storeu_ps(c, k, r);
}

/* Rows below m and columns below n of the tile into C: masked vector stores along a
 * contiguous row, else through a temporary tile. */
TARGET_AVX512 static inline void put_tile512(__m512 acc[R512][V512], float alpha, float beta,
                                             float *c, int64_t rsc, int64_t csc, int m, int n)
{
    if (csc == 1) {
        __mmask16 k[V512];
        UNROLL
        for (int v = 0; v < V512; v++) {
            int w = n - 16 * v;
            k[v] = (__mmask16)(w >= 16 ? 0xFFFFu : w <= 0 ? 0u : (1u << w) - 1u);
        }
        UNROLL
        for (int i = 0; i < R512; i++) {
            if (i >= m) break;
            UNROLL
            for (int v = 0; v < V512; v++)
                put_row512(c + i * rsc + 16 * v, acc[i][v], k[v], alpha, beta);
        }
        return;
    }
    float t[R512 * NR512];
    UNROLL
    for (int i = 0; i < R512; i++) {
        UNROLL
        for (int v = 0; v < V512; v++) _mm512_storeu_ps(t + i * NR512 + 16 * v, acc[i][v]);
    }
    put_tile_strided(t, NR512, m, n, alpha, beta, c, rsc, csc);
}

/* The tile's first `rows` rows (a constant wherever this is inlined). The last sliver of
 * a product whose rows are not a multiple of 12 skips the FMAs of its padding: a 50-row
 * product spent a fifth of its time on its 2-row tail. Each accumulator sums over K in
 * the same order whatever rows is, so the bits are the full tile's. */
TARGET_AVX512 static inline __attribute__((always_inline)) void
tile_avx512(int rows, int64_t kc, const float *a, const float *b, int64_t bs, float alpha,
            float beta, float *c, int64_t rsc, int64_t csc, int m, int n)
{
    __m512 acc[R512][V512];
    UNROLL
    for (int i = 0; i < R512; i++) {
        UNROLL
        for (int v = 0; v < V512; v++) acc[i][v] = _mm512_setzero_ps();
    }
    prefetch_c(c, rsc, csc == 1 ? m : 0, NR512);
    for (int64_t p = 0; p < kc; p++) {
        __m512 bv[V512];
        UNROLL
        for (int v = 0; v < V512; v++) bv[v] = _mm512_loadu_ps(b + p * bs + 16 * v);
        UNROLL
        for (int i = 0; i < R512; i++) {
            if (i >= rows) break;
            __m512 ai = _mm512_set1_ps(a[p * R512 + i]);
            UNROLL
            for (int v = 0; v < V512; v++) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    put_tile512(acc, alpha, beta, c, rsc, csc, m, n);
}

TARGET_AVX512 static void gemm_avx512(int64_t kc, const float *a, const float *b, int64_t bs,
                                      float alpha, float beta, float *c, int64_t rsc,
                                      int64_t csc, int m, int n)
{
    if (m <= 4)
        tile_avx512(4, kc, a, b, bs, alpha, beta, c, rsc, csc, m, n);
    else if (m <= 8)
        tile_avx512(8, kc, a, b, bs, alpha, beta, c, rsc, csc, m, n);
    else
        tile_avx512(R512, kc, a, b, bs, alpha, beta, c, rsc, csc, m, n);
}

/* The same reading A's 12 rows in place (vc_gemm_rows_fn): three rows per pointer, at
 * 0, lda and 2 lda from it, which x86 addressing reaches with one index register. */
TARGET_AVX512 static void gemm_avx512_rows(int64_t kc, const float *a, int64_t lda,
                                           const float *b, int64_t bs, float alpha, float beta,
                                           float *c, int64_t rsc, int64_t csc, int n)
{
    __m512 acc[R512][V512];
    UNROLL
    for (int i = 0; i < R512; i++) {
        UNROLL
        for (int v = 0; v < V512; v++) acc[i][v] = _mm512_setzero_ps();
    }
    prefetch_c(c, rsc, csc == 1 ? R512 : 0, NR512);
    const float *r[4] = {a, a + 3 * lda, a + 6 * lda, a + 9 * lda};
    for (int64_t p = 0; p < kc; p++) {
        __m512 bv[V512];
        UNROLL
        for (int v = 0; v < V512; v++) bv[v] = _mm512_loadu_ps(b + p * bs + 16 * v);
        UNROLL
        for (int i = 0; i < R512; i++) {
            __m512 ai = _mm512_set1_ps(r[i / 3][(i % 3) * lda + p]);
            UNROLL
            for (int v = 0; v < V512; v++) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    put_tile512(acc, alpha, beta, c, rsc, csc, R512, n);
}

/* ---- AVX2 + FMA: 6 x 16 tiles, 12 accumulators (of 16 registers) ---- */

enum { R256 = 6, V256 = 2, NR256 = 8 * V256 };

TARGET_AVX2 static inline void put_row256(float *c, __m256 v, __m256i k, float alpha, float beta)
{
    __m256 r = _mm256_mul_ps(_mm256_set1_ps(alpha), v);
    if (beta != 0.0f) r = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_maskload_ps(c, k), r);
    _mm256_maskstore_ps(c, k, r);
}

TARGET_AVX2 static inline void put_tile256(__m256 acc[R256][V256], float alpha, float beta,
                                           float *c, int64_t rsc, int64_t csc, int m, int n)
{
    if (csc == 1) {
        const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i k[V256];
        UNROLL
        for (int v = 0; v < V256; v++)
            k[v] = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8 * v), iota);
        UNROLL
        for (int i = 0; i < R256; i++) {
            if (i >= m) break;
            UNROLL
            for (int v = 0; v < V256; v++)
                put_row256(c + i * rsc + 8 * v, acc[i][v], k[v], alpha, beta);
        }
        return;
    }
    float t[R256 * NR256];
    UNROLL
    for (int i = 0; i < R256; i++) {
        UNROLL
        for (int v = 0; v < V256; v++) _mm256_storeu_ps(t + i * NR256 + 8 * v, acc[i][v]);
    }
    put_tile_strided(t, NR256, m, n, alpha, beta, c, rsc, csc);
}

TARGET_AVX2 static void gemm_avx2(int64_t kc, const float *a, const float *b, int64_t bs,
                                  float alpha, float beta, float *c, int64_t rsc, int64_t csc,
                                  int m, int n)
{
    __m256 acc[R256][V256];
    UNROLL
    for (int i = 0; i < R256; i++) {
        UNROLL
        for (int v = 0; v < V256; v++) acc[i][v] = _mm256_setzero_ps();
    }
    prefetch_c(c, rsc, csc == 1 ? m : 0, NR256);
    for (int64_t p = 0; p < kc; p++) {
        __m256 bv[V256];
        UNROLL
        for (int v = 0; v < V256; v++) bv[v] = _mm256_loadu_ps(b + p * bs + 8 * v);
        UNROLL
        for (int i = 0; i < R256; i++) {
            __m256 ai = _mm256_broadcast_ss(a + p * R256 + i);
            UNROLL
            for (int v = 0; v < V256; v++) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    put_tile256(acc, alpha, beta, c, rsc, csc, m, n);
}

/* The same reading A's 6 rows in place: two pointers, rows at 0, lda, 2 lda from each. */
TARGET_AVX2 static void gemm_avx2_rows(int64_t kc, const float *a, int64_t lda, const float *b,
                                       int64_t bs, float alpha, float beta, float *c,
                                       int64_t rsc, int64_t csc, int n)
{
    __m256 acc[R256][V256];
    UNROLL
    for (int i = 0; i < R256; i++) {
        UNROLL
        for (int v = 0; v < V256; v++) acc[i][v] = _mm256_setzero_ps();
    }
    prefetch_c(c, rsc, csc == 1 ? R256 : 0, NR256);
    const float *r[2] = {a, a + 3 * lda};
    for (int64_t p = 0; p < kc; p++) {
        __m256 bv[V256];
        UNROLL
        for (int v = 0; v < V256; v++) bv[v] = _mm256_loadu_ps(b + p * bs + 8 * v);
        UNROLL
        for (int i = 0; i < R256; i++) {
            __m256 ai = _mm256_broadcast_ss(&r[i / 3][(i % 3) * lda + p]);
            UNROLL
            for (int v = 0; v < V256; v++) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    put_tile256(acc, alpha, beta, c, rsc, csc, R256, n);
}

vc_gemm_kernel vc_x86_gemm_kernel(vc_isa isa)
{
    vc_gemm_kernel k = {NULL, NULL, 0, 0, 0, 0, NULL};
    if (isa == VC_ISA_AVX512)
        k = (vc_gemm_kernel){gemm_avx512, pack_rows_sse, R512, NR512, GEMM_KC, GEMM_NC,
                             gemm_avx512_rows};
    if (isa == VC_ISA_AVX2)
        k = (vc_gemm_kernel){gemm_avx2, pack_rows_sse, R256, NR256, GEMM_KC, GEMM_NC,
                             gemm_avx2_rows};
    return k;
}

#endif
