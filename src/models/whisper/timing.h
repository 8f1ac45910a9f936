/* Whisper word-level timestamps: dynamic time warping over the alignment heads'
 * cross-attention, by the rules of openai-whisper's timing.py (find_alignment,
 * merge_punctuations, add_word_timestamps) and the word splitting of its tokenizer.
 *
 *   vc_whisper_timing_params p = vc_whisper_timing_defaults();
 *   vc_whisper_attention a = {weights, n_heads, 3 + n_text + 2, 1500, VC_WHISPER_ATTN_PROBS};
 *   vc_whisper_text t = {tokens, probs, n_text, 50257, VC_WHISPER_SPLIT_SPACES, bytes_of, vocab};
 *   vc_whisper_segment segs[2] = {{.start = 0.0, .end = 4.2, .n_tokens = 9},
 *                                 {.start = 4.2, .end = 7.0, .n_tokens = 6}};
 *   vc_whisper_words w;
 *   if (vc_whisper_add_word_timestamps(&p, &a, 3, num_frames, seek, &t, segs, 2,
 *                                      last_speech, &w) == VOCE_OK) {
 *       for (int i = segs[0].word_begin; i < segs[0].word_end; i++)
 *           printf("%.*s %.2f-%.2f\n", (int)w.w[i].len, w.w[i].text, w.w[i].start, w.w[i].end);
 *       vc_whisper_words_free(&w);
 *   }
 *
 * The attention comes from one teacher-forced decoder pass over
 *   [sot sequence (n_sot tokens), <|notimestamps|>, text tokens..., <|endoftext|>]
 * (no prompt), whatever the segments were decoded with; row r of each head holds what
 * position r attends to. Heads in openai's order (layer, then head ascending). Only
 * frames [0, num_frames / input_stride) are used, input_stride = n_frames / n_audio_ctx
 * (2). The same pass gives each text token's probability: the softmax of the logits
 * over the ids below <|endoftext|>, at position n_sot + i for text token i.
 *
 * Deviations from timing.py, each where timing.py would produce NaN or crash:
 *   - a head whose weights at one frame are equal over all rows (standard deviation 0)
 *     gets 0 there; torch computes 0/0 = NaN, which then spreads through the DTW;
 *   - input with NaN, +inf or negative probabilities is refused, not aligned;
 *   - where split_tokens_on_unicode raises IndexError, the group stays open (below).
 * Times are seconds (doubles); everything else is as timing.py computes it: float32
 * weights, float32 DTW costs over float64 inputs, times = frame / frames-per-second. */
#ifndef VC_WHISPER_TIMING_H
#define VC_WHISPER_TIMING_H

#include <stddef.h>
#include <stdint.h>

#include "voce/voce.h"

typedef struct vc_whisper_timing_params {
    int sample_rate;        /* 16000 */
    int hop_length;         /* 160: samples per mel frame */
    int n_frames;           /* 3000: mel frames per 30 s window */
    int n_audio_ctx;        /* 1500: encoder frames per window */
    int medfilt_width;      /* 7: odd */
    const char *prepend_punctuations; /* UTF-8; NULL: openai's default "'“¿([{- */
    const char *append_punctuations;  /* UTF-8; NULL: openai's default "'.。,，!！?？:：”)]}、 */
} vc_whisper_timing_params;

vc_whisper_timing_params vc_whisper_timing_defaults(void);

/* ---- the alignment matrix and DTW ---- */

typedef enum vc_whisper_attn_kind {
    /* softmax over the whole audio context, as the decoder computes it; renormalised
     * over the kept frames (what timing.py's softmax of the cut scores gives) */
    VC_WHISPER_ATTN_PROBS,
    /* the scaled scores q.k before softmax (timing.py's QKs, qk_scale 1) */
    VC_WHISPER_ATTN_LOGITS
} vc_whisper_attn_kind;

typedef struct vc_whisper_attention {
    const float *data;      /* [n_heads][n_rows][n_ctx] */
    int n_heads;
    int n_rows;             /* n_sot + 1 + n_text + 1 */
    int n_ctx;              /* frames per row in memory; >= the frames used */
    vc_whisper_attn_kind kind;
} vc_whisper_attention;

/* Frames of a window's num_frames mel frames that the alignment uses. */
int vc_whisper_timing_frames(const vc_whisper_timing_params *p, int num_frames);

/* Encoder frames per second (50): time of frame k is k / this. 0 for invalid params. */
double vc_whisper_frames_per_second(const vc_whisper_timing_params *p);

/* timing.py's matrix for DTW: per head, the kept frames' probabilities, standardised
 * over all rows at each frame (mean and population std), median-filtered along frames
 * (reflect padding; rows of at most width/2 frames are left as they are); the mean
 * over heads; rows n_sot .. n_rows-2 (<|notimestamps|> and the text tokens).
 * out: [(n_rows - n_sot - 1) * n_frames_used] floats. */
voce_status vc_whisper_alignment_matrix(const vc_whisper_timing_params *p,
                                        const vc_whisper_attention *a, int n_sot,
                                        int num_frames, float *out);

/* Median of each window of width (odd) along a row of n values, reflect-padded, into
 * out (may not alias x). n <= width / 2: copied unchanged, as timing.py does. */
voce_status vc_whisper_median_filter(const float *x, int n, int width, float *out);

/* DTW path through cost matrix x [n][m] (timing.py's dtw_cpu and backtrace: float32
 * accumulated costs; the diagonal step only when strictly cheapest, then the step
 * along n, else the step along m). rows/cols get the path from (0,0) to (n-1,m-1);
 * they need room for n + m - 1 entries. *len: entries. Values must be finite and at
 * most 1e37 / (n + m). Works in (n + m - 1) * (n + 4) bytes of steps. */
voce_status vc_whisper_dtw(const float *x, int n, int m, int32_t *rows, int32_t *cols,
                           int *len);

/* ---- words ---- */

/* Bytes of one token (a UTF-8 piece, possibly partial); NULL if the id is unknown.
 * Called for every token of a sequence, including <|endoftext|>. */
typedef const char *(*vc_whisper_token_bytes_fn)(void *ctx, int32_t token, size_t *len);

typedef enum vc_whisper_split_mode {
    VC_WHISPER_SPLIT_SPACES,    /* split_tokens_on_spaces */
    VC_WHISPER_SPLIT_UNICODE    /* split_tokens_on_unicode: zh, ja, th, lo, my, yue */
} vc_whisper_split_mode;

/* The mode openai's tokenizer uses for a language code ("en", "zh", ...). */
vc_whisper_split_mode vc_whisper_split_mode_for(const char *language);

typedef struct vc_whisper_text {
    const int32_t *tokens;  /* text tokens, each < eot */
    const float *probs;     /* each token's probability (softmax over ids < eot) */
    int n;
    int32_t eot;            /* <|endoftext|>; ids >= eot are special */
    vc_whisper_split_mode split;
    vc_whisper_token_bytes_fn bytes;
    void *bytes_ctx;
} vc_whisper_text;

typedef struct vc_whisper_word {
    const char *text;       /* UTF-8 (invalid bytes as U+FFFD, as Python decodes them); */
    size_t len;             /* not NUL-terminated; points into the owning list */
    int token_begin, token_end; /* [begin, end): indices into the token sequence */
    double start, end;      /* seconds */
    double probability;     /* mean of its tokens' probabilities */
} vc_whisper_word;

typedef struct vc_whisper_words {
    vc_whisper_word *w;
    int n;
    char *text_buf;         /* owns every word's text */
} vc_whisper_words;

void vc_whisper_words_free(vc_whisper_words *w);

/* split_to_word_tokens over tokens[0..n) (any ids; bytes() must know each): the words
 * with their text and token ranges; times and probabilities 0. Unicode groups close as
 * in Python, except that where Python would raise IndexError (a U+FFFD past the end of
 * the whole decoding, only after invalid UTF-8) the group stays open; tokens of a group
 * still open at the end belong to no word, as in Python. */
voce_status vc_whisper_split_words(const int32_t *tokens, int n, int32_t eot,
                                   vc_whisper_split_mode mode, vc_whisper_token_bytes_fn bytes,
                                   void *ctx, vc_whisper_words *out);

/* merge_punctuations in place: words merged into a neighbour are left with len 0 and
 * an empty token range; their times stay. NULL sets: the defaults. */
voce_status vc_whisper_merge_punctuations(vc_whisper_words *w, const char *prepended,
                                          const char *appended);

/* find_alignment: word timings relative to the window, not rounded; no words when the
 * text is empty. */
voce_status vc_whisper_find_alignment(const vc_whisper_timing_params *p,
                                      const vc_whisper_attention *a, int n_sot, int num_frames,
                                      const vc_whisper_text *t, vc_whisper_words *out);

/* One segment of a window, in and out. */
typedef struct vc_whisper_segment {
    double start, end;      /* seconds from the start of the audio; updated as openai does */
    int n_tokens;           /* its text tokens (< eot) in vc_whisper_text, in order */
    int word_begin, word_end; /* out: its words in the result */
} vc_whisper_segment;

/* add_word_timestamps for the segments of one window: t holds their text tokens one
 * segment after another; seek is the window's first mel frame; last_speech is the end
 * of the last word before the window (seconds; the caller moves it on to the last
 * word's end afterwards, as transcribe.py does). Words as timing.py emits them: the
 * empty ones left out, times absolute and rounded to 0.01 s as Python's round(x, 2),
 * then adjusted at the segment boundaries. */
voce_status vc_whisper_add_word_timestamps(const vc_whisper_timing_params *p,
                                           const vc_whisper_attention *a, int n_sot,
                                           int num_frames, int64_t seek,
                                           const vc_whisper_text *t, vc_whisper_segment *segs,
                                           int n_segs, double last_speech,
                                           vc_whisper_words *out);

/* Python's `s in set` for UTF-8 strings (true for the empty string). */
int vc_whisper_text_in(const char *s, size_t len, const char *set);

/* openai's default punctuation sets: appended (1) or prepended (0). */
const char *vc_whisper_default_punctuation(int appended);

/* Python's round(x, 2) for a double: the nearest multiple of 0.01 to x's exact value,
 * ties to even, as the nearest double. */
double vc_whisper_round2(double x);

#endif
