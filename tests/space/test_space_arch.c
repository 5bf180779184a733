/* enas_macro's decisions and architecture text, and architecture files:
 * the decision layout a controller relies on, exact round trips of every
 * architecture, ENAS's flat token lists, named references, and refusals
 * of malformed text and files that say what and where. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archfile.h"
#include "space_harness.h"

static const char *const default_set[] = {NULL};

START_TEST(decision_count_and_layout)
{
	static const int Ls[] = {1, 2, 3, 5, 8, 12};
	for (size_t i = 0; i < sizeof Ls / sizeof *Ls; i++) {
		for (int skips = 0; skips <= 1; skips++) {
			char l[32], sk[32];
			snprintf(l, sizeof l, "layers=%d", Ls[i]);
			snprintf(sk, sizeof sk, "skips=%s",
			         skips ? "true" : "false");
			const char *set[] = {l, sk, NULL};
			sp s;
			sp_open(&s, "enas_macro", set, NULL, 1, 1);
			size_t L = (size_t)Ls[i];
			size_t want = L + (skips ? L * (L - 1) / 2 : 0);
			ck_assert_uint_eq(s.nd, want);
			/* per layer: [op, skip from 0 .. l-1] */
			size_t k = 0;
			for (int32_t layer = 0; layer < Ls[i]; layer++) {
				ck_assert_int_eq(s.dec[k].kind,
				                 APNAS_DECISION_OP);
				ck_assert_int_eq(s.dec[k].n_choices, 6);
				ck_assert_int_eq(s.dec[k].layer, layer);
				k++;
				for (int32_t j = 0; skips && j < layer; j++) {
					ck_assert_int_eq(s.dec[k].kind,
					                 APNAS_DECISION_SKIP);
					ck_assert_int_eq(s.dec[k].n_choices, 2);
					ck_assert_int_eq(s.dec[k].layer, layer);
					ck_assert_int_eq(s.dec[k].skip_from, j);
					k++;
				}
			}
			sp_close(&s);
		}
	}
}
END_TEST

static void roundtrip_many(const char *const *set, int n)
{
	sp s;
	sp_open(&s, "enas_macro", set, NULL, 1, 1);
	int32_t *tok = calloc(s.nd, sizeof *tok);
	int32_t *back = calloc(s.nd, sizeof *back);
	uint64_t st = 0x9e3779b97f4a7c15ull;
	apnas_error e;
	for (int i = 0; i < n; i++) {
		sp_random_tok(&s, &st, tok);
		if (i == 0)
			memset(tok, 0, s.nd * sizeof *tok);
		char *text = NULL, *again = NULL;
		ck_assert_msg(s.ops->format(s.self, tok, &text, &e) == 0, "%s",
		              e.msg);
		memset(back, 0xff, s.nd * sizeof *back);
		ck_assert_msg(s.ops->parse(s.self, text, back, &e) == 0,
		              "parse of its own text failed: %s\n%s", e.msg,
		              text);
		ck_assert_msg(!memcmp(tok, back, s.nd * sizeof *tok),
		              "tokens changed through\n%s", text);
		ck_assert_int_eq(s.ops->format(s.self, back, &again, &e), 0);
		ck_assert_str_eq(text, again);
		free(text);
		free(again);
	}
	free(tok);
	free(back);
	sp_close(&s);
}

START_TEST(every_architecture_round_trips)
{
	roundtrip_many(default_set, 2000);
	const char *noskip[] = {"layers=5", "skips=false", NULL};
	roundtrip_many(noskip, 300);
	const char *subset[] = {"layers=12", "ops=[\"maxpool3x3\", \"sep5x5\"]",
	                        NULL};
	roundtrip_many(subset, 500);
}
END_TEST

START_TEST(line_format_reads_as_documented)
{
	sp s;
	const char *set[] = {"layers=4", NULL};
	sp_open(&s, "enas_macro", set, NULL, 1, 1);
	apnas_error e;
	int32_t tok[10];
	const char *text = "# a comment\n"
	                   "layer 0: conv3x3\n"
	                   "layer 1: sep5x5 skip -\n"
	                   "\n"
	                   "layer 2: maxpool3x3 skip 0   # trailing note\n"
	                   "layer 3: conv5x5 skip 1 0\n";
	ck_assert_msg(s.ops->parse(s.self, text, tok, &e) == 0, "%s", e.msg);
	/* ops in the default order: conv3x3 sep3x3 conv5x5 sep5x5 avg max */
	const int32_t want[10] = {0, 3, 0, 5, 1, 0, 2, 1, 1, 0};
	ck_assert_mem_eq(tok, want, sizeof want);
	/* a missing skip field means no skips */
	const char *bare = "layer 0: conv3x3\nlayer 1: conv3x3\n"
	                   "layer 2: conv3x3\nlayer 3: avgpool3x3\n";
	ck_assert_msg(s.ops->parse(s.self, bare, tok, &e) == 0, "%s", e.msg);
	const int32_t want2[10] = {0, 0, 0, 0, 0, 0, 4, 0, 0, 0};
	ck_assert_mem_eq(tok, want2, sizeof want2);
	sp_close(&s);
}
END_TEST

START_TEST(enas_flat_list_is_accepted)
{
	sp s;
	sp_open(&s, "enas_macro", default_set, NULL, 1, 1);
	int32_t *tok = calloc(s.nd, sizeof *tok);
	int32_t *back = calloc(s.nd, sizeof *back);
	uint64_t st = 12345;
	apnas_error e;
	for (int i = 0; i < 50; i++) {
		sp_random_tok(&s, &st, tok);
		/* as ENAS prints an arc: numpy style, wrapped, maybe commas */
		char text[4096] = "[";
		for (size_t k = 0; k < s.nd; k++) {
			size_t u = strlen(text);
			snprintf(text + u, sizeof text - u, "%d%s%s", tok[k],
			         (i % 2) ? "," : "", (k % 7 == 6) ? "\n " : " ");
		}
		strcat(text, "]\n");
		ck_assert_msg(s.ops->parse(s.self, text, back, &e) == 0,
		              "%s\n%s", e.msg, text);
		ck_assert_mem_eq(tok, back, s.nd * sizeof *tok);
	}
	/* one token short */
	char shortl[4096] = "";
	for (size_t k = 0; k + 1 < s.nd; k++)
		strcat(shortl, "0 ");
	ck_assert_int_eq(s.ops->parse(s.self, shortl, back, &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "wrong count"));
	/* an op number beyond the op list */
	ck_assert_int_eq(s.ops->parse(s.self, "6 0\n", back, &e),
	                 APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "expected 0..5"));
	free(tok);
	free(back);
	sp_close(&s);
}
END_TEST

START_TEST(named_references)
{
	sp s;
	sp_open(&s, "enas_macro", default_set, NULL, 1, 1);
	int32_t *tok = calloc(s.nd, sizeof *tok);
	apnas_error e;
	static const char *const ops[] = {"conv3x3", "sep3x3", "conv5x5",
	                                  "sep5x5", "avgpool3x3",
	                                  "maxpool3x3"};
	for (int o = 0; o < 6; o++) {
		char name[64];
		snprintf(name, sizeof name, "all-%s", ops[o]);
		ck_assert_msg(s.ops->named(s.self, name, tok, &e) == 0, "%s",
		              e.msg);
		for (size_t k = 0; k < s.nd; k++)
			ck_assert_int_eq(tok[k], s.dec[k].kind ==
			                 APNAS_DECISION_OP ? o : 0);
	}
	ck_assert_int_eq(s.ops->named(s.self, "all-conv7x7", tok, &e),
	                 APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "all-maxpool3x3"));
	free(tok);
	sp_close(&s);

	/* all-conv3x3 is only named where conv3x3 is an op */
	const char *sub[] = {"ops=[\"sep3x3\", \"maxpool3x3\"]", NULL};
	sp_open(&s, "enas_macro", sub, NULL, 1, 1);
	tok = calloc(s.nd, sizeof *tok);
	ck_assert_int_eq(s.ops->named(s.self, "all-conv3x3", tok, &e),
	                 APNAS_EINVAL);
	ck_assert_int_eq(s.ops->named(s.self, "all-maxpool3x3", tok, &e), 0);
	ck_assert_int_eq(tok[0], 1);
	free(tok);
	sp_close(&s);
}
END_TEST

/* parse(text) must fail on body line `line` with a message holding
 * `what`. */
static void refused(sp *s, const char *text, int line, const char *what)
{
	int32_t tok[128];
	apnas_error e;
	apnas_error_clear(&e);
	int rc = s->ops->parse(s->self, text, tok, &e);
	ck_assert_msg(rc == APNAS_EINVAL, "accepted:\n%s", text);
	ck_assert_msg(e.line == line, "line %d, expected %d: %s", e.line, line,
	              e.msg);
	ck_assert_msg(strstr(e.msg, what), "'%s' lacks '%s'", e.msg, what);
	ck_assert_ptr_null(strchr(e.msg, '\n'));
}

START_TEST(malformed_text_refused_with_line)
{
	sp s;
	const char *set[] = {"layers=3", NULL};
	sp_open(&s, "enas_macro", set, NULL, 1, 1);
	refused(&s, "layer 0: conv3x3\nlayer 1: conv7x7 skip -\n"
	            "layer 2: conv3x3 skip -\n", 2, "unknown op 'conv7x7'");
	refused(&s, "layer 0: conv3x3\nlayer 1: conv3x3 skip -\n", 2,
	        "wrong count");
	refused(&s, "layer 0: conv3x3\nlayer 1: conv3x3\nlayer 2: conv3x3\n"
	            "layer 3: conv3x3\n", 4, "wrong count");
	refused(&s, "layer 0: conv3x3\n\nlayer 1: conv3x3 skip 1\n"
	            "layer 2: conv3x3\n", 3, "not an earlier layer");
	refused(&s, "layer 0: conv3x3\nlayer 1: conv3x3\n"
	            "layer 2: conv3x3 skip 0 5\n", 3, "not an earlier layer");
	refused(&s, "layer 0: conv3x3\nlayer 2: conv3x3\n", 2,
	        "expected layer 1");
	refused(&s, "layer 0: conv3x3\nlayer 1: conv3x3 skip 0 0\n"
	            "layer 2: conv3x3\n", 2, "twice");
	refused(&s, "layer 0: conv3x3\nlayer 1: conv3x3 jump 0\n"
	            "layer 2: conv3x3\n", 2, "expected 'skip'");
	/* the toy space's body is another space's file */
	refused(&s, "op 3\nop 1 skips 0\nop 2\n", 1, "got 'op'");
	sp_close(&s);

	const char *noskip[] = {"layers=2", "skips=false", NULL};
	sp_open(&s, "enas_macro", noskip, NULL, 1, 1);
	refused(&s, "layer 0: conv3x3\nlayer 1: conv3x3 skip 0\n", 2,
	        "skips = false");
	sp_close(&s);
}
END_TEST

START_TEST(options_refused)
{
	static const char *const bad[][2] = {
		{"channels=15", "even"},
		{"ops=[\"conv3x3\"]", "at least 2"},
		{"ops=[\"conv3x3\", \"conv3x3\"]", "twice"},
		{"ops=[\"conv3x3\", \"conv7x7\"]", "conv7x7"},
		{"reductions=[3, 1]", "increasing"},
		{"reductions=[8]", "does not exist"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *set[] = {bad[i][0], NULL};
		sp s;
		apnas_error e;
		apnas_error_clear(&e);
		ck_assert_msg(sp_try_open(&s, "enas_macro", set, NULL, 1, 1,
		                          &e) != 0, "accepted %s", bad[i][0]);
		ck_assert_msg(strstr(e.msg, bad[i][1]), "%s: '%s'", bad[i][0],
		              e.msg);
	}
}
END_TEST

/* ---- architecture files ----------------------------------------------- */

static char *write_text(const char *dir, const char *name, const char *text)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

START_TEST(archfile_round_trip)
{
	char *dir = sp_tempdir();
	const char *set[] = {"layers=6", "channels=16",
	                     "ops=[\"sep3x3\", \"conv5x5\", \"avgpool3x3\"]",
	                     NULL};
	sp s;
	sp_open(&s, "enas_macro", set, NULL, 1, 1);
	int32_t *tok = calloc(s.nd, sizeof *tok);
	int32_t *back = calloc(s.nd, sizeof *back);
	uint64_t st = 99;
	sp_random_tok(&s, &st, tok);
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/a.arch", dir), 0);
	apnas_error e;
	ck_assert_msg(apnas_archfile_write(path, "enas_macro", s.opts, s.ops,
	                                   s.self, tok, "accuracy 0.9\ncycles 1",
	                                   NULL, &e) == 0, "%s", e.msg);
	apnas_archfile a;
	ck_assert_msg(apnas_archfile_read(path, &a, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(a.space, "enas_macro");
	ck_assert_str_eq(a.settings[0], "space.plugin=enas_macro");
	/* every option that defines the network, as settings that rebuild
	 * it; the recipe's only as comments */
	const apnas_option *t = s.desc->options;
	size_t nopt = 0, nrecipe = 0;
	for (; t[nopt].key; nopt++)
		nrecipe += (t[nopt].flags & APNAS_OPT_RECIPE) != 0;
	ck_assert_uint_gt(nrecipe, 0);
	ck_assert_uint_eq(a.n_settings, nopt - nrecipe + 1);
	for (size_t i = 1; i < a.n_settings; i++)
		for (size_t k = 0; k < nopt; k++)
			if (t[k].flags & APNAS_OPT_RECIPE)
				ck_assert_msg(strncmp(a.settings[i] + 6, t[k].key,
				                      strlen(t[k].key)) ||
				              a.settings[i][6 + strlen(t[k].key)] !=
				              '=', "recipe option as a setting: %s",
				              a.settings[i]);
	const char *opts2[32];
	for (size_t i = 1; i < a.n_settings; i++)
		opts2[i - 1] = a.settings[i] + strlen("space.");
	opts2[a.n_settings - 1] = NULL;
	sp s2;
	sp_open(&s2, "enas_macro", opts2, NULL, 1, 1);
	ck_assert_uint_eq(s2.nd, s.nd);
	ck_assert_msg(s2.ops->parse(s2.self, a.body, back, &e) == 0, "%s",
	              e.msg);
	ck_assert_mem_eq(tok, back, s.nd * sizeof *tok);
	apnas_archfile_free(&a);
	free(tok);
	free(back);
	free(path);
	sp_close(&s2);
	sp_close(&s);
	sp_rmtree(dir);
	free(dir);
}
END_TEST

/* A file whose body the space refuses: the error's body line maps to the
 * file's line through body_line. */
START_TEST(archfile_body_errors_name_file_line)
{
	char *dir = sp_tempdir();
	const char *hdr = "apnas-arch 1\nspace enas_macro\n"
	                  "option layers = 3\n# found by hand\n---\n";
	char text[512];
	snprintf(text, sizeof text, "%slayer 0: conv3x3\n"
	         "layer 1: conv3x3 skip 2\nlayer 2: conv3x3\n", hdr);
	char *p = write_text(dir, "later.arch", text);
	apnas_archfile a;
	apnas_error e;
	ck_assert_msg(apnas_archfile_read(p, &a, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(a.body_line, 6);
	ck_assert_str_eq(a.settings[1], "space.layers=3");
	sp s;
	const char *set[] = {"layers=3", NULL};
	sp_open(&s, "enas_macro", set, NULL, 1, 1);
	int32_t tok[8];
	ck_assert_int_eq(s.ops->parse(s.self, a.body, tok, &e), APNAS_EINVAL);
	ck_assert_int_eq(a.body_line + e.line - 1, 7);
	ck_assert_ptr_nonnull(strstr(e.msg, "not an earlier layer"));
	apnas_archfile_free(&a);
	sp_close(&s);
	free(p);
	sp_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(malformed_archfiles_refused)
{
	char *dir = sp_tempdir();
	static const char *const bad[][3] = {
		{"layer 0: conv3x3\n", ":1:", "not an apnas architecture"},
		{"apnas-arch 2\nspace enas_macro\n---\nlayer 0: conv3x3\n",
		 ":1:", "version 2"},
		{"apnas-arch 1\noption layers = 3\n---\nx\n", ":2:",
		 "before the 'space"},
		{"apnas-arch 1\nspace enas_macro\noption layers 3\n---\nx\n",
		 ":3:", "option key = value"},
		{"apnas-arch 1\nspace enas_macro\noption layers = 3\n"
		 "option layers = 4\n---\nx\n", ":4:", "twice"},
		{"apnas-arch 1\nspace enas_macro\nlayer 0: conv3x3\n", ":3:",
		 "in the header"},
		{"apnas-arch 1\nspace enas_macro\n", ":2:", "no '---'"},
		{"apnas-arch 1\nspace enas_macro\n---\n\n", ":3:",
		 "no architecture"},
		{"apnas-arch 1\nspace Enas\n---\nx\n", ":2:", "space <name>"},
		{"", "", "empty file"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *p = write_text(dir, "bad.arch", bad[i][0]);
		apnas_archfile a;
		apnas_error e;
		apnas_error_clear(&e);
		ck_assert_msg(apnas_archfile_read(p, &a, &e) == APNAS_EINVAL,
		              "accepted:\n%s", bad[i][0]);
		char where[4200];
		snprintf(where, sizeof where, "%s%s", p, bad[i][1]);
		ck_assert_msg(strstr(e.msg, where) && strstr(e.msg, bad[i][2]),
		              "case %zu: '%s'", i, e.msg);
		free(p);
	}
	apnas_archfile a;
	apnas_error e;
	ck_assert_int_eq(apnas_archfile_read("/nonexistent/x.arch", &a, &e),
	                 APNAS_EIO);
	sp_rmtree(dir);
	free(dir);
}
END_TEST

/* Another space's file: the toy space's own file, read back, is refused
 * by enas_macro's parse on its first body line. */
START_TEST(other_space_file_refused)
{
	char *dir = sp_tempdir();
	sp toy;
	const char *tset[] = {"layers=3", NULL};
	sp_open(&toy, "toy", tset, NULL, 1, 1);
	int32_t ttok[8] = {1, 2, 1, 0, 1, 1};
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/toy.arch", dir), 0);
	apnas_error e;
	ck_assert_msg(apnas_archfile_write(path, "toy", toy.opts, toy.ops,
	                                   toy.self, ttok, NULL, NULL, &e) == 0,
	              "%s", e.msg);
	apnas_archfile a;
	ck_assert_int_eq(apnas_archfile_read(path, &a, &e), 0);
	ck_assert_str_eq(a.space, "toy");
	sp s;
	const char *set[] = {"layers=3", NULL};
	sp_open(&s, "enas_macro", set, NULL, 1, 1);
	int32_t tok[8];
	ck_assert_int_eq(s.ops->parse(s.self, a.body, tok, &e), APNAS_EINVAL);
	ck_assert_int_eq(e.line, 1);
	apnas_archfile_free(&a);
	sp_close(&s);
	sp_close(&toy);
	free(path);
	sp_rmtree(dir);
	free(dir);
}
END_TEST

/* Issue 17, item 2: `apnas cost --arch` hands the space the dataset's
 * geometry without images (train_n 0); the space then describes
 * networks at the largest documented size (64 layers of 4096 channels,
 * a supernet of about 19 GB) without making any weights: child_net works,
 * and there is nothing to save. */
START_TEST(cost_arch_builds_no_supernet)
{
	apnas_data_info geom = {.c = 1, .h = 28, .w = 28, .classes = 10};
	const char *const set[] = {"layers=64", "channels=4096", NULL};
	sp s;
	sp_open(&s, "enas_macro", set, &geom, 1, 1);
	int32_t *tok = calloc(s.nd, sizeof *tok);
	apnas_error err;
	ck_assert_int_eq(s.ops->named(s.self, "all-conv3x3", tok, &err), 0);
	apnas_net net;
	apnas_net_init(&net);
	ck_assert_msg(s.ops->child_net(s.self, tok, &net, &err) == 0, "%s",
	              err.msg);
	ck_assert_uint_ge(net.n, 64);
	ck_assert_int_eq(net.layers[0].in.h, 28);
	apnas_net_free(&net);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	apnas_error_clear(&err);
	ck_assert_int_lt(s.ops->save(s.self, f, &err), 0);
	fclose(f);
	free(buf);
	ck_assert_msg(strstr(err.msg, "without data"), "%s", err.msg);
	free(tok);
	sp_close(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("space_arch");
	TCase *tc = tcase_create("arch");
	tcase_add_test(tc, decision_count_and_layout);
	tcase_add_test(tc, every_architecture_round_trips);
	tcase_add_test(tc, line_format_reads_as_documented);
	tcase_add_test(tc, enas_flat_list_is_accepted);
	tcase_add_test(tc, named_references);
	tcase_add_test(tc, malformed_text_refused_with_line);
	tcase_add_test(tc, options_refused);
	tcase_add_test(tc, archfile_round_trip);
	tcase_add_test(tc, archfile_body_errors_name_file_line);
	tcase_add_test(tc, malformed_archfiles_refused);
	tcase_add_test(tc, other_space_file_refused);
	tcase_add_test(tc, cost_arch_builds_no_supernet);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
