/* Reference kernels for indexing ops: Gather, GatherElements, GatherND, ScatterND,
 * ScatterElements, Range, Trilu, NonZero, OneHot.
 *
 * Data moves by element size, so every dtype works; only the Scatter reductions do
 * arithmetic (all numeric dtypes and bool; integers wrap). Index tensors are i32 or i64
 * and may be negative (counted from the end). Index values are data: infer checks what
 * shapes can tell, run rejects out-of-range values with VOCE_ERR_INVALID_ARG.
 * NonZero's output shape depends on the values, so its infer reads the input. */
#include <math.h>

#include "shape_internal.h"

#include "../../core/f16.h"

/* ---- shared helpers ---- */

static voce_status check_index_dtype(const vc_node *n, const vc_tensor *t, int k)
{
    if (t->dtype != VOCE_DTYPE_I64 && t->dtype != VOCE_DTYPE_I32) return vc_err_dtype(n, k, t->dtype);
    return VOCE_OK;
}

static inline int64_t index_at(const vc_tensor *t, int64_t i)
{
    return t->dtype == VOCE_DTYPE_I64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
}

/* v counted from the end when negative; -1 when outside [-dim, dim). */
static inline int64_t norm_index(int64_t v, int64_t dim)
{
    if (v < 0) v += dim;
    return v >= 0 && v < dim ? v : -1;
}

static voce_status index_error(const vc_node *n, int64_t v, int64_t dim)
{
    return vc_node_error(n, VOCE_ERR_INVALID_ARG, "index %lld out of range for a dim of size %lld",
                         (long long)v, (long long)dim);
}

/* Indexing into an empty dim can only fail: the one index check infer can make. */
static voce_status empty_dim_check(const vc_node *n, int64_t dim, int64_t n_index)
{
    if (dim == 0 && n_index > 0)
        return vc_node_error(n, VOCE_ERR_SHAPE, "%lld indices into an empty axis", (long long)n_index);
    return VOCE_OK;
}

static void copy_block(char *dst, const char *src, int64_t count, size_t esz)
{
    if (count == 1) vc_sh_copy_elem(dst, src, esz);
    else if (count > 0) memcpy(dst, src, (size_t)count * esz);
}

/* ---- Scatter reductions ---- */

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

static voce_status reduction_mode(const vc_node *n, int *red)
{
    const char *s = vc_attr_string(n, "reduction", "none");
    if (!strcmp(s, "none")) *red = RED_NONE;
    else if (!strcmp(s, "add")) *red = RED_ADD;
    else if (!strcmp(s, "mul")) *red = RED_MUL;
    else if (!strcmp(s, "max")) *red = RED_MAX;
    else if (!strcmp(s, "min")) *red = RED_MIN;
    else return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "reduction '%s' is unknown", s);
    return VOCE_OK;
}

#define RED_LOOP(T, ADD, MUL)                                                              \
    do {                                                                                   \
        T a_, b_;                                                                          \
        for (int64_t i = 0; i < cnt; i++) {                                                \
            memcpy(&a_, dst + i * (int64_t)sizeof(T), sizeof(T));                          \
            memcpy(&b_, src + i * (int64_t)sizeof(T), sizeof(T));                          \
            if (red == RED_ADD) a_ = ADD;                                                  \
            else if (red == RED_MUL) a_ = MUL;                                             \
            else if (red == RED_MAX) a_ = b_ > a_ ? b_ : a_;                               \
            else a_ = b_ < a_ ? b_ : a_;                                                   \
            memcpy(dst + i * (int64_t)sizeof(T), &a_, sizeof(T));                          \
        }                                                                                  \
    } while (0)

/* Integer arithmetic goes through uint64_t: wraps instead of overflowing. */
#define RED_INT(T) RED_LOOP(T, (T)((uint64_t)a_ + (uint64_t)b_), (T)((uint64_t)a_ * (uint64_t)b_))

/* dst[i] = dst[i] (red) src[i] for cnt elements of dtype dt. */
static void reduce_into(voce_dtype dt, int red, char *dst, const char *src, int64_t cnt)
{
    switch (dt) {
    case VOCE_DTYPE_F32: RED_LOOP(float, a_ + b_, a_ * b_); break;
    case VOCE_DTYPE_F64: RED_LOOP(double, a_ + b_, a_ * b_); break;
    case VOCE_DTYPE_I8: RED_INT(int8_t); break;
    case VOCE_DTYPE_I16: RED_INT(int16_t); break;
    case VOCE_DTYPE_I32: RED_INT(int32_t); break;
    case VOCE_DTYPE_I64: RED_INT(int64_t); break;
    case VOCE_DTYPE_U8: RED_INT(uint8_t); break;
    case VOCE_DTYPE_U16: RED_INT(uint16_t); break;
    case VOCE_DTYPE_U32: RED_INT(uint32_t); break;
    case VOCE_DTYPE_U64: RED_INT(uint64_t); break;
    case VOCE_DTYPE_BOOL: RED_LOOP(uint8_t, (uint8_t)(a_ | b_), (uint8_t)(a_ & b_)); break;
    case VOCE_DTYPE_F16:
        for (int64_t i = 0; i < cnt; i++) {
            uint16_t ha, hb;
            memcpy(&ha, dst + 2 * i, 2);
            memcpy(&hb, src + 2 * i, 2);
            float a = vc_f16_to_f32(ha), b = vc_f16_to_f32(hb);
            a = red == RED_ADD ? a + b : red == RED_MUL ? a * b : red == RED_MAX ? (b > a ? b : a) : (b < a ? b : a);
            ha = vc_f32_to_f16(a);
            memcpy(dst + 2 * i, &ha, 2);
        }
        break;
    case VOCE_DTYPE_UNDEFINED: break;
    }
}

static void scatter_block(voce_dtype dt, int red, char *dst, const char *src, int64_t cnt)
{
    if (red == RED_NONE) copy_block(dst, src, cnt, voce_dtype_size(dt));
    else reduce_into(dt, red, dst, src, cnt);
}

/* ---- Gather ---- */

static voce_status gather_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st || (st = vc_sh_check_in(n, in, 1)) || (st = check_index_dtype(n, in[1], 1))) return st;
    const vc_tensor *x = in[0], *ix = in[1];
    int axis = 0;
    if ((st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), x->rank, &axis))) return st;
    if ((st = empty_dim_check(n, x->dims[axis], vc_numel(ix)))) return st;
    int rank = x->rank - 1 + ix->rank, r = 0;
    if (rank > VOCE_MAX_RANK)
        return vc_node_error(n, VOCE_ERR_SHAPE, "output rank %d exceeds the limit %d", rank, VOCE_MAX_RANK);
    int64_t dims[VOCE_MAX_RANK];
    for (int d = 0; d < axis; d++) dims[r++] = x->dims[d];
    for (int d = 0; d < ix->rank; d++) dims[r++] = ix->dims[d];
    for (int d = axis + 1; d < x->rank; d++) dims[r++] = x->dims[d];
    return vc_sh_set_out(n, &out[0], x->dtype, rank, dims);
}

static voce_status gather_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *x = in[0], *ix = in[1];
    int axis = 0;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), x->rank, &axis);
    if (st) return st;
    size_t esz = voce_dtype_size(x->dtype);
    int64_t outer = vc_shape_numel(axis, x->dims), dim = x->dims[axis];
    int64_t inner = vc_shape_numel(x->rank - axis - 1, x->dims + axis + 1), ni = vc_numel(ix);
    for (int64_t j = 0; j < ni; j++)
        if (norm_index(index_at(ix, j), dim) < 0) return index_error(n, index_at(ix, j), dim);
    const size_t blk = (size_t)inner * esz;
    char *dst = out[0].data;
    const char *src = x->data;
    for (int64_t o = 0; o < outer; o++, src += (size_t)dim * blk)
        for (int64_t j = 0; j < ni; j++, dst += blk)
            copy_block(dst, src + (size_t)norm_index(index_at(ix, j), dim) * blk, inner, esz);
    return VOCE_OK;
}

/* ---- GatherElements / ScatterElements ---- */

/* Checks shared by both: indices as rank as data, no larger than data off the axis. */
static voce_status elements_check(const vc_node *n, vc_tensor *const *in, int *axis)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st || (st = vc_sh_check_in(n, in, 1)) || (st = check_index_dtype(n, in[1], 1))) return st;
    const vc_tensor *x = in[0], *ix = in[1];
    if ((st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), x->rank, axis))) return st;
    char s1[128], s2[128];
    int ok = ix->rank == x->rank;
    for (int d = 0; ok && d < x->rank; d++) ok = d == *axis || ix->dims[d] <= x->dims[d];
    if (!ok)
        return vc_node_error(n, VOCE_ERR_SHAPE, "indices %s do not fit data %s on axis %d",
                             vc_shape_str(ix->rank, ix->dims, s1, sizeof s1),
                             vc_shape_str(x->rank, x->dims, s2, sizeof s2), *axis);
    return empty_dim_check(n, x->dims[*axis], vc_numel(ix));
}

/* Walks every position of indices; for each, the data element at the same position with
 * the axis coordinate replaced by the index. scatter: NULL for GatherElements (data to
 * out), else the updates (into out, which already holds data). */
static voce_status elements_walk(const vc_node *n, const vc_tensor *x, const vc_tensor *ix, int axis,
                                 char *out, const vc_tensor *upd, int red)
{
    int r = x->rank, last = r - 1;
    int64_t total = vc_numel(ix);
    if (total == 0) return VOCE_OK;
    size_t esz = voce_dtype_size(x->dtype);
    const int64_t e = (int64_t)esz;
    int64_t xstr[VOCE_MAX_RANK], idx[VOCE_MAX_RANK] = {0};
    vc_sh_strides(r, x->dims, xstr);
    int64_t cols = ix->dims[last], dim = x->dims[axis], base = 0;
    int64_t col_step = axis == last ? 0 : xstr[last];
    char *data = upd ? out : (char *)x->data;
    for (int64_t row = 0; row * cols < total; row++) {
        for (int64_t c = 0; c < cols; c++) {
            int64_t i = row * cols + c, v = norm_index(index_at(ix, i), dim);
            if (v < 0) return index_error(n, index_at(ix, i), dim);
            char *elem = data + (base + c * col_step + v * xstr[axis]) * e;
            if (!upd) vc_sh_copy_elem(out + i * e, elem, esz);
            else scatter_block(x->dtype, red, elem, (const char *)upd->data + i * e, 1);
        }
        for (int d = last - 1; d >= 0; d--) {
            int64_t s = d == axis ? 0 : xstr[d];
            base += s;
            if (++idx[d] < ix->dims[d]) break;
            base -= s * idx[d];
            idx[d] = 0;
        }
    }
    return VOCE_OK;
}

static voce_status gather_elements_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int axis = 0;
    voce_status st = elements_check(n, in, &axis);
    if (st) return st;
    return vc_sh_set_out(n, &out[0], in[0]->dtype, in[1]->rank, in[1]->dims);
}

static voce_status gather_elements_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                       vc_ctx *ctx)
{
    int axis = 0;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), in[0]->rank, &axis);
    if (st) return st;
    return elements_walk(n, in[0], in[1], axis, out[0].data, NULL, RED_NONE);
}

static voce_status scatter_elements_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int axis = 0, red = 0;
    voce_status st = elements_check(n, in, &axis);
    if (st || (st = vc_sh_check_in(n, in, 2)) || (st = reduction_mode(n, &red))) return st;
    const vc_tensor *ix = in[1], *u = in[2];
    if (u->dtype != in[0]->dtype) return vc_err_dtype(n, 2, u->dtype);
    int same = u->rank == ix->rank;
    for (int d = 0; same && d < ix->rank; d++) same = u->dims[d] == ix->dims[d];
    if (!same) return vc_node_error(n, VOCE_ERR_SHAPE, "updates and indices differ in shape");
    vc_same_shape(&out[0], in[0]);
    return VOCE_OK;
}

static voce_status scatter_elements_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                        vc_ctx *ctx)
{
    int axis = 0, red = 0;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), in[0]->rank, &axis);
    if (st || (st = reduction_mode(n, &red))) return st;
    size_t nb = vc_nbytes(in[0]);
    if (nb) memcpy(out[0].data, in[0]->data, nb);
    return elements_walk(n, in[0], in[1], axis, out[0].data, in[2], red);
}

/* ---- GatherND / ScatterND ---- */

/* Flat element offset (within data's dims from `first`) of index tuple t of k values. */
static voce_status nd_offset(const vc_node *n, const vc_tensor *ix, int64_t t, int k,
                             const int64_t *dims, const int64_t *str, int64_t *off)
{
    int64_t o = 0;
    for (int j = 0; j < k; j++) {
        int64_t raw = index_at(ix, t * k + j), v = norm_index(raw, dims[j]);
        if (v < 0) return index_error(n, raw, dims[j]);
        o += v * str[j];
    }
    *off = o;
    return VOCE_OK;
}

static voce_status gather_nd_check(const vc_node *n, vc_tensor *const *in, int *b, int *k)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st || (st = vc_sh_check_in(n, in, 1)) || (st = check_index_dtype(n, in[1], 1))) return st;
    const vc_tensor *x = in[0], *ix = in[1];
    int64_t bd = vc_attr_int(n, "batch_dims", 0);
    int q = ix->rank, r = x->rank;
    if (q < 1 || r < 1) return vc_node_error(n, VOCE_ERR_SHAPE, "data and indices need rank >= 1");
    if (bd < 0 || bd >= (q < r ? q : r))
        return vc_node_error(n, VOCE_ERR_SHAPE, "batch_dims %lld out of range", (long long)bd);
    *b = (int)bd;
    int64_t kk = ix->dims[q - 1];
    if (kk < 1 || kk > r - bd)
        return vc_node_error(n, VOCE_ERR_SHAPE, "indices' last dim %lld must lie in [1, %d]", (long long)kk,
                             r - *b);
    *k = (int)kk;
    for (int d = 0; d < *b; d++)
        if (x->dims[d] != ix->dims[d])
            return vc_node_error(n, VOCE_ERR_SHAPE, "batch dim %d differs: %lld and %lld", d,
                                 (long long)x->dims[d], (long long)ix->dims[d]);
    int64_t tuples = vc_shape_numel(q - 1, ix->dims);
    for (int j = 0; j < *k; j++)
        if ((st = empty_dim_check(n, x->dims[*b + j], tuples))) return st;
    return VOCE_OK;
}

static voce_status gather_nd_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int b = 0, k = 0;
    voce_status st = gather_nd_check(n, in, &b, &k);
    if (st) return st;
    const vc_tensor *x = in[0], *ix = in[1];
    int rank = ix->rank - 1 + x->rank - b - k, r = 0;
    if (rank > VOCE_MAX_RANK)
        return vc_node_error(n, VOCE_ERR_SHAPE, "output rank %d exceeds the limit %d", rank, VOCE_MAX_RANK);
    int64_t dims[VOCE_MAX_RANK];
    for (int d = 0; d < ix->rank - 1; d++) dims[r++] = ix->dims[d];
    for (int d = b + k; d < x->rank; d++) dims[r++] = x->dims[d];
    return vc_sh_set_out(n, &out[0], x->dtype, rank, dims);
}

static voce_status gather_nd_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int b = 0, k = 0;
    voce_status st = gather_nd_check(n, in, &b, &k);
    if (st) return st;
    const vc_tensor *x = in[0], *ix = in[1];
    size_t esz = voce_dtype_size(x->dtype);
    int64_t xstr[VOCE_MAX_RANK];
    vc_sh_strides(x->rank, x->dims, xstr);
    int64_t batches = vc_shape_numel(b, x->dims);
    int64_t per = vc_shape_numel(ix->rank - 1 - b, ix->dims + b);   /* tuples per batch */
    int64_t slice = vc_shape_numel(x->rank - b - k, x->dims + b + k);
    int64_t bstride = vc_shape_numel(x->rank - b, x->dims + b);
    char *dst = out[0].data;
    for (int64_t bi = 0; bi < batches; bi++) {
        const char *src = (const char *)x->data + (size_t)(bi * bstride) * esz;
        for (int64_t t = 0; t < per; t++, dst += (size_t)slice * esz) {
            int64_t off = 0;
            if ((st = nd_offset(n, ix, bi * per + t, k, x->dims + b, xstr + b, &off))) return st;
            copy_block(dst, src + (size_t)off * esz, slice, esz);
        }
    }
    return VOCE_OK;
}

static voce_status scatter_nd_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    int red = 0;
    if (st || (st = vc_sh_check_in(n, in, 1)) || (st = vc_sh_check_in(n, in, 2))) return st;
    if ((st = check_index_dtype(n, in[1], 1)) || (st = reduction_mode(n, &red))) return st;
    const vc_tensor *x = in[0], *ix = in[1], *u = in[2];
    if (u->dtype != x->dtype) return vc_err_dtype(n, 2, u->dtype);
    int q = ix->rank;
    if (q < 1) return vc_node_error(n, VOCE_ERR_SHAPE, "indices need rank >= 1");
    int64_t k = ix->dims[q - 1];
    if (k > x->rank)
        return vc_node_error(n, VOCE_ERR_SHAPE, "indices' last dim %lld exceeds data rank %d", (long long)k,
                             x->rank);
    /* updates: indices.shape[:-1] + data.shape[k:] */
    int ok = u->rank == q - 1 + x->rank - (int)k;
    for (int d = 0; ok && d < q - 1; d++) ok = u->dims[d] == ix->dims[d];
    for (int d = (int)k; ok && d < x->rank; d++) ok = u->dims[q - 1 + d - k] == x->dims[d];
    if (!ok) {
        char s1[128];
        return vc_node_error(n, VOCE_ERR_SHAPE, "updates have shape %s, not indices[:-1] + data[%lld:]",
                             vc_shape_str(u->rank, u->dims, s1, sizeof s1), (long long)k);
    }
    int64_t tuples = vc_shape_numel(q - 1, ix->dims);
    for (int j = 0; j < k; j++)
        if ((st = empty_dim_check(n, x->dims[j], tuples))) return st;
    vc_same_shape(&out[0], x);
    return VOCE_OK;
}

static voce_status scatter_nd_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *x = in[0], *ix = in[1], *u = in[2];
    int red = 0;
    voce_status st = reduction_mode(n, &red);
    if (st) return st;
    size_t esz = voce_dtype_size(x->dtype), nb = vc_nbytes(x);
    if (nb) memcpy(out[0].data, x->data, nb);
    int k = (int)ix->dims[ix->rank - 1];
    int64_t xstr[VOCE_MAX_RANK];
    vc_sh_strides(x->rank, x->dims, xstr);
    int64_t tuples = vc_shape_numel(ix->rank - 1, ix->dims);
    int64_t slice = vc_shape_numel(x->rank - k, x->dims + k);
    const char *src = u->data;
    for (int64_t t = 0; t < tuples; t++, src += (size_t)slice * esz) {
        int64_t off = 0;
        if ((st = nd_offset(n, ix, t, k, x->dims, xstr, &off))) return st;
        scatter_block(x->dtype, red, (char *)out[0].data + (size_t)off * esz, src, slice);
    }
    return VOCE_OK;
}

/* ---- Range ---- */

static voce_status range_count(const vc_node *n, vc_tensor *const *in, int64_t *count)
{
    const vc_tensor *s = in[0], *l = in[1], *d = in[2];
    if (vc_dtype_is_float(s->dtype)) {
        double a = vc_get_f64(s, 0), b = vc_get_f64(l, 0), c = vc_get_f64(d, 0);
        if (!isfinite(a) || !isfinite(b) || !isfinite(c) || c == 0)
            return vc_node_error(n, VOCE_ERR_INVALID_ARG, "start, limit and delta must be finite, delta non-zero");
        /* the difference in the tensor's precision, as other runtimes compute it */
        double diff = s->dtype == VOCE_DTYPE_F64 ? b - a : (double)((float)b - (float)a);
        double q = ceil(diff / c);
        if (q > (double)VC_MAX_NUMEL)
            return vc_node_error(n, VOCE_ERR_NOMEM, "range of %g elements is too large", q);
        *count = q > 0 ? (int64_t)q : 0;
        return VOCE_OK;
    }
    int64_t a = vc_get_int(s, 0), b = vc_get_int(l, 0), c = vc_get_int(d, 0);
    if (c == 0) return vc_node_error(n, VOCE_ERR_INVALID_ARG, "delta is 0");
    /* unsigned differences cannot overflow; |INT64_MIN| is formed as ~x + 1 */
    uint64_t diff, step = c > 0 ? (uint64_t)c : ~(uint64_t)c + 1;
    if (c > 0 ? b <= a : b >= a) {
        *count = 0;
        return VOCE_OK;
    }
    diff = c > 0 ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
    uint64_t q = diff / step + (diff % step != 0);
    if (q > (uint64_t)VC_MAX_NUMEL)
        return vc_node_error(n, VOCE_ERR_NOMEM, "range of %llu elements is too large", (unsigned long long)q);
    *count = (int64_t)q;
    return VOCE_OK;
}

static voce_status range_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    for (int k = 0; k < 3; k++) {
        if ((st = vc_sh_check_in(n, in, k))) return st;
        if (in[k]->dtype != in[0]->dtype) return vc_err_dtype(n, k, in[k]->dtype);
        if (vc_numel(in[k]) != 1 || in[k]->rank > 1)
            return vc_node_error(n, VOCE_ERR_SHAPE, "input %d must be a scalar", k);
    }
    switch (in[0]->dtype) {
    case VOCE_DTYPE_F32: case VOCE_DTYPE_F64: case VOCE_DTYPE_I16: case VOCE_DTYPE_I32:
    case VOCE_DTYPE_I64: break;
    default: return vc_err_dtype(n, 0, in[0]->dtype);
    }
    for (int k = 0; k < 3; k++)
        if ((st = vc_need_data(n, in, k))) return st;
    int64_t count = 0;
    if ((st = range_count(n, in, &count))) return st;
    return vc_sh_set_out(n, &out[0], in[0]->dtype, 1, &count);
}

static voce_status range_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int64_t cnt = out[0].dims[0];
    void *o = out[0].data;
    switch (out[0].dtype) {
    case VOCE_DTYPE_F32: {
        float s = *(const float *)in[0]->data, d = *(const float *)in[2]->data;
        for (int64_t i = 0; i < cnt; i++) ((float *)o)[i] = s + (float)i * d;
        break;
    }
    case VOCE_DTYPE_F64: {
        double s = *(const double *)in[0]->data, d = *(const double *)in[2]->data;
        for (int64_t i = 0; i < cnt; i++) ((double *)o)[i] = s + (double)i * d;
        break;
    }
    default: {
        /* every value lies between start and limit, so it fits the dtype; the unsigned
         * sum avoids overflow in i * delta on the way there */
        uint64_t s = (uint64_t)vc_get_int(in[0], 0), d = (uint64_t)vc_get_int(in[2], 0);
        for (int64_t i = 0; i < cnt; i++) {
            int64_t v = (int64_t)(s + (uint64_t)i * d);
            if (out[0].dtype == VOCE_DTYPE_I64) ((int64_t *)o)[i] = v;
            else if (out[0].dtype == VOCE_DTYPE_I32) ((int32_t *)o)[i] = (int32_t)v;
            else ((int16_t *)o)[i] = (int16_t)v;
        }
        break;
    }
    }
    return VOCE_OK;
}

/* ---- Trilu ---- */

static voce_status trilu_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    if (in[0]->rank < 2) return vc_node_error(n, VOCE_ERR_SHAPE, "input needs rank >= 2, has %d", in[0]->rank);
    const vc_tensor *k = vc_sh_opt(n, in, 1);
    if (k) {
        int64_t c = 0;
        if ((st = vc_sh_check_ints(n, k, 1, 1, &c))) return st;
        if (c != 1) return vc_node_error(n, VOCE_ERR_SHAPE, "k must hold one value");
    }
    vc_same_shape(&out[0], in[0]);
    return VOCE_OK;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static voce_status trilu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *x = in[0], *kt = vc_sh_opt(n, in, 1);
    int r = x->rank, upper = vc_attr_int(n, "upper", 1) != 0;
    int64_t rows = x->dims[r - 2], cols = x->dims[r - 1];
    int64_t mats = vc_shape_numel(r - 2, x->dims);
    if (rows == 0 || cols == 0 || mats == 0) return VOCE_OK;
    /* beyond these bounds k keeps or drops everything: clamping keeps i + k exact */
    int64_t k = clamp64(kt ? vc_get_int(kt, 0) : 0, -rows - 1, cols + 1);
    size_t esz = voce_dtype_size(x->dtype), row_bytes = (size_t)cols * esz;
    const char *src = x->data;
    char *dst = out[0].data;
    for (int64_t m = 0; m < mats; m++) {
        for (int64_t i = 0; i < rows; i++, src += row_bytes, dst += row_bytes) {
            /* columns [keep0, keep1) survive; all-zero bytes are 0 in every dtype */
            int64_t keep0 = upper ? clamp64(i + k, 0, cols) : 0;
            int64_t keep1 = upper ? cols : clamp64(i + k + 1, 0, cols);
            if (keep1 < keep0) keep1 = keep0;
            memset(dst, 0, (size_t)keep0 * esz);
            memcpy(dst + (size_t)keep0 * esz, src + (size_t)keep0 * esz, (size_t)(keep1 - keep0) * esz);
            memset(dst + (size_t)keep1 * esz, 0, (size_t)(cols - keep1) * esz);
        }
    }
    return VOCE_OK;
}

/* ---- NonZero ---- */

/* Bits that make an element non-zero: all of them, except the sign of floats (-0.0). */
static uint64_t nz_mask(voce_dtype dt)
{
    switch (dt) {
    case VOCE_DTYPE_F16: return 0x7fff;
    case VOCE_DTYPE_F32: return 0x7fffffff;
    case VOCE_DTYPE_F64: return 0x7fffffffffffffffull;
    default: return ~(uint64_t)0;
    }
}

static inline int nz_test(const char *p, size_t esz, uint64_t mask)
{
    switch (esz) {
    case 1: { uint8_t v; memcpy(&v, p, 1); return (v & mask) != 0; }
    case 2: { uint16_t v; memcpy(&v, p, 2); return (v & mask) != 0; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return (v & mask) != 0; }
    default: { uint64_t v; memcpy(&v, p, 8); return (v & mask) != 0; }
    }
}

/* Counts the non-zero elements; with out, also writes their coordinates ([rank, nz]). */
static int64_t nz_scan(const vc_tensor *x, int64_t *out, int64_t nz)
{
    int r = x->rank;
    int64_t total = vc_numel(x), idx[VOCE_MAX_RANK] = {0}, k = 0;
    size_t esz = voce_dtype_size(x->dtype);
    uint64_t mask = nz_mask(x->dtype);
    const char *p = x->data;
    for (int64_t i = 0; i < total; i++) {
        if (nz_test(p + (size_t)i * esz, esz, mask)) {
            if (out) {
                for (int d = 0; d < r; d++) out[d * nz + k] = idx[d];
                if (r == 0) out[k] = 0;
            }
            k++;
        }
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < x->dims[d]) break;
            idx[d] = 0;
        }
    }
    return k;
}

static voce_status nonzero_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st || (st = vc_need_data(n, in, 0))) return st;
    /* a scalar is treated as a 1-element vector, as numpy and other runtimes do */
    int64_t dims[2] = {in[0]->rank ? in[0]->rank : 1, nz_scan(in[0], NULL, 0)};
    return vc_sh_set_out(n, &out[0], VOCE_DTYPE_I64, 2, dims);
}

static voce_status nonzero_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    nz_scan(in[0], out[0].data, out[0].dims[1]);
    return VOCE_OK;
}

/* ---- OneHot ---- */

/* Element i of a numeric tensor as an index into depth; -1 when out of range (float
 * indices are truncated, as a cast to int64 would). */
static int64_t onehot_index(const vc_tensor *t, int64_t i, int64_t depth)
{
    int64_t v = 0;
    if (vc_dtype_is_float(t->dtype)) {
        double f = vc_get_f64(t, i);
        if (!(f > -(double)depth - 1 && f < (double)depth)) return -1;
        v = (int64_t)f;
    } else {
        v = vc_get_int(t, i);
    }
    return norm_index(v, depth);
}

static voce_status onehot_depth(const vc_node *n, const vc_tensor *t, int64_t *depth)
{
    double f = vc_get_f64(t, 0);
    if (!(f >= 0 && f <= (double)VC_MAX_NUMEL))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "depth %g is invalid", f);
    *depth = (int64_t)f;
    return VOCE_OK;
}

static voce_status onehot_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    for (int k = 0; k < 3; k++)
        if ((st = vc_sh_check_in(n, in, k))) return st;
    const vc_tensor *ix = in[0], *dp = in[1], *val = in[2];
    if (ix->dtype == VOCE_DTYPE_BOOL) return vc_err_dtype(n, 0, ix->dtype);
    if (dp->dtype == VOCE_DTYPE_BOOL) return vc_err_dtype(n, 1, dp->dtype);
    if (vc_numel(dp) != 1 || dp->rank > 1) return vc_node_error(n, VOCE_ERR_SHAPE, "depth must be a scalar");
    if (vc_numel(val) != 2 || val->rank != 1)
        return vc_node_error(n, VOCE_ERR_SHAPE, "values must be [off, on]");
    int rank = ix->rank + 1, axis;
    if (rank > VOCE_MAX_RANK)
        return vc_node_error(n, VOCE_ERR_SHAPE, "output rank %d exceeds the limit %d", rank, VOCE_MAX_RANK);
    if ((st = vc_norm_axis(n, vc_attr_int(n, "axis", -1), rank, &axis))) return st;
    if ((st = vc_need_data(n, in, 1))) return st;
    int64_t depth = 0, dims[VOCE_MAX_RANK];
    if ((st = onehot_depth(n, dp, &depth))) return st;
    for (int d = 0, j = 0; d < rank; d++) dims[d] = d == axis ? depth : ix->dims[j++];
    return vc_sh_set_out(n, &out[0], val->dtype, rank, dims);
}

static voce_status onehot_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *ix = in[0], *val = in[2];
    int axis = 0;
    int64_t depth = 0;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", -1), ix->rank + 1, &axis);
    if (st || (st = onehot_depth(n, in[1], &depth))) return st;
    size_t esz = voce_dtype_size(val->dtype);
    const char *off = val->data, *on = off + esz;
    vc_sh_fill(out[0].data, off, vc_numel(&out[0]), esz);
    int64_t outer = vc_shape_numel(axis, ix->dims), inner = vc_shape_numel(ix->rank - axis, ix->dims + axis);
    char *o = out[0].data;
    for (int64_t a = 0; a < outer; a++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t v = onehot_index(ix, a * inner + i, depth);
            if (v >= 0) vc_sh_copy_elem(o + (size_t)((a * depth + v) * inner + i) * esz, on, esz);
        }
    return VOCE_OK;
}

const vc_op vc_ops_index[] = {
    {"Gather", gather_infer, gather_run, NULL, 0},
    {"GatherElements", gather_elements_infer, gather_elements_run, NULL, 0},
    {"GatherND", gather_nd_infer, gather_nd_run, NULL, 0},
    {"ScatterND", scatter_nd_infer, scatter_nd_run, NULL, 0},
    {"ScatterElements", scatter_elements_infer, scatter_elements_run, NULL, 0},
    {"Range", range_infer, range_run, NULL, 0},
    {"Trilu", trilu_infer, trilu_run, NULL, 0},
    {"NonZero", nonzero_infer, nonzero_run, NULL, 0},
    {"OneHot", onehot_infer, onehot_run, NULL, 0},
};
const int vc_ops_index_count = (int)(sizeof vc_ops_index / sizeof vc_ops_index[0]);
