/* Bad options and bad metrics: each refused with one clear line naming
 * the key or metric, never scored. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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
	assert_open_refused("linear", RWH_SETTINGS("c=1", "cyc_ref=0"),
	                    "cyc_ref");
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
	assert_open_refused("linear", RWH_SETTINGS("cyc_ref=1e6"), "c");
	assert_open_refused("linear", RWH_SETTINGS("c=1"), "cyc_ref");
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
	assert_open_refused("linear", RWH_SETTINGS("c=-1", "cyc_ref=1e6"),
	                    "c");
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
	                 RWH_SETTINGS("c=1", "cyc_ref=1e6"), &err), 0);
	ck_assert_int_eq(rwh_open(&h[3], "penalty",
	                 RWH_SETTINGS("target=1e6", "g=1"), &err), 0);
}

static void assert_refused(rwh *h, apnas_metrics m, const char *word)
{
	apnas_error err;
	apnas_error_clear(&err);
	double r = 12345;
	int rc = h->ops->reward(h->self, &m, &r, &err);
	ck_assert_msg(rc == APNAS_EINVAL, "reward %s scored acc=%g cyc=%g",
	              h->lib.desc->name, m.accuracy, m.cycles);
	rwh_assert_msg(&err, word);
	ck_assert_double_eq(r, 12345);
}

START_TEST(bad_accuracy_refused)
{
	rwh h[4];
	open_each(h);
	for (int i = 0; i < 4; i++) {
		assert_refused(&h[i], rwh_metrics(NAN, 1e6), "accuracy");
		assert_refused(&h[i], rwh_metrics(INFINITY, 1e6), "accuracy");
		assert_refused(&h[i], rwh_metrics(-0.01, 1e6), "accuracy");
		assert_refused(&h[i], rwh_metrics(1.01, 1e6), "accuracy");
		apnas_metrics m = rwh_metrics(0.5, 1e6);
		m.have = APNAS_METRIC_CYCLES;
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
		assert_refused(&h[i], rwh_metrics(0.5, NAN), "cycles");
		assert_refused(&h[i], rwh_metrics(0.5, INFINITY), "cycles");
		assert_refused(&h[i], rwh_metrics(0.5, -1), "cycles");
		apnas_metrics m = rwh_metrics(0.5, 1e6);
		m.have = APNAS_METRIC_ACCURACY;
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
	assert_refused(&h, rwh_metrics(0.5, 0), "cycles");
	rwh_close(&h);
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
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
