/* voce audio input: read speech from files or a pipe as mono float samples at the rate
 * a model wants, a block at a time.
 *
 *   voce_audio_options o = voce_audio_options_default();
 *   o.sample_rate = 16000;                     // resample to 16 kHz (0: keep the file's)
 *   voce_audio *a = NULL;
 *   if (voce_audio_open("talk.flac", &o, &a)) { puts(voce_last_error()); return 1; }
 *   float buf[4096];
 *   size_t n;
 *   while (voce_audio_read(a, buf, 4096, &n) == VOCE_OK && n > 0)
 *       consume(buf, n);                        // mono, [-1, 1] for PCM sources
 *   voce_audio_close(a);
 *
 * Sources:
 *   - WAV (RIFF; big-endian RIFX and RF64 are refused by name) by voce's own parser:
 *     PCM 8 (unsigned), 16, 24, 32-bit, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE with those sub-formats.
 *     Unknown chunks are skipped. A `data` size larger than the file (streams written
 *     without a final size, e.g. 0xFFFFFFFF) is read up to the end of the file; a
 *     trailing partial frame is dropped.
 *   - FLAC, Ogg (Vorbis, Opus), MP3 and the other formats of libsndfile, when
 *     libsndfile.so.1 (>= 1.1 for MP3 and Opus) can be loaded at run time. Without it
 *     these files fail with VOCE_ERR_UNSUPPORTED and a message naming the library.
 *   - Raw little-endian PCM (f32le, s16le) from a file descriptor, e.g. stdin, at a
 *     rate and channel count the caller states. A sample or frame split across reads
 *     waits for its remaining bytes; a partial frame at the end is dropped.
 *
 * Every source is mixed down to mono (the mean of the channels: a float sum from
 * channel 0 upward divided by the channel count; docs/audio.md gives the exact
 * arithmetic and the integer scaling). When o.sample_rate
 * differs from the source rate the audio is resampled with libsoxr (libsoxr.so.0,
 * loaded at run time, "high quality" recipe); without it the open fails with
 * VOCE_ERR_UNSUPPORTED naming the library. Reading is streaming: memory does not grow
 * with the length of the input.
 *
 * Samples are passed through as decoded: NaN and infinite float samples are not
 * altered here (the consumer decides; the VAD treats them as silence).
 *
 * Limits: at most VOCE_AUDIO_MAX_CHANNELS channels; sample rates 1 Hz .. 1 MHz.
 *
 * Thread safety: a voce_audio or voce_resampler is used by one thread at a time;
 * different objects are independent.
 */
#ifndef VOCE_AUDIO_H
#define VOCE_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "voce.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VOCE_AUDIO_MAX_CHANNELS 256

typedef struct voce_audio voce_audio;

/* Sample encodings of raw input. */
typedef enum voce_raw_format {
    VOCE_RAW_F32LE = 1,    /* 32-bit IEEE float, little endian */
    VOCE_RAW_S16LE = 2     /* 16-bit signed integer, little endian, scaled by 1/32768 */
} voce_raw_format;

typedef struct voce_audio_options {
    int sample_rate;        /* output rate in Hz; 0 keeps the source's rate. Default 0 */
} voce_audio_options;

voce_audio_options voce_audio_options_default(void);

/* What was opened. Strings belong to the reader (valid until voce_audio_close). */
typedef struct voce_audio_info {
    int source_rate;        /* rate of the source, Hz */
    int channels;           /* channels of the source (the output is always mono) */
    int sample_rate;        /* rate of the samples voce_audio_read returns */
    int64_t frames;         /* source frames if known (WAV, libsndfile), else -1 */
    const char *format;     /* "wav pcm16", "wav float32", "flac", "raw s16le", ... */
} voce_audio_info;

/* Open a file. opt may be NULL (defaults). The kind of file is decided by its first
 * bytes, not its name. */
voce_status voce_audio_open(const char *path, const voce_audio_options *opt, voce_audio **out);

/* Raw PCM from an open file descriptor (not closed by voce_audio_close). rate and
 * channels describe the stream. */
voce_status voce_audio_open_raw(int fd, voce_raw_format format, int rate, int channels,
                                const voce_audio_options *opt, voce_audio **out);

/* Up to max mono samples into out; *n is how many. For a file, *n == 0 means the end.
 * A file source fills the buffer unless it ends; a raw source returns as soon as some
 * samples arrived, so that a live stream is not held back. When a signal interrupts
 * a read from a raw source, the call returns VOCE_OK with what it has (maybe 0 samples
 * and not at the end: voce_audio_at_end tells); so does a non-blocking descriptor with
 * nothing ready (EAGAIN). */
voce_status voce_audio_read(voce_audio *a, float *out, size_t max, size_t *n);

/* 1 once the source is exhausted and every sample has been returned. A read that
 * filled the buffer exactly up to the end may leave this 0 until the next read, which
 * returns 0 samples. */
int voce_audio_at_end(const voce_audio *a);

/* Stop reading the source (e.g. on Ctrl-C): later reads return what is still buffered,
 * the resampler's tail included, and then the end. Nothing more is read from the file
 * or descriptor. */
void voce_audio_stop(voce_audio *a);

void voce_audio_info_get(const voce_audio *a, voce_audio_info *info);

void voce_audio_close(voce_audio *a);

/* Whole file in memory (for short files and tests): *pcm is malloc'ed, free() it.
 * *rate receives the output rate. */
voce_status voce_audio_read_file(const char *path, const voce_audio_options *opt,
                                 float **pcm, size_t *n, int *rate);

/* ---- resampling of pushed blocks (e.g. a microphone at 48 kHz) ---- */

typedef struct voce_resampler voce_resampler;

/* Mono float resampler (libsoxr, loaded at run time). */
voce_status voce_resampler_create(int in_rate, int out_rate, voce_resampler **out);

/* Consume all n_in samples; write up to cap output samples, *n_out of them. Nothing is
 * lost: libsoxr computes in blocks, so one call may return fewer samples than
 * n_in * out_rate / in_rate (the rest follows) or have more ready than cap; what does
 * not fit waits inside and comes first in the next call. A cap of at least
 * n_in * out_rate / in_rate + 64 on every call keeps what waits to about one block.
 * in != NULL with n_in == 0 returns only what waits. At the end pass in = NULL,
 * n_in = 0 to flush the tail, and again until *n_out is 0 (the tail is a few hundred
 * to a few thousand samples; one call returns it all when cap is larger); input after
 * that is VOCE_ERR_STATE. The output is aligned with the input: output sample k is
 * input time k/out_rate, and n_in samples in all give n_in * out_rate / in_rate out
 * (within 2). */
voce_status voce_resampler_process(voce_resampler *r, const float *in, size_t n_in,
                                   float *out, size_t cap, size_t *n_out);

void voce_resampler_destroy(voce_resampler *r);

#ifdef __cplusplus
}
#endif

#endif
