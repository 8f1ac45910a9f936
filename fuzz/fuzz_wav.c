/* libFuzzer target for voce's WAV parser (src/audio/wav.c and wav_fmt.c).
 *
 * The whole input is the file, so that real WAV files serve as seeds. Its last byte
 * also picks how it is served: in pieces of 1 to 64 bytes through the parser's read
 * function (so that the header walk and the block reads meet every split), with the
 * total size known (a file) or not (a pipe), and the order of read sizes. A parsed file
 * is read to its end in blocks of several sizes and every sample is touched.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audio/sniff.h"
#include "audio/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct mem {
    const uint8_t *p;
    size_t n, pos, piece;
} mem;

/* At most `piece` bytes per call, looping as a file read would, so that fewer than n
 * come back only at the end. */
static ptrdiff_t mem_read(void *ctx, void *buf, size_t n)
{
    mem *m = ctx;
    size_t got = 0;
    while (got < n && m->pos < m->n) {
        size_t k = n - got;
        if (k > m->piece) k = m->piece;
        if (k > m->n - m->pos) k = m->n - m->pos;
        memcpy((char *)buf + got, m->p + m->pos, k);
        m->pos += k;
        got += k;
    }
    return (ptrdiff_t)got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned mode = data[size - 1];
    const char *name;
    (void)vc_sniff(data, size < 12 ? size : 12, &name);
    mem m = {data, size, 0, (size_t)(mode & 0x3F) + 1};
    vc_wav w;
    if (vc_wav_open(&w, mem_read, &m, mode & 0x40 ? (int64_t)size : -1) != VOCE_OK) return 0;
    static const size_t blocks[] = {1, 7, 333, 4096};
    float out[4096];
    volatile float sink = 0;
    for (int i = 0;; i++) {
        size_t max = blocks[(i + (mode >> 7)) % 4], n;
        if (vc_wav_read(&w, out, max, &n) != VOCE_OK || n == 0) break;
        for (size_t k = 0; k < n; k++) sink += out[k];
    }
    (void)sink;
    vc_wav_close(&w);
    return 0;
}
