/* The paper's claim inside the box: the analytical model and the
 * cycle-level simulator agree cycle for cycle, on thousands of random
 * small layers per dataflow (conv, pointwise, depthwise, fully connected,
 * SCALE-Sim's partial edge windows; strides 1 to 3; arrays 1xN, Nx1,
 * square and not), and the simulator's outputs are the convolution's. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_harness.h"
#include "hw/systolic_sim.h"
#include "hw/topology.h"

#define LAYERS_PER_DATAFLOW 2000

enum { K_CONV, K_DW, K_FC, K_POINTWISE, K_TOPO, N_KINDS };

static int32_t draw(apnas_rng *r, int32_t lo, int32_t hi)
{
	return lo + (int32_t)apnas_rng_below(r, (uint64_t)(hi - lo + 1));
}

static apnas_array random_array(apnas_rng *r, int shape, apnas_dataflow df)
{
	apnas_array a = {.rows = 1, .cols = 1, .dataflow = df};
	switch (shape) {
	case 0: a.cols = draw(r, 2, 9); break;           /* 1 x N */
	case 1: a.rows = draw(r, 2, 9); break;           /* N x 1 */
	case 2: a.rows = a.cols = draw(r, 1, 8); break;  /* square */
	default:                                         /* R != C */
		a.rows = draw(r, 2, 8);
		do
			a.cols = draw(r, 2, 8);
		while (a.cols == a.rows);
	}
	return a;
}

/* A random small layer of `kind`; draws again until the geometry fits. */
static apnas_layer random_layer(apnas_rng *r, int kind)
{
	apnas_net net;
	apnas_error err;
	apnas_layer l;
	apnas_net_init(&net);
	for (;;) {
		apnas_shape in = {draw(r, 1, 4), draw(r, 1, 7), draw(r, 1, 7)};
		int k = draw(r, 1, 3), s = draw(r, 1, 2), pad = draw(r, 0, 1);
		int rc = -1;
		switch (kind) {
		case K_CONV:
			rc = apnas_net_conv(&net, "conv", in, draw(r, 1, 6), k, s,
			                    pad, &err);
			break;
		case K_DW:
			rc = apnas_net_dwconv(&net, "dw", in, k, s, pad, &err);
			break;
		case K_FC:
			in.h = draw(r, 1, 3);
			in.w = draw(r, 1, 3);
			rc = apnas_net_fc(&net, "fc", in, draw(r, 1, 9), &err);
			break;
		case K_POINTWISE:
			rc = apnas_net_conv(&net, "pw", in, draw(r, 1, 8), 1, s, 0,
			                    &err);
			break;
		default: {
			apnas_topo_row t = {.name = "topo", .ifmap_h = draw(r, 1, 8),
			                    .ifmap_w = draw(r, 1, 8),
			                    .channels = draw(r, 1, 3),
			                    .filters = draw(r, 1, 5),
			                    .stride = draw(r, 1, 3)};
			t.filt_h = draw(r, 1, t.ifmap_h < 3 ? t.ifmap_h : 3);
			t.filt_w = draw(r, 1, t.ifmap_w < 3 ? t.ifmap_w : 3);
			ck_assert_int_eq(apnas_topology_layer(&t, &l, &err), 0);
			apnas_net_free(&net);
			return l;
		}
		}
		if (rc == 0)
			break;
	}
	l = net.layers[0];
	apnas_net_free(&net);
	return l;
}

START_TEST(model_and_simulator_agree)
{
	apnas_dataflow df = (apnas_dataflow)_i;
	apnas_rng r;
	size_t seen_kind[N_KINDS] = {0}, seen_stride2 = 0, seen_partial = 0;
	size_t seen_multi_fold = 0;
	apnas_rng_seed(&r, 1000 + (uint64_t)_i);
	for (int i = 0; i < LAYERS_PER_DATAFLOW; i++) {
		int kind = i % N_KINDS;
		apnas_array a = random_array(&r, (i / N_KINDS) % 4, df);
		apnas_layer l = random_layer(&r, kind);
		apnas_layer_cost c;
		apnas_error err;
		ck_assert_msg(apnas_systolic_layer(&a, &l, &c, &err) == 0, "%s",
		              err.msg);

		size_t ni, nw, no;
		ck_assert_int_eq(apnas_sim_sizes(&l, &ni, &nw, &no, &err), 0);
		double *in = malloc(ni * sizeof *in), *w = malloc(nw * sizeof *w);
		double *out = malloc(no * sizeof *out);
		double *ref = malloc(no * sizeof *ref);
		ck_assert(in && w && out && ref);
		ch_fill(&r, in, ni);
		ch_fill(&r, w, nw);
		apnas_sim_stats st;
		ck_assert_msg(apnas_sim_layer(&a, &l, in, w, out, 0, &st, &err) ==
		              0, "%s", err.msg);

		ck_assert_msg(st.cycles == c.cycles,
		              "%s layer %d (%s %dx%dx%d -> %dx%dx%d, k %dx%d, "
		              "s %d, pad %d) on %lldx%lld %s: simulated %llu "
		              "cycles, model %llu", apnas_dataflow_name(df), i,
		              apnas_layer_type_name(l.type), l.in.c, l.in.h,
		              l.in.w, l.out.c, l.out.h, l.out.w, l.kh, l.kw,
		              l.stride, l.pad_h, (long long)a.rows,
		              (long long)a.cols, apnas_dataflow_name(df),
		              (unsigned long long)st.cycles,
		              (unsigned long long)c.cycles);
		ck_assert_uint_eq(st.macs, c.macs);
		ck_assert_uint_eq(st.macs, apnas_layer_macs(&l));
		double eff = apnas_sim_mapping_eff(&a, &st);
		double util = apnas_sim_utilization(&a, &st);
		ck_assert_msg(fabs(eff - c.mapping_eff) <= 1e-12 * c.mapping_eff,
		              "mapping efficiency %g vs %g", eff, c.mapping_eff);
		ck_assert_msg(fabs(util - c.utilization) <= 1e-12 * c.utilization,
		              "utilization %g vs %g", util, c.utilization);

		ch_naive(&l, in, w, ref);
		for (size_t k = 0; k < no; k++)
			ck_assert_msg(out[k] == ref[k], "%s layer %d (%s): output "
			              "%zu is %g, naive convolution %g",
			              apnas_dataflow_name(df), i,
			              apnas_layer_type_name(l.type), k, out[k],
			              ref[k]);
		free(in); free(w); free(out); free(ref);

		seen_kind[kind]++;
		seen_stride2 += l.stride == 2;
		seen_partial += kind == K_TOPO && (l.in.h - l.kh) % l.stride;
		seen_multi_fold += st.folds > 1;
	}
	/* The draw must have covered what the claim is about. */
	for (int k = 0; k < N_KINDS; k++)
		ck_assert_uint_gt(seen_kind[k], 100);
	ck_assert_uint_gt(seen_stride2, 100);
	ck_assert_uint_gt(seen_partial, 20);
	ck_assert_uint_gt(seen_multi_fold, 100);
}
END_TEST

START_TEST(zero_cost_layers_simulate_to_nothing)
{
	apnas_net net;
	apnas_error err;
	apnas_shape in = {3, 6, 6};
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_pool(&net, "mp", APNAS_LAYER_MAXPOOL, in, 2,
	                                2, 0, &err), 0);
	ck_assert_int_eq(apnas_net_gpool(&net, "gp", in, &err), 0);
	ck_assert_int_eq(apnas_net_add_op(&net, "add", in, 2, &err), 0);
	ck_assert_int_eq(apnas_net_concat(&net, "cat", in, 2, 6, &err), 0);
	apnas_array a = {4, 4, APNAS_DF_WS};
	for (size_t i = 0; i < net.n; i++) {
		size_t ni, nw, no;
		ck_assert_int_eq(apnas_sim_sizes(&net.layers[i], &ni, &nw, &no,
		                                 &err), 0);
		ck_assert_uint_eq(nw, 0);
		double *in = calloc(ni, sizeof *in);
		double *out = malloc(no * sizeof *out);
		for (size_t k = 0; k < no; k++)
			out[k] = 1.0;
		apnas_sim_stats st;
		ck_assert_int_eq(apnas_sim_layer(&a, &net.layers[i], in, NULL, out,
		                                 0, &st, &err), 0);
		ck_assert_uint_eq(st.cycles, 0);
		ck_assert_uint_eq(st.macs, 0);
		ck_assert_uint_eq(st.pe_cycles, 0);
		free(in);
		free(out);
	}
	apnas_net_free(&net);
}
END_TEST

START_TEST(budget_refuses_before_simulating)
{
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_conv(&net, "big", (apnas_shape){64, 56, 56},
	                                64, 3, 1, 1, &err), 0);
	apnas_array a = {16, 16, APNAS_DF_OS};
	uint64_t est;
	ck_assert_int_eq(apnas_sim_estimate(&a, &net.layers[0], &est, &err), 0);
	apnas_layer_cost c;
	ck_assert_int_eq(apnas_systolic_layer(&a, &net.layers[0], &c, &err), 0);
	ck_assert_uint_eq(est, (c.cycles + 1) * 256);
	apnas_sim_stats st;
	/* NULL tensors: the refusal must come before any is touched. */
	int rc = apnas_sim_layer(&a, &net.layers[0], NULL, NULL, NULL,
	                         est - 1, &st, &err);
	ck_assert_int_eq(rc, APNAS_EINVAL);
	ch_assert_msg(&err, "big", "max_pe_cycles", "PE-cycles", NULL);
	apnas_net_free(&net);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cost_sim");
	TCase *tc = tcase_create("agreement");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, model_and_simulator_agree, APNAS_DF_OS,
	                    APNAS_DF_IS + 1);
	tcase_add_test(tc, zero_cost_layers_simulate_to_nothing);
	tcase_add_test(tc, budget_refuses_before_simulating);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
