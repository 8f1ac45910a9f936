/* What the speech-recognition API's files share (asr.c, asr_transducer.c): the
 * recognizer, and VAD gating -- the speech the VAD finds cut out and joined, and times
 * in the joined audio mapped back to the original. */
#ifndef VC_PIPELINE_ASR_INTERNAL_H
#define VC_PIPELINE_ASR_INTERNAL_H

#include <stddef.h>

#include "models/transducer/transcribe.h"
#include "models/whisper/transcribe.h"
#include "voce/asr.h"
#include "voce/vad.h"

#define VC_ASR_SAMPLE_RATE 16000

struct voce_asr {
    voce_program *prog;
    int transducer;             /* voce.family "transducer" (TDT, RNN-T, CTC), else whisper */
    vc_whisper_runner whisper;
    vc_td_runner td;
    voce_vad *vad;
};

typedef struct piece {
    double joined, original, length;  /* seconds: start in the joined audio, in the original */
} piece;

typedef struct gate {
    float *pcm;
    size_t n;
    piece *p;
    size_t n_p;
} gate;

/* g (zeroed by the caller) gets the speech of pcm joined; free g->pcm and g->p. */
voce_status vc_asr_gate_audio(voce_vad *vad, const float *pcm, size_t n, gate *g);
/* t in the joined audio, in the original (g NULL: t). */
double vc_asr_map_time(const gate *g, double t, int is_end);

/* voce_asr_transcribe for a transducer program (asr_transducer.c). */
voce_status vc_asr_transcribe_transducer(voce_asr *asr, const float *samples, size_t n,
                                         const voce_transcribe_params *p, voce_transcript **out);
/* voce_asr_transcribe_file for a transducer program without VAD gating (which joins the
 * speech in memory): the file is read in pieces, twice, never whole (asr_transducer.c);
 * for regular files only (a pipe cannot be read twice). */
voce_status vc_asr_transcribe_transducer_file(voce_asr *asr, const char *path, const voce_transcribe_params *p,
                                              voce_transcript **out);
int vc_asr_regular_file(const char *path);

#endif
