/* timing.py's dtw_cpu and backtrace: the cheapest monotone path through a cost matrix,
 * with its exact arithmetic (float32 totals) and its tie rules. */
#include "models/whisper/timing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

enum { STEP_DIAG = 0, STEP_ROW = 1, STEP_COL = 2 };

/* Four lanes of the recurrence at once (SSE2 / NEON; plain code elsewhere). */
typedef float vf4 __attribute__((vector_size(16)));
typedef int32_t vi4 __attribute__((vector_size(16)));

static vf4 load4(const float *p)
{
    vf4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The recurrence runs along anti-diagonals d = i + j of the (1-based) cost matrix: the
 * cells of one depend only on the two before, so four lanes go at once. The steps are
 * kept by diagonal: row d - 2 of `step`, `stride` entries a row (index i). */
typedef struct {
    const float *x;     /* [n][m] */
    int n, m;
    size_t stride;
    uint8_t *step;      /* (n + m - 1) * stride: the step into each cell */
} dtw_state;

static size_t step_at(const dtw_state *s, int i, int j) { return (size_t)(i + j - 2) * s->stride + i; }

/* One diagonal, cells i in [lo, hi]: cost(i, j) = x(i, j) + the cost timing.py picks
 * among c0 = cost(i-1, j-1) (on diagonal d-2: a[i-1]), c1 = cost(i-1, j) and
 * c2 = cost(i, j-1) (on d-1: b[i-1], b[i]). Its rule: c0 if strictly least, else c1 if
 * strictly least, else c2 (so c0 == c1 < c2 takes c2). Lanes past hi take x = inf and
 * get cost inf, which is what the cells off the matrix must hold. */
static void dtw_diagonal(const dtw_state *s, int d, int lo, int hi, const float *a,
                         const float *b, float *c)
{
    uint8_t *step = s->step + (size_t)(d - 2) * s->stride;
    size_t down = (size_t)s->m - 1; /* x(i+1, j-1) - x(i, j) */
    for (int i = lo; i <= hi; i += 4) {
        const float *xp = s->x + (size_t)(i - 1) * s->m + (d - i - 1);
        int in = hi - i; /* lanes 1..3 on the matrix when in >= that lane */
        /* built in registers: four scalar stores then one vector load would stall */
        vf4 xv = {xp[0], in >= 1 ? xp[down] : INFINITY, in >= 2 ? xp[2 * down] : INFINITY,
                  in >= 3 ? xp[3 * down] : INFINITY};
        vf4 c0 = load4(a + i - 1), c1 = load4(b + i - 1), c2 = load4(b + i);
        vi4 diag = (c0 < c1) & (c0 < c2), up = (c1 < c0) & (c1 < c2), left = ~(diag | up);
        vf4 best = (vf4)((diag & (vi4)c0) | (up & (vi4)c1) | (left & (vi4)c2));
        /* timing.py adds the float64 cost to the float32 total and stores float32: the
         * same as this float32 sum (the double sum of two floats is exact, or its smaller
         * part is below half a float ulp) */
        vf4 sum = best + xv;
        memcpy(c + i, &sum, sizeof sum);
        vi4 t = STEP_COL + 2 * diag + up; /* masks are -1 where true */
        for (int k = 0; k < 4; k++) step[i + k] = (uint8_t)t[k];
    }
}

/* Fill s->step by the recurrence. */
static voce_status dtw_steps(const dtw_state *s)
{
    int n = s->n, m = s->m;
    float *diags = malloc(3 * s->stride * sizeof *diags);
    if (!diags) return vc_error(VOCE_ERR_NOMEM, "whisper dtw: no memory for %d rows", n);
    for (size_t i = 0; i < 3 * s->stride; i++) diags[i] = INFINITY;
    float *a = diags, *b = diags + s->stride, *c = diags + 2 * s->stride;
    a[0] = 0.0f; /* diagonal 0: cost(0, 0); diagonal 1 (b) is all off the matrix */
    for (int d = 2; d <= n + m; d++) {
        int lo = d - m > 1 ? d - m : 1, hi = d - 1 < n ? d - 1 : n;
        /* index 0 is cost(0, d), inf (the array last held diagonal d - 3: cost(0, 0) = 0
         * for d = 3); indices past d - 1 are off the matrix, only ever set to inf */
        c[0] = INFINITY;
        dtw_diagonal(s, d, lo, hi, a, b, c);
        float *t = a;
        a = b;
        b = c;
        c = t;
    }
    free(diags);
    return VOCE_OK;
}

/* timing.py's backtrace from (n, m) to (0, 0), recorded end first, then reversed. */
static voce_status backtrace(const dtw_state *s, int32_t *rows, int32_t *cols, int *len)
{
    int i = s->n, j = s->m, k = 0;
    while (i > 0 || j > 0) {
        /* finite costs never reach row or column 0 before (0, 0) */
        if (i == 0 || j == 0 || k >= s->n + s->m - 1)
            return vc_error(VOCE_ERR_INTERNAL, "whisper dtw: path left the matrix at (%d, %d)", i, j);
        rows[k] = i - 1;
        cols[k] = j - 1;
        k++;
        uint8_t t = s->step[step_at(s, i, j)];
        if (t == STEP_DIAG) { i--; j--; }
        else if (t == STEP_ROW) i--;
        else j--;
    }
    for (int lo = 0, hi = k - 1; lo < hi; lo++, hi--) {
        int32_t r = rows[lo], c = cols[lo];
        rows[lo] = rows[hi];
        cols[lo] = cols[hi];
        rows[hi] = r;
        cols[hi] = c;
    }
    *len = k;
    return VOCE_OK;
}

/* Refuse what is not finite or so large that a sum of n + m costs could overflow a
 * float (the path would then run along the border). */
static voce_status check_costs(const float *x, int n, int m)
{
    float lim = (float)(1e37 / ((double)n + m));
    int ok = 1;
    for (size_t i = 0; i < (size_t)n * m; i++) ok &= fabsf(x[i]) <= lim; /* no branch: vectorizes */
    for (size_t i = 0; !ok && i < (size_t)n * m; i++)
        if (!(fabsf(x[i]) <= lim))
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "whisper dtw: cost %g at row %d, column %d is not finite or above %g",
                            x[i], (int)(i / m), (int)(i % m), lim);
    return VOCE_OK;
}

voce_status vc_whisper_dtw(const float *x, int n, int m, int32_t *rows, int32_t *cols, int *len)
{
    if (!x || !rows || !cols || !len)
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper dtw: NULL argument");
    *len = 0;
    if (n <= 0 || m <= 0)
        return vc_error(VOCE_ERR_SHAPE, "whisper dtw: empty %d x %d cost matrix", n, m);
    if ((int64_t)(n + 4) * (n + m) > ((int64_t)1 << 31))
        return vc_error(VOCE_ERR_NOMEM, "whisper dtw: %d x %d is too large", n, m);
    voce_status st = check_costs(x, n, m);
    if (st) return st;
    /* a row per diagonal: index 0 (cost(0, d)) up to n, and three lanes past it */
    dtw_state s = {x, n, m, (size_t)n + 4, NULL};
    s.step = malloc((size_t)(n + m - 1) * s.stride);
    if (!s.step) return vc_error(VOCE_ERR_NOMEM, "whisper dtw: no memory for %d x %d steps", n, m);
    st = dtw_steps(&s);
    if (!st) st = backtrace(&s, rows, cols, len);
    free(s.step);
    return st;
}
