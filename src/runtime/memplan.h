/* Memory planning: place tensors with known sizes and lifetimes in one arena so that
 * tensors alive at the same time never overlap. Used by the executor after a run has
 * revealed every size, and by the compiler when all shapes are static. */
#ifndef VC_MEMPLAN_H
#define VC_MEMPLAN_H

#include <stdint.h>

#include "graph.h"

typedef struct vc_live {
    uint64_t size;      /* bytes; 0 takes no space */
    int first, last;    /* node indices: defined by node first, last read by node last */
} vc_live;

/* Greedy by size: the largest tensors are placed first, each at the lowest 64-aligned
 * offset that does not overlap a placed tensor with an intersecting lifetime.
 * offsets[i] receives the offset of items[i]. Returns the arena size, or UINT64_MAX if
 * memory for the planner itself ran out. */
uint64_t vc_memplan(const vc_live *items, int n, uint64_t *offsets);

/* For every value v of graph gi, the value that owns its bytes: itself, or for outputs
 * of view ops (VC_OP_ALIAS) the owner of their input. root must have g->n_values
 * entries; values of other graphs are left untouched. Node ops must be resolved. */
void vc_alias_roots(const vc_mgraph *g, int gi, int32_t *root);

/* Last node of graph gi that reads each value (directly, or through a nested graph of
 * one of its nodes); n_nodes for graph outputs; -1 if never read. Fills last_use for
 * values visible from gi that gi reads, leaving others untouched. */
void vc_compute_last_use(const vc_mgraph *g, int gi, int32_t *last_use);

#endif
