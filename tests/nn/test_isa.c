/* The AVX-512 build of the direct convolution against the AVX2 one
 * (core/nn/isa.h): the forward and the input gradient sum every output in
 * the same order, so they must agree bit for bit; the weight gradients
 * only to rounding.  Exits 77 where the CPU (or the build) has no
 * AVX-512: there is only one build to run. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/nn.h>

#include "nn/isa.h"
#include "nn_testutil.h"

struct dcase {
	int n, c, h, w, o, k, p;
};

/* 3x3 and 5x5, planes wider than one 48-position tile and narrower,
 * channel counts that are not multiples of the 4-channel block. */
static const struct dcase CASES[] = {
	{3, 9, 13, 11, 6, 3, 1},
	{2, 5, 28, 28, 7, 5, 2},
	{2, 3, 6, 5, 2, 3, 0},
	{1, 4, 14, 14, 4, 3, 1},
};

typedef struct out {
	float *y, *dx, *dw1, *dw2;
	size_t ny, nx, nw1, nw2;
} out;

/* x -> conv1 -> conv2 (the case's kernel, kept) -> gap -> fc -> loss,
 * TRAIN forward and backward with the chosen kernels; copies conv2's
 * output, conv1's output gradient (conv2's input gradient) and both
 * weight gradients. */
static void run(const struct dcase *c, int wide, out *o)
{
	nn_isa_force(wide);
	ck_assert_int_eq(nn_isa_wide(), wide);
	apnas_error err;
	apnas_params *ps;
	ck_assert_int_eq(apnas_params_create(7, &ps, &err), 0);
	apnas_param *w1, *w2, *fc;
	ck_assert_int_eq(apnas_param_conv(ps, "w1", c->c, c->c, 3, &w1, &err), 0);
	ck_assert_int_eq(apnas_param_conv(ps, "w2", c->o, c->c, c->k, &w2, &err),
	                 0);
	ck_assert_int_eq(apnas_param_fc(ps, "fc", 3, c->o, &fc, NULL, &err), 0);
	apnas_rng r;
	apnas_rng_seed(&r, 11);
	size_t nx = (size_t)c->n * c->c * c->h * c->w;
	float *x = rand_tensor(&r, nx, -1, 1);
	int32_t labels[8];
	for (int i = 0; i < c->n; i++)
		labels[i] = i % 3;
	apnas_graph *g;
	ck_assert_int_eq(apnas_graph_create(2, &g, &err), 0);
	apnas_tensor *t = apnas_op_input(g, x, c->n, c->c, c->h, c->w);
	apnas_tensor *h = apnas_op_conv(g, t, w1, NULL, 1, 1);
	apnas_tensor_keep(h);
	apnas_tensor *y = apnas_op_conv(g, h, w2, NULL, 1, c->p);
	apnas_tensor_keep(y);
	apnas_op_xent(g, apnas_op_fc(g, apnas_op_gap(g, y), fc, NULL), labels);
	ck_assert_int_eq(apnas_graph_forward(g, APNAS_MODE_TRAIN, &err), 0);
	ck_assert_int_eq(apnas_graph_backward(g, &err), 0);
	apnas_dims4 d = apnas_tensor_dims(y);
	o->ny = (size_t)d.n * d.c * d.h * d.w;
	o->nx = nx;
	o->nw1 = apnas_param_numel(w1);
	o->nw2 = apnas_param_numel(w2);
	o->y = malloc(o->ny * sizeof(float));
	o->dx = malloc(nx * sizeof(float));
	o->dw1 = malloc(o->nw1 * sizeof(float));
	o->dw2 = malloc(o->nw2 * sizeof(float));
	memcpy(o->y, apnas_tensor_data(y), o->ny * sizeof(float));
	memcpy(o->dx, apnas_tensor_grad(h), nx * sizeof(float));
	memcpy(o->dw1, apnas_param_grad(w1), o->nw1 * sizeof(float));
	memcpy(o->dw2, apnas_param_grad(w2), o->nw2 * sizeof(float));
	apnas_graph_destroy(g);
	apnas_params_destroy(ps);
	free(x);
}

static void out_free(out *o)
{
	free(o->y);
	free(o->dx);
	free(o->dw1);
	free(o->dw2);
}

START_TEST(direct_conv_agrees_across_vector_widths)
{
	const struct dcase *c = &CASES[_i];
	out a, b;
	run(c, 1, &a);
	run(c, 0, &b);
	ck_assert_msg(!memcmp(a.y, b.y, a.ny * sizeof(float)),
	              "forward differs between the AVX-512 and AVX2 kernels");
	ck_assert_msg(!memcmp(a.dx, b.dx, a.nx * sizeof(float)),
	              "input gradient differs between the AVX-512 and AVX2 "
	              "kernels");
	/* another order of the same sums: rounding only */
	ck_assert_msg(worst(a.dw2, b.dw2, a.nw2, 1e-6, 1e-4) <= 1,
	              "conv2 weight gradient: AVX-512 and AVX2 differ beyond "
	              "rounding");
	ck_assert_msg(worst(a.dw1, b.dw1, a.nw1, 1e-6, 1e-4) <= 1,
	              "conv1 weight gradient: AVX-512 and AVX2 differ beyond "
	              "rounding");
	out_free(&a);
	out_free(&b);
}
END_TEST

int main(void)
{
	if (!nn_isa_wide_possible()) {
		fprintf(stderr, "SKIP: this CPU or build has no AVX-512 kernels; "
		        "only the AVX2 ones run (tests/nn/test_ops, test_grad)\n");
		return 77;
	}
	Suite *s = suite_create("nn_isa");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, direct_conv_agrees_across_vector_widths, 0,
	                    (int)(sizeof CASES / sizeof CASES[0]));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
