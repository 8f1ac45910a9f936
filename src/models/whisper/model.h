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
 * The vocabulary (a vc_bpe with Whisper's special tokens) is loaded from the program.
 * Three layouts of methods are bound (vc_whisper_layout): ours, sherpa-onnx's and
 * Hugging Face's; the calls behave the same for each, except that only ours has the
 * alignment heads' attention (word timestamps). */
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

/* How the program's methods are wired (metadata "whisper.layout"; docs/whisper.md). */
typedef enum vc_whisper_layout {
    VC_WHISPER_LAYOUT_VOCE,     /* scripts/export/whisper.py: caches written in place */
    VC_WHISPER_LAYOUT_SHERPA,   /* sherpa-onnx: stacked cross K/V, caches [L, batch, ctx, d] */
    VC_WHISPER_LAYOUT_HF        /* Hugging Face / optimum: prompt decoder + with-past decoder */
} vc_whisper_layout;

typedef struct vc_whisper_model {
    const voce_program *prog;
    vc_whisper_layout layout;
    voce_method *enc, *dec;
    voce_method *pre;           /* HF: the method that runs the prompt (dec when merged) */
    vc_whisper_dims d;
    int multilingual;
    vc_bpe *bpe;
    vc_whisper_tokens tok;
    const int64_t *align;       /* alignment heads: layer, head pairs */
    int n_align;
    /* input / output indices */
    size_t enc_mel, enc_out;    /* enc_out: HF's last_hidden_state */
    int n_cross;                /* cross-attention K/V tensors the decoder takes */
    size_t src_cross[2 * VC_WHISPER_MAX_LAYERS]; /* outputs that make them: enc's, HF: pre's */
    size_t dec_cross[2 * VC_WHISPER_MAX_LAYERS];
    size_t dec_tokens, dec_offset, dec_logits, dec_alignment;
    int has_offset, has_alignment;
    /* HF */
    size_t pre_tokens, pre_hidden, pre_logits, pre_branch, dec_branch;
    size_t pre_self[2 * VC_WHISPER_MAX_LAYERS], dec_self[2 * VC_WHISPER_MAX_LAYERS];
    int merged;                 /* one decoder for both, use_cache_branch chooses */
    /* the batch-1 cross K/V the decoder's inputs are made from, and their batch axis
     * (-1: the decoder broadcasts a batch of 1 itself) */
    voce_tensor cross[2 * VC_WHISPER_MAX_LAYERS];
    int cross_axis;
    int cross_batch;            /* the batch the decoder's cross inputs hold; 0: stale */
    float *xkv;                 /* HF: owned copy of the prompt's cross K/V */
    size_t xkv_cap;
    void *scratch;              /* replicated cross K/V for a batch */
    size_t scratch_cap;
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

/* Internal, model_hf.c: the Hugging Face layout's binding, encode, prompt and reset. */
voce_status vc_whisper_hf_bind(vc_whisper_model *m);
voce_status vc_whisper_hf_encode(vc_whisper_model *m, const float *mel);
voce_status vc_whisper_hf_prompt(vc_whisper_model *m, const int32_t *tokens, int n, const float **logits);
voce_status vc_whisper_hf_reset(vc_whisper_model *m);
voce_status vc_whisper_find_io(voce_method *mt, int output, const char *name, int rank, const int64_t *dims,
                               size_t *index);

#endif
