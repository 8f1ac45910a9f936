/* The streaming framer: see frontend_stft.h. */
#include "audio/frontend_stft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define MIN_BUFFER 4096     /* samples: first allocation, enough for a few frames */

voce_status vc_stft_plan_init(const vc_stft_params *p, vc_stft *plan)
{
    memset(plan, 0, sizeof *plan);
    if (p->n_fft < 2 || p->n_fft % 2 || p->win_length < 1 || p->win_length > p->n_fft || p->hop < 1)
        return vc_error(VOCE_ERR_INVALID_ARG, "STFT: n_fft %d (even, >= 2), win_length %d (1 .. n_fft), hop %d (>= 1)",
                        p->n_fft, p->win_length, p->hop);
    plan->p = *p;
    /* torch.stft centres a shorter window in the n_fft frame; Kaldi pads it on the right */
    plan->first = p->edge == VC_EDGE_SNIP ? 0 : (p->n_fft - p->win_length) / 2 - p->n_fft / 2;
    plan->window = malloc(sizeof(double) * (size_t)p->win_length);
    if (!plan->window) return vc_error(VOCE_ERR_NOMEM, "out of memory for the STFT window");
    vc_window(p->window, (size_t)p->win_length, plan->window);
    voce_status st = vc_fft_create((size_t)p->n_fft, &plan->fft);
    if (st) vc_stft_plan_free(plan);
    return st;
}

void vc_stft_plan_free(vc_stft *plan)
{
    free(plan->window);
    vc_fft_destroy(plan->fft);
    memset(plan, 0, sizeof *plan);
}

int64_t vc_stft_frame_count(const vc_stft *plan, int64_t n)
{
    const vc_stft_params *p = &plan->p;
    if (p->edge == VC_EDGE_SNIP) return n < p->win_length ? 0 : 1 + (n - p->win_length) / p->hop;
    return n <= 0 ? 0 : 1 + n / p->hop;
}

voce_status vc_stft_stream_init(vc_stft_stream *s, const vc_stft *plan)
{
    memset(s, 0, sizeof *s);
    s->plan = plan;
    size_t n = (size_t)plan->p.n_fft;
    s->frame = malloc(sizeof(double) * n);
    s->spec = malloc(sizeof(double) * (n + 2));
    s->work = malloc(sizeof(double) * (vc_fft_work_size(plan->fft) + 1));
    if (!s->frame || !s->spec || !s->work) {
        vc_stft_stream_free(s);
        return vc_error(VOCE_ERR_NOMEM, "out of memory for an STFT stream");
    }
    vc_stft_stream_reset(s);
    return VOCE_OK;
}

void vc_stft_stream_free(vc_stft_stream *s)
{
    free(s->buf);
    free(s->frame);
    free(s->spec);
    free(s->work);
    memset(s, 0, sizeof *s);
}

void vc_stft_stream_reset(vc_stft_stream *s)
{
    s->len = 0;
    s->start = s->pushed = s->next = 0;
    s->length = s->n_frames = -1;
    s->prev = 0.0;
}

/* Signal index where frame t's window begins. */
static int64_t frame_start(const vc_stft *plan, int64_t t) { return plan->first + t * plan->p.hop; }

/* Drop the samples no later frame can read. The margin of n_fft keeps what the
 * reflection at the end of the signal reaches back to. */
static void compact(vc_stft_stream *s)
{
    int64_t keep = frame_start(s->plan, s->next) - s->plan->p.n_fft;
    if (keep <= s->start) return;
    size_t drop = (size_t)(keep - s->start) < s->len ? (size_t)(keep - s->start) : s->len;
    memmove(s->buf, s->buf + drop, sizeof(double) * (s->len - drop));
    s->len -= drop;
    s->start += (int64_t)drop;
}

static voce_status reserve(vc_stft_stream *s, size_t n)
{
    if (n > SIZE_MAX / sizeof(double) / 2 - s->len)
        return vc_error(VOCE_ERR_NOMEM, "STFT stream: %zu samples are beyond what a buffer can hold", n);
    if (s->len + n <= s->cap) return VOCE_OK;
    size_t cap = s->cap ? s->cap : MIN_BUFFER;
    while (cap < s->len + n) cap *= 2;
    double *b = realloc(s->buf, sizeof(double) * cap);
    if (!b) return vc_error(VOCE_ERR_NOMEM, "out of memory for %zu buffered samples", cap);
    s->buf = b;
    s->cap = cap;
    return VOCE_OK;
}

voce_status vc_stft_push(vc_stft_stream *s, const float *pcm, size_t n)
{
    compact(s);
    voce_status st = reserve(s, n);
    if (st) return st;
    double k = s->plan->p.preemph, prev = s->prev;
    double *out = s->buf + s->len;
    for (size_t i = 0; i < n; i++) {
        double x = isfinite(pcm[i]) ? pcm[i] : 0.0;
        /* NeMo keeps the first sample as it is: y[0] = x[0] */
        out[i] = k == 0.0 || s->pushed + (int64_t)i == 0 ? x : x - k * prev;
        prev = x;
    }
    s->prev = prev;
    s->len += n;
    s->pushed += (int64_t)n;
    return VOCE_OK;
}

void vc_stft_end(vc_stft_stream *s, int64_t zeros, int64_t n_frames)
{
    int64_t len = s->pushed + zeros, half = s->plan->p.n_fft / 2;
    if (s->plan->p.edge == VC_EDGE_REFLECT && len < half + 1) len = half + 1;
    s->length = len;
    s->n_frames = n_frames;
}

int vc_stft_frame_ready(const vc_stft_stream *s)
{
    if (s->n_frames >= 0) return s->next < s->n_frames;
    int64_t first = frame_start(s->plan, s->next);
    int64_t need = first + s->plan->p.win_length - 1;
    if (s->plan->p.edge == VC_EDGE_REFLECT && -first > need) need = -first;
    return need < s->pushed;
}

/* Map signal index i through the edge padding to a sample; -1 if it is not held. */
static int sample_at(const vc_stft_stream *s, int64_t i, double *v)
{
    vc_stft_edge edge = s->plan->p.edge;
    *v = 0.0;
    if (i < 0) {
        if (edge != VC_EDGE_REFLECT) return 0;
        i = -i;
    }
    if (s->length >= 0 && i >= s->length) {
        if (edge != VC_EDGE_REFLECT) return 0;
        i = 2 * (s->length - 1) - i;
    }
    if (i < 0 || (s->length < 0 && i >= s->pushed)) return -1;
    if (i >= s->pushed) return 0; /* the zeros appended at the end */
    if (i < s->start) return -1;
    *v = s->buf[i - s->start];
    return 0;
}

/* The window's samples of frame t into x (win_length values). */
static voce_status gather(const vc_stft_stream *s, int64_t t, double *x)
{
    int64_t first = frame_start(s->plan, t);
    size_t win = (size_t)s->plan->p.win_length;
    if (first >= s->start && first + (int64_t)win <= s->pushed) { /* inside the buffer */
        memcpy(x, s->buf + (first - s->start), sizeof(double) * win);
        return VOCE_OK;
    }
    for (size_t j = 0; j < win; j++)
        if (sample_at(s, first + (int64_t)j, &x[j]))
            return vc_error(VOCE_ERR_INTERNAL, "STFT frame %lld: sample %lld is not buffered", (long long)t,
                            (long long)(first + (int64_t)j));
    return VOCE_OK;
}

/* Kaldi's per-frame steps, in its order: mean removal, then pre-emphasis. */
static void frame_steps(const vc_stft_params *p, double *x)
{
    size_t n = (size_t)p->win_length;
    if (p->remove_dc) {
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) sum += x[i];
        double mean = sum / (double)n;
        for (size_t i = 0; i < n; i++) x[i] -= mean;
    }
    if (p->frame_preemph != 0.0) {
        double k = p->frame_preemph;
        for (size_t i = n - 1; i > 0; i--) x[i] -= k * x[i - 1];
        x[0] -= k * x[0];
    }
}

voce_status vc_stft_next(vc_stft_stream *s, const double **power)
{
    const vc_stft *plan = s->plan;
    const vc_stft_params *p = &plan->p;
    if (!vc_stft_frame_ready(s)) return vc_error(VOCE_ERR_INTERNAL, "STFT frame %lld is not ready", (long long)s->next);
    size_t off = p->edge == VC_EDGE_SNIP ? 0 : (size_t)(p->n_fft - p->win_length) / 2;
    double *x = s->frame + off;
    memset(s->frame, 0, sizeof(double) * (size_t)p->n_fft);
    voce_status st = gather(s, s->next, x);
    if (st) return st;
    frame_steps(p, x);
    for (int i = 0; i < p->win_length; i++) x[i] *= plan->window[i];
    vc_fft_real_ws(plan->fft, s->frame, s->spec, s->work);
    /* |X|^2 in place: bin k's power goes where its real part was read from or before */
    for (int k = 0; k <= p->n_fft / 2; k++) {
        double re = s->spec[2 * k], im = s->spec[2 * k + 1];
        s->spec[k] = re * re + im * im;
    }
    if (p->magnitude)
        for (int k = 0; k <= p->n_fft / 2; k++) s->spec[k] = sqrt(s->spec[k]);
    s->next++;
    *power = s->spec;
    return VOCE_OK;
}
