/* `apnas search`: parses the command line, turns SIGINT and SIGTERM into
 * a flag the search loop checks between steps, and hands over to
 * apnas_search_run (core/search).  Exit status: 0 the run derived its
 * results, 1 it failed (e.g. a non-finite loss), 2 bad arguments or
 * config, 128 + signal number when SIGINT/SIGTERM stopped it after writing
 * a checkpoint (the shell's convention for "stopped by that signal", so
 * `apnas search ... && apnas train ...` does not go on with a run that is
 * not finished). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mpi/mpi.h"
#include "search/search.h"

static void help(void)
{
	printf("usage: apnas search CONFIG [--set group.key=value]... "
	       "[--out DIR] [--quiet]\n"
	       "       apnas search --resume DIR [--set search.epochs=N] "
	       "[--set search.time_limit=S] [--quiet]\n"
	       "\n"
	       "Runs the architecture search CONFIG describes: per epoch a\n"
	       "shared-weight phase and a controller phase, then derives the\n"
	       "Pareto front of accuracy against cycles, the best architecture\n"
	       "by reward and the top k.  Everything goes into the run\n"
	       "directory (docs/run-directory.md): the resolved config,\n"
	       "samples.jsonl, epochs.csv, checkpoint/, candidates.csv,\n"
	       "pareto.csv, best.arch, top/, summary.json.\n"
	       "\n"
	       "--out DIR     run directory (default <run.dir>/<config name>-\n"
	       "              seed<run.seed>); a finished or unfinished run\n"
	       "              there is never overwritten\n"
	       "--resume DIR  continue the run in DIR from its last checkpoint\n"
	       "              with DIR/config.cfg; only search.epochs,\n"
	       "              search.time_limit and run.threads may be --set\n"
	       "--set         override a config key (repeatable)\n"
	       "--quiet       no progress on stderr\n"
	       "\n"
	       "Progress goes to stderr (a live line on a terminal, else one\n"
	       "line per epoch); the Pareto table and file paths to stdout.\n"
	       "SIGINT or SIGTERM stops at the next step with a checkpoint\n"
	       "(a second SIGINT kills at once).\n"
	       "\n"
	       "exit status: 0 done, 1 the run failed, 2 usage or config error,\n"
	       "130 / 143 stopped by SIGINT / SIGTERM (checkpoint written)\n"
	       "\n"
	       "Under mpirun -np N (a build with -Dmpi), the shared-weight\n"
	       "phase trains data-parallel: each rank takes its share of\n"
	       "every batch; rank 0 writes the run directory (docs/mpi.md).\n"
	       "\n"
	       "example:\n"
	       "  apnas search configs/toy.cfg --out runs/toy\n"
	       "  apnas search --resume runs/toy --set search.epochs=20\n");
}

int cmd_search(int argc, char **argv)
{
	cli_sets sets = {NULL, 0};
	const char *config = NULL, *out = NULL, *resume = NULL;
	int quiet = 0;
	for (int i = 1; i < argc; i++) {
		int r;
		if (cli_is_help(argv[i])) {
			help();
			cli_sets_free(&sets);
			return CLI_EXIT_OK;
		}
		if ((r = cli_take_set(argc, argv, &i, &sets)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "out", &out)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "resume", &resume)) !=
		            0) {
			if (r < 0) {
				cli_sets_free(&sets);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if (argv[i][0] == '-' || config) {
			cli_sets_free(&sets);
			return cli_bad_arg("search", argv[i]);
		} else {
			config = argv[i];
		}
	}
	if (!config == !resume) {
		cli_errorf("search: give a CONFIG or --resume DIR (not both); "
		           "see apnas search --help");
		cli_sets_free(&sets);
		return CLI_EXIT_USAGE;
	}

	/* Under mpirun: MPI first, then our signal handlers over its own. */
	apnas_error err;
	apnas_error_clear(&err);
	if (apnas_mpi_start("search", &err) < 0) {
		cli_sets_free(&sets);
		cli_error(&err);
		return cli_exit_code(err.code);
	}
	cli_stop_on_signals();

	apnas_search_args a = {
		.config_path = config,
		.sets = sets.v,
		.nsets = sets.n,
		.out_dir = out,
		.resume_dir = resume,
		.quiet = quiet,
		.out = stdout,
		.msg = stderr,
		.stop = &cli_stop_signal,
	};
	apnas_search_result res;
	int rc = apnas_search_run(&a, &res, &err);
	cli_sets_free(&sets);
	if (rc < 0 && res.lone_failure) {
		/* the other ranks wait for this one in a collective */
		cli_error(&err);
		apnas_mpi_abort(cli_exit_code(rc));
	}
	apnas_mpi_finish();
	cli_stop_default();
	if (rc == APNAS_EINTR && res.stopped_by)
		return 128 + res.stopped_by;
	if (rc < 0) {
		if (!res.quiet)
			cli_error(&err);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}
