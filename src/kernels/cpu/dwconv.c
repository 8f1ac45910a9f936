/* Plain C depthwise kernels (dwconv.h) and the lookups of the ISA variants. */
#include "dwconv.h"

/* Tap by tap over the whole row: each pass is a unit-stride multiply-add the compiler
 * vectorises for the baseline ISA. */
static void dw_c(int64_t n, int taps, const int64_t *off, const float *w, float bias,
                 const float *clamp, const float *restrict src, float *restrict dst)
{
    for (int64_t f = 0; f < n; f++) dst[f] = 0.0f;
    for (int t = 0; t < taps; t++) {
        const float *s = src + off[t];
        float wt = w[t];
        for (int64_t f = 0; f < n; f++) dst[f] += wt * s[f];
    }
    for (int64_t f = 0; f < n; f++) dst[f] += bias;
    if (!clamp) return;
    for (int64_t f = 0; f < n; f++) {
        float v = dst[f] < clamp[0] ? clamp[0] : dst[f];
        dst[f] = v > clamp[1] ? clamp[1] : v;
    }
}

vc_dw_fn vc_dw_kernel_for(vc_isa isa)
{
    switch (isa) {
#if VC_CPU_X86
    case VC_ISA_AVX2:
    case VC_ISA_AVX512:
        return vc_x86_dw_kernel(isa);
#endif
#if VC_CPU_NEON
    case VC_ISA_NEON:
        return vc_neon_dw;
#endif
    default:
        return dw_c;
    }
}

static void even_c(int64_t rows, int64_t n, const float *restrict src, int64_t ls,
                   float *restrict dst, int64_t ld)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < n; c++) dst[r * ld + c] = src[r * ls + 2 * c];
}

vc_dw_even_fn vc_dw_even_for(vc_isa isa)
{
    switch (isa) {
#if VC_CPU_X86
    case VC_ISA_AVX2:
    case VC_ISA_AVX512:
        return vc_x86_dw_even(isa);
#endif
#if VC_CPU_NEON
    case VC_ISA_NEON:
        return vc_neon_dw_even;
#endif
    default:
        return even_c;
    }
}
