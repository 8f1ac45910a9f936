/* Whisper over audio of any length, by the rules of openai-whisper's transcribe():
 * 30 s windows of log-mel, each decoded with the temperature fallback (decode.h); the
 * window's timestamp tokens cut it into segments and say where the next window starts
 * (the last timestamp, or the window's end when the text ended on a single one);
 * windows judged silent are skipped; each window is prompted with the text so far
 * (unless condition_on_previous_text is off or the last window needed a temperature
 * above 0.5); word times come from the alignment heads (timing.h).
 *
 *   vc_whisper_runner r;
 *   vc_whisper_runner_open(&r, prog, &method_options);
 *   vc_whisper_run_params p = vc_whisper_run_params_default();
 *   vc_whisper_transcript t;
 *   vc_whisper_transcribe(&r, pcm, n, &p, &t);   // t.seg[i], t.tokens, t.words
 *   vc_whisper_transcript_free(&t);
 *   vc_whisper_runner_close(&r);
 *
 * Beam search and best-of decode several sequences at once, in lockstep, as one batch of
 * the decoder (its caches reordered between steps with voce_method_reorder_state).
 *
 * Limit: at most VC_WHISPER_MAX_SECONDS of audio per call. Whisper's log-mel is
 * normalised by the maximum over the whole input, so the whole log-mel is held (115 MB
 * per hour, beside the caller's samples, 230 MB per hour as float); longer input is
 * refused with a message, not left to exhaust memory. */
#ifndef VC_WHISPER_TRANSCRIBE_H
#define VC_WHISPER_TRANSCRIBE_H

#define VC_WHISPER_MAX_SECONDS (24 * 3600)

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "model.h"
#include "timing.h"
#include "voce/features.h"

typedef struct vc_whisper_runner {
    vc_whisper_model model;
    vc_whisper_decoder *dec;
    voce_features *fe;
    int32_t *non_speech;
    size_t n_non_speech;
    float *window;          /* [n_mels][n_frames] */
    int32_t *batch_tokens;  /* the tokens of one lockstep step of every sequence */
} vc_whisper_runner;

voce_status vc_whisper_runner_open(vc_whisper_runner *r, const voce_program *prog,
                                   const voce_method_options *mo);
void vc_whisper_runner_close(vc_whisper_runner *r);

typedef struct vc_whisper_run_params {
    vc_whisper_options decode;      /* language, task, temperatures, thresholds, ... */
    int condition_on_previous_text; /* 1 */
    const char *initial_prompt;     /* NULL */
    int word_timestamps;            /* 0 */
    void (*progress)(double fraction, void *user);
    int (*abort)(void *user);
    void *user;
} vc_whisper_run_params;

vc_whisper_run_params vc_whisper_run_params_default(void);

typedef struct vc_whisper_seg {
    int64_t seek;           /* first mel frame of its window */
    double start, end;
    int tok_begin, n_tok;   /* its tokens (text and timestamps) in the transcript's tokens */
    int word_begin, n_words;
    float temperature, avg_logprob, compression_ratio, no_speech_prob;
} vc_whisper_seg;

typedef struct vc_whisper_transcript {
    vc_whisper_seg *seg;
    int n_seg, cap_seg;
    int32_t *tokens;
    int n_tok, cap_tok;
    vc_whisper_word *words; /* texts point into word_text */
    int n_words, cap_words;
    char *word_text;
    size_t word_text_len, word_text_cap;
    int language;           /* index, -1 for English-only models */
    double language_prob;
    double duration;
} vc_whisper_transcript;

void vc_whisper_transcript_free(vc_whisper_transcript *t);

/* pcm: mono samples at 16 kHz. */
voce_status vc_whisper_transcribe(vc_whisper_runner *r, const float *pcm, size_t n,
                                  const vc_whisper_run_params *p, vc_whisper_transcript *out);

/* The text of tokens (ids below eot; the others are skipped) as openai's decode gives
 * it, malloc'd and NUL-terminated. */
voce_status vc_whisper_text_of(const vc_whisper_runner *r, const int32_t *tokens, int n,
                               char **text, size_t *len);

#endif
