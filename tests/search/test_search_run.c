/* End-to-end `apnas search` runs, as a user runs them: on the toy space
 * (no data) and on the fixture space (synthetic data, real training).
 * Every file of the run directory is parsed: JSON lines, CSV columns,
 * architecture files read back through apnas_archfile_read and the
 * space's parse(), the resolved config loaded again.  Also the refusals a
 * user meets before any training (finished run in the way, unwritable
 * directory, --set on resume) and the time budget. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "search/search.h"

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

START_TEST(toy_search_writes_every_file)
{
	char *tmp = h_tempdir();
	char *cfg = h_toy_config(tmp);
	char out[4096];
	snprintf(out, sizeof out, "%s/run", tmp);
	const char *args[] = {"search", cfg, "--out", out, NULL};
	int st = h_run(tmp, 0, args);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 0, "exit %d: %s", exit_code(st), err);
	free(err);
	/* 3 epochs x 5 updates x 4 samples; top_k 3 */
	h_check_run_dir(out, NULL, 3, 60, 3);
	/* stdout: the Pareto table and the paths. */
	char *so = h_readf(tmp, "stdout.txt");
	ck_assert_ptr_nonnull(strstr(so, "Pareto front"));
	ck_assert_ptr_nonnull(strstr(so, "best.arch"));
	free(so);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

START_TEST(fixture_search_trains_and_rescores)
{
	char *tmp = h_tempdir();
	char *cfg = h_fixture_config(tmp);
	char out[4096];
	snprintf(out, sizeof out, "%s/run", tmp);
	const char *args[] = {"search", cfg, "--out", out, "--quiet", NULL};
	int st = h_run(tmp, 0, args);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 0, "exit %d: %s", exit_code(st), err);
	ck_assert_msg(err[0] == '\0', "--quiet printed: %s", err);
	free(err);
	/* 3 epochs x 4 updates x 3 samples; top_k 2 */
	apnas_data_info info = {1, 6, 6, 4, 400, 200, 50};
	h_check_run_dir(out, &info, 2, 36, 3);
	char *sum = h_readf(out, "summary.json");
	/* 9 distinct architectures exist; 3 re-scored on all 200 images */
	ck_assert(h_json_number(sum, "rescored") == 3);
	ck_assert(h_json_number(sum, "val_images") == 200);
	ck_assert(h_json_number(sum, "train_steps") == 3 * (400 / 32));
	ck_assert(h_json_number(sum, "candidates") <= 9);
	free(sum);
	/* The best is one of the re-scored: scored on the whole split. */
	char *cs = h_readf(out, "candidates.csv");
	size_t pos = 0;
	char *f[64];
	int n = h_csv_record(cs, &pos, f, 64);
	ck_assert_int_le(n, 64);
	int val = -1, screen = -1;
	for (int i = 0; i < n; i++) {
		if (!strcmp(f[i], "val_images"))
			val = i;
		if (!strcmp(f[i], "screen_images"))
			screen = i;
	}
	ck_assert(val >= 0 && screen >= 0);
	h_csv_free(f, n);
	n = h_csv_record(cs, &pos, f, 64);
	ck_assert_int_le(n, 64);
	ck_assert_str_eq(f[val], "200");
	ck_assert_str_eq(f[screen], "50"); /* screened on one batch of 50 */
	h_csv_free(f, n);
	free(cs);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

/* Uniform shared-weight sampling with the evolution controller (whose
 * population is the derive's candidate list): twice with the same seed
 * gives the same run; another seed gives another. */
START_TEST(uniform_sampler_and_evolution_are_deterministic)
{
	char *tmp = h_tempdir();
	char *fx = h_fixture_config(tmp);
	char *text = h_read(fx);
	const char *ctl = "controller = { plugin = \"reinforce_lstm\"; "
	                  "hidden = 8; };";
	char *at = strstr(text, ctl);
	ck_assert_ptr_nonnull(at);
	char *evo = NULL;
	ck_assert_int_ge(asprintf(&evo, "%.*scontroller = { plugin = "
	                          "\"evolution\"; population = 5; "
	                          "sample_size = 2; };%s", (int)(at - text),
	                          text, at + strlen(ctl)), 0);
	char *cfg = h_write(tmp, "evolution.cfg", evo);
	free(evo);
	free(text);
	free(fx);
	char a[4096], b[4096], c[4096];
	snprintf(a, sizeof a, "%s/a", tmp);
	snprintf(b, sizeof b, "%s/b", tmp);
	snprintf(c, sizeof c, "%s/c", tmp);
	const char *args[16] = {"search", cfg, "--out", a, "--quiet", "--set",
	                        "search.train_sampler=uniform", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, args)), 0);
	args[3] = b;
	ck_assert_int_eq(exit_code(h_run(tmp, 0, args)), 0);
	char *diff = h_compare_runs(a, b);
	ck_assert_msg(!diff, "%s", diff);
	args[3] = c;
	args[7] = "--set";
	args[8] = "run.seed=4";
	args[9] = NULL;
	ck_assert_int_eq(exit_code(h_run(tmp, 0, args)), 0);
	diff = h_compare_runs(a, c);
	ck_assert_msg(diff, "a different seed gave the same run");
	free(diff);
	/* Evolution's candidates: its population, at most 5 distinct. */
	char *sum = h_readf(a, "summary.json");
	double n = h_json_number(sum, "candidates");
	ck_assert_msg(n >= 1 && n <= 5, "%g candidates", n);
	ck_assert_ptr_nonnull(strstr(sum, "\"controller\": \"evolution\""));
	free(sum);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

START_TEST(refuses_to_overwrite_a_run)
{
	char *tmp = h_tempdir();
	char *cfg = h_toy_config(tmp);
	char out[4096];
	snprintf(out, sizeof out, "%s/run", tmp);
	const char *args[] = {"search", cfg, "--out", out, "--quiet", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, args)), 0);
	char *before = h_readf(out, "samples.jsonl");
	ck_assert_int_eq(exit_code(h_run(tmp, 0, args)), 2);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(strstr(err, "finished run") && strstr(err, "--resume"),
	              "%s", err);
	free(err);
	char *after = h_readf(out, "samples.jsonl");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Resuming a finished run does nothing and says so. */
	const char *res[] = {"search", "--resume", out, NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, res)), 0);
	err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(strstr(err, "already finished"), "%s", err);
	free(err);
	/* Only budgets may change on resume. */
	const char *bad[] = {"search", "--resume", out, "--set",
	                     "controller.lr=0.5", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, bad)), 2);
	err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(strstr(err, "controller.lr"), "%s", err);
	free(err);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

/* A config the cost model refuses is reported before the run directory
 * exists: nothing is left behind (no DIR/, DIR/lock, DIR/checkpoint/). */
START_TEST(rejected_config_leaves_no_directory)
{
	char *tmp = h_tempdir();
	char *cfg = h_toy_config(tmp);
	char out[4096];
	snprintf(out, sizeof out, "%s/X", tmp);
	const char *args[] = {"search", cfg, "--set", "cost.rows=abc",
	                      "--out", out, NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, args)), 2);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(strstr(err, "cost.rows"), "%s", err);
	free(err);
	ck_assert_msg(!h_exists(tmp, "X"), "%s was created", out);
	/* nor the default directory under run.dir */
	const char *def[] = {"search", cfg, "--set", "cost.rows=abc", "--set",
	                     "run.dir=R", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, def)), 2);
	ck_assert(!h_exists(tmp, "R"));
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

/* The pid a running process wrote into dir/lock, or 0 until it has. */
static long lock_pid(const char *dir)
{
	char *s = h_readf(dir, "lock");
	long pid = s ? atol(s) : 0;
	free(s);
	return pid;
}

/* A second process on a run directory in use is refused with one line
 * naming the process that holds it; the holder goes on. */
START_TEST(second_process_refused_naming_the_holder)
{
	char *tmp = h_tempdir();
	char *cfg = h_toy_config(tmp);
	char out[4096], bg[4096];
	snprintf(out, sizeof out, "%s/run", tmp);
	snprintf(bg, sizeof bg, "%s/bg", tmp);
	ck_assert_int_eq(mkdir(bg, 0755), 0);
	/* long enough to be caught at work; stopped below */
	const char *args[] = {"search", cfg, "--out", out, "--quiet", "--set",
	                      "search.epochs=1000000", NULL};
	pid_t pid = h_spawn(bg, 0, args);
	/* at work: locked, and config.cfg (a resumable run) written */
	for (int i = 0; i < 3000 && (lock_pid(out) != (long)pid ||
	                             !h_exists(out, "config.cfg")); i++)
		usleep(10000);
	ck_assert_int_eq(lock_pid(out), (long)pid);
	const char *res[] = {"search", "--resume", out, NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, res)), 2);
	char *err = h_readf(tmp, "stderr.txt");
	char want[64];
	snprintf(want, sizeof want, "in use by another apnas process (pid %ld)",
	         (long)pid);
	ck_assert_msg(strstr(err, want) && strchr(err, '\n') ==
	              err + strlen(err) - 1, "not one line naming %ld: %s",
	              (long)pid, err);
	free(err);
	kill(pid, SIGTERM);
	int st = 0;
	waitpid(pid, &st, 0);
	ck_assert_int_eq(exit_code(st), 128 + SIGTERM);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

START_TEST(unwritable_run_dir_refused_before_training)
{
	char *tmp = h_tempdir();
	char *cfg = h_toy_config(tmp);
	/* A path under a regular file cannot become a directory, even for
	 * root (who ignores permission bits). */
	char out[4096];
	snprintf(out, sizeof out, "%s/toy.cfg/run", tmp);
	const char *args[] = {"search", cfg, "--out", out, NULL};
	int st = h_run(tmp, 0, args);
	ck_assert_int_ne(exit_code(st), 0);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(strstr(err, "toy.cfg/run"), "%s", err);
	ck_assert_msg(!strstr(err, "epoch"), "training started: %s", err);
	free(err);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

START_TEST(time_limit_derives_then_resume_completes)
{
	char *tmp = h_tempdir();
	char *cfg = h_fixture_config(tmp);
	char full[4096], cut[4096];
	snprintf(full, sizeof full, "%s/full", tmp);
	snprintf(cut, sizeof cut, "%s/cut", tmp);
	const char *a1[] = {"search", cfg, "--out", full, "--quiet", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, a1)), 0);
	/* A budget of a microsecond: stops at the first check. */
	const char *a2[] = {"search", cfg, "--out", cut, "--set",
	                    "search.time_limit=0.000001", NULL};
	ck_assert_int_eq(exit_code(h_run(tmp, 0, a2)), 0);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(strstr(err, "time limit"), "%s", err);
	free(err);
	char *sum = h_readf(cut, "summary.json");
	ck_assert_ptr_nonnull(strstr(sum, "\"status\": \"time_limit\""));
	ck_assert(h_json_number(sum, "epochs_done") == 0);
	free(sum);
	ck_assert(h_exists(cut, "best.arch"));
	/* Lifting the budget continues to the same end as the full run. */
	const char *a3[] = {"search", "--resume", cut, "--set",
	                    "search.time_limit=0", "--quiet", NULL};
	int st = h_run(tmp, 0, a3);
	err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 0, "%s", err);
	free(err);
	char *diff = h_compare_runs(full, cut);
	ck_assert_msg(!diff, "%s", diff);
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}
END_TEST

int main(int argc, char **argv)
{
	harness_init(argc, argv);
	Suite *s = suite_create("search_run");
	TCase *tc = tcase_create("run");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, toy_search_writes_every_file);
	tcase_add_test(tc, fixture_search_trains_and_rescores);
	tcase_add_test(tc, uniform_sampler_and_evolution_are_deterministic);
	tcase_add_test(tc, refuses_to_overwrite_a_run);
	tcase_add_test(tc, unwritable_run_dir_refused_before_training);
	tcase_add_test(tc, rejected_config_leaves_no_directory);
	tcase_add_test(tc, second_process_refused_naming_the_holder);
	tcase_add_test(tc, time_limit_derives_then_resume_completes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
