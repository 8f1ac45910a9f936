/* The NeMo transducer and CTC family recipes: `voce compile --family transducer DIR`
 * (TDT and RNN-T) and `--family ctc DIR`, where DIR holds one export as downloaded
 * (docs/transducer.md):
 *
 *   sherpa-onnx:  encoder.onnx (its metadata_props: vocab_size, normalize_type,
 *                 subsampling_factor, feat_dim), decoder.onnx, joiner.onnx, tokens.txt;
 *                 CTC: model.onnx, tokens.txt
 *   onnx-asr:     encoder-model.onnx, decoder_joint-model.onnx, vocab.txt, config.json
 *                 (model_type nemo-conformer-tdt|rnnt|ctc, features_size,
 *                 subsampling_factor, max_tokens_per_step); CTC: model.onnx, vocab.txt,
 *                 config.json
 *
 * (also *.int8.onnx when the float file is absent). Methods: `encoder`, `decoder` and
 * `joiner` (sherpa), `encoder` and `decoder_joint` (onnx-asr), or `ctc`. No file says
 * whether a transducer is TDT: the joint's output width does. Its last axis holds the
 * tokens with the blank and, for TDT, one logit per duration, which NeMo's TDT models
 * number 0 .. extra - 1. The blank is the last token ("<blk>"), as NeMo puts it. The
 * prediction network's LSTM state is left to the runner (it passes [L, 1, H] tensors by
 * their position), since the two layouts name it differently and onnx-asr's fused
 * decoder_joint must be run again from the same state for every frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/mapfile.h"
#include "../text/json.h"
#include "family.h"
#include "family_whisper.h"
#include "onnx.h"

#define MAX_TOKENS (1 << 20)
#define MAX_DURATIONS 64

typedef struct td_facts {
    const char *layout;     /* "sherpa", "onnx-asr" */
    const char *kind;       /* "tdt", "rnnt", "ctc" */
    const char *normalize;  /* front end: "per_feature" or "none" */
    int64_t n_tokens;       /* with the blank */
    int64_t feat_dim, subsampling, max_symbols, joint_width;
    int64_t *durations;     /* kept by the plan */
    int n_durations;
    const char **pieces;    /* kept by the plan */
} td_facts;

/* ---- vocabulary: "piece id" lines ---- */

static voce_status parse_line(const char *s, size_t n, const char *path, int line, size_t *piece_len, long *id)
{
    size_t sp = n;
    while (sp > 0 && s[sp - 1] != ' ') sp--;
    char num[24];
    size_t nl = n - sp;
    char *end = NULL;
    if (sp < 2 || nl == 0 || nl >= sizeof num) goto bad;
    memcpy(num, s + sp, nl);
    num[nl] = 0;
    *id = strtol(num, &end, 10);
    if (*end || *id < 0) goto bad;
    *piece_len = sp - 1;
    return VOCE_OK;
bad:
    return vc_error(VOCE_ERR_FORMAT, "%s: line %d is not \"piece id\"", path, line);
}

/* The pieces by id into f->pieces (one block: pointers, then the NUL-terminated text). */
static voce_status read_pieces(const char *path, td_facts *f, vc_family_plan *p)
{
    vc_mapfile m;
    voce_status st = vc_mapfile_open(path, &m);
    if (st) return st;
    const char *d = m.data;
    size_t n_lines = 0;
    for (size_t i = 0; i < m.size; i++) n_lines += d[i] == '\n';
    n_lines += m.size && d[m.size - 1] != '\n';
    char *block = n_lines && n_lines <= MAX_TOKENS
                      ? vc_family_keep(p, calloc(1, n_lines * sizeof(char *) + m.size + n_lines))
                      : NULL;
    if (!block) {
        vc_mapfile_close(&m);
        return n_lines ? vc_error(VOCE_ERR_FORMAT, "%s: %zu lines (at most %d tokens, and memory)", path,
                                  n_lines, MAX_TOKENS)
                       : vc_error(VOCE_ERR_FORMAT, "%s is empty", path);
    }
    const char **pieces = (const char **)(void *)block;
    char *text = block + n_lines * sizeof(char *);
    int line = 0;
    for (size_t i = 0; i < m.size && !st; line++) {
        size_t e = i;
        while (e < m.size && d[e] != '\n') e++;
        size_t len = e > i && d[e - 1] == '\r' ? e - i - 1 : e - i, plen = 0;
        long id = -1;
        st = parse_line(d + i, len, path, line + 1, &plen, &id);
        if (!st && ((size_t)id >= n_lines || pieces[id]))
            st = vc_error(VOCE_ERR_FORMAT, "%s: line %d: id %ld is repeated or outside 0 .. %zu", path,
                          line + 1, id, n_lines - 1);
        if (!st) {
            memcpy(text, d + i, plen);
            pieces[id] = text;
            text += plen + 1;
        }
        i = e + 1;
    }
    vc_mapfile_close(&m);
    if (st) return st;
    f->n_tokens = (int64_t)n_lines;
    f->pieces = pieces;
    if (strcmp(pieces[n_lines - 1], "<blk>"))
        return vc_error(VOCE_ERR_FORMAT, "%s: the last token is \"%s\", not the blank <blk> NeMo puts last", path,
                        pieces[n_lines - 1]);
    return VOCE_OK;
}

/* ---- the ONNX files ---- */

/* The declared size of the last axis of output `out` (the joint's or CTC's width). */
static voce_status output_width(const char *path, int out, int64_t *width)
{
    vc_onnx_model m;
    voce_status st = vc_onnx_load(path, &m);
    if (st) return st;
    const vc_graph *g = &m.graph.graphs[0];
    const vc_value *v = out < g->n_out ? &m.graph.values[g->out[out]] : NULL;
    *width = v && v->rank > 0 ? v->dims[v->rank - 1] : -1;
    vc_onnx_free(&m);
    if (*width < 1)
        return vc_error(VOCE_ERR_FORMAT, "%s: output %d does not declare its last axis (the token logits)", path,
                        out);
    return VOCE_OK;
}

/* sherpa's encoder (or CTC model) metadata. */
static voce_status read_sherpa_props(const char *path, td_facts *f)
{
    vc_onnx_model m;
    voce_status st = vc_onnx_load(path, &m);
    if (st) return st;
    int64_t vocab = 0;
    st = vc_onnx_prop_int(&m, "vocab_size", 1, MAX_TOKENS, &vocab, path);
    if (!st) st = vc_onnx_prop_int(&m, "subsampling_factor", 1, 64, &f->subsampling, path);
    if (!st && vc_onnx_prop(&m, "feat_dim")) st = vc_onnx_prop_int(&m, "feat_dim", 1, 1024, &f->feat_dim, path);
    const char *norm = vc_onnx_prop(&m, "normalize_type");
    f->normalize = norm && !strcmp(norm, "per_feature") ? "per_feature" : "none";
    if (!st && norm && *norm && strcmp(norm, "per_feature") && strcmp(norm, "None") && strcmp(norm, "none"))
        st = vc_error(VOCE_ERR_UNSUPPORTED, "%s: normalize_type '%s' is not one voce knows (per_feature, none)",
                      path, norm);
    const vc_graph *g = &m.graph.graphs[0];
    const vc_value *in = g->n_in ? &m.graph.values[g->in[0]] : NULL;
    if (!st && !f->feat_dim) f->feat_dim = in && in->rank == 3 ? in->dims[1] : -1;
    vc_onnx_free(&m);
    if (!st && f->feat_dim < 1) st = vc_error(VOCE_ERR_FORMAT, "%s: no feat_dim and no fixed feature axis", path);
    if (!st && vocab + 1 != f->n_tokens)
        st = vc_error(VOCE_ERR_FORMAT, "%s: vocab_size %lld but tokens.txt holds %lld tokens with the blank; "
                      "the tokens do not belong to this model", path, (long long)vocab, (long long)f->n_tokens);
    return st;
}

/* onnx-asr's config.json: what it says the model is, and its front end. */
static voce_status read_config(const char *dir, td_facts *f, const char **type)
{
    char where[1100];
    snprintf(where, sizeof where, "%s/config.json", dir);
    vc_json j;
    voce_status st = vc_whisper_parse_json(where, &j);
    if (st) return st;
    const vc_json_node *root = vc_json_root(&j), *mt = vc_json_member(&j, root, "model_type");
    size_t n = 0;
    const char *s = mt ? vc_json_string(&j, mt, &n) : NULL;
    static const char *const types[3] = {"nemo-conformer-tdt", "nemo-conformer-rnnt", "nemo-conformer-ctc"};
    *type = NULL;
    for (int i = 0; s && i < 3; i++)
        if (n == strlen(types[i]) && !memcmp(s, types[i], n)) *type = types[i] + 15;
    if (!*type)
        st = vc_error(VOCE_ERR_UNSUPPORTED, "%s: model_type is not one voce knows (nemo-conformer-tdt, "
                      "nemo-conformer-rnnt, nemo-conformer-ctc)", where);
    if (!st) st = vc_whisper_json_int(&j, root, "features_size", 1, 1024, &f->feat_dim, where);
    f->subsampling = 8;
    if (!st && vc_json_member(&j, root, "subsampling_factor"))
        st = vc_whisper_json_int(&j, root, "subsampling_factor", 1, 64, &f->subsampling, where);
    if (!st && vc_json_member(&j, root, "max_tokens_per_step"))
        st = vc_whisper_json_int(&j, root, "max_tokens_per_step", 1, 1000, &f->max_symbols, where);
    f->normalize = "per_feature";
    vc_json_free(&j);
    return st;
}

/* dir/name, else dir/<stem>.int8.onnx; empty when neither exists. */
static void find_model(const char *dir, const char *name, char *path, size_t cap)
{
    char alt[256];
    path[0] = 0;
    if (vc_whisper_exists(dir, name)) {
        snprintf(path, cap, "%s/%s", dir, name);
        return;
    }
    snprintf(alt, sizeof alt, "%.*s.int8.onnx", (int)(strlen(name) - 5), name);
    if (vc_whisper_exists(dir, alt)) snprintf(path, cap, "%s/%s", dir, alt);
}

static voce_status need(const char *path, const char *dir, const char *name, const char *what)
{
    if (path[0]) return VOCE_OK;
    return vc_error(VOCE_ERR_NOT_FOUND, "%s: %s needs %s", dir, what, name);
}

/* ---- the kind, from the joint's width ---- */

static voce_status set_kind(td_facts *f, const char *stated, const char *where)
{
    int64_t extra = f->joint_width - f->n_tokens;
    if (extra < 0 || extra > MAX_DURATIONS || (!strcmp(stated, "rnnt") && extra) ||
        (!strcmp(stated, "tdt") && !extra))
        return vc_error(VOCE_ERR_FORMAT, "%s: the joint gives %lld logits but the vocabulary has %lld tokens "
                        "with the blank (%s expects %s); the vocabulary does not belong to this model", where,
                        (long long)f->joint_width, (long long)f->n_tokens, stated,
                        !strcmp(stated, "rnnt") ? "as many" : "that many plus the durations");
    f->kind = extra ? "tdt" : "rnnt";
    f->n_durations = (int)extra;
    return VOCE_OK;
}

static voce_status read_transducer(const char *dir, int onnx_asr, td_facts *f, vc_family_plan *p,
                                   vc_compile_options *x)
{
    char enc[1100], dec[1100], joint[1100], tok[1100];
    const char *what = onnx_asr ? "an onnx-asr transducer export" : "a sherpa-onnx transducer export";
    const char *stated = "any";
    voce_status st;
    find_model(dir, onnx_asr ? "encoder-model.onnx" : "encoder.onnx", enc, sizeof enc);
    find_model(dir, onnx_asr ? "decoder_joint-model.onnx" : "decoder.onnx", dec, sizeof dec);
    find_model(dir, "joiner.onnx", joint, sizeof joint);
    snprintf(tok, sizeof tok, "%s/%s", dir, onnx_asr ? "vocab.txt" : "tokens.txt");
    if (!vc_whisper_exists(dir, onnx_asr ? "vocab.txt" : "tokens.txt")) tok[0] = 0;
    st = need(dec, dir, onnx_asr ? "decoder_joint-model.onnx" : "decoder.onnx", what);
    if (!st && !onnx_asr) st = need(joint, dir, "joiner.onnx", what);
    if (!st) st = need(tok, dir, onnx_asr ? "vocab.txt" : "tokens.txt", what);
    if (!st) st = read_pieces(tok, f, p);
    if (!st && onnx_asr) st = read_config(dir, f, &stated);
    if (!st && !strcmp(stated, "ctc"))
        st = vc_error(VOCE_ERR_INVALID_ARG, "%s/config.json: model_type says CTC; compile it with --family ctc", dir);
    if (!st && !onnx_asr) st = read_sherpa_props(enc, f);
    if (!st) st = output_width(onnx_asr ? dec : joint, 0, &f->joint_width);
    if (!st) st = set_kind(f, stated, onnx_asr ? dec : joint);
    if (st) return st;
    f->layout = onnx_asr ? "onnx-asr" : "sherpa";
    vc_whisper_add_method(x, p, enc, "encoder");
    vc_whisper_add_method(x, p, dec, onnx_asr ? "decoder_joint" : "decoder");
    if (!onnx_asr) vc_whisper_add_method(x, p, joint, "joiner");
    return VOCE_OK;
}

static voce_status read_ctc(const char *dir, int onnx_asr, td_facts *f, vc_family_plan *p, vc_compile_options *x)
{
    char model[1100], tok[1100];
    const char *stated = "ctc", *tname = onnx_asr ? "vocab.txt" : "tokens.txt";
    find_model(dir, "model.onnx", model, sizeof model);
    snprintf(tok, sizeof tok, "%s/%s", dir, tname);
    if (!vc_whisper_exists(dir, tname)) tok[0] = 0;
    voce_status st = need(tok, dir, tname, "a CTC export");
    if (!st) st = read_pieces(tok, f, p);
    if (!st && onnx_asr) st = read_config(dir, f, &stated);
    if (!st && strcmp(stated, "ctc"))
        st = vc_error(VOCE_ERR_INVALID_ARG, "%s/config.json: model_type says %s, a transducer; compile it with "
                      "--family transducer", dir, stated);
    if (!st && !onnx_asr) st = read_sherpa_props(model, f);
    if (!st) st = output_width(model, 0, &f->joint_width);
    if (!st && f->joint_width != f->n_tokens)
        st = vc_error(VOCE_ERR_FORMAT, "%s: the model gives %lld log-probabilities but the vocabulary has %lld "
                      "tokens with the blank; the vocabulary does not belong to this model", model,
                      (long long)f->joint_width, (long long)f->n_tokens);
    if (st) return st;
    f->layout = onnx_asr ? "onnx-asr" : "sherpa";
    f->kind = "ctc";
    vc_whisper_add_method(x, p, model, "ctc");
    return VOCE_OK;
}

static void add_metadata(vc_compile_options *x, const td_facts *f)
{
    vc_family_string(x, "voce.family", "transducer");
    vc_family_string(x, "transducer.layout", f->layout);
    vc_family_string(x, "transducer.kind", f->kind);
    vc_family_int(x, "transducer.blank", f->n_tokens - 1);
    vc_family_int(x, "transducer.vocab_size", f->n_tokens - 1);
    if (f->n_durations) vc_family_ints(x, "transducer.durations", f->durations, f->n_durations);
    vc_family_int(x, "transducer.subsampling_factor", f->subsampling);
    x->typed_meta[x->n_typed_meta++] =
        (vc_meta){.key = "transducer.window_stride", .type = VOCE_META_FLOAT, .f = 0.01};
    vc_family_int(x, "transducer.max_symbols", f->max_symbols);
    vc_family_int(x, "transducer.feat_dim", f->feat_dim);
    vc_family_strings(x, "transducer.pieces", f->pieces, (int)f->n_tokens);
    /* NeMo's AudioToMelSpectrogramPreprocessor: the front end's defaults for "nemo";
     * neither layout records pad_to (0 for Parakeet; older models used 16, which only
     * adds silent frames beyond the length the encoder is given) */
    vc_family_string(x, "features.kind", "nemo");
    vc_family_int(x, "features.n_mels", f->feat_dim);
    vc_family_string(x, "features.normalize", f->normalize);
    vc_family_int(x, "features.pad_to", 0);
}

static voce_status expand(const vc_compile_options *o, vc_family_plan *p, vc_compile_options *x, int ctc)
{
    const char *fam = ctc ? "ctc" : "transducer";
    if (o->n_inputs != 1)
        return vc_error(VOCE_ERR_INVALID_ARG, "--family %s takes one directory (an export as downloaded), %d "
                        "inputs given", fam, o->n_inputs);
    const char *dir = o->onnx_path[0];
    td_facts f;
    memset(&f, 0, sizeof f);
    f.max_symbols = 10;
    char enc[1100], model[1100];
    int onnx_asr = vc_whisper_exists(dir, "config.json") &&
                   (vc_whisper_exists(dir, "vocab.txt") || !vc_whisper_exists(dir, "tokens.txt"));
    find_model(dir, onnx_asr ? "encoder-model.onnx" : "encoder.onnx", enc, sizeof enc);
    find_model(dir, "model.onnx", model, sizeof model);
    x->n_inputs = 0;
    voce_status st;
    if (ctc && enc[0])
        return vc_error(VOCE_ERR_INVALID_ARG, "%s holds a transducer (an encoder file); compile it with --family "
                        "transducer", dir);
    if (!ctc && !enc[0] && model[0])
        return vc_error(VOCE_ERR_INVALID_ARG, "%s holds a CTC model (model.onnx, no encoder); compile it with "
                        "--family ctc", dir);
    if (ctc && model[0]) st = read_ctc(dir, onnx_asr, &f, p, x);
    else if (!ctc && enc[0]) st = read_transducer(dir, onnx_asr, &f, p, x);
    else
        return vc_error(VOCE_ERR_NOT_FOUND, "%s holds no NeMo %s export voce knows: expected sherpa-onnx's (%s, "
                        "tokens.txt) or onnx-asr's (%s, vocab.txt, config.json); see docs/transducer.md", dir,
                        fam, ctc ? "model.onnx" : "encoder.onnx, decoder.onnx, joiner.onnx",
                        ctc ? "model.onnx" : "encoder-model.onnx, decoder_joint-model.onnx");
    if (st) return st;
    if (f.n_durations) {
        f.durations = vc_family_keep(p, malloc(sizeof(int64_t) * (size_t)f.n_durations));
        if (!f.durations) return vc_error(VOCE_ERR_NOMEM, "out of memory");
        for (int i = 0; i < f.n_durations; i++) f.durations[i] = i;
    }
    add_metadata(x, &f);
    return VOCE_OK;
}

voce_status vc_family_transducer(const vc_compile_options *o, vc_family_plan *p, vc_compile_options *x)
{
    return expand(o, p, x, 0);
}

voce_status vc_family_ctc(const vc_compile_options *o, vc_family_plan *p, vc_compile_options *x)
{
    return expand(o, p, x, 1);
}
