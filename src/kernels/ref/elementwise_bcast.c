/* Broadcasting iterator and the row drivers of the elementwise reference kernels.
 *
 * A driver walks the output row by row (vc_bcast) and hands each row to a typed kernel,
 * which sees contiguous operands only. When a storage dtype differs from the kernel's
 * compute dtype, the row is converted in stack chunks of VC_EW_CHUNK elements. A
 * broadcast (stride 0) operand is converted once per row and replicated into a chunk, so
 * that the kernels need no strided form; f32 Add / Sub / Mul / Div with one scalar
 * operand skip that and keep the scalar in a register (vc_ew_scalar_k). Limits: at most
 * 3 broadcast inputs per walk. */
#include <string.h>

#include "elementwise_impl.h"

void vc_bcast_init(vc_bcast *it, int out_rank, const int64_t *out_dims,
                   const vc_tensor *const *in, int n)
{
    int64_t str[3][VOCE_MAX_RANK];
    for (int k = 0; k < n; k++) {
        int off = out_rank - in[k]->rank;
        int64_t s = 1;
        for (int d = out_rank - 1; d >= 0; d--) {
            int64_t dim = d < off ? 1 : in[k]->dims[d - off];
            str[k][d] = dim == 1 ? 0 : s;
            s *= dim;
        }
    }
    memset(it, 0, sizeof *it);
    it->n = n;
    int m = 0;
    for (int d = 0; d < out_rank; d++) {
        int64_t dim = out_dims[d];
        if (dim == 1) continue;
        int merge = m > 0;
        for (int k = 0; k < n && merge; k++)
            merge = it->str[k][m - 1] == str[k][d] * dim;
        if (merge) {
            it->dims[m - 1] *= dim;
            for (int k = 0; k < n; k++) it->str[k][m - 1] = str[k][d];
        } else {
            it->dims[m] = dim;
            for (int k = 0; k < n; k++) it->str[k][m] = str[k][d];
            m++;
        }
    }
    if (m == 0) { /* every dim is 1: one row of one element, all inputs stride 0 */
        it->dims[0] = 1;
        m = 1;
    }
    it->rank = m;
    it->len = it->dims[m - 1];
    it->rows = 1;
    for (int d = 0; d < m - 1; d++) it->rows *= it->dims[d];
}

voce_dtype vc_ew_compute(voce_dtype storage, int has_b8)
{
    switch (storage) {
    case VOCE_DTYPE_F32: case VOCE_DTYPE_F16: return VOCE_DTYPE_F32;
    case VOCE_DTYPE_F64: return VOCE_DTYPE_F64;
    case VOCE_DTYPE_BOOL: return has_b8 ? VOCE_DTYPE_BOOL : VOCE_DTYPE_I64;
    default: return VOCE_DTYPE_I64;
    }
}

/* Stack buffer for one chunk of any compute dtype, aligned for double / int64. */
typedef union chunk_buf {
    double d[VC_EW_CHUNK];
    int64_t i[VC_EW_CHUNK];
} chunk_buf;

void vc_ew_unary(const vc_ew_unary_plan *p, const vc_tensor *x, vc_tensor *out)
{
    int64_t n = vc_numel(out);
    if (n <= 0) return;
    if (p->tx == p->cx && p->to == p->co) {
        vc_ew_unary_k(p, n, x->data, out->data);
        return;
    }
    size_t sx = voce_dtype_size(p->tx), so = voce_dtype_size(p->to);
    chunk_buf bx, bo;
    for (int64_t off = 0; off < n; off += VC_EW_CHUNK) {
        int64_t m = n - off < VC_EW_CHUNK ? n - off : VC_EW_CHUNK;
        const void *px = (const char *)x->data + (size_t)off * sx;
        void *po = (char *)out->data + (size_t)off * so;
        if (p->tx != p->cx) {
            vc_ew_convert(px, p->tx, bx.d, p->cx, m);
            px = bx.d;
        }
        vc_ew_unary_k(p, m, px, p->to == p->co ? po : bo.d);
        if (p->to != p->co) vc_ew_convert(bo.d, p->co, po, p->to, m);
    }
}

/* The chunk of an operand in its compute dtype: src itself, or converted into buf. */
static const void *operand(const void *src, voce_dtype t, voce_dtype c, chunk_buf *buf,
                           int64_t m)
{
    if (t == c) return src;
    vc_ew_convert(src, t, buf->d, c, m);
    return buf->d;
}

/* buf = m copies of the one element at src, converted from t to c. */
static void replicate(const void *src, voce_dtype t, voce_dtype c, chunk_buf *buf, int64_t m)
{
    size_t es = voce_dtype_size(c);
    char *d = (char *)buf->d;
    vc_ew_convert(src, t, d, c, 1);
    for (int64_t have = 1; have < m; have *= 2) {
        int64_t k = have < m - have ? have : m - have;
        memcpy(d + (size_t)have * es, d, (size_t)k * es);
    }
}

/* One output row of a binary op. alias: a is the output row itself (accumulation), so
 * the kernel writes to a chunk buffer first because kernels assume no overlap. */
static void binary_row(const vc_ew_binary_plan *p, int64_t n, const char *a, int64_t sa,
                       const char *b, int64_t sb, char *o, int alias)
{
    int direct_types = p->ta == p->ca && p->tb == p->cb && p->to == p->co;
    if (!alias && sa && sb && direct_types) {
        vc_ew_binary_k(p, n, a, b, o);
        return;
    }
    if (!alias && sa != sb && direct_types && vc_ew_scalar_k(p, n, a, sa, b, o)) return;
    size_t esa = voce_dtype_size(p->ta), esb = voce_dtype_size(p->tb);
    size_t eso = voce_dtype_size(p->to), eco = voce_dtype_size(p->co);
    chunk_buf ba, bb, bo;
    int64_t first = n < VC_EW_CHUNK ? n : VC_EW_CHUNK;
    if (!sa) replicate(a, p->ta, p->ca, &ba, first);
    if (!sb) replicate(b, p->tb, p->cb, &bb, first);
    for (int64_t off = 0; off < n; off += VC_EW_CHUNK) {
        int64_t m = n - off < VC_EW_CHUNK ? n - off : VC_EW_CHUNK;
        const void *pa = sa ? operand(a + (size_t)off * esa, p->ta, p->ca, &ba, m) : ba.d;
        const void *pb = sb ? operand(b + (size_t)off * esb, p->tb, p->cb, &bb, m) : bb.d;
        char *po = o + (size_t)off * eso;
        int direct = !alias && p->to == p->co;
        vc_ew_binary_k(p, m, pa, pb, direct ? (void *)po : (void *)bo.d);
        if (direct) continue;
        if (p->to != p->co) vc_ew_convert(bo.d, p->co, po, p->to, m);
        else memcpy(po, bo.d, (size_t)m * eco);
    }
}

void vc_ew_binary(const vc_ew_binary_plan *p, const vc_tensor *a, const vc_tensor *b,
                  vc_tensor *out)
{
    if (vc_numel(out) <= 0) return;
    const vc_tensor *ins[2] = {a, b};
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, ins, 2);
    size_t esa = voce_dtype_size(a->dtype), esb = voce_dtype_size(b->dtype);
    size_t eso = voce_dtype_size(out->dtype);
    int64_t sa = it.str[0][it.rank - 1], sb = it.str[1][it.rank - 1];
    for (int64_t r = 0; r < it.rows; r++) {
        binary_row(p, it.len, (const char *)a->data + (size_t)it.off[0] * esa, sa,
                   (const char *)b->data + (size_t)it.off[1] * esb, sb,
                   (char *)out->data + (size_t)(r * it.len) * eso, 0);
        vc_bcast_next(&it);
    }
}

void vc_ew_binary_acc(const vc_ew_binary_plan *p, const vc_tensor *b, vc_tensor *out)
{
    if (vc_numel(out) <= 0) return;
    const vc_tensor *ins[2] = {out, b};
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, ins, 2);
    size_t esb = voce_dtype_size(b->dtype), eso = voce_dtype_size(out->dtype);
    int64_t sb = it.str[1][it.rank - 1];
    for (int64_t r = 0; r < it.rows; r++) {
        char *row = (char *)out->data + (size_t)(r * it.len) * eso;
        binary_row(p, it.len, row, 1, (const char *)b->data + (size_t)it.off[1] * esb, sb,
                   row, 1);
        vc_bcast_next(&it);
    }
}

void vc_ew_expand(const vc_tensor *in, vc_tensor *out)
{
    if (vc_numel(out) <= 0) return;
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, &in, 1);
    size_t es = voce_dtype_size(in->dtype);
    int contiguous = it.str[0][it.rank - 1] != 0;
    for (int64_t r = 0; r < it.rows; r++) {
        const char *src = (const char *)in->data + (size_t)it.off[0] * es;
        char *dst = (char *)out->data + (size_t)(r * it.len) * es;
        if (contiguous) {
            memcpy(dst, src, (size_t)it.len * es);
        } else {
            for (int64_t i = 0; i < it.len; i++) memcpy(dst + (size_t)i * es, src, es);
        }
        vc_bcast_next(&it);
    }
}

/* Where on elements of one width: only the bits are copied, so one function per size.
 * When every stride is 1, whole blocks (see VC_EW_BLOCK) run with a mask instead of ?:,
 * which keeps both loads unconditional so that the loop vectorizes; the strided loop
 * finishes the row. */
static void where_1(int64_t n, const uint8_t *restrict c, int64_t sc, const uint8_t *restrict x,
                    int64_t sx, const uint8_t *restrict y, int64_t sy, uint8_t *restrict o)
{
    int64_t i, j, whole = sc && sx && sy ? n - n % 8 : 0;
    for (i = 0; i < whole; i += 8) {
        for (j = i; j < i + 8; j++) {
            uint8_t m = (uint8_t)(0 - (c[j] != 0));
            o[j] = (uint8_t)((x[j] & m) | (y[j] & (uint8_t)~m));
        }
    }
    for (; i < n; i++) o[i] = c[i * sc] ? x[i * sx] : y[i * sy];
}

static void where_2(int64_t n, const uint8_t *restrict c, int64_t sc, const uint16_t *restrict x,
                    int64_t sx, const uint16_t *restrict y, int64_t sy, uint16_t *restrict o)
{
    int64_t i, j, whole = sc && sx && sy ? n - n % 8 : 0;
    for (i = 0; i < whole; i += 8) {
        for (j = i; j < i + 8; j++) {
            uint16_t m = (uint16_t)(0 - (c[j] != 0));
            o[j] = (uint16_t)((x[j] & m) | (y[j] & (uint16_t)~m));
        }
    }
    for (; i < n; i++) o[i] = c[i * sc] ? x[i * sx] : y[i * sy];
}

static void where_4(int64_t n, const uint8_t *restrict c, int64_t sc, const uint32_t *restrict x,
                    int64_t sx, const uint32_t *restrict y, int64_t sy, uint32_t *restrict o)
{
    int64_t i, j, whole = sc && sx && sy ? n - n % 8 : 0;
    for (i = 0; i < whole; i += 8) {
        for (j = i; j < i + 8; j++) {
            uint32_t m = 0u - (c[j] != 0);
            o[j] = (x[j] & m) | (y[j] & ~m);
        }
    }
    for (; i < n; i++) o[i] = c[i * sc] ? x[i * sx] : y[i * sy];
}

static void where_8(int64_t n, const uint8_t *restrict c, int64_t sc, const uint64_t *restrict x,
                    int64_t sx, const uint64_t *restrict y, int64_t sy, uint64_t *restrict o)
{
    int64_t i, j, whole = sc && sx && sy ? n - n % 8 : 0;
    for (i = 0; i < whole; i += 8) {
        for (j = i; j < i + 8; j++) {
            uint64_t m = 0 - (uint64_t)(c[j] != 0);
            o[j] = (x[j] & m) | (y[j] & ~m);
        }
    }
    for (; i < n; i++) o[i] = c[i * sc] ? x[i * sx] : y[i * sy];
}

/* One row of Where on elements of es bytes. */
static void where_row(size_t es, int64_t n, const uint8_t *c, int64_t sc, const void *x,
                      int64_t sx, const void *y, int64_t sy, void *o)
{
    switch (es) {
    case 1: where_1(n, c, sc, x, sx, y, sy, o); break;
    case 2: where_2(n, c, sc, x, sx, y, sy, o); break;
    case 4: where_4(n, c, sc, x, sx, y, sy, o); break;
    default: where_8(n, c, sc, x, sx, y, sy, o); break;
    }
}

void vc_ew_where(const vc_tensor *cond, const vc_tensor *x, const vc_tensor *y,
                 vc_tensor *out)
{
    if (vc_numel(out) <= 0) return;
    const vc_tensor *ins[3] = {cond, x, y};
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, ins, 3);
    size_t es = voce_dtype_size(out->dtype);
    int last = it.rank - 1;
    for (int64_t r = 0; r < it.rows; r++) {
        where_row(es, it.len, (const uint8_t *)cond->data + it.off[0], it.str[0][last],
                  (const char *)x->data + (size_t)it.off[1] * es, it.str[1][last],
                  (const char *)y->data + (size_t)it.off[2] * es, it.str[2][last],
                  (char *)out->data + (size_t)(r * it.len) * es);
        vc_bcast_next(&it);
    }
}
