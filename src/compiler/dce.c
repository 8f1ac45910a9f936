/* Dead-code elimination and compaction. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "passes.h"

static void dce_graph(vc_mgraph *g, int gi, char *live)
{
    vc_graph *gr = &g->graphs[gi];
    for (int k = 0; k < gr->n_out; k++) live[gr->out[k]] = 1;
    int w = gr->n_nodes;
    /* walk backwards; kept nodes are packed towards the end, then moved down */
    for (int i = gr->n_nodes - 1; i >= 0; i--) {
        vc_node *n = &gr->nodes[i];
        int keep = 0;
        for (int k = 0; k < n->n_out; k++) keep |= live[n->out[k]];
        if (!keep) continue;
        for (int a = 0; a < n->n_attr; a++)
            if (n->attr[a].type == VC_ATTR_GRAPH) dce_graph(g, n->attr[a].graph, live);
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) live[n->in[k]] = 1;
        gr->nodes[--w] = *n;
    }
    if (w < gr->n_nodes) memmove(gr->nodes, gr->nodes + w, sizeof(vc_node) * (size_t)(gr->n_nodes - w));
    gr->n_nodes -= w;
}

void vc_pass_dce(vc_mgraph *g)
{
    char *live = calloc((size_t)g->n_values + 1, 1);
    if (!live) return; /* DCE is an optimisation: without memory, keep everything */
    dce_graph(g, 0, live);
    free(live);
}

static void mark_graphs(const vc_mgraph *g, int gi, char *glive)
{
    glive[gi] = 1;
    const vc_graph *gr = &g->graphs[gi];
    for (int i = 0; i < gr->n_nodes; i++)
        for (int a = 0; a < gr->nodes[i].n_attr; a++)
            if (gr->nodes[i].attr[a].type == VC_ATTR_GRAPH) mark_graphs(g, gr->nodes[i].attr[a].graph, glive);
}

static void mark_values(const vc_mgraph *g, const char *glive, char *vlive)
{
    for (int gi = 0; gi < g->n_graphs; gi++) {
        if (!glive[gi]) continue;
        const vc_graph *gr = &g->graphs[gi];
        for (int k = 0; k < gr->n_in; k++) vlive[gr->in[k]] = 1;
        for (int k = 0; k < gr->n_out; k++) vlive[gr->out[k]] = 1;
        for (int i = 0; i < gr->n_nodes; i++) {
            const vc_node *n = &gr->nodes[i];
            for (int k = 0; k < n->n_in; k++) if (n->in[k] >= 0) vlive[n->in[k]] = 1;
            for (int k = 0; k < n->n_out; k++) vlive[n->out[k]] = 1;
        }
    }
}

static void remap_graph(vc_graph *gr, const int32_t *vmap, const int32_t *gmap)
{
    for (int k = 0; k < gr->n_in; k++) gr->in[k] = vmap[gr->in[k]];
    for (int k = 0; k < gr->n_out; k++) gr->out[k] = vmap[gr->out[k]];
    if (gr->parent >= 0) gr->parent = gmap[gr->parent];
    for (int i = 0; i < gr->n_nodes; i++) {
        vc_node *n = &gr->nodes[i];
        for (int k = 0; k < n->n_in; k++) if (n->in[k] >= 0) n->in[k] = vmap[n->in[k]];
        for (int k = 0; k < n->n_out; k++) n->out[k] = vmap[n->out[k]];
        for (int a = 0; a < n->n_attr; a++)
            if (n->attr[a].type == VC_ATTR_GRAPH) n->attr[a].graph = gmap[n->attr[a].graph];
    }
}

voce_status vc_pass_compact(vc_mgraph *g)
{
    char *glive = calloc((size_t)g->n_graphs + 1, 1);
    char *vlive = calloc((size_t)g->n_values + 1, 1);
    int32_t *gmap = malloc(sizeof *gmap * (size_t)(g->n_graphs + 1));
    int32_t *vmap = malloc(sizeof *vmap * (size_t)(g->n_values + 1));
    if (!glive || !vlive || !gmap || !vmap) {
        free(glive); free(vlive); free(gmap); free(vmap);
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    mark_graphs(g, 0, glive);
    mark_values(g, glive, vlive);
    int ng = 0, nv = 0;
    for (int gi = 0; gi < g->n_graphs; gi++) {
        gmap[gi] = glive[gi] ? ng : -1;
        if (glive[gi]) g->graphs[ng++] = g->graphs[gi];
        else free(g->graphs[gi].nodes);
    }
    for (int v = 0; v < g->n_values; v++) {
        vmap[v] = vlive[v] ? nv : -1;
        if (vlive[v]) g->values[nv++] = g->values[v];
    }
    g->n_graphs = ng;
    g->n_values = nv;
    for (int v = 0; v < nv; v++) g->values[v].graph = gmap[g->values[v].graph];
    for (int gi = 0; gi < ng; gi++) remap_graph(&g->graphs[gi], vmap, gmap);
    for (int gi = 0; gi < ng; gi++) {
        vc_graph *gr = &g->graphs[gi];
        for (int i = 0; i < gr->n_nodes; i++)
            for (int k = 0; k < gr->nodes[i].n_out; k++) g->values[gr->nodes[i].out[k]].def_node = i;
    }
    free(glive); free(vlive); free(gmap); free(vmap);
    return VOCE_OK;
}

voce_status vc_pass_check_ops(const vc_mgraph *g)
{
    for (int gi = 0; gi < g->n_graphs; gi++) {
        const vc_graph *gr = &g->graphs[gi];
        for (int i = 0; i < gr->n_nodes; i++) {
            const vc_node *n = &gr->nodes[i];
            if (!n->op)
                return vc_error(VOCE_ERR_UNSUPPORTED, "unsupported op '%s' (node '%s', opset %d): voce has no kernel for it",
                                n->op_type, n->name, n->opset);
        }
    }
    return VOCE_OK;
}
