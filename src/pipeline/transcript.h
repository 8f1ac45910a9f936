/* Building a voce_transcript (include/voce/asr.h): what recognizers use to hand back
 * their result, and what the writers (transcript_write.c) read besides the public fields.
 *
 *   vc_transcript_builder b;
 *   vc_transcript_builder_init(&b);
 *   vc_transcript_set_language(&b, "en", "english", 0.98f);
 *   vc_transcript_set_duration(&b, 11.0);
 *   vc_segment_info s = {.start = 0.0, .end = 3.32, .seek = 0, .avg_logprob = -0.28f};
 *   vc_transcript_begin_segment(&b, &s);
 *   vc_transcript_add_token(&b, 50364, "", 0, 0.0, 0.0, 1.0f, 0.0f);   // <|0.00|>
 *   vc_transcript_add_token(&b, 440, " The", 4, 0.0, 0.24, 0.9f, -0.1f);
 *   ...
 *   voce_transcript *t;
 *   if (vc_transcript_finish(&b, &t)) return ...;   // the builder is empty again
 *
 * Calls record the first failure (out of memory, a call out of order, a bad argument)
 * and return it; after one, the others do nothing and vc_transcript_finish returns it, so
 * a runner may check only there. vc_transcript_builder_free drops a transcript given up
 * on; it is harmless after finish.
 *
 * Text: a segment's text is what vc_transcript_set_segment_text gave, or else its tokens'
 * bytes joined (partial UTF-8 pieces of a character rejoin). The transcript's text is
 * what vc_transcript_set_text gave, or else the segments' texts joined. Segment, word,
 * transcript and language strings are repaired as Python's decode(errors="replace")
 * does (core/utf8.h: each ill-formed subpart and each NUL becomes U+FFFD), so they are
 * valid UTF-8; a token's text keeps its bytes as given (up to the first NUL).
 *
 * Everything is copied: the transcript owns one block of memory, which
 * voce_transcript_free releases.
 *
 * The writers need three things the public struct does not hold: the task, the language's
 * English name (verbose_json) and each segment's seek. They live in the block beside the
 * public struct, so voce_transcript_write only takes transcripts made here.
 */
#ifndef VC_PIPELINE_TRANSCRIPT_H
#define VC_PIPELINE_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "voce/asr.h"

/* A segment's numbers. Unset fields are 0. */
typedef struct vc_segment_info {
    double start, end;       /* seconds */
    int32_t seek;            /* Whisper: the window's offset in 10 ms frames; else 0 */
    float temperature;       /* of the decode kept */
    float avg_logprob;
    float compression_ratio;
    float no_speech_prob;
} vc_segment_info;

typedef struct vc_tb_segment {
    vc_segment_info info;
    size_t text;             /* offset in strings; SIZE_MAX until known */
    size_t first_token, n_tokens, n_words;
} vc_tb_segment;

typedef struct vc_tb_token {
    int32_t id;
    double start, end;
    float probability, logprob;
    size_t bytes, n_bytes;   /* in token_bytes */
} vc_tb_token;

typedef struct vc_tb_word {
    double start, end;
    float probability;
    size_t text;             /* offset in strings */
} vc_tb_word;

typedef struct vc_transcript_builder {
    vc_tb_segment *seg;
    size_t n_seg, cap_seg;
    vc_tb_token *tok;
    size_t n_tok, cap_tok;
    vc_tb_word *word;
    size_t n_word, cap_word;
    vc_strbuf strings;       /* repaired texts, each followed by a NUL */
    vc_strbuf token_bytes;   /* token bytes as given, back to back */
    size_t text;             /* the transcript's text in strings; SIZE_MAX: join segments */
    size_t language, language_name; /* in strings; SIZE_MAX: not set */
    float language_probability;
    double duration;
    voce_asr_task task;
    int word_timestamps;
    voce_status error;       /* the first failure, and its message */
    char why[256];
} vc_transcript_builder;

void vc_transcript_builder_init(vc_transcript_builder *b);
void vc_transcript_builder_free(vc_transcript_builder *b);

/* ---- the whole transcript ---- */

/* code: "en", ... (NULL: ""); name: the English name in lower case, "english", for
 * verbose_json (NULL: the code is written there). */
voce_status vc_transcript_set_language(vc_transcript_builder *b, const char *code,
                                       const char *name, float probability);
voce_status vc_transcript_set_task(vc_transcript_builder *b, voce_asr_task task);
voce_status vc_transcript_set_duration(vc_transcript_builder *b, double seconds);
/* Word timestamps were asked for: every segment gets a words array (maybe empty), and
 * the subtitle and JSON writers use words. Off by default. */
voce_status vc_transcript_set_word_timestamps(vc_transcript_builder *b, int on);
/* The transcript's text, instead of the segments' texts joined. */
voce_status vc_transcript_set_text(vc_transcript_builder *b, const char *text, size_t len);

/* ---- segments, in order ---- */

/* Opens a new segment (the previous one is complete); its id is its index. */
voce_status vc_transcript_begin_segment(vc_transcript_builder *b, const vc_segment_info *info);
/* Replaces the open segment's numbers (times known later, stats of a retry). */
voce_status vc_transcript_set_segment_info(vc_transcript_builder *b, const vc_segment_info *info);
/* The open segment's text, instead of its tokens' bytes joined. */
voce_status vc_transcript_set_segment_text(vc_transcript_builder *b, const char *text, size_t len);
/* A token of the open segment: its bytes (len of them; "" for special tokens). */
voce_status vc_transcript_add_token(vc_transcript_builder *b, int32_t id, const char *text,
                                    size_t len, double start, double end, float probability,
                                    float logprob);
/* A word of the open segment (with its leading space, as decoded). */
voce_status vc_transcript_add_word(vc_transcript_builder *b, const char *text, size_t len,
                                   double start, double end, float probability);

/* The transcript (free it with voce_transcript_free), or the first failure recorded.
 * The builder is empty afterwards either way. */
voce_status vc_transcript_finish(vc_transcript_builder *b, voce_transcript **out);

/* ---- what the writers read besides the public fields ---- */

voce_asr_task vc_transcript_task(const voce_transcript *t);
/* The language's English name, or NULL when the runner gave none. */
const char *vc_transcript_language_name(const voce_transcript *t);
int vc_transcript_word_timestamps(const voce_transcript *t);
int32_t vc_transcript_seek(const voce_transcript *t, size_t segment);

/* voce_transcript_write's json (verbose 0) and verbose_json (verbose 1): transcript_json.c */
voce_status vc_transcript_write_json(const voce_transcript *t, int verbose, char **out, size_t *len);

#endif
