/* The f32 matrix product every compute-heavy reference kernel goes through (MatMul,
 * Gemm, Einsum, Conv via im2col, LSTM/GRU input and recurrent projections), and the
 * f16 <-> f32 array conversions those kernels share for f16 tensors computed in f32. */
#ifndef VC_GEMM_H
#define VC_GEMM_H

#include <stdint.h>

#include "../../core/threads.h"
#include "../cpu/cpu.h"

/* C = alpha * op(A) * op(B) + beta * C, all row-major.
 *
 * op(A) is M x K: A is M x K with row stride lda, or K x M (trans_a) read transposed.
 * op(B) is K x N: B is K x N with row stride ldb, or N x K (trans_b) read transposed.
 * C is M x N with row stride ldc and must not overlap A or B.
 *
 * beta == 0 means C's old contents are not read at all (NaN or garbage in an
 * uninitialised C does not leak into the result); with K == 0 or alpha == 0, C is only
 * scaled by beta (A and B are not read). M or N <= 0 does nothing.
 *
 * Threads: t (NULL: the calling thread only) shares the work out when it is large
 * enough (VC_GEMM_MIN_TASK_MACS per task); results are bit-identical for any number of
 * threads, because the work is split only where it does not change how an element is
 * summed. The inner loops run the micro-kernels of vc_isa_active() (AVX2 /
 * AVX-512 on x86-64 CPUs that have them), which sum in another order and with fused
 * multiply-adds: results match the portable C path to rounding, not bit for bit.
 *
 * Memory: the portable C path packs into stack buffers of about 40 KiB and uses no heap.
 * The AVX2 / AVX-512 path for larger M packs op(A) and op(B) into one heap buffer per
 * call (malloc, at most about 1.5 MiB, freed before returning); when malloc fails it
 * quietly takes the C path instead, so the call itself never fails. Stack use stays
 * about 40 KiB either way. */
void vc_gemm_f32(vc_threads *t, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                 float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                 float beta, float *C, int64_t ldc);

/* The same with the micro-kernels of isa (which the CPU must support; VC_ISA_C is the
 * portable path) and C's element (i, j) at C[i * rsc + j * csc], so that a caller can
 * write C transposed (rsc = 1, csc = ldc). t may be NULL here too. */
void vc_gemm_f32_mt(vc_isa isa, vc_threads *t, int trans_a, int trans_b, int64_t M, int64_t N,
                    int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                    int64_t ldb, float beta, float *C, int64_t rsc, int64_t csc);

/* A function applied to each finished tile of C (rows x cols at c, row stride ldc) by
 * the thread that computed it, while the tile is still in cache: an activation fused
 * into the product at no extra pass over memory (fn may be NULL). With bias (N floats,
 * may be NULL), C starts as bias in every row instead of beta * C: each tile is filled
 * just before its first product is added, as a layer's bias would be by a pass of its
 * own (the same sums), without that pass. */
typedef struct vc_gemm_epilogue {
    void (*fn)(const void *arg, float *c, int64_t rows, int64_t cols, int64_t ldc);
    const void *arg;
    const float *bias;
} vc_gemm_epilogue;

/* op(B) packed once for the packed path of isa, for constant weights used many times
 * (voce:Linear keeps one per node and instance). vc_gemm_packed_b_bytes: the size of the
 * packed form, 0 when isa has no packed kernel (then the functions below must not be
 * called). vc_gemm_pack_b packs op(B) (K x N; trans_b: B is stored N x K) into dst,
 * 64-byte aligned. vc_gemm_f32_prepacked computes C = alpha * A * op(B) + beta * C with A
 * row-major M x K and C row-major, from the packed form made for the same isa, N and K;
 * each element exactly as vc_gemm_f32_mt's packed path computes it, then epi (may be
 * NULL) over every tile. It needs a small buffer per thread (K block x tile rows
 * floats) and returns -1, doing nothing, when malloc cannot give it; 0 otherwise. */
size_t vc_gemm_packed_b_bytes(vc_isa isa, int64_t N, int64_t K);
void vc_gemm_pack_b(vc_isa isa, int trans_b, int64_t N, int64_t K, const float *B, int64_t ldb,
                    float *dst);
int vc_gemm_f32_prepacked(vc_isa isa, vc_threads *t, int64_t M, int64_t N, int64_t K, float alpha,
                          const float *A, int64_t lda, const float *packed, float beta, float *C,
                          int64_t ldc, const vc_gemm_epilogue *epi);

/* Work below this many multiply-adds per task is not split among threads. */
#define VC_GEMM_MIN_TASK_MACS ((int64_t)1 << 18)

/* op(A) with at most this many rows, and B transposed (weights stored [N, K]), take the
 * dot-product path: each weight is read once and used for every row. Callers with few
 * output rows (Conv on a few frames, LSTM steps) lay A's rows out contiguous along K
 * to feed it without a copy. */
#define VC_GEMM_DOT_ROWS 4

/* n f16 values (stored as uint16_t) to f32 and back (round to nearest even). */
void vc_f16_to_f32_array(const uint16_t *src, float *dst, int64_t n);
void vc_f32_to_f16_array(const float *src, uint16_t *dst, int64_t n);

#endif
