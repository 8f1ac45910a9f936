/* The thread pool (src/core/threads.c) and what runs on it.
 *
 * Pool: every task of every run runs exactly once, on a worker index inside the pool,
 * for pools of 1 to 5 threads and task counts from 0 to 1000, over many consecutive
 * runs (the generation hand-over between runs is where a pool goes wrong).
 *
 * GEMM: for every ISA this CPU runs, shapes that take each path (dot, GEMV, packed with
 * slivers shared out, packed with panel groups, blocked C) give bit-identical C with 1,
 * 2 and 3 threads (the tolerance is zero: the split never changes how an element is
 * summed, see gemm.c).
 *
 * Method: a real model (Moonshine's TinyVAD, convolutions and GEMMs) gives bit-identical
 * outputs with threads = 1, 2, 3 and the default; bad thread counts are refused. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/threads.h"
#include "harness.h"
#include "kernels/cpu/cpu.h"
#include "kernels/ref/gemm.h"
#include "opcases.h"
#include "voce/runtime.h"

typedef struct count_job {
    atomic_int *hits;
    atomic_int bad_worker;
    int n_threads;
} count_job;

static void count_task(void *arg, int64_t task, int worker)
{
    count_job *j = arg;
    atomic_fetch_add(&j->hits[task], 1);
    if (worker < 0 || worker >= j->n_threads) atomic_store(&j->bad_worker, 1);
}

static void test_pool_runs_every_task_once(void)
{
    static const int64_t counts[] = {0, 1, 2, 3, 7, 64, 1000};
    atomic_int *hits = calloc(1000, sizeof *hits);
    CHECK(hits);
    for (int nt = 1; nt <= 5; nt++) {
        vc_threads *t = NULL;
        CHECK_OK(vc_threads_create(nt, &t));
        CHECK(vc_threads_count(t) == nt);
        for (int rep = 0; rep < 300; rep++) {
            int64_t n = counts[rep % 7];
            count_job j = {hits, 0, nt};
            for (int64_t i = 0; i < n; i++) atomic_store(&hits[i], 0);
            vc_threads_run(t, n, count_task, &j);
            for (int64_t i = 0; i < n; i++)
                CHECK_MSG(atomic_load(&hits[i]) == 1, "threads %d run %d: task %lld ran %d times",
                          nt, rep, (long long)i, atomic_load(&hits[i]));
            CHECK(!atomic_load(&j.bad_worker));
        }
        vc_threads_destroy(t);
    }
    free(hits);
    CHECK(vc_threads_count(NULL) == 1);
    CHECK(vc_physical_cores() >= 1);
}

static void test_pool_bad_counts(void)
{
    vc_threads *t = (vc_threads *)&t;
    CHECK_ERR(vc_threads_create(0, &t), VOCE_ERR_INVALID_ARG);
    CHECK(t == NULL);
    CHECK_ERR(vc_threads_create(VC_THREADS_MAX + 1, &t), VOCE_ERR_INVALID_ARG);
    vc_threads_destroy(NULL);
}

static uint32_t seed = 777;

static float rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

typedef struct {
    const char *what;
    int tb;
    int64_t M, N, K;
    int c_transposed;
    float beta;
} tcase;

/* C from threads = 1 (NULL pool) and from each pool, compared byte for byte. */
static void check_gemm_case(vc_isa isa, const tcase *g, vc_threads *const *pools, int n_pools)
{
    size_t na = (size_t)(g->M * g->K), nb = (size_t)(g->K * g->N), nc = (size_t)(g->M * g->N);
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
    float *C0 = malloc(sizeof(float) * nc), *C1 = malloc(sizeof(float) * nc),
          *C2 = malloc(sizeof(float) * nc);
    CHECK(A && B && C0 && C1 && C2);
    for (size_t i = 0; i < na; i++) A[i] = rnd();
    for (size_t i = 0; i < nb; i++) B[i] = rnd();
    for (size_t i = 0; i < nc; i++) C0[i] = rnd();
    int64_t ldb = g->tb ? g->K : g->N;
    int64_t rsc = g->c_transposed ? 1 : g->N, csc = g->c_transposed ? g->M : 1;
    memcpy(C1, C0, sizeof(float) * nc);
    vc_gemm_f32_mt(isa, NULL, 0, g->tb, g->M, g->N, g->K, 1.0f, A, g->K, B, ldb, g->beta, C1, rsc,
                   csc);
    for (int p = 0; p < n_pools; p++) {
        memcpy(C2, C0, sizeof(float) * nc);
        vc_gemm_f32_mt(isa, pools[p], 0, g->tb, g->M, g->N, g->K, 1.0f, A, g->K, B, ldb,
                       g->beta, C2, rsc, csc);
        size_t diff = 0;
        while (diff < nc && memcmp(&C1[diff], &C2[diff], sizeof(float)) == 0) diff++;
        if (diff < nc)
            vt_fail(__FILE__, __LINE__, "%s (isa %s, %d threads): element %zu is %.9g, %.9g on one",
                    g->what, vc_isa_name(isa), vc_threads_count(pools[p]), diff, C2[diff],
                    C1[diff]);
    }
    free(A), free(B), free(C0), free(C1), free(C2);
}

static void test_gemm_identical_across_threads(void)
{
    static const tcase cases[] = {
        {"dot path, 1 row, weights [N, K]", 1, 1, 5000, 301, 0, 0.0f},
        {"dot path, 3 rows, weights [N, K]", 1, 3, 2049, 257, 0, 1.0f},
        {"GEMV, weights [K, N]", 0, 1, 3001, 500, 0, 0.0f},
        {"packed, tall A", 0, 1500, 384, 384, 0, 0.0f},
        {"packed, tall A, weights [N, K], beta", 1, 257, 1025, 1023, 0, -2.0f},
        {"packed, few rows, wide B (panel groups)", 0, 7, 2000, 300, 0, 0.0f},
        {"packed, C transposed", 1, 65, 300, 129, 1, 0.5f},
        {"swapped (N small)", 0, 3000, 5, 200, 0, 0.0f},
    };
    vc_threads *pools[2] = {NULL, NULL};
    CHECK_OK(vc_threads_create(2, &pools[0]));
    CHECK_OK(vc_threads_create(3, &pools[1]));
    for (int isa = 0; isa < VC_ISA_COUNT; isa++) {
        if (!vc_isa_supported((vc_isa)isa)) continue;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            check_gemm_case((vc_isa)isa, &cases[i], pools, 2);
    }
    vc_threads_destroy(pools[0]);
    vc_threads_destroy(pools[1]);
}

/* Weights packed once (voce:Linear's path for more than 4 rows): the same bytes as the
 * packed path packing per call, with 1, 2 and 3 threads, for every ISA that has one. */
static void test_prepacked_identical(void)
{
    enum { M = 77, N = 1100, K = 530 };
    float *A = malloc(sizeof(float) * M * K), *W = malloc(sizeof(float) * N * K);
    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    CHECK(A && W && C1 && C2);
    for (int i = 0; i < M * K; i++) A[i] = rnd();
    for (int i = 0; i < N * K; i++) W[i] = rnd();
    vc_threads *pools[3] = {NULL, NULL, NULL};
    CHECK_OK(vc_threads_create(2, &pools[1]));
    CHECK_OK(vc_threads_create(3, &pools[2]));
    for (int isa = 1; isa < VC_ISA_COUNT && !vt_failed(); isa++) {
        size_t bytes = vc_gemm_packed_b_bytes((vc_isa)isa, N, K);
        if (!vc_isa_supported((vc_isa)isa) || !bytes) continue;
        float *P = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
        CHECK(P);
        vc_gemm_pack_b((vc_isa)isa, 1, N, K, W, K, P);
        vc_gemm_f32_mt((vc_isa)isa, NULL, 0, 1, M, N, K, 1.0f, A, K, W, K, 0.0f, C1, N, 1);
        for (int p = 0; p < 3; p++) {
            for (int i = 0; i < M * N; i++) C2[i] = 1.0f;
            CHECK(vc_gemm_f32_prepacked((vc_isa)isa, pools[p], M, N, K, 1.0f, A, K, P, 0.0f, C2,
                                        N, NULL) == 0);
            CHECK_MSG(memcmp(C1, C2, sizeof(float) * M * N) == 0,
                      "isa %s, %d threads: prepacked weights give other bytes",
                      vc_isa_name((vc_isa)isa), vc_threads_count(pools[p]));
        }
        free(P);
    }
    vc_threads_destroy(pools[1]);
    vc_threads_destroy(pools[2]);
    free(A), free(W), free(C1), free(C2);
}

/* Run TinyVAD's method once with the given thread count; output 0 copied to *out. */
static void run_tinyvad(const voce_program *p, int threads, const voce_tensor *in, float **out,
                        size_t *n)
{
    voce_method_options o = voce_method_options_default();
    o.threads = threads;
    voce_method *m = NULL;
    CHECK_OK(voce_method_create(p, NULL, &o, &m));
    CHECK_OK(voce_method_set_input(m, 0, in));
    CHECK_OK(voce_method_execute(m));
    voce_tensor y;
    CHECK_OK(voce_method_output(m, 0, &y));
    *n = y.nbytes / sizeof(float);
    *out = malloc(y.nbytes);
    if (*out) memcpy(*out, y.data, y.nbytes);
    voce_method_destroy(m);
}

static void test_model_identical_across_threads(void)
{
    const char *onnx = vt_data("models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
    if (!onnx) {
        VT_SKIP("needs models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
        return;
    }
    voce_program *p = NULL;
    voce_method *m = NULL;
    CHECK_OK(vt_compile_open(onnx, vt_tmp("threads_tinyvad.voce"), &p, &m));
    voce_tensor_info info;
    CHECK_OK(voce_method_input_info(m, 0, &info));
    voce_method_destroy(m);
    voce_tensor in = {VOCE_DTYPE_F32, info.rank, {0}, NULL, sizeof(float)};
    for (int d = 0; d < info.rank; d++) {
        in.dims[d] = info.dims[d] > 0 ? info.dims[d] : 1;
        in.nbytes *= (size_t)in.dims[d];
    }
    float *x = malloc(in.nbytes);
    CHECK(x);
    for (size_t i = 0; i < in.nbytes / sizeof(float); i++) x[i] = rnd();
    in.data = x;
    float *ref = NULL, *got = NULL;
    size_t n_ref = 0, n_got = 0;
    run_tinyvad(p, 1, &in, &ref, &n_ref);
    static const int counts[] = {2, 3, 0};
    for (int i = 0; i < 3 && ref && !vt_failed(); i++) {
        run_tinyvad(p, counts[i], &in, &got, &n_got);
        CHECK(got && n_got == n_ref);
        CHECK_MSG(memcmp(got, ref, n_ref * sizeof(float)) == 0,
                  "threads = %d changes TinyVAD's output", counts[i]);
        free(got);
        got = NULL;
    }
    voce_method_options o = voce_method_options_default();
    CHECK(o.threads == 0);
    o.threads = -1;
    CHECK_ERR(voce_method_create(p, NULL, &o, &m), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "threads"));
    o.threads = VC_THREADS_MAX + 1;
    CHECK_ERR(voce_method_create(p, NULL, &o, &m), VOCE_ERR_INVALID_ARG);
    free(ref), free(got), free(x);
    voce_program_close(p);
}

int main(void)
{
    vt_run("pool_runs_every_task_once", test_pool_runs_every_task_once);
    vt_run("pool_bad_counts", test_pool_bad_counts);
    vt_run("gemm_identical_across_threads", test_gemm_identical_across_threads);
    vt_run("prepacked_identical", test_prepacked_identical);
    vt_run("model_identical_across_threads", test_model_identical_across_threads);
    return vt_finish();
}
