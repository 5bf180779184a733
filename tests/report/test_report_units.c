/* Unit tests of the report's pure parts: the JSON and CSV readers, mean
 * and standard deviation, natural ordering, and the ablate grid (--vary
 * parsing, expansion order, run names). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/csvread.h"
#include "report/grid.h"
#include "report/json.h"
#include "report/report.h"

static apnas_json *parse_ok(const char *s)
{
	apnas_json *j = NULL;
	apnas_error e;
	apnas_error_clear(&e);
	ck_assert_msg(apnas_json_parse(s, strlen(s), &j, &e) == 0,
	              "'%s': %s", s, e.msg);
	return j;
}

START_TEST(json_values)
{
	apnas_json *j = parse_ok(" {\"a\": 1.5e2, \"b\": [true, false, null],"
	                         " \"s\": \"x\\\"y\\u00e9\\ud83d\\ude00\","
	                         " \"o\": {\"k\": -0.25}, \"a\": 7} ");
	ck_assert_double_eq(apnas_json_num_at(j, "a"), 150.0);
	const apnas_json *b = apnas_json_get(j, "b");
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->type, APNAS_JSON_ARRAY);
	ck_assert_uint_eq(b->n, 3);
	ck_assert_int_eq(b->items[0].type, APNAS_JSON_BOOL);
	ck_assert_double_eq(b->items[0].num, 1);
	ck_assert_int_eq(b->items[2].type, APNAS_JSON_NULL);
	ck_assert_str_eq(apnas_json_str_at(j, "s"),
	                 "x\"y\xc3\xa9\xf0\x9f\x98\x80");
	ck_assert_double_eq(apnas_json_num_at(apnas_json_get(j, "o"), "k"),
	                    -0.25);
	ck_assert(isnan(apnas_json_num_at(j, "missing")));
	ck_assert(isnan(apnas_json_num_at(j, "s")));
	ck_assert_ptr_null(apnas_json_str_at(j, "a"));
	apnas_json_free(j);
}
END_TEST

START_TEST(json_errors)
{
	static const struct {
		const char *text;
		int line;
		const char *what;
	} bad[] = {
		{"{\"a\": 1,}", 1, "member name"},
		{"{\"a\" 1}", 1, "':'"},
		{"[1, 2", 1, "expected"},
		{"\n\n  tru", 3, "expected a value"},
		{"{\"a\": 01}", 1, "','"},
		{"\"abc", 1, "unterminated"},
		{"{} x", 1, "text after"},
		{"1.", 1, "decimal point"},
		{"\"\\q\"", 1, "escape"},
		{"", 1, "end of text"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		apnas_json *j = (apnas_json *)1;
		apnas_error e;
		apnas_error_clear(&e);
		int rc = apnas_json_parse(bad[i].text, strlen(bad[i].text), &j,
		                          &e);
		ck_assert_msg(rc == APNAS_EINVAL, "'%s' accepted", bad[i].text);
		ck_assert_ptr_null(j);
		ck_assert_int_eq(e.line, bad[i].line);
		ck_assert_msg(strstr(e.msg, bad[i].what), "'%s': %s",
		              bad[i].text, e.msg);
	}
	/* Deep nesting is refused, not recursed into. */
	char deep[300];
	memset(deep, '[', sizeof deep);
	apnas_json *j = NULL;
	apnas_error e;
	ck_assert_int_eq(apnas_json_parse(deep, sizeof deep, &j, &e),
	                 APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "nested"));
}
END_TEST

START_TEST(csv_records)
{
	const char *s = "a,b,c\n1,\"x, \"\"y\"\"\",\n\n2.5,,\"multi\nline\"\r\n";
	apnas_csv c;
	apnas_error e;
	ck_assert_int_eq(apnas_csv_parse(s, strlen(s), &c, &e), 0);
	ck_assert_uint_eq(c.nrows, 3);
	ck_assert_uint_eq(c.ncols[1], 3);
	ck_assert_str_eq(c.rows[1][1], "x, \"y\"");
	ck_assert_str_eq(c.rows[1][2], "");
	ck_assert_str_eq(c.rows[2][2], "multi\nline");
	ck_assert_int_eq(apnas_csv_col(&c, "c"), 2);
	ck_assert_int_eq(apnas_csv_col(&c, "d"), -1);
	double v;
	ck_assert_int_eq(apnas_csv_get_num(&c, 2, 0, &v), 0);
	ck_assert_double_eq(v, 2.5);
	ck_assert_int_eq(apnas_csv_get_num(&c, 2, 1, &v), 0);
	ck_assert(isnan(v));
	ck_assert_int_eq(apnas_csv_get_num(&c, 1, 1, &v), -1);
	apnas_csv_free(&c);

	const char *bad = "a\n\"open\n";
	ck_assert_int_eq(apnas_csv_parse(bad, strlen(bad), &c, &e),
	                 APNAS_EINVAL);
	ck_assert_int_eq(e.line, 2);
}
END_TEST

START_TEST(stats_hand_computed)
{
	apnas_report_stat s;
	/* 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32,
	 * sample variance 32 / 7. */
	const double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
	apnas_report_stats(v, 8, &s);
	ck_assert_uint_eq(s.n, 8);
	ck_assert_double_eq_tol(s.mean, 5.0, 1e-12);
	ck_assert_double_eq_tol(s.sd, sqrt(32.0 / 7.0), 1e-12);
	/* NaN is "not measured": left out of both. */
	const double w[] = {NAN, 0.9, 0.8, NAN};
	apnas_report_stats(w, 4, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_double_eq_tol(s.mean, 0.85, 1e-12);
	ck_assert_double_eq_tol(s.sd, sqrt(0.005), 1e-12);
	apnas_report_stats(w, 2, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_double_eq_tol(s.mean, 0.9, 1e-12);
	ck_assert(isnan(s.sd));
	apnas_report_stats(w, 1, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert(isnan(s.mean));
	/* Large values with a small spread keep their precision. */
	const double c[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
	apnas_report_stats(c, 3, &s);
	ck_assert_double_eq_tol(s.sd, 1.0, 1e-9);
}
END_TEST

START_TEST(natural_order)
{
	ck_assert_int_lt(apnas_natcmp("cost.rows=8", "cost.rows=16"), 0);
	ck_assert_int_gt(apnas_natcmp("seed-10", "seed-9"), 0);
	ck_assert_int_lt(apnas_natcmp("a", "b"), 0);
	ck_assert_int_eq(apnas_natcmp("x1y", "x1y"), 0);
	ck_assert_int_ne(apnas_natcmp("a01", "a1"), 0);
	ck_assert_int_lt(apnas_natcmp("ab", "abc"), 0);
}
END_TEST

START_TEST(vary_parse)
{
	apnas_vary v;
	apnas_error e;
	ck_assert_int_eq(apnas_vary_parse("cost.rows=8, 16,32", &v, &e), 0);
	ck_assert_str_eq(v.key, "cost.rows");
	ck_assert_uint_eq(v.n, 3);
	ck_assert_str_eq(v.values[1], "16");
	apnas_vary_free(&v);
	/* Commas inside lists and strings do not split. */
	ck_assert_int_eq(apnas_vary_parse("space.ops=[0, 1],[2,3],\"a,b\"", &v,
	                                  &e), 0);
	ck_assert_uint_eq(v.n, 3);
	ck_assert_str_eq(v.values[0], "[0, 1]");
	ck_assert_str_eq(v.values[1], "[2,3]");
	ck_assert_str_eq(v.values[2], "\"a,b\"");
	apnas_vary_free(&v);

	static const struct {
		const char *arg, *what;
	} bad[] = {
		{"cost.rows", "expected group.key"},
		{"rows=8", "expected group.key"},
		{"Cost.rows=8", "expected group.key"},
		{"a.b.c=1", "expected group.key"},
		{"cost.rows=8,,16", "empty"},
		{"cost.rows=", "empty"},
		{"cost.rows=8,8", "twice"},
		{"run.seed=1,2", "--seeds"},
		{"space.ops=[0,1", "unbalanced"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = apnas_vary_parse(bad[i].arg, &v, &e);
		ck_assert_msg(rc == APNAS_EINVAL, "%s accepted", bad[i].arg);
		ck_assert_msg(strstr(e.msg, bad[i].what), "%s: %s",
		              bad[i].arg, e.msg);
	}
}
END_TEST

static void vary_of(apnas_vary *v, const char *arg)
{
	apnas_error e;
	ck_assert_msg(apnas_vary_parse(arg, v, &e) == 0, "%s", e.msg);
}

START_TEST(grid_expansion)
{
	apnas_vary v[2];
	vary_of(&v[0], "reward.plugin=mnas,accuracy");
	vary_of(&v[1], "cost.rows=8,16,32");
	apnas_grid g;
	apnas_error e;
	ck_assert_int_eq(apnas_grid_expand(v, 2, 2, &g, &e), 0);
	ck_assert_uint_eq(g.n, 6);
	/* The last --vary changes fastest. */
	static const char *const want[6][2] = {
		{"reward.plugin=mnas", "cost.rows=8"},
		{"reward.plugin=mnas", "cost.rows=16"},
		{"reward.plugin=mnas", "cost.rows=32"},
		{"reward.plugin=accuracy", "cost.rows=8"},
		{"reward.plugin=accuracy", "cost.rows=16"},
		{"reward.plugin=accuracy", "cost.rows=32"},
	};
	for (size_t i = 0; i < 6; i++) {
		ck_assert_uint_eq(g.pts[i].nsets, 2);
		ck_assert_str_eq(g.pts[i].sets[0], want[i][0]);
		ck_assert_str_eq(g.pts[i].sets[1], want[i][1]);
	}
	ck_assert_str_eq(g.pts[4].name, "reward.plugin=accuracy,cost.rows=16");
	apnas_grid_free(&g);

	/* Varying the same key twice is refused; so is a huge grid. */
	apnas_vary twice[2] = {v[1], v[1]};
	ck_assert_int_eq(apnas_grid_expand(twice, 2, 1, &g, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "twice"));
	ck_assert_int_eq(apnas_grid_expand(v, 2, APNAS_GRID_MAX_RUNS, &g, &e),
	                 APNAS_EINVAL);
	/* No --vary: one point. */
	ck_assert_int_eq(apnas_grid_expand(NULL, 0, 3, &g, &e), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.pts[0].name, "base");
	apnas_grid_free(&g);
	apnas_vary_free(&v[0]);
	apnas_vary_free(&v[1]);
}
END_TEST

static int name_safe(const char *s)
{
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		            "0123456789._+-=,~", *s))
			return 0;
	return 1;
}

START_TEST(run_names)
{
	const char *a[] = {"reward.plugin=\"mnas\"", "cost.rows=16"};
	char *n = apnas_grid_name(a, 2);
	ck_assert_str_eq(n, "reward.plugin=mnas,cost.rows=16");
	free(n);
	const char *b[] = {"space.ops=[0, 1]", "data.path=\"/a b/c\""};
	n = apnas_grid_name(b, 2);
	ck_assert_str_eq(n, "space.ops=0_1,data.path=a_b_c");
	free(n);
	const char *c[] = {"reward.target=0.5", "cost.dataflow=\"\""};
	n = apnas_grid_name(c, 2);
	ck_assert_str_eq(n, "reward.target=0.5,cost.dataflow=_");
	free(n);
	/* Long names are cut with a hash that tells them apart. */
	char big1[400], big2[400];
	snprintf(big1, sizeof big1, "data.path=%0300d", 1);
	snprintf(big2, sizeof big2, "data.path=%0300d", 2);
	const char *l1[] = {big1}, *l2[] = {big2};
	char *n1 = apnas_grid_name(l1, 1), *n2 = apnas_grid_name(l2, 1);
	ck_assert_uint_le(strlen(n1), 200);
	ck_assert_str_ne(n1, n2);
	ck_assert(name_safe(n1));
	free(n1);
	free(n2);

	/* Values that sanitise alike get distinct names, stable across
	 * calls (a resumed grid must find its directories again). */
	apnas_vary v;
	vary_of(&v, "data.path=\"a/b\",\"a b\",a_b");
	apnas_grid g1, g2;
	apnas_error e;
	ck_assert_int_eq(apnas_grid_expand(&v, 1, 1, &g1, &e), 0);
	ck_assert_int_eq(apnas_grid_expand(&v, 1, 1, &g2, &e), 0);
	for (size_t i = 0; i < 3; i++) {
		ck_assert(name_safe(g1.pts[i].name));
		ck_assert_str_eq(g1.pts[i].name, g2.pts[i].name);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(g1.pts[i].name, g1.pts[j].name);
	}
	apnas_grid_free(&g1);
	apnas_grid_free(&g2);
	apnas_vary_free(&v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report_units");
	TCase *t = tcase_create("units");
	tcase_add_test(t, json_values);
	tcase_add_test(t, json_errors);
	tcase_add_test(t, csv_records);
	tcase_add_test(t, stats_hand_computed);
	tcase_add_test(t, natural_order);
	tcase_add_test(t, vary_parse);
	tcase_add_test(t, grid_expansion);
	tcase_add_test(t, run_names);
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
