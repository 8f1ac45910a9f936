/* voce — on-device inference for voice models.
 *
 * Umbrella header: status codes, errors, data types and the library version.
 * Include this (or one of the area headers, which include it).
 *
 *   #include <voce/voce.h>
 *
 *   voce_program *prog;
 *   if (voce_program_open("silero.voce", NULL, &prog) != VOCE_OK) {
 *       fprintf(stderr, "voce: %s\n", voce_last_error());
 *       return 1;
 *   }
 *
 * Conventions, for every header under voce/:
 *   - Every fallible call returns a voce_status; VOCE_OK is 0.
 *   - On failure, voce_last_error() returns a message naming the problem. The message
 *     is thread-local and stays valid until the next failing call on the same thread.
 *   - The library never prints, never exits and never aborts.
 *   - Parameter structs come from *_default() functions; set the fields you need and
 *     pass them on, so that fields added later keep their defaults.
 */
#ifndef VOCE_VOCE_H
#define VOCE_VOCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VOCE_VERSION_MAJOR 0
#define VOCE_VERSION_MINOR 1
#define VOCE_VERSION_PATCH 0

typedef enum voce_status {
    VOCE_OK = 0,
    VOCE_ERR_INVALID_ARG,  /* a caller passed a bad argument (NULL, unknown name, ...) */
    VOCE_ERR_IO,           /* a file could not be opened, read, written or mapped */
    VOCE_ERR_FORMAT,       /* a file is corrupt or not of the expected kind */
    VOCE_ERR_VERSION,      /* a file's format version is not one this build reads */
    VOCE_ERR_UNSUPPORTED,  /* valid input that this build cannot handle (an op, a dtype) */
    VOCE_ERR_NOMEM,        /* an allocation failed or a size is beyond the stated limits */
    VOCE_ERR_SHAPE,        /* a tensor shape or rank does not fit */
    VOCE_ERR_DTYPE,        /* a tensor data type does not fit */
    VOCE_ERR_NOT_FOUND,    /* a named thing (method, input, metadata key) does not exist */
    VOCE_ERR_STATE,        /* a call out of order (e.g. reading outputs before execute) */
    VOCE_ERR_INTERNAL,     /* a bug in voce; the message says where */
    VOCE_ERR_ABORTED       /* the caller's abort callback stopped the work */
} voce_status;

/* Short constant name of a status code, e.g. "format error". Never NULL. */
const char *voce_status_str(voce_status status);

/* Detail message of the last failure on the calling thread ("" if none). */
const char *voce_last_error(void);

/* Tensor element types. The numbers are those of ONNX's TensorProto.DataType so that
 * files and tools can share them. */
typedef enum voce_dtype {
    VOCE_DTYPE_UNDEFINED = 0,
    VOCE_DTYPE_F32 = 1,
    VOCE_DTYPE_U8 = 2,
    VOCE_DTYPE_I8 = 3,
    VOCE_DTYPE_U16 = 4,
    VOCE_DTYPE_I16 = 5,
    VOCE_DTYPE_I32 = 6,
    VOCE_DTYPE_I64 = 7,
    VOCE_DTYPE_BOOL = 9,   /* one byte per element, 0 or 1 */
    VOCE_DTYPE_F16 = 10,
    VOCE_DTYPE_F64 = 11,
    VOCE_DTYPE_U32 = 12,
    VOCE_DTYPE_U64 = 13
} voce_dtype;

/* Bytes per element, or 0 for a type voce does not know. */
size_t voce_dtype_size(voce_dtype dtype);

/* Lower-case name ("f32", "i64", "bool", ...), or "?" for an unknown type. */
const char *voce_dtype_name(voce_dtype dtype);

/* Tensors have at most this many dimensions. */
#define VOCE_MAX_RANK 8

/* Version of the library as "MAJOR.MINOR.PATCH". */
const char *voce_version(void);

#ifdef __cplusplus
}
#endif

#include "runtime.h"

#endif
