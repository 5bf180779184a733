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
#include <sys/wait.h>
#include <unistd.h>

#include "archfile.h"
#include "config.h"
#include "harness.h"
#include "search/search.h"

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/* Parses every record of a CSV file; checks the header and that every row
 * has its column count.  Returns the number of data rows. */
static int check_csv(const char *dir, const char *name, const char *header)
{
	char *s = h_readf(dir, name);
	ck_assert_msg(s, "%s/%s missing", dir, name);
	ck_assert_msg(!strncmp(s, header, strlen(header)),
	              "%s header: %.*s", name, (int)strlen(header), s);
	size_t pos = 0;
	char *f[64];
	int cols = h_csv_record(s, &pos, f, 64), n, rows = 0;
	h_csv_free(f, cols);
	while ((n = h_csv_record(s, &pos, f, 64)) > 0) {
		ck_assert_msg(n == cols, "%s row %d has %d columns, header %d",
		              name, rows + 1, n, cols);
		h_csv_free(f, n);
		rows++;
	}
	free(s);
	return rows;
}

/* Reads an arch file and parses its body with the run's own space; the
 * tokens must be those the row of candidates.csv says. */
static void check_arch(const char *dir, const char *name,
                       apnas_config *cfg, apnas_instance *space,
                       const char *want_tokens)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	apnas_archfile a;
	apnas_error e;
	ck_assert_msg(apnas_archfile_read(path, &a, &e) == 0, "%s: %s", path,
	              e.msg);
	const char *plugin = NULL;
	const apnas_loaded *lib;
	ck_assert_int_eq(apnas_config_plugin(cfg, APNAS_KIND_SPACE, &lib,
	                                     NULL, &e), 0);
	plugin = lib->desc->name;
	ck_assert_str_eq(a.space, plugin);
	int32_t tok[64];
	const apnas_space_ops *ops = space->ops;
	ck_assert_msg(ops->parse(space->self, a.body, tok, &e) == 0,
	              "%s: %s", path, e.msg);
	const apnas_decision *d;
	size_t nd;
	ck_assert_int_eq(ops->decisions(space->self, &d, &nd, &e), 0);
	char text[512] = "";
	for (size_t i = 0; i < nd; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text),
		         i ? " %d" : "%d", (int)tok[i]);
	ck_assert_str_eq(text, want_tokens);
	apnas_archfile_free(&a);
}

/* Everything a finished run directory must hold, each file parsed. */
static void check_run_dir(const char *dir, int trains, int top_k,
                          int samples_expected, int epochs_expected)
{
	static const char *const files[] = {
		"config.cfg", "samples.jsonl", "epochs.csv",
		"checkpoint/state.ckpt", "candidates.csv", "pareto.csv",
		"best.arch", "summary.json"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		ck_assert_msg(h_exists(dir, files[i]), "%s/%s missing", dir,
		              files[i]);

	/* samples.jsonl: one valid JSON object per line, with its fields. */
	char *s = h_readf(dir, "samples.jsonl");
	int lines = 0;
	for (char *line = s, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		*nl = '\0';
		ck_assert_msg(h_json_valid(line), "bad JSON line %d: %s",
		              lines + 1, line);
		static const char *const keys[] = {
			"\"epoch\":", "\"step\":", "\"arch\":[", "\"text\":",
			"\"accuracy\":", "\"cycles\":", "\"macs\":",
			"\"params\":", "\"reward\":", "\"controller_loss\":",
			"\"entropy\":", "\"log_prob\":", "\"wall\":"};
		for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
			ck_assert_msg(strstr(line, keys[k]), "line %d lacks %s",
			              lines + 1, keys[k]);
		double acc = h_json_number(line, "accuracy");
		ck_assert(acc >= 0 && acc <= 1);
		ck_assert(h_json_number(line, "cycles") > 0);
		lines++;
	}
	free(s);
	ck_assert_int_eq(lines, samples_expected);

	int rows = check_csv(dir, "epochs.csv",
		"epoch,train_loss,train_acc,mean_reward,best_reward,"
		"mean_cycles,samples,images_per_s,seconds,");
	ck_assert_int_eq(rows, epochs_expected);
	if (trains) {
		/* The shared-weight phase ran: loss and accuracy present. */
		char *e = h_readf(dir, "epochs.csv");
		size_t pos = 0;
		char *f[20];
		int n = h_csv_record(e, &pos, f, 20);
		h_csv_free(f, n);
		n = h_csv_record(e, &pos, f, 20);
		ck_assert(n >= 3 && *f[1] && *f[2] && isfinite(atof(f[1])));
		h_csv_free(f, n);
		free(e);
	}
	int cands = check_csv(dir, "candidates.csv",
		"rank,accuracy,val_images,cycles,macs,params,utilization,"
		"reward,screen_accuracy,screen_images,pareto,arch");
	int front = check_csv(dir, "pareto.csv",
		"accuracy,val_images,cycles,macs,params,utilization,reward,"
		"rank,arch");
	ck_assert_int_gt(cands, 0);
	ck_assert_int_gt(front, 0);
	ck_assert_int_le(front, cands);

	char *sum = h_readf(dir, "summary.json");
	ck_assert_msg(h_json_valid(sum), "summary.json invalid:\n%s", sum);
	ck_assert_ptr_nonnull(strstr(sum, "\"status\": \"finished\""));
	free(sum);

	/* The resolved config loads again, target noted in it. */
	char path[4096];
	snprintf(path, sizeof path, "%s/config.cfg", dir);
	char *cfgtext = h_read(path);
	ck_assert_ptr_nonnull(strstr(cfgtext, "target_cycles"));
	free(cfgtext);
	apnas_config *cfg;
	apnas_error e;
	ck_assert_msg(apnas_config_load(path, NULL, 0, &cfg, &e) == 0, "%s",
	              e.msg);
	apnas_instance space;
	memset(&space, 0, sizeof space);
	apnas_plugin_ctx extra;
	memset(&extra, 0, sizeof extra);
	apnas_data_info info = {1, 6, 6, 4, 400, 200, 50};
	if (trains)
		extra.data = &info;
	ck_assert_msg(apnas_config_instance(cfg, APNAS_KIND_SPACE, &extra,
	                                    &space, &e) == 0, "%s", e.msg);

	/* best.arch and top/NN.arch hold candidates.csv's first rows. */
	char *cs = h_readf(dir, "candidates.csv");
	size_t pos = 0;
	char *f[16];
	int n = h_csv_record(cs, &pos, f, 16);
	h_csv_free(f, n);
	for (int r = 0; r < top_k; r++) {
		n = h_csv_record(cs, &pos, f, 16);
		ck_assert_int_eq(n, 12);
		char name[32];
		snprintf(name, sizeof name, "top/%02d.arch", r + 1);
		check_arch(dir, name, cfg, &space, f[11]);
		if (r == 0)
			check_arch(dir, "best.arch", cfg, &space, f[11]);
		h_csv_free(f, n);
	}
	char name[32];
	snprintf(name, sizeof name, "top/%02d.arch", top_k + 1);
	ck_assert_msg(!h_exists(dir, name), "more than top_k files in top/");
	free(cs);
	apnas_instance_destroy(&space);
	apnas_config_free(cfg);
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
	check_run_dir(out, 0, 3, 60, 3);
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
	check_run_dir(out, 1, 2, 36, 3);
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
	char *f[16];
	int n = h_csv_record(cs, &pos, f, 16);
	h_csv_free(f, n);
	n = h_csv_record(cs, &pos, f, 16);
	ck_assert_str_eq(f[2], "200");
	ck_assert_str_eq(f[9], "50"); /* screened on one batch of 50 */
	h_csv_free(f, n);
	free(cs);
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
	tcase_add_test(tc, refuses_to_overwrite_a_run);
	tcase_add_test(tc, unwritable_run_dir_refused_before_training);
	tcase_add_test(tc, time_limit_derives_then_resume_completes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
