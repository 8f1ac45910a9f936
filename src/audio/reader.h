/* The voce_audio object shared by the reader's files (open/close in reader.c, reading
 * and resampling in reader_read.c). */
#ifndef VC_AUDIO_READER_H
#define VC_AUDIO_READER_H

#include <stddef.h>

#include "audio/raw.h"
#include "audio/sndfile.h"
#include "audio/wav.h"
#include "voce/audio.h"

/* Where the optional libraries are loaded from; tests name missing ones. */
typedef struct vc_audio_libs {
    const char *sndfile;    /* VC_SNDFILE_SONAME */
    const char *soxr;       /* VC_SOXR_SONAME */
} vc_audio_libs;

/* voce_audio_open with the libraries of libs. */
voce_status vc_audio_open_with(const char *path, const voce_audio_options *opt,
                               const vc_audio_libs *libs, voce_audio **out);

typedef enum vc_audio_src { VC_SRC_WAV = 1, VC_SRC_SNDFILE, VC_SRC_RAW } vc_audio_src;

/* The first bytes of a file: read to decide its kind, then given to the WAV parser. */
#define VC_AUDIO_HEAD 12

struct voce_audio {
    vc_audio_src src;
    vc_wav wav;
    vc_sndfile snd;
    vc_raw raw;
    int fd;                 /* the file voce opened, or -1 (raw: the caller's) */
    char *path;
    unsigned char head[VC_AUDIO_HEAD];
    size_t head_len, head_pos;
    voce_resampler *rs;     /* NULL when the source rate is the output rate */
    float *in;              /* source samples on their way to the resampler */
    size_t in_cap;
    int src_done;           /* the source has no more samples */
    int end;                /* and every output sample has been returned */
    voce_audio_info info;
    char format[40];
};

/* One block from the source, mono at the source rate; sets a->src_done at its end. */
voce_status vc_audio_src_read(voce_audio *a, float *out, size_t max, size_t *n);

/* Create a->rs and a->in when opt asks for another rate than the source's. */
voce_status vc_audio_setup_rate(voce_audio *a, const voce_audio_options *opt, const char *soxr);

#endif
