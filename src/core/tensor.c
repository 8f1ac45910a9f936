/* Small shape helpers shared by kernels, compiler and runtime. */
#include "tensor.h"

#include <stdio.h>

#include "f16.h"

int64_t vc_shape_numel(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > VC_MAX_NUMEL) return -1;
        if (dims[i] == 0) n = 0;
        else if (n > VC_MAX_NUMEL / dims[i]) return -1;
        else n *= dims[i];
    }
    /* a zero dim makes the product 0 even when other dims would overflow */
    for (int i = 0; i < rank; i++)
        if (dims[i] == 0) return 0;
    return n;
}

char *vc_shape_str(int rank, const int64_t *dims, char *buf, size_t size)
{
    size_t k = 0;
    if (size == 0) return buf;
    buf[0] = 0;
    k += (size_t)snprintf(buf + k, size - k, "[");
    for (int i = 0; i < rank && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (k < size) snprintf(buf + k, size - k, "]");
    return buf;
}

int64_t vc_get_int(const vc_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case VOCE_DTYPE_I64: return ((const int64_t *)p)[i];
    case VOCE_DTYPE_I32: return ((const int32_t *)p)[i];
    case VOCE_DTYPE_I16: return ((const int16_t *)p)[i];
    case VOCE_DTYPE_I8: return ((const int8_t *)p)[i];
    case VOCE_DTYPE_U8: case VOCE_DTYPE_BOOL: return ((const uint8_t *)p)[i];
    case VOCE_DTYPE_U16: return ((const uint16_t *)p)[i];
    case VOCE_DTYPE_U32: return ((const uint32_t *)p)[i];
    case VOCE_DTYPE_U64: return (int64_t)((const uint64_t *)p)[i];
    case VOCE_DTYPE_F32: return (int64_t)((const float *)p)[i];
    case VOCE_DTYPE_F64: return (int64_t)((const double *)p)[i];
    case VOCE_DTYPE_F16: return (int64_t)vc_f16_to_f32(((const uint16_t *)p)[i]);
    case VOCE_DTYPE_UNDEFINED: return 0;
    }
    return 0;
}

double vc_get_f64(const vc_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case VOCE_DTYPE_F32: return ((const float *)t->data)[i];
    case VOCE_DTYPE_F64: return ((const double *)t->data)[i];
    case VOCE_DTYPE_F16: return vc_f16_to_f32(((const uint16_t *)t->data)[i]);
    case VOCE_DTYPE_U64: return (double)((const uint64_t *)t->data)[i];
    default: return (double)vc_get_int(t, i);
    }
}

int vc_dtype_is_float(voce_dtype dt)
{
    return dt == VOCE_DTYPE_F32 || dt == VOCE_DTYPE_F16 || dt == VOCE_DTYPE_F64;
}

int vc_dtype_is_int(voce_dtype dt)
{
    switch (dt) {
    case VOCE_DTYPE_I8: case VOCE_DTYPE_I16: case VOCE_DTYPE_I32: case VOCE_DTYPE_I64:
    case VOCE_DTYPE_U8: case VOCE_DTYPE_U16: case VOCE_DTYPE_U32: case VOCE_DTYPE_U64:
        return 1;
    default:
        return 0;
    }
}
