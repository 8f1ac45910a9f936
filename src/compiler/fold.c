/* The forward sweep: static shape inference, constant folding, If inlining.
 *
 * Nodes are taken from a work list in order. A node whose inputs are all constants is
 * run now with the reference kernel and its outputs become constants. Shape and Size
 * of a statically shaped value fold too. An If whose condition is constant is replaced
 * by the nodes of the chosen branch, which then go through the same sweep. Any other
 * node gets static output shapes when its input shapes are all known.
 *
 * Limits: a folded output larger than VC_FOLD_MAX_BYTES stays a node (so that a model
 * does not balloon into a huge file). */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../runtime/op.h"
#include "passes.h"

#define VC_FOLD_MAX_BYTES ((uint64_t)64 << 20)

typedef struct {
    vc_node *items;
    int n, cap;
} node_list;

static int list_push(node_list *l, const vc_node *n)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        vc_node *p = realloc(l->items, sizeof *p * (size_t)cap);
        if (!p) return -1;
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n++] = *n;
    return 0;
}

static int value_static(const vc_value *v)
{
    if (voce_dtype_size(v->dtype) == 0 || v->rank < 0) return 0;
    for (int d = 0; d < v->rank; d++)
        if (v->dims[d] < 0) return 0;
    return 1;
}

/* Inputs as tensors; data only for constants. Returns 1 if every present input has a
 * static shape; *all_const says whether every present input is a constant. */
static int gather(const vc_mgraph *g, const vc_node *n, vc_tensor *buf, vc_tensor **in, int *all_const)
{
    int known = 1;
    *all_const = 1;
    for (int k = 0; k < n->n_in; k++) {
        if (n->in[k] < 0) { in[k] = NULL; continue; }
        const vc_value *v = &g->values[n->in[k]];
        vc_value_tensor(v, &buf[k]);
        if (v->kind != VC_VAL_CONST) { buf[k].data = NULL; *all_const = 0; }
        in[k] = &buf[k];
        if (!value_static(v)) known = 0;
    }
    return known;
}

static void set_value_shape(vc_value *v, const vc_tensor *t)
{
    v->dtype = t->dtype;
    v->rank = t->rank;
    for (int d = 0; d < VOCE_MAX_RANK; d++) {
        v->dims[d] = d < t->rank ? t->dims[d] : -1;
        if (d < t->rank) v->dim_names[d] = NULL;
    }
}

/* Run n on constant inputs and make its outputs constants. Returns 1 if folded. */
static int try_fold(vc_mgraph *g, const vc_node *n, vc_tensor **in, vc_tensor *out)
{
    if (n->op->infer(n, in, out) != VOCE_OK) { vc_error_clear(); return 0; }
    for (int k = 0; k < n->n_out; k++)
        if (vc_numel(&out[k]) < 0 || vc_nbytes(&out[k]) > VC_FOLD_MAX_BYTES) return 0;
    for (int k = 0; k < n->n_out; k++) {
        out[k].data = vc_pool_alloc_aligned(&g->pool, vc_nbytes(&out[k]) + 1, 64);
        if (!out[k].data) return 0;
    }
    if (n->op->flags & VC_OP_ALIAS) {
        if (vc_nbytes(&out[0])) memcpy(out[0].data, in[0]->data, vc_nbytes(&out[0]));
    } else {
        size_t need = n->op->scratch ? n->op->scratch(n, in, out) : 0;
        void *scratch = need ? aligned_alloc(64, (need + 63) & ~(size_t)63) : NULL;
        vc_ctx ctx = {scratch, need, NULL, NULL, NULL};
        voce_status st = need && !scratch ? VOCE_ERR_NOMEM : n->op->run(n, in, out, &ctx);
        free(scratch);
        if (st != VOCE_OK) { vc_error_clear(); return 0; }
    }
    for (int k = 0; k < n->n_out; k++) {
        vc_value *v = &g->values[n->out[k]];
        set_value_shape(v, &out[k]);
        v->kind = VC_VAL_CONST;
        v->data = out[k].data;
        v->nbytes = vc_nbytes(&out[k]);
        v->def_node = -1;
    }
    return 1;
}

/* Replace every use and definition of value `from` by `to` in all graphs. */
static void replace_value(vc_mgraph *g, int from, int to)
{
    for (int gi = 0; gi < g->n_graphs; gi++) {
        vc_graph *gr = &g->graphs[gi];
        for (int i = 0; i < gr->n_nodes; i++) {
            vc_node *n = &gr->nodes[i];
            for (int k = 0; k < n->n_in; k++) if (n->in[k] == from) n->in[k] = to;
            for (int k = 0; k < n->n_out; k++) if (n->out[k] == from) n->out[k] = to;
        }
        for (int k = 0; k < gr->n_out; k++) if (gr->out[k] == from) gr->out[k] = to;
    }
}

static voce_status make_identity(vc_mgraph *g, int src, int dst, const char *name, vc_node *out)
{
    memset(out, 0, sizeof *out);
    out->op_type = "Identity";
    out->op = vc_op_find("Identity");
    out->name = name;
    out->in = vc_pool_alloc(&g->pool, sizeof(int32_t));
    out->out = vc_pool_alloc(&g->pool, sizeof(int32_t));
    if (!out->in || !out->out) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    out->n_in = out->n_out = 1;
    out->in[0] = src;
    out->out[0] = dst;
    out->opset = 13;
    return VOCE_OK;
}

/* Replace the If node n of graph gi (condition constant) by its branch: the branch's
 * nodes plus Identity nodes, pushed to `todo` in front of the nodes still pending. */
static voce_status inline_if(vc_mgraph *g, int gi, const vc_node *n, int take_then, node_list *todo)
{
    const vc_attr *a = vc_attr_find(n, take_then ? "then_branch" : "else_branch");
    if (!a || a->type != VC_ATTR_GRAPH) return vc_node_error(n, VOCE_ERR_FORMAT, "branch is missing");
    int b = a->graph;
    vc_graph *bg = &g->graphs[b];
    if (bg->n_out != n->n_out)
        return vc_node_error(n, VOCE_ERR_FORMAT, "branch has %d outputs, node has %d", bg->n_out, n->n_out);
    node_list extra = {0};
    voce_status st = VOCE_OK;
    for (int k = 0; k < n->n_out && !st; k++) {
        int bo = bg->out[k], io = n->out[k];
        int renamed = 0;
        if (g->values[bo].graph == b && g->values[bo].kind == VC_VAL_NODE) {
            int dup = 0;
            for (int j = 0; j < k; j++) dup |= bg->out[j] == bo;
            if (!dup) { replace_value(g, bo, io); renamed = 1; }
        }
        if (!renamed) {
            vc_node id;
            st = make_identity(g, bo, io, n->name, &id);
            if (!st && list_push(&extra, &id)) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
        }
    }
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].graph == b) g->values[v].graph = gi;
    for (int x = 0; x < g->n_graphs; x++)
        if (g->graphs[x].parent == b) g->graphs[x].parent = gi;
    /* new work list: branch nodes, identities, then what was pending */
    node_list next = {0};
    for (int i = 0; i < bg->n_nodes && !st; i++)
        if (list_push(&next, &bg->nodes[i])) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < extra.n && !st; i++)
        if (list_push(&next, &extra.items[i])) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < todo->n && !st; i++)
        if (list_push(&next, &todo->items[i])) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    free(extra.items);
    if (st) { free(next.items); return st; }
    bg->n_nodes = 0; /* the branch graph is now unreferenced; compaction drops it */
    free(todo->items);
    *todo = next;
    return VOCE_OK;
}

/* Shape / Size of a value whose shape is static: computed here, no kernel needed. */
static int fold_shape_op(vc_mgraph *g, const vc_node *n)
{
    const vc_value *x = &g->values[n->in[0]];
    int64_t vals[VOCE_MAX_RANK];
    int count = 0, is_size = !strcmp(n->op_type, "Size");
    if (is_size) {
        vals[0] = vc_shape_numel(x->rank, x->dims);
        count = 1;
    } else {
        int64_t start = vc_attr_int(n, "start", 0), end = vc_attr_int(n, "end", x->rank);
        if (start < 0) start += x->rank;
        if (end < 0) end += x->rank;
        start = start < 0 ? 0 : start > x->rank ? x->rank : start;
        end = end < 0 ? 0 : end > x->rank ? x->rank : end;
        for (int64_t d = start; d < end; d++) vals[count++] = x->dims[d];
    }
    int64_t *data = vc_pool_alloc_aligned(&g->pool, sizeof(int64_t) * (size_t)(count + 1), 64);
    if (!data) return 0;
    memcpy(data, vals, sizeof(int64_t) * (size_t)count);
    vc_value *v = &g->values[n->out[0]];
    v->kind = VC_VAL_CONST;
    v->dtype = VOCE_DTYPE_I64;
    v->rank = is_size ? 0 : 1;
    v->dims[0] = count;
    v->data = data;
    v->nbytes = sizeof(int64_t) * (uint64_t)count;
    v->def_node = -1;
    return 1;
}

/* Fold, or infer static shapes for, one ordinary node. *drop is set when folded. */
static void sweep_node(vc_mgraph *g, const vc_node *n, int fold, vc_fold_stats *stats, int *drop)
{
    vc_tensor buf[64], *in[64], out[16];
    *drop = 0;
    if (!n->op || n->n_in > 64 || n->n_out > 16 || (n->op->flags & VC_OP_CONTROL)) return;
    int all_const;
    int known = gather(g, n, buf, in, &all_const);
    memset(out, 0, sizeof out);
    if (fold && all_const && !(n->op->flags & VC_OP_NO_FOLD)) {
        if (try_fold(g, n, in, out)) { stats->folded++; *drop = 1; return; }
        memset(out, 0, sizeof out);
    }
    int shape_op = !strcmp(n->op_type, "Shape") || !strcmp(n->op_type, "Size");
    if (fold && shape_op && n->n_in == 1 && n->n_out == 1 && in[0] && value_static(&g->values[n->in[0]]) &&
        fold_shape_op(g, n)) {
        stats->folded++;
        *drop = 1;
        return;
    }
    if (!known) return;
    if (n->op->infer(n, in, out) == VOCE_OK) {
        for (int k = 0; k < n->n_out; k++) set_value_shape(&g->values[n->out[k]], &out[k]);
    } else {
        vc_error_clear();
    }
}

/* Is n an If whose condition is a constant? Sets *take_then. */
static int const_if(const vc_mgraph *g, const vc_node *n, int *take_then)
{
    if (strcmp(n->op_type, "If") != 0 || n->n_in < 1 || n->in[0] < 0) return 0;
    const vc_value *c = &g->values[n->in[0]];
    if (c->kind != VC_VAL_CONST || c->nbytes == 0) return 0;
    vc_tensor t;
    vc_value_tensor(c, &t);
    if (vc_numel(&t) != 1) return 0;
    *take_then = vc_get_int(&t, 0) != 0;
    return 1;
}

voce_status vc_pass_fold(vc_mgraph *g, int gi, int fold, vc_fold_stats *stats)
{
    vc_graph *gr = &g->graphs[gi];
    node_list todo = {0}, kept = {0};
    voce_status st = VOCE_OK;
    for (int i = 0; i < gr->n_nodes && !st; i++)
        if (list_push(&todo, &gr->nodes[i])) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    int head = 0;
    while (!st && head < todo.n) {
        vc_node n = todo.items[head++];
        int take_then, drop = 0;
        if (fold && const_if(g, &n, &take_then)) {
            /* drop what was consumed so inline_if sees only the pending nodes */
            if (todo.n > head) memmove(todo.items, todo.items + head, sizeof(vc_node) * (size_t)(todo.n - head));
            todo.n -= head;
            head = 0;
            st = inline_if(g, gi, &n, take_then, &todo);
            stats->inlined_ifs++;
            continue;
        }
        if (n.op && (n.op->flags & VC_OP_CONTROL)) {
            for (int a = 0; a < n.n_attr && !st; a++)
                if (n.attr[a].type == VC_ATTR_GRAPH) st = vc_pass_fold(g, n.attr[a].graph, fold, stats);
        } else {
            sweep_node(g, &n, fold, stats, &drop);
        }
        if (!st && !drop && list_push(&kept, &n)) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    free(todo.items);
    if (st) {
        free(kept.items);
        return st;
    }
    gr = &g->graphs[gi];
    free(gr->nodes);
    gr->nodes = kept.items;
    gr->n_nodes = kept.n;
    gr->cap_nodes = kept.cap;
    return VOCE_OK;
}

/* Is value v an output of some graph (then it must keep its own identity)? */
static int is_graph_output(const vc_mgraph *g, int v)
{
    for (int gi = 0; gi < g->n_graphs; gi++)
        for (int k = 0; k < g->graphs[gi].n_out; k++)
            if (g->graphs[gi].out[k] == v) return 1;
    return 0;
}

/* Identity, and Cast to the dtype it already has, only rename a value: point the
 * readers at the source and drop the node. Views are free at run time, but every node
 * costs a dispatch, and per-window models like Silero have many of these. */
void vc_pass_simplify(vc_mgraph *g)
{
    for (int gi = 0; gi < g->n_graphs; gi++) {
        vc_graph *gr = &g->graphs[gi];
        int w = 0;
        for (int i = 0; i < gr->n_nodes; i++) {
            vc_node *n = &gr->nodes[i];
            int rename = n->n_in >= 1 && n->n_out == 1 && n->in[0] >= 0 && !is_graph_output(g, n->out[0]);
            if (rename && !strcmp(n->op_type, "Cast")) {
                const vc_value *src = &g->values[n->in[0]];
                rename = src->dtype != VOCE_DTYPE_UNDEFINED && src->dtype == (voce_dtype)vc_attr_int(n, "to", -1);
            } else if (rename) {
                rename = !strcmp(n->op_type, "Identity");
            }
            if (rename) {
                int from = n->out[0], to = n->in[0];
                for (int x = 0; x < g->n_graphs; x++)
                    for (int j = 0; j < g->graphs[x].n_nodes; j++) {
                        vc_node *m = &g->graphs[x].nodes[j];
                        for (int k = 0; k < m->n_in; k++)
                            if (m->in[k] == from) m->in[k] = to;
                    }
                continue;
            }
            gr->nodes[w++] = *n;
        }
        gr->n_nodes = w;
    }
}
