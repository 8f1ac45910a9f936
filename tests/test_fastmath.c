/* The branch-free float functions of src/kernels/ref/fastmath.h against libm in double,
 * over every 997th float bit pattern (about 4.3 million values, both signs, subnormals
 * and the specials included).
 *
 * Bounds (what the header promises, with a little room):
 *   exp_fast     relative 4e-7 for x in [-87, 87]; exactly 0 below -87; NaN stays NaN;
 *                above 87 it is e^87 (the clamp), not inf.
 *   sigmoid_fast relative 4e-7 where the exact value is above 1e-37 (below, it bottoms
 *                out at 1.6e-38: absolute error under 2e-38).
 *   tanh_fast    relative 5e-7.
 *   erf_fast     absolute 2e-7, and relative 1e-6 where |x| < 0.75 (the series) and the
 *                result is a normal float (subnormals carry fewer significant bits).
 * NaN in, NaN out, for all four.
 *
 * Also: the f32 elementwise kernels and softmax rows compiled for AVX2 (and the
 * transcendental ones also for AVX-512) give the bits the baseline build gives (NaN for
 * NaN, payloads aside), for every float unary op over the same sweep (run where the CPU
 * has AVX2, AVX-512 where it has that too). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "kernels/ref/elementwise_impl.h"
#include "kernels/ref/fastmath.h"
#include "kernels/ref/reduce_impl.h"

typedef struct {
    const char *name;
    double worst;
    float at;
} worst_err;

static void note(worst_err *w, double err, float x)
{
    if (err > w->worst) {
        w->worst = err;
        w->at = x;
    }
}

static double rel(double got, double want) { return fabs(got - want) / fabs(want); }

static void test_sweep(void)
{
    worst_err e = {"exp", 0, 0}, s = {"sigmoid", 0, 0}, t = {"tanh", 0, 0}, fa = {"erf abs", 0, 0},
              fr = {"erf rel", 0, 0};
    int nan_ok = 1, under_ok = 1;
    for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += 997) {
        float x = u2f((uint32_t)b);
        double d = x;
        if (isnan(x)) {
            nan_ok &= isnan(exp_fast(x)) && isnan(sigmoid_fast(x)) && isnan(tanh_fast(x)) &&
                      isnan(erf_fast(x));
            continue;
        }
        if (d >= -87 && d <= 87) note(&e, rel(exp_fast(x), exp(d)), x);
        if (d < -87) under_ok &= exp_fast(x) == 0.0f;
        double sg = 1 / (1 + exp(-d));
        if (sg > 1e-37) note(&s, rel(sigmoid_fast(x), sg), x);
        else note(&s, fabs(sigmoid_fast(x) - sg) > 2e-38 ? 1.0 : 0.0, x);
        if (x != 0) note(&t, rel(tanh_fast(x), tanh(d)), x);
        note(&fa, fabs(erf_fast(x) - erf(d)), x);
        if (fabs(erf(d)) >= 0x1p-126 && fabs(d) < 0.75) note(&fr, rel(erf_fast(x), erf(d)), x);
    }
    printf("  worst: exp %.2e (x=%g), sigmoid %.2e (x=%g), tanh %.2e (x=%g), erf abs %.2e (x=%g), "
           "erf rel %.2e (x=%g)\n", e.worst, e.at, s.worst, s.at, t.worst, t.at, fa.worst, fa.at,
           fr.worst, fr.at);
    CHECK(nan_ok);
    CHECK_MSG(under_ok, "exp_fast below -87 is not 0");
    CHECK_MSG(e.worst < 4e-7, "exp_fast: relative error %.3g at %g", e.worst, e.at);
    CHECK_MSG(s.worst < 4e-7, "sigmoid_fast: relative error %.3g at %g", s.worst, s.at);
    CHECK_MSG(t.worst < 5e-7, "tanh_fast: relative error %.3g at %g", t.worst, t.at);
    CHECK_MSG(fa.worst < 2e-7, "erf_fast: absolute error %.3g at %g", fa.worst, fa.at);
    CHECK_MSG(fr.worst < 1e-6, "erf_fast: relative error %.3g at %g", fr.worst, fr.at);
}

static void test_specials(void)
{
    CHECK(exp_fast(0.0f) == 1.0f);
    CHECK(exp_fast(-INFINITY) == 0.0f);
    CHECK(erf_fast(INFINITY) == 1.0f && erf_fast(-INFINITY) == -1.0f);
    CHECK(erf_fast(0.0f) == 0.0f && signbit(erf_fast(-0.0f)));
    CHECK(tanh_fast(INFINITY) == 1.0f && tanh_fast(-INFINITY) == -1.0f);
    CHECK(sigmoid_fast(INFINITY) == 1.0f);
}

/* Every 997th bit pattern, as the sweep above (every 9973rd in quick runs), in whole
 * blocks of 8. */
static int64_t sweep_values(float *x, int64_t cap)
{
    int64_t n = 0;
    uint64_t step = vt_quick() ? 9973 : 997;
    for (uint64_t u = 0; u <= 0xFFFFFFFFu && n < cap; u += step) {
        uint32_t b = (uint32_t)u;
        memcpy(&x[n++], &b, sizeof b);
    }
    return n - n % 8;
}

static void test_isa_bits(void)
{
    if (!vc_isa_supported(VC_ISA_AVX2)) VT_SKIP("the CPU has no AVX2: nothing to compare");
    enum { CAP = 4400000 };
    static float x[CAP], a[CAP], b[CAP];
    int64_t n = sweep_values(x, CAP);
    static const vc_ew_uop ops[] = {VC_EW_NEG, VC_EW_ABS, VC_EW_SIGN, VC_EW_RELU, VC_EW_CLIP, VC_EW_SQRT,
                                    VC_EW_EXP, VC_EW_LOG, VC_EW_RECIPROCAL, VC_EW_FLOOR, VC_EW_CEIL,
                                    VC_EW_ROUND, VC_EW_TANH, VC_EW_SIGMOID, VC_EW_ERF, VC_EW_GELU,
                                    VC_EW_GELU_TANH, VC_EW_SOFTPLUS, VC_EW_SOFTSIGN, VC_EW_LEAKY_RELU,
                                    VC_EW_ELU, VC_EW_SELU, VC_EW_HARD_SIGMOID, VC_EW_HARD_SWISH};
    vc_ew_params prm = {0.3, 1.7, 0, 0};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        vc_ew_unary_f32_isa(VC_ISA_C, ops[k], n, x, a, &prm);
        for (vc_isa isa = VC_ISA_AVX2; isa <= VC_ISA_AVX512 && vc_isa_supported(isa); isa++) {
            vc_ew_unary_f32_isa(isa, ops[k], n, x, b, &prm);
            int64_t i = 0; /* the same bits, or NaN both (floor of a signalling NaN quiets it either way) */
            while (i < n && (!memcmp(&a[i], &b[i], sizeof(float)) || (isnan(a[i]) && isnan(b[i])))) i++;
            CHECK_MSG(i == n, "unary op %d: %s build differs at x = %a: %a vs %a", (int)ops[k],
                      vc_isa_name(isa), x[i], a[i], b[i]);
        }
    }
    /* softmax rows of finite values, lengths around the 256-element chunks */
    int64_t off = 0;
    for (int64_t len = 1; off + len < n && len < 3000; len = len * 3 + 1) {
        float *row = a;
        for (int64_t i = 0; i < len; i++) row[i] = isfinite(x[off + i]) ? fmodf(x[off + i], 60.0f) : -1.0f;
        for (int log_form = 0; log_form < 2; log_form++) {
            vc_softmax_row_f32_isa(VC_ISA_C, row, b, len, log_form);
            vc_softmax_row_f32_isa(VC_ISA_AVX2, row, b + len, len, log_form);
            CHECK_MSG(memcmp(b, b + len, sizeof(float) * (size_t)len) == 0, "softmax row of %lld: AVX2 build differs",
                      (long long)len);
        }
        off += len;
    }
}

int main(void)
{
    vt_run("sweep", test_sweep);
    vt_run("specials", test_specials);
    vt_run("isa_bits", test_isa_bits);
    return vt_finish();
}
