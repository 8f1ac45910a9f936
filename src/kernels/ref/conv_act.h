/* The activation a Conv node may carry: the compiler folds a Relu, Clip (constant
 * bounds), erf Gelu or SiLU that reads a Conv's output alone into the Conv
 * (src/compiler/act.c), and conv.c applies it to each plane or tile of the output while
 * that is still in cache, instead of a separate pass over the whole output.
 *
 *   vc_conv_act a;
 *   if (vc_conv_act_init(node, &a)) return ...;      // attributes, below
 *   kernel(..., vc_conv_act_clamp(&a), ...);          // Relu / Clip in a kernel's store
 *   vc_conv_act_rest(&a, y, n);                       // then the rest (Gelu, SiLU)
 *   vc_conv_act_apply(&a, y, n);                      // or all of it afterwards
 *
 * Attributes: activation (STRING: "relu", "clip", "gelu", "silu"; absent: none), and for
 * "clip" activation_min / activation_max (FLOAT; absent: unbounded). Relu and Clip are
 * one clamp, v = v < lo ? lo : v, then v = v > hi ? hi : v, which gives the Relu and Clip
 * ops' bits exactly (NaN passes through; lo > hi gives hi, as Clip does); kernels with a
 * clamp argument apply it that way (vector max(lo, v) and min(hi, v) with the operands
 * in that order select the same values, NaN included). Gelu and SiLU run the
 * elementwise kernels of the Gelu, Sigmoid and Mul ops, so a fused node computes the
 * same bits as the nodes it replaced. */
#ifndef VC_CONV_ACT_H
#define VC_CONV_ACT_H

#include <stdint.h>

#include "../../runtime/graph.h"

typedef enum vc_conv_act_kind {
    VC_CONV_ACT_NONE,
    VC_CONV_ACT_CLAMP, /* relu and clip */
    VC_CONV_ACT_GELU,
    VC_CONV_ACT_SILU
} vc_conv_act_kind;

typedef struct vc_conv_act {
    vc_conv_act_kind kind;
    float clamp[2]; /* CLAMP: lo, hi */
} vc_conv_act;

/* From the node's attributes; an unknown activation name is an error naming it. */
voce_status vc_conv_act_init(const vc_node *n, vc_conv_act *a);

/* From attribute values already read (name NULL: none; has_lo / has_hi: the bounds
 * given). */
voce_status vc_conv_act_set(const vc_node *n, const char *name, int has_lo, float lo, int has_hi,
                            float hi, vc_conv_act *a);

/* The clamp bounds for a kernel that applies them in its store, or NULL. */
static inline const float *vc_conv_act_clamp(const vc_conv_act *a)
{
    return a->kind == VC_CONV_ACT_CLAMP ? a->clamp : NULL;
}

/* y[i] = act(y[i]) for i < n: all of the activation, or only what a kernel given
 * vc_conv_act_clamp did not apply. */
void vc_conv_act_apply(const vc_conv_act *a, float *y, int64_t n);
void vc_conv_act_rest(const vc_conv_act *a, float *y, int64_t n);

#endif
