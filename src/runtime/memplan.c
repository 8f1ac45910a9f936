/* Arena placement from lifetimes (greedy by size) and the lifetime analysis behind it. */
#include "memplan.h"

#include <stdlib.h>

#include "op.h"

#define VC_ARENA_ALIGN 64

typedef struct {
    uint64_t size;
    int idx;
} by_size;

static int cmp_size_desc(const void *a, const void *b)
{
    const by_size *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->idx - y->idx;
}

typedef struct {
    uint64_t lo, hi;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

uint64_t vc_memplan(const vc_live *items, int n, uint64_t *offsets)
{
    by_size *order = malloc(sizeof *order * (size_t)(n ? n : 1));
    span *busy = malloc(sizeof *busy * (size_t)(n ? n : 1));
    char *placed = calloc((size_t)(n ? n : 1), 1);
    if (!order || !busy || !placed) {
        free(order); free(busy); free(placed);
        return UINT64_MAX;
    }
    for (int i = 0; i < n; i++) {
        order[i].size = (items[i].size + VC_ARENA_ALIGN - 1) & ~(uint64_t)(VC_ARENA_ALIGN - 1);
        order[i].idx = i;
    }
    qsort(order, (size_t)n, sizeof *order, cmp_size_desc);
    uint64_t total = 0;
    for (int k = 0; k < n; k++) {
        int i = order[k].idx;
        uint64_t size = order[k].size;
        offsets[i] = 0;
        if (size == 0) continue;
        int nb = 0;
        for (int j = 0; j < n; j++) {
            if (!placed[j]) continue;
            if (items[j].last < items[i].first || items[i].last < items[j].first) continue;
            busy[nb].lo = offsets[j];
            busy[nb].hi = offsets[j] + ((items[j].size + VC_ARENA_ALIGN - 1) & ~(uint64_t)(VC_ARENA_ALIGN - 1));
            nb++;
        }
        qsort(busy, (size_t)nb, sizeof *busy, cmp_span);
        uint64_t at = 0;
        for (int j = 0; j < nb; j++) {
            if (busy[j].lo >= at + size) break;
            if (busy[j].hi > at) at = busy[j].hi;
        }
        offsets[i] = at;
        placed[i] = 1;
        if (at + size > total) total = at + size;
    }
    free(order);
    free(busy);
    free(placed);
    return total;
}

void vc_alias_roots(const vc_mgraph *g, int gi, int32_t *root)
{
    const vc_graph *gr = &g->graphs[gi];
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].graph == gi) root[v] = v;
    for (int i = 0; i < gr->n_nodes; i++) {
        const vc_node *n = &gr->nodes[i];
        if (!n->op || !(n->op->flags & VC_OP_ALIAS) || n->n_in < 1 || n->in[0] < 0) continue;
        int src = n->in[0];
        /* a view of a value owned elsewhere (input, constant, outer graph) owns nothing */
        int r = g->values[src].graph == gi ? root[src] : src;
        root[n->out[0]] = r;
    }
}

/* Mark every value read inside graph sub (and its nested graphs) as read at node
 * `at` of graph gi, when the value belongs to gi. */
static void mark_nested(const vc_mgraph *g, int sub, int gi, int at, int32_t *last_use)
{
    const vc_graph *gr = &g->graphs[sub];
    for (int i = 0; i < gr->n_nodes; i++) {
        const vc_node *n = &gr->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v >= 0 && g->values[v].graph == gi && last_use[v] < at) last_use[v] = at;
        }
        for (int a = 0; a < n->n_attr; a++)
            if (n->attr[a].type == VC_ATTR_GRAPH) mark_nested(g, n->attr[a].graph, gi, at, last_use);
    }
    for (int k = 0; k < gr->n_out; k++) {
        int v = gr->out[k];
        if (v >= 0 && g->values[v].graph == gi && last_use[v] < at) last_use[v] = at;
    }
}

void vc_compute_last_use(const vc_mgraph *g, int gi, int32_t *last_use)
{
    const vc_graph *gr = &g->graphs[gi];
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].graph == gi) last_use[v] = -1;
    for (int i = 0; i < gr->n_nodes; i++) {
        const vc_node *n = &gr->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v >= 0 && g->values[v].graph == gi) last_use[v] = i;
        }
        for (int a = 0; a < n->n_attr; a++)
            if (n->attr[a].type == VC_ATTR_GRAPH) mark_nested(g, n->attr[a].graph, gi, i, last_use);
    }
    for (int k = 0; k < gr->n_out; k++) {
        int v = gr->out[k];
        if (v >= 0 && g->values[v].graph == gi) last_use[v] = gr->n_nodes;
    }
}
