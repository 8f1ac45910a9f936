/* Reference kernels: LayerNormalization, BatchNormalization (inference form),
 * InstanceNormalization, GroupNormalization (opset 18 per-group or opset 21 per-channel
 * scale and bias, told apart by their size), LpNormalization.
 *
 * Data is f32 or f16 (f16 computed in f32, no scratch: values are widened as they are
 * read). Means and variances accumulate in double, two passes, so that the reference is
 * not the weak point when rows are long. LayerNormalization's Mean and InvStdDev
 * outputs are f32 (stash_type 1, the only stash type supported).
 */
#include <math.h>
#include <string.h>

#include "../../core/f16.h"
#include "ref_ops.h"

static float ld(const vc_tensor *t, int64_t i)
{
    return t->dtype == VOCE_DTYPE_F32 ? ((const float *)t->data)[i]
                                      : vc_f16_to_f32(((const uint16_t *)t->data)[i]);
}

static void st(vc_tensor *t, int64_t i, float v)
{
    if (t->dtype == VOCE_DTYPE_F32)
        ((float *)t->data)[i] = v;
    else
        ((uint16_t *)t->data)[i] = vc_f32_to_f16(v);
}

static voce_status check_float(const vc_node *n, vc_tensor *const *in, int k)
{
    voce_dtype dt = in[k]->dtype;
    if (dt == VOCE_DTYPE_F32 || dt == VOCE_DTYPE_F16) return VOCE_OK;
    return vc_err_dtype(n, k, dt);
}

static voce_status check_same(const vc_node *n, vc_tensor *const *in, int k)
{
    if (in[k]->dtype == in[0]->dtype) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_DTYPE, "input %d is %s but input 0 is %s", k,
                         voce_dtype_name(in[k]->dtype), voce_dtype_name(in[0]->dtype));
}

static const vc_tensor *opt_in(const vc_node *n, vc_tensor *const *in, int k)
{
    return k < n->n_in ? in[k] : NULL;
}

static voce_status check_vector(const vc_node *n, const vc_tensor *t, int k, int64_t len)
{
    char s[160];
    if (vc_numel(t) == len && (t->rank == 1 || len == 1)) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_SHAPE, "input %d is %s, expected [%lld]", k,
                         vc_shape_str(t->rank, t->dims, s, sizeof s), (long long)len);
}

/* Mean and 1 / sqrt(variance + eps) of x's elements off .. off + len - 1. */
static void moments(const vc_tensor *x, int64_t off, int64_t len, float eps, float *mean,
                    float *inv)
{
    double s = 0.0, q = 0.0;
    for (int64_t i = 0; i < len; i++) s += ld(x, off + i);
    double m = len ? s / (double)len : 0.0;
    for (int64_t i = 0; i < len; i++) {
        double d = ld(x, off + i) - m;
        q += d * d;
    }
    *mean = (float)m;
    *inv = (float)(1.0 / sqrt((len ? q / (double)len : 0.0) + (double)eps));
}

/* ---- LayerNormalization ---- */

/* Scale and B broadcast unidirectionally to the normalized shape x.dims[axis:]. */
static voce_status check_ln_param(const vc_node *n, const vc_tensor *x, int axis,
                                  const vc_tensor *p, int k)
{
    char s1[160], s2[160];
    int nr = x->rank - axis, ok = p->rank <= nr;
    for (int d = 0; ok && d < p->rank; d++) {
        int64_t want = x->dims[x->rank - p->rank + d];
        ok = p->dims[d] == want || p->dims[d] == 1;
    }
    if (ok) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_SHAPE, "input %d %s does not broadcast to %s", k,
                         vc_shape_str(p->rank, p->dims, s1, sizeof s1),
                         vc_shape_str(nr, x->dims + axis, s2, sizeof s2));
}

static voce_status ln_check(const vc_node *n, vc_tensor *const *in, int *axis)
{
    voce_status s;
    const vc_tensor *b = opt_in(n, in, 2);
    if ((s = check_float(n, in, 0)) || (s = check_same(n, in, 1)) ||
        (b && (s = check_same(n, in, 2))))
        return s;
    if (in[0]->rank < 1) return vc_node_error(n, VOCE_ERR_SHAPE, "input must have rank >= 1");
    if ((s = vc_norm_axis(n, vc_attr_int(n, "axis", -1), in[0]->rank, axis))) return s;
    if (vc_attr_int(n, "stash_type", 1) != 1)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "stash_type %lld (only 1, float32)",
                             (long long)vc_attr_int(n, "stash_type", 1));
    if ((s = check_ln_param(n, in[0], *axis, in[1], 1))) return s;
    return b ? check_ln_param(n, in[0], *axis, b, 2) : VOCE_OK;
}

static voce_status ln_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int axis;
    voce_status s = ln_check(n, in, &axis);
    if (s) return s;
    vc_same_shape(&out[0], in[0]);
    for (int k = 1; k < n->n_out && k < 3; k++) {
        vc_same_shape(&out[k], in[0]);
        out[k].dtype = VOCE_DTYPE_F32;
        for (int d = axis; d < in[0]->rank; d++) out[k].dims[d] = 1;
    }
    return VOCE_OK;
}

/* Index into a parameter broadcast to the normalized block, for block element j. */
static int64_t bcast_index(const vc_tensor *x, const vc_tensor *p, int64_t j)
{
    int64_t idx = 0, step = 1;
    for (int d = p->rank - 1, xd = x->rank - 1; d >= 0; d--, xd--) {
        int64_t i = j % x->dims[xd];
        j /= x->dims[xd];
        if (p->dims[d] != 1) idx += i * step;
        step *= p->dims[d];
    }
    return idx;
}

/* Sum of n floats in eight interleaved partial sums (vectorizable, and more accurate
 * than one running sum). */
static float sum8(const float *v, int64_t n)
{
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += v[i + l];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += v[i];
    return s;
}

static float sq_dev8(const float *v, int64_t n, float mean)
{
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            float d = v[i + l] - mean;
            acc[l] += d * d;
        }
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += (v[i] - mean) * (v[i] - mean);
    return s;
}

/* The common case: f32 rows with full-size scale and bias. */
typedef struct ln_job {
    const float *x, *g, *b;
    int64_t rows, len, per_task;
    float eps;
    float *y, *mean_out, *inv_out;
} ln_job;

static void ln_rows_task(void *arg, int64_t task, int worker)
{
    const ln_job *j = arg;
    int64_t len = j->len, r1 = task * j->per_task + j->per_task;
    (void)worker;
    for (int64_t r = task * j->per_task; r < r1 && r < j->rows; r++) {
        const float *xr = j->x + r * len;
        float *yr = j->y + r * len;
        float mean = len ? sum8(xr, len) / (float)len : 0.0f;
        float var = len ? sq_dev8(xr, len, mean) / (float)len : 0.0f;
        float inv = 1.0f / sqrtf(var + j->eps);
        if (j->b)
            for (int64_t k = 0; k < len; k++) yr[k] = (xr[k] - mean) * inv * j->g[k] + j->b[k];
        else
            for (int64_t k = 0; k < len; k++) yr[k] = (xr[k] - mean) * inv * j->g[k];
        if (j->mean_out) j->mean_out[r] = mean;
        if (j->inv_out) j->inv_out[r] = inv;
    }
}

/* Rows shared among threads, at least 2^15 elements per task. */
static void ln_rows_f32(ln_job *j, vc_threads *t)
{
    int64_t n = vc_threads_tasks(t, j->rows, j->rows * j->len, (int64_t)1 << 15);
    j->per_task = (j->rows + n - 1) / n;
    if (j->rows > 0)
        vc_threads_run(n > 1 ? t : NULL, (j->rows + j->per_task - 1) / j->per_task,
                       ln_rows_task, j);
}

static voce_status ln_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int axis;
    voce_status s = ln_check(n, in, &axis);
    if (s) return s;
    const vc_tensor *x = in[0], *scale = in[1], *bias = opt_in(n, in, 2);
    float eps = vc_attr_float(n, "epsilon", 1e-5f);
    int64_t rows = 1, len = 1;
    for (int d = 0; d < x->rank; d++) *(d < axis ? &rows : &len) *= x->dims[d];
    int full_s = vc_numel(scale) == len, full_b = bias && vc_numel(bias) == len;
    if (x->dtype == VOCE_DTYPE_F32 && full_s && (!bias || full_b)) {
        ln_job j = {x->data, scale->data, bias ? bias->data : NULL, rows, len, 0, eps, out[0].data,
                    n->n_out > 1 ? out[1].data : NULL, n->n_out > 2 ? out[2].data : NULL};
        ln_rows_f32(&j, ctx->threads);
        return VOCE_OK;
    }
    for (int64_t r = 0; r < rows; r++) {
        float mean, inv;
        moments(x, r * len, len, eps, &mean, &inv);
        for (int64_t j = 0; j < len; j++) {
            float g = ld(scale, full_s ? j : bcast_index(x, scale, j));
            float b = bias ? ld(bias, full_b ? j : bcast_index(x, bias, j)) : 0.0f;
            st(&out[0], r * len + j, (ld(x, r * len + j) - mean) * inv * g + b);
        }
        if (n->n_out > 1) ((float *)out[1].data)[r] = mean;
        if (n->n_out > 2) ((float *)out[2].data)[r] = inv;
    }
    return VOCE_OK;
}

/* ---- BatchNormalization ---- */

static voce_status bn_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status s;
    if (n->n_in < 5) return vc_node_error(n, VOCE_ERR_FORMAT, "needs 5 inputs (got %d)", n->n_in);
    if (n->n_out > 5) return vc_node_error(n, VOCE_ERR_FORMAT, "too many outputs (%d)", n->n_out);
    if ((s = check_float(n, in, 0))) return s;
    for (int k = 1; k < 5; k++) {
        if (!in[k]) return vc_node_error(n, VOCE_ERR_FORMAT, "input %d is missing", k);
        if ((s = check_float(n, in, k))) return s;
    }
    if (vc_attr_int(n, "training_mode", 0) != 0)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "training_mode=1 (inference only)");
    if (vc_attr_int(n, "spatial", 1) != 1)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "spatial=0 (per-element statistics)");
    if (in[0]->rank < 2)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input must be [N, C, ...] (got rank %d)",
                             in[0]->rank);
    int64_t c = in[0]->dims[1];
    for (int k = 1; k < 5; k++)
        if ((s = check_vector(n, in[k], k, c))) return s;
    vc_same_shape(&out[0], in[0]);
    /* In inference the running statistics pass through unchanged (old opsets list them,
     * and the saved batch statistics, as optional outputs). */
    for (int k = 1; k < n->n_out; k++) vc_same_shape(&out[k], in[k <= 2 ? k + 2 : k]);
    return VOCE_OK;
}

static voce_status bn_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *x = in[0];
    float eps = vc_attr_float(n, "epsilon", 1e-5f);
    int64_t N = x->dims[0], C = x->dims[1], len = 1;
    for (int d = 2; d < x->rank; d++) len *= x->dims[d];
    for (int64_t c = 0; c < C; c++) {
        float a = ld(in[1], c) / sqrtf(ld(in[4], c) + eps);
        float b = ld(in[2], c) - ld(in[3], c) * a;
        for (int64_t nb = 0; nb < N; nb++) {
            int64_t off = (nb * C + c) * len;
            for (int64_t i = 0; i < len; i++) st(&out[0], off + i, ld(x, off + i) * a + b);
        }
    }
    for (int k = 1; k < n->n_out; k++) {
        const vc_tensor *src = in[k <= 2 ? k + 2 : k];
        for (int64_t c = 0; c < C; c++) st(&out[k], c, ld(src, c));
    }
    return VOCE_OK;
}

/* ---- InstanceNormalization and GroupNormalization ---- */

/* Normalise x over groups of channels: G groups of C / G channels, each group's
 * statistics over its channels and all spatial positions. scale/bias are per channel
 * (per_channel) or per group. */
static void group_norm(const vc_tensor *x, vc_tensor *y, int64_t G, const vc_tensor *scale,
                       const vc_tensor *bias, int per_channel, float eps)
{
    int64_t N = x->dims[0], C = x->dims[1], len = 1;
    for (int d = 2; d < x->rank; d++) len *= x->dims[d];
    int64_t cg = C / G, glen = cg * len;
    for (int64_t nb = 0; nb < N; nb++)
        for (int64_t g = 0; g < G; g++) {
            int64_t off = (nb * C + g * cg) * len;
            float mean, inv;
            moments(x, off, glen, eps, &mean, &inv);
            for (int64_t c = 0; c < cg; c++) {
                int64_t pi = per_channel ? g * cg + c : g;
                float a = inv * ld(scale, pi), b = ld(bias, pi) - mean * a;
                for (int64_t i = 0; i < len; i++) {
                    int64_t e = off + c * len + i;
                    st(y, e, ld(x, e) * a + b);
                }
            }
        }
}

static voce_status in_check(const vc_node *n, vc_tensor *const *in)
{
    voce_status s;
    if (n->n_in < 3 || !in[1] || !in[2])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs inputs X, scale and B");
    if ((s = check_float(n, in, 0)) || (s = check_same(n, in, 1)) || (s = check_same(n, in, 2)))
        return s;
    if (in[0]->rank < 3)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input must be [N, C, D1, ...] (got rank %d)",
                             in[0]->rank);
    if ((s = check_vector(n, in[1], 1, in[0]->dims[1]))) return s;
    return check_vector(n, in[2], 2, in[0]->dims[1]);
}

static voce_status in_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status s = in_check(n, in);
    if (!s) vc_same_shape(&out[0], in[0]);
    return s;
}

static voce_status in_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    group_norm(in[0], &out[0], in[0]->dims[1], in[1], in[2], 1, vc_attr_float(n, "epsilon", 1e-5f));
    return VOCE_OK;
}

static voce_status gn_check(const vc_node *n, vc_tensor *const *in, int *per_channel)
{
    voce_status s;
    if (n->n_in < 3 || !in[1] || !in[2])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs inputs X, scale and bias");
    if ((s = check_float(n, in, 0)) || (s = check_same(n, in, 1)) || (s = check_same(n, in, 2)))
        return s;
    if (in[0]->rank < 2)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input must be [N, C, ...] (got rank %d)",
                             in[0]->rank);
    int64_t C = in[0]->dims[1], G = vc_attr_int(n, "num_groups", 0);
    if (G < 1 || C % G)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG,
                             "num_groups %lld does not divide %lld channels", (long long)G,
                             (long long)C);
    if (vc_attr_int(n, "stash_type", 1) != 1)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "stash_type %lld (only 1, float32)",
                             (long long)vc_attr_int(n, "stash_type", 1));
    /* opset 21 scales per channel, opset 18 per group; equal when C == G */
    *per_channel = vc_numel(in[1]) == C;
    int64_t len = *per_channel ? C : G;
    if ((s = check_vector(n, in[1], 1, len))) return s;
    return check_vector(n, in[2], 2, len);
}

static voce_status gn_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int pc;
    voce_status s = gn_check(n, in, &pc);
    if (!s) vc_same_shape(&out[0], in[0]);
    return s;
}

static voce_status gn_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int pc;
    voce_status s = gn_check(n, in, &pc);
    if (s) return s;
    group_norm(in[0], &out[0], vc_attr_int(n, "num_groups", 1), in[1], in[2], pc,
               vc_attr_float(n, "epsilon", 1e-5f));
    return VOCE_OK;
}

/* ---- LpNormalization ---- */

static voce_status lp_check(const vc_node *n, vc_tensor *const *in, int *axis, int *p)
{
    voce_status s;
    if ((s = check_float(n, in, 0))) return s;
    if (in[0]->rank < 1) return vc_node_error(n, VOCE_ERR_SHAPE, "input must have rank >= 1");
    int64_t pv = vc_attr_int(n, "p", 2);
    if (pv != 1 && pv != 2)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "p must be 1 or 2 (got %lld)", (long long)pv);
    *p = (int)pv;
    return vc_norm_axis(n, vc_attr_int(n, "axis", -1), in[0]->rank, axis);
}

static voce_status lp_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int axis, p;
    voce_status s = lp_check(n, in, &axis, &p);
    if (!s) vc_same_shape(&out[0], in[0]);
    return s;
}

/* x / ||x||_p along the axis; a zero norm gives NaN/inf, as the division does in the
 * ONNX reference. */
static voce_status lp_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int axis, p;
    voce_status s = lp_check(n, in, &axis, &p);
    if (s) return s;
    const vc_tensor *x = in[0];
    int64_t outer = 1, len = x->dims[axis], inner = 1;
    for (int d = 0; d < x->rank; d++)
        if (d < axis)
            outer *= x->dims[d];
        else if (d > axis)
            inner *= x->dims[d];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * len * inner + i;
            double acc = 0.0;
            for (int64_t j = 0; j < len; j++) {
                double v = ld(x, base + j * inner);
                acc += p == 1 ? fabs(v) : v * v;
            }
            float norm = (float)(p == 1 ? acc : sqrt(acc));
            for (int64_t j = 0; j < len; j++)
                st(&out[0], base + j * inner, ld(x, base + j * inner) / norm);
        }
    return VOCE_OK;
}

const vc_op vc_ops_norm[] = {
    {"LayerNormalization", ln_infer, ln_run, NULL, 0},
    {"BatchNormalization", bn_infer, bn_run, NULL, 0},
    {"InstanceNormalization", in_infer, in_run, NULL, 0},
    {"GroupNormalization", gn_infer, gn_run, NULL, 0},
    {"LpNormalization", lp_infer, lp_run, NULL, 0},
};
const int vc_ops_norm_count = (int)(sizeof vc_ops_norm / sizeof vc_ops_norm[0]);
