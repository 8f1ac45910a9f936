/* Reference kernels for quantized ONNX: QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, and the table of every quantization op (MatMulInteger and
 * the com.microsoft matmuls are in quant_matmul.c, ConvInteger in quant_conv.c).
 *
 * Quantization follows the ONNX definitions to the bit: y = saturate(round(x / scale)
 * + zero_point) with round half to even, the division done in f32; dequantization is
 * (x - zero_point) * scale in f32. Scales and zero points are per tensor, per axis
 * (a 1-D scale along `axis`), or blocked (opset 21 `block_size`: the scale has x's rank
 * and ceil(d / block_size) entries along the axis). f16 tensors are computed in f32.
 * See docs/quantized-onnx.md. */
#include <string.h>

#include "../../core/f16.h"
#include "quant_impl.h"
#include "ref_ops.h"

/* ---- shared helpers ---- */

int vq_is_q8(voce_dtype dt) { return dt == VOCE_DTYPE_U8 || dt == VOCE_DTYPE_I8; }

int32_t vq_int_at(const vc_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case VOCE_DTYPE_U8: return ((const uint8_t *)t->data)[i];
    case VOCE_DTYPE_I8: return ((const int8_t *)t->data)[i];
    case VOCE_DTYPE_U16: return ((const uint16_t *)t->data)[i];
    case VOCE_DTYPE_I16: return ((const int16_t *)t->data)[i];
    case VOCE_DTYPE_I32: return ((const int32_t *)t->data)[i];
    default: return 0;
    }
}

static float float_at(const vc_tensor *t, int64_t i)
{
    if (t->dtype == VOCE_DTYPE_F16) return vc_f16_to_f32(((const uint16_t *)t->data)[i]);
    return ((const float *)t->data)[i];
}

voce_status vq_check_zp(const vc_node *n, int k, const vc_tensor *zp, voce_dtype want, int rank,
                        const int64_t *dims, const char *what)
{
    char s1[160], s2[160];
    if (!zp) return VOCE_OK;
    if (zp->dtype != want)
        return vc_node_error(n, VOCE_ERR_DTYPE, "%s (input %d) is %s, expected %s like its operand",
                             what, k, voce_dtype_name(zp->dtype), voce_dtype_name(want));
    int ok = zp->rank <= rank;
    for (int d = 0; ok && d < zp->rank; d++) {
        int64_t z = zp->dims[d], t = dims[rank - zp->rank + d];
        ok = z == t || z == 1;
    }
    if (ok) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_SHAPE, "%s (input %d) has shape %s, which does not broadcast to %s",
                         what, k, vc_shape_str(zp->rank, zp->dims, s1, sizeof s1),
                         vc_shape_str(rank, dims, s2, sizeof s2));
}

void vq_expand_zp(const vc_tensor *zp, int rank, const int64_t *dims, int32_t *dst)
{
    int64_t count = vc_shape_numel(rank, dims);
    if (!zp) {
        memset(dst, 0, sizeof(int32_t) * (size_t)count);
        return;
    }
    for (int64_t i = 0; i < count; i++) {
        int64_t rem = i, off = 0, stride = 1;
        for (int d = rank - 1; d >= 0; d--) {
            int64_t idx = rem % dims[d];
            rem /= dims[d];
            int zd = d - (rank - zp->rank);
            if (zd < 0) continue;
            if (zp->dims[zd] != 1) off += idx * stride;
            stride *= zp->dims[zd];
        }
        dst[i] = vq_int_at(zp, off);
    }
}

void vq_igemm(int64_t M, int64_t N, int64_t K, const int16_t *A, const int16_t *B, uint32_t *acc,
              vq_emit_fn emit, void *arg)
{
    for (int64_t m = 0; m < M; m++) {
        memset(acc, 0, sizeof(uint32_t) * (size_t)N);
        const int16_t *a = A + m * K;
        for (int64_t k = 0; k < K; k++) {
            /* |a * b| <= 256 * 255: the product fits int32; the sum wraps in uint32 */
            int32_t av = a[k];
            if (av == 0) continue;
            const int16_t *b = B + k * N;
            for (int64_t j = 0; j < N; j++) acc[j] += (uint32_t)(av * (int32_t)b[j]);
        }
        emit(m, acc, arg);
    }
}

void vq_dynamic_params(const float *x, int64_t n, float *scale, int32_t *zp)
{
    /* the range always includes 0; NaNs fail both comparisons and are skipped */
    float mn = 0.0f, mx = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
    }
    float s = mx == mn ? 1.0f : (mx - mn) / 255.0f;
    float z = 0.0f - mn / s;
    z = z < 255.0f ? z : 255.0f; /* NaN (an infinite range) clamps to 255, as in ORT */
    z = 0.0f < z ? z : 0.0f;
    *scale = s;
    *zp = (int32_t)vq_round_even(z);
}

void vq_quantize_u8(const float *x, int64_t n, float scale, int32_t zp, uint8_t *y)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = (uint8_t)vq_saturate(vq_round_even(x[i] / scale) + (float)zp, 0, 255);
}

/* ---- scale / zero-point layout of QuantizeLinear and DequantizeLinear ---- */

/* Element (o, a, i) of x viewed as [outer, alen, inner] around the quantization axis
 * uses scale index o * so + (a / bs) * sa + i * si. */
typedef struct {
    int64_t outer, alen, inner, bs, so, sa, si;
} q_layout;

static voce_status layout_blocked(const vc_node *n, const vc_tensor *x, const vc_tensor *s, int axis,
                                  q_layout *L)
{
    char s1[160], s2[160];
    int ok = s->rank == x->rank;
    for (int d = 0; ok && d < x->rank; d++) {
        int64_t want = d == axis ? (x->dims[d] + L->bs - 1) / L->bs : x->dims[d];
        ok = s->dims[d] == want;
    }
    if (!ok)
        return vc_node_error(n, VOCE_ERR_SHAPE,
                             "blocked scale %s does not match x %s with block_size %lld on axis %d",
                             vc_shape_str(s->rank, s->dims, s1, sizeof s1),
                             vc_shape_str(x->rank, x->dims, s2, sizeof s2), (long long)L->bs, axis);
    L->sa = L->inner;
    L->so = s->dims[axis] * L->inner;
    L->si = 1;
    return VOCE_OK;
}

/* Validate scale (input 1) and zero point (input 2, may be absent) against x. */
static voce_status layout_make(const vc_node *n, vc_tensor *const *in, q_layout *L)
{
    const vc_tensor *x = in[0], *s = in[1], *z = n->n_in > 2 ? in[2] : NULL;
    char s1[160], s2[160];
    int64_t bs = vc_attr_int(n, "block_size", 0), total = vc_numel(x);
    if (bs < 0 || bs > VC_MAX_NUMEL)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "block_size %lld is out of range", (long long)bs);
    memset(L, 0, sizeof *L);
    L->outer = 1, L->alen = total, L->inner = 1, L->bs = 1;
    if (z && (vc_numel(z) != vc_numel(s) || (z->rank != s->rank && vc_numel(s) != 1)))
        return vc_node_error(n, VOCE_ERR_SHAPE, "zero point %s and scale %s differ in shape",
                             vc_shape_str(z->rank, z->dims, s1, sizeof s1),
                             vc_shape_str(s->rank, s->dims, s2, sizeof s2));
    if (bs == 0 && vc_numel(s) == 1 && s->rank <= 1) return VOCE_OK; /* per tensor */
    int axis;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", 1), x->rank, &axis);
    if (st) return st;
    L->alen = x->dims[axis];
    L->outer = vc_shape_numel(axis, x->dims);
    L->inner = vc_shape_numel(x->rank - axis - 1, x->dims + axis + 1);
    if (bs > 0) {
        L->bs = bs;
        return layout_blocked(n, x, s, axis, L);
    }
    if (s->rank != 1 || s->dims[0] != L->alen)
        return vc_node_error(n, VOCE_ERR_SHAPE,
                             "scale %s is neither one value nor one per element of axis %d of x %s",
                             vc_shape_str(s->rank, s->dims, s1, sizeof s1), axis,
                             vc_shape_str(x->rank, x->dims, s2, sizeof s2));
    L->sa = 1;
    return VOCE_OK;
}

static voce_status check_scale(const vc_node *n, vc_tensor *const *in)
{
    voce_dtype dt = in[1]->dtype;
    if (dt == VOCE_DTYPE_F32 || dt == VOCE_DTYPE_F16) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_DTYPE, "scale (input 1) is %s; f32 and f16 are supported",
                         voce_dtype_name(dt));
}

static voce_status check_inputs(const vc_node *n, vc_tensor *const *in)
{
    if (n->n_in < 2 || n->n_in > 3 || !in[0] || !in[1])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs x and scale, and at most a zero point");
    return VOCE_OK;
}

/* Scales as f32 and zero points as int32 (0 when absent) in scratch. */
static void load_params(const vc_node *n, vc_tensor *const *in, float *sc, int32_t *zp)
{
    const vc_tensor *s = in[1], *z = n->n_in > 2 ? in[2] : NULL;
    int64_t cnt = vc_numel(s);
    for (int64_t i = 0; i < cnt; i++) {
        sc[i] = float_at(s, i);
        zp[i] = z ? vq_int_at(z, i) : 0;
    }
}

static size_t params_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    return (sizeof(float) + sizeof(int32_t)) * (size_t)vc_numel(in[1]) + 64;
}

/* ---- QuantizeLinear ---- */

static int q_range(voce_dtype dt, int32_t *lo, int32_t *hi)
{
    switch (dt) {
    case VOCE_DTYPE_U8: *lo = 0, *hi = 255; return 1;
    case VOCE_DTYPE_I8: *lo = -128, *hi = 127; return 1;
    case VOCE_DTYPE_U16: *lo = 0, *hi = 65535; return 1;
    case VOCE_DTYPE_I16: *lo = -32768, *hi = 32767; return 1;
    default: return 0;
    }
}

static voce_status q_out_dtype(const vc_node *n, const vc_tensor *z, voce_dtype *dt)
{
    int32_t lo, hi;
    int64_t attr = vc_attr_int(n, "output_dtype", 0);
    if (z && attr && attr != (int64_t)z->dtype)
        return vc_node_error(n, VOCE_ERR_DTYPE, "output_dtype %lld differs from the zero point's %s",
                             (long long)attr, voce_dtype_name(z->dtype));
    /* ONNX TensorProto codes equal voce_dtype values for the integer types */
    *dt = z ? z->dtype : attr ? (voce_dtype)attr : VOCE_DTYPE_U8;
    if (attr < 0 || attr > 32 || !q_range(*dt, &lo, &hi))
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED,
                             "quantizing to %s (output_dtype %lld) is not supported; uint8, int8, "
                             "uint16 and int16 are", z ? voce_dtype_name(z->dtype) : "this type",
                             (long long)attr);
    return VOCE_OK;
}

static voce_status quantize_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    q_layout L;
    voce_dtype dt = VOCE_DTYPE_U8;
    if ((st = check_inputs(n, in)) || (st = check_scale(n, in))) return st;
    if (in[0]->dtype != VOCE_DTYPE_F32 && in[0]->dtype != VOCE_DTYPE_F16)
        return vc_err_dtype(n, 0, in[0]->dtype);
    if ((st = q_out_dtype(n, n->n_in > 2 ? in[2] : NULL, &dt)) || (st = layout_make(n, in, &L)))
        return st;
    vc_same_shape(&out[0], in[0]);
    out[0].dtype = dt;
    return VOCE_OK;
}

static void store_int(vc_tensor *t, int64_t i, int32_t v)
{
    switch (t->dtype) {
    case VOCE_DTYPE_U8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    case VOCE_DTYPE_I8: ((int8_t *)t->data)[i] = (int8_t)v; break;
    case VOCE_DTYPE_U16: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
    default: ((int16_t *)t->data)[i] = (int16_t)v; break;
    }
}

static voce_status quantize_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    q_layout L;
    voce_status st = layout_make(n, in, &L);
    if (st) return st;
    float *sc = ctx->scratch;
    int32_t *zp = (int32_t *)(sc + vc_numel(in[1]));
    load_params(n, in, sc, zp);
    int32_t lo = 0, hi = 0;
    q_range(out[0].dtype, &lo, &hi);
    int64_t e = 0;
    for (int64_t o = 0; o < L.outer; o++)
        for (int64_t a = 0; a < L.alen; a++)
            for (int64_t i = 0; i < L.inner; i++, e++) {
                int64_t s = o * L.so + (a / L.bs) * L.sa + i * L.si;
                float q = vq_round_even(float_at(in[0], e) / sc[s]) + (float)zp[s];
                store_int(&out[0], e, vq_saturate(q, lo, hi));
            }
    return VOCE_OK;
}

/* ---- DequantizeLinear ---- */

static voce_status dequantize_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    q_layout L;
    if ((st = check_inputs(n, in)) || (st = check_scale(n, in))) return st;
    voce_dtype dt = in[0]->dtype;
    int32_t lo, hi;
    if (!q_range(dt, &lo, &hi) && dt != VOCE_DTYPE_I32)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED,
                             "x is %s; uint8, int8, uint16, int16 and int32 are supported",
                             voce_dtype_name(dt));
    const vc_tensor *z = n->n_in > 2 ? in[2] : NULL;
    if (z && z->dtype != dt)
        return vc_node_error(n, VOCE_ERR_DTYPE, "zero point is %s but x is %s",
                             voce_dtype_name(z->dtype), voce_dtype_name(dt));
    int64_t odt = vc_attr_int(n, "output_dtype", 0);
    if (odt && odt != (int64_t)in[1]->dtype)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "output_dtype %lld differs from the scale's %s",
                             (long long)odt, voce_dtype_name(in[1]->dtype));
    if ((st = layout_make(n, in, &L))) return st;
    vc_same_shape(&out[0], in[0]);
    out[0].dtype = in[1]->dtype;
    return VOCE_OK;
}

static voce_status dequantize_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    q_layout L;
    voce_status st = layout_make(n, in, &L);
    if (st) return st;
    float *sc = ctx->scratch;
    int32_t *zp = (int32_t *)(sc + vc_numel(in[1]));
    load_params(n, in, sc, zp);
    int f16 = out[0].dtype == VOCE_DTYPE_F16;
    int64_t e = 0;
    for (int64_t o = 0; o < L.outer; o++)
        for (int64_t a = 0; a < L.alen; a++)
            for (int64_t i = 0; i < L.inner; i++, e++) {
                int64_t s = o * L.so + (a / L.bs) * L.sa + i * L.si;
                /* in 64 bits: an int32 x minus its zero point may leave the int32 range */
                float y = (float)((int64_t)vq_int_at(in[0], e) - zp[s]) * sc[s];
                if (f16)
                    ((uint16_t *)out[0].data)[e] = vc_f32_to_f16(y);
                else
                    ((float *)out[0].data)[e] = y;
            }
    return VOCE_OK;
}

/* ---- DynamicQuantizeLinear ---- */

static voce_status dynq_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    if (n->n_in != 1 || n->n_out != 3 || !in[0])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs 1 input and 3 outputs (has %d and %d)",
                             n->n_in, n->n_out);
    if (in[0]->dtype != VOCE_DTYPE_F32) return vc_err_dtype(n, 0, in[0]->dtype);
    vc_same_shape(&out[0], in[0]);
    out[0].dtype = VOCE_DTYPE_U8;
    out[1].dtype = VOCE_DTYPE_F32;
    out[1].rank = 0;
    out[2].dtype = VOCE_DTYPE_U8;
    out[2].rank = 0;
    return VOCE_OK;
}

static voce_status dynq_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    float scale;
    int32_t zp;
    int64_t cnt = vc_numel(in[0]);
    vq_dynamic_params(in[0]->data, cnt, &scale, &zp);
    vq_quantize_u8(in[0]->data, cnt, scale, zp, out[0].data);
    *(float *)out[1].data = scale;
    *(uint8_t *)out[2].data = (uint8_t)zp;
    return VOCE_OK;
}

const vc_op vc_ops_quant[] = {
    {"QuantizeLinear", quantize_infer, quantize_run, params_scratch, 0},
    {"DequantizeLinear", dequantize_infer, dequantize_run, params_scratch, 0},
    {"DynamicQuantizeLinear", dynq_infer, dynq_run, NULL, 0},
    {"MatMulInteger", vq_matmulinteger_infer, vq_matmulinteger_run, vq_matmulinteger_scratch, 0},
    {"ConvInteger", vq_convinteger_infer, vq_convinteger_run, vq_convinteger_scratch, 0},
    /* ONNX Runtime's contrib forms of Q/DQ (written by its quantization tools with
     * use_qdq_contrib_ops) have the same definition */
    {"com.microsoft:QuantizeLinear", quantize_infer, quantize_run, params_scratch, 0},
    {"com.microsoft:DequantizeLinear", dequantize_infer, dequantize_run, params_scratch, 0},
    {"com.microsoft:DynamicQuantizeMatMul", vq_dqmatmul_infer, vq_dqmatmul_run, vq_dqmatmul_scratch, 0},
    {"com.microsoft:MatMulNBits", vq_nbits_infer, vq_nbits_run, vq_nbits_scratch, 0},
};
const int vc_ops_quant_count = (int)(sizeof vc_ops_quant / sizeof vc_ops_quant[0]);
