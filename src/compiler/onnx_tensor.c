/* TensorProto decoding for the ONNX import: shape, element type, and data taken from
 * raw_data, from the typed repeated fields (float_data, int32_data, ...) or from an
 * external file next to the model.
 *
 * Every size is checked before anything is allocated: the shape against VC_MAX_NUMEL,
 * the data actually present (bytes in the buffer or in the external file) against the
 * shape. Data lands in the pool 64-byte aligned.
 *
 * Limits: little-endian hosts (raw_data and external files are copied as they are);
 * string, bfloat16, complex and float8 tensors and segmented tensors are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/error.h"
#include "onnx_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "the ONNX import copies little-endian tensor data as is: little-endian hosts only"
#endif

/* TensorProto field numbers. */
enum {
    T_DIMS = 1, T_DATA_TYPE = 2, T_SEGMENT = 3, T_FLOAT_DATA = 4, T_INT32_DATA = 5,
    T_STRING_DATA = 6, T_INT64_DATA = 7, T_NAME = 8, T_RAW_DATA = 9, T_DOUBLE_DATA = 10,
    T_UINT64_DATA = 11, T_EXTERNAL_DATA = 13, T_DATA_LOCATION = 14
};

/* What one pass over the TensorProto's fields found. */
typedef struct tensor_fields {
    const char *name;
    int64_t data_type;
    int64_t location;       /* 0 default, 1 external */
    int has_raw, has_segment, n_external;
    vc_pb_field raw;
} tensor_fields;

char *vc_onnx_str(vc_pool *pool, const vc_pb_field *f)
{
    /* an absent field has data NULL: never hand memcpy a NULL source */
    return vc_pool_strndup(pool, f->len ? (const char *)f->data : "", f->len);
}

static voce_status wrong_wire(const vc_pb_field *f, const char *field)
{
    return vc_error(VOCE_ERR_FORMAT, "TensorProto.%s at byte %zu has wire type %d",
                    field, f->offset, f->wire);
}

static voce_status scan_fields(vc_pool *pool, const vc_pb *msg, tensor_fields *tf)
{
    memset(tf, 0, sizeof *tf);
    tf->name = "";
    vc_pb it = *msg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        switch (f.num) {
        case T_NAME:
            if (f.wire != VC_PB_LEN) return wrong_wire(&f, "name");
            if (!(tf->name = vc_onnx_str(pool, &f)))
                return vc_error(VOCE_ERR_NOMEM, "out of memory");
            break;
        case T_DATA_TYPE:
            if (f.wire != VC_PB_VARINT) return wrong_wire(&f, "data_type");
            tf->data_type = (int64_t)f.u;
            break;
        case T_DATA_LOCATION:
            if (f.wire != VC_PB_VARINT) return wrong_wire(&f, "data_location");
            tf->location = (int64_t)f.u;
            break;
        case T_RAW_DATA:
            if (f.wire != VC_PB_LEN) return wrong_wire(&f, "raw_data");
            tf->has_raw = 1;
            tf->raw = f;
            break;
        case T_SEGMENT: tf->has_segment = 1; break;
        case T_EXTERNAL_DATA:
            if (f.wire != VC_PB_LEN) return wrong_wire(&f, "external_data");
            tf->n_external++;
            break;
        default: break;
        }
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

static voce_status check_dtype(const char *name, int64_t dt)
{
    switch (dt) {
    case 0: return vc_error(VOCE_ERR_FORMAT, "tensor '%s' has no data type", name);
    case 8: return vc_error(VOCE_ERR_UNSUPPORTED, "tensor '%s' holds strings, which voce "
                            "does not support", name);
    case 14: case 15:
        return vc_error(VOCE_ERR_UNSUPPORTED, "tensor '%s' is complex, which voce does not "
                        "support", name);
    case 16: return vc_error(VOCE_ERR_UNSUPPORTED, "tensor '%s' is bfloat16, which voce does "
                             "not support", name);
    default: break;
    }
    if (dt < 0 || dt > 13 || voce_dtype_size((voce_dtype)dt) == 0)
        return vc_error(VOCE_ERR_UNSUPPORTED, "tensor '%s' has data type %lld, which voce does "
                        "not support", name, (long long)dt);
    return VOCE_OK;
}

static voce_status read_dims(const vc_pb *msg, const char *name, vc_tensor *t)
{
    long long n = vc_pb_rep_count(msg, T_DIMS, VC_PB_S_VARINT);
    if (n < 0) return vc_error_prefix(VOCE_ERR_FORMAT, "tensor '%s' dims: ", name);
    if (n > VOCE_MAX_RANK)
        return vc_error(VOCE_ERR_UNSUPPORTED, "tensor '%s' has rank %lld; voce supports up to %d",
                        name, n, VOCE_MAX_RANK);
    vc_pb_rep it;
    vc_pb_rep_init(&it, msg, T_DIMS, VC_PB_S_VARINT);
    uint64_t v;
    t->rank = (int)n;
    for (int i = 0; i < t->rank; i++) {
        if (vc_pb_rep_next(&it, &v) != 1) return VOCE_ERR_FORMAT; /* counted above: cannot happen */
        t->dims[i] = (int64_t)v;
        if (t->dims[i] < 0)
            return vc_error(VOCE_ERR_FORMAT, "tensor '%s' has a negative dimension %lld", name,
                            (long long)t->dims[i]);
    }
    return VOCE_OK;
}

/* ---- external data -------------------------------------------------------------- */

typedef struct ext_info {
    const uint8_t *loc;
    size_t loc_len;
    int has_offset, has_length;
    uint64_t offset, length;
} ext_info;

static int span_is(const vc_pb_field *f, const char *s)
{
    size_t n = strlen(s);
    return f->len == n && memcmp(f->data, s, n) == 0;
}

/* Strict decimal: digits only, no sign, no overflow past 2^62. */
static int parse_u64(const vc_pb_field *f, uint64_t *out)
{
    if (f->len == 0 || f->len > 19) return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (f->data[i] < '0' || f->data[i] > '9') return -1;
        x = x * 10 + (uint64_t)(f->data[i] - '0');
    }
    if (x > ((uint64_t)1 << 62)) return -1;
    *out = x;
    return 0;
}

static voce_status read_ext_entries(const vc_pb *msg, const char *name, ext_info *e)
{
    memset(e, 0, sizeof *e);
    vc_pb it = *msg;
    vc_pb_field f;
    int k;
    while ((k = vc_pb_next(&it, &f)) > 0) {
        if (f.num != T_EXTERNAL_DATA) continue;
        vc_pb entry;
        vc_pb_open(&entry, &it, &f);
        vc_pb_field kv, key = {0}, val = {0};
        int got_key = 0, kk;
        while ((kk = vc_pb_next(&entry, &kv)) > 0) {
            if (kv.wire != VC_PB_LEN) continue;
            if (kv.num == 1) { key = kv; got_key = 1; }
            if (kv.num == 2) val = kv;
        }
        if (kk < 0) return vc_error_prefix(VOCE_ERR_FORMAT, "tensor '%s' external_data: ", name);
        if (!got_key) continue;
        if (span_is(&key, "location")) {
            e->loc = val.data;
            e->loc_len = val.len;
        } else if (span_is(&key, "offset")) {
            if (parse_u64(&val, &e->offset))
                return vc_error(VOCE_ERR_FORMAT, "tensor '%s': bad external data offset '%.*s'",
                                name, (int)(val.len > 40 ? 40 : val.len), (const char *)val.data);
            e->has_offset = 1;
        } else if (span_is(&key, "length")) {
            if (parse_u64(&val, &e->length))
                return vc_error(VOCE_ERR_FORMAT, "tensor '%s': bad external data length '%.*s'",
                                name, (int)(val.len > 40 ? 40 : val.len), (const char *)val.data);
            e->has_length = 1;
        }
        /* "checksum" and unknown keys are ignored */
    }
    return k < 0 ? VOCE_ERR_FORMAT : VOCE_OK;
}

/* A location must stay inside the model's directory: relative, no '..' component. */
static voce_status check_location(const char *name, const char *loc, size_t len)
{
    if (len == 0)
        return vc_error(VOCE_ERR_FORMAT, "tensor '%s': external data has no location", name);
    if (memchr(loc, 0, len))
        return vc_error(VOCE_ERR_FORMAT, "tensor '%s': external data location contains a NUL",
                        name);
    if (loc[0] == '/' || loc[0] == '\\' || (len >= 2 && loc[1] == ':'))
        return vc_error(VOCE_ERR_FORMAT, "tensor '%s': external data location '%.*s' is an "
                        "absolute path; it must be relative to the model's directory",
                        name, (int)len, loc);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && loc[i] != '/' && loc[i] != '\\') continue;
        if (i - start == 2 && loc[start] == '.' && loc[start + 1] == '.')
            return vc_error(VOCE_ERR_FORMAT, "tensor '%s': external data location '%.*s' leaves "
                            "the model's directory ('..')", name, (int)len, loc);
        start = i + 1;
    }
    return VOCE_OK;
}

static voce_status read_external(vc_pool *pool, const vc_pb *msg, const char *base_dir,
                                 const char *name, uint64_t nbytes, void **data)
{
    ext_info e;
    voce_status st = read_ext_entries(msg, name, &e);
    if (st) return st;
    if (!base_dir)
        return vc_error(VOCE_ERR_UNSUPPORTED, "tensor '%s' has external data, but the model was "
                        "loaded from memory without a base directory", name);
    st = check_location(name, (const char *)e.loc, e.loc_len);
    if (st) return st;

    size_t plen = strlen(base_dir) + 1 + e.loc_len + 1;
    char *path = malloc(plen);
    if (!path) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    snprintf(path, plen, "%s/%.*s", base_dir, (int)e.loc_len, (const char *)e.loc);

    FILE *fp = fopen(path, "rb");
    struct stat sb;
    if (!fp) {
        st = vc_error(VOCE_ERR_IO, "tensor '%s': cannot open external data '%s': %s", name, path,
                      strerror(errno));
        goto done;
    }
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = vc_error(VOCE_ERR_IO, "tensor '%s': external data '%s' is not a regular file", name,
                      path);
        goto done;
    }
    uint64_t fsize = (uint64_t)sb.st_size;
    uint64_t off = e.has_offset ? e.offset : 0;
    if (off > fsize) {
        st = vc_error(VOCE_ERR_FORMAT, "tensor '%s': external data offset %llu is past the end "
                      "of '%s' (%llu bytes)", name, (unsigned long long)off, path,
                      (unsigned long long)fsize);
        goto done;
    }
    uint64_t len = e.has_length ? e.length : fsize - off;
    if (len > fsize - off) {
        st = vc_error(VOCE_ERR_FORMAT, "tensor '%s': external data [%llu, +%llu) runs past the "
                      "end of '%s' (%llu bytes)", name, (unsigned long long)off,
                      (unsigned long long)len, path, (unsigned long long)fsize);
        goto done;
    }
    if (len != nbytes) {
        st = vc_error(VOCE_ERR_FORMAT, "tensor '%s': external data in '%s' has %llu bytes, its "
                      "shape needs %llu", name, path, (unsigned long long)len,
                      (unsigned long long)nbytes);
        goto done;
    }
    void *p = vc_pool_alloc_aligned(pool, (size_t)nbytes, 64);
    if (!p) {
        st = vc_error(VOCE_ERR_NOMEM, "tensor '%s': out of memory for %llu bytes", name,
                      (unsigned long long)nbytes);
        goto done;
    }
    if (nbytes &&
        (fseeko(fp, (off_t)off, SEEK_SET) != 0 || fread(p, 1, (size_t)nbytes, fp) != nbytes)) {
        st = vc_error(VOCE_ERR_IO, "tensor '%s': cannot read %llu bytes at %llu from '%s'", name,
                      (unsigned long long)nbytes, (unsigned long long)off, path);
        goto done;
    }
    *data = p;
done:
    if (fp) fclose(fp);
    free(path);
    return st;
}

/* ---- typed repeated fields ------------------------------------------------------ */

/* Which repeated field holds the values of dtype when raw_data is absent, and how its
 * elements are encoded (onnx.proto's comments on each field). */
static void typed_field(voce_dtype dt, uint32_t *num, vc_pb_scalar *kind)
{
    switch (dt) {
    case VOCE_DTYPE_F32: *num = T_FLOAT_DATA; *kind = VC_PB_S_FIXED32; return;
    case VOCE_DTYPE_F64: *num = T_DOUBLE_DATA; *kind = VC_PB_S_FIXED64; return;
    case VOCE_DTYPE_I64: *num = T_INT64_DATA; *kind = VC_PB_S_VARINT; return;
    case VOCE_DTYPE_U32: case VOCE_DTYPE_U64: *num = T_UINT64_DATA; *kind = VC_PB_S_VARINT; return;
    default: *num = T_INT32_DATA; *kind = VC_PB_S_VARINT; return; /* also f16 bit patterns */
    }
}

static void store(void *data, int64_t i, voce_dtype dt, uint64_t v)
{
    switch (voce_dtype_size(dt)) {
    case 1: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case 2: ((uint16_t *)data)[i] = (uint16_t)v; break;
    case 4: { uint32_t x = (uint32_t)v; memcpy((char *)data + 4 * i, &x, 4); break; }
    default: memcpy((char *)data + 8 * i, &v, 8); break;
    }
}

static voce_status read_typed(vc_pool *pool, const vc_pb *msg, const char *name, voce_dtype dt,
                              int64_t numel, void **data)
{
    uint32_t num;
    vc_pb_scalar kind;
    typed_field(dt, &num, &kind);
    long long n = vc_pb_rep_count(msg, num, kind);
    if (n < 0) return vc_error_prefix(VOCE_ERR_FORMAT, "tensor '%s': ", name);
    if (n != numel)
        return vc_error(VOCE_ERR_FORMAT, "tensor '%s' has %lld values, its shape needs %lld", name,
                        n, (long long)numel);
    size_t nbytes = (size_t)numel * voce_dtype_size(dt);
    void *p = vc_pool_alloc_aligned(pool, nbytes, 64);
    if (!p) return vc_error(VOCE_ERR_NOMEM, "tensor '%s': out of memory", name);
    vc_pb_rep it;
    vc_pb_rep_init(&it, msg, num, kind);
    uint64_t v;
    for (int64_t i = 0; i < numel; i++) {
        if (vc_pb_rep_next(&it, &v) != 1)
            return vc_error_prefix(VOCE_ERR_FORMAT, "tensor '%s': ", name);
        store(p, i, dt, v);
    }
    *data = p;
    return VOCE_OK;
}

voce_status vc_onnx_read_tensor(vc_pool *pool, const vc_pb *msg, const char *base_dir,
                                vc_onnx_tensor *out)
{
    memset(out, 0, sizeof *out);
    tensor_fields tf;
    voce_status st = scan_fields(pool, msg, &tf);
    if (st) return st;
    const char *name = tf.name[0] ? tf.name : "<unnamed>";
    out->name = tf.name;
    if (tf.has_segment)
        return vc_error(VOCE_ERR_UNSUPPORTED, "tensor '%s' is segmented, which voce does not "
                        "support", name);
    if ((st = check_dtype(name, tf.data_type))) return st;
    vc_tensor *t = &out->t;
    t->dtype = (voce_dtype)tf.data_type;
    if ((st = read_dims(msg, name, t))) return st;
    int64_t numel = vc_shape_numel(t->rank, t->dims);
    if (numel < 0) {
        char buf[160];
        return vc_error(VOCE_ERR_NOMEM, "tensor '%s' has shape %s, more than 2^40 elements", name,
                        vc_shape_str(t->rank, t->dims, buf, sizeof buf));
    }
    uint64_t nbytes = (uint64_t)numel * voce_dtype_size(t->dtype);
    void *data = NULL;
    if (tf.location == 1) {
        if (!tf.n_external)
            return vc_error(VOCE_ERR_FORMAT, "tensor '%s' is marked external but has no "
                            "external_data entries", name);
        st = read_external(pool, msg, base_dir, name, nbytes, &data);
    } else if (tf.location != 0) {
        return vc_error(VOCE_ERR_FORMAT, "tensor '%s' has unknown data_location %lld", name,
                        (long long)tf.location);
    } else if (tf.has_raw) {
        if (tf.raw.len != nbytes) {
            char buf[160];
            return vc_error(VOCE_ERR_FORMAT, "tensor '%s' has %zu bytes of raw data, its shape %s "
                            "of %s needs %llu", name, tf.raw.len,
                            vc_shape_str(t->rank, t->dims, buf, sizeof buf),
                            voce_dtype_name(t->dtype), (unsigned long long)nbytes);
        }
        data = vc_pool_alloc_aligned(pool, (size_t)nbytes, 64);
        if (!data) return vc_error(VOCE_ERR_NOMEM, "tensor '%s': out of memory", name);
        if (nbytes) memcpy(data, tf.raw.data, (size_t)nbytes);
    } else {
        st = read_typed(pool, msg, name, t->dtype, numel, &data);
    }
    if (st) return st;
    if (t->dtype == VOCE_DTYPE_BOOL) /* voce's bool is 0 or 1; any non-zero byte is true */
        for (int64_t i = 0; i < numel; i++) ((uint8_t *)data)[i] = ((uint8_t *)data)[i] != 0;
    t->data = data;
    out->nbytes = nbytes;
    return VOCE_OK;
}
