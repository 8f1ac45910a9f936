/* Test harness implementation (see harness.h). */
#include "harness.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/compiler.h"
#include "core/npy.h"

static int n_pass, n_fail, n_skip;
static int cur_failed, cur_skipped;
static const char *cur_name = "";

void vt_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "  FAIL %s (%s:%d): ", cur_name, file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    cur_failed = 1;
}

void vt_skip(const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "  skip %s: ", cur_name);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    cur_skipped = 1;
}

int vt_failed(void) { return cur_failed; }

void vt_run(const char *name, void (*fn)(void))
{
    cur_name = name;
    cur_failed = cur_skipped = 0;
    fn();
    if (cur_failed) n_fail++;
    else if (cur_skipped) n_skip++;
    else { n_pass++; fprintf(stdout, "  ok   %s\n", name); }
    fflush(stdout);
}

int vt_finish(void)
{
    printf("%d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
    if (n_fail) return 1;
    if (n_pass == 0 && n_skip > 0) return 77;
    return 0;
}

const char *vt_data(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("VOCE_TEST_DATA");
    if (!root || !*root) root = "../shared";
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    struct stat st;
    return stat(buf, &st) == 0 ? buf : NULL;
}

const char *vt_tmp(const char *name)
{
    static char buf[4096];
    const char *b = getenv("VOCE_BUILD_DIR");
    if (!b || !*b) b = ".";
    snprintf(buf, sizeof buf, "%s/test-tmp", b);
    mkdir(buf, 0777);
    snprintf(buf, sizeof buf, "%s/test-tmp/%s", b, name);
    return buf;
}

const char *vt_source_dir(void)
{
    const char *s = getenv("VOCE_SOURCE_DIR");
    return s && *s ? s : ".";
}

int vt_quick(void)
{
    const char *q = getenv("VOCE_TEST_QUICK");
    return q && !strcmp(q, "1");
}

voce_status vt_compile(const char *path, const char *family, const char *out)
{
    vc_compile_options o = vc_compile_options_default();
    o.onnx_path[o.n_inputs++] = path;
    o.family = family;
    return vc_compile(&o, out, NULL);
}

const char *vt_build_path(const char *env, const char *name)
{
    static char ring[4][1024];
    static int next;
    char *buf = ring[next++ % 4];
    const char *e = env ? getenv(env) : NULL, *b = getenv("VOCE_BUILD_DIR");
    if (e && *e) snprintf(buf, sizeof ring[0], "%s", e);
    else snprintf(buf, sizeof ring[0], "%s/%s", b && *b ? b : ".", name);
    char abs[PATH_MAX]; /* links made by tests need an absolute target */
    if (buf[0] != '/' && realpath(buf, abs) && strlen(abs) < sizeof ring[0]) strcpy(buf, abs);
    return buf;
}

int vt_read_npy(struct vc_tensor *t, const char *fmt, ...)
{
    char path[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    voce_status st = vc_npy_read(path, t);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", path, voce_last_error());
    return st == VOCE_OK;
}

double vt_rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 1e-30;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}
