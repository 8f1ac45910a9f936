/* The kernel interface: what every op provides, and the registry that finds ops by name.
 *
 * An op has two functions:
 *   infer: from the node and its inputs, set dtype, rank and dims of every output.
 *          Inputs whose *values* decide output shapes (Reshape's shape, Slice's starts,
 *          ...) are read through in[k]->data; at compile time that data may be NULL for
 *          values not yet known, and infer then returns VC_NEED_DATA.
 *          infer validates everything a kernel relies on (ranks, dims, dtypes,
 *          attribute ranges) and reports violations with vc_error(); run may then
 *          assume valid input.
 *   run:   compute the outputs. out[i].data points to nbytes(out[i]) writable bytes;
 *          they never overlap the inputs, except for VC_OP_INPLACE ops (below).
 *          ctx->scratch holds scratch(...) bytes (per worker with
 *          VC_OP_SCRATCH_PER_WORKER, below).
 *
 * in has n->n_in entries; an optional input left out is NULL. out has n->n_out entries,
 * all present (outputs that the graph does not use still get a buffer).
 *
 * Example (elementwise Relu, f32 only):
 *
 *   static voce_status relu_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
 *   {
 *       if (in[0]->dtype != VOCE_DTYPE_F32) return vc_err_dtype(n, 0, in[0]->dtype);
 *       vc_same_shape(&out[0], in[0]);
 *       return VOCE_OK;
 *   }
 *   static voce_status relu_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
 *                               vc_ctx *ctx) { ... }
 *   const vc_op vc_op_relu = {"Relu", relu_infer, relu_run, NULL, 0};
 */
#ifndef VC_OP_H
#define VC_OP_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/mapfile.h"
#include "../core/tensor.h"
#include "../core/threads.h"
#include "graph.h"

/* infer's answer when it needs the value of an input that is not known yet. */
#define VC_NEED_DATA ((voce_status)1000)

typedef struct vc_exec vc_exec;

/* Per-call context handed to run. */
typedef struct vc_ctx {
    void *scratch;          /* scratch(...) bytes, 64-byte aligned, contents undefined */
    size_t scratch_size;
    vc_threads *threads;    /* the method instance's pool (core/threads.h); NULL: one thread */
    /* This node's slot in its method instance: NULL at first; a kernel may store one
     * malloc'd block there (data derived from constant inputs, such as weights packed
     * for the GEMM), kept between runs and freed with free() when the instance is
     * destroyed. NULL when there is no instance (compile-time folding, unit tests). */
    void **state;
    /* The program's file mapping when constants are read from it (NULL otherwise): a
     * kernel that keeps a copy of a constant in state may vc_mapfile_release the
     * original's pages, so that the weights are resident once. */
    const vc_mapfile *file;
} vc_ctx;

typedef voce_status (*vc_infer_fn)(const vc_node *n, vc_tensor *const *in, vc_tensor *out);
typedef voce_status (*vc_run_fn)(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                 vc_ctx *ctx);
typedef size_t (*vc_scratch_fn)(const vc_node *n, vc_tensor *const *in, const vc_tensor *out);

enum {
    /* Output 0 is input 0 with another shape (same bytes): the executor makes it a view
     * and does not call run. Reshape, Squeeze, Unsqueeze, Flatten, Identity. */
    VC_OP_ALIAS = 1 << 0,
    /* Control flow (If, Loop): the executor runs it; infer and run are not called. */
    VC_OP_CONTROL = 1 << 1,
    /* Never fold at compile time (random ops, ...). */
    VC_OP_NO_FOLD = 1 << 2,
    /* Output 0 has input 0's shape and may be written over input 0's bytes: where the
     * executor allows it (input 0 is method state that nothing reads later, exec.h)
     * out[0].data == in[0]->data; else out[0] is a buffer of its own and run copies
     * input 0 first. voce:CacheWrite. */
    VC_OP_INPLACE = 1 << 3,
    /* scratch(...) is what one worker of the pool needs: ctx->scratch holds that many
     * bytes, rounded up to a multiple of 64, for each of vc_threads_count(ctx->threads)
     * workers, worker w's at w times the rounded size (ctx->scratch_size: the total).
     * voce:Attention's rows of scores. */
    VC_OP_SCRATCH_PER_WORKER = 1 << 4
};

struct vc_op {
    const char *name;       /* ONNX op type in the default domain */
    vc_infer_fn infer;
    vc_run_fn run;
    vc_scratch_fn scratch;  /* NULL: no scratch needed */
    int flags;
};

/* Find an op by ONNX type name; NULL if voce has no kernel for it. */
const vc_op *vc_op_find(const char *name);

/* Number of registered ops and the i-th (for listings and tests). */
int vc_op_count(void);
const vc_op *vc_op_at(int i);

/* ---- helpers for infer functions ---- */

/* "node 'name' (Op): input k has dtype X, expected ..." */
voce_status vc_err_dtype(const vc_node *n, int input, voce_dtype got);
/* Generic node error with the node's name and op type in front of the message. */
voce_status vc_node_error(const vc_node *n, voce_status st, const char *fmt, ...) VC_PRINTF(3, 4);

/* out gets the dtype, rank and dims of in. */
void vc_same_shape(vc_tensor *out, const vc_tensor *in);

/* Numpy-style broadcast of n shapes (NULL entries skipped) into out's rank/dims.
 * Returns VOCE_ERR_SHAPE (with message) if they do not broadcast. */
voce_status vc_broadcast_shapes(const vc_node *n, vc_tensor *const *in, int count, vc_tensor *out);

/* Normalise axis (which may be negative) against rank; error if out of range. */
voce_status vc_norm_axis(const vc_node *n, int64_t axis, int rank, int *out);

/* Check that the input exists and its data is known (else VC_NEED_DATA). */
voce_status vc_need_data(const vc_node *n, vc_tensor *const *in, int k);

#endif
