/* voce VAD: speech segments from a Silero VAD program, streaming or offline.
 *
 *   voce_vad_config c = voce_vad_config_default();   // threshold 0.5, 16 kHz, ...
 *   c.on_event = print_event;                        // or poll with voce_vad_next_event
 *   c.user_data = my_state;
 *   voce_vad *vad = NULL;
 *   if (voce_vad_open("silero.voce", &c, &vad)) { puts(voce_last_error()); return 1; }
 *   while ((n = read_microphone(buf, 480)) > 0)
 *       voce_vad_push(vad, buf, n);                  // any number of samples
 *   voce_vad_flush(vad);                             // end of stream: closes speech
 *   voce_vad_close(vad);
 *
 * The program comes from `voce compile --family silero-vad silero_vad.onnx -o X.voce`,
 * which records the model generation (v4: h/c state; v5 and v6: one state tensor and
 * a 64-sample context, 32 at 8 kHz) and the sample rates it serves in its metadata.
 *
 * Segmentation follows the rules of silero-vad's get_speech_timestamps(), applied as
 * the audio arrives: a window whose probability is >= threshold starts speech; speech
 * ends after min_silence_ms of windows below neg_threshold; segments of at most
 * min_speech_ms are dropped; segments longer than max_speech_s are split at the
 * longest silence over 98 ms inside them, else cut; every segment is padded by
 * speech_pad_ms on both sides, and where two segments are closer than two pads the gap
 * between them is split in half. The segments are therefore the same, to the sample,
 * as get_speech_timestamps() gives for the same probabilities. An event is reported
 * as soon as it can no longer change: a start once the segment is certain to outlast
 * min_speech_ms, an end once no later speech can move it (for the defaults, the end
 * is known min_silence_ms after the speech stops).
 *
 * Times are sample indices at config.sample_rate from the first pushed sample.
 * Samples must be at config.sample_rate (use voce_resampler from audio.h otherwise).
 * NaN and infinite samples are treated as 0.
 *
 * Thread safety: a voce_vad is used by one thread at a time. Several voce_vad may
 * share one voce_program (voce_vad_open_program) across threads.
 */
#ifndef VOCE_VAD_H
#define VOCE_VAD_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"
#include "voce.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct voce_vad voce_vad;

typedef enum voce_vad_event_type {
    VOCE_VAD_SPEECH_START = 1,
    VOCE_VAD_SPEECH_END = 2
} voce_vad_event_type;

typedef struct voce_vad_event {
    voce_vad_event_type type;
    int64_t sample;         /* where speech starts (first sample) or ends (one past last) */
    double time;            /* the same in seconds */
} voce_vad_event;

typedef struct voce_vad_segment {
    int64_t start, end;     /* samples, end exclusive */
    double start_time, end_time; /* seconds */
} voce_vad_segment;

typedef void (*voce_vad_event_fn)(const voce_vad_event *event, void *user_data);

/* Window `index` (covering samples [index * window, (index + 1) * window)) had
 * speech probability prob. */
typedef void (*voce_vad_window_fn)(int64_t index, float prob, void *user_data);

typedef struct voce_vad_config {
    double threshold;       /* speech when probability >= threshold. 0.5 */
    double neg_threshold;   /* silence when probability < this; < 0: max(threshold - 0.15, 0.01). -1 */
    int min_speech_ms;      /* drop segments this short or shorter. 250 */
    int min_silence_ms;     /* silence needed to end speech. 100 */
    int speech_pad_ms;      /* padding on each side of a segment. 30 */
    double max_speech_s;    /* split longer segments; 0 = unlimited. 0 */
    int min_silence_at_max_speech_ms; /* silences considered for a split. 98 */
    int sample_rate;        /* 16000 or 8000 (the program must serve it). 16000 */
    int keep_probs;         /* record each window's probability (voce_vad_probs). 0 */
    voce_vad_event_fn on_event;  /* called from push/flush for each event, or NULL */
    voce_vad_window_fn on_window;/* called for each window, before its events, or NULL */
    void *user_data;             /* passed to both callbacks */
    size_t max_queued_events;    /* events kept for polling; older ones are dropped
                                    (and counted) when no one polls. 4096 */
    int threads;            /* threads of the model's kernels (voce_method_options);
                               0 = one per physical core. Silero's windows are too small
                               to split, so more threads change nothing there. 0 */
} voce_vad_config;

voce_vad_config voce_vad_config_default(void);

/* Open a program file and create a VAD on it. */
voce_status voce_vad_open(const char *path, const voce_vad_config *config, voce_vad **out);

/* Create a VAD on an open program (shared, must outlive the VAD). */
voce_status voce_vad_open_program(voce_program *prog, const voce_vad_config *config,
                                  voce_vad **out);

/* Feed samples (mono, config.sample_rate). Runs the model on each full window. */
voce_status voce_vad_push(voce_vad *vad, const float *pcm, size_t n);

/* End of stream: runs the last partial window (zero-padded), closes open speech at the
 * last sample and reports what is left. Pushing after a flush is a VOCE_ERR_STATE
 * error: call voce_vad_reset to start a new stream. */
voce_status voce_vad_flush(voce_vad *vad);

/* Back to the state of a new VAD (model state, times, events, probabilities). */
void voce_vad_reset(voce_vad *vad);

/* Next queued event, oldest first: 1 if one was written to *event, 0 if none. Events
 * are queued whether or not a callback is set. */
int voce_vad_next_event(voce_vad *vad, voce_vad_event *event);

/* 1 while the stream is inside (confirmed) speech. */
int voce_vad_in_speech(const voce_vad *vad);

/* Probabilities of all windows run so far (config.keep_probs), owned by the VAD and
 * valid until the next push/flush/reset. Window i covers samples
 * [i * window, (i + 1) * window). */
const float *voce_vad_probs(const voce_vad *vad, size_t *n_windows);

/* Samples per window (512 at 16 kHz, 256 at 8 kHz) and the model generation (4, 5, 6). */
int voce_vad_window(const voce_vad *vad);
int voce_vad_model_version(const voce_vad *vad);

void voce_vad_close(voce_vad *vad);

/* Offline: all segments of a buffer at config->sample_rate. *segments is malloc'ed
 * (free() it), NULL when there are none. config callbacks are not called. */
voce_status voce_vad_segments(voce_vad *vad, const float *pcm, size_t n,
                              voce_vad_segment **segments, size_t *n_segments);

/* Offline from a file: decoded, mixed to mono and resampled to config.sample_rate
 * block by block (audio.h), so memory stays flat however long the file. */
voce_status voce_vad_segments_file(voce_vad *vad, const char *audio_path,
                                   voce_vad_segment **segments, size_t *n_segments);

#ifdef __cplusplus
}
#endif

#endif
