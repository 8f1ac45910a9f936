/* Speed of voce:QLinear's kernels (w8, w4, 8da8w, 8da4w; src/kernels/cpu/qgemm.h)
 * against the f32 GEMM (vc_gemm_f32_mt on one thread, weights stored [N, K] as the compiler leaves
 * them) on the linear layers of the speech models voce targets; one thread.
 *
 * usage: bench_qgemm [--quick]
 *
 * Shapes: Whisper tiny (384 wide) and base (512) encoder on 1500 frames and decoder
 * steps (M = 1, the 51865-way vocabulary projection included), FastConformer 1024 wide
 * on 250 frames and one step; attention projections, MLP up (4x) and down.
 *
 * Per shape and kind: GFLOP/s (2 M N K per product) and, for M = 1 where reading the
 * weights is the cost, GB/s of weight bytes (f32 4 bytes per weight; quantized: the
 * packed codes plus scales and sums). The 8da figures include quantizing the activation
 * rows. The kernel path is the one the runtime picks (VOCE_ISA and VOCE_VNNI=0 lower
 * it). Each figure is the best of R runs, R growing until they add up to 0.2 s (at least
 * 3; --quick: 0.05 s). Outputs are compared with the f32 product (max |dy| / max |y|)
 * so a broken kernel shows. Nothing asserts on time. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/quantize.h"
#include "kernels/cpu/qgemm.h"
#include "kernels/ref/gemm.h"

typedef struct {
    const char *name;
    int64_t M, N, K;
} shape;

static const shape shapes[] = {
    {"whisper-tiny enc qkv/out", 1500, 384, 384},   {"whisper-tiny enc fc1", 1500, 1536, 384},
    {"whisper-tiny enc fc2", 1500, 384, 1536},      {"whisper-tiny dec qkv/out", 1, 384, 384},
    {"whisper-tiny dec fc1", 1, 1536, 384},         {"whisper-tiny dec fc2", 1, 384, 1536},
    {"whisper-tiny vocab", 1, 51865, 384},          {"whisper-base enc qkv/out", 1500, 512, 512},
    {"whisper-base enc fc1", 1500, 2048, 512},      {"whisper-base enc fc2", 1500, 512, 2048},
    {"whisper-base dec fc1", 1, 2048, 512},         {"whisper-base vocab", 1, 51865, 512},
    {"fastconformer 1024 proj M=250", 250, 1024, 1024}, {"fastconformer ff1 M=250", 250, 4096, 1024},
    {"fastconformer ff2 M=250", 250, 1024, 4096},   {"fastconformer proj M=1", 1, 1024, 1024},
    {"fastconformer ff1 M=1", 1, 4096, 1024},       {"fastconformer ff2 M=1", 1, 1024, 4096},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t seed = 99;

static float rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

typedef struct {
    const shape *s;
    const float *A, *W;
    float *C;
    vc_qweights q;
    uint8_t *xq;
    float *xs;
    int32_t *zp;
    vc_qpath path;
} job;

static void run_f32(job *j)
{
    const shape *s = j->s;
    vc_gemm_f32_mt(vc_isa_active(), NULL, 0, 1, s->M, s->N, s->K, 1.0f, j->A, s->K, j->W, s->K, 0.0f, j->C, s->N, 1);
}

static void run_q(job *j)
{
    const shape *s = j->s;
    if (vc_qmode_dynamic(j->q.mode))
        for (int64_t m = 0; m < s->M; m++) vc_qact_row(j->A + m * s->K, s->K, j->xq + m * s->K, &j->xs[m], &j->zp[m]);
    vc_qgemm_blocks(j->path, &j->q, s->M, j->A, j->xq, j->xs, j->zp, j->C, 0, (s->N + 15) / 16);
}

static double best_time(job *j, int quant, double budget)
{
    double best = 1e30, total = 0;
    for (int r = 0; r < 3 || total < budget; r++) {
        double t0 = now_s();
        if (quant) run_q(j);
        else run_f32(j);
        double t = now_s() - t0;
        total += t;
        best = t < best ? t : best;
        if (r > 10000) break;
    }
    return best;
}

static int64_t p3(const int64_t *d) { return d[0] * d[1] * d[2]; }

/* One quantized kind on a shape: time, weight bytes, error against the f32 output. */
static void bench_mode(job *j, vc_qmode m, const float *ref, double budget, double *t, double *bytes, double *err)
{
    const shape *s = j->s;
    int64_t wd[3], sd[3], G = 32;
    vc_qweight_dims(m, s->N, s->K, wd);
    vc_qscale_dims(s->N, s->K, G, sd);
    uint8_t *wq = malloc((size_t)p3(wd));
    float *sc = malloc(sizeof(float) * (size_t)p3(sd));
    int32_t *ws = malloc(sizeof(int32_t) * (size_t)p3(sd));
    vc_quant_pack(m, G, s->N, s->K, j->W, wq, sc, vc_qmode_dynamic(m) ? ws : NULL);
    vc_qweights q = {m, s->N, s->K, G, wq, sc, vc_qmode_dynamic(m) ? ws : NULL, NULL};
    j->q = q;
    j->path = vc_qpath_active(vc_qmode_dynamic(m));
    *t = best_time(j, 1, budget);
    *bytes = (double)p3(wd) + 4.0 * (double)p3(sd) * (vc_qmode_dynamic(m) ? 2 : 1);
    double e = 0, mx = 0;
    for (int64_t i = 0; i < s->M * s->N; i++) {
        e = fmax(e, fabs((double)j->C[i] - ref[i]));
        mx = fmax(mx, fabs((double)ref[i]));
    }
    *err = e / (mx > 0 ? mx : 1);
    free(wq);
    free(sc);
    free(ws);
}

static void bench_shape(const shape *s, double budget, double *ratio_w8)
{
    float *A = malloc(sizeof(float) * (size_t)(s->M * s->K)), *W = malloc(sizeof(float) * (size_t)(s->N * s->K));
    float *C = malloc(sizeof(float) * (size_t)(s->M * s->N)), *ref = malloc(sizeof(float) * (size_t)(s->M * s->N));
    uint8_t *xq = malloc((size_t)(s->M * s->K));
    float *xs = malloc(sizeof(float) * (size_t)s->M);
    int32_t *zp = malloc(sizeof(int32_t) * (size_t)s->M);
    for (int64_t i = 0; i < s->M * s->K; i++) A[i] = rnd();
    for (int64_t i = 0; i < s->N * s->K; i++) W[i] = 0.05f * rnd();
    job j = {s, A, W, C, {0}, xq, xs, zp, VC_QPATH_C};
    double flop = 2.0 * (double)s->M * (double)s->N * (double)s->K;
    double tf = best_time(&j, 0, budget);
    memcpy(ref, C, sizeof(float) * (size_t)(s->M * s->N));
    printf("%-30s M=%-4lld N=%-5lld K=%-4lld  f32 %6.1f GF/s", s->name, (long long)s->M, (long long)s->N,
           (long long)s->K, flop / tf / 1e9);
    if (s->M == 1) printf(" %5.1f GB/s", 4.0 * (double)(s->N * s->K) / tf / 1e9);
    printf("\n");
    for (int m = VC_Q_W8; m <= VC_Q_8DA4W; m++) {
        double t, bytes, err;
        bench_mode(&j, (vc_qmode)m, ref, budget, &t, &bytes, &err);
        printf("    %-6s %-10s %6.1f GF/s", vc_qmode_name((vc_qmode)m),
               vc_qpath_name(vc_qpath_active(vc_qmode_dynamic((vc_qmode)m))), flop / t / 1e9);
        if (s->M == 1) printf(" %5.1f GB/s", bytes / t / 1e9);
        printf("  x%.2f vs f32  rel_err %.1e\n", tf / t, err);
        if (m == VC_Q_W8 && s->M == 1) *ratio_w8 = tf / t;
    }
    free(A);
    free(W);
    free(C);
    free(ref);
    free(xq);
    free(xs);
    free(zp);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    double budget = quick ? 0.05 : 0.2, ratio = 0, worst = 1e30;
    printf("bench_qgemm: 1 thread, group size 32, paths: weight-only %s, 8da %s\n",
           vc_qpath_name(vc_qpath_active(0)), vc_qpath_name(vc_qpath_active(1)));
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (quick && i % 3) continue;
        ratio = 0;
        bench_shape(&shapes[i], budget, &ratio);
        if (ratio > 0 && ratio < worst) worst = ratio;
    }
    if (worst < 1e30) printf("w8 GEMV (M = 1) speed-up over f32, worst shape: x%.2f\n", worst);
    return 0;
}
