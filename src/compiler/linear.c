/* Linear layers (linear.h) and the pass that turns the f32 ones into voce:Linear.
 *
 * The pass rewrites MatMul / Gemm with constant f32 weights into voce:Linear with the
 * weights stored [N, K] (alpha folded in) and Gemm's beta * C as the bias. A MatMul or
 * Gemm whose only reader is an Add of a constant vector of N values (ONNX exports of
 * nn.Linear are MatMul + Add) takes that vector into its bias: the Add becomes the
 * Linear node and the MatMul, read by no one, goes at the next dead-code elimination.
 *
 * Why: a decode step multiplies one row by the weights; with them stored [N, K] every
 * output is one contiguous dot product (the GEMM's dot path, 3.5-8.5x faster than a GEMV
 * over [K, N] here), and the bias costs no pass of its own over the output. */
#include "linear.h"

#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../runtime/op.h"
#include "passes.h"

const vc_value *vc_const_input(const vc_mgraph *g, const vc_node *n, int k)
{
    if (k >= n->n_in || n->in[k] < 0) return NULL;
    const vc_value *v = &g->values[n->in[k]];
    return v->kind == VC_VAL_CONST ? v : NULL;
}

static int weights_ok(const vc_value *w, char *why, size_t len)
{
    if (!w) snprintf(why, len, "weights are not constant");
    else if (w->dtype != VOCE_DTYPE_F32) snprintf(why, len, "weights are %s, not f32", voce_dtype_name(w->dtype));
    else if (w->rank != 2) snprintf(why, len, "weights have rank %d, not 2", w->rank);
    else return 1;
    return 0;
}

static int match_gemm_c(const vc_mgraph *g, const vc_node *n, vc_linear *l, char *why, size_t len)
{
    if (n->n_in < 3 || n->in[2] < 0) return 1;
    l->cv = vc_const_input(g, n, 2);
    int64_t cn = l->cv ? (int64_t)(l->cv->nbytes / sizeof(float)) : -1;
    int shape_ok = l->cv && (l->cv->rank <= 1 || (l->cv->rank == 2 && l->cv->dims[0] == 1));
    if (l->cv && l->cv->dtype == VOCE_DTYPE_F32 && shape_ok && (cn == l->N || cn == 1)) return 1;
    snprintf(why, len, "C is not a constant f32 vector of N = %lld values", (long long)l->N);
    return 0;
}

int vc_linear_match(const vc_mgraph *g, const vc_node *n, vc_linear *l, char *why, size_t len)
{
    int is_mm = !strcmp(n->op_type, "MatMul"), is_gemm = !strcmp(n->op_type, "Gemm");
    memset(l, 0, sizeof *l);
    snprintf(why, len, "%s", "");
    if (!is_mm && !is_gemm) return 0;
    if (is_gemm && vc_attr_int(n, "transA", 0)) {
        snprintf(why, len, "transA is set");
        return 0;
    }
    l->wv = vc_const_input(g, n, 1);
    if (!weights_ok(l->wv, why, len)) return 0;
    l->trans_b = is_gemm && vc_attr_int(n, "transB", 0) != 0;
    l->N = l->wv->dims[l->trans_b ? 0 : 1];
    l->K = l->wv->dims[l->trans_b ? 1 : 0];
    l->alpha = is_gemm ? vc_attr_float(n, "alpha", 1.0f) : 1.0f;
    l->beta = is_gemm ? vc_attr_float(n, "beta", 1.0f) : 0.0f;
    return is_mm || match_gemm_c(g, n, l, why, len);
}

void vc_linear_weights(const vc_linear *l, float *W, float *bias)
{
    const float *B = l->wv->data;
    for (int64_t n = 0; W && n < l->N; n++)
        for (int64_t k = 0; k < l->K; k++)
            W[n * l->K + k] = l->alpha * (l->trans_b ? B[n * l->K + k] : B[k * l->N + n]);
    if (!l->cv || !bias) return;
    const float *C = l->cv->data;
    int64_t cn = (int64_t)(l->cv->nbytes / sizeof(float));
    for (int64_t n = 0; n < l->N; n++) bias[n] = l->beta * C[cn == 1 ? 0 : n];
}

/* ---- the pass ---- */

int vc_only_reader(const vc_mgraph *g, int gi, int v)
{
    int found = -1, count = 0;
    for (int h = 0; h < g->n_graphs; h++) {
        const vc_graph *gr = &g->graphs[h];
        for (int k = 0; k < gr->n_out; k++) count += gr->out[k] == v;
        for (int i = 0; i < gr->n_nodes; i++)
            for (int k = 0; k < gr->nodes[i].n_in; k++)
                if (gr->nodes[i].in[k] == v) {
                    count++;
                    if (h == gi) found = i;
                }
    }
    return count == 1 ? found : -1;
}

/* Is node a (an Add) y + c with c a constant f32 of N values along the last dim of y?
 * A vector c ([N]) never changes y's shape, whose rank (at least 1 after a product) may
 * not be known yet: exporters with dynamic time axes write nn.Linear's bias that way. A
 * c of higher rank ([1, 1, N]) must not broadcast y to more dims. */
static const vc_value *bias_of_add(const vc_mgraph *g, const vc_node *a, int y, int64_t N)
{
    if (strcmp(a->op_type, "Add") || a->n_in != 2) return NULL;
    const vc_value *c = vc_const_input(g, a, a->in[0] == y ? 1 : 0);
    const vc_value *yv = &g->values[y];
    if (!c || c->dtype != VOCE_DTYPE_F32 || c->rank < 1) return NULL;
    if (c->rank > 1 && yv->rank < c->rank) return NULL;
    if (c->dims[c->rank - 1] != N || (int64_t)(c->nbytes / sizeof(float)) != N) return NULL;
    return c;
}

int vc_add_const(vc_mgraph *g, const char *base, const char *suffix, voce_dtype dt, int rank,
                 const int64_t *dims, void *data)
{
    char name[512];
    snprintf(name, sizeof name, "%s%s", base, suffix);
    int v = vc_mgraph_add_value(g, name, VC_VAL_CONST, 0);
    if (v < 0) return -1;
    vc_value *val = &g->values[v];
    val->dtype = dt;
    val->rank = rank;
    uint64_t count = 1;
    for (int d = 0; d < rank; d++) count *= (uint64_t)(val->dims[d] = dims[d]);
    val->data = data;
    val->nbytes = count * voce_dtype_size(dt);
    return v;
}

/* Rewrite node (gi, i) = l, with its Add reader (index add, or -1) folded in. */
static voce_status rewrite(vc_mgraph *g, int gi, int i, const vc_linear *l, int add,
                           const vc_value *extra)
{
    int has_bias = l->cv || extra;
    /* weights already stored [N, K] and not scaled are used as they are: a tied
     * embedding read by a Gather as well stays one copy */
    int same = l->trans_b && l->alpha == 1.0f;
    float *W = same ? NULL : vc_pool_alloc_aligned(&g->pool, sizeof(float) * (size_t)(l->N * l->K), 64);
    float *bias = has_bias ? vc_pool_alloc_aligned(&g->pool, sizeof(float) * (size_t)l->N, 64) : NULL;
    int32_t *in = vc_pool_alloc(&g->pool, sizeof(int32_t) * 3);
    if ((!same && !W) || (has_bias && !bias) || !in) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    vc_linear_weights(l, W, bias);
    for (int64_t n = 0; extra && n < l->N; n++)
        bias[n] = (l->cv ? bias[n] : 0.0f) + ((const float *)extra->data)[n];
    const char *base = l->wv->name && *l->wv->name ? l->wv->name : "w";
    int64_t wd[2] = {l->N, l->K};
    int vw = same ? (int)(l->wv - g->values) : vc_add_const(g, base, ".nk", VOCE_DTYPE_F32, 2, wd, W);
    int vb = has_bias ? vc_add_const(g, base, ".bias", VOCE_DTYPE_F32, 1, &l->N, bias) : -1;
    if (vw < 0 || (has_bias && vb < 0)) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    vc_node *mm = &g->graphs[gi].nodes[i];
    vc_node *n = add >= 0 ? &g->graphs[gi].nodes[add] : mm;
    in[0] = mm->in[0];
    in[1] = vw;
    in[2] = vb;
    n->in = in;
    n->n_in = vb >= 0 ? 3 : 2;
    n->n_attr = 0;
    n->attr = NULL;
    n->op_type = "voce:Linear";
    n->op = vc_op_find(n->op_type);
    n->opset = 1;
    return VOCE_OK;
}

int vc_linear_bias_add(const vc_mgraph *g, int gi, int i, int64_t N, const vc_value **bias)
{
    int y = g->graphs[gi].nodes[i].out[0], add = vc_only_reader(g, gi, y);
    *bias = add > i ? bias_of_add(g, &g->graphs[gi].nodes[add], y, N) : NULL;
    return *bias ? add : -1;
}

static voce_status visit(vc_mgraph *g, int gi, int i)
{
    vc_linear l;
    char why[160];
    const vc_value *extra;
    if (!vc_linear_match(g, &g->graphs[gi].nodes[i], &l, why, sizeof why)) return VOCE_OK;
    int add = vc_linear_bias_add(g, gi, i, l.N, &extra);
    return rewrite(g, gi, i, &l, add, extra);
}

voce_status vc_pass_linear(vc_mgraph *g)
{
    voce_status st = VOCE_OK;
    for (int gi = 0; gi < g->n_graphs && !st; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes && !st; i++) st = visit(g, gi, i);
    return st;
}
