/* libFuzzer target for the BPE tokenizer's parsers and encoder (src/text/).
 *
 * The input's last byte picks what the rest is:
 *   0  a tiktoken file (real vocabulary prefixes serve as seeds)
 *   1  a tokenizer blob
 *   2  a valid blob (of a small fixed vocabulary with specials) with the input written
 *      over it at an offset the first two bytes give, then cut to a length the next two
 *      give: corrupt blobs that get past the header
 *   3  tokenizer.json
 *   4  vocab.json, then merges.txt after the first NUL
 *   5+ text for the fixed vocabulary, with special tokens on or off
 * Whatever loads is used: text encoded (the input itself) and decoded, and
 * decode(encode(x)) must give x back, or the target aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/bpe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
    if (!cond) abort();
}

static void exercise(const vc_bpe *bpe, const uint8_t *text, size_t len, unsigned flags)
{
    int32_t *ids;
    size_t n, got;
    char *back;
    if (vc_bpe_encode(bpe, (const char *)text, len, flags, &ids, &n) != VOCE_OK) return;
    must(vc_bpe_decode_alloc(bpe, ids, n, &back, &got) == VOCE_OK);
    must(got == len && (len == 0 || memcmp(back, text, len) == 0));
    free(back);
    free(ids);
    void *blob;
    size_t bn;
    if (vc_bpe_save_blob(bpe, &blob, &bn) == VOCE_OK) {
        vc_bpe *again;
        must(vc_bpe_load_blob(blob, bn, &again) == VOCE_OK);
        vc_bpe_free(again);
        free(blob);
    }
}

/* 256 bytes, a few merges, two specials: built once, kept for the process's life. */
static const vc_bpe *fixed_vocab(void **blob, size_t *blob_size)
{
    static vc_bpe *bpe;
    static void *saved;
    static size_t saved_size;
    if (!bpe) {
        static const char *const extra[] = {"IGE=", "YWI=", "YmM=", "YWJj", "aGU=", "IHQ=",
                                            "dGg=", "IHRo", "ZSA=", "YWE=", "YWFh"};
        size_t cap = 256 * 12 + 256, n = 0;
        char *t = malloc(cap);
        static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int v = 0; v < 256; v++)
            n += (size_t)snprintf(t + n, cap - n, "%c%c== %d\n", a[v >> 2], a[(v & 3) << 4], v);
        for (int i = 0; i < 11; i++) n += (size_t)snprintf(t + n, cap - n, "%s %d\n", extra[i], 256 + i);
        must(vc_bpe_load_tiktoken(t, n, &bpe) == VOCE_OK);
        free(t);
        must(vc_bpe_add_special(bpe, "<|end|>", 7, 300) == VOCE_OK);
        must(vc_bpe_add_special(bpe, "<|e|>", 5, 267) == VOCE_OK);
        must(vc_bpe_save_blob(bpe, &saved, &saved_size) == VOCE_OK);
    }
    *blob = saved;
    *blob_size = saved_size;
    return bpe;
}

static vc_bpe *load(unsigned mode, const uint8_t *p, size_t n, const void *blob, size_t blob_size)
{
    vc_bpe *b = NULL;
    if (mode == 0) vc_bpe_load_tiktoken(p, n, &b);
    else if (mode == 1) vc_bpe_load_blob(p, n, &b);
    else if (mode == 2 && n >= 4) {
        uint8_t *m = malloc(blob_size);
        memcpy(m, blob, blob_size);
        size_t at = ((size_t)p[0] << 8 | p[1]) % blob_size;
        size_t cut = blob_size - ((size_t)p[2] << 8 | p[3]) % 64;
        size_t k = n - 4 < blob_size - at ? n - 4 : blob_size - at;
        memcpy(m + at, p + 4, k);
        vc_bpe_load_blob(m, cut, &b);
        free(m);
    } else if (mode == 3) vc_bpe_load_hf_tokenizer(p, n, &b);
    else if (mode == 4) {
        const uint8_t *nul = memchr(p, 0, n);
        size_t vn = nul ? (size_t)(nul - p) : n;
        vc_bpe_load_hf_vocab(p, vn, nul ? nul + 1 : p + n, nul ? n - vn - 1 : 0, &b);
    }
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned mode = data[size - 1];
    size_t n = size - 1;
    void *blob;
    size_t blob_size;
    const vc_bpe *fixed = fixed_vocab(&blob, &blob_size);
    if (mode >= 5) {
        exercise(fixed, data, n, mode & 1 ? VC_BPE_SPECIAL : 0);
        return 0;
    }
    vc_bpe *b = load(mode, data, n, blob, blob_size);
    if (b) {
        exercise(b, data, n, 0);
        exercise(b, data, n, VC_BPE_SPECIAL);
        vc_bpe_free(b);
    }
    return 0;
}
