/* voce:Linear, written by the compiler for MatMul / Gemm with constant f32 weights
 * (src/compiler/linear.c):
 *
 *   Y[..., n] = sum over k of X[..., k] * W[n, k]  (+ bias[n])
 *
 * Inputs: X f32 [..., K] (rank >= 1), W f32 [N, K], bias f32 [N] (optional). Output f32
 * [..., N]. Attribute activation (STRING, optional): "relu", "gelu" (erf form) or "silu"
 * (x sigmoid(x)), applied to Y; the compiler folds a following activation node into it
 * (src/compiler/act.c). On the packed path it runs on each tile as the GEMM finishes it,
 * while the tile is in cache, so it costs no pass over Y. Y starts as the bias rows and the GEMM adds the product (beta = 1), so the
 * bias costs no extra pass over Y. Up to VC_GEMM_DOT_ROWS rows (decode steps) read W as
 * it is stored; more rows use a copy packed once per method instance (memory: as much
 * again as the weights of each such layer). */
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

/* The weights packed for the GEMM's packed path, made at the first run with more rows
 * than the dot path takes and kept in the node's slot: packing [N, K] weights into panels
 * costs about as much as a 50-row product, so it is done once per instance, not per
 * call. The block records what it was made for. */
typedef struct packed_w {
    vc_isa isa;
    int64_t N, K;
    float *w; /* 64-byte aligned, inside this block */
} packed_w;

static const float *packed_weights(vc_ctx *ctx, vc_isa isa, const float *W, int64_t N, int64_t K)
{
    packed_w *p = ctx->state ? *ctx->state : NULL;
    if (p && p->isa == isa && p->N == N && p->K == K) return p->w;
    size_t bytes = vc_gemm_packed_b_bytes(isa, N, K);
    if (!ctx->state || !bytes) return NULL;
    free(p);
    *ctx->state = p = malloc(sizeof *p + 64 + bytes);
    if (!p) return NULL;
    p->isa = isa, p->N = N, p->K = K;
    p->w = (float *)(((uintptr_t)(p + 1) + 63) & ~(uintptr_t)63);
    vc_gemm_pack_b(isa, 1, N, K, W, K, p->w);
    return p->w;
}

static voce_status linear_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    const vc_tensor *x = in[0], *w = in[1], *b = n->n_in > 2 ? in[2] : NULL;
    int64_t N = w->dims[0], K = w->dims[1];
    if (vc_numel(&out[0]) == 0) return VOCE_OK;
    int64_t M = vc_numel(&out[0]) / N;
    float *y = out[0].data;
    if (b)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) y[i * N + j] = ((const float *)b->data)[j];
    float beta = b ? 1.0f : 0.0f;
    vc_isa isa = vc_isa_active();
    int act = act_of(n);
    vc_gemm_epilogue epi = {act_tile, &act};
    const float *pw = M > VC_GEMM_DOT_ROWS && K > 0 ? packed_weights(ctx, isa, w->data, N, K) : NULL;
    if (pw && vc_gemm_f32_prepacked(isa, ctx->threads, M, N, K, 1.0f, x->data, K, pw, beta, y, N,
                                    act ? &epi : NULL))
        return vc_node_error(n, VOCE_ERR_NOMEM, "out of memory");
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
