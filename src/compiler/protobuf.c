/* Protobuf wire-format reader (see protobuf.h). Every pointer step is checked against
 * the end of the current message before it is taken. */
#include "protobuf.h"

#include <stdarg.h>
#include <stdio.h>

#include "../core/error.h"

/* Set a format error and return -1, the reader's failure value. */
static int pb_fail(const char *fmt, ...) VC_PRINTF(1, 2);
static int pb_fail(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vc_error(VOCE_ERR_FORMAT, "%s", msg);
    return -1;
}

static size_t off_of(const vc_pb *r, const uint8_t *p) { return (size_t)(p - r->base); }

/* -1: ran off the end; -2: more than 10 bytes or more than 64 bits. */
int vc_pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        /* the 10th byte holds only bit 63: anything more would be silently lost */
        if (i == 9 && (b & 0x7f) > 1) return -2;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *pp = p;
            *v = x;
            return 0;
        }
    }
    return -2;
}

static int varint_error(const vc_pb *r, const uint8_t *at, int code, const char *what)
{
    if (code == -1) return pb_fail("protobuf: truncated %s at byte %zu", what, off_of(r, at));
    return pb_fail("protobuf: %s at byte %zu is longer than 10 bytes or wider than 64 bits",
                   what, off_of(r, at));
}

void vc_pb_init(vc_pb *r, const void *data, size_t size)
{
    r->base = data;
    r->p = data;
    r->end = r->p + size;
}

void vc_pb_open(vc_pb *sub, const vc_pb *parent, const vc_pb_field *f)
{
    sub->base = parent->base;
    sub->p = f->data;
    sub->end = f->data + f->len;
}

int vc_pb_next(vc_pb *r, vc_pb_field *f)
{
    if (r->p >= r->end) return 0;
    const uint8_t *start = r->p;
    uint64_t tag;
    int e = vc_pb_varint(&r->p, r->end, &tag);
    if (e) return varint_error(r, start, e, "field tag");
    if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
        return pb_fail("protobuf: invalid field number %llu at byte %zu",
                       (unsigned long long)(tag >> 3), off_of(r, start));
    f->num = (uint32_t)(tag >> 3);
    f->wire = (int)(tag & 7);
    f->offset = off_of(r, start);
    f->u = 0;
    f->data = NULL;
    f->len = 0;
    size_t left;
    switch (f->wire) {
    case VC_PB_VARINT: {
        const uint8_t *at = r->p;
        e = vc_pb_varint(&r->p, r->end, &f->u);
        if (e) return varint_error(r, at, e, "varint");
        return 1;
    }
    case VC_PB_I64:
    case VC_PB_I32: {
        size_t n = f->wire == VC_PB_I64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return pb_fail("protobuf: truncated %zu-byte field %u at byte %zu",
                           n, (unsigned)f->num, f->offset);
        for (size_t i = 0; i < n; i++) f->u |= (uint64_t)r->p[i] << (8 * i);
        r->p += n;
        return 1;
    }
    case VC_PB_LEN: {
        const uint8_t *at = r->p;
        uint64_t len;
        e = vc_pb_varint(&r->p, r->end, &len);
        if (e) return varint_error(r, at, e, "length");
        left = (size_t)(r->end - r->p);
        if (len > left)
            return pb_fail("protobuf: field %u at byte %zu has length %llu but only %zu bytes "
                           "remain in its message",
                           (unsigned)f->num, f->offset, (unsigned long long)len, left);
        f->data = r->p;
        f->len = (size_t)len;
        r->p += f->len;
        return 1;
    }
    case 3:
    case 4:
        return pb_fail("protobuf: group (wire type %d) in field %u at byte %zu "
                       "is not supported", f->wire, (unsigned)f->num, f->offset);
    default:
        return pb_fail("protobuf: invalid wire type %d in field %u at byte %zu",
                       f->wire, (unsigned)f->num, f->offset);
    }
}

voce_status vc_pb_check(const vc_pb *r)
{
    vc_pb it = *r;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {}
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

long long vc_pb_count(const vc_pb *r, uint32_t num)
{
    vc_pb it = *r;
    vc_pb_field f;
    long long n = 0;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0)
        if (f.num == num) n++;
    return k < 0 ? -1 : n;
}

void vc_pb_rep_init(vc_pb_rep *it, const vc_pb *msg, uint32_t num, vc_pb_scalar kind)
{
    it->msg = *msg;
    it->num = num;
    it->kind = kind;
    it->p = it->end = NULL;
}

static int packed_next(vc_pb_rep *it, uint64_t *v)
{
    if (it->kind == VC_PB_S_VARINT) {
        const uint8_t *at = it->p;
        int e = vc_pb_varint(&it->p, it->end, v);
        if (e) return varint_error(&it->msg, at, e, "packed varint");
        return 1;
    }
    size_t n = it->kind == VC_PB_S_FIXED64 ? 8 : 4;
    if ((size_t)(it->end - it->p) < n)
        return pb_fail("protobuf: packed field %u at byte %zu ends inside "
                       "an element", (unsigned)it->num, off_of(&it->msg, it->p));
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x |= (uint64_t)it->p[i] << (8 * i);
    it->p += n;
    *v = x;
    return 1;
}

int vc_pb_rep_next(vc_pb_rep *it, uint64_t *v)
{
    for (;;) {
        if (it->p && it->p < it->end) return packed_next(it, v);
        vc_pb_field f;
        int k;
        do {
            k = vc_pb_next(&it->msg, &f);
        } while (k > 0 && f.num != it->num);
        if (k <= 0) return k;
        if (f.wire == VC_PB_LEN) {
            it->p = f.data;
            it->end = f.data + f.len;
            continue; /* an empty packed field holds no element */
        }
        if (f.wire != (int)it->kind)
            return pb_fail("protobuf: field %u at byte %zu has wire type %d, "
                           "expected %d or packed", (unsigned)f.num, f.offset, f.wire,
                           (int)it->kind);
        *v = f.u;
        return 1;
    }
}

long long vc_pb_rep_count(const vc_pb *msg, uint32_t num, vc_pb_scalar kind)
{
    vc_pb it = *msg;
    vc_pb_field f;
    long long n = 0;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != num) continue;
        if (f.wire != VC_PB_LEN) {
            if (f.wire != (int)kind)
                return pb_fail("protobuf: field %u at byte %zu has wire type "
                               "%d, expected %d or packed", (unsigned)f.num, f.offset, f.wire,
                               (int)kind);
            n++;
            continue;
        }
        if (kind != VC_PB_S_VARINT) {
            size_t w = kind == VC_PB_S_FIXED64 ? 8 : 4;
            if (f.len % w)
                return pb_fail("protobuf: packed field %u at byte %zu has "
                               "%zu bytes, not a multiple of %zu", (unsigned)f.num, f.offset,
                               f.len, w);
            n += (long long)(f.len / w);
            continue;
        }
        const uint8_t *p = f.data, *end = f.data + f.len;
        while (p < end) {
            uint64_t v;
            const uint8_t *at = p;
            int e = vc_pb_varint(&p, end, &v);
            if (e) return varint_error(msg, at, e, "packed varint");
            n++;
        }
    }
    return k < 0 ? -1 : n;
}
