/* Speech segments from per-window speech probabilities, by the rules of silero-vad's
 * get_speech_timestamps(), decided as the windows arrive.
 *
 * Two stages. The raw stage is get_speech_timestamps' loop over probabilities: it
 * opens a segment at a window >= threshold, closes it after min_silence of windows
 * below neg_threshold (dropping it if not longer than min_speech), splits it past
 * max_speech. The padding stage then widens each kept segment by pad, or by half the
 * gap when two segments are closer than two pads. Padding looks one segment ahead, so
 * an event is emitted only once nothing later can change it:
 *   - a start, once its segment is certain to be kept (its end cannot come before
 *     start + min_speech any more, or it was split off);
 *   - an end, once the next kept segment's start is known or no segment can start
 *     closer than two pads to it (and end + pad has been pushed).
 * Positions are sample indices; all arithmetic matches the Python (doubles for the
 * sample counts derived from milliseconds, truncation to integers where it truncates).
 */
#ifndef VC_VAD_SEGMENTER_H
#define VC_VAD_SEGMENTER_H

#include <stdint.h>

#include "voce/vad.h"

typedef struct vc_seg_params {
    int64_t window;             /* samples per window */
    double threshold, neg_threshold;
    double min_speech, min_silence, pad; /* samples */
    double max_speech;          /* samples, already less window and two pads; INFINITY: none */
    double min_silence_at_max;  /* samples */
} vc_seg_params;

/* Receives each event as decided: start (is_start = 1) or end, at a sample. */
typedef void (*vc_seg_emit)(void *ctx, int is_start, int64_t sample);

typedef struct vc_possible_end {
    int64_t end, dur;
} vc_possible_end;

typedef struct vc_seg {
    vc_seg_params p;
    vc_seg_emit emit;
    void *ctx;
    int64_t nw;                 /* windows seen */
    /* raw stage, named as in get_speech_timestamps */
    int triggered, has_cur;
    int64_t cur_start, temp_end, prev_end, next_start;
    vc_possible_end *ends;      /* only kept when max_speech is finite */
    int n_ends, cap_ends;
    /* padding stage */
    int have_kept;              /* a segment was kept before */
    int64_t kept_end;           /* raw end of the last kept segment */
    int end_pending;            /* its end event is not out yet */
    int cur_started;            /* the open segment's start event is out */
} vc_seg;

/* Sample counts from a configuration, derived as get_speech_timestamps derives them
 * (doubles, the same order of operations). */
vc_seg_params vc_seg_params_from(const voce_vad_config *c, int window);

void vc_seg_init(vc_seg *s, const vc_seg_params *p, vc_seg_emit emit, void *ctx);
void vc_seg_free(vc_seg *s);

/* Window nw's probability; pushed is how many samples exist so far (>= (nw+1)*window,
 * or the audio's length for its last window). -1 if memory ran out (max_speech's list
 * of possible ends could not grow), else 0. */
int vc_seg_window(vc_seg *s, double prob, int64_t pushed);

/* End of audio of n_samples (the last window, zero-padded, must have been given). */
void vc_seg_finish(vc_seg *s, int64_t n_samples);

/* 1 while a segment's start is out and its end is not. */
int vc_seg_in_speech(const vc_seg *s);

#endif
