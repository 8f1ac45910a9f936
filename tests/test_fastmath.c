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
 * NaN in, NaN out, for all four. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "kernels/ref/fastmath.h"

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

int main(void)
{
    vt_run("sweep", test_sweep);
    vt_run("specials", test_specials);
    return vt_finish();
}
