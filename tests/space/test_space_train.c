/* enas_macro's supernet on small synthetic data: the loss falls, a step
 * touches only the weights its architecture uses, evaluate changes
 * nothing, and training is reproducible across save/load. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "space_harness.h"

/* A small net on 1x12x12 images, 4 classes: fast enough for many steps. */
static const char *const small[] = {"layers=3", "channels=8", NULL};

typedef struct fixture {
	apnas_dataset *ds;
	apnas_batcher *train, *val;
	sp s;
} fixture;

static void fx_open(fixture *fx, const char *const *set, uint64_t seed,
                    int threads)
{
	fx->ds = sp_synthetic(1, 12, 4, 640);
	apnas_error e;
	ck_assert_int_eq(apnas_batcher_open(fx->ds, APNAS_SPLIT_TRAIN, 32,
	                                    &fx->train, &e), 0);
	ck_assert_int_eq(apnas_batcher_open(fx->ds, APNAS_SPLIT_VAL, 64,
	                                    &fx->val, &e), 0);
	sp_open(&fx->s, "enas_macro", set, apnas_data_get_info(fx->ds), seed,
	        threads);
}

static void fx_close(fixture *fx)
{
	sp_close(&fx->s);
	apnas_batcher_close(fx->train);
	apnas_batcher_close(fx->val);
	apnas_data_close(fx->ds);
}

static void next_batch(apnas_batcher *b, apnas_batch *out)
{
	if (!apnas_batcher_next(b, out))
		ck_assert(apnas_batcher_next(b, out));
}

static double step(fixture *fx, const int32_t *tok, int64_t i)
{
	apnas_batch b;
	next_batch(fx->train, &b);
	apnas_step_ctx sc = {i, 0, 1, 0.01 * (double)i};
	apnas_train_stats st;
	apnas_error e;
	ck_assert_msg(fx->s.ops->train_step(fx->s.self, tok, &b, &sc, &st,
	                                    &e) == 0, "%s", e.msg);
	ck_assert(isfinite(st.loss));
	ck_assert(st.correct >= 0 && st.correct <= b.n);
	return st.loss;
}

START_TEST(supernet_loss_falls)
{
	fixture fx;
	fx_open(&fx, small, 3, 1);
	int32_t *tok = calloc(fx.s.nd, sizeof *tok);
	uint64_t st = 77;
	double first = 0, last = 0;
	const int n = 150, w = 10;
	for (int i = 0; i < n; i++) {
		sp_random_tok(&fx.s, &st, tok);
		double l = step(&fx, tok, i);
		if (i < w)
			first += l / w;
		if (i >= n - w)
			last += l / w;
	}
	ck_assert_msg(last < 0.7 * first, "loss %g -> %g", first, last);
	free(tok);
	fx_close(&fx);
}
END_TEST

/* ---- reading save() blobs (the format in docs/enas-macro.md) -------- */

typedef struct tensor_rec {
	char name[64];
	const unsigned char *value, *mom; /* into the blob; mom may be NULL */
	size_t bytes;
} tensor_rec;

static uint32_t u32(const unsigned char **p)
{
	uint32_t v;
	memcpy(&v, *p, 4);
	*p += 4;
	return v;
}

static size_t parse_blob(const unsigned char *b, size_t len, size_t nd,
                         tensor_rec *out, size_t cap)
{
	const unsigned char *p = b + 8 + 8 + 8 + 32 + 8 * nd;
	ck_assert(!memcmp(p, "APNASNN1", 8));
	p += 12;
	uint32_t n = u32(&p);
	ck_assert_uint_le(n, cap);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l = u32(&p);
		ck_assert_uint_lt(l, 64);
		memcpy(out[i].name, p, l);
		out[i].name[l] = '\0';
		p += l;
		uint32_t ndim = u32(&p);
		size_t numel = 1;
		for (uint32_t d = 0; d < ndim; d++) {
			numel *= u32(&p);
		}
		uint32_t tr = u32(&p);
		out[i].bytes = numel * 4;
		out[i].value = p;
		p += numel * 4;
		out[i].mom = tr ? p : NULL;
		if (tr)
			p += numel * 4;
	}
	ck_assert(p + 8 == b + len);
	return n;
}

static int same(const tensor_rec *a, const tensor_rec *b)
{
	return !memcmp(a->value, b->value, a->bytes) &&
	       (!a->mom || !memcmp(a->mom, b->mom, a->bytes));
}

START_TEST(step_touches_only_used_weights)
{
	fixture fx;
	fx_open(&fx, small, 5, 1);
	int32_t *tok = calloc(fx.s.nd, sizeof *tok);
	apnas_error e;
	/* warm every op's momentum first, so "untouched" is not "zero" */
	uint64_t st = 5;
	for (int i = 0; i < 12; i++) {
		sp_random_tok(&fx.s, &st, tok);
		step(&fx, tok, i);
	}
	ck_assert_int_eq(fx.s.ops->named(fx.s.self, "all-conv3x3", tok, &e),
	                 0);
	size_t l0, l1;
	unsigned char *b0 = sp_save(&fx.s, &l0);
	step(&fx, tok, 12);
	unsigned char *b1 = sp_save(&fx.s, &l1);
	ck_assert_uint_eq(l0, l1);
	static tensor_rec t0[512], t1[512];
	size_t n = parse_blob(b0, l0, fx.s.nd, t0, 512);
	ck_assert_uint_eq(parse_blob(b1, l1, fx.s.nd, t1, 512), n);
	int conv3_changed = 0, stem_changed = 0, checked = 0;
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(t0[i].name, t1[i].name);
		const char *nm = t0[i].name;
		int other_op = strstr(nm, "conv5x5") || strstr(nm, "sep") ||
		               strstr(nm, "pool3x3");
		if (other_op) {
			ck_assert_msg(same(&t0[i], &t1[i]), "%s changed", nm);
			checked++;
		}
		if (strstr(nm, "conv3x3.w"))
			conv3_changed += !same(&t0[i], &t1[i]);
		if (!strcmp(nm, "stem.w"))
			stem_changed = !same(&t0[i], &t1[i]);
	}
	ck_assert_int_gt(checked, 0);
	ck_assert_int_eq(conv3_changed, 3);
	ck_assert(stem_changed);
	free(b0);
	free(b1);
	free(tok);
	fx_close(&fx);
}
END_TEST

static void evaluate_changes_nothing_with(const char *const *set)
{
	fixture fx;
	fx_open(&fx, set, 9, 2);
	int32_t *tok = calloc(fx.s.nd, sizeof *tok);
	uint64_t st = 9;
	for (int i = 0; i < 5; i++) {
		sp_random_tok(&fx.s, &st, tok);
		step(&fx, tok, i);
	}
	size_t l0, l1;
	unsigned char *b0 = sp_save(&fx.s, &l0);
	apnas_error e;
	for (int i = 0; i < 6; i++) {
		apnas_batch b;
		next_batch(fx.val, &b);
		sp_random_tok(&fx.s, &st, tok);
		int64_t correct = -1;
		ck_assert_msg(fx.s.ops->evaluate(fx.s.self, tok, &b, &correct,
		                                 &e) == 0, "%s", e.msg);
		ck_assert(correct >= 0 && correct <= b.n);
	}
	unsigned char *b1 = sp_save(&fx.s, &l1);
	ck_assert_uint_eq(l0, l1);
	ck_assert_msg(!memcmp(b0, b1, l0), "evaluate changed the state");
	free(b0);
	free(b1);
	free(tok);
	fx_close(&fx);
}

START_TEST(evaluate_changes_nothing)
{
	evaluate_changes_nothing_with(small);
	const char *running[] = {"layers=3", "channels=8", "eval_bn=running",
	                         NULL};
	evaluate_changes_nothing_with(running);
}
END_TEST

/* Same seed and threads: the same bytes; and a run saved and loaded into
 * a fresh instance continues exactly as the original. */
START_TEST(reproducible_and_resumable)
{
	fixture a, b;
	fx_open(&a, small, 11, 2);
	fx_open(&b, small, 11, 2);
	int32_t *tok = calloc(a.s.nd, sizeof *tok);
	uint64_t sa = 1, sb = 1;
	for (int i = 0; i < 4; i++) {
		sp_random_tok(&a.s, &sa, tok);
		step(&a, tok, i);
		sp_random_tok(&b.s, &sb, tok);
		step(&b, tok, i);
	}
	size_t la, lb;
	unsigned char *ba = sp_save(&a.s, &la);
	unsigned char *bb = sp_save(&b.s, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert(!memcmp(ba, bb, la));
	free(bb);

	/* c: fresh with another seed, loads a's state and a's batcher */
	fixture c;
	fx_open(&c, small, 99, 2);
	FILE *f = fmemopen(ba, la, "rb");
	apnas_error e;
	ck_assert_msg(c.s.ops->load(c.s.self, f, &e) == 0, "%s", e.msg);
	fclose(f);
	apnas_batcher_state bs;
	apnas_batcher_get_state(a.train, &bs);
	ck_assert_int_eq(apnas_batcher_set_state(c.train, &bs, &e), 0);
	for (int i = 4; i < 7; i++) {
		sp_random_tok(&a.s, &sa, tok);
		step(&a, tok, i);
		step(&c, tok, i);
	}
	free(ba);
	ba = sp_save(&a.s, &la);
	unsigned char *bc = sp_save(&c.s, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert_msg(!memcmp(ba, bc, la), "resumed run diverged");
	free(ba);
	free(bc);

	/* a truncated state is refused and leaves the instance usable */
	ba = sp_save(&a.s, &la);
	f = fmemopen(ba, la / 2, "rb");
	ck_assert_int_eq(c.s.ops->load(c.s.self, f, &e), APNAS_EINVAL);
	fclose(f);
	free(ba);
	free(tok);
	fx_close(&a);
	fx_close(&b);
	fx_close(&c);
}
END_TEST

START_TEST(bad_calls_refused)
{
	fixture fx;
	fx_open(&fx, small, 1, 1);
	int32_t *tok = calloc(fx.s.nd, sizeof *tok);
	apnas_batch b;
	next_batch(fx.train, &b);
	apnas_error e;
	tok[0] = 6;
	ck_assert_int_eq(fx.s.ops->train_step(fx.s.self, tok, &b, NULL, NULL,
	                                      &e), APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "layer 0"));
	tok[0] = 0;
	tok[2] = 2; /* layer 1's skip bit */
	int64_t c;
	ck_assert_int_eq(fx.s.ops->evaluate(fx.s.self, tok, &b, &c, &e),
	                 APNAS_EINVAL);
	free(tok);
	fx_close(&fx);

	/* an instance without data describes but does not train */
	float x[144] = {0};
	int32_t y[1] = {0};
	b = (apnas_batch){x, y, 1};
	sp s;
	sp_open(&s, "enas_macro", small, NULL, 1, 1);
	tok = calloc(s.nd, sizeof *tok);
	ck_assert_int_eq(s.ops->train_step(s.self, tok, &b, NULL, NULL, &e),
	                 APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "without data"));
	free(tok);
	sp_close(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("space_train");
	TCase *tc = tcase_create("train");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, supernet_loss_falls);
	tcase_add_test(tc, step_touches_only_used_weights);
	tcase_add_test(tc, evaluate_changes_nothing);
	tcase_add_test(tc, reproducible_and_resumable);
	tcase_add_test(tc, bad_calls_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
