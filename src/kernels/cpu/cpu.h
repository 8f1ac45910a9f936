/* Instruction-set dispatch for the hot micro-kernels, and the ISA-specific kernels.
 *
 * The reference kernels (src/kernels/ref) are portable C and stay the definition of what
 * every op computes. A few inner loops that decide speed (the GEMM dot kernel) also
 * have variants written for one x86-64 extension; they live in this folder, are
 * compiled with __attribute__((target(...))) so the rest of the build keeps the
 * baseline ISA, and are chosen at run time:
 *
 *   vc_isa_active()  the best ISA this CPU runs, lowered (never raised) by the
 *                    environment variable VOCE_ISA = c | avx2 | avx512. It is computed
 *                    once per process (pthread_once) and never changes afterwards: the
 *                    one piece of process-wide state in the library.
 *   vc_isa_supported(isa)  whether this CPU (and OS) can run isa, whatever VOCE_ISA says;
 *                    tests use it to compare every available path with plain C.
 *
 * Off x86-64, or with a compiler that is neither gcc nor clang, only VC_ISA_C exists.
 */
#ifndef VC_CPU_H
#define VC_CPU_H

#include <stdint.h>

typedef enum vc_isa {
    VC_ISA_C = 0,      /* portable C (the reference path) */
    VC_ISA_AVX2 = 1,   /* x86-64 AVX2 + FMA */
    VC_ISA_AVX512 = 2, /* x86-64 AVX-512F */
    VC_ISA_COUNT
} vc_isa;

vc_isa vc_isa_active(void);
int vc_isa_supported(vc_isa isa);
/* "c", "avx2", "avx512"; NULL for a value outside the enum. */
const char *vc_isa_name(vc_isa isa);

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
    int lanes;    /* dot products per tile: 16 (AVX-512), 8 (AVX2) */
} vc_dot_kernel;

/* The dot kernel of isa (fn NULL for VC_ISA_C or an ISA not built in). */
vc_dot_kernel vc_dot_kernel_for(vc_isa isa);

#endif
