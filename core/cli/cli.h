/* Shared pieces of the apnas command line: the command table entries,
 * --set / --format / --help parsing, error printing and exit codes.
 *
 * Conventions every command follows: data on stdout, messages on stderr
 * as one line "apnas: <msg>"; exit 0 ok, 1 the run failed, 2 usage or
 * config error (CLI_EXIT_*).  argv[0] of a command is its own name. */
#ifndef APNAS_CLI_H
#define APNAS_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include <apnas/error.h>
#include <apnas/plugin.h>

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,  /* the run failed */
	CLI_EXIT_USAGE = 2  /* bad arguments, bad config, plugin refused */
};

/* One entry of the command table in main.c. */
typedef struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* returns a CLI_EXIT_* code */
	const char *summary;               /* one line for `apnas --help` */
} cli_command;

/* The commands (one line here and one in main.c's table per command). */
int cmd_plugins(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_cost(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_ablate(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_draw(int argc, char **argv);

/* ---- messages --------------------------------------------------------- */

/* Prints "apnas: <e->msg>" and a newline to stderr. */
void cli_error(const apnas_error *e);
/* Prints "apnas: <formatted>" and a newline to stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit code for an apnas status: 0 -> 0; APNAS_EINVAL, APNAS_EPLUGIN ->
 * 2 (the user must change an input); anything else -> 1. */
int cli_exit_code(int rc);

/* ---- arguments -------------------------------------------------------- */

/* 1 if arg is "--help" or "-h". */
int cli_is_help(const char *arg);

/* Repeatable --set group.key=value arguments, in command-line order. */
typedef struct cli_sets {
	const char **v; /* owned array; strings borrowed (argv, mostly) */
	size_t n;
} cli_sets;

/* If argv[*i] is "--set X" or "--set=X", records X, advances *i past it
 * and returns 1.  Returns 0 if argv[*i] is something else, -1 (message
 * printed) if --set lacks its value or X is not group.key=value. */
int cli_take_set(int argc, char **argv, int *i, cli_sets *s);
/* SIGINT and SIGTERM set cli_stop_signal (to the signal's number), which
 * a long command checks between steps to stop cleanly; a second signal
 * has its default effect.  cli_stop_default() puts the defaults back. */
extern volatile sig_atomic_t cli_stop_signal;
void cli_stop_on_signals(void);
void cli_stop_default(void);

/* Appends v (borrowed: it must outlive s); -1 when out of memory. */
int cli_sets_add(cli_sets *s, const char *v);
void cli_sets_free(cli_sets *s);

typedef enum cli_format {
	CLI_FORMAT_TABLE = 0,
	CLI_FORMAT_JSON = 1
} cli_format;

/* If argv[*i] is "--format F" or "--format=F", parses F ("table",
 * "json"), advances *i and returns 1; 0 if not --format; -1 (message
 * printed) if F is missing or unknown. */
int cli_take_format(int argc, char **argv, int *i, cli_format *f);

/* If argv[*i] is "--<name> V" or "--<name>=V", stores V (pointing into
 * argv), advances *i and returns 1; 0 if not; -1 (message printed) if the
 * value is missing. */
int cli_take_value(int argc, char **argv, int *i, const char *name,
                   const char **value);

/* The value s of option opt of command cmd as a whole number >= min, or
 * -1 (one line printed: "cmd: opt s: expected a whole number >= min"). */
long long cli_parse_count(const char *cmd, const char *opt, const char *s,
                          long long min);

/* Parses a plugin kind name ("space", ...); 0 (message printed) if
 * unknown. */
apnas_kind cli_parse_kind(const char *s);

/* Prints "apnas: <cmd>: unknown argument '<arg>' (see apnas <cmd>
 * --help)" and returns CLI_EXIT_USAGE. */
int cli_bad_arg(const char *cmd, const char *arg);

/* ---- output ----------------------------------------------------------- */

/* Writes s as a JSON string literal, quotes included. */
void cli_json_string(FILE *f, const char *s);

#endif
