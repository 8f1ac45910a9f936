/* Broadcasting iterator and the row drivers of the elementwise reference kernels.
 *
 * A driver walks the output row by row (vc_bcast) and hands each row to a typed kernel,
 * which sees contiguous operands only. When a storage dtype differs from the kernel's
 * compute dtype, the row is converted in stack chunks of VC_EW_CHUNK elements. A
 * broadcast (stride 0) operand is converted once per row and replicated into a chunk, so
 * that the kernels need no strided form; f32 Add / Sub / Mul / Div with one scalar
 * operand skip that and keep the scalar in a register (vc_ew_scalar_k). Limits: at most
 * 3 broadcast inputs per walk.
 *
 * Threads: a walk of a large output is cut into whole rows, or, when there are fewer
 * rows than tasks, into pieces of rows whose lengths are multiples of VC_EW_CHUNK. Every
 * kernel computes each element on its own, by the same instructions whatever piece it
 * falls in (a piece's last partial block is finished like a row's), so any cut gives
 * the same bits as one thread. */
#include <string.h>

#include "elementwise_impl.h"
#include "../../core/threads.h"

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

/* ---- a walk of the output's rows, shared among threads ---- */

/* Fewer output elements than this per task are not handed out: a dispatch costs a few
 * microseconds, about what 32 K additions take. */
#define EW_MIN_TASK ((int64_t)32 << 10)

/* fn does elements [c0, c0 + n) of output row `row`; it sits at that row. */
typedef void (*ew_row_fn)(const void *job, const vc_bcast *it, int64_t row, int64_t c0,
                          int64_t n);

typedef struct ew_walk {
    vc_bcast it;            /* at row 0 */
    int64_t rows_per;       /* whole rows per task (segs == 1) */
    int64_t seg, segs;      /* else each row in segs pieces of seg elements */
    ew_row_fn fn;
    const void *job;
} ew_walk;

/* The odometer set to a row: one division per dimension, once per task. */
static void bcast_seek(vc_bcast *it, int64_t row)
{
    for (int k = 0; k < it->n; k++) it->off[k] = 0;
    for (int d = it->rank - 2; d >= 0; d--) {
        it->idx[d] = row % it->dims[d];
        row /= it->dims[d];
        for (int k = 0; k < it->n; k++) it->off[k] += it->idx[d] * it->str[k][d];
    }
}

static void walk_rows(const ew_walk *w, int64_t r0, int64_t r1, int64_t c0, int64_t n)
{
    vc_bcast it = w->it;
    if (r0) bcast_seek(&it, r0);
    for (int64_t r = r0; r < r1; r++) {
        w->fn(w->job, &it, r, c0, n);
        vc_bcast_next(&it);
    }
}

static void walk_task(void *arg, int64_t task, int worker)
{
    const ew_walk *w = arg;
    (void)worker;
    if (w->segs == 1) {
        int64_t r0 = task * w->rows_per, r1 = r0 + w->rows_per;
        walk_rows(w, r0, r1 < w->it.rows ? r1 : w->it.rows, 0, w->it.len);
        return;
    }
    int64_t r = task / w->segs, c0 = task % w->segs * w->seg;
    walk_rows(w, r, r + 1, c0, w->seg < w->it.len - c0 ? w->seg : w->it.len - c0);
}

/* fn over every row of it, on t's threads when the output is large enough. */
static void walk(vc_threads *t, const vc_bcast *it, ew_row_fn fn, const void *job)
{
    ew_walk w = {*it, it->rows, it->len, 1, fn, job};
    int64_t total = it->rows * it->len;
    int64_t n = vc_threads_tasks(t, total, total, EW_MIN_TASK);
    if (n <= 1) {
        walk_rows(&w, 0, it->rows, 0, it->len);
        return;
    }
    if (it->rows >= n) {
        w.rows_per = (it->rows + n - 1) / n;
        vc_threads_run(t, (it->rows + w.rows_per - 1) / w.rows_per, walk_task, &w);
        return;
    }
    int64_t pieces = (n + it->rows - 1) / it->rows;
    int64_t seg = (it->len + pieces - 1) / pieces;
    w.seg = (seg + VC_EW_CHUNK - 1) / VC_EW_CHUNK * VC_EW_CHUNK;
    w.segs = (it->len + w.seg - 1) / w.seg;
    vc_threads_run(t, it->rows * w.segs, walk_task, &w);
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

/* n elements of a unary op from x to o (storage dtypes). */
static void unary_span(const vc_ew_unary_plan *p, int64_t n, const char *x, char *o)
{
    if (p->tx == p->cx && p->to == p->co) {
        vc_ew_unary_k(p, n, x, o);
        return;
    }
    size_t sx = voce_dtype_size(p->tx), so = voce_dtype_size(p->to);
    chunk_buf bx, bo;
    for (int64_t off = 0; off < n; off += VC_EW_CHUNK) {
        int64_t m = n - off < VC_EW_CHUNK ? n - off : VC_EW_CHUNK;
        const void *px = x + (size_t)off * sx;
        void *po = o + (size_t)off * so;
        if (p->tx != p->cx) {
            vc_ew_convert(px, p->tx, bx.d, p->cx, m);
            px = bx.d;
        }
        vc_ew_unary_k(p, m, px, p->to == p->co ? po : bo.d);
        if (p->to != p->co) vc_ew_convert(bo.d, p->co, po, p->to, m);
    }
}

typedef struct unary_job {
    const vc_ew_unary_plan *p;
    const vc_tensor *x;
    vc_tensor *out;
    size_t sx, so;          /* element sizes: rows can be short, so not looked up per row */
} unary_job;

static void unary_row(const void *arg, const vc_bcast *it, int64_t row, int64_t c0, int64_t n)
{
    const unary_job *j = arg;
    size_t off = (size_t)(row * it->len + c0);
    unary_span(j->p, n, (const char *)j->x->data + off * j->sx, (char *)j->out->data + off * j->so);
}

void vc_ew_unary(const vc_ew_unary_plan *p, const vc_tensor *x, vc_tensor *out, vc_threads *t)
{
    if (vc_numel(out) <= 0) return;
    unary_job j = {p, x, out, voce_dtype_size(p->tx), voce_dtype_size(p->to)};
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, &x, 1); /* same shape: one row */
    walk(t, &it, unary_row, &j);
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

typedef struct binary_job {
    const vc_ew_binary_plan *p;
    const vc_tensor *a, *b;
    vc_tensor *out;
    int alias;              /* a is out (vc_ew_binary_acc) */
    size_t esa, esb, eso;
} binary_job;

static void binary_piece(const void *arg, const vc_bcast *it, int64_t row, int64_t c0,
                         int64_t n)
{
    const binary_job *j = arg;
    int last = it->rank - 1;
    int64_t sa = it->str[0][last], sb = it->str[1][last];
    binary_row(j->p, n, (const char *)j->a->data + (size_t)(it->off[0] + c0 * sa) * j->esa, sa,
               (const char *)j->b->data + (size_t)(it->off[1] + c0 * sb) * j->esb, sb,
               (char *)j->out->data + (size_t)(row * it->len + c0) * j->eso, j->alias);
}

void vc_ew_binary(const vc_ew_binary_plan *p, const vc_tensor *a, const vc_tensor *b,
                  vc_tensor *out, vc_threads *t)
{
    if (vc_numel(out) <= 0) return;
    const vc_tensor *ins[2] = {a, b};
    binary_job j = {p, a, b, out, 0, voce_dtype_size(a->dtype), voce_dtype_size(b->dtype),
                    voce_dtype_size(out->dtype)};
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, ins, 2);
    walk(t, &it, binary_piece, &j);
}

void vc_ew_binary_acc(const vc_ew_binary_plan *p, const vc_tensor *b, vc_tensor *out,
                      vc_threads *t)
{
    if (vc_numel(out) <= 0) return;
    const vc_tensor *ins[2] = {out, b};
    binary_job j = {p, out, b, out, 1, voce_dtype_size(out->dtype), voce_dtype_size(b->dtype),
                    voce_dtype_size(out->dtype)};
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, ins, 2);
    walk(t, &it, binary_piece, &j);
}

typedef struct expand_job {
    const vc_tensor *in;
    vc_tensor *out;
} expand_job;

static void expand_piece(const void *arg, const vc_bcast *it, int64_t row, int64_t c0,
                         int64_t n)
{
    const expand_job *j = arg;
    size_t es = voce_dtype_size(j->in->dtype);
    int64_t s = it->str[0][it->rank - 1];
    const char *src = (const char *)j->in->data + (size_t)(it->off[0] + c0 * s) * es;
    char *dst = (char *)j->out->data + (size_t)(row * it->len + c0) * es;
    if (s) {
        memcpy(dst, src, (size_t)n * es);
        return;
    }
    for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * es, src, es);
}

void vc_ew_expand(const vc_tensor *in, vc_tensor *out, vc_threads *t)
{
    if (vc_numel(out) <= 0) return;
    expand_job j = {in, out};
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, &in, 1);
    walk(t, &it, expand_piece, &j);
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

typedef struct where_job {
    const vc_tensor *cond, *x, *y;
    vc_tensor *out;
    size_t es;
} where_job;

static void where_piece(const void *arg, const vc_bcast *it, int64_t row, int64_t c0,
                        int64_t n)
{
    const where_job *j = arg;
    size_t es = j->es;
    int last = it->rank - 1;
    int64_t sc = it->str[0][last], sx = it->str[1][last], sy = it->str[2][last];
    where_row(es, n, (const uint8_t *)j->cond->data + it->off[0] + c0 * sc, sc,
              (const char *)j->x->data + (size_t)(it->off[1] + c0 * sx) * es, sx,
              (const char *)j->y->data + (size_t)(it->off[2] + c0 * sy) * es, sy,
              (char *)j->out->data + (size_t)(row * it->len + c0) * es);
}

void vc_ew_where(const vc_tensor *cond, const vc_tensor *x, const vc_tensor *y,
                 vc_tensor *out, vc_threads *t)
{
    if (vc_numel(out) <= 0) return;
    const vc_tensor *ins[3] = {cond, x, y};
    where_job j = {cond, x, y, out, voce_dtype_size(out->dtype)};
    vc_bcast it;
    vc_bcast_init(&it, out->rank, out->dims, ins, 3);
    walk(t, &it, where_piece, &j);
}
