/* A small bounds-checked reader for the protobuf wire format, written for ONNX import.
 *
 *   vc_pb msg;
 *   vc_pb_field f;
 *   int r;
 *   vc_pb_init(&msg, data, size);
 *   while ((r = vc_pb_next(&msg, &f)) > 0)
 *       if (f.num == 7 && f.wire == VC_PB_LEN) { vc_pb sub; vc_pb_open(&sub, &msg, &f); ... }
 *   if (r < 0) return VOCE_ERR_FORMAT;   (voce_last_error() says what and at which byte)
 *
 * What it does: iterate the fields of one message, open a length-delimited field as a
 * nested message, and walk a repeated scalar field whether it was written packed (one
 * LEN field) or unpacked (one field per element), as protobuf requires readers to accept.
 *
 * Limits: no schema, no allocation, no recursion (the caller bounds nesting). Groups
 * (wire types 3 and 4, deprecated and never used by ONNX) are refused, as are
 * varints longer than 10 bytes or wider than 64 bits, field number 0, wire types 6/7,
 * truncated fields and lengths that run past the end of the enclosing message.
 * Byte offsets in messages count from the start of the buffer given to vc_pb_init.
 */
#ifndef VC_PROTOBUF_H
#define VC_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

#include "voce/voce.h"

/* Wire types. */
enum { VC_PB_VARINT = 0, VC_PB_I64 = 1, VC_PB_LEN = 2, VC_PB_I32 = 5 };

typedef struct vc_pb {
    const uint8_t *base;    /* start of the whole buffer (error offsets) */
    const uint8_t *p, *end; /* unread part of this message */
} vc_pb;

typedef struct vc_pb_field {
    uint32_t num;
    int wire;
    uint64_t u;             /* VARINT, I64, I32: the value's bits */
    const uint8_t *data;    /* LEN: the payload */
    size_t len;
    size_t offset;          /* byte offset of the field's tag from base */
} vc_pb_field;

void vc_pb_init(vc_pb *r, const void *data, size_t size);

/* A reader over the payload of a LEN field f read from parent (a nested message). */
void vc_pb_open(vc_pb *sub, const vc_pb *parent, const vc_pb_field *f);

/* Read the next field. Returns 1 when a field was read, 0 at the end of the message,
 * -1 on malformed data (message set with vc_error, status VOCE_ERR_FORMAT). */
int vc_pb_next(vc_pb *r, vc_pb_field *f);

/* Walk every field of the message once, to validate its framing. */
voce_status vc_pb_check(const vc_pb *r);

/* How many times field num occurs in the message (any wire type). -1 on malformed data. */
long long vc_pb_count(const vc_pb *r, uint32_t num);

/* Element encoding of a repeated scalar field. */
typedef enum vc_pb_scalar {
    VC_PB_S_VARINT = 0,     /* int32, int64, uint64, bool, enum */
    VC_PB_S_FIXED32 = 5,    /* float, fixed32 */
    VC_PB_S_FIXED64 = 1     /* double, fixed64 */
} vc_pb_scalar;

/* Iterator over all elements of repeated scalar field num, in file order, whether each
 * occurrence is packed or not. */
typedef struct vc_pb_rep {
    vc_pb msg;              /* fields not visited yet */
    uint32_t num;
    vc_pb_scalar kind;
    const uint8_t *p, *end; /* rest of the packed payload being walked, if any */
} vc_pb_rep;

void vc_pb_rep_init(vc_pb_rep *it, const vc_pb *msg, uint32_t num, vc_pb_scalar kind);

/* Next element's bits (a float's 4 bytes in the low half for FIXED32). Returns 1, 0 at
 * the end, -1 on malformed data or an occurrence of the field with another wire type. */
int vc_pb_rep_next(vc_pb_rep *it, uint64_t *v);

/* Number of elements of repeated scalar field num; -1 on malformed data. Bounded by the
 * message size, so it is safe to size an allocation with. */
long long vc_pb_rep_count(const vc_pb *msg, uint32_t num, vc_pb_scalar kind);

/* Decode one varint at *p (< end); advances *p. 0 on success, -1 on malformed data
 * (no message set: the caller knows the context). */
int vc_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

#endif
