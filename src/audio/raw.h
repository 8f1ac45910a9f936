/* Raw little-endian PCM from a file descriptor (a pipe, stdin, a socket). */
#ifndef VC_AUDIO_RAW_H
#define VC_AUDIO_RAW_H

#include <stddef.h>

#include "audio/pcm.h"
#include "voce/voce.h"

typedef struct vc_raw {
    int fd;
    vc_pcm_kind kind;
    int channels;
    size_t frame_bytes;
    unsigned char *bytes;   /* bytes read, of which `have` are an incomplete frame */
    size_t have;
    size_t block_frames;
    float *samples;
    int done;
} vc_raw;

voce_status vc_raw_open(vc_raw *r, int fd, vc_pcm_kind kind, int channels);

/* Up to max mono samples. Waits until at least one whole frame arrived, then returns
 * what a single read(2) brought. *n == 0 means the end (r->done), or a signal or a
 * non-blocking descriptor with nothing ready (EINTR, EAGAIN: not done). */
voce_status vc_raw_read(vc_raw *r, float *out, size_t max, size_t *n);

void vc_raw_close(vc_raw *r);

#endif
