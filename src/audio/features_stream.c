/* voce features, streaming: push samples, pull frames (include/voce/features.h).
 * Frames are computed when pulled, from the samples buffered since the last pull. */
#include "audio/features_int.h"
#include "core/error.h"

voce_status voce_features_push(voce_features *fe, const float *pcm, size_t n)
{
    if (!fe || (!pcm && n)) return vc_error(VOCE_ERR_INVALID_ARG, "voce_features_push: NULL argument");
    if (fe->flushed)
        return vc_error(VOCE_ERR_STATE, "voce_features_push after voce_features_flush: call voce_features_reset first");
    if ((uint64_t)n > (uint64_t)INT64_MAX / 4 - (uint64_t)fe->stream.pushed)
        return vc_error(VOCE_ERR_NOMEM, "features: the stream is beyond the supported length");
    return vc_stft_push(&fe->stream, pcm, n);
}

voce_status voce_features_flush(voce_features *fe)
{
    if (!fe) return vc_error(VOCE_ERR_INVALID_ARG, "voce_features_flush: NULL argument");
    if (fe->flushed) return VOCE_OK;
    vc_stft_end(&fe->stream, fe->recipe.end_zeros, vc_features_frame_count(fe, fe->stream.pushed));
    fe->flushed = 1;
    return VOCE_OK;
}

voce_status voce_features_pull(voce_features *fe, float *out, size_t max_frames, size_t *n_frames)
{
    if (n_frames) *n_frames = 0;
    if (!fe || !n_frames || (!out && max_frames))
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_features_pull: NULL argument");
    return vc_features_run(fe, &fe->stream, out, NULL, max_frames, n_frames);
}

void voce_features_reset(voce_features *fe)
{
    if (!fe) return;
    vc_stft_stream_reset(&fe->stream);
    fe->flushed = 0;
}
