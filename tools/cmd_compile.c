/* voce compile: ONNX files -> one .voce program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "compiler/compiler.h"

static const char help[] =
    "usage: voce compile IN.onnx[:METHOD] ... -o OUT.voce [options]\n"
    "\n"
    "Compile one or more ONNX models into one program. Each ONNX file becomes a method,\n"
    "named METHOD, or 'main' when there is one file, or else the file's name without\n"
    ".onnx. Tensors stored as external data are read from beside the model.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE       the program to write (written whole or not at all)\n"
    "  --fix INPUT=VALUE       make an input a constant, e.g. --fix sr=16000;\n"
    "                          VALUE is a number or a comma-separated list\n"
    "  --shape INPUT=D0,D1,..  pin an input's free dimensions, e.g. --shape input=1,576\n"
    "  --meta KEY=VALUE        add metadata; VALUE is stored as an integer, a float or\n"
    "                          a string, whichever it reads as\n"
    "  --family NAME           apply a model family's recipe, which picks the methods,\n"
    "                          specialisations and metadata the family's runner needs.\n"
    "                          silero-vad: one method per sample rate (vad_16000, and\n"
    "                          vad_8000 where the model has 8 kHz weights), batch 1;\n"
    "                          programs for `voce vad` are compiled this way.\n"
    "                          whisper: FILE is a directory holding one export as\n"
    "                          downloaded (ours from scripts/export/whisper.py,\n"
    "                          sherpa-onnx's or Hugging Face's); for `voce transcribe`\n"
    "  --quant MODE            quantize MatMul / Gemm / Conv weights: w8, w4 (weight-\n"
    "                          only, int8 / int4 with per-group scales), 8da8w, 8da4w\n"
    "                          (the same weights with 8-bit activations quantized per\n"
    "                          row at run time).\n"
    "                          Layers that cannot be quantized stay f32 and are listed\n"
    "                          in the program's metadata (voce info); docs/quantization.md\n"
    "  --group-size N          weights per scale along K: 32 (default), 64 or 128\n"
    "  --quant-skip PATTERN    leave layers whose node or weight name matches the glob in\n"
    "                          f32 (repeatable), e.g. --quant-skip '*proj_out*'\n"
    "  --no-fold               keep constant subgraphs as nodes (for debugging)\n"
    "  -q, --quiet             print nothing on success\n"
    "\n"
    "Passes: shape inference, constant folding, specialisation of fixed inputs (If\n"
    "branches on them fold away), dead-code elimination, quantization (--quant),\n"
    "memory planning. An op without a kernel stops compilation with its type, node\n"
    "name and opset.\n";

/* "model.onnx:enc" -> path "model.onnx", method "enc" (only if the whole string is
 * not itself an existing file). */
static void split_method(char *arg, const char **path, const char **method)
{
    struct stat st;
    *path = arg;
    *method = NULL;
    char *colon = strrchr(arg, ':');
    if (!colon || stat(arg, &st) == 0) return;
    if (!colon[1] || strchr(colon + 1, '/')) return;
    *colon = 0;
    *method = colon + 1;
}

static int add_pair(const char *opt, char *arg, const char **names, const char **values, int *n)
{
    char *value;
    if (!arg) return cli_usage_error("compile", "%s needs NAME=VALUE", opt);
    if (cli_split_eq(arg, &value)) return cli_usage_error("compile", "%s '%s': expected NAME=VALUE", opt, arg);
    if (*n == VC_COMPILE_MAX) return cli_usage_error("compile", "too many %s options", opt);
    names[*n] = arg;
    values[*n] = value;
    (*n)++;
    return 0;
}

static int quant_option(vc_quant_options *q, const char *opt, const char *arg)
{
    if (!arg) return cli_usage_error("compile", "%s needs a value", opt);
    if (!strcmp(opt, "--quant")) {
        q->mode = arg;
    } else if (!strcmp(opt, "--group-size")) {
        char *end;
        long g = strtol(arg, &end, 10);
        if (*end || end == arg || g < 1 || g > 1 << 20)
            return cli_usage_error("compile", "--group-size '%s': expected 32, 64 or 128", arg);
        q->group_size = (int)g;
    } else {
        if (q->n_skip == VC_COMPILE_MAX) return cli_usage_error("compile", "too many --quant-skip options");
        q->skip[q->n_skip++] = arg;
    }
    return 0;
}

int cmd_compile(int argc, char **argv)
{
    vc_compile_options o = vc_compile_options_default();
    const char *out = NULL;
    int quiet = 0, rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        char *a = argv[i];
        char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) { fputs(help, stdout); return 0; }
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!next) return cli_usage_error("compile", "%s needs a file name", a);
            out = next;
            i++;
        } else if (!strcmp(a, "--fix")) {
            rc = add_pair(a, next, o.fix_name, o.fix_value, &o.n_fix);
            i++;
        } else if (!strcmp(a, "--shape")) {
            rc = add_pair(a, next, o.shape_name, o.shape_value, &o.n_shape);
            i++;
        } else if (!strcmp(a, "--meta")) {
            rc = add_pair(a, next, o.meta_key, o.meta_value, &o.n_meta);
            i++;
        } else if (!strcmp(a, "--family")) {
            if (!next) return cli_usage_error("compile", "--family needs a name (%s)", vc_family_names());
            o.family = next;
            i++;
        } else if (!strcmp(a, "--quant") || !strcmp(a, "--group-size") || !strcmp(a, "--quant-skip")) {
            rc = quant_option(&o.quant, a, next);
            i++;
        } else if (!strcmp(a, "--no-fold")) {
            o.no_fold = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("compile", "unknown option '%s'", a);
        } else {
            if (o.n_inputs == VC_COMPILE_MAX) return cli_usage_error("compile", "too many inputs");
            split_method(a, &o.onnx_path[o.n_inputs], &o.method[o.n_inputs]);
            o.n_inputs++;
        }
    }
    if (rc) return rc;
    if (!o.n_inputs) return cli_usage_error("compile", "no ONNX input given");
    if (!out) return cli_usage_error("compile", "no output given (-o OUT.voce)");
    vc_compile_report rep;
    voce_status st = vc_compile(&o, out, &rep);
    if (st) return cli_fail("compile", st);
    if (!quiet) {
        for (int i = 0; i < rep.n_methods; i++)
            printf("method %-12s %5d nodes -> %4d (%d folded, %d If inlined), %.1f KiB constants, arena %s%.1f KiB\n",
                   rep.m[i].name, rep.m[i].nodes_in, rep.m[i].nodes_out, rep.m[i].folded, rep.m[i].inlined_ifs,
                   rep.m[i].const_bytes / 1024.0, rep.m[i].arena_bytes ? "" : "dynamic ",
                   rep.m[i].arena_bytes / 1024.0);
        if (o.quant.mode)
            printf("quantized %d layers (%s, group %d), %d left f32 (voce info lists them)\n", rep.quant_layers,
                   o.quant.mode, o.quant.group_size ? o.quant.group_size : 32, rep.quant_f32);
        printf("wrote %s (%.1f KiB)\n", out, rep.file_bytes / 1024.0);
    }
    return 0;
}
