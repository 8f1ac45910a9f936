/* Internal side of the resampler (the API is voce_resampler_* in voce/audio.h). */
#ifndef VC_AUDIO_RESAMPLE_H
#define VC_AUDIO_RESAMPLE_H

#include "voce/audio.h"

#define VC_SOXR_SONAME "libsoxr.so.0"

/* voce_resampler_create with libsoxr loaded from soname (tests pass a missing one). */
voce_status vc_resampler_create_with(int in_rate, int out_rate, const char *soname,
                                     voce_resampler **out);

#endif
