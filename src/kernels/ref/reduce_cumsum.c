/* Reference kernel: CumSum over one axis, viewed as [O, R, I], optionally exclusive and
 * reversed. Each output row is the previous output row plus an input row, so memory is
 * walked in order. Floats accumulate in their own type (as numpy); f16 in f32 and
 * integers in i64 (wrapping), converted through scratch, which is the memory cost. */
#include <string.h>

#include "reduce_impl.h"

static voce_status cumsum_axis(const vc_node *n, vc_tensor *const *in, int *axis)
{
    return vc_norm_axis(n, vc_get_int(in[1], 0), in[0]->rank, axis);
}

voce_status vc_cumsum_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_red_check_io(n, in, 2, 2, 1);
    if (!st) st = vc_red_check_dtype(n, in, 0, VC_DT_FLOAT | VC_DT_INT | VC_DT(VOCE_DTYPE_U64));
    if (!st) st = vc_red_check_int_scalar(n, in, 1);
    int axis;
    /* the axis does not change the shape: checked now if known, else when run */
    if (!st && in[1]->data) st = cumsum_axis(n, in, &axis);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    return VOCE_OK;
}

/* Another storage dtype: a converted input and a result buffer, both in scratch. */
size_t vc_cumsum_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)n; (void)out;
    return 2 * vc_red_convert_bytes(in[0]);
}

/* o = a + b on rows of n; floats in their own type, as numpy's cumsum. */
static void add_f32(int64_t n, const float *restrict a, const float *restrict b,
                    float *restrict o)
{
    int64_t nb = n - n % 8;
    for (int64_t i = 0; i < nb; i += 8)
        for (int64_t j = i; j < i + 8; j++) o[j] = a[j] + b[j];
    for (int64_t j = nb; j < n; j++) o[j] = a[j] + b[j];
}

static void add_f64(int64_t n, const double *restrict a, const double *restrict b,
                    double *restrict o)
{
    int64_t nb = n - n % 8;
    for (int64_t i = 0; i < nb; i += 8)
        for (int64_t j = i; j < i + 8; j++) o[j] = a[j] + b[j];
    for (int64_t j = nb; j < n; j++) o[j] = a[j] + b[j];
}

static void add_i64(int64_t n, const int64_t *restrict a, const int64_t *restrict b,
                    int64_t *restrict o)
{
    int64_t nb = n - n % 8;
    for (int64_t i = 0; i < nb; i += 8)
        for (int64_t j = i; j < i + 8; j++) o[j] = vc_wrap64((uint64_t)a[j] + (uint64_t)b[j]);
    for (int64_t j = nb; j < n; j++) o[j] = vc_wrap64((uint64_t)a[j] + (uint64_t)b[j]);
}

static void add_rows(voce_dtype c, int64_t n, const void *a, const void *b, void *o)
{
    switch (c) {
    case VOCE_DTYPE_F32: add_f32(n, a, b, o); break;
    case VOCE_DTYPE_F64: add_f64(n, a, b, o); break;
    default: add_i64(n, a, b, o); break;
    }
}

/* x and y in compute dtype c (es bytes each); y never aliases x. */
static void cumsum(voce_dtype c, size_t es, const char *x, char *y, int64_t O, int64_t R,
                   int64_t I, int excl, int rev)
{
    size_t row = (size_t)I * es;
    for (int64_t o = 0; o < O; o++) {
        const char *xo = x + (size_t)(o * R) * row;
        char *yo = y + (size_t)(o * R) * row;
        for (int64_t k = 0; k < R; k++) {
            int64_t r = rev ? R - 1 - k : k, p = rev ? r + 1 : r - 1;
            char *dst = yo + (size_t)r * row;
            if (k == 0 && excl) memset(dst, 0, row);
            else if (k == 0) memcpy(dst, xo + (size_t)r * row, row);
            else add_rows(c, I, yo + (size_t)p * row, xo + (size_t)(excl ? p : r) * row, dst);
        }
    }
}

voce_status vc_cumsum_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int axis;
    voce_status st = cumsum_axis(n, in, &axis);
    if (st) return st;
    const vc_tensor *x = in[0];
    int64_t O, R, I;
    vc_red_split3(x, axis, &O, &R, &I);
    if (vc_numel(x) == 0) return VOCE_OK;
    int excl = vc_attr_int(n, "exclusive", 0) != 0, rev = vc_attr_int(n, "reverse", 0) != 0;
    voce_dtype c = vc_red_compute(x->dtype);
    char *s = ctx->scratch;
    const void *xc = vc_red_input_as_compute(x, &s);
    void *y = c == x->dtype ? out[0].data : s;
    cumsum(c, voce_dtype_size(c), xc, y, O, R, I, excl, rev);
    if (y != out[0].data) vc_ew_convert(y, c, out[0].data, out[0].dtype, vc_numel(x));
    return VOCE_OK;
}
