/* voce transcribe: speech to text with times, through the ASR API (include/voce/asr.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "voce/asr.h"

static const char help[] =
    "usage: voce transcribe -m MODEL.voce AUDIO... [options]\n"
    "\n"
    "Transcribe audio files with a speech-recognition program (voce compile --family\n"
    "whisper|transducer|ctc DIR). Files are decoded (WAV; FLAC, Ogg, MP3 with libsndfile),\n"
    "mixed to mono and resampled to the model's rate. Whisper decoding follows\n"
    "openai-whisper's transcribe(): 30 s windows, timestamp tokens, temperature fallback,\n"
    "conditioning on earlier text. NeMo transducer and CTC programs decode greedily in one\n"
    "stream, long input encoded in windows (--beam N > 1: NeMo's beam search, TDT and\n"
    "RNN-T): --language (other than auto), --task translate, --beam N > 1 with CTC,\n"
    "--temperature above 0 and --prompt are refused for them; --best-of, --no-fallback,\n"
    "--no-condition, --no-timestamps and --seed change nothing (docs/transducer.md).\n"
    "\n"
    "options:\n"
    "  -m, --model FILE        the program (required)\n"
    "  -l, --language L        language code or name, or 'auto' to detect (auto)\n"
    "  --task T                transcribe, or translate (to English) (transcribe)\n"
    "  --beam N                beam search with N beams at temperature 0; 1 = greedy,\n"
    "                          about N times faster (Whisper 5, NeMo transducers 1)\n"
    "  --best-of N             candidates sampled at temperatures above 0 (5)\n"
    "  --temperature T         first temperature; fallback goes up from it by 0.2 (0)\n"
    "  --no-fallback           decode once at --temperature\n"
    "  --word-timestamps       word times from the alignment heads\n"
    "  --no-timestamps         text only: no timestamp tokens, one segment per window\n"
    "  --prompt TEXT           text the first window is conditioned on\n"
    "  --no-condition          do not condition each window on the text before it\n"
    "  --vad MODEL.voce        a Silero VAD program: decode only the speech it finds\n"
    "                          (on for audio over 30 s; --vad-always for all audio)\n"
    "  --vad-always            with --vad, gate every input\n"
    "  --format F              txt, srt, vtt, tsv, json or verbose_json (txt)\n"
    "  -o, --output-dir DIR    write AUDIO's name with the format's extension there\n"
    "                          instead of printing to standard output\n"
    "  --seed N                seed for sampling at temperatures above 0 (0)\n"
    "  -q, --quiet             no progress on standard error\n"
    CLI_THREADS_HELP
    "\n"
    "Progress goes to standard error for inputs longer than 30 s. Exit status: 0 done,\n"
    "1 a model or audio failure (files before it are written), 2 bad usage.\n"
    "See docs/whisper.md and docs/transducer.md.\n";

#define CMD "transcribe"

typedef struct {
    const char *model, *vad, *out_dir, *format_name;
    const char **files;
    int n_files, quiet, vad_always;
    voce_transcript_format format;
    voce_asr_config cfg;
    voce_transcribe_params p;
} tr_args;

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || x < lo || x > hi)
        return cli_usage_error(CMD, "%s needs an integer from %d to %d", opt, lo, hi);
    *out = (int)x;
    return 0;
}

static int parse_float(const char *opt, const char *v, double lo, double hi, float *out)
{
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : 0;
    if (!v || errno || *end || !(x >= lo && x <= hi))
        return cli_usage_error(CMD, "%s needs a number from %g to %g", opt, lo, hi);
    *out = (float)x;
    return 0;
}

/* One option at argv[*i]; returns 0, or an exit status. */
static int parse_option(tr_args *a, int argc, char **argv, int *i)
{
    const char *o = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    int used = 1, rc = 0;
    if (!strcmp(o, "-m") || !strcmp(o, "--model")) a->model = v;
    else if (!strcmp(o, "-l") || !strcmp(o, "--language")) a->p.language = v;
    else if (!strcmp(o, "--task")) {
        if (v && !strcmp(v, "translate")) a->p.task = VOCE_TASK_TRANSLATE;
        else if (!v || strcmp(v, "transcribe")) return cli_usage_error(CMD, "--task is transcribe or translate");
    } else if (!strcmp(o, "--beam")) rc = parse_int(o, v, 1, 64, &a->p.beam_size);
    else if (!strcmp(o, "--best-of")) rc = parse_int(o, v, 1, 64, &a->p.best_of);
    else if (!strcmp(o, "--temperature")) rc = parse_float(o, v, 0, 1, &a->p.temperature);
    else if (!strcmp(o, "--prompt")) a->p.initial_prompt = v;
    else if (!strcmp(o, "--vad")) a->cfg.vad_model = v;
    else if (!strcmp(o, "--format")) a->format_name = v;
    else if (!strcmp(o, "-o") || !strcmp(o, "--output-dir")) a->out_dir = v;
    else if (!strcmp(o, "--threads")) rc = cli_parse_threads(CMD, v, &a->cfg.threads);
    else if (!strcmp(o, "--seed")) {
        int s;
        rc = parse_int(o, v, 0, 2147483647, &s);
        a->p.seed = (uint64_t)s;
    } else {
        used = 0;
        if (!strcmp(o, "--no-fallback")) a->p.temperature_increment = 0;
        else if (!strcmp(o, "--word-timestamps")) a->p.word_timestamps = 1;
        else if (!strcmp(o, "--no-timestamps")) a->p.timestamps = 0;
        else if (!strcmp(o, "--no-condition")) a->p.condition_on_previous_text = 0;
        else if (!strcmp(o, "--vad-always")) a->vad_always = 1;
        else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) a->quiet = 1;
        else return cli_usage_error(CMD, "unknown option '%s'", o);
    }
    if (used && !v) return cli_usage_error(CMD, "%s needs a value", o);
    *i += used;
    return rc;
}

static int parse_args(tr_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->cfg = voce_asr_config_default();
    a->p = voce_transcribe_params_default();
    a->files = calloc((size_t)argc, sizeof *a->files);
    if (!a->files) return cli_usage_error(CMD, "out of memory");
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return -1;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            int rc = parse_option(a, argc, argv, &i);
            if (rc) return rc;
        } else {
            a->files[a->n_files++] = argv[i];
        }
    }
    if (!a->model) return cli_usage_error(CMD, "-m MODEL.voce is required");
    if (!a->n_files) return cli_usage_error(CMD, "no audio file given");
    if (a->p.language && !strcmp(a->p.language, "auto")) a->p.language = NULL;
    if (a->vad_always && !a->cfg.vad_model) return cli_usage_error(CMD, "--vad-always needs --vad MODEL");
    if (a->cfg.vad_model) a->p.vad = a->vad_always ? 1 : -1;
    if (a->format_name && voce_transcript_format_parse(a->format_name, &a->format))
        return cli_usage_error(CMD, "--format: %s", voce_last_error());
    return 0;
}

static void progress(double fraction, void *user)
{
    const char *file = user;
    fprintf(stderr, "\rvoce transcribe: %s: %3.0f%%", file, fraction * 100.0);
    if (fraction >= 1.0) fputc('\n', stderr);
    fflush(stderr);
}

static const char *extension(voce_transcript_format f)
{
    static const char *const ext[] = {"txt", "srt", "vtt", "tsv", "json", "json"};
    return ext[f];
}

/* AUDIO's name without directory and extension, in DIR, with the format's extension. */
static int output_path(const tr_args *a, const char *file, char *out, size_t n)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    const char *dot = strrchr(base, '.');
    int len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    return snprintf(out, n, "%s/%.*s.%s", a->out_dir, len, base, extension(a->format)) < (int)n;
}

static int write_result(const tr_args *a, const char *file, const char *text, size_t len)
{
    if (!a->out_dir) {
        if (a->n_files > 1 && a->format == VOCE_FORMAT_TXT) printf("# %s\n", file);
        fwrite(text, 1, len, stdout);
        return 0;
    }
    char path[4096];
    if (!output_path(a, file, path, sizeof path)) {
        fprintf(stderr, "voce %s: output path for %s is too long\n", CMD, file);
        return 1;
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
        fprintf(stderr, "voce %s: %s: %s\n", CMD, path, strerror(errno));
        return 1;
    }
    return 0;
}

static int transcribe_one(tr_args *a, voce_asr *asr, const char *file)
{
    voce_transcribe_params p = a->p;
    if (!a->quiet) {
        p.progress = progress;
        p.user_data = (void *)file;
    }
    voce_transcript *t = NULL;
    voce_status st = voce_asr_transcribe_file(asr, file, &p, &t);
    if (st) return cli_fail_path(CMD, file, st);
    char *text = NULL;
    size_t len = 0;
    st = voce_transcript_write(t, a->format, &text, &len);
    voce_transcript_free(t);
    if (st) return cli_fail(CMD, st);
    int rc = write_result(a, file, text, len);
    free(text);
    return rc;
}

int cmd_transcribe(int argc, char **argv)
{
    tr_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc) {
        free(a.files);
        return rc < 0 ? 0 : rc;
    }
    if (a.out_dir && mkdir(a.out_dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "voce %s: %s: %s\n", CMD, a.out_dir, strerror(errno));
        free(a.files);
        return 1;
    }
    voce_asr *asr = NULL;
    voce_status st = voce_asr_open(a.model, &a.cfg, &asr);
    if (st) {
        free(a.files);
        return cli_fail_path(CMD, a.model, st);
    }
    for (int i = 0; i < a.n_files && !rc; i++) rc = transcribe_one(&a, asr, a.files[i]);
    voce_asr_close(asr);
    free(a.files);
    return rc;
}
