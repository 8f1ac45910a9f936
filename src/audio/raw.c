/* Raw PCM from a file descriptor (see raw.h). */
#include "audio/raw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

/* Bytes per read: 16 frames or more at the channel limit. */
#define BLOCK_BYTES 16384

voce_status vc_raw_open(vc_raw *r, int fd, vc_pcm_kind kind, int channels)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->kind = kind;
    r->channels = channels;
    r->frame_bytes = (size_t)vc_pcm_bytes(kind) * (size_t)channels;
    r->block_frames = BLOCK_BYTES / r->frame_bytes;
    r->bytes = malloc(BLOCK_BYTES);
    r->samples = malloc(r->block_frames * (size_t)channels * sizeof *r->samples);
    if (!r->bytes || !r->samples) {
        vc_raw_close(r);
        return vc_error(VOCE_ERR_NOMEM, "out of memory for a raw audio buffer");
    }
    return VOCE_OK;
}

voce_status vc_raw_read(vc_raw *r, float *out, size_t max, size_t *n)
{
    *n = 0;
    while (max > 0 && !r->done) {
        size_t frames = max < r->block_frames ? max : r->block_frames;
        /* have < frame_bytes <= frames * frame_bytes, so there is always room. */
        ssize_t k = read(r->fd, r->bytes + r->have, frames * r->frame_bytes - r->have);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return VOCE_OK;
            return vc_error(VOCE_ERR_IO, "reading raw audio from fd %d: %s", r->fd, strerror(errno));
        }
        if (k == 0) {
            r->done = 1;    /* the bytes of a partial last frame are dropped */
            break;
        }
        r->have += (size_t)k;
        size_t whole = r->have / r->frame_bytes;
        if (whole == 0) continue;
        vc_pcm_decode(r->bytes, r->kind, whole * (size_t)r->channels, r->samples);
        vc_mix_mono(r->samples, whole, r->channels, out);
        *n = whole;
        /* A frame (or a sample) split across reads waits for its remaining bytes. */
        r->have -= whole * r->frame_bytes;
        memmove(r->bytes, r->bytes + whole * r->frame_bytes, r->have);
        break;
    }
    return VOCE_OK;
}

void vc_raw_close(vc_raw *r)
{
    free(r->bytes);
    free(r->samples);
    r->bytes = NULL;
    r->samples = NULL;
}
