/* Pieces of the ONNX import shared by onnx_import.c and onnx_tensor.c; not an interface
 * for other parts of the compiler (they use onnx.h). */
#ifndef VC_ONNX_INTERNAL_H
#define VC_ONNX_INTERNAL_H

#include "onnx.h"
#include "protobuf.h"

/* Most graphs nested inside one another (If inside Loop inside If ...). Real models use
 * a handful; the cap keeps a hostile file from exhausting the stack. */
#define VC_ONNX_MAX_DEPTH 32

/* A decoded TensorProto: static shape, data owned by the pool it was decoded into. */
typedef struct vc_onnx_tensor {
    const char *name;   /* NUL-terminated, in the pool; "" when unnamed */
    vc_tensor t;        /* data 64-byte aligned */
    uint64_t nbytes;
} vc_onnx_tensor;

/* Decode the TensorProto msg into out, the data into pool (64-byte aligned). External
 * data is read from files under base_dir (NULL refuses it). Errors name the tensor. */
voce_status vc_onnx_read_tensor(vc_pool *pool, const vc_pb *msg, const char *base_dir,
                                vc_onnx_tensor *out);

/* Copy a LEN field's bytes as a NUL-terminated string into pool. NULL on no memory. */
char *vc_onnx_str(vc_pool *pool, const vc_pb_field *f);

#endif
