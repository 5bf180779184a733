/* The apnas command as a user runs it: help and version, exit codes,
 * `plugins` output, `config check` refusing each fixture config with one
 * line naming file:line, and `config show` output that reads back to
 * itself. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apnas/version.h>

#include "run_apnas.h"

START_TEST(test_help_and_version)
{
	run_result r;
	run_apnas(&r, fx_plugins, "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: apnas"));
	ck_assert_ptr_nonnull(strstr(r.out, "plugins"));
	ck_assert_ptr_nonnull(strstr(r.out, "config"));
	ck_assert_ptr_nonnull(strstr(r.out, "example"));
	ck_assert_str_eq(r.err, "");
	run_free(&r);

	run_apnas(&r, fx_plugins, "--version", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "apnas " APNAS_VERSION));
	run_free(&r);

	const char *cmds[] = {"plugins", "config"};
	for (size_t k = 0; k < 2; k++) {
		run_apnas(&r, fx_plugins, cmds[k], "--help", NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_msg(strstr(r.out, "usage: apnas ") != NULL, "%s",
		              cmds[k]);
		ck_assert_msg(strstr(r.out, "example:") != NULL, "%s", cmds[k]);
		run_free(&r);
	}
}
END_TEST

START_TEST(test_usage_errors)
{
	run_result r;
	run_apnas(&r, fx_plugins, NULL);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);

	run_apnas(&r, fx_plugins, "plugin", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_int_eq(count_lines(r.err), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "did you mean 'plugins'?"));
	run_free(&r);

	run_apnas(&r, fx_plugins, "plugins", "--format", "xml", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	run_free(&r);

	run_apnas(&r, fx_plugins, "plugins", "--kind", "optimizer", NULL);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);

	run_apnas(&r, fx_plugins, "config", "check", NULL);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);

	run_apnas(&r, fx_plugins, "config", "check", cfg_path("good.cfg"),
	          "--set", NULL);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);

	/* the engine's kernel choice: a typo is refused, not ignored */
	setenv("APNAS_NN_ISA", "avx1024", 1);
	run_apnas(&r, fx_plugins, "--version", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_int_eq(count_lines(r.err), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "APNAS_NN_ISA='avx1024'"));
	run_free(&r);
	setenv("APNAS_NN_ISA", "avx2", 1);
	run_apnas(&r, fx_plugins, "--version", NULL);
	ck_assert_int_eq(r.status, 0);
	run_free(&r);
	unsetenv("APNAS_NN_ISA");
}
END_TEST

START_TEST(test_plugins_json)
{
	run_result r;
	run_apnas(&r, fx_plugins, "plugins", "--format", "json", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_int_eq(r.out[0], '[');
	ck_assert_str_eq(r.out + strlen(r.out) - 2, "]\n");
	const char *want[][2] = {
		{"fxspace", "space"}, {"fxctl", "controller"},
		{"fxreward", "reward"}, {"fxcost", "cost"},
	};
	for (size_t k = 0; k < 4; k++) {
		char frag[128];
		snprintf(frag, sizeof frag, "{\"name\": \"%s\", \"kind\": \"%s\"",
		         want[k][0], want[k][1]);
		ck_assert_msg(strstr(r.out, frag) != NULL, "no %s in %s", frag,
		              r.out);
	}
	ck_assert_ptr_nonnull(strstr(r.out, "\"summary\": \"fixture cost"));
	ck_assert_ptr_nonnull(strstr(r.out, "/controller_fxctl.so\""));
	run_free(&r);

	run_apnas(&r, fx_plugins, "plugins", "--kind", "cost", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "fxcost"));
	ck_assert_ptr_null(strstr(r.out, "fxctl"));
	/* a header, one row and the metrics the cost model declares */
	ck_assert_int_eq(count_lines(r.out), 3);
	ck_assert_ptr_nonnull(strstr(r.out, "\n  "));
	ck_assert_msg(strstr(r.out, "metrics: cycles [cycles]\n") != NULL,
	              "no metrics line in: %s", r.out);
	run_free(&r);

	/* nothing found is an error saying where it looked and what to do,
	 * in one line */
	run_apnas(&r, "/nonexistent-apnas-dir", "plugins", "--format", "json",
	          "--kind", "reward", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_int_eq(count_lines(r.err), 1);
	ck_assert_msg(strstr(r.err, "no reward plugin found") &&
	              strstr(r.err, "/nonexistent-apnas-dir") &&
	              strstr(r.err, "APNAS_PLUGIN_PATH"), "stderr: %s", r.err);
	run_free(&r);
}
END_TEST

/* `config check <cfg>` exits 2 with one line holding every part;
 * an "@" in a part stands for the config's path. */
static void config_refused(const char *cfg, ...)
{
	run_result r;
	const char *path = cfg_path(cfg);
	char p[4200];
	snprintf(p, sizeof p, "%s", path);
	run_apnas(&r, fx_plugins, "config", "check", p, NULL);
	ck_assert_msg(r.status == 2, "%s: status %d: %s", cfg, r.status, r.err);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(count_lines(r.err) == 1, "%s: %s", cfg, r.err);
	va_list ap;
	va_start(ap, cfg);
	const char *part;
	while ((part = va_arg(ap, const char *)) != NULL) {
		char want[4400];
		const char *at = strchr(part, '@');
		if (at)
			snprintf(want, sizeof want, "%.*s%s%s", (int)(at - part),
			         part, p, at + 1);
		else
			snprintf(want, sizeof want, "%s", part);
		ck_assert_msg(strstr(r.err, want) != NULL, "%s: '%s' lacks '%s'",
		              cfg, r.err, want);
	}
	va_end(ap);
	run_free(&r);
}

START_TEST(test_config_errors)
{
	config_refused("syntax.cfg", "apnas: @:5: syntax error", NULL);
	config_refused("unknown_key.cfg",
	               "apnas: @:5: controller 'fxctl': unknown key "
	               "'populaton' (did you mean 'population'?)", NULL);
	config_refused("wrong_type.cfg",
	               "apnas: @:4: controller 'fxctl': key 'lr' must be a "
	               "float, got a string (\"fast\")", NULL);
	config_refused("out_of_range.cfg",
	               "apnas: @:4: controller 'fxctl': key 'population' "
	               "must be in [2, 4096], got 1", NULL);
	config_refused("bad_choice.cfg",
	               "apnas: @:4: controller 'fxctl': key 'mode' must be "
	               "one of a, b, c, got \"d\"", NULL);
	config_refused("unknown_plugin.cfg",
	               "apnas: @:3: no controller plugin 'nosuch'",
	               "controller plugins found: fxctl", NULL);
	config_refused("unknown_group.cfg",
	               "apnas: @:5: unknown group 'serach' (did you mean "
	               "'search'?)", NULL);
	config_refused("big_int.cfg",
	               "apnas: @:4: integer 3000000000 is outside 32 bits: "
	               "write it as 3000000000L", NULL);
	config_refused("core_key.cfg",
	               "apnas: @:3: run: unknown key 'sed' (did you mean "
	               "'seed'?)", NULL);
	config_refused("no_such_file.cfg", "cannot read config @", NULL);
}
END_TEST

START_TEST(test_config_check_ok)
{
	run_result r;
	run_apnas(&r, fx_plugins, "config", "check", cfg_path("good.cfg"),
	          "--set", "run.seed=9", NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "");
	ck_assert_ptr_nonnull(strstr(r.err, ": ok"));
	run_free(&r);
}
END_TEST

START_TEST(test_config_show_reads_back)
{
	run_result a, b;
	run_apnas(&a, fx_plugins, "config", "show", cfg_path("good.cfg"),
	          "--set", "controller.tags=[\"z\"]", NULL);
	ck_assert_msg(a.status == 0, "%s", a.err);
	ck_assert_ptr_nonnull(strstr(a.out, "  population = 20;\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "  lr = 1.0;\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "  big = 5000000000L;\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "  tags = [\"z\"];\n"));
	/* defaults filled in */
	ck_assert_ptr_nonnull(strstr(a.out, "  dataset = \"fashion_mnist\";\n"));
	ck_assert_ptr_nonnull(strstr(a.out, "  plugin = \"fxcost\";\n"));
	char tmp[] = "/tmp/apnas-show-XXXXXX";
	int fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, a.out, strlen(a.out)), (int)strlen(a.out));
	close(fd);
	run_apnas(&b, fx_plugins, "config", "show", tmp, NULL);
	unlink(tmp);
	ck_assert_msg(b.status == 0, "%s", b.err);
	/* identical after the first line, which names the source file */
	ck_assert_str_eq(strchr(a.out, '\n'), strchr(b.out, '\n'));
	run_free(&a);
	run_free(&b);
}
END_TEST

START_TEST(test_config_reference)
{
	run_result r;
	run_apnas(&r, fx_plugins, "config", "reference", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "### `run`"));
	ck_assert_ptr_nonnull(strstr(r.out, "| `seed` | int |"));
	ck_assert_ptr_nonnull(strstr(r.out, "### controller `fxctl`"));
	ck_assert_ptr_nonnull(strstr(r.out, "| `population` | int | `8` | "
	                                    "[2, 4096] | population size |"));
	ck_assert_ptr_nonnull(strstr(r.out, "`a`, `b`, `c`"));
	ck_assert_ptr_nonnull(strstr(r.out, "### reward `fxreward`"));
	run_free(&r);
}
END_TEST

int main(int argc, char **argv)
{
	test_init(argc, argv);
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	tcase_add_test(tc, test_help_and_version);
	tcase_add_test(tc, test_usage_errors);
	tcase_add_test(tc, test_plugins_json);
	tcase_add_test(tc, test_config_errors);
	tcase_add_test(tc, test_config_check_ok);
	tcase_add_test(tc, test_config_show_reads_back);
	tcase_add_test(tc, test_config_reference);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
