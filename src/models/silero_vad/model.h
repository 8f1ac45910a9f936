/* One Silero VAD network on a compiled program: the method for one sample rate, its
 * recurrent state and the audio context carried between windows. Which tensors those
 * are comes from the program's metadata (written by `voce compile --family
 * silero-vad`), checked against the method's declared inputs and outputs so that a
 * hostile or mislabelled program fails at open, not while running. */
#ifndef VC_SILERO_MODEL_H
#define VC_SILERO_MODEL_H

#include <stddef.h>

#include "voce/runtime.h"

#define VC_SILERO_MAX_WINDOW 4096
#define VC_SILERO_MAX_STATE 2

typedef struct vc_silero {
    voce_method *m;
    int version;            /* 4, 5 or 6 */
    int rate, window, context;
    size_t in, out;         /* input / probability output indices */
    int n_state;
    size_t state_in[VC_SILERO_MAX_STATE], state_out[VC_SILERO_MAX_STATE];
    voce_tensor state_t[VC_SILERO_MAX_STATE];   /* shape and dtype of each state input */
    float *state[VC_SILERO_MAX_STATE];
    float *x;               /* context followed by the window */
} vc_silero;

/* Pick the method serving rate and prepare it. */
voce_status vc_silero_open(vc_silero *s, const voce_program *prog, int rate, int threads);
void vc_silero_close(vc_silero *s);

/* Zero state and context. */
void vc_silero_reset(vc_silero *s);

/* Speech probability of one window of s->window samples. */
voce_status vc_silero_run(vc_silero *s, const float *window, float *prob);

#endif
