/* voce's own streaming WAV parser: RIFF/WAVE with PCM 8/16/24/32-bit, IEEE float 32/64
 * and WAVE_FORMAT_EXTENSIBLE of those. Bytes come through a read function, a block at a
 * time, so that neither a file nor a pipe is ever held whole in memory.
 *
 *   vc_wav w;
 *   if (vc_wav_open(&w, my_read, ctx, size_or_minus_1) == VOCE_OK)
 *       while (vc_wav_read(&w, mono, cap, &n) == VOCE_OK && n > 0) ...
 *   vc_wav_close(&w);
 */
#ifndef VC_AUDIO_WAV_H
#define VC_AUDIO_WAV_H

#include <stddef.h>
#include <stdint.h>

#include "audio/pcm.h"
#include "voce/voce.h"

/* Read up to n bytes into buf. Fewer than n only at the end of the input. Returns the
 * count, or -1 after setting the error message (vc_error). */
typedef ptrdiff_t (*vc_read_fn)(void *ctx, void *buf, size_t n);

typedef struct vc_wav {
    vc_read_fn read;
    void *ctx;
    int rate;
    int channels;
    int block_align;        /* bytes per frame */
    vc_pcm_kind kind;
    int64_t frames;         /* frames the file holds; -1 when unknown (streamed) */
    const char *format;     /* "wav pcm16", "wav float32", ... */
    uint64_t data_left;     /* data bytes still to read; UINT64_MAX: to the end */
    int done;
    unsigned char *bytes;   /* one block of frames as read */
    float *samples;         /* the same block decoded, all channels */
    size_t block_frames;
} vc_wav;

/* The fmt chunk, checked. */
typedef struct vc_wav_fmt {
    int rate;
    int channels;
    int block_align;
    vc_pcm_kind kind;
    const char *format;     /* "wav pcm16", ... */
} vc_wav_fmt;

/* Check and decode a fmt chunk of size bytes (b holds min(size, 40) of them). */
voce_status vc_wav_parse_fmt(const unsigned char *b, uint32_t size, vc_wav_fmt *out);

/* Parse the header up to the start of the samples. total_size is the input's size in
 * bytes if known (a regular file), else -1; it only serves to report frames when the
 * data size is missing or larger than the file. On failure w needs no close. */
voce_status vc_wav_open(vc_wav *w, vc_read_fn read, void *ctx, int64_t total_size);

/* Up to max mono samples; *n < max only at the end (then *n may be 0). A trailing
 * partial frame is dropped. */
voce_status vc_wav_read(vc_wav *w, float *out, size_t max, size_t *n);

void vc_wav_close(vc_wav *w);

#endif
