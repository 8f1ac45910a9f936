/* Encoding: pieces from the pre-tokenizer, then tiktoken's merge rule on each piece
 * (bpe.h): the adjacent pair forming the token of lowest rank merges first, the leftmost
 * on ties. Short pieces scan for that pair; long ones keep the pairs in a heap keyed by
 * (rank, start), which picks the same pair in O(log n). */
#include <stdlib.h>

#include "core/error.h"
#include "text/bpe_int.h"
#include "text/pretokenize.h"

/* Pieces longer than this merge through the heap. */
#define SCAN_MAX 64

typedef struct enc {
    const vc_bpe *b;
    int32_t *ids;
    size_t n, cap;
    /* scratch, for pieces of up to `scap` bytes */
    uint32_t *next, *prev, *pair;
    uint64_t *heap;
    size_t scap;
} enc;

static voce_status emit(enc *e, uint32_t id)
{
    if (e->n == e->cap) {
        size_t c = e->cap ? 2 * e->cap : 256;
        int32_t *p = realloc(e->ids, c * sizeof *p);
        if (!p) return vc_error(VOCE_ERR_NOMEM, "encode: out of memory for %zu ids", c);
        e->ids = p;
        e->cap = c;
    }
    e->ids[e->n++] = (int32_t)id;
    return VOCE_OK;
}

static voce_status scratch(enc *e, size_t len)
{
    if (len <= e->scap) return VOCE_OK;
    size_t c = e->scap ? e->scap : 256;
    while (c < len) c *= 2;
    free(e->next);
    free(e->prev);
    free(e->pair);
    free(e->heap);
    e->next = malloc((c + 1) * sizeof *e->next);
    e->prev = malloc((c + 1) * sizeof *e->prev);
    e->pair = malloc((c + 1) * sizeof *e->pair);
    e->heap = malloc(3 * (c + 1) * sizeof *e->heap);
    e->scap = e->next && e->prev && e->pair && e->heap ? c : 0;
    if (!e->scap) return vc_error(VOCE_ERR_NOMEM, "encode: out of memory for a piece of %zu bytes", len);
    return VOCE_OK;
}

/* Rank of the token p[start, end), VC_BPE_NONE if there is no ranked one. */
static uint32_t rank_of(const vc_bpe *b, const uint8_t *p, uint32_t start, uint32_t end)
{
    uint32_t id = vc_bpe_find(b, p + start, end - start);
    return id == VC_BPE_NONE ? VC_BPE_NONE : vc_bpe_rank(b, id);
}

/* Parts of the piece as boundaries bound[0..m]; pair[i] = rank of parts i and i+1. */
static void merge_scan(const vc_bpe *b, const uint8_t *p, uint32_t len, uint32_t *bound,
                       uint32_t *pair, uint32_t *m_out)
{
    uint32_t m = len;
    for (uint32_t i = 0; i <= len; i++) bound[i] = i;
    for (uint32_t i = 0; i + 1 < m; i++) pair[i] = rank_of(b, p, i, i + 2);
    while (m > 1) {
        uint32_t best = VC_BPE_NONE, at = 0;
        for (uint32_t i = 0; i + 1 < m; i++)
            if (pair[i] < best) best = pair[i], at = i;
        if (best == VC_BPE_NONE) break;
        /* parts at and at+1 become one: drop boundary at+1 and the pair that started there */
        memmove(bound + at + 1, bound + at + 2, (m - at - 1) * sizeof *bound);
        memmove(pair + at + 1, pair + at + 2, (m > at + 3 ? m - at - 3 : 0) * sizeof *pair);
        m--;
        pair[at] = at + 1 < m ? rank_of(b, p, bound[at], bound[at + 2]) : VC_BPE_NONE;
        if (at > 0) pair[at - 1] = rank_of(b, p, bound[at - 1], bound[at + 1]);
    }
    *m_out = m;
}

static void heap_push(uint64_t *h, size_t *n, uint64_t key)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > key) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = key;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= last) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = last;
    return top;
}

/* Parts as a linked list by start byte: next[s] is the next part's start (len at the
 * end). pair[s] is the rank of part s merged with its successor; a heap entry is stale
 * once pair[s] differs from it (ranks are unique per token, so an equal rank is the same
 * pair). Each merge pushes at most two entries: the heap holds at most 3 * len. */
static void merge_heap(enc *e, const uint8_t *p, uint32_t len)
{
    const vc_bpe *b = e->b;
    uint32_t *next = e->next, *prev = e->prev, *pair = e->pair;
    uint64_t *h = e->heap;
    size_t hn = 0;
    for (uint32_t i = 0; i < len; i++) {
        next[i] = i + 1;
        prev[i] = i - 1;
        pair[i] = i + 2 <= len ? rank_of(b, p, i, i + 2) : VC_BPE_NONE;
        if (pair[i] != VC_BPE_NONE) heap_push(h, &hn, (uint64_t)pair[i] << 32 | i);
    }
    while (hn) {
        uint64_t top = heap_pop(h, &hn);
        uint32_t s = (uint32_t)top, r = (uint32_t)(top >> 32);
        if (pair[s] != r) continue;
        uint32_t right = next[s], end = next[right];
        pair[right] = VC_BPE_NONE;
        next[s] = end;
        if (end < len) prev[end] = s;
        pair[s] = end < len ? rank_of(b, p, s, next[end]) : VC_BPE_NONE;
        if (pair[s] != VC_BPE_NONE) heap_push(h, &hn, (uint64_t)pair[s] << 32 | s);
        if (s > 0) {
            uint32_t q = prev[s];
            pair[q] = rank_of(b, p, q, end);
            if (pair[q] != VC_BPE_NONE) heap_push(h, &hn, (uint64_t)pair[q] << 32 | q);
        }
    }
}

static voce_status encode_piece(enc *e, const uint8_t *p, uint32_t len)
{
    const vc_bpe *b = e->b;
    uint32_t id = vc_bpe_find(b, p, len);
    if (id != VC_BPE_NONE && (len == 1 || vc_bpe_rank(b, id) != VC_BPE_NONE)) return emit(e, id);
    voce_status st = scratch(e, len);
    if (st) return st;
    if (len <= SCAN_MAX) {
        uint32_t m;
        merge_scan(b, p, len, e->next, e->pair, &m);
        for (uint32_t i = 0; i < m && !st; i++)
            st = emit(e, vc_bpe_find(b, p + e->next[i], e->next[i + 1] - e->next[i]));
        return st;
    }
    merge_heap(e, p, len);
    for (uint32_t s = 0; s < len && !st; s = e->next[s])
        st = emit(e, vc_bpe_find(b, p + s, e->next[s] - s));
    return st;
}

static voce_status encode_ordinary(enc *e, const uint8_t *t, size_t len)
{
    for (size_t pos = 0; pos < len;) {
        size_t end = vc_pretok_next(t, len, pos);
        voce_status st = encode_piece(e, t + pos, (uint32_t)(end - pos));
        if (st) return st;
        pos = end;
    }
    return VOCE_OK;
}

/* The special token starting at t[pos] (the longest), or VC_BPE_NONE. */
static uint32_t special_at(const vc_bpe *b, const uint8_t *t, size_t len, size_t pos)
{
    if (!(b->special_first[t[pos] >> 3] & (1u << (t[pos] & 7)))) return VC_BPE_NONE;
    for (uint32_t i = 0; i < b->n_special_lens; i++) {
        size_t n = b->special_lens[i];
        if (n > len - pos) continue;
        uint32_t k = vc_bpe_find_special(b, t + pos, n);
        if (k != VC_BPE_NONE) return k;
    }
    return VC_BPE_NONE;
}

static voce_status encode_all(enc *e, const uint8_t *t, size_t len, unsigned flags)
{
    const vc_bpe *b = e->b;
    if (!(flags & VC_BPE_SPECIAL) || !b->n_special) return encode_ordinary(e, t, len);
    size_t start = 0;
    for (size_t pos = 0; pos < len; pos++) {
        uint32_t k = special_at(b, t, len, pos);
        if (k == VC_BPE_NONE) continue;
        voce_status st = encode_ordinary(e, t + start, pos - start);
        if (!st) st = emit(e, (uint32_t)b->special[k].id);
        if (st) return st;
        start = pos + b->special[k].len;
        pos = start - 1;
    }
    return encode_ordinary(e, t + start, len - start);
}

voce_status vc_bpe_encode(const vc_bpe *b, const char *text, size_t len, unsigned flags,
                          int32_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (!b || (!text && len)) return vc_error(VOCE_ERR_INVALID_ARG, "vc_bpe_encode: NULL argument");
    if (len >= UINT32_MAX)
        return vc_error(VOCE_ERR_NOMEM, "encode: %zu bytes of text (the limit is 4 GiB)", len);
    enc e = {.b = b};
    voce_status st = encode_all(&e, (const uint8_t *)text, len, flags);
    free(e.next);
    free(e.prev);
    free(e.pair);
    free(e.heap);
    if (st) {
        free(e.ids);
        return st;
    }
    *ids = e.ids;
    *n = e.n;
    return VOCE_OK;
}
