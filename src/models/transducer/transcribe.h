/* Speech to text with a NeMo transducer or CTC program: the program's front end (NeMo
 * log-mel, features.*), the encoder over the input (in windows when it is long), the
 * decode, and the result as tokens, words and segments with times and probabilities (docs/transducer.md).
 *
 *   vc_td_runner r;
 *   if (vc_td_runner_open(&r, prog, &method_options)) return ...;
 *   vc_td_transcript t;
 *   if (vc_td_transcribe(&r, pcm, n, NULL, &t)) return ...;   // 16 kHz mono float
 *   for (int i = 0; i < t.n_segs; i++)
 *       printf("[%.2f -> %.2f] %s\n", t.segs[i].start, t.segs[i].end, t.segs[i].text);
 *   vc_td_transcript_free(&t);
 *   vc_td_runner_close(&r);
 *
 * Probabilities: a token's is the joint's softmax over the tokens and the blank at the
 * step that emitted it (CTC: the frame that starts it); a word's is the minimum of its
 * tokens' (NeMo's default word aggregation, "min": a word is as sure as its least sure
 * piece). Segments follow NeMo's get_segment_offsets: a segment ends after a word ending
 * in '.', '?' or '!'; its times are its words'.
 *
 * Long input (more than one window: chunk + context, 24 s by default) is encoded in
 * windows of 20 s with 4 s of context on each side whose outputs are dropped (chunk.h);
 * the decoder runs across the chunk borders as over one encoder output (its prediction
 * state and TDT skip carry on, token times are the whole input's), asking for each
 * window as it reaches it, so memory does not grow with the length (docs/transducer.md,
 * "Long audio"). Shorter input is encoded in one pass. Input shorter than one encoder
 * frame gives an empty transcript.
 */
#ifndef VC_TD_TRANSCRIBE_H
#define VC_TD_TRANSCRIBE_H

#include <stddef.h>

#include "decode.h"
#include "voce/asr.h"
#include "voce/features.h"

/* NeMo's default pos_emb_max_len: the exported relative-position table covers this many
 * encoder frames (the exports carry no key for it), which bounds one window. */
#define VC_TD_MAX_ENCODER_FRAMES 5000

typedef struct vc_td_runner {
    vc_td_model model;
    voce_features *fe;
    int sample_rate, hop;   /* of the front end */
    int nemo_front_end;     /* features.kind nemo: windows can be normalised as one input */
    int normalize;          /* its per-feature normalisation */
} vc_td_runner;

voce_status vc_td_runner_open(vc_td_runner *r, const voce_program *prog, const voce_method_options *mo);
void vc_td_runner_close(vc_td_runner *r);

typedef struct vc_td_rtoken {
    int32_t id;
    char *text;             /* the piece as text: "▁" -> " " */
    double start, end;      /* seconds */
    float logprob;
} vc_td_rtoken;

typedef struct vc_td_rword {
    char *text;             /* without a leading space, as NeMo's words */
    double start, end;
    float probability;
    int first_token, n_tokens; /* its tokens: from its first to the next word's first */
} vc_td_rword;

typedef struct vc_td_rseg {
    char *text;             /* its words joined by spaces (NeMo's segment text) */
    double start, end;
    int first_word, n_words, first_token, n_tokens;
    float avg_logprob;      /* the mean of its tokens' log-probabilities */
} vc_td_rseg;

typedef struct vc_td_transcript {
    vc_td_rtoken *tokens;
    int n_tokens;
    vc_td_rword *words;
    int n_words;
    vc_td_rseg *segs;
    int n_segs;
    char *text;             /* SentencePiece's decoding of all tokens */
} vc_td_transcript;

typedef struct vc_td_run_params {
    voce_progress_fn progress;  /* 0 before the encoder, then after each window, 1 at the end */
    voce_abort_fn abort;        /* asked before each encoder pass and before the decode */
    void *user;
    /* long input (chunk.h): seconds kept per window and of context on each side;
     * chunk_seconds 0 (a zeroed struct): the defaults, 20 s and 4 s */
    double chunk_seconds, context_seconds;
    int beam_size;              /* > 1: NeMo's beam search with that many beams (beam.h); else greedy */
} vc_td_run_params;

/* n samples at r->sample_rate (16 kHz). */
voce_status vc_td_transcribe(vc_td_runner *r, const float *pcm, size_t n, const vc_td_run_params *p,
                             vc_td_transcript *out);

/* The same for audio read from a source (chunk.h: read twice, never held whole):
 * *n_samples receives its length. */
struct vc_td_source;
voce_status vc_td_transcribe_source(vc_td_runner *r, const struct vc_td_source *src, const vc_td_run_params *p,
                                    vc_td_transcript *out, size_t *n_samples);

/* The result of a decoded hypothesis (after vc_td_model_encode and vc_td_decode). */
voce_status vc_td_transcript_of(const vc_td_model *m, const vc_td_hyp *h, vc_td_transcript *out);

void vc_td_transcript_free(vc_td_transcript *t);

#endif
