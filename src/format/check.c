/* Structural check of a method (vc_mgraph), run by the writer on what the compiler
 * hands it and by the reader on what it parsed, so both accept the same set.
 *
 * It checks indices, kinds, dtypes, shapes, the graph tree, who produces each value and
 * the order in which values are read. It does not look at bytes in a file (the reader's
 * job before calling this) nor at op semantics (the ops' infer functions do that).
 * Cost: linear in the method size times the nesting depth (at most VC_FMT_MAX_DEPTH).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../runtime/op.h"
#include "format_int.h"

typedef struct checker {
    const vc_mgraph *g;
    voce_status err;
    int *owner;             /* per graph: node of the parent graph holding it, -1 none */
    unsigned char *flags;   /* per value: FL_* */
} checker;

enum { FL_PRODUCED = 1, FL_LISTED_INPUT = 2 };

static const char *str_or_empty(const char *s) { return s ? s : ""; }

static voce_status fail_method(const checker *c, const char *fmt, ...) VC_PRINTF(2, 3);
static voce_status fail_method(const checker *c, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vc_error(c->err, "method '%s': %s", str_or_empty(c->g->name), msg);
}

static voce_status fail_value(const checker *c, int v, const char *fmt, ...) VC_PRINTF(3, 4);
static voce_status fail_value(const checker *c, int v, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vc_error(c->err, "method '%s' value %d ('%s'): %s", str_or_empty(c->g->name), v,
                    str_or_empty(c->g->values[v].name), msg);
}

static voce_status fail_node(const checker *c, int gi, int k, const char *fmt, ...)
    VC_PRINTF(4, 5);
static voce_status fail_node(const checker *c, int gi, int k, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vc_error(c->err, "method '%s' graph %d node %d ('%s'): %s",
                    str_or_empty(c->g->name), gi, k,
                    str_or_empty(c->g->graphs[gi].nodes[k].name), msg);
}

voce_status vc_format_unknown_op(const vc_mgraph *g, int graph, int node)
{
    const vc_node *n = &g->graphs[graph].nodes[node];
    return vc_error(VOCE_ERR_UNSUPPORTED,
                    "method '%s' node '%s': unknown op '%s' (this build has no kernel for it)",
                    str_or_empty(g->name), str_or_empty(n->name), str_or_empty(n->op_type));
}

/* Graph 0 is the root; every other graph nests in an earlier one, which rules out
 * cycles. Depth is bounded so that scope walks stay cheap. */
static voce_status check_tree(const checker *c, int *depth)
{
    const vc_mgraph *g = c->g;
    if (g->n_graphs < 1) return fail_method(c, "has no graphs");
    if (g->graphs[0].parent != -1)
        return fail_method(c, "graph 0 has parent %d (must be -1)", g->graphs[0].parent);
    depth[0] = 0;
    for (int gi = 1; gi < g->n_graphs; gi++) {
        int p = g->graphs[gi].parent;
        if (p < 0 || p >= gi)
            return fail_method(c, "graph %d has parent %d (must be in 0..%d)", gi, p, gi - 1);
        depth[gi] = depth[p] + 1;
        if (depth[gi] > VC_FMT_MAX_DEPTH)
            return fail_method(c, "graph %d nests deeper than %d levels", gi, VC_FMT_MAX_DEPTH);
    }
    for (int gi = 0; gi < g->n_graphs; gi++) {
        const vc_graph *gr = &g->graphs[gi];
        if (gr->n_nodes < 0 || gr->n_in < 0 || gr->n_out < 0)
            return fail_method(c, "graph %d has a negative count", gi);
        if ((gr->n_nodes && !gr->nodes) || (gr->n_in && !gr->in) || (gr->n_out && !gr->out))
            return fail_method(c, "graph %d has a missing array", gi);
    }
    return VOCE_OK;
}

static int static_shape(const vc_value *v)
{
    if (v->rank < 0) return 0;
    for (int i = 0; i < v->rank; i++)
        if (v->dims[i] < 0) return 0;
    return 1;
}

static voce_status check_const(const checker *c, int vi)
{
    const vc_value *v = &c->g->values[vi];
    for (int i = 0; i < v->rank; i++)
        if (v->dims[i] < 0) return fail_value(c, vi, "constant has a free dimension");
    int64_t numel = vc_shape_numel(v->rank, v->dims);
    if (numel < 0) return fail_value(c, vi, "constant has too many elements");
    uint64_t want = (uint64_t)numel * voce_dtype_size(v->dtype);
    if (v->nbytes != want)
        return fail_value(c, vi, "constant has %llu bytes, its shape needs %llu",
                          (unsigned long long)v->nbytes, (unsigned long long)want);
    if (!v->data && v->nbytes) return fail_value(c, vi, "constant has no data");
    return VOCE_OK;
}

static voce_status check_offset(const checker *c, int vi)
{
    const vc_value *v = &c->g->values[vi];
    if (v->offset < -1) return fail_value(c, vi, "arena offset %lld", (long long)v->offset);
    if (v->offset < 0) return VOCE_OK;
    size_t esize = voce_dtype_size(v->dtype);
    /* without a dtype the size is unknown, so a planned slot could not be checked */
    if (esize == 0)
        return fail_value(c, vi, "a value of unknown dtype cannot have an arena offset");
    /* kernels read typed elements, so a misaligned offset would be undefined behaviour */
    if ((uint64_t)v->offset % esize)
        return fail_value(c, vi, "arena offset %lld is not a multiple of the element size",
                          (long long)v->offset);
    uint64_t arena = c->g->graphs[v->graph].arena_size;
    if (arena == 0 || !static_shape(v)) return VOCE_OK;
    int64_t numel = vc_shape_numel(v->rank, v->dims);
    uint64_t nb = numel < 0 ? UINT64_MAX : (uint64_t)numel * esize;
    if ((uint64_t)v->offset > arena || nb > arena - (uint64_t)v->offset)
        return fail_value(c, vi, "arena range %lld + %llu exceeds the arena of %llu bytes",
                          (long long)v->offset, (unsigned long long)nb,
                          (unsigned long long)arena);
    return VOCE_OK;
}

static voce_status check_value(const checker *c, int vi)
{
    const vc_mgraph *g = c->g;
    const vc_value *v = &g->values[vi];
    if (v->kind != VC_VAL_INPUT && v->kind != VC_VAL_CONST && v->kind != VC_VAL_NODE)
        return fail_value(c, vi, "unknown kind %d", (int)v->kind);
    if (v->graph < 0 || v->graph >= g->n_graphs)
        return fail_value(c, vi, "graph %d does not exist", v->graph);
    /* a node output's dtype may be left to run time (0) when the compiler could not
     * infer it through dynamic shapes; everything else needs a known dtype */
    if (voce_dtype_size(v->dtype) == 0 &&
        !(v->kind == VC_VAL_NODE && v->dtype == VOCE_DTYPE_UNDEFINED))
        return fail_value(c, vi, "unknown dtype %d", (int)v->dtype);
    if (v->rank < -1 || v->rank > VOCE_MAX_RANK)
        return fail_value(c, vi, "rank %d (at most %d)", v->rank, VOCE_MAX_RANK);
    /* constants need a shape for their bytes; method inputs are checked against it */
    if (v->rank < 0 && (v->kind == VC_VAL_CONST || (v->kind == VC_VAL_INPUT && v->graph == 0)))
        return fail_value(c, vi, "%s has no rank", v->kind == VC_VAL_CONST ? "constant" : "input");
    for (int i = 0; i < v->rank; i++)
        if (v->dims[i] < -1)
            return fail_value(c, vi, "dimension %d is %lld", i, (long long)v->dims[i]);
    if (v->kind == VC_VAL_CONST) {
        voce_status st = check_const(c, vi);
        if (st) return st;
    }
    int n_nodes = g->graphs[v->graph].n_nodes;
    if (v->kind == VC_VAL_NODE ? (v->def_node < 0 || v->def_node >= n_nodes) : v->def_node != -1)
        return fail_value(c, vi, "def_node %d is not valid for this kind in graph %d (%d nodes)",
                          v->def_node, v->graph, n_nodes);
    if (v->last_use < -1 || v->last_use > n_nodes)
        return fail_value(c, vi, "last_use %d outside -1..%d", v->last_use, n_nodes);
    return check_offset(c, vi);
}

static voce_status check_attr(const checker *c, int gi, int k, const vc_attr *a)
{
    const vc_mgraph *g = c->g;
    const char *an = str_or_empty(a->name);
    if (!an[0]) return fail_node(c, gi, k, "attribute with an empty name");
    switch (a->type) {
    case VC_ATTR_INT: case VC_ATTR_FLOAT: return VOCE_OK;
    case VC_ATTR_STRING:
        return a->s ? VOCE_OK : fail_node(c, gi, k, "attribute '%s': no string", an);
    case VC_ATTR_INTS: case VC_ATTR_FLOATS: case VC_ATTR_STRINGS: {
        const void *arr = a->type == VC_ATTR_INTS ? (const void *)a->ints
                        : a->type == VC_ATTR_FLOATS ? (const void *)a->floats
                                                    : (const void *)a->strings;
        if (a->count < 0 || a->count > (int64_t)UINT32_MAX || (a->count && !arr))
            return fail_node(c, gi, k, "attribute '%s': bad array (count %lld)", an,
                             (long long)a->count);
        if (a->type == VC_ATTR_STRINGS)
            for (int64_t i = 0; i < a->count; i++)
                if (!a->strings[i]) return fail_node(c, gi, k, "attribute '%s': NULL string", an);
        return VOCE_OK;
    }
    case VC_ATTR_TENSOR: {
        const vc_tensor *t = &a->t;
        if (voce_dtype_size(t->dtype) == 0 || t->rank < 0 || t->rank > VOCE_MAX_RANK)
            return fail_node(c, gi, k, "attribute '%s': tensor dtype %d rank %d", an,
                             (int)t->dtype, t->rank);
        int64_t numel = vc_shape_numel(t->rank, t->dims);
        if (numel < 0) return fail_node(c, gi, k, "attribute '%s': bad tensor shape", an);
        if (numel && !t->data) return fail_node(c, gi, k, "attribute '%s': tensor has no data", an);
        return VOCE_OK;
    }
    case VC_ATTR_GRAPH: {
        int sub = a->graph;
        if (sub < 1 || sub >= g->n_graphs)
            return fail_node(c, gi, k, "attribute '%s': %d is not a subgraph index (1..%d)", an,
                             sub, g->n_graphs - 1);
        if (g->graphs[sub].parent != gi)
            return fail_node(c, gi, k, "attribute '%s': graph %d has parent %d, not %d", an,
                             sub, g->graphs[sub].parent, gi);
        if (c->owner[sub] >= 0)
            return fail_node(c, gi, k, "attribute '%s': graph %d is already used by node %d",
                             an, sub, c->owner[sub]);
        c->owner[sub] = k;
        return VOCE_OK;
    }
    }
    return fail_node(c, gi, k, "attribute '%s': unknown type %d", an, (int)a->type);
}

/* Node fields, attributes and outputs; inputs come later, once every producer is known. */
static voce_status check_node(const checker *c, int gi, int k, int check_ops)
{
    const vc_mgraph *g = c->g;
    const vc_node *n = &g->graphs[gi].nodes[k];
    if (!n->op_type || !n->op_type[0]) return fail_node(c, gi, k, "no op type");
    if (n->n_in < 0 || n->n_out < 0 || n->n_attr < 0)
        return fail_node(c, gi, k, "negative count");
    if ((n->n_in && !n->in) || (n->n_out && !n->out) || (n->n_attr && !n->attr))
        return fail_node(c, gi, k, "missing array");
    if (check_ops && !vc_op_find(n->op_type)) return vc_format_unknown_op(g, gi, k);
    for (int i = 0; i < n->n_attr; i++) {
        voce_status st = check_attr(c, gi, k, &n->attr[i]);
        if (st) return st;
    }
    for (int i = 0; i < n->n_out; i++) {
        int v = n->out[i];
        if (v < 0 || v >= g->n_values)
            return fail_node(c, gi, k, "output %d refers to value %d (of %d)", i, v, g->n_values);
        const vc_value *val = &g->values[v];
        if (val->kind != VC_VAL_NODE || val->graph != gi || val->def_node != k)
            return fail_node(c, gi, k, "output %d is value %d ('%s'), which is not declared "
                             "as produced by this node", i, v, str_or_empty(val->name));
        if (c->flags[v] & FL_PRODUCED)
            return fail_node(c, gi, k, "output %d: value %d ('%s') is produced twice", i, v,
                             str_or_empty(val->name));
        c->flags[v] |= FL_PRODUCED;
    }
    return VOCE_OK;
}

/* Can graph gi read value v at position pos (a node index; n_nodes for the graph's
 * outputs)? A value of an enclosing graph is read where the node owning the subgraph
 * runs, so a NODE value must come from an earlier node at that level. */
static const char *read_problem(const checker *c, int v, int gi, int pos)
{
    const vc_mgraph *g = c->g;
    const vc_value *val = &g->values[v];
    int x = gi;
    while (x != val->graph) {
        if (x == 0) return "is not visible from this graph";
        pos = c->owner[x];
        x = g->graphs[x].parent;
    }
    if (val->kind == VC_VAL_NODE && val->def_node >= pos)
        return "is produced by a later node (nodes must be in topological order)";
    return NULL;
}

static voce_status check_reads(const checker *c, int gi)
{
    const vc_mgraph *g = c->g;
    const vc_graph *gr = &g->graphs[gi];
    for (int k = 0; k < gr->n_nodes; k++) {
        const vc_node *n = &gr->nodes[k];
        for (int i = 0; i < n->n_in; i++) {
            int v = n->in[i];
            if (v == -1) continue;
            if (v < 0 || v >= g->n_values)
                return fail_node(c, gi, k, "input %d refers to value %d (of %d)", i, v,
                                 g->n_values);
            const char *why = read_problem(c, v, gi, k);
            if (why)
                return fail_node(c, gi, k, "input %d: value %d ('%s') %s", i, v,
                                 str_or_empty(g->values[v].name), why);
        }
    }
    for (int i = 0; i < gr->n_out; i++) {
        int v = gr->out[i];
        if (v < 0 || v >= g->n_values)
            return fail_method(c, "graph %d output %d refers to value %d (of %d)", gi, i, v,
                               g->n_values);
        const char *why = read_problem(c, v, gi, gr->n_nodes);
        if (why)
            return fail_method(c, "graph %d output %d: value %d ('%s') %s", gi, i, v,
                               str_or_empty(g->values[v].name), why);
    }
    return VOCE_OK;
}

static voce_status check_inputs(const checker *c, int gi)
{
    const vc_mgraph *g = c->g;
    const vc_graph *gr = &g->graphs[gi];
    for (int i = 0; i < gr->n_in; i++) {
        int v = gr->in[i];
        if (v < 0 || v >= g->n_values)
            return fail_method(c, "graph %d input %d refers to value %d (of %d)", gi, i, v,
                               g->n_values);
        if (g->values[v].kind != VC_VAL_INPUT || g->values[v].graph != gi)
            return fail_value(c, v, "listed as input %d of graph %d but is not an input of "
                              "that graph", i, gi);
        if (c->flags[v] & FL_LISTED_INPUT)
            return fail_value(c, v, "listed twice as an input of graph %d", gi);
        c->flags[v] |= FL_LISTED_INPUT;
    }
    return VOCE_OK;
}

static voce_status check_all(checker *c, int check_ops, int *depth)
{
    const vc_mgraph *g = c->g;
    voce_status st = check_tree(c, depth);
    for (int v = 0; !st && v < g->n_values; v++) st = check_value(c, v);
    for (int gi = 0; !st && gi < g->n_graphs; gi++)
        for (int k = 0; !st && k < g->graphs[gi].n_nodes; k++) st = check_node(c, gi, k, check_ops);
    for (int gi = 1; !st && gi < g->n_graphs; gi++)
        if (c->owner[gi] < 0) st = fail_method(c, "graph %d is not used by any node", gi);
    for (int gi = 0; !st && gi < g->n_graphs; gi++) st = check_inputs(c, gi);
    for (int v = 0; !st && v < g->n_values; v++) {
        const vc_value *val = &g->values[v];
        if (val->kind == VC_VAL_NODE && !(c->flags[v] & FL_PRODUCED))
            st = fail_value(c, v, "node %d of graph %d does not list it as an output",
                            val->def_node, val->graph);
        else if (val->kind == VC_VAL_INPUT && !(c->flags[v] & FL_LISTED_INPUT))
            st = fail_value(c, v, "input is not listed among the inputs of graph %d", val->graph);
    }
    for (int gi = 0; !st && gi < g->n_graphs; gi++) st = check_reads(c, gi);
    return st;
}

voce_status vc_format_check_method(const vc_mgraph *g, voce_status err, int check_ops)
{
    checker c = {g, err, NULL, NULL};
    if (!g->name || !g->name[0]) return vc_error(err, "a method has no name");
    if (g->n_values < 0 || g->n_graphs < 0 || (g->n_values && !g->values) ||
        (g->n_graphs && !g->graphs))
        return fail_method(&c, "bad value or graph array");
    size_t ng = (size_t)g->n_graphs, nv = (size_t)g->n_values;
    int *ints = malloc((2 * ng + 1) * sizeof(int));
    c.flags = calloc(nv + 1, 1);
    if (!ints || !c.flags) {
        free(ints);
        free(c.flags);
        return vc_error(VOCE_ERR_NOMEM, "method '%s': out of memory while checking", g->name);
    }
    c.owner = ints;
    for (size_t i = 0; i < ng; i++) c.owner[i] = -1;
    voce_status st = check_all(&c, check_ops, ints + ng);
    free(ints);
    free(c.flags);
    return st;
}
