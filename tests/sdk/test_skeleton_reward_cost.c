/* skeleton_reward and skeleton_cost: the formulas their headers promise,
 * checked against values computed here from the net helpers, and their
 * refusals. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "skel_harness.h"

static double reward_ok(const skel *p, double acc, double cyc)
{
	const apnas_reward_ops *o = p->desc->ops;
	apnas_metrics m = {APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES, acc,
	                   cyc, NAN, NAN, NAN};
	apnas_error err;
	apnas_error_clear(&err);
	double r = NAN;
	ck_assert_msg(o->reward(p->self, &m, &r, &err) == 0, "%s", err.msg);
	return r;
}

/* reward = accuracy - weight * cycles / scale, with the table's defaults
 * and with both options set. */
START_TEST(reward_formula)
{
	static const char *set[][2] = {{NULL, NULL},
	                               {"weight=0.5", "scale=1000"},
	                               {"weight=0", "scale=1"}};
	size_t n = set[_i][0] ? 2 : 0;
	skel p;
	skel_open_ok(&p, APNAS_KIND_REWARD, n ? set[_i] : NULL, n, NULL);
	const apnas_reward_ops *o = p.desc->ops;
	ck_assert_uint_eq(o->needs(p.self),
	                  APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES);
	double w = apnas_opts_float(p.opts, "weight");
	double sc = apnas_opts_float(p.opts, "scale");
	if (_i == 0) /* the brief's formula: a weight times cycles / 1e6 */
		ck_assert_double_eq(sc, 1e6);
	static const double acc[] = {0, 0.5, 0.93, 1};
	static const double cyc[] = {0, 1, 123456, 4.5e7};
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			ck_assert_double_eq_tol(reward_ok(&p, acc[i], cyc[j]),
			                        acc[i] - w * cyc[j] / sc, 1e-12);
	skel_close(&p);
}
END_TEST

START_TEST(reward_refusals)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_REWARD, SKEL_NONE, NULL);
	const apnas_reward_ops *o = p.desc->ops;
	static const struct {
		apnas_metrics m;
		const char *word;
	} bad[] = {
		{{APNAS_METRIC_ACCURACY, 0.9, 1e6, 0, 0, 0}, "cycles"},
		{{APNAS_METRIC_CYCLES | APNAS_METRIC_MACS, 0.9, 1e6, 0, 0, 0},
		 "accuracy"},
		{{0, 0.9, 1e6, 0, 0, 0}, "accuracy"},
		{{APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES, NAN, 1e6, 0, 0,
		  0}, "accuracy"},
		{{APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES, 0.9, INFINITY, 0,
		  0, 0}, "cycles"},
		{{APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES, 0.9, -5, 0, 0, 0},
		 "cycles"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		apnas_error err;
		apnas_error_clear(&err);
		double r = 12345;
		ck_assert_int_lt(o->reward(p.self, &bad[i].m, &r, &err), 0);
		skel_assert_error(&err, bad[i].word);
		ck_assert_double_eq(r, 12345);
	}
	skel_close(&p);
	apnas_error err;
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_REWARD,
	                           SKEL_SET("weight=-1"), NULL, &err), 0);
	skel_assert_error(&err, "weight");
	skel_close(&p);
}
END_TEST

/* A net with every layer type, some with no multiplies. */
static void sample_net(apnas_net *net)
{
	apnas_error err;
	apnas_net_init(net);
	apnas_shape x = {3, 17, 17};
	ck_assert_int_eq(apnas_net_conv(net, "c1", x, 10, 3, 2, 1, &err), 0);
	x = net->layers[net->n - 1].out;
	ck_assert_int_eq(apnas_net_dwconv(net, "dw", x, 5, 1, 2, &err), 0);
	ck_assert_int_eq(apnas_net_pool(net, "mp", APNAS_LAYER_MAXPOOL, x, 3,
	                                1, 1, &err), 0);
	ck_assert_int_eq(apnas_net_add_op(net, "add", x, 2, &err), 0);
	ck_assert_int_eq(apnas_net_concat(net, "cat", x, 2, 20, &err), 0);
	ck_assert_int_eq(apnas_net_conv(net, "pw", (apnas_shape){20, x.h, x.w},
	                                7, 1, 1, 0, &err), 0);
	x = net->layers[net->n - 1].out;
	ck_assert_int_eq(apnas_net_gpool(net, "gp", x, &err), 0);
	ck_assert_int_eq(apnas_net_fc(net, "fc", (apnas_shape){7, 1, 1}, 10,
	                              &err), 0);
}

/* Per layer: ceil(MACs / pes) plus `setup` where the layer multiplies,
 * nothing where it does not; totals are the sums. */
START_TEST(cost_formula)
{
	static const char *set[][2] = {{"pes=1", "setup=0"},
	                               {"pes=7", "setup=0"},
	                               {"pes=256", "setup=5"},
	                               {"pes=1048576", "setup=3"}};
	skel p;
	skel_open_ok(&p, APNAS_KIND_COST, set[_i], 2, NULL);
	const apnas_cost_ops *o = p.desc->ops;
	uint64_t pes = (uint64_t)apnas_opts_int(p.opts, "pes");
	uint64_t setup = (uint64_t)apnas_opts_int(p.opts, "setup");
	apnas_net net;
	sample_net(&net);
	apnas_layer_cost per[16], total, total2;
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(o->cost(p.self, &net, &total, per, &err) == 0, "%s",
	              err.msg);
	uint64_t want_total = 0;
	for (size_t i = 0; i < net.n; i++) {
		uint64_t macs = apnas_layer_macs(&net.layers[i]);
		uint64_t want = macs ? (macs + pes - 1) / pes + setup : 0;
		ck_assert_uint_eq(per[i].macs, macs);
		ck_assert_uint_eq(per[i].cycles, want);
		if (macs) {
			ck_assert_double_gt(per[i].utilization, 0);
			ck_assert_double_le(per[i].utilization, 100);
			ck_assert_double_eq_tol(per[i].utilization,
			                        100.0 * macs / ((double)want * pes),
			                        1e-9);
		}
		want_total += want;
	}
	ck_assert_uint_eq(total.cycles, want_total);
	ck_assert_uint_eq(total.macs, apnas_net_macs(&net));
	ck_assert_double_eq_tol(total.utilization,
	                        100.0 * total.macs / ((double)want_total * pes),
	                        1e-9);
	if (_i == 0) /* one PE, no setup: a cycle per MAC */
		ck_assert_uint_eq(total.cycles, apnas_net_macs(&net));
	/* per_layer is optional and changes nothing */
	ck_assert_int_eq(o->cost(p.self, &net, &total2, NULL, &err), 0);
	ck_assert_uint_eq(total2.cycles, total.cycles);
	ck_assert_double_eq(total2.utilization, total.utilization);
	apnas_net_free(&net);
	skel_close(&p);
}
END_TEST

START_TEST(cost_edges)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_COST, SKEL_NONE, NULL);
	const apnas_cost_ops *o = p.desc->ops;
	apnas_net empty;
	apnas_net_init(&empty);
	apnas_layer_cost total = {1, 1, 1, 1};
	apnas_error err;
	ck_assert_int_eq(o->cost(p.self, &empty, &total, NULL, &err), 0);
	ck_assert_uint_eq(total.cycles, 0);
	ck_assert_uint_eq(total.macs, 0);
	skel_close(&p);
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_COST, SKEL_SET("pes=0"),
	                           NULL, &err), 0);
	skel_assert_error(&err, "pes");
	skel_close(&p);
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_COST, SKEL_SET("setup=-1"),
	                           NULL, &err), 0);
	skel_assert_error(&err, "setup");
	skel_close(&p);
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_COST, SKEL_SET("lanes=4"),
	                           NULL, &err), 0);
	skel_assert_error(&err, "lanes");
	skel_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("skeleton reward and cost");
	TCase *tc = tcase_create("reward_cost");
	tcase_add_loop_test(tc, reward_formula, 0, 3);
	tcase_add_test(tc, reward_refusals);
	tcase_add_loop_test(tc, cost_formula, 0, 4);
	tcase_add_test(tc, cost_edges);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
