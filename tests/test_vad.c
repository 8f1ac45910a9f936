/* The VAD: the segmenter against a Python reference of silero-vad's
 * get_speech_timestamps() on generated probability sequences (tests/ref/gen_vad_cases.py:
 * random settings, flicker at the thresholds, max-speech splits, edge lengths), and the
 * public API on the real Silero models: probabilities equal to ONNX Runtime's, the
 * same segments whatever the push sizes, events through callback and polling, flush,
 * reset, odd samples and every refusal. The real-file segment check against the
 * reference is tests/test_vad_ref.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "core/npy.h"
#include "harness.h"
#include "models/silero_vad/segmenter.h"
#include "voce/vad.h"
#include "wavread.h"

/* ---- the segmenter on generated cases ---- */

typedef struct {
    int64_t v[2 * 4096];
    int n; /* events */
    int order_ok;
} sink;

static void to_sink(void *ctx, int is_start, int64_t sample)
{
    sink *s = ctx;
    if ((s->n % 2 == 0) != (is_start != 0)) s->order_ok = 0; /* start, end, start, ... */
    if (s->n < (int)(sizeof s->v / sizeof s->v[0])) s->v[s->n] = sample;
    s->n++;
}

typedef struct {
    char name[64];
    int rate;
    long long n_samples;
    double threshold, neg, max_speech_s;
    int min_speech_ms, min_silence_ms, pad_ms, min_sil_max_ms;
} vad_case;

static const char *case_dir(void) { return vt_build_path(NULL, "vad-cases"); }

static voce_status load_npy(const char *name, const char *suffix, vc_tensor *t)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.%s.npy", case_dir(), name, suffix);
    return vc_npy_read(path, t);
}

static vc_seg_params case_params(const vad_case *c)
{
    voce_vad_config cfg = voce_vad_config_default();
    cfg.sample_rate = c->rate;
    cfg.threshold = c->threshold;
    cfg.neg_threshold = c->neg;
    cfg.min_speech_ms = c->min_speech_ms;
    cfg.min_silence_ms = c->min_silence_ms;
    cfg.speech_pad_ms = c->pad_ms;
    cfg.max_speech_s = c->max_speech_s;
    cfg.min_silence_at_max_speech_ms = c->min_sil_max_ms;
    return vc_seg_params_from(&cfg, c->rate == 16000 ? 512 : 256);
}

/* Runs one case; returns 0 when it matches, else prints why. */
static int run_case(const vad_case *c)
{
    vc_tensor probs, segs;
    if (load_npy(c->name, "probs", &probs)) { printf("  %s: %s\n", c->name, voce_last_error()); return 1; }
    if (load_npy(c->name, "segs", &segs)) { free(probs.data); printf("  %s: %s\n", c->name, voce_last_error()); return 1; }
    vc_seg_params p = case_params(c);
    sink out = {.n = 0, .order_ok = 1};
    vc_seg s;
    vc_seg_init(&s, &p, to_sink, &out);
    int64_t nw = probs.rank ? probs.dims[0] : 0;
    const float *pr = probs.data;
    for (int64_t i = 0; i < nw; i++) {
        int64_t pushed = (i + 1) * p.window < c->n_samples ? (i + 1) * p.window : c->n_samples;
        vc_seg_window(&s, pr[i], pushed);
    }
    vc_seg_finish(&s, c->n_samples);
    vc_seg_free(&s);
    int64_t n_ref = segs.rank == 2 ? segs.dims[0] : 0;
    const int64_t *ref = segs.data;
    int bad = !out.order_ok || out.n != 2 * n_ref;
    for (int64_t k = 0; !bad && k < 2 * n_ref; k++) bad = out.v[k] != ref[k];
    if (bad) {
        printf("  %s: %d events (order %s), reference %lld segments\n", c->name, out.n, out.order_ok ? "ok" : "BAD",
               (long long)n_ref);
        for (int64_t k = 0; k < 2 * n_ref && k < 2 * 8; k += 2)
            printf("    ref [%lld, %lld)  voce [%lld, %lld)\n", (long long)ref[k], (long long)ref[k + 1],
                   k < out.n ? (long long)out.v[k] : -1LL, k + 1 < out.n ? (long long)out.v[k + 1] : -1LL);
    }
    free(probs.data);
    free(segs.data);
    return bad;
}

static void test_segmenter_cases(void)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/cases.txt", case_dir());
    FILE *f = fopen(path, "r");
    if (!f) VT_SKIP("needs %s (written by tests/ref/gen_vad_cases.py)", path);
    vad_case c;
    int n = 0, failed = 0;
    while (fscanf(f, "%63s %d %lld %lf %lf %d %d %d %lf %d", c.name, &c.rate, &c.n_samples, &c.threshold, &c.neg,
                  &c.min_speech_ms, &c.min_silence_ms, &c.pad_ms, &c.max_speech_s, &c.min_sil_max_ms) == 10) {
        failed += run_case(&c);
        n++;
    }
    fclose(f);
    printf("  %d segmenter cases, %d differ from the reference\n", n, failed);
    CHECK(n >= 100);
    CHECK(failed == 0);
}

/* Events come as soon as the rules settle them, not at the end: with the defaults a
 * start once 250 ms of speech make the segment certain (window 7: 8 x 512 > 4000
 * samples), an end at the window where 100 ms of silence are complete (speech stops
 * at window 20, 20 x 512 + 1600 <= 24 x 512). */
typedef struct {
    vc_seg *seg;
    int64_t at[4];
    int n;
} timing_sink;

static void note_time(void *ctx, int is_start, int64_t sample)
{
    timing_sink *t = ctx;
    (void)is_start;
    (void)sample;
    if (t->n < 4) t->at[t->n] = t->seg->nw - 1; /* decisions follow the window's count */
    t->n++;
}

static void test_event_latency(void)
{
    voce_vad_config c = voce_vad_config_default();
    vc_seg_params p = vc_seg_params_from(&c, 512);
    vc_seg s;
    timing_sink t = {.seg = &s, .n = 0};
    vc_seg_init(&s, &p, note_time, &t);
    for (int i = 0; i < 60; i++) {
        vc_seg_window(&s, i < 20 ? 0.9 : 0.05, (int64_t)(i + 1) * 512);
        if (i == 40) CHECK(t.n == 2); /* both out long before the end */
    }
    vc_seg_finish(&s, 60 * 512);
    vc_seg_free(&s);
    CHECK(t.n == 2);
    CHECK_MSG(t.at[0] == 7 && t.at[1] == 24, "start decided at window %lld, end at %lld", (long long)t.at[0],
              (long long)t.at[1]);
}

/* ---- the public API on the real models ---- */

/* VOCE_TEST_QUICK: the first 16 s of silero-test.wav (six speech segments) */
#define QUICK_SAMPLES (16 * 16000)

static const char *compile_family(const char *stem, char *out, size_t n)
{
    char rel[256];
    snprintf(rel, sizeof rel, "models/silero-vad/%s.onnx", stem);
    const char *onnx = vt_data(rel);
    if (!onnx) return NULL;
    snprintf(out, n, "%s", vt_tmp(stem));
    strncat(out, ".voce", n - strlen(out) - 1);
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = onnx;
    o.family = "silero-vad";
    return vc_compile(&o, out, NULL) ? NULL : out;
}

/* vt_data's buffer is reused by the next call: keep a copy. */
static const char *copy_data(const char *rel, char out[1024])
{
    const char *p = vt_data(rel);
    if (!p) return NULL;
    snprintf(out, 1024, "%s", p);
    return out;
}

typedef struct {
    voce_vad_event ev[1024];
    int n;
} event_log;

static void log_event(const voce_vad_event *e, void *user)
{
    event_log *l = user;
    if (l->n < 1024) l->ev[l->n] = *e;
    l->n++;
}

static int same_events(const event_log *a, const voce_vad_segment *segs, size_t n)
{
    if (a->n != 2 * (int)n) return 0;
    for (size_t k = 0; k < n; k++)
        if (a->ev[2 * k].type != VOCE_VAD_SPEECH_START || a->ev[2 * k].sample != segs[k].start ||
            a->ev[2 * k + 1].type != VOCE_VAD_SPEECH_END || a->ev[2 * k + 1].sample != segs[k].end)
            return 0;
    return 1;
}

/* Streaming in pieces of any size gives the offline segments, by callback and by
 * polling, and segments end after they start, in order, within the audio. */
static void test_streaming_equals_offline(void)
{
    char prog_path[1024], wav[1024];
    if (!copy_data("audio/silero-test.wav", wav) || !compile_family("silero_vad", prog_path, sizeof prog_path))
        VT_SKIP("needs audio/silero-test.wav and models/silero-vad/silero_vad.onnx");
    size_t n;
    int rate;
    float *pcm = vt_read_wav16(wav, &n, &rate);
    CHECK(pcm && rate == 16000);
    if (vt_quick() && n > QUICK_SAMPLES) n = QUICK_SAMPLES;
    static event_log cb;
    cb.n = 0;
    voce_vad_config c = voce_vad_config_default();
    c.on_event = log_event;
    c.user_data = &cb;
    voce_vad *vad = NULL;
    voce_vad_segment *segs = NULL;
    size_t n_segs = 0;
    CHECK_OK(voce_vad_open(prog_path, &c, &vad));
    CHECK_OK(voce_vad_segments(vad, pcm, n, &segs, &n_segs));
    CHECK(cb.n == 0); /* the offline helper does not call back */
    CHECK(n_segs >= 5);
    for (size_t k = 0; k < n_segs; k++)
        CHECK(segs[k].start < segs[k].end && segs[k].end <= (int64_t)n && (k == 0 || segs[k - 1].end <= segs[k].start));
    static const size_t pieces[] = {1, 160, 511, 512, 4000, 1 << 20};
    for (size_t pi = 0; pi < sizeof pieces / sizeof pieces[0]; pi++) {
        static event_log polled;
        polled.n = 0;
        cb.n = 0;
        voce_vad_reset(vad);
        for (size_t i = 0; i < n; i += pieces[pi]) {
            CHECK_OK(voce_vad_push(vad, pcm + i, n - i < pieces[pi] ? n - i : pieces[pi]));
            while (voce_vad_next_event(vad, &polled.ev[polled.n])) polled.n++;
        }
        CHECK_OK(voce_vad_flush(vad));
        while (voce_vad_next_event(vad, &polled.ev[polled.n])) polled.n++;
        CHECK_MSG(same_events(&cb, segs, n_segs), "callback events differ with %zu-sample pushes", pieces[pi]);
        CHECK_MSG(same_events(&polled, segs, n_segs), "polled events differ with %zu-sample pushes", pieces[pi]);
        CHECK(fabs(polled.ev[1].time - (double)polled.ev[1].sample / 16000) < 1e-12);
    }
    CHECK_ERR(voce_vad_push(vad, pcm, 10), VOCE_ERR_STATE); /* after flush */
    CHECK(strstr(voce_last_error(), "reset"));
    free(segs);
    voce_vad_close(vad);
    free(pcm);
}

/* keep_probs gives the per-window probabilities, equal to ONNX Runtime's. */
static void test_probs_match_ort(void)
{
    char prog_path[1024], ref[1100], wav[1024];
    snprintf(ref, sizeof ref, "%s/silero_vad.npy", vt_build_path(NULL, "ort-ref"));
    vc_tensor t;
    if (!copy_data("audio/silero-test.wav", wav) || !compile_family("silero_vad", prog_path, sizeof prog_path))
        VT_SKIP("needs silero-test.wav and silero_vad.onnx");
    if (vc_npy_read(ref, &t)) VT_SKIP("needs %s (gen_ort_refs)", ref);
    size_t n, nw = 0;
    int rate;
    float *pcm = vt_read_wav16(wav, &n, &rate);
    if (pcm && vt_quick() && n > QUICK_SAMPLES) n = QUICK_SAMPLES;
    voce_vad_config c = voce_vad_config_default();
    c.keep_probs = 1;
    voce_vad *vad = NULL;
    CHECK_OK(voce_vad_open(prog_path, &c, &vad));
    CHECK_OK(voce_vad_push(vad, pcm, n));
    CHECK_OK(voce_vad_flush(vad));
    const float *p = voce_vad_probs(vad, &nw);
    CHECK(nw == (n + 511) / 512);
    CHECK(t.dims[0] == (int64_t)(n / 512) || (vt_quick() && t.dims[0] > (int64_t)(n / 512)));
    int64_t nref = (int64_t)(n / 512);
    double worst = 0;
    for (int64_t i = 0; i < nref; i++) worst = fmax(worst, fabs(p[i] - ((float *)t.data)[i]));
    printf("  max |voce - ORT| over %lld windows: %.2g\n", (long long)nref, worst);
    CHECK(worst < 1e-4);
    CHECK(voce_vad_window(vad) == 512 && voce_vad_model_version(vad) == 5);
    free(t.data);
    free(pcm);
    voce_vad_close(vad);
}

/* NaN and infinite samples count as silence: the same probabilities as zeros. */
static void test_nonfinite_samples(void)
{
    char prog_path[1024];
    if (!compile_family("silero_vad", prog_path, sizeof prog_path)) VT_SKIP("needs silero_vad.onnx");
    float odd[2048], zero[2048] = {0};
    for (int i = 0; i < 2048; i++) odd[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
    voce_vad_config c = voce_vad_config_default();
    c.keep_probs = 1;
    voce_vad *a = NULL, *z = NULL;
    CHECK_OK(voce_vad_open(prog_path, &c, &a));
    CHECK_OK(voce_vad_open(prog_path, &c, &z));
    CHECK_OK(voce_vad_push(a, odd, 2048));
    CHECK_OK(voce_vad_push(z, zero, 2048));
    size_t na, nz;
    const float *pa = voce_vad_probs(a, &na), *pz = voce_vad_probs(z, &nz);
    CHECK(na == 4 && nz == 4);
    for (int i = 0; i < 4; i++) CHECK(pa[i] == pz[i] && isfinite(pa[i]));
    voce_vad_close(a);
    voce_vad_close(z);
}

/* Empty and tiny input: no segments, no crash; a lone short burst is dropped. */
static void test_empty_and_short(void)
{
    char prog_path[1024];
    if (!compile_family("silero_vad", prog_path, sizeof prog_path)) VT_SKIP("needs silero_vad.onnx");
    voce_vad *vad = NULL;
    CHECK_OK(voce_vad_open(prog_path, NULL, &vad));
    voce_vad_segment *segs = (voce_vad_segment *)1;
    size_t n = 99;
    CHECK_OK(voce_vad_segments(vad, NULL, 0, &segs, &n));
    CHECK(n == 0 && segs == NULL);
    float one = 0.5f;
    CHECK_OK(voce_vad_segments(vad, &one, 1, &segs, &n));
    CHECK(n == 0);
    size_t nw;
    voce_vad_probs(vad, &nw);
    CHECK(nw == 0); /* keep_probs is off */
    voce_vad_close(vad);
}

/* Every generation and rate the files serve opens and runs. */
static void test_generations_and_rates(void)
{
    static const struct { const char *stem; int version, has8k; } m[] = {
        {"silero_vad", 5, 1}, {"silero_vad_v5_npm", 5, 1}, {"silero_vad_legacy_npm", 4, 1},
        {"silero_vad_16k_op15", 5, 0}, {"silero_vad_half", 5, 0}};
    float pcm[8000];
    for (int i = 0; i < 8000; i++) pcm[i] = 0.3f * sinf((float)i * 0.07f) * sinf((float)i * 0.001f);
    int ran = 0;
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
        char prog_path[1024];
        if (!compile_family(m[k].stem, prog_path, sizeof prog_path)) continue;
        for (int r = 0; r < 2; r++) {
            voce_vad_config c = voce_vad_config_default();
            c.sample_rate = r ? 8000 : 16000;
            c.keep_probs = 1;
            voce_vad *vad = NULL;
            voce_status st = voce_vad_open(prog_path, &c, &vad);
            if (r && !m[k].has8k) {
                CHECK_MSG(st == VOCE_ERR_UNSUPPORTED && strstr(voce_last_error(), "16000"), "%s at 8 kHz: %s",
                          m[k].stem, voce_last_error());
                continue;
            }
            CHECK_OK(st);
            CHECK(voce_vad_model_version(vad) == m[k].version);
            CHECK(voce_vad_window(vad) == (r ? 256 : 512));
            CHECK_OK(voce_vad_push(vad, pcm, 8000));
            size_t nw;
            const float *p = voce_vad_probs(vad, &nw);
            CHECK(nw == 8000u / (r ? 256 : 512));
            for (size_t i = 0; i < nw; i++) CHECK(p[i] >= 0 && p[i] <= 1);
            voce_vad_close(vad);
            ran++;
        }
    }
    if (!ran) VT_SKIP("needs the Silero ONNX files");
}

static void test_refusals(void)
{
    char prog_path[1024];
    if (!compile_family("silero_vad", prog_path, sizeof prog_path)) VT_SKIP("needs silero_vad.onnx");
    voce_vad *vad = NULL;
    voce_vad_config c = voce_vad_config_default();
    c.threshold = 1.5;
    CHECK_ERR(voce_vad_open(prog_path, &c, &vad), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "threshold"));
    c = voce_vad_config_default();
    c.min_silence_ms = -1;
    CHECK_ERR(voce_vad_open(prog_path, &c, &vad), VOCE_ERR_INVALID_ARG);
    c = voce_vad_config_default();
    c.sample_rate = 44100;
    CHECK_ERR(voce_vad_open(prog_path, &c, &vad), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "44100"));
    c = voce_vad_config_default();
    c.max_speech_s = NAN;
    CHECK_ERR(voce_vad_open(prog_path, &c, &vad), VOCE_ERR_INVALID_ARG);
    CHECK(vad == NULL);
    CHECK_ERR(voce_vad_open("/nonexistent/x.voce", NULL, &vad), VOCE_ERR_IO);
    CHECK(strstr(voce_last_error(), "/nonexistent/x.voce"));

    /* a program without the family's metadata */
    const char *onnx = vt_data("models/silero-vad/silero_vad.onnx");
    char plain[1024];
    snprintf(plain, sizeof plain, "%s", vt_tmp("plain.voce"));
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = onnx;
    o.fix_name[o.n_fix] = "sr";
    o.fix_value[o.n_fix++] = "16000";
    CHECK_OK(vc_compile(&o, plain, NULL));
    CHECK_ERR(voce_vad_open(plain, NULL, &vad), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "--family silero-vad") && strstr(voce_last_error(), "plain.voce"));

    /* metadata of the wrong shape: a scalar where the runner needs an array */
    o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = onnx;
    o.family = "silero-vad";
    o.meta_key[o.n_meta] = "vad.windows";
    o.meta_value[o.n_meta++] = "512";
    CHECK_OK(vc_compile(&o, plain, NULL));
    CHECK_ERR(voce_vad_open(plain, NULL, &vad), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "vad.windows"));

    /* the family refuses a model that is not Silero, and --fix beside it */
    o.n_meta = 0;
    o.fix_name[o.n_fix] = "sr";
    o.fix_value[o.n_fix++] = "16000";
    CHECK_ERR(vc_compile(&o, plain, NULL), VOCE_ERR_INVALID_ARG);
    const char *tiny = vt_data("models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
    if (tiny) {
        o = vc_compile_options_default();
        o.onnx_path[o.n_inputs++] = tiny;
        o.family = "silero-vad";
        CHECK_ERR(vc_compile(&o, plain, NULL), VOCE_ERR_FORMAT);
        CHECK(strstr(voce_last_error(), "not a Silero VAD model"));
    }
    o.family = "no-such-family";
    CHECK_ERR(vc_compile(&o, plain, NULL), VOCE_ERR_INVALID_ARG);
}

int main(void)
{
    vt_run("segmenter_cases", test_segmenter_cases);
    vt_run("event_latency", test_event_latency);
    vt_run("streaming_equals_offline", test_streaming_equals_offline);
    vt_run("probs_match_ort", test_probs_match_ort);
    vt_run("nonfinite_samples", test_nonfinite_samples);
    vt_run("empty_and_short", test_empty_and_short);
    vt_run("generations_and_rates", test_generations_and_rates);
    vt_run("refusals", test_refusals);
    return vt_finish();
}
