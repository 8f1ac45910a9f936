/* NumPy .npy files (format versions 1-3, little-endian, C order): the exchange format of
 * `voce run` and of the tests.
 *
 * Limits: rank <= VOCE_MAX_RANK; dtypes f16/f32/f64, i8-i64, u8-u64, bool; Fortran order
 * and big-endian data are refused with a message. */
#ifndef VC_NPY_H
#define VC_NPY_H

#include "tensor.h"

/* Read a file; out->data is malloc'd (free() it). */
voce_status vc_npy_read(const char *path, vc_tensor *out);
voce_status vc_npy_read_memory(const void *data, size_t size, vc_tensor *out);

/* Write t (any supported dtype) to path, replacing it. */
voce_status vc_npy_write(const char *path, const vc_tensor *t);

#endif
