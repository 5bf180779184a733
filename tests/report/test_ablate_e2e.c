/* `apnas ablate` and `apnas report` end to end, as a user runs them: a
 * 2 x 2 grid (cost.rows, seeds) on the toy space with two searches at a
 * time, then the same command again (nothing reruns), a run made to look
 * interrupted (it is resumed), a grid with a bad key (refused before
 * anything runs), `apnas report --format json|csv` on the result, and
 * --retrain added to a finished grid. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_runs.h"
#include "report/csvread.h"
#include "report/json.h"
#include "report/report.h"

static const char *apnas, *toy;

/* Runs apnas with args; stdout and stderr into dir/out.txt, err.txt.
 * Returns the exit code (1000 + signal when killed). */
static int run(const char *dir, const char *const *args)
{
	char *o = NULL, *e = NULL;
	if (asprintf(&o, "%s/out.txt", dir) < 0 ||
	    asprintf(&e, "%s/err.txt", dir) < 0)
		abort();
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		dup2(fo, 1);
		dup2(fe, 2);
		size_t n = 0;
		while (args[n])
			n++;
		char **v = calloc(n + 2, sizeof *v);
		v[0] = (char *)apnas;
		for (size_t i = 0; i < n; i++)
			v[i + 1] = (char *)args[i];
		execv(apnas, v);
		_exit(127);
	}
	free(o);
	free(e);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static char *read_in(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	char *s = fr_read(p);
	ck_assert_msg(s, "%s missing", p);
	free(p);
	return s;
}

static long size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

#define FAST "--set", "search.epochs=2", "--set", "search.controller_steps=4", \
             "--set", "search.derive_samples=20", "--set", "run.threads=1"

static const char *const names[4] = {
	"cost.rows=8/seed-1", "cost.rows=8/seed-2", "cost.rows=16/seed-1",
	"cost.rows=16/seed-2",
};

START_TEST(grid_runs_resumes_and_reports)
{
	char *tmp = fr_tempdir();
	char grid[1024];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	const char *args[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      "--seeds", "2", "--jobs", "2", FAST, "--out",
	                      grid, NULL};
	int rc = run(tmp, args);
	char *err = read_in(tmp, "err.txt");
	ck_assert_msg(rc == 0, "ablate exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "4 to start"));
	ck_assert_ptr_nonnull(strstr(err, "4 finished now"));
	ck_assert_ptr_nonnull(strstr(err, "report.md"));
	free(err);
	char *out = read_in(tmp, "out.txt");
	ck_assert_ptr_nonnull(strstr(out, "groups (2"));
	free(out);

	/* Every run in its directory, with the grid's settings and seed. */
	long logs[4];
	for (size_t i = 0; i < 4; i++) {
		char d[2048], p[4096];
		snprintf(d, sizeof d, "%s/%s", grid, names[i]);
		ck_assert_msg(fr_exists(d, "summary.json"), "%s unfinished", d);
		ck_assert(fr_exists(d, "best.arch"));
		snprintf(p, sizeof p, "%s/config.cfg", d);
		apnas_report_kv *set;
		size_t n;
		apnas_error e;
		ck_assert_int_eq(apnas_report_read_settings(p, &set, &n, &e), 0);
		apnas_report_run fake = {.set = set, .nset = n};
		ck_assert_str_eq(apnas_report_setting(&fake, "cost.rows"),
		                 i < 2 ? "8" : "16");
		ck_assert_str_eq(apnas_report_setting(&fake, "run.seed"),
		                 i % 2 ? "2" : "1");
		fake.dir = fake.name = NULL;
		apnas_report_run_free(&fake);
		snprintf(p, sizeof p, "%s.log", d);
		logs[i] = size_of(p);
		ck_assert_int_gt(logs[i], 0);
	}
	char rep[2048];
	snprintf(rep, sizeof rep, "%s/report", grid);
	char *csv = read_in(rep, "report.csv");
	apnas_csv c;
	apnas_error e;
	ck_assert_int_eq(apnas_csv_parse(csv, strlen(csv), &c, &e), 0);
	ck_assert_uint_eq(c.nrows, 1 + 4 + 2);
	ck_assert_str_eq(c.rows[5][1], "cost.rows=8");
	ck_assert_str_eq(c.rows[6][1], "cost.rows=16");
	apnas_csv_free(&c);
	free(csv);

	/* Again: everything is finished, nothing runs, no log grows. */
	rc = run(tmp, args);
	err = read_in(tmp, "err.txt");
	ck_assert_msg(rc == 0, "second ablate exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "0 to start, 0 to resume"));
	ck_assert_ptr_nonnull(strstr(err, "4 already finished"));
	ck_assert_ptr_null(strstr(err, "started"));
	free(err);
	for (size_t i = 0; i < 4; i++) {
		char p[4096];
		snprintf(p, sizeof p, "%s/%s.log", grid, names[i]);
		ck_assert_int_eq(size_of(p), logs[i]);
	}

	/* A run without summary.json but with its config and checkpoint is
	 * an interrupted one: resumed, not started over. */
	char d[2048], p[4096];
	snprintf(d, sizeof d, "%s/%s", grid, names[3]);
	snprintf(p, sizeof p, "%s/summary.json", d);
	ck_assert_int_eq(remove(p), 0);
	rc = run(tmp, args);
	err = read_in(tmp, "err.txt");
	ck_assert_msg(rc == 0, "third ablate exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "1 to resume"));
	ck_assert_ptr_nonnull(strstr(err, "3 already finished"));
	free(err);
	ck_assert(fr_exists(d, "summary.json"));
	snprintf(p, sizeof p, "%s.log", d);
	char *log = fr_read(p);
	ck_assert_ptr_nonnull(strstr(log, "search --resume"));
	free(log);

	/* The report command on the grid, as JSON and as CSV. */
	const char *rj[] = {"report", grid, "--format", "json", "--no-plots",
	                    NULL};
	ck_assert_int_eq(run(tmp, rj), 0);
	char *js = read_in(tmp, "out.txt");
	apnas_json *j = NULL;
	ck_assert_msg(apnas_json_parse(js, strlen(js), &j, &e) == 0, "%s",
	              e.msg);
	ck_assert_uint_eq(apnas_json_get(j, "runs")->n, 4);
	ck_assert_uint_eq(apnas_json_get(j, "groups")->n, 2);
	ck_assert_uint_ge(apnas_json_get(j, "front")->n, 1);
	apnas_json_free(j);
	free(js);
	const char *rc2[] = {"report", grid, "--format", "csv", "--no-plots",
	                     "--out", tmp, NULL};
	ck_assert_int_eq(run(tmp, rc2), 0);
	csv = read_in(tmp, "out.txt");
	char *file = read_in(tmp, "report.csv");
	ck_assert_str_eq(csv, file);
	free(csv);
	free(file);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(bad_grid_refused_before_running)
{
	char *tmp = fr_tempdir();
	char grid[1024];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	const char *args[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      "--vary", "cost.rowz=1,2", FAST, "--out", grid,
	                      NULL};
	ck_assert_int_eq(run(tmp, args), 2);
	char *err = read_in(tmp, "err.txt");
	ck_assert_ptr_nonnull(strstr(err, "rowz"));
	ck_assert_ptr_nonnull(strstr(err, "'rows'"));
	free(err);
	ck_assert(!fr_exists(tmp, "grid"));

	const char *bad_value[] = {"ablate", toy, "--vary", "cost.rows=8,0",
	                           "--out", grid, NULL};
	ck_assert_int_eq(run(tmp, bad_value), 2);
	ck_assert(!fr_exists(tmp, "grid"));
	const char *seeds[] = {"ablate", toy, "--set", "run.seed=3", "--out",
	                       grid, NULL};
	ck_assert_int_eq(run(tmp, seeds), 2);
	const char *no_out[] = {"ablate", toy, NULL};
	ck_assert_int_eq(run(tmp, no_out), 2);
	const char *report_none[] = {"report", tmp, NULL};
	ck_assert_int_eq(run(tmp, report_none), 2);
	err = read_in(tmp, "err.txt");
	ck_assert_ptr_nonnull(strstr(err, "no finished run"));
	free(err);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

/* SIGTERM to `apnas ablate` reaches its searches, which checkpoint and
 * stop; the grid exits 143 and the same command finishes it. */
START_TEST(signal_stops_and_resumes)
{
	char *tmp = fr_tempdir();
	char grid[1024], errp[1100];
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	snprintf(errp, sizeof errp, "%s/err.txt", tmp);
	const char *args[] = {"ablate", toy, "--vary", "cost.rows=8,16",
	                      "--jobs", "2", "--set", "search.epochs=40",
	                      "--set", "search.controller_steps=2", "--set",
	                      "search.aggregate=2", "--set", "run.threads=1", "--no-plots", "--out", grid,
	                      NULL};
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int fo = open("/dev/null", O_WRONLY);
		dup2(fo, 1);
		dup2(fe, 2);
		char *v[32];
		size_t n = 0;
		v[n++] = (char *)apnas;
		for (size_t i = 0; args[i]; i++)
			v[n++] = (char *)args[i];
		v[n] = NULL;
		execv(apnas, v);
		_exit(127);
	}
	/* Wait (bounded) until both searches have set up their run
	 * directories, then stop the grid. */
	char run8[1100], run16[1100];
	snprintf(run8, sizeof run8, "%s/cost.rows=8/seed-1", grid);
	snprintf(run16, sizeof run16, "%s/cost.rows=16/seed-1", grid);
	for (int i = 0; i < 1200; i++) {
		if (fr_exists(run8, "config.cfg") &&
		    fr_exists(run16, "config.cfg"))
			break;
		usleep(25000);
	}
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
	char *err = fr_read(errp);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM,
	              "status %d: %s", st, err);
	ck_assert_ptr_nonnull(strstr(err, "run the same command again"));
	free(err);

	/* The same command continues what was stopped (a run that
	 * finished just before the signal is skipped) and starts nothing
	 * afresh. */
	int rc = run(tmp, args);
	err = read_in(tmp, "err.txt");
	ck_assert_msg(rc == 0, "resume exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "0 to start"));
	ck_assert_ptr_null(strstr(err, "0 to start, 0 to resume"));
	free(err);
	for (size_t i = 0; i < 2; i++) {
		char d[2048];
		snprintf(d, sizeof d, "%s/cost.rows=%s/seed-1", grid,
		         i ? "16" : "8");
		ck_assert_msg(fr_exists(d, "summary.json"), "%s unfinished",
		              d);
	}
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

/* A search first, then the same grid with --retrain: only the training
 * runs (stopped once by a signal, then resumed from its checkpoint), and
 * the report gets the test accuracy.  A tiny trainable search
 * (enas_macro on synthetic data) keeps it to a second or two. */
START_TEST(retrain_after_search)
{
	char *tmp = fr_tempdir();
	fr_write_file(tmp, "tiny.cfg",
		"run = { seed = 1; threads = 1; };\n"
		"data = { dataset = \"synthetic\"; synthetic_n = 300;\n"
		"  synthetic_test_n = 50; synthetic_classes = 4;\n"
		"  synthetic_c = 1; synthetic_h = 8; synthetic_w = 8;\n"
		"  val_size = 100; batch_size = 50; eval_batch_size = 50; };\n"
		"search = { epochs = 1; controller_steps = 2; aggregate = 2;\n"
		"  derive_samples = 4; derive_screen_batches = 1;\n"
		"  derive_rescore_top = 2; top_k = 1; };\n"
		"space = { plugin = \"enas_macro\"; layers = 2; channels = 4; };\n"
		"controller = { plugin = \"random\"; };\n"
		"reward = { plugin = \"accuracy\"; };\n"
		"cost = { plugin = \"systolic\"; rows = 4; cols = 4; };\n");
	char cfg[1024], grid[1024];
	snprintf(cfg, sizeof cfg, "%s/tiny.cfg", tmp);
	snprintf(grid, sizeof grid, "%s/grid", tmp);
	const char *search[] = {"ablate", cfg, "--out", grid, "--no-plots",
	                        NULL};
	int rc = run(tmp, search);
	char *err = read_in(tmp, "err.txt");
	ck_assert_msg(rc == 0, "ablate exit %d: %s", rc, err);
	free(err);
	char run_dir[2048];
	snprintf(run_dir, sizeof run_dir, "%s/base/seed-1", grid);
	ck_assert(fr_exists(run_dir, "summary.json"));
	ck_assert(!fr_exists(run_dir, "retrain"));

	const char *retrain[] = {"ablate", cfg, "--out", grid, "--retrain",
	                         "--retrain-epochs", "3", "--no-plots", NULL};
	/* 6 steps an epoch: the retraining gets SIGTERM in its second
	 * epoch and keeps the first epoch's checkpoint */
	setenv("APNAS_TEST_TERM_AT", "8", 1);
	rc = run(tmp, retrain);
	unsetenv("APNAS_TEST_TERM_AT");
	err = read_in(tmp, "err.txt");
	ck_assert_msg(rc != 0, "ablate with a stopped retraining exit 0");
	free(err);
	ck_assert(fr_exists(run_dir, "retrain/checkpoint.ckpt"));
	ck_assert(!fr_exists(run_dir, "retrain/summary.json"));

	rc = run(tmp, retrain);
	err = read_in(tmp, "err.txt");
	ck_assert_msg(rc == 0, "ablate --retrain exit %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(err, "1 to retrain only"));
	free(err);
	ck_assert(fr_exists(run_dir, "retrain/summary.json"));
	/* it went on from the checkpoint instead of starting over */
	char *log = read_in(grid, "base/seed-1.log");
	ck_assert_msg(strstr(log, "train --resume") &&
	              strstr(log, "from epoch 2"), "%s", log);
	free(log);
	char *sum = read_in(run_dir, "retrain/summary.json");
	ck_assert_ptr_nonnull(strstr(sum, "\"epochs\": 3"));
	free(sum);
	char *js = read_in(grid, "report/report.json");
	apnas_json *j = NULL;
	apnas_error e;
	ck_assert_msg(apnas_json_parse(js, strlen(js), &j, &e) == 0, "%s",
	              e.msg);
	const apnas_json *runs = apnas_json_get(j, "runs");
	double test = apnas_json_num_at(&runs->items[0], "test_accuracy");
	ck_assert_msg(test >= 0 && test <= 1, "test accuracy %g", test);
	const apnas_json *g = apnas_json_get(j, "groups");
	ck_assert_str_eq(apnas_json_str_at(&g->items[0], "label"), "base");
	apnas_json_free(j);
	free(js);
	fr_rmtree(tmp);
	free(tmp);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc < 3 || access(argv[1], X_OK) != 0 ||
	    access(argv[2], R_OK) != 0) {
		fprintf(stderr, "SKIP: test_ablate_e2e needs the apnas binary "
		        "and configs/toy.cfg as arguments (meson passes "
		        "them)\n");
		return 77;
	}
	apnas = argv[1];
	toy = argv[2];
	Suite *s = suite_create("ablate_e2e");
	TCase *t = tcase_create("e2e");
	tcase_set_timeout(t, 150);
	tcase_add_test(t, grid_runs_resumes_and_reports);
	tcase_add_test(t, bad_grid_refused_before_running);
	tcase_add_test(t, retrain_after_search);
	tcase_add_test(t, signal_stops_and_resumes);
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
