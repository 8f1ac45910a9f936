/* The compiler: ONNX files in, one .voce program out.
 *
 *   vc_compile_options o = vc_compile_options_default();
 *   vc_compile_add_input(&o, "silero_vad.onnx", NULL);     // method name: "main"
 *   vc_compile_fix(&o, "sr", "16000");                      // specialise an input
 *   vc_compile(&o, "silero.voce", &report);                 // writes atomically
 *   vc_compile_options_free(&o);
 *
 * Passes, in order, per method: kernel lookup; specialisation (--fix inputs become
 * constants, --shape pins input dims); a forward sweep that infers static shapes, folds
 * nodes whose inputs are constant (and Shape/Size of statically shaped values), and
 * inlines If nodes whose condition folded; dead-code elimination; compaction (dead
 * values, constants and graphs are dropped); lifetimes and, where every shape is
 * static, an arena plan; with --quant, weight quantization runs before the plan. A
 * node left without a kernel after that is an error naming
 * op type, node and opset.
 */
#ifndef VC_COMPILER_H
#define VC_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#include "../format/format.h"
#include "../runtime/graph.h"

#define VC_COMPILE_MAX 64
#define VC_COMPILER_VERSION "0.1.0"

/* Weight quantization (voce compile --quant; docs/quantization.md). */
typedef struct vc_quant_options {
    const char *mode;                   /* "w8", "w4", "8da8w", "8da4w"; NULL: none */
    int group_size;                     /* 32, 64 or 128; 0: 32 */
    int n_skip;
    const char *skip[VC_COMPILE_MAX];   /* globs on node or weight names: left f32 */
} vc_quant_options;

typedef struct vc_compile_options {
    int n_inputs;
    const char *onnx_path[VC_COMPILE_MAX];
    const char *method[VC_COMPILE_MAX];     /* NULL: "main" for one file, else file stem */
    int n_fix;
    const char *fix_name[VC_COMPILE_MAX];
    const char *fix_value[VC_COMPILE_MAX];  /* "16000" or "1,2,3" */
    const char *fix_method[VC_COMPILE_MAX]; /* only this method; NULL: every method */
    int n_shape;
    const char *shape_name[VC_COMPILE_MAX];
    const char *shape_value[VC_COMPILE_MAX]; /* "1,576" */
    const char *shape_method[VC_COMPILE_MAX];
    int n_meta;
    const char *meta_key[VC_COMPILE_MAX];
    const char *meta_value[VC_COMPILE_MAX];  /* typed by its look: int, float, else string */
    int n_typed_meta;                        /* typed entries (arrays), written before meta_key */
    vc_meta typed_meta[VC_COMPILE_MAX];
    const char *family;                      /* a model-family recipe, e.g. "silero-vad" */
    /* Method state pairs "in:out,..." per input (src/runtime/state.h), for models whose
     * ONNX file does not say (a recipe knows them); NULL: the file's voce.state, if any. */
    const char *state[VC_COMPILE_MAX];
    int no_fold;                             /* skip constant folding (for tests) */
    vc_quant_options quant;
} vc_compile_options;

typedef struct vc_compile_report {
    int n_methods;
    struct {
        char name[128];
        int nodes_in;           /* nodes in the ONNX graph (all graphs, Constant excluded) */
        int nodes_out;          /* nodes left after the passes */
        int folded;             /* nodes folded into constants */
        int inlined_ifs;
        uint64_t const_bytes;
        uint64_t arena_bytes;   /* static plan of graph 0, 0 if dynamic */
    } m[VC_COMPILE_MAX];
    uint64_t file_bytes;
    int quant_layers;           /* layers quantized (--quant), all methods */
    int quant_f32;              /* candidate layers left f32, with reasons in the metadata */
} vc_compile_report;

vc_compile_options vc_compile_options_default(void);

/* Model-family recipes: they inspect the model and fill in the methods, specialisations
 * and metadata the family's runner needs (see docs/format.md, "Family metadata").
 * The plan holds the strings the expanded options point to. */
#define VC_FAMILY_OWNED 16
typedef struct vc_family_plan {
    char text[VC_COMPILE_MAX][64];
    int n_text;
    int64_t ints[4][8];         /* integer-array metadata */
    const char *strings[4][8];  /* string-array metadata */
    char paths[8][1024];        /* model files found in a directory */
    int n_owned;
    void *owned[VC_FAMILY_OWNED]; /* malloc'd blocks (blobs, arrays), vc_family_plan_free */
} vc_family_plan;

void vc_family_plan_free(vc_family_plan *plan);

/* The families known, comma-separated, for help texts. */
const char *vc_family_names(void);

/* Expand o (whose family is set) into *out, a copy with the family's choices added. */
voce_status vc_family_expand(const vc_compile_options *o, vc_family_plan *plan, vc_compile_options *out);

/* Compile and write out_path (through a temporary file; nothing is written on error).
 * report may be NULL. */
voce_status vc_compile(const vc_compile_options *o, const char *out_path, vc_compile_report *report);

/* The passes on one imported method graph (used by vc_compile and by tests). */
voce_status vc_compile_method(vc_mgraph *g, const vc_compile_options *o, vc_compile_report *report, int slot);

#endif
