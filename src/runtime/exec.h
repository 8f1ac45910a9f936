/* The executor: runs the graphs of one method instance.
 *
 * Memory: every graph has one arena. The first run with new shapes is a *trial*: each
 * tensor gets its own allocation, released as soon as its last reader has run (kept as a
 * spare for a later tensor of similar size in the same run, then freed), and its size is
 * recorded; after it, the recorded sizes and lifetimes are placed in one arena
 * (memplan.h) and the run's outputs move into it. Later runs reuse that plan with no
 * heap allocation; a tensor that no longer fits its slot (shapes changed) gets its own
 * allocation for that run and the run ends with a new plan. Scratch memory is one
 * buffer per method instance that grows to the largest request (times the pool's
 * threads for VC_OP_SCRATCH_PER_WORKER ops). Arenas, separate tensors and scratch come
 * from the page allocator (core/pages.h), so what is freed leaves the process.
 *
 * Views (VC_OP_ALIAS ops) share their input's bytes. If runs the chosen branch and
 * copies its outputs; Loop copies carried values between iterations (Loop allocates
 * while it runs: its state size is only known as it goes).
 */
#ifndef VC_EXEC_H
#define VC_EXEC_H

#include <stdint.h>

#include "../core/mapfile.h"
#include "../core/threads.h"
#include "graph.h"

typedef struct vc_gexec vc_gexec;

typedef struct vc_exec {
    const vc_mgraph *mg;
    vc_tensor *vals;            /* current tensor of every value */
    vc_gexec *gx;               /* per graph */
    int32_t *root;              /* alias roots (memplan.h), per value */
    int32_t *last;              /* last reader of each value, extended over its views */
    void *scratch;
    size_t scratch_size;
    uint64_t memory_limit;
    uint64_t memory_used;       /* arenas + separate allocations + scratch */
    uint64_t memory_peak;       /* the most memory_used has been (tests) */
    uint64_t run_allocs;        /* heap allocations made by the last run (0 = steady) */
    vc_threads *threads;        /* kernels' pool, owned; NULL when one thread */
    const vc_mapfile *file;     /* where the constants are mapped from, if a file (vc_ctx) */
} vc_exec;

/* Prepare an executor for mg (constants bound, lifetimes computed) whose kernels use
 * n_threads threads (>= 1). */
voce_status vc_exec_init(vc_exec *x, const vc_mgraph *mg, uint64_t memory_limit, int n_threads);
void vc_exec_free(vc_exec *x);

/* Let the node of graph 0 that computes value out write over its input 0, value in (a
 * method's state: a KV cache updated in place). Allowed when that node is a
 * VC_OP_INPLACE op reading in as input 0 and nothing reads in after it; returns 1 then,
 * else 0 (the node then writes a copy). in must be memory the executor may overwrite:
 * the instance's own input buffer, never the caller's. */
int vc_exec_allow_inplace(vc_exec *x, int in, int out);

/* Run graph 0. Its formal inputs must have been bound in x->vals beforehand. */
voce_status vc_exec_run(vc_exec *x);

/* Bytes of the planned arenas (0 before the first run). */
uint64_t vc_exec_arena_bytes(const vc_exec *x);

#endif
