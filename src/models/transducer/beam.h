/* NeMo's beam search for TDT and RNN-T transducers (decoding strategy "beam": BeamTDTInfer
 * and BeamRNNTInfer's default_beam_search), with the rules of
 * tests/ref/transducer_beam_ref.py and docs/transducer.md ("Beam search").
 *
 *   vc_td_hyp h = {0};
 *   double score;
 *   if (vc_td_beam_decode(&model, 4, &h, &score)) return ...;   // after vc_td_model_encode
 *   ... h.tokens, h.frames, h.durations, h.logprobs as from vc_td_decode ...
 *   vc_td_hyp_free(&h);
 *
 * Each hypothesis has its own prediction-network state: a decoder's steps work on one
 * current state, which the search saves and restores per hypothesis. A hypothesis made
 * by a token keeps its parent's state and the token until it is expanded, so the
 * prediction network runs only for the hypotheses the search expands (NeMo's caching). */
#ifndef VC_TD_BEAM_H
#define VC_TD_BEAM_H

#include "decode.h"

/* vc_td_steps plus the means to keep several prediction states: save copies the current
 * state (after start, predict or joint) into state_size bytes; restore makes such a copy
 * current again. Both are called with state_ctx. */
typedef struct vc_td_beam_steps {
    vc_td_steps steps;
    void *state_ctx;
    size_t state_size;
    voce_status (*save)(void *state_ctx, void *state);
    voce_status (*restore)(void *state_ctx, const void *state);
} vc_td_beam_steps;

/* s (steps on m's prediction network, e.g. with a joint that encodes windows as the
 * decoder reaches them) with m's prediction state as the state kept per hypothesis. */
vc_td_beam_steps vc_td_beam_steps_of(const vc_td_steps *s, vc_td_model *m);

#define VC_TD_MAX_BEAM 64

/* Evaluations at one frame stop after VC_TD_BEAM_POPS x beam x max_symbols (NeMo's loop
 * has no bound; see the docs). */
#define VC_TD_BEAM_POPS 25

/* The best hypothesis of NeMo's beam search with `beam` (1 .. VC_TD_MAX_BEAM) into h
 * (emptied first; RNN-T with beam 1 is NeMo's greedy_search, at most 5 tokens a frame);
 * *score (may be NULL): its score, the sum of the log-probabilities of its tokens,
 * blanks and (TDT) durations. h->evaluations counts the joint evaluations. */
voce_status vc_td_beam_search(const vc_td_beam_steps *s, int beam, vc_td_hyp *h, double *score);

/* The same on an encoded model (TDT or RNN-T; CTC is refused). */
voce_status vc_td_beam_decode(vc_td_model *m, int beam, vc_td_hyp *h, double *score);

#endif
