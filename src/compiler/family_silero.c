/* The silero-vad family recipe: one method per sample rate the model serves, each
 * specialised to batch 1 and its window, plus the metadata the VAD runner reads.
 *
 * Generations are told apart by their interface: v4 takes h and c ([2,B,64] each) and
 * the bare window; v5 and v6 take one state tensor ([2,B,128]) and expect the last
 * 64 samples (32 at 8 kHz) of the previous window in front of the current one. v5 and
 * v6 have the same interface and graph structure, so both are recorded as 5; a user
 * who knows better can say `--meta silero.version=6`.
 *
 * Which rates: a model with an `sr` input serves 16 kHz and 8 kHz, unless its file
 * name says 16k (upstream's own wrapper decides the same way: the 16k exports keep
 * the sr input but have no 8 kHz weights). A model without `sr` serves 16 kHz. */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "compiler.h"
#include "family.h"
#include "onnx.h"

typedef struct silero_io {
    int version;          /* 4 or 5 */
    int has_sr;
} silero_io;

static int has_input(const vc_mgraph *g, const char *name)
{
    const vc_graph *g0 = &g->graphs[0];
    for (int i = 0; i < g0->n_in; i++)
        if (!strcmp(g->values[g0->in[i]].name, name)) return 1;
    return 0;
}

static int has_output(const vc_mgraph *g, const char *name)
{
    const vc_graph *g0 = &g->graphs[0];
    for (int i = 0; i < g0->n_out; i++)
        if (!strcmp(g->values[g0->out[i]].name, name)) return 1;
    return 0;
}

static voce_status inspect(const char *path, silero_io *io)
{
    vc_onnx_model m;
    voce_status st = vc_onnx_load(path, &m);
    if (st) return st;
    const vc_mgraph *g = &m.graph;
    int v4 = has_input(g, "h") && has_input(g, "c") && has_output(g, "hn") && has_output(g, "cn");
    int v5 = has_input(g, "state") && has_output(g, "stateN");
    io->version = v4 ? 4 : 5;
    io->has_sr = has_input(g, "sr");
    if (!has_input(g, "input") || !has_output(g, "output") || !(v4 || v5))
        st = vc_error(VOCE_ERR_FORMAT,
                      "%s is not a Silero VAD model: expected inputs input + state (v5, v6) or input + h + c "
                      "(v4) and outputs output + stateN or output + hn + cn", path);
    vc_onnx_free(&m);
    return st;
}

static const char *text(vc_family_plan *p, const char *fmt, int a, int b)
{
    char *t = p->text[p->n_text++];
    snprintf(t, sizeof p->text[0], fmt, a, b);
    return t;
}

static void add_fix(vc_compile_options *x, const char *name, const char *value, const char *method)
{
    x->fix_name[x->n_fix] = name;
    x->fix_value[x->n_fix] = value;
    x->fix_method[x->n_fix++] = method;
}

static void add_shape(vc_compile_options *x, const char *name, const char *value, const char *method)
{
    x->shape_name[x->n_shape] = name;
    x->shape_value[x->n_shape] = value;
    x->shape_method[x->n_shape++] = method;
}

/* One method per rate: vad_16000 (window 512) and maybe vad_8000 (window 256). */
static void add_methods(const char *path, const silero_io *io, vc_family_plan *p, vc_compile_options *x)
{
    const char *base = strrchr(path, '/');
    int rates = io->has_sr && !strstr(base ? base + 1 : path, "16k") ? 2 : 1;
    int64_t *rate = p->ints[0], *window = p->ints[1], *context = p->ints[2];
    const char **methods = p->strings[0];
    for (int r = 0; r < rates; r++) {
        rate[r] = r == 0 ? 16000 : 8000;
        window[r] = r == 0 ? 512 : 256;
        context[r] = io->version == 4 ? 0 : window[r] / 8;
        const char *m = methods[r] = text(p, "vad_%d", (int)rate[r], 0);
        x->onnx_path[x->n_inputs] = path;
        x->method[x->n_inputs++] = m;
        if (io->has_sr) add_fix(x, "sr", text(p, "%d", (int)rate[r], 0), m);
        add_shape(x, "input", text(p, "1,%d", (int)(window[r] + context[r]), 0), m);
        if (io->version == 4) {
            add_shape(x, "h", "2,1,64", m);
            add_shape(x, "c", "2,1,64", m);
        } else {
            add_shape(x, "state", "2,1,128", m);
        }
    }
    vc_family_ints(x, "vad.sample_rates", rate, rates);
    vc_family_ints(x, "vad.windows", window, rates);
    vc_family_ints(x, "vad.contexts", context, rates);
    vc_family_strings(x, "vad.methods", methods, rates);
}

voce_status vc_family_silero_vad(const vc_compile_options *o, vc_family_plan *p, vc_compile_options *x)
{
    if (o->n_inputs != 1)
        return vc_error(VOCE_ERR_INVALID_ARG, "--family silero-vad takes one ONNX model, %d given", o->n_inputs);
    if (o->n_fix || o->n_shape)
        return vc_error(VOCE_ERR_INVALID_ARG, "--family silero-vad chooses the specialisation itself; "
                                              "leave out --fix and --shape");
    silero_io io;
    voce_status st = inspect(o->onnx_path[0], &io);
    if (st) return st;
    x->n_inputs = 0;
    vc_family_string(x, "voce.family", "silero-vad");
    vc_family_int(x, "silero.version", io.version);
    add_methods(o->onnx_path[0], &io, p, x);
    const char **sin = p->strings[1], **sout = p->strings[2];
    int n_state = io.version == 4 ? 2 : 1;
    sin[0] = io.version == 4 ? "h" : "state";
    sin[1] = "c";
    sout[0] = io.version == 4 ? "hn" : "stateN";
    sout[1] = "cn";
    vc_family_string(x, "vad.input", "input");
    vc_family_string(x, "vad.output", "output");
    vc_family_strings(x, "vad.state_inputs", sin, n_state);
    vc_family_strings(x, "vad.state_outputs", sout, n_state);
    return VOCE_OK;
}
