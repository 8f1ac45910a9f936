/* voce:Linear, written by the compiler for MatMul / Gemm with constant f32 weights
 * (src/compiler/linear.c):
 *
 *   Y[..., n] = sum over k of X[..., k] * W[n, k]  (+ bias[n])
 *
 * Inputs: X f32 [..., K] (rank >= 1), W f32 [N, K], bias f32 [N] (optional). Output f32
 * [..., N]. Attribute activation (STRING, optional): "relu", "gelu" (erf form) or "silu"
 * (x sigmoid(x)), applied to Y; the compiler folds a following activation node into it
 * (src/compiler/act.c). On the packed path it runs on each tile as the GEMM finishes it,
 * while the tile is in cache, so it costs no pass over Y. Y starts as the bias rows and
 * the GEMM adds the product (beta = 1); on the packed path each tile is filled with the
 * bias just before its product, so the bias costs no extra pass over Y either. Up to
 * VC_GEMM_DOT_ROWS rows (decode steps) read W as it is stored; a layer run repeatedly
 * with more rows uses a copy packed once per method instance, which replaces W's pages
 * of the program file (packed_weights below). */
#include <stdint.h>
#include <stdlib.h>

#include <string.h>

#include "elementwise_impl.h"
#include "gemm.h"
#include "ref_ops.h"

enum { ACT_NONE, ACT_RELU, ACT_GELU, ACT_SILU };

static int act_of(const vc_node *n)
{
    const char *a = vc_attr_string(n, "activation", "");
    return !*a ? ACT_NONE : !strcmp(a, "relu") ? ACT_RELU : !strcmp(a, "gelu") ? ACT_GELU
         : !strcmp(a, "silu") ? ACT_SILU : -1;
}

/* The activation over rows x cols of c, through the elementwise kernels (the Relu, Gelu
 * and Sigmoid ops' own code, so a fused layer rounds as the unfused graph does). Those
 * kernels read and write different arrays, hence the copy of each chunk. */
static void act_tile(const void *arg, float *c, int64_t rows, int64_t cols, int64_t ldc)
{
    enum { CHUNK = 256 };
    int act = *(const int *)arg;
    vc_ew_unary_plan p = {act == ACT_RELU ? VC_EW_RELU : act == ACT_GELU ? VC_EW_GELU : VC_EW_SIGMOID,
                          VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32, VOCE_DTYPE_F32, {0, 0, 0, 0}};
    float x[CHUNK], s[CHUNK];
    for (int64_t i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        for (int64_t j = 0; j < cols; j += CHUNK) {
            int64_t n = cols - j < CHUNK ? cols - j : CHUNK;
            memcpy(x, row + j, sizeof(float) * (size_t)n);
            vc_ew_unary_k(&p, n, x, act == ACT_SILU ? s : row + j);
            if (act == ACT_SILU)
                for (int64_t k = 0; k < n; k++) row[j + k] = x[k] * s[k];
        }
    }
}

static voce_status linear_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    const vc_tensor *x = in[0], *w = in[1], *b = n->n_in > 2 ? in[2] : NULL;
    for (int k = 0; k < n->n_in; k++)
        if (in[k] && in[k]->dtype != VOCE_DTYPE_F32) return vc_err_dtype(n, k, in[k]->dtype);
    if (w->rank != 2 || x->rank < 1 || x->dims[x->rank - 1] != w->dims[1])
        return vc_node_error(n, VOCE_ERR_SHAPE, "input's last dim does not match weights [N, K]");
    if (b && (b->rank != 1 || b->dims[0] != w->dims[0]))
        return vc_node_error(n, VOCE_ERR_SHAPE, "bias is not a vector of N = %lld",
                             (long long)w->dims[0]);
    if (act_of(n) < 0)
        return vc_node_error(n, VOCE_ERR_UNSUPPORTED, "activation '%s' is not relu, gelu or silu",
                             vc_attr_string(n, "activation", ""));
    vc_same_shape(&out[0], x);
    out[0].dims[x->rank - 1] = w->dims[0];
    return VOCE_OK;
}

/* The weights packed for the GEMM's packed path, kept in the node's slot. Packing [N, K]
 * weights into panels costs about as much as a 50-row product, so a layer run again and
 * again with many rows (an encoder, beams) packs them once, not per call; the copy then
 * replaces the weights' pages of the program file (vc_mapfile_release), so they are
 * resident once. One copy at a time is the rule, with a call of slack each way:
 *   - a layer packs on its second call in a row with more than VC_GEMM_DOT_ROWS rows;
 *     the first such call packs block by block as it goes (vc_gemm_f32, the same
 *     arithmetic), so a one-off (a decoder's prompt before single-token steps) leaves no
 *     copy behind;
 *   - a call with fewer rows reads W as stored (the dot path, its own rounding), except
 *     while the layer holds a copy: the first NARROW_KEEP such calls in a row use it (a
 *     beam search restarting on a window runs two or three before its beams, which must
 *     not free and repack 76 MiB each time); the next frees it, and W's pages come back
 *     from the file as the dot path reads them.
 * The slot holds this block: w NULL means "the last call had many rows, nothing packed
 * yet". Layers narrower than 8 outputs pack at once (vc_gemm_f32 would transpose the
 * product and round differently). */
enum { NARROW_KEEP = 8 };

typedef struct packed_w {
    vc_isa isa;
    int64_t N, K;
    float *w;   /* 64-byte aligned, inside this block; or NULL */
    int narrow; /* calls with few rows since the last with many */
} packed_w;

/* Pack W about 1 MiB of rows at a time (whole blocks of the kernel's nc rows, so the
 * layout is the one vc_gemm_pack_b gives for all of W), releasing each part's file pages
 * once it is packed: a large layer (Whisper's token projection, 51865 x 384: 76 MiB) is
 * then never resident twice, not even while it is packed. */
static void pack_releasing(vc_ctx *ctx, vc_isa isa, const float *W, int64_t N, int64_t K, float *dst)
{
    int64_t nc = vc_gemm_kernel_for(isa).nc;
    if (nc < 1) nc = N;
    int64_t per = ((int64_t)1 << 18) / (nc * K);
    int64_t step = nc * (per > 1 ? per : 1), from = 0;
    for (int64_t n0 = 0; n0 < N; n0 += step) {
        int64_t rows = N - n0 < step ? N - n0 : step;
        vc_gemm_pack_b(isa, 1, rows, K, W + n0 * K, K, dst + n0 * K);
        /* from the previous part's start: the page the two share is whole only now */
        vc_mapfile_release(ctx->file, W + from * K, sizeof(float) * (size_t)((n0 + rows - from) * K));
        from = n0;
    }
}

static void drop_packed(vc_ctx *ctx)
{
    if (!ctx->state) return;
    free(*ctx->state);
    *ctx->state = NULL;
}

static const float *packed_weights(vc_ctx *ctx, vc_isa isa, const float *W, int64_t N, int64_t K)
{
    if (!ctx->state) return NULL;
    packed_w *p = *ctx->state;
    int same = p && p->isa == isa && p->N == N && p->K == K;
    if (same && p->w) {
        p->narrow = 0;
        return p->w;
    }
    size_t bytes = vc_gemm_packed_b_bytes(isa, N, K);
    if (!bytes) return NULL;
    drop_packed(ctx);
    if (!same && N >= 8) { /* the first call with many rows: note it, pack nothing */
        if ((p = malloc(sizeof *p))) *p = (packed_w){isa, N, K, NULL, 0};
        *ctx->state = p;
        return NULL;
    }
    *ctx->state = p = malloc(sizeof *p + 64 + bytes);
    if (!p) return NULL;
    *p = (packed_w){isa, N, K, (float *)(((uintptr_t)(p + 1) + 63) & ~(uintptr_t)63), 0};
    pack_releasing(ctx, isa, W, N, K, p->w);
    return p->w;
}

/* For a call with few rows: the copy, for the first NARROW_KEEP such calls in a row;
 * else NULL, having freed it (the dot path reads W as stored). */
static const float *narrow_call(vc_ctx *ctx, vc_isa isa, int64_t N, int64_t K)
{
    packed_w *p = ctx->state ? *ctx->state : NULL;
    if (p && p->w && p->isa == isa && p->N == N && p->K == K && p->narrow++ < NARROW_KEEP) return p->w;
    drop_packed(ctx);
    return NULL;
}

static voce_status linear_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *x = in[0], *w = in[1], *b = n->n_in > 2 ? in[2] : NULL;
    int64_t N = w->dims[0], K = w->dims[1];
    if (vc_numel(&out[0]) == 0) return VOCE_OK;
    int64_t M = vc_numel(&out[0]) / N;
    float *y = out[0].data;
    float beta = b ? 1.0f : 0.0f;
    vc_isa isa = vc_isa_active();
    int act = act_of(n);
    const float *pw = NULL;
    if (M <= VC_GEMM_DOT_ROWS) pw = narrow_call(ctx, isa, N, K);
    else if (K > 0) pw = packed_weights(ctx, isa, w->data, N, K);
    /* the packed path puts the bias into each tile as it starts it */
    vc_gemm_epilogue epi = {act ? act_tile : NULL, &act, b ? b->data : NULL};
    if (pw && vc_gemm_f32_prepacked(isa, ctx->threads, M, N, K, 1.0f, x->data, K, pw, beta, y, N,
                                    act || b ? &epi : NULL))
        return vc_node_error(n, VOCE_ERR_NOMEM, "out of memory");
    if (!pw && b)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) y[i * N + j] = ((const float *)b->data)[j];
    if (!pw) {
        vc_gemm_f32(ctx->threads, 0, 1, M, N, K, 1.0f, x->data, K, w->data, K, beta, y, N);
        if (act) act_tile(&act, y, M, N, N);
    }
    return VOCE_OK;
}

const vc_op vc_ops_linear[] = {
    {"voce:Linear", linear_infer, linear_run, NULL, 0},
};
const int vc_ops_linear_count = (int)(sizeof vc_ops_linear / sizeof vc_ops_linear[0]);
