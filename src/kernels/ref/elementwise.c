/* Reference kernels: unary and binary math, comparisons, logic, Where, Cast, Clip,
 * activations, and the variadic Sum / Mean / Min / Max.
 *
 * This file holds the ops' infer and run functions and the table; the typed kernels are
 * in elementwise_math.c, the broadcasting drivers in elementwise_bcast.c and dtype
 * conversion in elementwise_cast.c (see elementwise_impl.h for the compute-dtype scheme
 * and the results defined where C or ONNX leave a gap).
 *
 * Dtypes: float ops take f32, f16 (computed in f32) and f64; integer ops take i8..i64 and
 * u8..u32 (computed in i64, wrapping); u64 only in Cast, CastLike and Where. Not done:
 * string tensors, bfloat16, float8. */
#include <math.h>
#include <string.h>

#include "elementwise_impl.h"
#include "ref_ops.h"

/* ---- shared checks ---- */

/* n_in within [min_in, max_in], the first min_in present, exactly one output. */
static voce_status check_io(const vc_node *n, vc_tensor *const *in, int min_in, int max_in)
{
    if (n->n_in < min_in || n->n_in > max_in) {
        if (min_in == max_in)
            return vc_node_error(n, VOCE_ERR_FORMAT, "expects %d inputs, got %d", min_in, n->n_in);
        return vc_node_error(n, VOCE_ERR_FORMAT, "expects %d to %d inputs, got %d", min_in,
                             max_in, n->n_in);
    }
    for (int k = 0; k < min_in; k++)
        if (!in[k]) return vc_node_error(n, VOCE_ERR_FORMAT, "required input %d is missing", k);
    if (n->n_out != 1)
        return vc_node_error(n, VOCE_ERR_FORMAT, "expects 1 output, got %d", n->n_out);
    return VOCE_OK;
}

static voce_status check_dtype(const vc_node *n, vc_tensor *const *in, int k, unsigned accept)
{
    return vc_dt_in(in[k]->dtype, accept) ? VOCE_OK : vc_err_dtype(n, k, in[k]->dtype);
}

static voce_status check_same_dtype(const vc_node *n, vc_tensor *const *in, int k)
{
    if (in[k]->dtype == in[0]->dtype) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_DTYPE, "input %d has dtype %s, input 0 has %s", k,
                         voce_dtype_name(in[k]->dtype), voce_dtype_name(in[0]->dtype));
}

/* Internal: infer accepted a dtype that has no kernel (a table mistake). */
static voce_status no_kernel(const vc_node *n, voce_dtype dt)
{
    return vc_node_error(n, VOCE_ERR_INTERNAL, "no kernel for dtype %s", voce_dtype_name(dt));
}

/* ---- unary ---- */

static voce_status unary_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               int max_in, unsigned accept, int out_bool)
{
    voce_status st = check_io(n, in, 1, max_in);
    if (!st) st = check_dtype(n, in, 0, accept);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    if (out_bool) out[0].dtype = VOCE_DTYPE_BOOL;
    return VOCE_OK;
}

static voce_status unary_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                             const vc_ctx *ctx, vc_ew_uop op, const vc_ew_params *prm)
{
    vc_ew_unary_plan p;
    unsigned types = vc_ew_unary_types(op);
    p.op = op;
    p.tx = in[0]->dtype;
    p.to = out[0].dtype;
    p.cx = vc_ew_compute(p.tx, (types & VC_DT_BOOL) != 0);
    p.co = p.to == VOCE_DTYPE_BOOL ? VOCE_DTYPE_BOOL : p.cx;
    p.prm = *prm;
    if (!vc_dt_in(p.cx, types)) return no_kernel(n, p.tx);
    vc_ew_unary(&p, in[0], &out[0], ctx->threads);
    return VOCE_OK;
}

/* The unary ops without parameters. */
static voce_status plain_unary(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               const vc_ctx *ctx, vc_ew_uop op)
{
    vc_ew_params prm = {0, 0, 0, 0};
    return unary_run(n, in, out, ctx, op, &prm);
}

#define FLOATS VC_DT_FLOAT
#define NUMERIC (FLOATS | VC_DT_INT)

/* Infer functions shared by the unary ops, by the dtypes they accept. */
static voce_status float_unary_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return unary_infer(n, in, out, 1, FLOATS, 0);
}

static voce_status signed_unary_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return unary_infer(n, in, out, 1, FLOATS | VC_DT_SINT, 0);
}

static voce_status numeric_unary_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return unary_infer(n, in, out, 1, NUMERIC, 0);
}

static voce_status float_test_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return unary_infer(n, in, out, 1, FLOATS, 1);
}

static voce_status not_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return unary_infer(n, in, out, 1, VC_DT_BOOL, 0);
}

/* Run functions, one per op, naming its kernel. */
static voce_status neg_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_NEG);
}

static voce_status abs_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_ABS);
}

static voce_status sign_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_SIGN);
}

static voce_status relu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_RELU);
}

static voce_status sqrt_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_SQRT);
}

static voce_status exp_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_EXP);
}

static voce_status log_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_LOG);
}

static voce_status reciprocal_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                  vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_RECIPROCAL);
}

static voce_status floor_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_FLOOR);
}

static voce_status ceil_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_CEIL);
}

static voce_status round_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_ROUND);
}

static voce_status sin_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_SIN);
}

static voce_status cos_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_COS);
}

static voce_status tanh_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_TANH);
}

static voce_status sigmoid_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_SIGMOID);
}

static voce_status erf_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_ERF);
}

static voce_status softplus_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_SOFTPLUS);
}

static voce_status softsign_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_SOFTSIGN);
}

static voce_status mish_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_MISH);
}

static voce_status hard_swish_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                  vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_HARD_SWISH);
}

static voce_status isnan_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_ISNAN);
}

static voce_status not_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return plain_unary(n, in, out, c, VC_EW_NOT);
}

/* The unary ops with attributes (defaults from the ONNX spec). */
static voce_status leaky_relu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                  vc_ctx *c)
{
    vc_ew_params prm = {vc_attr_float(n, "alpha", 0.01f), 0, 0, 0};
    return unary_run(n, in, out, c, VC_EW_LEAKY_RELU, &prm);
}

static voce_status elu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    vc_ew_params prm = {vc_attr_float(n, "alpha", 1.0f), 0, 0, 0};
    return unary_run(n, in, out, c, VC_EW_ELU, &prm);
}

static voce_status selu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    vc_ew_params prm = {vc_attr_float(n, "alpha", 1.67326319217681884765625f),
                        vc_attr_float(n, "gamma", 1.05070102214813232421875f), 0, 0};
    return unary_run(n, in, out, c, VC_EW_SELU, &prm);
}

static voce_status hard_sigmoid_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                    vc_ctx *c)
{
    vc_ew_params prm = {vc_attr_float(n, "alpha", 0.2f), vc_attr_float(n, "beta", 0.5f), 0, 0};
    return unary_run(n, in, out, c, VC_EW_HARD_SIGMOID, &prm);
}

static voce_status isinf_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    vc_ew_params prm = {0, 0, vc_attr_int(n, "detect_negative", 1) != 0,
                        vc_attr_int(n, "detect_positive", 1) != 0};
    return unary_run(n, in, out, c, VC_EW_ISINF, &prm);
}

/* Gelu (opset 20): approximate = "none" (erf form) or "tanh". */
static voce_status gelu_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    const char *a = vc_attr_string(n, "approximate", "none");
    if (strcmp(a, "none") != 0 && strcmp(a, "tanh") != 0)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "approximate '%s' is not 'none' or 'tanh'",
                             a);
    return float_unary_infer(n, in, out);
}

static voce_status gelu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    int tanh_form = strcmp(vc_attr_string(n, "approximate", "none"), "tanh") == 0;
    return plain_unary(n, in, out, c, tanh_form ? VC_EW_GELU_TANH : VC_EW_GELU);
}

/* Clip: bounds are the optional scalar inputs 1 and 2 (opset >= 11); before that they
 * were attributes, which the importer turns into inputs, but a node that still carries
 * them is honoured. */
static voce_status clip_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = unary_infer(n, in, out, 3, FLOATS | VC_DT_INT, 0);
    for (int k = 1; !st && k < n->n_in; k++) {
        if (!in[k]) continue;
        st = check_same_dtype(n, in, k);
        if (!st && vc_numel(in[k]) != 1)
            st = vc_node_error(n, VOCE_ERR_SHAPE, "input %d (bound) must be a scalar", k);
    }
    return st;
}

static void clip_bound(const vc_node *n, vc_tensor *const *in, int k, const char *attr,
                       double def, double *f, int64_t *i)
{
    if (k < n->n_in && in[k]) {
        *f = vc_get_f64(in[k], 0);
        *i = vc_get_int(in[k], 0);
    } else if (vc_attr_find(n, attr)) {
        *f = vc_attr_float(n, attr, 0);
        *i = (int64_t)*f; /* attributes only existed for float inputs */
    } else {
        *f = def;
        *i = def < 0 ? INT64_MIN : INT64_MAX;
    }
}

static voce_status clip_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    (void)ctx;
    vc_ew_params prm;
    clip_bound(n, in, 1, "min", -INFINITY, &prm.a, &prm.ia);
    clip_bound(n, in, 2, "max", INFINITY, &prm.b, &prm.ib);
    return unary_run(n, in, out, ctx, VC_EW_CLIP, &prm);
}

/* ---- Cast ---- */

static int known_dtype(int64_t dt)
{
    return dt > 0 && dt < 32 && vc_dt_in((voce_dtype)dt, VC_DT_ALL);
}

static voce_status cast_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = check_io(n, in, 1, 1);
    if (!st) st = check_dtype(n, in, 0, VC_DT_ALL);
    if (st) return st;
    int64_t to = vc_attr_int(n, "to", 0);
    if (!known_dtype(to))
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "cannot cast to dtype %lld", (long long)to);
    vc_same_shape(&out[0], in[0]);
    out[0].dtype = (voce_dtype)to;
    return VOCE_OK;
}

static voce_status castlike_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = check_io(n, in, 2, 2);
    if (!st) st = check_dtype(n, in, 0, VC_DT_ALL);
    if (!st) st = check_dtype(n, in, 1, VC_DT_ALL);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    out[0].dtype = in[1]->dtype;
    return VOCE_OK;
}

static voce_status cast_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    (void)n; (void)ctx;
    vc_ew_convert(in[0]->data, in[0]->dtype, out[0].data, out[0].dtype, vc_numel(&out[0]));
    return VOCE_OK;
}

/* ---- binary ---- */

static voce_status binary_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                unsigned accept, int out_bool)
{
    voce_status st = check_io(n, in, 2, 2);
    if (!st) st = check_dtype(n, in, 0, accept);
    if (!st) st = check_same_dtype(n, in, 1);
    if (!st) st = vc_broadcast_shapes(n, in, 2, &out[0]);
    if (st) return st;
    out[0].dtype = out_bool ? VOCE_DTYPE_BOOL : in[0]->dtype;
    return VOCE_OK;
}

static voce_status binary_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                              const vc_ctx *ctx, vc_ew_bop op)
{
    vc_ew_binary_plan p;
    unsigned types = vc_ew_binary_types(op);
    p.op = op;
    p.ta = p.tb = in[0]->dtype;
    p.to = out[0].dtype;
    p.ca = p.cb = vc_ew_compute(p.ta, (types & VC_DT_BOOL) != 0);
    p.co = p.to == VOCE_DTYPE_BOOL ? VOCE_DTYPE_BOOL : p.ca;
    if (!vc_dt_in(p.ca, types)) return no_kernel(n, p.ta);
    vc_ew_binary(&p, in[0], in[1], &out[0], ctx->threads);
    return VOCE_OK;
}

/* Infer functions shared by the binary ops, by the dtypes they accept and give. */
static voce_status arith_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return binary_infer(n, in, out, NUMERIC, 0);
}

static voce_status compare_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return binary_infer(n, in, out, NUMERIC, 1);
}

static voce_status equal_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return binary_infer(n, in, out, NUMERIC | VC_DT_BOOL, 1);
}

static voce_status logic_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return binary_infer(n, in, out, VC_DT_BOOL, 1);
}

static voce_status add_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_ADD);
}

static voce_status sub_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_SUB);
}

static voce_status mul_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_MUL);
}

static voce_status div_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_DIV);
}

static voce_status equal_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_EQUAL);
}

static voce_status less_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_LESS);
}

static voce_status greater_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_GREATER);
}

static voce_status less_equal_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                  vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_LESS_EQUAL);
}

static voce_status greater_equal_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                     vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_GREATER_EQUAL);
}

static voce_status and_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_AND);
}

static voce_status or_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_OR);
}

static voce_status xor_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_XOR);
}

/* PRelu: slope broadcasts to X (one-directional), so the output has X's shape. */
static voce_status prelu_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = binary_infer(n, in, out, NUMERIC, 0);
    if (st) return st;
    if (out[0].rank != in[0]->rank ||
        memcmp(out[0].dims, in[0]->dims, sizeof(int64_t) * (size_t)out[0].rank) != 0) {
        char s1[96], s2[96];
        return vc_node_error(n, VOCE_ERR_SHAPE, "slope %s does not broadcast to X %s",
                             vc_shape_str(in[1]->rank, in[1]->dims, s1, sizeof s1),
                             vc_shape_str(in[0]->rank, in[0]->dims, s2, sizeof s2));
    }
    return VOCE_OK;
}

static voce_status prelu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, VC_EW_PRELU);
}

/* Mod: fmod = 0 is the integer mod with the divisor's sign; floats need fmod = 1. */
static voce_status mod_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = binary_infer(n, in, out, NUMERIC, 0);
    if (st) return st;
    int64_t fmod_attr = vc_attr_int(n, "fmod", 0);
    if (fmod_attr != 0 && fmod_attr != 1)
        return vc_node_error(n, VOCE_ERR_FORMAT, "fmod must be 0 or 1, got %lld",
                             (long long)fmod_attr);
    if (vc_dtype_is_float(in[0]->dtype) && fmod_attr != 1)
        return vc_node_error(n, VOCE_ERR_FORMAT, "fmod must be 1 for float inputs");
    return VOCE_OK;
}

static voce_status mod_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return binary_run(n, in, out, c, vc_attr_int(n, "fmod", 0) ? VC_EW_FMOD : VC_EW_MOD);
}

/* BitShift on u8, u16, u32 (u64 has no i64 compute path). */
static voce_status bitshift_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = binary_infer(n, in, out, VC_DT_UINT, 0);
    if (st) return st;
    const char *d = vc_attr_string(n, "direction", "");
    if (strcmp(d, "LEFT") != 0 && strcmp(d, "RIGHT") != 0)
        return vc_node_error(n, VOCE_ERR_FORMAT, "direction '%s' is not LEFT or RIGHT", d);
    return VOCE_OK;
}

static voce_status bitshift_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                vc_ctx *c)
{
    int left = strcmp(vc_attr_string(n, "direction", ""), "LEFT") == 0;
    return binary_run(n, in, out, c, left ? VC_EW_SHL : VC_EW_SHR);
}

/* Pow: base and exponent may differ in dtype; the output has the base's dtype. */
static voce_status pow_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = check_io(n, in, 2, 2);
    if (!st) st = check_dtype(n, in, 0, NUMERIC);
    if (!st) st = check_dtype(n, in, 1, NUMERIC);
    if (!st) st = vc_broadcast_shapes(n, in, 2, &out[0]);
    if (st) return st;
    out[0].dtype = in[0]->dtype;
    return VOCE_OK;
}

/* A float base with a one-element exponent of 2 (in its compute dtype): x^2 in norms. */
static int squares(const vc_ew_binary_plan *p, const vc_tensor *e)
{
    if (p->ca == VOCE_DTYPE_I64 || vc_numel(e) != 1) return 0;
    double d = 0;
    float f = 0;
    vc_ew_convert(e->data, e->dtype, p->ca == VOCE_DTYPE_F32 ? (void *)&f : (void *)&d, p->ca, 1);
    return p->ca == VOCE_DTYPE_F32 ? f == 2 : d == 2;
}

static voce_status pow_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    vc_ew_binary_plan p;
    p.op = VC_EW_POW;
    p.ta = p.to = in[0]->dtype;
    p.tb = in[1]->dtype;
    p.ca = p.co = vc_ew_compute(p.ta, 0);
    if (vc_dtype_is_float(p.ta)) {
        p.cb = p.ca; /* an integer exponent is converted to the base's float type */
    } else if (vc_dtype_is_float(p.tb)) {
        p.cb = VOCE_DTYPE_F64;
        p.op = VC_EW_POW_IF;
    } else {
        p.cb = VOCE_DTYPE_I64;
    }
    if (squares(&p, in[1])) {
        /* x * x is what the kernel computes for an exponent of 2; as Mul it vectorizes */
        p.op = VC_EW_MUL;
        p.tb = p.ta;
        vc_ew_binary(&p, in[0], in[0], &out[0], c->threads);
        return VOCE_OK;
    }
    vc_ew_binary(&p, in[0], in[1], &out[0], c->threads);
    return VOCE_OK;
}

/* ---- variadic: Sum, Mean, Min, Max ---- */

static voce_status variadic_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                  unsigned accept)
{
    if (n->n_in < 1) return vc_node_error(n, VOCE_ERR_FORMAT, "expects at least 1 input");
    voce_status st = check_io(n, in, n->n_in, n->n_in);
    if (!st) st = check_dtype(n, in, 0, accept);
    for (int k = 1; !st && k < n->n_in; k++) st = check_same_dtype(n, in, k);
    if (!st) st = vc_broadcast_shapes(n, in, n->n_in, &out[0]);
    if (st) return st;
    out[0].dtype = in[0]->dtype;
    return VOCE_OK;
}

/* f16 accumulates in an f32 copy of the output (scratch), so that it is rounded once. */
static size_t variadic_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)n; (void)in;
    return out[0].dtype == VOCE_DTYPE_F16 ? (size_t)vc_numel(&out[0]) * sizeof(float) : 0;
}

/* acc = f(in0, in1) (or in0 broadcast), then acc = f(acc, in_k) for each further input. */
static voce_status variadic_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                vc_ctx *ctx, vc_ew_bop op, int mean)
{
    vc_tensor acc = out[0];
    vc_ew_binary_plan p;
    p.op = op;
    p.ta = p.tb = p.to = out[0].dtype;
    p.ca = p.cb = p.co = vc_ew_compute(p.ta, 0);
    if (!vc_dt_in(p.ca, vc_ew_binary_types(op))) return no_kernel(n, p.ta);
    int next = 1;
    if (out[0].dtype == VOCE_DTYPE_F16) {
        vc_ew_expand(in[0], &out[0], ctx->threads);
        acc.dtype = VOCE_DTYPE_F32;
        acc.data = ctx->scratch;
        vc_ew_convert(out[0].data, VOCE_DTYPE_F16, acc.data, VOCE_DTYPE_F32, vc_numel(&acc));
        p.ta = p.to = VOCE_DTYPE_F32;
    } else if (n->n_in >= 2) { /* the common two-input case is one plain binary op */
        vc_ew_binary(&p, in[0], in[1], &out[0], ctx->threads);
        next = 2;
    } else {
        vc_ew_expand(in[0], &out[0], ctx->threads);
    }
    for (int i = next; i < n->n_in; i++) vc_ew_binary_acc(&p, in[i], &acc, ctx->threads);
    if (mean) {
        double count = n->n_in;
        vc_tensor c = {VOCE_DTYPE_F64, 0, {0}, &count};
        p.tb = VOCE_DTYPE_F64;
        p.op = VC_EW_DIV;
        vc_ew_binary_acc(&p, &c, &acc, ctx->threads);
    }
    if (acc.data != out[0].data)
        vc_ew_convert(acc.data, acc.dtype, out[0].data, out[0].dtype, vc_numel(&acc));
    return VOCE_OK;
}

static voce_status float_variadic_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return variadic_infer(n, in, out, FLOATS);
}

static voce_status numeric_variadic_infer(const vc_node *n, vc_tensor *const *in,
                                          vc_tensor *out)
{
    return variadic_infer(n, in, out, NUMERIC);
}

static voce_status sum_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return variadic_run(n, in, out, c, VC_EW_ADD, 0);
}

static voce_status mean_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return variadic_run(n, in, out, c, VC_EW_ADD, 1);
}

static voce_status min_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return variadic_run(n, in, out, c, VC_EW_MIN, 0);
}

static voce_status max_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *c)
{
    return variadic_run(n, in, out, c, VC_EW_MAX, 0);
}

/* ---- Where ---- */

static voce_status where_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = check_io(n, in, 3, 3);
    if (!st && in[0]->dtype != VOCE_DTYPE_BOOL) st = vc_err_dtype(n, 0, in[0]->dtype);
    if (!st) st = check_dtype(n, in, 1, VC_DT_ALL);
    if (!st && in[2]->dtype != in[1]->dtype)
        st = vc_node_error(n, VOCE_ERR_DTYPE, "X is %s but Y is %s",
                           voce_dtype_name(in[1]->dtype), voce_dtype_name(in[2]->dtype));
    if (!st) st = vc_broadcast_shapes(n, in, 3, &out[0]);
    if (st) return st;
    out[0].dtype = in[1]->dtype;
    return VOCE_OK;
}

static voce_status where_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    (void)n; (void)ctx;
    vc_ew_where(in[0], in[1], in[2], &out[0], ctx->threads);
    return VOCE_OK;
}

const vc_op vc_ops_elementwise[] = {
    {"Add", arith_infer, add_run, NULL, 0},
    {"Sub", arith_infer, sub_run, NULL, 0},
    {"Mul", arith_infer, mul_run, NULL, 0},
    {"Div", arith_infer, div_run, NULL, 0},
    {"Pow", pow_infer, pow_run, NULL, 0},
    {"Mod", mod_infer, mod_run, NULL, 0},
    {"Sqrt", float_unary_infer, sqrt_run, NULL, 0},
    {"Exp", float_unary_infer, exp_run, NULL, 0},
    {"Log", float_unary_infer, log_run, NULL, 0},
    {"Neg", signed_unary_infer, neg_run, NULL, 0},
    {"Abs", numeric_unary_infer, abs_run, NULL, 0},
    {"Reciprocal", float_unary_infer, reciprocal_run, NULL, 0},
    {"Floor", float_unary_infer, floor_run, NULL, 0},
    {"Ceil", float_unary_infer, ceil_run, NULL, 0},
    {"Round", float_unary_infer, round_run, NULL, 0},
    {"Sign", numeric_unary_infer, sign_run, NULL, 0},
    {"Sin", float_unary_infer, sin_run, NULL, 0},
    {"Cos", float_unary_infer, cos_run, NULL, 0},
    {"Tanh", float_unary_infer, tanh_run, NULL, 0},
    {"Sigmoid", float_unary_infer, sigmoid_run, NULL, 0},
    {"Relu", signed_unary_infer, relu_run, NULL, 0},
    {"LeakyRelu", float_unary_infer, leaky_relu_run, NULL, 0},
    {"Elu", float_unary_infer, elu_run, NULL, 0},
    {"Selu", float_unary_infer, selu_run, NULL, 0},
    {"HardSigmoid", float_unary_infer, hard_sigmoid_run, NULL, 0},
    {"HardSwish", float_unary_infer, hard_swish_run, NULL, 0},
    {"PRelu", prelu_infer, prelu_run, NULL, 0},
    {"Erf", float_unary_infer, erf_run, NULL, 0},
    {"Gelu", gelu_infer, gelu_run, NULL, 0},
    {"Softplus", float_unary_infer, softplus_run, NULL, 0},
    {"Softsign", float_unary_infer, softsign_run, NULL, 0},
    {"Mish", float_unary_infer, mish_run, NULL, 0},
    {"IsNaN", float_test_infer, isnan_run, NULL, 0},
    {"IsInf", float_test_infer, isinf_run, NULL, 0},
    {"Clip", clip_infer, clip_run, NULL, 0},
    {"Min", numeric_variadic_infer, min_run, variadic_scratch, 0},
    {"Max", numeric_variadic_infer, max_run, variadic_scratch, 0},
    {"Sum", float_variadic_infer, sum_run, variadic_scratch, 0},
    {"Mean", float_variadic_infer, mean_run, variadic_scratch, 0},
    {"Where", where_infer, where_run, NULL, 0},
    {"Equal", equal_infer, equal_run, NULL, 0},
    {"Less", compare_infer, less_run, NULL, 0},
    {"Greater", compare_infer, greater_run, NULL, 0},
    {"LessOrEqual", compare_infer, less_equal_run, NULL, 0},
    {"GreaterOrEqual", compare_infer, greater_equal_run, NULL, 0},
    {"Not", not_infer, not_run, NULL, 0},
    {"And", logic_infer, and_run, NULL, 0},
    {"Or", logic_infer, or_run, NULL, 0},
    {"Xor", logic_infer, xor_run, NULL, 0},
    {"Cast", cast_infer, cast_run, NULL, 0},
    {"CastLike", castlike_infer, cast_run, NULL, 0},
    {"BitShift", bitshift_infer, bitshift_run, NULL, 0},
};
const int vc_ops_elementwise_count =
    (int)(sizeof vc_ops_elementwise / sizeof vc_ops_elementwise[0]);
