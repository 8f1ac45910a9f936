/* Shared pieces of the `voce` command-line program: one entry point per subcommand,
 * and small helpers for options and errors. */
#ifndef VOCE_CLI_H
#define VOCE_CLI_H

#include "voce/voce.h"

int cmd_compile(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_vad(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_transcribe(int argc, char **argv);

/* Print "voce <cmd>: <message>" with voce_last_error() and return 1. */
int cli_fail(const char *cmd, voce_status st);
/* Like cli_fail, naming the file the failure is about: "voce <cmd>: <path>: <message>"
 * (the path is left out when the library's message already holds it). */
int cli_fail_path(const char *cmd, const char *path, voce_status st);
/* Print "voce <cmd>: <fmt...>" and "run 'voce <cmd> --help'"; return 2 (usage error). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Is argv[i] "-h" or "--help"? */
int cli_is_help(const char *arg);
/* Split "NAME=VALUE" at the first '='; returns 0 and sets *value, or -1. */
int cli_split_eq(char *arg, char **value);

/* --threads N: 0 (one per physical core, the default) to VC_THREADS_MAX. Returns 0, or
 * the exit status of a usage error (printed). */
#define CLI_THREADS_HELP                                                                           \
    "  --threads N         threads for the model's kernels; 0 = one per physical core (0)\n"
int cli_parse_threads(const char *cmd, const char *value, int *threads);

#endif
