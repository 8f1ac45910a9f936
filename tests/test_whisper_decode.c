/* Whisper's decoding rules (src/models/whisper/decode*.c) against the Python reference
 * tests/ref/whisper_decode_ref.py, on a toy language model defined identically here and
 * there: every case's tokens exactly, its numbers within 1e-5, with zlib and with the
 * built-in estimate of the compression ratio. Then the text clean-up against CPython
 * (UTF-8 errors, str.isspace), zlib sizes and the estimate, every refusal of bad options
 * and vocabularies, model errors and NaN logits propagating, and no allocation once the
 * buffers have grown. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "harness.h"
#include "models/whisper/decode.h"
#include "models/whisper/decode_text.h"

/* ---- the toy vocabulary and model (as in tests/ref/whisper_decode_ref.py) ---- */

enum {
    N_TEXT = 64, EOT = 64, SOT = 65, LANG_BEGIN = 66, N_LANG = 6, TRANSLATE = 72, TRANSCRIBE = 73,
    SOT_LM = 74, SOT_PREV = 75, NO_SPEECH = 76, NO_TIMESTAMPS = 77, TS_BEGIN = 78, N_TS = 151,
    N_VOCAB = TS_BEGIN + N_TS, N_CTX = 64, N_AUDIO_CTX = 1500, MAX_SEQ = 64, MAX_LIST = 256
};

typedef struct {
    const char *s;
    size_t n;
} bytes_t;

#define B(lit) {lit, sizeof(lit) - 1}
static const bytes_t text_bytes[N_TEXT] = {
    B(" "), B(" the"), B(" a"), B(" cat"), B(" sat"), B(" on"), B(" mat"), B(" and"),
    B(" dog"), B(" ran"), B("."), B(","), B("!"), B("?"), B(" I"), B(" you"),
    B(" we"), B(" it"), B(" is"), B(" was"), B(" very"), B(" good"), B(" bad"), B(" day"),
    B(" night"), B("("), B(" ("), B("["), B(" ["), B("\xe2\x99\xaa"), B(" \xe2\x99\xaa"), B(" -"),
    B(" '"), B("\""), B("*"), B("\n"), B("\t"), B("\xe3\x80\x80"), B("\xc2\xa0"), B("  "),
    B("\xc3"), B("\xa9"), B("\xe2\x99"), B("\xaa"), B("\xff"), B("\xf0\x9f"), B("\x98\x80"), B("\xed\xa0"),
    B("caf"), B("s"), B("ing"), B("ed"), B(" re"), B("peat"), B(" ok"), B(" no"),
    B(" yes"), B(" hello"), B(" world"), B(" one"), B(" two"), B(" three"), B("'s"), B(" \xc3\xa9t\xc3\xa9"),
};
static const int32_t toy_non_speech[] = {25, 26, 27, 28, 29, 30, 31, 32, 33, 34};
static const char *const lang_names[N_LANG] = {"<|en|>", "<|zh|>", "<|de|>", "<|es|>", "<|ru|>", "<|ko|>"};

static voce_status toy_bytes(void *user, int32_t token, const uint8_t **b, size_t *n)
{
    static const char *const special[] = {"<|endoftext|>", "<|startoftranscript|>"};
    static const char *const rest[] = {"<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
                                       "<|nospeech|>", "<|notimestamps|>"};
    (void)user;
    const char *s;
    if (token < N_TEXT) {
        *b = (const uint8_t *)text_bytes[token].s;
        *n = text_bytes[token].n;
        return VOCE_OK;
    }
    if (token <= SOT) s = special[token - EOT];
    else if (token < LANG_BEGIN + N_LANG) s = lang_names[token - LANG_BEGIN];
    else if (token < TS_BEGIN) s = rest[token - TRANSLATE];
    else return VOCE_ERR_INTERNAL; /* the decoder never asks for a timestamp's text */
    *b = (const uint8_t *)s;
    *n = strlen(s);
    return VOCE_OK;
}

static vc_whisper_vocab toy_vocab(int english)
{
    vc_whisper_vocab v = {
        .eot = EOT, .sot = SOT, .sot_prev = SOT_PREV, .sot_lm = SOT_LM, .translate = TRANSLATE,
        .transcribe = TRANSCRIBE, .no_speech = NO_SPEECH, .no_timestamps = NO_TIMESTAMPS,
        .timestamp_begin = TS_BEGIN, .lang_begin = LANG_BEGIN, .n_languages = english ? 0 : N_LANG,
        .blank = 0, .non_speech = toy_non_speech,
        .n_non_speech = (int)(sizeof toy_non_speech / sizeof toy_non_speech[0]), .token_bytes = toy_bytes};
    return v;
}

static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

/* Logits after seq[0..n) for the audio seed: integers in units of 1/256 (exact floats),
 * a function of the whole sequence. Line for line the reference's toy_logits. */
static void toy_logits(uint32_t audio, const int32_t *seq, int n, float *out)
{
    static const int amps[5] = {256, 320, 192, 768, 640}, bonuses[5] = {1536, 1024, 768, 384, 0};
    uint32_t h = fmix32(audio * 0x9E3779B1u + 0x7F4A7C15u);
    int sot_at = 0;
    for (int i = 0; i < n; i++) {
        h = fmix32(h ^ ((uint32_t)(seq[i] + 1) * 0x85EBCA77u));
        if (seq[i] == SOT) sot_at = i;
    }
    int kind = (int)(audio % 5), amp = amps[kind], bonus = bonuses[kind];
    int32_t last = seq[n - 1];
    int p = n - sot_at;
    int64_t fav = ((int64_t)last * 7 + (int64_t)n * 3 + (h >> 8)) % N_TEXT;
    int ts_target = 2 * p + (int)((h >> 3) % 7) + ((audio / 5) % 3 == 1 ? 60 : 0);
    int ts_bias = last >= TS_BEGIN ? 256 : last < N_TEXT ? ((h >> 4) % 5 == 0 ? 640 : -256) : 512;
    for (int v = 0; v < N_VOCAB; v++) {
        int r = (int)(fmix32(h ^ ((uint32_t)(v + 1) * 0xC2B2AE3Du)) & 0xFFF);
        int noise = ((r * amp) >> 11) - amp, x;
        if (v < N_TEXT) {
            x = noise + (v == fav ? bonus : v == (fav + 1) % N_TEXT ? bonus / 2 : 0);
            if (kind == 2 && n >= 4 && seq[n - 4] < N_TEXT && v == seq[n - 4]) x += 1536;
        } else if (v == EOT) {
            x = noise + (p - 14) * 64 + (kind == 4 && p >= 4 ? 1024 : 0);
        } else if (v >= LANG_BEGIN && v < LANG_BEGIN + N_LANG) {
            int pref = LANG_BEGIN + (int)((audio / 5) % N_LANG);
            x = last == SOT ? noise + (v == pref ? 512 : -256) : noise - 384;
        } else if (v == NO_SPEECH && last == SOT) {
            x = noise + (kind == 4 ? 2048 : 0);
        } else if (v >= TS_BEGIN) {
            int k = v - TS_BEGIN, half = ((noise + amp) >> 1) - amp / 2; /* floor(noise / 2) */
            x = half + ts_bias - abs(k - ts_target) * 96;
        } else {
            x = noise - 512;
        }
        out[v] = (float)x / 256.0f;
    }
}

/* The model behind the decoder: keeps each sequence's tokens as its "cache", so a
 * decoder that feeds or reorders wrongly gets other logits. */
typedef struct {
    uint32_t audio;
    int n_seq;
    int32_t seq[MAX_SEQ][N_CTX];
    int len[MAX_SEQ];
    int32_t old[MAX_SEQ][N_CTX];
    int old_len[MAX_SEQ];
    int calls;       /* callbacks so far */
    int fail_at;     /* the callback number that fails; 0: none */
    int nan_at;      /* the step call whose logits hold a NaN; 0: none */
    int steps[256];  /* the call numbers of the step calls */
    int n_steps;
    int broken;      /* the decoder broke the calling contract */
    char why[160];
} toy_lm;

static voce_status toy_call(toy_lm *m)
{
    if (++m->calls == m->fail_at) return VOCE_ERR_IO; /* a model failing mid-decode */
    return VOCE_OK;
}

static voce_status toy_reset(void *user)
{
    toy_lm *m = user;
    m->n_seq = 1;
    m->len[0] = 0;
    return toy_call(m);
}

static voce_status contract(toy_lm *m, const char *what, int a, int b)
{
    if (!m->broken) snprintf(m->why, sizeof m->why, "%s (%d, %d)", what, a, b);
    m->broken = 1;
    return VOCE_ERR_INTERNAL;
}

static voce_status toy_step(void *user, int n_seq, const int32_t *const *tokens, const int *n_new, float *logits)
{
    toy_lm *m = user;
    if (toy_call(m)) return VOCE_ERR_IO;
    if (m->n_steps < 256) m->steps[m->n_steps++] = m->calls;
    if (n_seq != m->n_seq) return contract(m, "step with another sequence count", n_seq, m->n_seq);
    for (int i = 0; i < n_seq; i++) {
        if (n_new[i] < 0 || m->len[i] + n_new[i] > N_CTX)
            return contract(m, "step past the context", m->len[i], n_new[i]);
        if (!n_new[i]) continue;
        memcpy(m->seq[i] + m->len[i], tokens[i], (size_t)n_new[i] * sizeof(int32_t));
        m->len[i] += n_new[i];
        toy_logits(m->audio, m->seq[i], m->len[i], logits + (size_t)i * N_VOCAB);
        if (m->calls == m->nan_at) logits[(size_t)i * N_VOCAB + (m->n_steps == 1 ? LANG_BEGIN + 2 : 5)] = NAN;
    }
    return VOCE_OK;
}

static voce_status toy_reorder(void *user, const int *src, int n_seq)
{
    toy_lm *m = user;
    if (toy_call(m)) return VOCE_ERR_IO;
    if (n_seq < 1 || n_seq > MAX_SEQ) return contract(m, "reorder to a bad count", n_seq, 0);
    memcpy(m->old, m->seq, sizeof m->seq);
    memcpy(m->old_len, m->len, sizeof m->len);
    for (int i = 0; i < n_seq; i++) {
        if (src[i] < 0 || src[i] >= m->n_seq) return contract(m, "reorder from a bad source", i, src[i]);
        memcpy(m->seq[i], m->old[src[i]], sizeof m->seq[i]);
        m->len[i] = m->old_len[src[i]];
    }
    m->n_seq = n_seq;
    return VOCE_OK;
}

static vc_whisper_lm toy_model(toy_lm *m)
{
    vc_whisper_lm lm = {.user = m, .n_vocab = N_VOCAB, .n_text_ctx = N_CTX, .n_audio_ctx = N_AUDIO_CTX,
                        .reset = toy_reset, .step = toy_step, .reorder = toy_reorder};
    return lm;
}

/* ---- the cases ---- */

static const char *ref_dir(void) { return vt_build_path(NULL, "whisper-decode-ref"); }

static FILE *open_ref(const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", ref_dir(), name);
    return fopen(path, "r");
}

/* The value of key in a case line ("key=value"), up to the next space; NULL if absent. */
static const char *field(const char *line, const char *key, char *out, size_t cap)
{
    size_t kn = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p += kn) {
        if ((p != line && p[-1] != ' ') || p[kn] != '=') continue;
        const char *v = p + kn + 1;
        size_t n = strcspn(v, " \n");
        if (n >= cap) n = cap - 1;
        memcpy(out, v, n);
        out[n] = 0;
        return out;
    }
    return NULL;
}

static char value_buf[1 << 14];

static double num(const char *line, const char *key)
{
    const char *v = field(line, key, value_buf, sizeof value_buf);
    if (!v || !strcmp(v, "none")) return NAN;
    return strtod(v, NULL);
}

static int list(const char *line, const char *key, int32_t *out, int cap)
{
    const char *v = field(line, key, value_buf, sizeof value_buf);
    int n = 0;
    if (!v || !strcmp(v, "-")) return 0;
    for (char *p = (char *)v; *p && n < cap;) {
        out[n++] = (int32_t)strtol(p, &p, 10);
        if (*p == ',') p++;
    }
    return n;
}

static size_t hex(const char *line, const char *key, uint8_t *out, size_t cap)
{
    const char *v = field(line, key, value_buf, sizeof value_buf);
    size_t n = 0;
    if (!v || !strcmp(v, "-")) return 0;
    for (; v[0] && v[1] && n < cap; v += 2) {
        unsigned x;
        sscanf(v, "%2x", &x);
        out[n++] = (uint8_t)x;
    }
    return n;
}

typedef struct {
    char name[96], api[16];
    int english;
    vc_whisper_options o;
    int32_t prompt[MAX_LIST], prefix[MAX_LIST], suppress[MAX_LIST];
} dcase;

static void parse_case(const char *line, dcase *c)
{
    char tmp[64];
    field(line, "name", c->name, sizeof c->name);
    field(line, "api", c->api, sizeof c->api);
    vc_whisper_options *o = &c->o;
    *o = vc_whisper_options_default();
    o->task = num(line, "task") == 1 ? VC_WHISPER_TRANSLATE : VC_WHISPER_TRANSCRIBE;
    o->language = (int)num(line, "language");
    const char *t = field(line, "temps", value_buf, sizeof value_buf);
    o->n_temperatures = 0;
    for (char *p = (char *)t; p && *p && o->n_temperatures < VC_WHISPER_MAX_TEMPERATURES;) {
        o->temperatures[o->n_temperatures++] = strtod(p, &p);
        if (*p == ',') p++;
    }
    o->sample_len = (int)num(line, "sample_len");
    o->best_of = (int)num(line, "best_of");
    o->beam_size = (int)num(line, "beam_size");
    o->patience = num(line, "patience");
    o->length_penalty = num(line, "length_penalty");
    o->max_initial_timestamp = num(line, "max_initial_timestamp");
    o->compression_ratio_threshold = num(line, "cr_threshold");
    o->logprob_threshold = num(line, "lp_threshold");
    o->no_speech_threshold = num(line, "ns_threshold");
    o->n_prompt = list(line, "prompt", c->prompt, MAX_LIST);
    o->prompt = c->prompt;
    o->n_prefix = list(line, "prefix", c->prefix, MAX_LIST);
    o->prefix = c->prefix;
    o->n_suppress_tokens = list(line, "suppress", c->suppress, MAX_LIST);
    o->suppress_tokens = c->suppress;
    o->suppress_blank = (int)num(line, "suppress_blank");
    o->without_timestamps = (int)num(line, "without_timestamps");
    o->seed = (uint64_t)strtoull(field(line, "seed", tmp, sizeof tmp), NULL, 10);
    c->english = (int)num(line, "english");
}

static int near(double got, double want)
{
    if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
    return fabs(got - want) <= 1e-5 * fmax(1.0, fabs(want));
}

/* Compares one result with the line's expectations for mode ("z" or "e"); prints the
 * differences and returns 1 when there are any. */
static int compare(const char *line, const char *name, const char *mode, const vc_whisper_result *r)
{
    static int32_t want[MAX_LIST];
    static uint8_t text[1 << 13];
    char key[32];
    int bad = 0;
    snprintf(key, sizeof key, "tokens_%s", mode);
    int n = list(line, key, want, MAX_LIST);
    if (n != r->n_tokens || memcmp(want, r->tokens, (size_t)n * sizeof *want)) {
        printf("  %s/%s: %d tokens, reference %d:", name, mode, r->n_tokens, n);
        for (int i = 0; i < r->n_tokens && i < 40; i++) printf(" %d", (int)r->tokens[i]);
        printf("\n");
        bad = 1;
    }
    snprintf(key, sizeof key, "text_%s", mode);
    size_t nt = hex(line, key, text, sizeof text);
    if (nt != r->n_text || memcmp(text, r->text, nt)) {
        printf("  %s/%s: text of %zu bytes, reference %zu\n", name, mode, r->n_text, nt);
        bad = 1;
    }
    const struct { const char *key; double got; } nums[] = {
        {"sum", r->sum_logprob}, {"avg", r->avg_logprob}, {"temp", r->temperature},
        {"cr", r->compression_ratio}, {"attempts", r->attempts}, {"skip", r->skip}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        snprintf(key, sizeof key, "%s_%s", nums[i].key, mode);
        double w = num(line, key);
        if (!near(nums[i].got, w)) {
            printf("  %s/%s: %s %.9g, reference %.9g\n", name, mode, nums[i].key, nums[i].got, w);
            bad = 1;
        }
    }
    if (!near(r->no_speech_prob, num(line, "nsp"))) {
        printf("  %s/%s: no_speech_prob %.9g, reference %.9g\n", name, mode, r->no_speech_prob, num(line, "nsp"));
        bad = 1;
    }
    if (r->language != (int)num(line, "lang")) {
        printf("  %s/%s: language %d, reference %d\n", name, mode, r->language, (int)num(line, "lang"));
        bad = 1;
    }
    const char *lp = field(line, "lprobs", value_buf, sizeof value_buf);
    if ((lp && strcmp(lp, "-")) != (r->language_probs != NULL)) {
        printf("  %s/%s: language probabilities %s, reference %s\n", name, mode, r->language_probs ? "given" : "none",
               lp ? lp : "?");
        bad = 1;
    } else if (r->language_probs) {
        char *p = value_buf;
        for (int i = 0; i < N_LANG; i++) {
            double w = strtod(p, &p);
            if (*p == ',') p++;
            if (!near(r->language_probs[i], w)) {
                printf("  %s/%s: language %d probability %.9g, reference %.9g\n", name, mode, i, r->language_probs[i], w);
                bad = 1;
            }
        }
    }
    return bad;
}

/* Runs one case on a decoder for the line's vocabulary; returns 1 on any difference. */
static int run_case(const char *line, const dcase *c, const char *zlib_soname, const char *mode)
{
    toy_lm *m = calloc(1, sizeof *m);
    vc_whisper_vocab v = toy_vocab(c->english);
    vc_whisper_lm lm = toy_model(m);
    vc_whisper_decoder *d = NULL;
    int bad = 1;
    m->audio = (uint32_t)num(line, "audio");
    if (!m || vc_whisper_decoder_create(&v, &lm, zlib_soname, &d)) {
        printf("  %s: decoder: %s\n", c->name, voce_last_error());
    } else {
        vc_whisper_result r;
        voce_status st = !strcmp(c->api, "window") ? vc_whisper_decode_window(d, &c->o, &r)
                                                   : vc_whisper_decode(d, &c->o, c->o.temperatures[0], &r);
        if (st) printf("  %s/%s: %s: %s\n", c->name, mode, voce_status_str(st), m->broken ? m->why : voce_last_error());
        else if (r.ratio_estimated != (mode[0] == 'e')) printf("  %s/%s: ratio_estimated %d\n", c->name, mode, r.ratio_estimated);
        else bad = compare(line, c->name, mode, &r);
    }
    vc_whisper_decoder_free(d);
    free(m);
    return bad;
}

#define NO_ZLIB "libz-not-here-voce-test.so.0"

static int have_zlib(void)
{
    vc_whisper_zlib z;
    vc_whisper_zlib_load(&z, NULL);
    int ok = z.lib != NULL;
    vc_whisper_zlib_unload(&z);
    return ok;
}

static void test_cases(void)
{
    FILE *f = open_ref("cases.txt");
    if (!f) VT_SKIP("needs %s/cases.txt (written by tests/ref/whisper_decode_ref.py)", ref_dir());
    static char line[1 << 16];
    static dcase c;
    int n = 0, failed = 0, zlib = have_zlib(), stride = vt_quick() ? 5 : 1, i = 0;
    if (!zlib) printf("  (no libz.so.1 here: the zlib expectations are not checked)\n");
    while (fgets(line, sizeof line, f)) {
        if (i++ % stride) continue; /* under qemu, a fifth of them */
        parse_case(line, &c);
        int bad = run_case(line, &c, NO_ZLIB, "e");
        if (zlib) bad |= run_case(line, &c, NULL, "z");
        failed += bad;
        n++;
    }
    fclose(f);
    printf("  %d cases, %d differ from the reference\n", n, failed);
    CHECK(n * stride > 250);
    CHECK(failed == 0);
}

/* ---- text and compression against CPython and zlib ---- */

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    if (!strcmp(s, "-")) return 0;
    for (; s[0] && s[1]; s += 2) {
        unsigned x;
        sscanf(s, "%2x", &x);
        out[n++] = (uint8_t)x;
    }
    return n;
}

static void test_clean_text(void)
{
    FILE *f = open_ref("utf8.txt");
    if (!f) VT_SKIP("needs %s/utf8.txt", ref_dir());
    static char a[8192], b[8192];
    static uint8_t in[4096], want[4096], got[3 * 4096];
    int n = 0, bad = 0;
    while (fscanf(f, "%8191s %8191s", a, b) == 2) {
        size_t ni = unhex(a, in), nw = unhex(b, want);
        size_t ng = vc_whisper_clean_text(in, ni, got);
        if (ng != nw || memcmp(got, want, nw)) {
            if (bad++ < 5) printf("  %s: got %zu bytes, Python %s\n", a, ng, b);
        }
        n++;
    }
    fclose(f);
    CHECK(n >= 500);
    CHECK(bad == 0);
}

static void test_is_space(void)
{
    FILE *f = open_ref("spaces.txt");
    if (!f) VT_SKIP("needs %s/spaces.txt", ref_dir());
    static uint8_t space[0x110000];
    unsigned cp;
    int n = 0;
    while (fscanf(f, "%u", &cp) == 1)
        if (cp < 0x110000) space[cp] = 1, n++;
    fclose(f);
    CHECK(n > 20);
    for (uint32_t c = 0; c < 0x110000; c++)
        CHECK_MSG(vc_utf8_is_space(c) == space[c], "U+%04X: isspace %d, Python %d", (unsigned)c,
                  vc_utf8_is_space(c), space[c]);
}

static void test_compress(void)
{
    FILE *f = open_ref("compress.txt");
    if (!f) VT_SKIP("needs %s/compress.txt", ref_dir());
    static char a[1 << 15];
    static uint8_t in[1 << 14];
    vc_whisper_zlib z;
    vc_whisper_zlib_load(&z, NULL);
    size_t zlen, elen;
    int n = 0;
    while (fscanf(f, "%32767s %zu %zu", a, &zlen, &elen) == 3) {
        size_t ni = unhex(a, in), got;
        void *work = malloc(vc_whisper_compress_work(&z, ni));
        CHECK(work != NULL);
        CHECK_OK(vc_whisper_deflate_estimate(in, ni, work, &got));
        CHECK_MSG(got == elen, "%zu bytes: estimate %zu, reference %zu", ni, got, elen);
        if (z.lib) {
            CHECK_OK(vc_whisper_zlib_size(&z, in, ni, work, &got));
            CHECK_MSG(got == zlen, "%zu bytes: zlib %zu, Python's zlib %zu", ni, got, zlen);
        }
        free(work);
        n++;
    }
    fclose(f);
    vc_whisper_zlib_unload(&z);
    CHECK(n > 20);
}

static void test_missing_zlib(void)
{
    vc_whisper_zlib z;
    vc_whisper_zlib_load(&z, NO_ZLIB);
    CHECK(z.lib == NULL);
    CHECK_MSG(strstr(z.why, NO_ZLIB) && strstr(z.why, "estimated"), "%s", z.why);
    size_t got;
    uint8_t work[64];
    CHECK_ERR(vc_whisper_zlib_size(&z, (const uint8_t *)"a", 1, work, &got), VOCE_ERR_UNSUPPORTED);
    vc_whisper_zlib_unload(&z);
    /* the decoder says so, and its results say they are estimates (test_cases) */
    toy_lm m = {0};
    vc_whisper_vocab v = toy_vocab(0);
    vc_whisper_lm lm = toy_model(&m);
    vc_whisper_decoder *d;
    CHECK_OK(vc_whisper_decoder_create(&v, &lm, NO_ZLIB, &d));
    const char *why = vc_whisper_decoder_zlib(d);
    CHECK(why && strstr(why, "zlib"));
    vc_whisper_decoder_free(d);
    if (have_zlib()) {
        CHECK_OK(vc_whisper_decoder_create(&v, &lm, NULL, &d));
        CHECK(vc_whisper_decoder_zlib(d) == NULL);
        vc_whisper_decoder_free(d);
    }
}

/* ---- refusals ---- */

static vc_whisper_decoder *toy_decoder(toy_lm *m, int english)
{
    vc_whisper_vocab v = toy_vocab(english);
    vc_whisper_lm lm = toy_model(m);
    vc_whisper_decoder *d = NULL;
    if (vc_whisper_decoder_create(&v, &lm, NULL, &d)) return NULL;
    return d;
}

/* The decoder refuses o with VOCE_ERR_INVALID_ARG, a message holding msg, before calling
 * the model; 1 when it does not. */
static int refused(vc_whisper_decoder *d, toy_lm *m, const char *what, int window, double t,
                   const vc_whisper_options *o, const char *msg)
{
    vc_whisper_result res;
    m->calls = 0;
    voce_status st = window ? vc_whisper_decode_window(d, o, &res) : vc_whisper_decode(d, o, t, &res);
    if (st == VOCE_ERR_INVALID_ARG && strstr(voce_last_error(), msg) && m->calls == 0) return 0;
    printf("  %s: %s (%s), %d model calls; expected a refusal naming '%s'\n", what, voce_status_str(st),
           voce_last_error(), m->calls, msg);
    return 1;
}

static void test_bad_options(void)
{
    static const int32_t eot_prompt[] = {1, EOT, 2}, big[] = {1, N_VOCAB}, neg_suppress[] = {-2};
    static int32_t long_prefix[80];
    for (int i = 0; i < 80; i++) long_prefix[i] = i % N_TEXT;
    toy_lm m = {0};
    vc_whisper_decoder *d = toy_decoder(&m, 0);
    CHECK(d != NULL);
    const vc_whisper_options base = vc_whisper_options_default();
    vc_whisper_options o;
    int bad = 0;
    /* what decoding.py's _verify_options and BeamSearchDecoder refuse */
    o = base, o.beam_size = 5, o.best_of = 5;
    bad += refused(d, &m, "beam and best_of", 0, 0.0, &o, "can't be given together");
    o = base, o.best_of = 5;
    bad += refused(d, &m, "best_of at t = 0", 0, 0.0, &o, "greedy");
    o = base, o.patience = 1.0;
    bad += refused(d, &m, "patience without beam", 0, 0.0, &o, "requires beam_size");
    o = base, o.length_penalty = 1.5;
    bad += refused(d, &m, "length_penalty above 1", 0, 0.0, &o, "between 0 and 1");
    o = base, o.length_penalty = -0.1;
    bad += refused(d, &m, "length_penalty below 0", 0, 0.0, &o, "between 0 and 1");
    o = base, o.beam_size = 1, o.patience = 0.4;
    bad += refused(d, &m, "round(1 * 0.4) = 0 candidates", 0, 0.0, &o, "round(beam_size * patience) = 0");
    o = base, o.beam_size = 2, o.patience = -1;
    bad += refused(d, &m, "negative patience", 0, 0.0, &o, "patience -1");
    /* and what it would crash or loop on */
    o = base, o.beam_size = -1;
    bad += refused(d, &m, "negative beam", 0, 0.0, &o, "beam_size -1");
    o = base, o.beam_size = 65;
    bad += refused(d, &m, "huge beam", 0, 0.0, &o, "beam_size 65");
    o = base, o.best_of = -2;
    bad += refused(d, &m, "negative best_of", 0, 0.6, &o, "best_of -2");
    o = base;
    bad += refused(d, &m, "negative temperature", 0, -0.5, &o, "temperature -0.5");
    bad += refused(d, &m, "NaN temperature", 0, NAN, &o, "temperature nan");
    o = base, o.sample_len = -1;
    bad += refused(d, &m, "negative sample_len", 0, 0.0, &o, "sample_len");
    o = base, o.task = (vc_whisper_task)7;
    bad += refused(d, &m, "task", 0, 0.0, &o, "task 7");
    o = base, o.language = N_LANG;
    bad += refused(d, &m, "language", 0, 0.0, &o, "language 6");
    o = base, o.max_initial_timestamp = -1;
    bad += refused(d, &m, "negative max_initial_timestamp", 0, 0.0, &o, "max_initial_timestamp");
    o = base, o.prompt = eot_prompt, o.n_prompt = 3;
    bad += refused(d, &m, "EOT in the prompt", 0, 0.0, &o, "<|endoftext|>");
    o = base, o.prompt = big, o.n_prompt = 2;
    bad += refused(d, &m, "prompt id outside", 0, 0.0, &o, "outside the vocabulary");
    o = base, o.prefix = big, o.n_prefix = 2;
    bad += refused(d, &m, "prefix id outside", 0, 0.0, &o, "prefix token 1");
    o = base, o.prefix = long_prefix, o.n_prefix = 80;
    bad += refused(d, &m, "prefix beyond the context", 0, 0.0, &o, "exceed the model's context");
    o = base, o.suppress_tokens = neg_suppress, o.n_suppress_tokens = 1;
    bad += refused(d, &m, "suppress -2", 0, 0.0, &o, "suppress_tokens[0] is -2");
    /* the schedule: every temperature's options, before anything runs */
    o = base, o.n_temperatures = 0;
    bad += refused(d, &m, "no temperatures", 1, 0.0, &o, "0 temperatures");
    o = base, o.n_temperatures = 17;
    bad += refused(d, &m, "17 temperatures", 1, 0.0, &o, "17 temperatures");
    o = base, o.temperatures[3] = -1;
    bad += refused(d, &m, "a negative temperature later", 1, 0.0, &o, "temperature 3 (-1)");
    o = base, o.best_of = 99;
    bad += refused(d, &m, "bad best_of only sampled", 1, 0.0, &o, "temperature 1 (0.2): best_of 99");
    CHECK(bad == 0);
    /* A prompt longer than the context is cut, as decoding.py cuts it: not an error. */
    o = base;
    o.prompt = long_prefix;
    o.n_prompt = 80;
    o.n_temperatures = 1;
    vc_whisper_result res;
    CHECK_OK(vc_whisper_decode_window(d, &o, &res));
    vc_whisper_decoder_free(d);
    /* English-only: nothing to detect */
    d = toy_decoder(&m, 1);
    int lang;
    CHECK_ERR(vc_whisper_detect_language(d, &lang, NULL), VOCE_ERR_UNSUPPORTED);
    vc_whisper_decoder_free(d);
}

static void test_bad_vocab(void)
{
    toy_lm m = {0};
    vc_whisper_lm lm = toy_model(&m);
    vc_whisper_decoder *d;
    vc_whisper_vocab v = toy_vocab(0);
    v.eot = TS_BEGIN + 3;
    CHECK_ERR(vc_whisper_decoder_create(&v, &lm, NULL, &d), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "eot is 81"));
    v = toy_vocab(0);
    v.n_languages = 20;
    CHECK_ERR(vc_whisper_decoder_create(&v, &lm, NULL, &d), VOCE_ERR_INVALID_ARG);
    v = toy_vocab(0);
    v.token_bytes = NULL;
    CHECK_ERR(vc_whisper_decoder_create(&v, &lm, NULL, &d), VOCE_ERR_INVALID_ARG);
    v = toy_vocab(0);
    v.timestamp_begin = N_VOCAB;
    CHECK_ERR(vc_whisper_decoder_create(&v, &lm, NULL, &d), VOCE_ERR_INVALID_ARG);
    v = toy_vocab(0);
    lm.reorder = NULL;
    CHECK_ERR(vc_whisper_decoder_create(&v, &lm, NULL, &d), VOCE_ERR_INVALID_ARG);
    lm = toy_model(&m);
    lm.n_text_ctx = 4;
    CHECK_ERR(vc_whisper_decoder_create(&v, &lm, NULL, &d), VOCE_ERR_INVALID_ARG);
    CHECK(d == NULL);
}

/* ---- the model failing ---- */

static vc_whisper_options beam_window(void)
{
    static const int32_t prompt[] = {1, 3, 4, 5, 6};
    vc_whisper_options o = vc_whisper_options_default();
    o.beam_size = 3;
    o.best_of = 3;
    o.prompt = prompt;
    o.n_prompt = 5;
    o.seed = 1;
    return o;
}

static void test_model_errors(void)
{
    toy_lm m = {0};
    vc_whisper_decoder *d = toy_decoder(&m, 0);
    CHECK(d != NULL);
    vc_whisper_options o = beam_window();
    vc_whisper_result r;
    /* audio 3 is noisy and falls back to sampling: every kind of call at every stage */
    for (uint32_t audio = 2; audio <= 3; audio++) {
        m.audio = audio;
        m.calls = m.fail_at = 0;
        CHECK_OK(vc_whisper_decode_window(d, &o, &r));
        int calls = m.calls, stride = vt_quick() ? 13 : 3;
        CHECK(calls > 4);
        for (int at = 1; at <= calls; at += at < 12 ? 1 : stride) {
            m.calls = 0;
            m.fail_at = at;
            voce_status st = vc_whisper_decode_window(d, &o, &r);
            CHECK_MSG(st == VOCE_ERR_IO, "audio %u, call %d of %d fails: %s", (unsigned)audio, at, calls,
                      voce_status_str(st));
            CHECK(m.calls == at); /* nothing after the failure */
        }
    }
    /* NaN in the logits of any step: refused, naming it */
    m.fail_at = 0;
    m.audio = 3;
    m.calls = m.n_steps = 0;
    CHECK_OK(vc_whisper_decode_window(d, &o, &r));
    int n_steps = m.n_steps;
    int steps[256];
    memcpy(steps, m.steps, sizeof steps);
    CHECK(n_steps > 3);
    for (int i = 0; i < n_steps && i < 256; i += vt_quick() ? 9 : 1) {
        m.calls = m.n_steps = 0;
        m.nan_at = steps[i];
        voce_status st = vc_whisper_decode_window(d, &o, &r);
        CHECK_MSG(st == VOCE_ERR_INVALID_ARG && strstr(voce_last_error(), "NaN"), "NaN at call %d: %s (%s)",
                  steps[i], voce_status_str(st), voce_last_error());
    }
    m.nan_at = 0;
    CHECK(!m.broken);
    vc_whisper_decoder_free(d);
}

/* ---- memory ---- */

static void decode_set(vc_whisper_decoder *d, toy_lm *m)
{
    vc_whisper_options o = beam_window();
    vc_whisper_result r;
    uint32_t n_audio = vt_quick() ? 5 : 10;
    for (int beam = 5; beam >= 1; beam -= 2) {
        o.beam_size = o.best_of = beam;
        for (uint32_t audio = 0; audio < n_audio; audio++) {
            m->audio = audio;
            o.without_timestamps = audio % 2;
            CHECK_OK(vc_whisper_decode_window(d, &o, &r));
        }
    }
}

/* The buffers grow to the largest search and text seen, then stay. */
static void test_no_allocation(void)
{
    toy_lm m = {0};
    vc_whisper_decoder *d = toy_decoder(&m, 0);
    CHECK(d != NULL);
    decode_set(d, &m);
    int grown = vc_whisper_decoder_allocations(d);
    CHECK(grown > 0);
    decode_set(d, &m);
    CHECK_MSG(vc_whisper_decoder_allocations(d) == grown, "%d allocations, then %d", grown,
              vc_whisper_decoder_allocations(d));
    CHECK(!m.broken);
    vc_whisper_decoder_free(d);
}

int main(void)
{
    vt_run("cases against the Python reference", test_cases);
    vt_run("text clean-up against CPython", test_clean_text);
    vt_run("str.isspace", test_is_space);
    vt_run("zlib sizes and the estimate", test_compress);
    vt_run("without zlib", test_missing_zlib);
    vt_run("bad options", test_bad_options);
    vt_run("bad vocabularies", test_bad_vocab);
    vt_run("model errors and NaN", test_model_errors);
    vt_run("no allocation once grown", test_no_allocation);
    return vt_finish();
}
