/* Typed accumulation kernels of Reduce*: per compute dtype (f32 and f64 inputs into f64
 * accumulators, i64 into i64) one function for a reduced contiguous run and one for a
 * kept contiguous row, each a switch with one plain loop per accumulation.
 *
 * Loops step over blocks of 8 with a constant-length inner loop, which gcc -O2
 * vectorizes (see elementwise_impl.h); a run keeps 8 partial accumulators, so its sum
 * order is: element i into partial i % 8 for whole blocks, the tail into partial 0, then
 * the previous value and the partials 0..7 in turn. Integers wrap (through uint64).
 * Max / Min keep NaN. exp for LogSumExp is not vectorized (no vector exp at -O2). */
#include <math.h>

#include "reduce_impl.h"

static inline double max_f(double a, double b) { return a >= b || a != a ? a : b; }
static inline double min_f(double a, double b) { return a <= b || a != a ? a : b; }
static inline int64_t add_i(int64_t a, int64_t b) { return vc_wrap64((uint64_t)a + (uint64_t)b); }
static inline int64_t mul_i(int64_t a, int64_t b) { return vc_wrap64((uint64_t)a * (uint64_t)b); }
static inline int64_t abs_i(int64_t v) { return v < 0 ? vc_wrap64(0 - (uint64_t)v) : v; }

/* acc combined with one element v: the scalar form of the loops below. */
static double step_f(int op, double acc, double v)
{
    switch (op) {
    case VC_ACC_SUM: return acc + v;
    case VC_ACC_SUMSQ: return acc + v * v;
    case VC_ACC_L1: return acc + fabs(v);
    case VC_ACC_MAX: return max_f(acc, v);
    case VC_ACC_MIN: return min_f(acc, v);
    default: return acc * v;
    }
}

static int64_t step_i(int op, int64_t acc, int64_t v)
{
    switch (op) {
    case VC_ACC_SUM: return add_i(acc, v);
    case VC_ACC_SUMSQ: return add_i(acc, mul_i(v, v));
    case VC_ACC_L1: return add_i(acc, abs_i(v));
    case VC_ACC_MAX: return v > acc ? v : acc;
    case VC_ACC_MIN: return v < acc ? v : acc;
    default: return mul_i(acc, v);
    }
}

/* Start value of the partial accumulators; combining a partial into the total must be
 * the op's combine (step without the map), hence plain sums for SUMSQ and L1. */
static double init_f(int op)
{
    return op == VC_ACC_PROD ? 1.0 : op == VC_ACC_MAX ? -INFINITY
         : op == VC_ACC_MIN ? INFINITY : 0.0;
}

static int64_t init_i(int op)
{
    return op == VC_ACC_PROD ? 1 : op == VC_ACC_MAX ? INT64_MIN : op == VC_ACC_MIN ? INT64_MAX : 0;
}

static void fold_f(int op, const double *p, double *acc)
{
    int comb = op == VC_ACC_SUMSQ || op == VC_ACC_L1 ? VC_ACC_SUM : op;
    double r = acc[0];
    for (int j = 0; j < 8; j++) r = step_f(comb, r, p[j]);
    acc[0] = r;
}

static void run_f32(int op, int64_t n, const float *restrict x, double *restrict acc)
{
    double p[8];
    int64_t nb = n - n % 8;
    for (int j = 0; j < 8; j++) p[j] = init_f(op);
    switch (op) {
    case VC_ACC_SUM:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] += (double)x[i + j];
        break;
    case VC_ACC_SUMSQ:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] += (double)x[i + j] * (double)x[i + j];
        break;
    case VC_ACC_L1:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] += fabs((double)x[i + j]);
        break;
    case VC_ACC_MAX:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = max_f(p[j], (double)x[i + j]);
        break;
    case VC_ACC_MIN:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = min_f(p[j], (double)x[i + j]);
        break;
    default:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] *= (double)x[i + j];
        break;
    }
    for (int64_t i = nb; i < n; i++) p[0] = step_f(op, p[0], x[i]);
    fold_f(op, p, acc);
}

static void run_f64(int op, int64_t n, const double *restrict x, double *restrict acc)
{
    double p[8];
    int64_t nb = n - n % 8;
    for (int j = 0; j < 8; j++) p[j] = init_f(op);
    switch (op) {
    case VC_ACC_SUM:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] += x[i + j];
        break;
    case VC_ACC_SUMSQ:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] += x[i + j] * x[i + j];
        break;
    case VC_ACC_L1:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] += fabs(x[i + j]);
        break;
    case VC_ACC_MAX:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = max_f(p[j], x[i + j]);
        break;
    case VC_ACC_MIN:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = min_f(p[j], x[i + j]);
        break;
    default:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] *= x[i + j];
        break;
    }
    for (int64_t i = nb; i < n; i++) p[0] = step_f(op, p[0], x[i]);
    fold_f(op, p, acc);
}

static void run_i64(int op, int64_t n, const int64_t *restrict x, int64_t *restrict acc)
{
    int64_t p[8];
    int64_t nb = n - n % 8;
    for (int j = 0; j < 8; j++) p[j] = init_i(op);
    switch (op) {
    case VC_ACC_SUM:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = add_i(p[j], x[i + j]);
        break;
    case VC_ACC_SUMSQ:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = add_i(p[j], mul_i(x[i + j], x[i + j]));
        break;
    case VC_ACC_L1:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = add_i(p[j], abs_i(x[i + j]));
        break;
    case VC_ACC_MAX:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = x[i + j] > p[j] ? x[i + j] : p[j];
        break;
    case VC_ACC_MIN:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = x[i + j] < p[j] ? x[i + j] : p[j];
        break;
    default:
        for (int64_t i = 0; i < nb; i += 8)
            for (int j = 0; j < 8; j++) p[j] = mul_i(p[j], x[i + j]);
        break;
    }
    for (int64_t i = nb; i < n; i++) p[0] = step_i(op, p[0], x[i]);
    int comb = op == VC_ACC_SUMSQ || op == VC_ACC_L1 ? VC_ACC_SUM : op;
    int64_t r = acc[0];
    for (int j = 0; j < 8; j++) r = step_i(comb, r, p[j]);
    acc[0] = r;
}

static void row_f32(int op, int64_t n, const float *restrict x, double *restrict acc)
{
    int64_t nb = n - n % 8;
    switch (op) {
    case VC_ACC_SUM:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] += (double)x[j];
        break;
    case VC_ACC_SUMSQ:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] += (double)x[j] * (double)x[j];
        break;
    case VC_ACC_L1:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] += fabs((double)x[j]);
        break;
    case VC_ACC_MAX:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = max_f(acc[j], (double)x[j]);
        break;
    case VC_ACC_MIN:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = min_f(acc[j], (double)x[j]);
        break;
    default:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] *= (double)x[j];
        break;
    }
    for (int64_t i = nb; i < n; i++) acc[i] = step_f(op, acc[i], x[i]);
}

static void row_f64(int op, int64_t n, const double *restrict x, double *restrict acc)
{
    int64_t nb = n - n % 8;
    switch (op) {
    case VC_ACC_SUM:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] += x[j];
        break;
    case VC_ACC_SUMSQ:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] += x[j] * x[j];
        break;
    case VC_ACC_L1:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] += fabs(x[j]);
        break;
    case VC_ACC_MAX:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = max_f(acc[j], x[j]);
        break;
    case VC_ACC_MIN:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = min_f(acc[j], x[j]);
        break;
    default:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] *= x[j];
        break;
    }
    for (int64_t i = nb; i < n; i++) acc[i] = step_f(op, acc[i], x[i]);
}

static void row_i64(int op, int64_t n, const int64_t *restrict x, int64_t *restrict acc)
{
    int64_t nb = n - n % 8;
    switch (op) {
    case VC_ACC_SUM:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = add_i(acc[j], x[j]);
        break;
    case VC_ACC_SUMSQ:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = add_i(acc[j], mul_i(x[j], x[j]));
        break;
    case VC_ACC_L1:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = add_i(acc[j], abs_i(x[j]));
        break;
    case VC_ACC_MAX:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = x[j] > acc[j] ? x[j] : acc[j];
        break;
    case VC_ACC_MIN:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = x[j] < acc[j] ? x[j] : acc[j];
        break;
    default:
        for (int64_t i = 0; i < nb; i += 8)
            for (int64_t j = i; j < i + 8; j++) acc[j] = mul_i(acc[j], x[j]);
        break;
    }
    for (int64_t i = nb; i < n; i++) acc[i] = step_i(op, acc[i], x[i]);
}

/* Sum of exp(x - shift) for LogSumExp. */
static void sumexp(voce_dtype c, int run, int64_t n, const void *xv, double *acc,
                   const double *sh)
{
    const float *xf = xv;
    const double *xd = xv;
    int f32 = c == VOCE_DTYPE_F32;
    if (run) {
        double s = 0, m = sh[0];
        for (int64_t i = 0; i < n; i++) s += exp((f32 ? (double)xf[i] : xd[i]) - m);
        acc[0] += s;
    } else {
        for (int64_t i = 0; i < n; i++) acc[i] += exp((f32 ? (double)xf[i] : xd[i]) - sh[i]);
    }
}

void vc_red_acc(int acc_op, voce_dtype c, int run, int64_t n, const void *x, void *acc,
                const double *shift)
{
    if (acc_op == VC_ACC_SUMEXP) {
        sumexp(c, run, n, x, acc, shift);
    } else if (c == VOCE_DTYPE_F32) {
        if (run) run_f32(acc_op, n, x, acc);
        else row_f32(acc_op, n, x, acc);
    } else if (c == VOCE_DTYPE_F64) {
        if (run) run_f64(acc_op, n, x, acc);
        else row_f64(acc_op, n, x, acc);
    } else {
        if (run) run_i64(acc_op, n, x, acc);
        else row_i64(acc_op, n, x, acc);
    }
}
