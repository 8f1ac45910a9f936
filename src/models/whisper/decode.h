/* Whisper's decoding rules, independent of the model: one 30-second window decoded as
 * openai-whisper's DecodingTask does it (decoding.py: language detection, the logit
 * filters, greedy / sampling / beam search, ranking) inside transcribe.py's temperature
 * fallback loop (decode_with_fallback). The model is reached only through vc_whisper_lm,
 * the tokenizer only through vc_whisper_vocab, so the same code runs on a toy model in
 * tests/test_whisper_decode.c and on the real decoder in the runner.
 *
 *   vc_whisper_vocab v = {.eot = 50257, .sot = 50258, ..., .token_bytes = bytes_of, .user = tok};
 *   vc_whisper_lm lm = {.user = model, .n_vocab = 51865, .n_text_ctx = 448,
 *                       .n_audio_ctx = 1500, .reset = lm_reset, .step = lm_step,
 *                       .reorder = lm_reorder};
 *   vc_whisper_decoder *d;
 *   if (vc_whisper_decoder_create(&v, &lm, NULL, &d)) return voce_last_error();
 *   vc_whisper_options o = vc_whisper_options_default();
 *   o.beam_size = 5;  o.best_of = 5;
 *   o.prompt = previous_tokens;  o.n_prompt = n_previous;
 *   vc_whisper_result r;
 *   if (vc_whisper_decode_window(d, &o, &r) == VOCE_OK && !r.skip)
 *       keep r.tokens[0 .. r.n_tokens)   (valid until the decoder's next call)
 *   vc_whisper_decoder_free(d);
 *
 * How the rules work and where they depart from openai-whisper: docs/whisper.md,
 * "Decoding". In short: sampling uses voce's own seeded generator (splitmix64, inverse
 * CDF in double) instead of torch's Categorical; log-probabilities are computed in double
 * and rounded to float32, their sums kept in float32 as torch keeps them. */
#ifndef VC_WHISPER_DECODE_H
#define VC_WHISPER_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "models/whisper/tokens.h" /* vc_whisper_task */
#include "voce/voce.h"

/* What the decoding loop needs from a model. Each sequence has its own cache (the
 * decoder's self-attention keys and values); the decoder reads the audio features it
 * was given for this window.
 *
 * Calls for one decode: reset; step(1 sequence, the initial tokens up to and including
 * <|startoftranscript|>); step(1, the rest of them) when there is a rest; reorder to
 * n_group copies of sequence 0 when n_group > 1 (beam_size or best_of); then one step
 * per sampled token. Language detection is reset + step(1, {<|startoftranscript|>}). */
typedef struct vc_whisper_lm {
    void *user;
    int n_vocab;     /* logits per position (51865; 51866 for large-v3) */
    int n_text_ctx;  /* tokens a sequence can hold (448) */
    int n_audio_ctx; /* encoder positions (1500): timestamps are 30 s / n_audio_ctx apart */
    /* Forget all sequences: afterwards there is one empty sequence. */
    voce_status (*reset)(void *user);
    /* n_seq is the current number of sequences. Append tokens[i][0 .. n_new[i]) to
     * sequence i and write the logits after its last token to logits + i * n_vocab.
     * n_new[i] == 0: sequence i has finished; nothing to compute, its row is not read. */
    voce_status (*step)(void *user, int n_seq, const int32_t *const *tokens, const int *n_new,
                        float *logits);
    /* Afterwards there are n_seq sequences; sequence i continues from the cache of what
     * was sequence src[i] (one may be copied to several). Not called when nothing moves. */
    voce_status (*reorder)(void *user, const int *src, int n_seq);
} vc_whisper_lm;

/* The tokenizer's facts that the rules need (openai-whisper's Tokenizer properties). */
typedef struct vc_whisper_vocab {
    int32_t eot, sot, sot_prev, sot_lm, translate, transcribe;
    int32_t no_speech;       /* <|nospeech|> (<|nocaptions|> in older vocabularies); -1: none */
    int32_t no_timestamps;
    int32_t timestamp_begin; /* <|0.00|>: every id from here to n_vocab - 1 is a timestamp */
    int32_t lang_begin;      /* the first language token (sot + 1) */
    int n_languages;         /* 0: an English-only model (SOT sequence <|startoftranscript|>) */
    int32_t blank;           /* encode(" ") (220), suppressed with EOT first; -1: none */
    const int32_t *non_speech; /* tokenizer.non_speech_tokens: what "-1" in suppress means */
    int n_non_speech;
    /* The bytes of a token below timestamp_begin, as the tokenizer decodes it (a special
     * token gives its name, "<|en|>"); for the text whose compression ratio is measured. */
    voce_status (*token_bytes)(void *user, int32_t token, const uint8_t **bytes, size_t *n);
    void *user;
} vc_whisper_vocab;

#define VC_WHISPER_MAX_TEMPERATURES 16

/* DecodingOptions plus transcribe()'s fallback settings. "Not given" (Python's None) is
 * 0 for the counts and NaN for the numbers, as noted. */
typedef struct vc_whisper_options {
    vc_whisper_task task;         /* TRANSLATE, or TRANSCRIBE (NONE: transcribe, as Python) */
    int language;                 /* index among the language tokens; -1: detect */
    double temperatures[VC_WHISPER_MAX_TEMPERATURES]; /* tried in turn (the fallback) */
    int n_temperatures;
    int sample_len;               /* most tokens sampled; 0: n_text_ctx / 2 */
    int best_of;                  /* candidates sampled when t > 0; 0: not given */
    int beam_size;                /* beam search when t == 0; 0: not given */
    double patience;              /* beam search; NaN: not given (1.0) */
    double length_penalty;        /* NaN: rank by sum / length; else alpha in [0, 1] */
    const int32_t *prompt;        /* previous text: <|startofprev|> + its last n_text_ctx/2 - 1 */
    int n_prompt;
    const int32_t *prefix;        /* forced start of this window's text */
    int n_prefix;
    const int32_t *suppress_tokens; /* -1 stands for the non-speech tokens; none: no filter */
    int n_suppress_tokens;
    int suppress_blank;           /* no blank or EOT as the first sampled token */
    int without_timestamps;       /* <|notimestamps|>: text tokens only */
    double max_initial_timestamp; /* seconds; 0 or NaN: no limit */
    double compression_ratio_threshold; /* above: retry hotter; NaN: off */
    double logprob_threshold;     /* avg_logprob below: retry hotter; NaN: off */
    double no_speech_threshold;   /* no_speech_prob above, with a low avg_logprob: silence */
    uint64_t seed;                /* for sampling (t > 0) */
} vc_whisper_options;

/* openai-whisper's defaults: transcribe, detect the language, temperatures 0, 0.2 ... 1.0,
 * greedy, suppress {-1} and blanks, timestamps on, max_initial_timestamp 1.0, thresholds
 * 2.4 / -1.0 / 0.6, seed 0. */
vc_whisper_options vc_whisper_options_default(void);

/* One decoded window (DecodingResult), with what the fallback loop decided. Pointers
 * belong to the decoder and stay valid until its next call. */
typedef struct vc_whisper_result {
    const int32_t *tokens;   /* sampled text and timestamp tokens, without EOT */
    int n_tokens;
    const uint8_t *text;     /* decode(tokens).strip() in UTF-8, what the ratio measured */
    size_t n_text;
    int language;            /* the language index used; -1 for an English-only model */
    const double *language_probs; /* [n_languages] when it was detected, else NULL */
    double sum_logprob;
    double avg_logprob;      /* sum_logprob / (n_tokens + 1) */
    double no_speech_prob;   /* at <|startoftranscript|>; NaN without a no-speech token */
    double temperature;      /* of the decode kept */
    double compression_ratio;
    int ratio_estimated;     /* 1: libz was not available, the ratio is voce's estimate */
    int attempts;            /* decodes run (temperatures tried) */
    int skip;                /* transcribe's no-speech check: nothing was said here */
} vc_whisper_result;

typedef struct vc_whisper_decoder vc_whisper_decoder;

/* Checks the vocabulary against the model (ids in range, timestamps last) and loads
 * zlib (zlib_soname, NULL for "libz.so.1") for the compression ratio; a missing zlib is
 * not an error (see vc_whisper_decoder_zlib). The vocab's non_speech list is copied; its
 * callback and the lm's are kept. */
voce_status vc_whisper_decoder_create(const vc_whisper_vocab *vocab, const vc_whisper_lm *lm,
                                      const char *zlib_soname, vc_whisper_decoder **out);
void vc_whisper_decoder_free(vc_whisper_decoder *d);

/* NULL when compression ratios come from zlib, as Python's; otherwise why not, and they
 * are estimated (docs/whisper.md). */
const char *vc_whisper_decoder_zlib(const vc_whisper_decoder *d);

/* How many times the decoder has grown its buffers: decoding more windows of the same
 * shape allocates nothing. */
int vc_whisper_decoder_allocations(const vc_whisper_decoder *d);

/* detect_language: the probabilities over the language tokens after <|startoftranscript|>
 * (every other token masked); *language is the most probable. probs may be NULL.
 * VOCE_ERR_UNSUPPORTED for an English-only model. */
voce_status vc_whisper_detect_language(vc_whisper_decoder *d, int *language, double *probs);

/* One decode at one temperature, as DecodingTask.run: refuses what its _verify_options
 * refuses (beam_size with best_of, best_of at temperature 0, patience without beam_size,
 * length_penalty outside [0, 1]) and more (see docs/whisper.md). Ignores the schedule and
 * the thresholds; r->attempts = 1, r->skip = 0. */
voce_status vc_whisper_decode(vc_whisper_decoder *d, const vc_whisper_options *o,
                              double temperature, vc_whisper_result *r);

/* decode_with_fallback: each temperature in turn (beam_size and patience only at 0,
 * best_of only above 0) until the result is neither too repetitive (compression ratio
 * above its threshold) nor too improbable (avg_logprob below its threshold), unless it
 * is silence (no_speech_prob above its threshold with a low avg_logprob); the last
 * decode is kept. The language is detected once when not given. r->skip is
 * transcribe()'s check: no_speech_prob above its threshold and avg_logprob not above
 * logprob_threshold. */
voce_status vc_whisper_decode_window(vc_whisper_decoder *d, const vc_whisper_options *o,
                                     vc_whisper_result *r);

#endif
