/* Every engine op's forward pass against the naive references of
 * nn_ref.c, on odd shapes: stride 2, padding, 1x1, non-square planes,
 * batches that do not split evenly over the threads (and a batch of one,
 * which leaves a thread without images). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/nn.h>

#include "nn_ref.h"
#include "nn_testutil.h"

#define THREADS 2

static apnas_graph *G;
static apnas_params *P;
static apnas_rng R;
static apnas_error E;

static void setup(void)
{
	ck_assert_int_eq(apnas_graph_create(THREADS, &G, &E), 0);
	ck_assert_int_eq(apnas_params_create(7, &P, &E), 0);
	apnas_rng_seed(&R, 1234);
}

static void teardown(void)
{
	apnas_graph_destroy(G);
	apnas_params_destroy(P);
}

static void run_infer(void)
{
	int rc = apnas_graph_forward(G, APNAS_MODE_INFER, &E);
	ck_assert_msg(rc == 0, "forward failed: %s", E.msg);
}

static void expect_close(const apnas_tensor *t, const float *ref, size_t n,
                         const char *what)
{
	apnas_dims4 d = apnas_tensor_dims(t);
	ck_assert_uint_eq((size_t)d.n * d.c * d.h * d.w, n);
	double w = worst(apnas_tensor_data(t), ref, n, 1e-5, 1e-4);
	ck_assert_msg(w <= 1.0, "%s: off by %.3g tolerances", what, w);
}

struct conv_case {
	int n, c, h, w, o, k, s, p, bias;
};

static const struct conv_case CONV[] = {
	{2, 3, 7, 5, 4, 3, 1, 1, 0},   /* same padding, non-square */
	{3, 3, 8, 9, 5, 3, 2, 1, 1},   /* stride 2, odd batch, bias */
	{3, 4, 6, 6, 6, 1, 1, 0, 0},   /* pointwise: the no-im2col path */
	{2, 5, 7, 6, 3, 1, 2, 0, 0},   /* strided 1x1 (factorized reduce) */
	{2, 2, 9, 7, 3, 5, 1, 2, 0},   /* 5x5 */
	{1, 3, 6, 5, 2, 3, 1, 0, 1},   /* no padding, batch 1 on 2 threads */
	{2, 2, 10, 11, 4, 3, 3, 2, 0}, /* stride 3, pad 2 */
	{3, 3, 5, 37, 4, 1, 2, 0, 0},  /* strided 1x1, rows wide enough for
	                                  the vector stride-2 gather */
	{2, 2, 6, 34, 3, 3, 2, 1, 1},  /* the same with pad 1 and 3x3 taps */
};

START_TEST(conv_matches_reference)
{
	const struct conv_case *c = &CONV[_i];
	apnas_param *w, *b = NULL;
	ck_assert_int_eq(apnas_param_conv(P, "w", c->o, c->c, c->k, &w, &E), 0);
	if (c->bias) {
		int32_t d = c->o;
		ck_assert_int_eq(apnas_param_add(P, "b", 1, &d,
		                                 APNAS_INIT_FANIN_UNIFORM, 0, &b, &E),
		                 0);
	}
	size_t nx = (size_t)c->n * c->c * c->h * c->w;
	float *x = rand_tensor(&R, nx, -1, 1);
	apnas_tensor *t = apnas_op_input(G, x, c->n, c->c, c->h, c->w);
	apnas_tensor *y = apnas_op_conv(G, t, w, b, c->s, c->p);
	run_infer();
	int ho = ref_out(c->h, c->k, c->s, c->p), wo = ref_out(c->w, c->k, c->s, c->p);
	size_t ny = (size_t)c->n * c->o * ho * wo;
	float *ref = malloc(ny * sizeof *ref);
	ref_conv(x, c->n, c->c, c->h, c->w, apnas_param_value(w),
	         b ? apnas_param_value(b) : NULL, c->o, c->k, c->s, c->p, ref);
	expect_close(y, ref, ny, "conv");
	free(x);
	free(ref);
}
END_TEST

/* Stride-1 3x3 convs with at least 8 input channels run as Winograd
 * F(4x4, 3x3) in the forward-only modes: outputs of every size
 * modulo the 4x4 tile, pads 0..2, output channels beyond one 32-wide
 * block, a bias, and a folded batch norm + ReLU. */
struct wino_case {
	int n, c, h, w, o, p, bn;
};

static const struct wino_case WINO[] = {
	{2, 8, 7, 10, 8, 1, 0},  {3, 16, 14, 14, 40, 1, 1},
	{1, 8, 6, 5, 16, 0, 0},  {2, 8, 9, 6, 24, 2, 1},
	{2, 32, 28, 28, 32, 1, 1},
	/* channels padded to 8 inside: the paper-size search's 36, and odd
	 * counts on planes with columns left over from the transposes */
	{3, 36, 14, 14, 36, 1, 1}, {2, 9, 7, 11, 13, 1, 0},
	{1, 12, 10, 9, 5, 2, 1},
};

START_TEST(winograd_conv_matches_reference)
{
	const struct wino_case *c = &WINO[_i];
	apnas_param *wt, *b;
	apnas_bn bn;
	int32_t d = c->o;
	ck_assert_int_eq(apnas_param_conv(P, "w", c->o, c->c, 3, &wt, &E), 0);
	ck_assert_int_eq(apnas_param_add(P, "b", 1, &d, APNAS_INIT_FANIN_UNIFORM,
	                                 0, &b, &E), 0);
	ck_assert_int_eq(apnas_bn_add(P, "bn", c->o, 1, &bn, &E), 0);
	for (int i = 0; i < c->o; i++) {
		apnas_param_value(bn.gamma)[i] = 0.5f + 0.05f * i;
		apnas_param_value(bn.beta)[i] = 0.2f - 0.02f * i;
		apnas_param_value(bn.mean)[i] = 0.01f * i - 0.1f;
		apnas_param_value(bn.var)[i] = 0.5f + 0.03f * i;
	}
	size_t nx = (size_t)c->n * c->c * c->h * c->w;
	float *x = rand_tensor(&R, nx, -1, 1);
	apnas_tensor *y = apnas_op_conv(G, apnas_op_input(G, x, c->n, c->c, c->h,
	                                                  c->w), wt, b, 1, c->p);
	apnas_tensor *z = c->bn ? apnas_op_bn_relu(G, y, &bn) : y;
	int ho = ref_out(c->h, 3, 1, c->p), wo = ref_out(c->w, 3, 1, c->p);
	size_t ny = (size_t)c->n * c->o * ho * wo;
	float *cv = malloc(ny * sizeof *cv), *ref = malloc(ny * sizeof *ref);
	ref_conv(x, c->n, c->c, c->h, c->w, apnas_param_value(wt),
	         apnas_param_value(b), c->o, 3, 1, c->p, cv);
	if (c->bn)
		ref_bn(cv, c->n, c->o, ho * wo, apnas_param_value(bn.gamma),
		       apnas_param_value(bn.beta), bn.eps, apnas_param_value(bn.mean),
		       apnas_param_value(bn.var), 1, ref, NULL, NULL);
	else
		memcpy(ref, cv, ny * sizeof *ref);
	run_infer();
	/* the transforms round differently from a direct sum */
	double err = worst(apnas_tensor_data(z), ref, ny, 2e-4, 1e-3);
	ck_assert_msg(err <= 1.0, "winograd: off by %.3g tolerances", err);
	if (!c->bn) {
		ck_assert_int_eq(apnas_graph_forward(G, APNAS_MODE_BATCHSTAT, &E), 0);
		err = worst(apnas_tensor_data(z), ref, ny, 2e-4, 1e-3);
		ck_assert_msg(err <= 1.0, "winograd (batchstat): %.3g", err);
	}
	free(x);
	free(cv);
	free(ref);
}
END_TEST

struct dw_case {
	int n, c, h, w, k, s, p;
};

static const struct dw_case DW[] = {
	{2, 3, 8, 8, 3, 1, 1},  {3, 4, 9, 7, 5, 1, 2}, {2, 3, 8, 9, 3, 2, 1},
	{1, 2, 6, 5, 3, 1, 0},  {2, 2, 5, 40, 3, 1, 1}, /* wider than a row
	                                                  block of 32 */
	{2, 2, 28, 28, 5, 1, 2}, {2, 3, 7, 6, 1, 1, 0},
	/* rows of 30 (round8: 32) and an odd number of them */
	{2, 2, 7, 30, 3, 1, 1},
};

START_TEST(dwconv_matches_reference)
{
	const struct dw_case *c = &DW[_i];
	apnas_param *w;
	ck_assert_int_eq(apnas_param_dwconv(P, "w", c->c, c->k, &w, &E), 0);
	size_t nx = (size_t)c->n * c->c * c->h * c->w;
	float *x = rand_tensor(&R, nx, -1, 1);
	apnas_tensor *y = apnas_op_dwconv(
	    G, apnas_op_input(G, x, c->n, c->c, c->h, c->w), w, c->s, c->p);
	run_infer();
	int ho = ref_out(c->h, c->k, c->s, c->p), wo = ref_out(c->w, c->k, c->s, c->p);
	size_t ny = (size_t)c->n * c->c * ho * wo;
	float *ref = malloc(ny * sizeof *ref);
	ref_dwconv(x, c->n, c->c, c->h, c->w, apnas_param_value(w), c->k, c->s,
	           c->p, ref);
	expect_close(y, ref, ny, "dwconv");
	free(x);
	free(ref);
}
END_TEST

/* _i: 0 bn, 1 bn_relu, 2 non-affine */
START_TEST(bn_train_matches_reference_and_updates_running_stats)
{
	const int n = 3, c = 4, h = 5, w = 6, hw = h * w;
	apnas_bn bn;
	ck_assert_int_eq(apnas_bn_add(P, "bn", c, _i != 2, &bn, &E), 0);
	if (bn.gamma)
		for (int i = 0; i < c; i++) {
			apnas_param_value(bn.gamma)[i] = 0.5f + 0.25f * i;
			apnas_param_value(bn.beta)[i] = -0.3f + 0.2f * i;
		}
	size_t nx = (size_t)n * c * hw;
	float *x = rand_tensor(&R, nx, -2, 3);
	apnas_tensor *in = apnas_op_input(G, x, n, c, h, w);
	apnas_tensor *y = _i == 1 ? apnas_op_bn_relu(G, in, &bn)
	                          : apnas_op_bn(G, in, &bn);
	apnas_tensor_keep(y);
	ck_assert_int_eq(apnas_graph_forward(G, APNAS_MODE_TRAIN, &E), 0);
	float *ref = malloc(nx * sizeof *ref);
	double mean[4], var[4];
	ref_bn(x, n, c, hw, bn.gamma ? apnas_param_value(bn.gamma) : NULL,
	       bn.beta ? apnas_param_value(bn.beta) : NULL, bn.eps, NULL, NULL,
	       _i == 1, ref, mean, var);
	expect_close(y, ref, nx, "bn train");
	/* running = 0.9 * init + 0.1 * batch (unbiased variance) */
	double m = (double)n * hw;
	for (int i = 0; i < c; i++) {
		ck_assert_double_eq_tol(apnas_param_value(bn.mean)[i],
		                        0.1 * mean[i], 1e-5);
		ck_assert_double_eq_tol(apnas_param_value(bn.var)[i],
		                        0.9 + 0.1 * var[i] * m / (m - 1), 1e-5);
	}
	/* BATCHSTAT: same output, running statistics left alone */
	float before[8];
	memcpy(before, apnas_param_value(bn.mean), 4 * sizeof(float));
	memcpy(before + 4, apnas_param_value(bn.var), 4 * sizeof(float));
	ck_assert_int_eq(apnas_graph_forward(G, APNAS_MODE_BATCHSTAT, &E), 0);
	expect_close(y, ref, nx, "bn batchstat");
	ck_assert_mem_eq(before, apnas_param_value(bn.mean), 4 * sizeof(float));
	ck_assert_mem_eq(before + 4, apnas_param_value(bn.var), 4 * sizeof(float));
	/* INFER: normalises with the running statistics */
	run_infer();
	ref_bn(x, n, c, hw, bn.gamma ? apnas_param_value(bn.gamma) : NULL,
	       bn.beta ? apnas_param_value(bn.beta) : NULL, bn.eps,
	       apnas_param_value(bn.mean), apnas_param_value(bn.var), _i == 1,
	       ref, NULL, NULL);
	expect_close(y, ref, nx, "bn infer");
	ck_assert_mem_eq(before, apnas_param_value(bn.mean), 4 * sizeof(float));
	free(x);
	free(ref);
}
END_TEST

/* In INFER mode a conv followed only by a batch norm writes the folded
 * result itself; it must equal conv, then norm with running statistics.
 * _i: 0 direct 3x3 + bn_relu, 1 pointwise + bn, 2 strided 3x3 + bn_relu,
 * 3 as 0 but the conv output kept (so not folded).  The conv reads an
 * arena tensor (a ReLU of the input) that dies at the conv, so a plan
 * that let the norm's output reuse it would corrupt the result. */
START_TEST(conv_then_bn_in_inference_matches_reference)
{
	const int n = 3, c = 4, h = 7, w = 6, o = 5;
	const int k = _i == 1 ? 1 : 3, s = _i == 2 ? 2 : 1, p = k / 2;
	apnas_param *wt, *b;
	apnas_bn bn;
	int32_t d = o;
	ck_assert_int_eq(apnas_param_conv(P, "w", o, c, k, &wt, &E), 0);
	ck_assert_int_eq(apnas_param_add(P, "b", 1, &d, APNAS_INIT_FANIN_UNIFORM,
	                                 0, &b, &E), 0);
	ck_assert_int_eq(apnas_bn_add(P, "bn", o, 1, &bn, &E), 0);
	for (int i = 0; i < o; i++) {
		apnas_param_value(bn.gamma)[i] = 0.5f + 0.2f * i;
		apnas_param_value(bn.beta)[i] = 0.3f - 0.15f * i;
		apnas_param_value(bn.mean)[i] = 0.1f * i - 0.2f;
		apnas_param_value(bn.var)[i] = 0.5f + 0.3f * i;
	}
	size_t nx = (size_t)n * c * h * w;
	float *x = rand_tensor(&R, nx, 0, 1); /* >= 0: the ReLU keeps it */
	apnas_tensor *y = apnas_op_conv(
	    G, apnas_op_relu(G, apnas_op_input(G, x, n, c, h, w)), wt, b, s, p);
	if (_i == 3)
		apnas_tensor_keep(y);
	int relu = _i != 1;
	apnas_tensor *z = relu ? apnas_op_bn_relu(G, y, &bn) : apnas_op_bn(G, y, &bn);
	run_infer();
	int ho = ref_out(h, k, s, p), wo = ref_out(w, k, s, p);
	size_t ny = (size_t)n * o * ho * wo;
	float *cv = malloc(ny * sizeof *cv), *ref = malloc(ny * sizeof *ref);
	ref_conv(x, n, c, h, w, apnas_param_value(wt), apnas_param_value(b), o, k,
	         s, p, cv);
	ref_bn(cv, n, o, ho * wo, apnas_param_value(bn.gamma),
	       apnas_param_value(bn.beta), bn.eps, apnas_param_value(bn.mean),
	       apnas_param_value(bn.var), relu, ref, NULL, NULL);
	expect_close(z, ref, ny, "conv + bn, inference");
	if (_i == 3)
		expect_close(y, cv, ny, "kept conv output");
	free(x);
	free(cv);
	free(ref);
}
END_TEST

/* In TRAIN and BATCHSTAT a conv read only by a batch norm hands it the
 * per-image plane sums of its output; the norm must give the bits it
 * gives when it sums the planes itself (the conv output kept, so not
 * handed over), and match the reference with batch statistics.
 * _i: conv path: 0 direct 3x3, 1 pointwise, 2 strided 3x3, 3 Winograd
 * (BATCHSTAT only, 8 channels); odd _i with the ReLU. */
START_TEST(conv_hands_bn_its_statistics)
{
	const int n = 5, c = _i == 3 ? 8 : 4, h = 9, w = 11, o = 6;
	const int k = _i == 1 ? 1 : 3, s = _i == 2 ? 2 : 1, p = k / 2;
	apnas_param *wt;
	apnas_bn bn;
	ck_assert_int_eq(apnas_param_conv(P, "w", o, c, k, &wt, &E), 0);
	ck_assert_int_eq(apnas_bn_add(P, "bn", o, 1, &bn, &E), 0);
	size_t nx = (size_t)n * c * h * w;
	float *x = rand_tensor(&R, nx, -1, 1);
	int ho = ref_out(h, k, s, p), wo = ref_out(w, k, s, p);
	size_t ny = (size_t)n * o * ho * wo;
	float *z0 = malloc(ny * sizeof *z0), *cv = malloc(ny * sizeof *cv);
	float *ref = malloc(ny * sizeof *ref);
	int relu = _i % 2;
	ref_conv(x, n, c, h, w, apnas_param_value(wt), NULL, o, k, s, p, cv);
	ref_bn(cv, n, o, ho * wo, apnas_param_value(bn.gamma),
	       apnas_param_value(bn.beta), bn.eps, NULL, NULL, relu, ref, NULL,
	       NULL);
	for (int mode = 0; mode < 2; mode++) {
		apnas_mode m = mode ? APNAS_MODE_TRAIN : APNAS_MODE_BATCHSTAT;
		if (_i == 3 && m == APNAS_MODE_TRAIN)
			continue;
		float mean0[6], var0[6];
		for (int keep = 0; keep < 2; keep++) {
			/* TRAIN moves the running statistics: start both alike */
			if (keep) {
				memcpy(apnas_param_value(bn.mean), mean0, sizeof mean0);
				memcpy(apnas_param_value(bn.var), var0, sizeof var0);
			} else {
				memcpy(mean0, apnas_param_value(bn.mean), sizeof mean0);
				memcpy(var0, apnas_param_value(bn.var), sizeof var0);
			}
			apnas_graph_reset(G);
			apnas_tensor *y = apnas_op_conv(
			    G, apnas_op_input(G, x, n, c, h, w), wt, NULL, s, p);
			if (keep)
				apnas_tensor_keep(y);
			apnas_tensor *z = relu ? apnas_op_bn_relu(G, y, &bn)
			                       : apnas_op_bn(G, y, &bn);
			apnas_tensor_keep(z);
			ck_assert_int_eq(apnas_graph_forward(G, m, &E), 0);
			if (!keep) {
				memcpy(z0, apnas_tensor_data(z), ny * sizeof *z0);
				double tol = _i == 3 ? 1e-3 : 1e-4;
				double e = worst(z0, ref, ny, tol, tol);
				ck_assert_msg(e <= 1.0, "mode %d: off by %.3g", (int)m, e);
			} else {
				ck_assert_msg(!memcmp(z0, apnas_tensor_data(z),
				                      ny * sizeof *z0),
				              "mode %d: handed-over sums differ", (int)m);
			}
		}
	}
	free(x);
	free(z0);
	free(cv);
	free(ref);
}
END_TEST

/* Outside TRAIN a batch norm or ReLU whose input dies with it writes
 * over that input (plan.c).  A chain of them, with a tensor read twice
 * and one kept, must give in BATCHSTAT the bits TRAIN's forward gives
 * (which keeps every input for the backward), and INFER must match the
 * reference with running statistics. */
START_TEST(in_place_norms_keep_results)
{
	const int n = 3, c = 4, h = 6, w = 7, hw = h * w;
	apnas_param *w1, *w2;
	apnas_bn b1, b2, b3;
	ck_assert_int_eq(apnas_param_conv(P, "w1", c, c, 3, &w1, &E), 0);
	ck_assert_int_eq(apnas_param_conv(P, "w2", c, c, 1, &w2, &E), 0);
	ck_assert_int_eq(apnas_bn_add(P, "b1", c, 1, &b1, &E), 0);
	ck_assert_int_eq(apnas_bn_add(P, "b2", c, 1, &b2, &E), 0);
	ck_assert_int_eq(apnas_bn_add(P, "b3", c, 1, &b3, &E), 0);
	size_t nx = (size_t)n * c * hw;
	float *x = rand_tensor(&R, nx, -1, 1);
	float *out[2][2];
	for (int mode = 0; mode < 2; mode++) {
		apnas_graph_reset(G);
		apnas_tensor *t = apnas_op_input(G, x, n, c, h, w);
		t = apnas_op_conv(G, t, w1, NULL, 1, 1);
		apnas_tensor *u = apnas_op_add(G, (apnas_tensor *[]){t, t}, 2);
		u = apnas_op_bn_relu(G, u, &b1);
		u = apnas_op_relu(G, u);
		apnas_tensor *k = apnas_op_bn(G, u, &b2);
		apnas_tensor_keep(k);
		apnas_tensor *v = apnas_op_conv(G, k, w2, NULL, 1, 0);
		v = apnas_op_relu(G, apnas_op_bn(G, apnas_op_relu(G, v), &b3));
		apnas_tensor_keep(v);
		ck_assert_int_eq(apnas_graph_forward(G, mode ? APNAS_MODE_BATCHSTAT
		                                              : APNAS_MODE_TRAIN,
		                                     &E),
		                 0);
		out[mode][0] = malloc(nx * sizeof(float));
		out[mode][1] = malloc(nx * sizeof(float));
		memcpy(out[mode][0], apnas_tensor_data(k), nx * sizeof(float));
		memcpy(out[mode][1], apnas_tensor_data(v), nx * sizeof(float));
	}
	ck_assert(!memcmp(out[0][0], out[1][0], nx * sizeof(float)));
	ck_assert(!memcmp(out[0][1], out[1][1], nx * sizeof(float)));
	/* INFER: relu(bn(relu(x))) with running statistics, in place */
	for (int i = 0; i < c; i++) {
		apnas_param_value(b1.mean)[i] = 0.1f * i;
		apnas_param_value(b1.var)[i] = 0.5f + 0.2f * i;
	}
	apnas_graph_reset(G);
	apnas_tensor *t = apnas_op_relu(G, apnas_op_input(G, x, n, c, h, w));
	t = apnas_op_relu(G, apnas_op_bn(G, apnas_op_relu(G, t), &b1));
	run_infer();
	float *r0 = malloc(nx * sizeof *r0), *ref = malloc(nx * sizeof *ref);
	for (size_t i = 0; i < nx; i++)
		r0[i] = x[i] > 0 ? x[i] : 0;
	ref_bn(r0, n, c, hw, apnas_param_value(b1.gamma),
	       apnas_param_value(b1.beta), b1.eps, apnas_param_value(b1.mean),
	       apnas_param_value(b1.var), 1, ref, NULL, NULL);
	expect_close(t, ref, nx, "relu(bn(relu(x))) in place");
	for (int m = 0; m < 2; m++) {
		free(out[m][0]);
		free(out[m][1]);
	}
	free(r0);
	free(ref);
	free(x);
}
END_TEST

struct pool_case {
	int n, c, h, w, k, s, p, count_pad;
};

static const struct pool_case POOL[] = {
	{2, 3, 8, 8, 3, 1, 1, 1}, {3, 2, 8, 8, 2, 2, 0, 1},
	{2, 3, 9, 7, 3, 2, 1, 0}, {1, 2, 7, 10, 3, 1, 1, 0},
	{2, 2, 6, 5, 3, 3, 2, 1}, {2, 2, 5, 37, 3, 1, 1, 1},
	/* 2x2 stride 2 on rows of 18 outputs: the 8-wide kernel twice,
	 * then a scalar tail; an odd last column and row */
	{2, 3, 7, 37, 2, 2, 0, 1},
};

START_TEST(maxpool_matches_reference)
{
	const struct pool_case *c = &POOL[_i];
	size_t nx = (size_t)c->n * c->c * c->h * c->w;
	float *x = rand_tensor(&R, nx, -1, 1);
	apnas_tensor *y = apnas_op_maxpool(
	    G, apnas_op_input(G, x, c->n, c->c, c->h, c->w), c->k, c->s, c->p);
	/* TRAIN too: it records the argmax on the way */
	for (int mode = APNAS_MODE_TRAIN; mode <= APNAS_MODE_INFER; mode++) {
		ck_assert_int_eq(apnas_graph_forward(G, mode, &E), 0);
		int ho = ref_out(c->h, c->k, c->s, c->p);
		int wo = ref_out(c->w, c->k, c->s, c->p);
		size_t ny = (size_t)c->n * c->c * ho * wo;
		float *ref = malloc(ny * sizeof *ref);
		ref_maxpool(x, c->n, c->c, c->h, c->w, c->k, c->s, c->p, ref);
		expect_close(y, ref, ny, "maxpool");
		free(ref);
	}
	free(x);
}
END_TEST

START_TEST(avgpool_matches_reference)
{
	const struct pool_case *c = &POOL[_i];
	size_t nx = (size_t)c->n * c->c * c->h * c->w;
	float *x = rand_tensor(&R, nx, -1, 1);
	apnas_tensor *y = apnas_op_avgpool(
	    G, apnas_op_input(G, x, c->n, c->c, c->h, c->w), c->k, c->s, c->p,
	    c->count_pad);
	run_infer();
	int ho = ref_out(c->h, c->k, c->s, c->p), wo = ref_out(c->w, c->k, c->s, c->p);
	size_t ny = (size_t)c->n * c->c * ho * wo;
	float *ref = malloc(ny * sizeof *ref);
	ref_avgpool(x, c->n, c->c, c->h, c->w, c->k, c->s, c->p, c->count_pad,
	            ref);
	expect_close(y, ref, ny, "avgpool");
	free(x);
	free(ref);
}
END_TEST

START_TEST(gap_fc_relu_match_reference)
{
	const int n = 3, c = 5, h = 4, w = 7, f = 6;
	size_t nx = (size_t)n * c * h * w;
	float *x = rand_tensor(&R, nx, -1, 1);
	apnas_param *fw, *fb;
	ck_assert_int_eq(apnas_param_fc(P, "fc", f, c * h * w, &fw, &fb, &E), 0);
	apnas_tensor *in = apnas_op_input(G, x, n, c, h, w);
	apnas_tensor *r = apnas_op_relu(G, in);
	apnas_tensor *gp = apnas_op_gap(G, in);
	apnas_tensor *fc = apnas_op_fc(G, in, fw, fb);
	apnas_tensor_keep(r);
	apnas_tensor_keep(gp);
	run_infer();
	float *ref = malloc(nx * sizeof *ref);
	for (size_t i = 0; i < nx; i++)
		ref[i] = x[i] > 0 ? x[i] : 0;
	expect_close(r, ref, nx, "relu");
	ref_gap(x, n, c, h * w, ref);
	expect_close(gp, ref, (size_t)n * c, "gap");
	ref_fc(x, n, c * h * w, apnas_param_value(fw), apnas_param_value(fb), f,
	       ref);
	expect_close(fc, ref, (size_t)n * f, "fc");
	apnas_dims4 d = apnas_tensor_dims(fc);
	ck_assert(d.n == n && d.c == f && d.h == 1 && d.w == 1);
	free(x);
	free(ref);
}
END_TEST

START_TEST(add_concat_shift_match_reference)
{
	const int n = 3, h = 5, w = 6, hw = h * w;
	float *a = rand_tensor(&R, (size_t)n * 2 * hw, -1, 1);
	float *b = rand_tensor(&R, (size_t)n * 3 * hw, -1, 1);
	float *c = rand_tensor(&R, (size_t)n * 2 * hw, -1, 1);
	apnas_tensor *ta = apnas_op_input(G, a, n, 2, h, w);
	apnas_tensor *tb = apnas_op_input(G, b, n, 3, h, w);
	apnas_tensor *tc = apnas_op_input(G, c, n, 2, h, w);
	apnas_tensor *sum_in[3] = {ta, tc, ta};
	apnas_tensor *cat_in[3] = {tb, ta, tc};
	apnas_tensor *sum = apnas_op_add(G, sum_in, 3);
	apnas_tensor *cat = apnas_op_concat(G, cat_in, 3);
	apnas_tensor *sh1 = apnas_op_shift(G, tb, 1, 1);
	apnas_tensor *sh2 = apnas_op_shift(G, tb, -2, 3);
	apnas_tensor *sh3 = apnas_op_shift(G, tb, 0, -4);
	apnas_tensor *sh4 = apnas_op_shift(G, tb, -4, 5); /* one pixel */
	apnas_tensor *pair_in[2] = {tc, ta};
	apnas_tensor *pair = apnas_op_add(G, pair_in, 2);
	run_infer();
	size_t na = (size_t)n * 2 * hw;
	float *ref = malloc((size_t)n * 7 * hw * sizeof *ref);
	for (size_t i = 0; i < na; i++)
		ref[i] = a[i] + c[i] + a[i];
	expect_close(sum, ref, na, "add");
	for (int i = 0; i < n; i++) {
		memcpy(ref + (size_t)i * 7 * hw, b + (size_t)i * 3 * hw,
		       3 * hw * sizeof(float));
		memcpy(ref + (size_t)i * 7 * hw + 3 * hw, a + (size_t)i * 2 * hw,
		       2 * hw * sizeof(float));
		memcpy(ref + (size_t)i * 7 * hw + 5 * hw, c + (size_t)i * 2 * hw,
		       2 * hw * sizeof(float));
	}
	expect_close(cat, ref, (size_t)n * 7 * hw, "concat");
	ref_shift(b, n, 3, h, w, 1, 1, ref);
	expect_close(sh1, ref, (size_t)n * 3 * hw, "shift(1,1)");
	ref_shift(b, n, 3, h, w, -2, 3, ref);
	expect_close(sh2, ref, (size_t)n * 3 * hw, "shift(-2,3)");
	ref_shift(b, n, 3, h, w, 0, -4, ref);
	expect_close(sh3, ref, (size_t)n * 3 * hw, "shift(0,-4)");
	ref_shift(b, n, 3, h, w, -4, 5, ref);
	expect_close(sh4, ref, (size_t)n * 3 * hw, "shift(-4,5)");
	for (size_t i = 0; i < na; i++)
		ref[i] = c[i] + a[i];
	expect_close(pair, ref, na, "add of two");
	free(a);
	free(b);
	free(c);
	free(ref);
}
END_TEST

START_TEST(dropout_scales_kept_and_is_identity_outside_training)
{
	const int n = 4, c = 8, h = 8, w = 8;
	size_t nx = (size_t)n * c * h * w;
	float *x = rand_tensor(&R, nx, 0.5f, 1.5f);
	apnas_rng dr, dr2;
	apnas_rng_seed(&dr, 99);
	dr2 = dr;
	apnas_tensor *y =
	    apnas_op_dropout(G, apnas_op_input(G, x, n, c, h, w), 0.25f, &dr);
	ck_assert_int_eq(apnas_graph_forward(G, APNAS_MODE_TRAIN, &E), 0);
	const float *v = apnas_tensor_data(y);
	size_t zeros = 0;
	for (size_t i = 0; i < nx; i++) {
		/* the mask is one draw per element from the caller's stream */
		int keep = apnas_rng_uniformf(&dr2) >= 0.25f;
		if (keep)
			ck_assert_float_eq_tol(v[i], x[i] / 0.75f, 1e-6);
		else
			ck_assert_float_eq(v[i], 0.0f);
		zeros += !keep;
	}
	ck_assert(zeros > nx / 8 && zeros < nx * 3 / 8);
	ck_assert_mem_eq(&dr, &dr2, sizeof dr);
	run_infer();
	ck_assert_mem_eq(apnas_tensor_data(y), x, nx * sizeof(float));
	free(x);
}
END_TEST

START_TEST(xent_matches_reference)
{
	const int n = 5, k = 7;
	float *z = rand_tensor(&R, (size_t)n * k, -3, 3);
	int32_t y[5] = {0, 6, 3, 3, 1};
	apnas_op_xent(G, apnas_op_input(G, z, n, k, 1, 1), y);
	run_infer();
	double loss;
	int64_t correct, rc;
	ck_assert_int_eq(apnas_graph_loss(G, &loss, &correct, &E), 0);
	double ref = ref_xent(z, n, k, y, &rc);
	ck_assert_double_eq_tol(loss, ref, 1e-6);
	ck_assert_int_eq(correct, rc);
	free(z);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nn_ops");
	TCase *tc = tcase_create("forward");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, conv_matches_reference, 0,
	                    sizeof CONV / sizeof CONV[0]);
	tcase_add_loop_test(tc, winograd_conv_matches_reference, 0,
	                    sizeof WINO / sizeof WINO[0]);
	tcase_add_loop_test(tc, dwconv_matches_reference, 0,
	                    sizeof DW / sizeof DW[0]);
	tcase_add_loop_test(tc, bn_train_matches_reference_and_updates_running_stats,
	                    0, 3);
	tcase_add_loop_test(tc, conv_then_bn_in_inference_matches_reference, 0, 4);
	tcase_add_loop_test(tc, conv_hands_bn_its_statistics, 0, 4);
	tcase_add_test(tc, in_place_norms_keep_results);
	tcase_add_loop_test(tc, maxpool_matches_reference, 0,
	                    sizeof POOL / sizeof POOL[0]);
	tcase_add_loop_test(tc, avgpool_matches_reference, 0,
	                    sizeof POOL / sizeof POOL[0]);
	tcase_add_test(tc, gap_fc_relu_match_reference);
	tcase_add_test(tc, add_concat_shift_match_reference);
	tcase_add_test(tc, dropout_scales_kept_and_is_identity_outside_training);
	tcase_add_test(tc, xent_matches_reference);
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
