/* The CIFAR-10 reader on small files written in the binary batch format
 * (record = label byte + 1024 red + 1024 green + 1024 blue bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include <apnas/data.h>

#include "fixtures.h"

#define REC 3073

static char dir[512];

static void setup(void)
{
	fx_tmpdir(dir, sizeof dir);
}

static void teardown(void)
{
	fx_rmdir(dir);
}

/* Global image number g (training files first, then test) has label
 * (g * 7) % 10 and pixels fx_pixel(g, k). */
static void write_batch(const char *d, const char *name, int first, int n)
{
	uint8_t *b = malloc((size_t)n * REC);
	ck_assert_ptr_nonnull(b);
	for (int r = 0; r < n; r++) {
		int g = first + r;
		b[(size_t)r * REC] = (uint8_t)((g * 7) % 10);
		for (int k = 0; k < REC - 1; k++)
			b[(size_t)r * REC + 1 + k] = fx_pixel(g, k);
	}
	fx_write(d, name, b, (size_t)n * REC, 0);
	free(b);
}

/* data_batch_1..5 with 3 records each, test_batch with 4. */
static void write_set(const char *d)
{
	char name[64];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "data_batch_%d.bin", i + 1);
		write_batch(d, name, 3 * i, 3);
	}
	write_batch(d, "test_batch.bin", 15, 4);
}

static int open_cifar(const char *path, int normalize, apnas_dataset **ds,
                      apnas_error *err)
{
	apnas_data_spec s;
	apnas_data_spec_init(&s);
	s.dataset = "cifar10";
	s.path = path;
	s.val_size = 3;
	s.normalize = normalize;
	apnas_error_clear(err);
	return apnas_data_open_spec(&s, 1, ds, err);
}

static void check_image(apnas_dataset *ds, apnas_split sp, int64_t at,
                        int g)
{
	static float x[REC - 1];
	int32_t y;
	ck_assert_int_eq(apnas_data_image(ds, sp, at, x, &y, NULL), 0);
	ck_assert_int_eq(y, (g * 7) % 10);
	/* CHW: channel c, row i, column j is byte c*1024 + i*32 + j. */
	for (int k = 0; k < REC - 1; k++)
		ck_assert_float_eq(x[k], (float)(fx_pixel(g, k) / 255.0));
}

START_TEST(reads_batches)
{
	write_set(dir);
	apnas_dataset *ds;
	apnas_error err = {0};
	ck_assert_msg(open_cifar(dir, 0, &ds, &err) == 0, "%s", err.msg);
	const apnas_data_info *i = apnas_data_get_info(ds);
	ck_assert_int_eq(i->c, 3);
	ck_assert_int_eq(i->h, 32);
	ck_assert_int_eq(i->w, 32);
	ck_assert_int_eq(i->classes, 10);
	ck_assert_int_eq(i->train_n, 12);
	ck_assert_int_eq(i->val_n, 3);
	ck_assert_int_eq(i->test_n, 4);
	for (int g = 0; g < 12; g++)
		check_image(ds, APNAS_SPLIT_TRAIN, g, g);
	for (int g = 12; g < 15; g++)
		check_image(ds, APNAS_SPLIT_VAL, g - 12, g);
	for (int g = 15; g < 19; g++)
		check_image(ds, APNAS_SPLIT_TEST, g - 15, g);
	/* method.md section 8: pad 4, crop and flip for CIFAR. */
	ck_assert_int_eq(apnas_data_augment_pad(ds), 4);
	ck_assert_int_eq(apnas_data_augment_flip(ds), 1);
	apnas_data_close(ds);
}
END_TEST

/* The archive's own folder name below the given path is found. */
START_TEST(finds_archive_folder)
{
	char sub[600];
	snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	write_set(sub);
	apnas_dataset *ds;
	apnas_error err = {0};
	ck_assert_msg(open_cifar(dir, 1, &ds, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(apnas_data_get_info(ds)->train_n, 12);
	apnas_data_close(ds);
}
END_TEST

static void expect_refusal(const char *file, const char *what)
{
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	ck_assert_msg(open_cifar(dir, 1, &ds, &err) < 0, "accepted %s", file);
	ck_assert_ptr_null(ds);
	ck_assert_msg(strstr(err.msg, file) != NULL, "does not name %s: %s",
	              file, err.msg);
	ck_assert_msg(strstr(err.msg, what) != NULL, "does not say %s: %s",
	              what, err.msg);
}

START_TEST(truncated_batch)
{
	write_set(dir);
	uint8_t b[REC + 100] = {0};
	fx_write(dir, "data_batch_2.bin", b, sizeof b, 0);
	expect_refusal("data_batch_2.bin", "truncated");
}
END_TEST

START_TEST(empty_batch)
{
	write_set(dir);
	fx_write(dir, "test_batch.bin", NULL, 0, 0);
	expect_refusal("test_batch.bin", "0 bytes");
}
END_TEST

START_TEST(label_out_of_range)
{
	write_set(dir);
	uint8_t b[2 * REC] = {0};
	b[REC] = 10;
	fx_write(dir, "data_batch_4.bin", b, sizeof b, 0);
	expect_refusal("data_batch_4.bin", "out of range");
}
END_TEST

START_TEST(missing_batch)
{
	write_set(dir);
	char p[700];
	snprintf(p, sizeof p, "%s/data_batch_3.bin", dir);
	ck_assert_int_eq(remove(p), 0);
	expect_refusal(p, "missing");
}
END_TEST

START_TEST(gzip_batch)
{
	write_set(dir);
	char p[700];
	snprintf(p, sizeof p, "%s/data_batch_5.bin", dir);
	FILE *f = fopen(p, "rb");
	ck_assert_ptr_nonnull(f);
	uint8_t b[3 * REC];
	ck_assert_uint_eq(fread(b, 1, sizeof b, f), sizeof b);
	fclose(f);
	ck_assert_int_eq(remove(p), 0);
	fx_write(dir, "data_batch_5.bin.gz", b, sizeof b, 1);
	apnas_dataset *ds;
	apnas_error err = {0};
	ck_assert_msg(open_cifar(dir, 0, &ds, &err) == 0, "%s", err.msg);
	check_image(ds, APNAS_SPLIT_VAL, 2, 14);
	apnas_data_close(ds);
}
END_TEST

START_TEST(needs_path)
{
	apnas_dataset *ds = NULL;
	apnas_error err = {0};
	ck_assert_int_lt(open_cifar("", 1, &ds, &err), 0);
	ck_assert_msg(strstr(err.msg, "data.path") != NULL, "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cifar");
	TCase *tc = tcase_create("cifar");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reads_batches);
	tcase_add_test(tc, finds_archive_folder);
	tcase_add_test(tc, truncated_batch);
	tcase_add_test(tc, empty_batch);
	tcase_add_test(tc, label_out_of_range);
	tcase_add_test(tc, missing_batch);
	tcase_add_test(tc, gzip_batch);
	tcase_add_test(tc, needs_path);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
