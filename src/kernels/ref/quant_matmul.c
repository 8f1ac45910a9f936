/* Reference kernels: MatMulInteger, com.microsoft:DynamicQuantizeMatMul and
 * com.microsoft:MatMulNBits.
 *
 * MatMulInteger is exact: operands minus their zero points are held as int16 (uint8 or
 * int8 minus a zero point of the same type lies in [-255, 255]) and summed in 32 bits,
 * wrapping as the spec allows. Batches broadcast as in MatMul; A's zero point is one
 * value or one per row (an M vector, or A's shape with a last dim of 1), B's one value
 * or one per column (an N vector, or B's shape with a second-to-last dim of 1).
 *
 * MatMulNBits dequantizes a panel of B's rows at a time, (q - zero_point) * scale in
 * f32, and multiplies with vc_gemm_f32 (B is stored [N, K], so the panel is op(B)
 * transposed); memory stays near PANEL_FLOATS floats however large the weight. */
#include <string.h>

#include "../../core/f16.h"
#include "gemm.h"
#include "matmul_plan.h"
#include "quant_impl.h"
#include "ref_ops.h"

#define PANEL_FLOATS ((int64_t)1 << 16)

/* ---- batched integer product ---- */

/* The shapes zero points broadcast to: A's without its last dim, B's without its
 * second-to-last (one value per row of A, per column of B). */
static int zp_target_a(const vc_tensor *a, int64_t *dims)
{
    memcpy(dims, a->dims, sizeof(int64_t) * (size_t)a->rank);
    dims[a->rank - 1] = 1;
    return a->rank;
}

static int zp_target_b(const vc_tensor *b, int64_t *dims)
{
    memcpy(dims, b->dims, sizeof(int64_t) * (size_t)b->rank);
    if (b->rank > 1) dims[b->rank - 2] = 1;
    else dims[0] = 1;
    return b->rank;
}

/* Rows of A (all dims but the last) and columns of all B matrices (B's batches x N):
 * the sizes of the zero-point targets; -1 if too large. */
static int64_t a_rows(const vc_tensor *a)
{
    int64_t td[VOCE_MAX_RANK];
    return vc_shape_numel(zp_target_a(a, td), td);
}

static int64_t b_cols(const vc_tensor *b)
{
    int64_t td[VOCE_MAX_RANK];
    return vc_shape_numel(zp_target_b(b, td), td);
}

static voce_status plan_make(const vc_node *n, const vc_tensor *a, const vc_tensor *b, vc_mm_plan *p)
{
    char s1[160], s2[160];
    if (a->rank < 1 || b->rank < 1) return vc_mm_plan_make(n, a, b, p);
    /* bounds every product of batch dims below, even with an empty K */
    if (a_rows(a) < 0 || b_cols(b) < 0)
        return vc_node_error(n, VOCE_ERR_NOMEM, "A %s or B %s is too large",
                             vc_shape_str(a->rank, a->dims, s1, sizeof s1),
                             vc_shape_str(b->rank, b->dims, s2, sizeof s2));
    return vc_mm_plan_make(n, a, b, p);
}

static voce_status plan_output(const vc_node *n, const vc_tensor *a, const vc_tensor *b,
                               const vc_mm_plan *p, voce_dtype dt, vc_tensor *out)
{
    char s[160];
    out->dtype = dt;
    out->rank = p->nb;
    memcpy(out->dims, p->bdims, sizeof(int64_t) * (size_t)p->nb);
    if (a->rank > 1) out->dims[out->rank++] = p->M;
    if (b->rank > 1) out->dims[out->rank++] = p->N;
    if (vc_numel(out) >= 0) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_NOMEM, "output shape %s is too large",
                         vc_shape_str(out->rank, out->dims, s, sizeof s));
}

/* The spec's M-element vector for A's zero point reads as [M, 1]. */
static const vc_tensor *zp_a_view(const vc_tensor *zp, const vc_tensor *a, vc_tensor *buf)
{
    if (!zp || zp->rank != 1 || a->rank < 2 || zp->dims[0] == 1) return zp;
    *buf = *zp;
    buf->rank = 2;
    buf->dims[1] = 1;
    return buf;
}

static const vc_tensor *opt(const vc_node *n, vc_tensor *const *in, int k)
{
    return k < n->n_in ? in[k] : NULL;
}

typedef struct {
    void *y;          /* int32 (MatMulInteger) or f32 output of the current batch */
    int64_t N;
    const float *mult; /* DynamicQuantizeMatMul: a_scale * b_scale per column */
    const float *bias; /* or NULL */
} emit_arg;

static void emit_i32(int64_t row, const uint32_t *acc, void *arg)
{
    emit_arg *e = arg;
    int32_t *y = (int32_t *)e->y + row * e->N;
    for (int64_t j = 0; j < e->N; j++) y[j] = vq_wrap32(acc[j]);
}

static void emit_f32(int64_t row, const uint32_t *acc, void *arg)
{
    emit_arg *e = arg;
    float *y = (float *)e->y + row * e->N;
    for (int64_t j = 0; j < e->N; j++) {
        y[j] = (float)vq_wrap32(acc[j]) * e->mult[j];
        if (e->bias) y[j] += e->bias[j];
    }
}

/* Scratch of the integer product: A and B minus zero points (int16), the expanded zero
 * points, one accumulator row. */
typedef struct {
    int16_t *a, *b;
    int32_t *azp, *bzp;
    uint32_t *acc;
} imm_bufs;

static size_t align64(size_t v) { return (v + 63) & ~(size_t)63; }

static size_t imm_bytes(const vc_tensor *a, const vc_tensor *b, const vc_mm_plan *p)
{
    return align64(2 * (size_t)vc_numel(a)) + align64(2 * (size_t)vc_numel(b)) +
           align64(4 * (size_t)a_rows(a)) + align64(4 * (size_t)b_cols(b)) +
           align64(4 * (size_t)p->N);
}

static char *imm_carve(char *c, const vc_tensor *a, const vc_tensor *b, const vc_mm_plan *p,
                       imm_bufs *m)
{
    m->a = (int16_t *)c, c += align64(2 * (size_t)vc_numel(a));
    m->b = (int16_t *)c, c += align64(2 * (size_t)vc_numel(b));
    m->azp = (int32_t *)c, c += align64(4 * (size_t)a_rows(a));
    m->bzp = (int32_t *)c, c += align64(4 * (size_t)b_cols(b));
    m->acc = (uint32_t *)c;
    return c + align64(4 * (size_t)p->N);
}

/* A (uint8 codes in a8 if given, else tensor a) and B minus their zero points. */
static void imm_prepare(const vc_tensor *a, const uint8_t *a8, const vc_tensor *azp,
                        const vc_tensor *b, const vc_tensor *bzp, const vc_mm_plan *p, imm_bufs *m)
{
    int64_t td[VOCE_MAX_RANK];
    vc_tensor av;
    vq_expand_zp(zp_a_view(azp, a, &av), zp_target_a(a, td), td, m->azp);
    vq_expand_zp(bzp, zp_target_b(b, td), td, m->bzp);
    int64_t na = vc_numel(a), nb = vc_numel(b), K = p->K, N = p->N;
    for (int64_t i = 0; i < na; i++)
        m->a[i] = (int16_t)((a8 ? a8[i] : vq_int_at(a, i)) - m->azp[i / K]);
    for (int64_t i = 0; i < nb; i++) /* B [.., K, N]: column i % N of matrix i / (K N) */
        m->b[i] = (int16_t)(vq_int_at(b, i) - m->bzp[i / (K * N) * N + i % N]);
}

/* Every batch of the product; e->y is advanced batch by batch. */
static void imm_run(const vc_mm_plan *p, const imm_bufs *m, vq_emit_fn emit, emit_arg *e,
                    size_t out_elem)
{
    int64_t nbatch = vc_shape_numel(p->nb, p->bdims);
    char *y0 = e->y;
    for (int64_t t = 0; t < nbatch; t++) {
        int64_t oa, ob;
        vc_mm_plan_batch(p, t, &oa, &ob);
        e->y = y0 + (size_t)(t * p->M * p->N) * out_elem;
        vq_igemm(p->M, p->N, p->K, m->a + oa * p->M * p->K, m->b + ob * p->K * p->N, m->acc, emit, e);
    }
}

/* Zero points of MatMulInteger-like ops: A's (input ka, may be -1) and B's (input kb). */
static voce_status check_zps(const vc_node *n, vc_tensor *const *in, int ka, int kb, voce_dtype adt)
{
    int64_t td[VOCE_MAX_RANK];
    vc_tensor av;
    voce_status st = VOCE_OK;
    const vc_tensor *a = in[0], *b = in[1];
    if (ka >= 0) {
        const vc_tensor *z = zp_a_view(opt(n, in, ka), a, &av);
        st = vq_check_zp(n, ka, z, adt, zp_target_a(a, td), td, "a_zero_point");
    }
    if (!st) st = vq_check_zp(n, kb, opt(n, in, kb), b->dtype, zp_target_b(b, td), td, "b_zero_point");
    return st;
}

/* ---- MatMulInteger ---- */

voce_status vq_matmulinteger_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    vc_mm_plan p;
    if (n->n_in < 2 || n->n_in > 4 || !in[0] || !in[1])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs A and B, and at most two zero points");
    for (int k = 0; k < 2; k++)
        if (!vq_is_q8(in[k]->dtype)) return vc_err_dtype(n, k, in[k]->dtype);
    if ((st = plan_make(n, in[0], in[1], &p)) || (st = check_zps(n, in, 2, 3, in[0]->dtype)))
        return st;
    return plan_output(n, in[0], in[1], &p, VOCE_DTYPE_I32, &out[0]);
}

size_t vq_matmulinteger_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    vc_mm_plan p;
    if (plan_make(n, in[0], in[1], &p)) return 0;
    return imm_bytes(in[0], in[1], &p);
}

voce_status vq_matmulinteger_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                                 vc_ctx *ctx)
{
    vc_mm_plan p;
    imm_bufs m;
    voce_status st = plan_make(n, in[0], in[1], &p);
    if (st) return st;
    imm_carve(ctx->scratch, in[0], in[1], &p, &m);
    imm_prepare(in[0], NULL, opt(n, in, 2), in[1], opt(n, in, 3), &p, &m);
    emit_arg e = {out[0].data, p.N, NULL, NULL};
    imm_run(&p, &m, emit_i32, &e, sizeof(int32_t));
    return VOCE_OK;
}

/* ---- com.microsoft:DynamicQuantizeMatMul ---- */

/* A per-column vector (input k): one value or N of them, f32. */
static voce_status check_vec(const vc_node *n, const vc_tensor *t, int k, int64_t N, int allow_one,
                             const char *what)
{
    char s[160];
    if (!t) return VOCE_OK;
    if (t->dtype != VOCE_DTYPE_F32) return vc_err_dtype(n, k, t->dtype);
    if ((allow_one && vc_numel(t) == 1 && t->rank <= 1) || (t->rank == 1 && t->dims[0] == N))
        return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_SHAPE, "%s (input %d) has shape %s; expected %s[%lld]", what, k,
                         vc_shape_str(t->rank, t->dims, s, sizeof s), allow_one ? "one value or " : "",
                         (long long)N);
}

voce_status vq_dqmatmul_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    vc_mm_plan p;
    if (n->n_in < 3 || n->n_in > 5 || !in[0] || !in[1] || !in[2])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs A, B and b_scale, and at most b_zero_point and bias");
    if (in[0]->dtype != VOCE_DTYPE_F32) return vc_err_dtype(n, 0, in[0]->dtype);
    if (!vq_is_q8(in[1]->dtype)) return vc_err_dtype(n, 1, in[1]->dtype);
    if ((st = plan_make(n, in[0], in[1], &p)) || (st = check_zps(n, in, -1, 3, VOCE_DTYPE_U8)) ||
        (st = check_vec(n, in[2], 2, p.N, 1, "b_scale")) ||
        (st = check_vec(n, opt(n, in, 4), 4, p.N, 0, "bias")))
        return st;
    return plan_output(n, in[0], in[1], &p, VOCE_DTYPE_F32, &out[0]);
}

size_t vq_dqmatmul_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    vc_mm_plan p;
    if (plan_make(n, in[0], in[1], &p)) return 0;
    return imm_bytes(in[0], in[1], &p) + align64((size_t)vc_numel(in[0])) + 4 * (size_t)p.N;
}

voce_status vq_dqmatmul_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    vc_mm_plan p;
    imm_bufs m;
    voce_status st = plan_make(n, in[0], in[1], &p);
    if (st) return st;
    char *c = imm_carve(ctx->scratch, in[0], in[1], &p, &m);
    uint8_t *a8 = (uint8_t *)c;
    float *mult = (float *)(c + align64((size_t)vc_numel(in[0])));
    float a_scale;
    int32_t a_zp;
    /* A is quantized to uint8 exactly as DynamicQuantizeLinear does */
    vq_dynamic_params(in[0]->data, vc_numel(in[0]), &a_scale, &a_zp);
    vq_quantize_u8(in[0]->data, vc_numel(in[0]), a_scale, a_zp, a8);
    uint8_t zp8 = (uint8_t)a_zp;
    vc_tensor azp = {VOCE_DTYPE_U8, 0, {0}, &zp8};
    imm_prepare(in[0], a8, &azp, in[1], opt(n, in, 3), &p, &m);
    const float *bs = in[2]->data;
    for (int64_t j = 0; j < p.N; j++) mult[j] = a_scale * bs[vc_numel(in[2]) == 1 ? 0 : j];
    const vc_tensor *bias = opt(n, in, 4);
    emit_arg e = {out[0].data, p.N, mult, bias ? bias->data : NULL};
    imm_run(&p, &m, emit_f32, &e, sizeof(float));
    return VOCE_OK;
}

/* ---- com.microsoft:MatMulNBits ---- */

typedef struct {
    int64_t K, N, bits, bs; /* attributes */
    int64_t kb, blob, zb;   /* blocks per row of B, bytes per block, zero-point bytes per row */
} nbits_shape;

static voce_status nbits_attrs(const vc_node *n, nbits_shape *s)
{
    s->K = vc_attr_int(n, "K", -1), s->N = vc_attr_int(n, "N", -1);
    s->bits = vc_attr_int(n, "bits", 4), s->bs = vc_attr_int(n, "block_size", -1);
    if (s->K < 1 || s->N < 1 || s->K > VC_MAX_NUMEL || s->N > VC_MAX_NUMEL)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "attributes K (%lld) and N (%lld) must be set and positive",
                             (long long)s->K, (long long)s->N);
    if (s->bits != 2 && s->bits != 4 && s->bits != 8)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "bits=%lld is not supported (2, 4 and 8 are)",
                             (long long)s->bits);
    if (s->bs < 16 || s->bs > ((int64_t)1 << 30) || (s->bs & (s->bs - 1)))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "block_size %lld is not a power of 2 of at least 16",
                             (long long)s->bs);
    s->kb = (s->K + s->bs - 1) / s->bs;
    s->blob = s->bs * s->bits / 8;
    s->zb = (s->kb * s->bits + 7) / 8;
    return VOCE_OK;
}

/* t is [a*b] or [a, b]. */
static int flat_or_2d(const vc_tensor *t, int64_t a, int64_t b)
{
    return (t->rank == 1 && t->dims[0] == a * b) || (t->rank == 2 && t->dims[0] == a && t->dims[1] == b);
}

static voce_status nbits_shape_err(const vc_node *n, int k, const char *what, const vc_tensor *t,
                                   const char *want, int64_t a, int64_t b)
{
    char s[160];
    return vc_node_error(n, VOCE_ERR_SHAPE, "%s (input %d) has shape %s; K=%lld, N=%lld, bits and "
                         "block_size make it %s (%lld, %lld)", what, k,
                         vc_shape_str(t->rank, t->dims, s, sizeof s), (long long)vc_attr_int(n, "K", -1),
                         (long long)vc_attr_int(n, "N", -1), want, (long long)a, (long long)b);
}

static voce_status nbits_check_zp(const vc_node *n, const vc_tensor *z, const nbits_shape *s, voce_dtype adt)
{
    if (!z) return VOCE_OK;
    if (z->dtype == adt)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "zero points of type %s (unpacked, like the scales) "
                             "are not supported; packed uint8 zero points are", voce_dtype_name(adt));
    if (z->dtype != VOCE_DTYPE_U8) return vc_err_dtype(n, 3, z->dtype);
    if (!flat_or_2d(z, s->N, s->zb)) return nbits_shape_err(n, 3, "zero_points", z, "[N * zb] or [N, zb]", s->N, s->zb);
    return VOCE_OK;
}

static voce_status nbits_check_gidx(const vc_node *n, const vc_tensor *g, const nbits_shape *s)
{
    if (!g) return VOCE_OK;
    if (g->dtype != VOCE_DTYPE_I32) return vc_err_dtype(n, 4, g->dtype);
    if (g->rank != 1 || (g->dims[0] != s->K && g->dims[0] != s->kb * s->bs))
        return nbits_shape_err(n, 4, "g_idx", g, "[K] or [k_blocks * block_size]", s->K, s->kb * s->bs);
    for (int64_t i = 0; g->data && i < g->dims[0]; i++) {
        int32_t v = ((const int32_t *)g->data)[i];
        if (v < 0 || v >= s->kb)
            return vc_node_error(n, VOCE_ERR_INVALID_ARG, "g_idx[%lld] = %d is not a block index in [0, %lld)",
                                 (long long)i, v, (long long)s->kb);
    }
    return VOCE_OK;
}

static voce_status nbits_check(const vc_node *n, vc_tensor *const *in, nbits_shape *s)
{
    char sh[160];
    voce_status st;
    if (n->n_in < 3 || n->n_in > 6 || !in[0] || !in[1] || !in[2])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs A, B and scales (and at most zero_points, g_idx, bias)");
    if ((st = nbits_attrs(n, s))) return st;
    const vc_tensor *a = in[0], *b = in[1], *sc = in[2], *bias = opt(n, in, 5);
    voce_dtype adt = a->dtype;
    if (adt != VOCE_DTYPE_F32 && adt != VOCE_DTYPE_F16) return vc_err_dtype(n, 0, adt);
    if (a->rank < 1 || a->dims[a->rank - 1] != s->K)
        return vc_node_error(n, VOCE_ERR_SHAPE, "A %s does not end in K=%lld",
                             vc_shape_str(a->rank, a->dims, sh, sizeof sh), (long long)s->K);
    if (b->dtype != VOCE_DTYPE_U8) return vc_err_dtype(n, 1, b->dtype);
    if (b->rank != 3 || b->dims[0] != s->N || b->dims[1] != s->kb || b->dims[2] != s->blob)
        return vc_node_error(n, VOCE_ERR_SHAPE, "B has shape %s; K=%lld, N=%lld, bits=%lld, block_size=%lld "
                             "make it [%lld,%lld,%lld]", vc_shape_str(b->rank, b->dims, sh, sizeof sh),
                             (long long)s->K, (long long)s->N, (long long)s->bits, (long long)s->bs,
                             (long long)s->N, (long long)s->kb, (long long)s->blob);
    if (sc->dtype != adt) return vc_err_dtype(n, 2, sc->dtype);
    if (!flat_or_2d(sc, s->N, s->kb)) return nbits_shape_err(n, 2, "scales", sc, "[N * k_blocks] or [N, k_blocks]", s->N, s->kb);
    if ((st = nbits_check_zp(n, opt(n, in, 3), s, adt)) || (st = nbits_check_gidx(n, opt(n, in, 4), s)))
        return st;
    if (bias && bias->dtype != adt) return vc_err_dtype(n, 5, bias->dtype);
    if (bias && (bias->rank != 1 || bias->dims[0] != s->N))
        return vc_node_error(n, VOCE_ERR_SHAPE, "bias has shape %s, expected [%lld]",
                             vc_shape_str(bias->rank, bias->dims, sh, sizeof sh), (long long)s->N);
    return VOCE_OK;
}

voce_status vq_nbits_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    nbits_shape s;
    char sh[160];
    voce_status st = nbits_check(n, in, &s);
    if (st) return st;
    vc_same_shape(&out[0], in[0]);
    out[0].dims[out[0].rank - 1] = s.N;
    if (vc_numel(&out[0]) >= 0) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_NOMEM, "output shape %s is too large",
                         vc_shape_str(out[0].rank, out[0].dims, sh, sizeof sh));
}

static int64_t panel_rows(const nbits_shape *s)
{
    int64_t r = PANEL_FLOATS / s->K;
    return r < 1 ? 1 : r > s->N ? s->N : r;
}

size_t vq_nbits_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    nbits_shape s;
    if (nbits_attrs(n, &s)) return 0;
    size_t f16 = in[0]->dtype == VOCE_DTYPE_F16 ? (size_t)(vc_numel(in[0]) + vc_numel(&out[0])) : 0;
    return sizeof(float) * ((size_t)(panel_rows(&s) * s.K) + f16 + 16);
}

/* Code idx of a run of packed codes (low bits first; codes never straddle bytes). */
static int32_t code_at(const uint8_t *p, int64_t idx, int64_t bits)
{
    int64_t bit = idx * bits;
    return (p[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);
}

/* Rows n0 .. n0 + rows - 1 of B dequantized into w ([rows, K]). */
static void nbits_dequant(const nbits_shape *s, vc_tensor *const *in, const vc_node *n, int64_t n0,
                          int64_t rows, float *w)
{
    const uint8_t *b = in[1]->data;
    const vc_tensor *sc = in[2], *zt = opt(n, in, 3), *gt = opt(n, in, 4);
    const int32_t *g = gt ? gt->data : NULL;
    int32_t zdef = 1 << (s->bits - 1);
    for (int64_t r = 0; r < rows; r++) {
        int64_t row = n0 + r;
        const uint8_t *brow = b + row * s->kb * s->blob;
        const uint8_t *zrow = zt ? (const uint8_t *)zt->data + row * s->zb : NULL;
        for (int64_t k = 0; k < s->K; k++) {
            int64_t blk = g ? g[k] : k / s->bs;
            int32_t q = code_at(brow + (k / s->bs) * s->blob, k % s->bs, s->bits);
            int32_t z = zrow ? code_at(zrow, blk, s->bits) : zdef;
            float scale = sc->dtype == VOCE_DTYPE_F16
                              ? vc_f16_to_f32(((const uint16_t *)sc->data)[row * s->kb + blk])
                              : ((const float *)sc->data)[row * s->kb + blk];
            w[r * s->K + k] = (float)(q - z) * scale;
        }
    }
}

voce_status vq_nbits_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    nbits_shape s;
    voce_status st = nbits_attrs(n, &s);
    if (st) return st;
    int f16 = in[0]->dtype == VOCE_DTYPE_F16;
    int64_t M = vc_numel(in[0]) / s.K, pr = panel_rows(&s);
    float *w = ctx->scratch, *a = in[0]->data, *y = out[0].data;
    if (f16) {
        a = w + pr * s.K;
        y = a + vc_numel(in[0]);
        vc_f16_to_f32_array(in[0]->data, a, vc_numel(in[0]));
    }
    for (int64_t n0 = 0; n0 < s.N; n0 += pr) {
        int64_t rows = s.N - n0 < pr ? s.N - n0 : pr;
        nbits_dequant(&s, in, n, n0, rows, w);
        vc_gemm_f32(ctx->threads, 0, 1, M, rows, s.K, 1.0f, a, s.K, w, s.K, 0.0f, y + n0, s.N);
    }
    const vc_tensor *bias = opt(n, in, 5);
    for (int64_t i = 0; bias && i < M; i++)
        for (int64_t j = 0; j < s.N; j++)
            y[i * s.N + j] += f16 ? vc_f16_to_f32(((const uint16_t *)bias->data)[j]) : ((const float *)bias->data)[j];
    if (f16) vc_f32_to_f16_array(y, out[0].data, vc_numel(&out[0]));
    return VOCE_OK;
}
