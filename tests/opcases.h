/* Loading the op test manifest written by tests/ops/gen.py, and comparing tensors. */
#ifndef VT_OPCASES_H
#define VT_OPCASES_H

#include "core/pool.h"
#include "core/tensor.h"
#include "runtime/graph.h"
#include "voce/runtime.h"

#define VT_MAX_IO 16

typedef struct vt_opcase {
    char name[128];
    char dir[1024];                 /* manifest directory (for the .onnx file) */
    vc_node node;                   /* op_type, name, n_in, n_out, attributes */
    vc_attr attrs[32];
    vc_tensor in[VT_MAX_IO];        /* data malloc'd */
    int has_in[VT_MAX_IO];
    vc_tensor want[VT_MAX_IO];
    double atol[VT_MAX_IO], rtol[VT_MAX_IO];
    vc_pool pool;                   /* attribute strings and arrays */
} vt_opcase;

/* Load $VOCE_BUILD_DIR/op-cases/manifest.txt; NULL (see vt_opcases_error) if absent. */
vt_opcase *vt_opcases_load(int *count);
const char *vt_opcases_error(void);
void vt_opcases_free(vt_opcase *cases, int count);

/* 0 if got equals want (dtype, shape, values within atol + rtol*|want|, NaN == NaN);
 * else 1 with a reason in why. */
int vt_compare(const vc_tensor *got, const vc_tensor *want, double atol, double rtol,
               char *why, size_t n);

/* Views between the internal and the public tensor (no copy). */
voce_tensor vt_to_voce(const vc_tensor *t);
vc_tensor vt_from_voce(const voce_tensor *t);

/* Compile one ONNX file with default options to out, open it and create its only
 * method. On failure *p and *m are NULL or valid to close. */
voce_status vt_compile_open(const char *onnx, const char *out, voce_program **p, voce_method **m);

#endif
