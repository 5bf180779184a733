/* Each reward formula on hand-computed cases, on both sides of the target,
 * read from the value vector a search hands it, and the metric each reward
 * draws its Pareto front against. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reward_harness.h"

#define EPS 1e-12

static void open_ok(rwh *h, const char *name, const char *const *s, size_t n)
{
	apnas_error err;
	int rc = rwh_open(h, name, s, n, &err);
	ck_assert_msg(rc == 0, "reward %s: %s", name, err.msg);
}

/* The list every reward is created with, in the order the run's files
 * and value vectors use: the core's three, then the cost model's. */
START_TEST(run_metrics_in_core_order)
{
	static const char *const want[] = {
		"accuracy", "macs", "params", "cycles", "mapping_efficiency",
		"utilization", "ifmap_sram_reads", "filter_sram_reads",
		"ofmap_sram_writes", "ifmap_dram_reads", "filter_dram_reads",
		"ofmap_dram_writes", "dram_bytes", "stall_cycles",
		"latency_cycles", "energy_pj", "edp"};
	rwh h;
	open_ok(&h, "accuracy", NULL, 0);
	ck_assert_uint_eq(h.ms.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < h.ms.n; i++)
		ck_assert_str_eq(h.ms.decl[i].name, want[i]);
	rwh_close(&h);
}
END_TEST

START_TEST(accuracy_is_accuracy)
{
	rwh h;
	open_ok(&h, "accuracy", NULL, 0);
	ck_assert_ptr_null(h.ops->reference);
	ck_assert_ptr_null(h.ops->resolve);
	/* Its front is still drawn against cycles, so its runs compare with
	 * the hardware-aware ones. */
	ck_assert_uint_eq(h.ops->front_metric(h.self),
	                  rwh_index(&h, "cycles"));

	/* Only accuracy is filled: a reward that read cycles would see NaN. */
	rwh_vec v = rwh_vec_of(&h, 0.37, NAN);
	apnas_error err;
	double r = -1;
	ck_assert_int_eq(h.ops->reward(h.self, v.v, &r, &err), 0);
	ck_assert_double_eq(r, 0.37);
	ck_assert_double_eq(rwh_reward(&h, 0.0, 1e9), 0.0);
	ck_assert_double_eq(rwh_reward(&h, 1.0, 1.0), 1.0);
	rwh_close(&h);
}
END_TEST

START_TEST(mnas_soft_defaults)
{
	rwh h;
	open_ok(&h, "mnas", RWH_SETTINGS("target=2e6"));
	/* metric defaults to cycles. */
	ck_assert_uint_eq(h.ops->front_metric(h.self),
	                  rwh_index(&h, "cycles"));
	ck_assert_ptr_null(h.ops->reference(h.self));
	/* Under the target: 0.9 * (1e6/2e6)^-0.07 = 0.9 * 2^0.07, and
	 * 2^0.07 = exp(0.07 ln 2) = 1.0497166836230674 (computed
	 * independently of the plugin). */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.9, 1e6),
	                        0.9 * 1.0497166836230674, 1e-12);
	/* Over: 0.9 * 2^-0.07 = 0.9 / 1.0497166836230674. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.9, 4e6),
	                        0.9 / 1.0497166836230674, 1e-12);
	/* On the target any exponent gives 1. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.9, 2e6), 0.9, EPS);
	rwh_close(&h);
}
END_TEST

START_TEST(mnas_hard)
{
	rwh h;
	open_ok(&h, "mnas", RWH_SETTINGS("target=2e6", "alpha=0", "beta=-1"));
	/* No bonus for being fast... */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.8, 1e6), 0.8, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.8, 1), 0.8, EPS);
	/* ...and reward falls as T / CYC above it. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.8, 4e6), 0.4, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.8, 8e6), 0.2, EPS);
	rwh_close(&h);
}
END_TEST

START_TEST(mnas_alpha_and_beta_apply_on_their_side)
{
	rwh h;
	open_ok(&h, "mnas",
	        RWH_SETTINGS("target=1000", "alpha=-0.5", "beta=-2"));
	/* (250/1000)^-0.5 = 2; (2000/1000)^-2 = 1/4. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.6, 250), 1.2, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.6, 2000), 0.15, EPS);
	rwh_close(&h);
}
END_TEST

/* The same formula on another metric: MACs, with cycles left NaN so that
 * reading them would fail the call. */
START_TEST(mnas_on_macs)
{
	rwh h;
	open_ok(&h, "mnas", RWH_SETTINGS("metric=\"macs\"", "target=1e6",
	                                 "alpha=-0.5", "beta=-2"));
	ck_assert_uint_eq(h.ops->front_metric(h.self), rwh_index(&h, "macs"));
	rwh_vec v = rwh_vec_of(&h, 0.6, NAN);
	/* (2.5e5/1e6)^-0.5 = 2; (2e6/1e6)^-2 = 1/4; on the target: 1. */
	rwh_set(&h, &v, "macs", 2.5e5);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), 1.2, EPS);
	rwh_set(&h, &v, "macs", 2e6);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), 0.15, EPS);
	rwh_set(&h, &v, "macs", 1e6);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), 0.6, EPS);
	/* Its cycles do not count: a huge cycle count changes nothing. */
	rwh_set(&h, &v, "cycles", 1e12);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), 0.6, EPS);
	rwh_close(&h);
}
END_TEST

START_TEST(linear_cases)
{
	rwh h;
	open_ok(&h, "linear", RWH_SETTINGS("a=2", "weights=[0.25]",
	                                   "scales=[4e6]"));
	/* metrics defaults to ["cycles"]. */
	ck_assert_uint_eq(h.ops->front_metric(h.self),
	                  rwh_index(&h, "cycles"));
	/* 2 * 0.5 - 0.25 * 2e6/4e6 = 1 - 0.125. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.5, 2e6), 0.875, EPS);
	/* 2 * 0.5 - 0.25 * 12e6/4e6 = 1 - 0.75. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.5, 12e6), 0.25, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.5, 0), 1.0, EPS);
	rwh_close(&h);

	/* a defaults to 1: 0.6 - 0.1 * 8e6/4e6. */
	open_ok(&h, "linear", RWH_SETTINGS("weights=[0.1]", "scales=[4e6]"));
	ck_assert_double_eq_tol(rwh_reward(&h, 0.6, 8e6), 0.4, EPS);
	rwh_close(&h);
}
END_TEST

/* Two terms, each with its own weight and scale; the first metric is the
 * front's. */
START_TEST(linear_two_metrics)
{
	rwh h;
	open_ok(&h, "linear", RWH_SETTINGS("a=2",
	        "metrics=[\"params\", \"cycles\"]", "weights=[0.5, 0.25]",
	        "scales=[1e5, 4e6]"));
	ck_assert_uint_eq(h.ops->front_metric(h.self),
	                  rwh_index(&h, "params"));
	/* 2 * 0.5 - 0.5 * 5e4/1e5 - 0.25 * 2e6/4e6 = 1 - 0.25 - 0.125. */
	rwh_vec v = rwh_vec_of(&h, 0.5, 2e6);
	rwh_set(&h, &v, "params", 5e4);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), 0.625, EPS);
	/* Each term on its own: 2 * 0.5 - 0.5 * 3e5/1e5 - 0 = -0.5, and
	 * 2 * 0.5 - 0 - 0.25 * 8e6/4e6 = 0.5. */
	rwh_set(&h, &v, "params", 3e5);
	rwh_set(&h, &v, "cycles", 0);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), -0.5, EPS);
	rwh_set(&h, &v, "params", 0);
	rwh_set(&h, &v, "cycles", 8e6);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), 0.5, EPS);
	rwh_close(&h);
}
END_TEST

START_TEST(penalty_cases)
{
	rwh h;
	open_ok(&h, "penalty", RWH_SETTINGS("target=1e6", "g=0.5"));
	ck_assert_uint_eq(h.ops->front_metric(h.self),
	                  rwh_index(&h, "cycles"));
	ck_assert_ptr_null(h.ops->reference(h.self));
	/* Within the budget cycles do not count. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.7, 5e5), 0.7, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.7, 1e6), 0.7, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.7, 0), 0.7, EPS);
	/* 0.7 - 0.5 * (1.5 - 1) and 0.7 - 0.5 * (3 - 1). */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.7, 1.5e6), 0.45, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.7, 3e6), -0.3, EPS);
	rwh_close(&h);
}
END_TEST

int main(void)
{
	rwh_require_env();
	Suite *s = suite_create("reward_formulas");
	TCase *tc = tcase_create("formulas");
	tcase_add_test(tc, run_metrics_in_core_order);
	tcase_add_test(tc, accuracy_is_accuracy);
	tcase_add_test(tc, mnas_soft_defaults);
	tcase_add_test(tc, mnas_hard);
	tcase_add_test(tc, mnas_alpha_and_beta_apply_on_their_side);
	tcase_add_test(tc, mnas_on_macs);
	tcase_add_test(tc, linear_cases);
	tcase_add_test(tc, linear_two_metrics);
	tcase_add_test(tc, penalty_cases);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
