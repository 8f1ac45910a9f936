/* Read-only file mapping: the program file is used in place (weights are not copied).
 *
 *   vc_mapfile map;
 *   if (vc_mapfile_open(path, &map)) return ...;    // map.data, map.size
 *   vc_mapfile_release(&map, w, w_bytes);           // w copied elsewhere: drop its pages
 *   vc_mapfile_close(&map);
 */
#ifndef VC_MAPFILE_H
#define VC_MAPFILE_H

#include <stddef.h>

#include "voce/voce.h"

typedef struct vc_mapfile {
    void *data;     /* page-aligned; NULL for an empty file */
    size_t size;
} vc_mapfile;

voce_status vc_mapfile_open(const char *path, vc_mapfile *out);
void vc_mapfile_close(vc_mapfile *m);

/* Take the whole pages of [p, p + n) that lie inside the mapping out of the process's
 * resident memory, for bytes that a kernel has copied into a form of its own (weights
 * packed for the GEMM): they stay mapped and are read from the file again if touched,
 * since the mapping is private and never written. Nothing happens to memory outside
 * the mapping, or where the system has no such call. */
void vc_mapfile_release(const vc_mapfile *m, const void *p, size_t n);

#endif
