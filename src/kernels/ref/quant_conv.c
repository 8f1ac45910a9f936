/* Reference kernel: ConvInteger over 1 to 3 spatial dims, exact in int32.
 *
 * For each image and group, the input patches minus x's zero point are gathered as
 * int16 columns (zero in the padding: padding holds the zero point, so it contributes
 * nothing, which is how the spec and ONNX Runtime define it) and multiplied by the
 * weights minus their zero points with the integer product of MatMulInteger
 * (vq_igemm). Spatial dims are padded to 3 internally (extent 1, stride 1). */
#include <string.h>

#include "quant_impl.h"
#include "ref_ops.h"

enum { SP = 3 };

typedef struct {
    int nsp;
    int64_t N, C, M, G, cg, mg;
    int64_t img[SP], out[SP], k[SP], s[SP], d[SP], pb[SP];
    int64_t ktot, P, ck; /* taps per channel, output positions, rows of a column */
} cgeom;

/* INTS attribute name: count values in [lo, hi], or def everywhere when absent. */
static voce_status get_ints(const vc_node *n, const char *name, int count, int64_t def, int64_t lo,
                            int64_t hi, int64_t *dst)
{
    int64_t c;
    const int64_t *v = vc_attr_ints(n, name, &c);
    for (int i = 0; i < count; i++) dst[i] = v && c == count ? v[i] : def;
    if (v && c != count)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "attribute '%s' has %lld values, expected %d",
                             name, (long long)c, count);
    for (int i = 0; i < count; i++)
        if (dst[i] < lo || dst[i] > hi)
            return vc_node_error(n, VOCE_ERR_INVALID_ARG, "attribute '%s' value %lld is out of range",
                                 name, (long long)dst[i]);
    return VOCE_OK;
}

/* Output extent and begin padding of spatial dim i (auto_pad or explicit pads). */
static voce_status dim_geom(const vc_node *n, cgeom *g, int i, const char *ap, const int64_t *pads)
{
    int64_t in = g->img[i], s = g->s[i], eff = (g->k[i] - 1) * g->d[i] + 1;
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        int64_t o = (in + s - 1) / s, total = (o - 1) * s + eff - in;
        total = total < 0 ? 0 : total;
        g->pb[i] = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
        g->out[i] = o;
        return VOCE_OK;
    }
    int valid = !strcmp(ap, "VALID");
    if (!valid && strcmp(ap, "NOTSET"))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "auto_pad '%s' is not valid", ap);
    g->pb[i] = valid ? 0 : pads[i];
    int64_t span = in + g->pb[i] + (valid ? 0 : pads[g->nsp + i]) - eff;
    if (span < 0)
        return vc_node_error(n, VOCE_ERR_SHAPE, "kernel extent %lld exceeds the padded input in spatial dim %d",
                             (long long)eff, i);
    g->out[i] = span / s + 1;
    return VOCE_OK;
}

static voce_status check_tensors(const vc_node *n, vc_tensor *const *in)
{
    char s1[160], s2[160];
    if (n->n_in < 2 || n->n_in > 4 || !in[0] || !in[1])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs x and w, and at most two zero points");
    for (int k = 0; k < 2; k++)
        if (!vq_is_q8(in[k]->dtype)) return vc_err_dtype(n, k, in[k]->dtype);
    const vc_tensor *x = in[0], *w = in[1];
    if (x->rank < 3 || x->rank > 2 + SP || w->rank != x->rank)
        return vc_node_error(n, VOCE_ERR_SHAPE, "x %s and w %s must both be [N, C, D1, ...] with 1 to 3 spatial dims",
                             vc_shape_str(x->rank, x->dims, s1, sizeof s1),
                             vc_shape_str(w->rank, w->dims, s2, sizeof s2));
    return VOCE_OK;
}

static voce_status check_zero_points(const vc_node *n, vc_tensor *const *in, const cgeom *g)
{
    char s[160];
    const vc_tensor *xz = 2 < n->n_in ? in[2] : NULL, *wz = 3 < n->n_in ? in[3] : NULL;
    if (xz && xz->dtype != in[0]->dtype)
        return vc_node_error(n, VOCE_ERR_DTYPE, "x_zero_point is %s but x is %s",
                             voce_dtype_name(xz->dtype), voce_dtype_name(in[0]->dtype));
    if (xz && (vc_numel(xz) != 1 || xz->rank > 1))
        return vc_node_error(n, VOCE_ERR_SHAPE, "x_zero_point has shape %s; it must be one value",
                             vc_shape_str(xz->rank, xz->dims, s, sizeof s));
    if (wz && wz->dtype != in[1]->dtype)
        return vc_node_error(n, VOCE_ERR_DTYPE, "w_zero_point is %s but w is %s",
                             voce_dtype_name(wz->dtype), voce_dtype_name(in[1]->dtype));
    if (wz && !((vc_numel(wz) == 1 && wz->rank <= 1) || (wz->rank == 1 && wz->dims[0] == g->M)))
        return vc_node_error(n, VOCE_ERR_SHAPE, "w_zero_point has shape %s; it must be one value or [%lld]",
                             vc_shape_str(wz->rank, wz->dims, s, sizeof s), (long long)g->M);
    return VOCE_OK;
}

static voce_status channels(const vc_node *n, const vc_tensor *x, const vc_tensor *w, cgeom *g)
{
    g->N = x->dims[0], g->C = x->dims[1], g->M = w->dims[0];
    g->G = vc_attr_int(n, "group", 1);
    if (g->G < 1 || g->G > VC_MAX_NUMEL || g->C % g->G || g->M % g->G || w->dims[1] != g->C / g->G)
        return vc_node_error(n, VOCE_ERR_SHAPE, "group %lld does not fit %lld input channels, %lld "
                             "output channels and weights of %lld channels", (long long)g->G,
                             (long long)g->C, (long long)g->M, (long long)w->dims[1]);
    g->cg = g->C / g->G, g->mg = g->M / g->G;
    return VOCE_OK;
}

static voce_status geom_make(const vc_node *n, vc_tensor *const *in, cgeom *g)
{
    voce_status st;
    int64_t ks[SP], pads[2 * SP];
    if ((st = check_tensors(n, in))) return st;
    const vc_tensor *x = in[0], *w = in[1];
    memset(g, 0, sizeof *g);
    int ns = g->nsp = x->rank - 2;
    if ((st = channels(n, x, w, g)) || (st = get_ints(n, "kernel_shape", ns, -1, -1, VC_MAX_NUMEL, ks)) ||
        (st = get_ints(n, "strides", ns, 1, 1, VC_MAX_NUMEL, g->s)) ||
        (st = get_ints(n, "dilations", ns, 1, 1, VC_MAX_NUMEL, g->d)) ||
        (st = get_ints(n, "pads", 2 * ns, 0, 0, VC_MAX_NUMEL, pads)))
        return st;
    const char *ap = vc_attr_string(n, "auto_pad", "NOTSET");
    for (int i = 0; i < SP; i++) {
        if (i >= ns) { g->img[i] = g->out[i] = g->k[i] = g->s[i] = g->d[i] = 1; continue; }
        g->img[i] = x->dims[2 + i], g->k[i] = w->dims[2 + i];
        if (g->k[i] < 1 || (ks[i] != -1 && ks[i] != g->k[i]) || g->k[i] - 1 > VC_MAX_NUMEL / g->d[i])
            return vc_node_error(n, VOCE_ERR_SHAPE, "kernel dim %d (%lld) is empty, too large or differs "
                                 "from kernel_shape", i, (long long)g->k[i]);
        if ((st = dim_geom(n, g, i, ap, pads))) return st;
    }
    g->ktot = vc_shape_numel(SP, g->k);
    g->P = vc_shape_numel(SP, g->out);
    g->ck = vc_shape_numel(2, (int64_t[]){g->cg, g->ktot});
    /* the scratch holds M x ck weights and ck x P columns */
    if (g->ktot < 0 || g->P < 0 || g->ck < 0 || vc_shape_numel(2, (int64_t[]){g->ck, g->P}) < 0 ||
        vc_shape_numel(2, (int64_t[]){g->M, g->ck}) < 0)
        return vc_node_error(n, VOCE_ERR_NOMEM, "the convolution is too large");
    return check_zero_points(n, in, g);
}

voce_status vq_convinteger_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    cgeom g;
    char s[160];
    voce_status st = geom_make(n, in, &g);
    if (st) return st;
    out[0].dtype = VOCE_DTYPE_I32;
    out[0].rank = 2 + g.nsp;
    out[0].dims[0] = g.N, out[0].dims[1] = g.M;
    for (int i = 0; i < g.nsp; i++) out[0].dims[2 + i] = g.out[i];
    if (vc_numel(&out[0]) >= 0) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_NOMEM, "output shape %s is too large",
                         vc_shape_str(out[0].rank, out[0].dims, s, sizeof s));
}

static size_t al64(size_t v) { return (v + 63) & ~(size_t)63; }

size_t vq_convinteger_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    cgeom g;
    if (geom_make(n, in, &g)) return 0;
    return al64(2 * (size_t)(g.M * g.ck)) + al64(2 * (size_t)(g.ck * g.P)) + al64(4 * (size_t)g.P);
}

/* Columns of image b, group gr: row (c, tap) holds x minus its zero point at every
 * output position, 0 where the tap falls into the padding. */
static void im2col(const cgeom *g, const vc_tensor *x, int64_t b, int64_t gr, int32_t xzp, int16_t *col)
{
    int64_t plane = g->img[0] * g->img[1] * g->img[2];
    for (int64_t c = 0; c < g->cg; c++) {
        int64_t base = (b * g->C + gr * g->cg + c) * plane;
        for (int64_t t = 0; t < g->ktot; t++) {
            int64_t tap[SP] = {t / (g->k[1] * g->k[2]), t / g->k[2] % g->k[1], t % g->k[2]};
            int16_t *row = col + (c * g->ktot + t) * g->P;
            int64_t p = 0;
            for (int64_t o0 = 0; o0 < g->out[0]; o0++)
                for (int64_t o1 = 0; o1 < g->out[1]; o1++)
                    for (int64_t o2 = 0; o2 < g->out[2]; o2++, p++) {
                        int64_t o[SP] = {o0, o1, o2}, off = 0, inside = 1;
                        for (int i = 0; i < SP; i++) {
                            int64_t at = o[i] * g->s[i] - g->pb[i] + tap[i] * g->d[i];
                            inside &= at >= 0 && at < g->img[i];
                            off = off * g->img[i] + at;
                        }
                        row[p] = inside ? (int16_t)(vq_int_at(x, base + off) - xzp) : 0;
                    }
        }
    }
}

typedef struct {
    int32_t *y; /* output rows of the current image and group */
    int64_t P;
} conv_emit;

static void emit_rows(int64_t row, const uint32_t *acc, void *arg)
{
    conv_emit *e = arg;
    for (int64_t p = 0; p < e->P; p++) e->y[row * e->P + p] = vq_wrap32(acc[p]);
}

voce_status vq_convinteger_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    cgeom g;
    voce_status st = geom_make(n, in, &g);
    if (st) return st;
    const vc_tensor *xz = 2 < n->n_in ? in[2] : NULL, *wz = 3 < n->n_in ? in[3] : NULL;
    char *c = ctx->scratch;
    int16_t *wq = (int16_t *)c, *col = (int16_t *)(c + al64(2 * (size_t)(g.M * g.ck)));
    uint32_t *acc = (uint32_t *)(c + al64(2 * (size_t)(g.M * g.ck)) + al64(2 * (size_t)(g.ck * g.P)));
    int32_t xzp = xz ? vq_int_at(xz, 0) : 0;
    for (int64_t i = 0; i < g.M * g.ck; i++) {
        int64_t m = i / g.ck;
        wq[i] = (int16_t)(vq_int_at(in[1], i) - (wz ? vq_int_at(wz, vc_numel(wz) == 1 ? 0 : m) : 0));
    }
    for (int64_t b = 0; b < g.N; b++)
        for (int64_t gr = 0; gr < g.G; gr++) {
            im2col(&g, in[0], b, gr, xzp, col);
            conv_emit e = {(int32_t *)out[0].data + (b * g.M + gr * g.mg) * g.P, g.P};
            vq_igemm(g.mg, g.P, g.ck, wq + gr * g.mg * g.ck, col, acc, emit_rows, &e);
        }
    return VOCE_OK;
}
