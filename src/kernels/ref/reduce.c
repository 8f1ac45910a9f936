/* Reference kernels: Reduce*, and the table of the reduction ops (Softmax and LogSoftmax
 * are in reduce_softmax.c, ArgMax / ArgMin and TopK in reduce_arg.c, CumSum in
 * reduce_cumsum.c, the typed accumulation loops in reduce_acc.c).
 *
 * Every kernel views its input as [O, R, I] (outer, reduced or scanned axis, inner) or,
 * for Reduce* over several axes, as collapsed alternating kept / reduced groups, and
 * walks memory in order: a reduced last group is a contiguous run summed with 8
 * partial accumulators; a kept last group is a contiguous row accumulated into a row of
 * accumulators. Neither needs a division per element.
 *
 * Compute dtypes as in elementwise_impl.h: f16 is computed in f32 and integers in i64
 * (wrapping); an input in another storage dtype is first converted whole into scratch,
 * which is the main memory cost. Float sums (Reduce*, Softmax denominators)
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

#include "reduce_impl.h"

/* ---- shared helpers ---- */

voce_status vc_red_check_io(const vc_node *n, vc_tensor *const *in, int min_in, int max_in,
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

voce_status vc_red_check_dtype(const vc_node *n, vc_tensor *const *in, int k, unsigned accept)
{
    return vc_dt_in(in[k]->dtype, accept) ? VOCE_OK : vc_err_dtype(n, k, in[k]->dtype);
}

size_t vc_red_convert_bytes(const vc_tensor *x)
{
    voce_dtype c = vc_red_compute(x->dtype);
    return c == x->dtype ? 0 : vc_red_align64((size_t)vc_numel(x) * voce_dtype_size(c));
}

const void *vc_red_input_as_compute(const vc_tensor *x, char **s)
{
    voce_dtype c = vc_red_compute(x->dtype);
    if (c == x->dtype) return x->data;
    void *dst = *s;
    vc_ew_convert(x->data, x->dtype, dst, c, vc_numel(x));
    *s += vc_red_convert_bytes(x);
    return dst;
}

void vc_red_split3(const vc_tensor *x, int axis, int64_t *o, int64_t *r, int64_t *i)
{
    *o = vc_shape_numel(axis, x->dims);
    *r = x->dims[axis];
    *i = vc_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
}

voce_status vc_red_check_int_scalar(const vc_node *n, vc_tensor *const *in, int k)
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
static void red_walk(const red_shape *s, const char *x, voce_dtype c, void *acc,
                     const double *shift, int acc_op)
{
    size_t es = voce_dtype_size(c);
    int last = s->m - 1;
    int64_t len = s->dims[last], rows = vc_shape_numel(last, s->dims);
    int64_t idx[VOCE_MAX_RANK] = {0}, o = 0;
    for (int64_t r = 0; r < rows; r++) {
        vc_red_acc(acc_op, c, s->red[last], len, x + (size_t)(r * len) * es, (char *)acc + o * 8,
                   shift ? shift + o : NULL);
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
                                unsigned accept)
{
    voce_status st = vc_red_check_io(n, in, 1, 2, 1);
    if (!st) st = vc_red_check_dtype(n, in, 0, accept);
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

/* ReduceL2, ReduceLogSum and ReduceLogSumExp take floats only. */
static voce_status infer_number(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return reduce_infer(n, in, out, VC_DT_FLOAT | VC_DT_INT);
}

static voce_status infer_float(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return reduce_infer(n, in, out, VC_DT_FLOAT);
}

/* A converted input and a row of accumulators; LogSumExp adds shifts and sums. */
static size_t reduce_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)n;
    return vc_red_convert_bytes(in[0]) + vc_red_align64((size_t)vc_numel(&out[0]) * 8);
}

static size_t logsumexp_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)n;
    return vc_red_convert_bytes(in[0]) + 3 * vc_red_align64((size_t)vc_numel(&out[0]) * 8);
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
        double v = acc_op == VC_ACC_PROD ? 1.0 : acc_op == VC_ACC_MAX ? -INFINITY
                 : acc_op == VC_ACC_MIN ? INFINITY : 0.0;
        double *a = acc;
        for (int64_t i = 0; i < count; i++) a[i] = v;
    } else {
        int64_t v = acc_op == VC_ACC_PROD ? 1 : acc_op == VC_ACC_MAX ? int_extreme(dt, 0)
                  : acc_op == VC_ACC_MIN ? int_extreme(dt, 1) : 0;
        int64_t *a = acc;
        for (int64_t i = 0; i < count; i++) a[i] = v;
    }
}

static int acc_of(red_kind kind)
{
    switch (kind) {
    case RK_SUMSQ: case RK_L2: return VC_ACC_SUMSQ;
    case RK_L1: return VC_ACC_L1;
    case RK_MAX: case RK_LOGSUMEXP: return VC_ACC_MAX;
    case RK_MIN: return VC_ACC_MIN;
    case RK_PROD: return VC_ACC_PROD;
    default: return VC_ACC_SUM;
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
    voce_dtype c = vc_red_compute(x->dtype);
    int is_float = c != VOCE_DTYPE_I64;
    char *s = ctx->scratch;
    const char *xc = vc_red_input_as_compute(x, &s);
    void *acc = s, *acc2 = s + vc_red_align64((size_t)n_out * 8);
    int op = acc_of(kind);
    fill_acc(acc, n_out, op, is_float, x->dtype);
    red_shape rs;
    red_collapse(x, mask, &rs);
    if (n_in > 0) red_walk(&rs, xc, c, acc, NULL, op);
    int64_t count = n_in / n_out; /* elements per output (0 for an empty reduction) */
    if (kind == RK_LOGSUMEXP && n_in > 0) {
        /* second pass: sum of exp(x - max), shifting only by finite maxima; where the
         * max is +-inf or NaN that is already the result */
        double *m = acc, *shift = acc2;
        double *sum = (double *)((char *)acc2 + vc_red_align64((size_t)n_out * 8));
        for (int64_t i = 0; i < n_out; i++) {
            shift[i] = isfinite(m[i]) ? m[i] : 0.0;
            sum[i] = 0.0;
        }
        red_walk(&rs, xc, c, sum, shift, VC_ACC_SUMEXP);
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

static voce_status sum_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_SUM);
}

static voce_status mean_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_MEAN);
}

static voce_status max_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_MAX);
}

static voce_status min_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_MIN);
}

static voce_status prod_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_PROD);
}

static voce_status l1_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_L1);
}

static voce_status l2_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_L2);
}

static voce_status sum_square_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_SUMSQ);
}

static voce_status log_sum_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_LOGSUM);
}

static voce_status log_sum_exp_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return reduce_run(n, in, out, ctx, RK_LOGSUMEXP);
}

const vc_op vc_ops_reduce[] = {
    {"ReduceSum", infer_number, sum_run, reduce_scratch, 0},
    {"ReduceMean", infer_number, mean_run, reduce_scratch, 0},
    {"ReduceMax", infer_number, max_run, reduce_scratch, 0},
    {"ReduceMin", infer_number, min_run, reduce_scratch, 0},
    {"ReduceProd", infer_number, prod_run, reduce_scratch, 0},
    {"ReduceL1", infer_number, l1_run, reduce_scratch, 0},
    {"ReduceL2", infer_float, l2_run, reduce_scratch, 0},
    {"ReduceSumSquare", infer_number, sum_square_run, reduce_scratch, 0},
    {"ReduceLogSum", infer_float, log_sum_run, reduce_scratch, 0},
    {"ReduceLogSumExp", infer_float, log_sum_exp_run, logsumexp_scratch, 0},
    {"Softmax", vc_softmax_infer, vc_softmax_run, vc_softmax_scratch, 0},
    {"LogSoftmax", vc_softmax_infer, vc_log_softmax_run, vc_softmax_scratch, 0},
    {"ArgMax", vc_arg_infer, vc_argmax_run, vc_arg_scratch, 0},
    {"ArgMin", vc_arg_infer, vc_argmin_run, vc_arg_scratch, 0},
    {"TopK", vc_topk_infer, vc_topk_run, vc_topk_scratch, 0},
    {"CumSum", vc_cumsum_infer, vc_cumsum_run, vc_cumsum_scratch, 0},
};
const int vc_ops_reduce_count = (int)(sizeof vc_ops_reduce / sizeof vc_ops_reduce[0]);
