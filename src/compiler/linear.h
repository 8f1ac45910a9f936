/* Linear layers: MatMul and Gemm nodes whose weights are a constant matrix, the unit
 * that the compiler lays out for the kernels (f32: voce:Linear, linear.c; quantized:
 * voce:QLinear, quantize.c).
 *
 * Y = alpha * X op(B) + beta * C becomes Y = X W^T + bias with W[n, k] = alpha * op(B)[k, n]
 * stored [N, K] (each output's weights contiguous, what the GEMM's dot path for few rows
 * and the quantized kernels read), and bias[n] = beta * C[n]. */
#ifndef VC_LINEAR_H
#define VC_LINEAR_H

#include <stddef.h>

#include "../runtime/graph.h"

typedef struct vc_linear {
    const vc_value *wv; /* the weight constant B */
    int trans_b;        /* B stored [N, K] */
    int64_t N, K;
    float alpha;
    const vc_value *cv; /* Gemm's C (a vector of N or 1 values), or NULL */
    float beta;
} vc_linear;

/* The one node reading value v, in graph gi, or -1 when v has another reader (any
 * graph) or is a graph output. */
int vc_only_reader(const vc_mgraph *g, int gi, int v);

/* The constant feeding input k of n, or NULL. */
const vc_value *vc_const_input(const vc_mgraph *g, const vc_node *n, int k);

/* Is n (MatMul or Gemm) a linear layer with constant f32 2-D weights? If not, returns 0
 * with the reason in why (for a MatMul or Gemm; why is "" for other ops). */
int vc_linear_match(const vc_mgraph *g, const vc_node *n, vc_linear *l, char *why, size_t len);

/* If the only reader of node (gi, i)'s output is an Add of a constant f32 vector of N
 * values along the last dim, the Add's index in graph gi (the node to rewrite, taking
 * that vector into its bias) and the vector in *bias; else -1 and NULL. */
int vc_linear_bias_add(const vc_mgraph *g, int gi, int i, int64_t N, const vc_value **bias);

/* A new constant of graph 0 named base + suffix, holding data (owned by g's pool or
 * the caller for g's lifetime); its index, or -1 when out of memory. */
int vc_add_const(vc_mgraph *g, const char *base, const char *suffix, voce_dtype dt, int rank,
                 const int64_t *dims, void *data);

/* W (N x K) and, when l->cv is set, bias (N), as described above. */
void vc_linear_weights(const vc_linear *l, float *W, float *bias);

#endif
