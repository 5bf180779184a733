/* Option tables: defaults, types, ranges, choices, lists, bare words,
 * suggestions, the text form's round trip, table checks, and the abort on
 * a getter for an undeclared key. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/options.h>

#include "opts_internal.h"

static const apnas_option table[] = {
	{"population", APNAS_OPT_INT, "8", 2, 4096, NULL, "population size", 0},
	{"lr", APNAS_OPT_FLOAT, "0.01", 0, 1, NULL, "learning rate", 0},
	{"greedy", APNAS_OPT_BOOL, "false", 1, 0, NULL, "sample greedily", 0},
	{"mode", APNAS_OPT_STRING, "\"a\"", 1, 0, "a|b|c", "mode", 0},
	{"label", APNAS_OPT_STRING, "\"hi\"", 1, 0, NULL, "label", 0},
	{"widths", APNAS_OPT_INT_LIST, "[16, 32]", 1, 512, NULL, "widths", 0},
	{"tags", APNAS_OPT_STRING_LIST, "[\"x\"]", 1, 0, "x|y|z", "tags", 0},
	{"big", APNAS_OPT_INT, "3000000000L", 1, 0, NULL, "64-bit", 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
};

static apnas_error err;

/* Resolves one setting (or none); returns the status. */
static int resolve1(const char *setting, apnas_opts **o)
{
	apnas_error_clear(&err);
	const char *s[1] = {setting};
	return apnas_opts_from_settings(table, "fx 'test'", s,
	                                setting ? 1 : 0, o, &err);
}

/* Asserts that `setting` is refused with `part` in a one-line message. */
static void refused(const char *setting, const char *part)
{
	apnas_opts *o = NULL;
	int rc = resolve1(setting, &o);
	ck_assert_msg(rc == APNAS_EINVAL, "%s: accepted", setting);
	ck_assert_ptr_null(o);
	ck_assert_msg(strstr(err.msg, part) != NULL, "%s: message '%s' lacks "
	              "'%s'", setting, err.msg, part);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}

START_TEST(test_defaults)
{
	apnas_opts *o;
	ck_assert_int_eq(resolve1(NULL, &o), 0);
	ck_assert_int_eq(apnas_opts_int(o, "population"), 8);
	ck_assert_double_eq(apnas_opts_float(o, "lr"), 0.01);
	ck_assert_int_eq(apnas_opts_bool(o, "greedy"), 0);
	ck_assert_str_eq(apnas_opts_string(o, "mode"), "a");
	ck_assert_uint_eq(apnas_opts_len(o, "widths"), 2);
	ck_assert_int_eq(apnas_opts_int_at(o, "widths", 1), 32);
	ck_assert_uint_eq(apnas_opts_len(o, "tags"), 1);
	ck_assert_str_eq(apnas_opts_string_at(o, "tags", 0), "x");
	ck_assert_int_eq(apnas_opts_int(o, "big"), 3000000000LL);
	ck_assert_ptr_eq(apnas_opts_table(o), table);
	apnas_opts_free(o);
}
END_TEST

START_TEST(test_values)
{
	const char *s[] = {
		"population = 4096", "lr=1", "greedy=true", "mode=c",
		"label=\"two words\"", "widths=[1, 512, 3]",
		"tags=(\"z\", \"y\")", "big=-5000000000L", "population=2",
	};
	apnas_opts *o;
	apnas_error_clear(&err);
	ck_assert_int_eq(apnas_opts_from_settings(table, "t", s, 9, &o, &err),
	                 0);
	/* later settings win, like repeated --set */
	ck_assert_int_eq(apnas_opts_int(o, "population"), 2);
	/* an int is accepted for a float */
	ck_assert_double_eq(apnas_opts_float(o, "lr"), 1.0);
	ck_assert_int_eq(apnas_opts_bool(o, "greedy"), 1);
	/* a bare word is a string */
	ck_assert_str_eq(apnas_opts_string(o, "mode"), "c");
	ck_assert_str_eq(apnas_opts_string(o, "label"), "two words");
	ck_assert_uint_eq(apnas_opts_len(o, "widths"), 3);
	ck_assert_int_eq(apnas_opts_int_at(o, "widths", 1), 512);
	ck_assert_uint_eq(apnas_opts_len(o, "tags"), 2);
	ck_assert_str_eq(apnas_opts_string_at(o, "tags", 1), "y");
	ck_assert_int_eq(apnas_opts_int(o, "big"), -5000000000LL);
	apnas_opts_free(o);
}
END_TEST

START_TEST(test_refusals)
{
	refused("population=1", "key 'population' must be in [2, 4096], got 1");
	refused("population=4097", "must be in [2, 4096], got 4097");
	refused("population=2.5", "key 'population' must be an int, got a float");
	refused("lr=1.5", "key 'lr' must be in [0, 1], got 1.5");
	refused("lr=\"fast\"", "key 'lr' must be a float, got a string (\"fast\")");
	refused("greedy=1", "key 'greedy' must be true or false, got an int");
	refused("mode=d", "key 'mode' must be one of a, b, c, got \"d\"");
	refused("mode=3", "key 'mode' must be a string, got an int");
	refused("widths=[0]", "key 'widths' element 0 must be in [1, 512], got 0");
	refused("widths=5", "key 'widths' must be a list of ints");
	refused("widths=(1, \"a\")", "element 1 must be an int, got a string");
	refused("tags=[\"x\", \"w\"]", "element 1 must be one of x, y, z");
	refused("populaton=3", "unknown key 'populaton' (did you mean 'population'?)");
	refused("temperature=3", "unknown key 'temperature' (valid keys: population, lr,");
	refused("no equals", "is not key=value");
	refused("Bad=1", "key 'Bad' is not [a-z0-9_]+");
}
END_TEST

START_TEST(test_required)
{
	static const apnas_option req[] = {
		{"rows", APNAS_OPT_INT, NULL, 1, 64, NULL, "array rows", 0},
		{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
	};
	apnas_opts *o = NULL;
	apnas_error_clear(&err);
	ck_assert_int_eq(apnas_opts_from_settings(req, "cost 'x'", NULL, 0, &o,
	                                          &err), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "key 'rows' is required"));
	const char *s[] = {"rows=4"};
	ck_assert_int_eq(apnas_opts_from_settings(req, "cost 'x'", s, 1, &o,
	                                          &err), 0);
	ck_assert_int_eq(apnas_opts_int(o, "rows"), 4);
	apnas_opts_free(o);
}
END_TEST

/* Every value's text form, read back, gives the same value. */
START_TEST(test_text_round_trip)
{
	const char *s[] = {
		"lr=0.1", "label=\"q\\\"uote\\\\ back\\ttab\"", "widths=[]",
		"big=-7", "tags=[\"z\", \"x\"]",
	};
	apnas_opts *o, *back;
	apnas_error_clear(&err);
	ck_assert_int_eq(apnas_opts_from_settings(table, "t", s, 5, &o, &err),
	                 0);
	char *texts[16];
	const char *ptrs[16];
	size_t n = 0;
	for (const apnas_option *t = table; t->key; t++, n++) {
		char val[256];
		int need = apnas_opts_text(o, t->key, val, sizeof val);
		ck_assert_int_lt(need, (int)sizeof val);
		texts[n] = malloc(strlen(t->key) + (size_t)need + 2);
		sprintf(texts[n], "%s=%s", t->key, val);
		ptrs[n] = texts[n];
	}
	ck_assert_int_eq(apnas_opts_from_settings(table, "t", ptrs, n, &back,
	                                          &err), 0);
	ck_assert_double_eq(apnas_opts_float(back, "lr"), 0.1);
	ck_assert_str_eq(apnas_opts_string(back, "label"), "q\"uote\\ back\ttab");
	ck_assert_uint_eq(apnas_opts_len(back, "widths"), 0);
	ck_assert_int_eq(apnas_opts_int(back, "big"), -7);
	ck_assert_str_eq(apnas_opts_string_at(back, "tags", 0), "z");
	for (size_t k = 0; k < n; k++) {
		char a[256], b[256];
		apnas_opts_text(o, table[k].key, a, sizeof a);
		apnas_opts_text(back, table[k].key, b, sizeof b);
		ck_assert_str_eq(a, b);
		free(texts[k]);
	}
	/* truncation reports the length needed, like snprintf */
	char tiny[4];
	int need = apnas_opts_text(o, "label", tiny, sizeof tiny);
	ck_assert_int_gt(need, 3);
	ck_assert_uint_eq(strlen(tiny), 3);
	apnas_opts_free(o);
	apnas_opts_free(back);
}
END_TEST

START_TEST(test_float_text_is_exact)
{
	const double xs[] = {0.1, 1.0 / 3.0, 1e-300, 2.0, 123456789.125};
	for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
		char set[96], buf[64];
		apnas_fmt_double(buf, sizeof buf, xs[k]);
		snprintf(set, sizeof set, "lr=%s", buf);
		static const apnas_option ft[] = {
			{"lr", APNAS_OPT_FLOAT, "0", 1, 0, NULL, "any float", 0},
			{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
		};
		const char *s[] = {set};
		apnas_opts *o;
		ck_assert_int_eq(apnas_opts_from_settings(ft, "t", s, 1, &o,
		                                          &err), 0);
		ck_assert_msg(apnas_opts_float(o, "lr") == xs[k], "%s", buf);
		apnas_opts_free(o);
	}
}
END_TEST

START_TEST(test_table_checks)
{
	static const apnas_option dup[] = {
		{"a", APNAS_OPT_INT, "1", 1, 0, NULL, "a", 0},
		{"a", APNAS_OPT_INT, "1", 1, 0, NULL, "a again", 0},
		{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
	};
	static const apnas_option reserved[] = {
		{"path", APNAS_OPT_STRING, "\"x\"", 1, 0, NULL, "p", 0},
		{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
	};
	static const apnas_option bad_default[] = {
		{"n", APNAS_OPT_INT, "0", 1, 9, NULL, "n", 0},
		{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
	};
	static const apnas_option no_help[] = {
		{"n", APNAS_OPT_INT, "1", 1, 0, NULL, NULL, 0},
		{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
	};
	ck_assert_int_eq(apnas_options_check_table(table, "t", &err), 0);
	ck_assert_int_eq(apnas_options_check_table(dup, "t", &err),
	                 APNAS_EPLUGIN);
	ck_assert_ptr_nonnull(strstr(err.msg, "'a' is declared twice"));
	ck_assert_int_eq(apnas_options_check_table(reserved, "t", &err),
	                 APNAS_EPLUGIN);
	ck_assert_ptr_nonnull(strstr(err.msg, "'path' is reserved"));
	ck_assert_int_eq(apnas_options_check_table(bad_default, "t", &err),
	                 APNAS_EPLUGIN);
	ck_assert_ptr_nonnull(strstr(err.msg, "must be in [1, 9], got 0"));
	ck_assert_int_eq(apnas_options_check_table(no_help, "t", &err),
	                 APNAS_EPLUGIN);
}
END_TEST

START_TEST(test_getter_unknown_key_aborts)
{
	apnas_opts *o;
	resolve1(NULL, &o);
	apnas_opts_int(o, "nope");
}
END_TEST

START_TEST(test_getter_wrong_type_aborts)
{
	apnas_opts *o;
	resolve1(NULL, &o);
	apnas_opts_string(o, "population");
}
END_TEST

START_TEST(test_list_index_aborts)
{
	apnas_opts *o;
	resolve1(NULL, &o);
	apnas_opts_int_at(o, "widths", 2);
}
END_TEST

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_required);
	tcase_add_test(tc, test_text_round_trip);
	tcase_add_test(tc, test_float_text_is_exact);
	tcase_add_test(tc, test_table_checks);
	tcase_add_test_raise_signal(tc, test_getter_unknown_key_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_getter_wrong_type_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_list_index_aborts, SIGABRT);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
