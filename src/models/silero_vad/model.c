/* See model.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/error.h"
#include "model.h"

/* The family's metadata, read and checked for consistency. */
typedef struct silero_meta {
    const int64_t *rates, *windows, *contexts;
    const char *const *methods;
    const char *const *state_in;
    const char *const *state_out;
    size_t n, n_state;
    const char *input, *output;
    int64_t version;
} silero_meta;

static voce_status need(voce_status st, const char *key)
{
    if (st) return vc_error(VOCE_ERR_FORMAT, "VAD program: metadata '%s' is missing or of the wrong type", key);
    return VOCE_OK;
}

static voce_status read_meta(const voce_program *prog, silero_meta *m)
{
    const char *family = NULL;
    size_t len, n1 = 0, n2 = 0, n3 = 0, n4 = 0;
    if (voce_program_meta_string(prog, "voce.family", &family, &len) || strcmp(family, "silero-vad"))
        return vc_error(VOCE_ERR_FORMAT,
                        "not a VAD program: it lacks the VAD metadata (voce.family = silero-vad); "
                        "compile the model with `voce compile --family silero-vad MODEL.onnx -o OUT.voce`");
    voce_status st = need(voce_program_meta_int(prog, "silero.version", &m->version), "silero.version");
    if (!st) st = need(voce_program_meta_ints(prog, "vad.sample_rates", &m->rates, &m->n), "vad.sample_rates");
    if (!st) st = need(voce_program_meta_ints(prog, "vad.windows", &m->windows, &n1), "vad.windows");
    if (!st) st = need(voce_program_meta_ints(prog, "vad.contexts", &m->contexts, &n2), "vad.contexts");
    if (!st) st = need(voce_program_meta_strings(prog, "vad.methods", &m->methods, &n3), "vad.methods");
    if (!st) st = need(voce_program_meta_string(prog, "vad.input", &m->input, &len), "vad.input");
    if (!st) st = need(voce_program_meta_string(prog, "vad.output", &m->output, &len), "vad.output");
    if (!st) st = need(voce_program_meta_strings(prog, "vad.state_inputs", &m->state_in, &m->n_state), "vad.state_inputs");
    if (!st) st = need(voce_program_meta_strings(prog, "vad.state_outputs", &m->state_out, &n4), "vad.state_outputs");
    if (st) return st;
    if (n1 != m->n || n2 != m->n || n3 != m->n || n4 != m->n_state || m->n_state < 1 || m->n_state > VC_SILERO_MAX_STATE)
        return vc_error(VOCE_ERR_FORMAT, "VAD program: the vad.* metadata arrays disagree in length");
    if (m->version < 4 || m->version > 6)
        return vc_error(VOCE_ERR_UNSUPPORTED, "VAD program: Silero version %lld is not one voce knows (4, 5, 6)",
                        (long long)m->version);
    return VOCE_OK;
}

static voce_status pick_rate(const silero_meta *m, int rate, size_t *k)
{
    char have[128] = "";
    for (size_t i = 0; i < m->n; i++) {
        if (m->rates[i] == rate) {
            *k = i;
            if (m->windows[i] < 1 || m->windows[i] > VC_SILERO_MAX_WINDOW || m->contexts[i] < 0 ||
                m->contexts[i] > m->windows[i])
                return vc_error(VOCE_ERR_FORMAT, "VAD program: window %lld / context %lld are out of range",
                                (long long)m->windows[i], (long long)m->contexts[i]);
            return VOCE_OK;
        }
        size_t l = strlen(have);
        snprintf(have + l, sizeof have - l, "%s%lld", i ? ", " : "", (long long)m->rates[i]);
    }
    return vc_error(VOCE_ERR_UNSUPPORTED, "the VAD program runs at %s Hz, not %d Hz", have, rate);
}

/* An input of dtype f32 with a fixed shape of exactly want elements (0: any fixed). */
static voce_status fixed_f32(const voce_tensor_info *ti, int64_t want, voce_tensor *t)
{
    int64_t n = 1;
    if (ti->dtype != VOCE_DTYPE_F32 || ti->rank < 0) n = -1;
    for (int d = 0; n >= 0 && d < ti->rank; d++) n = ti->dims[d] < 0 || ti->dims[d] > 65536 ? -1 : n * ti->dims[d];
    if (n < 1 || n > 65536 || (want && n != want))
        return vc_error(VOCE_ERR_FORMAT, "VAD program: '%s' is not a float32 tensor of fixed shape%s", ti->name,
                        want ? " holding context + window samples" : "");
    memset(t, 0, sizeof *t);
    t->dtype = VOCE_DTYPE_F32;
    t->rank = ti->rank;
    memcpy(t->dims, ti->dims, sizeof t->dims);
    t->nbytes = (size_t)n * sizeof(float);
    return VOCE_OK;
}

static voce_status bind_state(vc_silero *s, const silero_meta *m)
{
    s->n_state = (int)m->n_state;
    for (int i = 0; i < s->n_state; i++) {
        voce_tensor_info ti;
        voce_status st = voce_method_find_input(s->m, m->state_in[i], &s->state_in[i]);
        if (!st) st = voce_method_find_output(s->m, m->state_out[i], &s->state_out[i]);
        if (!st) st = voce_method_input_info(s->m, s->state_in[i], &ti);
        if (!st) st = fixed_f32(&ti, 0, &s->state_t[i]);
        if (!st && !(s->state[i] = calloc(1, s->state_t[i].nbytes))) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
        if (st) return st;
        s->state_t[i].data = s->state[i];
    }
    return VOCE_OK;
}

voce_status vc_silero_open(vc_silero *s, const voce_program *prog, int rate, int threads)
{
    memset(s, 0, sizeof *s);
    silero_meta m;
    size_t k = 0;
    voce_status st = read_meta(prog, &m);
    if (!st) st = pick_rate(&m, rate, &k);
    if (st) return st;
    s->version = (int)m.version;
    s->rate = rate;
    s->window = (int)m.windows[k];
    s->context = (int)m.contexts[k];
    voce_tensor_info ti;
    voce_tensor tx;
    voce_method_options mo = voce_method_options_default();
    mo.threads = threads;
    st = voce_method_create(prog, m.methods[k], &mo, &s->m);
    if (!st) st = voce_method_find_input(s->m, m.input, &s->in);
    if (!st) st = voce_method_find_output(s->m, m.output, &s->out);
    if (!st) st = voce_method_input_info(s->m, s->in, &ti);
    if (!st) st = fixed_f32(&ti, s->window + s->context, &tx);
    if (!st) st = bind_state(s, &m);
    if (!st && !(s->x = calloc((size_t)(s->window + s->context), sizeof(float))))
        st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (st) vc_silero_close(s);
    return st;
}

void vc_silero_close(vc_silero *s)
{
    voce_method_destroy(s->m);
    for (int i = 0; i < VC_SILERO_MAX_STATE; i++) free(s->state[i]);
    free(s->x);
    memset(s, 0, sizeof *s);
}

void vc_silero_reset(vc_silero *s)
{
    for (int i = 0; i < s->n_state; i++) memset(s->state[i], 0, s->state_t[i].nbytes);
    memset(s->x, 0, sizeof(float) * (size_t)(s->window + s->context));
}

/* Copy a state output back into the state input's buffer; it must be the same size. */
static voce_status carry_state(vc_silero *s, int i)
{
    voce_tensor t;
    voce_status st = voce_method_output(s->m, s->state_out[i], &t);
    if (st) return st;
    if (t.dtype != VOCE_DTYPE_F32 || t.nbytes != s->state_t[i].nbytes)
        return vc_error(VOCE_ERR_FORMAT, "VAD program: state output %d does not match its input", i);
    memcpy(s->state[i], t.data, t.nbytes);
    return VOCE_OK;
}

voce_status vc_silero_run(vc_silero *s, const float *window, float *prob)
{
    size_t n = (size_t)(s->window + s->context);
    /* v5+ see the previous window's last samples first (upstream's wrapper does this) */
    memmove(s->x, s->x + s->window, sizeof(float) * (size_t)s->context);
    memcpy(s->x + s->context, window, sizeof(float) * (size_t)s->window);
    voce_tensor tx = {VOCE_DTYPE_F32, 2, {1, (int64_t)n}, s->x, n * sizeof(float)};
    voce_status st = voce_method_set_input(s->m, s->in, &tx);
    for (int i = 0; i < s->n_state && !st; i++) st = voce_method_set_input(s->m, s->state_in[i], &s->state_t[i]);
    if (!st) st = voce_method_execute(s->m);
    voce_tensor p;
    if (!st) st = voce_method_output(s->m, s->out, &p);
    if (!st && (p.dtype != VOCE_DTYPE_F32 || p.nbytes < sizeof(float)))
        st = vc_error(VOCE_ERR_FORMAT, "VAD program: output is not a float32 probability");
    if (st) return st;
    *prob = *(const float *)p.data;
    for (int i = 0; i < s->n_state && !st; i++) st = carry_state(s, i);
    return st;
}
