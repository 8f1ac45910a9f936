/* Reference kernels: MatMul, Gemm, Einsum, all through vc_gemm_f32.
 *
 * MatMul and Gemm take f32 or f16 (f16 is widened into scratch, computed in f32 and
 * rounded once at the end). Einsum takes f32, one or two operands, any equation numpy
 * accepts for them (implicit or explicit output, ellipsis, repeated labels = diagonals,
 * labels summed in one operand only); it permutes both operands into scratch as batched
 * [B, M, K] x [B, K, N], multiplies, and permutes the result into place.
 */
#include <string.h>

#include "../../core/f16.h"
#include "gemm.h"
#include "matmul_plan.h"
#include "ref_ops.h"

static voce_status check_float(const vc_node *n, vc_tensor *const *in, int k, int allow_f16)
{
    voce_dtype dt = in[k]->dtype;
    if (dt == VOCE_DTYPE_F32 || (allow_f16 && dt == VOCE_DTYPE_F16)) return VOCE_OK;
    return vc_err_dtype(n, k, dt);
}

static voce_status check_same_dtype(const vc_node *n, vc_tensor *const *in, int k)
{
    if (in[k]->dtype == in[0]->dtype) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_DTYPE, "input %d is %s but input 0 is %s", k,
                         voce_dtype_name(in[k]->dtype), voce_dtype_name(in[0]->dtype));
}

static voce_status check_numel(const vc_node *n, const vc_tensor *t)
{
    char s[160];
    if (vc_numel(t) >= 0) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_NOMEM, "output shape %s is too large",
                         vc_shape_str(t->rank, t->dims, s, sizeof s));
}

/* f32 view of a tensor: the data itself, or its f16 values widened into *cursor. */
static const float *as_f32(const vc_tensor *t, float **cursor)
{
    if (t->dtype == VOCE_DTYPE_F32) return t->data;
    float *dst = *cursor;
    vc_f16_to_f32_array(t->data, dst, vc_numel(t));
    *cursor += vc_numel(t);
    return dst;
}

static size_t f16_floats(const vc_tensor *t)
{
    return t->dtype == VOCE_DTYPE_F16 ? (size_t)vc_numel(t) : 0;
}

/* ---- MatMul ---- */

voce_status vc_mm_plan_make(const vc_node *n, const vc_tensor *a, const vc_tensor *b, vc_mm_plan *p)
{
    char s1[160], s2[160];
    if (a->rank < 1 || b->rank < 1)
        return vc_node_error(n, VOCE_ERR_SHAPE, "operands must have rank >= 1 (got %d and %d)",
                             a->rank, b->rank);
    int a1 = a->rank == 1, b1 = b->rank == 1;
    int64_t kb = b1 ? b->dims[0] : b->dims[b->rank - 2];
    p->M = a1 ? 1 : a->dims[a->rank - 2];
    p->K = a->dims[a->rank - 1];
    p->N = b1 ? 1 : b->dims[b->rank - 1];
    if (p->K != kb)
        return vc_node_error(n, VOCE_ERR_SHAPE, "inner dimensions differ: A %s, B %s",
                             vc_shape_str(a->rank, a->dims, s1, sizeof s1),
                             vc_shape_str(b->rank, b->dims, s2, sizeof s2));
    int abr = a1 ? 0 : a->rank - 2, bbr = b1 ? 0 : b->rank - 2;
    p->nb = abr > bbr ? abr : bbr;
    int64_t sa = 1, sb = 1;
    for (int d = p->nb - 1; d >= 0; d--) {
        int ia = d - (p->nb - abr), ib = d - (p->nb - bbr);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return vc_node_error(n, VOCE_ERR_SHAPE,
                                 "batch dimensions of %s and %s do not broadcast",
                                 vc_shape_str(a->rank, a->dims, s1, sizeof s1),
                                 vc_shape_str(b->rank, b->dims, s2, sizeof s2));
        p->bdims[d] = da == 1 ? db : da;
        p->astr[d] = da == 1 ? 0 : sa;
        p->bstr[d] = db == 1 ? 0 : sb;
        sa *= da, sb *= db;
    }
    return VOCE_OK;
}

void vc_mm_plan_batch(const vc_mm_plan *p, int64_t t, int64_t *oa, int64_t *ob)
{
    *oa = *ob = 0;
    for (int d = p->nb - 1; d >= 0; d--) {
        int64_t i = t % p->bdims[d];
        t /= p->bdims[d];
        *oa += i * p->astr[d];
        *ob += i * p->bstr[d];
    }
}

static voce_status matmul_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    if ((st = check_float(n, in, 0, 1)) || (st = check_same_dtype(n, in, 1))) return st;
    vc_mm_plan p;
    if ((st = vc_mm_plan_make(n, in[0], in[1], &p))) return st;
    out[0].dtype = in[0]->dtype;
    out[0].rank = p.nb;
    memcpy(out[0].dims, p.bdims, sizeof(int64_t) * (size_t)p.nb);
    if (in[0]->rank > 1) out[0].dims[out[0].rank++] = p.M;
    if (in[1]->rank > 1) out[0].dims[out[0].rank++] = p.N;
    return check_numel(n, &out[0]);
}

typedef struct mm_job {
    const vc_mm_plan *p;
    const float *A, *B;
    float *Y;
} mm_job;

/* Batch t of a batched MatMul. */
static void matmul_one(const mm_job *j, int64_t t, vc_threads *th)
{
    const vc_mm_plan *p = j->p;
    int64_t oa, ob;
    vc_mm_plan_batch(p, t, &oa, &ob);
    vc_gemm_f32(th, 0, 0, p->M, p->N, p->K, 1.0f, j->A + oa * p->M * p->K, p->K,
                j->B + ob * p->K * p->N, p->N, 0.0f, j->Y + t * p->M * p->N, p->N);
}

static void matmul_batch_task(void *arg, int64_t t, int worker)
{
    (void)worker;
    matmul_one(arg, t, NULL);
}

static void matmul_f32(const vc_mm_plan *p, const float *A, const float *B, float *Y, vc_threads *th)
{
    int64_t nbatch = 1;
    int a_whole = 1, b_shared = 1;
    for (int d = 0; d < p->nb; d++) {
        nbatch *= p->bdims[d];
        if (p->astr[d] == 0 && p->bdims[d] != 1) a_whole = 0;
        if (p->bstr[d] != 0) b_shared = 0;
    }
    /* One B for all batches and A's batches back to back: a single tall product. */
    if (b_shared && a_whole) {
        vc_gemm_f32(th, 0, 0, nbatch * p->M, p->N, p->K, 1.0f, A, p->K, B, p->N, 0.0f, Y, p->N);
        return;
    }
    mm_job j = {p, A, B, Y};
    /* Batches too small to split on their own (attention heads of one decode step) are
     * shared out whole; each is computed as on one thread either way. */
    if (p->M * p->N * p->K < 2 * VC_GEMM_MIN_TASK_MACS) {
        int worth = nbatch * p->M * p->N * p->K >= 2 * VC_GEMM_MIN_TASK_MACS;
        vc_threads_run(worth ? th : NULL, nbatch, matmul_batch_task, &j);
        return;
    }
    for (int64_t t = 0; t < nbatch; t++) matmul_one(&j, t, th);
}

static size_t matmul_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    if (in[0]->dtype != VOCE_DTYPE_F16) return 0;
    return sizeof(float) * (f16_floats(in[0]) + f16_floats(in[1]) + f16_floats(&out[0]));
}

static voce_status matmul_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    vc_mm_plan p;
    voce_status st = vc_mm_plan_make(n, in[0], in[1], &p);
    if (st) return st;
    if (in[0]->dtype == VOCE_DTYPE_F32) {
        matmul_f32(&p, in[0]->data, in[1]->data, out[0].data, ctx->threads);
        return VOCE_OK;
    }
    float *cur = ctx->scratch;
    const float *a = as_f32(in[0], &cur), *b = as_f32(in[1], &cur);
    matmul_f32(&p, a, b, cur, ctx->threads);
    vc_f32_to_f16_array(cur, out[0].data, vc_numel(&out[0]));
    return VOCE_OK;
}

/* ---- Gemm ---- */

static voce_status gemm_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    char s1[160], s2[160];
    if ((st = check_float(n, in, 0, 1)) || (st = check_same_dtype(n, in, 1))) return st;
    if (n->n_in > 2 && in[2] && (st = check_same_dtype(n, in, 2))) return st;
    const vc_tensor *a = in[0], *b = in[1];
    if (a->rank != 2 || b->rank != 2)
        return vc_node_error(n, VOCE_ERR_SHAPE, "A and B must be 2-D (got ranks %d and %d)",
                             a->rank, b->rank);
    int64_t ta = vc_attr_int(n, "transA", 0), tb = vc_attr_int(n, "transB", 0);
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "transA/transB must be 0 or 1");
    int64_t M = a->dims[ta ? 1 : 0], K = a->dims[ta ? 0 : 1];
    int64_t kb = b->dims[tb ? 1 : 0], N = b->dims[tb ? 0 : 1];
    if (K != kb)
        return vc_node_error(n, VOCE_ERR_SHAPE, "inner dimensions differ: A %s%s, B %s%s",
                             vc_shape_str(2, a->dims, s1, sizeof s1), ta ? " (transposed)" : "",
                             vc_shape_str(2, b->dims, s2, sizeof s2), tb ? " (transposed)" : "");
    if (n->n_in > 2 && in[2]) {
        const vc_tensor *c = in[2];
        int ok = c->rank <= 2;
        for (int d = 0; ok && d < c->rank; d++) {
            int64_t want = d == c->rank - 1 ? N : M;
            ok = c->dims[d] == want || c->dims[d] == 1;
        }
        if (!ok)
            return vc_node_error(n, VOCE_ERR_SHAPE, "C %s does not broadcast to [%lld,%lld]",
                                 vc_shape_str(c->rank, c->dims, s1, sizeof s1), (long long)M,
                                 (long long)N);
    }
    out[0].dtype = a->dtype;
    out[0].rank = 2;
    out[0].dims[0] = M;
    out[0].dims[1] = N;
    return check_numel(n, &out[0]);
}

static size_t gemm_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    if (in[0]->dtype != VOCE_DTYPE_F16) return 0;
    size_t c = n->n_in > 2 && in[2] ? f16_floats(in[2]) : 0;
    return sizeof(float) * (f16_floats(in[0]) + f16_floats(in[1]) + c + f16_floats(&out[0]));
}

static voce_status gemm_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int ta = vc_attr_int(n, "transA", 0) != 0, tb = vc_attr_int(n, "transB", 0) != 0;
    float alpha = vc_attr_float(n, "alpha", 1.0f), beta = vc_attr_float(n, "beta", 1.0f);
    const vc_tensor *ct = n->n_in > 2 ? in[2] : NULL;
    int64_t M = out[0].dims[0], N = out[0].dims[1], K = in[0]->dims[ta ? 0 : 1];
    float *cur = ctx->scratch;
    const float *a = as_f32(in[0], &cur), *b = as_f32(in[1], &cur);
    const float *c = ct ? as_f32(ct, &cur) : NULL;
    float *y = out[0].dtype == VOCE_DTYPE_F32 ? out[0].data : cur;
    if (c && beta != 0.0f) {
        /* Y starts as C broadcast to [M, N]; the product then scales it by beta. */
        int64_t cm = ct->rank == 2 ? ct->dims[0] : 1,
                cn = ct->rank >= 1 ? ct->dims[ct->rank - 1] : 1;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                y[i * N + j] = c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
    } else {
        beta = 0.0f;
    }
    vc_gemm_f32(ctx->threads, ta, tb, M, N, K, alpha, a, in[0]->dims[1], b, in[1]->dims[1], beta, y, N);
    if (y != out[0].data) vc_f32_to_f16_array(y, out[0].data, M * N);
    return VOCE_OK;
}

/* ---- Einsum ---- */

enum {
    EIN_LETTERS = 52,                         /* a-z then A-Z */
    EIN_LABELS = EIN_LETTERS + VOCE_MAX_RANK, /* then the ellipsis dims, right-aligned */
    EIN_MAX_OPS = 2
};

typedef struct {
    int nop;
    int rank[EIN_MAX_OPS];
    int lab[EIN_MAX_OPS][VOCE_MAX_RANK]; /* label of each operand dim */
    int nout;
    int out[VOCE_MAX_RANK];   /* labels of the output dims */
    int64_t size[EIN_LABELS]; /* -1: label unused */
} ein_plan;

static int ein_letter(char c)
{
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + c - 'A';
    return -1;
}

/* Parse one term (between commas or after "->") into labels; ell_rank is the number of
 * dims the ellipsis stands for (for the output, the broadcast ellipsis rank). */
static voce_status ein_term(const vc_node *n, const char *s, size_t len, int rank_known, int *rank,
                            int *lab, int *ell_rank, int *has_ell)
{
    int letters = 0, ell = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (ell || i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.')
                return vc_node_error(n, VOCE_ERR_INVALID_ARG, "equation has a malformed ellipsis");
            ell = 1;
            i += 2;
        } else if (ein_letter(s[i]) >= 0) {
            letters++;
        } else {
            return vc_node_error(n, VOCE_ERR_INVALID_ARG, "equation has invalid character '%c'",
                                 s[i]);
        }
    }
    int er;
    if (rank_known) {
        er = *rank - letters;
        if (er < 0 || (!ell && er != 0))
            return vc_node_error(n, VOCE_ERR_SHAPE,
                                 "term '%.*s' does not match an operand of rank %d", (int)len, s,
                                 *rank);
        *ell_rank = er;
    } else {
        er = ell ? *ell_rank : 0;
        if (letters + er > VOCE_MAX_RANK)
            return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "output rank %d exceeds %d", letters + er,
                                 VOCE_MAX_RANK);
        *rank = letters + er;
    }
    *has_ell = ell;
    int k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            for (int e = 0; e < er; e++) lab[k++] = EIN_LETTERS + VOCE_MAX_RANK - er + e;
            i += 2;
        } else {
            lab[k++] = ein_letter(s[i]);
        }
    }
    return VOCE_OK;
}

static voce_status ein_parse(const vc_node *n, vc_tensor *const *in, ein_plan *p)
{
    const char *eq = vc_attr_string(n, "equation", NULL);
    char buf[256];
    size_t len = 0;
    if (!eq) return vc_node_error(n, VOCE_ERR_INVALID_ARG, "attribute 'equation' is missing");
    for (const char *c = eq; *c; c++) {
        if (*c == ' ') continue;
        if (len + 1 >= sizeof buf)
            return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "equation is too long");
        buf[len++] = *c;
    }
    buf[len] = 0;
    p->nop = n->n_in;
    if (p->nop < 1 || p->nop > EIN_MAX_OPS)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "%d operands (supported: 1 or 2)", p->nop);
    const char *arrow = strstr(buf, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - buf) : len;
    for (int k = 0; k < EIN_LABELS; k++) p->size[k] = -1;
    int count[EIN_LABELS] = {0};
    int ell_max = 0, any_ell = 0;
    size_t pos = 0;
    for (int k = 0; k < p->nop; k++) {
        size_t end = pos;
        while (end < lhs_len && buf[end] != ',') end++;
        if ((end == lhs_len) != (k == p->nop - 1))
            return vc_node_error(n, VOCE_ERR_INVALID_ARG,
                                 "equation has %s terms than the %d inputs",
                                 end == lhs_len ? "fewer" : "more", p->nop);
        voce_status st;
        int er, he;
        p->rank[k] = in[k]->rank;
        if ((st = ein_term(n, buf + pos, end - pos, 1, &p->rank[k], p->lab[k], &er, &he)))
            return st;
        if (er > ell_max) ell_max = er;
        any_ell |= he;
        for (int d = 0; d < p->rank[k]; d++) {
            int l = p->lab[k][d];
            int64_t dim = in[k]->dims[d], *sz = &p->size[l];
            count[l]++;
            if (*sz < 0 || *sz == dim)
                *sz = dim;
            else if (l >= EIN_LETTERS && (*sz == 1 || dim == 1))
                *sz = *sz == 1 ? dim : *sz;
            else
                return vc_node_error(n, VOCE_ERR_SHAPE, "label '%c' has sizes %lld and %lld",
                                     l < EIN_LETTERS ? (l < 26 ? 'a' + l : 'A' + l - 26) : '.',
                                     (long long)*sz, (long long)dim);
        }
        pos = end + 1;
    }
    if (arrow) {
        int he, er = ell_max;
        voce_status st = ein_term(n, arrow + 2, strlen(arrow + 2), 0, &p->nout, p->out, &er, &he);
        if (st) return st;
        for (int i = 0; i < p->nout; i++) {
            int l = p->out[i];
            if (p->size[l] < 0)
                return vc_node_error(n, VOCE_ERR_INVALID_ARG, "output label '%c' is in no input",
                                     l < 26 ? 'a' + l : 'A' + l - 26);
            for (int j = 0; j < i; j++)
                if (p->out[j] == l)
                    return vc_node_error(n, VOCE_ERR_INVALID_ARG, "output repeats a label");
        }
        return VOCE_OK;
    }
    /* Implicit output: the broadcast ellipsis dims, then the labels used once, in ASCII
     * order (A-Z before a-z) as numpy does. */
    p->nout = 0;
    if (any_ell)
        for (int e = 0; e < ell_max; e++)
            p->out[p->nout++] = EIN_LETTERS + VOCE_MAX_RANK - ell_max + e;
    for (int r = 0; r < EIN_LETTERS; r++) {
        int l = r < 26 ? r + 26 : r - 26;
        if (count[l] != 1) continue;
        if (p->nout == VOCE_MAX_RANK)
            return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "output rank exceeds %d", VOCE_MAX_RANK);
        p->out[p->nout++] = l;
    }
    return VOCE_OK;
}

/* Element stride of label l in operand k (0 if absent or broadcast); a label repeated in
 * the operand walks its diagonal, so the strides of its dims add up. */
static int64_t ein_stride(const ein_plan *p, const vc_tensor *t, int k, int l)
{
    int64_t s = 0, step = 1;
    for (int d = p->rank[k] - 1; d >= 0; d--) {
        if (p->lab[k][d] == l && !(t->dims[d] == 1 && p->size[l] != 1)) s += step;
        step *= t->dims[d];
    }
    return s;
}

static int ein_has(const ein_plan *p, int k, int l)
{
    for (int d = 0; d < p->rank[k]; d++)
        if (p->lab[k][d] == l) return 1;
    return 0;
}

static int ein_in_out(const ein_plan *p, int l)
{
    for (int i = 0; i < p->nout; i++)
        if (p->out[i] == l) return 1;
    return 0;
}

/* A list of labels with sizes and source strides, iterated like an odometer. */
typedef struct {
    int n;
    int64_t dim[EIN_LABELS], str[EIN_LABELS];
} ein_axes;

static void axes_add(ein_axes *a, int64_t dim, int64_t str)
{
    a->dim[a->n] = dim;
    a->str[a->n] = str;
    a->n++;
}

static int64_t axes_numel(const ein_axes *a)
{
    int64_t n = 1;
    for (int i = 0; i < a->n; i++) n *= a->dim[i];
    return n;
}

/* dst (contiguous over `keep`, in order) = src summed over `sum`. */
static void gather_sum(const float *src, const ein_axes *keep, const ein_axes *sum, float *dst)
{
    int64_t nk = axes_numel(keep), ns = axes_numel(sum);
    int64_t ik[EIN_LABELS] = {0}, off = 0;
    for (int64_t i = 0; i < nk; i++) {
        float acc = 0.0f;
        int64_t is[EIN_LABELS] = {0}, so = 0;
        for (int64_t j = 0; j < ns; j++) {
            acc += src[off + so];
            for (int d = sum->n - 1; d >= 0; d--) {
                so += sum->str[d];
                if (++is[d] < sum->dim[d]) break;
                so -= sum->str[d] * sum->dim[d];
                is[d] = 0;
            }
        }
        dst[i] = acc;
        for (int d = keep->n - 1; d >= 0; d--) {
            off += keep->str[d];
            if (++ik[d] < keep->dim[d]) break;
            off -= keep->str[d] * keep->dim[d];
            ik[d] = 0;
        }
    }
}

/* The two-operand split: labels by role, and the batched product's sizes. */
typedef struct {
    ein_axes a_keep, a_sum, b_keep, b_sum; /* A as [batch, M, K], B as [batch, K, N] */
    int64_t nbatch, M, K, N;
    int64_t idx_str[EIN_LABELS]; /* stride of an output label in C [batch, M, N] */
} ein_split;

static void ein_split_make(const ein_plan *p, vc_tensor *const *in, ein_split *s)
{
    memset(s, 0, sizeof *s);
    s->nbatch = s->M = s->K = s->N = 1;
    int batch[EIN_LABELS], nbl = 0, ml[EIN_LABELS], nml = 0, nl[EIN_LABELS], nnl = 0;
    int kl[EIN_LABELS], nkl = 0;
    for (int i = 0; i < p->nout; i++) {
        int l = p->out[i], ia = ein_has(p, 0, l), ib = ein_has(p, 1, l);
        if (ia && ib)
            batch[nbl++] = l;
        else if (ia)
            ml[nml++] = l;
        else
            nl[nnl++] = l;
    }
    for (int l = 0; l < EIN_LABELS; l++) {
        if (p->size[l] < 0 || ein_in_out(p, l)) continue;
        int ia = ein_has(p, 0, l), ib = ein_has(p, 1, l);
        if (ia && ib)
            kl[nkl++] = l;
        else if (ia)
            axes_add(&s->a_sum, p->size[l], ein_stride(p, in[0], 0, l));
        else
            axes_add(&s->b_sum, p->size[l], ein_stride(p, in[1], 1, l));
    }
    for (int i = 0; i < nbl; i++) {
        int l = batch[i];
        s->nbatch *= p->size[l];
        axes_add(&s->a_keep, p->size[l], ein_stride(p, in[0], 0, l));
        axes_add(&s->b_keep, p->size[l], ein_stride(p, in[1], 1, l));
    }
    for (int i = 0; i < nml; i++) {
        s->M *= p->size[ml[i]];
        axes_add(&s->a_keep, p->size[ml[i]], ein_stride(p, in[0], 0, ml[i]));
    }
    for (int i = 0; i < nkl; i++) {
        s->K *= p->size[kl[i]];
        axes_add(&s->a_keep, p->size[kl[i]], ein_stride(p, in[0], 0, kl[i]));
        axes_add(&s->b_keep, p->size[kl[i]], ein_stride(p, in[1], 1, kl[i]));
    }
    for (int i = 0; i < nnl; i++) {
        s->N *= p->size[nl[i]];
        axes_add(&s->b_keep, p->size[nl[i]], ein_stride(p, in[1], 1, nl[i]));
    }
    /* strides of the output labels inside C, laid out [batch labels, M labels, N labels] */
    int64_t st = 1;
    for (int i = nnl - 1; i >= 0; i--) s->idx_str[nl[i]] = st, st *= p->size[nl[i]];
    for (int i = nml - 1; i >= 0; i--) s->idx_str[ml[i]] = st, st *= p->size[ml[i]];
    for (int i = nbl - 1; i >= 0; i--) s->idx_str[batch[i]] = st, st *= p->size[batch[i]];
}

static voce_status einsum_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    voce_status st;
    for (int k = 0; k < n->n_in; k++) {
        if (!in[k]) return vc_node_error(n, VOCE_ERR_FORMAT, "input %d is missing", k);
        if ((st = check_float(n, in, k, 0))) return st;
    }
    ein_plan p;
    if ((st = ein_parse(n, in, &p))) return st;
    out[0].dtype = VOCE_DTYPE_F32;
    out[0].rank = p.nout;
    for (int i = 0; i < p.nout; i++) out[0].dims[i] = p.size[p.out[i]];
    if ((st = check_numel(n, &out[0]))) return st;
    if (p.nop == 2) {
        /* the scratch sizes must not overflow either */
        ein_split s;
        ein_split_make(&p, in, &s);
        int64_t dims[3] = {s.nbatch, s.M, s.K}, dims2[3] = {s.nbatch, s.K, s.N};
        if (vc_shape_numel(3, dims) < 0 || vc_shape_numel(3, dims2) < 0)
            return vc_node_error(n, VOCE_ERR_NOMEM, "operands are too large");
    }
    return VOCE_OK;
}

static size_t einsum_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    ein_plan p;
    if (ein_parse(n, in, &p) || p.nop != 2) return 0;
    ein_split s;
    ein_split_make(&p, in, &s);
    return sizeof(float) * (size_t)(s.nbatch * (s.M * s.K + s.K * s.N + s.M * s.N));
}

static voce_status einsum_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    ein_plan p;
    voce_status st = ein_parse(n, in, &p);
    if (st) return st;
    ein_axes keep = {0}, sum = {0};
    if (p.nop == 1) {
        for (int i = 0; i < p.nout; i++)
            axes_add(&keep, p.size[p.out[i]], ein_stride(&p, in[0], 0, p.out[i]));
        for (int l = 0; l < EIN_LABELS; l++)
            if (p.size[l] >= 0 && !ein_in_out(&p, l))
                axes_add(&sum, p.size[l], ein_stride(&p, in[0], 0, l));
        gather_sum(in[0]->data, &keep, &sum, out[0].data);
        return VOCE_OK;
    }
    ein_split s;
    ein_split_make(&p, in, &s);
    float *a = ctx->scratch, *b = a + s.nbatch * s.M * s.K, *c = b + s.nbatch * s.K * s.N;
    gather_sum(in[0]->data, &s.a_keep, &s.a_sum, a);
    gather_sum(in[1]->data, &s.b_keep, &s.b_sum, b);
    for (int64_t t = 0; t < s.nbatch; t++)
        vc_gemm_f32(ctx->threads, 0, 0, s.M, s.N, s.K, 1.0f, a + t * s.M * s.K, s.K,
                    b + t * s.K * s.N, s.N, 0.0f, c + t * s.M * s.N, s.N);
    for (int i = 0; i < p.nout; i++) axes_add(&keep, p.size[p.out[i]], s.idx_str[p.out[i]]);
    gather_sum(c, &keep, &sum, out[0].data);
    return VOCE_OK;
}

const vc_op vc_ops_matmul[] = {
    {"MatMul", matmul_infer, matmul_run, matmul_scratch, 0},
    {"Gemm", gemm_infer, gemm_run, gemm_scratch, 0},
    {"Einsum", einsum_infer, einsum_run, einsum_scratch, 0},
};
const int vc_ops_matmul_count = (int)(sizeof vc_ops_matmul / sizeof vc_ops_matmul[0]);
