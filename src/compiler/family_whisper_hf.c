/* The Hugging Face / optimum Whisper export, as downloaded (the ONNX files in DIR or in
 * DIR/onnx/, as on the Hub):
 *
 *   encoder_model.onnx     input_features [batch, n_mels, 3000] -> last_hidden_state
 *   decoder_model_merged.onnx  input_ids, encoder_hidden_states, past_key_values.<l>.
 *                          {decoder,encoder}.{key,value}, use_cache_branch -> logits,
 *                          present.<l>.{decoder,encoder}.{key,value}; or the two files it
 *                          merges: decoder_model.onnx (the prompt: no past, returns the
 *                          cross-attention keys/values) and decoder_with_past_model.onnx
 *   config.json            the sizes (d_model, encoder_layers, ..., vocab_size)
 *   generation_config.json optional: is_multilingual, lang_to_id, alignment_heads and the
 *                          special ids, checked against the vocabulary
 *   tokenizer.json, or vocab.json + merges.txt
 *
 * The merged decoder is preferred (its weights are stored once; the pair holds them
 * twice). Methods: `encoder`, `decoder` (the merged file or the with-past one) and, for
 * the pair, `decoder_prompt`. The self-attention caches (past_key_values.<l>.decoder.*)
 * become method state; they grow by one position per step, as the export is written.
 * The export has no cross-attention output, so no word timestamps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/mapfile.h"
#include "family_whisper.h"

/* HF config.json's name of each of openai-whisper's dims, in vc_whisper_dim_keys order. */
static const char *const hf_dim_keys[10] = {
    "num_mel_bins", "max_source_positions", "d_model", "encoder_attention_heads", "encoder_layers",
    "vocab_size", "max_target_positions", "d_model", "decoder_attention_heads", "decoder_layers"};

static voce_status read_config(const char *dir, whisper_facts *f)
{
    char where[1100];
    snprintf(where, sizeof where, "%s/config.json", dir);
    vc_json j;
    voce_status st = vc_whisper_parse_json(where, &j);
    if (st) return st;
    const vc_json_node *root = vc_json_root(&j), *type = vc_json_member(&j, root, "model_type");
    size_t len = 0;
    const char *t = type ? vc_json_string(&j, type, &len) : NULL;
    if (!t || len != 7 || memcmp(t, "whisper", 7))
        st = vc_error(VOCE_ERR_FORMAT, "%s: model_type is %s%.*s%s, not \"whisper\"", where, t ? "\"" : "",
                      t ? (int)(len < 64 ? len : 64) : 7, t ? t : "missing", t ? "\"" : "");
    for (int k = 0; k < 10 && !st; k++)
        st = vc_whisper_json_int(&j, root, hf_dim_keys[k], 1, 1 << 20, &f->dims[k], where);
    vc_json_free(&j);
    f->multilingual = f->dims[5] >= 51865;
    f->n_languages = vc_whisper_n_languages((int32_t)f->dims[5]);
    return st;
}

static int count_members(const vc_json *j, const vc_json_node *n)
{
    int k = 0;
    for (const vc_json_node *e = n ? vc_json_child(j, n) : NULL; e; e = vc_json_next(j, e)) k++;
    return k;
}

/* generation_config.json, when present: languages, alignment heads, special ids. The
 * ids are checked once the vocabulary has laid the specials out (check_generation). */
static voce_status read_generation(const char *dir, whisper_facts *f, vc_family_plan *p, vc_json *j,
                                   const char *where)
{
    voce_status st = vc_whisper_parse_json(where, j);
    if (st) return st;
    const vc_json_node *root = vc_json_root(j), *ml = vc_json_member(j, root, "is_multilingual");
    if (ml) f->multilingual = ml->type == VC_JSON_TRUE;
    int n = count_members(j, vc_json_member(j, root, "lang_to_id"));
    if (f->multilingual && n) f->n_languages = n;
    if (f->n_languages < 1 || f->n_languages > VC_WHISPER_MAX_LANGUAGES)
        return vc_error(VOCE_ERR_FORMAT, "%s: %d languages", where, f->n_languages);
    (void)dir;
    return vc_whisper_read_alignment(j, root, f, p, where);
}

static voce_status check_generation(const vc_json *j, const whisper_facts *f, const char *where)
{
    const vc_json_node *root = vc_json_root(j), *task = vc_json_member(j, root, "task_to_id");
    static const char *const keys[] = {"decoder_start_token_id", "eos_token_id", "no_timestamps_token_id",
                                       "prev_sot_token_id"};
    const int32_t want[] = {f->tok.sot, f->tok.eot, f->tok.no_timestamps, f->tok.sot_prev};
    int64_t v;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const vc_json_node *n = vc_json_member(j, root, keys[i]);
        if (!n) continue;
        voce_status st = vc_whisper_json_int(j, root, keys[i], 0, VC_BPE_MAX_ID, &v, where);
        if (!st) st = vc_whisper_check_token(where, keys[i], v, want[i]);
        if (st) return st;
    }
    const char *tasks[2] = {"transcribe", "translate"};
    const int32_t tw[2] = {f->tok.transcribe, f->tok.translate};
    for (int i = 0; task && i < 2; i++) {
        if (!vc_json_member(j, task, tasks[i])) continue;
        voce_status st = vc_whisper_json_int(j, task, tasks[i], 0, VC_BPE_MAX_ID, &v, where);
        if (!st) st = vc_whisper_check_token(where, tasks[i], v, tw[i]);
        if (st) return st;
    }
    return VOCE_OK;
}

static voce_status map_file(const char *dir, const char *name, vc_mapfile *m, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    return vc_mapfile_open(path, m);
}

static voce_status read_vocab(const char *dir, whisper_facts *f, vc_family_plan *p)
{
    char path[1100], path2[1100];
    vc_mapfile a, b;
    vc_bpe *bpe = NULL;
    voce_status st;
    if (vc_whisper_exists(dir, "tokenizer.json")) {
        if ((st = map_file(dir, "tokenizer.json", &a, path, sizeof path))) return st;
        st = vc_bpe_load_hf_tokenizer(a.data, a.size, &bpe);
        vc_mapfile_close(&a);
    } else if (vc_whisper_exists(dir, "vocab.json") && vc_whisper_exists(dir, "merges.txt")) {
        if ((st = map_file(dir, "vocab.json", &a, path, sizeof path))) return st;
        if ((st = map_file(dir, "merges.txt", &b, path2, sizeof path2))) {
            vc_mapfile_close(&a);
            return st;
        }
        st = vc_bpe_load_hf_vocab(a.data, a.size, b.data, b.size, &bpe);
        vc_mapfile_close(&a);
        vc_mapfile_close(&b);
    } else {
        return vc_error(VOCE_ERR_NOT_FOUND, "%s: a Hugging Face Whisper export needs tokenizer.json, or "
                        "vocab.json and merges.txt", dir);
    }
    if (st) return vc_error_prefix(st, "%s: ", path);
    return vc_whisper_vocab(bpe, f, p, path);
}

/* "past_key_values.<l>.decoder.key:present.<l>.decoder.key,..." for every layer. */
static const char *state_pairs(vc_family_plan *p, int64_t layers)
{
    size_t cap = (size_t)layers * 160 + 1, n = 0;
    char *s = vc_family_keep(p, malloc(cap));
    if (!s) return NULL;
    s[0] = 0;
    for (int64_t l = 0; l < layers; l++)
        for (int kv = 0; kv < 2; kv++) {
            const char *w = kv ? "value" : "key";
            n += (size_t)snprintf(s + n, cap - n, "%spast_key_values.%lld.decoder.%s:present.%lld.decoder.%s",
                                  n ? "," : "", (long long)l, w, (long long)l, w);
        }
    return s;
}

static voce_status add_methods(const char *onnx_dir, const whisper_facts *f, vc_family_plan *p,
                               vc_compile_options *x)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/encoder_model.onnx", onnx_dir);
    vc_whisper_add_method(x, p, path, "encoder");
    if (vc_whisper_exists(onnx_dir, "decoder_model_merged.onnx")) {
        snprintf(path, sizeof path, "%s/decoder_model_merged.onnx", onnx_dir);
        vc_whisper_add_method(x, p, path, "decoder");
    } else if (vc_whisper_exists(onnx_dir, "decoder_model.onnx") &&
               vc_whisper_exists(onnx_dir, "decoder_with_past_model.onnx")) {
        snprintf(path, sizeof path, "%s/decoder_with_past_model.onnx", onnx_dir);
        vc_whisper_add_method(x, p, path, "decoder");
        snprintf(path, sizeof path, "%s/decoder_model.onnx", onnx_dir);
        vc_whisper_add_method(x, p, path, "decoder_prompt");
    } else {
        return vc_error(VOCE_ERR_NOT_FOUND, "%s: a Hugging Face Whisper export needs decoder_model_merged.onnx, "
                        "or decoder_model.onnx and decoder_with_past_model.onnx", onnx_dir);
    }
    if (!(x->state[1] = state_pairs(p, f->dims[9]))) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    char *mel = p->text[p->n_text++];
    snprintf(mel, sizeof p->text[0], "1,%lld,%lld", (long long)f->dims[0], (long long)(2 * f->dims[1]));
    x->shape_name[x->n_shape] = "input_features";
    x->shape_value[x->n_shape] = mel;
    x->shape_method[x->n_shape++] = "encoder";
    return VOCE_OK;
}

voce_status vc_whisper_read_hf(const char *dir, whisper_facts *f, vc_family_plan *p, vc_compile_options *x)
{
    char onnx_dir[1100], where[1100];
    snprintf(onnx_dir, sizeof onnx_dir, "%s%s", dir, vc_whisper_exists(dir, "encoder_model.onnx") ? "" : "/onnx");
    voce_status st = read_config(dir, f);
    vc_json gen;
    int has_gen = 0;
    snprintf(where, sizeof where, "%s/generation_config.json", dir);
    if (!st && vc_whisper_exists(dir, "generation_config.json")) {
        st = read_generation(dir, f, p, &gen, where);
        has_gen = 1;
    }
    if (!st) st = read_vocab(dir, f, p);
    if (!st && has_gen) st = check_generation(&gen, f, where);
    if (has_gen) vc_json_free(&gen);
    if (st) return st;
    f->layout = "hf";
    return add_methods(onnx_dir, f, p, x);
}
