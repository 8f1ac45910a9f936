/* The compression ratio of a window's text: zlib loaded at run time, or voce's estimate
 * of zlib's size when it is missing (see decode_text.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "audio/dynlib.h"
#include "core/error.h"
#include "models/whisper/decode_text.h"

#define MAX_TEXT ((size_t)1 << 28)
#define HASH_BITS 12
#define ZLIB_DEFAULT_LEVEL (-1) /* Z_DEFAULT_COMPRESSION, what zlib.compress uses */
#define ZLIB_OK 0

static const vc_dynlib_need zlib_lib = {"libz.so.1", "zlib", "zlib1g"};

void vc_whisper_zlib_load(vc_whisper_zlib *z, const char *soname)
{
    static const vc_dynlib_sym syms[] = {
        {"compressBound", offsetof(vc_whisper_zlib, bound)},
        {"compress2", offsetof(vc_whisper_zlib, compress2)},
    };
    memset(z, 0, sizeof *z);
    vc_dynlib_need lib = zlib_lib;
    if (soname) lib.soname = soname;
    voce_status st = vc_dynlib_open(&lib, "measuring the compression ratio exactly", &z->lib);
    if (!st) st = vc_dynlib_syms(z->lib, &lib, syms, (int)(sizeof syms / sizeof syms[0]), z);
    if (!st) return;
    /* Not an error for the caller: the ratio is estimated instead, and z->why says so. */
    snprintf(z->why, sizeof z->why, "%s; compression ratios are estimated", voce_last_error());
    vc_error_clear();
    vc_dynlib_close(z->lib);
    z->lib = NULL;
    z->bound = NULL;
    z->compress2 = NULL;
}

void vc_whisper_zlib_unload(vc_whisper_zlib *z)
{
    vc_dynlib_close(z->lib);
    memset(z, 0, sizeof *z);
}

size_t vc_whisper_compress_work(const vc_whisper_zlib *z, size_t n)
{
    size_t est = ((size_t)1 << HASH_BITS) * sizeof(int32_t) + n * sizeof(int32_t);
    size_t zlib = z->lib && n <= MAX_TEXT ? (size_t)z->bound((unsigned long)n) : 0;
    return zlib > est ? zlib : est;
}

voce_status vc_whisper_zlib_size(const vc_whisper_zlib *z, const uint8_t *data, size_t n,
                                 void *work, size_t *bytes)
{
    if (!z->lib) return vc_error(VOCE_ERR_UNSUPPORTED, "zlib is not loaded: %s", z->why);
    if (n > MAX_TEXT) return vc_error(VOCE_ERR_NOMEM, "text of %zu bytes to compress", n);
    unsigned long got = (unsigned long)vc_whisper_compress_work(z, n);
    int rc = z->compress2(work, &got, data, (unsigned long)n, ZLIB_DEFAULT_LEVEL);
    if (rc != ZLIB_OK) return vc_error(VOCE_ERR_INTERNAL, "zlib compress2 failed (%d) on %zu bytes", rc, n);
    *bytes = got;
    return VOCE_OK;
}

/* ---- the estimate ---- */

#define MAX_LINKS 128
#define WINDOW 32768
#define MIN_MATCH 3
#define MAX_MATCH 258
#define TOO_FAR 4096

typedef struct {
    const uint8_t *d;
    size_t n;
    int32_t *prev; /* prev[i]: the last earlier position with the same 3-byte hash */
} lz_text;

static uint32_t hash3(const uint8_t *p)
{
    uint32_t v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void link_positions(lz_text *t, int32_t *head)
{
    for (int i = 0; i < (1 << HASH_BITS); i++) head[i] = -1;
    for (size_t i = 0; i + 2 < t->n; i++) {
        uint32_t h = hash3(t->d + i);
        t->prev[i] = head[h];
        head[h] = (int32_t)i;
    }
}

/* Longest earlier match at i (0 when under 3 bytes, or 3 bytes too far back). */
static size_t longest(const lz_text *t, size_t i, size_t *dist)
{
    size_t best = 0;
    *dist = 0;
    if (i + MIN_MATCH > t->n) return 0;
    int links = 0;
    for (int32_t j = t->prev[i]; j >= 0 && links < MAX_LINKS && i - (size_t)j <= WINDOW;
         j = t->prev[j]) {
        links++;
        size_t len = 0;
        while (i + len < t->n && len < MAX_MATCH && t->d[(size_t)j + len] == t->d[i + len]) len++;
        if (len > best) { best = len; *dist = i - (size_t)j; }
    }
    if (best < MIN_MATCH || (best == MIN_MATCH && *dist > TOO_FAR)) return 0;
    return best;
}

static int bit_length(size_t v)
{
    int b = 0;
    while (v) { b++; v >>= 1; }
    return b;
}

/* Bits of a match in the fixed Huffman code (RFC 1951, 3.2.6): length symbol 7 or 8
 * bits and its extra bits, distance symbol 5 bits and its extra bits. */
static size_t match_bits(size_t len, size_t dist)
{
    size_t code = len < 115 ? 7 : 8;
    size_t lext = len <= 10 || len == MAX_MATCH ? 0 : (size_t)bit_length(len - 3) - 3;
    size_t dext = dist <= 4 ? 0 : (size_t)bit_length(dist - 1) - 2;
    return code + lext + 5 + dext;
}

static size_t fixed_block_bits(const lz_text *t)
{
    size_t bits = 3 + 7; /* block header, end-of-block symbol */
    for (size_t i = 0; i < t->n;) {
        size_t dist, dist2;
        size_t len = longest(t, i, &dist);
        if (len && i + 1 < t->n && longest(t, i + 1, &dist2) > len) len = 0; /* lazy */
        if (len) {
            bits += match_bits(len, dist);
            i += len;
        } else {
            bits += t->d[i] < 144 ? 8 : 9;
            i++;
        }
    }
    return bits;
}

voce_status vc_whisper_deflate_estimate(const uint8_t *data, size_t n, void *work, size_t *bytes)
{
    if (n > MAX_TEXT) return vc_error(VOCE_ERR_NOMEM, "text of %zu bytes to compress", n);
    int32_t *head = work, *prev = head + ((size_t)1 << HASH_BITS);
    lz_text t = {data, n, prev};
    link_positions(&t, head);
    size_t fixed = (fixed_block_bits(&t) + 7) / 8;
    size_t blocks = n ? (n + 65534) / 65535 : 1;
    size_t stored = n + 5 * blocks;
    *bytes = 2 + (fixed < stored ? fixed : stored) + 4;
    return VOCE_OK;
}

voce_status vc_whisper_compression_ratio(const vc_whisper_zlib *z, const uint8_t *text, size_t n,
                                         void *work, double *ratio, int *estimated)
{
    size_t size = 0;
    *estimated = z->lib == NULL;
    voce_status st = z->lib ? vc_whisper_zlib_size(z, text, n, work, &size)
                            : vc_whisper_deflate_estimate(text, n, work, &size);
    if (st) return st;
    *ratio = (double)n / (double)size;
    return VOCE_OK;
}
