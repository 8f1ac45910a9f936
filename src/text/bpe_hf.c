/* Hugging Face byte-level BPE files: vocab.json + merges.txt, or tokenizer.json.
 *
 * Their token strings spell bytes in GPT-2's byte alphabet: the printable bytes
 * 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF stand for themselves (as code points), and the
 * other 68 bytes, in increasing order, are U+0100 onwards. Merge k ("a b") gives the
 * token a+b rank k (bpe.h); an earlier line that made the same bytes wins.
 */
#include <stdlib.h>

#include "core/error.h"
#include "text/bpe_int.h"
#include "text/json.h"
#include "text/unicode_class.h"

#define N_ALPHABET (256 + 68)

typedef struct hf {
    int16_t byte_of[N_ALPHABET];    /* code point -> byte, -1 if not in the alphabet */
    uint8_t *scratch;
    size_t scratch_cap;
    const char *what;
} hf;

static int printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

static void alphabet(hf *h)
{
    for (int i = 0; i < N_ALPHABET; i++) h->byte_of[i] = -1;
    int extra = 0;
    for (unsigned b = 0; b < 256; b++) {
        if (printable(b)) h->byte_of[b] = (int16_t)b;
        else h->byte_of[256 + extra++] = (int16_t)b;
    }
}

static voce_status room(hf *h, size_t n)
{
    if (n <= h->scratch_cap) return VOCE_OK;
    uint8_t *p = realloc(h->scratch, n);
    if (!p) return vc_error(VOCE_ERR_NOMEM, "%s: out of memory", h->what);
    h->scratch = p;
    h->scratch_cap = n;
    return VOCE_OK;
}

/* Bytes spelled by the token string s[0, n), appended at h->scratch + at. */
static voce_status to_bytes(hf *h, const char *s, size_t n, size_t at, size_t *len)
{
    voce_status st = room(h, at + n);
    if (st) return st;
    const uint8_t *u = (const uint8_t *)s;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t step = vc_utf8_next(u, n, i, &cp);
        if (cp >= N_ALPHABET || h->byte_of[cp] < 0) {
            char show[128];
            return vc_error(VOCE_ERR_FORMAT, "%s: token '%s' is not in GPT-2's byte alphabet",
                            h->what, vc_bpe_show(u, n, show, sizeof show));
        }
        h->scratch[at + k++] = (uint8_t)h->byte_of[cp];
        i += step;
    }
    *len = k;
    return VOCE_OK;
}

static voce_status load_vocab(hf *h, const vc_json *j, const vc_json_node *vocab, vc_bpe **out)
{
    if (!vocab || vocab->type != VC_JSON_OBJECT)
        return vc_error(VOCE_ERR_FORMAT, "%s: the vocabulary is not a JSON object", h->what);
    vc_bpe_build bld;
    vc_bpe_build_init(&bld);
    voce_status st = VOCE_OK;
    for (const vc_json_node *m = vc_json_child(j, vocab); m && !st; m = vc_json_next(j, m)) {
        size_t klen, blen;
        const char *key = vc_json_key(j, m, &klen);
        int64_t id;
        if (!vc_json_int(j, m, 0, VC_BPE_MAX_ID, &id)) {
            char show[128];
            st = vc_error(VOCE_ERR_FORMAT, "%s: the id of '%s' is not an integer in 0..%d",
                          h->what, vc_bpe_show((const uint8_t *)key, klen, show, sizeof show),
                          VC_BPE_MAX_ID);
            break;
        }
        st = to_bytes(h, key, klen, 0, &blen);
        if (!st) st = vc_bpe_build_add(&bld, h->scratch, blen, (uint32_t)id, VC_BPE_NONE);
    }
    if (st) {
        vc_bpe_build_free(&bld);
        return st;
    }
    return vc_bpe_build_finish(&bld, h->what, out);
}

/* Merge number k, "a b": rank k for the token a+b unless an earlier merge made it. */
static voce_status merge(hf *h, vc_bpe *b, const char *a, size_t alen, const char *c, size_t clen,
                         uint32_t k)
{
    size_t n1, n2;
    voce_status st = to_bytes(h, a, alen, 0, &n1);
    if (!st) st = to_bytes(h, c, clen, n1, &n2);
    if (st) return st;
    char s1[128], s2[128];
    const uint8_t *p = h->scratch;
    if (vc_bpe_find(b, p, n1) == VC_BPE_NONE || vc_bpe_find(b, p + n1, n2) == VC_BPE_NONE)
        return vc_error(VOCE_ERR_FORMAT, "%s: merge %u ('%s' '%s') joins a token not in the vocabulary",
                        h->what, k, vc_bpe_show(p, n1, s1, sizeof s1),
                        vc_bpe_show(p + n1, n2, s2, sizeof s2));
    uint32_t id = vc_bpe_find(b, p, n1 + n2);
    if (id == VC_BPE_NONE)
        return vc_error(VOCE_ERR_FORMAT, "%s: merge %u makes '%s', which is not in the vocabulary",
                        h->what, k, vc_bpe_show(p, n1 + n2, s1, sizeof s1));
    if (b->rank[id] == VC_BPE_NONE) b->rank[id] = k;
    return VOCE_OK;
}

/* Merges need a rank per token; a vocabulary of single bytes may have dropped it. */
static voce_status ranks_unset(vc_bpe *b)
{
    if (!b->rank) b->rank = malloc((size_t)b->n_ids * sizeof *b->rank);
    if (!b->rank) return vc_error(VOCE_ERR_NOMEM, "out of memory for merge ranks");
    for (uint32_t i = 0; i < b->n_ids; i++) b->rank[i] = VC_BPE_NONE;
    return VOCE_OK;
}

static voce_status merges_txt(hf *h, vc_bpe *b, const uint8_t *p, size_t size)
{
    uint32_t k = 0;
    size_t line = 0;
    for (size_t pos = 0; pos < size;) {
        const uint8_t *nl = memchr(p + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - p) : size, n = end - pos;
        const char *s = (const char *)p + pos;
        pos = end + 1;
        line++;
        if (n && s[n - 1] == '\r') n--;
        if (n == 0 || (line == 1 && n >= 8 && memcmp(s, "#version", 8) == 0)) continue;
        const char *sp = memchr(s, ' ', n);
        if (!sp || sp == s || sp == s + n - 1 || memchr(sp + 1, ' ', (size_t)(s + n - sp - 1)))
            return vc_error(VOCE_ERR_FORMAT, "merges.txt line %zu: expected two tokens and one space",
                            line);
        if (k == VC_BPE_NONE - 1) return vc_error(VOCE_ERR_FORMAT, "merges.txt: too many merges");
        voce_status st = merge(h, b, s, (size_t)(sp - s), sp + 1, (size_t)(s + n - sp - 1), k++);
        if (st) return vc_error_prefix(st, "line %zu: ", line);
    }
    return VOCE_OK;
}

voce_status vc_bpe_load_hf_vocab(const void *vocab_json, size_t vocab_size,
                                 const void *merges, size_t merges_size, vc_bpe **out)
{
    *out = NULL;
    if ((!vocab_json && vocab_size) || (!merges && merges_size))
        return vc_error(VOCE_ERR_INVALID_ARG, "vc_bpe_load_hf_vocab: NULL data");
    hf h = {.what = "vocab.json"};
    alphabet(&h);
    vc_json j;
    voce_status st = vc_json_parse(vocab_json, vocab_size, "vocab.json", &j);
    if (st) return st;
    vc_bpe *b = NULL;
    st = load_vocab(&h, &j, vc_json_root(&j), &b);
    vc_json_free(&j);
    h.what = "merges.txt";
    if (!st) st = ranks_unset(b);
    if (!st) st = merges_txt(&h, b, merges, merges_size);
    if (!st) st = vc_bpe_settle_ranks(b, "merges.txt");
    free(h.scratch);
    if (st) {
        vc_bpe_free(b);
        return st;
    }
    *out = b;
    return VOCE_OK;
}

/* model.merges: strings "a b" or pairs ["a", "b"]. */
static voce_status json_merges(hf *h, vc_bpe *b, const vc_json *j, const vc_json_node *list)
{
    if (!list || list->type != VC_JSON_ARRAY)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer.json: model.merges is not an array");
    uint32_t k = 0;
    for (const vc_json_node *m = vc_json_child(j, list); m; m = vc_json_next(j, m), k++) {
        const char *a = NULL, *c = NULL;
        size_t alen = 0, clen = 0, n;
        if (m->type == VC_JSON_STRING) {
            const char *s = vc_json_string(j, m, &n);
            const char *sp = memchr(s, ' ', n);
            if (sp && sp != s && sp != s + n - 1 && !memchr(sp + 1, ' ', (size_t)(s + n - sp - 1)))
                a = s, alen = (size_t)(sp - s), c = sp + 1, clen = (size_t)(s + n - sp - 1);
        } else if (m->type == VC_JSON_ARRAY) {
            const vc_json_node *x = vc_json_child(j, m), *y = vc_json_next(j, x);
            if (y && !vc_json_next(j, y)) {
                a = vc_json_string(j, x, &alen);
                c = vc_json_string(j, y, &clen);
            }
        }
        if (!a || !c || !alen || !clen)
            return vc_error(VOCE_ERR_FORMAT,
                            "tokenizer.json: merge %u is neither \"a b\" nor [\"a\", \"b\"]", k);
        voce_status st = merge(h, b, a, alen, c, clen, k);
        if (st) return st;
    }
    return VOCE_OK;
}

static voce_status added_tokens(vc_bpe *b, const vc_json *j, const vc_json_node *list)
{
    if (!list) return VOCE_OK;
    if (list->type != VC_JSON_ARRAY)
        return vc_error(VOCE_ERR_FORMAT, "tokenizer.json: added_tokens is not an array");
    uint32_t i = 0;
    for (const vc_json_node *t = vc_json_child(j, list); t; t = vc_json_next(j, t), i++) {
        size_t n;
        int64_t id;
        const char *s = vc_json_string(j, vc_json_member(j, t, "content"), &n);
        if (!s || !vc_json_int(j, vc_json_member(j, t, "id"), 0, VC_BPE_MAX_ID, &id))
            return vc_error(VOCE_ERR_FORMAT,
                            "tokenizer.json: added_tokens[%u] lacks a string content or an id in 0..%d",
                            i, VC_BPE_MAX_ID);
        voce_status st = vc_bpe_add_special(b, s, n, (int32_t)id);
        if (st) return vc_error_prefix(VOCE_ERR_FORMAT, "tokenizer.json: added_tokens[%u]: ", i);
    }
    return VOCE_OK;
}

static voce_status from_tokenizer_json(hf *h, const vc_json *j, vc_bpe **out)
{
    const vc_json_node *model = vc_json_member(j, vc_json_root(j), "model");
    if (!model) return vc_error(VOCE_ERR_FORMAT, "tokenizer.json: no \"model\" object");
    size_t n;
    const char *type = vc_json_string(j, vc_json_member(j, model, "type"), &n);
    if (type && strcmp(type, "BPE") != 0)
        return vc_error(VOCE_ERR_UNSUPPORTED, "tokenizer.json: model type '%s', not BPE", type);
    vc_bpe *b = NULL;
    voce_status st = load_vocab(h, j, vc_json_member(j, model, "vocab"), &b);
    if (!st) st = ranks_unset(b);
    if (!st) st = json_merges(h, b, j, vc_json_member(j, model, "merges"));
    if (!st) st = vc_bpe_settle_ranks(b, "tokenizer.json");
    if (!st) st = added_tokens(b, j, vc_json_member(j, vc_json_root(j), "added_tokens"));
    if (st) {
        vc_bpe_free(b);
        return st;
    }
    *out = b;
    return VOCE_OK;
}

voce_status vc_bpe_load_hf_tokenizer(const void *data, size_t size, vc_bpe **out)
{
    *out = NULL;
    hf h = {.what = "tokenizer.json"};
    alphabet(&h);
    vc_json j;
    voce_status st = vc_json_parse(data, size, "tokenizer.json", &j);
    if (st) return st;
    st = from_tokenizer_json(&h, &j, out);
    vc_json_free(&j);
    free(h.scratch);
    return st;
}
