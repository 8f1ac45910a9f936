/* voce features: the log-mel features a speech model expects, from an audio file to .npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/error.h"
#include "core/npy.h"
#include "voce/audio.h"
#include "voce/features.h"

static const char help[] =
    "usage: voce features --kind whisper|nemo|fbank AUDIO -o OUT.npy [options]\n"
    "       voce features -m MODEL.voce AUDIO -o OUT.npy [options]\n"
    "\n"
    "Compute a speech model's input features from an audio file (decoded, mixed to mono\n"
    "and resampled to the front end's rate, 16 kHz) and write them as float32 .npy.\n"
    "  whisper  openai-whisper log_mel_spectrogram: values as Whisper's encoder takes them\n"
    "  nemo     NeMo's mel preprocessor: per-feature normalised, frames padded to 16\n"
    "  fbank    Kaldi fbank (torchaudio.compliance.kaldi.fbank), samples as read (+-1)\n"
    "With -m the settings come from the program's features.* metadata.\n"
    "\n"
    "options:\n"
    "  --kind K               whisper, nemo or fbank\n"
    "  -m, --model FILE       take the front end a .voce program names instead\n"
    "  --n-mels N             mel bands (80; Whisper large-v3 uses 128)\n"
    "  --pad-30s              whisper: append 30 s of zeros first, as transcribe() does\n"
    "  --no-normalize         nemo: leave out the per-feature normalisation\n"
    "  --magnitude            nemo, fbank: mel of |X| instead of |X|^2 (NeMo mag_power 1,\n"
    "                         Kaldi use_power false)\n"
    "  --layout L             frames-first ([frames, n_mels], the default) or\n"
    "                         mels-first ([n_mels, frames], as Whisper and NeMo hold it)\n"
    "  -o, --output FILE      the .npy to write (required)\n"
    "\n"
    "Exit status: 0 done, 1 an audio, model or output failure, 2 bad usage.\n"
    "See docs/features.md.\n";

#define CMD "features"
#define MAX_MELS 1024

typedef struct {
    const char *audio, *out, *model;
    voce_features_kind kind;
    int n_mels;            /* 0: the front end's default */
    int pad_30s, no_normalize, magnitude, mels_first;
} features_args;

static int set_valued(features_args *a, const char *opt, const char *v)
{
    if (!strcmp(opt, "-o") || !strcmp(opt, "--output")) { a->out = v; return 0; }
    if (!strcmp(opt, "-m") || !strcmp(opt, "--model")) { a->model = v; return 0; }
    if (!strcmp(opt, "--kind")) {
        a->kind = voce_features_kind_parse(v);
        return a->kind ? 0 : cli_usage_error(CMD, "--kind '%s': expected whisper, nemo or fbank", v);
    }
    if (!strcmp(opt, "--layout")) {
        if (strcmp(v, "frames-first") && strcmp(v, "mels-first"))
            return cli_usage_error(CMD, "--layout '%s': expected frames-first or mels-first", v);
        a->mels_first = !strcmp(v, "mels-first");
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10); /* --n-mels */
    if (end == v || *end || errno == ERANGE || n < 1 || n > MAX_MELS)
        return cli_usage_error(CMD, "--n-mels '%s': expected an integer from 1 to %d", v, MAX_MELS);
    a->n_mels = (int)n;
    return 0;
}

static int is_valued(const char *opt)
{
    static const char *const names[] = {"-o", "--output", "-m", "--model", "--kind", "--layout", "--n-mels", NULL};
    for (int i = 0; names[i]; i++)
        if (!strcmp(opt, names[i])) return 1;
    return 0;
}

static int check_args(const features_args *a)
{
    if (!a->audio) return cli_usage_error(CMD, "no audio file given");
    if (!a->out) return cli_usage_error(CMD, "no output given (-o OUT.npy)");
    if (!a->kind && !a->model) return cli_usage_error(CMD, "no front end given (--kind K or -m MODEL.voce)");
    if (a->kind && a->model) return cli_usage_error(CMD, "--kind and -m both name the front end: give one");
    if (a->pad_30s && a->kind && a->kind != VOCE_FEATURES_WHISPER)
        return cli_usage_error(CMD, "--pad-30s is for --kind whisper");
    if (a->no_normalize && a->kind && a->kind != VOCE_FEATURES_NEMO)
        return cli_usage_error(CMD, "--no-normalize is for --kind nemo");
    if (a->magnitude && a->kind == VOCE_FEATURES_WHISPER)
        return cli_usage_error(CMD, "--magnitude is for --kind nemo or fbank (Whisper takes the power spectrum)");
    return 0;
}

/* 0 to go on, -1 after --help, else the exit status of a usage error. */
static int parse(int argc, char **argv, features_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || !arg[1]) {
            if (a->audio) return cli_usage_error(CMD, "one audio file at a time ('%s' and '%s')", a->audio, arg);
            a->audio = arg;
            continue;
        }
        if (cli_is_help(arg)) { fputs(help, stdout); return -1; }
        if (!strcmp(arg, "--pad-30s")) { a->pad_30s = 1; continue; }
        if (!strcmp(arg, "--no-normalize")) { a->no_normalize = 1; continue; }
        if (!strcmp(arg, "--magnitude")) { a->magnitude = 1; continue; }
        if (!is_valued(arg)) return cli_usage_error(CMD, "unknown option '%s'", arg);
        if (i + 1 == argc) return cli_usage_error(CMD, "%s needs a value", arg);
        int rc = set_valued(a, arg, argv[++i]);
        if (rc) return rc;
    }
    return check_args(a);
}

/* The front end's settings: from the program, or the kind's defaults; then the options. */
static int make_config(const features_args *a, voce_features_config *c)
{
    if (a->model) {
        voce_program *prog = NULL;
        voce_status st = voce_program_open(a->model, NULL, &prog);
        if (!st) st = voce_features_config_from_program(prog, c);
        voce_program_close(prog);
        if (st) return cli_fail_path(CMD, a->model, st);
        if (a->pad_30s && c->kind != VOCE_FEATURES_WHISPER)
            return cli_usage_error(CMD, "--pad-30s is for Whisper front ends; %s names another", a->model);
        if (a->no_normalize && c->kind != VOCE_FEATURES_NEMO)
            return cli_usage_error(CMD, "--no-normalize is for NeMo front ends; %s names another", a->model);
        if (a->magnitude && c->kind == VOCE_FEATURES_WHISPER)
            return cli_usage_error(CMD, "--magnitude is for NeMo and fbank front ends; %s names Whisper", a->model);
    } else {
        *c = voce_features_config_default(a->kind);
    }
    if (a->n_mels) c->n_mels = a->n_mels;
    if (a->pad_30s) c->whisper_pad_30s = 1;
    if (a->no_normalize) c->nemo_normalize = 0;
    if (a->magnitude) c->magnitude = 1;
    return 0;
}

static float *transpose(const float *x, size_t rows, size_t cols)
{
    size_t n = rows * cols;
    float *t = malloc(sizeof(float) * (n ? n : 1));
    if (!t) return NULL;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
    return t;
}

static int write_npy(const features_args *a, float *frames, size_t n_frames, int n_mels)
{
    vc_tensor t = {.dtype = VOCE_DTYPE_F32, .rank = 2, .dims = {(int64_t)n_frames, n_mels}, .data = frames};
    float *tr = NULL;
    if (a->mels_first) {
        if (!(tr = transpose(frames, n_frames, (size_t)n_mels))) {
            fprintf(stderr, "voce %s: out of memory\n", CMD);
            return 1;
        }
        t.dims[0] = n_mels;
        t.dims[1] = (int64_t)n_frames;
        t.data = tr;
    }
    voce_status st = vc_npy_write(a->out, &t);
    free(tr);
    return st ? cli_fail_path(CMD, a->out, st) : 0;
}

int cmd_features(int argc, char **argv)
{
    features_args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    voce_features_config cfg;
    if ((rc = make_config(&a, &cfg))) return rc;
    voce_features *fe = NULL;
    voce_status st = voce_features_create(&cfg, &fe);
    if (st) return cli_fail(CMD, st);
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = cfg.sample_rate;
    float *pcm = NULL, *frames = NULL;
    size_t n = 0, n_frames = 0;
    int rate = 0;
    st = voce_audio_read_file(a.audio, &o, &pcm, &n, &rate);
    if (st) rc = cli_fail_path(CMD, a.audio, st);
    if (!rc && (st = voce_features_compute(fe, pcm, n, &frames, &n_frames))) rc = cli_fail_path(CMD, a.audio, st);
    if (!rc) rc = write_npy(&a, frames, n_frames, cfg.n_mels);
    if (!rc)
        printf("wrote %s: %zu frames x %d mels (%s, %zu samples at %d Hz)\n", a.out, n_frames, cfg.n_mels,
               cfg.kind == VOCE_FEATURES_WHISPER ? "whisper" : cfg.kind == VOCE_FEATURES_NEMO ? "nemo" : "fbank", n,
               rate);
    free(frames);
    free(pcm);
    voce_features_destroy(fe);
    return rc;
}
