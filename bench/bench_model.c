/* Time one method of any program on .npy inputs: the voce half of bench/model_speed.sh,
 * which runs ONNX Runtime on the same ONNX file and inputs beside it.
 *
 * usage: bench_model MODEL.voce [--method M] [--threads N] [--seconds S] NAME=FILE.npy ...
 *
 * One warm-up execute (it plans the arena), then executes until S seconds (default 2)
 * and at least 5 runs have passed. Prints one line of key=value pairs: runs, median and
 * fastest time per execute in milliseconds. N: kernel threads (0 = one per physical core,
 * the default). Nothing here asserts on time. */
#include "bench_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/npy.h"
#include "voce/voce.h"

#define MAX_RUNS 100000

static int fail(const char *what)
{
    fprintf(stderr, "bench_model: %s: %s\n", what, voce_last_error());
    return 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_model MODEL.voce [--method M] [--threads N] [--seconds S] "
                    "NAME=FILE.npy ...\n");
    return 2;
}

/* Set input NAME from FILE.npy; arg is "NAME=FILE.npy". */
static int set_input(voce_method *m, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char name[256];
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof name) return usage();
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    size_t idx;
    vc_tensor t;
    if (voce_method_find_input(m, name, &idx) || vc_npy_read(eq + 1, &t)) return fail(arg);
    voce_tensor v = {t.dtype, t.rank, {0}, t.data, vc_nbytes(&t)};
    memcpy(v.dims, t.dims, sizeof v.dims);
    voce_status st = voce_method_set_input(m, idx, &v);
    free(t.data);
    return st ? fail(arg) : 0;
}

static int run(voce_method *m, double seconds, int threads)
{
    double *t = malloc(sizeof(double) * MAX_RUNS);
    if (!t) return fail("out of memory");
    if (voce_method_execute(m)) { free(t); return fail("execute"); }
    int n = 0;
    double start = (bench_now_s() * 1e3);
    while (n < MAX_RUNS && (n < 5 || (bench_now_s() * 1e3) - start < seconds * 1e3)) {
        double a = (bench_now_s() * 1e3);
        if (voce_method_execute(m)) { free(t); return fail("execute"); }
        t[n++] = (bench_now_s() * 1e3) - a;
    }
    qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
    printf("engine=voce threads=%d runs=%d median_ms=%.3f min_ms=%.3f\n", threads, n, t[n / 2], t[0]);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    const char *method = NULL;
    double seconds = 2.0;
    voce_method_options mo = voce_method_options_default();
    int first_input = argc;
    for (int i = 2; i < argc && first_input == argc; i++) {
        if (!strcmp(argv[i], "--method") && i + 1 < argc) method = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) mo.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (argv[i][0] == '-') return usage();
        else first_input = i;
    }
    voce_program *p = NULL;
    voce_method *m = NULL;
    if (voce_program_open(argv[1], NULL, &p)) return fail(argv[1]);
    if (voce_method_create(p, method, &mo, &m)) return fail("create");
    int rc = 0;
    for (int i = first_input; i < argc && !rc; i++) rc = set_input(m, argv[i]);
    if (!rc) rc = run(m, seconds, mo.threads);
    voce_method_destroy(m);
    voce_program_close(p);
    return rc;
}
