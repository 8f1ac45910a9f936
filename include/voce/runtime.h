/* voce runtime: open a compiled program (.voce), inspect it, run its methods.
 *
 *   voce_program *prog = NULL;
 *   voce_method *vad = NULL;
 *   if (voce_program_open("silero_vad.voce", NULL, &prog) ||
 *       voce_method_create(prog, NULL, NULL, &vad))      // NULL: the only method
 *       goto fail;                                       // voce_last_error() says why
 *
 *   voce_tensor in = {VOCE_DTYPE_F32, 2, {1, 576}, samples, 576 * sizeof(float)};
 *   voce_method_set_input(vad, 0, &in);                  // copies the data
 *   voce_method_execute(vad);
 *   voce_tensor prob;
 *   voce_method_output(vad, 0, &prob);                   // valid until the next execute
 *   printf("p = %f\n", ((const float *)prob.data)[0]);
 *
 *   voce_method_destroy(vad);
 *   voce_program_close(prog);
 *
 * Thread safety: a voce_program is immutable once open and may be shared by any number
 * of threads; it must outlive every method created from it. A voce_method holds the
 * mutable state of one execution (its memory arena, inputs, outputs) and must be used
 * by one thread at a time; create one per thread. Functions that only read a program
 * (metadata, method descriptions) are safe to call concurrently.
 *
 * Limits: tensors have at most VOCE_MAX_RANK dimensions. A method instance refuses to
 * run when its intermediate tensors would need more than voce_method_options.memory_limit
 * bytes (default 4 GiB), so a hostile program cannot make it allocate without bound.
 */
#ifndef VOCE_RUNTIME_H
#define VOCE_RUNTIME_H

#include "voce.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct voce_program voce_program;
typedef struct voce_method voce_method;

/* A tensor as seen through the API: a view, never owning its data. */
typedef struct voce_tensor {
    voce_dtype dtype;
    int rank;
    int64_t dims[VOCE_MAX_RANK];
    const void *data;
    size_t nbytes;          /* product of dims times the element size */
} voce_tensor;

/* Description of a method input or output. Strings belong to the program. */
typedef struct voce_tensor_info {
    const char *name;
    voce_dtype dtype;
    int rank;                               /* -1 if not known */
    int64_t dims[VOCE_MAX_RANK];            /* -1 where the size is not fixed */
    const char *dim_names[VOCE_MAX_RANK];   /* symbol of a free dimension, or NULL */
    /* Method state (see "State" below): for an input, the index of the output whose
     * value it takes after each execute; for an output, the input it feeds; -1 if none. */
    int state;
} voce_tensor_info;

/* ---- programs ---- */

typedef struct voce_program_options {
    /* Check the CRC-32C of every section (constants included) at open. Default 1.
     * Turning it off saves one pass over the weights; bounds are checked regardless. */
    int verify_checksums;
} voce_program_options;

voce_program_options voce_program_options_default(void);

/* Map a .voce file (read-only) and check its structure. opt may be NULL. */
voce_status voce_program_open(const char *path, const voce_program_options *opt,
                              voce_program **out);

/* Same, from bytes in memory; the bytes are copied, the caller may free them. */
voce_status voce_program_open_memory(const void *data, size_t size,
                                     const voce_program_options *opt, voce_program **out);

void voce_program_close(voce_program *prog);

/* Format version the file was written with (major * 100 + minor). */
int voce_program_format_version(const voce_program *prog);

/* Size in bytes of the mapped file. */
size_t voce_program_file_size(const voce_program *prog);

/* ---- metadata: typed key/value pairs written by the compiler ---- */

typedef enum voce_meta_type {
    VOCE_META_INT = 1,      /* int64 */
    VOCE_META_FLOAT = 2,    /* double */
    VOCE_META_STRING = 3,   /* UTF-8, NUL-terminated, no embedded NUL */
    VOCE_META_INTS = 4,     /* int64 array */
    VOCE_META_FLOATS = 5,   /* float32 array */
    VOCE_META_STRINGS = 6,  /* array of strings */
    VOCE_META_BLOB = 7      /* raw bytes, 64-byte aligned */
} voce_meta_type;

size_t voce_program_meta_count(const voce_program *prog);

/* Key and type of the index-th entry (entries are sorted by key). */
voce_status voce_program_meta_at(const voce_program *prog, size_t index, const char **key,
                                 voce_meta_type *type);

/* Type of the entry named key; VOCE_ERR_NOT_FOUND if absent. */
voce_status voce_program_meta_type(const voce_program *prog, const char *key,
                                   voce_meta_type *type);

/* Typed reads. Each fails with VOCE_ERR_NOT_FOUND if the key is absent and with
 * VOCE_ERR_DTYPE if the entry has another type (an INT is read as FLOAT on request).
 * Returned pointers stay valid until the program is closed. */
voce_status voce_program_meta_int(const voce_program *prog, const char *key, int64_t *value);
voce_status voce_program_meta_float(const voce_program *prog, const char *key, double *value);
voce_status voce_program_meta_string(const voce_program *prog, const char *key,
                                     const char **value, size_t *len);
voce_status voce_program_meta_ints(const voce_program *prog, const char *key,
                                   const int64_t **values, size_t *count);
voce_status voce_program_meta_floats(const voce_program *prog, const char *key,
                                     const float **values, size_t *count);
voce_status voce_program_meta_strings(const voce_program *prog, const char *key,
                                      const char *const **values, size_t *count);
voce_status voce_program_meta_blob(const voce_program *prog, const char *key,
                                   const void **data, size_t *size);

/* ---- methods: the named graphs of a program ---- */

size_t voce_program_method_count(const voce_program *prog);

/* Name of the index-th method, or NULL if index is out of range. */
const char *voce_program_method_name(const voce_program *prog, size_t index);

/* In the calls below, method may be NULL when the program has exactly one method. */
voce_status voce_program_method_io(const voce_program *prog, const char *method,
                                   size_t *n_inputs, size_t *n_outputs);
voce_status voce_program_method_input(const voce_program *prog, const char *method,
                                      size_t index, voce_tensor_info *info);
voce_status voce_program_method_output(const voce_program *prog, const char *method,
                                       size_t index, voce_tensor_info *info);

/* ---- method instances ---- */

typedef struct voce_method_options {
    /* Upper bound on the bytes of intermediate tensors of one execution. Default 4 GiB. */
    uint64_t memory_limit;
    /* Threads the kernels of this instance use (matrix products, convolutions). 0, the
     * default: one per physical core this process may run on. 1: only the calling
     * thread. Each instance owns its threads (they sleep between executions), so two
     * instances running at once do not wait for each other. Outputs are bit-identical
     * for every thread count. At most 256. */
    int threads;
} voce_method_options;

voce_method_options voce_method_options_default(void);

/* opt may be NULL for the defaults. */
voce_status voce_method_create(const voce_program *prog, const char *method,
                               const voce_method_options *opt, voce_method **out);
void voce_method_destroy(voce_method *m);

size_t voce_method_input_count(const voce_method *m);
size_t voce_method_output_count(const voce_method *m);
voce_status voce_method_input_info(const voce_method *m, size_t index, voce_tensor_info *info);
voce_status voce_method_output_info(const voce_method *m, size_t index, voce_tensor_info *info);

/* Index of the input or output called name; VOCE_ERR_NOT_FOUND if there is none. */
voce_status voce_method_find_input(const voce_method *m, const char *name, size_t *index);
voce_status voce_method_find_output(const voce_method *m, const char *name, size_t *index);

/* Set an input. The dtype must equal the declared one and the shape must fit the
 * declared dimensions (fixed ones equal, free ones any size >= 0). The data is copied. */
voce_status voce_method_set_input(voce_method *m, size_t index, const voce_tensor *t);

/* The same without the copy: the method reads t->data where it is. The bytes must be
 * aligned to the dtype's size (64 bytes is best) and stay valid and unchanged until
 * this input is set again or the method is destroyed; an output of another method
 * instance qualifies until that instance's next execute (an encoder's output read by
 * every step of its decoder: one copy of it in memory, not two). A state input cannot
 * be borrowed: the method writes it. */
voce_status voce_method_borrow_input(voce_method *m, size_t index, const voce_tensor *t);

/* Run the method on the inputs set so far. Every input must have been set at least
 * once; inputs keep their values between executions. */
voce_status voce_method_execute(voce_method *m);

/* State. A method may pair inputs with outputs (a decoder's key/value caches, a
 * recurrent state): after each successful execute the output's value becomes the
 * input's value, updated where it lies when the graph allows (no copy), so a decoding
 * loop sets only its new tokens. voce_tensor_info.state tells the pairs. A state
 * input's batch axis is its first free dimension (else its first). One of fixed shape,
 * or whose only free dimension is the batch axis (taken as 1), starts as zeros and
 * needs no set_input; set_input replaces its value (to resume a saved state).
 * voce_method_reset_state zeros every state input again (a new utterance); a state input
 * with other free dimensions must then be set again. */
voce_status voce_method_reset_state(voce_method *m);

/* Beam search's step: every state input is taken as a batch along its batch axis, and
 * row k of the new batch is row src[k] of the old one (rows may repeat or go), so the
 * batch becomes n rows. A state input whose batch axis is free starts as a batch of 1
 * (zeros, as above) that this grows. */
voce_status voce_method_reorder_state(voce_method *m, const int *src, int n);

/* View of an output of the last successful execute; valid until the next execute,
 * set_input or destroy of this instance. */
voce_status voce_method_output(const voce_method *m, size_t index, voce_tensor *out);

#ifdef __cplusplus
}
#endif

#endif
