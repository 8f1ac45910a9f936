/* Instruction-set dispatch for the hot micro-kernels, and the ISA-specific kernels.
 *
 * The reference kernels (src/kernels/ref) are portable C and stay the definition of what
 * every op computes. A few inner loops that decide speed (the GEMM's dot kernel and its
 * blocked micro-kernel) also have variants written for one instruction set; they live
 * in this folder, one file per architecture (gemm_x86.c, gemm_neon.c), and are chosen
 * at run time:
 *
 *   vc_isa_active()  the best ISA this CPU runs, lowered (never raised) by the
 *                    environment variable VOCE_ISA = c | neon | avx2 | avx512. It is
 *                    computed once per process (pthread_once) and never changes
 *                    afterwards: the one piece of process-wide state in the library.
 *   vc_isa_supported(isa)  whether this CPU (and OS) can run isa, whatever VOCE_ISA says;
 *                    tests use it to compare every available path with plain C.
 *
 * x86-64 variants are compiled with __attribute__((target(...))) so the rest of the
 * build keeps the baseline ISA. On AArch64, NEON (AdvSIMD) is part of the baseline, so
 * its kernels need no attribute and are always supported. Elsewhere, or with a compiler
 * that is neither gcc nor clang, only VC_ISA_C exists.
 */
#ifndef VC_CPU_H
#define VC_CPU_H

#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VC_CPU_X86 1
#else
#define VC_CPU_X86 0
#endif
#if defined(__aarch64__) && defined(__ARM_NEON) && (defined(__GNUC__) || defined(__clang__))
#define VC_CPU_NEON 1
#else
#define VC_CPU_NEON 0
#endif

/* Within one architecture a larger value is a wider ISA, so "isa >= VC_ISA_AVX2" asks
 * for AVX2 or better. NEON sits below the x86 values so that such tests stay false on
 * Arm; comparing ISAs of different architectures means nothing otherwise. */
typedef enum vc_isa {
    VC_ISA_C = 0,      /* portable C (the reference path) */
    VC_ISA_NEON = 1,   /* AArch64 AdvSIMD */
    VC_ISA_AVX2 = 2,   /* x86-64 AVX2 + FMA */
    VC_ISA_AVX512 = 3, /* x86-64 AVX-512F */
    VC_ISA_COUNT
} vc_isa;

vc_isa vc_isa_active(void);
int vc_isa_supported(vc_isa isa);
/* "c", "neon", "avx2", "avx512"; NULL for a value outside the enum. */
const char *vc_isa_name(vc_isa isa);

/* Whether the CPU has the Arm dot-product instructions (SDOT / UDOT, HWCAP_ASIMDDP) for
 * int8 kernels: 0 off AArch64 Linux. Asks the kernel's auxiliary vector on every call
 * (cheap), so it keeps no state. Not an ISA of its own: VOCE_ISA does not affect it. */
int vc_cpu_has_arm_dotprod(void);

/* Dot-product kernel of the GEMM (see gemm.c's dot path): m rows of A against n
 * columns of B, all contiguous along K,
 *
 *   t[i * ldt + j] = sum over p < k of a[i][p] * b[j * ldb + p]   for i < m, j < n
 *
 * with m = 1, 2 or 4 (callers run 3 rows as 4, repeating one) and any n >= 1. Inside,
 * tiles of m x (lanes / m) keep one accumulator per dot product. Each ISA sums in its
 * own order and with fused multiply-adds, so results differ from plain C by rounding
 * only. */
typedef void (*vc_dot_fn)(int64_t k, int m, const float *const *a, const float *b, int64_t ldb,
                          int64_t n, float *t, int64_t ldt);

typedef struct vc_dot_kernel {
    vc_dot_fn fn; /* NULL: use the portable C kernels */
    int lanes;    /* dot products per tile: 16 (AVX-512, NEON), 8 (AVX2) */
} vc_dot_kernel;

/* The dot kernel of isa (fn NULL for VC_ISA_C or an ISA not built in). */
vc_dot_kernel vc_dot_kernel_for(vc_isa isa);

/* Micro-kernel of the GEMM's packed path (see gemm.c): one tile of C from a packed
 * sliver of op(A) and a panel of op(B),
 *
 *   C(i, j) = alpha * sum over p < kc of a[p * mr + i] * b[p * bs + j] + beta * C(i, j)
 *
 * for i < m <= mr and j < n <= nr, C(i, j) at c[i * rsc + j * csc]; the other elements
 * of C are not touched. The sliver holds mr rows and the panel nr columns whatever m
 * and n are (callers zero-pad them). beta == 0 does not read C. */
typedef void (*vc_gemm_fn)(int64_t kc, const float *a, const float *b, int64_t bs, float alpha,
                           float beta, float *c, int64_t rsc, int64_t csc, int m, int n);

/* Packing with a transpose: dst[p * mr + i] = src[i * lds + p] for i < m, p < kc, and 0
 * for m <= i < mr (rows of a row-major A, or columns of a transposed B, into a sliver). */
typedef void (*vc_pack_fn)(int64_t kc, int m, int mr, const float *src, int64_t lds, float *dst);

/* The micro-kernel reading mr whole rows of a row-major op(A) where they are, row i at
 * a + i * lda, instead of a packed sliver (all mr rows must exist: callers pack an edge
 * sliver of fewer rows). Same sums in the same order as vc_gemm_fn on the packed
 * sliver, so the same bits: packing A costs as much as a product with N of about 30,
 * and a layer's activations are read only a few times. */
typedef void (*vc_gemm_rows_fn)(int64_t kc, const float *a, int64_t lda, const float *b,
                                int64_t bs, float alpha, float beta, float *c, int64_t rsc,
                                int64_t csc, int n);

typedef struct vc_gemm_kernel {
    vc_gemm_fn fn;        /* NULL: use the portable C path */
    vc_pack_fn pack_rows; /* NULL: plain C */
    int mr, nr;           /* tile rows and columns */
    int kc, nc;           /* block sizes of K and N (see gemm.c's packed path) */
    vc_gemm_rows_fn fn_rows; /* NULL: A is always packed */
} vc_gemm_kernel;

/* The packed-path kernel of isa (fn NULL for VC_ISA_C or an ISA not built in). */
vc_gemm_kernel vc_gemm_kernel_for(vc_isa isa);

/* What each architecture's file provides to the two lookups above (cpu.c), which are the
 * only callers: isa must be one of that file's ISAs. */
#if VC_CPU_X86
vc_dot_kernel vc_x86_dot_kernel(vc_isa isa);   /* gemm_x86.c: AVX2, AVX-512 */
vc_gemm_kernel vc_x86_gemm_kernel(vc_isa isa);
#endif
#if VC_CPU_NEON
vc_dot_kernel vc_neon_dot_kernel(void);        /* gemm_neon.c */
vc_gemm_kernel vc_neon_gemm_kernel(void);
#endif

#endif
