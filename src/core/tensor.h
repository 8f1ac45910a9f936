/* The tensor every kernel sees: dtype, shape and a data pointer it does not own. */
#ifndef VC_TENSOR_H
#define VC_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "voce/voce.h"

typedef struct vc_tensor {
    voce_dtype dtype;
    int rank;
    int64_t dims[VOCE_MAX_RANK];
    void *data;
} vc_tensor;

/* Largest element count any tensor may have (2^40); larger shapes are refused early so
 * that byte counts never overflow. */
#define VC_MAX_NUMEL ((int64_t)1 << 40)

/* Element count; -1 if a dim is negative or the product exceeds VC_MAX_NUMEL. */
int64_t vc_shape_numel(int rank, const int64_t *dims);

static inline int64_t vc_numel(const vc_tensor *t) { return vc_shape_numel(t->rank, t->dims); }

static inline size_t vc_nbytes(const vc_tensor *t)
{
    int64_t n = vc_numel(t);
    return n < 0 ? 0 : (size_t)n * voce_dtype_size(t->dtype);
}

/* Write "[2,1,128]" into buf. Returns buf. */
char *vc_shape_str(int rank, const int64_t *dims, char *buf, size_t size);

/* Read element i of an integer tensor (any int dtype or bool) as int64; f32/f64 are
 * truncated. Used for small shape-like tensors. */
int64_t vc_get_int(const vc_tensor *t, int64_t i);

/* Read element i of any numeric tensor as double. */
double vc_get_f64(const vc_tensor *t, int64_t i);

int vc_dtype_is_float(voce_dtype dt);
int vc_dtype_is_int(voce_dtype dt); /* signed or unsigned integer, not bool */

#endif
