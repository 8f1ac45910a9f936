/* voce:QLinear's kernel paths: names, and the hand-off to the architecture's file
 * (qgemm_x86.c, qgemm_neon.c), as cpu.c does for the f32 GEMM. The C path is the
 * reference kernel and exists everywhere. */
#include "qgemm.h"

#include <stddef.h>

static const char *const path_names[VC_QPATH_COUNT] = {"c",          "avx2", "avx512", "avxvnni",
                                                       "avx512vnni", "neon", "dotprod"};

const char *vc_qpath_name(vc_qpath p) { return p >= 0 && p < VC_QPATH_COUNT ? path_names[p] : NULL; }

int vc_qpath_supported(vc_qpath p, int dynamic)
{
    if (p == VC_QPATH_C) return 1;
#if VC_CPU_X86
    return vc_x86_qpath_supported(p, dynamic);
#elif VC_CPU_NEON
    return vc_neon_qpath_supported(p, dynamic);
#else
    return 0;
#endif
}

vc_qpath vc_qpath_active(int dynamic)
{
#if VC_CPU_X86
    return vc_x86_qpath_active(dynamic);
#elif VC_CPU_NEON
    return vc_neon_qpath_active(dynamic);
#else
    return VC_QPATH_C;
#endif
}

static int arch_run(vc_qpath p, const vc_qweights *q, int64_t M, const float *X, const vc_qrows *x, int64_t b0,
                    int64_t b1)
{
#if VC_CPU_X86
    return vc_x86_qgemm_run(p, q, M, X, x, b0, b1);
#elif VC_CPU_NEON
    return vc_neon_qgemm_run(p, q, M, X, x, b0, b1);
#else
    return 0;
#endif
}

void vc_qgemm_blocks(vc_qpath p, const vc_qweights *q, int64_t M, const float *X, const uint8_t *xq,
                     const float *xs, const int32_t *zp, float *Y, int64_t b0, int64_t b1)
{
    int64_t nb = (q->N + VC_QBLOCK - 1) / VC_QBLOCK;
    if (b1 > nb) b1 = nb;
    if (M <= 0 || b0 >= b1) return;
    vc_qrows x = {xq, xs, zp, Y};
    if (p != VC_QPATH_C && arch_run(p, q, M, X, &x, b0, b1)) return;
    vc_qlinear_ref(q, M, X, xq, xs, zp, Y, b0 * VC_QBLOCK, b1 * VC_QBLOCK);
}

void vc_qact_row_isa(vc_isa isa, const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp)
{
#if VC_CPU_X86
    if (vc_x86_qact_row(isa, x, K, xq, xs, zp)) return;
#elif VC_CPU_NEON
    if (vc_neon_qact_row(isa, x, K, xq, xs, zp)) return;
#endif
    (void)isa;
    vc_qact_row(x, K, xq, xs, zp);
}
