/* The .voce program file: writer (used by the compiler) and bounds-checked reader
 * (used by the runtime). The byte layout is specified in docs/format.md.
 *
 *   vc_writer *w = vc_writer_create();
 *   vc_writer_add_meta(w, &(vc_meta){.key = "sample_rate", .type = VOCE_META_INT, .i = 16000});
 *   vc_writer_add_method(w, &mgraph);          // mgraph.name is the method name
 *   vc_writer_save(w, "out.voce");             // temp file + rename: never half-written
 *   vc_writer_destroy(w);
 *
 *   vc_file f;
 *   vc_file_parse(bytes, size, 1, &f);         // every offset, count, index checked
 *   ... f.methods[i] is a vc_mgraph whose constants point into bytes ...
 *   vc_file_free(&f);
 */
#ifndef VC_FORMAT_H
#define VC_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "voce/runtime.h"
#include "../runtime/graph.h"

#define VC_FORMAT_MAJOR 1
#define VC_FORMAT_MINOR 0

/* One metadata entry. Arrays: INTS -> int64_t[count], FLOATS -> float[count],
 * STRINGS -> strings[count], BLOB -> count bytes at data. */
typedef struct vc_meta {
    const char *key;
    voce_meta_type type;
    int64_t i;
    double f;
    const char *s;
    const void *data;
    const char *const *strings;
    uint64_t count;
} vc_meta;

typedef struct vc_writer vc_writer;

vc_writer *vc_writer_create(void);
void vc_writer_destroy(vc_writer *w);
/* Copies the entry. A key given twice replaces the earlier value. */
voce_status vc_writer_add_meta(vc_writer *w, const vc_meta *m);
/* Serialises the method now (constants are copied); g may be freed afterwards. */
voce_status vc_writer_add_method(vc_writer *w, const vc_mgraph *g);
/* Write to path through a temporary file in the same directory and rename. */
voce_status vc_writer_save(vc_writer *w, const char *path);
/* The file's bytes, malloc'd. */
voce_status vc_writer_to_memory(vc_writer *w, void **data, size_t *size);

typedef struct vc_file {
    const unsigned char *base;  /* the bytes parsed (not owned) */
    size_t size;
    int version_major, version_minor;
    int n_meta;
    vc_meta *meta;              /* sorted by key; arrays and blobs point into base */
    int n_methods;
    vc_mgraph *methods;         /* node->op resolved; constant data points into base */
    vc_pool pool;
} vc_file;

/* Parse and validate. data must stay valid (and unchanged) until vc_file_free, and be
 * 64-byte aligned so that constants can be used in place. */
voce_status vc_file_parse(const void *data, size_t size, int verify_checksums, vc_file *out);
void vc_file_free(vc_file *f);

/* Lookup by key (binary search); NULL if absent. */
const vc_meta *vc_file_meta(const vc_file *f, const char *key);

/* CRC-32C (Castagnoli), as used for the integrity check. */
uint32_t vc_crc32c(uint32_t crc, const void *data, size_t size);

#endif
