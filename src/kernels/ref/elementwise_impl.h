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

/* Elements per stack chunk when converting between storage and compute dtypes. */
#define VC_EW_CHUNK 256

/* A loop over [0, n) written in blocks of 8 so that gcc's -O2 cost model (which refuses
 * loops needing a scalar epilogue) still vectorizes the block; the tail runs scalar.
 * The body sees the index as `i`; do not nest two EW_FOR. */
#define VC_EW_FOR(i, n, ...)                                                           \
    do {                                                                               \
        int64_t i##_0 = 0;                                                             \
        for (; i##_0 + 8 <= (n); i##_0 += 8)                                           \
            for (int j_ = 0; j_ < 8; j_++) {                                           \
                int64_t i = i##_0 + j_;                                                \
                __VA_ARGS__                                                            \
            }                                                                          \
        for (int64_t i = i##_0; i < (n); i++) { __VA_ARGS__ }                          \
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
 *   f64 -> f16 and f32 -> f16: correctly rounded, overflow -> inf. */
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

/* ---- typed kernels and the drivers that feed them ---- */

/* Parameters of unary kernels (alpha, beta, clip bounds, IsInf flags). */
typedef struct vc_ew_params {
    double a, b;
    int64_t ia, ib;
} vc_ew_params;

/* o[i] = f(x[i]) over n contiguous elements of the compute dtype. */
typedef void (*vc_ew_unary_fn)(int64_t n, const void *x, void *o, const vc_ew_params *p);
/* o[i] = f(a[i*sa], b[i*sb]) with sa, sb in {0, 1}. */
typedef void (*vc_ew_binary_fn)(int64_t n, const void *a, int64_t sa, const void *b,
                                int64_t sb, void *o);

/* One kernel per compute dtype; NULL where the op does not take that class. */
typedef struct vc_ew_unary_k {
    vc_ew_unary_fn f32, f64, i64, b8;
} vc_ew_unary_k;
typedef struct vc_ew_binary_k {
    vc_ew_binary_fn f32, f64, i64, b8;
} vc_ew_binary_k;

/* Compute dtype of a storage dtype: f16 -> f32, integers -> i64, bool -> bool when the
 * op has a bool kernel (has_b8) else i64. */
voce_dtype vc_ew_compute(voce_dtype storage, int has_b8);

typedef struct vc_ew_unary_plan {
    vc_ew_unary_fn fn;
    voce_dtype tx, to;      /* storage dtypes */
    voce_dtype cx, co;      /* compute dtypes */
    vc_ew_params prm;
} vc_ew_unary_plan;

typedef struct vc_ew_binary_plan {
    vc_ew_binary_fn fn;
    voce_dtype ta, tb, to;
    voce_dtype ca, cb, co;
} vc_ew_binary_plan;

/* Pick the kernel of k for compute dtype c (NULL if none). */
vc_ew_unary_fn vc_ew_unary_pick(const vc_ew_unary_k *k, voce_dtype c);
vc_ew_binary_fn vc_ew_binary_pick(const vc_ew_binary_k *k, voce_dtype c);

/* out = f(x), same element count. */
void vc_ew_unary(const vc_ew_unary_plan *p, const vc_tensor *x, vc_tensor *out);
/* out = f(a, b) with numpy broadcasting; out has the broadcast shape. */
void vc_ew_binary(const vc_ew_binary_plan *p, const vc_tensor *a, const vc_tensor *b,
                  vc_tensor *out);
/* out = f(out, b), b broadcast to out's shape (the variadic ops). p->ta must be out's. */
void vc_ew_binary_acc(const vc_ew_binary_plan *p, const vc_tensor *b, vc_tensor *out);
/* out = in broadcast to out's shape (same dtype). */
void vc_ew_expand(const vc_tensor *in, vc_tensor *out);
/* out = cond ? x : y with 3-way broadcasting; x, y and out share one dtype. */
void vc_ew_where(const vc_tensor *cond, const vc_tensor *x, const vc_tensor *y,
                 vc_tensor *out);

/* ---- kernel sets (elementwise_math.c) ---- */

extern const vc_ew_unary_k vc_ewk_neg, vc_ewk_abs, vc_ewk_sign, vc_ewk_relu, vc_ewk_sqrt,
    vc_ewk_exp, vc_ewk_log, vc_ewk_reciprocal, vc_ewk_floor, vc_ewk_ceil, vc_ewk_round,
    vc_ewk_sin, vc_ewk_cos, vc_ewk_tanh, vc_ewk_sigmoid, vc_ewk_erf, vc_ewk_gelu,
    vc_ewk_gelu_tanh, vc_ewk_softplus, vc_ewk_softsign, vc_ewk_mish, vc_ewk_leaky_relu,
    vc_ewk_elu, vc_ewk_selu, vc_ewk_hard_sigmoid, vc_ewk_hard_swish, vc_ewk_isnan,
    vc_ewk_isinf, vc_ewk_not, vc_ewk_clip;

extern const vc_ew_binary_k vc_ewk_add, vc_ewk_sub, vc_ewk_mul, vc_ewk_div, vc_ewk_pow,
    vc_ewk_pow_if, vc_ewk_mod, vc_ewk_fmod, vc_ewk_min, vc_ewk_max, vc_ewk_prelu,
    vc_ewk_equal, vc_ewk_less, vc_ewk_greater, vc_ewk_less_equal, vc_ewk_greater_equal,
    vc_ewk_and, vc_ewk_or, vc_ewk_xor, vc_ewk_shl, vc_ewk_shr;

#endif
