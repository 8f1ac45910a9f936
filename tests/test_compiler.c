/* The compiler: specialisation and folding on the real Silero model, several methods in
 * one program, metadata, and refusals (unknown ops, bad inputs, nothing overwritten). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "compiler/compiler.h"
#include "harness.h"
#include "runtime/op.h"
#include "runtime/program.h"

static const char *cases_dir(void) { return vt_build_path(NULL, "op-cases"); }

static voce_status compile1(const char *onnx, const char *out, int n_fix, const char **fix, int n_shape,
                            const char **shape)
{
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = onnx;
    for (int i = 0; i < n_fix; i++) { o.fix_name[i] = fix[2 * i]; o.fix_value[i] = fix[2 * i + 1]; }
    for (int i = 0; i < n_shape; i++) { o.shape_name[i] = shape[2 * i]; o.shape_value[i] = shape[2 * i + 1]; }
    o.n_fix = n_fix;
    o.n_shape = n_shape;
    return vc_compile(&o, out, NULL);
}

static int count_op(const vc_mgraph *g, const char *op)
{
    int n = 0;
    for (int gi = 0; gi < g->n_graphs; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes; i++) n += !strcmp(g->graphs[gi].nodes[i].op_type, op);
    return n;
}

/* Nodes that do work: views (Reshape, Squeeze, Identity, ...) cost nothing. */
static int count_nodes(const vc_mgraph *g)
{
    int n = 0;
    for (int gi = 0; gi < g->n_graphs; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes; i++) n += !(g->graphs[gi].nodes[i].op->flags & VC_OP_ALIAS);
    return n;
}

static void test_silero_specialisation(void)
{
    const char *p = vt_data("models/silero-vad/silero_vad.onnx");
    if (!p) VT_SKIP("needs models/silero-vad/silero_vad.onnx");
    char onnx[1024], out[1024];
    snprintf(onnx, sizeof onnx, "%s", p);
    snprintf(out, sizeof out, "%s", vt_tmp("spec.voce"));
    const char *fix[] = {"sr", "16000"};
    const char *shape[] = {"input", "1,576", "state", "2,1,128"};
    int ifs[3], nodes[3];
    uint64_t arena[3];
    for (int mode = 0; mode < 3; mode++) { /* 0: as is, 1: --fix, 2: --fix and --shape */
        CHECK_OK(compile1(onnx, out, mode >= 1, fix, mode == 2 ? 2 : 0, shape));
        voce_program *prog;
        CHECK_OK(voce_program_open(out, NULL, &prog));
        const vc_mgraph *g = &vc_program_file(prog)->methods[0];
        ifs[mode] = count_op(g, "If");
        nodes[mode] = count_nodes(g);
        arena[mode] = g->graphs[0].arena_size;
        size_t ni;
        CHECK_OK(voce_program_method_io(prog, NULL, &ni, NULL));
        CHECK(ni == (mode >= 1 ? 2u : 3u)); /* sr is gone once fixed */
        voce_program_close(prog);
    }
    printf("    If nodes %d -> %d -> %d, compute nodes %d -> %d -> %d, static arena %llu bytes\n", ifs[0], ifs[1], ifs[2],
           nodes[0], nodes[1], nodes[2], (unsigned long long)arena[2]);
    CHECK(ifs[0] > ifs[1]);       /* the sample-rate branches fold away */
    CHECK(ifs[2] == 0);           /* with static shapes every If folds */
    CHECK(nodes[2] < nodes[1]);
    CHECK(nodes[2] <= 30); /* Silero v6 at 16 kHz: the STFT, 5 convolutions, the LSTM, the head */
    CHECK(arena[0] == 0 && arena[2] > 0); /* static plan only with static shapes */
}

static void expect_refusal(const char *file, voce_status want, const char *must1, const char *must2)
{
    char onnx[1200], out[1200];
    snprintf(onnx, sizeof onnx, "%s/%s", cases_dir(), file);
    snprintf(out, sizeof out, "%s", vt_tmp("refused.voce"));
    FILE *f = fopen(out, "w");
    CHECK(f);
    fputs("precious", f);
    fclose(f);
    CHECK_ERR(compile1(onnx, out, 0, NULL, 0, NULL), want);
    CHECK_MSG(strstr(voce_last_error(), must1), "message lacks '%s': %s", must1, voce_last_error());
    CHECK_MSG(!must2 || strstr(voce_last_error(), must2), "message lacks '%s': %s", must2, voce_last_error());
    char buf[32] = {0};
    f = fopen(out, "r");
    CHECK(f);
    CHECK(fread(buf, 1, sizeof buf - 1, f) == 8);
    fclose(f);
    CHECK_MSG(!strcmp(buf, "precious"), "the existing output was overwritten");
}

static void test_unknown_op(void)
{
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/error_unknown_op.onnx", cases_dir());
    FILE *f = fopen(probe, "r");
    if (!f) VT_SKIP("needs %s (tests/ops/gen.py)", probe);
    fclose(f);
    expect_refusal("error_unknown_op.onnx", VOCE_ERR_UNSUPPORTED, "'NoSuchOp' (node 'strange_node', opset 17)", NULL);
    if (vt_failed()) return;
    expect_refusal("error_foreign_domain.onnx", VOCE_ERR_UNSUPPORTED, "com.microsoft:QOrderedMatMul", "ms_node");
    if (vt_failed()) return;
    /* no temporary files are left behind */
    char dir[1200];
    snprintf(dir, sizeof dir, "%s", vt_tmp(""));
    DIR *d = opendir(dir);
    CHECK(d);
    struct dirent *e;
    int temps = 0;
    while ((e = readdir(d))) temps += strstr(e->d_name, "refused.voce.") != NULL;
    closedir(d);
    CHECK_MSG(temps == 0, "%d temporary files left", temps);
}

static void test_bad_inputs(void)
{
    char out[1200];
    snprintf(out, sizeof out, "%s", vt_tmp("bad.voce"));
    CHECK_ERR(compile1("/nonexistent/model.onnx", out, 0, NULL, 0, NULL), VOCE_ERR_IO);
    CHECK(strstr(voce_last_error(), "/nonexistent/model.onnx"));
    const char *wav = vt_data("audio/jfk.wav");
    if (!wav) VT_SKIP("needs audio/jfk.wav");
    char w[1024];
    snprintf(w, sizeof w, "%s", wav);
    CHECK_ERR(compile1(w, out, 0, NULL, 0, NULL), VOCE_ERR_FORMAT);
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/error_string_input.onnx", cases_dir());
    voce_status st = compile1(probe, out, 0, NULL, 0, NULL);
    CHECK_MSG(st != VOCE_OK && *voce_last_error(), "string tensors must be refused");
}

static void test_fix_and_shape_errors(void)
{
    const char *p = vt_data("models/silero-vad/silero_vad_16k_op15.onnx");
    if (!p) VT_SKIP("needs models/silero-vad/silero_vad_16k_op15.onnx");
    char onnx[1024], out[1024];
    snprintf(onnx, sizeof onnx, "%s", p);
    snprintf(out, sizeof out, "%s", vt_tmp("fix.voce"));
    const char *nofix[] = {"rate", "16000"};
    CHECK_ERR(compile1(onnx, out, 1, nofix, 0, NULL), VOCE_ERR_NOT_FOUND);
    CHECK(strstr(voce_last_error(), "rate"));
    const char *badval[] = {"sr", "sixteen"};
    CHECK_ERR(compile1(onnx, out, 1, badval, 0, NULL), VOCE_ERR_INVALID_ARG);
    const char *many[] = {"sr", "1,2"};
    CHECK_ERR(compile1(onnx, out, 1, many, 0, NULL), VOCE_ERR_SHAPE);
    const char *rank[] = {"state", "2,128"};
    CHECK_ERR(compile1(onnx, out, 0, NULL, 1, rank), VOCE_ERR_SHAPE);
    const char *fixed[] = {"state", "3,1,128"}; /* dim 0 is fixed to 2 by the model */
    CHECK_ERR(compile1(onnx, out, 0, NULL, 1, fixed), VOCE_ERR_SHAPE);
}

static void test_methods_and_meta(void)
{
    char a[1200], b[1200], out[1200];
    snprintf(a, sizeof a, "%s/graph_if_true.onnx", cases_dir());
    snprintf(b, sizeof b, "%s/graph_views.onnx", cases_dir());
    FILE *f = fopen(a, "r");
    if (!f) VT_SKIP("needs %s (tests/ops/gen.py)", a);
    fclose(f);
    snprintf(out, sizeof out, "%s", vt_tmp("two.voce"));
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[0] = a;
    o.method[0] = "choose";
    o.onnx_path[1] = b;
    o.method[1] = "views";
    o.n_inputs = 2;
    const char *keys[] = {"sample_rate", "threshold", "family", "neg"};
    const char *vals[] = {"16000", "0.5", "silero-vad", "-3"};
    for (int i = 0; i < 4; i++) { o.meta_key[i] = keys[i]; o.meta_value[i] = vals[i]; }
    o.n_meta = 4;
    CHECK_OK(vc_compile(&o, out, NULL));
    voce_program *p;
    CHECK_OK(voce_program_open(out, NULL, &p));
    CHECK(voce_program_method_count(p) == 2);
    CHECK(!strcmp(voce_program_method_name(p, 0), "choose"));
    CHECK(!strcmp(voce_program_method_name(p, 1), "views"));
    CHECK(voce_program_method_name(p, 2) == NULL);
    voce_method *m;
    CHECK_ERR(voce_method_create(p, NULL, NULL, &m), VOCE_ERR_INVALID_ARG); /* which one? */
    CHECK_ERR(voce_method_create(p, "nope", NULL, &m), VOCE_ERR_NOT_FOUND);
    int64_t sr = 0, neg = 0;
    double th = 0, srf = 0;
    const char *fam = NULL;
    CHECK_OK(voce_program_meta_int(p, "sample_rate", &sr));
    CHECK_OK(voce_program_meta_int(p, "neg", &neg));
    CHECK_OK(voce_program_meta_float(p, "threshold", &th));
    CHECK_OK(voce_program_meta_float(p, "sample_rate", &srf)); /* ints read as floats */
    CHECK_OK(voce_program_meta_string(p, "family", &fam, NULL));
    CHECK(sr == 16000 && neg == -3 && th == 0.5 && srf == 16000.0 && !strcmp(fam, "silero-vad"));
    CHECK_ERR(voce_program_meta_int(p, "family", &sr), VOCE_ERR_DTYPE);
    CHECK_ERR(voce_program_meta_int(p, "absent", &sr), VOCE_ERR_NOT_FOUND);
    const char *ver;
    CHECK_OK(voce_program_meta_string(p, "voce.compiler", &ver, NULL));
    voce_program_close(p);
    /* the same method name twice is refused */
    o.method[1] = "choose";
    CHECK_ERR(vc_compile(&o, out, NULL), VOCE_ERR_INVALID_ARG);
}

int main(void)
{
    vt_run("silero specialisation folds If", test_silero_specialisation);
    vt_run("unknown ops are refused by name", test_unknown_op);
    vt_run("missing and non-ONNX inputs", test_bad_inputs);
    vt_run("--fix and --shape errors", test_fix_and_shape_errors);
    vt_run("several methods and metadata", test_methods_and_meta);
    return vt_finish();
}
