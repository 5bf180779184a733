/* Finite-difference checks of every op's backward pass, and of a small
 * network end to end.  Each case builds op(inputs) -> fc -> softmax
 * cross-entropy; the analytic gradients of the inputs and of every
 * parameter are compared with central differences of the loss.  Elements
 * where the loss has a kink within the step (ReLU at 0, max-pool ties)
 * are recognised by two step sizes disagreeing and are skipped, at most
 * a few per tensor. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/nn.h>

#include "nn_testutil.h"

/* Engine test hook (core/nn/nn_internal.h): gives an input a gradient. */
void apnas_nn_test_require_grad(apnas_tensor *t);

#define THREADS 2
#define CLASSES 5
#define MAX_IN 3
#define SAMPLES 24

typedef struct fd_case fd_case;
typedef apnas_tensor *(*build_fn)(fd_case *c, apnas_graph *g,
                                  apnas_tensor **in);

struct fd_case {
	int n_in;
	apnas_dims4 xd[MAX_IN];
	float *x[MAX_IN];
	build_fn build;
	apnas_params *ps;
	apnas_param *w[4];  /* op parameters, per case */
	apnas_bn bn[2];
	int k, s, p, flag;
	apnas_rng drop, drop_saved;
	apnas_param *head;
	int32_t labels[8];
	apnas_tensor *in_t[MAX_IN];
};

static apnas_error E;

static double run(fd_case *c, apnas_graph *g, int backward)
{
	apnas_graph_reset(g);
	apnas_tensor *in[MAX_IN];
	for (int i = 0; i < c->n_in; i++) {
		in[i] = apnas_op_input(g, c->x[i], c->xd[i].n, c->xd[i].c,
		                       c->xd[i].h, c->xd[i].w);
		apnas_nn_test_require_grad(in[i]);
		apnas_tensor_keep(in[i]);
		c->in_t[i] = in[i];
	}
	c->drop = c->drop_saved; /* the same dropout mask every run */
	apnas_tensor *y = c->build(c, g, in);
	apnas_op_xent(g, apnas_op_fc(g, y, c->head, NULL), c->labels);
	int rc = apnas_graph_forward(g, APNAS_MODE_TRAIN, &E);
	ck_assert_msg(rc == 0, "forward: %s", E.msg);
	if (backward) {
		rc = apnas_graph_backward(g, &E);
		ck_assert_msg(rc == 0, "backward: %s", E.msg);
	}
	double loss;
	ck_assert_int_eq(apnas_graph_loss(g, &loss, NULL, &E), 0);
	return loss;
}

/* Compares analytic gradient a[] of values v[] (n elements) with central
 * differences of the loss (l0 unperturbed).  At a kink (ReLU at 0, a
 * max-pool tie) within the step, the forward and backward one-sided
 * differences disagree by the jump in slope, however close the kink is:
 * such elements are skipped, at most a fifth of the samples. */
static int one_check(fd_case *c, apnas_graph *g, float *v, size_t i,
                     float eps, double l0, double atol, double *num)
{
	float orig = v[i];
	v[i] = orig + eps;
	double lp = run(c, g, 0);
	v[i] = orig - eps;
	double lm = run(c, g, 0);
	v[i] = orig;
	double fwd = (lp - l0) / eps, bwd = (l0 - lm) / eps;
	*num = (lp - lm) / (2.0 * eps);
	return fabs(fwd - bwd) <= atol + 0.02 * fabs(*num);
}

static void check_tensor(fd_case *c, apnas_graph *g, float *v,
                         const float *a, size_t n, const char *what,
                         apnas_rng *pick, double l0)
{
	size_t count = n < SAMPLES ? n : SAMPLES, kinks = 0;
	for (size_t s = 0; s < count; s++) {
		size_t i = n <= SAMPLES ? s : apnas_rng_below(pick, n);
		double num, atol = 5e-4;
		/* a kink inside the step: retry with a 4x smaller one, which
		 * float rounding of the loss makes noisier */
		if (!one_check(c, g, v, i, 4e-3f, l0, atol, &num)) {
			atol = 1e-3;
			if (!one_check(c, g, v, i, 1e-3f, l0, atol, &num)) {
				kinks++;
				continue;
			}
		}
		ck_assert_msg(fabs(a[i] - num) <= atol + 0.03 * fabs(num),
		              "%s[%zu]: analytic %.6g, numeric %.6g", what, i,
		              (double)a[i], num);
	}
	ck_assert_msg(kinks <= count / 5 + 1, "%s: %zu of %zu samples at kinks",
	              what, kinks, count);
}

static void check_case(fd_case *c)
{
	apnas_graph *g;
	ck_assert_int_eq(apnas_graph_create(THREADS, &g, &E), 0);
	apnas_rng pick;
	apnas_rng_seed(&pick, 5);
	double l0 = run(c, g, 1);
	size_t np = apnas_params_count(c->ps);
	/* analytic gradients, copied before the numeric runs overwrite them */
	float *ag[MAX_IN + 16];
	for (int i = 0; i < c->n_in; i++) {
		size_t n = (size_t)c->xd[i].n * c->xd[i].c * c->xd[i].h * c->xd[i].w;
		const float *gr = apnas_tensor_grad(c->in_t[i]);
		ck_assert_msg(gr != NULL, "input %d has no gradient", i);
		ag[i] = malloc(n * sizeof(float));
		memcpy(ag[i], gr, n * sizeof(float));
	}
	for (size_t j = 0; j < np; j++) {
		apnas_param *p = apnas_params_at(c->ps, j);
		ag[MAX_IN + j] = NULL;
		if (!apnas_param_grad(p))
			continue;
		ck_assert_msg(apnas_param_used(p), "%s not marked used",
		              apnas_param_name(p));
		size_t n = apnas_param_numel(p);
		ag[MAX_IN + j] = malloc(n * sizeof(float));
		memcpy(ag[MAX_IN + j], apnas_param_grad(p), n * sizeof(float));
	}
	for (int i = 0; i < c->n_in; i++) {
		size_t n = (size_t)c->xd[i].n * c->xd[i].c * c->xd[i].h * c->xd[i].w;
		check_tensor(c, g, c->x[i], ag[i], n, "input", &pick, l0);
		free(ag[i]);
	}
	for (size_t j = 0; j < np; j++) {
		apnas_param *p = apnas_params_at(c->ps, j);
		if (!ag[MAX_IN + j])
			continue;
		check_tensor(c, g, apnas_param_value(p), ag[MAX_IN + j],
		             apnas_param_numel(p), apnas_param_name(p), &pick, l0);
		free(ag[MAX_IN + j]);
	}
	apnas_graph_destroy(g);
}

/* Sets up inputs of the given shapes, random labels, and the head once
 * the op's output size is known (features). */
static void init_case(fd_case *c, int n_in, const apnas_dims4 *d)
{
	memset(c, 0, sizeof *c);
	ck_assert_int_eq(apnas_params_create(11, &c->ps, &E), 0);
	apnas_rng r;
	apnas_rng_seed(&r, 77);
	c->n_in = n_in;
	for (int i = 0; i < n_in; i++) {
		c->xd[i] = d[i];
		c->x[i] = rand_tensor(&r, (size_t)d[i].n * d[i].c * d[i].h * d[i].w,
		                      -1, 1);
	}
	for (int i = 0; i < 8; i++)
		c->labels[i] = (int32_t)apnas_rng_below(&r, CLASSES);
	apnas_rng_seed(&c->drop_saved, 3);
}

static void add_head(fd_case *c, int features)
{
	ck_assert_int_eq(apnas_param_fc(c->ps, "head", CLASSES, features,
	                                &c->head, NULL, &E), 0);
}

static void free_case(fd_case *c)
{
	for (int i = 0; i < c->n_in; i++)
		free(c->x[i]);
	apnas_params_destroy(c->ps);
}

/* ---- cases ---- */

static apnas_tensor *b_conv(fd_case *c, apnas_graph *g, apnas_tensor **in)
{
	return apnas_op_conv(g, in[0], c->w[0], c->w[1], c->s, c->p);
}

struct conv_case {
	int n, ci, h, w, co, k, s, p, bias;
};

static const struct conv_case CONV[] = {
	{2, 3, 5, 6, 4, 3, 1, 1, 1}, {3, 2, 7, 6, 3, 3, 2, 1, 0},
	{2, 4, 3, 5, 3, 1, 1, 0, 0}, {2, 3, 6, 5, 2, 1, 2, 0, 1},
	{2, 2, 6, 6, 2, 5, 1, 2, 0}, {1, 2, 5, 4, 3, 3, 1, 0, 0},
};

START_TEST(conv_gradients)
{
	const struct conv_case *k = &CONV[_i];
	fd_case c;
	apnas_dims4 d = {k->n, k->ci, k->h, k->w};
	init_case(&c, 1, &d);
	ck_assert_int_eq(apnas_param_conv(c.ps, "w", k->co, k->ci, k->k,
	                                  &c.w[0], &E), 0);
	if (k->bias) {
		int32_t nb = k->co;
		ck_assert_int_eq(apnas_param_add(c.ps, "b", 1, &nb,
		                                 APNAS_INIT_FANIN_UNIFORM, 0, &c.w[1],
		                                 &E), 0);
	}
	c.s = k->s;
	c.p = k->p;
	c.build = b_conv;
	int ho = (k->h + 2 * k->p - k->k) / k->s + 1;
	int wo = (k->w + 2 * k->p - k->k) / k->s + 1;
	add_head(&c, k->co * ho * wo);
	check_case(&c);
	free_case(&c);
}
END_TEST

static apnas_tensor *b_conv_twice(fd_case *c, apnas_graph *g,
                                  apnas_tensor **in)
{
	/* one weight used twice in a graph: its gradient is the sum */
	apnas_tensor *y = apnas_op_conv(g, in[0], c->w[0], NULL, 1, 1);
	return apnas_op_conv(g, y, c->w[0], NULL, 1, 1);
}

START_TEST(shared_weight_gradient_sums_both_uses)
{
	fd_case c;
	apnas_dims4 d = {2, 3, 5, 5};
	init_case(&c, 1, &d);
	ck_assert_int_eq(apnas_param_conv(c.ps, "w", 3, 3, 3, &c.w[0], &E), 0);
	c.build = b_conv_twice;
	add_head(&c, 3 * 25);
	check_case(&c);
	free_case(&c);
}
END_TEST

static apnas_tensor *b_dw(fd_case *c, apnas_graph *g, apnas_tensor **in)
{
	return apnas_op_dwconv(g, in[0], c->w[0], c->s, c->p);
}

struct dw_case {
	int n, c, h, w, k, s, p;
};

static const struct dw_case DW[] = {
	{2, 3, 6, 7, 3, 1, 1}, {2, 2, 7, 6, 5, 1, 2}, {3, 2, 7, 7, 3, 2, 1},
	{2, 2, 5, 9, 3, 1, 0},
	/* rows of 30 (round8: 32, the 32-float blocks of the forward and
	 * the input gradient) and an odd number of them */
	{1, 2, 5, 30, 3, 1, 1},
};

START_TEST(dwconv_gradients)
{
	const struct dw_case *k = &DW[_i];
	fd_case c;
	apnas_dims4 d = {k->n, k->c, k->h, k->w};
	init_case(&c, 1, &d);
	ck_assert_int_eq(apnas_param_dwconv(c.ps, "w", k->c, k->k, &c.w[0], &E),
	                 0);
	c.s = k->s;
	c.p = k->p;
	c.build = b_dw;
	int ho = (k->h + 2 * k->p - k->k) / k->s + 1;
	int wo = (k->w + 2 * k->p - k->k) / k->s + 1;
	add_head(&c, k->c * ho * wo);
	check_case(&c);
	free_case(&c);
}
END_TEST

static apnas_tensor *b_bn(fd_case *c, apnas_graph *g, apnas_tensor **in)
{
	return c->flag == 1 ? apnas_op_bn_relu(g, in[0], &c->bn[0])
	                    : apnas_op_bn(g, in[0], &c->bn[0]);
}

/* _i: 0 bn, 1 bn_relu, 2 bn without scale and shift */
START_TEST(bn_gradients)
{
	fd_case c;
	apnas_dims4 d = {3, 3, 4, 5};
	init_case(&c, 1, &d);
	ck_assert_int_eq(apnas_bn_add(c.ps, "bn", 3, _i != 2, &c.bn[0], &E), 0);
	if (_i != 2)
		for (int i = 0; i < 3; i++) {
			apnas_param_value(c.bn[0].gamma)[i] = 0.7f + 0.3f * i;
			apnas_param_value(c.bn[0].beta)[i] = 0.1f - 0.2f * i;
		}
	c.flag = _i;
	c.build = b_bn;
	add_head(&c, 3 * 20);
	check_case(&c);
	free_case(&c);
}
END_TEST

static apnas_tensor *b_pool(fd_case *c, apnas_graph *g, apnas_tensor **in)
{
	switch (c->flag) {
	case 0:
		return apnas_op_maxpool(g, in[0], c->k, c->s, c->p);
	case 1:
		return apnas_op_avgpool(g, in[0], c->k, c->s, c->p, 1);
	case 2:
		return apnas_op_avgpool(g, in[0], c->k, c->s, c->p, 0);
	case 3:
		return apnas_op_gap(g, in[0]);
	default:
		return apnas_op_relu(g, in[0]);
	}
}

struct pool_case {
	int flag, k, s, p;
};

static const struct pool_case POOL[] = {
	{0, 3, 1, 1}, {0, 2, 2, 0}, {0, 3, 2, 1}, {1, 3, 1, 1},
	{2, 3, 1, 1}, {2, 3, 2, 1}, {1, 2, 2, 0}, {3, 1, 1, 0}, {4, 1, 1, 0},
};

/* The 2x2 stride-2 max pool on rows of 18 outputs (its 8-wide kernel
 * twice, then the scalar tail) and an odd last column. */
START_TEST(maxpool_k2s2_wide_gradient)
{
	fd_case c;
	apnas_dims4 d = {2, 2, 4, 37};
	init_case(&c, 1, &d);
	c.flag = 0;
	c.k = 2;
	c.s = 2;
	c.p = 0;
	c.build = b_pool;
	add_head(&c, 2 * 2 * 18);
	check_case(&c);
	free_case(&c);
}
END_TEST

START_TEST(pool_gap_relu_gradients)
{
	const struct pool_case *k = &POOL[_i];
	fd_case c;
	apnas_dims4 d = {2, 2, 6, 7};
	init_case(&c, 1, &d);
	c.flag = k->flag;
	c.k = k->k;
	c.s = k->s;
	c.p = k->p;
	c.build = b_pool;
	int f;
	if (k->flag == 3)
		f = 2;
	else if (k->flag == 4)
		f = 2 * 6 * 7;
	else
		f = 2 * ((6 + 2 * k->p - k->k) / k->s + 1) *
		    ((7 + 2 * k->p - k->k) / k->s + 1);
	add_head(&c, f);
	check_case(&c);
	free_case(&c);
}
END_TEST

static apnas_tensor *b_multi(fd_case *c, apnas_graph *g, apnas_tensor **in)
{
	switch (c->flag) {
	case 0: {
		apnas_tensor *xs[3] = {in[0], in[1], in[0]};
		return apnas_op_add(g, xs, 3);
	}
	case 1: {
		apnas_tensor *xs[3] = {in[1], in[0], in[1]};
		return apnas_op_concat(g, xs, 3);
	}
	case 2:
		return apnas_op_shift(g, in[0], 1, 1);
	case 3:
		return apnas_op_shift(g, in[0], -1, 2);
	default:
		return apnas_op_dropout(g, in[0], 0.3f, &c->drop);
	}
}

START_TEST(add_concat_shift_dropout_gradients)
{
	fd_case c;
	apnas_dims4 d[2] = {{2, 2, 4, 5}, {2, 2, 4, 5}};
	/* add and concat read two inputs (one twice), the others one */
	init_case(&c, _i < 2 ? 2 : 1, d);
	c.flag = _i;
	c.build = b_multi;
	add_head(&c, _i == 1 ? 6 * 20 : 2 * 20);
	check_case(&c);
	free_case(&c);
}
END_TEST

/* A small network with every kind of op, checked end to end. */
static apnas_tensor *b_net(fd_case *c, apnas_graph *g, apnas_tensor **in)
{
	apnas_tensor *x = apnas_op_conv(g, in[0], c->w[0], NULL, 1, 1);
	x = apnas_op_bn_relu(g, x, &c->bn[0]);
	apnas_tensor *skip = x;
	x = apnas_op_dwconv(g, x, c->w[1], 1, 2);
	x = apnas_op_conv(g, x, c->w[2], NULL, 1, 0);
	x = apnas_op_relu(g, apnas_op_bn(g, x, &c->bn[1]));
	x = apnas_op_maxpool(g, x, 3, 1, 1);
	apnas_tensor *s2[2] = {x, skip};
	x = apnas_op_add(g, s2, 2);
	x = apnas_op_maxpool(g, x, 2, 2, 0);
	apnas_tensor *a = apnas_op_conv(g, x, c->w[3], NULL, 1, 0);
	apnas_tensor *b = apnas_op_conv(g, apnas_op_shift(g, x, 1, 1), c->w[3],
	                                NULL, 1, 0);
	apnas_tensor *cat[2] = {a, b};
	x = apnas_op_concat(g, cat, 2);
	x = apnas_op_avgpool(g, x, 3, 1, 1, 1);
	x = apnas_op_gap(g, x);
	return apnas_op_dropout(g, x, 0.2f, &c->drop);
}

START_TEST(small_network_gradients)
{
	fd_case c;
	apnas_dims4 d = {3, 2, 6, 6};
	init_case(&c, 1, &d);
	ck_assert_int_eq(apnas_param_conv(c.ps, "stem", 4, 2, 3, &c.w[0], &E), 0);
	ck_assert_int_eq(apnas_bn_add(c.ps, "bn0", 4, 1, &c.bn[0], &E), 0);
	ck_assert_int_eq(apnas_param_dwconv(c.ps, "dw", 4, 5, &c.w[1], &E), 0);
	ck_assert_int_eq(apnas_param_conv(c.ps, "pw", 4, 4, 1, &c.w[2], &E), 0);
	ck_assert_int_eq(apnas_bn_add(c.ps, "bn1", 4, 1, &c.bn[1], &E), 0);
	ck_assert_int_eq(apnas_param_conv(c.ps, "red", 3, 4, 1, &c.w[3], &E), 0);
	c.build = b_net;
	add_head(&c, 6);
	check_case(&c);
	free_case(&c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nn_grad");
	TCase *tc = tcase_create("finite differences");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, conv_gradients, 0, sizeof CONV / sizeof CONV[0]);
	tcase_add_test(tc, shared_weight_gradient_sums_both_uses);
	tcase_add_loop_test(tc, dwconv_gradients, 0, sizeof DW / sizeof DW[0]);
	tcase_add_loop_test(tc, bn_gradients, 0, 3);
	tcase_add_test(tc, maxpool_k2s2_wide_gradient);
	tcase_add_loop_test(tc, pool_gap_relu_gradients, 0,
	                    sizeof POOL / sizeof POOL[0]);
	tcase_add_loop_test(tc, add_concat_shift_dropout_gradients, 0, 5);
	tcase_add_test(tc, small_network_gradients);
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
