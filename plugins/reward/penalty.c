/* Reward plugin `penalty`: R = ACC while the architecture meets the target
 * T of a cost metric M (cycles by default), and ACC - g * (M / T - 1)
 * above it.  Under the target the cost does not matter at all, so the
 * search maximises accuracy inside the budget; above it each further T of
 * cost takes g of accuracy.  T is given in M's unit, or as a fraction of a
 * reference architecture's M that the core resolves before the search. */
#include <stdlib.h>

#include <apnas/plugin.h>

#include "reward_common.h"

typedef struct penalty_reward {
	rw_single s;      /* first: the shared ops take self as one */
	double g;         /* accuracy lost per target's worth of excess */
} penalty_reward;

static const apnas_option penalty_options[] = {
	RW_METRIC_OPTION,
	RW_TARGET_OPTION,
	RW_REFERENCE_OPTION("target is"),
	{ "g", APNAS_OPT_FLOAT, NULL, 0, 1e6, NULL,
	  "penalty slope: accuracy lost per T of the metric over the target", 0 },
	{ NULL, 0, NULL, 0, 0, NULL, NULL, 0 }
};

static void penalty_destroy(void *self)
{
	penalty_reward *r = self;
	if (!r)
		return;
	rw_single_free(&r->s);
	free(r);
}

static int penalty_create(const apnas_plugin_ctx *ctx, void **self,
                          apnas_error *err)
{
	penalty_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward penalty");
	int rc = rw_single_init(&r->s, ctx, err);
	if (rc < 0) {
		penalty_destroy(r);
		return rc;
	}
	r->g = apnas_opts_float(ctx->opts, "g");
	*self = r;
	return 0;
}

static int penalty_compute(void *self, const double *v, double *out,
                           apnas_error *err)
{
	penalty_reward *r = self;
	double t, x, acc;
	int rc = rw_single_values(&r->s, v, &acc, &x, &t, err);
	if (rc < 0)
		return rc;
	*out = x <= t ? acc : acc - r->g * (x / t - 1.0);
	return 0;
}

static const apnas_reward_ops penalty_ops = {
	.create = penalty_create,
	.destroy = penalty_destroy,
	.reward = penalty_compute,
	.front_metric = rw_single_front,
	.reference = rw_single_reference,
	.resolve = rw_single_resolve,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "penalty", "2.0",
                    "R = ACC if M <= T else ACC - g * (M/T - 1) (metric M)",
                    penalty_options, &penalty_ops);
