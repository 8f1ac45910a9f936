/* Inside the BPE tokenizer: the model's layout, the builder the loaders fill, the
 * byte-string hash. Not for use outside src/text/.
 *
 *   vc_bpe_build bld;
 *   vc_bpe_build_init(&bld);
 *   vc_bpe_build_add(&bld, bytes, len, id, rank);          // for each token
 *   st = vc_bpe_build_finish(&bld, "tokens.txt", &bpe);    // frees bld's memory in any case
 */
#ifndef VC_TEXT_BPE_INT_H
#define VC_TEXT_BPE_INT_H

#include <string.h>

#include "text/bpe.h"

#define VC_BPE_NONE 0xFFFFFFFFu

typedef struct vc_bpe_special_tok {
    uint32_t off, len;      /* text in the pool */
    int32_t id;
} vc_bpe_special_tok;

/* Open addressing, linear probing. A slot holds the key's hash in its high 32 bits (so
 * that most mismatches are seen without touching the key) and index + 1 in its low 32
 * bits; 0 is empty. */
typedef struct vc_bpe_table {
    uint64_t *slot;
    uint32_t mask;          /* size - 1, size a power of two */
} vc_bpe_table;

struct vc_bpe {
    uint32_t n_ids;         /* ordinary ids are [0, n_ids) */
    uint32_t n_ordinary;    /* how many of them hold a token */
    uint32_t *off;          /* [n_ids] where each token's bytes start in pool */
    uint32_t *len;          /* [n_ids] their length; VC_BPE_NONE: no ordinary token has
                             * this id (0 is a token: multilingual.tiktoken has one) */
    uint32_t *rank;         /* [n_ids] merge rank, VC_BPE_NONE: never merged; NULL: = id */
    uint8_t *pool;          /* bytes of the tokens, then the specials' texts */
    size_t pool_len, pool_cap;
    vc_bpe_table table;     /* ordinary token bytes -> id */

    vc_bpe_special_tok *special;
    uint32_t n_special, cap_special;
    vc_bpe_table special_text;  /* text -> special index */
    vc_bpe_table special_ids;   /* id -> special index (keyed by the id's 4 bytes) */
    uint8_t special_first[32];  /* bitmap of the specials' first bytes */
    uint32_t *special_lens;     /* distinct text lengths, longest first */
    uint32_t n_special_lens;
    int32_t n_vocab;
};

typedef struct vc_bpe_build_tok {
    uint32_t id, rank, off, len;
} vc_bpe_build_tok;

typedef struct vc_bpe_build {
    vc_bpe_build_tok *tok;
    uint32_t n, cap;
    uint32_t n_special;     /* specials to come (a blob's): they count against id gaps, as
                             * an ordinary token that became special left one */
    uint8_t *pool;
    size_t pool_len, pool_cap;
} vc_bpe_build;

void vc_bpe_build_init(vc_bpe_build *b);
void vc_bpe_build_free(vc_bpe_build *b);
/* Append a token (checks only its length and id; duplicates are found by finish). */
voce_status vc_bpe_build_add(vc_bpe_build *b, const uint8_t *bytes, size_t len, uint32_t id,
                             uint32_t rank);
/* Check the tokens and make the model; `what` names the source in messages. The
 * builder is emptied whatever happens. */
voce_status vc_bpe_build_finish(vc_bpe_build *b, const char *what, vc_bpe **out);

/* Shared helpers (bpe_build.c). */
voce_status vc_bpe_pool_append(uint8_t **pool, size_t *len, size_t *cap, const uint8_t *p,
                               size_t n);
voce_status vc_bpe_table_init(vc_bpe_table *t, uint32_t n);
void vc_bpe_table_free(vc_bpe_table *t);
/* (Re)build b->table from the ordinary tokens; equal bytes are an error. */
voce_status vc_bpe_index_ordinary(vc_bpe *b, const char *what);
/* Replace ranks by ids when that orders merges the same; refuse equal ranks. */
voce_status vc_bpe_settle_ranks(vc_bpe *b, const char *what);
/* Bytes for a message: printable ASCII as is, others as \xNN, cut after 24 bytes. */
const char *vc_bpe_show(const uint8_t *p, size_t n, char *buf, size_t cap);

/* Special tokens (bpe_special.c): index of the one with text p[0, n) or VC_BPE_NONE;
 * the text of id (VOCE_ERR_NOT_FOUND, no message, when id is not special). */
uint32_t vc_bpe_find_special(const vc_bpe *b, const uint8_t *p, size_t n);
voce_status vc_bpe_special_bytes(const vc_bpe *b, int32_t id, const uint8_t **p, size_t *n);

/* Hash of a byte string (the same function for every table). */
static inline uint64_t vc_bpe_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, n);
    h = (h ^ v) * 0xC4CEB9FE1A85EC53u;
    return h ^ (h >> 29);
}

static inline uint64_t vc_bpe_slot(uint64_t hash, uint32_t index)
{
    return (hash & 0xFFFFFFFF00000000u) | (index + 1u);
}

/* Put index (whose key hashes to hash) in the first free slot; the table has room. */
static inline void vc_bpe_table_put(vc_bpe_table *t, uint64_t hash, uint32_t index)
{
    uint32_t i = (uint32_t)hash & t->mask;
    while (t->slot[i]) i = (i + 1) & t->mask;
    t->slot[i] = vc_bpe_slot(hash, index);
}

/* Id of the ordinary token with bytes p[0, n), or VC_BPE_NONE. */
static inline uint32_t vc_bpe_find(const vc_bpe *b, const uint8_t *p, size_t n)
{
    uint64_t h = vc_bpe_hash(p, n);
    for (uint32_t i = (uint32_t)h & b->table.mask;; i = (i + 1) & b->table.mask) {
        uint64_t s = b->table.slot[i];
        if (s == 0) return VC_BPE_NONE;
        if ((s ^ h) >> 32) continue;
        uint32_t id = (uint32_t)s - 1;
        if (b->len[id] == n && memcmp(b->pool + b->off[id], p, n) == 0) return id;
    }
}

static inline uint32_t vc_bpe_rank(const vc_bpe *b, uint32_t id)
{
    return b->rank ? b->rank[id] : id;
}

#endif
