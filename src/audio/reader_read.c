/* Reading from an opened voce_audio: the source's mono blocks, through the resampler
 * when the output rate differs, and whole files for short inputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/reader.h"
#include "audio/resample.h"
#include "core/error.h"

/* Source samples handed to the resampler at a time. */
#define RESAMPLE_BLOCK 4096

voce_status vc_audio_setup_rate(voce_audio *a, const voce_audio_options *opt, const char *soxr)
{
    a->info.sample_rate = opt->sample_rate ? opt->sample_rate : a->info.source_rate;
    if (a->info.sample_rate == a->info.source_rate) return VOCE_OK;
    voce_status st = vc_resampler_create_with(a->info.source_rate, a->info.sample_rate, soxr, &a->rs);
    if (st) return st;
    a->in_cap = RESAMPLE_BLOCK;
    a->in = malloc(a->in_cap * sizeof *a->in);
    if (!a->in) return vc_error(VOCE_ERR_NOMEM, "out of memory for a resampling buffer");
    return VOCE_OK;
}

voce_status vc_audio_src_read(voce_audio *a, float *out, size_t max, size_t *n)
{
    voce_status st = VOCE_OK;
    *n = 0;
    switch (a->src) {
    case VC_SRC_WAV:
        st = vc_wav_read(&a->wav, out, max, n);
        a->src_done = a->wav.done || a->wav.data_left == 0;
        break;
    case VC_SRC_SNDFILE:
        st = vc_sndfile_read(&a->snd, out, max, n);
        a->src_done = a->snd.done;
        break;
    case VC_SRC_RAW:
        st = vc_raw_read(&a->raw, out, max, n);
        a->src_done = a->raw.done;
        break;
    }
    return st;
}

/* Resampled output: drain what soxr holds, feed it about as much input as the room
 * left needs, repeat. Feeding no more than that keeps soxr's backlog to one block
 * however small the caller's reads are. */
static voce_status read_resampled(voce_audio *a, float *out, size_t max, size_t *n)
{
    int raw = a->src == VC_SRC_RAW;
    while (*n < max) {
        size_t k;
        voce_status st = voce_resampler_process(a->rs, a->src_done ? NULL : a->in, 0, out + *n,
                                                max - *n, &k);
        if (st) return st;
        *n += k;
        if (*n == max) break;
        if (a->src_done) {      /* the flush returned less than there was room for */
            a->end = 1;
            break;
        }
        if (raw && *n > 0) break;
        double need = (double)(max - *n) * a->info.source_rate / a->info.sample_rate + 1.0;
        size_t feed = need < (double)a->in_cap ? (size_t)need : a->in_cap;
        size_t m;
        st = vc_audio_src_read(a, a->in, feed, &m);
        if (st) return st;
        if (m > 0) {
            st = voce_resampler_process(a->rs, a->in, m, out + *n, max - *n, &k);
            if (st) return st;
            *n += k;
        }
        /* A live stream returns what it has; an interrupted read returns too. */
        if (raw && (*n > 0 || (m == 0 && !a->src_done))) break;
    }
    return VOCE_OK;
}

voce_status voce_audio_read(voce_audio *a, float *out, size_t max, size_t *n)
{
    if (n) *n = 0;
    if (!a || !n || (!out && max))
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_read: NULL argument");
    if (a->end || max == 0) return VOCE_OK;
    if (a->rs) return read_resampled(a, out, max, n);
    if (a->src_done) { /* stopped, or a stream that ended on the last read */
        a->end = 1;
        return VOCE_OK;
    }
    voce_status st = vc_audio_src_read(a, out, max, n);
    if (st) return st;
    /* A file fills the buffer unless it ends; a raw stream says so itself. */
    if (a->src_done && (a->src != VC_SRC_RAW || *n == 0)) a->end = 1;
    if (a->src != VC_SRC_RAW && *n < max) a->end = 1;
    return VOCE_OK;
}

void voce_audio_stop(voce_audio *a)
{
    if (a) a->src_done = 1;
}

voce_status voce_audio_read_file(const char *path, const voce_audio_options *opt, float **pcm,
                                 size_t *n, int *rate)
{
    if (pcm) *pcm = NULL;
    if (n) *n = 0;
    if (!pcm || !n) return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_read_file: NULL argument");
    voce_audio *a;
    voce_status st = voce_audio_open(path, opt, &a);
    if (st) return st;
    size_t cap = 1 << 16, len = 0;
    if (a->info.frames > 0) {
        double est = (double)a->info.frames * a->info.sample_rate / a->info.source_rate + 64.0;
        if (est < (double)(SIZE_MAX / sizeof(float) / 2)) cap = (size_t)est;
    }
    float *buf = malloc(cap * sizeof *buf);
    while (buf) {
        if (len == cap) {
            float *b = cap < SIZE_MAX / sizeof *buf / 2 ? realloc(buf, 2 * cap * sizeof *buf) : NULL;
            if (!b) break;
            buf = b;
            cap *= 2;
        }
        size_t k;
        st = voce_audio_read(a, buf + len, cap - len, &k);
        len += k;
        if (st || k == 0) break;
    }
    if (!st && (!buf || len == cap))
        st = vc_error(VOCE_ERR_NOMEM, "%s: out of memory for the whole file", path);
    if (rate) *rate = a->info.sample_rate;
    voce_audio_close(a);
    if (st) {
        free(buf);
        return st;
    }
    *pcm = buf;
    *n = len;
    return VOCE_OK;
}
