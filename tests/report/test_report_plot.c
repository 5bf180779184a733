/* The plots: with gnuplot installed, `apnas report` draws pareto and
 * reward as SVG and PNG, leaves no temporary file behind, and the script
 * it keeps redraws them; groups named by many long key=value pairs get a
 * legend of their values under a title of the keys, on a canvas grown to
 * hold it.  Without gnuplot this test is skipped (exit 77)
 * with a message saying so; the tables-without-gnuplot path is covered
 * in test_report_runs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "fake_runs.h"
#include "report/report.h"

static const double pa[] = {0.5, 1e4, 0.7, 3e5};
static const double pb[] = {0.6, 2e4, 0.9, 2e6};
static const double ea[] = {0.3, 0.5, 0.6, 0.65};
static const double eb[] = {0.2, 0.4, 0.7, 0.72};

static long file_size(const char *dir, const char *name)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	struct stat st;
	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

START_TEST(plots_drawn)
{
	char *root = fr_tempdir();
	fake_run a = {"mnas-run", "reward = { plugin = \"mnas\"; };\n", 1,
	              0.6, 0.7, 3e5, 10, 10, 3, pa, 2, ea, 4, -1, NULL};
	fake_run b = {"accuracy-run",
	              "reward = { plugin = \"accuracy\"; };\n", 1, 0.9, 0.9,
	              2e6, 10, 10, 3, pb, 2, eb, 4, -1, NULL};
	fr_write(root, &a);
	fr_write(root, &b);
	char *out = NULL;
	if (asprintf(&out, "%s/report", root) < 0)
		abort();
	FILE *m = tmpfile();
	apnas_report_args args = {.dirs = (const char *[]){root}, .ndirs = 1,
	                          .format = APNAS_REPORT_TABLE, .msg = m};
	apnas_error e;
	ck_assert_msg(apnas_report_main(&args, &e) == 0, "%s", e.msg);
	static const char *const files[] = {"pareto.svg", "pareto.png",
	                                    "reward.svg", "reward.png"};
	for (size_t i = 0; i < 4; i++)
		ck_assert_msg(file_size(out, files[i]) > 1000,
		              "%s/%s missing or tiny", out, files[i]);
	char p[4096];
	snprintf(p, sizeof p, "%s/pareto.png", out);
	char *png = fr_read(p);
	ck_assert(!memcmp(png, "\x89PNG\r\n\x1a\n", 8));
	free(png);
	snprintf(p, sizeof p, "%s/pareto.svg", out);
	char *svg = fr_read(p);
	ck_assert_ptr_nonnull(strstr(svg, "<svg"));
	/* Labels in the picture: the groups, and the front's points by
	 * their run's seed and rank there (the long names are in the
	 * tables). */
	ck_assert_ptr_nonnull(strstr(svg, "reward.plugin=mnas"));
	ck_assert_ptr_nonnull(strstr(svg, "s1 #1"));
	ck_assert_ptr_null(strstr(svg, "accuracy-run"));
	free(svg);
	/* The cycles span a factor of 200: a log axis. */
	snprintf(p, sizeof p, "%s/plots.gp", out);
	char *gp = fr_read(p);
	ck_assert_ptr_nonnull(strstr(gp, "set logscale x"));
	free(gp);
	/* No temporary left; the paths were announced. */
	DIR *d = opendir(out);
	struct dirent *de;
	while ((de = readdir(d)))
		ck_assert_msg(!strstr(de->d_name, ".tmp"), "left %s",
		              de->d_name);
	closedir(d);
	rewind(m);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, m);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "plots:"));
	ck_assert_ptr_nonnull(strstr(buf, "reward.png"));
	fclose(m);

	/* The kept script redraws the plots by itself. */
	snprintf(p, sizeof p, "%s/pareto.png", out);
	remove(p);
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot plots.gp 2>/dev/null",
	         out);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_gt(file_size(out, "pareto.png"), 1000);
	free(out);
	fr_rmtree(root);
	free(root);
}
END_TEST

START_TEST(long_group_names_shortened_to_values)
{
	char *root = fr_tempdir();
	/* 6 groups of 5 keys: "controller.plugin=reinforce_lstm,
	 * controller.lr=0.001,reward.plugin=mnas,..." is ~110 characters */
	for (int g = 0; g < 6; g++) {
		char rel[64], cfg[512];
		snprintf(rel, sizeof rel, "g%d/seed-1", g);
		snprintf(cfg, sizeof cfg,
		         "controller = { plugin = \"reinforce_lstm\"; "
		         "lr = %g; };\nreward = { plugin = \"mnas\"; "
		         "target = 0.5; beta = -%g; };\ncost = { plugin = "
		         "\"systolic\"; rows = %d; };\n", 0.001 * (1 + g % 2),
		         0.07 * (1 + g / 3), 8 << (g % 3));
		fake_run f = {rel, cfg, 1, 0.6, 0.7, 3e4 * (g + 1), 10, 10, 3,
		              pa, 2, ea, 4, -1, NULL};
		fr_write(root, &f);
	}
	char *out = NULL;
	if (asprintf(&out, "%s/report", root) < 0)
		abort();
	FILE *m = tmpfile();
	apnas_report_args args = {
		.dirs = (const char *[]){root}, .ndirs = 1,
		.format = APNAS_REPORT_TABLE, .msg = m,
		.group_by = "controller.plugin,controller.lr,reward.plugin,"
		            "reward.beta,cost.rows"};
	apnas_error e;
	ck_assert_msg(apnas_report_main(&args, &e) == 0, "%s", e.msg);
	char p[4096];
	snprintf(p, sizeof p, "%s/plots.gp", out);
	char *gp = fr_read(p);
	ck_assert_msg(strstr(gp, "set key title 'controller.plugin, "
	                     "controller.lr, reward.plugin, reward.beta, "
	                     "cost.rows'"), "%s", gp);
	ck_assert_ptr_nonnull(strstr(gp, "title 'reinforce_lstm, 0.001, "
	                                 "mnas, -0.14, 16'"));
	ck_assert_ptr_null(strstr(gp, "title 'controller.plugin="));
	/* One panel per hardware setting: the three array sizes. */
	ck_assert_ptr_nonnull(strstr(gp, "set multiplot layout 1,3 "));
	ck_assert_ptr_nonnull(strstr(gp, "set title 'systolic rows=8'"));
	ck_assert_ptr_nonnull(strstr(gp, "set title 'systolic rows=16'"));
	ck_assert_ptr_nonnull(strstr(gp, "set title 'systolic rows=32'"));
	int w = 0, h = 0;
	const char *t = strstr(gp, "svg size ");
	ck_assert(t && sscanf(t, "svg size %d,%d", &w, &h) == 2);
	free(gp);
	/* The same runs grouped by one short key: the same panels, and a
	 * legend that fits beside them.  The long names' rows under the
	 * plot make the canvas taller, never narrower. */
	char *out2 = NULL;
	if (asprintf(&out2, "%s/report-short", root) < 0)
		abort();
	args.out_dir = out2;
	args.group_by = "cost.rows";
	ck_assert_msg(apnas_report_main(&args, &e) == 0, "%s", e.msg);
	snprintf(p, sizeof p, "%s/plots.gp", out2);
	gp = fr_read(p);
	int w2 = 0, h2 = 0;
	t = strstr(gp, "svg size ");
	ck_assert(t && sscanf(t, "svg size %d,%d", &w2, &h2) == 2);
	ck_assert_int_eq(w, w2);
	ck_assert_int_gt(h, h2);
	free(gp);
	free(out2);
	snprintf(p, sizeof p, "%s/pareto.svg", out);
	char *svg = fr_read(p);
	ck_assert_ptr_nonnull(strstr(svg, "reinforce_lstm, 0.001, mnas"));
	free(svg);
	fclose(m);
	free(out);
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
	Suite *s = suite_create("report_plot");
	TCase *t = tcase_create("plot");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, plots_drawn);
	tcase_add_test(t, long_group_names_shortened_to_values);
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
