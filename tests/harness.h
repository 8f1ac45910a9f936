/* Minimal test harness: register test functions, check conditions, print a summary.
 *
 *   static void test_open(void) { CHECK_OK(voce_program_open(p, NULL, &prog)); ... }
 *   int main(void) { vt_run("open", test_open); return vt_finish(); }
 *
 * A test that needs a missing data file calls VT_SKIP("needs <file>") and returns.
 * The summary line is "N passed, N failed, N skipped"; exit code 1 on any failure,
 * 77 (ctest's skip) when every test skipped. */
#ifndef VT_HARNESS_H
#define VT_HARNESS_H

#include <stddef.h>

#include "voce/voce.h"

void vt_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vt_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vt_failed(void); /* has the current test failed? */
void vt_run(const char *name, void (*fn)(void));
int vt_finish(void);

/* Path of a file under VOCE_TEST_DATA (default ../shared); NULL if it does not exist. */
const char *vt_data(const char *rel);
/* Path under the build directory's scratch folder (created on demand). */
const char *vt_tmp(const char *name);
/* Directory of the source tree (VOCE_SOURCE_DIR). */
const char *vt_source_dir(void);
/* VOCE_TEST_QUICK=1: the tests that run real models over minutes of audio use a part of
 * it (`make test-arm`, where qemu emulates float arithmetic about 100x slower). */
int vt_quick(void);

/* A folder the build generates (reference layouts, cases): $ENV when set (env may be
 * NULL), else VOCE_BUILD_DIR/name; absolute when it exists. The result lives until the
 * fourth call after this one. */
const char *vt_build_path(const char *env, const char *name);
/* Reads the .npy file at the printf-style path into t; on failure the current test
 * fails naming the file, and 0 is returned. */
struct vc_tensor;
int vt_read_npy(struct vc_tensor *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* voce compile of one ONNX file or one layout folder (family NULL: a plain model) into
 * the program file out; the compiler's status (voce_last_error() says why). */
voce_status vt_compile(const char *path, const char *family, const char *out);

/* Largest |a[i] - b[i]| over the largest |b[i]| (b is the reference), in double. */
double vt_rel_diff(const float *a, const float *b, size_t n);

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) { vt_fail(__FILE__, __LINE__, "%s", #cond); return; }             \
    } while (0)

#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        if (!(cond)) { vt_fail(__FILE__, __LINE__, __VA_ARGS__); return; }             \
    } while (0)

#define CHECK_OK(expr)                                                                 \
    do {                                                                               \
        voce_status st_ = (expr);                                                      \
        if (st_ != VOCE_OK) {                                                          \
            vt_fail(__FILE__, __LINE__, "%s -> %s: %s", #expr, voce_status_str(st_),   \
                    voce_last_error());                                                \
            return;                                                                    \
        }                                                                              \
    } while (0)

#define CHECK_ERR(expr, want)                                                          \
    do {                                                                               \
        voce_status st_ = (expr);                                                      \
        if (st_ != (want)) {                                                           \
            vt_fail(__FILE__, __LINE__, "%s -> %s (%s), expected %s", #expr,           \
                    voce_status_str(st_), voce_last_error(), voce_status_str(want));   \
            return;                                                                    \
        }                                                                              \
    } while (0)

#define VT_SKIP(...)                                                                   \
    do { vt_skip(__VA_ARGS__); return; } while (0)

#endif
