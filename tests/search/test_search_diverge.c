/* A search whose training diverges stops with a message naming the epoch
 * and step, exit status 1, and keeps the last good checkpoint readable
 * (the one from the end of the last finished epoch); no results are
 * derived from a broken supernet.  Two ways: the fixture space reporting
 * a non-finite loss at a chosen step, and a learning rate of 1e6. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "search/search.h"

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/* Runs the fixture config with one extra --set; returns stderr. */
static char *run_fixture(const char *tmp, const char *set, int *code,
                         char *dir, size_t cap)
{
	char *cfg = h_fixture_config(tmp);
	snprintf(dir, cap, "%s/run", tmp);
	const char *args[] = {"search", cfg, "--out", dir, "--set", set,
	                      NULL};
	*code = exit_code(h_run(tmp, 0, args));
	free(cfg);
	return h_readf(tmp, "stderr.txt");
}

START_TEST(nan_at_step_keeps_last_checkpoint)
{
	/* 12 steps per epoch: global step 17 is the 6th of epoch 2. */
	char *tmp = h_tempdir();
	char dir[4096];
	int code;
	char *err = run_fixture(tmp, "space.diverge_at=17", &code, dir,
	                        sizeof dir);
	ck_assert_msg(code == 1, "exit %d: %s", code, err);
	ck_assert_msg(strstr(err, "diverged at epoch 2, step 17"), "%s", err);
	ck_assert_msg(strstr(err, "last good checkpoint"), "%s", err);
	char ck[4200];
	snprintf(ck, sizeof ck, "%s/checkpoint/state.ckpt", dir);
	apnas_search_ckpt_info info;
	apnas_error e;
	ck_assert_msg(apnas_search_checkpoint_info(ck, &info, &e) == 0, "%s",
	              e.msg);
	ck_assert_int_eq(info.epoch, 1);
	ck_assert_int_eq(info.global_step, 12);
	ck_assert(!h_exists(dir, "summary.json"));
	ck_assert(!h_exists(dir, "best.arch"));
	free(err);
	h_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(nan_before_any_checkpoint)
{
	char *tmp = h_tempdir();
	char dir[4096];
	int code;
	char *err = run_fixture(tmp, "space.diverge_at=3", &code, dir,
	                        sizeof dir);
	ck_assert_msg(code == 1, "exit %d: %s", code, err);
	ck_assert_msg(strstr(err, "diverged at epoch 1, step 3"), "%s", err);
	ck_assert_msg(strstr(err, "no checkpoint was written yet"), "%s", err);
	ck_assert(!h_exists(dir, "checkpoint/state.ckpt"));
	free(err);
	h_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(huge_learning_rate_diverges)
{
	char *tmp = h_tempdir();
	char dir[4096];
	int code;
	char *err = run_fixture(tmp, "space.lr=1e6", &code, dir, sizeof dir);
	ck_assert_msg(code == 1, "exit %d: %s", code, err);
	ck_assert_msg(strstr(err, "training diverged at epoch"), "%s", err);
	ck_assert(!h_exists(dir, "summary.json"));
	free(err);
	h_rmtree(tmp);
	free(tmp);
}
END_TEST

int main(int argc, char **argv)
{
	harness_init(argc, argv);
	Suite *s = suite_create("search_diverge");
	TCase *tc = tcase_create("diverge");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, nan_at_step_keeps_last_checkpoint);
	tcase_add_test(tc, nan_before_any_checkpoint);
	tcase_add_test(tc, huge_learning_rate_diverges);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
