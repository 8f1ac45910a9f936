/* mmap-based file mapping (POSIX). */
#include "mapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

voce_status vc_mapfile_open(const char *path, vc_mapfile *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return vc_error(VOCE_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vc_error(VOCE_ERR_IO, "cannot stat %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return vc_error(VOCE_ERR_IO, "%s is not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return VOCE_OK;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return vc_error(VOCE_ERR_IO, "cannot map %s: %s", path, strerror(e));
    out->data = p;
    out->size = (size_t)st.st_size;
    return VOCE_OK;
}

void vc_mapfile_close(vc_mapfile *m)
{
    if (m->data) munmap(m->data, m->size);
    memset(m, 0, sizeof *m);
}

void vc_mapfile_release(const vc_mapfile *m, const void *p, size_t n)
{
    if (!m || !m->data || !p) return;
    uintptr_t base = (uintptr_t)m->data, lo = (uintptr_t)p, hi = lo + n;
    if (lo < base || hi < lo || hi > base + m->size) return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    if (!page || page & (page - 1)) return;
    lo = (lo + page - 1) & ~(page - 1); /* whole pages only: the rest may be in use */
    hi &= ~(page - 1);
    if (hi <= lo) return;
#ifdef MADV_NOHUGEPAGE
    /* A kernel may map a file's page cache 2 MB at a time (large folios): one read of a
     * bias vector beside the range would then map the range again. Small pages here
     * keep it out; the rest of the file (weights read in place) keeps large ones. */
    (void)madvise((void *)lo, hi - lo, MADV_NOHUGEPAGE);
#endif
#ifdef MADV_DONTNEED
    /* Linux: the pages of a private mapping that was never written are dropped and
     * read again from the file on the next touch (the data is kept) */
    (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
#endif
}
