/* The compiler driver: import each ONNX file, specialise, run the passes, write. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "compiler.h"
#include "onnx.h"
#include "passes.h"
#include "quantize.h"
#include "../runtime/state.h"

vc_compile_options vc_compile_options_default(void)
{
    vc_compile_options o;
    memset(&o, 0, sizeof o);
    return o;
}

static int count_nodes(const vc_mgraph *g)
{
    int n = 0;
    for (int gi = 0; gi < g->n_graphs; gi++) n += g->graphs[gi].n_nodes;
    return n;
}

static voce_status compile_method(vc_mgraph *g, const vc_compile_options *o, vc_compile_report *report, int slot,
                                  vc_quant_log *qlog);

voce_status vc_compile_method(vc_mgraph *g, const vc_compile_options *o, vc_compile_report *report, int slot)
{
    return compile_method(g, o, report, slot, NULL);
}

/* Quantization runs on the folded, pruned graph (weights are final constants by then),
 * then dead-code elimination drops the f32 weights it replaced. */
static voce_status quantize(vc_mgraph *g, const vc_compile_options *o, vc_quant_log *qlog)
{
    voce_status st = vc_pass_quantize(g, &o->quant, qlog);
    if (!st) {
        vc_pass_dce(g);
        st = vc_pass_compact(g);
    }
    return st;
}

static voce_status compile_method(vc_mgraph *g, const vc_compile_options *o, vc_compile_report *report, int slot,
                                  vc_quant_log *qlog)
{
    vc_fold_stats fs = {0, 0};
    int nodes_in = count_nodes(g);
    vc_pass_resolve(g);
    voce_status st = vc_pass_fold(g, 0, !o->no_fold, &fs);
    if (!st) {
        vc_pass_dce(g);
        st = vc_pass_compact(g); /* inlined branches go, so their outputs stop counting */
    }
    if (!st && !o->no_fold) {
        vc_pass_simplify(g);
        st = vc_pass_gelu(g);
        if (!st) st = vc_pass_layernorm(g);
        vc_pass_dce(g);
        if (!st) st = vc_pass_compact(g);
    }
    if (!st && o->quant.mode) st = quantize(g, o, qlog);
    if (!st) st = vc_pass_nbits(g);
    if (!st) st = vc_pass_linear(g);
    if (!st) st = vc_pass_activation(g);
    if (!st) {
        vc_pass_dce(g);
        st = vc_pass_compact(g);
    }
    if (!st) st = vc_pass_check_ops(g);
    if (!st) st = vc_pass_plan(g);
    if (st || !report) return st;
    uint64_t cbytes = 0;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].kind == VC_VAL_CONST) cbytes += g->values[v].nbytes;
    snprintf(report->m[slot].name, sizeof report->m[slot].name, "%s", g->name ? g->name : "");
    report->m[slot].nodes_in = nodes_in;
    report->m[slot].nodes_out = count_nodes(g);
    report->m[slot].folded = fs.folded;
    report->m[slot].inlined_ifs = fs.inlined_ifs;
    report->m[slot].const_bytes = cbytes;
    report->m[slot].arena_bytes = g->graphs[0].arena_size;
    return VOCE_OK;
}

/* "dir/model.onnx" -> "model" */
static void file_stem(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, n, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = 0;
}

/* --meta values are typed by their look: an integer, a number, else a string. */
static vc_meta typed_meta(const char *key, const char *text)
{
    vc_meta m;
    memset(&m, 0, sizeof m);
    m.key = key;
    char *end;
    errno = 0;
    long long i = strtoll(text, &end, 10);
    if (*text && !*end && !errno) {
        m.type = VOCE_META_INT;
        m.i = i;
        return m;
    }
    double f = strtod(text, &end);
    if (*text && !*end && !errno) {
        m.type = VOCE_META_FLOAT;
        m.f = f;
        return m;
    }
    m.type = VOCE_META_STRING;
    m.s = text;
    return m;
}

/* A --fix or --shape scoped to one method applies to that method only. */
static int in_scope(const char *scope, const vc_mgraph *g) { return !scope || !strcmp(scope, g->name); }

static voce_status specialise(vc_mgraph *g, const vc_compile_options *o, int *fix_used, int *shape_used)
{
    for (int i = 0; i < o->n_shape; i++) {
        if (!in_scope(o->shape_method[i], g)) continue;
        voce_status st = vc_pass_set_shape(g, o->shape_name[i], o->shape_value[i]);
        if (st == VOCE_OK) shape_used[i] = 1;
        else if (st != VOCE_ERR_NOT_FOUND) return st;
    }
    for (int i = 0; i < o->n_fix; i++) {
        if (!in_scope(o->fix_method[i], g)) continue;
        voce_status st = vc_pass_fix_input(g, o->fix_name[i], o->fix_value[i]);
        if (st == VOCE_OK) fix_used[i] = 1;
        else if (st != VOCE_ERR_NOT_FOUND) return st;
    }
    vc_error_clear();
    return VOCE_OK;
}

/* The method's state pairs (input:output carried between executes, src/runtime/state.h)
 * become the program's "state.<method>", checked here so that a wrong name fails at
 * compile time rather than at open. They come from the options (a family recipe) or
 * else from the model's "voce.state" property. */
static voce_status add_state_meta(vc_writer *w, const vc_onnx_model *m, const char *spec)
{
    const vc_mgraph *mg = &m->graph;
    for (int i = 0; i < m->n_props && !spec; i++)
        if (!strcmp(m->prop_keys[i], "voce.state")) spec = m->prop_values[i];
    if (!spec) return VOCE_OK;
    int32_t *oi = malloc(sizeof *oi * (size_t)(mg->graphs[0].n_in + 1));
    int32_t *io = malloc(sizeof *io * (size_t)(mg->graphs[0].n_out + 1));
    voce_status st = oi && io ? vc_state_parse(spec, mg, oi, io) : vc_error(VOCE_ERR_NOMEM, "out of memory");
    free(oi);
    free(io);
    char key[300];
    snprintf(key, sizeof key, "state.%s", mg->name);
    vc_meta e = {.key = key, .type = VOCE_META_STRING, .s = spec};
    return st ? st : vc_writer_add_meta(w, &e);
}

static voce_status add_onnx_meta(vc_writer *w, const vc_onnx_model *m)
{
    char key[512];
    for (int i = 0; i < m->n_props; i++) {
        snprintf(key, sizeof key, "onnx.%s", m->prop_keys[i]);
        vc_meta e = {.key = key, .type = VOCE_META_STRING, .s = m->prop_values[i]};
        voce_status st = vc_writer_add_meta(w, &e);
        if (st) return st;
    }
    return VOCE_OK;
}

static void method_name(const vc_compile_options *o, int i, char *name, size_t n)
{
    if (o->method[i]) snprintf(name, n, "%s", o->method[i]);
    else if (o->n_inputs == 1) snprintf(name, n, "main");
    else file_stem(o->onnx_path[i], name, n);
}

/* Import every file and specialise it first, so that a --fix or --shape naming no
 * input is reported before any long pass runs. */
static voce_status load_all(const vc_compile_options *o, vc_onnx_model *models, int *loaded)
{
    int fix_used[VC_COMPILE_MAX] = {0}, shape_used[VC_COMPILE_MAX] = {0};
    voce_status st = VOCE_OK;
    for (int i = 0; i < o->n_inputs && !st; i++) {
        char name[256];
        method_name(o, i, name, sizeof name);
        st = vc_onnx_load(o->onnx_path[i], &models[i]);
        if (st) break;
        (*loaded)++;
        models[i].graph.name = vc_pool_strdup(&models[i].graph.pool, name);
        st = specialise(&models[i].graph, o, fix_used, shape_used);
        if (st) vc_error_prefix(st, "%s (method '%s'): ", o->onnx_path[i], name);
    }
    for (int i = 0; i < o->n_fix && !st; i++)
        if (!fix_used[i])
            st = vc_error(VOCE_ERR_NOT_FOUND, "--fix %s: no method has an input named '%s'", o->fix_name[i], o->fix_name[i]);
    for (int i = 0; i < o->n_shape && !st; i++)
        if (!shape_used[i])
            st = vc_error(VOCE_ERR_NOT_FOUND, "--shape %s: no method has an input named '%s'", o->shape_name[i],
                          o->shape_name[i]);
    return st;
}

static voce_status compile_one(vc_writer *w, const vc_compile_options *o, int i, vc_onnx_model *m,
                               vc_compile_report *report, vc_quant_log *qlog)
{
    voce_status st = compile_method(&m->graph, o, report, i, qlog);
    if (!st) st = vc_writer_add_method(w, &m->graph);
    if (!st) st = add_state_meta(w, m, o->state[i]);
    if (!st) st = add_onnx_meta(w, m);
    if (st) vc_error_prefix(st, "%s (method '%s'): ", o->onnx_path[i], m->graph.name);
    return st;
}

static voce_status check_names(const vc_compile_options *o)
{
    if (o->n_inputs < 1) return vc_error(VOCE_ERR_INVALID_ARG, "no ONNX input given");
    for (int i = 0; i < o->n_inputs; i++)
        for (int j = 0; j < i; j++)
            if (o->method[i] && o->method[j] && !strcmp(o->method[i], o->method[j]))
                return vc_error(VOCE_ERR_INVALID_ARG, "method name '%s' is given twice", o->method[i]);
    return VOCE_OK;
}

static voce_status write_meta(vc_writer *w, const vc_compile_options *o, const vc_quant_log *qlog)
{
    vc_meta ver = {.key = "voce.compiler", .type = VOCE_META_STRING, .s = "voce " VC_COMPILER_VERSION};
    voce_status st = vc_writer_add_meta(w, &ver);
    if (!st) st = vc_quant_write_meta(w, &o->quant, qlog);
    for (int i = 0; i < o->n_typed_meta && !st; i++) st = vc_writer_add_meta(w, &o->typed_meta[i]);
    for (int i = 0; i < o->n_meta && !st; i++) {
        vc_meta m = typed_meta(o->meta_key[i], o->meta_value[i]);
        st = vc_writer_add_meta(w, &m);
    }
    return st;
}

static voce_status compile_expanded(const vc_compile_options *o, const char *out_path, vc_compile_report *report);

voce_status vc_compile(const vc_compile_options *o, const char *out_path, vc_compile_report *report)
{
    if (!o->family) return compile_expanded(o, out_path, report);
    vc_family_plan *plan = malloc(sizeof *plan);
    vc_compile_options *x = malloc(sizeof *x);
    voce_status st = plan && x ? vc_family_expand(o, plan, x) : vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (!st) st = compile_expanded(x, out_path, report);
    if (plan) vc_family_plan_free(plan);
    free(plan);
    free(x);
    return st;
}

static voce_status compile_expanded(const vc_compile_options *o, const char *out_path, vc_compile_report *report)
{
    voce_status st = check_names(o);
    if (!st) st = vc_quant_check(&o->quant);
    if (st) return st;
    if (report) memset(report, 0, sizeof *report);
    vc_quant_log qlog = {0};
    vc_onnx_model *models = calloc((size_t)o->n_inputs, sizeof *models);
    vc_writer *w = vc_writer_create();
    int loaded = 0;
    if (!models || !w) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (!st) st = load_all(o, models, &loaded);
    for (int i = 0; i < o->n_inputs && !st; i++) {
        st = compile_one(w, o, i, &models[i], report, &qlog);
        vc_onnx_free(&models[i]); /* its constants are in the writer now */
        memset(&models[i], 0, sizeof models[i]);
    }
    if (!st) st = write_meta(w, o, &qlog);
    if (!st) st = vc_writer_save(w, out_path);
    if (!st && report) {
        report->n_methods = o->n_inputs;
        report->quant_layers = qlog.quantized;
        report->quant_f32 = qlog.kept;
        FILE *f = fopen(out_path, "rb");
        if (f && fseek(f, 0, SEEK_END) == 0) report->file_bytes = (uint64_t)ftell(f);
        if (f) fclose(f);
    }
    for (int i = 0; models && i < loaded; i++)
        if (models[i].graph.graphs) vc_onnx_free(&models[i]);
    free(models);
    vc_quant_log_free(&qlog);
    if (w) vc_writer_destroy(w);
    return st;
}
