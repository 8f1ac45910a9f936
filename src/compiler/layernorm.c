/* LayerNormalization written out in nodes becomes one LayerNormalization node.
 *
 * ONNX had no LayerNormalization before opset 17, and exporters still spell
 * nn.LayerNorm(C) out over the last axis (Hugging Face / optimum's Whisper, among others):
 *
 *   m = ReduceMean(x)            d = Sub(x, m)          v = ReduceMean(Pow(d, 2))
 *   y = Div(d, Sqrt(Add(v, eps)))   z = Add(Mul(y, gamma), beta)
 *
 * (ReduceMean over the last axis, keepdims; Pow(d, 2) or Mul(d, d); the Mul and Add in
 * either operand order; beta may be absent). Nine passes over a [frames, width]
 * activation become one, which keeps each row in cache. Every intermediate must be read
 * by the pattern alone, gamma and beta must be constant f32 vectors (a vector of more
 * than one element broadcasts only along a last axis of its length, so the fused node
 * accepts exactly the inputs the nodes did), and eps a constant scalar.
 *
 * The fused kernel computes the same quantities (mean, mean of squared deviations, eps
 * added, square root) in one pass per row with its own summation order: results agree
 * with the nodes to float rounding, not bit for bit. */
#include <string.h>

#include "linear.h"
#include "passes.h"
#include "../core/error.h"
#include "../runtime/op.h"

static int is_op(const vc_node *n, const char *type) { return n && !strcmp(n->op_type, type); }

static const vc_node *producer(const vc_mgraph *g, int gi, int v)
{
    const vc_value *val = v >= 0 ? &g->values[v] : NULL;
    return val && val->kind == VC_VAL_NODE && val->graph == gi && val->def_node >= 0
               ? &g->graphs[gi].nodes[val->def_node] : NULL;
}

static int index_of(const vc_mgraph *g, int gi, const vc_node *n)
{
    return (int)(n - g->graphs[gi].nodes);
}

/* Is n's output read by node `reader` alone? */
static int only_for(const vc_mgraph *g, int gi, const vc_node *n, const vc_node *reader)
{
    return vc_only_reader(g, gi, n->out[0]) == index_of(g, gi, reader);
}

/* Is input k of n a one-element f32 or f64 constant? Its value into *out. */
static int const_scalar(const vc_mgraph *g, const vc_node *n, int k, double *out)
{
    const vc_value *c = vc_const_input(g, n, k);
    if (!c || c->nbytes != voce_dtype_size(c->dtype)) return 0;
    if (c->dtype == VOCE_DTYPE_F32) {
        float f;
        memcpy(&f, c->data, sizeof f);
        *out = f;
        return 1;
    }
    if (c->dtype != VOCE_DTYPE_F64) return 0;
    memcpy(out, c->data, sizeof *out);
    return 1;
}

/* ReduceMean of x over its last axis, keeping it: the axes as attribute (opset < 18) or
 * constant input 1, given as -1 or as rank - 1 where x's rank is known. */
static int mean_of_last(const vc_mgraph *g, const vc_node *n)
{
    if (!is_op(n, "ReduceMean") || vc_attr_int(n, "keepdims", 1) != 1) return 0;
    int64_t count = 0, axis;
    const int64_t *attr = vc_attr_ints(n, "axes", &count);
    const vc_value *c = n->n_in > 1 ? vc_const_input(g, n, 1) : NULL;
    if (c && c->dtype == VOCE_DTYPE_I64 && c->nbytes == sizeof axis) {
        memcpy(&axis, c->data, sizeof axis);
    } else if (n->n_in == 1 && attr && count == 1) {
        axis = attr[0];
    } else {
        return 0;
    }
    int rank = g->values[n->in[0]].rank;
    return axis == -1 || (rank > 0 && axis == rank - 1);
}

/* A constant f32 vector of more than one element (or of the known last dim of x). */
static const vc_value *param_vector(const vc_mgraph *g, const vc_node *n, int k, int x)
{
    const vc_value *c = vc_const_input(g, n, k);
    if (!c || c->dtype != VOCE_DTYPE_F32 || c->rank != 1) return NULL;
    const vc_value *xv = &g->values[x];
    int64_t last = xv->rank > 0 ? xv->dims[xv->rank - 1] : -1;
    return (last > 0 ? c->dims[0] == last : c->dims[0] > 1) ? c : NULL;
}

typedef struct ln_match {
    int x, gamma, beta;         /* values; beta -1 when absent */
    double eps;
    int last;                   /* the node that becomes LayerNormalization */
} ln_match;

/* y = Div(d, Sqrt(Add(ReduceMean(Pow(d, 2)), eps))) with d = Sub(x, ReduceMean(x)):
 * fills x and eps from node div. */
static int normalized(const vc_mgraph *g, int gi, const vc_node *div, ln_match *m)
{
    if (!is_op(div, "Div") || div->n_in != 2) return 0;
    const vc_node *sq = producer(g, gi, div->in[1]), *sub = producer(g, gi, div->in[0]);
    if (!is_op(sq, "Sqrt") || !only_for(g, gi, sq, div) || !is_op(sub, "Sub")) return 0;
    const vc_node *add = producer(g, gi, sq->in[0]);
    if (!is_op(add, "Add") || add->n_in != 2 || !only_for(g, gi, add, sq)) return 0;
    int ke = const_scalar(g, add, 1, &m->eps) ? 1 : const_scalar(g, add, 0, &m->eps) ? 0 : -1;
    const vc_node *var = ke >= 0 ? producer(g, gi, add->in[1 - ke]) : NULL;
    if (!mean_of_last(g, var) || !only_for(g, gi, var, add)) return 0;
    const vc_node *sqr = producer(g, gi, var->in[0]);
    double two = 0;
    int squares = (is_op(sqr, "Pow") && const_scalar(g, sqr, 1, &two) && two == 2.0) ||
                  (is_op(sqr, "Mul") && sqr->n_in == 2 && sqr->in[0] == sqr->in[1]);
    if (!squares || sqr->in[0] != sub->out[0] || !only_for(g, gi, sqr, var)) return 0;
    /* d is read by the square and the Div only (any graph's output counts as more) */
    int readers = 0;
    for (int h = 0; h < g->n_graphs; h++) {
        const vc_graph *gr = &g->graphs[h];
        for (int q = 0; q < gr->n_nodes; q++)
            for (int k = 0; k < gr->nodes[q].n_in; k++) readers += gr->nodes[q].in[k] == sub->out[0];
        for (int k = 0; k < gr->n_out; k++) readers += gr->out[k] == sub->out[0] ? 9 : 0;
    }
    if (readers != (is_op(sqr, "Mul") ? 3 : 2) || sub->n_in != 2) return 0;
    const vc_node *mean = producer(g, gi, sub->in[1]);
    if (!mean_of_last(g, mean) || mean->in[0] != sub->in[0] || !only_for(g, gi, mean, sub)) return 0;
    m->x = sub->in[0];
    return 1;
}

/* Node i is a Div that normalizes, read by Mul(., gamma), read by Add(., beta) or not. */
static int match(const vc_mgraph *g, int gi, int i, ln_match *m)
{
    const vc_graph *gr = &g->graphs[gi];
    const vc_node *div = &gr->nodes[i];
    memset(m, 0, sizeof *m);
    if (!normalized(g, gi, div, m)) return 0;
    int r = vc_only_reader(g, gi, div->out[0]);
    const vc_node *mul = r > i ? &gr->nodes[r] : NULL;
    if (!is_op(mul, "Mul") || mul->n_in != 2) return 0;
    int kg = mul->in[0] == div->out[0] ? 1 : 0;
    if (!param_vector(g, mul, kg, m->x)) return 0;
    m->gamma = mul->in[kg];
    m->beta = -1;
    m->last = r;
    int ra = vc_only_reader(g, gi, mul->out[0]);
    const vc_node *add = ra > r ? &gr->nodes[ra] : NULL;
    if (is_op(add, "Add") && add->n_in == 2) {
        int kb = add->in[0] == mul->out[0] ? 1 : 0;
        if (param_vector(g, add, kb, m->x)) {
            m->beta = add->in[kb];
            m->last = ra;
        }
    }
    return 1;
}

static voce_status rewrite(vc_mgraph *g, int gi, const ln_match *m)
{
    vc_node *n = &g->graphs[gi].nodes[m->last];
    int32_t *in = vc_pool_alloc(&g->pool, sizeof *in * 3);
    vc_attr *a = vc_pool_alloc(&g->pool, sizeof *a * 2);
    if (!in || !a) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    in[0] = m->x;
    in[1] = m->gamma;
    in[2] = m->beta;
    memset(a, 0, sizeof *a * 2);
    a[0].name = "axis";
    a[0].type = VC_ATTR_INT;
    a[0].i = -1;
    a[1].name = "epsilon";
    a[1].type = VC_ATTR_FLOAT;
    a[1].f = (float)m->eps;
    n->in = in;
    n->n_in = m->beta >= 0 ? 3 : 2;
    n->attr = a;
    n->n_attr = 2;
    n->op_type = "LayerNormalization";
    n->op = vc_op_find(n->op_type);
    n->opset = 17;
    return VOCE_OK;
}

voce_status vc_pass_layernorm(vc_mgraph *g)
{
    voce_status st = VOCE_OK;
    for (int gi = 0; gi < g->n_graphs && !st; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes && !st; i++) {
            ln_match m;
            if (match(g, gi, i, &m)) st = rewrite(g, gi, &m);
        }
    return st;
}
