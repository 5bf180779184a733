/* The Fashion-MNIST loader on the real files of Debian's
 * dataset-fashion-mnist.  Labels and pixels are checked against a tiny
 * independent reader written here (zlib + the IDX header by hand), never
 * against the loader's own output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <zlib.h>

#include <apnas/data.h>

#define DIR "/usr/share/datasets/fashion-mnist"

static apnas_dataset *ds;

/* Independent reader: `skip` header bytes then n bytes from offset off. */
static void raw_bytes(const char *name, size_t header, size_t off,
                      uint8_t *out, size_t n)
{
	char p[512];
	snprintf(p, sizeof p, DIR "/%s", name);
	gzFile f = gzopen(p, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", p);
	size_t skip = header + off;
	uint8_t tmp[4096];
	while (skip) {
		unsigned k = skip < sizeof tmp ? (unsigned)skip : sizeof tmp;
		ck_assert_int_eq(gzread(f, tmp, k), (int)k);
		skip -= k;
	}
	ck_assert_int_eq(gzread(f, out, (unsigned)n), (int)n);
	gzclose(f);
}

static void setup(void)
{
	apnas_data_spec s;
	apnas_data_spec_init(&s); /* the defaults: fashion_mnist at DIR */
	apnas_error err = {0};
	int rc = apnas_data_open_spec(&s, 42, &ds, &err);
	ck_assert_msg(rc == 0, "open failed: %s", err.msg);
}

static void teardown(void)
{
	apnas_data_close(ds);
	ds = NULL;
}

START_TEST(counts_and_shapes)
{
	const apnas_data_info *i = apnas_data_get_info(ds);
	ck_assert_int_eq(i->c, 1);
	ck_assert_int_eq(i->h, 28);
	ck_assert_int_eq(i->w, 28);
	ck_assert_int_eq(i->classes, 10);
	ck_assert_int_eq(i->train_n, 55000);
	ck_assert_int_eq(i->val_n, 5000);
	ck_assert_int_eq(i->train_n + i->val_n, 60000);
	ck_assert_int_eq(i->test_n, 10000);
	ck_assert_str_eq(apnas_data_name(ds), "fashion_mnist");
	/* method.md section 8: pad 2 + crop, no flip. */
	ck_assert_int_eq(apnas_data_augment_pad(ds), 2);
	ck_assert_int_eq(apnas_data_augment_flip(ds), 0);
}
END_TEST

START_TEST(first_labels)
{
	static const int32_t known[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
	uint8_t raw[10];
	raw_bytes("train-labels-idx1-ubyte.gz", 8, 0, raw, 10);
	float x[784];
	for (int k = 0; k < 10; k++) {
		ck_assert_int_eq(raw[k], known[k]);
		int32_t y = -1;
		ck_assert_int_eq(apnas_data_image(ds, APNAS_SPLIT_TRAIN, k, x,
		                                  &y, NULL), 0);
		ck_assert_int_eq(y, raw[k]);
	}
}
END_TEST

/* The validation split is the last 5000 training images, and the test
 * split the t10k files, in order. */
START_TEST(split_sources)
{
	uint8_t raw[5];
	float x[784];
	int32_t y;
	raw_bytes("train-labels-idx1-ubyte.gz", 8, 55000, raw, 5);
	for (int k = 0; k < 5; k++) {
		ck_assert_int_eq(apnas_data_image(ds, APNAS_SPLIT_VAL, k, x,
		                                  &y, NULL), 0);
		ck_assert_int_eq(y, raw[k]);
	}
	raw_bytes("train-labels-idx1-ubyte.gz", 8, 59999, raw, 1);
	ck_assert_int_eq(apnas_data_image(ds, APNAS_SPLIT_VAL, 4999, x, &y,
	                                  NULL), 0);
	ck_assert_int_eq(y, raw[0]);
	raw_bytes("t10k-labels-idx1-ubyte.gz", 8, 0, raw, 5);
	for (int k = 0; k < 5; k++) {
		ck_assert_int_eq(apnas_data_image(ds, APNAS_SPLIT_TEST, k, x,
		                                  &y, NULL), 0);
		ck_assert_int_eq(y, raw[k]);
	}
}
END_TEST

/* Pixels come out as (p/255 - mean) / std, in row-major order. */
START_TEST(pixels_match_file)
{
	uint8_t raw[784];
	float x[784];
	double mean, std;
	apnas_data_norm(ds, 0, &mean, &std);
	for (int img = 0; img < 3; img++) {
		raw_bytes("train-images-idx3-ubyte.gz", 16, (size_t)img * 784,
		          raw, 784);
		ck_assert_int_eq(apnas_data_image(ds, APNAS_SPLIT_TRAIN, img,
		                                  x, NULL, NULL), 0);
		for (int k = 0; k < 784; k++)
			ck_assert_double_eq_tol(x[k] * std + mean,
			                        raw[k] / 255.0, 1e-5);
	}
}
END_TEST

START_TEST(normalised_train_split)
{
	const apnas_data_info *i = apnas_data_get_info(ds);
	float *x = malloc(sizeof *x * 784);
	double s1 = 0, s2 = 0, cnt = 0;
	for (int64_t k = 0; k < i->train_n; k++) {
		apnas_data_image(ds, APNAS_SPLIT_TRAIN, k, x, NULL, NULL);
		for (int p = 0; p < 784; p++) {
			s1 += x[p];
			s2 += (double)x[p] * x[p];
		}
		cnt += 784;
	}
	free(x);
	double m = s1 / cnt, sd = sqrt(s2 / cnt - m * m);
	ck_assert_double_eq_tol(m, 0.0, 1e-4);
	ck_assert_double_eq_tol(sd, 1.0, 1e-4);
}
END_TEST

int main(void)
{
	if (access(DIR "/train-images-idx3-ubyte.gz", R_OK) != 0) {
		fprintf(stderr, "\n*** SKIP: %s is missing: install Debian's "
		        "dataset-fashion-mnist to run the Fashion-MNIST loader "
		        "test ***\n\n", DIR);
		return 77;
	}
	Suite *s = suite_create("fashion_mnist");
	TCase *tc = tcase_create("real files");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, counts_and_shapes);
	tcase_add_test(tc, first_labels);
	tcase_add_test(tc, split_sources);
	tcase_add_test(tc, pixels_match_file);
	tcase_add_test(tc, normalised_train_split);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
