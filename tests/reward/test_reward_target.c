/* Targets given as a fraction of a reference architecture's metric: the
 * reward names the reference, refuses to score before the core resolved
 * it, and then scores against fraction * the reference's value of the
 * metric it is configured with. */
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

static double resolve_vec_ok(rwh *h, const rwh_vec *ref)
{
	apnas_error err;
	apnas_error_clear(&err);
	double t = NAN;
	int rc = h->ops->resolve(h->self, ref->v, &t, &err);
	ck_assert_msg(rc == 0, "resolve: %s", err.msg);
	return t;
}

static double resolve_ok(rwh *h, double ref_cycles)
{
	rwh_vec ref = rwh_vec_of(h, 0.5, ref_cycles);
	return resolve_vec_ok(h, &ref);
}

static void assert_unresolved_refused(rwh *h)
{
	rwh_vec m = rwh_vec_of(h, 0.8, 1e6);
	rwh_set(h, &m, "macs", 1e6);
	rwh_set(h, &m, "params", 1e6);
	apnas_error err;
	apnas_error_clear(&err);
	double r = 12345;
	ck_assert_int_eq(h->ops->reward(h->self, m.v, &r, &err), APNAS_EINVAL);
	rwh_assert_msg(&err, "resolve");
	ck_assert_double_eq(r, 12345);
}

START_TEST(mnas_fraction_of_reference)
{
	rwh h;
	open_ok(&h, "mnas", RWH_SETTINGS("target=0.5",
	        "reference=\"all-conv3x3\"", "alpha=0", "beta=-1"));
	ck_assert_ptr_nonnull(h.ops->reference(h.self));
	ck_assert_str_eq(h.ops->reference(h.self), "all-conv3x3");
	assert_unresolved_refused(&h);

	ck_assert_double_eq_tol(resolve_ok(&h, 4e6), 2e6, EPS);
	/* Hard constraint against T = 2e6. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.8, 2e6), 0.8, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.8, 4e6), 0.4, EPS);
	/* Resolving again starts from the configured fraction. */
	ck_assert_double_eq_tol(resolve_ok(&h, 4e6), 2e6, EPS);
	ck_assert_double_eq_tol(resolve_ok(&h, 6e6), 3e6, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.8, 6e6), 0.4, EPS);
	rwh_close(&h);
}
END_TEST

START_TEST(penalty_fraction_of_reference)
{
	rwh h;
	open_ok(&h, "penalty", RWH_SETTINGS("target=0.25",
	        "reference=all-conv5x5", "g=1"));
	ck_assert_str_eq(h.ops->reference(h.self), "all-conv5x5");
	assert_unresolved_refused(&h);
	ck_assert_double_eq_tol(resolve_ok(&h, 8e6), 2e6, EPS);
	ck_assert_double_eq_tol(rwh_reward(&h, 0.9, 2e6), 0.9, EPS);
	/* 0.9 - 1 * (3e6/2e6 - 1). */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.9, 3e6), 0.4, EPS);
	rwh_close(&h);
}
END_TEST

START_TEST(mnas_on_macs_fraction_of_reference)
{
	rwh h;
	open_ok(&h, "mnas", RWH_SETTINGS("metric=\"macs\"", "target=0.5",
	        "reference=\"all-conv3x3\"", "alpha=0", "beta=-1"));
	assert_unresolved_refused(&h);
	/* The target comes from the reference's MACs, not its cycles. */
	rwh_vec ref = rwh_vec_of(&h, 0.5, 9e9);
	rwh_set(&h, &ref, "macs", 4e6);
	ck_assert_double_eq_tol(resolve_vec_ok(&h, &ref), 2e6, EPS);
	rwh_vec v = rwh_vec_of(&h, 0.8, NAN);
	rwh_set(&h, &v, "macs", 4e6);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), 0.4, EPS);
	rwh_close(&h);
}
END_TEST

START_TEST(linear_scale_from_reference)
{
	rwh h;
	open_ok(&h, "linear", RWH_SETTINGS("weights=[0.5]", "scales=[1]",
	        "reference=\"all-conv3x3\""));
	ck_assert_str_eq(h.ops->reference(h.self), "all-conv3x3");
	assert_unresolved_refused(&h);
	ck_assert_double_eq_tol(resolve_ok(&h, 3e6), 3e6, EPS);
	/* 0.9 - 0.5 * 6e6/3e6. */
	ck_assert_double_eq_tol(rwh_reward(&h, 0.9, 6e6), -0.1, EPS);
	rwh_close(&h);
}
END_TEST

/* Every scale is a fraction of the reference's own metric; the target
 * reported is the first metric's scale. */
START_TEST(linear_two_scales_from_reference)
{
	rwh h;
	open_ok(&h, "linear", RWH_SETTINGS("metrics=[\"cycles\", \"params\"]",
	        "weights=[0.5, 0.1]", "scales=[1.0, 0.5]",
	        "reference=\"all-conv3x3\""));
	assert_unresolved_refused(&h);
	rwh_vec ref = rwh_vec_of(&h, 0.5, 3e6);
	rwh_set(&h, &ref, "params", 2e5);
	ck_assert_double_eq_tol(resolve_vec_ok(&h, &ref), 3e6, EPS);
	/* 0.9 - 0.5 * 6e6/3e6 - 0.1 * 3e5/1e5. */
	rwh_vec v = rwh_vec_of(&h, 0.9, 6e6);
	rwh_set(&h, &v, "params", 3e5);
	ck_assert_double_eq_tol(rwh_reward_vec(&h, &v), -0.4, EPS);
	rwh_close(&h);
}
END_TEST

START_TEST(absolute_target_resolves_to_itself)
{
	rwh h;
	open_ok(&h, "mnas", RWH_SETTINGS("target=2.5e6"));
	ck_assert_ptr_null(h.ops->reference(h.self));
	ck_assert_double_eq(resolve_ok(&h, 9e9), 2.5e6);
	rwh_close(&h);
	open_ok(&h, "linear", RWH_SETTINGS("weights=[1]", "scales=[1e5]"));
	ck_assert_ptr_null(h.ops->reference(h.self));
	ck_assert_double_eq(resolve_ok(&h, 9e9), 1e5);
	rwh_close(&h);
}
END_TEST

START_TEST(bad_reference_metrics_refused)
{
	rwh h;
	open_ok(&h, "mnas", RWH_SETTINGS("target=0.5",
	        "reference=\"all-conv3x3\""));
	apnas_error err;
	double t = -1;

	rwh_vec ref = rwh_vec_of(&h, 0.5, 0);
	ck_assert_int_lt(h.ops->resolve(h.self, ref.v, &t, &err), 0);
	rwh_assert_msg(&err, "all-conv3x3");

	ref = rwh_vec_of(&h, 0.5, NAN);
	ck_assert_int_lt(h.ops->resolve(h.self, ref.v, &t, &err), 0);
	rwh_assert_msg(&err, "cycles");

	ref = rwh_vec_of(&h, 0.5, -4e6);
	ck_assert_int_lt(h.ops->resolve(h.self, ref.v, &t, &err), 0);
	rwh_assert_msg(&err, "cycles");

	/* Cycles missing while other metrics are there: still refused. */
	ref = rwh_vec_of(&h, 0.5, NAN);
	rwh_set(&h, &ref, "macs", 4e6);
	rwh_set(&h, &ref, "params", 4e6);
	ck_assert_int_lt(h.ops->resolve(h.self, ref.v, &t, &err), 0);
	rwh_assert_msg(&err, "cycles");

	ck_assert_int_lt(h.ops->resolve(h.self, NULL, &t, &err), 0);
	rwh_assert_msg(&err, "all-conv3x3");

	/* A failed resolve leaves the target unresolved. */
	assert_unresolved_refused(&h);
	rwh_close(&h);
}
END_TEST

START_TEST(fraction_range)
{
	static const char *const bad[] = { "0", "-0.5", "10.5", "2e6" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char set[64];
		snprintf(set, sizeof set, "target=%s", bad[i]);
		rwh h;
		apnas_error err;
		int rc = rwh_open(&h, "penalty", RWH_SETTINGS(set,
		                  "reference=\"all-conv3x3\"", "g=1"), &err);
		ck_assert_msg(rc < 0, "target = %s with a reference accepted",
		              bad[i]);
		rwh_assert_msg(&err, "target");
		rwh_close(&h);
	}
	/* The ends of (0, 10]. */
	rwh h;
	open_ok(&h, "penalty", RWH_SETTINGS("target=10",
	        "reference=\"all-conv3x3\"", "g=1"));
	ck_assert_double_eq_tol(resolve_ok(&h, 1e6), 1e7, EPS);
	rwh_close(&h);
	open_ok(&h, "penalty", RWH_SETTINGS("target=1e-3",
	        "reference=\"all-conv3x3\"", "g=1"));
	ck_assert_double_eq_tol(resolve_ok(&h, 1e6), 1e3, 1e-9);
	rwh_close(&h);
}
END_TEST

int main(void)
{
	rwh_require_env();
	Suite *s = suite_create("reward_target");
	TCase *tc = tcase_create("reference");
	tcase_add_test(tc, mnas_fraction_of_reference);
	tcase_add_test(tc, penalty_fraction_of_reference);
	tcase_add_test(tc, mnas_on_macs_fraction_of_reference);
	tcase_add_test(tc, linear_scale_from_reference);
	tcase_add_test(tc, linear_two_scales_from_reference);
	tcase_add_test(tc, absolute_target_resolves_to_itself);
	tcase_add_test(tc, bad_reference_metrics_refused);
	tcase_add_test(tc, fraction_range);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
