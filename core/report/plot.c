/* The report's plots, drawn by gnuplot from a generated script: the
 * Pareto points of every run (one colour and marker per group) with the
 * combined front as a step line, and each run's mean reward per epoch.
 * gnuplot writes to temporary names that are renamed once it succeeds,
 * so a failed or interrupted drawing never leaves a half-written plot. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "report/report.h"

/* Tableau 10: distinct in colour and still apart in grey. */
static const char *const colours[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};
/* Filled circle, square, triangle, inverted triangle, diamond, pentagon,
 * then the open ones. */
static const int markers[] = {7, 5, 9, 11, 13, 15, 6, 4, 8, 10, 12, 14};

#define N_COLOURS (sizeof colours / sizeof colours[0])
#define N_MARKERS (sizeof markers / sizeof markers[0])
/* Beyond this many front points the labels would overprint each other;
 * front.csv and the tables still name every point's run. */
#define MAX_LABELLED 20

typedef struct plot_ctx {
	const apnas_report *r;
	int logx;
	int reward;       /* some run has a reward curve */
	pid_t pid;        /* names the temporary plot files */
	size_t key_cols;  /* legend under the plot: columns, or 0 for a */
	size_t key_rows;  /* boxed legend beside it; rows under the plot */
	int key_values;   /* legend names groups by their values alone,
	                     under a title of the keys */
} plot_ctx;

/* About this many legend characters fit across the plot at the font
 * used (960 px of SVG, 1200 px of PNG at 12 points). */
#define KEY_WIDTH_CHARS 120

static const char *legend_name(const plot_ctx *c, size_t g)
{
	return c->key_values ? c->r->groups[g].values : c->r->groups[g].label;
}

static size_t longest_name(const plot_ctx *c)
{
	size_t longest = 0;
	for (size_t g = 0; g < c->r->ngroups; g++)
		if (strlen(legend_name(c, g)) > longest)
			longest = strlen(legend_name(c, g));
	return longest;
}

/* Long group names beside the plot would squeeze it: they go under it,
 * in as many columns as their length allows, and the canvas grows by the
 * legend's rows so the plot keeps its size and no name overprints it.
 * Names of many key=value pairs that would not fit two to a line are
 * shortened to their values, the keys said once in the legend's title. */
static void key_layout(plot_ctx *c)
{
	const apnas_report *r = c->r;
	c->key_cols = c->key_rows = 0;
	c->key_values = 0;
	size_t longest = longest_name(c);
	if (longest <= 20)
		return;
	int all_values = r->label_keys != NULL;
	for (size_t g = 0; g < r->ngroups && all_values; g++)
		all_values = r->groups[g].values != NULL;
	if (all_values && longest + 8 > KEY_WIDTH_CHARS / 2) {
		c->key_values = 1;
		longest = longest_name(c);
	}
	size_t entries = r->ngroups + 1; /* and the front */
	size_t cols = KEY_WIDTH_CHARS / (longest + 8);
	cols = cols < 1 ? 1 : cols > 4 ? 4 : cols;
	c->key_cols = cols;
	c->key_rows = (entries + cols - 1) / cols + (c->key_values != 0);
}

/* A gnuplot single-quoted string: only ' needs escaping, as ''. */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s != '\n')
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* A double-quoted data-file string: gnuplot has no escape there, so a
 * double quote becomes a single one. */
static void dat_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++)
		fputc(*s == '"' ? '\'' : *s == '\n' ? ' ' : *s, f);
	fputc('"', f);
}

/* The hardware index of run i (its front points carry it). */
static size_t run_hw(const apnas_report *r, size_t i)
{
	for (size_t h = 0; h < r->nhardware; h++)
		if (r->runs[i].hardware &&
		    !strcmp(r->hardware[h], r->runs[i].hardware))
			return h;
	return 0;
}

/* Whether group g has a run on hardware h: its points block is drawn. */
static int group_on(const apnas_report *r, size_t g, size_t h)
{
	const apnas_report_group *gr = &r->groups[g];
	for (size_t i = 0; i < gr->nruns; i++)
		if (run_hw(r, gr->runs[i]) == h)
			return 1;
	return 0;
}

/* The data block of group g's points on hardware h: blocks are written
 * only for pairs that have points (gnuplot does not count empty blocks),
 * in hardware-then-group order. */
static size_t block_index(const apnas_report *r, size_t h, size_t g)
{
	size_t k = 0;
	for (size_t h2 = 0; h2 <= h; h2++)
		for (size_t g2 = 0; g2 < r->ngroups; g2++) {
			if (h2 == h && g2 == g)
				return k;
			k += (size_t)group_on(r, g2, h2);
		}
	return k;
}

static int write_points(FILE *f, void *ud, apnas_error *err)
{
	(void)err;
	const apnas_report *r = ((plot_ctx *)ud)->r;
	size_t nh = r->nhardware ? r->nhardware : 1, blocks = 0;
	for (size_t h = 0; h < nh; h++)
	for (size_t g = 0; g < r->ngroups; g++) {
		const apnas_report_group *gr = &r->groups[g];
		if (!group_on(r, g, h))
			continue;
		fprintf(f, "%s# block %zu: hardware %zu group %zu\n",
		        blocks++ ? "\n\n" : "", block_index(r, h, g), h, g);
		for (size_t i = 0; i < gr->nruns; i++) {
			const apnas_report_run *run = &r->runs[gr->runs[i]];
			if (run_hw(r, gr->runs[i]) != h)
				continue;
			if (!run->npareto) {
				fprintf(f, "%.17g %.17g\n", run->m[APNAS_RM_X],
				        run->m[APNAS_RM_VAL_ACC]);
				continue;
			}
			for (size_t k = 0; k < run->npareto; k++)
				fprintf(f, "%.17g %.17g\n", run->pareto_x[k],
				        run->pareto_acc[k]);
		}
	}
	return ferror(f) ? apnas_error_set(err, APNAS_EIO, "write failed")
	                 : 0;
}

/* One line per distinct point: runs that reached the same point share a
 * label ("a/seed-1 +2") instead of printing over each other. */
static int write_front(FILE *f, void *ud, apnas_error *err)
{
	const apnas_report *r = ((plot_ctx *)ud)->r;
	size_t hw = 0;
	fputs("# hardware 0\n", f);
	for (size_t k = 0; k < r->nfront;) {
		/* One block per hardware setting (index h in the script). */
		while (hw < r->front[k].hw)
			fprintf(f, "\n\n# hardware %zu\n", ++hw);
		size_t same = 1;
		while (k + same < r->nfront &&
		       r->front[k + same].hw == r->front[k].hw &&
		       r->front[k + same].x == r->front[k].x &&
		       r->front[k + same].accuracy == r->front[k].accuracy)
			same++;
		fprintf(f, "%.17g %.17g ", r->front[k].x,
		        r->front[k].accuracy);
		char label[1024];
		if (same > 1)
			snprintf(label, sizeof label, "%s +%zu",
			         r->runs[r->front[k].run].name, same - 1);
		else
			snprintf(label, sizeof label, "%s",
			         r->runs[r->front[k].run].name);
		dat_str(f, label);
		fputc('\n', f);
		k += same;
	}
	return ferror(f) ? apnas_error_set(err, APNAS_EIO, "write failed")
	                 : 0;
}

static int write_reward(FILE *f, void *ud, apnas_error *err)
{
	const apnas_report *r = ((plot_ctx *)ud)->r;
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		fprintf(f, "%s# run %zu\n", i ? "\n\n" : "", i);
		for (size_t e = 0; e < run->nepochs; e++)
			if (!isnan(run->epoch_reward[e]))
				fprintf(f, "%zu %.17g\n", e + 1,
				        run->epoch_reward[e]);
	}
	return ferror(f) ? apnas_error_set(err, APNAS_EIO, "write failed")
	                 : 0;
}

static void style(FILE *f, const plot_ctx *c)
{
	fputs("set encoding utf8\nset termoption noenhanced\n"
	      "set grid lc rgb '#dddddd'\nset border lc rgb '#555555'\n", f);
	if (c->key_cols) {
		fprintf(f, "set key outside below left Left reverse horizontal "
		        "maxcols %zu spacing 1.1\nset bmargin %zu\n", c->key_cols,
		        4 + (c->key_rows * 12 + 9) / 10);
		if (c->key_values) {
			fputs("set key title ", f);
			gp_str(f, c->r->label_keys);
			fputs(" left\n", f);
		}
	} else
		fputs("set key outside right top box lc rgb '#bbbbbb'\n", f);
	for (size_t i = 0; i < N_COLOURS; i++)
		fprintf(f, "set linetype %zu lc rgb '%s' lw 1.5\n", i + 1,
		        colours[i]);
	fprintf(f, "set linetype cycle %zu\n", N_COLOURS);
}

/* Panels of the Pareto plot: one per hardware setting, at most 3 across. */
static size_t panel_cols(const apnas_report *r)
{
	return r->nhardware > 3 ? 3 : r->nhardware ? r->nhardware : 1;
}

static size_t panel_rows(const apnas_report *r)
{
	size_t n = r->nhardware ? r->nhardware : 1, c = panel_cols(r);
	return (n + c - 1) / c;
}

static void pareto_panel(FILE *f, const plot_ctx *c, size_t h)
{
	const apnas_report *r = c->r;
	const char *x = apnas_report_metric_name(r, APNAS_RM_X);
	fputs("set title ", f);
	if (r->nhardware > 1) {
		gp_str(f, r->hardware[h]);
	} else {
		char t[512];
		snprintf(t, sizeof t, "Pareto points of every run and the "
		         "combined front (%s)", r->nhardware ? r->hardware[0]
		                                            : "");
		gp_str(f, t);
	}
	fputs("\nset xlabel ", f);
	gp_str(f, x);
	fputs("\n", f);
	fputs("plot \\\n", f);
	for (size_t g = 0; g < r->ngroups; g++) {
		if (!group_on(r, g, h))
			continue;
		fprintf(f, "  'plot_points.dat' index %zu using 1:2 with points "
		        "lt %zu pt %d ps 1.2 title ", block_index(r, h, g),
		        g % N_COLOURS + 1, markers[g % N_MARKERS]);
		gp_str(f, legend_name(c, g));
		fputs(", \\\n", f);
	}
	fprintf(f, "  'plot_front.dat' index %zu using 1:2 with steps lw 2 "
	        "dt 2 lc rgb '#222222' title 'front on this hardware'", h);
	if (r->nfront <= MAX_LABELLED)
		fprintf(f, ", \\\n  'plot_front.dat' index %zu using 1:2:3 "
		        "with labels left offset 0.6,0.5 font ',8' "
		        "tc rgb '#333333' notitle", h);
	fputc('\n', f);
}

static void pareto_body(FILE *f, const plot_ctx *c)
{
	const apnas_report *r = c->r;
	fputs("reset\n", f);
	style(f, c);
	fputs("set ylabel 'validation accuracy (shared weights)'\n"
	      "set offsets graph 0.03, graph 0.12, graph 0.06, graph 0.06\n",
	      f);
	if (c->logx)
		fputs("set logscale x\nset format x '%.0s%c'\n", f);
	else
		fputs("set format x '%.1s%c'\n", f);
	size_t nh = r->nhardware ? r->nhardware : 1;
	if (nh > 1)
		fprintf(f, "set multiplot layout %zu,%zu title "
		        "'Pareto points and fronts, one panel per hardware "
		        "setting'\n", panel_rows(r), panel_cols(r));
	for (size_t h = 0; h < nh; h++)
		pareto_panel(f, c, h);
	if (nh > 1)
		fputs("unset multiplot\n", f);
}

static void reward_body(FILE *f, const plot_ctx *c)
{
	const apnas_report *r = c->r;
	fputs("reset\n", f);
	style(f, c);
	fputs("set title 'Mean reward of the sampled architectures per "
	      "epoch (one line per run)'\nset xlabel 'epoch'\n"
	      "set ylabel 'mean reward'\nset xtics 1\n"
	      "set offsets 0.2, 0.2, graph 0.05, graph 0.05\n", f);
	/* Too many epochs for a tic each: let gnuplot choose. */
	size_t most = 0;
	for (size_t i = 0; i < r->nruns; i++)
		if (r->runs[i].nepochs > most)
			most = r->runs[i].nepochs;
	if (most > 20)
		fputs("set xtics autofreq\n", f);
	fputs("plot \\\n", f);
	int first = 1;
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		if (!run->nepochs)
			continue;
		size_t g = run->group;
		/* One legend entry per group: its first run carries it. */
		int titled = r->groups[g].runs[0] == i;
		fprintf(f, "%s  'plot_reward.dat' index %zu using 1:2 with "
		        "linespoints lt %zu pt %d ps 0.6 ",
		        first ? "" : ", \\\n", i, g % N_COLOURS + 1,
		        markers[g % N_MARKERS]);
		if (titled) {
			fputs("title ", f);
			gp_str(f, legend_name(c, g));
		} else {
			fputs("notitle", f);
		}
		first = 0;
	}
	fputc('\n', f);
}

static int write_script(FILE *f, void *ud, apnas_error *err)
{
	const plot_ctx *c = ud;
	fputs("# Generated by apnas report; `gnuplot plots.gp` in this "
	      "directory redraws the\n# plots.  apnas itself sets "
	      "apnas_suffix to draw into temporary files that it\n# renames "
	      "once gnuplot has succeeded.\n"
	      "if (!exists(\"apnas_suffix\")) apnas_suffix = ''\n", f);
	/* a legend row is about 19 px of SVG and 24 of PNG */
	char svg[128], png[128];
	size_t pc = panel_cols(c->r), pr = panel_rows(c->r);
	snprintf(svg, sizeof svg, "svg size %zu,%zu dynamic font 'sans,12' "
	         "background rgb 'white'", pc > 1 ? 640 * pc : 960,
	         560 * pr + 19 * c->key_rows);
	snprintf(png, sizeof png, "pngcairo size %zu,%zu font 'sans,12'",
	         pc > 1 ? 800 * pc : 1200, 700 * pr + 24 * c->key_rows);
	static const char *const exts[] = {"svg", "png"};
	const char *const terms[] = {svg, png};
	for (size_t t = 0; t < 2; t++) {
		fprintf(f, "\nset terminal %s\nset output 'pareto.%s'."
		        "apnas_suffix\n", terms[t], exts[t]);
		pareto_body(f, c);
		fputs("unset output\n", f);
		if (!c->reward)
			continue;
		fprintf(f, "\nset terminal %s\nset output 'reward.%s'."
		        "apnas_suffix\n", terms[t], exts[t]);
		reward_body(f, c);
		fputs("unset output\n", f);
	}
	return ferror(f) ? apnas_error_set(err, APNAS_EIO, "write failed")
	                 : 0;
}

/* ---- running gnuplot ------------------------------------------------------ */

/* The gnuplot to run, malloc()ed, or NULL when there is none. */
static char *find_gnuplot(void)
{
	const char *env = getenv("APNAS_GNUPLOT");
	if (env)
		return *env && access(env, X_OK) == 0 ? strdup(env) : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *e = strchr(path, ':');
		size_t n = e ? (size_t)(e - path) : strlen(path);
		char *cand = NULL;
		if (n && asprintf(&cand, "%.*s/gnuplot", (int)n, path) >= 0) {
			struct stat st;
			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(cand, X_OK) == 0)
				return cand;
			free(cand);
		}
		path += n + (e != NULL);
	}
	return NULL;
}

/* Runs gnuplot on plots.gp in dir; its messages come back through a pipe
 * so that a failure can quote gnuplot's own first error line. */
static int run_gnuplot(const char *gnuplot, const char *dir, pid_t tag,
                       apnas_error *err)
{
	char suffix[64];
	snprintf(suffix, sizeof suffix, "apnas_suffix = '.tmp.%d'", (int)tag);
	int fd[2];
	if (pipe2(fd, O_CLOEXEC) != 0)
		return apnas_error_set(err, APNAS_EIO, "pipe: %s",
		                       strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return apnas_error_set(err, APNAS_EIO, "fork: %s",
		                       strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		dup2(fd[1], 2);
		if (chdir(dir) != 0)
			_exit(126);
		execl(gnuplot, "gnuplot", "-e", suffix, "plots.gp",
		      (char *)NULL);
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
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* gnuplot echoes the offending line before the message: keep the
	 * last non-empty line, which says what went wrong. */
	char *last = NULL;
	for (char *line = strtok(msg, "\n"); line; line = strtok(NULL, "\n"))
		if (*line && strspn(line, " ^") != strlen(line))
			last = line;
	return apnas_error_set(err, APNAS_EIO,
		"gnuplot failed on %s/plots.gp (%s %d)%s%s", dir,
		WIFEXITED(st) ? "exit" : "signal",
		WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
		last ? ": " : "", last ? last : "");
}

static int write_in(const char *dir, const char *name,
                    int (*fn)(FILE *, void *, apnas_error *), void *ud,
                    apnas_error *err)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = apnas_write_atomic_with(path, 0, fn, ud, err);
	free(path);
	return rc;
}

int apnas_report_plot(const apnas_report *r, const char *out_dir,
                      char ***made, size_t *nmade, apnas_error *err)
{
	*made = NULL;
	*nmade = 0;
	char *gnuplot = find_gnuplot();
	if (!gnuplot)
		return 1;
	plot_ctx c = {.r = r, .pid = getpid()};
	key_layout(&c);
	double lo = INFINITY, hi = 0;
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		size_t n = run->npareto;
		for (size_t k = 0; k < (n ? n : 1); k++) {
			double cy = n ? run->pareto_x[k]
			              : run->m[APNAS_RM_X];
			if (cy > 0 && cy < lo)
				lo = cy;
			if (cy > hi)
				hi = cy;
		}
		if (run->nepochs)
			c.reward = 1;
	}
	/* A log axis once the points span more than a factor of 20:
	 * below that it only squeezes the interesting part. */
	c.logx = lo > 0 && hi / lo > 20;
	int rc = write_in(out_dir, "plot_points.dat", write_points, &c, err);
	if (rc == 0)
		rc = write_in(out_dir, "plot_front.dat", write_front, &c, err);
	if (rc == 0)
		rc = write_in(out_dir, "plot_reward.dat", write_reward, &c,
		              err);
	if (rc == 0)
		rc = write_in(out_dir, "plots.gp", write_script, &c, err);
	if (rc == 0)
		rc = run_gnuplot(gnuplot, out_dir, c.pid, err);
	free(gnuplot);
	static const char *const names[] = {"pareto.svg", "pareto.png",
	                                    "reward.svg", "reward.png"};
	size_t want = c.reward ? 4 : 2;
	char **list = calloc(4, sizeof *list);
	if (!list && rc == 0)
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t i = 0; i < want; i++) {
		char *tmp = NULL, *dst = NULL;
		if (asprintf(&tmp, "%s/%s.tmp.%d", out_dir, names[i],
		             (int)c.pid) < 0)
			tmp = NULL;
		if (asprintf(&dst, "%s/%s", out_dir, names[i]) < 0)
			dst = NULL;
		if (rc == 0 && (!tmp || !dst))
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
		if (rc == 0 && rename(tmp, dst) != 0)
			rc = apnas_error_set(err, APNAS_EIO,
				"gnuplot did not write %s: %s", tmp,
				strerror(errno));
		if (rc < 0 && tmp)
			unlink(tmp);
		if (rc == 0)
			list[(*nmade)++] = dst;
		else
			free(dst);
		free(tmp);
	}
	if (rc < 0) {
		for (size_t i = 0; i < *nmade; i++)
			free(list[i]);
		free(list);
		*nmade = 0;
		return rc;
	}
	*made = list;
	return 0;
}
