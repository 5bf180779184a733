/* The report's plots, drawn by gnuplot from a generated script: the
 * Pareto points of every run (one colour and marker per group) with the
 * combined front as a step line, one panel per hardware setting; the
 * paper's plot (test accuracy after retraining against the x metric,
 * one marker per group, mean with error bars over seeds on both axes);
 * and each run's mean reward per epoch, the seeds of a group told apart.
 * A report of one run labels its front by rank, marks the best and shows
 * every candidate behind the front.  Axes are fitted to what is drawn.
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
/* Beyond this many runs the seed labels at the reward lines' ends would
 * overprint each other; the dash patterns still tell the seeds apart. */
#define MAX_SEED_LABELS 40
/* Dash patterns for the runs of one group: solid, dashed, dotted, ... */
#define N_DASHES 5

/* One marker of the paper plot: a group's runs on one hardware setting. */
typedef struct paper_pt {
	size_t h, g, n;          /* hardware, group, runs with both figures */
	double x, xlo, xhi;      /* the x metric: mean and bar ends */
	double y, ylo, yhi;      /* the accuracy: mean and bar ends */
} paper_pt;

typedef struct plot_ctx {
	const apnas_report *r;
	int logx;
	int reward;       /* some run has a reward curve */
	int single;       /* a report of one run */
	int test;         /* some run was retrained: the paper plot's y is
	                     the test accuracy, else the validation one */
	pid_t pid;        /* names the temporary plot files */
	size_t key_cols;  /* legend under the plot: columns, or 0 for a */
	size_t key_rows;  /* boxed legend beside it; rows under the plot */
	int key_values;   /* legend names groups by their values alone,
	                     under a title of the keys */
	paper_pt *paper;  /* owned: the paper plot's markers, by h then g */
	size_t npaper;
	size_t *method;   /* owned: each group's method, its colour and
	                     marker in the paper plot's every panel */
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

/* ---- fitted axes ---------------------------------------------------------- */

typedef struct range {
	double lo, hi;
} range;

#define RANGE_EMPTY ((range){INFINITY, -INFINITY})

static void range_add(range *g, double v, int log)
{
	if (!isfinite(v) || (log && v <= 0))
		return;
	if (v < g->lo)
		g->lo = v;
	if (v > g->hi)
		g->hi = v;
}

/* `set xrange [a:b]` around the data: pad_lo and pad_hi are fractions of
 * the span (of its logarithm on a log axis), so the points sit just inside
 * the frame instead of gnuplot's rounding out to whole tics.  No data:
 * gnuplot's own autoscaling. */
static void set_range(FILE *f, const char *axis, range g, int log,
                      double pad_lo, double pad_hi)
{
	if (!(g.lo <= g.hi)) {
		fprintf(f, "set autoscale %s\n", axis);
		return;
	}
	double lo = log ? log10(g.lo) : g.lo, hi = log ? log10(g.hi) : g.hi;
	double span = hi - lo;
	if (span <= 0)
		span = log ? 0.1 : fabs(lo) > 0 ? fabs(lo) * 0.1 : 0.01;
	lo -= pad_lo * span;
	hi += pad_hi * span;
	if (log)
		fprintf(f, "set %srange [%.17g:%.17g]\n", axis, pow(10, lo),
		        pow(10, hi));
	else
		fprintf(f, "set %srange [%.17g:%.17g]\n", axis, lo, hi);
}

/* ---- data files ----------------------------------------------------------- */

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

/* The rank by reward of front point p in its run (the smallest when the
 * run reached the point with several architectures); 0 when unknown. */
static int64_t point_rank(const apnas_report *r, const apnas_report_point *p)
{
	const apnas_report_run *run = &r->runs[p->run];
	if (!r->extra)
		return 0;
	int64_t best = 0;
	for (size_t k = 0; k < run->npareto; k++) {
		int64_t rk = r->extra[p->run].pareto_rank[k];
		if (run->pareto_x[k] == p->x && run->pareto_acc[k] == p->accuracy &&
		    rk > 0 && (!best || rk < best))
			best = rk;
	}
	return best;
}

/* One line per distinct point, labelled by the seed of its run and its
 * rank there ("s2 #1": the group is the marker's colour and shape; the
 * run's long name is in front.csv and the tables); runs that reached the
 * same point share a label ("s2 #1 +2") instead of printing over each
 * other.  A report of one run labels by rank alone ("#3"). */
static int write_front(FILE *f, void *ud, apnas_error *err)
{
	const plot_ctx *c = ud;
	const apnas_report *r = c->r;
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
		char label[1024], id[128] = "";
		const apnas_report_run *run = &r->runs[r->front[k].run];
		int64_t rank = point_rank(r, &r->front[k]);
		size_t u = 0;
		if (!c->single && run->seed >= 0)
			u = (size_t)snprintf(id, sizeof id, "s%lld",
			                     (long long)run->seed);
		if (rank > 0)
			snprintf(id + u, sizeof id - u, "%s#%lld", u ? " " : "",
			         (long long)rank);
		const char *name = id[0] ? id : run->name;
		if (same > 1)
			snprintf(label, sizeof label, "%s +%zu", name, same - 1);
		else
			snprintf(label, sizeof label, "%s", name);
		dat_str(f, label);
		fputc('\n', f);
		k += same;
	}
	return ferror(f) ? apnas_error_set(err, APNAS_EIO, "write failed")
	                 : 0;
}

/* A single run's every candidate (candidates.csv) and its best. */
static int write_cloud(FILE *f, void *ud, apnas_error *err)
{
	const apnas_report *r = ((plot_ctx *)ud)->r;
	const apnas_report_extra *x = r->extra;
	fputs("# every candidate of the derive step: x metric, accuracy\n", f);
	for (size_t i = 0; x && i < x->ncand; i++)
		fprintf(f, "%.17g %.17g\n", x->cand_x[i], x->cand_acc[i]);
	fprintf(f, "\n\n# the best (best.arch)\n%.17g %.17g\n",
	        r->runs[0].m[APNAS_RM_X], r->runs[0].m[APNAS_RM_VAL_ACC]);
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

/* The y figure of the paper plot. */
static int paper_y(const plot_ctx *c)
{
	return c->test ? APNAS_RM_TEST_ACC : APNAS_RM_VAL_ACC;
}

/* Mean and bar ends over the values that are not NaN: mean +- sample sd
 * (no bar with one value), or min..max. */
static void bar(const double *v, size_t n, int use_range, double *mean,
                double *lo, double *hi)
{
	apnas_report_stat s;
	apnas_report_stats(v, n, &s);
	*mean = s.mean;
	if (!use_range) {
		double sd = isnan(s.sd) ? 0 : s.sd;
		*lo = s.mean - sd;
		*hi = s.mean + sd;
		return;
	}
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i])) {
			*lo = v[i] < *lo ? v[i] : *lo;
			*hi = v[i] > *hi ? v[i] : *hi;
		}
}

/* A group's label without its hardware settings (the cost.* pairs of
 * "cost.rows+cost.cols=8,controller.plugin=evolution"), written to buf:
 * what the group's runs on the different arrays have in common. */
static void method_of(const char *label, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (const char *p = label; p && *p;) {
		size_t len = strcspn(p, ",");
		if (strncmp(p, "cost.", 5) && n + len + 2 < cap) {
			if (n)
				buf[n++] = ',';
			memcpy(buf + n, p, len);
			buf[n += len] = '\0';
		}
		p += len + (p[len] == ',');
	}
}

/* Groups that differ only in the hardware are one method: one colour and
 * marker in every panel of the Pareto and paper plots, so a reader
 * follows a method across arrays.  (The reward plot, one axis for all
 * runs, keeps a colour per group.) */
static int methods(plot_ctx *c)
{
	const apnas_report *r = c->r;
	c->method = calloc(r->ngroups ? r->ngroups : 1, sizeof *c->method);
	if (!c->method)
		return -1;
	char a[1024], b[1024];
	for (size_t g = 0; g < r->ngroups; g++) {
		method_of(r->groups[g].label, a, sizeof a);
		size_t m = 0;
		for (size_t k = 0; k < g; k++) {
			method_of(r->groups[k].label, b, sizeof b);
			if (!strcmp(a, b)) {
				m = c->method[k];
				break;
			}
			m = m > c->method[k] + 1 ? m : c->method[k] + 1;
		}
		c->method[g] = m;
	}
	return 0;
}

/* The paper plot's markers: each group on each hardware setting, over
 * its runs that have both the x metric and the accuracy. */
static int paper_points(plot_ctx *c)
{
	const apnas_report *r = c->r;
	size_t nh = r->nhardware ? r->nhardware : 1;
	c->paper = calloc(nh * (r->ngroups ? r->ngroups : 1), sizeof *c->paper);
	double *xs = malloc((r->nruns ? r->nruns : 1) * sizeof *xs);
	double *ys = malloc((r->nruns ? r->nruns : 1) * sizeof *ys);
	if (!c->paper || !xs || !ys) {
		free(xs);
		free(ys);
		return -1;
	}
	int m = paper_y(c);
	for (size_t h = 0; h < nh; h++)
		for (size_t g = 0; g < r->ngroups; g++) {
			const apnas_report_group *gr = &r->groups[g];
			size_t n = 0;
			for (size_t i = 0; i < gr->nruns; i++) {
				const apnas_report_run *run =
					&r->runs[gr->runs[i]];
				if (run_hw(r, gr->runs[i]) != h ||
				    isnan(run->m[m]) || isnan(run->m[APNAS_RM_X]))
					continue;
				xs[n] = run->m[APNAS_RM_X];
				ys[n++] = run->m[m];
			}
			if (!n)
				continue;
			paper_pt *p = &c->paper[c->npaper++];
			p->h = h;
			p->g = g;
			p->n = n;
			bar(xs, n, r->bars_range, &p->x, &p->xlo, &p->xhi);
			bar(ys, n, r->bars_range, &p->y, &p->ylo, &p->yhi);
		}
	free(xs);
	free(ys);
	return 0;
}

static int write_paper(FILE *f, void *ud, apnas_error *err)
{
	const plot_ctx *c = ud;
	fprintf(f, "# x mean, y mean, x low, x high, y low, y high, runs "
	        "(bars: %s over seeds)\n", c->r->bars_range
	        ? "min..max" : "mean +- sample standard deviation");
	for (size_t k = 0; k < c->npaper; k++) {
		const paper_pt *p = &c->paper[k];
		fprintf(f, "%s# block %zu: hardware %zu group %zu\n",
		        k ? "\n\n" : "", k, p->h, p->g);
		fprintf(f, "%.17g %.17g %.17g %.17g %.17g %.17g %zu\n", p->x,
		        p->y, p->xlo, p->xhi, p->ylo, p->yhi, p->n);
	}
	return ferror(f) ? apnas_error_set(err, APNAS_EIO, "write failed")
	                 : 0;
}

/* ---- the script ----------------------------------------------------------- */

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

/* A run name that fits a title: its last 48 characters. */
static const char *short_name(const char *s)
{
	size_t n = strlen(s);
	return n > 48 ? s + n - 48 : s;
}

/* The single run's title: what it is and how many candidates it
 * weighed; the hardware goes under the x axis. */
static void single_titles(FILE *f, const plot_ctx *c)
{
	const apnas_report *r = c->r;
	const apnas_report_run *run = &r->runs[0];
	char t[512];
	snprintf(t, sizeof t, "%s%s: %zu candidates, %zu on the Pareto front",
	         strlen(run->name) > 48 ? "..." : "", short_name(run->name),
	         r->extra && r->extra->ncand ? r->extra->ncand : r->npoints,
	         r->nfront);
	fputs("set title ", f);
	gp_str(f, t);
	snprintf(t, sizeof t, "%s on %s",
	         apnas_report_metric_name(r, APNAS_RM_X),
	         run->hardware ? run->hardware : "?");
	fputs("\nset xlabel ", f);
	gp_str(f, t);
	fputc('\n', f);
}

static void pareto_ranges(FILE *f, const plot_ctx *c, size_t h)
{
	const apnas_report *r = c->r;
	range gx = RANGE_EMPTY, gy = RANGE_EMPTY;
	for (size_t i = 0; i < r->nruns; i++) {
		const apnas_report_run *run = &r->runs[i];
		if (run_hw(r, i) != h)
			continue;
		range_add(&gx, run->m[APNAS_RM_X], c->logx);
		range_add(&gy, run->m[APNAS_RM_VAL_ACC], 0);
		for (size_t k = 0; k < run->npareto; k++) {
			range_add(&gx, run->pareto_x[k], c->logx);
			range_add(&gy, run->pareto_acc[k], 0);
		}
		for (size_t k = 0; c->single && r->extra &&
		                   k < r->extra[i].ncand; k++) {
			range_add(&gx, r->extra[i].cand_x[k], c->logx);
			range_add(&gy, r->extra[i].cand_acc[k], 0);
		}
	}
	/* room on the right and above for the front's labels */
	int labels = r->nfront <= MAX_LABELLED;
	set_range(f, "x", gx, c->logx, 0.04, labels ? 0.14 : 0.04);
	set_range(f, "y", gy, 0, 0.06, labels ? 0.1 : 0.06);
}

static void pareto_panel(FILE *f, const plot_ctx *c, size_t h)
{
	const apnas_report *r = c->r;
	const char *x = apnas_report_metric_name(r, APNAS_RM_X);
	if (c->single) {
		single_titles(f, c);
	} else {
		fputs("set title ", f);
		if (r->nhardware > 1) {
			gp_str(f, r->hardware[h]);
		} else {
			char t[512];
			snprintf(t, sizeof t, "Pareto points of every run and "
			         "the combined front (%s)", r->nhardware ?
			         r->hardware[0] : "");
			gp_str(f, t);
		}
		fputs("\nset xlabel ", f);
		gp_str(f, x);
		fputs("\n", f);
	}
	pareto_ranges(f, c, h);
	fputs("plot \\\n", f);
	if (c->single && r->extra && r->extra->ncand)
		fprintf(f, "  'plot_cloud.dat' index 0 using 1:2 with points "
		        "pt 7 ps 0.5 lc rgb '#c8c8c8' title 'every candidate "
		        "(%zu)', \\\n", r->extra->ncand);
	for (size_t g = 0; g < r->ngroups; g++) {
		if (!group_on(r, g, h))
			continue;
		fprintf(f, "  'plot_points.dat' index %zu using 1:2 with points "
		        "lt %zu pt %d ps 1.2 title ", block_index(r, h, g),
		        c->method[g] % N_COLOURS + 1,
		        markers[c->method[g] % N_MARKERS]);
		gp_str(f, c->single ? "Pareto points" : legend_name(c, g));
		fputs(", \\\n", f);
	}
	fprintf(f, "  'plot_front.dat' index %zu using 1:2 with steps lw 2 "
	        "dt 2 lc rgb '#222222' title '%s'", h, c->single
	        ? "front" : "front on this hardware");
	if (r->nfront <= MAX_LABELLED)
		fprintf(f, ", \\\n  'plot_front.dat' index %zu using 1:2:3 "
		        "with labels left offset 0.6,0.5 font ',%d' "
		        "tc rgb '#333333' notitle", h, c->single ? 10 : 8);
	if (c->single)
		fputs(", \\\n  'plot_cloud.dat' index 1 using 1:2 with points "
		      "pt 3 ps 2.6 lw 2 lc rgb '#d62728' title 'best "
		      "(rank 1, best.arch)'", f);
	fputc('\n', f);
}

static void pareto_body(FILE *f, const plot_ctx *c)
{
	const apnas_report *r = c->r;
	fputs("reset\n", f);
	style(f, c);
	fputs("set ylabel 'validation accuracy (shared weights)'\n", f);
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

static const char *bars_text(const apnas_report *r)
{
	return r->bars_range ? "mean, bars min..max over seeds"
	                     : "mean ± sample sd over seeds";
}

static void paper_panel(FILE *f, const plot_ctx *c, size_t h, size_t nh)
{
	const apnas_report *r = c->r;
	char t[512];
	if (nh > 1)
		snprintf(t, sizeof t, "%s", r->hardware[h]);
	else
		snprintf(t, sizeof t, "%s against %s (%s)%s%s", c->test ?
		         "Test accuracy after retraining" : "Validation "
		         "accuracy", apnas_report_metric_name(r, APNAS_RM_X),
		         bars_text(r), r->nhardware ? ", " : "",
		         r->nhardware ? r->hardware[0] : "");
	fputs("set title ", f);
	gp_str(f, t);
	fputc('\n', f);
	range gx = RANGE_EMPTY, gy = RANGE_EMPTY;
	for (size_t k = 0; k < c->npaper; k++) {
		const paper_pt *p = &c->paper[k];
		if (p->h != h)
			continue;
		range_add(&gx, p->xlo, c->logx);
		range_add(&gx, p->xhi, c->logx);
		range_add(&gy, p->ylo, 0);
		range_add(&gy, p->yhi, 0);
	}
	set_range(f, "x", gx, c->logx, 0.08, 0.08);
	set_range(f, "y", gy, 0, 0.08, 0.08);
	fputs("plot \\\n", f);
	int first = 1;
	for (size_t k = 0; k < c->npaper; k++) {
		const paper_pt *p = &c->paper[k];
		if (p->h != h)
			continue;
		fprintf(f, "%s  'plot_paper.dat' index %zu using 1:2:3:4:5:6 "
		        "with xyerrorbars lt %zu pt %d ps 1.6 lw 1.5 title ",
		        first ? "" : ", \\\n", k,
		        c->method[p->g] % N_COLOURS + 1,
		        markers[c->method[p->g] % N_MARKERS]);
		gp_str(f, legend_name(c, p->g));
		first = 0;
	}
	if (first) /* nothing on this hardware: an empty frame says so */
		fputs("  NaN notitle", f);
	fputc('\n', f);
}

static void paper_body(FILE *f, const plot_ctx *c)
{
	const apnas_report *r = c->r;
	fputs("reset\n", f);
	style(f, c);
	char t[256];
	snprintf(t, sizeof t, "%s of the best network (%s)",
	         apnas_report_metric_name(r, APNAS_RM_X), bars_text(r));
	fputs("set xlabel ", f);
	gp_str(f, t);
	snprintf(t, sizeof t, "%s (%s)", c->test ? "test accuracy after "
	         "retraining" : "validation accuracy (shared weights; no run "
	         "retrained)", bars_text(r));
	fputs("\nset ylabel ", f);
	gp_str(f, t);
	fputc('\n', f);
	if (c->logx)
		fputs("set logscale x\nset format x '%.0s%c'\n", f);
	else
		fputs("set format x '%.1s%c'\n", f);
	size_t nh = r->nhardware ? r->nhardware : 1;
	if (nh > 1) {
		snprintf(t, sizeof t, "%s against %s, one marker per group, "
		         "%s; one panel per hardware setting", c->test ?
		         "Test accuracy after retraining" : "Validation "
		         "accuracy", apnas_report_metric_name(r, APNAS_RM_X),
		         bars_text(r));
		fprintf(f, "set multiplot layout %zu,%zu title ",
		        panel_rows(r), panel_cols(r));
		gp_str(f, t);
		fputc('\n', f);
	}
	for (size_t h = 0; h < nh; h++)
		paper_panel(f, c, h, nh);
	if (nh > 1)
		fputs("unset multiplot\n", f);
}

/* The seed a run is told apart by in its group: its seed, or its place. */
static long long seed_of(const apnas_report *r, size_t i, size_t k)
{
	return r->runs[i].seed >= 0 ? (long long)r->runs[i].seed
	                            : (long long)k + 1;
}

static void reward_body(FILE *f, const plot_ctx *c)
{
	const apnas_report *r = c->r;
	fputs("reset\n", f);
	style(f, c);
	if (c->single) {
		char t[512];
		snprintf(t, sizeof t, "%s%s: mean reward of the sampled "
		         "architectures per epoch", strlen(r->runs[0].name) > 48
		         ? "..." : "", short_name(r->runs[0].name));
		fputs("set title ", f);
		gp_str(f, t);
		fputc('\n', f);
	} else {
		fputs("set title 'Mean reward of the sampled architectures per "
		      "epoch (one line per run; line ends: seed)'\n", f);
	}
	fputs("set xlabel 'epoch'\nset ylabel 'mean reward'\nset xtics 1\n",
	      f);
	/* Too many epochs for a tic each: let gnuplot choose. */
	size_t most = 0;
	range gy = RANGE_EMPTY;
	for (size_t i = 0; i < r->nruns; i++) {
		if (r->runs[i].nepochs > most)
			most = r->runs[i].nepochs;
		for (size_t e = 0; e < r->runs[i].nepochs; e++)
			range_add(&gy, r->runs[i].epoch_reward[e], 0);
	}
	if (most > 20)
		fputs("set xtics autofreq\n", f);
	int labels = !c->single && r->nruns <= MAX_SEED_LABELS;
	/* the x axis runs over the epochs, with room for the seed labels */
	fprintf(f, "set xrange [%.17g:%.17g]\n", most > 1 ? 1.0 : 0.5,
	        most > 1 ? (double)most + (double)(most - 1) *
	        (labels ? 0.08 : 0.02) : 1.5);
	set_range(f, "y", gy, 0, 0.06, 0.06);
	/* Each run's seed at the end of its line, in its group's colour;
	 * within a group the runs differ in dash pattern and marker. */
	for (size_t g = 0; labels && g < r->ngroups; g++)
		for (size_t k = 0; k < r->groups[g].nruns; k++) {
			const apnas_report_run *run =
				&r->runs[r->groups[g].runs[k]];
			size_t e = run->nepochs;
			while (e > 0 && isnan(run->epoch_reward[e - 1]))
				e--;
			if (!e)
				continue;
			fprintf(f, "set label 's%lld' at %zu,%.17g left offset "
			        "0.5,0 font ',9' tc lt %zu\n",
			        seed_of(r, r->groups[g].runs[k], k), e,
			        run->epoch_reward[e - 1], g % N_COLOURS + 1);
		}
	fputs("plot \\\n", f);
	int first = 1;
	for (size_t g = 0; g < r->ngroups; g++)
		for (size_t k = 0; k < r->groups[g].nruns; k++) {
			size_t i = r->groups[g].runs[k];
			if (!r->runs[i].nepochs)
				continue;
			fprintf(f, "%s  'plot_reward.dat' index %zu using 1:2 "
			        "with linespoints lt %zu dt %zu pt %d ps 0.6 ",
			        first ? "" : ", \\\n", i, g % N_COLOURS + 1,
			        k % N_DASHES + 1,
			        markers[(g + k) % N_MARKERS]);
			/* One legend entry per group: its first run; a
			 * single run's line needs none. */
			if (c->single) {
				fputs("notitle", f);
			} else if (k == 0) {
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
		if (c->npaper) {
			fprintf(f, "\nset terminal %s\nset output 'paper.%s'."
			        "apnas_suffix\n", terms[t], exts[t]);
			paper_body(f, c);
			fputs("unset output\n", f);
		}
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
	plot_ctx c = {.r = r, .pid = getpid(), .single = r->nruns == 1};
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
		if (!isnan(run->m[APNAS_RM_TEST_ACC]))
			c.test = 1;
	}
	/* A log axis once the points span more than a factor of 20:
	 * below that it only squeezes the interesting part. */
	c.logx = lo > 0 && hi / lo > 20;
	int rc = 0;
	/* a method keeps its colour in every panel of the Pareto and the
	 * paper plots */
	if (methods(&c))
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	/* One run has no spread over seeds to show. */
	if (rc == 0 && !c.single && paper_points(&c))
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (rc == 0)
		rc = write_in(out_dir, "plot_points.dat", write_points, &c, err);
	if (rc == 0)
		rc = write_in(out_dir, "plot_front.dat", write_front, &c, err);
	if (rc == 0)
		rc = write_in(out_dir, "plot_reward.dat", write_reward, &c,
		              err);
	if (rc == 0 && c.npaper)
		rc = write_in(out_dir, "plot_paper.dat", write_paper, &c, err);
	if (rc == 0 && c.single)
		rc = write_in(out_dir, "plot_cloud.dat", write_cloud, &c, err);
	if (rc == 0)
		rc = write_in(out_dir, "plots.gp", write_script, &c, err);
	if (rc == 0)
		rc = run_gnuplot(gnuplot, out_dir, c.pid, err);
	free(gnuplot);
	const char *names[6];
	size_t want = 0;
	names[want++] = "pareto.svg";
	names[want++] = "pareto.png";
	if (c.npaper) {
		names[want++] = "paper.svg";
		names[want++] = "paper.png";
	}
	if (c.reward) {
		names[want++] = "reward.svg";
		names[want++] = "reward.png";
	}
	free(c.paper);
	free(c.method);
	char **list = calloc(want, sizeof *list);
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
