/* Manifest reader for op test cases (format documented in tests/ops/opcase.py). */
#include "opcases.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/f16.h"
#include "compiler/compiler.h"
#include "core/npy.h"
#include "harness.h"

static char load_error[1024];

const char *vt_opcases_error(void) { return load_error; }

static int load_npy(const char *dir, const char *file, vc_tensor *t)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (vc_npy_read(path, t) != VOCE_OK) {
        snprintf(load_error, sizeof load_error, "%s", voce_last_error());
        return -1;
    }
    return 0;
}

/* Parse one "attr" line (tokens after "attr"). */
static int parse_attr(vt_opcase *c, char **tok, int nt)
{
    if (nt < 3 || c->node.n_attr >= 32) return -1;
    vc_attr *a = &c->attrs[c->node.n_attr++];
    memset(a, 0, sizeof *a);
    a->name = vc_pool_strdup(&c->pool, tok[0]);
    const char *type = tok[1];
    if (!strcmp(type, "int")) { a->type = VC_ATTR_INT; a->i = strtoll(tok[2], NULL, 10); }
    else if (!strcmp(type, "float")) { a->type = VC_ATTR_FLOAT; a->f = strtof(tok[2], NULL); }
    else if (!strcmp(type, "string")) { a->type = VC_ATTR_STRING; a->s = vc_pool_strdup(&c->pool, tok[2]); }
    else if (!strcmp(type, "tensor")) {
        vc_tensor t;
        if (load_npy(c->dir, tok[2], &t)) return -1;
        a->type = VC_ATTR_TENSOR;
        a->t = t;
        a->t.data = vc_pool_memdup(&c->pool, t.data, vc_nbytes(&t));
        free(t.data);
    } else {
        int64_t n = strtoll(tok[2], NULL, 10);
        if (n < 0 || n > nt - 3) return -1;
        a->count = n;
        if (!strcmp(type, "ints")) {
            int64_t *v = vc_pool_alloc(&c->pool, sizeof(int64_t) * (size_t)(n + 1));
            for (int64_t i = 0; i < n; i++) v[i] = strtoll(tok[3 + i], NULL, 10);
            a->type = VC_ATTR_INTS;
            a->ints = v;
        } else if (!strcmp(type, "floats")) {
            float *v = vc_pool_alloc(&c->pool, sizeof(float) * (size_t)(n + 1));
            for (int64_t i = 0; i < n; i++) v[i] = strtof(tok[3 + i], NULL);
            a->type = VC_ATTR_FLOATS;
            a->floats = v;
        } else if (!strcmp(type, "strings")) {
            const char **v = vc_pool_alloc(&c->pool, sizeof(char *) * (size_t)(n + 1));
            for (int64_t i = 0; i < n; i++) v[i] = vc_pool_strdup(&c->pool, tok[3 + i]);
            a->type = VC_ATTR_STRINGS;
            a->strings = v;
        } else return -1;
    }
    return 0;
}

vt_opcase *vt_opcases_load(int *count)
{
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s", vt_build_path(NULL, "op-cases"));
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(load_error, sizeof load_error, "%s is missing (run tests/ops/gen.py)", path);
        return NULL;
    }
    int cap = 64, n = 0;
    vt_opcase *cases = calloc((size_t)cap, sizeof *cases);
    vt_opcase *c = NULL;
    char line[65536];
    int bad = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        char *tok[4096];
        int nt = 0;
        for (char *p = strtok(line, " \n"); p && nt < 4096; p = strtok(NULL, " \n")) tok[nt++] = p;
        if (nt == 0) continue;
        if (!strcmp(tok[0], "case") && nt == 4) {
            if (n == cap) {
                cases = realloc(cases, sizeof *cases * (size_t)(cap *= 2));
                memset(cases + n, 0, sizeof *cases * (size_t)(cap - n));
            }
            c = &cases[n++];
            snprintf(c->name, sizeof c->name, "%s", tok[1]);
            snprintf(c->dir, sizeof c->dir, "%s", dir);
            vc_pool_init(&c->pool);
            c->node.op_type = vc_pool_strdup(&c->pool, tok[2]);
            c->node.name = c->name;
            c->node.opset = atoi(tok[3]);
        } else if (!c) {
            bad = 1;
        } else if (!strcmp(tok[0], "attr")) {
            bad = parse_attr(c, tok + 1, nt - 1);
        } else if (!strcmp(tok[0], "in") && nt == 2 && c->node.n_in < VT_MAX_IO) {
            int k = c->node.n_in++;
            c->has_in[k] = strcmp(tok[1], "-") != 0;
            if (c->has_in[k]) bad = load_npy(dir, tok[1], &c->in[k]);
        } else if (!strcmp(tok[0], "out") && nt == 4 && c->node.n_out < VT_MAX_IO) {
            int k = c->node.n_out++;
            c->atol[k] = strtod(tok[2], NULL);
            c->rtol[k] = strtod(tok[3], NULL);
            bad = load_npy(dir, tok[1], &c->want[k]);
        } else if (!strcmp(tok[0], "end")) {
            c->node.attr = c->attrs;
            c = NULL;
        } else {
            bad = 1;
        }
    }
    fclose(f);
    /* realloc may have moved the cases: point each node at its own storage again */
    for (int i = 0; i < n; i++) {
        cases[i].node.attr = cases[i].attrs;
        cases[i].node.name = cases[i].name;
    }
    if (bad) {
        if (!load_error[0]) snprintf(load_error, sizeof load_error, "malformed manifest %s", path);
        vt_opcases_free(cases, n);
        return NULL;
    }
    *count = n;
    return cases;
}

void vt_opcases_free(vt_opcase *cases, int count)
{
    if (!cases) return;
    for (int i = 0; i < count; i++) {
        for (int k = 0; k < VT_MAX_IO; k++) {
            free(cases[i].in[k].data);
            free(cases[i].want[k].data);
        }
        vc_pool_free(&cases[i].pool);
    }
    free(cases);
}

int vt_compare(const vc_tensor *got, const vc_tensor *want, double atol, double rtol,
               char *why, size_t n)
{
    char s1[128], s2[128];
    if (got->dtype != want->dtype) {
        snprintf(why, n, "dtype %s, expected %s", voce_dtype_name(got->dtype), voce_dtype_name(want->dtype));
        return 1;
    }
    if (got->rank != want->rank || memcmp(got->dims, want->dims, sizeof(int64_t) * (size_t)got->rank)) {
        snprintf(why, n, "shape %s, expected %s", vc_shape_str(got->rank, got->dims, s1, sizeof s1),
                 vc_shape_str(want->rank, want->dims, s2, sizeof s2));
        return 1;
    }
    int64_t count = vc_numel(got);
    int is_float = vc_dtype_is_float(got->dtype);
    for (int64_t i = 0; i < count; i++) {
        if (is_float) {
            double g = vc_get_f64(got, i), w = vc_get_f64(want, i);
            if (isnan(w) && isnan(g)) continue;
            if (isinf(w) && g == w) continue;
            if (!(fabs(g - w) <= atol + rtol * fabs(w))) {
                snprintf(why, n, "element %lld is %.9g, expected %.9g (atol %g rtol %g)",
                         (long long)i, g, w, atol, rtol);
                return 1;
            }
        } else if (got->dtype == VOCE_DTYPE_U64) {
            if (((const uint64_t *)got->data)[i] != ((const uint64_t *)want->data)[i]) {
                snprintf(why, n, "element %lld differs", (long long)i);
                return 1;
            }
        } else if (vc_get_int(got, i) != vc_get_int(want, i)) {
            snprintf(why, n, "element %lld is %lld, expected %lld", (long long)i,
                     (long long)vc_get_int(got, i), (long long)vc_get_int(want, i));
            return 1;
        }
    }
    return 0;
}

voce_tensor vt_to_voce(const vc_tensor *t)
{
    voce_tensor v = {t->dtype, t->rank, {0}, t->data, vc_nbytes(t)};
    memcpy(v.dims, t->dims, sizeof v.dims);
    return v;
}

vc_tensor vt_from_voce(const voce_tensor *t)
{
    vc_tensor v = {t->dtype, t->rank, {0}, (void *)t->data};
    memcpy(v.dims, t->dims, sizeof v.dims);
    return v;
}

voce_status vt_compile_open(const char *onnx, const char *out, voce_program **p, voce_method **m)
{
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = onnx;
    *p = NULL;
    *m = NULL;
    voce_status st = vc_compile(&o, out, NULL);
    if (!st) st = voce_program_open(out, NULL, p);
    if (!st) st = voce_method_create(*p, NULL, NULL, m);
    return st;
}
