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
                             const vc_ew_unary_k *k, const vc_ew_params *prm)
{
    vc_ew_unary_plan p;
    p.tx = in[0]->dtype;
    p.to = out[0].dtype;
    p.cx = vc_ew_compute(p.tx, k->b8 != NULL);
    p.co = p.to == VOCE_DTYPE_BOOL ? VOCE_DTYPE_BOOL : p.cx;
    p.fn = vc_ew_unary_pick(k, p.cx);
    p.prm = *prm;
    if (!p.fn) return no_kernel(n, p.tx);
    vc_ew_unary(&p, in[0], &out[0]);
    return VOCE_OK;
}

#define UNARY_OP(lname, kset, accept, out_bool, PARAMS)                                \
    static voce_status lname##_infer(const vc_node *n, vc_tensor *const *in,           \
                                     vc_tensor *out)                                   \
    {                                                                                  \
        return unary_infer(n, in, out, 1, accept, out_bool);                           \
    }                                                                                  \
    static voce_status lname##_run(const vc_node *n, vc_tensor *const *in,             \
                                   vc_tensor *out, vc_ctx *ctx)                        \
    {                                                                                  \
        vc_ew_params prm = {0, 0, 0, 0};                                               \
        (void)ctx;                                                                     \
        PARAMS;                                                                        \
        return unary_run(n, in, out, &kset, &prm);                                     \
    }

#define NO_PARAMS ((void)0)
#define FLOATS VC_DT_FLOAT

UNARY_OP(neg, vc_ewk_neg, FLOATS | VC_DT_SINT, 0, NO_PARAMS)
UNARY_OP(abs, vc_ewk_abs, FLOATS | VC_DT_INT, 0, NO_PARAMS)
UNARY_OP(sign, vc_ewk_sign, FLOATS | VC_DT_INT, 0, NO_PARAMS)
UNARY_OP(relu, vc_ewk_relu, FLOATS | VC_DT_SINT, 0, NO_PARAMS)
UNARY_OP(sqrt, vc_ewk_sqrt, FLOATS, 0, NO_PARAMS)
UNARY_OP(exp, vc_ewk_exp, FLOATS, 0, NO_PARAMS)
UNARY_OP(log, vc_ewk_log, FLOATS, 0, NO_PARAMS)
UNARY_OP(reciprocal, vc_ewk_reciprocal, FLOATS, 0, NO_PARAMS)
UNARY_OP(floor, vc_ewk_floor, FLOATS, 0, NO_PARAMS)
UNARY_OP(ceil, vc_ewk_ceil, FLOATS, 0, NO_PARAMS)
UNARY_OP(round, vc_ewk_round, FLOATS, 0, NO_PARAMS)
UNARY_OP(sin, vc_ewk_sin, FLOATS, 0, NO_PARAMS)
UNARY_OP(cos, vc_ewk_cos, FLOATS, 0, NO_PARAMS)
UNARY_OP(tanh, vc_ewk_tanh, FLOATS, 0, NO_PARAMS)
UNARY_OP(sigmoid, vc_ewk_sigmoid, FLOATS, 0, NO_PARAMS)
UNARY_OP(erf, vc_ewk_erf, FLOATS, 0, NO_PARAMS)
UNARY_OP(softplus, vc_ewk_softplus, FLOATS, 0, NO_PARAMS)
UNARY_OP(softsign, vc_ewk_softsign, FLOATS, 0, NO_PARAMS)
UNARY_OP(mish, vc_ewk_mish, FLOATS, 0, NO_PARAMS)
UNARY_OP(hard_swish, vc_ewk_hard_swish, FLOATS, 0, NO_PARAMS)
UNARY_OP(isnan, vc_ewk_isnan, FLOATS, 1, NO_PARAMS)
UNARY_OP(not, vc_ewk_not, VC_DT_BOOL, 0, NO_PARAMS)
UNARY_OP(leaky_relu, vc_ewk_leaky_relu, FLOATS, 0, prm.a = vc_attr_float(n, "alpha", 0.01f))
UNARY_OP(elu, vc_ewk_elu, FLOATS, 0, prm.a = vc_attr_float(n, "alpha", 1.0f))
UNARY_OP(selu, vc_ewk_selu, FLOATS, 0,
         prm.a = vc_attr_float(n, "alpha", 1.67326319217681884765625f);
         prm.b = vc_attr_float(n, "gamma", 1.05070102214813232421875f))
UNARY_OP(hard_sigmoid, vc_ewk_hard_sigmoid, FLOATS, 0,
         prm.a = vc_attr_float(n, "alpha", 0.2f); prm.b = vc_attr_float(n, "beta", 0.5f))
UNARY_OP(isinf, vc_ewk_isinf, FLOATS, 1,
         prm.ia = vc_attr_int(n, "detect_negative", 1) != 0;
         prm.ib = vc_attr_int(n, "detect_positive", 1) != 0)

/* Gelu (opset 20): approximate = "none" (erf form) or "tanh". */
static voce_status gelu_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    const char *a = vc_attr_string(n, "approximate", "none");
    if (strcmp(a, "none") != 0 && strcmp(a, "tanh") != 0)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "approximate '%s' is not 'none' or 'tanh'",
                             a);
    return unary_infer(n, in, out, 1, FLOATS, 0);
}

static voce_status gelu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    (void)ctx;
    vc_ew_params prm = {0, 0, 0, 0};
    int tanh_form = strcmp(vc_attr_string(n, "approximate", "none"), "tanh") == 0;
    return unary_run(n, in, out, tanh_form ? &vc_ewk_gelu_tanh : &vc_ewk_gelu, &prm);
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
    return unary_run(n, in, out, &vc_ewk_clip, &prm);
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
                              const vc_ew_binary_k *k)
{
    vc_ew_binary_plan p;
    p.ta = p.tb = in[0]->dtype;
    p.to = out[0].dtype;
    p.ca = p.cb = vc_ew_compute(p.ta, k->b8 != NULL);
    p.co = p.to == VOCE_DTYPE_BOOL ? VOCE_DTYPE_BOOL : p.ca;
    p.fn = vc_ew_binary_pick(k, p.ca);
    if (!p.fn) return no_kernel(n, p.ta);
    vc_ew_binary(&p, in[0], in[1], &out[0]);
    return VOCE_OK;
}

#define BINARY_OP(lname, kset, accept, out_bool)                                       \
    static voce_status lname##_infer(const vc_node *n, vc_tensor *const *in,           \
                                     vc_tensor *out)                                   \
    {                                                                                  \
        return binary_infer(n, in, out, accept, out_bool);                             \
    }                                                                                  \
    static voce_status lname##_run(const vc_node *n, vc_tensor *const *in,             \
                                   vc_tensor *out, vc_ctx *ctx)                        \
    {                                                                                  \
        (void)ctx;                                                                     \
        return binary_run(n, in, out, &kset);                                          \
    }

#define NUMERIC (FLOATS | VC_DT_INT)
BINARY_OP(add, vc_ewk_add, NUMERIC, 0)
BINARY_OP(sub, vc_ewk_sub, NUMERIC, 0)
BINARY_OP(mul, vc_ewk_mul, NUMERIC, 0)
BINARY_OP(div, vc_ewk_div, NUMERIC, 0)
BINARY_OP(equal, vc_ewk_equal, NUMERIC | VC_DT_BOOL, 1)
BINARY_OP(less, vc_ewk_less, NUMERIC, 1)
BINARY_OP(greater, vc_ewk_greater, NUMERIC, 1)
BINARY_OP(less_equal, vc_ewk_less_equal, NUMERIC, 1)
BINARY_OP(greater_equal, vc_ewk_greater_equal, NUMERIC, 1)
BINARY_OP(and, vc_ewk_and, VC_DT_BOOL, 1)
BINARY_OP(or, vc_ewk_or, VC_DT_BOOL, 1)
BINARY_OP(xor, vc_ewk_xor, VC_DT_BOOL, 1)

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

static voce_status prelu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    (void)ctx;
    return binary_run(n, in, out, &vc_ewk_prelu);
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

static voce_status mod_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    (void)ctx;
    return binary_run(n, in, out, vc_attr_int(n, "fmod", 0) ? &vc_ewk_fmod : &vc_ewk_mod);
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
                                vc_ctx *ctx)
{
    (void)ctx;
    int left = strcmp(vc_attr_string(n, "direction", ""), "LEFT") == 0;
    return binary_run(n, in, out, left ? &vc_ewk_shl : &vc_ewk_shr);
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

static voce_status pow_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    (void)ctx;
    vc_ew_binary_plan p;
    p.ta = p.to = in[0]->dtype;
    p.tb = in[1]->dtype;
    p.ca = p.co = vc_ew_compute(p.ta, 0);
    if (vc_dtype_is_float(p.ta)) {
        p.cb = p.ca; /* an integer exponent is converted to the base's float type */
        p.fn = vc_ew_binary_pick(&vc_ewk_pow, p.ca);
    } else if (vc_dtype_is_float(p.tb)) {
        p.cb = VOCE_DTYPE_F64;
        p.fn = vc_ewk_pow_if.i64;
    } else {
        p.cb = VOCE_DTYPE_I64;
        p.fn = vc_ewk_pow.i64;
    }
    if (!p.fn) return no_kernel(n, p.ta);
    vc_ew_binary(&p, in[0], in[1], &out[0]);
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
                                vc_ctx *ctx, const vc_ew_binary_k *k, int mean)
{
    vc_tensor acc = out[0];
    vc_ew_binary_plan p;
    p.ta = p.tb = p.to = out[0].dtype;
    p.ca = p.cb = p.co = vc_ew_compute(p.ta, 0);
    p.fn = vc_ew_binary_pick(k, p.ca);
    if (!p.fn) return no_kernel(n, p.ta);
    int next = 1;
    if (out[0].dtype == VOCE_DTYPE_F16) {
        vc_ew_expand(in[0], &out[0]);
        acc.dtype = VOCE_DTYPE_F32;
        acc.data = ctx->scratch;
        vc_ew_convert(out[0].data, VOCE_DTYPE_F16, acc.data, VOCE_DTYPE_F32, vc_numel(&acc));
        p.ta = p.to = VOCE_DTYPE_F32;
    } else if (n->n_in >= 2) { /* the common two-input case is one plain binary op */
        vc_ew_binary(&p, in[0], in[1], &out[0]);
        next = 2;
    } else {
        vc_ew_expand(in[0], &out[0]);
    }
    for (int i = next; i < n->n_in; i++) vc_ew_binary_acc(&p, in[i], &acc);
    if (mean) {
        double count = n->n_in;
        vc_tensor c = {VOCE_DTYPE_F64, 0, {0}, &count};
        p.tb = VOCE_DTYPE_F64;
        p.fn = vc_ew_binary_pick(&vc_ewk_div, p.ca);
        vc_ew_binary_acc(&p, &c, &acc);
    }
    if (acc.data != out[0].data)
        vc_ew_convert(acc.data, acc.dtype, out[0].data, out[0].dtype, vc_numel(&acc));
    return VOCE_OK;
}

#define VARIADIC_OP(lname, kset, accept, mean)                                         \
    static voce_status lname##_infer(const vc_node *n, vc_tensor *const *in,           \
                                     vc_tensor *out)                                   \
    {                                                                                  \
        return variadic_infer(n, in, out, accept);                                     \
    }                                                                                  \
    static voce_status lname##_run(const vc_node *n, vc_tensor *const *in,             \
                                   vc_tensor *out, vc_ctx *ctx)                        \
    {                                                                                  \
        return variadic_run(n, in, out, ctx, &kset, mean);                             \
    }

VARIADIC_OP(sum, vc_ewk_add, FLOATS, 0)
VARIADIC_OP(mean, vc_ewk_add, FLOATS, 1)
VARIADIC_OP(min, vc_ewk_min, NUMERIC, 0)
VARIADIC_OP(max, vc_ewk_max, NUMERIC, 0)

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
    vc_ew_where(in[0], in[1], in[2], &out[0]);
    return VOCE_OK;
}

#define OP(name, lname) {name, lname##_infer, lname##_run, NULL, 0}
#define VARIADIC(name, lname) {name, lname##_infer, lname##_run, variadic_scratch, 0}

const vc_op vc_ops_elementwise[] = {
    OP("Add", add), OP("Sub", sub), OP("Mul", mul), OP("Div", div), OP("Pow", pow),
    OP("Mod", mod), OP("Sqrt", sqrt), OP("Exp", exp), OP("Log", log), OP("Neg", neg),
    OP("Abs", abs), OP("Reciprocal", reciprocal), OP("Floor", floor), OP("Ceil", ceil),
    OP("Round", round), OP("Sign", sign), OP("Sin", sin), OP("Cos", cos), OP("Tanh", tanh),
    OP("Sigmoid", sigmoid), OP("Relu", relu), OP("LeakyRelu", leaky_relu), OP("Elu", elu),
    OP("Selu", selu), OP("HardSigmoid", hard_sigmoid), OP("HardSwish", hard_swish),
    OP("PRelu", prelu), OP("Erf", erf), OP("Gelu", gelu), OP("Softplus", softplus),
    OP("Softsign", softsign), OP("Mish", mish), OP("IsNaN", isnan), OP("IsInf", isinf),
    OP("Clip", clip), VARIADIC("Min", min), VARIADIC("Max", max), VARIADIC("Sum", sum),
    VARIADIC("Mean", mean),
    OP("Where", where), OP("Equal", equal), OP("Less", less), OP("Greater", greater),
    OP("LessOrEqual", less_equal), OP("GreaterOrEqual", greater_equal), OP("Not", not),
    OP("And", and), OP("Or", or), OP("Xor", xor), OP("Cast", cast),
    {"CastLike", castlike_infer, cast_run, NULL, 0}, OP("BitShift", bitshift),
};
const int vc_ops_elementwise_count =
    (int)(sizeof vc_ops_elementwise / sizeof vc_ops_elementwise[0]);
