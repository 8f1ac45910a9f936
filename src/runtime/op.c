/* Op registry and the shared helpers for infer functions. */
#include "op.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../kernels/ref/ref_ops.h"

typedef struct {
    const vc_op *ops;
    const int *count;
} op_group;

static const op_group groups[] = {
    {vc_ops_elementwise, &vc_ops_elementwise_count},
    {vc_ops_reduce, &vc_ops_reduce_count},
    {vc_ops_shape, &vc_ops_shape_count},
    {vc_ops_index, &vc_ops_index_count},
    {vc_ops_matmul, &vc_ops_matmul_count},
    {vc_ops_linear, &vc_ops_linear_count},
    {vc_ops_attention, &vc_ops_attention_count},
    {vc_ops_conv, &vc_ops_conv_count},
    {vc_ops_norm, &vc_ops_norm_count},
    {vc_ops_rnn, &vc_ops_rnn_count},
    {vc_ops_quant, &vc_ops_quant_count},
    {vc_ops_control, &vc_ops_control_count},
    {vc_ops_qlinear, &vc_ops_qlinear_count},
    {vc_ops_qconv, &vc_ops_qconv_count},
};

#define N_GROUPS ((int)(sizeof groups / sizeof groups[0]))

int vc_op_count(void)
{
    int n = 0;
    for (int g = 0; g < N_GROUPS; g++) n += *groups[g].count;
    return n;
}

const vc_op *vc_op_at(int i)
{
    for (int g = 0; g < N_GROUPS; g++) {
        if (i < *groups[g].count) return &groups[g].ops[i];
        i -= *groups[g].count;
    }
    return NULL;
}

const vc_op *vc_op_find(const char *name)
{
    for (int g = 0; g < N_GROUPS; g++)
        for (int i = 0; i < *groups[g].count; i++)
            if (strcmp(groups[g].ops[i].name, name) == 0) return &groups[g].ops[i];
    return NULL;
}

voce_status vc_node_error(const vc_node *n, voce_status st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vc_error(st, "node '%s' (%s): %s", n->name, n->op_type, msg);
}

voce_status vc_err_dtype(const vc_node *n, int input, voce_dtype got)
{
    return vc_node_error(n, VOCE_ERR_DTYPE, "input %d has unsupported dtype %s", input,
                         voce_dtype_name(got));
}

void vc_same_shape(vc_tensor *out, const vc_tensor *in)
{
    out->dtype = in->dtype;
    out->rank = in->rank;
    memcpy(out->dims, in->dims, sizeof out->dims);
}

voce_status vc_broadcast_shapes(const vc_node *n, vc_tensor *const *in, int count, vc_tensor *out)
{
    int rank = 0;
    for (int k = 0; k < count; k++)
        if (in[k] && in[k]->rank > rank) rank = in[k]->rank;
    int64_t dims[VOCE_MAX_RANK];
    for (int d = 0; d < rank; d++) dims[d] = 1;
    for (int k = 0; k < count; k++) {
        if (!in[k]) continue;
        int off = rank - in[k]->rank;
        for (int d = 0; d < in[k]->rank; d++) {
            int64_t a = dims[off + d], b = in[k]->dims[d];
            if (a == b || b == 1) continue;
            if (a == 1) { dims[off + d] = b; continue; }
            char s1[96], s2[96];
            return vc_node_error(n, VOCE_ERR_SHAPE, "shapes %s and %s do not broadcast",
                                 vc_shape_str(in[0]->rank, in[0]->dims, s1, sizeof s1),
                                 vc_shape_str(in[k]->rank, in[k]->dims, s2, sizeof s2));
        }
    }
    out->rank = rank;
    memcpy(out->dims, dims, sizeof(int64_t) * (size_t)rank);
    return VOCE_OK;
}

voce_status vc_norm_axis(const vc_node *n, int64_t axis, int rank, int *out)
{
    if (axis < -(int64_t)rank || axis >= rank)
        return vc_node_error(n, VOCE_ERR_SHAPE, "axis %lld out of range for rank %d",
                             (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return VOCE_OK;
}

voce_status vc_need_data(const vc_node *n, vc_tensor *const *in, int k)
{
    if (k >= n->n_in || !in[k])
        return vc_node_error(n, VOCE_ERR_FORMAT, "required input %d is missing", k);
    return in[k]->data ? VOCE_OK : VC_NEED_DATA;
}
