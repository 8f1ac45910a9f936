/* Whisper exports compiled with `--family whisper` against PyTorch: random-weight
 * English-only and multilingual models written by tests/ref/gen_whisper_layouts.py
 * (the reference model is tests/ref/whisper_torch.py, independent of the export
 * scripts) in the three layouts: ours, sherpa-onnx's and Hugging Face's (merged
 * decoder, and the pair of decoders). Checked: the encoder's output (ours, sherpa:
 * the cross-attention keys and values; HF: the hidden states, and the keys and values
 * its prompt decoder makes from them), teacher-forced logits (and, ours, the
 * alignment-head attention) for 20 tokens at once, 128 greedy steps one token at a
 * time through the KV cache, token for token, and beams (a batch fanned out from the
 * prompt and reordered) against the single sequence. */
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "core/npy.h"
#include "harness.h"
#include "models/whisper/model.h"

/* VOCE_WHISPER_LAYOUTS, set by tests/CMakeLists.txt; else the build directory's copy. */
static const char *ref_root(void) { return vt_build_path("VOCE_WHISPER_LAYOUTS", "whisper-layouts"); }

static int load_npy(const char *model, const char *name, vc_tensor *t)
{
    return vt_read_npy(t, "%s/%s/ref/%s.npy", ref_root(), model, name);
}

/* dir: a layout directory; HF's pair of decoders is tested from a copy of hf/ without
 * the merged file (symbolic links). */
static void layout_dir(const char *model, const char *layout, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s/%s", ref_root(), model, layout);
    if (strcmp(layout, "hf-pair")) return;
    static const char *const files[] = {"config.json", "generation_config.json", "tokenizer.json",
                                        "encoder_model.onnx", "decoder_model.onnx",
                                        "decoder_with_past_model.onnx"};
    snprintf(dir, cap, "%s", vt_tmp("hf-pair"));
    mkdir(dir, 0755);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char from[1200], to[1200];
        snprintf(from, sizeof from, "%s/%s/hf/%s", ref_root(), model, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        unlink(to);
        if (symlink(from, to)) vt_fail(__FILE__, __LINE__, "cannot link %s", to);
    }
}

static int open_layout(const char *model, const char *layout, voce_program **p, vc_whisper_model *m)
{
    char dir[1200], out[1200];
    layout_dir(model, layout, dir, sizeof dir);
    snprintf(out, sizeof out, "%s", vt_tmp("whisper.voce"));
    voce_status st = vt_compile(dir, "whisper", out);
    if (!st) st = voce_program_open(out, NULL, p);
    voce_method_options mo = voce_method_options_default();
    mo.threads = 1;
    if (!st) st = vc_whisper_model_open(m, *p, &mo);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", dir, voce_last_error());
    return st == VOCE_OK;
}

/* Layer l's cross-attention keys (kv 0) or values (kv 1) as [T][d], from m->cross in
 * whichever layout the model has. */
static void cross_of(const vc_whisper_model *m, int l, int kv, float *out)
{
    int T = m->d.n_audio_ctx, D = m->d.n_text_state, H = m->d.n_text_head, dh = D / H;
    if (m->layout == VC_WHISPER_LAYOUT_VOCE) {
        memcpy(out, m->cross[2 * l + kv].data, sizeof(float) * (size_t)T * (size_t)D);
    } else if (m->layout == VC_WHISPER_LAYOUT_SHERPA) {
        memcpy(out, (const float *)m->cross[kv].data + (size_t)l * (size_t)T * (size_t)D,
               sizeof(float) * (size_t)T * (size_t)D);
    } else {
        const float *src = m->cross[2 * l + kv].data; /* [1, H, T, dh] */
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++)
                memcpy(out + (size_t)t * (size_t)D + (size_t)(h * dh), src + ((size_t)h * (size_t)T + (size_t)t) * (size_t)dh,
                       sizeof(float) * (size_t)dh);
    }
}

static void check_cross(const char *model, vc_whisper_model *m)
{
    float *got = malloc(sizeof(float) * (size_t)m->d.n_audio_ctx * (size_t)m->d.n_text_state);
    for (int l = 0; got && l < 2 * m->d.n_text_layer; l++) {
        char name[32];
        snprintf(name, sizeof name, "cross_%c_%d", l % 2 ? 'v' : 'k', l / 2);
        vc_tensor want;
        if (!load_npy(model, name, &want)) break;
        cross_of(m, l / 2, l % 2, got);
        double d = vt_rel_diff(got, want.data, (size_t)vc_numel(&want));
        free(want.data);
        CHECK_MSG(d < 1e-4, "%s %s: relative difference %g", model, name, d);
    }
    free(got);
}

static void check_encoder(const char *model, vc_whisper_model *m)
{
    vc_tensor mel;
    if (!load_npy(model, "mel", &mel)) return;
    voce_status st = vc_whisper_model_encode(m, mel.data);
    free(mel.data);
    CHECK_OK(st);
    if (m->layout != VC_WHISPER_LAYOUT_HF) {
        check_cross(model, m);
        return;
    }
    vc_tensor want;
    voce_tensor got;
    if (!load_npy(model, "audio_features", &want)) return;
    CHECK_OK(voce_method_output(m->enc, m->enc_out, &got));
    double d = vt_rel_diff(got.data, want.data, (size_t)vc_numel(&want));
    free(want.data);
    CHECK_MSG(d < 1e-4, "%s: encoder hidden states differ by %g (relative)", model, d);
}

static void check_teacher_forced(const char *model, vc_whisper_model *m)
{
    vc_tensor tok, want, walign;
    if (!load_npy(model, "tf_tokens", &tok) || !load_npy(model, "tf_logits", &want) ||
        !load_npy(model, "tf_alignment", &walign))
        return;
    int n = (int)tok.dims[1];
    int32_t ids[64];
    for (int i = 0; i < n && i < 64; i++) ids[i] = (int32_t)vc_get_int(&tok, i);
    const float *logits, *align;
    int n_al = 0;
    voce_status st = vc_whisper_model_reset(m);
    if (!st) st = vc_whisper_model_decode(m, ids, n, &logits);
    double dl = st ? 1 : vt_rel_diff(logits, want.data, (size_t)vc_numel(&want));
    if (m->layout != VC_WHISPER_LAYOUT_VOCE) {
        /* no cross-attention output in these exports: word timestamps are refused */
        CHECK_ERR(vc_whisper_model_alignment(m, &align, &n_al), VOCE_ERR_UNSUPPORTED);
        n_al = n;
    } else if (!st) {
        st = vc_whisper_model_alignment(m, &align, &n_al);
    }
    double da = st || m->layout != VC_WHISPER_LAYOUT_VOCE ? 0 : vt_rel_diff(align, walign.data, (size_t)vc_numel(&walign));
    free(tok.data);
    free(want.data);
    free(walign.data);
    CHECK_OK(st);
    CHECK(n_al == n);
    CHECK_MSG(dl < 1e-4, "%s: teacher-forced logits differ by %g (relative)", model, dl);
    CHECK_MSG(da < 1e-4, "%s: alignment attention differs by %g (relative)", model, da);
    if (m->layout == VC_WHISPER_LAYOUT_HF) check_cross(model, m); /* made by the prompt */
}

static void check_greedy(const char *model, vc_whisper_model *m)
{
    vc_tensor prompt, want;
    if (!load_npy(model, "greedy_prompt", &prompt) || !load_npy(model, "greedy_tokens", &want)) return;
    int32_t seq[8];
    int np = (int)vc_numel(&prompt), steps = (int)vc_numel(&want), agree = 0;
    if (vt_quick() && steps > 16) steps = 16; /* under qemu: the same path, fewer steps */
    for (int i = 0; i < np && i < 8; i++) seq[i] = (int32_t)vc_get_int(&prompt, i);
    const float *logits;
    voce_status st = vc_whisper_model_reset(m);
    if (!st) st = vc_whisper_model_decode(m, seq, np, &logits);
    const float *last = st ? NULL : logits + (size_t)(np - 1) * (size_t)m->d.n_vocab;
    for (int s = 0; s < steps && !st; s++) {
        int32_t best = 0;
        for (int v = 1; v < m->d.n_vocab; v++)
            if (last[v] > last[best]) best = v;
        if (best != (int32_t)vc_get_int(&want, s)) break;
        agree++;
        if (s + 1 < steps) st = vc_whisper_model_decode(m, &best, 1, &last);
    }
    free(prompt.data);
    free(want.data);
    CHECK_OK(st);
    CHECK_MSG(agree == steps, "%s: greedy tokens agree for %d of %d steps", model, agree, steps);
}

/* Beams: after the prompt the caches fan out to 3 sequences fed different tokens; the
 * one fed the greedy token gives the logits the single sequence gave, and a reorder
 * that swaps sequences swaps their next logits. */
static void check_batch(const char *model, vc_whisper_model *m)
{
    vc_tensor prompt;
    if (!load_npy(model, "greedy_prompt", &prompt)) return;
    int32_t seq[8];
    int np = (int)vc_numel(&prompt);
    for (int i = 0; i < np && i < 8; i++) seq[i] = (int32_t)vc_get_int(&prompt, i);
    free(prompt.data);
    size_t V = (size_t)m->d.n_vocab;
    float *one = malloc(V * sizeof *one), *two = malloc(V * sizeof *two);
    const float *logits;
    int32_t toks[3] = {seq[np - 1] == 1 ? 2 : 1, 3, 7}, next[3] = {11, 13, 17};
    voce_status st = one && two ? vc_whisper_model_reset(m) : VOCE_ERR_NOMEM;
    if (!st) st = vc_whisper_model_decode(m, seq, np, &logits);
    if (!st) st = vc_whisper_model_decode(m, &toks[0], 1, &logits);
    if (!st) memcpy(one, logits, V * sizeof *one);
    if (!st) st = vc_whisper_model_decode(m, &next[0], 1, &logits);
    if (!st) memcpy(two, logits, V * sizeof *two);
    int src[3] = {0, 0, 0}, swap[3] = {2, 1, 0};
    if (!st) st = vc_whisper_model_reset(m);
    if (!st) st = vc_whisper_model_decode(m, seq, np, &logits);
    if (!st) st = vc_whisper_model_reorder(m, src, 3);
    if (!st) st = vc_whisper_model_decode_batch(m, 3, toks, 1, &logits);
    double d1 = st ? 1 : vt_rel_diff(logits, one, V);
    if (!st) st = vc_whisper_model_reorder(m, swap, 3);
    int32_t next_swapped[3] = {next[2], next[1], next[0]};
    if (!st) st = vc_whisper_model_decode_batch(m, 3, next_swapped, 1, &logits);
    double d2 = st ? 1 : vt_rel_diff(logits + 2 * V, two, V);
    /* a new sequence after beams (the temperature fallback) starts as the first did */
    if (!st) st = vc_whisper_model_reset(m);
    if (!st) st = vc_whisper_model_decode(m, seq, np, &logits);
    if (!st) st = vc_whisper_model_decode(m, &toks[0], 1, &logits);
    double d3 = st ? 1 : vt_rel_diff(logits, one, V);
    free(one);
    free(two);
    CHECK_OK(st);
    CHECK_MSG(d1 < 1e-5, "%s: sequence 0 of a batch of 3 differs from the single sequence by %g", model, d1);
    CHECK_MSG(d2 < 1e-5, "%s: after a reorder, the moved sequence differs by %g", model, d2);
    CHECK_MSG(d3 < 1e-5, "%s: a sequence after a batch differs from the first by %g", model, d3);
}

static void run_model(const char *model, const char *layout)
{
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/%s/ref/mel.npy", ref_root(), model);
    FILE *f = fopen(probe, "rb");
    if (!f) VT_SKIP("no Whisper references at %s (gen_whisper_layouts makes them)", probe);
    fclose(f);
    voce_program *p = NULL;
    vc_whisper_model m;
    if (!open_layout(model, layout, &p, &m)) {
        voce_program_close(p);
        return;
    }
    check_encoder(model, &m);
    if (!vt_failed()) check_teacher_forced(model, &m);
    if (!vt_failed()) check_greedy(model, &m);
    if (!vt_failed()) check_batch(model, &m);
    vc_whisper_model_close(&m);
    voce_program_close(p);
}

static void test_en_voce(void)
{
    if (vt_quick()) VT_SKIP("quick run: the multilingual model covers the same code");
    run_model("en", "voce");
}
static void test_multi_voce(void) { run_model("multi", "voce"); }
static void test_en_sherpa(void)
{
    if (vt_quick()) VT_SKIP("quick run: the multilingual model covers the same code");
    run_model("en", "sherpa");
}
static void test_multi_sherpa(void) { run_model("multi", "sherpa"); }
static void test_en_hf(void)
{
    if (vt_quick()) VT_SKIP("quick run: the multilingual model covers the same code");
    run_model("en", "hf");
}
static void test_multi_hf(void) { run_model("multi", "hf"); }
static void test_multi_hf_pair(void) { run_model("multi", "hf-pair"); }

/* A directory named `name` holding links to the given files of the layouts. */
static const char *link_dir(const char *name, const char *const *from, int n)
{
    static char dir[1200];
    snprintf(dir, sizeof dir, "%s", vt_tmp(name));
    mkdir(dir, 0755);
    for (int i = 0; i < n; i++) {
        char src[1200], to[1300];
        snprintf(src, sizeof src, "%s/%s", ref_root(), from[i]);
        const char *base = strrchr(from[i], '/');
        snprintf(to, sizeof to, "%s/%s", dir, base ? base + 1 : from[i]);
        unlink(to);
        if (symlink(src, to)) vt_fail(__FILE__, __LINE__, "cannot link %s", to);
    }
    return dir;
}

static voce_status compile_dir(const char *dir)
{
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = dir;
    o.family = "whisper";
    return vc_compile(&o, vt_tmp("bad.voce"), NULL);
}

/* Layouts with a file missing or from another model: refused at compile time, naming it. */
static void test_bad_layouts(void)
{
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/multi/ref/mel.npy", ref_root());
    FILE *f = fopen(probe, "rb");
    if (!f) VT_SKIP("no Whisper references at %s (gen_whisper_layouts makes them)", probe);
    fclose(f);
    const char *mixed[] = {"multi/sherpa/tiny-rand-encoder.onnx", "multi/sherpa/tiny-rand-decoder.onnx",
                           "en/sherpa/tiny-rand.en-tokens.txt"};
    CHECK_ERR(compile_dir(link_dir("sherpa-mixed", mixed, 3)), VOCE_ERR_FORMAT);
    CHECK_MSG(strstr(voce_last_error(), "the vocabulary has 51864 tokens") != NULL, "%s", voce_last_error());
    CHECK_ERR(compile_dir(link_dir("sherpa-notokens", mixed, 2)), VOCE_ERR_NOT_FOUND);
    CHECK_MSG(strstr(voce_last_error(), "tokens.txt") != NULL, "%s", voce_last_error());
    const char *hf[] = {"multi/hf/config.json", "multi/hf/tokenizer.json", "multi/hf/encoder_model.onnx",
                        "multi/hf/decoder_model.onnx"};
    CHECK_ERR(compile_dir(link_dir("hf-nodecoder", hf, 4)), VOCE_ERR_NOT_FOUND);
    CHECK_MSG(strstr(voce_last_error(), "decoder_with_past_model.onnx") != NULL, "%s", voce_last_error());
    const char *hf_en_vocab[] = {"multi/hf/config.json", "en/hf/tokenizer.json", "multi/hf/encoder_model.onnx",
                                 "multi/hf/decoder_model_merged.onnx", "multi/hf/generation_config.json"};
    CHECK_ERR(compile_dir(link_dir("hf-mixed", hf_en_vocab, 5)), VOCE_ERR_FORMAT);
    CHECK_MSG(strstr(voce_last_error(), "the vocabulary has 51864 tokens") != NULL, "%s", voce_last_error());
    CHECK_ERR(compile_dir(link_dir("empty", hf, 0)), VOCE_ERR_NOT_FOUND);
    CHECK_MSG(strstr(voce_last_error(), "holds no Whisper export") != NULL, "%s", voce_last_error());
}

int main(void)
{
    vt_run("en_voce", test_en_voce);
    vt_run("multi_voce", test_multi_voce);
    vt_run("en_sherpa", test_en_sherpa);
    vt_run("multi_sherpa", test_multi_sherpa);
    vt_run("en_hf", test_en_hf);
    vt_run("multi_hf", test_multi_hf);
    vt_run("multi_hf_pair", test_multi_hf_pair);
    vt_run("bad_layouts", test_bad_layouts);
    return vt_finish();
}
