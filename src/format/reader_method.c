/* .voce reader, METHODS section: decodes the method stream into vc_mgraph structures
 * with a bounds-checked cursor, then runs the shared structural check and resolves ops.
 *
 * Every count is compared with the bytes left (a record of at least k bytes cannot occur
 * more than left / k times) before anything is allocated for it, so memory stays within
 * a small multiple of the section size. Strings, constants and TENSOR attribute data
 * point into the file; everything else lives in the method's pool or its value, graph
 * and node arrays (malloc'd, as vc_mgraph_free expects).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../runtime/op.h"
#include "format_int.h"

typedef struct cur {
    const unsigned char *p;
    size_t n, pos;
} cur;

/* Where we are, for messages: the innermost index set is reported. */
typedef struct rctx {
    const vc_rd *rd;
    cur c;
    vc_mgraph *m;
    int mi;             /* method index */
    int vi, gi, k, ai;  /* value, graph, node, attribute; -1 when not inside one */
} rctx;

static size_t left(const cur *c) { return c->n - c->pos; }

static const unsigned char *take(cur *c, size_t k)
{
    if (left(c) < k) return NULL;
    const unsigned char *q = c->p + c->pos;
    c->pos += k;
    return q;
}

static int32_t as_i32(uint32_t u)
{
    int32_t r;
    memcpy(&r, &u, 4);
    return r;
}

static voce_status fail(const rctx *x, const char *fmt, ...) VC_PRINTF(2, 3);
static voce_status fail(const rctx *x, const char *fmt, ...)
{
    char msg[512], where[256] = "", mname[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const vc_mgraph *m = x->m;
    if (m->name) snprintf(mname, sizeof mname, "'%s'", m->name);
    else snprintf(mname, sizeof mname, "#%d", x->mi);
    if (x->vi >= 0) {
        const char *vn = m->values[x->vi].name;
        snprintf(where, sizeof where, " value %d ('%s')", x->vi, vn ? vn : "");
    } else if (x->k >= 0) {
        const vc_node *n = &m->graphs[x->gi].nodes[x->k];
        int len = snprintf(where, sizeof where, " graph %d node %d ('%s')", x->gi, x->k,
                           n->name ? n->name : "");
        if (x->ai >= 0 && len > 0 && (size_t)len < sizeof where) {
            const char *an = n->attr ? n->attr[x->ai].name : NULL;
            snprintf(where + len, sizeof where - (size_t)len, " attribute %d ('%s')", x->ai,
                     an ? an : "");
        }
    } else if (x->gi >= 0) {
        snprintf(where, sizeof where, " graph %d", x->gi);
    }
    return vc_error(VOCE_ERR_FORMAT, "method %s%s: %s", mname, where, msg);
}

#define TRUNCATED(x) fail(x, "METHODS section ends early")

static voce_status rd_u32(rctx *x, uint32_t *v)
{
    const unsigned char *q = take(&x->c, 4);
    if (!q) return TRUNCATED(x);
    *v = vc_ld32(q);
    return VOCE_OK;
}

static voce_status rd_u64(rctx *x, uint64_t *v)
{
    const unsigned char *q = take(&x->c, 8);
    if (!q) return TRUNCATED(x);
    *v = vc_ld64(q);
    return VOCE_OK;
}

/* A count of records of at least min_size bytes each. */
static voce_status rd_count(rctx *x, size_t min_size, const char *what, int *out)
{
    uint32_t n = 0;
    voce_status st = rd_u32(x, &n);
    if (st) return st;
    if (n > left(&x->c) / min_size || n > INT32_MAX)
        return fail(x, "%u %s do not fit in the %zu bytes left", n, what, left(&x->c));
    *out = (int)n;
    return VOCE_OK;
}

static voce_status rd_string(rctx *x, const char *what, const char **out)
{
    uint32_t ref = 0;
    voce_status st = rd_u32(x, &ref);
    if (st) return st;
    *out = vc_rd_string(x->rd, ref);
    if (!*out) return fail(x, "%s: string reference %u is outside STRINGS", what, ref);
    return VOCE_OK;
}

static voce_status rd_data(rctx *x, uint64_t want, const char *what, const void **out)
{
    uint64_t off = 0, nbytes = 0;
    voce_status st = rd_u64(x, &off);
    if (!st) st = rd_u64(x, &nbytes);
    if (st) return st;
    if (nbytes != want)
        return fail(x, "%s has %llu bytes, its shape needs %llu", what,
                    (unsigned long long)nbytes, (unsigned long long)want);
    int r = vc_rd_data(x->rd, off, nbytes, out);
    if (r == -1)
        return fail(x, "%s data (%llu bytes at %llu) outside DATA section", what,
                    (unsigned long long)nbytes, (unsigned long long)off);
    if (r == -2) return fail(x, "%s data at %llu is not 64-byte aligned", what,
                             (unsigned long long)off);
    return VOCE_OK;
}

/* rank, dims and (for constants) the byte count they imply */
static voce_status rd_dims(rctx *x, int rank, int64_t *dims)
{
    for (int i = 0; i < rank; i++) {
        uint64_t d = 0;
        voce_status st = rd_u64(x, &d);
        if (st) return st;
        dims[i] = (int64_t)d;
    }
    return VOCE_OK;
}

static voce_status read_value(rctx *x, int vi)
{
    vc_value *v = &x->m->values[vi];
    x->vi = vi;
    v->name = "";
    const unsigned char *q = take(&x->c, VC_MIN_VALUE);
    if (!q) return TRUNCATED(x);
    v->name = vc_rd_string(x->rd, vc_ld32(q));
    if (!v->name) {
        v->name = "";
        return fail(x, "name: string reference %u is outside STRINGS", vc_ld32(q));
    }
    unsigned kind = q[4], dtype = q[5], rank = q[6];
    v->kind = (vc_value_kind)kind;
    v->dtype = (voce_dtype)dtype;
    v->graph = as_i32(vc_ld32(q + 8));
    v->def_node = as_i32(vc_ld32(q + 12));
    v->last_use = as_i32(vc_ld32(q + 16));
    v->offset = (int64_t)vc_ld64(q + 20);
    if (kind < VC_VAL_INPUT || kind > VC_VAL_NODE) return fail(x, "unknown kind %u", kind);
    if (rank > VOCE_MAX_RANK && rank != 255)
        return fail(x, "rank %u (at most %d, or 255 for unknown)", rank, VOCE_MAX_RANK);
    v->rank = rank == 255 ? -1 : (int)rank;
    for (int i = 0; i < VOCE_MAX_RANK; i++) v->dims[i] = -1;
    voce_status st = rd_dims(x, v->rank, v->dims);
    for (int i = 0; !st && i < v->rank; i++) {
        uint32_t ref = 0;
        st = rd_u32(x, &ref);
        if (st) break;
        v->dim_names[i] = ref ? vc_rd_string(x->rd, ref) : NULL;
        if (ref && !v->dim_names[i])
            st = fail(x, "dimension %d name: string reference %u is outside STRINGS", i, ref);
    }
    if (st || kind != VC_VAL_CONST) return st;
    /* the byte count must follow from the shape before the data can be trusted */
    size_t esize = voce_dtype_size(v->dtype);
    if (!esize) return fail(x, "unknown dtype %u", dtype);
    if (v->rank < 0) return fail(x, "constant has no rank");
    int64_t numel = vc_shape_numel(v->rank, v->dims);
    if (numel < 0) return fail(x, "constant shape is negative or too large");
    v->nbytes = (uint64_t)numel * esize;
    return rd_data(x, v->nbytes, "constant", &v->data);
}

static voce_status rd_index_list(rctx *x, const char *what, int *count, int32_t **out,
                                 int signed_ok)
{
    voce_status st = rd_count(x, 4, what, count);
    if (st) return st;
    *out = vc_pool_alloc(&x->m->pool, (size_t)*count * 4);
    if (!*out) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    int nv = x->m->n_values;
    for (int i = 0; i < *count; i++) {
        const unsigned char *q = take(&x->c, 4);
        if (!q) return TRUNCATED(x);
        int32_t v = as_i32(vc_ld32(q));
        if ((v < 0 || v >= nv) && !(signed_ok && v == -1))
            return fail(x, "%s %d refers to value %d (of %d)", what, i, v, nv);
        (*out)[i] = v;
    }
    return VOCE_OK;
}

static voce_status rd_tensor_attr(rctx *x, vc_attr *a)
{
    const unsigned char *q = take(&x->c, 4);
    if (!q) return TRUNCATED(x);
    vc_tensor *t = &a->t;
    t->dtype = (voce_dtype)q[0];
    if (q[1] > VOCE_MAX_RANK) return fail(x, "tensor rank %u (at most %d)", q[1], VOCE_MAX_RANK);
    t->rank = q[1];
    size_t esize = voce_dtype_size(t->dtype);
    if (!esize) return fail(x, "tensor has unknown dtype %u", q[0]);
    voce_status st = rd_dims(x, t->rank, t->dims);
    if (st) return st;
    int64_t numel = vc_shape_numel(t->rank, t->dims);
    if (numel < 0) return fail(x, "tensor shape is negative or too large");
    const void *p;
    st = rd_data(x, (uint64_t)numel * esize, "tensor", &p);
    t->data = (void *)p;    /* vc_tensor has no const; the data is read-only */
    return st;
}

static voce_status rd_array_attr(rctx *x, vc_attr *a)
{
    int n;
    size_t esize = a->type == VC_ATTR_INTS ? 8 : 4;
    voce_status st = rd_count(x, esize, "array elements", &n);
    if (st) return st;
    a->count = n;
    size_t slot = a->type == VC_ATTR_STRINGS ? sizeof(char *) : esize;
    void *arr = vc_pool_alloc(&x->m->pool, (size_t)n * slot);
    if (!arr) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const unsigned char *q = take(&x->c, esize);   /* counted above, cannot fail */
        if (!q) return TRUNCATED(x);
        if (a->type == VC_ATTR_INTS) {
            ((int64_t *)arr)[i] = (int64_t)vc_ld64(q);
        } else if (a->type == VC_ATTR_FLOATS) {
            uint32_t bits = vc_ld32(q);
            memcpy((float *)arr + i, &bits, 4);
        } else {
            const char *s = vc_rd_string(x->rd, vc_ld32(q));
            if (!s) return fail(x, "string %d: reference %u is outside STRINGS", i, vc_ld32(q));
            ((const char **)arr)[i] = s;
        }
    }
    if (a->type == VC_ATTR_INTS) a->ints = arr;
    else if (a->type == VC_ATTR_FLOATS) a->floats = arr;
    else a->strings = arr;
    return VOCE_OK;
}

static voce_status read_attr(rctx *x, vc_attr *a)
{
    a->name = "";
    voce_status st = rd_string(x, "name", &a->name);
    uint32_t type = 0, u = 0;
    uint64_t w = 0;
    if (!st) st = rd_u32(x, &type);
    if (st) return st;
    a->type = (vc_attr_type)type;
    switch (type) {
    case VC_ATTR_INT:
        st = rd_u64(x, &w);
        a->i = (int64_t)w;
        return st;
    case VC_ATTR_FLOAT:
        st = rd_u32(x, &u);
        memcpy(&a->f, &u, 4);
        return st;
    case VC_ATTR_STRING: return rd_string(x, "value", &a->s);
    case VC_ATTR_INTS: case VC_ATTR_FLOATS: case VC_ATTR_STRINGS: return rd_array_attr(x, a);
    case VC_ATTR_TENSOR: return rd_tensor_attr(x, a);
    case VC_ATTR_GRAPH:
        st = rd_u32(x, &u);
        if (!st && u >= (uint32_t)x->m->n_graphs)
            return fail(x, "graph %u does not exist (%d graphs)", u, x->m->n_graphs);
        a->graph = (int)u;
        return st;
    }
    return fail(x, "unknown attribute type %u", type);
}

static voce_status read_node(rctx *x, vc_node *n)
{
    n->op_type = n->name = "";
    voce_status st = rd_string(x, "op type", &n->op_type);
    if (!st) st = rd_string(x, "name", &n->name);
    uint32_t opset = 0;
    if (!st) st = rd_u32(x, &opset);
    if (st) return st;
    n->opset = as_i32(opset);
    st = rd_index_list(x, "input", &n->n_in, &n->in, 1);
    if (!st) st = rd_index_list(x, "output", &n->n_out, &n->out, 0);
    int na = 0;
    if (!st) st = rd_count(x, VC_MIN_ATTR, "attributes", &na);
    if (st) return st;
    n->attr = vc_pool_alloc(&x->m->pool, (size_t)na * sizeof(vc_attr));
    if (!n->attr) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    n->n_attr = na;
    for (int i = 0; i < na; i++) {
        x->ai = i;
        st = read_attr(x, &n->attr[i]);
        if (st) return st;
    }
    x->ai = -1;
    return VOCE_OK;
}

static voce_status read_graph(rctx *x, int gi)
{
    vc_graph *gr = &x->m->graphs[gi];
    x->gi = gi;
    const unsigned char *q = take(&x->c, 16);
    if (!q) return TRUNCATED(x);
    gr->parent = as_i32(vc_ld32(q));
    gr->arena_size = vc_ld64(q + 8);
    voce_status st = rd_index_list(x, "input", &gr->n_in, &gr->in, 0);
    if (!st) st = rd_index_list(x, "output", &gr->n_out, &gr->out, 0);
    int nn = 0;
    if (!st) st = rd_count(x, VC_MIN_NODE, "nodes", &nn);
    if (st) return st;
    gr->nodes = calloc((size_t)nn + 1, sizeof(vc_node));
    if (!gr->nodes) return vc_error(VOCE_ERR_NOMEM, "out of memory for %d nodes", nn);
    gr->n_nodes = gr->cap_nodes = nn;
    for (int k = 0; k < nn; k++) {
        x->k = k;
        st = read_node(x, &gr->nodes[k]);
        if (st) return st;
    }
    x->k = -1;
    return VOCE_OK;
}

static voce_status read_method(rctx *x)
{
    vc_mgraph *m = x->m;
    voce_status st = rd_string(x, "name", &m->name);
    int nv = 0, ng = 0;
    if (!st) st = rd_count(x, VC_MIN_VALUE, "values", &nv);
    if (st) return st;
    m->values = calloc((size_t)nv + 1, sizeof(vc_value));
    if (!m->values) return vc_error(VOCE_ERR_NOMEM, "out of memory for %d values", nv);
    m->n_values = m->cap_values = nv;
    for (int v = 0; v < nv; v++) {
        st = read_value(x, v);
        if (st) return st;
    }
    x->vi = -1;
    st = rd_count(x, VC_MIN_GRAPH, "graphs", &ng);
    if (st) return st;
    m->graphs = calloc((size_t)ng + 1, sizeof(vc_graph));
    if (!m->graphs) return vc_error(VOCE_ERR_NOMEM, "out of memory for %d graphs", ng);
    m->n_graphs = m->cap_graphs = ng;
    for (int gi = 0; gi < ng; gi++) {
        st = read_graph(x, gi);
        if (st) return st;
    }
    x->gi = -1;
    return VOCE_OK;
}

static voce_status resolve_ops(vc_mgraph *m)
{
    for (int gi = 0; gi < m->n_graphs; gi++)
        for (int k = 0; k < m->graphs[gi].n_nodes; k++) {
            vc_node *n = &m->graphs[gi].nodes[k];
            n->op = vc_op_find(n->op_type);
            if (!n->op) return vc_format_unknown_op(m, gi, k);
        }
    return VOCE_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static voce_status unique_names(vc_file *f)
{
    if (f->n_methods < 2) return VOCE_OK;
    const char **names = malloc((size_t)f->n_methods * sizeof *names);
    if (!names) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < f->n_methods; i++) names[i] = f->methods[i].name;
    qsort(names, (size_t)f->n_methods, sizeof *names, cmp_str);
    voce_status st = VOCE_OK;
    for (int i = 1; i < f->n_methods && !st; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            st = vc_error(VOCE_ERR_FORMAT, "method '%s' appears twice", names[i]);
    free(names);
    return st;
}

voce_status vc_read_methods(const vc_rd *rd, const unsigned char *p, size_t n, vc_file *f)
{
    if (n < 4) return vc_error(VOCE_ERR_FORMAT, "METHODS section is too short");
    uint32_t nm = vc_ld32(p);
    if (nm > (n - 4) / VC_MIN_METHOD)
        return vc_error(VOCE_ERR_FORMAT, "%u methods do not fit in a METHODS section of %zu bytes",
                        nm, n);
    f->methods = vc_pool_alloc(&f->pool, (size_t)nm * sizeof(vc_mgraph));
    if (!f->methods) return vc_error(VOCE_ERR_NOMEM, "out of memory for %u methods", nm);
    f->n_methods = (int)nm;     /* zeroed entries are safe to free */
    rctx x = {rd, {p, n, 4}, NULL, 0, -1, -1, -1, -1};
    for (int i = 0; i < (int)nm; i++) {
        vc_mgraph_init(&f->methods[i]);
        x.m = &f->methods[i];
        x.mi = i;
        voce_status st = read_method(&x);
        if (st) return st;
    }
    if (x.c.pos != n)
        return vc_error(VOCE_ERR_FORMAT, "METHODS section has %zu bytes after the last method",
                        n - x.c.pos);
    for (int i = 0; i < f->n_methods; i++) {
        voce_status st = vc_format_check_method(&f->methods[i], VOCE_ERR_FORMAT, 0);
        if (!st) st = resolve_ops(&f->methods[i]);
        if (st) return st;
    }
    return unique_names(f);
}
