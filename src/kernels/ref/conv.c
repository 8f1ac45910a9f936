/* Reference kernels: Conv, ConvTranspose, pooling. */
#include "ref_ops.h"

const vc_op vc_ops_conv[] = {
    {NULL, NULL, NULL, NULL, 0}, /* placeholder: tables may not be empty in C */
};
const int vc_ops_conv_count = 0;
