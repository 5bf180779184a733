/* The IDX reader on small fixture files, plain and gzip: what it reads,
 * and every refusal naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <apnas/data.h>

#include "fixtures.h"

static char dir[512];

static void setup(void)
{
	fx_tmpdir(dir, sizeof dir);
}

static void teardown(void)
{
	fx_rmdir(dir);
}

static const char *sfx(int gz)
{
	return gz ? ".gz" : "";
}

/* Opens dir as an mnist dataset; returns the status, err filled. */
static int open_mnist(int64_t val, apnas_dataset **ds, apnas_error *err)
{
	apnas_data_spec s;
	apnas_data_spec_init(&s);
	s.dataset = "mnist";
	s.path = dir;
	s.val_size = val;
	s.normalize = 0;
	apnas_error_clear(err);
	return apnas_data_open_spec(&s, 1, ds, err);
}

static void expect_refusal(const char *file, const char *what)
{
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	int rc = open_mnist(1, &ds, &err);
	ck_assert_msg(rc < 0, "accepted a broken %s", file);
	ck_assert_ptr_null(ds);
	ck_assert_msg(strstr(err.msg, file) != NULL,
	              "message does not name %s: %s", file, err.msg);
	ck_assert_msg(strstr(err.msg, what) != NULL,
	              "message does not say '%s': %s", what, err.msg);
	ck_assert_msg(strchr(err.msg, '\n') == NULL, "not one line: %s",
	              err.msg);
}

/* Replaces dir/name (plain or gz) by the given bytes. */
static void put(const char *base, int gz, const uint8_t *b, size_t len)
{
	char name[128];
	snprintf(name, sizeof name, "%s%s", base, sfx(gz));
	fx_write(dir, name, b, len, gz);
}

START_TEST(reads_fixture)
{
	int gz = _i;
	fx_mnist_set(dir, 9, 4, 28, 28, gz);
	apnas_dataset *ds;
	apnas_error err = {0};
	ck_assert_msg(open_mnist(2, &ds, &err) == 0, "%s", err.msg);
	const apnas_data_info *i = apnas_data_get_info(ds);
	ck_assert_int_eq(i->c, 1);
	ck_assert_int_eq(i->h, 28);
	ck_assert_int_eq(i->w, 28);
	ck_assert_int_eq(i->train_n, 7);
	ck_assert_int_eq(i->val_n, 2);
	ck_assert_int_eq(i->test_n, 4);
	float x[784];
	int32_t y;
	/* normalize off: exactly pixel / 255, image i of the file. */
	for (int64_t k = 0; k < 9; k++) {
		apnas_split sp = k < 7 ? APNAS_SPLIT_TRAIN : APNAS_SPLIT_VAL;
		int64_t at = k < 7 ? k : k - 7;
		ck_assert_int_eq(apnas_data_image(ds, sp, at, x, &y, NULL), 0);
		ck_assert_int_eq(y, (k * 3) % 10);
		for (int p = 0; p < 784; p++)
			ck_assert_float_eq(x[p], (float)(fx_pixel(k, p) / 255.0));
	}
	ck_assert_int_eq(apnas_data_image(ds, APNAS_SPLIT_TEST, 3, x, &y,
	                                  NULL), 0);
	ck_assert_int_eq(y, 9);
	ck_assert_int_lt(apnas_data_image(ds, APNAS_SPLIT_TEST, 4, x, &y,
	                                  &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "out of range"));
	apnas_data_close(ds);
}
END_TEST

START_TEST(truncated_images)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	uint8_t pix[6 * 784] = {0};
	uint32_t d[3] = {6, 28, 28};
	size_t len;
	uint8_t *f = fx_idx(0x08, d, 3, pix, sizeof pix, &len);
	put("train-images-idx3-ubyte", gz, f, len - 5);
	free(f);
	expect_refusal("train-images-idx3-ubyte", "truncated");
}
END_TEST

START_TEST(truncated_header)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	uint32_t d[3] = {6, 28, 28};
	size_t len;
	uint8_t *f = fx_idx(0x08, d, 3, NULL, 0, &len);
	put("t10k-images-idx3-ubyte", gz, f, 10);
	free(f);
	expect_refusal("t10k-images-idx3-ubyte", "truncated");
}
END_TEST

/* A gzip stream cut off in the middle: zlib must not pass it as a short
 * but valid file. */
START_TEST(truncated_gzip_stream)
{
	fx_mnist_set(dir, 50, 2, 28, 28, 1);
	char p[1024];
	snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
	FILE *f = fopen(p, "rb");
	ck_assert_ptr_nonnull(f);
	uint8_t buf[65536];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	ck_assert_uint_gt(n, 40);
	fx_write(dir, "train-images-idx3-ubyte.gz", buf, n / 2, 0);
	expect_refusal("train-images-idx3-ubyte.gz", "truncated");
}
END_TEST

START_TEST(trailing_bytes)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	uint8_t lab[9] = {0};
	uint32_t d[1] = {6};
	size_t len;
	uint8_t *f = fx_idx(0x08, d, 1, lab, sizeof lab, &len);
	put("train-labels-idx1-ubyte", gz, f, len);
	free(f);
	expect_refusal("train-labels-idx1-ubyte", "bytes after");
}
END_TEST

START_TEST(wrong_magic_images)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	/* A labels file where the images should be. */
	uint8_t lab[6] = {0};
	uint32_t d[1] = {6};
	size_t len;
	uint8_t *f = fx_idx(0x08, d, 1, lab, sizeof lab, &len);
	put("train-images-idx3-ubyte", gz, f, len);
	free(f);
	expect_refusal("train-images-idx3-ubyte", "wrong magic");
}
END_TEST

START_TEST(wrong_magic_labels)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	uint8_t lab[6] = {0};
	uint32_t d[1] = {6};
	size_t len;
	uint8_t *f = fx_idx(0x0D, d, 1, lab, sizeof lab, &len); /* floats */
	put("t10k-labels-idx1-ubyte", gz, f, len);
	free(f);
	expect_refusal("t10k-labels-idx1-ubyte", "wrong magic");
}
END_TEST

START_TEST(label_count_mismatch)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	uint8_t lab[5] = {0};
	uint32_t d[1] = {5};
	size_t len;
	uint8_t *f = fx_idx(0x08, d, 1, lab, sizeof lab, &len);
	put("train-labels-idx1-ubyte", gz, f, len);
	free(f);
	expect_refusal("train-labels-idx1-ubyte", "5 labels");
	/* ... and says how many images there are, in which file. */
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	open_mnist(1, &ds, &err);
	ck_assert_msg(strstr(err.msg, "6 images") &&
	              strstr(err.msg, "train-images-idx3-ubyte"), "%s",
	              err.msg);
}
END_TEST

START_TEST(label_out_of_range)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	uint8_t lab[6] = {1, 2, 3, 10, 4, 5};
	uint32_t d[1] = {6};
	size_t len;
	uint8_t *f = fx_idx(0x08, d, 1, lab, sizeof lab, &len);
	put("train-labels-idx1-ubyte", gz, f, len);
	free(f);
	expect_refusal("train-labels-idx1-ubyte", "out of range");
}
END_TEST

START_TEST(bad_dims)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	uint32_t d[3] = {6, 0, 28};
	size_t len;
	uint8_t *f = fx_idx(0x08, d, 3, NULL, 0, &len);
	put("train-images-idx3-ubyte", gz, f, len);
	free(f);
	expect_refusal("train-images-idx3-ubyte", "bad dimensions");
	/* A header claiming a huge count must be refused, not allocated. */
	uint32_t big[3] = {2000000000u, 28, 28};
	f = fx_idx(0x08, big, 3, NULL, 0, &len);
	put("train-images-idx3-ubyte", gz, f, len);
	free(f);
	expect_refusal("train-images-idx3-ubyte", "truncated");
}
END_TEST

START_TEST(test_images_differ_in_shape)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	/* Test images of another shape than the training images. */
	uint8_t pix[2 * 9] = {0};
	uint32_t d[3] = {2, 3, 3};
	size_t len;
	uint8_t *f = fx_idx(0x08, d, 3, pix, sizeof pix, &len);
	put("t10k-images-idx3-ubyte", gz, f, len);
	free(f);
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	ck_assert_int_lt(open_mnist(1, &ds, &err), 0);
	ck_assert_msg(strstr(err.msg, "28x28") && strstr(err.msg, "3x3"), "%s",
	              err.msg);
}
END_TEST

START_TEST(missing_file)
{
	int gz = _i;
	fx_mnist_set(dir, 6, 2, 28, 28, gz);
	char p[1024];
	snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte%s", dir, sfx(gz));
	ck_assert_int_eq(remove(p), 0);
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	ck_assert_int_lt(open_mnist(1, &ds, &err), 0);
	ck_assert_msg(strstr(err.msg, "missing") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, dir) != NULL, "no path: %s", err.msg);
	ck_assert_msg(strstr(err.msg, "t10k-labels-idx1-ubyte") != NULL, "%s",
	              err.msg);
}
END_TEST

START_TEST(missing_directory_and_path)
{
	apnas_data_spec s;
	apnas_data_spec_init(&s);
	s.dataset = "mnist";
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	/* mnist has no default location: the message says what to set. */
	ck_assert_int_lt(apnas_data_open_spec(&s, 1, &ds, &err), 0);
	ck_assert_msg(strstr(err.msg, "data.path") != NULL, "%s", err.msg);
	s.path = "/nonexistent/apnas-mnist";
	ck_assert_int_lt(apnas_data_open_spec(&s, 1, &ds, &err), 0);
	ck_assert_msg(strstr(err.msg, "/nonexistent/apnas-mnist/") != NULL,
	              "%s", err.msg);
}
END_TEST

/* Issue 17, item 5: the named dataset fixes the image size that
 * `apnas cost` assumes; a fashion_mnist directory of 32x32 images is
 * another dataset and is refused, naming both sizes. */
START_TEST(fashion_mnist_image_size_checked)
{
	fx_mnist_set(dir, 6, 2, 32, 32, 0);
	apnas_data_spec s;
	apnas_data_spec_init(&s);
	s.dataset = "fashion_mnist";
	s.path = dir;
	s.val_size = 1;
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	ck_assert_int_eq(apnas_data_open_spec(&s, 1, &ds, &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "1x32x32") && strstr(err.msg, "1x28x28"),
	              "%s", err.msg);
	s.dataset = "mnist";
	ck_assert_int_eq(apnas_data_open_spec(&s, 1, &ds, &err), APNAS_EINVAL);
}
END_TEST

/* Issue 17, item 8: damaged gzip data is bad input (exit 2) exactly like
 * a truncated plain file, not an I/O failure (exit 1). */
START_TEST(damaged_gzip_is_bad_input)
{
	fx_mnist_set(dir, 6, 2, 28, 28, 1);
	char p[1024];
	snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
	FILE *f = fopen(p, "r+b");
	ck_assert_ptr_nonnull(f);
	/* past the 10-byte gzip header: the deflate data itself */
	fseek(f, 12, SEEK_SET);
	for (int k = 0; k < 64; k++)
		fputc(0xff, f);
	fclose(f);
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	ck_assert_int_eq(open_mnist(1, &ds, &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "gzip"), "%s", err.msg);
	/* and a truncated plain file gives the same code */
	fx_mnist_set(dir, 6, 2, 28, 28, 0);
	uint32_t d[3] = {6, 28, 28};
	size_t len;
	uint8_t *b = fx_idx(0x08, d, 3, NULL, 0, &len);
	put("train-images-idx3-ubyte", 0, b, len);
	free(b);
	ck_assert_int_eq(open_mnist(1, &ds, &err), APNAS_EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("idx");
	TCase *tc = tcase_create("idx");
	tcase_add_checked_fixture(tc, setup, teardown);
	/* _i = 0: plain files, 1: gzip */
	tcase_add_loop_test(tc, reads_fixture, 0, 2);
	tcase_add_loop_test(tc, truncated_images, 0, 2);
	tcase_add_loop_test(tc, truncated_header, 0, 2);
	tcase_add_test(tc, truncated_gzip_stream);
	tcase_add_loop_test(tc, trailing_bytes, 0, 2);
	tcase_add_loop_test(tc, wrong_magic_images, 0, 2);
	tcase_add_loop_test(tc, wrong_magic_labels, 0, 2);
	tcase_add_loop_test(tc, label_count_mismatch, 0, 2);
	tcase_add_loop_test(tc, label_out_of_range, 0, 2);
	tcase_add_loop_test(tc, bad_dims, 0, 2);
	tcase_add_loop_test(tc, test_images_differ_in_shape, 0, 2);
	tcase_add_loop_test(tc, missing_file, 0, 2);
	tcase_add_test(tc, missing_directory_and_path);
	tcase_add_test(tc, fashion_mnist_image_size_checked);
	tcase_add_test(tc, damaged_gzip_is_bad_input);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
