/* Training behaviour users rely on: a small network overfits a fixed
 * batch; same seed and thread count give bit-identical weights after 100
 * steps; a step updates only the parameters the graph used (momentum of
 * the others untouched); SGD and the cosine schedule follow their
 * formulas; checkpoints round-trip and bad ones are refused; bad input
 * gives errors, not crashes; the arena stops growing. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/nn.h>

#include "nn_testutil.h"

static apnas_error E;

/* A small child-like network: stem, separable conv, reduction, conv, head. */
typedef struct net {
	apnas_params *ps;
	apnas_param *stem, *dw, *pw, *conv, *fc_w, *fc_b;
	apnas_bn bn0, bn1, bn2;
	int ch, classes;
} net;

static void net_init(net *m, uint64_t seed, int ch, int classes)
{
	memset(m, 0, sizeof *m);
	m->ch = ch;
	m->classes = classes;
	ck_assert_int_eq(apnas_params_create(seed, &m->ps, &E), 0);
	ck_assert_int_eq(apnas_param_conv(m->ps, "stem", ch, 1, 3, &m->stem, &E), 0);
	ck_assert_int_eq(apnas_bn_add(m->ps, "bn0", ch, 1, &m->bn0, &E), 0);
	ck_assert_int_eq(apnas_param_dwconv(m->ps, "dw", ch, 3, &m->dw, &E), 0);
	ck_assert_int_eq(apnas_param_conv(m->ps, "pw", ch, ch, 1, &m->pw, &E), 0);
	ck_assert_int_eq(apnas_bn_add(m->ps, "bn1", ch, 1, &m->bn1, &E), 0);
	ck_assert_int_eq(apnas_param_conv(m->ps, "conv", ch, ch, 3, &m->conv, &E), 0);
	ck_assert_int_eq(apnas_bn_add(m->ps, "bn2", ch, 1, &m->bn2, &E), 0);
	ck_assert_int_eq(apnas_param_fc(m->ps, "fc", classes, ch, &m->fc_w,
	                                &m->fc_b, &E), 0);
}

static void net_build(net *m, apnas_graph *g, const float *x, int n, int h,
                      const int32_t *y)
{
	apnas_graph_reset(g);
	apnas_tensor *t = apnas_op_input(g, x, n, 1, h, h);
	t = apnas_op_bn_relu(g, apnas_op_conv(g, t, m->stem, NULL, 1, 1), &m->bn0);
	t = apnas_op_dwconv(g, t, m->dw, 1, 1);
	t = apnas_op_bn_relu(g, apnas_op_conv(g, t, m->pw, NULL, 1, 0), &m->bn1);
	t = apnas_op_maxpool(g, t, 2, 2, 0);
	t = apnas_op_bn_relu(g, apnas_op_conv(g, t, m->conv, NULL, 1, 1), &m->bn2);
	t = apnas_op_fc(g, apnas_op_gap(g, t), m->fc_w, m->fc_b);
	apnas_op_xent(g, t, y);
}

static void train_step(net *m, apnas_graph *g, const float *x, int n, int h,
                       const int32_t *y, const apnas_sgd *opt, double lr)
{
	net_build(m, g, x, n, h, y);
	int rc = apnas_graph_forward(g, APNAS_MODE_TRAIN, &E);
	ck_assert_msg(rc == 0, "forward: %s", E.msg);
	rc = apnas_graph_backward(g, &E);
	ck_assert_msg(rc == 0, "backward: %s", E.msg);
	rc = apnas_sgd_step(m->ps, opt, lr, &E);
	ck_assert_msg(rc == 0, "sgd: %s", E.msg);
}

START_TEST(small_network_overfits_a_fixed_batch)
{
	const int n = 32, h = 8, classes = 4;
	apnas_rng r;
	apnas_rng_seed(&r, 21);
	float *x = rand_tensor(&r, (size_t)n * h * h, -1, 1);
	int32_t y[32];
	for (int i = 0; i < n; i++)
		y[i] = (int32_t)apnas_rng_below(&r, classes);
	net m;
	net_init(&m, 5, 16, classes);
	apnas_graph *g;
	ck_assert_int_eq(apnas_graph_create(2, &g, &E), 0);
	apnas_sgd opt = {0.9, 0, 0, 0};
	int64_t correct = 0;
	double loss0 = 0, loss = 0;
	for (int step = 0; step < 300 && correct < n; step++) {
		train_step(&m, g, x, n, h, y, &opt, 0.05);
		ck_assert_int_eq(apnas_graph_loss(g, &loss, NULL, &E), 0);
		if (step == 0)
			loss0 = loss;
		/* accuracy of the weights just reached, batch statistics */
		net_build(&m, g, x, n, h, y);
		ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_BATCHSTAT, &E), 0);
		ck_assert_int_eq(apnas_graph_loss(g, NULL, &correct, &E), 0);
	}
	ck_assert_msg(correct == n, "only %lld of %d correct after 300 steps "
	              "(loss %.3f -> %.3f)", (long long)correct, n, loss0, loss);
	apnas_graph_destroy(g);
	apnas_params_destroy(m.ps);
	free(x);
}
END_TEST

static void train_100(net *m, int threads)
{
	const int n = 16, h = 12;
	apnas_rng r;
	apnas_rng_seed(&r, 8);
	float *x = rand_tensor(&r, (size_t)n * h * h, -1, 1);
	int32_t y[16];
	for (int i = 0; i < n; i++)
		y[i] = (int32_t)apnas_rng_below(&r, 10);
	net_init(m, 99, 8, 10);
	apnas_graph *g;
	ck_assert_int_eq(apnas_graph_create(threads, &g, &E), 0);
	apnas_sgd opt = {0.9, 1, 1e-4, 0};
	apnas_cosine cos = {0.1, 0.001, 20, 2};
	for (int step = 0; step < 100; step++) {
		/* vary the batch so every step sees new values */
		for (int i = 0; i < n * h * h; i++)
			x[i] = 0.9f * x[i] + 0.1f * (apnas_rng_uniformf(&r) - 0.5f);
		train_step(m, g, x, n, h, y, &opt, apnas_cosine_lr(&cos, step / 5.0));
	}
	apnas_graph_destroy(g);
	free(x);
}

START_TEST(same_seed_and_threads_give_identical_weights)
{
	net a, b;
	train_100(&a, 2);
	train_100(&b, 2);
	size_t np = apnas_params_count(a.ps);
	ck_assert_uint_eq(np, apnas_params_count(b.ps));
	int moved = 0;
	for (size_t i = 0; i < np; i++) {
		apnas_param *pa = apnas_params_at(a.ps, i), *pb = apnas_params_at(b.ps, i);
		size_t bytes = apnas_param_numel(pa) * sizeof(float);
		ck_assert_msg(memcmp(apnas_param_value(pa), apnas_param_value(pb),
		                     bytes) == 0, "%s differs", apnas_param_name(pa));
		if (apnas_param_momentum(pa)) {
			ck_assert_mem_eq(apnas_param_momentum(pa),
			                 apnas_param_momentum(pb), bytes);
			moved |= apnas_param_momentum(pa)[0] != 0.0f;
		}
	}
	ck_assert(moved); /* the runs trained at all */
	apnas_params_destroy(a.ps);
	apnas_params_destroy(b.ps);
}
END_TEST

START_TEST(step_updates_only_the_parameters_the_graph_used)
{
	apnas_params *ps;
	apnas_param *wa, *wb, *head;
	ck_assert_int_eq(apnas_params_create(3, &ps, &E), 0);
	ck_assert_int_eq(apnas_param_conv(ps, "a", 4, 2, 3, &wa, &E), 0);
	ck_assert_int_eq(apnas_param_conv(ps, "b", 4, 2, 3, &wb, &E), 0);
	ck_assert_int_eq(apnas_param_fc(ps, "head", 3, 4, &head, NULL, &E), 0);
	apnas_rng r;
	apnas_rng_seed(&r, 4);
	float *x = rand_tensor(&r, 4 * 2 * 6 * 6, -1, 1);
	int32_t y[4] = {0, 1, 2, 1};
	apnas_graph *g;
	ck_assert_int_eq(apnas_graph_create(2, &g, &E), 0);
	apnas_sgd opt = {0.9, 0, 1e-3, 0};
	for (int step = 0; step < 3; step++) {
		/* step 0 uses both branches, later steps only branch a */
		apnas_graph_reset(g);
		apnas_tensor *in = apnas_op_input(g, x, 4, 2, 6, 6);
		apnas_tensor *t = apnas_op_conv(g, in, wa, NULL, 1, 1);
		if (step == 0) {
			apnas_tensor *two[2] = {t, apnas_op_conv(g, in, wb, NULL, 1, 1)};
			t = apnas_op_add(g, two, 2);
		}
		apnas_op_xent(g, apnas_op_fc(g, apnas_op_gap(g, t), head, NULL), y);
		ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_TRAIN, &E), 0);
		ck_assert_int_eq(apnas_graph_backward(g, &E), 0);
		ck_assert(apnas_param_used(wa) && apnas_param_used(head));
		ck_assert_int_eq(apnas_param_used(wb), step == 0);
		size_t nb = apnas_param_numel(wb) * sizeof(float);
		float *vb = malloc(nb), *mb = malloc(nb), *va = malloc(nb);
		memcpy(vb, apnas_param_value(wb), nb);
		memcpy(mb, apnas_param_momentum(wb), nb);
		memcpy(va, apnas_param_value(wa), nb);
		ck_assert_int_eq(apnas_sgd_step(ps, &opt, 0.1, &E), 0);
		ck_assert(!apnas_param_used(wa) && !apnas_param_used(wb));
		ck_assert(memcmp(va, apnas_param_value(wa), nb) != 0);
		if (step > 0) {
			ck_assert_mem_eq(vb, apnas_param_value(wb), nb);
			ck_assert_mem_eq(mb, apnas_param_momentum(wb), nb);
		} else {
			ck_assert(memcmp(vb, apnas_param_value(wb), nb) != 0);
		}
		free(vb);
		free(mb);
		free(va);
	}
	apnas_graph_destroy(g);
	apnas_params_destroy(ps);
	free(x);
}
END_TEST

/* Two SGD steps on an FC layer checked against the PyTorch formulas,
 * written out here: g = grad + wd w (weights only); m = mu m + g;
 * w -= lr (nesterov ? g + mu m : m). */
START_TEST(sgd_follows_the_momentum_and_decay_formulas)
{
	const int nesterov = _i;
	const double mu = 0.9, wd = 0.05, lr = 0.1;
	apnas_params *ps;
	apnas_param *w, *b;
	ck_assert_int_eq(apnas_params_create(1, &ps, &E), 0);
	ck_assert_int_eq(apnas_param_fc(ps, "fc", 3, 4, &w, &b, &E), 0);
	float x[8] = {0.5f, -1, 2, 0.25f, -0.5f, 1, 0, 1.5f};
	int32_t y[2] = {2, 0};
	apnas_graph *g;
	ck_assert_int_eq(apnas_graph_create(1, &g, &E), 0);
	apnas_sgd opt = {mu, nesterov, wd, 0};
	double mw[12] = {0}, mb[3] = {0};
	for (int step = 0; step < 2; step++) {
		apnas_graph_reset(g);
		apnas_op_xent(g, apnas_op_fc(g, apnas_op_input(g, x, 2, 4, 1, 1), w, b),
		              y);
		ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_TRAIN, &E), 0);
		ck_assert_int_eq(apnas_graph_backward(g, &E), 0);
		double ew[12], eb[3];
		for (int i = 0; i < 12; i++) {
			double wv = apnas_param_value(w)[i];
			double gv = apnas_param_grad(w)[i] + wd * wv;
			mw[i] = mu * mw[i] + gv;
			ew[i] = wv - lr * (nesterov ? gv + mu * mw[i] : mw[i]);
		}
		for (int i = 0; i < 3; i++) {
			double gv = apnas_param_grad(b)[i]; /* biases: no decay */
			mb[i] = mu * mb[i] + gv;
			eb[i] = apnas_param_value(b)[i] -
			        lr * (nesterov ? gv + mu * mb[i] : mb[i]);
		}
		ck_assert_int_eq(apnas_sgd_step(ps, &opt, lr, &E), 0);
		for (int i = 0; i < 12; i++) {
			ck_assert_double_eq_tol(apnas_param_value(w)[i], ew[i], 1e-6);
			ck_assert_double_eq_tol(apnas_param_momentum(w)[i], mw[i], 1e-6);
		}
		for (int i = 0; i < 3; i++)
			ck_assert_double_eq_tol(apnas_param_value(b)[i], eb[i], 1e-6);
	}
	apnas_graph_destroy(g);
	apnas_params_destroy(ps);
}
END_TEST

START_TEST(cosine_schedule_restarts_warm)
{
	apnas_cosine c = {0.05, 0.001, 10, 2};
	double mid = (0.05 + 0.001) / 2;
	ck_assert_double_eq_tol(apnas_cosine_lr(&c, 0), 0.05, 1e-12);
	ck_assert_double_eq_tol(apnas_cosine_lr(&c, 5), mid, 1e-12);
	ck_assert(apnas_cosine_lr(&c, 9.99) < 0.0011);
	ck_assert_double_eq_tol(apnas_cosine_lr(&c, 10), 0.05, 1e-12);
	/* second period is 20 epochs long: its middle is at 20 */
	ck_assert_double_eq_tol(apnas_cosine_lr(&c, 20), mid, 1e-12);
	ck_assert_double_eq_tol(apnas_cosine_lr(&c, 30), 0.05, 1e-12);
	ck_assert_double_eq_tol(apnas_cosine_lr(&c, 50), mid, 1e-12);
	apnas_cosine flat = {0.1, 0.0, 4, 1};
	ck_assert_double_eq_tol(apnas_cosine_lr(&flat, 2), 0.05, 1e-12);
	ck_assert_double_eq_tol(apnas_cosine_lr(&flat, 6), 0.05, 1e-12);
}
END_TEST

START_TEST(checkpoint_round_trips_and_refuses_bad_files)
{
	net a, b, other;
	train_100(&a, 1);
	net_init(&b, 12345, 8, 10); /* same constructors, other values */
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(apnas_params_save(a.ps, f, &E), 0);
	long size = ftell(f);
	rewind(f);
	ck_assert_int_eq(apnas_params_load(b.ps, f, &E), 0);
	for (size_t i = 0; i < apnas_params_count(a.ps); i++) {
		apnas_param *pa = apnas_params_at(a.ps, i), *pb = apnas_params_at(b.ps, i);
		size_t bytes = apnas_param_numel(pa) * sizeof(float);
		ck_assert_mem_eq(apnas_param_value(pa), apnas_param_value(pb), bytes);
		if (apnas_param_momentum(pa))
			ck_assert_mem_eq(apnas_param_momentum(pa),
			                 apnas_param_momentum(pb), bytes);
	}
	/* truncated: refused, set unchanged */
	char *buf = malloc((size_t)size);
	rewind(f);
	ck_assert_int_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	net c;
	net_init(&c, 777, 8, 10);
	float before = apnas_param_value(c.stem)[0];
	for (long cut = 4; cut < size; cut += size / 7) {
		FILE *t = tmpfile();
		fwrite(buf, 1, (size_t)cut, t);
		rewind(t);
		ck_assert_int_eq(apnas_params_load(c.ps, t, &E), APNAS_EINVAL);
		ck_assert_float_eq(apnas_param_value(c.stem)[0], before);
		fclose(t);
	}
	/* a set built otherwise: refused, naming the difference */
	net_init(&other, 1, 16, 10);
	rewind(f);
	ck_assert_int_eq(apnas_params_load(other.ps, f, &E), APNAS_EINVAL);
	ck_assert_msg(strstr(E.msg, "stem") != NULL, "message: %s", E.msg);
	/* not a checkpoint at all */
	FILE *t = tmpfile();
	fputs("hello world, not a checkpoint", t);
	rewind(t);
	ck_assert_int_eq(apnas_params_load(c.ps, t, &E), APNAS_EINVAL);
	ck_assert_msg(strstr(E.msg, "magic") != NULL, "message: %s", E.msg);
	fclose(t);
	fclose(f);
	free(buf);
	apnas_params_destroy(a.ps);
	apnas_params_destroy(b.ps);
	apnas_params_destroy(c.ps);
	apnas_params_destroy(other.ps);
}
END_TEST

START_TEST(bad_input_gives_errors_not_crashes)
{
	apnas_params *ps;
	apnas_param *w, *fc;
	ck_assert_int_eq(apnas_params_create(1, &ps, &E), 0);
	ck_assert_int_eq(apnas_param_conv(ps, "w", 4, 3, 3, &w, &E), 0);
	ck_assert_int_eq(apnas_param_fc(ps, "fc", 3, 4, &fc, NULL, &E), 0);
	ck_assert_int_eq(apnas_param_conv(ps, "w", 4, 3, 3, &w, &E), APNAS_EINVAL);
	ck_assert_int_eq(apnas_param_conv(ps, "bad name", 4, 3, 3, NULL, &E),
	                 APNAS_EINVAL);
	ck_assert_int_eq(apnas_param_conv(ps, "zero", 0, 3, 3, NULL, &E),
	                 APNAS_EINVAL);
	apnas_graph *g;
	ck_assert_int_eq(apnas_graph_create(-1, &g, &E), APNAS_EINVAL);
	ck_assert_int_eq(apnas_graph_create(2, &g, &E), 0);
	float x[2 * 2 * 5 * 5] = {0};
	int32_t y[2] = {0, 1};
	/* channel mismatch: the builder refuses, later builders pass NULL on */
	apnas_tensor *t = apnas_op_conv(g, apnas_op_input(g, x, 2, 2, 5, 5), w,
	                                NULL, 1, 1);
	ck_assert_ptr_null(t);
	ck_assert_ptr_null(apnas_op_relu(g, t));
	ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_TRAIN, &E), APNAS_EINVAL);
	ck_assert_msg(strstr(E.msg, "conv") != NULL, "message: %s", E.msg);
	/* geometry that does not fit */
	apnas_graph_reset(g);
	ck_assert_ptr_null(apnas_op_maxpool(g, apnas_op_input(g, x, 2, 2, 5, 5),
	                                    7, 1, 0));
	ck_assert_int_eq(apnas_graph_status(g, &E), APNAS_EINVAL);
	apnas_graph_reset(g);
	ck_assert_int_eq(apnas_graph_status(g, &E), 0);
	ck_assert_ptr_null(apnas_op_shift(g, apnas_op_input(g, x, 2, 2, 5, 5), 5, 0));
	/* labels out of range */
	apnas_graph_reset(g);
	int32_t bad[2] = {0, 3};
	apnas_op_xent(g, apnas_op_fc(g, apnas_op_input(g, x, 2, 4, 1, 1), fc, NULL),
	              bad);
	ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_TRAIN, &E), APNAS_EINVAL);
	ck_assert_msg(strstr(E.msg, "label 3") != NULL, "message: %s", E.msg);
	/* backward without a TRAIN forward */
	ck_assert_int_eq(apnas_graph_backward(g, &E), APNAS_EINVAL);
	/* a NaN loss: backward refuses, no parameter is marked or moved */
	apnas_graph_reset(g);
	float nan_x[8] = {NAN, 0, 0, 0, 0, 0, 0, 0};
	apnas_op_xent(g, apnas_op_fc(g, apnas_op_input(g, nan_x, 2, 4, 1, 1), fc,
	                             NULL), y);
	ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_TRAIN, &E), 0);
	ck_assert_int_eq(apnas_graph_backward(g, &E), APNAS_ENUM);
	ck_assert(!apnas_param_used(fc));
	float w0 = apnas_param_value(fc)[0];
	apnas_sgd opt = {0.9, 0, 0, 0};
	ck_assert_int_eq(apnas_sgd_step(ps, &opt, 0.1, &E), 0);
	ck_assert_float_eq(apnas_param_value(fc)[0], w0);
	apnas_sgd bad_opt = {1.5, 0, 0, 0};
	ck_assert_int_eq(apnas_sgd_step(ps, &bad_opt, 0.1, &E), APNAS_EINVAL);
	apnas_sgd nest = {0, 1, 0, 0};
	ck_assert_int_eq(apnas_sgd_step(ps, &nest, 0.1, &E), APNAS_EINVAL);
	/* an empty graph */
	apnas_graph_reset(g);
	ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_INFER, &E), APNAS_EINVAL);
	apnas_graph_destroy(g);
	apnas_params_destroy(ps);
}
END_TEST

START_TEST(arena_stops_growing_once_the_largest_graph_was_seen)
{
	const int n = 8, h = 12;
	apnas_rng r;
	apnas_rng_seed(&r, 2);
	float *x = rand_tensor(&r, (size_t)n * h * h, -1, 1);
	int32_t y[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	net m;
	net_init(&m, 1, 8, 10);
	apnas_graph *g;
	ck_assert_int_eq(apnas_graph_create(2, &g, &E), 0);
	apnas_sgd opt = {0.9, 0, 0, 0};
	train_step(&m, g, x, n, h, y, &opt, 0.01);
	apnas_graph_mem m1, m2;
	apnas_graph_memory(g, &m1);
	ck_assert(m1.activations > 0 && m1.gradients > 0 && m1.arena > 0);
	/* a training step keeps activations for backward; inference reuses */
	for (int i = 0; i < 5; i++)
		train_step(&m, g, x, n, h, y, &opt, 0.01);
	net_build(&m, g, x, n / 2, h, y); /* a smaller batch */
	ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_INFER, &E), 0);
	apnas_graph_memory(g, &m2);
	ck_assert_uint_eq(m1.arena, m2.arena);
	ck_assert(m2.activations < m1.activations);
	apnas_graph_destroy(g);
	apnas_params_destroy(m.ps);
	free(x);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nn_train");
	TCase *tc = tcase_create("training");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, small_network_overfits_a_fixed_batch);
	tcase_add_test(tc, same_seed_and_threads_give_identical_weights);
	tcase_add_test(tc, step_updates_only_the_parameters_the_graph_used);
	tcase_add_loop_test(tc, sgd_follows_the_momentum_and_decay_formulas, 0, 2);
	tcase_add_test(tc, cosine_schedule_restarts_warm);
	tcase_add_test(tc, checkpoint_round_trips_and_refuses_bad_files);
	tcase_add_test(tc, bad_input_gives_errors_not_crashes);
	tcase_add_test(tc, arena_stops_growing_once_the_largest_graph_was_seen);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
