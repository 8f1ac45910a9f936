/* Speed of voce's f32 GEMM (src/kernels/ref/gemm.h) against the machine's limit and
 * against OpenBLAS, on the matrix shapes of the speech models voce targets; one core.
 *
 * usage: bench_gemm [--quick] [--shape M,N,K] [--threads N]
 *
 *   fma peak   a loop of independent FMA chains per x86-64 extension the CPU has (AVX2:
 *              8 lanes, AVX-512: 16 lanes), 2 flops per lane per FMA. It is the ceiling
 *              no f32 GEMM on one core can pass, so "vs_peak" says how much is left.
 *   gemm       C = A * op(B), row-major, for every shape with B stored [N, K] (trans_b=1:
 *              ONNX MatMul weights after the compiler transposes them, Gemm with
 *              transB) and [K, N] (trans_b=0), through vc_gemm_f32_mt for every ISA the
 *              CPU supports and through OpenBLAS's cblas_sgemm in the same process.
 *
 * Shapes: Whisper tiny/base encoder projections on 1500 frames and decoder steps (M=1,
 * vocabulary projection included), FastConformer 1024-wide (250 frames and one step),
 * and a 1024 cube. --quick runs a subset with shorter measurements; --shape runs one.
 *
 * OpenBLAS is dlopen'ed (libopenblas.so.0, from Debian's libopenblas0-pthread), never
 * linked, so the bench builds and runs without it (voce only, checked against the
 * portable C path). Both run on 1 thread unless --threads N says otherwise (voce through
 * a pool of N threads, src/core/threads.h; vs_peak is then against N times the one-core
 * probe, which assumes N free physical cores). OpenBLAS picks its
 * kernels from the CPU model and falls back to Haswell's (AVX2) on one it does not know,
 * as in some VMs: the core= key says which, OPENBLAS_CORETYPE=SkylakeX forces AVX-512.
 *
 * Each measurement is the best of R runs, R growing until the runs add up to 0.2 s (at
 * least 3). One line per measurement, key=value pairs, times in seconds, then a summary
 * table. max_rel_err is max |C - C_ref| / max |C_ref| (a per-element ratio would blow
 * up wherever a dot product cancels to near zero); above 1e-4 a warning is printed.
 * Nothing here asserts on time: machines differ, so the numbers are for people. */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/threads.h"
#include "kernels/cpu/cpu.h"
#include "kernels/ref/gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86_PROBE 1
#include <immintrin.h>
#else
#define HAVE_X86_PROBE 0
#endif

#define ERR_WARN 1e-4

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- FMA peak ---------------------------------------------------------------------- */

#if HAVE_X86_PROBE
/* The accumulators are independent so that the FMA units never wait on their own
 * latency (4 cycles, 2 ports: 8 in flight suffice, 12/16 leave margin). acc*x + y with
 * x just below 1 stays finite and normal however long it runs. Each chain starts from its
 * own seed (passed through volatiles, like x and y): chains the compiler can prove equal
 * it merges into one, which then runs at the latency of a single FMA. */
#define FMA4(op, t)                                                                      \
    t##0 = op(t##0, x, y), t##1 = op(t##1, x, y), t##2 = op(t##2, x, y), t##3 = op(t##3, x, y)

#define SEED4(set, t, s)                                                                  \
    t##0 = set(s[0]), t##1 = set(s[1]), t##2 = set(s[2]), t##3 = set(s[3])

__attribute__((target("avx2,fma"))) static float fma_loop_avx2(int64_t iters, float xs, float ys,
                                                              const float *seed)
{
    __m256 x = _mm256_set1_ps(xs), y = _mm256_set1_ps(ys);
    __m256 a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3;
    SEED4(_mm256_set1_ps, a, seed);
    SEED4(_mm256_set1_ps, b, (seed + 4));
    SEED4(_mm256_set1_ps, c, (seed + 8));
    for (int64_t i = 0; i < iters; i++) {
        FMA4(_mm256_fmadd_ps, a);
        FMA4(_mm256_fmadd_ps, b);
        FMA4(_mm256_fmadd_ps, c);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(b0, b1), _mm256_add_ps(b2, b3)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

__attribute__((target("avx512f"))) static float fma_loop_avx512(int64_t iters, float xs, float ys,
                                                               const float *seed)
{
    __m512 x = _mm512_set1_ps(xs), y = _mm512_set1_ps(ys);
    __m512 a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3;
    SEED4(_mm512_set1_ps, a, seed);
    SEED4(_mm512_set1_ps, b, (seed + 4));
    SEED4(_mm512_set1_ps, c, (seed + 8));
    SEED4(_mm512_set1_ps, d, (seed + 12));
    for (int64_t i = 0; i < iters; i++) {
        FMA4(_mm512_fmadd_ps, a);
        FMA4(_mm512_fmadd_ps, b);
        FMA4(_mm512_fmadd_ps, c);
        FMA4(_mm512_fmadd_ps, d);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(b0, b1), _mm512_add_ps(b2, b3)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(d0, d1), _mm512_add_ps(d2, d3)));
    return _mm512_reduce_add_ps(s);
}


static float fma_loop(vc_isa isa, int64_t iters, float x, float y, const float *seed)
{
    if (isa == VC_ISA_AVX512) return fma_loop_avx512(iters, x, y, seed);
    return fma_loop_avx2(iters, x, y, seed);
}
#endif

/* GFLOP/s of the probe for isa, 0 where there is none. */
static double fma_peak(vc_isa isa, double target_s)
{
#if HAVE_X86_PROBE
    if (isa == VC_ISA_C || !vc_isa_supported(isa)) return 0;
    volatile float xv = 0.9999999f, yv = 1e-7f, seedv[16];
    float seed[16];
    for (int i = 0; i < 16; i++) seedv[i] = 1.0f + (float)i / 16, seed[i] = seedv[i];
    volatile float sink = 0;
    int lanes = isa == VC_ISA_AVX512 ? 16 : 8, chains = isa == VC_ISA_AVX512 ? 16 : 12;
    int64_t iters = 1 << 16;
    double best = 1e30, total = 0;
    int runs = 0;
    /* grow the run until one lasts 10 ms, so the clock's resolution does not matter */
    for (;;) {
        double t0 = now_s();
        sink = fma_loop(isa, iters, xv, yv, seed);
        double t = now_s() - t0;
        if (t >= 0.01 || iters > ((int64_t)1 << 40)) break;
        iters *= 2;
    }
    while (runs < 3 || total < target_s) {
        double t0 = now_s();
        sink = fma_loop(isa, iters, xv, yv, seed);
        double t = now_s() - t0;
        total += t, runs++;
        if (t < best) best = t;
    }
    (void)sink;
    double flops = 2.0 * lanes * chains * (double)iters;
    printf("probe=fma_peak isa=%s lanes=%d chains=%d iters=%lld runs=%d best_s=%.4f gflops=%.1f\n",
           vc_isa_name(isa), lanes, chains, (long long)iters, runs, best, flops / best / 1e9);
    fflush(stdout);
    return flops / best / 1e9;
#else
    (void)isa, (void)target_s;
    return 0;
#endif
}

/* ---- OpenBLAS, loaded at run time ---------------------------------------------------- */

/* cblas.h's enums and LP64 blasint (Debian's libopenblas0 is LP64; the ILP64 build is a
 * different soname, libopenblas64). */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);
typedef void (*set_threads_fn)(int n);
typedef char *(*get_str_fn)(void);

typedef struct blas {
    sgemm_fn sgemm; /* NULL: OpenBLAS not loaded */
} blas;

static void *sym(void *h, const char *name)
{
    return h ? dlsym(h, name) : NULL;
}

static blas load_openblas(int threads)
{
    blas b = {0};
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *h = NULL;
    const char *loaded = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !h; i++)
        if ((h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL))) loaded = names[i];
    void *p = sym(h, "cblas_sgemm");
    if (!p) {
        printf("openblas=absent note=\"%s; Debian: apt install libopenblas0-pthread;"
               " timing voce only\"\n",
               h ? "libopenblas has no cblas_sgemm" : "libopenblas.so.0 not found");
        if (h) dlclose(h);
        return b;
    }
    /* POSIX: a pointer from dlsym has the representation of the function pointer. */
    memcpy(&b.sgemm, &p, sizeof p);
    set_threads_fn set_threads = NULL;
    get_str_fn config = NULL, core = NULL;
    void *q = sym(h, "openblas_set_num_threads");
    memcpy(&set_threads, &q, sizeof q);
    q = sym(h, "openblas_get_config");
    memcpy(&config, &q, sizeof q);
    q = sym(h, "openblas_get_corename");
    memcpy(&core, &q, sizeof q);
    if (set_threads) set_threads(threads);
    char nthreads[32] = "library-default"; /* no setter: OPENBLAS_NUM_THREADS decides */
    if (set_threads) snprintf(nthreads, sizeof nthreads, "%d", threads);
    printf("openblas=%s threads=%s config=\"%s\" core=%s\n", loaded, nthreads,
           config ? config() : "?", core ? core() : "?");
    fflush(stdout);
    return b; /* never closed: the process ends with the bench */
}

/* ---- GEMM timing ----------------------------------------------------------------------- */

typedef struct shape {
    const char *name;
    int64_t m, n, k;
    int quick; /* in the --quick subset */
} shape;

static const shape SHAPES[] = {
    {"whisper-tiny-enc-qkvo", 1500, 384, 384, 1},
    {"whisper-tiny-enc-fc1", 1500, 1536, 384, 1},
    {"whisper-tiny-enc-fc2", 1500, 384, 1536, 0},
    {"whisper-base-enc-qkvo", 1500, 512, 512, 0},
    {"whisper-base-enc-fc1", 1500, 2048, 512, 0},
    {"whisper-base-enc-fc2", 1500, 512, 2048, 0},
    {"whisper-tiny-dec-qkvo", 1, 384, 384, 1},
    {"whisper-tiny-dec-fc1", 1, 1536, 384, 0},
    {"whisper-tiny-dec-fc2", 1, 384, 1536, 0},
    {"whisper-tiny-dec-vocab", 1, 51865, 384, 1},
    {"whisper-base-dec-qkvo", 1, 512, 512, 0},
    {"whisper-base-dec-fc1", 1, 2048, 512, 0},
    {"whisper-base-dec-vocab", 1, 51865, 512, 0},
    {"fastconformer-qkvo", 250, 1024, 1024, 1},
    {"fastconformer-ff1", 250, 4096, 1024, 0},
    {"fastconformer-ff2", 250, 1024, 4096, 0},
    {"fastconformer-step-qkvo", 1, 1024, 1024, 0},
    {"fastconformer-step-ff1", 1, 4096, 1024, 0},
    {"cube-1024", 1024, 1024, 1024, 1},
};
#define N_SHAPES (sizeof SHAPES / sizeof *SHAPES)

/* engines, in the order they run: OpenBLAS first, its output is the reference */
enum { E_OPENBLAS, E_C, E_AVX2, E_AVX512, N_ENGINES };
static const char *const ENGINE_NAME[N_ENGINES] = {"openblas", "c", "avx2", "avx512"};

typedef struct result {
    const char *name;
    int64_t m, n, k;
    int trans_b;
    double gflops[N_ENGINES]; /* 0: not run */
} result;

typedef struct ctx {
    blas blas;
    vc_threads *pool;
    double target_s;
    int min_runs;
    double peak; /* GFLOP/s of the best probe, 0 if none */
} ctx;

static void run_engine(int e, const ctx *x, const shape *s, int trans_b, const float *A,
                       const float *B, float *C)
{
    const blas *b = &x->blas;
    int64_t ldb = trans_b ? s->k : s->n;
    if (e == E_OPENBLAS)
        b->sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)s->m,
                 (int)s->n, (int)s->k, 1.0f, A, (int)s->k, B, (int)ldb, 0.0f, C, (int)s->n);
    else
        vc_gemm_f32_mt(e == E_C ? VC_ISA_C : e == E_AVX2 ? VC_ISA_AVX2 : VC_ISA_AVX512, x->pool, 0,
                       trans_b, s->m, s->n, s->k, 1.0f, A, s->k, B, ldb, 0.0f, C, s->n, 1);
}

static double max_rel_err(const float *c, const float *ref, int64_t n)
{
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)c[i] - ref[i]);
        if (!(d <= diff)) diff = d; /* a NaN sticks */
        if (fabs(ref[i]) > scale) scale = fabs(ref[i]);
    }
    return scale > 0 ? diff / scale : diff;
}

static int engine_available(const ctx *x, int e)
{
    if (e == E_OPENBLAS) return x->blas.sgemm != NULL;
    return vc_isa_supported(e == E_C ? VC_ISA_C : e == E_AVX2 ? VC_ISA_AVX2 : VC_ISA_AVX512);
}

static void bench_shape(const ctx *x, const shape *s, int trans_b, const float *A, const float *B,
                        float *C, float *ref, result *r)
{
    double flops = 2.0 * (double)s->m * (double)s->n * (double)s->k;
    int64_t nc = s->m * s->n;
    *r = (result){.name = s->name, .m = s->m, .n = s->n, .k = s->k, .trans_b = trans_b};
    int have_ref = 0;
    for (int e = 0; e < N_ENGINES; e++) {
        if (!engine_available(x, e)) continue;
        float *out = have_ref ? C : ref;
        run_engine(e, x, s, trans_b, A, B, out); /* warm-up, and the checked output */
        double err = have_ref ? max_rel_err(C, ref, nc) : 0;
        double best = 1e30, total = 0;
        int runs = 0;
        while ((runs < x->min_runs || total < x->target_s) && runs < 1000000) {
            double t0 = now_s();
            run_engine(e, x, s, trans_b, A, B, C);
            double t = now_s() - t0;
            total += t, runs++;
            if (t < best) best = t;
        }
        double gf = flops / best / 1e9;
        r->gflops[e] = gf;
        printf("engine=%s shape=%s M=%lld N=%lld K=%lld trans_b=%d runs=%d best_s=%.6f gflops=%.2f",
               e == E_OPENBLAS ? "openblas" : "voce", s->name, (long long)s->m, (long long)s->n,
               (long long)s->k, trans_b, runs, best, gf);
        if (e != E_OPENBLAS) printf(" isa=%s", ENGINE_NAME[e]);
        if (r->gflops[E_OPENBLAS] > 0) printf(" vs_openblas=%.3f", gf / r->gflops[E_OPENBLAS]);
        if (x->peak > 0) printf(" vs_peak=%.3f", gf / x->peak);
        if (have_ref)
            printf(" ref=%s max_rel_err=%.2e", x->blas.sgemm ? "openblas" : "c", err);
        printf("\n");
        if (have_ref && !(err <= ERR_WARN))
            printf("WARNING: %s %s trans_b=%d differs from the reference by %.2e (> %.0e)\n",
                   ENGINE_NAME[e], s->name, trans_b, err, ERR_WARN);
        fflush(stdout);
        have_ref = 1;
    }
}

static void fill(float *p, int64_t n, uint64_t seed)
{
    uint64_t st = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (float)((double)(st >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
}

static void summary(const ctx *x, const result *res, int n, const double *peaks)
{
    printf("\nsummary (GFLOP/s, %d thread%s; best = fastest voce ISA; peaks are one core's)",
           vc_threads_count(x->pool), vc_threads_count(x->pool) > 1 ? "s" : "");
    for (int i = 1; i < VC_ISA_COUNT; i++)
        if (peaks[i] > 0) printf("  fma_peak_%s=%.1f", vc_isa_name((vc_isa)i), peaks[i]);
    printf("\n%-24s %5s %6s %5s %2s %8s %8s %8s %8s %10s %9s\n", "shape", "M", "N", "K", "tB", "c",
           "avx2", "avx512", "openblas", "best/oblas", "best/peak");
    for (int i = 0; i < n; i++) {
        const result *r = &res[i];
        double best = 0;
        printf("%-24s %5lld %6lld %5lld %2d", r->name, (long long)r->m, (long long)r->n,
               (long long)r->k, r->trans_b);
        for (int e = E_C; e < N_ENGINES; e++) {
            if (r->gflops[e] > best) best = r->gflops[e];
            if (r->gflops[e] > 0) printf(" %8.2f", r->gflops[e]);
            else printf(" %8s", "-");
        }
        double ob = r->gflops[E_OPENBLAS];
        if (ob > 0) printf(" %8.2f %10.3f", ob, best / ob);
        else printf(" %8s %10s", "-", "-");
        if (x->peak > 0) printf(" %9.3f\n", best / x->peak);
        else printf(" %9s\n", "-");
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_gemm [--quick] [--shape M,N,K] [--threads N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int quick = 0, threads = 1;
    shape one = {"custom", 0, 0, 0, 1};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shape") && i + 1 < argc) {
            long long m, n, k;
            if (sscanf(argv[++i], "%lld,%lld,%lld", &m, &n, &k) != 3 || m < 1 || n < 1 || k < 1 ||
                m > 1 << 20 || n > 1 << 20 || k > 1 << 20)
                return usage();
            one.m = m, one.n = n, one.k = k;
        } else return usage();
    }
    if (threads < 1) return usage();

    ctx x = {.target_s = quick ? 0.05 : 0.2, .min_runs = 3};
    printf("bench=gemm isa_active=%s quick=%d\n", vc_isa_name(vc_isa_active()), quick);
    double peaks[VC_ISA_COUNT] = {0};
    for (int i = 1; i < VC_ISA_COUNT; i++) {
        peaks[i] = fma_peak((vc_isa)i, x.target_s);
        if (peaks[i] > x.peak) x.peak = peaks[i];
    }
    if (!HAVE_X86_PROBE)
        printf("probe=fma_peak note=\"no probe off x86-64; vs_peak not reported\"\n");
    x.blas = load_openblas(threads);
    if (vc_threads_create(threads, &x.pool)) {
        fprintf(stderr, "bench_gemm: %s\n", voce_last_error());
        return 1;
    }
    x.peak *= threads;

    const shape *list = one.m ? &one : SHAPES;
    size_t n_list = one.m ? 1 : N_SHAPES;
    int64_t max_a = 0, max_b = 0, max_c = 0;
    for (size_t i = 0; i < n_list; i++) {
        if (list[i].m * list[i].k > max_a) max_a = list[i].m * list[i].k;
        if (list[i].n * list[i].k > max_b) max_b = list[i].n * list[i].k;
        if (list[i].m * list[i].n > max_c) max_c = list[i].m * list[i].n;
    }
    float *A = malloc(sizeof(float) * (size_t)max_a), *B = malloc(sizeof(float) * (size_t)max_b);
    float *C = malloc(sizeof(float) * (size_t)max_c), *ref = malloc(sizeof(float) * (size_t)max_c);
    result *res = calloc(2 * n_list, sizeof *res);
    if (!A || !B || !C || !ref || !res) {
        fprintf(stderr, "bench_gemm: out of memory\n");
        return 1;
    }
    fill(A, max_a, 1);
    fill(B, max_b, 2);

    int n_res = 0;
    for (size_t i = 0; i < n_list; i++) {
        if (quick && !list[i].quick) continue;
        for (int tb = 1; tb >= 0; tb--) {
            bench_shape(&x, &list[i], tb, A, B, C, ref, &res[n_res]);
            n_res++;
        }
    }
    summary(&x, res, n_res, peaks);
    free(A), free(B), free(C), free(ref), free(res);
    vc_threads_destroy(x.pool);
    return 0;
}
