/* cost_systolic: the analytical cycle model of an R x C systolic array
 * running one layer at a time in the os, ws or is dataflow, as
 * ../shared/docs/systolic.md specifies it after SCALE-Sim v2.  Per layer
 * it reports the cycles (SCALE-Sim's last-cycle index), the MACs, the
 * mapping efficiency and the utilization; depthwise convs are costed as
 * one single-channel conv per channel, fully connected layers as 1x1
 * convs on a 1x1 input, pools, adds and concats as free.  The arithmetic
 * lives in core/hw/systolic_model.c, shared with `apnas cost` and the
 * benchmark; this file only binds it to the plugin ABI.  It is the model a
 * search calls thousands of times, so it allocates nothing per call. */
#include <stdlib.h>

#include <apnas/plugin.h>

#include "array_metrics.h"
#include "hw/systolic_model.h"

static const apnas_option systolic_options[] = {
	AM_OPTIONS,
	{.key = NULL},
};

typedef struct systolic {
	am_model m; /* the array, its memories, the energy table */
} systolic;

static int systolic_create(const apnas_plugin_ctx *ctx, void **self,
                           apnas_error *err)
{
	systolic *s = calloc(1, sizeof *s);
	int rc;
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory creating the cost model");
	if ((rc = am_model_from_opts(ctx->opts, &s->m, err))) {
		am_model_free(&s->m);
		free(s);
		return rc;
	}
	*self = s;
	return 0;
}

static void systolic_destroy(void *self)
{
	if (self)
		am_model_free(&((systolic *)self)->m);
	free(self);
}

static const apnas_hw_decision *systolic_hw_decisions(void *self)
{
	return as_search_decisions(((const systolic *)self)->m.hw);
}

static const apnas_metric_decl *systolic_metrics(void *self)
{
	(void)self;
	return am_metrics;
}

static int systolic_layer(void *ud, const apnas_layer *l,
                          apnas_layer_cost *c, apnas_mem_cost *mc,
                          apnas_error *err)
{
	const systolic *s = ud;
	return apnas_mem_layer(&s->m.array, &s->m.mem, &s->m.energy, l, c, mc,
	                       err);
}

static int systolic_cost(void *self, const apnas_net *net,
                         double *net_values, double *layer_values,
                         apnas_error *err)
{
	systolic *s = self;
	return am_net(&s->m, net, systolic_layer, s, net_values, layer_values,
	              err);
}

static void systolic_describe(void *self, char *buf, size_t cap)
{
	am_describe(&((const systolic *)self)->m, buf, cap);
}

static const apnas_cost_ops systolic_ops = {
	.create = systolic_create,
	.destroy = systolic_destroy,
	.metrics = systolic_metrics,
	.cost = systolic_cost,
	.describe = systolic_describe,
	.hw_decisions = systolic_hw_decisions,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_COST, "systolic", "2.0",
                    "analytical systolic-array cycles (SCALE-Sim v2 model): "
                    "rows x cols, os/ws/is",
                    systolic_options, &systolic_ops);
