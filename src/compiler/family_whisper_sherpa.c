/* sherpa-onnx's Whisper export (its scripts/whisper/export-onnx.py), as downloaded:
 *
 *   <name>-encoder.onnx   mel [n_audio, n_mels, T] -> n_layer_cross_k, n_layer_cross_v
 *                         [n_text_layer, n_audio, T / 2, n_text_state]; the model's facts
 *                         in its metadata_props (n_mels ... n_text_layer, is_multilingual,
 *                         all_language_tokens, sot, eot, translate, transcribe, ...)
 *   <name>-decoder.onnx   tokens, in_n_layer_self_{k,v}_cache [n_text_layer, n_audio,
 *                         n_text_ctx, n_text_state], n_layer_cross_{k,v}, offset [1]
 *                         -> logits, out_n_layer_self_{k,v}_cache
 *   <name>-tokens.txt     the tiktoken file's lines ("<base64> <id>")
 *
 * (or the *.int8.onnx files, quantized by ONNX Runtime, when the float ones are absent).
 * The self-attention caches become method state (batch on their second axis, which the
 * runtime takes as the batch axis because it is the free one); the encoder's input is
 * fixed to one 30 s window. sherpa-onnx's export has no cross-attention output, so no
 * word timestamps (the runner says so). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/mapfile.h"
#include "family_whisper.h"
#include "onnx.h"

/* Entries of a comma-separated list (a trailing comma allowed). */
static int count_list(const char *s)
{
    int n = 0;
    for (const char *c = s; c && *c;) {
        const char *e = strchr(c, ',');
        if ((e ? e : c + strlen(c)) > c) n++;
        c = e ? e + 1 : c + strlen(c);
    }
    return n;
}

static voce_status read_facts(const vc_onnx_model *m, whisper_facts *f, const char *where)
{
    voce_status st = VOCE_OK;
    for (int k = 0; k < 10 && !st; k++) st = vc_onnx_prop_int(m, vc_whisper_dim_keys[k], 1, 1 << 20, &f->dims[k], where);
    int64_t ml = 0;
    if (!st) st = vc_onnx_prop_int(m, "is_multilingual", 0, 1, &ml, where);
    f->multilingual = (int)ml;
    /* English-only exports list no languages, yet their vocabulary holds the tokens */
    int n = count_list(vc_onnx_prop(m, "all_language_tokens"));
    f->n_languages = ml && n ? n : vc_whisper_n_languages((int32_t)f->dims[5]);
    if (!st && (f->n_languages < 1 || f->n_languages > VC_WHISPER_MAX_LANGUAGES))
        st = vc_error(VOCE_ERR_FORMAT, "%s: %d languages in 'all_language_tokens'", where, f->n_languages);
    return st;
}

static voce_status check_specials(const vc_onnx_model *m, const vc_whisper_tokens *t, const char *where)
{
    static const char *const names[] = {"eot", "sot", "translate", "transcribe", "sot_lm", "sot_prev",
                                        "no_speech", "no_timestamps"};
    const int32_t want[] = {t->eot, t->sot, t->translate, t->transcribe, t->sot_lm, t->sot_prev,
                            t->no_speech, t->no_timestamps};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int64_t v;
        if (!vc_onnx_prop(m, names[i])) continue; /* older exports lack some */
        voce_status st = vc_onnx_prop_int(m, names[i], 0, VC_BPE_MAX_ID, &v, where);
        if (!st) st = vc_whisper_check_token(where, names[i], v, want[i]);
        if (st) return st;
    }
    return VOCE_OK;
}

static voce_status read_tokens(const char *path, whisper_facts *f, vc_family_plan *p)
{
    vc_mapfile mf;
    voce_status st = vc_mapfile_open(path, &mf);
    if (st) return st;
    vc_bpe *bpe = NULL;
    st = vc_bpe_load_sherpa_tokens(mf.data, mf.size, &bpe);
    vc_mapfile_close(&mf);
    if (st) return vc_error_prefix(st, "%s: ", path);
    return vc_whisper_vocab(bpe, f, p, path);
}

/* The file of dir ending in "-<what>.onnx", else "-<what>.int8.onnx". */
static voce_status find_model(const char *dir, const char *what, char *path, size_t cap)
{
    char suffix[64];
    snprintf(suffix, sizeof suffix, "-%s.onnx", what);
    vc_whisper_find_suffix(dir, suffix, path, cap);
    snprintf(suffix, sizeof suffix, "-%s.int8.onnx", what);
    if (!path[0]) vc_whisper_find_suffix(dir, suffix, path, cap);
    if (!path[0])
        return vc_error(VOCE_ERR_NOT_FOUND, "%s: a sherpa-onnx Whisper export needs *-%s.onnx beside "
                        "*-encoder.onnx", dir, what);
    return VOCE_OK;
}

static void add_shapes(vc_compile_options *x, vc_family_plan *p, const whisper_facts *f)
{
    char *mel = p->text[p->n_text++];
    snprintf(mel, sizeof p->text[0], "1,%lld,%lld", (long long)f->dims[0], (long long)(2 * f->dims[1]));
    x->shape_name[x->n_shape] = "mel";
    x->shape_value[x->n_shape] = mel;
    x->shape_method[x->n_shape++] = "encoder";
    x->state[1] = "in_n_layer_self_k_cache:out_n_layer_self_k_cache,"
                  "in_n_layer_self_v_cache:out_n_layer_self_v_cache";
}

voce_status vc_whisper_read_sherpa(const char *dir, whisper_facts *f, vc_family_plan *p, vc_compile_options *x)
{
    char enc[1100], dec[1100], tok[1100];
    voce_status st = find_model(dir, "encoder", enc, sizeof enc);
    if (!st) st = find_model(dir, "decoder", dec, sizeof dec);
    vc_whisper_find_suffix(dir, "-tokens.txt", tok, sizeof tok);
    if (!st && !tok[0])
        st = vc_error(VOCE_ERR_NOT_FOUND, "%s: a sherpa-onnx Whisper export needs *-tokens.txt", dir);
    if (st) return st;
    vc_onnx_model m;
    if ((st = vc_onnx_load(enc, &m))) return st;
    st = read_facts(&m, f, enc);
    if (!st) st = read_tokens(tok, f, p);
    if (!st) st = check_specials(&m, &f->tok, enc);
    vc_onnx_free(&m);
    if (st) return st;
    f->layout = "sherpa";
    vc_whisper_add_method(x, p, enc, "encoder");
    vc_whisper_add_method(x, p, dec, "decoder");
    add_shapes(x, p, f);
    return VOCE_OK;
}
