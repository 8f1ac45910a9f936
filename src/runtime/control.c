/* If and Loop: registered so the compiler accepts them; the executor (exec.c) runs
 * their subgraphs itself, so they have no infer or run functions. */
#include "../kernels/ref/ref_ops.h"

const vc_op vc_ops_control[] = {
    {"If", NULL, NULL, NULL, VC_OP_CONTROL},
    {"Loop", NULL, NULL, NULL, VC_OP_CONTROL},
};
const int vc_ops_control_count = 2;
