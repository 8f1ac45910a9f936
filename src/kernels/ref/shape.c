/* Reference kernels for shape ops, and the table of all data-movement ops.
 *
 * Here: the views (Reshape, Squeeze, Unsqueeze, Flatten, Identity: VC_OP_ALIAS, only infer
 * matters) and the ops that read shapes (Shape, Size, ConstantOfShape). The ops that move
 * bytes live in shape_move.c and shape_pad.c. Every kernel is dtype-generic by element
 * size. Old-opset attribute forms (axes of Squeeze, ...) are accepted as well as the input
 * forms the importer produces. */
#include "shape_internal.h"

/* ---- Reshape ---- */

static voce_status reshape_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st || (st = vc_sh_check_in(n, in, 1))) return st;
    const vc_tensor *x = in[0];
    int64_t cnt = 0;
    if ((st = vc_sh_check_ints(n, in[1], 1, VOCE_MAX_RANK, &cnt))) return st;
    if ((st = vc_need_data(n, in, 1))) return st;
    int64_t dims[VOCE_MAX_RANK];
    int rank = 0, neg = -1;
    if ((st = vc_sh_read_ints(n, in[1], 1, dims, VOCE_MAX_RANK, &rank))) return st;
    int allowzero = vc_attr_int(n, "allowzero", 0) != 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == -1) {
            if (neg >= 0) return vc_node_error(n, VOCE_ERR_SHAPE, "shape has more than one -1");
            neg = i;
            dims[i] = 1;
        } else if (dims[i] == 0 && !allowzero) {
            if (i >= x->rank)
                return vc_node_error(n, VOCE_ERR_SHAPE,
                                     "shape[%d] = 0 copies a dim the rank-%d input lacks", i, x->rank);
            dims[i] = x->dims[i];
        } else if (dims[i] < 0) {
            return vc_node_error(n, VOCE_ERR_SHAPE, "shape[%d] = %lld is invalid", i,
                                 (long long)dims[i]);
        }
    }
    int64_t have = vc_numel(x), known = vc_shape_numel(rank, dims);
    char s1[128], s2[128];
    if (neg >= 0) {
        /* a zero among the other dims leaves -1 undetermined */
        if (known <= 0 || have % known != 0)
            return vc_node_error(n, VOCE_ERR_SHAPE, "cannot reshape %s into %s (with -1 at %d)",
                                 vc_shape_str(x->rank, x->dims, s1, sizeof s1),
                                 vc_shape_str(rank, dims, s2, sizeof s2), neg);
        dims[neg] = have / known;
    } else if (known != have) {
        return vc_node_error(n, VOCE_ERR_SHAPE, "cannot reshape %s into %s",
                             vc_shape_str(x->rank, x->dims, s1, sizeof s1),
                             vc_shape_str(rank, dims, s2, sizeof s2));
    }
    return vc_sh_set_out(n, &out[0], x->dtype, rank, dims);
}

/* ---- Squeeze / Unsqueeze ---- */

/* Axes from input 1, else from the attribute of older opsets. *have is 0 when neither
 * is given. */
static voce_status read_axes(const vc_node *n, vc_tensor *const *in, int64_t *axes, int *count,
                             int *have)
{
    const vc_tensor *t = vc_sh_opt(n, in, 1);
    *have = 0;
    *count = 0;
    if (t) {
        int64_t c = 0;
        voce_status st = vc_sh_check_ints(n, t, 1, VOCE_MAX_RANK, &c);
        if (st || (st = vc_need_data(n, in, 1))) return st;
        *have = 1;
        return vc_sh_read_ints(n, t, 1, axes, VOCE_MAX_RANK, count);
    }
    int64_t c = 0;
    const int64_t *a = vc_attr_ints(n, "axes", &c);
    if (!a) return VOCE_OK;
    if (c > VOCE_MAX_RANK)
        return vc_node_error(n, VOCE_ERR_SHAPE, "%lld axes, at most %d allowed", (long long)c,
                             VOCE_MAX_RANK);
    for (int64_t i = 0; i < c; i++) axes[i] = a[i];
    *have = 1;
    *count = (int)c;
    return VOCE_OK;
}

/* Normalise axes against rank into a mask; repeated axes are an error. */
static voce_status axes_mask(const vc_node *n, const int64_t *axes, int count, int rank, int *mask)
{
    for (int i = 0; i < rank; i++) mask[i] = 0;
    for (int i = 0; i < count; i++) {
        int a = 0;
        voce_status st = vc_norm_axis(n, axes[i], rank, &a);
        if (st) return st;
        if (mask[a]) return vc_node_error(n, VOCE_ERR_SHAPE, "axis %lld repeated", (long long)axes[i]);
        mask[a] = 1;
    }
    return VOCE_OK;
}

static voce_status squeeze_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    const vc_tensor *x = in[0];
    int64_t axes[VOCE_MAX_RANK], dims[VOCE_MAX_RANK];
    int count = 0, have = 0, mask[VOCE_MAX_RANK], r = 0;
    if ((st = read_axes(n, in, axes, &count, &have))) return st;
    /* empty axes remove every 1-dim, as when absent (what onnxruntime does) */
    if (have && count > 0) {
        if ((st = axes_mask(n, axes, count, x->rank, mask))) return st;
    } else {
        for (int i = 0; i < x->rank; i++) mask[i] = x->dims[i] == 1;
    }
    for (int i = 0; i < x->rank; i++) {
        if (!mask[i]) dims[r++] = x->dims[i];
        else if (x->dims[i] != 1)
            return vc_node_error(n, VOCE_ERR_SHAPE, "cannot squeeze axis %d of size %lld", i,
                                 (long long)x->dims[i]);
    }
    return vc_sh_set_out(n, &out[0], x->dtype, r, dims);
}

static voce_status unsqueeze_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    const vc_tensor *x = in[0];
    int64_t axes[VOCE_MAX_RANK], dims[VOCE_MAX_RANK];
    int count = 0, have = 0, mask[VOCE_MAX_RANK];
    if ((st = read_axes(n, in, axes, &count, &have))) return st;
    if (!have) return vc_node_error(n, VOCE_ERR_FORMAT, "axes are missing");
    int rank = x->rank + count;
    if (rank > VOCE_MAX_RANK)
        return vc_node_error(n, VOCE_ERR_SHAPE, "output rank %d exceeds the limit %d", rank,
                             VOCE_MAX_RANK);
    if ((st = axes_mask(n, axes, count, rank, mask))) return st;
    for (int i = 0, k = 0; i < rank; i++) dims[i] = mask[i] ? 1 : x->dims[k++];
    return vc_sh_set_out(n, &out[0], x->dtype, rank, dims);
}

/* ---- Flatten / Identity ---- */

static voce_status flatten_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    const vc_tensor *x = in[0];
    int64_t axis = vc_attr_int(n, "axis", 1);
    if (axis < -(int64_t)x->rank || axis > x->rank)
        return vc_node_error(n, VOCE_ERR_SHAPE, "axis %lld out of range for rank %d",
                             (long long)axis, x->rank);
    int a = (int)(axis < 0 ? axis + x->rank : axis);
    int64_t dims[2] = {vc_shape_numel(a, x->dims), vc_shape_numel(x->rank - a, x->dims + a)};
    return vc_sh_set_out(n, &out[0], x->dtype, 2, dims);
}

static voce_status identity_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    return VOCE_OK;
}

/* ---- Shape / Size ---- */

/* Shape's [start, end) range of dims (opset 15), clamped like Slice. */
static void shape_range(const vc_node *n, int rank, int64_t *start, int64_t *end)
{
    int64_t s = vc_attr_int(n, "start", 0), e = vc_attr_int(n, "end", rank);
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    s = s < 0 ? 0 : s > rank ? rank : s;
    e = e < 0 ? 0 : e > rank ? rank : e;
    *start = s;
    *end = e < s ? s : e;
}

static voce_status shape_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    int64_t s = 0, e = 0;
    shape_range(n, in[0]->rank, &s, &e);
    int64_t len = e - s;
    return vc_sh_set_out(n, &out[0], VOCE_DTYPE_I64, 1, &len);
}

static voce_status shape_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int64_t s = 0, e = 0;
    shape_range(n, in[0]->rank, &s, &e);
    int64_t *o = out[0].data;
    for (int64_t i = s; i < e; i++) o[i - s] = in[0]->dims[i];
    return VOCE_OK;
}

static voce_status size_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    return vc_sh_set_out(n, &out[0], VOCE_DTYPE_I64, 0, NULL);
}

static voce_status size_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    *(int64_t *)out[0].data = vc_numel(in[0]);
    return VOCE_OK;
}

/* ---- ConstantOfShape ---- */

/* The fill value: the 1-element TENSOR attribute 'value', or f32 0. */
static voce_status cos_value(const vc_node *n, const vc_tensor **value)
{
    const vc_attr *a = vc_attr_find(n, "value");
    *value = NULL;
    if (!a) return VOCE_OK;
    if (a->type != VC_ATTR_TENSOR)
        return vc_node_error(n, VOCE_ERR_FORMAT, "attribute 'value' must be a tensor");
    if (voce_dtype_size(a->t.dtype) == 0)
        return vc_node_error(n, VOCE_ERR_DTYPE, "attribute 'value' has unsupported dtype %s",
                             voce_dtype_name(a->t.dtype));
    if (vc_numel(&a->t) != 1 || !a->t.data)
        return vc_node_error(n, VOCE_ERR_SHAPE, "attribute 'value' must hold one element");
    *value = &a->t;
    return VOCE_OK;
}

static voce_status cos_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    const vc_tensor *value;
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st || (st = cos_value(n, &value))) return st;
    int64_t cnt = 0;
    if ((st = vc_sh_check_ints(n, in[0], 0, VOCE_MAX_RANK, &cnt))) return st;
    if ((st = vc_need_data(n, in, 0))) return st;
    int64_t dims[VOCE_MAX_RANK];
    int rank = 0;
    if ((st = vc_sh_read_ints(n, in[0], 0, dims, VOCE_MAX_RANK, &rank))) return st;
    return vc_sh_set_out(n, &out[0], value ? value->dtype : VOCE_DTYPE_F32, rank, dims);
}

static voce_status cos_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *value;
    voce_status st = cos_value(n, &value);
    if (st) return st;
    static const float zero = 0.0f;
    vc_sh_fill(out[0].data, value ? value->data : (const void *)&zero, vc_numel(&out[0]),
               voce_dtype_size(out[0].dtype));
    return VOCE_OK;
}

/* ---- the table ---- */

#define OP(name, fn) {name, vc_sh_##fn##_infer, vc_sh_##fn##_run, NULL, 0}

const vc_op vc_ops_shape[] = {
    {"Reshape", reshape_infer, vc_sh_alias_run, NULL, VC_OP_ALIAS},
    {"Squeeze", squeeze_infer, vc_sh_alias_run, NULL, VC_OP_ALIAS},
    {"Unsqueeze", unsqueeze_infer, vc_sh_alias_run, NULL, VC_OP_ALIAS},
    {"Flatten", flatten_infer, vc_sh_alias_run, NULL, VC_OP_ALIAS},
    {"Identity", identity_infer, vc_sh_alias_run, NULL, VC_OP_ALIAS},
    {"Shape", shape_infer, shape_run, NULL, 0},
    {"Size", size_infer, size_run, NULL, 0},
    {"ConstantOfShape", cos_infer, cos_run, NULL, 0},
    OP("Transpose", transpose),
    OP("Concat", concat),
    OP("Split", split),
    OP("Slice", slice),
    OP("Expand", expand),
    OP("Tile", tile),
    OP("DepthToSpace", depth_to_space),
    OP("SpaceToDepth", space_to_depth),
    OP("Pad", pad),
};
const int vc_ops_shape_count = (int)(sizeof vc_ops_shape / sizeof vc_ops_shape[0]);
