/* Reference f32 GEMM (see gemm.h) in plain portable C, and the loops around the ISA
 * micro-kernels of src/kernels/cpu.
 *
 * Models' Conv, MatMul and LSTM run through it, so the C path is written to be fast on
 * the x86-64 baseline at -O2 (SSE2, no FMA) without intrinsics: every micro-kernel holds
 * its accumulators in 4-float arrays (one SSE register each) indexed only by compile-time
 * constants, so gcc and clang keep them in registers and turn each 4-lane loop into one
 * vector instruction; eight accumulators per kernel hide the latency of the adds.
 *
 * Paths, chosen per call:
 *   - N below the 8-wide tile and smaller than M: solve C^T = B^T A^T instead, so that
 *     the short side becomes M (Conv with few output positions).
 *   - M <= VC_GEMM_DOT_ROWS and B transposed (weights stored [N, K], LSTM steps, Conv on
 *     a few frames), or a single column of B: dot products along K, B read in place and
 *     each weight loaded once for all rows. This path has ISA variants
 *     (src/kernels/cpu, chosen by the isa argument): AVX2 / AVX-512 kernels with
 *     fused multiply-adds; the C kernels below run 2 rows x 4 columns at a time.
 *   - M == 1 and B row-major (GEMV): a 1 x 32 kernel streams B in place, whatever the
 *     ISA (it is bound by reading B; the packed kernels were no faster).
 *   - otherwise, with an ISA kernel (AVX2 6 x 16, AVX-512 12 x 32): packed, Goto / BLIS
 *     style (gemm_packed below), about 85% of the FMA peak on large products. Whole
 *     slivers of a row-major op(A) are read in place where the ISA has a kernel for it
 *     (fn_rows: the same sums, no packing of A).
 *   - otherwise (VC_ISA_C, or no memory for the packed path) blocked: K in blocks of KC,
 *     N in blocks of NC; a 4 x 8 kernel reads A in place and B in place (row-major B) or
 *     packed into 8-wide panels (transposed B).
 * Threads: the packed path shares slivers (and groups of panels) among the threads; the
 * others split the columns (rows for the blocked path with tall A) at multiples of their
 * blocks. Either way each element goes through the same instructions in the same order as
 * in a single-threaded call, so results are bit-identical for any number of threads.
 * Limits: the C paths use about 40 KiB of stack and no heap; the packed
 * path mallocs one scratch buffer per call (at most KC * (NC + MR) floats of its kernel,
 * about 1.5 MiB) and frees it before returning; if malloc fails it falls back to the C
 * blocked path (slower, same results to rounding), never failing the call.
 */
#include "gemm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/f16.h"

enum {
    KC = 128, /* K block: a 4 x KC sliver of A and a KC x 8 panel of B stay in L1 */
    NC = 64,  /* N block: a packed KC x NC block of B is 32 KiB */
    KD = 512, /* K chunk of the dot path when A's rows must be copied to be contiguous */
    DOT_NC = 256 /* columns per call of an ISA dot kernel (its results go through t) */
};

/* Matrix view: element (r, c) at p[r * rs + c * cs]. */
typedef struct {
    const float *p;
    int64_t rs, cs;
} mview;

typedef struct {
    float *p;
    int64_t rs, cs;
} cview;

/* acc[0..3] += x * b[0..3]  and  acc[0..3] += a[0..3] * b[0..3]. The product is a
 * statement of its own so that clang does not contract it into fmuladd: that keeps
 * results identical on targets with FMA and avoids a clang 14 SLP quirk that doubles
 * the live accumulators (spills). */
#define VMADD(acc, x, b)                                                                           \
    for (int l_ = 0; l_ < 4; l_++) {                                                               \
        float m_ = (x) * (b)[l_];                                                                  \
        (acc)[l_] += m_;                                                                           \
    }
#define VMUL(acc, a, b)                                                                            \
    for (int l_ = 0; l_ < 4; l_++) {                                                               \
        float m_ = (a)[l_] * (b)[l_];                                                              \
        (acc)[l_] += m_;                                                                           \
    }

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* t (4 x 8, row stride 8) = sum over p < kc of a_i[p * acs] * b[p * bs + j]. */
static void kernel_4x8(int64_t kc, const float *a0, const float *a1, const float *a2,
                       const float *a3, int64_t acs, const float *b, int64_t bs, float *t)
{
    float c00[4] = {0}, c01[4] = {0}, c10[4] = {0}, c11[4] = {0};
    float c20[4] = {0}, c21[4] = {0}, c30[4] = {0}, c31[4] = {0};
    for (int64_t p = 0; p < kc; p++) {
        const float *bp = b + p * bs;
        float x0 = a0[p * acs], x1 = a1[p * acs], x2 = a2[p * acs], x3 = a3[p * acs];
        VMADD(c00, x0, bp);
        VMADD(c01, x0, bp + 4);
        VMADD(c10, x1, bp);
        VMADD(c11, x1, bp + 4);
        VMADD(c20, x2, bp);
        VMADD(c21, x2, bp + 4);
        VMADD(c30, x3, bp);
        VMADD(c31, x3, bp + 4);
    }
    for (int l = 0; l < 4; l++) {
        t[l] = c00[l];
        t[4 + l] = c01[l];
        t[8 + l] = c10[l];
        t[12 + l] = c11[l];
        t[16 + l] = c20[l];
        t[20 + l] = c21[l];
        t[24 + l] = c30[l];
        t[28 + l] = c31[l];
    }
}

/* t[0..31] = sum over p < k of a[p * acs] * b[p * bs + j]. */
static void kernel_1x32(int64_t k, const float *a, int64_t acs, const float *b, int64_t bs,
                        float *t)
{
    float c0[4] = {0}, c1[4] = {0}, c2[4] = {0}, c3[4] = {0};
    float c4[4] = {0}, c5[4] = {0}, c6[4] = {0}, c7[4] = {0};
    for (int64_t p = 0; p < k; p++) {
        const float *bp = b + p * bs;
        float x = a[p * acs];
        VMADD(c0, x, bp);
        VMADD(c1, x, bp + 4);
        VMADD(c2, x, bp + 8);
        VMADD(c3, x, bp + 12);
        VMADD(c4, x, bp + 16);
        VMADD(c5, x, bp + 20);
        VMADD(c6, x, bp + 24);
        VMADD(c7, x, bp + 28);
    }
    for (int l = 0; l < 4; l++) {
        t[l] = c0[l];
        t[4 + l] = c1[l];
        t[8 + l] = c2[l];
        t[12 + l] = c3[l];
        t[16 + l] = c4[l];
        t[20 + l] = c5[l];
        t[24 + l] = c6[l];
        t[28 + l] = c7[l];
    }
}

/* Dot kernels write 4-lane partial sums, reduced afterwards by reduce_dots: reducing
 * inside the kernel leads clang's SLP vectorizer to group lanes across columns instead
 * of along K. */

/* part[(i * 4 + j) * 4 + l]: lane l of dot(a_i[0..k4), b_j[0..k4)) for 2 rows of A and
 * 4 columns of op(B), all contiguous along K; k4 is a multiple of 4. */
static void dot_2x4(int64_t k4, const float *a0, const float *a1, const float *const *b,
                    float *part)
{
    const float *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
    float s00[4] = {0}, s01[4] = {0}, s02[4] = {0}, s03[4] = {0};
    float s10[4] = {0}, s11[4] = {0}, s12[4] = {0}, s13[4] = {0};
    for (int64_t p = 0; p < k4; p += 4) {
        VMUL(s00, a0 + p, b0 + p);
        VMUL(s01, a0 + p, b1 + p);
        VMUL(s02, a0 + p, b2 + p);
        VMUL(s03, a0 + p, b3 + p);
        VMUL(s10, a1 + p, b0 + p);
        VMUL(s11, a1 + p, b1 + p);
        VMUL(s12, a1 + p, b2 + p);
        VMUL(s13, a1 + p, b3 + p);
    }
    for (int l = 0; l < 4; l++) {
        part[l] = s00[l];
        part[4 + l] = s01[l];
        part[8 + l] = s02[l];
        part[12 + l] = s03[l];
        part[16 + l] = s10[l];
        part[20 + l] = s11[l];
        part[24 + l] = s12[l];
        part[28 + l] = s13[l];
    }
}

/* The same for one row of A; two accumulators per column keep eight independent adds in
 * flight. */
static void dot_1x4(int64_t k4, const float *a, const float *const *b, float *part)
{
    const float *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
    float s0[4] = {0}, s1[4] = {0}, s2[4] = {0}, s3[4] = {0};
    float u0[4] = {0}, u1[4] = {0}, u2[4] = {0}, u3[4] = {0};
    int64_t p = 0;
    for (; p + 8 <= k4; p += 8) {
        VMUL(s0, a + p, b0 + p);
        VMUL(s1, a + p, b1 + p);
        VMUL(s2, a + p, b2 + p);
        VMUL(s3, a + p, b3 + p);
        VMUL(u0, a + p + 4, b0 + p + 4);
        VMUL(u1, a + p + 4, b1 + p + 4);
        VMUL(u2, a + p + 4, b2 + p + 4);
        VMUL(u3, a + p + 4, b3 + p + 4);
    }
    if (p < k4) {
        VMUL(s0, a + p, b0 + p);
        VMUL(s1, a + p, b1 + p);
        VMUL(s2, a + p, b2 + p);
        VMUL(s3, a + p, b3 + p);
    }
    for (int l = 0; l < 4; l++) {
        part[l] = s0[l] + u0[l];
        part[4 + l] = s1[l] + u1[l];
        part[8 + l] = s2[l] + u2[l];
        part[12 + l] = s3[l] + u3[l];
    }
}

/* t[i * 4 + j] = the reduced partial sums plus the K tail k4..k done in scalar. */
static void reduce_dots(int64_t m, int64_t k4, int64_t k, const float *const *a,
                        const float *const *b, const float *part, float *t)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < 4; j++) {
            const float *v = part + (i * 4 + j) * 4;
            float s = (v[0] + v[2]) + (v[1] + v[3]);
            for (int64_t p = k4; p < k; p++) s += a[i][p] * b[j][p];
            t[i * 4 + j] = s;
        }
}

/* C block (m x n) = alpha * t + beta * C on the first K block (C not read when beta is
 * 0), C += alpha * t on later ones. t has row stride ts. */
static void store_tile(const float *t, int64_t ts, int64_t m, int64_t n, float alpha, float beta,
                       int first, float *c, int64_t rs, int64_t cs)
{
    for (int64_t i = 0; i < m; i++) {
        float *ci = c + i * rs;
        const float *ti = t + i * ts;
        if (!first)
            for (int64_t j = 0; j < n; j++) ci[j * cs] += alpha * ti[j];
        else if (beta == 0.0f)
            for (int64_t j = 0; j < n; j++) ci[j * cs] = alpha * ti[j];
        else
            for (int64_t j = 0; j < n; j++) ci[j * cs] = alpha * ti[j] + beta * ci[j * cs];
    }
}

static void scale_c(int64_t M, int64_t N, float beta, cview c)
{
    if (beta == 1.0f) return;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float *x = &c.p[i * c.rs + j * c.cs];
            *x = beta == 0.0f ? 0.0f : beta * *x;
        }
}

/* Copy a kc x nr corner of B (element (p, j) at src[p * rs + j * cs]) into an 8-wide
 * panel, zero-filling columns nr..7 so the kernel needs no column edge case. */
static void pack_panel(int64_t kc, int64_t nr, const float *src, int64_t rs, int64_t cs, float *dst)
{
    for (int64_t j = 0; j < 8; j++)
        for (int64_t p = 0; p < kc; p++) dst[p * 8 + j] = j < nr ? src[p * rs + j * cs] : 0.0f;
}

static void gemm_blocked(int64_t M, int64_t N, int64_t K, float alpha, mview a, mview b, float beta,
                         cview c)
{
    float pack[KC * NC];
    float t[32];
    int in_place = b.cs == 1; /* B rows contiguous: full panels need no copy */
    for (int64_t jc = 0; jc < N; jc += NC) {
        int64_t nc = min64(NC, N - jc);
        for (int64_t pc = 0; pc < K; pc += KC) {
            int64_t kc = min64(KC, K - pc);
            const float *bblk = b.p + pc * b.rs + jc * b.cs;
            for (int64_t jr = 0; jr < nc; jr += 8)
                if (!in_place || jr + 8 > nc)
                    pack_panel(kc, min64(8, nc - jr), bblk + jr * b.cs, b.rs, b.cs, pack + jr * kc);
            for (int64_t ic = 0; ic < M; ic += 4) {
                int64_t m = min64(4, M - ic);
                /* rows past M repeat row 0; their results are not stored */
                const float *a0 = a.p + ic * a.rs + pc * a.cs;
                const float *a1 = m > 1 ? a0 + a.rs : a0;
                const float *a2 = m > 2 ? a0 + 2 * a.rs : a0;
                const float *a3 = m > 3 ? a0 + 3 * a.rs : a0;
                for (int64_t jr = 0; jr < nc; jr += 8) {
                    int packed = !in_place || jr + 8 > nc;
                    const float *bp = packed ? pack + jr * kc : bblk + jr;
                    kernel_4x8(kc, a0, a1, a2, a3, a.cs, bp, packed ? 8 : b.rs, t);
                    store_tile(t, 8, m, min64(8, nc - jr), alpha, beta, pc == 0,
                               c.p + ic * c.rs + (jc + jr) * c.cs, c.rs, c.cs);
                }
            }
        }
    }
}

/* ---- Packed path (ISA micro-kernels) ---- */

static int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

/* dst[p * w + i] = x(i, p) for i < n, p < kc, and 0 for n <= i < w: n rows of op(A), or
 * n columns of op(B) (x then views op(B) transposed), into one sliver w wide. */
static void pack_sliver(vc_gemm_kernel k, int64_t kc, int n, int w, mview x, float *dst)
{
    if (x.cs == 1 && k.pack_rows) {
        k.pack_rows(kc, n, w, x.p, x.rs, dst);
        return;
    }
    if (x.rs == 1) {
        for (int64_t p = 0; p < kc; p++) {
            memcpy(dst + p * w, x.p + p * x.cs, sizeof(float) * (size_t)n);
            for (int i = n; i < w; i++) dst[p * w + i] = 0.0f;
        }
        return;
    }
    for (int i = 0; i < w; i++)
        for (int64_t p = 0; p < kc; p++) dst[p * w + i] = i < n ? x.p[i * x.rs + p * x.cs] : 0.0f;
}

/* A row-major block of B row by row into panels: a panel at a time would stride through
 * memory by ldb, which defeats the prefetchers when rows are 4 KiB apart (N = 1024). */
static void pack_b_rows(int nr, int64_t kc, int64_t nc, mview b, int in_place, float *dst)
{
    for (int64_t p = 0; p < kc; p++)
        for (int64_t s = 0; s < nc; s += nr) {
            int w = (int)min64(nr, nc - s);
            if (in_place && w == nr) continue;
            float *d = dst + s * kc + p * nr;
            memcpy(d, b.p + p * b.rs + s, sizeof(float) * (size_t)w);
            for (int j = w; j < nr; j++) d[j] = 0.0f;
        }
}

/* The kc x nc block of op(B) at b into panels of nr columns, panel s at dst + s * kc,
 * columns past nc zero; with in_place (row-major B only) just the last, partial panel:
 * the kernel reads whole panels where they are. */
static void pack_b(vc_gemm_kernel k, int64_t kc, int64_t nc, mview b, int in_place, float *dst)
{
    if (b.cs == 1) {
        pack_b_rows(k.nr, kc, nc, b, in_place, dst);
        return;
    }
    for (int64_t s = 0; s < nc; s += k.nr)
        pack_sliver(k, kc, (int)min64(k.nr, nc - s), k.nr, (mview){b.p + s * b.cs, b.cs, b.rs},
                    dst + s * kc);
}

/* One sliver of A against the kc x nc block of B: m <= mr rows packed at ap, or (ap
 * NULL) mr rows of a row-major A read in place by the kernel's fn_rows. */
static void sliver_row(vc_gemm_kernel k, int64_t kc, int m, int64_t nc, float alpha, float beta,
                       const float *ap, mview a, const float *bp, mview b, int in_place, cview c)
{
    for (int64_t j = 0; j < nc; j += k.nr) {
        int w = (int)min64(k.nr, nc - j);
        const float *panel = in_place && w == k.nr ? b.p + j : bp + j * kc;
        int64_t bs = in_place && w == k.nr ? b.rs : k.nr;
        if (ap)
            k.fn(kc, ap, panel, bs, alpha, beta, c.p + j * c.cs, c.rs, c.cs, m, w);
        else
            k.fn_rows(kc, a.p, a.rs, panel, bs, alpha, beta, c.p + j * c.cs, c.rs, c.cs, w);
    }
}

/* The packed path's state shared by its tasks: one block of op(B) packed at bp, and one
 * sliver buffer of kcb * mr floats per worker at ap. */
typedef struct packed_job {
    vc_gemm_kernel k;
    int64_t M, kc, nc, n_groups, group; /* group: panels per task along N */
    float alpha, beta;
    mview a, bb;
    cview c;
    int in_place;
    float *bp, *ap;
    int64_t ap_stride;
    const vc_gemm_epilogue *epi;    /* set for the last K block only */
    const float *bias;              /* the block's first column's, on the first K block only */
} packed_job;

/* Task = one sliver of mr rows x one group of panels of the current block. */
static void packed_task(void *arg, int64_t task, int worker)
{
    const packed_job *j = arg;
    int64_t i = task / j->n_groups * j->k.mr, j0 = task % j->n_groups * j->group * j->k.nr;
    int m = (int)min64(j->k.mr, j->M - i);
    int64_t nc = min64(j->group * j->k.nr, j->nc - j0);
    mview a = {j->a.p + i * j->a.rs, j->a.rs, j->a.cs};
    float *ap = NULL;
    /* whole slivers of a row-major A are read where they are when the kernel can */
    if (!j->k.fn_rows || a.cs != 1 || m < j->k.mr) {
        ap = j->ap + worker * j->ap_stride;
        pack_sliver(j->k, j->kc, m, j->k.mr, a, ap);
    }
    mview bb = {j->bb.p + j0, j->bb.rs, j->bb.cs};
    float *c = j->c.p + i * j->c.rs + j0 * j->c.cs;
    if (j->bias) /* C is row-major here (vc_gemm_f32_prepacked) */
        for (int r = 0; r < m; r++)
            memcpy(c + r * j->c.rs, j->bias + j0, sizeof(float) * (size_t)nc);
    sliver_row(j->k, j->kc, m, nc, j->alpha, j->beta, ap, a, j->bp + j0 * j->kc, bb, j->in_place,
               (cview){c, j->c.rs, j->c.cs});
    if (j->epi && j->epi->fn) j->epi->fn(j->epi->arg, c, m, nc, j->c.rs);
}

/* K block of the packed path: K split evenly into blocks of at most k.kc. */
static int64_t k_block(vc_gemm_kernel k, int64_t K)
{
    int64_t nkb = (K + k.kc - 1) / k.kc;
    return (K + nkb - 1) / nkb;
}

/* Goto / BLIS loops around an ISA micro-kernel: N in blocks of nc, K in blocks of at most
 * kc (split evenly). Each block of op(B) is packed once (L2-sized) by the calling
 * thread; then every sliver of mr rows of op(A) is packed (L1-sized), or read in place by
 * the kernel's fn_rows when A is row-major and the sliver whole, and run against the
 * block's panels, slivers shared out among the threads (and, when there are too few
 * slivers to keep every thread busy, groups of panels too). A single sliver (M <= mr)
 * reads a row-major B in place: nothing would reuse a packed copy. The scratch is one
 * malloc per call: kc * (nc + threads * mr) floats. Returns 0, having done nothing, when
 * isa has no kernel or the scratch cannot be had. */
static int gemm_packed(vc_gemm_kernel k, vc_threads *t, int64_t M, int64_t N, int64_t K,
                       float alpha, mview a, mview b, const float *pre, float beta, cview c,
                       const vc_gemm_epilogue *epi)
{
    if (!k.fn) return 0;
    int nt = vc_threads_count(t);
    int64_t kcb = k_block(k, K);
    int64_t ncb = pre ? 0 : round_up(min64(N, k.nc), k.nr), ap_stride = round_up(kcb * k.mr, 16);
    float *buf = malloc(sizeof(float) * (size_t)(kcb * ncb + nt * ap_stride + 16));
    if (!buf) return 0;
    packed_job j = {.k = k, .M = M, .alpha = alpha, .in_place = !pre && M <= k.mr && b.cs == 1,
                    .ap_stride = ap_stride};
    /* 64-byte aligned: a panel row is then one or two whole cache lines */
    float *bp = (float *)(((uintptr_t)buf + 63) & ~(uintptr_t)63);
    j.ap = bp + kcb * ncb;
    int64_t slivers = (M + k.mr - 1) / k.mr;
    for (int64_t jc = 0; jc < N; jc += k.nc) {
        j.nc = min64(k.nc, N - jc);
        int64_t panels = (j.nc + k.nr - 1) / k.nr;
        /* about four tasks per thread when the slivers alone give fewer */
        j.n_groups = nt == 1 ? 1 : min64(panels, (4 * nt + slivers - 1) / slivers);
        j.group = (panels + j.n_groups - 1) / j.n_groups;
        j.n_groups = (panels + j.group - 1) / j.group;
        for (int64_t pc = 0; pc < K; pc += kcb) {
            j.kc = min64(kcb, K - pc);
            j.bias = pc == 0 && epi && epi->bias ? epi->bias + jc : NULL;
            j.beta = pc == 0 && !j.bias ? beta : 1.0f;
            j.epi = pc + j.kc >= K ? epi : NULL;
            j.bb = (mview){b.p + pc * b.rs + jc * b.cs, b.rs, b.cs};
            j.a = (mview){a.p + pc * a.cs, a.rs, a.cs};
            j.c = (cview){c.p + jc * c.cs, c.rs, c.cs};
            if (pre) {
                j.bp = (float *)pre + jc * K + pc * round_up(j.nc, k.nr);
            } else {
                j.bp = bp;
                pack_b(k, j.kc, j.nc, j.bb, j.in_place, j.bp);
            }
            vc_threads_run(t, slivers * j.n_groups, packed_task, &j);
        }
    }
    free(buf);
    return 1;
}

/* Rows i..i+m of the dot path with the portable C kernels: 2 x 4 tiles. */
static void dot_rows_c(int64_t m, int64_t N, int64_t kd, const float *const *ar, mview b,
                       int64_t pc, float alpha, float beta, cview c)
{
    float part[32], t[8];
    for (int64_t i = 0; i < m; i += 2) {
        int64_t mr = min64(2, m - i);
        for (int64_t j = 0; j < N; j += 4) {
            int64_t nb = min64(4, N - j);
            const float *bj[4];
            for (int64_t q = 0; q < 4; q++) bj[q] = b.p + (j + (q < nb ? q : 0)) * b.cs + pc;
            if (mr == 2)
                dot_2x4(kd & ~(int64_t)3, ar[i], ar[i + 1], bj, part);
            else
                dot_1x4(kd & ~(int64_t)3, ar[i], bj, part);
            reduce_dots(mr, kd & ~(int64_t)3, kd, ar + i, bj, part, t);
            store_tile(t, 4, mr, nb, alpha, beta, pc == 0, c.p + i * c.rs + j * c.cs, c.rs,
                       c.cs);
        }
    }
}

/* The same with an ISA kernel (3 rows run as 4, repeating one), DOT_NC columns per
 * call into t, then scaled into C. */
static void dot_rows_isa(vc_dot_kernel dk, int64_t m, int64_t N, int64_t kd,
                         const float *const *ar, mview b, int64_t pc, float alpha, float beta,
                         cview c)
{
    float t[4 * DOT_NC];
    const float *a4[4] = {ar[0], m > 1 ? ar[1] : ar[0], m > 2 ? ar[2] : ar[0],
                          m > 3 ? ar[3] : ar[0]};
    for (int64_t j = 0; j < N; j += DOT_NC) {
        int64_t nb = min64(DOT_NC, N - j);
        dk.fn(kd, m == 3 ? 4 : (int)m, a4, b.p + j * b.cs + pc, b.cs, nb, t, DOT_NC);
        store_tile(t, DOT_NC, m, nb, alpha, beta, pc == 0, c.p + j * c.cs, c.rs, c.cs);
    }
}

/* M <= VC_GEMM_DOT_ROWS, B transposed (column j of op(B) contiguous along K). */
static void gemm_dot(vc_dot_kernel dk, int64_t M, int64_t N, int64_t K, float alpha, mview a,
                     mview b, float beta, cview c)
{
    float abuf[VC_GEMM_DOT_ROWS * KD];
    int64_t kd;
    for (int64_t pc = 0; pc < K; pc += kd) {
        const float *ar[VC_GEMM_DOT_ROWS] = {NULL};
        kd = a.cs == 1 ? K : min64(KD, K - pc);
        for (int64_t i = 0; i < M; i++) {
            if (a.cs == 1) {
                ar[i] = a.p + i * a.rs + pc;
                continue;
            }
            for (int64_t p = 0; p < kd; p++) abuf[i * KD + p] = a.p[i * a.rs + (pc + p) * a.cs];
            ar[i] = abuf + i * KD;
        }
        if (dk.fn)
            dot_rows_isa(dk, M, N, kd, ar, b, pc, alpha, beta, c);
        else
            dot_rows_c(M, N, kd, ar, b, pc, alpha, beta, c);
    }
}

/* M == 1, B row-major: whole 32-column strips in one pass over K, the rest blocked. */
static void gemv_rows(int64_t N, int64_t K, float alpha, mview a, mview b, float beta, cview c)
{
    float t[32];
    int64_t j = 0;
    for (; j + 32 <= N; j += 32) {
        kernel_1x32(K, a.p, a.cs, b.p + j, b.rs, t);
        store_tile(t, 32, 1, 32, alpha, beta, 1, c.p + j * c.cs, c.rs, c.cs);
    }
    if (j < N) {
        mview bt = {b.p + j, b.rs, b.cs};
        cview ct = {c.p + j * c.cs, c.rs, c.cs};
        gemm_blocked(1, N - j, K, alpha, a, bt, beta, ct);
    }
}

/* ---- Threads for the dot, GEMV and blocked paths: contiguous ranges of columns (or of
 * rows), cut at multiples of the paths' own blocks so that every element is computed
 * exactly as in a single-threaded call. ---- */

enum path { PATH_DOT, PATH_GEMV, PATH_BLOCKED };

typedef struct split_job {
    enum path path;
    vc_isa isa;
    int along_m;
    int64_t M, N, K, chunk;
    float alpha, beta;
    mview a, b;
    cview c;
} split_job;

static void run_path(const split_job *j, int64_t M, int64_t N, mview a, mview b, cview c)
{
    if (j->path == PATH_DOT)
        gemm_dot(vc_dot_kernel_for(j->isa), M, N, j->K, j->alpha, a, b, j->beta, c);
    else if (j->path == PATH_GEMV)
        gemv_rows(N, j->K, j->alpha, a, b, j->beta, c);
    else
        gemm_blocked(M, N, j->K, j->alpha, a, b, j->beta, c);
}

static void split_task(void *arg, int64_t task, int worker)
{
    const split_job *j = arg;
    int64_t s = task * j->chunk;
    (void)worker;
    if (j->along_m)
        run_path(j, min64(j->chunk, j->M - s), j->N, (mview){j->a.p + s * j->a.rs, j->a.rs, j->a.cs},
                 j->b, (cview){j->c.p + s * j->c.rs, j->c.rs, j->c.cs});
    else
        run_path(j, j->M, min64(j->chunk, j->N - s), j->a,
                 (mview){j->b.p + s * j->b.cs, j->b.rs, j->b.cs},
                 (cview){j->c.p + s * j->c.cs, j->c.rs, j->c.cs});
}

static int64_t tasks_for(vc_threads *t, int64_t macs)
{
    return vc_threads_tasks(t, INT64_MAX, macs, VC_GEMM_MIN_TASK_MACS);
}

static void run_split(split_job *j, vc_threads *t)
{
    int64_t dim = j->along_m ? j->M : j->N;
    int64_t align = j->path == PATH_BLOCKED ? (j->along_m ? 4 : NC) : DOT_NC;
    int64_t n = tasks_for(t, j->M * j->N * j->K);
    j->chunk = round_up((dim + n - 1) / n, align);
    vc_threads_run(t, (dim + j->chunk - 1) / j->chunk, split_task, j);
}

void vc_gemm_f32_mt(vc_isa isa, vc_threads *t, int trans_a, int trans_b, int64_t M, int64_t N,
                    int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                    int64_t ldb, float beta, float *C, int64_t rsc, int64_t csc)
{
    if (M <= 0 || N <= 0) return;
    mview a = trans_a ? (mview){A, 1, lda} : (mview){A, lda, 1};
    mview b = trans_b ? (mview){B, 1, ldb} : (mview){B, ldb, 1};
    cview c = {C, rsc, csc};
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, c);
        return;
    }
    if (N < 8 && N < M) {
        mview at = {b.p, b.cs, b.rs}, bt = {a.p, a.cs, a.rs};
        cview ct = {c.p, c.cs, c.rs};
        int64_t tmp = M;
        M = N, N = tmp;
        a = at, b = bt, c = ct;
    }
    if (tasks_for(t, M * N * K) == 1) t = NULL;
    split_job j = {PATH_BLOCKED, isa, 0, M, N, K, 0, alpha, beta, a, b, c};
    /* a single column of op(B) is contiguous along K whatever its column stride */
    if (M <= VC_GEMM_DOT_ROWS && b.rs == 1 && (b.cs != 1 || N == 1))
        j.path = PATH_DOT;
    else if (M == 1 && b.cs == 1)
        j.path = PATH_GEMV;
    else if (gemm_packed(vc_gemm_kernel_for(isa), t, M, N, K, alpha, a, b, NULL, beta, c, NULL))
        return;
    else
        j.along_m = (M + 3) / 4 >= (N + NC - 1) / NC;
    run_split(&j, t);
}

void vc_gemm_f32(vc_threads *t, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                 float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                 float beta, float *C, int64_t ldc)
{
    vc_gemm_f32_mt(vc_isa_active(), t, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C,
                   ldc, 1);
}

/* ---- op(B) packed once (constant weights) ---- */

size_t vc_gemm_packed_b_bytes(vc_isa isa, int64_t N, int64_t K)
{
    vc_gemm_kernel k = vc_gemm_kernel_for(isa);
    if (!k.fn || N <= 0 || K <= 0) return 0;
    return sizeof(float) * (size_t)(round_up(N, k.nr) * K);
}

/* Blocks (jc, pc) in the order gemm_packed visits them, block at jc * K + pc * (its
 * width rounded up to whole panels): the layout pack_b writes into its scratch. */
void vc_gemm_pack_b(vc_isa isa, int trans_b, int64_t N, int64_t K, const float *B, int64_t ldb,
                    float *dst)
{
    vc_gemm_kernel k = vc_gemm_kernel_for(isa);
    mview b = trans_b ? (mview){B, 1, ldb} : (mview){B, ldb, 1};
    int64_t kcb = k_block(k, K);
    for (int64_t jc = 0; jc < N; jc += k.nc) {
        int64_t nc = min64(k.nc, N - jc);
        for (int64_t pc = 0; pc < K; pc += kcb)
            pack_b(k, min64(kcb, K - pc), nc, (mview){b.p + pc * b.rs + jc * b.cs, b.rs, b.cs}, 0,
                   dst + jc * K + pc * round_up(nc, k.nr));
    }
}

int vc_gemm_f32_prepacked(vc_isa isa, vc_threads *t, int64_t M, int64_t N, int64_t K, float alpha,
                          const float *A, int64_t lda, const float *packed, float beta, float *C,
                          int64_t ldc, const vc_gemm_epilogue *epi)
{
    if (M <= 0 || N <= 0) return 0;
    cview c = {C, ldc, 1};
    if (K <= 0 || alpha == 0.0f) {
        if (epi && epi->bias)
            for (int64_t i = 0; i < M; i++)
                memcpy(C + i * ldc, epi->bias, sizeof(float) * (size_t)N);
        else
            scale_c(M, N, beta, c);
        if (epi && epi->fn) epi->fn(epi->arg, C, M, N, ldc);
        return 0;
    }
    if (tasks_for(t, M * N * K) == 1) t = NULL;
    mview a = {A, lda, 1}, none = {NULL, 0, 0};
    return gemm_packed(vc_gemm_kernel_for(isa), t, M, N, K, alpha, a, none, packed, beta, c, epi) ? 0 : -1;
}

void vc_f16_to_f32_array(const uint16_t *src, float *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++) dst[i] = vc_f16_to_f32(src[i]);
}

void vc_f32_to_f16_array(const float *src, uint16_t *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++) dst[i] = vc_f32_to_f16(src[i]);
}
