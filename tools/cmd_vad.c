/* voce vad: speech segments of audio files, or live events from raw PCM on stdin. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/error.h"
#include "voce/audio.h"
#include "voce/vad.h"

static const char help[] =
    "usage: voce vad -m MODEL.voce AUDIO... [options]\n"
    "       voce vad -m MODEL.voce --stdin [--rate HZ] [--channels N] [--stdin-format F] [options]\n"
    "\n"
    "Find speech with a Silero VAD program (voce compile --family silero-vad). Files are\n"
    "decoded (WAV; FLAC, Ogg, MP3 with libsndfile), mixed to mono and resampled to the\n"
    "VAD rate a block at a time, so memory stays flat however long the file.\n"
    "With --stdin, raw PCM is read from standard input and each event is printed the\n"
    "moment it is decided, one per line: 'start SECONDS SAMPLE', 'end SECONDS SAMPLE'\n"
    "(and 'prob SECONDS P' with --probs). End of input or Ctrl-C closes open speech.\n"
    "\n"
    "options:\n"
    "  -m, --model FILE        the VAD program (required)\n"
    "  --threshold X           speech when a window's probability >= X, 0 < X < 1 (0.5)\n"
    "  --neg-threshold X       silence when the probability < X, X <= threshold\n"
    "                          (default max(threshold - 0.15, 0.01))\n"
    "  --min-speech-ms N       drop segments of N ms or shorter (250)\n"
    "  --min-silence-ms N      silence that ends speech (100)\n"
    "  --pad-ms N              padding on each side of a segment (30)\n"
    "  --max-speech-s S        split segments longer than S seconds; 0 = unlimited (0)\n"
    "  --vad-rate 16000|8000   the rate the model runs at; audio is resampled to it (16000)\n"
    "  --format F              text, json, csv or rttm (text); with --stdin, text or json\n"
    "  --probs                 per-window speech probabilities: instead of segments for\n"
    "                          text and csv, beside them for json\n"
    "  --stdin                 read raw PCM from standard input instead of files\n"
    "  --rate HZ               sample rate of the --stdin stream (16000)\n"
    "  --channels N            interleaved channels of the --stdin stream (1)\n"
    "  --stdin-format F        f32le or s16le (f32le)\n"
    "  --threads N             threads for the model's kernels; 0 = one per physical core\n"
    "                          (0; Silero's windows are too small to gain from more)\n"
    "\n"
    "Output (times in seconds, 3 decimals; samples at the VAD rate):\n"
    "  text  'START<TAB>END' per segment, '# FILE' before each file when there are several\n"
    "  json  one object per file per line: file, sample_rate, model_version, samples,\n"
    "        duration, segments [{start, end, start_sample, end_sample}] (+ window, probs)\n"
    "  csv   file,start,end,start_sample,end_sample (--probs: file,time,prob)\n"
    "  rttm  SPEAKER <file name without extension> 1 START DURATION <NA> <NA> speech <NA> <NA>\n"
    "\n"
    "Exit status: 0 done, 1 a model or audio failure (files before it are printed),\n"
    "2 bad usage. See docs/vad.md.\n";

#define CMD "vad"
#define BLOCK 4096           /* samples per read: small enough for live input, large
                                enough that per-call costs vanish for files */
#define MAX_MS 3600000       /* one hour: beyond any sane setting */
#define MIN_RATE 1000        /* below this no speech survives; a typo more likely */
#define MAX_RATE 768000      /* the highest rate audio interfaces offer */

typedef enum { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_RTTM } out_format;

typedef struct {
    const char *model;
    const char **files;
    int n_files;
    int use_stdin, probs;
    int window;              /* samples per window, once the VAD is open */
    int stdin_opts;          /* a --rate/--channels/--stdin-format was given */
    int rate, channels;
    voce_raw_format raw_format;
    out_format format;
    voce_vad_config vc;
} vad_args;

typedef struct {
    int64_t start, end;      /* samples; end < 0 while the segment is open */
} seg;

/* Everything printed about one file. */
typedef struct {
    const char *path;
    int rate, version, window;
    int64_t samples;
    seg *segs;
    size_t n_segs, cap_segs;
    const float *probs;
    size_t n_probs;
} file_result;

/* ---- option parsing ---- */

static int parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return cli_usage_error(CMD, "%s '%s': not a number", opt, s);
    *out = v;
    return 0;
}

static int parse_int(const char *opt, const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno == ERANGE)
        return cli_usage_error(CMD, "%s '%s': not an integer", opt, s);
    if (v < lo || v > hi) return cli_usage_error(CMD, "%s %ld: must be from %ld to %ld", opt, v, lo, hi);
    *out = (int)v;
    return 0;
}

static int parse_enum(const char *opt, const char *s, const char *const *names, int *out)
{
    char list[128] = "";
    for (int i = 0; names[i]; i++) {
        if (!strcmp(s, names[i])) { *out = i; return 0; }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    }
    return cli_usage_error(CMD, "%s '%s': expected one of %s", opt, s, list);
}

static int set_threshold(const char *opt, const char *s, double *out)
{
    int rc = parse_double(opt, s, out);
    if (!rc && !(*out > 0 && *out < 1))
        return cli_usage_error(CMD, "%s %s: must be between 0 and 1 (exclusive)", opt, s);
    return rc;
}

static int set_stdin_option(vad_args *a, const char *opt, const char *v)
{
    static const char *const raw_names[] = {"f32le", "s16le", NULL};
    a->stdin_opts = 1;
    if (!strcmp(opt, "--rate")) return parse_int(opt, v, MIN_RATE, MAX_RATE, &a->rate);
    if (!strcmp(opt, "--channels")) return parse_int(opt, v, 1, VOCE_AUDIO_MAX_CHANNELS, &a->channels);
    int k = 0, rc = parse_enum(opt, v, raw_names, &k);
    a->raw_format = k == 0 ? VOCE_RAW_F32LE : VOCE_RAW_S16LE;
    return rc;
}

static int set_vad_rate(const char *opt, const char *v, int *rate)
{
    int rc = parse_int(opt, v, 0, MAX_RATE, rate);
    if (!rc && *rate != 16000 && *rate != 8000)
        return cli_usage_error(CMD, "%s %s: Silero VAD runs at 16000 or 8000 Hz", opt, v);
    return rc;
}

static int set_max_speech(const char *opt, const char *v, double *s)
{
    int rc = parse_double(opt, v, s);
    if (!rc && (*s < 0 || *s > MAX_MS / 1000.0))
        return cli_usage_error(CMD, "%s %s: must be from 0 (unlimited) to %d", opt, v, MAX_MS / 1000);
    return rc;
}

/* Options that take a value; set_option handles each of them. */
static const char *const valued_options[] = {
    "-m", "--model", "--threshold", "--neg-threshold", "--min-speech-ms", "--min-silence-ms", "--pad-ms",
    "--max-speech-s", "--vad-rate", "--format", "--rate", "--channels", "--stdin-format", "--threads",
    NULL};

static int is_valued_option(const char *opt)
{
    for (int i = 0; valued_options[i]; i++)
        if (!strcmp(opt, valued_options[i])) return 1;
    return 0;
}

static int set_option(vad_args *a, const char *opt, const char *v)
{
    static const char *const formats[] = {"text", "json", "csv", "rttm", NULL};
    voce_vad_config *c = &a->vc;
    if (!strcmp(opt, "-m") || !strcmp(opt, "--model")) { a->model = v; return 0; }
    if (!strcmp(opt, "--threshold")) return set_threshold(opt, v, &c->threshold);
    if (!strcmp(opt, "--neg-threshold")) return set_threshold(opt, v, &c->neg_threshold);
    if (!strcmp(opt, "--min-speech-ms")) return parse_int(opt, v, 0, MAX_MS, &c->min_speech_ms);
    if (!strcmp(opt, "--min-silence-ms")) return parse_int(opt, v, 0, MAX_MS, &c->min_silence_ms);
    if (!strcmp(opt, "--pad-ms")) return parse_int(opt, v, 0, MAX_MS, &c->speech_pad_ms);
    if (!strcmp(opt, "--max-speech-s")) return set_max_speech(opt, v, &c->max_speech_s);
    if (!strcmp(opt, "--vad-rate")) return set_vad_rate(opt, v, &c->sample_rate);
    if (!strcmp(opt, "--threads")) return cli_parse_threads(CMD, v, &c->threads);
    if (!strcmp(opt, "--format")) {
        int k = 0, rc = parse_enum(opt, v, formats, &k);
        a->format = (out_format)k;
        return rc;
    }
    return set_stdin_option(a, opt, v);
}

/* Checks that need all options seen. */
static int check_args(const vad_args *a)
{
    if (!a->model) return cli_usage_error(CMD, "no model given (-m MODEL.voce)");
    if (a->use_stdin && a->n_files)
        return cli_usage_error(CMD, "--stdin reads no files, but '%s' was given", a->files[0]);
    if (!a->use_stdin && !a->n_files) return cli_usage_error(CMD, "no audio given (files, or --stdin)");
    if (!a->use_stdin && a->stdin_opts)
        return cli_usage_error(CMD, "--rate, --channels and --stdin-format describe --stdin input only");
    if (a->use_stdin && a->format != FMT_TEXT && a->format != FMT_JSON)
        return cli_usage_error(CMD, "--stdin prints events as text or json lines, not csv or rttm");
    if (a->format == FMT_RTTM && a->probs) return cli_usage_error(CMD, "rttm has no place for --probs");
    if (a->vc.neg_threshold >= 0 && a->vc.neg_threshold > a->vc.threshold)
        return cli_usage_error(CMD, "--neg-threshold %g is above --threshold %g", a->vc.neg_threshold,
                               a->vc.threshold);
    return 0;
}

/* 0 to go on, -1 after --help, else the exit status of a usage error. */
static int parse(int argc, char **argv, vad_args *a)
{
    memset(a, 0, sizeof *a);
    a->vc = voce_vad_config_default();
    a->rate = 16000;
    a->channels = 1;
    a->raw_format = VOCE_RAW_F32LE;
    a->files = malloc(sizeof *a->files * (size_t)argc);
    if (!a->files) { fprintf(stderr, "voce %s: out of memory\n", CMD); return 1; }
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_files || arg[0] != '-' || !arg[1]) { a->files[a->n_files++] = arg; continue; }
        if (cli_is_help(arg)) { fputs(help, stdout); return -1; }
        if (!strcmp(arg, "--")) { only_files = 1; continue; }
        if (!strcmp(arg, "--stdin")) { a->use_stdin = 1; continue; }
        if (!strcmp(arg, "--probs")) { a->probs = 1; continue; }
        if (!is_valued_option(arg)) return cli_usage_error(CMD, "unknown option '%s'", arg);
        if (i + 1 == argc) return cli_usage_error(CMD, "%s needs a value", arg);
        int rc = set_option(a, arg, argv[++i]);
        if (rc) return rc;
    }
    a->vc.keep_probs = a->probs;
    return check_args(a);
}

/* ---- output ---- */

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 if the bytes there are not one. */
static int utf8_len(const unsigned char *s)
{
    unsigned char lo = 0x80, hi = 0xbf;
    int n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    if (s[0] == 0xe0) lo = 0xa0;
    if (s[0] == 0xed) hi = 0x9f;
    if (s[0] == 0xf0) lo = 0x90;
    if (s[0] == 0xf4) hi = 0x8f;
    if (n && (s[1] < lo || s[1] > hi)) return 0;
    for (int k = 2; k < n; k++)
        if ((s[k] & 0xc0) != 0x80) return 0;
    return n;
}

/* File names are bytes; JSON must be UTF-8, so bytes that are not become U+FFFD. */
static void json_string(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    while (*s) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if (*s < 0x20) fprintf(f, "\\u%04x", *s);
        else if (*s < 0x80) fputc(*s, f);
        else {
            int n = utf8_len(s);
            if (n) { fwrite(s, 1, (size_t)n, f); s += n; continue; }
            fputs("\\ufffd", f);
        }
        s++;
    }
    fputc('"', f);
}

/* RFC 4180: quote a field holding a separator, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) { fputs(s, f); return; }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* RTTM names a recording by its file name without directory and extension; fields are
 * separated by whitespace, so whitespace in the name becomes '_'. */
static void rttm_uri(const char *path, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/');
    snprintf(buf, cap, "%s", base ? base + 1 : path);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = 0;
    for (char *c = buf; *c; c++)
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') *c = '_';
    if (!*buf) snprintf(buf, cap, "audio");
}

static double secs(int64_t sample, int rate) { return (double)sample / rate; }

static void print_json(const file_result *r, int probs)
{
    printf("{\"file\":");
    json_string(stdout, r->path);
    printf(",\"sample_rate\":%d,\"model_version\":%d,\"samples\":%lld,\"duration\":%.3f,\"segments\":[", r->rate,
           r->version, (long long)r->samples, secs(r->samples, r->rate));
    for (size_t i = 0; i < r->n_segs; i++)
        printf("%s{\"start\":%.3f,\"end\":%.3f,\"start_sample\":%lld,\"end_sample\":%lld}", i ? "," : "",
               secs(r->segs[i].start, r->rate), secs(r->segs[i].end, r->rate), (long long)r->segs[i].start,
               (long long)r->segs[i].end);
    printf("]");
    if (probs) {
        printf(",\"window\":%d,\"probs\":[", r->window);
        for (size_t i = 0; i < r->n_probs; i++) printf("%s%.9g", i ? "," : "", r->probs[i]);
        printf("]");
    }
    printf("}\n");
}

static void print_csv(const file_result *r, int probs)
{
    for (size_t i = 0; probs && i < r->n_probs; i++) {
        csv_field(stdout, r->path);
        printf(",%.3f,%.9g\n", secs((int64_t)i * r->window, r->rate), r->probs[i]);
    }
    for (size_t i = 0; !probs && i < r->n_segs; i++) {
        csv_field(stdout, r->path);
        printf(",%.3f,%.3f,%lld,%lld\n", secs(r->segs[i].start, r->rate), secs(r->segs[i].end, r->rate),
               (long long)r->segs[i].start, (long long)r->segs[i].end);
    }
}

static void print_rttm(const file_result *r)
{
    char uri[1024];
    rttm_uri(r->path, uri, sizeof uri);
    for (size_t i = 0; i < r->n_segs; i++)
        printf("SPEAKER %s 1 %.3f %.3f <NA> <NA> speech <NA> <NA>\n", uri, secs(r->segs[i].start, r->rate),
               secs(r->segs[i].end - r->segs[i].start, r->rate));
}

static void print_text(const file_result *r, int probs, int several)
{
    if (several) printf("# %s\n", r->path);
    for (size_t i = 0; probs && i < r->n_probs; i++)
        printf("%.3f\t%.9g\n", secs((int64_t)i * r->window, r->rate), r->probs[i]);
    for (size_t i = 0; !probs && i < r->n_segs; i++)
        printf("%.3f\t%.3f\n", secs(r->segs[i].start, r->rate), secs(r->segs[i].end, r->rate));
}

static void print_result(const vad_args *a, const file_result *r, int first)
{
    switch (a->format) {
    case FMT_JSON: print_json(r, a->probs); break;
    case FMT_RTTM: print_rttm(r); break;
    case FMT_CSV:
        if (first) puts(a->probs ? "file,time,prob" : "file,start,end,start_sample,end_sample");
        print_csv(r, a->probs);
        break;
    default: print_text(r, a->probs, a->n_files > 1);
    }
}

/* ---- files ---- */

static int add_event(file_result *r, const voce_vad_event *e)
{
    if (e->type == VOCE_VAD_SPEECH_END) {
        if (r->n_segs && r->segs[r->n_segs - 1].end < 0) r->segs[r->n_segs - 1].end = e->sample;
        return 0;
    }
    if (r->n_segs == r->cap_segs) {
        size_t cap = r->cap_segs ? 2 * r->cap_segs : 64;
        seg *s = realloc(r->segs, cap * sizeof *s);
        if (!s) return -1;
        r->segs = s;
        r->cap_segs = cap;
    }
    r->segs[r->n_segs++] = (seg){e->sample, -1};
    return 0;
}

/* Move the VAD's queued events into the segment list. */
static voce_status drain_events(voce_vad *vad, file_result *r)
{
    voce_vad_event e;
    while (voce_vad_next_event(vad, &e))
        if (add_event(r, &e)) return vc_error(VOCE_ERR_NOMEM, "out of memory for %zu segments", r->n_segs);
    return VOCE_OK;
}

/* Decode, resample and push the whole file; the audio itself is never stored. */
static voce_status push_file(voce_vad *vad, voce_audio *au, file_result *r)
{
    static float buf[BLOCK];
    size_t n;
    voce_status st;
    while (!(st = voce_audio_read(au, buf, BLOCK, &n)) && n > 0) {
        if ((st = voce_vad_push(vad, buf, n))) return st;
        if ((st = drain_events(vad, r))) return st;
        r->samples += (int64_t)n;
    }
    if (st) return st;
    if ((st = voce_vad_flush(vad))) return st;
    return drain_events(vad, r);
}

static voce_status run_file(const vad_args *a, voce_vad *vad, file_result *r)
{
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = a->vc.sample_rate;
    voce_audio *au = NULL;
    voce_vad_reset(vad);
    r->n_segs = 0;
    r->samples = 0;
    voce_status st = voce_audio_open(r->path, &o, &au);
    if (!st) st = push_file(vad, au, r);
    voce_audio_close(au);
    r->probs = a->probs ? voce_vad_probs(vad, &r->n_probs) : NULL;
    return st;
}

static int run_files(const vad_args *a, voce_vad *vad)
{
    file_result r = {.rate = a->vc.sample_rate, .version = voce_vad_model_version(vad),
                     .window = voce_vad_window(vad)};
    int rc = 0;
    for (int i = 0; i < a->n_files && !rc; i++) {
        r.path = a->files[i];
        voce_status st = run_file(a, vad, &r);
        if (st) rc = cli_fail_path(CMD, r.path, st);
        else print_result(a, &r, i == 0);
        fflush(stdout);
    }
    free(r.segs);
    return rc;
}

/* ---- live stream from stdin ---- */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* No SA_RESTART: a read blocked on a silent pipe must return so the loop sees the flag.
 * SA_RESETHAND: a second Ctrl-C kills at once should closing ever hang. Installed even
 * where a shell set SIGINT to ignored (background jobs): a stop should always close the
 * open speech rather than be lost. */
static void install_stop_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void print_stream_line(int json, const char *what, int64_t sample, int rate)
{
    if (json) printf("{\"event\":\"%s\",\"time\":%.3f,\"sample\":%lld}\n", what, secs(sample, rate), (long long)sample);
    else printf("%s %.3f %lld\n", what, secs(sample, rate), (long long)sample);
    fflush(stdout);
}

/* Callbacks of the live stream: each line goes out the moment the VAD decides it. */
static void stream_event(const voce_vad_event *e, void *user)
{
    const vad_args *a = user;
    print_stream_line(a->format == FMT_JSON, e->type == VOCE_VAD_SPEECH_START ? "start" : "end", e->sample,
                      a->vc.sample_rate);
}

static void stream_window(int64_t index, float p, void *user)
{
    const vad_args *a = user;
    int64_t sample = index * a->window;
    double t = secs(sample, a->vc.sample_rate);
    if (a->format == FMT_JSON)
        printf("{\"event\":\"prob\",\"time\":%.3f,\"sample\":%lld,\"prob\":%.9g}\n", t, (long long)sample, p);
    else printf("prob %.3f %.9g\n", t, p);
    fflush(stdout);
}

static voce_status stream(voce_vad *vad, voce_audio *au)
{
    static float buf[BLOCK];
    size_t n;
    voce_status st = VOCE_OK;
    int stopped = 0;
    while (!voce_audio_at_end(au)) {
        if (stop_requested && !stopped) { /* take what is buffered, read nothing new */
            voce_audio_stop(au);
            stopped = 1;
        }
        if ((st = voce_audio_read(au, buf, BLOCK, &n))) return st;
        if (n && (st = voce_vad_push(vad, buf, n))) return st;
        if (stopped && n == 0) break;
    }
    /* End of input or a stop signal: close open speech so its end is printed. */
    return voce_vad_flush(vad);
}

static int run_stdin(const vad_args *a, voce_vad *vad)
{
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = a->vc.sample_rate;
    voce_audio *au = NULL;
    voce_status st = voce_audio_open_raw(0, a->raw_format, a->rate, a->channels, &o, &au);
    if (st) return cli_fail_path(CMD, "stdin", st);
    install_stop_handler();
    st = stream(vad, au);
    voce_audio_close(au);
    return st ? cli_fail_path(CMD, "stdin", st) : 0;
}

int cmd_vad(int argc, char **argv)
{
    vad_args a;
    int rc = parse(argc, argv, &a);
    if (rc) {
        free(a.files);
        return rc < 0 ? 0 : rc;
    }
    voce_vad *vad = NULL;
    if (a.use_stdin) { /* lines are printed from the callbacks; nothing is kept */
        a.vc.on_event = stream_event;
        a.vc.on_window = a.probs ? stream_window : NULL;
        a.vc.user_data = &a;
        a.vc.keep_probs = 0;
        a.vc.max_queued_events = 0;
    }
    voce_status st = voce_vad_open(a.model, &a.vc, &vad);
    if (!st) a.window = voce_vad_window(vad);
    if (st) rc = cli_fail_path(CMD, a.model, st);
    else rc = a.use_stdin ? run_stdin(&a, vad) : run_files(&a, vad);
    voce_vad_close(vad);
    free(a.files);
    /* A full disk or closed pipe must not pass for success. */
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "voce %s: cannot write the output: %s\n", CMD, strerror(errno));
        if (!rc) rc = 1;
    }
    return rc;
}
