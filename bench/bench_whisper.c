/* Whisper's two costs on a compiled program (voce compile --family whisper): the encoder
 * per 30 s window, and the decoder per token while its KV cache fills. The voce side of
 * bench/whisper_peers.sh, which runs ONNX Runtime (bench/whisper_ort.js) on the same ONNX
 * files and whisper.cpp on the same weights beside it.
 *
 * usage: bench_whisper MODEL.voce [--threads N] [--steps K] [--windows W] [--wav FILE]
 *                      [--mel-out FILE.npy] [--tokens-out FILE]
 *
 * Without --wav the encoder runs W times (default 3) on a fixed synthetic log-mel and the
 * decoder once after it. With --wav FILE (16-bit PCM mono, 16 kHz) the log-mel of the file
 * (Whisper's, 30 s of zeros appended, as transcribe() computes it) is cut into the windows
 * a transcription without timestamps seeks through: every 3000 frames, the last one
 * zero-filled past the audio (W = ceil(audio frames / 3000), at least 1). Each window is
 * encoded once and then decoded: the SOT sequence in one call (4 tokens, 2 for
 * English-only models) and K (default 200) greedy steps after it, one token per call, as
 * a transcription does (argmax over the logits included, no decoding rules; end of text
 * does not stop it). A fixed workload: the same calls whatever the weights.
 *
 * Prints one line of key=value pairs: the median, least and mean encoder time per window, the
 * mean SOT call, the mean time per decoded token over all windows, the time of the
 * log-mel (mel_ms, --wav only), the process's peak resident memory, and the process's CPU
 * time for the median encoder window and per decoded token (on a shared machine the CPU
 * time of a one-thread run is the steadier figure).
 * --mel-out writes the encoder inputs, [W, n_mels, 3000] float32, for a peer to run on
 * (holding them all costs memory: make that a run of its own); --tokens-out writes the
 * greedy tokens, a line per window: the K + 1 argmaxes (after the SOT call and after each
 * step), space-separated. Nothing here asserts on time. */
#include "bench_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/npy.h"
#include "models/whisper/model.h"
#include "voce/features.h"
#include "voce/voce.h"
#include "wavread.h"

typedef struct bench_args {
    const char *model, *wav, *mel_out, *tokens_out;
    int threads, steps, windows;
} bench_args;

/* The encoder's inputs: W windows of [n_mels][F] (F = 2 n_audio_ctx) cut from a
 * frame-major log-mel [frames][n_mels] as a transcription cuts them (one window buffer,
 * refilled), or one synthetic window used W times. */
typedef struct bench_mels {
    float *mel;        /* [frames][n_mels], NULL for the synthetic window */
    size_t content;    /* frames of audio (the padding excluded) */
    float *window;     /* [n_mels][F] */
    int n, n_mels, F;
    double mel_ms;
} bench_mels;

/* CPU seconds of the process, all threads: with one thread, the time the work would take
 * on a core of its own, whatever else the machine runs (waiting for a core not counted). */
static double cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

static int parse_args(int argc, char **argv, bench_args *a)
{
    *a = (bench_args){.model = argv[1], .steps = 200, .windows = 3};
    for (int i = 2; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_whisper: %s needs a value\n", k);
            return 2;
        }
        if (!strcmp(k, "--threads")) a->threads = atoi(v);
        else if (!strcmp(k, "--steps")) a->steps = atoi(v);
        else if (!strcmp(k, "--windows")) a->windows = atoi(v);
        else if (!strcmp(k, "--wav")) a->wav = v;
        else if (!strcmp(k, "--mel-out")) a->mel_out = v;
        else if (!strcmp(k, "--tokens-out")) a->tokens_out = v;
        else {
            fprintf(stderr, "bench_whisper: unknown option %s\n", k);
            return 2;
        }
    }
    if (a->windows < 1) a->windows = 1;
    if (a->steps < 0) a->steps = 0;
    return 0;
}

static int mels_alloc(bench_mels *out, const vc_whisper_dims *d)
{
    out->n_mels = d->n_mels;
    out->F = 2 * d->n_audio_ctx;
    out->window = calloc((size_t)out->n_mels * (size_t)out->F, sizeof *out->window);
    return out->window ? 0 : 1;
}

/* A fixed synthetic log-mel, encoded w times. */
static int synthetic_mels(const vc_whisper_dims *d, int w, bench_mels *out)
{
    if (mels_alloc(out, d)) return 1;
    out->n = w;
    for (size_t i = 0; i < (size_t)out->n_mels * (size_t)out->F; i++)
        out->window[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return 0;
}

/* The log-mel of a WAV file, 30 s of zeros appended as transcribe() does; its windows are
 * those a transcription without timestamps seeks through (window_fill). */
static int wav_mels(const char *path, const vc_whisper_dims *d, bench_mels *out)
{
    size_t n = 0;
    int rate = 0;
    float *pcm = vt_read_wav16(path, &n, &rate);
    if (!pcm || rate != 16000) {
        fprintf(stderr, "bench_whisper: %s: not a 16 kHz 16-bit mono WAV file\n", path);
        free(pcm);
        return 1;
    }
    voce_features_config fc = voce_features_config_default(VOCE_FEATURES_WHISPER);
    fc.n_mels = d->n_mels;
    fc.whisper_pad_30s = 1;
    voce_features *fe = NULL;
    size_t frames = 0;
    double t0 = bench_now_s();
    voce_status st = voce_features_create(&fc, &fe);
    if (!st) st = voce_features_compute(fe, pcm, n, &out->mel, &frames);
    out->mel_ms = (bench_now_s() - t0) * 1e3;
    voce_features_destroy(fe);
    free(pcm);
    if (st) return fail(path);
    if (mels_alloc(out, d)) return 1;
    size_t F = (size_t)out->F;
    out->content = frames > F ? frames - F : 0;
    out->n = out->content ? (int)((out->content + F - 1) / F) : 1;
    return 0;
}

/* Window w into mels->window: frames [F w, F w + F) of the audio, zeros past its end
 * (openai-whisper's pad_or_trim of mel[:, seek:seek + segment_size]). */
static const float *window_fill(bench_mels *mels, int w)
{
    if (!mels->mel) return mels->window;
    size_t F = (size_t)mels->F, M = (size_t)mels->n_mels, seek = (size_t)w * F;
    size_t size = mels->content - seek < F ? mels->content - seek : F;
    for (size_t m = 0; m < M; m++) {
        float *row = mels->window + m * F;
        for (size_t f = 0; f < F; f++) row[f] = f < size ? mels->mel[(seek + f) * M + m] : 0.0f;
    }
    return mels->window;
}

/* All windows as one [W, n_mels, F] float32 .npy file. */
static int write_mels(const char *path, bench_mels *mels)
{
    size_t size = (size_t)mels->n_mels * (size_t)mels->F;
    float *all = malloc(size * (size_t)mels->n * sizeof *all);
    if (!all) return 1;
    for (int w = 0; w < mels->n; w++) memcpy(all + size * (size_t)w, window_fill(mels, w), size * sizeof *all);
    vc_tensor t = {.dtype = VOCE_DTYPE_F32, .rank = 3, .dims = {mels->n, mels->n_mels, mels->F}, .data = all};
    voce_status st = vc_npy_write(path, &t);
    free(all);
    return st ? fail(path) : 0;
}

/* What run() measures, in ms: encoder per window (wall, CPU), SOT calls and steps. */
typedef struct bench_times {
    double *enc, *enc_cpu;
    double prompt_ms, steps_ms, steps_cpu_ms;
    int n_decoded;
} bench_times;

/* One window's decode: the SOT call, then `steps` single-token calls; the argmaxes go to
 * tok[0 .. steps]. Times are added to *t. */
static int decode_window(vc_whisper_model *m, int steps, int32_t *tok, bench_times *t)
{
    int32_t sot[4] = {m->tok.sot, m->tok.language_begin, m->tok.transcribe, m->tok.no_timestamps};
    int n_sot = m->multilingual ? 4 : 2;
    if (!m->multilingual) sot[1] = m->tok.no_timestamps;
    const float *logits;
    double t0 = bench_now_s();
    if (vc_whisper_model_decode(m, sot, n_sot, &logits)) return fail("decode");
    tok[0] = argmax(logits + (size_t)(n_sot - 1) * (size_t)m->d.n_vocab, m->d.n_vocab);
    double t1 = bench_now_s(), c1 = cpu_now_s();
    for (int s = 0; s < steps; s++) {
        if (vc_whisper_model_decode(m, &tok[s], 1, &logits)) return fail("decode");
        tok[s + 1] = argmax(logits, m->d.n_vocab);
    }
    t->prompt_ms += (t1 - t0) * 1e3;
    t->steps_ms += (bench_now_s() - t1) * 1e3;
    t->steps_cpu_ms += (cpu_now_s() - c1) * 1e3;
    return 0;
}

static void write_tokens(FILE *f, const int32_t *tok, int n)
{
    for (int i = 0; i < n; i++) fprintf(f, i ? " %d" : "%d", (int)tok[i]);
    fputc('\n', f);
}

/* Synthetic mel: W encodes, one decode after the last. WAV: encode and decode each window. */
static int run(vc_whisper_model *m, const bench_args *a, bench_mels *mels, bench_times *t)
{
    FILE *tf = NULL;
    if (a->tokens_out && !(tf = fopen(a->tokens_out, "w"))) {
        fprintf(stderr, "bench_whisper: cannot write %s\n", a->tokens_out);
        return 1;
    }
    int32_t *tok = malloc(sizeof *tok * ((size_t)a->steps + 1));
    int rc = tok ? 0 : 1;
    for (int w = 0; !rc && w < mels->n; w++) {
        const float *window = window_fill(mels, w);
        double t0 = bench_now_s(), c0 = cpu_now_s();
        if (vc_whisper_model_encode(m, window)) rc = fail("encode");
        t->enc[w] = (bench_now_s() - t0) * 1e3;
        t->enc_cpu[w] = (cpu_now_s() - c0) * 1e3;
        if (rc || (!a->wav && w + 1 < mels->n)) continue;
        rc = decode_window(m, a->steps, tok, t);
        t->n_decoded += 1;
        if (!rc && tf) write_tokens(tf, tok, a->steps + 1);
    }
    if (tf && fclose(tf)) rc = 1;
    free(tok);
    return rc;
}

static void report(const bench_args *a, const bench_mels *mels, bench_times *t)
{
    double enc_sum = 0;
    for (int w = 0; w < mels->n; w++) enc_sum += t->enc[w];
    qsort(t->enc, (size_t)mels->n, sizeof *t->enc, bench_cmp_double);
    qsort(t->enc_cpu, (size_t)mels->n, sizeof *t->enc_cpu, bench_cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int n_tok = a->steps * t->n_decoded;
    printf("threads=%d encoder_ms=%.2f encoder_min_ms=%.2f prompt_ms=%.3f decode_ms_per_token=%.3f "
           "steps=%d peak_rss_mb=%.1f windows=%d mel_ms=%.2f decode_total_ms=%.1f encoder_cpu_ms=%.2f "
           "decode_cpu_ms_per_token=%.3f encoder_mean_ms=%.2f\n",
           a->threads, t->enc[mels->n / 2], t->enc[0], t->n_decoded ? t->prompt_ms / t->n_decoded : 0.0,
           n_tok ? t->steps_ms / n_tok : 0.0, a->steps, ru.ru_maxrss / 1024.0, mels->n, mels->mel_ms,
           t->prompt_ms + t->steps_ms, t->enc_cpu[mels->n / 2], n_tok ? t->steps_cpu_ms / n_tok : 0.0,
           enc_sum / mels->n);
}

/* Everything after the model is open; frees what it made. */
static int bench(vc_whisper_model *m, bench_args *a)
{
    int n_sot = m->multilingual ? 4 : 2;
    if (a->steps > m->d.n_text_ctx - n_sot) a->steps = m->d.n_text_ctx - n_sot;
    bench_mels mels = {.mel = NULL};
    bench_times t = {.enc = NULL};
    int rc = a->wav ? wav_mels(a->wav, &m->d, &mels) : synthetic_mels(&m->d, a->windows, &mels);
    if (!rc && a->mel_out) rc = write_mels(a->mel_out, &mels);
    if (!rc) {
        t.enc = malloc(sizeof *t.enc * (size_t)mels.n);
        t.enc_cpu = malloc(sizeof *t.enc_cpu * (size_t)mels.n);
        rc = t.enc && t.enc_cpu ? run(m, a, &mels, &t) : 1;
    }
    if (!rc) report(a, &mels, &t);
    free(mels.mel);
    free(mels.window);
    free(t.enc);
    free(t.enc_cpu);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_whisper MODEL.voce [--threads N] [--steps K] [--windows W] [--wav FILE]\n"
                        "                     [--mel-out FILE.npy] [--tokens-out FILE]\n");
        return 2;
    }
    bench_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    voce_program *p;
    if (voce_program_open(a.model, NULL, &p)) return fail("program");
    voce_method_options mo = voce_method_options_default();
    mo.threads = a.threads;
    vc_whisper_model m;
    if (vc_whisper_model_open(&m, p, &mo)) {
        rc = fail("whisper model");
    } else {
        rc = bench(&m, &a);
        vc_whisper_model_close(&m);
    }
    voce_program_close(p);
    return rc;
}
