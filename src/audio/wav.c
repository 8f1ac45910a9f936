/* WAV chunk walking and streaming sample reads (the fmt chunk is checked in wav_fmt.c). */
#include "audio/wav.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Bytes read per block: at least 8 frames of the widest file (256 channels x 8 bytes). */
#define BLOCK_BYTES 16384
#define FMT_KEEP 40

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Read exactly n bytes unless the input ends: the count, or -1 on an error. */
static ptrdiff_t get(vc_wav *w, void *buf, size_t n, uint64_t *pos)
{
    ptrdiff_t r = w->read(w->ctx, buf, n);
    if (r > 0) *pos += (uint64_t)r;
    return r;
}

/* Skip n bytes by reading them: pipes cannot seek, and chunks before the data are small
 * in practice. 1 if the input ended first, -1 on an error. */
static int skip(vc_wav *w, uint64_t n, uint64_t *pos)
{
    while (n > 0) {
        size_t k = n < BLOCK_BYTES ? (size_t)n : BLOCK_BYTES;
        ptrdiff_t r = get(w, w->bytes, k, pos);
        if (r < 0) return -1;
        if ((size_t)r < k) return 1;
        n -= k;
    }
    return 0;
}

/* A four-character code for a message, with anything unprintable shown as '?'. */
static void fourcc(const unsigned char *p, char out[5])
{
    for (int i = 0; i < 4; i++) out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    out[4] = 0;
}

static voce_status riff_header(vc_wav *w, uint64_t *pos)
{
    unsigned char h[12];
    ptrdiff_t r = get(w, h, sizeof h, pos);
    if (r < 0) return VOCE_ERR_IO;
    if (r == 0) return vc_error(VOCE_ERR_FORMAT, "empty file");
    if (r >= 4 && !memcmp(h, "RIFX", 4))
        return vc_error(VOCE_ERR_UNSUPPORTED, "big-endian WAV (RIFX) is not supported");
    if (r >= 4 && (!memcmp(h, "RF64", 4) || !memcmp(h, "BW64", 4)))
        return vc_error(VOCE_ERR_UNSUPPORTED, "RF64 WAV (64-bit sizes) is not supported");
    if (r < 4 || memcmp(h, "RIFF", 4))
        return vc_error(VOCE_ERR_FORMAT, "not a WAV file (no RIFF header)");
    if (r < 12) return vc_error(VOCE_ERR_FORMAT, "truncated WAV header (%d bytes)", (int)r);
    if (memcmp(h + 8, "WAVE", 4)) {
        char t[5];
        fourcc(h + 8, t);
        return vc_error(VOCE_ERR_FORMAT, "not a WAV file (a RIFF file of type '%s')", t);
    }
    return VOCE_OK;
}

static voce_status read_fmt(vc_wav *w, uint32_t size, uint64_t *pos, vc_wav_fmt *fmt)
{
    unsigned char b[FMT_KEEP];
    size_t keep = size < FMT_KEEP ? size : FMT_KEEP;
    ptrdiff_t r = get(w, b, keep, pos);
    if (r < 0) return VOCE_ERR_IO;
    if ((size_t)r < keep)
        return vc_error(VOCE_ERR_FORMAT, "truncated WAV: the file ends inside the fmt chunk");
    voce_status st = vc_wav_parse_fmt(b, size, fmt);
    if (st) return st;
    int s = skip(w, (uint64_t)size - keep + (size & 1), pos);
    if (s < 0) return VOCE_ERR_IO;
    return VOCE_OK;
}

/* Frames the file holds: the data size, cut to the file's size when that is known (a
 * size of 0xFFFFFFFF is what writers put when they cannot seek back). */
static int64_t frames_of(uint32_t size, uint64_t data_start, int64_t total, int block_align)
{
    uint64_t n = size;
    if (total >= 0) {
        uint64_t avail = (uint64_t)total > data_start ? (uint64_t)total - data_start : 0;
        if (size == 0xFFFFFFFFu || avail < n) n = avail;
    } else if (size == 0xFFFFFFFFu) {
        return -1;
    }
    return (int64_t)(n / (uint64_t)block_align);
}

static voce_status walk_chunks(vc_wav *w, int64_t total)
{
    uint64_t pos = 0;
    voce_status st = riff_header(w, &pos);
    if (st) return st;
    int have_fmt = 0;
    vc_wav_fmt fmt = {0};
    for (;;) {
        unsigned char h[8];
        ptrdiff_t r = get(w, h, sizeof h, &pos);
        if (r < 0) return VOCE_ERR_IO;
        if (r < 8) return vc_error(VOCE_ERR_FORMAT, "WAV without a %s chunk", have_fmt ? "data" : "fmt");
        uint32_t size = le32(h + 4);
        if (!memcmp(h, "fmt ", 4)) {
            if (have_fmt) return vc_error(VOCE_ERR_FORMAT, "WAV with two fmt chunks");
            st = read_fmt(w, size, &pos, &fmt);
            if (st) return st;
            have_fmt = 1;
        } else if (!memcmp(h, "data", 4)) {
            if (!have_fmt) return vc_error(VOCE_ERR_FORMAT, "WAV data chunk before the fmt chunk");
            w->rate = fmt.rate;
            w->channels = fmt.channels;
            w->block_align = fmt.block_align;
            w->kind = fmt.kind;
            w->format = fmt.format;
            w->frames = frames_of(size, pos, total, fmt.block_align);
            w->data_left = size == 0xFFFFFFFFu ? UINT64_MAX : size;
            return VOCE_OK;
        } else {
            /* LIST, fact, bext, JUNK, ...: nothing voce needs. Odd sizes are padded. */
            int s = skip(w, (uint64_t)size + (size & 1), &pos);
            if (s < 0) return VOCE_ERR_IO;
        }
    }
}

voce_status vc_wav_open(vc_wav *w, vc_read_fn read, void *ctx, int64_t total_size)
{
    memset(w, 0, sizeof *w);
    w->read = read;
    w->ctx = ctx;
    w->bytes = malloc(BLOCK_BYTES);
    if (!w->bytes) return vc_error(VOCE_ERR_NOMEM, "out of memory for a WAV read buffer");
    voce_status st = walk_chunks(w, total_size);
    if (!st) {
        w->block_frames = BLOCK_BYTES / (size_t)w->block_align;
        w->samples = malloc(w->block_frames * (size_t)w->channels * sizeof *w->samples);
        if (!w->samples) st = vc_error(VOCE_ERR_NOMEM, "out of memory for a WAV read buffer");
    }
    if (st) vc_wav_close(w);
    return st;
}

voce_status vc_wav_read(vc_wav *w, float *out, size_t max, size_t *n)
{
    *n = 0;
    size_t ba = (size_t)w->block_align;
    while (*n < max && !w->done) {
        size_t frames = max - *n < w->block_frames ? max - *n : w->block_frames;
        if (w->data_left != UINT64_MAX && w->data_left / ba < frames) frames = (size_t)(w->data_left / ba);
        if (frames == 0) { w->done = 1; break; }
        size_t want = frames * ba;
        ptrdiff_t r = w->read(w->ctx, w->bytes, want);
        if (r < 0) return VOCE_ERR_IO;
        /* A data size beyond the end of the file (a stream's placeholder or a lie) reads
         * to the end; the bytes of a partial last frame are dropped. */
        if ((size_t)r < want) w->done = 1;
        if (w->data_left != UINT64_MAX) w->data_left -= (uint64_t)r;
        size_t got = (size_t)r / ba;
        vc_pcm_decode(w->bytes, w->kind, got * (size_t)w->channels, w->samples);
        vc_mix_mono(w->samples, got, w->channels, out + *n);
        *n += got;
    }
    return VOCE_OK;
}

void vc_wav_close(vc_wav *w)
{
    free(w->bytes);
    free(w->samples);
    w->bytes = NULL;
    w->samples = NULL;
}
