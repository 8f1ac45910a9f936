/* ONNX import (contract in onnx.h): ModelProto bytes -> vc_onnx_model.
 *
 * Per graph the work runs in this order: count the repeated fields, then initializers,
 * inputs, nodes (in topological order, sorting when the file is not sorted), outputs and
 * value_info. Names resolve through a chain of scopes, one hash map per graph being
 * imported, so inner names shadow outer ones and a subgraph sees exactly the outer
 * values defined before the node that holds it.
 *
 * Every count that sizes an allocation comes from counting fields actually present in
 * the buffer, so a hostile file cannot ask for more memory than it is large (external
 * data aside, which is bounded by the size of its file).
 *
 * Limits: graphs nest at most VC_ONNX_MAX_DEPTH deep; model-local functions, sparse
 * tensors, non-tensor types (sequence, map, optional) and GRAPHS / TENSORS /
 * SPARSE_TENSOR / TYPE_PROTO attributes are refused with VOCE_ERR_UNSUPPORTED.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/error.h"
#include "../core/f16.h"
#include "onnx_internal.h"

/* Field numbers of onnx.proto. */
enum { M_IR_VERSION = 1, M_PRODUCER = 2, M_PRODUCER_VERSION = 3, M_GRAPH = 7, M_OPSET = 8,
       M_PROPS = 14, M_FUNCTIONS = 25 };
enum { G_NODE = 1, G_NAME = 2, G_INITIALIZER = 5, G_INPUT = 11, G_OUTPUT = 12,
       G_VALUE_INFO = 13, G_SPARSE_INITIALIZER = 15 };
enum { N_INPUT = 1, N_OUTPUT = 2, N_NAME = 3, N_OP_TYPE = 4, N_ATTRIBUTE = 5, N_DOMAIN = 7 };
enum { A_NAME = 1, A_F = 2, A_I = 3, A_S = 4, A_T = 5, A_G = 6, A_FLOATS = 7, A_INTS = 8,
       A_STRINGS = 9, A_TENSORS = 10, A_GRAPHS = 11, A_TP = 14, A_TYPE_PROTOS = 15,
       A_TYPE = 20, A_REF_ATTR_NAME = 21, A_SPARSE_TENSOR = 22, A_SPARSE_TENSORS = 23 };
/* AttributeProto.AttributeType */
enum { AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_GRAPH = 5, AT_FLOATS = 6,
       AT_INTS = 7, AT_STRINGS = 8, AT_TENSORS = 9, AT_GRAPHS = 10, AT_SPARSE_TENSOR = 11,
       AT_SPARSE_TENSORS = 12, AT_TYPE_PROTO = 13, AT_TYPE_PROTOS = 14 };

/* ---- small containers ------------------------------------------------------------ */

/* Open-addressing map from NUL-terminated name to int; keys are not copied. */
typedef struct strmap {
    const char **keys;
    int *vals;
    size_t cap, n;
} strmap;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int strmap_get(const strmap *m, const char *key, int *val)
{
    if (!m->cap) return 0;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return 0;
        if (strcmp(m->keys[i], key) == 0) {
            if (val) *val = m->vals[i];
            return 1;
        }
    }
}

static void strmap_set(strmap *m, const char *key, int val)
{
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
}

/* Insert or replace. -1 on allocation failure. */
static int strmap_put(strmap *m, const char *key, int val)
{
    if (2 * (m->n + 1) > m->cap) {
        strmap bigger = {0};
        bigger.cap = m->cap ? 2 * m->cap : 64;
        bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
        bigger.vals = calloc(bigger.cap, sizeof *bigger.vals);
        if (!bigger.keys || !bigger.vals) {
            free(bigger.keys);
            free(bigger.vals);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) strmap_set(&bigger, m->keys[i], m->vals[i]);
        free(m->keys);
        free(m->vals);
        *m = bigger;
    }
    strmap_set(m, key, val);
    return 0;
}

static void strmap_free(strmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* Growable array of names (pointers into the scratch pool). */
typedef struct strvec {
    const char **v;
    size_t n, cap;
} strvec;

static int strvec_push(strvec *s, const char *x)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 16;
        const char **p = realloc(s->v, ncap * sizeof *p);
        if (!p) return -1;
        s->v = p;
        s->cap = ncap;
    }
    s->v[s->n++] = x;
    return 0;
}

static void strvec_free(strvec *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---- import state ---------------------------------------------------------------- */

typedef struct ictx {
    vc_onnx_model *m;
    vc_mgraph *g;
    vc_pool tmp;            /* scratch for the import, freed when it ends */
    const char *base_dir;
    int n_funcs;
    const char **funcs;     /* model-local functions as "domain:name" ("" = default) */
} ictx;

/* The names visible while a graph is imported: its own, then its enclosing graphs'. */
typedef struct scope {
    const struct scope *up;
    strmap names;           /* name -> value index */
    int graph;
} scope;

static voce_status nomem(void) { return vc_error(VOCE_ERR_NOMEM, "out of memory"); }

static int is_default_domain(const char *d) { return !d[0] || strcmp(d, "ai.onnx") == 0; }

static int resolve(const scope *sc, const char *name)
{
    int v;
    for (; sc; sc = sc->up)
        if (strmap_get(&sc->names, name, &v)) return v;
    return -1;
}

static char *tmp_str(ictx *c, const vc_pb_field *f) { return vc_onnx_str(&c->tmp, f); }

static voce_status bad_wire(const char *msg, const vc_pb_field *f)
{
    return vc_error(VOCE_ERR_FORMAT, "%s field %u at byte %zu has wire type %d", msg,
                    (unsigned)f->num, f->offset, f->wire);
}

/* Count occurrences of a repeated message/string field, refusing absurd totals. */
static voce_status count_field(const vc_pb *msg, uint32_t num, int *n)
{
    long long k = vc_pb_count(msg, num);
    *n = 0;
    if (k < 0) return VOCE_ERR_FORMAT;
    if (k > INT_MAX / 8) return vc_error(VOCE_ERR_NOMEM, "field %u repeats %lld times", num, k);
    *n = (int)k;
    return VOCE_OK;
}

/* ---- ValueInfoProto / TypeProto ---------------------------------------------------- */

typedef struct vinfo {
    const char *name;       /* scratch */
    int has_type, tensor;   /* tensor: the type is a tensor type */
    int64_t elem;
    int rank;               /* -1 when no shape; may exceed VOCE_MAX_RANK (dims unset) */
    int64_t dims[VOCE_MAX_RANK];
    const char *dim_names[VOCE_MAX_RANK]; /* in the graph's pool */
} vinfo;

static voce_status read_shape(ictx *c, const vc_pb *shape, vinfo *vi)
{
    int n;
    voce_status st = count_field(shape, 1, &n);
    if (st) return st;
    vi->rank = n;
    if (n > VOCE_MAX_RANK) return VOCE_OK; /* callers decide whether that is an error */
    vc_pb it = *shape;
    vc_pb_field f;
    int k, i = 0;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != 1) continue;
        if (f.wire != VC_PB_LEN) return bad_wire("TensorShapeProto", &f);
        vc_pb dim;
        vc_pb_field df;
        vc_pb_open(&dim, &it, &f);
        vi->dims[i] = -1;
        vi->dim_names[i] = NULL;
        int kk;
        while ((kk = vc_pb_next(&dim, &df)) > 0) {
            if (df.num == 1 && df.wire == VC_PB_VARINT) {
                vi->dims[i] = (int64_t)df.u < 0 ? -1 : (int64_t)df.u;
                vi->dim_names[i] = NULL;
            } else if (df.num == 2 && df.wire == VC_PB_LEN) {
                vi->dims[i] = -1;
                vi->dim_names[i] = vc_onnx_str(&c->g->pool, &df);
                if (!vi->dim_names[i]) return nomem();
            }
        }
        if (kk < 0) return VOCE_ERR_FORMAT;
        i++;
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

static voce_status read_vinfo(ictx *c, const vc_pb *msg, vinfo *vi)
{
    memset(vi, 0, sizeof *vi);
    vi->name = "";
    vi->rank = -1;
    vc_pb it = *msg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num == 1) {
            if (f.wire != VC_PB_LEN) return bad_wire("ValueInfoProto", &f);
            if (!(vi->name = tmp_str(c, &f))) return nomem();
        } else if (f.num == 2) {
            if (f.wire != VC_PB_LEN) return bad_wire("ValueInfoProto", &f);
            vi->has_type = 1;
            vi->tensor = 0;
            vi->elem = 0;
            vi->rank = -1;
            vc_pb type, tt;
            vc_pb_field tf, ttf;
            vc_pb_open(&type, &it, &f);
            int kk;
            while ((kk = vc_pb_next(&type, &tf)) > 0) {
                if (tf.num != 1 || tf.wire != VC_PB_LEN) continue; /* tensor_type only */
                vi->tensor = 1;
                vc_pb_open(&tt, &type, &tf);
                int k3;
                while ((k3 = vc_pb_next(&tt, &ttf)) > 0) {
                    if (ttf.num == 1 && ttf.wire == VC_PB_VARINT) vi->elem = (int64_t)ttf.u;
                    if (ttf.num == 2 && ttf.wire == VC_PB_LEN) {
                        vc_pb shape;
                        vc_pb_open(&shape, &tt, &ttf);
                        voce_status st = read_shape(c, &shape, vi);
                        if (st) return st;
                    }
                }
                if (k3 < 0) return VOCE_ERR_FORMAT;
            }
            if (kk < 0) return VOCE_ERR_FORMAT;
        }
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

static int known_dtype(int64_t dt)
{
    return dt > 0 && dt <= 13 && voce_dtype_size((voce_dtype)dt) != 0;
}

/* Fill what a value does not know yet from value_info / output declarations. */
static void apply_vinfo(vc_value *v, const vinfo *vi)
{
    if (v->kind != VC_VAL_NODE || !vi->tensor) return;
    if (v->dtype == VOCE_DTYPE_UNDEFINED && known_dtype(vi->elem)) v->dtype = (voce_dtype)vi->elem;
    if (v->rank < 0 && vi->rank >= 0 && vi->rank <= VOCE_MAX_RANK) {
        v->rank = vi->rank;
        for (int i = 0; i < vi->rank; i++) {
            v->dims[i] = vi->dims[i];
            v->dim_names[i] = vi->dim_names[i];
        }
    }
}

static voce_status set_input_type(vc_value *v, const vinfo *vi)
{
    if (!vi->has_type) return VOCE_OK;
    if (!vi->tensor)
        return vc_error(VOCE_ERR_UNSUPPORTED, "input '%s' is not a tensor (sequence, map or "
                        "optional types are not supported)", vi->name);
    if (vi->elem && !known_dtype(vi->elem))
        return vc_error(VOCE_ERR_UNSUPPORTED, "input '%s' has data type %lld, which voce does "
                        "not support", vi->name, (long long)vi->elem);
    if (vi->rank > VOCE_MAX_RANK)
        return vc_error(VOCE_ERR_UNSUPPORTED, "input '%s' has rank %d; voce supports up to %d",
                        vi->name, vi->rank, VOCE_MAX_RANK);
    v->dtype = (voce_dtype)vi->elem;
    v->rank = vi->rank;
    for (int i = 0; i < vi->rank; i++) {
        v->dims[i] = vi->dims[i];
        v->dim_names[i] = vi->dim_names[i];
    }
    return VOCE_OK;
}

/* ---- NodeProto headers and dependency scan ----------------------------------------- */

typedef struct node_hdr {
    vc_pb msg;
    size_t offset;
    const char *name, *op_type, *domain; /* scratch */
    int n_in, n_out, n_attr;
    const char **in, **out;              /* "" for a left-out optional */
    int n_cap;
    const char **cap;                    /* names its graph attributes read from outside */
} node_hdr;

static voce_status read_node_hdr(ictx *c, const vc_pb *msg, size_t offset, node_hdr *h)
{
    memset(h, 0, sizeof *h);
    h->msg = *msg;
    h->offset = offset;
    h->name = h->op_type = h->domain = "";
    voce_status st;
    if ((st = count_field(msg, N_INPUT, &h->n_in)) ||
        (st = count_field(msg, N_OUTPUT, &h->n_out)) ||
        (st = count_field(msg, N_ATTRIBUTE, &h->n_attr)))
        return st;
    h->in = vc_pool_alloc(&c->tmp, sizeof(char *) * (size_t)h->n_in);
    h->out = vc_pool_alloc(&c->tmp, sizeof(char *) * (size_t)h->n_out);
    if (!h->in || !h->out) return nomem();
    vc_pb it = *msg;
    vc_pb_field f;
    int k, ni = 0, no = 0;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        const char **dst = NULL;
        switch (f.num) {
        case N_INPUT: dst = &h->in[ni++]; break;
        case N_OUTPUT: dst = &h->out[no++]; break;
        case N_NAME: dst = &h->name; break;
        case N_OP_TYPE: dst = &h->op_type; break;
        case N_DOMAIN: dst = &h->domain; break;
        case N_ATTRIBUTE:
            if (f.wire != VC_PB_LEN) return bad_wire("NodeProto", &f);
            continue;
        default: continue;
        }
        if (f.wire != VC_PB_LEN) return bad_wire("NodeProto", &f);
        if (!(*dst = tmp_str(c, &f))) return nomem();
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

static voce_status free_names(ictx *c, const vc_pb *gmsg, int depth, strvec *out);

/* Names that the GRAPH attributes of a node read from enclosing scopes. A superset of
 * what import resolves outside (deeper shadowing is not modelled), used only to order
 * nodes. */
static voce_status node_captures(ictx *c, const vc_pb *node, int depth, strvec *out)
{
    vc_pb it = *node;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != N_ATTRIBUTE || f.wire != VC_PB_LEN) continue;
        vc_pb attr;
        vc_pb_field af;
        vc_pb_open(&attr, &it, &f);
        int kk;
        while ((kk = vc_pb_next(&attr, &af)) > 0) {
            if (af.num != A_G || af.wire != VC_PB_LEN) continue;
            vc_pb sub;
            vc_pb_open(&sub, &attr, &af);
            voce_status st = free_names(c, &sub, depth + 1, out);
            if (st) return st;
        }
        if (kk < 0) return VOCE_ERR_FORMAT;
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

static voce_status depth_error(void)
{
    return vc_error(VOCE_ERR_UNSUPPORTED, "graphs are nested more than %d deep", VC_ONNX_MAX_DEPTH);
}

/* The last string field num of a message (a TensorProto's or ValueInfoProto's name)
 * without decoding the rest. */
static voce_status field_str(ictx *c, const vc_pb *msg, uint32_t num, const char **out)
{
    vc_pb it = *msg;
    vc_pb_field f;
    int k;
    *out = "";
    while ((k = vc_pb_next(&it, &f)) > 0)
        if (f.num == num && f.wire == VC_PB_LEN && !(*out = tmp_str(c, &f))) return nomem();
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

/* Names a graph reads without defining them (appended to out). */
static voce_status free_names(ictx *c, const vc_pb *gmsg, int depth, strvec *out)
{
    if (depth > VC_ONNX_MAX_DEPTH) return depth_error();
    strmap def = {0};
    strvec used = {0};
    voce_status st = VOCE_OK;
    vc_pb it = *gmsg;
    vc_pb_field f;
    int k = 0;
    while (!st && (k = vc_pb_next(&it, &f)) > 0) {
        if (f.wire != VC_PB_LEN) continue;
        vc_pb sub;
        vc_pb_open(&sub, &it, &f);
        const char *name;
        if (f.num == G_INITIALIZER || f.num == G_INPUT) {
            st = field_str(c, &sub, f.num == G_INITIALIZER ? 8 : 1, &name);
            if (!st && strmap_put(&def, name, 0)) st = nomem();
        } else if (f.num == G_NODE) {
            node_hdr h;
            st = read_node_hdr(c, &sub, f.offset, &h);
            for (int i = 0; !st && i < h.n_out; i++)
                if (strmap_put(&def, h.out[i], 0)) st = nomem();
            for (int i = 0; !st && i < h.n_in; i++)
                if (strvec_push(&used, h.in[i])) st = nomem();
            if (!st) st = node_captures(c, &sub, depth, &used);
        } else if (f.num == G_OUTPUT) {
            if (!(st = field_str(c, &sub, 1, &name)) && strvec_push(&used, name)) st = nomem();
        }
    }
    if (!st && k < 0) st = VOCE_ERR_FORMAT;
    for (size_t i = 0; !st && i < used.n; i++)
        if (used.v[i][0] && !strmap_get(&def, used.v[i], NULL) && strvec_push(out, used.v[i]))
            st = nomem();
    strmap_free(&def);
    strvec_free(&used);
    return st;
}

/* ---- topological order ------------------------------------------------------------ */

static void heap_push(int *h, int *n, int x)
{
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > x) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static int heap_pop(int *h, int *n)
{
    int top = h[0], x = h[--*n], i = 0;
    for (;;) {
        int l = 2 * i + 1, m = l + 1, s = i;
        int sv = x;
        if (l < *n && h[l] < sv) { s = l; sv = h[l]; }
        if (m < *n && h[m] < sv) { s = m; sv = h[m]; }
        if (s == i) break;
        h[i] = h[s];
        i = s;
    }
    if (*n) h[i] = x;
    return top;
}


static int producer_of(const strmap *prod, const char *name)
{
    int j;
    return name[0] && strmap_get(prod, name, &j) ? j : -1;
}

/* The k-th name node h reads: its inputs, then what its subgraphs capture. */
static const char *read_name(const node_hdr *h, int k)
{
    return k < h->n_in ? h->in[k] : h->cap[k - h->n_in];
}

/* Map each node output name to its node; SSA: a name has one producer in its graph. */
static voce_status producers(const node_hdr *nh, int n, const scope *sc, strmap *prod)
{
    for (int i = 0; i < n; i++)
        for (int o = 0; o < nh[i].n_out; o++) {
            const char *name = nh[i].out[o];
            int j;
            if (!name[0]) continue;
            if (strmap_get(prod, name, &j))
                return vc_error(VOCE_ERR_FORMAT, "value '%s' is produced by two nodes ('%s' and "
                                "'%s')", name, nh[j].name, nh[i].name);
            if (strmap_get(&sc->names, name, NULL))
                return vc_error(VOCE_ERR_FORMAT, "node '%s' output '%s' redefines an input or "
                                "initializer of its graph", nh[i].name, name);
            if (strmap_put(prod, name, i)) return nomem();
        }
    return VOCE_OK;
}

/* Kahn's algorithm with a min-heap, so that independent nodes keep their file order. */
static voce_status kahn(ictx *c, const node_hdr *nh, int n, const strmap *prod, size_t n_edges,
                        int *order)
{
    size_t *start = vc_pool_alloc(&c->tmp, sizeof(size_t) * ((size_t)n + 1));
    size_t *pos = vc_pool_alloc(&c->tmp, sizeof(size_t) * (size_t)n);
    int *to = vc_pool_alloc(&c->tmp, sizeof(int) * n_edges);
    int *indeg = vc_pool_alloc(&c->tmp, sizeof(int) * (size_t)n);
    int *heap = vc_pool_alloc(&c->tmp, sizeof(int) * (size_t)n);
    if (!start || !pos || !to || !indeg || !heap) return nomem();
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nh[i].n_in + nh[i].n_cap; k++) {
            int j = producer_of(prod, read_name(&nh[i], k));
            if (j >= 0) { start[j + 1]++; indeg[i]++; }
        }
    for (int j = 0; j < n; j++) start[j + 1] += start[j];
    for (int j = 0; j < n; j++) pos[j] = start[j];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nh[i].n_in + nh[i].n_cap; k++) {
            int j = producer_of(prod, read_name(&nh[i], k));
            if (j >= 0) to[pos[j]++] = i;
        }
    int hn = 0, done = 0;
    for (int i = 0; i < n; i++)
        if (!indeg[i]) heap_push(heap, &hn, i);
    while (hn) {
        int i = heap_pop(heap, &hn);
        order[done++] = i;
        for (size_t e = start[i]; e < start[i + 1]; e++)
            if (--indeg[to[e]] == 0) heap_push(heap, &hn, to[e]);
    }
    if (done == n) return VOCE_OK;
    for (int i = 0; i < n; i++)
        if (indeg[i])
            return vc_error(VOCE_ERR_FORMAT, "the graph has a cycle through node '%s' (%s)",
                            nh[i].name, nh[i].op_type);
    return vc_error(VOCE_ERR_INTERNAL, "topological sort lost nodes");
}

/* Order in which to import nodes: file order when it is topological (ONNX requires it),
 * else the topological order that stays closest to it. */
static voce_status node_order(ictx *c, const node_hdr *nh, int n, const scope *sc, int *order)
{
    strmap prod = {0};
    voce_status st = producers(nh, n, sc, &prod);
    size_t n_edges = 0;
    int sorted = 1;
    for (int i = 0; i < n && !st; i++)
        for (int k = 0; k < nh[i].n_in + nh[i].n_cap; k++) {
            int j = producer_of(&prod, read_name(&nh[i], k));
            if (j < 0) continue;
            n_edges++;
            if (j >= i) sorted = 0;
        }
    for (int i = 0; i < n; i++) order[i] = i;
    if (!st && !sorted) st = kahn(c, nh, n, &prod, n_edges, order);
    strmap_free(&prod);
    return st;
}

/* ---- constants ------------------------------------------------------------------------ */

static int add_const(ictx *c, int gi, const char *name, const vc_tensor *t, uint64_t nbytes)
{
    int v = vc_mgraph_add_value(c->g, name, VC_VAL_CONST, gi);
    if (v < 0) return -1;
    vc_value *x = &c->g->values[v];
    x->dtype = t->dtype;
    x->rank = t->rank;
    for (int i = 0; i < t->rank; i++) x->dims[i] = t->dims[i];
    x->data = t->data;
    x->nbytes = nbytes;
    return v;
}

/* A constant of rank 0 (rank0 set) or a 1-D one of n elements, copied from src. */
static int new_const(ictx *c, int gi, const char *name, voce_dtype dt, int rank0, int64_t n,
                     const void *src)
{
    vc_tensor t = {0};
    t.dtype = dt;
    t.rank = rank0 ? 0 : 1;
    t.dims[0] = n;
    size_t nb = (size_t)n * voce_dtype_size(dt);
    t.data = vc_pool_alloc_aligned(&c->g->pool, nb, 64);
    if (!t.data) return -1;
    if (nb) memcpy(t.data, src, nb);
    return add_const(c, gi, name, &t, nb);
}

/* x in element type dt (for scalars written as float attributes in old opsets). */
static void store_scalar(void *p, voce_dtype dt, double x)
{
    if (dt == VOCE_DTYPE_F32) { float f = (float)x; memcpy(p, &f, 4); return; }
    if (dt == VOCE_DTYPE_F64) { memcpy(p, &x, 8); return; }
    if (dt == VOCE_DTYPE_F16) { uint16_t h = vc_f32_to_f16((float)x); memcpy(p, &h, 2); return; }
    if (dt == VOCE_DTYPE_BOOL) { *(uint8_t *)p = x != 0; return; }
    /* integers: clamp first, a float-to-int conversion out of range is undefined */
    if (isnan(x)) x = 0;
    if (x > 9.2e18) x = 9.2e18;
    if (x < -9.2e18) x = -9.2e18;
    int64_t i = (int64_t)x;
    memcpy(p, &i, voce_dtype_size(dt)); /* little-endian: the low bytes come first */
}

/* ---- attributes ------------------------------------------------------------------------ */

typedef struct attr_fields {
    const char *name;
    int64_t type;
    int has_f, has_i, has_s, has_t, has_g, has_tp, has_sparse, has_ref;
    vc_pb_field f, i, s, t, g;
    int n_strings, n_tensors, n_graphs, n_sparse, n_tps;
    long long n_floats, n_ints;
} attr_fields;

static voce_status scan_attr(ictx *c, const vc_pb *msg, attr_fields *af)
{
    memset(af, 0, sizeof *af);
    af->name = "";
    vc_pb it = *msg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        int want = VC_PB_LEN;
        switch (f.num) {
        case A_NAME: if (f.wire == VC_PB_LEN && !(af->name = tmp_str(c, &f))) return nomem(); break;
        case A_F: want = VC_PB_I32; af->has_f = 1; af->f = f; break;
        case A_I: want = VC_PB_VARINT; af->has_i = 1; af->i = f; break;
        case A_S: af->has_s = 1; af->s = f; break;
        case A_T: af->has_t = 1; af->t = f; break;
        case A_G: af->has_g = 1; af->g = f; break;
        case A_TYPE: want = VC_PB_VARINT; af->type = (int64_t)f.u; break;
        case A_REF_ATTR_NAME: af->has_ref = 1; break;
        case A_STRINGS: af->n_strings++; break;
        case A_TENSORS: af->n_tensors++; break;
        case A_GRAPHS: af->n_graphs++; break;
        case A_SPARSE_TENSOR: af->has_sparse = 1; break;
        case A_SPARSE_TENSORS: af->n_sparse++; break;
        case A_TP: af->has_tp = 1; break;
        case A_TYPE_PROTOS: af->n_tps++; break;
        default: continue; /* floats / ints are walked below; doc_string and unknown skipped */
        }
        if (f.wire != want) return bad_wire("AttributeProto", &f);
    }
    if (k < 0) return VOCE_ERR_FORMAT;
    af->n_floats = vc_pb_rep_count(msg, A_FLOATS, VC_PB_S_FIXED32);
    af->n_ints = vc_pb_rep_count(msg, A_INTS, VC_PB_S_VARINT);
    if (af->n_floats < 0 || af->n_ints < 0) return VOCE_ERR_FORMAT;
    if (af->n_strings > INT_MAX / 8) return nomem();
    if (!af->type) { /* old exporters leave type out: take it from the field that is set */
        af->type = af->has_f ? AT_FLOAT : af->has_i ? AT_INT : af->has_s ? AT_STRING
                 : af->has_t ? AT_TENSOR : af->has_g ? AT_GRAPH : af->n_floats ? AT_FLOATS
                 : af->n_ints ? AT_INTS : af->n_strings ? AT_STRINGS : af->n_tensors ? AT_TENSORS
                 : af->n_graphs ? AT_GRAPHS : af->has_sparse ? AT_SPARSE_TENSOR
                 : af->n_sparse ? AT_SPARSE_TENSORS : af->has_tp ? AT_TYPE_PROTO
                 : af->n_tps ? AT_TYPE_PROTOS : 0;
    }
    return VOCE_OK;
}

static voce_status import_graph(ictx *c, const vc_pb *gmsg, int parent, int depth,
                                const scope *up, int *out_gi);

static voce_status attr_list(ictx *c, const vc_pb *msg, const attr_fields *af, vc_attr *a)
{
    vc_pool *pool = &c->g->pool;
    if (a->type == VC_ATTR_STRINGS) {
        const char **s = vc_pool_alloc(pool, sizeof(char *) * (size_t)af->n_strings);
        if (!s) return nomem();
        vc_pb it = *msg;
        vc_pb_field f;
        int k, n = 0;
        while ((k = vc_pb_next(&it, &f)) > 0)
            if (f.num == A_STRINGS && !(s[n++] = vc_onnx_str(pool, &f))) return nomem();
        a->strings = s;
        a->count = af->n_strings;
        return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
    }
    int ints = a->type == VC_ATTR_INTS;
    long long n = ints ? af->n_ints : af->n_floats;
    void *arr = vc_pool_alloc(pool, (size_t)n * (ints ? 8 : 4));
    if (!arr) return nomem();
    vc_pb_rep it;
    vc_pb_rep_init(&it, msg, ints ? A_INTS : A_FLOATS, ints ? VC_PB_S_VARINT : VC_PB_S_FIXED32);
    uint64_t v;
    for (long long i = 0; i < n; i++) {
        if (vc_pb_rep_next(&it, &v) != 1) return VOCE_ERR_FORMAT;
        if (ints) ((int64_t *)arr)[i] = (int64_t)v;
        else { uint32_t b = (uint32_t)v; memcpy((float *)arr + i, &b, 4); }
    }
    a->count = n;
    if (ints) a->ints = arr;
    else a->floats = arr;
    return VOCE_OK;
}

static voce_status attr_value(ictx *c, const scope *sc, int gi, int depth, const vc_pb *msg,
                              const attr_fields *af, vc_attr *a)
{
    vc_pb sub;
    switch (af->type) {
    case AT_FLOAT: {
        a->type = VC_ATTR_FLOAT;
        uint32_t b = (uint32_t)af->f.u;
        memcpy(&a->f, &b, 4);
        return VOCE_OK;
    }
    case AT_INT: a->type = VC_ATTR_INT; a->i = (int64_t)af->i.u; return VOCE_OK;
    case AT_STRING:
        a->type = VC_ATTR_STRING;
        a->s = af->has_s ? vc_onnx_str(&c->g->pool, &af->s) : "";
        return a->s ? VOCE_OK : nomem();
    case AT_FLOATS: a->type = VC_ATTR_FLOATS; return attr_list(c, msg, af, a);
    case AT_INTS: a->type = VC_ATTR_INTS; return attr_list(c, msg, af, a);
    case AT_STRINGS: a->type = VC_ATTR_STRINGS; return attr_list(c, msg, af, a);
    case AT_TENSOR: {
        if (!af->has_t) return vc_error(VOCE_ERR_FORMAT, "tensor attribute without a tensor");
        vc_onnx_tensor t;
        vc_pb_open(&sub, msg, &af->t);
        voce_status st = vc_onnx_read_tensor(&c->g->pool, &sub, c->base_dir, &t);
        if (st) return st;
        a->type = VC_ATTR_TENSOR;
        a->t = t.t;
        return VOCE_OK;
    }
    case AT_GRAPH:
        if (!af->has_g) return vc_error(VOCE_ERR_FORMAT, "graph attribute without a graph");
        a->type = VC_ATTR_GRAPH;
        vc_pb_open(&sub, msg, &af->g);
        return import_graph(c, &sub, gi, depth + 1, sc, &a->graph);
    case 0: return vc_error(VOCE_ERR_FORMAT, "attribute has no value");
    default: break;
    }
    static const char *const names[] = {
        [AT_TENSORS] = "TENSORS", [AT_GRAPHS] = "GRAPHS", [AT_SPARSE_TENSOR] = "SPARSE_TENSOR",
        [AT_SPARSE_TENSORS] = "SPARSE_TENSORS", [AT_TYPE_PROTO] = "TYPE_PROTO",
        [AT_TYPE_PROTOS] = "TYPE_PROTOS"};
    const char *tn = af->type > 0 && af->type <= AT_TYPE_PROTOS ? names[af->type] : NULL;
    if (tn) return vc_error(VOCE_ERR_UNSUPPORTED, "attributes of type %s are not supported", tn);
    return vc_error(VOCE_ERR_FORMAT, "unknown attribute type %lld", (long long)af->type);
}

/* Decode AttributeProto msg into a (strings, arrays, tensors in the graph's pool). */
static voce_status import_attr(ictx *c, const scope *sc, int gi, int depth, const vc_pb *msg,
                               vc_attr *a)
{
    attr_fields af;
    memset(a, 0, sizeof *a);
    a->graph = -1;
    voce_status st = scan_attr(c, msg, &af);
    if (st) return vc_error_prefix(st, "attribute: ");
    if (!af.name[0]) return vc_error(VOCE_ERR_FORMAT, "attribute without a name");
    if (!(a->name = vc_pool_strdup(&c->g->pool, af.name))) return nomem();
    if (af.has_ref)
        return vc_error(VOCE_ERR_UNSUPPORTED, "attribute '%s' refers to a function attribute "
                        "(ref_attr_name), which is not supported", af.name);
    st = attr_value(c, sc, gi, depth, msg, &af, a);
    if (st) return vc_error_prefix(st, "attribute '%s': ", af.name);
    return VOCE_OK;
}

/* ---- nodes ----------------------------------------------------------------------------- */

/* A node being assembled before it is added to its graph. */
typedef struct nodebuf {
    const node_hdr *h;
    int32_t *in;
    int n_in;               /* room for h->n_in + 4: normalisation adds up to 3 inputs */
    vc_attr *attr;
    int n_attr;
} nodebuf;

static int opset_of(const ictx *c, const char *domain)
{
    int dflt = is_default_domain(domain);
    for (int i = 0; i < c->m->n_opsets; i++) {
        const char *d = c->m->opsets[i].domain;
        if (dflt ? !d[0] : strcmp(d, domain) == 0) {
            int64_t v = c->m->opsets[i].version;
            return v < 1 ? 1 : v > INT_MAX ? INT_MAX : (int)v;
        }
    }
    return 1; /* no opset_import entry: IR < 3 files meant opset 1 */
}

/* Remove attribute name from the node; copy it to *out. 0 if it was absent. */
static int take_attr(nodebuf *nb, const char *name, vc_attr *out)
{
    for (int i = 0; i < nb->n_attr; i++) {
        if (strcmp(nb->attr[i].name, name) != 0) continue;
        *out = nb->attr[i];
        memmove(&nb->attr[i], &nb->attr[i + 1], sizeof(vc_attr) * (size_t)(nb->n_attr - i - 1));
        nb->n_attr--;
        return 1;
    }
    return 0;
}

static voce_status put_input(nodebuf *nb, int idx, int v, const char *attr)
{
    if (v < 0) return nomem();
    if (idx < nb->n_in && nb->in[idx] >= 0)
        return vc_error(VOCE_ERR_FORMAT, "has both attribute '%s' and input %d", attr, idx);
    while (nb->n_in <= idx) nb->in[nb->n_in++] = -1;
    nb->in[idx] = v;
    return VOCE_OK;
}

/* Name of a constant made from an attribute: "<node>/<attr>" (not visible to lookups). */
static const char *attr_const_name(ictx *c, const nodebuf *nb, const char *attr)
{
    const char *node = nb->h->name[0] ? nb->h->name : nb->h->op_type;
    size_t n = strlen(node) + strlen(attr) + 2;
    char *s = vc_pool_alloc(&c->tmp, n);
    if (s) snprintf(s, n, "%s/%s", node, attr);
    return s ? s : "";
}

/* Attribute attr (INTS, or one INT) becomes input idx: an int64 1-D constant. */
static voce_status ints_to_input(ictx *c, int gi, nodebuf *nb, const char *attr, int idx)
{
    vc_attr a;
    if (!take_attr(nb, attr, &a)) return VOCE_OK;
    const int64_t *vals = a.ints;
    int64_t count = a.count;
    if (a.type == VC_ATTR_INT) { vals = &a.i; count = 1; }
    else if (a.type != VC_ATTR_INTS)
        return vc_error(VOCE_ERR_FORMAT, "attribute '%s' should be a list of ints", attr);
    int v = new_const(c, gi, attr_const_name(c, nb, attr), VOCE_DTYPE_I64, 0, count, vals);
    return put_input(nb, idx, v, attr);
}

/* Attribute attr (FLOAT) becomes input idx: a scalar of type dt. */
static voce_status float_to_input(ictx *c, int gi, nodebuf *nb, const char *attr, int idx,
                                  voce_dtype dt)
{
    vc_attr a;
    if (!take_attr(nb, attr, &a)) return VOCE_OK;
    double x;
    if (a.type == VC_ATTR_FLOAT) x = a.f;
    else if (a.type == VC_ATTR_INT) x = (double)a.i;
    else return vc_error(VOCE_ERR_FORMAT, "attribute '%s' should be a number", attr);
    uint8_t buf[8];
    store_scalar(buf, dt, x);
    int v = new_const(c, gi, attr_const_name(c, nb, attr), dt, 1, 1, buf);
    return put_input(nb, idx, v, attr);
}

/* Element type of input 0 when known and in want (a float type / any numeric), else f32:
 * the type a legacy scalar attribute takes as an input. */
static voce_dtype data_dtype(const ictx *c, const nodebuf *nb, int floats_only)
{
    voce_dtype dt = nb->n_in > 0 && nb->in[0] >= 0 ? c->g->values[nb->in[0]].dtype
                                                    : VOCE_DTYPE_UNDEFINED;
    if (!known_dtype(dt) || (floats_only && !vc_dtype_is_float(dt))) return VOCE_DTYPE_F32;
    return dt;
}

static int op_is(const nodebuf *nb, const char *op) { return strcmp(nb->h->op_type, op) == 0; }

static int is_reduce_18(const nodebuf *nb)
{
    static const char *const ops[] = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                                      "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
                                      "ReduceSumSquare"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (op_is(nb, ops[i])) return 1;
    return 0;
}

/* Rewrite default-domain ops of older opsets into their newest input form, so that
 * kernels see one form: attributes that later became inputs turn into constants. */
static voce_status normalise(ictx *c, int gi, nodebuf *nb, int opset)
{
    vc_attr a;
    voce_status st = VOCE_OK;
    take_attr(nb, "consumed_inputs", &a); /* opset-1 memory hint with no meaning now */
    if (op_is(nb, "Squeeze") || op_is(nb, "Unsqueeze") || op_is(nb, "ReduceSum")) {
        if (opset < 13) st = ints_to_input(c, gi, nb, "axes", 1);
    } else if (is_reduce_18(nb)) {
        if (opset < 18) st = ints_to_input(c, gi, nb, "axes", 1);
    } else if (op_is(nb, "Split")) {
        if (opset < 13) st = ints_to_input(c, gi, nb, "split", 1);
    } else if (op_is(nb, "Slice")) {
        if (opset < 10 && !(st = ints_to_input(c, gi, nb, "starts", 1)) &&
            !(st = ints_to_input(c, gi, nb, "ends", 2)))
            st = ints_to_input(c, gi, nb, "axes", 3);
    } else if (op_is(nb, "Pad")) {
        if (opset < 11 && !(st = ints_to_input(c, gi, nb, "pads", 1)) &&
            !(st = ints_to_input(c, gi, nb, "paddings", 1))) /* opset 1 name */
            st = float_to_input(c, gi, nb, "value", 2, data_dtype(c, nb, 0));
    } else if (op_is(nb, "Clip")) {
        voce_dtype dt = data_dtype(c, nb, 1);
        if (opset < 11 && !(st = float_to_input(c, gi, nb, "min", 1, dt)))
            st = float_to_input(c, gi, nb, "max", 2, dt);
    } else if (op_is(nb, "Dropout")) {
        take_attr(nb, "is_test", &a);
        if (opset < 12) st = float_to_input(c, gi, nb, "ratio", 1, VOCE_DTYPE_F32);
    } else if (op_is(nb, "BatchNormalization")) {
        take_attr(nb, "is_test", &a);
        /* spatial=0 (per-activation statistics) computes something else: refuse it */
        if (take_attr(nb, "spatial", &a) && a.type == VC_ATTR_INT && a.i == 0)
            st = vc_error(VOCE_ERR_UNSUPPORTED, "BatchNormalization with spatial=0 is not "
                          "supported");
    } else if (op_is(nb, "TopK")) {
        if (opset < 10) st = ints_to_input(c, gi, nb, "k", 1);
    }
    return st;
}

static voce_status import_constant(ictx *c, scope *sc, int gi, int depth, const node_hdr *h)
{
    if (h->n_out != 1) return vc_error(VOCE_ERR_FORMAT, "a Constant has %d outputs", h->n_out);
    vc_attr val = {0};
    int n_val = 0;
    vc_pb it = h->msg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != N_ATTRIBUTE) continue;
        vc_pb sub;
        vc_pb_open(&sub, &it, &f);
        voce_status st = import_attr(c, sc, gi, depth, &sub, &val);
        if (st) return st;
        if (!strcmp(val.name, "value_string") || !strcmp(val.name, "value_strings") ||
            !strcmp(val.name, "sparse_value"))
            return vc_error(VOCE_ERR_UNSUPPORTED, "Constant attribute '%s' is not supported",
                            val.name);
        n_val++;
    }
    if (k < 0) return VOCE_ERR_FORMAT;
    if (n_val != 1)
        return vc_error(VOCE_ERR_FORMAT, "a Constant needs exactly one value attribute, not %d",
                        n_val);
    const char *name = h->out[0];
    int v = -1;
    if (!strcmp(val.name, "value") && val.type == VC_ATTR_TENSOR)
        v = add_const(c, gi, name, &val.t, vc_nbytes(&val.t));
    else if (!strcmp(val.name, "value_float") && val.type == VC_ATTR_FLOAT)
        v = new_const(c, gi, name, VOCE_DTYPE_F32, 1, 1, &val.f);
    else if (!strcmp(val.name, "value_floats") && val.type == VC_ATTR_FLOATS)
        v = new_const(c, gi, name, VOCE_DTYPE_F32, 0, val.count, val.floats);
    else if (!strcmp(val.name, "value_int") && val.type == VC_ATTR_INT)
        v = new_const(c, gi, name, VOCE_DTYPE_I64, 1, 1, &val.i);
    else if (!strcmp(val.name, "value_ints") && val.type == VC_ATTR_INTS)
        v = new_const(c, gi, name, VOCE_DTYPE_I64, 0, val.count, val.ints);
    else
        return vc_error(VOCE_ERR_FORMAT, "unknown Constant attribute '%s' (or wrong type)",
                        val.name);
    if (v < 0) return nomem();
    if (name[0] && strmap_put(&sc->names, c->g->values[v].name, v)) return nomem();
    return VOCE_OK;
}

static int is_local_function(const ictx *c, const char *domain, const char *op)
{
    const char *d = is_default_domain(domain) ? "" : domain;
    size_t dl = strlen(d);
    for (int i = 0; i < c->n_funcs; i++) {
        const char *f = c->funcs[i];
        if (!strncmp(f, d, dl) && f[dl] == ':' && !strcmp(f + dl + 1, op)) return 1;
    }
    return 0;
}

static voce_status node_inputs(ictx *c, const scope *sc, const node_hdr *h, nodebuf *nb)
{
    nb->in = vc_pool_alloc(&c->tmp, sizeof(int32_t) * ((size_t)h->n_in + 4));
    if (!nb->in) return nomem();
    for (int i = 0; i < h->n_in; i++) {
        nb->in[i] = -1;
        if (!h->in[i][0]) continue;
        nb->in[i] = resolve(sc, h->in[i]);
        if (nb->in[i] < 0)
            return vc_error(VOCE_ERR_FORMAT, "input '%s' is not defined in this graph or an "
                            "enclosing one", h->in[i]);
    }
    nb->n_in = h->n_in;
    return VOCE_OK;
}

static voce_status node_attrs(ictx *c, const scope *sc, int gi, int depth, const node_hdr *h,
                              nodebuf *nb)
{
    nb->attr = vc_pool_alloc(&c->tmp, sizeof(vc_attr) * (size_t)h->n_attr);
    if (!nb->attr) return nomem();
    vc_pb it = h->msg;
    vc_pb_field f;
    int k;
    nb->n_attr = 0;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != N_ATTRIBUTE) continue;
        vc_pb sub;
        vc_pb_open(&sub, &it, &f);
        voce_status st = import_attr(c, sc, gi, depth, &sub, &nb->attr[nb->n_attr]);
        if (st) return st;
        nb->n_attr++;
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

static voce_status import_node(ictx *c, scope *sc, int gi, int depth, const node_hdr *h)
{
    if (!h->op_type[0]) return vc_error(VOCE_ERR_FORMAT, "node without an op_type");
    int dflt = is_default_domain(h->domain);
    if (is_local_function(c, h->domain, h->op_type))
        return vc_error(VOCE_ERR_UNSUPPORTED, "uses model-local function '%s%s%s', which is not "
                        "supported", dflt ? "" : h->domain, dflt ? "" : ":", h->op_type);
    if (dflt && !strcmp(h->op_type, "Constant")) return import_constant(c, sc, gi, depth, h);

    nodebuf nb = {h, NULL, 0, NULL, 0};
    voce_status st;
    if ((st = node_inputs(c, sc, h, &nb)) || (st = node_attrs(c, sc, gi, depth, h, &nb)))
        return st;
    int opset = opset_of(c, h->domain);
    if (dflt && (st = normalise(c, gi, &nb, opset))) return st;

    int32_t *out = vc_pool_alloc(&c->tmp, sizeof(int32_t) * (size_t)h->n_out);
    if (!out) return nomem();
    int index = c->g->graphs[gi].n_nodes;
    for (int i = 0; i < h->n_out; i++) {
        out[i] = vc_mgraph_add_value(c->g, h->out[i], VC_VAL_NODE, gi);
        if (out[i] < 0) return nomem();
        c->g->values[out[i]].def_node = index;
        if (h->out[i][0] && strmap_put(&sc->names, c->g->values[out[i]].name, out[i]))
            return nomem();
    }
    const char *op = h->op_type;
    if (!dflt) {
        size_t n = strlen(h->domain) + strlen(h->op_type) + 2;
        char *s = vc_pool_alloc(&c->tmp, n);
        if (!s) return nomem();
        snprintf(s, n, "%s:%s", h->domain, h->op_type);
        op = s;
    }
    vc_node *node = vc_graph_add_node(c->g, gi, op, h->name, nb.n_in, h->n_out, nb.n_attr);
    if (!node) return nomem();
    memcpy(node->in, nb.in, sizeof(int32_t) * (size_t)nb.n_in);
    memcpy(node->out, out, sizeof(int32_t) * (size_t)h->n_out);
    memcpy(node->attr, nb.attr, sizeof(vc_attr) * (size_t)nb.n_attr);
    node->opset = opset;
    node->op = NULL;
    return VOCE_OK;
}

/* ---- graphs ----------------------------------------------------------------------------- */

typedef struct graph_fields {
    const char *name;
    int n_node, n_input, n_output;
} graph_fields;

static voce_status scan_graph(ictx *c, const vc_pb *gmsg, graph_fields *gf)
{
    memset(gf, 0, sizeof *gf);
    gf->name = "";
    vc_pb it = *gmsg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        switch (f.num) {
        case G_NAME:
        case G_NODE:
        case G_INITIALIZER:
        case G_INPUT:
        case G_OUTPUT:
        case G_VALUE_INFO: break;
        case G_SPARSE_INITIALIZER:
            return vc_error(VOCE_ERR_UNSUPPORTED, "sparse initializers are not supported");
        default: continue;
        }
        if (f.wire != VC_PB_LEN) return bad_wire("GraphProto", &f);
        if (f.num == G_NAME && !(gf->name = tmp_str(c, &f))) return nomem();
        if (f.num == G_NODE) gf->n_node++;
        if (f.num == G_INPUT) gf->n_input++;
        if (f.num == G_OUTPUT) gf->n_output++;
    }
    if (k < 0) return VOCE_ERR_FORMAT;
    if (gf->n_node > INT_MAX / 8) return nomem();
    return VOCE_OK;
}

static voce_status import_initializers(ictx *c, const vc_pb *gmsg, scope *sc)
{
    vc_pb it = *gmsg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != G_INITIALIZER) continue;
        vc_pb sub;
        vc_onnx_tensor t;
        vc_pb_open(&sub, &it, &f);
        voce_status st = vc_onnx_read_tensor(&c->g->pool, &sub, c->base_dir, &t);
        if (st) return vc_error_prefix(st, "initializer at byte %zu: ", f.offset);
        if (!t.name[0])
            return vc_error(VOCE_ERR_FORMAT, "initializer at byte %zu has no name", f.offset);
        if (strmap_get(&sc->names, t.name, NULL))
            return vc_error(VOCE_ERR_FORMAT, "initializer '%s' is defined twice", t.name);
        int v = add_const(c, sc->graph, t.name, &t.t, t.nbytes);
        if (v < 0 || strmap_put(&sc->names, c->g->values[v].name, v)) return nomem();
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

static voce_status import_inputs(ictx *c, const vc_pb *gmsg, const graph_fields *gf, scope *sc)
{
    int gi = sc->graph, n = 0;
    int32_t *ins = vc_pool_alloc(&c->g->pool, sizeof(int32_t) * (size_t)gf->n_input);
    if (!ins) return nomem();
    vc_pb it = *gmsg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != G_INPUT) continue;
        vc_pb sub;
        vinfo vi;
        vc_pb_open(&sub, &it, &f);
        voce_status st = read_vinfo(c, &sub, &vi);
        if (st) return vc_error_prefix(st, "input at byte %zu: ", f.offset);
        if (!vi.name[0])
            return vc_error(VOCE_ERR_FORMAT, "input at byte %zu has no name", f.offset);
        int v;
        if (strmap_get(&sc->names, vi.name, &v)) {
            /* IR < 4 listed initializers among the inputs: they stay constants */
            if (c->g->values[v].kind == VC_VAL_CONST) continue;
            return vc_error(VOCE_ERR_FORMAT, "input '%s' is declared twice", vi.name);
        }
        v = vc_mgraph_add_value(c->g, vi.name, VC_VAL_INPUT, gi);
        if (v < 0 || strmap_put(&sc->names, c->g->values[v].name, v)) return nomem();
        if ((st = set_input_type(&c->g->values[v], &vi))) return st;
        ins[n++] = v;
    }
    if (k < 0) return VOCE_ERR_FORMAT;
    c->g->graphs[gi].in = ins;
    c->g->graphs[gi].n_in = n;
    return VOCE_OK;
}

static voce_status import_nodes(ictx *c, const vc_pb *gmsg, const graph_fields *gf, scope *sc,
                                int depth)
{
    int n = gf->n_node, i = 0;
    node_hdr *nh = vc_pool_alloc(&c->tmp, sizeof(node_hdr) * (size_t)n);
    int *order = vc_pool_alloc(&c->tmp, sizeof(int) * (size_t)n);
    if (!nh || !order) return nomem();
    strvec caps = {0};
    voce_status st = VOCE_OK;
    vc_pb it = *gmsg;
    vc_pb_field f;
    int k = 0;
    while (!st && (k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != G_NODE) continue;
        vc_pb sub;
        vc_pb_open(&sub, &it, &f);
        caps.n = 0;
        if ((st = read_node_hdr(c, &sub, f.offset, &nh[i])) ||
            (st = node_captures(c, &sub, depth, &caps))) {
            st = vc_error_prefix(st, "node at byte %zu: ", f.offset);
            break;
        }
        nh[i].cap = vc_pool_memdup(&c->tmp, caps.v, sizeof(char *) * caps.n);
        if (!nh[i].cap) st = nomem();
        nh[i++].n_cap = (int)caps.n;
    }
    strvec_free(&caps);
    if (st) return st;
    if (k < 0) return VOCE_ERR_FORMAT;
    if ((st = node_order(c, nh, n, sc, order))) return st;
    for (i = 0; i < n; i++) {
        const node_hdr *h = &nh[order[i]];
        st = import_node(c, sc, sc->graph, depth, h);
        if (st) return vc_error_prefix(st, "node '%s' (%s): ", h->name, h->op_type);
    }
    return VOCE_OK;
}

/* Graph outputs, and the value_info hints on values of this graph (both ValueInfoProto,
 * read in one pass once the nodes exist). */
static voce_status import_outputs(ictx *c, const vc_pb *gmsg, const graph_fields *gf,
                                  const scope *sc)
{
    int gi = sc->graph, n = 0;
    int32_t *outs = vc_pool_alloc(&c->g->pool, sizeof(int32_t) * (size_t)gf->n_output);
    if (!outs) return nomem();
    vc_pb it = *gmsg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != G_OUTPUT && f.num != G_VALUE_INFO) continue;
        vc_pb sub;
        vinfo vi;
        vc_pb_open(&sub, &it, &f);
        voce_status st = read_vinfo(c, &sub, &vi);
        if (st) return st;
        int v;
        if (f.num == G_VALUE_INFO) { /* a hint on a value of this graph */
            if (strmap_get(&sc->names, vi.name, &v)) apply_vinfo(&c->g->values[v], &vi);
            continue;
        }
        if (!vi.name[0])
            return vc_error(VOCE_ERR_FORMAT, "output at byte %zu has no name", f.offset);
        if ((v = resolve(sc, vi.name)) < 0)
            return vc_error(VOCE_ERR_FORMAT, "output '%s' is not produced by any node, input or "
                            "initializer", vi.name);
        apply_vinfo(&c->g->values[v], &vi);
        outs[n++] = v;
    }
    if (k < 0) return VOCE_ERR_FORMAT;
    c->g->graphs[gi].out = outs;
    c->g->graphs[gi].n_out = n;
    return VOCE_OK;
}

static voce_status import_graph(ictx *c, const vc_pb *gmsg, int parent, int depth,
                                const scope *up, int *out_gi)
{
    if (depth > VC_ONNX_MAX_DEPTH) return depth_error();
    graph_fields gf;
    voce_status st = scan_graph(c, gmsg, &gf);
    if (st) return vc_error_prefix(st, "graph '%s': ", gf.name);
    int gi = vc_mgraph_add_graph(c->g, parent);
    if (gi < 0) return nomem();
    if (gi == 0 && !(c->g->name = vc_pool_strdup(&c->g->pool, gf.name))) return nomem();
    scope sc = {up, {0}, gi};
    if (!(st = import_initializers(c, gmsg, &sc)) && !(st = import_inputs(c, gmsg, &gf, &sc)) &&
        !(st = import_nodes(c, gmsg, &gf, &sc, depth)))
        st = import_outputs(c, gmsg, &gf, &sc);
    strmap_free(&sc.names);
    if (st) return vc_error_prefix(st, "graph '%s': ", gf.name);
    *out_gi = gi;
    return VOCE_OK;
}

/* ---- model ------------------------------------------------------------------------------ */

typedef struct model_fields {
    int has_graph;
    vc_pb_field graph, producer, producer_version;
    int has_producer, has_producer_version;
    int n_opsets, n_props, n_funcs;
} model_fields;

static voce_status not_onnx(const char *src, const char *why)
{
    return vc_error(VOCE_ERR_FORMAT, "%s is not an ONNX model: %s", src, why);
}

static voce_status scan_model(ictx *c, const vc_pb *top, const char *src, model_fields *mf)
{
    memset(mf, 0, sizeof *mf);
    if (vc_pb_check(top)) /* a cut-off model fails here too: say so */
        return vc_error_prefix(VOCE_ERR_FORMAT, "%s is not an ONNX model (or is truncated): ", src);
    vc_pb it = *top;
    vc_pb_field f;
    while (vc_pb_next(&it, &f) > 0) {
        int want = VC_PB_LEN;
        switch (f.num) {
        case M_IR_VERSION: want = VC_PB_VARINT; c->m->ir_version = (int64_t)f.u; break;
        case M_PRODUCER: mf->producer = f; mf->has_producer = 1; break;
        case M_PRODUCER_VERSION: mf->producer_version = f; mf->has_producer_version = 1; break;
        case M_GRAPH: mf->graph = f; mf->has_graph = 1; break;
        case M_OPSET: mf->n_opsets++; break;
        case M_PROPS: mf->n_props++; break;
        case M_FUNCTIONS: mf->n_funcs++; break;
        default: continue;
        }
        if (f.wire != want) {
            char why[96];
            snprintf(why, sizeof why, "field %u at byte %zu has wire type %d", (unsigned)f.num,
                     f.offset, f.wire);
            return not_onnx(src, why);
        }
    }
    if (!mf->has_graph) return not_onnx(src, "it has no graph");
    /* ONNX requires opset_import from IR 3 on; its absence also betrays a file cut off
     * right after the graph, which would otherwise parse */
    if (c->m->ir_version >= 3 && mf->n_opsets == 0)
        return vc_error(VOCE_ERR_FORMAT, "%s: the model (IR version %lld) has no opset_import; "
                        "is the file truncated?", src, (long long)c->m->ir_version);
    if (mf->n_opsets > INT_MAX / 8 || mf->n_props > INT_MAX / 8 || mf->n_funcs > INT_MAX / 8)
        return nomem();
    return VOCE_OK;
}

/* The two string fields (numbers 1 and 2) of OperatorSetIdProto-like entries. */
static voce_status pair_fields(vc_pool *pool, const vc_pb *msg, const char **s1, int64_t *v2,
                               const char **s2)
{
    vc_pb it = *msg;
    vc_pb_field f;
    int k;
    *s1 = "";
    if (s2) *s2 = "";
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num == 1 && f.wire == VC_PB_LEN && !(*s1 = vc_onnx_str(pool, &f))) return nomem();
        if (f.num == 2 && v2 && f.wire == VC_PB_VARINT) *v2 = (int64_t)f.u;
        if (f.num == 2 && s2 && f.wire == VC_PB_LEN && !(*s2 = vc_onnx_str(pool, &f)))
            return nomem();
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

/* FunctionProto: name = 1, domain = 10; kept as "domain:name". */
static voce_status function_key(ictx *c, const vc_pb *msg, const char **key)
{
    vc_pb it = *msg;
    vc_pb_field f, name = {0}, domain = {0};
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.wire != VC_PB_LEN) continue;
        if (f.num == 1) name = f;
        if (f.num == 10) domain = f;
    }
    if (k < 0) return VOCE_ERR_FORMAT;
    char *d = vc_onnx_str(&c->tmp, &domain), *n = vc_onnx_str(&c->tmp, &name);
    if (!d || !n) return nomem();
    size_t len = strlen(d) + strlen(n) + 2;
    char *s = vc_pool_alloc(&c->tmp, len);
    if (!s) return nomem();
    snprintf(s, len, "%s:%s", is_default_domain(d) ? "" : d, n);
    *key = s;
    return VOCE_OK;
}

static voce_status read_model_lists(ictx *c, const vc_pb *top, const model_fields *mf)
{
    vc_onnx_model *m = c->m;
    vc_pool *pool = &c->g->pool;
    m->opsets = vc_pool_alloc(pool, sizeof(vc_onnx_opset) * (size_t)mf->n_opsets);
    m->prop_keys = vc_pool_alloc(pool, sizeof(char *) * (size_t)mf->n_props);
    m->prop_values = vc_pool_alloc(pool, sizeof(char *) * (size_t)mf->n_props);
    c->funcs = vc_pool_alloc(&c->tmp, sizeof(char *) * (size_t)mf->n_funcs);
    if (!m->opsets || !m->prop_keys || !m->prop_values || !c->funcs) return nomem();
    vc_pb it = *top;
    vc_pb_field f;
    voce_status st = VOCE_OK;
    while (!st && vc_pb_next(&it, &f) > 0) {
        vc_pb sub;
        if (f.wire != VC_PB_LEN) continue;
        vc_pb_open(&sub, &it, &f);
        if (f.num == M_OPSET) {
            vc_onnx_opset *o = &m->opsets[m->n_opsets++];
            o->version = 1;
            st = pair_fields(pool, &sub, &o->domain, &o->version, NULL);
            if (!st && is_default_domain(o->domain)) o->domain = "";
        } else if (f.num == M_PROPS) {
            st = pair_fields(pool, &sub, &m->prop_keys[m->n_props], NULL,
                             &m->prop_values[m->n_props]);
            m->n_props++;
        } else if (f.num == M_FUNCTIONS) {
            st = function_key(c, &sub, &c->funcs[c->n_funcs++]);
        }
    }
    return st;
}

static voce_status import_model(ictx *c, const void *data, size_t size, const char *src)
{
    vc_pb top;
    model_fields mf;
    vc_pb_init(&top, data, size);
    voce_status st = scan_model(c, &top, src, &mf);
    if (st) return st;
    if ((st = read_model_lists(c, &top, &mf))) return vc_error_prefix(st, "%s: ", src);
    char *pn = vc_onnx_str(&c->g->pool, &mf.producer);
    char *pv = vc_onnx_str(&c->g->pool, &mf.producer_version);
    if (!pn || !pv) return nomem();
    size_t len = strlen(pn) + strlen(pv) + 2;
    char *prod = vc_pool_alloc(&c->g->pool, len);
    if (!prod) return nomem();
    snprintf(prod, len, pv[0] ? "%s %s" : "%s", pn, pv);
    c->m->producer = prod;
    vc_pb gmsg;
    int gi;
    vc_pb_open(&gmsg, &top, &mf.graph);
    if ((st = import_graph(c, &gmsg, -1, 0, NULL, &gi))) return vc_error_prefix(st, "%s: ", src);
    return VOCE_OK;
}

static voce_status load(const void *data, size_t size, const char *base_dir, const char *src,
                        vc_onnx_model *out)
{
    memset(out, 0, sizeof *out);
    vc_mgraph_init(&out->graph);
    ictx c;
    memset(&c, 0, sizeof c);
    c.m = out;
    c.g = &out->graph;
    c.base_dir = base_dir;
    vc_pool_init(&c.tmp);
    voce_status st = import_model(&c, data ? data : "", data ? size : 0, src);
    vc_pool_free(&c.tmp);
    if (st) vc_onnx_free(out);
    return st;
}

voce_status vc_onnx_load_memory(const void *data, size_t size, const char *base_dir,
                                vc_onnx_model *out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "vc_onnx_load_memory: out is NULL");
    memset(out, 0, sizeof *out);
    if (!data && size) return vc_error(VOCE_ERR_INVALID_ARG, "vc_onnx_load_memory: data is NULL");
    return load(data, size, base_dir, "in-memory model", out);
}

/* The directory part of path ("." when there is none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = 0;
    }
    return d;
}

voce_status vc_onnx_load(const char *path, vc_onnx_model *out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "vc_onnx_load: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return vc_error(VOCE_ERR_INVALID_ARG, "vc_onnx_load: path is NULL");
    FILE *fp = fopen(path, "rb");
    if (!fp) return vc_error(VOCE_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *buf = NULL, *dir = NULL;
    voce_status st = VOCE_OK;
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = vc_error(VOCE_ERR_IO, "cannot read '%s': not a regular file", path);
        goto done;
    }
    if ((uint64_t)sb.st_size >= SIZE_MAX) {
        st = vc_error(VOCE_ERR_NOMEM, "'%s' is too large to load", path);
        goto done;
    }
    size_t size = (size_t)sb.st_size;
    buf = malloc(size + 1);
    dir = dir_of(path);
    if (!buf || !dir) {
        st = vc_error(VOCE_ERR_NOMEM, "'%s': out of memory for %zu bytes", path, size);
        goto done;
    }
    if (fread(buf, 1, size, fp) != size) {
        st = vc_error(VOCE_ERR_IO, "cannot read '%s': %s", path,
                      ferror(fp) ? strerror(errno) : "file changed while reading");
        goto done;
    }
    fclose(fp);
    fp = NULL;
    st = load(buf, size, dir, path, out);
done:
    if (fp) fclose(fp);
    free(buf);
    free(dir);
    return st;
}

void vc_onnx_free(vc_onnx_model *m)
{
    if (!m) return;
    vc_mgraph_free(&m->graph);
    memset(m, 0, sizeof *m);
}

const char *vc_onnx_prop(const vc_onnx_model *m, const char *key)
{
    for (int i = 0; i < m->n_props; i++)
        if (!strcmp(m->prop_keys[i], key)) return m->prop_values[i];
    return NULL;
}

voce_status vc_onnx_prop_int(const vc_onnx_model *m, const char *key, int64_t lo, int64_t hi, int64_t *out,
                             const char *where)
{
    const char *v = vc_onnx_prop(m, key);
    char *end = NULL;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || end == v || *end || x < lo || x > hi)
        return vc_error(VOCE_ERR_FORMAT, "%s: metadata '%s' is missing or not an integer in [%lld, %lld]", where,
                        key, (long long)lo, (long long)hi);
    *out = x;
    return VOCE_OK;
}
