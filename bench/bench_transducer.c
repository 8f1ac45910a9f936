/* A NeMo transducer program (voce compile --family transducer) on a long WAV cut into
 * fixed consecutive pieces, each transcribed as its own utterance: the voce side of
 * bench/transducer_peers.sh, which runs ONNX Runtime (bench/transducer_ort.js) and
 * sherpa-onnx (bench/transducer_sherpa.js) on the same ONNX files and pieces beside it.
 *
 * usage: bench_transducer MODEL.voce --wav FILE [--threads N] [--piece-s S] [--pieces P]
 *                         [--feats-out DIR [--features-only 1]] [--tokens-out FILE]
 *
 * FILE (16-bit PCM mono, 16 kHz) is cut every S seconds (default 30); the last piece
 * holds what is left; P keeps the first P pieces only. Each piece goes through what
 * voce_asr_transcribe does for it, stage by stage, timed apart: the program's front end
 * (NeMo log-mel, per-feature normalisation over the piece), the encoder over the whole
 * piece, and the greedy decode with its result (tokens, words, segments, text).
 *
 * Prints one line of key=value pairs: the totals over all pieces (wall ms of the front
 * end, the encoder, the decode and their sum; process CPU ms of the same), the tokens and
 * joint evaluations of the decodes, the time to open the program, the process's peak
 * resident memory. --feats-out writes each piece's encoder input for a peer to run on:
 * DIR/piece-NNN.npy f32 [1, feat_dim, T] and DIR/piece-NNN-len.npy i64 [1] (the valid
 * frames), with --features-only 1 without running the encoder and decoder; --tokens-out
 * the greedy token ids, a line per piece, space-separated. Nothing here asserts on time. */
#include "bench_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/npy.h"
#include "models/transducer/transcribe.h"
#include "voce/voce.h"
#include "wavread.h"

typedef struct bench_args {
    const char *model, *wav, *feats_out, *tokens_out;
    int threads, pieces, features_only;
    double piece_s;
} bench_args;

/* Totals over the pieces, milliseconds (wall, then process CPU). */
typedef struct bench_totals {
    double fe, enc, dec;
    double fe_cpu, enc_cpu, dec_cpu;
    long tokens, evaluations;
    int pieces;
} bench_totals;

/* CPU seconds of the process, all threads. */
static double cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_transducer: %s: %s\n", what, voce_last_error());
    return 1;
}

static int parse_args(int argc, char **argv, bench_args *a)
{
    *a = (bench_args){.model = argv[1], .piece_s = 30.0};
    for (int i = 2; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_transducer: %s needs a value\n", k);
            return 2;
        }
        if (!strcmp(k, "--threads")) a->threads = atoi(v);
        else if (!strcmp(k, "--piece-s")) a->piece_s = atof(v);
        else if (!strcmp(k, "--pieces")) a->pieces = atoi(v);
        else if (!strcmp(k, "--wav")) a->wav = v;
        else if (!strcmp(k, "--feats-out")) a->feats_out = v;
        else if (!strcmp(k, "--tokens-out")) a->tokens_out = v;
        else if (!strcmp(k, "--features-only")) a->features_only = atoi(v);
        else {
            fprintf(stderr, "bench_transducer: unknown option %s\n", k);
            return 2;
        }
    }
    if (!a->wav) {
        fprintf(stderr, "bench_transducer: --wav FILE is required\n");
        return 2;
    }
    if (!(a->piece_s >= 0.1)) {
        fprintf(stderr, "bench_transducer: --piece-s must be at least 0.1\n");
        return 2;
    }
    return 0;
}

/* The piece's features as the encoder takes them, [feat_dim][frames], and the valid
 * frames (NeMo's seq_len, n / hop), as transcribe.c computes them. */
static int features(vc_td_runner *r, const float *pcm, size_t n, float **feats, int *n_total, int *n_valid)
{
    float *rows = NULL;
    size_t nf = 0;
    if (voce_features_compute(r->fe, pcm, n, &rows, &nf)) return fail("features");
    size_t F = (size_t)r->model.feat_dim;
    *feats = malloc(sizeof(float) * F * (nf ? nf : 1));
    if (!*feats) {
        free(rows);
        return 1;
    }
    for (size_t t = 0; t < nf; t++)
        for (size_t f = 0; f < F; f++) (*feats)[f * nf + t] = rows[t * F + f];
    free(rows);
    size_t valid = n / (size_t)r->hop;
    *n_total = (int)nf;
    *n_valid = (int)(valid < nf ? valid : nf);
    return 0;
}

static int write_feats(const char *dir, int piece, const float *feats, int F, int n_total, int n_valid)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/piece-%03d.npy", dir, piece);
    vc_tensor t = {.dtype = VOCE_DTYPE_F32, .rank = 3, .dims = {1, F, n_total}, .data = (void *)feats};
    if (vc_npy_write(path, &t)) return fail(path);
    int64_t len = n_valid;
    snprintf(path, sizeof path, "%s/piece-%03d-len.npy", dir, piece);
    vc_tensor l = {.dtype = VOCE_DTYPE_I64, .rank = 1, .dims = {1}, .data = &len};
    return vc_npy_write(path, &l) ? fail(path) : 0;
}

/* One piece: front end, encoder, decode with its result; adds to the totals. */
static int piece(vc_td_runner *r, const bench_args *a, int i, const float *pcm, size_t n, FILE *tf,
                 bench_totals *t)
{
    vc_td_model *m = &r->model;
    float *feats = NULL;
    int n_total = 0, n_valid = 0;
    double t0 = bench_now_s(), c0 = cpu_now_s();
    int rc = features(r, pcm, n, &feats, &n_total, &n_valid);
    double t1 = bench_now_s(), c1 = cpu_now_s();
    if (!rc && a->feats_out) rc = write_feats(a->feats_out, i, feats, m->feat_dim, n_total, n_valid);
    if (a->features_only) {
        free(feats);
        return rc;
    }
    double t2 = bench_now_s(), c2 = cpu_now_s();
    if (!rc && vc_td_model_encode(m, feats, n_total, n_valid)) rc = fail("encoder");
    free(feats);
    double t3 = bench_now_s(), c3 = cpu_now_s();
    vc_td_hyp h = {0};
    vc_td_transcript out = {0};
    if (!rc && vc_td_decode(m, &h)) rc = fail("decode");
    if (!rc && vc_td_transcript_of(m, &h, &out)) rc = fail("transcript");
    double t4 = bench_now_s(), c4 = cpu_now_s();
    t->fe += (t1 - t0) * 1e3;
    t->enc += (t3 - t2) * 1e3;
    t->dec += (t4 - t3) * 1e3;
    t->fe_cpu += (c1 - c0) * 1e3;
    t->enc_cpu += (c3 - c2) * 1e3;
    t->dec_cpu += (c4 - c3) * 1e3;
    t->tokens += h.n;
    t->evaluations += h.evaluations;
    if (!rc && tf) {
        for (int k = 0; k < h.n; k++) fprintf(tf, k ? " %d" : "%d", (int)h.tokens[k]);
        fputc('\n', tf);
    }
    vc_td_transcript_free(&out);
    vc_td_hyp_free(&h);
    return rc;
}

static int run(vc_td_runner *r, const bench_args *a, bench_totals *t)
{
    size_t n = 0;
    int rate = 0;
    float *pcm = vt_read_wav16(a->wav, &n, &rate);
    if (!pcm || rate != r->sample_rate) {
        fprintf(stderr, "bench_transducer: %s: not a %d Hz 16-bit mono WAV file\n", a->wav, r->sample_rate);
        free(pcm);
        return 1;
    }
    FILE *tf = NULL;
    if (a->tokens_out && !(tf = fopen(a->tokens_out, "w"))) {
        fprintf(stderr, "bench_transducer: cannot write %s\n", a->tokens_out);
        free(pcm);
        return 1;
    }
    size_t step = (size_t)(a->piece_s * r->sample_rate + 0.5);
    int rc = 0;
    for (size_t at = 0; !rc && at < n && (a->pieces <= 0 || t->pieces < a->pieces); at += step) {
        rc = piece(r, a, t->pieces, pcm + at, n - at < step ? n - at : step, tf, t);
        t->pieces++;
    }
    if (tf && fclose(tf)) rc = 1;
    free(pcm);
    return rc;
}

static void report(const bench_args *a, const bench_totals *t, double open_ms, double audio_s)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("threads=%d pieces=%d audio_s=%.2f total_ms=%.1f features_ms=%.1f encoder_ms=%.1f decode_ms=%.1f "
           "total_cpu_ms=%.1f features_cpu_ms=%.1f encoder_cpu_ms=%.1f decode_cpu_ms=%.1f tokens=%ld "
           "evaluations=%ld open_ms=%.1f peak_rss_mb=%.1f\n",
           a->threads, t->pieces, audio_s, t->fe + t->enc + t->dec, t->fe, t->enc, t->dec,
           t->fe_cpu + t->enc_cpu + t->dec_cpu, t->fe_cpu, t->enc_cpu, t->dec_cpu, t->tokens, t->evaluations,
           open_ms, ru.ru_maxrss / 1024.0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_transducer MODEL.voce --wav FILE [--threads N] [--piece-s S] [--pieces P]\n"
                        "                        [--feats-out DIR [--features-only 1]] [--tokens-out FILE]\n");
        return 2;
    }
    bench_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    double t0 = bench_now_s();
    voce_program *p;
    if (voce_program_open(a.model, NULL, &p)) return fail("program");
    voce_method_options mo = voce_method_options_default();
    mo.threads = a.threads;
    vc_td_runner r;
    if (vc_td_runner_open(&r, p, &mo)) {
        rc = fail("transducer model");
    } else {
        double open_ms = (bench_now_s() - t0) * 1e3;
        bench_totals t = {0};
        rc = run(&r, &a, &t);
        if (!rc) report(&a, &t, open_ms, t.pieces * a.piece_s);
        vc_td_runner_close(&r);
    }
    voce_program_close(p);
    return rc;
}
