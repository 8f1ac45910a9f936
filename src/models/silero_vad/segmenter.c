/* See segmenter.h. The raw stage keeps get_speech_timestamps' variable names so that
 * the two can be read side by side. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segmenter.h"

vc_seg_params vc_seg_params_from(const voce_vad_config *c, int window)
{
    double sr = c->sample_rate;
    vc_seg_params p;
    p.window = window;
    p.threshold = c->threshold;
    p.neg_threshold = c->neg_threshold < 0 ? fmax(c->threshold - 0.15, 0.01) : c->neg_threshold;
    p.min_speech = sr * c->min_speech_ms / 1000;
    p.min_silence = sr * c->min_silence_ms / 1000;
    p.pad = sr * c->speech_pad_ms / 1000;
    p.max_speech = c->max_speech_s > 0 ? sr * c->max_speech_s - window - 2 * p.pad : INFINITY;
    p.min_silence_at_max = sr * c->min_silence_at_max_speech_ms / 1000;
    return p;
}

void vc_seg_init(vc_seg *s, const vc_seg_params *p, vc_seg_emit emit, void *ctx)
{
    memset(s, 0, sizeof *s);
    s->p = *p;
    s->emit = emit;
    s->ctx = ctx;
}

void vc_seg_free(vc_seg *s)
{
    free(s->ends);
    s->ends = NULL;
    s->n_ends = s->cap_ends = 0;
}

int vc_seg_in_speech(const vc_seg *s) { return s->cur_started || s->end_pending; }

/* ---- padding stage ---- */

static int64_t trunc_i64(double x) { return (int64_t)x; }

/* The start of the next kept segment is known: the previous end and this start are
 * padded against each other, or by pad where they are far apart. */
static void start_event(vc_seg *s, int64_t start)
{
    double pad = s->p.pad;
    int64_t padded;
    if (!s->have_kept) {
        padded = trunc_i64(fmax(0, (double)start - pad));
    } else {
        int64_t gap = start - s->kept_end;
        int close = (double)gap < 2 * pad;
        if (s->end_pending) s->emit(s->ctx, 0, close ? s->kept_end + gap / 2 : trunc_i64((double)s->kept_end + pad));
        padded = close ? (start - gap / 2 > 0 ? start - gap / 2 : 0) : trunc_i64(fmax(0, (double)start - pad));
    }
    s->end_pending = 0;
    s->emit(s->ctx, 1, padded);
}

static void kept(vc_seg *s, int64_t start, int64_t end)
{
    if (!s->cur_started) start_event(s, start);
    s->cur_started = 0;
    s->have_kept = 1;
    s->kept_end = end;
    s->end_pending = 1;
}

/* Start the open segment once no end can come soon enough to drop it. Its end is at
 * least temp_end, or the next window's start (or the audio's end) if none is set. */
static void try_confirm(vc_seg *s, int64_t pushed)
{
    if (!s->triggered || s->cur_started) return;
    int64_t next = s->nw * s->p.window < pushed ? s->nw * s->p.window : pushed;
    int64_t lower = s->temp_end ? s->temp_end : next;
    if ((double)(lower - s->cur_start) > s->p.min_speech) {
        start_event(s, s->cur_start);
        s->cur_started = 1;
    }
}

/* End the last kept segment once no segment can start within two pads of it. */
static void try_resolve(vc_seg *s, int64_t pushed)
{
    if (!s->end_pending) return;
    int64_t next_start = s->triggered ? s->cur_start : s->nw * s->p.window;
    if ((double)(next_start - s->kept_end) < 2 * s->p.pad) return;
    if ((double)s->kept_end + s->p.pad > (double)pushed) return;
    s->emit(s->ctx, 0, trunc_i64((double)s->kept_end + s->p.pad));
    s->end_pending = 0;
}

/* ---- raw stage ---- */

static int add_possible_end(vc_seg *s, int64_t end, int64_t dur)
{
    if (isinf(s->p.max_speech)) return 0; /* never used without a maximum */
    if (s->n_ends == s->cap_ends) {
        int cap = s->cap_ends ? 2 * s->cap_ends : 16;
        vc_possible_end *e = realloc(s->ends, sizeof *e * (size_t)cap);
        if (!e) return -1;
        s->ends = e;
        s->cap_ends = cap;
    }
    s->ends[s->n_ends].end = end;
    s->ends[s->n_ends++].dur = dur;
    return 0;
}

static void close_raw(vc_seg *s)
{
    s->prev_end = s->next_start = s->temp_end = 0;
    s->triggered = 0;
    s->n_ends = 0;
}

/* The segment grew past max_speech: cut at the longest silence inside it (the first
 * of equals), or here. Returns 1 when the window is done (get_speech_timestamps'
 * `continue`). */
static int split(vc_seg *s, int64_t x)
{
    if (s->n_ends == 0) {
        kept(s, s->cur_start, x);
        close_raw(s);
        return 1;
    }
    int best = 0;
    for (int k = 1; k < s->n_ends; k++)
        if (s->ends[k].dur > s->ends[best].dur) best = k;
    s->prev_end = s->ends[best].end;
    int64_t dur = s->ends[best].dur;
    kept(s, s->cur_start, s->prev_end);
    s->next_start = s->prev_end + dur;
    if (s->next_start < s->prev_end + x) s->cur_start = s->next_start; /* still in speech */
    else s->triggered = 0;
    int n = 0;
    for (int k = 0; k < s->n_ends; k++)
        if (s->ends[k].end > s->next_start) s->ends[n++] = s->ends[k];
    s->n_ends = n;
    s->prev_end = s->next_start = s->temp_end = 0;
    return 0;
}

/* get_speech_timestamps' loop body for window i = s->nw at sample x. */
static int raw_window(vc_seg *s, double prob, int64_t x)
{
    const vc_seg_params *p = &s->p;
    if (prob >= p->threshold && s->temp_end) {
        int64_t sil = x - s->temp_end;
        if ((double)sil > p->min_silence_at_max && add_possible_end(s, s->temp_end, sil)) return -1;
        s->temp_end = 0;
        if (s->next_start < s->prev_end) s->next_start = x;
    }
    if (prob >= p->threshold && !s->triggered) {
        s->triggered = 1;
        s->cur_start = x;
        return 0;
    }
    if (s->triggered && (double)(x - s->cur_start) > p->max_speech && split(s, x)) return 0;
    if (prob < p->neg_threshold && s->triggered) {
        if (!s->temp_end) s->temp_end = x;
        if ((double)(x - s->temp_end) < p->min_silence) return 0;
        if ((double)(s->temp_end - s->cur_start) > p->min_speech) kept(s, s->cur_start, s->temp_end);
        s->cur_started = 0; /* a dropped segment was never started */
        close_raw(s);
    }
    return 0;
}

int vc_seg_window(vc_seg *s, double prob, int64_t pushed)
{
    int64_t x = s->nw * s->p.window;
    int rc = raw_window(s, prob, x);
    s->nw++;
    try_confirm(s, pushed);
    try_resolve(s, pushed);
    return rc;
}

void vc_seg_finish(vc_seg *s, int64_t n_samples)
{
    if (s->triggered && (double)(n_samples - s->cur_start) > s->p.min_speech) kept(s, s->cur_start, n_samples);
    s->triggered = 0;
    s->cur_started = 0;
    if (s->end_pending) {
        double end = fmin((double)n_samples, (double)s->kept_end + s->p.pad);
        s->emit(s->ctx, 0, trunc_i64(end));
        s->end_pending = 0;
    }
}
