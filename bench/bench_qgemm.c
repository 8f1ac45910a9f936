/* Speed of voce:QLinear (w8, w4, 8da8w, 8da4w; src/kernels/ref/qlinear.h, kernels in
 * src/kernels/cpu/qgemm.h) against the f32 GEMM (vc_gemm_f32_mt, weights stored [N, K] as
 * the compiler leaves them) on the linear layers of the speech models voce targets.
 *
 * usage: bench_qgemm [--quick] [--threads T] [--old] [--rows]
 *
 * The quantized product runs as the op runs it (vc_qlinear_rows: activation rows
 * quantized in vector code, weight-only products of VC_QPANEL_MIN_ROWS rows and more on
 * dequantized panels through the f32 micro-kernel). --old runs instead the route the op
 * took before those two: the per-k kernels on tasks of 64 rows x 64 columns and the C
 * vc_qact_row, for before / after figures on the same machine. --threads: a pool of T
 * threads for both the f32 GEMM and the op (default 1). --rows: the per-k kernels and
 * the panel path side by side on a few row counts (where VC_QPANEL_MIN_ROWS comes from).
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
#include "core/threads.h"
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
    vc_threads *pool;
    void *scratch;
    int old; /* 1: the route before the panel path; 2: the per-k kernels (--rows) */
} job;

static void run_f32(job *j)
{
    const shape *s = j->s;
    vc_gemm_f32_mt(vc_isa_active(), j->pool, 0, 1, s->M, s->N, s->K, 1.0f, j->A, s->K, j->W, s->K, 0.0f, j->C, s->N,
                   1);
}

/* The op's former route: tasks of 64 rows (activations), then 64 rows x 64 columns. */
enum { OLD_ROWS = 64, OLD_COLS = 64 };

static void old_act_task(void *arg, int64_t t, int worker)
{
    const job *j = arg;
    int64_t K = j->s->K, m1 = (t + 1) * OLD_ROWS < j->s->M ? (t + 1) * OLD_ROWS : j->s->M;
    (void)worker;
    for (int64_t m = t * OLD_ROWS; m < m1; m++) vc_qact_row(j->A + m * K, K, j->xq + m * K, &j->xs[m], &j->zp[m]);
}

static void old_gemm_task(void *arg, int64_t t, int worker)
{
    const job *j = arg;
    int64_t ct = (j->s->N + OLD_COLS - 1) / OLD_COLS, K = j->s->K, m0 = t / ct * OLD_ROWS;
    int64_t rows = j->s->M - m0 < OLD_ROWS ? j->s->M - m0 : OLD_ROWS, b0 = t % ct * (OLD_COLS / 16);
    int dyn = vc_qmode_dynamic(j->q.mode);
    (void)worker;
    vc_qgemm_blocks(j->path, &j->q, rows, j->A + m0 * K, dyn ? j->xq + m0 * K : NULL, dyn ? j->xs + m0 : NULL,
                    dyn ? j->zp + m0 : NULL, j->C + m0 * j->s->N, b0, b0 + OLD_COLS / 16);
}

static void run_q(job *j)
{
    const shape *s = j->s;
    if (!j->old) {
        vc_qlinear_rows(j->pool, &j->q, s->M, j->A, j->scratch, j->C);
        return;
    }
    int64_t rt = (s->M + OLD_ROWS - 1) / OLD_ROWS, ct = (s->N + OLD_COLS - 1) / OLD_COLS;
    vc_threads *pool = s->M * s->N * s->K < ((int64_t)1 << 18) ? NULL : j->pool;
    if (vc_qmode_dynamic(j->q.mode)) vc_threads_run(pool, rt, old_act_task, j);
    vc_threads_run(pool, rt * ct, old_gemm_task, j);
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
    size_t ss = vc_qlinear_rows_scratch(&q, s->M);
    j->scratch = ss ? aligned_alloc(64, (ss + 63) & ~(size_t)63) : NULL;
    *t = best_time(j, 1, budget);
    free(j->scratch);
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

static void bench_shape(const shape *s, double budget, vc_threads *pool, int old, double *ratio_w8)
{
    float *A = malloc(sizeof(float) * (size_t)(s->M * s->K)), *W = malloc(sizeof(float) * (size_t)(s->N * s->K));
    float *C = malloc(sizeof(float) * (size_t)(s->M * s->N)), *ref = malloc(sizeof(float) * (size_t)(s->M * s->N));
    uint8_t *xq = malloc((size_t)(s->M * s->K));
    float *xs = malloc(sizeof(float) * (size_t)s->M);
    int32_t *zp = malloc(sizeof(int32_t) * (size_t)s->M);
    for (int64_t i = 0; i < s->M * s->K; i++) A[i] = rnd();
    for (int64_t i = 0; i < s->N * s->K; i++) W[i] = 0.05f * rnd();
    job j = {s, A, W, C, {0}, xq, xs, zp, VC_QPATH_C, pool, NULL, old};
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

/* --rows: weight-only time of the per-k kernels over the panel path's, by row count. */
static void bench_rows(double budget)
{
    static const int64_t Ms[] = {4, 8, 16, 24, 32, 48, 64, 128}, NK[][2] = {{384, 384}, {1024, 1024}, {1536, 384}};
    printf("per-k kernels' time / panel path's (above 1: the panels are faster), 1 thread\n");
    for (int c = 0; c < 3; c++)
        for (int m = VC_Q_W8; m <= VC_Q_W4; m++) {
            printf("  %-3s N=%-5lld K=%-5lld", vc_qmode_name((vc_qmode)m), (long long)NK[c][0], (long long)NK[c][1]);
            for (int i = 0; i < 8; i++) {
                shape s = {"rows", Ms[i], NK[c][0], NK[c][1]};
                float *A = malloc(sizeof(float) * (size_t)(s.M * s.K)), *W = malloc(sizeof(float) * (size_t)(s.N * s.K));
                float *C = malloc(sizeof(float) * (size_t)(s.M * s.N));
                for (int64_t e = 0; e < s.M * s.K; e++) A[e] = rnd();
                for (int64_t e = 0; e < s.N * s.K; e++) W[e] = 0.05f * rnd();
                int64_t wd[3], sd[3];
                vc_qweight_dims((vc_qmode)m, s.N, s.K, wd);
                vc_qscale_dims(s.N, s.K, 32, sd);
                uint8_t *wq = malloc((size_t)p3(wd));
                float *sc = malloc(sizeof(float) * (size_t)p3(sd));
                vc_quant_pack((vc_qmode)m, 32, s.N, s.K, W, wq, sc, NULL);
                vc_qweights q = {(vc_qmode)m, s.N, s.K, 32, wq, sc, NULL, NULL};
                job j = {&s, A, W, C, q, NULL, NULL, NULL, vc_qpath_active(0), NULL, NULL, 1};
                double t_old = best_time(&j, 1, budget);
                j.scratch = malloc(vc_qgemm_panel_bytes(j.path, &q) + 64);
                double t = 1e30;
                for (int r = 0; r < 3 || r * t < budget; r++) {
                    double t0 = now_s();
                    vc_qgemm_panels(NULL, j.path, &q, s.M, A, C, j.scratch);
                    t = fmin(t, now_s() - t0);
                }
                printf("  M=%lld %.2f", (long long)s.M, t_old / t);
                free(j.scratch);
                free(A);
                free(W);
                free(C);
                free(wq);
                free(sc);
            }
            printf("\n");
        }
}

int main(int argc, char **argv)
{
    int quick = 0, old = 0, rows = 0, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--old")) old = 1;
        else if (!strcmp(argv[i], "--rows")) rows = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_qgemm [--quick] [--threads T] [--old] [--rows]\n");
            return 2;
        }
    }
    double budget = quick ? 0.05 : 0.2, ratio = 0, worst = 1e30;
    if (rows) {
        bench_rows(budget);
        return 0;
    }
    vc_threads *pool = NULL;
    if (threads < 1 || vc_threads_create(threads, &pool)) {
        fprintf(stderr, "bench_qgemm: cannot start %d threads\n", threads);
        return 1;
    }
    printf("bench_qgemm: %d thread(s), group size 32, paths: weight-only %s, 8da %s%s\n", threads,
           vc_qpath_name(vc_qpath_active(0)), vc_qpath_name(vc_qpath_active(1)),
           old ? " (--old: per-k kernels, C activation quantizer)" : "");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (quick && i % 3) continue;
        ratio = 0;
        bench_shape(&shapes[i], budget, pool, old, &ratio);
        if (ratio > 0 && ratio < worst) worst = ratio;
    }
    if (worst < 1e30) printf("w8 GEMV (M = 1) speed-up over f32, worst shape: x%.2f\n", worst);
    vc_threads_destroy(pool);
    return 0;
}
