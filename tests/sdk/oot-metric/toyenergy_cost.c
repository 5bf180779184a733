/* A third party's cost model, built out of tree against the installed SDK
 * (tests/sdk/sdk_new_metric.sh), with two metrics the core has never heard
 * of: `toy_energy` (a made-up energy per layer: 0.2 pJ per MAC and 2 pJ per
 * weight fetched, summed over the layers by the core) and `area_mm2` (the
 * array's area from its PE count, computed by the model for the whole
 * network).  The test searches with mnas on toy_energy and looks for both
 * in every file a run writes. */
#include <stdio.h>
#include <stdlib.h>

#include <apnas/plugin.h>

enum { M_TOY_ENERGY, M_AREA, M_N };

static const apnas_metric_decl toyenergy_decl[M_N + 1] = {
	[M_TOY_ENERGY] = { "toy_energy", "pJ",
	                   "0.2 pJ per MAC + 2 pJ per weight",
	                   APNAS_GOAL_MIN, APNAS_SCOPE_BOTH,
	                   APNAS_TOTAL_SUM },
	[M_AREA] = { "area_mm2", "mm^2", "0.01 mm^2 per PE",
	             APNAS_GOAL_MIN, APNAS_SCOPE_NET, APNAS_TOTAL_MODEL },
	[M_N] = { NULL, NULL, NULL, 0, 0, 0 },
};

static const apnas_option toyenergy_options[] = {
	{"pes", APNAS_OPT_INT, "64", 1, 1048576, NULL, "processing elements", 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
};

typedef struct toyenergy {
	double pes; /* from option "pes" */
} toyenergy;

static int te_create(const apnas_plugin_ctx *ctx, void **self,
                     apnas_error *err)
{
	toyenergy *t = calloc(1, sizeof *t);
	if (!t)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	t->pes = (double)apnas_opts_int(ctx->opts, "pes");
	*self = t;
	return 0;
}

static void te_destroy(void *self)
{
	free(self);
}

static const apnas_metric_decl *te_metrics(void *self)
{
	(void)self;
	return toyenergy_decl;
}

static int te_cost(void *self, const apnas_net *net, double *net_values,
                   double *layer_values, apnas_error *err)
{
	(void)err;
	const toyenergy *t = self;
	for (size_t i = 0; i < net->n; i++)
		layer_values[i * M_N + M_TOY_ENERGY] =
			0.2 * (double)apnas_layer_macs(&net->layers[i]) +
			2.0 * (double)apnas_layer_params(&net->layers[i]);
	net_values[M_AREA] = 0.01 * t->pes;
	return 0;
}

static void te_describe(void *self, char *buf, size_t cap)
{
	snprintf(buf, cap, "toy %g PEs", ((const toyenergy *)self)->pes);
}

static const apnas_cost_ops te_ops = {
	.create = te_create,
	.destroy = te_destroy,
	.metrics = te_metrics,
	.cost = te_cost,
	.describe = te_describe,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_COST, "toyenergy", "1.0",
                    "a third party's toy energy model", toyenergy_options,
                    &te_ops);
