/* Long audio for NeMo transducer / CTC programs: the encoder over windows of the input,
 * each a chunk with context on both sides whose outputs are dropped, so that memory
 * stays flat however long the input (docs/transducer.md, "Long audio").
 *
 *   vc_td_pcm_source mem;
 *   vc_td_source src = vc_td_source_of_pcm(&mem, pcm, n);  // or a file (asr_transducer.c)
 *   vc_td_chunker c;
 *   if (vc_td_chunker_open(&c, &runner, &src, 20.0, 4.0)) return ...;   // pass 1
 *   while (!c.done) {
 *       if (vc_td_chunker_next(&c)) break;                   // pass 2, one window
 *       ... c.kept: encoder frames c.first .. c.first + c.n - 1, also the model's
 *           enc_out ([d_model][n]; CTC: log-probs [n][n_tokens])
 *   }
 *   vc_td_chunker_close(&c);
 *
 * The source is read twice: once for NeMo's per-feature normalisation statistics over
 * the whole input (the mean and deviation each band has when the whole input is one
 * utterance, as NeMo's buffered inference computes them), then window by window. Chunk
 * borders and contexts are whole encoder frames (subsampling x 10 ms), so encoder frame
 * j of a window is frame first + j of the whole input. */
#ifndef VC_TD_CHUNK_H
#define VC_TD_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "transcribe.h"

/* Defaults: 20 s kept per window, 4 s of context either side (a window of 28 s). */
#define VC_TD_CHUNK_SECONDS 20.0
#define VC_TD_CONTEXT_SECONDS 4.0

/* Mono samples at the front end's rate, read in order; rewind starts again. */
typedef struct vc_td_source {
    void *ctx;
    voce_status (*rewind)(void *ctx);
    voce_status (*read)(void *ctx, float *out, size_t max, size_t *n); /* *n = 0: the end */
} vc_td_source;

typedef struct vc_td_pcm_source {
    const float *pcm;
    size_t n, pos;
} vc_td_pcm_source;

/* A source reading pcm[0 .. n) through mem (which must outlive it). */
vc_td_source vc_td_source_of_pcm(vc_td_pcm_source *mem, const float *pcm, size_t n);

typedef struct vc_td_chunker {
    vc_td_runner *r;
    const vc_td_source *src;
    int chunk, left, right;     /* feature frames, multiples of the subsampling */
    size_t n_samples;           /* of the source */
    int64_t n_feat, n_enc;      /* valid feature frames, encoder frames of the whole input */
    double *mean, *scale;       /* per band: x -> (x - mean) * scale */
    float *rows;                /* streamed feature rows [frame][F] from row0 */
    int64_t row0;
    int n_rows, cap_rows;
    float *win;                 /* one window as the encoder takes it, [F][frames] */
    int64_t next;               /* the feature frame where the next chunk starts */
    size_t pushed;              /* samples read in the current pass */
    int src_end;                /* pass 2: the source is read and the stream flushed */
    int done;                   /* the last chunk is out */
    /* the kept encoder frames of the last window */
    float *kept;
    int64_t first;
    int n, width;               /* frames; values per frame (d_model, or n_tokens for CTC) */
    int windows;                /* encoded so far */
} vc_td_chunker;

/* The chunk and context (on each side) in seconds, rounded to whole encoder frames;
 * chunk_s 0 takes the defaults above for both, context_s 0 otherwise means none. Reads the source once (the statistics) and leaves it for _next. */
voce_status vc_td_chunker_open(vc_td_chunker *c, vc_td_runner *r, const vc_td_source *src, double chunk_s,
                               double context_s);
/* Encode the next window; c->kept and the model's encoder output hold its chunk. */
voce_status vc_td_chunker_next(vc_td_chunker *c);
void vc_td_chunker_close(vc_td_chunker *c);

/* Whether n valid feature frames fit in one window (chunk + right context): such input
 * is encoded in one pass, as before chunking existed. */
int vc_td_fits_one_window(const vc_td_runner *r, int64_t n_feat, double chunk_s, double context_s);

#endif
