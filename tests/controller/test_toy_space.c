/* The toy search space (plugins/space/toy.c) through the host: its
 * decision layout is enas_macro's, its score is the fraction of decisions
 * equal to a target fixed by target_seed, its text round-trips and its
 * parse errors name the line, and its child network is a conv chain a
 * cost model can cost. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/rng.h>

#include "ctl_harness.h"

START_TEST(layout_is_enas_macro)
{
	cth s;
	const apnas_decision *d;
	size_t n;
	const char *const set[] = {"layers=4", "ops=5"};
	cth_toy(&s, set, 2, &d, &n);
	/* [op0] [op1 s10] [op2 s20 s21] [op3 s30 s31 s32] */
	ck_assert_uint_eq(n, 4 + 6);
	size_t k = 0;
	for (int l = 0; l < 4; l++) {
		ck_assert_int_eq(d[k].kind, APNAS_DECISION_OP);
		ck_assert_int_eq(d[k].n_choices, 5);
		ck_assert_int_eq(d[k].layer, l);
		k++;
		for (int j = 0; j < l; j++, k++) {
			ck_assert_int_eq(d[k].kind, APNAS_DECISION_SKIP);
			ck_assert_int_eq(d[k].n_choices, 2);
			ck_assert_int_eq(d[k].layer, l);
			ck_assert_int_eq(d[k].skip_from, j);
		}
	}
	cth_close(&s);
	const char *const noskip[] = {"layers=7", "skips=false"};
	cth_toy(&s, noskip, 2, &d, &n);
	ck_assert_uint_eq(n, 7);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(d[i].kind, APNAS_DECISION_OP);
	cth_close(&s);
	/* the defaults are the controller tests' toy: 20 ops of 6 + bits */
	cth_toy(&s, NULL, 0, &d, &n);
	ck_assert_uint_eq(n, 20 + 190);
	ck_assert_int_eq(d[0].n_choices, 6);
	cth_close(&s);
}
END_TEST

static double score(cth *s, const int32_t *tok)
{
	double acc = -1;
	apnas_error err;
	ck_assert_msg(cth_space(s)->score(s->self, tok, &acc, &err) == 0,
	              "score: %s", err.msg);
	return acc;
}

START_TEST(score_counts_matches_with_the_target)
{
	cth s;
	const apnas_decision *d;
	size_t n;
	const char *const set[] = {"layers=6", "target_seed=42"};
	cth_toy(&s, set, 2, &d, &n);
	int32_t target[64], tok[64];
	apnas_error err;
	ck_assert_int_eq(cth_space(&s)->named(s.self, "target", target, &err),
	                 0);
	ck_assert_double_eq(score(&s, target), 1.0);
	/* change decisions one by one: the score drops by 1/n each time */
	memcpy(tok, target, n * sizeof *tok);
	for (size_t i = 0; i < 5; i++) {
		tok[i * 3] = (tok[i * 3] + 1) % d[i * 3].n_choices;
		ck_assert_double_eq_tol(score(&s, tok),
		                        (double)(n - i - 1) / (double)n, 1e-15);
	}
	ck_assert_int_eq(cth_space(&s)->named(s.self, "zeros", tok, &err), 0);
	size_t zeros = 0;
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(tok[i], 0);
		zeros += target[i] == 0;
	}
	ck_assert_double_eq_tol(score(&s, tok), (double)zeros / (double)n,
	                        1e-15);
	ck_assert_int_eq(cth_space(&s)->named(s.self, "best", tok, &err),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "target, zeros"), "%s", err.msg);
	tok[0] = 6;
	ck_assert_int_eq(cth_space(&s)->score(s.self, tok, &(double){0}, &err),
	                 APNAS_EINVAL);
	/* another target_seed, another target; the same, the same */
	cth s2, s3;
	const char *const other[] = {"layers=6", "target_seed=43"};
	cth_toy(&s2, other, 2, &d, &n);
	cth_toy(&s3, set, 2, &d, &n);
	int32_t t2[64], t3[64];
	cth_space(&s2)->named(s2.self, "target", t2, &err);
	cth_space(&s3)->named(s3.self, "target", t3, &err);
	ck_assert(memcmp(target, t2, n * sizeof *t2));
	ck_assert(!memcmp(target, t3, n * sizeof *t3));
	cth_close(&s3);
	cth_close(&s2);
	cth_close(&s);
}
END_TEST

START_TEST(text_round_trips)
{
	cth s;
	const apnas_decision *d;
	size_t n;
	const char *const set[] = {"layers=3", "ops=6"};
	cth_toy(&s, set, 2, &d, &n);
	/* [op0] [op1 s10] [op2 s20 s21] */
	const int32_t tok[] = {2, 1, 1, 4, 0, 1};
	char *text;
	apnas_error err;
	ck_assert_int_eq(cth_space(&s)->format(s.self, tok, &text, &err), 0);
	ck_assert_str_eq(text, "op 2\nop 1 skips 0\nop 4 skips 1\n");
	int32_t back[6];
	ck_assert_int_eq(cth_space(&s)->parse(s.self, text, back, &err), 0);
	ck_assert(!memcmp(tok, back, sizeof tok));
	free(text);
	/* blank lines, spaces and a missing final newline are fine */
	ck_assert_int_eq(cth_space(&s)->parse(s.self,
	                                      "\n op 5  \nop 0 skips\n\n"
	                                      "op 3 skips 0 1", back, &err),
	                 0);
	const int32_t want[] = {5, 0, 0, 3, 1, 1};
	ck_assert(!memcmp(want, back, sizeof want));
	cth_close(&s);

	/* random architectures of a bigger space */
	const char *const big[] = {"layers=9", "ops=4"};
	cth_toy(&s, big, 2, &d, &n);
	apnas_rng rng;
	apnas_rng_seed(&rng, 3);
	for (int r = 0; r < 50; r++) {
		int32_t t[64], t2[64];
		for (size_t i = 0; i < n; i++)
			t[i] = (int32_t)apnas_rng_below(&rng,
			                                (uint64_t)d[i].n_choices);
		ck_assert_int_eq(cth_space(&s)->format(s.self, t, &text, &err),
		                 0);
		ck_assert_msg(cth_space(&s)->parse(s.self, text, t2, &err) == 0,
		              "%s", err.msg);
		ck_assert(!memcmp(t, t2, n * sizeof *t));
		free(text);
	}
	cth_close(&s);
}
END_TEST

static void bad(cth *s, const char *text, int line, const char *needle)
{
	int32_t tok[64];
	apnas_error err;
	apnas_error_clear(&err);
	int rc = cth_space(s)->parse(s->self, text, tok, &err);
	ck_assert_msg(rc == APNAS_EINVAL, "\"%s\" parsed", text);
	ck_assert_msg(err.line == line, "\"%s\": line %d, expected %d", text,
	              err.line, line);
	ck_assert_msg(strstr(err.msg, needle), "\"%s\" lacks \"%s\"", err.msg,
	              needle);
}

START_TEST(parse_errors_name_the_line)
{
	cth s;
	const apnas_decision *d;
	size_t n;
	const char *const set[] = {"layers=3", "ops=6"};
	cth_toy(&s, set, 2, &d, &n);
	bad(&s, "op 1\nop 6\nop 0\n", 2, "op <0..5>");
	bad(&s, "op 1\nop 2\nconv 0\n", 3, "op <0..5>");
	bad(&s, "op 1\nop 2 skips 1\nop 0\n", 2, "earlier layers");
	bad(&s, "op 1\nop 2\nop 0 skips 1 0\n", 3, "increasing");
	bad(&s, "op 1\nop 2 pool\nop 0\n", 2, "\"skips\"");
	bad(&s, "op 1\nop 2\n", 2, "2 layer lines, expected 3");
	bad(&s, "op 1\nop 2\nop 3\nop 4\n", 4, "more than 3");
	bad(&s, "op -1\nop 2\nop 3\n", 1, "op <0..5>");
	cth_close(&s);
	const char *const noskip[] = {"layers=2", "skips=false"};
	cth_toy(&s, noskip, 2, &d, &n);
	bad(&s, "op 1\nop 2 skips 0\n", 2, "skips are off");
	cth_close(&s);
}
END_TEST

START_TEST(child_net_is_a_conv_chain)
{
	cth s;
	const apnas_decision *d;
	size_t n;
	const char *const set[] = {"layers=3"};
	cth_toy(&s, set, 1, &d, &n);
	/* ops 0, 1, 2 -> 1x1, 3x3, 5x5; layer 2 takes both skips */
	const int32_t tok[] = {0, 1, 0, 2, 1, 1};
	apnas_net net;
	apnas_net_init(&net);
	apnas_error err;
	ck_assert_msg(cth_space(&s)->child_net(s.self, tok, &net, &err) == 0,
	              "%s", err.msg);
	const char *names[] = {"stem", "l0.conv1x1", "l1.conv3x3",
	                       "l2.conv5x5", "l2.add"};
	ck_assert_uint_eq(net.n, 5);
	for (size_t i = 0; i < net.n; i++) {
		ck_assert_str_eq(net.layers[i].name, names[i]);
		ck_assert_int_eq(net.layers[i].out.c, 8);
		ck_assert_int_eq(net.layers[i].out.h, 8);
		ck_assert_int_eq(net.layers[i].out.w, 8);
	}
	ck_assert_int_eq(net.layers[0].in.c, 1);
	ck_assert_int_eq(net.layers[3].kh, 5);
	ck_assert_int_eq(net.layers[4].type, APNAS_LAYER_ADD);
	ck_assert_int_eq(net.layers[4].n_inputs, 3);
	/* MACs: 8x8 outputs x 8 channels x (1 x 9 + 8 x (1 + 9 + 25)) */
	ck_assert_uint_eq(apnas_net_macs(&net), 64 * 8 * (9 + 8 * 35));
	apnas_net_free(&net);
	cth_close(&s);
}
END_TEST

START_TEST(options_are_checked)
{
	const char *const zero[] = {"layers=0"};
	const char *const one[] = {"ops=1"};
	const char *const typo[] = {"layer=3"};
	const char *const *sets[] = {zero, one, typo};
	const char *needles[] = {"layers", "ops", "layer"};
	for (int i = 0; i < 3; i++) {
		cth s;
		apnas_error err;
		int rc = cth_open(&s, APNAS_KIND_SPACE, "toy", sets[i], 1, NULL,
		                  0, 1, &err);
		ck_assert_int_eq(rc, APNAS_EINVAL);
		ck_assert_msg(strstr(err.msg, needles[i]), "%s", err.msg);
		cth_close(&s);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("toy_space");
	TCase *tc = tcase_create("all");
	tcase_add_test(tc, layout_is_enas_macro);
	tcase_add_test(tc, score_counts_matches_with_the_target);
	tcase_add_test(tc, text_round_trips);
	tcase_add_test(tc, parse_errors_name_the_line);
	tcase_add_test(tc, child_net_is_a_conv_chain);
	tcase_add_test(tc, options_are_checked);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
