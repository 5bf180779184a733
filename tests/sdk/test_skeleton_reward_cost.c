/* skeleton_reward and skeleton_cost: the formulas their headers promise,
 * checked against values computed here from the net helpers, and their
 * refusals.  The reward is created with the metric list of a run whose
 * cost model is the skeleton cost, built by the core's own code, so the
 * two templates are also checked to work together. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skel_harness.h"

/* The skeleton reward created with settings over the skeleton cost's
 * metric list. */
typedef struct rw_run {
	skel cost;          /* the skeleton cost model, defaults */
	apnas_metricset ms; /* the run's metrics (borrows from cost) */
	skel reward;
} rw_run;

static int rw_open(rw_run *r, const char *const *set, size_t n,
                   apnas_error *err)
{
	memset(r, 0, sizeof *r);
	skel_open_ok(&r->cost, APNAS_KIND_COST, SKEL_NONE, NULL);
	skel_metrics(&r->cost, &r->ms);
	apnas_plugin_ctx ctx = {.seed = 1, .threads = 1,
	                        .metrics = r->ms.decl,
	                        .n_metrics = r->ms.n};
	return skel_open(&r->reward, APNAS_KIND_REWARD, set, n, &ctx, err);
}

static void rw_close(rw_run *r)
{
	skel_close(&r->reward);
	apnas_metricset_free(&r->ms);
	skel_close(&r->cost);
}

static size_t idx(const rw_run *r, const char *name)
{
	long i = apnas_metricset_find(&r->ms, name);
	ck_assert_msg(i >= 0, "the run has no metric %s", name);
	return (size_t)i;
}

/* A value vector with accuracy and the metric `name` set, every other
 * entry NaN, so a reward reading another metric fails. */
static double reward_ok(const rw_run *r, const char *name, double acc,
                        double x)
{
	const apnas_reward_ops *o = r->reward.desc->ops;
	double v[APNAS_METRICS_MAX + 3];
	ck_assert_uint_le(r->ms.n, sizeof v / sizeof v[0]);
	for (size_t i = 0; i < r->ms.n; i++)
		v[i] = NAN;
	v[idx(r, "accuracy")] = acc;
	v[idx(r, name)] = x;
	apnas_error err;
	apnas_error_clear(&err);
	double out = NAN;
	ck_assert_msg(o->reward(r->reward.self, v, &out, &err) == 0, "%s",
	              err.msg);
	return out;
}

/* The list the reward sees: the core's three, then the skeleton cost's. */
START_TEST(reward_sees_the_runs_metrics)
{
	static const char *const want[] = {"accuracy", "macs", "params",
	                                   "cycles", "utilization"};
	rw_run r;
	apnas_error err;
	ck_assert_msg(rw_open(&r, SKEL_NONE, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(r.ms.n, 5);
	for (size_t i = 0; i < r.ms.n; i++)
		ck_assert_str_eq(r.ms.decl[i].name, want[i]);
	rw_close(&r);
}
END_TEST

/* reward = accuracy - weight * metric / scale, with the table's defaults,
 * with weight and scale set, and on another metric. */
START_TEST(reward_formula)
{
	static const char *set[][2] = {{NULL, NULL},
	                               {"weight=0.5", "scale=1000"},
	                               {"weight=0", "scale=1"},
	                               {"metric=\"macs\"", "scale=1000"},
	                               {"metric=\"params\"", "weight=2"}};
	size_t n = set[_i][0] ? 2 : 0;
	rw_run r;
	apnas_error err;
	ck_assert_msg(rw_open(&r, n ? set[_i] : NULL, n, &err) == 0, "%s",
	              err.msg);
	const apnas_reward_ops *o = r.reward.desc->ops;
	const char *metric = apnas_opts_string(r.reward.opts, "metric");
	double w = apnas_opts_float(r.reward.opts, "weight");
	double sc = apnas_opts_float(r.reward.opts, "scale");
	if (_i == 0) { /* the brief's formula: a weight times cycles / 1e6 */
		ck_assert_str_eq(metric, "cycles");
		ck_assert_double_eq(sc, 1e6);
	}
	/* The front is drawn against the metric traded. */
	ck_assert_uint_eq(o->front_metric(r.reward.self), idx(&r, metric));
	static const double acc[] = {0, 0.5, 0.93, 1};
	static const double x[] = {0, 1, 123456, 4.5e7};
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			ck_assert_double_eq_tol(reward_ok(&r, metric, acc[i], x[j]),
			                        acc[i] - w * x[j] / sc, 1e-12);
	rw_close(&r);
}
END_TEST

START_TEST(reward_refusals)
{
	rw_run r;
	apnas_error err;
	ck_assert_msg(rw_open(&r, SKEL_NONE, &err) == 0, "%s", err.msg);
	const apnas_reward_ops *o = r.reward.desc->ops;
	size_t ia = idx(&r, "accuracy"), ic = idx(&r, "cycles");
	static const struct {
		double acc, cyc;
		const char *word;
	} bad[] = {
		{NAN, 1e6, "accuracy"},
		{INFINITY, 1e6, "accuracy"},
		{0.9, NAN, "metric"},
		{0.9, INFINITY, "metric"},
		{0.9, -5, "metric"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* Every other metric valid: the refusal is about these two. */
		double v[8];
		for (size_t k = 0; k < r.ms.n; k++)
			v[k] = 1;
		v[ia] = bad[i].acc;
		v[ic] = bad[i].cyc;
		apnas_error_clear(&err);
		double out = 12345;
		ck_assert_int_lt(o->reward(r.reward.self, v, &out, &err), 0);
		skel_assert_error(&err, bad[i].word);
		ck_assert_double_eq(out, 12345);
	}
	rw_close(&r);

	ck_assert_int_lt(rw_open(&r, SKEL_SET("weight=-1"), &err), 0);
	skel_assert_error(&err, "weight");
	rw_close(&r);
}
END_TEST

/* A metric the run lacks, or one where higher is better, is refused at
 * create() with the names that would have worked. */
START_TEST(reward_refuses_unknown_metrics)
{
	static const char *const bad[][2] = {
		{"metric=\"energy\"", "\"energy\""},
		{"metric=\"utilization\"", "\"utilization\""},
		{"metric=\"accuracy\"", "\"accuracy\""}};
	for (size_t i = 0; i < 3; i++) {
		rw_run r;
		apnas_error err;
		ck_assert_msg(rw_open(&r, bad[i], 1, &err) < 0, "%s accepted",
		              bad[i][0]);
		ck_assert_ptr_null(r.reward.self);
		skel_assert_error(&err, bad[i][1]);
		skel_assert_error(&err, "lower is better");
		const char *list = strstr(err.msg, "those are: ");
		ck_assert_msg(list != NULL, "no list of metrics: %s", err.msg);
		ck_assert_ptr_nonnull(strstr(list, "cycles"));
		ck_assert_ptr_nonnull(strstr(list, "macs"));
		ck_assert_ptr_nonnull(strstr(list, "params"));
		ck_assert_ptr_null(strstr(list, "utilization"));
		ck_assert_ptr_null(strstr(list, "accuracy"));
		rw_close(&r);
	}
	/* Created outside a run (no metric list): refused, not a crash. */
	skel p;
	apnas_error err;
	ck_assert_int_lt(skel_open(&p, APNAS_KIND_REWARD, SKEL_NONE, NULL,
	                           &err), 0);
	skel_assert_error(&err, "accuracy");
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
 * nothing where it does not; the network's cycles are the sum (formed by
 * the core from the declared SUM total) and its utilization all MACs over
 * all cycles x pes (the model's own total). */
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
	ck_assert_uint_le(net.n, 16);

	/* The plugin's own vectors, as the ABI hands them: NaN-filled. */
	const apnas_metric_decl *d = o->metrics(p.self);
	size_t k = 0;
	while (d[k].name)
		k++;
	long kc = apnas_metric_find(d, k, "cycles");
	long ku = apnas_metric_find(d, k, "utilization");
	ck_assert(kc >= 0 && ku >= 0);
	ck_assert_int_eq(d[kc].total, APNAS_TOTAL_SUM);
	ck_assert_int_eq(d[ku].total, APNAS_TOTAL_MODEL);
	double kn[8], kl[16 * 8];
	ck_assert_uint_le(k, 8);
	for (size_t i = 0; i < 8; i++)
		kn[i] = NAN;
	for (size_t i = 0; i < 16 * 8; i++)
		kl[i] = NAN;
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(o->cost(p.self, &net, kn, kl, &err) == 0, "%s", err.msg);

	/* The same network through the core. */
	apnas_metricset ms;
	skel_metrics(&p, &ms);
	double v[8], lv[16 * 8];
	ck_assert_uint_le(ms.n, 8);
	ck_assert_msg(apnas_metricset_cost(&ms, &net, v, lv, &err) == 0, "%s",
	              err.msg);
	size_t ic = (size_t)apnas_metricset_find(&ms, "cycles");
	size_t iu = (size_t)apnas_metricset_find(&ms, "utilization");
	size_t im = (size_t)apnas_metricset_find(&ms, "macs");

	uint64_t want_total = 0;
	for (size_t i = 0; i < net.n; i++) {
		uint64_t macs = apnas_layer_macs(&net.layers[i]);
		uint64_t want = macs ? (macs + pes - 1) / pes + setup : 0;
		const double *row = kl + i * k;
		ck_assert_double_eq(row[kc], (double)want);
		ck_assert_double_eq(lv[i * ms.n + ic], (double)want);
		ck_assert_double_eq(lv[i * ms.n + im], (double)macs);
		if (macs) {
			ck_assert_double_gt(row[ku], 0);
			ck_assert_double_le(row[ku], 100);
			ck_assert_double_eq_tol(row[ku],
			                        100.0 * macs / ((double)want * pes),
			                        1e-9);
		} else {
			ck_assert_double_eq(row[ku], 0);
		}
		ck_assert_double_eq(lv[i * ms.n + iu], row[ku]);
		want_total += want;
	}
	ck_assert_double_eq(v[ic], (double)want_total);
	ck_assert_double_eq(v[im], (double)apnas_net_macs(&net));
	double want_util = 100.0 * (double)apnas_net_macs(&net) /
	                   ((double)want_total * pes);
	ck_assert_double_eq_tol(kn[ku], want_util, 1e-9);
	ck_assert_double_eq_tol(v[iu], want_util, 1e-9);
	if (_i == 0) /* one PE, no setup: a cycle per MAC */
		ck_assert_double_eq(v[ic], (double)apnas_net_macs(&net));
	/* Per-layer values are optional to the core's caller and change
	 * nothing. */
	double v2[8];
	ck_assert_int_eq(apnas_metricset_cost(&ms, &net, v2, NULL, &err), 0);
	ck_assert_double_eq(v2[ic], v[ic]);
	ck_assert_double_eq(v2[iu], v[iu]);
	apnas_metricset_free(&ms);
	apnas_net_free(&net);
	skel_close(&p);
}
END_TEST

START_TEST(cost_edges)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_COST, SKEL_NONE, NULL);
	apnas_net empty;
	apnas_net_init(&empty);
	apnas_metricset ms;
	skel_metrics(&p, &ms);
	double v[8];
	ck_assert_uint_le(ms.n, 8);
	apnas_error err;
	ck_assert_msg(apnas_metricset_cost(&ms, &empty, v, NULL, &err) == 0,
	              "%s", err.msg);
	ck_assert_double_eq(v[apnas_metricset_find(&ms, "cycles")], 0);
	ck_assert_double_eq(v[apnas_metricset_find(&ms, "macs")], 0);
	ck_assert_double_eq(v[apnas_metricset_find(&ms, "utilization")], 0);
	apnas_metricset_free(&ms);
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

/* describe() (ABI 2.1) names the hardware from the options. */
START_TEST(cost_describes_its_hardware)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_COST, SKEL_SET("pes=64", "setup=9"), NULL);
	const apnas_cost_ops *o = p.desc->ops;
	ck_assert(APNAS_HAS_OP(apnas_cost_ops, o, p.desc->ops_size, describe));
	char buf[128];
	memset(buf, 'x', sizeof buf);
	o->describe(p.self, buf, sizeof buf);
	ck_assert_ptr_nonnull(memchr(buf, '\0', sizeof buf));
	ck_assert_msg(strstr(buf, "64") && strstr(buf, "9") &&
	              !strchr(buf, '\n'), "describe: '%s'", buf);
	/* Truncated to cap, still terminated. */
	char small[4];
	o->describe(p.self, small, sizeof small);
	ck_assert_uint_lt(strlen(small), sizeof small);
	skel_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("skeleton reward and cost");
	TCase *tc = tcase_create("reward_cost");
	tcase_add_test(tc, reward_sees_the_runs_metrics);
	tcase_add_loop_test(tc, reward_formula, 0, 5);
	tcase_add_test(tc, reward_refusals);
	tcase_add_test(tc, reward_refuses_unknown_metrics);
	tcase_add_loop_test(tc, cost_formula, 0, 4);
	tcase_add_test(tc, cost_edges);
	tcase_add_test(tc, cost_describes_its_hardware);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
