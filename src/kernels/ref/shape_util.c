/* Helpers of the data-movement kernels: input checks, shape-like inputs, and the strided
 * copy engine behind Transpose, Slice, Expand, Tile, Pad and DepthToSpace.
 *
 * The copy engine first simplifies a view (drops size-1 dims, merges dims that are
 * contiguous on both sides) so that most real copies end in long memcpy runs; otherwise
 * it moves elements with fixed-size copies, blocking transposes for the cache. */
#include "shape_internal.h"

voce_status vc_sh_check_in(const vc_node *n, vc_tensor *const *in, int k)
{
    const vc_tensor *t = vc_sh_opt(n, in, k);
    if (!t) return vc_node_error(n, VOCE_ERR_FORMAT, "required input %d is missing", k);
    if (voce_dtype_size(t->dtype) == 0) return vc_err_dtype(n, k, t->dtype);
    if (t->rank < 0 || t->rank > VOCE_MAX_RANK)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input %d has rank %d", k, t->rank);
    if (vc_numel(t) < 0) {
        char s[128];
        return vc_node_error(n, VOCE_ERR_SHAPE, "input %d has invalid shape %s", k,
                             vc_shape_str(t->rank, t->dims, s, sizeof s));
    }
    return VOCE_OK;
}

voce_status vc_sh_check_ints(const vc_node *n, const vc_tensor *t, int k, int64_t max,
                             int64_t *count)
{
    if (t->dtype != VOCE_DTYPE_I64 && t->dtype != VOCE_DTYPE_I32) return vc_err_dtype(n, k, t->dtype);
    if (t->rank > 1)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input %d must be 1-D, has rank %d", k, t->rank);
    int64_t c = t->rank == 0 ? 1 : t->dims[0];
    if (c < 0 || c > max)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input %d has %lld values, at most %lld allowed",
                             k, (long long)c, (long long)max);
    *count = c;
    return VOCE_OK;
}

voce_status vc_sh_read_ints(const vc_node *n, const vc_tensor *t, int k, int64_t *vals,
                            int max, int *count)
{
    int64_t c = 0;
    voce_status st = vc_sh_check_ints(n, t, k, max, &c);
    if (st) return st;
    for (int64_t i = 0; i < c; i++) vals[i] = vc_get_int(t, i);
    *count = (int)c;
    return VOCE_OK;
}

voce_status vc_sh_set_out(const vc_node *n, vc_tensor *out, voce_dtype dtype, int rank,
                          const int64_t *dims)
{
    char s[256];
    if (rank < 0 || rank > VOCE_MAX_RANK)
        return vc_node_error(n, VOCE_ERR_SHAPE, "output rank %d exceeds the limit %d", rank,
                             VOCE_MAX_RANK);
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0)
            return vc_node_error(n, VOCE_ERR_SHAPE, "output shape %s has a negative dim",
                                 vc_shape_str(rank, dims, s, sizeof s));
    if (vc_shape_numel(rank, dims) < 0)
        return vc_node_error(n, VOCE_ERR_NOMEM, "output shape %s has more than 2^40 elements",
                             vc_shape_str(rank, dims, s, sizeof s));
    out->dtype = dtype;
    out->rank = rank;
    for (int i = 0; i < rank; i++) out->dims[i] = dims[i];
    return VOCE_OK;
}

void vc_sh_strides(int rank, const int64_t *dims, int64_t *strides)
{
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= dims[i];
    }
}

voce_status vc_sh_alias_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                            vc_ctx *ctx)
{
    size_t nb = vc_nbytes(&out[0]);
    if (nb) memcpy(out[0].data, in[0]->data, nb);
    return VOCE_OK;
}

void vc_sh_fill(void *dst, const void *val, int64_t count, size_t esz)
{
    if (count <= 0) return;
    const unsigned char *v = val;
    size_t same = 1;
    while (same < esz && v[same] == v[0]) same++;
    if (same == esz) {
        memset(dst, v[0], (size_t)count * esz);
        return;
    }
    /* doubling copies: log2(count) memcpy calls instead of count element stores */
    char *d = dst;
    memcpy(d, val, esz);
    size_t done = 1, total = (size_t)count;
    while (done < total) {
        size_t k = done < total - done ? done : total - done;
        memcpy(d + done * esz, d, k * esz);
        done += k;
    }
}

/* ---- the copy engine ---- */

typedef struct view {
    int rank;
    int64_t dims[VC_SH_MAX_VIEW], s[VC_SH_MAX_VIEW], d[VC_SH_MAX_VIEW];
} view;

/* Drop size-1 dims and merge neighbours that stay contiguous on both sides. Returns 0
 * when the view is empty. */
static int simplify(view *v)
{
    int r = 0;
    for (int i = 0; i < v->rank; i++) {
        if (v->dims[i] == 0) return 0;
        if (v->dims[i] == 1) continue;
        if (r > 0 && v->s[r - 1] == v->s[i] * v->dims[i] && v->d[r - 1] == v->d[i] * v->dims[i]) {
            v->dims[r - 1] *= v->dims[i];
            v->s[r - 1] = v->s[i];
            v->d[r - 1] = v->d[i];
            continue;
        }
        v->dims[r] = v->dims[i];
        v->s[r] = v->s[i];
        v->d[r] = v->d[i];
        r++;
    }
    v->rank = r;
    return 1;
}

#define STRIDED_LOOP(E)                                                                 \
    for (int64_t i = 0; i < cnt; i++) memcpy(dst + i * ds * (E), src + i * ss * (E), (E))

static void copy_strided(char *dst, int64_t ds, const char *src, int64_t ss, int64_t cnt,
                         size_t esz)
{
    switch (esz) {
    case 1: STRIDED_LOOP(1); break;
    case 2: STRIDED_LOOP(2); break;
    case 4: STRIDED_LOOP(4); break;
    default: STRIDED_LOOP(8); break;
    }
}

/* A transpose: element (a, b) moves from src + a + b*sb to dst + a*da + b. Done in
 * tiles through a local buffer, so that both sides touch whole cache lines in order;
 * strided access straight from memory thrashes the cache when sb is a power of two.
 * 64 x 64 tiles measured best; 8-byte elements use 32 x 32 to keep the buffer at 16 KiB. */
static void copy_tiled(char *dst, int64_t da, const char *src, int64_t sb, int64_t na,
                       int64_t nb, size_t esz)
{
    unsigned char buf[16384]; /* buf[b][a] */
    const int64_t e = (int64_t)esz, tile = esz == 8 ? 32 : 64;
    for (int64_t a0 = 0; a0 < na; a0 += tile) {
        int64_t ca = na - a0 < tile ? na - a0 : tile;
        for (int64_t b0 = 0; b0 < nb; b0 += tile) {
            int64_t cb = nb - b0 < tile ? nb - b0 : tile;
            for (int64_t b = 0; b < cb; b++)
                memcpy(buf + b * tile * e, src + (a0 + (b0 + b) * sb) * e, (size_t)(ca * e));
            for (int64_t a = 0; a < ca; a++)
                copy_strided(dst + ((a0 + a) * da + b0) * e, 1, (const char *)buf + a * e, tile, cb, esz);
        }
    }
}

enum { K_RUN, K_FILL, K_STRIDED, K_TILED };

/* One thread's copy of a simplified view. */
static void copy_simple(char *dst, const char *src, const view *vv, size_t esz)
{
    view v = *vv;
    if (v.rank == 0) {
        vc_sh_copy_elem(dst, src, esz);
        return;
    }
    const int64_t e = (int64_t)esz;
    int last = v.rank - 1, kind = K_STRIDED, tj = -1;
    if (v.s[last] == 1 && v.d[last] == 1) {
        kind = K_RUN;
    } else if (v.s[last] == 0 && v.d[last] == 1) {
        kind = K_FILL; /* broadcast of one element along the row */
    } else if (v.d[last] == 1 && v.dims[last] >= 4) {
        for (int j = 0; j < last; j++)
            if (v.s[j] == 1 && v.dims[j] >= 4) tj = j;
        if (tj >= 0) kind = K_TILED;
    }
    /* outer dims: all but the last (and the tile's second dim) */
    int outer[VC_SH_MAX_VIEW], no = 0;
    for (int j = 0; j < last; j++)
        if (j != tj) outer[no++] = j;
    int64_t idx[VC_SH_MAX_VIEW] = {0};
    int64_t so = 0, dof = 0;
    for (;;) {
        char *dp = dst + dof * e;
        const char *sp = src + so * e;
        if (kind == K_RUN) memcpy(dp, sp, (size_t)(v.dims[last] * e));
        else if (kind == K_FILL) vc_sh_fill(dp, sp, v.dims[last], esz);
        else if (kind == K_TILED) copy_tiled(dp, v.d[tj], sp, v.s[last], v.dims[tj], v.dims[last], esz);
        else copy_strided(dp, v.d[last], sp, v.s[last], v.dims[last], esz);
        int k = no - 1;
        for (; k >= 0; k--) {
            int j = outer[k];
            so += v.s[j];
            dof += v.d[j];
            if (++idx[k] < v.dims[j]) break;
            so -= v.s[j] * v.dims[j];
            dof -= v.d[j] * v.dims[j];
            idx[k] = 0;
        }
        if (k < 0) return;
    }
}

/* Copies of fewer bytes than this per task stay on one thread (a dispatch costs about
 * what copying 64 KiB does). */
#define COPY_MIN_TASK ((int64_t)128 << 10)

/* A large copy is cut along its longest dimension into sub-views, one per task. */
typedef struct copy_job {
    char *dst;
    const char *src;
    view v;
    int dim;
    int64_t chunk;
    size_t esz;
} copy_job;

static void copy_task(void *arg, int64_t task, int worker)
{
    const copy_job *j = arg;
    view v = j->v;
    int64_t a = task * j->chunk, e = (int64_t)j->esz;
    (void)worker;
    v.dims[j->dim] = j->chunk < v.dims[j->dim] - a ? j->chunk : v.dims[j->dim] - a;
    copy_simple(j->dst + a * v.d[j->dim] * e, j->src + a * v.s[j->dim] * e, &v, j->esz);
}

void vc_sh_copy_view(char *dst, const int64_t *dstr, const char *src, const int64_t *sstr,
                     int rank, const int64_t *dims, size_t esz, vc_threads *t)
{
    view v;
    v.rank = rank;
    for (int i = 0; i < rank; i++) {
        v.dims[i] = dims[i];
        v.s[i] = sstr[i];
        v.d[i] = dstr[i];
    }
    if (!simplify(&v)) return;
    int64_t bytes = (int64_t)esz;
    int dim = 0;
    for (int i = 0; i < v.rank; i++) {
        bytes *= v.dims[i];
        if (v.dims[i] > v.dims[dim]) dim = i;
    }
    int64_t n = v.rank ? vc_threads_tasks(t, v.dims[dim], bytes, COPY_MIN_TASK) : 1;
    if (n <= 1) {
        copy_simple(dst, src, &v, esz);
        return;
    }
    copy_job j = {dst, src, v, dim, (v.dims[dim] + n - 1) / n, esz};
    vc_threads_run(t, (v.dims[dim] + j.chunk - 1) / j.chunk, copy_task, &j);
}

void vc_sh_copy_view_to(char *dst, const char *src, const int64_t *sstr, int rank,
                        const int64_t *dims, size_t esz, vc_threads *t)
{
    int64_t dstr[VC_SH_MAX_VIEW];
    vc_sh_strides(rank, dims, dstr);
    vc_sh_copy_view(dst, dstr, src, sstr, rank, dims, esz, t);
}
