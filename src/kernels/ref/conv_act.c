/* The activation fused into a Conv node (conv_act.h). */
#include "conv_act.h"

#include <math.h>
#include <string.h>

#include "../../runtime/op.h"
#include "elementwise_impl.h"

voce_status vc_conv_act_set(const vc_node *n, const char *name, int has_lo, float lo, int has_hi,
                            float hi, vc_conv_act *a)
{
    a->kind = VC_CONV_ACT_NONE;
    a->clamp[0] = has_lo ? lo : -INFINITY;
    a->clamp[1] = has_hi ? hi : INFINITY;
    if (!name || !*name) return VOCE_OK;
    if (!strcmp(name, "clip")) {
        a->kind = VC_CONV_ACT_CLAMP;
    } else if (!strcmp(name, "relu")) {
        a->kind = VC_CONV_ACT_CLAMP;
        a->clamp[0] = 0.0f;
        a->clamp[1] = INFINITY;
    } else if (!strcmp(name, "gelu")) {
        a->kind = VC_CONV_ACT_GELU;
    } else if (!strcmp(name, "silu")) {
        a->kind = VC_CONV_ACT_SILU;
    } else {
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED,
                             "activation '%s' is not relu, clip, gelu or silu", name);
    }
    if ((has_lo || has_hi) && strcmp(name, "clip"))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG,
                             "activation_min / activation_max apply to activation 'clip' only");
    return VOCE_OK;
}

voce_status vc_conv_act_init(const vc_node *n, vc_conv_act *a)
{
    return vc_conv_act_set(n, vc_attr_string(n, "activation", NULL),
                           vc_attr_find(n, "activation_min") != NULL,
                           vc_attr_float(n, "activation_min", 0.0f),
                           vc_attr_find(n, "activation_max") != NULL,
                           vc_attr_float(n, "activation_max", 0.0f), a);
}

static void clamp(float *y, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) {
        float v = y[i] < lo ? lo : y[i];
        y[i] = v > hi ? hi : v;
    }
}

/* Gelu or SiLU through the elementwise kernels, which read and write different arrays:
 * each chunk is copied out first. */
static void through_ew(vc_conv_act_kind kind, float *y, int64_t n)
{
    enum { CHUNK = 256 };
    vc_ew_unary_plan p = {kind == VC_CONV_ACT_GELU ? VC_EW_GELU : VC_EW_SIGMOID, VOCE_DTYPE_F32,
                          VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32, {0, 0, 0, 0}};
    vc_ew_binary_plan mul = {VC_EW_MUL, VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32,
                             VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32};
    float x[CHUNK], s[CHUNK];
    for (int64_t j = 0; j < n; j += CHUNK) {
        int64_t m = n - j < CHUNK ? n - j : CHUNK;
        memcpy(x, y + j, sizeof(float) * (size_t)m);
        if (kind == VC_CONV_ACT_GELU) {
            vc_ew_unary_k(&p, m, x, y + j);
            continue;
        }
        vc_ew_unary_k(&p, m, x, s);
        vc_ew_binary_k(&mul, m, x, s, y + j); /* the Mul node's kernel: x * sigmoid(x) */
    }
}

void vc_conv_act_rest(const vc_conv_act *a, float *y, int64_t n)
{
    if (a->kind == VC_CONV_ACT_GELU || a->kind == VC_CONV_ACT_SILU) through_ew(a->kind, y, n);
}

void vc_conv_act_apply(const vc_conv_act *a, float *y, int64_t n)
{
    if (a->kind == VC_CONV_ACT_CLAMP)
        clamp(y, n, a->clamp[0], a->clamp[1]);
    else
        vc_conv_act_rest(a, y, n);
}
