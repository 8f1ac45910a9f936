/* Reference kernels: Reduce*, Softmax, LogSoftmax, ArgMax/ArgMin, TopK, CumSum. */
#include "ref_ops.h"

const vc_op vc_ops_reduce[] = {
    {NULL, NULL, NULL, NULL, 0}, /* placeholder: tables may not be empty in C */
};
const int vc_ops_reduce_count = 0;
