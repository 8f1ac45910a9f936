/* Conversion between the 12 tensor dtypes (Cast, and the storage <-> compute conversions
 * of every other reference kernel).
 *
 * A general conversion goes through a "wide" stack chunk: double for float sources,
 * int64 for signed / narrow unsigned / bool sources, uint64 for u64. Storing from int64
 * or uint64 straight into f32 keeps int -> float correctly rounded (no double rounding
 * through f64). The pairs the runtime uses most (f16 <-> f32, f32 <-> f64, i32 <-> i64)
 * have direct loops. Rules for out-of-range values are in elementwise_impl.h. */
#include <math.h>
#include <string.h>

#include "../../core/f16.h"
#include "elementwise_impl.h"

/* f64 -> f16 correctly rounded: round to float with round-to-odd (truncate, then set
 * the last bit if inexact), which keeps enough information for the second rounding. */
static uint16_t f64_to_f16(double d)
{
    float f = (float)d;
    if (f == f && (double)f != d) {
        uint32_t bits;
        memcpy(&bits, &f, 4);
        if (fabs((double)f) > fabs(d)) bits -= 1; /* toward zero */
        bits |= 1;
        memcpy(&f, &bits, 4);
    }
    return vc_f32_to_f16(f);
}

/* Saturating float -> int; the comparisons are written so that NaN lands on 0. */
static inline int64_t sat_i64(double d)
{
    if (d != d) return 0;
    if (d >= 9223372036854775808.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

static inline uint64_t sat_u64(double d)
{
    if (!(d > 0)) return 0;
    if (d >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)d;
}

/* Clamp to [lo, hi] with NaN -> 0; then truncation is in range. */
static inline int64_t sat_range(double d, double lo, double hi)
{
    if (d != d) return 0;
    if (d <= lo) return (int64_t)lo;
    if (d >= hi) return (int64_t)hi;
    return (int64_t)d;
}

/* Narrowing with wrap-around, without relying on implementation-defined conversions. */
static inline int8_t wrap_i8(uint64_t u)
{
    uint8_t v = (uint8_t)u;
    return v < 128 ? (int8_t)v : (int8_t)((int)v - 256);
}

static inline int16_t wrap_i16(uint64_t u)
{
    uint16_t v = (uint16_t)u;
    return v < 32768 ? (int16_t)v : (int16_t)((int32_t)v - 65536);
}

static inline int32_t wrap_i32(uint64_t u)
{
    uint32_t v = (uint32_t)u;
    return v <= (uint32_t)INT32_MAX ? (int32_t)v : (int32_t)((int64_t)v - 4294967296LL);
}

typedef union wide_chunk {
    double d[VC_EW_CHUNK];
    int64_t i[VC_EW_CHUNK];
    uint64_t u[VC_EW_CHUNK];
} wide_chunk;

enum { WIDE_F, WIDE_I, WIDE_U };

/* One loop per (source, destination) pair, with restrict parameters so that it can be
 * vectorized where the element conversion allows. */
#define CONV(name, TS, TD, expr)                                                       \
    static void name(int64_t n, const TS *restrict x, TD *restrict o)                  \
    {                                                                                  \
        VC_EW_FOR(i, n, o[i] = (expr););                                               \
    }

CONV(ld_f32, float, double, x[i])
CONV(ld_f64, double, double, x[i])
CONV(ld_f16, uint16_t, double, vc_f16_to_f32(x[i]))
CONV(ld_i8, int8_t, int64_t, x[i])
CONV(ld_i16, int16_t, int64_t, x[i])
CONV(ld_i32, int32_t, int64_t, x[i])
CONV(ld_i64, int64_t, int64_t, x[i])
CONV(ld_u8, uint8_t, int64_t, x[i])
CONV(ld_u16, uint16_t, int64_t, x[i])
CONV(ld_u32, uint32_t, int64_t, x[i])
CONV(ld_u64, uint64_t, uint64_t, x[i])

static int load_wide(const void *src, voce_dtype st, wide_chunk *w, int64_t n)
{
    switch (st) {
    case VOCE_DTYPE_F32: ld_f32(n, src, w->d); return WIDE_F;
    case VOCE_DTYPE_F64: ld_f64(n, src, w->d); return WIDE_F;
    case VOCE_DTYPE_F16: ld_f16(n, src, w->d); return WIDE_F;
    case VOCE_DTYPE_I8: ld_i8(n, src, w->i); return WIDE_I;
    case VOCE_DTYPE_I16: ld_i16(n, src, w->i); return WIDE_I;
    case VOCE_DTYPE_I32: ld_i32(n, src, w->i); return WIDE_I;
    case VOCE_DTYPE_I64: ld_i64(n, src, w->i); return WIDE_I;
    case VOCE_DTYPE_U8: case VOCE_DTYPE_BOOL: ld_u8(n, src, w->i); return WIDE_I;
    case VOCE_DTYPE_U16: ld_u16(n, src, w->i); return WIDE_I;
    case VOCE_DTYPE_U32: ld_u32(n, src, w->i); return WIDE_I;
    case VOCE_DTYPE_U64: ld_u64(n, src, w->u); return WIDE_U;
    case VOCE_DTYPE_UNDEFINED: break;
    }
    memset(w->i, 0, sizeof(int64_t) * (size_t)n);
    return WIDE_I;
}

CONV(sf_f32, double, float, (float)x[i])
CONV(sf_f64, double, double, x[i])
CONV(sf_f16, double, uint16_t, f64_to_f16(x[i]))
CONV(sf_i8, double, int8_t, (int8_t)sat_range(x[i], -128.0, 127.0))
CONV(sf_i16, double, int16_t, (int16_t)sat_range(x[i], -32768.0, 32767.0))
CONV(sf_i32, double, int32_t, (int32_t)sat_range(x[i], -2147483648.0, 2147483647.0))
CONV(sf_i64, double, int64_t, sat_i64(x[i]))
CONV(sf_u8, double, uint8_t, (uint8_t)sat_range(x[i], 0.0, 255.0))
CONV(sf_u16, double, uint16_t, (uint16_t)sat_range(x[i], 0.0, 65535.0))
CONV(sf_u32, double, uint32_t, (uint32_t)sat_range(x[i], 0.0, 4294967295.0))
CONV(sf_u64, double, uint64_t, sat_u64(x[i]))
CONV(sf_b8, double, uint8_t, x[i] != 0)

static void store_from_f(const wide_chunk *w, void *dst, voce_dtype dt, int64_t n)
{
    const double *d = w->d;
    switch (dt) {
    case VOCE_DTYPE_F32: sf_f32(n, d, dst); break;
    case VOCE_DTYPE_F64: sf_f64(n, d, dst); break;
    case VOCE_DTYPE_F16: sf_f16(n, d, dst); break;
    case VOCE_DTYPE_I8: sf_i8(n, d, dst); break;
    case VOCE_DTYPE_I16: sf_i16(n, d, dst); break;
    case VOCE_DTYPE_I32: sf_i32(n, d, dst); break;
    case VOCE_DTYPE_I64: sf_i64(n, d, dst); break;
    case VOCE_DTYPE_U8: sf_u8(n, d, dst); break;
    case VOCE_DTYPE_U16: sf_u16(n, d, dst); break;
    case VOCE_DTYPE_U32: sf_u32(n, d, dst); break;
    case VOCE_DTYPE_U64: sf_u64(n, d, dst); break;
    case VOCE_DTYPE_BOOL: sf_b8(n, d, dst); break;
    case VOCE_DTYPE_UNDEFINED: break;
    }
}

/* From two's complement bits: int64 and uint64 chunks share the integer stores; the
 * signedness only matters for the conversions to float. */
#define INT_STORES(pre, TW)                                                            \
    CONV(pre##_i8, TW, int8_t, wrap_i8((uint64_t)x[i]))                                \
    CONV(pre##_i16, TW, int16_t, wrap_i16((uint64_t)x[i]))                             \
    CONV(pre##_i32, TW, int32_t, wrap_i32((uint64_t)x[i]))                             \
    CONV(pre##_i64, TW, int64_t, vc_wrap64((uint64_t)x[i]))                            \
    CONV(pre##_u8, TW, uint8_t, (uint8_t)x[i])                                         \
    CONV(pre##_u16, TW, uint16_t, (uint16_t)x[i])                                      \
    CONV(pre##_u32, TW, uint32_t, (uint32_t)x[i])                                      \
    CONV(pre##_u64, TW, uint64_t, (uint64_t)x[i])                                      \
    CONV(pre##_b8, TW, uint8_t, x[i] != 0)                                             \
    CONV(pre##_f32, TW, float, (float)x[i])                                            \
    CONV(pre##_f64, TW, double, (double)x[i])                                          \
    /* via f32 is exact here: below 2^24 an int is exact in f32, above it f16 is inf */ \
    CONV(pre##_f16, TW, uint16_t, vc_f32_to_f16((float)x[i]))
INT_STORES(si, int64_t)
INT_STORES(su, uint64_t)

#define STORE_INT_SWITCH(pre, src)                                                     \
    switch (dt) {                                                                      \
    case VOCE_DTYPE_F32: pre##_f32(n, src, dst); break;                                \
    case VOCE_DTYPE_F64: pre##_f64(n, src, dst); break;                                \
    case VOCE_DTYPE_F16: pre##_f16(n, src, dst); break;                                \
    case VOCE_DTYPE_I8: pre##_i8(n, src, dst); break;                                  \
    case VOCE_DTYPE_I16: pre##_i16(n, src, dst); break;                                \
    case VOCE_DTYPE_I32: pre##_i32(n, src, dst); break;                                \
    case VOCE_DTYPE_I64: pre##_i64(n, src, dst); break;                                \
    case VOCE_DTYPE_U8: pre##_u8(n, src, dst); break;                                  \
    case VOCE_DTYPE_U16: pre##_u16(n, src, dst); break;                                \
    case VOCE_DTYPE_U32: pre##_u32(n, src, dst); break;                                \
    case VOCE_DTYPE_U64: pre##_u64(n, src, dst); break;                                \
    case VOCE_DTYPE_BOOL: pre##_b8(n, src, dst); break;                                \
    case VOCE_DTYPE_UNDEFINED: break;                                                  \
    }

static void store_from_i(const wide_chunk *w, void *dst, voce_dtype dt, int64_t n)
{
    STORE_INT_SWITCH(si, w->i)
}

static void store_from_u(const wide_chunk *w, void *dst, voce_dtype dt, int64_t n)
{
    STORE_INT_SWITCH(su, w->u)
}

CONV(dc_f16_f32, uint16_t, float, vc_f16_to_f32(x[i]))
CONV(dc_f32_f16, float, uint16_t, vc_f32_to_f16(x[i]))
CONV(dc_f32_f64, float, double, x[i])
CONV(dc_f64_f32, double, float, (float)x[i])
CONV(dc_i32_i64, int32_t, int64_t, x[i])
CONV(dc_i64_i32, int64_t, int32_t, wrap_i32((uint64_t)x[i]))
CONV(dc_b8_f32, uint8_t, float, x[i])
CONV(dc_i64_f32, int64_t, float, (float)x[i])
CONV(dc_i32_f32, int32_t, float, (float)x[i])

/* The frequent pairs, without the wide detour. Returns 0 if the pair is not one. */
static int convert_direct(const void *src, voce_dtype st, void *dst, voce_dtype dt, int64_t n)
{
#define PAIR(a, b) ((int)(a) * 32 + (int)(b))
    switch (PAIR(st, dt)) {
    case PAIR(VOCE_DTYPE_F16, VOCE_DTYPE_F32): dc_f16_f32(n, src, dst); return 1;
    case PAIR(VOCE_DTYPE_F32, VOCE_DTYPE_F16): dc_f32_f16(n, src, dst); return 1;
    case PAIR(VOCE_DTYPE_F32, VOCE_DTYPE_F64): dc_f32_f64(n, src, dst); return 1;
    case PAIR(VOCE_DTYPE_F64, VOCE_DTYPE_F32): dc_f64_f32(n, src, dst); return 1;
    case PAIR(VOCE_DTYPE_I32, VOCE_DTYPE_I64): dc_i32_i64(n, src, dst); return 1;
    case PAIR(VOCE_DTYPE_I64, VOCE_DTYPE_I32): dc_i64_i32(n, src, dst); return 1;
    case PAIR(VOCE_DTYPE_BOOL, VOCE_DTYPE_F32): dc_b8_f32(n, src, dst); return 1;
    case PAIR(VOCE_DTYPE_I64, VOCE_DTYPE_F32): dc_i64_f32(n, src, dst); return 1;
    case PAIR(VOCE_DTYPE_I32, VOCE_DTYPE_F32): dc_i32_f32(n, src, dst); return 1;
    default: return 0;
    }
#undef PAIR
}

void vc_ew_convert(const void *src, voce_dtype st, void *dst, voce_dtype dt, int64_t n)
{
    if (n <= 0) return;
    if (st == dt) {
        memcpy(dst, src, (size_t)n * voce_dtype_size(st));
        return;
    }
    if (convert_direct(src, st, dst, dt, n)) return;
    const char *s = src;
    char *d = dst;
    size_t ss = voce_dtype_size(st), ds = voce_dtype_size(dt);
    wide_chunk w;
    for (int64_t off = 0; off < n; off += VC_EW_CHUNK) {
        int64_t m = n - off < VC_EW_CHUNK ? n - off : VC_EW_CHUNK;
        int kind = load_wide(s + (size_t)off * ss, st, &w, m);
        void *out = d + (size_t)off * ds;
        if (kind == WIDE_F) store_from_f(&w, out, dt, m);
        else if (kind == WIDE_I) store_from_i(&w, out, dt, m);
        else store_from_u(&w, out, dt, m);
    }
}
