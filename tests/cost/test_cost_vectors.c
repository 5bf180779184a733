/* The 30 SCALE-Sim v2 vectors (tests/cost/data/systolic-vectors.csv),
 * reproduced exactly by the analytical model, by the `systolic` plugin and
 * by the simulator: cycles equal, mapping efficiency and utilization
 * within 1e-9 relative. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_harness.h"
#include "hw/systolic_sim.h"
#include "hw/topology.h"

/* Vectors whose simulation costs more PE-cycles than this are left to
 * the random agreement suite, to keep this file to a few seconds. */
#define SIM_BUDGET 40000000ull

static void close_to(double got, double want, const char *what, size_t row)
{
	ck_assert_msg(fabs(got - want) <= 1e-9 * fabs(want),
	              "vector %zu: %s %.17g, SCALE-Sim %.17g", row + 1, what, got,
	              want);
}

static apnas_layer vector_layer(const ch_vector *v)
{
	apnas_topo_row r = {.ifmap_h = v->h, .ifmap_w = v->w, .filt_h = v->fh,
	                    .filt_w = v->fw, .channels = v->ch,
	                    .filters = v->m, .stride = v->s};
	apnas_layer l;
	apnas_error err;
	snprintf(r.name, sizeof r.name, "v%dx%d", v->h, v->w);
	ck_assert_msg(apnas_topology_layer(&r, &l, &err) == 0, "%s", err.msg);
	return l;
}

static apnas_array vector_array(const ch_vector *v)
{
	apnas_array a = {.rows = v->rows, .cols = v->cols};
	apnas_error err;
	ck_assert_msg(apnas_dataflow_parse(v->dataflow, "vector", &a.dataflow,
	                                   &err) == 0, "%s", err.msg);
	return a;
}

/* Read once in main(), before forking tests. */
static ch_vector *v;
static size_t n;

START_TEST(model_reproduces_every_vector)
{
	size_t per_df[3] = {0};
	for (size_t i = 0; i < n; i++) {
		apnas_layer l = vector_layer(&v[i]);
		apnas_array a = vector_array(&v[i]);
		apnas_layer_cost c;
		apnas_error err;
		ck_assert_msg(apnas_systolic_layer(&a, &l, &c, &err) == 0, "%s",
		              err.msg);
		ck_assert_msg(c.cycles == v[i].cycles,
		              "vector %zu: %llu cycles, SCALE-Sim %llu", i + 1,
		              (unsigned long long)c.cycles,
		              (unsigned long long)v[i].cycles);
		close_to(c.mapping_eff, v[i].mapping_eff, "mapping efficiency", i);
		close_to(c.utilization, v[i].utilization, "utilization", i);
		per_df[a.dataflow]++;
	}
	/* The file covers all three dataflows; a truncated copy would not. */
	ck_assert_uint_ge(per_df[APNAS_DF_OS], 1);
	ck_assert_uint_ge(per_df[APNAS_DF_WS], 1);
	ck_assert_uint_ge(per_df[APNAS_DF_IS], 1);
}
END_TEST

START_TEST(plugin_reproduces_every_vector)
{
	for (size_t i = 0; i < n; i++) {
		char rows[32], cols[32], df[32];
		snprintf(rows, sizeof rows, "rows=%d", v[i].rows);
		snprintf(cols, sizeof cols, "cols=%d", v[i].cols);
		snprintf(df, sizeof df, "dataflow=%s", v[i].dataflow);
		const char *set[] = {rows, cols, df};
		ch_plugin p;
		apnas_error err;
		ck_assert_msg(ch_open(&p, "systolic", set, 3, &err) == 0, "%s",
		              err.msg);
		apnas_net net;
		apnas_net_init(&net);
		apnas_layer l = vector_layer(&v[i]);
		ck_assert_int_eq(apnas_net_add(&net, &l, &err), 0);
		double *one;
		double *total = ch_cost_ok(&p, &net, &one);
		size_t ic = ch_index(&p, "cycles");
		size_t ie = ch_index(&p, "mapping_efficiency");
		size_t iu = ch_index(&p, "utilization");
		ck_assert_msg(total[ic] == (double)v[i].cycles,
		              "vector %zu: %.17g cycles, SCALE-Sim %llu", i + 1,
		              total[ic], (unsigned long long)v[i].cycles);
		ck_assert_msg(one[ic] == (double)v[i].cycles,
		              "vector %zu: layer %.17g cycles, SCALE-Sim %llu",
		              i + 1, one[ic], (unsigned long long)v[i].cycles);
		close_to(one[ie], v[i].mapping_eff, "mapping efficiency", i);
		close_to(total[ie], v[i].mapping_eff,
		         "network mapping efficiency", i);
		close_to(one[iu], v[i].utilization, "layer utilization", i);
		close_to(total[iu], v[i].utilization, "utilization", i);
		free(total);
		free(one);
		apnas_net_free(&net);
		ch_close(&p);
	}
}
END_TEST

START_TEST(simulator_reproduces_the_vectors)
{
	size_t simulated = 0;
	apnas_rng r;
	apnas_rng_seed(&r, 3);
	for (size_t i = 0; i < n; i++) {
		apnas_layer l = vector_layer(&v[i]);
		apnas_array a = vector_array(&v[i]);
		if ((v[i].cycles + 1) * (uint64_t)a.rows * (uint64_t)a.cols >
		    SIM_BUDGET)
			continue;
		size_t ni, nw, no;
		apnas_error err;
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
		ck_assert_msg(st.cycles == v[i].cycles,
		              "vector %zu: simulated %llu cycles, SCALE-Sim %llu",
		              i + 1, (unsigned long long)st.cycles,
		              (unsigned long long)v[i].cycles);
		close_to(apnas_sim_mapping_eff(&a, &st), v[i].mapping_eff,
		         "simulated mapping efficiency", i);
		close_to(apnas_sim_utilization(&a, &st), v[i].utilization,
		         "simulated utilization", i);
		ch_naive(&l, in, w, ref);
		for (size_t k = 0; k < no; k++)
			ck_assert_msg(out[k] == ref[k], "vector %zu: output %zu is "
			              "%g, naive convolution %g", i + 1, k, out[k],
			              ref[k]);
		free(in); free(w); free(out); free(ref);
		simulated++;
	}
	/* Most vectors fit the budget; if none did the test would be empty. */
	ck_assert_uint_ge(simulated, n / 2);
}
END_TEST

int main(void)
{
	ch_vectors(&v, &n);
	Suite *s = suite_create("cost_vectors");
	TCase *tc = tcase_create("scalesim");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, model_reproduces_every_vector);
	tcase_add_test(tc, plugin_reproduces_every_vector);
	tcase_add_test(tc, simulator_reproduces_the_vectors);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(v);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
