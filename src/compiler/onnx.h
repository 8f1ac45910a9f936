/* ONNX model import: decode a .onnx file (protobuf) into a vc_mgraph.
 *
 *   vc_onnx_model m;
 *   if (vc_onnx_load("model.onnx", &m) != VOCE_OK) { ... voce_last_error() ... }
 *   ... m.graph is the method graph; graph 0 is the main graph ...
 *   vc_onnx_free(&m);
 *
 * What the import guarantees to the passes that follow:
 *   - initializers and Constant nodes become VC_VAL_CONST values whose data is 64-byte
 *     aligned in m.graph.pool (external data is read from files next to the model);
 *   - graph inputs that are not initializers become VC_VAL_INPUT with dtype, rank,
 *     dims and dim_names from the declared type (rank -1 when undeclared);
 *   - graph outputs list the values they name; node outputs with an empty name get an
 *     anonymous value; optional inputs left out are -1;
 *   - If / Loop / Scan bodies become nested graphs (parent = enclosing graph) referenced
 *     by VC_ATTR_GRAPH attributes; names resolve through enclosing scopes;
 *   - older opsets are normalised to the newest input form, so kernels see one form:
 *     axes / split / pads / starts... attributes become constant inputs (Squeeze,
 *     Unsqueeze, Reduce*, Split, Slice, Pad, Clip, ...);
 *   - node->opset holds the opset version of the node's domain; node->op is NULL (the
 *     compiler resolves kernels); ops of other domains are named "domain:OpType".
 */
#ifndef VC_ONNX_H
#define VC_ONNX_H

#include "../runtime/graph.h"

typedef struct vc_onnx_opset {
    const char *domain; /* "" for the default domain */
    int64_t version;
} vc_onnx_opset;

typedef struct vc_onnx_model {
    vc_mgraph graph;
    int64_t ir_version;
    const char *producer;       /* producer_name + " " + producer_version */
    int n_opsets;
    vc_onnx_opset *opsets;
    int n_props;                /* metadata_props, in file order */
    const char **prop_keys;
    const char **prop_values;
} vc_onnx_model;

voce_status vc_onnx_load(const char *path, vc_onnx_model *out);

/* From memory; base_dir is where external data files are looked up (NULL: refuse
 * external data). */
voce_status vc_onnx_load_memory(const void *data, size_t size, const char *base_dir,
                                vc_onnx_model *out);

void vc_onnx_free(vc_onnx_model *m);

/* The value of metadata_props key, else NULL. */
const char *vc_onnx_prop(const vc_onnx_model *m, const char *key);

/* The same read as a decimal integer in [lo, hi]; otherwise an error naming `where` and
 * the key. */
voce_status vc_onnx_prop_int(const vc_onnx_model *m, const char *key, int64_t lo, int64_t hi, int64_t *out,
                             const char *where);

#endif
