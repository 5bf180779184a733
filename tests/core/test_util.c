/* Core helpers: suggestions (edit distance) and atomic file writes. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "run_apnas.h"
#include "util/levenshtein.h"

START_TEST(test_levenshtein)
{
	ck_assert_uint_eq(apnas_levenshtein("", ""), 0);
	ck_assert_uint_eq(apnas_levenshtein("seed", "seed"), 0);
	ck_assert_uint_eq(apnas_levenshtein("sed", "seed"), 1);
	ck_assert_uint_eq(apnas_levenshtein("kitten", "sitting"), 3);
	ck_assert_uint_eq(apnas_levenshtein("", "abc"), 3);
}
END_TEST

START_TEST(test_nearest)
{
	const char *c[] = {"population", "lr", "greedy", NULL, "mode"};
	ck_assert_str_eq(apnas_nearest("populaton", c, 5), "population");
	ck_assert_str_eq(apnas_nearest("mdoe", c, 5), "mode");
	/* nothing plausible: no suggestion rather than a silly one */
	ck_assert_ptr_null(apnas_nearest("temperature", c, 5));
	ck_assert_ptr_null(apnas_nearest("x", NULL, 0));
}
END_TEST

static char dir[] = "/tmp/apnas-atomic-XXXXXX";

static int count_entries(const char *d)
{
	DIR *h = opendir(d);
	ck_assert_ptr_nonnull(h);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(h)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(h);
	return n;
}

static char *read_all(const char *p)
{
	FILE *f = fopen(p, "rb");
	ck_assert_ptr_nonnull(f);
	static char buf[256];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_atomic_write)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/out.txt", dir);
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_int_eq(apnas_write_atomic(path, "first\n", 6, &err), 0);
	ck_assert_str_eq(read_all(path), "first\n");
	ck_assert_int_eq(apnas_write_atomic(path, "second\n", 7, &err), 0);
	ck_assert_str_eq(read_all(path), "second\n");
	/* no temporary left behind */
	ck_assert_int_eq(count_entries(dir), 1);

	/* an aborted write leaves the old file and no temporary */
	apnas_atomic a;
	ck_assert_int_eq(apnas_atomic_open(&a, path, 0, &err), 0);
	fputs("half", a.f);
	apnas_atomic_abort(&a);
	ck_assert_str_eq(read_all(path), "second\n");
	ck_assert_int_eq(count_entries(dir), 1);

	/* an impossible target fails with the path in one line */
	char bad[160];
	snprintf(bad, sizeof bad, "%s/no/such/dir/x", dir);
	ck_assert_int_eq(apnas_write_atomic(bad, "x", 1, &err), APNAS_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, bad));
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");
	tcase_add_test(tc, test_levenshtein);
	tcase_add_test(tc, test_nearest);
	tcase_add_test(tc, test_atomic_write);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
