/* The batch geometry of a numpy-style matrix product (MatMul, MatMulInteger, ...): A is
 * [..., M, K] (or [K]), B is [..., K, N] (or [K]), batch dims broadcast. Shared by every
 * kernel of that shape so that they agree on what broadcasts and on the messages. */
#ifndef VC_MATMUL_PLAN_H
#define VC_MATMUL_PLAN_H

#include "../../runtime/op.h"

typedef struct vc_mm_plan {
    int64_t M, N, K;
    int nb; /* batch rank of the output */
    int64_t bdims[VOCE_MAX_RANK];
    int64_t astr[VOCE_MAX_RANK]; /* in whole matrices; 0 where broadcast */
    int64_t bstr[VOCE_MAX_RANK];
} vc_mm_plan;

/* Fill p from the operand shapes; an error (with message) when ranks are 0, inner
 * dims differ or batch dims do not broadcast. */
voce_status vc_mm_plan_make(const vc_node *n, const vc_tensor *a, const vc_tensor *b, vc_mm_plan *p);

/* Offsets of batch t's A and B, in whole matrices (multiply by M*K and K*N). */
void vc_mm_plan_batch(const vc_mm_plan *p, int64_t t, int64_t *oa, int64_t *ob);

#endif
