/* The Hugging Face / optimum layout of a Whisper program (model.h): the encoder returns
 * its hidden states, not the cross-attention keys and values; the prompt's decoder
 * (decoder_prompt, or the merged decoder with use_cache_branch false) computes those
 * from the hidden states and returns them with the first self-attention caches; every
 * later step runs the with-past decoder on them. Its caches grow by one position per
 * step and are method state (the recipe paired past_key_values.<l>.decoder.* with
 * present.<l>.decoder.*).
 *
 * The prompt's cross K/V are copied once into m->xkv: the merged decoder's next run
 * would overwrite its outputs, and beams need them repeated along the batch axis (the
 * export's attention reshapes by the query's batch, so it cannot broadcast a batch of 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model.h"

static voce_status bind_layers(vc_whisper_model *m)
{
    const vc_whisper_dims *d = &m->d;
    int dh = d->n_text_state / d->n_text_head;
    int64_t kv[4] = {-1, d->n_text_head, -1, dh};
    voce_status st = VOCE_OK;
    m->n_cross = 2 * d->n_text_layer;
    for (int i = 0; i < m->n_cross && !st; i++) {
        const char *w = i % 2 ? "value" : "key";
        char name[96];
        snprintf(name, sizeof name, "present.%d.encoder.%s", i / 2, w);
        st = vc_whisper_find_io(m->pre, 1, name, 4, kv, &m->src_cross[i]);
        snprintf(name, sizeof name, "past_key_values.%d.encoder.%s", i / 2, w);
        if (!st) st = vc_whisper_find_io(m->dec, 0, name, 4, kv, &m->dec_cross[i]);
        snprintf(name, sizeof name, "past_key_values.%d.decoder.%s", i / 2, w);
        if (!st) st = vc_whisper_find_io(m->dec, 0, name, 4, kv, &m->dec_self[i]);
        snprintf(name, sizeof name, "present.%d.decoder.%s", i / 2, w);
        if (!st) st = vc_whisper_find_io(m->pre, 1, name, 4, kv, &m->pre_self[i]);
    }
    return st;
}

voce_status vc_whisper_hf_bind(vc_whisper_model *m)
{
    const vc_whisper_dims *d = &m->d;
    if (d->n_text_state % d->n_text_head)
        return vc_error(VOCE_ERR_FORMAT, "Whisper program: width %d is not a multiple of %d heads",
                        d->n_text_state, d->n_text_head);
    int64_t mel[3] = {1, d->n_mels, 2 * d->n_audio_ctx}, hid[3] = {-1, d->n_audio_ctx, d->n_audio_state};
    int64_t tok[2] = {-1, -1}, logits[3] = {-1, -1, d->n_vocab}, one = 1;
    m->cross_axis = 0;
    voce_status st = vc_whisper_find_io(m->enc, 0, "input_features", 3, mel, &m->enc_mel);
    if (!st) st = vc_whisper_find_io(m->enc, 1, "last_hidden_state", 3, hid, &m->enc_out);
    if (!st) st = vc_whisper_find_io(m->pre, 0, "encoder_hidden_states", 3, hid, &m->pre_hidden);
    if (!st) st = vc_whisper_find_io(m->pre, 0, "input_ids", 2, tok, &m->pre_tokens);
    if (!st) st = vc_whisper_find_io(m->pre, 1, "logits", 3, logits, &m->pre_logits);
    if (!st && m->merged) st = vc_whisper_find_io(m->dec, 0, "use_cache_branch", 1, &one, &m->dec_branch);
    m->pre_branch = m->dec_branch;
    if (!st) st = bind_layers(m);
    return st;
}

/* An empty [1, heads, 0, head width] tensor: the merged decoder's past inputs before a
 * prompt (that branch does not read them, but every input needs a value). */
static voce_status set_empty(vc_whisper_model *m, size_t index)
{
    static const float none[1] = {0};
    voce_tensor t = {VOCE_DTYPE_F32, 4, {1, m->d.n_text_head, 0, m->d.n_text_state / m->d.n_text_head}, none, 0};
    return voce_method_set_input(m->dec, index, &t);
}

/* The merged decoder's prompt branch ignores its past inputs, but what lies outside the
 * branches sees their shapes (a batch of 5 left by beams would not do): all empty. */
voce_status vc_whisper_hf_reset(vc_whisper_model *m)
{
    voce_status st = voce_method_reset_state(m->dec);
    for (int i = 0; m->merged && i < m->n_cross && !st; i++) {
        st = set_empty(m, m->dec_self[i]);
        if (!st) st = set_empty(m, m->dec_cross[i]);
    }
    if (m->merged) m->cross_batch = 0;
    return st;
}

voce_status vc_whisper_hf_encode(vc_whisper_model *m, const float *mel)
{
    const vc_whisper_dims *d = &m->d;
    size_t n = (size_t)d->n_mels * 2 * (size_t)d->n_audio_ctx;
    voce_tensor t = {VOCE_DTYPE_F32, 3, {1, d->n_mels, 2 * d->n_audio_ctx}, mel, n * sizeof(float)}, h;
    voce_status st = voce_method_set_input(m->enc, m->enc_mel, &t);
    if (!st) st = voce_method_execute(m->enc);
    if (!st) st = voce_method_output(m->enc, m->enc_out, &h);
    if (!st) st = voce_method_set_input(m->pre, m->pre_hidden, &h);
    memset(m->cross, 0, sizeof m->cross);
    m->cross_batch = 0;
    return st ? st : vc_whisper_model_reset(m);
}

/* Keep the prompt's cross K/V (pre's present.<l>.encoder.*) in m->xkv. */
static voce_status keep_cross(vc_whisper_model *m)
{
    voce_tensor t[2 * VC_WHISPER_MAX_LAYERS];
    size_t total = 0;
    for (int i = 0; i < m->n_cross; i++) {
        voce_status st = voce_method_output(m->pre, m->src_cross[i], &t[i]);
        if (st) return st;
        if (t[i].rank != 4 || t[i].dims[0] != 1)
            return vc_error(VOCE_ERR_FORMAT, "Whisper program: the prompt's cross-attention keys/values are "
                            "not [1, heads, frames, width]");
        total += t[i].nbytes;
    }
    if (total > m->xkv_cap) {
        float *p = realloc(m->xkv, total);
        if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory for the cross-attention keys/values");
        m->xkv = p;
        m->xkv_cap = total;
    }
    char *dst = (char *)m->xkv;
    for (int i = 0; i < m->n_cross; i++) {
        memcpy(dst, t[i].data, t[i].nbytes);
        m->cross[i] = t[i];
        m->cross[i].data = dst;
        dst += t[i].nbytes;
    }
    m->cross_batch = 0;
    return VOCE_OK;
}

voce_status vc_whisper_hf_prompt(vc_whisper_model *m, const int32_t *tokens, int n, const float **logits)
{
    (void)tokens; /* already in m->tok64 */
    if (m->batch != 1)
        return vc_error(VOCE_ERR_STATE, "a Hugging Face Whisper export decodes its prompt one sequence at a time");
    uint8_t no = 0;
    voce_tensor tt = {VOCE_DTYPE_I64, 2, {1, n}, m->tok64, sizeof(int64_t) * (size_t)n};
    voce_tensor tb = {VOCE_DTYPE_BOOL, 1, {1}, &no, 1}, out;
    voce_status st = voce_method_set_input(m->pre, m->pre_tokens, &tt);
    if (!st && m->merged) st = voce_method_set_input(m->pre, m->pre_branch, &tb);
    if (!st) st = voce_method_execute(m->pre);
    if (!st) st = keep_cross(m);
    /* the pair's with-past decoder starts from the prompt's caches (the merged one
     * carried them itself, as state) */
    for (int i = 0; !m->merged && i < m->n_cross && !st; i++) {
        voce_tensor c;
        st = voce_method_output(m->pre, m->pre_self[i], &c);
        if (!st) st = voce_method_set_input(m->dec, m->dec_self[i], &c);
    }
    if (!st) st = voce_method_output(m->pre, m->pre_logits, &out);
    if (!st) *logits = out.data;
    return st;
}
