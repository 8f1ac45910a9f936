/* Reference kernels: Softmax and LogSoftmax over one axis, viewed as [O, R, I].
 *
 * f32 and f64 each have a plain function for I == 1 (contiguous rows) and one for I > 1
 * (R rows of I columns walked in memory order, with a row of maxima and f64 sums in
 * scratch); f16 is computed in f32 on a converted copy. Sums are f64; exp is the input
 * type's: libm's, except on contiguous f32 rows (attention scores, the case that
 * matters for speed), which use fastmath.h's and are shared among threads. The output may be the input (the f16 path works in place): every element is
 * read before it is written. */
#include <math.h>
#include <string.h>

#include "fastmath.h"
#include "reduce_impl.h"
#include "../cpu/cpu.h"

/* Opset >= 13: softmax along axis (default -1). Before: axis defaults to 1 and the input
 * is taken as 2-D [prod(dims[:axis]), prod(dims[axis:])]. */
static voce_status softmax_geometry(const vc_node *n, const vc_tensor *x, int64_t *o,
                                    int64_t *r, int64_t *i)
{
    int legacy = n->opset > 0 && n->opset < 13, axis;
    voce_status st = vc_norm_axis(n, vc_attr_int(n, "axis", legacy ? 1 : -1), x->rank, &axis);
    if (st) return st;
    vc_red_split3(x, axis, o, r, i);
    if (legacy) {
        *r *= *i;
        *i = 1;
    }
    return VOCE_OK;
}

voce_status vc_softmax_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st = vc_red_check_io(n, in, 1, 1, 1);
    if (!st) st = vc_red_check_dtype(n, in, 0, VC_DT_FLOAT);
    int64_t o, r, i;
    if (!st) st = softmax_geometry(n, in[0], &o, &r, &i);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    return VOCE_OK;
}

/* f16: an f32 copy of the input; I > 1: rows of maxima and sums. */
size_t vc_softmax_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)out;
    int64_t o = 0, r = 0, i = 0;
    if (softmax_geometry(n, in[0], &o, &r, &i)) return 0;
    return vc_red_convert_bytes(in[0]) + (i > 1 ? 2 * vc_red_align64((size_t)i * 8) : 0);
}

/* Contiguous f32 rows: e^(x - max) by exp_fast (a few ulp, exactly 0 for masked -inf
 * entries), a chunk at a time into a buffer that stays in L1 and then summed in 8 f64
 * partial sums: three plain loops that gcc vectorizes (one loop doing all three does
 * not vectorize); then one reciprocal per row. */
enum { EXP_CHUNK = 256 };

VC_FM_INLINE double exp_chunk(const float *x, float m, int64_t n, float *e)
{
    double ps[8] = {0}, s = 0;
    int64_t n8 = n & ~(int64_t)7;
    VC_EW_FOR(r, n, e[r] = exp_fast(x[r] - m););
    for (int64_t r = 0; r < n8; r += 8)
        for (int l = 0; l < 8; l++) ps[l] += e[r + l];
    for (int64_t r = n8; r < n; r++) s += e[r];
    for (int l = 0; l < 8; l++) s += ps[l];
    return s;
}

VC_FM_INLINE float row_max(const float *x, int64_t R)
{
    float mx[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
                   -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int64_t r8 = R & ~(int64_t)7;
    for (int64_t r = 0; r < r8; r += 8)
        for (int l = 0; l < 8; l++) mx[l] = x[r + l] > mx[l] ? x[r + l] : mx[l];
    float m = -INFINITY;
    for (int l = 0; l < 8; l++) m = mx[l] > m ? mx[l] : m;
    for (int64_t r = r8; r < R; r++) m = x[r] > m ? x[r] : m;
    return m;
}

VC_FM_INLINE void row_f32_body(const float *xo, float *yo, int64_t R, int log_form)
{
    float m = row_max(xo, R), e[EXP_CHUNK];
    double s = 0;
    for (int64_t r = 0; r < R; r += EXP_CHUNK) {
        int64_t n = R - r < EXP_CHUNK ? R - r : EXP_CHUNK;
        s += exp_chunk(xo + r, m, n, e);
        if (!log_form) memcpy(yo + r, e, sizeof(float) * (size_t)n);
    }
    if (log_form) {
        float l = (float)log(s); /* x - m first: exact where m would swamp l */
        for (int64_t r = 0; r < R; r++) yo[r] = (xo[r] - m) - l;
    } else {
        float inv = (float)(1.0 / s);
        for (int64_t r = 0; r < R; r++) yo[r] *= inv;
    }
}

/* Compiled for the baseline and for AVX2 without FMA (the same results bit for bit), as
 * elementwise_math.c's f32 kernels: the exponentials of attention's softmax are most of
 * what a transformer encoder spends outside its matrix products. */
static void row_f32_base(const float *xo, float *yo, int64_t R, int log_form)
{
    row_f32_body(xo, yo, R, log_form);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void row_f32_avx2(const float *xo, float *yo, int64_t R, int log_form)
{
    row_f32_body(xo, yo, R, log_form);
}
#endif

void vc_softmax_row_f32_isa(vc_isa isa, const float *x, float *y, int64_t n, int log_form)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (isa >= VC_ISA_AVX2) {
        row_f32_avx2(x, y, n, log_form);
        return;
    }
#endif
    row_f32_base(x, y, n, log_form);
}

static void row_f32(const float *xo, float *yo, int64_t R, int log_form)
{
    vc_softmax_row_f32_isa(vc_isa_active(), xo, yo, R, log_form);
}

void vc_softmax_row_f32(const float *x, float *y, int64_t n) { row_f32(x, y, n, 0); }

typedef struct rows_job {
    const float *x;
    float *y;
    int64_t R, per_task, O;
    int log_form;
} rows_job;

static void rows_task(void *arg, int64_t task, int worker)
{
    const rows_job *j = arg;
    int64_t o1 = task * j->per_task + j->per_task;
    (void)worker;
    for (int64_t o = task * j->per_task; o < o1 && o < j->O; o++)
        row_f32(j->x + o * j->R, j->y + o * j->R, j->R, j->log_form);
}

/* Rows shared among threads, at least MIN_TASK_ELEMS elements per task. */
enum { MIN_TASK_ELEMS = 1 << 15 };

static void rows_f32(const float *x, float *y, int64_t O, int64_t R, int log_form,
                     vc_threads *t)
{
    int64_t n = vc_threads_tasks(t, O, O * R, MIN_TASK_ELEMS);
    rows_job j = {x, y, R, (O + n - 1) / n, O, log_form};
    vc_threads_run(n > 1 ? t : NULL, (O + j.per_task - 1) / j.per_task, rows_task, &j);
}

static void rows_f64(const double *x, double *y, int64_t O, int64_t R, int log_form)
{
    for (int64_t o = 0; o < O; o++) {
        const double *xo = x + o * R;
        double *yo = y + o * R, m = -INFINITY;
        for (int64_t r = 0; r < R; r++) m = xo[r] > m ? xo[r] : m;
        double s = 0;
        if (log_form) {
            for (int64_t r = 0; r < R; r++) s += exp(xo[r] - m);
            double l = log(s);
            for (int64_t r = 0; r < R; r++) yo[r] = (xo[r] - m) - l;
        } else {
            for (int64_t r = 0; r < R; r++) {
                double e = exp(xo[r] - m);
                yo[r] = e;
                s += e;
            }
            for (int64_t r = 0; r < R; r++) yo[r] = yo[r] / s;
        }
    }
}

/* mx: I maxima; sum: I f64 sums. */
static void cols_f32(const float *x, float *y, int64_t O, int64_t R, int64_t I, int log_form,
                     float *mx, double *sum)
{
    for (int64_t o = 0; o < O; o++) {
        const float *xo = x + o * R * I;
        float *yo = y + o * R * I;
        for (int64_t j = 0; j < I; j++) {
            mx[j] = -INFINITY;
            sum[j] = 0;
        }
        for (int64_t r = 0; r < R; r++)
            for (int64_t j = 0; j < I; j++)
                mx[j] = xo[r * I + j] > mx[j] ? xo[r * I + j] : mx[j];
        for (int64_t r = 0; r < R; r++)
            for (int64_t j = 0; j < I; j++) {
                float e = expf(xo[r * I + j] - mx[j]);
                if (!log_form) yo[r * I + j] = e;
                sum[j] += e;
            }
        if (log_form) {
            for (int64_t j = 0; j < I; j++) sum[j] = log(sum[j]);
            for (int64_t r = 0; r < R; r++)
                for (int64_t j = 0; j < I; j++)
                    yo[r * I + j] = (xo[r * I + j] - mx[j]) - (float)sum[j];
        } else {
            for (int64_t r = 0; r < R; r++)
                for (int64_t j = 0; j < I; j++)
                    yo[r * I + j] = (float)(yo[r * I + j] / sum[j]);
        }
    }
}

static void cols_f64(const double *x, double *y, int64_t O, int64_t R, int64_t I,
                     int log_form, double *mx, double *sum)
{
    for (int64_t o = 0; o < O; o++) {
        const double *xo = x + o * R * I;
        double *yo = y + o * R * I;
        for (int64_t j = 0; j < I; j++) {
            mx[j] = -INFINITY;
            sum[j] = 0;
        }
        for (int64_t r = 0; r < R; r++)
            for (int64_t j = 0; j < I; j++)
                mx[j] = xo[r * I + j] > mx[j] ? xo[r * I + j] : mx[j];
        for (int64_t r = 0; r < R; r++)
            for (int64_t j = 0; j < I; j++) {
                double e = exp(xo[r * I + j] - mx[j]);
                if (!log_form) yo[r * I + j] = e;
                sum[j] += e;
            }
        if (log_form) {
            for (int64_t j = 0; j < I; j++) sum[j] = log(sum[j]);
            for (int64_t r = 0; r < R; r++)
                for (int64_t j = 0; j < I; j++)
                    yo[r * I + j] = (xo[r * I + j] - mx[j]) - sum[j];
        } else {
            for (int64_t r = 0; r < R; r++)
                for (int64_t j = 0; j < I; j++) yo[r * I + j] = yo[r * I + j] / sum[j];
        }
    }
}

/* buf: the row buffers when I > 1, maxima then sums. */
static void softmax_f32(const float *x, float *y, int64_t O, int64_t R, int64_t I,
                        int log_form, char *buf, vc_threads *t)
{
    if (I == 1) rows_f32(x, y, O, R, log_form, t);
    else cols_f32(x, y, O, R, I, log_form, (float *)buf,
                  (double *)(buf + vc_red_align64((size_t)I * 8)));
}

static void softmax_f64(const double *x, double *y, int64_t O, int64_t R, int64_t I,
                        int log_form, char *buf)
{
    if (I == 1) rows_f64(x, y, O, R, log_form);
    else cols_f64(x, y, O, R, I, log_form, (double *)buf,
                  (double *)(buf + vc_red_align64((size_t)I * 8)));
}

static voce_status softmax_any(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               vc_ctx *ctx, int log_form)
{
    int64_t o, r, i;
    voce_status st = softmax_geometry(n, in[0], &o, &r, &i);
    if (st || vc_numel(in[0]) == 0) return st; /* empty tensors may have no data */
    char *s = ctx->scratch;
    const vc_tensor *x = in[0];
    if (x->dtype == VOCE_DTYPE_F64) {
        softmax_f64(x->data, out[0].data, o, r, i, log_form, s);
    } else if (x->dtype == VOCE_DTYPE_F32) {
        softmax_f32(x->data, out[0].data, o, r, i, log_form, s, ctx->threads);
    } else { /* f16 in place on an f32 copy */
        float *buf = (float *)vc_red_input_as_compute(x, &s);
        softmax_f32(buf, buf, o, r, i, log_form, s, ctx->threads);
        vc_ew_convert(buf, VOCE_DTYPE_F32, out[0].data, out[0].dtype, vc_numel(x));
    }
    return VOCE_OK;
}

voce_status vc_softmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return softmax_any(n, in, out, ctx, 0);
}

voce_status vc_log_softmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                               vc_ctx *ctx)
{
    return softmax_any(n, in, out, ctx, 1);
}
