/* Reward plugin `mnas`: the MnasNet-style product R = ACC * (M / T)^w for
 * a cost metric M (cycles by default; any metric of the cost model where
 * lower is better), with w = alpha when the architecture meets the target
 * T and beta when it does not.  alpha = beta = -0.07 is the soft
 * constraint (a smooth trade of accuracy against cost on both sides),
 * alpha = 0, beta = -1 the hard one (no bonus for being cheaper than T, a
 * steep loss above it).  T is given in M's unit, or as a fraction of a
 * reference architecture's M that the core costs and hands to resolve()
 * before the search starts. */
#include <math.h>
#include <stdlib.h>

#include <apnas/plugin.h>

#include "reward_common.h"

typedef struct mnas_reward {
	rw_metrics m;     /* owned */
	rw_target target; /* the metric and T */
	double alpha;     /* exponent at or under the target */
	double beta;      /* exponent over the target */
} mnas_reward;

static const apnas_option mnas_options[] = {
	RW_METRIC_OPTION,
	{ "target", APNAS_OPT_FLOAT, NULL, 1, 0, NULL,
	  "target T: in the metric's unit (e.g. 2e6 cycles), or with "
	  "reference a fraction of the reference's value in (0, 10]", 0 },
	RW_REFERENCE_OPTION("target is"),
	{ "alpha", APNAS_OPT_FLOAT, "-0.07", -10, 0, NULL,
	  "exponent w when M <= T (soft: -0.07, hard: 0)", 0 },
	{ "beta", APNAS_OPT_FLOAT, "-0.07", -10, 0, NULL,
	  "exponent w when M > T (soft: -0.07, hard: -1)", 0 },
	{ NULL, 0, NULL, 0, 0, NULL, NULL, 0 }
};

static void mnas_destroy(void *self)
{
	mnas_reward *r = self;
	if (!r)
		return;
	rw_metrics_free(&r->m);
	free(r);
}

static int mnas_create(const apnas_plugin_ctx *ctx, void **self,
                       apnas_error *err)
{
	mnas_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward mnas");
	int rc = rw_metrics_init(&r->m, ctx,
	                         apnas_opts_string(ctx->opts, "reference"), err);
	if (rc == 0)
		rc = rw_target_init(&r->target, &r->m,
		                    apnas_opts_string(ctx->opts, "metric"),
		                    "target",
		                    apnas_opts_float(ctx->opts, "target"), err);
	if (rc < 0) {
		mnas_destroy(r);
		return rc;
	}
	r->alpha = apnas_opts_float(ctx->opts, "alpha");
	r->beta = apnas_opts_float(ctx->opts, "beta");
	*self = r;
	return 0;
}

static int mnas_compute(void *self, const double *v, double *out,
                        apnas_error *err)
{
	mnas_reward *r = self;
	double t, x, acc;
	int rc;
	if ((rc = rw_accuracy(&r->m, v, &acc, err)) < 0 ||
	    (rc = rw_value(&r->target, v, &x, err)) < 0 ||
	    (rc = rw_target_scale(&r->target, &t, err)) < 0)
		return rc;
	/* A negative exponent on a zero cost is infinite. */
	if (!(x > 0))
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g: mnas needs %s > 0", r->target.name, x,
			r->target.name);
	double w = x <= t ? r->alpha : r->beta;
	*out = acc * pow(x / t, w);
	return 0;
}

static size_t mnas_front(void *self)
{
	return ((mnas_reward *)self)->target.metric;
}

static const char *mnas_reference(void *self)
{
	return ((mnas_reward *)self)->m.reference;
}

static int mnas_resolve(void *self, const double *ref, double *target,
                        apnas_error *err)
{
	mnas_reward *r = self;
	int rc = rw_target_resolve(&r->target, ref, err);
	if (rc == 0)
		rc = rw_target_scale(&r->target, target, err);
	return rc;
}

static const apnas_reward_ops mnas_ops = {
	.create = mnas_create,
	.destroy = mnas_destroy,
	.reward = mnas_compute,
	.front_metric = mnas_front,
	.reference = mnas_reference,
	.resolve = mnas_resolve,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "mnas", "2.0",
                    "R = ACC * (M/T)^w, w = alpha if M <= T else beta "
                    "(MnasNet soft or hard constraint on metric M)",
                    mnas_options, &mnas_ops);
