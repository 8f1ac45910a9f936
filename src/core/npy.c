/* .npy reader and writer. The header is a Python dict literal; we parse the three keys
 * numpy writes (descr, fortran_order, shape) and nothing more. */
#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const struct {
    const char *descr;
    voce_dtype dtype;
} descrs[] = {
    {"<f4", VOCE_DTYPE_F32}, {"<f8", VOCE_DTYPE_F64}, {"<f2", VOCE_DTYPE_F16},
    {"<i8", VOCE_DTYPE_I64}, {"<i4", VOCE_DTYPE_I32}, {"<i2", VOCE_DTYPE_I16},
    {"|i1", VOCE_DTYPE_I8},  {"|u1", VOCE_DTYPE_U8},  {"<u2", VOCE_DTYPE_U16},
    {"<u4", VOCE_DTYPE_U32}, {"<u8", VOCE_DTYPE_U64}, {"|b1", VOCE_DTYPE_BOOL},
};
#define N_DESCRS (sizeof descrs / sizeof descrs[0])

/* Find the value text after 'key': in the header; NULL if absent. */
static const char *find_key(const char *hdr, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

static voce_status parse_header(const char *hdr, vc_tensor *t)
{
    const char *d = find_key(hdr, "descr");
    if (!d || *d != '\'') return vc_error(VOCE_ERR_FORMAT, "npy header has no descr");
    d++;
    t->dtype = VOCE_DTYPE_UNDEFINED;
    for (size_t i = 0; i < N_DESCRS; i++) {
        size_t n = strlen(descrs[i].descr);
        /* numpy writes '|' or '<' for single-byte types; accept both */
        if ((strncmp(d, descrs[i].descr, n) == 0 ||
             (descrs[i].descr[0] == '|' && d[0] == '<' && strncmp(d + 1, descrs[i].descr + 1, n - 1) == 0)) &&
            d[n] == '\'') {
            t->dtype = descrs[i].dtype;
            break;
        }
    }
    if (t->dtype == VOCE_DTYPE_UNDEFINED) {
        char got[16] = {0};
        for (int i = 0; i < 15 && d[i] && d[i] != '\''; i++) got[i] = d[i];
        return vc_error(VOCE_ERR_UNSUPPORTED, "npy dtype '%s' is not supported", got);
    }
    const char *f = find_key(hdr, "fortran_order");
    if (!f) return vc_error(VOCE_ERR_FORMAT, "npy header has no fortran_order");
    if (strncmp(f, "False", 5) != 0)
        return vc_error(VOCE_ERR_UNSUPPORTED, "npy in Fortran order is not supported");
    const char *s = find_key(hdr, "shape");
    if (!s || *s != '(') return vc_error(VOCE_ERR_FORMAT, "npy header has no shape");
    s++;
    t->rank = 0;
    for (;;) {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        if (*s < '0' || *s > '9') return vc_error(VOCE_ERR_FORMAT, "npy shape is malformed");
        if (t->rank == VOCE_MAX_RANK)
            return vc_error(VOCE_ERR_SHAPE, "npy rank exceeds %d", VOCE_MAX_RANK);
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || v < 0 || v > VC_MAX_NUMEL) return vc_error(VOCE_ERR_SHAPE, "npy dimension out of range");
        t->dims[t->rank++] = v;
        s = end;
    }
    if (vc_numel(t) < 0) return vc_error(VOCE_ERR_SHAPE, "npy shape is too large");
    return VOCE_OK;
}

voce_status vc_npy_read_memory(const void *data, size_t size, vc_tensor *out)
{
    const unsigned char *p = data;
    memset(out, 0, sizeof *out);
    if (size < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
        return vc_error(VOCE_ERR_FORMAT, "not a .npy file (bad magic)");
    unsigned major = p[6];
    size_t hlen, hstart;
    if (major == 1) { hlen = (size_t)p[8] | (size_t)p[9] << 8; hstart = 10; }
    else if (major == 2 || major == 3) {
        if (size < 12) return vc_error(VOCE_ERR_FORMAT, "truncated .npy header");
        hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
        hstart = 12;
    } else return vc_error(VOCE_ERR_VERSION, ".npy format version %u is not supported", major);
    if (hlen > size - hstart) return vc_error(VOCE_ERR_FORMAT, "truncated .npy header");
    char *hdr = malloc(hlen + 1);
    if (!hdr) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    memcpy(hdr, p + hstart, hlen);
    hdr[hlen] = 0;
    voce_status st = parse_header(hdr, out);
    free(hdr);
    if (st) return st;
    size_t nbytes = vc_nbytes(out);
    size_t off = hstart + hlen;
    if (size - off < nbytes)
        return vc_error(VOCE_ERR_FORMAT, ".npy data is truncated: %zu bytes, shape needs %zu",
                        size - off, nbytes);
    out->data = malloc(nbytes ? nbytes : 1);
    if (!out->data) return vc_error(VOCE_ERR_NOMEM, "out of memory for %zu bytes", nbytes);
    memcpy(out->data, p + off, nbytes);
    return VOCE_OK;
}

voce_status vc_npy_read(const char *path, vc_tensor *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return vc_error(VOCE_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return vc_error(VOCE_ERR_IO, "cannot read %s", path);
    }
    void *buf = malloc((size_t)size + 1);
    if (!buf) { fclose(f); return vc_error(VOCE_ERR_NOMEM, "out of memory reading %s", path); }
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    voce_status st = got == (size_t)size ? vc_npy_read_memory(buf, got, out)
                                         : vc_error(VOCE_ERR_IO, "short read on %s", path);
    free(buf);
    if (st) return vc_error_prefix(st, "%s: ", path);
    return VOCE_OK;
}

static const char *descr_of(voce_dtype dt)
{
    for (size_t i = 0; i < N_DESCRS; i++)
        if (descrs[i].dtype == dt) return descrs[i].descr;
    return NULL;
}

voce_status vc_npy_write(const char *path, const vc_tensor *t)
{
    const char *descr = descr_of(t->dtype);
    if (!descr) return vc_error(VOCE_ERR_DTYPE, "cannot write dtype %s to .npy", voce_dtype_name(t->dtype));
    char shape[256] = "(";
    size_t k = 1;
    for (int i = 0; i < t->rank; i++)
        k += (size_t)snprintf(shape + k, sizeof shape - k, "%lld,%s", (long long)t->dims[i],
                              i + 1 < t->rank ? " " : "");
    if (t->rank > 1) shape[--k] = 0; /* numpy writes (2, 3) but (5,) */
    snprintf(shape + k, sizeof shape - k, ")");
    char hdr[512];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    /* pad so that data starts on a 64-byte boundary, header ends with '\n' */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    size_t hlen = (size_t)n + pad + 1;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    FILE *f = fopen(path, "wb");
    if (!f) return vc_error(VOCE_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    size_t nb = vc_nbytes(t);
    ok = ok && (nb == 0 || fwrite(t->data, 1, nb, f) == nb);
    if (fclose(f) != 0) ok = 0;
    if (!ok) return vc_error(VOCE_ERR_IO, "cannot write %s", path);
    return VOCE_OK;
}
