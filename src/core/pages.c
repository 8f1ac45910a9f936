/* Page-allocator blocks (pages.h). */
#include "pages.h"

#include <stdlib.h>
#include <sys/mman.h>

/* Blocks from this size on ask for transparent huge pages (where the system's setting is
 * "madvise"): a trial run faults in every tensor of the graph once, and with 4 KiB pages
 * that was 400 K faults (1.6 GB) and about 1 s on the first 30 s window of a small
 * transducer encoder; with 2 MiB pages the first window took 0.6 to 1 s less and the
 * steady ones spent less CPU time (fewer TLB misses in the GEMM), peak RSS unchanged. */
#define VC_PAGES_HUGE ((size_t)4 << 20)

static void *small_alloc(size_t size)
{
    return aligned_alloc(64, size ? (size + 63) & ~(size_t)63 : 64);
}

#if defined(MAP_ANONYMOUS)

void *vc_pages_alloc(size_t size)
{
    if (size < VC_PAGES_MIN) return small_alloc(size);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#if defined(MADV_HUGEPAGE)
    if (size >= VC_PAGES_HUGE) madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
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
