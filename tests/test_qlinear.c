/* voce:QLinear and `voce compile --quant` (docs/quantization.md).
 *
 *   paths:    every kernel path this CPU runs (C, AVX2, AVX-512, AVX-VNNI, AVX-512 VNNI;
 *             on Arm NEON and the SDOT dot product) against the C reference on odd
 *             shapes, every mode and group size. 8da modes must match bit for bit;
 *             weight-only modes within the bound stated in qlinear.h,
 *             (K + 2) * 2^-24 * (sum |x w| + |bias|). Splitting the work into other row
 *             and block ranges must not change a bit. The paths the op uses are printed.
 *   panels:   weight-only modes on the panel path (vc_qgemm_panels: weights dequantized
 *             block by block, the f32 GEMM's micro-kernel of each ISA this CPU runs) on
 *             the same shapes and on a few with several K and N blocks: within the same
 *             bound, and the same bits on a pool of 2 threads as on one.
 *   act:      the vector activation quantizers (vc_qact_row_isa: AVX2, AVX-512, NEON)
 *             give vc_qact_row's bytes, scale and zero point bit for bit, on rows of
 *             every length mod 16 with NaN, infinities, -0, subnormals, overflowing
 *             ranges and exact rounding ties.
 *   threads:  the op on a pool of 2 threads equals the op on one, bit for bit, and the
 *             reference (8da exactly, weight-only within the bound): M = 130 takes the
 *             panel path in weight-only modes and the vector quantizer in 8da modes.
 *   numpy:    the C packer + reference kernel against tests/ref/gen_quant_refs.py's own
 *             implementation of the scheme (8da exact; weight-only within 1e-5 of the
 *             scale sum |x w|).
 *   models:   small ONNX models compiled with every mode and group size and run, against
 *             the numpy simulation of the same quantization (2e-5 of the output's
 *             scale max |y|; in 8da modes 95% of the elements so, and all within 1%:
 *             where an activation sits on a rounding boundary after f32 ops that numpy
 *             and voce round differently, e.g. LayerNorm, one code flips and moves a
 *             layer's outputs by xs * |w|) and against the f32 model (loose: 4% for 8-bit, 25% for 4-bit
 *             weights, of max |y|; the figures are printed); counts of quantized and
 *             f32 layers against the simulation's; 1 and 2 threads bit-identical.
 *   cli:      `voce info` lists the layers left f32 (--quant-skip, K not divisible,
 *             Conv); bad modes and group sizes are refused.
 * VOCE_TEST_QUICK=1 (qemu): paths without M = 65 and N = 1023, models at group size 32
 * only for the transformer; the same kernels and tiles, a third of the time. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "compiler/quantize.h"
#include "core/npy.h"
#include "core/threads.h"
#include "harness.h"
#include "kernels/cpu/qgemm.h"
#include "runtime/op.h"
#include "voce/runtime.h"

static uint32_t seed = 777;

static float rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

/* A packed layer with random weights (an all-zero group and a large outlier included). */
typedef struct {
    vc_qweights q;
    float *W, *bias;
    uint8_t *wq;
    float *s;
    int32_t *ws;
} layer;

static int64_t prod3(const int64_t *d) { return d[0] * d[1] * d[2]; }

static int layer_make(layer *l, vc_qmode m, int64_t N, int64_t K, int64_t G)
{
    int64_t wd[3], sd[3];
    vc_qweight_dims(m, N, K, wd);
    vc_qscale_dims(N, K, G, sd);
    memset(l, 0, sizeof *l);
    l->W = malloc(sizeof(float) * (size_t)(N * K));
    l->bias = malloc(sizeof(float) * (size_t)N);
    l->wq = malloc((size_t)prod3(wd));
    l->s = malloc(sizeof(float) * (size_t)prod3(sd));
    l->ws = malloc(sizeof(int32_t) * (size_t)prod3(sd));
    if (!l->W || !l->bias || !l->wq || !l->s || !l->ws) return -1;
    for (int64_t i = 0; i < N * K; i++) l->W[i] = 0.1f * rnd();
    for (int64_t k = 0; k < G; k++) l->W[k] = 0.0f;
    if (N * K > G) l->W[N * K - 1] = 3.0f;
    for (int64_t n = 0; n < N; n++) l->bias[n] = rnd();
    vc_quant_pack(m, G, N, K, l->W, l->wq, l->s, vc_qmode_dynamic(m) ? l->ws : NULL);
    vc_qweights q = {m, N, K, G, l->wq, l->s, vc_qmode_dynamic(m) ? l->ws : NULL, l->bias};
    l->q = q;
    return 0;
}

static void layer_free(layer *l)
{
    free(l->W);
    free(l->bias);
    free(l->wq);
    free(l->s);
    free(l->ws);
}

typedef struct {
    int64_t M;
    float *X, *xs;
    uint8_t *xq;
    int32_t *zp;
    double *bound; /* wo_excess's, made on first use */
} acts;

static int acts_make(acts *a, int64_t M, int64_t K)
{
    a->M = M;
    a->bound = NULL;
    a->X = malloc(sizeof(float) * (size_t)(M * K));
    a->xq = malloc((size_t)(M * K));
    a->xs = malloc(sizeof(float) * (size_t)M);
    a->zp = malloc(sizeof(int32_t) * (size_t)M);
    if (!a->X || !a->xq || !a->xs || !a->zp) return -1;
    for (int64_t i = 0; i < M * K; i++) a->X[i] = 2.0f * rnd();
    for (int64_t k = 0; k < K; k++) a->X[k] = fabsf(a->X[k]); /* a row of one sign: zp 0 */
    for (int64_t m = 0; m < M; m++) vc_qact_row(a->X + m * K, K, a->xq + m * K, &a->xs[m], &a->zp[m]);
    return 0;
}

static void acts_free(acts *a)
{
    free(a->X);
    free(a->xq);
    free(a->xs);
    free(a->zp);
    free(a->bound);
}

static void run_path(vc_qpath p, const layer *l, const acts *a, float *Y, int64_t b0, int64_t b1)
{
    vc_qgemm_blocks(p, &l->q, a->M, a->X, a->xq, a->xs, a->zp, Y, b0, b1);
}

/* The bound of qlinear.h for each element (weight-only): (K + 2) 2^-24 (sum |x w| + |b|). */
static void make_bounds(const layer *l, acts *a)
{
    int64_t N = l->q.N, K = l->q.K;
    float *w = malloc(sizeof(float) * (size_t)K);
    a->bound = malloc(sizeof(double) * (size_t)(a->M * N));
    for (int64_t n = 0; n < N; n++) {
        for (int64_t k = 0; k < K; k++)
            w[k] = (float)vc_qweight_get(&l->q, n, k) * l->s[(n / 16 * (K / l->q.G) + k / l->q.G) * 16 + n % 16];
        for (int64_t m = 0; m < a->M; m++) {
            double s = fabs(l->bias[n]);
            for (int64_t k = 0; k < K; k++) s += fabs((double)a->X[m * K + k] * w[k]);
            a->bound[m * N + n] = (K + 2) * ldexp(1, -24) * s + 1e-30;
        }
    }
    free(w);
}

/* Max over elements of |y - ref| / bound (weight-only). */
static double wo_excess(const layer *l, acts *a, const float *y, const float *ref)
{
    double worst = 0;
    int64_t N = l->q.N;
    if (!a->bound) make_bounds(l, a);
    for (int64_t i = 0; i < a->M * N; i++) {
        double e = fabs((double)y[i] - ref[i]) / a->bound[i];
        if (isnan(e)) return INFINITY;
        if (e > worst) worst = e;
    }
    return worst;
}

/* The panel path of every ISA that has one, on 1 and 2 threads: the bound, same bits. */
static int check_panels(vc_threads *pool, const layer *l, acts *a, const float *ref)
{
    int64_t M = a->M, N = l->q.N, K = l->q.K, G = l->q.G;
    float *y = malloc(sizeof(float) * (size_t)(M * N)), *y2 = malloc(sizeof(float) * (size_t)(M * N));
    int bad = 0;
    for (int p = VC_QPATH_AVX2; p < VC_QPATH_COUNT && !bad; p++) {
        size_t ss = vc_qgemm_panel_bytes((vc_qpath)p, &l->q);
        if (!ss) continue;
        void *scratch = malloc(ss);
        memset(y, 0xff, sizeof(float) * (size_t)(M * N));
        memset(y2, 0xff, sizeof(float) * (size_t)(M * N));
        if (vc_qgemm_panels(NULL, (vc_qpath)p, &l->q, M, a->X, y, scratch) ||
            vc_qgemm_panels(pool, (vc_qpath)p, &l->q, M, a->X, y2, scratch))
            bad = 3;
        else if (!(wo_excess(l, a, y, ref) <= 1.0))
            bad = 1;
        else if (memcmp(y, y2, sizeof(float) * (size_t)(M * N)))
            bad = 2;
        free(scratch);
        if (bad)
            vt_fail(__FILE__, __LINE__, "%s panels %s M %lld N %lld K %lld G %lld: %s", vc_qmode_name(l->q.mode),
                    vc_qpath_name((vc_qpath)p), (long long)M, (long long)N, (long long)K, (long long)G,
                    bad == 3 ? "failed" : bad == 2 ? "2 threads changed bits" : "differs from the reference");
    }
    free(y);
    free(y2);
    return bad;
}

static int check_shape(vc_threads *pool, vc_qmode m, int64_t M, int64_t N, int64_t K, int64_t G)
{
    layer l;
    acts a;
    int bad = 0;
    if (layer_make(&l, m, N, K, G) || acts_make(&a, M, K)) { vt_fail(__FILE__, __LINE__, "alloc"); return 1; }
    float *ref = malloc(sizeof(float) * (size_t)(M * N)), *y = malloc(sizeof(float) * (size_t)(M * N));
    int64_t nb = (N + 15) / 16;
    run_path(VC_QPATH_C, &l, &a, ref, 0, nb);
    if (!vc_qmode_dynamic(m)) bad = check_panels(pool, &l, &a, ref);
    for (int p = VC_QPATH_AVX2; p < VC_QPATH_COUNT && !bad; p++) {
        if (!vc_qpath_supported((vc_qpath)p, vc_qmode_dynamic(m))) continue;
        memset(y, 0xff, sizeof(float) * (size_t)(M * N));
        run_path((vc_qpath)p, &l, &a, y, 0, nb);
        if (vc_qmode_dynamic(m)) {
            bad = memcmp(y, ref, sizeof(float) * (size_t)(M * N)) != 0;
        } else {
            double e = wo_excess(&l, &a, y, ref);
            bad = !(e <= 1.0);
        }
        /* another split: one block at a time, rows in two parts */
        float *y2 = malloc(sizeof(float) * (size_t)(M * N));
        acts top = a, bottom = a;
        top.M = M / 2;
        bottom.M = M - M / 2;
        bottom.X += top.M * K;
        bottom.xq += top.M * K;
        bottom.xs += top.M;
        bottom.zp += top.M;
        for (int64_t b = 0; b < nb; b++) {
            run_path((vc_qpath)p, &l, &top, y2, b, b + 1);
            run_path((vc_qpath)p, &l, &bottom, y2 + top.M * N, b, b + 1);
        }
        if (!bad && memcmp(y, y2, sizeof(float) * (size_t)(M * N))) bad = 2;
        free(y2);
        if (bad)
            vt_fail(__FILE__, __LINE__, "%s path %s M %lld N %lld K %lld G %lld: %s", vc_qmode_name(m),
                    vc_qpath_name((vc_qpath)p), (long long)M, (long long)N, (long long)K, (long long)G,
                    bad == 2 ? "another split changed bits" : "differs from the reference");
    }
    free(ref);
    free(y);
    acts_free(&a);
    layer_free(&l);
    return bad;
}

static void test_paths(void)
{
    static const int64_t Ms[] = {1, 3, 17, 63, 65}, Ns[] = {1, 15, 17, 48, 95, 1023};
    /* weight-only shapes with several K blocks (x86 384, NEON 256) and N blocks (x86
     * 1024, NEON 192), an odd number of groups per block, N past a panel's edge */
    static const int64_t wide[][4] = {{50, 1100, 416, 32}, {13, 1041, 800, 32}, {7, 200, 896, 128}};
    vc_threads *pool = NULL;
    CHECK_OK(vc_threads_create(2, &pool));
    int count = 0, nm = vt_quick() ? 4 : 5, nn = vt_quick() ? 5 : 6, bad = 0;
    for (int m = VC_Q_W8; m <= VC_Q_8DA4W && !bad; m++) {
        for (int64_t G = 32; G <= 128 && !bad; G *= 2)
            for (int im = 0; im < nm && !bad; im++)
                for (int in = 0; in < nn && !bad; in++) {
                    int64_t K = G * (1 + 2 * ((im + in) % 3)); /* G, 3G, 5G */
                    if (Ms[im] * Ns[in] * K > (1 << 22)) K = G;
                    bad = check_shape(pool, (vc_qmode)m, Ms[im], Ns[in], K, G);
                    count++;
                }
        for (int i = 0; i < (vt_quick() ? 1 : 3) && !bad && !vc_qmode_dynamic((vc_qmode)m); i++, count++)
            bad = check_shape(pool, (vc_qmode)m, wide[i][0], wide[i][1], wide[i][2], wide[i][3]);
    }
    vc_threads_destroy(pool);
    if (bad) return;
    printf("  %d shapes x modes; paths:", count);
    for (int p = 0; p < VC_QPATH_COUNT; p++)
        for (int d = 0; d < 2; d++)
            if (vc_qpath_supported((vc_qpath)p, d)) printf(" %s(%s)", vc_qpath_name((vc_qpath)p), d ? "8da" : "w");
    printf("; the op runs %s (w; panels from %d rows: %s) and %s (8da)\n", vc_qpath_name(vc_qpath_active(0)),
           VC_QPANEL_MIN_ROWS, vc_isa_name(vc_isa_active()), vc_qpath_name(vc_qpath_active(1)));
}

/* ---- the vector activation quantizers ---- */

static float special(int i)
{
    static const float v[] = {NAN, INFINITY, -INFINITY, -0.0f, 1e-40f, -3e-41f, 3e38f, -3e38f, 0.0f};
    return v[i % 9];
}

/* Row r of a batch: random values, then r's own pattern of special values. */
static void act_row(int r, float *x, int64_t K)
{
    float amp = r % 5 == 0 ? 1e-30f : r % 5 == 1 ? 1e20f : 3.0f;
    for (int64_t k = 0; k < K; k++) x[k] = amp * rnd();
    switch (r % 8) {
    case 1: for (int64_t k = 0; k < K; k++) x[k] = -fabsf(x[k]); break; /* lo < 0 = hi */
    case 2: for (int64_t k = 0; k < K; k++) x[k] = fabsf(x[k]) + 1.0f; break;
    case 3: for (int64_t k = 0; k < K; k++) x[k] = 0.0f; break;
    case 4: /* lo 0, hi 255: scale 1, and every k + 0.5 a tie */
        for (int64_t k = 0; k < K; k++) x[k] = (float)(k % 255) + (k % 3 ? 0.5f : 0.0f);
        x[K - 1] = 255.0f;
        break;
    case 5: x[(r * 7) % K] = special(r); break;
    case 6: x[K - 1] = special(r / 8); x[0] = special(r / 8 + 3); break;
    case 7: for (int64_t k = 0; k < K; k += 5) x[k] = special((int)k + r); break;
    default: break;
    }
}

static void test_act(void)
{
    static const int64_t Ks[] = {1, 3, 8, 15, 16, 17, 31, 33, 64, 100, 384, 1027};
    float x[1027];
    uint8_t want[1027], got[1028]; /* one past K: nothing may be written there */
    int isas = 0;
    for (int isa = VC_ISA_NEON; isa < VC_ISA_COUNT; isa++) {
        if (!vc_isa_supported((vc_isa)isa)) continue;
        isas++;
        for (int ik = 0; ik < 12; ik++)
            for (int r = 0; r < 72; r++) {
                int64_t K = Ks[ik];
                float xs0, xs1;
                int32_t zp0, zp1;
                act_row(r, x, K);
                vc_qact_row(x, K, want, &xs0, &zp0);
                memset(got, 0xAA, sizeof got);
                vc_qact_row_isa((vc_isa)isa, x, K, got, &xs1, &zp1);
                CHECK_MSG(!memcmp(want, got, (size_t)K) && !memcmp(&xs0, &xs1, sizeof xs0) && zp0 == zp1 &&
                              got[K] == 0xAA,
                          "%s: row %d of K %lld: scale %g / %g, zp %d / %d", vc_isa_name((vc_isa)isa), r, (long long)K,
                          xs0, xs1, zp0, zp1);
            }
    }
    printf("  %d vector quantizer(s) against vc_qact_row\n", isas);
}

/* The op through vc_op: one thread and two threads give the same bits. */
static void test_threads(void)
{
    const vc_op *op = vc_op_find("voce:QLinear");
    CHECK(op);
    vc_threads *pool = NULL;
    CHECK_OK(vc_threads_create(2, &pool));
    for (int m = VC_Q_W8; m <= VC_Q_8DA4W; m++) {
        int64_t M = 130, N = 300, K = 256, G = 64;
        layer l;
        acts a;
        CHECK(!layer_make(&l, (vc_qmode)m, N, K, G) && !acts_make(&a, M, K));
        int64_t wd[3], sd[3];
        vc_qweight_dims((vc_qmode)m, N, K, wd);
        vc_qscale_dims(N, K, G, sd);
        vc_tensor tx = {.dtype = VOCE_DTYPE_F32, .rank = 2, .dims = {M, K}, .data = a.X};
        vc_tensor tw = {.dtype = vc_qmode_bits((vc_qmode)m) == 4 ? VOCE_DTYPE_U8 : VOCE_DTYPE_I8, .rank = 3,
                        .dims = {wd[0], wd[1], wd[2]}, .data = l.wq};
        vc_tensor ts = {.dtype = VOCE_DTYPE_F32, .rank = 3, .dims = {sd[0], sd[1], sd[2]}, .data = l.s};
        vc_tensor tb = {.dtype = VOCE_DTYPE_F32, .rank = 1, .dims = {N}, .data = l.bias};
        vc_tensor tsum = {.dtype = VOCE_DTYPE_I32, .rank = 3, .dims = {sd[0], sd[1], sd[2]}, .data = l.ws};
        vc_tensor *in[5] = {&tx, &tw, &ts, &tb, &tsum};
        vc_attr at[4] = {{.name = "mode", .type = VC_ATTR_STRING, .s = vc_qmode_name((vc_qmode)m)},
                         {.name = "N", .type = VC_ATTR_INT, .i = N},
                         {.name = "K", .type = VC_ATTR_INT, .i = K},
                         {.name = "group_size", .type = VC_ATTR_INT, .i = G}};
        vc_node n = {.op = op, .op_type = op->name, .name = "q", .n_in = vc_qmode_dynamic((vc_qmode)m) ? 5 : 4,
                     .n_out = 1, .n_attr = 4, .attr = at};
        vc_tensor out[2];
        CHECK_OK(op->infer(&n, in, &out[0]));
        CHECK(out[0].rank == 2 && out[0].dims[1] == N);
        size_t ss = op->scratch(&n, in, &out[0]);
        void *scratch = ss ? aligned_alloc(64, (ss + 63) & ~(size_t)63) : NULL;
        out[1] = out[0];
        float *y1 = malloc(sizeof(float) * (size_t)(M * N)), *y2 = malloc(sizeof(float) * (size_t)(M * N));
        out[0].data = y1;
        out[1].data = y2;
        vc_ctx c1 = {.scratch = scratch, .scratch_size = ss}, c2 = {.scratch = scratch, .scratch_size = ss, .threads = pool};
        CHECK_OK(op->run(&n, in, &out[0], &c1));
        CHECK_OK(op->run(&n, in, &out[1], &c2));
        int same = !memcmp(y1, y2, sizeof(float) * (size_t)(M * N));
        float *ref = malloc(sizeof(float) * (size_t)(M * N));
        vc_qlinear_ref(&l.q, M, a.X, a.xq, a.xs, a.zp, ref, 0, N);
        int near = vc_qmode_dynamic((vc_qmode)m) ? !memcmp(y1, ref, sizeof(float) * (size_t)(M * N))
                                                 : wo_excess(&l, &a, y1, ref) <= 1.0;
        free(ref);
        free(y1);
        free(y2);
        free(scratch);
        acts_free(&a);
        layer_free(&l);
        CHECK_MSG(same, "%s: 1 and 2 threads differ", vc_qmode_name((vc_qmode)m));
        CHECK_MSG(near, "%s: the op differs from the reference", vc_qmode_name((vc_qmode)m));
    }
    vc_threads_destroy(pool);
}

/* ---- against numpy ---- */

static const char *ref_path(const char *name)
{
    static char path[2048];
    snprintf(path, sizeof path, "%s/%s", vt_build_path(NULL, "quant-ref"), name);
    return path;
}

static int load(const char *name, vc_tensor *t)
{
    if (vc_npy_read(ref_path(name), t)) {
        vt_fail(__FILE__, __LINE__, "%s: %s", name, voce_last_error());
        return -1;
    }
    return 0;
}

static double max_abs(const float *p, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fabs(p[i]) > m ? fabs(p[i]) : m;
    return m;
}

static double max_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d; /* NaN counts as the worst */
    }
    return m;
}

static int loadf(vc_tensor *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int loadf(vc_tensor *t, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return load(name, t);
}

static int numpy_case(int i, int64_t M, int64_t N, int64_t K, int64_t G, vc_qmode m)
{
    vc_tensor tx, tw, tb, ty;
    const char *mn = vc_qmode_name(m);
    if (loadf(&tx, "k_%d.x.npy", i) || loadf(&tw, "k_%d.w.npy", i) || loadf(&tb, "k_%d.b.npy", i) ||
        loadf(&ty, "k_%d.%s.y.npy", i, mn))
        return 1;
    layer l;
    layer_make(&l, m, N, K, G);
    memcpy(l.W, tw.data, sizeof(float) * (size_t)(N * K));
    memcpy(l.bias, tb.data, sizeof(float) * (size_t)N);
    vc_quant_pack(m, G, N, K, l.W, l.wq, l.s, vc_qmode_dynamic(m) ? l.ws : NULL);
    acts a = {.M = M, .X = tx.data, .xq = malloc((size_t)(M * K)), .xs = malloc(sizeof(float) * (size_t)M),
              .zp = malloc(sizeof(int32_t) * (size_t)M)};
    for (int64_t r = 0; r < M; r++) vc_qact_row(a.X + r * K, K, a.xq + r * K, &a.xs[r], &a.zp[r]);
    float *y = malloc(sizeof(float) * (size_t)(M * N));
    vc_qlinear_ref(&l.q, M, a.X, a.xq, a.xs, a.zp, y, 0, N);
    double d = max_diff(y, ty.data, M * N), tol = vc_qmode_dynamic(m) ? 0 : 1e-5 * max_abs(ty.data, M * N);
    int bad = !(d <= tol);
    if (bad) vt_fail(__FILE__, __LINE__, "case %d %s: max |C - numpy| = %g > %g", i, vc_qmode_name(m), d, tol);
    free(y);
    free(a.xq);
    free(a.xs);
    free(a.zp);
    layer_free(&l);
    free(tx.data);
    free(tw.data);
    free(tb.data);
    free(ty.data);
    return bad;
}

static void test_numpy(void)
{
    FILE *f = fopen(ref_path("kernel_cases.txt"), "r");
    if (!f) VT_SKIP("no %s (run gen_quant_refs)", ref_path("kernel_cases.txt"));
    int i, n = 0;
    long long M, N, K, G;
    while (fscanf(f, "%d %lld %lld %lld %lld", &i, &M, &N, &K, &G) == 5) {
        for (int m = VC_Q_W8; m <= VC_Q_8DA4W; m++)
            if (numpy_case(i, M, N, K, G, (vc_qmode)m)) { fclose(f); return; }
        n++;
    }
    fclose(f);
    CHECK(n >= 5);
}

/* ---- compiled models ---- */

static voce_status run_program(const char *path, const vc_tensor *x, int threads, float **y, int64_t *ny)
{
    voce_program *p = NULL;
    voce_method *m = NULL;
    voce_method_options mo = voce_method_options_default();
    mo.threads = threads;
    voce_status st = voce_program_open(path, NULL, &p);
    if (!st) st = voce_method_create(p, NULL, &mo, &m);
    voce_tensor in = {x->dtype, x->rank, {0}, x->data, (size_t)vc_nbytes(x)};
    for (int d = 0; d < x->rank; d++) in.dims[d] = x->dims[d];
    if (!st) st = voce_method_set_input(m, 0, &in);
    if (!st) st = voce_method_execute(m);
    voce_tensor out;
    if (!st) st = voce_method_output(m, 0, &out);
    if (!st) {
        *ny = (int64_t)(out.nbytes / sizeof(float));
        *y = malloc(out.nbytes);
        memcpy(*y, out.data, out.nbytes);
    }
    voce_method_destroy(m);
    voce_program_close(p);
    return st;
}

/* Fraction of elements further apart than tol. */
static double frac_above(const float *a, const float *b, int64_t n, double tol)
{
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) c += !(fabs((double)a[i] - b[i]) <= tol);
    return n ? (double)c / (double)n : 0;
}

static int model_case(const char *model, const char *mode, int G, int nq, int nk)
{
    char onnx[2048], out[64], name[128];
    snprintf(name, sizeof name, "%s.onnx", model);
    snprintf(onnx, sizeof onnx, "%s", ref_path(name));
    snprintf(out, sizeof out, "q_%s_%s_%d.voce", model, mode, G);
    vc_compile_options o = vc_compile_options_default();
    o.n_inputs = 1;
    o.onnx_path[0] = onnx;
    o.quant.mode = mode;
    o.quant.group_size = G;
    vc_compile_report rep;
    vc_tensor x, want, f32;
    float *y1 = NULL, *y2 = NULL;
    int64_t n1 = 0, n2 = 0;
    voce_status st = vc_compile(&o, vt_tmp(out), &rep);
    if (!st && (rep.quant_layers != nq || rep.quant_f32 != nk)) {
        vt_fail(__FILE__, __LINE__, "%s: %d quantized, %d f32; numpy says %d, %d", out, rep.quant_layers,
                rep.quant_f32, nq, nk);
        return 1;
    }
    if (loadf(&x, "%s.x.npy", model) || loadf(&want, "%s.%s_g%d.npy", model, mode, G) ||
        loadf(&f32, "%s.f32.npy", model))
        return 1;
    if (!st) st = run_program(vt_tmp(out), &x, 1, &y1, &n1);
    if (!st) st = run_program(vt_tmp(out), &x, 2, &y2, &n2);
    int bad = st != VOCE_OK;
    if (bad) vt_fail(__FILE__, __LINE__, "%s: %s", out, voce_last_error());
    int64_t n = vc_numel(&want);
    if (!bad && (n1 != n || memcmp(y1, y2, sizeof(float) * (size_t)n)))
        bad = 1, vt_fail(__FILE__, __LINE__, "%s: 1 and 2 threads differ", out);
    double scale = max_abs(f32.data, n), dq = bad ? 0 : max_diff(y1, want.data, n);
    double df = bad ? 0 : max_diff(y1, f32.data, n), loose = strchr(mode, '4') ? 0.25 : 0.04;
    double far = bad ? 0 : frac_above(y1, want.data, n, 2e-5 * scale);
    int dyn = !strncmp(mode, "8da", 3);
    if (!bad && (dyn ? !(dq <= 1e-2 * scale) || far > 0.05 : !(dq <= 2e-5 * scale)))
        bad = 1, vt_fail(__FILE__, __LINE__, "%s: max |voce - numpy simulation| %g (scale %g), %.1f%% above 2e-5",
                         out, dq, scale, 100 * far);
    if (!bad && !(df <= loose * scale))
        bad = 1, vt_fail(__FILE__, __LINE__, "%s: max |quantized - f32| %g (scale %g)", out, df, scale);
    if (!bad && G == 32)
        printf("  %-7s %-6s g%-3d vs simulation %.2e, vs f32 %.2e (%.2f%% of max |y| %.2f)\n", model, mode, G, dq, df,
               100 * df / scale, scale);
    free(y1);
    free(y2);
    free(x.data);
    free(want.data);
    free(f32.data);
    return bad;
}

static void test_models(void)
{
    FILE *f = fopen(ref_path("model_cases.txt"), "r");
    if (!f) VT_SKIP("no %s (run gen_quant_refs)", ref_path("model_cases.txt"));
    char model[64], mode[16];
    int G, nq, nk, n = 0;
    while (fscanf(f, "%63s %15s %d %d %d", model, mode, &G, &nq, &nk) == 5) {
        n++;
        if (vt_quick() && !strcmp(model, "tfm") && G != 32) continue;
        /* the tiles' arithmetic is the same in every mode: one under emulation */
        if (vt_quick() && !strcmp(model, "long") && (G != 32 || strcmp(mode, "8da8w"))) continue;
        if (model_case(model, mode, G, nq, nk)) break;
    }
    fclose(f);
    CHECK(n == 6 * 4 * 3);
}

/* ---- the command line ---- */

static int sh(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    return pclose(p);
}

static void test_cli(void)
{
    const char *exe = getenv("VOCE_CLI"), *emu = getenv("VOCE_EMULATOR");
    if (!exe || !*exe) VT_SKIP("VOCE_CLI is not set");
    char cli[2048]; /* under qemu-user (make test-arm), through VOCE_EMULATOR */
    snprintf(cli, sizeof cli, "%s%s%s", emu ? emu : "", emu && *emu ? " " : "", exe);
    FILE *f = fopen(ref_path("mm3d.onnx"), "rb");
    if (!f) VT_SKIP("no quant refs");
    fclose(f);
    static char cmd[8192], out[16384];
    char voce[1024], conv[1024];
    snprintf(voce, sizeof voce, "%s", vt_tmp("q_cli.voce"));
    snprintf(conv, sizeof conv, "%s", vt_tmp("q_cli_conv.voce"));
    snprintf(cmd, sizeof cmd, "%s compile -q %s -o %s --quant 8da8w --quant-skip 'fc2' && %s info %s", cli,
             ref_path("mm3d.onnx"), voce, cli, voce);
    CHECK_MSG(sh(cmd, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "quantization 8da8w, group 32: 1 layers quantized, 1 left f32"), "%s", out);
    CHECK_MSG(strstr(out, "f32 main/fc2 (MatMul): --quant-skip fc2"), "%s", out);
    snprintf(cmd, sizeof cmd, "%s compile -q %s -o %s --quant w4 --group-size 128 && %s info %s", cli,
             ref_path("conv.onnx"), conv, cli, conv);
    CHECK_MSG(sh(cmd, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "conv1d (Conv): K = 96 is not a multiple of the group size 128"), "%s", out);
    CHECK_MSG(strstr(out, "depthwise (Conv): grouped convolution (group 64)"), "%s", out);
    CHECK_MSG(strstr(out, "proj (MatMul): K = 64 is not a multiple of the group size 128"), "%s", out);
    static const char *const refused[][2] = {
        {"--quant w3", "unknown quantization mode 'w3'"},
        {"--quant w8 --group-size 48", "group size 48 is not supported"},
        {"--group-size 64", "need --quant"},
        {"--quant-skip x", "need --quant"},
        {"--quant w8 --group-size 3x", "expected 32, 64 or 128"},
    };
    for (int i = 0; i < 5; i++) {
        snprintf(cmd, sizeof cmd, "%s compile -q %s -o %s %s 2>&1", cli, ref_path("mm3d.onnx"), vt_tmp("q_no.voce"),
                 refused[i][0]);
        int rc = sh(cmd, out, sizeof out);
        CHECK_MSG(rc != 0 && strstr(out, refused[i][1]), "'%s': rc %d, %s", refused[i][0], rc, out);
    }
}

int main(void)
{
    vt_run("paths", test_paths);
    vt_run("act", test_act);
    vt_run("threads", test_threads);
    vt_run("numpy", test_numpy);
    vt_run("models", test_models);
    vt_run("cli", test_cli);
    return vt_finish();
}
