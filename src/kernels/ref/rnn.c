/* Reference kernels: LSTM, GRU. */
#include "ref_ops.h"

const vc_op vc_ops_rnn[] = {
    {NULL, NULL, NULL, NULL, 0}, /* placeholder: tables may not be empty in C */
};
const int vc_ops_rnn_count = 0;
