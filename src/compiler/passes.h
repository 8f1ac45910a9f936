/* The compiler's graph passes over a vc_mgraph (see compiler.h for their order). */
#ifndef VC_PASSES_H
#define VC_PASSES_H

#include "../runtime/graph.h"

/* Set node->op from the registry for every node of every graph (NULL if none). */
void vc_pass_resolve(vc_mgraph *g);

/* Turn graph-0 input `name` into a constant parsed from text ("16000", "1,2,3").
 * VOCE_ERR_NOT_FOUND if the method has no such input. */
voce_status vc_pass_fix_input(vc_mgraph *g, const char *name, const char *text);

/* Pin the dims of graph-0 input `name` ("1,576"). VOCE_ERR_NOT_FOUND if absent. */
voce_status vc_pass_set_shape(vc_mgraph *g, const char *name, const char *text);

typedef struct vc_fold_stats {
    int folded;
    int inlined_ifs;
} vc_fold_stats;

/* Forward sweep over graph gi and its nested graphs: static shape inference, constant
 * folding (when fold is set) and inlining of If nodes with a constant condition. */
voce_status vc_pass_fold(vc_mgraph *g, int gi, int fold, vc_fold_stats *stats);

/* Drop Identity nodes and Cast nodes to the same dtype, rewiring their readers to the
 * source (graph outputs keep their node). */
void vc_pass_simplify(vc_mgraph *g);

/* Remove nodes whose outputs nobody reads (graph 0's outputs are the roots). */
void vc_pass_dce(vc_mgraph *g);

/* Drop values, constants and graphs that no live node or graph references, and
 * renumber what remains. Also recomputes def_node. */
voce_status vc_pass_compact(vc_mgraph *g);

/* What the quantization pass did: counts, and one line per layer left f32 with the
 * reason ("node (Op): reason"), malloc'd. */
typedef struct vc_quant_log {
    const char *method;         /* set by the pass: lines read "method/node (Op): reason" */
    int quantized, kept;
    int n, cap;
    char **lines;
} vc_quant_log;

/* Rewrite MatMul / Gemm with constant f32 weights into voce:QLinear (quantize.c);
 * q is a vc_quant_options (compiler.h) already checked by vc_quant_check. log may be
 * NULL. Layers that cannot be honoured stay f32 and are logged. */
struct vc_quant_options;
voce_status vc_pass_quantize(vc_mgraph *g, const struct vc_quant_options *q, vc_quant_log *log);

/* Imported 4- and 8-bit com.microsoft:MatMulNBits with constant weights, default zero
 * points and block size 32/64/128 become voce:QLinear (the same weights, the fast
 * kernels); other forms keep the reference kernel. quantize.c. */
voce_status vc_pass_nbits(vc_mgraph *g);

/* Rewrite MatMul / Gemm with constant f32 weights into voce:Linear (weights [N, K],
 * a following Add of a constant vector folded in as the bias); linear.c. Run after
 * quantization, which takes the layers it quantizes first. */
voce_status vc_pass_linear(vc_mgraph *g);

/* The erf form of GELU written out in five nodes becomes one Gelu node (act.c). */
voce_status vc_pass_gelu(vc_mgraph *g);

/* LayerNormalization over the last axis written out in nodes (exports below opset 17)
 * becomes one LayerNormalization node (layernorm.c). */
voce_status vc_pass_layernorm(vc_mgraph *g);

/* A Relu, erf Gelu or SiLU (x * Sigmoid(x)) whose input is a voce:Linear or a Conv read
 * by it alone, or a Clip with constant bounds on such a Conv, is folded into the layer's
 * `activation` attribute (act.c). Run after vc_pass_linear; dead-code elimination then
 * drops what it left behind. */
voce_status vc_pass_activation(vc_mgraph *g);

/* Lifetimes of every value and, for graphs whose shapes are all static, an arena
 * plan (value offsets and graph arena_size). */
voce_status vc_pass_plan(vc_mgraph *g);

/* Error if any node is left without a kernel, naming op type, node and opset. */
voce_status vc_pass_check_ops(const vc_mgraph *g);

#endif
