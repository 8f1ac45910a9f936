/* Large blocks straight from the system's page allocator, for the executor's tensor
 * arenas, a trial run's tensors and kernel scratch.
 *
 *   void *p = vc_pages_alloc(n);       // 64-byte aligned; NULL when out of memory
 *   ...
 *   vc_pages_free(p, n);               // the same n
 *
 * Why not malloc: a block freed here goes back to the system at once. glibc's malloc
 * serves a block below its mmap threshold from its heap, raises that threshold each
 * time a large block is freed, and keeps freed memory in the middle of the heap
 * resident; a trial run that frees tensors of many megabytes interleaved with weights
 * packed for good would leave tens of megabytes resident for nothing (measured: 22 MB
 * for Whisper base). Blocks below VC_PAGES_MIN bytes, and every block where the system
 * has no anonymous mappings, come from aligned_alloc. */
#ifndef VC_PAGES_H
#define VC_PAGES_H

#include <stddef.h>

#define VC_PAGES_MIN ((size_t)64 << 10)

void *vc_pages_alloc(size_t size);
void vc_pages_free(void *p, size_t size);

#endif
