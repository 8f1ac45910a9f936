/* The BPE model's accessors and decoding. */
#include <stdlib.h>

#include "core/error.h"
#include "text/bpe_int.h"

void vc_bpe_free(vc_bpe *b)
{
    if (!b) return;
    free(b->off);
    free(b->len);
    free(b->rank);
    free(b->pool);
    vc_bpe_table_free(&b->table);
    free(b->special);
    vc_bpe_table_free(&b->special_text);
    vc_bpe_table_free(&b->special_ids);
    free(b->special_lens);
    free(b);
}

int32_t vc_bpe_n_vocab(const vc_bpe *b) { return b->n_vocab; }

int32_t vc_bpe_n_ordinary(const vc_bpe *b) { return (int32_t)b->n_ordinary; }

voce_status vc_bpe_token_id(const vc_bpe *b, const void *bytes, size_t len, int32_t *id)
{
    char s[128];
    uint32_t i = len <= VC_BPE_MAX_TOKEN_LEN ? vc_bpe_find(b, bytes, len) : VC_BPE_NONE;
    if (i == VC_BPE_NONE)
        return vc_error(VOCE_ERR_NOT_FOUND, "no token has the bytes '%s'",
                        vc_bpe_show(bytes, len, s, sizeof s));
    *id = (int32_t)i;
    return VOCE_OK;
}

static voce_status bytes_of(const vc_bpe *b, int32_t id, const uint8_t **p, size_t *n)
{
    if (id >= 0 && (uint32_t)id < b->n_ids && b->len[id] != VC_BPE_NONE) {
        *p = b->pool + b->off[id];
        *n = b->len[id];
        return VOCE_OK;
    }
    if (vc_bpe_special_bytes(b, id, p, n) == VOCE_OK) return VOCE_OK;
    return vc_error(VOCE_ERR_NOT_FOUND, "token id %d is not in the vocabulary (%d ids)", id,
                    b->n_vocab);
}

voce_status vc_bpe_token_bytes(const vc_bpe *b, int32_t id, const char **bytes, size_t *len)
{
    const uint8_t *p;
    voce_status st = bytes_of(b, id, &p, len);
    if (!st) *bytes = (const char *)p;
    return st;
}

voce_status vc_bpe_decode(const vc_bpe *b, const int32_t *ids, size_t n, char *buf, size_t cap,
                          size_t *len)
{
    size_t total = 0;
    const uint8_t *p;
    size_t k;
    for (size_t i = 0; i < n; i++) {
        voce_status st = bytes_of(b, ids[i], &p, &k);
        if (st) return st;
        total += k;
    }
    *len = total;
    if (total > cap)
        return vc_error(VOCE_ERR_INVALID_ARG, "decode: %zu bytes do not fit in a buffer of %zu",
                        total, cap);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        bytes_of(b, ids[i], &p, &k);
        memcpy(buf + at, p, k);
        at += k;
    }
    return VOCE_OK;
}

voce_status vc_bpe_decode_alloc(const vc_bpe *b, const int32_t *ids, size_t n, char **text,
                                size_t *len)
{
    *text = NULL;
    size_t need;
    voce_status st = vc_bpe_decode(b, ids, n, NULL, 0, &need);
    if (st && st != VOCE_ERR_INVALID_ARG) return st;
    char *t = malloc(need + 1);
    if (!t) return vc_error(VOCE_ERR_NOMEM, "decode: out of memory for %zu bytes", need);
    st = vc_bpe_decode(b, ids, n, t, need, len);
    if (st) {
        free(t);
        return st;
    }
    t[need] = 0;
    *text = t;
    return VOCE_OK;
}
