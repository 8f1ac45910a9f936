/* voce ASR: speech to text with times, one API for every recognizer family (Whisper;
 * NeMo's TDT, RNN-T and CTC models, docs/transducer.md).
 *
 *   voce_asr_config c = voce_asr_config_default();
 *   c.threads = 2;
 *   voce_asr *asr = NULL;
 *   if (voce_asr_open("whisper-base.voce", &c, &asr)) { puts(voce_last_error()); return 1; }
 *   voce_transcribe_params p = voce_transcribe_params_default();
 *   p.language = "auto";                    // detect; or "en", "de", ...
 *   p.word_timestamps = 1;
 *   voce_transcript *t = NULL;
 *   if (voce_asr_transcribe_file(asr, "talk.wav", &p, &t)) { puts(voce_last_error()); ... }
 *   for (size_t i = 0; i < t->n_segments; i++)
 *       printf("[%.2f -> %.2f] %s\n", t->segments[i].start, t->segments[i].end,
 *              t->segments[i].text);
 *   voce_transcript_free(t);
 *   voce_asr_close(asr);
 *
 * The program comes from `voce compile --family whisper DIR -o X.voce` (docs/whisper.md)
 * or `voce compile --family transducer|ctc DIR -o X.voce` (docs/transducer.md: which of
 * the parameters below apply to those, and which are refused); everything the recognizer needs (vocabulary, special tokens, front end, sizes) is in
 * its metadata, so nothing about a model's size is built in.
 *
 * Times are seconds from the start of the audio given. Text is UTF-8. A transcript owns
 * all of its strings and arrays; free it with voce_transcript_free.
 *
 * Thread safety: a voce_asr is used by one thread at a time; open one per thread (they
 * may share the file's pages: the program is mapped read-only).
 */
#ifndef VOCE_ASR_H
#define VOCE_ASR_H

#include <stddef.h>
#include <stdint.h>

#include "voce.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct voce_asr voce_asr;

typedef struct voce_asr_config {
    int threads;            /* kernel threads; 0 = one per physical core. 0 */
    uint64_t memory_limit;  /* bytes of intermediate tensors per method instance. 4 GiB */
    /* A Silero VAD program (voce compile --family silero-vad). With one, speech is
     * found first and only speech is decoded (see voce_transcribe_params.vad). NULL */
    const char *vad_model;
} voce_asr_config;

voce_asr_config voce_asr_config_default(void);

voce_status voce_asr_open(const char *path, const voce_asr_config *config, voce_asr **out);
void voce_asr_close(voce_asr *asr);

/* Sample rate the recognizer works at (16000 for Whisper); audio files are resampled
 * to it, buffers must already be at it. */
int voce_asr_sample_rate(const voce_asr *asr);

/* "whisper" or "transducer" (TDT, RNN-T and CTC programs). */
const char *voce_asr_family(const voce_asr *asr);

/* Languages the model knows, as codes ("en", "zh", ...); 0 for an English-only model
 * and for transducer programs (they cannot be told a language). */
size_t voce_asr_language_count(const voce_asr *asr);
const char *voce_asr_language(const voce_asr *asr, size_t index);

typedef enum voce_asr_task {
    VOCE_TASK_TRANSCRIBE = 0,
    VOCE_TASK_TRANSLATE = 1     /* to English (Whisper multilingual models) */
} voce_asr_task;

/* Called with the fraction of the audio done (0..1). */
typedef void (*voce_progress_fn)(double fraction, void *user_data);
/* Return nonzero to stop: the call then fails with VOCE_ERR_ABORTED. */
typedef int (*voce_abort_fn)(void *user_data);

typedef struct voce_transcribe_params {
    const char *language;   /* code, English name, or "auto" / NULL to detect. NULL */
    voce_asr_task task;     /* VOCE_TASK_TRANSCRIBE */
    /* Search: beam_size > 1 runs beam search at temperature 0 (patience scales how many
     * finished beams it waits for); 1 decodes greedily; 0 (the default) takes the model
     * family's default: 5 beams for Whisper (as the openai-whisper command line), greedy
     * for NeMo transducers (as NeMo). best_of candidates are sampled at temperatures
     * above 0. length_penalty < 0: rank by log-probability / length, else by the Google
     * NMT penalty with that alpha. Defaults 0, 1.0, 5, -1. */
    int beam_size;
    float patience;
    int best_of;
    float length_penalty;
    /* Temperature fallback: decoding starts at `temperature` and retries, up to 1.0 in
     * steps of temperature_increment (0: no fallback), while the text's gzip compression
     * ratio is above compression_ratio_threshold or its average log-probability below
     * logprob_threshold; a window with no-speech probability above no_speech_threshold
     * and a low log-probability is taken as silence. 0, 0.2, 2.4, -1, 0.6 */
    float temperature;
    float temperature_increment;
    float compression_ratio_threshold;
    float logprob_threshold;
    float no_speech_threshold;
    int condition_on_previous_text;  /* prompt each window with the text so far. 1 */
    const char *initial_prompt;      /* text for the first window's prompt. NULL */
    int timestamps;                  /* segment times from timestamp tokens. 1 */
    int word_timestamps;             /* word times (cross-attention alignment). 0 */
    /* VAD gating when the recognizer was opened with a VAD model: 1 on, 0 off, -1 (the
     * default) on for audio longer than 30 s. */
    int vad;
    uint64_t seed;                   /* sampling at temperature > 0. 0 */
    voce_progress_fn progress;
    voce_abort_fn abort;
    void *user_data;
} voce_transcribe_params;

voce_transcribe_params voce_transcribe_params_default(void);

typedef struct voce_token {
    int32_t id;
    const char *text;       /* the token's bytes as text ("" for special tokens) */
    double start, end;      /* seconds; equal to the segment's when not aligned */
    float probability;
    float logprob;
} voce_token;

typedef struct voce_word {
    const char *text;       /* with its leading space, as decoded */
    double start, end;
    float probability;
} voce_word;

typedef struct voce_segment {
    int id;
    double start, end;
    const char *text;
    const voce_token *tokens;
    size_t n_tokens;
    const voce_word *words; /* NULL unless word timestamps were asked for */
    size_t n_words;
    float avg_logprob;
    float no_speech_prob;
    float compression_ratio;
    float temperature;      /* the temperature of the decode that was kept */
} voce_segment;

typedef struct voce_transcript {
    const char *text;           /* every kept token decoded at once (as openai-whisper's
                                   result["text"]: a character split between segments
                                   stays whole) */
    const char *language;       /* code of the language transcribed */
    float language_probability; /* when detected; 1 when given */
    double duration;            /* seconds of audio */
    const voce_segment *segments;
    size_t n_segments;
} voce_transcript;

/* Transcribe n samples of mono float audio at voce_asr_sample_rate(). */
voce_status voce_asr_transcribe(voce_asr *asr, const float *samples, size_t n,
                                const voce_transcribe_params *params, voce_transcript **out);

/* The same for an audio file (WAV always; FLAC, Ogg, MP3 with libsndfile), mixed to
 * mono and resampled as needed. */
voce_status voce_asr_transcribe_file(voce_asr *asr, const char *path,
                                     const voce_transcribe_params *params,
                                     voce_transcript **out);

void voce_transcript_free(voce_transcript *t);

/* ---- writing transcripts ---- */

typedef enum voce_transcript_format {
    VOCE_FORMAT_TXT = 0,        /* one line per segment */
    VOCE_FORMAT_SRT,
    VOCE_FORMAT_VTT,
    VOCE_FORMAT_TSV,            /* start, end (milliseconds), text */
    VOCE_FORMAT_JSON,           /* {"text", "segments": [...], "language"} */
    VOCE_FORMAT_VERBOSE_JSON    /* shaped like OpenAI's transcription response */
} voce_transcript_format;

/* Parse "txt", "srt", "vtt", "tsv", "json", "verbose_json". */
voce_status voce_transcript_format_parse(const char *name, voce_transcript_format *out);

/* The transcript in that format as a NUL-terminated UTF-8 string (malloc'd; free() it).
 * *len (may be NULL) gets its length. */
voce_status voce_transcript_write(const voce_transcript *t, voce_transcript_format format,
                                  char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
