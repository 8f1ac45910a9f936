/* voce info: what a program holds. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/program.h"

static const char help[] =
    "usage: voce info MODEL.voce\n"
    "\n"
    "Print the program's format version and size, every method with the names, dtypes\n"
    "and shapes of its inputs and outputs (free dimensions by name), node and constant\n"
    "counts, the planned arena, every metadata entry, and for a quantized program\n"
    "(voce compile --quant) every layer left in f32 with the reason.\n";

static void print_shape(const voce_tensor_info *t)
{
    if (t->rank < 0) { printf("[?]"); return; }
    printf("[");
    for (int d = 0; d < t->rank; d++) {
        if (d) printf(",");
        if (t->dims[d] >= 0) printf("%lld", (long long)t->dims[d]);
        else printf("%s", t->dim_names[d] && *t->dim_names[d] ? t->dim_names[d] : "?");
    }
    printf("]");
}

static void print_meta(const voce_program *p, size_t i)
{
    const char *key;
    voce_meta_type type;
    voce_program_meta_at(p, i, &key, &type);
    printf("  %-32s ", key);
    switch (type) {
    case VOCE_META_INT: { int64_t v; voce_program_meta_int(p, key, &v); printf("int %lld\n", (long long)v); break; }
    case VOCE_META_FLOAT: { double v; voce_program_meta_float(p, key, &v); printf("float %.17g\n", v); break; }
    case VOCE_META_STRING: {
        const char *s; size_t n;
        voce_program_meta_string(p, key, &s, &n);
        printf("string \"%.*s\"%s\n", n > 80 ? 80 : (int)n, s, n > 80 ? "..." : "");
        break;
    }
    case VOCE_META_INTS: {
        const int64_t *v; size_t n;
        voce_program_meta_ints(p, key, &v, &n);
        printf("ints[%zu]", n);
        for (size_t k = 0; k < n && k < 8; k++) printf(" %lld", (long long)v[k]);
        printf("%s\n", n > 8 ? " ..." : "");
        break;
    }
    case VOCE_META_FLOATS: {
        const float *v; size_t n;
        voce_program_meta_floats(p, key, &v, &n);
        printf("floats[%zu]", n);
        for (size_t k = 0; k < n && k < 8; k++) printf(" %g", v[k]);
        printf("%s\n", n > 8 ? " ..." : "");
        break;
    }
    case VOCE_META_STRINGS: {
        const char *const *v; size_t n;
        voce_program_meta_strings(p, key, &v, &n);
        printf("strings[%zu]", n);
        for (size_t k = 0; k < n && k < 4; k++) printf(" \"%s\"", v[k]);
        printf("%s\n", n > 4 ? " ..." : "");
        break;
    }
    case VOCE_META_BLOB: { const void *d; size_t n; voce_program_meta_blob(p, key, &d, &n); printf("blob %zu bytes\n", n); break; }
    default: printf("?\n");
    }
}

/* Node, constant and arena figures come from the parsed file (not public API). */
/* "ops: Conv x13, Relu x12, voce:Linear x1", in order of first appearance. */
static void print_ops(const vc_mgraph *g)
{
    enum { MAX_KINDS = 128 };
    const char *kind[MAX_KINDS];
    int count[MAX_KINDS], n = 0, other = 0;
    for (int gi = 0; gi < g->n_graphs; gi++)
        for (int i = 0; i < g->graphs[gi].n_nodes; i++) {
            const char *op = g->graphs[gi].nodes[i].op_type;
            int k = 0;
            while (k < n && strcmp(kind[k], op)) k++;
            if (k == n && n == MAX_KINDS) { other++; continue; }
            if (k == n) { kind[n] = op; count[n++] = 0; }
            count[k]++;
        }
    printf("    ops:");
    for (int k = 0; k < n; k++) printf("%s %s x%d", k ? "," : "", kind[k], count[k]);
    if (other) printf(", %d more of other kinds", other);
    printf("\n");
}

static void print_stats(const voce_program *p, size_t m)
{
    const vc_mgraph *g = &vc_program_file(p)->methods[m];
    int nodes = 0, consts = 0;
    uint64_t cbytes = 0;
    for (int gi = 0; gi < g->n_graphs; gi++) nodes += g->graphs[gi].n_nodes;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].kind == VC_VAL_CONST) { consts++; cbytes += g->values[v].nbytes; }
    printf("    %d nodes in %d graph%s, %d constants (%.1f KiB), ", nodes, g->n_graphs,
           g->n_graphs == 1 ? "" : "s", consts, cbytes / 1024.0);
    if (g->graphs[0].arena_size) printf("arena %.1f KiB (static plan)\n", g->graphs[0].arena_size / 1024.0);
    else printf("arena planned at run time (dynamic shapes)\n");
    print_ops(g);
}

static void print_io(const voce_program *p, const char *name, int output, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        voce_tensor_info t;
        if (output) voce_program_method_output(p, name, k, &t);
        else voce_program_method_input(p, name, k, &t);
        printf("    %s %-24s %-5s ", output ? "out" : "in ", t.name, voce_dtype_name(t.dtype));
        print_shape(&t);
        printf("\n");
    }
}

/* The quantization summary, with every layer left f32 and why (the metadata listing
 * above shows only the first few). */
static void print_quant(const voce_program *p)
{
    const char *mode;
    size_t len, n = 0;
    int64_t group = 0, layers = 0, kept = 0;
    const char *const *lines = NULL;
    if (voce_program_meta_string(p, "quant.mode", &mode, &len)) return;
    voce_program_meta_int(p, "quant.group_size", &group);
    voce_program_meta_int(p, "quant.layers", &layers);
    voce_program_meta_int(p, "quant.layers_f32", &kept);
    voce_program_meta_strings(p, "quant.f32_layers", &lines, &n);
    printf("quantization %.*s, group %lld: %lld layers quantized, %lld left f32%s\n", (int)len, mode,
           (long long)group, (long long)layers, (long long)kept, n ? ":" : "");
    for (size_t i = 0; i < n; i++) printf("  f32 %s\n", lines[i]);
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { fputs(help, stdout); return 0; }
        if (argv[i][0] == '-') return cli_usage_error("info", "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error("info", "one program at a time");
        path = argv[i];
    }
    if (!path) return cli_usage_error("info", "no program given");
    voce_program *p;
    voce_status st = voce_program_open(path, NULL, &p);
    if (st) return cli_fail("info", st);
    int ver = voce_program_format_version(p);
    printf("%s: voce program, format %d.%d, %zu bytes\n", path, ver / 100, ver % 100, voce_program_file_size(p));
    for (size_t m = 0; m < voce_program_method_count(p); m++) {
        const char *name = voce_program_method_name(p, m);
        size_t ni, no;
        voce_program_method_io(p, name, &ni, &no);
        printf("method %s\n", name);
        print_io(p, name, 0, ni);
        print_io(p, name, 1, no);
        print_stats(p, m);
    }
    size_t nm = voce_program_meta_count(p);
    printf("metadata (%zu)\n", nm);
    for (size_t i = 0; i < nm; i++) print_meta(p, i);
    print_quant(p);
    voce_program_close(p);
    return 0;
}
