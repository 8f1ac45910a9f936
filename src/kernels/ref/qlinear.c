/* voce:QLinear: the reference kernel, the layout readers, and the op (qlinear.h).
 *
 * The op runs the kernel of vc_qpath_active() in tasks of QROWS rows x QCOLS columns
 * through the method's thread pool; every element is computed the same way in any task
 * split, so results are identical for any thread count. Products below QSERIAL
 * multiply-adds run on the calling thread (the fork-join costs a few microseconds,
 * about what 2^18 multiply-adds take on one core). The 8da modes first quantize the
 * activation rows into scratch (vector code: vc_qact_row_isa), in tasks of rows as well.
 * Weight-only products of VC_QPANEL_MIN_ROWS rows and more go to vc_qgemm_panels (the
 * f32 GEMM's micro-kernel on dequantized weights, its own tasks) when the path has one;
 * the choice depends on M and the CPU only, never on the thread count. */
#include "qlinear.h"

#include <math.h>
#include <string.h>

#include "../cpu/qgemm.h"
#include "ref_ops.h"

#define QROWS 64
#define QCOLS 64 /* a multiple of 2 * VC_QBLOCK: the ISA kernels pair blocks */
#define QSERIAL ((int64_t)1 << 18)

static const char *const mode_names[] = {NULL, "w8", "w4", "8da8w", "8da4w"};

vc_qmode vc_qmode_parse(const char *s)
{
    for (int m = VC_Q_W8; s && m <= VC_Q_8DA4W; m++)
        if (!strcmp(s, mode_names[m])) return (vc_qmode)m;
    return VC_Q_NONE;
}

const char *vc_qmode_name(vc_qmode m) { return m >= VC_Q_W8 && m <= VC_Q_8DA4W ? mode_names[m] : "none"; }

static int64_t n_blocks(int64_t N) { return (N + VC_QBLOCK - 1) / VC_QBLOCK; }

void vc_qweight_dims(vc_qmode m, int64_t N, int64_t K, int64_t dims[3])
{
    int dyn = vc_qmode_dynamic(m), b4 = vc_qmode_bits(m) == 4;
    dims[0] = n_blocks(N);
    dims[1] = dyn ? K / (b4 ? 8 : 4) : K / (b4 ? 2 : 1);
    dims[2] = dyn ? 64 : 16;
}

void vc_qscale_dims(int64_t N, int64_t K, int64_t G, int64_t dims[3])
{
    dims[0] = n_blocks(N);
    dims[1] = K / G;
    dims[2] = VC_QBLOCK;
}

static int nibble(uint8_t byte, int high) { return (high ? byte >> 4 : byte & 15) - 8; }

int vc_qweight_get(const vc_qweights *q, int64_t n, int64_t k)
{
    int64_t b = n / VC_QBLOCK, c = n % VC_QBLOCK, K = q->K;
    switch (q->mode) {
    case VC_Q_W8: return (int8_t)q->w[(b * K + k) * 16 + c];
    case VC_Q_W4: return nibble(q->w[(b * (K / 2) + k / 2) * 16 + c], (int)(k & 1));
    case VC_Q_8DA8W: return (int8_t)q->w[(b * (K / 4) + k / 4) * 64 + 4 * c + k % 4];
    case VC_Q_8DA4W: return nibble(q->w[(b * (K / 8) + k / 8) * 64 + 4 * c + k % 4], k % 8 >= 4);
    default: return 0;
    }
}

/* rint of v clamped to [lo, hi]; NaN gives lo (a cast of NaN to int is undefined). */
static int32_t clamp_rint(float v, float lo, float hi)
{
    float r = nearbyintf(v);
    if (!(r >= lo)) return (int32_t)lo;
    return (int32_t)(r > hi ? hi : r);
}

void vc_qact_params(float lo, float hi, float *xs, int32_t *zp)
{
    float s = (hi - lo) / 255.0f;
    if (!(s > 0.0f) || isinf(s)) s = 1.0f; /* all zero, or no finite range */
    *xs = s;
    *zp = clamp_rint(-lo / s, 0.0f, 255.0f);
}

void vc_qact_row(const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp)
{
    float lo = 0.0f, hi = 0.0f, s;
    int32_t z;
    for (int64_t k = 0; k < K; k++) {
        if (x[k] < lo) lo = x[k];
        if (x[k] > hi) hi = x[k];
    }
    vc_qact_params(lo, hi, &s, &z);
    for (int64_t k = 0; k < K; k++) {
        /* rint(x / s) is an integer-valued float below 2^24 in magnitude once clamped,
         * so adding zp before or after the rounding is the same */
        float r = nearbyintf(x[k] / s);
        if (r < -512.0f) r = -512.0f;
        if (r > 512.0f) r = 512.0f;
        xq[k] = (uint8_t)clamp_rint(r + (float)z, 0.0f, 255.0f);
    }
    *xs = s;
    *zp = z;
}

/* Rows are taken REF_ROWS at a time so that each group of weights is decoded once per
 * batch of rows rather than once per row; every element still sums in increasing k. */
#define REF_ROWS 32

typedef struct {
    int8_t code[128]; /* one group of row n */
    float scale;
    int32_t wsum;
} group_codes;

static void decode_group(const vc_qweights *q, int64_t n, int64_t g, group_codes *c)
{
    int64_t o = (n / VC_QBLOCK * (q->K / q->G) + g) * VC_QBLOCK + n % VC_QBLOCK;
    for (int64_t k = 0; k < q->G; k++) c->code[k] = (int8_t)vc_qweight_get(q, n, g * q->G + k);
    c->scale = q->scales[o];
    c->wsum = q->wsum ? q->wsum[o] : 0;
}

/* acc[r] += x[r][k] * f32(code * scale) over the group, a product then a sum. */
static void ref_group_wo(const vc_qweights *q, const group_codes *c, const float *X, int64_t rows, int64_t k0,
                         float *acc)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < q->G; k++) {
            float w = (float)c->code[k] * c->scale;
            float p = X[r * q->K + k0 + k] * w;
            acc[r] = acc[r] + p;
        }
}

/* t[r] += f32(scale * f32(a - zp * wsum)) with a the exact i32 dot product of the group. */
static void ref_group_da(const vc_qweights *q, const group_codes *c, const uint8_t *xq, const int32_t *zp,
                         int64_t rows, int64_t k0, float *t)
{
    for (int64_t r = 0; r < rows; r++) {
        int32_t a = 0;
        for (int64_t k = 0; k < q->G; k++) a += (int32_t)xq[r * q->K + k0 + k] * c->code[k];
        float p = c->scale * (float)(a - zp[r] * c->wsum);
        t[r] = t[r] + p;
    }
}

static void ref_rows(const vc_qweights *q, int64_t rows, const float *X, const uint8_t *xq, const float *xs,
                     const int32_t *zp, float *Y, int64_t n)
{
    int dyn = vc_qmode_dynamic(q->mode);
    float acc[REF_ROWS] = {0};
    group_codes c;
    for (int64_t g = 0; g < q->K / q->G; g++) {
        decode_group(q, n, g, &c);
        if (dyn) ref_group_da(q, &c, xq, zp, rows, g * q->G, acc);
        else ref_group_wo(q, &c, X, rows, g * q->G, acc);
    }
    for (int64_t r = 0; r < rows; r++) {
        float y = dyn ? xs[r] * acc[r] : acc[r];
        if (q->bias) y = y + q->bias[n];
        Y[r * q->N + n] = y;
    }
}

void vc_qlinear_ref(const vc_qweights *q, int64_t M, const float *X, const uint8_t *xq,
                    const float *xs, const int32_t *zp, float *Y, int64_t n0, int64_t n1)
{
    int dyn = vc_qmode_dynamic(q->mode);
    if (n1 > q->N) n1 = q->N;
    for (int64_t m = 0; m < M; m += REF_ROWS) {
        int64_t rows = M - m < REF_ROWS ? M - m : REF_ROWS;
        for (int64_t n = n0; n < n1; n++)
            ref_rows(q, rows, dyn ? NULL : X + m * q->K, dyn ? xq + m * q->K : NULL, dyn ? xs + m : NULL,
                     dyn ? zp + m : NULL, Y + m * q->N, n);
    }
}

/* ---- the op ---- */

enum { IN_X, IN_W, IN_S, IN_BIAS, IN_WSUM };

static voce_status check_const(const vc_node *n, const vc_tensor *t, int k, voce_dtype dt, int rank,
                               const int64_t *dims)
{
    if (!t) return vc_node_error(n, VOCE_ERR_INVALID_ARG, "input %d is missing", k);
    if (t->dtype != dt) return vc_err_dtype(n, k, t->dtype);
    int ok = t->rank == rank;
    for (int d = 0; ok && d < rank; d++) ok = t->dims[d] == dims[d];
    if (!ok) {
        char s[160];
        return vc_node_error(n, VOCE_ERR_SHAPE, "input %d has shape %s, which does not fit the attributes", k,
                             vc_shape_str(t->rank, t->dims, s, sizeof s));
    }
    return VOCE_OK;
}

static voce_status qlinear_attrs(const vc_node *n, vc_qweights *q)
{
    memset(q, 0, sizeof *q);
    q->mode = vc_qmode_parse(vc_attr_string(n, "mode", ""));
    q->N = vc_attr_int(n, "N", 0);
    q->K = vc_attr_int(n, "K", 0);
    q->G = vc_attr_int(n, "group_size", 0);
    if (!q->mode) return vc_node_error(n, VOCE_ERR_INVALID_ARG, "mode '%s' is unknown", vc_attr_string(n, "mode", ""));
    if (q->G != 32 && q->G != 64 && q->G != 128)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "group_size %lld is not 32, 64 or 128", (long long)q->G);
    if (q->N < 1 || q->K < 1 || q->K % q->G || q->N > ((int64_t)1 << 31) || q->K > ((int64_t)1 << 31))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "N %lld, K %lld do not fit group_size %lld", (long long)q->N,
                             (long long)q->K, (long long)q->G);
    return VOCE_OK;
}

static voce_status check_inputs(const vc_node *n, vc_tensor *const *in, const vc_qweights *q)
{
    int dyn = vc_qmode_dynamic(q->mode);
    int64_t wd[3], sd[3];
    vc_qweight_dims(q->mode, q->N, q->K, wd);
    vc_qscale_dims(q->N, q->K, q->G, sd);
    if (n->n_in < 3 || n->n_in > 5) return vc_node_error(n, VOCE_ERR_INVALID_ARG, "expected 3 to 5 inputs");
    voce_dtype wdt = vc_qmode_bits(q->mode) == 4 ? VOCE_DTYPE_U8 : VOCE_DTYPE_I8;
    voce_status st = check_const(n, in[IN_W], IN_W, wdt, 3, wd);
    if (!st) st = check_const(n, in[IN_S], IN_S, VOCE_DTYPE_F32, 3, sd);
    const vc_tensor *bias = n->n_in > IN_BIAS ? in[IN_BIAS] : NULL;
    const vc_tensor *wsum = n->n_in > IN_WSUM ? in[IN_WSUM] : NULL;
    if (!st && bias) st = check_const(n, bias, IN_BIAS, VOCE_DTYPE_F32, 1, &q->N);
    if (!st && dyn) st = check_const(n, wsum, IN_WSUM, VOCE_DTYPE_I32, 3, sd);
    if (!st && !dyn && wsum) st = vc_node_error(n, VOCE_ERR_INVALID_ARG, "wsum is only for 8da modes");
    return st;
}

static voce_status qlinear_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    vc_qweights q;
    voce_status st = vc_qlinear_node(n, in, &q);
    if (st) return st;
    const vc_tensor *x = in[IN_X];
    if (x->dtype != VOCE_DTYPE_F32) return vc_err_dtype(n, IN_X, x->dtype);
    if (x->rank < 1 || x->dims[x->rank - 1] != q.K)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input 0 must end in K = %lld", (long long)q.K);
    vc_same_shape(&out[0], x);
    out[0].dims[x->rank - 1] = q.N;
    return VOCE_OK;
}

static size_t qlinear_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    vc_qweights q;
    (void)out;
    if (vc_qlinear_node(n, in, &q)) return 0;
    return vc_qlinear_rows_scratch(&q, vc_numel(in[IN_X]) / q.K);
}

typedef struct {
    vc_qpath path;
    vc_isa isa; /* of the activation quantizer */
    const vc_qweights *q;
    int64_t M, row_tasks, col_tasks;
    const float *X;
    uint8_t *xq;
    float *xs;
    int32_t *zp;
    float *Y;
} qjob;

static void act_task(void *arg, int64_t t, int worker)
{
    const qjob *j = arg;
    int64_t m1 = (t + 1) * QROWS < j->M ? (t + 1) * QROWS : j->M;
    for (int64_t m = t * QROWS; m < m1; m++)
        vc_qact_row_isa(j->isa, j->X + m * j->q->K, j->q->K, j->xq + m * j->q->K, &j->xs[m], &j->zp[m]);
}

static void gemm_task(void *arg, int64_t t, int worker)
{
    const qjob *j = arg;
    int64_t r = t / j->col_tasks, c = t % j->col_tasks, K = j->q->K;
    int64_t m0 = r * QROWS, rows = j->M - m0 < QROWS ? j->M - m0 : QROWS;
    int64_t b0 = c * (QCOLS / VC_QBLOCK), b1 = b0 + QCOLS / VC_QBLOCK;
    const uint8_t *xq = j->xq ? j->xq + m0 * K : NULL;
    vc_qgemm_blocks(j->path, j->q, rows, j->X + m0 * K, xq, j->xs ? j->xs + m0 : NULL, j->zp ? j->zp + m0 : NULL,
                    j->Y + m0 * j->q->N, b0, b1);
}

static void run_tasks(vc_threads *pool, int64_t n, vc_task_fn fn, qjob *j, int serial)
{
    if (serial) {
        for (int64_t t = 0; t < n; t++) fn(j, t, 0);
    } else {
        vc_threads_run(pool, n, fn, j);
    }
}

voce_status vc_qlinear_node(const vc_node *n, vc_tensor *const *in, vc_qweights *q)
{
    voce_status st = qlinear_attrs(n, q);
    if (!st) st = check_inputs(n, in, q);
    if (st) return st;
    q->w = in[IN_W]->data;
    q->scales = in[IN_S]->data;
    q->bias = n->n_in > IN_BIAS && in[IN_BIAS] ? in[IN_BIAS]->data : NULL;
    q->wsum = n->n_in > IN_WSUM && in[IN_WSUM] ? in[IN_WSUM]->data : NULL;
    return VOCE_OK;
}

/* Weight-only products of many rows take the panel path (qgemm.h); its scratch. */
static size_t panel_bytes(const vc_qweights *q, int64_t M)
{
    return M >= VC_QPANEL_MIN_ROWS ? vc_qgemm_panel_bytes(vc_qpath_active(0), q) : 0;
}

size_t vc_qlinear_rows_scratch(const vc_qweights *q, int64_t M)
{
    if (vc_qmode_dynamic(q->mode)) return (size_t)(M * q->K + M * 8 + 64);
    return panel_bytes(q, M);
}

void vc_qlinear_rows(vc_threads *pool, const vc_qweights *q, int64_t M, const float *X, void *scratch, float *Y)
{
    int dyn = vc_qmode_dynamic(q->mode);
    qjob j = {vc_qpath_active(dyn), vc_isa_active(), q, M, 0, 0, X, NULL, NULL, NULL, Y};
    if (M <= 0) return;
    if (!dyn && panel_bytes(q, M) && !vc_qgemm_panels(pool, j.path, q, M, X, Y, scratch)) return;
    j.row_tasks = (M + QROWS - 1) / QROWS;
    j.col_tasks = (q->N + QCOLS - 1) / QCOLS;
    int serial = M * q->N * q->K < QSERIAL;
    if (dyn) {
        j.xq = scratch;
        j.xs = (float *)((uint8_t *)scratch + ((M * q->K + 63) & ~(int64_t)63));
        j.zp = (int32_t *)(j.xs + M);
        run_tasks(pool, j.row_tasks, act_task, &j, serial);
    }
    run_tasks(pool, j.row_tasks * j.col_tasks, gemm_task, &j, serial);
}

static voce_status qlinear_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    vc_qweights q;
    voce_status st = vc_qlinear_node(n, in, &q);
    if (st) return st;
    vc_qlinear_rows(ctx->threads, &q, vc_numel(in[IN_X]) / q.K, in[IN_X]->data, ctx->scratch, out[0].data);
    return VOCE_OK;
}

const vc_op vc_ops_qlinear[] = {
    {"voce:QLinear", qlinear_infer, qlinear_run, qlinear_scratch, 0},
};
const int vc_ops_qlinear_count = (int)(sizeof vc_ops_qlinear / sizeof vc_ops_qlinear[0]);
