/* Activations fused into Conv (src/compiler/act.c, src/kernels/ref/conv_act.h): a Conv
 * carrying activation relu / clip / silu / gelu must give the same bits as the Conv
 * without it followed by the Relu, Clip, Sigmoid + Mul or Gelu op.
 *
 * Kernel level, on every ISA this CPU supports: the depthwise and pointwise kernels with
 * a clamp against the same kernel without one followed by the Clip formula, on values
 * that include NaN, infinities, both zeros and values on the bounds, with lo < hi,
 * lo > hi (Clip then gives hi everywhere) and one-sided bounds.
 *
 * Op level (the ISA this process runs), each on one thread and on a 2-thread pool (which
 * must give the same bits): the depthwise direct kernel (stride 1 and 2), maps past its
 * buffers (in bands of rows, one dilated), a long 1-D depthwise conv, the pointwise
 * kernel, a pointwise GEMM, a 3x3 im2col GEMM large enough to share its bias and
 * activation pass among threads, a 1-D conv on a few positions (the transposed GEMM
 * path) and f16 convs, with one NaN in the f32 inputs.
 *
 * Compiler level: TinyVAD compiled (when the model is present) has no Clip left, and its
 * ReLU6 convolutions carry activation "clip" with bounds 0 and 6; its output is compared
 * with ONNX Runtime's by test_silero. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "core/f16.h"
#include "core/threads.h"
#include "harness.h"
#include "kernels/cpu/cpu.h"
#include "kernels/cpu/dwconv.h"
#include "kernels/cpu/pwconv.h"
#include "runtime/op.h"
#include "runtime/program.h"

static uint32_t seed = 4242;

static float rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xFFFF) / 8192.0f - 4.0f; /* [-4, 4): across 0 and 6 */
}

static float *rnd_buf(size_t n)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; p && i < n; i++) p[i] = rnd();
    return p;
}

static float clip_ref(float v, float lo, float hi) /* the Clip op's formula */
{
    float m = lo > hi ? hi : lo;
    return v < lo ? m : v > hi ? hi : v;
}

static const float bounds[][2] = {
    {0.0f, 6.0f}, {0.0f, INFINITY}, {1.5f, -0.5f}, {-INFINITY, 0.25f}};
enum { N_BOUNDS = sizeof bounds / sizeof bounds[0] };

/* ---- kernels ---- */

static void test_kernels(void)
{
    enum { N = 77, SPAN = 100, M = 6, L = 37, C = 5 };
    float src[N + SPAN], plain[N], got[N];
    int64_t off[9];
    float w[9];
    for (int i = 0; i < N + SPAN; i++) src[i] = rnd() * 2;
    src[3] = NAN, src[20] = INFINITY, src[21] = -INFINITY, src[40] = -0.0f;
    for (int t = 0; t < 9; t++) w[t] = rnd(), off[t] = t * 11;
    float *x = rnd_buf(C * L), *pw_w = rnd_buf(M * C), *b = rnd_buf(M);
    float *ypl = malloc(sizeof(float) * M * L), *ygot = malloc(sizeof(float) * M * L);
    CHECK(x && pw_w && b && ypl && ygot);
    if (!x || !pw_w || !b || !ypl || !ygot) goto done;
    x[7] = NAN;
    for (int isa = VC_ISA_C; isa < VC_ISA_COUNT; isa++) {
        if (!vc_isa_supported((vc_isa)isa)) continue;
        vc_dw_fn dw = vc_dw_kernel_for((vc_isa)isa);
        vc_pw_fn pw = vc_pw_kernel_for((vc_isa)isa);
        for (int k = 0; k < N_BOUNDS; k++) {
            const float *cl = bounds[k];
            for (int taps = 1; taps <= 9; taps += 8) {
                dw(N, taps, off, w, 0.5f, NULL, src, plain);
                dw(N, taps, off, w, 0.5f, cl, src, got);
                for (int f = 0; f < N; f++) plain[f] = clip_ref(plain[f], cl[0], cl[1]);
                CHECK_MSG(!memcmp(plain, got, sizeof plain), "%s dw kernel, %d taps, bounds %g %g",
                          vc_isa_name((vc_isa)isa), taps, cl[0], cl[1]);
            }
            if (!pw) continue;
            pw(M, L, C, pw_w, b, NULL, x, ypl);
            pw(M, L, C, pw_w, b, cl, x, ygot);
            for (int i = 0; i < M * L; i++) ypl[i] = clip_ref(ypl[i], cl[0], cl[1]);
            CHECK_MSG(!memcmp(ypl, ygot, sizeof(float) * M * L), "%s pw kernel, bounds %g %g",
                      vc_isa_name((vc_isa)isa), cl[0], cl[1]);
        }
    }
done:
    free(x), free(pw_w), free(b), free(ypl), free(ygot);
}

/* ---- ops ---- */

/* Run node n on inputs in into out (its data is set here to a buffer of the caller's
 * or, when y is NULL, a new malloc'd one); threads t. */
static voce_status run_op(const vc_node *n, vc_tensor **in, vc_tensor *out, void *y, vc_threads *t)
{
    memset(out, 0, sizeof *out);
    voce_status st = n->op->infer(n, in, out);
    if (st) return st;
    size_t need = n->op->scratch ? n->op->scratch(n, in, out) : 0;
    void *scratch = malloc(need + 64);
    out->data = y ? y : malloc(vc_nbytes(out) + 1);
    vc_ctx ctx = {scratch, need, t, NULL, NULL};
    st = scratch && out->data ? n->op->run(n, in, out, &ctx) : VOCE_ERR_NOMEM;
    free(scratch);
    return st;
}

static voce_status unary(const char *op, vc_tensor *x, vc_tensor *y)
{
    vc_node n = {.op = vc_op_find(op), .op_type = op, .name = op, .n_in = 1, .n_out = 1};
    vc_tensor *in[1] = {x};
    return n.op ? run_op(&n, in, y, NULL, NULL) : VOCE_ERR_INTERNAL;
}

/* The activation as separate ops on Conv's output y: *z malloc'd. */
static voce_status separate(const char *act, const float *cl, vc_tensor *y, vc_tensor *z)
{
    if (!strcmp(act, "relu")) return unary("Relu", y, z);
    if (!strcmp(act, "gelu")) return unary("Gelu", y, z);
    if (!strcmp(act, "silu")) {
        vc_tensor s;
        voce_status st = unary("Sigmoid", y, &s);
        vc_node n = {.op = vc_op_find("Mul"), .op_type = "Mul", .name = "mul", .n_in = 2,
                     .n_out = 1};
        vc_tensor *in[2] = {y, &s};
        if (!st) st = run_op(&n, in, z, NULL, NULL);
        free(s.data);
        return st;
    }
    /* Clip, bounds in y's dtype */
    uint16_t h[2] = {vc_f32_to_f16(cl[0]), vc_f32_to_f16(cl[1])};
    int f16 = y->dtype == VOCE_DTYPE_F16;
    vc_tensor lo = {y->dtype, 0, {0}, f16 ? (void *)&h[0] : (void *)&cl[0]};
    vc_tensor hi = {y->dtype, 0, {0}, f16 ? (void *)&h[1] : (void *)&cl[1]};
    vc_node n = {.op = vc_op_find("Clip"), .op_type = "Clip", .name = "clip", .n_in = 3,
                 .n_out = 1};
    vc_tensor *in[3] = {y, &lo, &hi};
    return run_op(&n, in, z, NULL, NULL);
}

/* Same bits, except that for Gelu and SiLU any NaN matches any NaN: the elementwise
 * kernels keep NaN but not its payload (gcc may swap the operands of x * sigmoid(x)). */
static int same(const vc_tensor *a, const void *b, int nan_any)
{
    if (!memcmp(a->data, b, vc_nbytes(a))) return 1;
    if (!nan_any || a->dtype != VOCE_DTYPE_F32) return 0;
    const float *x = a->data, *y = b;
    for (int64_t i = 0; i < vc_numel(a); i++)
        if (memcmp(&x[i], &y[i], sizeof x[i]) && !(isnan(x[i]) && isnan(y[i]))) return 0;
    return 1;
}

typedef struct conv_case {
    int nsp;
    int64_t N, C, M, group, H, W, k, s, pad;
    voce_dtype dt;
    int64_t dil;
} conv_case;

/* Conv of case c on x, w, b with activation act (NULL: none) into *y (malloc'd). */
static voce_status conv(const conv_case *c, const char *act, const float *cl, vc_tensor *x,
                        vc_tensor *w, vc_tensor *b, vc_tensor *y, vc_threads *t)
{
    int ns = c->nsp;
    int64_t strides[2] = {c->s, c->s}, pads[4] = {c->pad, c->pad, c->pad, c->pad};
    int64_t dil[2] = {c->dil, c->dil};
    vc_attr at[7] = {{.name = "dilations", .type = VC_ATTR_INTS, .count = ns, .ints = dil},
                     {.name = "strides", .type = VC_ATTR_INTS, .count = ns, .ints = strides},
                     {.name = "pads", .type = VC_ATTR_INTS, .count = 2 * ns, .ints = pads},
                     {.name = "group", .type = VC_ATTR_INT, .i = c->group},
                     {.name = "activation", .type = VC_ATTR_STRING, .s = act},
                     {.name = "activation_min", .type = VC_ATTR_FLOAT, .f = cl[0]},
                     {.name = "activation_max", .type = VC_ATTR_FLOAT, .f = cl[1]}};
    int clip = act && !strcmp(act, "clip");
    vc_node n = {.op = vc_op_find("Conv"), .op_type = "Conv", .name = "conv", .n_in = 3, .n_out = 1,
                 .n_attr = act ? (clip ? 7 : 5) : 4, .attr = at};
    vc_tensor *in[3] = {x, w, b};
    return run_op(&n, in, y, NULL, t);
}

/* A tensor of dtype dt with dims d (rank r) of random values; f16 rounded. */
static vc_tensor rnd_tensor(voce_dtype dt, int r, const int64_t *d)
{
    vc_tensor t = {dt, r, {0}, NULL};
    memcpy(t.dims, d, sizeof *d * (size_t)r);
    int64_t n = vc_numel(&t);
    float *f = rnd_buf((size_t)n);
    if (dt == VOCE_DTYPE_F16 && f) {
        uint16_t *h = malloc(sizeof *h * (size_t)(n ? n : 1));
        for (int64_t i = 0; h && i < n; i++) h[i] = vc_f32_to_f16(f[i] * 0.25f);
        free(f);
        t.data = h;
    } else {
        t.data = f;
    }
    return t;
}

static void run_case(int ci, const conv_case *c, vc_threads *pool)
{
    static const char *const acts[] = {"relu", "clip", "silu", "gelu"};
    int ns = c->nsp;
    int64_t xd[4] = {c->N, c->C, ns == 2 ? c->H : c->W, c->W};
    int64_t wd[4] = {c->M, c->C / c->group, c->k, c->k}, bd[1] = {c->M};
    vc_tensor x = rnd_tensor(c->dt, 2 + ns, xd), w = rnd_tensor(c->dt, 2 + ns, wd);
    vc_tensor b = rnd_tensor(c->dt, 1, bd), y = {0}, z = {0}, f1 = {0}, f2 = {0};
    CHECK(x.data && w.data && b.data);
    if (!x.data || !w.data || !b.data) goto done;
    if (c->dt == VOCE_DTYPE_F32) ((float *)x.data)[vc_numel(&x) / 2] = NAN;
    CHECK_OK(conv(c, NULL, bounds[0], &x, &w, &b, &y, NULL));
    for (size_t a = 0; a < sizeof acts / sizeof acts[0] && !vt_failed(); a++) {
        int gelu_like = a >= 2;
        if (gelu_like && c->dt != VOCE_DTYPE_F32) continue; /* the compiler folds clamps only */
        for (int k = 0; k < (a == 1 ? N_BOUNDS : 1) && !vt_failed(); k++) {
            const float *cl = bounds[k];
            CHECK_OK(separate(acts[a], cl, &y, &z));
            CHECK_OK(conv(c, acts[a], cl, &x, &w, &b, &f1, NULL));
            CHECK_OK(conv(c, acts[a], cl, &x, &w, &b, &f2, pool));
            CHECK_MSG(z.data && f1.data && same(&z, f1.data, gelu_like),
                      "case %d (%s): fused %s (bounds %g %g) differs from Conv then the op", ci,
                      vc_isa_name(vc_isa_active()), acts[a], cl[0], cl[1]);
            CHECK_MSG(f2.data && !memcmp(f1.data, f2.data, vc_nbytes(&f1)),
                      "case %d: fused %s on 2 threads differs from 1", ci, acts[a]);
            free(z.data), free(f1.data), free(f2.data);
            z.data = f1.data = f2.data = NULL;
        }
    }
done:
    free(x.data), free(w.data), free(b.data), free(y.data);
    free(z.data), free(f1.data), free(f2.data);
}

static void test_ops(void)
{
    int q = vt_quick();
    /* nsp, N, C, M, group, H, W, k, s, pad, dtype, dilation */
    const conv_case cases[] = {
        {2, 2, 16, 16, 16, 16, 8, 3, 1, 1, VOCE_DTYPE_F32, 1},  /* depthwise, direct kernel */
        {2, 1, 24, 24, 24, 15, 9, 3, 2, 1, VOCE_DTYPE_F32, 1},  /* stride 2: phase planes */
        {2, 1, 1, 5, 1, 32, 16, 3, 2, 1, VOCE_DTYPE_F32, 1},    /* TinyVAD's first layer */
        {2, 1, 3, 3, 3, 70, 41, 3, 2, 1, VOCE_DTYPE_F32, 1},    /* past the direct buffers: bands */
        {2, 2, 3, 3, 3, 90, 33, 3, 1, 2, VOCE_DTYPE_F32, 2},    /* bands, dilation 2 */
        {1, 1, 4, 4, 4, 1, 1500, 9, 1, 4, VOCE_DTYPE_F32, 1},   /* 1-D depthwise, per-row */
        {2, 2, 24, 40, 1, 8, 8, 1, 1, 0, VOCE_DTYPE_F32, 1},    /* pointwise kernel */
        {2, 1, 64, 64, 1, q ? 16 : 64, 64, 1, 1, 0, VOCE_DTYPE_F32, 1}, /* pointwise GEMM */
        {2, 1, 8, 64, 1, q ? 20 : 60, 64, 3, 2, 1, VOCE_DTYPE_F32, 1},  /* im2col, threaded pass */
        {1, 1, 6, 10, 1, 1, 3, 3, 1, 1, VOCE_DTYPE_F32, 1},     /* few positions: transposed GEMM */
        {2, 1, 8, 8, 8, 12, 12, 3, 1, 1, VOCE_DTYPE_F16, 1},    /* f16, depthwise */
        {2, 1, 8, 12, 1, 12, 12, 3, 1, 1, VOCE_DTYPE_F16, 1},   /* f16, im2col */
    };
    vc_threads *pool = NULL;
    CHECK_OK(vc_threads_create(2, &pool));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && !vt_failed(); i++)
        run_case((int)i, &cases[i], pool);
    vc_threads_destroy(pool);
}

/* An unknown activation or bounds without "clip" are refused with the name. */
static void test_refusals(void)
{
    conv_case c = {2, 1, 2, 2, 2, 4, 4, 3, 1, 1, VOCE_DTYPE_F32, 1};
    int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {2, 1, 3, 3}, bd[1] = {2};
    vc_tensor x = rnd_tensor(VOCE_DTYPE_F32, 4, xd), w = rnd_tensor(VOCE_DTYPE_F32, 4, wd);
    vc_tensor b = rnd_tensor(VOCE_DTYPE_F32, 1, bd), y = {0};
    CHECK_ERR(conv(&c, "tanh", bounds[0], &x, &w, &b, &y, NULL), VOCE_ERR_UNSUPPORTED);
    CHECK(strstr(voce_last_error(), "tanh"));
    vc_attr at[3] = {{.name = "activation", .type = VC_ATTR_STRING, .s = "relu"},
                     {.name = "activation_max", .type = VC_ATTR_FLOAT, .f = 6.0f},
                     {.name = "group", .type = VC_ATTR_INT, .i = 2}};
    vc_node n = {.op = vc_op_find("Conv"), .op_type = "Conv", .name = "conv", .n_in = 3,
                 .n_out = 1, .n_attr = 3, .attr = at};
    vc_tensor *in[3] = {&x, &w, &b};
    CHECK_ERR(run_op(&n, in, &y, NULL, NULL), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "activation_max"));
    free(x.data), free(w.data), free(b.data), free(y.data);
}

/* ---- compiler ---- */

static void test_tinyvad_folded(void)
{
    const char *p = vt_data("models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
    if (!p) VT_SKIP("needs models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = p;
    const char *out = vt_tmp("conv_fuse_tinyvad.voce");
    CHECK_OK(vc_compile(&o, out, NULL));
    voce_program *prog;
    CHECK_OK(voce_program_open(out, NULL, &prog));
    const vc_mgraph *g = &vc_program_file(prog)->methods[0];
    int clips = 0, fused = 0, convs = 0;
    for (int i = 0; i < g->graphs[0].n_nodes; i++) {
        const vc_node *n = &g->graphs[0].nodes[i];
        clips += !strcmp(n->op_type, "Clip");
        if (strcmp(n->op_type, "Conv")) continue;
        convs++;
        if (!strcmp(vc_attr_string(n, "activation", ""), "clip") &&
            vc_attr_float(n, "activation_min", -1) == 0.0f &&
            vc_attr_float(n, "activation_max", -1) == 6.0f)
            fused++;
    }
    printf("    TinyVAD: %d Conv, %d with a fused ReLU6, %d Clip left\n", convs, fused, clips);
    CHECK(clips == 0 && fused == 9 && convs == 13); /* the ONNX file: 13 Conv, 9 Clip */
    voce_program_close(prog);
}

int main(void)
{
    vt_run("kernels with a clamp", test_kernels);
    vt_run("fused conv ops", test_ops);
    vt_run("refusals", test_refusals);
    vt_run("tinyvad folded", test_tinyvad_folded);
    return vt_finish();
}
