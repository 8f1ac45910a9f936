/* What a method instance keeps resident (docs/runtime.md, "Memory"): a trial run holds
 * the tensors alive at one time, not every tensor of the graph; a run ends with its
 * outputs in the planned arena and nothing else, and the blocks of its dead tensors serve
 * the later ones; a borrowed input is read where the
 * caller keeps it; weights packed for the GEMM replace their pages of the program file
 * instead of adding to them, and the layer still computes the same after the file's
 * pages have been dropped and read again. The programs are built by hand and written to
 * files, so that they are mapped as real programs are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "harness.h"
#include "kernels/cpu/cpu.h"
#include "kernels/ref/gemm.h"
#include "runtime/program.h"

/* ---- building programs ---- */

static int add_val(vc_mgraph *g, const char *name, vc_value_kind kind, int rank, const int64_t *dims)
{
    int v = vc_mgraph_add_value(g, name, kind, 0);
    if (v < 0) return v;
    g->values[v].dtype = VOCE_DTYPE_F32;
    g->values[v].rank = rank;
    for (int i = 0; i < rank; i++) g->values[v].dims[i] = dims[i];
    return v;
}

static int add_const(vc_mgraph *g, const char *name, int rank, const int64_t *dims, const float *data)
{
    int v = add_val(g, name, VC_VAL_CONST, rank, dims);
    if (v < 0) return v;
    vc_tensor t;
    vc_value_tensor(&g->values[v], &t);
    g->values[v].nbytes = vc_nbytes(&t);
    g->values[v].data = vc_pool_memdup(&g->pool, data, g->values[v].nbytes);
    return g->values[v].data ? v : -1;
}

/* Node of graph 0 with one output. */
static int node(vc_mgraph *g, const char *op, int n_in, const int32_t *in, int out)
{
    vc_node *n = vc_graph_add_node(g, 0, op, g->values[out].name, n_in, 1, 0);
    if (!n) return -1;
    for (int i = 0; i < n_in; i++) n->in[i] = in[i];
    n->out[0] = out;
    g->values[out].def_node = g->graphs[0].n_nodes - 1;
    return 0;
}

static void set_io(vc_mgraph *g, int n_in, const int32_t *in, int n_out, const int32_t *out)
{
    vc_graph *gr = &g->graphs[0];
    gr->n_in = n_in;
    gr->in = vc_pool_memdup(&g->pool, in, sizeof(int32_t) * (size_t)n_in);
    gr->n_out = n_out;
    gr->out = vc_pool_memdup(&g->pool, out, sizeof(int32_t) * (size_t)n_out);
}

/* Write g (and a state pair "in:out" when state is not NULL) as the program at path. */
static voce_status save(vc_mgraph *g, const char *state, const char *path)
{
    vc_writer *w = vc_writer_create();
    if (!w) return VOCE_ERR_NOMEM;
    voce_status st = vc_writer_add_method(w, g);
    if (!st && state) {
        vc_meta m;
        memset(&m, 0, sizeof m);
        m.key = "state.main";
        m.type = VOCE_META_STRING;
        m.s = state;
        st = vc_writer_add_meta(w, &m);
    }
    if (!st) st = vc_writer_save(w, path);
    vc_writer_destroy(w);
    vc_mgraph_free(g);
    return st;
}

static voce_status open_method(const char *path, voce_program **p, voce_method **m)
{
    voce_method_options o = voce_method_options_default();
    o.threads = 1;
    voce_status st = voce_program_open(path, NULL, p);
    if (!st) st = voce_method_create(*p, "main", &o, m);
    return st;
}

/* ---- a chain of NEGS Neg nodes over a tensor of N floats: y = x ---- */

enum { N = 1 << 18, NEGS = 24 }; /* 1 MiB per tensor */

static voce_status write_chain(const char *path)
{
    vc_mgraph g;
    vc_mgraph_init(&g);
    g.name = "main";
    if (vc_mgraph_add_graph(&g, -1) != 0) return VOCE_ERR_NOMEM;
    int64_t d[2] = {1, N};
    int prev = add_val(&g, "x", VC_VAL_INPUT, 2, d), x = prev;
    for (int i = 0; i < NEGS && prev >= 0; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", i);
        int t = add_val(&g, vc_pool_strdup(&g.pool, name), VC_VAL_NODE, 2, d);
        if (t < 0 || node(&g, "Neg", 1, (int32_t[]){prev}, t)) return VOCE_ERR_NOMEM;
        prev = t;
    }
    /* a second output that is a view of the last tensor: it must follow the tensor
     * when the run's outputs move into the arena */
    int view = add_val(&g, "y_view", VC_VAL_NODE, 2, d);
    if (view < 0 || node(&g, "Identity", 1, (int32_t[]){prev}, view)) return VOCE_ERR_NOMEM;
    set_io(&g, 1, (int32_t[]){x}, 2, (int32_t[]){prev, view});
    return save(&g, NULL, path);
}

static float pattern(int i, int run) { return (float)((i * 37 + run * 11) % 101) - 50.0f; }

static void check_chain_outputs(voce_method *m, int run)
{
    voce_tensor y, yv;
    CHECK_OK(voce_method_output(m, 0, &y));
    CHECK_OK(voce_method_output(m, 1, &yv));
    if (vt_failed()) return;
    CHECK(y.data == yv.data && y.nbytes == sizeof(float) * N);
    const float *a = y.data;
    int bad = 0;
    for (int i = 0; i < N && !bad; i++) bad = a[i] != pattern(i, run);
    CHECK_MSG(!bad, "run %d: y differs from x", run);
}

static void test_trial_holds_live_tensors(void)
{
    const char *path = vt_tmp("memory_chain.voce");
    CHECK_OK(write_chain(path));
    voce_program *p = NULL;
    voce_method *m = NULL;
    CHECK_OK(open_method(path, &p, &m));
    float *x = malloc(sizeof(float) * N);
    CHECK(x != NULL);
    for (int run = 0; run < 3 && !vt_failed(); run++) {
        for (int i = 0; i < N; i++) x[i] = pattern(i, run);
        voce_tensor t = {VOCE_DTYPE_F32, 2, {1, N}, x, sizeof(float) * N};
        CHECK_OK(voce_method_set_input(m, 0, &t));
        CHECK_OK(voce_method_execute(m));
        check_chain_outputs(m, run);
        const vc_exec *e = vc_method_exec(m);
        /* two tensors are alive at once (a node's input and output): the trial needs
         * about 2 MiB, as the arena; holding every tensor would need 24 MiB */
        CHECK_MSG(e->memory_peak <= ((uint64_t)5 << 20), "peak %llu bytes",
                  (unsigned long long)e->memory_peak);
        CHECK_MSG(vc_exec_arena_bytes(e) <= ((uint64_t)3 << 20), "arena %llu bytes",
                  (unsigned long long)vc_exec_arena_bytes(e));
        /* the run ends with the arena (and scratch) only: the output moved into it */
        CHECK_MSG(e->memory_used == vc_exec_arena_bytes(e) + e->scratch_size,
                  "run %d: %llu bytes in use, arena %llu", run, (unsigned long long)e->memory_used,
                  (unsigned long long)vc_exec_arena_bytes(e));
        if (run) CHECK_MSG(e->run_allocs == 0, "run %d allocated", run);
        /* the trial's tensors take turns in two blocks (a dead tensor's block is kept
         * for the next one), and the arena makes a third allocation (a block for every
         * tensor: 25) */
        if (!run) CHECK_MSG(e->run_allocs <= 3, "trial run allocated %llu times",
                            (unsigned long long)e->run_allocs);
    }
    free(x);
    voce_method_destroy(m);
    voce_program_close(p);
}

/* ---- borrowed inputs: y = -x, and acc_out = acc + x as state ---- */

static voce_status write_neg_acc(const char *path)
{
    vc_mgraph g;
    vc_mgraph_init(&g);
    g.name = "main";
    if (vc_mgraph_add_graph(&g, -1) != 0) return VOCE_ERR_NOMEM;
    int64_t d[1] = {64};
    int x = add_val(&g, "x", VC_VAL_INPUT, 1, d), acc = add_val(&g, "acc", VC_VAL_INPUT, 1, d);
    int y = add_val(&g, "y", VC_VAL_NODE, 1, d), acc_out = add_val(&g, "acc_out", VC_VAL_NODE, 1, d);
    if (acc_out < 0 || node(&g, "Neg", 1, (int32_t[]){x}, y) ||
        node(&g, "Add", 2, (int32_t[]){acc, x}, acc_out))
        return VOCE_ERR_NOMEM;
    set_io(&g, 2, (int32_t[]){x, acc}, 2, (int32_t[]){y, acc_out});
    return save(&g, "acc:acc_out", path);
}

static void test_borrowed_input(void)
{
    const char *path = vt_tmp("memory_borrow.voce");
    CHECK_OK(write_neg_acc(path));
    voce_program *p = NULL;
    voce_method *m = NULL;
    CHECK_OK(open_method(path, &p, &m));
    if (vt_failed()) return;
    float *x = aligned_alloc(64, 80 * sizeof(float));
    CHECK(x != NULL);
    if (!x) return;
    for (int i = 0; i < 64; i++) x[i] = (float)i;
    voce_tensor t = {VOCE_DTYPE_F32, 1, {64}, x, 64 * sizeof(float)}, y;
    CHECK_OK(voce_method_borrow_input(m, 0, &t));
    CHECK_OK(voce_method_execute(m));
    CHECK_OK(voce_method_output(m, 0, &y));
    CHECK(((const float *)y.data)[5] == -5.0f);
    /* the method reads the caller's bytes, not a copy of them */
    x[5] = 100.0f;
    CHECK_OK(voce_method_execute(m));
    CHECK_OK(voce_method_output(m, 0, &y));
    CHECK(((const float *)y.data)[5] == -100.0f);
    CHECK_OK(voce_method_output(m, 1, &y)); /* acc: 0 + x, then + x again */
    CHECK(((const float *)y.data)[5] == 105.0f && ((const float *)y.data)[7] == 14.0f);
    /* state is written by the method: it cannot be borrowed */
    voce_tensor ta = {VOCE_DTYPE_F32, 1, {64}, x, 64 * sizeof(float)};
    CHECK_ERR(voce_method_borrow_input(m, 1, &ta), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "'acc'") != NULL);
    voce_tensor tu = {VOCE_DTYPE_F32, 1, {64}, (const char *)x + 2, 64 * sizeof(float)};
    CHECK_ERR(voce_method_borrow_input(m, 0, &tu), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "aligned") != NULL);
    voce_tensor ts = {VOCE_DTYPE_F32, 1, {63}, x, 63 * sizeof(float)};
    CHECK_ERR(voce_method_borrow_input(m, 0, &ts), VOCE_ERR_SHAPE);
    /* a copy again: later changes to x are not seen */
    CHECK_OK(voce_method_set_input(m, 0, &t));
    x[5] = 1.0f;
    CHECK_OK(voce_method_execute(m));
    CHECK_OK(voce_method_output(m, 0, &y));
    CHECK(((const float *)y.data)[5] == -100.0f);
    free(x);
    voce_method_destroy(m);
    voce_program_close(p);
}

/* ---- voce:Linear, W [LN, LK] and a bias: the packed copy replaces the file's pages ---- */

enum { LN = 512, LK = 1024, ROWS = 12 }; /* W: 2 MiB */

static float wval(int n, int k) { return (float)((n * 131 + k * 17) % 97 - 48) / 64.0f; }
static float xval(int i, int k) { return (float)((i * 29 + k * 7) % 53 - 26) / 32.0f; }
static float bval(int n) { return (float)(n % 13) - 6.0f; }

static voce_status write_linear(const char *path)
{
    vc_mgraph g;
    vc_mgraph_init(&g);
    g.name = "main";
    if (vc_mgraph_add_graph(&g, -1) != 0) return VOCE_ERR_NOMEM;
    float *w = malloc(sizeof(float) * LN * LK), b[LN];
    if (!w) return VOCE_ERR_NOMEM;
    for (int n = 0; n < LN; n++) {
        for (int k = 0; k < LK; k++) w[n * LK + k] = wval(n, k);
        b[n] = bval(n);
    }
    int64_t dx[2] = {-1, LK}, dw[2] = {LN, LK}, db[1] = {LN}, dy[2] = {-1, LN};
    int x = add_val(&g, "x", VC_VAL_INPUT, 2, dx);
    int wc = add_const(&g, "w", 2, dw, w);
    int bc = add_const(&g, "b", 1, db, b); /* beside W in the file, read by every run */
    int y = add_val(&g, "y", VC_VAL_NODE, 2, dy);
    free(w);
    if (y < 0 || wc < 0 || bc < 0 || node(&g, "voce:Linear", 3, (int32_t[]){x, wc, bc}, y))
        return VOCE_ERR_NOMEM;
    set_io(&g, 1, (int32_t[]){x}, 1, (int32_t[]){y});
    return save(&g, NULL, path);
}

/* Resident pages of file mappings (kB), -1 where /proc does not tell. */
static long rss_file_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssFile: %ld", &kb) == 1) break;
    fclose(f);
    return kb;
}

/* Run rows rows through the layer, check them against a double-precision sum, and
 * keep a copy of the output in *copy (malloc'd; NULL after a failure). */
static void run_linear(voce_method *m, int rows, const char *what, float **copy)
{
    float *x = malloc(sizeof(float) * (size_t)rows * LK);
    *copy = NULL;
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < LK; k++) x[i * LK + k] = xval(i, k);
    voce_tensor t = {VOCE_DTYPE_F32, 2, {rows, LK}, x, sizeof(float) * (size_t)rows * LK}, y;
    CHECK_OK(voce_method_set_input(m, 0, &t));
    CHECK_OK(voce_method_execute(m));
    CHECK_OK(voce_method_output(m, 0, &y));
    double worst = 0;
    for (int i = 0; i < rows && !vt_failed(); i++)
        for (int n = 0; n < LN; n++) {
            double want = bval(n), got = ((const float *)y.data)[i * LN + n];
            for (int k = 0; k < LK; k++) want += (double)xval(i, k) * wval(n, k);
            double err = (got > want ? got - want : want - got) / (1.0 + (want > 0 ? want : -want));
            if (err > worst) worst = err;
        }
    free(x);
    CHECK_MSG(worst < 1e-5, "%s: relative error %g", what, worst);
    if ((*copy = malloc(y.nbytes))) memcpy(*copy, y.data, y.nbytes);
}

/* The copy's life: the first call with many rows packs nothing (block by block as it
 * goes), the second packs and drops W's file pages; the next KEEP calls with few rows
 * use the copy (linear.c's NARROW_KEEP), one more frees it and reads W from the file
 * again, and the cycle starts over. Every call with many rows gives the same bytes. */
enum { KEEP = 8, CALLS = KEEP + 7 + 2 * KEEP - 1 };

static void test_packed_weights_resident_once(void)
{
    const char *path = vt_tmp("memory_linear.voce");
    CHECK_OK(write_linear(path));
    voce_program *p = NULL;
    voce_method *m = NULL;
    CHECK_OK(open_method(path, &p, &m)); /* checksums read the whole file: all resident */
    if (vt_failed()) return;
    /* under an emulator /proc tells the emulator's pages, not the program's */
    int packs = vc_gemm_packed_b_bytes(vc_isa_active(), LN, LK) > 0;
    int rss = packs && rss_file_kb() >= 0 && !vt_quick();
    int rows[CALLS];
    float *y[CALLS] = {NULL};
    long r[CALLS + 1];
    /* 3 many, KEEP + 1 few, 3 many, KEEP - 1 few, 1 many, KEEP - 1 few */
    for (int i = 0; i < CALLS; i++)
        rows[i] = (i >= 3 && i < 4 + KEEP) || (i >= 7 + KEEP && i != 6 + 2 * KEEP) ? 1 + i % 4 : ROWS;
    r[0] = rss_file_kb();
    for (int i = 0; i < CALLS; i++) {
        char what[64];
        snprintf(what, sizeof what, "call %d, %d rows", i + 1, rows[i]);
        run_linear(m, rows[i], what, &y[i]);
        r[i + 1] = rss_file_kb();
    }
    for (int i = 1; i < CALLS; i++)
        if (rows[i] == ROWS)
            CHECK_MSG(y[0] && y[i] && !memcmp(y[0], y[i], sizeof(float) * ROWS * LN),
                      "call %d: not the bytes of the first call", i + 1);
    if (rss) {
        /* r[i] is after call i (1-based); the third call reads the bias again, which must
         * not bring W's pages back (a mapping made of 2 MB pages would) */
        CHECK_MSG(r[0] - r[1] < 512, "the first call dropped W's pages (%ld -> %ld kB)", r[0], r[1]);
        CHECK_MSG(r[1] - r[3] >= 1536, "file pages resident: %ld kB before packing 2048 kB of "
                  "weights, %ld kB after", r[1], r[3]);
        CHECK_MSG(r[3 + KEEP] - r[3] < 512, "%d calls with few rows read W from the file: %ld -> "
                  "%ld kB", KEEP, r[3], r[3 + KEEP]);
        CHECK_MSG(r[4 + KEEP] - r[3 + KEEP] >= 1536, "the dot path read W from the file: %ld -> %ld kB",
                  r[3 + KEEP], r[4 + KEEP]);
        /* packing again means the copy was freed */
        CHECK_MSG(r[4 + KEEP] - r[5 + KEEP] < 512 && r[5 + KEEP] - r[6 + KEEP] >= 1536,
                  "after the dot path: %ld, %ld, %ld kB", r[4 + KEEP], r[5 + KEEP], r[6 + KEEP]);
        /* a call with many rows starts the count of few again: the copy stays */
        CHECK_MSG(r[CALLS] - r[6 + KEEP] < 512, "runs of %d calls with few rows read W from the "
                  "file: %ld -> %ld kB", KEEP - 1, r[6 + KEEP], r[CALLS]);
    }
    for (int i = 0; i < CALLS; i++) free(y[i]);
    voce_method_destroy(m);
    voce_program_close(p);
    if (!packs) vt_skip("this ISA has no packed GEMM kernel: nothing is packed or released");
}

int main(void)
{
    vt_run("a trial run holds the tensors alive at one time", test_trial_holds_live_tensors);
    vt_run("borrowed inputs are read where they are", test_borrowed_input);
    vt_run("packed weights are resident once", test_packed_weights_resident_once);
    return vt_finish();
}
