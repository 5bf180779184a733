/* The apnas command: a table of subcommands and nothing else of its own.
 * Adding a command is one line in `commands` below, one prototype in
 * cli.h and its cmd_<name>.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/version.h>

#include "cli.h"
#include "util/levenshtein.h"

static const cli_command commands[] = {
	{"plugins", cmd_plugins, "list the plugins found in the search path"},
	{"config", cmd_config, "check, show or document a configuration"},
	{"search", cmd_search, "run an architecture search, or resume one"},
	{"cost", cmd_cost, "cycles of a network on the cost model, per layer"},
	{"train", cmd_train, "retrain an architecture from scratch and report it"},
	{"ablate", cmd_ablate, "run a grid of searches over settings and seeds"},
	{"report", cmd_report, "tables and plots over finished search runs"},
	{"export", cmd_export, "a trained network for PyTorch or ONNX"},
	{"draw", cmd_draw, "the network of an architecture as a picture"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: apnas [--help] [--version] <command> [<args>]\n"
	        "\n"
	        "Hardware-aware neural architecture search.\n"
	        "\n"
	        "commands:\n");
	for (size_t k = 0; k < N_COMMANDS; k++)
		fprintf(f, "  %-10s %s\n", commands[k].name, commands[k].summary);
	fprintf(f,
	        "\n"
	        "`apnas <command> --help` explains a command.\n"
	        "\n"
	        "Plugins are found by name in the config's `path`, then in\n"
	        "$APNAS_PLUGIN_PATH (colon-separated), then in the installed\n"
	        "plugin directory; never in the current directory.\n"
	        "\n"
	        "exit status: 0 ok, 1 the run failed, 2 usage or config error\n"
	        "\n"
	        "example:\n"
	        "  apnas plugins --kind cost\n"
	        "  apnas config check run.cfg --set run.seed=7\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	/* The engine reads it where it cannot complain (core/nn/isa.c). */
	const char *isa = getenv("APNAS_NN_ISA");
	if (isa && *isa && strcmp(isa, "auto") && strcmp(isa, "avx2")) {
		cli_errorf("environment: APNAS_NN_ISA='%s': expected 'auto' (the "
		           "widest kernels the CPU runs) or 'avx2'", isa);
		return CLI_EXIT_USAGE;
	}
	if (cli_is_help(cmd) || !strcmp(cmd, "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("apnas %s (plugin ABI %u.%u)\n", APNAS_VERSION,
		       APNAS_ABI_MAJOR, APNAS_ABI_MINOR);
		return CLI_EXIT_OK;
	}
	for (size_t k = 0; k < N_COMMANDS; k++)
		if (!strcmp(cmd, commands[k].name))
			return commands[k].run(argc - 1, argv + 1);
	const char *names[N_COMMANDS];
	for (size_t k = 0; k < N_COMMANDS; k++)
		names[k] = commands[k].name;
	const char *near = apnas_nearest(cmd, names, N_COMMANDS);
	if (near)
		cli_errorf("unknown command '%s' (did you mean '%s'?); see "
		           "apnas --help", cmd, near);
	else
		cli_errorf("unknown command '%s'; see apnas --help", cmd);
	return CLI_EXIT_USAGE;
}
