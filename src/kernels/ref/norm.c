/* Reference kernels: LayerNormalization, BatchNormalization. */
#include "ref_ops.h"

const vc_op vc_ops_norm[] = {
    {NULL, NULL, NULL, NULL, 0}, /* placeholder: tables may not be empty in C */
};
const int vc_ops_norm_count = 0;
