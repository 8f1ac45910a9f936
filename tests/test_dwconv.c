/* The direct depthwise and pointwise convolutions (src/kernels/cpu/dwconv*.c and
 * pwconv*.c, planned in src/kernels/ref/conv.c) against a double-precision direct
 * convolution written here.
 *
 * Kernel level, on every ISA this CPU supports: the streaming kernel on n = 1 .. 130
 * outputs (every tail of the 64-, 32- and 16-wide blocks) with 1, 2, 9 and 25 taps at
 * scattered offsets; the even-element gather exactly, rows read from buffers that end at
 * the last element it may touch (so that ASan reports any read past it); the pointwise
 * kernel on 1 to 17 rows, 1 to 65 positions and 1 to 96 channels, with and without bias.
 *
 * Op level (Conv through vc_op, on the ISA this process runs: ctest runs the program
 * again with VOCE_ISA=avx2 and VOCE_ISA=c): depthwise 2-D maps of 1, 3 and 17 wide and
 * high, strides 1, 2 and 3, pads 0 and 1 (also one-sided), dilation 2, kernels 3x3, 1x3,
 * 5x5 and 2x3, 3, 5 and 17 channels (none a multiple of a vector width), batch 2, channel
 * multipliers 1 and 2; Conv of one input channel into 5 outputs (the TinyVAD first
 * layer); 1-D depthwise; maps too large for the direct buffers (in bands of rows, one
 * dilated; one too wide for a band row, left to the per-row path); each also on a
 * 2-thread pool, which must give the same bits as one thread (two cases are
 * large enough to be split, one of them between the two outputs of a channel); 1x1
 * convolutions of one image and of a grouped batch, and of 5 positions (left to the GEMM).
 *
 * Tolerance: every output within 1e-5 of its scale, the bias plus the sum of |w * x| over
 * its taps (float sums of at most 96 products in any order, with or without fused
 * multiply-adds, stay far inside it); the direct kernel differs from the old per-row
 * path by summation order only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/threads.h"
#include "harness.h"
#include "kernels/cpu/cpu.h"
#include "kernels/cpu/dwconv.h"
#include "kernels/cpu/pwconv.h"
#include "runtime/op.h"

static uint32_t seed = 2027;

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

/* ---- kernels ---- */

static void test_kernel(void)
{
    static const int tap_counts[] = {1, 2, 9, 25};
    enum { MAXN = 130, SPAN = 400 };
    float *src = rnd_buf(MAXN + SPAN), w[25], dst[MAXN + 1];
    int64_t off[25];
    if (!src) { CHECK(0); return; }
    for (int isa = VC_ISA_C; isa < VC_ISA_COUNT; isa++) {
        if (!vc_isa_supported((vc_isa)isa)) continue;
        vc_dw_fn fn = vc_dw_kernel_for((vc_isa)isa);
        for (size_t ti = 0; ti < sizeof tap_counts / sizeof tap_counts[0]; ti++) {
            int taps = tap_counts[ti];
            for (int t = 0; t < taps; t++) {
                w[t] = rnd();
                off[t] = (t * 37 + 11) % SPAN;
            }
            for (int64_t n = 1; n <= MAXN; n++) {
                float bias = rnd();
                dst[n] = 12345.0f; /* past the end: must stay */
                fn(n, taps, off, w, bias, NULL, src, dst);
                double bad = 0;
                for (int64_t f = 0; f < n; f++) {
                    double s = bias, a = fabs(bias);
                    for (int t = 0; t < taps; t++) {
                        double p = (double)w[t] * src[f + off[t]];
                        s += p;
                        a += fabs(p);
                    }
                    double r = fabs(dst[f] - s) / (a + 1e-30);
                    if (!(r <= bad)) bad = r;
                }
                CHECK_MSG(bad <= 1e-5, "%s kernel, %d taps, n = %lld: error %.3g of scale",
                          vc_isa_name(isa), taps, (long long)n, bad);
                CHECK_MSG(dst[n] == 12345.0f, "%s kernel, n = %lld wrote past the end",
                          vc_isa_name(isa), (long long)n);
            }
        }
    }
    free(src);
}

static void test_even(void)
{
    for (int isa = VC_ISA_C; isa < VC_ISA_COUNT; isa++) {
        if (!vc_isa_supported((vc_isa)isa)) continue;
        vc_dw_even_fn even = vc_dw_even_for((vc_isa)isa);
        for (int64_t rows = 1; rows <= 3; rows++)
            for (int64_t n = 1; n <= 40; n++) {
                int64_t ls = 2 * n + 3, ld = n + 2;
                size_t need = (size_t)((rows - 1) * ls + 2 * n - 1); /* ends at the last even */
                float *src = rnd_buf(need), *dst = malloc(sizeof(float) * (size_t)(rows * ld));
                if (!src || !dst) {
                    free(src), free(dst);
                    CHECK(0);
                    return;
                }
                for (int64_t i = 0; i < rows * ld; i++) dst[i] = -7.0f;
                even(rows, n, src, ls, dst, ld);
                int ok = 1;
                for (int64_t r = 0; r < rows; r++)
                    for (int64_t c = 0; c < ld; c++)
                        ok &= dst[r * ld + c] == (c < n ? src[r * ls + 2 * c] : -7.0f);
                CHECK_MSG(ok, "%s even gather, %lld rows of %lld", vc_isa_name(isa),
                          (long long)rows, (long long)n);
                free(src), free(dst);
            }
    }
}

/* The pointwise kernel (where the ISA has one) on m, l, c across every tile edge. */
static void test_pointwise_kernel(void)
{
    static const int64_t ms[] = {1, 3, 4, 5, 17}, ls[] = {1, 3, 16, 17, 33, 63, 64, 65};
    static const int64_t cs[] = {1, 3, 17, 96};
    for (int isa = VC_ISA_C; isa < VC_ISA_COUNT; isa++) {
        vc_pw_fn pw = vc_isa_supported((vc_isa)isa) ? vc_pw_kernel_for((vc_isa)isa) : NULL;
        if (!pw) continue;
        for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
            for (size_t li = 0; li < sizeof ls / sizeof ls[0]; li++)
                for (size_t ci = 0; ci < sizeof cs / sizeof cs[0]; ci++) {
                    int64_t m = ms[mi], l = ls[li], c = cs[ci];
                    float *w = rnd_buf((size_t)(m * c)), *x = rnd_buf((size_t)(c * l));
                    float *b = rnd_buf((size_t)m), *y = malloc(sizeof(float) * (size_t)(m * l + 1));
                    if (!w || !x || !b || !y) {
                        free(w), free(x), free(b), free(y);
                        CHECK(0);
                        return;
                    }
                    int with_bias = (int)(li & 1);
                    y[m * l] = 12345.0f; /* past the end: must stay */
                    pw(m, l, c, w, with_bias ? b : NULL, NULL, x, y);
                    double bad = 0;
                    for (int64_t i = 0; i < m; i++)
                        for (int64_t j = 0; j < l; j++) {
                            double sum = with_bias ? b[i] : 0.0, a = fabs(sum);
                            for (int64_t k = 0; k < c; k++) {
                                double p = (double)w[i * c + k] * x[k * l + j];
                                sum += p;
                                a += fabs(p);
                            }
                            double r = fabs(y[i * l + j] - sum) / (a + 1e-30);
                            if (!(r <= bad)) bad = r;
                        }
                    CHECK_MSG(bad <= 1e-5 && y[m * l] == 12345.0f,
                              "%s pointwise %lld x %lld x %lld: error %.3g of scale%s",
                              vc_isa_name(isa), (long long)m, (long long)l, (long long)c, bad,
                              y[m * l] == 12345.0f ? "" : ", wrote past the end");
                    free(w), free(x), free(b), free(y);
                }
    }
}

/* ---- Conv ---- */

typedef struct {
    int nsp;                   /* 1 or 2 */
    int64_t N, C, M, group;    /* batch, input channels, outputs, group */
    int64_t H, W, kh, kw;      /* image and kernel (H = kh = 1 for 1-D) */
    int64_t sy, sx, dy, dx;    /* strides, dilations */
    int64_t pt, pl, pbot, pr;  /* pads: top, left, bottom, right */
} dw_case;

static int64_t out_len(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1)
{
    return (in + p0 + p1 - ((k - 1) * d + 1)) / s + 1;
}

/* Run Conv on x (threads t, NULL for one) into y; *OH, *OW the output extent. */
static voce_status conv_op(const dw_case *c, const float *x, const float *w, const float *b,
                           float *y, vc_threads *t)
{
    const vc_op *op = vc_op_find("Conv");
    if (!op) return VOCE_ERR_INTERNAL;
    int ns = c->nsp;
    int64_t strides[2] = {c->sy, c->sx}, dil[2] = {c->dy, c->dx};
    int64_t pads[4] = {c->pt, c->pl, c->pbot, c->pr};
    if (ns == 1) {
        strides[0] = c->sx, dil[0] = c->dx;
        pads[0] = c->pl, pads[1] = c->pr;
    }
    vc_attr at[4] = {{.name = "strides", .type = VC_ATTR_INTS, .count = ns, .ints = strides},
                     {.name = "dilations", .type = VC_ATTR_INTS, .count = ns, .ints = dil},
                     {.name = "pads", .type = VC_ATTR_INTS, .count = 2 * ns, .ints = pads},
                     {.name = "group", .type = VC_ATTR_INT, .i = c->group}};
    vc_node n = {.op = op, .op_type = "Conv", .name = "dwconv", .n_in = 3, .n_out = 1,
                 .n_attr = 4, .attr = at};
    vc_tensor tx = {VOCE_DTYPE_F32, 2 + ns, {c->N, c->C, c->H, c->W}, (void *)x};
    vc_tensor tw = {VOCE_DTYPE_F32, 2 + ns, {c->M, c->C / c->group, c->kh, c->kw}, (void *)w};
    vc_tensor tb = {VOCE_DTYPE_F32, 1, {c->M}, (void *)b};
    if (ns == 1) {
        tx.dims[2] = c->W;
        tw.dims[2] = c->kw;
    }
    vc_tensor *in[3] = {&tx, &tw, &tb};
    vc_tensor out;
    memset(&out, 0, sizeof out);
    voce_status st = op->infer(&n, in, &out);
    if (st) return st;
    size_t need = op->scratch ? op->scratch(&n, in, &out) : 0;
    void *scratch = malloc(need + 64);
    out.data = y;
    vc_ctx ctx = {scratch, need, t, NULL, NULL};
    st = scratch ? op->run(&n, in, &out, &ctx) : VOCE_ERR_NOMEM;
    free(scratch);
    return st;
}

/* Worst error of y against the double-precision direct convolution, relative to each
 * output's scale. */
static double conv_error(const dw_case *c, const float *x, const float *w, const float *b,
                         const float *y, int64_t OH, int64_t OW)
{
    int64_t cg = c->C / c->group, mg = c->M / c->group;
    double bad = 0;
    for (int64_t nb = 0; nb < c->N; nb++)
        for (int64_t m = 0; m < c->M; m++)
            for (int64_t oy = 0; oy < OH; oy++)
                for (int64_t ox = 0; ox < OW; ox++) {
                    double s = b[m], a = fabs(b[m]);
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t ky = 0; ky < c->kh; ky++)
                            for (int64_t kx = 0; kx < c->kw; kx++) {
                                int64_t iy = oy * c->sy + ky * c->dy - c->pt;
                                int64_t ix = ox * c->sx + kx * c->dx - c->pl;
                                if (iy < 0 || iy >= c->H || ix < 0 || ix >= c->W) continue;
                                int64_t ch = m / mg * cg + ci;
                                double p = (double)w[((m * cg + ci) * c->kh + ky) * c->kw + kx] *
                                           x[((nb * c->C + ch) * c->H + iy) * c->W + ix];
                                s += p;
                                a += fabs(p);
                            }
                    double got = y[((nb * c->M + m) * OH + oy) * OW + ox];
                    double r = fabs(got - s) / (a + 1e-30);
                    if (!(r <= bad)) bad = r;
                }
    return bad;
}

static void run_case(int ci, const dw_case *c, vc_threads *pool)
{
    int64_t OH = out_len(c->H, c->kh, c->sy, c->dy, c->pt, c->pbot);
    int64_t OW = out_len(c->W, c->kw, c->sx, c->dx, c->pl, c->pr);
    size_t ny = (size_t)(c->N * c->M * OH * OW);
    float *x = rnd_buf((size_t)(c->N * c->C * c->H * c->W));
    float *w = rnd_buf((size_t)(c->M * (c->C / c->group) * c->kh * c->kw));
    float *b = rnd_buf((size_t)c->M), *y1 = malloc(sizeof(float) * ny), *y2 = malloc(sizeof(float) * ny);
    voce_status st = x && w && b && y1 && y2 ? conv_op(c, x, w, b, y1, NULL) : VOCE_ERR_NOMEM;
    CHECK_MSG(!st, "case %d: %s", ci, voce_last_error());
    if (!st) {
        double bad = conv_error(c, x, w, b, y1, OH, OW);
        CHECK_MSG(bad <= 1e-5, "case %d (%s, %lldx%lld, k %lldx%lld, s %lld,%lld): error %.3g of scale",
                  ci, vc_isa_name(vc_isa_active()), (long long)c->H, (long long)c->W,
                  (long long)c->kh, (long long)c->kw, (long long)c->sy, (long long)c->sx, bad);
        st = conv_op(c, x, w, b, y2, pool);
        CHECK_MSG(!st && !memcmp(y1, y2, sizeof(float) * ny), "case %d: 2 threads differ from 1", ci);
    }
    free(x), free(w), free(b), free(y1), free(y2);
}

static void test_conv(void)
{
    /* nsp, N, C, M, group, H, W, kh, kw, sy, sx, dy, dx, pads t l b r */
    static const dw_case cases[] = {
        {2, 1, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {2, 2, 5, 5, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {2, 1, 17, 17, 17, 17, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {2, 2, 5, 5, 5, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
        {2, 1, 3, 3, 3, 17, 3, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1},
        {2, 1, 3, 3, 3, 3, 17, 3, 3, 1, 2, 1, 1, 0, 0, 0, 0},
        {2, 1, 5, 5, 5, 17, 17, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0},
        {2, 2, 3, 6, 3, 16, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  /* multiplier 2 */
        {2, 1, 5, 5, 5, 17, 16, 3, 3, 3, 3, 1, 1, 1, 0, 0, 1},  /* stride 3, one-sided */
        {2, 1, 3, 3, 3, 17, 17, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},  /* dilation 2 */
        {2, 1, 3, 3, 3, 17, 17, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1},  /* dilation with stride */
        {2, 1, 5, 5, 5, 17, 17, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2},
        {2, 1, 3, 3, 3, 17, 17, 1, 3, 1, 2, 1, 1, 0, 1, 0, 1},
        {2, 1, 3, 3, 3, 4, 17, 2, 3, 1, 2, 1, 1, 1, 0, 0, 1},   /* even kernel height */
        {2, 2, 1, 5, 1, 17, 16, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1},  /* one input channel, 5 outputs */
        {2, 1, 1, 4, 1, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {1, 2, 5, 5, 5, 1, 17, 1, 5, 1, 1, 1, 1, 0, 2, 0, 2},   /* 1-D */
        {1, 1, 3, 6, 3, 1, 33, 1, 3, 1, 2, 1, 1, 0, 1, 0, 0},
        {1, 1, 3, 3, 3, 1, 1, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1},
        {2, 1, 3, 3, 3, 50, 47, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  /* past the direct buffers */
        {2, 1, 3, 3, 3, 70, 41, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
        {2, 1, 3, 3, 3, 90, 33, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},  /* in bands, dilation 2 */
        {2, 1, 3, 3, 3, 9, 300, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1},  /* too wide for one band row */
        {1, 1, 4, 4, 4, 1, 3000, 1, 9, 1, 1, 1, 1, 0, 4, 0, 4},
        /* large enough to be shared among threads; the second splits a channel's two
         * outputs between tasks */
        {2, 8, 48, 48, 48, 16, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
        {2, 5, 25, 50, 25, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        /* pointwise: one image (the product alone), a batch of grouped images */
        {2, 1, 17, 5, 1, 3, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
        {2, 3, 6, 10, 2, 4, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
        {2, 4, 96, 48, 1, 4, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
        {2, 2, 7, 3, 1, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},   /* few positions: the GEMM */
    };
    vc_threads *pool = NULL;
    CHECK_OK(vc_threads_create(2, &pool));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case((int)i, &cases[i], pool);
    vc_threads_destroy(pool);
}

int main(void)
{
    vt_run("dw kernel", test_kernel);
    vt_run("dw even gather", test_even);
    vt_run("pointwise kernel", test_pointwise_kernel);
    vt_run("dw conv", test_conv);
    return vt_finish();
}
