/* The public runtime API: argument and state errors, steady-state execution without heap
 * allocation, re-planning when shapes change, the memory limit, programs opened from
 * memory, and one program shared by threads with one method instance each. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "compiler/onnx.h"
#include "format/format.h"
#include "harness.h"
#include "opcases.h"
#include "runtime/program.h"

static char silero[1024];

/* Compile the real Silero v6 model once (static shapes); "" if unavailable. */
static const char *silero_program(void)
{
    if (silero[0]) return silero;
    const char *p = vt_data("models/silero-vad/silero_vad.onnx");
    if (!p) return NULL;
    char onnx[1024];
    snprintf(onnx, sizeof onnx, "%s", p);
    snprintf(silero, sizeof silero, "%s", vt_tmp("runtime_silero.voce"));
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = onnx;
    o.fix_name[0] = "sr"; o.fix_value[0] = "16000"; o.n_fix = 1;
    o.shape_name[0] = "input"; o.shape_value[0] = "1,576";
    o.shape_name[1] = "state"; o.shape_value[1] = "2,1,128"; o.n_shape = 2;
    if (vc_compile(&o, silero, NULL) != VOCE_OK) { silero[0] = 0; return NULL; }
    return silero;
}

/* Open the Silero program and create its method; skips (returns 0) without the model. */
static int open_silero(voce_program **p, voce_method **m, const voce_method_options *o)
{
    const char *path = silero_program();
    *p = NULL;
    *m = NULL;
    if (!path) { vt_skip("needs models/silero-vad/silero_vad.onnx"); return 0; }
    voce_status st = voce_program_open(path, NULL, p);
    if (!st) st = voce_method_create(*p, NULL, o, m);
    if (st) { vt_fail(__FILE__, __LINE__, "%s: %s", voce_status_str(st), voce_last_error()); return 0; }
    return 1;
}

static float pcm(int i) { return 0.3f * (float)((i * 7919) % 200 - 100) / 100.0f; }

/* Run n windows of a synthetic signal; write the last probability to *prob. */
static voce_status run_windows(voce_method *m, int n, float *prob)
{
    float x[576], state[256] = {0};
    for (int w = 0; w < n; w++) {
        for (int i = 0; i < 576; i++) x[i] = pcm(w * 512 + i);
        voce_tensor tx = {VOCE_DTYPE_F32, 2, {1, 576}, x, sizeof x};
        voce_tensor ts = {VOCE_DTYPE_F32, 3, {2, 1, 128}, state, sizeof state};
        voce_tensor out, st;
        voce_status s = voce_method_set_input(m, 0, &tx);
        if (!s) s = voce_method_set_input(m, 1, &ts);
        if (!s) s = voce_method_execute(m);
        if (!s) s = voce_method_output(m, 0, &out);
        if (!s) s = voce_method_output(m, 1, &st);
        if (s) return s;
        memcpy(state, st.data, sizeof state);
        *prob = *(const float *)out.data;
    }
    return VOCE_OK;
}

static void test_status_strings(void)
{
    for (int a = VOCE_OK; a <= VOCE_ERR_ABORTED; a++) {
        CHECK(voce_status_str((voce_status)a)[0]);
        for (int b = VOCE_OK; b < a; b++) CHECK(strcmp(voce_status_str((voce_status)a), voce_status_str((voce_status)b)));
    }
    CHECK(!strcmp(voce_dtype_name(VOCE_DTYPE_F16), "f16") && voce_dtype_size(VOCE_DTYPE_F16) == 2);
    CHECK(voce_dtype_size((voce_dtype)99) == 0);
}

static void test_open_errors(void)
{
    voce_program *p = (voce_program *)1;
    CHECK_ERR(voce_program_open("/nonexistent.voce", NULL, &p), VOCE_ERR_IO);
    CHECK(p == NULL && strstr(voce_last_error(), "/nonexistent.voce"));
    CHECK_ERR(voce_program_open(NULL, NULL, &p), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_program_open_memory("hello", 5, NULL, &p), VOCE_ERR_FORMAT);
    CHECK_ERR(voce_program_open_memory(NULL, 0, NULL, &p), VOCE_ERR_FORMAT);
    const char *wav = vt_data("audio/jfk.wav");
    if (!wav) VT_SKIP("needs audio/jfk.wav");
    char w[1024];
    snprintf(w, sizeof w, "%s", wav);
    CHECK_ERR(voce_program_open(w, NULL, &p), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "jfk.wav"));
    CHECK_ERR(voce_program_open(vt_source_dir(), NULL, &p), VOCE_ERR_IO); /* a directory */
}

static void test_method_errors(void)
{
    voce_program *p;
    voce_method *m;
    if (!open_silero(&p, &m, NULL)) return;
    CHECK(voce_method_input_count(m) == 2 && voce_method_output_count(m) == 2);
    float x[600] = {0};
    voce_tensor ok = {VOCE_DTYPE_F32, 2, {1, 576}, x, 576 * sizeof(float)};
    voce_tensor t = ok;
    voce_tensor out;
    CHECK_ERR(voce_method_execute(m), VOCE_ERR_STATE); /* nothing set yet */
    CHECK(strstr(voce_last_error(), "input"));
    CHECK_ERR(voce_method_output(m, 0, &out), VOCE_ERR_STATE);
    CHECK_ERR(voce_method_set_input(m, 2, &t), VOCE_ERR_INVALID_ARG);
    t.dtype = VOCE_DTYPE_F64;
    CHECK_ERR(voce_method_set_input(m, 0, &t), VOCE_ERR_DTYPE);
    CHECK(strstr(voce_last_error(), "f32") && strstr(voce_last_error(), "f64"));
    t = ok; t.rank = 3; t.dims[2] = 1;
    CHECK_ERR(voce_method_set_input(m, 0, &t), VOCE_ERR_SHAPE);
    t = ok; t.dims[1] = 600; t.nbytes = 600 * sizeof(float);
    CHECK_ERR(voce_method_set_input(m, 0, &t), VOCE_ERR_SHAPE);
    CHECK(strstr(voce_last_error(), "[1,576]") && strstr(voce_last_error(), "[1,600]"));
    t = ok; t.nbytes = 4;
    CHECK_ERR(voce_method_set_input(m, 0, &t), VOCE_ERR_INVALID_ARG);
    t = ok; t.data = NULL;
    CHECK_ERR(voce_method_set_input(m, 0, &t), VOCE_ERR_INVALID_ARG);
    t = ok; t.rank = 99;
    CHECK_ERR(voce_method_set_input(m, 0, &t), VOCE_ERR_SHAPE);
    CHECK_ERR(voce_method_set_input(m, 0, NULL), VOCE_ERR_INVALID_ARG);
    size_t idx;
    CHECK_ERR(voce_method_find_input(m, "nope", &idx), VOCE_ERR_NOT_FOUND);
    CHECK_OK(voce_method_find_output(m, "stateN", &idx));
    CHECK(idx == 1);
    CHECK_OK(voce_method_set_input(m, 0, &ok));
    CHECK_ERR(voce_method_execute(m), VOCE_ERR_STATE); /* state still missing */
    voce_tensor_info info;
    CHECK_OK(voce_method_input_info(m, 1, &info));
    CHECK(!strcmp(info.name, "state") && info.rank == 3 && info.dims[2] == 128);
    CHECK_ERR(voce_method_output_info(m, 5, &info), VOCE_ERR_INVALID_ARG);
    float prob = -1;
    CHECK_OK(run_windows(m, 1, &prob));
    CHECK(prob >= 0 && prob <= 1);
    CHECK_ERR(voce_method_output(m, 7, &out), VOCE_ERR_INVALID_ARG);
    CHECK_OK(voce_method_set_input(m, 0, &ok));
    CHECK_ERR(voce_method_output(m, 0, &out), VOCE_ERR_STATE); /* inputs changed since */
    voce_method_destroy(m);
    voce_program_close(p);
}

static void test_steady_state(void)
{
    voce_program *p;
    voce_method *m;
    if (!open_silero(&p, &m, NULL)) return;
    float prob;
    CHECK_OK(run_windows(m, 1, &prob));
    CHECK(vc_method_exec(m)->run_allocs > 0); /* the trial run allocates */
    CHECK_OK(run_windows(m, 2, &prob));
    for (int i = 0; i < 50; i++) {
        CHECK_OK(run_windows(m, 1, &prob));
        CHECK_MSG(vc_method_exec(m)->run_allocs == 0, "run %d allocated %llu times", i,
                  (unsigned long long)vc_method_exec(m)->run_allocs);
    }
    CHECK(vc_exec_arena_bytes(vc_method_exec(m)) > 0);
    voce_method_destroy(m);
    voce_program_close(p);
}

static void test_memory_limit(void)
{
    voce_method_options o = voce_method_options_default();
    CHECK(o.memory_limit == (uint64_t)4 << 30);
    o.memory_limit = 2048;
    voce_program *p;
    voce_method *m;
    if (!open_silero(&p, &m, &o)) return;
    float prob;
    CHECK_ERR(run_windows(m, 1, &prob), VOCE_ERR_NOMEM);
    CHECK(strstr(voce_last_error(), "memory limit"));
    voce_method_destroy(m);
    voce_program_close(p);
}

static void test_open_memory(void)
{
    const char *path = silero_program();
    if (!path) VT_SKIP("needs models/silero-vad/silero_vad.onnx");
    FILE *f = fopen(path, "rb");
    CHECK(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    CHECK(fread(buf + 1, 1, (size_t)size, f) == (size_t)size); /* deliberately misaligned */
    fclose(f);
    voce_program *a, *b;
    voce_method *ma, *mb;
    float pa = -1, pb = -2;
    CHECK_OK(voce_program_open(path, NULL, &a));
    voce_status st = voce_program_open_memory(buf + 1, (size_t)size, NULL, &b);
    free(buf);
    CHECK_OK(st);
    CHECK(voce_program_file_size(a) == voce_program_file_size(b) && voce_program_format_version(b) == 100);
    CHECK_OK(voce_method_create(a, NULL, NULL, &ma));
    CHECK_OK(voce_method_create(b, NULL, NULL, &mb));
    CHECK_OK(run_windows(ma, 20, &pa));
    CHECK_OK(run_windows(mb, 20, &pb));
    CHECK(pa == pb);
    voce_method_destroy(ma);
    voce_method_destroy(mb);
    voce_program_close(a);
    voce_program_close(b);
}

typedef struct {
    const voce_program *p;
    float prob;
    voce_status st;
    int error_seen; /* voce_last_error() is thread-local: this thread starts clean */
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    voce_method *m = NULL;
    w->error_seen = voce_last_error()[0] != 0;
    w->st = voce_method_create(w->p, NULL, NULL, &m);
    if (!w->st) w->st = run_windows(m, 200, &w->prob);
    voce_method_destroy(m);
    return NULL;
}

static void test_threads(void)
{
    const char *path = silero_program();
    if (!path) VT_SKIP("needs models/silero-vad/silero_vad.onnx");
    voce_program *p;
    voce_method *m;
    CHECK_OK(voce_program_open(path, NULL, &p));
    float want;
    CHECK_OK(voce_method_create(p, NULL, NULL, &m));
    CHECK_OK(run_windows(m, 200, &want));
    voce_method_destroy(m);
    (void)voce_method_find_input(NULL, "x", NULL); /* leave an error on this thread */
    worker w[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (worker){p, -1, VOCE_OK, 0};
        CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(w[i].st);
        CHECK_MSG(w[i].prob == want, "thread %d: %g, single thread %g", i, w[i].prob, want);
        CHECK(!w[i].error_seen);
    }
    voce_program_close(p);
}

/* The dynamic-batch model on one instance, shapes alternating: each run re-plans or
 * reuses the plan and must still give the numpy result. */
static void test_replanning(void)
{
    int n = 0;
    vt_opcase *cases = vt_opcases_load(&n);
    if (!cases) VT_SKIP("no op cases: %s", vt_opcases_error());
    vt_opcase *c[3] = {NULL, NULL, NULL};
    const char *names[3] = {"graph_dynamic_b1", "graph_dynamic_b4", "graph_dynamic_b2"};
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            if (!strcmp(cases[i].name, names[k])) c[k] = &cases[i];
    if (!c[0] || !c[1] || !c[2]) { vt_opcases_free(cases, n); VT_SKIP("dynamic cases missing"); }
    char onnx[1200], out[1200];
    snprintf(onnx, sizeof onnx, "%s/graph_dynamic_b1.onnx", c[0]->dir);
    snprintf(out, sizeof out, "%s", vt_tmp("dynamic.voce"));
    voce_program *p;
    voce_method *m;
    voce_status st = vt_compile_open(onnx, out, &p, &m);
    const int order[] = {0, 1, 1, 2, 0, 1, 0, 0};
    for (size_t r = 0; !st && r < sizeof order / sizeof order[0] && !vt_failed(); r++) {
        vt_opcase *k = c[order[r]];
        voce_tensor t = vt_to_voce(&k->in[0]);
        voce_tensor y;
        st = voce_method_set_input(m, 0, &t);
        if (!st) st = voce_method_execute(m);
        if (!st) st = voce_method_output(m, 0, &y);
        if (st) break;
        vc_tensor got = vt_from_voce(&y);
        char why[256];
        if (vt_compare(&got, &k->want[0], 1e-5, 1e-5, why, sizeof why))
            vt_fail(__FILE__, __LINE__, "run %zu (%s): %s", r, k->name, why);
        if (r == 2 && vc_method_exec(m)->run_allocs != 0)
            vt_fail(__FILE__, __LINE__, "same shapes twice still allocated");
    }
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", voce_status_str(st), voce_last_error());
    voce_method_destroy(m);
    voce_program_close(p);
    vt_opcases_free(cases, n);
}

/* Every metadata type through the public getters, from a program written with
 * metadata arrays and a blob (the compiler's family recipes write such entries). */
static void test_metadata_types(void)
{
    char onnx[1200];
    int n = 0;
    vt_opcase *cases = vt_opcases_load(&n);
    if (!cases) VT_SKIP("no op cases: %s", vt_opcases_error());
    snprintf(onnx, sizeof onnx, "%s/graph_views.onnx", cases[0].dir);
    vt_opcases_free(cases, n);
    vc_onnx_model model;
    CHECK_OK(vc_onnx_load(onnx, &model));
    vc_compile_options o = vc_compile_options_default();
    voce_status st = vc_compile_method(&model.graph, &o, NULL, 0);
    model.graph.name = "views";
    vc_writer *w = vc_writer_create();
    static const int64_t ints[] = {3, -1, 1 << 30};
    static const float floats[] = {0.5f, -2.25f};
    static const char *const strs[] = {"a", "", "\xe2\x96\x81word"};
    static const unsigned char blob[] = {0, 1, 2, 255};
    vc_meta m[] = {
        {.key = "i", .type = VOCE_META_INT, .i = -7},
        {.key = "f", .type = VOCE_META_FLOAT, .f = 1.5},
        {.key = "s", .type = VOCE_META_STRING, .s = "text"},
        {.key = "ints", .type = VOCE_META_INTS, .data = ints, .count = 3},
        {.key = "floats", .type = VOCE_META_FLOATS, .data = floats, .count = 2},
        {.key = "strs", .type = VOCE_META_STRINGS, .strings = strs, .count = 3},
        {.key = "blob", .type = VOCE_META_BLOB, .data = blob, .count = 4},
    };
    for (size_t i = 0; !st && i < sizeof m / sizeof m[0]; i++) st = vc_writer_add_meta(w, &m[i]);
    if (!st) st = vc_writer_add_method(w, &model.graph);
    char out[1200];
    snprintf(out, sizeof out, "%s", vt_tmp("meta.voce"));
    if (!st) st = vc_writer_save(w, out);
    vc_writer_destroy(w);
    vc_onnx_free(&model);
    CHECK_OK(st);
    voce_program *p;
    CHECK_OK(voce_program_open(out, NULL, &p));
    CHECK(voce_program_meta_count(p) == 7);
    const char *key;
    voce_meta_type type;
    CHECK_OK(voce_program_meta_at(p, 0, &key, &type)); /* sorted by key */
    CHECK(!strcmp(key, "blob") && type == VOCE_META_BLOB);
    CHECK_ERR(voce_program_meta_at(p, 7, &key, &type), VOCE_ERR_INVALID_ARG);
    const int64_t *iv; const float *fv; const char *const *sv; const void *bv; size_t cnt;
    CHECK_OK(voce_program_meta_ints(p, "ints", &iv, &cnt));
    CHECK(cnt == 3 && iv[0] == 3 && iv[1] == -1 && iv[2] == 1 << 30);
    CHECK_OK(voce_program_meta_floats(p, "floats", &fv, &cnt));
    CHECK(cnt == 2 && fv[0] == 0.5f && fv[1] == -2.25f);
    CHECK_OK(voce_program_meta_strings(p, "strs", &sv, &cnt));
    CHECK(cnt == 3 && !strcmp(sv[0], "a") && !strcmp(sv[1], "") && !strcmp(sv[2], strs[2]));
    CHECK_OK(voce_program_meta_blob(p, "blob", &bv, &cnt));
    CHECK(cnt == 4 && !memcmp(bv, blob, 4) && ((uintptr_t)bv & 63) == 0);
    CHECK_OK(voce_program_meta_type(p, "strs", &type));
    CHECK(type == VOCE_META_STRINGS);
    CHECK_ERR(voce_program_meta_ints(p, "floats", &iv, &cnt), VOCE_ERR_DTYPE);
    CHECK_ERR(voce_program_meta_blob(p, "nothing", &bv, &cnt), VOCE_ERR_NOT_FOUND);
    double f;
    CHECK_OK(voce_program_meta_float(p, "i", &f));
    CHECK(f == -7.0);
    voce_program_close(p);
}

int main(void)
{
    vt_run("status and dtype names", test_status_strings);
    vt_run("open errors", test_open_errors);
    vt_run("method argument and state errors", test_method_errors);
    vt_run("steady state allocates nothing", test_steady_state);
    vt_run("memory limit", test_memory_limit);
    vt_run("open from memory", test_open_memory);
    vt_run("threads share one program", test_threads);
    vt_run("re-planning on new shapes", test_replanning);
    vt_run("metadata of every type", test_metadata_types);
    return vt_finish();
}
