/* Typed kernels of the elementwise reference ops: per op family, one function per compute
 * dtype (f32, f64, i64, bool) whose switch holds one plain loop per op.
 *
 * Each loop steps over blocks of 8 (VC_EW_BLOCK) with a constant-length inner loop,
 * which gcc -O2 vectorizes fully (no scalar epilogue, which its cost model refuses) with
 * two vectors per block; restrict on the parameters tells it the arrays do not overlap.
 * vc_ew_unary_k / vc_ew_binary_k run the kernels on whole blocks, then finish a row by
 * computing its last full block again (elementwise, so the overlap rewrites the same
 * values) or, for a row shorter than a block, in zero-padded copies. Integer kernels
 * compute in i64 with wrap-around (through uint64, so overflow is never UB). Defined
 * results where C or ONNX leave a gap:
 *   integer x / 0 = 0, x % 0 = 0, INT_MIN / -1 = INT_MIN (wraps), INT_MIN % -1 = 0;
 *   integer pow with a negative exponent: 1 for base 1, +-1 for base -1, else 0
 *   (the truncated value of 1 / base^k, and 0 for base 0 rather than a division by 0);
 *   shifts by >= 64 give 0;
 *   Min / Max propagate NaN (as numpy's minimum / maximum);
 *   Round is half to even (rint under the default rounding mode, which voce never
 *   changes). */
#include <math.h>
#include <string.h>

/* No multiply-add fusing anywhere in this file (gcc does not fuse in ISO C mode; clang
 * would within an expression wherever the target has FMA): the AVX-512 copies of the
 * transcendental kernels below must give the baseline's bits. */
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#include "elementwise_impl.h"
#include "fastmath.h"
#include "../cpu/cpu.h"

_Static_assert(VC_EW_BLOCK == 8, "the kernels' loops step by 8");

#define FLOATS (VC_DT(VOCE_DTYPE_F32) | VC_DT(VOCE_DTYPE_F64))
#define NUMBERS (FLOATS | VC_DT(VOCE_DTYPE_I64))

unsigned vc_ew_unary_types(vc_ew_uop op)
{
    switch (op) {
    case VC_EW_NEG: case VC_EW_ABS: case VC_EW_SIGN: case VC_EW_RELU: case VC_EW_CLIP:
        return NUMBERS;
    case VC_EW_NOT: return VC_DT_BOOL;
    default: return FLOATS;
    }
}

unsigned vc_ew_binary_types(vc_ew_bop op)
{
    switch (op) {
    case VC_EW_MOD: case VC_EW_SHL: case VC_EW_SHR: case VC_EW_POW_IF:
        return VC_DT(VOCE_DTYPE_I64);
    case VC_EW_AND: case VC_EW_OR: case VC_EW_XOR: return VC_DT_BOOL;
    default: return NUMBERS;
    }
}

/* ---- scalar helpers ---- */

/* Never exp of a large positive argument, so no inf / inf. (f32 Sigmoid, Tanh, Erf and
 * Gelu use fastmath.h: branch-free, so their loops vectorize.) */
static inline double sigmoid_f64(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* log(1 + e^x) without overflow: for x > 0 it is x + log1p(e^-x). */
VC_FM_INLINE float softplus_f32(float x)
{
    return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

static inline double softplus_f64(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

VC_FM_INLINE float gelu_f32(float x)
{
    return 0.5f * x * (1.0f + erf_fast(x * 0.70710678118654752440f));
}

static inline double gelu_f64(double x)
{
    return 0.5 * x * (1.0 + erf(x * 0.70710678118654752440));
}

VC_FM_INLINE float gelu_tanh_f32(float x)
{
    return 0.5f * x * (1.0f + tanh_fast(0.79788456080286535588f * (x + 0.044715f * x * x * x)));
}

static inline double gelu_tanh_f64(double x)
{
    return 0.5 * x * (1.0 + tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
}

/* NaN passes through the clamp (both comparisons are false). */
VC_FM_INLINE float clamp01_f32(float v) { return v < 0 ? 0.0f : v > 1 ? 1.0f : v; }
static inline double clamp01_f64(double v) { return v < 0 ? 0.0 : v > 1 ? 1.0 : v; }

static inline int64_t neg_i64(int64_t x) { return vc_wrap64(0 - (uint64_t)x); }

/* ---- unary ---- */

/* Notes that hold for both float widths: Sign and Relu let NaN through (x itself is
 * returned when every comparison is false, as numpy's sign and maximum(x, 0)); Clip
 * (a = min, b = max) keeps NaN and gives max when min > max (as numpy); Selu has
 * a = alpha, b = gamma; HardSigmoid a = alpha, b = beta. */
static inline __attribute__((always_inline)) void
unary_f32_body(vc_ew_uop op, int64_t n, const float *restrict x, float *restrict o, const vc_ew_params *p)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    const float a = (float)p->a, b = (float)p->b, lo = a > b ? b : a;
    switch (op) {
    case VC_EW_NEG:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = -x[j];
        break;
    case VC_EW_ABS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = fabsf(x[j]);
        break;
    case VC_EW_SIGN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] > 0 ? 1.0f : x[j] < 0 ? -1.0f : x[j];
        break;
    case VC_EW_RELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] < 0 ? 0.0f : x[j];
        break;
    case VC_EW_CLIP:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] < a ? lo : x[j] > b ? b : x[j];
        break;
    case VC_EW_SQRT:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = sqrtf(x[j]);
        break;
    case VC_EW_EXP:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = expf(x[j]);
        break;
    case VC_EW_LOG:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = logf(x[j]);
        break;
    case VC_EW_RECIPROCAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = 1.0f / x[j];
        break;
    case VC_EW_FLOOR:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = floorf(x[j]);
        break;
    case VC_EW_CEIL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = ceilf(x[j]);
        break;
    case VC_EW_ROUND:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = rintf(x[j]);
        break;
    case VC_EW_SIN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = sinf(x[j]);
        break;
    case VC_EW_COS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = cosf(x[j]);
        break;
    case VC_EW_TANH:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = tanh_fast(x[j]);
        break;
    case VC_EW_SIGMOID:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = sigmoid_fast(x[j]);
        break;
    case VC_EW_ERF:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = erf_fast(x[j]);
        break;
    case VC_EW_GELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = gelu_f32(x[j]);
        break;
    case VC_EW_GELU_TANH:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = gelu_tanh_f32(x[j]);
        break;
    case VC_EW_SOFTPLUS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = softplus_f32(x[j]);
        break;
    case VC_EW_SOFTSIGN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] / (1.0f + fabsf(x[j]));
        break;
    case VC_EW_MISH:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] * tanhf(softplus_f32(x[j]));
        break;
    case VC_EW_LEAKY_RELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] < 0 ? a * x[j] : x[j];
        break;
    case VC_EW_ELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] < 0 ? a * expm1f(x[j]) : x[j];
        break;
    case VC_EW_SELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] <= 0 ? b * a * expm1f(x[j]) : b * x[j];
        break;
    case VC_EW_HARD_SIGMOID:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = clamp01_f32(a * x[j] + b);
        break;
    case VC_EW_HARD_SWISH:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] * clamp01_f32(x[j] * (float)(1.0 / 6.0) + 0.5f);
        break;
    default: break;
    }
}

/* The f32 kernels run 8 lanes wide where the CPU has AVX2: the same code compiled twice,
 * once for the baseline (SSE2, 4 lanes) and once for AVX2 without FMA, so that every
 * result is the same bit for bit whichever runs (no multiply-add is fused). The
 * transcendental ones (GELU, SiLU, tanh, exp in softmax) are where whole models spend
 * time outside the matrix products. VOCE_ISA=c selects the baseline. */
static void unary_f32_base(vc_ew_uop op, int64_t n, const float *restrict x, float *restrict o,
                           const vc_ew_params *p)
{
    unary_f32_body(op, n, x, o, p);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void unary_f32_avx2(vc_ew_uop op, int64_t n, const float *restrict x,
                                                           float *restrict o, const vc_ew_params *p)
{
    unary_f32_body(op, n, x, o, p);
}

/* The polynomial-heavy f32 kernels once more for AVX-512F, 16 lanes (the loops above, 8
 * wide, would use only half of its vectors): same expressions, no fused multiply-adds,
 * so the same bits again. Returns how many leading elements it did (a multiple of 16; 0
 * for other ops), the AVX2 build does the rest. GELU after the encoder's wide linear
 * layers is the case that matters. */
#define LOOP16(expr)                                                                       \
    for (j = 0; j < m; j++) o[j] = expr;
__attribute__((target("avx512f"))) static int64_t transc_f32_avx512(vc_ew_uop op, int64_t n,
                                                                   const float *restrict x,
                                                                   float *restrict o)
{
    /* one loop of a length the vectorizer can see is a multiple of 16 */
    int64_t m = n & ~(int64_t)15, j;
    switch (op) {
    case VC_EW_TANH: LOOP16(tanh_fast(x[j])) break;
    case VC_EW_SIGMOID: LOOP16(sigmoid_fast(x[j])) break;
    case VC_EW_ERF: LOOP16(erf_fast(x[j])) break;
    case VC_EW_GELU: LOOP16(gelu_f32(x[j])) break;
    case VC_EW_GELU_TANH: LOOP16(gelu_tanh_f32(x[j])) break;
    default: return 0;
    }
    return m;
}
#undef LOOP16
#endif

void vc_ew_unary_f32_isa(vc_isa isa, vc_ew_uop op, int64_t n, const float *x, float *o, const vc_ew_params *p)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (isa >= VC_ISA_AVX512) {
        int64_t done = transc_f32_avx512(op, n, x, o);
        x += done, o += done, n -= done;
    }
    if (isa >= VC_ISA_AVX2) {
        unary_f32_avx2(op, n, x, o, p);
        return;
    }
#endif
    unary_f32_base(op, n, x, o, p);
}

static void unary_f32(vc_ew_uop op, int64_t n, const float *restrict x, float *restrict o, const vc_ew_params *p)
{
    vc_ew_unary_f32_isa(vc_isa_active(), op, n, x, o, p);
}

static void unary_f64(vc_ew_uop op, int64_t n, const double *restrict x, double *restrict o,
                      const vc_ew_params *p)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    const double a = p->a, b = p->b, lo = a > b ? b : a;
    switch (op) {
    case VC_EW_NEG:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = -x[j];
        break;
    case VC_EW_ABS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = fabs(x[j]);
        break;
    case VC_EW_SIGN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] > 0 ? 1.0 : x[j] < 0 ? -1.0 : x[j];
        break;
    case VC_EW_RELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] < 0 ? 0.0 : x[j];
        break;
    case VC_EW_CLIP:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] < a ? lo : x[j] > b ? b : x[j];
        break;
    case VC_EW_SQRT:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = sqrt(x[j]);
        break;
    case VC_EW_EXP:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = exp(x[j]);
        break;
    case VC_EW_LOG:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = log(x[j]);
        break;
    case VC_EW_RECIPROCAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = 1.0 / x[j];
        break;
    case VC_EW_FLOOR:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = floor(x[j]);
        break;
    case VC_EW_CEIL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = ceil(x[j]);
        break;
    case VC_EW_ROUND:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = rint(x[j]);
        break;
    case VC_EW_SIN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = sin(x[j]);
        break;
    case VC_EW_COS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = cos(x[j]);
        break;
    case VC_EW_TANH:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = tanh(x[j]);
        break;
    case VC_EW_SIGMOID:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = sigmoid_f64(x[j]);
        break;
    case VC_EW_ERF:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = erf(x[j]);
        break;
    case VC_EW_GELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = gelu_f64(x[j]);
        break;
    case VC_EW_GELU_TANH:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = gelu_tanh_f64(x[j]);
        break;
    case VC_EW_SOFTPLUS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = softplus_f64(x[j]);
        break;
    case VC_EW_SOFTSIGN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] / (1.0 + fabs(x[j]));
        break;
    case VC_EW_MISH:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] * tanh(softplus_f64(x[j]));
        break;
    case VC_EW_LEAKY_RELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] < 0 ? a * x[j] : x[j];
        break;
    case VC_EW_ELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] < 0 ? a * expm1(x[j]) : x[j];
        break;
    case VC_EW_SELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] <= 0 ? b * a * expm1(x[j]) : b * x[j];
        break;
    case VC_EW_HARD_SIGMOID:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = clamp01_f64(a * x[j] + b);
        break;
    case VC_EW_HARD_SWISH:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] * clamp01_f64(x[j] * (1.0 / 6.0) + 0.5);
        break;
    default: break;
    }
}

/* IsNaN, and IsInf with ia = detect_negative, ib = detect_positive. */
static void test_f32(vc_ew_uop op, int64_t n, const float *restrict x, uint8_t *restrict o,
                     const vc_ew_params *p)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    const int64_t neg = p->ia, pos = p->ib;
    if (op == VC_EW_ISNAN) {
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] != x[j];
    } else {
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = (neg && x[j] == -INFINITY) || (pos && x[j] == INFINITY);
    }
}

static void test_f64(vc_ew_uop op, int64_t n, const double *restrict x, uint8_t *restrict o,
                     const vc_ew_params *p)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    const int64_t neg = p->ia, pos = p->ib;
    if (op == VC_EW_ISNAN) {
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] != x[j];
    } else {
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = (neg && x[j] == -(double)INFINITY) || (pos && x[j] == (double)INFINITY);
    }
}

/* Clip: ia = min, ib = max. */
static void unary_i64(vc_ew_uop op, int64_t n, const int64_t *restrict x, int64_t *restrict o,
                      const vc_ew_params *p)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    const int64_t a = p->ia, b = p->ib, lo = a > b ? b : a;
    switch (op) {
    case VC_EW_NEG:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = neg_i64(x[j]);
        break;
    case VC_EW_ABS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] < 0 ? neg_i64(x[j]) : x[j];
        break;
    case VC_EW_SIGN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = (int64_t)(x[j] > 0) - (int64_t)(x[j] < 0);
        break;
    case VC_EW_RELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] < 0 ? 0 : x[j];
        break;
    case VC_EW_CLIP:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = x[j] < a ? lo : x[j] > b ? b : x[j];
        break;
    default: break;
    }
}

static void unary_b8(vc_ew_uop op, int64_t n, const uint8_t *restrict x, uint8_t *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    if (op == VC_EW_NOT)
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = !x[j];
}

/* The kernel for the plan's compute dtypes, on the whole blocks of n. */
static void unary_blocks(const vc_ew_unary_plan *p, int64_t n, const void *x, void *o)
{
    int test = p->co == VOCE_DTYPE_BOOL && p->cx != VOCE_DTYPE_BOOL;
    switch (p->cx) {
    case VOCE_DTYPE_F32:
        if (test) test_f32(p->op, n, x, o, &p->prm);
        else unary_f32(p->op, n, x, o, &p->prm);
        break;
    case VOCE_DTYPE_F64:
        if (test) test_f64(p->op, n, x, o, &p->prm);
        else unary_f64(p->op, n, x, o, &p->prm);
        break;
    case VOCE_DTYPE_I64: unary_i64(p->op, n, x, o, &p->prm); break;
    case VOCE_DTYPE_BOOL: unary_b8(p->op, n, x, o); break;
    default: break;
    }
}

/* One block of any compute dtype, aligned for double / int64. */
typedef union block_buf {
    double d[VC_EW_BLOCK];
    int64_t i[VC_EW_BLOCK];
} block_buf;

void vc_ew_unary_k(const vc_ew_unary_plan *p, int64_t n, const void *x, void *o)
{
    unary_blocks(p, n, x, o);
    if (n % VC_EW_BLOCK == 0) return;
    size_t sx = voce_dtype_size(p->cx), so = voce_dtype_size(p->co);
    if (n > VC_EW_BLOCK) {
        size_t last = (size_t)(n - VC_EW_BLOCK);
        unary_blocks(p, VC_EW_BLOCK, (const char *)x + last * sx, (char *)o + last * so);
        return;
    }
    block_buf bx, bo;
    memset(&bx, 0, sizeof bx); /* every kernel is defined on 0 */
    memcpy(bx.d, x, (size_t)n * sx);
    unary_blocks(p, VC_EW_BLOCK, bx.d, bo.d);
    memcpy(o, bo.d, (size_t)n * so);
}

/* ---- binary ---- */

/* Squaring is the common Pow (x^2 in norms); x * x is what pow rounds to anyway. Min and
 * Max let a NaN in either operand win. */
static void binary_f32(vc_ew_bop op, int64_t n, const float *restrict a, const float *restrict b,
                       float *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_ADD:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] + b[j];
        break;
    case VC_EW_SUB:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] - b[j];
        break;
    case VC_EW_MUL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] * b[j];
        break;
    case VC_EW_DIV:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] / b[j];
        break;
    case VC_EW_POW:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = b[j] == 2 ? a[j] * a[j] : powf(a[j], b[j]);
        break;
    case VC_EW_FMOD:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = fmodf(a[j], b[j]);
        break;
    case VC_EW_MIN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] < b[j] || a[j] != a[j] ? a[j] : b[j];
        break;
    case VC_EW_MAX:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] > b[j] || a[j] != a[j] ? a[j] : b[j];
        break;
    case VC_EW_PRELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] < 0 ? a[j] * b[j] : a[j];
        break;
    default: break;
    }
}

static void binary_f64(vc_ew_bop op, int64_t n, const double *restrict a,
                       const double *restrict b, double *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_ADD:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] + b[j];
        break;
    case VC_EW_SUB:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] - b[j];
        break;
    case VC_EW_MUL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] * b[j];
        break;
    case VC_EW_DIV:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] / b[j];
        break;
    case VC_EW_POW:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = b[j] == 2 ? a[j] * a[j] : pow(a[j], b[j]);
        break;
    case VC_EW_FMOD:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = fmod(a[j], b[j]);
        break;
    case VC_EW_MIN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] < b[j] || a[j] != a[j] ? a[j] : b[j];
        break;
    case VC_EW_MAX:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] > b[j] || a[j] != a[j] ? a[j] : b[j];
        break;
    case VC_EW_PRELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] < 0 ? a[j] * b[j] : a[j];
        break;
    default: break;
    }
}

static void compare_f32(vc_ew_bop op, int64_t n, const float *restrict a,
                        const float *restrict b, uint8_t *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] == b[j];
        break;
    case VC_EW_LESS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] < b[j];
        break;
    case VC_EW_GREATER:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] > b[j];
        break;
    case VC_EW_LESS_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] <= b[j];
        break;
    case VC_EW_GREATER_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] >= b[j];
        break;
    default: break;
    }
}

static void compare_f64(vc_ew_bop op, int64_t n, const double *restrict a,
                        const double *restrict b, uint8_t *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] == b[j];
        break;
    case VC_EW_LESS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] < b[j];
        break;
    case VC_EW_GREATER:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] > b[j];
        break;
    case VC_EW_LESS_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] <= b[j];
        break;
    case VC_EW_GREATER_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] >= b[j];
        break;
    default: break;
    }
}

static void compare_i64(vc_ew_bop op, int64_t n, const int64_t *restrict a,
                        const int64_t *restrict b, uint8_t *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] == b[j];
        break;
    case VC_EW_LESS:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] < b[j];
        break;
    case VC_EW_GREATER:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] > b[j];
        break;
    case VC_EW_LESS_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] <= b[j];
        break;
    case VC_EW_GREATER_EQUAL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] >= b[j];
        break;
    default: break;
    }
}

static inline int64_t add_i64(int64_t x, int64_t y) { return vc_wrap64((uint64_t)x + (uint64_t)y); }
static inline int64_t sub_i64(int64_t x, int64_t y) { return vc_wrap64((uint64_t)x - (uint64_t)y); }
static inline int64_t mul_i64(int64_t x, int64_t y) { return vc_wrap64((uint64_t)x * (uint64_t)y); }

static inline int64_t div_i64(int64_t x, int64_t y)
{
    if (y == 0) return 0;
    if (y == -1) return neg_i64(x);
    return x / y;
}

/* Integer mod with the sign of the divisor (ONNX fmod = 0, Python's %). */
static inline int64_t mod_i64(int64_t x, int64_t y)
{
    if (y == 0 || y == -1) return 0;
    int64_t r = x % y;
    return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
}

static inline int64_t fmod_i64(int64_t x, int64_t y)
{
    return y == 0 || y == -1 ? 0 : x % y;
}

/* Exponentiation by squaring in uint64: wraps like repeated multiplication. */
static inline int64_t pow_i64(int64_t x, int64_t y)
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

/* BitShift works on unsigned values held in i64 (u8..u32, so never negative). */
static inline int64_t shl_i64(int64_t x, int64_t y)
{
    return y < 0 || y >= 64 ? 0 : vc_wrap64((uint64_t)x << (uint64_t)y);
}

static inline int64_t shr_i64(int64_t x, int64_t y) { return y < 0 || y >= 64 ? 0 : x >> y; }

static void binary_i64(vc_ew_bop op, int64_t n, const int64_t *restrict a,
                       const int64_t *restrict b, int64_t *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_ADD:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = add_i64(a[j], b[j]);
        break;
    case VC_EW_SUB:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = sub_i64(a[j], b[j]);
        break;
    case VC_EW_MUL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = mul_i64(a[j], b[j]);
        break;
    case VC_EW_DIV:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = div_i64(a[j], b[j]);
        break;
    case VC_EW_POW:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = pow_i64(a[j], b[j]);
        break;
    case VC_EW_FMOD:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = fmod_i64(a[j], b[j]);
        break;
    case VC_EW_MOD:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = mod_i64(a[j], b[j]);
        break;
    case VC_EW_MIN:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] < b[j] ? a[j] : b[j];
        break;
    case VC_EW_MAX:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] > b[j] ? a[j] : b[j];
        break;
    case VC_EW_PRELU:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o[j] = a[j] < 0 ? mul_i64(a[j], b[j]) : a[j];
        break;
    case VC_EW_SHL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = shl_i64(a[j], b[j]);
        break;
    case VC_EW_SHR:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = shr_i64(a[j], b[j]);
        break;
    default: break;
    }
}

/* Integer base, float exponent: the result is truncated toward zero and saturated like
 * Cast. */
static void pow_if(int64_t n, const int64_t *restrict a, const double *restrict b,
                   int64_t *restrict o)
{
    for (int64_t i = 0; i < n; i++) {
        double r = pow((double)a[i], b[i]);
        if (r != r) o[i] = 0;
        else if (r >= 9223372036854775808.0) o[i] = INT64_MAX;
        else if (r <= -9223372036854775808.0) o[i] = INT64_MIN;
        else o[i] = (int64_t)r;
    }
}

static void binary_b8(vc_ew_bop op, int64_t n, const uint8_t *restrict a,
                      const uint8_t *restrict b, uint8_t *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_AND:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] & b[j];
        break;
    case VC_EW_OR:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] | b[j];
        break;
    case VC_EW_XOR:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = a[j] ^ b[j];
        break;
    default: break;
    }
}

/* f32 Add, Sub, Mul, Div of x and a broadcast scalar s kept in a register: o = x op s. */
static void scalar_f32(vc_ew_bop op, int64_t n, const float *restrict x, float s,
                       float *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_ADD: for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] + s; break;
    case VC_EW_SUB: for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] - s; break;
    case VC_EW_MUL: for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] * s; break;
    case VC_EW_DIV: for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = x[j] / s; break;
    default: break;
    }
}

/* The same with the scalar on the left: o = s op x. */
static void scalar_first_f32(vc_ew_bop op, int64_t n, float s, const float *restrict x,
                             float *restrict o)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    switch (op) {
    case VC_EW_ADD: for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = s + x[j]; break;
    case VC_EW_SUB: for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = s - x[j]; break;
    case VC_EW_MUL: for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = s * x[j]; break;
    case VC_EW_DIV: for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = s / x[j]; break;
    default: break;
    }
}

/* The kernel for the plan's compute dtypes, on the whole blocks of n. */
static void binary_blocks(const vc_ew_binary_plan *p, int64_t n, const void *a, const void *b,
                          void *o)
{
    int cmp = p->co == VOCE_DTYPE_BOOL && p->ca != VOCE_DTYPE_BOOL;
    switch (p->ca) {
    case VOCE_DTYPE_F32:
        if (cmp) compare_f32(p->op, n, a, b, o);
        else binary_f32(p->op, n, a, b, o);
        break;
    case VOCE_DTYPE_F64:
        if (cmp) compare_f64(p->op, n, a, b, o);
        else binary_f64(p->op, n, a, b, o);
        break;
    case VOCE_DTYPE_I64:
        if (p->op == VC_EW_POW_IF) pow_if(n, a, b, o);
        else if (cmp) compare_i64(p->op, n, a, b, o);
        else binary_i64(p->op, n, a, b, o);
        break;
    case VOCE_DTYPE_BOOL: binary_b8(p->op, n, a, b, o); break;
    default: break;
    }
}

void vc_ew_binary_k(const vc_ew_binary_plan *p, int64_t n, const void *a, const void *b,
                    void *o)
{
    binary_blocks(p, n, a, b, o);
    if (n % VC_EW_BLOCK == 0) return;
    size_t sa = voce_dtype_size(p->ca), sb = voce_dtype_size(p->cb);
    size_t so = voce_dtype_size(p->co);
    if (n > VC_EW_BLOCK) {
        size_t last = (size_t)(n - VC_EW_BLOCK);
        binary_blocks(p, VC_EW_BLOCK, (const char *)a + last * sa, (const char *)b + last * sb,
                      (char *)o + last * so);
        return;
    }
    block_buf ba, bb, bo;
    memset(&ba, 0, sizeof ba); /* every kernel is defined on 0 */
    memset(&bb, 0, sizeof bb);
    memcpy(ba.d, a, (size_t)n * sa);
    memcpy(bb.d, b, (size_t)n * sb);
    binary_blocks(p, VC_EW_BLOCK, ba.d, bb.d, bo.d);
    memcpy(o, bo.d, (size_t)n * so);
}

int vc_ew_scalar_k(const vc_ew_binary_plan *p, int64_t n, const void *a, int64_t sa,
                   const void *b, void *o)
{
    int hot = p->op == VC_EW_ADD || p->op == VC_EW_SUB || p->op == VC_EW_MUL ||
              p->op == VC_EW_DIV;
    if (!hot || p->ca != VOCE_DTYPE_F32 || p->co != VOCE_DTYPE_F32 || n < VC_EW_BLOCK) return 0;
    int64_t last = n - VC_EW_BLOCK; /* a partial block: its last full block again */
    const float *fa = a, *fb = b;
    float *fo = o;
    if (sa) {
        scalar_f32(p->op, n, fa, fb[0], fo);
        if (n % VC_EW_BLOCK) scalar_f32(p->op, VC_EW_BLOCK, fa + last, fb[0], fo + last);
    } else {
        scalar_first_f32(p->op, n, fa[0], fb, fo);
        if (n % VC_EW_BLOCK) scalar_first_f32(p->op, VC_EW_BLOCK, fa[0], fb + last, fo + last);
    }
    return 1;
}
