/* Conversion between the 12 tensor dtypes (Cast, and the storage <-> compute conversions
 * of every other reference kernel).
 *
 * A general conversion goes through a "wide" stack chunk: double for float sources,
 * int64 for signed / narrow unsigned / bool sources, uint64 for u64. Storing from int64
 * or uint64 straight into f32 keeps int -> float correctly rounded (no double rounding
 * through f64). The pairs the runtime uses most (f16 <-> f32, f32 <-> f64, i32 <-> i64)
 * have direct loops. Loops step over blocks of 8 as described at VC_EW_BLOCK, so that gcc
 * vectorizes them; vc_ew_convert finishes a run by converting its last full block again,
 * or a run shorter than a block in zero-padded copies. Rules for out-of-range values are
 * in elementwise_impl.h. */
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

/* Reads n elements of dtype st into w; returns which member of w holds them. */
static int load_wide(const void *restrict src, voce_dtype st, wide_chunk *restrict w, int64_t n)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    const float *f32 = src; const double *f64 = src;
    const int8_t *i8 = src; const int16_t *i16 = src; const int32_t *i32 = src;
    const int64_t *i64 = src;
    const uint8_t *u8 = src; const uint16_t *u16 = src; const uint32_t *u32 = src;
    const uint64_t *u64 = src;
    switch (st) {
    case VOCE_DTYPE_F32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->d[j] = f32[j];
        return WIDE_F;
    case VOCE_DTYPE_F64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->d[j] = f64[j];
        return WIDE_F;
    case VOCE_DTYPE_F16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->d[j] = vc_f16_to_f32(u16[j]);
        return WIDE_F;
    case VOCE_DTYPE_I8:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->i[j] = i8[j];
        return WIDE_I;
    case VOCE_DTYPE_I16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->i[j] = i16[j];
        return WIDE_I;
    case VOCE_DTYPE_I32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->i[j] = i32[j];
        return WIDE_I;
    case VOCE_DTYPE_I64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->i[j] = i64[j];
        return WIDE_I;
    case VOCE_DTYPE_U8: case VOCE_DTYPE_BOOL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->i[j] = u8[j];
        return WIDE_I;
    case VOCE_DTYPE_U16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->i[j] = u16[j];
        return WIDE_I;
    case VOCE_DTYPE_U32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->i[j] = u32[j];
        return WIDE_I;
    case VOCE_DTYPE_U64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) w->u[j] = u64[j];
        return WIDE_U;
    case VOCE_DTYPE_UNDEFINED: break;
    }
    memset(w->i, 0, sizeof(int64_t) * (size_t)n);
    return WIDE_I;
}

static void store_from_f(const double *restrict x, voce_dtype dt, void *restrict dst, int64_t n)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    float *f32 = dst; double *f64 = dst;
    int8_t *i8 = dst; int16_t *i16 = dst; int32_t *i32 = dst; int64_t *i64 = dst;
    uint8_t *u8 = dst; uint16_t *u16 = dst; uint32_t *u32 = dst; uint64_t *u64 = dst;
    switch (dt) {
    case VOCE_DTYPE_F32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) f32[j] = (float)x[j];
        break;
    case VOCE_DTYPE_F64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) f64[j] = x[j];
        break;
    case VOCE_DTYPE_F16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) u16[j] = f64_to_f16(x[j]);
        break;
    case VOCE_DTYPE_I8:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            i8[j] = (int8_t)sat_range(x[j], -128.0, 127.0);
        break;
    case VOCE_DTYPE_I16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            i16[j] = (int16_t)sat_range(x[j], -32768.0, 32767.0);
        break;
    case VOCE_DTYPE_I32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            i32[j] = (int32_t)sat_range(x[j], -2147483648.0, 2147483647.0);
        break;
    case VOCE_DTYPE_I64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) i64[j] = sat_i64(x[j]);
        break;
    case VOCE_DTYPE_U8:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            u8[j] = (uint8_t)sat_range(x[j], 0.0, 255.0);
        break;
    case VOCE_DTYPE_U16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            u16[j] = (uint16_t)sat_range(x[j], 0.0, 65535.0);
        break;
    case VOCE_DTYPE_U32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            u32[j] = (uint32_t)sat_range(x[j], 0.0, 4294967295.0);
        break;
    case VOCE_DTYPE_U64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) u64[j] = sat_u64(x[j]);
        break;
    case VOCE_DTYPE_BOOL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) u8[j] = x[j] != 0;
        break;
    case VOCE_DTYPE_UNDEFINED: break;
    }
}

/* From two's complement bits: int64 and uint64 sources share the integer stores (through
 * the uint64 bits); the signedness only matters for the conversions to float. Via f32 is
 * exact for f16: below 2^24 an int is exact in f32, above it f16 is inf. */
static void store_int_bits(const uint64_t *restrict x, voce_dtype dt, void *restrict dst,
                           int64_t n)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    int8_t *i8 = dst; int16_t *i16 = dst; int32_t *i32 = dst; int64_t *i64 = dst;
    uint8_t *u8 = dst; uint16_t *u16 = dst; uint32_t *u32 = dst; uint64_t *u64 = dst;
    switch (dt) {
    case VOCE_DTYPE_I8:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) i8[j] = wrap_i8(x[j]);
        break;
    case VOCE_DTYPE_I16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) i16[j] = wrap_i16(x[j]);
        break;
    case VOCE_DTYPE_I32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) i32[j] = wrap_i32(x[j]);
        break;
    case VOCE_DTYPE_I64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) i64[j] = vc_wrap64(x[j]);
        break;
    case VOCE_DTYPE_U8:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) u8[j] = (uint8_t)x[j];
        break;
    case VOCE_DTYPE_U16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) u16[j] = (uint16_t)x[j];
        break;
    case VOCE_DTYPE_U32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) u32[j] = (uint32_t)x[j];
        break;
    case VOCE_DTYPE_U64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) u64[j] = x[j];
        break;
    case VOCE_DTYPE_BOOL:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) u8[j] = x[j] != 0;
        break;
    default: break;
    }
}

static void store_from_i(const int64_t *restrict x, voce_dtype dt, void *restrict dst,
                         int64_t n)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    float *f32 = dst; double *f64 = dst; uint16_t *f16 = dst;
    switch (dt) {
    case VOCE_DTYPE_F32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) f32[j] = (float)x[j];
        break;
    case VOCE_DTYPE_F64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) f64[j] = (double)x[j];
        break;
    case VOCE_DTYPE_F16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            f16[j] = vc_f32_to_f16((float)x[j]);
        break;
    default: store_int_bits((const uint64_t *)x, dt, dst, n); break;
    }
}

static void store_from_u(const uint64_t *restrict x, voce_dtype dt, void *restrict dst,
                         int64_t n)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    float *f32 = dst; double *f64 = dst; uint16_t *f16 = dst;
    switch (dt) {
    case VOCE_DTYPE_F32:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) f32[j] = (float)x[j];
        break;
    case VOCE_DTYPE_F64:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) f64[j] = (double)x[j];
        break;
    case VOCE_DTYPE_F16:
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            f16[j] = vc_f32_to_f16((float)x[j]);
        break;
    default: store_int_bits(x, dt, dst, n); break;
    }
}

/* The frequent pairs, without the wide detour. Returns 0 if the pair is not one. */
static int convert_direct(const void *restrict src, voce_dtype st, void *restrict dst,
                          voce_dtype dt, int64_t n)
{
    int64_t i, j;
    n -= n % 8; /* whole blocks; the caller finishes the row */
    const uint16_t *x16 = src; const float *xf = src; const double *xd = src;
    const int32_t *x32 = src; const int64_t *x64 = src; const uint8_t *xb = src;
    uint16_t *o16 = dst; float *of = dst; double *od = dst; int32_t *o32 = dst;
    int64_t *o64 = dst;
    if (dt == VOCE_DTYPE_F32) {
        switch (st) {
        case VOCE_DTYPE_F16:
            for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
                of[j] = vc_f16_to_f32(x16[j]);
            return 1;
        case VOCE_DTYPE_F64:
            for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) of[j] = (float)xd[j];
            return 1;
        case VOCE_DTYPE_BOOL:
            for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) of[j] = xb[j];
            return 1;
        case VOCE_DTYPE_I64:
            for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) of[j] = (float)x64[j];
            return 1;
        case VOCE_DTYPE_I32:
            for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) of[j] = (float)x32[j];
            return 1;
        default: return 0;
        }
    }
    if (st == VOCE_DTYPE_F32 && dt == VOCE_DTYPE_F16) {
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o16[j] = vc_f32_to_f16(xf[j]);
    } else if (st == VOCE_DTYPE_F32 && dt == VOCE_DTYPE_F64) {
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) od[j] = xf[j];
    } else if (st == VOCE_DTYPE_I32 && dt == VOCE_DTYPE_I64) {
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++) o64[j] = x32[j];
    } else if (st == VOCE_DTYPE_I64 && dt == VOCE_DTYPE_I32) {
        for (i = 0; i < n; i += 8) for (j = i; j < i + 8; j++)
            o32[j] = wrap_i32((uint64_t)x64[j]);
    } else {
        return 0;
    }
    return 1;
}

/* The whole blocks of n elements. */
static void convert_blocks(const void *src, voce_dtype st, void *dst, voce_dtype dt, int64_t n)
{
    if (convert_direct(src, st, dst, dt, n)) return;
    const char *s = src;
    char *d = dst;
    size_t ss = voce_dtype_size(st), ds = voce_dtype_size(dt);
    wide_chunk w;
    for (int64_t off = 0; off < n; off += VC_EW_CHUNK) {
        int64_t m = n - off < VC_EW_CHUNK ? n - off : VC_EW_CHUNK;
        int kind = load_wide(s + (size_t)off * ss, st, &w, m);
        void *out = d + (size_t)off * ds;
        if (kind == WIDE_F) store_from_f(w.d, dt, out, m);
        else if (kind == WIDE_I) store_from_i(w.i, dt, out, m);
        else store_from_u(w.u, dt, out, m);
    }
}

void vc_ew_convert(const void *src, voce_dtype st, void *dst, voce_dtype dt, int64_t n)
{
    if (n <= 0) return;
    size_t ss = voce_dtype_size(st), ds = voce_dtype_size(dt);
    if (st == dt) {
        memcpy(dst, src, (size_t)n * ss);
        return;
    }
    convert_blocks(src, st, dst, dt, n);
    if (n % VC_EW_BLOCK == 0) return;
    if (n > VC_EW_BLOCK) {
        size_t last = (size_t)(n - VC_EW_BLOCK);
        convert_blocks((const char *)src + last * ss, st, (char *)dst + last * ds, dt,
                       VC_EW_BLOCK);
        return;
    }
    uint64_t bs[VC_EW_BLOCK], bd[VC_EW_BLOCK];
    memset(bs, 0, sizeof bs); /* every conversion is defined on 0 */
    memcpy(bs, src, (size_t)n * ss);
    convert_blocks(bs, st, bd, dt, VC_EW_BLOCK);
    memcpy(dst, bd, (size_t)n * ds);
}
