/* The op cases of test_ops.c again, end to end: each case's one-node ONNX model goes
 * through the ONNX importer, the compiler and the .voce writer, then runs through the
 * public API (reader, executor, memory plan). Outputs must equal the numpy/torch
 * results exactly as in test_ops.c. Running each case twice checks the planned arena
 * reproduces the first (trial) run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "opcases.h"

static vt_opcase *cur;

static voce_status feed(voce_method *m, const vt_opcase *c)
{
    size_t k = 0;
    for (int i = 0; i < c->node.n_in; i++) {
        if (!c->has_in[i]) continue;
        voce_tensor v = vt_to_voce(&c->in[i]);
        voce_status st = voce_method_set_input(m, k++, &v);
        if (st) return st;
    }
    return VOCE_OK;
}

static void check_outputs(const voce_method *m, const vt_opcase *c, int pass)
{
    for (int i = 0; i < c->node.n_out; i++) {
        voce_tensor t;
        voce_status st = voce_method_output(m, (size_t)i, &t);
        if (st) { vt_fail(__FILE__, __LINE__, "output %d: %s", i, voce_last_error()); return; }
        vc_tensor got = vt_from_voce(&t);
        char why[512];
        if (vt_compare(&got, &c->want[i], c->atol[i], c->rtol[i], why, sizeof why)) {
            vt_fail(__FILE__, __LINE__, "run %d output %d: %s", pass, i, why);
            return;
        }
    }
}

static void run_case(void)
{
    vt_opcase *c = cur;
    char onnx[1200], out[1200];
    snprintf(onnx, sizeof onnx, "%s/%s.onnx", c->dir, c->name);
    snprintf(out, sizeof out, "%s.voce", vt_tmp(c->name));
    voce_program *p;
    voce_method *m;
    voce_status st = vt_compile_open(onnx, out, &p, &m);
    for (int pass = 0; pass < 2 && !st && !vt_failed(); pass++) {
        st = feed(m, c);
        if (!st) st = voce_method_execute(m);
        if (!st) check_outputs(m, c, pass);
    }
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", voce_status_str(st), voce_last_error());
    voce_method_destroy(m);
    voce_program_close(p);
    remove(out);
}

static void no_cases(void) { VT_SKIP("no op cases: %s", vt_opcases_error()); }

int main(void)
{
    int n = 0;
    vt_opcase *cases = vt_opcases_load(&n);
    if (!cases) {
        vt_run("op cases", no_cases);
        return vt_finish();
    }
    for (int i = 0; i < n; i++) {
        cur = &cases[i];
        vt_run(cases[i].name, run_case);
    }
    vt_opcases_free(cases, n);
    return vt_finish();
}
