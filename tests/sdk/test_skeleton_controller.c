/* skeleton_controller: reproducible from the seed, uniform, honest
 * log-probabilities, and a saved state from which a fresh instance goes
 * on exactly as the original would. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skel_harness.h"

/* A small space: ops with 4, 3 and 2 choices, three skip bits. */
static const apnas_decision dec[] = {
	{APNAS_DECISION_OP, 4, 0, -1},
	{APNAS_DECISION_OP, 3, 1, -1},
	{APNAS_DECISION_SKIP, 2, 1, 0},
	{APNAS_DECISION_OP, 2, 2, -1},
	{APNAS_DECISION_SKIP, 2, 2, 0},
	{APNAS_DECISION_SKIP, 2, 2, 1},
};
#define ND (sizeof dec / sizeof dec[0])

static void open_ctl(skel *p, uint64_t seed, const char *const *set,
                     size_t n)
{
	apnas_plugin_ctx ctx = {.seed = seed, .threads = 1, .decisions = dec,
	                        .n_decisions = ND};
	skel_open_ok(p, APNAS_KIND_CONTROLLER, set, n, &ctx);
}

static const apnas_controller_ops *ops(const skel *p)
{
	return p->desc->ops;
}

static void sample_ok(const skel *p, int32_t *tok, apnas_sample_info *info)
{
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(ops(p)->sample(p->self, APNAS_SAMPLE_EVAL, tok, info,
	                             &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < ND; i++) {
		ck_assert_int_ge(tok[i], 0);
		ck_assert_int_lt(tok[i], dec[i].n_choices);
	}
}

START_TEST(same_seed_same_samples)
{
	skel a, b, c, e;
	open_ctl(&a, 11, SKEL_NONE);
	open_ctl(&b, 11, SKEL_NONE);
	open_ctl(&c, 12, SKEL_NONE);
	open_ctl(&e, 11, SKEL_SET("stream=\"other\""));
	int differ_seed = 0, differ_stream = 0;
	for (int k = 0; k < 50; k++) {
		int32_t ta[ND], tb[ND], tc[ND], te[ND];
		sample_ok(&a, ta, NULL);
		sample_ok(&b, tb, NULL);
		sample_ok(&c, tc, NULL);
		sample_ok(&e, te, NULL);
		ck_assert_mem_eq(ta, tb, sizeof ta);
		differ_seed |= memcmp(ta, tc, sizeof ta) != 0;
		differ_stream |= memcmp(ta, te, sizeof ta) != 0;
	}
	ck_assert_msg(differ_seed, "another seed gave the same 50 samples");
	ck_assert_msg(differ_stream, "another stream gave the same samples");
	skel_close(&a);
	skel_close(&b);
	skel_close(&c);
	skel_close(&e);
}
END_TEST

/* 4000 draws of a 4-way op: each choice within 5 sigma of 1000. */
START_TEST(uniform_ops)
{
	skel p;
	open_ctl(&p, 3, SKEL_NONE);
	int count[4] = {0};
	for (int k = 0; k < 4000; k++) {
		int32_t tok[ND];
		sample_ok(&p, tok, NULL);
		count[tok[0]]++;
	}
	for (int c = 0; c < 4; c++) {
		ck_assert_int_gt(count[c], 1000 - 137);
		ck_assert_int_lt(count[c], 1000 + 137);
	}
	skel_close(&p);
}
END_TEST

/* skip_prob 0 and 1 force the skip bits; log_prob and entropy then come
 * from the op choices alone, and with 0.5 each bit adds log 0.5. */
START_TEST(skip_prob_and_log_prob)
{
	static const char *set[] = {"skip_prob=0", "skip_prob=1",
	                            "skip_prob=0.5"};
	skel p;
	open_ctl(&p, 5, &set[_i], 1);
	double ops_logp = -(log(4) + log(3) + log(2));
	for (int k = 0; k < 20; k++) {
		int32_t tok[ND];
		apnas_sample_info info = {1, 1};
		sample_ok(&p, tok, &info);
		double want = ops_logp, want_h = -ops_logp;
		for (size_t i = 0; i < ND; i++) {
			if (dec[i].kind != APNAS_DECISION_SKIP)
				continue;
			if (_i < 2) {
				ck_assert_int_eq(tok[i], _i);
			} else {
				want += log(0.5);
				want_h += log(2);
			}
		}
		ck_assert_double_eq_tol(info.log_prob, want, 1e-12);
		ck_assert_double_eq_tol(info.entropy, want_h, 1e-12);
	}
	skel_close(&p);
}
END_TEST

/* Saved mid-run and loaded into an instance with another seed, the state
 * carries on bit for bit, description included. */
START_TEST(save_load_continues)
{
	skel a, b;
	open_ctl(&a, 21, SKEL_NONE);
	open_ctl(&b, 22, SKEL_NONE);
	int32_t toks[7 * ND];
	double rewards[7];
	for (int k = 0; k < 7; k++) {
		sample_ok(&a, &toks[k * ND], NULL);
		rewards[k] = 0.1 * k;
	}
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_int_eq(ops(&a)->update(a.self, toks, rewards, 7, NULL, &err),
	                 0);
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(ops(&a)->save(a.self, f, &err) == 0, "%s", err.msg);
	rewind(f);
	ck_assert_msg(ops(&b)->load(b.self, f, &err) == 0, "%s", err.msg);
	fclose(f);
	char da[256], db[256];
	ops(&a)->describe(a.self, da, sizeof da);
	ops(&b)->describe(b.self, db, sizeof db);
	ck_assert_str_eq(da, db);
	for (int k = 0; k < 30; k++) {
		int32_t ta[ND], tb[ND];
		sample_ok(&a, ta, NULL);
		sample_ok(&b, tb, NULL);
		ck_assert_mem_eq(ta, tb, sizeof ta);
	}
	skel_close(&a);
	skel_close(&b);
}
END_TEST

static FILE *text_file(const char *text)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	rewind(f);
	return f;
}

/* A foreign, truncated or mismatched state is refused and the instance
 * goes on as if load() had not been called. */
START_TEST(load_refusals)
{
	static const struct {
		const char *text;
		const char *word;
	} bad[] = {
		{"hello world\n", "header"},
		{"apnas-skeleton-controller 99\n", "version"},
		{"apnas-skeleton-controller 1\ndecisions 5\n", "decisions"},
		{"apnas-skeleton-controller 1\ndecisions 6\nrng 0 0 0 0\n",
		 "rng"},
		{"apnas-skeleton-controller 1\ndecisions 6\nrng 1 2 3 4\n"
		 "sampled 3\n", "rewarded"},
	};
	skel a, twin;
	open_ctl(&a, 8, SKEL_NONE);
	open_ctl(&twin, 8, SKEL_NONE);
	FILE *f = text_file(bad[_i].text);
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_int_lt(ops(&a)->load(a.self, f, &err), 0);
	skel_assert_error(&err, bad[_i].word);
	fclose(f);
	for (int k = 0; k < 10; k++) {
		int32_t ta[ND], tb[ND];
		sample_ok(&a, ta, NULL);
		sample_ok(&twin, tb, NULL);
		ck_assert_mem_eq(ta, tb, sizeof ta);
	}
	skel_close(&a);
	skel_close(&twin);
}
END_TEST

START_TEST(update_checks_input)
{
	skel p;
	open_ctl(&p, 1, SKEL_NONE);
	int32_t toks[2 * ND];
	sample_ok(&p, toks, NULL);
	sample_ok(&p, toks + ND, NULL);
	char before[256], after[256];
	ops(&p)->describe(p.self, before, sizeof before);
	ck_assert_msg(before[0] && !strchr(before, '\n'), "describe: '%s'",
	              before);

	double nan_r[2] = {0.5, NAN};
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_int_lt(ops(&p)->update(p.self, toks, nan_r, 2, NULL, &err),
	                 0);
	skel_assert_error(&err, "reward");

	double ok_r[2] = {0.25, 0.75};
	int32_t bad[2 * ND];
	memcpy(bad, toks, sizeof bad);
	bad[ND + 1] = 3; /* decision 1 has 3 choices */
	apnas_error_clear(&err);
	ck_assert_int_lt(ops(&p)->update(p.self, bad, ok_r, 2, NULL, &err), 0);
	skel_assert_error(&err, "token");
	ops(&p)->describe(p.self, after, sizeof after);
	ck_assert_str_eq(before, after);

	apnas_update_info info = {-1, -1};
	apnas_error_clear(&err);
	ck_assert_int_eq(ops(&p)->update(p.self, toks, ok_r, 2, &info, &err),
	                 0);
	/* the header promises the running mean as baseline */
	ck_assert_double_eq_tol(info.baseline, 0.5, 1e-12);
	ops(&p)->describe(p.self, after, sizeof after);
	ck_assert_str_ne(before, after);
	skel_close(&p);
}
END_TEST

START_TEST(create_refusals)
{
	skel p;
	apnas_error err;
	apnas_plugin_ctx none = {.seed = 1, .threads = 1};
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_CONTROLLER, SKEL_NONE, &none,
	                           &err), 0);
	skel_assert_error(&err, "decisions");
	ck_assert_ptr_null(p.self);
	skel_close(&p);
	apnas_plugin_ctx ctx = {.seed = 1, .threads = 1, .decisions = dec,
	                        .n_decisions = ND};
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_CONTROLLER,
	                           SKEL_SET("skip_prob=1.5"), &ctx, &err), 0);
	skel_assert_error(&err, "skip_prob");
	skel_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("skeleton controller");
	TCase *tc = tcase_create("controller");
	tcase_add_test(tc, same_seed_same_samples);
	tcase_add_test(tc, uniform_ops);
	tcase_add_loop_test(tc, skip_prob_and_log_prob, 0, 3);
	tcase_add_test(tc, save_load_continues);
	tcase_add_loop_test(tc, load_refusals, 0, 5);
	tcase_add_test(tc, update_checks_input);
	tcase_add_test(tc, create_refusals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
