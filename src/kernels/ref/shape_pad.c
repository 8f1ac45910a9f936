/* Reference kernel for Pad: modes constant, reflect, edge and wrap; pads from input 1
 * (opset 11+, with optional axes as input 3 from opset 18) or the 'pads' attribute of
 * older opsets.
 *
 * Negative pads crop, and cropping comes first: reflect, edge and wrap then read only
 * the kept part (as onnxruntime does; the ONNX reference cannot crop). Output index o
 * of a dim reads kept index o - pre (pre: the positive pad before), mapped into the kept
 * range by the mode when it falls outside. Reflect and wrap are periodic, so pads wider than the input repeat
 * it (numpy.pad agrees for reflect; its wrap is irregular for wide uneven pads). */
#include "shape_internal.h"

#include "../../core/f16.h"

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

/* Per dim: pad before (>= 0), first kept input index, kept length, pad after (>= 0). */
typedef struct pad_plan {
    int mode;
    int64_t pre[VOCE_MAX_RANK], lo[VOCE_MAX_RANK], len[VOCE_MAX_RANK], post[VOCE_MAX_RANK];
} pad_plan;

static voce_status pad_mode(const vc_node *n, int *mode)
{
    const char *m = vc_attr_string(n, "mode", "constant");
    if (!strcmp(m, "constant")) *mode = PAD_CONSTANT;
    else if (!strcmp(m, "reflect")) *mode = PAD_REFLECT;
    else if (!strcmp(m, "edge")) *mode = PAD_EDGE;
    else if (!strcmp(m, "wrap")) *mode = PAD_WRAP;
    else return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "mode '%s' is unknown", m);
    return VOCE_OK;
}

/* The axes the pads apply to (input 3): all dims when absent. */
static voce_status pad_axes(const vc_node *n, vc_tensor *const *in, int rank, int *axes, int *count)
{
    const vc_tensor *t = vc_sh_opt(n, in, 3);
    *count = rank;
    for (int i = 0; i < rank; i++) axes[i] = i;
    if (!t) return VOCE_OK;
    int64_t v[VOCE_MAX_RANK], c;
    int seen[VOCE_MAX_RANK] = {0}, k;
    voce_status st = vc_sh_check_ints(n, t, 3, rank, &c);
    if (st || (st = vc_need_data(n, in, 3))) return st;
    if ((st = vc_sh_read_ints(n, t, 3, v, VOCE_MAX_RANK, &k))) return st;
    for (int i = 0; i < k; i++) {
        if ((st = vc_norm_axis(n, v[i], rank, &axes[i]))) return st;
        if (seen[axes[i]]) return vc_node_error(n, VOCE_ERR_SHAPE, "axis %d repeated", axes[i]);
        seen[axes[i]] = 1;
    }
    *count = k;
    return VOCE_OK;
}

static voce_status pad_plan_read(const vc_node *n, vc_tensor *const *in, pad_plan *p)
{
    const vc_tensor *x = in[0], *t = vc_sh_opt(n, in, 1);
    int axes[VOCE_MAX_RANK], na;
    int64_t v[2 * VOCE_MAX_RANK], c;
    voce_status st = pad_mode(n, &p->mode);
    if (st || (st = pad_axes(n, in, x->rank, axes, &na))) return st;
    if (t) {
        int k = 0;
        if ((st = vc_sh_check_ints(n, t, 1, 2 * VOCE_MAX_RANK, &c))) return st;
        if ((st = vc_need_data(n, in, 1))) return st;
        if ((st = vc_sh_read_ints(n, t, 1, v, 2 * VOCE_MAX_RANK, &k))) return st;
    } else {
        const int64_t *a = vc_attr_ints(n, "pads", &c);
        if (!a) return vc_node_error(n, VOCE_ERR_FORMAT, "pads are missing");
        if (c > 2 * VOCE_MAX_RANK) c = 2 * VOCE_MAX_RANK + 1; /* reported below */
        for (int64_t i = 0; i < c && i < 2 * VOCE_MAX_RANK; i++) v[i] = a[i];
    }
    if (c != 2 * na)
        return vc_node_error(n, VOCE_ERR_SHAPE, "pads has %lld values for %d axes", (long long)c, na);
    int64_t begin[VOCE_MAX_RANK] = {0}, end[VOCE_MAX_RANK] = {0};
    for (int i = 0; i < na; i++) {
        int64_t b = v[i], e = v[i + na];
        /* beyond this the output size overflows anyway; keeps the sums below exact */
        if (b > VC_MAX_NUMEL || e > VC_MAX_NUMEL || b < -VC_MAX_NUMEL || e < -VC_MAX_NUMEL)
            return vc_node_error(n, VOCE_ERR_NOMEM, "pad of axis %d is too large", axes[i]);
        begin[axes[i]] = b;
        end[axes[i]] = e;
    }
    for (int d = 0; d < x->rank; d++) {
        int64_t cut0 = begin[d] < 0 ? -begin[d] : 0, cut1 = end[d] < 0 ? -end[d] : 0;
        if (cut0 + cut1 > x->dims[d])
            return vc_node_error(n, VOCE_ERR_SHAPE, "pads crop %lld from axis %d of size %lld",
                                 (long long)(cut0 + cut1), d, (long long)x->dims[d]);
        p->pre[d] = begin[d] > 0 ? begin[d] : 0;
        p->post[d] = end[d] > 0 ? end[d] : 0;
        p->lo[d] = cut0;
        p->len[d] = x->dims[d] - cut0 - cut1;
        if (p->mode != PAD_CONSTANT && p->len[d] == 0 && p->pre[d] + p->post[d] > 0)
            return vc_node_error(n, VOCE_ERR_SHAPE, "cannot pad empty axis %d in this mode", d);
    }
    return VOCE_OK;
}

voce_status vc_sh_pad_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_sh_check_in(n, in, 0);
    pad_plan p = {0};
    if (st || (st = pad_plan_read(n, in, &p))) return st;
    const vc_tensor *x = in[0], *cv = vc_sh_opt(n, in, 2);
    if (cv) {
        if (cv->dtype != x->dtype) return vc_err_dtype(n, 2, cv->dtype);
        if (vc_numel(cv) > 1)
            return vc_node_error(n, VOCE_ERR_SHAPE, "constant_value must hold one element");
    }
    int64_t dims[VOCE_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = p.pre[d] + p.len[d] + p.post[d];
    return vc_sh_set_out(n, &out[0], x->dtype, x->rank, dims);
}

/* The pad value in the tensor's dtype: input 2, the 'value' attribute of opset < 11
 * (a float), or zero. */
static void pad_value(const vc_node *n, vc_tensor *const *in, voce_dtype dt, unsigned char *val)
{
    const vc_tensor *cv = vc_sh_opt(n, in, 2);
    memset(val, 0, 8);
    if (cv && vc_numel(cv) == 1) {
        memcpy(val, cv->data, voce_dtype_size(dt));
        return;
    }
    if (vc_sh_opt(n, in, 1)) return;
    float f = vc_attr_float(n, "value", 0.0f);
    switch (dt) {
    case VOCE_DTYPE_F32: memcpy(val, &f, 4); break;
    case VOCE_DTYPE_F64: { double v = f; memcpy(val, &v, 8); break; }
    case VOCE_DTYPE_F16: { uint16_t v = vc_f32_to_f16(f); memcpy(val, &v, 2); break; }
    default: {
        /* integers: truncate, saturate at the int64 range, wrap to the width */
        int64_t i = f != f ? 0 : f >= 9.2e18f ? INT64_MAX : f <= -9.2e18f ? INT64_MIN : (int64_t)f;
        uint64_t u = (uint64_t)i;
        uint32_t u4 = (uint32_t)u;
        uint16_t u2 = (uint16_t)u;
        uint8_t u1 = (uint8_t)u;
        size_t sz = voce_dtype_size(dt);
        memcpy(val, sz == 8 ? (void *)&u : sz == 4 ? (void *)&u4 : sz == 2 ? (void *)&u2 : (void *)&u1, sz);
        break;
    }
    }
}

/* Kept index for padded position i (already shifted by -pre) of a kept range of len. */
static int64_t pad_map(int mode, int64_t i, int64_t len)
{
    if (i >= 0 && i < len) return i;
    if (mode == PAD_EDGE) return i < 0 ? 0 : len - 1;
    if (mode == PAD_WRAP) return ((i % len) + len) % len;
    if (len == 1) return 0;
    int64_t period = 2 * (len - 1);
    i = ((i % period) + period) % period;
    return i < len ? i : period - i;
}

/* Fill with the value, then copy the kept block into place as one strided view. */
static void pad_constant(const pad_plan *p, const vc_tensor *x, vc_tensor *y, const void *val,
                         vc_threads *t)
{
    size_t esz = voce_dtype_size(x->dtype);
    int r = x->rank;
    int64_t istr[VOCE_MAX_RANK], ostr[VOCE_MAX_RANK], src = 0, dst = 0;
    int covered = 1;
    vc_sh_strides(r, x->dims, istr);
    vc_sh_strides(r, y->dims, ostr);
    for (int d = 0; d < r; d++) {
        src += p->lo[d] * istr[d];
        dst += p->pre[d] * ostr[d];
        covered &= p->pre[d] == 0 && p->post[d] == 0;
    }
    if (!covered) vc_sh_fill(y->data, val, vc_numel(y), esz);
    if (vc_shape_numel(r, p->len) == 0) return;
    vc_sh_copy_view((char *)y->data + dst * (int64_t)esz, ostr,
                    (const char *)x->data + src * (int64_t)esz, istr, r, p->len, esz, t);
}

/* Modes that read the input everywhere: row by row over the last dim, whose interior is
 * one memcpy and whose borders are mapped element by element. */
static void pad_mapped(const pad_plan *p, const vc_tensor *x, vc_tensor *y)
{
    size_t esz = voce_dtype_size(x->dtype);
    const int64_t e = (int64_t)esz;
    if (x->rank == 0) {
        vc_sh_copy_elem(y->data, x->data, esz);
        return;
    }
    int r = x->rank, last = r - 1;
    int64_t istr[VOCE_MAX_RANK], idx[VOCE_MAX_RANK] = {0};
    vc_sh_strides(r, x->dims, istr);
    int64_t len = p->len[last], olen = y->dims[last], pre = p->pre[last];
    int64_t rows = vc_shape_numel(last, y->dims);
    char *dst = y->data;
    for (int64_t row = 0; row < rows; row++, dst += olen * e) {
        int64_t src = p->lo[last];
        for (int d = 0; d < last; d++)
            src += (p->lo[d] + pad_map(p->mode, idx[d] - p->pre[d], p->len[d])) * istr[d];
        const char *s = (const char *)x->data + src * e;
        /* output columns [pre, pre + len) are the kept row itself */
        for (int64_t c = 0; c < pre; c++) vc_sh_copy_elem(dst + c * e, s + pad_map(p->mode, c - pre, len) * e, esz);
        if (len) memcpy(dst + pre * e, s, (size_t)(len * e));
        for (int64_t c = pre + len; c < olen; c++)
            vc_sh_copy_elem(dst + c * e, s + pad_map(p->mode, c - pre, len) * e, esz);
        for (int d = last - 1; d >= 0; d--) {
            if (++idx[d] < y->dims[d]) break;
            idx[d] = 0;
        }
    }
}

voce_status vc_sh_pad_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    pad_plan p = {0};
    voce_status st = pad_plan_read(n, in, &p);
    if (st) return st;
    if (vc_numel(&out[0]) == 0) return VOCE_OK;
    if (p.mode == PAD_CONSTANT) {
        unsigned char val[8];
        pad_value(n, in, in[0]->dtype, val);
        pad_constant(&p, in[0], &out[0], val, ctx->threads);
    } else {
        pad_mapped(&p, in[0], &out[0]);
    }
    return VOCE_OK;
}
