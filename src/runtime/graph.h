/* The in-memory form of a method: values, nodes, attributes and nested graphs.
 *
 * The compiler builds it from ONNX and rewrites it; the format writer serialises it;
 * the reader rebuilds it from a .voce file for the executor. One structure serves all
 * three so that a kernel can run at compile time (constant folding) exactly as it runs
 * at run time.
 *
 * Values are numbered per method and shared by all graphs of that method: graph 0 is
 * the method's body, further graphs are bodies of If / Loop attributes. A node of a
 * nested graph may read any value of an enclosing graph (ONNX outer-scope capture).
 */
#ifndef VC_GRAPH_H
#define VC_GRAPH_H

#include <stdint.h>

#include "../core/pool.h"
#include "../core/tensor.h"

typedef struct vc_op vc_op;

typedef enum vc_attr_type {
    VC_ATTR_INT = 1,
    VC_ATTR_FLOAT = 2,
    VC_ATTR_STRING = 3,
    VC_ATTR_INTS = 4,
    VC_ATTR_FLOATS = 5,
    VC_ATTR_STRINGS = 6,
    VC_ATTR_TENSOR = 7,
    VC_ATTR_GRAPH = 8
} vc_attr_type;

typedef struct vc_attr {
    const char *name;
    vc_attr_type type;
    int64_t i;                  /* INT */
    float f;                    /* FLOAT */
    const char *s;              /* STRING, NUL-terminated */
    int64_t count;              /* INTS, FLOATS, STRINGS */
    const int64_t *ints;
    const float *floats;
    const char *const *strings;
    vc_tensor t;                /* TENSOR: static shape, data owned by the method */
    int graph;                  /* GRAPH: index into vc_mgraph.graphs */
} vc_attr;

typedef enum vc_value_kind {
    VC_VAL_INPUT = 1,   /* formal input of its graph */
    VC_VAL_CONST = 2,   /* constant data */
    VC_VAL_NODE = 3     /* produced by a node of its graph */
} vc_value_kind;

typedef struct vc_value {
    const char *name;
    vc_value_kind kind;
    int graph;                              /* graph that defines the value */
    voce_dtype dtype;                       /* UNDEFINED when not known (compile time) */
    int rank;                               /* -1 when not known */
    int64_t dims[VOCE_MAX_RANK];            /* -1 where not known */
    const char *dim_names[VOCE_MAX_RANK];   /* symbol of a free dim, or NULL */
    const void *data;                       /* CONST: the data (64-byte aligned) */
    uint64_t nbytes;                        /* CONST: size of data */
    int def_node;                           /* NODE: index of the producer in its graph */
    int last_use;                           /* last node of its graph that reads it;
                                               n_nodes if a graph output, -1 if unused */
    int64_t offset;                         /* static arena offset, -1 if none */
} vc_value;

typedef struct vc_node {
    const vc_op *op;            /* resolved kernel; NULL in the compiler before lookup */
    const char *op_type;        /* ONNX op name, e.g. "Conv" */
    const char *name;
    int n_in, n_out, n_attr;
    int32_t *in;                /* value indices; -1 = optional input left out */
    int32_t *out;               /* value indices; always present */
    vc_attr *attr;
    int opset;                  /* opset of the op's domain in the source model */
} vc_node;

typedef struct vc_graph {
    int parent;                 /* enclosing graph, -1 for graph 0 */
    int n_nodes, cap_nodes;
    vc_node *nodes;             /* in execution order */
    int n_in, n_out;
    int32_t *in, *out;          /* value indices */
    uint64_t arena_size;        /* static plan: bytes; 0 when the plan is dynamic */
} vc_graph;

typedef struct vc_mgraph {
    const char *name;
    int n_values, cap_values;
    vc_value *values;
    int n_graphs, cap_graphs;
    vc_graph *graphs;
    vc_pool pool;               /* owns strings, index arrays, attributes, folded data */
} vc_mgraph;

void vc_mgraph_init(vc_mgraph *g);
void vc_mgraph_free(vc_mgraph *g);

/* Append a value; returns its index or -1 on allocation failure. Fields are zeroed
 * except rank = -1, dims = -1, def_node = -1, last_use = -1, offset = -1. */
int vc_mgraph_add_value(vc_mgraph *g, const char *name, vc_value_kind kind, int graph);

/* Append a graph; returns its index or -1. */
int vc_mgraph_add_graph(vc_mgraph *g, int parent);

/* Append a node with room for n_in inputs, n_out outputs and n_attr attributes (all
 * zero / -1). Returns a pointer valid until the next add_node on the same graph. */
vc_node *vc_graph_add_node(vc_mgraph *g, int graph, const char *op_type, const char *name,
                           int n_in, int n_out, int n_attr);

/* Attribute lookup. The getters return def when the attribute is absent. */
const vc_attr *vc_attr_find(const vc_node *n, const char *name);
int64_t vc_attr_int(const vc_node *n, const char *name, int64_t def);
float vc_attr_float(const vc_node *n, const char *name, float def);
const char *vc_attr_string(const vc_node *n, const char *name, const char *def);
/* INTS attribute: returns the array and stores its length in *count; NULL if absent. */
const int64_t *vc_attr_ints(const vc_node *n, const char *name, int64_t *count);
const float *vc_attr_floats(const vc_node *n, const char *name, int64_t *count);

/* Is value v visible from graph gi (defined there or in an enclosing graph)? */
int vc_mgraph_visible(const vc_mgraph *g, int v, int gi);

/* A value's declared type/shape as a tensor without data. */
void vc_value_tensor(const vc_value *v, vc_tensor *t);

#endif
