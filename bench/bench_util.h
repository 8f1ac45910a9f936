/* What every benchmark here needs: a monotonic clock and a comparison for qsort of
 * timings (medians). */
#ifndef VOCE_BENCH_UTIL_H
#define VOCE_BENCH_UTIL_H

#include <time.h>

/* Seconds on a monotonic clock. */
static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
