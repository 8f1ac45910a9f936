/* Magic numbers of audio files (see sniff.h). */
#include "audio/sniff.h"

#include <string.h>

static int starts(const unsigned char *h, size_t n, const char *magic)
{
    size_t k = strlen(magic);
    return n >= k && !memcmp(h, magic, k);
}

vc_sniff_kind vc_sniff(const unsigned char *h, size_t n, const char **name)
{
    static const struct { const char *magic, *name; } sndfile[] = {
        {"fLaC", "FLAC"}, {"OggS", "Ogg"}, {"ID3", "MP3"}, {"FORM", "AIFF"},
        {".snd", "AU"}, {"caff", "CAF"}, {"riff", "W64"}, {"NIST_1A", "NIST SPHERE"},
    };
    *name = "this file";
    if (starts(h, n, "RIFF") || starts(h, n, "RIFX") || starts(h, n, "RF64") || starts(h, n, "BW64")) {
        *name = "WAV";
        return VC_SNIFF_WAV;
    }
    for (size_t i = 0; i < sizeof sndfile / sizeof sndfile[0]; i++)
        if (starts(h, n, sndfile[i].magic)) {
            *name = sndfile[i].name;
            return VC_SNIFF_SNDFILE;
        }
    /* An MPEG audio frame without an ID3 tag: 11 sync bits; layer bits 01 are layer III. */
    if (n >= 2 && h[0] == 0xFF && (h[1] & 0xE0) == 0xE0 && (h[1] & 0x06) != 0) {
        *name = (h[1] & 0x06) == 0x02 ? "MP3" : "MPEG audio";
        return VC_SNIFF_SNDFILE;
    }
    return VC_SNIFF_UNKNOWN;
}
