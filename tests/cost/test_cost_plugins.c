/* The three cost plugins through the real host and the core's metric
 * list (as a search costs a network): the same figures as the core model
 * (systolic), the simulator agreeing with it on a whole network
 * (systolic_sim), MACs as the cost (macs), the metrics each declares and
 * the hardware it names, and options refused with a message naming the
 * key. */
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

/* The array figures of one layer and of the whole network, as the core
 * model computes them, for comparison with a plugin's value vectors. */
typedef struct model_figs {
	apnas_layer_cost total;
	apnas_layer_cost per[16];
} model_figs;

static void model(const apnas_array *a, const apnas_net *net,
                  model_figs *m)
{
	apnas_error err;
	ck_assert_uint_le(net->n, 16);
	ck_assert_msg(apnas_systolic_net(a, net, &m->total, m->per, &err) == 0,
	              "%s", err.msg);
}

/* Every metric of an array plugin's vectors against the model: cycles
 * equal per layer and in total, the total equal to the layers' sum, MACs
 * and parameters from the network description, mapping efficiency and
 * utilization (percent, as SCALE-Sim) within 1e-9. */
static void assert_matches_model(ch_plugin *p, const apnas_net *net,
                                 const model_figs *m)
{
	double *lv;
	double *v = ch_cost_ok(p, net, &lv);
	size_t n = p->ms.n;
	size_t ic = ch_index(p, "cycles"), im = ch_index(p, "macs");
	size_t ie = ch_index(p, "mapping_efficiency");
	size_t iu = ch_index(p, "utilization");
	double sum = 0;
	for (size_t i = 0; i < net->n; i++) {
		const double *row = lv + i * n;
		ck_assert_msg(row[ic] == (double)m->per[i].cycles,
		              "layer %s: %.17g cycles, model %llu",
		              net->layers[i].name, row[ic],
		              (unsigned long long)m->per[i].cycles);
		ck_assert_double_eq(row[im],
		                    (double)apnas_layer_macs(&net->layers[i]));
		ck_assert(fabs(row[ie] - m->per[i].mapping_eff) <= 1e-9);
		ck_assert(fabs(row[iu] - m->per[i].utilization) <= 1e-9);
		sum += row[ic];
	}
	ck_assert_double_eq(v[ic], (double)m->total.cycles);
	ck_assert_double_eq(v[ic], sum);
	ck_assert_double_eq(v[im], (double)apnas_net_macs(net));
	ck_assert_double_eq(v[ch_index(p, "params")],
	                    (double)apnas_net_params(net));
	ck_assert(fabs(v[ie] - m->total.mapping_eff) <= 1e-9);
	ck_assert(fabs(v[iu] - m->total.utilization) <= 1e-9);
	/* The search fills accuracy; the cost model never does. */
	ck_assert(isnan(v[ch_index(p, "accuracy")]));
	free(v);
	free(lv);
}

START_TEST(systolic_defaults_to_32x32_os)
{
	ch_plugin p;
	apnas_error err;
	apnas_net net;
	small_net(&net);
	ck_assert_msg(ch_open(&p, "systolic", NULL, 0, &err) == 0, "%s",
	              err.msg);
	model_figs want;
	apnas_array a = {32, 32, APNAS_DF_OS};
	model(&a, &net, &want);
	assert_matches_model(&p, &net, &want);
	ch_close(&p);
	apnas_net_free(&net);
}
END_TEST

/* The metrics the array plugins declare, in the order the run's files
 * show them, and what each says of itself. */
START_TEST(array_plugins_declare_their_metrics)
{
	static const char *const names[] = {"systolic", "systolic_sim"};
	static const char *const want[] = {
		"accuracy", "macs", "params", "cycles", "mapping_efficiency",
		"utilization", "ifmap_sram_reads", "filter_sram_reads",
		"ofmap_sram_writes", "ifmap_dram_reads", "filter_dram_reads",
		"ofmap_dram_writes", "dram_bytes", "stall_cycles",
		"latency_cycles", "energy_pj", "edp"};
	for (int k = 0; k < 2; k++) {
		ch_plugin p;
		apnas_error err;
		ck_assert_msg(ch_open(&p, names[k], NULL, 0, &err) == 0, "%s",
		              err.msg);
		ck_assert_uint_eq(p.ms.n, 17);
		for (size_t i = 0; i < 17; i++)
			ck_assert_str_eq(p.ms.decl[i].name, want[i]);
		const apnas_metric_decl *c = &p.ms.decl[ch_index(&p, "cycles")];
		ck_assert_str_eq(c->unit, "cycles");
		ck_assert_int_eq(c->goal, APNAS_GOAL_MIN);
		ck_assert_int_eq(c->total, APNAS_TOTAL_SUM);
		const apnas_metric_decl *u =
			&p.ms.decl[ch_index(&p, "utilization")];
		ck_assert_str_eq(u->unit, "%");
		ck_assert_int_eq(u->goal, APNAS_GOAL_MAX);
		ck_assert_str_eq(p.ms.decl[ch_index(&p, "mapping_efficiency")]
		                 .unit, "%");
		ch_close(&p);
	}
}
END_TEST

/* The one-line hardware label of reports and summary.json. */
START_TEST(hardware_is_described)
{
	static const struct {
		const char *plugin;
		const char *set[3];
		size_t n;
		const char *want;
	} cases[] = {
		{"systolic", {NULL}, 0, "32x32 os, 64/64/64 kB, 1 B/word"},
		{"systolic", {"rows=16", "cols=8", "dataflow=ws"}, 3,
		 "16x8 ws, 64/64/64 kB, 1 B/word"},
		{"systolic_sim", {"rows=4", "cols=5", "dataflow=is"}, 3,
		 "4x5 is, 64/64/64 kB, 1 B/word"},
		/* No describe(): the plugin's name and its (no) options. */
		{"macs", {NULL}, 0, "macs"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		ch_plugin p;
		apnas_error err;
		ck_assert_msg(ch_open(&p, cases[k].plugin, cases[k].set,
		                      cases[k].n, &err) == 0, "%s", err.msg);
		char hw[128];
		apnas_metricset_hardware(&p.ms, apnas_plugin_instance(p.h), hw,
		                         sizeof hw);
		ck_assert_str_eq(hw, cases[k].want);
		ch_close(&p);
	}
}
END_TEST

START_TEST(simulator_plugin_agrees_with_systolic)
{
	static const char *const dfs[] = {"dataflow=os", "dataflow=ws",
	                                  "dataflow=is"};
	static const apnas_dataflow df[] = {APNAS_DF_OS, APNAS_DF_WS,
	                                    APNAS_DF_IS};
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
		/* Both against the model, so each against the other. */
		model_figs want;
		apnas_array a = {4, 5, df[d]};
		model(&a, &net, &want);
		assert_matches_model(&sy, &net, &want);
		assert_matches_model(&si, &net, &want);
		/* Deterministic: a second call gives the same figures, bit for
		 * bit, per layer and in total. */
		double *l2, *l3;
		double *v2 = ch_cost_ok(&si, &net, &l2);
		double *v3 = ch_cost_ok(&si, &net, &l3);
		ck_assert_mem_eq(v2, v3, si.ms.n * sizeof *v2);
		ck_assert_mem_eq(l2, l3, net.n * si.ms.n * sizeof *l2);
		free(v2); free(v3); free(l2); free(l3);
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
	double v[17];
	ck_assert_uint_le(p.ms.n, 17);
	ck_assert_int_eq(ch_cost(&p, &net, v, NULL, &err), APNAS_EINVAL);
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
	/* Its one metric is called cycles, so a reward on cycles runs on it
	 * unchanged; it claims no array figures. */
	ck_assert_uint_eq(p.ms.n, 4);
	size_t ic = ch_index(&p, "cycles");
	ck_assert_int_lt(apnas_metricset_find(&p.ms, "utilization"), 0);
	ck_assert_int_lt(apnas_metricset_find(&p.ms, "mapping_efficiency"), 0);
	double *lv;
	double *v = ch_cost_ok(&p, &net, &lv);
	ck_assert_double_eq(v[ic], (double)apnas_net_macs(&net));
	ck_assert_double_eq(v[ch_index(&p, "macs")],
	                    (double)apnas_net_macs(&net));
	for (size_t i = 0; i < net.n; i++)
		ck_assert_double_eq(lv[i * p.ms.n + ic],
		                    (double)apnas_layer_macs(&net.layers[i]));
	free(v);
	free(lv);
	/* Bad layers are refused here too, not counted as zero. */
	net.layers[0].stride = 0;
	double v2[4];
	ck_assert_int_eq(ch_cost(&p, &net, v2, NULL, &err), APNAS_EINVAL);
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
	tcase_add_test(tc, array_plugins_declare_their_metrics);
	tcase_add_test(tc, hardware_is_described);
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
