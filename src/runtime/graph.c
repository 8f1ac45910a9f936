/* Construction helpers and attribute lookup for vc_mgraph. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

void vc_mgraph_init(vc_mgraph *g)
{
    memset(g, 0, sizeof *g);
    vc_pool_init(&g->pool);
}

void vc_mgraph_free(vc_mgraph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_graphs; i++) free(g->graphs[i].nodes);
    free(g->graphs);
    free(g->values);
    vc_pool_free(&g->pool);
    memset(g, 0, sizeof *g);
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap) return 0;
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap < need) ncap *= 2;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p) return -1;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return 0;
}

int vc_mgraph_add_value(vc_mgraph *g, const char *name, vc_value_kind kind, int graph)
{
    if (grow((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof(vc_value))) return -1;
    vc_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = name ? vc_pool_strdup(&g->pool, name) : "";
    if (!v->name) return -1;
    v->kind = kind;
    v->graph = graph;
    v->rank = -1;
    for (int i = 0; i < VOCE_MAX_RANK; i++) v->dims[i] = -1;
    v->def_node = -1;
    v->last_use = -1;
    v->offset = -1;
    return g->n_values++;
}

int vc_mgraph_add_graph(vc_mgraph *g, int parent)
{
    if (grow((void **)&g->graphs, &g->cap_graphs, g->n_graphs + 1, sizeof(vc_graph))) return -1;
    vc_graph *gr = &g->graphs[g->n_graphs];
    memset(gr, 0, sizeof *gr);
    gr->parent = parent;
    return g->n_graphs++;
}

vc_node *vc_graph_add_node(vc_mgraph *g, int graph, const char *op_type, const char *name,
                           int n_in, int n_out, int n_attr)
{
    vc_graph *gr = &g->graphs[graph];
    if (grow((void **)&gr->nodes, &gr->cap_nodes, gr->n_nodes + 1, sizeof(vc_node))) return NULL;
    vc_node *n = &gr->nodes[gr->n_nodes];
    memset(n, 0, sizeof *n);
    n->op_type = vc_pool_strdup(&g->pool, op_type);
    n->name = vc_pool_strdup(&g->pool, name ? name : "");
    n->in = vc_pool_alloc(&g->pool, sizeof(int32_t) * (size_t)(n_in ? n_in : 1));
    n->out = vc_pool_alloc(&g->pool, sizeof(int32_t) * (size_t)(n_out ? n_out : 1));
    n->attr = vc_pool_alloc(&g->pool, sizeof(vc_attr) * (size_t)(n_attr ? n_attr : 1));
    if (!n->op_type || !n->name || !n->in || !n->out || !n->attr) return NULL;
    for (int i = 0; i < n_in; i++) n->in[i] = -1;
    for (int i = 0; i < n_out; i++) n->out[i] = -1;
    n->n_in = n_in;
    n->n_out = n_out;
    n->n_attr = n_attr;
    gr->n_nodes++;
    return n;
}

const vc_attr *vc_attr_find(const vc_node *n, const char *name)
{
    for (int i = 0; i < n->n_attr; i++)
        if (n->attr[i].name && strcmp(n->attr[i].name, name) == 0) return &n->attr[i];
    return NULL;
}

int64_t vc_attr_int(const vc_node *n, const char *name, int64_t def)
{
    const vc_attr *a = vc_attr_find(n, name);
    return a && a->type == VC_ATTR_INT ? a->i : def;
}

float vc_attr_float(const vc_node *n, const char *name, float def)
{
    const vc_attr *a = vc_attr_find(n, name);
    if (a && a->type == VC_ATTR_FLOAT) return a->f;
    if (a && a->type == VC_ATTR_INT) return (float)a->i;
    return def;
}

const char *vc_attr_string(const vc_node *n, const char *name, const char *def)
{
    const vc_attr *a = vc_attr_find(n, name);
    return a && a->type == VC_ATTR_STRING ? a->s : def;
}

const int64_t *vc_attr_ints(const vc_node *n, const char *name, int64_t *count)
{
    const vc_attr *a = vc_attr_find(n, name);
    if (!a || a->type != VC_ATTR_INTS) { *count = 0; return NULL; }
    *count = a->count;
    return a->ints;
}

const float *vc_attr_floats(const vc_node *n, const char *name, int64_t *count)
{
    const vc_attr *a = vc_attr_find(n, name);
    if (!a || a->type != VC_ATTR_FLOATS) { *count = 0; return NULL; }
    *count = a->count;
    return a->floats;
}

int vc_mgraph_visible(const vc_mgraph *g, int v, int gi)
{
    if (v < 0 || v >= g->n_values) return 0;
    int owner = g->values[v].graph;
    for (int x = gi; x >= 0; x = g->graphs[x].parent)
        if (x == owner) return 1;
    return 0;
}

void vc_value_tensor(const vc_value *v, vc_tensor *t)
{
    memset(t, 0, sizeof *t);
    t->dtype = v->dtype;
    t->rank = v->rank < 0 ? 0 : v->rank;
    for (int i = 0; i < t->rank; i++) t->dims[i] = v->dims[i];
    t->data = (void *)v->data;
}
