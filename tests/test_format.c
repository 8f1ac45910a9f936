/* Tests of the .voce program file: round trip, atomic save, and a reader that survives
 * truncated, corrupted and hostile files with clear errors.
 *
 * The methods are built by hand from If and Loop nodes only (always registered), so the
 * tests do not depend on which kernels exist. The byte-level helpers below (header and
 * table access, a METHODS walker) are written from docs/format.md, independently of the
 * reader, so that they also check the document.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/format.h"
#include "harness.h"
#include "runtime/op.h"

/* ---- little-endian access and CRC fix-up, from the spec ---- */

static uint32_t ld32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t ld64(const unsigned char *p) { return ld32(p) | (uint64_t)ld32(p + 4) << 32; }
static void st32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void st64(unsigned char *p, uint64_t v)
{
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
}

/* Recompute section, table and header CRCs wherever the fields make that possible, so
 * that a corruption reaches the structure checks behind the checksums. */
static void fix_crcs(unsigned char *b, size_t n)
{
    if (n < 64) return;
    uint64_t toff = ld64(b + 32), cnt = ld32(b + 24);
    if (cnt <= 64 && toff <= n && cnt * 32 <= n - toff) {
        for (uint64_t i = 0; i < cnt; i++) {
            unsigned char *e = b + toff + 32 * i;
            uint64_t off = ld64(e + 8), size = ld64(e + 16);
            if (off <= n && size <= n - off) st32(e + 24, vc_crc32c(0, b + off, (size_t)size));
        }
        st32(b + 40, vc_crc32c(0, b + toff, (size_t)(cnt * 32)));
    }
    uint64_t hs = ld32(b + 12);
    if (hs >= 64 && hs <= n) {
        st32(b + 44, 0);
        st32(b + 44, vc_crc32c(0, b, (size_t)hs));
    }
}

/* Section offsets and sizes by kind (1..4), from the table. */
typedef struct tfile {
    size_t off[5], size[5], entry[5];   /* entry: offset of the table entry */
    size_t table_end;
} tfile;

static void tfile_read(const unsigned char *b, tfile *t)
{
    memset(t, 0, sizeof *t);
    size_t toff = (size_t)ld64(b + 32), cnt = ld32(b + 24);
    for (size_t i = 0; i < cnt; i++) {
        const unsigned char *e = b + toff + 32 * i;
        uint32_t k = ld32(e);
        if (k < 1 || k > 4) continue;
        t->off[k] = (size_t)ld64(e + 8);
        t->size[k] = (size_t)ld64(e + 16);
        t->entry[k] = toff + 32 * i;
    }
    t->table_end = toff + 32 * cnt;
}

/* Offsets (absolute) of the fields of the first method, found by walking the stream. */
#define TW_MAX 16
typedef struct twalk {
    size_t n_values;
    size_t value[TW_MAX], value_dims[TW_MAX], value_data[TW_MAX];
    size_t n_graphs;
    size_t graph[TW_MAX], graph_in[TW_MAX], graph_nodes[TW_MAX];
    size_t node[TW_MAX][4], node_in[TW_MAX][4];
    size_t attr[TW_MAX][4][4];
} twalk;

static size_t walk_attr(const unsigned char *b, size_t p)
{
    uint32_t type = ld32(b + p + 4);
    p += 8;
    switch (type) {
    case 1: return p + 8;
    case 2: case 3: case 8: return p + 4;
    case 4: return p + 4 + 8 * ld32(b + p);
    case 5: case 6: return p + 4 + 4 * ld32(b + p);
    case 7: return p + 4 + 8 * b[p + 1] + 16;
    }
    return p;
}

static void twalk_run(const unsigned char *b, const tfile *t, twalk *w)
{
    memset(w, 0, sizeof *w);
    size_t p = t->off[3] + 4 + 4;   /* n_methods, name */
    w->n_values = p;
    uint32_t nv = ld32(b + p);
    p += 4;
    for (uint32_t v = 0; v < nv; v++) {
        if (v < TW_MAX) w->value[v] = p;
        unsigned kind = b[p + 4], rank = b[p + 6] == 255 ? 0 : b[p + 6];
        p += 28;
        if (v < TW_MAX) w->value_dims[v] = p;
        p += 12 * rank;
        if (kind == 2) {
            if (v < TW_MAX) w->value_data[v] = p;
            p += 16;
        }
    }
    w->n_graphs = p;
    uint32_t ng = ld32(b + p);
    p += 4;
    for (uint32_t g = 0; g < ng; g++) {
        if (g < TW_MAX) w->graph[g] = p;
        p += 16;
        if (g < TW_MAX) w->graph_in[g] = p;
        p += 4 + 4 * ld32(b + p);
        p += 4 + 4 * ld32(b + p);
        if (g < TW_MAX) w->graph_nodes[g] = p;
        uint32_t nn = ld32(b + p);
        p += 4;
        for (uint32_t k = 0; k < nn; k++) {
            if (g < TW_MAX && k < 4) w->node[g][k] = p;
            p += 12;
            if (g < TW_MAX && k < 4) w->node_in[g][k] = p;
            p += 4 + 4 * ld32(b + p);
            p += 4 + 4 * ld32(b + p);
            uint32_t na = ld32(b + p);
            p += 4;
            for (uint32_t a = 0; a < na; a++) {
                if (g < TW_MAX && k < 4 && a < 4) w->attr[g][k][a] = p;
                p = walk_attr(b, p);
            }
        }
    }
}

/* ---- memory helpers ---- */

/* Exactly n bytes, 64-aligned, so that ASan sees any read past the end. */
static unsigned char *aligned_copy(const void *src, size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 1)) return NULL;
    if (n) memcpy(p, src, n);
    return p;
}

static unsigned char *writer_bytes(vc_writer *w, size_t *n)
{
    void *raw;
    if (vc_writer_to_memory(w, &raw, n)) return NULL;
    unsigned char *b = aligned_copy(raw, *n);
    free(raw);
    return b;
}

/* Read every byte the parsed file points to, so that ASan checks the pointers. */
static unsigned touch_file(const vc_file *f)
{
    unsigned sum = 0;
    for (int i = 0; i < f->n_meta; i++) {
        const vc_meta *m = &f->meta[i];
        sum += (unsigned)strlen(m->key);
        if (m->type == VOCE_META_STRING) sum += (unsigned)strlen(m->s);
        if (m->type == VOCE_META_STRINGS)
            for (uint64_t k = 0; k < m->count; k++) sum += (unsigned)strlen(m->strings[k]);
        size_t es = m->type == VOCE_META_INTS ? 8 : m->type == VOCE_META_FLOATS ? 4 : 1;
        if (m->type == VOCE_META_INTS || m->type == VOCE_META_FLOATS || m->type == VOCE_META_BLOB)
            for (uint64_t k = 0; k < m->count * es; k++) sum += ((const unsigned char *)m->data)[k];
    }
    for (int mi = 0; mi < f->n_methods; mi++) {
        const vc_mgraph *g = &f->methods[mi];
        sum += (unsigned)strlen(g->name);
        for (int v = 0; v < g->n_values; v++) {
            const vc_value *val = &g->values[v];
            sum += (unsigned)strlen(val->name);
            for (uint64_t k = 0; k < val->nbytes; k++) sum += ((const unsigned char *)val->data)[k];
            for (int d = 0; d < val->rank; d++)
                if (val->dim_names[d]) sum += (unsigned)strlen(val->dim_names[d]);
        }
        for (int gi = 0; gi < g->n_graphs; gi++) {
            const vc_graph *gr = &g->graphs[gi];
            for (int i = 0; i < gr->n_in; i++) sum += (unsigned)g->values[gr->in[i]].kind;
            for (int i = 0; i < gr->n_out; i++) sum += (unsigned)g->values[gr->out[i]].kind;
            for (int k = 0; k < gr->n_nodes; k++) {
                const vc_node *n = &gr->nodes[k];
                sum += (unsigned)strlen(n->op_type) + (unsigned)strlen(n->name);
                for (int i = 0; i < n->n_in; i++)
                    if (n->in[i] >= 0) sum += (unsigned)g->values[n->in[i]].kind;
                for (int i = 0; i < n->n_out; i++) sum += (unsigned)g->values[n->out[i]].kind;
                for (int a = 0; a < n->n_attr; a++) {
                    const vc_attr *at = &n->attr[a];
                    sum += (unsigned)strlen(at->name);
                    if (at->type == VC_ATTR_STRING) sum += (unsigned)strlen(at->s);
                    for (int64_t e = 0; at->type == VC_ATTR_STRINGS && e < at->count; e++)
                        sum += (unsigned)strlen(at->strings[e]);
                    for (int64_t e = 0; at->type == VC_ATTR_INTS && e < at->count; e++)
                        sum += (unsigned)at->ints[e];
                    if (at->type == VC_ATTR_TENSOR)
                        for (size_t e = 0; e < vc_nbytes(&at->t); e++)
                            sum += ((const unsigned char *)at->t.data)[e];
                    if (at->type == VC_ATTR_GRAPH) sum += (unsigned)g->graphs[at->graph].n_nodes;
                }
            }
        }
    }
    return sum;
}

/* Parse a private aligned copy of n bytes; touch what it points to; free. */
static voce_status try_parse(const unsigned char *b, size_t n, int verify)
{
    unsigned char *c = aligned_copy(b, n);
    if (!c) return VOCE_ERR_NOMEM;
    vc_file f;
    voce_status st = vc_file_parse(c, n, verify, &f);
    if (!st) {
        volatile unsigned sink = touch_file(&f);
        (void)sink;
        vc_file_free(&f);
    }
    free(c);
    return st;
}

/* ---- building methods by hand ---- */

static int add_val(vc_mgraph *g, const char *name, vc_value_kind kind, int graph, voce_dtype dt,
                   int rank, const int64_t *dims)
{
    int v = vc_mgraph_add_value(g, name, kind, graph);
    if (v < 0) return v;
    g->values[v].dtype = dt;
    g->values[v].rank = rank;
    for (int i = 0; i < rank; i++) g->values[v].dims[i] = dims[i];
    return v;
}

static int add_const(vc_mgraph *g, const char *name, voce_dtype dt, int rank, const int64_t *dims,
                     const void *data)
{
    int v = add_val(g, name, VC_VAL_CONST, 0, dt, rank, dims);
    if (v < 0) return v;
    vc_tensor t;
    vc_value_tensor(&g->values[v], &t);
    g->values[v].nbytes = vc_nbytes(&t);
    g->values[v].data = g->values[v].nbytes ? vc_pool_memdup(&g->pool, data, g->values[v].nbytes)
                                            : NULL;
    return v;
}

static void set_io(vc_mgraph *g, int gi, int n_in, const int32_t *in, int n_out, const int32_t *out)
{
    vc_graph *gr = &g->graphs[gi];
    gr->n_in = n_in;
    gr->in = n_in ? vc_pool_memdup(&g->pool, in, sizeof(int32_t) * (size_t)n_in) : NULL;
    gr->n_out = n_out;
    gr->out = n_out ? vc_pool_memdup(&g->pool, out, sizeof(int32_t) * (size_t)n_out) : NULL;
}

static vc_attr graph_attr(const char *name, int graph)
{
    vc_attr a;
    memset(&a, 0, sizeof a);
    a.name = name;
    a.type = VC_ATTR_GRAPH;
    a.graph = graph;
    return a;
}

/* A node whose single output is value out (declared as produced by it). */
static vc_node *node1(vc_mgraph *g, int gi, const char *op, const char *name, int n_in,
                      const int32_t *in, int out, int n_attr)
{
    vc_node *n = vc_graph_add_node(g, gi, op, name, n_in, 1, n_attr);
    if (!n) return NULL;
    for (int i = 0; i < n_in; i++) n->in[i] = in[i];
    n->out[0] = out;
    g->values[out].def_node = g->graphs[gi].n_nodes - 1;
    return n;
}

static const float k_f32[6] = {1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e30f};
static const int64_t k_i64[4] = {INT64_MIN, -1, 0, INT64_MAX};
static const uint16_t k_f16[3] = {0x3c00, 0xc000, 0x7bff};
static const uint8_t k_u8[5] = {0, 1, 127, 128, 255};
static const uint8_t k_bool[1] = {1};
static const double k_f64[1] = {3.141592653589793};
static const int32_t k_i32[4] = {-7, 7, 1 << 30, -(1 << 30)};
static const float k_tensor[4] = {0.5f, 1.5f, 2.5f, 3.5f};
static const int64_t k_ints[3] = {-1, 0, (int64_t)1 << 40};
static const float k_floats[2] = {0.125f, -8.0f};
static const char *const k_strs[3] = {"alpha", "", "gamma \xc3\xbc"};

/* The full method: constants of several dtypes (one empty), If nodes with nested
 * subgraphs capturing outer values, a Loop whose body has inputs of unknown rank,
 * an optional input left out, attributes of every type, a static arena plan. */
static int build_main(vc_mgraph *g)
{
    vc_mgraph_init(g);
    g->name = "main";
    for (int i = 0; i < 8; i++)
        if (vc_mgraph_add_graph(g, i == 6 || i == 7 ? 1 : i == 0 ? -1 : 0) != i) return -1;
    int64_t d2x4[2] = {-1, 4}, d23[2] = {2, 3}, d4[1] = {4}, d3[1] = {3}, d5[1] = {5},
            d03[2] = {0, 3}, d1[1] = {1}, d22[2] = {2, 2};
    int x = add_val(g, "x", VC_VAL_INPUT, 0, VOCE_DTYPE_F32, 2, d2x4);
    int flag = add_val(g, "flag", VC_VAL_INPUT, 0, VOCE_DTYPE_BOOL, 0, NULL);
    int cf = add_const(g, "c_f32", VOCE_DTYPE_F32, 2, d23, k_f32);
    int ci = add_const(g, "c_i64", VOCE_DTYPE_I64, 1, d4, k_i64);
    int ch = add_const(g, "c_f16", VOCE_DTYPE_F16, 1, d3, k_f16);
    int cu = add_const(g, "c_u8", VOCE_DTYPE_U8, 1, d5, k_u8);
    int ce = add_const(g, "c_empty", VOCE_DTYPE_F32, 2, d03, NULL);
    int cb = add_const(g, "c_bool", VOCE_DTYPE_BOOL, 0, NULL, k_bool);
    int cd = add_const(g, "c_f64", VOCE_DTYPE_F64, 1, d1, k_f64);
    int c32 = add_const(g, "c_i32", VOCE_DTYPE_I32, 2, d22, k_i32);
    int y = add_val(g, "y", VC_VAL_NODE, 0, VOCE_DTYPE_F32, 2, d23);
    int lv = add_val(g, "loop_out", VC_VAL_NODE, 0, VOCE_DTYPE_F32, -1, NULL);
    int w = add_val(g, "w", VC_VAL_NODE, 0, VOCE_DTYPE_UNDEFINED, -1, NULL);  /* run time */
    int z = add_val(g, "z", VC_VAL_NODE, 1, VOCE_DTYPE_F32, 2, d2x4);
    int it = add_val(g, "iter", VC_VAL_INPUT, 3, VOCE_DTYPE_I64, 0, NULL);
    int cin = add_val(g, "cond_in", VC_VAL_INPUT, 3, VOCE_DTYPE_BOOL, 0, NULL);
    int car = add_val(g, "carried", VC_VAL_INPUT, 3, VOCE_DTYPE_F32, -1, NULL);
    if (car < 0) return -1;
    g->values[x].dim_names[0] = "batch";
    g->values[y].offset = 0;
    g->values[lv].offset = 64;
    g->values[x].last_use = 1;
    g->values[y].last_use = 3;
    g->values[cf].last_use = -1;
    g->values[it].last_use = 0;
    g->graphs[0].arena_size = 4096;
    (void)ch; (void)cu; (void)cb; (void)cd; (void)c32;

    /* graph 0: if0 (then 1, else 2) -> y; loop (body 3) -> loop_out; if2 (4, 5) -> w */
    vc_node *n = node1(g, 0, "If", "if0", 1, (int32_t[]){flag}, y, 11);
    if (!n) return -1;
    n->opset = 17;
    n->attr[0] = graph_attr("then_branch", 1);
    n->attr[1] = graph_attr("else_branch", 2);
    n->attr[2] = (vc_attr){.name = "i", .type = VC_ATTR_INT, .i = -123456789012345};
    n->attr[3] = (vc_attr){.name = "f", .type = VC_ATTR_FLOAT, .f = -0.375f};
    n->attr[4] = (vc_attr){.name = "s", .type = VC_ATTR_STRING, .s = "h\xc3\xa9llo"};
    n->attr[5] = (vc_attr){.name = "ints", .type = VC_ATTR_INTS, .count = 3, .ints = k_ints};
    n->attr[6] = (vc_attr){.name = "floats", .type = VC_ATTR_FLOATS, .count = 2, .floats = k_floats};
    n->attr[7] = (vc_attr){.name = "strings", .type = VC_ATTR_STRINGS, .count = 3, .strings = k_strs};
    n->attr[8] = (vc_attr){.name = "tensor", .type = VC_ATTR_TENSOR,
                           .t = {VOCE_DTYPE_F32, 2, {2, 2}, (void *)k_tensor}};
    n->attr[9] = (vc_attr){.name = "no_ints", .type = VC_ATTR_INTS, .count = 0, .ints = NULL};
    n->attr[10] = (vc_attr){.name = "empty_tensor", .type = VC_ATTR_TENSOR,
                            .t = {VOCE_DTYPE_I64, 1, {0}, NULL}};
    n = node1(g, 0, "Loop", "loop", 3, (int32_t[]){-1, flag, x}, lv, 1);
    if (!n) return -1;
    n->attr[0] = graph_attr("body", 3);
    n = node1(g, 0, "If", "if2", 1, (int32_t[]){flag}, w, 2);
    if (!n) return -1;
    n->attr[0] = graph_attr("then_branch", 4);
    n->attr[1] = graph_attr("else_branch", 5);
    /* graph 1: a nested If (then 6, else 7) -> z */
    n = node1(g, 1, "If", "if1", 1, (int32_t[]){flag}, z, 2);
    if (!n) return -1;
    n->attr[0] = graph_attr("then_branch", 6);
    n->attr[1] = graph_attr("else_branch", 7);
    set_io(g, 0, 2, (int32_t[]){x, flag}, 5, (int32_t[]){w, lv, ci, y, ce});
    set_io(g, 1, 0, NULL, 1, (int32_t[]){z});
    set_io(g, 2, 0, NULL, 1, (int32_t[]){cf});
    set_io(g, 3, 3, (int32_t[]){it, cin, car}, 2, (int32_t[]){cin, car});
    set_io(g, 4, 0, NULL, 1, (int32_t[]){y});    /* captures a value of an earlier node */
    set_io(g, 5, 0, NULL, 1, (int32_t[]){cf});
    set_io(g, 6, 0, NULL, 1, (int32_t[]){x});    /* captures from two levels up */
    set_io(g, 7, 0, NULL, 1, (int32_t[]){cf});
    return 0;
}

/* A second, trivial method: its input is its output. */
static int build_aux(vc_mgraph *g)
{
    vc_mgraph_init(g);
    g->name = "aux";
    if (vc_mgraph_add_graph(g, -1) != 0) return -1;
    int a = add_val(g, "a", VC_VAL_INPUT, 0, VOCE_DTYPE_I32, 1, (int64_t[]){3});
    if (a < 0) return -1;
    set_io(g, 0, 1, (int32_t[]){a}, 1, (int32_t[]){a});
    return 0;
}

/* The small method the patch tests walk:
 *   values 0 x (input f32[4]), 1 cond (input bool), 2 c (const f32[4]),
 *          3 y (node 0, f32[4], arena offset 0), 4 z (node 1)
 *   graph 0: if_a(cond) -> y [then 1, else 2]; if_b(cond) -> z [then 3, else 4]
 *   graphs 1..4 (parent 0) output c, x, y, c. */
static int build_small(vc_mgraph *g)
{
    vc_mgraph_init(g);
    g->name = "small";
    for (int i = 0; i < 5; i++)
        if (vc_mgraph_add_graph(g, i ? 0 : -1) != i) return -1;
    int64_t d4[1] = {4};
    int x = add_val(g, "x", VC_VAL_INPUT, 0, VOCE_DTYPE_F32, 1, d4);
    int cond = add_val(g, "cond", VC_VAL_INPUT, 0, VOCE_DTYPE_BOOL, 0, NULL);
    int c = add_const(g, "c", VOCE_DTYPE_F32, 1, d4, k_f32);
    int y = add_val(g, "y", VC_VAL_NODE, 0, VOCE_DTYPE_F32, 1, d4);
    int z = add_val(g, "z", VC_VAL_NODE, 0, VOCE_DTYPE_F32, 1, d4);
    if (z < 0) return -1;
    g->values[y].offset = 0;
    g->graphs[0].arena_size = 64;
    vc_node *n = node1(g, 0, "If", "if_a", 1, (int32_t[]){cond}, y, 2);
    if (!n) return -1;
    n->attr[0] = graph_attr("then_branch", 1);
    n->attr[1] = graph_attr("else_branch", 2);
    n = node1(g, 0, "If", "if_b", 1, (int32_t[]){cond}, z, 2);
    if (!n) return -1;
    n->attr[0] = graph_attr("then_branch", 3);
    n->attr[1] = graph_attr("else_branch", 4);
    set_io(g, 0, 2, (int32_t[]){x, cond}, 1, (int32_t[]){z});
    set_io(g, 1, 0, NULL, 1, (int32_t[]){c});
    set_io(g, 2, 0, NULL, 1, (int32_t[]){x});
    set_io(g, 3, 0, NULL, 1, (int32_t[]){y});
    set_io(g, 4, 0, NULL, 1, (int32_t[]){c});
    return 0;
}

static const int64_t m_ints[3] = {160, -3, (int64_t)1 << 40};
static const float m_floats[3] = {0.25f, -1.5f, 3.0f};
static const char *const m_strings[3] = {"a", "", "bee"};

static voce_status add_all_meta(vc_writer *w)
{
    static unsigned char blob[100];
    for (int i = 0; i < 100; i++) blob[i] = (unsigned char)(i * 7 + 1);
    const vc_meta ms[] = {
        {.key = "sample_rate", .type = VOCE_META_INT, .i = 16000},
        {.key = "gain", .type = VOCE_META_FLOAT, .f = 0.5},
        {.key = "name", .type = VOCE_META_STRING, .s = "silero \xc3\xbc"},
        {.key = "hop", .type = VOCE_META_INTS, .data = m_ints, .count = 3},
        {.key = "mel", .type = VOCE_META_FLOATS, .data = m_floats, .count = 3},
        {.key = "labels", .type = VOCE_META_STRINGS, .strings = m_strings, .count = 3},
        {.key = "blob", .type = VOCE_META_BLOB, .data = blob, .count = 100},
        {.key = "empty_ints", .type = VOCE_META_INTS, .data = NULL, .count = 0},
        {.key = "empty_blob", .type = VOCE_META_BLOB, .data = NULL, .count = 0},
        {.key = "gain", .type = VOCE_META_FLOAT, .f = 0.75},  /* replaces the first */
    };
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        voce_status st = vc_writer_add_meta(w, &ms[i]);
        if (st) return st;
    }
    return VOCE_OK;
}

/* A writer holding main + aux + all metadata. */
static vc_writer *full_writer(void)
{
    vc_mgraph a, b;
    int bad = build_main(&a) | build_aux(&b);
    vc_writer *w = vc_writer_create();
    if (bad || !w || vc_writer_add_method(w, &a) || vc_writer_add_method(w, &b) ||
        add_all_meta(w)) {
        vc_writer_destroy(w);
        w = NULL;
    }
    vc_mgraph_free(&a);
    vc_mgraph_free(&b);
    return w;
}

static unsigned char *full_file(size_t *n)
{
    vc_writer *w = full_writer();
    unsigned char *b = w ? writer_bytes(w, n) : NULL;
    vc_writer_destroy(w);
    return b;
}

static unsigned char *small_file(size_t *n)
{
    vc_mgraph g;
    unsigned char *b = NULL;
    vc_writer *w = vc_writer_create();
    static unsigned char pad[256];
    vc_meta m1 = {.key = "a", .type = VOCE_META_INT, .i = 1};
    vc_meta m2 = {.key = "b", .type = VOCE_META_BLOB, .data = pad, .count = sizeof pad};
    if (!build_small(&g) && w && !vc_writer_add_method(w, &g) && !vc_writer_add_meta(w, &m1) &&
        !vc_writer_add_meta(w, &m2))
        b = writer_bytes(w, n);
    vc_mgraph_free(&g);
    vc_writer_destroy(w);
    return b;
}

/* ---- comparison ---- */

static int same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static int same_attr(const vc_attr *a, const vc_attr *b)
{
    if (!same_str(a->name, b->name) || a->type != b->type) return 0;
    switch (a->type) {
    case VC_ATTR_INT: return a->i == b->i;
    case VC_ATTR_FLOAT: return memcmp(&a->f, &b->f, 4) == 0;
    case VC_ATTR_STRING: return same_str(a->s, b->s);
    case VC_ATTR_INTS:
        return a->count == b->count &&
               (!a->count || memcmp(a->ints, b->ints, 8 * (size_t)a->count) == 0);
    case VC_ATTR_FLOATS:
        return a->count == b->count &&
               (!a->count || memcmp(a->floats, b->floats, 4 * (size_t)a->count) == 0);
    case VC_ATTR_STRINGS:
        if (a->count != b->count) return 0;
        for (int64_t i = 0; i < a->count; i++)
            if (!same_str(a->strings[i], b->strings[i])) return 0;
        return 1;
    case VC_ATTR_TENSOR:
        if (a->t.dtype != b->t.dtype || a->t.rank != b->t.rank ||
            memcmp(a->t.dims, b->t.dims, 8 * (size_t)a->t.rank) != 0)
            return 0;
        if (!b->t.data || (uintptr_t)b->t.data % 64) return 0;
        return !vc_nbytes(&a->t) || memcmp(a->t.data, b->t.data, vc_nbytes(&a->t)) == 0;
    case VC_ATTR_GRAPH: return a->graph == b->graph;
    }
    return 0;
}

/* Returns "" when equal, else what differs. */
static const char *diff_method(const vc_mgraph *a, const vc_mgraph *b, const unsigned char *base)
{
    static char why[256];
    if (!same_str(a->name, b->name)) return "name";
    if (a->n_values != b->n_values) return "n_values";
    for (int v = 0; v < a->n_values; v++) {
        const vc_value *x = &a->values[v], *y = &b->values[v];
        snprintf(why, sizeof why, "value %d", v);
        if (!same_str(x->name, y->name) || x->kind != y->kind || x->graph != y->graph ||
            x->dtype != y->dtype || x->rank != y->rank || x->def_node != y->def_node ||
            x->last_use != y->last_use || x->offset != y->offset || x->nbytes != y->nbytes)
            return why;
        for (int i = 0; i < x->rank; i++)
            if (x->dims[i] != y->dims[i] || !same_str(x->dim_names[i], y->dim_names[i]) ||
                (!x->dim_names[i]) != (!y->dim_names[i]))
                return why;
        if (x->kind == VC_VAL_CONST) {
            if (!y->data || (uintptr_t)y->data % 64 ||
                ((const unsigned char *)y->data - base) % 64)
                return "constant not 64-aligned";
            if (x->nbytes && memcmp(x->data, y->data, x->nbytes)) return "constant bytes";
        }
    }
    if (a->n_graphs != b->n_graphs) return "n_graphs";
    for (int gi = 0; gi < a->n_graphs; gi++) {
        const vc_graph *p = &a->graphs[gi], *q = &b->graphs[gi];
        snprintf(why, sizeof why, "graph %d", gi);
        if (p->parent != q->parent || p->arena_size != q->arena_size || p->n_in != q->n_in ||
            p->n_out != q->n_out || p->n_nodes != q->n_nodes ||
            (p->n_in && memcmp(p->in, q->in, 4 * (size_t)p->n_in)) ||
            (p->n_out && memcmp(p->out, q->out, 4 * (size_t)p->n_out)))
            return why;
        for (int k = 0; k < p->n_nodes; k++) {
            const vc_node *m = &p->nodes[k], *n = &q->nodes[k];
            snprintf(why, sizeof why, "graph %d node %d", gi, k);
            if (!same_str(m->op_type, n->op_type) || !same_str(m->name, n->name) ||
                m->opset != n->opset || m->n_in != n->n_in || m->n_out != n->n_out ||
                m->n_attr != n->n_attr || (m->n_in && memcmp(m->in, n->in, 4 * (size_t)m->n_in)) ||
                (m->n_out && memcmp(m->out, n->out, 4 * (size_t)m->n_out)) ||
                n->op != vc_op_find(m->op_type))
                return why;
            for (int i = 0; i < m->n_attr; i++)
                if (!same_attr(&m->attr[i], &n->attr[i])) {
                    snprintf(why, sizeof why, "graph %d node %d attribute %d", gi, k, i);
                    return why;
                }
        }
    }
    return "";
}

/* ---- tests ---- */

static void test_crc32c(void)
{
    CHECK(vc_crc32c(0, "123456789", 9) == 0xE3069283u);
    CHECK(vc_crc32c(0, "", 0) == 0);
    unsigned char buf[300];
    for (int i = 0; i < 300; i++) buf[i] = (unsigned char)(i * 31 + 7);
    for (size_t cut = 0; cut <= 300; cut += 13) {
        uint32_t whole = vc_crc32c(0, buf + 1, 299);
        size_t c = cut > 299 ? 299 : cut;
        CHECK(vc_crc32c(vc_crc32c(0, buf + 1, c), buf + 1 + c, 299 - c) == whole);
    }
}

static void test_round_trip(void)
{
    vc_mgraph a, b;
    CHECK(build_main(&a) == 0);
    CHECK(build_aux(&b) == 0);
    vc_writer *w = vc_writer_create();
    CHECK(w);
    CHECK_OK(vc_writer_add_method(w, &a));
    CHECK_OK(vc_writer_add_method(w, &b));
    CHECK_OK(add_all_meta(w));
    size_t n1, n2;
    unsigned char *f1 = writer_bytes(w, &n1), *f2 = writer_bytes(w, &n2);
    CHECK(f1 && f2);
    CHECK_MSG(n1 == n2 && memcmp(f1, f2, n1) == 0, "two builds differ");
    free(f2);
    vc_writer_destroy(w);
    for (int verify = 0; verify <= 1; verify++) {
        vc_file f;
        CHECK_OK(vc_file_parse(f1, n1, verify, &f));
        CHECK(f.version_major == 1 && f.version_minor == 0);
        CHECK(f.n_methods == 2);
        const char *d = diff_method(&a, &f.methods[0], f1);
        CHECK_MSG(!*d, "main differs: %s", d);
        d = diff_method(&b, &f.methods[1], f1);
        CHECK_MSG(!*d, "aux differs: %s", d);
        /* the empty constant still has a pointer */
        CHECK(f.methods[0].values[6].data != NULL && f.methods[0].values[6].nbytes == 0);
        /* metadata: 9 distinct keys, sorted, typed */
        CHECK(f.n_meta == 9);
        for (int i = 1; i < f.n_meta; i++) CHECK(strcmp(f.meta[i - 1].key, f.meta[i].key) < 0);
        const vc_meta *m = vc_file_meta(&f, "sample_rate");
        CHECK(m && m->type == VOCE_META_INT && m->i == 16000);
        m = vc_file_meta(&f, "gain");
        CHECK(m && m->type == VOCE_META_FLOAT && m->f == 0.75);
        m = vc_file_meta(&f, "name");
        CHECK(m && m->type == VOCE_META_STRING && strcmp(m->s, "silero \xc3\xbc") == 0 &&
              m->count == strlen(m->s));
        m = vc_file_meta(&f, "hop");
        CHECK(m && m->type == VOCE_META_INTS && m->count == 3 &&
              memcmp(m->data, m_ints, sizeof m_ints) == 0 && (uintptr_t)m->data % 64 == 0);
        m = vc_file_meta(&f, "mel");
        CHECK(m && m->type == VOCE_META_FLOATS && m->count == 3 &&
              memcmp(m->data, m_floats, sizeof m_floats) == 0);
        m = vc_file_meta(&f, "labels");
        CHECK(m && m->type == VOCE_META_STRINGS && m->count == 3);
        for (int i = 0; i < 3; i++) CHECK(strcmp(m->strings[i], m_strings[i]) == 0);
        m = vc_file_meta(&f, "blob");
        CHECK(m && m->type == VOCE_META_BLOB && m->count == 100 &&
              ((const unsigned char *)m->data)[99] == (unsigned char)(99 * 7 + 1) &&
              (uintptr_t)m->data % 64 == 0);
        m = vc_file_meta(&f, "empty_ints");
        CHECK(m && m->type == VOCE_META_INTS && m->count == 0);
        m = vc_file_meta(&f, "empty_blob");
        CHECK(m && m->type == VOCE_META_BLOB && m->count == 0);
        CHECK(vc_file_meta(&f, "absent") == NULL && vc_file_meta(&f, "") == NULL);
        vc_file_free(&f);
    }
    /* interning: no string appears twice in STRINGS */
    tfile t;
    tfile_read(f1, &t);
    const char *s = (const char *)f1 + t.off[1];
    for (size_t i = 1; i < t.size[1]; i += strlen(s + i) + 1)
        for (size_t j = i + strlen(s + i) + 1; j < t.size[1]; j += strlen(s + j) + 1)
            CHECK_MSG(strcmp(s + i, s + j) != 0, "'%s' stored twice", s + i);
    /* layout: every section at a multiple of 64 */
    for (int k = 1; k <= 4; k++) CHECK(t.off[k] % 64 == 0);
    free(f1);
    vc_mgraph_free(&a);
    vc_mgraph_free(&b);
}

static int count_temp_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    size_t len = strlen(prefix);
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, len) == 0 && strstr(e->d_name, ".tmp-")) n++;
    closedir(d);
    return n;
}

static unsigned char *read_whole(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *raw = malloc(len > 0 ? (size_t)len : 1);
    if (raw && fread(raw, 1, (size_t)len, fp) != (size_t)len) { free(raw); raw = NULL; }
    fclose(fp);
    if (!raw) return NULL;
    unsigned char *b = aligned_copy(raw, (size_t)len);
    free(raw);
    *n = (size_t)len;
    return b;
}

static vc_writer *meta_writer(int64_t v, size_t blob_size)
{
    vc_writer *w = vc_writer_create();
    vc_mgraph g;
    if (!w || build_aux(&g)) return NULL;
    voce_status st = vc_writer_add_method(w, &g);
    vc_mgraph_free(&g);
    vc_meta m = {.key = "v", .type = VOCE_META_INT, .i = v};
    if (!st) st = vc_writer_add_meta(w, &m);
    unsigned char *blob = calloc(1, blob_size + 1);
    vc_meta mb = {.key = "blob", .type = VOCE_META_BLOB, .data = blob, .count = blob_size};
    if (!st && blob) st = vc_writer_add_meta(w, &mb);
    free(blob);
    if (st) { vc_writer_destroy(w); return NULL; }
    return w;
}

static int64_t file_meta_v(const char *path)
{
    size_t n;
    unsigned char *b = read_whole(path, &n);
    if (!b) return -1;
    vc_file f;
    int64_t v = -2;
    if (vc_file_parse(b, n, 1, &f) == VOCE_OK) {
        const vc_meta *m = vc_file_meta(&f, "v");
        v = m ? m->i : -3;
        vc_file_free(&f);
    }
    free(b);
    return v;
}

static void test_save_atomic(void)
{
    char dir[4096], path[4096], sub[4096];
    snprintf(dir, sizeof dir, "%s", vt_tmp("format-save"));
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/prog.voce", dir);
    unlink(path);
    vc_writer *w1 = meta_writer(1, 10), *w2 = meta_writer(2, 10), *big = meta_writer(3, 1 << 20);
    CHECK(w1 && w2 && big);
    CHECK_OK(vc_writer_save(w1, path));
    CHECK(file_meta_v(path) == 1);
    CHECK_OK(vc_writer_save(w2, path));     /* replaces */
    CHECK(file_meta_v(path) == 2);
    CHECK(count_temp_files(dir, "prog.voce") == 0);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0444) == 0444);

    /* a write that fails midway (file size limit) leaves the old file and no temp file;
     * this works as root too, unlike a read-only directory */
    struct rlimit old;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = old;
    lim.rlim_cur = 64 * 1024;
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    voce_status st = vc_writer_save(big, path);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    CHECK_ERR(st, VOCE_ERR_IO);
    CHECK(voce_last_error()[0]);
    CHECK(file_meta_v(path) == 2);
    CHECK(count_temp_files(dir, "prog.voce") == 0);

    /* the target is a directory: rename fails, the directory stays, no temp file */
    snprintf(sub, sizeof sub, "%s/adir", dir);
    mkdir(sub, 0777);
    CHECK_ERR(vc_writer_save(w1, sub), VOCE_ERR_IO);
    CHECK(voce_last_error()[0]);
    CHECK(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode));
    CHECK(count_temp_files(dir, "adir") == 0);

    /* a directory that does not exist */
    snprintf(sub, sizeof sub, "%s/missing/prog.voce", dir);
    CHECK_ERR(vc_writer_save(w1, sub), VOCE_ERR_IO);
    CHECK(strstr(voce_last_error(), "missing"));

    /* a method the writer refuses leaves the writer (and so the next save) unchanged */
    size_t n_before, n_after;
    unsigned char *before = writer_bytes(w2, &n_before);
    vc_mgraph g;
    CHECK(build_small(&g) == 0);
    g.values[2].data = NULL;    /* constant without data */
    CHECK_ERR(vc_writer_add_method(w2, &g), VOCE_ERR_INVALID_ARG);
    vc_mgraph_free(&g);
    unsigned char *after = writer_bytes(w2, &n_after);
    CHECK(before && after && n_before == n_after && memcmp(before, after, n_before) == 0);
    CHECK_OK(vc_writer_save(w2, path));
    CHECK(file_meta_v(path) == 2);
    free(before);
    free(after);
    vc_writer_destroy(w1);
    vc_writer_destroy(w2);
    vc_writer_destroy(big);
    CHECK_ERR(vc_writer_save(NULL, path), VOCE_ERR_INVALID_ARG);
}

/* Writer refusals: each builds the small method, breaks one thing, expects a refusal. */
typedef void (*breaker)(vc_mgraph *g);
static void br_const_no_data(vc_mgraph *g) { g->values[2].data = NULL; }
static void br_const_nbytes(vc_mgraph *g) { g->values[2].nbytes = 12; }
static void br_rank9(vc_mgraph *g) { g->values[0].rank = 9; }
static void br_dtype(vc_mgraph *g) { g->values[0].dtype = VOCE_DTYPE_UNDEFINED; }
static void br_unlisted_input(vc_mgraph *g) { g->graphs[0].n_in = 1; }
static void br_not_produced(vc_mgraph *g) { g->values[3].def_node = 1; }
static void br_graph_twice(vc_mgraph *g) { g->graphs[0].nodes[1].attr[0].graph = 1; }
static void br_later_input(vc_mgraph *g) { g->graphs[0].nodes[0].in[0] = 4; }
static void br_parent(vc_mgraph *g) { g->graphs[2].parent = 3; }
static void br_unknown_op(vc_mgraph *g) { g->graphs[0].nodes[0].op_type = "NoSuchOp"; }
static void br_invisible(vc_mgraph *g) { g->graphs[2].out[0] = 3; g->values[3].graph = 1; }
static void br_last_use(vc_mgraph *g) { g->values[0].last_use = 3; }
static void br_arena(vc_mgraph *g) { g->values[3].offset = 60; }
static void br_offset_align(vc_mgraph *g) { g->values[3].offset = 2; }
static void br_const_rank(vc_mgraph *g) { g->values[2].rank = -1; }
static void br_no_name(vc_mgraph *g) { g->name = ""; }
static void br_undef_offset(vc_mgraph *g) { g->values[3].dtype = VOCE_DTYPE_UNDEFINED; }
static void br_out_twice(vc_mgraph *g)
{
    vc_node *n = &g->graphs[0].nodes[0];
    n->out = vc_pool_memdup(&g->pool, (int32_t[]){3, 3}, 8);
    n->n_out = 2;
}
static void br_unlisted_output(vc_mgraph *g)
{
    int v = vc_mgraph_add_value(g, "orphan", VC_VAL_NODE, 0);
    g->values[v].dtype = VOCE_DTYPE_F32;
    g->values[v].def_node = 1;
}

static void test_writer_refuses(void)
{
    static const struct { breaker fn; voce_status want; const char *msg; } cases[] = {
        {br_const_no_data, VOCE_ERR_INVALID_ARG, "no data"},
        {br_const_nbytes, VOCE_ERR_INVALID_ARG, "bytes"},
        {br_rank9, VOCE_ERR_INVALID_ARG, "rank 9"},
        {br_dtype, VOCE_ERR_INVALID_ARG, "dtype"},
        {br_unlisted_input, VOCE_ERR_INVALID_ARG, "not listed"},
        {br_not_produced, VOCE_ERR_INVALID_ARG, "value 3 ('y')"},
        {br_graph_twice, VOCE_ERR_INVALID_ARG, "already used"},
        {br_later_input, VOCE_ERR_INVALID_ARG, "later node"},
        {br_parent, VOCE_ERR_INVALID_ARG, "parent 3"},
        {br_unknown_op, VOCE_ERR_UNSUPPORTED, "unknown op 'NoSuchOp'"},
        {br_invisible, VOCE_ERR_INVALID_ARG, "value 3"},
        {br_last_use, VOCE_ERR_INVALID_ARG, "last_use"},
        {br_arena, VOCE_ERR_INVALID_ARG, "arena"},
        {br_offset_align, VOCE_ERR_INVALID_ARG, "element size"},
        {br_const_rank, VOCE_ERR_INVALID_ARG, "no rank"},
        {br_no_name, VOCE_ERR_INVALID_ARG, "no name"},
        {br_undef_offset, VOCE_ERR_INVALID_ARG, "unknown dtype cannot have an arena offset"},
        {br_out_twice, VOCE_ERR_INVALID_ARG, "produced twice"},
        {br_unlisted_output, VOCE_ERR_INVALID_ARG, "does not list it as an output"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vc_mgraph g;
        CHECK(build_small(&g) == 0);
        cases[i].fn(&g);
        vc_writer *w = vc_writer_create();
        voce_status st = vc_writer_add_method(w, &g);
        vc_writer_destroy(w);
        vc_mgraph_free(&g);
        CHECK_MSG(st == cases[i].want, "case %zu: got %s (%s)", i, voce_status_str(st),
                  voce_last_error());
        CHECK_MSG(strstr(voce_last_error(), cases[i].msg), "case %zu: message '%s' lacks '%s'",
                  i, voce_last_error(), cases[i].msg);
    }
    /* duplicate method name */
    vc_mgraph g;
    CHECK(build_small(&g) == 0);
    vc_writer *w = vc_writer_create();
    CHECK_OK(vc_writer_add_method(w, &g));
    CHECK_ERR(vc_writer_add_method(w, &g), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "twice"));
    vc_mgraph_free(&g);
    /* metadata the file cannot hold */
    const char *strs[2] = {"ok", NULL};
    vc_meta bad[] = {
        {.key = "s", .type = VOCE_META_STRING, .s = "ab\0cd", .count = 5},
        {.key = "ss", .type = VOCE_META_STRINGS, .strings = strs, .count = 2},
        {.key = "", .type = VOCE_META_INT},
        {.key = "t", .type = (voce_meta_type)42},
        {.key = "b", .type = VOCE_META_BLOB, .data = NULL, .count = 4},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_ERR(vc_writer_add_meta(w, &bad[i]), VOCE_ERR_INVALID_ARG);
        CHECK(voce_last_error()[0]);
    }
    vc_writer_add_meta(w, &bad[0]);
    CHECK(strstr(voce_last_error(), "NUL"));
    vc_writer_destroy(w);
}

/* A chain of graphs nested depth levels deep through If nodes; the innermost returns a
 * value captured from graph 0. */
static int build_deep(vc_mgraph *g, int depth)
{
    vc_mgraph_init(g);
    g->name = "deep";
    int x = -1;
    for (int i = 0; i <= depth; i++)
        if (vc_mgraph_add_graph(g, i - 1) != i) return -1;
    int cond = add_val(g, "cond", VC_VAL_INPUT, 0, VOCE_DTYPE_BOOL, 0, NULL);
    x = add_val(g, "x", VC_VAL_INPUT, 0, VOCE_DTYPE_F32, 0, NULL);
    if (x < 0) return -1;
    set_io(g, 0, 2, (int32_t[]){cond, x}, 0, NULL);
    for (int i = 0; i < depth; i++) {
        int y = add_val(g, "y", VC_VAL_NODE, i, VOCE_DTYPE_F32, -1, NULL);
        vc_node *n = y < 0 ? NULL : node1(g, i, "If", "if", 1, (int32_t[]){cond}, y, 1);
        if (!n) return -1;
        n->attr[0] = graph_attr("then_branch", i + 1);
        set_io(g, i, i ? 0 : 2, (int32_t[]){cond, x}, 1, (int32_t[]){y});
    }
    set_io(g, depth, 0, NULL, 1, (int32_t[]){x});
    return 0;
}

static void test_deep_nesting(void)
{
    vc_mgraph g;
    CHECK(build_deep(&g, 64) == 0);
    vc_writer *w = vc_writer_create();
    CHECK_OK(vc_writer_add_method(w, &g));
    size_t n;
    unsigned char *b = writer_bytes(w, &n);
    CHECK(b);
    vc_file f;
    CHECK_OK(vc_file_parse(b, n, 1, &f));
    const char *d = diff_method(&g, &f.methods[0], b);
    CHECK_MSG(!*d, "deep differs: %s", d);
    vc_file_free(&f);
    free(b);
    vc_writer_destroy(w);
    vc_mgraph_free(&g);
    CHECK(build_deep(&g, 65) == 0);
    w = vc_writer_create();
    CHECK_ERR(vc_writer_add_method(w, &g), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "deeper than 64"));
    vc_writer_destroy(w);
    vc_mgraph_free(&g);
}

static void test_truncation(void)
{
    size_t n;
    unsigned char *b = full_file(&n);
    CHECK(b);
    tfile t;
    tfile_read(b, &t);
    size_t cuts[2048];
    int nc = 0;
    for (size_t i = 0; i < t.table_end; i++) cuts[nc++] = i;
    for (int k = 1; k <= 4; k++) {
        size_t pts[4] = {t.off[k], t.off[k] + t.size[k], t.off[k] + 1, t.off[k] + t.size[k] - 1};
        for (int j = 0; j < 4; j++)
            if (pts[j] < n) cuts[nc++] = pts[j];
    }
    for (int i = 0; i < 200; i++) cuts[nc++] = (size_t)((double)i * (double)n / 200.0);
    int tested = 0;
    for (int i = 0; i < nc; i++) {
        size_t len = cuts[i];
        for (int verify = 0; verify <= 1; verify++) {
            voce_status st = try_parse(b, len, verify);
            CHECK_MSG(st != VOCE_OK, "truncated to %zu bytes parsed", len);
            CHECK(voce_last_error()[0]);
        }
        /* the same with the size field and checksums made consistent: the structure
         * checks must notice the missing bytes */
        if (len >= 64) {
            unsigned char *c = aligned_copy(b, len);
            st64(c + 16, len);
            fix_crcs(c, len);
            voce_status st = try_parse(c, len, 1);
            free(c);
            CHECK_MSG(st != VOCE_OK, "truncated to %zu bytes (fixed up) parsed", len);
            CHECK(voce_last_error()[0]);
        }
        tested++;
    }
    CHECK(tested > 400);
    free(b);
}

static void test_bit_flips_checksummed(void)
{
    size_t n;
    unsigned char *b = full_file(&n);
    CHECK(b);
    tfile t;
    tfile_read(b, &t);
    unsigned char *c = aligned_copy(b, n);
    int flips = 0;
    for (size_t i = 0; i < n; i++) {
        if (i >= t.table_end && i % 7) continue;
        for (int bit = 0; bit < 8; bit++) {
            c[i] ^= (unsigned char)(1u << bit);
            vc_file f;
            voce_status st = vc_file_parse(c, n, 1, &f);
            if (!st) vc_file_free(&f);
            c[i] ^= (unsigned char)(1u << bit);
            CHECK_MSG(st != VOCE_OK, "flip of bit %d at byte %zu not caught", bit, i);
            CHECK(voce_last_error()[0]);
            flips++;
        }
    }
    CHECK(flips > 1000);
    free(c);
    free(b);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Corruptions with valid checksums: any outcome but a crash, hang or leak is fine. */
static void test_corruption_fixed_crcs(void)
{
    size_t n;
    unsigned char *b = full_file(&n);
    CHECK(b);
    unsigned char *c = malloc(n);
    CHECK(c);
    int ok = 0, err = 0;
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(c, b, n);
            c[i] ^= (unsigned char)(1u << bit);
            fix_crcs(c, n);
            if (try_parse(c, n, 1) == VOCE_OK) ok++;
            else { err++; CHECK(voce_last_error()[0]); }
        }
    static const uint32_t evil[] = {0, 1, 2, 7, 8, 9, 63, 64, 255, 256, 0x7FFFFFFF,
                                    0x80000000u, 0xFFFFFFFFu, 0xFFFFFFFEu, 0x10000};
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (int iter = 0; iter < 6000; iter++) {
        memcpy(c, b, n);
        int edits = 1 + (int)(rng_next(&seed) % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(rng_next(&seed) % (n - 4));
            if (rng_next(&seed) & 1) st32(c + (at & ~(size_t)3), evil[rng_next(&seed) % 15]);
            else c[at] = (unsigned char)rng_next(&seed);
        }
        fix_crcs(c, n);
        if (try_parse(c, n, iter & 1) == VOCE_OK) ok++;
        else err++;
    }
    CHECK(err > 0);
    CHECK(ok + err == (int)n * 8 + 6000);
    free(c);
    free(b);
}

/* ---- hostile files: one field patched, checksums fixed, a specific error expected ---- */

typedef struct patch_case {
    const char *what;
    voce_status want;
    const char *msg;
} patch_case;

static int expect(const unsigned char *c, size_t n, const patch_case *pc)
{
    unsigned char *d = aligned_copy(c, n);
    vc_file f;
    voce_status st = vc_file_parse(d, n, 1, &f);
    if (!st) vc_file_free(&f);
    free(d);
    if (st != pc->want) {
        vt_fail(__FILE__, __LINE__, "%s: got %s (%s), want %s", pc->what, voce_status_str(st),
                voce_last_error(), voce_status_str(pc->want));
        return 0;
    }
    if (pc->want && (!voce_last_error()[0] || !strstr(voce_last_error(), pc->msg))) {
        vt_fail(__FILE__, __LINE__, "%s: message '%s' lacks '%s'", pc->what, voce_last_error(),
                pc->msg);
        return 0;
    }
    return 1;
}

/* Offset of string s in STRINGS (the file has it: it was written there). */
static uint32_t string_ref(const unsigned char *b, const tfile *t, const char *s)
{
    const char *tab = (const char *)b + t->off[1];
    for (size_t i = 0; i < t->size[1]; i += strlen(tab + i) + 1)
        if (strcmp(tab + i, s) == 0) return (uint32_t)i;
    return 0;
}

static void test_hostile_fields(void)
{
    size_t n;
    unsigned char *b = small_file(&n);
    CHECK(b);
    CHECK_OK(try_parse(b, n, 1));
    tfile t;
    twalk w;
    tfile_read(b, &t);
    twalk_run(b, &t, &w);
    unsigned char *c = malloc(n + 64);
    CHECK(c);
    size_t v0 = w.value[0], v2 = w.value[2], v3 = w.value[3];
#define PATCH(stmt, name, status, text)                                                    \
    do {                                                                                   \
        memcpy(c, b, n);                                                                   \
        stmt;                                                                              \
        fix_crcs(c, n);                                                                    \
        patch_case pc_ = {name, status, text};                                             \
        if (!expect(c, n, &pc_)) return;                                                   \
    } while (0)
    /* header and section table */
    PATCH(c[0] = 'X', "bad magic", VOCE_ERR_FORMAT, "bad magic");
    PATCH(c[8] = 2, "major 2", VOCE_ERR_VERSION, "format version 2.0 is not supported");
    PATCH(c[10] = 7, "minor 7", VOCE_OK, "");
    PATCH(st64(c + 16, n + 1), "file size field", VOCE_ERR_FORMAT, "header says");
    PATCH(st32(c + 12, 1 << 20), "header size", VOCE_ERR_FORMAT, "header size");
    PATCH(st32(c + 24, 1000), "section count", VOCE_ERR_FORMAT, "1000 sections");
    PATCH(st64(c + 32, n - 16), "table offset", VOCE_ERR_FORMAT, "outside the file");
    PATCH(st32(c + t.entry[4], 1), "duplicate kind", VOCE_ERR_FORMAT, "appears twice");
    PATCH(st32(c + t.entry[4], 9), "missing kind", VOCE_ERR_FORMAT, "DATA is missing");
    PATCH(st64(c + t.entry[2] + 8, t.off[2] + 8), "misaligned section", VOCE_ERR_FORMAT,
          "multiple of 64");
    PATCH(st64(c + t.entry[2] + 8, t.off[1]), "overlap", VOCE_ERR_FORMAT, "overlaps");
    PATCH(st64(c + t.entry[4] + 16, n), "section past end", VOCE_ERR_FORMAT, "outside the file");
    PATCH(c[t.off[1] + t.size[1] - 1] = 'x', "string without NUL", VOCE_ERR_FORMAT,
          "end with a NUL");
    size_t pad_at = 0;
    for (int k = 1; k <= 3; k++)
        if ((t.off[k] + t.size[k]) % 64) pad_at = t.off[k] + t.size[k];
    CHECK(pad_at);
    PATCH(c[pad_at] = 1, "padding", VOCE_ERR_FORMAT, "padding");
    /* metadata */
    PATCH((memcpy(c + t.off[2] + 8, b + t.off[2] + 40, 32),
           memcpy(c + t.off[2] + 40, b + t.off[2] + 8, 32)),
          "unsorted keys", VOCE_ERR_FORMAT, "not sorted");
    PATCH(st32(c + t.off[2], 0xFFFFFFFF), "meta count", VOCE_ERR_FORMAT, "cannot hold");
    PATCH(st64(c + t.off[2] + 40 + 16, (uint64_t)1 << 60), "blob size", VOCE_ERR_FORMAT, "DATA");
    PATCH(st32(c + t.off[2] + 8 + 4, 99), "meta type", VOCE_ERR_FORMAT, "unknown type 99");
    /* counts */
    PATCH(st32(c + t.off[3], 0xFFFFFFFF), "n_methods", VOCE_ERR_FORMAT, "methods do not fit");
    PATCH(st32(c + w.n_values, 0xFFFFFFFF), "n_values", VOCE_ERR_FORMAT, "values do not fit");
    PATCH(st32(c + w.n_graphs, 0x40000000), "n_graphs", VOCE_ERR_FORMAT, "graphs do not fit");
    PATCH(st32(c + w.graph_nodes[0], 0x7FFFFFF0), "n_nodes", VOCE_ERR_FORMAT, "nodes do not fit");
    PATCH(st32(c + w.graph_in[0], 0xFFFFFFFF), "graph n_in", VOCE_ERR_FORMAT, "do not fit");
    PATCH(st32(c + w.node_in[0][0], 0x20000000), "node n_in", VOCE_ERR_FORMAT, "do not fit");
    /* values */
    PATCH(c[v0 + 6] = 200, "rank 200", VOCE_ERR_FORMAT, "rank 200");
    PATCH(c[v0 + 4] = 9, "kind 9", VOCE_ERR_FORMAT, "unknown kind 9");
    PATCH(c[v0 + 5] = 8, "dtype 8", VOCE_ERR_FORMAT, "unknown dtype 8");
    PATCH(st32(c + v0, (uint32_t)t.size[1] + 10), "name ref", VOCE_ERR_FORMAT, "outside STRINGS");
    PATCH(st64(c + w.value_dims[2], (uint64_t)1 << 62), "dims 1<<62", VOCE_ERR_FORMAT,
          "too large");
    PATCH(st64(c + w.value_dims[0], (uint64_t)-5), "dim -5", VOCE_ERR_FORMAT, "dimension 0 is -5");
    PATCH(st64(c + w.value_data[2], t.size[4] + 64), "data past end", VOCE_ERR_FORMAT,
          "outside DATA");
    PATCH(st64(c + w.value_data[2], 8), "data misaligned", VOCE_ERR_FORMAT, "64-byte aligned");
    PATCH(st64(c + w.value_data[2] + 8, 12), "data nbytes", VOCE_ERR_FORMAT, "shape needs 16");
    PATCH(st32(c + v3 + 12, 1), "def_node", VOCE_ERR_FORMAT, "not declared as produced");
    PATCH(st32(c + v3 + 8, 7), "value graph", VOCE_ERR_FORMAT, "graph 7 does not exist");
    PATCH(st32(c + v2 + 12, 0), "const def_node", VOCE_ERR_FORMAT, "def_node 0");
    PATCH(st32(c + v0 + 16, 99), "last_use", VOCE_ERR_FORMAT, "last_use 99");
    PATCH(st64(c + v3 + 20, (uint64_t)-7), "offset", VOCE_ERR_FORMAT, "arena offset -7");
    PATCH(st64(c + w.graph[0] + 8, 8), "arena size", VOCE_ERR_FORMAT, "exceeds the arena");
    /* graphs */
    PATCH(st32(c + w.graph[1], 1), "parent self", VOCE_ERR_FORMAT, "graph 1 has parent 1");
    PATCH(st32(c + w.graph[2], 3), "parent later", VOCE_ERR_FORMAT, "graph 2 has parent 3");
    PATCH(st32(c + w.graph[0], 0), "root parent", VOCE_ERR_FORMAT, "graph 0 has parent 0");
    PATCH(st32(c + w.graph_in[0] + 4, 2), "graph input const", VOCE_ERR_FORMAT,
          "not an input of that graph");
    PATCH(st32(c + w.graph_in[0] + 8, 0), "graph input twice", VOCE_ERR_FORMAT, "listed twice");
    /* nodes */
    PATCH(st32(c + w.node_in[0][0] + 4, 4), "later input", VOCE_ERR_FORMAT, "later node");
    PATCH(st32(c + w.node_in[0][0] + 4, 5), "input index", VOCE_ERR_FORMAT, "refers to value 5");
    PATCH(st32(c + w.node_in[0][0] + 4, (uint32_t)-2), "input -2", VOCE_ERR_FORMAT,
          "refers to value -2");
    PATCH(st32(c + w.node_in[0][1] + 12, 3), "produced twice", VOCE_ERR_FORMAT,
          "not declared as produced");
    PATCH(st32(c + w.node[0][0], string_ref(b, &t, "if_a")), "unknown op", VOCE_ERR_UNSUPPORTED,
          "node 'if_a': unknown op 'if_a' (this build has no kernel for it)");
    /* attributes: node 1's then_branch is attr[1][0] (graph 0 node 1 attr 0) */
    PATCH(st32(c + w.attr[0][1][0] + 8, 1), "graph twice", VOCE_ERR_FORMAT, "already used");
    PATCH(st32(c + w.attr[0][1][0] + 8, 0), "graph 0 as subgraph", VOCE_ERR_FORMAT,
          "not a subgraph index");
    PATCH(st32(c + w.attr[0][1][0] + 8, 77), "graph index", VOCE_ERR_FORMAT, "graph 77 does not");
    PATCH(st32(c + w.attr[0][1][0] + 4, 99), "attr type", VOCE_ERR_FORMAT,
          "unknown attribute type 99");
    PATCH(st32(c + w.attr[0][1][0] + 4, 4), "attr as ints", VOCE_ERR_FORMAT, "");
    PATCH(st32(c + w.attr[0][1][0], (uint32_t)t.size[1]), "attr name ref", VOCE_ERR_FORMAT,
          "outside STRINGS");
    /* trailing bytes in METHODS, when there is padding to grow into */
    if ((t.off[3] + t.size[3]) % 64)
        PATCH(st64(c + t.entry[3] + 16, t.size[3] + 1), "trailing", VOCE_ERR_FORMAT,
              "after the last method");
#undef PATCH
    /* a minor version bump is reported as such */
    memcpy(c, b, n);
    c[10] = 3;
    fix_crcs(c, n);
    unsigned char *d = aligned_copy(c, n);
    vc_file f;
    CHECK_OK(vc_file_parse(d, n, 1, &f));
    CHECK(f.version_major == 1 && f.version_minor == 3);
    vc_file_free(&f);
    free(d);
    free(c);
    free(b);
}

static void test_bad_arguments(void)
{
    vc_file f;
    CHECK_ERR(vc_file_parse(NULL, 0, 1, &f), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "bad magic"));
    CHECK_ERR(vc_file_parse(NULL, 10, 1, &f), VOCE_ERR_INVALID_ARG);
    size_t n;
    unsigned char *b = small_file(&n);
    CHECK(b);
    unsigned char *c = NULL;
    CHECK(posix_memalign((void **)&c, 64, n + 64) == 0);
    memcpy(c + 1, b, n);
    CHECK_ERR(vc_file_parse(c + 1, n, 1, &f), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "aligned"));
    CHECK_ERR(vc_file_parse(b, n, 1, NULL), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(vc_file_parse(b, 7, 1, &f), VOCE_ERR_FORMAT);
    vc_file_free(&f);   /* safe on a failed parse */
    vc_file_free(NULL);
    free(c);
    free(b);
}

int main(void)
{
    vt_run("crc32c", test_crc32c);
    vt_run("round_trip", test_round_trip);
    vt_run("save_atomic", test_save_atomic);
    vt_run("writer_refuses", test_writer_refuses);
    vt_run("deep_nesting", test_deep_nesting);
    vt_run("truncation", test_truncation);
    vt_run("bit_flips_checksummed", test_bit_flips_checksummed);
    vt_run("corruption_fixed_crcs", test_corruption_fixed_crcs);
    vt_run("hostile_fields", test_hostile_fields);
    vt_run("bad_arguments", test_bad_arguments);
    return vt_finish();
}
