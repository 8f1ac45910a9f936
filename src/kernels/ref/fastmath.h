/* Branch-free float math for kernels whose loops must vectorize (LSTM/GRU gates,
 * Softmax). Static inline: each including file gets its own copy, compiled for its
 * own target. */
#ifndef VC_FASTMATH_H
#define VC_FASTMATH_H

#include <stdint.h>
#include <string.h>

/* Inlined into the loops that call them even where gcc's size heuristics would not (erf
 * is long): a call in a loop body keeps the loop scalar. */
#if defined(__GNUC__)
#define VC_FM_INLINE static inline __attribute__((always_inline))
#else
#define VC_FM_INLINE static inline
#endif

/* Activations. libm's tanhf / expf per element cost more than the gate arithmetic, and
 * calls keep the loops scalar; these are branch-free so that the loops over a gate
 * vectorize, and accurate to a few ulp:
 *   e^x: n = round(x / ln 2), r = x - n ln 2 in two parts (|r| <= 0.35), degree-7
 *        Taylor polynomial (truncation below 6e-9 relative), times 2^n built in the
 *        exponent bits; |x| is clamped to 87 so that 2^n stays a normal float, and
 *        below -87 the result is 0 (as e^x rounds to in float, nearly: from -87.3 to
 *        -103.9 it would be a subnormal), so that masked softmax entries give exact 0.
 *   sigmoid(x) = 1 / (1 + e^-x).
 *   tanh(x) = sign(x) (1 - 2 / (e^2|x| + 1)) for |x| >= 0.25; below, where that form
 *        would cancel, the odd Taylor polynomial to x^9 (relative error below 1e-8).
 * NaN propagates through every one. Selects work on the bits as integers: gcc does not
 * if-convert (so does not vectorize) a float comparison or division it has moved into a
 * branch, since executing it unconditionally could raise a floating-point exception. */
static inline uint32_t f2u(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float u2f(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

#define F32_ABS 0x7FFFFFFFu
#define F32_INF 0x7F800000u

VC_FM_INLINE float exp_fast(float x)
{
    uint32_t u = f2u(x), mag = u & F32_ABS, big = (uint32_t)(mag > 0x42AE0000u); /* 87 */
    big &= (uint32_t)(mag <= F32_INF); /* NaN stays NaN */
    uint32_t keep = (uint32_t)0 - (uint32_t)!(big & (u >> 31)); /* 0 below -87 */
    x = u2f(big ? (u & ~F32_ABS) | 0x42AE0000u : u);
    /* adding 1.5 * 2^23 rounds to an integer, which then sits in the low mantissa bits */
    float shifted = x * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return u2f(f2u(p * u2f((f2u(shifted) - 0x4B400000u + 127u) << 23)) & keep);
}

VC_FM_INLINE float sigmoid_fast(float x) { return 1.0f / (1.0f + exp_fast(-x)); }

VC_FM_INLINE float tanh_fast(float x)
{
    uint32_t u = f2u(x), mag = u & F32_ABS;
    float ax = u2f(mag), x2 = x * x;
    float big = 1.0f - 2.0f / (exp_fast(2.0f * ax) + 1.0f);
    float p = 62.0f / 2835.0f;
    p = p * x2 - 17.0f / 315.0f;
    p = p * x2 + 2.0f / 15.0f;
    p = p * x2 - 1.0f / 3.0f;
    float small = x + x * (x2 * p);
    /* a mask rather than ?: so that gcc cannot sink either side (and its division) into
     * a branch */
    uint32_t use_small = 0u - (uint32_t)(mag < 0x3E800000u); /* 0.25 */
    return u2f((f2u(small) & use_small) | ((f2u(big) | (u & ~F32_ABS)) & ~use_small));
}

/* erf(x): for |x| < 0.75 the Maclaurin series to x^17 (truncation below 2e-8 of the
 * result); above, sign(x) (1 - erfc|x|) with erfc from the fitted form
 * t e^(-x^2 + P(t)), t = 1 / (1 + |x| / 2), whose relative error is below 1.2e-7
 * (Numerical Recipes' erfcc). |x| is clamped to 9 (erf is +-1 in float from 3.9 on);
 * NaN propagates. */
VC_FM_INLINE float erf_fast(float x)
{
    uint32_t u = f2u(x), mag = u & F32_ABS;
    /* |x| above 9 (not NaN) becomes 9; a mask, not a ?:, which gcc turns into a branch
     * here and then leaves the loop scalar */
    uint32_t clamp = 0u - ((uint32_t)(mag > 0x41100000u) & (uint32_t)(mag <= F32_INF));
    float ax = u2f((0x41100000u & clamp) | (mag & ~clamp)), z = ax * ax;
    float p = 1.0f / 685440.0f;
    p = p * z - 1.0f / 75600.0f;
    p = p * z + 1.0f / 9360.0f;
    p = p * z - 1.0f / 1320.0f;
    p = p * z + 1.0f / 216.0f;
    p = p * z - 1.0f / 42.0f;
    p = p * z + 1.0f / 10.0f;
    p = p * z - 1.0f / 3.0f;
    p = p * z + 1.0f;
    float small = ax * 1.12837916709551257390f * p;
    float t = 1.0f / (1.0f + 0.5f * ax);
    float q = 0.17087277f;
    q = q * t - 0.82215223f;
    q = q * t + 1.48851587f;
    q = q * t - 1.13520398f;
    q = q * t + 0.27886807f;
    q = q * t - 0.18628806f;
    q = q * t + 0.09678418f;
    q = q * t + 0.37409196f;
    q = q * t + 1.00002368f;
    q = q * t - 1.26551223f;
    float large = 1.0f - t * exp_fast(q - z);
    uint32_t use_small = 0u - (uint32_t)(mag < 0x3F400000u); /* 0.75 */
    uint32_t r = (f2u(small) & use_small) | (f2u(large) & ~use_small);
    return u2f(r | (u & ~F32_ABS));
}

#endif
