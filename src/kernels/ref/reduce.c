/* Reference kernels: Reduce*, Softmax, LogSoftmax, ArgMax / ArgMin, TopK, CumSum.
 *
 * Every kernel views its input as [O, R, I] (outer, reduced or scanned axis, inner) or,
 * for Reduce* over several axes, as collapsed alternating kept / reduced groups, and
 * walks memory in order: a reduced last group is a contiguous run summed with 8
 * partial accumulators; a kept last group is a contiguous row accumulated into a row of
 * accumulators. Neither needs a division per element.
 *
 * Compute dtypes as in elementwise_impl.h: f16 is computed in f32 and integers in i64
 * (wrapping); an input in another storage dtype is first converted whole into scratch,
 * which is this file's main memory cost. Float sums (Reduce*, Softmax denominators)
 * accumulate in f64.
 *
 * Results defined here where ONNX leaves them open:
 *   Reduce over an empty set: Sum, L1, L2, SumSquare 0; Prod 1; Max the lowest value
 *   (-inf for floats); Min the highest; Mean NaN for floats and 0 for integers; LogSum
 *   and LogSumExp -inf. Integer Mean truncates toward zero.
 *   ReduceMax / ReduceMin propagate NaN. ArgMax / ArgMin pick a NaN if there is one
 *   (as numpy), the first unless select_last_index. TopK orders NaN above +inf and -0
 *   equal to +0; equal values keep the lower index first; sorted = 0 still sorts.
 *   Not done: u64 in Reduce* / ArgMax / Softmax; bool inputs. */
#include <math.h>
#include <string.h>

#include "../../core/f16.h"
#include "elementwise_impl.h"
#include "ref_ops.h"

#define ALIGN64(x) (((size_t)(x) + 63) & ~(size_t)63)

/* ---- shared helpers ---- */

static voce_status check_io(const vc_node *n, vc_tensor *const *in, int min_in, int max_in,
                            int n_out)
{
    if (n->n_in < min_in || n->n_in > max_in)
        return vc_node_error(n, VOCE_ERR_FORMAT, "expects %d to %d inputs, got %d", min_in,
                             max_in, n->n_in);
    for (int k = 0; k < min_in; k++)
        if (!in[k]) return vc_node_error(n, VOCE_ERR_FORMAT, "required input %d is missing", k);
    if (n->n_out != n_out)
        return vc_node_error(n, VOCE_ERR_FORMAT, "expects %d outputs, got %d", n_out, n->n_out);
    return VOCE_OK;
}

static voce_status check_dtype(const vc_node *n, vc_tensor *const *in, int k, unsigned accept)
{
    return vc_dt_in(in[k]->dtype, accept) ? VOCE_OK : vc_err_dtype(n, k, in[k]->dtype);
}

static voce_dtype compute_of(voce_dtype dt) { return vc_ew_compute(dt, 0); }

/* Bytes of scratch that input_as_compute needs for x. */
static size_t convert_bytes(const vc_tensor *x)
{
    voce_dtype c = compute_of(x->dtype);
    return c == x->dtype ? 0 : ALIGN64((size_t)vc_numel(x) * voce_dtype_size(c));
}

/* x's data in its compute dtype: the data itself, or a converted copy taken from the
 * scratch cursor *s (which advances). */
static const void *input_as_compute(const vc_tensor *x, char **s)
{
    voce_dtype c = compute_of(x->dtype);
    if (c == x->dtype) return x->data;
    void *dst = *s;
    vc_ew_convert(x->data, x->dtype, dst, c, vc_numel(x));
    *s += convert_bytes(x);
    return dst;
}

/* Sizes of the dims before, at and after axis. */
static void split3(const vc_tensor *x, int axis, int64_t *o, int64_t *r, int64_t *i)
{
    *o = vc_shape_numel(axis, x->dims);
    *r = x->dims[axis];
    *i = vc_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
}

/* A scalar (or 1-element) integer input such as TopK's K or CumSum's axis. */
static voce_status check_int_scalar(const vc_node *n, vc_tensor *const *in, int k)
{
    if (in[k]->dtype != VOCE_DTYPE_I64 && in[k]->dtype != VOCE_DTYPE_I32)
        return vc_err_dtype(n, k, in[k]->dtype);
    if (in[k]->rank > 1 || vc_numel(in[k]) != 1)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input %d must hold one value", k);
    return VOCE_OK;
}

/* ================================================================ Reduce* */

typedef enum red_kind {
    RK_SUM, RK_MEAN, RK_MAX, RK_MIN, RK_PROD, RK_L1, RK_L2, RK_SUMSQ, RK_LOGSUM, RK_LOGSUMEXP
} red_kind;

/* What is accumulated per element; the kind's finishing step comes after. */
enum { ACC_SUM, ACC_SUMSQ, ACC_L1, ACC_MAX, ACC_MIN, ACC_PROD, ACC_SUMEXP, N_ACC };

/* run: acc[0] = combine(acc[0], map(x[0..n))); row: acc[j] = combine(acc[j], map(x[j])).
 * shift (SUMEXP only) is subtracted before exp: shift[0] for run, shift[j] for row. */
typedef void (*red_fn)(int64_t n, const void *x, void *acc, const double *shift);

#define ADD_F(a, b) ((a) + (b))
#define MUL_F(a, b) ((a) * (b))
#define MAX_F(a, b) ((a) >= (b) || (a) != (a) ? (a) : (b)) /* keeps NaN */
#define MIN_F(a, b) ((a) <= (b) || (a) != (a) ? (a) : (b))
#define ADD_I(a, b) vc_wrap64((uint64_t)(a) + (uint64_t)(b))
#define MUL_I(a, b) vc_wrap64((uint64_t)(a) * (uint64_t)(b))
#define MAX_I(a, b) ((a) >= (b) ? (a) : (b))
#define MIN_I(a, b) ((a) <= (b) ? (a) : (b))
#define ID(v) (v)
#define SQ_F(v) ((v) * (v))
#define ABS_F(v) fabs(v)
#define SQ_I(v) MUL_I(v, v)
#define ABS_I(v) ((v) < 0 ? vc_wrap64(0 - (uint64_t)(v)) : (v))

/* Typed bodies take restrict parameters (what gcc needs to vectorize); the red_fn
 * wrappers only cast. */
#define RED_FNS(name, T, A, MAP, COMBINE, INIT)                                        \
    static inline void name##_run_t(int64_t n, const T *restrict x, A *restrict acc)   \
    {                                                                                  \
        A p[8];                                                                        \
        for (int j = 0; j < 8; j++) p[j] = INIT;                                       \
        int64_t i = 0;                                                                 \
        for (; i + 8 <= n; i += 8)                                                     \
            for (int j = 0; j < 8; j++) p[j] = COMBINE(p[j], MAP((A)x[i + j]));        \
        for (; i < n; i++) p[0] = COMBINE(p[0], MAP((A)x[i]));                         \
        A r = acc[0];                                                                  \
        for (int j = 0; j < 8; j++) r = COMBINE(r, p[j]);                              \
        acc[0] = r;                                                                    \
    }                                                                                  \
    static inline void name##_row_t(int64_t n, const T *restrict x, A *restrict acc)   \
    {                                                                                  \
        VC_EW_FOR(i, n, acc[i] = COMBINE(acc[i], MAP((A)x[i])););                      \
    }                                                                                  \
    static void name##_run(int64_t n, const void *x, void *acc, const double *sh)      \
    {                                                                                  \
        (void)sh;                                                                      \
        name##_run_t(n, x, acc);                                                       \
    }                                                                                  \
    static void name##_row(int64_t n, const void *x, void *acc, const double *sh)      \
    {                                                                                  \
        (void)sh;                                                                      \
        name##_row_t(n, x, acc);                                                       \
    }

#define RED_FLOAT(op, MAP, COMBINE, INIT)                                              \
    RED_FNS(op##_f32, float, double, MAP, COMBINE, INIT)                               \
    RED_FNS(op##_f64, double, double, MAP, COMBINE, INIT)

RED_FLOAT(sum, ID, ADD_F, 0.0)
RED_FLOAT(sumsq, SQ_F, ADD_F, 0.0)
RED_FLOAT(l1, ABS_F, ADD_F, 0.0)
RED_FLOAT(max, ID, MAX_F, -INFINITY)
RED_FLOAT(min, ID, MIN_F, INFINITY)
RED_FLOAT(prod, ID, MUL_F, 1.0)
RED_FNS(sum_i64, int64_t, int64_t, ID, ADD_I, 0)
RED_FNS(sumsq_i64, int64_t, int64_t, SQ_I, ADD_I, 0)
RED_FNS(l1_i64, int64_t, int64_t, ABS_I, ADD_I, 0)
RED_FNS(max_i64, int64_t, int64_t, ID, MAX_I, INT64_MIN)
RED_FNS(min_i64, int64_t, int64_t, ID, MIN_I, INT64_MAX)
RED_FNS(prod_i64, int64_t, int64_t, ID, MUL_I, 1)

/* Sum of exp(x - shift) for LogSumExp; floats only. */
#define SUMEXP_FNS(name, T)                                                            \
    static void name##_run(int64_t n, const void *xv, void *accv, const double *sh)    \
    {                                                                                  \
        const T *x = xv;                                                               \
        double *acc = accv, s = 0, m = sh[0];                                          \
        for (int64_t i = 0; i < n; i++) s += exp((double)x[i] - m);                    \
        acc[0] += s;                                                                   \
    }                                                                                  \
    static void name##_row(int64_t n, const void *xv, void *accv, const double *sh)    \
    {                                                                                  \
        const T *x = xv;                                                               \
        double *acc = accv;                                                            \
        for (int64_t i = 0; i < n; i++) acc[i] += exp((double)x[i] - sh[i]);           \
    }
SUMEXP_FNS(sumexp_f32, float)
SUMEXP_FNS(sumexp_f64, double)

/* [acc][compute dtype: 0 f32, 1 f64, 2 i64][0 run, 1 row] */
#define RED_ROW(op) {{op##_f32_run, op##_f32_row}, {op##_f64_run, op##_f64_row}, \
                     {op##_i64_run, op##_i64_row}}
static const red_fn red_fns[N_ACC][3][2] = {
    [ACC_SUM] = RED_ROW(sum),
    [ACC_SUMSQ] = RED_ROW(sumsq),
    [ACC_L1] = RED_ROW(l1),
    [ACC_MAX] = RED_ROW(max),
    [ACC_MIN] = RED_ROW(min),
    [ACC_PROD] = RED_ROW(prod),
    [ACC_SUMEXP] = {{sumexp_f32_run, sumexp_f32_row}, {sumexp_f64_run, sumexp_f64_row}},
};

static int type_slot(voce_dtype c) { return c == VOCE_DTYPE_F32 ? 0 : c == VOCE_DTYPE_F64 ? 1 : 2; }

/* The input collapsed into alternating kept / reduced groups (size-1 dims dropped). */
typedef struct red_shape {
    int m;
    int64_t dims[VOCE_MAX_RANK];
    int red[VOCE_MAX_RANK];
    int64_t ostr[VOCE_MAX_RANK];    /* output element stride per group, 0 when reduced */
} red_shape;

static void red_collapse(const vc_tensor *x, const int *mask, red_shape *s)
{
    int m = 0;
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[d] == 1) continue;
        if (m > 0 && s->red[m - 1] == mask[d]) {
            s->dims[m - 1] *= x->dims[d];
        } else {
            s->dims[m] = x->dims[d];
            s->red[m] = mask[d];
            m++;
        }
    }
    if (m == 0) { /* one element */
        s->dims[0] = 1;
        s->red[0] = 1;
        m = 1;
    }
    s->m = m;
    int64_t st = 1;
    for (int d = m - 1; d >= 0; d--) {
        s->ostr[d] = s->red[d] ? 0 : st;
        if (!s->red[d]) st *= s->dims[d];
    }
}

/* Walk the input in memory order, one contiguous last-group run / row at a time. */
static void red_walk(const red_shape *s, const char *x, size_t es, void *acc,
                     const double *shift, red_fn run, red_fn row)
{
    int last = s->m - 1;
    int64_t len = s->dims[last], rows = vc_shape_numel(last, s->dims);
    int64_t idx[VOCE_MAX_RANK] = {0}, o = 0;
    red_fn fn = s->red[last] ? run : row;
    for (int64_t r = 0; r < rows; r++) {
        fn(len, x + (size_t)(r * len) * es, (char *)acc + o * 8, shift ? shift + o : NULL);
        for (int d = last - 1; d >= 0; d--) {
            o += s->ostr[d];
            if (++idx[d] < s->dims[d]) break;
            idx[d] = 0;
            o -= s->ostr[d] * s->dims[d];
        }
    }
}

/* Reduced axes from input 1 (or the pre-opset-18 "axes" attribute if a node still has
 * it). mask[d] = 1 for reduced dims; *noop when axes are empty and noop_with_empty_axes. */
static voce_status reduce_axes(const vc_node *n, vc_tensor *const *in, int *mask, int *noop)
{
    int rank = in[0]->rank;
    memset(mask, 0, sizeof(int) * VOCE_MAX_RANK);
    *noop = 0;
    int64_t count = 0;
    const int64_t *attr = NULL;
    const vc_tensor *t = n->n_in > 1 ? in[1] : NULL;
    if (t) {
        if (t->dtype != VOCE_DTYPE_I64 && t->dtype != VOCE_DTYPE_I32)
            return vc_err_dtype(n, 1, t->dtype);
        if (t->rank > 1) return vc_node_error(n, VOCE_ERR_SHAPE, "axes must be 1-D");
        if (!t->data) return VC_NEED_DATA;
        count = vc_numel(t);
    } else {
        attr = vc_attr_ints(n, "axes", &count);
        if (!attr) count = 0;
    }
    for (int64_t k = 0; k < count; k++) {
        int ax;
        voce_status st = vc_norm_axis(n, t ? vc_get_int(t, k) : attr[k], rank, &ax);
        if (st) return st;
        if (mask[ax]) return vc_node_error(n, VOCE_ERR_SHAPE, "axis %d is listed twice", ax);
        mask[ax] = 1;
    }
    if (count == 0) {
        if (vc_attr_int(n, "noop_with_empty_axes", 0)) *noop = 1;
        else for (int d = 0; d < rank; d++) mask[d] = 1;
    }
    return VOCE_OK;
}

static voce_status reduce_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                red_kind kind)
{
    voce_status st = check_io(n, in, 1, 2, 1);
    unsigned accept = VC_DT_FLOAT;
    if (kind != RK_L2 && kind != RK_LOGSUM && kind != RK_LOGSUMEXP) accept |= VC_DT_INT;
    if (!st) st = check_dtype(n, in, 0, accept);
    int mask[VOCE_MAX_RANK], noop;
    if (!st) st = reduce_axes(n, in, mask, &noop);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    if (noop) return VOCE_OK;
    int keep = vc_attr_int(n, "keepdims", 1) != 0, r = 0;
    for (int d = 0; d < in[0]->rank; d++) {
        if (!mask[d]) out[0].dims[r++] = in[0]->dims[d];
        else if (keep) out[0].dims[r++] = 1;
    }
    out[0].rank = r;
    return VOCE_OK;
}

static size_t reduce_scratch_for(const vc_node *n, vc_tensor *const *in, const vc_tensor *out,
                                 red_kind kind)
{
    (void)n;
    size_t acc = ALIGN64((size_t)vc_numel(&out[0]) * 8);
    return convert_bytes(in[0]) + acc * (kind == RK_LOGSUMEXP ? 3 : 1);
}

/* Start value of an integer Max / Min: the storage dtype's extreme, so that an empty
 * reduction stores that dtype's lowest / highest value. */
static int64_t int_extreme(voce_dtype dt, int highest)
{
    switch (dt) {
    case VOCE_DTYPE_I8: return highest ? INT8_MAX : INT8_MIN;
    case VOCE_DTYPE_I16: return highest ? INT16_MAX : INT16_MIN;
    case VOCE_DTYPE_I32: return highest ? INT32_MAX : INT32_MIN;
    case VOCE_DTYPE_U8: return highest ? UINT8_MAX : 0;
    case VOCE_DTYPE_U16: return highest ? UINT16_MAX : 0;
    case VOCE_DTYPE_U32: return highest ? (int64_t)UINT32_MAX : 0;
    default: return highest ? INT64_MAX : INT64_MIN;
    }
}

/* Accumulators are f64 for float inputs and i64 for integer inputs, 8 bytes either way. */
static void fill_acc(void *acc, int64_t count, int acc_op, int is_float, voce_dtype dt)
{
    if (is_float) {
        double v = acc_op == ACC_PROD ? 1.0 : acc_op == ACC_MAX ? -INFINITY
                 : acc_op == ACC_MIN ? INFINITY : 0.0;
        double *a = acc;
        for (int64_t i = 0; i < count; i++) a[i] = v;
    } else {
        int64_t v = acc_op == ACC_PROD ? 1 : acc_op == ACC_MAX ? int_extreme(dt, 0)
                  : acc_op == ACC_MIN ? int_extreme(dt, 1) : 0;
        int64_t *a = acc;
        for (int64_t i = 0; i < count; i++) a[i] = v;
    }
}

static int acc_of(red_kind kind)
{
    switch (kind) {
    case RK_SUMSQ: case RK_L2: return ACC_SUMSQ;
    case RK_L1: return ACC_L1;
    case RK_MAX: case RK_LOGSUMEXP: return ACC_MAX;
    case RK_MIN: return ACC_MIN;
    case RK_PROD: return ACC_PROD;
    default: return ACC_SUM;
    }
}

static voce_status reduce_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                              vc_ctx *ctx, red_kind kind)
{
    const vc_tensor *x = in[0];
    int mask[VOCE_MAX_RANK], noop;
    voce_status st = reduce_axes(n, in, mask, &noop);
    if (st) return st;
    if (noop) {
        if (vc_nbytes(x)) memcpy(out[0].data, x->data, vc_nbytes(x));
        return VOCE_OK;
    }
    int64_t n_out = vc_numel(&out[0]), n_in = vc_numel(x);
    if (n_out == 0) return VOCE_OK;
    voce_dtype c = compute_of(x->dtype);
    int is_float = c != VOCE_DTYPE_I64, slot = type_slot(c);
    char *s = ctx->scratch;
    const char *xc = input_as_compute(x, &s);
    void *acc = s, *acc2 = s + ALIGN64((size_t)n_out * 8);
    int op = acc_of(kind);
    fill_acc(acc, n_out, op, is_float, x->dtype);
    red_shape rs;
    red_collapse(x, mask, &rs);
    size_t es = voce_dtype_size(c);
    if (n_in > 0) red_walk(&rs, xc, es, acc, NULL, red_fns[op][slot][0], red_fns[op][slot][1]);
    int64_t count = n_in / n_out; /* elements per output (0 for an empty reduction) */
    if (kind == RK_LOGSUMEXP && n_in > 0) {
        /* second pass: sum of exp(x - max), shifting only by finite maxima; where the
         * max is +-inf or NaN that is already the result */
        double *m = acc, *shift = acc2;
        double *sum = (double *)((char *)acc2 + ALIGN64((size_t)n_out * 8));
        for (int64_t i = 0; i < n_out; i++) {
            shift[i] = isfinite(m[i]) ? m[i] : 0.0;
            sum[i] = 0.0;
        }
        red_walk(&rs, xc, es, sum, shift, red_fns[ACC_SUMEXP][slot][0],
                 red_fns[ACC_SUMEXP][slot][1]);
        for (int64_t i = 0; i < n_out; i++)
            if (isfinite(m[i])) m[i] += log(sum[i]);
    }
    switch (kind) {
    case RK_MEAN:
        if (is_float) {
            double *a = acc;
            for (int64_t i = 0; i < n_out; i++) a[i] /= (double)count;
        } else {
            int64_t *a = acc;
            for (int64_t i = 0; i < n_out; i++) a[i] = count ? a[i] / count : 0;
        }
        break;
    case RK_L2: {
        double *a = acc;
        for (int64_t i = 0; i < n_out; i++) a[i] = sqrt(a[i]);
        break;
    }
    case RK_LOGSUM: {
        double *a = acc;
        for (int64_t i = 0; i < n_out; i++) a[i] = log(a[i]);
        break;
    }
    default: break;
    }
    vc_ew_convert(acc, is_float ? VOCE_DTYPE_F64 : VOCE_DTYPE_I64, out[0].data, out[0].dtype,
                  n_out);
    return VOCE_OK;
}

#define REDUCE_OP(lname, kind)                                                         \
    static voce_status lname##_infer(const vc_node *n, vc_tensor *const *in,           \
                                     vc_tensor *out)                                   \
    {                                                                                  \
        return reduce_infer(n, in, out, kind);                                         \
    }                                                                                  \
    static size_t lname##_scratch(const vc_node *n, vc_tensor *const *in,              \
                                  const vc_tensor *out)                                \
    {                                                                                  \
        return reduce_scratch_for(n, in, out, kind);                                   \
    }                                                                                  \
    static voce_status lname##_run(const vc_node *n, vc_tensor *const *in,             \
                                   vc_tensor *out, vc_ctx *ctx)                        \
    {                                                                                  \
        return reduce_run(n, in, out, ctx, kind);                                      \
    }

REDUCE_OP(reduce_sum, RK_SUM)
REDUCE_OP(reduce_mean, RK_MEAN)
REDUCE_OP(reduce_max, RK_MAX)
REDUCE_OP(reduce_min, RK_MIN)
REDUCE_OP(reduce_prod, RK_PROD)
REDUCE_OP(reduce_l1, RK_L1)
REDUCE_OP(reduce_l2, RK_L2)
REDUCE_OP(reduce_sum_square, RK_SUMSQ)
REDUCE_OP(reduce_log_sum, RK_LOGSUM)
REDUCE_OP(reduce_log_sum_exp, RK_LOGSUMEXP)

/* ================================================================ Softmax, LogSoftmax */

/* Opset >= 13: softmax along axis (default -1). Before: axis defaults to 1 and the input
 * is taken as 2-D [prod(dims[:axis]), prod(dims[axis:])]. */
static voce_status softmax_geometry(const vc_node *n, const vc_tensor *x, int64_t *o,
                                    int64_t *r, int64_t *i)
{
    int legacy = n->opset > 0 && n->opset < 13, axis;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", legacy ? 1 : -1), x->rank, &axis);
    if (st) return st;
    split3(x, axis, o, r, i);
    if (legacy) {
        *r *= *i;
        *i = 1;
    }
    return VOCE_OK;
}

static voce_status softmax_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = check_io(n, in, 1, 1, 1);
    if (!st) st = check_dtype(n, in, 0, VC_DT_FLOAT);
    int64_t o, r, i;
    if (!st) st = softmax_geometry(n, in[0], &o, &r, &i);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    return VOCE_OK;
}

/* f16: an f32 copy of the input; I > 1: rows of maxima and sums. */
static size_t softmax_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)out;
    int64_t o = 0, r = 0, i = 0;
    if (softmax_geometry(n, in[0], &o, &r, &i)) return 0;
    return convert_bytes(in[0]) + (i > 1 ? 2 * ALIGN64((size_t)i * 8) : 0);
}

/* y may be x (the f16 path works in place); every element is read before it is written. */
#define SOFTMAX_FN(name, T, F)                                                         \
    static void name(const T *x, T *y, int64_t O, int64_t R, int64_t I, int log_form,  \
                     char *buf)                                                        \
    {                                                                                  \
        T *mx = (T *)buf; /* buf is NULL when I == 1: the row buffers are not needed */ \
        double *sum = I > 1 ? (double *)(buf + ALIGN64((size_t)I * 8)) : NULL;         \
        for (int64_t o = 0; o < O; o++) {                                              \
            const T *xo = x + o * R * I;                                               \
            T *yo = y + o * R * I;                                                     \
            if (I == 1) {                                                              \
                T m = -(T)INFINITY;                                                    \
                for (int64_t r = 0; r < R; r++) m = xo[r] > m ? xo[r] : m;             \
                double s = 0;                                                          \
                if (log_form) {                                                        \
                    for (int64_t r = 0; r < R; r++) s += F(exp)(xo[r] - m);            \
                    T l = (T)log(s); /* x - m first: exact where m would swamp l */    \
                    for (int64_t r = 0; r < R; r++) yo[r] = (xo[r] - m) - l;           \
                } else {                                                               \
                    for (int64_t r = 0; r < R; r++) {                                  \
                        T e = F(exp)(xo[r] - m);                                       \
                        yo[r] = e;                                                     \
                        s += e;                                                        \
                    }                                                                  \
                    for (int64_t r = 0; r < R; r++) yo[r] = (T)(yo[r] / s);            \
                }                                                                      \
                continue;                                                              \
            }                                                                          \
            for (int64_t j = 0; j < I; j++) {                                          \
                mx[j] = -(T)INFINITY;                                                  \
                sum[j] = 0;                                                            \
            }                                                                          \
            for (int64_t r = 0; r < R; r++)                                            \
                for (int64_t j = 0; j < I; j++)                                        \
                    mx[j] = xo[r * I + j] > mx[j] ? xo[r * I + j] : mx[j];             \
            for (int64_t r = 0; r < R; r++)                                            \
                for (int64_t j = 0; j < I; j++) {                                      \
                    T e = F(exp)(xo[r * I + j] - mx[j]);                               \
                    if (!log_form) yo[r * I + j] = e;                                  \
                    sum[j] += e;                                                       \
                }                                                                      \
            if (log_form) {                                                            \
                for (int64_t j = 0; j < I; j++) sum[j] = log(sum[j]);                  \
                for (int64_t r = 0; r < R; r++)                                        \
                    for (int64_t j = 0; j < I; j++)                                    \
                        yo[r * I + j] = (xo[r * I + j] - mx[j]) - (T)sum[j];           \
            } else {                                                                   \
                for (int64_t r = 0; r < R; r++)                                        \
                    for (int64_t j = 0; j < I; j++)                                    \
                        yo[r * I + j] = (T)(yo[r * I + j] / sum[j]);                   \
            }                                                                          \
        }                                                                              \
    }

#define F32(name) name##f
#define F64(name) name
SOFTMAX_FN(softmax_f32, float, F32)
SOFTMAX_FN(softmax_f64, double, F64)

static voce_status softmax_any(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               vc_ctx *ctx, int log_form)
{
    int64_t o, r, i;
    voce_status st = softmax_geometry(n, in[0], &o, &r, &i);
    if (st || vc_numel(in[0]) == 0) return st; /* empty tensors may have no data */
    char *s = ctx->scratch;
    const vc_tensor *x = in[0];
    if (x->dtype == VOCE_DTYPE_F64) {
        softmax_f64(x->data, out[0].data, o, r, i, log_form, s);
    } else if (x->dtype == VOCE_DTYPE_F32) {
        softmax_f32(x->data, out[0].data, o, r, i, log_form, s);
    } else { /* f16 in place on an f32 copy */
        float *buf = (float *)input_as_compute(x, &s);
        softmax_f32(buf, buf, o, r, i, log_form, s);
        vc_ew_convert(buf, VOCE_DTYPE_F32, out[0].data, out[0].dtype, vc_numel(x));
    }
    return VOCE_OK;
}

static voce_status softmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return softmax_any(n, in, out, ctx, 0);
}

static voce_status log_softmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                   vc_ctx *ctx)
{
    return softmax_any(n, in, out, ctx, 1);
}

/* ================================================================ ArgMax, ArgMin */

static voce_status arg_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = check_io(n, in, 1, 1, 1);
    if (!st) st = check_dtype(n, in, 0, VC_DT_FLOAT | VC_DT_INT);
    int axis;
    if (!st) st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), in[0]->rank, &axis);
    if (st) return st;
    int keep = vc_attr_int(n, "keepdims", 1) != 0, r = 0;
    vc_tensor *y = &out[0];
    y->dtype = VOCE_DTYPE_I64;
    for (int d = 0; d < in[0]->rank; d++) {
        if (d != axis) y->dims[r++] = in[0]->dims[d];
        else if (keep) y->dims[r++] = 1;
    }
    y->rank = r;
    if (in[0]->dims[axis] == 0 && vc_numel(y) > 0)
        return vc_node_error(n, VOCE_ERR_SHAPE, "axis %d is empty: no index to return", axis);
    return VOCE_OK;
}

static size_t arg_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)out;
    int axis;
    if (vc_norm_axis(n, vc_attr_int(n, "axis", 0), in[0]->rank, &axis)) return 0;
    int64_t o, r, i;
    split3(in[0], axis, &o, &r, &i);
    return convert_bytes(in[0]) + ALIGN64((size_t)i * 8);
}

/* Is v a better pick than the current best b? NaN beats numbers; ties go to the later
 * index only with select_last_index. */
#define BETTER_F(v, b) ((b) != (b) ? (last && (v) != (v))                               \
                        : (v) != (v) ? 1                                               \
                        : (v) == (b) ? last : is_min ? (v) < (b) : (v) > (b))
#define BETTER_I(v, b) ((v) == (b) ? last : is_min ? (v) < (b) : (v) > (b))

#define ARG_FN(name, T, BETTER)                                                        \
    static void name(const T *x, int64_t *y, int64_t O, int64_t R, int64_t I, int is_min, \
                     int last, T *best)                                                \
    {                                                                                  \
        for (int64_t o = 0; o < O; o++) {                                              \
            const T *xo = x + o * R * I;                                               \
            int64_t *yo = y + o * I;                                                   \
            for (int64_t j = 0; j < I; j++) {                                          \
                best[j] = xo[j];                                                       \
                yo[j] = 0;                                                             \
            }                                                                          \
            for (int64_t r = 1; r < R; r++)                                            \
                for (int64_t j = 0; j < I; j++) {                                      \
                    T v = xo[r * I + j];                                               \
                    if (BETTER(v, best[j])) {                                          \
                        best[j] = v;                                                   \
                        yo[j] = r;                                                     \
                    }                                                                  \
                }                                                                      \
        }                                                                              \
    }
ARG_FN(arg_f32, float, BETTER_F)
ARG_FN(arg_f64, double, BETTER_F)
ARG_FN(arg_i64, int64_t, BETTER_I)

static voce_status arg_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                           vc_ctx *ctx, int is_min)
{
    int axis;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), in[0]->rank, &axis);
    if (st) return st;
    int64_t o, r, i;
    split3(in[0], axis, &o, &r, &i);
    if (vc_numel(&out[0]) == 0) return VOCE_OK;
    int last = vc_attr_int(n, "select_last_index", 0) != 0;
    char *s = ctx->scratch;
    const void *x = input_as_compute(in[0], &s);
    switch (compute_of(in[0]->dtype)) {
    case VOCE_DTYPE_F32: arg_f32(x, out[0].data, o, r, i, is_min, last, (float *)s); break;
    case VOCE_DTYPE_F64: arg_f64(x, out[0].data, o, r, i, is_min, last, (double *)s); break;
    default: arg_i64(x, out[0].data, o, r, i, is_min, last, (int64_t *)s); break;
    }
    return VOCE_OK;
}

static voce_status argmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return arg_run(n, in, out, ctx, 0);
}

static voce_status argmin_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return arg_run(n, in, out, ctx, 1);
}

/* ================================================================ TopK */

/* Keys that order as unsigned integers: floats by value with NaN on top and -0 == +0,
 * signed integers with the sign bit flipped. */
static uint64_t key_f64(double d)
{
    if (d != d) return UINT64_MAX;
    if (d == 0) d = 0.0;
    uint64_t b;
    memcpy(&b, &d, 8);
    return b >> 63 ? ~b : b | (UINT64_C(1) << 63);
}

static uint64_t key_i64(int64_t v) { return (uint64_t)v ^ (UINT64_C(1) << 63); }

static uint64_t read_key(const void *x, voce_dtype dt, int64_t i)
{
    switch (dt) {
    case VOCE_DTYPE_F32: return key_f64(((const float *)x)[i]);
    case VOCE_DTYPE_F64: return key_f64(((const double *)x)[i]);
    case VOCE_DTYPE_F16: return key_f64(vc_f16_to_f32(((const uint16_t *)x)[i]));
    case VOCE_DTYPE_I8: return key_i64(((const int8_t *)x)[i]);
    case VOCE_DTYPE_I16: return key_i64(((const int16_t *)x)[i]);
    case VOCE_DTYPE_I32: return key_i64(((const int32_t *)x)[i]);
    case VOCE_DTYPE_I64: return key_i64(((const int64_t *)x)[i]);
    case VOCE_DTYPE_U8: return ((const uint8_t *)x)[i];
    case VOCE_DTYPE_U16: return ((const uint16_t *)x)[i];
    case VOCE_DTYPE_U32: return ((const uint32_t *)x)[i];
    case VOCE_DTYPE_U64: return ((const uint64_t *)x)[i];
    default: return 0;
    }
}

typedef struct topk_entry {
    uint64_t key;
    int64_t idx;
} topk_entry;

/* Strict total order of the output: larger (or smaller) key first, then lower index. */
static int topk_before(const topk_entry *a, const topk_entry *b, int largest)
{
    if (a->key != b->key) return largest ? a->key > b->key : a->key < b->key;
    return a->idx < b->idx;
}

/* Heap with the entry that comes last in output order at the root. */
static void heap_down(topk_entry *h, int64_t n, int64_t i, int largest)
{
    for (;;) {
        int64_t w = i, l = 2 * i + 1, r = l + 1;
        if (l < n && topk_before(&h[w], &h[l], largest)) w = l;
        if (r < n && topk_before(&h[w], &h[r], largest)) w = r;
        if (w == i) return;
        topk_entry t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void heap_up(topk_entry *h, int64_t i, int largest)
{
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!topk_before(&h[p], &h[i], largest)) return;
        topk_entry t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static voce_status topk_geometry(const vc_node *n, vc_tensor *const *in, int *axis, int64_t *k)
{
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", -1), in[0]->rank, axis);
    if (st) return st;
    *k = vc_get_int(in[1], 0);
    if (*k < 0 || *k > in[0]->dims[*axis])
        return vc_node_error(n, VOCE_ERR_SHAPE, "K = %lld is outside [0, %lld]", (long long)*k,
                             (long long)in[0]->dims[*axis]);
    return VOCE_OK;
}

static voce_status topk_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = check_io(n, in, 2, 2, 2);
    if (!st) st = check_dtype(n, in, 0, VC_DT_FLOAT | VC_DT_INT | VC_DT(VOCE_DTYPE_U64));
    if (!st) st = check_int_scalar(n, in, 1);
    if (!st) st = vc_need_data(n, in, 1);
    int axis;
    int64_t k;
    if (!st) st = topk_geometry(n, in, &axis, &k);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    out[0].dims[axis] = k;
    vc_same_shape(&out[1], &out[0]);
    out[1].dtype = VOCE_DTYPE_I64;
    return VOCE_OK;
}

static size_t topk_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)out;
    int axis = 0;
    int64_t k = 0;
    if (topk_geometry(n, in, &axis, &k)) return 0;
    return (size_t)k * sizeof(topk_entry);
}

static voce_status topk_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int axis;
    int64_t k;
    voce_status st = topk_geometry(n, in, &axis, &k);
    if (st) return st;
    const vc_tensor *x = in[0];
    int64_t O, R, I;
    split3(x, axis, &O, &R, &I);
    if (k == 0 || O * I == 0) return VOCE_OK;
    int largest = vc_attr_int(n, "largest", 1) != 0;
    size_t es = voce_dtype_size(x->dtype);
    topk_entry *h = ctx->scratch;
    int64_t *idx_out = out[1].data;
    char *val_out = out[0].data;
    for (int64_t o = 0; o < O; o++)
        for (int64_t j = 0; j < I; j++) {
            int64_t base = o * R * I + j, cnt = 0;
            for (int64_t r = 0; r < R; r++) {
                topk_entry e = {read_key(x->data, x->dtype, base + r * I), r};
                if (cnt < k) {
                    h[cnt] = e;
                    heap_up(h, cnt++, largest);
                } else if (topk_before(&e, &h[0], largest)) {
                    h[0] = e;
                    heap_down(h, k, 0, largest);
                }
            }
            for (int64_t end = k - 1; end > 0; end--) { /* heapsort: best first */
                topk_entry t = h[0];
                h[0] = h[end];
                h[end] = t;
                heap_down(h, end, 0, largest);
            }
            for (int64_t t = 0; t < k; t++) {
                int64_t dst = o * k * I + t * I + j;
                idx_out[dst] = h[t].idx;
                memcpy(val_out + (size_t)dst * es,
                       (const char *)x->data + (size_t)(base + h[t].idx * I) * es, es);
            }
        }
    return VOCE_OK;
}

/* ================================================================ CumSum */

static voce_status cumsum_axis(const vc_node *n, vc_tensor *const *in, int *axis)
{
    return vc_norm_axis(n, vc_get_int(in[1], 0), in[0]->rank, axis);
}

static voce_status cumsum_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = check_io(n, in, 2, 2, 1);
    if (!st) st = check_dtype(n, in, 0, VC_DT_FLOAT | VC_DT_INT | VC_DT(VOCE_DTYPE_U64));
    if (!st) st = check_int_scalar(n, in, 1);
    int axis;
    /* the axis does not change the shape: checked now if known, else when run */
    if (!st && in[1]->data) st = cumsum_axis(n, in, &axis);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    return VOCE_OK;
}

/* Another storage dtype: a converted input and a result buffer, both in scratch. */
static size_t cumsum_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)n; (void)out;
    return 2 * convert_bytes(in[0]);
}

/* y never aliases x. Floats accumulate in their own type, as numpy's cumsum. */
#define CUMSUM_FN(name, T, ADD)                                                        \
    static inline void name##_rowadd(int64_t n, const T *restrict a, const T *restrict b, \
                                     T *restrict o)                                    \
    {                                                                                  \
        VC_EW_FOR(j, n, o[j] = ADD(a[j], b[j]););                                      \
    }                                                                                  \
    static void name(const T *x, T *y, int64_t O, int64_t R, int64_t I, int excl, int rev) \
    {                                                                                  \
        for (int64_t o = 0; o < O; o++) {                                              \
            const T *xo = x + o * R * I;                                               \
            T *yo = y + o * R * I;                                                     \
            for (int64_t k = 0; k < R; k++) {                                          \
                int64_t r = rev ? R - 1 - k : k, p = rev ? r + 1 : r - 1;              \
                const T *src = excl ? xo + p * I : xo + r * I;                         \
                T *dst = yo + r * I;                                                   \
                if (k == 0 && excl) {                                                  \
                    for (int64_t j = 0; j < I; j++) dst[j] = 0;                        \
                } else if (k == 0) {                                                   \
                    for (int64_t j = 0; j < I; j++) dst[j] = src[j];                   \
                } else {                                                               \
                    name##_rowadd(I, yo + p * I, src, dst);                            \
                }                                                                      \
            }                                                                          \
        }                                                                              \
    }
CUMSUM_FN(cumsum_f32, float, ADD_F)
CUMSUM_FN(cumsum_f64, double, ADD_F)
CUMSUM_FN(cumsum_i64, int64_t, ADD_I)

static voce_status cumsum_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int axis;
    voce_status st = cumsum_axis(n, in, &axis);
    if (st) return st;
    const vc_tensor *x = in[0];
    int64_t O, R, I;
    split3(x, axis, &O, &R, &I);
    if (vc_numel(x) == 0) return VOCE_OK;
    int excl = vc_attr_int(n, "exclusive", 0) != 0, rev = vc_attr_int(n, "reverse", 0) != 0;
    voce_dtype c = compute_of(x->dtype);
    char *s = ctx->scratch;
    const void *xc = input_as_compute(x, &s);
    void *y = c == x->dtype ? out[0].data : s;
    switch (c) {
    case VOCE_DTYPE_F32: cumsum_f32(xc, y, O, R, I, excl, rev); break;
    case VOCE_DTYPE_F64: cumsum_f64(xc, y, O, R, I, excl, rev); break;
    default: cumsum_i64(xc, y, O, R, I, excl, rev); break;
    }
    if (y != out[0].data) vc_ew_convert(y, c, out[0].data, out[0].dtype, vc_numel(x));
    return VOCE_OK;
}

#define OP(name, lname) {name, lname##_infer, lname##_run, lname##_scratch, 0}

const vc_op vc_ops_reduce[] = {
    OP("ReduceSum", reduce_sum), OP("ReduceMean", reduce_mean), OP("ReduceMax", reduce_max),
    OP("ReduceMin", reduce_min), OP("ReduceProd", reduce_prod), OP("ReduceL1", reduce_l1),
    OP("ReduceL2", reduce_l2), OP("ReduceSumSquare", reduce_sum_square),
    OP("ReduceLogSum", reduce_log_sum), OP("ReduceLogSumExp", reduce_log_sum_exp),
    {"Softmax", softmax_infer, softmax_run, softmax_scratch, 0},
    {"LogSoftmax", softmax_infer, log_softmax_run, softmax_scratch, 0},
    {"ArgMax", arg_infer, argmax_run, arg_scratch, 0},
    {"ArgMin", arg_infer, argmin_run, arg_scratch, 0},
    OP("TopK", topk), OP("CumSum", cumsum),
};
const int vc_ops_reduce_count = (int)(sizeof vc_ops_reduce / sizeof vc_ops_reduce[0]);
