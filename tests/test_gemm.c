/* The f32 GEMM (src/kernels/ref/gemm.c) on every instruction-set path this CPU supports,
 * against a double-precision reference and against the portable C path; and Conv on a
 * few frames (patches laid out as rows for the GEMM's dot path) against a direct
 * convolution.
 *
 * Tolerance: every element within 1e-5 of its scale, the sum of |alpha * a_ik * b_kj|
 * over k plus |beta * c_ij|. That bounds the rounding of a float sum of K products in
 * any order, with or without fused multiply-adds, for the K up to 1023 used here with
 * random data (the worst case, K * 2^-24, would be 6e-5, but errors of random signs do
 * not add up to it). The ISA paths are compared with the C path by the same measure, as
 * well as with the reference.
 *
 * Shapes: M, N, K in {1, 3, 17, 63, 64, 65, 255, 1023} (edges on both sides of the
 * AVX-512 32-wide, AVX2 16-wide and NEON 12-wide panels, 12-, 8- and 6-row slivers, K
 * tails past every vector width, and K split into blocks), every triple up to 2^22
 * multiply-adds: all four transpose combinations up to 2^18, one (in turn) above; plus a
 * few larger ones: big M by small N, N past one 1024-column block of B, a few rows
 * against a wide B read in place, K % 4 == 2 on the dot path. alpha in {1, 0.5} and beta
 * in {0, 1, -2} in turn; leading dimensions with and without padding; C row-major,
 * written transposed (rsc = 1), or with neither stride 1. Whenever beta = 0, C starts as
 * NaN, so a path that reads C leaks NaN; elements of C outside the M x N block must come
 * back unchanged. Special cases: alpha = 0 and K = 0 only scale C (NaN in A and B must
 * not leak). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kernels/cpu/cpu.h"
#include "kernels/ref/gemm.h"
#include "runtime/op.h"

#define TOL 1e-5

static uint32_t seed = 12345;

static float rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

static float *rnd_buf(size_t n)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; p && i < n; i++) p[i] = rnd();
    return p;
}

typedef struct {
    int ta, tb;
    int64_t M, N, K, lda, ldb, rsc, csc;
    float alpha, beta;
} gcase;

static int64_t c_off(const gcase *g, int64_t i, int64_t j) { return i * g->rsc + j * g->csc; }

static size_t c_size(const gcase *g) { return (size_t)(c_off(g, g->M - 1, g->N - 1) + 1); }

/* want = alpha op(A) op(B) + beta C0 in double, and the scale of each element. */
static void reference(const gcase *g, const float *A, const float *B, const float *C0,
                      double *want, double *scale)
{
    for (int64_t i = 0; i < g->M; i++)
        for (int64_t j = 0; j < g->N; j++) {
            double s = 0, a = 0;
            for (int64_t p = 0; p < g->K; p++) {
                double x = g->ta ? A[p * g->lda + i] : A[i * g->lda + p];
                double y = g->tb ? B[j * g->ldb + p] : B[p * g->ldb + j];
                s += x * y;
                a += fabs(x * y);
            }
            double c = g->beta != 0.0f ? C0[c_off(g, i, j)] : 0.0;
            want[i * g->N + j] = g->alpha * s + g->beta * c;
            scale[i * g->N + j] = fabs(g->alpha) * a + fabs(g->beta * c);
        }
}

static void run_isa(vc_isa isa, const gcase *g, const float *A, const float *B, const float *C0,
                    float *C)
{
    memcpy(C, C0, sizeof(float) * c_size(g));
    vc_gemm_f32_mt(isa, NULL, g->ta, g->tb, g->M, g->N, g->K, g->alpha, A, g->lda, B, g->ldb, g->beta,
                   C, g->rsc, g->csc);
}

/* Largest |got - want| / scale; elements outside the M x N block of C must be unchanged. */
static double worst(const gcase *g, const float *got, const float *C0, const double *want,
                    const double *scale, int *clobbered)
{
    double w = 0;
    char *inside = calloc(c_size(g), 1);
    for (int64_t i = 0; i < g->M; i++)
        for (int64_t j = 0; j < g->N; j++) {
            double d = fabs(got[c_off(g, i, j)] - want[i * g->N + j]);
            double r = d / (scale[i * g->N + j] + 1e-30);
            if (isnan(d)) r = INFINITY;
            if (r > w) w = r;
            if (inside) inside[c_off(g, i, j)] = 1;
        }
    *clobbered = 0;
    for (size_t k = 0; inside && k < c_size(g); k++)
        if (!inside[k] && memcmp(&got[k], &C0[k], sizeof(float))) *clobbered = 1;
    free(inside);
    return w;
}

/* One case on every supported ISA; returns 0 and reports on failure. */
static int check_case(const gcase *g)
{
    int64_t arows = g->ta ? g->K : g->M, brows = g->tb ? g->N : g->K;
    float *A = rnd_buf((size_t)(arows * g->lda)), *B = rnd_buf((size_t)(brows * g->ldb));
    float *C0 = rnd_buf(c_size(g)), *C = malloc(sizeof(float) * c_size(g));
    for (size_t i = 0; C0 && g->beta == 0.0f && i < c_size(g); i++) C0[i] = NAN;
    float *Cc = malloc(sizeof(float) * c_size(g));
    double *want = malloc(sizeof(double) * (size_t)(g->M * g->N));
    double *scale = malloc(sizeof(double) * (size_t)(g->M * g->N));
    int ok = A && B && C0 && C && Cc && want && scale;
    if (!ok) vt_fail(__FILE__, __LINE__, "out of memory");
    if (ok) {
        reference(g, A, B, C0, want, scale);
        run_isa(VC_ISA_C, g, A, B, C0, Cc);
    }
    for (int isa = VC_ISA_C; ok && isa < VC_ISA_COUNT; isa++) {
        if (!vc_isa_supported((vc_isa)isa)) continue;
        const float *got = Cc;
        if (isa != VC_ISA_C) {
            run_isa((vc_isa)isa, g, A, B, C0, C);
            got = C;
        }
        int clob = 0;
        double w = worst(g, got, C0, want, scale, &clob);
        double wc = 0;
        if (isa != VC_ISA_C) { /* against the C path, by the same scale */
            double *cw = malloc(sizeof(double) * (size_t)(g->M * g->N));
            for (int64_t i = 0; cw && i < g->M; i++)
                for (int64_t j = 0; j < g->N; j++) cw[i * g->N + j] = Cc[c_off(g, i, j)];
            int unused;
            wc = cw ? worst(g, got, C0, cw, scale, &unused) : INFINITY;
            free(cw);
        }
        if (!(w <= TOL) || !(wc <= TOL) || clob) {
            vt_fail(__FILE__, __LINE__,
                    "%s: ta=%d tb=%d M=%lld N=%lld K=%lld lda=%lld ldb=%lld C(%lld,%lld) "
                    "alpha=%g beta=%g: error/scale %.3g vs reference, %.3g vs C%s",
                    vc_isa_name((vc_isa)isa), g->ta, g->tb, (long long)g->M, (long long)g->N,
                    (long long)g->K, (long long)g->lda, (long long)g->ldb, (long long)g->rsc,
                    (long long)g->csc, g->alpha, g->beta, w, wc,
                    clob ? ", and it wrote outside C's block" : "");
            ok = 0;
        }
    }
    free(A), free(B), free(C0), free(C), free(Cc), free(want), free(scale);
    return ok;
}

/* Case number n of shape (M, N, K) with transposes t: the other parameters in turn. */
static int run_shape(int n, int t, int64_t M, int64_t N, int64_t K)
{
    static const float alphas[2] = {1.0f, 0.5f}, betas[3] = {0.0f, 1.0f, -2.0f};
    gcase g = {t & 1, t >> 1, M, N, K, 0, 0, 0, 0, alphas[n % 2], betas[n % 3]};
    int64_t pad = n / 6 % 2 ? 5 : 0;
    g.lda = (g.ta ? M : K) + pad;
    g.ldb = (g.tb ? K : N) + pad;
    switch (n / 12 % 3) {
    case 0: /* row-major */
        g.rsc = N + pad, g.csc = 1;
        break;
    case 1: /* transposed, as Conv's few-frames path writes it */
        g.rsc = 1, g.csc = M + pad;
        break;
    default: /* neither stride 1 */
        g.rsc = 2 * N + 3, g.csc = 2;
    }
    return check_case(&g);
}

static void test_shapes(void)
{
    static const int64_t dims[] = {1, 3, 17, 63, 64, 65, 255, 1023};
    enum { ND = sizeof dims / sizeof dims[0] };
    int n = 0, turn = 0;
    for (int mi = 0; mi < ND; mi++)
        for (int ni = 0; ni < ND; ni++)
            for (int ki = 0; ki < ND; ki++) {
                int64_t M = dims[mi], N = dims[ni], K = dims[ki];
                if (M * N * K > (1 << 22)) continue;
                if (M * N * K > (1 << 18)) {
                    if (!run_shape(n++, turn++ % 4, M, N, K)) return;
                    continue;
                }
                for (int t = 0; t < 4; t++)
                    if (!run_shape(n++, t, M, N, K)) return;
            }
    /* M, N, K: big M by small N; N past one block of B; few rows, B in place, and wide;
     * dot-path K tails of 2 and 6 (the dims above leave K % 4 == 2 out) */
    static const int64_t big[][3] = {{1023, 17, 400}, {2000, 33, 40}, {30, 2100, 7},
                                     {12, 2100, 77},  {3, 1100, 400},  {100, 1030, 130},
                                     {4, 37, 6},      {1, 29, 130},    {2, 45, 258}};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
        for (int t = 0; t < 4; t++)
            if (!run_shape(n++, t, big[i][0], big[i][1], big[i][2])) return;
}

/* beta = 0 must not read C; alpha = 0 and K = 0 must not read A or B. */
static void test_special(void)
{
    enum { M = 5, N = 7, K = 9 };
    float A[M * K], B[K * N], C[M * N];
    for (int isa = VC_ISA_C; isa < VC_ISA_COUNT; isa++) {
        if (!vc_isa_supported((vc_isa)isa)) continue;
        for (int i = 0; i < M * K; i++) A[i] = rnd();
        for (int i = 0; i < K * N; i++) B[i] = rnd();
        for (int i = 0; i < M * N; i++) C[i] = NAN;
        vc_gemm_f32_mt((vc_isa)isa, NULL, 0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N, 1);
        for (int i = 0; i < M * N; i++) CHECK_MSG(!isnan(C[i]), "%s: beta = 0 read C", vc_isa_name(isa));
        for (int i = 0; i < M * K; i++) A[i] = NAN;
        for (int i = 0; i < M * N; i++) C[i] = 2.0f;
        vc_gemm_f32_mt((vc_isa)isa, NULL, 0, 0, M, N, K, 0.0f, A, K, B, N, 0.5f, C, N, 1);
        for (int i = 0; i < M * N; i++) CHECK_MSG(C[i] == 1.0f, "%s: alpha = 0", vc_isa_name(isa));
        vc_gemm_f32_mt((vc_isa)isa, NULL, 0, 0, M, N, 0, 1.0f, A, K, B, N, 0.0f, C, N, 1);
        for (int i = 0; i < M * N; i++) CHECK_MSG(C[i] == 0.0f, "%s: K = 0", vc_isa_name(isa));
    }
}

/* ---- Conv on a few frames ---- */

typedef struct {
    int64_t C, Mo, W, k, s, d, pb, pe, group;
} conv_case;

static voce_status conv_op(const conv_case *cc, const float *x, const float *w, const float *b,
                           float *y, int64_t *L)
{
    const vc_op *op = vc_op_find("Conv");
    if (!op) return VOCE_ERR_INTERNAL;
    int64_t strides[1] = {cc->s}, dil[1] = {cc->d}, pads[2] = {cc->pb, cc->pe};
    vc_attr at[4] = {{.name = "strides", .type = VC_ATTR_INTS, .count = 1, .ints = strides},
                     {.name = "dilations", .type = VC_ATTR_INTS, .count = 1, .ints = dil},
                     {.name = "pads", .type = VC_ATTR_INTS, .count = 2, .ints = pads},
                     {.name = "group", .type = VC_ATTR_INT, .i = cc->group}};
    vc_node n = {.op = op, .op_type = "Conv", .name = "conv", .n_in = 3, .n_out = 1,
                 .n_attr = 4, .attr = at};
    vc_tensor tx = {VOCE_DTYPE_F32, 3, {1, cc->C, cc->W}, (void *)x};
    vc_tensor tw = {VOCE_DTYPE_F32, 3, {cc->Mo, cc->C / cc->group, cc->k}, (void *)w};
    vc_tensor tb = {VOCE_DTYPE_F32, 1, {cc->Mo}, (void *)b};
    vc_tensor *in[3] = {&tx, &tw, &tb};
    vc_tensor out;
    memset(&out, 0, sizeof out);
    voce_status st = op->infer(&n, in, &out);
    if (st) return st;
    *L = out.dims[2];
    size_t need = op->scratch ? op->scratch(&n, in, &out) : 0;
    void *scratch = malloc(need + 64);
    out.data = y;
    vc_ctx ctx = {scratch, need, NULL, NULL, NULL};
    st = scratch ? op->run(&n, in, &out, &ctx) : VOCE_ERR_NOMEM;
    free(scratch);
    return st;
}

static void test_conv_frames(void)
{
    /* channels, outputs, width, kernel, stride, dilation, pads, group: grids of 1 to 4
     * positions, with padding on either side, strides, dilations, groups, one channel
     * read in place (the STFT case) and one that needs padding */
    static const conv_case cases[] = {
        {1, 258, 640, 256, 128, 1, 0, 0, 1}, {1, 10, 32, 16, 8, 1, 4, 4, 1},
        {129, 128, 4, 3, 1, 1, 1, 1, 1},     {128, 64, 4, 3, 2, 1, 1, 1, 1},
        {64, 64, 2, 3, 2, 1, 1, 1, 1},       {6, 9, 7, 3, 2, 2, 0, 1, 3},
        {5, 17, 3, 2, 1, 1, 0, 0, 1},        {3, 8, 9, 4, 3, 1, 2, 0, 1},
        {1, 33, 20, 5, 5, 1, 0, 0, 1},       {4, 12, 6, 3, 1, 2, 1, 1, 2},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const conv_case *cc = &cases[ci];
        int64_t cg = cc->C / cc->group, mg = cc->Mo / cc->group;
        float *x = rnd_buf((size_t)(cc->C * cc->W)), *w = rnd_buf((size_t)(cc->Mo * cg * cc->k));
        float *b = rnd_buf((size_t)cc->Mo), *y = malloc(sizeof(float) * (size_t)(cc->Mo * cc->W));
        int64_t L = 0;
        voce_status st = x && w && b && y ? conv_op(cc, x, w, b, y, &L) : VOCE_ERR_NOMEM;
        double bad = 0;
        for (int64_t m = 0; !st && m < cc->Mo; m++)
            for (int64_t l = 0; l < L; l++) {
                int64_t g0 = m / mg * cg;
                double s = b[m], a = fabs(b[m]);
                for (int64_t c = 0; c < cg; c++)
                    for (int64_t t = 0; t < cc->k; t++) {
                        int64_t i = l * cc->s + t * cc->d - cc->pb;
                        if (i < 0 || i >= cc->W) continue;
                        double p = (double)w[(m * cg + c) * cc->k + t] * x[(g0 + c) * cc->W + i];
                        s += p;
                        a += fabs(p);
                    }
                double r = fabs(y[m * L + l] - s) / (a + 1e-30);
                if (!(r <= bad)) bad = r;
            }
        free(x), free(w), free(b), free(y);
        CHECK_MSG(!st, "conv case %zu: %s", ci, voce_last_error());
        CHECK_MSG(L >= 1 && L <= 4, "conv case %zu: %lld positions, expected 1 to 4", ci,
                  (long long)L);
        CHECK_MSG(bad <= TOL, "conv case %zu (isa %s): error/scale %.3g", ci,
                  vc_isa_name(vc_isa_active()), bad);
    }
}

static void test_isa_names(void)
{
    CHECK(vc_isa_supported(VC_ISA_C));
    CHECK(vc_isa_supported(vc_isa_active()));
    for (int i = 0; i < VC_ISA_COUNT; i++) CHECK(vc_isa_name((vc_isa)i) != NULL);
    CHECK(vc_isa_name(VC_ISA_COUNT) == NULL);
    /* a supported ISA whose kernels are missing would fall back to C and pass unseen */
    for (int i = VC_ISA_C + 1; i < VC_ISA_COUNT; i++)
        if (vc_isa_supported((vc_isa)i)) {
            CHECK_MSG(vc_dot_kernel_for((vc_isa)i).fn, "%s: no dot kernel", vc_isa_name(i));
            CHECK_MSG(vc_gemm_kernel_for((vc_isa)i).fn, "%s: no gemm kernel", vc_isa_name(i));
        }
    CHECK(!vc_dot_kernel_for(VC_ISA_C).fn && !vc_gemm_kernel_for(VC_ISA_C).fn);
    /* VOCE_ISA naming an ISA this CPU supports selects it (none is above the best) */
    const char *env = getenv("VOCE_ISA");
    for (int i = 0; env && i < VC_ISA_COUNT; i++)
        if (!strcmp(env, vc_isa_name((vc_isa)i)) && vc_isa_supported((vc_isa)i))
            CHECK_MSG(vc_isa_active() == (vc_isa)i, "VOCE_ISA=%s, active %s", env,
                      vc_isa_name(vc_isa_active()));
    printf("  isa: active %s; supported:", vc_isa_name(vc_isa_active()));
    for (int i = 0; i < VC_ISA_COUNT; i++)
        if (vc_isa_supported((vc_isa)i)) printf(" %s", vc_isa_name((vc_isa)i));
    printf("; arm dotprod: %s\n", vc_cpu_has_arm_dotprod() ? "yes" : "no");
}

int main(void)
{
    vt_run("isa", test_isa_names);
    vt_run("gemm shapes", test_shapes);
    vt_run("gemm special cases", test_special);
    vt_run("conv few frames", test_conv_frames);
    return vt_finish();
}
