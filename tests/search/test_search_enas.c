/* The search on the real weight-sharing space, enas_macro (small: L = 4,
 * 8 channels, 12x12 synthetic images): a whole run writes every file;
 * killed with SIGKILL mid shared-weight phase and at a checkpoint rename,
 * or stopped by SIGTERM mid-epoch, and resumed, it ends bit for bit where
 * the uninterrupted run ends (shared weights, batch-norm statistics and
 * optimiser state included, through the checkpoint's SPAC section); and a
 * learning rate that makes the engine's gradients non-finite stops it
 * with the divergence message. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "search/search.h"

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/* Per epoch: 1000 / 32 = 31 train steps, 5 x 4 samples, 1 checkpoint. */
enum { EPOCH_EVENTS = 31 + 20 + 1 };

static char *tmp, *cfg, ref[4096];

static void reference(void)
{
	tmp = h_tempdir();
	cfg = h_enas_config(tmp);
	snprintf(ref, sizeof ref, "%s/ref", tmp);
	const char *args[] = {"search", cfg, "--out", ref, "--quiet", NULL};
	int st = h_run(tmp, 0, args);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 0, "reference run: %s", err);
	free(err);
}

static void cleanup(void)
{
	h_rmtree(tmp);
	free(tmp);
	free(cfg);
}

START_TEST(enas_run_writes_every_file)
{
	reference();
	apnas_data_info info = {1, 12, 12, 10, 1000, 200, 100};
	h_check_run_dir(ref, &info, 2, 2 * 20, 2);
	char *sum = h_readf(ref, "summary.json");
	ck_assert(h_json_number(sum, "train_steps") == 2 * 31);
	ck_assert(h_json_number(sum, "rescored") == 3);
	ck_assert(h_json_number(sum, "reward_target") > 0);
	free(sum);
	cleanup();
}
END_TEST

START_TEST(enas_kill_and_term_resume_bit_for_bit)
{
	reference();
	struct {
		long long kill, term;
		const char *name;
	} runs[] = {
		{EPOCH_EVENTS + 12, 0, "kill_mid_shared"},
		{EPOCH_EVENTS, 0, "kill_at_rename"},
		{0, EPOCH_EVENTS + 31 + 6, "term_mid_controller"},
		{0, 9, "term_mid_shared"},
	};
	for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", tmp, runs[i].name);
		const char *args[] = {"search", cfg, "--out", dir, "--quiet",
		                      NULL};
		h_term_at = runs[i].term;
		int st = h_run(tmp, runs[i].kill, args);
		h_term_at = 0;
		if (runs[i].kill)
			ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
			              "%s: not killed", runs[i].name);
		else
			ck_assert_msg(exit_code(st) == 128 + SIGTERM,
			              "%s: status %d", runs[i].name,
			              exit_code(st));
		const char *res[] = {"search", "--resume", dir, "--quiet",
		                     NULL};
		st = h_run(tmp, 0, res);
		char *err = h_readf(tmp, "stderr.txt");
		ck_assert_msg(exit_code(st) == 0, "%s: resume: %s",
		              runs[i].name, err);
		free(err);
		char *diff = h_compare_runs(ref, dir);
		ck_assert_msg(!diff, "%s: %s", runs[i].name, diff);
	}
	cleanup();
}
END_TEST

START_TEST(enas_divergence_stops_the_run)
{
	tmp = h_tempdir();
	cfg = h_enas_config(tmp);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/run", tmp);
	/* lr 10 without gradient clipping: non-finite within an epoch. */
	const char *args[] = {"search", cfg, "--out", dir, "--set",
	                      "space.lr_max=10", "--set",
	                      "space.grad_clip=0", NULL};
	int st = h_run(tmp, 0, args);
	char *err = h_readf(tmp, "stderr.txt");
	ck_assert_msg(exit_code(st) == 1, "status %d: %s", exit_code(st),
	              err);
	ck_assert_msg(strstr(err, "training diverged at epoch 1, step "),
	              "%s", err);
	ck_assert(!h_exists(dir, "summary.json"));
	free(err);
	cleanup();
}
END_TEST

int main(int argc, char **argv)
{
	harness_init(argc, argv);
	const char *pp = getenv("APNAS_PLUGIN_PATH");
	char so[4096];
	snprintf(so, sizeof so, "%s/space_enas_macro.so", pp ? pp : "");
	if (access(so, R_OK) != 0) {
		fprintf(stderr, "SKIP: %s not found: the enas_macro tests need "
		        "the space plugin built\n", so);
		return 77;
	}
	Suite *s = suite_create("search_enas");
	TCase *tc = tcase_create("enas");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, enas_run_writes_every_file);
	tcase_add_test(tc, enas_kill_and_term_resume_bit_for_bit);
	tcase_add_test(tc, enas_divergence_stops_the_run);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
