/* Specialisation of method inputs: --fix (an input becomes a constant) and --shape
 * (an input's free dims are pinned). Both only touch graph 0's formal inputs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/f16.h"
#include "passes.h"

#define VC_FIX_MAX 4096

static int find_input(const vc_mgraph *g, const char *name)
{
    const vc_graph *g0 = &g->graphs[0];
    for (int i = 0; i < g0->n_in; i++)
        if (strcmp(g->values[g0->in[i]].name, name) == 0) return i;
    return -1;
}

/* Parse comma-separated numbers into doubles and int64s. Returns the count or -1. */
static int parse_list(const char *text, double *f, int64_t *iv, int max)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        if (n == max) return -1;
        char *end;
        errno = 0;
        if (!strncmp(p, "true", 4)) { f[n] = 1; iv[n] = 1; end = (char *)p + 4; }
        else if (!strncmp(p, "false", 5)) { f[n] = 0; iv[n] = 0; end = (char *)p + 5; }
        else {
            f[n] = strtod(p, &end);
            if (end == p || errno) return -1;
            iv[n] = strtoll(p, NULL, 10);
        }
        n++;
        p = end;
        if (*p == ',') p++;
        else if (*p) return -1;
    }
    return n;
}

static void store(void *data, voce_dtype dt, int i, double f, int64_t iv)
{
    switch (dt) {
    case VOCE_DTYPE_F32: ((float *)data)[i] = (float)f; break;
    case VOCE_DTYPE_F64: ((double *)data)[i] = f; break;
    case VOCE_DTYPE_F16: ((uint16_t *)data)[i] = vc_f32_to_f16((float)f); break;
    case VOCE_DTYPE_I64: ((int64_t *)data)[i] = iv; break;
    case VOCE_DTYPE_I32: ((int32_t *)data)[i] = (int32_t)iv; break;
    case VOCE_DTYPE_U64: ((uint64_t *)data)[i] = (uint64_t)iv; break;
    case VOCE_DTYPE_U32: ((uint32_t *)data)[i] = (uint32_t)iv; break;
    case VOCE_DTYPE_I16: ((int16_t *)data)[i] = (int16_t)iv; break;
    case VOCE_DTYPE_U16: ((uint16_t *)data)[i] = (uint16_t)iv; break;
    case VOCE_DTYPE_I8: ((int8_t *)data)[i] = (int8_t)iv; break;
    case VOCE_DTYPE_U8: ((uint8_t *)data)[i] = (uint8_t)iv; break;
    case VOCE_DTYPE_BOOL: ((uint8_t *)data)[i] = iv != 0; break;
    default: break;
    }
}

/* Shape of a fixed value of count elements for an input declared as v. */
static voce_status fixed_shape(const vc_value *v, int count, int *rank, int64_t *dims)
{
    if (v->rank <= 0) { /* scalar input, or rank unknown: a scalar or a list */
        if (v->rank == 0 && count != 1)
            return vc_error(VOCE_ERR_SHAPE, "--fix %s: the input is a scalar, %d values given", v->name, count);
        *rank = count == 1 ? 0 : 1;
        dims[0] = count;
        return VOCE_OK;
    }
    int free_dims = 0;
    int64_t fixed = 1;
    for (int d = 0; d < v->rank; d++) {
        if (v->dims[d] < 0) free_dims++;
        else fixed *= v->dims[d];
    }
    if (free_dims > 1 || (free_dims == 0 && fixed != count) || (free_dims == 1 && (fixed == 0 || count % fixed)))
        return vc_error(VOCE_ERR_SHAPE, "--fix %s: %d values do not fit the declared shape", v->name, count);
    *rank = v->rank;
    for (int d = 0; d < v->rank; d++) dims[d] = v->dims[d] >= 0 ? v->dims[d] : count / fixed;
    return VOCE_OK;
}

voce_status vc_pass_fix_input(vc_mgraph *g, const char *name, const char *text)
{
    int idx = find_input(g, name);
    if (idx < 0) return vc_error(VOCE_ERR_NOT_FOUND, "no input named '%s'", name);
    vc_graph *g0 = &g->graphs[0];
    vc_value *v = &g->values[g0->in[idx]];
    if (voce_dtype_size(v->dtype) == 0)
        return vc_error(VOCE_ERR_DTYPE, "--fix %s: the input's dtype is not known", name);
    double *f = malloc(sizeof *f * VC_FIX_MAX);
    int64_t *iv = malloc(sizeof *iv * VC_FIX_MAX);
    int count = f && iv ? parse_list(text, f, iv, VC_FIX_MAX) : -1;
    voce_status st = VOCE_OK;
    if (count <= 0) st = vc_error(VOCE_ERR_INVALID_ARG, "--fix %s=%s: expected numbers separated by commas", name, text);
    int rank = 0;
    int64_t dims[VOCE_MAX_RANK] = {0};
    if (!st) st = fixed_shape(v, count, &rank, dims);
    void *data = NULL;
    if (!st) {
        data = vc_pool_alloc_aligned(&g->pool, voce_dtype_size(v->dtype) * (size_t)count, 64);
        if (!data) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    if (!st) {
        for (int i = 0; i < count; i++) store(data, v->dtype, i, f[i], iv[i]);
        v->kind = VC_VAL_CONST;
        v->data = data;
        v->nbytes = voce_dtype_size(v->dtype) * (uint64_t)count;
        v->rank = rank;
        for (int d = 0; d < VOCE_MAX_RANK; d++) {
            v->dims[d] = d < rank ? dims[d] : -1;
            v->dim_names[d] = NULL;
        }
        memmove(&g0->in[idx], &g0->in[idx + 1], sizeof(int32_t) * (size_t)(g0->n_in - idx - 1));
        g0->n_in--;
    }
    free(f);
    free(iv);
    return st;
}

voce_status vc_pass_set_shape(vc_mgraph *g, const char *name, const char *text)
{
    int idx = find_input(g, name);
    if (idx < 0) return vc_error(VOCE_ERR_NOT_FOUND, "no input named '%s'", name);
    vc_value *v = &g->values[g->graphs[0].in[idx]];
    double f[VOCE_MAX_RANK + 1];
    int64_t iv[VOCE_MAX_RANK + 1];
    int n = *text ? parse_list(text, f, iv, VOCE_MAX_RANK + 1) : 0;
    if (n < 0 || n > VOCE_MAX_RANK)
        return vc_error(VOCE_ERR_INVALID_ARG, "--shape %s=%s: expected up to %d sizes separated by commas", name,
                        text, VOCE_MAX_RANK);
    if (v->rank >= 0 && v->rank != n)
        return vc_error(VOCE_ERR_SHAPE, "--shape %s: the input has rank %d, %d sizes given", name, v->rank, n);
    for (int d = 0; d < n; d++) {
        if (iv[d] < 0 || (double)iv[d] != f[d])
            return vc_error(VOCE_ERR_INVALID_ARG, "--shape %s: sizes must be whole numbers >= 0", name);
        if (v->rank >= 0 && v->dims[d] >= 0 && v->dims[d] != iv[d])
            return vc_error(VOCE_ERR_SHAPE, "--shape %s: dim %d is fixed to %lld by the model", name, d,
                            (long long)v->dims[d]);
    }
    v->rank = n;
    for (int d = 0; d < VOCE_MAX_RANK; d++) {
        v->dims[d] = d < n ? iv[d] : -1;
        v->dim_names[d] = NULL;
    }
    return VOCE_OK;
}
