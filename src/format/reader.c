/* .voce reader, file level: header, section table, STRINGS, META; the METHODS stream is
 * parsed in reader_method.c. The bytes are treated as hostile: every field is checked
 * before use, and nothing is allocated before the bytes that would justify it are known
 * to exist. Strings, metadata arrays and constants point into the caller's bytes.
 * Limits: at most VC_FMT_MAX_SECTIONS sections; the host must be little-endian.
 */
#include <stdlib.h>

#include "format_int.h"

static const char *section_name(uint32_t kind)
{
    switch (kind) {
    case VC_SECT_STRINGS: return "STRINGS";
    case VC_SECT_META: return "META";
    case VC_SECT_METHODS: return "METHODS";
    case VC_SECT_DATA: return "DATA";
    default: return "unknown";
    }
}

typedef struct span {
    uint64_t off, size;
    const char *what;
} span;

static voce_status check_header(const unsigned char *b, size_t size, vc_file *f,
                                uint64_t *header_size)
{
    if (size < 8 || memcmp(b, VC_FMT_MAGIC, 8) != 0)
        return vc_error(VOCE_ERR_FORMAT, "not a voce program (bad magic)");
    /* version before anything else: another major version may lay out the rest anew */
    if (size < 12) return vc_error(VOCE_ERR_FORMAT, "truncated header (%zu bytes)", size);
    f->version_major = vc_ld16(b + VC_HDR_MAJOR);
    f->version_minor = vc_ld16(b + VC_HDR_MINOR);
    if (f->version_major != VC_FORMAT_MAJOR)
        return vc_error(VOCE_ERR_VERSION,
                        "format version %d.%d is not supported (this build reads %d.x)",
                        f->version_major, f->version_minor, VC_FORMAT_MAJOR);
    if (size < VC_FMT_HEADER_SIZE)
        return vc_error(VOCE_ERR_FORMAT, "truncated header (%zu bytes)", size);
    uint64_t hs = vc_ld32(b + VC_HDR_SIZE);
    if (hs < VC_FMT_HEADER_SIZE || hs > size)
        return vc_error(VOCE_ERR_FORMAT, "header size %llu is not in %d..%zu",
                        (unsigned long long)hs, VC_FMT_HEADER_SIZE, size);
    if (vc_header_crc(b, (size_t)hs) != vc_ld32(b + VC_HDR_CRC))
        return vc_error(VOCE_ERR_FORMAT, "header checksum mismatch (file is corrupt)");
    uint64_t fs = vc_ld64(b + VC_HDR_FILE_SIZE);
    if (fs != size)
        return vc_error(VOCE_ERR_FORMAT,
                        "file is %zu bytes but its header says %llu (truncated or extended?)",
                        size, (unsigned long long)fs);
    *header_size = hs;
    return VOCE_OK;
}

/* Sort spans by offset (insertion sort: at most VC_FMT_MAX_SECTIONS + 2 of them), then
 * walk them: no overlap, and the gaps between them (padding) must be zero, so that
 * every byte of the file is covered by a checksum or by this check. */
static voce_status check_spans(const unsigned char *b, size_t size, span *s, int n)
{
    for (int i = 1; i < n; i++) {
        span t = s[i];
        int j = i;
        for (; j > 0 && s[j - 1].off > t.off; j--) s[j] = s[j - 1];
        s[j] = t;
    }
    uint64_t end = 0;
    const char *prev = "start of file";
    for (int i = 0; i < n; i++) {
        if (s[i].size == 0) continue;
        if (s[i].off < end)
            return vc_error(VOCE_ERR_FORMAT, "%s overlaps %s", s[i].what, prev);
        for (uint64_t p = end; p < s[i].off; p++)
            if (b[p]) return vc_error(VOCE_ERR_FORMAT, "nonzero padding byte at offset %llu",
                                      (unsigned long long)p);
        end = s[i].off + s[i].size;
        prev = s[i].what;
    }
    for (uint64_t p = end; p < size; p++)
        if (b[p]) return vc_error(VOCE_ERR_FORMAT, "nonzero padding byte at offset %llu",
                                  (unsigned long long)p);
    return VOCE_OK;
}

static voce_status read_sections(const unsigned char *b, size_t size, uint64_t hs,
                                 int verify, vc_rd *rd, span *known)
{
    uint64_t toff = vc_ld64(b + VC_HDR_TABLE_OFF);
    uint32_t n = vc_ld32(b + VC_HDR_NSECT);
    if (n > VC_FMT_MAX_SECTIONS)
        return vc_error(VOCE_ERR_FORMAT, "%u sections (at most %d)", n, VC_FMT_MAX_SECTIONS);
    uint64_t tsize = (uint64_t)n * VC_FMT_SECTION_ENTRY;
    if (toff > size || tsize > size - toff)
        return vc_error(VOCE_ERR_FORMAT, "section table (%u entries at %llu) is outside the file",
                        n, (unsigned long long)toff);
    const unsigned char *t = b + toff;
    if (vc_crc32c(0, t, (size_t)tsize) != vc_ld32(b + VC_HDR_TABLE_CRC))
        return vc_error(VOCE_ERR_FORMAT, "section table checksum mismatch (file is corrupt)");
    span spans[VC_FMT_MAX_SECTIONS + 2];
    spans[0] = (span){0, hs, "header"};
    spans[1] = (span){toff, tsize, "section table"};
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *e = t + (size_t)i * VC_FMT_SECTION_ENTRY;
        uint32_t kind = vc_ld32(e);
        uint64_t off = vc_ld64(e + 8), len = vc_ld64(e + 16);
        const char *nm = section_name(kind);
        if (kind == 0) return vc_error(VOCE_ERR_FORMAT, "section %u has kind 0", i);
        if (off % VC_FMT_ALIGN)
            return vc_error(VOCE_ERR_FORMAT, "section %u (%s) offset %llu is not a multiple of 64",
                            i, nm, (unsigned long long)off);
        if (off > size || len > size - off)
            return vc_error(VOCE_ERR_FORMAT, "section %u (%s) at %llu+%llu is outside the file",
                            i, nm, (unsigned long long)off, (unsigned long long)len);
        if (kind <= VC_SECT_DATA) {
            if (known[kind].what)
                return vc_error(VOCE_ERR_FORMAT, "section %s appears twice", nm);
            known[kind] = (span){off, len, nm};
        }
        spans[2 + i] = (span){off, len, nm};
        if (verify && vc_crc32c(0, b + off, (size_t)len) != vc_ld32(e + 24))
            return vc_error(VOCE_ERR_FORMAT, "section %s checksum mismatch (file is corrupt)", nm);
    }
    for (uint32_t k = VC_SECT_STRINGS; k <= VC_SECT_DATA; k++)
        if (!known[k].what)
            return vc_error(VOCE_ERR_FORMAT, "section %s is missing", section_name(k));
    voce_status st = check_spans(b, size, spans, (int)n + 2);
    if (st) return st;
    rd->base = b;
    rd->size = size;
    rd->strings_off = (size_t)known[VC_SECT_STRINGS].off;
    rd->strings_size = (size_t)known[VC_SECT_STRINGS].size;
    rd->data_off = (size_t)known[VC_SECT_DATA].off;
    rd->data_size = (size_t)known[VC_SECT_DATA].size;
    const unsigned char *s = b + rd->strings_off;
    /* a NUL at both ends makes offset 0 the empty string and every offset inside the
     * table the start of a terminated string: a reference needs only a bounds check */
    if (rd->strings_size == 0 || s[0] != 0 || s[rd->strings_size - 1] != 0)
        return vc_error(VOCE_ERR_FORMAT, "STRINGS section must start and end with a NUL byte");
    return VOCE_OK;
}

static voce_status meta_array(const vc_rd *rd, vc_meta *m, uint64_t off, uint64_t count,
                              size_t esize, vc_pool *pool)
{
    if (count > rd->data_size / esize)
        return vc_error(VOCE_ERR_FORMAT, "metadata '%s': %llu elements do not fit in DATA",
                        m->key, (unsigned long long)count);
    const void *p;
    int r = vc_rd_data(rd, off, count * esize, &p);
    if (r)
        return vc_error(VOCE_ERR_FORMAT, "metadata '%s': array %s", m->key,
                        r == -1 ? "outside the DATA section" : "not 64-byte aligned");
    m->count = count;
    if (m->type != VOCE_META_STRINGS) {
        m->data = p;
        return VOCE_OK;
    }
    const char **s = vc_pool_alloc(pool, (size_t)count * sizeof *s + 1);
    if (!s) return vc_error(VOCE_ERR_NOMEM, "metadata '%s': out of memory", m->key);
    for (uint64_t i = 0; i < count; i++) {
        uint32_t ref = vc_ld32((const unsigned char *)p + 4 * i);
        s[i] = vc_rd_string(rd, ref);
        if (!s[i])
            return vc_error(VOCE_ERR_FORMAT, "metadata '%s': string %llu has a bad reference %u",
                            m->key, (unsigned long long)i, ref);
    }
    m->strings = s;
    return VOCE_OK;
}

static voce_status meta_entry(const vc_rd *rd, const unsigned char *e, size_t i, vc_meta *m,
                              vc_pool *pool)
{
    uint32_t kref = vc_ld32(e), type = vc_ld32(e + 4);
    uint64_t a = vc_ld64(e + 8), b = vc_ld64(e + 16);
    m->key = vc_rd_string(rd, kref);
    if (!m->key || !m->key[0])
        return vc_error(VOCE_ERR_FORMAT, "metadata entry %zu: bad key reference %u", i, kref);
    m->type = (voce_meta_type)type;
    switch (type) {
    case VOCE_META_INT: m->i = (int64_t)a; return VOCE_OK;
    case VOCE_META_FLOAT: memcpy(&m->f, &a, 8); return VOCE_OK;
    case VOCE_META_STRING:
        m->s = vc_rd_string(rd, a);
        if (!m->s)
            return vc_error(VOCE_ERR_FORMAT, "metadata '%s': bad string reference %llu", m->key,
                            (unsigned long long)a);
        m->count = strlen(m->s);
        return VOCE_OK;
    case VOCE_META_INTS: return meta_array(rd, m, a, b, 8, pool);
    case VOCE_META_FLOATS: return meta_array(rd, m, a, b, 4, pool);
    case VOCE_META_STRINGS: return meta_array(rd, m, a, b, 4, pool);
    case VOCE_META_BLOB: return meta_array(rd, m, a, b, 1, pool);
    }
    return vc_error(VOCE_ERR_FORMAT, "metadata '%s': unknown type %u", m->key, type);
}

static voce_status read_meta(const vc_rd *rd, const span *sec, vc_file *f)
{
    const unsigned char *p = rd->base + sec->off;
    if (sec->size < 8) return vc_error(VOCE_ERR_FORMAT, "META section is too short");
    uint32_t n = vc_ld32(p);
    if (n > (sec->size - 8) / VC_META_ENTRY || sec->size != 8 + (uint64_t)n * VC_META_ENTRY ||
        n > INT32_MAX)
        return vc_error(VOCE_ERR_FORMAT, "META section of %llu bytes cannot hold %u entries",
                        (unsigned long long)sec->size, n);
    f->meta = vc_pool_alloc(&f->pool, (size_t)n * sizeof(vc_meta) + 1);
    if (!f->meta) return vc_error(VOCE_ERR_NOMEM, "out of memory for metadata");
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *e = p + 8 + (size_t)i * VC_META_ENTRY;
        voce_status st = meta_entry(rd, e, i, &f->meta[i], &f->pool);
        if (st) return st;
        /* sorted and unique, so that lookup can binary-search */
        if (i && strcmp(f->meta[i - 1].key, f->meta[i].key) >= 0)
            return vc_error(VOCE_ERR_FORMAT,
                            "metadata keys are not sorted and unique ('%s' after '%s')",
                            f->meta[i].key, f->meta[i - 1].key);
        f->n_meta = (int)i + 1;
    }
    return VOCE_OK;
}

static voce_status parse(const unsigned char *b, size_t size, int verify, vc_file *f)
{
    uint64_t hs = 0;
    voce_status st = check_header(b, size, f, &hs);
    if (st) return st;
    vc_rd rd;
    span known[VC_SECT_DATA + 1];
    memset(known, 0, sizeof known);
    st = read_sections(b, size, hs, verify, &rd, known);
    if (!st) st = read_meta(&rd, &known[VC_SECT_META], f);
    if (!st) st = vc_read_methods(&rd, b + known[VC_SECT_METHODS].off,
                                  (size_t)known[VC_SECT_METHODS].size, f);
    return st;
}

voce_status vc_file_parse(const void *data, size_t size, int verify_checksums, vc_file *out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "vc_file_parse: NULL output");
    memset(out, 0, sizeof *out);
    if (!data && size) return vc_error(VOCE_ERR_INVALID_ARG, "vc_file_parse: NULL data");
    if ((uintptr_t)data % VC_FMT_ALIGN)
        return vc_error(VOCE_ERR_INVALID_ARG, "vc_file_parse: data must be 64-byte aligned");
    vc_pool_init(&out->pool);
    out->base = data;
    out->size = size;
    voce_status st = parse(data ? data : "", size, verify_checksums, out);
    if (st) vc_file_free(out);
    return st;
}

void vc_file_free(vc_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->n_methods; i++) vc_mgraph_free(&f->methods[i]);
    vc_pool_free(&f->pool);
    memset(f, 0, sizeof *f);
}

const vc_meta *vc_file_meta(const vc_file *f, const char *key)
{
    if (!f || !key) return NULL;
    int lo = 0, hi = f->n_meta;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(f->meta[mid].key, key);
        if (c == 0) return &f->meta[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return NULL;
}
