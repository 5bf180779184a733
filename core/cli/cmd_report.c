/* `apnas report`: parses the command line and hands over to
 * apnas_report_main (core/report).  Data (the table, CSV or JSON) goes
 * to stdout; notes and the paths of the files and plots written go to
 * stderr, so `apnas report runs --format csv > x.csv` stays clean. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report/report.h"

static void help(void)
{
	printf("usage: apnas report DIR... [--out DIR] [--format "
	       "table|csv|json]\n"
	       "                    [--group-by KEY[,KEY...]] [--x METRIC] "
	       "[--no-plots]\n"
	       "\n"
	       "Gathers every finished search run under the DIRs (any\n"
	       "directory holding summary.json, searched recursively) and\n"
	       "reports one row per run and, per group of runs that differ\n"
	       "only in run.seed, the mean and sample standard deviation of\n"
	       "the best architecture's reward, validation accuracy, test\n"
	       "accuracy (when RUN/retrain/summary.json exists), the x\n"
	       "metric (cycles unless --x), parameters and MACs, and the\n"
	       "search wall time; the combined Pareto fronts of validation\n"
	       "accuracy against the x metric, one per hardware setting (runs\n"
	       "on different arrays are never compared: a grid over the\n"
	       "hardware gets one plot panel per setting); the mean reward\n"
	       "per epoch of each run.\n"
	       "\n"
	       "--out DIR       where report.md, report.csv, report.json,\n"
	       "                front.csv, reward.csv and the plots go\n"
	       "                (default: the first DIR/report)\n"
	       "--format F      what stdout gets: table (default), csv (as\n"
	       "                report.csv) or json (as report.json)\n"
	       "--group-by KEYS group by these config keys instead (e.g.\n"
	       "                cost.rows,controller.plugin)\n"
	       "--x METRIC      the metric of the fronts' x axis: any metric\n"
	       "                the runs' cost model declares (default\n"
	       "                cycles; see the runs' summary.json)\n"
	       "--no-plots      do not run gnuplot\n"
	       "\n"
	       "Plots: pareto.svg/.png and reward.svg/.png, drawn by gnuplot\n"
	       "(Debian package gnuplot-nox) from plots.gp in the output\n"
	       "directory; without gnuplot the tables are still written.\n"
	       "The paths written are printed on stderr.\n"
	       "\n"
	       "exit status: 0 ok, 1 a file could not be read or written,\n"
	       "2 usage error or no finished run found\n"
	       "\n"
	       "example:\n"
	       "  apnas report runs/grid\n"
	       "  apnas report runs/a runs/b --out cmp --format csv\n");
}

int cmd_report(int argc, char **argv)
{
	const char **dirs = calloc((size_t)argc, sizeof *dirs);
	if (!dirs) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	size_t ndirs = 0;
	const char *out = NULL, *format = NULL, *group_by = NULL, *x = NULL;
	int no_plots = 0;
	for (int i = 1; i < argc; i++) {
		int r;
		if (cli_is_help(argv[i])) {
			help();
			free(dirs);
			return CLI_EXIT_OK;
		}
		if ((r = cli_take_value(argc, argv, &i, "out", &out)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "format", &format)) !=
		            0 ||
		    (r = cli_take_value(argc, argv, &i, "group-by",
		                        &group_by)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "x", &x)) != 0) {
			if (r < 0) {
				free(dirs);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (!strcmp(argv[i], "--no-plots")) {
			no_plots = 1;
		} else if (argv[i][0] == '-') {
			free(dirs);
			return cli_bad_arg("report", argv[i]);
		} else {
			dirs[ndirs++] = argv[i];
		}
	}
	apnas_report_format fmt = APNAS_REPORT_TABLE;
	if (format && !strcmp(format, "csv"))
		fmt = APNAS_REPORT_CSV;
	else if (format && !strcmp(format, "json"))
		fmt = APNAS_REPORT_JSON;
	else if (format && strcmp(format, "table")) {
		cli_errorf("report: --format %s: expected table, csv or json",
		           format);
		free(dirs);
		return CLI_EXIT_USAGE;
	}
	if (ndirs == 0) {
		cli_errorf("report: give at least one directory of runs; see "
		           "apnas report --help");
		free(dirs);
		return CLI_EXIT_USAGE;
	}
	apnas_report_args a = {
		.dirs = dirs,
		.ndirs = ndirs,
		.out_dir = out,
		.format = fmt,
		.group_by = group_by,
		.x = x,
		.no_plots = no_plots,
		.out = stdout,
		.msg = stderr,
	};
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_report_main(&a, &err);
	free(dirs);
	if (rc < 0) {
		cli_error(&err);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}
