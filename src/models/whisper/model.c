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

/* Index of a named input / output whose declared dims fit `dims` (-1 on either side:
 * any). */
voce_status vc_whisper_find_io(voce_method *mt, int output, const char *name, int rank, const int64_t *dims,
                               size_t *index)
{
    voce_status st = output ? voce_method_find_output(mt, name, index) : voce_method_find_input(mt, name, index);
    if (st) return vc_error(VOCE_ERR_FORMAT, "Whisper program: %s", voce_last_error());
    voce_tensor_info info;
    st = output ? voce_method_output_info(mt, *index, &info) : voce_method_input_info(mt, *index, &info);
    if (st) return st;
    int ok = info.rank == rank;
    for (int d = 0; ok && dims && d < rank; d++) ok = dims[d] < 0 || info.dims[d] < 0 || info.dims[d] == dims[d];
    if (!ok) return vc_error(VOCE_ERR_FORMAT, "Whisper program: %s '%s' does not have the shape the "
                             "metadata gives", output ? "output" : "input", name);
    return VOCE_OK;
}

/* Ours: per layer cross_k_<l> / cross_v_<l> [1, T, d] from the encoder to the decoder,
 * which broadcasts them over a batch; offset a scalar; the alignment heads' attention. */
static voce_status bind_voce(vc_whisper_model *m)
{
    const vc_whisper_dims *d = &m->d;
    int64_t mel[3] = {1, d->n_mels, 2 * d->n_audio_ctx}, cross[3] = {1, d->n_audio_ctx, d->n_text_state};
    voce_status st = vc_whisper_find_io(m->enc, 0, "mel", 3, mel, &m->enc_mel);
    m->n_cross = 2 * d->n_text_layer;
    m->cross_axis = -1;
    for (int l = 0; l < m->n_cross && !st; l++) {
        char name[32];
        snprintf(name, sizeof name, "cross_%c_%d", l % 2 ? 'v' : 'k', l / 2);
        st = vc_whisper_find_io(m->enc, 1, name, 3, cross, &m->src_cross[l]);
        if (!st) st = vc_whisper_find_io(m->dec, 0, name, 3, cross, &m->dec_cross[l]);
    }
    m->has_offset = 1;
    if (!st) st = vc_whisper_find_io(m->dec, 0, "offset", 0, NULL, &m->dec_offset);
    int64_t al[3] = {m->n_align, -1, d->n_audio_ctx};
    m->has_alignment = m->n_align > 0 && voce_method_find_output(m->dec, "alignment", &m->dec_alignment) == VOCE_OK;
    if (!st && m->has_alignment) st = vc_whisper_find_io(m->dec, 1, "alignment", 3, al, &m->dec_alignment);
    vc_error_clear();
    return st;
}

/* sherpa-onnx: n_layer_cross_{k,v} [L, batch, T, d] stacked, offset [1]. */
static voce_status bind_sherpa(vc_whisper_model *m)
{
    const vc_whisper_dims *d = &m->d;
    int64_t mel[3] = {1, d->n_mels, 2 * d->n_audio_ctx};
    int64_t cross[4] = {d->n_text_layer, -1, d->n_audio_ctx, d->n_text_state}, one = 1;
    voce_status st = vc_whisper_find_io(m->enc, 0, "mel", 3, mel, &m->enc_mel);
    m->n_cross = 2;
    m->cross_axis = 1;
    for (int l = 0; l < 2 && !st; l++) {
        const char *name = l ? "n_layer_cross_v" : "n_layer_cross_k";
        st = vc_whisper_find_io(m->enc, 1, name, 4, cross, &m->src_cross[l]);
        if (!st) st = vc_whisper_find_io(m->dec, 0, name, 4, cross, &m->dec_cross[l]);
    }
    m->has_offset = 1;
    if (!st) st = vc_whisper_find_io(m->dec, 0, "offset", 1, &one, &m->dec_offset);
    return st;
}

static voce_status read_layout(vc_whisper_model *m)
{
    static const char *const names[3] = {"voce", "sherpa", "hf"};
    const char *s = NULL;
    size_t len = 0;
    m->layout = VC_WHISPER_LAYOUT_VOCE; /* programs from before the layouts */
    if (voce_program_meta_string(m->prog, "whisper.layout", &s, &len)) {
        vc_error_clear();
        return VOCE_OK;
    }
    for (int i = 0; i < 3; i++)
        if (len == strlen(names[i]) && !memcmp(s, names[i], len)) {
            m->layout = (vc_whisper_layout)i;
            return VOCE_OK;
        }
    return vc_error(VOCE_ERR_FORMAT, "metadata 'whisper.layout' is \"%.*s\"; this voce knows voce, sherpa and hf",
                    (int)(len < 64 ? len : 64), s);
}

static voce_status bind_io(vc_whisper_model *m)
{
    const vc_whisper_dims *d = &m->d;
    int64_t tok[2] = {-1, -1}, logits[3] = {-1, -1, d->n_vocab};
    voce_status st = m->layout == VC_WHISPER_LAYOUT_VOCE   ? bind_voce(m)
                     : m->layout == VC_WHISPER_LAYOUT_SHERPA ? bind_sherpa(m)
                                                             : vc_whisper_hf_bind(m);
    const char *tname = m->layout == VC_WHISPER_LAYOUT_HF ? "input_ids" : "tokens";
    if (!st) st = vc_whisper_find_io(m->dec, 0, tname, 2, tok, &m->dec_tokens);
    if (!st) st = vc_whisper_find_io(m->dec, 1, "logits", 3, logits, &m->dec_logits);
    return st;
}

voce_status vc_whisper_model_open(vc_whisper_model *m, const voce_program *prog, const voce_method_options *opts)
{
    memset(m, 0, sizeof *m);
    m->prog = prog;
    voce_status st = read_dims(m);
    if (!st) st = read_vocab(m);
    if (!st) st = read_layout(m);
    if (!st) st = voce_method_create(prog, "encoder", opts, &m->enc);
    if (!st) st = voce_method_create(prog, "decoder", opts, &m->dec);
    if (!st && m->layout == VC_WHISPER_LAYOUT_HF) {
        m->merged = voce_method_create(prog, "decoder_prompt", opts, &m->pre) != VOCE_OK;
        if (m->merged) m->pre = m->dec;
        vc_error_clear();
    }
    if (!st) st = bind_io(m);
    if (!st && !(m->tok64 = malloc(sizeof *m->tok64 * VC_WHISPER_MAX_BATCH * (size_t)m->d.n_text_ctx)))
        st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    if (st) vc_whisper_model_close(m);
    return st;
}

void vc_whisper_model_close(vc_whisper_model *m)
{
    if (m->pre != m->dec) voce_method_destroy(m->pre);
    voce_method_destroy(m->enc);
    voce_method_destroy(m->dec);
    vc_bpe_free(m->bpe);
    free(m->tok64);
    free(m->xkv);
    free(m->scratch);
    memset(m, 0, sizeof *m);
}

voce_status vc_whisper_model_encode(vc_whisper_model *m, const float *mel)
{
    if (m->layout == VC_WHISPER_LAYOUT_HF) return vc_whisper_hf_encode(m, mel);
    const vc_whisper_dims *d = &m->d;
    size_t n = (size_t)d->n_mels * 2 * (size_t)d->n_audio_ctx;
    voce_tensor t = {VOCE_DTYPE_F32, 3, {1, d->n_mels, 2 * d->n_audio_ctx}, mel, n * sizeof(float)};
    voce_status st = voce_method_set_input(m->enc, m->enc_mel, &t);
    if (!st) st = voce_method_execute(m->enc);
    for (int l = 0; l < m->n_cross && !st; l++) st = voce_method_output(m->enc, m->src_cross[l], &m->cross[l]);
    m->cross_batch = 0;
    return st ? st : vc_whisper_model_reset(m);
}

voce_status vc_whisper_model_reset(vc_whisper_model *m)
{
    m->offset = 0;
    m->batch = 1;
    if (m->layout == VC_WHISPER_LAYOUT_HF) return vc_whisper_hf_reset(m);
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

/* Give the decoder the cross K/V for `batch` sequences: the batch-1 tensors as they are
 * where the decoder broadcasts them, else repeated along their batch axis (every
 * sequence listens to the same audio). Only when the batch or the audio changed. */
static voce_status set_cross(vc_whisper_model *m, int batch)
{
    if (m->cross_axis < 0) batch = 1;
    if (m->cross_batch == batch) return VOCE_OK;
    for (int i = 0; i < m->n_cross; i++) {
        voce_tensor t = m->cross[i];
        if (!t.data) return vc_error(VOCE_ERR_STATE, "Whisper: decoding before the audio was encoded");
        if (batch > 1) {
            int ax = m->cross_axis;
            size_t outer = 1, row = t.nbytes / (size_t)t.dims[ax], nb = t.nbytes * (size_t)batch;
            for (int k = 0; k < ax; k++) outer *= (size_t)t.dims[k];
            row /= outer;
            if (nb > m->scratch_cap) {
                void *p = realloc(m->scratch, nb);
                if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory for %d sequences' cross-attention", batch);
                m->scratch = p;
                m->scratch_cap = nb;
            }
            for (size_t o = 0; o < outer; o++)
                for (int k = 0; k < batch; k++)
                    memcpy((char *)m->scratch + (o * (size_t)batch + (size_t)k) * row,
                           (const char *)t.data + o * row, row);
            t.data = m->scratch;
            t.dims[ax] = batch;
            t.nbytes = nb;
        }
        /* one sequence: the decoder reads the encoder's output (or m->xkv) where it is,
         * so it is in memory once; a batch is built in the shared scratch: copied */
        voce_status st = batch > 1 ? voce_method_set_input(m->dec, m->dec_cross[i], &t)
                                   : voce_method_borrow_input(m->dec, m->dec_cross[i], &t);
        if (st) return st;
    }
    m->cross_batch = batch;
    return VOCE_OK;
}

voce_status vc_whisper_model_decode(vc_whisper_model *m, const int32_t *tokens, int n, const float **logits)
{
    return vc_whisper_model_decode_batch(m, 1, tokens, n, logits);
}

static voce_status set_step_inputs(vc_whisper_model *m, int batch, int n)
{
    int64_t off = m->offset;
    voce_tensor tt = {VOCE_DTYPE_I64, 2, {batch, n}, m->tok64, sizeof(int64_t) * (size_t)(batch * n)};
    voce_tensor to = {VOCE_DTYPE_I64, m->layout == VC_WHISPER_LAYOUT_SHERPA, {1}, &off, sizeof off};
    uint8_t yes = 1;
    voce_tensor tb = {VOCE_DTYPE_BOOL, 1, {1}, &yes, 1};
    voce_status st = set_cross(m, batch);
    if (!st) st = voce_method_set_input(m->dec, m->dec_tokens, &tt);
    if (!st && m->has_offset) st = voce_method_set_input(m->dec, m->dec_offset, &to);
    if (!st && m->merged) st = voce_method_set_input(m->dec, m->dec_branch, &tb);
    return st;
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
    if (m->layout == VC_WHISPER_LAYOUT_HF && m->offset == 0) {
        voce_status st = vc_whisper_hf_prompt(m, tokens, n, logits);
        if (!st) m->offset += n;
        return st;
    }
    voce_tensor out;
    voce_status st = set_step_inputs(m, batch, n);
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
