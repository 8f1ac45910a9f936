/* Method state (runtime.h "State"): input/output pairs carried between executes, the
 * key cache of a decoder written in place by voce:CacheWrite, and the copy path when
 * the graph reads the old cache after writing it. Models from tests/ops/cases_attention.py
 * (write_state_models).
 *
 * The decoder check is the property a KV cache exists for: feeding a sequence a few
 * rows at a time, each step attending to the cache the previous steps filled, gives
 * the rows that one execute over the whole sequence gives. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "opcases.h"
#include "runtime/program.h"
#include "runtime/state.h"
#include "voce/runtime.h"

enum { W = 8, SEQ = 7 };

static int open_model(const char *name, voce_program **p, voce_method **m)
{
    int n = 0;
    vt_opcase *cases = vt_opcases_load(&n);
    if (!cases) {
        vt_skip("no op cases: %s", vt_opcases_error());
        return 0;
    }
    char onnx[1200], out[1200];
    snprintf(onnx, sizeof onnx, "%s/%s.onnx", cases[0].dir, name);
    snprintf(out, sizeof out, "%s", vt_tmp(name));
    vt_opcases_free(cases, n);
    voce_status st = vt_compile_open(onnx, out, p, m);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", name, voce_last_error());
    return st == VOCE_OK;
}

static float xval(int row, int col) { return sinf(0.7f * (float)row + 0.31f * (float)col) * 1.5f; }

/* Run rows [r0, r0 + n) at offset r0; copy y's rows into y_all. */
static voce_status step(voce_method *m, int r0, int n, float *y_all)
{
    float x[SEQ * W];
    for (int r = 0; r < n; r++)
        for (int c = 0; c < W; c++) x[r * W + c] = xval(r0 + r, c);
    int64_t off = r0;
    voce_tensor tx = {VOCE_DTYPE_F32, 3, {1, n, W}, x, sizeof(float) * (size_t)(n * W)};
    voce_tensor to = {VOCE_DTYPE_I64, 0, {0}, &off, sizeof off};
    voce_status st = voce_method_set_input(m, 0, &tx);
    if (!st) st = voce_method_set_input(m, 1, &to);
    if (!st) st = voce_method_execute(m);
    voce_tensor y;
    if (!st) st = voce_method_output(m, 0, &y);
    if (!st) memcpy(y_all + r0 * W, y.data, y.nbytes);
    return st;
}

static float max_diff(const float *a, const float *b, int n)
{
    float d = 0;
    for (int i = 0; i < n; i++) d = fmaxf(d, fabsf(a[i] - b[i]));
    return d;
}

static void check_decoder(const char *name)
{
    voce_program *p;
    voce_method *m;
    if (!open_model(name, &p, &m)) return;
    voce_tensor_info info;
    CHECK_OK(voce_method_input_info(m, 2, &info));
    CHECK(info.state == 1); /* cache <- cache_out */
    CHECK_OK(voce_method_output_info(m, 1, &info));
    CHECK(info.state == 2);
    CHECK_OK(voce_method_input_info(m, 0, &info));
    CHECK(info.state == -1);
    float whole[SEQ * W], inc[SEQ * W];
    CHECK_OK(step(m, 0, SEQ, whole)); /* the cache starts as zeros: no set_input */
    CHECK_OK(voce_method_reset_state(m));
    CHECK_OK(step(m, 0, 3, inc));
    for (int r = 3; r < SEQ; r++) CHECK_OK(step(m, r, 1, inc));
    float d = max_diff(whole, inc, SEQ * W);
    CHECK_MSG(d < 1e-5f, "%s: incremental rows differ from the whole sequence by %g", name, d);
    /* a step past the cache's 16 rows is refused, naming the overflow */
    CHECK_ERR(step(m, 15, 2, inc), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "overflows the cache") != NULL);
    voce_method_destroy(m);
    voce_program_close(p);
}

static void test_decoder_in_place(void)
{
    check_decoder("state_decoder");
    if (vt_failed()) return;
    /* in place: the cache output is the instance's own input buffer, and a steady
     * decode step allocates nothing */
    voce_program *p;
    voce_method *m;
    if (!open_model("state_decoder", &p, &m)) return;
    float y[SEQ * W];
    voce_tensor c1, c2;
    CHECK_OK(step(m, 0, 1, y));
    CHECK_OK(voce_method_output(m, 1, &c1));
    CHECK_OK(step(m, 1, 1, y));
    CHECK_OK(voce_method_output(m, 1, &c2));
    CHECK(c1.data == c2.data);
    CHECK_OK(step(m, 2, 1, y));
    CHECK(vc_method_exec(m)->run_allocs == 0);
    voce_method_destroy(m);
    voce_program_close(p);
}

/* y of the copy model = y of the in-place model + the sum of the cache before the step:
 * an in-place write there would change the sum it reads. */
static void test_decoder_copy(void)
{
    voce_program *pa, *pb;
    voce_method *a, *b;
    if (!open_model("state_decoder", &pa, &a)) return;
    if (!open_model("state_decoder_copy", &pb, &b)) return;
    float ya[SEQ * W], yb[SEQ * W], sum = 0;
    for (int r0 = 0, n = 3; r0 < SEQ; r0 += n, n = 1) {
        CHECK_OK(step(a, r0, n, ya));
        CHECK_OK(step(b, r0, n, yb));
        for (int i = r0 * W; i < (r0 + n) * W; i++)
            CHECK_MSG(fabsf(yb[i] - ya[i] - sum) < 1e-4f, "row %d: %g vs %g + %g", i / W, yb[i], ya[i], sum);
        voce_tensor c;
        CHECK_OK(voce_method_output(a, 1, &c));
        sum = 0;
        for (int i = 0; i < 16 * W; i++) sum += ((const float *)c.data)[i];
    }
    voce_method_destroy(a);
    voce_method_destroy(b);
    voce_program_close(pa);
    voce_program_close(pb);
}

static void test_accumulate(void)
{
    voce_program *p;
    voce_method *m;
    if (!open_model("state_accum", &p, &m)) return;
    float x[6] = {1, 2, 3, -4, 0.5f, 6};
    voce_tensor tx = {VOCE_DTYPE_F32, 2, {2, 3}, x, sizeof x};
    CHECK_OK(voce_method_set_input(m, 0, &tx));
    for (int k = 0; k < 3; k++) CHECK_OK(voce_method_execute(m));
    voce_tensor acc;
    CHECK_OK(voce_method_output(m, 0, &acc));
    for (int i = 0; i < 6; i++) CHECK(((const float *)acc.data)[i] == 3 * x[i]);
    /* set_input replaces the state; reset_state zeros it */
    float init[6] = {10, 10, 10, 10, 10, 10};
    voce_tensor ti = {VOCE_DTYPE_F32, 2, {2, 3}, init, sizeof init};
    CHECK_OK(voce_method_set_input(m, 1, &ti));
    CHECK_OK(voce_method_execute(m));
    CHECK_OK(voce_method_output(m, 0, &acc));
    CHECK(((const float *)acc.data)[3] == 6.0f);
    /* reorder: rows of the state along its first axis (fixed here at 2) */
    int swap[2] = {1, 0}, three[3] = {0, 1, 1}, bad[2] = {0, 2};
    CHECK_OK(voce_method_reorder_state(m, swap, 2));
    CHECK_OK(voce_method_execute(m));
    CHECK_OK(voce_method_output(m, 0, &acc));
    CHECK(((const float *)acc.data)[0] == 10 + x[3] + x[0] && ((const float *)acc.data)[3] == 10 + x[0] + x[3]);
    CHECK_ERR(voce_method_reorder_state(m, three, 3), VOCE_ERR_SHAPE);
    CHECK_ERR(voce_method_reorder_state(m, bad, 2), VOCE_ERR_INVALID_ARG);
    CHECK_OK(voce_method_reset_state(m));
    CHECK_ERR(voce_method_output(m, 0, &acc), VOCE_ERR_STATE);
    CHECK_OK(voce_method_execute(m));
    CHECK_OK(voce_method_output(m, 0, &acc));
    CHECK(((const float *)acc.data)[5] == 6.0f);
    voce_method_destroy(m);
    voce_program_close(p);
}

/* A state whose free (batch) dimension is not the first, as sherpa-onnx's caches. */
static void test_inner_batch(void)
{
    voce_program *p;
    voce_method *m;
    if (!open_model("state_inner_batch", &p, &m)) return;
    float x[6] = {1, 2, 3, 4, 5, 6};
    voce_tensor tx = {VOCE_DTYPE_F32, 3, {2, 1, 3}, x, sizeof x};
    CHECK_OK(voce_method_set_input(m, 0, &tx));
    CHECK_OK(voce_method_execute(m)); /* acc started as zeros [2, 1, 3] */
    float acc0[12];
    for (int i = 0; i < 12; i++) acc0[i] = (float)(100 * i);
    voce_tensor ta = {VOCE_DTYPE_F32, 3, {2, 2, 3}, acc0, sizeof acc0};
    CHECK_OK(voce_method_set_input(m, 1, &ta));
    int src[3] = {1, 0, 1};
    CHECK_OK(voce_method_reorder_state(m, src, 3));
    CHECK_OK(voce_method_execute(m));
    voce_tensor y;
    CHECK_OK(voce_method_output(m, 0, &y));
    CHECK(y.rank == 3 && y.dims[0] == 2 && y.dims[1] == 3 && y.dims[2] == 3);
    const float *v = y.data;
    for (int l = 0; l < 2; l++)
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < 3; c++)
                CHECK_MSG(v[(l * 3 + k) * 3 + c] == acc0[(l * 2 + src[k]) * 3 + c] + x[l * 3 + c],
                          "layer %d row %d col %d: %g", l, k, c, v[(l * 3 + k) * 3 + c]);
    CHECK_OK(voce_method_reset_state(m)); /* zeros again, batch 1 */
    CHECK_OK(voce_method_execute(m));
    CHECK_OK(voce_method_output(m, 0, &y));
    CHECK(y.dims[1] == 1 && ((const float *)y.data)[4] == x[4]);
    voce_method_destroy(m);
    voce_program_close(p);
}

static void test_bad_state_name(void)
{
    voce_program *p = NULL;
    voce_method *m = NULL;
    int n = 0;
    vt_opcase *cases = vt_opcases_load(&n);
    if (!cases) VT_SKIP("no op cases: %s", vt_opcases_error());
    char onnx[1200];
    snprintf(onnx, sizeof onnx, "%s/state_badname.onnx", cases[0].dir);
    vt_opcases_free(cases, n);
    CHECK_ERR(vt_compile_open(onnx, vt_tmp("state_badname"), &p, &m), VOCE_ERR_FORMAT);
    CHECK(strstr(voce_last_error(), "acc:nothing") != NULL);
    voce_method_destroy(m);
    voce_program_close(p);
}

/* The in-place row reorder a beam search's cache takes (vc_state_gather_rows) against
 * a copy: every source list of up to 4 rows into up to 5 (swaps, cycles, a row read by
 * several, growing and shrinking), each row a distinct pattern. */
static void test_gather_rows_in_place(void)
{
    enum { MAXR = 5, ROW = 3 };
    int bad = 0, cases = 0;
    for (int rows = 1; rows <= 4; rows++)
        for (int n = 1; n <= MAXR; n++) {
            int total = 1;
            for (int k = 0; k < n; k++) total *= rows;
            for (int c = 0; c < total && !bad; c++, cases++) {
                int src[MAXR], code = c;
                for (int k = 0; k < n; k++, code /= rows) src[k] = code % rows;
                unsigned char buf[MAXR * ROW], old[MAXR * ROW];
                for (int i = 0; i < MAXR * ROW; i++) buf[i] = old[i] = (unsigned char)(i < rows * ROW ? i + 1 : 0xee);
                CHECK_OK(vc_state_gather_rows(buf, ROW, rows, src, n));
                for (int k = 0; k < n; k++)
                    if (memcmp(buf + k * ROW, old + src[k] * ROW, ROW)) bad = 1;
                CHECK_MSG(!bad, "rows %d into %d, case %d: row differs", rows, n, c);
            }
        }
    CHECK(cases > 1000);
    CHECK_ERR(vc_state_gather_rows((unsigned char *)&bad, 1, 0, NULL, 0), VOCE_ERR_INVALID_ARG);
}

int main(void)
{
    vt_run("gather_rows_in_place", test_gather_rows_in_place);
    vt_run("decoder_in_place", test_decoder_in_place);
    vt_run("decoder_copy", test_decoder_copy);
    vt_run("accumulate", test_accumulate);
    vt_run("inner_batch", test_inner_batch);
    vt_run("bad_state_name", test_bad_state_name);
    return vt_finish();
}
