/* The quantization pass: MatMul, Gemm and Conv whose weights are constant f32 matrices become
 * voce:QLinear nodes with packed quantized weights (src/kernels/ref/qlinear.h).
 *
 * Rewritten in place (same inputs' activations, same output value), so nothing else in
 * the graph moves; the f32 weights lose their reader and compaction drops them unless
 * another node still reads them. What is not rewritten, and why, goes to the log and
 * from there to the program's metadata, so a layer never stays f32 silently:
 *   - matched by --quant-skip (node or weight name, fnmatch glob);
 *   - weights not constant, not f32 (f16 models), not 2-D, or not finite;
 *   - K not a multiple of the group size; fewer than VC_QUANT_MIN_WEIGHTS weights;
 *   - Gemm with transA, or a C that is not a constant of N (or 1) values;
 *   - grouped Conv (depthwise), ConvTranspose, LSTM, GRU, RNN with constant weights: no
 *     quantized kernels for them yet (listed so that the size a model keeps in f32 is
 *     visible).
 * A Conv with one group becomes voce:QConv (src/kernels/ref/qconv.c): its weights
 * [M, C, k...] are the linear layer [M, C * taps] of its patch rows.
 * Gemm's alpha is folded into the weights and beta * C becomes the bias. */
#include "quantize.h"

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../runtime/op.h"
#include "linear.h"

voce_status vc_quant_check(const vc_quant_options *q)
{
    if (!q->mode) {
        if (q->group_size || q->n_skip)
            return vc_error(VOCE_ERR_INVALID_ARG, "--group-size and --quant-skip need --quant MODE");
        return VOCE_OK;
    }
    if (!vc_qmode_parse(q->mode))
        return vc_error(VOCE_ERR_INVALID_ARG, "unknown quantization mode '%s' (w8, w4, 8da8w or 8da4w)", q->mode);
    int g = q->group_size ? q->group_size : 32;
    if (g != 32 && g != 64 && g != 128)
        return vc_error(VOCE_ERR_INVALID_ARG, "group size %d is not supported (32, 64 or 128)", q->group_size);
    return VOCE_OK;
}

/* ---- packing ---- */

static void put_weight(vc_qmode m, int64_t K, int64_t n, int64_t k, int q, uint8_t *wq)
{
    int64_t b = n / VC_QBLOCK, c = n % VC_QBLOCK;
    uint8_t nib = (uint8_t)(q + 8);
    switch (m) {
    case VC_Q_W8: wq[(b * K + k) * 16 + c] = (uint8_t)(int8_t)q; break;
    case VC_Q_W4: wq[(b * (K / 2) + k / 2) * 16 + c] |= (uint8_t)(k & 1 ? nib << 4 : nib); break;
    case VC_Q_8DA8W: wq[(b * (K / 4) + k / 4) * 64 + 4 * c + k % 4] = (uint8_t)(int8_t)q; break;
    case VC_Q_8DA4W:
        wq[(b * (K / 8) + k / 8) * 64 + 4 * c + k % 4] |= (uint8_t)(k % 8 >= 4 ? nib << 4 : nib);
        break;
    default: break;
    }
}

static int64_t prod3(const int64_t *d) { return d[0] * d[1] * d[2]; }

/* One group of row n: scale, codes, and their sum. */
static void pack_group(vc_qmode m, int64_t K, int64_t G, int64_t n, int64_t g, const float *w, uint8_t *wq,
                       float *scale, int32_t *sum)
{
    float qmax = vc_qmode_bits(m) == 4 ? 7.0f : 127.0f, amax = 0.0f;
    for (int64_t k = 0; k < G; k++) amax = fabsf(w[k]) > amax ? fabsf(w[k]) : amax;
    float s = amax / qmax;
    int32_t total = 0;
    for (int64_t k = 0; k < G; k++) {
        float r = s > 0.0f ? nearbyintf(w[k] / s) : 0.0f;
        int q = (int)(r > qmax ? qmax : r < -qmax ? -qmax : r);
        put_weight(m, K, n, g * G + k, q, wq);
        total += q;
    }
    *scale = s > 0.0f ? s : 0.0f;
    *sum = total;
}

void vc_quant_pack(vc_qmode m, int64_t G, int64_t N, int64_t K, const float *W, uint8_t *wq, float *scales,
                   int32_t *wsum)
{
    int64_t wd[3], sd[3], ng = K / G;
    vc_qweight_dims(m, N, K, wd);
    vc_qscale_dims(N, K, G, sd);
    /* padding columns: code 0 (nibble 8), scale 0, sum 0 */
    memset(wq, 0, (size_t)prod3(wd));
    memset(scales, 0, sizeof(float) * (size_t)prod3(sd));
    if (wsum) memset(wsum, 0, sizeof(int32_t) * (size_t)prod3(sd));
    for (int64_t n = 0; n < sd[0] * VC_QBLOCK; n++)
        for (int64_t g = 0; g < ng; g++) {
            int64_t o = (n / VC_QBLOCK * ng + g) * VC_QBLOCK + n % VC_QBLOCK;
            static const float zeros[128];
            int32_t sum;
            pack_group(m, K, G, n, g, n < N ? W + n * K + g * G : zeros, wq, &scales[o], &sum);
            if (wsum) wsum[o] = sum;
        }
}

void vc_quant_pack_codes(vc_qmode m, int64_t G, int64_t N, int64_t K, const int8_t *q, const float *s,
                         uint8_t *wq, float *scales)
{
    int64_t wd[3], sd[3], ng = K / G;
    vc_qweight_dims(m, N, K, wd);
    vc_qscale_dims(N, K, G, sd);
    memset(wq, 0, (size_t)prod3(wd));
    memset(scales, 0, sizeof(float) * (size_t)prod3(sd));
    for (int64_t n = 0; n < sd[0] * VC_QBLOCK; n++)
        for (int64_t k = 0; k < K; k++) {
            put_weight(m, K, n, k, n < N ? q[n * K + k] : 0, wq);
            if (n < N && k % G == 0)
                scales[(n / VC_QBLOCK * ng + k / G) * VC_QBLOCK + n % VC_QBLOCK] = s[n * ng + k / G];
        }
}

/* ---- the log ---- */

static void log_line(vc_quant_log *log, const vc_node *n, const char *fmt, ...) VC_PRINTF(3, 4);

static void log_line(vc_quant_log *log, const vc_node *n, const char *fmt, ...)
{
    if (!log) return;
    log->kept++;
    char reason[256], line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s/%s (%s): %s", log->method ? log->method : "", n->name && *n->name ? n->name : "?",
             n->op_type, reason);
    if (log->n == log->cap) {
        int cap = log->cap ? log->cap * 2 : 16;
        char **p = realloc(log->lines, sizeof *p * (size_t)cap);
        if (!p) return; /* the count stays right; only the line is lost */
        log->lines = p;
        log->cap = cap;
    }
    char *copy = malloc(strlen(line) + 1);
    if (copy) log->lines[log->n++] = strcpy(copy, line);
}

void vc_quant_log_free(vc_quant_log *log)
{
    for (int i = 0; i < log->n; i++) free(log->lines[i]);
    free(log->lines);
    memset(log, 0, sizeof *log);
}

voce_status vc_quant_write_meta(vc_writer *w, const vc_quant_options *q, const vc_quant_log *log)
{
    if (!q->mode) return VOCE_OK;
    vc_meta m[5] = {
        {.key = "quant.mode", .type = VOCE_META_STRING, .s = q->mode},
        {.key = "quant.group_size", .type = VOCE_META_INT, .i = q->group_size ? q->group_size : 32},
        {.key = "quant.layers", .type = VOCE_META_INT, .i = log->quantized},
        {.key = "quant.layers_f32", .type = VOCE_META_INT, .i = log->kept},
        {.key = "quant.f32_layers", .type = VOCE_META_STRINGS, .strings = (const char *const *)log->lines,
         .count = (uint64_t)log->n},
    };
    voce_status st = VOCE_OK;
    for (int i = 0; i < (log->n ? 5 : 4) && !st; i++) st = vc_writer_add_meta(w, &m[i]);
    return st;
}

/* ---- the pass ---- */

static int skipped_by_pattern(const vc_quant_options *q, const vc_node *n, const vc_value *w, const char **pat)
{
    for (int i = 0; i < q->n_skip; i++) {
        if ((n->name && !fnmatch(q->skip[i], n->name, 0)) || (w && w->name && !fnmatch(q->skip[i], w->name, 0))) {
            *pat = q->skip[i];
            return 1;
        }
    }
    return 0;
}

static int all_finite(const float *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(p[i])) return 0;
    return 1;
}

/* A linear layer (linear.h) with finite weights; logs the reason when not. */
static int find_linear(const vc_mgraph *g, const vc_node *n, vc_linear *l, vc_quant_log *log)
{
    char why[160];
    if (!vc_linear_match(g, n, l, why, sizeof why)) {
        log_line(log, n, "%s", why);
        return 0;
    }
    if (!all_finite(l->wv->data, l->N * l->K)) {
        log_line(log, n, "weights are not all finite");
        return 0;
    }
    return 1;
}

static int fits(const vc_node *n, const vc_linear *l, int64_t G, vc_quant_log *log)
{
    if (l->K % G) {
        log_line(log, n, "K = %lld is not a multiple of the group size %lld", (long long)l->K, (long long)G);
        return 0;
    }
    if (l->N * l->K < VC_QUANT_MIN_WEIGHTS) {
        log_line(log, n, "tiny (%lld x %lld weights)", (long long)l->N, (long long)l->K);
        return 0;
    }
    return 1;
}

typedef struct {
    uint8_t *wq;
    float *scales, *bias;
    int32_t *wsum;
    int64_t wd[3], sd[3];
} packed;

/* extra: a bias vector taken from a following Add (vc_linear_bias_add), or NULL. */
static voce_status pack_layer(vc_mgraph *g, const vc_linear *l, const vc_value *extra, vc_qmode m,
                              int64_t G, packed *p)
{
    vc_qweight_dims(m, l->N, l->K, p->wd);
    vc_qscale_dims(l->N, l->K, G, p->sd);
    p->wq = vc_pool_alloc_aligned(&g->pool, (size_t)prod3(p->wd), 64);
    p->scales = vc_pool_alloc_aligned(&g->pool, sizeof(float) * (size_t)prod3(p->sd), 64);
    p->wsum = vc_qmode_dynamic(m) ? vc_pool_alloc_aligned(&g->pool, sizeof(int32_t) * (size_t)prod3(p->sd), 64) : NULL;
    int has_bias = l->cv || extra;
    p->bias = has_bias ? vc_pool_alloc_aligned(&g->pool, sizeof(float) * (size_t)l->N, 64) : NULL;
    float *W = malloc(sizeof(float) * (size_t)(l->N * l->K));
    if (!p->wq || !p->scales || (vc_qmode_dynamic(m) && !p->wsum) || (has_bias && !p->bias) || !W) {
        free(W);
        return vc_error(VOCE_ERR_NOMEM, "out of memory quantizing weights");
    }
    vc_linear_weights(l, W, p->bias);
    for (int64_t n = 0; extra && n < l->N; n++)
        p->bias[n] = (l->cv ? p->bias[n] : 0.0f) + ((const float *)extra->data)[n];
    vc_quant_pack(m, G, l->N, l->K, W, p->wq, p->scales, p->wsum);
    free(W);
    return VOCE_OK;
}

/* mode, N, K, group_size, then the node's own attributes whose names are in keep (a
 * Conv's window), then kernel_shape when keep asks for it and the node has none. */
static voce_status set_attrs(vc_mgraph *g, vc_node *n, const char *mode, const vc_linear *l, int64_t G,
                             const char *const *keep, const int64_t *kernel, int n_kernel)
{
    int n_keep = 0;
    for (int k = 0; keep && keep[k]; k++) n_keep++;
    int cap = 4 + (keep ? n->n_attr + 1 : 0);
    vc_attr *a = vc_pool_alloc(&g->pool, sizeof(vc_attr) * (size_t)cap);
    if (!a) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    memset(a, 0, sizeof(vc_attr) * (size_t)cap);
    a[0].name = "mode";
    a[0].type = VC_ATTR_STRING;
    a[0].s = mode;
    const char *names[3] = {"N", "K", "group_size"};
    int64_t vals[3] = {l->N, l->K, G};
    for (int i = 0; i < 3; i++) {
        a[i + 1].name = names[i];
        a[i + 1].type = VC_ATTR_INT;
        a[i + 1].i = vals[i];
    }
    int na = 4, has_kernel = 0;
    for (int i = 0; keep && i < n->n_attr; i++)
        for (int k = 0; k < n_keep; k++)
            if (!strcmp(n->attr[i].name, keep[k])) {
                a[na++] = n->attr[i];
                has_kernel |= !strcmp(keep[k], "kernel_shape");
            }
    if (keep && !has_kernel) {
        a[na].name = "kernel_shape";
        a[na].type = VC_ATTR_INTS;
        a[na].count = n_kernel;
        a[na++].ints = kernel;
    }
    n->attr = a;
    n->n_attr = na;
    return VOCE_OK;
}

/* Node n becomes op (voce:QLinear or voce:QConv) over activation x, reading p's
 * constants, named after base; bias_v, when p has no bias, is a value to read as the
 * bias (-1: none). */
static voce_status install(vc_mgraph *g, vc_node *n, int32_t x, const char *base, const packed *p, vc_qmode m,
                           int64_t N, int32_t bias_v, const char *op)
{
    int dyn = vc_qmode_dynamic(m);
    int vw = vc_add_const(g, base, ".q", vc_qmode_bits(m) == 4 ? VOCE_DTYPE_U8 : VOCE_DTYPE_I8, 3, p->wd, p->wq);
    int vs = vc_add_const(g, base, ".qscale", VOCE_DTYPE_F32, 3, p->sd, p->scales);
    int vb = p->bias ? vc_add_const(g, base, ".qbias", VOCE_DTYPE_F32, 1, &N, p->bias) : bias_v;
    int vsum = dyn ? vc_add_const(g, base, ".qwsum", VOCE_DTYPE_I32, 3, p->sd, p->wsum) : -1;
    int32_t *in = vc_pool_alloc(&g->pool, sizeof(int32_t) * 5);
    if (vw < 0 || vs < 0 || (p->bias && vb < 0) || (dyn && vsum < 0) || !in)
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    int32_t ins[5] = {x, vw, vs, vb, vsum};
    memcpy(in, ins, sizeof ins);
    n->in = in;
    n->n_in = dyn ? 5 : (vb >= 0 ? 4 : 3);
    n->op_type = op;
    n->op = vc_op_find(op);
    n->opset = 1;
    return VOCE_OK;
}

static const char *weight_base(const vc_value *w) { return w->name && *w->name ? w->name : "w"; }

/* Replace node (gi, i) by voce:QLinear over its activation input 0; when its only reader
 * is an Add of a constant vector, that Add becomes the QLinear (bias folded in) and node
 * i, read by no one, goes at the next dead-code elimination. */
static voce_status rewrite(vc_mgraph *g, int gi, int i, const vc_linear *l, vc_qmode m, int64_t G)
{
    packed p;
    const vc_value *extra;
    int add = vc_linear_bias_add(g, gi, i, l->N, &extra);
    voce_status st = pack_layer(g, l, extra, m, G, &p);
    int32_t x = g->graphs[gi].nodes[i].in[0];
    vc_node *n = &g->graphs[gi].nodes[add >= 0 ? add : i];
    if (!st) st = install(g, n, x, weight_base(l->wv), &p, m, l->N, -1, "voce:QLinear");
    return st ? st : set_attrs(g, n, vc_qmode_name(m), l, G, NULL, NULL, 0);
}

/* A Conv with one group, constant f32 weights [M, C, k...] and a constant f32 bias [M]
 * or none, read as the linear layer W [M, C * taps] of its patch rows (qconv.c). */
static int find_conv(const vc_mgraph *g, const vc_node *n, vc_linear *l, vc_quant_log *log)
{
    const vc_value *w = vc_const_input(g, n, 1), *b = n->n_in > 2 ? vc_const_input(g, n, 2) : NULL;
    int64_t group = vc_attr_int(n, "group", 1);
    if (group != 1) {
        log_line(log, n, "grouped convolution (group %lld): no quantized kernel, stays f32", (long long)group);
        return 0;
    }
    if (w->dtype != VOCE_DTYPE_F32 || w->rank < 3 || w->rank > 5) {
        log_line(log, n, "weights are not f32 [M, C, k...]");
        return 0;
    }
    if (n->n_in > 2 && n->in[2] >= 0 && (!b || b->dtype != VOCE_DTYPE_F32 || b->rank != 1 || b->dims[0] != w->dims[0])) {
        log_line(log, n, "the bias is not a constant f32 vector of the output channels");
        return 0;
    }
    memset(l, 0, sizeof *l);
    l->wv = w;
    l->trans_b = 1;
    l->N = w->dims[0];
    l->K = 1;
    for (int d = 1; d < w->rank; d++) l->K *= w->dims[d];
    l->alpha = 1.0f;
    l->cv = b;
    l->beta = 1.0f;
    if (!all_finite(w->data, l->N * l->K)) {
        log_line(log, n, "weights are not all finite");
        return 0;
    }
    return 1;
}

/* Node (gi, i), a Conv, becomes voce:QConv over its input 0, keeping its window. */
static voce_status rewrite_conv(vc_mgraph *g, int gi, int i, const vc_linear *l, vc_qmode m, int64_t G)
{
    static const char *const window[] = {"kernel_shape", "strides", "dilations", "pads", "auto_pad", NULL};
    packed p;
    vc_node *n = &g->graphs[gi].nodes[i];
    /* the kernel's extent copied now: adding constants moves the weights' value */
    int nk = l->wv->rank - 2;
    int64_t *ks = vc_pool_alloc(&g->pool, sizeof(int64_t) * (size_t)nk);
    if (!ks) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    memcpy(ks, l->wv->dims + 2, sizeof(int64_t) * (size_t)nk);
    voce_status st = pack_layer(g, l, NULL, m, G, &p);
    if (!st) st = install(g, n, n->in[0], weight_base(l->wv), &p, m, l->N, -1, "voce:QConv");
    return st ? st : set_attrs(g, n, vc_qmode_name(m), l, G, window, ks, nk);
}

static voce_status visit(vc_mgraph *g, int gi, int i, const vc_quant_options *q, vc_quant_log *log)
{
    const vc_node *n = &g->graphs[gi].nodes[i];
    int is_mm = !strcmp(n->op_type, "MatMul"), is_gemm = !strcmp(n->op_type, "Gemm");
    int is_conv = !strcmp(n->op_type, "Conv") && vc_const_input(g, n, 1);
    static const char *const no_kernel[] = {"Conv", "ConvTranspose", "LSTM", "GRU", "RNN"};
    for (int k = is_conv ? 1 : 0; k < 5; k++)
        if (!strcmp(n->op_type, no_kernel[k])) {
            if (vc_const_input(g, n, 1)) log_line(log, n, "no quantized %s kernel: stays f32", n->op_type);
            return VOCE_OK;
        }
    if (!is_mm && !is_gemm && !is_conv) return VOCE_OK;
    const char *pat = NULL;
    if (skipped_by_pattern(q, n, vc_const_input(g, n, 1), &pat)) {
        log_line(log, n, "--quant-skip %s", pat);
        return VOCE_OK;
    }
    vc_linear l;
    int64_t G = q->group_size ? q->group_size : 32;
    if (!(is_conv ? find_conv(g, n, &l, log) : find_linear(g, n, &l, log))) return VOCE_OK;
    if (!fits(n, &l, G, log)) return VOCE_OK;
    vc_qmode m = vc_qmode_parse(q->mode);
    voce_status st = is_conv ? rewrite_conv(g, gi, i, &l, m, G) : rewrite(g, gi, i, &l, m, G);
    if (!st && log) log->quantized++;
    return st;
}

voce_status vc_pass_quantize(vc_mgraph *g, const vc_quant_options *q, vc_quant_log *log)
{
    if (!q->mode) return VOCE_OK;
    voce_status st = vc_quant_check(q);
    if (log) log->method = g->name;
    for (int gi = 0; gi < g->n_graphs && !st; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes && !st; i++) st = visit(g, gi, i, q, log);
    return st;
}

/* ---- MatMulNBits with constant weights onto voce:QLinear ---- */

/* The forms that map exactly: f32 activations, constant B and f32 scales, 4 or 8 bits
 * with the default zero point (2^(bits-1), no zero_points input, no g_idx), a block size
 * of 32, 64 or 128 that divides K, a constant f32 bias or none. Then the dequantized
 * weights (q - 2^(bits-1)) * scale are exactly QLinear's w4 / w8 codes times scales. */
static int nbits_maps(const vc_mgraph *g, const vc_node *n, int64_t *K, int64_t *N, int64_t *bits,
                      int64_t *bs)
{
    *K = vc_attr_int(n, "K", -1), *N = vc_attr_int(n, "N", -1);
    *bits = vc_attr_int(n, "bits", 4), *bs = vc_attr_int(n, "block_size", -1);
    const vc_value *a = &g->values[n->in[0]], *b = vc_const_input(g, n, 1), *sc = vc_const_input(g, n, 2);
    if (n->n_in < 3 || a->dtype != VOCE_DTYPE_F32 || !b || !sc || sc->dtype != VOCE_DTYPE_F32) return 0;
    /* a model whose shapes do not fit keeps the op, which refuses it with its message */
    if (a->rank < 1 || (a->dims[a->rank - 1] >= 0 && a->dims[a->rank - 1] != *K)) return 0;
    if ((n->n_in > 3 && n->in[3] >= 0) || (n->n_in > 4 && n->in[4] >= 0)) return 0;
    const vc_value *bias = n->n_in > 5 && n->in[5] >= 0 ? vc_const_input(g, n, 5) : NULL;
    if (n->n_in > 5 && n->in[5] >= 0 && (!bias || bias->dtype != VOCE_DTYPE_F32)) return 0;
    if ((*bits != 4 && *bits != 8) || (*bs != 32 && *bs != 64 && *bs != 128) || *K < 1 || *N < 1 ||
        *K % *bs || *K > VC_MAX_NUMEL / *N)
        return 0;
    int64_t kb = *K / *bs;
    return b->dtype == VOCE_DTYPE_U8 && b->nbytes == (uint64_t)(*N * kb * (*bs * *bits / 8)) &&
           sc->nbytes == sizeof(float) * (uint64_t)(*N * kb) &&
           (!bias || bias->nbytes == sizeof(float) * (uint64_t)*N);
}

static voce_status nbits_rewrite(vc_mgraph *g, vc_node *n, int64_t K, int64_t N, int64_t bits, int64_t bs)
{
    vc_qmode m = bits == 4 ? VC_Q_W4 : VC_Q_W8;
    const vc_value *b = &g->values[n->in[1]], *sc = &g->values[n->in[2]];
    int8_t *q = malloc((size_t)(N * K));
    packed p = {0};
    vc_qweight_dims(m, N, K, p.wd);
    vc_qscale_dims(N, K, bs, p.sd);
    p.wq = vc_pool_alloc_aligned(&g->pool, (size_t)prod3(p.wd), 64);
    p.scales = vc_pool_alloc_aligned(&g->pool, sizeof(float) * (size_t)prod3(p.sd), 64);
    if (!q || !p.wq || !p.scales) {
        free(q);
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    const uint8_t *bd = b->data;
    for (int64_t i = 0; i < N * K; i++) { /* row-major [N, K] codes, two per byte for 4 bits */
        int64_t bit = i * bits;
        q[i] = (int8_t)(((bd[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1)) - (1 << (bits - 1)));
    }
    vc_quant_pack_codes(m, bs, N, K, q, sc->data, p.wq, p.scales);
    free(q);
    vc_linear l = {.N = N, .K = K};
    voce_status st = install(g, n, n->in[0], weight_base(b), &p, m, N, n->n_in > 5 ? n->in[5] : -1, "voce:QLinear");
    return st ? st : set_attrs(g, n, vc_qmode_name(m), &l, bs, NULL, NULL, 0);
}

voce_status vc_pass_nbits(vc_mgraph *g)
{
    voce_status st = VOCE_OK;
    for (int gi = 0; gi < g->n_graphs && !st; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes && !st; i++) {
            vc_node *n = &g->graphs[gi].nodes[i];
            int64_t K, N, bits, bs;
            /* B's bytes hold row n's codes block by block: [N, K / bs, bs * bits / 8] is
             * K consecutive codes per row, so the flat index n * K + k is the code index */
            if (!strcmp(n->op_type, "com.microsoft:MatMulNBits") && nbits_maps(g, n, &K, &N, &bits, &bs))
                st = nbits_rewrite(g, n, K, N, bits, bs);
        }
    return st;
}
