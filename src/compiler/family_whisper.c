/* The whisper family recipe: `voce compile --family whisper DIR`, where DIR holds one
 * export as downloaded or written, recognised by its files (docs/whisper.md, "Import"):
 *
 *   voce layout (scripts/export/whisper.py): config.json with "layout": "voce-whisper",
 *       encoder.onnx, decoder.onnx, the vocabulary file(s) config.json names;
 *   sherpa-onnx: <name>-encoder.onnx, <name>-decoder.onnx, <name>-tokens.txt
 *       (family_whisper_sherpa.c);
 *   Hugging Face / optimum: encoder_model.onnx, decoder_model_merged.onnx or
 *       decoder_model.onnx + decoder_with_past_model.onnx, config.json, the tokenizer
 *       files (family_whisper_hf.c).
 *
 * The program gets methods `encoder` and `decoder` (and, for the HF pair of decoders,
 * `decoder_prompt`) and the metadata the runner reads (docs/whisper.md, "Import"):
 * the layout, the model's sizes, the vocabulary with its special tokens as
 * one blob, the alignment heads and the front end. The special tokens are laid out from
 * the vocabulary and the language count as openai-whisper does, and checked against the
 * ids the export states: a vocabulary that does not belong to the model is refused
 * here, not discovered as gibberish at run time. */
#include "family_whisper.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/mapfile.h"
#include "compiler.h"

const char *const vc_whisper_dim_keys[10] = {
    "n_mels", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
    "n_vocab", "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer"};

int vc_whisper_exists(const char *dir, const char *name)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

void vc_whisper_find_suffix(const char *dir, const char *suffix, char *path, size_t cap)
{
    path[0] = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    size_t ns = strlen(suffix);
    char best[512] = "";
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n > ns && n < sizeof best && !strcmp(e->d_name + n - ns, suffix) &&
            (!best[0] || strcmp(e->d_name, best) < 0))
            memcpy(best, e->d_name, n + 1);
    }
    closedir(d);
    if (best[0]) snprintf(path, cap, "%s/%s", dir, best);
}

voce_status vc_whisper_parse_json(const char *path, vc_json *j)
{
    vc_mapfile m;
    voce_status st = vc_mapfile_open(path, &m);
    if (st) return st;
    st = vc_json_parse(m.data, m.size, path, j);
    vc_mapfile_close(&m);
    return st;
}

voce_status vc_whisper_json_int(const vc_json *j, const vc_json_node *obj, const char *key, int64_t lo,
                                int64_t hi, int64_t *out, const char *where)
{
    const vc_json_node *n = vc_json_member(j, obj, key);
    if (!n || !vc_json_int(j, n, lo, hi, out))
        return vc_error(VOCE_ERR_FORMAT, "%s: '%s' is missing or not an integer in [%lld, %lld]", where,
                        key, (long long)lo, (long long)hi);
    return VOCE_OK;
}

voce_status vc_whisper_check_token(const char *where, const char *name, int64_t stated, int32_t want)
{
    if (stated == want) return VOCE_OK;
    return vc_error(VOCE_ERR_FORMAT, "%s: token '%s' is %lld but the vocabulary puts it at %d; "
                    "the vocabulary does not belong to this model", where, name, (long long)stated, (int)want);
}

voce_status vc_whisper_vocab(vc_bpe *bpe, whisper_facts *f, vc_family_plan *p, const char *where)
{
    voce_status st = vc_whisper_add_specials(bpe, f->n_languages, &f->tok);
    if (!st && f->tok.n_vocab < f->dims[5])
        st = vc_error(VOCE_ERR_FORMAT, "%s: the vocabulary has %d tokens with Whisper's specials, the "
                      "model's logits %lld", where, (int)f->tok.n_vocab, (long long)f->dims[5]);
    if (!st) st = vc_bpe_save_blob(bpe, &f->blob, &f->blob_size);
    vc_bpe_free(bpe);
    if (!st && !vc_family_keep(p, f->blob)) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    return st;
}

void vc_whisper_add_method(vc_compile_options *x, vc_family_plan *p, const char *path, const char *method)
{
    char *dst = p->paths[x->n_inputs];
    snprintf(dst, sizeof p->paths[0], "%s", path);
    x->onnx_path[x->n_inputs] = dst;
    x->method[x->n_inputs++] = method;
}

voce_status vc_whisper_read_alignment(const vc_json *j, const vc_json_node *root, whisper_facts *f,
                                  vc_family_plan *p, const char *where)
{
    const vc_json_node *a = vc_json_member(j, root, "alignment_heads");
    int n = 0;
    for (const vc_json_node *e = a ? vc_json_child(j, a) : NULL; e; e = vc_json_next(j, e)) n++;
    f->align = vc_family_keep(p, malloc(sizeof(int64_t) * (size_t)(2 * n + 1)));
    if (!f->align) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    f->n_align = 0;
    for (const vc_json_node *e = a ? vc_json_child(j, a) : NULL; e; e = vc_json_next(j, e)) {
        const vc_json_node *l = vc_json_child(j, e), *h = l ? vc_json_next(j, l) : NULL;
        int64_t *pair = f->align + 2 * f->n_align;
        if (!h || !vc_json_int(j, l, 0, f->dims[9] - 1, &pair[0]) ||
            !vc_json_int(j, h, 0, f->dims[8] - 1, &pair[1]))
            return vc_error(VOCE_ERR_FORMAT, "%s: alignment head %d is not [layer, head] within "
                            "the decoder's %lld layers and %lld heads", where, f->n_align,
                            (long long)f->dims[9], (long long)f->dims[8]);
        f->n_align++;
    }
    return VOCE_OK;
}

/* The special tokens the export states must be where openai-whisper's layout puts them. */
static voce_status check_tokens(const vc_json *j, const vc_json_node *root, const vc_whisper_tokens *t,
                                const char *where)
{
    const vc_json_node *tok = vc_json_member(j, root, "tokens");
    static const char *const names[] = {"eot", "sot", "translate", "transcribe", "sot_lm",
                                        "sot_prev", "no_speech", "no_timestamps", "timestamp_begin"};
    const int32_t want[] = {t->eot, t->sot, t->translate, t->transcribe, t->sot_lm, t->sot_prev,
                            t->no_speech, t->no_timestamps, t->timestamp_begin};
    for (size_t i = 0; tok && i < sizeof names / sizeof names[0]; i++) {
        int64_t v;
        voce_status st = vc_whisper_json_int(j, tok, names[i], 0, VC_BPE_MAX_ID, &v, where);
        if (!st) st = vc_whisper_check_token(where, names[i], v, want[i]);
        if (st) return st;
    }
    return VOCE_OK;
}

/* The vocabulary config.json names, with Whisper's specials, as a blob. */
static voce_status read_vocab(const vc_json *j, const vc_json_node *root, const char *dir,
                              whisper_facts *f, vc_family_plan *p)
{
    const vc_json_node *v = vc_json_member(j, root, "vocab");
    const vc_json_node *first = v ? vc_json_child(j, v) : NULL;
    size_t name_len = 0;
    const char *name = first ? vc_json_string(j, first, &name_len) : NULL;
    if (!name) return vc_error(VOCE_ERR_FORMAT, "%s/config.json: 'vocab' names no vocabulary file", dir);
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    vc_mapfile m;
    voce_status st = vc_mapfile_open(path, &m);
    if (st) return st;
    vc_bpe *bpe = NULL;
    if (name_len > 9 && !strcmp(name + name_len - 9, ".tiktoken")) st = vc_bpe_load_tiktoken(m.data, m.size, &bpe);
    else st = vc_bpe_load_hf_tokenizer(m.data, m.size, &bpe);
    vc_mapfile_close(&m);
    if (st) return vc_error_prefix(st, "%s: ", path);
    return vc_whisper_vocab(bpe, f, p, path);
}

static voce_status read_voce_layout(const char *dir, whisper_facts *f, vc_family_plan *p, vc_compile_options *x)
{
    char where[1100];
    snprintf(where, sizeof where, "%s/config.json", dir);
    vc_json j;
    voce_status st = vc_whisper_parse_json(where, &j);
    if (st) return st;
    const vc_json_node *root = vc_json_root(&j), *dims = vc_json_member(&j, root, "dims");
    if (!dims) st = vc_error(VOCE_ERR_FORMAT, "%s: no 'dims'", where);
    for (int k = 0; k < 10 && !st; k++)
        st = vc_whisper_json_int(&j, dims, vc_whisper_dim_keys[k], 1, 1 << 20, &f->dims[k], where);
    int64_t nl = 0;
    if (!st) st = vc_whisper_json_int(&j, root, "num_languages", 0, VC_WHISPER_MAX_LANGUAGES, &nl, where);
    const vc_json_node *ml = vc_json_member(&j, root, "multilingual");
    f->n_languages = (int)nl;
    f->multilingual = ml && ml->type == VC_JSON_TRUE;
    if (!st) st = vc_whisper_read_alignment(&j, root, f, p, where);
    if (!st) st = read_vocab(&j, root, dir, f, p);
    if (!st) st = check_tokens(&j, root, &f->tok, where);
    vc_json_free(&j);
    if (st) return st;
    f->layout = "voce";
    static const char *const methods[2] = {"encoder", "decoder"};
    for (int m = 0; m < 2; m++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/%s.onnx", dir, methods[m]);
        vc_whisper_add_method(x, p, path, methods[m]);
    }
    return VOCE_OK;
}

static void add_metadata(vc_compile_options *x, const whisper_facts *f)
{
    static const char *const keys[10] = {
        "whisper.n_mels", "whisper.n_audio_ctx", "whisper.n_audio_state", "whisper.n_audio_head",
        "whisper.n_audio_layer", "whisper.n_vocab", "whisper.n_text_ctx", "whisper.n_text_state",
        "whisper.n_text_head", "whisper.n_text_layer"};
    vc_family_string(x, "voce.family", "whisper");
    vc_family_string(x, "whisper.layout", f->layout);
    for (int k = 0; k < 10; k++) vc_family_int(x, keys[k], f->dims[k]);
    vc_family_int(x, "whisper.multilingual", f->multilingual);
    vc_family_int(x, "whisper.n_languages", f->n_languages);
    vc_family_ints(x, "whisper.alignment_heads", f->align, 2 * f->n_align);
    vc_family_blob(x, "whisper.vocab", f->blob, f->blob_size);
    vc_family_string(x, "features.kind", "whisper");
    vc_family_int(x, "features.n_mels", f->dims[0]);
}

voce_status vc_family_whisper(const vc_compile_options *o, vc_family_plan *p, vc_compile_options *x)
{
    if (o->n_inputs != 1)
        return vc_error(VOCE_ERR_INVALID_ARG, "--family whisper takes one directory (an export as "
                        "downloaded), %d inputs given", o->n_inputs);
    const char *dir = o->onnx_path[0];
    whisper_facts f;
    memset(&f, 0, sizeof f);
    char sherpa[1100];
    vc_whisper_find_suffix(dir, "-encoder.onnx", sherpa, sizeof sherpa);
    if (!sherpa[0]) vc_whisper_find_suffix(dir, "-encoder.int8.onnx", sherpa, sizeof sherpa);
    x->n_inputs = 0;
    voce_status st;
    if (vc_whisper_exists(dir, "config.json") && vc_whisper_exists(dir, "encoder.onnx") &&
        vc_whisper_exists(dir, "decoder.onnx"))
        st = read_voce_layout(dir, &f, p, x);
    else if (vc_whisper_exists(dir, "encoder_model.onnx") || vc_whisper_exists(dir, "onnx/encoder_model.onnx"))
        st = vc_whisper_read_hf(dir, &f, p, x);
    else if (sherpa[0])
        st = vc_whisper_read_sherpa(dir, &f, p, x);
    else
        return vc_error(VOCE_ERR_NOT_FOUND, "%s holds no Whisper export voce knows: expected voce's "
                        "(config.json, encoder.onnx, decoder.onnx), Hugging Face's (encoder_model.onnx, "
                        "decoder_model*.onnx, config.json, tokenizer) or sherpa-onnx's (*-encoder.onnx, "
                        "*-decoder.onnx, *-tokens.txt); see docs/whisper.md", dir);
    if (st) return st;
    if (!f.align) f.align = vc_family_keep(p, calloc(1, sizeof(int64_t)));
    if (!f.align) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    add_metadata(x, &f);
    return VOCE_OK;
}
