/* The voce_features object, shared by the files that implement include/voce/features.h:
 * features.c (create, offline compute, finish), features_stream.c (push, flush, pull),
 * features_config.c (settings). */
#ifndef VC_FEATURES_INT_H
#define VC_FEATURES_INT_H

#include "audio/frontend.h"
#include "voce/features.h"

/* The most mel bins a front end takes (a frame's row is held on the stack). */
#define VC_FEATURES_MAX_MELS 1024

struct voce_features {
    voce_features_config cfg;
    vc_frontend_recipe recipe;
    vc_stft stft;              /* plan: read-only, shared by the stream and compute() */
    vc_melbank mel;
    vc_stft_stream stream;     /* the push / pull stream */
    int flushed;
};

/* Is c usable? VOCE_ERR_INVALID_ARG naming the field if not. */
voce_status vc_features_check(const voce_features_config *c);

/* "whisper", "nemo", "fbank"; "?" for anything else. */
const char *vc_features_kind_name(voce_features_kind kind);

/* Frames the whole of n pushed samples gives (before NeMo's padding). */
int64_t vc_features_frame_count(const voce_features *fe, int64_t n);

/* Up to max frames of s (mel filters and log) into out, frames x n_mels: floats, or
 * doubles into out64 when that is not NULL (out is then unused). */
voce_status vc_features_run(const voce_features *fe, vc_stft_stream *s, float *out, double *out64, size_t max,
                            size_t *n);

#endif
