/* voce:Attention's blocked path (attention_blocked.c): many query rows at once through
 * the GEMM's packed micro-kernels, keys in chunks with a running softmax, so that no row
 * of scores over all keys is ever written out.
 *
 *   vc_attn_blk blk;
 *   if (vc_attn_blocked_plan(&blk, isa, &g)) {             // this ISA and shape qualify
 *       size_t per_worker = vc_attn_blocked_floats(&blk) * sizeof(float);
 *       ...                                                // scratch for every worker
 *       vc_attn_blocked_run(&blk, &io, threads, scratch);
 *   }
 *
 * It computes what attention.c's row path does (softmax(scale q k^T) v per head, causal
 * mask with an offset, k and v shared by the batch when their batch is 1), to rounding:
 * products with fused multiply-adds in another order, the softmax's normalisation
 * applied to the output rows. Results do not depend on the number of threads. */
#ifndef VC_ATTENTION_BLOCKED_H
#define VC_ATTENTION_BLOCKED_H

#include <stdint.h>

#include "../../core/threads.h"
#include "../cpu/cpu.h"

/* The shape of one voce:Attention call (attention.c's geometry). */
typedef struct vc_attn_shape {
    int64_t B, Nq, Nk, H, Dk, Dv, offset;
    int64_t kb;     /* 1: k and v have the batch of q; 0: batch 1, shared */
    float scale;
    int causal;
} vc_attn_shape;

typedef struct vc_attn_blk {
    vc_attn_shape g;
    vc_gemm_kernel k;
    vc_isa isa;
    int64_t w;      /* query rows per block: the kernel's nr */
    int64_t kp, vp, qt, e, ot; /* per-worker scratch layout, in floats (see the .c) */
    int64_t floats; /* per-worker total */
} vc_attn_blk;

typedef struct vc_attn_io {
    const float *q, *k, *v;
    float *out;
} vc_attn_io;

/* Whether the blocked path serves g on isa (a packed kernel exists, enough query rows to
 * fill blocks); fills blk when it does. */
int vc_attn_blocked_plan(vc_attn_blk *blk, vc_isa isa, const vc_attn_shape *g);

/* Scratch one worker needs, in floats (64-byte multiples). */
int64_t vc_attn_blocked_floats(const vc_attn_blk *blk);

/* Runs the attention on the pool t (NULL: this thread); scratch holds
 * vc_attn_blocked_floats(blk) floats for each of vc_threads_count(t) workers, 64-byte
 * aligned. */
void vc_attn_blocked_run(const vc_attn_blk *blk, const vc_attn_io *io, vc_threads *t,
                         float *scratch);

#endif
