/* Speed of the audio front ends (include/voce/features.h) on a long input, single thread.
 *
 * usage: bench_features [--seconds S] [--runs R] [--write-audio OUT.npy] AUDIO...
 *
 * The files (any format voce reads; resampled to 16 kHz if needed) are concatenated in
 * the order given and the whole repeated until S seconds (default 3600) are there. Each
 * front end (Whisper 80-bin log-mel, NeMo 80 with per-feature normalisation, Kaldi
 * fbank 80) then runs R times (default 3) over all of it:
 *   offline   voce_features_compute on the whole input (every step)
 *   stream    voce_features_push in 4000-sample blocks, pulling after each, then flush
 *             (the frame-local steps only)
 * and prints one line per front end and path: key=value pairs, times in seconds, with
 * rtf = best time / audio seconds. --write-audio saves the input (float32 .npy) so
 * that bench/features_torch_bench.py times torch on exactly the same samples. */
#include "bench_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/npy.h"
#include "voce/audio.h"
#include "voce/features.h"

#define RATE 16000
#define BLOCK 4000

static int fail(const char *what)
{
    fprintf(stderr, "bench_features: %s: %s\n", what, voce_last_error());
    return 1;
}

/* The files one after another, repeated up to `total` samples. */
static float *build_input(char **paths, int n_paths, size_t total)
{
    float *all = NULL;
    size_t n_all = 0;
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = RATE;
    for (int i = 0; i < n_paths; i++) {
        float *pcm = NULL;
        size_t n = 0;
        int rate = 0;
        if (voce_audio_read_file(paths[i], &o, &pcm, &n, &rate)) {
            fprintf(stderr, "bench_features: %s: %s\n", paths[i], voce_last_error());
            free(all);
            return NULL;
        }
        float *grown = realloc(all, sizeof(float) * (n_all + n + 1));
        if (!grown) {
            free(pcm);
            free(all);
            return NULL;
        }
        all = grown;
        memcpy(all + n_all, pcm, sizeof(float) * n);
        n_all += n;
        free(pcm);
    }
    if (!n_all) {
        free(all);
        fprintf(stderr, "bench_features: no samples in the files given\n");
        return NULL;
    }
    float *x = malloc(sizeof(float) * total);
    for (size_t k = 0; x && k < total; k += n_all)
        memcpy(x + k, all, sizeof(float) * (total - k < n_all ? total - k : n_all));
    free(all);
    return x;
}

static int bench_one(const char *label, voce_features_kind kind, const float *x, size_t n, int runs)
{
    voce_features_config c = voce_features_config_default(kind);
    c.n_mels = 80;
    voce_features *fe = NULL;
    if (voce_features_create(&c, &fe)) return fail("create");
    double secs = (double)n / RATE, t_off[64], t_str[64];
    size_t frames = 0, streamed = 0;
    float *pull = malloc(sizeof(float) * 80 * (BLOCK / 160 + 8));
    if (!pull) return fail("memory");
    for (int r = 0; r < runs; r++) {
        float *out = NULL;
        double t0 = bench_now_s();
        if (voce_features_compute(fe, x, n, &out, &frames)) return fail("compute");
        t_off[r] = bench_now_s() - t0;
        free(out);

        voce_features_reset(fe);
        streamed = 0;
        t0 = bench_now_s();
        for (size_t i = 0; i < n; i += BLOCK) {
            size_t got = 0;
            if (voce_features_push(fe, x + i, n - i < BLOCK ? n - i : BLOCK)) return fail("push");
            do {
                if (voce_features_pull(fe, pull, BLOCK / 160 + 8, &got)) return fail("pull");
                streamed += got;
            } while (got);
        }
        if (voce_features_flush(fe)) return fail("flush");
        size_t got = 0;
        do {
            if (voce_features_pull(fe, pull, BLOCK / 160 + 8, &got)) return fail("pull");
            streamed += got;
        } while (got);
        t_str[r] = bench_now_s() - t0;
    }
    qsort(t_off, (size_t)runs, sizeof(double), bench_cmp_double);
    qsort(t_str, (size_t)runs, sizeof(double), bench_cmp_double);
    printf("engine=voce frontend=%s path=offline audio_s=%.1f frames=%zu runs=%d best_s=%.4f median_s=%.4f rtf=%.6f\n",
           label, secs, frames, runs, t_off[0], t_off[runs / 2], t_off[0] / secs);
    printf("engine=voce frontend=%s path=stream audio_s=%.1f frames=%zu runs=%d best_s=%.4f median_s=%.4f rtf=%.6f\n",
           label, secs, streamed, runs, t_str[0], t_str[runs / 2], t_str[0] / secs);
    fflush(stdout);
    free(pull);
    voce_features_destroy(fe);
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = 3600;
    int runs = 3, first = 1;
    const char *write_audio = NULL;
    while (first < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "--seconds") && first + 1 < argc) seconds = atof(argv[++first]);
        else if (!strcmp(argv[first], "--runs") && first + 1 < argc) runs = atoi(argv[++first]);
        else if (!strcmp(argv[first], "--write-audio") && first + 1 < argc) write_audio = argv[++first];
        else break;
        first++;
    }
    if (first >= argc || seconds <= 0 || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: bench_features [--seconds S] [--runs R] [--write-audio OUT.npy] AUDIO...\n");
        return 2;
    }
    size_t n = (size_t)(seconds * RATE);
    float *x = build_input(argv + first, argc - first, n);
    if (!x) return 1;
    if (write_audio) {
        vc_tensor t = {.dtype = VOCE_DTYPE_F32, .rank = 1, .dims = {(int64_t)n}, .data = x};
        if (vc_npy_write(write_audio, &t)) return fail(write_audio);
    }
    if (bench_one("whisper80", VOCE_FEATURES_WHISPER, x, n, runs) ||
        bench_one("nemo80", VOCE_FEATURES_NEMO, x, n, runs) || bench_one("fbank80", VOCE_FEATURES_FBANK, x, n, runs))
        return 1;
    free(x);
    return 0;
}
