/* Internal interface of the elementwise reference kernels (elementwise*.c), also used by
 * reduce.c: dtype conversion, the broadcasting row iterator, and the row drivers that
 * run a typed kernel over tensors whose storage dtype differs from the kernel's compute
 * dtype (f16 computed in f32, narrow integers computed in i64).
 *
 * Kernels work on a few compute dtypes only: f32, f64, i64 and bool (u8). Every other
 * storage dtype is converted chunk by chunk on the stack, so one kernel serves many
 * dtypes and the common f32 case never copies. Integer kernels compute in i64 with
 * wrap-around, so an i32 result stored back wraps exactly as i32 arithmetic would. */
#ifndef VC_ELEMENTWISE_IMPL_H
#define VC_ELEMENTWISE_IMPL_H

#include <stdint.h>

#include "../../core/tensor.h"
#include "../cpu/cpu.h"
#include "../../core/threads.h"

/* Elements per stack chunk when converting between storage and compute dtypes. */
#define VC_EW_CHUNK 256

/* Kernel loops step over blocks of VC_EW_BLOCK elements, written as
 *     n -= n % 8;
 *     for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o[j] = f(x[j]);
 * gcc's -O2 cost model vectorizes only loops that need no scalar epilogue; the inner
 * loop's constant count needs none, and it becomes two 16-byte vectors of f32 per block
 * (measurably faster than one). The callers finish the last partial block. */
#define VC_EW_BLOCK 8

/* Kept for rnn.c only (the kernels here write their loops out): a loop over [0, n) in
 * blocks of 8 and a scalar tail, for the same cost-model reason. The body sees the index
 * as `i`; do not nest two VC_EW_FOR. */
#define VC_EW_FOR(i, n, ...)                                                           \
    do {                                                                               \
        int64_t vc_ew_blk_ = 0;                                                        \
        for (; vc_ew_blk_ + 8 <= (n); vc_ew_blk_ += 8)                                 \
            for (int vc_ew_j_ = 0; vc_ew_j_ < 8; vc_ew_j_++) {                         \
                int64_t i = vc_ew_blk_ + vc_ew_j_;                                     \
                __VA_ARGS__                                                            \
            }                                                                          \
        for (int64_t i = vc_ew_blk_; i < (n); i++) { __VA_ARGS__ }                     \
    } while (0)

/* Bit of a dtype in an "accepted dtypes" mask. */
#define VC_DT(dt) (1u << (unsigned)(dt))
#define VC_DT_FLOAT (VC_DT(VOCE_DTYPE_F32) | VC_DT(VOCE_DTYPE_F16) | VC_DT(VOCE_DTYPE_F64))
#define VC_DT_SINT (VC_DT(VOCE_DTYPE_I8) | VC_DT(VOCE_DTYPE_I16) | VC_DT(VOCE_DTYPE_I32) | \
                    VC_DT(VOCE_DTYPE_I64))
/* u64 is left out: computed in i64 it would divide and compare wrongly. */
#define VC_DT_UINT (VC_DT(VOCE_DTYPE_U8) | VC_DT(VOCE_DTYPE_U16) | VC_DT(VOCE_DTYPE_U32))
#define VC_DT_INT (VC_DT_SINT | VC_DT_UINT)
#define VC_DT_BOOL VC_DT(VOCE_DTYPE_BOOL)
#define VC_DT_ALL (VC_DT_FLOAT | VC_DT_INT | VC_DT_BOOL | VC_DT(VOCE_DTYPE_U64))

static inline int vc_dt_in(voce_dtype dt, unsigned mask)
{
    return dt > 0 && dt < 32 && (mask & VC_DT(dt)) != 0;
}

/* i64 from the two's complement bits in u: portable, and a no-op after optimisation. */
static inline int64_t vc_wrap64(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(UINT64_MAX - u) - 1;
}

/* Convert n contiguous elements between any two of the 12 dtypes (Cast semantics):
 *   float -> int: truncate toward zero; NaN -> 0; out of range saturates to the
 *                 destination's min / max (negative -> 0 for unsigned);
 *   int -> narrower int: wrap modulo 2^bits (as numpy's astype);
 *   anything -> bool: nonzero (NaN included) -> 1;
 *   f64 -> f16 and f32 -> f16: correctly rounded, overflow -> inf.
 * src and dst must not overlap. */
void vc_ew_convert(const void *src, voce_dtype st, void *dst, voce_dtype dt, int64_t n);

/* ---- broadcasting ---- */

/* Walks the output of an n-input broadcast (n <= 3) as rows of len contiguous output
 * elements. Shapes are collapsed first (size-1 dims dropped, adjacent dims merged when
 * every input is contiguous or broadcast across both), so same-shape and scalar cases
 * become a single row. Within a row input k advances by str[k][rank-1], which is 0 or 1.
 * The outer index is an odometer: no division per row. */
typedef struct vc_bcast {
    int rank;                           /* collapsed rank, >= 1 */
    int n;
    int64_t dims[VOCE_MAX_RANK];
    int64_t str[3][VOCE_MAX_RANK];      /* element strides; 0 where broadcast */
    int64_t idx[VOCE_MAX_RANK];
    int64_t off[3];                     /* element offset of the current row, per input */
    int64_t len, rows;
} vc_bcast;

/* out_rank/out_dims: the broadcast shape (every input must broadcast to it). */
void vc_bcast_init(vc_bcast *it, int out_rank, const int64_t *out_dims,
                   const vc_tensor *const *in, int n);

static inline void vc_bcast_next(vc_bcast *it)
{
    for (int d = it->rank - 2; d >= 0; d--) {
        for (int k = 0; k < it->n; k++) it->off[k] += it->str[k][d];
        if (++it->idx[d] < it->dims[d]) return;
        it->idx[d] = 0;
        for (int k = 0; k < it->n; k++) it->off[k] -= it->str[k][d] * it->dims[d];
    }
}

/* ---- the ops and the drivers that feed their kernels ---- */

/* Unary ops. Kernels exist for the compute dtypes that vc_ew_unary_types names. */
typedef enum vc_ew_uop {
    /* float and integer */
    VC_EW_NEG, VC_EW_ABS, VC_EW_SIGN, VC_EW_RELU, VC_EW_CLIP,
    /* float */
    VC_EW_SQRT, VC_EW_EXP, VC_EW_LOG, VC_EW_RECIPROCAL, VC_EW_FLOOR, VC_EW_CEIL,
    VC_EW_ROUND, VC_EW_SIN, VC_EW_COS, VC_EW_TANH, VC_EW_SIGMOID, VC_EW_ERF, VC_EW_GELU,
    VC_EW_GELU_TANH, VC_EW_SOFTPLUS, VC_EW_SOFTSIGN, VC_EW_MISH, VC_EW_LEAKY_RELU,
    VC_EW_ELU, VC_EW_SELU, VC_EW_HARD_SIGMOID, VC_EW_HARD_SWISH,
    /* float -> bool */
    VC_EW_ISNAN, VC_EW_ISINF,
    /* bool */
    VC_EW_NOT
} vc_ew_uop;

/* Binary ops. */
typedef enum vc_ew_bop {
    /* float and integer, result in the operands' dtype */
    VC_EW_ADD, VC_EW_SUB, VC_EW_MUL, VC_EW_DIV, VC_EW_POW, VC_EW_FMOD, VC_EW_MIN,
    VC_EW_MAX, VC_EW_PRELU,
    /* float and integer, bool result */
    VC_EW_EQUAL, VC_EW_LESS, VC_EW_GREATER, VC_EW_LESS_EQUAL, VC_EW_GREATER_EQUAL,
    /* integer: Mod with fmod = 0, BitShift */
    VC_EW_MOD, VC_EW_SHL, VC_EW_SHR,
    /* bool */
    VC_EW_AND, VC_EW_OR, VC_EW_XOR,
    /* integer base (i64), float exponent (f64) */
    VC_EW_POW_IF
} vc_ew_bop;

/* Parameters of unary kernels (alpha, beta, clip bounds, IsInf flags). */
typedef struct vc_ew_params {
    double a, b;
    int64_t ia, ib;
} vc_ew_params;

/* The compute dtypes an op has kernels for, as a VC_DT mask (elementwise_math.c). */
unsigned vc_ew_unary_types(vc_ew_uop op);
unsigned vc_ew_binary_types(vc_ew_bop op);

/* Compute dtype of a storage dtype: f16 -> f32, integers -> i64, bool -> bool when the
 * op has a bool kernel (has_b8) else i64. */
voce_dtype vc_ew_compute(voce_dtype storage, int has_b8);

typedef struct vc_ew_unary_plan {
    vc_ew_uop op;
    voce_dtype tx, to;      /* storage dtypes */
    voce_dtype cx, co;      /* compute dtypes; co is bool for IsNaN / IsInf, else cx */
    vc_ew_params prm;
} vc_ew_unary_plan;

typedef struct vc_ew_binary_plan {
    vc_ew_bop op;
    voce_dtype ta, tb, to;
    voce_dtype ca, cb, co;  /* co is bool for comparisons, else ca */
} vc_ew_binary_plan;

/* The typed kernels on n contiguous elements of the plan's compute dtypes; the inputs
 * must not overlap o (elementwise_math.c). */
void vc_ew_unary_k(const vc_ew_unary_plan *p, int64_t n, const void *x, void *o);
void vc_ew_binary_k(const vc_ew_binary_plan *p, int64_t n, const void *a, const void *b,
                    void *o);
/* The same when exactly one operand is a broadcast scalar (a if sa == 0, else b), for
 * f32 Add / Sub / Mul / Div, which keep the scalar in a register; returns 0 (nothing
 * done) for the other ops and dtypes and for rows shorter than a block. */
int vc_ew_scalar_k(const vc_ew_binary_plan *p, int64_t n, const void *a, int64_t sa,
                   const void *b, void *o);

/* The f32 kernel of op on the whole blocks of n (n rounded down to a multiple of 8), as
 * compiled for isa: the baseline, or AVX2 without FMA on x86-64 when isa >= AVX2 (which
 * the CPU must run). Both give the same bits (NaN payloads aside); tests/test_fastmath.c checks it. */
void vc_ew_unary_f32_isa(vc_isa isa, vc_ew_uop op, int64_t n, const float *x, float *o,
                         const vc_ew_params *p);

/* The drivers. t: the pool large outputs are shared on (NULL: the calling thread); the
 * result has the same bits for any t. */
/* out = f(x), same element count. */
void vc_ew_unary(const vc_ew_unary_plan *p, const vc_tensor *x, vc_tensor *out, vc_threads *t);
/* out = f(a, b) with numpy broadcasting; out has the broadcast shape. */
void vc_ew_binary(const vc_ew_binary_plan *p, const vc_tensor *a, const vc_tensor *b,
                  vc_tensor *out, vc_threads *t);
/* out = f(out, b), b broadcast to out's shape (the variadic ops). p->ta must be out's. */
void vc_ew_binary_acc(const vc_ew_binary_plan *p, const vc_tensor *b, vc_tensor *out,
                      vc_threads *t);
/* out = in broadcast to out's shape (same dtype). */
void vc_ew_expand(const vc_tensor *in, vc_tensor *out, vc_threads *t);
/* out = cond ? x : y with 3-way broadcasting; x, y and out share one dtype. */
void vc_ew_where(const vc_tensor *cond, const vc_tensor *x, const vc_tensor *y,
                 vc_tensor *out, vc_threads *t);

#endif
