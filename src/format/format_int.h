/* Internals shared by the .voce writer and reader: layout constants, little-endian
 * load/store, and the method check that both sides run (so that the writer refuses
 * exactly what the reader would refuse). Not part of any public interface. */
#ifndef VC_FORMAT_INT_H
#define VC_FORMAT_INT_H

#include <stdint.h>
#include <string.h>

#include "../core/error.h"
#include "format.h"

/* The reader hands out int64/float pointers straight into the file bytes, which is only
 * right on a little-endian host. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "voce's program format is read in place and needs a little-endian host"
#endif

#define VC_FMT_MAGIC "VOCEPRG"            /* 8 bytes with the terminating NUL */
#define VC_FMT_HEADER_SIZE 64
#define VC_FMT_SECTION_ENTRY 32
#define VC_FMT_ALIGN 64
#define VC_FMT_MAX_SECTIONS 64
#define VC_FMT_MAX_DEPTH 64               /* graphs nest at most this deep */

/* header field offsets */
enum {
    VC_HDR_MAGIC = 0,
    VC_HDR_MAJOR = 8,
    VC_HDR_MINOR = 10,
    VC_HDR_SIZE = 12,
    VC_HDR_FILE_SIZE = 16,
    VC_HDR_NSECT = 24,
    VC_HDR_FLAGS = 28,
    VC_HDR_TABLE_OFF = 32,
    VC_HDR_TABLE_CRC = 40,
    VC_HDR_CRC = 44
};

enum { VC_SECT_STRINGS = 1, VC_SECT_META = 2, VC_SECT_METHODS = 3, VC_SECT_DATA = 4 };

/* smallest encodings, used to bound counts by the bytes left before allocating */
enum {
    VC_MIN_METHOD = 12,    /* name, n_values = 0, n_graphs = 0 */
    VC_MIN_VALUE = 28,     /* fixed part of a value record */
    VC_MIN_GRAPH = 28,     /* parent .. n_nodes with empty lists */
    VC_MIN_NODE = 24,      /* op, name, opset, three zero counts */
    VC_MIN_ATTR = 12,      /* name, type, 4-byte payload */
    VC_META_ENTRY = 32
};

static inline uint16_t vc_ld16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t vc_ld32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t vc_ld64(const unsigned char *p)
{
    return (uint64_t)vc_ld32(p) | (uint64_t)vc_ld32(p + 4) << 32;
}
static inline void vc_st16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void vc_st32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline void vc_st64(unsigned char *p, uint64_t v)
{
    vc_st32(p, (uint32_t)v);
    vc_st32(p + 4, (uint32_t)(v >> 32));
}

/* Header CRC: over the header bytes with the CRC field taken as zero. */
static inline uint32_t vc_header_crc(const unsigned char *h, size_t header_size)
{
    static const unsigned char zero[4] = {0, 0, 0, 0};
    uint32_t crc = vc_crc32c(0, h, VC_HDR_CRC);
    crc = vc_crc32c(crc, zero, 4);
    return vc_crc32c(crc, h + VC_HDR_CRC + 4, header_size - VC_HDR_CRC - 4);
}

/* Check a method's structure (indices, kinds, shapes, graph tree, topological order;
 * the rules listed in docs/format.md). err is the status for violations
 * (VOCE_ERR_FORMAT for the reader, VOCE_ERR_INVALID_ARG for the writer). With check_ops
 * every op_type must resolve through vc_op_find (VOCE_ERR_UNSUPPORTED otherwise). */
voce_status vc_format_check_method(const vc_mgraph *g, voce_status err, int check_ops);

/* Message for an unknown op, shared so that writer and reader say the same. */
voce_status vc_format_unknown_op(const vc_mgraph *g, int graph, int node);

/* What the reader parts share: where the string table and the data section are. */
typedef struct vc_rd {
    const unsigned char *base;
    size_t size;
    size_t strings_off, strings_size;
    size_t data_off, data_size;
} vc_rd;

/* The string at ref, or NULL if ref is not inside the string table. */
static inline const char *vc_rd_string(const vc_rd *rd, uint64_t ref)
{
    /* the table is known to end with a NUL, so every offset inside it starts a string */
    return ref < rd->strings_size ? (const char *)rd->base + rd->strings_off + ref : NULL;
}

/* Resolve a DATA reference: 0 and *out set, -1 outside the section, -2 not 64-aligned. */
static inline int vc_rd_data(const vc_rd *rd, uint64_t off, uint64_t nbytes, const void **out)
{
    if (off > rd->data_size || nbytes > rd->data_size - off) return -1;
    if (off % VC_FMT_ALIGN) return -2;
    *out = rd->base + rd->data_off + off;
    return 0;
}

/* Parse the METHODS section (bytes p[0..n)) into f->methods and check every method. */
voce_status vc_read_methods(const vc_rd *rd, const unsigned char *p, size_t n, vc_file *f);

#endif
