/* voce:Attention (scaled dot-product attention over heads laid side by side) and
 * voce:CacheWrite (rows written into a key/value cache, in place where the executor
 * allows). The exact semantics are in docs/format.md, "Op voce:Attention".
 *
 * Attention computes, per batch b, head h and query row i,
 *   out[b, i, h] = sum_j p_ij v[b, j, h],   p_i = softmax_j(scale * q[b, i, h] . k[b, j, h])
 * over the keys row i may see: all Nk keys, or with causal = 1 the keys j <= offset + i
 * (offset: the position of query row 0, so a decoder step attends to the cache it has
 * filled and no further). Heads are contiguous slices of the last axis, so the
 * projections feed it without transposes.
 *
 * k and v may have batch 1 while q has B: every batch entry then attends to the same
 * keys (beams decoding one window share its cross-attention keys).
 *
 * Two paths. With many query rows (an encoder, a prompt), no probs output and an ISA
 * with a packed GEMM kernel, attention_blocked.c: each head's keys and values packed
 * once, keys in chunks with a running softmax, nothing of size Nq x Nk written (see its
 * header). Otherwise (decoder steps, the probs output, plain C) the row path below: each
 * (b, h, block of query rows) is one task; scores go to the probs output when the graph
 * asks for it, else to the worker's own rows of scratch (ROW_BLOCK x Nk floats: 192 KB
 * for 1500 keys, where all of [B, H, Nq, Nk] would be 54 MB for Whisper tiny's encoder).
 * Products run through vc_gemm_f32 on one thread per task, the softmax through the
 * Softmax op's row code, so results equal the unfused graph to GEMM rounding. Both paths
 * give bit-identical results for any thread count. */
#include <math.h>
#include <string.h>

#include "attention_blocked.h"
#include "gemm.h"
#include "reduce_impl.h"

enum { ROW_BLOCK = 32 };    /* query rows per task */

/* kb: 1 when k and v have q's batch, 0 when their batch of 1 is shared by every batch
 * entry (cross-attention of beams) */
typedef vc_attn_shape attn_geom;

static voce_status check_f32_rank3(const vc_node *n, vc_tensor *const *in, int k)
{
    if (!in[k]) return vc_node_error(n, VOCE_ERR_SHAPE, "input %d is required", k);
    if (in[k]->dtype != VOCE_DTYPE_F32) return vc_err_dtype(n, k, in[k]->dtype);
    if (in[k]->rank != 3)
        return vc_node_error(n, VOCE_ERR_SHAPE, "input %d must be [batch, rows, heads x width], "
                             "got rank %d", k, in[k]->rank);
    return VOCE_OK;
}

/* An integer scalar position (offset). Unknown at compile time: 0 is assumed, the value
 * is checked at run time when infer runs again with data. */
static voce_status read_offset(const vc_node *n, vc_tensor *const *in, int k, int64_t *off)
{
    *off = 0;
    if (n->n_in <= k || !in[k]) return VOCE_OK;
    const vc_tensor *t = in[k];
    if (t->dtype != VOCE_DTYPE_I64 && t->dtype != VOCE_DTYPE_I32) return vc_err_dtype(n, k, t->dtype);
    if (t->rank >= 0 && vc_numel(t) != 1)
        return vc_node_error(n, VOCE_ERR_SHAPE, "offset must have one element");
    if (!t->data) return VOCE_OK;
    *off = vc_get_int(t, 0);
    if (*off < 0) return vc_node_error(n, VOCE_ERR_INVALID_ARG, "offset %lld is negative", (long long)*off);
    return VOCE_OK;
}

static voce_status attn_geometry(const vc_node *n, vc_tensor *const *in, attn_geom *g)
{
    voce_status st = VOCE_OK;
    if (n->n_in < 3 || n->n_out < 1 || n->n_out > 2)
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs q, k, v (and an optional offset) and 1 or 2 outputs");
    for (int k = 0; k < 3 && !st; k++) st = check_f32_rank3(n, in, k);
    if (!st) st = read_offset(n, in, 3, &g->offset);
    if (st) return st;
    const vc_tensor *q = in[0], *k = in[1], *v = in[2];
    g->H = vc_attr_int(n, "num_heads", 0);
    g->causal = (int)vc_attr_int(n, "causal", 0);
    g->B = q->dims[0];
    g->Nq = q->dims[1];
    g->Nk = k->dims[1];
    if (g->H < 1 || q->dims[2] % g->H || v->dims[2] % g->H)
        return vc_node_error(n, VOCE_ERR_SHAPE, "num_heads %lld must be >= 1 and divide the widths "
                             "of q (%lld) and v (%lld)", (long long)g->H, (long long)q->dims[2],
                             (long long)v->dims[2]);
    g->kb = k->dims[0] == g->B ? 1 : 0;
    if ((k->dims[0] != g->B && k->dims[0] != 1) || v->dims[0] != k->dims[0] || v->dims[1] != g->Nk ||
        k->dims[2] != q->dims[2])
        return vc_node_error(n, VOCE_ERR_SHAPE, "k must be [%lld or 1, Nk, %lld] and v [the same, Nk, "
                             "heads x width]", (long long)g->B, (long long)q->dims[2]);
    if (g->causal != 0 && g->causal != 1)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "causal must be 0 or 1");
    g->Dk = q->dims[2] / g->H;
    g->Dv = v->dims[2] / g->H;
    g->scale = vc_attr_float(n, "scale", 0.0f);
    if (g->scale == 0.0f) g->scale = (float)(1.0 / sqrt((double)(g->Dk ? g->Dk : 1)));
    return VOCE_OK;
}

static voce_status attn_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    attn_geom g;
    voce_status st = attn_geometry(n, in, &g);
    if (st) return st;
    out[0].dtype = VOCE_DTYPE_F32;
    out[0].rank = 3;
    out[0].dims[0] = g.B;
    out[0].dims[1] = g.Nq;
    out[0].dims[2] = g.H * g.Dv;
    if (n->n_out == 2) {
        out[1].dtype = VOCE_DTYPE_F32;
        out[1].rank = 4;
        out[1].dims[0] = g.B;
        out[1].dims[1] = g.H;
        out[1].dims[2] = g.Nq;
        out[1].dims[3] = g.Nk;
    }
    return VOCE_OK;
}

/* One worker's block of scores (VC_OP_SCRATCH_PER_WORKER), in floats. */
static int64_t block_floats(int64_t Nk)
{
    return (ROW_BLOCK * Nk + 15) & ~(int64_t)15;
}

/* The blocked path (attention_blocked.h) serves g when the graph does not ask for the
 * probabilities and the active ISA has a packed GEMM kernel; blk is then its plan. */
static int blocked_plan(const vc_node *n, const attn_geom *g, vc_attn_blk *blk)
{
    return n->n_out == 1 && vc_attn_blocked_plan(blk, vc_isa_active(), g);
}

static size_t attn_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    (void)out;
    attn_geom g;
    vc_attn_blk blk;
    if (n->n_out == 2 || attn_geometry(n, in, &g)) return 0;
    if (blocked_plan(n, &g, &blk)) return (size_t)vc_attn_blocked_floats(&blk) * sizeof(float);
    return (size_t)block_floats(in[1]->dims[1]) * sizeof(float);
}

typedef struct attn_job {
    attn_geom g;
    const float *q, *k, *v;
    float *out;
    float *probs;           /* [B, H, Nq, Nk] when the graph asks for them, else NULL */
    float *scratch;         /* else: block_floats(Nk) per worker */
    int64_t blocks;         /* row blocks per (b, h) */
} attn_job;

/* Keys that query row i sees. */
static int64_t keys_seen(const attn_geom *g, int64_t i)
{
    if (!g->causal) return g->Nk;
    int64_t L = g->offset + i + 1;
    return L < g->Nk ? L : g->Nk;
}

static void attn_task(void *arg, int64_t task, int worker)
{
    const attn_job *j = arg;
    const attn_geom *g = &j->g;
    int64_t bh = task / j->blocks, i0 = task % j->blocks * ROW_BLOCK;
    int64_t b = bh / g->H, h = bh % g->H;
    int64_t rows = g->Nq - i0 < ROW_BLOCK ? g->Nq - i0 : ROW_BLOCK;
    int64_t Dq = g->H * g->Dk, Do = g->H * g->Dv;
    const float *q = j->q + (b * g->Nq + i0) * Dq + h * g->Dk;
    const float *k = j->k + b * g->kb * g->Nk * Dq + h * g->Dk;
    const float *v = j->v + b * g->kb * g->Nk * Do + h * g->Dv;
    float *s = j->probs ? j->probs + (bh * g->Nq + i0) * g->Nk
                        : j->scratch + worker * block_floats(g->Nk);
    float *o = j->out + (b * g->Nq + i0) * Do + h * g->Dv;
    int64_t L = keys_seen(g, i0 + rows - 1); /* the widest row of the block */
    vc_gemm_f32(NULL, 0, 1, rows, L, g->Dk, g->scale, q, Dq, k, Dq, 0.0f, s, g->Nk);
    for (int64_t r = 0; r < rows; r++) {
        float *sr = s + r * g->Nk;
        int64_t Lr = keys_seen(g, i0 + r);
        if (Lr > 0) vc_softmax_row_f32(sr, sr, Lr);
        memset(sr + Lr, 0, sizeof(float) * (size_t)(g->Nk - Lr));
    }
    /* masked probabilities are exact zeros, so one product over L keys serves every row */
    vc_gemm_f32(NULL, 0, 0, rows, g->Dv, L, 1.0f, s, g->Nk, v, Do, 0.0f, o, Do);
}

static voce_status attn_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    attn_job j;
    voce_status st = attn_geometry(n, in, &j.g);
    if (st) return st;
    j.q = in[0]->data;
    j.k = in[1]->data;
    j.v = in[2]->data;
    j.out = out[0].data;
    j.probs = n->n_out == 2 ? out[1].data : NULL;
    j.scratch = ctx->scratch;
    j.blocks = (j.g.Nq + ROW_BLOCK - 1) / ROW_BLOCK;
    int64_t tasks = j.g.B * j.g.H * j.blocks;
    if (tasks == 0) return VOCE_OK;
    if (j.g.Nk == 0) { /* nothing to attend to: zeros, as an empty sum */
        memset(j.out, 0, vc_nbytes(&out[0]));
        return VOCE_OK;
    }
    int64_t macs = j.g.B * j.g.H * j.g.Nq * j.g.Nk * (j.g.Dk + j.g.Dv);
    int64_t n_split = vc_threads_tasks(ctx->threads, tasks, macs, VC_GEMM_MIN_TASK_MACS);
    vc_attn_blk blk;
    if (blocked_plan(n, &j.g, &blk)) {
        size_t need = sizeof(float) * (size_t)vc_attn_blocked_floats(&blk);
        size_t slots = ctx->scratch_size / need;
        if (slots < 1 || !ctx->scratch)
            return vc_node_error(n, VOCE_ERR_INTERNAL, "scratch of %zu bytes is too small",
                                 ctx->scratch_size);
        vc_attn_io io = {j.q, j.k, j.v, j.out};
        int many = n_split > 1 && slots >= (size_t)vc_threads_count(ctx->threads);
        vc_attn_blocked_run(&blk, &io, many ? ctx->threads : NULL, ctx->scratch);
        return VOCE_OK;
    }
    /* a caller that gave scratch for fewer workers than its pool has gets one thread */
    size_t slots = ctx->scratch_size / (sizeof(float) * (size_t)block_floats(j.g.Nk));
    if (!j.probs && slots < (size_t)vc_threads_count(ctx->threads)) n_split = 1;
    if (!j.probs && (slots < 1 || !j.scratch))
        return vc_node_error(n, VOCE_ERR_INTERNAL, "scratch of %zu bytes is too small",
                             ctx->scratch_size);
    vc_threads_run(n_split > 1 ? ctx->threads : NULL, tasks, attn_task, &j);
    return VOCE_OK;
}

/* ---- voce:CacheWrite(cache, new, offset): rows offset .. offset + n - 1 along axis 1 ---- */

static voce_status cache_geometry(const vc_node *n, vc_tensor *const *in, int64_t *offset)
{
    if (n->n_in != 3 || n->n_out != 1 || !in[0] || !in[1] || !in[2])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs cache, new rows and offset, and one output");
    const vc_tensor *c = in[0], *x = in[1];
    if (c->dtype != x->dtype) return vc_err_dtype(n, 1, x->dtype);
    if (c->rank < 2 || x->rank != c->rank)
        return vc_node_error(n, VOCE_ERR_SHAPE, "cache and new rows must have the same rank >= 2 "
                             "(got %d and %d)", c->rank, x->rank);
    for (int d = 0; d < c->rank; d++)
        if (d != 1 && c->dims[d] != x->dims[d])
            return vc_node_error(n, VOCE_ERR_SHAPE, "new rows differ from the cache in dimension %d "
                                 "(%lld vs %lld)", d, (long long)x->dims[d], (long long)c->dims[d]);
    voce_status st = read_offset(n, in, 2, offset);
    if (st) return st;
    if (in[2]->data && *offset > c->dims[1] - x->dims[1])
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "writing %lld rows at %lld overflows the cache "
                             "of %lld rows", (long long)x->dims[1], (long long)*offset,
                             (long long)c->dims[1]);
    return VOCE_OK;
}

static voce_status cache_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    int64_t offset;
    voce_status st = cache_geometry(n, in, &offset);
    if (!st) vc_same_shape(&out[0], in[0]);
    return st;
}

static voce_status cache_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    int64_t offset;
    voce_status st = cache_geometry(n, in, &offset);
    if (st) return st;
    const vc_tensor *c = in[0], *x = in[1];
    if (out[0].data != c->data) memcpy(out[0].data, c->data, vc_nbytes(c));
    size_t row = voce_dtype_size(c->dtype);
    for (int d = 2; d < c->rank; d++) row *= (size_t)c->dims[d];
    size_t chunk = row * (size_t)x->dims[1];
    for (int64_t b = 0; b < c->dims[0]; b++)
        memcpy((char *)out[0].data + ((size_t)(b * c->dims[1] + offset)) * row,
               (const char *)x->data + (size_t)b * chunk, chunk);
    return VOCE_OK;
}

const vc_op vc_ops_attention[] = {
    {"voce:Attention", attn_infer, attn_run, attn_scratch, VC_OP_SCRATCH_PER_WORKER},
    {"voce:CacheWrite", cache_infer, cache_run, NULL, VC_OP_INPLACE},
};
const int vc_ops_attention_count = (int)(sizeof vc_ops_attention / sizeof vc_ops_attention[0]);
