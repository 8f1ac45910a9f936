/* Activations: the erf form of GELU that exporters spell out in five nodes becomes one
 * Gelu node, and an activation whose only input is a voce:Linear layer or a Conv is
 * folded into that layer (its `activation` attribute; src/kernels/ref/linear.c applies
 * it to each tile of the product while the tile is in cache, conv.c to each plane or
 * tile of the convolution, src/kernels/ref/conv_act.h). A Conv also takes a Clip with
 * constant bounds (activation "clip", activation_min / activation_max): the ReLU6 of
 * small CNNs, a separate pass over each feature map otherwise (20% of TinyVAD's time).
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
#include "../core/f16.h"
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

/* A fused activation: its name for the layer's attribute, and Clip's bounds. */
typedef struct act_spec {
    const char *name;
    int has_lo, has_hi;
    float lo, hi;
} act_spec;

/* Input k of Clip node n: absent (1, *has = 0), or a one-element f32 / f16 constant
 * (1, *has = 1, *v its value); else 0 (a bound computed at run time). */
static int clip_bound(const vc_mgraph *g, const vc_node *n, int k, int *has, float *v)
{
    *has = 0;
    if (k >= n->n_in || n->in[k] < 0) return 1;
    const vc_value *c = vc_const_input(g, n, k);
    if (!c || c->nbytes != voce_dtype_size(c->dtype)) return 0;
    if (c->dtype == VOCE_DTYPE_F32) {
        memcpy(v, c->data, sizeof *v);
    } else if (c->dtype == VOCE_DTYPE_F16) {
        uint16_t h;
        memcpy(&h, c->data, sizeof h);
        *v = vc_f16_to_f32(h);
    } else {
        return 0;
    }
    *has = 1;
    return 1;
}

/* Is Clip node n's output a clamp of its input 0 to constant bounds? (Bounds given as
 * attributes, before opset 11, are left to the Clip node.) */
static int clip_spec(const vc_mgraph *g, const vc_node *n, act_spec *a)
{
    if (!is_op(n, "Clip") || n->n_in < 1 || n->n_in > 3 || n->n_attr) return 0;
    if (!clip_bound(g, n, 1, &a->has_lo, &a->lo) || !clip_bound(g, n, 2, &a->has_hi, &a->hi))
        return 0;
    a->name = "clip";
    return 1;
}

/* Can layer l (a voce:Linear or a Conv) take activation a? Conv runs on f32 or f16 and
 * computes in f32, rounding once: a clamp to f16 bounds commutes with that rounding, so
 * Relu and Clip fold whatever the dtype; Gelu and SiLU (rounded between their nodes in
 * f16) fold only where the output is known to be f32: its dtype, or with dynamic shapes
 * (dtype not yet known) the constant weights', which Conv requires to match. */
static int layer_takes(const vc_mgraph *g, const vc_node *l, const act_spec *a)
{
    if (vc_attr_find(l, "activation")) return 0;
    if (is_op(l, "voce:Linear")) return strcmp(a->name, "clip") != 0;
    if (!is_op(l, "Conv") || l->n_in < 2) return 0;
    if (!strcmp(a->name, "clip") || !strcmp(a->name, "relu")) return 1;
    const vc_value *w = vc_const_input(g, l, 1);
    return g->values[l->out[0]].dtype == VOCE_DTYPE_F32 || (w && w->dtype == VOCE_DTYPE_F32);
}

/* The activation node i applies to a single voce:Linear or Conv: *a and the layer's
 * index, else 0. */
static int act_on_layer(const vc_mgraph *g, int gi, int i, int *lin, act_spec *a)
{
    const vc_node *n = &g->graphs[gi].nodes[i];
    const char *act = NULL;
    int y = n->n_in > 0 ? n->in[0] : -1;
    memset(a, 0, sizeof *a);
    if (y < 0) return 0;
    if (clip_spec(g, n, a)) act = a->name;
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
    a->name = act;
    if (!l || !layer_takes(g, l, a)) return 0;
    *lin = (int)(l - g->graphs[gi].nodes);
    /* y's readers: this node only, or for SiLU this node and its Sigmoid */
    int readers = 0;
    for (int h = 0; h < g->n_graphs; h++) {
        const vc_graph *gr = &g->graphs[h];
        for (int k = 0; k < gr->n_out; k++) readers += gr->out[k] == y ? 2 : 0;
        for (int q = 0; q < gr->n_nodes; q++)
            for (int k = 0; k < gr->nodes[q].n_in; k++) readers += gr->nodes[q].in[k] == y;
    }
    return readers == (strcmp(act, "silu") ? 1 : 2);
}

static void set_attr(vc_attr *a, const char *name, vc_attr_type type)
{
    memset(a, 0, sizeof *a);
    a->name = name;
    a->type = type;
}

/* Node i (the activation) becomes the layer with the layer's attributes and the
 * activation's; the old layer node is left without readers for dead-code elimination. */
static voce_status fold_act(vc_mgraph *g, int gi, int i, int lin, const act_spec *s)
{
    vc_node *n = &g->graphs[gi].nodes[i];
    const vc_node *l = &g->graphs[gi].nodes[lin];
    int na = l->n_attr;
    vc_attr *a = vc_pool_alloc(&g->pool, sizeof *a * (size_t)(na + 3));
    int32_t *in = vc_pool_alloc(&g->pool, sizeof *in * (size_t)(l->n_in ? l->n_in : 1));
    if (!a || !in) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (na) memcpy(a, l->attr, sizeof *a * (size_t)na);
    set_attr(&a[na], "activation", VC_ATTR_STRING);
    a[na++].s = s->name;
    if (s->has_lo) {
        set_attr(&a[na], "activation_min", VC_ATTR_FLOAT);
        a[na++].f = s->lo;
    }
    if (s->has_hi) {
        set_attr(&a[na], "activation_max", VC_ATTR_FLOAT);
        a[na++].f = s->hi;
    }
    memcpy(in, l->in, sizeof *in * (size_t)l->n_in);
    n->in = in;
    n->n_in = l->n_in;
    n->attr = a;
    n->n_attr = na;
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
            act_spec a;
            if (act_on_layer(g, gi, i, &lin, &a)) st = fold_act(g, gi, i, lin, &a);
        }
    return st;
}
