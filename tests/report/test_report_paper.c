/* The report's pictures as a paper and a single run need them: the paper
 * plot's markers (mean of each group on each hardware setting, error bars
 * of the sample standard deviation or of min..max on both axes) against
 * values worked out by hand, a method in one colour and marker across
 * the hardware panels; a single run's front labelled by rank, its
 * best marked, every candidate behind it, a title of that run and axes
 * fitted to its data; the seeds of a group told apart in the reward plot;
 * the provenance table and the warning when runs ran on different
 * commits.  Needs gnuplot (exit 77 without it, saying so). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_runs.h"
#include "report/report.h"

static char *in(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	char *s = fr_read(p);
	free(p);
	return s;
}

/* Runs apnas_report_main on root; its notes in *msg (malloc()ed). */
static void report(const char *root, const char *out, const char *group_by,
                   int bars_range, char **msg)
{
	char *m = NULL;
	size_t n = 0;
	FILE *mf = open_memstream(&m, &n);
	apnas_report_args a = {.dirs = (const char *[]){root}, .ndirs = 1,
	                       .out_dir = out, .group_by = group_by,
	                       .bars_range = bars_range, .msg = mf};
	apnas_error e;
	apnas_error_clear(&e);
	ck_assert_msg(apnas_report_main(&a, &e) == 0, "%s", e.msg);
	fclose(mf);
	if (msg)
		*msg = m;
	else
		free(m);
}

/* The data lines of a plot_*.dat file, as numbers: up to 8 a line. */
static size_t data_lines(const char *text, double v[][8], size_t cap)
{
	size_t n = 0;
	for (const char *l = text; l && *l && n < cap;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		if (len && l[0] != '#') {
			char buf[512];
			snprintf(buf, sizeof buf, "%.*s", (int)len, l);
			char *s = buf;
			for (int k = 0; k < 8; k++) {
				char *end;
				v[n][k] = strtod(s, &end);
				if (end == s)
					v[n][k] = NAN;
				s = end;
			}
			n++;
		}
		l = e ? e + 1 : l + len;
	}
	return n;
}

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* Whether one of the n lines starts with the 7 numbers want. */
static int has_line(double v[][8], size_t n, const double *want)
{
	for (size_t i = 0; i < n; i++) {
		int ok = 1;
		for (int k = 0; k < 7 && ok; k++)
			ok = near(v[i][k], want[k]);
		if (ok)
			return 1;
	}
	return 0;
}

#define CFG(p) "controller = { plugin = \"" p "\"; };\n"

/* Method a: 3 seeds on 8x8 (cycles 100, 200, 300; test accuracy 0.5,
 * 0.6, 0.7) and one on 16x16; method b: 2 seeds on 8x8 (400, 600; 0.8,
 * 0.9) and one on 16x16 that was not retrained. */
static void write_methods(const char *root)
{
	static const struct {
		const char *rel, *cfg, *hw;
		long long seed;
		double cycles, test;
	} runs[] = {
		{"a/seed-1", CFG("a"), "8x8 os", 1, 100, 0.5},
		{"a/seed-2", CFG("a"), "8x8 os", 2, 200, 0.6},
		{"a/seed-3", CFG("a"), "8x8 os", 3, 300, 0.7},
		{"a16/seed-9", CFG("a"), "16x16 os", 9, 50, 0.4},
		{"b/seed-1", CFG("b"), "8x8 os", 1, 400, 0.8},
		{"b/seed-2", CFG("b"), "8x8 os", 2, 600, 0.9},
		{"b16/seed-9", CFG("b"), "16x16 os", 9, 70, -1},
	};
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		fake_run f = {runs[i].rel, runs[i].cfg, runs[i].seed, 0.5,
		              0.7, runs[i].cycles, 10, 100, 1, NULL, 0, NULL,
		              0, runs[i].test, runs[i].hw};
		fr_write(root, &f);
	}
}

START_TEST(paper_plot_means_and_error_bars)
{
	char *root = fr_tempdir();
	write_methods(root);
	char out[4096];
	snprintf(out, sizeof out, "%s/rep", root);
	report(root, out, "controller.plugin", 0, NULL);
	char *dat = in(out, "plot_paper.dat");
	ck_assert_ptr_nonnull(dat);
	double v[16][8];
	size_t n = data_lines(dat, v, 16);
	/* a on 8x8, b on 8x8, a on 16x16 (one run: no bar); b on 16x16 has
	 * no test accuracy and no marker */
	ck_assert_int_eq(n, 3);
	double sd_b = sqrt(2 * 100.0 * 100.0), sd_bt = sqrt(2 * 0.05 * 0.05);
	const double a8[] = {200, 0.6, 100, 300, 0.5, 0.7, 3};
	const double b8[] = {500, 0.85, 500 - sd_b, 500 + sd_b, 0.85 - sd_bt,
	                     0.85 + sd_bt, 2};
	const double a16[] = {50, 0.4, 50, 50, 0.4, 0.4, 1};
	ck_assert_msg(has_line(v, n, a8), "%s", dat);
	ck_assert_msg(has_line(v, n, b8), "%s", dat);
	ck_assert_msg(has_line(v, n, a16), "%s", dat);
	ck_assert_ptr_nonnull(strstr(dat, "sample standard deviation"));
	free(dat);
	char *gp = in(out, "plots.gp");
	ck_assert_ptr_nonnull(strstr(gp, "set output 'paper.svg'"));
	ck_assert_ptr_nonnull(strstr(gp, "using 1:2:3:4:5:6 with xyerrorbars"));
	ck_assert_ptr_nonnull(strstr(gp, "set ylabel 'test accuracy after "
	                                 "retraining (mean ± sample sd over "
	                                 "seeds)'"));
	/* one marker per method: the same colour and marker in both panels */
	ck_assert_ptr_nonnull(strstr(gp, "set title '16x16 os'"));
	free(gp);
	char *svg = in(out, "paper.svg");
	ck_assert_ptr_nonnull(svg);
	ck_assert_ptr_nonnull(strstr(svg, "controller.plugin=a"));
	ck_assert_ptr_nonnull(strstr(svg, "controller.plugin=b"));
	ck_assert_ptr_nonnull(strstr(svg, "test accuracy after retraining"));
	free(svg);

	/* min..max bars instead */
	snprintf(out, sizeof out, "%s/rep-range", root);
	report(root, out, "controller.plugin", 1, NULL);
	dat = in(out, "plot_paper.dat");
	n = data_lines(dat, v, 16);
	const double a8r[] = {200, 0.6, 100, 300, 0.5, 0.7, 3};
	const double b8r[] = {500, 0.85, 400, 600, 0.8, 0.9, 2};
	ck_assert_msg(has_line(v, n, a8r), "%s", dat);
	ck_assert_msg(has_line(v, n, b8r), "%s", dat);
	ck_assert_ptr_nonnull(strstr(dat, "min..max"));
	free(dat);
	gp = in(out, "plots.gp");
	ck_assert_ptr_nonnull(strstr(gp, "mean, bars min..max over seeds"));
	free(gp);
	fr_rmtree(root);
	free(root);
}
END_TEST

/* The style ("lt 2 pt 5") of the paper plot's marker titled `title`
 * (within the SVG terminal's section). */
static void paper_style(const char *gp, const char *title, char *out,
                        size_t cap)
{
	const char *s = strstr(gp, "set output 'paper.svg'");
	ck_assert_ptr_nonnull(s);
	const char *end = strstr(s, "unset output");
	char want[256];
	snprintf(want, sizeof want, "title '%s'", title);
	const char *t = strstr(s, want);
	ck_assert_msg(t && t < end, "no marker titled %s", title);
	const char *lt = t;
	while (lt > s && strncmp(lt, " lt ", 4))
		lt--;
	const char *ps = strstr(lt, " ps ");
	ck_assert(ps && ps < t);
	snprintf(out, cap, "%.*s", (int)(ps - lt), lt);
}

/* An ablate grid over the array and the controller, grouped as apnas
 * ablate lays it out (one group per array and controller): a controller
 * keeps its colour and marker in both arrays' panels. */
START_TEST(paper_plot_method_keeps_its_marker)
{
	char *root = fr_tempdir();
	static const char *const dirs[] = {
		"cost.rows=8,controller.plugin=a/seed-1",
		"cost.rows=16,controller.plugin=a/seed-1",
		"cost.rows=8,controller.plugin=b/seed-1",
		"cost.rows=16,controller.plugin=b/seed-1",
	};
	for (int i = 0; i < 4; i++) {
		fake_run f = {dirs[i], NULL, 1, 0.5, 0.7, 100 + i, 10, 100, 1,
		              NULL, 0, NULL, 0, 0.5 + 0.1 * i,
		              i % 2 ? "16x16 os" : "8x8 os"};
		fr_write(root, &f);
	}
	char out[4096];
	snprintf(out, sizeof out, "%s/rep", root);
	report(root, out, NULL, 0, NULL);
	char *gp = in(out, "plots.gp");
	char a8[64], a16[64], b8[64], b16[64];
	paper_style(gp, "cost.rows=8,controller.plugin=a", a8, sizeof a8);
	paper_style(gp, "cost.rows=16,controller.plugin=a", a16, sizeof a16);
	paper_style(gp, "cost.rows=8,controller.plugin=b", b8, sizeof b8);
	paper_style(gp, "cost.rows=16,controller.plugin=b", b16, sizeof b16);
	ck_assert_str_eq(a8, a16);
	ck_assert_str_eq(b8, b16);
	ck_assert_str_ne(a8, b8);
	free(gp);
	fr_rmtree(root);
	free(root);
}
END_TEST

/* A run directory written by hand: Pareto points of ranks 7, 1 and 4,
 * twelve candidates, a reward curve. */
static void write_single(const char *root)
{
	fr_write_file(root, "my-single-run/summary.json",
		"{\"format\": 1, \"status\": \"finished\", \"wall_seconds\": 1,"
		" \"seed\": 3, \"controller\": \"random\", \"reward\": \"mnas\","
		" \"cost\": \"systolic\", \"hardware\": \"8x8 os\","
		" \"reward_metric\": \"cycles\","
		" \"metrics\": [{\"name\": \"cycles\", \"goal\": \"min\"}],\n"
		" \"best\": {\"file\": \"best.arch\", \"rank\": 1, \"accuracy\": "
		"0.8, \"cycles\": 1000, \"params\": 5, \"macs\": 50, \"reward\": "
		"0.7},\n \"top\": [{\"file\": \"top/01.arch\", \"rank\": 1}],\n"
		" \"pareto\": [{\"rank\": 7, \"accuracy\": 0.6, \"cycles\": 500},"
		" {\"rank\": 1, \"accuracy\": 0.8, \"cycles\": 1000},"
		" {\"rank\": 4, \"accuracy\": 0.9, \"cycles\": 3000}]}\n");
	fr_write_file(root, "my-single-run/candidates.csv",
		"rank,accuracy,val_images,cycles,reward,pareto\n"
		"1,0.8,100,1000,0.7,1\n2,0.7,100,1500,0.6,0\n"
		"3,0.75,100,2500,0.6,0\n4,0.9,100,3000,0.6,1\n"
		"5,0.5,100,700,0.5,0\n6,0.4,100,2000,0.4,0\n"
		"7,0.6,100,500,0.4,1\n8,0.3,100,800,0.3,0\n"
		"9,0.35,100,1200,0.3,0\n10,0.45,100,2900,0.3,0\n"
		"11,0.55,100,1800,0.3,0\n12,0.65,100,2200,0.3,0\n");
	fr_write_file(root, "my-single-run/epochs.csv",
		"epoch,mean_reward\n0,0.2\n1,0.3\n2,0.5\n");
}

/* The numbers of the first `set <axis>range [a:b]` after `after`. */
static void range_after(const char *gp, const char *after, const char *axis,
                        double *a, double *b)
{
	const char *s = strstr(gp, after);
	ck_assert_ptr_nonnull(s);
	char key[32];
	snprintf(key, sizeof key, "set %srange [", axis);
	s = strstr(s, key);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sscanf(s + strlen(key), "%lf:%lf", a, b), 2);
}

START_TEST(single_run_by_rank_best_and_cloud)
{
	char *root = fr_tempdir();
	write_single(root);
	char run[4096], out[4096];
	snprintf(run, sizeof run, "%s/my-single-run", root);
	snprintf(out, sizeof out, "%s/rep", root);
	report(run, out, NULL, 0, NULL);
	char *front = in(out, "plot_front.dat");
	/* x ascending: ranks 7, 1, 4; the run's name nowhere */
	const char *p7 = strstr(front, "500 0.59999999999999998 \"#7\"");
	const char *p1 = strstr(front, "1000 0.80000000000000004 \"#1\"");
	const char *p4 = strstr(front, "3000 0.90000000000000002 \"#4\"");
	ck_assert_msg(p7 && p1 && p4 && p7 < p1 && p1 < p4, "%s", front);
	ck_assert_ptr_null(strstr(front, "my-single-run"));
	free(front);
	char *cloud = in(out, "plot_cloud.dat");
	double v[32][8];
	/* twelve candidates, then the best */
	ck_assert_int_eq(data_lines(cloud, v, 32), 13);
	ck_assert(near(v[12][0], 1000) && near(v[12][1], 0.8));
	free(cloud);
	char *gp = in(out, "plots.gp");
	ck_assert_ptr_nonnull(strstr(gp, "set title 'my-single-run: 12 "
	                                 "candidates, 3 on the Pareto front'"));
	ck_assert_ptr_nonnull(strstr(gp, "set xlabel 'cycles on 8x8 os'"));
	ck_assert_ptr_nonnull(strstr(gp, "title 'every candidate (12)'"));
	ck_assert_ptr_nonnull(strstr(gp, "title 'best (rank 1, best.arch)'"));
	ck_assert_ptr_nonnull(strstr(gp, "set title 'my-single-run: mean "
	                                 "reward"));
	/* fitted: just around the candidates (500..3000, 0.3..0.9), not
	 * from zero nor out to round tics */
	double a, b;
	range_after(gp, "set output 'pareto.svg'", "x", &a, &b);
	ck_assert_msg(a > 300 && a < 500 && b > 3000 && b < 3600,
	              "x range %g..%g", a, b);
	range_after(gp, "set output 'pareto.svg'", "y", &a, &b);
	ck_assert_msg(a > 0.25 && a < 0.3 && b > 0.9 && b < 0.98,
	              "y range %g..%g", a, b);
	range_after(gp, "set output 'reward.svg'", "y", &a, &b);
	ck_assert_msg(a > 0.15 && a < 0.2 && b > 0.5 && b < 0.55,
	              "reward range %g..%g", a, b);
	/* one run: no spread over seeds to plot */
	ck_assert_ptr_null(strstr(gp, "paper.svg"));
	free(gp);
	ck_assert(!fr_exists(out, "paper.svg"));
	char *svg = in(out, "pareto.svg");
	ck_assert_ptr_nonnull(strstr(svg, "#4"));
	ck_assert_ptr_nonnull(strstr(svg, "every candidate (12)"));
	free(svg);
	fr_rmtree(root);
	free(root);
}
END_TEST

START_TEST(reward_seeds_told_apart)
{
	char *root = fr_tempdir();
	static const double e[3][3] = {{0.1, 0.2, 0.3}, {0.2, 0.4, 0.5},
	                               {0.15, 0.25, 0.2}};
	static const double p[] = {0.5, 100};
	for (int s = 0; s < 3; s++) {
		char rel[64];
		snprintf(rel, sizeof rel, "g/seed-%d", s + 1);
		fake_run f = {rel, CFG("a"), s + 1, 0.5, 0.5, 100, 1, 1, 1, p,
		              1, e[s], 3, -1, "8x8 os"};
		fr_write(root, &f);
	}
	char out[4096];
	snprintf(out, sizeof out, "%s/rep", root);
	report(root, out, NULL, 0, NULL);
	char *gp = in(out, "plots.gp");
	const char *rw = strstr(gp, "set output 'reward.svg'");
	ck_assert_ptr_nonnull(rw);
	/* each seed named at its line's end (last epoch, last value) */
	ck_assert_ptr_nonnull(strstr(rw, "set label 's1' at 3,0.29999"));
	ck_assert_ptr_nonnull(strstr(rw, "set label 's2' at 3,0.5"));
	ck_assert_ptr_nonnull(strstr(rw, "set label 's3' at 3,0.2"));
	/* and drawn in three dash patterns, one legend entry */
	ck_assert_ptr_nonnull(strstr(rw, "index 0 using 1:2 with linespoints "
	                                 "lt 1 dt 1"));
	ck_assert_ptr_nonnull(strstr(rw, "index 1 using 1:2 with linespoints "
	                                 "lt 1 dt 2"));
	ck_assert_ptr_nonnull(strstr(rw, "index 2 using 1:2 with linespoints "
	                                 "lt 1 dt 3"));
	double a, b;
	range_after(gp, "set output 'reward.svg'", "y", &a, &b);
	ck_assert_msg(a > 0.05 && a < 0.1 && b > 0.5 && b < 0.55,
	              "reward range %g..%g", a, b);
	free(gp);
	char *svg = in(out, "reward.svg");
	ck_assert_ptr_nonnull(strstr(svg, ">s2<"));
	free(svg);
	fr_rmtree(root);
	free(root);
}
END_TEST

/* Adds a "provenance" record to a fake run's summary.json. */
static void provenance(const char *root, const char *rel, const char *commit,
                       const char *cpu, const char *kern)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s/summary.json", root, rel);
	char *s = fr_read(p);
	ck_assert(s && s[0] == '{');
	char *t = NULL;
	ck_assert(asprintf(&t, "{\"provenance\": {\"commit\": \"%s\", "
	                   "\"cpu\": \"%s\", \"openblas_core\": \"Haswell\", "
	                   "\"openblas_config\": \"OpenBLAS 0.3.21\", "
	                   "\"engine_kernels\": \"%s\"},%s",
	                   commit, cpu, kern, s + 1) > 0);
	snprintf(p, sizeof p, "%s/summary.json", rel);
	fr_write_file(root, p, t);
	free(s);
	free(t);
}

START_TEST(provenance_shown_and_differences_warned)
{
	char *root = fr_tempdir();
	static const double p[] = {0.5, 100};
	fake_run a = {"a/seed-1", CFG("a"), 1, 0.5, 0.5, 100, 1, 1, 1, p, 1,
	              NULL, 0, -1, "8x8 os"};
	fake_run b = {"a/seed-2", CFG("a"), 2, 0.5, 0.5, 100, 1, 1, 1, p, 1,
	              NULL, 0, -1, "8x8 os"};
	fr_write(root, &a);
	fr_write(root, &b);
	provenance(root, "a/seed-1", "abc1234", "Test CPU 1", "avx512");
	provenance(root, "a/seed-2", "abc1234", "Test CPU 1", "avx512");
	char out[4096], *msg = NULL;
	snprintf(out, sizeof out, "%s/rep", root);
	report(root, out, NULL, 0, &msg);
	ck_assert_msg(!strstr(msg, "warning"), "%s", msg);
	free(msg);
	char *md = in(out, "report.md");
	ck_assert_ptr_nonnull(strstr(md, "## Where the runs ran"));
	ck_assert_ptr_nonnull(strstr(md, "| a/seed-2 | abc1234 | Test CPU 1 "
	                                 "| Haswell "));
	ck_assert_ptr_nonnull(strstr(md, "| engine kernels |"));
	ck_assert_ptr_nonnull(strstr(md, "| avx512         | -"));
	free(md);
	provenance(root, "a/seed-2", "def5678+", "Test CPU 1", "avx512");
	report(root, out, NULL, 0, &msg);
	ck_assert_msg(strstr(msg, "warning: runs ran on different commits: "
	                     "abc1234 (a/seed-1) and def5678+ (a/seed-2)"),
	              "%s", msg);
	ck_assert_msg(!strstr(msg, "different CPUs"), "%s", msg);
	ck_assert_msg(!strstr(msg, "different engine kernels"), "%s", msg);
	free(msg);
	/* the same commit and CPU, but one run under APNAS_NN_ISA=avx2 */
	provenance(root, "a/seed-2", "abc1234", "Test CPU 1", "avx2");
	report(root, out, NULL, 0, &msg);
	ck_assert_msg(strstr(msg, "warning: runs ran on different engine "
	                     "kernels: avx512 (a/seed-1) and avx2 (a/seed-2)"),
	              "%s", msg);
	ck_assert_msg(!strstr(msg, "different commits"), "%s", msg);
	free(msg);
	md = in(out, "report.md");
	ck_assert_ptr_nonnull(strstr(md, "| avx2           | -"));
	free(md);
	fr_rmtree(root);
	free(root);
}
END_TEST

static int have_gnuplot(void)
{
	return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

int main(void)
{
	if (!have_gnuplot()) {
		fprintf(stderr, "SKIP: gnuplot is not installed (Debian "
		        "package gnuplot-nox): the plot test cannot run\n");
		return 77;
	}
	Suite *s = suite_create("report_paper");
	TCase *t = tcase_create("paper");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, paper_plot_means_and_error_bars);
	tcase_add_test(t, paper_plot_method_keeps_its_marker);
	tcase_add_test(t, single_run_by_rank_best_and_cloud);
	tcase_add_test(t, reward_seeds_told_apart);
	tcase_add_test(t, provenance_shown_and_differences_warned);
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
