/* The byte-level BPE tokenizer (src/text/) and Whisper's special tokens
 * (src/models/whisper/tokens.c).
 *
 * Without data: the pre-tokenizer and the merge rule on hand-checked cases, heap merges
 * against a naive merge on random vocabularies, blobs, and every refusal. With Whisper's
 * vocabularies (gpt2.tiktoken, multilingual.tiktoken in models/whisper-assets) and tests/ref/bpe_ref.py's output
 * (gen_bpe_refs, in $VOCE_BUILD_DIR/bpe-ref): exact ids for every transcript under
 * audio/ and ~200 tricky and random strings, both vocabularies; the same vocabulary
 * through tiktoken, vocab.json + merges.txt, tokenizer.json and tokens.txt; special ids,
 * start sequences and non_speech_tokens; decode(encode(x)) == x on random text and bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/mapfile.h"
#include "harness.h"
#include "models/whisper/tokens.h"
#include "text/bpe.h"
#include "text/pretokenize.h"
#include "text/unicode_class.h"

/* ------------------------------------------------------------------ helpers */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void buf_put(buf *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void buf_str(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void b64(buf *out, const uint8_t *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0)
                     | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {a[w >> 18], a[(w >> 12) & 63], i + 1 < n ? a[(w >> 6) & 63] : '=',
                     i + 2 < n ? a[w & 63] : '='};
        buf_put(out, q, 4);
    }
}

/* A tiktoken file of the 256 bytes (rank = byte) and the given extra tokens. */
static buf tiktoken_text(const char *const *extra, const int *ranks, int n_extra)
{
    buf t = {0};
    char line[32];
    for (int v = 0; v < 256; v++) {
        uint8_t byte = (uint8_t)v;
        b64(&t, &byte, 1);
        snprintf(line, sizeof line, " %d\n", v);
        buf_str(&t, line);
    }
    for (int i = 0; i < n_extra; i++) {
        b64(&t, (const uint8_t *)extra[i], strlen(extra[i]));
        snprintf(line, sizeof line, " %d\n", ranks[i]);
        buf_str(&t, line);
    }
    return t;
}

static int ids_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* decode(encode(text)) == text */
static int round_trips(const vc_bpe *bpe, const char *text, size_t len, unsigned flags)
{
    int32_t *ids;
    size_t n, got;
    char *back;
    if (vc_bpe_encode(bpe, text, len, flags, &ids, &n) != VOCE_OK) return 0;
    int ok = vc_bpe_decode_alloc(bpe, ids, n, &back, &got) == VOCE_OK && got == len
             && memcmp(back, text, len) == 0;
    free(ids);
    free(back);
    return ok;
}

static const char *ref_dir(void) { return vt_build_path(NULL, "bpe-ref"); }

static const char *vocab_names[2] = {"gpt2", "multilingual"};

/* Whisper's vocabulary `name` from the shared data; NULL (after VT_SKIP's message) if
 * missing. */
static vc_bpe *load_shared(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "models/whisper-assets/%s.tiktoken", name);
    const char *path = vt_data(rel);
    if (!path) {
        vt_skip("needs %s", rel);
        return NULL;
    }
    vc_mapfile m;
    vc_bpe *bpe = NULL;
    if (vc_mapfile_open(path, &m) != VOCE_OK) return NULL;
    if (vc_bpe_load_tiktoken(m.data, m.size, &bpe) != VOCE_OK)
        vt_fail(__FILE__, __LINE__, "%s: %s", path, voce_last_error());
    vc_mapfile_close(&m);
    return bpe;
}

/* A file of bpe-ref/<vocab>/; NULL after a skip message when it is missing. */
static FILE *open_ref(const char *vocab, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", ref_dir(), vocab, file);
    FILE *f = fopen(path, "rb");
    if (!f) vt_skip("needs %s (made by gen_bpe_refs: tests/ref/bpe_ref.py)", path);
    return f;
}

/* ------------------------------------------------------------------ no data needed */

static void test_pretokenize(void)
{
    static const struct { const char *text; const char *pieces[6]; } cases[] = {
        {"Hello world", {"Hello", " world"}},
        {"a  b", {"a", " ", " b"}},
        {"a \n b", {"a", " \n", " b"}},
        {"I'm", {"I", "'m"}},
        {"x\n\n", {"x", "\n\n"}},
        {"12abc", {"12", "abc"}},
        {"!!! ok", {"!!!", " ok"}},
        {"'''s", {"'''", "s"}},
        {"\t\tx", {"\t", "\t", "x"}},
        {"  ", {"  "}},
        {" \xff", {" \xff"}},
        {"a\xc2\xa0" "b", {"a", "\xc2\xa0", "b"}},
        {" 123", {" 123"}},
        {" !x", {" !", "x"}},
        {"\xe3\x80\x80x", {"\xe3\x80\x80", "x"}},
        {"x  ", {"x", "  "}},
        {"'ll'LL", {"'ll", "'", "LL"}},
        {"caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87", {"caf\xc3\xa9", " \xe4\xb8\xad\xe6\x96\x87"}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const uint8_t *t = (const uint8_t *)cases[c].text;
        size_t len = strlen(cases[c].text), pos = 0;
        for (int k = 0; cases[c].pieces[k]; k++) {
            size_t want = strlen(cases[c].pieces[k]);
            CHECK_MSG(pos < len, "case %zu: ran out before piece %d", c, k);
            size_t end = vc_pretok_next(t, len, pos);
            CHECK_MSG(end - pos == want && !memcmp(t + pos, cases[c].pieces[k], want),
                      "case %zu piece %d: got %zu bytes, want '%s'", c, k, end - pos,
                      cases[c].pieces[k]);
            pos = end;
        }
        CHECK_MSG(pos == len, "case %zu: text left over", c);
    }
}

static vc_bpe *small_vocab(void)
{
    static const char *const extra[] = {"ab", "bc", "abc", "aa", "aaa"};
    static const int ranks[] = {256, 257, 258, 259, 260};
    buf t = tiktoken_text(extra, ranks, 5);
    vc_bpe *bpe = NULL;
    voce_status st = vc_bpe_load_tiktoken(t.p, t.n, &bpe);
    free(t.p);
    if (st) vt_fail(__FILE__, __LINE__, "small vocabulary: %s", voce_last_error());
    return bpe;
}

static void test_merge_rule(void)
{
    /* hand-worked: lowest rank first, leftmost on ties, whole-piece shortcut */
    static const struct { const char *text; int32_t ids[4]; size_t n; } cases[] = {
        {"abc", {258}, 1},
        {"abcab", {258, 256}, 2},
        {"bcab", {257, 256}, 2},
        {"aaaa", {259, 259}, 2},
        {"aaaaa", {259, 260}, 2},
        {"ab ab", {256, 32, 256}, 3},
    };
    vc_bpe *bpe = small_vocab();
    CHECK(bpe);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int32_t *ids;
        size_t n;
        CHECK_OK(vc_bpe_encode(bpe, cases[c].text, strlen(cases[c].text), 0, &ids, &n));
        int ok = ids_equal(ids, n, cases[c].ids, cases[c].n);
        free(ids);
        CHECK_MSG(ok, "'%s' encodes wrong", cases[c].text);
    }
    CHECK(vc_bpe_n_ordinary(bpe) == 261 && vc_bpe_n_vocab(bpe) == 261);
    vc_bpe_free(bpe);
}

/* The merge rule written plainly: a full rescan after every merge. Tokens are strings
 * over "abcd" of up to 6 letters, looked up by their base-5 number. */
enum { NAIVE_SLOTS = 5 * 5 * 5 * 5 * 5 * 5 };

static int naive_rank(const int *rank_of, const char *p, size_t n)
{
    if (n == 1) return (uint8_t)p[0];
    if (n > 6) return -1;
    size_t key = 0;
    for (size_t i = 0; i < n; i++) key = key * 5 + (size_t)(p[i] - 'a' + 1);
    return rank_of[key];
}

static size_t naive_encode(const int *rank_of, const char *p, size_t n, int32_t *out)
{
    size_t bound[512], m = n;
    int r = naive_rank(rank_of, p, n);
    if (r >= 0) {
        out[0] = r;
        return 1;
    }
    for (size_t i = 0; i <= n; i++) bound[i] = i;
    for (;;) {
        int best = -1;
        size_t at = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            int k = naive_rank(rank_of, p + bound[i], bound[i + 2] - bound[i]);
            if (k >= 0 && (best < 0 || k < best)) best = k, at = i;
        }
        if (best < 0) break;
        memmove(bound + at + 1, bound + at + 2, (m - at - 1) * sizeof *bound);
        m--;
    }
    for (size_t i = 0; i < m; i++) out[i] = naive_rank(rank_of, p + bound[i], bound[i + 1] - bound[i]);
    return m;
}

static void test_heap_vs_naive(void)
{
    uint64_t seed = 0x1234567887654321u;
    int rounds = vt_quick() ? 3 : 12;
    static int rank_of[NAIVE_SLOTS];
    for (int round = 0; round < rounds; round++) {
        /* a random vocabulary over "abcd": tokens of 2 to 6 letters, random ranks */
        enum { NV = 200 };
        char tok[NV][8];
        const char *extra[NV];
        int ranks[NV], nv = 0;
        for (int i = 0; i < NAIVE_SLOTS; i++) rank_of[i] = -1;
        while (nv < NV) {
            size_t len = 2 + rng_next(&seed) % 5, key = 0;
            for (size_t k = 0; k < len; k++) {
                tok[nv][k] = (char)('a' + rng_next(&seed) % 4);
                key = key * 5 + (size_t)(tok[nv][k] - 'a' + 1);
            }
            tok[nv][len] = 0;
            if (rank_of[key] >= 0) continue;
            rank_of[key] = nv;   /* the index for now; the rank below */
            extra[nv] = tok[nv];
            nv++;
        }
        for (int i = 0; i < nv; i++) ranks[i] = 256 + i;
        for (int i = nv - 1; i > 0; i--) {
            int j = (int)(rng_next(&seed) % (uint64_t)(i + 1)), t = ranks[i];
            ranks[i] = ranks[j];
            ranks[j] = t;
        }
        for (int i = 0; i < NAIVE_SLOTS; i++)
            if (rank_of[i] >= 0) rank_of[i] = ranks[rank_of[i]];
        buf t = tiktoken_text(extra, ranks, nv);
        vc_bpe *bpe;
        CHECK_OK(vc_bpe_load_tiktoken(t.p, t.n, &bpe));
        free(t.p);
        for (int c = 0; c < 40; c++) {
            char text[500];
            size_t len = 1 + rng_next(&seed) % (c < 20 ? 64 : 480);
            for (size_t k = 0; k < len; k++) text[k] = (char)('a' + rng_next(&seed) % 4);
            int32_t want[512], *ids;
            size_t nw = naive_encode(rank_of, text, len, want), n;
            CHECK_OK(vc_bpe_encode(bpe, text, len, 0, &ids, &n));
            int ok = ids_equal(ids, n, want, nw);
            free(ids);
            CHECK_MSG(ok, "round %d case %d (%zu letters): heap/scan merge differs from the naive one",
                      round, c, len);
        }
        vc_bpe_free(bpe);
    }
}

static void test_blob_roundtrip(void)
{
    vc_bpe *a = small_vocab(), *b = NULL;
    CHECK(a);
    CHECK_OK(vc_bpe_add_special(a, "<|x|>", 5, 300));
    CHECK_OK(vc_bpe_add_special(a, "<|xy|>", 6, 261));
    void *blob, *blob2;
    size_t n, n2;
    CHECK_OK(vc_bpe_save_blob(a, &blob, &n));
    CHECK_OK(vc_bpe_load_blob(blob, n, &b));
    CHECK_OK(vc_bpe_save_blob(b, &blob2, &n2));
    CHECK(n == n2 && !memcmp(blob, blob2, n));
    CHECK(vc_bpe_n_vocab(b) == 301 && vc_bpe_n_special(b) == 2);
    const char *text = "aaaaa<|x|>abcab<|xy|> <|x";
    int32_t *i1, *i2;
    size_t k1, k2;
    CHECK_OK(vc_bpe_encode(a, text, strlen(text), VC_BPE_SPECIAL, &i1, &k1));
    CHECK_OK(vc_bpe_encode(b, text, strlen(text), VC_BPE_SPECIAL, &i2, &k2));
    int same = ids_equal(i1, k1, i2, k2);
    static const int32_t want[] = {259, 260, 300, 258, 256, 261, 32, 60, 124, 120};
    int right = ids_equal(i1, k1, want, sizeof want / sizeof want[0]);
    free(i1);
    free(i2);
    free(blob2);
    int trips = round_trips(b, text, strlen(text), 0) && round_trips(b, text, strlen(text), VC_BPE_SPECIAL);
    vc_bpe_free(b);
    b = NULL;
    CHECK(same && right && trips);

    /* every truncation and many single-byte changes: an error or a valid model, never a crash */
    for (size_t cut = 0; cut < n; cut++) {
        vc_bpe *c = NULL;
        voce_status st = vc_bpe_load_blob(blob, cut, &c);
        CHECK_MSG(st == VOCE_ERR_FORMAT && !c && strstr(voce_last_error(), "tokenizer blob"),
                  "blob cut to %zu bytes: %s", cut, voce_last_error());
    }
    uint8_t *mod = malloc(n);
    uint64_t seed = 99;
    for (int k = 0; k < (vt_quick() ? 300 : 3000); k++) {
        memcpy(mod, blob, n);
        mod[rng_next(&seed) % n] ^= (uint8_t)(1 + rng_next(&seed) % 255);
        vc_bpe *c = NULL;
        if (vc_bpe_load_blob(mod, n, &c) == VOCE_OK) {
            CHECK(round_trips(c, text, strlen(text), VC_BPE_SPECIAL));
            vc_bpe_free(c);
        }
    }
    free(mod);
    ((uint8_t *)blob)[6] = 2;
    CHECK_ERR(vc_bpe_load_blob(blob, n, &b), VOCE_ERR_VERSION);
    ((uint8_t *)blob)[0] = 'X';
    CHECK_ERR(vc_bpe_load_blob(blob, n, &b), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "magic"));
    free(blob);
    vc_bpe_free(a);
}

/* Loading `text` as a tiktoken file fails with `status` and a message holding `want`. */
static int refuses(const char *text, voce_status status, const char *want)
{
    vc_bpe *b = NULL;
    voce_status st = vc_bpe_load_tiktoken(text, strlen(text), &b);
    if (st == status && !b && strstr(voce_last_error(), want)) return 1;
    printf("    tiktoken input gave %s: '%s' (want '%s')\n", voce_status_str(st),
           voce_last_error(), want);
    vc_bpe_free(b);
    return 0;
}

static void test_tiktoken_refusals(void)
{
    buf ok = tiktoken_text(NULL, NULL, 0);
    buf t = {0};
    /* bad base64, rank, duplicates, gaps, missing bytes */
    buf_put(&t, ok.p, ok.n);
    buf_str(&t, "YW*= 256\n");
    CHECK(refuses(t.p, VOCE_ERR_FORMAT, "line 257: bad base64"));
    t.n = 0;
    buf_put(&t, ok.p, ok.n);
    buf_str(&t, "YWI 256\n");
    CHECK(refuses(t.p, VOCE_ERR_FORMAT, "bad base64"));
    t.n = 0;
    buf_put(&t, ok.p, ok.n);
    buf_str(&t, "YWI= 25x\n");
    CHECK(refuses(t.p, VOCE_ERR_FORMAT, "not a decimal number"));
    t.n = 0;
    buf_put(&t, ok.p, ok.n);
    buf_str(&t, "YWI=\n");
    CHECK(refuses(t.p, VOCE_ERR_FORMAT, "line 257: expected"));
    t.n = 0;
    buf_put(&t, ok.p, ok.n);
    buf_str(&t, "YWI= 255\n");
    CHECK(refuses(t.p, VOCE_ERR_FORMAT, "id 255 appears twice"));
    t.n = 0;
    buf_put(&t, ok.p, ok.n);
    buf_str(&t, "YQ== 300\n");
    CHECK(refuses(t.p, VOCE_ERR_FORMAT, "the same bytes 'a'"));
    t.n = 0;
    buf_put(&t, ok.p, ok.n);
    buf_str(&t, "YWI= 99999\n");
    CHECK(refuses(t.p, VOCE_ERR_FORMAT, "ids reach 99999"));
    t.n = 0;
    buf_put(&t, ok.p, ok.n);
    buf_str(&t, "YWI= 99999999\n");
    CHECK(refuses(t.p, VOCE_ERR_FORMAT, "beyond the limit"));
    CHECK(refuses(strstr(ok.p, "\n") + 1, VOCE_ERR_FORMAT, "no token for the byte 0x00"));
    CHECK(refuses("", VOCE_ERR_FORMAT, "no tokens"));
    CHECK(refuses("\n\n", VOCE_ERR_FORMAT, "no tokens"));
    /* the same through sherpa's name, and CRLF lines accepted */
    t.n = 0;
    for (size_t i = 0; i < ok.n; i++) {
        if (ok.p[i] == '\n') buf_str(&t, "\r");
        buf_put(&t, ok.p + i, 1);
    }
    vc_bpe *b;
    CHECK_OK(vc_bpe_load_sherpa_tokens(t.p, t.n, &b));
    vc_bpe_free(b);
    CHECK_ERR(vc_bpe_load_sherpa_tokens("x 1\n", 4, &b), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "tokens.txt line 1"));
    free(t.p);
    free(ok.p);
}

static void test_special_tokens(void)
{
    vc_bpe *b = small_vocab();
    CHECK(b);
    CHECK_ERR(vc_bpe_add_special(b, "<|a|>", 5, 256), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "ordinary token 'ab'"));
    CHECK_OK(vc_bpe_add_special(b, "ab", 2, 256));   /* same bytes: becomes special */
    CHECK_ERR(vc_bpe_add_special(b, "a", 1, 97), VOCE_ERR_INVALID_ARG);   /* not a byte */
    CHECK(vc_bpe_n_ordinary(b) == 260 && vc_bpe_is_special(b, 256));
    CHECK_OK(vc_bpe_add_special(b, "<|a|>", 5, 400));
    CHECK_OK(vc_bpe_add_special(b, "<|a|>", 5, 400));
    CHECK_ERR(vc_bpe_add_special(b, "<|a|>", 5, 401), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(vc_bpe_add_special(b, "<|b|>", 5, 400), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "id 400 is already '<|a|>'"));
    CHECK_ERR(vc_bpe_add_special(b, "", 0, 500), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(vc_bpe_add_special(b, "<|c|>", 5, -1), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(vc_bpe_add_special(b, "<|c|>", 5, 1 << 24), VOCE_ERR_INVALID_ARG);

    /* decoding unknown ids */
    const char *bytes;
    size_t n;
    char out[8];
    int32_t bad[] = {97, 401};
    CHECK_ERR(vc_bpe_token_bytes(b, 401, &bytes, &n), VOCE_ERR_NOT_FOUND);
    CHECK(strstr(voce_last_error(), "token id 401"));
    CHECK_ERR(vc_bpe_token_bytes(b, -5, &bytes, &n), VOCE_ERR_NOT_FOUND);
    CHECK(strstr(voce_last_error(), "token id -5"));
    CHECK_ERR(vc_bpe_decode(b, bad, 2, out, sizeof out, &n), VOCE_ERR_NOT_FOUND);
    CHECK(strstr(voce_last_error(), "token id 401"));
    int32_t good[] = {97, 400, 256};
    CHECK_ERR(vc_bpe_decode(b, good, 3, out, 4, &n), VOCE_ERR_INVALID_ARG);
    CHECK(n == 8);
    CHECK_OK(vc_bpe_decode(b, good, 3, out, sizeof out, &n));
    CHECK(n == 8 && !memcmp(out, "a<|a|>ab", 8));
    CHECK_OK(vc_bpe_token_bytes(b, 400, &bytes, &n));
    CHECK(n == 5 && !memcmp(bytes, "<|a|>", 5));
    int32_t id;
    CHECK_OK(vc_bpe_special_id(b, "<|a|>", 5, &id));
    CHECK(id == 400);
    CHECK_ERR(vc_bpe_special_id(b, "<|z|>", 5, &id), VOCE_ERR_NOT_FOUND);
    CHECK_OK(vc_bpe_token_id(b, "bc", 2, &id));
    CHECK(id == 257);
    CHECK_ERR(vc_bpe_token_id(b, "ab", 2, &id), VOCE_ERR_NOT_FOUND);
    vc_bpe_free(b);
}

static void test_hf_refusals(void)
{
    static const char merges[] = "#version: 0.2\na b\n";
    vc_bpe *b = NULL;
    /* a vocabulary needs all 256 bytes: build one in GPT-2's alphabet */
    buf v = {0};
    buf_str(&v, "{");
    int extra = 0;
    for (int x = 0; x < 256; x++) {
        int keep = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE);
        unsigned cp = keep ? (unsigned)x : 0x100u + (unsigned)extra++;
        char e[32];
        snprintf(e, sizeof e, "\"\\u%04x\": %d, ", cp, x);
        buf_str(&v, e);
    }
    size_t base_len = v.n;
    buf_str(&v, "\"ab\": 256}");
    CHECK_OK(vc_bpe_load_hf_vocab(v.p, v.n, merges, strlen(merges), &b));
    int32_t *ids;
    size_t n;
    CHECK_OK(vc_bpe_encode(b, "xab", 3, 0, &ids, &n));
    CHECK(n == 2 && ids[0] == 'x' && ids[1] == 256);
    free(ids);
    vc_bpe_free(b);
    b = NULL;
    CHECK_ERR(vc_bpe_load_hf_vocab(v.p, v.n, "a c\n", 4, &b), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "makes 'ac', which is not in the vocabulary"));
    CHECK_ERR(vc_bpe_load_hf_vocab(v.p, v.n, "ab\n", 3, &b), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "merges.txt line 1"));
    CHECK_ERR(vc_bpe_load_hf_vocab(v.p, v.n - 1, merges, strlen(merges), &b), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "vocab.json"));
    v.n = base_len;
    buf_str(&v, "\"a b\": 256}");
    CHECK_ERR(vc_bpe_load_hf_vocab(v.p, v.n, merges, strlen(merges), &b), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "not in GPT-2's byte alphabet"));
    v.n = base_len;
    buf_str(&v, "\"ab\": 2.5}");
    CHECK_ERR(vc_bpe_load_hf_vocab(v.p, v.n, merges, strlen(merges), &b), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "not an integer"));
    free(v.p);

    static const char *const bad_json[] = {
        "", "{", "{\"model\": ", "[1, 2", "{\"a\" 1}", "{\"a\": tru}", "{\"a\": 01}",
        "{\"a\": \"\\ud800\"}", "{\"a\": \"\\q\"}", "{} x", "{\"a\": \"\x01\"}",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": [], \"merges\": []}}",
        "{\"model\": {\"type\": \"Unigram\"}}", "{}",
    };
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        voce_status st = vc_bpe_load_hf_tokenizer(bad_json[i], strlen(bad_json[i]), &b);
        CHECK_MSG(st != VOCE_OK && !b && strstr(voce_last_error(), "tokenizer.json"),
                  "bad tokenizer.json %zu: %s", i, voce_last_error());
    }
    char deep[160];
    for (int i = 0; i < 80; i++) deep[i] = '[', deep[80 + i] = ']';
    CHECK_ERR(vc_bpe_load_hf_tokenizer(deep, sizeof deep, &b), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "nested more than 64 deep"));
}

static void test_random_roundtrip_small(void)
{
    vc_bpe *bpe = small_vocab();
    CHECK(bpe);
    uint64_t seed = 7;
    char text[300];
    for (int k = 0; k < 500; k++) {
        size_t len = rng_next(&seed) % sizeof text;
        for (size_t i = 0; i < len; i++) text[i] = (char)rng_next(&seed);
        CHECK_MSG(round_trips(bpe, text, len, 0), "random bytes case %d", k);
    }
    CHECK(round_trips(bpe, "", 0, 0));
    vc_bpe_free(bpe);
}

/* Every code point's class against Python's unicodedata (bpe-ref/classes.txt). */
static void test_unicode_classes(void)
{
    char path[4096], line[128], version[32];
    snprintf(path, sizeof path, "%s/classes.txt", ref_dir());
    FILE *f = fopen(path, "r");
    if (!f) VT_SKIP("needs %s (made by gen_bpe_refs)", path);
    if (!fgets(line, sizeof line, f) || sscanf(line, "unicode %31s", version) != 1) {
        fclose(f);
        CHECK_MSG(0, "%s: no unicode version line", path);
    }
    if (strcmp(version, vc_ucd_version)) {
        fclose(f);
        VT_SKIP("the tables are Unicode %s, this Python's unicodedata %s "
                "(scripts/gen_unicode_tables.py regenerates them)", vc_ucd_version, version);
    }
    unsigned first, last, next = 0, bad = 0;
    char cls;
    while (fgets(line, sizeof line, f) && sscanf(line, "%x %x %c", &first, &last, &cls) == 3) {
        vc_ucd_class_id want = cls == 'L' ? VC_UCD_LETTER : cls == 'N' ? VC_UCD_NUMBER
                             : cls == 'S' ? VC_UCD_SPACE : VC_UCD_OTHER;
        if (first != next) bad++;
        for (uint32_t cp = first; cp <= last; cp++)
            if (vc_ucd_class(cp) != want && bad++ < 5)
                printf("    U+%04X: class %d, want %c\n", cp, vc_ucd_class(cp), cls);
        next = last + 1;
    }
    fclose(f);
    CHECK_MSG(!bad && next == 0x110000,
              "%u code points differ (or the file is cut short at U+%X)", bad, next);
    CHECK(vc_ucd_class(VC_UTF8_INVALID) == VC_UCD_OTHER);
}

/* ------------------------------------------------------------------ Whisper's vocabularies */

static size_t unhex(const char *h, char *out)
{
    size_t n = 0;
    if (!strcmp(h, "-")) return 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (char)v;
    }
    return n;
}

/* Compare every case of cases.txt; returns the number compared, -1 on a failure. */
static long check_cases(const vc_bpe *bpe, const vc_bpe *with_specials, const char *vocab,
                        const char *how)
{
    FILE *f = open_ref(vocab, "cases.txt");
    if (!f) return -1;
    char *line = NULL, *text = NULL;
    size_t cap = 0;
    int32_t *want = NULL;
    long count = 0, failed = 0;
    while (getline(&line, &cap, f) > 0) {
        char mode[4], name[256];
        int off = 0;
        if (sscanf(line, "%3s %255s %n", mode, name, &off) != 2) continue;
        char *hex = line + off, *rest = strchr(hex, ' ');
        if (rest) *rest++ = 0;
        else rest = hex + strlen(hex);
        hex[strcspn(hex, "\n")] = 0;
        text = realloc(text, strlen(hex) / 2 + 1);
        want = realloc(want, (strlen(rest) / 2 + 2) * sizeof *want);
        size_t len = unhex(hex, text), nw = 0;
        for (char *p = rest, *e; (want[nw] = (int32_t)strtol(p, &e, 10)), e != p; p = e) nw++;
        int special = mode[0] == 'S';
        const vc_bpe *b = special ? with_specials : bpe;
        int32_t *ids;
        size_t n;
        voce_status st = vc_bpe_encode(b, text, len, special ? VC_BPE_SPECIAL : 0, &ids, &n);
        if (st != VOCE_OK || !ids_equal(ids, n, want, nw)) {
            if (failed++ < 5) {
                printf("    %s %s %s case %s: %zu ids, want %zu", vocab, how, mode, name, n, nw);
                for (size_t i = 0; i < n && i < nw; i++)
                    if (ids[i] != want[i]) {
                        printf(" (first difference at %zu: %d, want %d)", i, ids[i], want[i]);
                        break;
                    }
                printf("\n");
            }
        } else if (!round_trips(b, text, len, special ? VC_BPE_SPECIAL : 0)) {
            if (failed++ < 5) printf("    %s %s case %s: no round trip\n", vocab, how, name);
        }
        free(ids);
        count++;
    }
    free(line);
    free(text);
    free(want);
    fclose(f);
    if (failed) {
        vt_fail(__FILE__, __LINE__, "%s via %s: %ld of %ld cases wrong", vocab, how, failed, count);
        return -1;
    }
    return count;
}

static void test_reference_ids(void)
{
    for (int v = 0; v < 2; v++) {
        vc_bpe *bpe = load_shared(vocab_names[v]), *sp = bpe ? load_shared(vocab_names[v]) : NULL;
        if (!bpe || !sp) {
            vc_bpe_free(bpe);
            vc_bpe_free(sp);
            return;
        }
        vc_whisper_tokens t;
        CHECK_OK(vc_whisper_add_specials(sp, 99, &t));
        long n = check_cases(bpe, sp, vocab_names[v], "tiktoken");
        vc_bpe_free(bpe);
        vc_bpe_free(sp);
        if (n < 0) return;
        printf("    %s: %ld cases equal\n", vocab_names[v], n);
    }
}

static vc_bpe *load_ref_file(const char *vocab, const char *kind)
{
    char path[4096], path2[4096];
    snprintf(path, sizeof path, "%s/%s/%s", ref_dir(), vocab, kind);
    vc_mapfile m, m2;
    if (vc_mapfile_open(path, &m) != VOCE_OK) {
        vt_skip("needs %s (made by gen_bpe_refs)", path);
        return NULL;
    }
    vc_bpe *b = NULL;
    voce_status st;
    if (!strcmp(kind, "tokens.txt")) st = vc_bpe_load_sherpa_tokens(m.data, m.size, &b);
    else if (!strcmp(kind, "tokenizer.json")) st = vc_bpe_load_hf_tokenizer(m.data, m.size, &b);
    else {
        snprintf(path2, sizeof path2, "%s/%s/merges.txt", ref_dir(), vocab);
        st = vc_mapfile_open(path2, &m2);
        if (!st) {
            st = vc_bpe_load_hf_vocab(m.data, m.size, m2.data, m2.size, &b);
            vc_mapfile_close(&m2);
        }
    }
    vc_mapfile_close(&m);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", path, voce_last_error());
    return b;
}

static int same_blob(const vc_bpe *a, const vc_bpe *b)
{
    void *x, *y;
    size_t nx, ny;
    if (vc_bpe_save_blob(a, &x, &nx) || vc_bpe_save_blob(b, &y, &ny)) return 0;
    int same = nx == ny && !memcmp(x, y, nx);
    free(x);
    free(y);
    return same;
}

/* Blob round trip: a copy of b made through save + load. */
static vc_bpe *through_blob(const vc_bpe *b)
{
    void *blob;
    size_t n;
    vc_bpe *c = NULL;
    if (vc_bpe_save_blob(b, &blob, &n) == VOCE_OK) {
        if (vc_bpe_load_blob(blob, n, &c) != VOCE_OK) c = NULL;
        free(blob);
    }
    return c;
}

static void test_loaders_agree(void)
{
    static const char *const kinds[] = {"tokens.txt", "vocab.json", "tokenizer.json"};
    /* quick (qemu): the multilingual vocabulary only, the one with the empty token */
    for (int v = vt_quick() ? 1 : 0; v < 2 && !vt_failed(); v++) {
        vc_bpe *tik = load_shared(vocab_names[v]), *tik_sp = tik ? load_shared(vocab_names[v]) : NULL;
        if (!tik) break;
        vc_whisper_tokens t;
        if (tik_sp && vc_whisper_add_specials(tik_sp, 99, &t) != VOCE_OK)
            vt_fail(__FILE__, __LINE__, "%s", voce_last_error());
        for (int k = 0; k < 3 && tik && tik_sp && !vt_failed(); k++) {
            /* b as loaded; b_sp with Whisper's specials added (tokenizer.json has them:
             * adding them again must change nothing) */
            vc_bpe *b = load_ref_file(vocab_names[v], kinds[k]);
            vc_bpe *b_sp = b ? load_ref_file(vocab_names[v], kinds[k]) : NULL;
            if (b_sp && vc_whisper_add_specials(b_sp, 99, &t) != VOCE_OK)
                vt_fail(__FILE__, __LINE__, "%s: %s", kinds[k], voce_last_error());
            vc_bpe *c = b ? through_blob(b) : NULL, *c_sp = b_sp ? through_blob(b_sp) : NULL;
            if (b && b_sp && c && c_sp) {
                /* vocab.json lists <|endoftext|> as an ordinary token, until it is special */
                int plain_same = k == 1 ? vc_bpe_n_ordinary(b) == vc_bpe_n_ordinary(tik) + 1
                                        : same_blob(k == 2 ? tik_sp : tik, b);
                if (!plain_same || !same_blob(tik_sp, b_sp))
                    vt_fail(__FILE__, __LINE__, "%s from %s: not the same model as from tiktoken",
                            vocab_names[v], kinds[k]);
                else
                    check_cases(c, c_sp, vocab_names[v], kinds[k]);
            } else if (b && !vt_failed()) {
                vt_fail(__FILE__, __LINE__, "%s from %s: %s", vocab_names[v], kinds[k],
                        voce_last_error());
            }
            vc_bpe_free(b);
            vc_bpe_free(b_sp);
            vc_bpe_free(c);
            vc_bpe_free(c_sp);
        }
        vc_bpe_free(tik);
        vc_bpe_free(tik_sp);
    }
}

static int read_ids(const char *s, int32_t *out, int max)
{
    int n = 0;
    for (char *e; n < max; s = e) {
        long v = strtol(s, &e, 10);
        if (e == s) break;
        out[n++] = (int32_t)v;
    }
    return n;
}

static int32_t named_token(const vc_whisper_tokens *t, const char *a)
{
    static const char *const names[] = {"eot", "sot", "translate", "transcribe", "sot_lm",
                                        "sot_prev", "no_speech", "no_timestamps",
                                        "timestamp_begin", "n_vocab"};
    const int32_t ids[] = {t->eot, t->sot, t->translate, t->transcribe, t->sot_lm, t->sot_prev,
                           t->no_speech, t->no_timestamps, t->timestamp_begin, t->n_vocab};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(a, names[i])) return ids[i];
    return -1;
}

/* One line of specials.txt against t and bpe; 0 if it differs. */
static int special_line(vc_bpe *bpe, const vc_whisper_tokens *t, const char *line,
                        const char *vocab)
{
    char a[64], text[64];
    int id, lang, n_want;
    int32_t want[256];
    if (sscanf(line, "token %63s %d", a, &id) == 2) {
        int32_t got = named_token(t, a);
        if (got == id && (strcmp(a, "n_vocab") || vc_bpe_n_vocab(bpe) == id)) return 1;
        printf("    %s: %s is %d, want %d\n", vocab, a, got, id);
        return 0;
    }
    if (sscanf(line, "special %d %63s", &id, a) == 2) {
        int32_t back = -1;
        if (!vc_whisper_special_text(t, id, text, sizeof text) && !strcmp(text, a)
            && !vc_bpe_special_id(bpe, a, strlen(a), &back) && back == id)
            return 1;
        printf("    %s: special %d is '%s' (id %d), want '%s'\n", vocab, id, text, back, a);
        return 0;
    }
    if (sscanf(line, "sot %d %63s", &lang, a) == 2) {
        n_want = read_ids(strstr(line, a) + strlen(a), want, 256);
        vc_whisper_task task = !strcmp(a, "none") ? VC_WHISPER_TASK_NONE
                             : !strcmp(a, "transcribe") ? VC_WHISPER_TRANSCRIBE
                                                         : VC_WHISPER_TRANSLATE;
        int32_t seq[3];
        size_t n;
        return !vc_whisper_sot_sequence(t, lang, task, seq, &n)
               && ids_equal(seq, n, want, (size_t)n_want);
    }
    if (!strncmp(line, "nonspeech", 9)) {
        n_want = read_ids(line + 9, want, 256);
        int32_t *ids;
        size_t n;
        if (vc_whisper_non_speech_tokens(bpe, &ids, &n) != VOCE_OK) return 0;
        int ok = ids_equal(ids, n, want, (size_t)n_want);
        if (!ok) printf("    %s: non_speech_tokens: %zu ids, want %d\n", vocab, n, n_want);
        free(ids);
        return ok;
    }
    printf("    %s: unknown line '%s'\n", vocab, line);
    return 0;
}

/* The section "languages n_lang" of specials.txt; returns the lines checked, -1 on a
 * failure. */
static long check_specials(vc_bpe *bpe, FILE *f, int n_lang, const char *vocab)
{
    vc_whisper_tokens t;
    if (vc_whisper_add_specials(bpe, n_lang, &t) != VOCE_OK) {
        vt_fail(__FILE__, __LINE__, "%s: %s", vocab, voce_last_error());
        return -1;
    }
    char line[8192];
    long checked = 0, bad = 0;
    int in = 0, lang;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (sscanf(line, "languages %d", &lang) == 1) {
            in = lang == n_lang;
            continue;
        }
        if (!in) continue;
        checked++;
        if (!special_line(bpe, &t, line, vocab)) bad++;
    }
    if (bad || checked < 1600) {
        vt_fail(__FILE__, __LINE__, "%s, %d languages: %ld of %ld lines differ", vocab, n_lang,
                bad, checked);
        return -1;
    }
    return checked;
}

static void test_whisper_specials(void)
{
    for (int v = 0; v < 2; v++) {
        FILE *f = open_ref(vocab_names[v], "specials.txt");
        if (!f) return;
        for (int n_lang = 99; n_lang <= 100; n_lang++) {
            vc_bpe *bpe = load_shared(vocab_names[v]);
            long n = bpe ? check_specials(bpe, f, n_lang, vocab_names[v]) : -1;
            vc_bpe_free(bpe);
            if (n < 0) break;
        }
        fclose(f);
        if (vt_failed()) return;
    }
}

static void test_languages(void)
{
    int i;
    CHECK_OK(vc_whisper_language_find("en", &i));
    CHECK(i == 0);
    CHECK_OK(vc_whisper_language_find("English", &i));
    CHECK(i == 0);
    CHECK_OK(vc_whisper_language_find("YUE", &i));
    CHECK(i == 99 && !strcmp(vc_whisper_language_name(i), "cantonese"));
    CHECK_OK(vc_whisper_language_find("Castilian", &i));
    CHECK(i == 3 && !strcmp(vc_whisper_language_code(i), "es"));
    CHECK_OK(vc_whisper_language_find("mandarin", &i));
    CHECK(i == 1);
    CHECK_OK(vc_whisper_language_find("haitian creole", &i));
    CHECK(!strcmp(vc_whisper_language_code(i), "ht"));
    CHECK_ERR(vc_whisper_language_find("klingon", &i), VOCE_ERR_NOT_FOUND);
    CHECK(strstr(voce_last_error(), "klingon"));
    CHECK(!vc_whisper_language_code(100) && !vc_whisper_language_code(-1));
    for (int k = 0; k < VC_WHISPER_MAX_LANGUAGES; k++) {
        CHECK_OK(vc_whisper_language_find(vc_whisper_language_code(k), &i));
        CHECK(i == k);
        CHECK_OK(vc_whisper_language_find(vc_whisper_language_name(k), &i));
        CHECK(i == k);
    }
    vc_whisper_tokens t;
    CHECK_OK(vc_whisper_tokens_init(50257, 99, &t));
    int32_t id, seq[3];
    size_t n;
    CHECK_ERR(vc_whisper_language_token(&t, 99, &id), VOCE_ERR_NOT_FOUND);
    CHECK(strstr(voce_last_error(), "yue"));
    CHECK_ERR(vc_whisper_sot_sequence(&t, 99, VC_WHISPER_TRANSCRIBE, seq, &n), VOCE_ERR_NOT_FOUND);
    CHECK_ERR(vc_whisper_tokens_init(50257, 101, &t), VOCE_ERR_INVALID_ARG);
    CHECK(vc_whisper_n_languages(51865) == 99 && vc_whisper_n_languages(51866) == 100
          && vc_whisper_n_languages(51864) == 99);
}

/* Random valid UTF-8 across the planes and random bytes round trip; the real vocabulary. */
static void test_random_roundtrip(void)
{
    vc_bpe *bpe = load_shared("multilingual");
    if (!bpe) return;
    vc_whisper_tokens t;
    CHECK_OK(vc_whisper_add_specials(bpe, 100, &t));
    uint64_t seed = 2024;
    static const uint32_t starts[] = {0x20, 0x80, 0x370, 0x600, 0x900, 0x3040, 0x4E00, 0xAC00,
                                      0xE000, 0x1F300, 0x20000, 0x10FF00, 0x0};
    int cases = vt_quick() ? 200 : 2000;
    char text[800];
    for (int k = 0; k < cases; k++) {
        size_t len = 0, want = 1 + rng_next(&seed) % 150;
        int bytes = k % 4 == 3;
        while (len + 4 < sizeof text && want--) {
            if (bytes) {
                text[len++] = (char)rng_next(&seed);
                continue;
            }
            uint32_t cp = starts[rng_next(&seed) % 13] + (uint32_t)(rng_next(&seed) % 256);
            if (rng_next(&seed) % 3 == 0) cp = " '\n\t0a."[rng_next(&seed) % 7];
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
            uint8_t *u = (uint8_t *)text + len;
            if (cp < 0x80) u[0] = (uint8_t)cp, len += 1;
            else if (cp < 0x800) u[0] = (uint8_t)(0xC0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 63)), len += 2;
            else if (cp < 0x10000)
                u[0] = (uint8_t)(0xE0 | cp >> 12), u[1] = (uint8_t)(0x80 | ((cp >> 6) & 63)),
                u[2] = (uint8_t)(0x80 | (cp & 63)), len += 3;
            else
                u[0] = (uint8_t)(0xF0 | cp >> 18), u[1] = (uint8_t)(0x80 | ((cp >> 12) & 63)),
                u[2] = (uint8_t)(0x80 | ((cp >> 6) & 63)), u[3] = (uint8_t)(0x80 | (cp & 63)), len += 4;
        }
        CHECK_MSG(round_trips(bpe, text, len, 0), "random %s case %d", bytes ? "bytes" : "UTF-8", k);
    }
    /* special text round trips both ways */
    const char *s = "<|startoftranscript|><|en|> hi<|0.00|> x <|endoftext|>";
    CHECK(round_trips(bpe, s, strlen(s), 0) && round_trips(bpe, s, strlen(s), VC_BPE_SPECIAL));
    vc_bpe_free(bpe);
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Encode throughput on the transcripts (printed, never asserted; CPU time, so that a
 * busy machine does not skew it), a 1 MB piece, and the load times. */
static void test_speed(void)
{
    vc_bpe *bpe = load_shared("multilingual");
    if (!bpe) return;
    FILE *f = open_ref("multilingual", "cases.txt");
    if (!f) {
        vc_bpe_free(bpe);
        return;
    }
    buf corpus = {0};
    char *line = NULL, *text = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char name[256];
        int off = 0;
        if (sscanf(line, "P %255s %n", name, &off) != 1 || strncmp(name, "transcript:", 11)) continue;
        char *hex = line + off;
        hex[strcspn(hex, " \n")] = 0;
        text = realloc(text, strlen(hex) / 2 + 1);
        buf_put(&corpus, text, unhex(hex, text));
    }
    fclose(f);
    free(line);
    free(text);
    size_t target = vt_quick() ? 100000 : 1000000, once = corpus.n;
    char *copy = malloc(once);
    memcpy(copy, corpus.p, once);
    while (corpus.n < target) buf_put(&corpus, copy, once);
    free(copy);
    int32_t *ids;
    size_t n;
    double t0 = cpu_seconds();
    CHECK_OK(vc_bpe_encode(bpe, corpus.p, corpus.n, 0, &ids, &n));
    double s = cpu_seconds() - t0;
    printf("    encode: %.1f MB of the transcripts, repeated, in %.3f s = %.1f MB/s (%zu ids)\n",
           (double)corpus.n / 1e6, s, (double)corpus.n / 1e6 / s, n);
    free(ids);
    CHECK(round_trips(bpe, corpus.p, corpus.n, 0));

    /* one piece of 1 MB (letters, no spaces): the heap keeps it O(n log n) */
    size_t big = vt_quick() ? 50000 : 1000000;
    char *p = malloc(big);
    uint64_t seed = 5;
    for (size_t i = 0; i < big; i++) p[i] = (char)('a' + rng_next(&seed) % 26);
    t0 = cpu_seconds();
    int ok = round_trips(bpe, p, big, 0);
    s = cpu_seconds() - t0;
    printf("    one piece of %zu letters: encode + decode in %.3f s\n", big, s);
    free(p);
    free(corpus.p);

    /* and the load time of the 50k-token file */
    const char *path = vt_data("models/whisper-assets/multilingual.tiktoken");
    vc_mapfile m;
    if (path && vc_mapfile_open(path, &m) == VOCE_OK) {
        vc_bpe *b2;
        void *blob;
        size_t bn;
        t0 = cpu_seconds();
        voce_status st = vc_bpe_load_tiktoken(m.data, m.size, &b2);
        double load = cpu_seconds() - t0;
        if (!st && !vc_bpe_save_blob(b2, &blob, &bn)) {
            vc_bpe *b3;
            t0 = cpu_seconds();
            st = vc_bpe_load_blob(blob, bn, &b3);
            double lb = cpu_seconds() - t0;
            printf("    load: tiktoken file (%zu bytes) %.1f ms, blob (%zu bytes) %.1f ms\n",
                   m.size, load * 1e3, bn, lb * 1e3);
            if (!st) vc_bpe_free(b3);
            free(blob);
        }
        if (!st) vc_bpe_free(b2);
        vc_mapfile_close(&m);
    }
    vc_bpe_free(bpe);
    CHECK(ok);
}

int main(void)
{
    vt_run("pretokenize", test_pretokenize);
    vt_run("merge_rule", test_merge_rule);
    vt_run("heap_vs_naive", test_heap_vs_naive);
    vt_run("blob_roundtrip", test_blob_roundtrip);
    vt_run("tiktoken_refusals", test_tiktoken_refusals);
    vt_run("special_tokens", test_special_tokens);
    vt_run("hf_refusals", test_hf_refusals);
    vt_run("random_roundtrip_small", test_random_roundtrip_small);
    vt_run("languages", test_languages);
    vt_run("unicode_classes", test_unicode_classes);
    vt_run("reference_ids", test_reference_ids);
    vt_run("loaders_agree", test_loaders_agree);
    vt_run("whisper_specials", test_whisper_specials);
    vt_run("random_roundtrip", test_random_roundtrip);
    vt_run("speed", test_speed);
    return vt_finish();
}
