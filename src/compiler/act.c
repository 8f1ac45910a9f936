/* Activations: the erf form of GELU that exporters spell out in five nodes becomes one
 * Gelu node, and an activation whose only input is a voce:Linear layer is folded into
 * that layer (its `activation` attribute; src/kernels/ref/linear.c applies it to each
 * tile of the product while the tile is in cache).
 *
 * PyTorch writes nn.GELU() as  Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5), others
 * as  Mul(Mul(x, 0.5), Add(Erf(...), 1))  or with Mul(x, 1/sqrt 2); every form is matched.
 * Five passes over a [frames, 4 x width] activation cost about a third of the matrix
 * product that made it; the fused Gelu costs one, the fused layer none. */
#include <math.h>
#include <string.h>

#include "linear.h"
#include "passes.h"
#include "../core/error.h"
#include "../runtime/op.h"

static int is_op(const vc_node *n, const char *type) { return !strcmp(n->op_type, type); }

/* Is input k of n a one-element float constant equal to want (to float rounding)? */
static int const_is(const vc_mgraph *g, const vc_node *n, int k, double want)
{
    const vc_value *c = k < n->n_in ? vc_const_input(g, n, k) : NULL;
    double v;
    float f;
    if (!c || c->nbytes != voce_dtype_size(c->dtype)) return 0;
    if (c->dtype == VOCE_DTYPE_F32) memcpy(&f, c->data, sizeof f), v = f;
    else if (c->dtype == VOCE_DTYPE_F64) memcpy(&v, c->data, sizeof v);
    else return 0;
    return fabs(v - want) <= 1e-6 * fabs(want);
}

/* The node of graph gi producing value v, or NULL (a constant, an input). */
static const vc_node *producer(const vc_mgraph *g, int gi, int v)
{
    const vc_value *val = &g->values[v];
    return val->kind == VC_VAL_NODE && val->graph == gi && val->def_node >= 0
               ? &g->graphs[gi].nodes[val->def_node] : NULL;
}

/* Is value a (read only by the node at `reader`) = Add(Erf(x / sqrt 2), 1)? Its x, else -1. */
static int erf_half(const vc_mgraph *g, int gi, int a, int reader)
{
    const vc_node *add = producer(g, gi, a);
    if (!add || !is_op(add, "Add") || add->n_in != 2 || vc_only_reader(g, gi, a) != reader) return -1;
    int ke = const_is(g, add, 1, 1.0) ? 0 : const_is(g, add, 0, 1.0) ? 1 : -1;
    const vc_node *erf = ke >= 0 ? producer(g, gi, add->in[ke]) : NULL;
    if (!erf || !is_op(erf, "Erf") || vc_only_reader(g, gi, erf->out[0]) != add - g->graphs[gi].nodes)
        return -1;
    const vc_node *d = producer(g, gi, erf->in[0]);
    if (!d || d->n_in != 2 || vc_only_reader(g, gi, d->out[0]) != erf - g->graphs[gi].nodes) return -1;
    if (is_op(d, "Div") && const_is(g, d, 1, sqrt(2.0))) return d->in[0];
    if (is_op(d, "Mul") && const_is(g, d, 1, sqrt(0.5))) return d->in[0];
    if (is_op(d, "Mul") && const_is(g, d, 0, sqrt(0.5))) return d->in[1];
    return -1;
}

/* Node i of graph gi (a Mul) ends an erf GELU: the GELU's input, else -1. */
static int gelu_input(const vc_mgraph *g, int gi, int i)
{
    const vc_node *m2 = &g->graphs[gi].nodes[i];
    if (!is_op(m2, "Mul") || m2->n_in != 2) return -1;
    for (int k = 0; k < 2; k++) {
        const vc_node *m1 = producer(g, gi, m2->in[k]);
        if (!m1 || !is_op(m1, "Mul") || m1->n_in != 2 || vc_only_reader(g, gi, m1->out[0]) != i)
            continue;
        int j = (int)(m1 - g->graphs[gi].nodes);
        if (const_is(g, m2, 1 - k, 0.5)) { /* Mul(Mul(x, a), 0.5) */
            for (int q = 0; q < 2; q++)
                if (erf_half(g, gi, m1->in[q], j) == m1->in[1 - q]) return m1->in[1 - q];
        }
        for (int q = 0; q < 2; q++) /* Mul(Mul(x, 0.5), a) */
            if (const_is(g, m1, 1 - q, 0.5) && erf_half(g, gi, m2->in[1 - k], i) == m1->in[q])
                return m1->in[q];
    }
    return -1;
}

static voce_status make_gelu(vc_mgraph *g, int gi, int i, int x)
{
    vc_node *n = &g->graphs[gi].nodes[i];
    int32_t *in = vc_pool_alloc(&g->pool, sizeof *in);
    if (!in) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    in[0] = x;
    n->in = in;
    n->n_in = 1;
    n->n_attr = 0;
    n->attr = NULL;
    n->op_type = "Gelu";
    n->op = vc_op_find("Gelu");
    n->opset = 20;
    return VOCE_OK;
}

/* The activation node i applies to a single voce:Linear: its name for the layer's
 * attribute and the Linear's index, else NULL. */
static const char *act_on_linear(const vc_mgraph *g, int gi, int i, int *lin)
{
    const vc_node *n = &g->graphs[gi].nodes[i];
    const char *act = NULL;
    int y = n->in[0];
    if (is_op(n, "Relu") && n->n_in == 1) act = "relu";
    if (is_op(n, "Gelu") && n->n_in == 1 && !strcmp(vc_attr_string(n, "approximate", "none"), "none"))
        act = "gelu";
    if (is_op(n, "Mul") && n->n_in == 2) { /* Mul(y, Sigmoid(y)): SiLU */
        for (int k = 0; k < 2 && !act; k++) {
            const vc_node *s = producer(g, gi, n->in[k]);
            if (s && is_op(s, "Sigmoid") && s->in[0] == n->in[1 - k] &&
                vc_only_reader(g, gi, s->out[0]) == i) {
                act = "silu";
                y = n->in[1 - k];
            }
        }
    }
    const vc_node *l = act ? producer(g, gi, y) : NULL;
    if (!l || !is_op(l, "voce:Linear") || vc_attr_find(l, "activation")) return NULL;
    *lin = (int)(l - g->graphs[gi].nodes);
    /* y's readers: this node only, or for SiLU this node and its Sigmoid */
    int readers = 0;
    for (int h = 0; h < g->n_graphs; h++) {
        const vc_graph *gr = &g->graphs[h];
        for (int k = 0; k < gr->n_out; k++) readers += gr->out[k] == y ? 2 : 0;
        for (int q = 0; q < gr->n_nodes; q++)
            for (int k = 0; k < gr->nodes[q].n_in; k++) readers += gr->nodes[q].in[k] == y;
    }
    return readers == (strcmp(act, "silu") ? 1 : 2) ? act : NULL;
}

/* Node i (the activation) becomes the Linear layer with the activation; the old layer
 * node is left without readers for dead-code elimination. */
static voce_status fold_act(vc_mgraph *g, int gi, int i, int lin, const char *act)
{
    vc_node *n = &g->graphs[gi].nodes[i];
    const vc_node *l = &g->graphs[gi].nodes[lin];
    vc_attr *a = vc_pool_alloc(&g->pool, sizeof *a);
    int32_t *in = vc_pool_alloc(&g->pool, sizeof *in * (size_t)l->n_in);
    if (!a || !in) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    memset(a, 0, sizeof *a);
    a->name = "activation";
    a->type = VC_ATTR_STRING;
    a->s = act;
    memcpy(in, l->in, sizeof *in * (size_t)l->n_in);
    n->in = in;
    n->n_in = l->n_in;
    n->attr = a;
    n->n_attr = 1;
    n->op_type = l->op_type;
    n->op = l->op;
    n->opset = l->opset;
    return VOCE_OK;
}

voce_status vc_pass_gelu(vc_mgraph *g)
{
    voce_status st = VOCE_OK;
    for (int gi = 0; gi < g->n_graphs && !st; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes && !st; i++) {
            int x = gelu_input(g, gi, i);
            if (x >= 0) st = make_gelu(g, gi, i, x);
        }
    return st;
}

voce_status vc_pass_activation(vc_mgraph *g)
{
    voce_status st = VOCE_OK;
    for (int gi = 0; gi < g->n_graphs && !st; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes && !st; i++) {
            int lin;
            const char *act = act_on_linear(g, gi, i, &lin);
            if (act) st = fold_act(g, gi, i, lin, act);
        }
    return st;
}
