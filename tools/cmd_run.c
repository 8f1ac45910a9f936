/* voce run: execute one method on .npy inputs, write every output as .npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "core/error.h"
#include "core/npy.h"

static const char help[] =
    "usage: voce run MODEL.voce [--method M] --in NAME=FILE.npy ... --out DIR\n"
    "\n"
    "Run one method of a program and write DIR/<output name>.npy for every output\n"
    "(characters other than letters, digits, '.', '-' and '_' in a name become '_').\n"
    "\n"
    "options:\n"
    "  --method M          the method to run; may be left out when there is only one\n"
    "  --in NAME=FILE.npy  value of the input NAME (every input needs one)\n"
    "  --out DIR           where to write the outputs (created if missing)\n" CLI_THREADS_HELP;

#define MAX_INPUTS 256

typedef struct {
    const char *model, *method, *out;
    int threads;
    int n_in;
    char *in_name[MAX_INPUTS];
    char *in_file[MAX_INPUTS];
} run_args;

static int parse(int argc, char **argv, run_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(argv[i])) { fputs(help, stdout); return -1; }
        if (!strcmp(argv[i], "--method") || !strcmp(argv[i], "--out")) {
            if (!next) return cli_usage_error("run", "%s needs a value", argv[i]);
            if (argv[i][2] == 'm') a->method = next;
            else a->out = next;
            i++;
        } else if (!strcmp(argv[i], "--threads")) {
            if (!next) return cli_usage_error("run", "--threads needs a value");
            int rc = cli_parse_threads("run", next, &a->threads);
            if (rc) return rc;
            i++;
        } else if (!strcmp(argv[i], "--in")) {
            if (!next || a->n_in == MAX_INPUTS) return cli_usage_error("run", "--in needs NAME=FILE.npy");
            char *file;
            if (cli_split_eq(next, &file)) return cli_usage_error("run", "--in '%s': expected NAME=FILE.npy", next);
            a->in_name[a->n_in] = next;
            a->in_file[a->n_in++] = file;
            i++;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("run", "unknown option '%s'", argv[i]);
        } else if (a->model) {
            return cli_usage_error("run", "one program at a time ('%s' and '%s')", a->model, argv[i]);
        } else {
            a->model = argv[i];
        }
    }
    if (!a->model) return cli_usage_error("run", "no program given");
    if (!a->out) return cli_usage_error("run", "no output directory given (--out DIR)");
    return 0;
}

static voce_status set_inputs(voce_method *m, const run_args *a)
{
    for (int i = 0; i < a->n_in; i++) {
        size_t idx;
        voce_status st = voce_method_find_input(m, a->in_name[i], &idx);
        if (st) return st;
        vc_tensor t;
        if ((st = vc_npy_read(a->in_file[i], &t))) return st;
        voce_tensor v = {t.dtype, t.rank, {0}, t.data, vc_nbytes(&t)};
        memcpy(v.dims, t.dims, sizeof v.dims);
        st = voce_method_set_input(m, idx, &v);
        free(t.data);
        if (st) return st;
    }
    return VOCE_OK;
}

static voce_status write_outputs(const voce_method *m, const char *dir)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return vc_error(VOCE_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
    for (size_t k = 0; k < voce_method_output_count(m); k++) {
        voce_tensor_info info;
        voce_tensor t;
        voce_status st = voce_method_output_info(m, k, &info);
        if (!st) st = voce_method_output(m, k, &t);
        if (st) return st;
        char name[512], path[4096];
        snprintf(name, sizeof name, "%s", info.name);
        for (char *c = name; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                  *c == '.' || *c == '-' || *c == '_'))
                *c = '_';
        snprintf(path, sizeof path, "%s/%s.npy", dir, name);
        vc_tensor v = {t.dtype, t.rank, {0}, (void *)t.data};
        memcpy(v.dims, t.dims, sizeof v.dims);
        if ((st = vc_npy_write(path, &v))) return st;
    }
    return VOCE_OK;
}

int cmd_run(int argc, char **argv)
{
    run_args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    voce_program *p = NULL;
    voce_method *m = NULL;
    voce_status st = voce_program_open(a.model, NULL, &p);
    voce_method_options mo = voce_method_options_default();
    mo.threads = a.threads;
    if (!st) st = voce_method_create(p, a.method, &mo, &m);
    if (!st) st = set_inputs(m, &a);
    if (!st) st = voce_method_execute(m);
    if (!st) st = write_outputs(m, a.out);
    if (st) rc = cli_fail("run", st);
    voce_method_destroy(m);
    voce_program_close(p);
    return rc;
}
