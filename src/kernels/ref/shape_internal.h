/* Shared pieces of the data-movement kernels (shape*.c, index.c): input checks, reading
 * shape-like inputs, a strided copy engine and the kernels' entry points, which the
 * table in shape.c lists. Not part of the kernel interface; include only from
 * src/kernels/ref. */
#ifndef VC_SHAPE_INTERNAL_H
#define VC_SHAPE_INTERNAL_H

#include <string.h>

#include "ref_ops.h"

/* Views of up to twice the tensor rank: Tile splits each dim into (repeat, dim). */
#define VC_SH_MAX_VIEW (2 * VOCE_MAX_RANK)

/* Input k, or NULL when the node has fewer inputs or it was left out. */
static inline const vc_tensor *vc_sh_opt(const vc_node *n, vc_tensor *const *in, int k)
{
    return k < n->n_in ? in[k] : NULL;
}

/* Input k must exist, have a known dtype and a valid shape (the data may be NULL). */
voce_status vc_sh_check_in(const vc_node *n, vc_tensor *const *in, int k);

/* Input k is a 1-D (or scalar) i32/i64 tensor of at most max values; only the shape and
 * dtype are checked. Its length goes to *count. */
voce_status vc_sh_check_ints(const vc_node *n, const vc_tensor *t, int k, int64_t max,
                             int64_t *count);

/* vc_sh_check_ints, then the values (the data must be present) into vals[max]. */
voce_status vc_sh_read_ints(const vc_node *n, const vc_tensor *t, int k, int64_t *vals,
                            int max, int *count);

/* Sets out's dtype and shape after checking the rank and that the element count stays
 * within VC_MAX_NUMEL. */
voce_status vc_sh_set_out(const vc_node *n, vc_tensor *out, voce_dtype dtype, int rank,
                          const int64_t *dims);

/* Row-major element strides of a contiguous tensor. */
void vc_sh_strides(int rank, const int64_t *dims, int64_t *strides);

/* Copy the elements of a strided view: element (i0..ir-1) moves from
 * src + sum(i*sstr) to dst + sum(i*dstr), strides in elements, possibly negative or
 * zero on the source side. rank <= VC_SH_MAX_VIEW; rank 0 copies one element. Large
 * copies are shared among t's threads (NULL: the calling thread). */
void vc_sh_copy_view(char *dst, const int64_t *dstr, const char *src, const int64_t *sstr,
                     int rank, const int64_t *dims, size_t esz, vc_threads *t);

/* As vc_sh_copy_view with a contiguous destination. */
void vc_sh_copy_view_to(char *dst, const char *src, const int64_t *sstr, int rank,
                        const int64_t *dims, size_t esz, vc_threads *t);

/* count copies of the esz-byte value at val. */
void vc_sh_fill(void *dst, const void *val, int64_t count, size_t esz);

/* Copy one element of esz bytes (1, 2, 4 or 8) without a call to memcpy. */
static inline void vc_sh_copy_elem(void *dst, const void *src, size_t esz)
{
    switch (esz) {
    case 1: memcpy(dst, src, 1); break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    default: memcpy(dst, src, 8); break;
    }
}

/* The view ops (VC_OP_ALIAS): run is never called, this one copies for completeness. */
voce_status vc_sh_alias_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,
                            vc_ctx *ctx);

#define VC_SH_DECL(name)                                                                    \
    voce_status vc_sh_##name##_infer(const vc_node *n, vc_tensor *const *in, vc_tensor *out); \
    voce_status vc_sh_##name##_run(const vc_node *n, vc_tensor *const *in, vc_tensor *out,    \
                                   vc_ctx *ctx)

/* shape_move.c */
VC_SH_DECL(transpose);
VC_SH_DECL(concat);
VC_SH_DECL(split);
VC_SH_DECL(slice);
VC_SH_DECL(expand);
VC_SH_DECL(tile);
VC_SH_DECL(depth_to_space);
VC_SH_DECL(space_to_depth);
/* shape_pad.c */
VC_SH_DECL(pad);

#endif
