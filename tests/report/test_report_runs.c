/* The report on fake run directories whose numbers the test chose:
 * which directories count as runs, grouping over seeds (by config, by
 * --group-by, by the ablate layout), means and standard deviations
 * against values worked out by hand, the Pareto fronts of a hand-made set
 * (one per hardware setting, against cycles or the metric --x names), runs
 * older than summary.json's hardware, and report.csv / report.json read
 * back. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_runs.h"
#include "report/csvread.h"
#include "report/json.h"
#include "report/report.h"

#define CFG8 "cost = { plugin = \"systolic\"; rows = 8; };\n" \
             "search = { epochs = 3; lr = 0.05; };\n"
#define CFG16 "cost = { plugin = \"systolic\"; rows = 16; };\n" \
              "search = { epochs = 5; lr = 0.05; };\n"

static const double p81[] = {0.5, 100, 0.7, 300};
static const double p82[] = {0.6, 200, 0.65, 400};
static const double p16[] = {0.5, 150, 0.8, 1000};
static const double e81[] = {0.1, 0.2, 0.3};
static const double e82[] = {0.2, 0.3, 0.4};

/* Group cost.rows=8: seeds 1..3; group cost.rows=16: one run.  hw8 and
 * hw16: the hardware their summaries name (NULL: summaries of runs older
 * than ABI 2.0, which name none). */
static void write_grid_on(const char *root, const char *hw8,
                          const char *hw16)
{
	fake_run r81 = {"rows8-a", CFG8, 1, 0.5, 0.70, 1000, 100, 10000,
	                10, p81, 2, e81, 3, 0.9, hw8};
	fake_run r82 = {"rows8-b", CFG8, 2, 0.6, 0.72, 2000, 200, 20000,
	                20, p82, 2, e82, 3, 0.8, hw8};
	fake_run r83 = {"rows8-c", CFG8, 3, 0.7, 0.74, 3000, 300, 30000,
	                30, NULL, 0, NULL, 0, -1, hw8};
	fake_run r16 = {"rows16", CFG16, 1, 0.9, 0.80, 1000, 50, 5000,
	                5, p16, 2, NULL, 0, -1, hw16};
	fr_write(root, &r83);
	fr_write(root, &r16);
	fr_write(root, &r81);
	fr_write(root, &r82);
	/* Not runs: another tool's summary, and a run still going. */
	fr_write_file(root, "notes/summary.json", "{\"test_accuracy\": 1}\n");
	fr_write_file(root, "going/config.cfg", CFG8);
	fr_write_file(root, "going/checkpoint/state.ckpt", "x");
}

/* The grid as runs of this version write it. */
static void write_grid(const char *root)
{
	write_grid_on(root, "8x32 os", "16x32 os");
}

/* Gathers, groups and takes the fronts against metric x (NULL: the
 * default, cycles). */
static void load_x(const char *root, const char *group_by, const char *x,
                   apnas_report *r)
{
	apnas_error e;
	apnas_error_clear(&e);
	memset(r, 0, sizeof *r);
	r->x = x;
	ck_assert_msg(apnas_report_scan(r, root, 0, &e) == 0, "%s", e.msg);
	ck_assert_msg(apnas_report_group_runs(r, group_by, &e) == 0, "%s",
	              e.msg);
	ck_assert_msg(apnas_report_front(r, &e) == 0, "%s", e.msg);
}

static void load(const char *root, const char *group_by, apnas_report *r)
{
	load_x(root, group_by, NULL, r);
}

#define TOL 1e-12

START_TEST(groups_over_seeds)
{
	char *root = fr_tempdir();
	write_grid(root);
	apnas_report r;
	load(root, NULL, &r);
	ck_assert_uint_eq(r.nruns, 4);
	ck_assert_uint_eq(r.unfinished, 1);
	ck_assert_uint_eq(r.ngroups, 2);
	/* Only the varying key labels a group; 8 sorts before 16. */
	ck_assert_str_eq(r.groups[0].label, "cost.rows=8,search.epochs=3");
	ck_assert_str_eq(r.groups[1].label, "cost.rows=16,search.epochs=5");
	ck_assert_uint_eq(r.groups[0].nruns, 3);
	/* Runs in group order, then by seed. */
	ck_assert_str_eq(r.runs[0].name, "rows8-a");
	ck_assert_str_eq(r.runs[2].name, "rows8-c");
	ck_assert_str_eq(r.runs[3].name, "rows16");
	ck_assert_int_eq(r.runs[1].seed, 2);
	ck_assert_str_eq(apnas_report_setting(&r.runs[0], "cost.plugin"),
	                 "systolic");
	ck_assert_str_eq(apnas_report_setting(&r.runs[0], "search.lr"),
	                 "0.05");

	const apnas_report_stat *s = r.groups[0].stat;
	/* reward 0.5, 0.6, 0.7: mean 0.6, sd 0.1 */
	ck_assert_uint_eq(s[APNAS_RM_REWARD].n, 3);
	ck_assert_double_eq_tol(s[APNAS_RM_REWARD].mean, 0.6, TOL);
	ck_assert_double_eq_tol(s[APNAS_RM_REWARD].sd, 0.1, TOL);
	/* accuracy 0.70, 0.72, 0.74: mean 0.72, sd 0.02 */
	ck_assert_double_eq_tol(s[APNAS_RM_VAL_ACC].mean, 0.72, TOL);
	ck_assert_double_eq_tol(s[APNAS_RM_VAL_ACC].sd, 0.02, TOL);
	/* cycles 1000, 2000, 3000: mean 2000, sd 1000 */
	ck_assert_double_eq_tol(s[APNAS_RM_X].mean, 2000, 1e-9);
	ck_assert_double_eq_tol(s[APNAS_RM_X].sd, 1000, 1e-9);
	ck_assert_double_eq_tol(s[APNAS_RM_PARAMS].sd, 100, 1e-9);
	ck_assert_double_eq_tol(s[APNAS_RM_MACS].mean, 20000, 1e-9);
	ck_assert_double_eq_tol(s[APNAS_RM_WALL].mean, 20, 1e-9);
	ck_assert_double_eq_tol(s[APNAS_RM_WALL].sd, 10, 1e-9);
	/* Two of three retrained: 0.9 and 0.8, sd sqrt(0.005). */
	ck_assert_uint_eq(s[APNAS_RM_TEST_ACC].n, 2);
	ck_assert_double_eq_tol(s[APNAS_RM_TEST_ACC].mean, 0.85, TOL);
	ck_assert_double_eq_tol(s[APNAS_RM_TEST_ACC].sd, sqrt(0.005), TOL);
	/* One run: a mean, no spread. */
	s = r.groups[1].stat;
	ck_assert_uint_eq(s[APNAS_RM_REWARD].n, 1);
	ck_assert_double_eq_tol(s[APNAS_RM_REWARD].mean, 0.9, TOL);
	ck_assert(isnan(s[APNAS_RM_REWARD].sd));
	ck_assert_uint_eq(s[APNAS_RM_TEST_ACC].n, 0);
	ck_assert(isnan(s[APNAS_RM_TEST_ACC].mean));

	/* The reward curve comes from epochs.csv. */
	ck_assert_uint_eq(r.runs[1].nepochs, 3);
	ck_assert_double_eq_tol(r.runs[1].epoch_reward[2], 0.4, TOL);
	ck_assert_uint_eq(r.runs[2].nepochs, 0);
	apnas_report_free(&r);
	fr_rmtree(root);
	free(root);
}
END_TEST

/* One front per hardware setting: a run is never compared with a run on
 * other hardware. */
START_TEST(combined_front)
{
	char *root = fr_tempdir();
	write_grid(root);
	apnas_report r;
	load(root, NULL, &r);
	ck_assert_uint_eq(r.nhardware, 2);
	/* 2 + 2 + 1 (best only) + 2 points.  On 8x32: (0.65, 400) is
	 * dominated by (0.7, 300); (0.74, 3000) is the most accurate there.
	 * On 16x32 neither point dominates the other; (0.5, 150) would be
	 * dominated by 8x32's (0.5, 100), which is not compared. */
	ck_assert_uint_eq(r.npoints, 7);
	ck_assert_uint_eq(r.nfront, 6);
	static const struct {
		const char *hw;
		double cyc, acc;
		const char *run;
	} want[] = {
		{"8x32 os", 100, 0.5, "rows8-a"},
		{"8x32 os", 200, 0.6, "rows8-b"},
		{"8x32 os", 300, 0.7, "rows8-a"},
		{"8x32 os", 3000, 0.74, "rows8-c"},
		{"16x32 os", 150, 0.5, "rows16"},
		{"16x32 os", 1000, 0.8, "rows16"},
	};
	for (size_t k = 0; k < 6; k++) {
		ck_assert_str_eq(r.hardware[r.front[k].hw], want[k].hw);
		ck_assert_double_eq(r.front[k].x, want[k].cyc);
		ck_assert_double_eq(r.front[k].accuracy, want[k].acc);
		ck_assert_str_eq(r.runs[r.front[k].run].name, want[k].run);
	}
	apnas_report_free(&r);
	fr_rmtree(root);
	free(root);
}
END_TEST

/* Runs on the same hardware share one front: points of one run dominate
 * another's. */
START_TEST(front_across_runs_on_one_hardware)
{
	char *root = fr_tempdir();
	/* summary.json's hardware is what the report compares. */
	write_grid_on(root, "32x32 os", "32x32 os");
	apnas_report r;
	load(root, NULL, &r);
	ck_assert_uint_eq(r.nhardware, 1);
	ck_assert_str_eq(r.hardware[0], "32x32 os");
	/* (0.65, 400), (0.5, 150) and (0.74, 3000) are dominated. */
	ck_assert_uint_eq(r.npoints, 7);
	ck_assert_uint_eq(r.nfront, 4);
	static const struct {
		double cyc, acc;
		const char *run;
	} want[] = {
		{100, 0.5, "rows8-a"},
		{200, 0.6, "rows8-b"},
		{300, 0.7, "rows8-a"},
		{1000, 0.8, "rows16"},
	};
	for (size_t k = 0; k < 4; k++) {
		ck_assert_uint_eq(r.front[k].hw, 0);
		ck_assert_double_eq(r.front[k].x, want[k].cyc);
		ck_assert_double_eq(r.front[k].accuracy, want[k].acc);
		ck_assert_str_eq(r.runs[r.front[k].run].name, want[k].run);
	}
	apnas_report_free(&r);
	fr_rmtree(root);
	free(root);
}
END_TEST

/* Runs written before summary.json named the hardware: told apart by the
 * cost plugin and its settings in config.cfg. */
START_TEST(older_runs_hardware_from_cost_settings)
{
	char *root = fr_tempdir();
	write_grid_on(root, NULL, NULL);
	apnas_report r;
	load(root, NULL, &r);
	ck_assert_uint_eq(r.nruns, 4);
	ck_assert_uint_eq(r.nhardware, 2);
	ck_assert_str_eq(r.runs[0].hardware, "systolic rows=8");
	ck_assert_str_eq(r.runs[3].hardware, "systolic rows=16");
	ck_assert_uint_eq(r.nfront, 6);
	ck_assert_double_eq_tol(r.groups[0].stat[APNAS_RM_X].mean, 2000, 1e-9);
	apnas_report_free(&r);
	fr_rmtree(root);
	free(root);
}
END_TEST

/* --x: the fronts and the x column against another metric where lower is
 * better; one where higher is better, or one the runs lack, refused. */
START_TEST(x_metric_chosen)
{
	char *root = fr_tempdir();
	write_grid(root);
	apnas_report r;
	load_x(root, NULL, "macs", &r);
	ck_assert_str_eq(apnas_report_metric_name(&r, APNAS_RM_X), "macs");
	/* best macs 10000, 20000, 30000 */
	ck_assert_double_eq_tol(r.groups[0].stat[APNAS_RM_X].mean, 20000,
	                        1e-9);
	ck_assert_double_eq_tol(r.groups[0].stat[APNAS_RM_X].sd, 10000, 1e-9);
	/* The points' macs are 10 x their cycles: the same fronts. */
	ck_assert_uint_eq(r.nfront, 6);
	static const double want[] = {1000, 2000, 3000, 30000, 1500, 10000};
	for (size_t k = 0; k < 6; k++)
		ck_assert_double_eq(r.front[k].x, want[k]);
	apnas_report_free(&r);

	static const struct {
		const char *x, *word;
	} bad[] = {
		{"utilization", "lower is better"},
		{"mapping_efficiency", "lower is better"},
		{"energy_pj", "energy_pj"},
	};
	for (size_t i = 0; i < 3; i++) {
		memset(&r, 0, sizeof r);
		r.x = bad[i].x;
		apnas_error e;
		apnas_error_clear(&e);
		ck_assert_int_eq(apnas_report_scan(&r, root, 0, &e),
		                 APNAS_EINVAL);
		ck_assert_msg(strstr(e.msg, "summary.json") &&
		              strstr(e.msg, bad[i].word) &&
		              !strchr(e.msg, '\n'), "--x %s: %s", bad[i].x,
		              e.msg);
		apnas_report_free(&r);
	}
	fr_rmtree(root);
	free(root);
}
END_TEST

START_TEST(group_by_keys)
{
	char *root = fr_tempdir();
	write_grid(root);
	apnas_report r;
	load(root, "cost.plugin", &r);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_str_eq(r.groups[0].label, "cost.plugin=systolic");
	ck_assert_uint_eq(r.groups[0].nruns, 4);
	/* reward 0.5, 0.6, 0.7, 0.9: mean 0.675 */
	ck_assert_double_eq_tol(r.groups[0].stat[APNAS_RM_REWARD].mean, 0.675,
	                        TOL);
	apnas_report_free(&r);

	load(root, "search.epochs, cost.rows", &r);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_str_eq(r.groups[0].label, "search.epochs=3,cost.rows=8");

	/* A key no run has is refused with the nearest one. */
	apnas_error e;
	ck_assert_int_eq(apnas_report_group_runs(&r, "cost.row", &e),
	                 APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "'cost.rows'"));
	apnas_report_free(&r);
	fr_rmtree(root);
	free(root);
}
END_TEST

/* The ablate layout names the groups, config or not. */
START_TEST(ablate_layout_labels)
{
	char *root = fr_tempdir();
	fake_run a1 = {"cost.rows=8/seed-1", CFG8, 1, 0.1, 0.5, 10, 1, 1, 1,
	               NULL, 0, NULL, 0, -1, NULL};
	fake_run a2 = {"cost.rows=8/seed-2", CFG8, 2, 0.3, 0.5, 10, 1, 1, 1,
	               NULL, 0, NULL, 0, -1, NULL};
	fake_run b1 = {"cost.rows=16/seed-1", CFG16, 1, 0.2, 0.5, 10, 1, 1, 1,
	               NULL, 0, NULL, 0, -1, NULL};
	fr_write(root, &a1);
	fr_write(root, &a2);
	fr_write(root, &b1);
	apnas_report r;
	load(root, NULL, &r);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_str_eq(r.groups[0].label, "cost.rows=8");
	ck_assert_str_eq(r.groups[1].label, "cost.rows=16");
	ck_assert_uint_eq(r.groups[0].nruns, 2);
	apnas_report_free(&r);
	fr_rmtree(root);
	free(root);
}
END_TEST

START_TEST(groups_without_config)
{
	char *root = fr_tempdir();
	fake_run a1 = {"a/seed-1", NULL, 1, 0.1, 0.5, 10, 1, 1, 1, NULL, 0,
	               NULL, 0, -1, NULL};
	fake_run a2 = {"a/seed-2", NULL, 2, 0.3, 0.5, 10, 1, 1, 1, NULL, 0,
	               NULL, 0, -1, NULL};
	fake_run b1 = {"b/seed-1", NULL, 1, 0.2, 0.5, 10, 1, 1, 1, NULL, 0,
	               NULL, 0, -1, NULL};
	fr_write(root, &b1);
	fr_write(root, &a2);
	fr_write(root, &a1);
	apnas_report r;
	load(root, NULL, &r);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_str_eq(r.groups[0].label, "a");
	ck_assert_uint_eq(r.groups[0].nruns, 2);
	ck_assert_double_eq_tol(r.groups[0].stat[APNAS_RM_REWARD].mean, 0.2,
	                        TOL);
	ck_assert_str_eq(r.groups[1].label, "b");
	apnas_report_free(&r);
	fr_rmtree(root);
	free(root);
}
END_TEST

START_TEST(plugin_switch_labels)
{
	char *root = fr_tempdir();
	fake_run x = {"x1",
	              "controller = { plugin = \"random\"; };\n", 1, 0.1, 0.5,
	              10, 1, 1, 1, NULL, 0, NULL, 0, -1, NULL};
	fake_run y = {"y1",
	              "controller = { plugin = \"evolution\"; population = "
	              "16; };\n", 1, 0.1, 0.5, 10, 1, 1, 1, NULL, 0, NULL, 0,
	              -1, NULL};
	fr_write(root, &x);
	fr_write(root, &y);
	apnas_report r;
	load(root, NULL, &r);
	ck_assert_uint_eq(r.ngroups, 2);
	/* The plugin names the group; its own keys are implied. */
	ck_assert_str_eq(r.groups[0].label, "controller.plugin=evolution");
	ck_assert_str_eq(r.groups[1].label, "controller.plugin=random");
	apnas_report_free(&r);
	fr_rmtree(root);
	free(root);
}
END_TEST

START_TEST(damaged_inputs)
{
	char *root = fr_tempdir();
	fr_write_file(root, "r/summary.json", "{\"best\": {\"accuracy\": 0.5,\n"
	              "\"cycles\": 12,}}\n");
	apnas_report r;
	memset(&r, 0, sizeof r);
	apnas_error e;
	ck_assert_int_eq(apnas_report_scan(&r, root, 0, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "r/summary.json"));
	ck_assert_ptr_nonnull(strstr(e.msg, "line 2"));
	apnas_report_free(&r);
	fr_rmtree(root);

	fake_run ok = {"s", NULL, 1, 0.1, 0.5, 10, 1, 1, 1, NULL, 0, NULL, 0,
	               -1, NULL};
	fr_write(root, &ok);
	fr_write_file(root, "s/epochs.csv", "epoch,mean_reward\n0,0.5\n1,abc\n");
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(apnas_report_scan(&r, root, 0, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "epochs.csv:3"));
	apnas_report_free(&r);

	fr_write_file(root, "s/epochs.csv", "epoch,mean_reward\n0,0.5\n");
	fr_write_file(root, "s/retrain/summary.json", "{\"acc\": 0.9}\n");
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(apnas_report_scan(&r, root, 0, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "test_accuracy"));
	apnas_report_free(&r);

	/* A summary without "best" (and nothing else) is not a run. */
	fr_rmtree(root);
	fr_write_file(root, "t/summary.json", "{\"status\": \"x\"}\n");
	apnas_report_args a = {.dirs = (const char *[]){root}, .ndirs = 1,
	                       .no_plots = 1};
	ck_assert_int_eq(apnas_report_main(&a, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "no finished run"));
	fr_rmtree(root);
	free(root);
}
END_TEST

/* Issue 17, item 7: a summary whose numbers are out of range (a seed no
 * integer holds, infinite cycles, an accuracy of 1e308) is refused with
 * the file and the value, never printed as an empty field. */
static void refused_summary(const char *root, const char *json,
                            const char *want)
{
	fr_write_file(root, "r/summary.json", json);
	apnas_report r;
	memset(&r, 0, sizeof r);
	apnas_error e;
	apnas_error_clear(&e);
	ck_assert_int_eq(apnas_report_scan(&r, root, 0, &e), APNAS_EINVAL);
	ck_assert_msg(strstr(e.msg, "r/summary.json") && strstr(e.msg, want),
	              "%s (wanted '%s')", e.msg, want);
	apnas_report_free(&r);
}

START_TEST(report_values_out_of_range)
{
	char *root = fr_tempdir();
	refused_summary(root, "{\"seed\": 1e300, \"best\": {\"accuracy\": "
	                "0.5, \"cycles\": 12}}\n", "seed");
	refused_summary(root, "{\"seed\": 1.5, \"best\": {\"accuracy\": "
	                "0.5, \"cycles\": 12}}\n", "seed");
	refused_summary(root, "{\"best\": {\"accuracy\": 0.5, \"cycles\": "
	                "1e999}}\n", "out of range");
	refused_summary(root, "{\"best\": {\"accuracy\": 1e308, \"cycles\": "
	                "12}}\n", "accuracy");
	refused_summary(root, "{\"best\": {\"accuracy\": 0.5, \"cycles\": "
	                "-3}}\n", "cycles");
	refused_summary(root, "{\"best\": {\"accuracy\": 0.5, \"cycles\": "
	                "12, \"reward\": -1e31}}\n", "reward");
	refused_summary(root, "{\"best\": {\"accuracy\": 0.5, \"cycles\": "
	                "12}, \"pareto\": [{\"accuracy\": 2, \"cycles\": "
	                "5}]}\n", "pareto point 1 accuracy");
	fr_rmtree(root);
	free(root);
}
END_TEST

static char *slurp(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	char *s = fr_read(p);
	ck_assert_msg(s, "%s missing", p);
	free(p);
	return s;
}

START_TEST(outputs_read_back)
{
	char *root = fr_tempdir();
	write_grid(root);
	char *out = NULL;
	if (asprintf(&out, "%s/rep", root) < 0)
		abort();
	/* No gnuplot: tables still written, plots skipped. */
	setenv("APNAS_GNUPLOT", "/nonexistent/gnuplot", 1);
	FILE *o = tmpfile(), *m = tmpfile();
	apnas_report_args a = {.dirs = (const char *[]){root}, .ndirs = 1,
	                       .out_dir = out, .format = APNAS_REPORT_CSV,
	                       .out = o, .msg = m};
	apnas_error e;
	ck_assert_msg(apnas_report_main(&a, &e) == 0, "%s", e.msg);
	unsetenv("APNAS_GNUPLOT");

	/* report.csv: 4 run rows, 2 group rows, every row full width. */
	char *csv = slurp(out, "report.csv");
	apnas_csv c;
	ck_assert_int_eq(apnas_csv_parse(csv, strlen(csv), &c, &e), 0);
	ck_assert_uint_eq(c.nrows, 1 + 4 + 2);
	for (size_t i = 1; i < c.nrows; i++)
		ck_assert_uint_eq(c.ncols[i], c.ncols[0]);
	int kind = apnas_csv_col(&c, "kind"), grp = apnas_csv_col(&c, "group");
	int mean = apnas_csv_col(&c, "cycles"), sd = apnas_csv_col(&c,
	                                                         "cycles_sd");
	int tn = apnas_csv_col(&c, "n_test");
	ck_assert_int_ge(kind, 0);
	ck_assert_str_eq(c.rows[5][kind], "group");
	ck_assert_str_eq(c.rows[5][grp], "cost.rows=8,search.epochs=3");
	double v;
	ck_assert_int_eq(apnas_csv_get_num(&c, 5, mean, &v), 0);
	ck_assert_double_eq_tol(v, 2000, 1e-9);
	ck_assert_int_eq(apnas_csv_get_num(&c, 5, sd, &v), 0);
	ck_assert_double_eq_tol(v, 1000, 1e-9);
	ck_assert_str_eq(c.rows[5][tn], "2");
	/* The one-run group has no standard deviation: empty. */
	ck_assert_str_eq(c.rows[6][sd], "");
	ck_assert_str_eq(c.rows[1][kind], "run");
	apnas_csv_free(&c);

	/* stdout got the same CSV. */
	rewind(o);
	char buf[1 << 14];
	size_t n = fread(buf, 1, sizeof buf - 1, o);
	buf[n] = '\0';
	ck_assert_str_eq(buf, csv);
	free(csv);
	/* stderr said plots were skipped and where the files are. */
	rewind(m);
	n = fread(buf, 1, sizeof buf - 1, m);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "gnuplot not found"));
	ck_assert_ptr_nonnull(strstr(buf, "report.md"));
	fclose(o);
	fclose(m);
	ck_assert(!fr_exists(out, "pareto.png"));

	/* report.json parses and holds the same figures. */
	char *js = slurp(out, "report.json");
	apnas_json *j = NULL;
	ck_assert_msg(apnas_json_parse(js, strlen(js), &j, &e) == 0, "%s",
	              e.msg);
	const apnas_json *groups = apnas_json_get(j, "groups");
	ck_assert_ptr_nonnull(groups);
	ck_assert_uint_eq(groups->n, 2);
	const apnas_json *rw = apnas_json_get(&groups->items[0],
	                                      "best_reward");
	ck_assert_double_eq_tol(apnas_json_num_at(rw, "mean"), 0.6, TOL);
	ck_assert_double_eq_tol(apnas_json_num_at(rw, "sd"), 0.1, TOL);
	const apnas_json *one = apnas_json_get(&groups->items[1],
	                                       "best_reward");
	ck_assert_int_eq(apnas_json_get(one, "sd")->type, APNAS_JSON_NULL);
	const apnas_json *front = apnas_json_get(j, "front");
	ck_assert_uint_eq(front->n, 6);
	ck_assert_str_eq(apnas_json_str_at(&front->items[3], "run"),
	                 "rows8-c");
	ck_assert_str_eq(apnas_json_str_at(&front->items[5], "run"),
	                 "rows16");
	const apnas_json *runs = apnas_json_get(j, "runs");
	ck_assert_uint_eq(runs->n, 4);
	ck_assert_double_eq_tol(apnas_json_num_at(&runs->items[0],
	                                          "test_accuracy"), 0.9, TOL);
	apnas_json_free(j);
	free(js);

	/* front.csv and reward.csv: a row per front point / epoch. */
	char *fc = slurp(out, "front.csv");
	ck_assert_int_eq(apnas_csv_parse(fc, strlen(fc), &c, &e), 0);
	ck_assert_uint_eq(c.nrows, 1 + 6);
	ck_assert_str_eq(c.rows[2][apnas_csv_col(&c, "run")], "rows8-b");
	ck_assert_str_eq(c.rows[6][apnas_csv_col(&c, "run")], "rows16");
	apnas_csv_free(&c);
	free(fc);
	char *rc = slurp(out, "reward.csv");
	ck_assert_int_eq(apnas_csv_parse(rc, strlen(rc), &c, &e), 0);
	ck_assert_uint_eq(c.nrows, 1 + 3 + 3);
	apnas_csv_free(&c);
	free(rc);
	char *md = slurp(out, "report.md");
	ck_assert_ptr_nonnull(strstr(md, "| cost.rows=8,search.epochs=3 "));
	ck_assert_ptr_nonnull(strstr(md, "0.6000 ± 0.1000"));
	free(md);
	free(out);
	fr_rmtree(root);
	free(root);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report_runs");
	TCase *t = tcase_create("runs");
	tcase_add_test(t, groups_over_seeds);
	tcase_add_test(t, front_across_runs_on_one_hardware);
	tcase_add_test(t, older_runs_hardware_from_cost_settings);
	tcase_add_test(t, x_metric_chosen);
	tcase_add_test(t, combined_front);
	tcase_add_test(t, group_by_keys);
	tcase_add_test(t, ablate_layout_labels);
	tcase_add_test(t, groups_without_config);
	tcase_add_test(t, plugin_switch_labels);
	tcase_add_test(t, damaged_inputs);
	tcase_add_test(t, report_values_out_of_range);
	tcase_add_test(t, outputs_read_back);
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
