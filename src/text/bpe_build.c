/* Making a BPE model from a list of tokens: the checks every loader shares (ids, bytes,
 * ranks, the 256 single bytes) and the bytes -> id hash table. */
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "text/bpe_int.h"

void vc_bpe_build_init(vc_bpe_build *b) { memset(b, 0, sizeof *b); }

void vc_bpe_build_free(vc_bpe_build *b)
{
    free(b->tok);
    free(b->pool);
    memset(b, 0, sizeof *b);
}

voce_status vc_bpe_pool_append(uint8_t **pool, size_t *len, size_t *cap, const uint8_t *p,
                               size_t n)
{
    if (n > UINT32_MAX - *len) return vc_error(VOCE_ERR_NOMEM, "tokens of more than 4 GiB");
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n) c *= 2;
        uint8_t *q = realloc(*pool, c);
        if (!q) return vc_error(VOCE_ERR_NOMEM, "out of memory for token bytes");
        *pool = q;
        *cap = c;
    }
    if (n) memcpy(*pool + *len, p, n);
    *len += n;
    return VOCE_OK;
}

voce_status vc_bpe_build_add(vc_bpe_build *b, const uint8_t *bytes, size_t len, uint32_t id,
                             uint32_t rank)
{
    if (len > VC_BPE_MAX_TOKEN_LEN)
        return vc_error(VOCE_ERR_FORMAT, "token %u is %zu bytes long (the limit is %d)", id,
                        len, VC_BPE_MAX_TOKEN_LEN);
    if (id > VC_BPE_MAX_ID)
        return vc_error(VOCE_ERR_FORMAT, "token id %u is beyond the limit of %d", id,
                        VC_BPE_MAX_ID);
    if (b->n == b->cap) {
        uint32_t c = b->cap ? b->cap * 2 : 1024;
        if (c > VC_BPE_MAX_ID + 1u) return vc_error(VOCE_ERR_NOMEM, "more than 2^24 tokens");
        vc_bpe_build_tok *t = realloc(b->tok, c * sizeof *t);
        if (!t) return vc_error(VOCE_ERR_NOMEM, "out of memory for tokens");
        b->tok = t;
        b->cap = c;
    }
    uint32_t off = (uint32_t)b->pool_len;
    voce_status st = vc_bpe_pool_append(&b->pool, &b->pool_len, &b->pool_cap, bytes, len);
    if (st) return st;
    b->tok[b->n++] = (vc_bpe_build_tok){id, rank, off, (uint32_t)len};
    return VOCE_OK;
}

const char *vc_bpe_show(const uint8_t *p, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 8 < cap; i++) {
        if (i == 24) { k += (size_t)snprintf(buf + k, cap - k, "..."); break; }
        if (p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\\' && p[i] != '\'') buf[k++] = (char)p[i];
        else k += (size_t)snprintf(buf + k, cap - k, "\\x%02X", p[i]);
    }
    buf[k] = 0;
    return buf;
}

voce_status vc_bpe_table_init(vc_bpe_table *t, uint32_t n)
{
    uint32_t size = 16;
    while (size < 2 * (uint64_t)n) size *= 2;
    t->slot = calloc(size, sizeof *t->slot);
    if (!t->slot) return vc_error(VOCE_ERR_NOMEM, "out of memory for a token table");
    t->mask = size - 1;
    return VOCE_OK;
}

void vc_bpe_table_free(vc_bpe_table *t)
{
    free(t->slot);
    t->slot = NULL;
    t->mask = 0;
}

/* Insert every ordinary token; two tokens with the same bytes are an error. */
voce_status vc_bpe_index_ordinary(vc_bpe *b, const char *what)
{
    vc_bpe_table_free(&b->table);
    voce_status st = vc_bpe_table_init(&b->table, b->n_ordinary);
    if (st) return st;
    for (uint32_t id = 0; id < b->n_ids; id++) {
        if (b->len[id] == VC_BPE_NONE) continue;
        const uint8_t *p = b->pool + b->off[id];
        uint64_t h = vc_bpe_hash(p, b->len[id]);
        uint32_t i = (uint32_t)h & b->table.mask;
        for (; b->table.slot[i]; i = (i + 1) & b->table.mask) {
            uint32_t other = (uint32_t)b->table.slot[i] - 1;
            if (b->len[other] == b->len[id] && !memcmp(b->pool + b->off[other], p, b->len[id])) {
                char s[128];
                return vc_error(VOCE_ERR_FORMAT, "%s: tokens %u and %u have the same bytes '%s'",
                                what, other, id, vc_bpe_show(p, b->len[id], s, sizeof s));
            }
        }
        b->table.slot[i] = vc_bpe_slot(h, id);
    }
    return VOCE_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Ranks only order merges, so ranks that sort the multi-byte tokens as their ids do are
 * replaced by the ids (rank = NULL): one model, one blob for every source. */
voce_status vc_bpe_settle_ranks(vc_bpe *b, const char *what)
{
    int identity = 1;
    for (uint32_t id = 0; id < b->n_ids && identity; id++)
        if (b->len[id] != VC_BPE_NONE && b->rank[id] != id) identity = 0;
    if (identity) {
        free(b->rank);
        b->rank = NULL;
        return VOCE_OK;
    }
    uint64_t *order = malloc((size_t)b->n_ids * sizeof *order);
    if (!order) return vc_error(VOCE_ERR_NOMEM, "out of memory for merge ranks");
    uint32_t n = 0;
    int equivalent = 1;
    for (uint32_t id = 0; id < b->n_ids; id++) {
        if (b->len[id] == VC_BPE_NONE) continue;
        if (b->rank[id] != VC_BPE_NONE) order[n++] = (uint64_t)b->rank[id] << 32 | id;
        else if (b->len[id] > 1) equivalent = 0;
    }
    qsort(order, n, sizeof *order, cmp_u64);
    uint32_t last_id = 0;
    int have_last = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = (uint32_t)order[i];
        if (i > 0 && order[i] >> 32 == order[i - 1] >> 32) {
            uint32_t r = (uint32_t)(order[i] >> 32), other = (uint32_t)order[i - 1];
            free(order);
            return vc_error(VOCE_ERR_FORMAT, "%s: tokens %u and %u have the same merge rank %u",
                            what, other, id, r);
        }
        if (b->len[id] < 2) continue;
        if (have_last && id < last_id) equivalent = 0;
        last_id = id;
        have_last = 1;
    }
    free(order);
    if (equivalent) {
        free(b->rank);
        b->rank = NULL;
    }
    return VOCE_OK;
}

static voce_status make(vc_bpe_build *bld, const char *what, vc_bpe *b)
{
    if (bld->n == 0) return vc_error(VOCE_ERR_FORMAT, "%s: no tokens", what);
    uint32_t max_id = 0;
    for (uint32_t i = 0; i < bld->n; i++)
        if (bld->tok[i].id > max_id) max_id = bld->tok[i].id;
    if ((uint64_t)max_id + 1 > 2 * ((uint64_t)bld->n + bld->n_special) + 256)
        return vc_error(VOCE_ERR_FORMAT,
                        "%s: token ids reach %u but there are only %u tokens (the gaps in "
                        "ids may add up to the number of tokens + 256)",
                        what, max_id, bld->n + bld->n_special);
    b->n_ids = max_id + 1;
    b->off = malloc((size_t)b->n_ids * sizeof *b->off);
    b->len = malloc((size_t)b->n_ids * sizeof *b->len);
    b->rank = malloc((size_t)b->n_ids * sizeof *b->rank);
    if (!b->off || !b->len || !b->rank)
        return vc_error(VOCE_ERR_NOMEM, "out of memory for %u tokens", b->n_ids);
    for (uint32_t id = 0; id < b->n_ids; id++) b->len[id] = VC_BPE_NONE;
    for (uint32_t i = 0; i < bld->n; i++) {
        const vc_bpe_build_tok *t = &bld->tok[i];
        if (b->len[t->id] != VC_BPE_NONE)
            return vc_error(VOCE_ERR_FORMAT, "%s: id %u appears twice", what, t->id);
        b->off[t->id] = t->off;
        b->len[t->id] = t->len;
        b->rank[t->id] = t->rank;
    }
    b->n_ordinary = bld->n;
    b->pool = bld->pool;
    b->pool_len = bld->pool_len;
    b->pool_cap = bld->pool_cap;
    bld->pool = NULL;
    b->n_vocab = (int32_t)b->n_ids;
    voce_status st = vc_bpe_index_ordinary(b, what);
    if (st) return st;
    for (unsigned v = 0; v < 256; v++) {
        uint8_t byte = (uint8_t)v;
        if (vc_bpe_find(b, &byte, 1) == VC_BPE_NONE)
            return vc_error(VOCE_ERR_FORMAT,
                            "%s: no token for the byte 0x%02X (byte-level BPE needs all 256)",
                            what, v);
    }
    return vc_bpe_settle_ranks(b, what);
}

voce_status vc_bpe_build_finish(vc_bpe_build *bld, const char *what, vc_bpe **out)
{
    *out = NULL;
    vc_bpe *b = calloc(1, sizeof *b);
    voce_status st = b ? make(bld, what, b) : vc_error(VOCE_ERR_NOMEM, "out of memory");
    vc_bpe_build_free(bld);
    if (st) {
        vc_bpe_free(b);
        return st;
    }
    *out = b;
    return VOCE_OK;
}
