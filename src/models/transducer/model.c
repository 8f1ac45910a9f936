/* A compiled NeMo transducer / CTC program's methods (model.h). */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static voce_status meta_int(const voce_program *p, const char *key, int lo, int hi, int *out)
{
    int64_t v;
    if (voce_program_meta_int(p, key, &v))
        return vc_error(VOCE_ERR_FORMAT, "not a transducer program: metadata '%s' is missing or not an integer "
                        "(compile with voce compile --family transducer or ctc)", key);
    if (v < lo || v > hi)
        return vc_error(VOCE_ERR_FORMAT, "metadata '%s' = %lld is outside [%d, %d]", key, (long long)v, lo, hi);
    *out = (int)v;
    return VOCE_OK;
}

static int meta_is(const voce_program *p, const char *key, const char *want)
{
    const char *s;
    size_t n;
    if (voce_program_meta_string(p, key, &s, &n)) return vc_error_clear(), 0;
    return n == strlen(want) && !memcmp(s, want, n);
}

static voce_status read_meta(vc_td_model *m)
{
    const voce_program *p = m->prog;
    m->kind = meta_is(p, "transducer.kind", "tdt") ? VC_TD_TDT : meta_is(p, "transducer.kind", "rnnt") ? VC_TD_RNNT
              : meta_is(p, "transducer.kind", "ctc") ? VC_TD_CTC : (vc_td_kind)-1;
    if ((int)m->kind < 0) return vc_error(VOCE_ERR_FORMAT, "not a transducer program: metadata 'transducer.kind' "
                                          "is missing or not tdt, rnnt or ctc (compile with voce compile "
                                          "--family transducer or ctc)");
    m->onnx_asr = meta_is(p, "transducer.layout", "onnx-asr");
    if (!m->onnx_asr && !meta_is(p, "transducer.layout", "sherpa"))
        return vc_error(VOCE_ERR_FORMAT, "metadata 'transducer.layout' is missing or not sherpa or onnx-asr");
    voce_status st = meta_int(p, "transducer.blank", 0, 1 << 20, &m->blank);
    if (!st) st = meta_int(p, "transducer.subsampling_factor", 1, 64, &m->subsampling);
    if (!st) st = meta_int(p, "transducer.max_symbols", 1, 1000, &m->max_symbols);
    if (!st) st = meta_int(p, "transducer.feat_dim", 1, 1024, &m->feat_dim);
    if (!st && voce_program_meta_float(p, "transducer.window_stride", &m->window_stride))
        st = vc_error(VOCE_ERR_FORMAT, "metadata 'transducer.window_stride' is missing");
    size_t n = 0;
    if (!st && (voce_program_meta_strings(p, "transducer.pieces", &m->pieces, &n) || n != (size_t)m->blank + 1))
        st = vc_error(VOCE_ERR_FORMAT, "metadata 'transducer.pieces' is missing or does not hold blank + 1 pieces");
    m->n_tokens = m->blank + 1;
    const int64_t *d = NULL;
    m->n_durations = 0;
    if (!st && m->kind == VC_TD_TDT) {
        if (voce_program_meta_ints(p, "transducer.durations", &d, &n) || n < 1 || n > VC_TD_MAX_DURATIONS)
            return vc_error(VOCE_ERR_FORMAT, "metadata 'transducer.durations' is missing or empty (TDT)");
        for (size_t i = 0; i < n; i++) {
            if (d[i] < 0 || d[i] > 1000) return vc_error(VOCE_ERR_FORMAT, "TDT duration %lld", (long long)d[i]);
            m->durations[i] = (int)d[i];
        }
        m->n_durations = (int)n;
    }
    return st;
}

static voce_status info_at(voce_method *mt, int output, size_t i, voce_tensor_info *info)
{
    voce_status st = output ? voce_method_output_info(mt, i, info) : voce_method_input_info(mt, i, info);
    if (st) return vc_error(VOCE_ERR_FORMAT, "transducer program: a method has no %s %zu", output ? "output" : "input", i);
    return VOCE_OK;
}

/* The checks of the declared shapes that the steps rely on. */
static voce_status check_shapes(vc_td_model *m)
{
    voce_tensor_info a, b;
    voce_status st = info_at(m->enc, 0, 0, &a);
    if (!st && (a.rank != 3 || a.dims[1] != m->feat_dim))
        return vc_error(VOCE_ERR_FORMAT, "transducer program: the encoder does not take [N, %d, T] features",
                        m->feat_dim);
    if (!st) st = info_at(m->enc, 1, 0, &b);
    if (st) return st;
    if (m->kind == VC_TD_CTC) {
        if (b.rank != 3 || b.dims[2] != m->n_tokens)
            return vc_error(VOCE_ERR_FORMAT, "CTC program: the model's output is not [N, T, %d]", m->n_tokens);
        return VOCE_OK;
    }
    if (b.rank != 3 || b.dims[1] < 1) return vc_error(VOCE_ERR_FORMAT, "transducer program: encoder output is not [N, D, T]");
    m->d_model = (int)b.dims[1];
    voce_tensor_info s, j;
    st = info_at(m->dec, 0, m->onnx_asr ? 3 : 2, &s);
    if (!st) st = info_at(m->onnx_asr ? m->dec : m->joint, 1, 0, &j);
    if (st) return st;
    if (s.rank != 3 || s.dims[0] < 1 || s.dims[2] < 1 || s.dims[0] > 64 || s.dims[2] > 1 << 16)
        return vc_error(VOCE_ERR_FORMAT, "transducer program: the prediction network's state is not [L, N, H]");
    m->pred_layers = (int)s.dims[0];
    m->pred_hidden = (int)s.dims[2];
    m->joint_width = j.rank == 4 ? (int)j.dims[3] : -1;
    if (m->joint_width != m->n_tokens + m->n_durations)
        return vc_error(VOCE_ERR_FORMAT, "transducer program: the joint gives %d logits, the metadata %d tokens "
                        "and %d durations", m->joint_width, m->n_tokens, m->n_durations);
    return VOCE_OK;
}

/* onnx-asr's decoder_joint is bound by position; its names are NeMo's, so check them. */
static voce_status check_names(vc_td_model *m)
{
    static const char *const in[5] = {"encoder_outputs", "targets", "target_length", "input_states_1",
                                      "input_states_2"};
    static const char *const out[4] = {"outputs", "prednet_lengths", "output_states_1", "output_states_2"};
    for (int k = 0; k < 9; k++) {
        voce_tensor_info info;
        voce_status st = info_at(m->dec, k >= 5, (size_t)(k < 5 ? k : k - 5), &info);
        const char *want = k < 5 ? in[k] : out[k - 5];
        if (st) return st;
        if (k != 6 && (!info.name || strcmp(info.name, want))) /* prednet_lengths: unused */
            return vc_error(VOCE_ERR_FORMAT, "onnx-asr decoder_joint: %s %d is '%s', expected '%s'",
                            k < 5 ? "input" : "output", k < 5 ? k : k - 5, info.name ? info.name : "", want);
    }
    return VOCE_OK;
}

voce_status vc_td_model_open(vc_td_model *m, const voce_program *prog, const voce_method_options *opts)
{
    memset(m, 0, sizeof *m);
    m->prog = prog;
    voce_status st = read_meta(m);
    int ctc = m->kind == VC_TD_CTC;
    if (!st) st = voce_method_create(prog, ctc ? "ctc" : "encoder", opts, &m->enc);
    if (!st && !ctc) st = voce_method_create(prog, m->onnx_asr ? "decoder_joint" : "decoder", opts, &m->dec);
    if (!st && !ctc && !m->onnx_asr) st = voce_method_create(prog, "joiner", opts, &m->joint);
    if (!st) st = check_shapes(m);
    if (!st && m->onnx_asr && !ctc) st = check_names(m);
    if (!st) vc_td_find_punctuation(m);
    size_t ns = 2 * (size_t)m->pred_layers * (size_t)m->pred_hidden;
    if (!st && !ctc) {
        m->state = calloc(ns, sizeof(float));
        m->next = calloc(ns, sizeof(float));
        m->g = calloc((size_t)m->pred_hidden, sizeof(float));
        m->col = calloc((size_t)m->d_model, sizeof(float));
        if (!m->state || !m->next || !m->g || !m->col) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    if (st) vc_td_model_close(m);
    return st;
}

void vc_td_model_close(vc_td_model *m)
{
    voce_method_destroy(m->enc);
    voce_method_destroy(m->dec);
    voce_method_destroy(m->joint);
    free(m->state);
    free(m->next);
    free(m->g);
    free(m->col);
    memset(m, 0, sizeof *m);
}

voce_status vc_td_model_encode(vc_td_model *m, const float *feats, int n_total, int n_valid)
{
    if (n_total < 1 || n_valid < 1 || n_valid > n_total)
        return vc_error(VOCE_ERR_INVALID_ARG, "transducer: %d valid frames of %d", n_valid, n_total);
    int64_t len = n_valid;
    size_t n = (size_t)m->feat_dim * (size_t)n_total;
    voce_tensor f = {VOCE_DTYPE_F32, 3, {1, m->feat_dim, n_total}, feats, n * sizeof(float)};
    voce_tensor l = {VOCE_DTYPE_I64, 1, {1}, &len, sizeof len};
    voce_tensor out, olen;
    voce_status st = voce_method_set_input(m->enc, 0, &f);
    if (!st) st = voce_method_set_input(m->enc, 1, &l);
    if (!st) st = voce_method_execute(m->enc);
    if (!st) st = voce_method_output(m->enc, 0, &out);
    if (st) return st;
    if (out.rank != 3 || out.dims[0] != 1 || out.dims[m->kind == VC_TD_CTC ? 2 : 1] != (m->kind == VC_TD_CTC ? m->n_tokens : m->d_model))
        return vc_error(VOCE_ERR_FORMAT, "transducer: the encoder's output does not have the declared shape");
    if (m->kind == VC_TD_CTC) {
        m->n_total = (int)out.dims[1];
        /* NeMo's CTC decoding takes the encoder's lengths; the CTC export has none, so
         * the frames are those the subsampling leaves of the valid features */
        int n_sub = n_valid;
        for (int k = 1; k < m->subsampling; k *= 2) n_sub = (n_sub + 1) / 2;
        m->n_frames = n_sub < m->n_total ? n_sub : m->n_total;
    } else {
        if ((st = voce_method_output(m->enc, 1, &olen))) return st;
        m->n_total = (int)out.dims[2];
        int64_t nf = olen.dtype == VOCE_DTYPE_I64 && olen.nbytes >= 8 ? *(const int64_t *)olen.data : -1;
        if (nf < 0 || nf > m->n_total)
            return vc_error(VOCE_ERR_FORMAT, "transducer: the encoder says %lld frames of %d", (long long)nf,
                            m->n_total);
        m->n_frames = (int)nf;
    }
    m->enc_out = out.data;
    return VOCE_OK;
}

static voce_tensor state_tensor(const vc_td_model *m, const float *s, int which)
{
    size_t n = (size_t)m->pred_layers * (size_t)m->pred_hidden;
    voce_tensor t = {VOCE_DTYPE_F32, 3, {m->pred_layers, 1, m->pred_hidden}, s + (size_t)which * n,
                     n * sizeof(float)};
    return t;
}

/* Copy outputs `first` and first + 1 (h, c) of mt into s. */
static voce_status take_state(const vc_td_model *m, voce_method *mt, size_t first, float *s)
{
    size_t n = (size_t)m->pred_layers * (size_t)m->pred_hidden;
    for (int k = 0; k < 2; k++) {
        voce_tensor t;
        voce_status st = voce_method_output(mt, first + (size_t)k, &t);
        if (st) return st;
        if (t.nbytes != n * sizeof(float)) return vc_error(VOCE_ERR_FORMAT, "transducer: LSTM state of %zu bytes", t.nbytes);
        memcpy(s + (size_t)k * n, t.data, t.nbytes);
    }
    return VOCE_OK;
}

/* sherpa: one decoder step on `token` from the state: g and the state advance. */
static voce_status sherpa_step(vc_td_model *m, int token)
{
    int32_t tok = token, one = 1;
    voce_tensor tt = {VOCE_DTYPE_I32, 2, {1, 1}, &tok, sizeof tok};
    voce_tensor tl = {VOCE_DTYPE_I32, 1, {1}, &one, sizeof one};
    voce_tensor h = state_tensor(m, m->state, 0), c = state_tensor(m, m->state, 1), g;
    voce_status st = voce_method_set_input(m->dec, 0, &tt);
    if (!st) st = voce_method_set_input(m->dec, 1, &tl);
    if (!st) st = voce_method_set_input(m->dec, 2, &h);
    if (!st) st = voce_method_set_input(m->dec, 3, &c);
    if (!st) st = voce_method_execute(m->dec);
    if (!st) st = voce_method_output(m->dec, 0, &g);
    if (!st && g.nbytes != (size_t)m->pred_hidden * sizeof(float))
        st = vc_error(VOCE_ERR_FORMAT, "transducer: the decoder gave %zu bytes, not [1, %d, 1]", g.nbytes, m->pred_hidden);
    if (!st) memcpy(m->g, g.data, g.nbytes);
    if (!st) st = take_state(m, m->dec, 2, m->state);
    return st;
}

voce_status vc_td_model_start(vc_td_model *m)
{
    if (m->kind == VC_TD_CTC) return vc_error(VOCE_ERR_STATE, "a CTC model has no prediction network");
    memset(m->state, 0, 2 * (size_t)m->pred_layers * (size_t)m->pred_hidden * sizeof(float));
    m->last = m->blank;
    m->next_valid = 0;
    return m->onnx_asr ? VOCE_OK : sherpa_step(m, m->blank);
}

voce_status vc_td_model_predict(vc_td_model *m, int token)
{
    if (token < 0 || token >= m->blank)
        return vc_error(VOCE_ERR_INVALID_ARG, "transducer: token %d is not in 0 .. %d", token, m->blank - 1);
    if (!m->onnx_asr) return sherpa_step(m, token);
    if (!m->next_valid) { /* the state after `last` is made by an evaluation */
        const float *unused;
        voce_status st = vc_td_model_joint(m, 0, &unused);
        if (st) return st;
    }
    memcpy(m->state, m->next, 2 * (size_t)m->pred_layers * (size_t)m->pred_hidden * sizeof(float));
    m->last = token;
    m->next_valid = 0;
    return VOCE_OK;
}

voce_status vc_td_model_joint(vc_td_model *m, int t, const float **logits)
{
    if (!m->enc_out || t < 0 || t >= m->n_total)
        return vc_error(VOCE_ERR_INVALID_ARG, "transducer: frame %d of %d encoded", t, m->enc_out ? m->n_total : 0);
    for (int d = 0; d < m->d_model; d++) m->col[d] = m->enc_out[(size_t)d * (size_t)m->n_total + (size_t)t];
    voce_tensor e = {VOCE_DTYPE_F32, 3, {1, m->d_model, 1}, m->col, (size_t)m->d_model * sizeof(float)}, out;
    voce_status st;
    if (m->onnx_asr) {
        int32_t tok = m->last, one = 1;
        voce_tensor tt = {VOCE_DTYPE_I32, 2, {1, 1}, &tok, sizeof tok};
        voce_tensor tl = {VOCE_DTYPE_I32, 1, {1}, &one, sizeof one};
        voce_tensor h = state_tensor(m, m->state, 0), c = state_tensor(m, m->state, 1);
        st = voce_method_set_input(m->dec, 0, &e);
        if (!st) st = voce_method_set_input(m->dec, 1, &tt);
        if (!st) st = voce_method_set_input(m->dec, 2, &tl);
        if (!st) st = voce_method_set_input(m->dec, 3, &h);
        if (!st) st = voce_method_set_input(m->dec, 4, &c);
        if (!st) st = voce_method_execute(m->dec);
        if (!st) st = take_state(m, m->dec, 2, m->next);
        if (!st) st = voce_method_output(m->dec, 0, &out);
        m->next_valid = !st;
    } else {
        voce_tensor g = {VOCE_DTYPE_F32, 3, {1, m->pred_hidden, 1}, m->g, (size_t)m->pred_hidden * sizeof(float)};
        st = voce_method_set_input(m->joint, 0, &e);
        if (!st) st = voce_method_set_input(m->joint, 1, &g);
        if (!st) st = voce_method_execute(m->joint);
        if (!st) st = voce_method_output(m->joint, 0, &out);
    }
    if (!st && out.nbytes != (size_t)m->joint_width * sizeof(float))
        st = vc_error(VOCE_ERR_FORMAT, "transducer: the joint gave %zu bytes, not %d logits", out.nbytes, m->joint_width);
    if (!st) *logits = out.data;
    return st;
}
