/* Plugin loader refusals, seen as a user sees them: `apnas config check`
 * on a config naming one broken fixture plugin must exit 2 with exactly
 * one line on stderr that says what is wrong. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apnas/version.h>

#include "run_apnas.h"

/* Runs `config check empty.cfg` with the <kind> group set to plugin
 * `name` found in the bad-fixture directory. */
static void check_bad(run_result *r, const char *kind, const char *name)
{
	char plug[128], path[4200];
	snprintf(plug, sizeof plug, "%s.plugin=%s", kind, name);
	snprintf(path, sizeof path, "%s.path=%s", kind, fx_bad);
	run_apnas(r, fx_plugins, "config", "check", cfg_path("empty.cfg"),
	          "--set", plug, "--set", path, NULL);
}

/* Status 2, nothing on stdout, one "apnas: " line naming the file and
 * containing every part. */
static void assert_refused(run_result *r, const char *file, ...)
{
	ck_assert_msg(r->status == 2, "status %d, stderr: %s", r->status,
	              r->err);
	ck_assert_str_eq(r->out, "");
	ck_assert_int_eq(count_lines(r->err), 1);
	ck_assert_msg(strncmp(r->err, "apnas: ", 7) == 0, "%s", r->err);
	if (file) {
		char full[4200];
		snprintf(full, sizeof full, "%s/%s", fx_bad, file);
		ck_assert_msg(strstr(r->err, full) != NULL, "'%s' lacks %s",
		              r->err, full);
	}
	va_list ap;
	va_start(ap, file);
	const char *part;
	while ((part = va_arg(ap, const char *)) != NULL)
		ck_assert_msg(strstr(r->err, part) != NULL, "'%s' lacks '%s'",
		              r->err, part);
	va_end(ap);
	run_free(r);
}

START_TEST(test_not_found)
{
	run_result r;
	run_apnas(&r, fx_plugins, "config", "check", cfg_path("empty.cfg"),
	          "--set", "controller.plugin=nosuch", NULL);
	char searched[4200];
	snprintf(searched, sizeof searched, "(searched %s", fx_plugins);
	assert_refused(&r, NULL, "no controller plugin 'nosuch'", searched,
	               "; controller plugins found: fxctl", NULL);
}
END_TEST

START_TEST(test_dlopen_failure)
{
	run_result r;
	check_bad(&r, "controller", "undef");
	assert_refused(&r, "controller_undef.so", "cannot load plugin",
	               "apnas_fixture_symbol_nobody_defines", NULL);
}
END_TEST

START_TEST(test_no_symbol)
{
	run_result r;
	check_bad(&r, "controller", "nosym");
	assert_refused(&r, "controller_nosym.so", "no 'apnas_plugin' symbol",
	               NULL);
}
END_TEST

START_TEST(test_wrong_major)
{
	char core[64];
	snprintf(core, sizeof core, "ABI %u.%u", APNAS_ABI_MAJOR,
	         APNAS_ABI_MINOR);
	run_result r;
	check_bad(&r, "controller", "wrongmajor");
	assert_refused(&r, "controller_wrongmajor.so", "plugin ABI 99.0", core,
	               "rebuild the plugin", NULL);
}
END_TEST

START_TEST(test_newer_minor)
{
	char plug[64], core[64];
	snprintf(plug, sizeof plug, "ABI %u.%u", APNAS_ABI_MAJOR,
	         APNAS_ABI_MINOR + 7);
	snprintf(core, sizeof core, "ABI %u.%u", APNAS_ABI_MAJOR,
	         APNAS_ABI_MINOR);
	run_result r;
	check_bad(&r, "controller", "newminor");
	assert_refused(&r, "controller_newminor.so", plug, core, "newer", NULL);
}
END_TEST

START_TEST(test_struct_too_small)
{
	run_result r;
	check_bad(&r, "controller", "small");
	assert_refused(&r, "controller_small.so", "descriptor is 12 bytes",
	               NULL);
}
END_TEST

START_TEST(test_wrong_kind)
{
	run_result r;
	check_bad(&r, "controller", "wrongkind");
	assert_refused(&r, "controller_wrongkind.so",
	               "is a cost plugin, expected a controller plugin", NULL);
}
END_TEST

START_TEST(test_bad_name)
{
	run_result r;
	check_bad(&r, "controller", "badname");
	assert_refused(&r, "controller_badname.so",
	               "plugin name 'Bad-Name' is not [a-z0-9_]+", NULL);
}
END_TEST

START_TEST(test_name_not_file_name)
{
	run_result r;
	check_bad(&r, "controller", "mismatch");
	assert_refused(&r, "controller_mismatch.so",
	               "controller plugin 'other' must be in a file named "
	               "controller_other.so", NULL);
}
END_TEST

START_TEST(test_null_required_op)
{
	run_result r;
	check_bad(&r, "controller", "nullop");
	assert_refused(&r, "controller_nullop.so",
	               "controller 'nullop': required op 'update' is NULL",
	               NULL);
}
END_TEST

START_TEST(test_train_step_without_evaluate)
{
	run_result r;
	check_bad(&r, "space", "halftrain");
	assert_refused(&r, "space_halftrain.so",
	               "space 'halftrain': op 'evaluate' is NULL but "
	               "train_step needs it", NULL);
}
END_TEST

START_TEST(test_bad_option_table)
{
	run_result r;
	check_bad(&r, "controller", "badtable");
	assert_refused(&r, "controller_badtable.so", "invalid default",
	               "key 'population' must be in [2, 4096], got 1", NULL);
}
END_TEST

/* create() is not called by config check: a plugin that refuses to be
 * created still checks fine (its refusal is tested in test_config). */
START_TEST(test_check_does_not_create)
{
	run_result r;
	check_bad(&r, "controller", "failcreate");
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_free(&r);
}
END_TEST

START_TEST(test_explicit_file)
{
	char path[4200];
	snprintf(path, sizeof path, "controller.path=%s/controller_fxctl.so",
	         fx_plugins);
	run_result r;
	/* no search path at all: only the explicit file can be found */
	run_apnas(&r, "", "config", "check", cfg_path("empty.cfg"), "--set",
	          "controller.plugin=fxctl", "--set", path, NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_free(&r);
}
END_TEST

START_TEST(test_never_current_directory)
{
	ck_assert_int_eq(chdir(fx_plugins), 0);
	run_result r;
	/* empty entries must not mean "." */
	run_apnas(&r, "::", "config", "check", cfg_path("empty.cfg"), "--set",
	          "controller.plugin=fxctl", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "no controller plugin 'fxctl'"));
	run_free(&r);
}
END_TEST

START_TEST(test_listing_reports_bad_files)
{
	run_result r;
	run_apnas(&r, fx_bad, "plugins", NULL);
	/* broken files do not make the listing fail */
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "failcreate"));
	ck_assert_ptr_null(strstr(r.out, "wrongmajor"));
	/* one line per broken file */
	ck_assert_int_eq(count_lines(r.err), 11);
	ck_assert_ptr_nonnull(strstr(r.err, "controller_nullop.so"));
	ck_assert_ptr_nonnull(strstr(r.err, "space_halftrain.so"));
	run_free(&r);
}
END_TEST

START_TEST(test_duplicate)
{
	char path[8400];
	snprintf(path, sizeof path, "%s:%s", fx_plugins, fx_dup);
	run_result r;
	run_apnas(&r, path, "plugins", "--kind", "controller", "--format",
	          "json", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(count_lines(r.err), 1);
	ck_assert_ptr_nonnull(strstr(r.err,
	                             "duplicate controller plugin 'fxctl'"));
	/* listed once, from the first directory of the search path */
	const char *first = strstr(r.out, "\"fxctl\"");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_null(strstr(first + 1, "\"fxctl\""));
	char file[4200];
	snprintf(file, sizeof file, "\"%s/controller_fxctl.so\"", fx_plugins);
	ck_assert_ptr_nonnull(strstr(r.out, file));
	run_free(&r);
}
END_TEST

int main(int argc, char **argv)
{
	test_init(argc, argv);
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("loader");
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_dlopen_failure);
	tcase_add_test(tc, test_no_symbol);
	tcase_add_test(tc, test_wrong_major);
	tcase_add_test(tc, test_newer_minor);
	tcase_add_test(tc, test_struct_too_small);
	tcase_add_test(tc, test_wrong_kind);
	tcase_add_test(tc, test_bad_name);
	tcase_add_test(tc, test_name_not_file_name);
	tcase_add_test(tc, test_null_required_op);
	tcase_add_test(tc, test_train_step_without_evaluate);
	tcase_add_test(tc, test_bad_option_table);
	tcase_add_test(tc, test_check_does_not_create);
	tcase_add_test(tc, test_explicit_file);
	tcase_add_test(tc, test_never_current_directory);
	tcase_add_test(tc, test_listing_reports_bad_files);
	tcase_add_test(tc, test_duplicate);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
