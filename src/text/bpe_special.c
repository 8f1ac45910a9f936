/* Special tokens: registration and lookup by text and by id. */
#include <stdlib.h>

#include "core/error.h"
#include "text/bpe_int.h"

static const uint8_t *special_text(const vc_bpe *b, uint32_t i)
{
    return b->pool + b->special[i].off;
}

static uint64_t hash_id(int32_t id)
{
    uint8_t k[4] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24)};
    return vc_bpe_hash(k, 4);
}

/* Index of the special token with text p[0, n), or VC_BPE_NONE. */
uint32_t vc_bpe_find_special(const vc_bpe *b, const uint8_t *p, size_t n)
{
    if (!b->n_special) return VC_BPE_NONE;
    uint64_t h = vc_bpe_hash(p, n);
    for (uint32_t i = (uint32_t)h & b->special_text.mask;; i = (i + 1) & b->special_text.mask) {
        uint64_t s = b->special_text.slot[i];
        if (s == 0) return VC_BPE_NONE;
        if ((s ^ h) >> 32) continue;
        const vc_bpe_special_tok *t = &b->special[(uint32_t)s - 1];
        if (t->len == n && memcmp(b->pool + t->off, p, n) == 0) return (uint32_t)s - 1;
    }
}

static uint32_t find_special_id(const vc_bpe *b, int32_t id)
{
    if (!b->n_special) return VC_BPE_NONE;
    for (uint32_t i = (uint32_t)hash_id(id) & b->special_ids.mask;; i = (i + 1) & b->special_ids.mask) {
        uint64_t s = b->special_ids.slot[i];
        if (s == 0) return VC_BPE_NONE;
        if (b->special[(uint32_t)s - 1].id == id) return (uint32_t)s - 1;
    }
}

/* Rebuild both special tables, sized for the current count. */
static voce_status index_specials(vc_bpe *b)
{
    vc_bpe_table_free(&b->special_text);
    vc_bpe_table_free(&b->special_ids);
    voce_status st = vc_bpe_table_init(&b->special_text, b->cap_special);
    if (!st) st = vc_bpe_table_init(&b->special_ids, b->cap_special);
    if (st) return st;
    for (uint32_t k = 0; k < b->n_special; k++) {
        const vc_bpe_special_tok *t = &b->special[k];
        vc_bpe_table_put(&b->special_text, vc_bpe_hash(b->pool + t->off, t->len), k);
        vc_bpe_table_put(&b->special_ids, hash_id(t->id), k);
    }
    return VOCE_OK;
}

static voce_status note_length(vc_bpe *b, uint32_t len)
{
    uint32_t i = 0;
    while (i < b->n_special_lens && b->special_lens[i] > len) i++;
    if (i < b->n_special_lens && b->special_lens[i] == len) return VOCE_OK;
    uint32_t *l = realloc(b->special_lens, (b->n_special_lens + 1) * sizeof *l);
    if (!l) return vc_error(VOCE_ERR_NOMEM, "out of memory for special tokens");
    b->special_lens = l;
    memmove(l + i + 1, l + i, (b->n_special_lens - i) * sizeof *l);
    l[i] = len;
    b->n_special_lens++;
    return VOCE_OK;
}

/* An ordinary token whose bytes are the special's text gives up its id to it (not a
 * single byte: byte-level BPE needs all 256). The model is then as if the token had
 * never been ordinary: trailing free ids dropped, ranks settled again. */
static voce_status take_ordinary(vc_bpe *b, const char *text, size_t len, int32_t id)
{
    char s1[128], s2[128];
    uint32_t u = (uint32_t)id;
    if (b->len[u] != len || memcmp(b->pool + b->off[u], text, len) != 0 || len == 1)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "special token '%s': id %d is the ordinary token '%s'",
                        vc_bpe_show((const uint8_t *)text, len, s1, sizeof s1), id,
                        vc_bpe_show(b->pool + b->off[u], b->len[u], s2, sizeof s2));
    b->len[u] = VC_BPE_NONE;
    b->n_ordinary--;
    while (b->len[b->n_ids - 1] == VC_BPE_NONE) b->n_ids--;
    voce_status st = vc_bpe_index_ordinary(b, "vocabulary");
    if (!st && b->rank) st = vc_bpe_settle_ranks(b, "vocabulary");
    return st;
}

voce_status vc_bpe_add_special(vc_bpe *b, const char *text, size_t len, int32_t id)
{
    char s1[128], s2[128];
    if (!b || !text) return vc_error(VOCE_ERR_INVALID_ARG, "vc_bpe_add_special: NULL argument");
    if (len == 0 || len > VC_BPE_MAX_TOKEN_LEN)
        return vc_error(VOCE_ERR_INVALID_ARG, "special token %d: text of %zu bytes (1 to %d)",
                        id, len, VC_BPE_MAX_TOKEN_LEN);
    if (id < 0 || id > VC_BPE_MAX_ID)
        return vc_error(VOCE_ERR_INVALID_ARG, "special token '%s': id %d is not in 0..%d",
                        vc_bpe_show((const uint8_t *)text, len, s1, sizeof s1), id, VC_BPE_MAX_ID);
    uint32_t k = vc_bpe_find_special(b, (const uint8_t *)text, len);
    if (k != VC_BPE_NONE) {
        if (b->special[k].id == id) return VOCE_OK;
        return vc_error(VOCE_ERR_INVALID_ARG, "special token '%s' already has id %d, not %d",
                        vc_bpe_show((const uint8_t *)text, len, s1, sizeof s1),
                        b->special[k].id, id);
    }
    k = find_special_id(b, id);
    if (k != VC_BPE_NONE)
        return vc_error(VOCE_ERR_INVALID_ARG, "special token '%s': id %d is already '%s'",
                        vc_bpe_show((const uint8_t *)text, len, s1, sizeof s1), id,
                        vc_bpe_show(special_text(b, k), b->special[k].len, s2, sizeof s2));
    voce_status st;
    if ((uint32_t)id < b->n_ids && b->len[id] != VC_BPE_NONE && (st = take_ordinary(b, text, len, id)))
        return st;

    uint32_t off = (uint32_t)b->pool_len;
    st = vc_bpe_pool_append(&b->pool, &b->pool_len, &b->pool_cap, (const uint8_t *)text, len);
    if (st) return st;
    if (b->n_special == b->cap_special) {
        uint32_t c = b->cap_special ? 2 * b->cap_special : 64;
        vc_bpe_special_tok *t = realloc(b->special, c * sizeof *t);
        if (!t) return vc_error(VOCE_ERR_NOMEM, "out of memory for special tokens");
        b->special = t;
        b->cap_special = c;
        b->special[b->n_special++] = (vc_bpe_special_tok){off, (uint32_t)len, id};
        st = index_specials(b);
    } else {
        vc_bpe_table_put(&b->special_text, vc_bpe_hash((const uint8_t *)text, len), b->n_special);
        vc_bpe_table_put(&b->special_ids, hash_id(id), b->n_special);
        b->special[b->n_special++] = (vc_bpe_special_tok){off, (uint32_t)len, id};
        st = VOCE_OK;
    }
    if (!st) st = note_length(b, (uint32_t)len);
    if (st) {
        b->n_special--;     /* leave the model as it was (the pool keeps a few bytes) */
        index_specials(b);
        return st;
    }
    uint8_t c0 = (uint8_t)text[0];
    b->special_first[c0 >> 3] |= (uint8_t)(1u << (c0 & 7));
    if (id >= b->n_vocab) b->n_vocab = id + 1;
    return VOCE_OK;
}

size_t vc_bpe_n_special(const vc_bpe *b) { return b->n_special; }

voce_status vc_bpe_special_at(const vc_bpe *b, size_t i, const char **text, size_t *len,
                              int32_t *id)
{
    if (i >= b->n_special)
        return vc_error(VOCE_ERR_NOT_FOUND, "special token %zu of %u", i, b->n_special);
    *text = (const char *)special_text(b, (uint32_t)i);
    *len = b->special[i].len;
    *id = b->special[i].id;
    return VOCE_OK;
}

voce_status vc_bpe_special_id(const vc_bpe *b, const char *text, size_t len, int32_t *id)
{
    char s[128];
    uint32_t k = vc_bpe_find_special(b, (const uint8_t *)text, len);
    if (k == VC_BPE_NONE)
        return vc_error(VOCE_ERR_NOT_FOUND, "no special token '%s'",
                        vc_bpe_show((const uint8_t *)text, len, s, sizeof s));
    *id = b->special[k].id;
    return VOCE_OK;
}

int vc_bpe_is_special(const vc_bpe *b, int32_t id)
{
    return find_special_id(b, id) != VC_BPE_NONE;
}

voce_status vc_bpe_special_bytes(const vc_bpe *b, int32_t id, const uint8_t **p, size_t *n)
{
    uint32_t k = find_special_id(b, id);
    if (k == VC_BPE_NONE) return VOCE_ERR_NOT_FOUND;
    *p = special_text(b, k);
    *n = b->special[k].len;
    return VOCE_OK;
}
