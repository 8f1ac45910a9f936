/* The WAV fmt chunk: encoding, channels, rate, frame size; every refusal names why. */
#include <stdio.h>
#include <string.h>

#include "audio/wav.h"
#include "core/error.h"
#include "voce/audio.h"

#define WAVE_FORMAT_PCM 0x0001
#define WAVE_FORMAT_IEEE_FLOAT 0x0003
#define WAVE_FORMAT_EXTENSIBLE 0xFFFE
#define MAX_RATE 1000000u

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Names of encodings people meet in WAV files, so that a refusal says what the file is. */
static const char *tag_name(unsigned tag)
{
    switch (tag) {
    case 0x0002: return "Microsoft ADPCM";
    case 0x0006: return "A-law";
    case 0x0007: return "mu-law";
    case 0x0011: return "IMA ADPCM";
    case 0x0031: return "GSM 6.10";
    case 0x0050: return "MPEG";
    case 0x0055: return "MP3";
    case 0x00FF: return "AAC";
    case 0x1610: return "AAC";
    case 0xF1AC: return "FLAC";
    }
    return "unknown";
}

/* The KSDATAFORMAT_SUBTYPE GUIDs of PCM and float share these 14 bytes after the
 * leading 16-bit format tag. */
static const unsigned char guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                            0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

static voce_status extensible_tag(const unsigned char *b, uint32_t size, unsigned bits,
                                  unsigned *tag)
{
    if (size < 40)
        return vc_error(VOCE_ERR_FORMAT,
                        "WAV fmt chunk too short for WAVE_FORMAT_EXTENSIBLE (%u bytes, 40 needed)",
                        (unsigned)size);
    if (le16(b + 16) < 22)
        return vc_error(VOCE_ERR_FORMAT, "WAVE_FORMAT_EXTENSIBLE extension of %u bytes (22 needed)",
                        le16(b + 16));
    const unsigned char *g = b + 24;
    if (memcmp(g + 2, guid_tail, sizeof guid_tail) != 0)
        return vc_error(VOCE_ERR_UNSUPPORTED,
                        "WAVE_FORMAT_EXTENSIBLE sub-format {%08x-%04x-%04x-...} is not supported "
                        "(voce reads PCM and IEEE float)",
                        (unsigned)le32(g), le16(g + 4), le16(g + 6));
    /* Samples are left-justified in their containers, so fewer valid bits than the
     * container's read correctly as the container's width. */
    if (le16(b + 18) > bits)
        return vc_error(VOCE_ERR_FORMAT, "WAV claims %u valid bits in %u-bit samples",
                        le16(b + 18), bits);
    *tag = le16(g);
    return VOCE_OK;
}

static voce_status kind_of(unsigned tag, unsigned bits, vc_wav_fmt *out)
{
    if (tag == WAVE_FORMAT_PCM) {
        switch (bits) {
        case 8: out->kind = VC_PCM_U8; out->format = "wav pcm8"; return VOCE_OK;
        case 16: out->kind = VC_PCM_S16; out->format = "wav pcm16"; return VOCE_OK;
        case 24: out->kind = VC_PCM_S24; out->format = "wav pcm24"; return VOCE_OK;
        case 32: out->kind = VC_PCM_S32; out->format = "wav pcm32"; return VOCE_OK;
        }
        return vc_error(VOCE_ERR_UNSUPPORTED,
                        "%u-bit PCM WAV is not supported (voce reads 8, 16, 24 and 32-bit PCM)", bits);
    }
    if (tag == WAVE_FORMAT_IEEE_FLOAT) {
        if (bits == 32) { out->kind = VC_PCM_F32; out->format = "wav float32"; return VOCE_OK; }
        if (bits == 64) { out->kind = VC_PCM_F64; out->format = "wav float64"; return VOCE_OK; }
        return vc_error(VOCE_ERR_UNSUPPORTED,
                        "%u-bit float WAV is not supported (voce reads 32 and 64-bit float)", bits);
    }
    return vc_error(VOCE_ERR_UNSUPPORTED,
                    "WAV encoding 0x%04x (%s) is not supported (voce reads PCM and IEEE float)",
                    tag, tag_name(tag));
}

voce_status vc_wav_parse_fmt(const unsigned char *b, uint32_t size, vc_wav_fmt *out)
{
    memset(out, 0, sizeof *out);
    if (size < 16)
        return vc_error(VOCE_ERR_FORMAT, "WAV fmt chunk too short (%u bytes, at least 16)",
                        (unsigned)size);
    unsigned tag = le16(b), channels = le16(b + 2), block_align = le16(b + 12), bits = le16(b + 14);
    uint32_t rate = le32(b + 4);
    if (channels == 0) return vc_error(VOCE_ERR_FORMAT, "WAV with 0 channels");
    if (channels > VOCE_AUDIO_MAX_CHANNELS)
        return vc_error(VOCE_ERR_UNSUPPORTED, "WAV with %u channels (voce reads at most %d)",
                        channels, VOCE_AUDIO_MAX_CHANNELS);
    if (rate == 0) return vc_error(VOCE_ERR_FORMAT, "WAV with sample rate 0");
    if (rate > MAX_RATE)
        return vc_error(VOCE_ERR_UNSUPPORTED, "WAV sample rate %u Hz is beyond the limit of 1 MHz",
                        (unsigned)rate);
    if (tag == WAVE_FORMAT_EXTENSIBLE) {
        voce_status st = extensible_tag(b, size, bits, &tag);
        if (st) return st;
    }
    voce_status st = kind_of(tag, bits, out);
    if (st) return st;
    if (block_align != channels * (bits / 8))
        return vc_error(VOCE_ERR_FORMAT,
                        "WAV block_align %u does not match %u channels of %u bits (%u bytes per frame)",
                        block_align, channels, bits, channels * (bits / 8));
    out->rate = (int)rate;
    out->channels = (int)channels;
    out->block_align = (int)block_align;
    return VOCE_OK;
}
