/* A compiled NeMo transducer or CTC program (voce compile --family transducer | ctc)
 * behind the steps a greedy decoder takes (decode.h): encode the features once, then
 * evaluate the joint at an encoder frame for the current prediction state, and advance
 * that state by an emitted token.
 *
 *   vc_td_model m;
 *   if (vc_td_model_open(&m, prog, NULL)) return ...;
 *   vc_td_model_encode(&m, feats, n_frames, n_valid);   // [feat_dim][n_frames]
 *   vc_td_hyp h = {0};
 *   vc_td_decode(&m, &h);                               // greedy TDT / RNN-T / CTC
 *   ... h.tokens, h.frames, h.durations; vc_td_words(&m, &h, &words, &n) ...
 *   vc_td_hyp_free(&h);
 *   vc_td_model_close(&m);
 *
 * The sizes come from the metadata (transducer.*) and are checked against the methods'
 * declared inputs and outputs at open. Both layouts behave the same: sherpa-onnx's
 * decoder runs once per emitted token and its joiner once per evaluation; onnx-asr's
 * fused decoder_joint runs once per evaluation, from the state before the last token,
 * and its new state is taken when that token's successor is emitted. */
#ifndef VC_TD_MODEL_H
#define VC_TD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "voce/runtime.h"

#define VC_TD_MAX_DURATIONS 64
#define VC_TD_MAX_PUNCT 128

typedef enum vc_td_kind { VC_TD_TDT, VC_TD_RNNT, VC_TD_CTC } vc_td_kind;

typedef struct vc_td_model {
    const voce_program *prog;
    vc_td_kind kind;
    int onnx_asr;               /* layout: onnx-asr (fused decoder_joint), else sherpa */
    voce_method *enc;           /* the encoder, or CTC's one method */
    voce_method *dec;           /* sherpa: decoder; onnx-asr: decoder_joint */
    voce_method *joint;         /* sherpa only */
    int blank, n_tokens;        /* n_tokens = blank + 1 */
    int n_durations;
    int durations[VC_TD_MAX_DURATIONS];
    int subsampling, max_symbols, feat_dim;
    double window_stride;
    const char *const *pieces;  /* n_tokens, from the program */
    uint32_t punct[VC_TD_MAX_PUNCT]; /* NeMo's supported punctuation (words.c) */
    int n_punct;
    int d_model, pred_layers, pred_hidden, joint_width;
    /* the encoded utterance: [d_model][n_total] (CTC: log-probs [n_total][n_tokens]),
     * a view of the encoder's output */
    const float *enc_out;
    int n_total, n_frames;      /* frames computed, frames valid (encoded_lengths) */
    /* prediction network */
    float *state, *next;        /* h then c, [2][L][H] each; next: onnx-asr's new state */
    float *g;                   /* sherpa: the prediction output [H] */
    float *col;                 /* one encoder frame [d_model] */
    int32_t last;               /* onnx-asr: the token the state has not consumed yet */
    int next_valid;
} vc_td_model;

/* Internal (words.c): fill m->punct from the pieces. */
void vc_td_find_punctuation(vc_td_model *m);

voce_status vc_td_model_open(vc_td_model *m, const voce_program *prog, const voce_method_options *opts);
void vc_td_model_close(vc_td_model *m);

/* Run the encoder on feats ([feat_dim][n_total], row-major) of which the first n_valid
 * frames are speech. */
voce_status vc_td_model_encode(vc_td_model *m, const float *feats, int n_total, int n_valid);

/* The greedy decoder's steps (transducers): prime the prediction network with the
 * blank from the zero state; advance it by an emitted token; the raw joint logits
 * (tokens, blank, durations: joint_width) at encoder frame t, valid until the next call. */
voce_status vc_td_model_start(vc_td_model *m);
voce_status vc_td_model_predict(vc_td_model *m, int token);
voce_status vc_td_model_joint(vc_td_model *m, int t, const float **logits);

#endif
