/* Reference kernels: ArgMax, ArgMin and TopK over one axis, viewed as [O, R, I].
 *
 * ArgMax / ArgMin pick a NaN if there is one (as numpy), the first unless
 * select_last_index; they walk memory in order with a row of current best values in
 * scratch. TopK orders NaN above +inf and -0 equal to +0; equal values keep the lower
 * index first; sorted = 0 still sorts. It keeps a heap of K entries per output column
 * and reads any storage dtype directly (u64 included). */
#include <string.h>

#include "../../core/f16.h"
#include "reduce_impl.h"

voce_status vc_arg_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_red_check_io(n, in, 1, 1, 1);
    if (!st) st = vc_red_check_dtype(n, in, 0, VC_DT_FLOAT | VC_DT_INT);
    int axis;
    if (!st) st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), in[0]->rank, &axis);
    if (st) return st;
    int keep = vc_attr_int(n, "keepdims", 1) != 0, r = 0;
    vc_tensor *y = &out[0];
    y->dtype = VOCE_DTYPE_I64;
    for (int d = 0; d < in[0]->rank; d++) {
        if (d != axis) y->dims[r++] = in[0]->dims[d];
        else if (keep) y->dims[r++] = 1;
    }
    y->rank = r;
    if (in[0]->dims[axis] == 0 && vc_numel(y) > 0)
        return vc_node_error(n, VOCE_ERR_SHAPE, "axis %d is empty: no index to return", axis);
    return VOCE_OK;
}

size_t vc_arg_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)out;
    int axis;
    if (vc_norm_axis(n, vc_attr_int(n, "axis", 0), in[0]->rank, &axis)) return 0;
    int64_t o, r, i;
    vc_red_split3(in[0], axis, &o, &r, &i);
    return vc_red_convert_bytes(in[0]) + vc_red_align64((size_t)i * 8);
}

/* Is v a better pick than the current best b? NaN beats numbers; ties go to the later
 * index only with select_last_index. Floats compare exactly as f64. */
static inline int better_f(double v, double b, int is_min, int last)
{
    if (b != b) return last && v != v;
    if (v != v) return 1;
    if (v == b) return last;
    return is_min ? v < b : v > b;
}

static inline int better_i(int64_t v, int64_t b, int is_min, int last)
{
    if (v == b) return last;
    return is_min ? v < b : v > b;
}

/* best: I values of the current best, in scratch. */
static void arg_f32(const float *x, int64_t *y, int64_t O, int64_t R, int64_t I, int is_min,
                    int last, float *best)
{
    for (int64_t o = 0; o < O; o++) {
        const float *xo = x + o * R * I;
        int64_t *yo = y + o * I;
        for (int64_t j = 0; j < I; j++) {
            best[j] = xo[j];
            yo[j] = 0;
        }
        for (int64_t r = 1; r < R; r++)
            for (int64_t j = 0; j < I; j++) {
                float v = xo[r * I + j];
                if (better_f(v, best[j], is_min, last)) {
                    best[j] = v;
                    yo[j] = r;
                }
            }
    }
}

static void arg_f64(const double *x, int64_t *y, int64_t O, int64_t R, int64_t I, int is_min,
                    int last, double *best)
{
    for (int64_t o = 0; o < O; o++) {
        const double *xo = x + o * R * I;
        int64_t *yo = y + o * I;
        for (int64_t j = 0; j < I; j++) {
            best[j] = xo[j];
            yo[j] = 0;
        }
        for (int64_t r = 1; r < R; r++)
            for (int64_t j = 0; j < I; j++) {
                double v = xo[r * I + j];
                if (better_f(v, best[j], is_min, last)) {
                    best[j] = v;
                    yo[j] = r;
                }
            }
    }
}

static void arg_i64(const int64_t *x, int64_t *y, int64_t O, int64_t R, int64_t I, int is_min,
                    int last, int64_t *best)
{
    for (int64_t o = 0; o < O; o++) {
        const int64_t *xo = x + o * R * I;
        int64_t *yo = y + o * I;
        for (int64_t j = 0; j < I; j++) {
            best[j] = xo[j];
            yo[j] = 0;
        }
        for (int64_t r = 1; r < R; r++)
            for (int64_t j = 0; j < I; j++) {
                int64_t v = xo[r * I + j];
                if (better_i(v, best[j], is_min, last)) {
                    best[j] = v;
                    yo[j] = r;
                }
            }
    }
}

static voce_status arg_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                           vc_ctx *ctx, int is_min)
{
    int axis;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", 0), in[0]->rank, &axis);
    if (st) return st;
    int64_t o, r, i;
    vc_red_split3(in[0], axis, &o, &r, &i);
    if (vc_numel(&out[0]) == 0) return VOCE_OK;
    int last = vc_attr_int(n, "select_last_index", 0) != 0;
    char *s = ctx->scratch;
    const void *x = vc_red_input_as_compute(in[0], &s);
    switch (vc_red_compute(in[0]->dtype)) {
    case VOCE_DTYPE_F32: arg_f32(x, out[0].data, o, r, i, is_min, last, (float *)s); break;
    case VOCE_DTYPE_F64: arg_f64(x, out[0].data, o, r, i, is_min, last, (double *)s); break;
    default: arg_i64(x, out[0].data, o, r, i, is_min, last, (int64_t *)s); break;
    }
    return VOCE_OK;
}

voce_status vc_argmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return arg_run(n, in, out, ctx, 0);
}

voce_status vc_argmin_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return arg_run(n, in, out, ctx, 1);
}

/* Keys that order as unsigned integers: floats by value with NaN on top and -0 == +0,
 * signed integers with the sign bit flipped. */
static uint64_t key_f64(double d)
{
    if (d != d) return UINT64_MAX;
    if (d == 0) d = 0.0;
    uint64_t b;
    memcpy(&b, &d, 8);
    return b >> 63 ? ~b : b | (UINT64_C(1) << 63);
}

static uint64_t key_i64(int64_t v) { return (uint64_t)v ^ (UINT64_C(1) << 63); }

static uint64_t read_key(const void *x, voce_dtype dt, int64_t i)
{
    switch (dt) {
    case VOCE_DTYPE_F32: return key_f64(((const float *)x)[i]);
    case VOCE_DTYPE_F64: return key_f64(((const double *)x)[i]);
    case VOCE_DTYPE_F16: return key_f64(vc_f16_to_f32(((const uint16_t *)x)[i]));
    case VOCE_DTYPE_I8: return key_i64(((const int8_t *)x)[i]);
    case VOCE_DTYPE_I16: return key_i64(((const int16_t *)x)[i]);
    case VOCE_DTYPE_I32: return key_i64(((const int32_t *)x)[i]);
    case VOCE_DTYPE_I64: return key_i64(((const int64_t *)x)[i]);
    case VOCE_DTYPE_U8: return ((const uint8_t *)x)[i];
    case VOCE_DTYPE_U16: return ((const uint16_t *)x)[i];
    case VOCE_DTYPE_U32: return ((const uint32_t *)x)[i];
    case VOCE_DTYPE_U64: return ((const uint64_t *)x)[i];
    default: return 0;
    }
}

typedef struct topk_entry {
    uint64_t key;
    int64_t idx;
} topk_entry;

/* Strict total order of the output: larger (or smaller) key first, then lower index. */
static int topk_before(const topk_entry *a, const topk_entry *b, int largest)
{
    if (a->key != b->key) return largest ? a->key > b->key : a->key < b->key;
    return a->idx < b->idx;
}

/* Heap with the entry that comes last in output order at the root. */
static void heap_down(topk_entry *h, int64_t n, int64_t i, int largest)
{
    for (;;) {
        int64_t w = i, l = 2 * i + 1, r = l + 1;
        if (l < n && topk_before(&h[w], &h[l], largest)) w = l;
        if (r < n && topk_before(&h[w], &h[r], largest)) w = r;
        if (w == i) return;
        topk_entry t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void heap_up(topk_entry *h, int64_t i, int largest)
{
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!topk_before(&h[p], &h[i], largest)) return;
        topk_entry t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static voce_status topk_geometry(const vc_node *n, vc_tensor *const *in, int *axis, int64_t *k)
{
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", -1), in[0]->rank, axis);
    if (st) return st;
    *k = vc_get_int(in[1], 0);
    if (*k < 0 || *k > in[0]->dims[*axis])
        return vc_node_error(n, VOCE_ERR_SHAPE, "K = %lld is outside [0, %lld]", (long long)*k,
                             (long long)in[0]->dims[*axis]);
    return VOCE_OK;
}

voce_status vc_topk_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_red_check_io(n, in, 2, 2, 2);
    if (!st) st = vc_red_check_dtype(n, in, 0, VC_DT_FLOAT | VC_DT_INT | VC_DT(VOCE_DTYPE_U64));
    if (!st) st = vc_red_check_int_scalar(n, in, 1);
    if (!st) st = vc_need_data(n, in, 1);
    int axis;
    int64_t k;
    if (!st) st = topk_geometry(n, in, &axis, &k);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    out[0].dims[axis] = k;
    vc_same_shape(&out[1], &out[0]);
    out[1].dtype = VOCE_DTYPE_I64;
    return VOCE_OK;
}

size_t vc_topk_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)out;
    int axis = 0;
    int64_t k = 0;
    if (topk_geometry(n, in, &axis, &k)) return 0;
    return (size_t)k * sizeof(topk_entry);
}

voce_status vc_topk_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int axis;
    int64_t k;
    voce_status st = topk_geometry(n, in, &axis, &k);
    if (st) return st;
    const vc_tensor *x = in[0];
    int64_t O, R, I;
    vc_red_split3(x, axis, &O, &R, &I);
    if (k == 0 || O * I == 0) return VOCE_OK;
    int largest = vc_attr_int(n, "largest", 1) != 0;
    size_t es = voce_dtype_size(x->dtype);
    topk_entry *h = ctx->scratch;
    int64_t *idx_out = out[1].data;
    char *val_out = out[0].data;
    for (int64_t o = 0; o < O; o++)
        for (int64_t j = 0; j < I; j++) {
            int64_t base = o * R * I + j, cnt = 0;
            for (int64_t r = 0; r < R; r++) {
                topk_entry e = {read_key(x->data, x->dtype, base + r * I), r};
                if (cnt < k) {
                    h[cnt] = e;
                    heap_up(h, cnt++, largest);
                } else if (topk_before(&e, &h[0], largest)) {
                    h[0] = e;
                    heap_down(h, k, 0, largest);
                }
            }
            for (int64_t end = k - 1; end > 0; end--) { /* heapsort: best first */
                topk_entry t = h[0];
                h[0] = h[end];
                h[end] = t;
                heap_down(h, end, 0, largest);
            }
            for (int64_t t = 0; t < k; t++) {
                int64_t dst = o * k * I + t * I + j;
                idx_out[dst] = h[t].idx;
                memcpy(val_out + (size_t)dst * es,
                       (const char *)x->data + (size_t)(base + h[t].idx * I) * es, es);
            }
        }
    return VOCE_OK;
}
