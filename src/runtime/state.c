/* Method state pairs (state.h). */
#include "state.h"

#include <string.h>

#include "../core/error.h"

static int find_name(const vc_mgraph *mg, const int32_t *vals, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++) {
        const char *s = mg->values[vals[i]].name;
        if (strlen(s) == len && memcmp(s, name, len) == 0) return i;
    }
    return -1;
}

static voce_status same_decl(const vc_mgraph *mg, int vi, int vo)
{
    const vc_value *a = &mg->values[vi], *b = &mg->values[vo];
    int same = a->dtype == b->dtype && a->rank == b->rank;
    for (int d = 0; same && d < a->rank; d++) same = a->dims[d] == b->dims[d];
    if (!same)
        return vc_error(VOCE_ERR_FORMAT, "method '%s': state input '%s' and output '%s' must have "
                        "the same declared type and shape", mg->name, a->name, b->name);
    return VOCE_OK;
}

/* One "in:out" item of length len. */
static voce_status parse_pair(const char *item, size_t len, const vc_mgraph *mg, int32_t *out_of_in,
                              int32_t *in_of_out)
{
    const vc_graph *g = &mg->graphs[0];
    const char *colon = memchr(item, ':', len);
    if (!colon)
        return vc_error(VOCE_ERR_FORMAT, "method '%s': state entry '%.*s' is not 'input:output'",
                        mg->name, (int)len, item);
    size_t li = (size_t)(colon - item), lo = len - li - 1;
    int i = find_name(mg, g->in, g->n_in, item, li);
    int o = find_name(mg, g->out, g->n_out, colon + 1, lo);
    if (i < 0 || o < 0)
        return vc_error(VOCE_ERR_FORMAT, "method '%s': state entry '%.*s' names no %s", mg->name,
                        (int)len, item, i < 0 ? "input" : "output");
    if (out_of_in[i] >= 0 || in_of_out[o] >= 0)
        return vc_error(VOCE_ERR_FORMAT, "method '%s': state entry '%.*s' repeats an input or output",
                        mg->name, (int)len, item);
    voce_status st = same_decl(mg, g->in[i], g->out[o]);
    if (st) return st;
    out_of_in[i] = o;
    in_of_out[o] = i;
    return VOCE_OK;
}

voce_status vc_state_parse(const char *spec, const vc_mgraph *mg, int32_t *out_of_in, int32_t *in_of_out)
{
    const vc_graph *g = &mg->graphs[0];
    for (int i = 0; i < g->n_in; i++) out_of_in[i] = -1;
    for (int o = 0; o < g->n_out; o++) in_of_out[o] = -1;
    while (spec && *spec) {
        const char *end = strchr(spec, ',');
        size_t len = end ? (size_t)(end - spec) : strlen(spec);
        voce_status st = parse_pair(spec, len, mg, out_of_in, in_of_out);
        if (st) return st;
        spec = end ? end + 1 : spec + len;
    }
    return VOCE_OK;
}
