/* A grow-only pool of memory blocks freed all at once: the owner of a graph's strings,
 * arrays and small tensors. Allocations are 16-byte aligned unless asked for more (up to 64). */
#ifndef VC_POOL_H
#define VC_POOL_H

#include <stddef.h>

typedef struct vc_pool_block vc_pool_block;

typedef struct vc_pool {
    vc_pool_block *head;
    size_t used_total;
} vc_pool;

void vc_pool_init(vc_pool *pool);
void vc_pool_free(vc_pool *pool);

/* Zeroed, 16-byte aligned; NULL on allocation failure (size 0 gives a valid pointer). */
void *vc_pool_alloc(vc_pool *pool, size_t size);
/* Zeroed, aligned to align (a power of two, at most 64). */
void *vc_pool_alloc_aligned(vc_pool *pool, size_t size, size_t align);
void *vc_pool_memdup(vc_pool *pool, const void *src, size_t size);
char *vc_pool_strdup(vc_pool *pool, const char *s);
char *vc_pool_strndup(vc_pool *pool, const char *s, size_t n);

#endif
