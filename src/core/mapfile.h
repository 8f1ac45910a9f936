/* Read-only file mapping: the program file is used in place (weights are not copied). */
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

#endif
