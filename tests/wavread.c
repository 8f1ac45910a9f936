/* Minimal 16-bit PCM mono WAV reader (see wavread.h). */
#include "wavread.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

float *vt_read_wav16(const char *path, size_t *n, int *rate)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = size > 12 ? malloc((size_t)size) : NULL;
    if (!b || fread(b, 1, (size_t)size, f) != (size_t)size || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4)) {
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    float *out = NULL;
    int ok_fmt = 0;
    for (size_t off = 12; off + 8 <= (size_t)size;) {
        uint32_t len = le32(b + off + 4);
        const unsigned char *body = b + off + 8;
        if (!memcmp(b + off, "fmt ", 4) && len >= 16) {
            ok_fmt = le16(body) == 1 && le16(body + 2) == 1 && le16(body + 14) == 16;
            *rate = (int)le32(body + 4);
        } else if (!memcmp(b + off, "data", 4) && ok_fmt) {
            size_t avail = (size_t)size - off - 8;
            size_t count = (len < avail ? len : avail) / 2;
            out = malloc(sizeof *out * (count ? count : 1));
            for (size_t i = 0; out && i < count; i++) out[i] = (int16_t)le16(body + 2 * i) / 32768.0f;
            *n = count;
            break;
        }
        off += 8 + (size_t)len + (len & 1);
    }
    free(b);
    return out;
}
