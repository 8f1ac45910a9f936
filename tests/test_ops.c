/* Every reference kernel against numpy/torch results (cases from tests/ops/cases_*.py,
 * written by tests/ops/gen.py into $VOCE_BUILD_DIR/op-cases). Each case runs one node
 * straight through the kernel's infer and run, so a failure points at the kernel alone;
 * test_ops_e2e.c runs the same cases through ONNX import, compiler and executor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/f16.h"
#include "core/npy.h"
#include "harness.h"
#include "opcases.h"
#include "runtime/op.h"

static vt_opcase *cur;

static void run_case(void)
{
    vt_opcase *c = cur;
    const vc_op *op = vc_op_find(c->node.op_type);
    CHECK_MSG(op, "no kernel for op %s", c->node.op_type);
    CHECK_MSG(!(op->flags & VC_OP_CONTROL), "control op %s cannot run here", c->node.op_type);
    vc_tensor *in[VT_MAX_IO];
    for (int i = 0; i < c->node.n_in; i++) in[i] = c->has_in[i] ? &c->in[i] : NULL;
    vc_tensor out[VT_MAX_IO];
    memset(out, 0, sizeof out);
    voce_status st = op->infer(&c->node, in, out);
    CHECK_MSG(st == VOCE_OK, "infer: %s: %s", voce_status_str(st), voce_last_error());
    for (int i = 0; i < c->node.n_out; i++) {
        size_t nb = vc_nbytes(&out[i]);
        out[i].data = calloc(1, nb ? nb : 1);
    }
    size_t scratch = op->scratch ? op->scratch(&c->node, in, out) : 0;
    vc_ctx ctx = {scratch ? aligned_alloc(64, (scratch + 63) & ~(size_t)63) : NULL, scratch};
    if (op->flags & VC_OP_ALIAS) {
        memcpy(out[0].data, in[0]->data, vc_nbytes(&out[0]));
        st = VOCE_OK;
    } else {
        st = op->run(&c->node, in, out, &ctx);
    }
    free(ctx.scratch);
    if (st == VOCE_OK) {
        for (int i = 0; i < c->node.n_out && !vt_failed(); i++) {
            char why[512];
            if (vt_compare(&out[i], &c->want[i], c->atol[i], c->rtol[i], why, sizeof why))
                vt_fail(__FILE__, __LINE__, "%s output %d: %s", c->name, i, why);
        }
    } else {
        vt_fail(__FILE__, __LINE__, "run: %s: %s", voce_status_str(st), voce_last_error());
    }
    for (int i = 0; i < c->node.n_out; i++) free(out[i].data);
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
        if (!strcmp(cases[i].node.op_type, "@graph")) continue; /* whole graphs: test_ops_e2e */
        cur = &cases[i];
        vt_run(cases[i].name, run_case);
    }
    vt_opcases_free(cases, n);
    return vt_finish();
}
