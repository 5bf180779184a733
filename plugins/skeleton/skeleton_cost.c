/* skeleton_cost: the template cost model, meant to be copied.  It prices a
 * network on an imaginary accelerator whose `pes` processing elements are
 * always busy: a layer that multiplies takes ceil(MACs / pes) cycles plus a
 * fixed `setup`, and pooling, adds and concats are free.  That is far too
 * crude to guide a real search (plugins/cost/ has the systolic-array
 * model), but it has every piece a cost model needs: an option table, an
 * instance built from resolved options, per-layer figures and totals, and
 * errors reported instead of printed.  To start your own: copy this file,
 * change PLUGIN_NAME and the summary, and rewrite price_layer().  See
 * docs/plugin-authoring.md for building and loading it. */

#include <stdint.h>
#include <stdlib.h>

#include <apnas/plugin.h>

/* The name a config's `plugin = "..."` uses; the file must be called
 * cost_<name>.so so the core finds it. */
#define PLUGIN_NAME "skeleton"
#define PLUGIN_VERSION "1.0"

/* The keys a config's `cost` group may set besides `plugin` and `path`.
 * The core refuses unknown keys, wrong types and out-of-range values and
 * fills in the defaults before create() runs, so create() only reads. */
static const apnas_option skeleton_cost_options[] = {
	{"pes", APNAS_OPT_INT, "256", 1, 1048576, NULL,
	 "processing elements that work in parallel"},
	{"setup", APNAS_OPT_INT, "0", 0, 1000000000, NULL,
	 "fixed cycles added to every layer that multiplies"},
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

/* This model's whole idea, for one layer.  Pure: the same layer always
 * costs the same, which the search relies on when it caches costs. */
static apnas_layer_cost price_layer(const skeleton_cost *s,
                                    const apnas_layer *l)
{
	apnas_layer_cost c = {0};
	c.macs = apnas_layer_macs(l);
	if (c.macs == 0)
		return c; /* no multiplies: the array is not used */
	/* Division first, so that MAC counts near 2^64 cannot overflow. */
	uint64_t rounds = c.macs / s->pes + (c.macs % s->pes != 0);
	c.cycles = rounds + s->setup;
	/* Mapping efficiency ignores the setup (how well the work fills the
	 * array); utilization counts it (how busy the array is overall). */
	c.mapping_eff = 100.0 * (double)c.macs / ((double)rounds * (double)s->pes);
	c.utilization = 100.0 * (double)c.macs /
	                ((double)c.cycles * (double)s->pes);
	return c;
}

/* Required.  Totals for the whole net, and per layer when asked. */
static int skeleton_cost_cost(void *self, const apnas_net *net,
                              apnas_layer_cost *total,
                              apnas_layer_cost *per_layer, apnas_error *err)
{
	const skeleton_cost *s = self;
	apnas_layer_cost sum = {0};
	uint64_t rounds = 0; /* cycles without the setups */
	for (size_t i = 0; i < net->n; i++) {
		apnas_layer_cost c = price_layer(s, &net->layers[i]);
		if (sum.cycles + c.cycles < sum.cycles ||
		    sum.macs + c.macs < sum.macs)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %zu (%s): cycle count overflows "
			                       "64 bits", i, net->layers[i].name);
		sum.cycles += c.cycles;
		sum.macs += c.macs;
		if (c.macs)
			rounds += c.cycles - s->setup;
		if (per_layer)
			per_layer[i] = c;
	}
	/* Overall figures are MAC-weighted, as the ops table asks: all MACs
	 * over all cycles times PEs. */
	if (sum.cycles > 0) {
		sum.utilization = 100.0 * (double)sum.macs /
		                  ((double)sum.cycles * (double)s->pes);
		sum.mapping_eff = 100.0 * (double)sum.macs /
		                  ((double)rounds * (double)s->pes);
	}
	*total = sum;
	return 0;
}

/* Every op the core may call.  Members left out are NULL, which the core
 * reads as "not implemented"; a cost model has no optional ops in ABI 1.0. */
static const apnas_cost_ops skeleton_cost_ops = {
	.create = skeleton_cost_create,
	.destroy = skeleton_cost_destroy,
	.cost = skeleton_cost_cost,
};

/* The one exported symbol.  Everything above is static, so this is all
 * `nm -D --defined-only` shows. */
APNAS_PLUGIN_DEFINE(APNAS_KIND_COST, PLUGIN_NAME, PLUGIN_VERSION,
                    "template cost model: ceil(MACs / pes) cycles per layer",
                    skeleton_cost_options, &skeleton_cost_ops);
