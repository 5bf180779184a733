/* skeleton_reward: the template reward, meant to be copied.  It trades
 * accuracy against speed linearly: reward = accuracy - weight * cycles /
 * scale, so with the defaults every million cycles costs 0.1 of accuracy.
 * A reward declares which metrics it reads (needs()) so the core computes
 * only those, and refuses a metrics record that lacks them rather than
 * guessing.  The optional reference/resolve pair, for targets given
 * relative to a reference architecture, is left out here; plugins/reward/
 * has rewards that use it.  To start your own: copy this file, change
 * PLUGIN_NAME and the summary, and rewrite skeleton_reward_reward(). */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <apnas/plugin.h>

/* The name a config's `plugin = "..."` uses; the file must be called
 * reward_<name>.so. */
#define PLUGIN_NAME "skeleton"
#define PLUGIN_VERSION "1.0"

/* Options of the config's `reward` group; validated and defaulted by the
 * core before create(). */
static const apnas_option skeleton_reward_options[] = {
	{"weight", APNAS_OPT_FLOAT, "0.1", 0, 1000000, NULL,
	 "accuracy given up per `scale` cycles"},
	{"scale", APNAS_OPT_FLOAT, "1000000.0", 1, 1e18, NULL,
	 "cycles that cost `weight` of reward"},
	{.key = NULL},
};

/* The metrics reward() reads; the core fills exactly these. */
#define SKELETON_NEEDS (APNAS_METRIC_ACCURACY | APNAS_METRIC_CYCLES)

typedef struct skeleton_reward {
	double weight; /* from option "weight" */
	double scale;  /* from option "scale" */
} skeleton_reward;

/* Required. */
static int skeleton_reward_create(const apnas_plugin_ctx *ctx, void **self,
                                  apnas_error *err)
{
	skeleton_reward *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory creating the reward");
	s->weight = apnas_opts_float(ctx->opts, "weight");
	s->scale = apnas_opts_float(ctx->opts, "scale");
	*self = s;
	return 0;
}

/* Required.  Must accept NULL. */
static void skeleton_reward_destroy(void *self)
{
	free(self);
}

/* Required. */
static uint32_t skeleton_reward_needs(void *self)
{
	(void)self;
	return SKELETON_NEEDS;
}

/* Required.  A missing or non-finite metric is an error, never a silent
 * zero: a search fed a wrong reward goes on for hours in the wrong
 * direction. */
static int skeleton_reward_reward(void *self, const apnas_metrics *m,
                                  double *r, apnas_error *err)
{
	const skeleton_reward *s = self;
	uint32_t missing = SKELETON_NEEDS & ~m->have;
	if (missing)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "needs accuracy and cycles, but %s missing",
		                       missing == SKELETON_NEEDS ? "both are"
		                       : missing == APNAS_METRIC_ACCURACY
		                       ? "accuracy is" : "cycles are");
	if (!isfinite(m->accuracy) || !isfinite(m->cycles) || m->cycles < 0)
		return apnas_error_set(err, APNAS_ENUM,
		                       "accuracy %g and cycles %g: expected finite "
		                       "values and cycles >= 0",
		                       m->accuracy, m->cycles);
	*r = m->accuracy - s->weight * m->cycles / s->scale;
	return 0;
}

/* Optional ops (reference, resolve) stay NULL: this reward's trade-off is
 * absolute and needs no reference architecture. */
static const apnas_reward_ops skeleton_reward_ops = {
	.create = skeleton_reward_create,
	.destroy = skeleton_reward_destroy,
	.needs = skeleton_reward_needs,
	.reward = skeleton_reward_reward,
};

/* The one exported symbol. */
APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, PLUGIN_NAME, PLUGIN_VERSION,
                    "template reward: accuracy - weight * cycles / scale",
                    skeleton_reward_options, &skeleton_reward_ops);
