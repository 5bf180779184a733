/* The analytical model's conventions beyond the SCALE-Sim vectors: layer
 * types mapped as systolic.md says, network totals, 64-bit counts, and
 * every kind of bad geometry refused with a message instead of a crash,
 * a wrap-around or a zero. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_harness.h"

static apnas_layer_cost cost_of(const apnas_array *a, const apnas_layer *l)
{
	apnas_layer_cost c;
	apnas_error err;
	ck_assert_msg(apnas_systolic_layer(a, l, &c, &err) == 0, "%s", err.msg);
	return c;
}

static apnas_layer conv(apnas_shape in, int out_c, int k, int s, int pad)
{
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	ck_assert_msg(apnas_net_conv(&net, "c", in, out_c, k, s, pad, &err) == 0,
	              "%s", err.msg);
	apnas_layer l = net.layers[0];
	apnas_net_free(&net);
	return l;
}

START_TEST(worked_example_of_systolic_md)
{
	/* H = W = 22, 1x1, Ch 68, M 62, s 2, 128x128 os: 643 cycles, 27.25%
	 * mapping efficiency, 5.76% utilization, as the page works it out. */
	apnas_array a = {128, 128, APNAS_DF_OS};
	apnas_layer l = conv((apnas_shape){68, 22, 22}, 62, 1, 2, 0);
	ck_assert_int_eq(l.out.h, 11); /* the engine's floor rule */
	apnas_layer_cost c = cost_of(&a, &l);
	/* E = 121 here (floor), so one row fold of 121 + 62 columns. */
	ck_assert_uint_eq(c.cycles, 1 * 1 * (68 + 128 + 128 - 2) - 1);
	l.out.h = l.out.w = 12; /* SCALE-Sim's ceiling rule, as in the page */
	c = cost_of(&a, &l);
	ck_assert_uint_eq(c.cycles, 643);
	ck_assert(fabs(c.mapping_eff - 27.24609375) < 1e-12);
	ck_assert(fabs(c.utilization - 100.0 * 144 * 68 * 62 /
	                               (643.0 * 128 * 128)) < 1e-12);
}
END_TEST

START_TEST(ws_and_is_pay_the_preload)
{
	apnas_layer l = conv((apnas_shape){5, 6, 6}, 3, 3, 1, 0); /* E 16 K 45 */
	apnas_array os = {4, 8, APNAS_DF_OS}, ws = {4, 8, APNAS_DF_WS},
	            is = {4, 8, APNAS_DF_IS};
	/* os: Sr E=16 -> 4 folds, Sc M=3 -> 1; fold 45 + 4 + 8 - 2 */
	ck_assert_uint_eq(cost_of(&os, &l).cycles, 4 * 55 - 1);
	/* ws: Sr K=45 -> 12, Sc M=3 -> 1; fold 16 + 8 + 8 - 2 */
	ck_assert_uint_eq(cost_of(&ws, &l).cycles, 12 * 30 - 1);
	/* is: Sr K=45 -> 12, Sc E=16 -> 2; fold 3 + 8 + 8 - 2 */
	ck_assert_uint_eq(cost_of(&is, &l).cycles, 24 * 17 - 1);
}
END_TEST

START_TEST(depthwise_is_one_conv_per_channel)
{
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_dwconv(&net, "dw", (apnas_shape){7, 9, 9},
	                                  3, 2, 1, &err), 0);
	apnas_layer one = conv((apnas_shape){1, 9, 9}, 1, 3, 2, 1);
	for (int df = APNAS_DF_OS; df <= APNAS_DF_IS; df++) {
		apnas_array a = {4, 3, (apnas_dataflow)df};
		apnas_layer_cost d = cost_of(&a, &net.layers[0]);
		apnas_layer_cost c = cost_of(&a, &one);
		ck_assert_uint_eq(d.cycles, 7 * c.cycles);
		ck_assert_uint_eq(d.macs, 7 * c.macs);
		ck_assert_uint_eq(d.macs, apnas_layer_macs(&net.layers[0]));
		ck_assert(fabs(d.mapping_eff - c.mapping_eff) < 1e-12);
		ck_assert(fabs(d.utilization - c.utilization) < 1e-12);
	}
	apnas_net_free(&net);
}
END_TEST

START_TEST(fully_connected_is_a_1x1_conv_on_1x1)
{
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_fc(&net, "fc", (apnas_shape){16, 3, 3}, 10,
	                              &err), 0);
	apnas_layer same = conv((apnas_shape){144, 1, 1}, 10, 1, 1, 0);
	for (int df = APNAS_DF_OS; df <= APNAS_DF_IS; df++) {
		apnas_array a = {8, 4, (apnas_dataflow)df};
		apnas_layer_cost f = cost_of(&a, &net.layers[0]);
		apnas_layer_cost c = cost_of(&a, &same);
		ck_assert_uint_eq(f.cycles, c.cycles);
		ck_assert_uint_eq(f.macs, 1440);
	}
	apnas_net_free(&net);
}
END_TEST

START_TEST(pools_adds_concats_cost_nothing)
{
	apnas_net net;
	apnas_error err;
	apnas_shape in = {8, 8, 8};
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_pool(&net, "mp", APNAS_LAYER_MAXPOOL, in, 3,
	                                2, 1, &err), 0);
	ck_assert_int_eq(apnas_net_pool(&net, "ap", APNAS_LAYER_AVGPOOL, in, 2,
	                                2, 0, &err), 0);
	ck_assert_int_eq(apnas_net_gpool(&net, "gp", in, &err), 0);
	ck_assert_int_eq(apnas_net_add_op(&net, "add", in, 3, &err), 0);
	ck_assert_int_eq(apnas_net_concat(&net, "cat", in, 2, 16, &err), 0);
	apnas_array a = {2, 2, APNAS_DF_IS};
	apnas_layer_cost per[5], total;
	ck_assert_int_eq(apnas_systolic_net(&a, &net, &total, per, &err), 0);
	for (int i = 0; i < 5; i++) {
		ck_assert_uint_eq(per[i].cycles, 0);
		ck_assert_uint_eq(per[i].macs, 0);
	}
	ck_assert_uint_eq(total.cycles, 0);
	ck_assert(total.utilization == 0.0);
	apnas_net_free(&net);
}
END_TEST

START_TEST(network_totals)
{
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	apnas_shape x = {3, 32, 32};
	ck_assert_int_eq(apnas_net_conv(&net, "c1", x, 16, 3, 1, 1, &err), 0);
	x = net.layers[0].out;
	ck_assert_int_eq(apnas_net_pool(&net, "p1", APNAS_LAYER_MAXPOOL, x, 2,
	                                2, 0, &err), 0);
	x = net.layers[1].out;
	ck_assert_int_eq(apnas_net_dwconv(&net, "d2", x, 5, 2, 2, &err), 0);
	x = net.layers[2].out;
	ck_assert_int_eq(apnas_net_gpool(&net, "gp", x, &err), 0);
	ck_assert_int_eq(apnas_net_fc(&net, "fc", net.layers[3].out, 10, &err),
	                 0);
	apnas_array a = {16, 8, APNAS_DF_WS};
	apnas_layer_cost per[5], total;
	ck_assert_int_eq(apnas_systolic_net(&a, &net, &total, per, &err), 0);
	uint64_t cyc = 0, macs = 0;
	double eff = 0;
	for (int i = 0; i < 5; i++) {
		cyc += per[i].cycles;
		macs += per[i].macs;
		eff += per[i].mapping_eff * (double)per[i].cycles;
	}
	ck_assert_uint_eq(total.cycles, cyc);
	ck_assert_uint_eq(total.macs, macs);
	ck_assert_uint_eq(total.macs, apnas_net_macs(&net));
	ck_assert(fabs(total.utilization - 100.0 * (double)macs /
	                                   ((double)cyc * 128)) < 1e-12);
	ck_assert(fabs(total.mapping_eff - eff / (double)cyc) < 1e-9);
	/* NULL per_layer is allowed and gives the same total. */
	apnas_layer_cost again;
	ck_assert_int_eq(apnas_systolic_net(&a, &net, &again, NULL, &err), 0);
	ck_assert_uint_eq(again.cycles, total.cycles);
	apnas_net_free(&net);
}
END_TEST

START_TEST(a_trillion_cycles_are_counted_right)
{
	/* 1x1 os array: every MAC is a fold of T = K cycles:
	 * E * M folds of K cycles = 10^6 * 10^3 * 10^3 - 1. */
	apnas_layer l = conv((apnas_shape){1000, 1000, 1000}, 1000, 1, 1, 0);
	apnas_array one = {1, 1, APNAS_DF_OS};
	apnas_layer_cost c = cost_of(&one, &l);
	ck_assert_uint_eq(c.cycles, 999999999999ull);
	ck_assert_uint_eq(c.macs, 1000000000000ull);
	/* ws on 2x2: Sr K=1000 -> 500 folds, Sc M=1000 -> 500, fold
	 * 10^6 + 4 + 2 - 2 cycles: 250000 * 1000004 - 1. */
	apnas_array ws = {2, 2, APNAS_DF_WS};
	ck_assert_uint_eq(cost_of(&ws, &l).cycles, 250001000000ull - 1);
	/* A depthwise layer whose total passes 2^32 many times over. */
	apnas_net net;
	apnas_error err;
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_dwconv(&net, "dw",
	                                  (apnas_shape){100000, 2000, 2000}, 3,
	                                  1, 1, &err), 0);
	c = cost_of(&one, &net.layers[0]);
	/* per channel: E = 4e6 folds of T = 9 cycles, minus one */
	ck_assert_uint_eq(c.cycles, 100000ull * (4000000ull * 9 - 1));
	apnas_net_free(&net);
}
END_TEST

START_TEST(counts_beyond_64_bits_are_refused)
{
	apnas_layer l = conv((apnas_shape){1, 1, 1}, 1, 1, 1, 0);
	l.in = (apnas_shape){2000000000, 2000000000, 2000000000};
	l.out = (apnas_shape){2000000000, 2000000000, 2000000000};
	apnas_array a = {1, 1, APNAS_DF_OS};
	apnas_layer_cost c;
	apnas_error err;
	ck_assert_int_eq(apnas_systolic_layer(&a, &l, &c, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "64 bits", NULL);
	/* Two layers that fit alone but not together. */
	apnas_net net;
	apnas_net_init(&net);
	/* 1x1 os: E * M * K - 1 = 10^10 * 10^9 * 1 - 1 cycles, over 2^63. */
	apnas_layer big = conv((apnas_shape){1, 1, 1}, 1, 1, 1, 0);
	big.in = (apnas_shape){1, 100000, 100000};
	big.out = (apnas_shape){1000000000, 100000, 100000};
	ck_assert_int_eq(apnas_systolic_layer(&a, &big, &c, &err), 0);
	ck_assert_uint_eq(c.cycles, 10000000000000000000ull - 1);
	ck_assert_int_eq(apnas_net_add(&net, &big, &err), 0);
	ck_assert_int_eq(apnas_net_add(&net, &big, &err), 0);
	apnas_layer_cost t;
	ck_assert_int_eq(apnas_systolic_net(&a, &net, &t, NULL, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "64 bits", NULL);
	apnas_net_free(&net);
}
END_TEST

static void refused(apnas_layer l, const char *w1, const char *w2)
{
	apnas_array a = {8, 8, APNAS_DF_OS};
	apnas_layer_cost c;
	apnas_error err;
	snprintf(l.name, sizeof l.name, "bad");
	ck_assert_int_eq(apnas_systolic_layer(&a, &l, &c, &err), APNAS_EINVAL);
	ch_assert_msg(&err, "layer bad", w1, w2, NULL);
}

START_TEST(bad_geometry_is_refused)
{
	apnas_layer good = conv((apnas_shape){4, 8, 8}, 4, 3, 1, 1), l;
	l = good; l.stride = 0;            refused(l, "stride 0", "expected");
	l = good; l.in.c = 0;              refused(l, "channels 0", "expected");
	l = good; l.out.c = -3;            refused(l, "-3", "expected");
	l = good; l.in.h = 0;              refused(l, "height", "expected");
	l = good; l.out.w = 0;             refused(l, "width", "expected");
	l = good; l.kh = 11;               refused(l, "filter 11", "padded input 10");
	l = good; l.pad_w = -1;            refused(l, "padding -1", "expected");
	l = good; l.out.h = 5;             refused(l, "output 5", "expected 8");
	l = good; l.groups = 2;            refused(l, "2 groups", "expected 1");
	l = good; l.type = APNAS_LAYER_DWCONV;
	l.out.c = 5;                       refused(l, "depthwise", "expected");
	l = good; l.type = (apnas_layer_type)99;
	                                   refused(l, "unknown layer type 99", "");
	l = good; l.type = APNAS_LAYER_FC; l.out.h = l.out.w = 1;
	l.in.w = 0;                        refused(l, "fully connected", "expected");
	l = good; l.type = APNAS_LAYER_FC; refused(l, "output 8x8", "expected 1x1");
}
END_TEST

START_TEST(bad_arrays_are_refused)
{
	apnas_net net;
	apnas_error err;
	apnas_layer_cost t;
	apnas_net_init(&net);
	ck_assert_int_eq(apnas_net_conv(&net, "c", (apnas_shape){1, 4, 4}, 1,
	                                1, 1, 0, &err), 0);
	apnas_array rows0 = {0, 8, APNAS_DF_OS}, cols0 = {8, 0, APNAS_DF_WS};
	apnas_array neg = {-4, 8, APNAS_DF_OS}, df = {8, 8, (apnas_dataflow)7};
	ck_assert_int_eq(apnas_systolic_net(&rows0, &net, &t, NULL, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "rows", "got 0", NULL);
	ck_assert_int_eq(apnas_systolic_net(&cols0, &net, &t, NULL, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "cols", "got 0", NULL);
	ck_assert_int_eq(apnas_systolic_net(&neg, &net, &t, NULL, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "rows", "got -4", NULL);
	ck_assert_int_eq(apnas_systolic_net(&df, &net, &t, NULL, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "dataflow", NULL);
	apnas_dataflow d;
	ck_assert_int_eq(apnas_dataflow_parse("xs", "cost.dataflow", &d, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "cost.dataflow", "os, ws or is", "'xs'", NULL);
	ck_assert_int_eq(apnas_dataflow_parse("ws", "x", &d, &err), 0);
	ck_assert_int_eq(d, APNAS_DF_WS);
	apnas_net_free(&net);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cost_model");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, worked_example_of_systolic_md);
	tcase_add_test(tc, ws_and_is_pay_the_preload);
	tcase_add_test(tc, depthwise_is_one_conv_per_channel);
	tcase_add_test(tc, fully_connected_is_a_1x1_conv_on_1x1);
	tcase_add_test(tc, pools_adds_concats_cost_nothing);
	tcase_add_test(tc, network_totals);
	tcase_add_test(tc, a_trillion_cycles_are_counted_right);
	tcase_add_test(tc, counts_beyond_64_bits_are_refused);
	tcase_add_test(tc, bad_geometry_is_refused);
	tcase_add_test(tc, bad_arrays_are_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
