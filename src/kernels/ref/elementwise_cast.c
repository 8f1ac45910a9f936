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

#define LOAD(T, field, expr)                                                           \
    do {                                                                               \
        const T *x = src;                                                              \
        VC_EW_FOR(i, n, w->field[i] = (expr););                                        \
    } while (0)

static int load_wide(const void *src, voce_dtype st, wide_chunk *w, int64_t n)
{
    switch (st) {
    case VOCE_DTYPE_F32: LOAD(float, d, x[i]); return WIDE_F;
    case VOCE_DTYPE_F64: LOAD(double, d, x[i]); return WIDE_F;
    case VOCE_DTYPE_F16: LOAD(uint16_t, d, vc_f16_to_f32(x[i])); return WIDE_F;
    case VOCE_DTYPE_I8: LOAD(int8_t, i, x[i]); return WIDE_I;
    case VOCE_DTYPE_I16: LOAD(int16_t, i, x[i]); return WIDE_I;
    case VOCE_DTYPE_I32: LOAD(int32_t, i, x[i]); return WIDE_I;
    case VOCE_DTYPE_I64: LOAD(int64_t, i, x[i]); return WIDE_I;
    case VOCE_DTYPE_U8: case VOCE_DTYPE_BOOL: LOAD(uint8_t, i, x[i]); return WIDE_I;
    case VOCE_DTYPE_U16: LOAD(uint16_t, i, x[i]); return WIDE_I;
    case VOCE_DTYPE_U32: LOAD(uint32_t, i, x[i]); return WIDE_I;
    case VOCE_DTYPE_U64: LOAD(uint64_t, u, x[i]); return WIDE_U;
    case VOCE_DTYPE_UNDEFINED: break;
    }
    memset(w->i, 0, sizeof(int64_t) * (size_t)n);
    return WIDE_I;
}

#define STORE(T, expr)                                                                 \
    do {                                                                               \
        T *o = dst;                                                                    \
        VC_EW_FOR(i, n, o[i] = (expr););                                               \
    } while (0)

static void store_from_f(const wide_chunk *w, void *dst, voce_dtype dt, int64_t n)
{
    const double *d = w->d;
    switch (dt) {
    case VOCE_DTYPE_F32: STORE(float, (float)d[i]); break;
    case VOCE_DTYPE_F64: STORE(double, d[i]); break;
    case VOCE_DTYPE_F16: STORE(uint16_t, f64_to_f16(d[i])); break;
    case VOCE_DTYPE_I8: STORE(int8_t, (int8_t)sat_range(d[i], -128.0, 127.0)); break;
    case VOCE_DTYPE_I16: STORE(int16_t, (int16_t)sat_range(d[i], -32768.0, 32767.0)); break;
    case VOCE_DTYPE_I32:
        STORE(int32_t, (int32_t)sat_range(d[i], -2147483648.0, 2147483647.0));
        break;
    case VOCE_DTYPE_I64: STORE(int64_t, sat_i64(d[i])); break;
    case VOCE_DTYPE_U8: STORE(uint8_t, (uint8_t)sat_range(d[i], 0.0, 255.0)); break;
    case VOCE_DTYPE_U16: STORE(uint16_t, (uint16_t)sat_range(d[i], 0.0, 65535.0)); break;
    case VOCE_DTYPE_U32: STORE(uint32_t, (uint32_t)sat_range(d[i], 0.0, 4294967295.0)); break;
    case VOCE_DTYPE_U64: STORE(uint64_t, sat_u64(d[i])); break;
    case VOCE_DTYPE_BOOL: STORE(uint8_t, d[i] != 0); break;
    case VOCE_DTYPE_UNDEFINED: break;
    }
}

/* From two's complement bits: wide int64 and uint64 chunks share this, the signedness
 * only matters for the conversions to float. */
#define STORE_INT_CASES(v)                                                             \
    case VOCE_DTYPE_I8: STORE(int8_t, wrap_i8((uint64_t)(v))); break;                  \
    case VOCE_DTYPE_I16: STORE(int16_t, wrap_i16((uint64_t)(v))); break;               \
    case VOCE_DTYPE_I32: STORE(int32_t, wrap_i32((uint64_t)(v))); break;               \
    case VOCE_DTYPE_I64: STORE(int64_t, vc_wrap64((uint64_t)(v))); break;              \
    case VOCE_DTYPE_U8: STORE(uint8_t, (uint8_t)(v)); break;                           \
    case VOCE_DTYPE_U16: STORE(uint16_t, (uint16_t)(v)); break;                        \
    case VOCE_DTYPE_U32: STORE(uint32_t, (uint32_t)(v)); break;                        \
    case VOCE_DTYPE_U64: STORE(uint64_t, (uint64_t)(v)); break;                        \
    case VOCE_DTYPE_BOOL: STORE(uint8_t, (v) != 0); break;                             \
    case VOCE_DTYPE_UNDEFINED: break;

static void store_from_i(const wide_chunk *w, void *dst, voce_dtype dt, int64_t n)
{
    const int64_t *v = w->i;
    switch (dt) {
    case VOCE_DTYPE_F32: STORE(float, (float)v[i]); break;
    case VOCE_DTYPE_F64: STORE(double, (double)v[i]); break;
    /* via f32 is exact here: below 2^24 the int is exact in f32, above it f16 is inf */
    case VOCE_DTYPE_F16: STORE(uint16_t, vc_f32_to_f16((float)v[i])); break;
    STORE_INT_CASES(v[i])
    }
}

static void store_from_u(const wide_chunk *w, void *dst, voce_dtype dt, int64_t n)
{
    const uint64_t *v = w->u;
    switch (dt) {
    case VOCE_DTYPE_F32: STORE(float, (float)v[i]); break;
    case VOCE_DTYPE_F64: STORE(double, (double)v[i]); break;
    case VOCE_DTYPE_F16: STORE(uint16_t, vc_f32_to_f16((float)v[i])); break;
    STORE_INT_CASES(v[i])
    }
}

/* The frequent pairs, without the wide detour. Returns 0 if the pair is not one. */
static int convert_direct(const void *src, voce_dtype st, void *dst, voce_dtype dt, int64_t n)
{
#define PAIR(a, b) ((int)(a) * 32 + (int)(b))
#define DIRECT(TS, TD, expr)                                                           \
    do {                                                                               \
        const TS *restrict x = src;                                                    \
        TD *restrict o = dst;                                                          \
        VC_EW_FOR(i, n, o[i] = (expr););                                               \
    } while (0)
    switch (PAIR(st, dt)) {
    case PAIR(VOCE_DTYPE_F16, VOCE_DTYPE_F32): DIRECT(uint16_t, float, vc_f16_to_f32(x[i])); return 1;
    case PAIR(VOCE_DTYPE_F32, VOCE_DTYPE_F16): DIRECT(float, uint16_t, vc_f32_to_f16(x[i])); return 1;
    case PAIR(VOCE_DTYPE_F32, VOCE_DTYPE_F64): DIRECT(float, double, x[i]); return 1;
    case PAIR(VOCE_DTYPE_F64, VOCE_DTYPE_F32): DIRECT(double, float, (float)x[i]); return 1;
    case PAIR(VOCE_DTYPE_I32, VOCE_DTYPE_I64): DIRECT(int32_t, int64_t, x[i]); return 1;
    case PAIR(VOCE_DTYPE_I64, VOCE_DTYPE_I32): DIRECT(int64_t, int32_t, wrap_i32((uint64_t)x[i])); return 1;
    case PAIR(VOCE_DTYPE_BOOL, VOCE_DTYPE_F32): DIRECT(uint8_t, float, x[i]); return 1;
    case PAIR(VOCE_DTYPE_I64, VOCE_DTYPE_F32): DIRECT(int64_t, float, (float)x[i]); return 1;
    case PAIR(VOCE_DTYPE_I32, VOCE_DTYPE_F32): DIRECT(int32_t, float, (float)x[i]); return 1;
    default: return 0;
    }
#undef DIRECT
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
