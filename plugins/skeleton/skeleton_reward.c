/* skeleton_reward: the template reward, meant to be copied.  It trades
 * accuracy against one cost metric linearly: reward = accuracy - weight *
 * M / scale, so with the defaults (M = cycles) every million cycles costs
 * 0.1 of accuracy.  A reward reads metrics by name: create() looks its
 * metric up in the run's list (ctx->metrics: accuracy, macs, params, then
 * whatever the configured cost model declares) and refuses a name that is
 * not there, listing those that are, so a typo fails at `apnas config
 * check` and not hours into a search.  The optional reference/resolve
 * pair, for targets given relative to a reference architecture, is left
 * out here; plugins/reward/ has rewards that use it.  To start your own:
 * copy this file, change PLUGIN_NAME and the summary, and rewrite
 * skeleton_reward_reward(). */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <apnas/plugin.h>

/* The name a config's `plugin = "..."` uses; the file must be called
 * reward_<name>.so. */
#define PLUGIN_NAME "skeleton"
#define PLUGIN_VERSION "2.0"

/* Options of the config's `reward` group; validated and defaulted by the
 * core before create(). */
static const apnas_option skeleton_reward_options[] = {
	{"metric", APNAS_OPT_STRING, "\"cycles\"", 1, 0, NULL,
	 "the cost metric traded against accuracy (lower is better)", 0},
	{"weight", APNAS_OPT_FLOAT, "0.1", 0, 1000000, NULL,
	 "accuracy given up per `scale` of the metric", 0},
	{"scale", APNAS_OPT_FLOAT, "1000000.0", 1e-300, 1e300, NULL,
	 "amount of the metric that costs `weight` of reward", 0},
	{.key = NULL},
};

typedef struct skeleton_reward {
	size_t acc;    /* index of "accuracy" in the value vector */
	size_t metric; /* index of option "metric" in the value vector */
	double weight; /* from option "weight" */
	double scale;  /* from option "scale" */
} skeleton_reward;

/* Required.  Resolves names to positions once, so reward() only indexes. */
static int skeleton_reward_create(const apnas_plugin_ctx *ctx, void **self,
                                  apnas_error *err)
{
	const char *name = apnas_opts_string(ctx->opts, "metric");
	long acc = apnas_metric_find(ctx->metrics, ctx->n_metrics, "accuracy");
	long m = apnas_metric_find(ctx->metrics, ctx->n_metrics, name);
	if (acc < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "the run has no accuracy metric");
	if (m < 0 || ctx->metrics[m].goal != APNAS_GOAL_MIN) {
		/* Say what would have worked. */
		char have[512] = "";
		size_t used = 0;
		for (size_t i = 0; i < ctx->n_metrics; i++) {
			if (ctx->metrics[i].goal != APNAS_GOAL_MIN)
				continue;
			int w = snprintf(have + used, sizeof have - used, "%s%s",
			                 used ? ", " : "", ctx->metrics[i].name);
			if (w < 0 || (size_t)w >= sizeof have - used)
				break;
			used += (size_t)w;
		}
		return apnas_error_set(err, APNAS_EINVAL,
		                       "metric \"%s\" is not a metric of this run "
		                       "where lower is better; those are: %s",
		                       name, have);
	}
	skeleton_reward *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "out of memory creating the reward");
	s->acc = (size_t)acc;
	s->metric = (size_t)m;
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

/* Required.  A non-finite value is an error, never a silent zero: a
 * search fed a wrong reward goes on for hours in the wrong direction. */
static int skeleton_reward_reward(void *self, const double *v, double *r,
                                  apnas_error *err)
{
	const skeleton_reward *s = self;
	double acc = v[s->acc], x = v[s->metric];
	if (!isfinite(acc) || !isfinite(x) || x < 0)
		return apnas_error_set(err, APNAS_ENUM,
		                       "accuracy %g and metric %g: expected "
		                       "finite values and a metric >= 0", acc, x);
	*r = acc - s->weight * x / s->scale;
	return 0;
}

/* Required.  The metric the run's Pareto front is drawn against. */
static size_t skeleton_reward_front(void *self)
{
	return ((const skeleton_reward *)self)->metric;
}

/* Optional ops (reference, resolve) stay NULL: this reward's trade-off is
 * absolute and needs no reference architecture. */
static const apnas_reward_ops skeleton_reward_ops = {
	.create = skeleton_reward_create,
	.destroy = skeleton_reward_destroy,
	.reward = skeleton_reward_reward,
	.front_metric = skeleton_reward_front,
};

/* The one exported symbol. */
APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, PLUGIN_NAME, PLUGIN_VERSION,
                    "template reward: accuracy - weight * metric / scale",
                    skeleton_reward_options, &skeleton_reward_ops);
