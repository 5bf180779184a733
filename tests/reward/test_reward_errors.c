/* Bad options and bad metrics: each refused with one clear line naming
 * the key or metric, never scored.  A metric a reward names that the run
 * lacks is refused at create(), listing the metrics it could have named. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reward_harness.h"

static void assert_open_refused(const char *name, const char *const *s,
                                size_t n, const char *word)
{
	rwh h;
	apnas_error err;
	int rc = rwh_open(&h, name, s, n, &err);
	ck_assert_msg(rc < 0, "reward %s accepted bad options", name);
	ck_assert_ptr_null(h.self);
	rwh_assert_msg(&err, word);
	rwh_close(&h);
}

START_TEST(absolute_target_must_be_cycles)
{
	assert_open_refused("mnas", RWH_SETTINGS("target=0"), "target");
	assert_open_refused("mnas", RWH_SETTINGS("target=-2e6"), "target");
	assert_open_refused("penalty", RWH_SETTINGS("target=-1", "g=1"),
	                    "target");
	assert_open_refused("linear", RWH_SETTINGS("weights=[1]",
	                    "scales=[0]"), "scales");
	assert_open_refused("linear", RWH_SETTINGS("metrics=[\"cycles\", "
	                    "\"macs\"]", "weights=[1, 1]", "scales=[1e6, 0]"),
	                    "scales");
	/* A fraction without a reference is a mistake worth naming. */
	assert_open_refused("mnas", RWH_SETTINGS("target=0.5"), "reference");
	assert_open_refused("penalty", RWH_SETTINGS("target=0.5", "g=1"),
	                    "reference");
}
END_TEST

START_TEST(required_options)
{
	/* No target or weight has a sensible default. */
	assert_open_refused("mnas", NULL, 0, "target");
	assert_open_refused("penalty", RWH_SETTINGS("g=1"), "target");
	assert_open_refused("penalty", RWH_SETTINGS("target=1e6"), "g");
	assert_open_refused("linear", RWH_SETTINGS("scales=[1e6]"), "weights");
	assert_open_refused("linear", RWH_SETTINGS("weights=[1]"), "scales");
}
END_TEST

START_TEST(option_ranges)
{
	/* A positive exponent would reward slowness. */
	assert_open_refused("mnas", RWH_SETTINGS("target=1e6", "alpha=0.1"),
	                    "alpha");
	assert_open_refused("mnas", RWH_SETTINGS("target=1e6", "beta=1"),
	                    "beta");
	assert_open_refused("penalty", RWH_SETTINGS("target=1e6", "g=-1"),
	                    "g");
	assert_open_refused("linear", RWH_SETTINGS("weights=[-1]",
	                    "scales=[1e6]"), "weights");
	assert_open_refused("linear", RWH_SETTINGS("a=-1", "weights=[1]",
	                    "scales=[1e6]"), "a");
	assert_open_refused("accuracy", RWH_SETTINGS("target=1e6"), "target");
}
END_TEST

/* Every reward, created with valid options. */
static void open_each(rwh h[4])
{
	apnas_error err;
	ck_assert_int_eq(rwh_open(&h[0], "accuracy", NULL, 0, &err), 0);
	ck_assert_int_eq(rwh_open(&h[1], "mnas",
	                 RWH_SETTINGS("target=1e6"), &err), 0);
	ck_assert_int_eq(rwh_open(&h[2], "linear",
	                 RWH_SETTINGS("weights=[1]", "scales=[1e6]"), &err), 0);
	ck_assert_int_eq(rwh_open(&h[3], "penalty",
	                 RWH_SETTINGS("target=1e6", "g=1"), &err), 0);
}

static void assert_refused(rwh *h, rwh_vec m, const char *word)
{
	apnas_error err;
	apnas_error_clear(&err);
	double r = 12345;
	int rc = h->ops->reward(h->self, m.v, &r, &err);
	ck_assert_msg(rc == APNAS_EINVAL, "reward %s scored acc=%g cyc=%g",
	              h->desc->name, m.v[rwh_index(h, "accuracy")],
	              m.v[rwh_index(h, "cycles")]);
	rwh_assert_msg(&err, word);
	ck_assert_double_eq(r, 12345);
}

START_TEST(bad_accuracy_refused)
{
	rwh h[4];
	open_each(h);
	for (int i = 0; i < 4; i++) {
		assert_refused(&h[i], rwh_vec_of(&h[i], NAN, 1e6), "accuracy");
		assert_refused(&h[i], rwh_vec_of(&h[i], INFINITY, 1e6),
		               "accuracy");
		assert_refused(&h[i], rwh_vec_of(&h[i], -0.01, 1e6), "accuracy");
		assert_refused(&h[i], rwh_vec_of(&h[i], 1.01, 1e6), "accuracy");
		/* Accuracy missing while every other metric is there. */
		rwh_vec m = rwh_vec_of(&h[i], NAN, 1e6);
		for (size_t k = 0; k < h[i].ms.n; k++)
			if (k != rwh_index(&h[i], "accuracy"))
				m.v[k] = 0.5;
		assert_refused(&h[i], m, "accuracy");
		rwh_close(&h[i]);
	}
}
END_TEST

START_TEST(bad_cycles_refused)
{
	rwh h[4];
	open_each(h);
	/* accuracy (h[0]) reads no cycles, so it has nothing to refuse. */
	ck_assert_double_eq(rwh_reward(&h[0], 0.5, NAN), 0.5);
	rwh_close(&h[0]);
	for (int i = 1; i < 4; i++) {
		assert_refused(&h[i], rwh_vec_of(&h[i], 0.5, NAN), "cycles");
		assert_refused(&h[i], rwh_vec_of(&h[i], 0.5, INFINITY),
		               "cycles");
		assert_refused(&h[i], rwh_vec_of(&h[i], 0.5, -1), "cycles");
		/* Cycles missing while every other metric is there. */
		rwh_vec m = rwh_vec_of(&h[i], 0.5, NAN);
		for (size_t k = 0; k < h[i].ms.n; k++)
			if (k != rwh_index(&h[i], "cycles"))
				m.v[k] = 1e6;
		m.v[rwh_index(&h[i], "accuracy")] = 0.5;
		assert_refused(&h[i], m, "cycles");
		rwh_close(&h[i]);
	}
}
END_TEST

START_TEST(mnas_zero_cycles_refused)
{
	/* (0 / T)^w is infinite for w < 0. */
	rwh h;
	apnas_error err;
	ck_assert_int_eq(rwh_open(&h, "mnas", RWH_SETTINGS("target=1e6"),
	                          &err), 0);
	assert_refused(&h, rwh_vec_of(&h, 0.5, 0), "cycles");
	rwh_close(&h);
}
END_TEST

/* The message a user sees for a metric the run lacks (a typo, or one the
 * configured cost model does not declare): it names the metric and lists
 * the run's metrics where lower is better, and only those. */
static void assert_lists_the_choices(const apnas_error *err, const char *bad)
{
	rwh_assert_msg(err, bad);
	const char *list = strstr(err->msg, ": ");
	ck_assert_msg(list != NULL, "no list in: %s", err->msg);
	while (strstr(list + 1, ": "))
		list = strstr(list + 1, ": ");
	static const char *const lower[] = {"cycles", "macs", "params"};
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(strstr(list, lower[i]) != NULL,
		              "list lacks %s: %s", lower[i], err->msg);
	static const char *const not_lower[] = {"accuracy", "utilization",
	                                        "mapping_efficiency"};
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(strstr(list, not_lower[i]) == NULL,
		              "list offers %s: %s", not_lower[i], err->msg);
}

START_TEST(unknown_metric_refused_listing_the_choices)
{
	rwh h;
	apnas_error err;
	ck_assert_int_lt(rwh_open(&h, "mnas", RWH_SETTINGS(
	                 "metric=\"area_mm2\"", "target=1e6"), &err), 0);
	ck_assert_ptr_null(h.self);
	assert_lists_the_choices(&err, "area_mm2");
	rwh_close(&h);
	ck_assert_int_lt(rwh_open(&h, "penalty", RWH_SETTINGS(
	                 "metric=\"area_mm2\"", "target=1e6", "g=1"), &err),
	                 0);
	ck_assert_ptr_null(h.self);
	assert_lists_the_choices(&err, "area_mm2");
	rwh_close(&h);
	ck_assert_int_lt(rwh_open(&h, "linear", RWH_SETTINGS(
	                 "metrics=[\"cycles\", \"cylces\"]",
	                 "weights=[1, 1]", "scales=[1e6, 1e6]"), &err), 0);
	ck_assert_ptr_null(h.self);
	assert_lists_the_choices(&err, "cylces");
	rwh_close(&h);
}
END_TEST

/* A metric the run has where higher is better cannot be a cost. */
START_TEST(higher_is_better_metric_refused)
{
	rwh h;
	apnas_error err;
	ck_assert_int_lt(rwh_open(&h, "mnas", RWH_SETTINGS(
	                 "metric=\"utilization\"", "target=50"), &err), 0);
	rwh_assert_msg(&err, "lower is better");
	assert_lists_the_choices(&err, "utilization");
	rwh_close(&h);
	ck_assert_int_lt(rwh_open(&h, "penalty", RWH_SETTINGS(
	                 "metric=\"accuracy\"", "target=0.5", "g=1"), &err),
	                 0);
	rwh_assert_msg(&err, "accuracy");
	rwh_close(&h);
}
END_TEST

/* linear takes one weight and one scale per metric: a list of another
 * length is refused before anything is scored, naming the lists. */
START_TEST(linear_list_lengths_must_match)
{
	assert_open_refused("linear", RWH_SETTINGS(
	                    "metrics=[\"cycles\", \"params\"]",
	                    "weights=[1]", "scales=[1e6, 1e5]"), "weights");
	assert_open_refused("linear", RWH_SETTINGS(
	                    "metrics=[\"cycles\", \"params\"]",
	                    "weights=[1, 1]", "scales=[1e6]"), "scales");
	assert_open_refused("linear", RWH_SETTINGS("weights=[1, 2]",
	                    "scales=[1e6, 1e6]"), "metrics");
	/* The same metric twice is a mistake, not a double weight. */
	assert_open_refused("linear", RWH_SETTINGS(
	                    "metrics=[\"cycles\", \"cycles\"]",
	                    "weights=[1, 1]", "scales=[1e6, 1e6]"), "twice");
}
END_TEST

int main(void)
{
	rwh_require_env();
	Suite *s = suite_create("reward_errors");
	TCase *tc = tcase_create("errors");
	tcase_add_test(tc, absolute_target_must_be_cycles);
	tcase_add_test(tc, required_options);
	tcase_add_test(tc, option_ranges);
	tcase_add_test(tc, bad_accuracy_refused);
	tcase_add_test(tc, bad_cycles_refused);
	tcase_add_test(tc, mnas_zero_cycles_refused);
	tcase_add_test(tc, unknown_metric_refused_listing_the_choices);
	tcase_add_test(tc, higher_is_better_metric_refused);
	tcase_add_test(tc, linear_list_lengths_must_match);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
