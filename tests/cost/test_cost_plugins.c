/* The three cost plugins through the real host: the same figures as the
 * core model (systolic), the simulator agreeing with it on a whole network
 * (systolic_sim), MACs as the cost (macs), and options refused with a
 * message naming the key. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_harness.h"

/* A small network with every layer type, valid for the simulator. */
static void small_net(apnas_net *net)
{
	apnas_error err;
	apnas_shape x = {3, 10, 10};
	apnas_net_init(net);
	ck_assert_int_eq(apnas_net_conv(net, "c1", x, 6, 3, 1, 1, &err), 0);
	ck_assert_int_eq(apnas_net_pool(net, "p1", APNAS_LAYER_MAXPOOL,
	                                net->layers[0].out, 2, 2, 0, &err), 0);
	x = net->layers[1].out;
	ck_assert_int_eq(apnas_net_dwconv(net, "d2", x, 3, 2, 1, &err), 0);
	x = net->layers[2].out;
	ck_assert_int_eq(apnas_net_conv(net, "p2", x, 8, 1, 1, 0, &err), 0);
	ck_assert_int_eq(apnas_net_add_op(net, "add", net->layers[3].out, 2,
	                                  &err), 0);
	ck_assert_int_eq(apnas_net_gpool(net, "gap", net->layers[3].out, &err),
	                 0);
	ck_assert_int_eq(apnas_net_fc(net, "fc", net->layers[5].out, 5, &err),
	                 0);
}

static void cost(ch_plugin *p, const apnas_net *net, apnas_layer_cost *t,
                 apnas_layer_cost *per)
{
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(p->ops->cost(p->self, net, t, per, &err) == 0, "%s",
	              err.msg);
}

START_TEST(systolic_defaults_to_32x32_os)
{
	ch_plugin p;
	apnas_error err;
	apnas_net net;
	small_net(&net);
	ck_assert_msg(ch_open(&p, "systolic", NULL, 0, &err) == 0, "%s",
	              err.msg);
	apnas_layer_cost t, want;
	cost(&p, &net, &t, NULL);
	apnas_array a = {32, 32, APNAS_DF_OS};
	ck_assert_int_eq(apnas_systolic_net(&a, &net, &want, NULL, &err), 0);
	ck_assert_uint_eq(t.cycles, want.cycles);
	ck_assert_uint_eq(t.macs, apnas_net_macs(&net));
	ch_close(&p);
	apnas_net_free(&net);
}
END_TEST

START_TEST(simulator_plugin_agrees_with_systolic)
{
	static const char *const dfs[] = {"dataflow=os", "dataflow=ws",
	                                  "dataflow=is"};
	apnas_net net;
	small_net(&net);
	for (int d = 0; d < 3; d++) {
		const char *set[] = {"rows=4", "cols=5", dfs[d]};
		ch_plugin sy, si;
		apnas_error err;
		ck_assert_msg(ch_open(&sy, "systolic", set, 3, &err) == 0, "%s",
		              err.msg);
		ck_assert_msg(ch_open(&si, "systolic_sim", set, 3, &err) == 0,
		              "%s", err.msg);
		apnas_layer_cost t1, t2, p1[7], p2[7];
		cost(&sy, &net, &t1, p1);
		cost(&si, &net, &t2, p2);
		for (size_t i = 0; i < net.n; i++) {
			ck_assert_uint_eq(p1[i].cycles, p2[i].cycles);
			ck_assert_uint_eq(p1[i].macs, p2[i].macs);
			ck_assert(fabs(p1[i].mapping_eff - p2[i].mapping_eff) <= 1e-9);
			ck_assert(fabs(p1[i].utilization - p2[i].utilization) <= 1e-9);
		}
		ck_assert_uint_eq(t1.cycles, t2.cycles);
		ck_assert(fabs(t1.utilization - t2.utilization) <= 1e-9);
		ck_assert(fabs(t1.mapping_eff - t2.mapping_eff) <= 1e-9);
		/* Deterministic: a second call gives the same figures. */
		apnas_layer_cost t3;
		cost(&si, &net, &t3, NULL);
		ck_assert_mem_eq(&t2, &t3, sizeof t2);
		ch_close(&sy);
		ch_close(&si);
	}
	apnas_net_free(&net);
}
END_TEST

START_TEST(simulator_refuses_layers_over_its_budget)
{
	const char *set[] = {"rows=8", "cols=8", "max_pe_cycles=5000"};
	ch_plugin p;
	apnas_error err;
	apnas_net net;
	small_net(&net);
	ck_assert_msg(ch_open(&p, "systolic_sim", set, 3, &err) == 0, "%s",
	              err.msg);
	apnas_layer_cost t;
	ck_assert_int_eq(p.ops->cost(p.self, &net, &t, NULL, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "layer c1", "max_pe_cycles = 5000", NULL);
	ch_close(&p);
	apnas_net_free(&net);
}
END_TEST

START_TEST(macs_costs_the_mac_count)
{
	ch_plugin p;
	apnas_error err;
	apnas_net net;
	small_net(&net);
	ck_assert_msg(ch_open(&p, "macs", NULL, 0, &err) == 0, "%s", err.msg);
	apnas_layer_cost t, per[7];
	cost(&p, &net, &t, per);
	ck_assert_uint_eq(t.cycles, apnas_net_macs(&net));
	ck_assert_uint_eq(t.macs, apnas_net_macs(&net));
	for (size_t i = 0; i < net.n; i++)
		ck_assert_uint_eq(per[i].cycles, apnas_layer_macs(&net.layers[i]));
	ck_assert(t.utilization == 0.0 && t.mapping_eff == 0.0);
	/* Bad layers are refused here too, not counted as zero. */
	net.layers[0].stride = 0;
	ck_assert_int_eq(p.ops->cost(p.self, &net, &t, NULL, &err),
	                 APNAS_EINVAL);
	ch_assert_msg(&err, "layer c1", "stride 0", NULL);
	ch_close(&p);
	apnas_net_free(&net);
}
END_TEST

static void refused(const char *plugin, const char *setting,
                    const char *word)
{
	ch_plugin p;
	apnas_error err;
	const char *set[] = {setting};
	int rc = ch_open(&p, plugin, set, 1, &err);
	ck_assert_msg(rc < 0, "%s accepted %s", plugin, setting);
	ch_assert_msg(&err, word, NULL);
}

START_TEST(bad_options_are_refused)
{
	refused("systolic", "rows=0", "rows");
	refused("systolic", "cols=0", "cols");
	refused("systolic", "rows=-8", "rows");
	refused("systolic", "dataflow=xs", "dataflow");
	refused("systolic", "dataflow=7", "dataflow");
	refused("systolic_sim", "cols=0", "cols");
	refused("systolic_sim", "dataflow=rs", "dataflow");
	refused("systolic_sim", "max_pe_cycles=-1", "max_pe_cycles");
	refused("systolic", "row=8", "row");
	refused("macs", "rows=8", "rows");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cost_plugins");
	TCase *tc = tcase_create("plugins");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, systolic_defaults_to_32x32_os);
	tcase_add_test(tc, simulator_plugin_agrees_with_systolic);
	tcase_add_test(tc, simulator_refuses_layers_over_its_budget);
	tcase_add_test(tc, macs_costs_the_mac_count);
	tcase_add_test(tc, bad_options_are_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
