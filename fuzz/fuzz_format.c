/* libFuzzer target for the .voce reader (vc_file_parse).
 *
 * Each input is parsed twice from an exact-size, 64-byte aligned copy (so ASan sees any
 * read past the end and constants are aligned as the reader requires):
 *   1. as is, checksums not verified: header/table CRC, size and magic checks;
 *   2. with the header's file size, the section CRCs, the table CRC and the header CRC
 *      recomputed, so that mutations of any field reach the structure checks behind
 *      the checksums (a fuzzer cannot fix a CRC by itself).
 * A successful parse is walked (every pointer the reader hands out is read) and freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "runtime/op.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t ld32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t ld64(const unsigned char *p) { return ld32(p) | (uint64_t)ld32(p + 4) << 32; }
static void st32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void fix_up(unsigned char *b, size_t n)
{
    if (n < 64) return;
    st32(b + 16, (uint32_t)n);
    st32(b + 20, (uint32_t)((uint64_t)n >> 32));
    uint64_t toff = ld64(b + 32), cnt = ld32(b + 24);
    if (cnt <= 64 && toff <= n && cnt * 32 <= n - toff) {
        for (uint64_t i = 0; i < cnt; i++) {
            unsigned char *e = b + toff + 32 * i;
            uint64_t off = ld64(e + 8), len = ld64(e + 16);
            if (off <= n && len <= n - off) st32(e + 24, vc_crc32c(0, b + off, (size_t)len));
        }
        st32(b + 40, vc_crc32c(0, b + toff, (size_t)(cnt * 32)));
    }
    uint64_t hs = ld32(b + 12);
    if (hs >= 64 && hs <= n) {
        st32(b + 44, 0);
        st32(b + 44, vc_crc32c(0, b, (size_t)hs));
    }
}

static unsigned walk(const vc_file *f)
{
    unsigned sum = 0;
    for (int i = 0; i < f->n_meta; i++) {
        const vc_meta *m = &f->meta[i];
        sum += (unsigned)strlen(m->key);
        if (m->type == VOCE_META_STRING) sum += (unsigned)strlen(m->s);
        for (uint64_t k = 0; m->type == VOCE_META_STRINGS && k < m->count; k++)
            sum += (unsigned)strlen(m->strings[k]);
        uint64_t nb = m->type == VOCE_META_INTS ? 8 * m->count
                    : m->type == VOCE_META_FLOATS ? 4 * m->count
                    : m->type == VOCE_META_BLOB ? m->count : 0;
        for (uint64_t k = 0; k < nb; k++) sum += ((const unsigned char *)m->data)[k];
    }
    for (int mi = 0; mi < f->n_methods; mi++) {
        const vc_mgraph *g = &f->methods[mi];
        for (int v = 0; v < g->n_values; v++) {
            const vc_value *val = &g->values[v];
            sum += (unsigned)strlen(val->name);
            for (uint64_t k = 0; k < val->nbytes; k++) sum += ((const unsigned char *)val->data)[k];
        }
        for (int gi = 0; gi < g->n_graphs; gi++) {
            const vc_graph *gr = &g->graphs[gi];
            for (int i = 0; i < gr->n_out; i++) sum += (unsigned)g->values[gr->out[i]].rank;
            for (int k = 0; k < gr->n_nodes; k++) {
                const vc_node *n = &gr->nodes[k];
                sum += (unsigned)strlen(n->op->name);
                for (int i = 0; i < n->n_in; i++)
                    if (n->in[i] >= 0) sum += (unsigned)g->values[n->in[i]].rank;
                for (int a = 0; a < n->n_attr; a++) {
                    const vc_attr *at = &n->attr[a];
                    if (at->type == VC_ATTR_GRAPH) sum += (unsigned)g->graphs[at->graph].n_nodes;
                    if (at->type == VC_ATTR_TENSOR)
                        for (size_t e = 0; e < vc_nbytes(&at->t); e++)
                            sum += ((const unsigned char *)at->t.data)[e];
                    for (int64_t e = 0; at->type == VC_ATTR_STRINGS && e < at->count; e++)
                        sum += (unsigned)strlen(at->strings[e]);
                }
            }
        }
    }
    return sum;
}

static void parse_once(const unsigned char *b, size_t n, int verify)
{
    vc_file f;
    if (vc_file_parse(b, n, verify, &f) == VOCE_OK) {
        volatile unsigned sink = walk(&f);
        (void)sink;
        (void)vc_file_meta(&f, "sample_rate");
        vc_file_free(&f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, size ? size : 1)) return 0;
    unsigned char *b = p;
    if (size) memcpy(b, data, size);
    parse_once(b, size, 0);
    fix_up(b, size);
    parse_once(b, size, 1);
    free(b);
    return 0;
}
