/* Reference kernels: Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool,
 * GlobalMaxPool, over 1 to 3 spatial dims.
 *
 * Conv gathers input patches into scratch (im2col) and multiplies them by the weights
 * with vc_gemm_f32, one group at a time; a 1x1 convolution without stride or padding
 * multiplies the input in place. ConvTranspose multiplies first and scatters the columns
 * into the output (col2im). The column buffer is tiled over positions so that scratch
 * stays near COL_BUDGET floats however large the image.
 *
 * Depthwise convolutions and 1x1 convolutions on small images have direct kernels
 * (src/kernels/cpu/dwconv*.c, pwconv*.c, planned below). A Conv may carry an activation
 * folded in by the compiler (conv_act.h), applied to each plane or output tile while it
 * is in cache; the bias and activation after each GEMM tile are shared among threads.
 * Attributes are read in one pass (conv_attrs_read) and kept in the node's slot
 * between runs.
 *
 * f32 throughout; f16 tensors are widened into scratch, computed in f32 and rounded once.
 * MaxPool's optional Indices output is int64 (row-major, or column-major spatial index
 * with storage_order = 1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/f16.h"
#include "../cpu/dwconv.h"
#include "../cpu/pwconv.h"
#include "conv_act.h"
#include "conv_geom.h"
#include "gemm.h"
#include "ref_ops.h"

enum { MAX_SP = VC_CONV_MAX_SP };
enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

#define COL_BUDGET ((int64_t)1 << 20)

/* One sliding-window geometry (conv_geom.h). */
typedef vc_conv_geom geom;

static int64_t prod(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* ---- attributes and shapes ---- */

static voce_status auto_pad_of(const vc_node *n, const char *s, int *ap)
{
    if (!strcmp(s, "NOTSET"))
        *ap = PAD_NOTSET;
    else if (!strcmp(s, "SAME_UPPER"))
        *ap = PAD_SAME_UPPER;
    else if (!strcmp(s, "SAME_LOWER"))
        *ap = PAD_SAME_LOWER;
    else if (!strcmp(s, "VALID"))
        *ap = PAD_VALID;
    else
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "auto_pad '%s' is not valid", s);
    return VOCE_OK;
}

static voce_status get_auto_pad(const vc_node *n, int *ap)
{
    return auto_pad_of(n, vc_attr_string(n, "auto_pad", "NOTSET"), ap);
}

/* The c values v of INTS attribute `name` (v NULL: absent): exactly count values in
 * [lo, VC_MAX_NUMEL], or def everywhere. */
static voce_status check_ints(const vc_node *n, const char *name, const int64_t *v, int64_t c,
                              int count, int64_t def, int64_t lo, int64_t *dst)
{
    for (int i = 0; i < count; i++) dst[i] = def;
    if (!v) return VOCE_OK;
    if (c != count)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "attribute '%s' has %lld values, expected %d",
                             name, (long long)c, count);
    for (int i = 0; i < count; i++) {
        if (v[i] < lo || v[i] > VC_MAX_NUMEL)
            return vc_node_error(n, VOCE_ERR_INVALID_ARG,
                                 "attribute '%s' value %lld is out of range", name,
                                 (long long)v[i]);
        dst[i] = v[i];
    }
    return VOCE_OK;
}

static voce_status get_ints(const vc_node *n, const char *name, int count, int64_t def, int64_t lo,
                            int64_t *dst)
{
    int64_t c;
    const int64_t *v = vc_attr_ints(n, name, &c);
    return check_ints(n, name, v, c, count, def, lo, dst);
}

static voce_status get_flag(const vc_node *n, const char *name, int *out)
{
    int64_t v = vc_attr_int(n, name, 0);
    if (v != 0 && v != 1)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "attribute '%s' must be 0 or 1 (got %lld)",
                             name, (long long)v);
    *out = (int)v;
    return VOCE_OK;
}

static voce_status effective_kernel(const vc_node *n, int64_t k, int64_t d, int64_t *eff)
{
    if (k - 1 > VC_MAX_NUMEL / d)
        return vc_node_error(n, VOCE_ERR_NOMEM, "kernel %lld with dilation %lld is too large",
                             (long long)k, (long long)d);
    *eff = (k - 1) * d + 1;
    return VOCE_OK;
}

/* The window attributes of Conv and pooling for nsp spatial dims, checked. */
typedef struct window_attrs {
    int nsp, auto_pad;
    int64_t s[MAX_SP], d[MAX_SP], pads[2 * MAX_SP];
} window_attrs;

static voce_status window_attrs_read(const vc_node *n, int ns, window_attrs *wa)
{
    voce_status st;
    wa->nsp = ns;
    if ((st = get_auto_pad(n, &wa->auto_pad)) || (st = get_ints(n, "strides", ns, 1, 1, wa->s)) ||
        (st = get_ints(n, "dilations", ns, 1, 1, wa->d)) ||
        (st = get_ints(n, "pads", 2 * ns, 0, 0, wa->pads)))
        return st;
    return VOCE_OK;
}

/* Strides, dilations, pads and the grid (output) extent of Conv and pooling from their
 * attributes wa; g->nsp, g->img and g->k must be set. ceil_mode follows PyTorch: a last
 * window that would start in the end padding is dropped. */
static voce_status window_apply(const vc_node *n, const window_attrs *wa, int ceil_mode, geom *g)
{
    int ap = wa->auto_pad, ns = g->nsp;
    const int64_t *pads = wa->pads;
    voce_status st;
    for (int i = 0; i < ns; i++) {
        g->s[i] = wa->s[i];
        g->d[i] = wa->d[i];
    }
    for (int i = 0; i < ns; i++) {
        int64_t in = g->img[i], s = g->s[i], eff = 1;
        if ((st = effective_kernel(n, g->k[i], g->d[i], &eff))) return st;
        if (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER) {
            int64_t out = (in + s - 1) / s;
            int64_t total = max64(0, (out - 1) * s + eff - in);
            g->pb[i] = ap == PAD_SAME_UPPER ? total / 2 : total - total / 2;
            g->pe[i] = total - g->pb[i];
            g->grid[i] = out;
            continue;
        }
        g->pb[i] = ap == PAD_VALID ? 0 : pads[i];
        g->pe[i] = ap == PAD_VALID ? 0 : pads[ns + i];
        int64_t span = in + g->pb[i] + g->pe[i] - eff;
        if (span < 0)
            return vc_node_error(
                n, VOCE_ERR_SHAPE,
                "kernel extent %lld exceeds the padded input %lld in spatial dim %d",
                (long long)eff, (long long)(in + g->pb[i] + g->pe[i]), i);
        int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
        if (ceil_mode && (out - 1) * s >= in + g->pb[i]) out--;
        g->grid[i] = out;
    }
    return VOCE_OK;
}

static voce_status window_geom(const vc_node *n, int ceil_mode, geom *g)
{
    window_attrs wa;
    voce_status st = window_attrs_read(n, g->nsp, &wa);
    return st ? st : window_apply(n, &wa, ceil_mode, g);
}

/* Conv's and ConvTranspose's attributes, read in one pass over the node's list: a
 * TinyVAD-sized Conv runs in microseconds, and nine lookups by name (each a walk
 * through the list) three times per run (infer, scratch, run) were 4-7% of its time.
 * As with the vc_attr getters, the first of a repeated name counts and a value of the
 * wrong type is taken as absent. */
typedef struct conv_attrs {
    window_attrs w;
    int64_t group, ks[MAX_SP]; /* ks[i] -1: no kernel_shape */
    vc_conv_act act;
} conv_attrs;

enum {
    CA_AUTO_PAD, CA_STRIDES, CA_DILATIONS, CA_PADS, CA_KERNEL, CA_GROUP, CA_ACT, CA_LO, CA_HI,
    CA_N
};

static int attr_slot(const char *name)
{
    static const char *const names[CA_N] = {"auto_pad", "strides", "dilations", "pads",
                                            "kernel_shape", "group", "activation",
                                            "activation_min", "activation_max"};
    for (int k = 0; k < CA_N; k++)
        if (name[0] == names[k][0] && !strcmp(name, names[k])) return k;
    return -1;
}

static const int64_t *ints_of(const vc_attr *a, int64_t *c)
{
    *c = a && a->type == VC_ATTR_INTS ? a->count : 0;
    return a && a->type == VC_ATTR_INTS ? a->ints : NULL;
}

static voce_status conv_attrs_read(const vc_node *n, int ns, conv_attrs *ca)
{
    const vc_attr *at[CA_N] = {0};
    for (int i = 0; i < n->n_attr; i++) {
        int k = n->attr[i].name ? attr_slot(n->attr[i].name) : -1;
        if (k >= 0 && !at[k]) at[k] = &n->attr[i];
    }
    const vc_attr *ap = at[CA_AUTO_PAD], *g = at[CA_GROUP], *act = at[CA_ACT];
    const vc_attr *lo = at[CA_LO], *hi = at[CA_HI];
    int lo_ok = lo && (lo->type == VC_ATTR_FLOAT || lo->type == VC_ATTR_INT);
    int hi_ok = hi && (hi->type == VC_ATTR_FLOAT || hi->type == VC_ATTR_INT);
    int64_t c;
    const int64_t *v;
    voce_status st;
    ca->w.nsp = ns;
    ca->group = g && g->type == VC_ATTR_INT ? g->i : 1;
    if ((st = auto_pad_of(n, ap && ap->type == VC_ATTR_STRING ? ap->s : "NOTSET", &ca->w.auto_pad)))
        return st;
    v = ints_of(at[CA_STRIDES], &c);
    if ((st = check_ints(n, "strides", v, c, ns, 1, 1, ca->w.s))) return st;
    v = ints_of(at[CA_DILATIONS], &c);
    if ((st = check_ints(n, "dilations", v, c, ns, 1, 1, ca->w.d))) return st;
    v = ints_of(at[CA_PADS], &c);
    if ((st = check_ints(n, "pads", v, c, 2 * ns, 0, 0, ca->w.pads))) return st;
    v = ints_of(at[CA_KERNEL], &c);
    if ((st = check_ints(n, "kernel_shape", v, c, ns, -1, 1, ca->ks))) return st;
    return vc_conv_act_set(n, act && act->type == VC_ATTR_STRING ? act->s : NULL, lo_ok,
                           !lo_ok ? 0.0f : lo->type == VC_ATTR_FLOAT ? lo->f : (float)lo->i, hi_ok,
                           !hi_ok ? 0.0f : hi->type == VC_ATTR_FLOAT ? hi->f : (float)hi->i,
                           &ca->act);
}

static voce_status check_rank(const vc_node *n, const vc_tensor *x)
{
    if (x->rank >= 3 && x->rank <= 2 + MAX_SP) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_SHAPE,
                         "input must be [N, C, D1, ...] with 1 to 3 spatial dims (got rank %d)",
                         x->rank);
}

static voce_status check_float(const vc_node *n, vc_tensor *const *in, int k)
{
    voce_dtype dt = in[k]->dtype;
    if (k == 0)
        return dt == VOCE_DTYPE_F32 || dt == VOCE_DTYPE_F16 ? VOCE_OK : vc_err_dtype(n, 0, dt);
    if (dt == in[0]->dtype) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_DTYPE, "input %d is %s but input 0 is %s", k,
                         voce_dtype_name(dt), voce_dtype_name(in[0]->dtype));
}

static voce_status set_output(const vc_node *n, vc_tensor *out, voce_dtype dt, int64_t d0,
                              int64_t d1, const geom *g, const int64_t *sp)
{
    char s[160];
    out->dtype = dt;
    out->rank = 2 + g->nsp;
    out->dims[0] = d0;
    out->dims[1] = d1;
    for (int i = 0; i < g->nsp; i++) out->dims[2 + i] = sp[i];
    if (vc_numel(out) >= 0) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_NOMEM, "output shape %s is too large",
                         vc_shape_str(out->rank, out->dims, s, sizeof s));
}

/* Kernel extent from the weights ([*, *, k1, ...]), checked against kernel_shape ks. */
static voce_status kernel_from_weights(const vc_node *n, const vc_tensor *w, const int64_t *ks,
                                       geom *g)
{
    for (int i = 0; i < g->nsp; i++) {
        g->k[i] = w->dims[2 + i];
        if (g->k[i] < 1)
            return vc_node_error(n, VOCE_ERR_SHAPE, "weights have an empty kernel dim");
        if (ks[i] != -1 && ks[i] != g->k[i])
            return vc_node_error(n, VOCE_ERR_SHAPE,
                                 "kernel_shape %lld differs from the weights' %lld",
                                 (long long)ks[i], (long long)g->k[i]);
    }
    return VOCE_OK;
}

/* ---- im2col / col2im ---- */

/* Rows shorter than this check each position; longer ones split the row into its
 * padding and image parts up front so that the copy loop has no branch. */
enum { SHORT_ROW = 16 };

/* For kernel tap koff, move grid positions l0..l1 (flattened, last dim fastest) between
 * buf[l - l0] and the image: gather (buf = image value, 0 in the padding) or scatter
 * (image += buf where the position falls inside the image). */
static void walk(const geom *g, const int64_t *koff, int64_t l0, int64_t l1, float *buf,
                 const float *src, float *dst)
{
    int last = g->nsp - 1;
    int64_t glast = g->grid[last], ilast = g->img[last], s = g->s[last];
    int64_t off = koff[last] * g->d[last] - g->pb[last]; /* image index = pos * s + off */
    /* grid positions lo..hi-1 have their image index in [0, ilast) */
    int64_t lo = 0, hi = glast;
    if (glast >= SHORT_ROW) {
        lo = off >= 0 ? 0 : s == 1 ? -off : (-off + s - 1) / s;
        hi = ilast - off <= 0 ? 0 : s == 1 ? ilast - off : (ilast - off - 1) / s + 1;
        lo = min64(lo, glast);
        hi = max64(lo, min64(hi, glast));
    }
    int64_t row = l0 >= glast ? l0 / glast : 0, p0 = l0 - row * glast;
    for (int64_t l = l0; l < l1; row++, p0 = 0) {
        int64_t p1 = min64(glast, p0 + (l1 - l));
        int64_t base = 0, step = ilast, r = row;
        int inside = 1;
        for (int d = last - 1; d >= 0; d--) {
            int64_t pos = r % g->grid[d], idx = pos * g->s[d] - g->pb[d] + koff[d] * g->d[d];
            r /= g->grid[d];
            if (idx < 0 || idx >= g->img[d]) inside = 0;
            base += idx * step;
            step *= g->img[d];
        }
        /* buf holds grid position p of this row at index p + bo; the image element of
         * position p is at io + p * s */
        int64_t bo = l - l0 - p0, io = base + off;
        if (glast < SHORT_ROW) {
            for (int64_t p = p0; p < p1; p++) {
                int64_t i = p * s + off;
                int ok = inside && i >= 0 && i < ilast;
                if (src)
                    buf[p + bo] = ok ? src[io + p * s] : 0.0f;
                else if (ok)
                    dst[io + p * s] += buf[p + bo];
            }
        } else {
            int64_t a = inside ? min64(max64(p0, lo), p1) : p1, z = max64(a, min64(p1, hi));
            if (src) {
                for (int64_t p = p0; p < a; p++) buf[p + bo] = 0.0f;
                for (int64_t p = a; p < z; p++) buf[p + bo] = src[io + p * s];
                for (int64_t p = z; p < p1; p++) buf[p + bo] = 0.0f;
            } else {
                for (int64_t p = a; p < z; p++) dst[io + p * s] += buf[p + bo];
            }
        }
        l += p1 - p0;
    }
}

static void next_tap(const geom *g, int64_t *koff)
{
    for (int d = g->nsp - 1; d >= 0; d--) {
        if (++koff[d] < g->k[d]) return;
        koff[d] = 0;
    }
}

/* col[(c * Kp + t) * (l1 - l0) + l - l0] = channel c of the image under tap t at grid
 * position l. */
static void im2col(const geom *g, const float *img, int64_t channels, int64_t l0, int64_t l1,
                   float *col)
{
    int64_t kp = prod(g->k, g->nsp), isz = prod(g->img, g->nsp), w = l1 - l0;
    if (g->nsp == 1 && w < SHORT_ROW) {
        /* 1-D with few positions (streaming models run one frame at a time): a plain
         * loop, where walk's per-row set-up would dominate */
        int64_t s = g->s[0], d = g->d[0], pb = g->pb[0];
        for (int64_t c = 0; c < channels; c++)
            for (int64_t t = 0; t < kp; t++) {
                float *dst = col + (c * kp + t) * w;
                const float *x = img + c * isz;
                for (int64_t p = l0; p < l1; p++) {
                    int64_t i = p * s + t * d - pb;
                    dst[p - l0] = i >= 0 && i < isz ? x[i] : 0.0f;
                }
            }
        return;
    }
    for (int64_t c = 0; c < channels; c++) {
        int64_t koff[MAX_SP] = {0};
        for (int64_t t = 0; t < kp; t++, next_tap(g, koff))
            walk(g, koff, l0, l1, col + (c * kp + t) * w, img + c * isz, NULL);
    }
}

typedef struct im2col_job {
    const geom *g;
    const float *img;
    int64_t channels, per_task, l0, l1;
    float *col;
} im2col_job;

static void im2col_task(void *arg, int64_t task, int worker)
{
    const im2col_job *j = arg;
    int64_t c0 = task * j->per_task, n = min64(j->per_task, j->channels - c0);
    int64_t kp = prod(j->g->k, j->g->nsp), isz = prod(j->g->img, j->g->nsp);
    (void)worker;
    im2col(j->g, j->img + c0 * isz, n, j->l0, j->l1, j->col + c0 * kp * (j->l1 - j->l0));
}

/* im2col with the channels shared among threads when the copy is large enough to be
 * worth it (a Whisper-sized input layer gathers megabytes). */
static void im2col_mt(const geom *g, const float *img, int64_t channels, int64_t l0, int64_t l1,
                      float *col, vc_threads *t)
{
    int64_t floats = channels * prod(g->k, g->nsp) * (l1 - l0);
    int64_t n = vc_threads_tasks(t, channels, floats, (int64_t)1 << 16);
    if (n < 2) {
        im2col(g, img, channels, l0, l1, col);
        return;
    }
    im2col_job j = {g, img, channels, (channels + n - 1) / n, l0, l1, col};
    vc_threads_run(t, (channels + j.per_task - 1) / j.per_task, im2col_task, &j);
}

/* The inverse: image channel c += col rows (c * Kp + t) at their positions. */
static void col2im(const geom *g, float *col, int64_t channels, int64_t l0, int64_t l1, float *img)
{
    int64_t kp = prod(g->k, g->nsp), isz = prod(g->img, g->nsp), w = l1 - l0;
    for (int64_t c = 0; c < channels; c++) {
        int64_t koff[MAX_SP] = {0};
        for (int64_t t = 0; t < kp; t++, next_tap(g, koff))
            walk(g, koff, l0, l1, col + (c * kp + t) * w, NULL, img + c * isz);
    }
}

/* Grid positions per column tile so that rows x positions stays within COL_BUDGET. */
static int64_t col_tile(int64_t rows, int64_t positions)
{
    if (positions < 1) return 1;
    if (rows >= COL_BUDGET) return 1;
    return min64(positions, COL_BUDGET / max64(rows, 1));
}

voce_status vc_conv_geom_init(const vc_node *n, const vc_tensor *x, const int64_t *kernel, vc_conv_geom *g)
{
    voce_status st = check_rank(n, x);
    if (st) return st;
    g->nsp = x->rank - 2;
    for (int i = 0; i < g->nsp; i++) {
        if (x->dims[2 + i] < 1) return vc_node_error(n, VOCE_ERR_SHAPE, "input has an empty spatial dim");
        g->img[i] = x->dims[2 + i];
        g->k[i] = kernel[i];
    }
    return window_geom(n, 0, g);
}

void vc_conv_im2col(const vc_conv_geom *g, const float *img, int64_t channels, int64_t l0, int64_t l1,
                    float *col, vc_threads *t)
{
    im2col_mt(g, img, channels, l0, l1, col, t);
}

int64_t vc_conv_col_tile(int64_t rows, int64_t positions) { return col_tile(rows, positions); }

/* f32 view of a tensor: the data itself, or its f16 values widened into *cursor. */
static const float *as_f32(const vc_tensor *t, float **cursor)
{
    if (!t || t->dtype == VOCE_DTYPE_F32) return t ? t->data : NULL;
    float *dst = *cursor;
    vc_f16_to_f32_array(t->data, dst, vc_numel(t));
    *cursor += vc_numel(t);
    return dst;
}

static size_t f16_floats(const vc_tensor *t)
{
    return t && t->dtype == VOCE_DTYPE_F16 ? (size_t)vc_numel(t) : 0;
}

static const vc_tensor *opt_in(const vc_node *n, vc_tensor *const *in, int k)
{
    return k < n->n_in ? in[k] : NULL;
}

/* ---- Conv ---- */

typedef struct {
    geom g;
    int64_t N, C, M, group;
} conv_shape;

static voce_status conv_check(const vc_node *n, vc_tensor *const *in, int transposed,
                              const conv_attrs *ca, conv_shape *cs)
{
    const vc_tensor *x = in[0], *w = in[1], *b = opt_in(n, in, 2);
    voce_status st;
    char s1[160], s2[160];
    if ((st = check_float(n, in, 0)) || (st = check_float(n, in, 1)) ||
        (b && (st = check_float(n, in, 2))) || (st = check_rank(n, x)))
        return st;
    if (w->rank != x->rank)
        return vc_node_error(n, VOCE_ERR_SHAPE, "weights %s do not match input %s in rank",
                             vc_shape_str(w->rank, w->dims, s1, sizeof s1),
                             vc_shape_str(x->rank, x->dims, s2, sizeof s2));
    cs->group = ca->group;
    cs->g.nsp = x->rank - 2;
    cs->N = x->dims[0];
    cs->C = x->dims[1];
    if (cs->group < 1 || cs->group > VC_MAX_NUMEL)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "group %lld is out of range",
                             (long long)cs->group);
    /* Conv weights are [M, C/group, k...]; ConvTranspose weights are [C, M/group, k...] */
    int64_t per_group = transposed ? w->dims[1] : w->dims[0] / cs->group;
    int64_t wc = transposed ? w->dims[0] : w->dims[1];
    int64_t cin = transposed ? cs->C : cs->C / cs->group;
    if (per_group > VC_MAX_NUMEL / cs->group || cs->C % cs->group ||
        (!transposed && w->dims[0] % cs->group) || wc != cin)
        return vc_node_error(n, VOCE_ERR_SHAPE,
                             "input %s and weights %s disagree on channels for group %lld",
                             vc_shape_str(x->rank, x->dims, s1, sizeof s1),
                             vc_shape_str(w->rank, w->dims, s2, sizeof s2), (long long)cs->group);
    cs->M = per_group * cs->group;
    if (b && (b->rank != 1 || b->dims[0] != cs->M))
        return vc_node_error(n, VOCE_ERR_SHAPE, "bias %s should be [%lld]",
                             vc_shape_str(b->rank, b->dims, s1, sizeof s1), (long long)cs->M);
    for (int i = 0; i < cs->g.nsp; i++) {
        if (x->dims[2 + i] < 1 && !transposed)
            return vc_node_error(n, VOCE_ERR_SHAPE, "input has an empty spatial dim");
        cs->g.img[i] = x->dims[2 + i];
    }
    return kernel_from_weights(n, w, ca->ks, &cs->g);
}

/* The attributes (into *ca, for input 0's rank) and the inputs checked against them. */
static voce_status conv_prepare(const vc_node *n, vc_tensor *const *in, int transposed,
                                conv_attrs *ca, conv_shape *cs)
{
    voce_status st;
    if ((st = check_float(n, in, 0)) || (st = check_rank(n, in[0])) ||
        (st = conv_attrs_read(n, in[0]->rank - 2, ca)))
        return st;
    return conv_check(n, in, transposed, ca, cs);
}

/* Conv's shape: the inputs checked against the attributes ca and the window laid out. */
static voce_status conv_shape_of(const vc_node *n, vc_tensor *const *in, const conv_attrs *ca,
                                 conv_shape *cs)
{
    voce_status st = conv_check(n, in, 0, ca, cs);
    return st ? st : window_apply(n, &ca->w, 0, &cs->g);
}

static voce_status conv_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    conv_shape cs;
    conv_attrs ca;
    voce_status st = conv_prepare(n, in, 0, &ca, &cs);
    if (st || (st = window_apply(n, &ca.w, 0, &cs.g))) return st;
    return set_output(n, &out[0], in[0]->dtype, cs.N, cs.M, &cs.g, cs.g.grid);
}

/* A 1x1 kernel without stride or padding reads the input as the column matrix. */
static int conv_is_pointwise(const geom *g)
{
    for (int i = 0; i < g->nsp; i++)
        if (g->k[i] != 1 || g->s[i] != 1 || g->pb[i] || g->pe[i]) return 0;
    return 1;
}

static int conv_is_depthwise(const conv_shape *cs);

static size_t conv_col_floats(const conv_shape *cs)
{
    if (conv_is_pointwise(&cs->g) || conv_is_depthwise(cs)) return 0;
    int64_t rows = cs->C / cs->group * prod(cs->g.k, cs->g.nsp);
    return (size_t)(rows * col_tile(rows, prod(cs->g.grid, cs->g.nsp)));
}

static size_t conv_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    conv_shape cs;
    conv_attrs ca;
    if (conv_prepare(n, in, 0, &ca, &cs) || window_apply(n, &ca.w, 0, &cs.g)) return 0;
    size_t f = conv_col_floats(&cs) + f16_floats(in[0]) + f16_floats(in[1]) +
               f16_floats(opt_in(n, in, 2)) + f16_floats(&out[0]);
    return f * sizeof(float);
}

/* y[l] += b for l < n, in blocks of 8 with a constant trip count (which gcc's -O2 cost
 * model vectorizes; it leaves loops of unknown length scalar), then the rest. */
static void add_bias(float *restrict y, float b, int64_t n)
{
    int64_t l = 0;
    for (; l + 8 <= n; l += 8)
        for (int k = 0; k < 8; k++) y[l + k] += b;
    for (; l < n; l++) y[l] += b;
}

/* What a GEMM leaves of a Conv's output tile: the bias (b may be NULL) and the fused
 * activation over rows x cols of y (row stride ld), while the tile is in cache. Rows are
 * shared among threads once there are enough of them: a subsampling front end's tiles
 * are 256 x ~450 floats, which the calling thread alone would pass over while the
 * others wait for the next product. Each element gets the same one add and activation
 * however the rows are split, so the bits do not depend on the thread count. */
typedef struct epi_job {
    float *y;
    const float *b;
    const vc_conv_act *act;
    int64_t rows, cols, ld, per_task;
} epi_job;

static void epi_rows(const epi_job *j, int64_t m0, int64_t m1)
{
    for (int64_t m = m0; m < m1; m++) {
        float *r = j->y + m * j->ld;
        if (j->b) add_bias(r, j->b[m], j->cols);
        vc_conv_act_apply(j->act, r, j->cols);
    }
}

static void epi_task(void *arg, int64_t task, int worker)
{
    const epi_job *j = arg;
    (void)worker;
    epi_rows(j, task * j->per_task, min64(j->rows, (task + 1) * j->per_task));
}

static void epilogue(vc_threads *t, float *y, const float *b, const vc_conv_act *act, int64_t rows,
                     int64_t cols, int64_t ld)
{
    if (!b && act->kind == VC_CONV_ACT_NONE) return;
    int64_t n = vc_threads_tasks(t, rows, rows * cols, (int64_t)1 << 15);
    epi_job j = {y, b, act, rows, cols, ld, (rows + n - 1) / n};
    if (n < 2) {
        epi_rows(&j, 0, rows);
        return;
    }
    vc_threads_run(t, (rows + j.per_task - 1) / j.per_task, epi_task, &j);
}

/* Few grid positions (a streaming model's frames): patches as rows, row[(l - l0) * kc +
 * c * k + t] = channel c under tap t at position l, 1-D only. Rows contiguous along K
 * are what the GEMM's dot path reads, so with the weights [mg, kc] as they are stored
 * each weight is loaded once for all positions. Returns the rows: col, or straight
 * into the image when one channel's windows need no padding (Silero's STFT). */
static const float *im2row(const geom *g, const float *img, int64_t channels, int64_t l0,
                           int64_t l1, float *col, int64_t *ld)
{
    int64_t k = g->k[0], s = g->s[0], d = g->d[0], pb = g->pb[0], isz = g->img[0];
    int64_t kc = channels * k;
    if (channels == 1 && d == 1 && l0 * s - pb >= 0 && (l1 - 1) * s - pb + k <= isz) {
        *ld = s;
        return img + l0 * s - pb;
    }
    /* position and tap fix the image index for every channel: test it once */
    for (int64_t l = l0; l < l1; l++)
        for (int64_t t = 0; t < k; t++) {
            float *dst = col + (l - l0) * kc + t;
            int64_t i = l * s + t * d - pb;
            if (i >= 0 && i < isz)
                for (int64_t c = 0; c < channels; c++) dst[c * k] = img[c * isz + i];
            else
                for (int64_t c = 0; c < channels; c++) dst[c * k] = 0.0f;
        }
    *ld = kc;
    return col;
}

/* ---- depthwise: one input channel per group ---- */

enum { DW_TILE = 512 }; /* grid positions per pass: the tap buffer and y tile stay in L1 */

struct dw_plan;

typedef struct dw_job {
    const conv_shape *cs;
    const vc_conv_act *act;
    const struct dw_plan *plan; /* the direct kernel's, or NULL */
    const float *x, *w, *b;
    float *y;
    int64_t per_task; /* output channels (of all batches, flattened) per task */
} dw_job;

/* Output channels [c0, c1) of the flattened (batch, channel) list: for each tile of grid
 * positions, every tap's input row is gathered (zeros in the padding) and added in with
 * its weight, taps in order, then the bias. */
/* Grid positions [*lo, *hi) of one axis whose image index p * s + off lies in [0, n). */
static void valid_range(int64_t grid, int64_t n, int64_t s, int64_t off, int64_t *lo, int64_t *hi)
{
    *lo = off >= 0 ? 0 : (-off + s - 1) / s;
    *hi = n - off <= 0 ? 0 : (n - off - 1) / s + 1;
    *lo = min64(*lo, grid);
    *hi = max64(*lo, min64(*hi, grid));
}

/* y[ox] += w * x[ox * sx] for ox < n. Unit stride in blocks of 8 with a constant inner
 * trip count: gcc's -O2 cost model vectorizes those, not a loop of unknown length. */
static void axpy_strided(int64_t n, float w, const float *restrict x, int64_t sx,
                         float *restrict y)
{
    int64_t i = 0;
    if (sx == 1)
        for (; i + 8 <= n; i += 8)
            for (int l = 0; l < 8; l++) y[i + l] += w * x[i + l];
    for (; i < n; i++) y[i] += w * x[i * sx];
}

/* One 2-D plane, tap by tap in order: each tap adds its weight times the image over the
 * block of outputs it reaches inside the image (padding adds nothing), then the bias.
 * Small images (a CNN's 16 x 16 feature maps) would spend their time in walk's per-row
 * set-up; this does the index arithmetic once per tap. */
static void dw_plane_2d(const geom *g, const float *x, const float *w, float bias, float *y)
{
    int64_t OH = g->grid[0], OW = g->grid[1], H = g->img[0], W = g->img[1];
    memset(y, 0, sizeof(float) * (size_t)(OH * OW));
    for (int64_t ky = 0; ky < g->k[0]; ky++) {
        int64_t offy = ky * g->d[0] - g->pb[0], ylo, yhi;
        valid_range(OH, H, g->s[0], offy, &ylo, &yhi);
        for (int64_t kx = 0; kx < g->k[1]; kx++) {
            int64_t offx = kx * g->d[1] - g->pb[1], xlo, xhi;
            valid_range(OW, W, g->s[1], offx, &xlo, &xhi);
            float wv = w[ky * g->k[1] + kx];
            for (int64_t oy = ylo; oy < yhi; oy++)
                axpy_strided(xhi - xlo, wv, x + (oy * g->s[0] + offy) * W + xlo * g->s[1] + offx,
                             g->s[1], y + oy * OW + xlo);
        }
    }
    for (int64_t i = 0; i < OH * OW; i++) y[i] += bias;
}

/* ---- direct depthwise kernel for small maps ----
 *
 * A 1-D or 2-D plane whose zero-padded input fits in DW_BUF floats: the input is copied
 * once into phase planes, P[py][px][r][c] = padded image (r * sy + py, c * sx + px), all
 * with row length Wq = OW + ((kw - 1) * dx) / sx. Output (oy, ox) under tap (ky, kx)
 * then reads P[ky*dy % sy][kx*dx % sx] at row oy + ky*dy / sy, column ox + kx*dx / sx:
 * in the flat index f = oy * Wq + ox every tap is one constant offset, so the whole plane
 * is one call of the streaming kernel (vc_dw_fn), written with row length Wq and the
 * Wq - OW spare columns of each row dropped after. With stride 1 there is one phase,
 * the padded image itself. */
enum { DW_BUF = 2048, DW_MAX_TAPS = 64, DW_MAX_STRIDE = 4, DW_MAX_PHASES = 16 };

typedef struct dw_plan {
    int64_t H, W, OH, OW, sy, sx, pby, pbx; /* a 1-D conv is one row: H = OH = 1 */
    int64_t R, Wq, phase;                   /* rows, row length, floats per phase plane */
    int64_t xs, ys;                         /* floats from one input / output plane to the
                                               next: H * W and OH * OW, more for a band */
    int64_t n;                              /* flat outputs computed: (OH - 1) * Wq + OW */
    int taps;
    int64_t off[DW_MAX_TAPS];
    /* per phase (py * sx + px): the rows [rlo, rhi) and columns [clo, chi) that come
     * from the image; the rest is padding */
    int64_t rlo[DW_MAX_PHASES], rhi[DW_MAX_PHASES], clo[DW_MAX_PHASES], chi[DW_MAX_PHASES];
} dw_plan;

/* Whether geometry g (1 or 2 spatial dims) suits the direct kernel; fills p. */
static int dw_plan_init(const geom *g, dw_plan *p)
{
    if (g->nsp > 2) return 0;
    int two = g->nsp == 2;
    int64_t ky_n = two ? g->k[0] : 1, kx_n = g->k[g->nsp - 1];
    int64_t dy = two ? g->d[0] : 1, dx = g->d[g->nsp - 1];
    p->H = two ? g->img[0] : 1;
    p->W = g->img[g->nsp - 1];
    p->OH = two ? g->grid[0] : 1;
    p->OW = g->grid[g->nsp - 1];
    p->sy = two ? g->s[0] : 1;
    p->sx = g->s[g->nsp - 1];
    p->pby = two ? g->pb[0] : 0;
    p->pbx = g->pb[g->nsp - 1];
    if (ky_n > DW_MAX_TAPS || kx_n > DW_MAX_TAPS || ky_n * kx_n > DW_MAX_TAPS)
        return 0; /* each checked first: the product of two huge extents would overflow */
    if (p->sy > DW_MAX_STRIDE || p->sx > DW_MAX_STRIDE || dy > 64 || dx > 64) return 0;
    p->R = p->OH + (ky_n - 1) * dy / p->sy;
    p->Wq = p->OW + (kx_n - 1) * dx / p->sx;
    if (p->R > DW_BUF || p->Wq > DW_BUF) return 0;
    p->phase = p->R * p->Wq;
    if (p->phase * p->sy * p->sx > DW_BUF || p->OH * p->Wq > DW_BUF) return 0;
    p->n = (p->OH - 1) * p->Wq + p->OW;
    p->xs = p->H * p->W;
    p->ys = p->OH * p->OW;
    p->taps = (int)(ky_n * kx_n);
    for (int64_t ky = 0; ky < ky_n; ky++)
        for (int64_t kx = 0; kx < kx_n; kx++) {
            int64_t ty = ky * dy, tx = kx * dx;
            int64_t ph = (ty % p->sy) * p->sx + tx % p->sx;
            p->off[ky * kx_n + kx] = ph * p->phase + ty / p->sy * p->Wq + tx / p->sx;
        }
    for (int64_t py = 0; py < p->sy; py++)
        for (int64_t px = 0; px < p->sx; px++) {
            int64_t ph = py * p->sx + px;
            valid_range(p->R, p->H, p->sy, py - p->pby, &p->rlo[ph], &p->rhi[ph]);
            valid_range(p->Wq, p->W, p->sx, px - p->pbx, &p->clo[ph], &p->chi[ph]);
        }
    return 1;
}

/* Copies n floats; blocks of 8 with a constant trip count, which gcc's -O2 cost model
 * vectorizes (it leaves loops of unknown length scalar), then the rest. */
static void copy_floats(float *restrict d, const float *restrict s, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) d[i + l] = s[i + l];
    for (; i < n; i++) d[i] = s[i];
}

/* The image part of x's phase planes in buf (dw_plan's layout). The padding is the same
 * for every plane of one geometry: dw_direct zeroes the buffers once and this writes
 * only the cells that come from the image. */
static void dw_phases(const dw_plan *p, vc_dw_even_fn even, const float *x, float *buf)
{
    for (int64_t py = 0; py < p->sy; py++)
        for (int64_t px = 0; px < p->sx; px++) {
            int64_t ph = py * p->sx + px, clo = p->clo[ph], chi = p->chi[ph];
            int64_t r0 = p->rlo[ph], rows = p->rhi[ph] - r0;
            float *d = buf + ph * p->phase + r0 * p->Wq;
            /* column c of phase row r is image column c * sx + px - pbx of image row
             * r * sy + py - pby */
            const float *row = x + (r0 * p->sy + py - p->pby) * p->W + px - p->pbx;
            if (p->sx == 2) {
                even(rows, chi - clo, row + 2 * clo, p->sy * p->W, d + clo, p->Wq);
                continue;
            }
            for (int64_t r = 0; r < rows; r++, d += p->Wq, row += p->sy * p->W) {
                if (p->sx == 1)
                    copy_floats(d + clo, row + clo, chi - clo);
                else
                    for (int64_t c = clo; c < chi; c++) d[c] = row[c * p->sx];
            }
        }
}

/* One output plane from phase planes buf: computed with row length Wq into acc (or
 * straight into y when the rows have no spare columns), then packed into y. */
static void dw_plane_direct(const dw_plan *p, vc_dw_fn fn, const float *buf, const float *w,
                            float bias, const vc_conv_act *act, float *acc, float *y)
{
    const float *clamp = vc_conv_act_clamp(act);
    if (p->Wq == p->OW) {
        fn(p->n, p->taps, p->off, w, bias, clamp, buf, y);
    } else {
        fn(p->n, p->taps, p->off, w, bias, clamp, buf, acc);
        for (int64_t oy = 0; oy < p->OH; oy++) copy_floats(y + oy * p->OW, acc + oy * p->Wq, p->OW);
    }
    vc_conv_act_rest(act, y, p->OH * p->OW);
}

/* Outputs [o0, o1) of the flattened (batch, channel) list on the direct kernel. The
 * outputs of one input plane (a channel multiplier, or a Conv of one input channel)
 * are consecutive and share its phase planes. Two buffers alternate: the next plane is
 * copied before this one's taps run, so the copy and the taps of one step do not
 * depend on each other and the core can overlap them. */
static void dw_direct(const dw_job *j, const dw_plan *p, int64_t o0, int64_t o1)
{
    const conv_shape *cs = j->cs;
    int64_t mg = cs->M / cs->group, L = p->ys, isz = p->xs;
    float pbuf[2][DW_BUF], pacc[DW_BUF];
    vc_dw_fn fn = vc_dw_kernel_for(vc_isa_active());
    vc_dw_even_fn even = vc_dw_even_for(vc_isa_active());
    size_t used = sizeof(float) * (size_t)(p->phase * p->sy * p->sx);
    memset(pbuf[0], 0, used); /* the padding, never written again */
    memset(pbuf[1], 0, used);
    int64_t ip0 = o0 / mg, ip1 = (o1 - 1) / mg + 1;
    dw_phases(p, even, j->x + ip0 * isz, pbuf[0]);
    for (int64_t ip = ip0; ip < ip1; ip++) {
        const float *cur = pbuf[(ip - ip0) & 1];
        if (ip + 1 < ip1) dw_phases(p, even, j->x + (ip + 1) * isz, pbuf[(ip + 1 - ip0) & 1]);
        for (int64_t o = max64(o0, ip * mg); o < min64(o1, (ip + 1) * mg); o++) {
            int64_t m = o % cs->M;
            dw_plane_direct(p, fn, cur, j->w + m * p->taps, j->b ? j->b[m] : 0.0f, j->act, pacc,
                            j->y + o * L);
        }
    }
}

/* A 2-D plane too large for the direct kernel's buffers (a subsampling front end's
 * 750 x 32 map, stride 2) in bands of output rows that fit them: each band is a smaller
 * convolution of its own (the input rows its windows reach, with the padding that
 * falls in the band), planned and run as a whole plane is. Returns 0 when the geometry
 * does not suit (not one row fits: a very wide map; more than the kernel's taps or
 * strides; a first or last output row whose window reads only padding), and
 * dw_plane_2d then computes the planes (all of each, whatever was written). */
static int dw_bands(const dw_job *j, int64_t o0, int64_t o1)
{
    const geom *g = &j->cs->g;
    if (g->nsp != 2 || g->s[0] > DW_MAX_STRIDE || g->s[1] > DW_MAX_STRIDE) return 0;
    int64_t OH = g->grid[0], OW = g->grid[1], W = g->img[1], H = g->img[0];
    int64_t halo = (g->k[0] - 1) * g->d[0] / g->s[0], sxy = g->s[0] * g->s[1];
    int64_t wq = OW + (g->k[1] - 1) * g->d[1] / g->s[1];
    int64_t rows = min64(DW_BUF / (wq * sxy) - halo, DW_BUF / wq);
    if (rows < 1 || (g->k[0] - 1) * g->d[0] < g->pb[0] || (OH - 1) * g->s[0] - g->pb[0] >= H)
        return 0;
    for (int64_t oy0 = 0; oy0 < OH; oy0 += rows) {
        geom b = *g;
        int64_t oy1 = min64(OH, oy0 + rows), r = oy0 * g->s[0] - g->pb[0];
        int64_t end = (oy1 - 1) * g->s[0] - g->pb[0] + (g->k[0] - 1) * g->d[0] + 1;
        int64_t r0 = max64(0, r);
        b.grid[0] = oy1 - oy0;
        b.pb[0] = r0 - r;
        b.img[0] = min64(H, end) - r0; /* >= 1: every row's window reaches the image */
        dw_plan p;
        if (!dw_plan_init(&b, &p)) return 0;
        p.xs = H * W;
        p.ys = OH * OW;
        dw_job jb = *j;
        jb.x = j->x + r0 * W;
        jb.y = j->y + oy0 * OW;
        dw_direct(&jb, &p, o0, o1);
    }
    return 1;
}

static void dw_task(void *arg, int64_t task, int worker)
{
    const dw_job *j = arg;
    const conv_shape *cs = j->cs;
    const geom *g = &cs->g;
    int64_t mg = cs->M / cs->group, kp = prod(g->k, g->nsp), L = prod(g->grid, g->nsp);
    int64_t isz = prod(g->img, g->nsp), all = cs->N * cs->M;
    int64_t o0 = task * j->per_task, o1 = min64(all, o0 + j->per_task);
    float buf[DW_TILE], acc[DW_TILE];
    (void)worker;
    if (j->plan) {
        dw_direct(j, j->plan, o0, o1);
        return;
    }
    if (dw_bands(j, o0, o1)) return;
    for (int64_t o = o0; o < o1; o++) {
        int64_t nb = o / cs->M, m = o % cs->M;
        const float *xc = j->x + (nb * cs->C + m / mg) * isz, *wm = j->w + m * kp;
        float bias = j->b ? j->b[m] : 0.0f;
        if (g->nsp == 2) {
            dw_plane_2d(g, xc, wm, bias, j->y + o * L);
            vc_conv_act_apply(j->act, j->y + o * L, L);
            continue;
        }
        for (int64_t l0 = 0; l0 < L; l0 += DW_TILE) {
            int64_t w = min64(DW_TILE, L - l0), koff[MAX_SP] = {0};
            for (int64_t l = 0; l < w; l++) acc[l] = 0.0f;
            for (int64_t t = 0; t < kp; t++, next_tap(g, koff)) {
                walk(g, koff, l0, l0 + w, buf, xc, NULL);
                for (int64_t l = 0; l < w; l++) acc[l] += wm[t] * buf[l];
            }
            float *yo = j->y + o * L + l0;
            for (int64_t l = 0; l < w; l++) yo[l] = acc[l] + bias;
            vc_conv_act_apply(j->act, yo, w);
        }
    }
}

/* Depthwise convolution (one input channel per group, a few outputs per channel), the
 * conv module of Conformers and the 3x3 blocks of small CNNs: per channel the im2col
 * GEMM would be a 1 x L x taps product, too small to use the machine or to split among
 * threads; here channels are shared out instead. A first layer over one input channel
 * with a small kernel (TinyVAD's 3x3 on the mel image) is the same computation with
 * many outputs per channel, taken here when the direct kernel takes its maps. */
static int conv_is_depthwise(const conv_shape *cs)
{
    dw_plan p;
    if (cs->C != cs->group) return 0;
    if (cs->group > 1 && cs->M / cs->group <= 4) return 1;
    return prod(cs->g.k, cs->g.nsp) <= 16 && dw_plan_init(&cs->g, &p);
}

static void conv_depthwise(const conv_shape *cs, const vc_conv_act *act, const float *x,
                           const float *w, const float *b, float *y, vc_threads *t)
{
    const geom *g = &cs->g;
    int64_t all = cs->N * cs->M, per = prod(g->k, g->nsp) * prod(g->grid, g->nsp);
    int64_t n = vc_threads_tasks(t, all, all * per, VC_GEMM_MIN_TASK_MACS);
    dw_plan plan;
    dw_job j = {cs, act, dw_plan_init(g, &plan) ? &plan : NULL, x, w, b, y, (all + n - 1) / n};
    vc_threads_run(n > 1 ? t : NULL, (all + j.per_task - 1) / j.per_task, dw_task, &j);
}

/* A 1x1 convolution over a batch of small images: each image's product is too small to
 * split, so whole images (all groups) are shared out, each computed as on one thread. */
typedef struct pw_job {
    const conv_shape *cs;
    const vc_conv_act *act;
    const float *x, *w, *b;
    float *y;
} pw_job;

/* y [mg, L] = w [mg, cg] x [cg, L] + b for one image and group: the direct kernel when
 * there is one and the product is small (where packing it for the GEMM would cost more
 * than the product), else the GEMM with threads t. Below 16 positions (a streaming
 * model's frame) the GEMM's dot path is the faster. */
static void pointwise_one(int64_t mg, int64_t L, int64_t cg, const float *w, const float *b,
                          const vc_conv_act *act, const float *x, float *y, vc_threads *t)
{
    vc_pw_fn pw = vc_pw_kernel_for(vc_isa_active());
    if (pw && L >= 16 && cg <= VC_PW_MAX_C && mg * L * cg < 2 * VC_GEMM_MIN_TASK_MACS) {
        pw(mg, L, cg, w, b, vc_conv_act_clamp(act), x, y);
        vc_conv_act_rest(act, y, mg * L);
        return;
    }
    vc_gemm_f32(t, 0, 0, mg, L, cg, 1.0f, w, cg, x, L, 0.0f, y, L);
    epilogue(t, y, b, act, mg, L, L);
}

static void pw_task(void *arg, int64_t nb, int worker)
{
    const pw_job *j = arg;
    const conv_shape *cs = j->cs;
    int64_t cg = cs->C / cs->group, mg = cs->M / cs->group, L = prod(cs->g.grid, cs->g.nsp);
    (void)worker;
    for (int64_t gi = 0; gi < cs->group; gi++)
        pointwise_one(mg, L, cg, j->w + gi * mg * cg, j->b ? j->b + gi * mg : NULL, j->act,
                      j->x + (nb * cs->C + gi * cg) * L, j->y + (nb * cs->M + gi * mg) * L, NULL);
}

static void conv_pointwise_batches(const conv_shape *cs, const vc_conv_act *act, const float *x,
                                   const float *w, const float *b, float *y, vc_threads *t)
{
    pw_job j = {cs, act, x, w, b, y};
    int worth = cs->N * cs->M * (cs->C / cs->group) * prod(cs->g.grid, cs->g.nsp) >=
                2 * VC_GEMM_MIN_TASK_MACS;
    vc_threads_run(worth ? t : NULL, cs->N, pw_task, &j);
}

static void conv_f32(const conv_shape *cs, const vc_conv_act *act, const float *x, const float *w,
                     const float *b, float *y, float *col, vc_threads *t)
{
    const geom *g = &cs->g;
    int64_t cg = cs->C / cs->group, mg = cs->M / cs->group;
    int64_t kc = cg * prod(g->k, g->nsp), L = prod(g->grid, g->nsp), isz = prod(g->img, g->nsp);
    int64_t tile = col_tile(kc, L);
    int pointwise = conv_is_pointwise(g);
    if (conv_is_depthwise(cs) && !pointwise) {
        conv_depthwise(cs, act, x, w, b, y, t);
        return;
    }
    if (pointwise && cs->N > 1 && mg * L * kc < 2 * VC_GEMM_MIN_TASK_MACS) {
        conv_pointwise_batches(cs, act, x, w, b, y, t);
        return;
    }
    if (pointwise) {
        /* one image at a time, each product shared among threads if large. Kept out of
         * the loop below: with this branch inside it, gcc spilled registers in the
         * inlined patch gather, and Silero VAD's windows took about 7% longer */
        for (int64_t nb = 0; nb < cs->N; nb++)
            for (int64_t gi = 0; gi < cs->group; gi++)
                pointwise_one(mg, L, kc, w + gi * mg * kc, b ? b + gi * mg : NULL, act,
                              x + (nb * cs->C + gi * cg) * isz, y + (nb * cs->M + gi * mg) * L, t);
        return;
    }
    for (int64_t nb = 0; nb < cs->N; nb++)
        for (int64_t gi = 0; gi < cs->group; gi++) {
            const float *xg = x + (nb * cs->C + gi * cg) * isz, *wg = w + gi * mg * kc;
            float *yg = y + (nb * cs->M + gi * mg) * L;
            for (int64_t l0 = 0; l0 < L; l0 += tile) {
                int64_t l1 = min64(L, l0 + tile), ld;
                if (g->nsp == 1 && l1 - l0 <= VC_GEMM_DOT_ROWS && l1 - l0 < mg) {
                    /* y^T = rows W^T, written transposed into y */
                    const float *rows = im2row(g, xg, cg, l0, l1, col, &ld);
                    vc_gemm_f32_mt(vc_isa_active(), t, 0, 1, l1 - l0, mg, kc, 1.0f, rows,
                                   ld, wg, kc, 0.0f, yg + l0, 1, L);
                } else {
                    im2col_mt(g, xg, cg, l0, l1, col, t);
                    vc_gemm_f32(t, 0, 0, mg, l1 - l0, kc, 1.0f, wg, kc, col, l1 - l0, 0.0f,
                                yg + l0, L);
                }
                epilogue(t, yg + l0, b ? b + gi * mg : NULL, act, mg, l1 - l0, L);
            }
        }
}

/* The node's attributes for input 0's rank: read on the first run and kept in the
 * node's slot (vc_ctx.state: a conv_attrs block) for the next ones; read into *tmp
 * each time where there is no slot (compile-time folding) or no memory for one. infer
 * and scratch, which get no slot, read them too (conv_attrs_read: one pass). */
static voce_status conv_attrs_kept(const vc_node *n, vc_tensor *const *in, vc_ctx *ctx,
                                   conv_attrs *tmp, const conv_attrs **ca)
{
    conv_attrs *kept = ctx->state ? *ctx->state : NULL;
    int nsp = in[0]->rank - 2; /* infer checked the rank */
    if (kept && kept->w.nsp == nsp) {
        *ca = kept;
        return VOCE_OK;
    }
    voce_status st = conv_attrs_read(n, nsp, tmp);
    *ca = tmp;
    if (st || !ctx->state || !(kept = malloc(sizeof *kept))) return st;
    *kept = *tmp;
    free(*ctx->state);
    *ctx->state = kept;
    *ca = kept;
    return VOCE_OK;
}

static voce_status conv_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    conv_shape cs;
    conv_attrs tmp;
    const conv_attrs *ca;
    voce_status st = conv_attrs_kept(n, in, ctx, &tmp, &ca);
    if (st || (st = conv_shape_of(n, in, ca, &cs))) return st;
    float *cur = ctx->scratch;
    float *col = cur;
    cur += conv_col_floats(&cs);
    const float *x = as_f32(in[0], &cur), *w = as_f32(in[1], &cur);
    const float *b = as_f32(opt_in(n, in, 2), &cur);
    float *y = out[0].dtype == VOCE_DTYPE_F32 ? out[0].data : cur;
    conv_f32(&cs, &ca->act, x, w, b, y, col, ctx->threads);
    if (y != out[0].data) vc_f32_to_f16_array(y, out[0].data, vc_numel(&out[0]));
    return VOCE_OK;
}

/* ---- ConvTranspose ---- */

/* Pads and output extent per the ONNX formulas: output_shape (if given) fixes the output
 * and the pads follow from it; SAME_* makes the output input * stride; otherwise pads
 * are explicit. The image of the geometry is the output. */
static voce_status convt_geom(const vc_node *n, conv_shape *cs)
{
    geom *g = &cs->g;
    int ap, ns = g->nsp;
    int64_t pads[2 * MAX_SP], opad[MAX_SP], want[MAX_SP];
    voce_status st;
    if ((st = get_auto_pad(n, &ap)) || (st = get_ints(n, "strides", ns, 1, 1, g->s)) ||
        (st = get_ints(n, "dilations", ns, 1, 1, g->d)) ||
        (st = get_ints(n, "pads", 2 * ns, 0, 0, pads)) ||
        (st = get_ints(n, "output_padding", ns, 0, 0, opad)))
        return st;
    int64_t cnt;
    const int64_t *os = vc_attr_ints(n, "output_shape", &cnt);
    if (os && cnt != ns && cnt != ns + 2)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG,
                             "output_shape has %lld values for %d spatial dims", (long long)cnt,
                             ns);
    for (int i = 0; i < ns; i++) {
        int64_t in = g->img[i], s = g->s[i], eff = 1;
        g->grid[i] = in;
        if ((st = effective_kernel(n, g->k[i], g->d[i], &eff))) return st;
        if (opad[i] >= s && opad[i] >= g->d[i])
            return vc_node_error(n, VOCE_ERR_INVALID_ARG,
                                 "output_padding %lld must be below the stride or dilation",
                                 (long long)opad[i]);
        if (in > 0 && in - 1 > VC_MAX_NUMEL / s)
            return vc_node_error(n, VOCE_ERR_NOMEM, "output would be too large");
        int64_t full = s * (in > 0 ? in - 1 : 0) + opad[i] + eff, out;
        if (os) want[i] = os[cnt - ns + i];
        if (os || ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER) {
            out = os ? want[i] : in * s;
            int64_t total = full - out;
            g->pb[i] = ap == PAD_SAME_UPPER ? total / 2 : total - total / 2;
            g->pe[i] = total - g->pb[i];
        } else {
            g->pb[i] = ap == PAD_VALID ? 0 : pads[i];
            g->pe[i] = ap == PAD_VALID ? 0 : pads[ns + i];
            out = full - g->pb[i] - g->pe[i];
        }
        if (out < 1 || out > VC_MAX_NUMEL)
            return vc_node_error(n, VOCE_ERR_SHAPE,
                                 "output extent %lld in spatial dim %d is invalid", (long long)out,
                                 i);
        g->img[i] = out;
    }
    return VOCE_OK;
}

static voce_status convt_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    conv_shape cs;
    conv_attrs ca;
    voce_status st = conv_prepare(n, in, 1, &ca, &cs);
    if (st || (st = convt_geom(n, &cs))) return st;
    return set_output(n, &out[0], in[0]->dtype, cs.N, cs.M, &cs.g, cs.g.img);
}

static size_t convt_col_floats(const conv_shape *cs)
{
    int64_t rows = cs->M / cs->group * prod(cs->g.k, cs->g.nsp);
    return (size_t)(rows * col_tile(rows, prod(cs->g.grid, cs->g.nsp)));
}

static size_t convt_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    conv_shape cs;
    conv_attrs ca;
    if (conv_prepare(n, in, 1, &ca, &cs) || convt_geom(n, &cs)) return 0;
    size_t f = convt_col_floats(&cs) + f16_floats(in[0]) + f16_floats(in[1]) +
               f16_floats(opt_in(n, in, 2)) + f16_floats(&out[0]);
    return f * sizeof(float);
}

static void convt_f32(const conv_shape *cs, const float *x, const float *w, const float *b,
                      float *y, float *col, vc_threads *t)
{
    const geom *g = &cs->g;
    int64_t cg = cs->C / cs->group, mg = cs->M / cs->group;
    int64_t rows = mg * prod(g->k, g->nsp), L = prod(g->grid, g->nsp), osz = prod(g->img, g->nsp);
    int64_t tile = col_tile(rows, L);
    for (int64_t nb = 0; nb < cs->N; nb++)
        for (int64_t gi = 0; gi < cs->group; gi++) {
            const float *xg = x + (nb * cs->C + gi * cg) * L, *wg = w + gi * cg * rows;
            float *yg = y + (nb * cs->M + gi * mg) * osz;
            for (int64_t m = 0; m < mg; m++)
                for (int64_t o = 0; o < osz; o++) yg[m * osz + o] = b ? b[gi * mg + m] : 0.0f;
            for (int64_t l0 = 0; l0 < L; l0 += tile) {
                int64_t l1 = min64(L, l0 + tile);
                /* col [mg * Kp, positions] = W_g^T x_g, W_g stored [cg, mg * Kp] */
                vc_gemm_f32(t, 1, 0, rows, l1 - l0, cg, 1.0f, wg, rows, xg + l0, L, 0.0f, col,
                            l1 - l0);
                col2im(g, col, mg, l0, l1, yg);
            }
        }
}

static voce_status convt_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    conv_shape cs;
    conv_attrs ca;
    voce_status st = conv_prepare(n, in, 1, &ca, &cs);
    if (st || (st = convt_geom(n, &cs))) return st;
    float *cur = ctx->scratch;
    float *col = cur;
    cur += convt_col_floats(&cs);
    const float *x = as_f32(in[0], &cur), *w = as_f32(in[1], &cur);
    const float *b = as_f32(opt_in(n, in, 2), &cur);
    float *y = out[0].dtype == VOCE_DTYPE_F32 ? out[0].data : cur;
    convt_f32(&cs, x, w, b, y, col, ctx->threads);
    if (y != out[0].data) vc_f32_to_f16_array(y, out[0].data, vc_numel(&out[0]));
    return VOCE_OK;
}

/* ---- pooling ---- */

typedef struct {
    geom g;
    int64_t planes; /* N * C */
    int ceil_mode, count_include_pad, storage_order;
} pool_shape;

static voce_status pool_check(const vc_node *n, vc_tensor *const *in, pool_shape *ps)
{
    const vc_tensor *x = in[0];
    voce_status st;
    if ((st = check_float(n, in, 0)) || (st = check_rank(n, x))) return st;
    ps->g.nsp = x->rank - 2;
    ps->planes = x->dims[0] * x->dims[1];
    int64_t cnt;
    if (!vc_attr_ints(n, "kernel_shape", &cnt))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "attribute 'kernel_shape' is missing");
    if ((st = get_ints(n, "kernel_shape", ps->g.nsp, 1, 1, ps->g.k)) ||
        (st = get_flag(n, "ceil_mode", &ps->ceil_mode)) ||
        (st = get_flag(n, "count_include_pad", &ps->count_include_pad)) ||
        (st = get_flag(n, "storage_order", &ps->storage_order)))
        return st;
    for (int i = 0; i < ps->g.nsp; i++) {
        if (x->dims[2 + i] < 1)
            return vc_node_error(n, VOCE_ERR_SHAPE, "input has an empty spatial dim");
        ps->g.img[i] = x->dims[2 + i];
    }
    return window_geom(n, ps->ceil_mode, &ps->g);
}

static voce_status pool_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    pool_shape ps;
    voce_status st = pool_check(n, in, &ps);
    if (st) return st;
    st = set_output(n, &out[0], in[0]->dtype, in[0]->dims[0], in[0]->dims[1], &ps.g, ps.g.grid);
    if (!st && n->n_out > 1) {
        vc_same_shape(&out[1], &out[0]);
        out[1].dtype = VOCE_DTYPE_I64;
    }
    return st;
}

static size_t pool_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    return (f16_floats(in[0]) + f16_floats(&out[0])) * sizeof(float);
}

/* Flat spatial index of image position idx (row-major, or column-major if col_major). */
static int64_t spatial_index(const geom *g, const int64_t *idx, int col_major)
{
    int64_t r = 0;
    if (col_major)
        for (int d = g->nsp - 1; d >= 0; d--) r = r * g->img[d] + idx[d];
    else
        for (int d = 0; d < g->nsp; d++) r = r * g->img[d] + idx[d];
    return r;
}

/* One output value of a window at grid position pos: max (with its image index) or
 * average. A window that covers no image element gives -inf / 0. */
static float pool_window(const pool_shape *ps, const float *plane, const int64_t *pos, int is_max,
                         int64_t *arg)
{
    const geom *g = &ps->g;
    int64_t start[MAX_SP], t[MAX_SP] = {0}, idx[MAX_SP];
    int64_t taps = prod(g->k, g->nsp), count = 0, padded = 1;
    float best = -INFINITY, sum = 0.0f;
    *arg = -1;
    for (int d = 0; d < g->nsp; d++) {
        start[d] = pos[d] * g->s[d] - g->pb[d];
        if (!is_max && ps->count_include_pad) {
            /* taps inside the padded extent [-pb, img + pe) count, as PyTorch does */
            int64_t n = 0;
            for (int64_t k = 0; k < g->k[d]; k++) {
                int64_t i = start[d] + k * g->d[d];
                n += i >= -g->pb[d] && i < g->img[d] + g->pe[d];
            }
            padded *= n;
        }
    }
    for (int64_t j = 0; j < taps; j++) {
        int inside = 1;
        for (int d = 0; d < g->nsp; d++) {
            idx[d] = start[d] + t[d] * g->d[d];
            inside &= idx[d] >= 0 && idx[d] < g->img[d];
        }
        if (inside) {
            int64_t off = spatial_index(g, idx, 0);
            float v = plane[off];
            count++;
            sum += v;
            if (v > best || (isnan(v) && !isnan(best)) || *arg < 0) {
                best = v;
                *arg = ps->storage_order ? spatial_index(g, idx, 1) : off;
            }
        }
        for (int d = g->nsp - 1; d >= 0; d--) {
            if (++t[d] < g->k[d]) break;
            t[d] = 0;
        }
    }
    if (is_max) return count ? best : -INFINITY;
    int64_t div = ps->count_include_pad ? padded : count;
    return div ? sum / (float)div : 0.0f;
}

static void pool_f32(const pool_shape *ps, const float *x, float *y, int64_t *ind, int is_max)
{
    const geom *g = &ps->g;
    int64_t isz = prod(g->img, g->nsp), osz = prod(g->grid, g->nsp);
    for (int64_t p = 0; p < ps->planes; p++) {
        int64_t pos[MAX_SP] = {0};
        for (int64_t o = 0; o < osz; o++) {
            int64_t arg;
            y[p * osz + o] = pool_window(ps, x + p * isz, pos, is_max, &arg);
            if (ind) ind[p * osz + o] = p * isz + (arg < 0 ? 0 : arg);
            for (int d = g->nsp - 1; d >= 0; d--) {
                if (++pos[d] < g->grid[d]) break;
                pos[d] = 0;
            }
        }
    }
}

static voce_status pool_run_common(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                   vc_ctx *ctx, int is_max)
{
    pool_shape ps;
    voce_status st = pool_check(n, in, &ps);
    if (st) return st;
    float *cur = ctx->scratch;
    const float *x = as_f32(in[0], &cur);
    float *y = out[0].dtype == VOCE_DTYPE_F32 ? out[0].data : cur;
    pool_f32(&ps, x, y, is_max && n->n_out > 1 ? out[1].data : NULL, is_max);
    if (y != out[0].data) vc_f32_to_f16_array(y, out[0].data, vc_numel(&out[0]));
    return VOCE_OK;
}

static voce_status maxpool_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return pool_run_common(n, in, out, ctx, 1);
}

static voce_status avgpool_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return pool_run_common(n, in, out, ctx, 0);
}

/* ---- global pooling ---- */

static voce_status global_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    if ((st = check_float(n, in, 0))) return st;
    if (in[0]->rank < 3)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input must be [N, C, D1, ...] (got rank %d)",
                             in[0]->rank);
    vc_same_shape(&out[0], in[0]);
    for (int d = 2; d < out[0].rank; d++) out[0].dims[d] = 1;
    return VOCE_OK;
}

static voce_status global_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx,
                              int is_max)
{
    float *cur = ctx->scratch;
    const float *x = as_f32(in[0], &cur);
    float *y = out[0].dtype == VOCE_DTYPE_F32 ? out[0].data : cur;
    int64_t planes = in[0]->dims[0] * in[0]->dims[1];
    int64_t len = prod(in[0]->dims + 2, in[0]->rank - 2);
    for (int64_t p = 0; p < planes; p++) {
        const float *v = x + p * len;
        float acc = is_max ? -INFINITY : 0.0f;
        for (int64_t i = 0; i < len; i++) {
            if (!is_max)
                acc += v[i];
            else if (v[i] > acc || isnan(v[i]))
                acc = v[i];
            if (is_max && isnan(acc)) break;
        }
        y[p] = is_max ? acc : (len ? acc / (float)len : NAN);
    }
    if (y != out[0].data) vc_f32_to_f16_array(y, out[0].data, vc_numel(&out[0]));
    return VOCE_OK;
}

static voce_status gavg_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return global_run(n, in, out, ctx, 0);
}

static voce_status gmax_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return global_run(n, in, out, ctx, 1);
}

const vc_op vc_ops_conv[] = {
    {"Conv", conv_infer, conv_run, conv_scratch, 0},
    {"ConvTranspose", convt_infer, convt_run, convt_scratch, 0},
    {"MaxPool", pool_infer, maxpool_run, pool_scratch, 0},
    {"AveragePool", pool_infer, avgpool_run, pool_scratch, 0},
    {"GlobalAveragePool", global_infer, gavg_run, pool_scratch, 0},
    {"GlobalMaxPool", global_infer, gmax_run, pool_scratch, 0},
};
const int vc_ops_conv_count = (int)(sizeof vc_ops_conv / sizeof vc_ops_conv[0]);
