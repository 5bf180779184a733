/* skeleton_cost: the template cost model, meant to be copied.  It prices a
 * network on an imaginary accelerator whose `pes` processing elements are
 * always busy: a layer that multiplies takes ceil(MACs / pes) cycles plus a
 * fixed `setup`, and pooling, adds and concats are free.  That is far too
 * crude to guide a real search (plugins/cost/ has the systolic-array
 * model), but it has every piece a cost model needs: an option table, an
 * instance built from resolved options, declared metrics with per-layer
 * values and totals, and errors reported instead of printed.  To start your own: copy this file,
 * change PLUGIN_NAME and the summary, and rewrite price_layer().  See
 * docs/plugin-authoring.md for building and loading it. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <apnas/plugin.h>

/* The name a config's `plugin = "..."` uses; the file must be called
 * cost_<name>.so so the core finds it. */
#define PLUGIN_NAME "skeleton"
#define PLUGIN_VERSION "2.0"

/* The keys a config's `cost` group may set besides `plugin` and `path`.
 * The core refuses unknown keys, wrong types and out-of-range values and
 * fills in the defaults before create() runs, so create() only reads. */
static const apnas_option skeleton_cost_options[] = {
	{"pes", APNAS_OPT_INT, "256", 1, 1048576, NULL,
	 "processing elements that work in parallel", 0},
	{"setup", APNAS_OPT_INT, "0", 0, 1000000000, NULL,
	 "fixed cycles added to every layer that multiplies", 0},
	{.key = NULL},
};

/* One instance per run; everything the plugin remembers lives here, never
 * in a global, so two instances with different options can coexist. */
typedef struct skeleton_cost {
	uint64_t pes;   /* from option "pes" */
	uint64_t setup; /* from option "setup" */
} skeleton_cost;

/* Required.  Reads the resolved options into a fresh instance. */
static int skeleton_cost_create(const apnas_plugin_ctx *ctx, void **self,
                                apnas_error *err)
{
	skeleton_cost *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory creating the cost model");
	/* The getters cannot fail on keys the table declares, and the
	 * range check already happened in the core. */
	s->pes = (uint64_t)apnas_opts_int(ctx->opts, "pes");
	s->setup = (uint64_t)apnas_opts_int(ctx->opts, "setup");
	*self = s;
	return 0;
}

/* Required.  Must accept NULL. */
static void skeleton_cost_destroy(void *self)
{
	free(self);
}

/* What this model measures.  The core carries every metric declared here
 * into samples.jsonl, pareto.csv, `apnas cost`, `apnas report` and the
 * rewards (`reward.metric = "..."`), by name: adding one is one line here
 * and one value in skeleton_cost_cost().  The core adds accuracy, macs and
 * params itself; do not declare those. */
enum { M_CYCLES, M_UTILIZATION, M_N };
static const apnas_metric_decl skeleton_cost_metrics_decl[M_N + 1] = {
	[M_CYCLES] = { "cycles", "cycles",
	               "ceil(MACs / pes) + setup per multiplying layer",
	               APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	[M_UTILIZATION] = { "utilization", "%",
	                    "MACs over cycles x pes (network: all MACs over "
	                    "all cycles)",
	                    APNAS_GOAL_MAX, APNAS_SCOPE_BOTH,
	                    APNAS_TOTAL_MODEL },
	[M_N] = { NULL, NULL, NULL, 0, 0, 0 },
};

/* Required.  The list above; it may depend on the options (a model could
 * declare energy only when given an energy table), never on the call. */
static const apnas_metric_decl *skeleton_cost_metrics(void *self)
{
	(void)self;
	return skeleton_cost_metrics_decl;
}

/* This model's whole idea, for one layer: its cycles.  Pure: the same
 * layer always costs the same, which the search relies on when it caches
 * costs. */
static uint64_t price_layer(const skeleton_cost *s, const apnas_layer *l)
{
	uint64_t macs = apnas_layer_macs(l);
	if (macs == 0)
		return 0; /* no multiplies: the array is not used */
	/* Division first, so that MAC counts near 2^64 cannot overflow. */
	return macs / s->pes + (macs % s->pes != 0) + s->setup;
}

/* Required.  layer_values has one row of M_N values per layer and
 * net_values M_N values, all NaN on entry: write every per-layer value,
 * and the network value of each metric whose total is TOTAL_MODEL (the
 * core sums the SUM ones).  A value left NaN is reported as a bug. */
static int skeleton_cost_cost(void *self, const apnas_net *net,
                              double *net_values, double *layer_values,
                              apnas_error *err)
{
	const skeleton_cost *s = self;
	double macs = 0, cycles = 0;
	for (size_t i = 0; i < net->n; i++) {
		const apnas_layer *l = &net->layers[i];
		uint64_t c = price_layer(s, l);
		double m = (double)apnas_layer_macs(l);
		double *row = layer_values + i * M_N;
		if (m > 0 && c < s->setup)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %zu (%s): cycle count overflows "
			                       "64 bits", i, l->name);
		row[M_CYCLES] = (double)c;
		row[M_UTILIZATION] =
			c ? 100.0 * m / ((double)c * (double)s->pes) : 0.0;
		cycles += (double)c;
		macs += m;
	}
	net_values[M_UTILIZATION] =
		cycles > 0 ? 100.0 * macs / (cycles * (double)s->pes) : 0.0;
	return 0;
}

/* Optional (ABI 2.1).  One line naming the hardware, for reports. */
static void skeleton_cost_describe(void *self, char *buf, size_t cap)
{
	const skeleton_cost *s = self;
	snprintf(buf, cap, "%llu PEs, setup %llu", (unsigned long long)s->pes,
	         (unsigned long long)s->setup);
}

/* Every op the core may call.  Members left out are NULL, which the core
 * reads as "not implemented". */
static const apnas_cost_ops skeleton_cost_ops = {
	.create = skeleton_cost_create,
	.destroy = skeleton_cost_destroy,
	.metrics = skeleton_cost_metrics,
	.cost = skeleton_cost_cost,
	.describe = skeleton_cost_describe,
};

/* The one exported symbol.  Everything above is static, so this is all
 * `nm -D --defined-only` shows. */
APNAS_PLUGIN_DEFINE(APNAS_KIND_COST, PLUGIN_NAME, PLUGIN_VERSION,
                    "template cost model: ceil(MACs / pes) cycles per layer",
                    skeleton_cost_options, &skeleton_cost_ops);
