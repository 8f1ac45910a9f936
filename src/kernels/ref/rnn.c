/* Reference kernels: LSTM, GRU and RNN per the ONNX spec (gate orders LSTM i,o,f,c and
 * GRU z,r,h), forward / reverse / bidirectional, layout 0 and 1, sequence_lens, initial
 * states, LSTM peepholes and input_forget, GRU linear_before_reset, clip.
 *
 * Per direction, the input projection of every time step is one vc_gemm_f32 into
 * scratch (X W^T, biases folded in); each step then multiplies the hidden state by R^T
 * (one GEMM for the whole batch) and applies the gates.
 *
 * Limits: activations Sigmoid, Tanh and Relu only (the defaults are Sigmoid/Tanh), so
 * activation_alpha/beta are never needed; f32, and f16 computed in f32 through scratch.
 * With sequence_lens, steps past a sequence's end leave Y at 0 and its state unchanged
 * (a length-0 sequence returns its initial state in Y_h / Y_c).
 */
#include <math.h>
#include <string.h>

#include "../../core/f16.h"
#include "elementwise_impl.h"
#include "fastmath.h"
#include "gemm.h"
#include "ref_ops.h"

enum { LSTM, GRU, RNN };
enum { ACT_SIGMOID, ACT_TANH, ACT_RELU };
enum { IN_X, IN_W, IN_R, IN_B, IN_SEQ, IN_H0, IN_C0, IN_P };

typedef struct {
    int kind;
    int gates; /* 4, 3, 1 */
    int nact;  /* activations per direction: 3, 2, 1 */
    int64_t S, B, I, H, D;
    int layout;
    int reverse; /* single direction, reverse */
    float clip;  /* 0: none */
    int input_forget, lbr;
    int act[6];
} rnn_cfg;

static const vc_tensor *opt_in(const vc_node *n, vc_tensor *const *in, int k)
{
    return k < n->n_in ? in[k] : NULL;
}

static int name_is(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

static voce_status parse_acts(const vc_node *n, rnn_cfg *c)
{
    static const int defaults[3][3] = {
        {ACT_SIGMOID, ACT_TANH, ACT_TANH}, {ACT_SIGMOID, ACT_TANH, 0}, {ACT_TANH, 0, 0}};
    const vc_attr *a = vc_attr_find(n, "activations");
    for (int d = 0; d < 2; d++)
        for (int k = 0; k < c->nact; k++) c->act[d * c->nact + k] = defaults[c->kind][k];
    if (!a) return VOCE_OK;
    if (a->type != VC_ATTR_STRINGS || a->count != c->nact * c->D)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "activations must list %d names (got %lld)",
                             (int)(c->nact * c->D), (long long)a->count);
    for (int k = 0; k < a->count; k++) {
        const char *s = a->strings[k];
        if (name_is(s, "Sigmoid"))
            c->act[k] = ACT_SIGMOID;
        else if (name_is(s, "Tanh"))
            c->act[k] = ACT_TANH;
        else if (name_is(s, "Relu"))
            c->act[k] = ACT_RELU;
        else
            return vc_node_error(n, VOCE_ERR_UNSUPPORTED,
                                 "activation '%s' (supported: Sigmoid, Tanh, Relu)", s);
    }
    return VOCE_OK;
}

static voce_status check_dims(const vc_node *n, const vc_tensor *t, int k, int rank,
                              const int64_t *want)
{
    char s1[160], s2[160];
    if (t->rank == rank && !memcmp(t->dims, want, sizeof(int64_t) * (size_t)rank)) return VOCE_OK;
    return vc_node_error(n, VOCE_ERR_SHAPE, "input %d is %s, expected %s", k,
                         vc_shape_str(t->rank, t->dims, s1, sizeof s1),
                         vc_shape_str(rank, want, s2, sizeof s2));
}

/* [D, B, H] for layout 0, [B, D, H] for layout 1 (initial and final states). */
static void state_dims(const rnn_cfg *c, int64_t *d)
{
    d[0] = c->layout ? c->B : c->D;
    d[1] = c->layout ? c->D : c->B;
    d[2] = c->H;
}

static voce_status rnn_check(const vc_node *n, vc_tensor *const *in, int kind, rnn_cfg *c)
{
    voce_status st;
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->gates = kind == LSTM ? 4 : kind == GRU ? 3 : 1;
    c->nact = kind == LSTM ? 3 : kind == GRU ? 2 : 1;
    int max_in = kind == LSTM ? 8 : 6;
    if (n->n_in < 3 || n->n_in > max_in || !in[IN_X] || !in[IN_W] || !in[IN_R])
        return vc_node_error(n, VOCE_ERR_FORMAT, "needs X, W, R and at most %d inputs", max_in);
    const vc_tensor *x = in[IN_X];
    if (x->dtype != VOCE_DTYPE_F32 && x->dtype != VOCE_DTYPE_F16)
        return vc_err_dtype(n, IN_X, x->dtype);
    for (int k = 1; k < n->n_in; k++)
        if (k != IN_SEQ && in[k] && in[k]->dtype != x->dtype)
            return vc_node_error(n, VOCE_ERR_DTYPE, "input %d is %s but X is %s", k,
                                 voce_dtype_name(in[k]->dtype), voce_dtype_name(x->dtype));
    const char *dir = vc_attr_string(n, "direction", "forward");
    if (!strcmp(dir, "forward") || !strcmp(dir, "reverse"))
        c->D = 1;
    else if (!strcmp(dir, "bidirectional"))
        c->D = 2;
    else
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "direction '%s' is not valid", dir);
    c->reverse = !strcmp(dir, "reverse");
    int64_t layout = vc_attr_int(n, "layout", 0);
    if (layout != 0 && layout != 1)
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "layout must be 0 or 1");
    c->layout = (int)layout;
    if (x->rank != 3 || in[IN_W]->rank != 3 || in[IN_R]->rank != 3)
        return vc_node_error(n, VOCE_ERR_SHAPE, "X, W and R must have rank 3");
    c->S = x->dims[layout ? 1 : 0];
    c->B = x->dims[layout ? 0 : 1];
    c->I = x->dims[2];
    c->H = in[IN_R]->dims[2];
    int64_t hs = vc_attr_int(n, "hidden_size", c->H);
    if (hs != c->H || c->H < 1 || c->H > VC_MAX_NUMEL / c->gates)
        return vc_node_error(n, VOCE_ERR_SHAPE, "hidden_size %lld does not match R's last dim %lld",
                             (long long)hs, (long long)c->H);
    int64_t gh = c->gates * c->H;
    int64_t wd[3] = {c->D, gh, c->I}, rd[3] = {c->D, gh, c->H}, bd[2] = {c->D, 2 * gh};
    if ((st = check_dims(n, in[IN_W], IN_W, 3, wd)) || (st = check_dims(n, in[IN_R], IN_R, 3, rd)))
        return st;
    const vc_tensor *b = opt_in(n, in, IN_B), *seq = opt_in(n, in, IN_SEQ);
    if (b && (st = check_dims(n, b, IN_B, 2, bd))) return st;
    if (seq) {
        if (seq->dtype != VOCE_DTYPE_I32 && seq->dtype != VOCE_DTYPE_I64)
            return vc_err_dtype(n, IN_SEQ, seq->dtype);
        if ((st = check_dims(n, seq, IN_SEQ, 1, &c->B))) return st;
        for (int64_t i = 0; seq->data && i < c->B; i++)
            if (vc_get_int(seq, i) < 0 || vc_get_int(seq, i) > c->S)
                return vc_node_error(n, VOCE_ERR_SHAPE,
                                     "sequence_lens[%lld] = %lld is outside [0, %lld]",
                                     (long long)i, (long long)vc_get_int(seq, i), (long long)c->S);
    }
    int64_t sd[3], pd[2] = {c->D, 3 * c->H};
    state_dims(c, sd);
    for (int k = IN_H0; k <= (kind == LSTM ? IN_C0 : IN_H0); k++) {
        const vc_tensor *t = opt_in(n, in, k);
        if (t && (st = check_dims(n, t, k, 3, sd))) return st;
    }
    if (kind == LSTM && opt_in(n, in, IN_P) && (st = check_dims(n, in[IN_P], IN_P, 2, pd)))
        return st;
    /* the projections of all steps, [S * B, gates * H], must be addressable */
    int64_t proj[3] = {c->S, c->B, gh};
    if (vc_shape_numel(3, proj) < 0)
        return vc_node_error(n, VOCE_ERR_NOMEM, "sequence too long for its gates");
    c->clip = vc_attr_float(n, "clip", 0.0f);
    if (vc_attr_find(n, "clip") && !(c->clip > 0.0f))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG, "clip must be positive");
    int64_t inf = vc_attr_int(n, "input_forget", 0), lbr = vc_attr_int(n, "linear_before_reset", 0);
    if ((inf != 0 && inf != 1) || (lbr != 0 && lbr != 1))
        return vc_node_error(n, VOCE_ERR_INVALID_ARG,
                             "input_forget / linear_before_reset must be 0 or 1");
    c->input_forget = (int)inf;
    c->lbr = (int)lbr;
    return parse_acts(n, c);
}

static voce_status rnn_infer_kind(const vc_node *n, vc_tensor *const *in, vc_tensor *out, int kind)
{
    rnn_cfg c;
    voce_status st = rnn_check(n, in, kind, &c);
    if (st) return st;
    int max_out = kind == LSTM ? 3 : 2;
    if (n->n_out > max_out)
        return vc_node_error(n, VOCE_ERR_FORMAT, "has %d outputs (at most %d)", n->n_out, max_out);
    voce_dtype dt = in[IN_X]->dtype;
    out[0].dtype = dt;
    out[0].rank = 4;
    int64_t y0[4] = {c.S, c.D, c.B, c.H}, y1[4] = {c.B, c.S, c.D, c.H};
    memcpy(out[0].dims, c.layout ? y1 : y0, sizeof y0);
    for (int k = 1; k < n->n_out; k++) {
        out[k].dtype = dt;
        out[k].rank = 3;
        state_dims(&c, out[k].dims);
    }
    if (vc_numel(&out[0]) < 0) return vc_node_error(n, VOCE_ERR_NOMEM, "output Y is too large");
    return VOCE_OK;
}

/* ---- scratch ---- */

typedef struct {
    float *xproj;   /* [S * B, gates * H] */
    float *gates;   /* [B, gates * H] */
    float *h, *c;   /* [B, H] */
    float *rh, *hh; /* [B, H]: GRU r * h and its projection */
    vc_threads *threads;
} rnn_work;

static size_t f16_floats(const vc_tensor *t)
{
    return t && t->dtype == VOCE_DTYPE_F16 ? (size_t)vc_numel(t) : 0;
}

static size_t work_floats(const rnn_cfg *c)
{
    int64_t gh = c->gates * c->H;
    return (size_t)(c->S * c->B * gh + c->B * gh + 4 * c->B * c->H);
}

static size_t rnn_scratch_kind(const vc_node *n, vc_tensor *const *in, const vc_tensor *out,
                               int kind)
{
    rnn_cfg c;
    if (rnn_check(n, in, kind, &c)) return 0;
    size_t f = work_floats(&c);
    for (int k = 0; k < n->n_in; k++)
        if (k != IN_SEQ) f += f16_floats(opt_in(n, in, k));
    for (int k = 0; k < n->n_out; k++) f += f16_floats(&out[k]);
    return f * sizeof(float);
}

/* ---- the recurrence ---- */

static float act(int kind, float v)
{
    switch (kind) {
    case ACT_SIGMOID:
        return sigmoid_fast(v);
    case ACT_TANH:
        return tanh_fast(v);
    default:
        return v > 0.0f ? v : 0.0f;
    }
}

/* v[0..n) = act(kind, v) in place: one loop per kind so that each vectorizes. */
static void act_array(int kind, float *restrict v, int64_t n)
{
    if (kind == ACT_SIGMOID)
        VC_EW_FOR(i, n, v[i] = sigmoid_fast(v[i]););
    else if (kind == ACT_TANH)
        VC_EW_FOR(i, n, v[i] = tanh_fast(v[i]););
    else
        VC_EW_FOR(i, n, v[i] = v[i] > 0.0f ? v[i] : 0.0f;);
}

static void clip_array(float *restrict v, int64_t n, float clip)
{
    if (clip <= 0.0f) return;
    VC_EW_FOR(i, n, float x = v[i] < -clip ? -clip : v[i]; v[i] = x > clip ? clip : x;);
}

static float clipv(float v, float clip)
{
    if (clip > 0.0f) return v < -clip ? -clip : v > clip ? clip : v;
    return v;
}

typedef struct {
    const float *x, *w, *r, *b, *h0, *c0, *p;
    const vc_tensor *seq;
    float *y, *yh, *yc;
} rnn_io;

static int64_t seq_len(const rnn_cfg *c, const vc_tensor *seq, int64_t b)
{
    return seq ? vc_get_int(seq, b) : c->S;
}

/* Row of X (and of the projections) for time t, batch b. */
static int64_t x_row(const rnn_cfg *c, int64_t t, int64_t b)
{
    return c->layout ? b * c->S + t : t * c->B + b;
}

static int64_t y_off(const rnn_cfg *c, int64_t t, int dir, int64_t b)
{
    return (c->layout ? (b * c->S + t) * c->D + dir : (t * c->D + dir) * c->B + b) * c->H;
}

static int64_t state_off(const rnn_cfg *c, int dir, int64_t b)
{
    return (c->layout ? b * c->D + dir : dir * c->B + b) * c->H;
}

/* xproj = X W^T plus the biases that do not sit behind GRU's reset gate. */
static void project_inputs(const rnn_cfg *c, const float *x, const float *w, const float *b,
                           float *xproj, vc_threads *t)
{
    int64_t gh = c->gates * c->H, rows = c->S * c->B;
    vc_gemm_f32(t, 0, 1, rows, gh, c->I, 1.0f, x, c->I, w, c->I, 0.0f, xproj, gh);
    if (!b) return;
    for (int64_t r = 0; r < rows; r++) {
        float *p = xproj + r * gh;
        for (int64_t j = 0; j < gh; j++) {
            int rb_later = c->kind == GRU && c->lbr && j >= 2 * c->H;
            p[j] += b[j] + (rb_later ? 0.0f : b[gh + j]);
        }
    }
}

/* One LSTM step for one batch row, gate by gate over whole rows of H so that every loop
 * vectorizes. g holds h R^T on entry (gate order i, o, f, c) and is overwritten. */
static void lstm_cell(const rnn_cfg *c, const int *a, const float *restrict xp,
                      float *restrict g, const float *restrict p, float *restrict h,
                      float *restrict cs)
{
    int64_t H = c->H;
    float *gi = g, *go = g + H, *gf = g + 2 * H, *gc = g + 3 * H;
    VC_EW_FOR(j, 4 * H, g[j] = xp[j] + g[j];);
    if (p) {
        VC_EW_FOR(j, H, gi[j] += p[j] * cs[j];);
        VC_EW_FOR(j, H, gf[j] += p[2 * H + j] * cs[j];);
    }
    clip_array(gi, H, c->clip);
    clip_array(gf, 2 * H, c->clip); /* f and c */
    act_array(a[0], gi, H);
    if (c->input_forget)
        VC_EW_FOR(j, H, gf[j] = 1.0f - gi[j];);
    else
        act_array(a[0], gf, H);
    act_array(a[1], gc, H);
    VC_EW_FOR(j, H, cs[j] = gf[j] * cs[j] + gi[j] * gc[j];);
    if (p) VC_EW_FOR(j, H, go[j] += p[H + j] * cs[j];);
    clip_array(go, H, c->clip);
    act_array(a[0], go, H);
    VC_EW_FOR(j, H, h[j] = cs[j];);
    act_array(a[2], h, H);
    VC_EW_FOR(j, H, h[j] = go[j] * h[j];);
}

/* GRU step, phase 1: z into zr[0..H), and for linear_before_reset = 0 also r * h into rh
 * (multiplied by R_h^T before phase 2). */
static void gru_gates(const rnn_cfg *c, const int *a, const float *xp, float *zr, const float *h,
                      float *rh)
{
    int64_t H = c->H;
    for (int64_t j = 0; j < H; j++) {
        float z = act(a[0], clipv(xp[j] + zr[j], c->clip));
        float r = act(a[0], clipv(xp[H + j] + zr[H + j], c->clip));
        zr[j] = z;
        zr[H + j] = r;
        if (!c->lbr) rh[j] = r * h[j];
    }
}

/* Phase 2: candidate and new state. rec is R_h h (linear_before_reset, plus Rb_h) or
 * R_h (r * h) */
static void gru_update(const rnn_cfg *c, const int *a, const float *xp, const float *zr,
                       const float *rec, const float *rbh, float *h)
{
    int64_t H = c->H;
    for (int64_t j = 0; j < H; j++) {
        float z = zr[j], r = zr[H + j];
        float g =
            c->lbr ? xp[2 * H + j] + r * (rec[j] + (rbh ? rbh[j] : 0.0f)) : xp[2 * H + j] + rec[j];
        float hc = act(a[1], clipv(g, c->clip));
        h[j] = (1.0f - z) * hc + z * h[j];
    }
}

static void run_direction(const rnn_cfg *c, const rnn_io *io, int dir, const rnn_work *w)
{
    int64_t H = c->H, B = c->B, gh = c->gates * H;
    int rev = c->D == 2 ? dir == 1 : c->reverse;
    const int *a = c->act + dir * c->nact;
    const float *W = io->w + dir * gh * c->I, *R = io->r + dir * gh * H;
    const float *bias = io->b ? io->b + dir * 2 * gh : NULL;
    const float *P = io->p ? io->p + dir * 3 * H : NULL;
    project_inputs(c, io->x, W, bias, w->xproj, w->threads);
    for (int64_t b = 0; b < B; b++) {
        int64_t so = state_off(c, dir, b);
        for (int64_t j = 0; j < H; j++) {
            w->h[b * H + j] = io->h0 ? io->h0[so + j] : 0.0f;
            w->c[b * H + j] = io->c0 ? io->c0[so + j] : 0.0f;
        }
    }
    /* GRU without linear_before_reset needs r before R_h: R's z,r rows first */
    int64_t rec_cols = c->kind == GRU && !c->lbr ? 2 * H : gh;
    for (int64_t k = 0; k < c->S; k++) {
        vc_gemm_f32(w->threads, 0, 1, B, rec_cols, H, 1.0f, w->h, H, R, H, 0.0f, w->gates, gh);
        for (int64_t b = 0; b < B; b++) {
            int64_t len = seq_len(c, io->seq, b);
            if (k >= len) continue;
            int64_t t = rev ? len - 1 - k : k;
            const float *xp = w->xproj + x_row(c, t, b) * gh;
            float *g = w->gates + b * gh, *h = w->h + b * H;
            if (c->kind == LSTM)
                lstm_cell(c, a, xp, g, P, h, w->c + b * H);
            else if (c->kind == RNN)
                for (int64_t j = 0; j < H; j++) h[j] = act(a[0], clipv(xp[j] + g[j], c->clip));
            else
                gru_gates(c, a, xp, g, h, w->rh + b * H);
        }
        if (c->kind == GRU) {
            if (!c->lbr)
                vc_gemm_f32(w->threads, 0, 1, B, H, H, 1.0f, w->rh, H, R + 2 * H * H, H, 0.0f, w->hh, H);
            for (int64_t b = 0; b < B; b++) {
                int64_t len = seq_len(c, io->seq, b);
                if (k >= len) continue;
                int64_t t = rev ? len - 1 - k : k;
                const float *rec = c->lbr ? w->gates + b * gh + 2 * H : w->hh + b * H;
                gru_update(c, a, w->xproj + x_row(c, t, b) * gh, w->gates + b * gh, rec,
                           bias && c->lbr ? bias + gh + 2 * H : NULL, w->h + b * H);
            }
        }
        for (int64_t b = 0; b < B; b++) {
            int64_t len = seq_len(c, io->seq, b);
            if (k < len && io->y)
                memcpy(io->y + y_off(c, rev ? len - 1 - k : k, dir, b), w->h + b * H,
                       sizeof(float) * (size_t)H);
        }
    }
    for (int64_t b = 0; b < B; b++) {
        int64_t so = state_off(c, dir, b);
        if (io->yh) memcpy(io->yh + so, w->h + b * H, sizeof(float) * (size_t)H);
        if (io->yc) memcpy(io->yc + so, w->c + b * H, sizeof(float) * (size_t)H);
    }
}

static const float *as_f32(const vc_tensor *t, float **cursor)
{
    if (!t || t->dtype == VOCE_DTYPE_F32) return t ? t->data : NULL;
    float *dst = *cursor;
    vc_f16_to_f32_array(t->data, dst, vc_numel(t));
    *cursor += vc_numel(t);
    return dst;
}

static float *out_f32(vc_tensor *t, float **cursor)
{
    if (t->dtype == VOCE_DTYPE_F32) return t->data;
    float *dst = *cursor;
    *cursor += vc_numel(t);
    return dst;
}

static voce_status rnn_run_kind(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx,
                                int kind)
{
    rnn_cfg c;
    voce_status st = rnn_check(n, in, kind, &c);
    if (st) return st;
    float *cur = ctx->scratch;
    int64_t gh = c.gates * c.H;
    rnn_work w;
    w.threads = ctx->threads;
    w.xproj = cur;
    w.gates = w.xproj + c.S * c.B * gh;
    w.h = w.gates + c.B * gh;
    w.c = w.h + c.B * c.H;
    w.rh = w.c + c.B * c.H;
    w.hh = w.rh + c.B * c.H;
    cur = w.hh + c.B * c.H;
    rnn_io io;
    io.x = as_f32(in[IN_X], &cur);
    io.w = as_f32(in[IN_W], &cur);
    io.r = as_f32(in[IN_R], &cur);
    io.b = as_f32(opt_in(n, in, IN_B), &cur);
    io.seq = opt_in(n, in, IN_SEQ);
    io.h0 = as_f32(opt_in(n, in, IN_H0), &cur);
    io.c0 = kind == LSTM ? as_f32(opt_in(n, in, IN_C0), &cur) : NULL;
    io.p = kind == LSTM ? as_f32(opt_in(n, in, IN_P), &cur) : NULL;
    io.y = out_f32(&out[0], &cur);
    io.yh = n->n_out > 1 ? out_f32(&out[1], &cur) : NULL;
    io.yc = n->n_out > 2 ? out_f32(&out[2], &cur) : NULL;
    memset(io.y, 0, sizeof(float) * (size_t)vc_numel(&out[0]));
    for (int dir = 0; dir < c.D; dir++) run_direction(&c, &io, dir, &w);
    for (int k = 0; k < n->n_out; k++)
        if (out[k].dtype == VOCE_DTYPE_F16) {
            const float *src = k == 0 ? io.y : k == 1 ? io.yh : io.yc;
            vc_f32_to_f16_array(src, out[k].data, vc_numel(&out[k]));
        }
    return VOCE_OK;
}

static voce_status lstm_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return rnn_infer_kind(n, in, out, LSTM);
}
static voce_status gru_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return rnn_infer_kind(n, in, out, GRU);
}
static voce_status rnn_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out)
{
    return rnn_infer_kind(n, in, out, RNN);
}
static size_t lstm_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    return rnn_scratch_kind(n, in, out, LSTM);
}
static size_t gru_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    return rnn_scratch_kind(n, in, out, GRU);
}
static size_t rnn_scratch(const vc_node *n, vc_tensor *const *in, const vc_tensor *out)
{
    return rnn_scratch_kind(n, in, out, RNN);
}
static voce_status lstm_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return rnn_run_kind(n, in, out, ctx, LSTM);
}
static voce_status gru_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return rnn_run_kind(n, in, out, ctx, GRU);
}
static voce_status rnn_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out, vc_ctx *ctx)
{
    return rnn_run_kind(n, in, out, ctx, RNN);
}

const vc_op vc_ops_rnn[] = {
    {"LSTM", lstm_infer, lstm_run, lstm_scratch, 0},
    {"GRU", gru_infer, gru_run, gru_scratch, 0},
    {"RNN", rnn_infer, rnn_run, rnn_scratch, 0},
};
const int vc_ops_rnn_count = (int)(sizeof vc_ops_rnn / sizeof vc_ops_rnn[0]);
