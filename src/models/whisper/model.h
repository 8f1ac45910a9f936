/* A compiled Whisper program (voce compile --family whisper) behind the calls a decoding
 * loop makes: encode one 30 s window of log-mel, then decode tokens step by step while
 * the decoder's key/value caches stay inside the method instance (method state, updated
 * in place), and read the alignment heads' cross-attention for word times.
 *
 *   vc_whisper_model m;
 *   if (vc_whisper_model_open(&m, prog, &opts)) return ...;
 *   vc_whisper_model_encode(&m, mel);                      // [n_mels][2 * n_audio_ctx]
 *   const float *logits;
 *   vc_whisper_model_decode(&m, sot_seq, 3, &logits);      // [3][n_vocab]; offset 0
 *   vc_whisper_model_decode(&m, &next, 1, &logits);        // offset 3, and so on
 *   vc_whisper_model_reset(&m);                            // a new window's sequence
 *   vc_whisper_model_close(&m);
 *
 * Everything about the model's size comes from the metadata and is checked against the
 * methods' declared inputs and outputs at open, so a mislabelled program fails there.
 * The vocabulary (a vc_bpe with Whisper's special tokens) is loaded from the program. */
#ifndef VC_WHISPER_MODEL_H
#define VC_WHISPER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "text/bpe.h"
#include "tokens.h"
#include "voce/runtime.h"

#define VC_WHISPER_MAX_LAYERS 64
#define VC_WHISPER_MAX_BATCH 64     /* sequences decoded at once (beams, best-of) */

typedef struct vc_whisper_dims {
    int n_mels, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer;
    int n_vocab, n_text_ctx, n_text_state, n_text_head, n_text_layer;
} vc_whisper_dims;

typedef struct vc_whisper_model {
    const voce_program *prog;
    voce_method *enc, *dec;
    vc_whisper_dims d;
    int multilingual;
    vc_bpe *bpe;
    vc_whisper_tokens tok;
    const int64_t *align;       /* alignment heads: layer, head pairs */
    int n_align;
    /* input / output indices */
    size_t enc_mel, enc_cross[2 * VC_WHISPER_MAX_LAYERS];
    size_t dec_tokens, dec_offset, dec_cross[2 * VC_WHISPER_MAX_LAYERS];
    size_t dec_logits, dec_alignment;
    int has_alignment;
    int offset;                 /* tokens decoded since the last reset */
    int batch;                  /* sequences in the decoder's caches */
    int64_t *tok64;             /* VC_WHISPER_MAX_BATCH * n_text_ctx int64 tokens */
} vc_whisper_model;

/* opts may be NULL (defaults). */
voce_status vc_whisper_model_open(vc_whisper_model *m, const voce_program *prog,
                                  const voce_method_options *opts);
void vc_whisper_model_close(vc_whisper_model *m);

/* Run the encoder on mel ([n_mels][2 * n_audio_ctx], row-major) and hand its
 * cross-attention keys and values to the decoder. Resets the decoder's sequence. */
voce_status vc_whisper_model_encode(vc_whisper_model *m, const float *mel);

/* Append n tokens to the sequence (positions offset .. offset + n - 1) and run the
 * decoder: *logits gets [n][n_vocab], valid until the next decode or reset. A sequence
 * longer than n_text_ctx is refused. */
voce_status vc_whisper_model_decode(vc_whisper_model *m, const int32_t *tokens, int n,
                              const float **logits);

/* The same for `batch` sequences decoded in lockstep (beams, best-of candidates):
 * tokens [batch][n], logits [batch][n][n_vocab]. batch must be the decoder's current
 * batch: 1 after a reset, else what the last reorder made. */
voce_status vc_whisper_model_decode_batch(vc_whisper_model *m, int batch, const int32_t *tokens,
                                          int n, const float **logits);

/* Sequence k continues from what was sequence src[k]'s cache; there are n sequences
 * afterwards. Needs an export whose decoder has a batch dimension. */
voce_status vc_whisper_model_reorder(vc_whisper_model *m, const int *src, int n);

/* The alignment heads' cross-attention probabilities of the last decode (of sequence 0):
 * [n_align][n][n_audio_ctx]. VOCE_ERR_UNSUPPORTED when the export has none. */
voce_status vc_whisper_model_alignment(const vc_whisper_model *m, const float **weights, int *n_tokens);

/* Start a new sequence (empty self-attention caches) for the same encoded window. */
voce_status vc_whisper_model_reset(vc_whisper_model *m);

#endif
