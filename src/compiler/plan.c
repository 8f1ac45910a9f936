/* Kernel lookup, and the memory plan written into the program: lifetimes of every
 * value and, where all shapes of a graph are static, arena offsets. The executor
 * plans again at run time from the same lifetimes when shapes are dynamic. */
#include <stdlib.h>

#include "../core/error.h"
#include "../runtime/memplan.h"
#include "../runtime/op.h"
#include "passes.h"

void vc_pass_resolve(vc_mgraph *g)
{
    for (int gi = 0; gi < g->n_graphs; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes; i++) {
            vc_node *n = &g->graphs[gi].nodes[i];
            n->op = vc_op_find(n->op_type);
        }
}

static int graph_static(const vc_mgraph *g, int gi)
{
    for (int v = 0; v < g->n_values; v++) {
        const vc_value *x = &g->values[v];
        if (x->graph != gi || x->kind != VC_VAL_NODE) continue;
        if (voce_dtype_size(x->dtype) == 0 || x->rank < 0) return 0;
        for (int d = 0; d < x->rank; d++)
            if (x->dims[d] < 0) return 0;
    }
    return 1;
}

/* Arena offsets for graph gi, whose shapes are all static. */
static voce_status plan_static(vc_mgraph *g, int gi, const int32_t *root, const int32_t *last)
{
    int n = 0;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].graph == gi && g->values[v].kind == VC_VAL_NODE) n++;
    vc_live *items = malloc(sizeof *items * (size_t)(n + 1));
    uint64_t *offs = malloc(sizeof *offs * (size_t)(n + 1));
    int *which = malloc(sizeof *which * (size_t)(n + 1));
    if (!items || !offs || !which) {
        free(items); free(offs); free(which);
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    int k = 0;
    for (int v = 0; v < g->n_values; v++) {
        vc_value *x = &g->values[v];
        if (x->graph != gi || x->kind != VC_VAL_NODE) continue;
        vc_tensor t;
        vc_value_tensor(x, &t);
        items[k].size = root[v] == v ? vc_nbytes(&t) : 0;
        items[k].first = x->def_node;
        items[k].last = last[v] < x->def_node ? x->def_node : last[v];
        which[k++] = v;
    }
    uint64_t total = vc_memplan(items, n, offs);
    voce_status st = VOCE_OK;
    if (total == UINT64_MAX) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n && !st; i++)
        if (root[which[i]] == which[i]) g->values[which[i]].offset = (int64_t)offs[i];
    /* views share their owner's bytes; a view of an input, constant or outer value
     * owns no arena bytes (its owner's offset is -1) */
    for (int i = 0; i < n && !st; i++) {
        int v = which[i];
        if (root[v] != v) g->values[v].offset = g->values[root[v]].graph == gi ? g->values[root[v]].offset : -1;
    }
    g->graphs[gi].arena_size = total ? total : 64;
    free(items); free(offs); free(which);
    return st;
}

voce_status vc_pass_plan(vc_mgraph *g)
{
    int32_t *root = malloc(sizeof *root * (size_t)(g->n_values + 1));
    int32_t *last = malloc(sizeof *last * (size_t)(g->n_values + 1));
    if (!root || !last) {
        free(root); free(last);
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    for (int v = 0; v < g->n_values; v++) {
        root[v] = v;
        last[v] = -1;
        g->values[v].offset = -1;
    }
    for (int gi = 0; gi < g->n_graphs; gi++) {
        vc_alias_roots(g, gi, root);
        vc_compute_last_use(g, gi, last);
    }
    for (int v = 0; v < g->n_values; v++) g->values[v].last_use = last[v];
    /* a view keeps its owner alive as long as the view is read */
    for (int v = 0; v < g->n_values; v++) {
        int r = root[v];
        if (r != v && g->values[r].graph == g->values[v].graph && last[v] > last[r]) last[r] = last[v];
    }
    voce_status st = VOCE_OK;
    for (int gi = 0; gi < g->n_graphs && !st; gi++) {
        g->graphs[gi].arena_size = 0;
        if (graph_static(g, gi)) st = plan_static(g, gi, root, last);
    }
    free(root);
    free(last);
    return st;
}
