/* Reward plugin `penalty`: R = ACC while the architecture meets the cycle
 * target T, and ACC - g * (CYC / T - 1) above it.  Under the target cycles
 * do not matter at all, so the search maximises accuracy inside the budget;
 * above it each further T of cycles costs g of accuracy.  T is given in
 * cycles, or as a fraction of a reference architecture's cycles that the
 * core resolves before the search starts. */
#include <stdlib.h>

#include <apnas/plugin.h>

#include "reward_common.h"

typedef struct penalty_reward {
	rw_target target; /* owned */
	double g;         /* accuracy lost per target's worth of excess */
} penalty_reward;

static const apnas_option penalty_options[] = {
	RW_TARGET_OPTIONS("target",
		"cycle target T: cycles (e.g. 2e6), or with reference a "
		"fraction of the reference's cycles in (0, 10]"),
	{ "g", APNAS_OPT_FLOAT, NULL, 0, 1e6, NULL,
	  "penalty slope: accuracy lost per T cycles over the target" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL }
};

static void penalty_destroy(void *self)
{
	penalty_reward *r = self;
	if (!r)
		return;
	rw_target_free(&r->target);
	free(r);
}

static int penalty_create(const apnas_plugin_ctx *ctx, void **self,
                          apnas_error *err)
{
	penalty_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward penalty");
	int rc = rw_target_init(&r->target, ctx->opts, "target", err);
	if (rc < 0) {
		penalty_destroy(r);
		return rc;
	}
	r->g = apnas_opts_float(ctx->opts, "g");
	*self = r;
	return 0;
}

static uint32_t penalty_needs(void *self)
{
	(void)self;
	return APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES;
}

static int penalty_compute(void *self, const apnas_metrics *m, double *out,
                           apnas_error *err)
{
	penalty_reward *r = self;
	double t;
	int rc = rw_check_metrics(m, penalty_needs(self), err);
	if (rc < 0)
		return rc;
	rc = rw_target_cycles(&r->target, &t, err);
	if (rc < 0)
		return rc;
	if (m->cycles <= t)
		*out = m->accuracy;
	else
		*out = m->accuracy - r->g * (m->cycles / t - 1.0);
	return 0;
}

static const char *penalty_reference(void *self)
{
	return rw_target_reference(&((penalty_reward *)self)->target);
}

static int penalty_resolve(void *self, const apnas_metrics *ref,
                           double *target, apnas_error *err)
{
	return rw_target_resolve(&((penalty_reward *)self)->target, ref,
	                         target, err);
}

static const apnas_reward_ops penalty_ops = {
	.create = penalty_create,
	.destroy = penalty_destroy,
	.needs = penalty_needs,
	.reward = penalty_compute,
	.reference = penalty_reference,
	.resolve = penalty_resolve,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "penalty", "1.0",
                    "R = ACC if CYC <= T else ACC - g * (CYC/T - 1)",
                    penalty_options, &penalty_ops);
