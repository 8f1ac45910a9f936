/* Weight-only voce:QLinear on many rows through the f32 GEMM (qgemm.h: vc_qgemm_panels).
 *
 * The per-k kernels of qgemm_x86.c / qgemm_neon.c widen, convert and scale 16 codes for
 * every k of every tile of rows, which bounds them near 30 GF/s on an encoder's 250 to
 * 1500 rows. Here each K block x N block of weights (the f32 GEMM's kc x nc, 1.5 MiB
 * with AVX-512) is dequantized once, Wd = f32(q * s) as qlinear.h defines it, into the
 * panels that vc_gemm_pack_b would have written for the same f32 weights, and
 * vc_gemm_f32_prepacked runs its micro-kernel over all rows against that block: the f32
 * GEMM's speed, plus one conversion per weight per call instead of one per weight per
 * tile of rows. The blocks go in the order the f32 GEMM takes them; the first K block
 * starts from the bias, later ones add to what the earlier ones left in Y.
 *
 * Threads: the dequantization is shared out by panels, the product by the f32 GEMM's own
 * split; neither changes how an element is computed, so results are the same bits for
 * any thread count. */
#include <stdint.h>
#include <string.h>

#include "../ref/gemm.h"
#include "qgemm.h"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

/* The f32 kernel of a weight-only path and its block sizes: K in blocks of kcb (K split
 * evenly into blocks of at most the kernel's kc, as the f32 GEMM splits it, rounded up to
 * whole groups), N in blocks of the kernel's nc, held in ncb columns rounded up to whole
 * panels. */
typedef struct {
    vc_isa isa;
    vc_gemm_kernel k;
    int64_t kcb, ncb;
} panel_plan;

static vc_isa path_isa(vc_qpath p)
{
    switch (p) {
    case VC_QPATH_AVX512: return VC_ISA_AVX512;
    case VC_QPATH_AVX2: return VC_ISA_AVX2;
    case VC_QPATH_NEON: return VC_ISA_NEON;
    default: return VC_ISA_C;
    }
}

static int plan_for(vc_qpath p, const vc_qweights *q, panel_plan *pl)
{
    if (vc_qmode_dynamic(q->mode) || !vc_qpath_supported(p, 0)) return 0;
    pl->isa = path_isa(p);
    if (pl->isa == VC_ISA_C) return 0;
    pl->k = vc_gemm_kernel_for(pl->isa);
    if (!pl->k.fn) return 0;
    /* whole groups per K block: the kernels' kc (384 x86, 256 NEON) are multiples of 128 */
    int64_t nkb = (q->K + pl->k.kc - 1) / pl->k.kc;
    pl->kcb = round_up((q->K + nkb - 1) / nkb, q->G);
    if (pl->kcb > pl->k.kc) return 0;
    pl->ncb = round_up(min64(q->N, pl->k.nc), pl->k.nr);
    return 1;
}

size_t vc_qgemm_panel_bytes(vc_qpath p, const vc_qweights *q)
{
    panel_plan pl;
    return plan_for(p, q, &pl) ? sizeof(float) * (size_t)(pl.kcb * pl.ncb) + 64 : 0;
}

/* ---- dequantization into panels ---- */

typedef struct {
    const vc_qweights *q;
    vc_isa isa;
    int nr;
    int64_t jc, nc, pc, kc; /* the block: columns [jc, jc + nc), k in [pc, pc + kc) */
    int64_t per_task;       /* panels per task */
    float *dst;
} deq_job;

/* The portable form of the arch files' *_qdeq16 (qgemm.h). */
static void deq16_c(int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld)
{
    for (int64_t r = 0; r < rows; r++, d += ld) {
        if (!w4) {
            for (int c = 0; c < VC_QBLOCK; c++) d[c] = (float)(int8_t)w[r * VC_QBLOCK + c] * s[c];
            continue;
        }
        const uint8_t *b = w + r / 2 * VC_QBLOCK;
        int shift = (int)(r & 1) * 4;
        for (int c = 0; c < VC_QBLOCK; c++) d[c] = (float)((b[c] >> shift & 15) - 8) * s[c];
    }
}

static void deq16(vc_isa isa, int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld)
{
#if VC_CPU_X86
    if (vc_x86_qdeq16(isa, w4, w, s, rows, d, ld)) return;
#elif VC_CPU_NEON
    if (vc_neon_qdeq16(isa, w4, w, s, rows, d, ld)) return;
#endif
    (void)isa;
    deq16_c(w4, w, s, rows, d, ld);
}

/* Columns [n0, n1) of panel p (first column pn0), which lie in quant block b, for the
 * block's k: group by group, straight into the panel when the run is the whole quant
 * block, else through a copy (a panel narrower than 16, or straddling two blocks). */
static void deq_run(const deq_job *j, int64_t b, int64_t n0, int64_t n1, int64_t pn0, float *p)
{
    const vc_qweights *q = j->q;
    int64_t K = q->K, G = q->G, ng = K / G, c0 = n0 - b * VC_QBLOCK;
    int w4 = q->mode == VC_Q_W4, whole = n1 - n0 == VC_QBLOCK;
    float tmp[128 * VC_QBLOCK];
    for (int64_t k = j->pc; k < j->pc + j->kc; k += G) {
        const uint8_t *w = q->w + (w4 ? (b * (K / 2) + k / 2) : (b * K + k)) * VC_QBLOCK;
        const float *s = q->scales + (b * ng + k / G) * VC_QBLOCK;
        float *d = p + (k - j->pc) * j->nr + (n0 - pn0);
        if (whole) {
            deq16(j->isa, w4, w, s, G, d, j->nr);
            continue;
        }
        deq16(j->isa, w4, w, s, G, tmp, VC_QBLOCK);
        for (int64_t r = 0; r < G; r++) memcpy(d + r * j->nr, tmp + r * VC_QBLOCK + c0, sizeof(float) * (size_t)(n1 - n0));
    }
}

/* Panel s of the block: nr columns from jc + s * nr; those past N16 zero (the packed
 * weights hold zeros from N to N16). */
static void deq_panel(const deq_job *j, int64_t s)
{
    float *p = j->dst + s * j->nr * j->kc;
    int64_t N16 = (j->q->N + VC_QBLOCK - 1) / VC_QBLOCK * VC_QBLOCK;
    int64_t pn0 = j->jc + s * j->nr, pn1 = min64(pn0 + j->nr, N16);
    for (int64_t n = pn0; n < pn1;) {
        int64_t b = n / VC_QBLOCK, e = min64((b + 1) * VC_QBLOCK, pn1);
        deq_run(j, b, n, e, pn0, p);
        n = e;
    }
    int valid = (int)(pn1 - pn0);
    if (valid < j->nr)
        for (int64_t k = 0; k < j->kc; k++) memset(p + k * j->nr + valid, 0, sizeof(float) * (size_t)(j->nr - valid));
}

static void deq_task(void *arg, int64_t t, int worker)
{
    const deq_job *j = arg;
    int64_t panels = (j->nc + j->nr - 1) / j->nr, s1 = min64((t + 1) * j->per_task, panels);
    (void)worker;
    for (int64_t s = t * j->per_task; s < s1; s++) deq_panel(j, s);
}

static void dequantize(vc_threads *pool, deq_job *j)
{
    int64_t panels = (j->nc + j->nr - 1) / j->nr;
    int64_t tasks = vc_threads_tasks(pool, panels, j->kc * j->nc, (int64_t)1 << 15);
    j->per_task = (panels + tasks - 1) / tasks;
    vc_threads_run(pool, (panels + j->per_task - 1) / j->per_task, deq_task, j);
}

/* ---- the product ---- */

int vc_qgemm_panels(vc_threads *pool, vc_qpath p, const vc_qweights *q, int64_t M, const float *X, float *Y,
                    void *scratch)
{
    panel_plan pl;
    if (!plan_for(p, q, &pl) || !scratch) return -1;
    if (M <= 0) return 0;
    float *dst = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    int64_t N = q->N, K = q->K;
    for (int64_t jc = 0; jc < N; jc += pl.k.nc) {
        int64_t nc = min64(pl.k.nc, N - jc);
        for (int64_t pc = 0; pc < K; pc += pl.kcb) {
            deq_job j = {q, pl.isa, pl.k.nr, jc, nc, pc, min64(pl.kcb, K - pc), 0, dst};
            dequantize(pool, &j);
            /* the first K block starts from the bias (or from nothing), the others add */
            vc_gemm_epilogue epi = {NULL, NULL, pc == 0 && q->bias ? q->bias + jc : NULL};
            if (vc_gemm_f32_prepacked(pl.isa, pool, M, nc, j.kc, 1.0f, X + pc, K, dst, pc == 0 ? 0.0f : 1.0f,
                                      Y + jc, N, &epi))
                return -1;
        }
    }
    return 0;
}
