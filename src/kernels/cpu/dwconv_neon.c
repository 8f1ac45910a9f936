/* AArch64 AdvSIMD variant of the depthwise kernel (dwconv.h): four 4-lane accumulators
 * over 16 consecutive outputs, FMAs per tap, the tail in scalar fmaf (same rounding as
 * the lanes), and the even-element gather of stride-2 phase planes. NEON is baseline on
 * AArch64: no target attribute. */
#include "dwconv.h"

#if VC_CPU_NEON

#include <arm_neon.h>
#include <math.h>

/* The clamp as compare and select, v < lo ? lo : v then v > hi ? hi : v: NEON's max and
 * min would turn a NaN into the default NaN, the Clip op keeps it as it is. */
static inline float32x4_t clamp4(float32x4_t v, float32x4_t lo, float32x4_t hi)
{
    v = vbslq_f32(vcltq_f32(v, lo), lo, v);
    return vbslq_f32(vcgtq_f32(v, hi), hi, v);
}

void vc_neon_dw(int64_t n, int taps, const int64_t *off, const float *w, float bias,
                const float *clamp, const float *src, float *dst)
{
    float32x4_t b = vdupq_n_f32(bias);
    float l = clamp ? clamp[0] : -INFINITY, h = clamp ? clamp[1] : INFINITY;
    float32x4_t lo = vdupq_n_f32(l), hi = vdupq_n_f32(h);
    int64_t f = 0;
    for (; f + 16 <= n; f += 16) {
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int t = 0; t < taps; t++) {
            const float *s = src + off[t] + f;
            float32x4_t wt = vdupq_n_f32(w[t]);
            a0 = vfmaq_f32(a0, wt, vld1q_f32(s));
            a1 = vfmaq_f32(a1, wt, vld1q_f32(s + 4));
            a2 = vfmaq_f32(a2, wt, vld1q_f32(s + 8));
            a3 = vfmaq_f32(a3, wt, vld1q_f32(s + 12));
        }
        vst1q_f32(dst + f, clamp4(vaddq_f32(a0, b), lo, hi));
        vst1q_f32(dst + f + 4, clamp4(vaddq_f32(a1, b), lo, hi));
        vst1q_f32(dst + f + 8, clamp4(vaddq_f32(a2, b), lo, hi));
        vst1q_f32(dst + f + 12, clamp4(vaddq_f32(a3, b), lo, hi));
    }
    for (; f + 4 <= n; f += 4) {
        float32x4_t a = vdupq_n_f32(0.0f);
        for (int t = 0; t < taps; t++)
            a = vfmaq_f32(a, vdupq_n_f32(w[t]), vld1q_f32(src + off[t] + f));
        vst1q_f32(dst + f, clamp4(vaddq_f32(a, b), lo, hi));
    }
    for (; f < n; f++) {
        float a = 0.0f;
        for (int t = 0; t < taps; t++) a = fmaf(w[t], src[off[t] + f], a);
        a += bias;
        a = a < l ? l : a;
        dst[f] = a > h ? h : a;
    }
}

#endif

#if VC_CPU_NEON
/* vld2q splits 8 floats into even and odd lanes; the last block stays scalar, so that
 * nothing past src[2n - 2] is read. */
void vc_neon_dw_even(int64_t rows, int64_t n, const float *src, int64_t ls, float *dst, int64_t ld)
{
    for (int64_t r = 0; r < rows; r++, src += ls, dst += ld) {
        int64_t c = 0;
        for (; c + 4 < n; c += 4) vst1q_f32(dst + c, vld2q_f32(src + 2 * c).val[0]);
        for (; c < n; c++) dst[c] = src[2 * c];
    }
}
#endif
