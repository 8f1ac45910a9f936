/* Long-form Whisper transcription (voce_asr_transcribe: src/models/whisper/transcribe.c,
 * src/pipeline/asr.c) against tests/ref/whisper_transcribe_ref.py, openai-whisper's
 * transcribe() loop in Python on the same random-weight models (tests/ref/whisper_torch.py,
 * compiled here from their voce layout, or the layout VOCE_WHISPER_LAYOUT names: sherpa,
 * hf, where word timestamps must be refused instead): language detection, windows, seeks, skipped
 * windows, segments cut at timestamp pairs, prompts and their reset, the initial prompt,
 * text without timestamps, the temperature fallback with sampling, word timestamps.
 * Compared: the language (and its probability within 1e-4), segment count, tokens, seek
 * and text exactly, times within 1e-6 s, avg_logprob, compression ratio and no-speech
 * probability within 1e-4 relative, the temperature exactly, words (text exactly, times
 * within 1e-6 s, probability within 1e-4 relative), the whole text exactly. The first
 * difference of a case is reported with the case, the segment and what differs, and each
 * case that passes prints the largest differences seen; the reference prints the
 * decisions that came near a tie (where float32 rounding could flip one). Under
 * VOCE_TEST_QUICK only the case with the fewest decoding steps runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "harness.h"
#include "pipeline/transcript.h"
#include "text/json.h"
#include "voce/asr.h"
#include "wavread.h"

#define TIME_TOL 1e-6
#define STAT_TOL 1e-4

typedef struct cases {
    vc_json j;
    const vc_json_node *list;
    char dir[1024];
} cases;

static const char *layouts_dir(void) { return vt_build_path("VOCE_WHISPER_LAYOUTS", "whisper-layouts"); }

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            char *q = realloc(buf, cap);
            if (!q) { free(buf); fclose(f); return NULL; }
            buf = q;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

static int load_cases(cases *c)
{
    snprintf(c->dir, sizeof c->dir, "%s", vt_build_path(NULL, "whisper-transcribe-ref"));
    char path[1200];
    snprintf(path, sizeof path, "%s/cases.json", c->dir);
    size_t len = 0;
    char *text = read_all(path, &len);
    if (!text) return 0;
    voce_status st = vc_json_parse(text, len, path, &c->j);
    free(text);
    if (st) return -1;
    c->list = vc_json_root(&c->j);
    return 1;
}

/* ---- reading the JSON ---- */

static const vc_json_node *get(const vc_json *j, const vc_json_node *n, const char *key)
{
    return vc_json_member(j, n, key);
}

static double num(const vc_json *j, const vc_json_node *n)
{
    if (!n || n->type != VC_JSON_NUMBER) return NAN;
    char tmp[64];
    size_t len = n->str_len < sizeof tmp - 1 ? n->str_len : sizeof tmp - 1;
    memcpy(tmp, j->buf + n->str, len);
    tmp[len] = 0;
    return strtod(tmp, NULL);
}

static double num_of(const vc_json *j, const vc_json_node *n, const char *key)
{
    return num(j, get(j, n, key));
}

/* A string member, or NULL when absent or null. */
static const char *str_of(const vc_json *j, const vc_json_node *n, const char *key)
{
    size_t len;
    return vc_json_string(j, get(j, n, key), &len);
}

static size_t count(const vc_json *j, const vc_json_node *arr)
{
    size_t k = 0;
    for (const vc_json_node *x = vc_json_child(j, arr); x; x = vc_json_next(j, x)) k++;
    return k;
}

/* hex to bytes (NUL-terminated); the length, or -1. */
static long unhex(const char *h, char *out, size_t cap)
{
    if (!h) return -1;
    size_t n = strlen(h);
    if (n % 2 || n / 2 + 1 > cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (char)v;
    }
    out[n / 2] = 0;
    return (long)(n / 2);
}

/* The largest differences seen in a case (printed: how much room the tolerances leave). */
static struct worst {
    double time, stat, prob;
} worst;

static int close_rel(double got, double want, double tol)
{
    double d = fabs(got - want) / fmax(fabs(want), 1e-30);
    if (d > worst.stat) worst.stat = d;
    return d <= tol;
}

static int close_time(double got, double want)
{
    if (fabs(got - want) > worst.time) worst.time = fabs(got - want);
    return fabs(got - want) <= TIME_TOL;
}

/* ---- the recognizers ---- */

/* VOCE_WHISPER_LAYOUT: the layout the models are compiled from (default voce). */
static const char *layout(void)
{
    const char *l = getenv("VOCE_WHISPER_LAYOUT");
    return l && *l ? l : "voce";
}

static voce_asr *open_model(const char *model)
{
    char dir[1200], out[64];
    snprintf(dir, sizeof dir, "%s/%s/%s", layouts_dir(), model, layout());
    snprintf(out, sizeof out, "transcribe-%s.voce", model);
    const char *prog = vt_tmp(out);
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = dir;
    o.family = "whisper";
    voce_status st = vc_compile(&o, prog, NULL);
    voce_asr_config c = voce_asr_config_default();
    c.threads = 1;
    voce_asr *asr = NULL;
    if (!st) st = voce_asr_open(prog, &c, &asr);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", dir, voce_last_error());
    return asr;
}

/* The case's parameters (the reference writes every one it uses). */
static voce_transcribe_params params_of(const vc_json *j, const vc_json_node *p)
{
    voce_transcribe_params t = voce_transcribe_params_default();
    t.language = str_of(j, p, "language");
    t.timestamps = (int)num_of(j, p, "timestamps");
    t.word_timestamps = (int)num_of(j, p, "word_timestamps");
    t.initial_prompt = str_of(j, p, "initial_prompt");
    t.condition_on_previous_text = (int)num_of(j, p, "condition_on_previous_text");
    t.temperature = (float)num_of(j, p, "temperature");
    t.temperature_increment = (float)num_of(j, p, "temperature_increment");
    t.beam_size = (int)num_of(j, p, "beam_size");
    if (t.beam_size < 2) t.beam_size = 1; /* openai-whisper's 0 / None: greedy (our 0 is 5 beams) */
    t.best_of = (int)num_of(j, p, "best_of");
    t.compression_ratio_threshold = (float)num_of(j, p, "compression_ratio_threshold");
    t.logprob_threshold = (float)num_of(j, p, "logprob_threshold");
    t.no_speech_threshold = (float)num_of(j, p, "no_speech_threshold");
    t.seed = (uint64_t)num_of(j, p, "seed");
    t.vad = 0;
    return t;
}

/* ---- comparing ---- */

#define DIFF(...)                                                                      \
    do {                                                                               \
        vt_fail(__FILE__, __LINE__, __VA_ARGS__);                                      \
        return 0;                                                                      \
    } while (0)

static int same_words(const char *name, size_t i, const voce_segment *g, const vc_json *j,
                      const vc_json_node *words)
{
    size_t n = count(j, words), k = 0;
    if (g->n_words != n) DIFF("%s segment %zu: %zu words, expected %zu", name, i, g->n_words, n);
    for (const vc_json_node *w = vc_json_child(j, words); w; w = vc_json_next(j, w), k++) {
        const voce_word *x = &g->words[k];
        char want[1024];
        if (unhex(str_of(j, w, "word_hex"), want, sizeof want) < 0) DIFF("%s: bad word_hex", name);
        if (strcmp(x->text, want))
            DIFF("%s segment %zu word %zu: text '%s', expected '%s'", name, i, k, x->text, want);
        double s = num_of(j, w, "start"), e = num_of(j, w, "end"), p = num_of(j, w, "probability");
        if (!close_time(x->start, s) || !close_time(x->end, e))
            DIFF("%s segment %zu word %zu '%s': %.9f -> %.9f, expected %.9f -> %.9f", name, i, k, want,
                 x->start, x->end, s, e);
        if (fabs(x->probability - p) > worst.prob) worst.prob = fabs(x->probability - p);
        if (fabs(x->probability - p) > STAT_TOL * fmax(p, 0.01))
            DIFF("%s segment %zu word %zu '%s': probability %.9g, expected %.9g", name, i, k, want,
                 (double)x->probability, p);
    }
    return 1;
}

static int same_segment(const char *name, size_t i, const voce_transcript *t, const vc_json *j,
                        const vc_json_node *s)
{
    const voce_segment *g = &t->segments[i];
    const vc_json_node *toks = get(j, s, "tokens");
    size_t n = count(j, toks), k = 0;
    if (g->n_tokens != n) {
        fprintf(stderr, "  voce tokens:");
        for (size_t q = 0; q < g->n_tokens; q++) fprintf(stderr, " %d", (int)g->tokens[q].id);
        fprintf(stderr, "\n");
        DIFF("%s segment %zu: %zu tokens, expected %zu", name, i, g->n_tokens, n);
    }
    for (const vc_json_node *x = vc_json_child(j, toks); x; x = vc_json_next(j, x), k++)
        if (g->tokens[k].id != (int32_t)num(j, x))
            DIFF("%s segment %zu token %zu: %d, expected %d", name, i, k, (int)g->tokens[k].id, (int)num(j, x));
    int32_t seek = vc_transcript_seek(t, i);
    if (seek != (int32_t)num_of(j, s, "seek"))
        DIFF("%s segment %zu: seek %d, expected %d", name, i, (int)seek, (int)num_of(j, s, "seek"));
    double st = num_of(j, s, "start"), en = num_of(j, s, "end");
    if (!close_time(g->start, st) || !close_time(g->end, en))
        DIFF("%s segment %zu: %.9f -> %.9f, expected %.9f -> %.9f", name, i, g->start, g->end, st, en);
    char want[8192];
    if (unhex(str_of(j, s, "text_hex"), want, sizeof want) < 0) DIFF("%s: bad text_hex", name);
    if (strcmp(g->text, want)) DIFF("%s segment %zu: text '%s', expected '%s'", name, i, g->text, want);
    if ((float)num_of(j, s, "temperature") != g->temperature)
        DIFF("%s segment %zu: temperature %g, expected %g", name, i, (double)g->temperature,
             num_of(j, s, "temperature"));
    static const char *stat[] = {"avg_logprob", "compression_ratio", "no_speech_prob"};
    float got[] = {g->avg_logprob, g->compression_ratio, g->no_speech_prob};
    for (int q = 0; q < 3; q++)
        if (!close_rel(got[q], num_of(j, s, stat[q]), STAT_TOL))
            DIFF("%s segment %zu: %s %.9g, expected %.9g", name, i, stat[q], (double)got[q],
                 num_of(j, s, stat[q]));
    return same_words(name, i, g, j, get(j, s, "words"));
}

static int same_language(const char *name, const voce_transcript *t, const vc_json *j, const vc_json_node *cs)
{
    const char *lang = str_of(j, cs, "language");
    double p = num_of(j, cs, "language_probability"); /* NaN (null) when given, not detected */
    if (strcmp(t->language, lang)) DIFF("%s: language %s, expected %s", name, t->language, lang);
    if (!isnan(p) && !close_rel(t->language_probability, p, STAT_TOL))
        DIFF("%s: language probability %.9g, expected %.9g", name, (double)t->language_probability, p);
    return 1;
}

/* transcribe()'s "text": every kept token decoded at once. */
static int same_text(const char *name, const voce_transcript *t, const vc_json *j, const vc_json_node *cs)
{
    static char want[1 << 16];
    if (unhex(str_of(j, cs, "text_hex"), want, sizeof want) < 0) DIFF("%s: bad text_hex", name);
    if (strcmp(t->text, want)) DIFF("%s: the whole text is '%s', expected '%s'", name, t->text, want);
    return 1;
}

static void run_case(const cases *c, const vc_json_node *cs, voce_asr *asr)
{
    const vc_json *j = &c->j;
    const char *name = str_of(j, cs, "name"), *audio = str_of(j, cs, "audio");
    CHECK_MSG(name && audio && str_of(j, cs, "language"), "cases.json: a case without name, audio or language");
    char path[1200];
    if (!strcmp(audio, "jfk.wav")) {
        const char *p = vt_data("audio/jfk.wav");
        if (!p) VT_SKIP("needs audio/jfk.wav");
        snprintf(path, sizeof path, "%s", p);
    } else {
        snprintf(path, sizeof path, "%s/%s", c->dir, audio);
    }
    size_t n = 0;
    int rate = 0;
    float *pcm = vt_read_wav16(path, &n, &rate);
    CHECK_MSG(pcm && rate == 16000, "%s: cannot read %s", name, path);
    voce_transcribe_params p = params_of(j, get(j, cs, "params"));
    memset(&worst, 0, sizeof worst);
    voce_transcript *t = NULL;
    voce_status st = voce_asr_transcribe(asr, pcm, n, &p, &t);
    free(pcm);
    if (p.word_timestamps && strcmp(layout(), "voce")) {
        /* sherpa-onnx's and HF's exports have no cross-attention output */
        CHECK_MSG(st == VOCE_ERR_UNSUPPORTED && strstr(voce_last_error(), "word timestamps"),
                  "%s: word timestamps on the %s layout: %s", name, layout(), st ? voce_last_error() : "no error");
        return;
    }
    CHECK_MSG(st == VOCE_OK, "%s: %s", name, voce_last_error());
    const vc_json_node *segs = get(j, cs, "segments");
    size_t want = count(j, segs), i = 0;
    int ok = same_language(name, t, j, cs);
    for (const vc_json_node *s = vc_json_child(j, segs); ok && s && i < t->n_segments; s = vc_json_next(j, s), i++)
        ok = same_segment(name, i, t, j, s);
    if (ok && t->n_segments != want) {
        vt_fail(__FILE__, __LINE__, "%s: %zu segments, expected %zu", name, t->n_segments, want);
        ok = 0;
    }
    if (ok && same_text(name, t, j, cs))
        printf("  %s: %zu segments; largest differences: times %.2g s, statistics %.2g relative, "
               "word probabilities %.2g\n", name, want, worst.time, worst.stat, worst.prob);
    voce_transcript_free(t);
}

/* The case with the fewest decoding steps (the one VOCE_TEST_QUICK runs). */
static const vc_json_node *shortest(const vc_json *j, const vc_json_node *list)
{
    const vc_json_node *best = NULL;
    for (const vc_json_node *cs = vc_json_child(j, list); cs; cs = vc_json_next(j, cs))
        if (!best || num_of(j, cs, "steps") < num_of(j, best, "steps")) best = cs;
    return best;
}

/* One vt_run per case, so that each passes or fails on its own; the recognizers are
 * compiled once per model. */
static struct {
    cases c;
    const vc_json_node *now;
    voce_asr *asr[2];
    int tried[2];
} run;

static void test_one(void)
{
    const char *model = str_of(&run.c.j, run.now, "model");
    CHECK_MSG(model && (!strcmp(model, "en") || !strcmp(model, "multi")), "cases.json: model en or multi expected");
    int m = strcmp(model, "en") != 0;
    if (!run.tried[m]) {
        run.tried[m] = 1;
        run.asr[m] = open_model(model);
    }
    if (!run.asr[m]) VT_SKIP("the %s model did not compile", model);
    run_case(&run.c, run.now, run.asr[m]);
}

/* More than VC_WHISPER_MAX_SECONDS: refused before a sample is read (the pointer holds
 * one second; the length claims a day). */
static void test_too_long(void)
{
    int m = 1;
    if (!run.tried[m]) {
        run.tried[m] = 1;
        run.asr[m] = open_model("multi");
    }
    if (!run.asr[m]) VT_SKIP("the multi model did not compile");
    static float second[16000];
    voce_transcribe_params p = voce_transcribe_params_default();
    p.vad = 0;
    voce_transcript *t = NULL;
    CHECK_ERR(voce_asr_transcribe(run.asr[m], second, (size_t)16000 * 24 * 3600, &p, &t), VOCE_ERR_INVALID_ARG);
    CHECK_MSG(strstr(voce_last_error(), "24.0 hours") && strstr(voce_last_error(), "at most 24"), "%s",
              voce_last_error());
    CHECK(t == NULL);
}

static void test_missing(void)
{
    VT_SKIP("no %s/cases.json (gen_whisper_transcribe_ref makes it)", run.c.dir);
}

static void test_bad_cases(void) { vt_fail(__FILE__, __LINE__, "%s", voce_last_error()); }

int main(void)
{
    int r = load_cases(&run.c);
    if (r == 0) vt_run("transcribe", test_missing);
    if (r < 0) vt_run("transcribe", test_bad_cases);
    if (r <= 0) return vt_finish();
    const vc_json_node *quick = vt_quick() ? shortest(&run.c.j, run.c.list) : NULL;
    for (const vc_json_node *cs = vc_json_child(&run.c.j, run.c.list); cs; cs = vc_json_next(&run.c.j, cs)) {
        if (quick && cs != quick) continue;
        run.now = cs;
        vt_run(str_of(&run.c.j, cs, "name"), test_one);
    }
    vt_run("too_long", test_too_long);
    voce_asr_close(run.asr[0]);
    voce_asr_close(run.asr[1]);
    vc_json_free(&run.c.j);
    return vt_finish();
}
