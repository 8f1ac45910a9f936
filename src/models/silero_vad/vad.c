/* The public VAD (voce/vad.h): audio in, windows through the model, probabilities
 * through the segmenter, events out to a callback, a queue or a segment list. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/error.h"
#include "model.h"
#include "segmenter.h"
#include "voce/audio.h"
#include "voce/vad.h"

struct voce_vad {
    voce_program *own_prog;     /* opened by voce_vad_open, else NULL */
    voce_vad_config cfg;
    vc_silero model;
    vc_seg seg;
    vc_seg_params params;
    float *buf;                 /* the window being filled */
    size_t fill;
    int64_t pushed;
    int flushed;
    voce_status err;            /* an error inside the segmenter's callback */
    /* polling queue, a ring */
    voce_vad_event *q;
    size_t q_head, q_len;
    /* offline collection (voce_vad_segments*), NULL otherwise */
    voce_vad_segment *segs;
    size_t n_segs, cap_segs;
    int collecting;
    float *probs;
    size_t n_probs, cap_probs;
};

voce_vad_config voce_vad_config_default(void)
{
    voce_vad_config c;
    memset(&c, 0, sizeof c);
    c.threshold = 0.5;
    c.neg_threshold = -1;
    c.min_speech_ms = 250;
    c.min_silence_ms = 100;
    c.speech_pad_ms = 30;
    c.max_speech_s = 0;
    c.min_silence_at_max_speech_ms = 98;
    c.sample_rate = 16000;
    c.max_queued_events = 4096;
    return c;
}

static voce_status check_config(const voce_vad_config *c)
{
    if (!(c->threshold >= 0 && c->threshold <= 1))
        return vc_error(VOCE_ERR_INVALID_ARG, "VAD threshold %g is outside [0, 1]", c->threshold);
    if (c->neg_threshold > 1 || isnan(c->neg_threshold))
        return vc_error(VOCE_ERR_INVALID_ARG, "VAD negative threshold %g is above 1", c->neg_threshold);
    if (c->min_speech_ms < 0 || c->min_silence_ms < 0 || c->speech_pad_ms < 0 || c->min_silence_at_max_speech_ms < 0)
        return vc_error(VOCE_ERR_INVALID_ARG, "VAD durations must not be negative");
    if (!(c->max_speech_s >= 0 && c->max_speech_s < 1e9))
        return vc_error(VOCE_ERR_INVALID_ARG, "VAD max speech %g s is not a duration (0 = unlimited)",
                        c->max_speech_s);
    if (c->sample_rate != 16000 && c->sample_rate != 8000)
        return vc_error(VOCE_ERR_INVALID_ARG, "VAD sample rate %d: Silero runs at 16000 or 8000 Hz (resample first)",
                        c->sample_rate);
    return VOCE_OK;
}

static void queue_event(voce_vad *v, const voce_vad_event *e)
{
    size_t cap = v->cfg.max_queued_events;
    if (!cap) return;
    if (v->q_len == cap) { /* nobody polls: drop the oldest */
        v->q_head = (v->q_head + 1) % cap;
        v->q_len--;
    }
    v->q[(v->q_head + v->q_len) % cap] = *e;
    v->q_len++;
}

static void collect(voce_vad *v, int is_start, int64_t sample)
{
    if (is_start) {
        if (v->n_segs == v->cap_segs) {
            size_t cap = v->cap_segs ? 2 * v->cap_segs : 64;
            voce_vad_segment *s = realloc(v->segs, sizeof *s * cap);
            if (!s) { v->err = vc_error(VOCE_ERR_NOMEM, "out of memory for VAD segments"); return; }
            v->segs = s;
            v->cap_segs = cap;
        }
        v->segs[v->n_segs].start = sample;
        v->segs[v->n_segs].start_time = (double)sample / v->cfg.sample_rate;
        return;
    }
    v->segs[v->n_segs].end = sample;
    v->segs[v->n_segs++].end_time = (double)sample / v->cfg.sample_rate;
}

static void on_seg_event(void *ctx, int is_start, int64_t sample)
{
    voce_vad *v = ctx;
    if (v->err) return;
    if (v->collecting) { collect(v, is_start, sample); return; }
    voce_vad_event e = {is_start ? VOCE_VAD_SPEECH_START : VOCE_VAD_SPEECH_END, sample,
                        (double)sample / v->cfg.sample_rate};
    queue_event(v, &e);
    if (v->cfg.on_event) v->cfg.on_event(&e, v->cfg.user_data);
}

voce_status voce_vad_open_program(voce_program *prog, const voce_vad_config *config, voce_vad **out)
{
    if (!prog || !out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_vad_open_program: NULL argument");
    *out = NULL;
    voce_vad_config c = config ? *config : voce_vad_config_default();
    voce_status st = check_config(&c);
    if (st) return st;
    voce_vad *v = calloc(1, sizeof *v);
    if (!v) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    v->cfg = c;
    st = vc_silero_open(&v->model, prog, c.sample_rate, c.threads);
    if (!st) {
        v->buf = calloc((size_t)v->model.window, sizeof(float));
        v->q = c.max_queued_events ? calloc(c.max_queued_events, sizeof *v->q) : NULL;
        if (!v->buf || (c.max_queued_events && !v->q)) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    if (st) {
        voce_vad_close(v);
        return st;
    }
    v->params = vc_seg_params_from(&c, v->model.window);
    vc_seg_init(&v->seg, &v->params, on_seg_event, v);
    *out = v;
    return VOCE_OK;
}

voce_status voce_vad_open(const char *path, const voce_vad_config *config, voce_vad **out)
{
    if (!path || !out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_vad_open: NULL argument");
    *out = NULL;
    voce_program *prog = NULL;
    voce_status st = voce_program_open(path, NULL, &prog);
    if (st) return st; /* the message names the file */
    st = voce_vad_open_program(prog, config, out);
    if (st) {
        vc_error_prefix(st, "%s: ", path);
        voce_program_close(prog);
        return st;
    }
    (*out)->own_prog = prog;
    return VOCE_OK;
}

void voce_vad_close(voce_vad *v)
{
    if (!v) return;
    vc_silero_close(&v->model);
    vc_seg_free(&v->seg);
    free(v->buf);
    free(v->q);
    free(v->segs);
    free(v->probs);
    voce_program_close(v->own_prog);
    free(v);
}

void voce_vad_reset(voce_vad *v)
{
    if (!v) return;
    vc_silero_reset(&v->model);
    vc_seg_free(&v->seg);
    vc_seg_init(&v->seg, &v->params, on_seg_event, v);
    v->fill = 0;
    v->pushed = 0;
    v->flushed = 0;
    v->err = VOCE_OK;
    v->q_head = v->q_len = 0;
    v->n_segs = 0;
    v->n_probs = 0;
}

static voce_status keep_prob(voce_vad *v, float p)
{
    if (v->n_probs == v->cap_probs) {
        size_t cap = v->cap_probs ? 2 * v->cap_probs : 1024;
        float *np = realloc(v->probs, sizeof *np * cap);
        if (!np) return vc_error(VOCE_ERR_NOMEM, "out of memory for VAD probabilities");
        v->probs = np;
        v->cap_probs = cap;
    }
    v->probs[v->n_probs++] = p;
    return VOCE_OK;
}

/* Run the model on the full window in buf; pushed is what exists of the audio. */
static voce_status run_window(voce_vad *v)
{
    float p;
    voce_status st = vc_silero_run(&v->model, v->buf, &p);
    if (!st && v->cfg.keep_probs) st = keep_prob(v, p);
    if (!st && v->cfg.on_window && !v->collecting) v->cfg.on_window(v->seg.nw, p, v->cfg.user_data);
    if (!st && vc_seg_window(&v->seg, p, v->pushed))
        st = vc_error(VOCE_ERR_NOMEM, "out of memory for VAD split points");
    if (!st) st = v->err;
    v->fill = 0;
    return st;
}

voce_status voce_vad_push(voce_vad *v, const float *pcm, size_t n)
{
    if (!v || (!pcm && n)) return vc_error(VOCE_ERR_INVALID_ARG, "voce_vad_push: NULL argument");
    if (v->flushed) return vc_error(VOCE_ERR_STATE, "voce_vad_push after voce_vad_flush: call voce_vad_reset first");
    if (v->err) return v->err;
    size_t w = (size_t)v->model.window;
    for (size_t i = 0; i < n; i++) {
        float x = pcm[i];
        v->buf[v->fill++] = isfinite(x) ? x : 0.0f; /* NaN/inf would poison the state */
        v->pushed++;
        if (v->fill == w) {
            voce_status st = run_window(v);
            if (st) return v->err = st;
        }
    }
    return VOCE_OK;
}

voce_status voce_vad_flush(voce_vad *v)
{
    if (!v) return vc_error(VOCE_ERR_INVALID_ARG, "voce_vad_flush: NULL argument");
    if (v->flushed) return VOCE_OK;
    if (v->err) return v->err;
    voce_status st = VOCE_OK;
    if (v->fill) { /* the last partial window, zero-padded as upstream pads it */
        memset(v->buf + v->fill, 0, sizeof(float) * ((size_t)v->model.window - v->fill));
        st = run_window(v);
    }
    if (st) return v->err = st;
    vc_seg_finish(&v->seg, v->pushed);
    v->flushed = 1;
    return v->err;
}

int voce_vad_next_event(voce_vad *v, voce_vad_event *e)
{
    if (!v || !e || !v->q_len) return 0;
    *e = v->q[v->q_head];
    v->q_head = (v->q_head + 1) % v->cfg.max_queued_events;
    v->q_len--;
    return 1;
}

int voce_vad_in_speech(const voce_vad *v) { return v && vc_seg_in_speech(&v->seg); }

const float *voce_vad_probs(const voce_vad *v, size_t *n_windows)
{
    if (n_windows) *n_windows = v ? v->n_probs : 0;
    return v ? v->probs : NULL;
}

int voce_vad_window(const voce_vad *v) { return v ? v->model.window : 0; }
int voce_vad_model_version(const voce_vad *v) { return v ? v->model.version : 0; }

static voce_status take_segments(voce_vad *v, voce_status st, voce_vad_segment **segments, size_t *n_segments)
{
    v->collecting = 0;
    if (st) {
        v->n_segs = 0;
        return st;
    }
    *segments = v->n_segs ? v->segs : NULL;
    *n_segments = v->n_segs;
    if (v->n_segs) { /* the caller owns them now */
        v->segs = NULL;
        v->cap_segs = 0;
    }
    v->n_segs = 0;
    return VOCE_OK;
}

voce_status voce_vad_segments(voce_vad *v, const float *pcm, size_t n, voce_vad_segment **segments,
                              size_t *n_segments)
{
    if (!v || !segments || !n_segments || (!pcm && n))
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_vad_segments: NULL argument");
    *segments = NULL;
    *n_segments = 0;
    voce_vad_reset(v);
    v->collecting = 1;
    voce_status st = voce_vad_push(v, pcm, n);
    if (!st) st = voce_vad_flush(v);
    return take_segments(v, st, segments, n_segments);
}

voce_status voce_vad_segments_file(voce_vad *v, const char *path, voce_vad_segment **segments, size_t *n_segments)
{
    if (!v || !path || !segments || !n_segments)
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_vad_segments_file: NULL argument");
    *segments = NULL;
    *n_segments = 0;
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = v->cfg.sample_rate;
    voce_audio *a = NULL;
    voce_status st = voce_audio_open(path, &o, &a);
    if (st) return st;
    voce_vad_reset(v);
    v->collecting = 1;
    float block[4096];
    size_t got = 0;
    while (!st && !(st = voce_audio_read(a, block, 4096, &got)) && (got || !voce_audio_at_end(a)))
        st = voce_vad_push(v, block, got);
    voce_audio_close(a);
    if (!st) st = voce_vad_flush(v);
    return take_segments(v, st, segments, n_segments);
}
