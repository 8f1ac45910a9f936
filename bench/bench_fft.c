/* Real FFT speed at the front ends' sizes: ns per transform, single thread. Each size
 * runs many short rounds of 256 transforms and reports the fastest round, the one least
 * disturbed by other load on the machine (a round is far shorter than a time slice), and
 * the median.
 *
 *   build/bench/bench_fft [ROUNDS]   (default 400)
 *
 * 400 is Whisper's and Silero's 25 ms frame at 16 kHz, 512 Kaldi fbank's padded frame;
 * the others show the mixed-radix and Bluestein paths. */
#include "bench_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "audio/fft.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {400, 512, 320, 480, 1024, 401, 1021};
    int rounds = argc > 1 ? atoi(argv[1]) : 400;
    if (rounds < 1 || rounds > 100000) rounds = 400;
    double *times = malloc((size_t)rounds * sizeof(double));
    if (!times) return 1;
    printf("%-6s %10s %10s %12s\n", "n", "best ns", "median ns", "path");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        vc_fft *f = NULL;
        if (vc_fft_create(n, &f) != VOCE_OK) {
            fprintf(stderr, "bench_fft: %s\n", voce_last_error());
            return 1;
        }
        double *x = malloc(n * sizeof(double)), *y = malloc((n + 2) * sizeof(double));
        if (!x || !y) return 1;
        unsigned r = 12345;
        for (size_t j = 0; j < n; j++) {
            r = r * 1103515245u + 12345u;
            x[j] = (double)((r >> 8) & 0xffff) / 32768.0 - 1.0;
        }
        const int iters = 256;
        double sink = 0;
        for (int it = 0; it < 4 * iters; it++) vc_fft_real(f, x, y); /* warm the caches */
        for (int k = 0; k < rounds; k++) {
            double t0 = now_ns();
            for (int it = 0; it < iters; it++) {
                x[(size_t)it % n] += 1e-7f; /* the input changes, as frames do */
                vc_fft_real(f, x, y);
                sink += y[2];
            }
            times[k] = (now_ns() - t0) / iters;
        }
        qsort(times, (size_t)rounds, sizeof(double), bench_cmp_double);
        size_t m = n % 2 ? n : n / 2, s = m;
        while (s % 2 == 0) s /= 2;
        while (s % 3 == 0) s /= 3;
        while (s % 5 == 0) s /= 5;
        printf("%-6zu %10.1f %10.1f %12s%s\n", n, times[0], times[rounds / 2], s == 1 ? "mixed-radix" : "bluestein", sink == 12345.0 ? " " : "");
        vc_fft_destroy(f);
        free(x);
        free(y);
    }
    free(times);
    return 0;
}
