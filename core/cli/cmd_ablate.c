/* `apnas ablate`: parses the command line, turns SIGINT and SIGTERM into
 * a counter the grid runner passes on to its children, and hands over to
 * apnas_ablate_run, or apnas_ablate_run_one for `--run K` (core/report).
 * Exit status: 0 every run finished (or the grid was planned), 1 some run
 * failed (its log says why) or the closing report failed, 2 bad
 * arguments, a configuration of the grid refused, a DIR without
 * ablate.json or K out of range, 128 + signal number when a signal
 * stopped the grid (run the same command to resume). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mpi/mpi.h"
#include "report/ablate_mpi.h"
#include "report/ablate.h"

static volatile sig_atomic_t stop_signal, stop_count;

static void on_signal(int sig)
{
	stop_signal = sig;
	stop_count++;
}

static void help(void)
{
	printf("usage: apnas ablate CONFIG... --out DIR [--vary KEY=V1,V2,...]..."
	       "\n"
	       "                    [--seeds N] [--seed-base B] [--jobs J]\n"
	       "                    [--set group.key=value]... [--retrain]\n"
	       "                    [--retrain-epochs N] [--dry-run]\n"
	       "                    [--no-report] [--no-plots]\n"
	       "       apnas ablate CONFIG... --out DIR [grid options] --plan "
	       "[--json]\n"
	       "       apnas ablate DIR --run K\n"
	       "\n"
	       "Runs `apnas search` on every combination of the --vary\n"
	       "values, N seeds each (run.seed = B .. B+N-1), J at a time,\n"
	       "each in DIR/<key=value,...>/seed-<s> with its log beside it\n"
	       "(DIR/<key=value,...>/seed-<s>.log); then `apnas report` on\n"
	       "DIR into DIR/report.  Several CONFIGs are one more dimension\n"
	       "of the grid (DIR/config=<name>,<key=value,...>/seed-<s>):\n"
	       "one config per method.  Every configuration of the grid is\n"
	       "checked before anything runs.  Running the same command\n"
	       "again resumes: finished runs are skipped, interrupted ones\n"
	       "continue from their checkpoint.\n"
	       "\n"
	       "--vary K=V1,V2   a config key and its values (repeatable;\n"
	       "                 commas inside [..] or \"..\" do not split);\n"
	       "                 K1+K2=V1,V2 sets both keys to each value\n"
	       "--seeds N        seeds per setting (default 1)\n"
	       "--seed-base B    first seed (default 1)\n"
	       "--jobs J         searches at a time (default 1); with J > 1\n"
	       "                 consider --set run.threads=1 on 2 cores\n"
	       "--set K=V        for every run (repeatable)\n"
	       "--retrain        after each search, `apnas train` its\n"
	       "                 best.arch into RUN/retrain (test accuracy)\n"
	       "--retrain-epochs N   passed to apnas train as --epochs N\n"
	       "--dry-run        list the runs and what each needs; run\n"
	       "                 nothing, write nothing\n"
	       "--plan           fix the grid: write DIR/ablate.json and list\n"
	       "                 the runs (index, what each needs, directory,\n"
	       "                 settings); run nothing.  The same grid again\n"
	       "                 is a no-op; another grid into a DIR holding a\n"
	       "                 plan is refused\n"
	       "--json           with --plan or --dry-run: the list as JSON\n"
	       "--mpi            under mpirun -np N (a build with -Dmpi):\n"
	       "                 the runs handed out one at a time to the\n"
	       "                 ranks that are free; plans DIR as --plan\n"
	       "                 (docs/mpi.md)\n"
	       "--run K          run exactly run K (0-based) of the grid\n"
	       "                 planned in DIR, and nothing else: its search\n"
	       "                 (or resume) and retraining.  A finished run\n"
	       "                 is left alone (exit 0); an interrupted one\n"
	       "                 continues; while another process runs K\n"
	       "                 (DIR/<setting>/seed-N.lock) this one waits\n"
	       "                 for it, then finishes what is left.  For job\n"
	       "                 arrays: see docs/scale-out.md\n"
	       "--no-report      skip the closing report\n"
	       "--no-plots       report without gnuplot\n"
	       "\n"
	       "Progress (started / finished / failed, with done, running and\n"
	       "left counts) goes to stderr; the closing report's table to\n"
	       "stdout.  SIGINT or SIGTERM is passed on to the running\n"
	       "searches, which checkpoint and stop.\n"
	       "\n"
	       "exit status: 0 all runs finished (--run K: run K, now or\n"
	       "before; --plan: planned), 1 a run or the report failed,\n"
	       "2 usage or config error, a DIR without ablate.json or K\n"
	       "out of range, 130 / 143 stopped by SIGINT / SIGTERM\n"
	       "(resumable)\n"
	       "\n"
	       "example:\n"
	       "  apnas ablate configs/toy.cfg --vary cost.rows=8,16 "
	       "--seeds 2 \\\n"
	       "      --jobs 2 --set run.threads=1 --out runs/toy-grid\n"
	       "  apnas ablate apnas.cfg enas.cfg --vary "
	       "cost.rows+cost.cols=8,16,32 \\\n"
	       "      --seeds 2 --retrain --out runs/study\n"
	       "  apnas ablate configs/toy.cfg --vary cost.rows=8,16 --out "
	       "runs/g --plan\n"
	       "  apnas ablate runs/g --run 1\n");
}

/* A whole non-negative integer, or -1 (message printed). */
static long long parse_count(const char *opt, const char *s)
{
	return cli_parse_count("ablate", opt, s, 0);
}

/* Without SA_RESTART, so that a wait for a run's lock is interrupted. */
static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* `apnas ablate DIR --run K`: everything else comes from DIR/ablate.json,
 * so any other grid option is refused rather than silently ignored. */
static int run_one(const char *run_s, const char **configs, size_t nconfigs,
                   const char *out, int grid_options)
{
	if (grid_options) {
		cli_errorf("ablate --run K takes the grid from DIR/ablate.json:"
		           " give only DIR and --run K");
		return CLI_EXIT_USAGE;
	}
	if (nconfigs + (out != NULL) != 1) {
		cli_errorf("ablate --run K: give one grid directory (apnas "
		           "ablate DIR --run K)");
		return CLI_EXIT_USAGE;
	}
	const char *dir = out ? out : configs[0];
	long long k = parse_count("--run", run_s);
	if (k < 0)
		return CLI_EXIT_USAGE;
	catch_signals();
	apnas_ablate_env env = {
		.exe = "/proc/self/exe",
		.msg = stderr,
		.stop = &stop_signal,
		.stop_count = &stop_count,
	};
	apnas_ablate_result res;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_ablate_run_one(dir, k, &env, &res, &err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (rc < 0) {
		cli_error(&err);
		return cli_exit_code(rc);
	}
	if (res.stopped_by)
		return 128 + res.stopped_by;
	return res.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_ablate(int argc, char **argv)
{
	cli_sets sets = {NULL, 0};
	const char **vary = calloc((size_t)argc, sizeof *vary);
	const char **configs = calloc((size_t)argc, sizeof *configs);
	if (!vary || !configs) {
		free(vary);
		free(configs);
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	size_t nvary = 0, nconfigs = 0;
	const char *out = NULL;
	const char *seeds_s = NULL, *base_s = NULL, *jobs_s = NULL;
	const char *epochs_s = NULL, *v = NULL, *run_s = NULL;
	int retrain = 0, dry = 0, no_report = 0, no_plots = 0, plan = 0;
	int json = 0, mpi = 0;
	int code = CLI_EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		int r;
		if (cli_is_help(argv[i])) {
			help();
			code = CLI_EXIT_OK;
			goto done;
		}
		if ((r = cli_take_value(argc, argv, &i, "vary", &v)) != 0) {
			if (r < 0)
				goto done;
			vary[nvary++] = v;
			continue;
		}
		if ((r = cli_take_set(argc, argv, &i, &sets)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "out", &out)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "seeds", &seeds_s)) !=
		            0 ||
		    (r = cli_take_value(argc, argv, &i, "seed-base",
		                        &base_s)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "jobs", &jobs_s)) !=
		            0 ||
		    (r = cli_take_value(argc, argv, &i, "retrain-epochs",
		                        &epochs_s)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "run", &run_s)) != 0) {
			if (r < 0)
				goto done;
			continue;
		}
		if (!strcmp(argv[i], "--retrain")) {
			retrain = 1;
		} else if (!strcmp(argv[i], "--dry-run")) {
			dry = 1;
		} else if (!strcmp(argv[i], "--plan")) {
			plan = 1;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--mpi")) {
			mpi = 1;
		} else if (!strcmp(argv[i], "--no-report")) {
			no_report = 1;
		} else if (!strcmp(argv[i], "--no-plots")) {
			no_plots = 1;
		} else if (argv[i][0] == '-') {
			code = cli_bad_arg("ablate", argv[i]);
			goto done;
		} else {
			configs[nconfigs++] = argv[i];
		}
	}
	if (run_s) {
		code = run_one(run_s, configs, nconfigs, out,
		               sets.n || nvary || seeds_s || base_s || jobs_s ||
		               epochs_s || retrain || dry || plan || json ||
		               no_report || no_plots || mpi);
		goto done;
	}
	if (json && !plan && !dry) {
		cli_errorf("ablate: --json lists the runs of --plan or "
		           "--dry-run; give one of them");
		goto done;
	}
	if (plan && dry) {
		cli_errorf("ablate: --plan writes the plan, --dry-run does not:"
		           " give one of them");
		goto done;
	}
	if (!nconfigs || !out) {
		cli_errorf("ablate: give a CONFIG and --out DIR; see apnas "
		           "ablate --help");
		goto done;
	}
	long long seeds = seeds_s ? parse_count("--seeds", seeds_s) : 1;
	long long base = base_s ? parse_count("--seed-base", base_s) : 1;
	long long jobs = jobs_s ? parse_count("--jobs", jobs_s) : 1;
	long long epochs = epochs_s ? parse_count("--retrain-epochs",
	                                          epochs_s) : 0;
	if (seeds < 0 || base < 0 || jobs < 0 || epochs < 0)
		goto done;
	if (seeds < 1 || jobs < 1 || jobs > 256) {
		cli_errorf("ablate: --seeds must be at least 1 and --jobs in "
		           "1..256");
		goto done;
	}
	if (epochs_s && !retrain) {
		cli_errorf("ablate: --retrain-epochs needs --retrain");
		goto done;
	}

	apnas_error err;
	apnas_error_clear(&err);
	if (mpi && !apnas_mpi_built()) {
		cli_errorf("ablate --mpi: this apnas was built without MPI: "
		           "rebuild with -Dmpi=enabled");
		goto done;
	}
	if (mpi && apnas_mpi_start("ablate", &err) < 0) {
		cli_error(&err);
		code = cli_exit_code(err.code);
		goto done;
	}
	catch_signals();

	apnas_ablate_args a = {
		.configs = configs,
		.nconfigs = nconfigs,
		.sets = sets.v,
		.nsets = sets.n,
		.vary = vary,
		.nvary = nvary,
		.seeds = seeds,
		.seed_base = base,
		.jobs = (int)jobs,
		.out_dir = out,
		.retrain = retrain,
		.retrain_epochs = epochs,
		.dry_run = dry,
		.plan = plan,
		.json = json,
		.no_report = no_report,
		.no_plots = no_plots,
		.exe = "/proc/self/exe",
		.out = stdout,
		.msg = stderr,
		.stop = &stop_signal,
		.stop_count = &stop_count,
	};
	apnas_ablate_result res;
	int quiet = 0;
	/* --mpi: the runs as a queue over mpirun's ranks (docs/mpi.md) */
	int rc = mpi ? apnas_ablate_mpi(&a, &res, &quiet, &err)
	             : apnas_ablate_run(&a, &res, &err);
	if (mpi)
		apnas_mpi_finish();
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (quiet) {
		code = rc < 0 ? cli_exit_code(rc) : CLI_EXIT_OK;
	} else if (rc < 0) {
		cli_error(&err);
		code = cli_exit_code(rc);
	} else if (res.stopped_by) {
		code = 128 + res.stopped_by;
	} else {
		code = res.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
done:
	cli_sets_free(&sets);
	free(vary);
	free(configs);
	return code;
}
