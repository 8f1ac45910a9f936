/* Block pool: large requests get their own block, small ones share 64 KiB blocks. */
#include "pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VC_POOL_ALIGN 64
#define VC_POOL_BLOCK (64 * 1024)

struct vc_pool_block {
    vc_pool_block *next;
    size_t size, used;
    unsigned char *mem; /* aligned start inside the allocation */
};

void vc_pool_init(vc_pool *pool) { memset(pool, 0, sizeof *pool); }

void vc_pool_free(vc_pool *pool)
{
    vc_pool_block *b = pool->head;
    while (b) {
        vc_pool_block *next = b->next;
        free(b);
        b = next;
    }
    pool->head = NULL;
    pool->used_total = 0;
}

static vc_pool_block *new_block(size_t size)
{
    if (size > SIZE_MAX - sizeof(vc_pool_block) - 2 * VC_POOL_ALIGN) return NULL;
    vc_pool_block *b = malloc(sizeof *b + size + VC_POOL_ALIGN);
    if (!b) return NULL;
    uintptr_t p = (uintptr_t)(b + 1);
    p = (p + VC_POOL_ALIGN - 1) & ~(uintptr_t)(VC_POOL_ALIGN - 1);
    b->mem = (unsigned char *)p;
    b->size = size;
    b->used = 0;
    return b;
}

void *vc_pool_alloc_aligned(vc_pool *pool, size_t size, size_t align)
{
    if (align < 16) align = 16;
    if (align > VC_POOL_ALIGN || (align & (align - 1))) return NULL;
    size_t need = (size + 15) & ~(size_t)15;
    if (need < size) return NULL;
    vc_pool_block *b = pool->head;
    size_t start = b ? ((b->used + align - 1) & ~(align - 1)) : 0;
    if (!b || start > b->size || b->size - start < need) {
        if (need > VC_POOL_BLOCK / 4) {
            /* big: own block, linked behind the current head so the head keeps filling */
            vc_pool_block *big = new_block(need);
            if (!big) return NULL;
            if (b) { big->next = b->next; b->next = big; }
            else { big->next = NULL; pool->head = big; }
            big->used = need;
            memset(big->mem, 0, need);
            pool->used_total += need;
            return big->mem;
        }
        b = new_block(VC_POOL_BLOCK);
        if (!b) return NULL;
        b->next = pool->head;
        pool->head = b;
    }
    start = (b->used + align - 1) & ~(align - 1);
    void *p = b->mem + start;
    b->used = start + need;
    pool->used_total += need;
    memset(p, 0, need);
    return p;
}

void *vc_pool_alloc(vc_pool *pool, size_t size) { return vc_pool_alloc_aligned(pool, size, 16); }

void *vc_pool_memdup(vc_pool *pool, const void *src, size_t size)
{
    void *p = vc_pool_alloc(pool, size);
    if (p && size) memcpy(p, src, size);
    return p;
}

char *vc_pool_strndup(vc_pool *pool, const char *s, size_t n)
{
    char *p = vc_pool_alloc(pool, n + 1);
    if (p) {
        if (n) memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

char *vc_pool_strdup(vc_pool *pool, const char *s) { return vc_pool_strndup(pool, s, strlen(s)); }
