/* Whisper word timestamps (src/models/whisper/timing*.c) against the numpy rendition of
 * openai-whisper's timing.py in tests/ref/whisper_timing_ref.py: the alignment matrix
 * (to the bit where the reference fixes the order of every sum), the DTW path on the
 * reference's matrix (exactly), find_alignment's words and add_word_timestamps' words
 * and segments (texts and token ranges exactly, times and probabilities within 1e-6),
 * word splitting of real and random token sequences, Python's round(x, 2). Then
 * hand-made checks: DTW paths and tie rules, the median filter against a brute force at
 * the edges, punctuation merging quirks, empty text, one frame, and refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/npy.h"
#include "harness.h"
#include "models/whisper/timing.h"

#define TOL 1e-6

/* ---- the case directory and its vocabulary ---- */

static const char *case_dir(void) { return vt_build_path(NULL, "whisper-timing-cases"); }

static FILE *open_case_file(const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", case_dir(), name);
    return fopen(path, "r");
}

/* hex to bytes; "-" is empty. Returns the length or -1. */
static long unhex(const char *h, char *out, size_t cap)
{
    if (strcmp(h, "-") == 0) return 0;
    size_t n = strlen(h);
    if (n % 2 || n / 2 > cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (char)v;
    }
    return (long)(n / 2);
}

typedef struct {
    char **bytes;
    size_t *len;
    int n;
} vocab;

static vocab g_vocab;

static const char *vocab_bytes(void *ctx, int32_t tok, size_t *len)
{
    const vocab *v = ctx;
    if (tok < 0 || tok >= v->n || !v->bytes[tok]) return NULL;
    *len = v->len[tok];
    return v->bytes[tok];
}

static int load_vocab(void)
{
    if (g_vocab.n) return 1;
    FILE *f = open_case_file("vocab.txt");
    if (!f) return 0;
    int cap = 60000;
    g_vocab.bytes = calloc((size_t)cap, sizeof *g_vocab.bytes);
    g_vocab.len = calloc((size_t)cap, sizeof *g_vocab.len);
    char hex[4096], buf[2048];
    int id;
    while (fscanf(f, "%d %4095s", &id, hex) == 2) {
        long n = unhex(hex, buf, sizeof buf);
        if (id < 0 || id >= cap || n < 0) continue;
        g_vocab.bytes[id] = malloc((size_t)n + 1);
        memcpy(g_vocab.bytes[id], buf, (size_t)n);
        g_vocab.len[id] = (size_t)n;
    }
    fclose(f);
    g_vocab.n = cap;
    return 1;
}

static void free_vocab(void)
{
    for (int i = 0; i < g_vocab.n; i++) free(g_vocab.bytes[i]);
    free(g_vocab.bytes);
    free(g_vocab.len);
    memset(&g_vocab, 0, sizeof g_vocab);
}

static voce_status load_npy(const char *name, const char *suffix, voce_dtype dt, vc_tensor *t)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.%s.npy", case_dir(), name, suffix);
    voce_status st = vc_npy_read(path, t);
    if (!st && t->dtype != dt) {
        free(t->data);
        t->data = NULL;
        return VOCE_ERR_DTYPE;
    }
    return st;
}

/* ---- expected words ---- */

typedef struct {
    char text[512];
    long len;
    int tb, te;
    double start, end, prob;
} want_word;

typedef struct {
    want_word *w;
    int n;
} want_words;

/* Reads "TAG N" then N lines "w HEX TB TE [START END PROB]". */
static int read_words(FILE *f, const char *tag, int with_times, want_words *out)
{
    char t[32];
    if (fscanf(f, "%31s %d", t, &out->n) != 2 || strcmp(t, tag) != 0 || out->n < 0) return 0;
    out->w = calloc((size_t)out->n + 1, sizeof *out->w);
    for (int i = 0; i < out->n; i++) {
        want_word *w = &out->w[i];
        char hex[1100];
        if (fscanf(f, "%31s %1099s %d %d", t, hex, &w->tb, &w->te) != 4 || strcmp(t, "w")) return 0;
        if ((w->len = unhex(hex, w->text, sizeof w->text)) < 0) return 0;
        if (with_times && fscanf(f, "%lf %lf %lf", &w->start, &w->end, &w->prob) != 3) return 0;
    }
    return 1;
}

/* Compares words; prints the first difference. with_times: times and probabilities. */
static int same_words(const char *name, const char *what, const vc_whisper_word *got, int n,
                      const want_words *want, int with_times)
{
    if (n != want->n) {
        printf("  %s %s: %d words, expected %d\n", name, what, n, want->n);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const vc_whisper_word *g = &got[i];
        const want_word *w = &want->w[i];
        int text_ok = (long)g->len == w->len && memcmp(g->text, w->text, g->len) == 0;
        int tok_ok = (w->len == 0 && w->tb == w->te) || (g->token_begin == w->tb && g->token_end == w->te);
        int time_ok = !with_times || (fabs(g->start - w->start) <= TOL && fabs(g->end - w->end) <= TOL &&
                                      fabs(g->probability - w->prob) <= TOL);
        if (!text_ok || !tok_ok || !time_ok) {
            printf("  %s %s word %d: '%.*s' [%d,%d) %.9g-%.9g p %.9g; expected '%.*s' [%d,%d) "
                   "%.9g-%.9g p %.9g\n",
                   name, what, i, (int)g->len, g->text, g->token_begin, g->token_end, g->start,
                   g->end, g->probability, (int)w->len, w->text, w->tb, w->te, w->start, w->end,
                   w->prob);
            return 0;
        }
    }
    return 1;
}

/* ---- one generated case ---- */

typedef struct {
    char name[64], kind[16], mode[16];
    int n_sot, num_frames, n_segs;
    long long seek;
    double last_speech;
    vc_whisper_segment segs[8], want_segs[8];
    want_words align, out;
} gen_case;

typedef struct {
    int cases, bit_equal, words;
    double max_matrix_diff;
} totals;

static int check_matrix(const gen_case *c, const vc_whisper_attention *a, const vc_tensor *want,
                        const vc_tensor *path, totals *tot)
{
    vc_whisper_timing_params p = vc_whisper_timing_defaults();
    int rows = (int)want->dims[0], k = (int)want->dims[1];
    size_t cells = (size_t)rows * k;
    float *got = malloc(cells * sizeof *got), *neg = malloc(cells * sizeof *neg);
    int32_t *pr = malloc(2 * ((size_t)rows + k) * sizeof *pr);
    int ok = got && neg && pr, len = 0;
    if (ok && vc_whisper_alignment_matrix(&p, a, c->n_sot, c->num_frames, got)) {
        printf("  %s: alignment matrix: %s\n", c->name, voce_last_error());
        ok = 0;
    }
    const float *ref = want->data;
    double diff = 0;
    int equal = 1;
    for (size_t i = 0; ok && i < cells; i++) {
        diff = fmax(diff, fabs((double)got[i] - ref[i]));
        equal &= got[i] == ref[i];
        neg[i] = -ref[i];
    }
    if (ok && diff > 1e-5) {
        printf("  %s: matrix differs by %g\n", c->name, diff);
        ok = 0;
    }
    tot->max_matrix_diff = fmax(tot->max_matrix_diff, diff);
    tot->bit_equal += ok && equal;
    /* the path on the reference's own matrix: the same costs, so exactly the same path */
    if (ok && vc_whisper_dtw(neg, rows, k, pr, pr + rows + k, &len)) {
        printf("  %s: dtw: %s\n", c->name, voce_last_error());
        ok = 0;
    }
    const int32_t *wp = path->data;
    int steps = (int)path->dims[1];
    if (ok && len != steps) {
        printf("  %s: path of %d steps, expected %d\n", c->name, len, steps);
        ok = 0;
    }
    for (int i = 0; ok && i < len; i++)
        if (pr[i] != wp[i] || pr[rows + k + i] != wp[steps + i]) {
            printf("  %s: path step %d at (%d, %d), expected (%d, %d)\n", c->name, i, pr[i],
                   pr[rows + k + i], wp[i], wp[steps + i]);
            ok = 0;
        }
    free(got);
    free(neg);
    free(pr);
    return ok;
}

static int check_words(gen_case *c, const vc_whisper_attention *a, totals *tot)
{
    vc_tensor tokens = {0}, probs = {0};
    int ok = 1;
    if (load_npy(c->name, "tokens", VOCE_DTYPE_I32, &tokens) ||
        load_npy(c->name, "probs", VOCE_DTYPE_F32, &probs)) {
        printf("  %s: tokens or probabilities: %s\n", c->name, voce_last_error());
        free(tokens.data);
        return 0;
    }
    vc_whisper_timing_params p = vc_whisper_timing_defaults();
    vc_whisper_text t = {tokens.data, probs.data, (int)tokens.dims[0], 50257,
                         strcmp(c->mode, "unicode") == 0 ? VC_WHISPER_SPLIT_UNICODE
                                                         : VC_WHISPER_SPLIT_SPACES,
                         vocab_bytes, &g_vocab};
    vc_whisper_words w;
    if (vc_whisper_find_alignment(&p, a, c->n_sot, c->num_frames, &t, &w)) {
        printf("  %s: find_alignment: %s\n", c->name, voce_last_error());
        ok = 0;
    } else {
        ok = same_words(c->name, "find_alignment", w.w, w.n, &c->align, 1);
        vc_whisper_words_free(&w);
    }
    if (ok && vc_whisper_add_word_timestamps(&p, a, c->n_sot, c->num_frames, c->seek, &t, c->segs,
                                             c->n_segs, c->last_speech, &w)) {
        printf("  %s: add_word_timestamps: %s\n", c->name, voce_last_error());
        ok = 0;
    } else if (ok) {
        ok = same_words(c->name, "add_word_timestamps", w.w, w.n, &c->out, 1);
        tot->words += w.n;
        for (int s = 0; ok && s < c->n_segs; s++) {
            const vc_whisper_segment *g = &c->segs[s], *e = &c->want_segs[s];
            if (fabs(g->start - e->start) > TOL || fabs(g->end - e->end) > TOL ||
                g->word_begin != e->word_begin || g->word_end != e->word_end) {
                printf("  %s: segment %d %.9g-%.9g words [%d,%d), expected %.9g-%.9g [%d,%d)\n",
                       c->name, s, g->start, g->end, g->word_begin, g->word_end, e->start, e->end,
                       e->word_begin, e->word_end);
                ok = 0;
            }
        }
        vc_whisper_words_free(&w);
    }
    free(tokens.data);
    free(probs.data);
    return ok;
}

static int run_case(gen_case *c, totals *tot)
{
    vc_tensor attn = {0}, matrix = {0}, path = {0};
    int ok = 0;
    if (load_npy(c->name, "attn", VOCE_DTYPE_F32, &attn) ||
        load_npy(c->name, "matrix", VOCE_DTYPE_F32, &matrix) ||
        load_npy(c->name, "path", VOCE_DTYPE_I32, &path)) {
        printf("  %s: %s\n", c->name, voce_last_error());
        goto done;
    }
    if (vt_quick() && vc_numel(&attn) > 1000000) { ok = 1; goto done; } /* qemu: big ones out */
    vc_whisper_attention a = {attn.data, (int)attn.dims[0], (int)attn.dims[1], (int)attn.dims[2],
                              strcmp(c->kind, "logits") == 0 ? VC_WHISPER_ATTN_LOGITS
                                                             : VC_WHISPER_ATTN_PROBS};
    ok = check_matrix(c, &a, &matrix, &path, tot);
    if (ok && strcmp(c->mode, "none") != 0) ok = check_words(c, &a, tot);
    tot->cases++;
done:
    free(attn.data);
    free(matrix.data);
    free(path.data);
    return ok;
}

/* Reads the rest of a "case" record. */
static int read_case(FILE *f, gen_case *c)
{
    if (fscanf(f, "%63s %15s %d %d %lld %15s %lf %d", c->name, c->kind, &c->n_sot, &c->num_frames,
               &c->seek, c->mode, &c->last_speech, &c->n_segs) != 8 ||
        c->n_segs < 0 || c->n_segs > 8)
        return 0;
    char t[32];
    for (int s = 0; s < c->n_segs; s++) {
        vc_whisper_segment *g = &c->segs[s];
        if (fscanf(f, "%31s %lf %lf %d", t, &g->start, &g->end, &g->n_tokens) != 4 || strcmp(t, "seg"))
            return 0;
    }
    if (!read_words(f, "align", 1, &c->align) || !read_words(f, "out", 1, &c->out)) return 0;
    for (int s = 0; s < c->n_segs; s++) {
        vc_whisper_segment *g = &c->want_segs[s];
        if (fscanf(f, "%31s %lf %lf %d %d", t, &g->start, &g->end, &g->word_begin, &g->word_end) != 5 ||
            strcmp(t, "segout"))
            return 0;
    }
    return fscanf(f, "%31s", t) == 1 && strcmp(t, "end") == 0;
}

static int run_split(FILE *f, int *n_ok)
{
    char name[64], mode[16];
    int eot, n;
    if (fscanf(f, "%63s %15s %d %d", name, mode, &eot, &n) != 4 || n < 0 || n > 10000) return 0;
    int32_t *tok = malloc(((size_t)n + 1) * sizeof *tok);
    for (int i = 0; i < n; i++)
        if (fscanf(f, "%d", &tok[i]) != 1) { free(tok); return 0; }
    want_words want = {0};
    int ok = read_words(f, "words", 0, &want);
    vc_whisper_words got;
    if (ok && vc_whisper_split_words(tok, n, eot, strcmp(mode, "unicode") == 0
                                                     ? VC_WHISPER_SPLIT_UNICODE
                                                     : VC_WHISPER_SPLIT_SPACES,
                                     vocab_bytes, &g_vocab, &got)) {
        printf("  %s: %s\n", name, voce_last_error());
        ok = 0;
    } else if (ok) {
        ok = same_words(name, "split", got.w, got.n, &want, 0);
        vc_whisper_words_free(&got);
    }
    *n_ok += ok;
    free(want.w);
    free(tok);
    return ok;
}

static void test_reference_cases(void)
{
    FILE *f = open_case_file("cases.txt");
    if (!f) VT_SKIP("needs %s/cases.txt (written by tests/ref/whisper_timing_ref.py)", case_dir());
    FILE *missing = open_case_file("missing.txt");
    if (missing) {
        char m[1024] = "";
        if (!fgets(m, sizeof m, missing)) m[0] = 0;
        fclose(missing);
        printf("  cases with text were not written: missing %s", m);
    } else if (!load_vocab()) {
        fclose(f);
        CHECK_MSG(0, "vocab.txt is missing beside cases.txt");
    }
    totals tot = {0};
    int failed = 0, splits = 0, split_ok = 0, rounds = 0, round_bad = 0;
    char tag[32];
    while (fscanf(f, "%31s", tag) == 1) {
        if (strcmp(tag, "case") == 0) {
            gen_case c;
            memset(&c, 0, sizeof c);
            int ok = read_case(f, &c);
            if (!ok) printf("  malformed case record after '%s'\n", c.name);
            failed += !ok || !run_case(&c, &tot);
            free(c.align.w);
            free(c.out.w);
            if (!ok) break;
        } else if (strcmp(tag, "split") == 0) {
            splits++;
            if (!run_split(f, &split_ok)) failed++;
        } else if (strcmp(tag, "round") == 0) {
            double x, want;
            if (fscanf(f, "%lf %lf", &x, &want) != 2) { failed++; break; }
            rounds++;
            double got = vc_whisper_round2(x);
            if (memcmp(&got, &want, sizeof got) != 0) {
                printf("  round(%.17g, 2) = %.17g, Python gives %.17g\n", x, got, want);
                round_bad++;
            }
        } else {
            printf("  unknown record '%s'\n", tag);
            failed++;
            break;
        }
    }
    fclose(f);
    printf("  %d cases (%d matrices bit-equal to the reference, max diff %.3g), %d words; %d "
           "splits; %d roundings\n",
           tot.cases, tot.bit_equal, tot.max_matrix_diff, tot.words, splits, rounds);
    CHECK_MSG(failed == 0 && round_bad == 0, "%d cases and %d roundings differ", failed, round_bad);
    CHECK(tot.cases > 0);
}

/* ---- hand-made checks ---- */

static void test_dtw_small(void)
{
    int32_t r[16], c[16];
    int len;
    /* a cheap diagonal: the path follows it */
    const float diag[9] = {0, 5, 5, 5, 0, 5, 5, 5, 0};
    CHECK_OK(vc_whisper_dtw(diag, 3, 3, r, c, &len));
    CHECK(len == 3 && r[0] == 0 && c[0] == 0 && r[1] == 1 && c[1] == 1 && r[2] == 2 && c[2] == 2);
    /* 2 x 4, cheap along row 0 then down at the end */
    const float x2[8] = {0, 0, 0, 9, 9, 9, 9, 0};
    CHECK_OK(vc_whisper_dtw(x2, 2, 4, r, c, &len));
    const int32_t wr[] = {0, 0, 0, 1}, wc[] = {0, 1, 2, 3};
    CHECK(len == 4);
    for (int i = 0; i < 4; i++) CHECK(r[i] == wr[i] && c[i] == wc[i]);
    /* all equal: ties take the column step first (trace 2), so from (n, m) the path walks
     * back along the last row until column 1, then up column 1 */
    const float zero[12] = {0};
    CHECK_OK(vc_whisper_dtw(zero, 3, 4, r, c, &len));
    const int32_t zr[] = {0, 1, 2, 2, 2, 2}, zc[] = {0, 0, 0, 1, 2, 3};
    CHECK(len == 6);
    for (int i = 0; i < len; i++) CHECK_MSG(r[i] == zr[i] && c[i] == zc[i], "step %d: (%d,%d)", i, r[i], c[i]);
    /* one cell, one row, one column */
    const float one = 3.0f;
    CHECK_OK(vc_whisper_dtw(&one, 1, 1, r, c, &len));
    CHECK(len == 1 && r[0] == 0 && c[0] == 0);
    const float row[5] = {1, 2, 3, 4, 5};
    CHECK_OK(vc_whisper_dtw(row, 1, 5, r, c, &len));
    CHECK(len == 5 && r[4] == 0 && c[4] == 4);
    CHECK_OK(vc_whisper_dtw(row, 5, 1, r, c, &len));
    CHECK(len == 5 && r[4] == 4 && c[4] == 0);
}

static void test_dtw_refusals(void)
{
    int32_t r[8], c[8];
    int len = 7;
    float x[4] = {0, 1, NAN, 0};
    CHECK_ERR(vc_whisper_dtw(x, 2, 2, r, c, &len), VOCE_ERR_INVALID_ARG);
    CHECK(len == 0 && strstr(voce_last_error(), "row 1, column 0"));
    x[2] = INFINITY;
    CHECK_ERR(vc_whisper_dtw(x, 2, 2, r, c, &len), VOCE_ERR_INVALID_ARG);
    x[2] = 1e37f;
    CHECK_ERR(vc_whisper_dtw(x, 2, 2, r, c, &len), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(vc_whisper_dtw(x, 0, 2, r, c, &len), VOCE_ERR_SHAPE);
    CHECK_ERR(vc_whisper_dtw(x, 2, 0, r, c, &len), VOCE_ERR_SHAPE);
    CHECK_ERR(vc_whisper_dtw(NULL, 2, 2, r, c, &len), VOCE_ERR_INVALID_ARG);
}

/* Median of a reflect-padded window, the slow way. */
static float brute_median(const float *x, int n, int width, int i)
{
    float v[64];
    int half = width / 2;
    for (int k = 0; k < width; k++) {
        int j = i - half + k;
        while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
        v[k] = x[j];
    }
    for (int a = 1; a < width; a++)
        for (int b = a; b > 0 && v[b] < v[b - 1]; b--) {
            float t = v[b]; v[b] = v[b - 1]; v[b - 1] = t;
        }
    return v[half];
}

static void test_median_filter(void)
{
    unsigned s = 12345;
    float x[40], y[40];
    for (int n = 0; n <= 40; n++)
        for (int width = 1; width <= 9; width += 2) {
            for (int i = 0; i < n; i++) {
                s = s * 1103515245u + 12345u;
                x[i] = (float)((s >> 16) % 7) - 3.0f; /* repeats: ties in the windows */
            }
            CHECK_OK(vc_whisper_median_filter(x, n, width, y));
            for (int i = 0; i < n; i++) {
                float want = n <= width / 2 ? x[i] : brute_median(x, n, width, i);
                CHECK_MSG(y[i] == want, "n %d width %d at %d: %g, expected %g", n, width, i, y[i], want);
            }
        }
    /* NaN sorts after every number, as in torch.sort */
    const float nanx[5] = {NAN, 1, 2, NAN, 3};
    CHECK_OK(vc_whisper_median_filter(nanx, 5, 3, y));
    CHECK(y[0] == 1 && y[1] == 2 && y[2] == 2 && y[3] == 3 && isnan(y[4]));
    CHECK_ERR(vc_whisper_median_filter(x, 10, 4, y), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(vc_whisper_median_filter(x, 10, 0, y), VOCE_ERR_INVALID_ARG);
}

/* ---- a small hand-made vocabulary ---- */

static const char *const small_vocab[] = {
    " Hello", ",", " world", "!", " (", "hi", ")", " \"", "quoted", "\"", ".", " ", "end",
    "\xe4\xbd", "\xa0", "\xe5\xa5\xbd", "\xff\xe4", "\xbd\xa0", "<|endoftext|>",
};
#define SMALL_EOT 18

static const char *small_bytes(void *ctx, int32_t tok, size_t *len)
{
    (void)ctx;
    if (tok < 0 || tok > SMALL_EOT) return NULL;
    *len = strlen(small_vocab[tok]);
    return small_vocab[tok];
}

static int word_is(const vc_whisper_word *w, const char *text, int tb, int te)
{
    return w->len == strlen(text) && memcmp(w->text, text, w->len) == 0 && w->token_begin == tb &&
           w->token_end == te;
}

static void test_split_and_merge(void)
{
    /* ' Hello' ',' ' (' ' world' ')' '!' ' "' 'quoted' '"' '.' */
    const int32_t t[] = {0, 1, 4, 2, 6, 3, 7, 8, 9, 10, SMALL_EOT};
    vc_whisper_words w;
    CHECK_OK(vc_whisper_split_words(t, 11, SMALL_EOT, VC_WHISPER_SPLIT_SPACES, small_bytes, NULL, &w));
    /* punctuation and specials are words of their own; 'quoted' joins ' "' */
    CHECK(w.n == 10 && word_is(&w.w[2], " (", 2, 3) && word_is(&w.w[6], " \"quoted", 6, 8));
    CHECK(word_is(&w.w[9], "<|endoftext|>", 10, 11));
    CHECK_OK(vc_whisper_merge_punctuations(&w, NULL, NULL));
    CHECK(word_is(&w.w[0], " Hello,", 0, 2) && w.w[1].len == 0 && w.w[2].len == 0);
    CHECK(word_is(&w.w[3], " ( world)!", 2, 6) && w.w[4].len == 0 && w.w[5].len == 0);
    CHECK(word_is(&w.w[6], " \"quoted\".", 6, 10) && w.w[7].len == 0 && w.w[8].len == 0);
    CHECK(w.w[1].token_begin == w.w[1].token_end);
    vc_whisper_words_free(&w);

    /* ' ' is a word whose strip() is "", which Python finds "in" any set: it is
     * prepended like punctuation */
    const int32_t q[] = {11, 4, 1, 12, SMALL_EOT};
    CHECK_OK(vc_whisper_split_words(q, 5, SMALL_EOT, VC_WHISPER_SPLIT_SPACES, small_bytes, NULL, &w));
    CHECK(w.n == 4 && word_is(&w.w[0], " ", 0, 1) && word_is(&w.w[2], ",end", 2, 4));
    CHECK_OK(vc_whisper_merge_punctuations(&w, NULL, NULL));
    CHECK(w.w[0].len == 0 && w.w[1].len == 0 && word_is(&w.w[2], "  (,end", 0, 4));
    vc_whisper_words_free(&w);

    /* unicode: 你 split over two tokens closes only when complete; 好 at once */
    const int32_t u[] = {13, 14, 15, SMALL_EOT};
    CHECK_OK(vc_whisper_split_words(u, 4, SMALL_EOT, VC_WHISPER_SPLIT_UNICODE, small_bytes, NULL, &w));
    CHECK(w.n == 3 && word_is(&w.w[0], "\xe4\xbd\xa0", 0, 2) && word_is(&w.w[1], "\xe5\xa5\xbd", 2, 3));
    vc_whisper_words_free(&w);
    /* an invalid byte, then 你 begun in the same token: the group closes on the genuine
     * U+FFFD with a cut character inside; the next group's U+FFFD falls past the whole
     * decoding (Python: IndexError) and stays open, so it belongs to no word */
    const int32_t bad[] = {16, 17};
    CHECK_OK(vc_whisper_split_words(bad, 2, SMALL_EOT, VC_WHISPER_SPLIT_UNICODE, small_bytes, NULL, &w));
    CHECK(w.n == 1 && word_is(&w.w[0], "\xef\xbf\xbd\xef\xbf\xbd", 0, 1));
    vc_whisper_words_free(&w);
    /* empty input; unknown token */
    CHECK_OK(vc_whisper_split_words(NULL, 0, SMALL_EOT, VC_WHISPER_SPLIT_SPACES, small_bytes, NULL, &w));
    CHECK(w.n == 0);
    vc_whisper_words_free(&w);
    const int32_t unk[] = {0, 99};
    CHECK_ERR(vc_whisper_split_words(unk, 2, SMALL_EOT, VC_WHISPER_SPLIT_SPACES, small_bytes, NULL, &w),
              VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "token 99"));
    CHECK(vc_whisper_split_mode_for("ja") == VC_WHISPER_SPLIT_UNICODE &&
          vc_whisper_split_mode_for("yue") == VC_WHISPER_SPLIT_UNICODE &&
          vc_whisper_split_mode_for("en") == VC_WHISPER_SPLIT_SPACES &&
          vc_whisper_split_mode_for("ko") == VC_WHISPER_SPLIT_SPACES);
}

/* A flat attention block: n_sot 1, n_text tokens, k frames, one head. */
static float *flat_attention(int n_text, int n_ctx, vc_whisper_attention *a)
{
    int rows = 1 + 1 + n_text + 1;
    float *d = malloc((size_t)rows * n_ctx * sizeof *d);
    for (int r = 0; r < rows; r++)
        for (int f = 0; f < n_ctx; f++) /* each row peaks at its own frame */
            d[(size_t)r * n_ctx + f] = (f == (r % n_ctx) ? 10.0f : 1.0f) / (float)(n_ctx + 9);
    *a = (vc_whisper_attention){d, 1, rows, n_ctx, VC_WHISPER_ATTN_PROBS};
    return d;
}

static void test_alignment_edges(void)
{
    vc_whisper_timing_params p = vc_whisper_timing_defaults();
    vc_whisper_attention a;
    float *d = flat_attention(3, 8, &a);
    const int32_t tok[3] = {0, 2, 3};
    const float pr[3] = {0.5f, 0.25f, 1.0f};
    vc_whisper_text t = {tok, pr, 3, SMALL_EOT, VC_WHISPER_SPLIT_SPACES, small_bytes, NULL};
    vc_whisper_words w;
    /* a single frame (num_frames 2 or 3): every word starts and ends at 0 */
    CHECK_OK(vc_whisper_find_alignment(&p, &a, 1, 3, &t, &w));
    CHECK(w.n == 3);
    for (int i = 0; i < w.n; i++) CHECK(w.w[i].start == 0 && w.w[i].end == 0);
    CHECK(fabs(w.w[0].probability - 0.5) < 1e-12);
    vc_whisper_words_free(&w);
    /* no frame at all */
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 1, &t, &w), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "num_frames 1"));
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 0, &t, &w), VOCE_ERR_INVALID_ARG);
    /* more frames than the rows hold */
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 40, &t, &w), VOCE_ERR_SHAPE);
    /* rows that do not match the text */
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 2, 16, &t, &w), VOCE_ERR_SHAPE);
    /* empty text: no words, no error, the attention not even looked at */
    vc_whisper_text none = t;
    none.n = 0;
    CHECK_OK(vc_whisper_find_alignment(&p, NULL, 1, 16, &none, &w));
    CHECK(w.n == 0);
    vc_whisper_words_free(&w);
    vc_whisper_segment seg = {1.0, 2.0, 0, 5, 5};
    CHECK_OK(vc_whisper_add_word_timestamps(&p, NULL, 1, 16, 0, &none, &seg, 1, 0.0, &w));
    CHECK(w.n == 0 && seg.start == 1.0 && seg.end == 2.0 && seg.word_begin == 0 && seg.word_end == 0);
    vc_whisper_words_free(&w);
    /* NaN and negative probabilities, NaN scores */
    d[5] = NAN;
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 16, &t, &w), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "head 0, row 0, frame 5"));
    d[5] = -0.1f;
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 16, &t, &w), VOCE_ERR_INVALID_ARG);
    a.kind = VC_WHISPER_ATTN_LOGITS;
    d[5] = NAN;
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 16, &t, &w), VOCE_ERR_INVALID_ARG);
    d[5] = 0.1f;
    CHECK_OK(vc_whisper_find_alignment(&p, &a, 1, 16, &t, &w)); /* scores may be negative */
    vc_whisper_words_free(&w);
    a.kind = VC_WHISPER_ATTN_PROBS;
    for (int f = 0; f < 8; f++) d[8 + f] = 0.0f; /* row 1 attends nowhere */
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 16, &t, &w), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "row 1"));
    free(d);
    d = flat_attention(3, 8, &a);
    /* text tokens must be text; segments must hold the text's tokens */
    const int32_t special[3] = {0, SMALL_EOT, 3};
    vc_whisper_text ts = t;
    ts.tokens = special;
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 16, &ts, &w), VOCE_ERR_INVALID_ARG);
    seg.n_tokens = 2;
    CHECK_ERR(vc_whisper_add_word_timestamps(&p, &a, 1, 16, 0, &t, &seg, 1, 0.0, &w), VOCE_ERR_INVALID_ARG);
    seg.n_tokens = 3;
    CHECK_OK(vc_whisper_add_word_timestamps(&p, &a, 1, 16, 100, &t, &seg, 1, 0.0, &w));
    CHECK(w.n == 2 && word_is(&w.w[0], " Hello", 0, 1) && word_is(&w.w[1], " world!", 1, 3));
    CHECK(seg.word_begin == 0 && seg.word_end == 2 && w.w[0].start <= w.w[0].end);
    vc_whisper_words_free(&w);
    /* bad settings */
    p.medfilt_width = 4;
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 16, &t, &w), VOCE_ERR_INVALID_ARG);
    p = vc_whisper_timing_defaults();
    p.n_frames = 3001;
    CHECK_ERR(vc_whisper_find_alignment(&p, &a, 1, 16, &t, &w), VOCE_ERR_INVALID_ARG);
    free(d);
}

static void test_standardise_flat(void)
{
    /* every row the same: std 0 at every frame, an all-zero matrix (torch: NaN) */
    vc_whisper_timing_params p = vc_whisper_timing_defaults();
    float d[2 * 5 * 10];
    for (int i = 0; i < 100; i++) d[i] = 0.1f;
    vc_whisper_attention a = {d, 2, 5, 10, VC_WHISPER_ATTN_PROBS};
    float m[3 * 10];
    CHECK_OK(vc_whisper_alignment_matrix(&p, &a, 1, 20, m));
    for (int i = 0; i < 30; i++) CHECK(m[i] == 0.0f);
    CHECK(vc_whisper_frames_per_second(&p) == 50.0 && vc_whisper_timing_frames(&p, 2999) == 1499);
}

static void test_dtw_speed(void)
{
    /* not asserted (tests never assert on time): printed for the docs */
    int n = 201, m = 1500;
    float *x = malloc((size_t)n * m * sizeof *x);
    int32_t *r = malloc(2 * ((size_t)n + m) * sizeof *r);
    unsigned s = 1;
    for (int i = 0; i < n * m; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)((s >> 8) & 0xFFFF) / 65536.0f;
    }
    int len, reps = vt_quick() ? 1 : 20;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < reps; k++) CHECK_OK(vc_whisper_dtw(x, n, m, r, r + n + m, &len));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / reps;
    printf("  dtw %d x %d: %.2f ms\n", n, m, ms);
    CHECK(len >= m && r[len - 1] == n - 1 && r[n + m + len - 1] == m - 1);
    free(x);
    free(r);
}

int main(void)
{
    vt_run("reference cases", test_reference_cases);
    vt_run("dtw small", test_dtw_small);
    vt_run("dtw refusals", test_dtw_refusals);
    vt_run("median filter", test_median_filter);
    vt_run("split and merge", test_split_and_merge);
    vt_run("alignment edges", test_alignment_edges);
    vt_run("flat attention", test_standardise_flat);
    vt_run("dtw speed", test_dtw_speed);
    free_vocab();
    return vt_finish();
}
