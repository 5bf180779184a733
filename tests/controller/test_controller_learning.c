/* The controllers learn: on the toy space (20 layers, 6 ops, skip bits:
 * 210 decisions; reward = fraction of decisions equal to a hidden target)
 * reinforce_lstm and evolution reach a mean reward of at least 0.9 over
 * their last LAST_WINDOW samples within a fixed budget of samples, random
 * search does not, and the LSTM's entropy falls as it learns.  The toy
 * objective is deliberately easy to score and hard to guess: a uniform
 * sample matches about 47% of the decisions.
 *
 * Budgets (samples scored and update()d, AGGREGATE per update):
 *   reinforce_lstm  RL_BUDGET, with hidden 32, lr 0.05, tanh_c 2.5
 *                   (the paper's), skip_weight 0 (the skip penalty pulls
 *                   every bit toward 0.4, against a target that wants
 *                   half of them on) and entropy_weight 0;
 *   evolution       EVO_BUDGET, population 100, sample_size 10;
 *   random          EVO_BUDGET.
 * Set CTL_VERBOSE=1 to print the learning curves. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_harness.h"

#define AGGREGATE 10
#define LAST_WINDOW 200
#define RL_BUDGET 3000
#define EVO_BUDGET 6000
#define MAX_DEC 256

static const char *const toy_settings[] = {
	"layers=20", "ops=6", "skips=true", "target_seed=7",
};

typedef struct curve {
	double first_mean, last_mean;   /* reward over first / last window */
	double first_entropy, last_entropy;
} curve;

static void run(const char *ctl, const char *const *settings, size_t n,
                int budget, curve *out)
{
	cth space, c;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy_settings, 4, &d, &nd);
	ck_assert_uint_eq(nd, 20 + 190);
	cth_controller(&c, ctl, settings, n, d, nd, 1);
	const apnas_controller_ops *ops = cth_ctl(&c);
	static int32_t toks[AGGREGATE * MAX_DEC];
	double rewards[AGGREGATE];
	double *all = malloc((size_t)budget * sizeof *all);
	double *ent = malloc((size_t)budget * sizeof *ent);
	ck_assert(all && ent);
	apnas_error err;
	int verbose = getenv("CTL_VERBOSE") != NULL;
	for (int s = 0; s < budget; s += AGGREGATE) {
		for (int k = 0; k < AGGREGATE; k++) {
			apnas_sample_info info;
			int rc = ops->sample(c.self, APNAS_SAMPLE_EVAL,
			                     toks + k * nd, &info, &err);
			ck_assert_msg(rc == 0, "sample: %s", err.msg);
			rc = cth_space(&space)->score(space.self, toks + k * nd,
			                              &rewards[k], &err);
			ck_assert_msg(rc == 0, "score: %s", err.msg);
			all[s + k] = rewards[k];
			ent[s + k] = info.entropy;
		}
		apnas_update_info ui;
		int rc = ops->update(c.self, toks, rewards, AGGREGATE, &ui,
		                     &err);
		ck_assert_msg(rc == 0, "update: %s", err.msg);
		if (verbose && (s / AGGREGATE) % 50 == 0) {
			char line[256];
			ops->describe(c.self, line, sizeof line);
			printf("%s %5d reward=%.3f %s\n", ctl, s, rewards[0],
			       line);
		}
	}
	memset(out, 0, sizeof *out);
	for (int i = 0; i < LAST_WINDOW; i++) {
		out->first_mean += all[i] / LAST_WINDOW;
		out->last_mean += all[budget - 1 - i] / LAST_WINDOW;
		out->first_entropy += ent[i] / LAST_WINDOW;
		out->last_entropy += ent[budget - 1 - i] / LAST_WINDOW;
	}
	if (verbose)
		printf("%s: reward %.3f -> %.3f, entropy %.2f -> %.2f\n", ctl,
		       out->first_mean, out->last_mean, out->first_entropy,
		       out->last_entropy);
	free(all);
	free(ent);
	cth_close(&c);
	cth_close(&space);
}

START_TEST(reinforce_lstm_learns_the_toy)
{
	const char *const set[] = {
		"hidden=32", "lr=0.05", "tanh_c=2.5", "skip_weight=0",
		"entropy_weight=0",
	};
	curve cv;
	run("reinforce_lstm", set, 5, RL_BUDGET, &cv);
	ck_assert_msg(cv.last_mean >= 0.9,
	              "mean reward of the last %d samples %.3f < 0.9 after "
	              "%d samples (first %d: %.3f)", LAST_WINDOW,
	              cv.last_mean, RL_BUDGET, LAST_WINDOW, cv.first_mean);
	/* The policy sharpens: summed entropy at least halves. */
	ck_assert_msg(cv.last_entropy < 0.5 * cv.first_entropy,
	              "entropy %.2f -> %.2f did not fall", cv.first_entropy,
	              cv.last_entropy);
}
END_TEST

START_TEST(evolution_learns_the_toy)
{
	const char *const set[] = {"population=100", "sample_size=10"};
	curve cv;
	run("evolution", set, 2, EVO_BUDGET, &cv);
	ck_assert_msg(cv.last_mean >= 0.9,
	              "mean reward of the last %d samples %.3f < 0.9 after "
	              "%d samples (first %d: %.3f)", LAST_WINDOW,
	              cv.last_mean, EVO_BUDGET, LAST_WINDOW, cv.first_mean);
}
END_TEST

START_TEST(random_does_not_learn_the_toy)
{
	curve cv;
	run("random", NULL, 0, EVO_BUDGET, &cv);
	ck_assert_msg(cv.last_mean < 0.9, "random search reached %.3f",
	              cv.last_mean);
	/* and it stays where chance puts it: (20/6 + 190/2) / 210 */
	ck_assert_double_eq_tol(cv.last_mean, (20.0 / 6 + 95) / 210, 0.02);
	/* a uniform sampler's entropy is sum log n_choices, always */
	ck_assert_double_eq_tol(cv.last_entropy,
	                        20 * log(6.0) + 190 * log(2.0), 1e-9);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("controller_learning");
	TCase *tc = tcase_create("toy");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, reinforce_lstm_learns_the_toy);
	tcase_add_test(tc, evolution_learns_the_toy);
	tcase_add_test(tc, random_does_not_learn_the_toy);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
