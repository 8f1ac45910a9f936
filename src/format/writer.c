/* .voce writer: collects metadata and serialised methods, then lays out the file
 * (header, section table, STRINGS, META, METHODS, DATA) as docs/format.md describes.
 *
 * Methods are checked (vc_format_check_method, the reader's own rules) and serialised
 * when added, constants copied into the DATA buffer, so the caller may free its graph.
 * Strings are interned: each distinct string is stored once. The whole file is built in
 * memory before it is written, so the writer needs about twice the file size in RAM.
 * Limits: the string table stays below 4 GiB (string references are u32); counts come
 * from int fields, so they fit the format's u32 counts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format_int.h"

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

typedef struct meta_entry {
    vc_meta m;      /* all pointers point into mem */
    void *mem;
} meta_entry;

struct vc_writer {
    buf strings;        /* starts with the empty string at offset 0 */
    uint32_t *hash;     /* open addressing: string offset + 1, 0 = empty slot */
    size_t hash_cap, hash_used;
    buf methods;        /* the method records, back to back */
    uint32_t n_methods;
    buf data;           /* constants of the methods; metadata arrays follow at build */
    meta_entry *meta;   /* sorted by key */
    size_t n_meta, cap_meta;
};

/* ---- growable byte buffer ---- */

static int buf_reserve(buf *b, size_t add)
{
    if (add > SIZE_MAX - b->n) return -1;
    if (b->n + add <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + add) {
        if (cap > SIZE_MAX / 2) { cap = b->n + add; break; }
        cap *= 2;
    }
    unsigned char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(buf *b, const void *src, size_t n)
{
    if (buf_reserve(b, n)) return -1;
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
    return 0;
}

static int buf_zero_to(buf *b, size_t align)
{
    size_t pad = (align - b->n % align) % align;
    if (!pad) return 0;
    if (buf_reserve(b, pad)) return -1;
    memset(b->p + b->n, 0, pad);
    b->n += pad;
    return 0;
}

static int put_u8(buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    return buf_put(b, &c, 1);
}
static int put_u32(buf *b, uint32_t v)
{
    unsigned char t[4];
    vc_st32(t, v);
    return buf_put(b, t, 4);
}
static int put_u64(buf *b, uint64_t v)
{
    unsigned char t[8];
    vc_st64(t, v);
    return buf_put(b, t, 8);
}
static int put_i32(buf *b, int32_t v) { return put_u32(b, (uint32_t)v); }
static int put_i64(buf *b, int64_t v) { return put_u64(b, (uint64_t)v); }

/* ---- string interning ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;    /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int hash_grow(vc_writer *w)
{
    size_t cap = w->hash_cap ? w->hash_cap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < w->hash_cap; i++) {
        if (!w->hash[i]) continue;
        size_t j = hash_str((const char *)w->strings.p + w->hash[i] - 1) & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = w->hash[i];
    }
    free(w->hash);
    w->hash = t;
    w->hash_cap = cap;
    return 0;
}

/* Reference of s in the string table, adding it if new; -1 on failure. NULL and "" are 0.
 * Looking up a string already present never fails. */
static int64_t intern(vc_writer *w, const char *s)
{
    if (!s || !s[0]) return 0;
    uint64_t h = hash_str(s);
    size_t j = h & (w->hash_cap - 1);
    for (; w->hash[j]; j = (j + 1) & (w->hash_cap - 1))
        if (strcmp((const char *)w->strings.p + w->hash[j] - 1, s) == 0) return w->hash[j] - 1;
    size_t off = w->strings.n, len = strlen(s) + 1;
    if (len >= UINT32_MAX - off) return -1;     /* refs are u32 (and stored + 1 here) */
    if (2 * (w->hash_used + 1) > w->hash_cap) {
        if (hash_grow(w)) return -1;
        for (j = h & (w->hash_cap - 1); w->hash[j]; j = (j + 1) & (w->hash_cap - 1)) {}
    }
    if (buf_put(&w->strings, s, len)) return -1;
    w->hash[j] = (uint32_t)off + 1;
    w->hash_used++;
    return (int64_t)off;
}

/* ---- create / destroy ---- */

vc_writer *vc_writer_create(void)
{
    vc_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    if (put_u8(&w->strings, 0) || hash_grow(w)) {
        free(w->strings.p);
        free(w);
        return NULL;
    }
    return w;
}

void vc_writer_destroy(vc_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n_meta; i++) free(w->meta[i].mem);
    free(w->meta);
    free(w->strings.p);
    free(w->hash);
    free(w->methods.p);
    free(w->data.p);
    free(w);
}

/* ---- metadata ---- */

static size_t meta_elem_size(voce_meta_type t)
{
    switch (t) {
    case VOCE_META_INTS: return 8;
    case VOCE_META_FLOATS: return 4;
    case VOCE_META_STRINGS: return 4;
    case VOCE_META_BLOB: return 1;
    default: return 0;
    }
}

static voce_status meta_validate(const vc_meta *m)
{
    if (!m->key || !m->key[0]) return vc_error(VOCE_ERR_INVALID_ARG, "metadata key is empty");
    switch (m->type) {
    case VOCE_META_INT: case VOCE_META_FLOAT: return VOCE_OK;
    case VOCE_META_STRING:
        if (!m->s) return vc_error(VOCE_ERR_INVALID_ARG, "metadata '%s': no string", m->key);
        /* count, when given, is the caller's idea of the length: a mismatch means the
         * string holds a NUL, which the file cannot represent */
        if (m->count && m->count != strlen(m->s))
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "metadata '%s': string of %llu bytes contains a NUL", m->key,
                            (unsigned long long)m->count);
        return VOCE_OK;
    case VOCE_META_INTS: case VOCE_META_FLOATS: case VOCE_META_BLOB:
        if (m->count && !m->data)
            return vc_error(VOCE_ERR_INVALID_ARG, "metadata '%s': no data", m->key);
        if (m->count > (uint64_t)1 << 48)
            return vc_error(VOCE_ERR_INVALID_ARG, "metadata '%s': too large", m->key);
        return VOCE_OK;
    case VOCE_META_STRINGS:
        if (m->count && !m->strings)
            return vc_error(VOCE_ERR_INVALID_ARG, "metadata '%s': no strings", m->key);
        if (m->count > UINT32_MAX)
            return vc_error(VOCE_ERR_INVALID_ARG, "metadata '%s': too many strings", m->key);
        for (uint64_t i = 0; i < m->count; i++)
            if (!m->strings[i])
                return vc_error(VOCE_ERR_INVALID_ARG, "metadata '%s': string %llu is NULL",
                                m->key, (unsigned long long)i);
        return VOCE_OK;
    }
    return vc_error(VOCE_ERR_INVALID_ARG, "metadata '%s': unknown type %d", m->key, (int)m->type);
}

/* One allocation per entry: [string pointers][array bytes][key][strings' characters]. */
static voce_status meta_copy(const vc_meta *m, meta_entry *e)
{
    if (meta_elem_size(m->type) && m->count > SIZE_MAX / 16)
        return vc_error(VOCE_ERR_NOMEM, "metadata '%s': too large", m->key);
    size_t n = meta_elem_size(m->type) ? (size_t)m->count : 0;
    size_t ptrs = m->type == VOCE_META_STRINGS ? n * sizeof(char *) : 0;
    int is_str = m->type == VOCE_META_STRINGS || m->type == VOCE_META_STRING;
    size_t arr = is_str ? 0 : n * meta_elem_size(m->type);
    size_t chars = strlen(m->key) + 1;
    if (m->type == VOCE_META_STRING) chars += strlen(m->s) + 1;
    for (size_t i = 0; m->type == VOCE_META_STRINGS && i < n; i++)
        chars += strlen(m->strings[i]) + 1;
    unsigned char *mem = malloc(ptrs + arr + chars + 1);
    if (!mem) return vc_error(VOCE_ERR_NOMEM, "metadata '%s': out of memory", m->key);
    e->mem = mem;
    e->m = *m;
    char *c = (char *)mem + ptrs + arr;
    size_t len = strlen(m->key) + 1;
    memcpy(c, m->key, len);
    e->m.key = c;
    c += len;
    if (arr) {
        memcpy(mem + ptrs, m->data, arr);
        e->m.data = mem + ptrs;
    } else {
        e->m.data = NULL;
    }
    if (m->type == VOCE_META_STRING) {
        len = strlen(m->s) + 1;
        memcpy(c, m->s, len);
        e->m.s = c;
        e->m.count = len - 1;
    } else {
        e->m.s = NULL;
    }
    if (m->type == VOCE_META_STRINGS) {
        const char **p = (const char **)(void *)mem;
        for (size_t i = 0; i < n; i++) {
            len = strlen(m->strings[i]) + 1;
            memcpy(c, m->strings[i], len);
            p[i] = c;
            c += len;
        }
        e->m.strings = p;
    } else {
        e->m.strings = NULL;
    }
    return VOCE_OK;
}

voce_status vc_writer_add_meta(vc_writer *w, const vc_meta *m)
{
    if (!w || !m) return vc_error(VOCE_ERR_INVALID_ARG, "vc_writer_add_meta: NULL argument");
    voce_status st = meta_validate(m);
    if (st) return st;
    /* binary search for the key: entries stay sorted, so build needs no sort */
    size_t lo = 0, hi = w->n_meta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(w->meta[mid].m.key, m->key);
        if (c == 0) { lo = mid; hi = mid; break; }
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    meta_entry e;
    st = meta_copy(m, &e);
    if (st) return st;
    if (lo < w->n_meta && strcmp(w->meta[lo].m.key, m->key) == 0) {
        free(w->meta[lo].mem);
        w->meta[lo] = e;
        return VOCE_OK;
    }
    if (w->n_meta == w->cap_meta) {
        size_t cap = w->cap_meta ? w->cap_meta * 2 : 16;
        meta_entry *p = realloc(w->meta, cap * sizeof *p);
        if (!p) {
            free(e.mem);
            return vc_error(VOCE_ERR_NOMEM, "metadata: out of memory");
        }
        w->meta = p;
        w->cap_meta = cap;
    }
    memmove(w->meta + lo + 1, w->meta + lo, (w->n_meta - lo) * sizeof *w->meta);
    w->meta[lo] = e;
    w->n_meta++;
    return VOCE_OK;
}

/* ---- methods ---- */

/* Encoding rules the structural check does not cover (the in-memory form can hold
 * things the file cannot). */
static voce_status method_encodable(const vc_writer *w, const vc_mgraph *g)
{
    if (!g->name || !g->name[0]) return vc_error(VOCE_ERR_INVALID_ARG, "a method has no name");
    /* method names are unique: scan the earlier records' names */
    size_t pos = 0;
    for (uint32_t i = 0; i < w->n_methods; i++) {
        uint32_t ref = vc_ld32(w->methods.p + pos);
        if (strcmp((const char *)w->strings.p + ref, g->name) == 0)
            return vc_error(VOCE_ERR_INVALID_ARG, "method '%s' is added twice", g->name);
        pos += vc_ld64(w->methods.p + pos + 4);
    }
    return VOCE_OK;
}

typedef struct enc {
    vc_writer *w;
    buf *b;
    int fail;           /* sticky: any failed put or intern */
} enc;

static void e_u8(enc *e, unsigned v) { e->fail |= put_u8(e->b, v); }
static void e_u32(enc *e, uint32_t v) { e->fail |= put_u32(e->b, v); }
static void e_u64(enc *e, uint64_t v) { e->fail |= put_u64(e->b, v); }
static void e_i32(enc *e, int32_t v) { e->fail |= put_i32(e->b, v); }
static void e_i64(enc *e, int64_t v) { e->fail |= put_i64(e->b, v); }
static void e_str(enc *e, const char *s)
{
    int64_t r = intern(e->w, s);
    if (r < 0) e->fail = 1;
    e_u32(e, r < 0 ? 0 : (uint32_t)r);
}

/* Copy bytes into DATA at the next 64-byte boundary and write the (offset, size) ref. */
static void e_data(enc *e, const void *p, uint64_t nbytes)
{
    buf *d = &e->w->data;
    if (buf_zero_to(d, VC_FMT_ALIGN) || nbytes > SIZE_MAX) { e->fail = 1; return; }
    uint64_t off = d->n;
    if (buf_put(d, p, (size_t)nbytes)) e->fail = 1;
    e_u64(e, off);
    e_u64(e, nbytes);
}

static void enc_value(enc *e, const vc_value *v)
{
    e_str(e, v->name);
    e_u8(e, (unsigned)v->kind);
    e_u8(e, (unsigned)v->dtype);
    e_u8(e, v->rank < 0 ? 255u : (unsigned)v->rank);
    e_u8(e, 0);
    e_i32(e, v->graph);
    e_i32(e, v->def_node);
    e_i32(e, v->last_use);
    e_i64(e, v->offset);
    for (int i = 0; i < v->rank; i++) e_i64(e, v->dims[i]);
    for (int i = 0; i < v->rank; i++) e_str(e, v->dim_names[i]);
    if (v->kind == VC_VAL_CONST) e_data(e, v->data, v->nbytes);
}

static void enc_attr(enc *e, const vc_attr *a)
{
    e_str(e, a->name);
    e_u32(e, (uint32_t)a->type);
    switch (a->type) {
    case VC_ATTR_INT: e_i64(e, a->i); break;
    case VC_ATTR_FLOAT: {
        uint32_t bits;
        memcpy(&bits, &a->f, 4);
        e_u32(e, bits);
        break;
    }
    case VC_ATTR_STRING: e_str(e, a->s); break;
    case VC_ATTR_INTS:
        e_u32(e, (uint32_t)a->count);
        for (int64_t i = 0; i < a->count; i++) e_i64(e, a->ints[i]);
        break;
    case VC_ATTR_FLOATS:
        e_u32(e, (uint32_t)a->count);
        for (int64_t i = 0; i < a->count; i++) {
            uint32_t bits;
            memcpy(&bits, &a->floats[i], 4);
            e_u32(e, bits);
        }
        break;
    case VC_ATTR_STRINGS:
        e_u32(e, (uint32_t)a->count);
        for (int64_t i = 0; i < a->count; i++) e_str(e, a->strings[i]);
        break;
    case VC_ATTR_TENSOR:
        e_u8(e, (unsigned)a->t.dtype);
        e_u8(e, (unsigned)a->t.rank);
        e_u8(e, 0);
        e_u8(e, 0);
        for (int i = 0; i < a->t.rank; i++) e_i64(e, a->t.dims[i]);
        e_data(e, a->t.data, vc_nbytes(&a->t));
        break;
    case VC_ATTR_GRAPH: e_u32(e, (uint32_t)a->graph); break;
    }
}

static void enc_node(enc *e, const vc_node *n)
{
    e_str(e, n->op_type);
    e_str(e, n->name);
    e_i32(e, n->opset);
    e_u32(e, (uint32_t)n->n_in);
    for (int i = 0; i < n->n_in; i++) e_i32(e, n->in[i]);
    e_u32(e, (uint32_t)n->n_out);
    for (int i = 0; i < n->n_out; i++) e_u32(e, (uint32_t)n->out[i]);
    e_u32(e, (uint32_t)n->n_attr);
    for (int i = 0; i < n->n_attr; i++) enc_attr(e, &n->attr[i]);
}

static void enc_graph(enc *e, const vc_graph *gr)
{
    e_i32(e, gr->parent);
    e_u32(e, 0);
    e_u64(e, gr->arena_size);
    e_u32(e, (uint32_t)gr->n_in);
    for (int i = 0; i < gr->n_in; i++) e_u32(e, (uint32_t)gr->in[i]);
    e_u32(e, (uint32_t)gr->n_out);
    for (int i = 0; i < gr->n_out; i++) e_u32(e, (uint32_t)gr->out[i]);
    e_u32(e, (uint32_t)gr->n_nodes);
    for (int k = 0; k < gr->n_nodes; k++) enc_node(e, &gr->nodes[k]);
}

/* The writer keeps a record per method as [u32 name][u64 record size][stream]; the
 * size lets method_encodable skip records. build() drops the 12-byte prefix. */
voce_status vc_writer_add_method(vc_writer *w, const vc_mgraph *g)
{
    if (!w || !g) return vc_error(VOCE_ERR_INVALID_ARG, "vc_writer_add_method: NULL argument");
    voce_status st = method_encodable(w, g);
    if (!st) st = vc_format_check_method(g, VOCE_ERR_INVALID_ARG, 1);
    if (st) return st;
    size_t m0 = w->methods.n, d0 = w->data.n;
    enc e = {w, &w->methods, 0};
    int64_t name = intern(w, g->name);
    if (name < 0) e.fail = 1;
    e_u32(&e, name < 0 ? 0 : (uint32_t)name);
    e_u64(&e, 0);                       /* record size, patched below */
    e_str(&e, g->name);
    e_u32(&e, (uint32_t)g->n_values);
    for (int v = 0; v < g->n_values; v++) enc_value(&e, &g->values[v]);
    e_u32(&e, (uint32_t)g->n_graphs);
    for (int gi = 0; gi < g->n_graphs; gi++) enc_graph(&e, &g->graphs[gi]);
    if (e.fail) {
        w->methods.n = m0;
        w->data.n = d0;
        return vc_error(VOCE_ERR_NOMEM,
                        "method '%s': out of memory while serialising (or strings over 4 GiB)",
                        g->name);
    }
    vc_st64(w->methods.p + m0 + 4, (uint64_t)(w->methods.n - m0));
    w->n_methods++;
    return VOCE_OK;
}

/* ---- layout ---- */

typedef struct layout {
    uint64_t off[5], size[5];       /* indexed by section kind */
    uint64_t meta_data_off;         /* DATA offset where metadata arrays start */
    uint64_t total;
} layout;

static uint64_t align64(uint64_t x)
{
    return (x + VC_FMT_ALIGN - 1) & ~(uint64_t)(VC_FMT_ALIGN - 1);
}

static uint64_t meta_bytes(const vc_meta *m)
{
    return m->type == VOCE_META_STRING ? 0 : m->count * meta_elem_size(m->type);
}

static void plan(const vc_writer *w, layout *L)
{
    static const int order[4] = {VC_SECT_STRINGS, VC_SECT_META, VC_SECT_METHODS, VC_SECT_DATA};
    L->size[VC_SECT_STRINGS] = w->strings.n;
    L->size[VC_SECT_META] = 8 + (uint64_t)VC_META_ENTRY * w->n_meta;
    L->size[VC_SECT_METHODS] = 4 + w->methods.n - (uint64_t)12 * w->n_methods;
    uint64_t d = w->data.n;
    L->meta_data_off = align64(d);
    for (size_t i = 0; i < w->n_meta; i++) {
        uint64_t nb = meta_bytes(&w->meta[i].m);
        if (meta_elem_size(w->meta[i].m.type)) d = align64(d) + nb;
    }
    L->size[VC_SECT_DATA] = d;
    uint64_t pos = align64(VC_FMT_HEADER_SIZE + 4 * VC_FMT_SECTION_ENTRY);
    for (int i = 0; i < 4; i++) {
        L->off[order[i]] = pos;
        pos = L->off[order[i]] + L->size[order[i]];
        if (i < 3) pos = align64(pos);
    }
    L->total = pos;
}

static voce_status intern_meta(vc_writer *w)
{
    for (size_t i = 0; i < w->n_meta; i++) {
        const vc_meta *m = &w->meta[i].m;
        int fail = intern(w, m->key) < 0;
        if (m->type == VOCE_META_STRING) fail |= intern(w, m->s) < 0;
        for (uint64_t k = 0; m->type == VOCE_META_STRINGS && k < m->count; k++)
            fail |= intern(w, m->strings[k]) < 0;
        if (fail) return vc_error(VOCE_ERR_NOMEM, "string table: out of memory or over 4 GiB");
    }
    return VOCE_OK;
}

static uint32_t ref_of(vc_writer *w, const char *s) { return (uint32_t)intern(w, s); }

static void write_meta(vc_writer *w, const layout *L, unsigned char *file)
{
    unsigned char *sec = file + L->off[VC_SECT_META];
    unsigned char *data = file + L->off[VC_SECT_DATA];
    vc_st32(sec, (uint32_t)w->n_meta);
    uint64_t d = w->data.n;
    for (size_t i = 0; i < w->n_meta; i++) {
        const vc_meta *m = &w->meta[i].m;
        unsigned char *e = sec + 8 + VC_META_ENTRY * i;
        uint64_t a = 0, b = 0;
        vc_st32(e, ref_of(w, m->key));
        vc_st32(e + 4, (uint32_t)m->type);
        switch (m->type) {
        case VOCE_META_INT: a = (uint64_t)m->i; break;
        case VOCE_META_FLOAT: memcpy(&a, &m->f, 8); break;
        case VOCE_META_STRING: a = ref_of(w, m->s); break;
        default:
            d = align64(d);
            a = d;
            b = m->count;
            if (m->type == VOCE_META_STRINGS)
                for (uint64_t k = 0; k < m->count; k++)
                    vc_st32(data + d + 4 * k, ref_of(w, m->strings[k]));
            else if (b)
                memcpy(data + d, m->data, (size_t)meta_bytes(m));
            d += meta_bytes(m);
            break;
        }
        vc_st64(e + 8, a);
        vc_st64(e + 16, b);
    }
}

static void write_methods(const vc_writer *w, unsigned char *sec)
{
    vc_st32(sec, w->n_methods);
    unsigned char *o = sec + 4;
    size_t pos = 0;
    for (uint32_t i = 0; i < w->n_methods; i++) {
        size_t len = (size_t)vc_ld64(w->methods.p + pos + 4);
        memcpy(o, w->methods.p + pos + 12, len - 12);
        o += len - 12;
        pos += len;
    }
}

static void write_header(const layout *L, unsigned char *file)
{
    static const int order[4] = {VC_SECT_STRINGS, VC_SECT_META, VC_SECT_METHODS, VC_SECT_DATA};
    memcpy(file, VC_FMT_MAGIC, 8);
    vc_st16(file + VC_HDR_MAJOR, VC_FORMAT_MAJOR);
    vc_st16(file + VC_HDR_MINOR, VC_FORMAT_MINOR);
    vc_st32(file + VC_HDR_SIZE, VC_FMT_HEADER_SIZE);
    vc_st64(file + VC_HDR_FILE_SIZE, L->total);
    vc_st32(file + VC_HDR_NSECT, 4);
    vc_st32(file + VC_HDR_FLAGS, 0);
    vc_st64(file + VC_HDR_TABLE_OFF, VC_FMT_HEADER_SIZE);
    unsigned char *t = file + VC_FMT_HEADER_SIZE;
    for (int i = 0; i < 4; i++) {
        unsigned char *e = t + VC_FMT_SECTION_ENTRY * i;
        int k = order[i];
        vc_st32(e, (uint32_t)k);
        vc_st32(e + 4, 0);
        vc_st64(e + 8, L->off[k]);
        vc_st64(e + 16, L->size[k]);
        vc_st32(e + 24, vc_crc32c(0, file + L->off[k], (size_t)L->size[k]));
        vc_st32(e + 28, 0);
    }
    vc_st32(file + VC_HDR_TABLE_CRC, vc_crc32c(0, t, 4 * VC_FMT_SECTION_ENTRY));
    vc_st32(file + VC_HDR_CRC, vc_header_crc(file, VC_FMT_HEADER_SIZE));
}

voce_status vc_writer_to_memory(vc_writer *w, void **data, size_t *size)
{
    if (!w || !data || !size)
        return vc_error(VOCE_ERR_INVALID_ARG, "vc_writer_to_memory: NULL argument");
    *data = NULL;
    *size = 0;
    voce_status st = intern_meta(w);
    if (st) return st;
    layout L;
    plan(w, &L);
    if (L.total > SIZE_MAX)
        return vc_error(VOCE_ERR_NOMEM, "program file of %llu bytes is too large",
                        (unsigned long long)L.total);
    unsigned char *file = calloc(1, (size_t)L.total);
    if (!file)
        return vc_error(VOCE_ERR_NOMEM, "out of memory for a program file of %llu bytes",
                        (unsigned long long)L.total);
    memcpy(file + L.off[VC_SECT_STRINGS], w->strings.p, w->strings.n);
    if (w->data.n) memcpy(file + L.off[VC_SECT_DATA], w->data.p, w->data.n);
    write_meta(w, &L, file);
    write_methods(w, file + L.off[VC_SECT_METHODS]);
    write_header(&L, file);
    *data = file;
    *size = (size_t)L.total;
    return VOCE_OK;
}

/* ---- save ---- */

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

voce_status vc_writer_save(vc_writer *w, const char *path)
{
    if (!w || !path || !path[0]) return vc_error(VOCE_ERR_INVALID_ARG, "vc_writer_save: no path");
    void *bytes;
    size_t size;
    voce_status st = vc_writer_to_memory(w, &bytes, &size);
    if (st) return st;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 12);
    if (!tmp) {
        free(bytes);
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = vc_error(VOCE_ERR_IO, "cannot create a temporary file next to '%s': %s", path,
                      strerror(errno));
    } else {
        /* mkstemp makes the file 0600; a program file is not secret */
        int bad = fchmod(fd, 0644) != 0 || write_all(fd, bytes, size) != 0;
        int err = errno;
        if (close(fd) != 0 && !bad) { bad = 1; err = errno; }
        if (!bad && rename(tmp, path) != 0) { bad = 1; err = errno; }
        if (bad) {
            unlink(tmp);
            st = vc_error(VOCE_ERR_IO, "cannot write '%s': %s", path, strerror(err));
        }
    }
    free(tmp);
    free(bytes);
    return st;
}
