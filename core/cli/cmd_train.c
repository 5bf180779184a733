/* `apnas train`: the arguments, then apnas_train_run (core/train), which
 * retrains one architecture from scratch in its own run directory.  Exit
 * status as `apnas search`'s: 0 trained, 1 failed, 2 bad arguments or a
 * refusal, 128 + the signal when one stopped it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mpi/mpi.h"
#include "train/train.h"

typedef struct train_args {
	const char *config;   /* positional CONFIG, or NULL */
	const char *arch;     /* --arch */
	const char *out;      /* --out, or NULL */
	const char *resume;   /* --resume DIR, or NULL */
	long epochs;          /* --epochs, 0 = the train group's */
	int quiet;
	cli_sets sets;
} train_args;

static void help(void)
{
	printf("usage: apnas train [CONFIG] --arch FILE [--epochs N] "
	       "[--set group.key=value]...\n"
	       "                   [--out DIR] [--quiet]\n"
	       "       apnas train --resume DIR [--epochs N] [--quiet]\n"
	       "\n"
	       "Trains the architecture in FILE (an architecture file,\n"
	       "docs/arch-format.md) from scratch with its own weights on the\n"
	       "whole training file, evaluates it on the test split after each\n"
	       "epoch, and prints test accuracy, parameters, MACs and the cycles\n"
	       "of the configured cost model for exactly the trained network.\n"
	       "\n"
	       "--arch FILE   the architecture; its header's space options\n"
	       "              override the config's space group (changes are\n"
	       "              noted on stderr); or, without a slash and\n"
	       "              naming no file, a named architecture of the\n"
	       "              config's space (all-conv3x3, ...)\n"
	       "--epochs N    epochs (default train.epochs, 10)\n"
	       "--set         override a config key (repeatable; applied after\n"
	       "              the architecture file).  data.val_size is preset\n"
	       "              to 0: training uses the validation images too\n"
	       "--out DIR     output directory (default: RUN/retrain for the\n"
	       "              best.arch of a search run RUN, else\n"
	       "              <run.dir>/train-<run name>; docs/run-directory.md);\n"
	       "              one holding a finished training is never\n"
	       "              overwritten, nor one holding a checkpoint\n"
	       "--resume DIR  go on with the training in DIR from its last\n"
	       "              finished epoch (its config.cfg and arch.arch);\n"
	       "              --epochs N sets a new total\n"
	       "--quiet       no per-epoch progress on stderr\n"
	       "\n"
	       "The learning-rate schedule, weight decay and dropout are the\n"
	       "space's options; the batch size is data.batch_size.  DIR gets\n"
	       "weights.bin, arch.arch, config.cfg and summary.json, and\n"
	       "checkpoint.ckpt after every epoch until it finishes.\n"
	       "SIGINT or SIGTERM stops it at the next step; the work since the\n"
	       "last epoch's checkpoint is lost.  Exit status: 0 trained, 1\n"
	       "failed, 2 bad arguments, 128 + signal when one stopped it.\n"
	       "Under mpirun -np N (a build with -Dmpi) it trains\n"
	       "data-parallel: each rank takes its share of every batch;\n"
	       "rank 0 writes DIR (docs/mpi.md).\n"
	       "\n"
	       "example:\n"
	       "  apnas train configs/train-fashion.cfg --arch runs/x/best.arch\n"
	       "  apnas train --arch a.arch --epochs 1 --set data.train_subset"
	       "=5000\n"
	       "  apnas train --resume runs/x/retrain --epochs 40\n");
}

static int parse_args(int argc, char **argv, train_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int r;
		if (cli_is_help(argv[i])) {
			help();
			return -1;
		}
		if ((r = cli_take_set(argc, argv, &i, &a->sets)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "arch", &a->arch)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "out", &a->out)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "resume",
		                        &a->resume)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if ((r = cli_take_value(argc, argv, &i, "epochs", &v)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			char *end = NULL;
			errno = 0;
			a->epochs = strtol(v, &end, 10);
			if (errno || !*v || *end || a->epochs < 1 ||
			    a->epochs > 1000000) {
				cli_errorf("train: --epochs %s: expected an "
				           "integer in [1, 1000000]", v);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			a->quiet = 1;
			continue;
		}
		if (argv[i][0] == '-' || a->config)
			return cli_bad_arg("train", argv[i]);
		a->config = argv[i];
	}
	if (a->resume && (a->config || a->arch || a->out || a->sets.n)) {
		cli_errorf("train: --resume DIR takes its config and "
		           "architecture from DIR; give no CONFIG, --arch, "
		           "--out or --set with it");
		return CLI_EXIT_USAGE;
	}
	if (!a->arch && !a->resume) {
		cli_errorf("train: expected --arch FILE or --resume DIR (see "
		           "apnas train --help)");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int cmd_train(int argc, char **argv)
{
	train_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc) {
		cli_sets_free(&a.sets);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	apnas_train_args ta = {
		.config_path = a.config,
		.arch = a.arch,
		.sets = a.sets.v,
		.nsets = a.sets.n,
		.epochs = a.epochs,
		.out_dir = a.out,
		.resume_dir = a.resume,
		.quiet = a.quiet,
		.out = stdout,
		.msg = stderr,
		.stop = &cli_stop_signal,
	};
	apnas_train_result res;
	apnas_error err;
	apnas_error_clear(&err);
	/* Under mpirun: MPI first, then our signal handlers over its own. */
	if (apnas_mpi_start("train", &err) < 0) {
		cli_sets_free(&a.sets);
		cli_error(&err);
		return cli_exit_code(err.code);
	}
	cli_stop_on_signals();
	rc = apnas_train_run(&ta, &res, &err);
	if (rc < 0 && res.lone_failure) {
		/* the other ranks wait for this one in a collective */
		cli_error(&err);
		apnas_mpi_abort(cli_exit_code(rc));
	}
	apnas_mpi_finish();
	cli_stop_default();
	cli_sets_free(&a.sets);
	if (rc == APNAS_EINTR && res.stopped_by)
		return 128 + res.stopped_by;
	if (rc < 0) {
		if (!res.quiet)
			cli_error(&err);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}
