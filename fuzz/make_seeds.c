/* Writes a seed corpus for fuzz_format: a few small, valid .voce files that between
 * them use every section, metadata type, value kind, attribute type and graph nesting.
 *
 *   fuzz_make_seeds <dir>      (the directory must exist)
 *
 * Kept small on purpose: libFuzzer mutates small inputs far faster.
 */
#include <stdio.h>
#include <string.h>

#include "format/format.h"

static int val(vc_mgraph *g, const char *name, vc_value_kind kind, int graph, voce_dtype dt,
               int rank, int64_t d0)
{
    int v = vc_mgraph_add_value(g, name, kind, graph);
    if (v < 0) return v;
    g->values[v].dtype = dt;
    g->values[v].rank = rank;
    if (rank > 0) g->values[v].dims[0] = d0;
    return v;
}

static void io(vc_mgraph *g, int gi, int n_in, const int32_t *in, int n_out, const int32_t *out)
{
    vc_graph *gr = &g->graphs[gi];
    gr->n_in = n_in;
    gr->in = n_in ? vc_pool_memdup(&g->pool, in, 4 * (size_t)n_in) : NULL;
    gr->n_out = n_out;
    gr->out = n_out ? vc_pool_memdup(&g->pool, out, 4 * (size_t)n_out) : NULL;
}

static vc_attr gattr(const char *name, int graph)
{
    vc_attr a;
    memset(&a, 0, sizeof a);
    a.name = name;
    a.type = VC_ATTR_GRAPH;
    a.graph = graph;
    return a;
}

/* If with every attribute type and a subgraph capturing a value; Loop with a body. */
static int build(vc_mgraph *g, int with_loop)
{
    static const float cdata[4] = {1, 2, 3, 4};
    static const int64_t ints[2] = {3, -1};
    static const float floats[2] = {0.5f, 2};
    static const char *const strs[2] = {"p", "q"};
    vc_mgraph_init(g);
    g->name = with_loop ? "loop" : "main";
    int ng = with_loop ? 4 : 3;
    for (int i = 0; i < ng; i++)
        if (vc_mgraph_add_graph(g, i ? 0 : -1) != i) return -1;
    int x = val(g, "x", VC_VAL_INPUT, 0, VOCE_DTYPE_F32, 1, -1);
    int cond = val(g, "cond", VC_VAL_INPUT, 0, VOCE_DTYPE_BOOL, 0, 0);
    int c = val(g, "c", VC_VAL_CONST, 0, VOCE_DTYPE_F32, 1, 4);
    int y = val(g, "y", VC_VAL_NODE, 0, VOCE_DTYPE_F32, 1, 4);
    if (y < 0) return -1;
    g->values[x].dim_names[0] = "n";
    g->values[c].data = cdata;
    g->values[c].nbytes = sizeof cdata;
    g->values[y].offset = 0;
    g->graphs[0].arena_size = 64;
    vc_node *n = vc_graph_add_node(g, 0, "If", "if", 1, 1, 9);
    if (!n) return -1;
    n->in[0] = cond;
    n->out[0] = y;
    g->values[y].def_node = 0;
    n->attr[0] = gattr("then_branch", 1);
    n->attr[1] = gattr("else_branch", 2);
    n->attr[2] = (vc_attr){.name = "i", .type = VC_ATTR_INT, .i = 5};
    n->attr[3] = (vc_attr){.name = "f", .type = VC_ATTR_FLOAT, .f = 1.5f};
    n->attr[4] = (vc_attr){.name = "s", .type = VC_ATTR_STRING, .s = "str"};
    n->attr[5] = (vc_attr){.name = "is", .type = VC_ATTR_INTS, .count = 2, .ints = ints};
    n->attr[6] = (vc_attr){.name = "fs", .type = VC_ATTR_FLOATS, .count = 2, .floats = floats};
    n->attr[7] = (vc_attr){.name = "ss", .type = VC_ATTR_STRINGS, .count = 2, .strings = strs};
    n->attr[8] = (vc_attr){.name = "t", .type = VC_ATTR_TENSOR,
                           .t = {VOCE_DTYPE_F32, 1, {4}, (void *)cdata}};
    int outs[2] = {y, -1};
    if (with_loop) {
        int lo = val(g, "lo", VC_VAL_NODE, 0, VOCE_DTYPE_F32, -1, 0);
        int it = val(g, "it", VC_VAL_INPUT, 3, VOCE_DTYPE_I64, 0, 0);
        int ci = val(g, "ci", VC_VAL_INPUT, 3, VOCE_DTYPE_BOOL, 0, 0);
        int ca = val(g, "ca", VC_VAL_INPUT, 3, VOCE_DTYPE_F32, -1, 0);
        n = vc_graph_add_node(g, 0, "Loop", "loop", 3, 1, 1);
        if (ca < 0 || !n) return -1;
        n->in[0] = -1;
        n->in[1] = cond;
        n->in[2] = y;
        n->out[0] = lo;
        g->values[lo].def_node = 1;
        n->attr[0] = gattr("body", 3);
        io(g, 3, 3, (int32_t[]){it, ci, ca}, 2, (int32_t[]){ci, ca});
        outs[1] = lo;
    }
    io(g, 0, 2, (int32_t[]){x, cond}, with_loop ? 2 : 1, (int32_t[]){outs[0], outs[1]});
    io(g, 1, 0, NULL, 1, (int32_t[]){c});
    io(g, 2, 0, NULL, 1, (int32_t[]){x});
    return 0;
}

static int add_meta(vc_writer *w)
{
    static const int64_t ints[2] = {16000, 160};
    static const float floats[2] = {0.25f, -1};
    static const char *const strs[2] = {"a", "b"};
    static const unsigned char blob[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const vc_meta ms[] = {
        {.key = "blob", .type = VOCE_META_BLOB, .data = blob, .count = 8},
        {.key = "floats", .type = VOCE_META_FLOATS, .data = floats, .count = 2},
        {.key = "gain", .type = VOCE_META_FLOAT, .f = 0.5},
        {.key = "ints", .type = VOCE_META_INTS, .data = ints, .count = 2},
        {.key = "name", .type = VOCE_META_STRING, .s = "seed"},
        {.key = "sample_rate", .type = VOCE_META_INT, .i = 16000},
        {.key = "strings", .type = VOCE_META_STRINGS, .strings = strs, .count = 2},
    };
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        if (vc_writer_add_meta(w, &ms[i])) return -1;
    return 0;
}

static int save(const char *dir, const char *name, int methods, int meta)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    vc_writer *w = vc_writer_create();
    int bad = !w || (meta && add_meta(w));
    for (int i = 0; !bad && i < methods; i++) {
        vc_mgraph g;
        bad = build(&g, i) || vc_writer_add_method(w, &g);
        vc_mgraph_free(&g);
    }
    if (!bad && vc_writer_save(w, path)) bad = 1;
    if (bad) fprintf(stderr, "make_seeds: %s: %s\n", path, voce_last_error());
    vc_writer_destroy(w);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    int bad = save(argv[1], "empty.voce", 0, 0);
    bad |= save(argv[1], "meta.voce", 0, 1);
    bad |= save(argv[1], "if.voce", 1, 0);
    bad |= save(argv[1], "full.voce", 2, 1);
    return bad;
}
