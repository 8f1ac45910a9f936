/* The whisper family recipe: `voce compile --family whisper DIR`, where DIR holds one
 * export as downloaded or written, recognised by its files:
 *
 *   voce layout (scripts/export/whisper.py): config.json with "layout": "voce-whisper",
 *       encoder.onnx, decoder.onnx, the vocabulary file(s) config.json names.
 *
 * (sherpa-onnx and Hugging Face layouts: see docs/whisper.md for what is supported.)
 *
 * The program gets methods `encoder` and `decoder` and the metadata the runner reads
 * (docs/format.md, "Family whisper"): the model's sizes, the vocabulary with its special
 * tokens as one blob, the alignment heads and the front end. The special tokens are laid
 * out from the vocabulary and the language count as openai-whisper does, and checked
 * against the ids the export states: a vocabulary that does not belong to the model is
 * refused here, not discovered as gibberish at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/mapfile.h"
#include "../models/whisper/tokens.h"
#include "../text/bpe.h"
#include "../text/json.h"
#include "compiler.h"
#include "family.h"

/* What the recipe gathers before writing the options. */
typedef struct whisper_facts {
    int64_t dims[10];           /* in the order of dim_keys */
    int multilingual;
    int n_languages;
    int64_t *align;             /* layer, head pairs */
    int n_align;
    vc_whisper_tokens tok;
} whisper_facts;

static const char *const dim_keys[10] = {
    "n_mels", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
    "n_vocab", "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer"};

static int exists_in(const char *dir, const char *name)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static voce_status parse_json_file(const char *path, vc_json *j)
{
    vc_mapfile m;
    voce_status st = vc_mapfile_open(path, &m);
    if (st) return st;
    st = vc_json_parse(m.data, m.size, path, j);
    vc_mapfile_close(&m);
    return st;
}

static voce_status json_int(const vc_json *j, const vc_json_node *obj, const char *key, int64_t lo,
                            int64_t hi, int64_t *out, const char *where)
{
    const vc_json_node *n = vc_json_member(j, obj, key);
    if (!n || !vc_json_int(j, n, lo, hi, out))
        return vc_error(VOCE_ERR_FORMAT, "%s: '%s' is missing or not an integer in [%lld, %lld]", where,
                        key, (long long)lo, (long long)hi);
    return VOCE_OK;
}

static voce_status read_alignment(const vc_json *j, const vc_json_node *root, whisper_facts *f,
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
        voce_status st = json_int(j, tok, names[i], 0, VC_BPE_MAX_ID, &v, where);
        if (st) return st;
        if (v != want[i])
            return vc_error(VOCE_ERR_FORMAT, "%s: token '%s' is %lld but the vocabulary puts it at %d; "
                            "the vocabulary does not belong to this model", where, names[i],
                            (long long)v, (int)want[i]);
    }
    return VOCE_OK;
}

/* The vocabulary config.json names, with Whisper's specials, as a blob. */
static voce_status read_vocab(const vc_json *j, const vc_json_node *root, const char *dir,
                              whisper_facts *f, void **blob, size_t *size)
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
    st = vc_whisper_add_specials(bpe, f->n_languages, &f->tok);
    if (!st && f->tok.n_vocab < f->dims[5])
        st = vc_error(VOCE_ERR_FORMAT, "%s: the vocabulary has %d tokens with Whisper's specials, the "
                      "model's logits %lld", path, (int)f->tok.n_vocab, (long long)f->dims[5]);
    if (!st) st = vc_bpe_save_blob(bpe, blob, size);
    vc_bpe_free(bpe);
    return st;
}

static voce_status read_voce_layout(const char *dir, whisper_facts *f, vc_family_plan *p,
                                    void **blob, size_t *size)
{
    char where[1100];
    snprintf(where, sizeof where, "%s/config.json", dir);
    vc_json j;
    voce_status st = parse_json_file(where, &j);
    if (st) return st;
    const vc_json_node *root = vc_json_root(&j), *dims = vc_json_member(&j, root, "dims");
    if (!dims) st = vc_error(VOCE_ERR_FORMAT, "%s: no 'dims'", where);
    for (int k = 0; k < 10 && !st; k++) st = json_int(&j, dims, dim_keys[k], 1, 1 << 20, &f->dims[k], where);
    int64_t nl = 0;
    if (!st) st = json_int(&j, root, "num_languages", 0, VC_WHISPER_MAX_LANGUAGES, &nl, where);
    const vc_json_node *ml = vc_json_member(&j, root, "multilingual");
    f->n_languages = (int)nl;
    f->multilingual = ml && ml->type == VC_JSON_TRUE;
    if (!st) st = read_alignment(&j, root, f, p, where);
    if (!st) st = read_vocab(&j, root, dir, f, blob, size);
    if (!st) st = check_tokens(&j, root, &f->tok, where);
    vc_json_free(&j);
    return st;
}

static void add_metadata(vc_compile_options *x, const whisper_facts *f, const void *blob, size_t size)
{
    static const char *const keys[10] = {
        "whisper.n_mels", "whisper.n_audio_ctx", "whisper.n_audio_state", "whisper.n_audio_head",
        "whisper.n_audio_layer", "whisper.n_vocab", "whisper.n_text_ctx", "whisper.n_text_state",
        "whisper.n_text_head", "whisper.n_text_layer"};
    vc_family_string(x, "voce.family", "whisper");
    vc_family_string(x, "whisper.layout", "voce");
    for (int k = 0; k < 10; k++) vc_family_int(x, keys[k], f->dims[k]);
    vc_family_int(x, "whisper.multilingual", f->multilingual);
    vc_family_int(x, "whisper.n_languages", f->n_languages);
    vc_family_ints(x, "whisper.alignment_heads", f->align, 2 * f->n_align);
    vc_family_blob(x, "whisper.vocab", blob, size);
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
    void *blob = NULL;
    size_t size = 0;
    voce_status st;
    if (exists_in(dir, "config.json") && exists_in(dir, "encoder.onnx") && exists_in(dir, "decoder.onnx"))
        st = read_voce_layout(dir, &f, p, &blob, &size);
    else
        return vc_error(VOCE_ERR_NOT_FOUND, "%s holds no Whisper export voce knows: expected config.json, "
                        "encoder.onnx and decoder.onnx (scripts/export/whisper.py)", dir);
    if (!st && !vc_family_keep(p, blob)) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
    else if (st) free(blob);
    if (st) return st;
    x->n_inputs = 0;
    static const char *const methods[2] = {"encoder", "decoder"};
    for (int m = 0; m < 2; m++) {
        snprintf(p->paths[m], sizeof p->paths[m], "%s/%s.onnx", dir, methods[m]);
        x->onnx_path[x->n_inputs] = p->paths[m];
        x->method[x->n_inputs++] = methods[m];
    }
    add_metadata(x, &f, blob, size);
    return VOCE_OK;
}
