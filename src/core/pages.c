/* Page-allocator blocks (pages.h). */
#include "pages.h"

#include <stdlib.h>
#include <sys/mman.h>

static void *small_alloc(size_t size)
{
    return aligned_alloc(64, size ? (size + 63) & ~(size_t)63 : 64);
}

#if defined(MAP_ANONYMOUS)

void *vc_pages_alloc(size_t size)
{
    if (size < VC_PAGES_MIN) return small_alloc(size);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void vc_pages_free(void *p, size_t size)
{
    if (!p) return;
    if (size < VC_PAGES_MIN) free(p);
    else munmap(p, size);
}

#else

void *vc_pages_alloc(size_t size) { return small_alloc(size); }

void vc_pages_free(void *p, size_t size)
{
    (void)size;
    free(p);
}

#endif
