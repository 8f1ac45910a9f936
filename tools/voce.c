/* voce: the command-line program. One subcommand per file (cmd_*.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/threads.h"

static const char usage[] =
    "usage: voce <command> [options]\n"
    "\n"
    "commands:\n"
    "  compile     compile ONNX models into one .voce program\n"
    "  info        describe a .voce program: methods, inputs, outputs, metadata\n"
    "  run         run a method of a program on .npy arrays\n"
    "  vad         find speech in audio files or a live stream (Silero VAD)\n"
    "  features    compute a speech model's log-mel features (Whisper, NeMo, Kaldi fbank)\n"
    "  transcribe  speech to text with times (Whisper)\n"
    "\n"
    "'voce <command> --help' describes a command. 'voce --version' prints the version.\n";

int cli_fail(const char *cmd, voce_status st)
{
    fprintf(stderr, "voce %s: %s: %s\n", cmd, voce_status_str(st), voce_last_error());
    return 1;
}

int cli_fail_path(const char *cmd, const char *path, voce_status st)
{
    const char *msg = voce_last_error();
    if (strstr(msg, path)) return cli_fail(cmd, st);
    fprintf(stderr, "voce %s: %s: %s: %s\n", cmd, path, voce_status_str(st), msg);
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "voce %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nrun 'voce %s --help' for usage\n", cmd);
    return 2;
}

int cli_is_help(const char *arg) { return !strcmp(arg, "-h") || !strcmp(arg, "--help"); }

int cli_split_eq(char *arg, char **value)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return -1;
    *eq = 0;
    *value = eq + 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("voce %s\n", voce_version());
        return 0;
    }
    if (!strcmp(argv[1], "compile")) return cmd_compile(argc - 1, argv + 1);
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "vad")) return cmd_vad(argc - 1, argv + 1);
    if (!strcmp(argv[1], "features")) return cmd_features(argc - 1, argv + 1);
    if (!strcmp(argv[1], "transcribe")) return cmd_transcribe(argc - 1, argv + 1);
    fprintf(stderr, "voce: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}

int cli_parse_threads(const char *cmd, const char *value, int *threads)
{
    char *end = NULL;
    long v = strtol(value, &end, 10);
    if (!*value || *end || v < 0 || v > VC_THREADS_MAX)
        return cli_usage_error(cmd, "--threads '%s': expected 0 (one per core) to %d", value,
                               VC_THREADS_MAX);
    *threads = (int)v;
    return 0;
}
