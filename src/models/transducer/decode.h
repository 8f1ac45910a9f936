/* NeMo's greedy decoders (TDT label looping, RNN-T, CTC) and its token and word
 * timestamps, with the rules and their sources in tests/ref/transducer_decode_ref.py
 * (docs/transducer.md).
 *
 *   vc_td_hyp h = {0};
 *   if (vc_td_decode(&model, &h)) return ...;          // after vc_td_model_encode
 *   vc_td_word *w; int n;
 *   vc_td_words(&model, &h, &w, &n);                   // w[i].text, w[i].start (s)
 *   vc_td_words_free(w, n);
 *   vc_td_hyp_free(&h);
 */
#ifndef VC_TD_DECODE_H
#define VC_TD_DECODE_H

#include "model.h"

typedef struct vc_td_hyp {
    int n, cap;
    int32_t *tokens;
    int32_t *frames;        /* the encoder frame of each token */
    int32_t *durations;     /* TDT: each token's duration in frames; CTC: its run of frames */
    int evaluations;        /* joint evaluations (transducers) */
    /* each token's log-probability: the log-softmax of the token logits (blank included,
     * TDT durations excluded) at the evaluation that emitted it; CTC: the log-prob of
     * its first frame */
    float *logprobs;
} vc_td_hyp;

/* The greedy decode of the encoded utterance into h (emptied first). */
voce_status vc_td_decode(vc_td_model *m, vc_td_hyp *h);

/* What a transducer decoder needs of a model: its sizes and its three steps
 * (model.h); vc_td_decode makes one of the model, tests of scripted lattices. */
typedef struct vc_td_steps {
    void *ctx;
    voce_status (*start)(void *ctx);
    voce_status (*predict)(void *ctx, int token);
    voce_status (*joint)(void *ctx, int t, const float **logits);
    int n_frames, blank, max_symbols, n_durations;
    const int *durations;       /* TDT; n_durations = 0: RNN-T */
} vc_td_steps;

voce_status vc_td_greedy_transducer(const vc_td_steps *s, vc_td_hyp *h);
void vc_td_hyp_free(vc_td_hyp *h);
/* Appends one token to h (growing it). */
voce_status vc_td_hyp_push(vc_td_hyp *h, int token, int frame, int duration, float logprob);

/* Token offsets in encoder frames, after NeMo's refinement for the model's kind. */
voce_status vc_td_token_offsets(const vc_td_model *m, const vc_td_hyp *h, int *start, int *end);

typedef struct vc_td_word {
    char *text;
    int start_offset, end_offset;   /* encoder frames */
    double start, end;              /* seconds */
    int first_token;                /* the index of its first token in the hypothesis */
} vc_td_word;

voce_status vc_td_words(const vc_td_model *m, const vc_td_hyp *h, vc_td_word **words, int *n);
void vc_td_words_free(vc_td_word *words, int n);

/* Internal (words_group.c): each token's text alone (malloc'd) and whether it is one
 * supported punctuation character. */
voce_status vc_td_token_texts(const vc_td_model *m, const vc_td_hyp *h, char **text, int *punct);

/* SentencePiece's decoding of the hypothesis: the text (malloc'd). */
voce_status vc_td_text(const vc_td_model *m, const vc_td_hyp *h, char **text);

#endif
