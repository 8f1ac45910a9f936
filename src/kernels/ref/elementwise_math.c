/* Typed kernels of the elementwise reference ops: one function per op and compute dtype
 * (f32, f64, i64, bool), gathered into the vc_ewk_* sets that elementwise.c dispatches on.
 *
 * Float formulas are written once as FORMULA(T, F, x) where F(exp) names the libm
 * function of type T (expf / exp). Integer kernels compute in i64 with wrap-around
 * (through uint64, so overflow is never UB). Defined results where C or ONNX leave a gap:
 *   integer x / 0 = 0, x % 0 = 0, INT_MIN / -1 = INT_MIN (wraps), INT_MIN % -1 = 0;
 *   integer pow with a negative exponent: 1 for base 1, +-1 for base -1, else 0
 *   (the truncated value of 1 / base^k, and 0 for base 0 rather than a division by 0);
 *   shifts by >= 64 give 0;
 *   Min / Max propagate NaN (as numpy's minimum / maximum);
 *   Round is half to even (rint under the default rounding mode, which voce never
 *   changes). */
#include <math.h>
#include <string.h>

#include "elementwise_impl.h"

#define F32(name) name##f
#define F64(name) name

/* ---- unary ---- */

/* Each kernel is a typed function with restrict parameters (gcc only vectorizes with
 * restrict on parameters, not on local pointers) behind a void * wrapper of the table's
 * signature. */
#define UNARY_FN(name, T, TO, PT, PA, PB, BODY)                                        \
    static inline void name##_t(int64_t n, const T *restrict xs, TO *restrict o,       \
                                const vc_ew_params *p)                                 \
    {                                                                                  \
        const PT pa = (PT)p->PA, pb = (PT)p->PB;                                       \
        (void)pa;                                                                      \
        (void)pb;                                                                      \
        VC_EW_FOR(i, n, T x = xs[i]; o[i] = (TO)(BODY););                              \
    }                                                                                  \
    static void name(int64_t n, const void *xv, void *ov, const vc_ew_params *p)       \
    {                                                                                  \
        name##_t(n, xv, ov, p);                                                        \
    }

/* Float unary op: pa, pb are the op's parameters converted once to T. */
#define UNARY_FLOAT_FN(name, T, F, FORMULA) UNARY_FN(name, T, T, T, a, b, FORMULA(T, F, x))

#define UNARY_FLOAT(lname, FORMULA)                                                    \
    UNARY_FLOAT_FN(lname##_f32, float, F32, FORMULA)                                   \
    UNARY_FLOAT_FN(lname##_f64, double, F64, FORMULA)                                  \
    const vc_ew_unary_k vc_ewk_##lname = {lname##_f32, lname##_f64, NULL, NULL};

/* Float and integer versions of one formula (integers through INT_FORMULA on i64). */
#define UNARY_FLOAT_INT(lname, FORMULA, INT_FORMULA)                                   \
    UNARY_FLOAT_FN(lname##_f32, float, F32, FORMULA)                                   \
    UNARY_FLOAT_FN(lname##_f64, double, F64, FORMULA)                                  \
    UNARY_FN(lname##_i64, int64_t, int64_t, int64_t, ia, ib, INT_FORMULA(x))            \
    const vc_ew_unary_k vc_ewk_##lname = {lname##_f32, lname##_f64, lname##_i64, NULL};

#define NEG(T, F, x) (-(x))
#define NEG_I(x) vc_wrap64(0 - (uint64_t)(x))
UNARY_FLOAT_INT(neg, NEG, NEG_I)

#define ABS(T, F, x) F(fabs)(x)
#define ABS_I(x) ((x) < 0 ? NEG_I(x) : (x))
UNARY_FLOAT_INT(abs, ABS, ABS_I)

/* NaN stays NaN: both comparisons are false and x itself is returned. */
#define SIGN(T, F, x) ((x) > 0 ? (T)1 : (x) < 0 ? (T)-1 : (x))
#define SIGN_I(x) ((int64_t)((x) > 0) - (int64_t)((x) < 0))
UNARY_FLOAT_INT(sign, SIGN, SIGN_I)

/* x < 0 ? 0 : x lets NaN through, as numpy's maximum(x, 0) does. */
#define RELU(T, F, x) ((x) < 0 ? (T)0 : (x))
#define RELU_I(x) ((x) < 0 ? 0 : (x))
UNARY_FLOAT_INT(relu, RELU, RELU_I)

/* Clip: pa = min, pb = max; a NaN input stays NaN; min > max gives max (as numpy). */
#define CLIP(T, F, x) ((x) < pa ? ((pa) > pb ? pb : pa) : (x) > pb ? pb : (x))
#define CLIP_I(x) ((x) < pa ? (pa > pb ? pb : pa) : (x) > pb ? pb : (x))
UNARY_FLOAT_INT(clip, CLIP, CLIP_I)

#define SQRT(T, F, x) F(sqrt)(x)
UNARY_FLOAT(sqrt, SQRT)
#define EXP(T, F, x) F(exp)(x)
UNARY_FLOAT(exp, EXP)
#define LOG(T, F, x) F(log)(x)
UNARY_FLOAT(log, LOG)
#define RECIP(T, F, x) ((T)1 / (x))
UNARY_FLOAT(reciprocal, RECIP)
#define FLOOR(T, F, x) F(floor)(x)
UNARY_FLOAT(floor, FLOOR)
#define CEIL(T, F, x) F(ceil)(x)
UNARY_FLOAT(ceil, CEIL)
#define ROUND(T, F, x) F(rint)(x)
UNARY_FLOAT(round, ROUND)
#define SIN(T, F, x) F(sin)(x)
UNARY_FLOAT(sin, SIN)
#define COS(T, F, x) F(cos)(x)
UNARY_FLOAT(cos, COS)
#define TANH(T, F, x) F(tanh)(x)
UNARY_FLOAT(tanh, TANH)

/* Never exp of a large positive argument, so no inf / inf. */
static inline float sigmoid_f(float x)
{
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}
static inline double sigmoid_(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}
#define SIGMOID(T, F, x) F(sigmoid_)(x)
UNARY_FLOAT(sigmoid, SIGMOID)

#define ERF(T, F, x) F(erf)(x)
UNARY_FLOAT(erf, ERF)

#define GELU(T, F, x) ((T)0.5 * (x) * ((T)1 + F(erf)((x) * (T)0.70710678118654752440)))
UNARY_FLOAT(gelu, GELU)
#define GELU_TANH(T, F, x)                                                             \
    ((T)0.5 * (x) *                                                                    \
     ((T)1 + F(tanh)((T)0.79788456080286535588 * ((x) + (T)0.044715 * (x) * (x) * (x)))))
UNARY_FLOAT(gelu_tanh, GELU_TANH)

/* log(1 + e^x) without overflow: for x > 0 it is x + log1p(e^-x). */
static inline float softplus_f(float x) { return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); }
static inline double softplus_(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
#define SOFTPLUS(T, F, x) F(softplus_)(x)
UNARY_FLOAT(softplus, SOFTPLUS)

#define SOFTSIGN(T, F, x) ((x) / ((T)1 + F(fabs)(x)))
UNARY_FLOAT(softsign, SOFTSIGN)

#define MISH(T, F, x) ((x) * F(tanh)(F(softplus_)(x)))
UNARY_FLOAT(mish, MISH)

#define LEAKY(T, F, x) ((x) < 0 ? pa * (x) : (x))
UNARY_FLOAT(leaky_relu, LEAKY)

#define ELU(T, F, x) ((x) < 0 ? pa * F(expm1)(x) : (x))
UNARY_FLOAT(elu, ELU)

/* pa = alpha, pb = gamma */
#define SELU(T, F, x) ((x) <= 0 ? pb * pa * F(expm1)(x) : pb * (x))
UNARY_FLOAT(selu, SELU)

/* pa = alpha, pb = beta; NaN passes through the clamp. */
#define CLAMP01(T, v) ((v) < 0 ? (T)0 : (v) > 1 ? (T)1 : (v))
#define HARD_SIGMOID(T, F, x) CLAMP01(T, pa * (x) + pb)
UNARY_FLOAT(hard_sigmoid, HARD_SIGMOID)
#define HARD_SWISH(T, F, x) ((x) * CLAMP01(T, (x) * (T)(1.0 / 6.0) + (T)0.5))
UNARY_FLOAT(hard_swish, HARD_SWISH)

/* Float -> bool predicates. */
#define PREDICATE_FN(name, T, F, FORMULA)                                              \
    UNARY_FN(name, T, uint8_t, int64_t, ia, ib, FORMULA(T, F, x))
#define PREDICATE(lname, FORMULA)                                                      \
    PREDICATE_FN(lname##_f32, float, F32, FORMULA)                                     \
    PREDICATE_FN(lname##_f64, double, F64, FORMULA)                                    \
    const vc_ew_unary_k vc_ewk_##lname = {lname##_f32, lname##_f64, NULL, NULL};

#define ISNAN(T, F, x) ((x) != (x))
PREDICATE(isnan, ISNAN)
/* pa = detect_negative, pb = detect_positive */
#define ISINF(T, F, x) ((pa && (x) == -(T)INFINITY) || (pb && (x) == (T)INFINITY))
PREDICATE(isinf, ISINF)

UNARY_FN(not_b8, uint8_t, uint8_t, int64_t, ia, ib, !x)
const vc_ew_unary_k vc_ewk_not = {NULL, NULL, NULL, not_b8};

/* ---- binary ---- */

/* One loop per stride pattern so that each is a plain vectorizable loop. */
#define BINARY_FN(name, T, TO, FORMULA)                                                \
    static inline void name##_t(int64_t n, const T *restrict as, int64_t sa,           \
                                const T *restrict bs, int64_t sb, TO *restrict o)      \
    {                                                                                  \
        if (sa && sb) {                                                                \
            VC_EW_FOR(i, n, T x = as[i]; T y = bs[i]; o[i] = (TO)(FORMULA););           \
        } else if (sa) {                                                               \
            const T y = bs[0];                                                         \
            VC_EW_FOR(i, n, T x = as[i]; o[i] = (TO)(FORMULA););                        \
        } else if (sb) {                                                               \
            const T x = as[0];                                                         \
            VC_EW_FOR(i, n, T y = bs[i]; o[i] = (TO)(FORMULA););                        \
        } else {                                                                       \
            const T x = as[0], y = bs[0];                                              \
            const TO v = (TO)(FORMULA);                                                \
            VC_EW_FOR(i, n, o[i] = v;);                                                \
        }                                                                              \
    }                                                                                  \
    static void name(int64_t n, const void *av, int64_t sa, const void *bv, int64_t sb, \
                     void *ov)                                                         \
    {                                                                                  \
        name##_t(n, av, sa, bv, sb, ov);                                               \
    }

/* FLOAT_FORMULA(F) gets the libm prefix macro; INT_FORMULA works on int64_t x, y. */
#define BINARY_ALL(lname, TO_F32, TO_F64, TO_I64, FLOAT_FORMULA, INT_FORMULA)          \
    BINARY_FN(lname##_f32, float, TO_F32, FLOAT_FORMULA(F32))                          \
    BINARY_FN(lname##_f64, double, TO_F64, FLOAT_FORMULA(F64))                         \
    BINARY_FN(lname##_i64, int64_t, TO_I64, INT_FORMULA)                               \
    const vc_ew_binary_k vc_ewk_##lname = {lname##_f32, lname##_f64, lname##_i64, NULL};

#define ARITH(lname, FLOAT_FORMULA, INT_FORMULA)                                       \
    BINARY_ALL(lname, float, double, int64_t, FLOAT_FORMULA, INT_FORMULA)
#define COMPARE(lname, FORMULA)                                                        \
    BINARY_ALL(lname, uint8_t, uint8_t, uint8_t, FORMULA##_F, FORMULA##_I)

#define ADD_F(F) x + y
ARITH(add, ADD_F, vc_wrap64((uint64_t)x + (uint64_t)y))
#define SUB_F(F) x - y
ARITH(sub, SUB_F, vc_wrap64((uint64_t)x - (uint64_t)y))
#define MUL_F(F) x * y
ARITH(mul, MUL_F, vc_wrap64((uint64_t)x * (uint64_t)y))

static inline int64_t i64_div(int64_t x, int64_t y)
{
    if (y == 0) return 0;
    if (y == -1) return vc_wrap64(0 - (uint64_t)x);
    return x / y;
}
#define DIV_F(F) x / y
ARITH(div, DIV_F, i64_div(x, y))

/* Integer mod with the sign of the divisor (ONNX fmod = 0, Python's %). */
static inline int64_t i64_mod(int64_t x, int64_t y)
{
    if (y == 0 || y == -1) return 0;
    int64_t r = x % y;
    return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
}
static inline int64_t i64_fmod(int64_t x, int64_t y)
{
    return y == 0 || y == -1 ? 0 : x % y;
}
/* Floats only take fmod = 1 (ONNX); infer refuses the other. */
BINARY_FN(mod_i64_, int64_t, int64_t, i64_mod(x, y))
const vc_ew_binary_k vc_ewk_mod = {NULL, NULL, mod_i64_, NULL};
#define FMOD_F(F) F(fmod)(x, y)
ARITH(fmod, FMOD_F, i64_fmod(x, y))

/* NaN-propagating (a NaN in either operand wins). */
#define MIN_F(F) (x < y || x != x ? x : y)
ARITH(min, MIN_F, x < y ? x : y)
#define MAX_F(F) (x > y || x != x ? x : y)
ARITH(max, MAX_F, x > y ? x : y)

#define PRELU_F(F) (x < 0 ? x * y : x)
ARITH(prelu, PRELU_F, x < 0 ? vc_wrap64((uint64_t)x * (uint64_t)y) : x)

/* Exponentiation by squaring in uint64: wraps like repeated multiplication. */
static inline int64_t i64_pow(int64_t x, int64_t y)
{
    if (y < 0) {
        if (x == 1) return 1;
        if (x == -1) return (y & 1) ? -1 : 1;
        return 0;
    }
    uint64_t r = 1, b = (uint64_t)x;
    for (uint64_t e = (uint64_t)y; e; e >>= 1) {
        if (e & 1) r *= b;
        b *= b;
    }
    return vc_wrap64(r);
}
/* Squaring is the common case (x^2 in norms); x * x is what pow rounds to anyway. */
#define POW_F(F) (y == 2 ? x * x : F(pow)(x, y))
ARITH(pow, POW_F, i64_pow(x, y))

/* Integer base, float exponent: a = i64, b = f64; the result is truncated toward zero
 * and saturated like Cast. */
static inline int64_t pow_if(int64_t x, double y)
{
    double r = pow((double)x, y);
    if (r != r) return 0;
    if (r >= 9223372036854775808.0) return INT64_MAX;
    if (r <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)r;
}
static void pow_if_i64(int64_t n, const void *av, int64_t sa, const void *bv, int64_t sb,
                       void *ov)
{
    const int64_t *a = av;
    const double *b = bv;
    int64_t *o = ov;
    for (int64_t i = 0; i < n; i++) o[i] = pow_if(a[i * sa], b[i * sb]);
}
const vc_ew_binary_k vc_ewk_pow_if = {NULL, NULL, pow_if_i64, NULL};

#define EQ_F(F) x == y
#define EQ_I x == y
COMPARE(equal, EQ)
#define LT_F(F) x < y
#define LT_I x < y
COMPARE(less, LT)
#define GT_F(F) x > y
#define GT_I x > y
COMPARE(greater, GT)
#define LE_F(F) x <= y
#define LE_I x <= y
COMPARE(less_equal, LE)
#define GE_F(F) x >= y
#define GE_I x >= y
COMPARE(greater_equal, GE)

#define LOGIC(lname, FORMULA)                                                          \
    BINARY_FN(lname##_b8, uint8_t, uint8_t, FORMULA)                                   \
    const vc_ew_binary_k vc_ewk_##lname = {NULL, NULL, NULL, lname##_b8};
LOGIC(and, x & y)
LOGIC(or, x | y)
LOGIC(xor, x ^ y)

/* BitShift on unsigned values held in i64 (u8..u32, so never negative). */
BINARY_FN(shl_i64, int64_t, int64_t,
          y < 0 || y >= 64 ? 0 : vc_wrap64((uint64_t)x << (uint64_t)y))
BINARY_FN(shr_i64, int64_t, int64_t, y < 0 || y >= 64 ? 0 : x >> y)
const vc_ew_binary_k vc_ewk_shl = {NULL, NULL, shl_i64, NULL};
const vc_ew_binary_k vc_ewk_shr = {NULL, NULL, shr_i64, NULL};
