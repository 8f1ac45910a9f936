/* The public runtime API (include/voce/runtime.h) over the format reader and executor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/mapfile.h"
#include "../format/format.h"
#include "exec.h"
#include "program.h"
#include "state.h"
#include "voce/runtime.h"

/* A method's state pairs (state.h): per input the output feeding it, per output the
 * input it feeds; -1 where none. */
typedef struct method_state {
    int32_t *out_of_in, *in_of_out;
} method_state;

struct voce_program {
    vc_mapfile map;     /* the file, when opened from a path */
    void *copy;         /* the bytes, when opened from memory */
    vc_file file;
    method_state *state; /* per method */
};

struct voce_method {
    const voce_program *prog;
    const vc_mgraph *mg;
    vc_exec exec;
    const method_state *state;
    void **in_buf;      /* per input: owned copy of the caller's data */
    size_t *in_cap;
    int *in_set;
    int executed;
};

voce_program_options voce_program_options_default(void)
{
    voce_program_options o;
    memset(&o, 0, sizeof o);
    o.verify_checksums = 1;
    return o;
}

static void free_state(voce_program *p)
{
    for (int i = 0; p->state && i < p->file.n_methods; i++) {
        free(p->state[i].out_of_in);
        free(p->state[i].in_of_out);
    }
    free(p->state);
    p->state = NULL;
}

/* Check every method's state pairs once, at open: a bad pair is a bad file. */
static voce_status read_state(voce_program *p)
{
    p->state = calloc((size_t)(p->file.n_methods ? p->file.n_methods : 1), sizeof *p->state);
    if (!p->state) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < p->file.n_methods; i++) {
        const vc_mgraph *mg = &p->file.methods[i];
        method_state *ms = &p->state[i];
        ms->out_of_in = malloc(sizeof(int32_t) * (size_t)(mg->graphs[0].n_in + 1));
        ms->in_of_out = malloc(sizeof(int32_t) * (size_t)(mg->graphs[0].n_out + 1));
        if (!ms->out_of_in || !ms->in_of_out) return vc_error(VOCE_ERR_NOMEM, "out of memory");
        char key[300];
        snprintf(key, sizeof key, "state.%s", mg->name);
        const vc_meta *e = vc_file_meta(&p->file, key);
        if (e && e->type != VOCE_META_STRING)
            return vc_error(VOCE_ERR_FORMAT, "metadata '%s' must be a string", key);
        voce_status st = vc_state_parse(e ? e->s : NULL, mg, ms->out_of_in, ms->in_of_out);
        if (st) return st;
    }
    return VOCE_OK;
}

static voce_status open_bytes(voce_program *p, const void *data, size_t size,
                              const voce_program_options *opt)
{
    voce_program_options def = voce_program_options_default();
    if (!opt) opt = &def;
    voce_status st = vc_file_parse(data, size, opt->verify_checksums, &p->file);
    if (st) return st;
    if ((st = read_state(p))) {
        free_state(p);
        vc_file_free(&p->file);
    }
    return st;
}

voce_status voce_program_open(const char *path, const voce_program_options *opt, voce_program **out)
{
    if (!path || !out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_program_open: path and out are required");
    *out = NULL;
    voce_program *p = calloc(1, sizeof *p);
    if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    voce_status st = vc_mapfile_open(path, &p->map);
    if (!st) st = open_bytes(p, p->map.data, p->map.size, opt);
    if (st) {
        vc_error_prefix(st, "%s: ", path);
        vc_mapfile_close(&p->map);
        free(p);
        return st;
    }
    *out = p;
    return VOCE_OK;
}

voce_status voce_program_open_memory(const void *data, size_t size, const voce_program_options *opt,
                                     voce_program **out)
{
    if ((!data && size) || !out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_program_open_memory: bad arguments");
    *out = NULL;
    voce_program *p = calloc(1, sizeof *p);
    if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    /* 64-byte aligned copy, so constants can be used in place as from a mapping */
    p->copy = aligned_alloc(64, (size + 63) & ~(size_t)63 ? (size + 63) & ~(size_t)63 : 64);
    if (!p->copy) {
        free(p);
        return vc_error(VOCE_ERR_NOMEM, "out of memory copying a %zu-byte program", size);
    }
    if (size) memcpy(p->copy, data, size);
    voce_status st = open_bytes(p, p->copy, size, opt);
    if (st) {
        free(p->copy);
        free(p);
        return st;
    }
    *out = p;
    return VOCE_OK;
}

void voce_program_close(voce_program *p)
{
    if (!p) return;
    free_state(p);
    vc_file_free(&p->file);
    vc_mapfile_close(&p->map);
    free(p->copy);
    free(p);
}

int voce_program_format_version(const voce_program *p)
{
    return p ? p->file.version_major * 100 + p->file.version_minor : 0;
}

size_t voce_program_file_size(const voce_program *p) { return p ? p->file.size : 0; }

/* ---- metadata ---- */

size_t voce_program_meta_count(const voce_program *p) { return p ? (size_t)p->file.n_meta : 0; }

voce_status voce_program_meta_at(const voce_program *p, size_t index, const char **key, voce_meta_type *type)
{
    if (!p || index >= (size_t)p->file.n_meta)
        return vc_error(VOCE_ERR_INVALID_ARG, "metadata index %zu out of range", index);
    if (key) *key = p->file.meta[index].key;
    if (type) *type = p->file.meta[index].type;
    return VOCE_OK;
}

static voce_status get_meta(const voce_program *p, const char *key, voce_meta_type want, const vc_meta **out)
{
    if (!p || !key) return vc_error(VOCE_ERR_INVALID_ARG, "metadata lookup needs a program and a key");
    const vc_meta *m = vc_file_meta(&p->file, key);
    if (!m) return vc_error(VOCE_ERR_NOT_FOUND, "metadata key '%s' is not in the program", key);
    if (want && m->type != want)
        return vc_error(VOCE_ERR_DTYPE, "metadata '%s' has type %d, not %d", key, (int)m->type, (int)want);
    *out = m;
    return VOCE_OK;
}

voce_status voce_program_meta_type(const voce_program *p, const char *key, voce_meta_type *type)
{
    const vc_meta *m = NULL;
    voce_status st = get_meta(p, key, 0, &m);
    if (!st && type) *type = m->type;
    return st;
}

voce_status voce_program_meta_int(const voce_program *p, const char *key, int64_t *value)
{
    const vc_meta *m = NULL;
    voce_status st = get_meta(p, key, VOCE_META_INT, &m);
    if (!st) *value = m->i;
    return st;
}

voce_status voce_program_meta_float(const voce_program *p, const char *key, double *value)
{
    const vc_meta *m = NULL;
    voce_status st = get_meta(p, key, 0, &m);
    if (st) return st;
    if (m->type == VOCE_META_FLOAT) *value = m->f;
    else if (m->type == VOCE_META_INT) *value = (double)m->i;
    else return vc_error(VOCE_ERR_DTYPE, "metadata '%s' is not a number", key);
    return VOCE_OK;
}

voce_status voce_program_meta_string(const voce_program *p, const char *key, const char **value, size_t *len)
{
    const vc_meta *m = NULL;
    voce_status st = get_meta(p, key, VOCE_META_STRING, &m);
    if (st) return st;
    *value = m->s;
    if (len) *len = strlen(m->s);
    return VOCE_OK;
}

voce_status voce_program_meta_ints(const voce_program *p, const char *key, const int64_t **values, size_t *count)
{
    const vc_meta *m = NULL;
    voce_status st = get_meta(p, key, VOCE_META_INTS, &m);
    if (st) return st;
    *values = m->data;
    *count = (size_t)m->count;
    return VOCE_OK;
}

voce_status voce_program_meta_floats(const voce_program *p, const char *key, const float **values, size_t *count)
{
    const vc_meta *m = NULL;
    voce_status st = get_meta(p, key, VOCE_META_FLOATS, &m);
    if (st) return st;
    *values = m->data;
    *count = (size_t)m->count;
    return VOCE_OK;
}

voce_status voce_program_meta_strings(const voce_program *p, const char *key, const char *const **values,
                                      size_t *count)
{
    const vc_meta *m = NULL;
    voce_status st = get_meta(p, key, VOCE_META_STRINGS, &m);
    if (st) return st;
    *values = m->strings;
    *count = (size_t)m->count;
    return VOCE_OK;
}

voce_status voce_program_meta_blob(const voce_program *p, const char *key, const void **data, size_t *size)
{
    const vc_meta *m = NULL;
    voce_status st = get_meta(p, key, VOCE_META_BLOB, &m);
    if (st) return st;
    *data = m->data;
    *size = (size_t)m->count;
    return VOCE_OK;
}

/* ---- methods ---- */

size_t voce_program_method_count(const voce_program *p) { return p ? (size_t)p->file.n_methods : 0; }

const char *voce_program_method_name(const voce_program *p, size_t index)
{
    return p && index < (size_t)p->file.n_methods ? p->file.methods[index].name : NULL;
}

static voce_status find_method(const voce_program *p, const char *name, const vc_mgraph **out)
{
    if (!p) return vc_error(VOCE_ERR_INVALID_ARG, "program is NULL");
    if (!name) {
        if (p->file.n_methods != 1) {
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "the program has %d methods: name one (see voce_program_method_name)",
                            p->file.n_methods);
        }
        *out = &p->file.methods[0];
        return VOCE_OK;
    }
    for (int i = 0; i < p->file.n_methods; i++)
        if (strcmp(p->file.methods[i].name, name) == 0) { *out = &p->file.methods[i]; return VOCE_OK; }
    return vc_error(VOCE_ERR_NOT_FOUND, "the program has no method '%s'", name);
}

static void fill_info(const vc_mgraph *mg, int v, voce_tensor_info *info)
{
    const vc_value *val = &mg->values[v];
    memset(info, 0, sizeof *info);
    info->name = val->name;
    info->dtype = val->dtype;
    info->rank = val->rank;
    for (int d = 0; d < VOCE_MAX_RANK; d++) {
        info->dims[d] = d < val->rank ? val->dims[d] : -1;
        info->dim_names[d] = d < val->rank ? val->dim_names[d] : NULL;
    }
}

static const method_state *state_of(const voce_program *p, const vc_mgraph *mg)
{
    return &p->state[mg - p->file.methods];
}

static voce_status io_info(const voce_program *p, const vc_mgraph *mg, int output, size_t index,
                           voce_tensor_info *info)
{
    const vc_graph *g = &mg->graphs[0];
    size_t n = (size_t)(output ? g->n_out : g->n_in);
    if (!info) return vc_error(VOCE_ERR_INVALID_ARG, "info is NULL");
    if (index >= n)
        return vc_error(VOCE_ERR_INVALID_ARG, "method '%s' has %zu %s; index %zu is out of range", mg->name,
                        n, output ? "outputs" : "inputs", index);
    fill_info(mg, output ? g->out[index] : g->in[index], info);
    const method_state *ms = state_of(p, mg);
    info->state = output ? ms->in_of_out[index] : ms->out_of_in[index];
    return VOCE_OK;
}

voce_status voce_program_method_io(const voce_program *p, const char *method, size_t *n_in, size_t *n_out)
{
    const vc_mgraph *mg = NULL;
    voce_status st = find_method(p, method, &mg);
    if (st) return st;
    if (n_in) *n_in = (size_t)mg->graphs[0].n_in;
    if (n_out) *n_out = (size_t)mg->graphs[0].n_out;
    return VOCE_OK;
}

voce_status voce_program_method_input(const voce_program *p, const char *method, size_t index,
                                      voce_tensor_info *info)
{
    const vc_mgraph *mg = NULL;
    voce_status st = find_method(p, method, &mg);
    return st ? st : io_info(p, mg, 0, index, info);
}

voce_status voce_program_method_output(const voce_program *p, const char *method, size_t index,
                                       voce_tensor_info *info)
{
    const vc_mgraph *mg = NULL;
    voce_status st = find_method(p, method, &mg);
    return st ? st : io_info(p, mg, 1, index, info);
}

/* ---- method instances ---- */

voce_method_options voce_method_options_default(void)
{
    voce_method_options o;
    memset(&o, 0, sizeof o);
    o.memory_limit = (uint64_t)4 << 30;
    return o;
}

/* Input i's buffer with room for nbytes (contents kept only when it was big enough). */
static voce_status input_room(voce_method *m, size_t i, size_t nbytes)
{
    if (nbytes <= m->in_cap[i] && m->in_buf[i]) return VOCE_OK;
    size_t cap = (nbytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, cap ? cap : 64);
    if (!p)
        return vc_error(VOCE_ERR_NOMEM, "out of memory for input '%s'",
                        m->mg->values[m->mg->graphs[0].in[i]].name);
    free(m->in_buf[i]);
    m->in_buf[i] = p;
    m->in_cap[i] = cap;
    return VOCE_OK;
}

/* A state input's batch axis: its first free dimension (sherpa-onnx's caches are
 * [layers, batch, ctx, width]), else the first axis. */
static int state_batch_axis(const vc_value *v)
{
    for (int d = 0; d < v->rank; d++)
        if (v->dims[d] < 0) return d;
    return 0;
}

/* A state input of fixed shape starts as zeros (an empty cache, a cleared recurrent
 * state), so it needs no set_input; so does one whose only free dimension is its batch
 * axis, taken as a batch of 1 (voce_method_reorder_state grows it). */
static voce_status zero_state_input(voce_method *m, int i)
{
    const vc_value *v = &m->mg->values[m->mg->graphs[0].in[i]];
    if (v->rank < 1 || !voce_dtype_size(v->dtype)) return VOCE_OK;
    int64_t dims[VOCE_MAX_RANK];
    memcpy(dims, v->dims, sizeof dims);
    int axis = state_batch_axis(v);
    if (dims[axis] < 0) dims[axis] = 1;
    int64_t numel = vc_shape_numel(v->rank, dims);
    if (numel < 0) return VOCE_OK; /* another free dim: the caller sets it */
    size_t nb = (size_t)numel * voce_dtype_size(v->dtype);
    voce_status st = input_room(m, (size_t)i, nb);
    if (st) return st;
    memset(m->in_buf[i], 0, nb);
    vc_tensor *x = &m->exec.vals[v - m->mg->values];
    vc_value_tensor(v, x);
    memcpy(x->dims, dims, sizeof dims);
    x->data = m->in_buf[i];
    m->in_set[i] = 1;
    return VOCE_OK;
}

/* State input i along its batch axis: new row k = old row src[k], within every block
 * of the axes before it. */
static voce_status reorder_input(voce_method *m, int i, const int *src, int n)
{
    vc_tensor *x = &m->exec.vals[m->mg->graphs[0].in[i]];
    const vc_value *v = &m->mg->values[m->mg->graphs[0].in[i]];
    if (!m->in_set[i] || x->rank < 1)
        return vc_error(VOCE_ERR_STATE, "state input '%s' has no value to reorder", v->name);
    int axis = state_batch_axis(v);
    if (v->dims[axis] >= 0 && n != v->dims[axis])
        return vc_error(VOCE_ERR_SHAPE, "state input '%s' has a fixed batch dimension of %lld; cannot "
                        "make it %d", v->name, (long long)v->dims[axis], n);
    int64_t rows = x->dims[axis];
    size_t outer = 1, row = voce_dtype_size(x->dtype);
    for (int d = 0; d < axis; d++) outer *= (size_t)x->dims[d];
    for (int d = axis + 1; d < x->rank; d++) row *= (size_t)x->dims[d];
    for (int k = 0; k < n; k++)
        if (src[k] < 0 || src[k] >= rows)
            return vc_error(VOCE_ERR_INVALID_ARG, "reorder: source row %d of '%s' is out of range (%lld rows)",
                            src[k], v->name, (long long)rows);
    if (outer == 1 && x->data == m->in_buf[i] && row * (size_t)(n > rows ? n : rows) <= m->in_cap[i]) {
        /* the batch axis leads and the buffer has room: no second copy of the state */
        voce_status st = vc_state_gather_rows(m->in_buf[i], row, (int)rows, src, n);
        if (!st) x->dims[axis] = n;
        return st;
    }
    size_t cap = (outer * row * (size_t)n + 63) & ~(size_t)63;
    unsigned char *p = aligned_alloc(64, cap ? cap : 64);
    if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory reordering '%s'", v->name);
    const unsigned char *old = x->data;
    for (size_t o = 0; o < outer; o++)
        for (int k = 0; k < n; k++)
            memcpy(p + (o * (size_t)n + (size_t)k) * row, old + (o * (size_t)rows + (size_t)src[k]) * row, row);
    free(m->in_buf[i]);
    m->in_buf[i] = p;
    m->in_cap[i] = cap;
    x->data = p;
    x->dims[axis] = n;
    return VOCE_OK;
}

voce_status voce_method_reorder_state(voce_method *m, const int *src, int n)
{
    if (!m || (!src && n) || n < 0) return vc_error(VOCE_ERR_INVALID_ARG, "reorder_state: bad arguments");
    for (int i = 0; i < m->mg->graphs[0].n_in; i++) {
        if (m->state->out_of_in[i] < 0) continue;
        voce_status st = reorder_input(m, i, src, n);
        if (st) return st;
    }
    m->executed = 0;
    return VOCE_OK;
}

static voce_status init_state(voce_method *m)
{
    const vc_graph *g = &m->mg->graphs[0];
    for (int i = 0; i < g->n_in; i++) {
        int o = m->state->out_of_in[i];
        if (o < 0) continue;
        voce_status st = zero_state_input(m, i);
        if (st) return st;
        vc_exec_allow_inplace(&m->exec, g->in[i], g->out[o]);
    }
    return VOCE_OK;
}

voce_status voce_method_reset_state(voce_method *m)
{
    if (!m) return vc_error(VOCE_ERR_INVALID_ARG, "method is NULL");
    for (int i = 0; i < m->mg->graphs[0].n_in; i++) {
        if (m->state->out_of_in[i] < 0) continue;
        m->in_set[i] = 0;
        voce_status st = zero_state_input(m, i);
        if (st) return st;
    }
    m->executed = 0;
    return VOCE_OK;
}

/* After an execute: each state output's value becomes its input's. Nothing to do where
 * the graph updated the input in place. */
static voce_status carry_state(voce_method *m)
{
    const vc_graph *g = &m->mg->graphs[0];
    for (int i = 0; i < g->n_in; i++) {
        int o = m->state->out_of_in[i];
        if (o < 0) continue;
        const vc_tensor *y = &m->exec.vals[g->out[o]];
        vc_tensor *x = &m->exec.vals[g->in[i]];
        size_t nb = vc_nbytes(y);
        if (y->data != m->in_buf[i]) {
            voce_status st = input_room(m, (size_t)i, nb);
            if (st) return st;
            if (nb) memcpy(m->in_buf[i], y->data, nb);
        }
        *x = *y;
        x->data = m->in_buf[i];
    }
    return VOCE_OK;
}

voce_status voce_method_create(const voce_program *p, const char *method, const voce_method_options *opt,
                               voce_method **out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    const vc_mgraph *mg = NULL;
    voce_status st = find_method(p, method, &mg);
    if (st) return st;
    voce_method_options def = voce_method_options_default();
    if (!opt) opt = &def;
    voce_method *m = calloc(1, sizeof *m);
    if (!m) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    m->prog = p;
    m->mg = mg;
    size_t n_in = (size_t)mg->graphs[0].n_in + 1;
    m->in_buf = calloc(n_in, sizeof *m->in_buf);
    m->in_cap = calloc(n_in, sizeof *m->in_cap);
    m->in_set = calloc(n_in, sizeof *m->in_set);
    if (!m->in_buf || !m->in_cap || !m->in_set) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    int threads = opt->threads == 0 ? vc_physical_cores() : opt->threads;
    if (!st && (opt->threads < 0 || opt->threads > VC_THREADS_MAX))
        st = vc_error(VOCE_ERR_INVALID_ARG, "threads: %d is out of range (0 = one per core, "
                      "1 to %d)", opt->threads, VC_THREADS_MAX);
    if (!st) st = vc_exec_init(&m->exec, mg, opt->memory_limit, threads);
    if (!st && p->map.data) m->exec.file = &p->map;
    m->state = state_of(p, mg);
    if (!st) st = init_state(m);
    if (st) {
        vc_exec_free(&m->exec);
        for (int i = 0; m->in_buf && i < mg->graphs[0].n_in; i++) free(m->in_buf[i]);
        free(m->in_buf); free(m->in_cap); free(m->in_set);
        free(m);
        return st;
    }
    *out = m;
    return VOCE_OK;
}

void voce_method_destroy(voce_method *m)
{
    if (!m) return;
    vc_exec_free(&m->exec);
    for (int i = 0; i < m->mg->graphs[0].n_in; i++) free(m->in_buf[i]);
    free(m->in_buf);
    free(m->in_cap);
    free(m->in_set);
    free(m);
}

size_t voce_method_input_count(const voce_method *m) { return m ? (size_t)m->mg->graphs[0].n_in : 0; }
size_t voce_method_output_count(const voce_method *m) { return m ? (size_t)m->mg->graphs[0].n_out : 0; }

voce_status voce_method_input_info(const voce_method *m, size_t index, voce_tensor_info *info)
{
    if (!m) return vc_error(VOCE_ERR_INVALID_ARG, "method is NULL");
    return io_info(m->prog, m->mg, 0, index, info);
}

voce_status voce_method_output_info(const voce_method *m, size_t index, voce_tensor_info *info)
{
    if (!m) return vc_error(VOCE_ERR_INVALID_ARG, "method is NULL");
    return io_info(m->prog, m->mg, 1, index, info);
}

static voce_status find_io(const voce_method *m, int output, const char *name, size_t *index)
{
    if (!m || !name || !index) return vc_error(VOCE_ERR_INVALID_ARG, "find needs a method, a name and index");
    const vc_graph *g = &m->mg->graphs[0];
    int n = output ? g->n_out : g->n_in;
    const int32_t *vals = output ? g->out : g->in;
    for (int i = 0; i < n; i++)
        if (strcmp(m->mg->values[vals[i]].name, name) == 0) { *index = (size_t)i; return VOCE_OK; }
    return vc_error(VOCE_ERR_NOT_FOUND, "method '%s' has no %s named '%s'", m->mg->name,
                    output ? "output" : "input", name);
}

voce_status voce_method_find_input(const voce_method *m, const char *name, size_t *index)
{
    return find_io(m, 0, name, index);
}

voce_status voce_method_find_output(const voce_method *m, const char *name, size_t *index)
{
    return find_io(m, 1, name, index);
}

static voce_status check_input(const voce_method *m, const vc_value *v, const voce_tensor *t)
{
    char s1[128], s2[128];
    if (t->dtype != v->dtype)
        return vc_error(VOCE_ERR_DTYPE, "input '%s' of method '%s' is %s, got %s", v->name, m->mg->name,
                        voce_dtype_name(v->dtype), voce_dtype_name(t->dtype));
    if (t->rank < 0 || t->rank > VOCE_MAX_RANK)
        return vc_error(VOCE_ERR_SHAPE, "input '%s': rank %d is out of range", v->name, t->rank);
    int64_t numel = vc_shape_numel(t->rank, t->dims);
    if (numel < 0)
        return vc_error(VOCE_ERR_SHAPE, "input '%s': shape %s is invalid", v->name,
                        vc_shape_str(t->rank, t->dims, s1, sizeof s1));
    int bad = v->rank >= 0 && v->rank != t->rank;
    for (int d = 0; !bad && d < t->rank && v->rank >= 0; d++)
        bad = v->dims[d] >= 0 && v->dims[d] != t->dims[d];
    if (bad) {
        char decl[256] = "[";
        size_t k = 1;
        for (int d = 0; d < v->rank; d++) {
            if (v->dims[d] >= 0) k += (size_t)snprintf(decl + k, sizeof decl - k, "%s%lld", d ? "," : "", (long long)v->dims[d]);
            else k += (size_t)snprintf(decl + k, sizeof decl - k, "%s%s", d ? "," : "", v->dim_names[d] ? v->dim_names[d] : "?");
            if (k >= sizeof decl) break;
        }
        if (k < sizeof decl - 1) snprintf(decl + k, sizeof decl - k, "]");
        return vc_error(VOCE_ERR_SHAPE, "input '%s' of method '%s' must have shape %s, got %s", v->name,
                        m->mg->name, decl, vc_shape_str(t->rank, t->dims, s2, sizeof s2));
    }
    size_t nb = (size_t)numel * voce_dtype_size(t->dtype);
    if (t->nbytes != nb)
        return vc_error(VOCE_ERR_INVALID_ARG, "input '%s': nbytes is %zu, the shape needs %zu", v->name,
                        t->nbytes, nb);
    if (nb && !t->data) return vc_error(VOCE_ERR_INVALID_ARG, "input '%s': data is NULL", v->name);
    return VOCE_OK;
}

/* Input index's value becomes t's shape over data. */
static void bind_input(voce_method *m, size_t index, const voce_tensor *t, void *data)
{
    vc_tensor *x = &m->exec.vals[m->mg->graphs[0].in[index]];
    x->dtype = t->dtype;
    x->rank = t->rank;
    memcpy(x->dims, t->dims, sizeof x->dims);
    x->data = data;
    m->in_set[index] = 1;
    m->executed = 0;
}

static voce_status checked_input(voce_method *m, size_t index, const voce_tensor *t, const char *fn)
{
    if (!m || !t) return vc_error(VOCE_ERR_INVALID_ARG, "%s needs a method and a tensor", fn);
    const vc_graph *g = &m->mg->graphs[0];
    if (index >= (size_t)g->n_in)
        return vc_error(VOCE_ERR_INVALID_ARG, "method '%s' has %d inputs; index %zu is out of range",
                        m->mg->name, g->n_in, index);
    return check_input(m, &m->mg->values[g->in[index]], t);
}

voce_status voce_method_set_input(voce_method *m, size_t index, const voce_tensor *t)
{
    voce_status st = checked_input(m, index, t, "set_input");
    if (st) return st;
    if ((st = input_room(m, index, t->nbytes))) return st;
    if (t->nbytes) memcpy(m->in_buf[index], t->data, t->nbytes);
    bind_input(m, index, t, m->in_buf[index]);
    return VOCE_OK;
}

voce_status voce_method_borrow_input(voce_method *m, size_t index, const voce_tensor *t)
{
    voce_status st = checked_input(m, index, t, "borrow_input");
    if (st) return st;
    const char *name = m->mg->values[m->mg->graphs[0].in[index]].name;
    if (m->state->out_of_in[index] >= 0)
        return vc_error(VOCE_ERR_INVALID_ARG, "input '%s' is method state, which the method writes: "
                        "set it with voce_method_set_input", name);
    if (!t->nbytes) return voce_method_set_input(m, index, t); /* no bytes to borrow */
    size_t align = voce_dtype_size(t->dtype);
    if ((uintptr_t)t->data % (align ? align : 1))
        return vc_error(VOCE_ERR_INVALID_ARG, "input '%s': borrowed data must be aligned to its "
                        "elements (%zu bytes)", name, align);
    free(m->in_buf[index]); /* the copy is not needed any more */
    m->in_buf[index] = NULL;
    m->in_cap[index] = 0;
    bind_input(m, index, t, (void *)t->data);
    return VOCE_OK;
}

voce_status voce_method_execute(voce_method *m)
{
    if (!m) return vc_error(VOCE_ERR_INVALID_ARG, "method is NULL");
    const vc_graph *g = &m->mg->graphs[0];
    for (int i = 0; i < g->n_in; i++)
        if (!m->in_set[i])
            return vc_error(VOCE_ERR_STATE, "input '%s' of method '%s' has not been set",
                            m->mg->values[g->in[i]].name, m->mg->name);
    m->executed = 0;
    voce_status st = vc_exec_run(&m->exec);
    if (!st) st = carry_state(m);
    if (st) return vc_error_prefix(st, "method '%s': ", m->mg->name);
    m->executed = 1;
    return VOCE_OK;
}

voce_status voce_method_output(const voce_method *m, size_t index, voce_tensor *out)
{
    if (!m || !out) return vc_error(VOCE_ERR_INVALID_ARG, "output needs a method and a tensor");
    const vc_graph *g = &m->mg->graphs[0];
    if (index >= (size_t)g->n_out)
        return vc_error(VOCE_ERR_INVALID_ARG, "method '%s' has %d outputs; index %zu is out of range",
                        m->mg->name, g->n_out, index);
    if (!m->executed)
        return vc_error(VOCE_ERR_STATE, "method '%s' has not been executed since its inputs were set",
                        m->mg->name);
    const vc_tensor *t = &m->exec.vals[g->out[index]];
    memset(out, 0, sizeof *out);
    out->dtype = t->dtype;
    out->rank = t->rank;
    memcpy(out->dims, t->dims, sizeof out->dims);
    out->data = t->data;
    out->nbytes = vc_nbytes(t);
    return VOCE_OK;
}

const vc_file *vc_program_file(const voce_program *p) { return p ? &p->file : NULL; }

const vc_exec *vc_method_exec(const voce_method *m) { return m ? &m->exec : NULL; }
