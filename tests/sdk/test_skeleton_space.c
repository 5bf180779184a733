/* skeleton_space: the decision layout, text round trip, parse errors with
 * their line, child network shapes and the toy score's promises. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/rng.h>

#include "skel_harness.h"

#define MAXD 64

static const apnas_space_ops *ops(const skel *p)
{
	return p->desc->ops;
}

static size_t decisions(const skel *p, const apnas_decision **d)
{
	size_t n = 0;
	apnas_error err;
	ck_assert_int_eq(ops(p)->decisions(p->self, d, &n, &err), 0);
	ck_assert_uint_le(n, MAXD);
	return n;
}

/* A random valid architecture for the space's own decision list. */
static void random_tok(const apnas_decision *d, size_t n, apnas_rng *r,
                       int32_t *tok)
{
	for (size_t i = 0; i < n; i++)
		tok[i] = (int32_t)apnas_rng_below(r, (uint64_t)d[i].n_choices);
}

static char *format_ok(const skel *p, const int32_t *tok)
{
	char *text = NULL;
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(ops(p)->format(p->self, tok, &text, &err) == 0,
	              "format: %s", err.msg);
	ck_assert_ptr_nonnull(text);
	return text;
}

START_TEST(decision_layout)
{
	static const char *layers[] = {"layers=1", "layers=3", "layers=5"};
	skel p;
	skel_open_ok(&p, APNAS_KIND_SPACE, &layers[_i], 1, NULL);
	int32_t L = 1 + 2 * _i;
	const apnas_decision *d;
	size_t n = decisions(&p, &d);
	/* One op decision per layer and one skip bit per earlier layer. */
	ck_assert_uint_eq(n, (size_t)(L + L * (L - 1) / 2));
	int seen_skip[8][8] = {{0}};
	int ops_of[8] = {0};
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_ge(d[i].layer, 0);
		ck_assert_int_lt(d[i].layer, L);
		if (i > 0)
			ck_assert_int_ge(d[i].layer, d[i - 1].layer);
		if (d[i].kind == APNAS_DECISION_OP) {
			ck_assert_int_ge(d[i].n_choices, 2);
			ck_assert_int_eq(d[i].skip_from, -1);
			ops_of[d[i].layer]++;
		} else {
			ck_assert_int_eq(d[i].kind, APNAS_DECISION_SKIP);
			ck_assert_int_eq(d[i].n_choices, 2);
			ck_assert_int_ge(d[i].skip_from, 0);
			ck_assert_int_lt(d[i].skip_from, d[i].layer);
			seen_skip[d[i].layer][d[i].skip_from]++;
		}
	}
	for (int32_t l = 0; l < L; l++) {
		ck_assert_int_eq(ops_of[l], 1);
		for (int32_t j = 0; j < l; j++)
			ck_assert_int_eq(seen_skip[l][j], 1);
	}
	skel_close(&p);
}
END_TEST

START_TEST(format_parse_round_trip)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_SPACE, SKEL_SET("layers=5"), NULL);
	const apnas_decision *d;
	size_t n = decisions(&p, &d);
	apnas_rng r;
	apnas_rng_seed(&r, 42);
	for (int k = 0; k < 200; k++) {
		int32_t tok[MAXD], back[MAXD];
		random_tok(d, n, &r, tok);
		char *text = format_ok(&p, tok);
		int lines = 0;
		for (const char *c = text; *c; c++)
			lines += *c == '\n';
		ck_assert_int_eq(lines, 5);
		apnas_error err;
		apnas_error_clear(&err);
		ck_assert_msg(ops(&p)->parse(p.self, text, back, &err) == 0,
		              "parse of its own format failed: %s\n%s", err.msg,
		              text);
		ck_assert_mem_eq(tok, back, n * sizeof *tok);
		free(text);
	}
	skel_close(&p);
}
END_TEST

/* Hand-written text with blank lines and extra blanks reads like the
 * canonical form. */
START_TEST(parse_tolerates_blanks)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_SPACE, SKEL_NONE, NULL);
	const char *canon = "0 conv3x3\n1 conv5x5 skip 0\n2 maxpool3x3 skip 0 1\n";
	const char *loose = "\n0  conv3x3\n\n1\tconv5x5 skip 0  \r\n"
	                    "2 maxpool3x3 skip 1 0";
	int32_t tok[MAXD];
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(ops(&p)->parse(p.self, loose, tok, &err) == 0, "%s",
	              err.msg);
	char *text = format_ok(&p, tok);
	ck_assert_str_eq(text, canon);
	free(text);
	skel_close(&p);
}
END_TEST

static const struct bad_text {
	const char *text;
	int line;
	const char *word;
} bad_texts[] = {
	{"0 conv3x3\n1 conv7x7\n2 conv3x3\n", 2, "conv7x7"},
	{"0 conv3x3\n1 conv3x3 skip 1\n2 conv3x3\n", 2, "skip"},
	{"0 conv3x3\n1 conv3x3\n2 conv3x3 skip 0 0\n", 3, "twice"},
	{"0 conv3x3\n1 conv3x3\n2 conv3x3 skip\n", 3, "skip"},
	{"0 conv3x3\n1 conv3x3 jump 0\n2 conv3x3\n", 2, "jump"},
	{"0 conv3x3\n2 conv3x3\n1 conv3x3\n", 2, "layer 1"},
	{"0 conv3x3\n1 conv3x3\n", 3, "expected 3"},
	{"0 conv3x3\n1 conv3x3\n2 conv3x3\n3 conv3x3\n", 4, "layers"},
	{"0\n1 conv3x3\n2 conv3x3\n", 1, "operation"},
	{"", 1, "expected 3"},
};

/* Each refusal names the problem and its line, and leaves tok alone. */
START_TEST(parse_refusals)
{
	const struct bad_text *b = &bad_texts[_i];
	skel p;
	skel_open_ok(&p, APNAS_KIND_SPACE, SKEL_NONE, NULL);
	int32_t tok[MAXD];
	for (int i = 0; i < MAXD; i++)
		tok[i] = -7;
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(ops(&p)->parse(p.self, b->text, tok, &err) < 0,
	              "accepted:\n%s", b->text);
	skel_assert_error(&err, b->word);
	ck_assert_int_eq(err.line, b->line);
	for (int i = 0; i < MAXD; i++)
		ck_assert_int_eq(tok[i], -7);
	skel_close(&p);
}
END_TEST

START_TEST(named_references)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_SPACE, SKEL_NONE, NULL);
	ck_assert_ptr_nonnull(ops(&p)->named);
	int32_t tok[MAXD];
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_int_eq(ops(&p)->named(p.self, "all-conv3x3", tok, &err), 0);
	char *text = format_ok(&p, tok);
	ck_assert_str_eq(text, "0 conv3x3\n1 conv3x3\n2 conv3x3\n");
	free(text);
	ck_assert_int_lt(ops(&p)->named(p.self, "all-conv7x7", tok, &err), 0);
	skel_assert_error(&err, "all-conv3x3");
	skel_close(&p);
}
END_TEST

/* Out-of-range tokens are refused by every op that takes tokens. */
START_TEST(bad_tokens_refused)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_SPACE, SKEL_NONE, NULL);
	const apnas_decision *d;
	size_t n = decisions(&p, &d);
	int32_t tok[MAXD] = {0};
	size_t at = (size_t)_i % n;
	tok[at] = _i < (int)n ? d[at].n_choices : -1;
	apnas_error err;
	apnas_error_clear(&err);
	char *text = NULL;
	ck_assert_int_lt(ops(&p)->format(p.self, tok, &text, &err), 0);
	ck_assert_ptr_null(text);
	skel_assert_error(&err, "token");
	apnas_net net;
	apnas_net_init(&net);
	apnas_error_clear(&err);
	ck_assert_int_lt(ops(&p)->child_net(p.self, tok, &net, &err), 0);
	skel_assert_error(&err, "token");
	apnas_net_free(&net);
	double acc = -1;
	apnas_error_clear(&err);
	ck_assert_int_lt(ops(&p)->score(p.self, tok, &acc, &err), 0);
	skel_assert_error(&err, "token");
	skel_close(&p);
}
END_TEST

static void child_net_ok(const skel *p, const int32_t *tok, apnas_net *net)
{
	apnas_error err;
	apnas_error_clear(&err);
	apnas_net_init(net);
	ck_assert_msg(ops(p)->child_net(p->self, tok, net, &err) == 0, "%s",
	              err.msg);
	ck_assert_uint_ge(net->n, 3);
}

/* The net is a chain: each layer reads what the one before produced, it
 * starts at the input image and ends in `classes` outputs, every searched
 * layer is there, and each layer with skips has one add over them. */
START_TEST(child_net_shapes)
{
	apnas_data_info data = {.c = 1, .h = 28, .w = 28, .classes = 7,
	                        .train_n = 100, .val_n = 10};
	apnas_plugin_ctx ctx = {.seed = 1, .threads = 1, .data = &data};
	skel p;
	skel_open_ok(&p, APNAS_KIND_SPACE,
	             SKEL_SET("layers=4", "channels=12"), &ctx);
	const apnas_decision *d;
	size_t n = decisions(&p, &d);
	apnas_rng r;
	apnas_rng_seed(&r, 9);
	for (int k = 0; k < 50; k++) {
		int32_t tok[MAXD];
		random_tok(d, n, &r, tok);
		int skips[8] = {0};
		for (size_t i = 0; i < n; i++)
			if (d[i].kind == APNAS_DECISION_SKIP)
				skips[d[i].layer] += tok[i];
		int want_adds = 0;
		for (int l = 0; l < 4; l++)
			want_adds += skips[l] > 0;
		apnas_net net;
		child_net_ok(&p, tok, &net);
		ck_assert_int_eq(net.layers[0].in.c, 1);
		ck_assert_int_eq(net.layers[0].in.h, 28);
		ck_assert_int_eq(net.layers[0].in.w, 28);
		ck_assert_int_eq(net.layers[0].out.c, 12);
		const apnas_layer *last = &net.layers[net.n - 1];
		ck_assert_int_eq(last->type, APNAS_LAYER_FC);
		ck_assert_int_eq(last->out.c, 7);
		int body = 0, adds = 0;
		for (size_t i = 0; i < net.n; i++) {
			const apnas_layer *l = &net.layers[i];
			if (i > 0) {
				const apnas_shape *prev = &net.layers[i - 1].out;
				ck_assert_int_eq(l->in.c, prev->c);
				ck_assert_int_eq(l->in.h, prev->h);
				ck_assert_int_eq(l->in.w, prev->w);
			}
			for (size_t j = 0; j < i; j++)
				ck_assert_str_ne(l->name, net.layers[j].name);
			if (l->type == APNAS_LAYER_ADD) {
				/* the layer's own output plus its skips */
				ck_assert_int_ge(l->n_inputs, 2);
				adds++;
			} else if (l->type == APNAS_LAYER_CONV ||
			           l->type == APNAS_LAYER_MAXPOOL) {
				body++;
			}
		}
		ck_assert_int_eq(body, 1 + 4); /* stem + searched layers */
		ck_assert_int_eq(adds, want_adds);
		apnas_net_free(&net);
	}
	skel_close(&p);
}
END_TEST

/* Without data the net is still complete (cost estimates need no data). */
START_TEST(child_net_without_data)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_SPACE, SKEL_NONE, NULL);
	int32_t tok[MAXD] = {0};
	apnas_net net;
	child_net_ok(&p, tok, &net);
	ck_assert_int_ge(net.layers[0].in.c, 1);
	ck_assert_int_ge(net.layers[0].in.h, 1);
	ck_assert_int_eq(net.layers[net.n - 1].type, APNAS_LAYER_FC);
	ck_assert_uint_gt(apnas_net_macs(&net), 0);
	apnas_net_free(&net);
	skel_close(&p);
}
END_TEST

static double score_ok(const skel *p, const int32_t *tok)
{
	double acc = -1;
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(ops(p)->score(p->self, tok, &acc, &err) == 0, "%s",
	              err.msg);
	ck_assert_double_ge(acc, 0.0);
	ck_assert_double_le(acc, 1.0);
	return acc;
}

/* The score is a pure function of the architecture, and it keeps the
 * promises the plugin's header makes: switching a skip on, or moving
 * from pooling to conv3x3 to conv5x5, raises it. */
START_TEST(score_promises)
{
	skel a, b;
	skel_open_ok(&a, APNAS_KIND_SPACE, SKEL_SET("layers=4"), NULL);
	apnas_plugin_ctx ctx = {.seed = 99, .threads = 2};
	skel_open_ok(&b, APNAS_KIND_SPACE, SKEL_SET("layers=4"), &ctx);
	const apnas_decision *d;
	size_t n = decisions(&a, &d);
	int32_t conv3 = -1, conv5 = -1, pool = -1, tmp[MAXD];
	apnas_error err;
	ck_assert_int_eq(ops(&a)->named(a.self, "all-conv3x3", tmp, &err), 0);
	conv3 = tmp[0];
	ck_assert_int_eq(ops(&a)->named(a.self, "all-conv5x5", tmp, &err), 0);
	conv5 = tmp[0];
	ck_assert_int_eq(ops(&a)->named(a.self, "all-maxpool3x3", tmp, &err),
	                 0);
	pool = tmp[0];
	apnas_rng r;
	apnas_rng_seed(&r, 5);
	for (int k = 0; k < 100; k++) {
		int32_t tok[MAXD];
		random_tok(d, n, &r, tok);
		double s = score_ok(&a, tok);
		ck_assert_double_eq(s, score_ok(&a, tok));
		ck_assert_double_eq(s, score_ok(&b, tok));
		size_t i = (size_t)apnas_rng_below(&r, n);
		int32_t t2[MAXD];
		memcpy(t2, tok, sizeof t2);
		if (d[i].kind == APNAS_DECISION_SKIP) {
			t2[i] = 1 - tok[i];
			double s2 = score_ok(&a, t2);
			if (tok[i])
				ck_assert_double_lt(s2, s);
			else
				ck_assert_double_gt(s2, s);
		} else {
			t2[i] = pool;
			double sp = score_ok(&a, t2);
			t2[i] = conv3;
			double s3 = score_ok(&a, t2);
			t2[i] = conv5;
			double s5 = score_ok(&a, t2);
			ck_assert_double_lt(sp, s3);
			ck_assert_double_lt(s3, s5);
		}
	}
	skel_close(&a);
	skel_close(&b);
}
END_TEST

START_TEST(bad_options_and_data)
{
	skel p;
	apnas_error err;
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_SPACE, SKEL_SET("layers=0"),
	                           NULL, &err), 0);
	skel_assert_error(&err, "layers");
	skel_close(&p);
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_SPACE, SKEL_SET("layers=99"),
	                           NULL, &err), 0);
	skel_assert_error(&err, "layers");
	skel_close(&p);
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_SPACE,
	                           SKEL_SET("channels=\"many\""), NULL, &err),
	                 0);
	skel_assert_error(&err, "channels");
	skel_close(&p);
	apnas_data_info one_class = {.c = 3, .h = 8, .w = 8, .classes = 1};
	apnas_plugin_ctx ctx = {.seed = 1, .threads = 1, .data = &one_class};
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_SPACE, SKEL_NONE, &ctx,
	                           &err), 0);
	skel_assert_error(&err, "classes");
	ck_assert_ptr_null(p.self);
	skel_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("skeleton space");
	TCase *tc = tcase_create("space");
	tcase_add_loop_test(tc, decision_layout, 0, 3);
	tcase_add_test(tc, format_parse_round_trip);
	tcase_add_test(tc, parse_tolerates_blanks);
	tcase_add_loop_test(tc, parse_refusals, 0,
	                    sizeof bad_texts / sizeof bad_texts[0]);
	tcase_add_test(tc, named_references);
	tcase_add_loop_test(tc, bad_tokens_refused, 0, 12);
	tcase_add_test(tc, child_net_shapes);
	tcase_add_test(tc, child_net_without_data);
	tcase_add_test(tc, score_promises);
	tcase_add_test(tc, bad_options_and_data);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
