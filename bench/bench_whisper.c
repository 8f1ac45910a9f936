/* Whisper's two costs on a compiled program (voce compile --family whisper): the encoder
 * per 30 s window, and the decoder per token while its KV cache fills. The voce half of
 * bench/whisper_speed.sh, which runs whisper.cpp on the same weights beside it.
 *
 * usage: bench_whisper MODEL.voce [--threads N] [--steps K] [--windows W]
 *
 * The encoder runs W times (default 3) on a fixed log-mel; the decoder then takes the
 * 4-token SOT sequence and K (default 200) greedy steps after it, one token per call, as
 * a transcription does (argmax over the logits included, no decoding rules). Prints one
 * line of key=value pairs: the median encoder time, the mean time per decoded token, and
 * the process's peak resident memory. Nothing here asserts on time. */
#include "bench_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "models/whisper/model.h"
#include "voce/voce.h"

static int fail(const char *what)
{
    fprintf(stderr, "bench_whisper: %s: %s\n", what, voce_last_error());
    return 1;
}

static int32_t argmax(const float *x, int n)
{
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_whisper MODEL.voce [--threads N] [--steps K] [--windows W]\n");
        return 2;
    }
    int threads = 0, steps = 200, windows = 3;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--windows")) windows = atoi(argv[i + 1]);
    }
    voce_program *p;
    if (voce_program_open(argv[1], NULL, &p)) return fail(argv[1]);
    voce_method_options mo = voce_method_options_default();
    mo.threads = threads;
    vc_whisper_model m;
    if (vc_whisper_model_open(&m, p, &mo)) return fail("open");
    if (steps > m.d.n_text_ctx - 4) steps = m.d.n_text_ctx - 4;
    size_t n_mel = (size_t)m.d.n_mels * 2 * (size_t)m.d.n_audio_ctx;
    float *mel = malloc(n_mel * sizeof *mel);
    double *enc = malloc(sizeof *enc * (size_t)(windows > 0 ? windows : 1));
    if (!mel || !enc) return 1;
    for (size_t i = 0; i < n_mel; i++) mel[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    for (int w = 0; w < windows; w++) {
        double t0 = (bench_now_s() * 1e3);
        if (vc_whisper_model_encode(&m, mel)) return fail("encode");
        enc[w] = (bench_now_s() * 1e3) - t0;
    }
    qsort(enc, (size_t)windows, sizeof *enc, bench_cmp_double);
    int32_t sot[4] = {m.tok.sot, m.tok.language_begin, m.tok.transcribe, m.tok.no_timestamps};
    int n_sot = m.multilingual ? 4 : 2;
    if (!m.multilingual) sot[1] = m.tok.no_timestamps;
    const float *logits;
    double t0 = (bench_now_s() * 1e3);
    if (vc_whisper_model_decode(&m, sot, n_sot, &logits)) return fail("decode");
    double t_prompt = (bench_now_s() * 1e3) - t0;
    int32_t tok = argmax(logits + (size_t)(n_sot - 1) * (size_t)m.d.n_vocab, m.d.n_vocab);
    t0 = (bench_now_s() * 1e3);
    for (int s = 0; s < steps; s++) {
        if (vc_whisper_model_decode(&m, &tok, 1, &logits)) return fail("decode");
        tok = argmax(logits, m.d.n_vocab);
    }
    double t_steps = (bench_now_s() * 1e3) - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("threads=%d encoder_ms=%.2f encoder_min_ms=%.2f prompt_ms=%.3f decode_ms_per_token=%.3f "
           "steps=%d peak_rss_mb=%.1f\n", threads, enc[windows / 2], enc[0], t_prompt,
           steps ? t_steps / steps : 0.0, steps, ru.ru_maxrss / 1024.0);
    vc_whisper_model_close(&m);
    voce_program_close(p);
    free(mel);
    free(enc);
    return 0;
}
