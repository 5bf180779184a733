/* cost_macs: the hardware-blind proxy, the MAC count as the cost.  Each
 * layer's "cycles" are its multiply-accumulates (E x K x M, depthwise and
 * fully connected counted as the systolic model maps them, pools, adds
 * and concats free), as if one MAC took one cycle on one PE.  It exists to
 * show what a cycle model buys over counting MACs: a search rewarded on
 * this plugin optimises FLOPs, not latency.  It has no options and
 * declares one metric, `cycles`. */
#include <stdlib.h>

#include <apnas/plugin.h>

#include "hw/systolic_model.h"

typedef struct macs_model {
	int unused; /* no state; create() still returns a distinct instance */
} macs_model;

static int macs_create(const apnas_plugin_ctx *ctx, void **self,
                       apnas_error *err)
{
	(void)ctx;
	macs_model *m = calloc(1, sizeof *m);
	if (!m)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory creating the cost model");
	*self = m;
	return 0;
}

static void macs_destroy(void *self)
{
	free(self);
}

/* Named `cycles` so that a reward configured on cycles runs unchanged
 * with this model: swapping the cost plugin is the whole ablation. */
static const apnas_metric_decl macs_metrics_decl[] = {
	{ "cycles", "cycles",
	  "multiply-accumulates, as if one MAC took one cycle on one PE",
	  APNAS_GOAL_MIN, APNAS_SCOPE_BOTH, APNAS_TOTAL_SUM },
	{ NULL, NULL, NULL, 0, 0, 0 },
};

static const apnas_metric_decl *macs_metrics(void *self)
{
	(void)self;
	return macs_metrics_decl;
}

static int macs_cost(void *self, const apnas_net *net, double *net_values,
                     double *layer_values, apnas_error *err)
{
	(void)self;
	(void)net_values; /* the core sums the layers */
	apnas_gemm g;
	int rc;
	for (size_t i = 0; i < net->n; i++) {
		const apnas_layer *l = &net->layers[i];
		uint64_t v;
		if ((rc = apnas_layer_gemm(l, &g, err)))
			return rc;
		if (__builtin_mul_overflow(g.e, g.k, &v) ||
		    __builtin_mul_overflow(v, g.m, &v) ||
		    __builtin_mul_overflow(v, g.repeat, &v))
			return apnas_error_set(err, APNAS_EINVAL,
			                       "layer %s: MAC count does not fit in "
			                       "64 bits", l->name);
		layer_values[i] = (double)v;
	}
	return 0;
}

static const apnas_cost_ops macs_ops = {
	.create = macs_create,
	.destroy = macs_destroy,
	.metrics = macs_metrics,
	.cost = macs_cost,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_COST, "macs", "2.0",
                    "MAC count as the cost (hardware-blind proxy)", NULL,
                    &macs_ops);
