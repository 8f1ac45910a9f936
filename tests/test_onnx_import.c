/* Tests of the ONNX import (src/compiler/onnx_import.c, onnx_tensor.c, protobuf.c).
 *
 * Three kinds: the real models under $VOCE_TEST_DATA (checked against facts read with
 * python3-onnx, hard-coded below), small models encoded here with a tiny protobuf writer
 * (one feature per test), and hostile input (truncation, bad wire data, absurd sizes,
 * external data escaping its directory), which must fail cleanly with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/onnx.h"
#include "compiler/protobuf.h"
#include "harness.h"

/* ---- a tiny protobuf writer ------------------------------------------------------------ */

typedef struct pb {
    uint8_t *b;
    size_t n, cap;
} pb;

static void pb_raw(pb *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap < w->n + n) cap *= 2;
        uint8_t *nb = realloc(w->b, cap);
        if (!nb) abort();
        w->b = nb;
        w->cap = cap;
    }
    if (n) memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void pb_varint(pb *w, uint64_t v)
{
    uint8_t buf[10];
    int k = 0;
    do {
        buf[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    pb_raw(w, buf, (size_t)k);
}

static void pb_tag(pb *w, unsigned num, int wire)
{
    pb_varint(w, (uint64_t)num << 3 | (unsigned)wire);
}
static void pb_int(pb *w, unsigned num, int64_t v) { pb_tag(w, num, 0); pb_varint(w, (uint64_t)v); }

static void pb_f32(pb *w, unsigned num, float f)
{
    pb_tag(w, num, 5);
    pb_raw(w, &f, 4); /* little-endian host */
}

static void pb_bytes(pb *w, unsigned num, const void *p, size_t n)
{
    pb_tag(w, num, 2);
    pb_varint(w, n);
    pb_raw(w, p, n);
}

static void pb_str(pb *w, unsigned num, const char *s) { pb_bytes(w, num, s, strlen(s)); }

/* Append sub as a nested message and free it. */
static void pb_sub(pb *w, unsigned num, pb *sub)
{
    pb_bytes(w, num, sub->b, sub->n);
    free(sub->b);
    memset(sub, 0, sizeof *sub);
}

static void pb_free(pb *w)
{
    free(w->b);
    memset(w, 0, sizeof *w);
}

/* Each comma-separated entry of csv as string field num ("a,,b" has an empty middle). */
static void pb_list(pb *w, unsigned num, const char *csv)
{
    if (!csv) return;
    for (;;) {
        const char *e = strchr(csv, ',');
        size_t n = e ? (size_t)(e - csv) : strlen(csv);
        pb_bytes(w, num, csv, n);
        if (!e) return;
        csv = e + 1;
    }
}

/* ---- ONNX messages (field numbers of onnx.proto) ------------------------------------- */

static pb tensor_raw(const char *name, int dtype, int rank, const int64_t *dims, const void *data,
                     size_t nbytes)
{
    pb t = {0};
    for (int i = 0; i < rank; i++) pb_int(&t, 1, dims[i]);
    pb_int(&t, 2, dtype);
    if (name) pb_str(&t, 8, name);
    if (data) pb_bytes(&t, 9, data, nbytes);
    return t;
}

/* ValueInfoProto of a tensor; rank -1: no shape; dims[i] < 0: dim_param "N<i>". */
static pb vinfo(const char *name, int elem, int rank, const int64_t *dims)
{
    pb shape = {0}, tt = {0}, type = {0}, v = {0};
    for (int i = 0; i < rank; i++) {
        pb dim = {0};
        if (dims[i] >= 0) pb_int(&dim, 1, dims[i]);
        else { char s[16]; snprintf(s, sizeof s, "N%d", i); pb_str(&dim, 2, s); }
        pb_sub(&shape, 1, &dim);
    }
    pb_int(&tt, 1, elem);
    if (rank >= 0) pb_sub(&tt, 2, &shape);
    pb_free(&shape);
    pb_sub(&type, 1, &tt);
    pb_str(&v, 1, name);
    pb_sub(&v, 2, &type);
    return v;
}

static pb node(const char *op, const char *name, const char *ins, const char *outs)
{
    pb n = {0};
    pb_list(&n, 1, ins);
    pb_list(&n, 2, outs);
    if (name) pb_str(&n, 3, name);
    pb_str(&n, 4, op);
    return n;
}

static void attr_int(pb *n, const char *name, int64_t v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 3, v);
    pb_int(&a, 20, 2);
    pb_sub(n, 5, &a);
}

static void attr_float(pb *n, const char *name, float f)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_f32(&a, 2, f);
    pb_int(&a, 20, 1);
    pb_sub(n, 5, &a);
}

/* INTS attribute, packed or one field per element. */
static void attr_ints(pb *n, const char *name, const int64_t *v, int count, int packed)
{
    pb a = {0};
    pb_str(&a, 1, name);
    if (packed) {
        pb p = {0};
        for (int i = 0; i < count; i++) pb_varint(&p, (uint64_t)v[i]);
        pb_sub(&a, 8, &p);
    } else {
        for (int i = 0; i < count; i++) pb_int(&a, 8, v[i]);
    }
    pb_int(&a, 20, 7);
    pb_sub(n, 5, &a);
}

static void attr_graph(pb *n, const char *name, pb *g)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_sub(&a, 6, g);
    pb_int(&a, 20, 5);
    pb_sub(n, 5, &a);
}

static void attr_tensor(pb *n, const char *name, pb *t)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_sub(&a, 5, t);
    pb_int(&a, 20, 4);
    pb_sub(n, 5, &a);
}

/* ModelProto: IR 8, one default-domain opset, the graph (freed). */
static pb model(int64_t opset, pb *graph)
{
    pb m = {0}, op = {0};
    pb_int(&m, 1, 8);
    pb_str(&m, 2, "voce-test");
    pb_str(&m, 3, "1.0");
    pb_sub(&m, 7, graph);
    pb_str(&op, 1, "");
    pb_int(&op, 2, opset);
    pb_sub(&m, 8, &op);
    return m;
}

/* Load model bytes w (freed) from memory. */
static voce_status load_pb(pb *w, const char *base_dir, vc_onnx_model *m)
{
    voce_status st = vc_onnx_load_memory(w->b, w->n, base_dir, m);
    pb_free(w);
    return st;
}

/* A one-node graph "y = Relu(x)" with x f32 [N0, 4]: the base of several tests. */
static pb relu_graph(void)
{
    pb g = {0}, n = node("Relu", "relu", "x", "y"), vi, vo;
    int64_t d[2] = {-1, 4};
    pb_sub(&g, 1, &n);
    pb_str(&g, 2, "g");
    vi = vinfo("x", 1, 2, d);
    pb_sub(&g, 11, &vi);
    vo = vinfo("y", 1, 2, d);
    pb_sub(&g, 12, &vo);
    return g;
}

/* ---- helpers on the imported graph ----------------------------------------------------- */

static int find_value(const vc_mgraph *g, int graph, const char *name)
{
    for (int i = 0; i < g->n_values; i++)
        if (g->values[i].graph == graph && strcmp(g->values[i].name, name) == 0) return i;
    return -1;
}

static const vc_node *find_node(const vc_mgraph *g, int graph, const char *op)
{
    for (int i = 0; i < g->graphs[graph].n_nodes; i++)
        if (strcmp(g->graphs[graph].nodes[i].op_type, op) == 0) return &g->graphs[graph].nodes[i];
    return NULL;
}

static int count_kind(const vc_mgraph *g, vc_value_kind kind)
{
    int n = 0;
    for (int i = 0; i < g->n_values; i++) n += g->values[i].kind == kind;
    return n;
}

/* Invariants every import must hold; returns a description of the first violation. */
static const char *check_invariants(const vc_mgraph *g)
{
    static char why[256];
    for (int v = 0; v < g->n_values; v++) {
        const vc_value *x = &g->values[v];
        if (x->graph < 0 || x->graph >= g->n_graphs) return "value graph out of range";
        if (x->kind == VC_VAL_CONST) {
            vc_tensor t;
            vc_value_tensor(x, &t);
            if (((uintptr_t)x->data & 63) != 0) return "constant data not 64-byte aligned";
            if (x->nbytes != vc_nbytes(&t) || x->rank < 0) {
                snprintf(why, sizeof why, "constant '%s' nbytes %llu", x->name,
                         (unsigned long long)x->nbytes);
                return why;
            }
        }
    }
    for (int gi = 0; gi < g->n_graphs; gi++) {
        const vc_graph *gr = &g->graphs[gi];
        if ((gi == 0) != (gr->parent < 0) || gr->parent >= gi) return "bad graph parent";
        for (int k = 0; k < gr->n_nodes; k++) {
            const vc_node *n = &gr->nodes[k];
            if (n->op || n->opset < 1) return "node op / opset";
            for (int i = 0; i < n->n_in; i++)
                if (n->in[i] >= 0 && !vc_mgraph_visible(g, n->in[i], gi)) {
                    snprintf(why, sizeof why, "node '%s' input %d not visible", n->name, i);
                    return why;
                }
            for (int i = 0; i < n->n_out; i++) {
                const vc_value *o = &g->values[n->out[i]];
                if (o->kind != VC_VAL_NODE || o->graph != gi || o->def_node != k)
                    return "node output not defined by it";
            }
            for (int i = 0; i < n->n_in; i++) /* topological: producers come first */
                if (n->in[i] >= 0 && g->values[n->in[i]].kind == VC_VAL_NODE &&
                    g->values[n->in[i]].graph == gi && g->values[n->in[i]].def_node >= k)
                    return "node reads a value produced later";
            for (int i = 0; i < n->n_attr; i++)
                if (n->attr[i].type == VC_ATTR_GRAPH && g->graphs[n->attr[i].graph].parent != gi)
                    return "subgraph parent is not the node's graph";
        }
        for (int i = 0; i < gr->n_out; i++)
            if (!vc_mgraph_visible(g, gr->out[i], gi)) return "graph output not visible";
    }
    return NULL;
}

/* ---- the real models ------------------------------------------------------------------- */

/* Facts of fixed upstream files, obtained with Debian's python3-onnx:
 *   m = onnx.load(path); walk m.graph and every GRAPH attribute recursively, counting
 *   graphs, nodes whose op_type is not Constant, Constant nodes, initializers, and
 *   Reduce* nodes with an 'axes' attribute (opset < 18: normalised into one extra
 *   constant each); m.graph.input / output names; m.opset_import; m.ir_version. */
typedef struct model_facts {
    const char *file;
    int ir, opset, n_opsets;
    int graphs, nodes, nodes0;          /* non-Constant nodes: all graphs, graph 0 */
    int const_nodes, inits, normalised; /* constants = their sum */
    const char *inputs, *outputs;       /* graph 0, comma-separated */
    const char *producer;
} model_facts;

static const model_facts facts[] = {
    {"models/silero-vad/silero_vad_16k_op15.onnx", 8, 15, 1, 25, 190, 72, 160, 15, 1,
     "input,state,sr", "output,stateN", "pytorch 2.3.1"},
    {"models/silero-vad/silero_vad.onnx", 8, 16, 1, 51, 348, 4, 341, 0, 2, "input,state,sr",
     "output,stateN", "spox"},
    {"models/silero-vad/silero_vad_v5_npm.onnx", 8, 16, 1, 51, 348, 4, 341, 0, 2,
     "input,state,sr", "output,stateN", "spox"},
    {"models/silero-vad/silero_vad_half.onnx", 8, 16, 1, 25, 170, 52, 155, 15, 1, "input,state",
     "output,stateN", "pytorch 2.3.1"},
    {"models/silero-vad/silero_vad_legacy_npm.onnx", 8, 16, 9, 19, 250, 2, 0, 259, 6,
     "input,sr,h,c", "output,hn,cn", "pytorch 1.12.0"},
    {"models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx", 7, 14, 1, 1, 26, 26, 18, 28, 0,
     "log_mel", "speech_logit", "pytorch 2.11.0"},
};

static int names_match(const vc_mgraph *g, const int32_t *idx, int n, const char *csv)
{
    char buf[256];
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k < sizeof buf; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, i ? ",%s" : "%s", g->values[idx[i]].name);
    return strcmp(buf, csv) == 0;
}

static void test_real_models(void)
{
    int found = 0;
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        const model_facts *f = &facts[i];
        const char *path = vt_data(f->file);
        if (!path) continue;
        found++;
        vc_onnx_model m;
        CHECK_OK(vc_onnx_load(path, &m));
        const vc_mgraph *g = &m.graph;
        int nodes = 0;
        for (int gi = 0; gi < g->n_graphs; gi++) nodes += g->graphs[gi].n_nodes;
        const char *why = check_invariants(g);
        int ok = m.ir_version == f->ir && m.n_opsets == f->n_opsets && !m.opsets[0].domain[0] &&
                 m.opsets[0].version == f->opset && g->n_graphs == f->graphs && nodes == f->nodes &&
                 g->graphs[0].n_nodes == f->nodes0 &&
                 count_kind(g, VC_VAL_CONST) == f->const_nodes + f->inits + f->normalised &&
                 names_match(g, g->graphs[0].in, g->graphs[0].n_in, f->inputs) &&
                 names_match(g, g->graphs[0].out, g->graphs[0].n_out, f->outputs) &&
                 strcmp(m.producer, f->producer) == 0 && !why;
        if (!ok)
            vt_fail(__FILE__, __LINE__, "%s: ir %lld opsets %d graphs %d nodes %d/%d consts %d "
                    "producer '%s' invariant: %s", f->file, (long long)m.ir_version, m.n_opsets,
                    g->n_graphs, nodes, g->graphs[0].n_nodes, count_kind(g, VC_VAL_CONST),
                    m.producer, why ? why : "ok");
        vc_onnx_free(&m);
        if (!ok) return;
    }
    if (!found) VT_SKIP("needs models/silero-vad/*.onnx and models/moonshine-micro-tinyvad/*.onnx");
}

/* Input types of silero_vad_16k_op15.onnx (python3-onnx: m.graph.input[i].type):
 * input f32 [batch, sequence], state f32 [2, batch, 128], sr i64 scalar. */
static void test_op15_details(void)
{
    const char *path = vt_data("models/silero-vad/silero_vad_16k_op15.onnx");
    if (!path) VT_SKIP("needs models/silero-vad/silero_vad_16k_op15.onnx");
    vc_onnx_model m;
    CHECK_OK(vc_onnx_load(path, &m));
    const vc_mgraph *g = &m.graph;
    const vc_value *in = &g->values[g->graphs[0].in[0]];
    const vc_value *state = &g->values[g->graphs[0].in[1]];
    const vc_value *sr = &g->values[g->graphs[0].in[2]];
    int ok = in->kind == VC_VAL_INPUT && in->dtype == VOCE_DTYPE_F32 && in->rank == 2 &&
             in->dims[0] == -1 && in->dims[1] == -1 && in->dim_names[0] &&
             !strcmp(in->dim_names[0], "batch") && in->dim_names[1] &&
             !strcmp(in->dim_names[1], "sequence") && state->dtype == VOCE_DTYPE_F32 &&
             state->rank == 3 && state->dims[0] == 2 && state->dims[1] == -1 &&
             state->dims[2] == 128 && !state->dim_names[0] && state->dim_names[1] &&
             !strcmp(state->dim_names[1], "batch") && sr->dtype == VOCE_DTYPE_I64 && sr->rank == 0;
    /* the 15 initializers are f32 constants of graph 0; the top-level If has two branches */
    int n_init = 0;
    for (int v = 0; v < g->n_values; v++)
        n_init += g->values[v].kind == VC_VAL_CONST && g->values[v].graph == 0 &&
                  g->values[v].dtype == VOCE_DTYPE_F32 && g->values[v].rank >= 1 &&
                  g->values[v].nbytes >= 4 * 128;
    const vc_node *iff = find_node(g, 0, "If");
    ok = ok && n_init >= 10 && iff && vc_attr_find(iff, "then_branch") &&
         vc_attr_find(iff, "else_branch") &&
         vc_attr_find(iff, "then_branch")->type == VC_ATTR_GRAPH && iff->opset == 15;
    vc_onnx_free(&m);
    CHECK_MSG(ok, "silero_vad_16k_op15.onnx details differ (inputs, initializers, If)");
}

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* A cut model must fail, whether the cut lands in a length, a tensor or after the graph. */
static void test_truncation(void)
{
    const char *path = vt_data("models/silero-vad/silero_vad_16k_op15.onnx");
    if (!path) VT_SKIP("needs models/silero-vad/silero_vad_16k_op15.onnx");
    size_t size;
    uint8_t *b = read_all(path, &size);
    CHECK(b && size > 200000);
    int bad = 0;
    size_t bad_at = 0;
    for (size_t cut = 0; cut < size && !bad; cut = cut < 200000 ? cut + 997 : cut + 1) {
        if (cut >= 200000 && cut < size - 100) cut = size - 100;
        vc_onnx_model m;
        voce_status st = vc_onnx_load_memory(b, cut, NULL, &m);
        if (st == VOCE_OK || !voce_last_error()[0]) { bad = 1; bad_at = cut; }
        if (st == VOCE_OK) vc_onnx_free(&m);
    }
    free(b);
    CHECK_MSG(!bad, "model cut at %zu bytes loaded or failed without a message", bad_at);
}

/* Load bytes that may or may not be a valid model: a failure must carry a message, a
 * success must hold the invariants. Returns 0 when neither held. */
static int load_any(const uint8_t *b, size_t n, char *why, size_t why_size)
{
    vc_onnx_model m;
    voce_status st = vc_onnx_load_memory(b, n, NULL, &m);
    if (st != VOCE_OK) {
        if (voce_last_error()[0]) return 1;
        snprintf(why, why_size, "failed (%s) without a message", voce_status_str(st));
        return 0;
    }
    const char *bad = check_invariants(&m.graph);
    if (bad) snprintf(why, why_size, "loaded, but %s", bad);
    vc_onnx_free(&m);
    return !bad;
}

/* Model bytes with the graph field cut to its first cut bytes (the length rewritten, so
 * the damage is inside the graph, not in the top-level framing). */
static size_t cut_graph(const uint8_t *b, size_t size, size_t cut, uint8_t *out)
{
    vc_pb top;
    vc_pb_field f;
    size_t n = 0;
    vc_pb_init(&top, b, size);
    while (vc_pb_next(&top, &f) > 0) {
        size_t end = (size_t)(top.p - b);
        if (f.num != 7) {
            memcpy(out + n, b + f.offset, end - f.offset);
            n += end - f.offset;
            continue;
        }
        size_t len = cut < f.len ? cut : f.len;
        out[n++] = 0x3a;
        for (size_t v = len;; v >>= 7) {
            out[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            if (v <= 0x7f) break;
        }
        memcpy(out + n, f.data, len);
        n += len;
    }
    return n;
}

static void test_inner_truncation(void)
{
    const char *files[2] = {"models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx",
                            "models/silero-vad/silero_vad_16k_op15.onnx"};
    const size_t stride[2] = {53, 997};
    int found = 0;
    char why[256];
    for (int i = 0; i < 2; i++) {
        const char *path = vt_data(files[i]);
        if (!path) continue;
        found++;
        size_t size;
        uint8_t *b = read_all(path, &size), *out = b ? malloc(size + 16) : NULL;
        CHECK(b && out);
        int ok = 1;
        size_t at = 0;
        for (size_t cut = 0; cut < size && ok; cut += stride[i]) {
            ok = load_any(out, cut_graph(b, size, cut, out), why, sizeof why);
            at = cut;
        }
        free(b);
        free(out);
        CHECK_MSG(ok, "%s with its graph cut at %zu: %s", files[i], at, why);
    }
    if (!found) VT_SKIP("needs %s", files[0]);
}

/* Random byte changes in a real model: never a crash, a message on failure. */
static void test_mutation(void)
{
    const char *path = vt_data("models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
    if (!path) VT_SKIP("needs models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
    size_t size;
    uint8_t *b = read_all(path, &size), *mut = b ? malloc(size) : NULL;
    CHECK(b && mut && size > 64);
    uint64_t s = 0x2545f4914f6cdd1dull;
    char why[256];
    int ok = 1, round;
    for (round = 0; round < 3000 && ok; round++) {
        memcpy(mut, b, size);
        for (int k = 0; k < 1 + round % 4; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            /* past the top-level header so that most mutations reach the graph */
            size_t pos = 24 + (size_t)(s % (size - 24));
            mut[pos] = (uint8_t)(s >> 32);
        }
        ok = load_any(mut, size, why, sizeof why);
    }
    free(b);
    free(mut);
    CHECK_MSG(ok, "mutation round %d: %s", round - 1, why);
}

static void expect_error(const void *data, size_t size, const char *what)
{
    vc_onnx_model m;
    voce_status st = vc_onnx_load_memory(data, size, NULL, &m);
    if (st == VOCE_OK) vc_onnx_free(&m);
    if (st == VOCE_OK || !voce_last_error()[0])
        vt_fail(__FILE__, __LINE__, "%s: expected an error, got %s", what, voce_status_str(st));
}

static void test_hostile_bytes(void)
{
    vc_onnx_model m;
    CHECK_ERR(vc_onnx_load_memory("", 0, NULL, &m), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "not an ONNX model"));
    CHECK_ERR(vc_onnx_load("/nonexistent/dir/model.onnx", &m), VOCE_ERR_IO);
    CHECK(strstr(voce_last_error(), "/nonexistent/dir/model.onnx"));

    uint64_t s = 0x9e3779b97f4a7c15ull; /* xorshift: reproducible noise */
    uint8_t noise[4096];
    for (int round = 0; round < 200 && !vt_failed(); round++) {
        size_t n = (size_t)(round * 37 % 4096);
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            noise[i] = (uint8_t)s;
        }
        expect_error(noise, n, "random bytes");
    }

    const char *wav = vt_data("audio/jfk.wav");
    if (wav) {
        CHECK_ERR(vc_onnx_load(wav, &m), VOCE_ERR_FORMAT);
        CHECK(strstr(voce_last_error(), "not an ONNX model"));
    }

    /* field 1 (ir_version) with an 11-byte varint */
    const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0x01};
    expect_error(long_varint, sizeof long_varint, "11-byte varint");
    /* field 7 (graph) claiming 100 bytes of which 3 exist */
    const uint8_t past_end[] = {0x08, 0x08, 0x3a, 0x64, 0x0a, 0x01, 0x00};
    expect_error(past_end, sizeof past_end, "length past the end");
    /* a start-group tag (field 7, wire type 3) */
    const uint8_t group[] = {0x08, 0x08, 0x3b, 0x3c};
    expect_error(group, sizeof group, "group");
    /* a graph whose node length runs past the end of the graph */
    pb g = {0}, n = {0}, mm;
    pb_str(&n, 4, "Relu");
    pb_sub(&g, 1, &n);
    g.b[1] = 0x7f;
    mm = model(13, &g);
    expect_error(mm.b, mm.n, "node past the end of its graph");
    pb_free(&mm);
}

static void test_absurd_sizes(void)
{
    vc_onnx_model m;
    int64_t huge[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
    pb g = relu_graph(), t = tensor_raw("w", 1, 2, huge, NULL, 0), mm;
    pb_sub(&g, 5, &t);
    mm = model(13, &g);
    voce_status st = load_pb(&mm, NULL, &m);
    CHECK(st != VOCE_OK && strstr(voce_last_error(), "'w'"));

    /* 1 x 2^40 floats declared, 8 bytes present */
    int64_t big[2] = {1, (int64_t)1 << 40};
    g = relu_graph();
    t = tensor_raw("w", 1, 2, big, "01234567", 8);
    pb_sub(&g, 5, &t);
    mm = model(13, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "'w'"));

    /* rank 9 */
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    float one = 1;
    g = relu_graph();
    t = tensor_raw("w9", 1, 9, nine, &one, 4);
    pb_sub(&g, 5, &t);
    mm = model(13, &g);
    CHECK(load_pb(&mm, NULL, &m) != VOCE_OK && strstr(voce_last_error(), "'w9'"));

    /* graphs nested 40 deep (each an If's then_branch) */
    pb inner = relu_graph();
    for (int d = 0; d < 40; d++) {
        pb outer = relu_graph(), iff = node("If", "if", "c", "z");
        attr_graph(&iff, "then_branch", &inner);
        pb_sub(&outer, 1, &iff);
        inner = outer;
    }
    mm = model(13, &inner);
    CHECK(load_pb(&mm, NULL, &m) != VOCE_OK && strstr(voce_last_error(), "nested"));
}

/* ---- external data --------------------------------------------------------------------- */

static pb ext_tensor(const char *name, const char *location, const char *offset,
                     const char *length, int rank, const int64_t *dims)
{
    pb t = tensor_raw(name, 1, rank, dims, NULL, 0);
    const char *kv[3][2] = {{"location", location}, {"offset", offset}, {"length", length}};
    for (int i = 0; i < 3; i++) {
        if (!kv[i][1]) continue;
        pb e = {0};
        pb_str(&e, 1, kv[i][0]);
        pb_str(&e, 2, kv[i][1]);
        pb_sub(&t, 13, &e);
    }
    pb_int(&t, 14, 1);
    return t;
}

/* dir/name with 16 junk bytes, 6 floats 0..5, 8 junk bytes. Returns 0 on success. */
static int write_ext_file(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    float v[6] = {0, 1, 2, 3, 4, 5};
    fwrite("0123456789abcdef", 1, 16, f);
    fwrite(v, 4, 6, f);
    fwrite("trailing", 1, 8, f);
    return fclose(f);
}

static voce_status load_ext(const char *dir, const char *loc, const char *off, const char *len,
                            vc_onnx_model *m)
{
    int64_t dims[2] = {2, 3};
    pb g = relu_graph(), t = ext_tensor("w", loc, off, len, 2, dims), mm;
    pb_sub(&g, 5, &t);
    mm = model(13, &g);
    return load_pb(&mm, dir, m);
}

static void test_external_data(void)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", vt_tmp("onnx_ext"));
    mkdir(dir, 0777); /* may exist from an earlier run */
    CHECK(write_ext_file(dir, "w.bin") == 0);

    vc_onnx_model m;
    CHECK_OK(load_ext(dir, "w.bin", "16", "24", &m));
    int v = find_value(&m.graph, 0, "w");
    const vc_value *w = v >= 0 ? &m.graph.values[v] : NULL;
    int ok = w && w->kind == VC_VAL_CONST && w->rank == 2 && w->dims[1] == 3 && w->nbytes == 24 &&
             ((const float *)w->data)[5] == 5.0f && ((uintptr_t)w->data & 63) == 0;
    vc_onnx_free(&m);
    CHECK_MSG(ok, "external tensor 'w' wrong");

    /* through vc_onnx_load: the location is relative to the model file's directory */
    int64_t dims[2] = {2, 3};
    pb g = relu_graph(), t = ext_tensor("w", "w.bin", "16", "24", 2, dims), mm;
    pb_sub(&g, 5, &t);
    mm = model(13, &g);
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/ext.onnx", dir);
    FILE *f = fopen(mpath, "wb");
    CHECK(f);
    fwrite(mm.b, 1, mm.n, f);
    fclose(f);
    pb_free(&mm);
    CHECK_OK(vc_onnx_load(mpath, &m));
    v = find_value(&m.graph, 0, "w");
    ok = v >= 0 && ((const float *)m.graph.values[v].data)[2] == 2.0f;
    vc_onnx_free(&m);
    CHECK(ok);

    /* no length: the rest of the file, here 24 data bytes + 8 junk: must not fit */
    CHECK_ERR(load_ext(dir, "w.bin", "16", NULL, &m), VOCE_ERR_FORMAT);
    /* shorter than declared: 8 bytes remain after offset 40, 24 declared */
    CHECK_ERR(load_ext(dir, "w.bin", "40", "24", &m), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "'w'"));
    CHECK_ERR(load_ext(dir, "w.bin", "16", "20", &m), VOCE_ERR_FORMAT); /* != 6 floats */
    CHECK_ERR(load_ext(dir, "w.bin", "99999", "24", &m), VOCE_ERR_FORMAT);
    CHECK_ERR(load_ext(dir, "w.bin", "-1", "24", &m), VOCE_ERR_FORMAT);
    /* escaping the directory */
    CHECK(load_ext(dir, "../x", "0", "24", &m) != VOCE_OK && strstr(voce_last_error(), ".."));
    CHECK(load_ext(dir, "sub/../../x", "0", "24", &m) != VOCE_OK);
    CHECK(load_ext(dir, "/etc/passwd", NULL, NULL, &m) != VOCE_OK &&
          strstr(voce_last_error(), "absolute"));
    CHECK(load_ext(dir, "", NULL, NULL, &m) != VOCE_OK);
    CHECK_ERR(load_ext(dir, "missing.bin", NULL, NULL, &m), VOCE_ERR_IO);
    CHECK(strstr(voce_last_error(), "missing.bin"));
    /* from memory without a base directory */
    CHECK(load_ext(NULL, "w.bin", "16", "24", &m) != VOCE_OK && voce_last_error()[0]);
}

/* ---- encodings ---------------------------------------------------------------------- */

static void test_packed_unpacked(void)
{
    const int64_t perm[3] = {0, 2, 1};
    const int64_t big[3] = {-1, (int64_t)1 << 40, 7};
    pb g = {0}, n1 = node("Transpose", "t1", "x", "a"), n2 = node("Transpose", "t2", "a", "b");
    pb n3 = node("Custom", "c", "b", "y"), vi, vo, t = {0}, t2 = {0};
    attr_ints(&n1, "perm", perm, 3, 1);
    attr_ints(&n2, "perm", perm, 3, 0);
    /* mixed: a packed run of two, then one unpacked element */
    pb a = {0}, p = {0};
    pb_str(&a, 1, "vals");
    pb_varint(&p, (uint64_t)big[0]);
    pb_varint(&p, (uint64_t)big[1]);
    pb_sub(&a, 8, &p);
    pb_int(&a, 8, big[2]);
    pb_int(&a, 20, 7);
    pb_sub(&n3, 5, &a);
    pb_sub(&g, 1, &n1);
    pb_sub(&g, 1, &n2);
    pb_sub(&g, 1, &n3);
    int64_t d3[3] = {1, 2, 3};
    vi = vinfo("x", 1, 3, d3);
    pb_sub(&g, 11, &vi);
    vo = vinfo("y", 1, -1, NULL);
    pb_sub(&g, 12, &vo);
    /* int64 tensor: dims packed, int64_data unpacked */
    pb dp = {0};
    pb_varint(&dp, 3);
    pb_bytes(&t, 1, dp.b, dp.n);
    pb_free(&dp);
    pb_int(&t, 2, 7);
    pb_str(&t, 8, "i64");
    for (int i = 0; i < 3; i++) pb_int(&t, 7, big[i]);
    pb_sub(&g, 5, &t);
    /* float tensor: dims unpacked, float_data packed */
    pb_int(&t2, 1, 2);
    pb_int(&t2, 2, 1);
    pb_str(&t2, 8, "f32");
    float fv[2] = {1.5f, -2.25f};
    pb_bytes(&t2, 4, fv, sizeof fv);
    pb_sub(&g, 5, &t2);
    pb mm = model(13, &g);
    vc_onnx_model m;
    CHECK_OK(load_pb(&mm, NULL, &m));
    const vc_mgraph *G = &m.graph;
    const vc_node *x1 = &G->graphs[0].nodes[0], *x2 = &G->graphs[0].nodes[1];
    const vc_node *x3 = &G->graphs[0].nodes[2];
    int64_t c1, c2, c3;
    const int64_t *p1 = vc_attr_ints(x1, "perm", &c1), *p2 = vc_attr_ints(x2, "perm", &c2);
    const int64_t *p3 = vc_attr_ints(x3, "vals", &c3);
    int vi64 = find_value(G, 0, "i64"), vf32 = find_value(G, 0, "f32");
    int ok = p1 && p2 && p3 && c1 == 3 && c2 == 3 && c3 == 3 && !memcmp(p1, perm, sizeof perm) &&
             !memcmp(p2, perm, sizeof perm) && !memcmp(p3, big, sizeof big) && vi64 >= 0 &&
             vf32 >= 0 && !memcmp(G->values[vi64].data, big, sizeof big) &&
             G->values[vi64].rank == 1 && G->values[vf32].dims[0] == 2 &&
             !memcmp(G->values[vf32].data, fv, sizeof fv) &&
             !strcmp(x3->op_type, "Custom") && !check_invariants(G);
    vc_onnx_free(&m);
    CHECK_MSG(ok, "packed / unpacked fields decoded wrongly");
}

/* int32_data carries f16 bit patterns, int8, bool; old exporters omit attribute types. */
static void test_typed_fields(void)
{
    pb g = relu_graph(), t = {0}, t2 = {0}, t3 = {0};
    pb_int(&t, 1, 2);
    pb_int(&t, 2, 10); /* f16 */
    pb_str(&t, 8, "h");
    pb_int(&t, 5, 0x3c00);
    pb_int(&t, 5, 0xc000);
    pb_sub(&g, 5, &t);
    pb_int(&t2, 1, 3);
    pb_int(&t2, 2, 3); /* i8 */
    pb_str(&t2, 8, "i8");
    pb_int(&t2, 5, -1);
    pb_int(&t2, 5, 127);
    pb_int(&t2, 5, -128);
    pb_sub(&g, 5, &t2);
    pb_int(&t3, 2, 9); /* bool scalar, raw byte 7 means true */
    pb_str(&t3, 8, "b");
    pb_bytes(&t3, 9, "\x07", 1);
    pb_sub(&g, 5, &t3);
    pb n = node("Gelu", "gl", "y", "z"), a = {0};
    pb_str(&a, 1, "approximate"); /* no type field */
    pb_str(&a, 4, "tanh");
    pb_sub(&n, 5, &a);
    pb_sub(&g, 1, &n);
    pb mm = model(20, &g);
    vc_onnx_model m;
    CHECK_OK(load_pb(&mm, NULL, &m));
    const vc_mgraph *G = &m.graph;
    int h = find_value(G, 0, "h"), i8 = find_value(G, 0, "i8"), b = find_value(G, 0, "b");
    const vc_node *gl = find_node(G, 0, "Gelu");
    int ok = h >= 0 && i8 >= 0 && b >= 0 && gl && G->values[h].dtype == VOCE_DTYPE_F16 &&
             ((const uint16_t *)G->values[h].data)[1] == 0xc000 &&
             ((const int8_t *)G->values[i8].data)[0] == -1 &&
             ((const int8_t *)G->values[i8].data)[2] == -128 && G->values[b].rank == 0 &&
             ((const uint8_t *)G->values[b].data)[0] == 1 &&
             !strcmp(vc_attr_string(gl, "approximate", ""), "tanh");
    vc_onnx_free(&m);
    CHECK_MSG(ok, "typed tensor fields or untyped attribute decoded wrongly");
}

/* ---- opset normalisation ---------------------------------------------------------------- */

static void test_squeeze_opset11(void)
{
    const int64_t axes[2] = {0, 2};
    for (int opset = 11; opset <= 13; opset += 2) {
        pb g = {0}, n = node("Squeeze", "sq", opset == 13 ? "x,ax" : "x", "y"), vi, vo;
        if (opset == 11) attr_ints(&n, "axes", axes, 2, 1);
        pb_sub(&g, 1, &n);
        int64_t d[3] = {1, 5, 1};
        vi = vinfo("x", 1, 3, d);
        pb_sub(&g, 11, &vi);
        if (opset == 13) {
            int64_t d1 = 2;
            pb t = tensor_raw("ax", 7, 1, &d1, axes, sizeof axes);
            pb_sub(&g, 5, &t);
        }
        vo = vinfo("y", 1, -1, NULL);
        pb_sub(&g, 12, &vo);
        pb mm = model(opset, &g);
        vc_onnx_model m;
        CHECK_OK(load_pb(&mm, NULL, &m));
        const vc_node *sq = &m.graph.graphs[0].nodes[0];
        const vc_value *ax = sq->n_in == 2 && sq->in[1] >= 0 ? &m.graph.values[sq->in[1]] : NULL;
        int ok = m.graph.graphs[0].n_nodes == 1 && ax && ax->kind == VC_VAL_CONST &&
                 ax->dtype == VOCE_DTYPE_I64 && ax->rank == 1 && ax->dims[0] == 2 &&
                 !memcmp(ax->data, axes, sizeof axes) && !vc_attr_find(sq, "axes") &&
                 sq->opset == opset && !check_invariants(&m.graph);
        vc_onnx_free(&m);
        CHECK_MSG(ok, "Squeeze opset %d not in the input form", opset);
    }
}

/* Slice-9, Clip-6, Pad-2, ReduceMean-13, Split-11 and Dropout-7 in one graph. */
static void test_legacy_normalisation(void)
{
    const int64_t starts[1] = {1}, ends[1] = {3}, sl_axes[1] = {1}, pads[4] = {0, 1, 0, 2};
    const int64_t split[2] = {2, 2};
    pb g = {0}, vi, vo;
    pb sl = node("Slice", "sl", "x", "a");
    attr_ints(&sl, "starts", starts, 1, 1);
    attr_ints(&sl, "ends", ends, 1, 0);
    attr_ints(&sl, "axes", sl_axes, 1, 1);
    pb cl = node("Clip", "cl", "a", "b");
    attr_float(&cl, "min", -1.0f);
    attr_float(&cl, "max", 6.0f);
    pb pd = node("Pad", "pd", "b", "c");
    attr_ints(&pd, "pads", pads, 4, 1);
    attr_float(&pd, "value", 0.5f);
    pb rm = node("ReduceMean", "rm", "c", "d");
    attr_ints(&rm, "axes", sl_axes, 1, 1);
    attr_int(&rm, "keepdims", 1);
    pb sp = node("Split", "sp", "d", "e,f");
    attr_int(&sp, "axis", 0);
    attr_ints(&sp, "split", split, 2, 0);
    pb dr = node("Dropout", "dr", "e", "y");
    attr_float(&dr, "ratio", 0.25f);
    pb_sub(&g, 1, &sl);
    pb_sub(&g, 1, &cl);
    pb_sub(&g, 1, &pd);
    pb_sub(&g, 1, &rm);
    pb_sub(&g, 1, &sp);
    pb_sub(&g, 1, &dr);
    int64_t d[2] = {4, 4};
    vi = vinfo("x", 1, 2, d);
    pb_sub(&g, 11, &vi);
    vo = vinfo("y", 1, -1, NULL);
    pb_sub(&g, 12, &vo);
    pb mm = model(9, &g);
    vc_onnx_model m;
    CHECK_OK(load_pb(&mm, NULL, &m));
    const vc_mgraph *G = &m.graph;
    const vc_graph *g0 = &G->graphs[0];
    const vc_node *n_sl = &g0->nodes[0], *n_cl = &g0->nodes[1], *n_pd = &g0->nodes[2];
    const vc_node *n_rm = &g0->nodes[3], *n_sp = &g0->nodes[4], *n_dr = &g0->nodes[5];
#define CONSTV(n, i) ((n)->n_in > (i) && (n)->in[i] >= 0 ? &G->values[(n)->in[i]] : NULL)
    const vc_value *s1 = CONSTV(n_sl, 1), *s3 = CONSTV(n_sl, 3), *c1 = CONSTV(n_cl, 1);
    const vc_value *c2 = CONSTV(n_cl, 2), *p1 = CONSTV(n_pd, 1), *p2 = CONSTV(n_pd, 2);
    const vc_value *r1 = CONSTV(n_rm, 1), *sp1 = CONSTV(n_sp, 1), *d1 = CONSTV(n_dr, 1);
#undef CONSTV
    int ok = n_sl->n_in == 4 && n_sl->n_attr == 0 && s1 && s3 &&
             ((const int64_t *)s1->data)[0] == 1 && ((const int64_t *)s3->data)[0] == 1 && c1 &&
             c2 && c1->rank == 0 && c1->dtype == VOCE_DTYPE_F32 &&
             ((const float *)c2->data)[0] == 6.0f && n_cl->n_attr == 0 &&
             p1 && p2 && p1->dims[0] == 4 && ((const int64_t *)p1->data)[3] == 2 &&
             p2->dtype == VOCE_DTYPE_F32 && ((const float *)p2->data)[0] == 0.5f &&
             n_pd->n_attr == 0 && r1 && r1->dims[0] == 1 && vc_attr_int(n_rm, "keepdims", 0) == 1 &&
             !vc_attr_find(n_rm, "axes") && sp1 && ((const int64_t *)sp1->data)[1] == 2 &&
             vc_attr_int(n_sp, "axis", -1) == 0 && d1 && ((const float *)d1->data)[0] == 0.25f &&
             n_dr->n_attr == 0 && !check_invariants(G);
    vc_onnx_free(&m);
    CHECK_MSG(ok, "legacy attributes not turned into constant inputs");
}

/* ---- constants, scopes, order ---------------------------------------------------------- */

static void test_constant_nodes(void)
{
    pb g = relu_graph(), c1 = node("Constant", "c1", NULL, "k1");
    pb c2 = node("Constant", NULL, NULL, "k2");
    pb c3 = node("Constant", "c3", NULL, "k3"), use = node("Sum", "s", "y,k1,k2,k3", "z");
    int64_t d = 3;
    float vals[3] = {1, 2, 3};
    pb t = tensor_raw("ignored", 1, 1, &d, vals, sizeof vals);
    attr_tensor(&c1, "value", &t);
    attr_float(&c2, "value_float", 4.5f);
    const int64_t iv[2] = {7, 8};
    attr_ints(&c3, "value_ints", iv, 2, 1);
    pb_sub(&g, 1, &c1);
    pb_sub(&g, 1, &c2);
    pb_sub(&g, 1, &c3);
    pb_sub(&g, 1, &use);
    pb mm = model(13, &g);
    vc_onnx_model m;
    CHECK_OK(load_pb(&mm, NULL, &m));
    const vc_mgraph *G = &m.graph;
    const vc_node *s = find_node(G, 0, "Sum");
    const vc_value *k1 = s ? &G->values[s->in[1]] : NULL, *k2 = s ? &G->values[s->in[2]] : NULL;
    const vc_value *k3 = s ? &G->values[s->in[3]] : NULL;
    int ok = G->graphs[0].n_nodes == 2 && !find_node(G, 0, "Constant") && s && s->n_in == 4 &&
             k1->kind == VC_VAL_CONST && !strcmp(k1->name, "k1") && k1->dims[0] == 3 &&
             ((const float *)k1->data)[2] == 3.0f && k2->rank == 0 &&
             ((const float *)k2->data)[0] == 4.5f && k3->dtype == VOCE_DTYPE_I64 &&
             k3->dims[0] == 2 && ((const int64_t *)k3->data)[1] == 8 && !check_invariants(G);
    vc_onnx_free(&m);
    CHECK_MSG(ok, "Constant nodes not turned into constants");

    g = relu_graph();
    pb cs = node("Constant", "cs", NULL, "ks"), a = {0};
    pb_str(&a, 1, "value_string");
    pb_str(&a, 4, "hello");
    pb_int(&a, 20, 3);
    pb_sub(&cs, 5, &a);
    pb_sub(&g, 1, &cs);
    mm = model(13, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_UNSUPPORTED);
    CHECK(strstr(voce_last_error(), "value_string"));
}

/* main: x -> If(c){ then: t = Add(x, one) ; else: e = Neg(x) } -> y */
static void test_subgraph_capture(void)
{
    pb then = {0}, els = {0}, g = {0}, vi, vc, vo;
    pb add = node("Add", "add", "x,one", "t"), neg = node("Neg", "neg", "x", "e");
    float one = 1;
    pb tone = tensor_raw("one", 1, 0, NULL, &one, 4);
    pb_sub(&then, 5, &tone);
    pb_sub(&then, 1, &add);
    vo = vinfo("t", 1, -1, NULL);
    pb_sub(&then, 12, &vo);
    pb_sub(&els, 1, &neg);
    vo = vinfo("e", 1, -1, NULL);
    pb_sub(&els, 12, &vo);
    pb iff = node("If", "if", "c", "y");
    attr_graph(&iff, "then_branch", &then);
    attr_graph(&iff, "else_branch", &els);
    pb_sub(&g, 1, &iff);
    int64_t d = 4;
    vi = vinfo("x", 1, 1, &d);
    pb_sub(&g, 11, &vi);
    vc = vinfo("c", 9, 0, NULL);
    pb_sub(&g, 11, &vc);
    vo = vinfo("y", 1, 1, &d);
    pb_sub(&g, 12, &vo);
    pb mm = model(13, &g);
    vc_onnx_model m;
    CHECK_OK(load_pb(&mm, NULL, &m));
    const vc_mgraph *G = &m.graph;
    int x = find_value(G, 0, "x");
    const vc_node *n_if = find_node(G, 0, "If");
    const vc_attr *tb = n_if ? vc_attr_find(n_if, "then_branch") : NULL;
    const vc_attr *eb = n_if ? vc_attr_find(n_if, "else_branch") : NULL;
    int ok = G->n_graphs == 3 && tb && eb && tb->type == VC_ATTR_GRAPH && tb->graph == 1 &&
             eb->graph == 2 && G->graphs[1].parent == 0 && G->graphs[2].parent == 0;
    if (ok) {
        const vc_node *a = &G->graphs[1].nodes[0], *ng = &G->graphs[2].nodes[0];
        int y = G->graphs[0].out[0];
        ok = a->in[0] == x && G->values[a->in[1]].graph == 1 && ng->in[0] == x &&
             G->graphs[1].n_out == 1 && G->values[G->graphs[1].out[0]].graph == 1 &&
             G->values[y].dtype == VOCE_DTYPE_F32 && G->values[y].rank == 1 &&
             G->values[x].dims[0] == 4 && !check_invariants(G);
    }
    vc_onnx_free(&m);
    CHECK_MSG(ok, "subgraph does not capture the outer 'x'");

    /* a name defined nowhere is an error naming it */
    pb bad = {0}, b2 = {0};
    pb nn = node("Neg", "neg", "nowhere", "e");
    pb_sub(&bad, 1, &nn);
    vo = vinfo("e", 1, -1, NULL);
    pb_sub(&bad, 12, &vo);
    iff = node("If", "if", "c", "y");
    attr_graph(&iff, "then_branch", &bad);
    pb_sub(&b2, 1, &iff);
    vc = vinfo("c", 9, 0, NULL);
    pb_sub(&b2, 11, &vc);
    vo = vinfo("y", 1, -1, NULL);
    pb_sub(&b2, 12, &vo);
    mm = model(13, &b2);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "nowhere") && strstr(voce_last_error(), "neg"));
}

/* The subgraph defines its own "x" (Constant) which shadows the outer input "x". */
static void test_name_shadowing(void)
{
    pb then = {0}, g = {0}, vi, vc, vo;
    pb cx = node("Constant", "cx", NULL, "x"), add = node("Add", "add", "x,x", "t");
    attr_float(&cx, "value_float", 2.0f);
    pb_sub(&then, 1, &cx);
    pb_sub(&then, 1, &add);
    vo = vinfo("t", 1, -1, NULL);
    pb_sub(&then, 12, &vo);
    pb iff = node("If", "if", "c", "y"), after = node("Neg", "after", "x", "z");
    attr_graph(&iff, "then_branch", &then);
    pb_sub(&g, 1, &iff);
    pb_sub(&g, 1, &after);
    vi = vinfo("x", 1, 0, NULL);
    pb_sub(&g, 11, &vi);
    vc = vinfo("c", 9, 0, NULL);
    pb_sub(&g, 11, &vc);
    vo = vinfo("z", 1, -1, NULL);
    pb_sub(&g, 12, &vo);
    pb mm = model(13, &g);
    vc_onnx_model m;
    CHECK_OK(load_pb(&mm, NULL, &m));
    const vc_mgraph *G = &m.graph;
    int outer = find_value(G, 0, "x"), inner = find_value(G, 1, "x");
    const vc_node *a = G->n_graphs == 2 ? find_node(G, 1, "Add") : NULL;
    const vc_node *ng = find_node(G, 0, "Neg");
    int ok = outer >= 0 && inner >= 0 && outer != inner && a && a->in[0] == inner &&
             a->in[1] == inner && G->values[inner].kind == VC_VAL_CONST && ng &&
             ng->in[0] == outer && G->values[outer].kind == VC_VAL_INPUT && !check_invariants(G);
    vc_onnx_free(&m);
    CHECK_MSG(ok, "inner 'x' does not shadow the outer one, or leaks out of its graph");
}

/* Nodes written consumers-first are imported in a topological order; a cycle fails. */
static void test_unsorted_graph(void)
{
    pb g = {0}, vi, vo;
    pb n3 = node("Neg", "n3", "b", "y"), n2 = node("Relu", "n2", "a", "b");
    pb n1 = node("Abs", "n1", "x", "a"), n0 = node("Sqrt", "n0", "x", "unused");
    pb_sub(&g, 1, &n3);
    pb_sub(&g, 1, &n2);
    pb_sub(&g, 1, &n0);
    pb_sub(&g, 1, &n1);
    vi = vinfo("x", 1, 0, NULL);
    pb_sub(&g, 11, &vi);
    vo = vinfo("y", 1, -1, NULL);
    pb_sub(&g, 12, &vo);
    pb mm = model(13, &g);
    vc_onnx_model m;
    CHECK_OK(load_pb(&mm, NULL, &m));
    const vc_graph *g0 = &m.graph.graphs[0];
    int ok = g0->n_nodes == 4 && !strcmp(g0->nodes[0].name, "n0") &&
             !strcmp(g0->nodes[1].name, "n1") && !strcmp(g0->nodes[2].name, "n2") &&
             !strcmp(g0->nodes[3].name, "n3") && !check_invariants(&m.graph);
    vc_onnx_free(&m);
    CHECK_MSG(ok, "unsorted graph not put in topological order");

    g = (pb){0};
    n1 = node("Abs", "n1", "b", "a");
    n2 = node("Relu", "n2", "a", "b");
    pb_sub(&g, 1, &n1);
    pb_sub(&g, 1, &n2);
    vo = vinfo("b", 1, -1, NULL);
    pb_sub(&g, 12, &vo);
    mm = model(13, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "cycle"));
}

/* ---- model-level fields and refusals --------------------------------------------------- */

static void test_model_fields(void)
{
    pb g = relu_graph(), mm = {0}, op = {0}, op2 = {0}, prop = {0};
    int64_t d = 2;
    float w[2] = {1, 2};
    pb t = tensor_raw("x", 1, 1, &d, w, sizeof w); /* initializer also listed as input */
    pb_sub(&g, 5, &t);
    pb ms = node("MatMulNBits", "mq", "y", "z");
    pb_str(&ms, 7, "com.microsoft");
    pb_sub(&g, 1, &ms);
    pb_int(&mm, 1, 3);
    pb_str(&mm, 2, "tool");
    pb_sub(&mm, 7, &g);
    pb_str(&op, 1, "ai.onnx");
    pb_int(&op, 2, 7);
    pb_sub(&mm, 8, &op);
    pb_str(&op2, 1, "com.microsoft");
    pb_int(&op2, 2, 1);
    pb_sub(&mm, 8, &op2);
    pb_str(&prop, 1, "author");
    pb_str(&prop, 2, "voce");
    pb_sub(&mm, 14, &prop);
    vc_onnx_model m;
    CHECK_OK(load_pb(&mm, NULL, &m));
    const vc_mgraph *G = &m.graph;
    int x = find_value(G, 0, "x");
    const vc_node *q = find_node(G, 0, "com.microsoft:MatMulNBits");
    int ok = m.ir_version == 3 && !strcmp(m.producer, "tool") && m.n_opsets == 2 &&
             !m.opsets[0].domain[0] && m.opsets[0].version == 7 &&
             !strcmp(m.opsets[1].domain, "com.microsoft") && m.n_props == 1 &&
             !strcmp(m.prop_keys[0], "author") && !strcmp(m.prop_values[0], "voce") && x >= 0 &&
             G->values[x].kind == VC_VAL_CONST && G->graphs[0].n_in == 0 && q && q->opset == 1 &&
             G->graphs[0].nodes[0].opset == 7 && !strcmp(G->name, "g");
    vc_onnx_free(&m);
    CHECK_MSG(ok, "model fields, domains or initializer-inputs wrong");
}

static void test_refusals(void)
{
    vc_onnx_model m;
    /* a node using a model-local function */
    pb g = relu_graph(), fn = {0}, mm;
    pb call = node("MyFn", "call", "y", "z");
    pb_str(&call, 7, "local");
    pb_sub(&g, 1, &call);
    mm = model(13, &g);
    pb_str(&fn, 1, "MyFn");
    pb_str(&fn, 10, "local");
    pb_sub(&mm, 25, &fn);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_UNSUPPORTED);
    CHECK(strstr(voce_last_error(), "MyFn"));

    /* sparse initializer */
    g = relu_graph();
    pb sp = {0};
    pb_int(&sp, 3, 2);
    pb_sub(&g, 15, &sp);
    mm = model(13, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_UNSUPPORTED);
    CHECK(strstr(voce_last_error(), "sparse"));

    /* string and bfloat16 tensors name the tensor */
    int types[2] = {8, 16};
    for (int i = 0; i < 2; i++) {
        g = relu_graph();
        uint16_t raw = 0;
        int64_t d = 1;
        pb t = tensor_raw("bad_t", types[i], 1, &d, &raw, 2);
        pb_sub(&g, 5, &t);
        mm = model(13, &g);
        CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_UNSUPPORTED);
        CHECK(strstr(voce_last_error(), "bad_t"));
    }

    /* raw data that disagrees with the shape */
    g = relu_graph();
    int64_t d2[2] = {2, 2};
    pb t = tensor_raw("short_t", 1, 2, d2, "12345678", 8);
    pb_sub(&g, 5, &t);
    mm = model(13, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "short_t"));

    /* a GRAPHS attribute */
    g = relu_graph();
    pb n = node("Weird", "w", "y", "z"), a = {0}, sub = relu_graph();
    pb_str(&a, 1, "bodies");
    pb_sub(&a, 11, &sub);
    pb_int(&a, 20, 10);
    pb_sub(&n, 5, &a);
    pb_sub(&g, 1, &n);
    mm = model(13, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_UNSUPPORTED);
    CHECK(strstr(voce_last_error(), "bodies") && strstr(voce_last_error(), "'w'"));

    /* a value produced twice */
    g = relu_graph();
    pb dup = node("Neg", "dup", "x", "y");
    pb_sub(&g, 1, &dup);
    mm = model(13, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_FORMAT);

    /* a graph output nothing produces */
    g = relu_graph();
    pb vo = vinfo("ghost", 1, -1, NULL);
    pb_sub(&g, 12, &vo);
    mm = model(13, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "ghost"));

    /* an IR-8 model without opset_import (as a file cut after its graph looks) */
    g = relu_graph();
    mm = (pb){0};
    pb_int(&mm, 1, 8);
    pb_sub(&mm, 7, &g);
    CHECK_ERR(load_pb(&mm, NULL, &m), VOCE_ERR_FORMAT);

    /* a well-formed model loads, and freeing twice is harmless */
    g = relu_graph();
    mm = model(13, &g);
    CHECK_OK(load_pb(&mm, NULL, &m));
    vc_onnx_free(&m);
    vc_onnx_free(&m);
}

int main(void)
{
    vt_run("real_models", test_real_models);
    vt_run("op15_details", test_op15_details);
    vt_run("truncation", test_truncation);
    vt_run("inner_truncation", test_inner_truncation);
    vt_run("mutation", test_mutation);
    vt_run("hostile_bytes", test_hostile_bytes);
    vt_run("absurd_sizes", test_absurd_sizes);
    vt_run("external_data", test_external_data);
    vt_run("packed_unpacked", test_packed_unpacked);
    vt_run("typed_fields", test_typed_fields);
    vt_run("squeeze_opset11", test_squeeze_opset11);
    vt_run("legacy_normalisation", test_legacy_normalisation);
    vt_run("constant_nodes", test_constant_nodes);
    vt_run("subgraph_capture", test_subgraph_capture);
    vt_run("name_shadowing", test_name_shadowing);
    vt_run("unsorted_graph", test_unsorted_graph);
    vt_run("model_fields", test_model_fields);
    vt_run("refusals", test_refusals);
    return vt_finish();
}
