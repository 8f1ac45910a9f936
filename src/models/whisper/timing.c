/* The alignment matrix of timing.py's find_alignment: the DTW's input. */
#include "models/whisper/timing.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define VC_MEDFILT_MAX 99

vc_whisper_timing_params vc_whisper_timing_defaults(void)
{
    vc_whisper_timing_params p = {16000, 160, 3000, 1500, 7, NULL, NULL};
    return p;
}

static voce_status check_params(const vc_whisper_timing_params *p)
{
    if (!p) return vc_error(VOCE_ERR_INVALID_ARG, "whisper timing: params is NULL");
    if (p->sample_rate <= 0 || p->hop_length <= 0 || p->n_frames <= 0 || p->n_audio_ctx <= 0)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "whisper timing: sample_rate %d, hop_length %d, n_frames %d and "
                        "n_audio_ctx %d must all be positive",
                        p->sample_rate, p->hop_length, p->n_frames, p->n_audio_ctx);
    if (p->n_frames % p->n_audio_ctx != 0)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "whisper timing: n_frames %d is not a multiple of n_audio_ctx %d",
                        p->n_frames, p->n_audio_ctx);
    if (p->medfilt_width <= 0 || p->medfilt_width % 2 == 0 || p->medfilt_width > VC_MEDFILT_MAX)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "whisper timing: medfilt_width %d must be odd, from 1 to %d",
                        p->medfilt_width, VC_MEDFILT_MAX);
    return VOCE_OK;
}

int vc_whisper_timing_frames(const vc_whisper_timing_params *p, int num_frames)
{
    if (!p || p->n_audio_ctx <= 0 || p->n_frames < p->n_audio_ctx || num_frames <= 0) return 0;
    return num_frames / (p->n_frames / p->n_audio_ctx);
}

double vc_whisper_frames_per_second(const vc_whisper_timing_params *p)
{
    if (check_params(p)) return 0.0;
    /* timing.py: TOKENS_PER_SECOND = SAMPLE_RATE / (HOP_LENGTH * 2) */
    return (double)p->sample_rate / ((double)p->hop_length * (p->n_frames / p->n_audio_ctx));
}

/* ---- median filter ---- */

/* torch.sort's order: NaN after every number. */
static int before(float a, float b) { return a < b || (!isnan(a) && isnan(b)); }

static int reflect(int i, int n)
{
    if (i < 0) return -i;
    if (i >= n) return 2 * (n - 1) - i;
    return i;
}

/* Sliding median of any odd width, NaN sorted last as torch.sort does: a sorted window
 * slides along; the value leaving (found by its bits, so that NaN and -0 are found
 * too) is replaced by the one entering, which moves to its place. */
static void median_sliding(const float *x, int n, int width, float *out)
{
    int half = width / 2;
    float win[VC_MEDFILT_MAX];
    for (int k = 0; k < width; k++) {
        float v = x[reflect(k - half, n)];
        int j = k;
        for (; j > 0 && before(v, win[j - 1]); j--) win[j] = win[j - 1];
        win[j] = v;
    }
    for (int i = 0;; i++) {
        out[i] = win[half];
        if (i + 1 == n) break;
        float gone = x[reflect(i - half, n)], v = x[reflect(i + half + 1, n)];
        int r = 0;
        while (r < width - 1 && memcmp(&win[r], &gone, sizeof gone) != 0) r++;
        for (; r > 0 && before(v, win[r - 1]); r--) win[r] = win[r - 1];
        for (; r < width - 1 && before(win[r + 1], v); r++) win[r] = win[r + 1];
        win[r] = v;
    }
}

typedef float vf4 __attribute__((vector_size(16)));
typedef int32_t vi4 __attribute__((vector_size(16)));

/* Order a and b lane by lane (the smaller in a). */
static void order(vf4 *a, vf4 *b)
{
    vi4 lt = *a < *b, x = (vi4)*a, y = (vi4)*b;
    *a = (vf4)((lt & x) | (~lt & y));
    *b = (vf4)((lt & y) | (~lt & x));
}

/* Width 7 without NaN, four windows at a time: a 16-comparator sorting network (Knuth,
 * TAOCP 5.3.4) on lanes, its middle output. pad: the row reflect-padded by 3 on each
 * side, readable 3 values further. */
static void median7(const float *pad, int n, float *out)
{
    for (int i = 0; i < n; i += 4) {
        vf4 v0, v1, v2, v3, v4, v5, v6; /* named, not an array: they stay in registers */
        memcpy(&v0, pad + i, sizeof v0);
        memcpy(&v1, pad + i + 1, sizeof v1);
        memcpy(&v2, pad + i + 2, sizeof v2);
        memcpy(&v3, pad + i + 3, sizeof v3);
        memcpy(&v4, pad + i + 4, sizeof v4);
        memcpy(&v5, pad + i + 5, sizeof v5);
        memcpy(&v6, pad + i + 6, sizeof v6);
        order(&v0, &v6); order(&v2, &v3); order(&v4, &v5);
        order(&v0, &v2); order(&v1, &v4); order(&v3, &v6);
        order(&v0, &v1); order(&v2, &v5); order(&v3, &v4);
        order(&v1, &v2); order(&v4, &v6);
        order(&v2, &v3); order(&v4, &v5);
        order(&v1, &v2); order(&v3, &v4); order(&v5, &v6);
        float m[4];
        memcpy(m, &v3, sizeof m);
        for (int k = 0; k < 4 && i + k < n; k++) out[i + k] = m[k];
    }
}

/* One row into out; pad has room for n + width + 3 values. */
static void median_row(const float *x, int n, int width, float *pad, float *out)
{
    int half = width / 2, nan = 0;
    if (n <= half) { /* reflect padding needs more values than the pad: timing.py skips */
        if (n) memmove(out, x, (size_t)n * sizeof *x);
        return;
    }
    for (int i = 0; i < n; i++) nan |= isnan(x[i]);
    if (width != 7 || nan) {
        median_sliding(x, n, width, out);
        return;
    }
    memcpy(pad + half, x, (size_t)n * sizeof *x);
    for (int i = 0; i < half; i++) {
        pad[i] = x[half - i];
        pad[half + n + i] = x[n - 2 - i];
    }
    for (int i = n + 2 * half; i < n + 2 * half + 3; i++) pad[i] = 0.0f; /* lanes past n */
    median7(pad, n, out);
}

voce_status vc_whisper_median_filter(const float *x, int n, int width, float *out)
{
    if (!x || !out || n < 0)
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper median filter: NULL data or negative length");
    if (width <= 0 || width % 2 == 0 || width > VC_MEDFILT_MAX)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "whisper median filter: width %d must be odd, from 1 to %d", width,
                        VC_MEDFILT_MAX);
    float *pad = malloc(((size_t)n + width + 3) * sizeof *pad);
    if (!pad) return vc_error(VOCE_ERR_NOMEM, "whisper median filter: no memory for %d values", n);
    median_row(x, n, width, pad, out);
    free(pad);
    return VOCE_OK;
}

/* ---- the matrix ---- */

/* Probabilities over the kept frames of one row, into q: exp(x - max) or x, over its
 * sum in double, as a product with the sum's inverse (what torch's softmax does). e:
 * k doubles of scratch. */
static voce_status row_probs(const float *row, int k, vc_whisper_attn_kind kind, int h, int r,
                             double *e, float *q)
{
    double sum = 0.0;
    if (kind == VC_WHISPER_ATTN_LOGITS) {
        float mx = -INFINITY;
        for (int f = 0; f < k; f++) {
            if (isnan(row[f]) || row[f] == INFINITY)
                return vc_error(VOCE_ERR_INVALID_ARG,
                                "whisper timing: attention score %g at head %d, row %d, frame %d",
                                row[f], h, r, f);
            if (row[f] > mx) mx = row[f];
        }
        if (mx == -INFINITY)
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "whisper timing: every attention score of head %d, row %d is -inf", h, r);
        for (int f = 0; f < k; f++) sum += e[f] = exp((double)row[f] - (double)mx);
    } else {
        for (int f = 0; f < k; f++) {
            if (!(row[f] >= 0.0f && row[f] <= FLT_MAX))
                return vc_error(VOCE_ERR_INVALID_ARG,
                                "whisper timing: attention probability %g at head %d, row %d, "
                                "frame %d is not a finite non-negative number",
                                row[f], h, r, f);
            sum += e[f] = row[f];
        }
        if (sum <= 0.0)
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "whisper timing: head %d, row %d gives no attention to the first %d frames",
                            h, r, k);
    }
    double inv = 1.0 / sum;
    for (int f = 0; f < k; f++) q[f] = (float)(e[f] * inv);
    return VOCE_OK;
}

/* Standardise w [rows][k] over rows at each frame, as torch.std_mean(unbiased=False):
 * double sums in row order, float mean and std, float arithmetic. sum: 2k doubles,
 * ms: 2k floats of scratch. */
static void standardise(float *w, int rows, int k, double *sum, float *ms)
{
    double *mean = sum, *var = sum + k;
    float *m = ms, *sd = ms + k;
    for (int f = 0; f < k; f++) mean[f] = var[f] = 0.0;
    for (int r = 0; r < rows; r++)
        for (int f = 0; f < k; f++) mean[f] += w[(size_t)r * k + f];
    for (int f = 0; f < k; f++) mean[f] /= rows;
    for (int r = 0; r < rows; r++)
        for (int f = 0; f < k; f++) {
            double d = w[(size_t)r * k + f] - mean[f];
            double sq = d * d; /* its own statement: no contraction into an fma */
            var[f] += sq;
        }
    for (int f = 0; f < k; f++) {
        m[f] = (float)mean[f];
        sd[f] = (float)sqrt(var[f] / rows);
    }
    for (int r = 0; r < rows; r++) {
        float *v = w + (size_t)r * k;
        for (int f = 0; f < k; f++) /* torch: 0/0 = NaN where sd is 0; see timing.h */
            v[f] = sd[f] > 0.0f ? (v[f] - m[f]) / sd[f] : 0.0f;
    }
}

voce_status vc_whisper_alignment_matrix(const vc_whisper_timing_params *p,
                                        const vc_whisper_attention *a, int n_sot,
                                        int num_frames, float *out)
{
    voce_status st = check_params(p);
    if (st) return st;
    if (!a || !a->data || !out)
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper timing: NULL attention or output");
    int k = vc_whisper_timing_frames(p, num_frames);
    if (k <= 0)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "whisper timing: num_frames %d covers no encoder frame", num_frames);
    if (a->n_heads <= 0 || n_sot < 0 || a->n_rows < n_sot + 2 || a->n_ctx < k)
        return vc_error(VOCE_ERR_SHAPE,
                        "whisper timing: attention of %d heads, %d rows, %d frames does not fit "
                        "an sot sequence of %d and %d frames used",
                        a->n_heads, a->n_rows, a->n_ctx, n_sot, k);
    if (a->kind != VC_WHISPER_ATTN_PROBS && a->kind != VC_WHISPER_ATTN_LOGITS)
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper timing: unknown attention kind %d", (int)a->kind);
    int rows = a->n_rows, kept = rows - n_sot - 1;
    if ((int64_t)rows * k > ((int64_t)1 << 31))
        return vc_error(VOCE_ERR_NOMEM, "whisper timing: %d rows x %d frames is too large", rows, k);
    float *w = malloc((size_t)rows * k * sizeof *w);
    float *filt = malloc((size_t)k * sizeof *filt);
    float *pad = malloc(((size_t)k + p->medfilt_width + 3) * sizeof *pad);
    float *ms = malloc(2 * (size_t)k * sizeof *ms);
    double *stats = malloc(2 * (size_t)k * sizeof *stats);
    if (!w || !filt || !pad || !stats || !ms) {
        st = vc_error(VOCE_ERR_NOMEM, "whisper timing: no memory for %d x %d weights", rows, k);
        goto done;
    }
    for (int h = 0; h < a->n_heads; h++) {
        const float *head = a->data + (size_t)h * rows * a->n_ctx;
        for (int r = 0; r < rows && !st; r++)
            st = row_probs(head + (size_t)r * a->n_ctx, k, a->kind, h, r, stats, w + (size_t)r * k);
        if (st) goto done;
        standardise(w, rows, k, stats, ms);
        for (int r = 0; r < kept; r++) {
            float *o = out + (size_t)r * k;
            median_row(w + (size_t)(n_sot + r) * k, k, p->medfilt_width, pad, filt);
            if (h == 0) memcpy(o, filt, (size_t)k * sizeof *o);
            else for (int f = 0; f < k; f++) o[f] += filt[f];
        }
    }
    for (size_t i = 0; i < (size_t)kept * k; i++) out[i] /= (float)a->n_heads;
done:
    free(w);
    free(filt);
    free(pad);
    free(stats);
    free(ms);
    return st;
}
