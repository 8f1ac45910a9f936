/* Every reference kernel against numpy/torch results (cases from tests/ops/cases_*.py,
 * written by tests/ops/gen.py into $VOCE_BUILD_DIR/op-cases). Each case runs one node
 * straight through the kernel's infer and run, so a failure points at the kernel alone;
 * test_ops_e2e.c runs the same cases through ONNX import, compiler and executor. Each case
 * runs again with a pool of two threads, which must give the same bytes. */
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
static vc_threads *pool; /* 2 threads: every kernel must give the same bytes as on one */

/* Run the case's node with threads t into freshly allocated outputs. */
static voce_status run_node(const vc_op *op, vc_tensor *const *in, vc_tensor *out, vc_threads *t)
{
    vt_opcase *c = cur;
    for (int i = 0; i < c->node.n_out; i++) {
        size_t nb = vc_nbytes(&out[i]);
        out[i].data = calloc(1, nb ? nb : 1);
    }
    size_t scratch = op->scratch ? op->scratch(&c->node, in, out) : 0;
    if (op->flags & VC_OP_SCRATCH_PER_WORKER) /* as the executor provides it */
        scratch = ((scratch + 63) & ~(size_t)63) * (size_t)vc_threads_count(t);
    void *state = NULL;
    vc_ctx ctx = {scratch ? aligned_alloc(64, (scratch + 63) & ~(size_t)63) : NULL, scratch, t,
                  &state, NULL};
    voce_status st = VOCE_OK;
    if (op->flags & VC_OP_ALIAS)
        memcpy(out[0].data, in[0]->data, vc_nbytes(&out[0]));
    else
        st = op->run(&c->node, in, out, &ctx);
    free(ctx.scratch);
    free(state);
    return st;
}

static void free_outputs(vc_tensor *out, int n)
{
    for (int i = 0; i < n; i++) free(out[i].data);
}

static void check_threaded(const vc_op *op, vc_tensor *const *in, const vc_tensor *ref)
{
    vt_opcase *c = cur;
    vc_tensor out[VT_MAX_IO];
    memcpy(out, ref, sizeof out);
    voce_status st = run_node(op, in, out, pool);
    for (int i = 0; i < c->node.n_out && st == VOCE_OK && !vt_failed(); i++)
        CHECK_MSG(memcmp(out[i].data, ref[i].data, vc_nbytes(&ref[i])) == 0,
                  "%s output %d differs with 2 threads", c->name, i);
    if (st) vt_fail(__FILE__, __LINE__, "run, 2 threads: %s: %s", voce_status_str(st),
                    voce_last_error());
    free_outputs(out, c->node.n_out);
}

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
    st = run_node(op, in, out, NULL);
    if (st == VOCE_OK) {
        for (int i = 0; i < c->node.n_out && !vt_failed(); i++) {
            char why[512];
            if (vt_compare(&out[i], &c->want[i], c->atol[i], c->rtol[i], why, sizeof why))
                vt_fail(__FILE__, __LINE__, "%s output %d: %s", c->name, i, why);
        }
        if (!vt_failed()) check_threaded(op, in, out);
    } else {
        vt_fail(__FILE__, __LINE__, "run: %s: %s", voce_status_str(st), voce_last_error());
    }
    free_outputs(out, c->node.n_out);
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
    if (vc_threads_create(2, &pool)) {
        fprintf(stderr, "cannot start threads: %s\n", voce_last_error());
        return 1;
    }
    for (int i = 0; i < n; i++) {
        if (!strcmp(cases[i].node.op_type, "@graph")) continue; /* whole graphs: test_ops_e2e */
        cur = &cases[i];
        vt_run(cases[i].name, run_case);
    }
    vt_opcases_free(cases, n);
    vc_threads_destroy(pool);
    return vt_finish();
}
