/* Proof on real models: every Silero VAD ONNX file in the shared data compiles, and on
 * silero-test.wav (60 s, 512-sample windows, state carried) every window's speech
 * probability equals ONNX Runtime's (refs from tests/ref/gen_ort_refs.sh) within 1e-4
 * (fp32) or 2e-3 (fp16). Each model runs twice: compiled with static shapes (all shape
 * logic and If branches fold away) and with dynamic shapes (If runs at run time). The
 * Moonshine TinyVAD CNN is compared on a fixed log-mel batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "core/npy.h"
#include "harness.h"
#include "opcases.h"
#include "wavread.h"

typedef struct {
    const char *stem;
    int has_sr, v4;
    double tol;
} silero_model;

static const silero_model models[] = {
    {"silero_vad", 1, 0, 1e-4},          /* v6.2 */
    {"silero_vad_v5_npm", 1, 0, 1e-4},   /* v5 */
    {"silero_vad_legacy_npm", 1, 1, 1e-4}, /* v4: h/c state */
    {"silero_vad_16k_op15", 1, 0, 1e-4},
    {"silero_vad_half", 0, 0, 2e-3},     /* fp16 inside, f32 interface */
};

#define WINDOW 512
#define CONTEXT 64
/* VOCE_TEST_QUICK: the first 6.4 s (three speech segments), the state carried */
#define QUICK_WINDOWS 200

static const silero_model *cur;
static int cur_static;

static void ref_path(const char *stem, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s.npy", vt_build_path(NULL, "ort-ref"), stem);
}

static voce_status compile_model(const silero_model *m, const char *onnx, int pinned, const char *out)
{
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = onnx;
    if (m->has_sr) {
        o.fix_name[o.n_fix] = "sr";
        o.fix_value[o.n_fix++] = "16000";
    }
    if (pinned) {
        o.shape_name[o.n_shape] = "input";
        o.shape_value[o.n_shape++] = m->v4 ? "1,512" : "1,576";
        if (m->v4) {
            o.shape_name[o.n_shape] = "h";
            o.shape_value[o.n_shape++] = "2,1,64";
            o.shape_name[o.n_shape] = "c";
            o.shape_value[o.n_shape++] = "2,1,64";
        } else {
            o.shape_name[o.n_shape] = "state";
            o.shape_value[o.n_shape++] = "2,1,128";
        }
    }
    return vc_compile(&o, out, NULL);
}

/* Run all windows; probs receives one probability per window. */
static voce_status run_windows(voce_method *m, int v4, const float *pcm, size_t nwin, float *probs)
{
    int ctx = v4 ? 0 : CONTEXT;
    float x[CONTEXT + WINDOW] = {0}, state[2 * 128] = {0}, h[2 * 64] = {0}, c[2 * 64] = {0};
    size_t i_in, i_st = 0, i_h = 0, i_c = 0, o_p, o_st = 0, o_h = 0, o_c = 0;
    voce_status st = voce_method_find_input(m, "input", &i_in);
    if (!st) st = voce_method_find_output(m, "output", &o_p);
    if (!st && v4) {
        st = voce_method_find_input(m, "h", &i_h);
        if (!st) st = voce_method_find_input(m, "c", &i_c);
        if (!st) st = voce_method_find_output(m, "hn", &o_h);
        if (!st) st = voce_method_find_output(m, "cn", &o_c);
    } else if (!st) {
        st = voce_method_find_input(m, "state", &i_st);
        if (!st) st = voce_method_find_output(m, "stateN", &o_st);
    }
    for (size_t w = 0; w < nwin && !st; w++) {
        if (ctx) memmove(x, x + WINDOW, sizeof(float) * CONTEXT);
        memcpy(x + ctx, pcm + w * WINDOW, sizeof(float) * WINDOW);
        voce_tensor tin = {VOCE_DTYPE_F32, 2, {1, ctx + WINDOW}, x, sizeof(float) * (size_t)(ctx + WINDOW)};
        voce_tensor th = {VOCE_DTYPE_F32, 3, {2, 1, 64}, h, sizeof h};
        voce_tensor tc = {VOCE_DTYPE_F32, 3, {2, 1, 64}, c, sizeof c};
        voce_tensor ts = {VOCE_DTYPE_F32, 3, {2, 1, 128}, state, sizeof state};
        st = voce_method_set_input(m, i_in, &tin);
        if (!st && v4) st = voce_method_set_input(m, i_h, &th);
        if (!st && v4) st = voce_method_set_input(m, i_c, &tc);
        if (!st && !v4) st = voce_method_set_input(m, i_st, &ts);
        if (!st) st = voce_method_execute(m);
        voce_tensor out, s1, s2;
        if (!st) st = voce_method_output(m, o_p, &out);
        if (!st && out.nbytes != sizeof(float)) st = VOCE_ERR_SHAPE;
        if (!st) probs[w] = *(const float *)out.data;
        if (!st && v4) {
            st = voce_method_output(m, o_h, &s1);
            if (!st) st = voce_method_output(m, o_c, &s2);
            if (!st && (s1.nbytes != sizeof h || s2.nbytes != sizeof c)) st = VOCE_ERR_SHAPE;
            if (!st) { memcpy(h, s1.data, sizeof h); memcpy(c, s2.data, sizeof c); }
        } else if (!st) {
            st = voce_method_output(m, o_st, &s1);
            if (!st && s1.nbytes != sizeof state) st = VOCE_ERR_SHAPE;
            if (!st) memcpy(state, s1.data, sizeof state);
        }
    }
    return st;
}

static void test_model(void)
{
    char rel[256], ref[1024], out[1024];
    snprintf(rel, sizeof rel, "models/silero-vad/%s.onnx", cur->stem);
    const char *p = vt_data(rel);
    if (!p) VT_SKIP("needs %s", rel);
    char onnx[1024];
    snprintf(onnx, sizeof onnx, "%s", p);
    const char *wp = vt_data("audio/silero-test.wav");
    if (!wp) VT_SKIP("needs audio/silero-test.wav");
    char wav[1024];
    snprintf(wav, sizeof wav, "%s", wp);
    ref_path(cur->stem, ref, sizeof ref);
    vc_tensor want;
    if (vc_npy_read(ref, &want) != VOCE_OK)
        VT_SKIP("needs the ONNX Runtime reference %s (make refs)", ref);
    snprintf(out, sizeof out, "%s", vt_tmp(cur_static ? "silero_static.voce" : "silero_dynamic.voce"));
    size_t n = 0;
    int rate = 0;
    float *pcm = vt_read_wav16(wav, &n, &rate);
    float *probs = NULL;
    voce_program *prog = NULL;
    voce_method *m = NULL;
    size_t nwin = n / WINDOW;
    if (!pcm || rate != 16000 || (int64_t)nwin != want.dims[0]) {
        vt_fail(__FILE__, __LINE__, "audio/reference mismatch (%zu windows, reference %lld)", nwin, (long long)want.dims[0]);
        goto done;
    }
    if (vt_quick() && nwin > QUICK_WINDOWS) nwin = QUICK_WINDOWS;
    probs = calloc(nwin, sizeof *probs);
    voce_status st = compile_model(cur, onnx, cur_static, out);
    if (!st) st = voce_program_open(out, NULL, &prog);
    if (!st) st = voce_method_create(prog, NULL, NULL, &m);
    if (!st) st = run_windows(m, cur->v4, pcm, nwin, probs);
    if (st) {
        vt_fail(__FILE__, __LINE__, "%s: %s", voce_status_str(st), voce_last_error());
        goto done;
    }
    double maxd = 0;
    size_t at = 0;
    for (size_t w = 0; w < nwin; w++) {
        double d = fabs((double)probs[w] - ((const float *)want.data)[w]);
        if (!(d <= maxd)) { maxd = d; at = w; }
    }
    printf("    %s (%s): %zu windows, max |voce - ORT| = %.3g at window %zu\n", cur->stem,
           cur_static ? "static" : "dynamic", nwin, maxd, at);
    if (!(maxd <= cur->tol)) vt_fail(__FILE__, __LINE__, "max difference %.3g exceeds %.1g", maxd, cur->tol);
done:
    voce_method_destroy(m);
    voce_program_close(prog);
    free(probs);
    free(pcm);
    free(want.data);
}

static void test_tinyvad(void)
{
    const char *p = vt_data("models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
    if (!p) VT_SKIP("needs models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx");
    char onnx[1024], in_path[1024], ref[1024], out[1024];
    snprintf(onnx, sizeof onnx, "%s", p);
    ref_path("tinyvad_in", in_path, sizeof in_path);
    ref_path("tinyvad_out", ref, sizeof ref);
    vc_tensor x, want;
    if (vc_npy_read(in_path, &x) != VOCE_OK) VT_SKIP("needs the ONNX Runtime reference %s (make refs)", in_path);
    if (vc_npy_read(ref, &want) != VOCE_OK) { free(x.data); VT_SKIP("needs %s", ref); }
    snprintf(out, sizeof out, "%s", vt_tmp("tinyvad.voce"));
    voce_program *prog;
    voce_method *m;
    voce_tensor in = vt_to_voce(&x), y;
    voce_status st = vt_compile_open(onnx, out, &prog, &m);
    if (!st) st = voce_method_set_input(m, 0, &in);
    if (!st) st = voce_method_execute(m);
    if (!st) st = voce_method_output(m, 0, &y);
    if (st) {
        vt_fail(__FILE__, __LINE__, "%s: %s", voce_status_str(st), voce_last_error());
    } else if (y.nbytes != vc_nbytes(&want)) {
        vt_fail(__FILE__, __LINE__, "output has %zu bytes, reference %zu", y.nbytes, vc_nbytes(&want));
    } else {
        double maxd = 0;
        for (int64_t i = 0; i < vc_numel(&want); i++) {
            double d = fabs((double)((const float *)y.data)[i] - ((const float *)want.data)[i]);
            if (!(d <= maxd)) maxd = d;
        }
        printf("    tinyvad: max |voce - ORT| = %.3g\n", maxd);
        if (!(maxd <= 1e-4)) vt_fail(__FILE__, __LINE__, "max difference %.3g exceeds 1e-4", maxd);
    }
    voce_method_destroy(m);
    voce_program_close(prog);
    free(x.data);
    free(want.data);
}

int main(void)
{
    char name[128];
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        for (cur_static = 1; cur_static >= 0; cur_static--) {
            cur = &models[i];
            snprintf(name, sizeof name, "%s %s", models[i].stem, cur_static ? "static" : "dynamic");
            vt_run(name, test_model);
        }
    }
    vt_run("moonshine tinyvad", test_tinyvad);
    return vt_finish();
}
