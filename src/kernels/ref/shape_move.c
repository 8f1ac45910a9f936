/* Reference kernels that move bytes: Transpose, Concat, Split, Slice, Expand, Tile,
 * DepthToSpace, SpaceToDepth.
 *
 * Each describes its output as a strided view of the input and hands it to the copy
 * engine (shape_util.c), or copies contiguous blocks with memcpy (Concat, Split). Any
 * dtype works: only the element size matters. */
#include "shape_internal.h"

/* ---- Transpose ---- */

static voce_status transpose_perm(const vc_node *n, int rank, int *perm)
{
    int64_t c = 0;
    const int64_t *p = vc_attr_ints(n, "perm", &c);
    if (!p) {
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return VOCE_OK;
    }
    if (c != rank)
        return vc_node_error(n, VOCE_ERR_SHAPE, "perm has %lld entries for rank %d", (long long)c, rank);
    int seen[VOCE_MAX_RANK] = {0};
    for (int i = 0; i < rank; i++) {
        if (p[i] < 0 || p[i] >= rank || seen[p[i]])
            return vc_node_error(n, VOCE_ERR_SHAPE, "perm is not a permutation of 0..%d", rank - 1);
        seen[p[i]] = 1;
        perm[i] = (int)p[i];
    }
    return VOCE_OK;
}

voce_status vc_sh_transpose_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    int perm[VOCE_MAX_RANK];
    if (st || (st = transpose_perm(n, in[0]->rank, perm))) return st;
    int64_t dims[VOCE_MAX_RANK];
    for (int i = 0; i < in[0]->rank; i++) dims[i] = in[0]->dims[perm[i]];
    return vc_sh_set_out(n, &out[0], in[0]->dtype, in[0]->rank, dims);
}

voce_status vc_sh_transpose_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                vc_ctx *ctx)
{
    const vc_tensor *x = in[0];
    int perm[VOCE_MAX_RANK];
    voce_status st = transpose_perm(n, x->rank, perm);
    if (st) return st;
    int64_t istr[VOCE_MAX_RANK], sstr[VOCE_MAX_RANK];
    vc_sh_strides(x->rank, x->dims, istr);
    for (int i = 0; i < x->rank; i++) sstr[i] = istr[perm[i]];
    vc_sh_copy_view_to(out[0].data, x->data, sstr, x->rank, out[0].dims,
                       voce_dtype_size(x->dtype), ctx->threads);
    return VOCE_OK;
}

/* ---- Concat ---- */

static voce_status concat_axis(const vc_node *n, const vc_tensor *x, int *axis)
{
    const vc_attr *a = vc_attr_find(n, "axis");
    if (!a || a->type != VC_ATTR_INT) return vc_node_error(n, VOCE_ERR_FORMAT, "attribute 'axis' is missing");
    return vc_norm_axis(n, a->i, x->rank, axis);
}

voce_status vc_sh_concat_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    if (n->n_in < 1) return vc_node_error(n, VOCE_ERR_FORMAT, "no inputs");
    voce_status st = vc_sh_check_in(n, in, 0);
    int axis = 0;
    if (st || (st = concat_axis(n, in[0], &axis))) return st;
    const vc_tensor *x = in[0];
    int64_t dims[VOCE_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = x->dims[d];
    for (int k = 1; k < n->n_in; k++) {
        if ((st = vc_sh_check_in(n, in, k))) return st;
        const vc_tensor *y = in[k];
        if (y->dtype != x->dtype) return vc_err_dtype(n, k, y->dtype);
        int same = y->rank == x->rank;
        for (int d = 0; same && d < x->rank; d++) same = d == axis || y->dims[d] == x->dims[d];
        if (!same) {
            char s1[128], s2[128];
            return vc_node_error(n, VOCE_ERR_SHAPE, "input %d has shape %s, input 0 %s (axis %d)", k,
                                 vc_shape_str(y->rank, y->dims, s1, sizeof s1),
                                 vc_shape_str(x->rank, x->dims, s2, sizeof s2), axis);
        }
        dims[axis] += y->dims[axis]; /* each term <= 2^40: no overflow for any sane count */
        if (dims[axis] > VC_MAX_NUMEL)
            return vc_node_error(n, VOCE_ERR_NOMEM, "concatenated axis exceeds 2^40");
    }
    return vc_sh_set_out(n, &out[0], x->dtype, x->rank, dims);
}

voce_status vc_sh_concat_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                             vc_ctx *ctx)
{
    int axis = 0;
    voce_status st = concat_axis(n, in[0], &axis);
    if (st) return st;
    const vc_tensor *x = in[0];
    size_t esz = voce_dtype_size(x->dtype);
    int64_t outer = vc_shape_numel(axis, x->dims);
    int64_t inner = vc_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    char *dst = out[0].data;
    for (int64_t o = 0; o < outer; o++) {
        for (int k = 0; k < n->n_in; k++) {
            size_t block = (size_t)(in[k]->dims[axis] * inner) * esz;
            if (!block) continue;
            memcpy(dst, (const char *)in[k]->data + (size_t)o * block, block);
            dst += block;
        }
    }
    return VOCE_OK;
}

/* ---- Split ---- */

/* Where Split's sizes come from: input 1, the attribute of opset < 13, or an even split
 * with a smaller last chunk (opset 18 rule, applied to every opset). */
typedef struct split_plan {
    const vc_tensor *t;
    const int64_t *attr;
    int64_t chunk, last;
    int count;
} split_plan;

static int64_t split_size(const split_plan *p, int k)
{
    if (p->t) return vc_get_int(p->t, k);
    if (p->attr) return p->attr[k];
    return k == p->count - 1 ? p->last : p->chunk;
}

static voce_status split_prepare(const vc_node *n, vc_tensor *const *in, int *axis, split_plan *p)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    const vc_tensor *x = in[0];
    if (n->n_out < 1) return vc_node_error(n, VOCE_ERR_FORMAT, "no outputs");
    if ((st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), x->rank, axis))) return st;
    int64_t dim = x->dims[*axis], c;
    p->t = vc_sh_opt(n, in, 1);
    if (p->t && p->t->rank == 1 && p->t->dims[0] == 0) p->t = NULL; /* empty: split evenly */
    p->attr = NULL;
    p->count = n->n_out;
    if (p->t) {
        if ((st = vc_sh_check_ints(n, p->t, 1, n->n_out, &c))) return st;
        if ((st = vc_need_data(n, in, 1))) return st;
    } else if ((p->attr = vc_attr_ints(n, "split", &c)) == NULL) {
        int64_t num = vc_attr_int(n, "num_outputs", n->n_out);
        if (num != n->n_out)
            return vc_node_error(n, VOCE_ERR_FORMAT, "num_outputs is %lld but the node has %d outputs",
                                 (long long)num, n->n_out);
        p->chunk = dim / num + (dim % num != 0);
        p->last = dim - p->chunk * (num - 1);
        if (p->last < 0)
            return vc_node_error(n, VOCE_ERR_SHAPE, "cannot split %lld into %lld chunks of %lld",
                                 (long long)dim, (long long)num, (long long)p->chunk);
        return VOCE_OK;
    }
    if (c != n->n_out)
        return vc_node_error(n, VOCE_ERR_SHAPE, "split has %lld sizes for %d outputs", (long long)c, n->n_out);
    int64_t sum = 0;
    for (int k = 0; k < n->n_out; k++) {
        int64_t s = split_size(p, k);
        if (s < 0 || s > dim - sum)
            return vc_node_error(n, VOCE_ERR_SHAPE, "split sizes do not add up to %lld", (long long)dim);
        sum += s;
    }
    if (sum != dim)
        return vc_node_error(n, VOCE_ERR_SHAPE, "split sizes add up to %lld, not %lld", (long long)sum,
                             (long long)dim);
    return VOCE_OK;
}

voce_status vc_sh_split_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int axis = 0;
    split_plan p = {0};
    voce_status st = split_prepare(n, in, &axis, &p);
    if (st) return st;
    int64_t dims[VOCE_MAX_RANK];
    for (int d = 0; d < in[0]->rank; d++) dims[d] = in[0]->dims[d];
    for (int k = 0; k < n->n_out; k++) {
        dims[axis] = split_size(&p, k);
        if ((st = vc_sh_set_out(n, &out[k], in[0]->dtype, in[0]->rank, dims))) return st;
    }
    return VOCE_OK;
}

voce_status vc_sh_split_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int axis = 0;
    split_plan p = {0};
    voce_status st = split_prepare(n, in, &axis, &p);
    if (st) return st;
    const vc_tensor *x = in[0];
    size_t esz = voce_dtype_size(x->dtype);
    int64_t outer = vc_shape_numel(axis, x->dims);
    size_t inner = (size_t)vc_shape_numel(x->rank - axis - 1, x->dims + axis + 1) * esz;
    size_t row = (size_t)x->dims[axis] * inner, off = 0;
    for (int k = 0; k < n->n_out; k++) {
        size_t block = (size_t)split_size(&p, k) * inner;
        if (block) {
            const char *src = (const char *)x->data + off;
            char *dst = out[k].data;
            for (int64_t o = 0; o < outer; o++) memcpy(dst + (size_t)o * block, src + (size_t)o * row, block);
        }
        off += block;
    }
    return VOCE_OK;
}

/* ---- Slice ---- */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Reads starts/ends/axes/steps (inputs 1-4, or attributes before opset 10) into a start,
 * step and count per dim; dims not named keep start 0, step 1, the whole dim. */
static voce_status slice_plan(const vc_node *n, vc_tensor *const *in, int64_t *start,
                              int64_t *step, int64_t *count)
{
    const vc_tensor *x = in[0];
    int64_t v[4][VOCE_MAX_RANK];
    int c[4] = {0, 0, 0, 0}, have[4] = {0, 0, 0, 0};
    static const char *const names[4] = {"starts", "ends", "axes", "steps"};
    voce_status st;
    for (int k = 0; k < 4; k++) {
        const vc_tensor *t = vc_sh_opt(n, in, k + 1);
        if (t) {
            int64_t cnt = 0;
            if ((st = vc_sh_check_ints(n, t, k + 1, x->rank, &cnt))) return st;
            if ((st = vc_need_data(n, in, k + 1))) return st;
            if ((st = vc_sh_read_ints(n, t, k + 1, v[k], VOCE_MAX_RANK, &c[k]))) return st;
            have[k] = 1;
        } else if (k < 3 && n->n_in <= 1) {
            int64_t cnt = 0;
            const int64_t *a = vc_attr_ints(n, names[k], &cnt);
            if (!a) continue;
            if (cnt > x->rank)
                return vc_node_error(n, VOCE_ERR_SHAPE, "%s has %lld values for rank %d", names[k],
                                     (long long)cnt, x->rank);
            for (int i = 0; i < cnt; i++) v[k][i] = a[i];
            c[k] = (int)cnt;
            have[k] = 1;
        }
    }
    if (!have[0] || !have[1]) return vc_node_error(n, VOCE_ERR_FORMAT, "starts or ends are missing");
    int m = c[0];
    if (c[1] != m || (have[2] && c[2] != m) || (have[3] && c[3] != m))
        return vc_node_error(n, VOCE_ERR_SHAPE, "starts, ends, axes and steps differ in length");
    int seen[VOCE_MAX_RANK] = {0};
    for (int d = 0; d < x->rank; d++) {
        start[d] = 0;
        step[d] = 1;
        count[d] = x->dims[d];
    }
    for (int i = 0; i < m; i++) {
        int a = i;
        if (have[2] && (st = vc_norm_axis(n, v[2][i], x->rank, &a))) return st;
        if (seen[a]) return vc_node_error(n, VOCE_ERR_SHAPE, "axis %d sliced twice", a);
        seen[a] = 1;
        int64_t dim = x->dims[a], s = v[0][i], e = v[1][i], sp = have[3] ? v[3][i] : 1, cnt = 0;
        if (sp == 0) return vc_node_error(n, VOCE_ERR_SHAPE, "step of axis %d is 0", a);
        /* dim <= 2^40, so adding it to any int64 (INT64_MIN included) cannot overflow */
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        if (sp > 0) {
            s = clamp64(s, 0, dim);
            e = clamp64(e, 0, dim);
            if (e > s) cnt = (e - s) / sp + ((e - s) % sp != 0);
        } else if (dim > 0) {
            s = clamp64(s, 0, dim - 1);
            e = clamp64(e, -1, dim - 1);
            int64_t neg = sp == INT64_MIN ? INT64_MAX : -sp;
            if (s > e) cnt = (s - e) / neg + ((s - e) % neg != 0);
        }
        start[a] = cnt ? s : 0;
        step[a] = sp;
        count[a] = cnt;
    }
    return VOCE_OK;
}

voce_status vc_sh_slice_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    int64_t start[VOCE_MAX_RANK], step[VOCE_MAX_RANK], count[VOCE_MAX_RANK];
    if (st || (st = slice_plan(n, in, start, step, count))) return st;
    return vc_sh_set_out(n, &out[0], in[0]->dtype, in[0]->rank, count);
}

voce_status vc_sh_slice_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *x = in[0];
    int64_t start[VOCE_MAX_RANK], step[VOCE_MAX_RANK], count[VOCE_MAX_RANK];
    voce_status st = slice_plan(n, in, start, step, count);
    if (st) return st;
    if (vc_numel(&out[0]) == 0) return VOCE_OK;
    int64_t istr[VOCE_MAX_RANK], sstr[VOCE_MAX_RANK], base = 0;
    vc_sh_strides(x->rank, x->dims, istr);
    for (int d = 0; d < x->rank; d++) {
        base += start[d] * istr[d];
        /* a step beyond the dim only ever takes one element: keep the product small */
        sstr[d] = count[d] > 1 ? istr[d] * step[d] : istr[d];
    }
    size_t esz = voce_dtype_size(x->dtype);
    vc_sh_copy_view_to(out[0].data, (const char *)x->data + (size_t)base * esz, sstr, x->rank,
                       count, esz, ctx->threads);
    return VOCE_OK;
}

/* ---- Expand ---- */

voce_status vc_sh_expand_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st || (st = vc_sh_check_in(n, in, 1))) return st;
    int64_t cnt = 0;
    if ((st = vc_sh_check_ints(n, in[1], 1, VOCE_MAX_RANK, &cnt))) return st;
    if ((st = vc_need_data(n, in, 1))) return st;
    vc_tensor shape = {VOCE_DTYPE_I64, 0, {0}, NULL};
    if ((st = vc_sh_read_ints(n, in[1], 1, shape.dims, VOCE_MAX_RANK, &shape.rank))) return st;
    for (int d = 0; d < shape.rank; d++)
        if (shape.dims[d] < 0)
            return vc_node_error(n, VOCE_ERR_SHAPE, "shape[%d] = %lld is negative", d, (long long)shape.dims[d]);
    vc_tensor *pair[2] = {in[0], &shape};
    vc_tensor o;
    if ((st = vc_broadcast_shapes(n, pair, 2, &o))) return st;
    return vc_sh_set_out(n, &out[0], in[0]->dtype, o.rank, o.dims);
}

voce_status vc_sh_expand_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *x = in[0];
    int r = out[0].rank, off = r - x->rank;
    int64_t istr[VOCE_MAX_RANK], sstr[VOCE_MAX_RANK];
    vc_sh_strides(x->rank, x->dims, istr);
    for (int d = 0; d < r; d++)
        sstr[d] = d < off || x->dims[d - off] == 1 ? 0 : istr[d - off];
    vc_sh_copy_view_to(out[0].data, x->data, sstr, r, out[0].dims, voce_dtype_size(x->dtype),
                       ctx->threads);
    return VOCE_OK;
}

/* ---- Tile ---- */

voce_status vc_sh_tile_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st || (st = vc_sh_check_in(n, in, 1))) return st;
    const vc_tensor *x = in[0];
    int64_t cnt, rep[VOCE_MAX_RANK], dims[VOCE_MAX_RANK];
    int c = 0;
    if ((st = vc_sh_check_ints(n, in[1], 1, VOCE_MAX_RANK, &cnt))) return st;
    if ((st = vc_need_data(n, in, 1))) return st;
    if ((st = vc_sh_read_ints(n, in[1], 1, rep, VOCE_MAX_RANK, &c))) return st;
    if (c != x->rank)
        return vc_node_error(n, VOCE_ERR_SHAPE, "repeats has %d values for rank %d", c, x->rank);
    for (int d = 0; d < c; d++) {
        if (rep[d] < 0)
            return vc_node_error(n, VOCE_ERR_SHAPE, "repeats[%d] = %lld is negative", d, (long long)rep[d]);
        if (x->dims[d] && rep[d] > VC_MAX_NUMEL / x->dims[d])
            return vc_node_error(n, VOCE_ERR_NOMEM, "repeats[%d] = %lld makes the output too large", d,
                                 (long long)rep[d]);
        dims[d] = x->dims[d] * rep[d];
    }
    return vc_sh_set_out(n, &out[0], x->dtype, c, dims);
}

voce_status vc_sh_tile_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    /* out viewed as [r0, d0, r1, d1, ...]: the repeat dims read with stride 0 */
    const vc_tensor *x = in[0];
    int64_t istr[VOCE_MAX_RANK], dims[VC_SH_MAX_VIEW], sstr[VC_SH_MAX_VIEW];
    vc_sh_strides(x->rank, x->dims, istr);
    for (int d = 0; d < x->rank; d++) {
        dims[2 * d] = x->dims[d] ? out[0].dims[d] / x->dims[d] : 0;
        sstr[2 * d] = 0;
        dims[2 * d + 1] = x->dims[d];
        sstr[2 * d + 1] = istr[d];
    }
    vc_sh_copy_view_to(out[0].data, x->data, sstr, 2 * x->rank, dims,
                       voce_dtype_size(x->dtype), ctx->threads);
    return VOCE_OK;
}

/* ---- DepthToSpace / SpaceToDepth ---- */

static voce_status block_check(const vc_node *n, vc_tensor *const *in, int64_t *b)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    if (st) return st;
    if (in[0]->rank != 4) return vc_node_error(n, VOCE_ERR_SHAPE, "input must be 4-D, is %d-D", in[0]->rank);
    *b = vc_attr_int(n, "blocksize", 0);
    if (*b < 1 || *b > (int64_t)1 << 20)
        return vc_node_error(n, VOCE_ERR_SHAPE, "blocksize %lld is invalid", (long long)*b);
    return VOCE_OK;
}

static int d2s_crd(const vc_node *n) { return strcmp(vc_attr_string(n, "mode", "DCR"), "CRD") == 0; }

voce_status vc_sh_depth_to_space_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int64_t b = 0;
    voce_status st = block_check(n, in, &b);
    if (st) return st;
    const char *mode = vc_attr_string(n, "mode", "DCR");
    if (strcmp(mode, "DCR") && strcmp(mode, "CRD"))
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "mode '%s' is unknown", mode);
    const int64_t *x = in[0]->dims;
    if (x[1] % (b * b))
        return vc_node_error(n, VOCE_ERR_SHAPE, "channels %lld not divisible by blocksize^2", (long long)x[1]);
    if (x[2] > VC_MAX_NUMEL / b || x[3] > VC_MAX_NUMEL / b)
        return vc_node_error(n, VOCE_ERR_NOMEM, "output too large");
    int64_t dims[4] = {x[0], x[1] / (b * b), x[2] * b, x[3] * b};
    return vc_sh_set_out(n, &out[0], in[0]->dtype, 4, dims);
}

voce_status vc_sh_depth_to_space_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                     vc_ctx *ctx)
{
    const int64_t *x = in[0]->dims;
    int64_t b = vc_attr_int(n, "blocksize", 1), N = x[0], C = x[1] / (b * b), H = x[2], W = x[3];
    /* output as [N, C, H, b1, W, b2]; the input holds (b1, b2, C) in DCR order, (C, b1, b2) in CRD */
    int64_t dims[6] = {N, C, H, b, W, b}, s[6];
    s[0] = x[1] * H * W;
    s[2] = W;
    s[4] = 1;
    if (d2s_crd(n)) {
        s[1] = b * b * H * W;
        s[3] = b * H * W;
        s[5] = H * W;
    } else {
        s[1] = H * W;
        s[3] = b * C * H * W;
        s[5] = C * H * W;
    }
    vc_sh_copy_view_to(out[0].data, in[0]->data, s, 6, dims, voce_dtype_size(in[0]->dtype),
                       ctx->threads);
    return VOCE_OK;
}

voce_status vc_sh_space_to_depth_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int64_t b = 0;
    voce_status st = block_check(n, in, &b);
    if (st) return st;
    const int64_t *x = in[0]->dims;
    if (x[2] % b || x[3] % b)
        return vc_node_error(n, VOCE_ERR_SHAPE, "height and width must be divisible by blocksize %lld",
                             (long long)b);
    if (x[1] > VC_MAX_NUMEL / (b * b)) return vc_node_error(n, VOCE_ERR_NOMEM, "output too large");
    int64_t dims[4] = {x[0], x[1] * b * b, x[2] / b, x[3] / b};
    return vc_sh_set_out(n, &out[0], in[0]->dtype, 4, dims);
}

voce_status vc_sh_space_to_depth_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                     vc_ctx *ctx)
{
    const int64_t *x = in[0]->dims;
    int64_t b = vc_attr_int(n, "blocksize", 1), N = x[0], C = x[1], H = x[2], W = x[3];
    /* output as [N, b1, b2, C, H/b, W/b] reading the input as [N, C, H/b, b1, W/b, b2] */
    int64_t dims[6] = {N, b, b, C, H / b, W / b};
    int64_t s[6] = {C * H * W, W, 1, H * W, b * W, b};
    vc_sh_copy_view_to(out[0].data, in[0]->data, s, 6, dims, voce_dtype_size(in[0]->dtype),
                       ctx->threads);
    return VOCE_OK;
}
