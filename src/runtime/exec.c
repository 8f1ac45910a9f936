/* Executor (see exec.h for the memory scheme). */
#include "exec.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/pages.h"
#include "memplan.h"
#include "op.h"

/* Loop refuses to run more iterations than this (a hostile or broken model must not
 * hang the caller). */
#define VC_LOOP_MAX_ITERS ((int64_t)1 << 24)

/* A separate allocation; doubly linked so that a tensor's block can be freed as soon as
 * its last reader has run. */
typedef struct vc_block {
    struct vc_block *next, *prev;
    size_t size;            /* bytes for the tensor (charged to memory_used) */
    size_t bytes;           /* bytes allocated, header included */
} vc_block;

#define VC_BLOCK_HDR 64 /* data starts 64 bytes after the header, keeping alignment */

struct vc_gexec {
    int n_own;
    int32_t *own;           /* NODE values of this graph */
    int planned;            /* a plan exists and is used */
    int replan;             /* this run found a tensor that did not fit: plan again */
    int trial;              /* this run records sizes */
    unsigned char *arena;
    uint64_t arena_size;
    vc_block *extra;        /* separate allocations of the current run */
    uint64_t extra_bytes;
    vc_block *spare;        /* separate allocations whose tensors died in this run */
    uint64_t spare_bytes;
    uint64_t extra_peak;    /* the most extra_bytes has been in this run */
    vc_block **xblk;        /* per own value: its separate allocation, or NULL */
    int32_t *die_off;       /* per node i: own values whose bytes nothing reads after */
    int32_t *die;           /*   node i are die[die_off[i] .. die_off[i + 1]) */
    int64_t *poff;          /* per own value: planned offset */
    uint64_t *psize;        /* per own value: planned size */
    uint64_t *rec;          /* per own value: size recorded in the last run */
    unsigned char *retired; /* the arena before the last re-plan: outputs of the run */
    uint64_t retired_size;  /* that made the new plan may still live in it */
    int32_t *slot;          /* per method value: index into own[], -1 if not own */
    void **state;           /* per node: what its kernel keeps between runs (vc_ctx) */
    unsigned char *inplace; /* per node: a VC_OP_INPLACE node writes over its input 0 */
};

static void free_list(vc_block *b)
{
    while (b) {
        vc_block *next = b->next;
        vc_pages_free(b, b->bytes);
        b = next;
    }
}

static void free_spare(vc_exec *x, vc_gexec *g)
{
    free_list(g->spare);
    g->spare = NULL;
    x->memory_used -= g->spare_bytes;
    g->spare_bytes = 0;
}

static void free_extra(vc_exec *x, vc_gexec *g)
{
    free_list(g->extra);
    g->extra = NULL;
    x->memory_used -= g->extra_bytes;
    g->extra_bytes = 0;
    for (int s = 0; g->xblk && s < g->n_own; s++) g->xblk[s] = NULL;
    free_spare(x, g);
}

static void unlink_block(vc_block **head, vc_block *b)
{
    if (b->prev) b->prev->next = b->next;
    else *head = b->next;
    if (b->next) b->next->prev = b->prev;
}

static void push_block(vc_block **head, vc_block *b)
{
    b->prev = NULL;
    b->next = *head;
    if (b->next) b->next->prev = b;
    *head = b;
}

static void free_block(vc_exec *x, vc_gexec *g, vc_block *b)
{
    unlink_block(&g->extra, b);
    g->extra_bytes -= b->size;
    x->memory_used -= b->size;
    vc_pages_free(b, b->bytes);
}

/* A tensor that died during a run leaves its block as a spare for later tensors of the
 * same run. A trial run allocates every tensor separately, and fresh pages for each
 * were 400 K page faults (1.6 GB) on a 30 s window of a small transducer encoder whose
 * live tensors never exceed a fifth of that. Spares stay charged to memory_used and
 * a block becomes one only while spares and live tensors together take no more than
 * the live ones alone have taken at one time in this run; a tensor that no spare fits
 * still gets fresh pages while the spares stay, so the run's resident peak can pass its
 * live peak by the spares held at that moment. They are freed when the run's nodes are
 * done, or at once when the memory limit needs them. */
static void retire_block(vc_exec *x, vc_gexec *g, vc_block *b)
{
    if (g->spare_bytes > g->extra_peak - g->extra_bytes) {
        free_block(x, g, b);
        return;
    }
    unlink_block(&g->extra, b);
    g->extra_bytes -= b->size;
    push_block(&g->spare, b);
    g->spare_bytes += b->size;
}

/* The smallest spare of at least size bytes and at most twice that, moved to extra. */
static vc_block *take_spare(vc_gexec *g, size_t size)
{
    vc_block *best = NULL;
    for (vc_block *b = g->spare; b; b = b->next)
        if (b->size >= size && b->size / 2 <= size && (!best || b->size < best->size)) best = b;
    if (!best) return NULL;
    unlink_block(&g->spare, best);
    g->spare_bytes -= best->size;
    push_block(&g->extra, best);
    g->extra_bytes += best->size;
    return best;
}

static void free_retired(vc_exec *x, vc_gexec *g)
{
    vc_pages_free(g->retired, g->retired_size);
    x->memory_used -= g->retired_size;
    g->retired = NULL;
    g->retired_size = 0;
}

static voce_status charge(vc_exec *x, uint64_t bytes, const char *what)
{
    if (bytes > x->memory_limit || x->memory_used > x->memory_limit - bytes)
        return vc_error(VOCE_ERR_NOMEM,
                        "%s needs %llu bytes; with %llu in use that exceeds the memory limit of "
                        "%llu bytes (voce_method_options.memory_limit)",
                        what, (unsigned long long)bytes, (unsigned long long)x->memory_used,
                        (unsigned long long)x->memory_limit);
    x->memory_used += bytes;
    if (x->memory_used > x->memory_peak) x->memory_peak = x->memory_used;
    return VOCE_OK;
}

static voce_status extra_alloc(vc_exec *x, vc_gexec *g, int s, size_t nbytes, const char *name,
                               void **out)
{
    size_t size = (nbytes + 63) & ~(size_t)63;
    vc_block *b = take_spare(g, size);
    if (!b) {
        if (g->spare && size > x->memory_limit - x->memory_used) free_spare(x, g);
        voce_status st = charge(x, size, name);
        if (st) return st;
        x->run_allocs++;
        b = vc_pages_alloc(VC_BLOCK_HDR + (size ? size : 64));
        if (!b) {
            x->memory_used -= size;
            return vc_error(VOCE_ERR_NOMEM, "out of memory allocating %zu bytes for '%s'", nbytes,
                            name);
        }
        b->size = size;
        b->bytes = VC_BLOCK_HDR + (size ? size : 64);
        push_block(&g->extra, b);
        g->extra_bytes += size;
    }
    if (g->extra_bytes > g->extra_peak) g->extra_peak = g->extra_bytes;
    if (s >= 0) g->xblk[s] = b;
    *out = (unsigned char *)b + VC_BLOCK_HDR;
    return VOCE_OK;
}

/* Memory for value v (produced in graph gi) of nbytes. */
static voce_status alloc_value(vc_exec *x, int gi, int v, size_t nbytes, void **out)
{
    vc_gexec *g = &x->gx[gi];
    int s = g->slot[v];
    if (s >= 0 && !g->trial) {
        if (nbytes <= g->psize[s]) {
            *out = g->arena + g->poff[s];
            return VOCE_OK;
        }
        g->replan = 1;
    }
    if (s >= 0) g->rec[s] = nbytes; /* every run records, so a misfit run can re-plan */
    return extra_alloc(x, g, s, nbytes, x->mg->values[v].name, out);
}

static voce_status ensure_scratch(vc_exec *x, size_t need)
{
    if (need <= x->scratch_size) return VOCE_OK;
    size_t size = (need + 4095) & ~(size_t)4095;
    x->memory_used -= x->scratch_size;
    vc_pages_free(x->scratch, x->scratch_size);
    x->scratch = NULL;
    x->scratch_size = 0;
    voce_status st = charge(x, size, "kernel scratch memory");
    if (st) return st;
    x->run_allocs++;
    x->scratch = vc_pages_alloc(size);
    if (!x->scratch) {
        x->memory_used -= size;
        return vc_error(VOCE_ERR_NOMEM, "out of memory allocating %zu bytes of scratch", size);
    }
    x->scratch_size = size;
    return VOCE_OK;
}

/* A separate allocation whose value nothing reads any more is freed at once, so a
 * trial run (every tensor separate) needs what is alive at one time, as the arena will,
 * not the sum of every tensor of the graph. */
static void release_dead(vc_exec *x, vc_gexec *g, int node)
{
    for (int32_t k = g->die_off[node]; k < g->die_off[node + 1]; k++) {
        int s = g->die[k];
        if (!g->xblk[s]) continue;
        retire_block(x, g, g->xblk[s]);
        g->xblk[s] = NULL;
        x->vals[g->own[s]].data = NULL;
    }
}

/* The new plan's arena exists: the values the run leaves alive (the graph's outputs)
 * move into their slots there, out of separate allocations and out of the arena of the
 * previous plan, which are then freed at once rather than at the next run. Views of a
 * moved value follow it. */
static void settle_outputs(vc_exec *x, int gi)
{
    vc_gexec *g = &x->gx[gi];
    const unsigned char *old = g->retired, *old_end = g->retired + g->retired_size;
    for (int s = 0; s < g->n_own; s++) {
        int v = g->own[s];
        unsigned char *from = x->vals[v].data;
        if (x->root[v] != v || !from || x->last[v] < x->mg->graphs[gi].n_nodes) continue;
        if (!g->xblk[s] && !(old && from >= old && from < old_end)) continue;
        size_t nb = vc_nbytes(&x->vals[v]);
        unsigned char *to = g->arena + g->poff[s];
        if (nb) memcpy(to, from, nb);
        for (int k = 0; k < g->n_own; k++) {
            vc_tensor *w = &x->vals[g->own[k]];
            if (x->root[g->own[k]] == v && (unsigned char *)w->data >= from &&
                (unsigned char *)w->data <= from + nb)
                w->data = to + ((unsigned char *)w->data - from);
        }
        if (g->xblk[s]) { /* at once: the outputs are not resident twice, even briefly */
            free_block(x, g, g->xblk[s]);
            g->xblk[s] = NULL;
        }
    }
    free_extra(x, g);
    free_retired(x, g);
}

/* After a trial run, or a run where tensors outgrew their slots: place the sizes it
 * recorded in a new arena. The old arena is retired, not freed, because this run's
 * results may live in it; once they have moved to the new one (settle_outputs) it goes.
 * Should the new arena fail, the next run frees it. */
static voce_status make_plan(vc_exec *x, int gi)
{
    vc_gexec *g = &x->gx[gi];
    const vc_mgraph *mg = x->mg;
    vc_live *items = malloc(sizeof *items * (size_t)(g->n_own ? g->n_own : 1));
    uint64_t *offs = malloc(sizeof *offs * (size_t)(g->n_own ? g->n_own : 1));
    if (!items || !offs) {
        free(items); free(offs);
        return vc_error(VOCE_ERR_NOMEM, "out of memory planning graph %d", gi);
    }
    for (int s = 0; s < g->n_own; s++) {
        int v = g->own[s];
        items[s].size = x->root[v] == v ? g->rec[s] : 0;
        items[s].first = mg->values[v].def_node;
        items[s].last = x->last[v] < items[s].first ? items[s].first : x->last[v];
    }
    uint64_t total = vc_memplan(items, g->n_own, offs);
    voce_status st = VOCE_OK;
    g->planned = 0; /* until the new arena exists */
    if (total == UINT64_MAX) st = vc_error(VOCE_ERR_NOMEM, "out of memory planning graph %d", gi);
    if (!st) {
        g->retired = g->arena;
        g->retired_size = g->arena_size;
        g->arena = NULL;
        g->arena_size = 0;
        st = charge(x, total + 64, "the tensor arena");
    }
    if (!st) {
        x->run_allocs++;
        g->arena = vc_pages_alloc((size_t)total + 64);
        if (!g->arena) {
            x->memory_used -= total + 64;
            st = vc_error(VOCE_ERR_NOMEM, "out of memory allocating a %llu-byte arena",
                          (unsigned long long)total);
        }
    }
    if (!st) {
        g->arena_size = total + 64;
        for (int s = 0; s < g->n_own; s++) {
            g->poff[s] = (int64_t)offs[s];
            g->psize[s] = items[s].size;
        }
        g->planned = 1;
        settle_outputs(x, gi);
    }
    free(items);
    free(offs);
    return st;
}

static voce_status exec_graph(vc_exec *x, int gi);

static int graph_attr(const vc_node *n, const char *name)
{
    const vc_attr *a = vc_attr_find(n, name);
    return a && a->type == VC_ATTR_GRAPH ? a->graph : -1;
}

/* Copy src into the freshly allocated output value v of graph gi. */
static voce_status emit_copy(vc_exec *x, int gi, int v, const vc_tensor *src)
{
    vc_tensor *dst = &x->vals[v];
    size_t nb = vc_nbytes(src);
    void *p;
    voce_status st = alloc_value(x, gi, v, nb, &p);
    if (st) return st;
    if (nb) memcpy(p, src->data, nb);
    *dst = *src;
    dst->data = p;
    return VOCE_OK;
}

static voce_status run_if(vc_exec *x, int gi, const vc_node *n)
{
    const vc_tensor *c = n->n_in > 0 && n->in[0] >= 0 ? &x->vals[n->in[0]] : NULL;
    if (!c || !c->data || vc_numel(c) != 1)
        return vc_node_error(n, VOCE_ERR_SHAPE, "condition must be a tensor of one element");
    int b = graph_attr(n, vc_get_int(c, 0) ? "then_branch" : "else_branch");
    if (b < 0) return vc_node_error(n, VOCE_ERR_FORMAT, "branch graph is missing");
    const vc_graph *bg = &x->mg->graphs[b];
    if (bg->n_out != n->n_out)
        return vc_node_error(n, VOCE_ERR_FORMAT, "branch has %d outputs, node has %d", bg->n_out, n->n_out);
    voce_status st = exec_graph(x, b);
    for (int k = 0; !st && k < n->n_out; k++) {
        const vc_tensor *src = &x->vals[bg->out[k]];
        if (!src->data) return vc_node_error(n, VOCE_ERR_FORMAT, "branch output %d was not computed", k);
        st = emit_copy(x, gi, n->out[k], src);
    }
    return st;
}


/* Loop state that lives across iterations: carried values and stacked scan outputs. */
typedef struct {
    vc_tensor t;
    size_t cap;     /* scan outputs: bytes allocated */
    int64_t count;  /* scan outputs: iterations appended */
} loop_buf;

/* Copy src into a fresh buffer for b. The old buffer is kept in *old for the caller to
 * free once every carried value is copied: a body may pass carried values through in
 * another order, so an output can still read the previous iteration's buffers. */
static voce_status keep_copy(loop_buf *b, const vc_tensor *src, void **old)
{
    size_t nb = vc_nbytes(src);
    void *p = malloc(nb ? nb : 1);
    if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory in Loop");
    if (nb) memcpy(p, src->data, nb);
    *old = b->t.data;
    b->t = *src;
    b->t.data = p;
    return VOCE_OK;
}

/* Carry the body's outputs 1..n_car into the next iteration. */
static voce_status carry(vc_exec *x, const vc_graph *bg, loop_buf *car, int n_car)
{
    void **old = calloc((size_t)n_car + 1, sizeof *old);
    if (!old) return vc_error(VOCE_ERR_NOMEM, "out of memory in Loop");
    voce_status st = VOCE_OK;
    for (int j = 0; j < n_car && !st; j++) st = keep_copy(&car[j], &x->vals[bg->out[1 + j]], &old[j]);
    for (int j = 0; j < n_car; j++) free(old[j]);
    free(old);
    return st;
}

static voce_status append_scan(vc_exec *x, const vc_node *n, loop_buf *b, const vc_tensor *src)
{
    size_t nb = vc_nbytes(src);
    if (b->count == 0) {
        b->t = *src;
        b->t.data = NULL;
        if (src->rank >= VOCE_MAX_RANK)
            return vc_node_error(n, VOCE_ERR_SHAPE, "scan output rank too high");
    } else if (src->dtype != b->t.dtype || src->rank != b->t.rank ||
               memcmp(src->dims, b->t.dims, sizeof(int64_t) * (size_t)src->rank)) {
        return vc_node_error(n, VOCE_ERR_SHAPE, "scan output changes shape between iterations");
    }
    size_t used = nb * (size_t)b->count;
    if (used + nb > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : nb * 4 + 64;
        if (cap > x->memory_limit)
            return vc_node_error(n, VOCE_ERR_NOMEM, "scan outputs exceed the memory limit");
        void *p = realloc(b->t.data, cap);
        if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory in Loop");
        b->t.data = p;
        b->cap = cap;
    }
    if (nb) memcpy((char *)b->t.data + used, src->data, nb);
    b->count++;
    return VOCE_OK;
}

static voce_status emit_scan(vc_exec *x, int gi, const vc_node *n, int k, loop_buf *b, int body_out)
{
    vc_tensor t = b->t;
    if (b->count == 0) { /* no iteration: shape [0], dtype as declared */
        voce_dtype dt = x->mg->values[body_out].dtype;
        memset(&t, 0, sizeof t);
        t.dtype = voce_dtype_size(dt) ? dt : VOCE_DTYPE_F32;
        t.rank = 1;
        t.data = &t; /* any non-NULL pointer: zero bytes are read */
    } else {
        memmove(t.dims + 1, t.dims, sizeof(int64_t) * (size_t)t.rank);
        t.dims[0] = b->count;
        t.rank++;
    }
    return emit_copy(x, gi, n->out[k], &t);
}

static voce_status loop_step(vc_exec *x, const vc_node *n, int body, int64_t it, int *cond,
                             loop_buf *car, int n_car, loop_buf *scan, int n_scan)
{
    const vc_graph *bg = &x->mg->graphs[body];
    int64_t iter_val = it;
    uint8_t cond_val = (uint8_t)*cond;
    vc_tensor iter_t = {VOCE_DTYPE_I64, 0, {0}, &iter_val};
    vc_tensor cond_t = {VOCE_DTYPE_BOOL, 0, {0}, &cond_val};
    x->vals[bg->in[0]] = iter_t;
    x->vals[bg->in[1]] = cond_t;
    for (int j = 0; j < n_car; j++) x->vals[bg->in[2 + j]] = car[j].t;
    voce_status st = exec_graph(x, body);
    if (st) return st;
    const vc_tensor *c = &x->vals[bg->out[0]];
    if (vc_numel(c) != 1) return vc_node_error(n, VOCE_ERR_SHAPE, "body condition must have one element");
    *cond = vc_get_int(c, 0) != 0;
    if (!st) st = carry(x, bg, car, n_car);
    for (int k = 0; k < n_scan && !st; k++) st = append_scan(x, n, &scan[k], &x->vals[bg->out[1 + n_car + k]]);
    return st;
}

static voce_status run_loop(vc_exec *x, int gi, const vc_node *n)
{
    int body = graph_attr(n, "body");
    if (body < 0 || n->n_in < 2) return vc_node_error(n, VOCE_ERR_FORMAT, "Loop needs a body and 2+ inputs");
    const vc_graph *bg = &x->mg->graphs[body];
    int n_car = n->n_in - 2;
    int n_scan = bg->n_out - 1 - n_car;
    if (bg->n_in != n_car + 2 || n_scan < 0 || n->n_out != n_car + n_scan)
        return vc_node_error(n, VOCE_ERR_FORMAT, "body inputs/outputs do not match the node");
    int64_t trips = -1;
    int cond = 1;
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !x->vals[n->in[k]].data)
            return vc_node_error(n, VOCE_ERR_FORMAT, "input %d is used before it is computed", k);
    if (n->in[0] >= 0) {
        if (vc_numel(&x->vals[n->in[0]]) != 1) return vc_node_error(n, VOCE_ERR_SHAPE, "M must have one element");
        trips = vc_get_int(&x->vals[n->in[0]], 0);
    }
    if (n->in[1] >= 0) {
        if (vc_numel(&x->vals[n->in[1]]) != 1) return vc_node_error(n, VOCE_ERR_SHAPE, "cond must have one element");
        cond = vc_get_int(&x->vals[n->in[1]], 0) != 0;
    }
    loop_buf *car = calloc((size_t)n_car + 1, sizeof *car);
    loop_buf *scan = calloc((size_t)n_scan + 1, sizeof *scan);
    voce_status st = car && scan ? VOCE_OK : vc_error(VOCE_ERR_NOMEM, "out of memory in Loop");
    for (int j = 0; j < n_car && !st; j++) {
        if (n->in[2 + j] < 0) st = vc_node_error(n, VOCE_ERR_FORMAT, "loop-carried input %d is missing", j);
        else {
            void *none;
            st = keep_copy(&car[j], &x->vals[n->in[2 + j]], &none); /* none: nothing before */
        }
    }
    for (int64_t it = 0; !st && cond && (trips < 0 || it < trips); it++) {
        if (it >= VC_LOOP_MAX_ITERS)
            st = vc_node_error(n, VOCE_ERR_UNSUPPORTED, "more than %lld iterations", (long long)VC_LOOP_MAX_ITERS);
        else
            st = loop_step(x, n, body, it, &cond, car, n_car, scan, n_scan);
    }
    for (int j = 0; j < n_car && !st; j++) st = emit_copy(x, gi, n->out[j], &car[j].t);
    for (int k = 0; k < n_scan && !st; k++) st = emit_scan(x, gi, n, n_car + k, &scan[k], bg->out[1 + n_car + k]);
    for (int j = 0; car && j < n_car; j++) free(car[j].t.data);
    for (int k = 0; scan && k < n_scan; k++) free(scan[k].t.data);
    free(car);
    free(scan);
    return st;
}

/* Byte count of output k after checking its dtype and shape; vc_numel divides per dim,
 * so each output's count is computed once per run. */
static voce_status output_bytes(const vc_node *n, const vc_tensor *out, int k, size_t *nbytes)
{
    size_t es = voce_dtype_size(out[k].dtype);
    int64_t cnt = out[k].rank < 0 || out[k].rank > VOCE_MAX_RANK ? -1 : vc_numel(&out[k]);
    if (es == 0 || cnt < 0)
        return vc_node_error(n, VOCE_ERR_SHAPE, "output %d has an invalid type or shape", k);
    *nbytes = (size_t)cnt * es;
    return VOCE_OK;
}

static voce_status run_node(vc_exec *x, int gi, const vc_node *n, vc_tensor **in, vc_tensor *out)
{
    for (int k = 0; k < n->n_in; k++) {
        int v = n->in[k];
        in[k] = v < 0 ? NULL : &x->vals[v];
        if (in[k] && !in[k]->data)
            return vc_node_error(n, VOCE_ERR_FORMAT, "input '%s' is used before it is computed",
                                 x->mg->values[v].name);
    }
    memset(out, 0, sizeof *out * (size_t)n->n_out);
    voce_status st = n->op->infer(n, in, out);
    if (st == VC_NEED_DATA) return vc_node_error(n, VOCE_ERR_INTERNAL, "infer asked for missing data");
    if (st) return st;
    size_t nb, nb0 = 0;
    if (n->op->flags & VC_OP_ALIAS) {
        for (int k = 0; k < n->n_out; k++) {
            if ((st = output_bytes(n, out, k, &nb))) return st;
            if (k == 0) nb0 = nb;
        }
        if (nb0 != vc_nbytes(in[0]))
            return vc_node_error(n, VOCE_ERR_INTERNAL, "view changes the byte count");
        out[0].data = in[0]->data;
        x->vals[n->out[0]] = out[0];
        return VOCE_OK;
    }
    /* outputs are checked and placed one by one: what a failed run placed is reclaimed
     * by the next run, as after any error */
    int inplace = x->gx[gi].inplace[n - x->mg->graphs[gi].nodes];
    for (int k = 0; k < n->n_out; k++) {
        if ((st = output_bytes(n, out, k, &nb))) return st;
        if (k == 0 && inplace && nb == vc_nbytes(in[0])) out[0].data = in[0]->data;
        else if ((st = alloc_value(x, gi, n->out[k], nb, &out[k].data))) return st;
    }
    size_t need = n->op->scratch ? n->op->scratch(n, in, out) : 0;
    if (n->op->flags & VC_OP_SCRATCH_PER_WORKER) {
        size_t workers = (size_t)vc_threads_count(x->threads);
        need = (need + 63) & ~(size_t)63;
        if (need > SIZE_MAX / workers) return vc_node_error(n, VOCE_ERR_NOMEM, "scratch too large");
        need *= workers;
    }
    if ((st = ensure_scratch(x, need))) return st;
    vc_ctx ctx = {x->scratch, x->scratch_size, x->threads, &x->gx[gi].state[n - x->mg->graphs[gi].nodes],
                  x->file};
    if ((st = n->op->run(n, in, out, &ctx))) return st;
    for (int k = 0; k < n->n_out; k++) x->vals[n->out[k]] = out[k];
    return VOCE_OK;
}

static voce_status exec_graph(vc_exec *x, int gi)
{
    const vc_graph *gr = &x->mg->graphs[gi];
    vc_gexec *g = &x->gx[gi];
    free_extra(x, g);
    free_retired(x, g);
    for (int s = 0; s < g->n_own; s++) x->vals[g->own[s]].data = NULL;
    g->trial = !g->planned;
    g->replan = 0;
    g->extra_peak = 0;
    voce_status st = VOCE_OK;
    for (int i = 0; i < gr->n_nodes && !st; i++) {
        const vc_node *n = &gr->nodes[i];
        if (n->op->flags & VC_OP_CONTROL) {
            st = strcmp(n->op_type, "If") == 0 ? run_if(x, gi, n) : run_loop(x, gi, n);
            if (!st) release_dead(x, g, i);
            continue;
        }
        /* inputs/outputs arrays on the stack for the common case; nodes never nest */
        vc_tensor *in_small[16];
        vc_tensor out_small[8];
        vc_tensor **in = n->n_in <= 16 ? in_small : malloc(sizeof *in * (size_t)n->n_in);
        vc_tensor *out = n->n_out <= 8 ? out_small : malloc(sizeof *out * (size_t)n->n_out);
        if (!in || !out) st = vc_error(VOCE_ERR_NOMEM, "out of memory");
        else st = run_node(x, gi, n, in, out);
        if (!st) release_dead(x, g, i);
        if (in != in_small) free(in);
        if (out != out_small) free(out);
    }
    free_spare(x, g);
    if (!st && (g->trial || g->replan)) st = make_plan(x, gi);
    for (int k = 0; !st && k < gr->n_out; k++)
        if (!x->vals[gr->out[k]].data)
            st = vc_error(VOCE_ERR_FORMAT, "graph output '%s' was not computed",
                          x->mg->values[gr->out[k]].name);
    return st;
}

static voce_status init_graph(vc_exec *x, int gi)
{
    const vc_mgraph *mg = x->mg;
    vc_gexec *g = &x->gx[gi];
    g->slot = malloc(sizeof *g->slot * (size_t)mg->n_values);
    size_t n_nodes = (size_t)(mg->graphs[gi].n_nodes ? mg->graphs[gi].n_nodes : 1);
    g->state = calloc(n_nodes, sizeof *g->state);
    g->inplace = calloc(n_nodes, 1);
    if (!g->slot || !g->state || !g->inplace) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    int n = 0;
    for (int v = 0; v < mg->n_values; v++) {
        g->slot[v] = -1;
        if (mg->values[v].graph == gi && mg->values[v].kind == VC_VAL_NODE) g->slot[v] = n++;
    }
    g->n_own = n;
    size_t cnt = (size_t)(n ? n : 1);
    g->own = malloc(sizeof *g->own * cnt);
    g->poff = calloc(cnt, sizeof *g->poff);
    g->psize = calloc(cnt, sizeof *g->psize);
    g->rec = calloc(cnt, sizeof *g->rec);
    if (!g->own || !g->poff || !g->psize || !g->rec) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    for (int v = 0; v < mg->n_values; v++)
        if (g->slot[v] >= 0) g->own[g->slot[v]] = v;
    vc_alias_roots(mg, gi, x->root);
    return VOCE_OK;
}

/* Node after which each value of graph gi that owns bytes is dead: its last reader
 * (views included), or its own node when nothing reads it. Graph outputs never die. */
static int death_node(const vc_exec *x, int gi, int v)
{
    int d = x->last[v] < x->mg->values[v].def_node ? x->mg->values[v].def_node : x->last[v];
    return x->root[v] != v || d < 0 || d >= x->mg->graphs[gi].n_nodes ? -1 : d;
}

static voce_status death_lists(vc_exec *x, int gi)
{
    vc_gexec *g = &x->gx[gi];
    int n_nodes = x->mg->graphs[gi].n_nodes;
    g->die_off = calloc((size_t)n_nodes + 2, sizeof *g->die_off);
    g->die = malloc(sizeof *g->die * (size_t)(g->n_own ? g->n_own : 1));
    g->xblk = calloc((size_t)(g->n_own ? g->n_own : 1), sizeof *g->xblk);
    if (!g->die_off || !g->die || !g->xblk) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    for (int s = 0; s < g->n_own; s++) {
        int d = death_node(x, gi, g->own[s]);
        if (d >= 0) g->die_off[d + 2]++;
    }
    for (int i = 0; i < n_nodes; i++) g->die_off[i + 2] += g->die_off[i + 1];
    for (int s = 0; s < g->n_own; s++) {
        int d = death_node(x, gi, g->own[s]);
        if (d >= 0) g->die[g->die_off[d + 1]++] = s;
    }
    return VOCE_OK;
}

voce_status vc_exec_init(vc_exec *x, const vc_mgraph *mg, uint64_t memory_limit, int n_threads)
{
    memset(x, 0, sizeof *x);
    x->mg = mg;
    x->memory_limit = memory_limit;
    if (n_threads > 1) {
        voce_status st = vc_threads_create(n_threads, &x->threads);
        if (st) return st;
    }
    size_t nv = (size_t)(mg->n_values ? mg->n_values : 1);
    x->vals = calloc(nv, sizeof *x->vals);
    x->root = malloc(sizeof *x->root * nv);
    x->last = malloc(sizeof *x->last * nv);
    x->gx = calloc((size_t)(mg->n_graphs ? mg->n_graphs : 1), sizeof *x->gx);
    if (!x->vals || !x->root || !x->last || !x->gx) {
        vc_exec_free(x);
        return vc_error(VOCE_ERR_NOMEM, "out of memory creating a method instance");
    }
    for (int v = 0; v < mg->n_values; v++) {
        const vc_value *val = &mg->values[v];
        x->root[v] = v;
        x->last[v] = -1;
        if (val->kind == VC_VAL_CONST) vc_value_tensor(val, &x->vals[v]);
    }
    for (int gi = 0; gi < mg->n_graphs; gi++) {
        voce_status st = init_graph(x, gi);
        if (st) {
            vc_exec_free(x);
            return st;
        }
        vc_compute_last_use(mg, gi, x->last);
    }
    /* a view keeps its owner's bytes alive as long as the view is read */
    for (int v = 0; v < mg->n_values; v++) {
        int r = x->root[v];
        if (r != v && mg->values[r].graph == mg->values[v].graph && x->last[v] > x->last[r])
            x->last[r] = x->last[v];
    }
    for (int gi = 0; gi < mg->n_graphs; gi++) {
        voce_status st = death_lists(x, gi);
        if (st) {
            vc_exec_free(x);
            return st;
        }
    }
    return VOCE_OK;
}

void vc_exec_free(vc_exec *x)
{
    vc_threads_destroy(x->threads);
    x->threads = NULL;
    if (x->gx && x->mg) {
        for (int gi = 0; gi < x->mg->n_graphs; gi++) {
            vc_gexec *g = &x->gx[gi];
            free_extra(x, g);
            free_retired(x, g);
            vc_pages_free(g->arena, g->arena_size);
            free(g->own);
            free(g->poff);
            free(g->psize);
            free(g->rec);
            free(g->slot);
            free(g->xblk);
            free(g->die_off);
            free(g->die);
            for (int i = 0; g->state && i < x->mg->graphs[gi].n_nodes; i++) free(g->state[i]);
            free(g->state);
            free(g->inplace);
        }
    }
    free(x->gx);
    free(x->vals);
    free(x->root);
    free(x->last);
    vc_pages_free(x->scratch, x->scratch_size);
    memset(x, 0, sizeof *x);
}

int vc_exec_allow_inplace(vc_exec *x, int in, int out)
{
    const vc_graph *gr = &x->mg->graphs[0];
    const vc_value *v = &x->mg->values[out];
    if (v->kind != VC_VAL_NODE || v->graph != 0 || v->def_node < 0) return 0;
    const vc_node *n = &gr->nodes[v->def_node];
    if (!(n->op->flags & VC_OP_INPLACE) || n->n_in < 1 || n->in[0] != in || n->out[0] != out)
        return 0;
    /* a later reader of `in` would see the new rows; a graph output that is `in` itself
     * would change under the caller */
    if (x->last[in] != v->def_node) return 0;
    for (int k = 0; k < gr->n_out; k++)
        if (gr->out[k] == in) return 0;
    x->gx[0].inplace[v->def_node] = 1;
    return 1;
}

voce_status vc_exec_run(vc_exec *x)
{
    x->run_allocs = 0;
    return exec_graph(x, 0);
}

uint64_t vc_exec_arena_bytes(const vc_exec *x)
{
    uint64_t n = 0;
    for (int gi = 0; gi < x->mg->n_graphs; gi++) n += x->gx[gi].arena_size;
    return n;
}
