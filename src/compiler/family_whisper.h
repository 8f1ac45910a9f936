/* The whisper family recipe's parts, one file per layout users download:
 * family_whisper.c (dispatch, voce's own export, the metadata), family_whisper_sherpa.c
 * (sherpa-onnx), family_whisper_hf.c (Hugging Face / optimum). Each reader gathers the
 * model's facts, the vocabulary blob and the files, methods, state pairs and fixed
 * shapes of the program. */
#ifndef VC_FAMILY_WHISPER_H
#define VC_FAMILY_WHISPER_H

#include "../models/whisper/tokens.h"
#include "../text/bpe.h"
#include "../text/json.h"
#include "family.h"

typedef struct whisper_facts {
    const char *layout;         /* "voce", "sherpa", "hf": how the runner binds the methods */
    int64_t dims[10];           /* in the order of vc_whisper_dim_keys */
    int multilingual;
    int n_languages;
    int64_t *align;             /* layer, head pairs (kept by the plan) */
    int n_align;
    vc_whisper_tokens tok;
    void *blob;                 /* the vocabulary with the specials (kept by the plan) */
    size_t blob_size;
} whisper_facts;

extern const char *const vc_whisper_dim_keys[10];

/* File helpers: dir/name exists; the path of the one file in dir whose name ends in
 * suffix (the first in name order when several do), else an empty string. */
int vc_whisper_exists(const char *dir, const char *name);
void vc_whisper_find_suffix(const char *dir, const char *suffix, char *path, size_t cap);

voce_status vc_whisper_parse_json(const char *path, vc_json *j);
voce_status vc_whisper_json_int(const vc_json *j, const vc_json_node *obj, const char *key, int64_t lo,
                                int64_t hi, int64_t *out, const char *where);

/* "alignment_heads": [[layer, head], ...] of root, if any, into f. */
voce_status vc_whisper_read_alignment(const vc_json *j, const vc_json_node *root, whisper_facts *f,
                                      vc_family_plan *p, const char *where);

/* Lay Whisper's specials out in bpe (taken: freed here), check the size against the
 * model's logits and keep the blob in f (and the plan). */
voce_status vc_whisper_vocab(vc_bpe *bpe, whisper_facts *f, vc_family_plan *p, const char *where);

/* A special token's id as the export states it must be where the vocabulary puts it. */
voce_status vc_whisper_check_token(const char *where, const char *name, int64_t stated, int32_t want);

/* Add one method from dir/file to x, the file's path kept in the plan. */
void vc_whisper_add_method(vc_compile_options *x, vc_family_plan *p, const char *path, const char *method);

voce_status vc_whisper_read_sherpa(const char *dir, whisper_facts *f, vc_family_plan *p, vc_compile_options *x);
voce_status vc_whisper_read_hf(const char *dir, whisper_facts *f, vc_family_plan *p, vc_compile_options *x);

#endif
