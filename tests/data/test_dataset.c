/* The dataset object on synthetic data: split sizes and sources,
 * normalisation, the generator's determinism and learnability, the
 * config path (apnas_data_open from the `data` group) and thread count
 * resolution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <apnas/data.h>

#include "config.h"
#include "util/threads.h"

static apnas_data_spec synth(int64_t n, int64_t val)
{
	apnas_data_spec s;
	apnas_data_spec_init(&s);
	s.dataset = "synthetic";
	s.synthetic_n = n;
	s.synthetic_test_n = 40;
	s.synthetic_c = 3;
	s.synthetic_h = 6;
	s.synthetic_w = 5;
	s.val_size = val;
	return s;
}

static apnas_dataset *open_ok(const apnas_data_spec *s, uint64_t seed)
{
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	int rc = apnas_data_open_spec(s, seed, &ds, &err);
	ck_assert_msg(rc == 0, "open failed: %s", err.msg);
	return ds;
}

static void open_fails(const apnas_data_spec *s, const char *what)
{
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	ck_assert_int_lt(apnas_data_open_spec(s, 1, &ds, &err), 0);
	ck_assert_ptr_null(ds);
	ck_assert_msg(strstr(err.msg, what) != NULL, "expected '%s' in: %s",
	              what, err.msg);
}

START_TEST(split_sizes)
{
	apnas_data_spec s = synth(100, 20);
	apnas_dataset *ds = open_ok(&s, 1);
	const apnas_data_info *i = apnas_data_get_info(ds);
	ck_assert_int_eq(i->train_n, 80);
	ck_assert_int_eq(i->val_n, 20);
	ck_assert_int_eq(i->test_n, 40);
	ck_assert_int_eq(i->c, 3);
	ck_assert_int_eq(i->h, 6);
	ck_assert_int_eq(i->w, 5);
	ck_assert_int_eq(i->classes, 10);
	ck_assert_int_eq(apnas_data_count(ds, APNAS_SPLIT_VAL), 20);
	apnas_data_close(ds);

	s.train_subset = 30;
	s.test_subset = 7;
	ds = open_ok(&s, 1);
	i = apnas_data_get_info(ds);
	ck_assert_int_eq(i->train_n, 30);
	ck_assert_int_eq(i->val_n, 20); /* unchanged by the subset */
	ck_assert_int_eq(i->test_n, 7);
	apnas_data_close(ds);

	s = synth(100, 0);
	ds = open_ok(&s, 1);
	ck_assert_int_eq(apnas_data_get_info(ds)->train_n, 100);
	ck_assert_int_eq(apnas_data_get_info(ds)->val_n, 0);
	apnas_data_close(ds);
}
END_TEST

START_TEST(split_refusals)
{
	apnas_data_spec s = synth(100, 100);
	open_fails(&s, "val_size 100");
	s = synth(100, 20);
	s.train_subset = 81;
	open_fails(&s, "train_subset 81");
	s = synth(100, 20);
	s.test_subset = 41;
	open_fails(&s, "test_subset 41");
	s = synth(100, 20);
	s.augment_pad = 65;
	open_fails(&s, "augment_pad");
	s = synth(100, 20);
	s.dataset = "imagenet";
	open_fails(&s, "unknown dataset \"imagenet\"");
	s = synth(100, 20);
	s.synthetic_h = 0;
	open_fails(&s, "bad dimensions");
	s = synth(100, 20);
	s.synthetic_classes = 1;
	open_fails(&s, "class count");
}
END_TEST

/* Validation = the last val_size images of the training file, in order;
 * the subset = the first images of the train split. */
START_TEST(split_sources)
{
	apnas_data_spec s = synth(50, 0);
	s.normalize = 0; /* same values whatever the train split is */
	apnas_dataset *all = open_ok(&s, 1);
	s.val_size = 12;
	s.train_subset = 10;
	apnas_dataset *cut = open_ok(&s, 1);
	float a[90], b[90];
	int32_t ya, yb;
	for (int k = 0; k < 12; k++) {
		apnas_data_image(all, APNAS_SPLIT_TRAIN, 38 + k, a, &ya, NULL);
		apnas_data_image(cut, APNAS_SPLIT_VAL, k, b, &yb, NULL);
		ck_assert_int_eq(ya, yb);
		ck_assert_mem_eq(a, b, sizeof a);
	}
	for (int k = 0; k < 10; k++) {
		apnas_data_image(all, APNAS_SPLIT_TRAIN, k, a, &ya, NULL);
		apnas_data_image(cut, APNAS_SPLIT_TRAIN, k, b, &yb, NULL);
		ck_assert_int_eq(ya, yb);
		ck_assert_mem_eq(a, b, sizeof a);
	}
	apnas_error err = {0};
	ck_assert_int_lt(apnas_data_image(cut, APNAS_SPLIT_TRAIN, 10, b, &yb,
	                                  &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "out of range"));
	apnas_data_close(all);
	apnas_data_close(cut);
}
END_TEST

/* Mean 0 and std 1 per channel over the train split; the statistics are
 * the train split's, so the same image normalises the same way in every
 * split. */
START_TEST(normalisation)
{
	apnas_data_spec s = synth(300, 100);
	s.train_subset = 150;
	apnas_dataset *ds = open_ok(&s, 1);
	const apnas_data_info *i = apnas_data_get_info(ds);
	int plane = i->h * i->w;
	float x[90];
	for (int c = 0; c < i->c; c++) {
		double s1 = 0, s2 = 0, n = 0;
		for (int64_t k = 0; k < i->train_n; k++) {
			apnas_data_image(ds, APNAS_SPLIT_TRAIN, k, x, NULL, NULL);
			for (int p = 0; p < plane; p++) {
				double v = x[c * plane + p];
				s1 += v;
				s2 += v * v;
				n++;
			}
		}
		double m = s1 / n, sd = sqrt(s2 / n - m * m);
		ck_assert_double_eq_tol(m, 0.0, 1e-5);
		ck_assert_double_eq_tol(sd, 1.0, 1e-5);
		double mean, std;
		apnas_data_norm(ds, c, &mean, &std);
		ck_assert(mean > 0.0 && mean < 1.0);
		ck_assert(std > 0.0 && std < 1.0);
	}
	apnas_data_close(ds);
}
END_TEST

/* The data depend on synthetic_seed only, not on the run seed. */
START_TEST(synthetic_determinism)
{
	apnas_data_spec s = synth(60, 10);
	apnas_dataset *a = open_ok(&s, 1), *b = open_ok(&s, 999);
	s.synthetic_seed = 2;
	apnas_dataset *c = open_ok(&s, 1);
	float xa[90], xb[90], xc[90];
	int differ = 0;
	for (int k = 0; k < 50; k++) {
		int32_t ya, yb, yc;
		apnas_data_image(a, APNAS_SPLIT_TRAIN, k, xa, &ya, NULL);
		apnas_data_image(b, APNAS_SPLIT_TRAIN, k, xb, &yb, NULL);
		apnas_data_image(c, APNAS_SPLIT_TRAIN, k, xc, &yc, NULL);
		ck_assert_mem_eq(xa, xb, sizeof xa);
		ck_assert_int_eq(ya, yb);
		ck_assert_int_eq(ya, yc);
		ck_assert(ya >= 0 && ya < 10);
		differ += memcmp(xa, xc, sizeof xa) != 0;
	}
	ck_assert_int_eq(differ, 50);
	apnas_data_close(a);
	apnas_data_close(b);
	apnas_data_close(c);
}
END_TEST

/* Learnable: nearest class mean, fitted on the train split, classifies
 * the test split far above chance (10%). */
START_TEST(synthetic_learnable)
{
	apnas_data_spec s = synth(500, 100);
	s.synthetic_test_n = 200;
	apnas_dataset *ds = open_ok(&s, 1);
	const apnas_data_info *i = apnas_data_get_info(ds);
	int dim = i->c * i->h * i->w;
	double *mean = calloc((size_t)i->classes * dim, sizeof *mean);
	int cnt[10] = {0};
	float x[90];
	int32_t y;
	for (int64_t k = 0; k < i->train_n; k++) {
		apnas_data_image(ds, APNAS_SPLIT_TRAIN, k, x, &y, NULL);
		cnt[y]++;
		for (int p = 0; p < dim; p++)
			mean[y * dim + p] += x[p];
	}
	for (int k = 0; k < i->classes; k++) {
		ck_assert_int_gt(cnt[k], 0);
		for (int p = 0; p < dim; p++)
			mean[k * dim + p] /= cnt[k];
	}
	int correct = 0;
	for (int64_t k = 0; k < i->test_n; k++) {
		apnas_data_image(ds, APNAS_SPLIT_TEST, k, x, &y, NULL);
		int best = -1;
		double bd = INFINITY;
		for (int c = 0; c < i->classes; c++) {
			double d = 0;
			for (int p = 0; p < dim; p++) {
				double e = x[p] - mean[c * dim + p];
				d += e * e;
			}
			if (d < bd) {
				bd = d;
				best = c;
			}
		}
		correct += best == y;
	}
	free(mean);
	ck_assert_msg(correct >= 0.9 * i->test_n, "only %d of %lld", correct,
	              (long long)i->test_n);
	apnas_data_close(ds);
}
END_TEST

/* config -> dataset in one call, through the real `data` option table. */
START_TEST(open_from_options)
{
	const char *set[] = {"dataset=synthetic", "synthetic_n=120",
	                     "synthetic_test_n=30", "val_size=20",
	                     "train_subset=50", "augment_flip=on",
	                     "synthetic_h=8", "synthetic_w=9",
	                     "synthetic_c=2"};
	apnas_opts *o = NULL;
	apnas_error err = {0};
	ck_assert_msg(apnas_opts_from_settings(apnas_data_options, "data", set,
	                                       sizeof set / sizeof *set, &o,
	                                       &err) == 0, "%s", err.msg);
	apnas_dataset *ds = NULL;
	ck_assert_msg(apnas_data_open(o, 5, &ds, &err) == 0, "%s", err.msg);
	const apnas_data_info *i = apnas_data_get_info(ds);
	ck_assert_int_eq(i->train_n, 50);
	ck_assert_int_eq(i->val_n, 20);
	ck_assert_int_eq(i->test_n, 30);
	ck_assert_int_eq(i->c, 2);
	ck_assert_int_eq(i->h, 8);
	ck_assert_int_eq(i->w, 9);
	ck_assert_int_eq(apnas_data_augment_flip(ds), 1);
	ck_assert_int_eq(apnas_data_augment_pad(ds), 0); /* synthetic */
	char line[200];
	apnas_data_describe(ds, line, sizeof line);
	ck_assert_msg(strstr(line, "synthetic") && strstr(line, "50 train"),
	              "%s", line);
	apnas_data_close(ds);
	apnas_opts_free(o);

	/* The defaults of the table are those of apnas_data_spec_init. */
	ck_assert_int_eq(apnas_opts_from_settings(apnas_data_options, "data",
	                                          NULL, 0, &o, &err), 0);
	apnas_data_spec d;
	apnas_data_spec_init(&d);
	ck_assert_str_eq(apnas_opts_string(o, "dataset"), d.dataset);
	ck_assert_int_eq(apnas_opts_int(o, "val_size"), d.val_size);
	ck_assert_int_eq(apnas_opts_int(o, "synthetic_n"), d.synthetic_n);
	ck_assert_int_eq(apnas_opts_int(o, "augment_pad"), d.augment_pad);
	ck_assert_int_eq(apnas_opts_bool(o, "drop_last"), d.drop_last);
	apnas_opts_free(o);

	/* Bad values are refused by the table, naming the key. */
	const char *bad[] = {"dataset=imagenet"};
	ck_assert_int_lt(apnas_opts_from_settings(apnas_data_options, "data",
	                                          bad, 1, &o, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "dataset"));
}
END_TEST

/* Options resolved against another table are refused, not crashed on. */
START_TEST(open_wrong_table)
{
	static const apnas_option other[] = {
		{"x", APNAS_OPT_INT, "1", 1, 0, NULL, "x", 0},
		{NULL, 0, NULL, 0, 0, NULL, NULL, 0}};
	apnas_opts *o = NULL;
	apnas_error err = {0};
	ck_assert_int_eq(apnas_opts_from_settings(other, "other", NULL, 0, &o,
	                                          &err), 0);
	apnas_dataset *ds = NULL;
	ck_assert_int_lt(apnas_data_open(o, 1, &ds, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "apnas_data_options"));
	apnas_opts_free(o);
}
END_TEST

START_TEST(threads_resolve)
{
	ck_assert_int_eq(apnas_threads_resolve(3), 3);
	ck_assert_int_eq(apnas_threads_resolve(1), 1);
	ck_assert_int_ge(apnas_threads_resolve(0), 1);
	ck_assert_int_eq(apnas_threads_resolve(-1), apnas_threads_resolve(0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dataset");
	TCase *tc = tcase_create("dataset");
	tcase_add_test(tc, split_sizes);
	tcase_add_test(tc, split_refusals);
	tcase_add_test(tc, split_sources);
	tcase_add_test(tc, normalisation);
	tcase_add_test(tc, synthetic_determinism);
	tcase_add_test(tc, synthetic_learnable);
	tcase_add_test(tc, open_from_options);
	tcase_add_test(tc, open_wrong_table);
	tcase_add_test(tc, threads_resolve);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
