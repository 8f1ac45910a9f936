/* voce's compact tokenizer blob (stored in a program's metadata). Little-endian:
 *
 *   0   "VCBPE\0" and u16 version (1)
 *   8   u32 flags         bit 0: a rank table follows the lengths
 *   12  u32 n_ids         ordinary ids are 0 .. n_ids-1
 *   16  u32 n_special
 *   20  u32 token_bytes   sum of the ordinary tokens' lengths
 *   24  u32 special_bytes sum of the special tokens' lengths
 *   28  u16 len[n_ids]    a token's length + 1; 0: no token has this id
 *       zero bytes to a multiple of 4
 *       u32 rank[n_ids]   only with flag bit 0; 0xFFFFFFFF: never merged
 *       token bytes, in id order
 *       n_special x (i32 id, u16 len)
 *       special texts, in the same order
 *
 * The blob ends there exactly. Loading goes through the same checks as every other
 * source (bpe_build.c), so a blob cannot make a model that a file could not.
 */
#include <stdlib.h>

#include "core/error.h"
#include "text/bpe_int.h"

#define HEADER 28
static const uint8_t magic[6] = {'V', 'C', 'B', 'P', 'E', 0};

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint8_t *wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}
static uint8_t *wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

typedef struct layout {
    uint32_t flags, n_ids, n_special, token_bytes, special_bytes;
    uint64_t lens, ranks, tokens, specials, texts, end;   /* offsets */
} layout;

static void place(layout *l)
{
    l->lens = HEADER;
    l->ranks = (l->lens + 2 * (uint64_t)l->n_ids + 3) & ~(uint64_t)3;
    l->tokens = l->ranks + (l->flags & 1 ? 4 * (uint64_t)l->n_ids : 0);
    l->specials = l->tokens + l->token_bytes;
    l->texts = l->specials + 6 * (uint64_t)l->n_special;
    l->end = l->texts + l->special_bytes;
}

static voce_status read_layout(const uint8_t *p, size_t size, layout *l)
{
    if (size < HEADER)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: %zu bytes, shorter than its header", size);
    if (memcmp(p, magic, sizeof magic) != 0)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: bad magic (not a voce BPE blob)");
    if (rd16(p + 6) != 1)
        return vc_error(VOCE_ERR_VERSION, "tokenizer blob: version %u (this build reads 1)",
                        rd16(p + 6));
    l->flags = rd32(p + 8);
    l->n_ids = rd32(p + 12);
    l->n_special = rd32(p + 16);
    l->token_bytes = rd32(p + 20);
    l->special_bytes = rd32(p + 24);
    if (l->flags & ~1u)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: unknown flags 0x%X", l->flags);
    if (l->n_ids > VC_BPE_MAX_ID + 1u || l->n_special > VC_BPE_MAX_ID + 1u)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: %u ids and %u special tokens (over 2^24)",
                        l->n_ids, l->n_special);
    place(l);
    if (l->end != size)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: %zu bytes where its header makes %llu",
                        size, (unsigned long long)l->end);
    for (uint64_t o = l->lens + 2 * (uint64_t)l->n_ids; o < l->ranks; o++)
        if (p[o]) return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: nonzero padding");
    return VOCE_OK;
}

static voce_status read_tokens(const uint8_t *p, const layout *l, vc_bpe_build *bld)
{
    uint64_t at = l->tokens;
    for (uint32_t id = 0; id < l->n_ids; id++) {
        uint32_t n = rd16(p + l->lens + 2 * (uint64_t)id);
        if (!n--) continue;
        if (n > l->tokens + l->token_bytes - at)
            return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: token %u runs past the token bytes", id);
        uint32_t rank = l->flags & 1 ? rd32(p + l->ranks + 4 * (uint64_t)id) : id;
        voce_status st = vc_bpe_build_add(bld, p + at, n, id, rank);
        if (st) return vc_error_prefix(st, "tokenizer blob: ");
        at += n;
    }
    if (at != l->tokens + l->token_bytes)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: token lengths add up to %llu, not %u",
                        (unsigned long long)(at - l->tokens), l->token_bytes);
    return VOCE_OK;
}

static voce_status read_specials(const uint8_t *p, const layout *l, vc_bpe *b)
{
    uint64_t at = l->texts;
    for (uint32_t i = 0; i < l->n_special; i++) {
        const uint8_t *e = p + l->specials + 6 * (uint64_t)i;
        int32_t id = (int32_t)rd32(e);
        uint32_t n = rd16(e + 4);
        if (n > l->end - at)
            return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: special token %u runs past the end", i);
        voce_status st = vc_bpe_add_special(b, (const char *)p + at, n, id);
        if (st) return vc_error_prefix(VOCE_ERR_FORMAT, "tokenizer blob: ");
        at += n;
    }
    if (at != l->end)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer blob: special texts add up to %llu bytes, not %u",
                        (unsigned long long)(at - l->texts), l->special_bytes);
    return VOCE_OK;
}

voce_status vc_bpe_load_blob(const void *data, size_t size, vc_bpe **out)
{
    *out = NULL;
    if (!data && size) return vc_error(VOCE_ERR_INVALID_ARG, "tokenizer blob: NULL data");
    const uint8_t *p = data;
    layout l;
    voce_status st = read_layout(p, size, &l);
    if (st) return st;
    vc_bpe_build bld;
    vc_bpe_build_init(&bld);
    bld.n_special = l.n_special;
    st = read_tokens(p, &l, &bld);
    if (st) {
        vc_bpe_build_free(&bld);
        return st;
    }
    vc_bpe *b;
    st = vc_bpe_build_finish(&bld, "tokenizer blob", &b);
    if (st) return st;
    st = read_specials(p, &l, b);
    if (st) {
        vc_bpe_free(b);
        return st;
    }
    *out = b;
    return VOCE_OK;
}

voce_status vc_bpe_save_blob(const vc_bpe *b, void **blob, size_t *size)
{
    *blob = NULL;
    *size = 0;
    layout l = {.flags = b->rank ? 1 : 0, .n_ids = b->n_ids, .n_special = b->n_special};
    uint64_t tb = 0, sb = 0;
    for (uint32_t id = 0; id < b->n_ids; id++) tb += b->len[id] == VC_BPE_NONE ? 0 : b->len[id];
    for (uint32_t i = 0; i < b->n_special; i++) sb += b->special[i].len;
    if (tb > UINT32_MAX || sb > UINT32_MAX)
        return vc_error(VOCE_ERR_NOMEM, "tokenizer blob: tokens of more than 4 GiB");
    l.token_bytes = (uint32_t)tb;
    l.special_bytes = (uint32_t)sb;
    place(&l);
    uint8_t *p = calloc(1, (size_t)l.end);
    if (!p) return vc_error(VOCE_ERR_NOMEM, "tokenizer blob: out of memory for %llu bytes",
                            (unsigned long long)l.end);
    memcpy(p, magic, sizeof magic);
    uint8_t *w = wr16(p + 6, 1);
    w = wr32(w, l.flags);
    w = wr32(w, l.n_ids);
    w = wr32(w, l.n_special);
    w = wr32(w, l.token_bytes);
    wr32(w, l.special_bytes);
    uint8_t *tok = p + l.tokens;
    for (uint32_t id = 0; id < b->n_ids; id++) {
        int has = b->len[id] != VC_BPE_NONE;
        wr16(p + l.lens + 2 * (uint64_t)id, has ? b->len[id] + 1 : 0);
        if (b->rank) wr32(p + l.ranks + 4 * (uint64_t)id, has ? b->rank[id] : VC_BPE_NONE);
        if (!has) continue;
        memcpy(tok, b->pool + b->off[id], b->len[id]);
        tok += b->len[id];
    }
    uint8_t *text = p + l.texts;
    for (uint32_t i = 0; i < b->n_special; i++) {
        const vc_bpe_special_tok *t = &b->special[i];
        wr16(wr32(p + l.specials + 6 * (uint64_t)i, (uint32_t)t->id), t->len);
        memcpy(text, b->pool + t->off, t->len);
        text += t->len;
    }
    *blob = p;
    *size = (size_t)l.end;
    return VOCE_OK;
}
