/* voce:QConv, the convolution whose weights `voce compile --quant` quantized (Conv with
 * one group): each tile of output positions has its patches gathered as Conv gathers
 * them (conv_geom.h), laid out as rows [positions, C * taps], and multiplied by the
 * quantized weights [M, C * taps] with voce:QLinear's kernels (qlinear.h); the product's
 * rows are written back as the output's channels.
 *
 * Inputs and attributes: voce:QLinear's (X, W, scales, bias?, wsum?; mode, N = the M
 * output channels, K = C * taps, group_size) and Conv's window (kernel_shape, required;
 * strides, dilations, pads, auto_pad). X is f32 [batch, C, D1, ...], 1 to 3 spatial dims.
 *
 * Every output element is QLinear's value for its patch row, so the op inherits
 * QLinear's definition (8da bit for bit, weight-only within its bound) and gives the same
 * result for any thread count or tile size. The patch rows cost a copy of the input per
 * tap, small beside the product (N multiply-adds per copied value). */
#include <string.h>

#include "conv_geom.h"
#include "qlinear.h"
#include "ref_ops.h"
#include "shape_internal.h"

typedef struct {
    vc_qweights q;
    vc_conv_geom g;
    int64_t batch, C, L, T; /* L output positions, in tiles of T */
    int pointwise;          /* the input is the column matrix already */
} qconv_shape;

static int64_t prod(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

static int is_pointwise(const vc_conv_geom *g)
{
    for (int i = 0; i < g->nsp; i++)
        if (g->k[i] != 1 || g->s[i] != 1 || g->pb[i] || g->pe[i]) return 0;
    return 1;
}

static voce_status qconv_shape_of(const vc_node *n, vc_tensor *const *in, qconv_shape *s)
{
    voce_status st = vc_qlinear_node(n, in, &s->q);
    if (st) return st;
    const vc_tensor *x = in[0];
    if (x->dtype != VOCE_DTYPE_F32) return vc_err_dtype(n, 0, x->dtype);
    if (x->rank < 3 || x->rank > 2 + VC_CONV_MAX_SP)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input must be [N, C, D1, ...] with 1 to 3 spatial dims (got rank %d)",
                             x->rank);
    int64_t count = 0;
    const int64_t *ks = vc_attr_ints(n, "kernel_shape", &count);
    if (!ks || count != x->rank - 2)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "kernel_shape must give %d extents", x->rank - 2);
    int64_t taps = 1;
    for (int i = 0; i < count; i++) {
        if (ks[i] < 1 || ks[i] > s->q.K / taps)
            return vc_node_error(n, VOCE_ERR_INVALID_ARG, "kernel_shape has more taps than K = %lld", (long long)s->q.K);
        taps *= ks[i];
    }
    s->batch = x->dims[0];
    s->C = x->dims[1];
    if (s->q.K % taps || s->C != s->q.K / taps)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input has %lld channels, but the weights want K = %lld = channels x %lld taps",
                             (long long)s->C, (long long)s->q.K, (long long)taps);
    if ((st = vc_conv_geom_init(n, x, ks, &s->g))) return st;
    s->L = prod(s->g.grid, s->g.nsp);
    s->T = vc_conv_col_tile(s->q.K, s->L);
    s->pointwise = is_pointwise(&s->g);
    return VOCE_OK;
}

static voce_status qconv_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    qconv_shape s;
    voce_status st = qconv_shape_of(n, in, &s);
    if (st) return st;
    out[0].dtype = VOCE_DTYPE_F32;
    out[0].rank = 2 + s.g.nsp;
    out[0].dims[0] = s.batch;
    out[0].dims[1] = s.q.N;
    for (int i = 0; i < s.g.nsp; i++) out[0].dims[2 + i] = s.g.grid[i];
    if (vc_numel(&out[0]) < 0) return vc_node_error(n, VOCE_ERR_NOMEM, "the output is too large");
    return VOCE_OK;
}

static size_t align64(size_t b) { return (b + 63) & ~(size_t)63; }

/* Scratch: the column tile (not for pointwise), its rows, the product's rows, and what
 * the 8da modes need to quantize the rows. */
static size_t qconv_scratch_parts(const qconv_shape *s, size_t part[4])
{
    int64_t K = s->q.K, T = s->T;
    part[0] = s->pointwise ? 0 : align64(sizeof(float) * (size_t)(K * T));
    part[1] = align64(sizeof(float) * (size_t)(T * K));
    part[2] = align64(sizeof(float) * (size_t)(T * s->q.N));
    part[3] = align64(vc_qlinear_rows_scratch(&s->q, T));
    return part[0] + part[1] + part[2] + part[3];
}

static size_t qconv_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    qconv_shape s;
    size_t part[4];
    (void)out;
    return qconv_shape_of(n, in, &s) ? 0 : qconv_scratch_parts(&s, part);
}

/* rows[t * K + k] = col[k * ld + t]: the patches of T positions as rows. Both
 * transposes go through the shape ops' copy engine (cache tiles, shared among threads):
 * written as plain loops they ran on one thread with a stride of a row per element, 19%
 * of a small 8da4w transducer encoder. */
static void to_rows(const float *col, int64_t ld, int64_t K, int64_t T, float *rows,
                    vc_threads *t)
{
    const int64_t dims[2] = {T, K}, dstr[2] = {K, 1}, sstr[2] = {1, ld};
    vc_sh_copy_view((char *)rows, dstr, (const char *)col, sstr, 2, dims, sizeof(float), t);
}

/* y[m * L + t] = yt[t * N + m]: the product's rows into the output's channels. */
static void from_rows(const float *yt, int64_t N, int64_t T, int64_t L, float *y, vc_threads *t)
{
    const int64_t dims[2] = {N, T}, dstr[2] = {L, 1}, sstr[2] = {1, N};
    vc_sh_copy_view((char *)y, dstr, (const char *)yt, sstr, 2, dims, sizeof(float), t);
}

static voce_status qconv_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    qconv_shape s;
    voce_status st = qconv_shape_of(n, in, &s);
    if (st) return st;
    size_t part[4];
    qconv_scratch_parts(&s, part);
    uint8_t *base = ctx->scratch;
    float *col = (float *)base, *rows = (float *)(base + part[0]), *yt = (float *)(base + part[0] + part[1]);
    void *qscratch = base + part[0] + part[1] + part[2];
    const float *x = in[0]->data;
    float *y = out[0].data;
    int64_t isz = prod(s.g.img, s.g.nsp);
    for (int64_t b = 0; b < s.batch; b++) {
        const float *xb = x + b * s.C * isz;
        float *yb = y + b * s.q.N * s.L;
        for (int64_t l0 = 0; l0 < s.L; l0 += s.T) {
            int64_t T = s.L - l0 < s.T ? s.L - l0 : s.T;
            if (s.pointwise) {
                to_rows(xb + l0, s.L, s.q.K, T, rows, ctx->threads);
            } else {
                vc_conv_im2col(&s.g, xb, s.C, l0, l0 + T, col, ctx->threads);
                to_rows(col, T, s.q.K, T, rows, ctx->threads);
            }
            vc_qlinear_rows(ctx->threads, &s.q, T, rows, qscratch, yt);
            from_rows(yt, s.q.N, T, s.L, yb + l0, ctx->threads);
        }
    }
    return VOCE_OK;
}

const vc_op vc_ops_qconv[] = {
    {"voce:QConv", qconv_infer, qconv_run, qconv_scratch, 0},
};
const int vc_ops_qconv_count = (int)(sizeof vc_ops_qconv / sizeof vc_ops_qconv[0]);
