/* Internal interface of the reduction kernels: the helpers that reduce.c, reduce_acc.c,
 * reduce_softmax.c, reduce_arg.c and reduce_cumsum.c share, and the ops that reduce.c's
 * table lists. Compute dtypes as in elementwise_impl.h: f16 is computed in f32 and
 * integers in i64. */
#ifndef VC_REDUCE_IMPL_H
#define VC_REDUCE_IMPL_H

#include "elementwise_impl.h"
#include "ref_ops.h"

static inline size_t vc_red_align64(size_t x) { return (x + 63) & ~(size_t)63; }

static inline voce_dtype vc_red_compute(voce_dtype dt) { return vc_ew_compute(dt, 0); }

/* n has min_in..max_in inputs, the first min_in present, and n_out outputs. */
voce_status vc_red_check_io(const vc_node *n, vc_tensor *const *in, int min_in, int max_in,
                            int n_out);
voce_status vc_red_check_dtype(const vc_node *n, vc_tensor *const *in, int k,
                               unsigned accept);
/* A scalar (or 1-element) integer input such as TopK's K or CumSum's axis. */
voce_status vc_red_check_int_scalar(const vc_node *n, vc_tensor *const *in, int k);
/* Bytes of scratch that vc_red_input_as_compute needs for x. */
size_t vc_red_convert_bytes(const vc_tensor *x);
/* x's data in its compute dtype: the data itself, or a converted copy taken from the
 * scratch cursor *s (which advances). */
const void *vc_red_input_as_compute(const vc_tensor *x, char **s);
/* Sizes of the dims before, at and after axis. */
void vc_red_split3(const vc_tensor *x, int axis, int64_t *o, int64_t *r, int64_t *i);

/* What Reduce* accumulates per element; the kind's finishing step comes after. */
enum { VC_ACC_SUM, VC_ACC_SUMSQ, VC_ACC_L1, VC_ACC_MAX, VC_ACC_MIN, VC_ACC_PROD,
       VC_ACC_SUMEXP };

/* One contiguous input stretch of n elements of compute dtype c into 8-byte accumulators
 * (f64 for floats, i64 for integers) (reduce_acc.c):
 *   run (reduced last group): acc[0] = combine(acc[0], map(x[0..n)));
 *   row (kept last group):    acc[j] = combine(acc[j], map(x[j])).
 * shift (SUMEXP only, floats only) is subtracted before exp: shift[0] for a run,
 * shift[j] for a row. */
void vc_red_acc(int acc_op, voce_dtype c, int run, int64_t n, const void *x, void *acc,
                const double *shift);

voce_status vc_softmax_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
size_t vc_softmax_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);
voce_status vc_softmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                           vc_ctx *ctx);
voce_status vc_log_softmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               vc_ctx *ctx);

/* Softmax of one contiguous f32 row of n > 0 elements (y may be x), exactly as the
 * Softmax op computes each row; voce:Attention uses it so that the fused form rounds
 * as the unfused graph does. */
void vc_softmax_row_f32(const float *x, float *y, int64_t n);
/* The same (log_form: LogSoftmax) as compiled for isa: the baseline, or AVX2 without FMA
 * when isa >= AVX2 (the same bits; tests/test_fastmath.c checks it). */
void vc_softmax_row_f32_isa(vc_isa isa, const float *x, float *y, int64_t n, int log_form);

voce_status vc_arg_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
size_t vc_arg_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);
voce_status vc_argmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                          vc_ctx *ctx);
voce_status vc_argmin_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                          vc_ctx *ctx);

voce_status vc_topk_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
size_t vc_topk_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);
voce_status vc_topk_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx);

voce_status vc_cumsum_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
size_t vc_cumsum_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);
voce_status vc_cumsum_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                          vc_ctx *ctx);

#endif
