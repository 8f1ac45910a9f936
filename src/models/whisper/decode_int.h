/* Inside the Whisper decoder (decode.h): the decoder object, one decode in progress, and
 * the pieces the decode_*.c files share. */
#ifndef VC_WHISPER_DECODE_INT_H
#define VC_WHISPER_DECODE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "models/whisper/decode.h"
#include "models/whisper/decode_text.h"

/* Limits that keep sizes sane; openai-whisper has none. */
#define VC_WHISPER_MAX_GROUP 64        /* beam_size, best_of */
#define VC_WHISPER_MAX_CANDIDATES 1024 /* round(beam_size * patience) */

/* A grow-only buffer. */
typedef struct vc_whisper_buf {
    void *p;
    size_t cap; /* bytes */
} vc_whisper_buf;

/* A beam-search candidate (BeamSearchDecoder.update's scores / sources dicts). */
typedef struct vc_whisper_cand {
    double score; /* float32 sum of log-probabilities, held as Python holds it */
    int src;      /* the beam it extends (the last one, when identical beams collide) */
    int key;      /* the first beam identical to src: candidates are keyed by sequence */
    int order;    /* insertion order, for a stable sort */
    int32_t token;
} vc_whisper_cand;

/* One DecodingTask.run in progress. */
typedef struct vc_whisper_run {
    const vc_whisper_options *o;
    double temperature;
    int language;             /* -1: English-only */
    int n_group;              /* sequences decoded side by side */
    int beam;                 /* beam size; 0: greedy or sampling */
    int max_candidates;       /* beam search: finished sequences wanted */
    int sample_len;
    int n_initial, sample_begin, sot_index;
    int len;                  /* tokens in every sequence now */
    int cap;                  /* tokens a sequence row holds: n_text_ctx + 2 */
    int32_t *seq, *seq_next;  /* [n_group][cap] */
    float *logits;            /* [n_group][n_vocab] */
    float *sums;              /* [n_group] float32, as torch's sum_logprobs */
    int *src, *n_new;         /* [n_group] */
    const int32_t **heads;    /* [n_group] what step() appends */
    double *work;             /* [n_vocab] */
    const int32_t *suppress;  /* sorted, unique */
    int n_suppress;           /* -1: no SuppressTokens filter */
    int max_initial;          /* max_initial_timestamp_index; -1: none */
    uint64_t rng;
    vc_whisper_cand *cands;   /* [beam * (beam + 1)] */
    int *order;               /* [beam * (beam + 1)] */
    int32_t *fin;             /* finished sequences, [fin_cap][cap] */
    int *fin_len;
    double *fin_score;
    int n_fin, fin_cap;
} vc_whisper_run;

struct vc_whisper_decoder {
    vc_whisper_vocab vocab;
    vc_whisper_lm lm;
    vc_whisper_zlib zlib;
    int32_t *non_speech;
    int allocations;
    /* buffers, grown as needed and kept */
    vc_whisper_buf b_seq, b_seq_next, b_logits, b_sot_logits, b_sums, b_src, b_n_new, b_heads,
        b_work, b_suppress, b_mask, b_cands, b_order, b_fin, b_fin_len, b_fin_score, b_lang,
        b_tokens, b_raw, b_text, b_compress;
};

/* Make buf hold n items of size bytes; counts d->allocations when it grows. */
voce_status vc_whisper_reserve(vc_whisper_decoder *d, vc_whisper_buf *buf, size_t n, size_t size);

/* decode_options.c */
voce_status vc_whisper_check_options(const vc_whisper_decoder *d, const vc_whisper_options *o,
                                     double temperature);
int vc_whisper_max_candidates(const vc_whisper_options *o);
int vc_whisper_sample_len(const vc_whisper_decoder *d, const vc_whisper_options *o);
/* The initial tokens ([<|startofprev|> prompt] SOT sequence [prefix]) into out (NULL: only
 * count them); returns their number and sets *sot_index. */
int vc_whisper_initial_tokens(const vc_whisper_decoder *d, const vc_whisper_options *o,
                              int language, int32_t *out, int *sot_index);
/* SuppressTokens' list into out (n_vocab ids) using mask (n_vocab bytes); -1 when
 * suppress_tokens is empty (no filter, as decoding.py). */
int vc_whisper_suppress_list(const vc_whisper_decoder *d, const vc_whisper_options *o,
                             int32_t *out, uint8_t *mask);

/* decode_filters.c: SuppressBlank, SuppressTokens, ApplyTimestampRules on sequence k's row */
void vc_whisper_filter_row(const vc_whisper_decoder *d, const vc_whisper_run *r, int k, float *row);

/* decode_sample.c */
double vc_whisper_lse(const float *row, int n);  /* log(sum(exp)) in double, in index order */
float vc_whisper_logprob(const float *row, double lse, int token);
int vc_whisper_argmax(const float *row, int n); /* the first largest */
uint64_t vc_whisper_rng_seed(uint64_t seed, int attempt);
double vc_whisper_rng_uniform(uint64_t *state);
int vc_whisper_sample(const float *row, int n, double temperature, double u, double *work);

/* decode_greedy.c / decode_beam.c: one update (choose the next tokens); *done when the
 * search has finished. The beam's returns the reordering in r->src. */
voce_status vc_whisper_greedy_update(const vc_whisper_decoder *d, vc_whisper_run *r, int *done);
voce_status vc_whisper_beam_update(const vc_whisper_decoder *d, vc_whisper_run *r, int *done);
/* Adds unfinished beams when fewer than beam_size finished (BeamSearchDecoder.finalize). */
void vc_whisper_beam_finalize(const vc_whisper_decoder *d, vc_whisper_run *r);

/* decode_run.c: one decode at r->temperature into res. */
voce_status vc_whisper_run_decode(vc_whisper_decoder *d, vc_whisper_run *r, int attempt,
                                  vc_whisper_result *res);

#endif
