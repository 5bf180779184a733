/* `apnas report`: parses the command line and hands over to
 * apnas_report_main (core/report).  Data (the table, CSV or JSON) goes
 * to stdout; notes and the paths of the files and plots written go to
 * stderr, so `apnas report runs --format csv > x.csv` stays clean. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "report/report.h"

/* report.html's drawings: `apnas draw ARCH --config RUN/config.cfg --out
 * SVG`, this same executable in a child process, so a drawing that fails
 * (no Graphviz, a space plugin that will not open) costs the page one
 * picture and a line saying why, never the report. */
static int draw_with_apnas(void *ud, const char *run_dir, const char *arch,
                           const char *out_svg, char *why, size_t cap)
{
	(void)ud;
	char *a = NULL, *c = NULL;
	if (asprintf(&a, "%s/%s", run_dir, arch) < 0)
		a = NULL;
	if (asprintf(&c, "%s/config.cfg", run_dir) < 0)
		c = NULL;
	/* this executable's path, read before the fork (under valgrind
	 * /proc/self/exe itself is the tool, the link names the program) */
	char self[4096];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	self[sl > 0 ? sl : 0] = '\0';
	int fd[2] = {-1, -1};
	if (!a || !c || sl <= 0 || pipe2(fd, O_CLOEXEC)) {
		snprintf(why, cap, "%s", strerror(errno ? errno : ENOMEM));
		free(a);
		free(c);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		dup2(fd[1], 2);
		execl(self, "apnas", "draw", a, "--config", c,
		      "--out", out_svg, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	char msg[2048];
	size_t n = 0;
	for (;;) {
		char buf[512];
		ssize_t k = read(fd[0], buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k && n + 1 < sizeof msg; i++)
			msg[n++] = buf[i];
	}
	msg[n] = '\0';
	close(fd[0]);
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	free(a);
	free(c);
	if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* apnas draw says what went wrong on its last line */
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	const char *last = strrchr(msg, '\n');
	snprintf(why, cap, "%s", pid < 0 ? "fork failed" : last ? last + 1
	         : n ? msg : "apnas draw failed");
	return -1;
}

static void help(void)
{
	printf("usage: apnas report DIR... [--out DIR] [--format "
	       "table|csv|json]\n"
	       "                    [--group-by KEY[,KEY...]] [--x METRIC] "
	       "[--no-plots]\n"
	       "                    [--error-bars sd|range] [--html]\n"
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
	       "--error-bars B  the paper plot's bars over seeds: sd (mean +-\n"
	       "                sample standard deviation, the default) or\n"
	       "                range (min..max)\n"
	       "--html          also write report.html: one self-contained page\n"
	       "                (tables, plots and the drawing of each front's\n"
	       "                best network inline; the drawings need\n"
	       "                Graphviz's dot, Debian package graphviz)\n"
	       "\n"
	       "Plots: pareto.svg/.png, paper.svg/.png (test accuracy after\n"
	       "retraining against the x metric, mean with error bars over\n"
	       "seeds, one panel per hardware setting; several runs only) and\n"
	       "reward.svg/.png, drawn by gnuplot\n"
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
	const char *bars = NULL;
	int no_plots = 0, html = 0;
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
		    (r = cli_take_value(argc, argv, &i, "x", &x)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "error-bars",
		                        &bars)) != 0) {
			if (r < 0) {
				free(dirs);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (!strcmp(argv[i], "--no-plots")) {
			no_plots = 1;
		} else if (!strcmp(argv[i], "--html")) {
			html = 1;
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
	if (bars && strcmp(bars, "sd") && strcmp(bars, "range")) {
		cli_errorf("report: --error-bars %s: expected sd or range",
		           bars);
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
		.bars_range = bars && !strcmp(bars, "range"),
		.html = html,
		.draw = draw_with_apnas,
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
