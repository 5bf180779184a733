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
	rw_single s;      /* first: the shared ops take self as one */
	double alpha;     /* exponent at or under the target */
	double beta;      /* exponent over the target */
} mnas_reward;

static const apnas_option mnas_options[] = {
	RW_METRIC_OPTION,
	RW_TARGET_OPTION,
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
	rw_single_free(&r->s);
	free(r);
}

static int mnas_create(const apnas_plugin_ctx *ctx, void **self,
                       apnas_error *err)
{
	mnas_reward *r = calloc(1, sizeof *r);
	if (!r)
		return apnas_error_set(err, APNAS_ENOMEM,
			"out of memory creating reward mnas");
	int rc = rw_single_init(&r->s, ctx, err);
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
	int rc = rw_single_values(&r->s, v, &acc, &x, &t, err);
	if (rc < 0)
		return rc;
	/* A negative exponent on a zero cost is infinite. */
	if (!(x > 0))
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g: mnas needs %s > 0", r->s.target.name, x,
			r->s.target.name);
	double w = x <= t ? r->alpha : r->beta;
	*out = acc * pow(x / t, w);
	return 0;
}

static const apnas_reward_ops mnas_ops = {
	.create = mnas_create,
	.destroy = mnas_destroy,
	.reward = mnas_compute,
	.front_metric = rw_single_front,
	.reference = rw_single_reference,
	.resolve = rw_single_resolve,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_REWARD, "mnas", "2.0",
                    "R = ACC * (M/T)^w, w = alpha if M <= T else beta "
                    "(MnasNet soft or hard constraint on metric M)",
                    mnas_options, &mnas_ops);
