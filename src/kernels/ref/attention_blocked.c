/* voce:Attention's blocked path (see attention_blocked.h).
 *
 * attention.c's row path runs every block of query rows through vc_gemm_f32 twice, and
 * the GEMM packs its operands on every call: each head's keys were transposed again for
 * every 32 query rows, the probabilities packed, the values copied, and each row of 1500
 * scores went through memory four times. Here a task takes one head (or a part of its
 * query rows, when threads need more tasks than heads) and packs that head's keys and
 * values once, as the micro-kernel's slivers; then each block of w query rows (w: the
 * kernel's tile width nr) runs over the keys a chunk at a time, everything transposed
 * so that no operand needs packing per block:
 *
 *   E  (chunk keys x w)  = scale * Kc . Q^T      keys as the sliver rows, Q^T one panel
 *   running softmax down E's columns (one per query row): column maxima and sums carried
 *   from chunk to chunk, E = exp(E - max), earlier work rescaled when the maximum grows
 *   O^T (Dv x w)        += V^T . E               values as slivers, E read as the panel
 *
 * and at the end each query row's output is its column of O^T over its sum. A chunk
 * (16 slivers: 192 keys on AVX-512) keeps E in L1; nothing of size Nq x Nk exists.
 *
 * Exactness: the products round as the GEMM's packed path (fused multiply-adds, K in
 * one block per call); the sums of exponentials are f64 as in the Softmax op; the
 * exponentials are fastmath.h's exp_fast (a few ulp). Normalising the output instead of
 * the probabilities, and the running maximum, change rounding only. Each block of query
 * rows is computed the same way whichever task runs it, so results do not depend on the
 * number of threads. */
#include "attention_blocked.h"

#include <math.h>
#include <string.h>

#include "fastmath.h"

enum {
    MIN_ROWS = 16,      /* fewer query rows (decoder steps, short prompts): the row path */
    CHUNK_SLIVERS = 16, /* keys per chunk, in slivers of the kernel's mr */
    MAX_W = 32          /* widest tile (AVX-512's nr) */
};

static int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* e^x for x <= 0, the only arguments here (scores minus their running maximum, old
 * maximum minus new): x = n ln 2 + r with |r| <= 0.35, the degree-7 Taylor polynomial of
 * e^r (truncation below 6e-9 relative) by fused multiply-adds, times 2^n made in the
 * exponent bits; 0 below -87 (e^-87 is 1.6e-38), so masked scores (-inf) weigh exactly
 * nothing. About 2 ulp. Shorter than fastmath.h's exp_fast, which also guards x > 0. */
VC_FM_INLINE float exp_nonpos(float x)
{
    float t = fmaf(x, 1.44269504f, 12582912.0f); /* 1.5 * 2^23: n lands in the low bits */
    float n = t - 12582912.0f;
    float r = fmaf(n, -0.693359375f, x);
    r = fmaf(n, 2.12194440e-4f, r);
    float p = 1.0f / 5040.0f;
    p = fmaf(p, r, 1.0f / 720.0f);
    p = fmaf(p, r, 1.0f / 120.0f);
    p = fmaf(p, r, 1.0f / 24.0f);
    p = fmaf(p, r, 1.0f / 6.0f);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    float y = p * u2f((f2u(t) - 0x4B400000u + 127u) << 23);
    /* kept where x >= -87 or NaN, as bits (x <= 0: a larger pattern is a smaller x); a
     * mask, not a float ?:, so that gcc if-converts it and the loop vectorizes */
    uint32_t u = f2u(x), keep = 0u - ((uint32_t)(u <= 0xC2AE0000u) | (uint32_t)(u > 0xFF800000u));
    return u2f(f2u(y) & keep);
}

/* One chunk of scores down w columns, rows x w at e (row stride w): the columns' running
 * maxima m and sums s advance over it, e becomes exp(e - m), and f[j] is exp(old m[j] -
 * new m[j]), the factor by which the sums and outputs of earlier chunks are rescaled
 * (0 on the first chunk, where m was -inf); the sums s and the ot_rows rows of O^T so far
 * are rescaled by it. A chunk's exponentials are summed in f32 (at most a few hundred
 * terms), the chunks' sums in f64. Plain loops over the w contiguous columns, which the
 * compiler vectorizes. */
VC_FM_INLINE void cols_body(float *restrict e, int64_t rows, int64_t w, float *restrict m,
                            double *restrict s, float *restrict f, float *restrict ot,
                            int64_t ot_rows)
{
    float acc[MAX_W] = {0};
    for (int64_t j = 0; j < w; j++) f[j] = m[j];
    for (int64_t r = 0; r < rows; r++) {
        const float *er = e + r * w;
        for (int64_t j = 0; j < w; j++) f[j] = er[j] > f[j] ? er[j] : f[j];
    }
    for (int64_t j = 0; j < w; j++) {
        float mx = f[j];
        f[j] = exp_nonpos(m[j] - mx);
        m[j] = mx;
    }
    for (int64_t r = 0; r < rows; r++) {
        float *er = e + r * w;
        for (int64_t j = 0; j < w; j++) {
            float x = exp_nonpos(er[j] - m[j]);
            er[j] = x;
            acc[j] += x;
        }
    }
    for (int64_t j = 0; j < w; j++) s[j] = s[j] * f[j] + acc[j];
    for (int64_t d = 0; d < ot_rows; d++)
        for (int64_t j = 0; j < w; j++) ot[d * w + j] *= f[j];
}

/* Worker scratch views. */
typedef struct blk_buf {
    float *kp, *vp, *qt, *e, *ot, *m, *f;
    double *s;
} blk_buf;

/* Each ISA's copy with its tile width as a constant (32 AVX-512, 16 AVX2, 12 NEON), so
 * that gcc's -O2 vectorizer (which leaves loops of unknown length scalar) takes the
 * column loops; any other width runs the same code on a variable one. ot_rows: rows of
 * O^T to rescale (0 on a block's first chunk). */
static void cols_base(const blk_buf *t, int64_t rows, int64_t w, int64_t ot_rows)
{
    if (w == 12)
        cols_body(t->e, rows, 12, t->m, t->s, t->f, t->ot, ot_rows);
    else
        cols_body(t->e, rows, w, t->m, t->s, t->f, t->ot, ot_rows);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static void cols_avx2(const blk_buf *t, int64_t rows,
                                                          int64_t w, int64_t ot_rows)
{
    if (w == 16)
        cols_body(t->e, rows, 16, t->m, t->s, t->f, t->ot, ot_rows);
    else
        cols_body(t->e, rows, w, t->m, t->s, t->f, t->ot, ot_rows);
}

__attribute__((target("avx512f,fma"))) static void cols_avx512(const blk_buf *t, int64_t rows,
                                                           int64_t w, int64_t ot_rows)
{
    if (w == 32)
        cols_body(t->e, rows, 32, t->m, t->s, t->f, t->ot, ot_rows);
    else
        cols_body(t->e, rows, w, t->m, t->s, t->f, t->ot, ot_rows);
}
#endif

static void cols(vc_isa isa, const blk_buf *t, int64_t rows, int64_t w, int64_t ot_rows)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (isa == VC_ISA_AVX512) {
        cols_avx512(t, rows, w, ot_rows);
        return;
    }
    if (isa == VC_ISA_AVX2) {
        cols_avx2(t, rows, w, ot_rows);
        return;
    }
#endif
    (void)isa;
    cols_base(t, rows, w, ot_rows);
}

int vc_attn_blocked_plan(vc_attn_blk *b, vc_isa isa, const vc_attn_shape *g)
{
    vc_gemm_kernel k = vc_gemm_kernel_for(isa);
    if (!k.fn || !k.pack_rows || k.nr > MAX_W || g->Nq < MIN_ROWS || g->Nk < 1 || g->Dk < 1 ||
        g->Dv < 1)
        return 0;
    int64_t mr = k.mr, w = k.nr, dvp = round_up(g->Dv, mr);
    b->g = *g;
    b->k = k;
    b->isa = isa;
    b->w = w;
    /* per worker, each part 64-byte aligned: the head's keys as slivers [Nk/mr][Dk][mr],
     * its values as slivers [Dv/mr][Nk][mr], the block's Q^T [Dk][w], a chunk of scores
     * [chunk][w], O^T [Dv rounded up to mr][w], then the columns' maxima, factors and f64
     * sums */
    b->kp = 0;
    b->vp = b->kp + round_up(round_up(g->Nk, mr) * g->Dk, 16);
    b->qt = b->vp + round_up(dvp * g->Nk, 16);
    b->e = b->qt + round_up(g->Dk * w, 16);
    b->ot = b->e + round_up(CHUNK_SLIVERS * mr * w, 16);
    b->floats = b->ot + round_up(dvp * w, 16) + 4 * round_up(w, 16);
    return 1;
}

int64_t vc_attn_blocked_floats(const vc_attn_blk *b) { return b->floats; }

/* Keys that query row i sees. */
static int64_t keys_seen(const vc_attn_shape *g, int64_t i)
{
    if (!g->causal) return g->Nk;
    return min64(g->offset + i + 1, g->Nk);
}

typedef struct blk_job {
    const vc_attn_blk *b;
    const vc_attn_io *io;
    float *scratch;
    int64_t splits, blocks; /* tasks per head; blocks of w query rows per head */
} blk_job;

/* Keys 0..L-1 of one head into slivers: keys transposed (kp[key sliver][d][mr]), values
 * as they are, mr of their columns per sliver (vp[column sliver][key][mr]), zero-padded. */
static void pack_head(const vc_attn_blk *b, const float *k, const float *v, int64_t L,
                      const blk_buf *t)
{
    const vc_attn_shape *g = &b->g;
    int mr = b->k.mr;
    int64_t Dq = g->H * g->Dk, Do = g->H * g->Dv;
    for (int64_t s = 0; s < L; s += mr)
        b->k.pack_rows(g->Dk, (int)min64(mr, L - s), mr, k + s * Dq, Dq, t->kp + s * g->Dk);
    for (int64_t d0 = 0; d0 < g->Dv; d0 += mr) {
        int64_t dn = min64(mr, g->Dv - d0);
        float *dst = t->vp + d0 * g->Nk;
        for (int64_t key = 0; key < L; key++) {
            memcpy(dst + key * mr, v + key * Do + d0, sizeof(float) * (size_t)dn);
            for (int64_t i = dn; i < mr; i++) dst[key * mr + i] = 0.0f;
        }
    }
}

/* Causal: -inf where key c0 + r is past what query row i0 + j sees. */
static void mask_chunk(const vc_attn_shape *g, int64_t i0, int64_t c0, int64_t rows, int64_t w,
                       float *e)
{
    if (!g->causal || c0 + rows - 1 <= g->offset + i0) return;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < w; j++)
            if (c0 + r > g->offset + i0 + j) e[r * w + j] = -INFINITY;
}

/* Query rows i0 .. i0 + n - 1 (n <= w) of one head: q at row i0, out at row i0. */
static void run_block(const vc_attn_blk *b, const float *q, int64_t i0, int64_t n, float *out,
                      const blk_buf *t)
{
    const vc_attn_shape *g = &b->g;
    const vc_gemm_kernel *k = &b->k;
    int64_t mr = k->mr, w = b->w, ch = CHUNK_SLIVERS * mr, dvp = round_up(g->Dv, mr);
    int64_t Dq = g->H * g->Dk, Do = g->H * g->Dv, L = keys_seen(g, i0 + n - 1);
    k->pack_rows(g->Dk, (int)n, (int)w, q, Dq, t->qt); /* rows past n are zeros */
    for (int64_t j = 0; j < w; j++) {
        t->m[j] = -INFINITY;
        t->s[j] = 0.0;
    }
    for (int64_t c0 = 0; c0 < L; c0 += ch) {
        int64_t rows = min64(ch, L - c0);
        for (int64_t r = 0; r < rows; r += mr)
            k->fn(g->Dk, t->kp + (c0 + r) * g->Dk, t->qt, w, g->scale, 0.0f, t->e + r * w, w, 1,
                  (int)min64(mr, rows - r), (int)w);
        mask_chunk(g, i0, c0, rows, w, t->e);
        cols(b->isa, t, rows, w, c0 > 0 ? dvp : 0);
        for (int64_t d0 = 0; d0 < dvp; d0 += mr)
            k->fn(rows, t->vp + d0 * g->Nk + c0 * mr, t->e, w, 1.0f, c0 > 0 ? 1.0f : 0.0f,
                  t->ot + d0 * w, w, 1, (int)mr, (int)w);
    }
    for (int64_t j = 0; j < n; j++) {
        float inv = (float)(1.0 / t->s[j]);
        for (int64_t d = 0; d < g->Dv; d++) out[j * Do + d] = t->ot[d * w + j] * inv;
    }
}

static void blk_task(void *arg, int64_t task, int worker)
{
    const blk_job *j = arg;
    const vc_attn_blk *b = j->b;
    const vc_attn_shape *g = &b->g;
    int64_t bh = task / j->splits, part = task % j->splits;
    int64_t bi = bh / g->H, h = bh % g->H, w = b->w;
    int64_t blk0 = part * j->blocks / j->splits, blk1 = (part + 1) * j->blocks / j->splits;
    if (blk0 >= blk1) return;
    float *base = j->scratch + worker * b->floats;
    blk_buf t = {base + b->kp, base + b->vp, base + b->qt, base + b->e, base + b->ot, NULL, NULL,
                 NULL};
    t.m = base + b->floats - 4 * round_up(w, 16);
    t.f = t.m + round_up(w, 16);
    t.s = (double *)(void *)(t.f + round_up(w, 16));
    int64_t Dq = g->H * g->Dk, Do = g->H * g->Dv;
    int64_t last = min64(blk1 * w, g->Nq) - 1;
    pack_head(b, j->io->k + bi * g->kb * g->Nk * Dq + h * g->Dk,
              j->io->v + bi * g->kb * g->Nk * Do + h * g->Dv, keys_seen(g, last), &t);
    for (int64_t blk = blk0; blk < blk1; blk++) {
        int64_t i0 = blk * w, n = min64(w, g->Nq - i0);
        run_block(b, j->io->q + (bi * g->Nq + i0) * Dq + h * g->Dk, i0, n,
                  j->io->out + (bi * g->Nq + i0) * Do + h * g->Dv, &t);
    }
}

void vc_attn_blocked_run(const vc_attn_blk *b, const vc_attn_io *io, vc_threads *t,
                         float *scratch)
{
    const vc_attn_shape *g = &b->g;
    int nt = vc_threads_count(t);
    blk_job j = {b, io, scratch, 1, (g->Nq + b->w - 1) / b->w};
    int64_t heads = g->B * g->H;
    /* a head per task, unless that leaves threads idle: then parts of heads (each packs
     * its head's keys again, a small cost next to its blocks) */
    if (nt > 1 && heads < 2 * nt) j.splits = min64(j.blocks, (2 * nt + heads - 1) / heads);
    vc_threads_run(nt > 1 ? t : NULL, heads * j.splits, blk_task, &j);
}
