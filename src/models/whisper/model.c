/* A compiled Whisper program's methods (model.h). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static voce_status meta_int(const voce_program *p, const char *key, int lo, int hi, int *out)
{
    int64_t v;
    voce_status st = voce_program_meta_int(p, key, &v);
    if (st) return vc_error(VOCE_ERR_FORMAT, "not a Whisper program: metadata '%s' is missing or "
                            "not an integer (compile with voce compile --family whisper)", key);
    if (v < lo || v > hi)
        return vc_error(VOCE_ERR_FORMAT, "metadata '%s' = %lld is outside [%d, %d]", key, (long long)v, lo, hi);
    *out = (int)v;
    return VOCE_OK;
}

static voce_status read_dims(vc_whisper_model *m)
{
    static const char *const keys[10] = {
        "whisper.n_mels", "whisper.n_audio_ctx", "whisper.n_audio_state", "whisper.n_audio_head",
        "whisper.n_audio_layer", "whisper.n_vocab", "whisper.n_text_ctx", "whisper.n_text_state",
        "whisper.n_text_head", "whisper.n_text_layer"};
    int *dst[10] = {&m->d.n_mels, &m->d.n_audio_ctx, &m->d.n_audio_state, &m->d.n_audio_head,
                    &m->d.n_audio_layer, &m->d.n_vocab, &m->d.n_text_ctx, &m->d.n_text_state,
                    &m->d.n_text_head, &m->d.n_text_layer};
    voce_status st = VOCE_OK;
    for (int k = 0; k < 10 && !st; k++)
        st = meta_int(m->prog, keys[k], 1, k == 9 ? VC_WHISPER_MAX_LAYERS : 1 << 20, dst[k]);
    if (!st) st = meta_int(m->prog, "whisper.multilingual", 0, 1, &m->multilingual);
    return st;
}

static voce_status read_vocab(vc_whisper_model *m)
{
    const void *blob;
    size_t size;
    int n_lang;
    voce_status st = voce_program_meta_blob(m->prog, "whisper.vocab", &blob, &size);
    if (st) return vc_error(VOCE_ERR_FORMAT, "not a Whisper program: no vocabulary (metadata 'whisper.vocab')");
    if ((st = meta_int(m->prog, "whisper.n_languages", 0, VC_WHISPER_MAX_LANGUAGES, &n_lang))) return st;
    if ((st = vc_bpe_load_blob(blob, size, &m->bpe))) return vc_error_prefix(st, "whisper.vocab: ");
    /* the blob holds the specials already; laying them out again checks and finds them */
    if ((st = vc_whisper_add_specials(m->bpe, n_lang, &m->tok))) return st;
    if (m->tok.n_vocab < m->d.n_vocab)
        return vc_error(VOCE_ERR_FORMAT, "the vocabulary has %d tokens, the model's logits %d",
                        (int)m->tok.n_vocab, m->d.n_vocab);
    size_t n = 0;
    st = voce_program_meta_ints(m->prog, "whisper.alignment_heads", &m->align, &n);
    if (st || n % 2) return vc_error(VOCE_ERR_FORMAT, "metadata 'whisper.alignment_heads' is missing or odd");
    m->n_align = (int)(n / 2);
    for (int i = 0; i < m->n_align; i++)
        if (m->align[2 * i] < 0 || m->align[2 * i] >= m->d.n_text_layer || m->align[2 * i + 1] < 0 ||
            m->align[2 * i + 1] >= m->d.n_text_head)
            return vc_error(VOCE_ERR_FORMAT, "alignment head %d is outside the decoder", i);
    return VOCE_OK;
}

/* Index of a named input / output whose declared dims are `dims` (-1: any). */
static voce_status find_io(voce_method *mt, int output, const char *name, int rank, const int64_t *dims,
                           size_t *index)
{
    voce_status st = output ? voce_method_find_output(mt, name, index) : voce_method_find_input(mt, name, index);
    if (st) return vc_error(VOCE_ERR_FORMAT, "Whisper program: %s", voce_last_error());
    voce_tensor_info info;
    st = output ? voce_method_output_info(mt, *index, &info) : voce_method_input_info(mt, *index, &info);
    if (st) return st;
    int ok = info.rank == rank;
    for (int d = 0; ok && d < rank; d++) ok = dims[d] < 0 || info.dims[d] == dims[d];
    if (!ok) return vc_error(VOCE_ERR_FORMAT, "Whisper program: %s '%s' does not have the shape the "
                             "metadata gives", output ? "output" : "input", name);
    return VOCE_OK;
}

static voce_status bind_io(vc_whisper_model *m)
{
    const vc_whisper_dims *d = &m->d;
    int64_t mel[3] = {1, d->n_mels, 2 * d->n_audio_ctx}, cross[3] = {1, d->n_audio_ctx, d->n_text_state};
    int64_t tok[2] = {-1, -1}, logits[3] = {-1, -1, d->n_vocab};
    voce_status st = find_io(m->enc, 0, "mel", 3, mel, &m->enc_mel);
    for (int l = 0; l < 2 * d->n_text_layer && !st; l++) {
        char name[32];
        snprintf(name, sizeof name, "cross_%c_%d", l % 2 ? 'v' : 'k', l / 2);
        st = find_io(m->enc, 1, name, 3, cross, &m->enc_cross[l]);
        if (!st) st = find_io(m->dec, 0, name, 3, cross, &m->dec_cross[l]);
    }
    if (!st) st = find_io(m->dec, 0, "tokens", 2, tok, &m->dec_tokens);
    if (!st) st = find_io(m->dec, 0, "offset", 0, NULL, &m->dec_offset);
    if (!st) st = find_io(m->dec, 1, "logits", 3, logits, &m->dec_logits);
    int64_t al[3] = {m->n_align, -1, d->n_audio_ctx};
    m->has_alignment = m->n_align > 0 && voce_method_find_output(m->dec, "alignment", &m->dec_alignment) == VOCE_OK;
    if (!st && m->has_alignment) st = find_io(m->dec, 1, "alignment", 3, al, &m->dec_alignment);
    vc_error_clear();
    return st;
}

voce_status vc_whisper_model_open(vc_whisper_model *m, const voce_program *prog, const voce_method_options *opts)
{
    memset(m, 0, sizeof *m);
    m->prog = prog;
    voce_status st = read_dims(m);
    if (!st) st = read_vocab(m);
    if (!st) st = voce_method_create(prog, "encoder", opts, &m->enc);
    if (!st) st = voce_method_create(prog, "decoder", opts, &m->dec);
    if (!st) st = bind_io(m);
    if (!st && !(m->tok64 = malloc(sizeof *m->tok64 * VC_WHISPER_MAX_BATCH * (size_t)m->d.n_text_ctx)))
        st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (st) vc_whisper_model_close(m);
    return st;
}

void vc_whisper_model_close(vc_whisper_model *m)
{
    voce_method_destroy(m->enc);
    voce_method_destroy(m->dec);
    vc_bpe_free(m->bpe);
    free(m->tok64);
    memset(m, 0, sizeof *m);
}

voce_status vc_whisper_model_encode(vc_whisper_model *m, const float *mel)
{
    const vc_whisper_dims *d = &m->d;
    size_t n = (size_t)d->n_mels * 2 * (size_t)d->n_audio_ctx;
    voce_tensor t = {VOCE_DTYPE_F32, 3, {1, d->n_mels, 2 * d->n_audio_ctx}, mel, n * sizeof(float)};
    voce_status st = voce_method_set_input(m->enc, m->enc_mel, &t);
    if (!st) st = voce_method_execute(m->enc);
    for (int l = 0; l < 2 * d->n_text_layer && !st; l++) {
        voce_tensor kv;
        st = voce_method_output(m->enc, m->enc_cross[l], &kv);
        if (!st) st = voce_method_set_input(m->dec, m->dec_cross[l], &kv);
    }
    return st ? st : vc_whisper_model_reset(m);
}

voce_status vc_whisper_model_reset(vc_whisper_model *m)
{
    m->offset = 0;
    m->batch = 1;
    return voce_method_reset_state(m->dec);
}

voce_status vc_whisper_model_reorder(vc_whisper_model *m, const int *src, int n)
{
    if (n < 1 || n > VC_WHISPER_MAX_BATCH)
        return vc_error(VOCE_ERR_INVALID_ARG, "%d sequences at once; 1 to %d are possible", n, VC_WHISPER_MAX_BATCH);
    voce_status st = voce_method_reorder_state(m->dec, src, n);
    if (st) return vc_error_prefix(st, "this Whisper export cannot decode several sequences at once "
                                   "(re-export it with scripts/export/whisper.py): ");
    m->batch = n;
    return VOCE_OK;
}

voce_status vc_whisper_model_decode(vc_whisper_model *m, const int32_t *tokens, int n, const float **logits)
{
    return vc_whisper_model_decode_batch(m, 1, tokens, n, logits);
}

voce_status vc_whisper_model_decode_batch(vc_whisper_model *m, int batch, const int32_t *tokens, int n,
                                          const float **logits)
{
    if (n < 1 || n > m->d.n_text_ctx - m->offset)
        return vc_error(VOCE_ERR_INVALID_ARG, "decoding %d tokens after %d would pass the text context of "
                        "%d tokens", n, m->offset, m->d.n_text_ctx);
    if (batch != m->batch)
        return vc_error(VOCE_ERR_STATE, "decoding %d sequences, the caches hold %d", batch, m->batch);
    for (int i = 0; i < batch * n; i++) {
        if (tokens[i] < 0 || tokens[i] >= m->d.n_vocab)
            return vc_error(VOCE_ERR_INVALID_ARG, "token %d is outside the vocabulary of %d", (int)tokens[i],
                            m->d.n_vocab);
        m->tok64[i] = tokens[i];
    }
    int64_t off = m->offset;
    voce_tensor tt = {VOCE_DTYPE_I64, 2, {batch, n}, m->tok64, sizeof(int64_t) * (size_t)(batch * n)};
    voce_tensor to = {VOCE_DTYPE_I64, 0, {0}, &off, sizeof off};
    voce_tensor out;
    voce_status st = voce_method_set_input(m->dec, m->dec_tokens, &tt);
    if (!st) st = voce_method_set_input(m->dec, m->dec_offset, &to);
    if (!st) st = voce_method_execute(m->dec);
    if (!st) st = voce_method_output(m->dec, m->dec_logits, &out);
    if (st) return st;
    m->offset += n;
    *logits = out.data;
    return VOCE_OK;
}

voce_status vc_whisper_model_alignment(const vc_whisper_model *m, const float **weights, int *n_tokens)
{
    if (!m->has_alignment)
        return vc_error(VOCE_ERR_UNSUPPORTED, "this Whisper export has no alignment heads' attention "
                        "(word timestamps need it)");
    voce_tensor t;
    voce_status st = voce_method_output(m->dec, m->dec_alignment, &t);
    if (st) return st;
    *weights = t.data;
    *n_tokens = (int)t.dims[1];
    return VOCE_OK;
}
