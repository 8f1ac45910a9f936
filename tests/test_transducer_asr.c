/* NeMo transducer (TDT, RNN-T) and CTC programs through the speech-recognition API
 * (include/voce/asr.h) on the random-weight models of tests/ref/gen_transducer_layouts.py:
 * the per-token log-probabilities of the greedy decode against PyTorch's
 * (greedy_logprobs.npy; CTC: logprobs.npy at each token's first frame); jfk.wav from PCM
 * to a transcript whose tokens, text and word times are those of facts.json (offsets x
 * 0.08 s), whose segments end after words ending in . ? ! (NeMo's rule) with their
 * words' times; VAD gating (silence gives an empty transcript, padded speech keeps its
 * times inside the speech); the parameters refused for transducers, input beyond the
 * encoder's 400 s (now transcribed in windows) and input shorter than one encoder frame. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "core/mapfile.h"
#include "core/npy.h"
#include "harness.h"
#include "models/transducer/decode.h"
#include "text/json.h"
#include "voce/asr.h"
#include "voce/audio.h"

static const char *ref_root(void) { return vt_build_path("VOCE_TRANSDUCER_LAYOUTS", "transducer-layouts"); }

static const char *ref_file(const char *model, const char *name)
{
    static char p[1200];
    snprintf(p, sizeof p, "%s/%s/ref/%s", ref_root(), model, name);
    return p;
}

static int have_refs(const char *model)
{
    FILE *f = fopen(ref_file(model, "facts.json"), "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* The sherpa layout of model compiled to a file of the scratch folder. */
static const char *compiled(const char *model)
{
    static char out[1200];
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/%s/sherpa", ref_root(), model);
    snprintf(out, sizeof out, "%s", vt_tmp(!strcmp(model, "ctc") ? "asr-ctc.voce" : !strcmp(model, "tdt") ? "asr-tdt.voce"
                                                                                                        : "asr-rnnt.voce"));
    return vt_compile(dir, strcmp(model, "ctc") ? "transducer" : "ctc", out) ? NULL : out;
}

/* ---- the decoder's log-probabilities on ref/features.npy ---- */

static void logprobs_of(const char *model)
{
    if (!have_refs(model)) VT_SKIP("no transducer references at %s (gen_transducer_layouts makes them)", ref_root());
    const char *path = compiled(model);
    CHECK_MSG(path, "compile %s: %s", model, voce_last_error());
    int ctc = !strcmp(model, "ctc");
    vc_tensor feats = {0}, flen = {0}, want = {0}, tok = {0};
    voce_program *prog = NULL;
    vc_td_model m;
    memset(&m, 0, sizeof m);
    vc_td_hyp h = {0};
    voce_status st = vc_npy_read(ref_file(model, "features.npy"), &feats);
    if (!st) st = vc_npy_read(ref_file(model, "features_len.npy"), &flen);
    if (!st) st = vc_npy_read(ref_file(model, ctc ? "logprobs.npy" : "greedy_logprobs.npy"), &want);
    if (!st) st = vc_npy_read(ref_file(model, "greedy_tokens.npy"), &tok);
    if (!st) st = voce_program_open(path, NULL, &prog);
    if (!st) st = vc_td_model_open(&m, prog, NULL);
    if (!st) st = vc_td_model_encode(&m, feats.data, (int)feats.dims[2], (int)((int64_t *)flen.data)[0]);
    if (!st) st = vc_td_decode(&m, &h);
    double worst = 0;
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", model, voce_last_error());
    else if (h.n != tok.dims[0]) vt_fail(__FILE__, __LINE__, "%s: %d tokens, the reference %lld", model, h.n, (long long)tok.dims[0]);
    for (int i = 0; !st && i < h.n && !vt_failed(); i++) {
        const float *w = want.data;
        /* CTC: logprobs [1, T, V + 1] at the token's first frame */
        double ref = ctc ? w[(size_t)h.frames[i] * (size_t)want.dims[2] + (size_t)h.tokens[i]] : w[i];
        worst = fmax(worst, fabs(h.logprobs[i] - ref));
        if (!(h.logprobs[i] <= 0) || fabs(h.logprobs[i] - ref) > 1e-4)
            vt_fail(__FILE__, __LINE__, "%s token %d: log-probability %.6f, PyTorch %.6f", model, i, h.logprobs[i], ref);
    }
    printf("  %s: %d token log-probabilities within %.2g of PyTorch\n", model, h.n, worst);
    vc_td_hyp_free(&h);
    if (m.prog) vc_td_model_close(&m);
    voce_program_close(prog);
    free(feats.data), free(flen.data), free(want.data), free(tok.data);
}

static void test_logprobs_tdt(void) { logprobs_of("tdt"); }
static void test_logprobs_rnnt(void)
{
    if (vt_quick()) VT_SKIP("VOCE_TEST_QUICK: the TDT model's run covers the decoder");
    logprobs_of("rnnt");
}
static void test_logprobs_ctc(void) { logprobs_of("ctc"); }

/* ---- the API on jfk.wav ---- */

typedef struct facts {
    vc_json j;
    const vc_json_node *words;
    const char *text;
    size_t text_len;
} facts;

static int read_facts(const char *model, facts *f)
{
    vc_mapfile mf;
    memset(f, 0, sizeof *f);
    if (vc_mapfile_open(ref_file(model, "facts.json"), &mf)) return 0;
    voce_status st = vc_json_parse(mf.data, mf.size, "facts.json", &f->j);
    vc_mapfile_close(&mf);
    if (st) return 0;
    const vc_json_node *g = vc_json_member(&f->j, vc_json_root(&f->j), "greedy");
    f->words = g ? vc_json_member(&f->j, g, "words") : NULL;
    f->text = g ? vc_json_string(&f->j, vc_json_member(&f->j, g, "text"), &f->text_len) : NULL;
    return f->words && f->text;
}

static const char *strip(const char *s)
{
    while (*s == ' ') s++;
    return s;
}

/* The words of t against facts.json's: text, start and end (offset x 0.08 s). */
static void check_words(const char *model, const voce_transcript *t, facts *f, double shift)
{
    const vc_json_node *e = vc_json_child(&f->j, f->words);
    size_t n = 0;
    for (size_t s = 0; s < t->n_segments && !vt_failed(); s++)
        for (size_t k = 0; k < t->segments[s].n_words && !vt_failed(); k++, n++) {
            const voce_word *w = &t->segments[s].words[k];
            size_t wl = 0;
            const char *ww = e ? vc_json_string(&f->j, vc_json_member(&f->j, e, "word"), &wl) : NULL;
            int64_t so = -1, eo = -1;
            if (e) vc_json_int(&f->j, vc_json_member(&f->j, e, "start_offset"), 0, 1 << 30, &so);
            if (e) vc_json_int(&f->j, vc_json_member(&f->j, e, "end_offset"), 0, 1 << 30, &eo);
            int same = ww && strlen(strip(w->text)) == wl && !memcmp(strip(w->text), ww, wl) &&
                       fabs(w->start - (so * 0.08 + shift)) < 1e-6 && fabs(w->end - (eo * 0.08 + shift)) < 1e-6 &&
                       w->probability > 0 && w->probability <= 1;
            if (!same)
                vt_fail(__FILE__, __LINE__, "%s word %zu: \"%s\" %.3f-%.3f p %.3f, facts.json \"%.*s\" %.3f-%.3f", model, n,
                        w->text, w->start, w->end, (double)w->probability, (int)wl, ww ? ww : "", so * 0.08 + shift,
                        eo * 0.08 + shift);
            e = e ? vc_json_next(&f->j, e) : NULL;
        }
    if (!vt_failed() && e) vt_fail(__FILE__, __LINE__, "%s: %zu words, facts.json has more", model, n);
}

/* Segments: each ends after a word ending in . ? ! (the last one may not), its times
 * are its words', its text is its words; avg_logprob is its tokens' mean; a word's
 * probability is one of its segment's token probabilities, none above the least. */
static void check_segments(const char *model, const voce_transcript *t)
{
    for (size_t s = 0; s < t->n_segments && !vt_failed(); s++) {
        const voce_segment *g = &t->segments[s];
        CHECK_MSG(g->n_words > 0 && g->n_tokens > 0, "%s segment %zu: %zu words, %zu tokens", model, s, g->n_words, g->n_tokens);
        char text[4096] = "";
        double sum = 0;
        for (size_t k = 0; k < g->n_words; k++) {
            const char *w = strip(g->words[k].text);
            size_t n = strlen(w);
            int ends = n && strchr(".?!", w[n - 1]);
            CHECK_MSG(ends == (k == g->n_words - 1) || (s == t->n_segments - 1 && !ends),
                      "%s segment %zu: word %zu \"%s\" does not follow the . ? ! rule", model, s, k, w);
            snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", k ? " " : "", w);
            int found = 0;
            for (size_t i = 0; i < g->n_tokens; i++) found |= fabsf(g->tokens[i].probability - g->words[k].probability) < 1e-7f;
            CHECK_MSG(found, "%s segment %zu word %zu: probability %.4f is none of its segment's tokens'", model, s, k,
                      (double)g->words[k].probability);
        }
        for (size_t i = 0; i < g->n_tokens; i++) {
            sum += g->tokens[i].logprob;
            CHECK(fabsf(g->tokens[i].probability - expf(g->tokens[i].logprob)) < 1e-6f);
        }
        CHECK_MSG(!strcmp(strip(g->text), text), "%s segment %zu: \"%s\" vs its words \"%s\"", model, s, g->text, text);
        CHECK(fabs(g->start - g->words[0].start) < 1e-9 && fabs(g->end - g->words[g->n_words - 1].end) < 1e-9);
        CHECK_MSG(fabs(g->avg_logprob - sum / (double)g->n_tokens) < 1e-5, "%s segment %zu: avg_logprob %.5f, mean %.5f",
                  model, s, (double)g->avg_logprob, sum / (double)g->n_tokens);
    }
}

/* The tokens of all segments against greedy_tokens.npy (and, transducers, their
 * log-probabilities against greedy_logprobs.npy: the features come from PCM here). */
static void check_tokens(const char *model, const voce_transcript *t)
{
    vc_tensor tok = {0}, lp = {0};
    int ctc = !strcmp(model, "ctc");
    CHECK_OK(vc_npy_read(ref_file(model, "greedy_tokens.npy"), &tok));
    voce_status st = ctc ? VOCE_OK : vc_npy_read(ref_file(model, "greedy_logprobs.npy"), &lp);
    size_t n = 0;
    double worst = 0;
    for (size_t s = 0; !st && s < t->n_segments; s++)
        for (size_t k = 0; k < t->segments[s].n_tokens; k++, n++) {
            const voce_token *x = &t->segments[s].tokens[k];
            if (n >= (size_t)tok.dims[0] || x->id != ((int64_t *)tok.data)[n]) break;
            if (!ctc) worst = fmax(worst, fabs(x->logprob - ((float *)lp.data)[n]));
        }
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", model, voce_last_error());
    else if (n != (size_t)tok.dims[0]) vt_fail(__FILE__, __LINE__, "%s: token %zu differs from greedy_tokens.npy", model, n);
    else if (worst > 2e-3) vt_fail(__FILE__, __LINE__, "%s: token log-probabilities %.3g from PyTorch's", model, worst);
    free(tok.data);
    free(lp.data);
}

/* As many segments as facts.json's words end sentences (NeMo's rule on the reference). */
static void check_segment_count(const char *model, const voce_transcript *t, facts *f)
{
    size_t want = 0, len = 0;
    int open = 0;
    for (const vc_json_node *e = vc_json_child(&f->j, f->words); e; e = vc_json_next(&f->j, e)) {
        const char *w = vc_json_string(&f->j, vc_json_member(&f->j, e, "word"), &len);
        int ends = w && len && strchr(".?!", w[len - 1]);
        want += ends;
        open = !ends;
    }
    want += open;
    CHECK_MSG(t->n_segments == want, "%s: %zu segments, facts.json's words make %zu", model, t->n_segments, want);
}

static voce_asr *open_asr(const char *model, const char *vad)
{
    const char *path = compiled(model);
    if (!path) {
        vt_fail(__FILE__, __LINE__, "compile %s: %s", model, voce_last_error());
        return NULL;
    }
    voce_asr_config c = voce_asr_config_default();
    c.threads = 1;
    c.vad_model = vad;
    voce_asr *asr = NULL;
    if (voce_asr_open(path, &c, &asr)) vt_fail(__FILE__, __LINE__, "open %s: %s", path, voce_last_error());
    return asr;
}

static void transcribe_jfk(const char *model)
{
    const char *wav = vt_data("audio/jfk.wav");
    if (!wav || !have_refs(model)) VT_SKIP("needs audio/jfk.wav and the transducer references at %s", ref_root());
    facts f;
    CHECK_MSG(read_facts(model, &f), "%s: facts.json has no greedy words and text", model);
    voce_asr *asr = open_asr(model, NULL);
    voce_transcript *t = NULL;
    if (asr) {
        CHECK(!strcmp(voce_asr_family(asr), "transducer") && voce_asr_sample_rate(asr) == 16000);
        voce_transcribe_params p = voce_transcribe_params_default();
        p.word_timestamps = 1;
        voce_status st = voce_asr_transcribe_file(asr, wav, &p, &t);
        if (st) vt_fail(__FILE__, __LINE__, "%s: %s", model, voce_last_error());
    }
    if (t) {
        if (strlen(t->text) != f.text_len || memcmp(t->text, f.text, f.text_len))
            vt_fail(__FILE__, __LINE__, "%s text \"%s\" vs \"%.*s\"", model, t->text, (int)f.text_len, f.text);
        if (!vt_failed()) check_tokens(model, t);
        if (!vt_failed()) check_words(model, t, &f, 0.0);
        if (!vt_failed()) check_segments(model, t);
        if (!vt_failed()) check_segment_count(model, t, &f);
        printf("  %s: %zu segments, duration %.2f s\n", model, t->n_segments, t->duration);
    }
    voce_transcript_free(t);
    voce_asr_close(asr);
    vc_json_free(&f.j);
}

static void test_jfk_tdt(void) { transcribe_jfk("tdt"); }
static void test_jfk_rnnt(void)
{
    if (vt_quick()) VT_SKIP("VOCE_TEST_QUICK: TDT and CTC only");
    transcribe_jfk("rnnt");
}
static void test_jfk_ctc(void) { transcribe_jfk("ctc"); }

/* ---- VAD gating, parameters, lengths ---- */

static const char *vad_program(void)
{
    const char *onnx = vt_data("models/silero-vad/silero_vad.onnx");
    if (!onnx) return NULL;
    static char out[1200];
    snprintf(out, sizeof out, "%s", vt_tmp("asr-td-vad.voce"));
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = onnx;
    o.family = "silero-vad";
    return vc_compile(&o, out, NULL) ? NULL : out;
}

static void test_vad(void)
{
    char wav[1200] = ""; /* vt_data's buffer is reused by vad_program */
    if (vt_data("audio/jfk.wav")) snprintf(wav, sizeof wav, "%s", vt_data("audio/jfk.wav"));
    const char *vad = vad_program();
    if (!wav[0] || !vad || !have_refs("tdt")) VT_SKIP("needs audio/jfk.wav, models/silero-vad and the references");
    size_t n = 0;
    int rate = 0;
    float *jfk = NULL;
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = 16000;
    CHECK_OK(voce_audio_read_file(wav, &o, &jfk, &n, &rate));
    size_t pad = 3 * 16000, total = pad + n + pad;
    float *pcm = calloc(total, sizeof *pcm);
    voce_asr *asr = pcm ? open_asr("tdt", vad) : NULL;
    voce_transcript *t = NULL;
    voce_transcribe_params p = voce_transcribe_params_default();
    p.vad = 1;
    if (asr && voce_asr_transcribe(asr, pcm, total, &p, &t)) vt_fail(__FILE__, __LINE__, "silence: %s", voce_last_error());
    if (t && (t->n_segments || t->text[0]))
        vt_fail(__FILE__, __LINE__, "silence gave %zu segments: \"%s\"", t->n_segments, t->text);
    voce_transcript_free(t);
    t = NULL;
    memcpy(pcm + pad, jfk, n * sizeof *pcm);
    p.word_timestamps = 1;
    if (asr && !vt_failed() && voce_asr_transcribe(asr, pcm, total, &p, &t))
        vt_fail(__FILE__, __LINE__, "padded speech: %s", voce_last_error());
    for (size_t s = 0; t && s < t->n_segments && !vt_failed(); s++)
        for (size_t k = 0; k < t->segments[s].n_words; k++) {
            const voce_word *w = &t->segments[s].words[k];
            if (!(w->start >= 2.9 && w->start <= w->end && w->end <= 3.0 + 11.1))
                vt_fail(__FILE__, __LINE__, "gated word \"%s\" at %.2f-%.2f is outside the speech", w->text, w->start, w->end);
        }
    if (t && !vt_failed()) CHECK_MSG(t->n_segments > 0 && fabs(t->duration - (double)total / 16000) < 1e-9,
                                     "padded speech: %zu segments, duration %.2f", t->n_segments, t->duration);
    voce_transcript_free(t);
    voce_asr_close(asr);
    free(pcm);
    free(jfk);
}

static int refused(voce_asr *asr, const voce_transcribe_params *p, const char *what, const char *msg)
{
    float pcm[16000] = {0};
    voce_transcript *t = NULL;
    voce_status st = voce_asr_transcribe(asr, pcm, 16000, p, &t);
    voce_transcript_free(t);
    if (st && strstr(voce_last_error(), msg)) return 1;
    vt_fail(__FILE__, __LINE__, "%s: %s (%s), expected a message with \"%s\"", what, voce_status_str(st),
            st ? voce_last_error() : "", msg);
    return 0;
}

static void test_params_and_lengths(void)
{
    if (!have_refs("ctc")) VT_SKIP("no transducer references at %s", ref_root());
    voce_asr *asr = open_asr("ctc", NULL);
    if (!asr) return;
    voce_transcribe_params d = voce_transcribe_params_default(), p = d;
    p.language = "de";
    int ok = refused(asr, &p, "language de", "leave the language at auto");
    p = d, p.task = VOCE_TASK_TRANSLATE;
    ok = ok && refused(asr, &p, "translate", "cannot translate");
    p = d, p.beam_size = 3;
    ok = ok && refused(asr, &p, "beam 3", "beam search");
    p = d, p.temperature = 0.5f;
    ok = ok && refused(asr, &p, "temperature 0.5", "temperature");
    p = d, p.initial_prompt = "hello";
    ok = ok && refused(asr, &p, "a prompt", "prompt");
    p = d, p.vad = 1;
    ok = ok && refused(asr, &p, "vad without a VAD model", "without a VAD model");
    /* what is accepted: auto, greedy, the defaults of Whisper's fallback */
    voce_transcript *t = NULL;
    p = d, p.language = "auto", p.beam_size = 1, p.best_of = 1, p.temperature_increment = 0, p.timestamps = 0;
    float *pcm = ok ? calloc(6400160, sizeof *pcm) : NULL;
    if (pcm && voce_asr_transcribe(asr, pcm, 16000, &p, &t)) vt_fail(__FILE__, __LINE__, "auto, beam 1: %s", voce_last_error());
    voce_transcript_free(t);
    t = NULL;
    /* shorter than one encoder frame (1280 samples): an empty transcript */
    if (pcm && !vt_failed() && voce_asr_transcribe(asr, pcm, 1279, &d, &t))
        vt_fail(__FILE__, __LINE__, "1279 samples: %s", voce_last_error());
    if (t && (t->n_segments || t->text[0] || fabs(t->duration - 1279 / 16000.0) > 1e-12))
        vt_fail(__FILE__, __LINE__, "1279 samples: %zu segments \"%s\"", t->n_segments, t->text);
    voce_transcript_free(t);
    t = NULL;
    if (pcm && !vt_failed() && voce_asr_transcribe(asr, pcm, 0, &d, &t)) vt_fail(__FILE__, __LINE__, "0 samples: %s", voce_last_error());
    voce_transcript_free(t);
    t = NULL;
    /* 400.01 s: 5001 encoder frames, beyond one pass of the encoder: encoded in windows
     * (test_transducer_long checks how; not under VOCE_TEST_QUICK, where 400 s of
     * encoder under qemu take minutes) */
    if (pcm && !vt_failed() && !vt_quick()) {
        voce_status st = voce_asr_transcribe(asr, pcm, 6400160, &d, &t);
        if (st || fabs(t->duration - 400.01) > 1e-9)
            vt_fail(__FILE__, __LINE__, "400.01 s: %s (%s)", voce_status_str(st), st ? voce_last_error() : "");
        voce_transcript_free(t);
    }
    free(pcm);
    voce_asr_close(asr);
}

int main(void)
{
    vt_run("logprobs_tdt", test_logprobs_tdt);
    vt_run("logprobs_rnnt", test_logprobs_rnnt);
    vt_run("logprobs_ctc", test_logprobs_ctc);
    vt_run("jfk_tdt", test_jfk_tdt);
    vt_run("jfk_rnnt", test_jfk_rnnt);
    vt_run("jfk_ctc", test_jfk_ctc);
    vt_run("vad", test_vad);
    vt_run("params_and_lengths", test_params_and_lengths);
    return vt_finish();
}
