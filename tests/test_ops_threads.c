/* Kernels that share large outputs among threads without a GEMM: the elementwise drivers
 * (src/kernels/ref/elementwise_bcast.c) and the strided copy of the shape ops
 * (vc_sh_copy_view, src/kernels/ref/shape_util.c).
 *
 * Outputs large enough to be cut among threads, in both ways the drivers cut them: many
 * rows handed out whole, and a few long rows cut into pieces. Shapes are odd (no length
 * a multiple of a block or chunk) so that pieces end in partial blocks. Each driver runs
 * with no pool, 2 and 3 threads; the bytes must be equal (the drivers promise the same
 * bits for any cut), and each result is checked element by element against a plain loop
 * written here: Add with a row broadcast, Mul by a scalar on either side, Sub of a
 * column broadcast, f16 + f16 (computed in f32, stored back), Sigmoid and Exp (whose
 * kernels have separate block and tail code), Where with a broadcast condition, Expand,
 * and Max accumulated in place (the variadic ops' path). Copies: a transpose of 4-byte
 * elements (the tiled path), a reversed slice with a step of 8-byte elements, a broadcast
 * row (a fill), and a padded block written into a larger output, each against an index
 * loop written here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/threads.h"
#include "harness.h"
#include "kernels/ref/elementwise_impl.h"
#include "kernels/ref/shape_internal.h"

static uint32_t seed = 77;

static float rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static vc_tensor make(voce_dtype dt, int rank, const int64_t *dims)
{
    vc_tensor t = {dt, rank, {0}, NULL};
    for (int d = 0; d < rank; d++) t.dims[d] = dims[d];
    t.data = calloc((size_t)(vc_numel(&t) ? vc_numel(&t) : 1), voce_dtype_size(dt));
    return t;
}

static vc_tensor random_f32(int rank, const int64_t *dims)
{
    vc_tensor t = make(VOCE_DTYPE_F32, rank, dims);
    float *p = t.data;
    for (int64_t i = 0; i < vc_numel(&t); i++) p[i] = rnd() * 4.0f;
    return t;
}

static vc_threads *pools[3]; /* NULL (one thread), 2 and 3 threads */

/* The driver under test, run into out with pool k. */
typedef void (*driver)(const void *arg, vc_tensor *out, vc_threads *t);

/* out (freshly zeroed before each run) must come out byte-equal on every pool. */
static void same_on_pools(driver fn, const void *arg, vc_tensor *out, const char *what)
{
    size_t nb = vc_nbytes(out);
    unsigned char *first = malloc(nb ? nb : 1);
    for (int k = 0; k < 3; k++) {
        memset(out->data, 0, nb);
        fn(arg, out, pools[k]);
        if (k == 0) memcpy(first, out->data, nb);
        else CHECK_MSG(memcmp(first, out->data, nb) == 0, "%s: %d threads differ", what, k + 1);
    }
    free(first);
}

typedef struct bin_arg {
    vc_ew_binary_plan p;
    const vc_tensor *a, *b;
} bin_arg;

static void run_binary(const void *arg, vc_tensor *out, vc_threads *t)
{
    const bin_arg *x = arg;
    vc_ew_binary(&x->p, x->a, x->b, out, t);
}

static vc_ew_binary_plan f32_plan(vc_ew_bop op)
{
    vc_ew_binary_plan p = {op, VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32,
                           VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32};
    return p;
}

/* [3, 5, 9001] + [9001]: 15 rows, more than the (at most 4) tasks of 135 K elements, so
 * whole rows are handed out; [2, 70001] - [2, 1]: 2 rows, each cut into pieces. */
static void test_binary(void)
{
    int64_t da[3] = {3, 5, 9001}, db[1] = {9001};
    vc_tensor a = random_f32(3, da), b = random_f32(1, db), o = make(VOCE_DTYPE_F32, 3, da);
    bin_arg x = {f32_plan(VC_EW_ADD), &a, &b};
    same_on_pools(run_binary, &x, &o, "add, row broadcast");
    const float *pa = a.data, *pb = b.data, *po = o.data;
    int bad = 0;
    for (int64_t i = 0; i < vc_numel(&o); i++) bad += po[i] != pa[i] + pb[i % 9001];
    CHECK_MSG(bad == 0, "add: %d elements wrong", bad);
    free(a.data), free(b.data), free(o.data);

    int64_t dc[2] = {2, 70001}, dd[2] = {2, 1};
    vc_tensor c = random_f32(2, dc), d = random_f32(2, dd), q = make(VOCE_DTYPE_F32, 2, dc);
    bin_arg y = {f32_plan(VC_EW_SUB), &c, &d};
    same_on_pools(run_binary, &y, &q, "sub, column broadcast");
    const float *pc = c.data, *pd = d.data, *pq = q.data;
    bad = 0;
    for (int64_t i = 0; i < vc_numel(&q); i++) bad += pq[i] != pc[i] - pd[i / 70001];
    CHECK_MSG(bad == 0, "sub: %d elements wrong", bad);
    free(c.data), free(d.data), free(q.data);
}

/* One long row times a scalar, the scalar second and first (vc_ew_scalar_k's two forms). */
static void test_scalar(void)
{
    int64_t dx[1] = {200003};
    vc_tensor x = random_f32(1, dx), s = make(VOCE_DTYPE_F32, 0, NULL), o = make(VOCE_DTYPE_F32, 1, dx);
    *(float *)s.data = 0.3f;
    for (int first = 0; first < 2; first++) {
        bin_arg a = {f32_plan(VC_EW_DIV), first ? &s : &x, first ? &x : &s};
        same_on_pools(run_binary, &a, &o, first ? "scalar / x" : "x / scalar");
        const float *px = x.data, *po = o.data;
        int bad = 0;
        for (int64_t i = 0; i < dx[0]; i++)
            bad += po[i] != (first ? 0.3f / px[i] : px[i] / 0.3f);
        CHECK_MSG(bad == 0, "div by scalar (scalar first %d): %d elements wrong", first, bad);
    }
    free(x.data), free(s.data), free(o.data);
}

/* f16 operands: converted in chunks, computed in f32, rounded back to f16. */
static void test_f16(void)
{
    int64_t d[2] = {3, 50001};
    vc_tensor a = make(VOCE_DTYPE_F16, 2, d), b = make(VOCE_DTYPE_F16, 2, d);
    vc_tensor o = make(VOCE_DTYPE_F16, 2, d), f = random_f32(2, d), g = random_f32(2, d);
    int64_t n = vc_numel(&o);
    vc_ew_convert(f.data, VOCE_DTYPE_F32, a.data, VOCE_DTYPE_F16, n);
    vc_ew_convert(g.data, VOCE_DTYPE_F32, b.data, VOCE_DTYPE_F16, n);
    bin_arg x = {{VC_EW_MUL, VOCE_DTYPE_F16, VOCE_DTYPE_F16, VOCE_DTYPE_F16, VOCE_DTYPE_F32,
                  VOCE_DTYPE_F32, VOCE_DTYPE_F32}, &a, &b};
    same_on_pools(run_binary, &x, &o, "f16 mul");
    float *fa = malloc(sizeof(float) * (size_t)n * 3), *fb = fa + n, *fo = fb + n;
    vc_ew_convert(a.data, VOCE_DTYPE_F16, fa, VOCE_DTYPE_F32, n);
    vc_ew_convert(b.data, VOCE_DTYPE_F16, fb, VOCE_DTYPE_F32, n);
    vc_ew_convert(o.data, VOCE_DTYPE_F16, fo, VOCE_DTYPE_F32, n);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint16_t want, got;
        float p = fa[i] * fb[i];
        vc_ew_convert(&p, VOCE_DTYPE_F32, &want, VOCE_DTYPE_F16, 1);
        memcpy(&got, (uint16_t *)o.data + i, sizeof got);
        bad += want != got;
    }
    CHECK_MSG(bad == 0, "f16 mul: %d elements wrong", bad);
    free(fa), free(a.data), free(b.data), free(o.data), free(f.data), free(g.data);
}

typedef struct un_arg {
    vc_ew_unary_plan p;
    const vc_tensor *x;
} un_arg;

static void run_unary(const void *arg, vc_tensor *out, vc_threads *t)
{
    const un_arg *u = arg;
    vc_ew_unary(&u->p, u->x, out, t);
}

/* Sigmoid and Exp of 130001 elements (pieces end inside blocks), near the double result. */
static void test_unary(void)
{
    int64_t d[2] = {1, 130001};
    vc_tensor x = random_f32(2, d), o = make(VOCE_DTYPE_F32, 2, d);
    vc_ew_uop ops[2] = {VC_EW_SIGMOID, VC_EW_EXP};
    for (int k = 0; k < 2; k++) {
        un_arg u = {{ops[k], VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32,
                     {0, 0, 0, 0}}, &x};
        same_on_pools(run_unary, &u, &o, k ? "exp" : "sigmoid");
        const float *px = x.data, *po = o.data;
        double worst = 0;
        for (int64_t i = 0; i < d[1]; i++) {
            double want = k ? exp(px[i]) : 1.0 / (1.0 + exp(-(double)px[i]));
            double err = fabs(po[i] - want) / fabs(want);
            if (err > worst) worst = err;
        }
        CHECK_MSG(worst < 1e-6, "%s: relative error %g", k ? "exp" : "sigmoid", worst);
    }
    free(x.data), free(o.data);
}

typedef struct where_arg {
    const vc_tensor *c, *x, *y;
} where_arg;

static void run_where(const void *arg, vc_tensor *out, vc_threads *t)
{
    const where_arg *w = arg;
    vc_ew_where(w->c, w->x, w->y, out, t);
}

static void run_expand(const void *arg, vc_tensor *out, vc_threads *t)
{
    vc_ew_expand(arg, out, t);
}

/* Where(cond [1, C, 1, W], x [B, C, 3, W], y scalar): 168 rows handed out whole (B 8,
 * C 7, W 4099), or 6 rows cut into pieces (B 1, C 2, W 100003). */
static void check_where(int64_t B, int64_t C, int64_t W)
{
    int64_t dc[4] = {1, C, 1, W}, dx[4] = {B, C, 3, W};
    vc_tensor c = make(VOCE_DTYPE_BOOL, 4, dc), x = random_f32(4, dx), y = make(VOCE_DTYPE_F32, 0, NULL);
    vc_tensor o = make(VOCE_DTYPE_F32, 4, dx);
    uint8_t *pc = c.data;
    for (int64_t i = 0; i < vc_numel(&c); i++) pc[i] = rnd() > 0;
    *(float *)y.data = -7.0f;
    where_arg w = {&c, &x, &y};
    same_on_pools(run_where, &w, &o, "where");
    const float *px = x.data, *po = o.data;
    int bad = 0;
    for (int64_t i = 0; i < vc_numel(&o); i++) {
        int64_t col = i % W, ch = i / (W * 3) % C;
        bad += po[i] != (pc[ch * W + col] ? px[i] : -7.0f);
    }
    CHECK_MSG(bad == 0, "where %lldx%lld: %d elements wrong", (long long)B, (long long)W, bad);
    free(c.data), free(x.data), free(y.data), free(o.data);
}

/* Where both ways; Expand of [7, 1, 4099] to [7, 5, 4099]. */
static void test_where_expand(void)
{
    check_where(8, 7, 4099);
    check_where(1, 2, 100003);
    int64_t de[3] = {7, 1, 4099}, dout[3] = {7, 5, 4099};
    vc_tensor e = random_f32(3, de), eo = make(VOCE_DTYPE_F32, 3, dout);
    same_on_pools(run_expand, &e, &eo, "expand");
    const float *pe = e.data, *peo = eo.data;
    int bad = 0;
    for (int64_t i = 0; i < vc_numel(&eo); i++)
        bad += peo[i] != pe[i / (5 * 4099) * 4099 + i % 4099];
    CHECK_MSG(bad == 0, "expand: %d elements wrong", bad);
    free(e.data), free(eo.data);
}

typedef struct acc_arg {
    vc_ew_binary_plan p;
    const vc_tensor *start, *b;
} acc_arg;

static void run_acc(const void *arg, vc_tensor *out, vc_threads *t)
{
    const acc_arg *a = arg;
    memcpy(out->data, a->start->data, vc_nbytes(out));
    vc_ew_binary_acc(&a->p, a->b, out, t);
}

/* out = max(out, b) in place, b broadcast over rows. */
static void test_acc(void)
{
    int64_t d[2] = {5, 33331}, db[1] = {33331};
    vc_tensor s = random_f32(2, d), b = random_f32(1, db), o = make(VOCE_DTYPE_F32, 2, d);
    acc_arg a = {f32_plan(VC_EW_MAX), &s, &b};
    same_on_pools(run_acc, &a, &o, "max in place");
    const float *ps = s.data, *pb = b.data, *po = o.data;
    int bad = 0;
    for (int64_t i = 0; i < vc_numel(&o); i++) {
        float m = ps[i] > pb[i % 33331] ? ps[i] : pb[i % 33331];
        bad += po[i] != m;
    }
    CHECK_MSG(bad == 0, "max in place: %d elements wrong", bad);
    free(s.data), free(b.data), free(o.data);
}

/* ---- strided copies ---- */

typedef struct copy_arg {
    const int64_t *dstr, *sstr, *dims;
    const char *src;
    int64_t dst_off, src_off;   /* elements */
    int rank;
    size_t esz;
} copy_arg;

static void run_copy(const void *arg, vc_tensor *out, vc_threads *t)
{
    const copy_arg *c = arg;
    vc_sh_copy_view((char *)out->data + c->dst_off * (int64_t)c->esz, c->dstr,
                    c->src + c->src_off * (int64_t)c->esz, c->sstr, c->rank, c->dims, c->esz, t);
}

/* out must hold, at dst_off + sum(i * dstr), the source element at src_off + sum(i * sstr)
 * for every index i of dims (rank 3), and zeros elsewhere. */
static int copy_wrong(const copy_arg *c, const vc_tensor *out)
{
    size_t e = c->esz;
    int64_t total = vc_numel(out);
    unsigned char *want = calloc((size_t)total, e);
    for (int64_t a = 0; a < c->dims[0]; a++)
        for (int64_t b = 0; b < c->dims[1]; b++)
            for (int64_t k = 0; k < c->dims[2]; k++) {
                int64_t d = c->dst_off + a * c->dstr[0] + b * c->dstr[1] + k * c->dstr[2];
                int64_t s = c->src_off + a * c->sstr[0] + b * c->sstr[1] + k * c->sstr[2];
                memcpy(want + d * (int64_t)e, c->src + s * (int64_t)e, e);
            }
    int bad = 0;
    for (int64_t i = 0; i < total; i++)
        bad += memcmp(want + i * (int64_t)e, (const char *)out->data + i * (int64_t)e, e) != 0;
    free(want);
    return bad;
}

static void check_copy(const char *what, size_t esz, const int64_t *dims, const int64_t *sstr,
                       int64_t src_off, int64_t src_n, const int64_t *out_dims, int64_t dst_off)
{
    int64_t dstr[3];
    vc_sh_strides(3, out_dims, dstr);
    char *src = malloc((size_t)src_n * esz);
    for (size_t i = 0; i < (size_t)src_n * esz; i++) src[i] = (char)(rnd() * 127);
    vc_tensor out = make(esz == 8 ? VOCE_DTYPE_I64 : VOCE_DTYPE_F32, 3, out_dims);
    copy_arg c = {dstr, sstr, dims, src, dst_off, src_off, 3, esz};
    same_on_pools(run_copy, &c, &out, what);
    int bad = copy_wrong(&c, &out);
    CHECK_MSG(bad == 0, "%s: %d elements wrong", what, bad);
    free(src), free(out.data);
}

static void test_copies(void)
{
    /* transpose: out [301, 3, 517] from x [3, 517, 301] */
    int64_t tdims[3] = {301, 3, 517}, tstr[3] = {1, 517 * 301, 301};
    check_copy("transpose", 4, tdims, tstr, 0, 3 * 517 * 301, tdims, 0);
    /* x [40, 50, 300] (8-byte) read backwards along the last dim with step 2 */
    int64_t rdims[3] = {40, 50, 150}, rstr[3] = {50 * 300, 300, -2};
    check_copy("reversed step", 8, rdims, rstr, 299, 40 * 50 * 300, rdims, 0);
    /* one row [1, 1, 1001] repeated into [70, 3, 1001] */
    int64_t bdims[3] = {70, 3, 1001}, bstr[3] = {0, 0, 1};
    check_copy("broadcast", 4, bdims, bstr, 0, 1001, bdims, 0);
    /* x [5, 300, 200] into the middle of out [5, 310, 220] (Pad's copy) */
    int64_t pdims[3] = {5, 300, 200}, pstr[3] = {300 * 200, 200, 1}, pout[3] = {5, 310, 220};
    check_copy("pad block", 4, pdims, pstr, 0, 5 * 300 * 200, pout, 3 * 220 + 7);
}

int main(void)
{
    if (vc_threads_create(2, &pools[1]) || vc_threads_create(3, &pools[2])) {
        fprintf(stderr, "cannot start threads: %s\n", voce_last_error());
        return 1;
    }
    vt_run("binary", test_binary);
    vt_run("scalar", test_scalar);
    vt_run("f16", test_f16);
    vt_run("unary", test_unary);
    vt_run("where and expand", test_where_expand);
    vt_run("accumulate", test_acc);
    vt_run("copies", test_copies);
    vc_threads_destroy(pools[1]);
    vc_threads_destroy(pools[2]);
    return vt_finish();
}
