/* NeMo transducer (TDT, RNN-T) and CTC exports compiled with `--family transducer` /
 * `--family ctc` against PyTorch and NeMo's greedy decoding: random-weight models in
 * sherpa-onnx's and onnx-asr's layouts (tests/ref/gen_transducer_layouts.py, whose
 * decodes follow tests/ref/transducer_decode_ref.py). Per model and layout: the encoder
 * output on ref/features.npy (1e-4 relative), the greedy tokens, frames and durations
 * (identical), the text and the word offsets of facts.json; and the exports voce must
 * refuse, each with its message. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mapfile.h"
#include "core/npy.h"
#include "harness.h"
#include "models/transducer/decode.h"
#include "text/json.h"

/* VOCE_TRANSDUCER_LAYOUTS, set by tests/CMakeLists.txt; else the build directory's copy. */
static const char *ref_root(void) { return vt_build_path("VOCE_TRANSDUCER_LAYOUTS", "transducer-layouts"); }

static int have_refs(const char *model)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s/ref/facts.json", ref_root(), model);
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static int load_npy(const char *model, const char *name, vc_tensor *t)
{
    return vt_read_npy(t, "%s/%s/ref/%s.npy", ref_root(), model, name);
}

/* ints of t (i64) equal v[0..n)? */
static int same_ints(const vc_tensor *t, const int32_t *v, int n)
{
    if (t->dims[0] != n) return 0;
    for (int i = 0; i < n; i++)
        if (((const int64_t *)t->data)[i] != v[i]) return 0;
    return 1;
}

/* The words and text of facts.json's "greedy" against ours. */
static void check_words(const char *model, vc_td_model *m, const vc_td_hyp *h)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s/ref/facts.json", ref_root(), model);
    vc_mapfile mf;
    vc_json j;
    CHECK_OK(vc_mapfile_open(path, &mf));
    voce_status st = vc_json_parse(mf.data, mf.size, path, &j);
    vc_mapfile_close(&mf);
    CHECK_OK(st);
    const vc_json_node *g = vc_json_member(&j, vc_json_root(&j), "greedy");
    const vc_json_node *ws = g ? vc_json_member(&j, g, "words") : NULL, *tx = g ? vc_json_member(&j, g, "text") : NULL;
    vc_td_word *w = NULL;
    int n = 0, i = 0, ok = ws && tx;
    char *text = NULL;
    size_t len = 0;
    const char *want = ok ? vc_json_string(&j, tx, &len) : NULL;
    if (ok && !vc_td_words(m, h, &w, &n) && !vc_td_text(m, h, &text)) {
        ok = want && strlen(text) == len && !memcmp(text, want, len);
        if (!ok) vt_fail(__FILE__, __LINE__, "%s text: \"%s\" vs \"%.*s\"", model, text, (int)len, want ? want : "");
        for (const vc_json_node *e = vc_json_child(&j, ws); e && ok; e = vc_json_next(&j, e), i++) {
            size_t wl = 0;
            const char *ww = vc_json_string(&j, vc_json_member(&j, e, "word"), &wl);
            int64_t s = -1, en = -1;
            vc_json_int(&j, vc_json_member(&j, e, "start_offset"), 0, 1 << 30, &s);
            vc_json_int(&j, vc_json_member(&j, e, "end_offset"), 0, 1 << 30, &en);
            ok = i < n && ww && strlen(w[i].text) == wl && !memcmp(w[i].text, ww, wl) && w[i].start_offset == s &&
                 w[i].end_offset == en && fabs(w[i].start - s * 0.08) < 1e-9;
            if (!ok)
                vt_fail(__FILE__, __LINE__, "%s word %d: \"%s\" [%d, %d] vs \"%.*s\" [%lld, %lld]", model, i,
                        i < n ? w[i].text : "(none)", i < n ? w[i].start_offset : -1, i < n ? w[i].end_offset : -1,
                        (int)wl, ww ? ww : "", (long long)s, (long long)en);
        }
        if (ok && i != n) vt_fail(__FILE__, __LINE__, "%s: %d words, facts.json %d", model, n, i);
    } else if (ok) {
        vt_fail(__FILE__, __LINE__, "%s words: %s", model, voce_last_error());
    } else {
        vt_fail(__FILE__, __LINE__, "%s: facts.json has no greedy words/text", model);
    }
    free(text);
    vc_td_words_free(w, n);
    vc_json_free(&j);
}

static void run(const char *model, const char *layout)
{
    if (!have_refs(model)) VT_SKIP("no transducer references at %s (gen_transducer_layouts makes them)", ref_root());
    /* under emulation the encoder is the cost: the second layout of a model runs the same one */
    if (vt_quick() && strcmp(model, "tdt") && strcmp(layout, "sherpa")) VT_SKIP("VOCE_TEST_QUICK: %s/%s", model, layout);
    char dir[1200], out[1200];
    snprintf(dir, sizeof dir, "%s/%s/%s", ref_root(), model, layout);
    snprintf(out, sizeof out, "%s", vt_tmp("transducer.voce"));
    int ctc = !strcmp(model, "ctc");
    CHECK_OK(vt_compile(dir, ctc ? "ctc" : "transducer", out));
    voce_program *prog = NULL;
    vc_td_model m;
    vc_td_hyp h = {0};
    vc_tensor feats = {0}, flen = {0}, enc = {0}, tok = {0}, frames = {0}, dur = {0};
    CHECK_OK(voce_program_open(out, NULL, &prog));
    voce_status st = vc_td_model_open(&m, prog, NULL);
    if (st) {
        voce_program_close(prog);
        CHECK_OK(st);
    }
    if (load_npy(model, "features", &feats) && load_npy(model, "features_len", &flen) &&
        load_npy(model, ctc ? "logprobs" : "encoder_out", &enc) && load_npy(model, "greedy_tokens", &tok) &&
        load_npy(model, "greedy_frames", &frames) &&
        load_npy(model, !strcmp(model, "tdt") ? "greedy_durations" : ctc ? "greedy_repeats" : "greedy_frames", &dur)) {
        st = vc_td_model_encode(&m, feats.data, (int)feats.dims[2], (int)((int64_t *)flen.data)[0]);
        size_t n = (size_t)vc_shape_numel(enc.rank, enc.dims);
        double d = st ? 1 : vt_rel_diff(m.enc_out, enc.data, n);
        if (st) vt_fail(__FILE__, __LINE__, "%s/%s encode: %s", model, layout, voce_last_error());
        else if (d > 1e-4) vt_fail(__FILE__, __LINE__, "%s/%s encoder output differs by %.3g (relative)", model, layout, d);
        else if ((st = vc_td_decode(&m, &h))) vt_fail(__FILE__, __LINE__, "%s/%s decode: %s", model, layout, voce_last_error());
        else if (!same_ints(&tok, h.tokens, h.n) || !same_ints(&frames, h.frames, h.n) ||
                 ((ctc || !strcmp(model, "tdt")) && !same_ints(&dur, h.durations, h.n)))
            vt_fail(__FILE__, __LINE__, "%s/%s: greedy decode differs (%d tokens, the reference %lld)", model, layout,
                    h.n, (long long)tok.dims[0]);
        else check_words(model, &m, &h);
        printf("  %s/%s: encoder %.2g, %d tokens, %d joint evaluations\n", model, layout, d, h.n, h.evaluations);
    }
    free(feats.data), free(flen.data), free(enc.data), free(tok.data), free(frames.data), free(dur.data);
    vc_td_hyp_free(&h);
    vc_td_model_close(&m);
    voce_program_close(prog);
}

static void test_tdt_sherpa(void) { run("tdt", "sherpa"); }
static void test_tdt_onnx_asr(void) { run("tdt", "onnx-asr"); }
static void test_rnnt_sherpa(void) { run("rnnt", "sherpa"); }
static void test_rnnt_onnx_asr(void) { run("rnnt", "onnx-asr"); }
static void test_ctc_sherpa(void) { run("ctc", "sherpa"); }
static void test_ctc_onnx_asr(void) { run("ctc", "onnx-asr"); }

/* A directory `name` holding links to the given files (relative to the layouts). */
static const char *link_dir(const char *name, const char *const *from, const char *const *as, int n)
{
    static char dir[1200];
    snprintf(dir, sizeof dir, "%s", vt_tmp(name));
    mkdir(dir, 0755);
    for (int i = 0; i < n; i++) {
        char src[1200], to[1300];
        snprintf(src, sizeof src, "%s/%s", ref_root(), from[i]);
        const char *base = strrchr(from[i], '/');
        snprintf(to, sizeof to, "%s/%s", dir, as && as[i] ? as[i] : base ? base + 1 : from[i]);
        unlink(to);
        if (symlink(src, to)) vt_fail(__FILE__, __LINE__, "cannot link %s", to);
    }
    return dir;
}

static int refused(const char *dir, const char *family, voce_status want, const char *msg)
{
    voce_status st = vt_compile(dir, family, vt_tmp("bad.voce"));
    if (st == want && strstr(voce_last_error(), msg)) return 1;
    vt_fail(__FILE__, __LINE__, "%s as %s: %s (%s), expected %s with \"%s\"", dir, family, voce_status_str(st),
            voce_last_error(), voce_status_str(want), msg);
    return 0;
}

static void test_bad_exports(void)
{
    if (!have_refs("tdt") || !have_refs("rnnt") || !have_refs("ctc")) VT_SKIP("no transducer references at %s", ref_root());
    char d[1200];
    snprintf(d, sizeof d, "%s/ctc/sherpa", ref_root());
    if (!refused(d, "transducer", VOCE_ERR_INVALID_ARG, "--family ctc")) return;
    snprintf(d, sizeof d, "%s/tdt/onnx-asr", ref_root());
    if (!refused(d, "ctc", VOCE_ERR_INVALID_ARG, "--family transducer")) return;
    /* a sherpa export without its tokens */
    const char *tdt_rnnt[] = {"tdt/sherpa/encoder.onnx", "tdt/sherpa/encoder.weights", "tdt/sherpa/decoder.onnx",
                              "tdt/sherpa/joiner.onnx"};
    if (!refused(link_dir("td-notokens", tdt_rnnt, NULL, 4), "transducer", VOCE_ERR_NOT_FOUND, "tokens.txt")) return;
    /* the TDT model with a config.json that says RNN-T: the joint's width disagrees */
    const char *asr_mixed[] = {"tdt/onnx-asr/encoder-model.onnx", "tdt/onnx-asr/decoder_joint-model.onnx",
                               "tdt/onnx-asr/vocab.txt", "rnnt/onnx-asr/config.json"};
    if (!refused(link_dir("td-rnnt-config", asr_mixed, NULL, 4), "transducer", VOCE_ERR_FORMAT,
                 "the joint gives 134 logits but the vocabulary has 129 tokens")) return;
    /* a vocabulary short of the joint (the first 100 pieces and a blank) */
    char vocab[1200], target[PATH_MAX];
    snprintf(vocab, sizeof vocab, "%s", vt_tmp("td-short-tokens.txt"));
    FILE *f = fopen(vocab, "w");
    CHECK(f != NULL);
    for (int i = 0; i < 100; i++) fprintf(f, "p%d %d\n", i, i);
    fprintf(f, "<blk> 100\n");
    fclose(f);
    const char *ctc_short[] = {"ctc/sherpa/model.onnx"};
    const char *dir = link_dir("td-ctc-short", ctc_short, NULL, 1);
    char to[1300];
    snprintf(to, sizeof to, "%s/tokens.txt", dir);
    unlink(to);
    CHECK(realpath(vocab, target) && symlink(target, to) == 0);
    if (!refused(dir, "ctc", VOCE_ERR_FORMAT, "vocab_size 128 but tokens.txt holds 101 tokens")) return;
    const char *none[] = {"tdt/sherpa/tokens.txt"};
    if (!refused(link_dir("td-empty", none, NULL, 1), "transducer", VOCE_ERR_NOT_FOUND, "holds no NeMo transducer")) return;
    /* a vocabulary whose last token is not the blank */
    snprintf(vocab, sizeof vocab, "%s", vt_tmp("td-noblank.txt"));
    f = fopen(vocab, "w");
    CHECK(f != NULL);
    for (int i = 0; i < 129; i++) fprintf(f, "p%d %d\n", i, i);
    fclose(f);
    dir = link_dir("td-ctc-noblank", ctc_short, NULL, 1);
    snprintf(to, sizeof to, "%s/tokens.txt", dir);
    unlink(to);
    CHECK(realpath(vocab, target) && symlink(target, to) == 0);
    refused(dir, "ctc", VOCE_ERR_FORMAT, "not the blank <blk>");
}

/* A scripted lattice (transducer_decode_ref.py's self-test): the joint at (frame t,
 * tokens emitted u) puts 5 on the table's token and 3 on its duration index. */
typedef struct lattice {
    int n, t[32], u[32], k[32], d[32];
    int dk, dd;             /* elsewhere */
    int emitted, n_dur;
    float z[16];
} lattice;

static voce_status lat_start(void *c) { return ((lattice *)c)->emitted = 0, VOCE_OK; }
static voce_status lat_predict(void *c, int k) { return ((lattice *)c)->emitted++, (void)k, VOCE_OK; }

static voce_status lat_joint(void *c, int t, const float **z)
{
    lattice *l = c;
    int k = l->dk, d = l->dd;
    for (int i = 0; i < l->n; i++)
        if (l->t[i] == t && l->u[i] == l->emitted) k = l->k[i], d = l->d[i];
    memset(l->z, 0, sizeof l->z);
    l->z[k] = 5;
    if (l->n_dur) l->z[5 + d] = 3;
    *z = l->z;
    return VOCE_OK;
}

static void put(lattice *l, int t, int u, int k, int d)
{
    l->t[l->n] = t, l->u[l->n] = u, l->k[l->n] = k, l->d[l->n++] = d;
}

static int decoded(lattice *l, int n_frames, const int *tok, const int *fr, int n, int evaluations)
{
    static const int durs[5] = {0, 1, 2, 3, 4};
    vc_td_steps s = {l, lat_start, lat_predict, lat_joint, n_frames, 4, 10, l->n_dur, durs};
    vc_td_hyp h = {0};
    int ok = vc_td_greedy_transducer(&s, &h) == VOCE_OK && h.n == n &&
             (evaluations < 0 || h.evaluations == evaluations);
    for (int i = 0; ok && i < n; i++) ok = h.tokens[i] == tok[i] && h.frames[i] == fr[i];
    vc_td_hyp_free(&h);
    return ok;
}

/* NeMo's rules on small cases: blank with duration 0 moves one frame, a token with
 * duration 0 stays; a last token is emitted past the end; blanks skip frames; 10 tokens
 * of duration 0 at a frame move one frame (label looping); RNN-T's 10 per frame. */
static void test_greedy_rules(void)
{
    lattice a = {.dk = 4, .dd = 1, .n_dur = 5};
    put(&a, 0, 0, 4, 0), put(&a, 1, 0, 2, 0), put(&a, 1, 1, 3, 2), put(&a, 3, 2, 1, 4);
    CHECK(decoded(&a, 6, (int[]){2, 3, 1}, (int[]){1, 1, 3}, 3, -1));
    lattice b = {.dk = 4, .dd = 1, .n_dur = 5};
    put(&b, 2, 0, 0, 4);
    CHECK(decoded(&b, 3, (int[]){0}, (int[]){2}, 1, -1));
    lattice c = {.dk = 4, .dd = 1, .n_dur = 5};
    put(&c, 0, 0, 4, 3), put(&c, 3, 0, 1, 1);
    CHECK(decoded(&c, 5, (int[]){1}, (int[]){3}, 1, 3));
    lattice d = {.dk = 4, .dd = 1, .n_dur = 5};
    for (int u = 0; u < 12; u++) put(&d, 0, u, 0, 0);
    put(&d, 1, 10, 1, 1);
    int tok[11] = {0}, fr[11] = {0};
    tok[10] = 1, fr[10] = 1;
    CHECK(decoded(&d, 3, tok, fr, 11, -1));
    lattice e = {.dk = 4, .dd = 1, .n_dur = 5};
    for (int u = 0; u < 9; u++) put(&e, 0, u, 0, 0);
    put(&e, 0, 9, 2, 2), put(&e, 2, 10, 1, 1), put(&e, 3, 10, 3, 1);
    tok[9] = 2, tok[10] = 1, fr[9] = 0, fr[10] = 2;
    CHECK(decoded(&e, 5, tok, fr, 11, -1));
    lattice r = {.dk = 4, .dd = 0, .n_dur = 0};
    for (int u = 0; u < 15; u++) put(&r, 0, u, 1, 0);
    put(&r, 1, 10, 2, 0);
    for (int i = 0; i < 10; i++) tok[i] = 1, fr[i] = 0;
    tok[10] = 2, fr[10] = 1;
    CHECK(decoded(&r, 3, tok, fr, 11, 13));
}

/* A program compiled without the recipe is refused at open; a bad length at encode. */
static void test_bad_program(void)
{
    if (!have_refs("ctc")) VT_SKIP("no transducer references at %s", ref_root());
    char onnx[1200], out[1200], dir[1200];
    snprintf(onnx, sizeof onnx, "%s/ctc/sherpa/model.onnx", ref_root());
    snprintf(out, sizeof out, "%s", vt_tmp("td-plain.voce"));
    CHECK_OK(vt_compile(onnx, NULL, out));
    voce_program *prog = NULL;
    vc_td_model m;
    CHECK_OK(voce_program_open(out, NULL, &prog));
    voce_status st = vc_td_model_open(&m, prog, NULL);
    voce_program_close(prog);
    CHECK_ERR(st, VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "--family transducer or ctc") != NULL);
    snprintf(dir, sizeof dir, "%s/ctc/sherpa", ref_root());
    CHECK_OK(vt_compile(dir, "ctc", out));
    CHECK_OK(voce_program_open(out, NULL, &prog));
    st = vc_td_model_open(&m, prog, NULL);
    if (st) voce_program_close(prog);
    CHECK_OK(st);
    float feats[80 * 4] = {0};
    st = vc_td_model_encode(&m, feats, 4, 5);
    vc_td_hyp h = {0};
    voce_status st2 = vc_td_decode(&m, &h);
    vc_td_model_close(&m);
    voce_program_close(prog);
    CHECK_ERR(st, VOCE_ERR_INVALID_ARG);
    CHECK_ERR(st2, VOCE_ERR_STATE);
}

int main(void)
{
    vt_run("tdt_sherpa", test_tdt_sherpa);
    vt_run("tdt_onnx_asr", test_tdt_onnx_asr);
    vt_run("rnnt_sherpa", test_rnnt_sherpa);
    vt_run("rnnt_onnx_asr", test_rnnt_onnx_asr);
    vt_run("ctc_sherpa", test_ctc_sherpa);
    vt_run("ctc_onnx_asr", test_ctc_onnx_asr);
    vt_run("greedy_rules", test_greedy_rules);
    vt_run("bad_exports", test_bad_exports);
    vt_run("bad_program", test_bad_program);
    return vt_finish();
}
