/* Silero VAD per-window latency and load time with voce.
 *
 * usage: bench_silero MODEL.voce AUDIO.wav [MIN_WINDOWS [THREADS]]  (THREADS: 0 = one per core)
 *
 * The audio (16-bit PCM mono 16 kHz) is cut into 512-sample windows, as a streaming VAD
 * would see it, with the recurrent state and the 64-sample context carried (v5/v6) or
 * h/c carried (v4); it is replayed until MIN_WINDOWS (default 3000) windows have run.
 * Each window is timed from setting the inputs to reading the outputs, single thread.
 * Prints one line of key=value pairs (times in microseconds, load in milliseconds). */
#include "bench_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "voce/voce.h"

#define WINDOW 512
#define CONTEXT 64

#include "wavread.h"

static int fail(const char *what)
{
    fprintf(stderr, "bench_silero: %s: %s\n", what, voce_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_silero MODEL.voce AUDIO.wav [MIN_WINDOWS [THREADS]]\n");
        return 2;
    }
    int min_windows = argc > 3 ? atoi(argv[3]) : 3000;
    size_t n = 0;
    int rate = 0;
    float *pcm = vt_read_wav16(argv[2], &n, &rate);
    if (!pcm || rate != 16000 || n < WINDOW) {
        fprintf(stderr, "bench_silero: %s must be 16-bit PCM mono 16 kHz\n", argv[2]);
        return 1;
    }
    double t0 = (bench_now_s() * 1e6);
    voce_program *p;
    voce_method *m;
    if (voce_program_open(argv[1], NULL, &p)) return fail("open");
    voce_method_options mo = voce_method_options_default();
    mo.threads = argc > 4 ? atoi(argv[4]) : 0;
    if (voce_method_create(p, NULL, &mo, &m)) return fail("create");
    double load_ms = ((bench_now_s() * 1e6) - t0) / 1e3;
    size_t i_h;
    int v4 = voce_method_find_input(m, "h", &i_h) == VOCE_OK;
    int ctx = v4 ? 0 : CONTEXT;
    size_t nstate = v4 ? 2 * 64 : 2 * 128;
    float x[CONTEXT + WINDOW] = {0}, s1[256] = {0}, s2[256] = {0};
    voce_tensor tin = {VOCE_DTYPE_F32, 2, {1, ctx + WINDOW}, x, sizeof(float) * (size_t)(ctx + WINDOW)};
    voce_tensor ts1 = {VOCE_DTYPE_F32, 3, {2, 1, v4 ? 64 : 128}, s1, sizeof(float) * nstate};
    voce_tensor ts2 = {VOCE_DTYPE_F32, 3, {2, 1, 64}, s2, sizeof(float) * nstate};
    size_t nwin = n / WINDOW;
    double *lat = malloc(sizeof *lat * (size_t)min_windows);
    double speech = 0;
    for (int w = 0; w < min_windows; w++) {
        const float *src = pcm + (size_t)(w % (int)nwin) * WINDOW;
        if (ctx) memmove(x, x + WINDOW, sizeof(float) * CONTEXT);
        memcpy(x + ctx, src, sizeof(float) * WINDOW);
        double a = (bench_now_s() * 1e6);
        voce_tensor out, st1, st2;
        /* inputs in declaration order: (input, state, sr-free) or (input, h, c) */
        if (voce_method_set_input(m, 0, &tin) || voce_method_set_input(m, 1, &ts1) ||
            (v4 && voce_method_set_input(m, 2, &ts2)) || voce_method_execute(m) ||
            voce_method_output(m, 0, &out) || voce_method_output(m, 1, &st1) ||
            (v4 && voce_method_output(m, 2, &st2)))
            return fail("window");
        memcpy(s1, st1.data, sizeof(float) * nstate);
        if (v4) memcpy(s2, st2.data, sizeof(float) * nstate);
        lat[w] = (bench_now_s() * 1e6) - a;
        speech += *(const float *)out.data > 0.5f;
    }
    qsort(lat, (size_t)min_windows, sizeof *lat, bench_cmp_double);
    double sum = 0;
    for (int w = 0; w < min_windows; w++) sum += lat[w];
    printf("engine=voce windows=%d median_us=%.2f p10_us=%.2f p90_us=%.2f mean_us=%.2f load_ms=%.3f speech_frac=%.3f\n",
           min_windows, lat[min_windows / 2], lat[min_windows / 10], lat[min_windows * 9 / 10], sum / min_windows,
           load_ms, speech / min_windows);
    voce_method_destroy(m);
    voce_program_close(p);
    free(lat);
    free(pcm);
    return 0;
}
