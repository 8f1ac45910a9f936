/* Sample encodings to float, and the mixdown of interleaved channels to mono.
 *
 * The arithmetic is fixed because other implementations (a JavaScript reference among
 * them) reproduce it bit for bit; docs/audio.md states it. */
#ifndef VC_AUDIO_PCM_H
#define VC_AUDIO_PCM_H

#include <stddef.h>

/* Encodings of interleaved little-endian samples. */
typedef enum vc_pcm_kind {
    VC_PCM_U8 = 1,   /* unsigned 8-bit, 128 is zero */
    VC_PCM_S16,
    VC_PCM_S24,      /* three bytes */
    VC_PCM_S32,
    VC_PCM_F32,
    VC_PCM_F64
} vc_pcm_kind;

/* Bytes of one sample of kind. */
int vc_pcm_bytes(vc_pcm_kind kind);

/* Decode n samples from little-endian bytes to float:
 *   u8  (v - 128) / 128     s16 v / 32768     s24 v / 8388608     s32 v / 2147483648
 *   f32 as is (NaN and infinities included)   f64 rounded to the nearest float.
 * Each integer result is (float)v divided by a power of two in float: one rounding (s32
 * only; the others are exact), the same as dividing in double and rounding once. */
void vc_pcm_decode(const unsigned char *in, vc_pcm_kind kind, size_t n, float *out);

/* Mono from frames of interleaved float channels: per frame, a float sum from channel
 * 0 upward, then divided by (float)channels. One channel is copied unchanged. out may
 * alias in. */
void vc_mix_mono(const float *in, size_t frames, int channels, float *out);

#endif
