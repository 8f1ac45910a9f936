/* The text of a decoded window and its compression ratio, as openai-whisper measures it:
 * tokenizer.decode(tokens).strip() (UTF-8 errors replaced by U+FFFD), then
 * len(text_bytes) / len(zlib.compress(text_bytes)).
 *
 *   vc_whisper_zlib z;
 *   vc_whisper_zlib_load(&z, NULL);            // never fails; z.why says if zlib is missing
 *   size_t n = vc_whisper_clean_text(raw, n_raw, out);   // out holds 3 * n_raw bytes
 *   void *work = malloc(vc_whisper_compress_work(&z, n));
 *   double ratio; int estimated;
 *   vc_whisper_compression_ratio(&z, out, n, work, &ratio, &estimated);
 *   vc_whisper_zlib_unload(&z);
 */
#ifndef VC_WHISPER_DECODE_TEXT_H
#define VC_WHISPER_DECODE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "voce/voce.h"

/* bytes.decode("utf-8", errors="replace").strip().encode("utf-8"): each maximal invalid
 * subsequence becomes U+FFFD (as CPython does; src/core/utf8.h), then leading and
 * trailing white space (str.isspace) goes. out must hold 3 * n bytes; returns the bytes
 * written. */
size_t vc_whisper_clean_text(const uint8_t *in, size_t n, uint8_t *out);

/* The system zlib, loaded at run time (src/audio/dynlib.h). */
typedef struct vc_whisper_zlib {
    void *lib;
    unsigned long (*bound)(unsigned long n);  /* compressBound */
    int (*compress2)(unsigned char *dst, unsigned long *n_dst, const unsigned char *src,
                     unsigned long n_src, int level);
    char why[256]; /* empty when loaded */
} vc_whisper_zlib;

/* Loads soname (NULL: "libz.so.1"). When it cannot, z->lib is NULL and z->why says why;
 * that is not an error: ratios are then estimated. */
void vc_whisper_zlib_load(vc_whisper_zlib *z, const char *soname);
void vc_whisper_zlib_unload(vc_whisper_zlib *z);

/* Bytes of scratch space that measuring n bytes of text needs (either way). */
size_t vc_whisper_compress_work(const vc_whisper_zlib *z, size_t n);

/* Bytes of zlib.compress(data) at the default level, through z; VOCE_ERR_UNSUPPORTED
 * when z holds no zlib. work: vc_whisper_compress_work(z, n) bytes, 4-byte aligned. */
voce_status vc_whisper_zlib_size(const vc_whisper_zlib *z, const uint8_t *data, size_t n,
                                 void *work, size_t *bytes);

/* voce's estimate of that size when zlib is missing: one fixed-Huffman DEFLATE block
 * over a greedy LZ77 parse with one position of lookahead (3-byte hash chains of 128
 * links, 32 KiB window, matches of 3 to 258 bytes; a length-3 match farther than 4096
 * is not taken, as zlib does), or a stored block when smaller, plus the 6 bytes of zlib
 * header and checksum. Within 12% of zlib's size on the test texts of 16 bytes or more
 * (tests/ref/whisper_decode_ref.py); above it on long repetitive text, where zlib uses
 * dynamic Huffman codes. work: as for vc_whisper_zlib_size. */
voce_status vc_whisper_deflate_estimate(const uint8_t *data, size_t n, void *work, size_t *bytes);

/* n / compressed size (0 for empty text, as Python's 0 / 8); *estimated = 1 when the
 * size is the estimate. */
voce_status vc_whisper_compression_ratio(const vc_whisper_zlib *z, const uint8_t *text, size_t n,
                                         void *work, double *ratio, int *estimated);

#endif
