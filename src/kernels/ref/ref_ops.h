/* The reference kernels, grouped by file. Each group is a table of vc_op that the
 * registry (src/runtime/op.c) searches; add an op by adding it to its group's table. */
#ifndef VC_REF_OPS_H
#define VC_REF_OPS_H

#include "../../runtime/op.h"

extern const vc_op vc_ops_elementwise[]; /* elementwise.c: unary and binary math, comparisons, logic, Where, Cast, Clip, activations */
extern const int vc_ops_elementwise_count;
extern const vc_op vc_ops_reduce[]; /* reduce.c: Reduce*, Softmax, LogSoftmax, ArgMax/ArgMin, TopK, CumSum */
extern const int vc_ops_reduce_count;
extern const vc_op vc_ops_shape[]; /* shape.c: Reshape, Transpose, (Un)Squeeze, Flatten, Concat, Split, Slice, Expand, Tile, Pad, Shape, Size, ConstantOfShape, Identity */
extern const int vc_ops_shape_count;
extern const vc_op vc_ops_index[]; /* index.c: Gather, GatherElements, ScatterND, ScatterElements, Range, Trilu */
extern const int vc_ops_index_count;
extern const vc_op vc_ops_matmul[]; /* matmul.c: MatMul, Gemm, Einsum */
extern const int vc_ops_matmul_count;
extern const vc_op vc_ops_linear[]; /* linear.c: voce:Linear (constant f32 weights laid out [N, K] by the compiler) */
extern const int vc_ops_linear_count;
extern const vc_op vc_ops_attention[]; /* attention.c: voce:Attention, voce:CacheWrite */
extern const int vc_ops_attention_count;
extern const vc_op vc_ops_conv[]; /* conv.c: Conv, ConvTranspose, pooling */
extern const int vc_ops_conv_count;
extern const vc_op vc_ops_norm[]; /* norm.c: LayerNormalization, BatchNormalization */
extern const int vc_ops_norm_count;
extern const vc_op vc_ops_rnn[]; /* rnn.c: LSTM, GRU */
extern const int vc_ops_rnn_count;
extern const vc_op vc_ops_quant[]; /* quant*.c: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger, com.microsoft MatMulNBits and DynamicQuantizeMatMul */
extern const int vc_ops_quant_count;
extern const vc_op vc_ops_control[]; /* control.c: If, Loop (run by the executor) */
extern const int vc_ops_control_count;
extern const vc_op vc_ops_qlinear[]; /* qlinear.c: voce:QLinear (weights quantized by voce compile --quant) */
extern const int vc_ops_qlinear_count;
extern const vc_op vc_ops_qconv[]; /* qconv.c: voce:QConv (Conv weights quantized by voce compile --quant) */
extern const int vc_ops_qconv_count;

#endif
