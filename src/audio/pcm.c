/* Sample decoding and mono mixdown (see pcm.h for the arithmetic). */
#include "pcm.h"

#include <stdint.h>
#include <string.h>

int vc_pcm_bytes(vc_pcm_kind kind)
{
    switch (kind) {
    case VC_PCM_U8: return 1;
    case VC_PCM_S16: return 2;
    case VC_PCM_S24: return 3;
    case VC_PCM_S32: return 4;
    case VC_PCM_F32: return 4;
    case VC_PCM_F64: return 8;
    }
    return 0;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Two's complement by arithmetic, so that no conversion depends on the implementation. */
static int32_t s32_of(uint32_t u)
{
    return u < 0x80000000u ? (int32_t)u : (int32_t)(u - 0x80000000u) - INT32_MAX - 1;
}

void vc_pcm_decode(const unsigned char *in, vc_pcm_kind kind, size_t n, float *out)
{
    switch (kind) {
    case VC_PCM_U8:
        for (size_t i = 0; i < n; i++) out[i] = (float)((int)in[i] - 128) / 128.0f;
        break;
    case VC_PCM_S16:
        for (size_t i = 0; i < n; i++) {
            int v = (int)(in[2 * i] | in[2 * i + 1] << 8);
            out[i] = (float)(v >= 32768 ? v - 65536 : v) / 32768.0f;
        }
        break;
    case VC_PCM_S24:
        for (size_t i = 0; i < n; i++) {
            const unsigned char *p = in + 3 * i;
            int32_t v = (int32_t)(p[0] | p[1] << 8 | p[2] << 16);
            out[i] = (float)(v >= 0x800000 ? v - 0x1000000 : v) / 8388608.0f;
        }
        break;
    case VC_PCM_S32:
        for (size_t i = 0; i < n; i++) out[i] = (float)s32_of(le32(in + 4 * i)) / 2147483648.0f;
        break;
    case VC_PCM_F32:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = le32(in + 4 * i);
            memcpy(&out[i], &u, 4);
        }
        break;
    case VC_PCM_F64:
        for (size_t i = 0; i < n; i++) {
            uint64_t u = le32(in + 8 * i) | (uint64_t)le32(in + 8 * i + 4) << 32;
            double d;
            memcpy(&d, &u, 8);
            out[i] = (float)d;
        }
        break;
    }
}

void vc_mix_mono(const float *in, size_t frames, int channels, float *out)
{
    if (channels == 1) {
        if (out != in) memmove(out, in, frames * sizeof *out);
        return;
    }
    size_t ch = (size_t)channels;
    float div = (float)channels;
    /* Frame f is read before out[f] is written and out[f] never lies past frame f's
     * channels, so writing in place is safe. */
    for (size_t f = 0; f < frames; f++) {
        const float *x = in + f * ch;
        float s = x[0];
        for (size_t c = 1; c < ch; c++) s += x[c];
        out[f] = s / div;
    }
}
